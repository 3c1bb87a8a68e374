"""PixelCNN with a discretized mixture of logistics (in the style of PixelCNN++, Salimans et al. 2017).

    p(x) = prod_i p(x_i | x_1, ..., x_{i-1})   (raster order, x_i in 0..255)

    p(x_i | x_<i) = sum_m pi_m [sigma((u_i + h - mu_m) / s_m) - sigma((u_i - h - mu_m) / s_m)],

u_i = x_i / 255, h = 1/510, with the lowest level's bin open to -inf and the highest's to +inf
(``gen_core.nn.dmol``). The conditionals come from the Gated PixelCNN backbone (no blind spot,
``gated_pixelcnn``); its 1x1 head outputs 3M numbers per pixel, (logit pi_m, mu_m, log s_m) for M
components, where the 8-bit PixelCNN's softmax needs 256 logits.

Training and the test NLL use the closed form above. For sampling, the conditional's 256 level
probabilities are computed exactly from the 3M parameters, so the one sampling loop, its
temperature (p^(1/T), renormalized) and the distribution inspector see an ordinary 256-way
distribution.
"""
from __future__ import annotations

import torch

from .. import sampling
from ..nn import dmol
from .gated_pixelcnn import GatedPixelCNN


class PixelCNNDMOL(GatedPixelCNN):
    """Gated PixelCNN whose per-pixel output is a mixture of ``mixtures`` discretized logistics."""

    def __init__(self, image_size: int = 28, n_values: int = 256, mixtures: int = 5, **backbone):
        self.mixtures = mixtures  # read by out_channels while the head is built
        super().__init__(image_size, n_values, **backbone)

    @property
    def out_channels(self) -> int:
        """(logit pi_m, mu_m, log s_m) for each of the M components."""
        return 3 * self.mixtures

    def pixel_log_prob(self, x):
        return dmol.log_prob(self.logits(x), x, self.n_values)

    def level_logits(self, out: torch.Tensor) -> torch.Tensor:
        """log p(x = l | x_<i) for the K levels l [n, K] from one step's output [n, 3M]: softmax logits."""
        return dmol.level_log_probs(out, self.n_values)

    def draw(self, out, temperature=1.0, generator=None):
        return sampling.draw(self.level_logits(out), self.n_values, temperature, generator)

    def distribution(self, out, temperature=1.0):
        return sampling.distribution(self.level_logits(out), self.n_values, temperature)
