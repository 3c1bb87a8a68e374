"""Small layout pieces every tab shares."""
from __future__ import annotations

import functools
import os
import threading

import gradio as gr

from gen_core.batching import Batcher

from . import shipped

WORKERS = int(os.environ.get("GENLAB_HEAVY_WORKERS", "2"))  # model-heavy work at once: one per core
# every event that runs a model over many steps shares one queue of this many workers (the cores), so a
# crowd on one tab cannot starve another and sliders (concurrency_limit=None) never wait behind them
HEAVY = {"concurrency_id": "heavy", "concurrency_limit": WORKERS}
# except Generate and Complete: their requests wait (up to this many at once) for a shared round of their model's
# batched draw (gen_core.batching), and the rounds themselves take the WORKERS permits of ROUNDS
WAITING = int(os.environ.get("GENLAB_WAITING", "48"))
BATCHED = {"concurrency_id": "batched", "concurrency_limit": WAITING}
ROUNDS = threading.Semaphore(WORKERS)
# Gradio's worker threads: each waiting request holds one, and the light events need theirs too
MAX_THREADS = 40 + WAITING
FRAMES_PER_IMAGE = 28  # a draw streams once per row: smooth in a browser without flooding it


@functools.cache
def batcher(model) -> Batcher:
    """The one batcher of a shipped model: visitors drawing (Generate) or completing (Complete) with it at once
    share its rounds (one at a time, of up to 128 images: one big round is faster than two at once), and each
    gets its steps a frame's worth at a time."""
    return Batcher(model, ROUNDS, chunk=frame_steps(model))


def frame_steps(model) -> int:
    """Steps between two frames of a stream: a row of a 28 x 28 image."""
    return max(1, model.num_pixels // FRAMES_PER_IMAGE)

# $...$ inline and $$...$$ display equations (gr.Markdown renders only $$ by default)
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]


def explain(markdown: str) -> gr.Markdown:
    """The explanation a tab opens with, equations rendered."""
    return gr.Markdown(markdown, latex_delimiters=LATEX)


def opening(markdown: str, task: str, missing: str) -> tuple[str, ...]:
    """A tab's explanation, a warning for each of its task's checkpoints that is broken, then its task's
    usable checkpoints (best first); when there are none, a line saying how to train one (``missing``) and an
    empty tuple: the tab has nothing else to show."""
    explain(markdown)
    for problem in shipped.problems(task):
        gr.Markdown(f"⚠️ {problem}")
    names = shipped.names(task)
    if not names:
        gr.Markdown(missing)
    return names


def first_view(tab: gr.Tab, fn, inputs: list, outputs: list) -> None:
    """Draw ``fn(*inputs)`` into ``outputs`` the first time a visitor opens ``tab``, and never again for that
    visitor: what matplotlib draws is not drawn at start-up (importing it alone takes a third of a second)."""
    seen = gr.State(False)

    def once(already_seen: bool, *values):
        if already_seen:
            return gr.skip(), *(gr.skip() for _ in outputs)
        shown = fn(*values)  # as any event function: one value for one output, else one per output
        return True, *(shown if len(outputs) > 1 else (shown,))

    once.checks_room = getattr(fn, "checks_room", False)  # a picture-writing fn stays checked (checks.writes_files)
    tab.select(once, [seen, *inputs], [seen, *outputs], show_progress="hidden", api_visibility="private")
