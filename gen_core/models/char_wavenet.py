"""A WaveNet over characters: dilated causal convolutions replace the recurrence and the attention.

Like every character model it factorizes the text as p(x) = prod_t p(x_t | x_<t), with
p(x_{t+1} | x_<=t) = softmax(o_{t+1}). Token t enters as an embedding h_t^0 = E x_t; layer l is a
causal convolution of kernel k = 2 and dilation d_l that reads h_t and h_{t - d_l} only, with a
gated unit as its activation

    u_t = tanh(W_f * h)_t  (.)  sigma(W_g * h)_t,      (W * h)_t = W_0 h_{t-d} + W_1 h_t + b,
    h_t^{l+1} = h_t^l + W_r u_t  (residual),           s_t = sum_l W_s^l u_t^l  (skip),
    o_{t+1} = W_2 relu(W_1 relu(s_t))                  (1x1 convolutions: one position at a time).

The dilations double, 1, 2, 4, ..., 2^(L-1), and the block repeats, so o_{t+1} reads the last

    R = 1 + sum_l d_l (k - 1)

characters (``receptive_field``; 1 + 2 x 63 = 127 for two blocks of 1..32): exponentially many for
the depth, and nothing further back. Before <start> every layer reads zeros (causal padding).

Training computes all T outputs in one pass. Sampling is "fast WaveNet": every layer keeps a queue of
its last d_l inputs, so a new character costs one two-tap step per layer, not a pass over the window;
``read`` primes those queues with one batched pass over the last R tokens.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .charlm import DEFAULT_CHARS, CharLM

KERNEL = 2  # taps per causal convolution: h_{t-d} and h_t


class GatedLayer(nn.Module):
    """One dilated causal convolution with a gated unit, its residual (if a layer follows) and skip outputs."""

    def __init__(self, channels: int, skip: int, dilation: int, residual: bool, dropout: float):
        super().__init__()
        self.dilation = dilation
        self.W = nn.Conv1d(channels, 2 * channels, KERNEL, dilation=dilation)  # W_f and W_g stacked
        self.W_r = nn.Conv1d(channels, channels, 1) if residual else None
        self.W_s = nn.Conv1d(channels, skip, 1)
        self.drop = nn.Dropout(dropout)

    def outputs(self, h: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor]:
        """(h^{l+1}, the skip term) from the layer's input h and its convolution z = [W_f * h; W_g * h]."""
        z_f, z_g = z.chunk(2, dim=1)
        u = self.drop(torch.tanh(z_f) * torch.sigmoid(z_g))
        return (h + self.W_r(u) if self.W_r is not None else None), self.W_s(u)

    def forward(self, h: torch.Tensor):
        """Every position of h [B, C, T] at once, zeros before the first."""
        return self.outputs(h, self.W(F.pad(h, (self.dilation, 0))))

    def step(self, h: torch.Tensor, past: torch.Tensor):
        """One position: h_t [n, C] and the queued h_{t-d} [n, C]; the two taps are adjacent here."""
        new, skip = self.outputs(h[..., None], F.conv1d(torch.stack([past, h], dim=-1), self.W.weight, self.W.bias))
        return (None if new is None else new[..., 0]), skip[..., 0]


@dataclass
class Queues:
    """The sampling state: t tokens read; ``past[l]`` [n, d_l, C] holds layer l's inputs h_{t-d_l}..h_{t-1},
    h_s in slot s mod d_l (the slot of h_{t-d_l} is the one h_t replaces). ``step`` updates them in place."""

    t: int
    past: list[torch.Tensor]


class CharWaveNet(CharLM):
    """Embedding, ``n_blocks`` x ``block_layers`` gated layers of dilations 1, 2, ..., 2^(block_layers-1), 1x1 head."""

    def __init__(self, chars: str = DEFAULT_CHARS, end_token: bool = False, channels: int = 64, skip: int = 128,
                 n_blocks: int = 2, block_layers: int = 6, dropout: float = 0.0):
        super().__init__(chars, end_token)
        self.dilations = [2 ** i for _ in range(n_blocks) for i in range(block_layers)]
        self.receptive_field = 1 + sum(d * (KERNEL - 1) for d in self.dilations)
        self.E = nn.Embedding(self.n_tokens, channels)
        last = len(self.dilations) - 1
        self.layers = nn.ModuleList(GatedLayer(channels, skip, d, l < last, dropout)
                                    for l, d in enumerate(self.dilations))
        self.head = nn.Sequential(nn.ReLU(), nn.Conv1d(skip, skip, 1), nn.ReLU(), nn.Conv1d(skip, self.n_tokens, 1))

    def stack(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(logits [B, V, T], every layer's input [B, C, T]) from tokens x [B, T]."""
        h, s, inputs = self.E(x).transpose(1, 2), 0, []
        for layer in self.layers:
            inputs.append(h)
            h, skip = layer(h)
            s = s + skip
        return self.head(s), inputs

    def logits(self, x):
        return self.stack(x)[0].transpose(1, 2)

    def start(self, n):
        C, weight = self.E.embedding_dim, self.E.weight
        return Queues(0, [weight.new_zeros(n, d, C) for d in self.dilations])

    def step(self, token, state):
        h, s = self.E(token), 0
        for layer, past in zip(self.layers, state.past):
            slot = state.t % layer.dilation
            before = past[:, slot].clone()   # h_{t-d}
            past[:, slot] = h                # h_t, for step t + d
            h, skip = layer.step(h, before)
            s = s + skip
        state.t += 1
        return self.head(s[..., None])[..., 0], state

    def read(self, x):
        """Prime the queues with one pass over the last R tokens of x [n, L] (all the next output can see)."""
        L = x.shape[1]
        o, inputs = self.stack(x[:, -self.receptive_field:])
        past = []
        for d, h in zip(self.dilations, inputs):
            last = F.pad(h, (max(0, d - h.shape[2]), 0))[..., -d:]   # h_{L-d}..h_{L-1}, zeros before <start>
            past.append(last.roll(L % d, dims=2).transpose(1, 2).contiguous())
        return o[..., -1], Queues(L, past)
