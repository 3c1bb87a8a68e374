"""Pictures in and out of the UI.

In: any upload or drawing -> a 28x28 uint8 image in the dataset's polarity (light object on black),
and a painted mask -> a 28x28 boolean mask. Out: grids, probability maps, the current pixel (via
gen_core.viz). Bad pictures raise ``BadImage`` with a message for the user.
"""
from __future__ import annotations

import base64
import functools
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from PIL import Image

from gen_core.viz import cell_origin, grid, grid_columns, to_uint8, upscale

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SCALE = 6  # 28 px -> 168 px per image, nearest neighbour: crisp pixels
RED = (230, 30, 30)


# matplotlib is imported on first use, never at start-up (it takes a third of a second): nothing the page
# shows before its first event is drawn with it
@functools.cache
def colormap(name: str) -> np.ndarray:
    """matplotlib's colour map ``name`` as a uint8 table [N, 3] of its N colours (256 for viridis, 10 for tab10)."""
    import matplotlib

    cmap = matplotlib.colormaps[name]
    return (cmap(np.arange(cmap.N))[:, :3] * 255).astype(np.uint8)


def figure(**kwargs) -> Figure:
    """A new matplotlib figure at 100 dpi (``Figure``'s keyword arguments)."""
    from matplotlib.figure import Figure

    return Figure(dpi=100, **kwargs)


def image_grid(x: torch.Tensor, n_values: int = 2, nrow: int | None = None) -> np.ndarray:
    """Images [B,1,H,W] with values 0..n_values-1 -> an RGB grid, SCALE times enlarged."""
    g = upscale(grid(to_uint8(x, n_values), nrow), SCALE)
    return np.repeat(g[..., None], 3, -1)


def gray_rgb(x: torch.Tensor, n_values: int = 2) -> np.ndarray:
    """Images [B,1,H,W] with values 0..n_values-1 -> RGB tiles uint8 [B,H,W,3] (to colour some pixels)."""
    return np.repeat(to_uint8(x, n_values)[..., None], 3, -1)


def tile_grid(tiles: np.ndarray, nrow: int | None = None) -> np.ndarray:
    """RGB tiles [B,H,W,3] -> one grid, SCALE times enlarged."""
    return upscale(grid(tiles, nrow), SCALE)


def prob_grid(p: torch.Tensor, nrow: int | None = None) -> np.ndarray:
    """Probability maps in [0, 1] [B,1,H,W] -> an RGB grid coloured with viridis (0 purple, 1 yellow)."""
    return upscale(grid(colormap("viridis")[to_uint8(p, 2)], nrow), SCALE)


def mark(rgb: np.ndarray, pos: int, b: int, image_size: int = 28, nrow: int | None = None) -> np.ndarray:
    """Mark the pixel at flat position ``pos`` in each of the b tiles of an enlarged grid: filled red inside a
    red ring one pixel out, so it stays visible from the back of a lecture hall."""
    out = rgb.copy()
    r, c = divmod(pos, image_size)
    for k in range(b):
        top, left = cell_origin(k, grid_columns(b, nrow), image_size, image_size)
        y, x = (top + r) * SCALE, (left + c) * SCALE
        ring = out[max(y - SCALE, 0):y + 2 * SCALE, max(x - SCALE, 0):x + 2 * SCALE]
        ring[:2], ring[-2:], ring[:, :2], ring[:, -2:] = RED, RED, RED, RED
        out[y + 1:y + SCALE - 1, x + 1:x + SCALE - 1] = RED
    return out


def png_data_url(rgb: np.ndarray) -> str:
    """A picture as a PNG data URL: sent inside the page, so streaming and scrubbing write no cache files."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def picture_html(rgb: np.ndarray, alt: str) -> str:
    """An <img> of a picture, crisp and as wide as its box allows."""
    return f'<img class="frame" alt="{html.escape(alt)}" src="{png_data_url(rgb)}">'


def captioned_html(pictures: list[tuple[np.ndarray, str]], columns: int | None = None) -> str:
    """Pictures each with its caption beneath it: one under another, or in a grid of ``columns`` (fewer on a
    phone). Sent inside the page: a grid of 64 writes no file."""
    figures = "".join(f'<figure class="frame">{picture_html(rgb, caption)}<figcaption>{html.escape(caption)}'
                      f"</figcaption></figure>" for rgb, caption in pictures)
    return figures if columns is None else f'<div class="frame-grid" style="--columns: {columns}">{figures}</div>'


def captions(markup: str) -> list[str]:
    """The captions inside ``captioned_html`` markup (tests, API users)."""
    return [html.unescape(part.split("</figcaption>", 1)[0]) for part in markup.split("<figcaption>")[1:]]


def decode_html(markup: str) -> list[np.ndarray]:
    """The pictures inside ``picture_html``/``captioned_html`` markup, as RGB arrays (tests, API users)."""
    urls = [part.split('"', 1)[0] for part in markup.split('src="data:image/png;base64,')[1:]]
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode(u))).convert("RGB")) for u in urls]


class BadImage(ValueError):
    """An upload or drawing that cannot become a 28x28 image; the message is for the user."""


MAX_SIDE = 4096  # larger images are refused from their header, before anything is decoded
# PIL (also inside Gradio, for drawings and painted layers) refuses to decode more than twice this many pixels:
# a small file that would inflate to gigabytes is stopped before it allocates them
Image.MAX_IMAGE_PIXELS = MAX_SIDE * MAX_SIDE


def fit(im: Image.Image, side: int, method) -> Image.Image:
    """``im`` scaled (never up) to fit a side x side square, aspect kept; no side drops to 0, so even a
    1 x 4000 strip survives."""
    shrink = min(1.0, side / max(im.size))
    return im.resize((max(1, round(im.size[0] * shrink)), max(1, round(im.size[1] * shrink))), method)


def to_gray28(img) -> torch.Tensor:
    """Any image file path, PIL image or array -> uint8 [1, 1, 28, 28], aspect kept, light object on black.

    16-bit and float modes are rescaled, transparency is flattened on white, and the result is
    inverted when its border is light (a dark drawing or photo on white becomes light on black,
    as in Fashion-MNIST); an image already dark around the edge is kept as it is.
    """
    if img is None:
        raise BadImage("No image: pick one from the gallery, upload one or draw one.")
    try:
        if isinstance(img, (str, Path)):
            img = Image.open(img)
        im = img if isinstance(img, Image.Image) else Image.fromarray(np.asarray(img))
        if max(im.size) > MAX_SIDE or min(im.size) < 1:
            raise BadImage(f"The image is {im.size[0]}x{im.size[1]} pixels; use one between 1 and {MAX_SIDE:,} on a side.")
        im.load()
        if im.mode.startswith("I;16"):
            im = Image.fromarray((np.asarray(im, np.float32) / 65535 * 255).round().astype(np.uint8), "L")
        elif im.mode in ("I", "F"):  # no canonical range: stretch min..max
            a = np.asarray(im, np.float32)
            a = (a - a.min()) / max(float(a.max() - a.min()), 1e-12)
            im = Image.fromarray((a * 255).round().astype(np.uint8), "L")
        if im.mode in ("P", "RGBA", "LA", "PA") or "transparency" in im.info:
            im = Image.alpha_composite(Image.new("RGBA", im.size, "white"), im.convert("RGBA"))
        im = fit(im.convert("L"), 280, Image.Resampling.BOX)
        a = np.asarray(im)
        border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]]).mean()
        canvas = Image.new("L", (28, 28), int(round(border)))
        small = fit(im, 28, Image.Resampling.LANCZOS)
        canvas.paste(small, ((28 - small.size[0]) // 2, (28 - small.size[1]) // 2))
        im = canvas
    except BadImage:
        raise
    except Image.DecompressionBombError as e:
        raise BadImage(f"The image is far too large; use one between 1 and {MAX_SIDE:,} pixels on a side.") from e
    except (OSError, ValueError, TypeError, SyntaxError) as e:  # truncated, corrupt or not an image
        raise BadImage(f"Could not read that image ({e}).") from e
    a = np.asarray(im, np.uint8)
    if border > 127:
        a = 255 - a
    return torch.from_numpy(a.copy())[None, None]


def drawing(value) -> np.ndarray | None:
    """Union of the painted strokes of a Sketchpad / ImageEditor value as a boolean array, or None if untouched."""
    if not value or not value.get("layers"):
        return None
    layers = [np.asarray(layer) for layer in value["layers"] if layer is not None]
    if not layers:
        return None
    painted = np.zeros(layers[0].shape[:2], bool)
    for layer in layers:
        painted |= layer[..., 3] > 0 if layer.ndim == 3 and layer.shape[2] == 4 else layer.reshape(layer.shape[:2]) > 0
    return painted if painted.any() else None


def mask28(painted: np.ndarray) -> torch.Tensor:
    """A painted boolean array of any size -> bool [1, 1, 28, 28]: a cell is painted if a quarter of it is."""
    im = Image.fromarray(painted.astype(np.uint8) * 255).resize((28, 28), Image.Resampling.BOX)
    return torch.from_numpy(np.asarray(im) >= 64)[None, None]
