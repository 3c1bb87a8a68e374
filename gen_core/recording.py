"""A draw recorded step by step, so it can be replayed, paused and scrubbed without recomputing.

Sampling writes one pixel per step, x_{o_i} ~ p(x_{o_i} | x_{o_<i}), so the whole run is determined by
the order o, the final canvas and, for inspection, the distribution each pixel was drawn from:

    canvas after k steps = the final canvas on the pixels o_1..o_k (and the known pixels), 0 elsewhere.

For 16 binary images that is 784 x 16 probabilities; for the 8-bit model the 32 likeliest of each step's 256
levels (784 x 16 x 32 in float16, 1.2 MB), with each step's expected intensity from all 256.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .sampling import Step


TOP = 32  # levels kept per step for a model over many levels (the 8-bit model's 256): where the mass is


@dataclass
class Recording:
    """``order`` [D] the positions in the order drawn; ``x`` the canvas after ``steps`` steps [n, 1, H, W];
    ``dists`` [D, n, C] the tempered distribution of each step: C = 1, p(x = 1), for a binary model; each
    level's probability for up to TOP levels; for more levels, the TOP likeliest, which ``levels`` [D, n, TOP]
    names (NaN for a step where every image knew its pixel); ``expect`` [D, n] the probability of ink or the
    expected intensity E[x] / (K - 1) of each step, from the whole distribution; ``known`` [n, 1, H, W] the
    pixels given and, for a completion, ``original`` [1, 1, H, W] the image they were taken from."""
    order: torch.Tensor
    x: torch.Tensor
    dists: torch.Tensor
    levels: torch.Tensor | None
    expect: torch.Tensor
    known: torch.Tensor
    n_values: int
    steps: int = 0
    original: torch.Tensor | None = None

    @classmethod
    def start(cls, model, n: int, known_mask: torch.Tensor | None = None,
              original: torch.Tensor | None = None) -> "Recording":
        size, d = model.image_size, model.num_pixels
        channels = 1 if model.n_values == 2 else model.n_values  # what ``model.distribution`` gives per step
        known = torch.zeros(n, 1, size, size, dtype=torch.bool)
        if known_mask is not None:
            known |= torch.as_tensor(known_mask, dtype=torch.bool).cpu()
        kept = min(channels, TOP)
        levels = torch.zeros(d, n, kept, dtype=torch.uint8) if channels > TOP else None
        return cls(torch.zeros(d, dtype=torch.long), torch.zeros(n, 1, size, size),
                   torch.full((d, n, kept), float("nan"), dtype=torch.float16), levels,
                   torch.full((d, n), float("nan")), known, model.n_values, original=original)

    def add(self, model, step: Step, temperature: float) -> None:
        """Keep one step of ``sampling.iter_sample`` (in order: step.i == self.steps)."""
        self.extend(model, [step], temperature)

    def extend(self, model, steps: list[Step], temperature: float) -> None:
        """Keep consecutive steps of ``sampling.iter_sample`` (the first is step ``self.steps``), their
        distributions computed in one batch."""
        self.order[[s.i for s in steps]] = torch.tensor([s.pos for s in steps])
        scored = [s for s in steps if s.out is not None]
        if scored:
            i = [s.i for s in scored]
            out = scored[0].out if len(scored) == 1 else torch.cat([s.out for s in scored])  # add(): no copy
            probs = model.distribution(out, temperature).float().cpu()
            probs = probs.view(len(scored), -1, probs.shape[-1])                      # [steps, n, C]
            binary = probs.shape[-1] == 1
            self.expect[i] = probs[..., 0] if binary else probs @ torch.linspace(0, 1, probs.shape[-1])
            if self.levels is None:
                self.dists[i] = probs.to(torch.float16)
            else:
                top = probs.topk(self.dists.shape[-1], dim=-1)
                self.dists[i], self.levels[i] = top.values.to(torch.float16), top.indices.to(torch.uint8)
        if steps[0].i == 0:  # the canvas as it starts: the known pixels (and the pixels drawn, written below)
            self.x = steps[0].x.detach().cpu().clone()
        positions = [s.pos for s in steps]
        self.x.flatten(1)[:, positions] = steps[-1].x.flatten(1)[:, positions].cpu()
        self.steps = steps[-1].i + 1

    def distribution(self, k: int, j: int) -> torch.Tensor:
        """The distribution step k (1-based) of image j was drawn from: [1] p(x = 1), or [K] per level (the
        levels not kept hold 0); NaN where the pixel was given."""
        d = self.dists[k - 1, j].float()
        if self.levels is None:
            return d
        dense = torch.zeros(self.n_values)
        dense[self.levels[k - 1, j].long()] = d
        return dense if not d.isnan().any() else torch.full((self.n_values,), float("nan"))

    def drawn(self, k: int) -> torch.Tensor:
        """Bool [H*W]: the pixels written by the first k steps."""
        mask = torch.zeros(self.order.numel(), dtype=torch.bool)
        mask[self.order[:k]] = True
        return mask

    def canvas(self, k: int) -> torch.Tensor:
        """The canvas after k steps [n, 1, H, W] (0 <= k <= steps): exactly what the model saw before step k + 1."""
        if not 0 <= k <= self.steps:
            raise ValueError(f"step {k} is outside the recorded 0..{self.steps}")
        keep = self.drawn(k).view(1, 1, *self.x.shape[-2:]) | self.known
        return torch.where(keep, self.x, torch.zeros_like(self.x))

    def map(self, k: int) -> torch.Tensor:
        """The probability map after k steps [n, 1, H, W]: what ``expected`` gave each pixel drawn so far,
        a known pixel's own value, 0 elsewhere."""
        n, size = self.x.shape[0], self.x.shape[-1]
        flat = torch.zeros(n, self.order.numel())
        flat[:, self.order[:k]] = self.expect[:k].t()
        known = self.known.view(n, -1)
        flat = torch.where(known | flat.isnan(), self.x.view(n, -1) / (self.n_values - 1), flat)
        return torch.where(self.drawn(k) | known, flat, torch.zeros_like(flat)).view(n, 1, size, size)

    def position(self, k: int) -> int:
        """The pixel written at step k (1-based, as a student counts: step 1 writes order[0])."""
        return int(self.order[k - 1])
