"""The interface every autoregressive image model shares.

    p(x) = prod_{i=1}^{D} p(x_{o_i} | x_{o_1}, ..., x_{o_{i-1}}),   D = H * W,

where o = ``model.order`` is a permutation of the raster positions 0..D-1, fixed for the model's
life (an order-agnostic model completes in another ordering through ``conditioned_on``, a view). A binary model outputs
one Bernoulli logit per pixel; a model over K > 2 levels (the 8-bit PixelCNN: K = 256) outputs K
logits per pixel (a softmax). Inputs are float tensors [B, 1, H, W] holding 0/1 or 0..K-1.
"""
from __future__ import annotations

import abc

import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import sampling
from ..nn import MaskedConv2d, PixelHead


def conditional_log_prob(logits: torch.Tensor, x: torch.Tensor, n_values: int) -> torch.Tensor:
    """log p(x_i | x_<i) for every pixel [B, 1, H, W] (nats) from the logits of every conditional."""
    if n_values == 2:
        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return torch.log_softmax(logits.float(), dim=1).gather(1, x.long())


class ImageAR(nn.Module, abc.ABC):
    """Autoregressive image model: ``logits`` (teacher forced), ``log_prob``, ``sample``, ``order``.

    ``order_agnostic`` says whether the model can condition on any set of known pixels (MADE, trained
    over many orderings) rather than only on those before each pixel in its one ``order``.
    """

    order_agnostic = False

    def __init__(self, image_size: int = 28, n_values: int = 2):
        super().__init__()
        if n_values < 2:
            raise ValueError("n_values must be at least 2")
        self.image_size, self.n_values = image_size, n_values
        self.register_buffer("order", torch.arange(image_size * image_size), persistent=False)

    @property
    def num_pixels(self) -> int:
        return self.image_size * self.image_size

    @property
    def out_channels(self) -> int:
        """Logits per pixel: 1 (a Bernoulli logit for x = 1) when binary, else K."""
        return 1 if self.n_values == 2 else self.n_values

    def scale(self, x: torch.Tensor) -> torch.Tensor:
        """Network input in [0, 1] from pixel values 0..K-1."""
        return x / (self.n_values - 1)

    @abc.abstractmethod
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Parameters of every p(x_i | x_<i) in one teacher-forced pass: [B, out_channels, H, W]."""

    def pixel_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x_i | x_<i) for every pixel: [B, 1, H, W] (nats)."""
        return conditional_log_prob(self.logits(x), x, self.n_values)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) in nats per image: [B]."""
        return self.pixel_log_prob(x).flatten(1).sum(1)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Training objective: mean negative log-likelihood per image (nats)."""
        return -self.log_prob(x).mean()

    def conditioned_on(self, known_mask: torch.Tensor | None) -> "ImageAR":
        """The model to complete with when the pixels of ``known_mask`` are known: itself for a fixed-order
        model; an order-agnostic model returns a view of itself that samples the known pixels first."""
        return self

    def draw(self, out: torch.Tensor, temperature: float = 1.0, generator: torch.Generator | None = None):
        """Draw pixel values from one step's output [n, out_channels] (here: logits, see ``sampling.draw``);
        returns (values [n], probability-map entries [n]). A model with another output (a density) overrides it."""
        return sampling.draw(out, self.n_values, temperature, generator)

    def distribution(self, out: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """The tempered distribution one step's output [n, out_channels] draws from (``sampling.distribution``)."""
        return sampling.distribution(out, self.n_values, temperature)

    def stepper(self, x: torch.Tensor) -> sampling.Stepper:
        """Per-pixel logits while sampling; models with caches (NADE, PixelCNN, ...) override this."""
        return sampling.RecomputeStepper(self, x)

    def sample(self, n: int, **options) -> torch.Tensor:
        """Draw n images [n, 1, H, W] (options: ``known``, ``known_mask``, ``temperature``, ``generator``,
        as for ``sampling.iter_sample``)."""
        return sampling.sample(self, n, **options)


class MaskedConvNet(ImageAR):
    """The layout PixelCNN and PixelRNN share: a mask-'A' convolution reads x (pixel i never sees x_i),
    a stack of causal layers transforms it, and a 1x1 head gives every pixel's logits in one pass.
    ``stack`` names the attribute that holds the family's layers (it is in the checkpoints' keys), and
    ``stepper_class`` is the family's incremental sampler."""

    stack: str
    stepper_class: type

    def __init__(self, image_size: int, n_values: int, channels: int, first_kernel: int, head_channels: int,
                 make_layers):
        super().__init__(image_size, n_values)
        self.input_conv = MaskedConv2d(1, channels, first_kernel, "A")
        setattr(self, self.stack, nn.ModuleList(make_layers()))
        self.head = PixelHead(channels, head_channels, self.out_channels)

    def logits(self, x):
        h = self.input_conv(self.scale(x))
        for layer in getattr(self, self.stack):
            h = layer(h)
        return self.head(h)

    def stepper(self, x):
        return self.stepper_class(self, x)
