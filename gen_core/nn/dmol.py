"""Discretized mixture of logistics (DMOL, Salimans et al. 2017): a distribution over K ordered levels.

A pixel value x in 0..K-1 is placed at u = x / (K - 1) in [0, 1]; its bin is [u - h, u + h] with
h = 1 / (2 (K - 1)), except that the lowest bin reaches down to -inf and the highest up to +inf.
With M logistic components (weights pi_m, centres mu_m, scales s_m) and the logistic CDF sigma,

    p(x) = sum_m pi_m [sigma((u + h - mu_m) / s_m) - sigma((u - h - mu_m) / s_m)],

the first term read as 1 for x = K - 1 and the second as 0 for x = 0, so the K masses telescope
to exactly 1. A handful of components (3M numbers) describes a smooth, peaked distribution over
256 levels that a softmax would need 256 logits for, and neighbouring levels share their
probability mass: 127 and 128 are near each other, which a softmax has to learn.

The bin mass is computed in the log domain: for a = (u + h - mu) / s > b = (u - h - mu) / s,

    log(sigma(a) - sigma(b)) = log sigma(a) + log sigma(-b) + log(1 - e^{b - a}),

exact for every a > b: nothing subtracts nearly equal numbers (a - b is taken as 2h / s, not as a difference).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

MIN_LOG_SCALE = -8.0  # s >= e^-8 ~ 3e-4, a tenth of a bin of 256 levels: sharp enough, never degenerate


def split(params: torch.Tensor):
    """(log pi, mu, log s), each [.., M, ..], from parameters [.., 3M, ..] along dim 1 (in float32 at least)."""
    logit_pi, mu, log_s = params.to(torch.promote_types(params.dtype, torch.float32)).chunk(3, dim=1)
    return torch.log_softmax(logit_pi, dim=1), mu, log_s.clamp(min=MIN_LOG_SCALE)


def log_prob(params: torch.Tensor, x: torch.Tensor, n_values: int) -> torch.Tensor:
    """log p(x) (nats) for levels x in 0..K-1, broadcast against the parameters [B, 3M, ...] along dim 1
    (x has size 1 there); the result keeps that dim with size 1."""
    log_pi, mu, log_s = split(params)
    h = 0.5 / (n_values - 1)
    inv_s = torch.exp(-log_s)
    u = x / (n_values - 1)
    a, b = (u + h - mu) * inv_s, (u - h - mu) * inv_s
    interior = F.logsigmoid(a) + F.logsigmoid(-b) + torch.log(-torch.expm1(-2 * h * inv_s))  # a - b = 2h / s
    log_mass = torch.where(x == 0, F.logsigmoid(a), torch.where(x == n_values - 1, F.logsigmoid(-b), interior))
    return torch.logsumexp(log_pi + log_mass, dim=1, keepdim=True)


def level_log_probs(params: torch.Tensor, n_values: int) -> torch.Tensor:
    """log p(x = l) for every level l = 0..K-1: [n, K] from one pixel's parameters [n, 3M]."""
    levels = torch.arange(n_values, device=params.device, dtype=params.dtype)
    return log_prob(params[:, :, None], levels[None, None], n_values)[:, 0]
