"""Text corpora for the character-level models: the vocabulary, corpus lookup and the data protocol.

A character model sees a sequence of token ids x_0, x_1, ..., x_T where x_0 = <start> (the empty
context: the model's first conditional is p(x_1 | <start>)) and, for a corpus of separate items
such as names, the last token is <end>, so the model also learns where a name stops:

    p("emma") = p(e | <start>) p(m | <start> e) p(m | <start> e m) p(a | ...) p(<end> | <start> e m m a)

Data protocol (every reported number follows it):
  * ``shakespeare`` (tinyshakespeare.txt, 1,115,394 characters): train = the first 90 % of the
    characters, val = the last 10 % (a split by position); the reported figure is on val.
  * ``names`` (names.txt, one name per line): duplicates removed (first occurrence kept), shuffled
    with a fixed seed; test = the last 1,000 names, val = the 1,000 before them, train = the rest.
    Every name ends with <end>, which is counted as a character when reporting nats per character.
  * any other UTF-8 text file (``--corpus PATH``): treated like Shakespeare (90/10 by position).

The vocabulary is every character of the whole corpus file, so val/test hold no unknown character.
A corpus is looked up, in order, in: an explicit ``data_dir``, the ``GENLAB_DATA`` variable,
``/usr/share/datasets`` (each as is and its ``text/`` subfolder), then a download into
``~/.cache/genlab/text`` when online.
"""
from __future__ import annotations

import base64
import hashlib
import os
import random
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

START, END = "<start>", "<end>"
NAMES_SEED, NAMES_HELD_OUT = 1234, 1_000
TRAIN_FRACTION = 0.9
CORPORA = {
    "shakespeare": {"file": "tinyshakespeare.txt", "lines": False,
                    "url": "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"},
    "names": {"file": "names.txt", "lines": True,
              "url": "https://raw.githubusercontent.com/karpathy/makemore/master/names.txt"},
}


class CorpusNotFound(FileNotFoundError):
    """Raised when a corpus is in none of the places searched; the message names them all."""


class CharVocab:
    """Characters <-> token ids. Id 0 is <start>; with ``end`` the last id is <end>; the rest are ``chars``."""

    def __init__(self, chars: str, end: bool = False):
        if len(set(chars)) != len(chars):
            raise ValueError("vocabulary characters must be distinct")
        self.chars, self.end = chars, end
        self.tokens = [START, *chars] + ([END] if end else [])
        self.index = {c: i + 1 for i, c in enumerate(chars)}
        self.start_id = 0
        self.end_id = len(self.tokens) - 1 if end else None

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, text: str) -> tuple[list[int], str]:
        """(ids of the known characters of ``text``, the distinct unknown characters dropped, in order)."""
        ids, dropped = [], []
        for c in text:
            if c in self.index:
                ids.append(self.index[c])
            elif c not in dropped:
                dropped.append(c)
        return ids, "".join(dropped)

    def decode(self, ids) -> str:
        """The characters of ``ids``; <start> is skipped and the text stops at <end>."""
        out = []
        for i in ids:
            if i == self.end_id:
                break
            if i != self.start_id:
                out.append(self.chars[i - 1])
        return "".join(out)

    def show(self, i: int) -> str:
        """A visible label for token i (space, newline and the special tokens spelled out)."""
        return {" ": "␣", "\n": "⏎", "\t": "⇥"}.get(self.tokens[i], self.tokens[i])


@dataclass
class Corpus:
    """A corpus and its splits: ``text`` (one string) or ``names`` (one item per line)."""

    name: str
    vocab: CharVocab
    splits: dict  # split -> str (running text) or list[str] (names)

    @property
    def lines(self) -> bool:
        return self.vocab.end


def candidate_dirs(data_dir=None) -> list[Path]:
    """Every folder searched for a corpus file, in order of preference."""
    roots = [Path(data_dir)] if data_dir is not None else []
    if os.environ.get("GENLAB_DATA"):
        roots.append(Path(os.environ["GENLAB_DATA"]))
    roots.append(Path("/usr/share/datasets"))
    return [d for root in roots for d in (root, root / "text")] + [Path.home() / ".cache" / "genlab" / "text"]


def locate(name: str, data_dir=None, download: bool = True) -> Path:
    """The path of corpus ``name`` (a known corpus, or the path of any UTF-8 text file)."""
    if name not in CORPORA:
        if Path(name).is_file():
            return Path(name)
        raise ValueError(f"unknown corpus {name!r}: choose {', '.join(CORPORA)} or give the path of a text file")
    searched = candidate_dirs(data_dir)
    for folder in searched:
        if (folder / CORPORA[name]["file"]).is_file():
            return folder / CORPORA[name]["file"]
    error = None
    if download:
        target = searched[-1] / CORPORA[name]["file"]
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            urllib.request.urlretrieve(CORPORA[name]["url"], target.with_suffix(".part"))
            return target.with_suffix(".part").rename(target)
        except OSError as e:  # offline, or the mirror is gone
            error = e
    raise CorpusNotFound(
        f"corpus {name} ({CORPORA[name]['file']}) is in none of: {', '.join(str(p) for p in searched)}\n"
        + (f"and the download from {CORPORA[name]['url']} failed ({error}).\n" if error else "and no download was tried.\n")
        + f"Provide it: --data-dir DIR or GENLAB_DATA=DIR (a folder holding text/{CORPORA[name]['file']}), "
        f"or a connection to download it into ~/.cache/genlab/text."
    )


def read_names(text: str) -> list[str]:
    """Non-empty lines, stripped, duplicates removed (first occurrence kept)."""
    return list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))


def split_names(names: list[str]) -> dict[str, list[str]]:
    """Shuffle with the fixed seed; test = last 1,000, val = the 1,000 before, train = the rest."""
    names = names[:]
    random.Random(NAMES_SEED).shuffle(names)
    n = NAMES_HELD_OUT
    return {"train": names[:-2 * n], "val": names[-2 * n:-n], "test": names[-n:]}


def split_text(text: str) -> dict[str, str]:
    """train = the first 90 % of the characters, val = the rest; there is no separate test split."""
    cut = int(len(text) * TRAIN_FRACTION)
    return {"train": text[:cut], "val": text[cut:]}


def load_corpus(name: str, data_dir=None, limit: int | None = None) -> Corpus:
    """Corpus ``name`` with its vocabulary and splits (``limit``: the first N characters/names of each split)."""
    path = locate(name, data_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not UTF-8 text ({e})") from e
    lines = CORPORA.get(name, {}).get("lines", False)
    if lines:
        names = read_names(text)
        vocab, splits = CharVocab("".join(sorted(set("".join(names)))), end=True), split_names(names)
    else:
        if len(text) < 100:
            raise ValueError(f"{path} holds {len(text)} characters; a corpus needs at least 100")
        vocab, splits = CharVocab("".join(sorted(set(text)))), split_text(text)
    if limit is not None:
        splits = {k: v[:limit] for k, v in splits.items()}
    return Corpus(name, vocab, splits)


# -- "is this generated name in the training data?" without the corpus: 32-bit hashes ---------------
def _hash32(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=4).digest(), "big")


def pack_name_hashes(names) -> str:
    """A compact, order-free fingerprint of a set of names: sorted 32-bit BLAKE2b hashes, base64.

    A new name collides with one of n stored hashes with probability about n / 2^32
    (7e-6 for the ~27,000 training names).
    """
    hashes = np.array(sorted({_hash32(n) for n in names}), dtype=">u4")
    return base64.b64encode(hashes.tobytes()).decode("ascii")


class NameSet:
    """Membership test against :func:`pack_name_hashes` output."""

    def __init__(self, packed: str):
        self.hashes = np.frombuffer(base64.b64decode(packed), dtype=">u4").astype(np.uint32)

    def __len__(self) -> int:
        return len(self.hashes)

    def __contains__(self, name: str) -> bool:
        h = _hash32(name)
        i = int(np.searchsorted(self.hashes, h))
        return i < len(self.hashes) and int(self.hashes[i]) == h


def encode_names(names: list[str], vocab: CharVocab) -> tuple[torch.Tensor, torch.Tensor]:
    """x [N, L+2] = <start> name <end> (padded with <end>), and the mask [N, L+1] of the real targets x_1..."""
    L = max(len(n) for n in names)
    x = torch.full((len(names), L + 2), vocab.end_id, dtype=torch.long)
    x[:, 0] = vocab.start_id
    mask = torch.zeros(len(names), L + 1, dtype=torch.bool)
    for row, name in enumerate(names):
        ids, dropped = vocab.encode(name)
        if dropped:
            raise ValueError(f"name {name!r} has characters outside the vocabulary: {dropped!r}")
        x[row, 1:len(ids) + 1] = torch.tensor(ids, dtype=torch.long)
        mask[row, :len(ids) + 1] = True
    return x, mask
