"""The app starts, and the pixel tab's event function streams and rejects bad input."""
import gradio as gr
import pytest
import torch

import app  # noqa: F401  (builds the whole Blocks app, as `python app.py` does)
from demo import models, pixels


def test_app_builds():
    assert isinstance(app.demo, gr.Blocks)


def test_generate_streams_rows_then_a_summary(tiny_nade):
    frames = list(pixels.generate(tiny_nade, seed=1, temperature=1.0, n=3))
    assert len(frames) == pixels.FRAMES_PER_IMAGE  # 27 row frames + the final one
    canvas, probs, status = frames[-1]
    assert canvas.shape == probs.shape and canvas.dtype == probs.dtype
    assert "nats" in status
    again = list(pixels.generate(tiny_nade, seed=1, temperature=1.0, n=3))[-1][0]
    assert (again == canvas).all()


@pytest.mark.parametrize("args", [(-1, 1.0, 4), (0, 9.0, 4), (0, 1.0, 0), (0, 1.0, 17), ("x", 1.0, 4)])
def test_generate_rejects_bad_input(tiny_nade, args):
    with pytest.raises(gr.Error):
        next(pixels.generate(tiny_nade, *args))


def test_missing_checkpoint_is_a_message_not_a_crash(tiny_nade):
    with pytest.raises(gr.Error, match="gen_core.train"):
        next(pixels.generate("no-such-checkpoint", 0, 1.0, 1))
