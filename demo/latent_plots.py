"""The Latent tab's pictures: decoded images, the 2-D plane (manifold | scatter, with the current z marked),
the ELBO's bar chart, the random-codes comparison and random samples of VAEs with 2, 5, 10, 20 dimensions, a sparse autoencoder's code. The maths is in ``gen_core.latent_space``."""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
import torch

from gen_core import latent_space
from gen_core.viz import grid, upscale

from .images import colormap, figure, gray_rgb

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MARK = (230, 30, 30)


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


FONT = 11            # points; at the figures' 100 dpi that is 15 px, shown unscaled on a 1366-px screen
SCATTER_SIZE = (5.0, 4.0)  # inches at 100 dpi: the axes' square, then the legend to its right


def scatter_figure(model, mu: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...]) -> Figure:
    """The codes mu [N, 2] coloured by class on the +-4 sigma square, axes z1 and z2, the legend outside."""
    low, high = (t.numpy() for t in latent_space.limits(model))
    fig = figure(figsize=SCATTER_SIZE)  # laid out by hand: a constrained layout takes 0.2 s more to draw
    ax = fig.add_axes((0.13, 0.12, 0.6, 0.8))
    present = sorted(set(labels.tolist()) & set(range(len(class_names))))
    for k in present:
        ax.scatter(*mu[labels == k].T, color=colormap("tab10")[k % 10] / 255, s=2, linewidths=0, label=class_names[k])
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_box_aspect(1)  # a square, as the manifold beside it
    ax.axhline(0, color="#bbb", lw=0.5)
    ax.axvline(0, color="#bbb", lw=0.5)
    ax.set_xlabel("z1", fontsize=FONT)
    ax.set_ylabel("z2", fontsize=FONT)
    ax.tick_params(labelsize=FONT)
    if present:
        fig.legend(loc="center left", bbox_to_anchor=(0.74, 0.5), fontsize=FONT, markerscale=5, frameon=False,
                   handletextpad=0.2, borderaxespad=0)
    return fig


def render(fig: Figure) -> np.ndarray:
    """A figure drawn to an RGB array at its own size."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def data_box(fig: Figure) -> tuple[float, float, float, float]:
    """(top, left, bottom, right) pixel rows and columns of the first axes' data area on the drawn figure."""
    box = fig.axes[0].get_window_extent()
    height = fig.bbox.height
    return height - box.y1, box.x0, height - box.y0, box.x1


class Plane:
    """The 2-D latent plane of one model (and class): the manifold and, beside it, the scatter of the test
    images' codes, each drawn once (the scatter when first marked); ``mark(z)`` only paints a marker on the
    scatter, cheap enough for every slider move."""

    def __init__(self, model, mu: torch.Tensor, labels: torch.Tensor, y: int | None = None,
                 class_names: tuple[str, ...] = ()):
        if model.z_dim != 2:
            raise ValueError("the latent plane needs a 2-D latent space")
        self.model = model
        self.manifold = enlarged(latent_space.manifold(model, y), latent_space.GRID_POINTS)
        self.codes = mu.float().numpy(), labels.numpy(), class_names

    @functools.cached_property
    def _drawn(self) -> tuple[np.ndarray, tuple[float, float, float, float]]:
        fig = scatter_figure(self.model, *self.codes)
        return render(fig), data_box(fig)

    @property
    def scatter(self) -> np.ndarray:
        """The scatter as a picture (drawn on first use: matplotlib is not needed at start-up)."""
        return self._drawn[0]

    @property
    def box(self) -> tuple[float, float, float, float]:
        """Where the scatter's +-4 sigma square lies on its picture (``data_box``)."""
        return self._drawn[1]

    def mark(self, z: torch.Tensor) -> np.ndarray:
        """The scatter plot with the current z marked (the manifold beside it does not change)."""
        u, v = latent_space.plane_position(self.model, z)
        top, left, bottom, right = self.box
        return draw_marker(self.scatter, top + v * (bottom - top), left + u * (right - left))


def elbo_figure(report: dict) -> Figure:
    """-ELBO as one bar: the reconstruction term, then the KL; the legend above the bar, off it."""
    fig = figure(figsize=(4.8, 2.0))  # laid out by hand, as the scatter
    ax = fig.add_axes((0.16, 0.3, 0.8, 0.4))
    terms = [("−E_q[log p(x|z)]", -report["reconstruction"], "#4a7fb5"), ("KL(q‖p)", report["kl"], "#e08a3c")]
    left = 0.0
    for label, value, color in terms:
        ax.barh(["−ELBO"], [value], left=left, color=color, label=f"{label} = {value:.1f}")
        left += value
    ax.set_xlabel("nats (lower is better)", fontsize=FONT)
    ax.tick_params(labelsize=FONT)
    fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.99), ncols=2, fontsize=FONT, frameon=False, columnspacing=1, handlelength=1)
    return fig


def random_codes_figure(rows: torch.Tensor, n: int) -> Figure:
    """Three rows of n decodings (the VAE's, the autoencoder's as is, the autoencoder's moved to its codes)."""
    picture = enlarged(rows, nrow=n, scale=3)
    fig = figure(figsize=(2.2 + 0.8 * n, 3.4), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(picture, interpolation="nearest")
    ax.set_yticks([picture.shape[0] * (k + 0.5) / 3 for k in range(3)],
                  ["VAE: z = ε", "autoencoder:\nz = ε", "autoencoder:\nz = mean + std·ε\nof its codes"], fontsize=FONT)
    ax.set_xticks([picture.shape[1] * (k + 0.5) / n for k in range(n)], [str(k + 1) for k in range(n)], fontsize=FONT)
    ax.set_xlabel("code ε (the same in each column)", fontsize=FONT)
    ax.set_title("the same random ε ~ N(0, I) decoded three ways", fontsize=FONT)
    return fig


def code_figure(z: torch.Tensor, active: torch.Tensor, activity: list[float] | None, labels: dict[str, str]) -> Figure:
    """The sparse code z [z_dim] of one image as bars, its ``active`` units coloured; below, when the sidecar has it,
    each unit's ``activity`` (the fraction of test images it is active for: 0 = a dead unit). ``labels``: the
    translated 'units', 'code' and 'activity' texts."""
    units = np.arange(1, len(z) + 1)
    fig = figure(figsize=(7.5, 3.6 if activity else 2.2), layout="constrained")
    axes = fig.subplots(2 if activity else 1, 1, sharex=True, squeeze=False)[:, 0]
    axes[0].bar(units, z.numpy(), color=np.where(active.numpy()[:, None], colormap("tab10")[0] / 255, colormap("tab10")[7] / 255))
    axes[0].set_ylabel(labels["code"], fontsize=FONT)
    if activity:
        axes[1].bar(units, activity, color=colormap("tab10")[1] / 255)
        axes[1].set_ylim(0, 1)
        axes[1].set_ylabel(labels["activity"], fontsize=FONT)
    axes[-1].set_xlabel(labels["units"], fontsize=FONT)
    for ax in axes:
        ax.tick_params(labelsize=FONT)
    return fig


def dimensions_figure(rows: list[tuple[str, torch.Tensor]], n: int, title: str) -> Figure:
    """One row of n decodings [n, 1, 28, 28] per model, each labelled (its latent size and bounds) on the left."""
    picture = enlarged(torch.cat([x for _, x in rows]), nrow=n, scale=3)
    fig = figure(figsize=(2.2 + 0.8 * n, 0.6 + 0.85 * len(rows)), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(picture, interpolation="nearest")
    ax.set_yticks([picture.shape[0] * (k + 0.5) / len(rows) for k in range(len(rows))], [label for label, _ in rows],
                  fontsize=FONT)
    ax.set_xticks([])
    ax.set_title(title, fontsize=FONT)
    return fig
