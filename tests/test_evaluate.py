import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import gen_core.tasks.image
from gen_core import checkpoints, evaluate
from gen_core.models import build
from test_data_images import write_idx


def test_the_representative_subset_picks_distinct_images_across_the_edge_range():
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(100, 1, 28, 28, generator=g) < torch.linspace(0, 0.5, 100)[:, None, None, None]) * 255
    idx = evaluate.representative_subset(images.to(torch.uint8), 10)
    assert len(idx) == 10 and len(idx.unique()) == 10
    assert idx.min() < 20 and idx.max() >= 80  # from the plain images to the busy ones
    assert torch.equal(evaluate.representative_subset(images.to(torch.uint8), None), torch.arange(100))


def test_the_representative_subset_ranks_8bit_images_by_their_code_length_under_a_context_table():
    g = torch.Generator().manual_seed(0)
    smooth = torch.linspace(0, 255, 28).round().to(torch.uint8).expand(1, 1, 28, 28)  # a gradient the table learns
    train = smooth.expand(50, 1, 28, 28)
    noise = torch.randperm(100, generator=g) / 100  # share of pixels replaced by noise: a fifth of it
    images = torch.where(torch.rand(100, 1, 28, 28, generator=g) < noise[:, None, None, None] / 5,
                         torch.randint(0, 120, (100, 1, 28, 28), generator=g, dtype=torch.uint8), smooth)
    nats = gen_core.tasks.image.context_code_length(images, train)
    ranks = torch.stack([nats.argsort().argsort(), noise.argsort().argsort()]).double()
    assert torch.corrcoef(ranks)[0, 1] > 0.97  # the more noise, the longer the code
    chosen = noise[evaluate.representative_subset(images, 10, n_values=256, train_uint8=train)].sort().values
    assert (chosen - (torch.arange(10) + 0.5) / 10).abs().max() < 0.1, chosen  # near each decile's centre
    assert not torch.allclose(noise[evaluate.representative_subset(images, 10)].sort().values, chosen)  # n_values picks the proxy
    with pytest.raises(ValueError, match="training images"):
        evaluate.representative_subset(images, 10, n_values=256)


def test_evaluate_reports_the_mean_nll_of_each_checkpoint(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    test = (rng.random((30, 28, 28)) < 0.3).astype(np.uint8) * 255
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", test, True)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(30), True)
    torch.manual_seed(0)
    model = build("fvsbn")
    checkpoints.save(model, tmp_path / "ck" / "fvsbn-fashion-mnist",
                     {"model": "fvsbn", "config": {}, "dataset": "fashion-mnist", "metrics": {"test_nll_nats": 1.0}})
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path / "ck")
    [row] = evaluate.evaluate(data_dir=tmp_path, write_reference=True)
    nll = -model.log_prob(torch.from_numpy(test >= 128).float()[:, None])
    expected = nll.mean().item()
    percentiles = checkpoints.read_meta("fvsbn-fashion-mnist")["test_nll_percentiles"]
    assert len(percentiles) == 101 and percentiles == sorted(percentiles)
    assert percentiles[0] == pytest.approx(nll.min().item(), abs=1e-3)
    assert percentiles[50] == pytest.approx(np.percentile(nll.detach().numpy(), 50), abs=1e-3)

    assert row["metrics"]["test_nll_nats"] == pytest.approx(expected, rel=1e-5)
    assert row["metrics"]["test_images"] == 30 and row["sidecar"]["test_nll_nats"] == 1.0
    assert row["metrics"]["bits_per_dim"] == pytest.approx(expected / (784 * np.log(2)))
    assert "+" in evaluate.table([row]).splitlines()[2]  # measured minus recorded


def test_store_float16_halves_the_file_and_measures_every_figure_on_the_rounded_weights(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    test = (rng.random((30, 28, 28)) < 0.3).astype(np.uint8) * 255
    train = np.zeros((55_010, 28, 28), np.uint8)  # the validation images: the last 10
    train[-10:] = (rng.random((10, 28, 28)) < 0.3) * 255
    for prefix, images in (("train", train), ("t10k", test)):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", images, True)
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", np.zeros(len(images)), True)
    torch.manual_seed(0)
    model = build("fvsbn").eval()
    name, before = "fvsbn-fashion-mnist", {"test_nll_nats": 1.0, "val_nll_nats": 2.0}
    weights = checkpoints.save(model, tmp_path / "ck" / name, {"model": "fvsbn", "config": {}, "seed": 0,
                                                                 "dataset": "fashion-mnist", "metrics": before})
    full_size = weights.stat().st_size
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path / "ck")

    [row] = evaluate.evaluate([name], data_dir=tmp_path, store_float16=True)
    meta = checkpoints.read_meta(name)
    assert meta["weights_dtype"] == "float16" and meta["metrics_float32"] == before
    assert row["sidecar"]["test_nll_nats"] == 1.0  # the table compares with the float32 figures
    assert weights.stat().st_size < 0.6 * full_size
    assert {v.dtype for v in load_file(str(weights)).values()} == {torch.float16}
    assert (tmp_path / "ck" / f"{name}.png").is_file() and len(meta["test_nll_percentiles"]) == 101
    checkpoints.round_weights(model, torch.float16)
    nll = lambda images: -model.log_prob(torch.from_numpy(images >= 128).float()[:, None]).mean().item()  # noqa: E731
    assert meta["metrics"]["test_nll_nats"] == pytest.approx(nll(test), rel=1e-6)
    assert meta["metrics"]["val_nll_nats"] == pytest.approx(nll(train[-10:]), rel=1e-6)
    [again] = evaluate.evaluate([name], data_dir=tmp_path)  # what the sidecar says is what the stored weights give
    assert again["metrics"]["test_nll_nats"] == pytest.approx(again["sidecar"]["test_nll_nats"], rel=1e-9)
    with pytest.raises(checkpoints.CheckpointError, match="float16 already"):
        evaluate.evaluate([name], data_dir=tmp_path, store_float16=True)


def test_store_float16_refuses_a_gan_and_a_limit(tmp_path, monkeypatch):
    config = {"z_dim": 4, "channels": 2}
    checkpoints.save(build("dcgan", config), tmp_path / "dcgan-fashion-mnist",
                     {"model": "dcgan", "config": config, "dataset": "fashion-mnist", "metrics": {}})
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path)
    with pytest.raises(checkpoints.CheckpointError, match="GAN"):
        evaluate.evaluate(["dcgan-fashion-mnist"], store_float16=True)
    with pytest.raises(ValueError, match="limit"):
        evaluate.evaluate(["dcgan-fashion-mnist"], limit=10, store_float16=True)
