"""Deploy the app to a Hugging Face Space: ``python deploy.py USER/SPACE [--dry-run]``.

Uploads exactly what the Space runs — ``app.py``, ``demo/``, ``gen_core/``, ``checkpoints/``,
``requirements.txt``, ``README.md`` (its front matter configures the Space) and ``.gitattributes``
(which sends the binary files through Git LFS) — and nothing else: no tests, no dev files, no
``artifacts/``, ``runs/`` or ``.venv``. Files the Space holds that are not in the list are deleted, so
the Space mirrors this folder. ``--dry-run`` lists the files (and which go through LFS) and uploads
nothing. The upload uses ``huggingface_hub`` (installed with gradio), imported only when uploading;
log in first with ``hf auth login`` or pass ``--token``.

This file uses no ``gen_core`` code and is not uploaded itself.
"""
from __future__ import annotations

import argparse
import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SHIPPED = ("app.py", "README.md", "requirements.txt", ".gitattributes", "demo", "gen_core", "checkpoints")
SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints"}
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".tmp", ".part", ".swp", "~")
HUB_TEXT_LIMIT = 10 * 1024 * 1024  # the Hub takes larger files through LFS only


def space_files(root: Path = ROOT) -> list[str]:
    """The paths (relative, '/'-separated, sorted) the Space is given."""
    out = []
    for name in SHIPPED:
        path = root / name
        if path.is_file():
            out.append(name)
        elif path.is_dir():
            for f in path.rglob("*"):
                rel = f.relative_to(root)
                if f.is_file() and not SKIPPED_DIRS & set(rel.parts) and not f.name.startswith(".") \
                        and not f.name.endswith(SKIPPED_SUFFIXES):
                    out.append(rel.as_posix())
        else:
            raise SystemExit(f"error: {path} is missing; deploy from a complete checkout")
    return sorted(out)


def lfs_patterns(root: Path = ROOT) -> list[str]:
    """The patterns .gitattributes sends through Git LFS (``filter=lfs``)."""
    path = root / ".gitattributes"
    if not path.is_file():
        return []
    patterns = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#") and "filter=lfs" in fields[1:]:
            patterns.append(fields[0])
    return patterns


def lfs_tracked(rel: str, patterns: list[str]) -> bool:
    """Whether git would apply one of the .gitattributes ``patterns`` to ``rel`` (a pattern without a
    slash matches the file name in any folder; one with a slash, the path from the root)."""
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p.lstrip("/")) if "/" in p else fnmatch.fnmatchcase(name, p)
               for p in patterns)


def is_text(path: Path) -> bool:
    """UTF-8 without NUL bytes and small enough for a plain (non-LFS) file on the Hub."""
    if path.stat().st_size > HUB_TEXT_LIMIT:
        return False
    data = path.read_bytes()
    if b"\0" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def plan(root: Path = ROOT) -> list[tuple[str, int, bool]]:
    """(path, size in bytes, goes through LFS) for every file the Space is given."""
    patterns = lfs_patterns(root)
    return [(rel, (root / rel).stat().st_size, lfs_tracked(rel, patterns)) for rel in space_files(root)]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python deploy.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("space", help="the Space, as USER/NAME (created as a Gradio Space if it does not exist)")
    ap.add_argument("--dry-run", action="store_true", help="list the files and upload nothing")
    ap.add_argument("--token", default=None, help="a Hugging Face write token (default: the one `hf auth login` saved)")
    ap.add_argument("--private", action="store_true", help="create the Space private")
    args = ap.parse_args(argv)
    files = plan()
    unsafe = [rel for rel, _, lfs in files if not lfs and not is_text(ROOT / rel)]
    for rel, size, lfs in files:
        print(f"{size:>12,}  {'LFS ' if lfs else '    '} {rel}")
    total, in_lfs = sum(s for _, s, _ in files), sum(s for _, s, lfs in files if lfs)
    print(f"{len(files)} files, {total / 1e6:.1f} MB ({in_lfs / 1e6:.1f} MB through LFS) -> space {args.space}")
    if unsafe:
        raise SystemExit("error: binary files no .gitattributes LFS rule covers (the Hub would reject them): "
                         + ", ".join(unsafe))
    if args.dry_run:
        return
    from huggingface_hub import create_repo, upload_folder  # only here: the app itself never needs it

    create_repo(args.space, repo_type="space", space_sdk="gradio", private=args.private, exist_ok=True,
                token=args.token)
    info = upload_folder(repo_id=args.space, repo_type="space", folder_path=ROOT,
                         allow_patterns=[rel for rel, _, _ in files], delete_patterns="*",
                         commit_message="Deploy genlab", token=args.token)
    print(f"uploaded: {info.commit_url}\nthe Space: https://huggingface.co/spaces/{args.space}")


if __name__ == "__main__":
    main()
