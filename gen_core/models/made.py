"""MADE: masked autoencoder for distribution estimation (Germain et al., 2015).

    p(x) = prod_i p(x_{o_i} | x_{o_<i}),   p(x_d = 1 | x_{o_<m(d)}) = sigma(out_d)

An autoencoder whose weights are masked so that output d only depends on inputs that come before
d in the ordering o. The slide's algorithm: give input d the degree m^0(d) = its position in o
(1..D); give hidden unit k of layer l a degree m^l(k) drawn uniformly from {min_k' m^{l-1}(k'), .., D-1};
keep a weight from unit k' to k when m^l(k) >= m^{l-1}(k'), and from hidden unit k to output d when
m^0(d) > m^L(k). A direct input-to-output connection is masked with m^0(d) > m^0(j).

Order-agnostic training: a minibatch uses one of the scans below (raster by default) or, with
probability ``random_order_p``, a fresh random ordering of the kind completion samples in — a random
set S of pixels first, then the rest, each part in raster order — with fresh hidden degrees. S is the
complement of a random rectangle (a hidden region) or a random subset of random density (scattered
known pixels). One set of weights then serves all these 2^D orderings, and MADE completes an image
from *any* set of known pixels by putting them first. Because a 0 input means "black" in one
ordering and "not visible yet" in another, the first layer and the direct connection also receive
the all-ones vector through their own masked weights V: unit k gets the bias sum_{j visible to k} V_kj,
i.e. it knows which inputs it sees.

``log_prob`` averages the probabilities of K = ``eval_orders`` members, p(x) = (1/K) sum_k p_k(x),
still a normalized model: member k is the scan ``orderings[k mod len(orderings)]`` with its own
connectivity (hidden-degree draw). A scan reads the image line by line, "rows" or "columns", from
one of its four corners: "rows from top-left" is the raster order (the default), and the eight
scans are the raster order of the image's eight rotations and reflections. ``logits``, the
per-pixel log-probabilities and sampling use the first member. The minibatches that are not random
orderings train these scans: with ``fixed_masks`` exactly the K members, one drawn per minibatch
(the paper's finite set of masks cycled during training); otherwise a scan with fresh hidden
degrees. ``dropout`` zeroes each hidden unit with that probability during training (a wide MADE
overfits: its raster training NLL runs ~5 nats below validation).
"""
from __future__ import annotations

import contextlib
import math

import torch
import torch.nn as nn

from ..nn import MaskedLinear
from ..sampling import Stepper
from .base import ImageAR


CORNERS = {"top-left": (), "top-right": (1,), "bottom-left": (0,), "bottom-right": (0, 1)}
SCANS = [f"{lines} from {corner}" for lines in ("rows", "columns") for corner in CORNERS]


def scan(name: str, size: int) -> torch.Tensor:
    """The pixel indices of a size x size image in the order of the scan ``name`` (one of ``SCANS``)."""
    if name not in SCANS:
        raise ValueError(f"unknown ordering {name!r}; choose from {SCANS}")
    lines, _, corner = name.partition(" from ")
    grid = torch.arange(size * size).view(size, size).flip(CORNERS[corner])
    return (grid if lines == "rows" else grid.t()).flatten()


class MADE(ImageAR):
    def __init__(self, image_size: int = 28, hidden: tuple[int, ...] = (1000, 1000),
                 eval_orders: int = 8, orderings: tuple[str, ...] = ("rows from top-left",),
                 random_order_p: float = 0.5, fixed_masks: bool = False, dropout: float = 0.0, seed: int = 0):
        super().__init__(image_size, n_values=2)
        if not orderings:
            raise ValueError(f"MADE needs at least one ordering, from {SCANS}")
        self.scans = [scan(name, image_size) for name in orderings]
        d = self.num_pixels
        sizes = [d, *hidden]
        self.hidden_layers = nn.ModuleList(MaskedLinear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.visible = MaskedLinear(d, sizes[1], bias=False)       # V: which inputs a unit sees
        self.out = MaskedLinear(sizes[-1], d)
        self.direct = MaskedLinear(d, d, bias=False)
        self.direct_visible = MaskedLinear(d, d, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.eval_orders, self.random_order_p, self.seed = eval_orders, random_order_p, seed
        self.fixed_masks = fixed_masks
        self._train_gen = torch.Generator().manual_seed(seed)
        self.set_order(*self.eval_state(0))

    # -- masks -----------------------------------------------------------------------------------
    def set_order(self, order: torch.Tensor, connectivity_seed: int | None = None) -> None:
        """Rebuild every mask for ``order`` (a permutation of 0..D-1) with fresh hidden degrees."""
        d = self.num_pixels
        order = torch.as_tensor(order, dtype=torch.long).cpu()
        if sorted(order.tolist()) != list(range(d)):
            raise ValueError("order must be a permutation of the pixel positions")
        gen = self._train_gen if connectivity_seed is None else torch.Generator().manual_seed(connectivity_seed)
        m_in = torch.empty(d, dtype=torch.long)
        m_in[order] = torch.arange(1, d + 1)                      # m^0(d) = position of pixel d in o
        m_prev = m_in
        for layer in self.hidden_layers:
            low = int(m_prev.min())
            m_k = torch.randint(low, d, (layer.out_features,), generator=gen)  # {low, .., D-1}
            layer.set_mask(m_k[:, None] >= m_prev[None, :])
            m_prev = m_k
        self.visible.set_mask(self.hidden_layers[0].mask)
        self.out.set_mask(m_in[:, None] > m_prev[None, :])
        self.direct.set_mask(m_in[:, None] > m_in[None, :])
        self.direct_visible.set_mask(self.direct.mask)
        self.order.copy_(order.to(self.order.device))

    def training_state(self) -> tuple[torch.Tensor, int | None]:
        """(ordering, connectivity seed) of the next minibatch: one of the scans, or with probability
        ``random_order_p`` a random set of known pixels first. The seed is None (fresh hidden degrees)
        except for a scan with ``fixed_masks``: then that of one of the K evaluation members."""
        g = self._train_gen
        if torch.rand((), generator=g) >= self.random_order_p:
            order, seed = self.eval_state(int(torch.randint(self.eval_orders, (), generator=g)))
            return order, seed if self.fixed_masks else None
        size = self.image_size
        if torch.rand((), generator=g) < 0.5:  # scattered known pixels, density u ~ U(0, 1)
            known = torch.rand(size, size, generator=g) < torch.rand((), generator=g)
        else:  # everything known but a random rectangle
            r0, r1 = sorted(torch.randint(0, size + 1, (2,), generator=g).tolist())
            c0, c1 = sorted(torch.randint(0, size + 1, (2,), generator=g).tolist())
            known = torch.ones(size, size, dtype=torch.bool)
            known[r0:r1, c0:c1] = False
        return self.known_first_order(known), None

    def known_first_order(self, known_mask: torch.Tensor) -> torch.Tensor:
        """An ordering with the known pixels first, then the unknown ones, each in raster order."""
        flat = torch.as_tensor(known_mask, dtype=torch.bool).flatten().cpu()
        return torch.cat([flat.nonzero()[:, 0], (~flat).nonzero()[:, 0]])

    # -- the model -------------------------------------------------------------------------------
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits under the current ordering ``self.order``."""
        xs = x.flatten(1)
        ones = torch.ones_like(xs[:1])
        first, *rest = self.hidden_layers
        h = self.dropout(torch.relu(first(xs) + self.visible(ones)))
        for layer in rest:
            h = self.dropout(torch.relu(layer(h)))
        return (self.out(h) + self.direct(xs) + self.direct_visible(ones)).view_as(x)

    def loss(self, x):
        """Order-agnostic training: the ordering and connectivity of ``training_state`` for every minibatch."""
        self.set_order(*self.training_state())
        return -super().log_prob(x).mean()

    def eval_state(self, k: int) -> tuple[torch.Tensor, int]:
        """(ordering, connectivity seed) of the k-th member of the evaluation ensemble."""
        return self.scans[k % len(self.scans)], self.seed + k

    def log_prob(self, x):
        """log (1/K) sum_k p_k(x) over the K = eval_orders members of ``eval_state``."""
        per_order = []
        for k in range(self.eval_orders):
            self.set_order(*self.eval_state(k))
            per_order.append(super().log_prob(x))
        self.set_order(*self.eval_state(0))
        return torch.logsumexp(torch.stack(per_order), 0) - math.log(self.eval_orders)

    def stepper(self, x):
        return MADEStepper(self, x)

    @contextlib.contextmanager
    def sampling_order(self, known_mask):
        """Sample the known pixels first (so every one is conditioned on), then the rest in raster order."""
        if known_mask is not None:
            mask = known_mask.reshape(-1, self.num_pixels)
            if not bool((mask == mask[:1]).all()):
                raise ValueError("MADE completes a batch that shares one mask; complete each image on its own")
            self.set_order(self.known_first_order(mask[0]), self.seed)
        try:
            yield
        finally:
            self.set_order(*self.eval_state(0))


class MADEStepper(Stepper):
    """Masks fixed for the whole draw: the first layer's pre-activation a^1 += W^1_{:,j} x_j is kept
    running (as in NADE), deeper layers run once per step, and only output row o_i is computed."""

    def __init__(self, model: MADE, x):
        super().__init__(model, x)
        first, *rest = model.hidden_layers
        self.W1 = (first.weight * first.mask).t().contiguous()            # [d, h1]
        sees = (model.visible.weight * model.visible.mask).sum(1)          # V 1
        self.a1 = (first.bias + sees).expand(x.shape[0], -1).clone()
        self.deeper = [(layer.weight * layer.mask, layer.bias) for layer in rest]
        self.V = model.out.weight * model.out.mask                         # [d, hL]
        self.direct = model.direct.weight * model.direct.mask              # [d, d]
        self.direct_sees = (model.direct_visible.weight * model.direct_visible.mask).sum(1)

    def __call__(self, i):
        m, pos, xs = self.model, self.positions[i], self.x.flatten(1)
        if i > 0:
            prev = self.positions[i - 1]
            self.a1 += xs[:, prev, None] * self.W1[prev]
        h = torch.relu(self.a1)
        for W, b in self.deeper:
            h = torch.relu(torch.nn.functional.linear(h, W, b))
        return (h @ self.V[pos] + m.out.bias[pos] + xs @ self.direct[pos] + self.direct_sees[pos])[:, None]
