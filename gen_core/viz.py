"""Tensor -> picture conversions shared by the CLIs and the app: grids and PNG files."""
from __future__ import annotations

import math

import numpy as np
import torch
from PIL import Image


def to_uint8(x: torch.Tensor, n_values: int = 2) -> np.ndarray:
    """Images with values 0..n_values-1 [B,1,H,W] (or [B,H,W]) -> uint8 [B,H,W], 0 black, 255 white."""
    x = x.detach().float().cpu().reshape(x.shape[0], x.shape[-2], x.shape[-1])
    return (x / (n_values - 1) * 255).round().clamp(0, 255).to(torch.uint8).numpy()


PAD = 2


def grid_columns(b: int, nrow: int | None = None) -> int:
    return nrow or math.ceil(math.sqrt(b))


def cell_origin(k: int, cols: int, h: int, w: int, pad: int = PAD) -> tuple[int, int]:
    """Top-left corner of tile k in a grid with ``cols`` columns of h x w tiles."""
    r, c = divmod(k, cols)
    return pad + r * (h + pad), pad + c * (w + pad)


def grid(images: np.ndarray, nrow: int | None = None, pad: int = PAD, value: int = 128) -> np.ndarray:
    """Tile images [B,H,W(,3)] into one array, ``nrow`` tiles per row (default: a square)."""
    b, h, w = images.shape[:3]
    cols = grid_columns(b, nrow)
    rows = math.ceil(b / cols)
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, *images.shape[3:]), value, np.uint8)
    for k, img in enumerate(images):
        top, left = cell_origin(k, cols, h, w, pad)
        out[top:top + h, left:left + w] = img
    return out


def upscale(a: np.ndarray, factor: int) -> np.ndarray:
    """Crisp nearest-neighbour enlargement (each pixel becomes a factor x factor block)."""
    return a.repeat(factor, 0).repeat(factor, 1)


def save_grid_png(x: torch.Tensor, path, n_values: int = 2, factor: int = 3, nrow: int | None = None) -> None:
    Image.fromarray(upscale(grid(to_uint8(x, n_values), nrow), factor)).save(path)
