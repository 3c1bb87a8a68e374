"""Row LSTM and Diagonal BiLSTM specifics (the generic AR properties, causality, normalization and the cached
step, are in test_models_base.py)."""
import itertools

import torch

from gen_core.models import pixelrnn_diagonal
from gen_core.models.pixelrnn import PixelRNN
from gen_core.models.pixelrnn_diagonal import DiagonalPixelRNN, skew, unskew
from conftest import randomized


def random_model(std=0.3, seed=0, cls=PixelRNN, **config):
    """A model whose weights are all redrawn with a larger std, so that no dependence is too weak to see."""
    torch.manual_seed(seed)
    return randomized(cls(**config), std)


def jacobian(model, size):
    """[logit i, pixel j]: d logit_i / d x_j on a random canvas."""
    x = torch.rand(1, 1, size, size)
    return torch.autograd.functional.jacobian(lambda x: model.logits(x).flatten(), x).view(size ** 2, size ** 2)


def test_logit_i_depends_on_exactly_the_earlier_pixels():
    size = 6
    jac = jacobian(random_model(image_size=size, channels=8, hidden=8), size)
    assert torch.all(jac.triu() == 0)                         # d logit_i / d x_j = 0 for j >= i
    pos = lambda r, c: r * size + c
    for r, c in itertools.product(range(1, size), range(size)):
        assert jac[pos(r, c), pos(r - 1, c)] != 0             # the pixel above
        assert c == 0 or jac[pos(r, c), pos(r, c - 1)] != 0   # the pixel to the left
    assert jac[pos(5, 5), pos(0, 0)] != 0                     # beyond the 7x7 conv: carried by the LSTM


def test_skew_shifts_row_r_right_by_r_and_unskew_undoes_it():
    x = torch.arange(1, 2 * 3 * 4 * 5 + 1, dtype=torch.float32).view(2, 3, 4, 5)
    s = skew(x)
    assert s.shape == (2, 3, 4, 5 + 4 - 1)
    for r, c in itertools.product(range(4), range(5)):
        assert torch.equal(s[:, :, r, r + c], x[:, :, r, c])
    assert (s != 0).sum() == x.numel()                        # zeros everywhere else
    assert torch.equal(unskew(s, 5), x)


def one_layer(cls, size):
    """One recurrent layer behind a 3x3 mask-A convolution: what reaches past the convolution is the layer's."""
    return random_model(cls=cls, image_size=size, channels=8, hidden=8, n_layers=1, first_kernel=3)


def test_one_diagonal_bilstm_layer_sees_all_but_one_earlier_pixel_where_the_row_lstm_sees_a_triangle():
    size = 6
    jac = jacobian(one_layer(DiagonalPixelRNN, size), size)
    assert torch.all(jac.triu() == 0)                         # causal
    unseen = {divmod(i, size) + divmod(j, size) for i, j in (jac == 0).tril(-1).nonzero().tolist()}
    # the last pixel of the row above: its own feature vector never sees it, and from row r only the 3x3
    # convolution at columns c >= size - 2 reaches it
    assert unseen == {(r, c, r - 1, size - 1) for r in range(1, size) for c in range(size - 2)}
    row = jacobian(one_layer(PixelRNN, size), size)
    assert row[3 * size + 0, 0 * size + 5] == 0               # (0, 5) is outside the Row LSTM's triangle at (3, 0)


def test_without_the_shift_the_right_to_left_direction_sees_the_next_pixel(monkeypatch):
    size = 5
    monkeypatch.setattr(pixelrnn_diagonal, "shift_down", lambda h: h)
    jac = jacobian(one_layer(DiagonalPixelRNN, size), size)
    assert jac[2 * size + 1, 2 * size + 2] != 0               # logit of (2, 1) depends on x at (2, 2): not causal
