"""Datasets and the data protocol."""
from .images import DATASETS, DataNotFound, binarize, load_split, prepare, read_idx

__all__ = ["DATASETS", "DataNotFound", "binarize", "load_split", "prepare", "read_idx"]
