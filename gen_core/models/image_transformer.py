"""Image transformer: conditionals from masked (causal) self-attention over the pixel sequence.

    p(x) = prod_{i=1}^{D} p(x_i | x_1, ..., x_{i-1})   (raster order, D = H * W)

The image is read as a sequence of D tokens shifted right by one: token i is a learned start
token for i = 1 and the value x_{i-1} otherwise, embedded (one table over the K values plus the
start token) and added to the learned position embedding of pixel i, row(r_i) + col(c_i). A stack
of pre-LayerNorm causal transformer blocks (``gen_core.nn.CausalTransformer``) lets output i see
tokens 1..i, i.e. exactly x_<i; a linear head turns it into one Bernoulli logit (binary) or K logits
(a softmax). All D conditionals come out of one forward pass, at O(D^2) attention cost.

Sampling keeps every layer's keys and values (a KV cache): pixel i runs only token i through the
layers, attending to the cached k, v of tokens 1..i-1, instead of recomputing all D positions.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..nn import CausalTransformer
from ..sampling import Stepper
from .base import ImageAR


class ImageTransformer(ImageAR):
    def __init__(self, *, image_size: int = 28, n_values: int = 2, d_model: int = 64, n_heads: int = 4,
                 n_layers: int = 3, d_mlp: int = 128):
        super().__init__(image_size, n_values)
        self.start = n_values                                   # token id of the start token
        self.embed = nn.Embedding(n_values + 1, d_model)
        nn.init.normal_(self.embed.weight, std=0.02)
        self.pos_row = nn.Parameter(0.02 * torch.randn(image_size, d_model))
        self.pos_col = nn.Parameter(0.02 * torch.randn(image_size, d_model))
        self.transformer = CausalTransformer(d_model, n_heads, n_layers, d_mlp)
        self.head = nn.Linear(d_model, self.out_channels)

    def pos(self) -> torch.Tensor:
        """Position embeddings row(r) + col(c) of the D pixels in raster order: [D, d_model]."""
        return (self.pos_row[:, None] + self.pos_col[None]).flatten(0, 1)

    def embed_values(self, values: torch.Tensor) -> torch.Tensor:
        """Embeddings of pixel values [B, L] (0..K-1): the table's rows, read as a linear interpolation
        between neighbouring levels, which equals the row exactly at every level and lets the gradient
        reach the pixels (``gen_core.receptive_field``)."""
        low = values.detach().floor().clamp(0, self.n_values - 1)
        frac = (values - low)[..., None]
        high = (low + 1).clamp(max=self.n_values - 1)
        return self.embed(low.long()) * (1 - frac) + self.embed(high.long()) * frac

    def logits(self, x):
        B, size = x.shape[0], self.image_size
        values = x.flatten(1)
        start = self.embed.weight[self.start].expand(B, 1, -1)
        h = self.transformer(torch.cat([start, self.embed_values(values[:, :-1])], dim=1) + self.pos())  # shift right
        return self.head(h).transpose(1, 2).reshape(B, self.out_channels, size, size)

    def stepper(self, x):
        return ImageTransformerStepper(self, x)


class ImageTransformerStepper(Stepper):
    """Incremental image transformer: token i through every layer against a KV cache of tokens < i."""

    def __init__(self, model: ImageTransformer, x):
        super().__init__(model, x)
        self.cache = model.transformer.new_cache(x.shape[0], model.num_pixels)
        self.pos = model.pos()

    def __call__(self, i):
        m, n = self.model, self.x.shape[0]
        if i == 0:
            token = self.x.new_full((n,), m.start, dtype=torch.long)
        else:  # the pixel drawn last is the new token
            token = self.x.flatten(1)[:, self.positions[i - 1]].long()
        h = m.transformer.step(m.embed(token) + self.pos[self.positions[i]], self.cache)
        return m.head(h)
