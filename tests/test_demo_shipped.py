"""The shipped-checkpoint cache: menus list the best measured model first, each labelled with its figure."""
from conftest import tiny_checkpoint
from demo import shipped
from gen_core import checkpoints


def test_menus_list_the_best_measured_model_first(tiny_nade, tmp_path, monkeypatch):
    tiny_checkpoint(tmp_path, "fvsbn-test", "fvsbn", {}, monkeypatch)
    tiny_checkpoint(tmp_path, "made-test", "made", {"hidden": [8], "eval_orders": 1}, monkeypatch)
    checkpoints.update_meta(tmp_path / "fvsbn-test", {"metrics": {"test_nll_nats": 110.3}})
    checkpoints.update_meta(tmp_path / "made-test", {"metrics": {"test_nll_nats": 99.5}})
    shipped.names.cache_clear()
    assert shipped.names("image") == ("made-test", "fvsbn-test", "nade-test")  # nade-test has no metric
    assert shipped.label("made-test") == "made-test · test NLL 99.5 nats" and shipped.label("nade-test") == "nade-test"
