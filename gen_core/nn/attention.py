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

Sliding window with rotary positions (RoPE, Su et al. 2021 "RoFormer"), opt-in with ``window=W``:
position t may attend to the last W positions only, s in (t - W, t] (a band mask), and q_t, k_s
are rotated by their positions before the dot product. Per head, pair i of coordinates
(x_i, x_{i + d_head/2}) of a vector x at position t turns by the angle t theta_i,

    R_t x = x cos(t theta) + rot(x) sin(t theta),   rot(x) = [-x_{d/2+1..d}; x_{1..d/2}],
    theta_i = 10000^(-2i / d_head),   i = 0 .. d_head/2 - 1,

and since rotations compose, (R_t q) . (R_s k) = q . R_{s-t} k depends on the distance t - s only.
So the cache can slide: k_s is rotated once, at its absolute position s, when it is written into
a ring of W slots (slot s mod W, overwriting position s - W, which no later query sees), and the
query at position t attends to every slot filled so far, in whatever order they lie. Each new
position costs one step however long the sequence grows, with the outputs of the full band-masked
pass over the whole sequence. The model itself supplies no position vectors then.
"""
from __future__ import annotations

import functools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class KVCache:
    """Keys and values of the positions seen so far, per layer, in ``slots`` preallocated slots.

    k[l], v[l]: [B, n_heads, slots, d_head]; length[l]: how many positions layer l has been given.
    A plain cache holds positions 0..slots-1 and is then full; a ``ring`` keeps the last ``slots``
    positions, position s in slot s mod slots.
    """

    def __init__(self, n_layers: int, batch: int, n_heads: int, slots: int, d_head: int, *, ring: bool = False,
                 device=None, dtype=None):
        shape = (batch, n_heads, slots, d_head)
        self.k = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(n_layers)]
        self.v = [torch.zeros(shape, device=device, dtype=dtype) for _ in range(n_layers)]
        self.length = [0] * n_layers
        self.slots, self.ring = slots, ring

    def fill(self, layer: int, k: torch.Tensor, v: torch.Tensor):
        """Store k, v [B, n_heads, T, d_head] of positions 0..T-1 in layer's empty cache (a ring: the last slots)."""
        if self.length[layer]:
            raise ValueError("fill needs an empty cache")
        T = k.shape[2]
        if T > self.slots and not self.ring:
            raise IndexError(f"{T} positions do not fit a KV cache of {self.slots}")
        kept = torch.arange(max(0, T - self.slots), T, device=k.device)  # a plain cache: all of them
        self.k[layer][:, :, kept % self.slots], self.v[layer][:, :, kept % self.slots] = k[:, :, kept], v[:, :, kept]
        self.length[layer] = T

    def append(self, layer: int, k: torch.Tensor, v: torch.Tensor):
        """Store k, v [B, n_heads, 1, d_head] of layer's next position t; return the k, v of every filled slot
        (positions 0..t, or a ring's last ``slots`` positions)."""
        t = self.length[layer]
        if t == self.slots and not self.ring:
            raise IndexError(f"KV cache full ({t} positions)")
        slot = t % self.slots
        self.k[layer][:, :, slot:slot + 1] = k
        self.v[layer][:, :, slot:slot + 1] = v
        self.length[layer] = t + 1
        filled = min(t + 1, self.slots)
        return self.k[layer][:, :, :filled], self.v[layer][:, :, :filled]


class Rotation:
    """R_t for positions t [T]: ``rotate(x)`` turns x [..., T, d_head] (pair i: coordinates i and i + d_head/2)
    by t theta_i, as x cos(t theta) + rot(x) sin(t theta) = x cos + roll(x, d_head/2) [-sin; sin]."""

    def __init__(self, cos: torch.Tensor, sin: torch.Tensor):
        self.cos, self.sin = cos, sin  # [T, d_head]; sin with the sign of rot(x) folded in

    @classmethod
    def of(cls, positions: torch.Tensor, theta: torch.Tensor, dtype=torch.float32, device=None) -> "Rotation":
        """``theta`` [d_head]: theta_i twice (i = 0..d_head/2-1, then again); angles in float64, so that far
        positions keep their precision."""
        angle = positions.double()[:, None] * theta
        half = theta.shape[0] // 2
        sign = theta.new_tensor([-1.0, 1.0]).repeat_interleave(half)
        return cls(angle.cos().to(device=device, dtype=dtype), (angle.sin() * sign).to(device=device, dtype=dtype))

    def rows(self, a: int, b: int) -> "Rotation":
        """R_t of this table's rows a..b-1 (nothing computed again)."""
        return Rotation(self.cos[a:b], self.sin[a:b])

    def rotate(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.cos + x.roll(x.shape[-1] // 2, dims=-1) * self.sin


ROTATION_BLOCK = 1024  # positions per table of R_t that sampling steps read one row of


@functools.lru_cache(maxsize=16)
def rotation_block(block: int, d_head: int, dtype: torch.dtype, device: torch.device) -> Rotation:
    """R_t of the positions t in [block * ROTATION_BLOCK, (block + 1) * ROTATION_BLOCK), computed once: a
    sampling step reads its row instead of computing ten small tensors for one position."""
    first = block * ROTATION_BLOCK
    return Rotation.of(torch.arange(first, first + ROTATION_BLOCK), rotary_theta(d_head), dtype, device)


def rotary_theta(d_head: int) -> torch.Tensor:
    """theta_i = 10000^(-2i / d_head), i = 0 .. d_head/2 - 1, twice over: [d_head] float64."""
    if d_head % 2:
        raise ValueError(f"rotary positions need an even d_head, not {d_head}")
    return (10000.0 ** (-torch.arange(d_head // 2, dtype=torch.float64) / (d_head // 2))).repeat(2)


def band_mask(T: int, window: int, device=None) -> torch.Tensor:
    """[T, T], True where position t may attend to s: t - window < s <= t."""
    d = torch.arange(T, device=device)[:, None] - torch.arange(T, device=device)
    return (d >= 0) & (d < window)


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

    def qkv(self, h: torch.Tensor) -> torch.Tensor:
        """q, k, v stacked [3, B, n_heads, T, d_head], from h [B, T, d]."""
        B, T, _ = h.shape
        return self.W_qkv(h).view(B, T, 3, self.n_heads, self.d_head).permute(2, 0, 3, 1, 4)

    def merge(self, a: torch.Tensor) -> torch.Tensor:
        """W_o applied to the concatenated heads a [B, n_heads, T, d_head]: [B, T, d]."""
        B, _, T, _ = a.shape
        return self.W_o(a.transpose(1, 2).reshape(B, T, -1))

    def rotated_qkv(self, h: torch.Tensor, rotation: Rotation | None):
        """``qkv``, with q and k turned by ``rotation`` (R_t) when the positions are rotary."""
        qkv = self.qkv(h)
        if rotation is None:
            return qkv.unbind(0)
        q, k = rotation.rotate(qkv[:2])
        return q, k, qkv[2]

    def forward(self, h: torch.Tensor, cache: KVCache | None = None, layer: int = 0,
                rotation: Rotation | None = None, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Every position of h [B, T, d] at once (causal, or within ``mask``); with an empty ``cache``, its keys
        and values are kept there."""
        q, k, v = self.rotated_qkv(h, rotation)
        if cache is not None:
            cache.fill(layer, k, v)
        return self.merge(F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=mask is None))

    def step(self, h_t: torch.Tensor, cache: KVCache, layer: int, rotation: Rotation | None = None) -> torch.Tensor:
        """Output [B, d] at the next position t from its input h_t [B, d] and the cached k, v."""
        q, k, v = self.rotated_qkv(h_t[:, None], rotation)
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

    def forward(self, h: torch.Tensor, cache: KVCache | None = None, layer: int = 0,
                rotation: Rotation | None = None, mask: torch.Tensor | None = None) -> torch.Tensor:
        h = h + self.attn(self.ln_attn(h), cache, layer, rotation, mask)
        return h + self.mlp(h)

    def step(self, h_t: torch.Tensor, cache: KVCache, layer: int, rotation: Rotation | None = None) -> torch.Tensor:
        """``forward`` at the next position only: h_t [B, d] -> [B, d], appending to ``cache``."""
        h_t = h_t + self.attn.step(self.ln_attn(h_t), cache, layer, rotation)
        return h_t + self.mlp(h_t)


class CausalTransformer(nn.Module):
    """``n_layers`` blocks and a final LayerNorm: [B, T, d] -> [B, T, d], output t sees inputs <= t.

    The caller adds whatever position vectors it wants to the inputs; with ``window`` = W instead,
    positions are rotary and every layer attends to the last W positions only (its cache a ring).
    GPT-2 initialisation: weights N(0, 0.02^2), biases 0, and the projections that write into the
    residual stream (W_o, W_2) scaled by 1/sqrt(2 n_layers) so the stream's variance stays O(1).
    """

    def __init__(self, d_model: int, n_heads: int, n_layers: int, d_mlp: int | None = None,
                 window: int | None = None):
        super().__init__()
        self.window = window
        # rotary angles per position: a plain float64 tensor (no buffer, so no .to(dtype) can round it)
        self.theta = rotary_theta(d_model // n_heads) if window is not None else None
        self.blocks = nn.ModuleList(TransformerBlock(d_model, n_heads, d_mlp or 4 * d_model)
                                    for _ in range(n_layers))
        self.ln_f = nn.LayerNorm(d_model)
        for block in self.blocks:
            for W, std in ((block.attn.W_qkv, 0.02), (block.W_1, 0.02),
                           (block.attn.W_o, 0.02 / math.sqrt(2 * n_layers)),
                           (block.W_2, 0.02 / math.sqrt(2 * n_layers))):
                nn.init.normal_(W.weight, std=std)
                nn.init.zeros_(W.bias)

    def rotation(self, first: int, T: int) -> Rotation | None:
        """R_t of positions t = first .. first + T - 1 when the positions are rotary (a ``window``), else None."""
        if self.window is None:
            return None
        W = self.ln_f.weight
        if T == 1:  # a sampling step
            block, i = divmod(first, ROTATION_BLOCK)
            return rotation_block(block, len(self.theta), W.dtype, W.device).rows(i, i + 1)
        return Rotation.of(torch.arange(first, first + T), self.theta, W.dtype, W.device)

    def forward(self, h: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """[B, T, d] -> [B, T, d]; with an empty ``cache``, every layer's keys and values are kept there."""
        T = h.shape[1]
        rotation = self.rotation(0, T)
        mask = band_mask(T, self.window, h.device) if self.window is not None and T > self.window else None
        for layer, block in enumerate(self.blocks):
            h = block(h, cache, layer, rotation, mask)
        return self.ln_f(h)

    def step(self, h_t: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """Output [B, d] at the next position from its input h_t [B, d]; appends to ``cache``."""
        rotation = self.rotation(cache.length[0], 1)
        for layer, block in enumerate(self.blocks):
            h_t = block.step(h_t, cache, layer, rotation)
        return self.ln_f(h_t)

    def new_cache(self, batch: int, max_len: int | None = None) -> KVCache:
        """An empty cache for ``batch`` sequences of up to ``max_len`` positions (with a ``window``: of any
        length, in a ring of ``window`` slots)."""
        attn, W = self.blocks[0].attn, self.ln_f.weight
        ring = self.window is not None
        return KVCache(len(self.blocks), batch, attn.n_heads, self.window if ring else max_len, attn.d_head,
                       ring=ring, device=W.device, dtype=W.dtype)
