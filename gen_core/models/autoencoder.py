"""A plain (deterministic) autoencoder on binarized images — and why it is not a generative model.

    z = f_phi(x)                                   (encoder: a code, no distribution)
    p_theta(x | z) = prod_i Bernoulli(x_i; sigma(g_theta(z)_i))

trained by minimizing the reconstruction error -log p_theta(x | f_phi(x)) (binary cross-entropy
summed over the 784 pixels, in nats). Nothing ties the codes f(x) to any distribution, so a code
drawn at random (z ~ N(0, I)) usually lands where no training image was encoded, and its decoding
is garbage: the autoencoder has no likelihood p(x) and cannot sample. The VAE
(``gen_core.models.vae``) fixes that with a prior p(z) = N(0, I) and a KL term.

Two autoencoders change what training asks of the code (still no likelihood, still no sampling):

  * the **denoising autoencoder** (Vincent et al., 2008) reconstructs x from a corrupted copy
    x~ ~ C(x~ | x) (``corrupt``: pixels dropped to 0 with probability m, Gaussian noise of std s added,
    clipped to [0, 1]), minimizing the denoising error E_{x~ ~ C(x~|x)}[-log p_theta(x | z = f_phi(x~))]:
    it cannot copy its input, so it has to learn what images look like to undo the corruption;
  * the **sparse autoencoder** has a wide code of ReLU units z = max(0, f_phi(x)) and minimizes
    -log p_theta(x | z) + lambda sum_j ||d_j|| |z_j|, an L1 penalty on the code with each unit weighted
    by the length of its decoder weights d_j (the columns of the decoder's first layer); unweighted, the
    decoder would grow d_j and the code shrink to dodge the penalty. It switches most units off for each
    image, so each image is explained by a few active units (``code_sparsity`` measures how few).

The conv encoder/decoder bodies are shared with the VAEs (``gen_core.nn.conv``); with
``n_classes > 0`` the class label y also enters both (the conditional VAE uses that).

These classes and the VAEs answer the same questions, so their task, the app and the tools never ask
which one they hold: ``has_likelihood_bound`` (a bound on -log p(x) to report?), ``objective`` (the name
of what training minimizes), ``measure`` (the per-image figures in nats), ``code_distribution``
(where the codes lie), ``measured_as`` (what their figures measure, in words), ``denoising_test``
(whether the task also measures it on corrupted test images) and ``sparse_code`` (whether the task
measures how sparse its codes are).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..nn.conv import ConvDecoder, ConvEncoder

IMAGE_SIZE = 28
RECONSTRUCTION = "reconstruction_error_nats"  # -log p(x | z = f(x)), the sidecar's name
DENOISING = "denoising_error_nats"  # -log p(x | z = f(x~)), x~ ~ C(x~ | x)
INACTIVE = 0.01  # a code unit with |z_j| below this is off (ReLU units are mostly exactly 0)


def log_bernoulli(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """log p(x | z) = sum_i x_i log sigma(l_i) + (1 - x_i) log(1 - sigma(l_i)), nats per image: [B]."""
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def corrupt(x: torch.Tensor, noise: float = 0.0, mask: float = 0.0,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """A draw x~ ~ C(x~ | x) of images x in [0, 1]: each pixel set to 0 with probability ``mask``, then
    x~ = clip(x + noise * eps, 0, 1), eps ~ N(0, I). Same shape as x; x itself for noise = mask = 0."""
    if not (0 <= mask <= 1 and noise >= 0):
        raise ValueError(f"the corruption needs 0 <= mask <= 1 and noise >= 0 (got mask={mask}, noise={noise})")
    kept = torch.rand(x.shape, generator=generator, device=x.device) >= mask
    eps = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return (x * kept + noise * eps).clamp(0, 1)


def code_sparsity(z: torch.Tensor, threshold: float = INACTIVE) -> dict[str, torch.Tensor]:
    """How sparse codes z [B, z_dim] are: the fraction of (image, unit) pairs with |z_j| < threshold
    (``inactive_fraction``), the mean ||z||_1 per image (``mean_l1``), the mean number of active units per
    image (``active_units``) and each unit's activity, the fraction of images it is active for [z_dim]
    (``unit_activity``)."""
    active = (z.abs() >= threshold).float()
    return {"inactive_fraction": 1 - active.mean(), "mean_l1": z.abs().sum(1).mean(),
            "active_units": active.sum(1).mean(), "unit_activity": active.mean(0)}


class Autoencoder(nn.Module):
    """Encoder f(x, y) -> code, decoder g(z, y) -> Bernoulli logits; ``encode`` / ``decode`` / ``mean_image``."""

    code_params = 1  # numbers the encoder outputs per latent dimension (the VAE: mu and log sigma^2)
    has_likelihood_bound = False  # no p(x): nothing bounds -log p(x)
    objective = RECONSTRUCTION  # what training minimizes (history and sidecar: train_/val_/test_...)
    denoising_test = False  # also measured on corrupted test images, beside the plain autoencoder (the task)
    sparse_code = False  # the task measures how sparse its codes are

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

    def reconstruction_error(self, x: torch.Tensor, y: torch.Tensor | None = None,
                             x_tilde: torch.Tensor | None = None) -> torch.Tensor:
        """-log p(x | z = f(x)) in nats per image: [B] (binary cross-entropy summed over pixels); given a
        corrupted copy x~, the denoising error -log p(x | z = f(x~))."""
        return -log_bernoulli(x, self.decode(self.encode(x if x_tilde is None else x_tilde, y), y))

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Mean reconstruction error over a batch (x, y)."""
        x, y = batch
        return self.reconstruction_error(x, y).mean()

    def measure(self, x: torch.Tensor, y: torch.Tensor | None = None, k: int = 0,
                generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """{name: float64 [B] nats}, named as in the sidecar: the reconstruction error, the ``objective``.
        (``k`` and ``generator`` are the VAE's: nothing here is random or bounded.)"""
        return {RECONSTRUCTION: self.reconstruction_error(x, y).double()}

    def code_distribution(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, std) [z_dim] of the codes: no prior, so those of the test images' codes (sidecar)."""
        return (torch.tensor(self.meta.get("latent_mean", [0.0] * self.z_dim)),
                torch.tensor(self.meta.get("latent_std", [1.0] * self.z_dim)))

    def measured_as(self, k: int) -> str:
        """What the test figures are (the sidecar's data protocol)."""
        return "reconstruction error -log p(x | z = f(x)); no likelihood"


class DenoisingAutoencoder(Autoencoder):
    """Trained to reconstruct x from x~ ~ C(x~ | x) (``corrupt`` with its ``noise`` and ``mask``)."""

    objective = DENOISING  # E_C[-log p(x | z = f(x~))]: measured by the task on fixed corruptions
    denoising_test = True

    def __init__(self, z_dim: int = 16, channels: int = 16, hidden: int = 96, noise: float = 0.5, mask: float = 0.25):
        super().__init__(z_dim, channels, hidden)
        corrupt(torch.zeros(1), noise, mask)  # refuses a corruption that is not one
        self.noise, self.mask = noise, mask

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Mean denoising error over a batch (x, y), each x corrupted afresh."""
        x, y = batch
        return self.reconstruction_error(x, y, corrupt(x, self.noise, self.mask)).mean()

    def measured_as(self, k: int) -> str:
        return ("reconstruction error -log p(x | z = f(x)) and denoising error -log p(x | z = f(x~)) for x~ ~ "
                "C(x~ | x), fixed corruptions; no likelihood")


class SparseAutoencoder(Autoencoder):
    """A wide code of ReLU units z = max(0, f(x)), trained on -log p(x | z) + lambda sum_j ||d_j|| |z_j|
    (lambda = ``l1``)."""

    objective = "sparse_objective_nats"  # reconstruction error + the penalty
    denoising_test = sparse_code = True

    def __init__(self, z_dim: int = 64, channels: int = 16, hidden: int = 96, l1: float = 0.5):
        super().__init__(z_dim, channels, hidden)
        self.l1 = l1

    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The code z = max(0, f(x)) >= 0: [B, z_dim], mostly zeros once trained."""
        return F.relu(super().encode(x, y))

    def terms(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(-log p(x | z = f(x)), the penalty lambda sum_j ||d_j|| |z_j|), each [B] nats."""
        z = self.encode(x, y)
        return -log_bernoulli(x, self.decode(z, y)), self.l1 * (z.abs() * self.atom_norms()).sum(1)

    def atom_norms(self) -> torch.Tensor:
        """||d_j||, the length of the decoder's input weights from each code unit j: [z_dim]."""
        return self.decoder.fc[0].weight.norm(dim=0)

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return sum(self.terms(x, y)).mean()

    def measure(self, x: torch.Tensor, y: torch.Tensor | None = None, k: int = 0,
                generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """The reconstruction error, the penalty and their sum, the objective: float64 [B] nats."""
        reconstruction, penalty = (t.double() for t in self.terms(x, y))
        return {RECONSTRUCTION: reconstruction, "l1_penalty_nats": penalty, self.objective: reconstruction + penalty}

    def measured_as(self, k: int) -> str:
        return (f"reconstruction error -log p(x | z = f(x)) + {self.l1} sum_j ||d_j|| |z_j|, the code's sparsity (|z_j| < "
                f"{INACTIVE} is off) and the denoising error on fixed corruptions; no likelihood")
