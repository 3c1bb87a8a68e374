"""Receptive fields measured from the models: causal, PixelCNN's blind spot, the gated stack's fix,
the Row LSTM's triangle, the Diagonal BiLSTM's full context, MADE's known-first order."""
import torch

from gen_core.models import REGISTRY, build
from gen_core.receptive_field import before, receptive_field
from conftest import randomized

R, C = 14, 14
POS = R * 28 + C


def field(name, **config):
    """A model of the registry's shape with random weights (a zero-initialized one would see nothing)."""
    torch.manual_seed(0)
    model = randomized(build(name, {**REGISTRY[name].config, **config}), 0.1).eval()
    return model, receptive_field(model, POS)


def test_every_image_model_sees_only_pixels_before_it():
    for name in ("fvsbn", "nade", "pixelcnn", "gated_pixelcnn", "pixelrnn", "pixelrnn_diagonal",
                 "image_transformer"):
        model, rf = field(name)
        assert not (rf & ~before(model, POS)).any(), name
        assert rf[R - 1, C] and rf[R, C - 1], name  # the pixel above and the one to the left matter
        assert not rf[R, C], name                     # never the pixel itself


def test_pixelcnn_has_a_blind_spot_that_the_gated_pixelcnn_fills():
    model, rf = field("pixelcnn")
    blind = before(model, POS) & ~rf
    assert blind[R - 1, C + 1:].any() and not blind[R, :C].any()  # upper right, never the row so far
    assert blind[:R, C + 1:].sum() > 10
    gated, rf_gated = field("gated_pixelcnn")
    assert torch.equal(rf_gated, before(gated, POS))               # every earlier pixel is seen


def test_the_row_lstm_sees_a_triangle_above():
    model, rf = field("pixelrnn")
    widths = [int(rf[r].sum()) for r in range(R - 6, R)]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1]  # one pixel wider each row up
    assert rf[R - 6, C + 6] and not rf[R - 1, C + 6]


def test_the_diagonal_bilstm_sees_every_earlier_pixel_but_the_end_of_the_row_above():
    model, rf = field("pixelrnn_diagonal")
    blind = before(model, POS) & ~rf                               # the full context, where the Row LSTM's is a triangle,
    assert blind.nonzero().tolist() == [[R - 1, 27]]               # but for one pixel no input before it sees


def test_made_completes_from_every_known_pixel():
    torch.manual_seed(0)
    model = build("made", {"hidden": [64], "eval_orders": 1}).eval()
    known = torch.zeros(1, 1, 28, 28, dtype=torch.bool)
    known[..., 20:, :] = True                                      # the bottom rows known, the rest hidden
    view = model.conditioned_on(known)
    rf = receptive_field(view, 0)                                  # the top-left pixel, hidden
    assert torch.equal(rf, known[0, 0])                            # conditioned on exactly the known pixels
