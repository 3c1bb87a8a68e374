"""The shipped checkpoints, as the UI sees them: listed once, loaded lazily and once, errors as messages."""
from __future__ import annotations

import functools

from gen_core import checkpoints
from gen_core.data import DATASETS
from gen_core.models import REGISTRY, Spec

from .checks import fail


@functools.cache
def names(task: str | None = None) -> tuple[str, ...]:
    """Checkpoints in checkpoints/, optionally only those of one task ('image', 'text', ...); models
    with a measured test NLL come first, best first (so every menu opens on the best model)."""
    names = [name for name in checkpoints.available()
             if checkpoints.problem(name) is None and (task is None or spec(name).task == task)]
    return tuple(sorted(names, key=measured_nll))


def first(model_name: str) -> str | None:
    """The first shipped checkpoint of registry model ``model_name`` (e.g. 'vae'), or None."""
    task = REGISTRY[model_name].task
    return next((name for name in names(task) if checkpoints.read_meta(name)["model"] == model_name), None)


def problems(task: str | None = None) -> tuple[str, ...]:
    """What is wrong with each checkpoint of a task that cannot be offered (missing or corrupt files), one
    line each, naming the checkpoint and how to fix it; no server paths."""
    found = []
    for name in checkpoints.sidecars():
        spec = REGISTRY.get(name.split("-", 1)[0])
        if task is None or (spec is not None and spec.task == task):
            problem = checkpoints.problem(name)
            if problem:
                found.append(f"{name} is unavailable: {problem}")
            else:
                found += [f"{name}: {p}" for p in checkpoints.companion_problems(name)]
    return tuple(found)


def metrics(name: str) -> dict:
    """The sidecar's measured metrics, empty when it has none (or is unreadable)."""
    try:
        found = checkpoints.read_meta(name).get("metrics")
    except checkpoints.CheckpointError:
        return {}
    return found if isinstance(found, dict) else {}


def measured_nll(name: str) -> float:
    """The sidecar's measured test NLL in nats, inf when it has none (or is unreadable)."""
    try:
        return float(metrics(name).get("test_nll_nats", "inf"))
    except (TypeError, ValueError):
        return float("inf")


def spec(name: str) -> Spec | None:
    """The registry entry of a checkpoint's model (its task; its class, whose attributes say what it can do),
    or None when the sidecar is unreadable."""
    try:
        return REGISTRY[checkpoints.read_meta(name)["model"]]
    except checkpoints.CheckpointError:
        return None


@functools.cache
def _load(name: str):
    return checkpoints.load(name)


def get(name: str):
    """The model of checkpoint ``name``, or a gr.Error saying what is wrong (the app keeps serving)."""
    if not name:
        fail("Choose a model first.")
    try:
        return _load(name)
    except checkpoints.CheckpointError as e:
        fail(str(e))


# the figure a menu shows beside each checkpoint's name: the first of these its sidecar has
HEADLINES = (("test_nll_nats", "test NLL {:.1f} nats"), ("test_iw_nll_nats", "IW bound {:.1f} nats"),
             ("fid_classifier", "FID {:.1f}"), ("test_reconstruction_error_nats", "no likelihood"))


def label(name: str) -> str:
    """'nade-fashion-mnist' -> 'nade-fashion-mnist · test NLL 101.9 nats', from the sidecar's measured metrics."""
    found = metrics(name)
    for key, text in HEADLINES:
        if isinstance(found.get(key), (int, float)):
            return f"{name} · {text.format(found[key])}"
    return name


def class_names(model) -> tuple[str, ...]:
    """The class names of the dataset a model was trained on."""
    return DATASETS[model.meta.get("dataset", "fashion-mnist")]["classes"]
