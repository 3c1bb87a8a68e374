"""The Pixels tab's event functions: generation streams, records and rejects bad input; Stop keeps the
partial draw; the step-through replays it exactly; the race runs in lockstep; the nearest training image."""
import types

import gradio as gr
import pytest
import torch

from demo import images, layout, pixels, replay
from gen_core import neighbours
from gen_core.sampling import sample


def visitor(session="s1"):
    return types.SimpleNamespace(session_hash=session)


def test_generate_streams_rows_then_a_summary(tiny_nade):
    frames = list(pixels.generate(tiny_nade, seed=1, temperature=1.0, n=3))
    assert len(frames) == layout.FRAMES_PER_IMAGE  # 27 row frames + the final one
    canvas, probs, status, rec, step = frames[-1]
    (canvas,), (probs,) = images.decode_html(canvas), images.decode_html(probs)  # pictures inline: no cache files
    assert canvas.shape == probs.shape and canvas.dtype == probs.dtype
    assert (canvas == images.image_grid(rec.x, 2)).all()
    assert "nats" in status and rec.steps == 784 and step.value == 784
    again = list(pixels.generate(tiny_nade, seed=1, temperature=1.0, n=3))[-1][0]
    assert (images.decode_html(again)[0] == canvas).all()


def test_stop_keeps_the_partial_draw_and_says_where(tiny_nade):
    request = visitor()
    run = pixels.generate(tiny_nade, seed=1, temperature=1.0, n=2, request=request)
    for _ in range(5):
        *_, rec, _ = next(run)
    replay.ask_to_stop("pixels")(request)
    canvas, probs, status, rec, step = next(run)
    assert "Stopped at pixel" in status and 0 < rec.steps < 784 and step.value == rec.steps
    assert len(images.decode_html(canvas)) == 1 and len(images.decode_html(probs)) == 1
    with pytest.raises(StopIteration):
        next(run)
    replay.ask_to_stop("pixels")(request)  # a click when nothing runs cannot stop the next draw
    run = pixels.generate(tiny_nade, seed=1, temperature=1.0, n=2, request=request)
    next(run)
    replay.ask_to_stop("pixels")(visitor("s2"))  # nor can another visitor's click
    assert "nats" in list(run)[-1][2]


def test_scrubbing_to_step_k_shows_the_canvas_the_model_had_after_k_pixels(tiny_nade):
    *_, (_, _, _, rec, _) = pixels.generate(tiny_nade, seed=4, temperature=1.0, n=2)
    model = pixels.shipped.get(tiny_nade)
    for k in (1, 100, 391, 784):
        stopped_at_k = sample(model, 2, generator=torch.Generator().manual_seed(4), steps=k)
        assert torch.equal(rec.canvas(k), stopped_at_k)
        canvas, _, seen, figure, about = replay.show(tiny_nade, rec, k, 1, 1.0)
        expected = images.mark(images.image_grid(stopped_at_k, 2), rec.position(k), 2, 28)
        assert (images.decode_html(canvas)[0] == expected).all()
        assert seen.shape == (280, 280, 3) and f"Step {k} of 784" in about
    assert replay.nudge(rec, 784, 1) == 784 and replay.nudge(rec, 0, -1) == 0
    click = types.SimpleNamespace(index=[7 * replay.INSPECT_SCALE + 3, 5 * replay.INSPECT_SCALE + 9])  # x, y
    assert rec.position(replay.clicked(rec, 1, click)) == 5 * 28 + 7  # the step that drew (row 5, column 7)
    k, timer = replay.tick(rec, 780, "a row / s")
    assert k == 784 and timer.active is False


@pytest.mark.parametrize("args", [(-1, 1.0, 4), (0, 9.0, 4), (0, 1.0, 0), (0, 1.0, 17), ("x", 1.0, 4)])
def test_generate_rejects_bad_input(tiny_nade, args):
    with pytest.raises(gr.Error):
        next(pixels.generate(tiny_nade, *args))


def test_missing_checkpoint_is_a_message_not_a_crash(tiny_nade):
    with pytest.raises(gr.Error, match="gen_core.train"):
        next(pixels.generate("no-such-checkpoint", 0, 1.0, 1))


def test_race_draws_the_same_seed_with_every_model_in_lockstep(tiny_nade, tmp_path, monkeypatch):
    from conftest import tiny_checkpoint

    tiny_checkpoint(tmp_path, "fvsbn-test", "fvsbn", {}, monkeypatch)
    frames = list(pixels.race(["nade-test", "fvsbn-test"], seed=3, n=2))
    assert len(frames) == layout.FRAMES_PER_IMAGE
    rows, status, state, step = frames[-1]
    assert "pixel 784 / 784" in status and rows.index("nade-test ·") < rows.index("fvsbn-test ·")  # captioned rows
    *_, (_, _, _, alone, _) = pixels.generate("nade-test", seed=3, temperature=1.0, n=2)
    nade_row, fvsbn_row = images.decode_html(rows)
    assert (nade_row == images.image_grid(alone.x, 2, nrow=2)).all()  # NADE, as if alone
    assert (fvsbn_row != nade_row).any()  # FVSBN's row differs
    early, _ = images.decode_html(pixels.race_at(state, 100))
    assert (early != nade_row).any()  # scrubbed back to step 100
    with pytest.raises(gr.Error, match="between 1 and 8"):
        next(pixels.race([], 0))


def test_the_nearest_training_image_is_the_true_minimum(tiny_nade, monkeypatch):
    g = torch.Generator().manual_seed(0)
    train = (torch.rand(300, 1, 28, 28, generator=g) < 0.3).to(torch.uint8) * 255
    monkeypatch.setattr(pixels, "training_set", lambda: (neighbours.HammingIndex(train >= 128), train))
    *_, (_, _, _, rec, _) = pixels.generate(tiny_nade, seed=2, temperature=1.0, n=3)
    items, note = pixels.nearest(rec)
    distances = ((rec.x.flatten(1)[:, None] != (train >= 128).float().flatten(1)[None]).sum(-1))  # brute force
    for (picture, caption), row in zip(items, distances):
        i = int(row.argmin())
        assert f"training image {i}: {int(row.min())} pixels differ" in caption
    assert "Hamming" in note and "median" in note
