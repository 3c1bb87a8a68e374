"""Semi-supervised training of the SSGAN (``gen_core.models.ssgan``): 100 labelled images, the rest unlabelled.

The labelled images (``labelled_subset``): the 55,000 training images in the order of one random
permutation (``torch.randperm``, generator seeded ``LABELLED_SEED`` = 0), and of each class the first
``PER_CLASS`` = 10 in that order: 100 images, sorted by index. The other 54,900 training images are the
unlabelled data; training never reads their labels.

An epoch is one pass over the unlabelled images in batches of ``batch_size``; each step, in turn,

1. D: L_supervised on a labelled batch of the same size (the 100 images in a fresh random order, again and
   again) + L_unsupervised on the unlabelled batch and as many samples of G;
2. G: feature matching against the unlabelled batch (D's last features, before its logits);
3. the baseline (D's architecture): L_supervised alone, on the same labelled batch.

So both classifiers see the same labelled batches, for the same steps, with the same optimizer (Adam,
beta_1 = 0.5) and learning-rate schedule (warm-up + cosine decay), and no augmentation; they differ only in
the unlabelled term. Validation: D's error on the 5,000 validation images; the run keeps the epoch where it is
lowest, both networks from that epoch (so those 5,000 labels choose an epoch, nothing else — more labels than a
real semi-supervised problem would have, for model selection only). Test: both networks' accuracy on the 10,000
test images, their confusion matrices (sidecar ``confusion_test``), and the samples' FID as for the GANs.
"""
from __future__ import annotations

import math

import torch

from .. import metrics
from ..models.ssgan import feature_matching_loss, log_Z, supervised_loss, unsupervised_loss
from .gan import BETAS, Adversarial

LABELLED_SEED, PER_CLASS = 0, 10
TRICKS = {
    "adam_betas": list(BETAS), "learning_rate": "linear warm-up, then cosine decay (all three networks)",
    "generator_loss": "feature matching: ||mean phi(x) - mean phi(G(z))||^2 / d, phi = D's last features (2,048)",
    "dropout_in_D": {"input": 0.2, "before_logits": 0.5}, "batch_norm": "G only (D and the baseline: none)",
    "leaky_relu_slope_in_D": 0.2, "augmentation": "none", "tanh_output": True,
}
SIZED_FOR = "a 2-core CPU shared by ~6 trainings: one thread, z_dim 64 and 32 channels like the shipped dcgan"


def labelled_subset(y: torch.Tensor, per_class: int = PER_CLASS, seed: int = LABELLED_SEED) -> torch.Tensor:
    """Indices (sorted) of the first ``per_class`` images of each class in a random order seeded ``seed``."""
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    chosen = [order[y[order] == k][:per_class] for k in range(int(y.max()) + 1)]
    if min(len(c) for c in chosen) < per_class:
        raise ValueError(f"every class needs {per_class} training images for the labelled subset")
    return torch.cat(chosen).sort().values


def descend(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


class SemiSupervised(Adversarial):
    """The SSGAN on Fashion-MNIST: D classifies (100 labels) and discriminates; measured by accuracy and FID."""

    val_metric = "val_error"
    schedule = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = self.split("train")[1]
        self.labelled = labelled_subset(labels)
        unlabelled = torch.ones(len(labels), dtype=torch.bool)
        unlabelled[self.labelled] = False
        self.unlabelled = unlabelled.nonzero().flatten()

    # -- data ------------------------------------------------------------------------------------
    def batches(self, epoch, batch_size, seed):
        """(unlabelled indices, labelled indices) per step, both into the training split; full batches only."""
        g = torch.Generator().manual_seed(seed + epoch)
        order = self.unlabelled[torch.randperm(len(self.unlabelled), generator=g)]
        steps = len(order) // batch_size
        repeats = math.ceil(steps * batch_size / len(self.labelled))
        labelled = torch.cat([self.labelled[torch.randperm(len(self.labelled), generator=g)] for _ in range(repeats)])
        return list(zip(order[:steps * batch_size].split(batch_size), labelled[:steps * batch_size].split(batch_size)))

    def batch(self, item):
        """(unlabelled images, labelled images, their labels) on the device."""
        x, y = self.split("train")
        unlabelled, labelled = item
        return x[unlabelled].to(self.device), x[labelled].to(self.device), y[labelled].to(self.device)

    # -- the three networks --------------------------------------------------------------------
    def optimizers(self, lr):
        return {name: torch.optim.Adam(getattr(self.model, name).parameters(), lr=lr, betas=BETAS)
                for name in ("D", "G", "baseline")}

    def step(self, batch, optimizers):
        x, x_labelled, y = batch
        m = self.model
        with self.autocast():
            fake = m.generate(m.noise(len(x)))
            real_logits, fake_logits = m.D(x), m.D(fake.detach())
            loss_supervised = supervised_loss(m.D(x_labelled), y)
            loss_unsupervised = unsupervised_loss(real_logits, fake_logits)
        descend(optimizers["D"], loss_supervised + loss_unsupervised)
        with self.autocast():
            with torch.no_grad():
                phi_real = m.D.features(x)
            loss_G = feature_matching_loss(phi_real, m.D.features(fake))
        descend(optimizers["G"], loss_G)
        with self.autocast():
            loss_baseline = supervised_loss(m.baseline(x_labelled), y)
        descend(optimizers["baseline"], loss_baseline)
        d_real, d_fake = (torch.sigmoid(log_Z(l.float())).mean().item() for l in (real_logits, fake_logits))
        return {"loss_D": (loss_supervised + loss_unsupervised).item(), "loss_G": loss_G.item(),
                "D_real": d_real, "D_fake": d_fake, "loss_supervised": loss_supervised.item(),
                "loss_unsupervised": loss_unsupervised.item(), "loss_baseline": loss_baseline.item()}

    # -- measuring -------------------------------------------------------------------------------
    def validate(self):
        return 1 - metrics.class_accuracy(self.model.D, *self.split("val"))

    def test_metrics(self, limit=None):
        x, y = (t[:limit] for t in self.split("test"))
        accuracy = {"test_accuracy": metrics.class_accuracy(self.model.D, x, y),
                    "baseline_test_accuracy": metrics.class_accuracy(self.model.baseline, x, y)}
        return {**accuracy, "test_images": len(y), "labelled_images": len(self.labelled),
                **super().test_metrics(limit)}

    def reference(self):
        """Both networks' confusion matrices on the test images (rows: true class, columns: predicted)."""
        x, y = self.split("test")
        return {"confusion_test": {net: metrics.confusion(getattr(self.model, net), x, y, self.model.K).tolist()
                                   for net in ("D", "baseline")}}

    def protocol(self):
        return {**super().protocol(),
                "labelled": f"{PER_CLASS} per class of the first 55,000 training images: the first of each class "
                            f"in torch.randperm(55000) seeded {LABELLED_SEED}",
                "unlabelled": "the other 54,900 training images (labels never read)",
                "val": "D's error on the last 5,000 training images (picks the epoch, for both networks)",
                "test": f"accuracy of D and of the baseline on the 10,000 test images; {metrics.FID_NAME}: "
                        "10,000 samples vs the 10,000 test images"}

    def meta(self):
        return {**super().meta(), "tricks": TRICKS, "sized_for": SIZED_FOR, "labelled_index": self.labelled.tolist()}
