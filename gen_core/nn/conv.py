"""Convolutional encoder and decoder bodies shared by the autoencoder, the VAE and the conditional VAE.

    encoder:  x [B, 1, 28, 28] --conv 4x4/2--> 14x14 --conv 4x4/2--> 7x7 --linear--> h [B, hidden]
    decoder:  z [B, z_dim]     --linear--> h --linear--> 7x7 --deconv 4x4/2--> 14x14 --deconv 4x4/2--> logits [B, 1, 28, 28]

A class label y (conditional models) enters as a one-hot vector concatenated to the encoder's
flattened conv features and to the decoder's input z. With ``film`` it also modulates every later
layer of the decoder: each pre-activation a (a feature, or a channel of a feature map) becomes

    FiLM(a; y) = gamma_y * a + beta_y            (feature-wise linear modulation, Perez et al. 2018)

with a learned (gamma, beta) per class and feature, so the class can switch whole features on and off
at every scale, not only shift the first layer's input. The decoder returns one Bernoulli logit per
pixel; what the encoder's h becomes (a code z, or mu and log sigma^2) is the model's business.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

GRID = 7  # 28 -> 14 -> 7 after two stride-2 convolutions


def with_label(v: torch.Tensor, y: torch.Tensor | None, n_classes: int) -> torch.Tensor:
    """[v, one_hot(y)] for a conditional body (n_classes > 0), v itself otherwise."""
    if not n_classes:
        return v
    return torch.cat([v, F.one_hot(y, n_classes).to(v.dtype)], 1)


class ConvEncoder(nn.Module):
    """h = ReLU(W [conv_features(x), one_hot(y)] + b): [B, hidden]."""

    def __init__(self, channels: int, hidden: int, n_classes: int = 0):
        super().__init__()
        self.n_classes = n_classes
        self.conv = nn.Sequential(
            nn.Conv2d(1, channels, 4, stride=2, padding=1), nn.ReLU(),             # 28 -> 14
            nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1), nn.ReLU())  # 14 -> 7
        self.fc = nn.Linear(2 * channels * GRID * GRID + n_classes, hidden)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return F.relu(self.fc(with_label(self.conv(x).flatten(1), y, self.n_classes)))


class FiLM(nn.Module):
    """a -> gamma_y * a + beta_y per feature (dimension 1) of a, for the class y of each row; starts as the identity."""

    def __init__(self, n_classes: int, features: int):
        super().__init__()
        self.gamma = nn.Embedding(n_classes, features)
        self.beta = nn.Embedding(n_classes, features)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        shape = (len(a), -1) + (1,) * (a.dim() - 2)  # a feature map's channels: the same over its pixels
        return self.gamma(y).view(shape) * a + self.beta(y).view(shape)


class ConvDecoder(nn.Module):
    """Bernoulli logits [B, 1, 28, 28] of p(x | z, y), one per pixel (``film``: y modulates every hidden layer)."""

    def __init__(self, z_dim: int, channels: int, hidden: int, n_classes: int = 0, film: bool = False):
        super().__init__()
        self.n_classes, self.base = n_classes, 2 * channels
        self.fc = nn.Sequential(nn.Linear(z_dim + n_classes, hidden), nn.ReLU(),
                                nn.Linear(hidden, self.base * GRID * GRID), nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(self.base, channels, 4, stride=2, padding=1), nn.ReLU(),  # 7 -> 14
            nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1))                     # 14 -> 28
        hidden_widths = (hidden, self.base * GRID * GRID, channels)  # what each hidden layer outputs
        self.film = nn.ModuleList(FiLM(n_classes, w) for w in hidden_widths) if film and n_classes else None

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.film is None:
            h = self.fc(with_label(z, y, self.n_classes))
            return self.deconv(h.view(len(z), self.base, GRID, GRID))
        h = with_label(z, y, self.n_classes)
        for i, (layer, film) in enumerate(zip((self.fc[0], self.fc[2], self.deconv[0]), self.film)):
            h = F.relu(film(layer(h), y))
            if i == 1:
                h = h.view(len(z), self.base, GRID, GRID)
        return self.deconv[2](h)
