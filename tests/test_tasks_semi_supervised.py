"""gen_core.tasks.semi_supervised: the SSGAN's batches (100 labelled, the rest unlabelled), trained, measured, shipped."""
import pytest
import torch

from gen_core import checkpoints, tasks, train
from gen_core.tasks.semi_supervised import labelled_subset
from test_tasks_gan import labelled_data  # noqa: F401  (the fixture: one bar per class)

TINY = '{"z_dim": 8, "channels": 4, "K": 10}'


def test_ssgan_batches_train_measure_and_ship(labelled_data, tmp_path, monkeypatch):  # noqa: F811
    out, runs = tmp_path / "ck", tmp_path / "runs"
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", out)
    common = ["--data-dir", str(labelled_data), "--limit", "300", "--out", str(out), "--run-dir", str(runs),
              "--device", "cpu"]
    train.main(["classifier", "--epochs", "3", "--lr", "0.01", "--batch-size", "20",
                "--config", '{"channels": 4, "features": 16}', *common])  # the FID's yardstick
    meta = train.main(["ssgan", "--epochs", "1", "--batch-size", "20", "--config", TINY, *common])

    model = checkpoints.load("ssgan-fashion-mnist")
    task = tasks.make("ssgan", model, data_dir=labelled_data, limit=300)
    labels = task.split("train")[1]
    assert torch.equal(task.labelled, labelled_subset(labels)) and meta["labelled_index"] == task.labelled.tolist()
    batches = task.batches(0, 20, 0)
    assert len(batches) == 200 // 20 and all(len(u) == len(l) == 20 for u, l in batches)
    unlabelled = torch.cat([u for u, _ in batches])
    assert sorted(unlabelled.tolist()) == sorted(set(range(300)) - set(task.labelled.tolist()))  # each once
    assert set(torch.cat([l for _, l in batches]).tolist()) <= set(task.labelled.tolist())
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(batches, task.batches(0, 20, 0)))

    m = meta["metrics"]
    assert 0 <= m["test_accuracy"] <= 1 and 0 <= m["baseline_test_accuracy"] <= 1 and m["labelled_images"] == 100
    assert m["fid_classifier"] > 0 and m["samples"] == 10_000 and "val_error" in m
    for net in ("D", "baseline"):
        c = torch.tensor(meta["confusion_test"][net])
        assert c.shape == (10, 10) and c.sum() == m["test_images"] == 50
        assert c.trace().item() / 50 == pytest.approx(m["test_accuracy" if net == "D" else "baseline_test_accuracy"])
    assert meta["tricks"]["generator_loss"].startswith("feature matching") and "labelled" in meta["data_protocol"]
    assert {"loss_supervised", "loss_unsupervised", "loss_baseline"} <= {k[6:] for k in meta["history"][0]}
    assert checkpoints.read_companion("ssgan-fashion-mnist", "timeline")["frames"].shape == (1, 64, 28, 28)
