"""Shared building blocks of the models."""
from .masked import MaskedConv2d, MaskedLinear, conv_mask, pointwise

__all__ = ["MaskedConv2d", "MaskedLinear", "conv_mask", "pointwise"]
