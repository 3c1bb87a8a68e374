"""demo.latent, the Latent tab: encoding, sliders, typed codes, the conditional VAE's class, interpolation,
random codes, the denoising and the sparse autoencoder's section, bad input as clear messages, and its API
endpoints."""
import gradio as gr
import numpy as np
import pytest
import torch
from gradio_client import Client
from gradio_client.exceptions import AppError

from demo import autoencoders, images, shipped
from demo import latent as tab
from gen_core import checkpoints
from gen_core.data import binarize
from gen_core.data.gallery import gallery
from gen_core.models.autoencoder import corrupt

pytest_plugins = ["latent_models"]  # the fixtures labelled_data and published


@pytest.fixture
def app_models(published, monkeypatch):
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", published[0])
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
    if shipped.first("dae") and shipped.first("ae"):
        markup, verdict = client.predict(0.5, 0.25, 0, api_name="/latent_denoise")
        assert len(images.decode_html(markup)) == 4 and "nats" in verdict
    if shipped.first("sparse_ae"):
        markup, _, summary = client.predict(api_name="/latent_sparse")
        assert len(images.decode_html(markup)) == 2 and "of 64 units are active" in summary


def test_the_decoding_sits_beside_the_image_and_the_equation_stays_short(app_models):
    from test_demo_latent_plots import beside
    with gr.Blocks() as app:
        tab.build()
    assert beside(app, "latent-gallery", "latent-go", "latent-decoded")
    assert "ELBO" in tab.EXPLAIN and len(tab.EXPLAIN) < 500  # the details wait in an accordion


def test_a_model_of_another_family_is_refused(tiny_nade):
    with pytest.raises(gr.Error, match="not a latent-variable model"):
        tab.get(tiny_nade)


@pytest.fixture(scope="module")
def by_dimension_models(published, labelled_data, tmp_path_factory):
    """vae_5d, vae_10d and vae_20d, tiny, published beside the module's vae_2d."""
    from gen_core import train
    out, runs = published[0], tmp_path_factory.mktemp("dims-runs")
    return {name: train.main([name, "--data-dir", str(labelled_data), "--limit", "200", "--epochs", "1",
                              "--batch-size", "50", "--out", str(out), "--run-dir", str(runs), "--device", "cpu",
                              "--config", '{"channels": 2, "hidden": 8}'])
            for name in ("vae_5d", "vae_10d", "vae_20d")}


def figure_rows(fig):
    ax = fig.axes[0]
    return [t.get_text() for t in ax.get_yticklabels()], np.asarray(ax.images[0].get_array()), ax.get_title()


def test_vaes_of_2_5_10_20_dimensions_side_by_side(by_dimension_models, app_models):
    labels, picture, title = figure_rows(tab.by_dimension(3, 5))
    assert [label.split("\n")[0] for label in labels] == ["2-D", "5-D", "10-D", "20-D"]
    for label, name in zip(labels, ["vae_2d", "vae_5d", "vae_10d", "vae_20d"]):
        m = checkpoints.read_meta(f"{name}-fashion-mnist")["metrics"]
        assert f"−ELBO {m['test_neg_elbo_nats']:.1f}" in label and f"IW {m['test_iw_nll_nats']:.1f}" in label
    from demo.latent_plots import enlarged
    assert picture.shape == enlarged(torch.zeros(20, 1, 28, 28), nrow=5, scale=3).shape  # 4 rows of 5
    assert "not shipped" not in title and "N(0, I)" in title
    # the same seed, the same pictures; another seed, other ones
    assert np.array_equal(picture, figure_rows(tab.by_dimension(3, 5))[1])
    assert not np.array_equal(picture, figure_rows(tab.by_dimension(4, 5))[1])


def test_each_row_decodes_z_drawn_from_the_prior_with_the_seed(by_dimension_models, app_models):
    """Row k is E[x | z] of z = randn(n, z_dim) from a generator seeded with the seed: reproducible outside the app."""
    from demo.latent_plots import enlarged
    rows = []
    for name, z_dim in (("vae_2d", 2), ("vae_5d", 5), ("vae_10d", 10), ("vae_20d", 20)):
        z = torch.randn(4, z_dim, generator=torch.Generator().manual_seed(7))
        rows.append(shipped.get(f"{name}-fashion-mnist").mean_image(z))
    assert np.array_equal(figure_rows(tab.by_dimension(7, 4))[1], enlarged(torch.cat(rows), nrow=4, scale=3))


def test_missing_dimensions_are_named_and_none_is_a_clear_message(app_models, monkeypatch):
    labels, _, title = figure_rows(tab.by_dimension(0, 2))  # whichever of the four this folder has
    shipped_models = {checkpoints.read_meta(n)["model"] for n in shipped.names("latent")}
    assert len(labels) == len(shipped_models & set(tab.BY_DIMENSION))
    missing = [m for m in tab.BY_DIMENSION if m not in shipped_models]
    assert all(m in title for m in missing) and ("not shipped" in title) == bool(missing)
    monkeypatch.setattr(shipped, "first", lambda model: None)
    with pytest.raises(gr.Error, match="python -m gen_core.train vae_20d --publish"):
        tab.by_dimension(0, 2)
    for bad, message in ((lambda: tab.by_dimension(-1, 2), "Seed"), (lambda: tab.by_dimension(0, 99), "Number")):
        with pytest.raises(gr.Error, match=message):
            bad()


def test_denoising_shows_the_image_its_corruption_and_both_reconstructions(app_models):
    x = binarize(gallery()[0][3:4])
    dae, ae = (shipped.get(shipped.first(m)) for m in ("dae", "ae"))
    markup, verdict = autoencoders.denoise(first_image(), 0, 0, 0)  # no corruption: x~ = x
    pictures, captions = images.decode_html(markup), images.captions(markup)
    assert len(pictures) == 4 and np.array_equal(pictures[0], pictures[1])
    assert np.array_equal(pictures[0][..., 0], images.gray_rgb(x)[0, ..., 0])
    with torch.no_grad():
        errors = [float(m.reconstruction_error(x)) for m in (dae, ae)]
    assert captions[2] == f"denoising AE: {errors[0]:.1f} nats" and captions[3] == f"plain AE: {errors[1]:.1f} nats"
    assert f"{errors[0]:.1f} nats" in verdict and ("denoising autoencoder recovers" in verdict) == (errors[0] < errors[1])
    corrupted, _ = autoencoders.denoise(first_image(), 0.5, 0.25, 7)
    x_tilde = corrupt(x, 0.5, 0.25, torch.Generator().manual_seed(7))
    assert np.array_equal(images.decode_html(corrupted)[1][..., 0], images.gray_rgb(x_tilde)[0, ..., 0])
    assert corrupted == autoencoders.denoise(first_image(), 0.5, 0.25, 7)[0]  # the seed fixes the corruption


def test_the_sparse_code_is_drawn_with_its_active_units_and_their_activity(app_models):
    model = shipped.get(shipped.first("sparse_ae"))
    z = model.encode(binarize(gallery()[0][3:4]))[0].detach()
    markup, chart, summary = autoencoders.sparse_code(first_image())
    assert len(images.decode_html(markup)) == 2
    bars = [p.get_height() for p in chart.axes[0].patches]
    assert bars == pytest.approx(z.tolist()) and len(chart.axes) == 2  # the code, then each unit's activity
    assert [p.get_height() for p in chart.axes[1].patches] == pytest.approx(model.meta["unit_activity"])
    assert summary.startswith(f"**{int((z >= 0.01).sum())} of 64 units are active**")


def test_the_wide_code_stays_off_the_sliders(app_models):
    names = shipped.names("latent")
    assert "sparse_ae-fashion-mnist" in names and "sparse_ae-fashion-mnist" not in tab.slidable(names)
    assert "dae-fashion-mnist" in tab.slidable(names)
    with pytest.raises(gr.Error, match="64 latent dimensions"):
        tab.encode("sparse_ae-fashion-mnist", None, first_image())


@pytest.mark.parametrize("call, message", [
    (lambda: autoencoders.denoise(first_image(), 2, 0.25, 0), "Noise level"),
    (lambda: autoencoders.denoise(first_image(), 0.5, -1, 0), "Masking fraction"),
    (lambda: autoencoders.denoise(first_image(), "x", 0.25, 0), "Noise level"),
    (lambda: autoencoders.denoise(first_image(), 0.5, 0.25, -1), "Seed"),
    (lambda: autoencoders.denoise(None, 0.5, 0.25, 0), "Choose an image"),
    (lambda: autoencoders.sparse_code(np.zeros((5, 5))), "28x28"),
])
def test_bad_autoencoder_input_is_a_clear_message(app_models, call, message):
    with pytest.raises(gr.Error, match=message):
        call()


def test_missing_autoencoders_are_named_with_how_to_train_them(app_models, monkeypatch):
    monkeypatch.setattr(shipped, "first", lambda model: None if model == "dae" else f"{model}-fashion-mnist")
    with pytest.raises(gr.Error, match=r"This needs dae: train with `python -m gen_core.train dae --publish`, then"):
        autoencoders.denoise(first_image())
