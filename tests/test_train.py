"""A training smoke run on tiny synthetic data through the real CLI, including kill-and-resume."""
import json
import shlex

import numpy as np
import pytest
import torch

from safetensors.torch import load_file

from gen_core import checkpoints, train
from test_data_images import write_idx


@pytest.fixture(scope="module")
def synthetic_data(tmp_path_factory):
    """55,040 'training' images (so the 5,000 validation images exist) of horizontal bars, 40 test ones."""
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)

    def bars(n):
        rows = rng.integers(0, 28, n)
        images = np.zeros((n, 28, 28), np.uint8)
        images[np.arange(n), rows] = 255
        images[np.arange(n), (rows + 1) % 28] = 255
        return images

    write_idx(root / "train-images-idx3-ubyte.gz", bars(55_040), True)
    write_idx(root / "train-labels-idx1-ubyte.gz", np.zeros(55_040), True)
    write_idx(root / "t10k-images-idx3-ubyte.gz", bars(40), True)
    write_idx(root / "t10k-labels-idx1-ubyte.gz", np.zeros(40), True)
    return root


def run(data, tmp_path, *extra):
    return train.main(["nade", "--data-dir", str(data), "--limit", "200", "--config", '{"hidden": 16}',
                       "--lr", "0.01", "--batch-size", "20", "--publish", "--out", str(tmp_path / "ck"),
                       "--run-dir", str(tmp_path / "runs"), "--device", "cpu", *extra])


def test_training_learns_writes_a_checkpoint_and_resumes(synthetic_data, tmp_path):
    meta = run(synthetic_data, tmp_path, "--epochs", "1")
    first = meta["history"][-1]["val_nll_nats"]
    assert meta["metrics"]["test_nll_nats"] < 784 * np.log(2) * 0.8  # clearly below a coin flip per pixel
    state = json.loads((tmp_path / "runs" / "nade-fashion-mnist" / "state.json").read_text())
    assert state["epoch"] == 1 and state["step"] == 10
    meta = run(synthetic_data, tmp_path, "--epochs", "3", "--resume")
    assert [h["epoch"] for h in meta["history"]] == [1, 2, 3]  # continued, not restarted
    (change,) = meta["changes"]  # the extension from 1 to 3 epochs is on record
    assert change["after_epoch"] == 1 and change["before"]["epochs"] == 1 and change["after"]["epochs"] == 3
    assert change["after"]["config"] == meta["config"]
    assert meta["metrics"]["val_nll_nats"] < first
    for suffix in (".safetensors", ".json", ".png"):
        assert (tmp_path / "ck" / f"nade-fashion-mnist{suffix}").is_file()
    assert checkpoints.load(tmp_path / "ck" / "nade-fashion-mnist").meta["metrics"]["test_images"] == 40


@pytest.mark.parametrize("extra", [(), ("--ema", "0.9")])
def test_a_run_killed_mid_epoch_resumes_to_the_same_result(synthetic_data, tmp_path, monkeypatch, extra):
    straight = run(synthetic_data, tmp_path / "a", "--epochs", "2", *extra)
    real_rate, calls = train.learning_rate, []

    def killed_at_step_13(settings, lr, step, total):
        calls.append(step)
        if step == 13:  # in the middle of epoch 2 (10 batches per epoch)
            raise KeyboardInterrupt
        return real_rate(settings, lr, step, total)

    monkeypatch.setattr(train, "learning_rate", killed_at_step_13)
    with pytest.raises(KeyboardInterrupt):
        run(synthetic_data, tmp_path / "b", "--epochs", "2", "--save-every", "0", *extra)
    monkeypatch.setattr(train, "learning_rate", real_rate)
    resumed = run(synthetic_data, tmp_path / "b", "--epochs", "2", "--resume", *extra)
    assert "changes" not in resumed  # resumed as it was planned
    assert resumed["metrics"]["test_nll_nats"] == pytest.approx(straight["metrics"]["test_nll_nats"], abs=1e-4)
    assert [h["val_nll_nats"] for h in resumed["history"]] == \
        pytest.approx([h["val_nll_nats"] for h in straight["history"]], abs=1e-4)


def test_cpu_bf16_autocasts_the_training_steps_only(synthetic_data, tmp_path, monkeypatch):
    from gen_core.tasks.image import ImageLikelihood

    dtypes = []
    original = ImageLikelihood.step

    def spy(self, batch, optimizers):
        with self.autocast():
            dtypes.append(torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else torch.float32)
        return original(self, batch, optimizers)

    monkeypatch.setattr(ImageLikelihood, "step", spy)
    meta = run(synthetic_data, tmp_path, "--epochs", "1", "--cpu-bf16")
    assert meta["training_precision"] == "bf16 autocast"
    assert set(dtypes) == {torch.bfloat16}
    assert meta["metrics"]["test_nll_nats"] < 784 * np.log(2) * 0.8
    assert run(synthetic_data, tmp_path / "fp32", "--epochs", "1")["training_precision"] == "float32"


def test_weights_float16_publishes_half_size_weights_measured_after_rounding(synthetic_data, tmp_path):
    meta = run(synthetic_data, tmp_path, "--epochs", "1", "--weights-float16")
    assert meta["weights_dtype"] == "float16"
    published = tmp_path / "ck" / "nade-fashion-mnist"
    best = tmp_path / "runs" / "nade-fashion-mnist" / "best"
    assert published.with_suffix(".safetensors").stat().st_size < 0.6 * best.with_suffix(".safetensors").stat().st_size
    from safetensors.torch import load_file
    assert {v.dtype for v in load_file(str(published.with_suffix(".safetensors"))).values()} == {torch.float16}
    from gen_core.evaluate import evaluate
    with pytest.MonkeyPatch.context() as mp:  # the published test NLL is what the rounded weights measure
        mp.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path / "ck")
        row, = evaluate(data_dir=str(synthetic_data))
    assert row["metrics"]["test_nll_nats"] == pytest.approx(meta["metrics"]["test_nll_nats"], abs=1e-5)


def test_hflip_trains_on_the_mirror_images_too_and_says_so(synthetic_data, tmp_path):
    meta = run(synthetic_data, tmp_path, "--epochs", "1", "--hflip")
    state = json.loads((tmp_path / "runs" / "nade-fashion-mnist" / "state.json").read_text())
    assert state["step"] == 20 and state["hflip"]  # 200 images + their 200 mirror images, batches of 20
    assert "mirror" in meta["data_protocol"]["augmentation"]
    with pytest.raises(SystemExit, match="--hflip"):
        run(synthetic_data, tmp_path, "--epochs", "2", "--resume")
    with pytest.raises(SystemExit, match="image models"):
        train.main(["char_rnn", "--hflip", "--limit", "10"])


def test_publish_best_ships_an_unfinished_run_and_says_so(synthetic_data, tmp_path):
    with pytest.raises(SystemExit, match="no best checkpoint"):
        run(synthetic_data, tmp_path, "--epochs", "3", "--publish-best")
    trained = run(synthetic_data, tmp_path, "--epochs", "1")
    meta = run(synthetic_data, tmp_path, "--epochs", "3", "--publish-best")
    assert meta["published_mid_run"] == "after epoch 1 of 3"
    assert meta["metrics"]["test_nll_nats"] == pytest.approx(trained["metrics"]["test_nll_nats"])
    assert checkpoints.load(tmp_path / "ck" / "nade-fashion-mnist").meta["published_mid_run"] == "after epoch 1 of 3"
    state = json.loads((tmp_path / "runs" / "nade-fashion-mnist" / "state.json").read_text())
    assert state["epoch"] == 1  # nothing was trained


def test_weight_average_is_the_exponential_moving_average_of_the_steps():
    model = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    average = train.WeightAverage(model, decay=0.5)
    for value in (4.0, 8.0):
        with torch.no_grad():
            model.weight.fill_(value)
        average.update(model)
    assert average.theta_bar["weight"].item() == pytest.approx(0.5 * (0.5 * 0 + 0.5 * 4) + 0.5 * 8)
    with average.applied(model):
        assert model.weight.item() == pytest.approx(5.0)
    assert model.weight.item() == 8.0  # its own weights are back


def test_ema_validates_and_ships_the_averaged_weights_and_can_start_at_a_resume(synthetic_data, tmp_path):
    run(synthetic_data, tmp_path, "--epochs", "1")
    meta = run(synthetic_data, tmp_path, "--epochs", "2", "--resume", "--ema", "0.9")
    assert meta["weight_average"] == "exponential moving average, decay 0.9"
    (change,) = meta["changes"]
    assert change["after_epoch"] == 1 and "ema" not in change["before"] and change["after"]["ema"] == 0.9
    state = load_file(str(tmp_path / "runs" / "nade-fashion-mnist" / "state.safetensors"))
    shipped = checkpoints.load(tmp_path / "ck" / "nade-fashion-mnist")
    weights = dict(shipped.named_parameters())
    assert {k for k in state if k.startswith("average/")} == {f"average/{k}" for k in weights}
    for k, w in weights.items():  # the averages, not the last weights
        assert torch.equal(w, state[f"average/{k}"]) and not torch.equal(w, state[f"model/{k}"]), k


def test_without_publish_nothing_reaches_checkpoints_and_the_command_says_how(synthetic_data, tmp_path, monkeypatch,
                                                                            capsys):
    from conftest import ROOT

    shipped = {f: f.stat().st_mtime_ns for f in (ROOT / "checkpoints").iterdir()}
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path / "ck")
    args = ["nade", "--data-dir", str(synthetic_data), "--limit", "200", "--config", '{"hidden": 16}', "--epochs", "1",
            "--batch-size", "20", "--run-dir", str(tmp_path / "runs"), "--device", "cpu"]
    meta = train.main(args)
    assert not (tmp_path / "ck").exists()
    finished = tmp_path / "runs" / "nade-fashion-mnist" / "finished" / "nade-fashion-mnist"
    assert checkpoints.load(finished).meta["metrics"] == meta["metrics"]
    assert finished.with_suffix(".png").is_file()
    command = capsys.readouterr().out.strip().splitlines()[-1].strip()
    assert command.startswith(".venv/bin/python -m gen_core.train nade ") and command.endswith("--resume --publish")
    published = train.main(shlex.split(command)[3:])  # as printed: ships the finished run, trains nothing
    assert published["metrics"] == pytest.approx(meta["metrics"]) and published["history"] == meta["history"]
    assert checkpoints.load(tmp_path / "ck" / "nade-fashion-mnist").meta["epochs"] == 1
    assert {f: f.stat().st_mtime_ns for f in (ROOT / "checkpoints").iterdir()} == shipped


def test_a_missing_dataset_is_a_three_line_message_not_a_traceback(tmp_path, monkeypatch):
    from gen_core.data import images

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GENLAB_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setattr(images, "_download", lambda name, source: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(SystemExit) as exit_:
        train.main(["nade", "--limit", "10", "--epochs", "1", "--run-dir", str(tmp_path / "runs"), "--device", "cpu"])
    lines = str(exit_.value.code).splitlines()
    assert len(lines) == 3 and lines[0].startswith("error: fashion-mnist") and "offline" in lines[1]
    assert "--data-dir DIR" in lines[2] and "GENLAB_DATA" in lines[2]


def test_init_from_starts_a_fresh_run_from_shipped_weights_and_keeps_their_history(synthetic_data, tmp_path):
    shipped = run(synthetic_data, tmp_path, "--epochs", "2")
    source = tmp_path / "source"
    (tmp_path / "ck").rename(source)
    fresh = run(synthetic_data, tmp_path, "--epochs", "1", "--lr", "1e-9", "--run-dir", str(tmp_path / "fresh"))
    tuned = run(synthetic_data, tmp_path, "--epochs", "1", "--lr", "1e-9", "--run-dir", str(tmp_path / "tuned"),
                "--init-from", str(source / "nade-fashion-mnist"))
    # a learning rate of 1e-9 leaves the weights where they started: the shipped ones, or a fresh initialization
    assert tuned["metrics"]["val_nll_nats"] == pytest.approx(shipped["metrics"]["val_nll_nats"], rel=1e-4)
    assert fresh["metrics"]["val_nll_nats"] > shipped["metrics"]["val_nll_nats"] + 50
    start = tuned["initialized_from"]
    assert start["checkpoint"] == "nade-fashion-mnist" and start["epochs"] == 2
    assert start["history"] == shipped["history"] and start["metrics"] == shipped["metrics"]
    with pytest.raises(SystemExit, match="config"):  # another architecture does not fit
        train.main(["nade", "--data-dir", str(synthetic_data), "--limit", "200", "--config", '{"hidden": 8}',
                    "--epochs", "1", "--run-dir", str(tmp_path / "other"), "--device", "cpu",
                    "--init-from", str(source / "nade-fashion-mnist")])
