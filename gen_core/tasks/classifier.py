"""The yardstick classifier: cross-entropy on 8-bit images scaled to [-1, 1].

Metric: the error rate 1 - accuracy (validation: the last 5,000 training images; test: the 10,000
test images, sidecar ``metrics.test_accuracy``).
"""
from __future__ import annotations

from ..metrics import class_accuracy, to_unit_range
from .base import LabelledImages


class Classification(LabelledImages):
    datasets = ("fashion-mnist", "mnist")
    val_metric = "val_error"
    objective = "cross_entropy"

    def inputs(self, images_uint8):
        return to_unit_range(images_uint8)

    def validate(self):
        return 1 - class_accuracy(self.model, *self.split("val"))

    def test_metrics(self, limit=None):
        x, y = self.split("test")
        acc = class_accuracy(self.model, x[:limit], y[:limit])
        return {"test_accuracy": acc, "test_error": 1 - acc, "test_images": len(y[:limit])}

    def protocol(self):
        return {"train": "first 55,000 training images", "val": "last 5,000 training images",
                "test": "10,000 test images", "pixels": "8-bit grayscale scaled to [-1, 1]", "limit": self.limit}
