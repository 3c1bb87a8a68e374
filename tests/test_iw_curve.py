"""gen_core.iw_curve: the importance-weighted bound of a shipped VAE tightens with k, an exact likelihood sits
beside it, and models without a bound or without an exact likelihood are refused."""
import pytest
import torch

from gen_core import checkpoints, iw_curve
from gen_core.data import binarize, load_split
from gen_core.models import build
from gen_core.tasks.image import nll_per_image, representative_subset

pytest_plugins = ["latent_models"]  # the fixtures labelled_data and published


def test_the_iw_curve_tightens_with_k_and_refuses_an_autoencoder(published, monkeypatch, labelled_data):
    out, _ = published
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", out)
    result = iw_curve.curve("vae-fashion-mnist", ks=(1, 200), limit=20, data_dir=labelled_data)
    for split in ("train", "test"):
        assert result[split][200] < result[split][1]
    with pytest.raises(ValueError, match="not a VAE"):
        iw_curve.curve("ae-fashion-mnist", limit=5, data_dir=labelled_data)


def test_the_iw_curve_sets_an_exact_likelihood_beside_the_bound(published, monkeypatch, labelled_data):
    out, _ = published
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", out)
    torch.manual_seed(0)
    nade = build("nade", {"hidden": 4})
    checkpoints.save(nade, out / "nade-test", {"model": "nade", "config": {"hidden": 4}, "metrics": {}})
    result = iw_curve.curve("vae-fashion-mnist", ks=(1,), limit=10, data_dir=labelled_data, compare="nade-test")
    images = load_split("fashion-mnist", "test", labelled_data)[0]
    expected = nll_per_image(nade.eval(), binarize(images[representative_subset(images, 10)])).mean().item()
    assert result["test"]["nade-test"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="no exact likelihood"):
        iw_curve.curve("vae-fashion-mnist", ks=(1,), limit=5, data_dir=labelled_data, compare="ae-fashion-mnist")
    with pytest.raises(ValueError, match="not a VAE"):  # not even a latent-variable model
        iw_curve.curve("nade-test", ks=(1,), limit=5, data_dir=labelled_data)
