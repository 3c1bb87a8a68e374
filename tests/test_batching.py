"""Requests that share a round of one batched loop get exactly the images they would get alone."""
import threading
import time

import pytest
import torch

from gen_core import sampling
from gen_core.batching import Batcher
from test_models_base import NAMES, tiny

REQUESTS = [(1, 1.0, 3), (2, 0.7, 5), (3, 1.3, 7)]  # (images, temperature, seed)


def at_once(batcher: Batcher, rounds: threading.Semaphore, requests, consume):
    """Run ``consume(k, steps)`` for every request at once, all of them held until they wait together."""
    rounds.acquire()  # the worker cannot start a round until every request is waiting
    threads = [threading.Thread(target=consume, args=(k, batcher.iter_sample(n, t, torch.Generator().manual_seed(s),
                                                                            *completion)))
               for k, (n, t, s, *completion) in enumerate(requests)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(batcher.waiting) < len(requests) and time.monotonic() < deadline:
        time.sleep(0.01)
    rounds.release()
    for thread in threads:
        thread.join(60)


@pytest.mark.parametrize("name", NAMES)
def test_requests_drawn_together_get_the_images_they_get_alone(name):
    model = tiny(name, 5, std=0.3)
    rounds, results = threading.Semaphore(1), {}
    batcher = Batcher(model, rounds, workers=1)

    def consume(k, chunks):
        results[k] = [step for chunk in chunks for step in chunk]

    at_once(batcher, rounds, REQUESTS, consume)
    assert list(batcher.round_sizes) == [len(REQUESTS)]
    for k, (n, temperature, seed) in enumerate(REQUESTS):
        alone = model.sample(n, temperature=temperature, generator=torch.Generator().manual_seed(seed))
        steps = results[k]
        assert [s.i for s in steps] == list(range(model.num_pixels)) and steps[-1].x.shape[0] == n
        assert torch.equal(steps[-1].x, alone)


@pytest.mark.parametrize("name", ["made", "pixelcnn"])
def test_completions_that_know_the_same_pixels_share_a_round_and_get_what_they_get_alone(name):
    model = tiny(name, 5, std=0.3)
    size, g = model.image_size, torch.Generator().manual_seed(0)
    images = [(torch.rand(size, size, generator=g) < 0.5).float() for _ in range(3)]
    top, left = torch.zeros(2, size, size, dtype=torch.bool)
    top[: size // 2], left[:, : size // 2] = True, True
    requests = [(2, 1.0, 3, images[0], top), (1, 0.8, 4, images[1], top), (2, 1.0, 5, images[2], left), (1, 1.0, 6)]
    rounds, results = threading.Semaphore(1), {}
    batcher = Batcher(model, rounds, workers=1)
    at_once(batcher, rounds, requests, lambda k, chunks: results.__setitem__(k, [s for c in chunks for s in c]))
    assert sorted(batcher.round_sizes) == [1, 1, 2]  # the two completions of the top rows together, the rest alone
    for k, (n, temperature, seed, *completion) in enumerate(requests):
        alone = sampling.sample(model, n, temperature=temperature, generator=torch.Generator().manual_seed(seed),
                                **dict(zip(("known", "known_mask"), completion)))
        assert [s.pos for s in results[k]] == [s.pos for s in sampling.iter_sample(
            model, n, **dict(zip(("known", "known_mask"), completion)))]  # MADE: the known pixels first
        assert torch.equal(results[k][-1].x, alone)
        if completion:
            assert torch.equal(alone[:, 0][:, completion[1]], completion[0][completion[1]].expand(n, -1))


def test_a_request_that_gives_up_leaves_the_others_untouched_and_the_worker_rests():
    model = tiny("pixelcnn", 5, std=0.3)
    rounds, results = threading.Semaphore(1), {}
    batcher = Batcher(model, rounds, workers=1, idle_s=0.05)

    def consume(k, chunks):
        if k == 0:
            next(chunks)
            chunks.close()  # the visitor pressed Stop after one step
        else:
            results[k] = list(chunks)[-1][-1].x

    at_once(batcher, rounds, REQUESTS, consume)
    assert list(batcher.round_sizes) == [len(REQUESTS)]
    for k in (1, 2):
        n, temperature, seed = REQUESTS[k]
        assert torch.equal(results[k], model.sample(n, temperature=temperature,
                                                    generator=torch.Generator().manual_seed(seed)))
    deadline = time.monotonic() + 10
    while batcher.live and time.monotonic() < deadline:
        time.sleep(0.01)
    assert batcher.live == 0
    again = list(batcher.iter_sample(1, 1.0, torch.Generator().manual_seed(3)))  # a new worker serves it
    assert torch.equal(again[-1][-1].x, model.sample(1, generator=torch.Generator().manual_seed(3)))


def test_a_round_takes_at_most_max_images_rows():
    rounds = threading.Semaphore(1)
    batcher = Batcher(tiny("fvsbn", 4), rounds, workers=1, max_images=3)
    at_once(batcher, rounds, [(2, 1.0, 0)] * 3, lambda k, steps: list(steps))
    assert list(batcher.round_sizes) == [1, 1, 1]  # 2 + 2 rows would not fit in 3


def test_a_second_worker_draws_beside_a_busy_one_and_both_get_their_images():
    model, gate = tiny("pixelcnn", 5, std=0.3), threading.Event()
    own_stepper = model.stepper

    class Held:  # the 2-image round stops at its second step until the gate opens
        def __init__(self, x):
            self.step = own_stepper(x)
            self.positions, self.skippable = self.step.positions, self.step.skippable

        def __call__(self, i):
            if i == 1 and len(self.step.x) == 2:
                gate.wait(10)
            return self.step(i)

    model.stepper = Held
    batcher = Batcher(model, threading.Semaphore(2), workers=2)
    first = batcher.iter_sample(2, 1.0, torch.Generator().manual_seed(1))
    held = [next(first)]  # the first worker now waits at the gate, in the middle of its round
    second = list(batcher.iter_sample(3, 1.0, torch.Generator().manual_seed(2)))  # a second worker serves it
    assert batcher.live == 2 and list(batcher.round_sizes) == [1, 1]
    gate.set()
    held += list(first)
    del model.stepper
    for chunks, (n, seed) in ((held, (2, 1)), (second, (3, 2))):
        assert torch.equal(chunks[-1][-1].x, model.sample(n, generator=torch.Generator().manual_seed(seed)))


def test_steps_come_in_chunks_of_consecutive_steps_the_last_one_shorter():
    model, rounds = tiny("pixelcnn", 5, std=0.3), threading.Semaphore(1)
    chunks = list(Batcher(model, rounds, workers=1, chunk=7).iter_sample(2, 1.0, torch.Generator().manual_seed(4)))
    assert [len(c) for c in chunks] == [7, 7, 7, 4]  # 25 pixels
    assert [s.i for c in chunks for s in c] == list(range(25))
    assert torch.equal(chunks[-1][-1].x, model.sample(2, generator=torch.Generator().manual_seed(4)))


def test_a_crowded_round_hands_over_less_often():
    rounds, got = threading.Semaphore(1), {}
    batcher = Batcher(tiny("fvsbn", 5), rounds, workers=1, chunk=7, viewers=2)  # 3 requests: every 2 x 7 steps
    at_once(batcher, rounds, REQUESTS, lambda k, chunks: got.setdefault(k, [len(c) for c in chunks]))
    assert got == {k: [14, 11] for k in range(3)}


def test_requests_arriving_a_moment_apart_share_a_round():
    batcher = Batcher(tiny("fvsbn", 4), threading.Semaphore(1), workers=1, gather_s=0.5)
    first = threading.Thread(target=lambda: list(batcher.iter_sample(1, 1.0, torch.Generator().manual_seed(0))))
    first.start()
    time.sleep(0.2)  # well inside the 0.5 s the worker waits for company
    list(batcher.iter_sample(2, 1.0, torch.Generator().manual_seed(1)))
    first.join(10)
    assert list(batcher.round_sizes) == [2]


def test_a_round_waits_while_requests_keep_coming():
    batcher = Batcher(tiny("fvsbn", 4), threading.Semaphore(1), workers=1, gather_s=0.3)
    threads = [threading.Thread(target=lambda s=s: list(batcher.iter_sample(1, 1.0, torch.Generator().manual_seed(s))))
               for s in range(4)]
    for thread in threads:  # one every 0.1 s: each within gather_s of the one before
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join(10)
    assert list(batcher.round_sizes) == [4]
