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


def grid(images: np.ndarray, nrow: int | None = None, pad: int = 2, value: int = 128) -> np.ndarray:
    """Tile uint8 images [B,H,W] into one [rows*(H+pad)+pad, cols*(W+pad)+pad] array."""
    b, h, w = images.shape
    cols = nrow or math.ceil(math.sqrt(b))
    rows = math.ceil(b / cols)
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad), value, np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, cols)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = img
    return out


def upscale(a: np.ndarray, factor: int) -> np.ndarray:
    """Crisp nearest-neighbour enlargement (each pixel becomes a factor x factor block)."""
    return np.kron(a, np.ones((factor, factor), a.dtype))


def save_grid_png(x: torch.Tensor, path, n_values: int = 2, factor: int = 3) -> None:
    Image.fromarray(upscale(grid(to_uint8(x, n_values)), factor)).save(path)
