"""Likelihood tab: score any image under every shipped model, and see where each model is surprised."""
from __future__ import annotations

import math

import gradio as gr
import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure

from gen_core.data import prepare

from . import checks, images, layout, picker, shipped

EXPLAIN = r"""
### Likelihood and anomaly detection
An autoregressive model gives the exact likelihood of any image:
$-\log p(x) = -\sum_{i=1}^{784} \log p(x_i \mid x_{<i})$ nats. An image unlike the training data should be
unlikely: its NLL falls high among the test images'.
"""
DETAILS = r"""
Bits per dimension: $\text{bits/dim} = -\log_2 p(x) / 784$. The heatmaps show each pixel's surprise
$-\log p(x_i \mid x_{<i})$ on one colour scale for every model (bright = surprising); they add up to the NLL.
Try the out-of-distribution examples, and see where they fool the models.
"""
DETAILS_TITLE = "More about likelihood as an anomaly detector"
ANOMALY_PERCENTILE = 99  # flagged when the NLL is above this percentile of the test images'
COLUMNS = ["model", "−log p(x) (nats)", "bits/dim", "test percentile", "verdict"]
SURPRISE_MAX = 8.0  # nats: the top of the heatmaps' one colour scale (more is drawn as this)
SURPRISE_LABEL = "surprise −log p(x_i | x_<i) (nats)"
EIGHT_BIT_NOTE = "8-bit: surprise of the exact grey level, 1 of 256"
FONT = 11  # points; at the figures' 100 dpi that is 15 px, shown unscaled on a 1366-px screen
# captions under the heatmaps, whole; the table's headers whole words
CSS = """
#likelihood-table th span, #likelihood-table td .cell-wrap {word-break: normal; overflow-wrap: normal}
@media (max-width: 640px) {#likelihood-maps .grid-container {--grid-cols: 2 !important}}
"""
_MAGMA = (matplotlib.colormaps["magma"](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


def percentile(nll: float, percentiles: list[float] | None) -> float | None:
    """Share of test images (in %) with a lower NLL, read from the sidecar's percentiles 0..100."""
    if not percentiles:
        return None
    return float(np.interp(nll, percentiles, np.arange(len(percentiles))))


@torch.no_grad()
def surprise(model, image: torch.Tensor) -> torch.Tensor:
    """-log p(x_i | x_<i) for every pixel of a uint8 [1,1,28,28] image, [28, 28] nats."""
    return -model.pixel_log_prob(prepare(image, model.n_values))[0, 0]


def heatmap(s: torch.Tensor) -> np.ndarray:
    """A surprise map as an enlarged magma picture on the shared scale: 0 nats black, SURPRISE_MAX or more white."""
    scaled = (s / SURPRISE_MAX * 255).round().clamp(0, 255).to(torch.uint8).numpy()
    return images.tile_grid(_MAGMA[scaled][None], 1)


def colour_bar() -> Figure:
    """The heatmaps' one colour scale, 0 to SURPRISE_MAX nats, as a horizontal colour bar."""
    fig = Figure(figsize=(5.6, 1.0), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    bar = fig.colorbar(matplotlib.cm.ScalarMappable(matplotlib.colors.Normalize(0, SURPRISE_MAX), "magma"), cax=ax,
                       orientation="horizontal", extend="max")
    bar.set_label(SURPRISE_LABEL, fontsize=FONT)
    ax.tick_params(labelsize=FONT)
    return fig


def row(name: str, model, image: torch.Tensor) -> tuple[list, np.ndarray, float, float | None]:
    with torch.no_grad():
        nll = -model.log_prob(prepare(image, model.n_values)).item()
    pct = percentile(nll, model.meta.get("test_nll_percentiles"))
    verdict = "—" if pct is None else ("unusual: flagged" if pct > ANOMALY_PERCENTILE else "typical")
    cells = [name, round(nll, 1), round(nll / (model.num_pixels * math.log(2)), 4),
             "not recorded" if pct is None else f"{pct:.1f}", verdict]
    return cells, heatmap(surprise(model, image)), nll, pct


def plot(results: list[tuple[str, list[float] | None, float]]) -> Figure:
    """One row per model: the test images' NLLs (box: the middle half, whiskers: 5 to 95 %) and this image's."""
    fig = Figure(figsize=(5.8, 1.3 + 0.42 * len(results)), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    for k, (name, percentiles, nll) in enumerate(results):
        if percentiles:
            p5, p25, p50, p75, p95 = (percentiles[q] for q in (5, 25, 50, 75, 95))
            ax.hlines(k, p5, p95, color="#678", lw=1.5, label="test images: 5–95 %" if k == 0 else None)
            ax.barh(k, p75 - p25, left=p25, height=0.5, color="#9ab", label="middle half" if k == 0 else None)
            ax.vlines(p50, k - 0.25, k + 0.25, color="#345", lw=1.5)
        ax.plot([nll], [k], "o", color="#d22", ms=7, label="this image" if k == 0 else None)
    ax.set_yticks(range(len(results)), [short(name) for name, _, _ in results], fontsize=FONT)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("−log p(x) (nats, log scale)", fontsize=FONT)
    ax.set_ylabel("model", fontsize=FONT)
    ax.tick_params(labelsize=FONT)
    if results:
        fig.legend(loc="outside upper center", ncols=3, fontsize=FONT, frameon=False, handlelength=1,
                   columnspacing=1)
    return fig


def short(name: str) -> str:
    """A checkpoint's name without its data set: 'nade-fashion-mnist' -> 'nade'."""
    return name.split("-")[0]


def caption(name: str, model, nll: float) -> str:
    """A heatmap's caption: the model, its NLL, and for an 8-bit model what its surprise measures."""
    note = f" · {EIGHT_BIT_NOTE}" if model.n_values > 2 else ""
    return f"{name}: {nll:.1f} nats{note}"


def score(image):
    """(table rows, heatmaps with captions, distribution plot) of ``image`` under every shipped image model."""
    image = picker.as_image(image)
    names = shipped.names("image")
    if not names:
        checks.fail("No autoregressive image model is shipped: train one with `python -m gen_core.train nade`.")
    rows, maps, results = [], [], []
    for name in names:
        try:
            model = shipped.get(name)
        except gr.Error as e:  # one broken checkpoint must not hide the others
            rows.append([name, None, None, "—", f"not available: {e.message}"])
            continue
        cells, picture, nll, _ = row(name, model, image)
        rows.append(cells)
        maps.append((picture, caption(name, model, nll)))
        results.append((name, model.meta.get("test_nll_percentiles"), nll))
    return rows, maps, plot(results)


def out_of_distribution(kind: str, image):
    """(state, preview) of an example anomaly made from the current image: noise, inverted or shifted."""
    x = picker.as_image(image)
    if kind == "noise":
        x = torch.randint(0, 256, x.shape, generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    elif kind == "inverted":
        x = 255 - x
    elif kind == "shifted":
        x = torch.roll(x, (9, 9), (2, 3))
        x[..., :9, :], x[..., :, :9] = 0, 0
    else:
        checks.fail(f"Unknown example {kind!r}.")
    return picker.show(x)


def build():
    layout.explain(EXPLAIN)
    if not shipped.names("image"):
        gr.Markdown("No autoregressive image model is shipped yet: train one with `python -m gen_core.train nade`.")
        return
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):  # the image and the anomalies made from it
            image, preview = picker.build("likelihood")
            with gr.Row():
                examples = [gr.Button(f"Example: {kind}", size="sm", min_width=100)
                            for kind in ("noise", "inverted", "shifted")]
        with gr.Column(scale=1):  # beside it: the score under every model
            go = gr.Button("Score", variant="primary", elem_id="likelihood-go")
            table = gr.Dataframe(headers=COLUMNS, label="under every model", elem_id="likelihood-table",
                                 interactive=False, wrap=True, column_widths=["34%", "17%", "15%", "17%", "17%"])
    with gr.Accordion(DETAILS_TITLE, open=False):
        gr.Markdown(DETAILS, latex_delimiters=layout.LATEX)
    with gr.Row(equal_height=False):
        with gr.Column():
            maps = gr.Gallery(label="surprise per pixel, −log p(x_i | x_<i)", columns=4, height="auto",
                              object_fit="contain", allow_preview=False, elem_id="likelihood-maps", elem_classes=["captions-below", "pix"])
            gr.Plot(colour_bar(), label="one colour scale for every map", show_label=False,
                    elem_id="likelihood-scale")
        distribution = gr.Plot(label="this image among the test images", show_label=False,
                               elem_id="likelihood-distribution")
    outputs = [table, maps, distribution]
    go.click(score, image, outputs, api_name="score")
    image.change(score, image, outputs, api_visibility="private")
    for button, kind in zip(examples, ("noise", "inverted", "shifted")):
        button.click(out_of_distribution, [gr.State(kind), image], [image, preview], api_visibility="private")
