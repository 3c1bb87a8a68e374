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
REQUIRE_DATA = os.environ.get("GENLAB_REQUIRE_DATA") == "1"  # CI: a test that cannot find its data fails


def require_data(*names: str) -> None:
    """Skip the calling test (fail it under GENLAB_REQUIRE_DATA=1) unless every dataset ``names`` is found
    where gen_core looks (GENLAB_DATA, /usr/share/datasets, ~/.cache/genlab; never downloaded here): images
    'fashion-mnist' or 'mnist' (its test files), corpora 'shakespeare' or 'names'."""
    from gen_core.data import images, text

    for name in names:
        try:
            if name in images.DATASETS:
                for source in ("test",) if name == "mnist" else ("train", "test"):
                    images.locate(name, source, download=False)
            else:
                text.locate(name, download=False)
        except FileNotFoundError:
            reason = f"needs the {name} data: set GENLAB_DATA to a folder holding it (as ../shared/data does)"
            (pytest.fail if REQUIRE_DATA else pytest.skip)(reason)


def needs_data(*names: str):
    """A marker: the test runs only where datasets ``names`` are found (see :func:`require_data`)."""
    return pytest.mark.needs_data(*names)


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_data(*names): the test reads these real datasets (skipped without them, "
                                       "failed under GENLAB_REQUIRE_DATA=1)")


def pytest_runtest_setup(item):
    for marker in item.iter_markers("needs_data"):
        require_data(*marker.args)


def randomized(model, std: float):
    """``model`` with every weight redrawn from N(0, std²): large random weights make any dependence show up
    clearly (a zero-initialized layer would hide it)."""
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, std)
    return model


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
    from demo import I18N
    from gen_core.bench import free_port

    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True,
                            quiet=True, css=CSS, i18n=I18N)
    yield url
    demo.close()
