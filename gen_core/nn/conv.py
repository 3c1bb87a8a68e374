"""Convolutional encoder and decoder bodies shared by the autoencoder, the VAE and the conditional VAE.

    encoder:  x [B, 1, 28, 28] --conv 4x4/2--> 14x14 --conv 4x4/2--> 7x7 --linear--> h [B, hidden]
    decoder:  z [B, z_dim]     --linear--> h --linear--> 7x7 --deconv 4x4/2--> 14x14 --deconv 4x4/2--> logits [B, 1, 28, 28]

A class label y (conditional models) enters as a one-hot vector concatenated to the encoder's
flattened conv features and to the decoder's input z. The decoder returns one Bernoulli logit per
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


class ConvDecoder(nn.Module):
    """Bernoulli logits [B, 1, 28, 28] of p(x | z, y), one per pixel."""

    def __init__(self, z_dim: int, channels: int, hidden: int, n_classes: int = 0):
        super().__init__()
        self.n_classes, self.base = n_classes, 2 * channels
        self.fc = nn.Sequential(nn.Linear(z_dim + n_classes, hidden), nn.ReLU(),
                                nn.Linear(hidden, self.base * GRID * GRID), nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(self.base, channels, 4, stride=2, padding=1), nn.ReLU(),  # 7 -> 14
            nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1))                     # 14 -> 28

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.fc(with_label(z, y, self.n_classes))
        return self.deconv(h.view(len(z), self.base, GRID, GRID))
