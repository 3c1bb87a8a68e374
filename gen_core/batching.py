"""Many visitors, one loop: concurrent sampling requests on one model share one batched draw.

A cached sampling step costs about as much for one image as for sixteen (the time goes to dispatching
each layer's operations, not to arithmetic), so a model serving a crowd should not draw request after
request. A :class:`Batcher` owns one model. Requests that arrive while it is drawing wait for that round
to end, then share the next one: the batch holds every waiting request's rows, up to ``max_images``;
rows [a, b) belong to one request and are drawn at its temperature with its generator
(``sampling.Draw``), so every request gets the images it would get alone, and its own stream of steps.

Rounds of all batchers take a permit from ``rounds`` (a semaphore: how many run at once, e.g. one per
core). A batcher runs up to ``workers`` rounds at once (a request that arrives while every worker is
drawing starts another, so a crowd on one model keeps every core busy); a worker thread ends after
``idle_s`` seconds without requests.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field

from .sampling import Draw, Step, iter_draws

_DONE = object()


@dataclass(eq=False)
class _Ticket:
    draw: Draw
    steps: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    cancelled: bool = False


class Batcher:
    """Merges concurrent ``iter_sample`` calls on ``model`` into rounds of one batched ``iter_draws`` loop."""

    def __init__(self, model, rounds: threading.Semaphore, workers: int = 2, max_images: int = 64,
                 idle_s: float = 30.0):
        self.model, self.rounds, self.workers, self.max_images, self.idle_s = model, rounds, workers, max_images, idle_s
        self.lock = threading.Condition()
        self.waiting: list[_Ticket] = []
        self.live = self.idle = 0  # worker threads alive, and those of them waiting for requests
        self.round_sizes: list[int] = []  # requests per round so far (what bench and the tests read)

    def iter_sample(self, n: int, temperature: float = 1.0, generator=None):
        """The steps of ``sampling.iter_sample(model, n, temperature=, generator=)``, drawn in a shared round:
        each ``Step`` holds this request's rows only. Closing the iterator gives its rows up."""
        ticket = _Ticket(Draw(n, temperature, generator))
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

    def _take_round(self) -> list[_Ticket]:
        """The waiting requests, oldest first, that fit in ``max_images`` rows (the first always does); none
        when other workers took them first."""
        with self.lock:
            batch, rows = [], 0
            while self.waiting and (not batch or rows + self.waiting[0].draw.n <= self.max_images):
                batch.append(self.waiting.pop(0))
                rows += batch[-1].draw.n
            if batch:
                self.round_sizes.append(len(batch))
            return batch

    def _draw(self, batch: list[_Ticket]):
        """One round: every step's rows to their request, until the draw ends or every request gave up."""
        bounds, a = [], 0
        for ticket in batch:
            bounds.append((a, a + ticket.draw.n))
            a += ticket.draw.n
        try:
            for step in iter_draws(self.model, [t.draw for t in batch]):
                for ticket, (a, b) in zip(batch, bounds):
                    # the canvas is shared and drawn on in place: later steps only add pixels after step.pos,
                    # so the first step's rows are copied (a recording keeps them) and the rest are views
                    x = step.x[a:b].clone() if step.i == 0 else step.x[a:b]
                    out = None if step.out is None else step.out[a:b]
                    ticket.steps.put(Step(step.i, step.pos, x, step.probs[a:b], out))
                if all(t.cancelled for t in batch):
                    break
        except Exception as error:  # noqa: BLE001  (every request of the round hears of it)
            for ticket in batch:
                ticket.steps.put(error)
        for ticket in batch:
            ticket.steps.put(_DONE)
