"""The example gallery: 64 Fashion-MNIST test images committed with the repo (the only data excerpt).

The app needs example images on a machine without the dataset. ``GALLERY`` holds the first test
images of each class in turn (7 of classes 0-3, 6 of the others) as uint8 [64, 1, 28, 28] with
their labels; ``python -m gen_core.data.gallery`` rebuilds it from the test set.
"""
from __future__ import annotations

import argparse
from functools import cache
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .images import DATASETS, load_split

GALLERY = Path(__file__).resolve().parent / "gallery-fashion-mnist.safetensors"
SIZE = 64
CLASSES = DATASETS["fashion-mnist"]["classes"]


def pick(labels: torch.Tensor, size: int = SIZE, n_classes: int = 10) -> torch.Tensor:
    """Indices of the first test images of class 0, 1, ..., 9, 0, 1, ... until ``size``."""
    queues = [(labels == k).nonzero().flatten().tolist() for k in range(n_classes)]
    return torch.tensor([queues[i % n_classes][i // n_classes] for i in range(size)])


def write(path: Path = GALLERY, data_dir=None) -> Path:
    images, labels = load_split("fashion-mnist", "test", data_dir)
    idx = pick(labels)
    save_file({"images": images[idx].contiguous(), "labels": labels[idx].contiguous(), "test_index": idx}, str(path))
    return path


@cache
def gallery() -> tuple[torch.Tensor, torch.Tensor]:
    """(images uint8 [64, 1, 28, 28], labels int64 [64])."""
    t = load_file(str(GALLERY))
    return t["images"], t["labels"]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(prog="python -m gen_core.data.gallery", description=__doc__)
    ap.add_argument("--data-dir", default=None)
    print(write(data_dir=ap.parse_args().data_dir))
