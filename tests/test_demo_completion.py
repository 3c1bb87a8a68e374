"""Completion tab: presets, streaming, known pixels kept, what each model conditions on, bad input."""
import types

import gradio as gr
import numpy as np
import pytest
import torch

from conftest import tiny_checkpoint
from demo import completion, picker, replay
from gen_core.data.gallery import gallery
from gen_core.viz import cell_origin

IMAGE = gallery()[0][0, 0].numpy()


@pytest.fixture
def tiny_made(tmp_path, monkeypatch):
    tiny_checkpoint(tmp_path, "nade-test", "nade", {"hidden": 8}, monkeypatch)
    return tiny_checkpoint(tmp_path, "made-test", "made", {"hidden": [32], "eval_orders": 1}, monkeypatch)


@pytest.mark.parametrize("preset,count", [("bottom half", 392), ("right half", 392), ("centre square", 196)])
def test_presets_hide_what_they_say(preset, count):
    hidden = completion.preset_mask(preset)
    assert hidden.shape == (28, 28) and int(hidden.sum()) == count
    assert completion.preset_mask("random pixels", 1).float().mean().item() == pytest.approx(0.5, abs=0.1)


@pytest.mark.parametrize("preset", ["bottom half", "random pixels"])
def test_completions_stream_and_keep_every_known_pixel(tiny_made, preset):
    frames = list(completion.complete("nade-test", IMAGE, preset, None, n=3, seed=2))
    assert len(frames) > 10
    fig, status, rec, step = frames[-1]
    assert rec.steps == 784 and step.value == 784
    assert completion.picture("nade-test", rec, rec.steps)[0] == fig  # the last step replays the result
    (fig,) = completion.images.decode_html(fig)
    assert "3 completions" in status
    # raster-order NADE sees the whole top half before the bottom, but not the random pixels ahead of it
    assert ("fixed order" in status) == (preset == "random pixels")
    hidden = completion.preset_mask(preset, 2).numpy()
    s = completion.images.SCALE
    cells = []  # 5 tiles in a row: occluded, 3 completions, original; one value per model pixel
    for k in range(5):
        top, left = (s * v for v in cell_origin(k, 5, 28, 28))
        cells.append(fig[top:top + 28 * s:s, left:left + 28 * s:s, 0])
    original = cells[4]
    assert ((original > 127) == (IMAGE >= 128)).all()  # the binarized original, as the model sees it
    for done in cells[1:4]:
        assert (done[~hidden] == original[~hidden]).all()
        assert set(np.unique(done[hidden])) <= {0, 255}  # every hidden pixel drawn (no blue left)


def test_made_conditions_on_every_known_pixel(tiny_made):
    *_, (fig, status, _, _) = completion.complete("made-test", IMAGE, "random pixels", None, n=2, seed=0)
    assert "all" in status and "fixed order" not in status


def test_my_painting_hides_the_painted_cells(tiny_made):
    layer = np.zeros((168, 168, 4), np.uint8)
    layer[:84, :, 3] = 255  # the top half painted
    hidden = completion.hidden_mask("my painting", {"background": None, "layers": [layer], "composite": None}, 0)
    assert int(hidden.sum()) == 392 and hidden[:14].all()
    everything = {"background": None, "layers": [np.full((168, 168, 4), 255, np.uint8)], "composite": None}
    *_, (_, status, _, _) = completion.complete("nade-test", IMAGE, "my painting", everything, n=1)
    assert "unconditional" in status


@pytest.mark.parametrize("args,message", [
    ((None, "bottom half", None, 2), "Choose an image"),
    ((IMAGE, "my painting", {"background": None, "layers": [], "composite": None}, 2), "Nothing painted"),
    ((IMAGE, "bottom half", None, 9), "between 1 and 8"),
    ((IMAGE, "sideways", None, 2), "Unknown occlusion"),
    ((np.zeros((5, 5)), "bottom half", None, 2), "28x28"),
])
def test_bad_input_is_a_message(tiny_made, args, message):
    with pytest.raises(gr.Error, match=message):
        next(completion.complete("nade-test", *args))


def test_choosing_an_image_updates_state_preview_and_editor():
    state, preview = picker.show(torch.full((1, 1, 28, 28), 200, dtype=torch.uint8))
    assert state.shape == (28, 28) and preview.ndim == 3 and completion.editor_value(state)["layers"] == []
    with pytest.raises(gr.Error, match="blank"):
        picker.from_drawing({"background": None, "layers": [], "composite": None})
    with pytest.raises(gr.Error, match="Could not read"):
        picker.from_upload(__file__)
    ink = np.zeros((280, 280, 4), np.uint8)
    ink[100:180, 130:150, 3] = 255  # a vertical black stroke on a white canvas
    state, _ = picker.from_drawing({"background": None, "layers": [ink], "composite": None})
    assert state[14, 14] > 200 and state[0, 0] == 0  # light stroke on black, like the dataset


def test_conditioning_counts_the_known_pixels_each_order_can_use():
    from gen_core.models import build
    from gen_core.sampling import conditioning

    known = ~completion.preset_mask("right half")
    assert conditioning(build("fvsbn"), known) == (14, 378)  # raster: row 0's left half, then the rest later
    assert conditioning(build("made", {"hidden": [16]}), known) == (392, 0)  # order-agnostic: all first
    assert conditioning(build("fvsbn"), ~completion.preset_mask("bottom half")) == (392, 0)


def test_stop_keeps_the_partial_completion(tiny_made):
    request = types.SimpleNamespace(session_hash="visitor")
    run = completion.complete("made-test", IMAGE, "bottom half", None, n=2, seed=0, request=request)
    next(run)
    replay.ask_to_stop("completion")(request)
    fig, status, rec, step = next(run)
    assert "Stopped at hidden pixel" in status and rec.steps < 784 and step.value == rec.steps
    assert torch.equal(rec.canvas(rec.steps)[:, :, :14], rec.original.expand(2, -1, -1, -1)[:, :, :14])  # known kept
    assert fig == completion.picture("made-test", rec, rec.steps)[0]


def test_the_inspector_shows_made_conditioning_on_the_known_pixels(tiny_made):
    *_, (_, _, rec, _) = completion.complete("made-test", IMAGE, "bottom half", None, n=1, seed=0)
    k = 392 + 1                                       # MADE: 392 known pixels first, then the first hidden one
    seen, figure, about = replay.inspect("made-test", rec, k, 1, 1.0)
    field = replay.field("made-test", rec.position(k), replay.known_key(rec))
    assert torch.equal(field, ~completion.preset_mask("bottom half"))  # exactly the known top half
    assert "sees **392**" in about and figure is not None


def test_choosing_an_image_shows_it_occluded_before_completing(tiny_made):
    (fig,) = completion.images.decode_html(completion.occluded("made-test", IMAGE, "bottom half"))
    s = completion.images.SCALE
    assert fig.shape[1] == (2 * 30 + 2) * s  # occluded | original
    assert (completion.occluded("made-test", IMAGE, "my painting", None) is not None)  # nothing painted yet: no error
