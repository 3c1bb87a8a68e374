"""Evaluate every shipped checkpoint: ``python -m gen_core.evaluate [NAMES] [--limit N] [--json [PATH]]``.

Each checkpoint is measured by its family's task (``gen_core.tasks``) on the test data: the
likelihood models by their test NLL in nats per image and bits/dim = NLL / (D ln 2), the other
families by their own metrics. Every figure is printed next to the one its sidecar records, so a
shipped number can be reproduced. ``--json`` writes the same rows as JSON (to PATH, or stdout).
"""
from __future__ import annotations

import argparse
import json
import sys

from . import checkpoints, tasks
from .tasks.image import bits_per_dim, mean_nll, representative_subset

__all__ = ["bits_per_dim", "evaluate", "main", "mean_nll", "representative_subset", "table"]


def evaluate(names=None, limit=None, data_dir=None, device="cpu", write_reference=False) -> list[dict]:
    """One row per checkpoint: its name, model, parameters, measured metrics and the sidecar's.

    ``write_reference``: also measure the test-set statistics the app shows (``Task.reference``,
    e.g. NLL percentiles) and store them in each sidecar.
    """
    rows = []
    for name in names or checkpoints.available():
        model = checkpoints.load(name, device)
        meta = model.meta
        task = tasks.make(meta["model"], model, meta["dataset"], data_dir=data_dir, device=device)
        metrics = task.test_metrics(limit)
        if write_reference:
            checkpoints.update_meta(name, task.reference())
        recorded = meta.get("metrics", {})
        rows.append({"checkpoint": name, "model": meta["model"],
                     "parameters": sum(p.numel() for p in model.parameters()),
                     "metrics": metrics, "sidecar": {k: recorded.get(k) for k in metrics}})
    return rows


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
    args = ap.parse_args(argv)
    try:
        rows = evaluate(args.names, args.limit, args.data_dir, args.device, args.write_reference)
    except (checkpoints.CheckpointError, FileNotFoundError) as e:
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
