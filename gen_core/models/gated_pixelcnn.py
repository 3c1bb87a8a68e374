"""Gated PixelCNN (van den Oord et al., 2016): PixelCNN with gated layers and no blind spot.

    p(x) = prod_i p(x_i | x_1, ..., x_{i-1})   (raster order)

Two stacks of feature maps run side by side. The vertical stack v reads the image shifted down by
a row and convolves it with kernels covering the current row and k//2 rows above it, so v at row r
sees whole rows, but only rows above r. The horizontal stack h sees the current row: 1 x k kernels
masked to the left, the first one (mask A) without the centre so that pixel i cannot see x_i.
v feeds h at the same position, h never feeds v. Masked k x k kernels (PixelCNN) miss a wedge up
and to the right of every pixel (the blind spot); here the vertical stack covers every row above
in full, and the horizontal stack the row so far.

An input layer (linear, first_kernel wide) maps x to v_0 and to h_0; each of the n_layers gated
layers then computes, with gate(a) = tanh(f) ⊙ σ(g) for a = [f; g] split along the channels,

    v <- gate(W_v * v),   h <- h + W_res gate(W_h * h + W_vh v)

(W_vh and W_res are 1x1; the paper feeds W_vh the pre-activation [f; g] of v, the gated v is half
as wide and so half the cost). The residual sum already adds every layer's output into the last h,
so no separate skip connections are kept; two 1x1 convolutions with ReLUs turn h into one
Bernoulli logit (binary) or K logits (a softmax) per pixel.

Sampling evaluates the vertical stack a row at a time: on entering row r, the rows above are final
and with them every layer's v on row r. Each pixel then evaluates the horizontal stack at its own
position from caches, like PixelCNN's sampler: the whole image costs about one forward pass.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..nn import MaskedConv2d, PixelHead, cache, pointwise
from ..sampling import PaddedCanvasStepper
from .base import ImageAR


def gate(a: torch.Tensor) -> torch.Tensor:
    """tanh(f) ⊙ σ(g) for a = [f; g] split along dim 1."""
    f, g = a.chunk(2, dim=1)
    return torch.tanh(f) * torch.sigmoid(g)


def down(x: torch.Tensor) -> torch.Tensor:
    """x [B, C, H, W] shifted down by one row: row r holds row r - 1, row 0 zeros."""
    return F.pad(x, (0, 0, 1, 0))[:, :, :-1]


class VerticalConv(nn.Conv2d):
    """A (k//2 + 1) x k kernel over rows r - k//2 .. r: output row r only depends on input rows <= r.

    ``row(v, r)`` evaluates output row r alone, [n, out, 1, W], from an input whose rows <= r are final.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel: int):
        super().__init__(in_channels, out_channels, (kernel // 2 + 1, kernel))

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        kh, kw = self.kernel_size
        return F.conv2d(F.pad(v, (kw // 2, kw // 2, kh - 1, 0)), self.weight, self.bias)

    def row(self, v: torch.Tensor, r: int) -> torch.Tensor:
        kh, kw = self.kernel_size
        top = r - kh + 1
        rows = F.pad(v[:, :, max(top, 0): r + 1], (kw // 2, kw // 2, max(-top, 0), 0))
        return F.conv2d(rows, self.weight, self.bias)


class GatedLayer(nn.Module):
    """(v, h) -> (v', h + W_res gate(W_h * h + W_vh v')) with v' = gate(W_v * v)."""

    def __init__(self, channels: int, kernel: int):
        super().__init__()
        self.v_conv = VerticalConv(channels, 2 * channels, kernel)
        self.h_conv = MaskedConv2d(channels, 2 * channels, (1, kernel), "B")
        self.v_to_h = nn.Conv2d(channels, 2 * channels, 1)
        self.res = nn.Conv2d(channels, channels, 1)

    def forward(self, v, h):
        v = gate(self.v_conv(v))
        return v, h + self.res(gate(self.h_conv(h) + self.v_to_h(v)))


class GatedPixelCNN(ImageAR):
    def __init__(self, image_size: int = 28, n_values: int = 2, channels: int = 32, n_layers: int = 5,
                 kernel: int = 5, first_kernel: int = 7, head_channels: int = 64):
        super().__init__(image_size, n_values)
        if kernel % 2 == 0 or first_kernel % 2 == 0:
            raise ValueError("kernel and first_kernel must be odd")
        self.input_v = VerticalConv(1, channels, first_kernel)
        self.input_h = MaskedConv2d(1, channels, (1, first_kernel), "A")
        self.layers = nn.ModuleList(GatedLayer(channels, kernel) for _ in range(n_layers))
        self.head = PixelHead(channels, head_channels, self.out_channels)

    def logits(self, x):
        x = self.scale(x)
        v, h = self.input_v(down(x)), self.input_h(x)
        for layer in self.layers:
            v, h = layer(v, h)
        return self.head(h)

    def stepper(self, x):
        return GatedPixelCNNStepper(self, x)


class GatedPixelCNNStepper(PaddedCanvasStepper):
    """Incremental Gated PixelCNN: the vertical stack a row at a time, the horizontal stack per pixel.

    Caches: the input of every layer's vertical convolution (rows filled as the sampler enters
    them), every layer's W_vh v along the current row, and zero-padded copies of the scaled input
    and of the h entering every layer (read by the masked 1 x k kernels).
    """

    def __init__(self, model: GatedPixelCNN, x):
        horizontal = [model.input_h, *(layer.h_conv for layer in model.layers)]
        super().__init__(model, x, pad=max(conv.kernel_size[1] for conv in horizontal) // 2)
        n, size, side = x.shape[0], model.image_size, self.x_pad.shape[-1]
        channels = model.input_h.out_channels
        self.v_in = [x.new_zeros(n, channels, size, size) for _ in model.layers]
        self.h_in = [cache(x, n, channels, side, side) for _ in model.layers]
        self.links = [x.new_zeros(n, 2 * channels, 1, size) for _ in model.layers]

    def __call__(self, i):
        m, p = self.model, self.pad
        r, c = self.enter(i)
        if c == 0:
            self.vertical_row(r)
        h = m.input_h.at(self.x_pad, r, c, p)
        for layer, h_in, link in zip(m.layers, self.h_in, self.links):
            h_in[:, :, r + p, c + p] = h
            h = h + pointwise(layer.res, gate(layer.h_conv.at(h_in, r, c, p) + link[:, :, 0, c]))
        return m.head.at(h)

    def vertical_row(self, r: int) -> None:
        """Every layer's v on row r (which reads the rows above r, final by now) and W_vh v."""
        m = self.model
        v = m.input_v.row(down(m.scale(self.x)), r)
        for layer, cache, link in zip(m.layers, self.v_in, self.links):
            cache[:, :, r: r + 1] = v
            v = gate(layer.v_conv.row(cache, r))
            link.copy_(layer.v_to_h(v))
