"""The yardstick classifier: cross-entropy on 8-bit images scaled to [-1, 1].

Metric: the error rate 1 - accuracy (validation: the last 5,000 training images; test: the 10,000
test images, sidecar ``metrics.test_accuracy``).
"""
from __future__ import annotations

import torch

from ..data import load_split
from ..metrics import class_accuracy, to_unit_range
from .base import Task


class Classification(Task):
    datasets = ("fashion-mnist", "mnist")
    val_metric = "val_error"

    def split(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(images in [-1, 1], labels) of a split (the first ``limit``), loaded once."""
        splits = self.__dict__.setdefault("_splits", {})
        if name not in splits:
            x, y = load_split(self.dataset, name, self.data_dir)
            splits[name] = to_unit_range(x[: self.limit]), y[: self.limit]
        return splits[name]

    def batches(self, epoch, batch_size, seed):
        n = len(self.split("train")[1])
        return list(torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch)).split(batch_size))

    def batch(self, item):
        x, y = self.split("train")
        return x[item].to(self.device), y[item].to(self.device)

    def step(self, batch, optimizers):
        return {"cross_entropy": super().step(batch, optimizers)["loss"]}

    def validate(self):
        return 1 - class_accuracy(self.model, *self.split("val"))

    def test_metrics(self, limit=None):
        x, y = self.split("test")
        acc = class_accuracy(self.model, x[:limit], y[:limit])
        return {"test_accuracy": acc, "test_error": 1 - acc, "test_images": len(y[:limit])}

    def describe(self, metrics):
        return f"test accuracy {metrics['test_accuracy']:.2%} on {metrics['test_images']} images"

    def protocol(self):
        return {"train": "first 55,000 training images", "val": "last 5,000 training images",
                "test": "10,000 test images", "pixels": "8-bit grayscale scaled to [-1, 1]", "limit": self.limit}
