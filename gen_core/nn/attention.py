"""Causal multi-head self-attention and the pre-LayerNorm transformer built from it.

For a sequence h_1..h_T of d-dimensional vectors and every head (d_head = d / n_heads):

    q_t = W_q h_t,   k_t = W_k h_t,   v_t = W_v h_t
    a_t = sum_{s <= t} softmax_s(q_t . k_s / sqrt(d_head)) v_s        (causal: s <= t only)
    attn(h)_t = W_o [a_t^1; ...; a_t^{n_heads}]

A block updates the residual stream twice (pre-LayerNorm):

    h <- h + attn(LN(h)),    h <- h + W_2 GELU(W_1 LN(h)),

so output t depends on inputs 1..t only, whatever the sequence holds (characters, pixels, ...).
A stack of blocks ends in a final LayerNorm.

Incremental decoding: k_s and v_s never change once position s has been computed, so a ``KVCache``
keeps them for every layer. Position t then costs one row of every projection and one attention
row (q_t against k_1..k_t) instead of a whole T x T pass, with the same outputs.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class KVCache:
    """Keys and values of the positions seen so far, per layer, preallocated to ``max_len``.

    k[l], v[l]: [B, n_heads, max_len, d_head]; length[l]: how many positions layer l holds.
    """

    def __init__(self, n_layers: int, batch: int, n_heads: int, max_len: int, d_head: int, *,
                 device=None, dtype=None):
        shape = (batch, n_heads, max_len, d_head)
        self.k = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(n_layers)]
        self.v = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(n_layers)]
        self.length = [0] * n_layers

    def fill(self, layer: int, k: torch.Tensor, v: torch.Tensor):
        """Store k, v [B, n_heads, T, d_head] of positions 1..T in layer's empty cache."""
        if self.length[layer]:
            raise ValueError("fill needs an empty cache")
        T = k.shape[2]
        self.k[layer][:, :, :T], self.v[layer][:, :, :T] = k, v
        self.length[layer] = T

    def append(self, layer: int, k: torch.Tensor, v: torch.Tensor):
        """Store k, v [B, n_heads, 1, d_head] of layer's next position; return its k_1..t, v_1..t."""
        t = self.length[layer]
        if t == self.k[layer].shape[2]:
            raise IndexError(f"KV cache full ({t} positions)")
        self.k[layer][:, :, t:t + 1] = k
        self.v[layer][:, :, t:t + 1] = v
        self.length[layer] = t + 1
        return self.k[layer][:, :, :t + 1], self.v[layer][:, :, :t + 1]


class CausalSelfAttention(nn.Module):
    """Multi-head attention of every position to itself and the positions before it.

    ``W_qkv`` stacks W_q, W_k, W_v (one matrix product for all three).
    """

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model {d_model} is not divisible by n_heads {n_heads}")
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.W_qkv = nn.Linear(d_model, 3 * d_model)
        self.W_o = nn.Linear(d_model, d_model)

    def qkv(self, h: torch.Tensor):
        """q, k, v, each [B, n_heads, T, d_head], from h [B, T, d]."""
        B, T, _ = h.shape
        return self.W_qkv(h).view(B, T, 3, self.n_heads, self.d_head).permute(2, 0, 3, 1, 4).unbind(0)

    def merge(self, a: torch.Tensor) -> torch.Tensor:
        """W_o applied to the concatenated heads a [B, n_heads, T, d_head]: [B, T, d]."""
        B, _, T, _ = a.shape
        return self.W_o(a.transpose(1, 2).reshape(B, T, -1))

    def forward(self, h: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        """Every position of h [B, T, d] at once; with an empty ``cache``, its keys and values are kept there."""
        q, k, v = self.qkv(h)
        if cache is not None:
            cache.fill(layer, k, v)
        return self.merge(F.scaled_dot_product_attention(q, k, v, is_causal=True))

    def step(self, h_t: torch.Tensor, cache: KVCache, layer: int) -> torch.Tensor:
        """Output [B, d] at the next position t from its input h_t [B, d] and the cached k, v."""
        q, k, v = self.qkv(h_t[:, None])
        k_all, v_all = cache.append(layer, k, v)
        return self.merge(F.scaled_dot_product_attention(q, k_all, v_all))[:, 0]


class TransformerBlock(nn.Module):
    """h + attn(LN(h)), then h + W_2 GELU(W_1 LN(h))."""

    def __init__(self, d_model: int, n_heads: int, d_mlp: int):
        super().__init__()
        self.ln_attn = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_heads)
        self.ln_mlp = nn.LayerNorm(d_model)
        self.W_1, self.W_2 = nn.Linear(d_model, d_mlp), nn.Linear(d_mlp, d_model)

    def mlp(self, h: torch.Tensor) -> torch.Tensor:
        """W_2 GELU(W_1 LN(h)), position by position."""
        return self.W_2(F.gelu(self.W_1(self.ln_mlp(h))))

    def forward(self, h: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        h = h + self.attn(self.ln_attn(h), cache, layer)
        return h + self.mlp(h)

    def step(self, h_t: torch.Tensor, cache: KVCache, layer: int) -> torch.Tensor:
        """``forward`` at the next position only: h_t [B, d] -> [B, d], appending to ``cache``."""
        h_t = h_t + self.attn.step(self.ln_attn(h_t), cache, layer)
        return h_t + self.mlp(h_t)


class CausalTransformer(nn.Module):
    """``n_layers`` blocks and a final LayerNorm: [B, T, d] -> [B, T, d], output t sees inputs <= t.

    GPT-2 initialisation: weights N(0, 0.02^2), biases 0, and the projections that write into the
    residual stream (W_o, W_2) scaled by 1/sqrt(2 n_layers) so the stream's variance stays O(1).
    """

    def __init__(self, d_model: int, n_heads: int, n_layers: int, d_mlp: int | None = None):
        super().__init__()
        self.blocks = nn.ModuleList(TransformerBlock(d_model, n_heads, d_mlp or 4 * d_model)
                                    for _ in range(n_layers))
        self.ln_f = nn.LayerNorm(d_model)
        for block in self.blocks:
            for W, std in ((block.attn.W_qkv, 0.02), (block.W_1, 0.02),
                           (block.attn.W_o, 0.02 / math.sqrt(2 * n_layers)),
                           (block.W_2, 0.02 / math.sqrt(2 * n_layers))):
                nn.init.normal_(W.weight, std=std)
                nn.init.zeros_(W.bias)

    def forward(self, h: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """[B, T, d] -> [B, T, d]; with an empty ``cache``, every layer's keys and values are kept there."""
        for layer, block in enumerate(self.blocks):
            h = block(h, cache, layer)
        return self.ln_f(h)

    def step(self, h_t: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """Output [B, d] at the next position from its input h_t [B, d]; appends to ``cache``."""
        for layer, block in enumerate(self.blocks):
            h_t = block.step(h_t, cache, layer)
        return self.ln_f(h_t)

    def new_cache(self, batch: int, max_len: int) -> KVCache:
        """An empty cache for ``batch`` sequences of up to ``max_len`` positions."""
        attn, W = self.blocks[0].attn, self.ln_f.weight
        return KVCache(len(self.blocks), batch, attn.n_heads, max_len, attn.d_head,
                       device=W.device, dtype=W.dtype)
