"""The one autoregressive sampling loop, shared by every image model.

For i = 1..D, in the model's ``order``: compute the logits of p(x_{o_i} | x_{o_<i}), temper them
(logits / T), draw x_{o_i}, and write it into the canvas unless that pixel is known (completion).
A model speeds the loop up by overriding its ``stepper`` (the per-pixel logits), never the loop.
"""
from __future__ import annotations

import abc
import itertools
from typing import NamedTuple

import torch


class Stepper(abc.ABC):
    """Logits of pixel ``order[i]`` given the canvas at ``order[:i]``; called for i = 0, 1, ... in turn.

    The loop fills the canvas ``x`` [n, 1, H, W] in place between calls. ``skippable`` says whether
    a step may be left out when every image already knows its pixel (true for steppers that keep no
    state between calls).
    """

    skippable = False

    def __init__(self, model, x: torch.Tensor, order: torch.Tensor | None = None):
        self.model, self.x = model, x
        self.positions = (model.order if order is None else order).tolist()

    @abc.abstractmethod
    def __call__(self, i: int) -> torch.Tensor:
        """[n, out_channels] logits for pixel order[i]."""


class RecomputeStepper(Stepper):
    """The naive step: a full teacher-forced pass over the whole canvas for every pixel."""

    skippable = True

    def __call__(self, i: int) -> torch.Tensor:
        return self.model.logits(self.x).flatten(2)[:, :, self.positions[i]]


class PaddedCanvasStepper(Stepper):
    """Base of the incremental convolutional steppers: a zero-padded copy of the scaled canvas.

    ``enter(i)`` copies the pixel drawn at step i-1 into the copy and returns pixel i's (row, col),
    so masked kernels can read the canvas around it with ``MaskedConv2d.at``.
    """

    def __init__(self, model, x: torch.Tensor, pad: int):
        super().__init__(model, x)
        self.pad = pad
        side = model.image_size + 2 * pad
        self.x_pad = x.new_zeros(x.shape[0], 1, side, side)

    def enter(self, i: int) -> tuple[int, int]:
        size, p = self.model.image_size, self.pad
        if i > 0:
            r0, c0 = divmod(self.positions[i - 1], size)
            self.x_pad[:, :, r0 + p, c0 + p] = self.model.scale(self.x[:, :, r0, c0])
        return divmod(self.positions[i], size)


def _broadcast(t: torch.Tensor | None, n: int, shape, dtype, device) -> torch.Tensor | None:
    if t is None:
        return None
    t = torch.as_tensor(t).to(device=device, dtype=dtype)
    lead = {2: (), 3: ((1, n),), 4: ((1, n), (1,))}.get(t.dim())
    if lead is None or t.shape[-2:] != shape[-2:] or any(s not in ok for s, ok in zip(t.shape, lead)):
        raise ValueError(f"known values and mask must be [H, W], [1, H, W] or [n, 1, H, W] with "
                         f"H x W = {shape[-2]} x {shape[-1]}; got {list(t.shape)}")
    if t.dim() == 2:
        t = t[None, None]
    elif t.dim() == 3:
        t = t[:, None]
    return t.expand(n, *shape[1:]).clone()


def distribution(logits: torch.Tensor, n_values: int, temperature: float) -> torch.Tensor:
    """The tempered distribution a pixel is drawn from, [n, 1] p(x = 1) for a binary model or [n, K]
    probabilities of each level: sigma(logit / T) or softmax(logits / T). Temperature 0 is greedy:
    all the mass on the most likely value (for these models a blank canvas: black is each pixel's
    likeliest value, so a greedy draw never puts ink anywhere)."""
    logits = logits.float()
    if n_values == 2:
        return (logits > 0).float() if temperature <= 0 else torch.sigmoid(logits / temperature)
    if temperature <= 0:
        return torch.nn.functional.one_hot(logits.argmax(1), n_values).float()
    return torch.softmax(logits / temperature, dim=1)


def draw(logits: torch.Tensor, n_values: int, temperature: float, generator=None):
    """Draw one value per row of ``logits`` [n, C]; returns (values [n], probability map entry [n]).

    The map entry is p(x = 1) for a binary model and the expected intensity E[x] / (K - 1) otherwise,
    both under the tempered distribution actually sampled from (``distribution``). Temperature 0 is greedy.
    """
    probs = distribution(logits, n_values, temperature)
    if n_values == 2:
        p = probs[:, 0]
        return (p if temperature <= 0 else torch.bernoulli(p, generator=generator)), p
    levels = torch.arange(n_values, device=logits.device, dtype=torch.float32)
    if temperature <= 0:
        v = logits.float().argmax(1).float()
        return v, v / (n_values - 1)
    # inverse CDF: the first level whose cumulative probability reaches u ~ U(0, 1] (torch.multinomial costs
    # ~15x more for one draw from each of a few rows)
    u = 1 - torch.rand(len(probs), 1, generator=generator, device=probs.device)
    v = (probs.cumsum(1) < u).sum(1).clamp(max=n_values - 1).float()
    return v, probs @ levels / (n_values - 1)


class Step(NamedTuple):
    """One step of the loop: step i drew pixel ``pos`` from the output ``out`` [n, out_channels] (None
    when every image already knew it); ``x`` and ``probs`` are the canvas and the probability map."""
    i: int
    pos: int
    x: torch.Tensor
    probs: torch.Tensor
    out: torch.Tensor | None


class Draw(NamedTuple):
    """``n`` rows of a batch drawn at their own ``temperature`` with their own random ``generator``: several
    requests share one loop (``gen_core.batching``) and each gets the images it would get alone."""
    n: int
    temperature: float = 1.0
    generator: torch.Generator | None = None


def draw_rows(model, out: torch.Tensor, draws: list[Draw]):
    """``model.draw`` for each request's rows of ``out`` [sum n, C]: (values, probability-map entries)."""
    if len(draws) == 1:
        return model.draw(out, draws[0].temperature, draws[0].generator)
    parts = [model.draw(rows, d.temperature, d.generator) for rows, d in zip(out.split([d.n for d in draws]), draws)]
    return torch.cat([v for v, _ in parts]), torch.cat([p for _, p in parts])


def iter_sample(model, n: int, *, temperature: float = 1.0, generator: torch.Generator | None = None, **options):
    """``iter_draws`` for n images drawn at one temperature with one generator."""
    return iter_draws(model, [Draw(n, temperature, generator)], **options)


@torch.no_grad()
def iter_draws(model, draws: list[Draw], *, known=None, known_mask=None, stepper=None):
    """Yield a ``Step`` (i, pos, x, probs, out) after each of the D pixels: step, the pixel drawn, canvas
    [n,1,H,W], probability map [n,1,H,W] and the step's output (the logits drawn from); n = the rows of all
    ``draws`` together, each request's rows drawn at its own temperature with its own generator.

    ``known``/``known_mask`` ([H,W], [1,H,W] or [n,1,H,W]) fix pixels for completion; those pixels keep
    their values whatever the model says. ``stepper(model, x)`` makes the per-pixel step (default: the
    model's own; ``RecomputeStepper`` for the naive one). The same tensors are updated in place and
    yielded each time: copy them to keep a frame.
    """
    n = sum(d.n for d in draws)
    if not draws or min(d.n for d in draws) < 1:
        raise ValueError("n must be at least 1")
    device = model.order.device
    shape = (n, 1, model.image_size, model.image_size)
    x = torch.zeros(shape, device=device)
    probs = torch.zeros(shape, device=device)
    mask = _broadcast(known_mask, n, shape, torch.bool, device)
    if mask is None:
        mask = torch.zeros(shape, dtype=torch.bool, device=device)
    if known is not None:
        x = torch.where(mask, _broadcast(known, n, shape, torch.float32, device), x)
        probs = torch.where(mask, model.scale(x), probs)
    elif mask.any():
        raise ValueError("known_mask given without known values")
    x_flat, p_flat, m_flat = x.view(n, -1), probs.view(n, -1), mask.view(n, -1)
    model = model.conditioned_on(mask if known_mask is not None else None)
    step = stepper(model, x) if stepper else model.stepper(x)
    for i, pos in enumerate(step.positions):
        is_known, out = m_flat[:, pos], None
        if not (step.skippable and bool(is_known.all())):
            out = step(i)
            value, p = draw_rows(model, out, draws)
            x_flat[:, pos] = torch.where(is_known, x_flat[:, pos], value)
            p_flat[:, pos] = torch.where(is_known, p_flat[:, pos], p)
        yield Step(i, pos, x, probs, out)


def sample(model, n: int, steps: int | None = None, **options) -> torch.Tensor:
    """The canvas of ``iter_sample`` (same options) when it finishes, or stopped after ``steps`` pixels."""
    x = None
    for step in itertools.islice(iter_sample(model, n, **options), steps):
        x = step.x
    return x


def conditioning(model, known_mask: torch.Tensor) -> tuple[int, int]:
    """How a completion can use the known pixels of ``known_mask`` ([H, W], one mask for the batch).

    Returns (k_all, k_later): k_all known pixels come before the first unknown one in the order the
    model samples in, so every unknown pixel is conditioned on them; the other k_later known pixels
    come after it and only condition the unknown pixels after them in that order (an earlier unknown
    pixel cannot see them). An order-agnostic model puts every known pixel first: k_later = 0.
    """
    mask = torch.as_tensor(known_mask, dtype=torch.bool).reshape(1, 1, model.image_size, model.image_size)
    order = model.conditioned_on(mask.to(model.order.device)).order
    known = mask.flatten()[order.cpu()]
    unknown = (~known).nonzero()
    first = int(unknown[0]) if len(unknown) else len(known)
    return int(known[:first].sum()), int(known[first:].sum())
