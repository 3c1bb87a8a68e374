"""PixelRNN with Diagonal BiLSTM layers (van den Oord et al., 2016): conditionals that see (nearly) all the context.

    p(x) = prod_i p(x_i | x_1, ..., x_{i-1})   (raster order)

The layout is the Row LSTM's (models/pixelrnn.py): a 7x7 convolution with mask A gives the feature map x,
recurrent layers with residual connections transform it, 1x1 convolutions give each pixel's logits. Only
the recurrent layer differs.

Skew. Shift row r of an H x W map right by r (zeros around it): pixel (r, c) lands in column j = r + c of an
H x (W + H - 1) map, so each column holds an anti-diagonal of the image, and column j - 1 holds, at rows r - 1
and r, the pixel above (r - 1, c) and the pixel to the left (r, c - 1). Unskewing shifts row r back left by r.

Diagonal LSTM. Over the columns j of the skewed map, all rows at once:

    [o, f, i, g] = [σ, σ, σ, tanh](K_ss ⊛ h_{j-1} + K_is ⊛ x_j)
    c_j = f ⊙ c_{j-1} + i ⊙ g,    h_j = o ⊙ tanh(c_j)

K_is is a 1x1 convolution (mask B masks only colour channels; with one channel there is nothing to mask),
computed for the whole map in one go; K_ss is a 2x1 convolution down column j - 1 (rows r - 1 and r: the
states above and to the left), the only sequential part: W + H - 1 steps. The gates K_is ⊛ x are skewed
with zeros around the image, so the states left of column 0 stay exactly 0 (σ(0)·0 + σ(0)·tanh(0) = 0),
and h_{j-1} is padded with a zero row on top: the image's border holds the zero state, as the Row LSTM's.

Bidirectional. A second diagonal LSTM (its own weights) runs on the mirrored map (columns reversed): its
state at (r, c) gathers the pixels to the right and above, which include the later pixels (r, c + 1), ...,
(r, W - 1). Shifting its output down by one row keeps the layer causal: pixel (r, c) receives the
right-to-left state of (r - 1, c), which depends on rows < r only, all before (r, c) in raster order. Then

    x <- x + W_1x1 (h_lr + shift_down(h_rl)).

Receptive field. The left-to-right state at (r, c) reaches every (r', c') with r' <= r and c' <= c (a path of
steps up and left); the shifted right-to-left state every (r', c') with r' < r and c' >= c. The feature vectors
there see the pixels before them, so a single layer already conditions pixel (r, c) on the whole context but
one pixel, where the Row LSTM's 1x3 state-to-state kernel sees a triangle above the pixel, one pixel wider a
row, and PixelCNN's masked stack leaves a blind spot at the upper right. The one pixel is the last of the row
above, (r - 1, W - 1): the feature vector at its own position never sees it, and in row r only the k x k
first convolution at columns c >= W - 1 - k // 2 reaches it (the paper's figure draws the full context;
measured, this pixel is missing, with any number of layers).

Sampling caches every layer's input and the states of both directions. The left-to-right state at (r, c)
needs the states at (r - 1, c) and (r, c - 1), final by then, so one pixel step runs each layer's cell at
that single position. The right-to-left states of row r - 1 need that whole row's inputs: a sweep from
column W - 1 down to 0, once per row when row r begins. The states are the teacher-forced pass's, exactly.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..nn import pointwise
from ..sampling import PaddedCanvasStepper
from .base import MaskedConvNet
from .pixelrnn import lstm_cell


def skew(x: torch.Tensor) -> torch.Tensor:
    """[n, C, H, W] -> [n, C, H, W + H - 1]: row r shifted right by r, zeros around it ((r, c) -> (r, r + c)).

    Read row by row, the skewed map is the original with H - 1 zeros after each row: pad every row with H
    zeros, flatten, drop the last H entries and fold into rows of W + H - 1."""
    n, channels, rows, cols = x.shape
    flat = F.pad(x, (0, rows)).flatten(2)[:, :, :rows * (cols + rows - 1)]
    return flat.view(n, channels, rows, cols + rows - 1)


def unskew(s: torch.Tensor, cols: int) -> torch.Tensor:
    """The inverse of ``skew``: [n, C, H, W + H - 1] -> [n, C, H, W] (row r shifted back left by r)."""
    n, channels, rows, _ = s.shape
    return F.pad(s.flatten(2), (0, rows)).view(n, channels, rows, cols + rows)[..., :cols]


def shift_down(h: torch.Tensor) -> torch.Tensor:
    """Row r of the result is row r - 1 of h [n, C, H, W]; row 0 is zero."""
    return F.pad(h, (0, 0, 1, 0))[:, :, :-1]


class DiagonalLSTM(nn.Module):
    """One direction: the hidden state map [n, hidden, H, W] of the diagonal LSTM over the feature map x.

    K_ss, the 2x1 kernel, is one matrix acting on [h above; h beside] (rows r - 1 and r of column j - 1).
    The recurrence runs on [n, H, channels] slices, so each step is one matrix product and the cell."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.K_is = nn.Conv2d(channels, 4 * hidden, 1)
        self.K_ss = nn.Linear(2 * hidden, 4 * hidden, bias=False)

    def forward(self, x):
        n, _, rows, cols = x.shape
        hidden = self.K_ss.in_features // 2
        h = c = x.new_zeros(n, rows, hidden)                                        # h_{-1} = c_{-1} = 0
        hs = []
        for is_gates in skew(self.K_is(x)).permute(3, 0, 2, 1).contiguous():      # K_is ⊛ x_j: [n, H, 4h]
            above = F.pad(h, (0, 0, 1, 0))[:, :rows]                                # h_{j-1} a row up (0 on top)
            gates = self.K_ss(torch.cat([above, h], 2)) + is_gates
            h, c = (s.view(n, rows, hidden) for s in lstm_cell(gates.flatten(0, 1), c.flatten(0, 1)))
            hs.append(h)
        return unskew(torch.stack(hs, dim=3).transpose(1, 2), cols)

    def at(self, x: torch.Tensor, h_above: torch.Tensor, h_side: torch.Tensor, c_side: torch.Tensor):
        """(h, c) [n, hidden] at one position from its input x [n, channels], the hidden states above it and
        beside it (the previous column of the skewed map) and the cell state beside it."""
        return lstm_cell(pointwise(self.K_is, x) + self.K_ss(torch.cat([h_above, h_side], 1)), c_side)


class DiagonalBiLSTM(nn.Module):
    """x + W_1x1 (h_lr + shift_down(h_rl)): both directions' states, the right-to-left one a row lower."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.left_to_right = DiagonalLSTM(channels, hidden)
        self.right_to_left = DiagonalLSTM(channels, hidden)
        self.proj = nn.Conv2d(hidden, channels, 1)

    def forward(self, x):
        h_rl = self.right_to_left(x.flip(3)).flip(3)
        return x + self.proj(self.left_to_right(x) + shift_down(h_rl))


class DiagonalBiLSTMStepper(PaddedCanvasStepper):
    """Incremental Diagonal BiLSTM: the padded scaled canvas; per layer its input map and, per direction, the
    state maps h and c padded by a zero row on top and a zero column on the side the state comes from
    (left-to-right: (r, c) at [r + 1, c + 1]; right-to-left: (r, c) at [r + 1, c], column W zero)."""

    def __init__(self, model: DiagonalPixelRNN, x):
        super().__init__(model, x, pad=model.input_conv.kernel_size[0] // 2)
        n, size = x.shape[0], model.image_size
        channels, hidden = model.input_conv.out_channels, model.layers[0].proj.in_channels
        shape = (n, hidden, size + 1, size + 1)
        self.inputs = [x.new_zeros(n, channels, size, size) for _ in model.layers]
        self.lr = [(x.new_zeros(shape), x.new_zeros(shape)) for _ in model.layers]
        self.rl = [(x.new_zeros(shape), x.new_zeros(shape)) for _ in model.layers]

    def __call__(self, i):
        m = self.model
        r, c = self.enter(i)
        if c == 0 and r > 0:
            self.sweep_right_to_left(r - 1)
        v = m.input_conv.at(self.x_pad, r, c, self.pad)
        for layer, inputs, (h, cell), (h_rl, _) in zip(m.layers, self.inputs, self.lr, self.rl):
            inputs[:, :, r, c] = v
            h[:, :, r + 1, c + 1], cell[:, :, r + 1, c + 1] = layer.left_to_right.at(
                v, h[:, :, r, c + 1], h[:, :, r + 1, c], cell[:, :, r + 1, c])
            v = v + pointwise(layer.proj, h[:, :, r + 1, c + 1] + h_rl[:, :, r, c])   # h_rl of (r - 1, c)
        return m.head.at(v)

    def sweep_right_to_left(self, r: int):
        """Every layer's right-to-left states on row r, once its inputs there are all cached."""
        for layer, inputs, (h, cell) in zip(self.model.layers, self.inputs, self.rl):
            for c in reversed(range(self.model.image_size)):
                h[:, :, r + 1, c], cell[:, :, r + 1, c] = layer.right_to_left.at(
                    inputs[:, :, r, c], h[:, :, r, c], h[:, :, r + 1, c + 1], cell[:, :, r + 1, c + 1])


class DiagonalPixelRNN(MaskedConvNet):
    """Diagonal BiLSTM layers: two diagonal LSTMs over the skewed map, one mirrored and shifted a row down,
    so one layer already conditions every pixel on the whole context (but the last pixel of the row above)."""

    stack, stepper_class = "layers", DiagonalBiLSTMStepper

    def __init__(self, image_size: int = 28, n_values: int = 2, channels: int = 64, hidden: int = 32,
                 n_layers: int = 2, first_kernel: int = 7, head_channels: int = 64):
        super().__init__(image_size, n_values, channels, first_kernel, head_channels,
                         lambda: [DiagonalBiLSTM(channels, hidden) for _ in range(n_layers)])
