"""How tight is a VAE's bound? ``python -m gen_core.iw_curve NAME [--k 1 10 100 1000] [--limit N]``.

For a shipped VAE, the importance-weighted bound -log 1/k sum_j p(x, z_j) / q(z_j | x) on a
representative subset of the training and of the test images, for growing k. The bound can only
come down as k grows and reaches -log p(x) as k -> infinity, so the curve shows how far the
reported k = 100 figure still is from the model's own likelihood, and the train/test difference
shows whether more training (overfitting) or a tighter bound could close a gap to another model.
``--compare NADE_NAME`` adds an autoregressive checkpoint's exact -log p(x) on the same images.
"""
from __future__ import annotations

import argparse

import torch

from . import checkpoints
from .data import binarize, load_split
from .models import REGISTRY
from .tasks.autoencoding import TEST_SEED, measure
from .tasks.image import nll_per_image, representative_subset


def task_of(name: str) -> str:
    """The registry task of a checkpoint: 'latent', 'image' (autoregressive, exact likelihood), ..."""
    return REGISTRY[checkpoints.read_meta(name)["model"]].task


def curve(name: str, ks=(1, 10, 100, 1000), limit: int = 500, data_dir=None,
          compare: str | None = None) -> dict[str, dict]:
    """{split: {k: mean IW bound in nats}} for the train and test images (``limit`` of each), and
    with ``compare`` {split: {compare: its exact mean -log p(x)}} on the same images."""
    model = checkpoints.load(name)
    if task_of(name) != "latent" or not model.has_likelihood_bound:
        raise ValueError(f"{name} is not a VAE (it is a {type(model).__name__}): it has no importance-weighted bound")
    if compare and task_of(compare) != "image":
        raise ValueError(f"{compare} is not an autoregressive image model: it has no exact likelihood")
    exact = checkpoints.load(compare) if compare else None
    out = {}
    for split in ("train", "test"):
        images, labels = load_split(model.meta["dataset"], split, data_dir)
        idx = representative_subset(images, limit)
        x, y = binarize(images[idx]), labels[idx]
        out[split] = {k: measure(model, x, y, k, TEST_SEED, batch_size=50)["iw_nll_nats"].mean().item() for k in ks}
        if exact is not None:
            out[split][compare] = nll_per_image(exact, x).mean().item()
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m gen_core.iw_curve", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name", help="a VAE checkpoint, e.g. vae-fashion-mnist")
    ap.add_argument("--k", type=int, nargs="+", default=[1, 10, 100, 1000])
    ap.add_argument("--limit", type=int, default=500, help="images of each split")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--compare", default=None, metavar="NAME",
                    help="an autoregressive checkpoint (e.g. nade-fashion-mnist) whose exact NLL is shown alongside")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    try:
        result = curve(args.name, args.k, args.limit, args.data_dir, args.compare)
    except (ValueError, checkpoints.CheckpointError, FileNotFoundError) as e:
        ap.exit(1, f"error: {e}\n")
    print(f"{args.name}: importance-weighted bound on -log p(x), nats/image, {args.limit} images per split")
    print(f"{'k':>6} {'train':>9} {'test':>9}")
    for k in args.k:
        print(f"{k:>6} {result['train'][k]:>9.2f} {result['test'][k]:>9.2f}")
    if args.compare:
        print(f"exact -log p(x) of {args.compare} on the same images: "
              f"train {result['train'][args.compare]:.2f}, test {result['test'][args.compare]:.2f}")
    return result


if __name__ == "__main__":
    main()
