"""A missing, truncated or malformed file disables only what depends on it: the app still starts, and the
tabs and the Models board say what is wrong (naming the checkpoint, never a server path)."""
import json

import pytest
import torch

from conftest import tiny_checkpoint
from demo import board, build_app, shipped
from gen_core import checkpoints


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def malformed_metrics(d):
    meta = json.loads((d / "nade-b.json").read_text())
    (d / "nade-b.json").write_text(json.dumps({**meta, "metrics": None}))


FAULTS = {  # kind of damage -> (checkpoint it hits, how, what the message says)
    "sidecar not JSON": ("nade-b", lambda d: (d / "nade-b.json").write_text("{"), "not valid JSON"),
    "sidecar a JSON list": ("nade-b", lambda d: (d / "nade-b.json").write_text("[1, 2]"), "does not name a known model"),
    "metrics null": ("nade-b", malformed_metrics, "malformed metrics"),
    "weights missing": ("nade-b", lambda d: (d / "nade-b.safetensors").unlink(), "missing weights"),
    "weights truncated": ("nade-b", lambda d: truncate(d / "nade-b.safetensors"), "is corrupt"),
    "timeline truncated": ("dcgan-b", lambda d: truncate(d / "dcgan-b.timeline.safetensors"), "timeline"),
    "latents truncated": ("vae_2d-b", lambda d: truncate(d / "vae_2d-b.latents.safetensors"), "latents"),
}


@pytest.fixture
def shelf(tmp_path, monkeypatch):
    """Good and soon-to-be-broken tiny checkpoints of three families, with their companion files."""
    for name, model, config in (("nade-a", "nade", {"hidden": 8}), ("nade-b", "nade", {"hidden": 8}),
                                ("dcgan-b", "dcgan", {"z_dim": 8, "channels": 8}),
                                ("vae_2d-b", "vae_2d", {"z_dim": 2, "channels": 4, "hidden": 16})):
        tiny_checkpoint(tmp_path, name, model, config, monkeypatch)
    losses = {key: torch.rand(2) for key in ("loss_G", "loss_D", "D_real", "D_fake")}
    checkpoints.save_companion(tmp_path / "dcgan-b", "timeline", {
        "epoch": torch.arange(1, 3), "frames": torch.zeros(2, 4, 28, 28, dtype=torch.uint8), **losses})
    checkpoints.save_companion(tmp_path / "vae_2d-b", "latents", {"mu": torch.zeros(1000, 2).half(),
                                                                   "labels": torch.zeros(1000, dtype=torch.uint8)})
    yield tmp_path
    shipped._load.cache_clear()
    shipped.names.cache_clear()


@pytest.mark.parametrize("kind", FAULTS)
def test_the_app_starts_and_says_what_is_broken(shelf, kind):
    name, damage, says = FAULTS[kind]
    damage(shelf)
    shipped.names.cache_clear()
    build_app()  # starts
    problems = [p for p in shipped.problems() if p.startswith(name)]
    assert len(problems) == 1 and says in problems[0], shipped.problems()
    assert str(shelf) not in problems[0]
    assert "nade-a" in shipped.names("image")  # the others are unharmed
    assert problems[0] in board.board()[1]     # the Models board lists it
    companion_only = kind.endswith(("timeline truncated", "latents truncated"))
    assert (name in shipped.names()) == companion_only  # a damaged companion costs only its own view


def test_every_event_answering_with_picture_files_first_checks_there_is_room_for_them():
    import gradio as gr

    app = build_app()
    unchecked = [f.name for f in app.fns.values()
                 if any(isinstance(o, (gr.Image, gr.Gallery)) for o in f.outputs)
                 and not getattr(f.fn, "checks_room", False)]
    assert not unchecked


@pytest.mark.parametrize("trouble, says", [("full", "disk is full"), ("read-only", "read-only")])
def test_a_full_or_read_only_temp_dir_is_a_message_not_a_blank_error(monkeypatch, trouble, says):
    import collections

    import gradio as gr

    from demo import checks, latent, picker

    if trouble == "full":
        usage = collections.namedtuple("usage", "total used free")
        monkeypatch.setattr(checks.shutil, "disk_usage", lambda folder: usage(10**9, 10**9, 10**6))
    else:
        monkeypatch.setattr(checks.os, "access", lambda folder, mode: False)
    for event, args in ((latent.slide, ("vae", None, 0.0, 0.0)), (picker.from_drawing, (None,))):
        with pytest.raises(gr.Error, match=says):
            event(*args)
