"""The example galleries: 64 Fashion-MNIST test images and 20 MNIST test digits committed with the repo.

The app needs example images on a machine without the dataset. ``GALLERY`` holds the first test
images of each class in turn (7 of classes 0-3, 6 of the others) as uint8 [64, 1, 28, 28] with
their labels; ``MNIST_GALLERY`` holds the first two MNIST test digits of each class, the app's
out-of-distribution examples. ``python -m gen_core.data.gallery`` rebuilds both from the test sets.
"""
from __future__ import annotations

import argparse
from functools import cache
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .images import DATASETS, load_split

GALLERY = Path(__file__).resolve().parent / "gallery-fashion-mnist.safetensors"
MNIST_GALLERY = GALLERY.with_name("gallery-mnist.safetensors")
SIZE = 64
MNIST_SIZE = 20
CLASSES = DATASETS["fashion-mnist"]["classes"]


def pick(labels: torch.Tensor, size: int = SIZE, n_classes: int = 10) -> torch.Tensor:
    """Indices of the first test images of class 0, 1, ..., 9, 0, 1, ... until ``size``."""
    queues = [(labels == k).nonzero().flatten().tolist() for k in range(n_classes)]
    return torch.tensor([queues[i % n_classes][i // n_classes] for i in range(size)])


def write(path: Path = GALLERY, data_dir=None, dataset: str = "fashion-mnist", size: int = SIZE) -> Path:
    images, labels = load_split(dataset, "test", data_dir)
    idx = pick(labels, size)
    save_file({"images": images[idx].contiguous(), "labels": labels[idx].contiguous(), "test_index": idx}, str(path))
    return path


@cache
def gallery(path: Path = GALLERY) -> tuple[torch.Tensor, torch.Tensor]:
    """(images uint8 [64, 1, 28, 28], labels int64 [64])."""
    t = load_file(str(path))
    return t["images"], t["labels"]


def mnist_gallery() -> tuple[torch.Tensor, torch.Tensor]:
    """(MNIST test digits uint8 [20, 1, 28, 28], their digits int64 [20])."""
    return gallery(MNIST_GALLERY)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(prog="python -m gen_core.data.gallery", description=__doc__)
    ap.add_argument("--data-dir", default=None)
    data_dir = ap.parse_args().data_dir
    print(write(data_dir=data_dir), write(MNIST_GALLERY, data_dir, "mnist", MNIST_SIZE))
