"""GANs, the classifier-feature FID and the GAN tab: players, losses, class control, metrics, training, UI, API."""
import math

import gradio as gr
import numpy as np
import pytest
import torch
from gradio_client import Client
from gradio_client.exceptions import AppError
from safetensors.torch import save_file

from conftest import tiny_checkpoint
from demo import gan as tab
from demo import shipped
from gen_core import checkpoints, metrics, train
from gen_core.models import build
from gen_core.models.classifier import Classifier
from gen_core.models.gan import GAN, discriminator_loss, generator_loss, slerp
from gen_core.tasks.gan import read_timeline, timeline_path
from test_data import write_idx

TINY = {"z_dim": 8, "channels": 4}


def test_generator_and_discriminator_shapes_and_ranges():
    torch.manual_seed(0)
    for n_classes in (0, 10):
        m = GAN(**TINY, n_classes=n_classes).eval()
        y = torch.arange(5) % 10 if n_classes else None
        x = m.generate(m.noise(5) * 10, y)  # far-out z: tanh still bounds the pixels
        assert x.shape == (5, 1, 28, 28) and x.min() >= -1 and x.max() <= 1 and x.std() > 0
        assert m.logit(x, y).shape == (5,)
        d = m.discriminate(x, y)
        assert d.shape == (5,) and ((d > 0) & (d < 1)).all()


def test_the_non_saturating_loss_is_its_formula():
    l_fake = torch.tensor([-3.0, -0.5, 0.0, 2.0])
    d_fake = 1 / (1 + torch.exp(-l_fake))
    assert generator_loss(l_fake).item() == pytest.approx(-torch.log(d_fake).mean().item(), rel=1e-6)
    l_real = torch.tensor([1.0, 4.0, -1.0, 0.5])
    d_real = 1 / (1 + torch.exp(-l_real))
    smoothed = -(0.9 * torch.log(d_real) + 0.1 * torch.log(1 - d_real)).mean() - torch.log(1 - d_fake).mean()
    assert discriminator_loss(l_real, l_fake, 0.9).item() == pytest.approx(smoothed.item(), rel=1e-6)
    # where D rejects a sample (D(G(z)) ~ 0), -log D still has a gradient; log(1 - D) has almost none
    l = torch.tensor([-8.0], requires_grad=True)
    generator_loss(l).backward()
    assert abs(l.grad.item()) > 0.99 and 1 / (1 + math.exp(8)) < 1e-3


def test_changing_only_the_class_changes_the_conditional_generator_output():
    torch.manual_seed(0)
    m = GAN(**TINY, n_classes=10).eval()
    z = m.noise(3, torch.Generator().manual_seed(1))
    same = m.generate(z, torch.tensor([2, 2, 2]))
    assert torch.equal(same, m.generate(z, torch.tensor([2, 2, 2])))
    other = m.generate(z, torch.tensor([7, 7, 7]))
    assert (same - other).abs().amax((1, 2, 3)).min() > 1e-4
    with pytest.raises(ValueError, match="0..9"):
        m.generate(z, torch.tensor([2, 2, 10]))
    with pytest.raises(ValueError, match="unconditional"):
        GAN(**TINY).generate(z, torch.tensor([1, 1, 1]))


def test_truncation_scales_z_and_slerp_joins_the_two_ends():
    m = GAN(**TINY)
    z = m.noise(4, torch.Generator().manual_seed(3))
    assert torch.allclose(m.noise(4, torch.Generator().manual_seed(3), 0.5), 0.5 * z)
    path = slerp(z[0], z[1], 6)
    assert path.shape == (6, 8) and torch.allclose(path[0], z[0], atol=1e-6) and torch.allclose(path[-1], z[1], atol=1e-6)


def test_frechet_distance_matches_closed_forms():
    a, b = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 1.0, 1.0])
    mu1, mu2 = torch.zeros(3), torch.tensor([1.0, 0.0, 2.0])
    # diagonal covariances: ||mu1 - mu2||^2 + sum (sqrt a - sqrt b)^2
    expected = 5 + ((a.sqrt() - b.sqrt()) ** 2).sum().item()
    assert metrics.frechet_distance(mu1, torch.diag(a), mu2, torch.diag(b)) == pytest.approx(expected, rel=1e-9)
    q, _ = torch.linalg.qr(torch.randn(3, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64))
    s = q @ torch.diag(a.double()) @ q.T  # rotated: the same distance to itself, 0
    assert metrics.frechet_distance(mu1, s, mu1, s) == pytest.approx(0, abs=1e-9)


def blobs(n, seed=0):
    """Synthetic 28x28 images in [-1, 1]: a bright rectangle at a random place on black."""
    g = torch.Generator().manual_seed(seed)
    x = -torch.ones(n, 1, 28, 28)
    for i, (r, c, h, w) in enumerate(torch.randint(0, 14, (n, 4), generator=g).tolist()):
        x[i, 0, r:r + h + 4, c:c + w + 4] = 1
    return x


def test_the_classifier_fid_is_zero_for_a_set_and_itself_and_grows_with_noise():
    torch.manual_seed(0)
    net = Classifier(channels=4, features=16).eval()
    x = blobs(400)
    g = torch.Generator().manual_seed(1)
    noise = torch.randn(x.shape, generator=g)
    assert metrics.fid(net, x, x) == pytest.approx(0, abs=1e-6)
    scores = [metrics.fid(net, (x + s * noise).clamp(-1, 1), x) for s in (0.1, 0.3, 1.0)]
    assert 0 < scores[0] < scores[1] < scores[2]
    assert metrics.fid(net, metrics.blur(x), x) > 0


def test_blur_keeps_flat_images_and_softens_edges():
    flat = torch.full((2, 1, 28, 28), 0.3)
    assert torch.allclose(metrics.blur(flat), flat, atol=1e-6)
    x = blobs(4)
    assert metrics.blur(x).shape == x.shape and metrics.blur(x).diff(dim=3).abs().max() < x.diff(dim=3).abs().max()


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
    out = tmp_path / "ck"
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", out)
    common = ["--data-dir", str(labelled_data), "--limit", "200", "--out", str(out), "--run-dir",
              str(tmp_path / "runs"), "--device", "cpu"]
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
    t = read_timeline("cgan-fashion-mnist")
    assert t["epoch"].tolist() == [1, 2] and t["frames"].shape == (2, 60, 28, 28) and t["frames"].dtype == torch.uint8
    assert (t["D_real"] > 0).all() and (t["D_real"] < 1).all() and torch.isfinite(t["loss_G"]).all()
    for suffix in (".safetensors", ".json", ".png"):
        assert (out / f"cgan-fashion-mnist{suffix}").is_file()


def ship_tiny_gans(directory, monkeypatch):
    """Untrained dcgan and cgan checkpoints with a 3-epoch timeline each, used by the app."""
    for name, config in (("dcgan-test", TINY), ("cgan-test", {**TINY, "n_classes": 10})):
        tiny_checkpoint(directory, name, name.split("-")[0], config, monkeypatch)
        n = 60 if "n_classes" in config else 64
        save_file({"epoch": torch.arange(1, 4), "frames": torch.randint(0, 256, (3, n, 28, 28), dtype=torch.uint8),
                   **{k: torch.rand(3) for k in ("loss_D", "loss_G", "D_real", "D_fake")}},
                  str(timeline_path(directory / name)))
    tab._timeline.cache_clear()


@pytest.fixture
def tiny_gans(tmp_path, monkeypatch):
    ship_tiny_gans(tmp_path, monkeypatch)
    yield
    shipped._load.cache_clear()
    shipped.names.cache_clear()
    tab._timeline.cache_clear()


def test_tab_samples_with_d_of_x_classes_walk_and_timeline(tiny_gans):
    items, status = tab.generate("dcgan-test", 3, 64, 0.7)
    assert len(items) == 64 and all(cap.startswith("D(x) = ") for _, cap in items) and "64 samples" in status
    items, _ = tab.generate("cgan-test", 3, 4, 1.0, "Bag")
    assert all(cap.endswith("· Bag") for _, cap in items)
    items, _ = tab.generate("cgan-test", 3, 12, 1.0, tab.EVERY_CLASS)
    assert items[0][1].endswith("T-shirt/top") and items[10][1].endswith("T-shirt/top")
    assert tab.class_rows("cgan-test", 0, 3).axes
    strip, status = tab.walk("cgan-test", 0, 5, 7, 1.0, "Sneaker")
    assert strip.shape[1] > 6 * strip.shape[0] and status.count(",") == 6
    frame, fig = tab.timeline("dcgan-test", 2)
    assert frame.shape[2] == 3 and fig.axes
    assert tab.epoch_range("cgan-test") == (1, 3) and tab.class_choices("dcgan-test") == [tab.EVERY_CLASS]


@pytest.mark.parametrize("call, message", [
    (lambda: tab.generate("dcgan-test", -1, 4), "Seed must be"),
    (lambda: tab.generate("dcgan-test", 2**31, 4), "Seed must be"),
    (lambda: tab.generate("dcgan-test", 0, 0), "Number of samples must be"),
    (lambda: tab.generate("dcgan-test", 0, 10_000), "Number of samples must be"),
    (lambda: tab.generate("dcgan-test", 0, 4, 0.0), "Truncation"),
    (lambda: tab.generate("cgan-test", 0, 4, 1.0, "Unicorn"), "Unknown class 'Unicorn'"),
    (lambda: tab.generate("dcgan-test", 0, 4, 1.0, "Bag"), "unconditional"),
    (lambda: tab.class_rows("dcgan-test", 0, 4), "conditional GAN"),
    (lambda: tab.walk("dcgan-test", 0, 1, 1), "Steps must be"),
    (lambda: tab.timeline("dcgan-test", 9), "Epoch must be"),
    (lambda: tab.generate("missing-gan", 0, 4), "no checkpoint sidecar"),
])
def test_bad_input_is_a_clear_message(tiny_gans, call, message):
    with pytest.raises(gr.Error, match=message):
        call()


def test_the_endpoints_over_the_api(tmp_path, monkeypatch):
    ship_tiny_gans(tmp_path, monkeypatch)
    from demo import build_app
    from gen_core.bench import free_port

    app = build_app()
    _, url, _ = app.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        client = Client(url, verbose=False, download_files=False)
        gallery, status = client.predict("cgan-test", 1, 5, 1.0, "Coat", api_name="/gan_generate")
        assert len(gallery) == 5 and gallery[0]["caption"].endswith("Coat") and "5 samples" in status
        frame, plot = client.predict("cgan-test", 2, api_name="/gan_timeline")
        assert frame["path"] and plot
        with pytest.raises(AppError, match="Unicorn is not in the list of choices"):  # gradio checks dropdowns
            client.predict("cgan-test", 1, 5, 1.0, "Unicorn", api_name="/gan_generate")
        with pytest.raises(AppError, match="less than minimum value 0"):
            client.predict("cgan-test", -1, 5, 1.0, "Coat", api_name="/gan_generate")
    finally:
        app.close()
        shipped._load.cache_clear()
        shipped.names.cache_clear()
        tab._timeline.cache_clear()
