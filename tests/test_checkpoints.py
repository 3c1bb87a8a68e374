import json

import pytest
import torch
from conftest import needs_data
from safetensors.torch import load_file

from gen_core import checkpoints, evaluate
from gen_core.checkpoints import CheckpointError
from gen_core.models import REGISTRY, build


def saved(tmp_path, name="nade", config=None):
    torch.manual_seed(0)
    config = config or {"image_size": 6, "hidden": 5}
    model = build(name, config)
    checkpoints.save(model, tmp_path / f"{name}-test", {"model": name, "config": config, "metrics": {}})
    return model, tmp_path / f"{name}-test"


@pytest.mark.parametrize("name,config", [("nade", {"image_size": 6, "hidden": 5}),
                                         ("made", {"image_size": 6, "hidden": [12], "eval_orders": 2}),
                                         ("pixelcnn", {"image_size": 6, "channels": 4, "n_blocks": 1})])
def test_save_load_round_trip_gives_identical_log_prob(tmp_path, name, config):
    model, path = saved(tmp_path, name, config)
    loaded = checkpoints.load(path)
    x = torch.randint(0, 2, (8, 1, 6, 6)).float()
    assert torch.equal(model.eval().log_prob(x), loaded.log_prob(x))
    assert loaded.meta["model"] == name


def test_missing_checkpoint_says_how_to_train(tmp_path):
    with pytest.raises(CheckpointError, match="gen_core.train"):
        checkpoints.load(tmp_path / "nothing-here")


def test_corrupt_weights_raise_a_clear_error(tmp_path):
    _, path = saved(tmp_path)
    path.with_suffix(".safetensors").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(CheckpointError, match="corrupt"):
        checkpoints.load(path)


def test_corrupt_or_foreign_sidecar_raises_a_clear_error(tmp_path):
    _, path = saved(tmp_path)
    path.with_suffix(".json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        checkpoints.load(path)
    path.with_suffix(".json").write_text(json.dumps({"model": "no-such-model", "config": {}}))
    with pytest.raises(CheckpointError, match="known model"):
        checkpoints.load(path)


def test_weights_that_do_not_fit_the_config(tmp_path):
    _, path = saved(tmp_path)
    path.with_suffix(".json").write_text(json.dumps({"model": "nade", "config": {"image_size": 6, "hidden": 9}}))
    with pytest.raises(CheckpointError, match="does not fit"):
        checkpoints.load(path)


def test_shipped_checkpoints_load_with_their_measured_test_metrics():
    for name in checkpoints.available():
        model = checkpoints.load(name)
        task = REGISTRY[model.meta["model"]].task
        # a best-so-far checkpoint of an unfinished run records only its validation metric
        assert [k for k in model.meta["metrics"] if not k.startswith("val_")], (
            f"{name} has no measured test metric: an unfinished run left it; finish the run or delete it")
        if task in ("image", "latent", "gan"):  # an image model ships a grid of its samples
            assert (checkpoints.CHECKPOINT_DIR / f"{name}.png").is_file()


def test_float16_weights_halve_the_file_and_load_as_the_rounded_model(tmp_path):
    config = {"image_size": 6, "hidden": [40], "eval_orders": 2}
    model, path = saved(tmp_path, "made", config)
    full_size = path.with_suffix(".safetensors").stat().st_size
    checkpoints.save(model, tmp_path / "half", {"model": "made", "config": config, "weights_dtype": "float16"})
    assert (tmp_path / "half.safetensors").stat().st_size < 0.6 * full_size
    loaded = checkpoints.load(tmp_path / "half")
    assert next(loaded.parameters()).dtype == torch.float32
    x = torch.randint(0, 2, (8, 1, 6, 6)).float()
    assert not torch.equal(model.eval().log_prob(x), loaded.log_prob(x))  # the rounding is real ...
    checkpoints.round_weights(model, torch.float16)
    assert torch.equal(model.log_prob(x), loaded.log_prob(x))  # ... and exactly what round_weights measures


def test_unknown_weights_dtype_is_refused(tmp_path):
    model, _ = saved(tmp_path)
    with pytest.raises(CheckpointError, match="weights_dtype"):
        checkpoints.save(model, tmp_path / "odd", {"model": "nade", "config": {}, "weights_dtype": "int4"})


def test_shipped_float16_weights_load_exactly_into_float32_models():
    half = [n for n in checkpoints.available() if checkpoints.read_meta(n).get("weights_dtype") == "float16"]
    assert half, "no shipped checkpoint stores its weights in float16"
    for name in half:
        stored = load_file(str(checkpoints.paths(name)[0]))
        assert {v.dtype for v in stored.values() if v.is_floating_point()} == {torch.float16}, name
        for key, v in checkpoints.load(name).state_dict().items():
            if v.is_floating_point():
                assert v.dtype == torch.float32 and torch.equal(v, stored[key].float()), (name, key)


@needs_data("fashion-mnist")
def test_a_float16_checkpoint_measures_what_its_sidecar_says():
    name = "fvsbn-fashion-mnist"  # float16 weights, and the whole test set takes a fraction of a second
    [row] = evaluate.evaluate([name])
    assert checkpoints.read_meta(name)["weights_dtype"] == "float16"
    assert row["metrics"]["test_nll_nats"] == pytest.approx(row["sidecar"]["test_nll_nats"], rel=1e-6)
