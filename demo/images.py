"""Model tensors -> pictures for the UI (grids, probability maps, the current pixel), via gen_core.viz."""
from __future__ import annotations

import matplotlib
import numpy as np
import torch

from gen_core.viz import cell_origin, grid, grid_columns, to_uint8, upscale

SCALE = 6  # 28 px -> 168 px per image, nearest neighbour: crisp pixels
_VIRIDIS = (matplotlib.colormaps["viridis"](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


def image_grid(x: torch.Tensor, n_values: int = 2, nrow: int | None = None) -> np.ndarray:
    """Images [B,1,H,W] with values 0..n_values-1 -> an RGB grid, SCALE times enlarged."""
    g = upscale(grid(to_uint8(x, n_values), nrow), SCALE)
    return np.repeat(g[..., None], 3, -1)


def prob_grid(p: torch.Tensor, nrow: int | None = None) -> np.ndarray:
    """Probability maps in [0, 1] [B,1,H,W] -> an RGB grid coloured with viridis (0 purple, 1 yellow)."""
    return upscale(grid(_VIRIDIS[to_uint8(p, 2)], nrow), SCALE)


def mark(rgb: np.ndarray, pos: int, b: int, image_size: int = 28, nrow: int | None = None) -> np.ndarray:
    """Outline the pixel at flat position ``pos`` in each of the b tiles of an enlarged grid (red)."""
    out = rgb.copy()
    r, c = divmod(pos, image_size)
    for k in range(b):
        top, left = cell_origin(k, grid_columns(b, nrow), image_size, image_size)
        y, x = (top + r) * SCALE, (left + c) * SCALE
        out[y:y + SCALE, x:x + SCALE][[0, -1], :] = (230, 30, 30)
        out[y:y + SCALE, x:x + SCALE][:, [0, -1]] = (230, 30, 30)
    return out
