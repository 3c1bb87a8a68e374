"""Image datasets: IDX reader, dataset lookup, the data protocol (splits, binarization).

Data protocol (every reported number follows it):
  * 28x28 uint8 images; train = first 55,000 training images, val = last 5,000, test = 10,000 test images.
  * binary models see x = (pixel >= 128); 8-bit models see the raw value 0..255.

A dataset is looked up, in order, in: an explicit ``data_dir``, the ``GENLAB_DATA`` variable,
``/usr/share/datasets/<name>`` (Debian's ``dataset-fashion-mnist``), then a download into
``~/.cache/genlab/<name>`` when online.
"""
from __future__ import annotations

import gzip
import os
import struct
import urllib.request
from pathlib import Path

import numpy as np
import torch

N_TRAIN, N_VAL = 55_000, 5_000
SPLITS = ("train", "val", "test")

# file stems per split source; each may be stored as .gz or raw
_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
DATASETS = {
    "fashion-mnist": {
        "dirs": ("fashion-mnist",),
        "url": "https://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "classes": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    },
    "mnist": {
        "dirs": ("mnist", "mnist-t10k"),
        "url": "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "classes": tuple(str(d) for d in range(10)),
    },
}
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DataNotFound(FileNotFoundError):
    """Raised when a dataset is in none of the places searched; the message names them all."""


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw): magic 0x0000TTNN, NN big-endian int32 dims, data."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    dtype, ndim = np.dtype(_IDX_DTYPES[raw[2]]), raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says {shape} but holds {data.size} values (truncated?)")
    return data.reshape(shape)


def _find_file(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def candidate_dirs(name: str, data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Every folder searched for ``name``, in order of preference."""
    subdirs = DATASETS[name]["dirs"]
    roots = []
    if data_dir is not None:
        roots.append(Path(data_dir))
    if os.environ.get("GENLAB_DATA"):
        roots.append(Path(os.environ["GENLAB_DATA"]))
    out = []
    for root in roots:  # a root may be the dataset folder itself or hold it
        out += [root] + [root / s for s in subdirs]
    out += [Path("/usr/share/datasets") / s for s in subdirs]
    out.append(Path.home() / ".cache" / "genlab" / name)
    return out


def _download(name: str, source: str) -> Path:
    folder = Path.home() / ".cache" / "genlab" / name
    folder.mkdir(parents=True, exist_ok=True)
    for stem in _FILES[source]:
        target = folder / (stem + ".gz")
        if not target.exists():
            tmp = target.with_suffix(".part")
            urllib.request.urlretrieve(DATASETS[name]["url"] + stem + ".gz", tmp)
            tmp.rename(target)
    return folder


def locate(name: str, source: str, data_dir=None, download: bool = True) -> tuple[Path, Path]:
    """Paths of the (images, labels) IDX files of ``source`` ('train' or 'test')."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    searched = candidate_dirs(name, data_dir)
    for folder in searched:
        files = [_find_file(folder, stem) for stem in _FILES[source]]
        if all(files):
            return files[0], files[1]
    error = None
    if download:
        try:
            folder = _download(name, source)
            return tuple(_find_file(folder, stem) for stem in _FILES[source])
        except OSError as e:  # offline, or the mirror is gone
            error = e
    raise DataNotFound(
        f"{name} ({source} files {', '.join(s + '[.gz]' for s in _FILES[source])}) is in none of: "
        f"{', '.join(str(p) for p in searched)}\n"
        + (f"and the download from {DATASETS[name]['url']} failed ({error}).\n" if error else "and no download was tried.\n")
        + f"Provide it: --data-dir DIR or GENLAB_DATA=DIR (a folder holding {DATASETS[name]['dirs'][0]}/ or the files), "
        f"`apt-get install dataset-{name}`, or a connection to download it into ~/.cache/genlab/{name}."
    )


def load_split(name: str = "fashion-mnist", split: str = "train", data_dir=None,
               download: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """(images uint8 [N,1,28,28], labels int64 [N]) for split 'train' (55k), 'val' (5k) or 'test' (10k)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {SPLITS}")
    images_path, labels_path = locate(name, "test" if split == "test" else "train", data_dir, download)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if split == "train":
        images, labels = images[:N_TRAIN], labels[:N_TRAIN]
    elif split == "val":
        images, labels = images[N_TRAIN:N_TRAIN + N_VAL], labels[N_TRAIN:N_TRAIN + N_VAL]
    x = torch.from_numpy(np.array(images)).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


def binarize(images_uint8: torch.Tensor) -> torch.Tensor:
    """Static binarization of the protocol: 1.0 where pixel >= 128, else 0.0."""
    return (images_uint8 >= 128).float()


def prepare(images_uint8: torch.Tensor, n_values: int) -> torch.Tensor:
    """Model input for a model over ``n_values`` levels: 0/1 floats (binary) or 0..255 floats (8-bit)."""
    if n_values == 2:
        return binarize(images_uint8)
    if n_values == 256:
        return images_uint8.float()
    return torch.div(images_uint8.long() * n_values, 256, rounding_mode="floor").float()
