"""The contract between a model family and the generic training / evaluation loops."""
from __future__ import annotations

import abc
from pathlib import Path

import torch

from ..data import load_split


class Task(abc.ABC):
    """Data, objective and metrics of one model family.

    Subclasses set ``datasets`` (the first is the default), ``val_metric`` (a key of the sidecar's
    ``metrics``; lower is better) and ``objective`` (what ``model.loss`` measures: the history records
    its epoch mean as ``train_<objective>``), and implement the abstract methods. The default
    optimization is one Adam optimizer on ``model.loss(batch)``, its gradient norm clipped to
    ``grad_clip``, in bf16 autocast when ``bf16``; a family with several players (a GAN) overrides
    :meth:`optimizers` and :meth:`step`, and trains in one process only (``torchrun`` runs the default step).
    """

    datasets: tuple[str, ...] = ()
    val_metric: str = "val_loss"
    objective: str = "loss"
    schedule: bool = True  # warm-up + cosine decay of every optimizer's learning rate

    def __init__(self, model: torch.nn.Module, dataset: str, data_dir=None, limit: int | None = None,
                 device: str | torch.device = "cpu", *, bf16: bool = False, grad_clip: float = 10.0):
        if self.datasets and dataset not in self.datasets:
            raise ValueError(f"{type(self).__name__} trains on {', '.join(self.datasets)}, not {dataset!r}")
        self.model, self.dataset, self.data_dir, self.limit = model, dataset, data_dir, limit
        self.device = torch.device(device)
        self.bf16, self.grad_clip = bf16, grad_clip
        self.parallel = None  # under torchrun: model.loss wrapped in DistributedDataParallel (gen_core.train)

    @classmethod
    def configure(cls, config: dict, dataset: str, data_dir=None) -> dict:
        """The model config to build for ``dataset`` (e.g. a text model's vocabulary); unchanged by default."""
        return config

    @property
    def cuda(self) -> bool:
        return self.device.type == "cuda"

    def autocast(self):
        """bf16 autocast for the training steps when ``bf16`` (on CUDA, or a CPU with AMX)."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16)

    # -- training ------------------------------------------------------------------------------
    @abc.abstractmethod
    def batches(self, epoch: int, batch_size: int, seed: int) -> list:
        """The epoch's batches as small index objects, the same for the same (epoch, seed):
        a resumed run skips the ones already done."""

    @abc.abstractmethod
    def batch(self, item):
        """The model input for one element of :meth:`batches`, on ``self.device``."""

    def optimizers(self, lr: float) -> dict[str, torch.optim.Optimizer]:
        return {"model": torch.optim.Adam(self.model.parameters(), lr=lr)}

    def step(self, batch, optimizers: dict) -> dict[str, float]:
        """One update; returns the numbers the loop averages over the epoch (history keys 'train_<name>')."""
        with self.autocast():
            loss = self.model.loss(batch) if self.parallel is None else self.parallel(batch)
        opt = optimizers["model"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
        opt.step()
        return {self.objective: loss.item()}

    @abc.abstractmethod
    def validate(self) -> float:
        """The validation metric ``val_metric`` of ``self.model`` (lower is better)."""

    def end_epoch(self, epoch: int, run: Path) -> None:
        """Called after each epoch's validation with the run folder (e.g. to keep sample grids)."""

    # -- measuring and shipping ----------------------------------------------------------------
    @abc.abstractmethod
    def test_metrics(self, limit: int | None = None) -> dict:
        """Metrics of ``self.model`` on the test data (``limit``: a representative subset)."""

    def reference(self) -> dict:
        """Test-set statistics of the model that the app shows without the data (top-level sidecar keys)."""
        return {}

    def protocol(self) -> dict:
        """The data protocol recorded in the sidecar."""
        return {}

    def meta(self) -> dict:
        """Extra sidecar fields the model needs at load time (e.g. a vocabulary)."""
        return {}

    def artifacts(self, out: Path, seed: int, run: Path) -> None:
        """Files shipped beside ``out.safetensors`` (e.g. ``out.png``, a sample grid)."""


class LabelledImages(Task):
    """A task on (image, label) pairs: each split loaded once and mapped by :meth:`inputs`, shuffled batches."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loaded: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    @abc.abstractmethod
    def inputs(self, images_uint8: torch.Tensor) -> torch.Tensor:
        """The model's view of uint8 images [N,1,28,28] (e.g. binarized, or scaled to [-1, 1])."""

    def split(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs, labels) of a split (the first ``limit``), loaded once."""
        if name not in self.loaded:
            x, y = load_split(self.dataset, name, self.data_dir)
            self.loaded[name] = self.inputs(x[: self.limit]), y[: self.limit]
        return self.loaded[name]

    def batches(self, epoch, batch_size, seed):
        n = len(self.split("train")[1])
        return list(torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch)).split(batch_size))

    def batch(self, item):
        x, y = self.split("train")
        return x[item].to(self.device, non_blocking=True), y[item].to(self.device)
