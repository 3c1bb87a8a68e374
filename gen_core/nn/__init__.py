"""Shared building blocks of the models."""
from . import dmol
from .attention import CausalSelfAttention, CausalTransformer, KVCache, TransformerBlock
from .masked import MaskedConv2d, PixelHead, cache, conv_mask, pointwise

__all__ = ["dmol", "MaskedConv2d", "PixelHead", "cache", "conv_mask", "pointwise",
           "CausalSelfAttention", "CausalTransformer", "KVCache", "TransformerBlock"]
