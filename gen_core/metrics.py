"""Sample-quality measures built on the genlab classifier (``gen_core.models.classifier``).

FID (genlab classifier features): fit a Gaussian N(mu, Sigma) to the classifier's penultimate
features phi(x) of each of two image sets and take their Fréchet (2-Wasserstein) distance

    d^2 = ||mu_1 - mu_2||^2 + Tr(Sigma_1 + Sigma_2 - 2 (Sigma_1 Sigma_2)^{1/2}).

Lower is closer; 0 for identical statistics. Tr((Sigma_1 Sigma_2)^{1/2}) is computed as
Tr((Sigma_1^{1/2} Sigma_2 Sigma_1^{1/2})^{1/2}), whose argument is symmetric positive
semi-definite, so both square roots come from an eigendecomposition (float64).
Class accuracy: the fraction of samples the classifier assigns to the class they were asked for (and
its confusion matrix, for any classifier).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import checkpoints

FID_NAME = "FID (genlab classifier features)"
BLUR_SIGMA = 1.0  # pixels: the blurred test images every FID is compared with


def to_unit_range(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 pixels 0..255 -> floats in [-1, 1] (the GANs' and the classifier's range)."""
    return images_uint8.float() / 127.5 - 1


def classifier(dataset: str = "fashion-mnist", device="cpu"):
    """The shipped classifier of ``dataset``, or a CheckpointError giving the command that trains it."""
    name = f"classifier-{dataset}"
    if name not in checkpoints.available():
        raise checkpoints.CheckpointError(
            f"no {name} checkpoint: the FID and class accuracy need it; train it first with "
            f"`python -m gen_core.train classifier --dataset {dataset}`")
    return checkpoints.load(name, device)


@torch.no_grad()
def batched(net, f, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """f(batch) for the batches of images x on net's device (net in eval mode), joined on the CPU."""
    device = next(net.parameters()).device
    net.eval()
    return torch.cat([f(b.to(device)).cpu() for b in x.split(batch_size)])


def features(net, x: torch.Tensor) -> torch.Tensor:
    """phi(x) for images in [-1, 1], float64 on the CPU."""
    return batched(net, lambda b: net.features(b).double(), x)


def gaussian(phi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mu, Sigma) of features [N, d]: the mean and the unbiased covariance."""
    return phi.mean(0), torch.cov(phi.T)


def sqrt_psd(a: torch.Tensor) -> torch.Tensor:
    """The symmetric square root of a symmetric positive semi-definite matrix (negative round-off clipped)."""
    lam, v = torch.linalg.eigh((a + a.T) / 2)
    return (v * lam.clamp(min=0).sqrt()) @ v.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """||mu_1 - mu_2||^2 + Tr(Sigma_1 + Sigma_2 - 2 (Sigma_1 Sigma_2)^{1/2})."""
    mu1, sigma1, mu2, sigma2 = (t.double() for t in (mu1, sigma1, mu2, sigma2))
    root1 = sqrt_psd(sigma1)
    cross = torch.trace(sqrt_psd(root1 @ sigma2 @ root1))
    return float(((mu1 - mu2) ** 2).sum() + torch.trace(sigma1) + torch.trace(sigma2) - 2 * cross)


def fid(net, x: torch.Tensor, reference: tuple[torch.Tensor, torch.Tensor] | torch.Tensor) -> float:
    """FID (genlab classifier features) of images x against reference images or their (mu, Sigma)."""
    if isinstance(reference, torch.Tensor):
        reference = gaussian(features(net, reference))
    return frechet_distance(*gaussian(features(net, x)), *reference)


def class_accuracy(net, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of images x the classifier assigns to the classes y."""
    pred = batched(net, lambda b: net(b).argmax(1), x)
    return (pred == y.cpu()).double().mean().item()


def confusion(net, x: torch.Tensor, y: torch.Tensor, n_classes: int) -> torch.Tensor:
    """C [n_classes, n_classes]: C[i, j] images of class i that the classifier assigns to class j."""
    pred = batched(net, lambda b: net(b).argmax(1), x)
    return torch.bincount(y.cpu() * n_classes + pred, minlength=n_classes ** 2).view(n_classes, n_classes)


def blur(x: torch.Tensor, sigma: float = BLUR_SIGMA) -> torch.Tensor:
    """Gaussian blur with standard deviation ``sigma`` pixels (kernel radius 3 sigma, edges replicated)."""
    r = max(1, math.ceil(3 * sigma))
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-t ** 2 / (2 * sigma ** 2))
    k = k / k.sum()
    x = F.pad(x.float(), (r, r, r, r), mode="replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1))
    return F.conv2d(x, k.view(1, 1, -1, 1))
