"""Maximum likelihood for the autoregressive image models on binarized or 8-bit images.

Metric: the negative log-likelihood -log p(x) in nats per image, averaged over images, and
bits/dim = NLL / (D ln 2). A model whose registry entry asks for it (``fid_samples``) is also measured by
the quality of its samples, as the GANs are (``tasks.gan``): the FID (genlab classifier features) of
``fid_samples`` samples against the 10,000 test images, and that of each shipped model of ``fid_compare``
drawn the same way.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch

from .. import checkpoints, metrics
from ..data import binarize, load_split, prepare
from ..metrics import FID_NAME
from ..viz import save_grid_png
from .base import Task
from .gan import TEST_SEED, draw


def bits_per_dim(nll_nats: float, model) -> float:
    return nll_nats / (model.num_pixels * math.log(2))


@torch.no_grad()
def nll_per_image(model, x: torch.Tensor, batch_size: int = 500, device=None) -> torch.Tensor:
    """-log p(x) in nats for each image of x (already in the model's value range), float64 on the CPU."""
    device = device or model.order.device
    was_training = model.training
    model.eval()
    # float32 even on CUDA: reported figures are not bf16-rounded
    nll = [-model.log_prob(batch.to(device, non_blocking=True)).double().cpu() for batch in x.split(batch_size)]
    model.train(was_training)
    return torch.cat(nll)


def mean_nll(model, x: torch.Tensor, batch_size: int = 500, device=None) -> float:
    """Mean -log p(x) in nats per image over the images x."""
    return nll_per_image(model, x, batch_size, device).mean().item()


def context_code_length(images_uint8: torch.Tensor, train_uint8: torch.Tensor, levels: int = 32,
                        alpha: float = 0.5) -> torch.Tensor:
    """-log p(x) in nats per 8-bit image under a count table p(x_ij | left, above, above-left): the
    three causal neighbours quantized to ``levels`` levels, counted over ``train_uint8`` with add-alpha
    smoothing. A model-free stand-in for a learned model's NLL (a context model, as in lossless image coding)."""
    def context(x):
        q = torch.nn.functional.pad(x[:, 0].long() * levels // 256, (1, 0, 1, 0))  # quantized, 0 beyond the edge
        left, above, above_left = q[:, 1:, :-1], q[:, :-1, 1:], q[:, :-1, :-1]
        return (left * levels + above) * levels + above_left

    cells = (context(train_uint8) * 256 + train_uint8[:, 0].long()).flatten()
    counts = torch.bincount(cells, minlength=levels ** 3 * 256).view(-1, 256).double() + alpha
    log_p = (counts / counts.sum(1, keepdim=True)).log()
    return -log_p[context(images_uint8), images_uint8[:, 0].long()].flatten(1).sum(1)


def representative_subset(images_uint8: torch.Tensor, limit: int | None, n_values: int = 2,
           train_uint8: torch.Tensor | None = None) -> torch.Tensor:
    """Indices of a representative subset of ``limit`` images, chosen without any model.

    Per-image NLL varies a lot, so the images are sorted by a model-free proxy of it and ``limit``
    are taken at evenly spaced, centred quantiles. Binary models (NLL std ~65 nats): the number of
    edges, 0/1 changes between neighbouring binarized pixels (correlation ~0.9 with NLL). 8-bit
    models (std ~460 nats): ``context_code_length`` with the table counted on ``train_uint8``. On 5,000
    validation images its correlation with the 8-bit PixelCNN's NLL is 0.995 and the NLL left after a
    linear fit on it has a std of 48 nats (a crude code length of the neighbour differences: 0.966 and
    119), so a 1,000-image subset should miss the mean by ~48 / sqrt(1000) = 1.5 nats rms.
    """
    n = len(images_uint8)
    if limit is None or limit >= n:
        return torch.arange(n)
    if n_values == 2:
        v = binarize(images_uint8)[:, 0]
        proxy = sum((d != 0).flatten(1).sum(1) for d in (v[:, 1:] - v[:, :-1], v[:, :, 1:] - v[:, :, :-1]))
    elif train_uint8 is None:
        raise ValueError("a representative subset of 8-bit images needs training images for its context model")
    else:
        proxy = context_code_length(images_uint8, train_uint8)
    step = n / limit
    return proxy.argsort(stable=True)[(torch.arange(limit) * step + step / 2).long()].sort().values


def samples(model, n: int) -> torch.Tensor:
    """n samples of an autoregressive image model in [-1, 1] (the classifier's range), on the CPU."""
    x, _ = draw(lambda count, _, g: model.sample(count, generator=g), n, 0, TEST_SEED)
    return x * (2 / (model.n_values - 1)) - 1


class ImageLikelihood(Task):
    datasets = ("fashion-mnist", "mnist")
    val_metric = "val_nll_nats"
    objective = "nll_nats"

    def __init__(self, *args, hflip: bool = False, fid_samples: int = 0, fid_compare: tuple[str, ...] = (),
                 **kwargs):
        """``hflip``: train on every training image and its mirror image (`train --hflip`). ``fid_samples``: also
        measure the FID of that many samples; ``fid_compare``: registry names of shipped models measured alike."""
        super().__init__(*args, **kwargs)
        self.hflip, self.fid_samples, self.fid_compare = hflip, fid_samples, tuple(fid_compare)
        self.loaded: dict[str, torch.Tensor] = {}
        self.test_nlls: dict[int | None, torch.Tensor] = {}

    def split(self, name: str) -> torch.Tensor:
        """Train/val/test images in the model's value range (the first ``limit`` of each), loaded once;
        with ``hflip`` the training split also holds each image mirrored left to right."""
        if name not in self.loaded:
            x = prepare(load_split(self.dataset, name, self.data_dir)[0][: self.limit], self.model.n_values)
            if name == "train" and self.hflip:
                x = torch.cat([x, x.flip(-1)])
            self.loaded[name] = x.pin_memory() if self.cuda else x
        return self.loaded[name]

    def batches(self, epoch, batch_size, seed):
        n = len(self.split("train"))
        return list(torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch)).split(batch_size))

    def batch(self, item):
        return self.split("train")[item].to(self.device, non_blocking=True)

    def validate(self):
        return mean_nll(self.model, self.split("val"), device=self.device)

    def test_nll(self, limit=None) -> torch.Tensor:
        """Per-image test NLL of the final model on a representative subset of ``limit`` test images (all: computed once, kept)."""
        if limit not in self.test_nlls:
            images = load_split(self.dataset, "test", self.data_dir)[0][: self.limit]
            train = load_split(self.dataset, "train", self.data_dir)[0] if self.model.n_values > 2 and limit else None
            x = prepare(images[representative_subset(images, limit, self.model.n_values, train)], self.model.n_values)
            self.test_nlls[limit] = nll_per_image(self.model, x, device=self.device)
        return self.test_nlls[limit]

    def test_metrics(self, limit=None):
        nll = self.test_nll(limit)
        out = {"test_nll_nats": nll.mean().item(), "bits_per_dim": bits_per_dim(nll.mean().item(), self.model),
               "test_images": len(nll)}
        if self.fid_samples:
            out.update(self.sample_metrics(min(limit or self.fid_samples, self.fid_samples)))
        return out

    def sample_metrics(self, n: int) -> dict:
        """FID (genlab classifier features) of n samples of this model (``fid_classifier``) and of each model of
        ``fid_compare`` (``fid_<name>_samples``) against the test images: the GANs' function and seed."""
        yardstick = metrics.classifier(self.dataset, self.device)
        test = metrics.to_unit_range(load_split(self.dataset, "test", self.data_dir)[0])
        reference = metrics.gaussian(metrics.features(yardstick, test))
        models = {"fid_classifier": self.model}
        for name in self.fid_compare:
            models[f"fid_{name}_samples"] = checkpoints.load(f"{name}-{self.dataset}", self.device)
        out = {key: metrics.fid(yardstick, samples(model, n), reference) for key, model in models.items()}
        return {**out, "samples": n}

    def reference(self):
        """Percentiles 0, 1, ..., 100 of the per-image test NLL: where a new image's NLL falls."""
        nll = self.test_nll()
        q = torch.quantile(nll, torch.linspace(0, 1, 101, dtype=nll.dtype))
        return {"test_nll_percentiles": [round(v, 3) for v in q.tolist()]}

    def protocol(self):
        binarization = "pixel >= 128" if self.model.n_values == 2 else f"{self.model.n_values} levels"
        protocol = {"train": "first 55,000 training images", "val": "last 5,000 training images",
                    "test": "10,000 test images", "binarization": binarization, "limit": self.limit}
        if self.fid_samples:
            protocol["fid"] = f"{FID_NAME}: {self.fid_samples:,} samples vs the 10,000 test images"
        if self.hflip:
            protocol["augmentation"] = "each training image and its left-right mirror image, once per epoch"
        return protocol

    def artifacts(self, out: Path, seed: int, run: Path) -> None:
        samples = self.model.sample(16, generator=torch.Generator(self.device).manual_seed(seed))
        save_grid_png(samples, out.with_suffix(".png"), self.model.n_values)
