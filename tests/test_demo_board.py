"""Models tab: the board is read from the sidecars and the bench file, never typed in."""
import json

import gradio as gr
from PIL import Image

from conftest import tiny_checkpoint
from demo import board
from gen_core import checkpoints


def test_each_family_gets_its_own_columns_best_first(tmp_path, monkeypatch):
    tiny_checkpoint(tmp_path, "nade-test", "nade", {"hidden": 8}, monkeypatch)
    tiny_checkpoint(tmp_path, "fvsbn-test", "fvsbn", {"image_size": 4}, monkeypatch)
    checkpoints.update_meta(tmp_path / "nade-test", {"metrics": {"test_nll_nats": 101.234, "bits_per_dim": 0.18629},
                                                     "epochs": 3, "wall_time_s": 7200, "device_name": "cpu",
                                                     "parameters": 1234})
    checkpoints.update_meta(tmp_path / "fvsbn-test", {"metrics": {"test_nll_nats": 110.0}})
    tables, problems, samples = board.board()
    assert problems == [] and samples == [] and list(tables) == ["image"]
    headers = [c.header for c in board.FAMILIES["image"][1]]
    nade = dict(zip(headers, tables["image"][0]))
    assert tables["image"][1][0] == "fvsbn-test"  # sorted by test NLL
    assert nade == {"checkpoint": "nade-test", "parameters": "1,234", "test NLL (nats)": 101.23, "bits/dim": 0.1863,
                    "ms per pixel step": None, "s for 16 images": None, "× faster than recomputing": None,
                    "trained": "3 epochs, 120 min on cpu"}

    (tmp_path / "bench.json").write_text(json.dumps([{"model": "nade", "ms_per_step": 0.1234, "s_for_16_images": 3.0,
                                                      "speedup_vs_naive": 41.26}]))
    Image.new("L", (10, 10)).save(tmp_path / "nade-test.png")
    tables, _, samples = board.board()
    nade = dict(zip(headers, tables["image"][0]))
    assert (nade["ms per pixel step"], nade["s for 16 images"], nade["× faster than recomputing"]) == (0.123, 3.0, 41.3)
    assert [caption for _, caption in samples] == ["nade-test"]

    checkpoints.update_meta(tmp_path / "nade-test", {"published_mid_run": "after epoch 3 of 20"})
    nade = dict(zip(headers, board.board()[0]["image"][0]))
    assert nade["trained"] == "best of a run in progress (after epoch 3 of 20), 120 min on cpu"


def test_a_corrupt_bench_file_or_sidecar_is_reported_not_raised(tmp_path, monkeypatch):
    tiny_checkpoint(tmp_path, "nade-test", "nade", {"hidden": 8}, monkeypatch)
    (tmp_path / "bench.json").write_text("{not json")
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "broken.safetensors").write_bytes(b"")
    assert board.bench_rows() == {}
    tables, problems, _ = board.board()
    assert tables["image"][0][0] == "nade-test"
    assert len(problems) == 1 and problems[0].startswith("broken is unavailable: broken.json is not valid JSON")
    assert str(tmp_path) not in problems[0]  # no server paths


def test_tables_scroll_and_captions_sit_under_the_samples(tmp_path, monkeypatch):
    tiny_checkpoint(tmp_path, "nade-test", "nade", {"hidden": 8}, monkeypatch)
    Image.new("L", (10, 10)).save(tmp_path / "nade-test.png")
    with gr.Blocks() as app:
        board.build()
    found = {b.elem_id: b for b in app.blocks.values() if getattr(b, "elem_id", None)}
    assert "board-table" in found["board-image"].elem_classes and found["board-image"].wrap
    from demo import BASE_CSS
    assert "captions-below" in found["board-samples"].elem_classes  # under the picture, not over it
    assert ".captions-below .caption-label {position: static" in BASE_CSS
    assert "word-break: normal" in board.CSS  # headers break between words, never inside one
