"""Models tab: the comparison board of every shipped checkpoint, read from the sidecars and the bench file.

One table per family, each with the figures that family is measured by (never typed in: the JSON
sidecars written by training/evaluation, and ``checkpoints/bench.json`` written by ``gen_core.bench``).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Callable

import gradio as gr
from PIL import Image

from gen_core import checkpoints
from gen_core.models import REGISTRY

from . import layout, shipped
from .i18n import T, english

# the tab's explanation in English (tests, docs); the page shows i18n.TEXTS' in its language
EXPLAIN = english("board.explain")
DETAILS = english("board.details")

# headers break between words only; long cells wrap; the gallery's captions under the pictures, whole
CSS = """
.board-table th span {word-break: normal; overflow-wrap: normal; hyphens: none}
.board-table td .cell-wrap {white-space: normal; word-break: normal}
@media (max-width: 640px) {#board-samples .grid-container {--grid-cols: 2 !important}}
"""
BENCH_FILE = "bench.json"  # written by `python -m gen_core.bench --json checkpoints/bench.json`


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[str, dict, dict], object]  # (checkpoint name, sidecar, bench row) -> cell


def metric(key: str, digits: int = 2) -> Callable:
    def cell(name, meta, bench):
        v = meta.get("metrics", {}).get(key)
        return round(v, digits) if isinstance(v, (int, float)) and math.isfinite(v) else None
    return cell


def measured(key: str, digits: int = 2) -> Callable:
    def cell(name, meta, bench):
        v = bench.get(key)
        return None if v is None else round(v, digits)
    return cell


def trained(name, meta, bench) -> str:
    minutes = meta.get("wall_time_s", 0) / 60
    where = f"{minutes:.0f} min on {meta.get('device_name', meta.get('device', '?'))}"
    if "published_mid_run" in meta:  # e.g. "after epoch 8 of 20": the run is still going
        return f"best of a run in progress ({meta['published_mid_run']}), {where}"
    return f"{meta.get('epochs', '?')} epochs, {where}"


CHECKPOINT = Column("checkpoint", lambda name, meta, bench: name)
PARAMETERS = Column("parameters", lambda name, meta, bench: f"{meta['parameters']:,}" if "parameters" in meta else None)
TRAINED = Column("trained", trained)

FAMILIES: dict[str, tuple[str, list[Column], str]] = {  # task -> (title, columns, sort key metric); i18n: board.<task>
    "image": ("Autoregressive image models: p(x) = ∏ p(x_i | x_<i), exact test NLL", [
        CHECKPOINT, PARAMETERS, Column("test NLL (nats)", metric("test_nll_nats")),
        Column("bits/dim", metric("bits_per_dim", 4)), Column("ms per pixel step", measured("ms_per_step", 3)),
        Column("s for 16 images", measured("s_for_16_images")), Column("× faster than recomputing",
                                                                        measured("speedup_vs_naive", 1)),
        TRAINED], "test_nll_nats"),
    "text": ("Character models: p(x_t | x_<t), nats per character (Shakespeare: validation; names: test)", [
        CHECKPOINT, PARAMETERS, Column("nats/char", metric("eval_nats_per_char", 3)),
        Column("bits/char", metric("eval_bits_per_char", 3)), Column("characters/s sampling", measured("chars_per_s", 0)),
        TRAINED], "eval_nats_per_char"),
    "latent": ("Latent-variable models: bounds on -log p(x) in nats (the autoencoder has none)", [
        CHECKPOINT, PARAMETERS, Column("z dim", lambda name, meta, bench: meta.get("config", {}).get("z_dim")),
        Column("IW bound (k = 100)", metric("test_iw_nll_nats")), Column("-ELBO", metric("test_neg_elbo_nats")),
        Column("reconstruction", metric("test_reconstruction_nats")), Column("KL", metric("test_kl_nats")),
        Column("AE reconstruction error", metric("test_reconstruction_error_nats")),
        Column("slider update ms (median)", measured("slider_update_ms_median", 1)), TRAINED], "test_iw_nll_nats"),
    "gan": ("GANs: FID on the genlab classifier's features, 10,000 samples vs the test set", [
        CHECKPOINT, PARAMETERS, Column("FID", metric("fid_classifier", 1)),
        Column("right class", metric("class_accuracy", 3)),
        Column("FID of blurred test images", metric("fid_blurred_test_images", 1)),
        Column("FID of VAE samples", metric("fid_vae_samples", 1)),
        Column("64-image grid ms", measured("ms_for_64_image_grid", 1)), TRAINED], "fid_classifier"),
    "semi_supervised": ("Semi-supervised GAN: its discriminator as a 10-class classifier from 100 labels (test "
                        "accuracy) vs the same network on the labels alone; its samples' FID", [
        CHECKPOINT, PARAMETERS, Column("SSGAN test accuracy", metric("test_accuracy", 4)),
        Column("baseline, 100 labels alone", metric("baseline_test_accuracy", 4)),
        Column("FID", metric("fid_classifier", 1)), TRAINED], "val_error"),
    "classifier": ("The yardstick classifier (its features define the FID)", [
        CHECKPOINT, PARAMETERS, Column("test accuracy", metric("test_accuracy", 4)), TRAINED], "test_error"),
}


def bench_rows() -> dict[str, dict]:
    """Bench figures by model (or checkpoint) name, or {} when the bench file is missing or unreadable."""
    try:
        rows = json.loads((checkpoints.CHECKPOINT_DIR / BENCH_FILE).read_text())
        return {r["model"]: r for r in rows if isinstance(r, dict) and "model" in r}
    except (OSError, ValueError):
        return {}


def board() -> tuple[dict[str, list[list]], list[str], list[tuple[str, str]]]:
    """({task: table rows, best first}, problems, sample grids with captions) for every checkpoint in checkpoints/
    (its figures shown whenever its sidecar reads; what is broken listed, with how to fix it)."""
    bench = bench_rows()
    found: dict[str, list[tuple[float, list]]] = {}
    samples = []
    for name in checkpoints.sidecars():
        try:
            meta = checkpoints.read_meta(name)
        except checkpoints.CheckpointError:
            continue  # listed among the problems
        task = REGISTRY[meta["model"]].task
        title, columns, key = FAMILIES[task]
        row_bench = bench.get(name, bench.get(meta["model"], {}))
        score = meta.get("metrics", {}).get(key)
        found.setdefault(task, []).append((score if isinstance(score, (int, float)) else math.inf,
                                           [c.value(name, meta, row_bench) for c in columns]))
        picture = checkpoints.paths(name)[0].with_suffix(".png")
        try:  # checked whole (every chunk's checksum), then handed over as the file it is: no re-encoding
            with Image.open(picture) as im:
                im.verify()
            samples.append((str(picture), name))
        except (OSError, ValueError, SyntaxError):  # no sample grid, or a broken one: the table row still stands
            pass
    tables = {task: [row for _, row in sorted(rows, key=lambda r: r[0])] for task, rows in found.items()}
    return tables, list(shipped.problems()), samples


def build():
    layout.explain(T("board.explain"))
    with gr.Accordion(T("board.details_title"), open=False):
        gr.Markdown(T("board.details"), latex_delimiters=layout.LATEX)
    tables, problems, samples = board()
    for task, (title, columns, _) in FAMILIES.items():
        if task in tables:
            gr.Markdown(T(f"board.{task}"))  # the family title
            gr.Dataframe(tables[task], headers=[c.header for c in columns], interactive=False, wrap=True,
                         elem_id=f"board-{task}", elem_classes="board-table")
    for problem in problems:
        gr.Markdown(f"⚠️ {problem}")
    gr.Gallery(samples, label=T("board.samples"),
               columns=4, height="auto", object_fit="contain", preview=False, elem_id="board-samples", elem_classes=["captions-below", "pix"])
    if not bench_rows():
        gr.Markdown(T("board.no_bench"))
