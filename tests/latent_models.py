"""Fixtures shared by the tests of the latent-variable family: labelled synthetic data, and six registry
models (vae, vae_2d, cvae, ae, dae, sparse_ae) tiny, trained for one epoch and published to a folder. A test module that
uses them names this module in its ``pytest_plugins``."""
import numpy as np
import pytest

from gen_core import train
from test_data_images import write_idx


@pytest.fixture(scope="module")
def labelled_data(tmp_path_factory):
    """55,040 training images (so validation exists) and 40 test images: class k = a bar in row 2k + 3."""
    root = tmp_path_factory.mktemp("latent-data")
    for prefix, n in (("train", 55_040), ("t10k", 40)):
        labels = np.random.default_rng(n).integers(0, 10, n)
        images = np.zeros((n, 28, 28), np.uint8)
        images[np.arange(n), 2 * labels + 3] = 255
        write_idx(root / f"{prefix}-images-idx3-ubyte.gz", images, True)
        write_idx(root / f"{prefix}-labels-idx1-ubyte.gz", labels, True)
    return root


@pytest.fixture(scope="module")
def published(labelled_data, tmp_path_factory):
    """(folder, {registry name: sidecar}) of the six models, trained for one epoch on 200 synthetic images."""
    out, runs = tmp_path_factory.mktemp("latent-ck"), tmp_path_factory.mktemp("latent-runs")
    metas = {}
    for name in ("vae", "vae_2d", "cvae", "ae", "dae", "sparse_ae"):
        metas[name] = train.main([name, "--data-dir", str(labelled_data), "--limit", "200", "--epochs", "1",
                                  "--batch-size", "50", "--out", str(out), "--run-dir", str(runs), "--device", "cpu",
                                  "--config", '{"channels": 2, "hidden": 8}'])
    return out, metas
