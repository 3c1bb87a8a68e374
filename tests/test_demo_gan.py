"""demo.gan, the GAN tab: samples with D(x), class control, a latent walk, the timeline, the SSGAN as a classifier;
its API endpoints."""
import gradio as gr
import pytest
import torch
from gradio_client import Client
from gradio_client.exceptions import AppError

from conftest import tiny_checkpoint
from demo import gan as tab
from demo import images
from demo import shipped
from gen_core import checkpoints
from gen_core.data.gallery import gallery
from test_demo_latent_plots import beside, labelled, legends_clear_of_the_data, shown_text_px

TINY = {"z_dim": 8, "channels": 4}


def ship_tiny_gans(directory, monkeypatch):
    """Untrained dcgan and cgan checkpoints with a 3-epoch timeline each, used by the app."""
    for name, config in (("dcgan-test", TINY), ("cgan-test", {**TINY, "n_classes": 10})):
        tiny_checkpoint(directory, name, name.split("-")[0], config, monkeypatch)
        n = 60 if "n_classes" in config else 64
        checkpoints.save_companion(directory / name, "timeline", {
            "epoch": torch.arange(1, 4), "frames": torch.randint(0, 256, (3, n, 28, 28), dtype=torch.uint8),
            **{k: torch.rand(3) for k in ("loss_D", "loss_G", "D_real", "D_fake")}})
    tab._timeline.cache_clear()


@pytest.fixture
def tiny_gans(tmp_path, monkeypatch):
    ship_tiny_gans(tmp_path, monkeypatch)
    yield
    shipped._load.cache_clear()
    shipped.names.cache_clear()
    tab._timeline.cache_clear()


def test_tab_samples_with_d_of_x_classes_walk_and_timeline(tiny_gans):
    grid, status = tab.generate("dcgan-test", 3, 64, 0.7)  # one inline grid: no file per sample
    caps = images.captions(grid)
    assert len(images.decode_html(grid)) == 64 and all(c.startswith("D(x) = ") for c in caps) and "64 samples" in status
    grid, _ = tab.generate("cgan-test", 3, 4, 1.0, "Bag")
    assert all(c.endswith("· Bag") for c in images.captions(grid))
    caps = images.captions(tab.generate("cgan-test", 3, 12, 1.0, tab.EVERY_CLASS)[0])
    assert caps[0].endswith("T-shirt/top") and caps[10].endswith("T-shirt/top")
    assert tab.class_rows("cgan-test", 0, 3).axes
    strip, status = tab.walk("cgan-test", 0, 5, 7, 1.0, "Sneaker")
    assert strip.shape[1] > 6 * strip.shape[0] and status.count(",") == 6
    frame, fig = tab.timeline("dcgan-test", 2)
    assert frame.shape[2] == 3 and fig.axes
    assert tab.epoch_range("cgan-test") == (1, 3) and tab.class_choices("dcgan-test") == [tab.EVERY_CLASS]


def test_the_gan_figures_are_labelled_readable_and_their_legends_off_the_curves(tiny_gans):
    _, curves = tab.timeline("dcgan-test", 2)
    assert len(curves.axes) == 2 and all(ax.get_ylabel() for ax in curves.axes)  # one epoch axis, shared
    assert curves.axes[1].get_xlabel() == "epoch" and legends_clear_of_the_data(curves)
    assert shown_text_px(curves, 590) >= 12  # beside the timeline's frames: half the page at 1366 px
    rows = tab.class_rows("cgan-test", 0, tab.MAX_PER_CLASS)
    assert labelled(rows.axes[0]) and shown_text_px(rows, 1200) >= 12  # full width, in its accordion


def test_the_samples_sit_beside_the_controls(tiny_gans):
    with gr.Blocks() as app:
        tab.build()
    assert beside(app, "gan-go", "gan-samples")
    assert "$\\min_G \\max_D" in tab.EXPLAIN  # the key equation stays in the short explanation


def test_a_gan_without_its_timeline_says_how_to_make_one(tiny_gans):
    checkpoints.companion_path("dcgan-test", "timeline").unlink()
    tab._timeline.cache_clear()
    assert tab.epoch_range("dcgan-test") is None
    with pytest.raises(gr.Error, match="no training timeline file"):
        tab.timeline("dcgan-test", 1)


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
        grid, status = client.predict("cgan-test", 1, 5, 1.0, "Coat", api_name="/gan_generate")
        assert len(images.captions(grid)) == 5 and images.captions(grid)[0].endswith("Coat") and "5 samples" in status
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


@pytest.fixture
def tiny_ssgan(tiny_gans, tmp_path, monkeypatch):
    """An untrained ssgan checkpoint beside the GANs, its sidecar holding test accuracies and confusion matrices."""
    tiny_checkpoint(tmp_path, "ssgan-test", "ssgan", {"z_dim": 8, "channels": 4, "K": 10}, monkeypatch)
    confusion = {"D": (torch.eye(10, dtype=torch.long) * 800 + 20).tolist(), "baseline": torch.full((10, 10), 100).tolist()}
    checkpoints.update_meta("ssgan-test", {"confusion_test": confusion,
                                           "metrics": {"test_accuracy": 0.82, "baseline_test_accuracy": 0.1}})
    checkpoints.save_companion(tmp_path / "ssgan-test", "timeline", {
        "epoch": torch.arange(1, 3), "frames": torch.zeros(2, 64, 28, 28, dtype=torch.uint8),
        **{k: torch.rand(2) for k in ("loss_D", "loss_G", "D_real", "D_fake")}})
    shipped.names.cache_clear()


def test_the_ssgan_section_compares_its_discriminator_with_the_100_label_baseline(tiny_ssgan):
    summary, grid, fig = tab.compare("ssgan-test", 5)
    pixels, truth = gallery()
    model = shipped.get("ssgan-test")
    guesses = model.classify(pixels[:5].float() / 127.5 - 1).argmax(1)  # D's own guesses, in the captions
    names = shipped.class_names(model)
    for i, caption in enumerate(images.captions(grid)):
        right = "✓" if guesses[i] == truth[i] else "✗"
        assert caption.startswith(f"{names[truth[i]]} · SSGAN: {names[guesses[i]]} {right} · baseline: ")
    assert len(images.decode_html(grid)) == 5
    assert "82.0 %" in summary and "10.0 %" in summary  # the sidecar's test accuracies
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["SSGAN's D: 82.0 % right", "baseline, 100 labels alone: 10.0 % right"]  # trace / total
    assert all(ax.get_xlabel() == "class guessed" and ax.get_ylabel() == "true class" for ax in fig.axes)
    with gr.Blocks() as app:
        tab.build()
    assert {"ssgan-go", "ssgan-guesses", "gan-go"} <= {b.elem_id for b in app.blocks.values()}
    for name, loss in (("dcgan-test", "G: −log D(G(z))"), ("ssgan-test", "G: feature matching")):
        assert tab.timeline(name, 2)[1].axes[0].get_legend_handles_labels()[1][0] == loss
    assert "D(x) = " in images.captions(tab.generate("ssgan-test", 0, 2)[0])[0]  # its samples sit with the GANs'


@pytest.mark.parametrize("call, message", [
    (lambda: tab.compare("dcgan-test", 4), "semi-supervised GAN"),
    (lambda: tab.compare("ssgan-test", 0), "Images must be"),
    (lambda: tab.compare("ssgan-test", 65), "Images must be"),
])
def test_the_ssgan_section_says_what_is_wrong(tiny_ssgan, call, message):
    with pytest.raises(gr.Error, match=message):
        call()


def test_an_ssgan_without_its_confusion_matrices_says_how_to_measure_them(tiny_ssgan):
    checkpoints.update_meta("ssgan-test", {"confusion_test": {}})
    shipped._load.cache_clear()
    with pytest.raises(gr.Error, match="--write-reference"):
        tab.compare("ssgan-test", 4)
