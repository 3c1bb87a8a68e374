"""PixelRNN with Row LSTM layers (van den Oord et al., 2016): conditionals from a recurrence over rows.

    p(x) = prod_i p(x_i | x_1, ..., x_{i-1})   (raster order)

A 7x7 convolution with mask A (pixel i cannot see x_i) gives the feature map x, then Row LSTM
layers. Each processes the image one row r at a time, all columns at once:

    [o, f, i, g] = [σ, σ, σ, tanh](K_ss ⊛ h_{r-1} + K_is ⊛ x_r)
    c_r = f ⊙ c_{r-1} + i ⊙ g,    h_r = o ⊙ tanh(c_r)

K_is is a 1x3 convolution along row r with mask B (columns c-1, c), computed for the whole map in
one go; K_ss is a 3-wide convolution over the previous row's hidden state (columns c-1, c, c+1 of
row r-1), the only sequential part. Residual connections add a 1x1 projection of h to each
layer's input: x <- x + W_1x1 h (by default x has 2h features, as in the paper). Then 1x1
convolutions (ReLU between) give one Bernoulli logit per pixel (binary) or K logits (a softmax).
Training is teacher forced: H sequential steps, not H * W.

Sampling caches every layer's input and the LSTM states h, c: the state at (r, c) only needs row
r-1 (final by then) and the current row's inputs at columns <= c, so one pixel step runs each
layer's cell at that single position instead of a whole forward pass.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..nn import MaskedConv2d, cache, pointwise
from ..sampling import PaddedCanvasStepper
from .base import MaskedConvNet


def lstm_cell(gates: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(h, c) from the pre-activations [o, f, i, g] stacked along dim 1 and the previous cell state c."""
    o, f, i, g = gates.chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


class RowLSTM(nn.Module):
    """x + W_1x1 h, with h the Row LSTM's hidden state map over the input feature map x."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.K_is = MaskedConv2d(channels, 4 * hidden, (1, 3), "B")
        self.K_ss = nn.Conv1d(hidden, 4 * hidden, 3, padding=1, bias=False)
        self.proj = nn.Conv2d(hidden, channels, 1)

    def forward(self, x):
        n, _, rows, cols = x.shape
        h = c = x.new_zeros(n, self.K_ss.in_channels, cols)       # h_{-1} = c_{-1} = 0
        hs = []
        for is_gates in self.K_is(x).unbind(2):                   # K_is ⊛ x_r, every row at once
            h, c = lstm_cell(self.K_ss(h) + is_gates, c)
            hs.append(h)
        return x + self.proj(torch.stack(hs, dim=2))

    def ss_at(self, h_pad: torch.Tensor, c: int) -> torch.Tensor:
        """K_ss ⊛ h_{r-1} at column c: [n, 4 * hidden], from row r-1 zero-padded by one column: ``h_pad``."""
        return F.linear(h_pad[:, :, c:c + 3].flatten(1), self.K_ss.weight.flatten(1))


class PixelRNNStepper(PaddedCanvasStepper):
    """Incremental PixelRNN: padded caches of the scaled input and of every layer's input, and per layer
    the state maps h (row r + 1 holds h_r, columns padded by 1) and c (row r + 1 holds c_r), so that
    row 0 is the zero state h_{-1}, c_{-1}."""

    def __init__(self, model: PixelRNN, x):
        super().__init__(model, x, pad=model.input_conv.kernel_size[0] // 2)
        n, size, side = x.shape[0], model.image_size, self.x_pad.shape[-1]
        channels, hidden = model.input_conv.out_channels, model.layers[0].K_ss.in_channels
        self.inputs = [cache(x, n, channels, side, side) for _ in model.layers]
        self.h = [x.new_zeros(n, hidden, size + 1, size + 2) for _ in model.layers]
        self.c = [x.new_zeros(n, hidden, size + 1, size) for _ in model.layers]

    def __call__(self, i):
        m, p = self.model, self.pad
        r, c = self.enter(i)
        v = m.input_conv.at(self.x_pad, r, c, p)
        for layer, inputs, h_map, c_map in zip(m.layers, self.inputs, self.h, self.c):
            inputs[:, :, r + p, c + p] = v
            gates = layer.ss_at(h_map[:, :, r], c) + layer.K_is.at(inputs, r, c, p)
            h_map[:, :, r + 1, c + 1], c_map[:, :, r + 1, c] = lstm_cell(gates, c_map[:, :, r, c])
            v = v + pointwise(layer.proj, h_map[:, :, r + 1, c + 1])
        return m.head.at(v)


class PixelRNN(MaskedConvNet):
    """Row LSTM layers: the state of row r comes from row r - 1 through a 1x3 convolution, so each pixel
    sees a triangle above it that widens by one pixel a row; one mask-B 1x3 input-to-state convolution
    adds the pixels to the left in its own row."""

    stack, stepper_class = "layers", PixelRNNStepper

    def __init__(self, image_size: int = 28, n_values: int = 2, channels: int = 64, hidden: int = 32,
                 n_layers: int = 3, first_kernel: int = 7, head_channels: int = 64):
        super().__init__(image_size, n_values, channels, first_kernel, head_channels,
                         lambda: [RowLSTM(channels, hidden) for _ in range(n_layers)])
