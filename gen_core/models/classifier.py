"""A small Fashion-MNIST classifier: the yardstick that measures samples (not a generative model).

    p(y | x) = softmax(W_out phi(x) + b_out),   phi(x) = ReLU(W_fc . conv_features(x) + b_fc),

trained by minimizing the cross-entropy -log p(y | x). Its penultimate features phi(x) (128
numbers per image) define "FID (genlab classifier features)" (``gen_core.metrics``): the Fréchet
distance between Gaussians fitted to phi of two image sets. It is the Inception-based FID's recipe
with a network that knows this dataset instead of ImageNet; its values are not comparable with
published FIDs. Inputs are images in [-1, 1] (the GANs' output range).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self, channels: int = 32, features: int = 128, n_classes: int = 10, dropout: float = 0.3):
        super().__init__()
        self.n_classes = n_classes
        self.conv = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(), nn.MaxPool2d(2),  # 28 -> 14
            nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.BatchNorm2d(2 * channels), nn.ReLU(),
            nn.MaxPool2d(2))                                                                             # 14 -> 7
        self.fc = nn.Linear(2 * channels * 7 * 7, features)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(features, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """phi(x) [B, features] for images [B, 1, 28, 28] in [-1, 1]."""
        return F.relu(self.fc(self.conv(x).flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits [B, n_classes]."""
        return self.out(self.dropout(self.features(x)))

    def loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Mean cross-entropy -log p(y | x) over a batch (x, y)."""
        x, y = batch
        return F.cross_entropy(self(x), y)
