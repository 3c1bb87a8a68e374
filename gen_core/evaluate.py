"""Evaluate every shipped checkpoint: ``python -m gen_core.evaluate [NAMES] [--limit N] [--json [PATH]]``.

Each checkpoint is measured by its family's task (``gen_core.tasks``) on the test data: the
likelihood models by their test NLL in nats per image and bits/dim = NLL / (D ln 2), the other
families by their own metrics. Every figure is printed next to the one its sidecar records, so a
shipped number can be reproduced. ``--json`` writes the same rows as JSON (to PATH, or stdout).

``--store-float16`` halves a float32 checkpoint's file: its weights are rounded to float16 first, every
figure is measured again on the rounded weights and the checkpoint is written again from them (see
:func:`store_rounded`); the table then compares the new figures with the float32 ones.
``--write-metrics`` stores the measured test metrics in the named sidecars: for figures that depend on
another checkpoint (a GAN's FID of the shipped VAEs' samples) once that one changed.
"""
from __future__ import annotations

import argparse
import json
import sys

import torch

from . import checkpoints, tasks
from .models import REGISTRY
from .tasks.image import bits_per_dim, mean_nll, representative_subset

__all__ = ["bits_per_dim", "evaluate", "main", "mean_nll", "representative_subset", "table"]


def evaluate(names=None, limit=None, data_dir=None, device="cpu", write_reference=False,
             store_float16=False, write_metrics=False) -> list[dict]:
    """One row per checkpoint: its name, model, parameters, measured metrics and the sidecar's.

    ``write_reference``: also measure the test-set statistics the app shows (``Task.reference``,
    e.g. NLL percentiles) and store them in each sidecar. ``store_float16``: measure each checkpoint
    with its weights rounded to float16 and store it so (:func:`store_rounded`). ``write_metrics``: store
    the measured test metrics in each sidecar (for figures that depend on other checkpoints, such as a
    GAN's FID of the shipped VAEs' samples, after those changed).
    """
    if (store_float16 or write_metrics) and limit:
        raise ValueError("storing figures measures the whole test set; drop the limit")
    rows = []
    for name in names or checkpoints.available():
        model = checkpoints.load(name, device)
        meta = model.meta
        if store_float16:
            check_float32(name, meta)
            checkpoints.round_weights(model, torch.float16)
        task = tasks.make(meta["model"], model, meta["dataset"], data_dir=data_dir, device=device)
        metrics = task.test_metrics(limit)
        if write_reference:
            checkpoints.update_meta(name, task.reference())
        if store_float16:
            store_rounded(name, task, metrics)
        elif write_metrics:
            checkpoints.update_meta(name, {"metrics": {**meta["metrics"], **metrics}})
        recorded = meta.get("metrics", {})
        rows.append({"checkpoint": name, "model": meta["model"],
                     "parameters": sum(p.numel() for p in model.parameters()),
                     "metrics": metrics, "sidecar": {k: recorded.get(k) for k in metrics}})
    return rows


def check_float32(name: str, meta: dict) -> None:
    """Refuse what ``store_rounded`` cannot do: weights stored rounded already, or a GAN (its timeline
    companion is drawn from its training run: publish it again with ``train --weights-float16``)."""
    if checkpoints.storage_dtype(meta) not in (None, torch.float32):
        raise checkpoints.CheckpointError(f"{name} stores its weights in {meta['weights_dtype']} already")
    if REGISTRY[meta["model"]].task == "gan":
        raise checkpoints.CheckpointError(f"{name} is a GAN: its timeline comes from its run; publish it again "
                                          f"with `python -m gen_core.train MODEL --resume --publish --weights-float16`")


def store_rounded(name: str, task, metrics: dict) -> dict:
    """Write checkpoint ``name`` again from ``task.model``, whose weights are rounded to float16, as
    ``train --weights-float16`` publishes one: the weights in float16, and every figure from the rounded
    weights -- the validation metric, the test ``metrics``, the reference statistics and the files beside the
    weights (sample grid or text, latents). The float32 figures stay in the sidecar as ``metrics_float32``."""
    meta = task.model.meta
    meta = {**meta, **task.reference(), "weights_dtype": "float16", "metrics_float32": meta["metrics"],
            "metrics": {**meta["metrics"], task.val_metric: task.validate(), **metrics}}
    out = checkpoints.paths(name)[0].with_suffix("")
    task.artifacts(out, meta.get("seed", 0), None)
    checkpoints.save(task.model, out, meta)
    return meta


def table(rows: list[dict]) -> str:
    """One line per checkpoint and metric: measured, recorded in the sidecar, difference."""
    head = f"{'checkpoint':34} {'params':>10} {'metric':22} {'measured':>10} {'sidecar':>10} {'diff':>8}"
    lines = [head, "-" * len(head)]
    for r in rows:
        for i, (key, value) in enumerate(r["metrics"].items()):
            side = r["sidecar"][key]
            left = f"{r['checkpoint']:34} {r['parameters']:>10,}" if i == 0 else " " * 45
            diff = f"{value - side:+8.2f}" if isinstance(value, float) and isinstance(side, (int, float)) else f"{'':>8}"
            lines.append(f"{left} {key:22} {value:>10.6g} {'-' if side is None else f'{side:.6g}':>10} {diff}")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m gen_core.evaluate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="checkpoint names (default: every one in checkpoints/)")
    ap.add_argument("--limit", type=int, default=None,
                    help="only N test examples, a model-free representative subset (images: see tasks.image.representative_subset)")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json", nargs="?", const="-", default=None, metavar="PATH")
    ap.add_argument("--write-reference", action="store_true",
                    help="also store the test-set statistics the app shows (e.g. NLL percentiles) in each sidecar")
    ap.add_argument("--store-float16", action="store_true",
                    help="store the named float32 checkpoints' weights in float16 (half the file), every figure "
                         "measured again on the rounded weights (the float32 ones kept as metrics_float32)")
    ap.add_argument("--write-metrics", action="store_true",
                    help="store the measured test metrics in each sidecar (after a checkpoint they depend on "
                         "changed: a GAN's FID of the shipped VAEs' samples)")
    args = ap.parse_args(argv)
    if (args.store_float16 or args.write_metrics) and not args.names:
        ap.error("--store-float16 and --write-metrics need the checkpoint names")
    try:
        rows = evaluate(args.names, args.limit, args.data_dir, args.device, args.write_reference, args.store_float16,
                        args.write_metrics)
    except (checkpoints.CheckpointError, FileNotFoundError, ValueError) as e:
        sys.exit(f"error: {e}")
    print(table(rows), file=sys.stderr if args.json == "-" else sys.stdout)
    if args.json == "-":
        print(json.dumps(rows, indent=2))
    elif args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return rows


if __name__ == "__main__":
    main()
