"""RNADE: the real-valued neural autoregressive density estimator (Uria, Murray & Larochelle, 2013).

A density over y in [0, 1]^D (D = H * W, raster order), factorized like NADE's:

    p_c(y) = prod_{i=1}^{D} p(y_i | y_<i),
    p(y_i | y_<i) = sum_{k=1}^{K} pi_ik  N_[0,1](y_i; mu_ik, sigma_ik),
    h_i = sigma(rho_i a_i),   a_i = c + W_{:,<i} y_<i   (so a_{i+1} = a_i + W_{:,i} y_i, a_1 = c),
    pi_i = softmax(V^alpha_i h_i + b^alpha_i),  mu_i = sigma(V^mu_i h_i + b^mu_i),
    sigma_i = exp(V^sigma_i h_i + b^sigma_i)  (log sigma clamped to [-9, 1]),

with W [h, D] and c [h] tied across the D conditionals (all pre-activations a_i cost O(Dh) in one
cumulative sum; a sampling step updates a running a in O(h)), one activation scale rho_i per pixel (the
paper's "activation rescaling") and per-pixel output weights V [D, h, 3K] = [V^alpha | V^mu | V^sigma],
b [D, 3K]. N_[0,1] is a Gaussian truncated to [0, 1] (renormalized by Phi((1 - mu)/sigma) - Phi(-mu/sigma)),
so p_c integrates to exactly 1 over [0, 1]^D and every sample lies in it; with mu in [0, 1] that
normalizer stays above 0.14 (no tail arithmetic anywhere).

Discrete units (so that RNADE sits in the same table as the 8-bit PixelCNN): an 8-bit image x (0..255) is
dequantized, y = (x + u) / 256 with u ~ U[0, 1)^D, and

    ``log_prob(x)`` = log p_c((x + u) / 256) - D log 256   (nats),

a one-sample estimate of E_u[log p_c] - D log 256 <= log P(x), where P(x) = int over x's bin of p_c(y) dy
(Jensen): NLL and bits/dim are upper bounds on the discrete model's P(x), directly comparable with the
softmax models'. In training mode u is fresh on every call; in eval mode it is one fixed field
(``eval_noise``, drawn from seed 0), so figures are deterministic and an image's log_prob does not depend
on the batch it is in. ``log_density(y)`` is log p_c itself.

The canvas (``logits``, ``stepper``, ``sample``) holds continuous gray levels v = 256 y - 1/2 in
[-1/2, 255.5): an integer image x is the centre of its bins, y = ``scale(x)`` = (x + 1/2) / 256, and the
gray level shown (``viz.to_uint8`` rounds) is round(v) = floor(256 y). ``logits(x)`` returns the
mixture parameters of every conditional given the canvas x, [B, 3K, H, W] = [log pi | mu | log sigma];
``draw`` samples from that mixture (temperature T scales every sigma; T = 0 takes the mu of the most
likely component, i.e. its mode) and returns (v, E[y]) with E[y] in [0, 1] under the tempered mixture;
``distribution`` gives the probability of each of the 256 gray levels.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
from torch.special import ndtr, ndtri

from ..sampling import Stepper
from .base import ImageAR

LOG_SIGMA_MIN, LOG_SIGMA_MAX = -9.0, 1.0
Y_MAX = 1.0 - 2.0 ** -20  # largest sampled y: v = 256 y - 1/2 stays below 255.5 in float32
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def truncated_normal_log_pdf(y: torch.Tensor, mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """log N_[0,1](y; mu, sigma) for y in [0, 1], mu in [0, 1] (broadcast)."""
    sigma = log_sigma.exp()
    z = (y - mu) / sigma
    mass = ndtr((1 - mu) / sigma) - ndtr(-mu / sigma)
    return -0.5 * z * z - log_sigma - HALF_LOG_2PI - mass.log()


class RNADE(ImageAR):
    def __init__(self, image_size: int = 28, hidden: int = 100, components: int = 10):
        super().__init__(image_size, n_values=256)
        d, k = self.num_pixels, components
        self.hidden, self.components = hidden, components
        self.W = nn.Parameter(torch.randn(hidden, d) * d ** -0.5)
        self.c = nn.Parameter(torch.zeros(hidden))
        self.rho = nn.Parameter(torch.ones(d))
        self.V = nn.Parameter(torch.randn(d, hidden, 3 * k) * (0.1 * hidden ** -0.5))
        b = torch.zeros(d, 3 * k)
        b[:, k:2 * k] = torch.logit((torch.arange(k) + 0.5) / k)    # means spread over [0, 1]
        b[:, 2 * k:] = math.log(0.5 / k)
        self.b = nn.Parameter(b)
        noise = torch.rand(1, 1, image_size, image_size, generator=torch.Generator().manual_seed(0))
        self.register_buffer("eval_noise", noise, persistent=False)

    @property
    def out_channels(self) -> int:
        return 3 * self.components

    def scale(self, x: torch.Tensor) -> torch.Tensor:
        """y in [0, 1] from canvas values v (gray levels, continuous): (v + 1/2) / 256."""
        return (x + 0.5) / 256

    # -- the network -------------------------------------------------------------------------------
    def params(self, raw: torch.Tensor) -> torch.Tensor:
        """[..., 3K] output pre-activations -> [log pi | mu | log sigma]."""
        k = self.components
        return torch.cat([torch.log_softmax(raw[..., :k], -1), torch.sigmoid(raw[..., k:2 * k]),
                          raw[..., 2 * k:].clamp(LOG_SIGMA_MIN, LOG_SIGMA_MAX)], -1)

    def conditionals(self, y: torch.Tensor) -> torch.Tensor:
        """[log pi | mu | log sigma] of every p(y_i | y_<i) for y [B, D] in [0, 1]: [B, D, 3K] (teacher forced)."""
        steps = y[:, :, None] * self.W.t()                              # W_{:,i} y_i   [B, D, h]
        a = torch.cumsum(steps, 1)
        a = torch.cat([torch.zeros_like(a[:, :1]), a[:, :-1]], 1) + self.c  # a_i = c + sum_{j<i} W_{:,j} y_j
        h = torch.sigmoid(self.rho[:, None] * a)
        raw = torch.bmm(h.transpose(0, 1), self.V).transpose(0, 1) + self.b
        return self.params(raw)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Mixture parameters [B, 3K, H, W] = [log pi | mu | log sigma] given the canvas x (gray levels)."""
        out = self.conditionals(self.scale(x).flatten(1))
        return out.transpose(1, 2).reshape(x.shape[0], self.out_channels, *x.shape[2:])

    def mixture_log_prob(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """log p(y_i | .) from parameters out [..., 3K] and y [...]."""
        k = self.components
        log_pi, mu, log_sigma = out[..., :k], out[..., k:2 * k], out[..., 2 * k:]
        return torch.logsumexp(log_pi + truncated_normal_log_pdf(y[..., None], mu, log_sigma), -1)

    # -- likelihoods -------------------------------------------------------------------------------
    def pixel_log_density(self, y: torch.Tensor) -> torch.Tensor:
        """log p(y_i | y_<i) for y [B, 1, H, W] in [0, 1]: [B, 1, H, W] (nats)."""
        flat = y.flatten(1).float()
        return self.mixture_log_prob(self.conditionals(flat), flat).view_as(y)

    def log_density(self, y: torch.Tensor) -> torch.Tensor:
        """log p_c(y) in nats for y [B, 1, H, W] in [0, 1]^D: [B]."""
        return self.pixel_log_density(y).flatten(1).sum(1)

    def dequantize(self, x: torch.Tensor) -> torch.Tensor:
        """y = (x + u) / 256 for gray levels x (rounded, 0..255): u fresh in training, ``eval_noise`` in eval."""
        g = x.float().round().clamp(0, 255)
        u = torch.rand_like(g) if self.training else self.eval_noise.to(g.dtype).expand_as(g)
        return (g + u) / 256

    def pixel_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(y_i | y_<i) - log 256 at y = dequantize(x): [B, 1, H, W], summing to ``log_prob``."""
        return self.pixel_log_density(self.dequantize(x)) - math.log(256)

    # -- sampling ----------------------------------------------------------------------------------
    def _tempered(self, out: torch.Tensor, temperature: float):
        k = self.components
        out = out.double()
        log_pi, mu, sigma = out[:, :k], out[:, k:2 * k], out[:, 2 * k:].exp() * temperature
        return log_pi, mu, sigma, ndtr(-mu / sigma), ndtr((1 - mu) / sigma)

    def _mode(self, out: torch.Tensor) -> torch.Tensor:
        k = self.components
        return out[:, k:2 * k].gather(1, out[:, :k].argmax(1, keepdim=True))[:, 0].clamp(0, Y_MAX)

    def draw(self, out: torch.Tensor, temperature: float = 1.0, generator: torch.Generator | None = None):
        """(v [n], E[y] [n]) from the mixtures out [n, 3K]: v = 256 y - 1/2 with y drawn from the tempered
        mixture (component by pi, then the truncated Gaussian by inverting its CDF); T = 0: y = the mu of the
        most likely component."""
        if temperature <= 0:
            y = self._mode(out.float())
            return 256 * y - 0.5, y
        log_pi, mu, sigma, lo, hi = self._tempered(out, temperature)
        pick = torch.multinomial(log_pi.exp(), 1, generator=generator)
        r = torch.rand(out.shape[0], 1, generator=generator, device=out.device, dtype=torch.float64)
        u = lo.gather(1, pick) + r * (hi - lo).gather(1, pick)
        y = (mu.gather(1, pick) + sigma.gather(1, pick) * ndtri(u))[:, 0].clamp(0, Y_MAX)
        phi = lambda t: torch.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)  # noqa: E731
        means = mu + sigma * (phi(-mu / sigma) - phi((1 - mu) / sigma)) / (hi - lo)
        expected = (log_pi.exp() * means).sum(1).clamp(0, 1)
        return (256 * y - 0.5).float(), expected.float()

    def distribution(self, out: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """[n, 256] probability of each gray level floor(256 y) under the tempered mixture (T = 0: one-hot
        at the mode's level)."""
        if temperature <= 0:
            level = (256 * self._mode(out.float())).floor().long()
            return torch.nn.functional.one_hot(level, self.n_values).float()
        log_pi, mu, sigma, lo, hi = self._tempered(out, temperature)
        edges = torch.arange(self.n_values + 1, device=out.device, dtype=torch.float64) / self.n_values
        cdf = ((ndtr((edges - mu[..., None]) / sigma[..., None]) - lo[..., None]) / (hi - lo)[..., None]).clamp(0, 1)
        return (log_pi.exp()[..., None] * cdf.diff(dim=-1)).sum(1).float()

    def stepper(self, x):
        return RNADEStepper(self, x)


class RNADEStepper(Stepper):
    """O(h) per pixel: a += W_{:,i-1} y_{i-1}, then the mixture parameters from sigma(rho_i a)."""

    def __init__(self, model: RNADE, x):
        super().__init__(model, x)
        self.a = model.c.detach().expand(x.shape[0], -1).clone()

    def __call__(self, i):
        m, pos = self.model, self.positions[i]
        if i > 0:
            prev = self.positions[i - 1]
            self.a += m.scale(self.x.flatten(1)[:, prev, None]) * m.W[:, prev]
        h = torch.sigmoid(m.rho[pos] * self.a)
        return m.params(h @ m.V[pos] + m.b[pos])
