"""Many visitors, one loop: concurrent sampling requests on one model share one batched draw.

A cached sampling step costs about as much for one image as for sixteen (the time goes to dispatching
each layer's operations, not to arithmetic), so a model serving a crowd should not draw request after
request. A :class:`Batcher` owns one model. Requests that arrive while it is drawing wait for that round
to end, then share the next one: the batch holds every waiting request's rows, up to ``max_images``
(completions: those that know the same pixels, each with its own known values); rows [a, b) belong to one
request and are drawn at its temperature with its generator
(``sampling.Draw``), so every request gets the images it would get alone, and its own stream of steps,
handed over ``chunk`` steps at a time (a frame's worth: a crowd's consumers wake once per frame, not once per
pixel, and leave the interpreter to the loop that draws). When more than ``viewers`` requests are being drawn
or waiting, hand-overs come proportionally less often, every ``chunk * ceil(requests / viewers)`` steps: a crowd's
streams together cost the server what ``viewers`` streams cost (each frame is pictures to encode and send), and
each visitor still sees the draw advance.

Rounds of all batchers take a permit from ``rounds`` (a semaphore: how many run at once, e.g. one per
core). A batcher runs up to ``workers`` rounds at once (a request that arrives while every worker is
drawing starts another); a worker thread ends after ``idle_s`` seconds without requests. A worker that
finds too few requests to fill a round waits for more while they keep coming (each within ``gather_s`` of
the one before, for at most 5 ``gather_s``) before it draws: a crowd's first requests then share a round
instead of each drawing alone, and a lone visitor waits ``gather_s`` once.

By default a model draws one round at a time, of up to 128 images: one round of many images beats several
rounds at once, since a step's time is mostly the interpreter's, which threads take in turn (measured on
2 cores, PixelCNN: 80 images in one round 1.4 s, as 40 + 40 at once 2.4 s).
"""
from __future__ import annotations

import collections
import queue
import threading
import time
from dataclasses import dataclass, field

import torch

from .sampling import Draw, Step, iter_draws

_DONE = object()


@dataclass(eq=False)
class _Ticket:
    draw: Draw
    known: torch.Tensor | None = None  # a completion's known values [1, 1, H, W] and mask [1, 1, H, W]
    mask: torch.Tensor | None = None
    steps: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    cancelled: bool = False

    def joins(self, first: _Ticket) -> bool:
        """Whether this request can be drawn in a round with ``first``: the same pixels known (none, for
        plain sampling); their values may differ. An order-agnostic model samples a mask's known pixels first,
        so one round has one mask."""
        if self.mask is None or first.mask is None:
            return self.mask is first.mask
        return torch.equal(self.mask, first.mask)


class Batcher:
    """Merges concurrent ``iter_sample`` calls on ``model`` into rounds of one batched ``iter_draws`` loop."""

    def __init__(self, model, rounds: threading.Semaphore, workers: int = 1, max_images: int = 128,
                 idle_s: float = 30.0, chunk: int = 1, viewers: int = 4, gather_s: float = 0.05):
        self.model, self.rounds, self.workers, self.max_images, self.idle_s = model, rounds, workers, max_images, idle_s
        self.chunk, self.viewers, self.gather_s = chunk, viewers, gather_s
        self.lock = threading.Condition()
        self.waiting: list[_Ticket] = []
        self.live = self.idle = 0  # worker threads alive, and those of them waiting for requests
        self.drawing = 0  # requests in the rounds being drawn
        self.round_sizes = collections.deque(maxlen=1000)  # requests per recent round (what bench and tests read)

    def iter_sample(self, n: int, temperature: float = 1.0, generator=None, known=None, known_mask=None):
        """The steps of ``sampling.iter_sample(model, n, temperature=, generator=, known=, known_mask=)``, drawn
        in a shared round, in lists of consecutive steps (``chunk`` of them, or more in a crowded round; the last
        list may be shorter): each ``Step`` holds this request's rows only. A completion (``known`` values and
        ``known_mask``, [H, W] or [1, H, W]: one image's) shares rounds with the completions that know the same
        pixels. Closing the iterator gives its rows up."""
        if (known is None) != (known_mask is None):
            raise ValueError("a completion needs both its known values and their mask")
        side = self.model.image_size
        completion = () if known is None else (torch.as_tensor(t).reshape(1, 1, side, side) for t in (known, known_mask))
        ticket = _Ticket(Draw(n, temperature, generator), *completion)
        with self.lock:
            self.waiting.append(ticket)
            if not self.idle and self.live < self.workers:
                self.live += 1
                threading.Thread(target=self._serve, daemon=True, name="genlab-batcher").start()
            self.lock.notify()
        try:
            while (item := ticket.steps.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            ticket.cancelled = True

    def _serve(self):
        while self._requests_came():
            self._gather()
            with self.rounds:  # requests arriving while the permit is awaited join this round
                batch = self._take_round()
                if batch:  # (another worker may have taken them all)
                    self._draw(batch)

    def _requests_came(self) -> bool:
        """Wait for a request; False (and the worker ends) after ``idle_s`` seconds without one."""
        with self.lock:
            self.idle += 1
            came = self.lock.wait_for(lambda: self.waiting, timeout=self.idle_s)
            self.idle -= 1
            if not came:
                self.live -= 1
            return came

    def _gather(self):
        """Wait while requests keep arriving (each within ``gather_s`` of the one before), for at most
        5 ``gather_s``, unless a round's worth of images already waits."""
        deadline = time.monotonic() + 5 * self.gather_s
        seen = None
        while time.monotonic() < deadline:
            with self.lock:
                count, rows = len(self.waiting), sum(t.draw.n for t in self.waiting)
            if count == seen or rows >= self.max_images:
                return
            seen = count
            time.sleep(self.gather_s)

    def _take_round(self) -> list[_Ticket]:
        """The oldest waiting request and, oldest first, those that can join it (``_Ticket.joins``) and fit in
        ``max_images`` rows (the first always does); none when other workers took them first."""
        with self.lock:
            if not self.waiting:
                return []
            batch = [self.waiting.pop(0)]
            rows = batch[0].draw.n
            for ticket in [t for t in self.waiting if t.joins(batch[0])]:
                if rows + ticket.draw.n > self.max_images:
                    break
                self.waiting.remove(ticket)
                batch.append(ticket)
                rows += ticket.draw.n
            self.round_sizes.append(len(batch))
            self.drawing += len(batch)
            return batch

    def _draw(self, batch: list[_Ticket]):
        """One round: every step's rows to their request, a chunk at a time, until the draw ends or every
        request gave up."""
        bounds, a = [], 0
        for ticket in batch:
            bounds.append((a, a + ticket.draw.n))
            a += ticket.draw.n
        pending = []  # the round's steps since the last hand-over
        try:
            completing = {} if batch[0].mask is None else {
                "known": torch.cat([t.known.expand(t.draw.n, -1, -1, -1) for t in batch]), "known_mask": batch[0].mask}
            for step in iter_draws(self.model, [t.draw for t in batch], **completing):
                # the canvas is shared and drawn on in place: later steps only add pixels after step.pos, so the
                # first step's canvas is copied (a recording keeps it) and the rest are the live canvas
                pending.append(step._replace(x=step.x.clone()) if step.i == 0 else step)
                if len(pending) >= self.chunk * -(-(self.drawing + len(self.waiting)) // self.viewers):
                    pending = self._hand_over(batch, bounds, pending)
                    if all(t.cancelled for t in batch):
                        break
            self._hand_over(batch, bounds, pending)
        except Exception as error:  # noqa: BLE001  (every request of the round hears of it)
            for ticket in batch:
                ticket.steps.put(error)
        with self.lock:
            self.drawing -= len(batch)
        for ticket in batch:
            ticket.steps.put(_DONE)

    @staticmethod
    def _hand_over(batch: list[_Ticket], bounds, pending: list[Step]) -> list[Step]:
        """Each request's rows [a, b) of the round's steps since the last hand-over, to it (their outputs cut
        from one stacked tensor, not step by step); an empty list for the next ones."""
        if not pending:
            return []
        scored = all(s.out is not None for s in pending)
        stacked = torch.stack([s.out for s in pending]) if scored else None
        last = pending[-1]
        for ticket, (a, b) in zip(batch, bounds):
            if ticket.cancelled:
                continue
            outs = stacked[:, a:b].unbind(0) if scored else [None if s.out is None else s.out[a:b] for s in pending]
            x, probs = last.x[a:b], last.probs[a:b]
            ticket.steps.put([Step(s.i, s.pos, s.x[a:b] if s.i == 0 else x, probs, out)
                              for s, out in zip(pending, outs)])
        return []
