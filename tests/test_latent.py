"""Autoencoder, VAE and conditional VAE, and the Latent tab: the ELBO and its KL, the importance-weighted bound
against an exactly known likelihood, determinism, training and shipping, the tab's events, bad input, the API."""
import math

import gradio as gr
import numpy as np
import pytest
import torch
from gradio_client import Client
from gradio_client.exceptions import AppError

from demo import latent as tab
from demo import shipped
from gen_core import checkpoints, latent_space, train
from gen_core.data import binarize
from gen_core.data.gallery import gallery
from gen_core.models.autoencoder import Autoencoder, log_bernoulli
from gen_core.models.vae import VAE, gaussian_kl
from gen_core.tasks.latent import read_latents
from test_data import write_idx

TINY = {"channels": 2, "hidden": 8}


def binary_images(n, seed=0):
    return (torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) < 0.3).float()


def test_the_elbo_is_reconstruction_minus_kl_computed_by_hand():
    torch.manual_seed(0)
    m = VAE(z_dim=3, **TINY).double().eval()
    x = binary_images(2).double()
    elbo = m.elbo(x, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        mu, log_var = m.posterior(x)
    eps = torch.randn((1, 2, 3), generator=torch.Generator().manual_seed(5), dtype=torch.float64)[0]
    p = torch.sigmoid(m.decode(mu + torch.exp(0.5 * log_var) * eps)).flatten(1).detach()
    xs = x.flatten(1)
    for b in range(2):
        reconstruction = sum(math.log(p[b, i]) if xs[b, i] else math.log(1 - p[b, i]) for i in range(784))
        kl = sum(0.5 * (mu[b, j] ** 2 + math.exp(log_var[b, j]) - 1 - log_var[b, j]) for j in range(3))
        assert elbo[b].item() == pytest.approx(float(reconstruction - kl), rel=1e-9)
    torch.manual_seed(3)
    loss = m.loss((x, None))
    torch.manual_seed(3)
    assert loss.item() == pytest.approx(-m.elbo(x).mean().item(), rel=1e-12)  # training minimizes -ELBO


def test_the_analytic_kl_matches_a_monte_carlo_estimate():
    mu = torch.tensor([[0.5, -1.0, 2.0, 0.0]], dtype=torch.float64)
    log_var = torch.tensor([[0.0, -1.5, 0.7, 1.2]], dtype=torch.float64)
    q, p = torch.distributions.Normal(mu, (0.5 * log_var).exp()), torch.distributions.Normal(0.0, 1.0)
    torch.manual_seed(0)
    z = q.sample((200_000,))
    log_ratio = (q.log_prob(z) - p.log_prob(z)).sum(-1)[:, 0]
    se = log_ratio.std().item() / math.sqrt(len(log_ratio))
    assert gaussian_kl(mu, log_var).item() == pytest.approx(log_ratio.mean().item(), abs=4 * se)
    assert gaussian_kl(torch.zeros(1, 4), torch.zeros(1, 4)).item() == 0  # q = p


def exact_log_px(m: VAE, x: torch.Tensor) -> torch.Tensor:
    """log p(x) = log int N(z; 0, 1) p(x | z) dz for a 1-D latent, by quadrature on a fine grid."""
    z = torch.linspace(-10, 10, 8_001, dtype=torch.float64)[:, None]
    with torch.no_grad():
        log_px_z = torch.stack([log_bernoulli(xi.expand(len(z), 1, 28, 28), m.decode(z)) for xi in x])
    log_joint = log_px_z - 0.5 * z[:, 0] ** 2 - 0.5 * math.log(2 * math.pi)
    return torch.logsumexp(log_joint, 1) + math.log(float(z[1] - z[0]))


def test_the_importance_weighted_bound_is_above_the_exact_nll_and_comes_down_to_it():
    torch.manual_seed(0)
    m = VAE(z_dim=1, **TINY).double().eval()
    with torch.no_grad():
        m.decoder.fc[0].weight.mul_(40)  # p(x | z) changes a lot with z: the untrained q is far from p(z | x)
    x = binary_images(3, seed=1).double()
    nll = -exact_log_px(m, x)
    repeats = 20
    means, errors = [], []
    for k in (1, 10, 100, 400):
        b = -m.iw_bound(x.repeat(repeats, 1, 1, 1), k=k, generator=torch.Generator().manual_seed(k)).view(repeats, 3)
        means.append(b.mean(0))
        errors.append(b.std(0) / math.sqrt(repeats))
        assert (means[-1] >= nll - 4 * errors[-1] - 1e-9).all(), k  # an upper bound on -log p(x), up to MC noise
    assert (means[0] > nll + 5).all()  # k = 1 (the ELBO with a sampled KL) is loose here
    assert (means[1] < means[0] - 5).all() and (means[2] < means[1] + 4 * errors[1]).all()
    assert ((means[3] - nll).abs() < 0.15).all()  # k = 400: within 0.15 nats of the truth


def test_decoding_is_deterministic_and_survives_a_checkpoint(tmp_path):
    torch.manual_seed(0)
    for m in (VAE(z_dim=2, **TINY), VAE(z_dim=2, n_classes=10, **TINY), Autoencoder(z_dim=4, **TINY)):
        m.eval()
        z, y = torch.randn(5, m.z_dim), (torch.arange(5) if m.conditional else None)
        first = m.mean_image(z, y)
        assert torch.equal(first, m.mean_image(z, y)) and first.shape == (5, 1, 28, 28)
        assert 0 <= first.min() and first.max() <= 1
        name = type(m).__name__.lower() + str(m.n_classes)
        model_name = "ae" if isinstance(m, Autoencoder) and not isinstance(m, VAE) else ("cvae" if m.conditional else "vae")
        config = {"z_dim": m.z_dim, **TINY, **({"n_classes": 10} if m.conditional else {})}
        checkpoints.save(m, tmp_path / name, {"model": model_name, "config": config})
        assert torch.equal(first, checkpoints.load(tmp_path / name).mean_image(z, y))


def test_the_conditional_vae_needs_a_valid_class():
    m = VAE(z_dim=2, n_classes=10, **TINY).eval()
    z = torch.zeros(2, 2)
    assert not torch.equal(m.mean_image(z, torch.tensor([1, 1])), m.mean_image(z, torch.tensor([7, 7])))
    with pytest.raises(ValueError, match="one class label"):
        m.mean_image(z)
    with pytest.raises(ValueError, match="0..9"):
        m.mean_image(z, torch.tensor([0, 10]))


def test_sliders_clip_at_four_sigma():
    vae = VAE(z_dim=2, **TINY)
    assert latent_space.clip(vae, torch.tensor([9.0, -0.5])).tolist() == [4.0, -0.5]
    ae = Autoencoder(z_dim=2, **TINY)
    ae.meta = {"latent_mean": [1.0, -2.0], "latent_std": [0.5, 2.0]}
    low, high = latent_space.limits(ae)
    assert low.tolist() == [-1.0, -10.0] and high.tolist() == [3.0, 6.0]


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
def shipped(labelled_data, tmp_path_factory):
    """The four registry models, tiny and trained for one epoch on 200 synthetic images, published to a folder."""
    out, runs = tmp_path_factory.mktemp("latent-ck"), tmp_path_factory.mktemp("latent-runs")
    metas = {}
    for name in ("vae", "vae_2d", "cvae", "ae"):
        metas[name] = train.main([name, "--data-dir", str(labelled_data), "--limit", "200", "--epochs", "1",
                                  "--batch-size", "50", "--out", str(out), "--run-dir", str(runs), "--device", "cpu",
                                  "--config", '{"channels": 2, "hidden": 8}'])
    return out, metas


def test_training_measures_both_bounds_and_ships_the_codes(shipped):
    out, metas = shipped
    m = metas["vae"]["metrics"]
    assert m["iw_samples"] >= 100 and m["test_images"] == 40
    assert m["test_neg_elbo_nats"] == pytest.approx(m["test_reconstruction_nats"] + m["test_kl_nats"])
    assert 0 < m["test_iw_nll_nats"] < m["test_neg_elbo_nats"] + 1  # tighter, up to sampling noise
    assert "test_iw_nll_nats" not in metas["ae"]["metrics"] and metas["ae"]["metrics"]["test_reconstruction_error_nats"] > 0
    assert "p(x | y)" in metas["cvae"]["data_protocol"]["metric"]
    codes = read_latents(out / "vae_2d-fashion-mnist")
    assert codes["mu"].shape == (40, 2) and codes["mu"].dtype == torch.float16 and codes["labels"].shape == (40,)
    assert len(metas["ae"]["latent_std"]) == 16
    for suffix in (".safetensors", ".json", ".png", ".latents.safetensors"):
        assert (out / f"vae_2d-fashion-mnist{suffix}").is_file()


@pytest.fixture
def app_models(shipped, monkeypatch):
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", shipped[0])
    for cached in (shipped._load, shipped.names, tab.plane_for):
        cached.cache_clear()
    yield
    for cached in (shipped._load, shipped.names, tab.plane_for):
        cached.cache_clear()


def first_image():
    return gallery()[0][3, 0].numpy()


def test_encoding_sets_the_sliders_to_the_posterior_mean(app_models):
    out = tab.encode("vae_2d-fashion-mnist", None, first_image())
    sliders, (picture, manifold, scatter, caption, text, note, chart) = out[:tab.MAX_DIMS], out[tab.MAX_DIMS:]
    model = shipped.get("vae_2d-fashion-mnist")
    x = binarize(gallery()[0][3:4])
    mu = model.encode(x)[0].detach()
    assert [s.value for s in sliders[:2]] == [round(float(v), 2) for v in mu]
    assert all(s.visible for s in sliders[:2]) and not any(s.visible for s in sliders[2:])
    assert picture.shape[2] == 3 and manifold.value is not None and scatter.value is not None and caption.visible
    assert "ELBO" in note and chart.visible
    ae = tab.encode("ae-fashion-mnist", None, first_image())
    assert "no prior" in ae[-2] and not ae[-1].visible and not ae[tab.MAX_DIMS + 2].visible  # no plane: 16-D


def test_sliders_decode_the_same_z_to_the_same_picture(app_models):
    a = tab.slide("vae_2d-fashion-mnist", None, 0.5, -1.0, *[0] * 14)
    b = tab.slide("vae_2d-fashion-mnist", None, 0.5, -1.0, *[7] * 14)  # values past z_dim are ignored
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == "0.50, -1.00"
    far = tab.slide("vae_2d-fashion-mnist", None, 9.0, -1.0)  # beyond +-4 sigma: clipped
    edge = tab.slide("vae_2d-fashion-mnist", None, 4.0, -1.0)
    assert np.array_equal(far[0], edge[0]) and far[2] == "4.00, -1.00"
    style = [tab.restyle("cvae-fashion-mnist", c, 0.3, 0.3)[0] for c in ("Trouser", "Bag")]
    assert not np.array_equal(*style)  # the class changes, the style stays


def test_interpolation_and_random_codes(app_models):
    strip = tab.interpolation("vae-fashion-mnist", None, 0, 5, 6)
    assert strip.shape[1] > strip.shape[0] * 6  # x0, 6 decodings, x1 in a row
    assert tab.random_codes(0, 4) is not None


@pytest.mark.parametrize("call, message", [
    (lambda: tab.slide("vae-fashion-mnist", None, 1.0, 2.0), "16 latent dimensions"),
    (lambda: tab.decode_text("vae_2d-fashion-mnist", None, "1, 2, 3"), "exactly 2 values"),
    (lambda: tab.decode_text("vae_2d-fashion-mnist", None, "1, nan"), "finite"),
    (lambda: tab.decode_text("vae_2d-fashion-mnist", None, "a, b"), "2 numbers"),
    (lambda: tab.slide("cvae-fashion-mnist", "Cat", 1, 2), "Unknown class"),
    (lambda: tab.encode("vae-fashion-mnist", None, None), "Choose an image"),
    (lambda: tab.encode("vae-fashion-mnist", None, np.zeros((5, 5))), "28x28"),
    (lambda: tab.interpolation("vae-fashion-mnist", None, 0, 99, 5), "gallery image"),
    (lambda: tab.interpolation("vae-fashion-mnist", None, 0, 1, 99), "Steps"),
    (lambda: tab.random_codes(-1, 4), "Seed"),
    (lambda: tab.get("nope"), "no checkpoint"),
])
def test_bad_input_is_a_clear_message(app_models, call, message):
    with pytest.raises(gr.Error, match=message):
        call()


def test_a_typed_code_moves_the_sliders(app_models):
    picture, scatter, text, *sliders = tab.decode_text("vae_2d-fashion-mnist", None, "1.5; -9")
    assert text == "1.50, -4.00" and [s.value for s in sliders[:2]] == [1.5, -4.0]


def test_the_latent_endpoints_through_gradio_client(app_url):
    names = shipped.names("latent")
    if not names:
        pytest.skip("no latent-variable checkpoint is shipped")
    client = Client(app_url, verbose=False, download_files=False)
    name = names[0]
    z_dim = checkpoints.read_meta(name)["config"]["z_dim"]
    picture, scatter, text = client.predict(name, "T-shirt/top", *[0.5] * tab.MAX_DIMS, api_name="/latent_slide")
    assert picture["path"] and text == ", ".join(["0.50"] * z_dim)
    with pytest.raises(AppError, match=f"exactly {z_dim} values"):
        client.predict(name, "T-shirt/top", ", ".join(["1"] * (z_dim + 1)), api_name="/latent_decode")
    out = client.predict(name, "T-shirt/top", api_name="/latent_encode")
    assert len(out) == tab.MAX_DIMS + 7 and "nats" in out[-2]


def test_the_iw_curve_tightens_with_k_and_refuses_an_autoencoder(shipped, monkeypatch, labelled_data):
    from gen_core import checkpoints, iw_curve

    out, _ = shipped
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", out)
    result = iw_curve.curve("vae-fashion-mnist", ks=(1, 200), limit=20, data_dir=labelled_data)
    for split in ("train", "test"):
        assert result[split][200] < result[split][1]
    with pytest.raises(ValueError, match="not a VAE"):
        iw_curve.curve("ae-fashion-mnist", limit=5, data_dir=labelled_data)


def test_the_iw_curve_sets_an_exact_likelihood_beside_the_bound(shipped, monkeypatch, labelled_data):
    from gen_core import checkpoints, iw_curve
    from gen_core.data import binarize, load_split
    from gen_core.models import build
    from gen_core.tasks.image import nll_per_image, spread

    out, _ = shipped
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", out)
    torch.manual_seed(0)
    nade = build("nade", {"hidden": 4})
    checkpoints.save(nade, out / "nade-test", {"model": "nade", "config": {"hidden": 4}, "metrics": {}})
    result = iw_curve.curve("vae-fashion-mnist", ks=(1,), limit=10, data_dir=labelled_data, compare="nade-test")
    images = load_split("fashion-mnist", "test", labelled_data)[0]
    expected = nll_per_image(nade.eval(), binarize(images[spread(images, 10)])).mean().item()
    assert result["test"]["nade-test"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="no exact likelihood"):
        iw_curve.curve("vae-fashion-mnist", ks=(1,), limit=5, data_dir=labelled_data, compare="ae-fashion-mnist")
