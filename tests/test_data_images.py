import gzip
import struct

import numpy as np
import pytest
import torch

from gen_core.data import DataNotFound, binarize, load_split, prepare, read_idx
from gen_core.data.images import candidate_dirs, locate

from conftest import SHARED_DATA, needs_data


def write_idx(path, array, compress):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


@pytest.mark.parametrize("compress", [True, False])
def test_idx_reader_round_trips_a_synthetic_file(tmp_path, compress):
    a = np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    write_idx(tmp_path / "x.idx", a, compress)
    assert np.array_equal(read_idx(tmp_path / "x.idx"), a)


def test_idx_reader_rejects_bad_magic_and_truncation(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01\x00\x00\x00\x02ab")
    with pytest.raises(ValueError, match="magic"):
        read_idx(tmp_path / "bad")
    write_idx(tmp_path / "t", np.zeros((4, 4), np.uint8), False)
    (tmp_path / "t").write_bytes((tmp_path / "t").read_bytes()[:-3])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(tmp_path / "t")


def test_missing_dataset_error_names_every_place_searched(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_DATA", str(tmp_path / "env"))
    with pytest.raises(DataNotFound) as err:
        locate("fashion-mnist", "test", data_dir=tmp_path / "explicit", download=False)
    message = str(err.value)
    for place in candidate_dirs("fashion-mnist", tmp_path / "explicit"):
        assert str(place) in message
    assert "/usr/share/datasets/fashion-mnist" in message and "--data-dir" in message


def test_explicit_dir_wins_over_environment(tmp_path, monkeypatch):
    for stem, arr in (("t10k-images-idx3-ubyte", np.full((3, 28, 28), 200)), ("t10k-labels-idx1-ubyte", np.arange(3))):
        write_idx(tmp_path / (stem + ".gz"), arr, True)
    monkeypatch.setenv("GENLAB_DATA", str(SHARED_DATA))
    x, y = load_split("fashion-mnist", "test", data_dir=tmp_path, download=False)
    assert x.shape == (3, 1, 28, 28) and x.dtype == torch.uint8 and y.tolist() == [0, 1, 2]


def test_binarization_and_levels():
    x = torch.tensor([0, 127, 128, 255], dtype=torch.uint8)
    assert binarize(x).tolist() == [0, 0, 1, 1]
    assert prepare(x, 256).tolist() == [0, 127, 128, 255]


@needs_data("fashion-mnist")
def test_protocol_splits_on_the_real_files():
    sizes = {s: load_split("fashion-mnist", s, data_dir=SHARED_DATA, download=False)[0].shape[0]
             for s in ("train", "val", "test")}
    assert sizes == {"train": 55_000, "val": 5_000, "test": 10_000}


def test_the_committed_gallery_is_64_test_images_of_every_class():
    from gen_core.data import gallery

    images, labels = gallery.gallery()
    assert images.shape == (64, 1, 28, 28) and images.dtype == torch.uint8
    assert torch.bincount(labels, minlength=10).tolist() == [7] * 4 + [6] * 6
    assert torch.equal(gallery.pick(torch.tensor([1, 0, 1, 0, 1]), 4, 2), torch.tensor([1, 0, 3, 2]))
