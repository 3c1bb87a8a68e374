"""Maximum likelihood for the character models on a text corpus (``gen_core.data.text``).

Metric: nats per character, -(1/N) sum_i log p(x_i | x_<i), over every character of the split
(for names: every character of every name plus its <end>). Shakespeare is reported on its
validation split (it has no test split), names on the 1,000 test names: the sidecar's
``metrics.eval_nats_per_char``. Running text is scored in windows of ``WINDOW`` characters that
overlap by half (``charlm.window_log_probs``), the same way for every model, so each character is
predicted from at least WINDOW / 2 characters of context.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch

from ..data.text import CORPORA, encode_names, load_corpus, pack_name_hashes
from ..models.charlm import WINDOW, window_log_probs
from .base import Task


class CharLikelihood(Task):
    datasets = tuple(CORPORA)
    val_metric = "val_nats_per_char"
    objective = "nats_per_char"

    def __init__(self, model, dataset, data_dir=None, limit=None, device="cpu", train_window=None, **options):
        # a known corpus or the path of any UTF-8 text file: load_corpus says so when it is neither
        super().__init__(model, self.datasets[0], data_dir, limit, device, **options)
        self.dataset = dataset
        self.corpus = load_corpus(dataset, data_dir, limit)
        if (model.vocab.chars, model.vocab.end) != (self.corpus.vocab.chars, self.corpus.vocab.end):
            raise ValueError(f"the model's vocabulary does not match corpus {dataset!r}; "
                             f"train it with --dataset {dataset}")
        if self.corpus.lines:
            self.names = {k: encode_names(v, model.vocab) for k, v in self.corpus.splits.items()}
        else:
            self.text = {k: torch.tensor(model.vocab.encode(v)[0]) for k, v in self.corpus.splits.items()}
        self.window = min(WINDOW, model.context or WINDOW)
        # characters per training sequence of running text (a batch keeps batch_size windows' worth of them);
        # longer than a sliding window (the transformer's context), the model also learns to predict once
        # <start> has left its window, as when sampling
        self.train_window = train_window or self.window

    @classmethod
    def configure(cls, config, dataset, data_dir=None):
        """The corpus's vocabulary goes into the model config (and so into the checkpoint's sidecar)."""
        vocab = load_corpus(dataset, data_dir).vocab
        return {**config, "chars": vocab.chars, "end_token": vocab.end}

    @property
    def eval_split(self) -> str:
        return "test" if self.corpus.lines else "val"

    # -- training --------------------------------------------------------------------------------
    def batches(self, epoch, batch_size, seed):
        g = torch.Generator().manual_seed(seed + epoch)
        if self.corpus.lines:
            return list(torch.randperm(len(self.names["train"][0]), generator=g).split(batch_size))
        # non-overlapping windows from a random phase, in random order
        n = len(self.text["train"]) - self.train_window
        starts = torch.arange(int(torch.randint(self.train_window, (1,), generator=g)), n, self.train_window)
        per_batch = max(1, batch_size * self.window // self.train_window)  # batch_size windows' worth of characters
        return list(starts[torch.randperm(len(starts), generator=g)].split(per_batch))

    def batch(self, item):
        """(x [B, L+1] starting with <start>, mask [B, L] of the real targets, or None)."""
        if self.corpus.lines:
            x, mask = self.names["train"]
            x, mask = x[item], mask[item]
            length = int(mask.sum(1).max())
            return x[:, :length + 1].to(self.device), mask[:, :length].to(self.device)
        text = self.text["train"]
        rows = [torch.cat([torch.zeros(1, dtype=torch.long), text[s:s + self.train_window]]) for s in item.tolist()]
        return torch.stack(rows).to(self.device), None

    # -- measuring -------------------------------------------------------------------------------
    @torch.no_grad()
    def nats_per_char(self, split: str, limit: int | None = None) -> tuple[float, int]:
        """(mean -log p per character, number of characters scored) on ``split`` (its first ``limit`` items)."""
        was_training = self.model.training
        self.model.eval()
        if self.corpus.lines:
            x, mask = (t[:limit] for t in self.names[split])
            total = sum(-self.model.log_prob(xb.to(self.device))[mb.to(self.device)].double().sum().item()
                        for xb, mb in zip(x.split(500), mask.split(500)))
            count = int(mask.sum())
        else:
            ids = self.text[split][:limit].to(self.device)
            total, count = -window_log_probs(self.model, ids, self.window).double().sum().item(), len(ids)
        self.model.train(was_training)
        return total / count, count

    def validate(self):
        return self.nats_per_char("val")[0]

    def test_metrics(self, limit=None):
        nats, count = self.nats_per_char(self.eval_split, limit)
        return {"eval_nats_per_char": nats, "eval_bits_per_char": nats / math.log(2), "eval_chars": count}

    def protocol(self):
        if self.corpus.lines:
            split = {"train": "shuffled unique names (fixed seed) except the last 2,000",
                     "val": "the 1,000 names before the last 1,000", "test": "the last 1,000 names",
                     "end_token": "every name ends with <end>, counted as a character"}
        else:
            split = {"train": "first 90% of the characters", "val": "last 10% of the characters",
                     "test": "none: the reported figure is on val",
                     "window": f"{self.window} characters, overlapping by half (>= {self.window // 2} of context)"}
            if self.train_window != self.window:
                split["train_window"] = f"{self.train_window} characters per training sequence"
        return {**split, "corpus": self.dataset, "eval_split": self.eval_split, "limit": self.limit}

    def meta(self):
        """For names: hashes of the training names, so the app can tell a new name from a memorized one."""
        if not self.corpus.lines:
            return {}
        return {"train_name_hashes": pack_name_hashes(self.corpus.splits["train"])}

    def artifacts(self, out: Path, seed: int, run: Path) -> None:
        """``out.txt``: samples at temperature 1 (names: 20 names; text: three 300-character samples)."""
        g = torch.Generator(self.device).manual_seed(seed)
        if self.corpus.lines:
            body = "\n".join(self.model.sample(20, length=50, generator=g))
        else:
            body = "\n\n-----\n\n".join(self.model.sample(3, length=300, generator=g))
        out.with_suffix(".txt").write_text(f"# {out.name}: samples at temperature 1, seed {seed}\n\n{body}\n")
