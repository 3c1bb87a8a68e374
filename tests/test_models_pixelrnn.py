"""Row LSTM specifics (the generic AR properties are in test_models_base.py)."""
import itertools

import torch

from gen_core.models.pixelrnn import PixelRNN
from conftest import randomized


def random_model(std=0.3, seed=0, **config):
    """A model whose weights are all redrawn with a larger std, so that no dependence is too weak to see."""
    torch.manual_seed(seed)
    return randomized(PixelRNN(**config), std)


def test_logit_i_depends_on_exactly_the_earlier_pixels():
    size = 6
    model = random_model(image_size=size, channels=8, hidden=8)
    x = torch.rand(1, 1, size, size)
    jac = torch.autograd.functional.jacobian(lambda x: model.logits(x).flatten(), x)
    jac = jac.view(size ** 2, size ** 2)                      # [logit i, pixel j]
    assert torch.all(jac.triu() == 0)                         # d logit_i / d x_j = 0 for j >= i
    pos = lambda r, c: r * size + c
    for r, c in itertools.product(range(1, size), range(size)):
        assert jac[pos(r, c), pos(r - 1, c)] != 0             # the pixel above
        assert c == 0 or jac[pos(r, c), pos(r, c - 1)] != 0   # the pixel to the left
    assert jac[pos(5, 5), pos(0, 0)] != 0                     # beyond the 7x7 conv: carried by the LSTM
