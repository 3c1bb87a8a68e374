"""Moving through a latent space: what the Latent tab computes, without any UI.

* ``limits``: the range each latent coordinate may take, +-4 sigma around the centre of its
  distribution: the prior N(0, 1) for a VAE; for an autoencoder (no prior) the mean +- 4 standard
  deviations of the test images' codes recorded in the sidecar. Values beyond are clipped.
* ``decode``: z -> E[x | z, y] = sigma(g(z, y)), one image, deterministic.
* ``Plane``: for a 2-D latent, the manifold (decodings of a grid of z over the +-4 sigma square)
  and the scatter plot of the test images' posterior means coloured by class on the same square,
  both drawn once; ``mark(z)`` only paints a marker where z is on the scatter, cheap enough (with its
  PNG encoding) for every slider move.
* ``elbo_report``: the ELBO of one image split into its reconstruction and KL terms.
* ``interpolate``: decodings of z_lambda = lambda z_1 + (1 - lambda) z_0.
"""
from __future__ import annotations

import io

import matplotlib
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from .models.vae import VAE
from .viz import grid, to_uint8, upscale

SIGMAS = 4.0          # sliders span +-4 sigma
GRID_POINTS = 11      # manifold: 11 x 11 decodings over the square
SCALE = 6             # one decoded image, enlarged for display
MARK = (230, 30, 30)
_TAB10 = (np.asarray(matplotlib.colormaps["tab10"].colors) * 255).astype(np.uint8)


def limits(model) -> tuple[torch.Tensor, torch.Tensor]:
    """(low, high) [z_dim] of each latent coordinate: +-4 sigma around its centre."""
    if isinstance(model, VAE):  # p(z) = N(0, I)
        return torch.full((model.z_dim,), -SIGMAS), torch.full((model.z_dim,), SIGMAS)
    meta = getattr(model, "meta", {})
    mean = torch.tensor(meta.get("latent_mean", [0.0] * model.z_dim))
    std = torch.tensor(meta.get("latent_std", [1.0] * model.z_dim)).clamp(min=1e-3)
    return mean - SIGMAS * std, mean + SIGMAS * std


def clip(model, z: torch.Tensor) -> torch.Tensor:
    """z [z_dim] (or [B, z_dim]) with every coordinate clipped to ``limits``."""
    low, high = limits(model)
    return torch.minimum(torch.maximum(z.float(), low), high)


def label_tensor(model, y: int | None, n: int = 1) -> torch.Tensor | None:
    return torch.full((n,), int(y), dtype=torch.long) if model.conditional else None


def decode(model, z: torch.Tensor, y: int | None = None) -> torch.Tensor:
    """E[x | z, y] for one code z [z_dim], clipped to the slider range: [1, 1, 28, 28] in [0, 1]."""
    return model.mean_image(clip(model, z)[None], label_tensor(model, y))


def picture(x: torch.Tensor, nrow: int | None = None, scale: int = SCALE) -> np.ndarray:
    """Images in [0, 1] [B, 1, 28, 28] -> an enlarged grayscale RGB picture."""
    g = upscale(grid(to_uint8(x, 2), nrow), scale)
    return np.repeat(g[..., None], 3, -1)


def png_bytes(a: np.ndarray) -> bytes:
    """The PNG encoding of a picture (what the app sends for every update)."""
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="png")
    return buf.getvalue()


def draw_marker(a: np.ndarray, row: float, col: float, radius: int = 7) -> np.ndarray:
    """A red ring with a dot at (row, col) on a copy of an RGB picture (clipped to the picture)."""
    out = a.copy()
    h, w = out.shape[:2]
    top, left = max(0, int(row) - radius - 1), max(0, int(col) - radius - 1)  # only the patch around it
    patch = out[top:int(row) + radius + 2, left:int(col) + radius + 2]
    rr, cc = np.ogrid[top:top + patch.shape[0], left:left + patch.shape[1]]
    d2 = (rr - row) ** 2 + (cc - col) ** 2
    patch[((d2 <= radius ** 2) & (d2 >= (radius - 2) ** 2)) | (d2 <= 4)] = MARK
    return out


class Plane:
    """The 2-D latent plane of one model (and class): manifold | scatter, with ``mark(z)``."""

    def __init__(self, model, mu: torch.Tensor, labels: torch.Tensor, y: int | None = None,
                 class_names: tuple[str, ...] = ()):
        if model.z_dim != 2:
            raise ValueError("the latent plane needs a 2-D latent space")
        self.low, self.high = (t.numpy() for t in limits(model))
        self.manifold = self.draw_manifold(model, y)
        self.scatter = self.draw_scatter(mu.float().numpy(), labels.numpy(), class_names, self.manifold.shape[0])

    def draw_manifold(self, model, y) -> np.ndarray:
        """Decodings of z on a GRID_POINTS^2 grid, z_1 left to right, z_2 bottom to top (grey borders)."""
        z1 = torch.linspace(float(self.low[0]), float(self.high[0]), GRID_POINTS)
        z2 = torch.linspace(float(self.high[1]), float(self.low[1]), GRID_POINTS)
        z = torch.stack(torch.meshgrid(z2, z1, indexing="ij")[::-1], -1).view(-1, 2)
        x = model.mean_image(z, label_tensor(model, y, len(z)))
        return picture(x, GRID_POINTS, scale=1)

    def draw_scatter(self, mu, labels, class_names, size: int) -> np.ndarray:
        """The posterior means of the test images, coloured by class, on the same square as the manifold."""
        fig = Figure(figsize=(size / 100, size / 100), dpi=100)
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.scatter(mu[:, 0], mu[:, 1], c=_TAB10[labels % 10] / 255, s=1.5, linewidths=0)
        ax.set_xlim(self.low[0], self.high[0])
        ax.set_ylim(self.low[1], self.high[1])
        ax.axhline(0, color="#bbb", lw=0.5)
        ax.axvline(0, color="#bbb", lw=0.5)
        ax.set_xticks([])
        ax.set_yticks([])
        present = sorted(set(labels.tolist()) & set(range(len(class_names))))
        for row, k in enumerate(present):  # a legend of the classes shown, coloured names down the left edge
            ax.text(0.01, 0.98 - 0.045 * row, class_names[k], color=_TAB10[k % 10] / 255, fontsize=7,
                    transform=ax.transAxes, va="top", fontweight="bold")
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())[..., :3].copy()

    def fraction(self, z: torch.Tensor) -> tuple[float, float]:
        """(from the left, from the top) of z in the square, each in [0, 1]."""
        u = (float(z[0]) - self.low[0]) / (self.high[0] - self.low[0])
        v = (self.high[1] - float(z[1])) / (self.high[1] - self.low[1])
        return float(np.clip(u, 0, 1)), float(np.clip(v, 0, 1))

    def mark(self, z: torch.Tensor) -> np.ndarray:
        """The scatter plot with the current z marked (the manifold beside it does not change)."""
        u, v = self.fraction(z)
        h, w = self.scatter.shape[:2]
        return draw_marker(self.scatter, v * (h - 1), u * (w - 1))


@torch.no_grad()
def elbo_report(model: VAE, x: torch.Tensor, y: int | None = None, n_samples: int = 64, seed: int = 0) -> dict:
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
