"""Model families and the registry that names them.

Each registry entry is a model name (as used on the command line and in checkpoint file names),
its class, the constructor config it is trained with, its task (``gen_core.tasks``: what it
trains on and is measured by) with any options of that task, its default dataset and its training defaults.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch.nn as nn

from .autoencoder import Autoencoder, DenoisingAutoencoder, SparseAutoencoder
from .base import ImageAR
from .char_rnn import CharLSTM, CharRNN
from .char_transformer import CharTransformer
from .char_wavenet import CharWaveNet
from .classifier import Classifier
from .fvsbn import FVSBN
from .gan import GAN
from .gated_pixelcnn import GatedPixelCNN
from .histogram import Histogram
from .image_transformer import ImageTransformer
from .made import MADE
from .nade import NADE
from .pixelcnn import PixelCNN
from .pixelcnn_dmol import PixelCNNDMOL
from .pixelrnn import PixelRNN
from .pixelrnn_diagonal import DiagonalPixelRNN
from .rnade import RNADE
from .ssgan import SSGAN
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
    task_options: dict = field(default_factory=dict)


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
    # sized for a contended 2-core CPU (3 epochs: 81 min of wall clock there); the FID of its samples as the GANs'
    "pixelcnn_dmol": Spec(PixelCNNDMOL, {"mixtures": 5, "channels": 32, "n_layers": 6, "kernel": 5,
                                         "head_channels": 64}, lr=2e-3, batch_size=32, epochs=3,
                          task_options={"fid_samples": 1000, "fid_compare": ("pixelcnn_8bit",)}),
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
    # running text in sequences of 2 x 128 characters (16 a step, 4,096 characters as the others): the second
    # half of each is predicted from a full sliding window without <start>, as in long samples
    "char_transformer": Spec(CharTransformer, {"d_model": 128, "n_heads": 4, "n_layers": 4, "context": 128},
                             task="text", dataset="shakespeare", lr=1e-3, batch_size=32, epochs=15,
                             task_options={"train_window": 256}),
    "char_wavenet": Spec(CharWaveNet, {"channels": 72, "skip": 128, "n_blocks": 2, "block_layers": 6, "dropout": 0.1},
                         task="text", dataset="shakespeare", lr=2e-3, batch_size=32, epochs=10),
    "dcgan": Spec(GAN, {"z_dim": 64, "channels": 32}, task="gan", lr=2e-4, batch_size=64, epochs=25),
    "cgan": Spec(GAN, {"z_dim": 64, "channels": 32, "n_classes": 10}, task="gan", lr=2e-4, batch_size=64, epochs=25),
    # D is also the classifier: 100 labelled images + the unlabelled rest (gen_core.tasks.semi_supervised)
    "ssgan": Spec(SSGAN, {"z_dim": 64, "channels": 32, "K": 10}, task="semi_supervised", lr=3e-4, batch_size=64,
                  epochs=10),
    "ae": Spec(Autoencoder, {"z_dim": 16, "channels": 32, "hidden": 256}, task="latent", lr=1e-3, batch_size=100,
               epochs=10),
    # one architecture with 2, 5, 10 and 20 latent dimensions (the Latent tab shows their samples side by side)
    **{f"vae_{d}d": Spec(VAE, {"z_dim": d, "channels": 16, "hidden": 256}, task="latent", lr=1e-3, batch_size=100,
                         epochs=15) for d in (2, 5, 10, 20)},
    "vae": Spec(VAE, {"z_dim": 16, "channels": 32, "hidden": 256}, task="latent", lr=1e-3, batch_size=100,
                epochs=30),
    # sized for a 2-core CPU and a 2 MB checkpoint (float16 weights + codes): channels 16, hidden 96
    "dae": Spec(DenoisingAutoencoder, {"z_dim": 16, "channels": 16, "hidden": 96, "noise": 0.5, "mask": 0.25},
                task="latent", lr=1e-3, batch_size=100, epochs=25),
    "sparse_ae": Spec(SparseAutoencoder, {"z_dim": 64, "channels": 16, "hidden": 96, "l1": 0.5}, task="latent",
                      lr=1e-3, batch_size=100, epochs=25),
    # the class modulates every decoder layer (FiLM), and each class's codes are asked to fill the prior
    "cvae": Spec(VAE, {"z_dim": 2, "channels": 32, "hidden": 512, "n_classes": 10, "film": True, "beta": 0.2,
                       "class_match": 20.0}, task="latent", lr=1e-3, batch_size=100, epochs=15),
}


def build(name: str, config: dict | None = None) -> nn.Module:
    """A fresh model from its registry name and (optionally) a config overriding the defaults."""
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(REGISTRY)}")
    spec = REGISTRY[name]
    return spec.cls(**{**spec.config, **(config or {})})


__all__ = ["Autoencoder", "DenoisingAutoencoder", "SparseAutoencoder", "CharLSTM", "CharRNN", "CharTransformer",
           "CharWaveNet", "Classifier", "DiagonalPixelRNN", "FVSBN", "GAN", "GatedPixelCNN", "Histogram",
           "ImageTransformer", "MADE", "NADE", "PixelCNN", "PixelCNNDMOL", "PixelRNN", "RNADE", "SSGAN", "VAE",
           "ImageAR", "REGISTRY", "Spec", "build"]
