"""NADE: the neural autoregressive density estimator (Larochelle & Murray, 2011).

    p(x_i = 1 | x_<i) = sigma(alpha_i . h_i + b_i),   h_i = sigma(c + W_{:,<i} x_<i)

The weights W [h, d] and c [h] are tied across all d conditionals, so the pre-activations
a_i = c + W_{:,<i} x_<i obey a_{i+1} = a_i + W_{:,i} x_i: all d conditionals cost O(dh) in one
pass (a cumulative sum), and sampling keeps a running a instead of redoing d forward passes.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..sampling import Stepper
from .base import ImageAR


class NADE(ImageAR):
    def __init__(self, image_size: int = 28, hidden: int = 500):
        super().__init__(image_size, n_values=2)
        d = self.num_pixels
        self.W = nn.Parameter(torch.randn(hidden, d) * d ** -0.5)
        self.c = nn.Parameter(torch.zeros(hidden))
        self.alpha = nn.Parameter(torch.randn(d, hidden) * hidden ** -0.5)
        self.b = nn.Parameter(torch.zeros(d))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        xs = x.flatten(1)                                                   # [B, d]
        running = torch.cumsum(xs[:, :-1, None] * self.W.t()[None, :-1], dim=1)  # sum_{j<=i} W_{:,j} x_j
        a = torch.cat([self.c.expand(len(xs), 1, -1), self.c + running], dim=1)  # a_i = c + sum_{j<i}
        h = torch.sigmoid(a)                                                # h_i  [B, d, h]
        return (torch.einsum("bdh,dh->bd", h, self.alpha) + self.b).view_as(x)

    def stepper(self, x):
        return NADEStepper(self, x)


class NADEStepper(Stepper):
    """O(h) per pixel: a += W_{:,i-1} x_{i-1}, then sigma(alpha_i . sigma(a) + b_i)."""

    def __init__(self, model: NADE, x):
        super().__init__(model, x)
        self.a = model.c.expand(x.shape[0], -1).clone()

    def __call__(self, i):
        m, pos = self.model, self.positions[i]
        if i > 0:
            prev = self.positions[i - 1]
            self.a += self.x.flatten(1)[:, prev, None] * m.W[:, prev]
        h = torch.sigmoid(self.a)
        return (h @ m.alpha[pos] + m.b[pos])[:, None]
