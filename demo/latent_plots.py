"""The Latent tab's pictures: decoded images, the 2-D plane (manifold | scatter, with the current z marked),
the ELBO's bar chart and the random-codes comparison. The maths is in ``gen_core.latent_space``."""
from __future__ import annotations

import matplotlib
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from gen_core import latent_space
from gen_core.viz import grid, upscale

from .images import gray_rgb

MARK = (230, 30, 30)
_TAB10 = (np.asarray(matplotlib.colormaps["tab10"].colors) * 255).astype(np.uint8)


def enlarged(x: torch.Tensor, nrow: int | None = None, scale: int = 1) -> np.ndarray:
    """Images in [0, 1] [B, 1, 28, 28] -> a grayscale RGB grid, each pixel a scale x scale block."""
    return upscale(grid(gray_rgb(x), nrow), scale)


def draw_marker(a: np.ndarray, row: float, col: float, radius: int = 7) -> np.ndarray:
    """A red ring with a dot at (row, col) on a copy of an RGB picture (clipped to the picture)."""
    out = a.copy()
    top, left = max(0, int(row) - radius - 1), max(0, int(col) - radius - 1)  # only the patch around it
    patch = out[top:int(row) + radius + 2, left:int(col) + radius + 2]
    rr, cc = np.ogrid[top:top + patch.shape[0], left:left + patch.shape[1]]
    d2 = (rr - row) ** 2 + (cc - col) ** 2
    patch[((d2 <= radius ** 2) & (d2 >= (radius - 2) ** 2)) | (d2 <= 4)] = MARK
    return out


def scatter(model, mu: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...], size: int) -> np.ndarray:
    """The codes mu [N, 2] coloured by class on the +-4 sigma square, with the classes' names down the left edge."""
    low, high = (t.numpy() for t in latent_space.limits(model))
    fig = Figure(figsize=(size / 100, size / 100), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.scatter(mu[:, 0], mu[:, 1], c=_TAB10[labels % 10] / 255, s=1.5, linewidths=0)
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.axhline(0, color="#bbb", lw=0.5)
    ax.axvline(0, color="#bbb", lw=0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    present = sorted(set(labels.tolist()) & set(range(len(class_names))))
    for row, k in enumerate(present):
        ax.text(0.01, 0.98 - 0.045 * row, class_names[k], color=_TAB10[k % 10] / 255, fontsize=7,
                transform=ax.transAxes, va="top", fontweight="bold")
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


class Plane:
    """The 2-D latent plane of one model (and class): the manifold and, beside it, the scatter of the test
    images' codes, both drawn once; ``mark(z)`` only paints a marker on the scatter, cheap enough for every
    slider move."""

    def __init__(self, model, mu: torch.Tensor, labels: torch.Tensor, y: int | None = None,
                 class_names: tuple[str, ...] = ()):
        if model.z_dim != 2:
            raise ValueError("the latent plane needs a 2-D latent space")
        self.model = model
        self.manifold = enlarged(latent_space.manifold(model, y), latent_space.GRID_POINTS)
        self.scatter = scatter(model, mu.float().numpy(), labels.numpy(), class_names, self.manifold.shape[0])

    def mark(self, z: torch.Tensor) -> np.ndarray:
        """The scatter plot with the current z marked (the manifold beside it does not change)."""
        u, v = latent_space.plane_position(self.model, z)
        h, w = self.scatter.shape[:2]
        return draw_marker(self.scatter, v * (h - 1), u * (w - 1))


def elbo_figure(report: dict) -> Figure:
    """-ELBO as one bar: the reconstruction term, then the KL."""
    fig = Figure(figsize=(4.2, 1.6), layout="constrained")
    ax = fig.add_subplot()
    terms = [("−E_q[log p(x|z)]", -report["reconstruction"], "#4a7fb5"), ("KL(q‖p)", report["kl"], "#e08a3c")]
    left = 0.0
    for label, value, color in terms:
        ax.barh(["−ELBO"], [value], left=left, color=color, label=f"{label} = {value:.1f}")
        left += value
    ax.set_xlabel("nats (lower is better)", fontsize=8)
    ax.legend(fontsize=7, loc="lower right")
    return fig


def random_codes_figure(rows: torch.Tensor, n: int) -> Figure:
    """Three rows of n decodings (the VAE's, the autoencoder's as is, the autoencoder's moved to its codes)."""
    picture = enlarged(rows, nrow=n, scale=3)
    fig = Figure(figsize=(1.0 + 0.75 * n, 2.9), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(picture, interpolation="nearest")
    ax.set_yticks([picture.shape[0] * (k + 0.5) / 3 for k in range(3)],
                  ["VAE: z = ε", "autoencoder: z = ε", "autoencoder:\nz = mean + std·ε\nof its codes"], fontsize=8)
    ax.set_xticks([])
    ax.set_title("the same random ε ~ N(0, I) in each column", fontsize=9)
    return fig
