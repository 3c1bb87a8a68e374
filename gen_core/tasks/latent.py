"""Latent-variable models on binarized images: the VAE, the conditional VAE and the plain autoencoder.

VAEs maximize the ELBO (``gen_core.models.vae``). Validation: the negative ELBO on the last 5,000
training images (one reparametrized sample per image, a fixed seed). Test metrics, nats per image:

  * ``test_neg_elbo_nats`` = -(E_q[log p(x|z)] - KL), with its two terms ``test_reconstruction_nats``
    (-E_q[log p(x|z)]) and ``test_kl_nats``; an upper bound on -log p(x);
  * ``test_iw_nll_nats``: the importance-weighted bound -log 1/k sum_j p(x, z_j) / q(z_j|x) with
    ``iw_samples`` = k = 100 samples, a tighter upper bound on -log p(x), the figure comparable with
    the autoregressive models' exact test NLL.

The conditional VAE's bounds are on -log p(x | y) (the class is given). The autoencoder has no
likelihood: it is trained on and reports only its reconstruction error -log p(x | z = f(x))
(``test_reconstruction_error_nats``), which is not a bound on anything.

Shipped beside the weights: ``NAME.png`` (decodings of z ~ N(0, I); a row per class for the
conditional VAE) and ``NAME.latents.safetensors`` (the test images' posterior means / codes ``mu``
as float16 [10000, z_dim] and their ``labels``), so the app can draw the latent space without the data.
"""
from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .. import checkpoints
from ..data import binarize, load_split
from ..models.vae import VAE
from ..viz import save_grid_png
from .base import LabelledImages
from .image import spread

IW_SAMPLES = 100
VAL_SEED, TEST_SEED = 1, 2
SAMPLES_PER_ROW = 8


def latents_path(checkpoint: Path) -> Path:
    """Where the test-set codes of a checkpoint (path without suffix) are kept."""
    return checkpoint.with_name(checkpoint.name + ".latents.safetensors")


def read_latents(checkpoint) -> dict[str, torch.Tensor]:
    """``mu`` float16 [N, z_dim] and ``labels`` uint8 [N] of the test images, for a checkpoint name or path."""
    weights, _ = checkpoints.paths(checkpoint)
    return load_file(str(latents_path(weights.with_suffix(""))))


@torch.no_grad()
def encode_all(model, x: torch.Tensor, y: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Codes (VAE: posterior means) of binary images x with labels y, float32 on the CPU."""
    device = model.device
    return torch.cat([model.encode(xb.to(device), yb.to(device) if model.conditional else None).float().cpu()
                      for xb, yb in zip(x.split(batch_size), y.split(batch_size))])


@torch.no_grad()
def bounds(model: VAE, x: torch.Tensor, y: torch.Tensor, k: int, seed: int, batch_size: int = 100) -> dict:
    """Per-image -E_q[log p(x|z)], KL and -log 1/k sum_j w_j (k = 0: no importance weighting), float64 [N] each."""
    device, g = model.device, torch.Generator(model.device).manual_seed(seed)
    out: dict[str, list] = {"reconstruction": [], "kl": [], "iw_nll": []}
    for xb, yb in zip(x.split(batch_size), y.split(batch_size)):
        xb, yb = xb.to(device), yb.to(device) if model.conditional else None
        reconstruction, kl = model.elbo_terms(xb, yb, generator=g)
        out["reconstruction"].append(-reconstruction.double().cpu())
        out["kl"].append(kl.double().cpu())
        if k:
            out["iw_nll"].append(-model.iw_bound(xb, yb, k, generator=g).cpu())
    return {name: torch.cat(v) for name, v in out.items() if v}


class LatentVariable(LabelledImages):
    datasets = ("fashion-mnist", "mnist")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.variational = isinstance(self.model, VAE)
        self.val_metric = "val_neg_elbo_nats" if self.variational else "val_reconstruction_error_nats"

    def inputs(self, images_uint8):
        return binarize(images_uint8)

    def step(self, batch, optimizers):
        name = "neg_elbo_nats" if self.variational else "reconstruction_error_nats"
        return {name: super().step(batch, optimizers)["loss"]}

    @torch.no_grad()
    def mean_error(self, x: torch.Tensor, y: torch.Tensor) -> float:
        """The autoencoder's mean -log p(x | f(x)) in nats."""
        device = self.model.device
        return torch.cat([self.model.reconstruction_error(xb.to(device), yb.to(device)).double().cpu()
                          for xb, yb in zip(x.split(500), y.split(500))]).mean().item()

    def validate(self):
        x, y = self.split("val")
        if not self.variational:
            return self.mean_error(x, y)
        b = bounds(self.model, x, y, 0, VAL_SEED, batch_size=500)
        return (b["reconstruction"] + b["kl"]).mean().item()

    def test_metrics(self, limit=None):
        images, labels = load_split(self.dataset, "test", self.data_dir)
        idx = spread(images[: self.limit], limit)
        x, y = binarize(images[idx]), labels[idx]
        if not self.variational:
            return {"test_reconstruction_error_nats": self.mean_error(x, y), "test_images": len(idx)}
        b = bounds(self.model, x, y, IW_SAMPLES, TEST_SEED)
        rec, kl = b["reconstruction"].mean().item(), b["kl"].mean().item()
        return {"test_neg_elbo_nats": rec + kl, "test_iw_nll_nats": b["iw_nll"].mean().item(),
                "iw_samples": IW_SAMPLES, "test_reconstruction_nats": rec, "test_kl_nats": kl,
                "test_images": len(idx)}

    def describe(self, m):
        if not self.variational:
            return (f"test reconstruction error -log p(x | f(x)) {m['test_reconstruction_error_nats']:.2f} nats/image "
                    "(an autoencoder has no likelihood)")
        given = " | y" if self.model.conditional else ""
        return (f"test -ELBO {m['test_neg_elbo_nats']:.2f} nats/image (reconstruction {m['test_reconstruction_nats']:.2f}"
                f" + KL {m['test_kl_nats']:.2f}); importance-weighted bound on -log p(x{given}) "
                f"{m['test_iw_nll_nats']:.2f} nats (k = {m['iw_samples']})")

    def protocol(self):
        if self.variational:
            given = " | y), the class given" if self.model.conditional else ")"
            metric = (f"upper bounds on -log p(x{given}: negative ELBO (1 sample, analytic KL) and the "
                      f"importance-weighted bound with k = {IW_SAMPLES}")
        else:
            metric = "reconstruction error -log p(x | z = f(x)); no likelihood"
        return {"train": "first 55,000 training images", "val": "last 5,000 training images",
                "test": "10,000 test images", "binarization": "pixel >= 128", "metric": metric, "limit": self.limit}

    def reference(self):
        """Per-dimension mean and standard deviation of the test images' codes (the sliders' ±4 sigma range)."""
        mu = encode_all(self.model, *self.split("test"))
        return {"latent_mean": [round(v, 4) for v in mu.mean(0).tolist()],
                "latent_std": [round(v, 4) for v in mu.std(0).tolist()]}

    def artifacts(self, out: Path, seed: int, run: Path) -> None:
        x, y = self.split("test")
        save_file({"mu": encode_all(self.model, x, y).half(), "labels": y.to(torch.uint8)}, str(latents_path(out)))
        g = torch.Generator().manual_seed(seed)
        m = self.model
        if m.conditional:
            labels = torch.arange(m.n_classes).repeat_interleave(SAMPLES_PER_ROW).to(m.device)
            z = torch.randn(len(labels), m.z_dim, generator=g)
        else:
            labels, z = None, torch.randn(8 * SAMPLES_PER_ROW, m.z_dim, generator=g)
        save_grid_png(m.mean_image(z, labels), out.with_suffix(".png"), nrow=SAMPLES_PER_ROW)
