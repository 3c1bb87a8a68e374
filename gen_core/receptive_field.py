"""What a conditional actually sees: the receptive field of p(x_i | x_<i), measured from the model.

The pixels that can change the conditional of pixel i are those with a nonzero gradient

    d out_i / d x_j != 0   for some canvas x,

where out_i is the model's output (logits) at pixel i. A masked weight contributes exactly 0.0, so
no pixel outside the architecture's reach can ever show up; to keep a pixel inside it from hiding
behind a dead unit on one canvas, the union is taken over a few random canvases (of values between
the levels, where every model's input is differentiable). For a causal model
the field lies inside "the pixels before i in its order"; what it leaves out is the model's blind spot
(PixelCNN's upper right), and what it takes in shows its reach (the Row LSTM's triangle, the Diagonal
BiLSTM's whole context but the last pixel of the row above, MADE's known-first order).
"""
from __future__ import annotations

import torch


def receptive_field(model, pos: int, trials: int = 4, seed: int = 0) -> torch.Tensor:
    """Bool [H, W]: the pixels whose value changes the output at flat position ``pos`` (union of the
    input gradients on ``trials`` random canvases, the output's channels mixed by random weights)."""
    g = torch.Generator().manual_seed(seed)
    size = model.image_size
    x = torch.rand(trials, 1, size, size, generator=g) * (model.n_values - 1)  # between the levels: no flat spot
    device = model.order.device
    x = x.to(device).requires_grad_()
    weights = torch.randn(trials, model.out_channels, generator=g).to(device)
    was_training = model.training
    model.eval()
    with torch.enable_grad():
        out = model.logits(x).flatten(2)[:, :, pos]          # [trials, channels]
        (grad,) = torch.autograd.grad((out * weights).sum(), x)
    model.train(was_training)
    return (grad != 0).any(0)[0].cpu()


def before(model, pos: int) -> torch.Tensor:
    """Bool [H, W]: the pixels that come before ``pos`` in the model's order (what it may condition on)."""
    order = model.order.cpu()
    rank = (order == pos).nonzero()[0, 0]
    mask = torch.zeros(model.num_pixels, dtype=torch.bool)
    mask[order[:rank]] = True
    return mask.view(model.image_size, model.image_size)
