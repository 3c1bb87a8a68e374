"""Likelihood tab: score any image under every shipped model, and see where each model is surprised."""
from __future__ import annotations

import functools
import html
from typing import TYPE_CHECKING

import gradio as gr
import numpy as np
import torch

from gen_core import checkpoints, ood
from gen_core.data import prepare
from gen_core.data.gallery import mnist_gallery

from . import checks, images, layout, picker, shipped
from .i18n import T

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ANOMALY_PERCENTILE = 99  # without measurements: flagged when the NLL is above this percentile of the test images'
COLUMNS = ["model", "−log p(x) (nats)", "raw percentile", "S(x) vs. threshold", "verdict"]
UNUSUAL, TYPICAL = "unusual: flagged", "typical"
RAW_ONLY = " (raw NLL)"
SCORE_LABELS = {"nll": "−log p", "png": "−log p − L_png", "context": "−log p − L_ctx",
                "typicality": "|−log p − typical|"}
SCORE_SHORT = {"nll": "raw", "png": "L_png", "context": "L_ctx", "typicality": "typicality"}
NOT_MEASURED = "not measured"
SET_LABELS = {"test": "Fashion-MNIST test", "mnist": "MNIST digits", "shifted": "shifted",
              "rotated": "rotated", "pgd": "adversarial (PGD 8/255)"}
SET_COLOURS = {"test": "#888", "mnist": "#d62", "shifted": "#28a", "rotated": "#6a3", "pgd": "#a3a"}
NO_HISTOGRAMS = "No measured histograms: run `python -m gen_core.ood`."
ADVERSARIAL_NOTE = "Adversarial example (PGD, every pixel within {eps}/255): the classifier said **{before}** ({p0:.0%}), now says **{after}** ({p1:.0%})."
NO_CLASSIFIER = "No classifier is shipped: train one with `python -m gen_core.train classifier`."
MNIST_NOTE = "MNIST test digit {digit} (not a piece of clothing)."
SURPRISE_MAX = 8.0  # nats: the top of the heatmaps' one colour scale (more is drawn as this)
SURPRISE_LABEL = "surprise −log p(x_i | x_<i) (nats)"
EIGHT_BIT_NOTE = "8-bit: surprise of the exact grey level, 1 of 256"
FONT = 11  # points; at the figures' 100 dpi that is 15 px, shown unscaled on a 1366-px screen
# captions under the heatmaps, whole; the table's headers whole words
CSS = """
#likelihood-table th span, #likelihood-table td .cell-wrap {word-break: normal; overflow-wrap: normal}
@media (max-width: 640px) {#likelihood-maps .grid-container {--grid-cols: 2 !important}}
"""


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
    return images.tile_grid(images.colormap("magma")[scaled][None], 1)


def colour_bar(ticks: int = 5) -> str:
    """The heatmaps' one colour scale, 0 to SURPRISE_MAX nats, as a horizontal bar (HTML: drawn by the page)."""
    magma = images.colormap("magma")
    stops = ", ".join(f"rgb{tuple(int(c) for c in magma[k])} {k / 255:.0%}" for k in range(0, 256, 15))
    marks = "".join(f'<span style="position: absolute; left: {k / (ticks - 1):.0%}; transform: translateX(-50%)">'
                    f'{SURPRISE_MAX * k / (ticks - 1):g}{"+" if k == ticks - 1 else ""}</span>' for k in range(ticks))
    return (f'<div class="colour-bar" style="margin: 4px 14px; font-size: 15px">'
            f'<div style="height: 18px; border: 1px solid #888; background: linear-gradient(to right, {stops})"></div>'
            f'<div style="position: relative; height: 1.4em">{marks}</div>'
            f'<div style="text-align: center">{html.escape(SURPRISE_LABEL)}</div></div>')


@functools.lru_cache(maxsize=4)
def _stored(folder: str, stamp: float) -> tuple[dict, dict]:
    return ood.load_results(), ood.load_companion()


def stored() -> tuple[dict, dict]:
    """(ood.json, its companion tensors) of the checkpoint folder, read again when the file changes."""
    path = ood.results_path()
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return {}, {}
    return _stored(str(path), stamp)


def corrected(name: str, model, nll: float, image: torch.Tensor) -> tuple[str, float, float] | None:
    """(score name, this image's corrected score, the threshold) from the measurements; None when not measured."""
    report, companion = stored()
    calibration = report.get("calibration", {}).get(name)
    if not calibration:
        return None
    found = ood.corrected_score(calibration, nll, image, ood.coder(calibration["n_values"], companion))
    if found is None:
        return None
    return found[0], found[1], calibration["thresholds"][found[0]]


def verdict(pct: float | None, found: tuple[str, float, float] | None) -> str:
    """From the calibrated corrected score when measured, else from the raw NLL's test percentile."""
    if found is not None:
        return UNUSUAL if found[1] > found[2] else TYPICAL
    if pct is None:
        return "—"
    return (UNUSUAL if pct > ANOMALY_PERCENTILE else TYPICAL) + RAW_ONLY


def row(name: str, model, image: torch.Tensor) -> tuple[list, np.ndarray, float, tuple | None]:
    with torch.no_grad():
        nll = -model.log_prob(prepare(image, model.n_values)).item()
    pct = percentile(nll, model.meta.get("test_nll_percentiles"))
    found = corrected(name, model, nll, image)
    shown = NOT_MEASURED if found is None else (
        f"{found[1]:.1f} {'>' if found[1] > found[2] else '≤'} {found[2]:.1f} ({SCORE_SHORT.get(found[0], found[0])})")
    cells = [name, round(nll, 1), "not recorded" if pct is None else f"{pct:.1f}", shown, verdict(pct, found)]
    return cells, heatmap(surprise(model, image)), nll, found


def headline(names) -> str | None:
    """The measured model whose corrected score separates MNIST best (mean over the sets when no MNIST)."""
    report, companion = stored()

    def quality(name):
        results = report["results"][name]
        best = report["calibration"][name]["best_score"]
        sets = ["mnist"] if "mnist" in results else [k for k in ood.NATURAL_SETS if k in results]
        return sum(results[k][best]["auroc"] for k in sets) / max(len(sets), 1)

    measured = [n for n in names if n in report.get("calibration", {}) and f"{n}/nll/edges" in companion]
    return max(measured, key=quality) if measured else None


def plot(name: str | None, nll: float | None = None, found: tuple[str, float, float] | None = None) -> Figure:
    """Two panels for model ``name``: the measured sets' histograms of raw −log p(x) and of the corrected score,
    with this image's values (red) and the threshold (dashed)."""
    fig = images.figure(figsize=(5.8, 3.2), layout="constrained")
    report, companion = stored()
    calibration = report.get("calibration", {}).get(name or "")
    if not calibration:
        fig.text(0.5, 0.5, NO_HISTOGRAMS, ha="center", va="center", fontsize=FONT, wrap=True)
        return fig
    best = calibration["best_score"]
    axes = fig.subplots(1, 2, sharey=False)
    for ax, score, value in zip(axes, ("nll", best), (nll, found[1] if found else None)):
        edges = companion.get(f"{name}/{score}/edges")
        if edges is None:
            continue
        centres = ((edges[1:] + edges[:-1]) / 2).numpy()
        for set_name in ood.PLOTTED:
            counts = companion.get(f"{name}/{score}/{set_name}")
            if counts is None:
                continue
            share = (counts / counts.sum().clamp(min=1)).numpy()
            style = dict(color=SET_COLOURS[set_name], label=SET_LABELS[set_name])
            if set_name == "test":
                ax.fill_between(centres, share, step="mid", alpha=0.4, lw=0, **style)
            else:
                ax.step(centres, share, where="mid", lw=1.4, **style)
        if value is not None:
            ax.axvline(min(max(value, edges[0].item()), edges[-1].item()), color="#d22", lw=2,
                       label="this image")
        if score != "nll":
            ax.axvline(calibration["thresholds"][score], color="k", ls="--", lw=1.2, label="threshold (5 % FPR)")
        ax.set_xlabel(SCORE_LABELS.get(score, score) + " (nats)", fontsize=FONT)
        ax.set_ylabel("share of images", fontsize=FONT)
        ax.tick_params(labelsize=FONT - 1)
        ax.set_title(("raw" if score == "nll" else "corrected") + f": {short(name)}", fontsize=FONT)
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=FONT - 1, frameon=False,
               handlelength=1.2, columnspacing=0.8)
    return fig


def short(name: str) -> str:
    """A checkpoint's name without its data set: 'nade-fashion-mnist' -> 'nade'."""
    return name.split("-")[0]


def caption(name: str, model, nll: float) -> str:
    """A heatmap's caption: the model, its NLL, and for an 8-bit model what its surprise measures."""
    note = f" · {EIGHT_BIT_NOTE}" if model.n_values > 2 else ""
    return f"{name}: {nll:.1f} nats{note}"


@checks.writes_files
def score(image):
    """(table rows, heatmaps with captions, histogram plot) of ``image`` under every shipped image model."""
    image = picker.as_image(image)
    names = shipped.names("image")
    if not names:
        checks.fail("No autoregressive image model is shipped: train one with `python -m gen_core.train nade`.")
    rows, maps, found = [], [], {}
    for name in names:
        try:
            model = shipped.get(name)
        except gr.Error as e:  # one broken checkpoint must not hide the others
            rows.append([name, None, "—", "—", f"not available: {e.message}"])
            continue
        cells, picture, nll, corrected_score = row(name, model, image)
        rows.append(cells)
        maps.append((picture, caption(name, model, nll)))
        found[name] = (nll, corrected_score)
    shown = headline(list(found))
    return rows, maps, plot(shown, *found.get(shown, (None, None)))


@checks.writes_files
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


@checks.writes_files
def mnist_digit(index):
    """(state, preview, note, next index): the shipped MNIST test digit ``index`` (cycling through them)."""
    digits, labels = mnist_gallery()
    k = int(index or 0) % len(digits)
    state, preview = picker.show(digits[k:k + 1])
    return state, preview, MNIST_NOTE.format(digit=int(labels[k])), k + 1


def classifier():
    name = "classifier-fashion-mnist"
    if name not in checkpoints.available():
        checks.fail(NO_CLASSIFIER)
    return shipped.get(name)


@checks.writes_files
def adversarial(image):
    """(state, preview, note): a PGD adversarial example of the current image against the shipped classifier,
    aimed away from the class it predicts now, with its prediction before and after."""
    x = picker.as_image(image)
    net = classifier()
    p0 = ood.predict(net, x)[0]
    before = int(p0.argmax())
    with torch.enable_grad():
        x_adv = ood.pgd(net, x, torch.tensor([before]), ood.STRONG_EPSILON)
    p1 = ood.predict(net, x_adv)[0]
    after = int(p1.argmax())
    names = shipped.class_names(net)
    note = ADVERSARIAL_NOTE.format(eps=ood.STRONG_EPSILON, before=names[before], p0=float(p0[before]),
                                   after=names[after], p1=float(p1[after]))
    return (*picker.show(x_adv), note)


def build():
    if not layout.opening(T("likelihood.explain"), "image", T("likelihood.missing")):
        return
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):  # the image and the anomalies made from it
            image, preview = picker.build("likelihood")
            with gr.Row():
                examples = [gr.Button(T(f"likelihood.example_{kind}"), size="sm", min_width=90)
                            for kind in ("noise", "inverted", "shifted")]
                digit = gr.Button(T("likelihood.example_mnist"), size="sm", min_width=90, elem_id="likelihood-mnist")
                attack = gr.Button(T("likelihood.example_adversarial"), size="sm", min_width=90,
                                   elem_id="likelihood-adversarial")
            note = gr.Markdown(elem_id="likelihood-note")
        with gr.Column(scale=1):  # beside it: the score under every model
            go = gr.Button(T("likelihood.score"), variant="primary", elem_id="likelihood-go")
            table = gr.Dataframe(headers=COLUMNS, label=T("likelihood.table"),
                                 elem_id="likelihood-table", interactive=False, wrap=True,
                                 column_widths=["30%", "15%", "15%", "22%", "18%"])
    with gr.Accordion(T("likelihood.details_title"), open=False):
        gr.Markdown(T("likelihood.details"), latex_delimiters=layout.LATEX)
    with gr.Row(equal_height=False):
        with gr.Column():
            maps = gr.Gallery(label=T("likelihood.maps"), columns=4, height="auto",
                              object_fit="contain", allow_preview=False, elem_id="likelihood-maps",
                              elem_classes=["captions-below", "pix"])
            scale = gr.HTML(label=T("likelihood.scale"), elem_id="likelihood-scale")
        distribution = gr.Plot(label=T("likelihood.distribution"), show_label=False,
                               elem_id="likelihood-distribution")
    outputs = [table, maps, distribution]
    go.click(score, image, outputs, api_name="score", **layout.HEAVY)
    image.change(score, image, outputs, api_visibility="private")
    for button, kind in zip(examples, ("noise", "inverted", "shifted")):
        button.click(out_of_distribution, [gr.State(kind), image], [image, preview], api_visibility="private")
    shown_digit = gr.State(0)
    digit.click(mnist_digit, shown_digit, [image, preview, note, shown_digit], api_visibility="private")
    attack.click(adversarial, image, [image, preview, note], api_name="adversarial", **layout.HEAVY)
    return colour_bar, [], [scale]  # drawn on first view: its colours are matplotlib's
