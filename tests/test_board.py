"""Models tab: the board is read from the sidecars and the bench file, never typed in."""
import json

from conftest import tiny_checkpoint
from demo import board
from gen_core import checkpoints


def test_the_board_shows_each_checkpoint_with_its_recorded_figures(tmp_path, monkeypatch):
    tiny_checkpoint(tmp_path, "nade-test", "nade", {"hidden": 8}, monkeypatch)
    checkpoints.update_meta(tmp_path / "nade-test", {"metrics": {"test_nll_nats": 101.234, "test_images": 10000},
                                                     "epochs": 3, "wall_time_s": 7200, "device_name": "cpu"})
    rows, samples = board.board()
    assert rows == [["nade-test", "image", None, "test_nll_nats 101.2", None, "3 epochs, 2.0 h on cpu"]]
    assert samples == []
    (tmp_path / "bench.json").write_text(json.dumps([{"model": "nade", "ms_per_step": 0.1234}]))
    from PIL import Image
    Image.new("L", (10, 10)).save(tmp_path / "nade-test.png")
    rows, samples = board.board()
    assert rows[0][4] == 0.123 and samples[0][1] == "nade-test"


def test_a_corrupt_bench_file_or_sidecar_is_reported_not_raised(tmp_path, monkeypatch):
    tiny_checkpoint(tmp_path, "nade-test", "nade", {"hidden": 8}, monkeypatch)
    (tmp_path / "bench.json").write_text("{not json")
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "broken.safetensors").write_bytes(b"")
    assert board.bench_rows() == {}
    rows, _ = board.board()
    assert rows[0][0] == "broken" and "unreadable" in rows[0][3]
