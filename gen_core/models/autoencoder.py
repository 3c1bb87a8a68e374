"""A plain (deterministic) autoencoder on binarized images — and why it is not a generative model.

    z = f_phi(x)                                   (encoder: a code, no distribution)
    p_theta(x | z) = prod_i Bernoulli(x_i; sigma(g_theta(z)_i))

trained by minimizing the reconstruction error -log p_theta(x | f_phi(x)) (binary cross-entropy
summed over the 784 pixels, in nats). Nothing ties the codes f(x) to any distribution, so a code
drawn at random (z ~ N(0, I)) usually lands where no training image was encoded, and its decoding
is garbage: the autoencoder has no likelihood p(x) and cannot sample. The VAE
(``gen_core.models.vae``) fixes that with a prior p(z) = N(0, I) and a KL term.

The conv encoder/decoder bodies are shared with the VAEs (``gen_core.nn.conv``); with
``n_classes > 0`` the class label y also enters both (the conditional VAE uses that).

Both classes answer the same questions, so their task, the app and the tools never ask which one
they hold: ``has_likelihood_bound`` (a bound on -log p(x) to report?), ``objective`` (the name of
what training minimizes), ``measure`` (the per-image figures in nats), ``code_distribution``
(where the codes lie) and ``measured_as`` (what their figures measure, in words).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..nn.conv import ConvDecoder, ConvEncoder

IMAGE_SIZE = 28


def log_bernoulli(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """log p(x | z) = sum_i x_i log sigma(l_i) + (1 - x_i) log(1 - sigma(l_i)), nats per image: [B]."""
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


class Autoencoder(nn.Module):
    """Encoder f(x, y) -> code, decoder g(z, y) -> Bernoulli logits; ``encode`` / ``decode`` / ``mean_image``."""

    code_params = 1  # numbers the encoder outputs per latent dimension (the VAE: mu and log sigma^2)
    has_likelihood_bound = False  # no p(x): nothing bounds -log p(x)
    objective = "reconstruction_error_nats"  # what training minimizes (history and sidecar: train_/val_/test_...)

    def __init__(self, z_dim: int = 16, channels: int = 32, hidden: int = 256, n_classes: int = 0, film: bool = False):
        """``film``: the class y also modulates every hidden layer of the decoder (``gen_core.nn.conv``)."""
        super().__init__()
        self.z_dim, self.n_classes, self.image_size = z_dim, n_classes, IMAGE_SIZE
        self.encoder = ConvEncoder(channels, hidden, n_classes)
        self.head = nn.Linear(hidden, self.code_params * z_dim)
        self.decoder = ConvDecoder(z_dim, channels, hidden, n_classes, film)
        self.meta: dict = {}  # the sidecar, set by ``checkpoints.load``

    @property
    def conditional(self) -> bool:
        return self.n_classes > 0

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    def check_labels(self, y: torch.Tensor | None, n: int) -> torch.Tensor | None:
        """The labels a conditional model needs (one per image, in 0..n_classes-1); None for the others."""
        if not self.conditional:
            return None
        if y is None or len(y) != n:
            raise ValueError(f"a conditional model needs one class label per image ({n})")
        if int(y.min()) < 0 or int(y.max()) >= self.n_classes:
            raise ValueError(f"class labels must be in 0..{self.n_classes - 1}")
        return y.to(self.device)

    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The code z = f(x, y) of binary images x [B, 1, 28, 28]: [B, z_dim]."""
        return self.head(self.encoder(x, self.check_labels(y, len(x))))

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Bernoulli logits of p(x | z, y): [B, 1, 28, 28]."""
        return self.decoder(z, self.check_labels(y, len(z)))

    @torch.no_grad()
    def mean_image(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """E[x | z, y] = sigma(g(z, y)): each pixel's probability of being on, [B, 1, 28, 28] in [0, 1]."""
        return torch.sigmoid(self.decode(z.to(self.device, self.head.weight.dtype), y).float())

    def reconstruction_error(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """-log p(x | z = f(x)) in nats per image: [B] (binary cross-entropy summed over pixels)."""
        return -log_bernoulli(x, self.decode(self.encode(x, y), y))

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Mean reconstruction error over a batch (x, y)."""
        x, y = batch
        return self.reconstruction_error(x, y).mean()

    def measure(self, x: torch.Tensor, y: torch.Tensor | None = None, k: int = 0,
                generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """{name: float64 [B] nats}, named as in the sidecar: the reconstruction error, the ``objective``.
        (``k`` and ``generator`` are the VAE's: nothing here is random or bounded.)"""
        return {self.objective: self.reconstruction_error(x, y).double()}

    def code_distribution(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, std) [z_dim] of the codes: no prior, so those of the test images' codes (sidecar)."""
        return (torch.tensor(self.meta.get("latent_mean", [0.0] * self.z_dim)),
                torch.tensor(self.meta.get("latent_std", [1.0] * self.z_dim)))

    def measured_as(self, k: int) -> str:
        """What the test figures are (the sidecar's data protocol)."""
        return "reconstruction error -log p(x | z = f(x)); no likelihood"
