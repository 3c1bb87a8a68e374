"""Generative adversarial networks: DCGAN and a conditional GAN (Goodfellow et al., 2014; Radford et al., 2016).

Two players. The generator maps noise to an image, x = G(z) with z ~ N(0, I); the discriminator
outputs the probability D(x) = sigma(l(x)) that x came from the data rather than from G
(l: its logit). They play the minimax game

    min_G max_D  V(D, G) = E_{x ~ p_data}[log D(x)] + E_{z ~ p(z)}[log(1 - D(G(z)))].

For a fixed G the best discriminator is D*(x) = p_data(x) / (p_data(x) + p_model(x)), and with it
V = 2 JSD(p_data || p_model) - log 4: the game's equilibrium is p_model = p_data, where D* = 1/2
everywhere. Early in training D rejects G's samples easily, log(1 - D(G(z))) is flat there and
gives G almost no gradient, so G instead minimizes the *non-saturating* loss

    L_G = -E_z[log D(G(z))],

which has the same fixed point but strong gradients where G is bad. D minimizes the cross-entropy
L_D = -E_x[t log D(x) + (1 - t) log(1 - D(x))] - E_z[log(1 - D(G(z)))] with the real target t = 1,
or t = 0.9 with one-sided label smoothing (a trick that keeps D from becoming over-confident).

DCGAN's architecture: G upsamples with transposed convolutions, batch norm and ReLU, and ends in
tanh (images live in [-1, 1]); D downsamples with strided convolutions and LeakyReLU(0.2), batch
norm in its hidden layer, no pooling. The conditional GAN feeds the class y to both players: G(z, y)
gets a one-hot y next to z, and D scores a pair (x, y) with a projection discriminator
(Miyato & Koyama, 2018): l(x, y) = w . phi(x) + b + e_y . phi(x), where phi(x) are D's last
features and e_y a learned class embedding, so D can only accept x as "real class y".
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

IMAGE_SIZE = 28


class Generator(nn.Module):
    """x = G(z, y): z [B, z_dim] (+ one-hot y [B, n_classes]) -> image [B, 1, 28, 28] in [-1, 1]."""

    def __init__(self, z_dim: int, channels: int, n_classes: int = 0):
        super().__init__()
        self.base = 2 * channels
        self.project = nn.Sequential(nn.Linear(z_dim + n_classes, self.base * 7 * 7, bias=False),
                                     nn.BatchNorm1d(self.base * 7 * 7), nn.ReLU())
        self.up = nn.Sequential(
            nn.ConvTranspose2d(self.base, channels, 4, stride=2, padding=1, bias=False),  # 7 -> 14
            nn.BatchNorm2d(channels), nn.ReLU(),
            nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1),                      # 14 -> 28
            nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.up(self.project(z).view(len(z), self.base, 7, 7))


def conv_features(channels: int, batch_norm: bool = True) -> nn.Sequential:
    """D's strided convolutions, images [B, 1, 28, 28] -> features [B, 4c, 4, 4] (``feature_width`` numbers);
    batch norm in the middle one, or (``batch_norm=False``) a bias there instead."""
    middle = [nn.BatchNorm2d(2 * channels)] if batch_norm else []
    return nn.Sequential(
        nn.Conv2d(1, channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2),                       # 28 -> 14
        nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1, bias=not batch_norm),          # 14 -> 7
        *middle, nn.LeakyReLU(0.2),
        nn.Conv2d(2 * channels, 4 * channels, 3, stride=2, padding=1), nn.LeakyReLU(0.2))        # 7 -> 4


def feature_width(channels: int) -> int:
    return 4 * channels * 4 * 4


class Discriminator(nn.Module):
    """l(x, y): the logit of D(x, y) = sigma(l), for images [B, 1, 28, 28] in [-1, 1]."""

    def __init__(self, channels: int, n_classes: int = 0):
        super().__init__()
        self.features = conv_features(channels)
        width = feature_width(channels)
        self.w = nn.Linear(width, 1)
        self.embed = nn.Embedding(n_classes, width) if n_classes else None
        if self.embed is not None:
            nn.init.zeros_(self.embed.weight)  # start as an unconditional D; learn what each class looks like

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        phi = self.features(x).flatten(1)                                    # features [B, 4c * 4 * 4]
        logit = self.w(phi)[:, 0]
        if self.embed is not None:
            logit = logit + (self.embed(y) * phi).sum(1)                     # projection: e_y . phi(x)
        return logit


def generator_loss(fake_logit: torch.Tensor) -> torch.Tensor:
    """Non-saturating L_G = -E_z[log D(G(z))], with log D = log sigma(l)."""
    return -F.logsigmoid(fake_logit).mean()


def discriminator_loss(real_logit: torch.Tensor, fake_logit: torch.Tensor, real_target: float = 1.0) -> torch.Tensor:
    """L_D = -E_x[t log D(x) + (1 - t) log(1 - D(x))] - E_z[log(1 - D(G(z)))]; log(1 - sigma(l)) = log sigma(-l)."""
    real = real_target * F.logsigmoid(real_logit) + (1 - real_target) * F.logsigmoid(-real_logit)
    return -real.mean() - F.logsigmoid(-fake_logit).mean()


class GAN(nn.Module):
    """Generator G and discriminator D of a DCGAN (n_classes = 0) or a conditional GAN (n_classes > 0)."""

    def __init__(self, z_dim: int = 64, channels: int = 32, n_classes: int = 0):
        super().__init__()
        self.z_dim, self.n_classes, self.image_size = z_dim, n_classes, IMAGE_SIZE
        self.G = Generator(z_dim, channels, n_classes)
        self.D = Discriminator(channels, n_classes)

    @property
    def conditional(self) -> bool:
        return self.n_classes > 0

    def noise(self, n: int, generator: torch.Generator | None = None, truncation: float = 1.0) -> torch.Tensor:
        """z ~ N(0, I) [n, z_dim], drawn on the CPU (a seed means the same z on every device), scaled by
        the truncation psi in (0, 1]: psi < 1 trades variety for typical samples."""
        z = truncation * torch.randn(n, self.z_dim, generator=generator)
        return z.to(next(self.parameters()).device)

    def check_labels(self, y: torch.Tensor | None, n: int) -> torch.Tensor | None:
        if not self.conditional:
            if y is not None:
                raise ValueError("this GAN is unconditional: it takes no class labels")
            return None
        if y is None or len(y) != n:
            raise ValueError(f"a conditional GAN needs one class label per sample ({n})")
        if int(y.min()) < 0 or int(y.max()) >= self.n_classes:
            raise ValueError(f"class labels must be in 0..{self.n_classes - 1}")
        return y.to(next(self.parameters()).device)

    def generate(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """x = G(z, y) in [-1, 1], [B, 1, 28, 28]."""
        y = self.check_labels(y, len(z))
        if y is not None:
            z = torch.cat([z, F.one_hot(y, self.n_classes).to(z.dtype)], 1)
        return self.G(z)

    def logit(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """l(x, y), the discriminator's logit [B]; D(x) = sigma(l)."""
        return self.D(x, self.check_labels(y, len(x)))

    @torch.no_grad()
    def sample(self, n: int, *, labels: torch.Tensor | None = None, truncation: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """n images in [-1, 1] from z ~ N(0, I) (times psi = ``truncation``) and, when conditional, the labels."""
        return self.generate(self.noise(n, generator, truncation), labels)

    @torch.no_grad()
    def discriminate(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """D(x) = sigma(l(x, y)) [B]: the discriminator's probability that x is a real image (of class y)."""
        return torch.sigmoid(self.logit(x, y)).float()


def class_labels(n: int, n_classes: int) -> torch.Tensor | None:
    """0, 1, ..., n_classes - 1, 0, 1, ...: every class equally often among n samples; None without classes."""
    return torch.arange(n) % n_classes if n_classes else None


def slerp(z0: torch.Tensor, z1: torch.Tensor, steps: int) -> torch.Tensor:
    """Spherical interpolation z_t = sin((1-t) w)/sin(w) z0 + sin(t w)/sin(w) z1, t = 0..1, cos w = z0.z1/|z0||z1|.

    Unlike a straight line, the path keeps |z| near the norms typical of N(0, I) (a straight line's
    midpoint is atypically short in many dimensions). Returns [steps, z_dim] for z0, z1 [z_dim].
    """
    t = torch.linspace(0, 1, steps, dtype=z0.dtype)[:, None]
    cos = torch.dot(z0, z1) / (z0.norm() * z1.norm())
    omega = torch.arccos(cos.clamp(-1, 1))
    if omega.abs() < 1e-4:  # (almost) the same direction: a straight line
        return (1 - t) * z0 + t * z1
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)
