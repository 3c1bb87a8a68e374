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

The ordering is a value, never state: ``masks(order, seed)`` builds the masks of an ordering and
connectivity, every pass takes them as an argument, and ``conditioned_on(known_mask)`` gives a view of
MADE in the known-first ordering to complete with; nothing in the module changes while it samples or
scores, so concurrent calls on one model cannot disturb each other.

``log_prob`` averages the probabilities of K = ``eval_orders`` members, p(x) = (1/K) sum_k p_k(x),
still a normalized model: member k is the scan ``orderings[k mod len(orderings)]`` with its own
connectivity (hidden-degree draw). A scan reads the image line by line, "rows" or "columns", from
one of its four corners: "rows from top-left" is the raster order (the default), and the eight
scans are the raster order of the image's eight rotations and reflections. ``logits``, the
per-pixel log-probabilities and sampling use the first member (``order`` is its scan). The minibatches that are not random
orderings train these scans: with ``fixed_masks`` exactly the K members, one drawn per minibatch
(the paper's finite set of masks cycled during training); otherwise a scan with fresh hidden
degrees. ``dropout`` zeroes each hidden unit with that probability during training (a wide MADE
overfits: its raster training NLL runs ~5 nats below validation).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..sampling import Stepper
from .base import ImageAR, conditional_log_prob


CORNERS = {"top-left": (), "top-right": (1,), "bottom-left": (0,), "bottom-right": (0, 1)}
SCANS = [f"{lines} from {corner}" for lines in ("rows", "columns") for corner in CORNERS]


def scan(name: str, size: int) -> torch.Tensor:
    """The pixel indices of a size x size image in the order of the scan ``name`` (one of ``SCANS``)."""
    if name not in SCANS:
        raise ValueError(f"unknown ordering {name!r}; choose from {SCANS}")
    lines, _, corner = name.partition(" from ")
    grid = torch.arange(size * size).view(size, size).flip(CORNERS[corner])
    return (grid if lines == "rows" else grid.t()).flatten()


def known_first_order(known_mask: torch.Tensor) -> torch.Tensor:
    """An ordering with the known pixels first, then the unknown ones, each in raster order."""
    flat = torch.as_tensor(known_mask, dtype=torch.bool).flatten().cpu()
    return torch.cat([flat.nonzero()[:, 0], (~flat).nonzero()[:, 0]])


@dataclass(frozen=True)
class Masks:
    """The masks of one ordering o and connectivity: M^l [h_l, h_(l-1)] of each hidden layer (the first also
    masks V), the output mask [D, h_L] and the direct input-to-output mask [D, D] (also masking its V)."""
    order: torch.Tensor
    hidden: tuple[torch.Tensor, ...]
    out: torch.Tensor
    direct: torch.Tensor


class MADE(ImageAR):
    order_agnostic = True

    def __init__(self, image_size: int = 28, hidden: tuple[int, ...] = (1000, 1000),
                 eval_orders: int = 8, orderings: tuple[str, ...] = ("rows from top-left",),
                 random_order_p: float = 0.5, fixed_masks: bool = False, dropout: float = 0.0, seed: int = 0):
        super().__init__(image_size, n_values=2)
        if not orderings:
            raise ValueError(f"MADE needs at least one ordering, from {SCANS}")
        self.scans = [scan(name, image_size) for name in orderings]
        d = self.num_pixels
        sizes = [d, *hidden]
        self.hidden_layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.visible = nn.Linear(d, sizes[1], bias=False)       # V: which inputs a unit sees
        self.out = nn.Linear(sizes[-1], d)
        self.direct = nn.Linear(d, d, bias=False)
        self.direct_visible = nn.Linear(d, d, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.eval_orders, self.random_order_p, self.seed = eval_orders, random_order_p, seed
        self.fixed_masks = fixed_masks
        self._train_gen = torch.Generator().manual_seed(seed)  # draws the training orderings: training only
        self.order.copy_(self.scans[0])                            # the first member's scan, never changed

    # -- orderings and their masks ---------------------------------------------------------------
    def masks(self, order: torch.Tensor, connectivity_seed: int | None = None) -> Masks:
        """The masks for ``order`` (a permutation of 0..D-1) with hidden degrees drawn from
        ``connectivity_seed`` (None: fresh ones from the training generator)."""
        d = self.num_pixels
        order = torch.as_tensor(order, dtype=torch.long).cpu()
        if sorted(order.tolist()) != list(range(d)):
            raise ValueError("order must be a permutation of the pixel positions")
        gen = self._train_gen if connectivity_seed is None else torch.Generator().manual_seed(connectivity_seed)
        m_in = torch.empty(d, dtype=torch.long)
        m_in[order] = torch.arange(1, d + 1)                      # m^0(d) = position of pixel d in o
        m_prev, hidden = m_in, []
        for layer in self.hidden_layers:
            low = int(m_prev.min())
            m_k = torch.randint(low, d, (layer.out_features,), generator=gen)  # {low, .., D-1}
            hidden.append(m_k[:, None] >= m_prev[None, :])
            m_prev = m_k
        w = self.out.weight
        return Masks(order.to(w.device), tuple(m.to(w) for m in hidden), (m_in[:, None] > m_prev[None, :]).to(w),
                     (m_in[:, None] > m_in[None, :]).to(w))

    def eval_state(self, k: int) -> tuple[torch.Tensor, int]:
        """(ordering, connectivity seed) of the k-th member of the evaluation ensemble."""
        return self.scans[k % len(self.scans)], self.seed + k

    def member(self, k: int) -> Masks:
        return self.masks(*self.eval_state(k))

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
        return known_first_order(known), None

    # -- the model -------------------------------------------------------------------------------
    def masked_logits(self, x: torch.Tensor, m: Masks) -> torch.Tensor:
        """Logits of every p(x_d | x_(o_<m(d))) in the ordering and connectivity of the masks ``m``."""
        xs = x.flatten(1)
        ones = torch.ones_like(xs[:1])
        first, *rest = self.hidden_layers
        h = self.dropout(torch.relu(F.linear(xs, first.weight * m.hidden[0], first.bias)
                                    + F.linear(ones, self.visible.weight * m.hidden[0])))
        for layer, mask in zip(rest, m.hidden[1:]):
            h = self.dropout(torch.relu(F.linear(h, layer.weight * mask, layer.bias)))
        out = (F.linear(h, self.out.weight * m.out, self.out.bias) + F.linear(xs, self.direct.weight * m.direct)
               + F.linear(ones, self.direct_visible.weight * m.direct))
        return out.view_as(x)

    def logits(self, x):
        """Logits of the first member (ordering ``order``)."""
        return self.masked_logits(x, self.member(0))

    def masked_log_prob(self, x: torch.Tensor, m: Masks) -> torch.Tensor:
        return conditional_log_prob(self.masked_logits(x, m), x, self.n_values).flatten(1).sum(1)

    def loss(self, x):
        """Order-agnostic training: the ordering and connectivity of ``training_state`` for every minibatch."""
        return -self.masked_log_prob(x, self.masks(*self.training_state())).mean()

    def log_prob(self, x):
        """log (1/K) sum_k p_k(x) over the K = eval_orders members of ``eval_state``."""
        per_order = torch.stack([self.masked_log_prob(x, self.member(k)) for k in range(self.eval_orders)])
        return torch.logsumexp(per_order, 0) - math.log(self.eval_orders)

    def stepper(self, x):
        return MADEStepper(self, x, self.member(0))

    def conditioned_on(self, known_mask):
        """MADE in the ordering with the known pixels first (and the first member's connectivity), so
        every unknown pixel is conditioned on all of them: a view sharing the weights."""
        if known_mask is None:
            return self
        mask = known_mask.reshape(-1, self.num_pixels)
        if not bool((mask == mask[:1]).all()):
            raise ValueError("MADE completes a batch that shares one mask; complete each image on its own")
        return MADEInOrder(self, self.masks(known_first_order(mask[0]), self.seed))


class MADEInOrder:
    """MADE with its masks fixed to one ordering (``order``): what a completion samples with."""

    order_agnostic = True

    def __init__(self, made: MADE, masks: Masks):
        self.made, self.masks, self.order = made, masks, masks.order

    def __getattr__(self, name):  # image_size, n_values, scale, ...: the model's
        return getattr(self.made, name)

    def logits(self, x):
        return self.made.masked_logits(x, self.masks)

    def log_prob(self, x):
        return self.made.masked_log_prob(x, self.masks)

    def stepper(self, x):
        return MADEStepper(self.made, x, self.masks)


class MADEStepper(Stepper):
    """Masks fixed for the whole draw: the first layer's pre-activation a^1 += W^1_{:,j} x_j is kept
    running (as in NADE), deeper layers run once per step, and only output row o_i is computed."""

    def __init__(self, model: MADE, x, m: Masks):
        super().__init__(model, x, m.order)
        first, *rest = model.hidden_layers
        self.W1 = (first.weight * m.hidden[0]).t().contiguous()            # [d, h1]
        sees = (model.visible.weight * m.hidden[0]).sum(1)                  # V 1
        self.a1 = (first.bias + sees).expand(x.shape[0], -1).clone()
        self.deeper = [(layer.weight * mask, layer.bias) for layer, mask in zip(rest, m.hidden[1:])]
        self.V = model.out.weight * m.out                                   # [d, hL]
        self.out_bias = model.out.bias
        self.direct = model.direct.weight * m.direct                        # [d, d]
        self.direct_sees = (model.direct_visible.weight * m.direct).sum(1)

    def __call__(self, i):
        pos, xs = self.positions[i], self.x.flatten(1)
        if i > 0:
            prev = self.positions[i - 1]
            self.a1 += xs[:, prev, None] * self.W1[prev]
        h = torch.relu(self.a1)
        for W, b in self.deeper:
            h = torch.relu(F.linear(h, W, b))
        return (h @ self.V[pos] + self.out_bias[pos] + xs @ self.direct[pos] + self.direct_sees[pos])[:, None]
