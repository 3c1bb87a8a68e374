"""The histogram baseline: every pixel independent, one histogram per pixel.

    p(x) = prod_i p_i(x_i),   p_i(v) = softmax(theta_i)_v   (binary: p_i(1) = sigma(theta_i))

A trivial member of the autoregressive family: the conditional p(x_i | x_<i) ignores its context,
so the model has one logit vector per pixel and nothing else (d = 784 parameters for binary images,
784 * 256 = 200,704 for 8-bit ones), a sample is 784 independent draws, and the stepper is a look-up.

Why not one histogram over whole images? A histogram is a table with a bin per possible value, and
an image has 2^784 ~ 10^236 possible binary values (256^784 ~ 10^1888 for 8-bit ones): the table
cannot be stored, and the 55,000 training images would fill at most 55,000 of its bins, so the
maximum-likelihood histogram puts all its mass on the training images and gives every other image
(every test image) probability 0. Assuming the pixels independent divides the table into 784
histograms of 2 (or 256) bins each, which 55,000 images estimate well -- at the price of modelling
no dependence between pixels at all (samples look like noise around the mean image). The
autoregressive models keep the chain rule exact and share parameters instead.

Training. The objective is convex in theta. Maximum likelihood is counting, p_i(v) = n_i(v) / N,
which gives probability 0 (logit -inf) to any value never seen at a pixel, and Adam would push those
logits down without bound. The loss therefore adds a symmetric Dirichlet prior: ``smoothing`` = alpha
pseudo-counts per bin spread over the ``n_train`` images of the training set,

    loss = -1/B sum_b log p(x_b) - (alpha / n_train) sum_i sum_v log p_i(v),

whose minimum over theta is exactly the add-alpha estimate p_i(v) = (n_i(v) + alpha) / (N + K alpha)
when the data has N = n_train images (``counting_logits`` computes it from counts). ``log_prob``
(validation, test, the app) is the plain likelihood.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..sampling import Stepper
from .base import ImageAR


class Histogram(ImageAR):
    context_free = True  # p(x_i | x_<i) = p_i(x_i): no conditional looks at any other pixel

    def __init__(self, image_size: int = 28, n_values: int = 2, smoothing: float = 0.5, n_train: int = 55_000):
        super().__init__(image_size, n_values)
        if smoothing < 0 or n_train < 1:
            raise ValueError("smoothing must be >= 0 and n_train >= 1")
        self.smoothing, self.n_train = smoothing, n_train
        # theta: [out_channels, H, W], zeros = the uniform distribution at every pixel
        self.theta = nn.Parameter(torch.zeros(self.out_channels, image_size, image_size))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.theta.expand(x.shape[0], -1, -1, -1)

    def pixel_log_probs(self) -> torch.Tensor:
        """log p_i(v) of every value v at every pixel: [K, H, W] (binary: K = 2, row v = 0 then v = 1)."""
        if self.n_values == 2:
            return torch.stack([nn.functional.logsigmoid(-self.theta[0]), nn.functional.logsigmoid(self.theta[0])])
        return torch.log_softmax(self.theta, dim=0)

    def pixel_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p_i(x_i) [B, 1, H, W]: a look-up in ``pixel_log_probs`` (the same numbers as from ``logits``,
        without materializing K logits per pixel per image)."""
        table = self.pixel_log_probs().flatten(1)  # [K, D]
        return table.gather(0, x.flatten(1).long()).view_as(x)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        nll = -self.log_prob(x).mean()
        if not self.smoothing:
            return nll
        return nll - self.smoothing / self.n_train * self.pixel_log_probs().sum()

    def stepper(self, x):
        return HistogramStepper(self, x)

    @staticmethod
    def counting_logits(x: torch.Tensor, n_values: int, smoothing: float = 0.5) -> torch.Tensor:
        """The closed-form optimum: theta of the add-``smoothing`` estimate (n_i(v) + alpha) / (N + K alpha)
        from images x [N, 1, H, W] holding 0..K-1 (a ``theta``-shaped tensor, float32)."""
        x = x[:, 0].long()
        counts = torch.stack([(x == v).sum(0) for v in range(n_values)]).double() + smoothing  # [K, H, W]
        log_p = (counts / counts.sum(0, keepdim=True)).log()
        return (log_p[1:] - log_p[:1] if n_values == 2 else log_p).float()


class HistogramStepper(Stepper):
    """Pixel i's logits do not depend on the canvas: a look-up."""

    skippable = True

    def __call__(self, i):
        pos = self.positions[i]
        theta = self.model.theta.flatten(1)[:, pos]
        return theta.expand(self.x.shape[0], -1)
