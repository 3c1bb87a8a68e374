"""A causal transformer over characters: masked self-attention replaces the recurrence.

Token t enters as its embedding alone, h_t^0 = W_e x_t (t = 0 is <start>); a stack of pre-LayerNorm
blocks (``gen_core.nn.attention``) lets position t attend to the last ``context`` positions
s in (t - context, t] only (a causal band), and

    o_{t+1} = W_out h_t^L,    p(x_{t+1} | x_<=t) = softmax(o_{t+1}).

Positions are rotary (RoPE): every layer turns the query and key of position t by R_t, pair i of
their coordinates by the angle t theta_i, theta_i = 10000^(-2i / d_head), so that

    (R_t q_t) . (R_s k_s) = q_t . R_{s-t} k_s

depends on how far back s is, never on where the window stands. Unlike the RNN there is no state
carried from step to step: position t looks back at earlier positions directly, but only within
``context`` of them (in every layer, so L layers reach L (context - 1) characters back). Training
computes all T outputs of a sequence in one pass; sampling keeps every layer's keys and values in a
ring of ``context`` slots (a KV cache that slides: the newest key overwrites the one that left the
window), so each new character costs one row of attention however long the text grows, with the
outputs of the full pass (a prime is read into the ring in one pass).
"""
from __future__ import annotations

import torch.nn as nn

from ..nn.attention import CausalTransformer
from .charlm import DEFAULT_CHARS, CharLM


class CharTransformer(CharLM):
    """Token embedding, ``n_layers`` causal blocks with rotary positions, then o = W_out h; each position
    attends to the last ``context`` positions."""

    def __init__(self, chars: str = DEFAULT_CHARS, end_token: bool = False, d_model: int = 128, n_heads: int = 4,
                 n_layers: int = 4, d_mlp: int | None = None, context: int = 256):
        super().__init__(chars, end_token)
        self.context = context
        self.W_e = nn.Embedding(self.n_tokens, d_model)
        self.net = CausalTransformer(d_model, n_heads, n_layers, d_mlp, window=context)
        self.W_out = nn.Linear(d_model, self.n_tokens)
        for w in (self.W_e.weight, self.W_out.weight):
            nn.init.normal_(w, std=0.02)
        nn.init.zeros_(self.W_out.bias)

    def logits(self, x):
        return self.W_out(self.net(self.W_e(x)))

    def start(self, n):
        return self.net.new_cache(n)

    def read(self, x):
        """All of x [n, L] in one teacher-forced pass that also fills the KV cache (a prime)."""
        cache = self.start(x.shape[0])
        return self.W_out(self.net(self.W_e(x), cache)[:, -1]), cache

    def step(self, token, cache):
        return self.W_out(self.net.step(self.W_e(token), cache)), cache
