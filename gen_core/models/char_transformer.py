"""A causal transformer over characters: masked self-attention replaces the recurrence.

Token t enters as an embedding plus a learned position vector, h_t^0 = W_e x_t + P_t (t = 0 is
<start>); a stack of pre-LayerNorm blocks (``gen_core.nn.attention``) lets position t attend to
positions s <= t only (the causal mask), and

    o_{t+1} = W_out h_t^L,    p(x_{t+1} | x_<=t) = softmax(o_{t+1}).

Unlike the RNN there is no state carried from step to step: position t looks back at every earlier
position directly, but only within ``context`` characters (the size of P). Training computes all T
outputs in one pass; sampling keeps every layer's keys and values in a KV cache, so each new
character costs one row of attention instead of a whole T x T pass (a prime is read into the cache in
one pass).
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..nn.attention import CausalTransformer
from .charlm import DEFAULT_CHARS, CharLM


class CharTransformer(CharLM):
    """Token embedding plus position, ``n_layers`` causal blocks, then o = W_out h; at most ``context`` characters."""

    def __init__(self, chars: str = DEFAULT_CHARS, end_token: bool = False, d_model: int = 128, n_heads: int = 4,
                 n_layers: int = 4, d_mlp: int | None = None, context: int = 256):
        super().__init__(chars, end_token)
        self.context = context
        self.W_e = nn.Embedding(self.n_tokens, d_model)
        self.P = nn.Parameter(torch.zeros(context + 1, d_model))  # positions 0 (<start>) .. context
        self.net = CausalTransformer(d_model, n_heads, n_layers, d_mlp)
        self.W_out = nn.Linear(d_model, self.n_tokens)
        for w in (self.W_e.weight, self.P, self.W_out.weight):
            nn.init.normal_(w, std=0.02)
        nn.init.zeros_(self.W_out.bias)

    def logits(self, x):
        T = x.shape[1]
        if T > self.context + 1:
            raise ValueError(f"{T} tokens do not fit the context of {self.context + 1} positions")
        return self.W_out(self.net(self.W_e(x) + self.P[:T]))

    def start(self, n):
        return self.net.new_cache(n, self.context + 1)

    def read(self, x):
        """All of x [n, L] in one teacher-forced pass that also fills the KV cache (a prime, or a restart)."""
        cache = self.start(x.shape[0])
        return self.W_out(self.net(self.W_e(x) + self.P[:x.shape[1]], cache)[:, -1]), cache

    def step(self, token, cache):
        t = cache.length[0]  # positions already read
        return self.W_out(self.net.step(self.W_e(token) + self.P[t], cache)), cache
