"""FVSBN: the fully visible sigmoid belief network.

    p(x) = prod_i p(x_i | x_<i),   p(x_i = 1 | x_<i) = sigma(alpha_{i,0} + sum_{j<i} alpha_{i,j} x_j)

One logistic regression per pixel over all the pixels before it (raster order): pixel i has i
parameters, so the model has exactly sum_i i = d(d+1)/2 of them (307,720 for d = 784).
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..sampling import Stepper
from .base import ImageAR


class FVSBN(ImageAR):
    def __init__(self, image_size: int = 28):
        super().__init__(image_size, n_values=2)
        d = self.num_pixels
        # row i of the [d, d+1] matrix [alpha_{i,0} | alpha_{i,1..i-1} 0...] as one packed vector
        self.alpha = nn.Parameter(torch.zeros(d * (d + 1) // 2))
        self.register_buffer("rows_cols", torch.tril_indices(d, d + 1), persistent=False)

    def alpha_matrix(self) -> torch.Tensor:
        """[d, d+1]: column 0 holds alpha_{i,0}, column j+1 the weight of x_j (zero for j >= i)."""
        d = self.num_pixels
        A = self.alpha.new_zeros(d, d + 1)
        A[self.rows_cols[0], self.rows_cols[1]] = self.alpha
        return A

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        x1 = torch.cat([torch.ones_like(x.flatten(1)[:, :1]), x.flatten(1)], dim=1)  # [B, 1 + d]
        return (x1 @ self.alpha_matrix().t()).view_as(x)

    def stepper(self, x):
        return FVSBNStepper(self, x)


class FVSBNStepper(Stepper):
    """Pixel i costs one dot product of length i: sigma(alpha_i . [1, x_<i])."""

    skippable = True

    def __init__(self, model: FVSBN, x):
        super().__init__(model, x)
        self.A = model.alpha_matrix()

    def __call__(self, i):
        pos = self.positions[i]
        x_before = self.x.flatten(1)[:, :pos]
        return (self.A[pos, 0] + x_before @ self.A[pos, 1:pos + 1])[:, None]
