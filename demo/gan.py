"""GAN tab: samples with D(x) under each, class control, a latent walk, truncation, the training timeline, and the
semi-supervised GAN's discriminator as a classifier against the same network trained on its 100 labels alone."""
from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING

import gradio as gr
import numpy as np
import torch

from gen_core import checkpoints
from gen_core.data.gallery import SIZE as GALLERY_SIZE, gallery
from gen_core.metrics import to_unit_range
from gen_core.models.gan import class_labels, slerp
from gen_core.models.ssgan import SSGAN

from . import checks, images, layout, shipped
from .i18n import T, english, say

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# the tab's explanation in English (tests, docs); the page shows i18n.TEXTS' in its language
EXPLAIN = english("gan.explain")
DETAILS = english("gan.details")

FONT = 11  # points; at the figures' 100 dpi that is 15 px, shown unscaled on a 1366-px screen
EVERY_CLASS = "every class"
MAX_SAMPLES, MAX_WALK, MAX_PER_CLASS = 64, 16, 12
SEMI_SUPERVISED = "semi_supervised"  # the SSGAN's task: its samples sit with the GANs'
TRAIN_HINT = "`python -m gen_core.train dcgan` (after `python -m gen_core.train classifier`)"


def truncation_psi(value) -> float:
    """The truncation psi, the factor on z: between 0.05 and 1 (1 = no truncation), or a message."""
    return checks.number(value, "Truncation psi (1 = no truncation)", 0.05, 1)


def labels_for(model, class_name: str | None, n: int) -> torch.Tensor | None:
    """The class of each of n samples: None (unconditional), one class, or every class in turn."""
    class_name = class_name or EVERY_CLASS
    if not model.conditional and class_name != EVERY_CLASS:
        checks.fail(say("msg.gan_unconditional"))
    if class_name == EVERY_CLASS:
        return class_labels(n, model.n_classes)
    names = shipped.class_names(model)
    return torch.full((n,), names.index(checks.choice(class_name, "class", names)))


def tiles(x: torch.Tensor) -> list[np.ndarray]:
    """Images in [-1, 1] -> 28 x 28 RGB tiles (the page enlarges them, crisp: small to encode and send)."""
    return list(images.gray_rgb((x + 1) / 2))


def generate(name: str, seed=0, n=16, truncation=1.0, class_name=EVERY_CLASS):
    """(a grid of the samples, each captioned 'D(x) = ...', as inline HTML; status) for n samples from one seed."""
    seed = checks.seed(seed)
    n = checks.whole(n, "Number of samples", 1, MAX_SAMPLES)
    psi = truncation_psi(truncation)
    model = shipped.get(name)
    y = labels_for(model, class_name, n)
    t0 = time.perf_counter()
    x = model.sample(n, labels=y, truncation=psi, generator=torch.Generator().manual_seed(seed))
    d = model.discriminate(x, y)
    elapsed = time.perf_counter() - t0
    captions = [f"D(x) = {p:.2f}" for p in d.tolist()]
    if y is not None:
        names = shipped.class_names(model)
        captions = [f"{caption} · {names[c]}" for caption, c in zip(captions, y.tolist())]
    status = (f"**{n} samples in {elapsed * 1e3:.0f} ms** (generator and discriminator). Mean D(x) = "
              f"{d.mean():.2f}: near 1/2 when D cannot tell them from real images.")
    return images.captioned_html(list(zip(tiles(x), captions)), columns=8), status


def class_rows(name: str, seed=0, per_class=8, truncation=1.0) -> Figure:
    """A figure with a row per class; column k uses the same z in every row, so only the class changes."""
    seed = checks.seed(seed)
    per_class = checks.whole(per_class, "Samples per class", 1, MAX_PER_CLASS)
    psi = truncation_psi(truncation)
    model = shipped.get(name)
    if not model.conditional:
        checks.fail(say("msg.rows_need_cgan"))
    z = model.noise(per_class, torch.Generator().manual_seed(seed), psi).repeat(model.n_classes, 1)
    y = torch.arange(model.n_classes).repeat_interleave(per_class)
    with torch.no_grad():
        x = model.generate(z, y)
    picture = images.image_grid((x + 1) / 2, 2, nrow=per_class)
    fig = images.figure(figsize=(2.4 + 0.9 * per_class, 1.2 + 0.9 * model.n_classes), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(picture, interpolation="nearest")
    step = picture.shape[0] / model.n_classes
    ax.set_yticks([step * (k + 0.5) for k in range(model.n_classes)], shipped.class_names(model), fontsize=FONT)
    ax.set_xticks([picture.shape[1] * (k + 0.5) / per_class for k in range(per_class)],
                  [str(k + 1) for k in range(per_class)], fontsize=FONT)
    ax.set_xlabel("noise z (the same down each column)", fontsize=FONT)
    ax.set_ylabel("class y", fontsize=FONT)
    ax.set_title("x = G(z, y)", fontsize=FONT)
    return fig


@checks.writes_files
def walk(name: str, seed_a=0, seed_b=1, steps=8, truncation=1.0, class_name=EVERY_CLASS):
    """(strip of G(z_t) along the great circle from z(seed_a) to z(seed_b), status with each D(x))."""
    seed_a = checks.whole(seed_a, "Seed A", 0, checks.MAX_SEED)
    seed_b = checks.whole(seed_b, "Seed B", 0, checks.MAX_SEED)
    steps = checks.whole(steps, "Steps", 2, MAX_WALK)
    psi = truncation_psi(truncation)
    model = shipped.get(name)
    if model.conditional and (class_name or EVERY_CLASS) == EVERY_CLASS:
        class_name = shipped.class_names(model)[0]
    y = labels_for(model, class_name, steps)
    ends = [model.noise(1, torch.Generator().manual_seed(s), psi)[0].cpu() for s in (seed_a, seed_b)]
    z = slerp(*ends, steps)
    with torch.no_grad():
        x = model.generate(z, y)
    d = model.discriminate(x, y)
    where = "" if y is None else f" (class {class_name})"
    status = f"From seed {seed_a} to seed {seed_b}{where}. D(x) along the way: " + \
             ", ".join(f"{p:.2f}" for p in d.tolist())
    return images.image_grid((x + 1) / 2, 2, nrow=steps), status


TIMELINE_KEYS = {"epoch", "frames", "loss_G", "loss_D", "D_real", "D_fake"}


@functools.cache
def _timeline(name: str) -> dict[str, torch.Tensor] | None:
    """The checkpoint's training timeline (NAME.timeline.safetensors), read once; None when it has none
    (or one that is corrupt or incomplete: only the timeline view is lost)."""
    try:
        t = checkpoints.read_companion(name, "timeline")
    except checkpoints.CheckpointError:
        return None
    whole = TIMELINE_KEYS <= t.keys() and len(t["epoch"]) > 0 and len({len(v) for v in t.values()}) == 1
    return t if whole else None


def timeline(name: str, epoch=1, figures: bool = True):
    """(the fixed-noise samples after ``epoch``, the loss curves with that epoch marked: only with ``figures``,
    matplotlib's, not at start-up)."""
    model = shipped.get(name)  # a clear message when the checkpoint is missing
    t = _timeline(name)
    if t is None:
        checks.fail(f"{name} has no training timeline file ({name}.timeline.safetensors), or a damaged one; "
                    f"retrain it with {TRAIN_HINT}.")
    epochs = t["epoch"].tolist()
    epoch = checks.whole(epoch, "Epoch", epochs[0], epochs[-1])
    frame = t["frames"][epochs.index(epoch)]
    picture = images.image_grid(frame[:, None].float() / 255, 2, nrow=model.n_classes or None)
    if not figures:
        return picture, None
    return picture, loss_plot(t, epoch, "G: feature matching" if isinstance(model, SSGAN) else "G: −log D(G(z))")


def curves(name: str, epoch=1):
    """The loss curves alone (the tab's first view: the samples were drawn at start-up)."""
    return timeline(name, epoch)[1]


def loss_plot(t: dict[str, torch.Tensor], epoch: int, generator_loss: str = "G: −log D(G(z))") -> Figure:
    """The losses (top) and D's mean outputs (bottom) per epoch, ``epoch`` marked; each legend right of its axes."""
    fig = images.figure(figsize=(5.8, 4.4))  # laid out by hand: drawn on every slider move
    losses, outputs = fig.subplots(2, 1, sharex=True,
                                   gridspec_kw={"left": 0.13, "right": 0.6, "bottom": 0.11, "top": 0.97, "hspace": 0.1})
    e = t["epoch"].numpy()
    losses.plot(e, t["loss_G"].numpy(), "o-", ms=3, label=generator_loss)
    losses.plot(e, t["loss_D"].numpy(), "o-", ms=3, label="D: cross-\nentropy")
    losses.set_ylabel("mean loss", fontsize=FONT)
    outputs.plot(e, t["D_real"].numpy(), "o-", ms=3, label="D(x), real x")
    outputs.plot(e, t["D_fake"].numpy(), "o-", ms=3, label="D(G(z))")
    outputs.axhline(0.5, color="gray", lw=0.8, ls=":", label="½: can't tell")
    outputs.set_ylim(0, 1)
    outputs.set_ylabel("D's mean output", fontsize=FONT)
    outputs.set_xlabel("epoch", fontsize=FONT)
    for ax in (losses, outputs):
        ax.axvline(epoch, color="#d22", lw=1.5, label=f"epoch {epoch}")
        ax.tick_params(labelsize=FONT)
        ax.legend(fontsize=FONT, loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0, frameon=False)
    return fig


def class_choices(name: str) -> list[str]:
    """The class menu of a GAN: every class in turn, or (conditional) one of its classes."""
    model = shipped.get(name)
    return [EVERY_CLASS, *shipped.class_names(model)] if model.conditional else [EVERY_CLASS]


def epoch_range(name: str) -> tuple[int, int] | None:
    """(first, last) epoch of the checkpoint's timeline, or None without one."""
    t = _timeline(name)
    return None if t is None else (int(t["epoch"][0]), int(t["epoch"][-1]))


@checks.writes_files
def on_model(name: str):
    """Class choices for the chosen GAN, and the timeline slider over its epochs (showing the last)."""
    choices, span = class_choices(name), epoch_range(name)
    classes = gr.Dropdown(choices=choices, value=EVERY_CLASS, interactive=len(choices) > 1)
    if span is None:
        return classes, checks.Slider(visible=False), None, None
    slider = checks.Slider(minimum=span[0], maximum=max(span[1], span[0] + 1), value=span[1], step=1,
                       visible=span[1] > span[0])  # one epoch: nothing to scrub
    return classes, slider, *timeline(name, span[1])


def ssgan(name: str) -> SSGAN:
    """The semi-supervised GAN of checkpoint ``name``, or a message saying to choose one."""
    model = shipped.get(name)
    if not isinstance(model, SSGAN):
        checks.fail(say("msg.ssgan_only"))
    return model


def percent(p: float) -> str:
    return f"{100 * p:.1f} %"


def compare(name: str, n=16):
    """(the accuracies of the SSGAN's D and of its 100-label baseline: the sidecar's on the 10,000 test images and
    on these images; the first n gallery test images captioned with the true class and both guesses, as inline
    HTML; both confusion matrices on the test images)."""
    n = checks.whole(n, "Images", 1, GALLERY_SIZE)
    model = ssgan(name)
    confusion = model.meta.get("confusion_test", {})
    if set(confusion) != {"D", "baseline"}:
        checks.fail(say("msg.ssgan_no_confusion", name=name))
    pixels, truth = gallery()
    x = to_unit_range(pixels[:n])
    guesses = {net: model.classify(x, net).argmax(1) for net in ("D", "baseline")}
    names = shipped.class_names(model)

    def guess(net, i):
        k = guesses[net][i].item()
        return f"{names[k]} {'✓' if k == truth[i].item() else '✗'}"

    captions = [say("ssgan.caption", truth=names[truth[i].item()], ssgan=guess("D", i), baseline=guess("baseline", i))
                for i in range(n)]
    measured = shipped.metrics(name)
    here = {net: (g == truth[:n]).double().mean().item() for net, g in guesses.items()}
    summary = say("ssgan.accuracy", ssgan=percent(measured.get("test_accuracy", float("nan"))),
                  baseline=percent(measured.get("baseline_test_accuracy", float("nan"))), n=n,
                  ssgan_here=percent(here["D"]), baseline_here=percent(here["baseline"]))
    grid = images.captioned_html(list(zip(tiles(x), captions)), columns=8)
    return summary, grid, confusion_plot(confusion, names)


def confusion_plot(confusion: dict[str, list[list[int]]], names: tuple[str, ...]) -> Figure:
    """The SSGAN's and the baseline's confusion matrices side by side (rows: true class, columns: guessed), each
    cell's count written in it."""
    fig = images.figure(figsize=(11, 5.2), layout="constrained")
    for ax, (net, title) in zip(fig.subplots(1, 2), (("D", "ssgan.title_D"), ("baseline", "ssgan.title_baseline"))):
        c = np.array(confusion[net])
        ax.imshow(c, cmap="Blues")
        for (i, j), count in np.ndenumerate(c):
            ax.text(j, i, str(count), ha="center", va="center", fontsize=FONT - 2,
                    color="white" if count > c.max() / 2 else "black")
        ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=FONT - 1)
        ax.set_yticks(range(len(names)), names, fontsize=FONT - 1)
        ax.set_xlabel(say("ssgan.guessed"), fontsize=FONT)
        ax.set_ylabel(say("ssgan.true"), fontsize=FONT)
        ax.set_title(say(title, accuracy=percent(np.trace(c) / c.sum())), fontsize=FONT)
    return fig


def ssgan_section(names: tuple[str, ...]) -> None:
    """The SSGAN's discriminator as a classifier, against the same network trained on the 100 labels alone."""
    gr.Markdown(T("ssgan.explain"), latex_delimiters=layout.LATEX)
    with gr.Row():
        name = gr.Dropdown(names, value=names[0], label=T("common.model"))
        n = checks.Slider(1, GALLERY_SIZE, value=16, step=1, label=T("ssgan.images"))
        go = gr.Button(T("ssgan.go"), elem_id="ssgan-go")
    summary = gr.Markdown()
    grid = gr.HTML(label=T("ssgan.gallery"), show_label=True, container=True, elem_id="ssgan-guesses")
    matrices = gr.Plot(label=T("ssgan.confusion"))
    go.click(compare, [name, n], [summary, grid, matrices], api_name="gan_ssgan_compare")


def build():
    semi_supervised = shipped.names(SEMI_SUPERVISED)
    names = layout.opening(T("gan.explain"), "gan", T("gan.missing")) + semi_supervised
    if not names:
        return
    choices = [(shipped.label(c), c) for c in names]
    try:  # the first model's classes and timeline, shown before any event
        first_choices, span = class_choices(names[0]), epoch_range(names[0])
        picture = timeline(names[0], span[1], figures=False)[0] if span else None
    except gr.Error:  # a broken checkpoint: its events will say what is wrong
        first_choices, span, picture = [EVERY_CLASS], None, None
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=260):  # the controls beside the samples
            name = gr.Dropdown(choices, value=names[0], label=T("common.model"))
            class_name = gr.Dropdown(first_choices, value=EVERY_CLASS, label=T("gan.class"),
                                     interactive=len(first_choices) > 1)
            with gr.Row():
                seed = checks.Number(0, label=T("common.seed"), precision=0, minimum=0, maximum=checks.MAX_SEED, min_width=80)
                n = checks.Slider(1, MAX_SAMPLES, value=16, step=1, label=T("common.samples"), min_width=140)
            psi = checks.Slider(0.05, 1, value=1.0, step=0.05, label=T("gan.psi"))
            go = gr.Button(T("common.generate"), variant="primary", elem_id="gan-go")
        with gr.Column(scale=3):
            gallery = gr.HTML(label=T("gan.gallery"), show_label=True, container=True, elem_id="gan-samples")
            status = gr.Markdown()
    with gr.Accordion(T("gan.details_title"), open=False):
        gr.Markdown(T("gan.details"), latex_delimiters=layout.LATEX)
    go.click(generate, [name, seed, n, psi, class_name], [gallery, status], api_name="gan_generate")

    with gr.Accordion(T("gan.rows_title"), open=False):
        with gr.Row():
            per_class = checks.Slider(1, MAX_PER_CLASS, value=8, step=1, label=T("gan.per_class"))
            rows_go = gr.Button(T("gan.rows_go"))
        rows = gr.Plot(label="x = G(z, y)")
    rows_go.click(class_rows, [name, seed, per_class, psi], rows, api_name="gan_class_rows")

    with gr.Accordion(T("gan.walk_title"), open=False):
        with gr.Row():
            seed_a = checks.Number(0, label=T("gan.seed_a"), precision=0, minimum=0, maximum=checks.MAX_SEED)
            seed_b = checks.Number(1, label=T("gan.seed_b"), precision=0, minimum=0, maximum=checks.MAX_SEED)
            steps = checks.Slider(2, MAX_WALK, value=10, step=1, label=T("gan.steps"))
            walk_go = gr.Button(T("gan.walk"))
        strip = gr.Image(label=T("gan.strip"), format="png",
                         elem_id="gan-walk", elem_classes="pix")
        walk_status = gr.Markdown()
    walk_go.click(walk, [name, seed_a, seed_b, steps, psi, class_name], [strip, walk_status], api_name="gan_walk")

    gr.Markdown(T("gan.timeline_head"))
    first, last = span or (1, 1)
    epoch = checks.Slider(first, max(last, first + 1), value=last, step=1, label=T("gan.epoch"), visible=last > first)
    with gr.Row():
        frame = gr.Image(picture, label=T("gan.frame"), format="png", elem_id="gan-timeline",
                         elem_classes="pix", height=420)
        losses = gr.Plot(label=T("gan.curves"), show_label=False, elem_id="gan-curves")
    epoch.input(checks.writes_files(timeline), [name, epoch], [frame, losses], api_name="gan_timeline",
                trigger_mode="always_last", show_progress="hidden")
    gr.on([name.change], on_model, name, [class_name, epoch, frame, losses], api_visibility="private")
    if semi_supervised:
        ssgan_section(semi_supervised)
    return (curves, [name, epoch], [losses]) if span else None  # drawn on first view
