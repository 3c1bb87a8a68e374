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
$-\log p(x) = -\sum_{i=1}^{784} \log p(x_i \mid x_{<i})$ nats, or $\text{bits/dim} = -\log_2 p(x) / 784$.
An image unlike the training data should be unlikely, so its NLL falls high among the test images' —
likelihood as an anomaly detector. The heatmaps show each pixel's surprise $-\log p(x_i \mid x_{<i})$
(bright = surprising). Try the out-of-distribution examples, and see where they fool the models.
"""
ANOMALY_PERCENTILE = 99  # flagged when the NLL is above this percentile of the test images'
COLUMNS = ["model", "−log p(x) (nats)", "bits/dim", "percentile among test images", "verdict"]
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
    """A surprise map as an enlarged magma picture, 0 nats black, the map's maximum (at least 1 nat) white."""
    scaled = (s / max(float(s.max()), 1.0) * 255).round().clamp(0, 255).to(torch.uint8).numpy()
    return images.tile_grid(_MAGMA[scaled][None], 1)


def row(name: str, model, image: torch.Tensor) -> tuple[list, np.ndarray, float, float | None]:
    with torch.no_grad():
        nll = -model.log_prob(prepare(image, model.n_values)).item()
    pct = percentile(nll, model.meta.get("test_nll_percentiles"))
    verdict = "—" if pct is None else ("unusual: flagged" if pct > ANOMALY_PERCENTILE else "typical")
    cells = [name, round(nll, 1), round(nll / (model.num_pixels * math.log(2)), 4),
             "not recorded" if pct is None else f"{pct:.1f}", verdict]
    return cells, heatmap(surprise(model, image)), nll, pct


def plot(results: list[tuple[str, list[float] | None, float]]) -> Figure:
    """Per model: the test images' NLL distribution (equal-mass bins from the percentiles) and this image."""
    cols = min(3, len(results))
    fig = Figure(figsize=(3.4 * cols, 2.4 * math.ceil(len(results) / cols)), layout="constrained")
    for k, (name, percentiles, nll) in enumerate(results):
        ax = fig.add_subplot(math.ceil(len(results) / cols), cols, k + 1)
        if percentiles:
            edges = np.asarray(percentiles)[::5]  # 20 bins holding 5% of the test images each
            widths = np.maximum(np.diff(edges), 1e-9)
            ax.bar(edges[:-1], 0.05 / widths, widths, align="edge", color="#9ab", label="test images")
            ax.set_xlim(edges[0], max(percentiles[99], nll) * 1.05)
        ax.axvline(nll, color="#d22", lw=2, label="this image")
        ax.set_title(name, fontsize=9)
        ax.set_yticks([])
        ax.set_xlabel("−log p(x) (nats)", fontsize=8)
    return fig


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
        maps.append((picture, f"{name}: {nll:.1f} nats"))
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
    image, preview = picker.build("likelihood")
    with gr.Row():
        examples = [gr.Button(f"Example: {kind}", size="sm") for kind in ("noise", "inverted", "shifted")]
        go = gr.Button("Score", variant="primary", elem_id="likelihood-go")
    table = gr.Dataframe(headers=COLUMNS, label="under every model", elem_id="likelihood-table", interactive=False)
    with gr.Row():
        maps = gr.Gallery(label="surprise per pixel, −log p(x_i | x_<i)", columns=4, height="auto",
                          object_fit="contain", allow_preview=False, elem_id="likelihood-maps", elem_classes="pix")
        distribution = gr.Plot(label="this image among the test images")
    outputs = [table, maps, distribution]
    go.click(score, image, outputs, api_name="score")
    image.change(score, image, outputs, api_visibility="private")
    for button, kind in zip(examples, ("noise", "inverted", "shifted")):
        button.click(out_of_distribution, [gr.State(kind), image], [image, preview], api_visibility="private")
