import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
torch.set_num_threads(1)  # tiny models run fastest single-threaded, and CI machines are small

SHARED_DATA = ROOT.parent / "shared" / "data"
os.environ.setdefault("GENLAB_DATA", str(SHARED_DATA))


def tiny_checkpoint(directory, name, model_name, config, monkeypatch):
    """Save a small untrained model as checkpoint ``name`` in ``directory`` and make the app use that folder."""
    from demo import shipped
    from gen_core import checkpoints
    from gen_core.models import build

    torch.manual_seed(0)
    checkpoints.save(build(model_name, config), directory / name,
                     {"model": model_name, "config": config, "dataset": "fashion-mnist", "metrics": {}})
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", directory)
    shipped._load.cache_clear()
    shipped.names.cache_clear()
    return name


@pytest.fixture
def tiny_nade(tmp_path, monkeypatch):
    from demo import shipped

    yield tiny_checkpoint(tmp_path, "nade-test", "nade", {"hidden": 8}, monkeypatch)
    shipped._load.cache_clear()
    shipped.names.cache_clear()


@pytest.fixture(scope="session")
def app_url():
    """The whole app, as `python app.py` builds it with the shipped checkpoints, served on a free port."""
    from app import CSS, demo
    from gen_core.bench import free_port

    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True,
                            quiet=True, css=CSS)
    yield url
    demo.close()
