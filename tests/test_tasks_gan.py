"""gen_core.tasks.gan: the classifier, then a conditional GAN trained, measured and shipped with its timeline."""
import json

import numpy as np
import pytest
import torch

from gen_core import checkpoints, train
from gen_core.models import build
from gen_core.tasks.gan import LOGGED
from test_data_images import write_idx


@pytest.fixture(scope="module")
def labelled_data(tmp_path_factory):
    """55,040 training images (so validation exists) and 50 test images: class k = a bar in row 2k + 3."""
    root = tmp_path_factory.mktemp("gan-data")

    def split(n, seed):
        labels = np.random.default_rng(seed).integers(0, 10, n)
        images = np.zeros((n, 28, 28), np.uint8)
        images[np.arange(n), 2 * labels + 3] = 255
        return images, labels

    for prefix, n in (("train", 55_040), ("t10k", 50)):
        images, labels = split(n, len(prefix))
        write_idx(root / f"{prefix}-images-idx3-ubyte.gz", images, True)
        write_idx(root / f"{prefix}-labels-idx1-ubyte.gz", labels, True)
    return root


def test_classifier_then_cgan_train_measure_and_ship_a_timeline(labelled_data, tmp_path, monkeypatch):
    out, runs = tmp_path / "ck", tmp_path / "runs"
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", out)
    common = ["--data-dir", str(labelled_data), "--limit", "200", "--out", str(out), "--run-dir", str(runs),
              "--device", "cpu"]
    with pytest.raises(checkpoints.CheckpointError, match="train it first"):
        train.main(["cgan", "--epochs", "1", "--config", '{"z_dim": 8, "channels": 4}', *common])
    clf = train.main(["classifier", "--epochs", "5", "--lr", "0.01", "--batch-size", "20",
                      "--config", '{"channels": 4, "features": 16}', *common])
    assert clf["metrics"]["test_accuracy"] > 0.9  # one bar per class: easy
    vae = {"z_dim": 2, "channels": 4, "hidden": 8, "n_classes": 10}  # a shipped (untrained) conditional VAE
    checkpoints.save(build("cvae", vae), out / "cvae-fashion-mnist", {"model": "cvae", "config": vae,
                                                                      "dataset": "fashion-mnist"})
    meta = train.main(["cgan", "--epochs", "2", "--batch-size", "20", "--config", '{"z_dim": 8, "channels": 4}',
                       *common])
    m = meta["metrics"]
    assert {"fid_classifier", "class_accuracy", "fid_blurred_test_images", "fid_training_images",
            "fid_cvae_samples"} <= set(m)
    assert 0 <= m["class_accuracy"] <= 1 and m["fid_classifier"] > 0 and m["samples"] == 10_000
    assert meta["tricks"]["adam_betas"] == [0.5, 0.999] and meta["tricks"]["one_sided_label_smoothing"] == 0.9
    t = checkpoints.read_companion("cgan-fashion-mnist", "timeline")
    assert t["epoch"].tolist() == [1, 2] and t["frames"].shape == (2, 60, 28, 28) and t["frames"].dtype == torch.uint8
    assert (t["D_real"] > 0).all() and (t["D_real"] < 1).all() and torch.isfinite(t["loss_G"]).all()
    history = json.loads((runs / "cgan-fashion-mnist" / "state.json").read_text())["history"]
    for k in LOGGED:  # the epoch means the training loop kept, one per epoch
        assert t[k].tolist() == pytest.approx([h[f"train_{k}"] for h in history], rel=1e-6)
    for suffix in (".safetensors", ".json", ".png"):
        assert (out / f"cgan-fashion-mnist{suffix}").is_file()
