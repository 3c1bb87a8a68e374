"""What each model family trains on and is measured by.

``gen_core.train`` runs one generic loop for every family (resumable state, warm-up + cosine
learning rate, the best checkpoint by a validation metric, publishing to ``checkpoints/``) and
``gen_core.evaluate`` one table; a :class:`Task` supplies the rest: the data and its batches, one
optimization step, the validation metric, the test metrics and the files shipped beside the
weights. ``TASKS`` maps the ``task`` named in each registry entry to its class.
"""
from __future__ import annotations

from .base import LabelledImages, Task
from .classifier import Classification
from .gan import Adversarial
from .image import ImageLikelihood
from .text import CharLikelihood
from .autoencoding import Autoencoding
from .semi_supervised import SemiSupervised

TASKS: dict[str, type[Task]] = {
    "image": ImageLikelihood,
    "classifier": Classification,
    "gan": Adversarial,
    "text": CharLikelihood,
    "latent": Autoencoding,
    "semi_supervised": SemiSupervised,
}


def make(model_name: str, model, dataset: str | None = None, **kwargs) -> Task:
    """The task that trains/evaluates registry model ``model_name`` (``model`` already built), with the
    registry entry's task options."""
    from ..models import REGISTRY

    spec = REGISTRY[model_name]
    return TASKS[spec.task](model, dataset or spec.dataset, **{**spec.task_options, **kwargs})


__all__ = ["TASKS", "Task", "LabelledImages", "Adversarial", "CharLikelihood", "Classification", "ImageLikelihood", "Autoencoding", "SemiSupervised", "make"]
