"""Gated PixelCNN specifics: it reads every earlier pixel, with no blind spot (generic AR properties:
test_autoregressive.py)."""

import pytest
import torch
import torch.nn as nn

from gen_core.models import PixelCNN
from gen_core.models.gated_pixelcnn import GatedPixelCNN


def randomized(model, std=0.3, seed=0):
    """The model with every parameter redrawn from N(0, std^2), far from the near-constant default init."""
    torch.manual_seed(seed)
    for p in model.parameters():
        nn.init.normal_(p, std=std)
    return model


def dependence(model, r, c, batch=4):
    """Sum over a few random inputs of |d logits(r, c) / d x|: [H, W], nonzero where logit (r, c) reads x."""
    size = model.image_size
    x = torch.rand(batch, 1, size, size, requires_grad=True)
    model.logits(x)[:, :, r, c].sum().backward()
    return x.grad.abs().sum((0, 1))


def test_each_logit_reads_exactly_the_pixels_before_it():
    size = 6
    model = randomized(GatedPixelCNN(image_size=size, channels=8, n_layers=4, kernel=3, first_kernel=3))
    before = torch.arange(size * size)[None, :] < torch.arange(size * size)[:, None]  # [i, j]: j < i
    for i in range(size * size):
        dep = dependence(model, *divmod(i, size)).flatten()
        assert torch.all(dep[~before[i]] == 0), f"pixel {i} reads pixels at or after itself"
        assert torch.all(dep[before[i]] > 0), f"pixel {i} misses some pixels before it"


@pytest.mark.parametrize("model, blind", [
    (GatedPixelCNN(image_size=6, channels=8, n_layers=3, kernel=3, first_kernel=3), False),
    (PixelCNN(image_size=6, channels=8, n_blocks=3, kernel=3, first_kernel=3), True),
], ids=["gated", "pixelcnn"])
def test_no_blind_spot_up_and_to_the_right(model, blind):
    """(r-1, c+2) lies in the blind spot of stacked 3x3 masked convolutions, however deep; not here."""
    dep = dependence(randomized(model), 3, 1)
    assert (dep[2, 3] == 0) == blind
    assert dep[1, 3] > 0
