"""Adversarial training of the DCGAN and the conditional GAN: two players, two optimizers.

Each step first updates D on a real batch and a fake batch (one-sided label smoothing: real
target 0.9), then G with the non-saturating loss -log D(G(z)) (``gen_core.models.gan``). Adam with
beta_1 = 0.5 for both players and a constant learning rate, as in DCGAN.

Metrics (``gen_core.metrics``): FID (genlab classifier features) of generated samples against
real images — validation: 1,000 samples vs the 5,000 validation images; test: 10,000 samples vs the
10,000 test images (``metrics.fid_classifier``) — and, for the conditional GAN, the fraction of
samples the classifier assigns to the class asked for (``metrics.class_accuracy``). The test
metrics also hold reference distances on the same scale: 10,000 training images, the test images
blurred (Gaussian, sigma = ``metrics.BLUR_SIGMA`` pixels), and the samples of every shipped VAE
(``fid_<model>_samples``; they model binarized images, so their samples are pixel probabilities).

After every epoch a fixed-noise grid of samples is kept; the shipped ``NAME.timeline.safetensors``
holds them (uint8 ``frames`` [epochs, n, 28, 28]) with each epoch's mean losses and D outputs, as the
training loop averaged them (its history), so the app can replay training.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .. import checkpoints, metrics
from ..models import REGISTRY
from ..models.gan import class_labels, discriminator_loss, generator_loss
from ..models.vae import VAE
from ..viz import save_grid_png, to_uint8
from .base import LabelledImages

BETAS = (0.5, 0.999)
REAL_TARGET = 0.9  # one-sided label smoothing
TRICKS = {
    "adam_betas": list(BETAS), "constant_learning_rate": True,
    "non_saturating_generator_loss": True, "one_sided_label_smoothing": REAL_TARGET,
    "batch_norm": "G: every hidden layer; D: the middle convolution (real and fake batches apart)",
    "leaky_relu_slope_in_D": 0.2, "tanh_output": True, "transposed_convolutions_in_G": True,
    "strided_convolutions_no_pooling_in_D": True,
}
TIMELINE_SEED = 1234  # the fixed noise of the per-epoch grids
VAL_SAMPLES, VAL_SEED, TEST_SEED = 1000, 1, 2
LOGGED = ("loss_D", "loss_G", "D_real", "D_fake")  # what a step returns: the timeline's per-epoch curves


def draw(sample, n: int, n_classes: int, seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """n samples on the CPU from ``sample(count, labels, generator)``, 1,000 at a time from one seeded
    generator, the classes in turn when ``n_classes``; and those labels (None without classes)."""
    y = class_labels(n, n_classes)
    g = torch.Generator().manual_seed(seed)
    x = torch.cat([sample(len(i), None if y is None else y[i], g).float().cpu() for i in torch.arange(n).split(1000)])
    return x, y


def epoch_means(run: Path) -> dict[int, dict]:
    """epoch -> the training loop's record of it (``train_<name>``: the epoch's mean of each number a
    step returned), from the run's state."""
    return {r["epoch"]: r for r in json.loads((run / "state.json").read_text())["history"]}


class Adversarial(LabelledImages):
    """A GAN on (image, label) pairs in [-1, 1]: D and G updated in turn, measured by the classifier's FID."""

    datasets = ("fashion-mnist", "mnist")
    val_metric = "val_fid_classifier"
    schedule = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.yardstick = metrics.classifier(self.dataset, self.device)  # early: a run must not fail at epoch 1's end
        self.stats: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}  # reference_stats, by split

    # -- data ------------------------------------------------------------------------------------
    def inputs(self, images_uint8):
        return metrics.to_unit_range(images_uint8)

    def batches(self, epoch, batch_size, seed):
        return [b for b in super().batches(epoch, batch_size, seed) if len(b) == batch_size]  # equal, for batch norm

    # -- the two players ---------------------------------------------------------------------------
    def optimizers(self, lr):
        return {"D": torch.optim.Adam(self.model.D.parameters(), lr=lr, betas=BETAS),
                "G": torch.optim.Adam(self.model.G.parameters(), lr=lr, betas=BETAS)}

    def step(self, batch, optimizers):
        x, y = batch
        y = y if self.model.conditional else None
        m = self.model
        with self.autocast():
            fake = m.generate(m.noise(len(x)), y)
            real_logit, fake_logit = m.logit(x, y), m.logit(fake.detach(), y)
            loss_D = discriminator_loss(real_logit, fake_logit, REAL_TARGET)
        optimizers["D"].zero_grad(set_to_none=True)
        loss_D.backward()
        optimizers["D"].step()
        with self.autocast():
            loss_G = generator_loss(m.logit(fake, y))
        optimizers["G"].zero_grad(set_to_none=True)
        loss_G.backward()
        optimizers["G"].step()
        return {"loss_D": loss_D.item(), "loss_G": loss_G.item(),
                "D_real": torch.sigmoid(real_logit.float()).mean().item(),
                "D_fake": torch.sigmoid(fake_logit.float()).mean().item()}

    # -- measuring -------------------------------------------------------------------------------
    def reference_stats(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, Sigma) of the classifier features of a split's real images, computed once."""
        if split not in self.stats:
            self.stats[split] = metrics.gaussian(metrics.features(self.yardstick, self.split(split)[0]))
        return self.stats[split]

    def samples(self, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """n samples (classes 0..9 in turn when conditional) on the CPU, with their labels."""
        m = self.model
        return draw(lambda count, y, g: m.sample(count, labels=y, generator=g), n, m.n_classes, seed)

    def validate(self):
        x, _ = self.samples(VAL_SAMPLES, VAL_SEED)
        return metrics.fid(self.yardstick, x, self.reference_stats("val"))

    def test_metrics(self, limit=None):
        n = limit or 10_000
        x, y = self.samples(n, TEST_SEED)
        test = self.reference_stats("test")
        out = {"fid_classifier": metrics.fid(self.yardstick, x, test)}
        if y is not None:
            out["class_accuracy"] = metrics.class_accuracy(self.yardstick, x, y)
        real = self.split("test")[0][:n]
        out["fid_blurred_test_images"] = metrics.fid(self.yardstick, metrics.blur(real), test)
        out["fid_training_images"] = metrics.fid(self.yardstick, self.split("train")[0][:n], test)
        for model_name, vae in self.shipped_vaes():
            out[f"fid_{model_name}_samples"] = metrics.fid(self.yardstick, self.vae_samples(vae, n), test)
        out["samples"] = n
        return out

    def shipped_vaes(self):
        """(registry name, model) of every shipped VAE of this dataset: their samples' FID is a reference."""
        for name in checkpoints.available():
            meta = checkpoints.read_meta(name)
            if issubclass(REGISTRY[meta["model"]].cls, VAE) and meta.get("dataset") == self.dataset:
                yield meta["model"], checkpoints.load(name, self.device)

    @staticmethod
    def vae_samples(vae, n: int) -> torch.Tensor:
        """n VAE samples E[x | z, y], z ~ N(0, I) (classes in turn when conditional), mapped from [0, 1] to [-1, 1].

        The VAEs model binarized images, so their samples are pixel probabilities, not 8-bit images.
        """
        x, _ = draw(vae.sample, n, vae.n_classes, TEST_SEED)
        return 2 * x - 1

    def protocol(self):
        return {"train": "first 55,000 training images", "pixels": "8-bit grayscale scaled to [-1, 1] (not binarized)",
                "val": f"{metrics.FID_NAME}: {VAL_SAMPLES} samples vs the last 5,000 training images",
                "test": f"{metrics.FID_NAME}: 10,000 samples vs the 10,000 test images",
                "blur_sigma_pixels": metrics.BLUR_SIGMA, "limit": self.limit}

    def meta(self):
        return {"tricks": TRICKS, "fid": metrics.FID_NAME, "timeline_seed": TIMELINE_SEED}

    # -- the training timeline -------------------------------------------------------------------
    def timeline_noise(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The fixed z (and classes: a column per class) of the per-epoch grids."""
        m = self.model
        n = 6 * m.n_classes if m.conditional else 64
        return m.noise(n, torch.Generator().manual_seed(TIMELINE_SEED)), class_labels(n, m.n_classes)

    def timeline_frame(self) -> torch.Tensor:
        """The fixed-noise grid's images as uint8 [n, 28, 28]."""
        with torch.no_grad():
            x = self.model.generate(*self.timeline_noise())
        return torch.from_numpy(to_uint8((x + 1) / 2))

    def end_epoch(self, epoch, run):
        """Append this epoch's fixed-noise grid to RUN/timeline.safetensors (a redone epoch replaces its grid)."""
        path = run / "timeline.safetensors"
        frame = self.timeline_frame()[None]
        old = load_file(str(path)) if path.is_file() else {"epoch": torch.tensor([], dtype=torch.int64),
                                                            "frames": frame[:0]}
        keep = old["epoch"] < epoch
        tensors = {"epoch": torch.cat([old["epoch"][keep], torch.tensor([epoch])]),
                   "frames": torch.cat([old["frames"][keep], frame])}
        run.mkdir(parents=True, exist_ok=True)
        save_file(tensors, str(path.with_suffix(".tmp")))
        path.with_suffix(".tmp").replace(path)

    def timeline(self, run: Path) -> dict[str, torch.Tensor]:
        """The run's per-epoch grids with the epoch means of ``LOGGED`` (NaN where the loop kept none)."""
        grids = load_file(str(run / "timeline.safetensors"))
        means = epoch_means(run)
        return {"epoch": grids["epoch"], "frames": grids["frames"],
                **{k: torch.tensor([means.get(e, {}).get(f"train_{k}", math.nan) for e in grids["epoch"].tolist()])
                   for k in LOGGED}}

    def artifacts(self, out: Path, seed: int, run: Path) -> None:
        """OUT.png, the fixed-noise grid (a column per class when conditional), and OUT.timeline.safetensors."""
        grid = self.timeline_frame()[:, None].float() / 255
        save_grid_png(grid, out.with_suffix(".png"), n_values=2, nrow=self.model.n_classes or None)
        checkpoints.save_companion(out, "timeline", self.timeline(run))
