"""Model families and the registry that names them.

Each registry entry is a model name (as used on the command line and in checkpoint file names),
its class, the constructor config it is trained with, its task (``gen_core.tasks``: what it
trains on and is measured by), its default dataset and its training defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch.nn as nn

from .autoencoder import Autoencoder
from .base import ImageAR
from .char_rnn import CharLSTM, CharRNN
from .char_transformer import CharTransformer
from .classifier import Classifier
from .fvsbn import FVSBN
from .gan import GAN
from .gated_pixelcnn import GatedPixelCNN
from .histogram import Histogram
from .image_transformer import ImageTransformer
from .made import MADE
from .nade import NADE
from .pixelcnn import PixelCNN
from .pixelrnn import PixelRNN
from .pixelrnn_diagonal import DiagonalPixelRNN
from .rnade import RNADE
from .vae import VAE


@dataclass(frozen=True)
class Spec:
    cls: type
    config: dict = field(default_factory=dict)
    task: str = "image"
    dataset: str = "fashion-mnist"
    lr: float = 1e-3
    batch_size: int = 64
    epochs: int = 10


REGISTRY: dict[str, Spec] = {
    "histogram": Spec(Histogram, {}, lr=1.0, batch_size=5500, epochs=100),
    "histogram_8bit": Spec(Histogram, {"n_values": 256}, lr=0.2, batch_size=5500, epochs=100),
    "fvsbn": Spec(FVSBN, {}, lr=3e-3, batch_size=100, epochs=15),
    "nade": Spec(NADE, {"hidden": 500}, lr=2e-3, batch_size=100, epochs=30),
    "made": Spec(MADE, {"hidden": [4000], "eval_orders": 8, "fixed_masks": True,
                        "orderings": ["rows from top-left", "rows from bottom-right", "columns from top-left",
                                      "columns from bottom-right"]}, lr=1e-3, batch_size=100, epochs=40),
    "rnade": Spec(RNADE, {"hidden": 100, "components": 10}, lr=1e-2, batch_size=100, epochs=20),
    "pixelcnn": Spec(PixelCNN, {"channels": 48, "n_blocks": 15}, lr=1e-3, batch_size=64, epochs=16),
    "pixelcnn_8bit": Spec(PixelCNN, {"n_values": 256, "channels": 48, "n_blocks": 15, "head_channels": 128},
                          lr=1e-3, batch_size=64, epochs=10),
    "gated_pixelcnn": Spec(GatedPixelCNN, {"channels": 32, "n_layers": 6, "kernel": 5}, lr=1e-3, batch_size=64,
                           epochs=20),
    "pixelrnn": Spec(PixelRNN, {"channels": 128, "hidden": 64, "n_layers": 3}, lr=1e-3, batch_size=64, epochs=14),
    # sized for a shared 2-core CPU: its 2 x 55 column steps a layer cost ~4x the Row LSTM's 28 row steps
    "pixelrnn_diagonal": Spec(DiagonalPixelRNN, {"channels": 48, "hidden": 24, "n_layers": 2}, lr=1e-3, batch_size=64,
                              epochs=3),
    "image_transformer": Spec(ImageTransformer, {"d_model": 128, "n_heads": 2, "n_layers": 3, "d_mlp": 256},
                              lr=1e-3, batch_size=64, epochs=6),
    "classifier": Spec(Classifier, {"channels": 32, "features": 128}, task="classifier", lr=1e-3, batch_size=128,
                       epochs=8),
    "char_rnn": Spec(CharRNN, {"hidden": 512, "n_layers": 1}, task="text", dataset="shakespeare", lr=2e-3,
                     batch_size=32, epochs=10),
    "char_lstm": Spec(CharLSTM, {"hidden": 384, "n_layers": 2, "dropout": 0.1}, task="text", dataset="shakespeare",
                      lr=2e-3, batch_size=32, epochs=10),
    "char_transformer": Spec(CharTransformer, {"d_model": 128, "n_heads": 4, "n_layers": 4, "context": 128},
                             task="text", dataset="shakespeare", lr=1e-3, batch_size=32, epochs=15),
    "dcgan": Spec(GAN, {"z_dim": 64, "channels": 32}, task="gan", lr=2e-4, batch_size=64, epochs=25),
    "cgan": Spec(GAN, {"z_dim": 64, "channels": 32, "n_classes": 10}, task="gan", lr=2e-4, batch_size=64, epochs=25),
    "ae": Spec(Autoencoder, {"z_dim": 16, "channels": 32, "hidden": 256}, task="latent", lr=1e-3, batch_size=100,
               epochs=10),
    # one architecture with 2, 5, 10 and 20 latent dimensions (the Latent tab shows their samples side by side)
    **{f"vae_{d}d": Spec(VAE, {"z_dim": d, "channels": 16, "hidden": 256}, task="latent", lr=1e-3, batch_size=100,
                         epochs=15) for d in (2, 5, 10, 20)},
    "vae": Spec(VAE, {"z_dim": 16, "channels": 32, "hidden": 256}, task="latent", lr=1e-3, batch_size=100,
                epochs=30),
    "cvae": Spec(VAE, {"z_dim": 2, "channels": 16, "hidden": 256, "n_classes": 10}, task="latent", lr=1e-3,
                 batch_size=100, epochs=15),
}


def build(name: str, config: dict | None = None) -> nn.Module:
    """A fresh model from its registry name and (optionally) a config overriding the defaults."""
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(REGISTRY)}")
    spec = REGISTRY[name]
    return spec.cls(**{**spec.config, **(config or {})})


__all__ = ["Autoencoder", "CharLSTM", "CharRNN", "CharTransformer", "Classifier", "FVSBN", "GAN", "GatedPixelCNN", "Histogram", "ImageTransformer", "MADE", "NADE", "PixelCNN", "PixelRNN", "DiagonalPixelRNN", "RNADE", "VAE", "ImageAR", "REGISTRY", "Spec", "build"]
