"""The project's promises about itself: CI runs the README's test command; checkpoints stay small."""
import re

from conftest import ROOT


def readme_commands():
    return re.findall(r"^    (python3 -m venv .*)$", (ROOT / "README.md").read_text(), re.M)


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    install_and_run, install_and_test = readme_commands()
    assert install_and_run.endswith("python app.py")
    assert install_and_test.endswith("-m pytest -q")
    assert install_and_test in (ROOT / ".ci" / "run").read_text().splitlines()


def test_requirements_pin_the_cpu_torch_build():
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text().split()


def test_shipped_checkpoints_are_small_and_never_pickles():
    files = list((ROOT / "checkpoints").glob("*"))
    assert sum(f.stat().st_size for f in files) < 100e6 and all(f.stat().st_size < 50e6 for f in files)
    assert not [f for f in files if f.suffix in (".pt", ".pth", ".pkl", ".bin")]
