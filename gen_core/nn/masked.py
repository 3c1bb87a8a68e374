"""Masked layers: the one trick behind MADE and PixelCNN.

A weight W is multiplied elementwise by a fixed 0/1 mask M, so output unit k only sees the inputs
that M allows: (W ⊙ M) x + b. Choosing M from an ordering makes a network autoregressive (MADE builds
its linear masks from an ordering in ``models/made.py``; the convolutional masks live here).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_mask(kernel_size: tuple[int, int], mask_type: str) -> torch.Tensor:
    """PixelCNN mask over a kh x kw kernel centred on the current pixel (raster order).

    Rows above the centre are visible; in the centre row, columns left of the centre are visible and
    the centre itself only for mask 'B' (it never is for 'A', which the first layer uses so that
    pixel i cannot see x_i). Everything below is hidden.
    """
    if mask_type not in ("A", "B"):
        raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
    kh, kw = kernel_size
    m = torch.zeros(kh, kw)
    m[: kh // 2] = 1
    m[kh // 2, : kw // 2 + (mask_type == "B")] = 1
    return m


class MaskedConv2d(nn.Conv2d):
    """Same-padded convolution whose kernel is masked with ``conv_mask`` (type 'A' or 'B').

    ``at(padded, r, c)`` evaluates the layer at the single position (r, c) from a zero-padded input
    cache; incremental samplers use it to do 1/(H*W) of the work of a full forward per pixel.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 mask_type: str = "B", bias: bool = True):
        kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        super().__init__(in_channels, out_channels, (kh, kw), padding=(kh // 2, kw // 2), bias=bias)
        self.mask_type = mask_type
        self.register_buffer("mask", conv_mask((kh, kw), mask_type), persistent=False)
        self._w_at, self._w_at_key = None, None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)

    def at(self, padded: torch.Tensor, r: int, c: int, pad: int) -> torch.Tensor:
        """Output [n, out] at (r, c); ``padded`` is the input zero-padded by ``pad`` on every side.

        Only the kernel rows at or above the centre carry weight, so only those are gathered, position by
        position (rows, columns, then channels: contiguous runs when ``padded`` is stored channels-last,
        as the steppers' caches are, see ``cache``).
        """
        kh, kw = self.kernel_size
        top, left = r + pad - kh // 2, c + pad - kw // 2
        patch = padded[:, :, top:r + pad + 1, left:left + kw].permute(0, 2, 3, 1).reshape(len(padded), -1)
        return patch @ self._weight_at() if self.bias is None else torch.addmm(self.bias, patch, self._weight_at())

    def _weight_at(self) -> torch.Tensor:
        """Masked kernel rows 0..kh//2 as an [rows*kw*in, out] matrix, recomputed only after W changes."""
        key = (self.weight._version, self.weight.data_ptr(), self.weight.dtype)
        if key != self._w_at_key:
            kh = self.kernel_size[0]
            w = (self.weight * self.mask)[:, :, : kh // 2 + 1].detach()
            self._w_at, self._w_at_key = w.permute(0, 2, 3, 1).flatten(1).t().contiguous(), key
        return self._w_at


def cache(like: torch.Tensor, n: int, channels: int, height: int, width: int) -> torch.Tensor:
    """A zero feature map [n, channels, height, width] stored channels-last: a sampler writes one position's
    ``channels`` values at a time and ``MaskedConv2d.at`` reads a few neighbouring positions, both contiguous."""
    return torch.empty(n, channels, height, width, dtype=like.dtype, device=like.device,
                       memory_format=torch.channels_last).zero_()


def pointwise(conv: nn.Conv2d, v: torch.Tensor) -> torch.Tensor:
    """A 1x1 convolution applied to the feature vectors v [n, in] of single positions: [n, out]."""
    return F.linear(v, conv.weight.flatten(1), conv.bias)


class PixelHead(nn.ModuleList):
    """ReLU -> 1x1 conv -> ReLU -> 1x1 conv: feature maps [B, C, H, W] -> per-pixel logits.

    ``at`` applies the same to the feature vectors of single positions (incremental samplers).
    """

    def __init__(self, channels: int, hidden: int, out: int):
        super().__init__([nn.Conv2d(channels, hidden, 1), nn.Conv2d(hidden, out, 1)])

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self[1](F.relu(self[0](F.relu(h))))

    def at(self, v: torch.Tensor) -> torch.Tensor:
        return pointwise(self[1], F.relu(pointwise(self[0], F.relu(v))))
