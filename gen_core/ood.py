"""Anomaly detection with likelihood models, measured by AUROC: ``python -m gen_core.ood [--models M ...] [--limit N]``.

Every shipped likelihood model (any registry image model with ``log_prob``, and the VAEs through their
importance-weighted bound) scores Fashion-MNIST test images (in distribution) and out-of-distribution
sets made from them or found beside them: MNIST test digits, inverted, shifted and rotated test images,
uniform noise, near-blank images, and adversarial examples against the shipped classifier (FGSM and PGD,
at most EPSILON grey levels from the original). Higher score = more anomalous. Scores:

    nll          S = -log p(x)                       the raw likelihood: known to fail (Nalisnick et al. 2019)
    png          S = -log p(x) - L_png(x)            input complexity (Serrà et al. 2020): L = PNG code length
    context      S = -log p(x) - L_ctx(x)            likelihood ratio against a local background model (Ren
                                                     et al. 2019): L_ctx = -log p_ctx(x) under a count table
                                                     p(x_ij | causal neighbours) of the training images
    typicality   S = | -log p(x) - E_val[-log p] |   Nalisnick et al.'s typicality test, one image at a time
    typicality_batch10                               the same on batches of 10 images (mean NLL of the batch)

L(x) is in nats of the image *as the model sees it* (binarized or 8-bit) and never more than its raw size
D log(levels) (the context coder falls back to storing the pixels, as any compressor does; without that
fallback uniform noise, which no context table predicts, scored as *typical*), so the difference is a log
likelihood ratio: it cancels what any image coder finds easy (smooth, empty backgrounds) and keeps what only
the model knows (the shapes of clothes). Each score is reported as AUROC (in vs. out, 0.5 = chance) and as
the false-positive rate on in-distribution images at 95 % true-positive rate (FPR95). A threshold for each
score flags FPR_TARGET of the validation images; the app flags an image with the best score per model.

Outputs: ``checkpoints/ood.json`` (protocol, classifier accuracy, results model -> set -> score -> {auroc,
fpr95}, calibration) and ``checkpoints/ood.tables.safetensors`` (the context tables and the score histograms the
app draws, so it needs no dataset).
"""
from __future__ import annotations

import argparse
import functools
import io
import json
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import load_file, save_file

from . import checkpoints
from .data import DataNotFound, load_split, prepare
from .metrics import to_unit_range
from .models import REGISTRY
from .models.base import ImageAR
from .tasks.image import nll_per_image

SEED = 0
SIZE = 1000                 # images per set
EPSILON = 8                 # grey levels: 8/255 in [0, 1] units
STRONG_EPSILON = 16         # the second PGD set (and the app's example): 16/255
PGD_STEPS, PGD_STEP = 20, 2  # steps, grey levels per step
FPR_TARGET = 0.05           # the share of validation images a threshold flags
VAE_SAMPLES = 100           # importance samples of the IW bound (a conditional VAE: shared among its classes)
BATCH = 10                  # images per batch of the batch typicality test
SCORES = ("nll", "png", "context", "typicality")  # per image: what the app can compute
BATCH_SCORE = f"typicality_batch{BATCH}"
NATURAL_SETS = ("mnist", "inverted", "shifted", "rotated", "noise", "blank")
ADVERSARIAL_SETS = ("fgsm", "pgd", f"pgd{STRONG_EPSILON}")
SCORE_NAMES = {
    "nll": "-log p(x), the raw likelihood",
    "png": "-log p(x) - L_png(x): input complexity, PNG code length (Serrà et al. 2020)",
    "context": "-log p(x) - L_ctx(x): likelihood ratio against a local context model of the training images "
               "(Ren et al. 2019)",
    "typicality": "|-log p(x) - mean validation -log p|: typicality test on one image (Nalisnick et al. 2019)",
    BATCH_SCORE: f"|mean -log p over {BATCH} images - mean validation -log p|: typicality test on batches",
}
# causal neighbours (dy, dx) and the levels they are quantized to, per number of values the model sees
CONTEXTS = {2: (((0, -1), (0, -2), (-1, -1), (-1, 0), (-1, 1), (-2, 0)), 2),
            "other": (((0, -1), (-1, 0), (-1, -1)), 8)}
PLOTTED = ("test", "mnist", "shifted", "rotated", "pgd")  # the sets the app's histograms show (the others: far off)
SHORT = {"nll": "nll", "png": "png", "context": "ctx", "typicality": "typ", BATCH_SCORE: f"typ{BATCH}"}
RESULTS = "ood.json"
COMPANION = "ood.tables.safetensors"  # not ood.safetensors: that would pair with ood.json as a checkpoint


# ----------------------------------------------------------------------------------------------- measures
def auroc(inlier: torch.Tensor, outlier: torch.Tensor) -> float:
    """P(S_out > S_in) + P(S_out = S_in) / 2: the area under the ROC curve (Mann-Whitney U / n_in n_out)."""
    s = inlier.double().sort().values
    out = outlier.double()
    below = torch.searchsorted(s, out, right=False)
    at_most = torch.searchsorted(s, out, right=True)
    return float((below + (at_most - below) / 2).sum() / (len(s) * len(out)))


def fpr_at_tpr(inlier: torch.Tensor, outlier: torch.Tensor, tpr: float = 0.95) -> float:
    """The share of inliers flagged by the highest threshold that flags ``tpr`` of the outliers."""
    out = outlier.double().sort(descending=True).values
    t = out[max(math.ceil(tpr * len(out)) - 1, 0)]
    return float((inlier.double() >= t).double().mean())


def threshold(val_scores: torch.Tensor, fpr: float = FPR_TARGET) -> float:
    """The lowest t with at most ``fpr`` of the validation scores above it (flag an image when S > t)."""
    s = val_scores.double().sort().values
    return float(s[min(math.ceil((1 - fpr) * len(s)) - 1, len(s) - 1)])


def batch_means(scores: torch.Tensor, n_batches: int, size: int = BATCH, seed: int = SEED) -> torch.Tensor:
    """Means of ``n_batches`` random batches of ``size`` scores (each batch drawn without replacement)."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.stack([torch.randperm(len(scores), generator=g)[:size] for _ in range(n_batches)])
    return scores.double()[idx].mean(1)


# ----------------------------------------------------------------------------------------------- code lengths
def png_code_length(images_uint8: torch.Tensor, n_values: int) -> torch.Tensor:
    """L_png(x) in nats: 8 ln 2 times the bytes of the best PNG of each image as the model sees it
    (1-bit for binary models, 8-bit grey otherwise), float64 [B]."""
    x = prepare(images_uint8, n_values).to(torch.uint8)[:, 0].numpy()
    mode = "1" if n_values == 2 else "L"
    out = []
    for a in x:
        buffer = io.BytesIO()
        Image.fromarray(a.astype(bool) if n_values == 2 else a, mode).save(buffer, "PNG", compress_level=9)
        out.append(len(buffer.getvalue()) * 8 * math.log(2))
    return torch.tensor(out, dtype=torch.float64)


class ContextCoder:
    """L_ctx(x) = -sum_ij log p(x_ij | causal neighbours): a count table over the training images (add-1/2
    smoothing), for images with ``n_values`` levels; the neighbours are quantized to ``levels`` levels."""

    def __init__(self, log_p: torch.Tensor, n_values: int):
        self.log_p, self.n_values = log_p.float(), n_values
        self.offsets, self.levels = CONTEXTS.get(n_values, CONTEXTS["other"])

    def context(self, v: torch.Tensor) -> torch.Tensor:
        """The context index of every pixel of values v [B, 28, 28] (0 beyond the edges)."""
        q = torch.div(v * self.levels, self.n_values, rounding_mode="floor")
        q = F.pad(q, (2, 2, 2, 0))
        h, w = v.shape[1:]
        c = torch.zeros_like(v)
        for dy, dx in self.offsets:
            c = c * self.levels + q[:, 2 + dy:2 + dy + h, 2 + dx:2 + dx + w]
        return c

    def values(self, images_uint8: torch.Tensor) -> torch.Tensor:
        return prepare(images_uint8, self.n_values)[:, 0].long()

    @classmethod
    def fit(cls, train_uint8: torch.Tensor, n_values: int, alpha: float = 0.5) -> "ContextCoder":
        coder = cls(torch.zeros(1), n_values)
        v = coder.values(train_uint8)
        n_contexts = coder.levels ** len(coder.offsets)
        cells = (coder.context(v) * n_values + v).flatten()
        counts = torch.bincount(cells, minlength=n_contexts * n_values).view(-1, n_values).double() + alpha
        coder.log_p = (counts / counts.sum(1, keepdim=True)).log().float()
        return coder

    def code_length(self, images_uint8: torch.Tensor) -> torch.Tensor:
        """min(-log p_ctx(x), D log n_values): like any real coder it stores an image it cannot predict raw (a
        one-flag two-part code), so it never charges more than the raw pixels (uniform noise!)."""
        v = self.values(images_uint8)
        coded = -self.log_p[self.context(v), v].double().flatten(1).sum(1)
        return coded.clamp(max=v[0].numel() * math.log(self.n_values))


def code_lengths(images_uint8, n_values, coder: ContextCoder) -> dict[str, torch.Tensor]:
    return {"png": png_code_length(images_uint8, n_values), "context": coder.code_length(images_uint8)}


def scores(nll: torch.Tensor, lengths: dict[str, torch.Tensor], typical_nll: float) -> dict[str, torch.Tensor]:
    """Every per-image score (higher = more anomalous) from the model's NLL and the image's code lengths."""
    return {"nll": nll, "png": nll - lengths["png"], "context": nll - lengths["context"],
            "typicality": (nll - typical_nll).abs()}


def corrected_score(calibration: dict, nll: float, image_uint8: torch.Tensor,
                    context: ContextCoder | None) -> tuple[str, float] | None:
    """(name, value) of a model's calibrated best score for one image [1, 1, 28, 28] whose NLL is ``nll``;
    None when it needs a context table that is not stored."""
    best, n_values = calibration["best_score"], calibration["n_values"]
    if best == "context" and context is None:
        return None
    lengths = {"png": png_code_length(image_uint8, n_values),
               "context": context.code_length(image_uint8) if context else torch.full((1,), math.nan)}
    value = scores(torch.tensor([nll], dtype=torch.float64), lengths, calibration["typical_nll"])[best]
    return best, float(value[0])


# ----------------------------------------------------------------------------------------------- models
def is_likelihood_model(name: str) -> bool:
    """A checkpoint with an exact likelihood (an ``ImageAR``) or a bound on it (``has_likelihood_bound``)."""
    try:
        cls = REGISTRY[checkpoints.read_meta(name)["model"]].cls
    except checkpoints.CheckpointError:
        return False
    return issubclass(cls, ImageAR) or getattr(cls, "has_likelihood_bound", False)


def n_values_of(model) -> int:
    """How many levels the model sees per pixel (the VAEs: binarized images)."""
    return getattr(model, "n_values", 2)


@torch.no_grad()
def model_nll(model, images_uint8: torch.Tensor, batch_size: int = 100, seed: int = SEED) -> torch.Tensor:
    """-log p(x) in nats for each image (a VAE: its importance-weighted bound, -log p(x) <= it; a conditional
    VAE: p(x) = 1/C sum_y p(x | y), VAE_SAMPLES / C samples per class), float64 [B]."""
    x = prepare(images_uint8, n_values_of(model))
    if isinstance(model, ImageAR):
        return nll_per_image(model, x, batch_size)
    g = torch.Generator().manual_seed(seed)
    out = []
    for b in x.split(batch_size):
        if model.conditional:
            c = model.n_classes
            per_class = [model.iw_bound(b, torch.full((len(b),), y), max(VAE_SAMPLES // c, 1), generator=g)
                         for y in range(c)]
            out.append(-(torch.logsumexp(torch.stack(per_class), 0) - math.log(c)))
        else:
            out.append(-model.iw_bound(b, k=VAE_SAMPLES, generator=g))
    return torch.cat(out).double()


# ----------------------------------------------------------------------------------------------- the sets
def subset(x: torch.Tensor, limit: int, seed: int) -> torch.Tensor:
    """A seeded random subset of ``limit`` items (all of them, in order, when there are fewer)."""
    if limit >= len(x):
        return x
    return x[torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:limit].sort().values]


def shifted(x: torch.Tensor, seed: int) -> torch.Tensor:
    """Each image moved by 5 to 9 pixels in each direction (random signs), zeros shifted in."""
    g = torch.Generator().manual_seed(seed)
    out = torch.zeros_like(x)
    for k, (dy, dx) in enumerate((torch.randint(5, 10, (len(x), 2), generator=g)
                                  * (torch.randint(0, 2, (len(x), 2), generator=g) * 2 - 1)).tolist()):
        src = x[k, 0, max(-dy, 0):28 - max(dy, 0), max(-dx, 0):28 - max(dx, 0)]
        out[k, 0, max(dy, 0):28 - max(-dy, 0), max(dx, 0):28 - max(-dx, 0)] = src
    return out


def rotated(x: torch.Tensor, seed: int) -> torch.Tensor:
    """Each image turned by 90, 180 or 270 degrees (exact: no interpolation)."""
    turns = torch.randint(1, 4, (len(x),), generator=torch.Generator().manual_seed(seed))
    return torch.stack([torch.rot90(image, int(k), (1, 2)) for image, k in zip(x, turns)])


def uniform_noise(n: int, seed: int) -> torch.Tensor:
    return torch.randint(0, 256, (n, 1, 28, 28), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


def near_blank(n: int, seed: int) -> torch.Tensor:
    """One grey level per image (uniform 0..255) with at most 4 levels of noise around it."""
    g = torch.Generator().manual_seed(seed)
    level = torch.randint(0, 256, (n, 1, 1, 1), generator=g)
    return (level + torch.randint(-4, 5, (n, 1, 28, 28), generator=g)).clamp(0, 255).to(torch.uint8)


def natural_sets(test_uint8: torch.Tensor, limit: int, seed: int = SEED, data_dir=None,
                 log=print) -> dict[str, torch.Tensor]:
    """The out-of-distribution sets of ``limit`` images each (MNIST skipped with a message when absent)."""
    sets = {}
    try:
        sets["mnist"] = subset(load_split("mnist", "test", data_dir, download=False)[0], limit, seed + 1)
    except (DataNotFound, OSError) as e:
        log(f"skipping the MNIST set: {str(e).splitlines()[0]}")
    sets["inverted"] = 255 - test_uint8
    sets["shifted"] = shifted(test_uint8, seed + 2)
    sets["rotated"] = rotated(test_uint8, seed + 3)
    sets["noise"] = uniform_noise(limit, seed + 4)
    sets["blank"] = near_blank(limit, seed + 5)
    return sets


# ----------------------------------------------------------------------------------------------- adversarial
def _input_gradient(net, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """d cross-entropy / d pixel for float pixels x 0..255."""
    x = x.detach().requires_grad_(True)
    F.cross_entropy(net(to_unit_range(x)), y, reduction="sum").backward()
    return x.grad


def fgsm(net, images_uint8: torch.Tensor, labels: torch.Tensor, epsilon: int = EPSILON) -> torch.Tensor:
    """x + epsilon sign(grad_x loss), kept in 0..255 (Goodfellow et al. 2015): whole grey levels, uint8."""
    net.eval()
    x = images_uint8.float()
    return (x + epsilon * _input_gradient(net, x, labels).sign()).clamp(0, 255).to(torch.uint8)


def pgd(net, images_uint8: torch.Tensor, labels: torch.Tensor, epsilon: int = EPSILON, steps: int = PGD_STEPS,
        step: int = PGD_STEP, seed: int = SEED) -> torch.Tensor:
    """Projected gradient ascent on the loss (Madry et al. 2018) from a random start within epsilon: each
    step moves every pixel ``step`` grey levels along the gradient's sign, then back into the epsilon box
    around the original and into 0..255. Whole grey levels throughout, so the result is a valid 8-bit image."""
    net.eval()
    x0 = images_uint8.float()
    start = torch.randint(-epsilon, epsilon + 1, x0.shape, generator=torch.Generator().manual_seed(seed))
    x = (x0 + start).clamp(0, 255)
    for _ in range(steps):
        x = x + step * _input_gradient(net, x, labels).sign()
        x = torch.minimum(torch.maximum(x, x0 - epsilon), x0 + epsilon).clamp(0, 255)
    return x.round().to(torch.uint8)


@torch.no_grad()
def predict(net, images_uint8: torch.Tensor) -> torch.Tensor:
    """Class probabilities [B, C] of the classifier."""
    net.eval()
    return torch.cat([net(to_unit_range(b)).softmax(1) for b in images_uint8.split(500)])


def adversarial_sets(net, images_uint8, labels) -> tuple[dict[str, torch.Tensor], dict]:
    """FGSM and PGD examples of the images (epsilon = EPSILON, and PGD at STRONG_EPSILON too), and the
    classifier's accuracy on the originals and on them."""
    pairs = list(zip(images_uint8.split(250), labels.split(250)))
    sets = {"fgsm": torch.cat([fgsm(net, x, y) for x, y in pairs]),
            "pgd": torch.cat([pgd(net, x, y) for x, y in pairs]),
            f"pgd{STRONG_EPSILON}": torch.cat([pgd(net, x, y, STRONG_EPSILON) for x, y in pairs])}
    accuracy = {f"{k}_accuracy": float((predict(net, x).argmax(1) == labels).double().mean())
                for k, x in {"clean": images_uint8, **sets}.items()}
    accuracy["max_change_levels"] = {k: int((x.int() - images_uint8.int()).abs().max()) for k, x in sets.items()}
    return sets, accuracy


# ----------------------------------------------------------------------------------------------- stored results
def results_path():
    return checkpoints.CHECKPOINT_DIR / RESULTS


def load_results() -> dict:
    """The stored measurements (empty when there are none or they are unreadable)."""
    try:
        return json.loads(results_path().read_text())
    except (OSError, ValueError):
        return {}


def load_companion() -> dict[str, torch.Tensor]:
    try:
        return load_file(str(checkpoints.CHECKPOINT_DIR / COMPANION))
    except (OSError, ValueError, RuntimeError):
        return {}


def coder(n_values: int, companion: dict[str, torch.Tensor] | None = None) -> ContextCoder | None:
    """The stored context model for images with ``n_values`` levels, None when not measured."""
    companion = load_companion() if companion is None else companion
    table = companion.get(f"context/{n_values}")
    return None if table is None else ContextCoder(table, n_values)


def histogram(values: dict[str, torch.Tensor], bins: int = 40) -> dict[str, torch.Tensor]:
    """Counts of each set's scores over one set of bin edges spanning their 1st-99th percentiles (values
    beyond are counted in the end bins)."""
    everything = torch.cat(list(values.values())).double()
    low, high = torch.quantile(everything, torch.tensor([0.01, 0.99], dtype=torch.float64)).tolist()
    if high <= low:
        low, high = low - 1, high + 1
    edges = torch.linspace(low, high, bins + 1, dtype=torch.float64)
    out = {"edges": edges}
    for name, v in values.items():
        out[name] = torch.histc(v.double().clamp(low, high), bins, low, high)
    return out


# ----------------------------------------------------------------------------------------------- the measurement
def evaluate_model(name: str, model, inputs: dict[str, torch.Tensor], coders: dict[int, ContextCoder],
                   seed: int = SEED, log=print, cache: Path | None = None) -> tuple[dict, dict, dict]:
    """(results set -> score -> {auroc, fpr95}, calibration, histograms) of one model; with ``cache`` (a folder)
    the per-image NLLs are kept there and reused (same sets, same sizes), so a change of score costs no model."""
    n_values = n_values_of(model)
    cached = cache / f"{name}.safetensors" if cache else None
    nll = load_file(str(cached)) if cached and cached.is_file() else {}
    for set_name, x in inputs.items():
        if set_name in nll and len(nll[set_name]) == len(x):
            continue
        start = time.time()
        nll[set_name] = model_nll(model, x, seed=seed)
        log(f"  {name} {set_name}: mean -log p {nll[set_name].mean():.1f} nats ({time.time() - start:.0f} s)")
        if cached:
            save_file({k: v.contiguous() for k, v in nll.items()}, str(cached))
    typical = float(nll["val"].mean())
    s = {k: scores(nll[k], code_lengths(x, n_values, coders[n_values]), typical) for k, x in inputs.items()}
    thresholds = {score: threshold(s["val"][score]) for score in SCORES}
    results = {}
    for set_name in inputs:
        if set_name in ("val", "test"):
            continue
        results[set_name] = {score: {"auroc": round(auroc(s["test"][score], s[set_name][score]), 4),
                                     "fpr95": round(fpr_at_tpr(s["test"][score], s[set_name][score]), 4)}
                             for score in SCORES}
        n_batches = max(len(nll["test"]) // BATCH, 1) * 2
        inside = (batch_means(nll["test"], n_batches, seed=seed) - typical).abs()
        outside = (batch_means(nll[set_name], n_batches, seed=seed + 1) - typical).abs()
        results[set_name][BATCH_SCORE] = {"auroc": round(auroc(inside, outside), 4),
                                          "fpr95": round(fpr_at_tpr(inside, outside), 4)}
    natural = [k for k in NATURAL_SETS if k in results]
    best = max(SCORES, key=lambda score: sum(results[k][score]["auroc"] for k in natural))
    calibration = {
        "n_values": n_values, "typical_nll": round(typical, 4), "best_score": best,
        "thresholds": {k: round(v, 4) for k, v in thresholds.items()},
        "test_fpr": {k: round(float((s["test"][k] > thresholds[k]).double().mean()), 4) for k in SCORES},
        "flagged": {set_name: {k: round(float((s[set_name][k] > thresholds[k]).double().mean()), 4)
                               for k in SCORES} for set_name in results}}
    histograms = {}
    for score in ("nll", best):
        for key, t in histogram({k: s[k][score] for k in PLOTTED if k in s}).items():
            histograms[f"{name}/{score}/{key}"] = t.float()
    return results, calibration, histograms


def measure(models=None, limit: int = SIZE, data_dir=None, seed: int = SEED, write: bool = True,
            log=functools.partial(print, flush=True), cache=None) -> dict:
    """Measure every likelihood model (or ``models``) on every set; write ood.json and its companion."""
    started = time.time()
    train = load_split("fashion-mnist", "train", data_dir)[0]
    val = subset(load_split("fashion-mnist", "val", data_dir)[0], limit, seed)
    test_images, test_labels = load_split("fashion-mnist", "test", data_dir)
    keep = subset(torch.arange(len(test_images)), limit, seed)
    test, labels = test_images[keep], test_labels[keep]
    inputs = {"val": val, "test": test, **natural_sets(test, limit, seed, data_dir, log)}
    report = {"protocol": {
        "in_distribution": "Fashion-MNIST test images", "calibration": "Fashion-MNIST validation images",
        "seed": seed, "fpr_target": FPR_TARGET,
        "epsilon": f"{EPSILON}/255 (pgd{STRONG_EPSILON}: {STRONG_EPSILON}/255)",
        "pgd": f"{PGD_STEPS} steps of {PGD_STEP}/255 from a random start", "vae_importance_samples": VAE_SAMPLES, "scores": SCORE_NAMES,
        "contexts": {str(k): {"neighbours": v[0], "levels": v[1]} for k, v in CONTEXTS.items()}},
        "classifier": None, "results": {}, "calibration": {}}
    try:
        net = checkpoints.load("classifier-fashion-mnist")
        adversarial, report["classifier"] = adversarial_sets(net, test, labels)
        inputs.update(adversarial)
        log(f"classifier: {report['classifier']}")
    except checkpoints.CheckpointError as e:
        log(f"skipping the adversarial sets: {e}")
    report["protocol"]["sizes"] = {k: len(v) for k, v in inputs.items()}
    stored = load_results() if models and write else {}
    if stored.get("protocol", {}).get("sizes") == report["protocol"]["sizes"]:  # measuring some models again
        report["results"], report["calibration"] = stored.get("results", {}), stored.get("calibration", {})
        started -= stored.get("seconds", 0)  # the total time of the measurements in the file
    names = models or [n for n in checkpoints.available() if is_likelihood_model(n)]
    coders, companion = {}, (load_companion() if report["results"] else {})
    for name in names:
        model = checkpoints.load(name)
        torch.manual_seed(seed)
        n_values = n_values_of(model)
        if n_values not in coders:
            coders[n_values] = ContextCoder.fit(train, n_values)
            companion[f"context/{n_values}"] = coders[n_values].log_p.half()
        start = time.time()
        log(f"{name}:")
        results, calibration, histograms = evaluate_model(name, model, inputs, coders, seed, log,
                                                          Path(cache) if cache else None)
        calibration["seconds"] = round(time.time() - start)
        report["results"][name], report["calibration"][name] = results, calibration
        companion.update(histograms)
        report["seconds"] = round(time.time() - started)
        if write:  # after every model: a long run keeps what it measured
            results_path().write_text(json.dumps(report, indent=1) + "\n")
            save_file({k: v.contiguous() for k, v in companion.items()}, str(checkpoints.CHECKPOINT_DIR / COMPANION))
    return report


def table(report: dict) -> str:
    """AUROC per model and set: raw NLL / best corrected score (and which)."""
    sets = [k for k in (*NATURAL_SETS, *ADVERSARIAL_SETS) if any(k in r for r in report["results"].values())]
    lines = ["AUROC raw -log p -> corrected (score); Fashion-MNIST test vs. each set",
             "model".ljust(20) + "".join(k.rjust(22) for k in sets)]
    for name, results in report["results"].items():
        cells = []
        for k in sets:
            r = results.get(k)
            if r is None:
                cells.append("—".rjust(22))
                continue
            best = max((s for s in r if s != "nll"), key=lambda s: r[s]["auroc"])
            cells.append(f"{r['nll']['auroc']:.3f} -> {r[best]['auroc']:.3f} ({SHORT[best]})".rjust(22))
        lines.append(name[:20].ljust(20) + "".join(cells))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m gen_core.ood", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="*", default=None, help="checkpoint names (default: every likelihood model)")
    ap.add_argument("--limit", type=int, default=SIZE, help=f"images per set (default {SIZE})")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-write", action="store_true", help="print only; leave checkpoints/ood.json as it is")
    ap.add_argument("--cache", default=None, metavar="DIR",
                    help="keep each model's per-image NLLs in DIR and reuse them (same --limit and --seed)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.cache:
        Path(args.cache).mkdir(parents=True, exist_ok=True)
    report = measure(args.models, args.limit, args.data_dir, args.seed, write=not args.no_write, cache=args.cache)
    print(json.dumps(report, indent=1))
    print(table(report))
    return report


if __name__ == "__main__":
    main()
