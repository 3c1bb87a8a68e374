"""Memorisation check: the nearest training image of a sample, by Hamming distance on binarized pixels.

    d(x, x') = sum_i [x_i != x'_i],   x, x' in {0, 1}^784

A model that memorised its training set draws samples at distance ~0 from some training image; a model
that generalises draws samples about as far from the training set as the unseen test images are.
The 55,000 training images are packed 64 pixels to a word (13 uint64 words an image, 5.7 MB), so one
query is 55,000 x 13 XORs and popcounts: 16 samples take a few tens of milliseconds.

``python -m gen_core.neighbours`` measures the scale: the distance of every test image to its nearest
training image (quartiles written to ``checkpoints/neighbours.json``, which the app shows beside a sample's
distance).
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from .checkpoints import CHECKPOINT_DIR
from .data import binarize, load_split

REFERENCE = CHECKPOINT_DIR / "neighbours.json"


def pack(binary: torch.Tensor) -> np.ndarray:
    """Binary images [N, 1, H, W] (0/1) -> uint64 words [N, ceil(H*W / 64)], zero-padded."""
    bits = np.packbits(binary.flatten(1).numpy().astype(np.uint8), axis=1)  # [N, ceil(D / 8)]
    padded = np.zeros((len(bits), -(-bits.shape[1] // 8) * 8), np.uint8)
    padded[:, :bits.shape[1]] = bits
    return padded.view(np.uint64)


class HammingIndex:
    """The binarized training images, packed, searched exhaustively (exact, no approximation)."""

    def __init__(self, binary: torch.Tensor, chunk: int = 4096):
        self.words, self.chunk = pack(binary), chunk

    def __len__(self) -> int:
        return len(self.words)

    def nearest(self, binary: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """(index of the nearest indexed image, its Hamming distance) for each image [n, 1, H, W] (0/1);
        ties go to the lowest index."""
        queries = pack(binary)
        best_d = np.full(len(queries), np.iinfo(np.int64).max)
        best_i = np.zeros(len(queries), np.int64)
        for start in range(0, len(self.words), self.chunk):
            block = self.words[start:start + self.chunk]
            d = np.bitwise_count(queries[:, None, :] ^ block[None, :, :]).sum(-1, dtype=np.int64)  # [n, chunk]
            i = d.argmin(1)
            closer = d[np.arange(len(queries)), i] < best_d
            best_d[closer], best_i[closer] = d[np.arange(len(queries)), i][closer], start + i[closer]
        return best_i, best_d


def training_index(dataset: str = "fashion-mnist", data_dir=None) -> tuple[HammingIndex, torch.Tensor]:
    """(the index of the binarized training images, those images as uint8) — needs the dataset."""
    images = load_split(dataset, "train", data_dir)[0]
    return HammingIndex(binarize(images)), images


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m gen_core.neighbours", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--out", default=str(REFERENCE))
    args = ap.parse_args(argv)
    index, _ = training_index(data_dir=args.data_dir)
    test = binarize(load_split("fashion-mnist", "test", args.data_dir)[0])
    t0 = time.perf_counter()
    _, d = index.nearest(test)
    seconds = time.perf_counter() - t0
    q = np.percentile(d, [5, 25, 50, 75, 95])
    reference = {"what": "Hamming distance of each Fashion-MNIST test image (binarized, pixel >= 128) to its "
                         "nearest of the 55,000 training images",
                 "test_images": len(d), "mean": round(float(d.mean()), 2),
                 "percentiles": dict(zip(("5", "25", "50", "75", "95"), (float(v) for v in q))),
                 "exact_copies": int((d == 0).sum()), "seconds": round(seconds, 1)}
    with open(args.out, "w") as f:
        json.dump(reference, f, indent=2)
        f.write("\n")
    print(json.dumps(reference, indent=2))
    return reference


if __name__ == "__main__":
    main()
