"""Train any registry model: ``python -m gen_core.train MODEL [--dataset NAME] [--epochs N]``.

One loop for every family: the model's task (``gen_core.tasks``) supplies the batches, one
optimization step (maximum likelihood with Adam for the likelihood models) and a validation
metric. The learning rate warms up, then follows a cosine decay; after every epoch the loop
validates and keeps the best checkpoint in the run folder; at the end it measures that
checkpoint's test metrics and writes them with the task's artifacts (a sample grid) into
``RUN_DIR/NAME/finished/``. Only ``--publish`` (or ``--publish-best``) writes them into ``checkpoints/``,
the models the app ships; ``--resume --publish`` publishes a finished run without training again.

Runs are resumable: ``RUN_DIR/NAME/state.safetensors`` + ``state.json`` (RUN_DIR: ``$GENLAB_RUNS``,
default ``~/.cache/genlab/runs``) are written every epoch and
every ``--save-every`` seconds; ``--resume`` continues exactly where the run stopped. Resumed with
another ``--epochs`` or ``--config`` (to extend a run, or fine-tune it with dropout), the run follows
the new plan (the cosine schedule stretched to the new length) and the sidecar's ``changes`` say what
changed after which epoch. ``--ema DECAY`` (Polyak averaging) validates, keeps and ships an
exponential moving average of the weights instead of the last ones; it can also be switched on at a resume.
On CUDA it uses bf16 autocast and pinned host memory; `--cpu-bf16` autocasts the CPU training steps
to bf16 as well (AMX CPUs run the convolutions ~2.4x faster; validation and test stay float32).

``torchrun --nproc_per_node N -m gen_core.train MODEL`` trains with DistributedDataParallel (NCCL on
GPUs, Gloo on CPUs): every process takes its share of each global batch, so the batch size, the
learning-rate schedule, the resumable state and the sidecar are those of one process; only rank 0
validates, writes files and prints. Tasks with their own multi-optimizer step (the GANs) train in one
process only.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import shlex
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from . import checkpoints
from . import tasks
from .data.images import DataNotFound
from .data.text import CorpusNotFound
from .models import REGISTRY, build

# resumable run states live outside the work tree (a fresh checkout can still --resume); finished models
# stay there too until --publish copies them into checkpoints/
RUN_DIR = Path(os.environ.get("GENLAB_RUNS", Path.home() / ".cache" / "genlab" / "runs"))


def resolve_device(choice: str) -> torch.device:
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda asked for, but torch sees no CUDA device")
    return torch.device(choice)


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


class WeightAverage:
    """Polyak averaging: after every step theta_bar <- d theta_bar + (1 - d) theta for each weight (PixelCNN++
    uses d = 0.9995, an average over the last ~2,000 steps). Late in training the optimizer bounces around a
    minimum; the average sits nearer its middle, so it is what validates and ships."""

    def __init__(self, model, decay: float, averages: dict[str, torch.Tensor] | None = None):
        self.decay = decay
        self.theta_bar = averages or {k: p.detach().clone() for k, p in model.named_parameters()}

    def update(self, model) -> None:
        with torch.no_grad():
            for k, p in model.named_parameters():
                self.theta_bar[k].lerp_(p, 1 - self.decay)

    @contextlib.contextmanager
    def applied(self, model):
        """The model holds the averaged weights inside the block, its own weights again after it."""
        params = dict(model.named_parameters())
        theta = {k: p.detach().clone() for k, p in params.items()}
        with torch.no_grad():
            for k, p in params.items():
                p.copy_(self.theta_bar[k])
            try:
                yield
            finally:
                for k, p in params.items():
                    p.copy_(theta[k])


# -- resumable state: model + optimizer tensors in safetensors, the rest in JSON -------------------
def save_state(run: Path, model, optimizers: dict, info: dict, average: WeightAverage | None = None) -> None:
    run.mkdir(parents=True, exist_ok=True)
    tensors = {f"model/{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    if average:
        tensors.update({f"average/{k}": v.detach().cpu().contiguous() for k, v in average.theta_bar.items()})
    groups = {}
    for name, opt in optimizers.items():
        opt_sd = opt.state_dict()
        groups[name] = opt_sd["param_groups"]
        for idx, st in opt_sd["state"].items():
            for key, v in st.items():
                tensors[f"opt/{name}/{idx}/{key}"] = torch.as_tensor(v).detach().cpu().contiguous()
    save_file(tensors, str(run / "state.tmp"))
    os.replace(run / "state.tmp", run / "state.safetensors")
    (run / "state.json").write_text(json.dumps({**info, "param_groups": groups}, indent=1))


def load_state(run: Path, model, optimizers: dict, device) -> tuple[dict, dict[str, torch.Tensor]]:
    """The run's info; the model and optimizers are restored in place. Also returns the weight averages
    it holds (empty when the run had none)."""
    tensors = load_file(str(run / "state.safetensors"))
    info = json.loads((run / "state.json").read_text())
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model/")})
    averages = {k[8:]: v.to(device) for k, v in tensors.items() if k.startswith("average/")}
    groups = info.pop("param_groups")
    if isinstance(groups, list):  # states written before optimizers had names: one, the model's
        groups = {"model": groups}
    state: dict = {name: {} for name in optimizers}
    for k, v in tensors.items():
        if k.startswith("opt/"):
            *name, idx, key = k.split("/")[1:]
            state[name[0] if name else "model"].setdefault(int(idx), {})[key] = v if key == "step" else v.to(device)
    for name, opt in optimizers.items():
        opt.load_state_dict({"state": state[name], "param_groups": groups[name]})
    return info, averages


@dataclass(frozen=True)
class Settings:
    """Every number that shapes a run, as plain values: kept in the run state and recorded in the
    sidecar's ``training`` (as nanoGPT saves its config)."""
    epochs: int
    batch_size: int
    lr: float
    warmup_steps: int = 200         # linear warm-up (at most a tenth of a short run), then cosine decay
    final_lr_fraction: float = 0.05  # the cosine ends at this fraction of lr
    grad_clip: float = 10.0          # gradient-norm clipping of every step
    precision: str = "float32"       # or "bf16 autocast" (CUDA, or --cpu-bf16)
    hflip: bool = False
    ema: float | None = None
    seed: int = 0


def learning_rate(settings: Settings, lr: float, step: int, total: int) -> float:
    """Linear warm-up over ``warmup_steps`` (or a tenth of a short run), then cosine decay to
    ``final_lr_fraction`` of ``lr``."""
    warmup = min(settings.warmup_steps, max(1, total // 10))
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    floor = settings.final_lr_fraction
    return lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


SWITCHES = {  # the on/off options, and what each does
    "--cpu-bf16": "bf16 autocast for the training steps on the CPU too (validation and test stay float32); "
                  "worth it on CPUs with AMX, where the convolutional models train about 2.4x faster",
    "--hflip": "image likelihood models: train on every image and its left-right mirror image "
               "(twice the steps per epoch; a regularizer against overfitting)",
    "--weights-float16": "publish the weights in float16 (half the file size); the test metrics are measured "
                         "after that rounding",
    "--publish": "write the finished model into checkpoints/ (or --out), where the app finds it; without it "
                 "the finished files stay in RUN_DIR/NAME/finished/ (`--resume --publish` ships a finished run)",
    "--publish-best": "train nothing: measure and publish the run's best checkpoint so far into checkpoints/ (or "
                      "--out); a run that will take several sessions can ship its model early, its sidecar "
                      "says after which epoch",
}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m gen_core.train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", choices=sorted(REGISTRY))
    ap.add_argument("--dataset", default=None, help="default: the model's registry dataset (fashion-mnist for images)")
    ap.add_argument("--data-dir", default=None, help="folder holding the IDX files (else GENLAB_DATA, ...)")
    ap.add_argument("--corpus", default=None, metavar="PATH",
                    help="text models: train on this UTF-8 file (checkpoint MODEL-<file stem>) instead of --dataset")
    ap.add_argument("--epochs", type=int, default=None, help="default: the model's registry value")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--resume", action="store_true", help="continue RUN_DIR/NAME/ where it stopped")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=None, help="use only the first N train/val/test examples")
    ap.add_argument("--config", default="{}", help="JSON overriding the model config, e.g. '{\"hidden\": 100}'")
    ap.add_argument("--out", default=None, metavar="DIR",
                    help="publish the finished model into DIR (implies --publish; default with --publish: checkpoints/)")
    ap.add_argument("--run-dir", default=str(RUN_DIR))
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    for flag, text in SWITCHES.items():
        ap.add_argument(flag, action="store_true", help=text)
    ap.add_argument("--ema", type=float, default=None, metavar="DECAY",
                    help="validate, keep and publish an exponential moving average of the weights (Polyak "
                         "averaging), e.g. 0.9995; may be switched on when resuming")
    ap.add_argument("--save-every", type=float, default=300, help="seconds between mid-epoch saves")
    ap.add_argument("--init-from", default=None, metavar="CHECKPOINT",
                    help="a fresh run starts from these shipped weights (same model and config), e.g. "
                         "checkpoints/pixelcnn_dmol-fashion-mnist; the sidecar keeps that run's history")
    return ap.parse_args(argv)


@dataclass(frozen=True)
class Ranks:
    """This process's place among the ``torchrun`` processes (rank 0 of 1 without torchrun)."""
    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        """The one process that validates, writes files and prints."""
        return self.rank == 0

    def share(self, item):
        """This rank's contiguous part of a global batch (index tensor or sequence) and the weight that makes
        the ranks' averaged gradients those of the global batch's mean loss: world * len(part) / len(item)."""
        lo, hi = (len(item) * r // self.world for r in (self.rank, self.rank + 1))
        if hi == lo:  # a last batch smaller than the world: a token example that weighs nothing
            return item[:1], 0.0
        return item[lo:hi], self.world * (hi - lo) / len(item)


class LossOf(torch.nn.Module):
    """``model.loss`` as a forward pass, weighted by ``scale``: DistributedDataParallel hooks ``forward``."""

    def __init__(self, model):
        super().__init__()
        self.model, self.scale = model, 1.0

    def forward(self, batch):
        return self.model.loss(batch) * self.scale


def start_ranks(args) -> tuple[Ranks, torch.device]:
    """Under torchrun (``WORLD_SIZE`` > 1) join the process group (NCCL on CUDA, Gloo on the CPU); the
    ranks and this process's device."""
    device = resolve_device(args.device)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Ranks(), device
    spec = REGISTRY[args.model]
    if tasks.TASKS[spec.task].optimizers is not tasks.Task.optimizers:
        raise SystemExit(f"error: {args.model} trains with its own step and several optimizers "
                         f"({tasks.TASKS[spec.task].__name__}), which torchrun does not distribute; "
                         f"train it in one process: python -m gen_core.train {args.model}")
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo",
                                         timeout=datetime.timedelta(hours=1))  # rank 0 validates alone meanwhile
    return Ranks(torch.distributed.get_rank(), world), device


@dataclass
class Run:
    """What one training run works with: its name, folders, settings, model and task."""
    name: str
    folder: Path
    out: Path
    settings: Settings
    config: dict
    dataset: str
    model: torch.nn.Module
    task: tasks.Task
    device: torch.device
    ranks: Ranks = Ranks()


def prepare(args) -> Run:
    """The run the command line asks for: settings, model and task (a bad choice ends with a message)."""
    spec = REGISTRY[args.model]
    ranks, device = start_ranks(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    bf16 = device.type == "cuda" or args.cpu_bf16
    settings = Settings(epochs=args.epochs or spec.epochs, batch_size=args.batch_size or spec.batch_size,
                        lr=args.lr or spec.lr, precision="bf16 autocast" if bf16 else "float32",
                        hflip=args.hflip, ema=args.ema, seed=args.seed)
    dataset = str(Path(args.corpus).resolve()) if args.corpus else args.dataset or spec.dataset
    task_cls = tasks.TASKS[spec.task]
    if args.hflip and not issubclass(task_cls, tasks.ImageLikelihood):
        raise SystemExit(f"error: --hflip applies to the autoregressive image models, not {args.model}")
    options = {**spec.task_options, **({"hflip": True} if args.hflip else {})}
    try:
        config = task_cls.configure({**spec.config, **json.loads(args.config)}, dataset, args.data_dir)
        model = build(args.model, config).to(device)
        task = task_cls(model, dataset, data_dir=args.data_dir, limit=args.limit, device=device, bf16=bf16,
                        grad_clip=settings.grad_clip, **options)
    except ValueError as e:
        raise SystemExit(f"error: {e}") from e
    name = f"{args.model}-{Path(dataset).stem if args.corpus else dataset}"
    folder = Path(args.run_dir) / name
    if args.out or args.publish or args.publish_best:
        out = Path(args.out or checkpoints.CHECKPOINT_DIR) / name
    else:
        out = folder / "finished" / name
    return Run(name, folder, out, settings, config, dataset, model, task, device, ranks)


def distribute(run: Run) -> None:
    """Under torchrun, send the task's loss through DistributedDataParallel (gradients averaged over the ranks)."""
    if run.ranks.world > 1:
        run.task.parallel = torch.nn.parallel.DistributedDataParallel(
            LossOf(run.model), device_ids=[run.device.index] if run.device.type == "cuda" else None,
            find_unused_parameters=True)


def main(argv=None) -> dict | None:
    """Train (or resume, or publish) the run the command line asks for; the published sidecar (None on
    ranks other than 0). A missing dataset ends with a three-line message."""
    args = parse_args(argv)
    try:
        run = prepare(args)
        if args.publish_best:
            return publish_best(args, run) if run.ranks.main else None
        optimizers = run.task.optimizers(run.settings.lr)
        info, average = start_or_resume(args, run, optimizers)
        n_params = sum(p.numel() for p in run.model.parameters())
        steps_per_epoch = len(run.task.batches(0, run.settings.batch_size, run.settings.seed))
        distribute(run)
        say(run, f"{run.name}: {n_params:,} parameters, {steps_per_epoch} batches of {run.settings.batch_size} per "
                 f"epoch, device {run.device}" + (f", {run.ranks.world} processes" if run.ranks.world > 1 else ""))
        clock = Clock(info["wall_time_s"], args.save_every)
        while info["epoch"] < run.settings.epochs:
            means = train_epoch(run, optimizers, info, average, steps_per_epoch, clock)
            if run.ranks.main:
                validate_and_keep_best(args, run, info, average, means, n_params, clock)
            info["epoch"], info["batch"] = info["epoch"] + 1, 0
            clock.save(run, optimizers, info, average)
        if not run.ranks.main:
            return None
        meta = finish(args, run)
    except (DataNotFound, CorpusNotFound) as e:
        raise SystemExit(f"error: {e}") from None
    finally:
        if torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
    if not (args.out or args.publish):
        given = [a for a in (sys.argv[1:] if argv is None else argv) if a != "--resume"]
        command = shlex.join([".venv/bin/python", "-m", "gen_core.train", *given, "--resume", "--publish"])
        print(f"{run.name} is in {run.out.parent}; nothing was written to checkpoints/. To ship it with the app:\n"
              f"  {command}")
    return meta


def say(run: Run, text: str) -> None:
    """Print on rank 0 only."""
    if run.ranks.main:
        print(text)


class Clock:
    """Wall time of a run across resumes, and when the next mid-epoch save is due."""

    def __init__(self, spent: float, save_every: float):
        self.start, self.last_save, self.save_every = time.time() - spent, time.time(), save_every

    def elapsed(self) -> float:
        return time.time() - self.start

    def save(self, run: Run, optimizers, info: dict, average) -> None:
        """Write the resumable state (rank 0 only: every rank holds the same)."""
        if not run.ranks.main:
            return
        info["wall_time_s"] = self.elapsed()
        save_state(run.folder, run.model, optimizers, info, average)
        self.last_save = time.time()

    def save_due(self) -> bool:
        return time.time() - self.last_save > self.save_every


def start_or_resume(args, run: Run, optimizers) -> tuple[dict, WeightAverage | None]:
    """The run's progress: fresh, or (``--resume``) restored with the model and optimizers, any change of
    plan recorded. Returns it with the weight average (``--ema``) when there is one."""
    plan = {"config": run.config, "epochs": run.settings.epochs, **({"ema": args.ema} if args.ema else {})}
    plan = json.loads(json.dumps(plan))  # as state.json will hold it
    info = {"epoch": 0, "batch": 0, "step": 0, "best_val": float("inf"), "wall_time_s": 0.0, "history": [],
            "hflip": args.hflip, "plan": plan}
    averages = {}
    if args.resume and (run.folder / "state.json").is_file():
        info, averages = load_state(run.folder, run.model, optimizers, run.device)
        if info.get("hflip", False) != args.hflip:
            raise SystemExit(f"error: {run.name} was trained {'with' if info.get('hflip') else 'without'} --hflip; "
                             f"resume it the same way")
        record_changes(info, plan)
        say(run, f"resumed {run.name} at epoch {info['epoch']} batch {info['batch']} (best val {info['best_val']:.2f})")
    elif args.init_from:
        info["initialized_from"] = initialize(run, args.model, args.init_from)
    return info, (WeightAverage(run.model, args.ema, averages) if args.ema else None)


def initialize(run: Run, model: str, name_or_path) -> dict:
    """Copy a shipped checkpoint's weights into the run's model (a fine-tuning start); what the sidecar
    says about where they came from: that checkpoint's training, history and metrics."""
    meta = checkpoints.read_meta(name_or_path)
    if meta.get("model") != model or meta.get("config") != run.config:
        raise SystemExit(f"error: {name_or_path} is a {meta.get('model')} with config {meta.get('config')}, "
                         f"not this run's {run.config}")
    run.model.load_state_dict(checkpoints.load(name_or_path, run.device).state_dict())
    say(run, f"{run.name} starts from the weights of {name_or_path} ({meta.get('epochs')} epochs)")
    kept = ("commit", "epochs", "training", "wall_time_s", "history", "metrics", "changes", "initialized_from")
    return {"checkpoint": Path(name_or_path).name, **{k: meta[k] for k in kept if k in meta}}


def set_learning_rates(run: Run, optimizers: dict, step: int, total: int) -> None:
    for opt in optimizers.values():
        for group in opt.param_groups:
            base = group.setdefault("base_lr", run.settings.lr)
            group["lr"] = learning_rate(run.settings, base, step, total) if run.task.schedule else base


def train_epoch(run: Run, optimizers, info: dict, average, steps_per_epoch: int, clock: Clock) -> dict[str, float]:
    """The rest of epoch ``info["epoch"]`` (from batch ``info["batch"]``); the means of the numbers each step
    returned, over the batches this run ran (under torchrun: of the global batches, averaged over the ranks)."""
    batches = run.task.batches(info["epoch"], run.settings.batch_size, run.settings.seed)
    run.model.train()
    sums: dict[str, float] = {}
    count = 0
    bar = tqdm(range(info["batch"], len(batches)), desc=f"epoch {info['epoch'] + 1}/{run.settings.epochs}",
               mininterval=5, dynamic_ncols=True, disable=not run.ranks.main)
    for b in bar:
        set_learning_rates(run, optimizers, info["step"], run.settings.epochs * steps_per_epoch)
        numbers = run.task.step(run.task.batch(share(run, batches[b])), optimizers)
        if average:
            average.update(run.model)
        info["step"], info["batch"], count = info["step"] + 1, b + 1, count + 1
        for k, v in numbers.items():
            sums[k] = sums.get(k, 0.0) + v
        bar.set_postfix({k: f"{v:.3g}" for k, v in numbers.items()}, refresh=False)
        if clock.save_due():
            clock.save(run, optimizers, info, average)
    if run.ranks.world > 1:  # each rank's numbers are its weighted share: their mean is the global batch's
        keys = sorted(sums)
        total = torch.tensor([sums[k] for k in keys], dtype=torch.float64, device=run.device)
        torch.distributed.all_reduce(total)
        sums = dict(zip(keys, (total / run.ranks.world).tolist()))
    return {k: v / max(1, count) for k, v in sums.items()}


def share(run: Run, item):
    """The part of a global batch this process trains on (all of it without torchrun)."""
    if run.ranks.world == 1:
        return item
    item, run.task.parallel.module.scale = run.ranks.share(item)
    return item


def validate_and_keep_best(args, run: Run, info: dict, average, means: dict, n_params: int, clock: Clock) -> None:
    """Validate (the averaged weights under ``--ema``), log the epoch, keep the checkpoint when it is the best."""
    run.model.eval()
    epoch = info["epoch"] + 1
    with average.applied(run.model) if average else contextlib.nullcontext():
        val = run.task.validate()
        info["history"].append({"epoch": epoch, run.task.val_metric: val, **{f"train_{k}": v for k, v in means.items()}})
        print(f"epoch {epoch}: {run.task.val_metric} {val:.4f}")
        run.task.end_epoch(epoch, run.folder)
        if val < info["best_val"]:
            info["best_val"] = val
            checkpoints.save(run.model, run.folder / "best", sidecar(args, run, info, n_params, clock.elapsed()))


def publish_best(args, run: Run) -> dict:
    """Ship the run's best checkpoint so far, saying after which epoch (nothing is trained)."""
    if not (run.folder / "best.json").is_file():
        raise SystemExit(f"error: {run.folder} holds no best checkpoint yet; train {run.name} for an epoch first")
    done = json.loads((run.folder / "state.json").read_text())["epoch"]
    return finish(args, run, {"published_mid_run": f"after epoch {done} of {run.settings.epochs}"})


def record_changes(info: dict, plan: dict) -> None:
    """A run resumed with another config or epoch count (e.g. extended, or fine-tuned with dropout)
    keeps the new plan and notes in ``info["changes"]`` what it was before, and after which epoch."""
    before = info.get("plan")
    if before != plan:
        info.setdefault("changes", []).append({"after_epoch": info["epoch"], "before": before or "not recorded",
                                               "after": plan})
        info["plan"] = plan


def sidecar(args, run: Run, info: dict, n_params: int, wall_time: float) -> dict:
    device = run.device
    return {
        "model": args.model, "config": run.config, "dataset": run.dataset, "parameters": n_params,
        "data_protocol": run.task.protocol(), **run.task.meta(), "training": asdict(run.settings),
        "seed": args.seed, "commit": git_commit(), "device": str(device),
        "device_name": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "training_precision": run.settings.precision,
        "wall_time_s": round(wall_time, 1), "epochs": info["epoch"] + 1,
        **({"processes": run.ranks.world} if run.ranks.world > 1 else {}),
        **({"weight_average": f"exponential moving average, decay {args.ema}"} if args.ema else {}),
        "history": info["history"], "metrics": {run.task.val_metric: info["best_val"]},
        **{k: info[k] for k in ("changes", "initialized_from") if k in info},
    }


def finish(args, run: Run, extra: dict | None = None) -> dict:
    """Test metrics and the family's artifacts (a sample grid) for the best checkpoint, written to
    ``run.out`` (with the sidecar fields ``extra``): checkpoints/ when publishing, else the run folder."""
    task, out = run.task, run.out
    task.model = checkpoints.load(run.folder / "best", run.device)
    meta = {**task.model.meta, **(extra or {})}
    if args.weights_float16:
        meta["weights_dtype"] = "float16"
        checkpoints.round_weights(task.model, torch.float16)
    meta["metrics"].update(task.test_metrics())
    meta.update(task.reference())
    out.parent.mkdir(parents=True, exist_ok=True)
    task.artifacts(out, args.seed, run.folder)
    checkpoints.save(task.model, out, meta)
    print(f"{out.name}: " + ", ".join(f"{k} {v:.4g}" for k, v in meta["metrics"].items() if isinstance(v, float)))
    return meta


if __name__ == "__main__":
    main()
