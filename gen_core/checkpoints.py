"""Checkpoints: ``NAME.safetensors`` (tensors only) + ``NAME.json`` (config, protocol, metrics).

Loading never unpickles anything: the JSON names the registry model and its config, the weights
come from safetensors, and every failure raises ``CheckpointError`` with a message saying what is
wrong and how to fix it. A sidecar with ``"weights_dtype": "float16"`` stores its floating-point
weights at half the size; they load back into a float32 model, and the metrics in such a sidecar
are measured on the rounded weights (``round_weights``).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from .models import REGISTRY, build

CHECKPOINT_DIR = Path(os.environ.get("GENLAB_CHECKPOINTS", Path(__file__).resolve().parent.parent / "checkpoints"))


class CheckpointError(RuntimeError):
    """A checkpoint is missing, corrupt or does not match its model."""


def paths(name_or_path: str | os.PathLike) -> tuple[Path, Path]:
    """(weights, sidecar) for a name like 'nade-fashion-mnist' or a path to either file."""
    p = Path(name_or_path)
    if p.suffix in (".safetensors", ".json") or p.parent != Path("."):
        stem = p.with_suffix("") if p.suffix in (".safetensors", ".json") else p
    else:
        stem = CHECKPOINT_DIR / p
    return stem.with_suffix(".safetensors"), stem.with_suffix(".json")


def storage_dtype(meta: dict) -> torch.dtype | None:
    """The dtype the sidecar asks its floating-point weights to be stored in (None: as they are)."""
    name = meta.get("weights_dtype")
    if name is None:
        return None
    if name not in ("float16", "bfloat16", "float32"):
        raise CheckpointError(f"weights_dtype {name!r} is not one of float16, bfloat16, float32")
    return getattr(torch, name)


@torch.no_grad()
def round_weights(model: torch.nn.Module, dtype: torch.dtype) -> None:
    """Round every floating-point weight to ``dtype`` in place (the model keeps its own dtype), so that
    what is measured is exactly what ``save`` stores and ``load`` gives back."""
    for v in model.state_dict().values():
        if v.is_floating_point():
            v.copy_(v.to(dtype))


def save(model: torch.nn.Module, name_or_path, meta: dict) -> Path:
    """Write the weights and the sidecar; ``meta`` must hold 'model' and 'config' (and may set
    ``weights_dtype``)."""
    weights, sidecar = paths(name_or_path)
    weights.parent.mkdir(parents=True, exist_ok=True)
    dtype = storage_dtype(meta)
    tensors = {k: v.detach().to("cpu", dtype if dtype and v.is_floating_point() else v.dtype).contiguous()
               for k, v in model.state_dict().items()}
    tmp = weights.with_suffix(".tmp")
    save_file(tensors, str(tmp))
    os.replace(tmp, weights)
    sidecar.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return weights


def update_meta(name_or_path, fields: dict) -> dict:
    """Add or replace top-level sidecar fields of an existing checkpoint (the weights stay as they are)."""
    meta = {**read_meta(name_or_path), **fields}
    paths(name_or_path)[1].write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def read_meta(name_or_path) -> dict:
    _, sidecar = paths(name_or_path)
    if not sidecar.is_file():
        raise CheckpointError(f"no checkpoint sidecar {sidecar.name}; train one with "
                              f"`python -m gen_core.train MODEL --dataset fashion-mnist`")
    try:
        meta = json.loads(sidecar.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{sidecar.name} is not valid JSON ({e}); retrain or restore it from git") from e
    if not isinstance(meta, dict) or meta.get("model") not in REGISTRY or not isinstance(meta.get("config"), dict):
        raise CheckpointError(f"{sidecar.name} does not name a known model and its config "
                              f"(known models: {', '.join(REGISTRY)}); retrain or restore it from git")
    if not isinstance(meta.get("metrics", {}), dict) or not isinstance(meta.get("dataset", ""), str):
        raise CheckpointError(f"{sidecar.name} has malformed metrics or dataset; retrain or restore it from git")
    return meta


def widened(state: dict[str, torch.Tensor], model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The stored tensors in the dtypes of ``model``'s own (float16 weights become float32 exactly; every
    float16 number is a float32 number), so a half-size file loads into the float32 model it was measured as."""
    own = model.state_dict()
    return {k: v.to(own[k].dtype) if k in own and v.is_floating_point() else v for k, v in state.items()}


def load(name_or_path, device: str | torch.device = "cpu") -> torch.nn.Module:
    """A ready model in eval mode, with ``model.meta`` holding the sidecar."""
    weights, _ = paths(name_or_path)
    meta = read_meta(name_or_path)
    if not weights.is_file():
        raise CheckpointError(f"missing weights {weights.name} (the sidecar is there); retrain or restore it")
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{weights.name} is corrupt or not a safetensors file ({e}); retrain or restore it") from e
    try:
        model = build(meta["model"], meta["config"])
        model.load_state_dict(widened(state, model))
    except (TypeError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{weights.name} does not fit model {meta['model']} with config "
                              f"{meta['config']}: {e}") from e
    model.meta = meta
    return model.to(device).eval()


COMPANIONS = ("timeline", "latents")  # NAME.<kind>.safetensors: what the app shows without the data


def companion_path(name_or_path, kind: str) -> Path:
    """Where a checkpoint's companion file of ``kind`` (a GAN's ``timeline``, a latent model's ``latents``) is."""
    if kind not in COMPANIONS:
        raise ValueError(f"unknown companion {kind!r}; known: {', '.join(COMPANIONS)}")
    stem = paths(name_or_path)[0].with_suffix("")
    return stem.with_name(f"{stem.name}.{kind}.safetensors")


def save_companion(name_or_path, kind: str, tensors: dict[str, torch.Tensor]) -> Path:
    path = companion_path(name_or_path, kind)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path))
    return path


def read_companion(name_or_path, kind: str) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint's companion file, or ``CheckpointError`` saying what is wrong."""
    path = companion_path(name_or_path, kind)
    if not path.is_file():
        raise CheckpointError(f"no {kind} file {path.name}; retrain the model to make one")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path.name} is corrupt or not a safetensors file ({e}); retrain or restore it") from e


def available(directory: str | os.PathLike | None = None) -> list[str]:
    """Names of the checkpoints in ``directory`` (weights and sidecar both present), sorted."""
    folder = Path(directory) if directory else CHECKPOINT_DIR
    return sorted(p.stem for p in folder.glob("*.json") if p.with_suffix(".safetensors").is_file())


def _header(path: Path, what: str) -> None:
    """Parse a safetensors file's header (cheap: no tensor is read), or raise ``CheckpointError``."""
    try:
        with safe_open(str(path), "pt"):
            pass
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path.name} ({what}) is corrupt ({e}); retrain or restore it") from e


def problem(name: str) -> str | None:
    """What stops checkpoint ``name`` from loading, found cheaply (the sidecar read, the weights' header
    parsed), or None when it looks whole."""
    try:
        read_meta(name)
        weights, _ = paths(name)
        if not weights.is_file():
            raise CheckpointError(f"missing weights {weights.name} (the sidecar is there); retrain or restore it")
        _header(weights, "weights")
    except CheckpointError as e:
        return str(e)
    return None


def companion_problems(name: str) -> list[str]:
    """What is wrong with the companion files a checkpoint has (a truncated timeline, ...): only the views
    that read them are affected."""
    found = []
    for kind in COMPANIONS:
        path = companion_path(name, kind)
        if path.is_file():
            try:
                _header(path, kind)
            except CheckpointError as e:
                found.append(str(e))
    return found


MEASUREMENTS = {"bench", "neighbours", "ood"}  # JSON files in checkpoints/ that are the project's measurements


def sidecars(directory: str | os.PathLike | None = None) -> list[str]:
    """Names of every sidecar in ``directory``, whole or not (to report the broken ones), sorted."""
    folder = Path(directory) if directory else CHECKPOINT_DIR
    return sorted(p.stem for p in folder.glob("*.json") if p.stem not in MEASUREMENTS)
