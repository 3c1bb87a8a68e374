"""Shipped checkpoints for the UI: listed once, loaded lazily and once, errors as messages."""
from __future__ import annotations

import functools
import os

import gradio as gr
import torch

from gen_core import checkpoints
from gen_core.models import REGISTRY

torch.set_num_threads(int(os.environ.get("GENLAB_THREADS", "1")))  # tiny per-step work: 1 thread is fastest


@functools.cache
def shipped(task: str | None = None) -> tuple[str, ...]:
    """Checkpoints in checkpoints/, optionally only those of one task ('image', 'text', ...); models
    with a measured test NLL come first, best first (so every menu opens on the best model)."""
    names = [name for name in checkpoints.available() if task is None or task_of(name) == task]
    return tuple(sorted(names, key=measured_nll))


def measured_nll(name: str) -> float:
    """The sidecar's measured test NLL in nats, inf when it has none (or is unreadable)."""
    try:
        return float(checkpoints.read_meta(name).get("metrics", {}).get("test_nll_nats", "inf"))
    except (checkpoints.CheckpointError, TypeError, ValueError):
        return float("inf")


def task_of(name: str) -> str | None:
    """The registry task of a checkpoint, or None when its sidecar is unreadable."""
    try:
        return REGISTRY[checkpoints.read_meta(name)["model"]].task
    except checkpoints.CheckpointError:
        return None


@functools.cache
def _load(name: str):
    return checkpoints.load(name)


def get(name: str):
    """The model of checkpoint ``name``, or a gr.Error saying what is wrong (the app keeps serving)."""
    if not name:
        raise gr.Error("Choose a model first.", print_exception=False)
    try:
        return _load(name)
    except checkpoints.CheckpointError as e:
        raise gr.Error(str(e), print_exception=False) from e


def label(name: str) -> str:
    """'nade-fashion-mnist' -> 'NADE · test NLL 88.1 nats' using the sidecar's measured metric."""
    nll = measured_nll(name)
    return f"{name}" + (f" · test NLL {nll:.1f} nats" if nll < float("inf") else "")
