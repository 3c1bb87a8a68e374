"""The interface every character-level model shares, and the one loop that samples from all of them.

A character model is an autoregressive model over token ids x_0 = <start>, x_1, ..., x_T:

    p(x_1, ..., x_T) = prod_{t=1}^{T} p(x_t | x_0, ..., x_{t-1}),    p(. | x_<t) = softmax(o_t)

where o_t is the model's output vector after reading x_0..x_{t-1} (the lecture's "hello" example:
after "hell" the softmax over the next character should put its mass on "o"). Two ways to get o_t:

  * ``logits(x)``: all of them in one teacher-forced pass (training, scoring);
  * ``start(n)`` then ``step(token, state)``: one token at a time, keeping a state between calls
    (a hidden vector for the recurrent models, a KV cache for the transformer, queues of past
    activations for the WaveNet), for sampling; ``read(x)`` reaches the state after a whole prefix.

``iter_generate`` is the one sampling loop (``generate`` collects it, ``CharLM.sample`` decodes that);
its ``reader`` says which of the two computes o_t: the model's step (``StepReader``, the default) or a
full pass over everything read for every token (``RecomputeReader``, the naive way ``bench`` times).

Sampling draws x_{t+1} ~ softmax(o_t / T), keeping only the k most likely tokens when ``top_k``
is set; T = 0 is greedy (argmax). A model with a finite ``context`` (the transformer, whose window
slides) is primed with the last ``context`` characters of the prime at most, then steps on for as long
as asked.
"""
from __future__ import annotations

import abc
import copy
import string
from dataclasses import dataclass

import torch
import torch.nn as nn

from ..data.text import CharVocab

DEFAULT_CHARS = "\n" + string.printable[:95].replace("\t", "")  # printable ASCII, before a corpus sets its own
WINDOW = 128  # characters per training window, and per window when scoring long texts (see ``score``)


@dataclass
class Prime:
    """A priming text as the model will read it."""

    ids: list[int]   # token ids of the characters kept
    dropped: str     # characters outside the vocabulary, dropped (each listed once)
    cut: int         # characters cut from the front to fit the model's context


class CharLM(nn.Module, abc.ABC):
    """Character model: ``logits`` (teacher forced), ``log_prob``, ``start``/``step``, ``sample``, ``score``.

    ``chars`` are the vocabulary's characters (token ids 1..len(chars); id 0 is <start>) and
    ``end_token`` adds an <end> token (a corpus of separate items, e.g. names).
    """

    context: int | None = None  # positions a prediction attends to (the prime is cut to it); None: unbounded (recurrent)
    receptive_field: int | None = None  # tokens the next prediction reads, when the architecture fixes it (WaveNet)

    def __init__(self, chars: str = DEFAULT_CHARS, end_token: bool = False):
        super().__init__()
        self.vocab = CharVocab(chars, end_token)
        self.n_tokens = len(self.vocab)

    # -- likelihood ------------------------------------------------------------------------------
    @abc.abstractmethod
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """o_1..o_T [B, T, V] from x_0..x_{T-1} [B, T] in one pass: o_t depends on x_<t only."""

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x_t | x_<t) for t = 1..T: [B, T] nats, from x [B, T + 1] starting with <start>."""
        logp = torch.log_softmax(self.logits(x[:, :-1]).float(), dim=-1)
        return logp.gather(-1, x[:, 1:, None])[..., 0]

    def loss(self, batch) -> torch.Tensor:
        """Mean negative log-likelihood per character (nats); ``batch`` = (x, mask of the real targets or None)."""
        x, mask = batch
        nll = -self.log_prob(x)
        return nll.mean() if mask is None else nll[mask].mean()

    # -- one token at a time ---------------------------------------------------------------------
    @abc.abstractmethod
    def start(self, n: int):
        """The state of n empty sequences (before <start> is read)."""

    @abc.abstractmethod
    def step(self, token: torch.Tensor, state) -> tuple[torch.Tensor, object]:
        """Read the next token [n]; return the logits [n, V] of the token after it, and the new state."""

    def read(self, x: torch.Tensor) -> tuple[torch.Tensor, object]:
        """From empty sequences, read tokens x [n, L] (<start> first): the logits [n, V] of the token after
        them, and the state. One ``step`` per token here; a model may read them all in one pass."""
        state = self.start(len(x))
        for token in x.T:
            logits, state = self.step(token, state)
        return logits, state

    # -- text in, text out -----------------------------------------------------------------------
    def prime(self, text: str, max_chars: int | None = None) -> Prime:
        """``text`` as token ids: unknown characters dropped, only the last ``context`` (or ``max_chars``) kept."""
        ids, dropped = self.vocab.encode(text)
        keep = min(c for c in (self.context, max_chars, len(ids)) if c is not None)
        return Prime(ids[len(ids) - keep:], dropped, len(ids) - keep)

    @torch.no_grad()
    def score(self, text: str) -> tuple[list[int], torch.Tensor]:
        """(token ids scored, -log p of each in nats): the surprisal of every known character of ``text``.

        With an <end> token the text is one item (a name) and <end> is scored last. A text longer than
        ``WINDOW`` is scored in windows of ``WINDOW`` characters that overlap by half, each character
        with at least ``WINDOW / 2`` characters of context (see :func:`window_log_probs`).
        """
        ids, _ = self.vocab.encode(text)
        if self.vocab.end:
            ids = ids + [self.vocab.end_id]
        if not ids:
            return [], torch.zeros(0)
        device = next(self.parameters()).device
        return ids, -window_log_probs(self, torch.tensor(ids, device=device)).cpu()

    def sample(self, n: int = 1, length: int = 200, prime: str = "", temperature: float = 1.0,
               top_k: int | None = None, seed: int | None = None,
               generator: torch.Generator | None = None) -> list[str]:
        """n texts: ``prime`` continued by up to ``length`` sampled characters (stopping at <end>), by :func:`generate`.

        Characters of ``prime`` outside the vocabulary raise ValueError (use :meth:`prime` to drop them).
        """
        p = self.prime(prime)
        if p.dropped:
            raise ValueError(f"characters not in the vocabulary: {p.dropped!r}")
        if generator is None and seed is not None:
            generator = torch.Generator(device=next(self.parameters()).device).manual_seed(seed)
        ids = generate(self, p.ids, n, length, temperature, top_k, generator)
        return [self.vocab.decode(row) for row in ids.tolist()]


def draw_token(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
               generator: torch.Generator | None = None, banned: int | None = None) -> torch.Tensor:
    """One token per row of ``logits`` [n, V] from softmax(o / T) over the top k; T <= 0: argmax.

    ``banned`` (the <start> token) is never drawn; top_k >= V (or None, 0) keeps every token.
    """
    o = logits.float().clone()
    if banned is not None:
        o[:, banned] = float("-inf")
    if top_k and top_k < o.shape[1]:
        kth = o.topk(top_k, dim=1).values[:, -1:]
        o = o.masked_fill(o < kth, float("-inf"))
    if temperature <= 0:
        return o.argmax(1)
    return torch.multinomial(torch.softmax(o / temperature, dim=1), 1, generator=generator)[:, 0]


class Reader(abc.ABC):
    """How the sampling loop gets o_t: the logits of the next token after <start> and the characters read.

    ``begin(chars)`` reads <start> then ``chars`` [n, L] afresh; ``extend(tokens)`` reads one more
    token [n]; both return the logits [n, V] of the token after the last one read.
    """

    def __init__(self, model: CharLM, n: int):
        self.model, device = model, next(model.parameters()).device
        self.start_tokens = torch.full((n, 1), model.vocab.start_id, dtype=torch.long, device=device)

    @abc.abstractmethod
    def begin(self, chars: torch.Tensor) -> torch.Tensor:
        """Forget everything, read <start> and ``chars`` [n, L]."""

    @abc.abstractmethod
    def extend(self, tokens: torch.Tensor) -> torch.Tensor:
        """Read one more token per sequence."""


class StepReader(Reader):
    """The model's own ``read``/``step``: each token is read once into its state (hidden vector, KV cache, queues).

    It remembers the state after its last ``begin``, so one reader passed to several loops over the same
    prime (a list of names, each starting with it) reads the prime once, not once per name.
    """

    def __init__(self, model: CharLM, n: int):
        super().__init__(model, n)
        self.read_last: tuple[torch.Tensor, torch.Tensor, object] | None = None  # (chars, logits, state)

    def begin(self, chars):
        if self.read_last is not None and torch.equal(self.read_last[0], chars):
            _, logits, state = self.read_last
            self.state = copy.deepcopy(state)
            return logits
        logits, self.state = self.model.read(torch.cat([self.start_tokens, chars], dim=1))
        self.read_last = chars.clone(), logits, copy.deepcopy(self.state)
        return logits

    def extend(self, tokens):
        logits, self.state = self.model.step(tokens, self.state)
        return logits


class RecomputeReader(Reader):
    """The naive way: one teacher-forced pass (``logits``) over everything read, for every new token."""

    def begin(self, chars):
        self.x = torch.cat([self.start_tokens, chars], dim=1)
        return self.model.logits(self.x)[:, -1]

    def extend(self, tokens):
        self.x = torch.cat([self.x, tokens[:, None]], dim=1)
        return self.model.logits(self.x)[:, -1]


@torch.no_grad()
def iter_generate(model: CharLM, prime_ids: list[int], n: int = 1, length: int = 200, temperature: float = 1.0,
                  top_k: int | None = None, generator: torch.Generator | None = None, reader=StepReader):
    """Yield (t, tokens [n], probs [n, V]) for each of up to ``length`` new tokens after ``prime_ids``.

    ``probs`` is the model's own distribution p(x_{t+1} | x_<=t) (temperature 1, every token) that
    ``tokens`` were drawn from after tempering and top-k. With an <end> token, a sequence that has
    ended keeps yielding <end>, and the loop stops once every sequence has ended. ``reader`` (a
    :class:`Reader` class, or a reader to reuse) says how the logits are computed; it never changes what
    is drawn.
    """
    if n < 1 or length < 0:
        raise ValueError("n must be at least 1 and length at least 0")
    vocab, context, device = model.vocab, model.context, next(model.parameters()).device
    if context is not None:
        prime_ids = prime_ids[len(prime_ids) - min(len(prime_ids), context):]
    prime = torch.tensor(prime_ids, dtype=torch.long, device=device).reshape(1, -1).expand(n, -1)
    read = reader(model, n) if isinstance(reader, type) else reader
    logits = read.begin(prime)
    done = torch.zeros(n, dtype=torch.bool, device=device)
    for t in range(length):
        probs = torch.softmax(logits.float(), dim=1)
        tokens = draw_token(logits, temperature, top_k, generator, banned=vocab.start_id)
        if vocab.end:
            tokens = torch.where(done, vocab.end_id, tokens)
            done |= tokens == vocab.end_id
        yield t, tokens, probs
        if bool(done.all()) or t == length - 1:
            return
        logits = read.extend(tokens)


def generate(model: CharLM, prime_ids: list[int], n: int = 1, length: int = 200, temperature: float = 1.0,
             top_k: int | None = None, generator: torch.Generator | None = None, reader=StepReader) -> torch.Tensor:
    """Token ids [n, len(prime) + up to ``length``]: ``prime_ids`` continued by :func:`iter_generate`
    (a sequence that has ended is padded with <end>)."""
    prime = torch.tensor(prime_ids, dtype=torch.long).reshape(1, -1).expand(n, -1)
    drawn = [tokens[:, None].cpu() for _, tokens, _ in iter_generate(model, prime_ids, n, length, temperature,
                                                                     top_k, generator, reader)]
    return torch.cat([prime, *drawn], dim=1)


def spans(n: int, window: int) -> list[tuple[int, int, int]]:
    """(start, first, end) per window: window [start, end) scores characters [first, end).

    The first window scores its whole length; each later one moves on by window/2 and scores only
    its last window/2 characters, so every character is scored once with >= window/2 of context.
    """
    stride, covered, out = max(1, window // 2), 0, []
    while covered < n:
        end = min(covered + (stride if out else window), n)
        out.append((max(0, end - window), covered, end))
        covered = end
    return out


@torch.no_grad()
def window_log_probs(model: CharLM, ids: torch.Tensor, window: int = WINDOW, batch: int = 64) -> torch.Tensor:
    """log p(x_i | <start>, up to ``window`` - 1 characters before it) for every token of ``ids`` [N]."""
    window = min(window, model.context or window)
    out = torch.empty(len(ids), dtype=torch.float32, device=ids.device)
    windows = spans(len(ids), window)
    start = torch.full((1,), model.vocab.start_id, dtype=torch.long, device=ids.device)
    for k in range(0, len(windows), batch):  # every window has the same length: min(window, N)
        chunk = windows[k:k + batch]
        lps = model.log_prob(torch.stack([torch.cat([start, ids[s:e]]) for s, _, e in chunk]))
        for (s, first, e), lp in zip(chunk, lps):
            out[first:e] = lp[first - s:e - s]
    return out
