"""PixelCNN (van den Oord et al., 2016): conditionals from masked convolutions.

    p(x) = prod_i p(x_i | x_1, ..., x_{i-1})   (raster order)

A 7x7 convolution with mask A (pixel i cannot see x_i), then residual blocks
h <- h + W_1x1 ReLU(W_3x3^B ReLU(h)) with mask B (position i may see its own features, which only
depend on x_<i), then 1x1 convolutions to one Bernoulli logit per pixel (binary) or K = 256 logits
(the 8-bit model, a softmax over intensities). All D conditionals come out of one forward pass.

Sampling caches every layer's activations: pixel i only needs each layer at position i, and
masked kernels only read positions <= i, which are final by then. One pixel step therefore costs
about 1/D of a forward pass instead of a whole one.
"""
from __future__ import annotations

import torch.nn as nn
import torch.nn.functional as F

from ..nn import MaskedConv2d, cache, pointwise
from ..sampling import PaddedCanvasStepper
from .base import MaskedConvNet


class ResidualBlock(nn.Module):
    """h + W_1x1 ReLU(W^B_kxk ReLU(h))."""

    def __init__(self, channels: int, kernel: int):
        super().__init__()
        self.conv = MaskedConv2d(channels, channels, kernel, "B")
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, h):
        return h + self.proj(F.relu(self.conv(F.relu(h))))


class PixelCNNStepper(PaddedCanvasStepper):
    """Incremental PixelCNN: padded caches of the scaled input and of ReLU(h) entering every block."""

    def __init__(self, model: PixelCNN, x):
        kernels = [model.input_conv.kernel_size[0], *(b.conv.kernel_size[0] for b in model.blocks)]
        super().__init__(model, x, pad=max(kernels) // 2)
        n, side = x.shape[0], self.x_pad.shape[-1]
        self.relu_h = [cache(x, n, model.input_conv.out_channels, side, side) for _ in model.blocks]

    def __call__(self, i):
        m, p = self.model, self.pad
        r, c = self.enter(i)
        h = m.input_conv.at(self.x_pad, r, c, p)
        for block, relu_h in zip(m.blocks, self.relu_h):
            relu_h[:, :, r + p, c + p] = F.relu(h)
            h = h + pointwise(block.proj, F.relu(block.conv.at(relu_h, r, c, p)))
        return m.head.at(h)


class PixelCNN(MaskedConvNet):
    """Residual mask-B blocks: a region above and to the left that grows with depth, blind to the upper right."""

    stack, stepper_class = "blocks", PixelCNNStepper

    def __init__(self, image_size: int = 28, n_values: int = 2, channels: int = 64, n_blocks: int = 7,
                 kernel: int = 3, first_kernel: int = 7, head_channels: int = 64):
        super().__init__(image_size, n_values, channels, first_kernel, head_channels,
                         lambda: [ResidualBlock(channels, kernel) for _ in range(n_blocks)])
