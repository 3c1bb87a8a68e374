"""The Pixels tab's event functions: generation streams and rejects bad input; the race runs in lockstep."""
import gradio as gr
import pytest

from demo import pixels


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


def test_race_draws_the_same_seed_with_every_model_in_lockstep(tiny_nade, tmp_path, monkeypatch):
    from conftest import tiny_checkpoint

    tiny_checkpoint(tmp_path, "fvsbn-test", "fvsbn", {}, monkeypatch)
    frames = list(pixels.race(["nade-test", "fvsbn-test"], seed=3, n=2))
    assert len(frames) == pixels.FRAMES_PER_IMAGE
    canvas, status = frames[-1]
    assert "pixel 784 / 784" in status and "nade-test" in status and "fvsbn-test" in status
    alone = list(pixels.generate("nade-test", seed=3, temperature=1.0, n=2))[-1][0]
    row0, row1 = slice(2 * 6, 30 * 6), slice(32 * 6, 60 * 6)  # tile rows: pad 2, tile 28, pad 2 (x6)
    assert canvas.shape[1] == alone.shape[1] and (canvas[row0] == alone[row0]).all()  # NADE, as if alone
    assert (canvas[row1] != canvas[row0]).any()  # FVSBN's row differs
    with pytest.raises(gr.Error, match="between 1 and 8"):
        next(pixels.race([], 0))
