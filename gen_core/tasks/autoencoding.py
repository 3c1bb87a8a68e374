"""Latent-variable models on binarized images: the VAE, the conditional VAE and the plain autoencoder.

VAEs maximize the ELBO (``gen_core.models.vae``). Validation: the negative ELBO on the last 5,000
training images (one reparametrized sample per image, a fixed seed). Test metrics, nats per image:

  * ``test_neg_elbo_nats`` = -(E_q[log p(x|z)] - KL), with its two terms ``test_reconstruction_nats``
    (-E_q[log p(x|z)]) and ``test_kl_nats``; an upper bound on -log p(x);
  * ``test_iw_nll_nats``: the importance-weighted bound -log 1/k sum_j p(x, z_j) / q(z_j|x) with
    ``iw_samples`` = k = 100 samples, a tighter upper bound on -log p(x), the figure comparable with
    the autoregressive models' exact test NLL.

The denoising and the sparse autoencoder (``denoising_test``) are also measured on the test images
corrupted once by C(x~ | x) with ``CORRUPTION`` (``models.autoencoder.corrupt``, seeded: the same
corrupted images for every model): ``test_denoising_error_nats`` = -log p(x | z = f(x~)), and beside it
the shipped plain autoencoder's on the same images (``test_denoising_error_nats_plain_ae``). The
denoising autoencoder validates on that error (the validation images corrupted the same way). The sparse
autoencoder's codes (``sparse_code``) are measured by ``code_sparsity``: ``test_inactive_fraction`` (of
the units, |z_j| < 0.01), ``test_mean_l1`` (||z||_1 per image), ``test_active_units`` (per image) and
``test_dead_units`` (never active); each unit's activity goes to the sidecar's ``unit_activity``.

The conditional VAE's bounds are on -log p(x | y) (the class is given), and it is also measured by
whether it honours its class: ``class_accuracy``, the fraction of samples E[x | z, y], z ~ N(0, I),
drawn for class y (1,000 per class) that the shipped classifier assigns to y -- the conditional GAN's
measure, on the same samples the GAN task draws from a VAE (``gan.Adversarial.vae_samples``), beside the
classifier's accuracy on the binarized test images (``class_accuracy_binarized_test_images``: its
ceiling, the classifier being trained on 8-bit images). The autoencoder has no
likelihood: it is trained on and reports only its reconstruction error -log p(x | z = f(x))
(``test_reconstruction_error_nats``), which is not a bound on anything.

Shipped beside the weights: ``NAME.png`` (decodings of z ~ N(0, I); a row per class for the
conditional VAE) and ``NAME.latents.safetensors`` (the test images' posterior means / codes ``mu``
as float16 [10000, z_dim] and their ``labels``), so the app can draw the latent space without the data.
"""
from __future__ import annotations

from pathlib import Path

import torch

from .. import checkpoints, metrics
from ..data import binarize, load_split
from ..viz import save_grid_png
from ..models.autoencoder import DENOISING, code_sparsity, corrupt
from ..models.gan import class_labels
from .base import LabelledImages
from .gan import Adversarial
from .image import representative_subset

IW_SAMPLES = 100
VAL_SEED, TEST_SEED = 1, 2
SAMPLES_PER_ROW = 8
SAMPLES_PER_CLASS = 1000  # the conditional models' class accuracy
CORRUPTION = {"noise": 0.5, "mask": 0.25}  # the denoising test's C(x~ | x): the denoising autoencoder's own


@torch.no_grad()
def encode_all(model, x: torch.Tensor, y: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Codes (VAE: posterior means) of binary images x with labels y, float32 on the CPU."""
    device = model.device
    return torch.cat([model.encode(xb.to(device), yb.to(device) if model.conditional else None).float().cpu()
                      for xb, yb in zip(x.split(batch_size), y.split(batch_size))])


@torch.no_grad()
def measure(model, x: torch.Tensor, y: torch.Tensor, k: int, seed: int, batch_size: int = 100) -> dict:
    """``model.measure`` of every image, batch by batch with one seeded generator: {name: float64 [N] nats}."""
    device, g = model.device, torch.Generator(model.device).manual_seed(seed)
    parts = [model.measure(xb.to(device), yb.to(device) if model.conditional else None, k, g)
             for xb, yb in zip(x.split(batch_size), y.split(batch_size))]
    return {name: torch.cat([p[name].cpu() for p in parts]) for name in parts[0]}


@torch.no_grad()
def denoising_errors(model, x: torch.Tensor, x_tilde: torch.Tensor, y: torch.Tensor,
                     batch_size: int = 500) -> torch.Tensor:
    """-log p(x | z = f(x~)) of every image x given its corrupted copy x~: float64 [N] nats on the CPU."""
    device = model.device
    return torch.cat([model.reconstruction_error(xb.to(device), yb.to(device) if model.conditional else None,
                                                 tb.to(device)).double().cpu()
                      for xb, tb, yb in zip(x.split(batch_size), x_tilde.split(batch_size), y.split(batch_size))])


def corrupted(x: torch.Tensor, seed: int) -> torch.Tensor:
    """Images x corrupted once by C(x~ | x) with ``CORRUPTION``, from a generator seeded with ``seed``."""
    return corrupt(x, **CORRUPTION, generator=torch.Generator().manual_seed(seed))


def plain_autoencoder(dataset: str, device):
    """The shipped plain autoencoder (registry model 'ae') trained on ``dataset``, or None."""
    for name in checkpoints.available():
        if checkpoints.problem(name) is None:
            meta = checkpoints.read_meta(name)
            if meta["model"] == "ae" and meta.get("dataset") == dataset:
                return checkpoints.load(name, device)
    return None


class Autoencoding(LabelledImages):
    """Trains and measures any latent-variable model through its protocol (``gen_core.models.autoencoder``)."""

    datasets = ("fashion-mnist", "mnist")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.val_metric = f"val_{self.model.objective}"
        # early, as for the GANs: a conditional run must not fail at its end for want of the classifier
        self.yardstick = metrics.classifier(self.dataset, self.device) if self.model.conditional else None

    def inputs(self, images_uint8):
        return binarize(images_uint8)

    @property
    def objective(self) -> str:
        """What training minimizes: the model's (-ELBO for a VAE, the reconstruction error for an autoencoder)."""
        return self.model.objective

    def measured(self, x: torch.Tensor, y: torch.Tensor, k: int, seed: int, batch_size: int) -> dict:
        """``measure`` of every image and, with a denoising test, its denoising error on ``corrupted(x, seed)``."""
        figures = measure(self.model, x, y, k, seed, batch_size)
        if self.model.denoising_test:
            figures[DENOISING] = denoising_errors(self.model, x, corrupted(x, seed), y)
        return figures

    def validate(self):
        return self.measured(*self.split("val"), 0, VAL_SEED, batch_size=500)[self.model.objective].mean().item()

    def compared(self, x: torch.Tensor, y: torch.Tensor) -> dict:
        """The shipped plain autoencoder's denoising error on the same corrupted test images (none unshipped)."""
        plain = plain_autoencoder(self.dataset, self.device)
        if plain is None:
            return {}
        return {f"test_{DENOISING}_plain_ae": denoising_errors(plain, x, corrupted(x, TEST_SEED), y).mean().item()}

    def sparsity(self, x: torch.Tensor, y: torch.Tensor) -> dict:
        """How sparse the codes of the test images are (``code_sparsity``), and how many units are never on."""
        codes = code_sparsity(encode_all(self.model, x, y))
        return {**{f"test_{key}": codes[key].item() for key in ("inactive_fraction", "mean_l1", "active_units")},
                "test_dead_units": int((codes["unit_activity"] == 0).sum())}

    def test_metrics(self, limit=None):
        images, labels = load_split(self.dataset, "test", self.data_dir)
        idx = representative_subset(images[: self.limit], limit)
        x, y = binarize(images[idx]), labels[idx]
        measured = self.measured(x, y, IW_SAMPLES, TEST_SEED, batch_size=100)
        bound = {"iw_samples": IW_SAMPLES} if self.model.has_likelihood_bound else {}
        compared = self.compared(x, y) if self.model.denoising_test else {}
        sparsity = self.sparsity(x, y) if self.model.sparse_code else {}
        honoured = {}
        if self.yardstick is not None:
            honoured = {"class_accuracy": self.class_accuracy(limit),  # and its ceiling: the classifier (trained
                        # on 8-bit images) on the binarized test images the model is measured on
                        "class_accuracy_binarized_test_images": metrics.class_accuracy(
                            self.yardstick, 2 * binarize(images[idx]) - 1, labels[idx])}
        return {**{f"test_{name}": v.mean().item() for name, v in measured.items()}, **bound, **compared, **sparsity,
                "test_images": len(idx), **honoured}

    def class_accuracy(self, limit: int | None = None) -> float:
        """Fraction of samples drawn for class y (classes in turn, ``SAMPLES_PER_CLASS`` each, or ``limit`` in
        all) that the shipped classifier assigns to y."""
        n = limit or SAMPLES_PER_CLASS * self.model.n_classes
        x = Adversarial.vae_samples(self.model, n)
        return metrics.class_accuracy(self.yardstick, x, class_labels(n, self.model.n_classes))

    def protocol(self):
        corruption = {"corruption": f"C(x~ | x) of models.autoencoder.corrupt with {CORRUPTION}, drawn once per split "
                                    f"(seeds: val {VAL_SEED}, test {TEST_SEED})"} if self.model.denoising_test else {}
        honoured = {"class_accuracy": f"the shipped classifier's label of E[x | z, y] (the decoder's pixel "
                                      f"probabilities, mapped to [-1, 1]: the images the Latent tab shows), "
                                      f"z ~ N(0, I), {SAMPLES_PER_CLASS:,} per class; the fraction labelled y"
                    } if self.model.conditional else {}
        return {"train": "first 55,000 training images", "val": "last 5,000 training images",
                "test": "10,000 test images", "binarization": "pixel >= 128",
                "metric": self.model.measured_as(IW_SAMPLES), "limit": self.limit, **corruption, **honoured}

    def reference(self):
        """Per-dimension mean and standard deviation of the test images' codes (the sliders' ±4 sigma range)."""
        mu = encode_all(self.model, *self.split("test"))
        activity = {"unit_activity": [round(v, 4) for v in code_sparsity(mu)["unit_activity"].tolist()]}
        return {"latent_mean": [round(v, 4) for v in mu.mean(0).tolist()],
                "latent_std": [round(v, 4) for v in mu.std(0).tolist()], **(activity if self.model.sparse_code else {})}

    def artifacts(self, out: Path, seed: int, run: Path) -> None:
        x, y = self.split("test")
        checkpoints.save_companion(out, "latents", {"mu": encode_all(self.model, x, y).half(),
                                                    "labels": y.to(torch.uint8)})
        g = torch.Generator().manual_seed(seed)
        m = self.model
        if m.conditional:
            labels = torch.arange(m.n_classes).repeat_interleave(SAMPLES_PER_ROW).to(m.device)
            z = torch.randn(len(labels), m.z_dim, generator=g)
        else:
            labels, z = None, torch.randn(8 * SAMPLES_PER_ROW, m.z_dim, generator=g)
        save_grid_png(m.mean_image(z, labels), out.with_suffix(".png"), nrow=SAMPLES_PER_ROW)
