"""Models tab: the comparison board of every shipped checkpoint, read from the sidecars and the bench file."""
from __future__ import annotations

import json
import math

import gradio as gr
from PIL import Image

from gen_core import checkpoints
from gen_core.models import REGISTRY

from . import layout

EXPLAIN = r"""
### The models, side by side
Every checkpoint shipped with the app, with the figures measured when it was trained and evaluated (its JSON
sidecar) and the sampling speed measured by `python -m gen_core.bench`. For the likelihood models, lower
test NLL is better; bits/dim $= \text{NLL} / (784 \ln 2)$. Parameters: FVSBN has $d(d+1)/2$,
NADE $O(dh)$ thanks to its tied weights, the convolutional and attention models share weights across positions.
"""
COLUMNS = ["checkpoint", "family", "parameters", "test metrics (from the sidecar)", "ms per pixel step",
           "trained"]
BENCH_FILE = "bench.json"  # written by `python -m gen_core.bench --json checkpoints/bench.json`
HIDDEN_METRICS = {"test_images"}


def bench_rows() -> dict[str, dict]:
    """Bench figures by model name, or {} when the bench file is missing or unreadable."""
    try:
        rows = json.loads((checkpoints.CHECKPOINT_DIR / BENCH_FILE).read_text())
        return {r["model"]: r for r in rows if isinstance(r, dict) and "model" in r}
    except (OSError, ValueError):
        return {}


def metrics_text(metrics: dict) -> str:
    shown = [(k, v) for k, v in metrics.items()
             if k not in HIDDEN_METRICS and isinstance(v, (int, float)) and math.isfinite(v)]
    return " · ".join(f"{k} {v:.4g}" for k, v in shown)


def trained_text(meta: dict) -> str:
    hours = meta.get("wall_time_s", 0) / 3600
    return f"{meta.get('epochs', '?')} epochs, {hours:.1f} h on {meta.get('device_name', meta.get('device', '?'))}"


def board():
    """(table rows, sample grids with captions) for every checkpoint in checkpoints/."""
    bench = bench_rows()
    rows, samples = [], []
    for name in checkpoints.available():
        try:
            meta = checkpoints.read_meta(name)
        except checkpoints.CheckpointError as e:
            rows.append([name, "?", None, f"unreadable sidecar: {e}", None, None])
            continue
        speed = bench.get(meta["model"], {}).get("ms_per_step")
        rows.append([name, REGISTRY[meta["model"]].task, meta.get("parameters"), metrics_text(meta.get("metrics", {})),
                     None if speed is None else round(speed, 3), trained_text(meta)])
        picture = checkpoints.paths(name)[0].with_suffix(".png")
        if picture.is_file():
            with Image.open(picture) as im:
                samples.append((im.convert("RGB"), name))
    return rows, samples


def build():
    layout.explain(EXPLAIN)
    rows, samples = board()
    gr.Dataframe(rows, headers=COLUMNS, interactive=False, wrap=True, elem_id="board-table")
    gr.Gallery(samples, label="samples of each model (16 per checkpoint, drawn when it was published)",
               columns=4, height="auto", object_fit="contain", preview=False, elem_id="board-samples",
               elem_classes="pix")
    if not bench_rows():
        gr.Markdown("*No sampling benchmark recorded yet: run `python -m gen_core.bench --json checkpoints/bench.json`.*")
