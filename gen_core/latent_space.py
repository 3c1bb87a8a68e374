"""Moving through a latent space: the maths behind the Latent tab (``demo.latent`` draws it).

* ``limits``: the range each latent coordinate may take, +-4 sigma around the centre of the codes'
  distribution (``model.code_distribution``: the prior N(0, 1) for a VAE; for an autoencoder, with no
  prior, the mean and standard deviation of the test images' codes). Values beyond are clipped.
* ``encode``: an image's code, the posterior mean for a VAE; ``decode``: z -> E[x | z, y] = sigma(g(z, y)).
* ``manifold`` / ``plane_position``: for a 2-D latent, the decodings of a grid of z over the +-4 sigma
  square, and where a code lies on that square.
* ``elbo_report``: the ELBO of one image split into its reconstruction and KL terms.
* ``interpolate``: decodings of z_lambda = lambda z_1 + (1 - lambda) z_0.
"""
from __future__ import annotations

import torch

SIGMAS = 4.0          # sliders span +-4 sigma
GRID_POINTS = 11      # manifold: 11 x 11 decodings over the square


def limits(model) -> tuple[torch.Tensor, torch.Tensor]:
    """(low, high) [z_dim] of each latent coordinate: +-4 sigma around its centre."""
    mean, std = model.code_distribution()
    std = std.clamp(min=1e-3)
    return mean - SIGMAS * std, mean + SIGMAS * std


def centre_and_spread(model) -> tuple[torch.Tensor, torch.Tensor]:
    """(centre, sigma) [z_dim] of the slider ranges: where a code eps ~ N(0, I) is moved to, centre + sigma * eps."""
    low, high = limits(model)
    return (low + high) / 2, (high - low) / (2 * SIGMAS)


def clip(model, z: torch.Tensor) -> torch.Tensor:
    """z [z_dim] (or [B, z_dim]) with every coordinate clipped to ``limits``."""
    low, high = limits(model)
    return torch.minimum(torch.maximum(z.float(), low), high)


def label_tensor(model, y: int | None, n: int = 1) -> torch.Tensor | None:
    """The class y repeated n times for a conditional model; None for the others."""
    return torch.full((n,), int(y), dtype=torch.long) if model.conditional else None


@torch.no_grad()
def encode(model, x: torch.Tensor, y: int | None = None) -> torch.Tensor:
    """The code of one binary image [1, 1, 28, 28] (a VAE's posterior mean), not clipped: [z_dim] on the CPU."""
    return model.encode(x.to(model.device), label_tensor(model, y))[0].float().cpu()


def decode(model, z: torch.Tensor, y: int | None = None) -> torch.Tensor:
    """E[x | z, y] for one code z [z_dim], clipped to the slider range: [1, 1, 28, 28] in [0, 1]."""
    return model.mean_image(clip(model, z)[None], label_tensor(model, y))


def manifold(model, y: int | None = None) -> torch.Tensor:
    """E[x | z, y] for a GRID_POINTS^2 grid of 2-D codes over the +-4 sigma square, row by row: z_1 left to
    right, z_2 from high (top) to low: [GRID_POINTS^2, 1, 28, 28]."""
    low, high = limits(model)
    z1 = torch.linspace(float(low[0]), float(high[0]), GRID_POINTS)
    z2 = torch.linspace(float(high[1]), float(low[1]), GRID_POINTS)
    z = torch.stack(torch.meshgrid(z2, z1, indexing="ij")[::-1], -1).view(-1, 2)
    return model.mean_image(z, label_tensor(model, y, len(z)))


def plane_position(model, z: torch.Tensor) -> tuple[float, float]:
    """(from the left, from the top) of a 2-D code z on the +-4 sigma square, each clipped to [0, 1]."""
    low, high = (t.numpy() for t in limits(model))
    u = (float(z[0]) - low[0]) / (high[0] - low[0])
    v = (high[1] - float(z[1])) / (high[1] - low[1])
    return float(min(max(u, 0), 1)), float(min(max(v, 0), 1))


@torch.no_grad()
def elbo_report(model, x: torch.Tensor, y: int | None = None, n_samples: int = 64, seed: int = 0) -> dict:
    """ELBO terms of one binary image [1, 1, 28, 28] in nats: E_q[log p(x|z)] (n_samples reparametrized z), KL, ELBO."""
    g = torch.Generator(model.device).manual_seed(seed)
    reconstruction, kl = model.elbo_terms(x.to(model.device), label_tensor(model, y), n_samples, g)
    r, k = float(reconstruction), float(kl)
    return {"reconstruction": r, "kl": k, "elbo": r - k, "samples": n_samples}


@torch.no_grad()
def interpolate(model, z0: torch.Tensor, z1: torch.Tensor, steps: int, y: int | None = None) -> torch.Tensor:
    """E[x | z_lambda] for z_lambda = lambda z_1 + (1 - lambda) z_0, lambda = 0 .. 1: [steps, 1, 28, 28]."""
    lam = torch.linspace(0, 1, steps)[:, None]
    return model.mean_image(lam * z1 + (1 - lam) * z0, label_tensor(model, y, steps))
