"""The Hugging Face Space deploy, checked offline: what `python deploy.py USER/SPACE` would upload is
exactly the app, every binary file in it goes through Git LFS, and requirements.txt is what it imports."""
import ast
import re
import sys
from importlib import metadata

import pytest

import deploy
from conftest import ROOT

FILES = deploy.space_files()


def test_the_space_gets_the_app_and_nothing_else():
    tops = {f.split("/")[0] for f in FILES}
    assert tops == {"app.py", "README.md", "requirements.txt", ".gitattributes", "demo", "gen_core", "checkpoints"}
    assert "gen_core/data/gallery-fashion-mnist.safetensors" in FILES and "checkpoints/nade-fashion-mnist.json" in FILES
    assert not [f for f in FILES if "__pycache__" in f or f.endswith(".pyc") or f.startswith((".venv", "tests"))]
    assert "deploy.py" not in FILES and "requirements-dev.txt" not in FILES


def test_every_uploaded_file_is_text_or_goes_through_lfs():
    patterns = deploy.lfs_patterns()
    assert patterns and all(p.startswith("*.") for p in patterns)
    for line in (ROOT / ".gitattributes").read_text().splitlines():
        if line.strip() and not line.startswith("#"):  # the rule the Hub expects, exactly
            assert line.split(maxsplit=1)[1] == "filter=lfs diff=lfs merge=lfs -text", line
    rejected = [f for f in FILES if not deploy.lfs_tracked(f, patterns) and not deploy.is_text(ROOT / f)]
    assert not rejected, f"binary files no LFS rule in .gitattributes covers: {rejected}"
    assert deploy.lfs_tracked("checkpoints/x.safetensors", patterns) and deploy.lfs_tracked("a/b/c.png", patterns)
    assert not deploy.lfs_tracked("gen_core/train.py", ["*.safetensors", "checkpoints/*.png"])
    assert deploy.lfs_tracked("checkpoints/x.png", ["checkpoints/*.png"])


def test_the_dry_run_lists_the_files_and_uploads_nothing(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # importing it would fail: it is never reached
    deploy.main(["someone/genlab", "--dry-run"])
    out = capsys.readouterr().out
    assert "checkpoints/nade-fashion-mnist.safetensors" in out and "tests/" not in out
    assert f"{len(FILES)} files" in out


def test_the_readme_front_matter_configures_a_gradio_space():
    front = (ROOT / "README.md").read_text().split("---")[1]
    fields = dict(line.split(":", 1) for line in front.strip().splitlines())
    fields = {k.strip(): v.strip().strip('"') for k, v in fields.items()}
    assert fields["sdk"] == "gradio" and (ROOT / fields["app_file"]).is_file()
    assert f"gradio=={fields['sdk_version']}" in requirements(ROOT / "requirements.txt", raw=True)


def requirements(path, raw=False) -> list[str]:
    """The lines (``raw``) or the normalized distribution names of a requirements file, following ``-r``."""
    out = []
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r"):
            out += requirements(path.parent / line[2:].strip(), raw)
        elif line:
            out.append(line if raw else normalize(re.split(r"[<>=!~;\[ ]", line)[0]))
    return out


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules() -> set[str]:
    """Top-level modules imported anywhere (lazily too) in the uploaded Python files, minus the standard
    library and the app's own packages."""
    found = set()
    for f in FILES:
        if f.endswith(".py"):
            for node in ast.walk(ast.parse((ROOT / f).read_text())):
                if isinstance(node, ast.Import):
                    found |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"app", "demo", "gen_core", "__future__"}


# module -> distribution for the app's imports, when the installed metadata cannot say (not installed)
KNOWN = {"PIL": "pillow", "torch": "torch", "gradio": "gradio", "gradio_client": "gradio-client", "numpy": "numpy",
         "safetensors": "safetensors", "tqdm": "tqdm", "matplotlib": "matplotlib", "huggingface_hub": "huggingface-hub"}


def test_requirements_install_what_the_app_imports_and_nothing_else():
    installed = metadata.packages_distributions()
    needed = {normalize((installed.get(m) or [KNOWN.get(m, m)])[0]) for m in imported_modules()}
    listed = set(requirements(ROOT / "requirements.txt"))
    assert listed == needed, f"requirements.txt lists {sorted(listed - needed)} the app never imports, " \
                             f"and misses {sorted(needed - listed)}"
    assert "huggingface-hub" not in needed and "torchvision" not in listed  # deploy.py is not in the Space


def test_dev_requirements_add_the_test_tools_to_the_app_requirements():
    dev = requirements(ROOT / "requirements-dev.txt")
    assert (ROOT / "requirements-dev.txt").read_text().count("-r requirements.txt") == 1
    assert set(dev) - set(requirements(ROOT / "requirements.txt")) == {"pytest", "playwright"}


def test_the_readme_test_command_installs_the_dev_requirements():
    ci = (ROOT / ".ci" / "run").read_text()  # tests/test_project.py: .ci/run runs exactly the README's command
    command = next(line for line in ci.splitlines() if "-m pytest" in line and not line.startswith("#"))
    assert "pip install -q -r requirements-dev.txt" in command and command in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", ["deploy.py"])
def test_deploy_needs_nothing_from_gen_core(name):
    tree = ast.parse((ROOT / name).read_text())
    modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in modules if m.split(".")[0] in ("gen_core", "demo", "torch", "gradio")}
