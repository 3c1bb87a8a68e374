"""Likelihood tab: NLL per model, percentile against the test set, per-pixel surprise, anomalies, bad input."""
import gradio as gr
import numpy as np
import pytest
import torch

from conftest import needs_data, tiny_checkpoint
from demo import likelihood, shipped
from gen_core import checkpoints, ood
from gen_core.data import prepare
from gen_core.data.gallery import gallery, mnist_gallery
from demo.images import colormap
from test_demo_latent_plots import beside, labelled, legends_clear_of_the_data, shown_text_px

IMAGE = gallery()[0][0, 0].numpy()


@pytest.fixture
def two_models(tmp_path, monkeypatch):
    tiny_checkpoint(tmp_path, "fvsbn-test", "fvsbn", {}, monkeypatch)
    tiny_checkpoint(tmp_path, "nade-test", "nade", {"hidden": 8}, monkeypatch)
    return tmp_path


def test_percentile_reads_the_recorded_distribution():
    assert likelihood.percentile(50.0, list(range(101))) == pytest.approx(50.0)
    assert likelihood.percentile(10.5, [10.0 + k / 100 for k in range(101)]) == pytest.approx(50.0)
    assert likelihood.percentile(1e9, list(range(101))) == 100.0
    assert likelihood.percentile(1.0, None) is None


def test_every_model_scores_and_the_surprise_map_sums_to_the_nll(two_models):
    rows, maps, fig = likelihood.score(IMAGE)
    assert [r[0] for r in rows] == ["fvsbn-test", "nade-test"] and len(maps) == 2
    model = shipped.get("nade-test")
    x = torch.from_numpy(IMAGE)[None, None]
    nll = -model.log_prob(prepare(x, 2)).item()
    assert likelihood.surprise(model, x).sum().item() == pytest.approx(nll, rel=1e-5)
    assert rows[1][1] == pytest.approx(nll, abs=0.05) and rows[1][2] == "not recorded"
    assert rows[1][3] == likelihood.NOT_MEASURED  # no ood.json in this folder
    assert maps[0][0].shape[2] == 3


def test_an_image_far_above_the_test_distribution_is_flagged(two_models):
    checkpoints.update_meta(two_models / "nade-test", {"test_nll_percentiles": list(range(101))})
    checkpoints.update_meta(two_models / "fvsbn-test", {"test_nll_percentiles": list(range(10_000, 10_101))})
    shipped._load.cache_clear()
    rows, _, _ = likelihood.score(IMAGE)  # untrained models: about 784 ln 2 = 543 nats
    verdicts = {r[0]: (r[2], r[4]) for r in rows}  # not measured: the raw NLL decides, and says so
    assert verdicts["nade-test"] == ("100.0", likelihood.UNUSUAL + likelihood.RAW_ONLY)
    assert verdicts["fvsbn-test"] == ("0.0", likelihood.TYPICAL + likelihood.RAW_ONLY)


def test_a_corrupt_checkpoint_leaves_the_others_working(two_models):
    (two_models / "fvsbn-test.safetensors").write_bytes(b"garbage")
    shipped._load.cache_clear()
    rows, maps, _ = likelihood.score(IMAGE)
    assert [r[0] for r in rows] == ["nade-test"] and len(maps) == 1
    assert any("fvsbn-test" in p for p in shipped.problems("image"))  # the tab warns about it


def test_out_of_distribution_examples():
    x = IMAGE.astype(np.int64)
    inverted, _ = likelihood.out_of_distribution("inverted", IMAGE)
    assert (inverted == 255 - x).all()
    shifted, _ = likelihood.out_of_distribution("shifted", IMAGE)
    assert (shifted[9:, 9:] == x[:-9, :-9]).all() and shifted[:9].max() == 0
    noise, _ = likelihood.out_of_distribution("noise", IMAGE)
    assert 100 < noise.mean() < 155 and noise.shape == (28, 28)
    with pytest.raises(gr.Error, match="Choose an image"):
        likelihood.score(None)


def test_the_heatmaps_share_one_colour_scale_with_a_colour_bar_in_nats(two_models):
    def centre(s):  # the colour of the map's centre pixel
        a = likelihood.heatmap(s)
        return tuple(a[a.shape[0] // 2, a.shape[1] // 2])

    flat, peaked = torch.full((28, 28), 0.5), torch.full((28, 28), 0.5)
    peaked[0, 0] = 5.0
    assert centre(flat) == centre(peaked)  # one fixed scale, not each map's own maximum
    assert centre(torch.full((28, 28), 3 * likelihood.SURPRISE_MAX)) == centre(
        torch.full((28, 28), likelihood.SURPRISE_MAX)) != centre(torch.zeros(28, 28))  # the top is clipped
    bar = likelihood.colour_bar()  # the scale's ends in nats, its label, and the magma colours of both ends
    assert "nats" in bar and ">0<" in bar and f">{likelihood.SURPRISE_MAX:g}+<" in bar and "font-size: 15px" in bar
    magma = colormap("magma")
    assert f"rgb{tuple(int(c) for c in magma[0])} 0%" in bar and f"rgb{tuple(int(c) for c in magma[255])} 100%" in bar
    eight_bit = type("EightBit", (), {"n_values": 256})()
    assert likelihood.EIGHT_BIT_NOTE in likelihood.caption("pixelcnn_8bit-x", eight_bit, 1696.6)
    assert likelihood.caption("nade-x", shipped.get("nade-test"), 43.6) == "nade-x: 43.6 nats"


@needs_data("fashion-mnist")
def test_measured_models_get_a_calibrated_verdict_and_histograms(two_models):
    report = ood.measure(limit=30, log=lambda *_: None)  # written into the tiny models' folder
    rows, _, fig = likelihood.score(IMAGE)
    for r in rows:
        calibration = report["calibration"][r[0]]
        best, t = calibration["best_score"], calibration["thresholds"][calibration["best_score"]]
        value = float(r[3].split(" ")[0])
        assert r[3].endswith(f"{t:.1f} ({likelihood.SCORE_SHORT[best]})")
        assert r[4] == (likelihood.UNUSUAL if value > t else likelihood.TYPICAL)
    raw, corrected = fig.axes[:2]
    assert labelled(raw) and labelled(corrected) and "nats" in raw.get_xlabel()
    assert {"this image", "Fashion-MNIST test"} <= {t.get_text() for t in fig.legends[0].get_texts()}
    assert legends_clear_of_the_data(fig) and shown_text_px(fig, 590) >= 12  # half the page at 1366 px


def test_without_measurements_the_plot_says_how_to_make_them(two_models):
    _, _, fig = likelihood.score(IMAGE)
    assert likelihood.NO_HISTOGRAMS in [t.get_text() for t in fig.texts]


def test_a_shipped_mnist_digit_is_unusual_by_the_corrected_score_and_typical_by_the_raw_nll():
    """The shipped models and measurements: the headline model calls the first shipped MNIST digit unusual
    with its corrected score, while the raw NLL puts it among the ordinary test images."""
    shipped.names.cache_clear()  # the shipped checkpoints, not a tiny test folder's
    shipped._load.cache_clear()
    state, _, note, following = likelihood.mnist_digit(0)
    assert following == 1 and "MNIST test digit 0" in note
    rows, _, fig = likelihood.score(state)
    by_model = {r[0]: r for r in rows}
    best = likelihood.headline(list(by_model))
    assert best is not None and by_model[best][4] == likelihood.UNUSUAL
    assert float(by_model[best][2]) < likelihood.ANOMALY_PERCENTILE  # raw NLL alone: not flagged
    measured = [r for r in rows if r[3] != likelihood.NOT_MEASURED]
    assert sum(r[4] == likelihood.UNUSUAL for r in measured) > len(measured) / 2
    assert best.split("-")[0] in fig.axes[1].get_title()


def test_the_mnist_examples_cycle_and_the_adversarial_example_says_what_the_classifier_thinks():
    digits = mnist_gallery()[0]
    assert np.array_equal(likelihood.mnist_digit(len(digits) + 2)[0], digits[2, 0].numpy())
    state, preview, note = likelihood.adversarial(IMAGE)
    assert np.abs(state.astype(int) - IMAGE.astype(int)).max() <= ood.STRONG_EPSILON
    assert "the classifier said" in note and "now says" in note and preview.ndim == 3


def test_the_score_sits_beside_the_image(two_models):
    with gr.Blocks() as app:
        likelihood.build()
    assert beside(app, "likelihood-gallery", "likelihood-go", "likelihood-table")
    ids = {getattr(b, "elem_id", None) for b in app.blocks.values()}
    assert {"likelihood-mnist", "likelihood-adversarial", "likelihood-note"} <= ids
    assert {"/score", "/adversarial"} <= set(app.get_api_info()["named_endpoints"])
