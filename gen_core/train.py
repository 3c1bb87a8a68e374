"""Train a model by maximum likelihood: ``python -m gen_core.train MODEL --dataset fashion-mnist``.

Minimizes the mean NLL -log p(x) (nats per image) with Adam and a cosine learning-rate decay,
validates after every epoch and keeps the best checkpoint (by validation NLL) in the run folder;
at the end it measures the test NLL of that best checkpoint, draws its 16-sample grid and
publishes all three files to ``checkpoints/`` (so that folder only ever holds finished models).

Runs are resumable: ``RUN_DIR/NAME/state.safetensors`` + ``state.json`` (RUN_DIR: ``$GENLAB_RUNS``,
default ``~/.cache/genlab/runs``) are written every epoch and
every ``--save-every`` seconds; ``--resume`` continues exactly where the run stopped.
On CUDA it uses bf16 autocast and pinned host memory.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from . import checkpoints
from .data import load_split, prepare
from .evaluate import bits_per_dim, mean_nll
from .models import REGISTRY, build
from .viz import save_grid_png

# resumable run states live outside the work tree, so that a fresh checkout can still --resume
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


# -- resumable state: model + optimizer tensors in safetensors, the rest in JSON -------------------
def save_state(run: Path, model, opt, info: dict) -> None:
    run.mkdir(parents=True, exist_ok=True)
    opt_sd = opt.state_dict()
    tensors = {f"model/{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    for idx, st in opt_sd["state"].items():
        for key, v in st.items():
            tensors[f"opt/{idx}/{key}"] = torch.as_tensor(v).detach().cpu().contiguous()
    save_file(tensors, str(run / "state.tmp"))
    os.replace(run / "state.tmp", run / "state.safetensors")
    (run / "state.json").write_text(json.dumps({**info, "param_groups": opt_sd["param_groups"]}, indent=1))


def load_state(run: Path, model, opt, device) -> dict:
    tensors = load_file(str(run / "state.safetensors"))
    info = json.loads((run / "state.json").read_text())
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model/")})
    state: dict = {}
    for k, v in tensors.items():
        if k.startswith("opt/"):
            _, idx, key = k.split("/")
            state.setdefault(int(idx), {})[key] = v if key == "step" else v.to(device)
    opt.load_state_dict({"state": state, "param_groups": info.pop("param_groups")})
    return info


def learning_rate(lr: float, step: int, total: int) -> float:
    """Linear warm-up (200 steps, or a tenth of a short run), then cosine decay to 5% of ``lr``."""
    warmup = min(200, max(1, total // 10))
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m gen_core.train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", choices=sorted(REGISTRY))
    ap.add_argument("--dataset", default="fashion-mnist", choices=["fashion-mnist", "mnist"])
    ap.add_argument("--data-dir", default=None, help="folder holding the IDX files (else GENLAB_DATA, ...)")
    ap.add_argument("--epochs", type=int, default=None, help="default: the model's registry value")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--resume", action="store_true", help="continue RUN_DIR/NAME/ where it stopped")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=None, help="use only the first N train/val/test images")
    ap.add_argument("--config", default="{}", help="JSON overriding the model config, e.g. '{\"hidden\": 100}'")
    ap.add_argument("--out", default=str(checkpoints.CHECKPOINT_DIR), help="where the best checkpoint goes")
    ap.add_argument("--run-dir", default=str(RUN_DIR))
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    ap.add_argument("--save-every", type=float, default=300, help="seconds between mid-epoch saves")
    return ap.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    spec = REGISTRY[args.model]
    epochs, batch_size = args.epochs or spec.epochs, args.batch_size or spec.batch_size
    lr = args.lr or spec.lr
    device = resolve_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    cuda = device.type == "cuda"
    torch.manual_seed(args.seed)
    config = {**spec.config, **json.loads(args.config)}
    model = build(args.model, config).to(device)
    data = {s: prepare(load_split(args.dataset, s, args.data_dir)[0][: args.limit], model.n_values)
            for s in ("train", "val", "test")}
    if cuda:
        data = {s: x.pin_memory() for s, x in data.items()}
    name = f"{args.model}-{args.dataset}"
    run, out = Path(args.run_dir) / name, Path(args.out) / name
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n_train = len(data["train"])
    steps_per_epoch = math.ceil(n_train / batch_size)
    info = {"epoch": 0, "batch": 0, "step": 0, "best_val": float("inf"), "wall_time_s": 0.0, "history": []}
    if args.resume and (run / "state.json").is_file():
        info = load_state(run, model, opt, device)
        print(f"resumed {name} at epoch {info['epoch']} batch {info['batch']} (best val {info['best_val']:.2f})")
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{name}: {n_params:,} parameters, {n_train} train images, device {device}")
    t_start, last_save = time.time() - info["wall_time_s"], time.time()

    def snapshot():
        info["wall_time_s"] = time.time() - t_start
        save_state(run, model, opt, info)

    while info["epoch"] < epochs:
        epoch = info["epoch"]
        perm = torch.randperm(n_train, generator=torch.Generator().manual_seed(args.seed + epoch))
        model.train()
        train_sum, train_count = 0.0, 0
        bar = tqdm(range(info["batch"], steps_per_epoch), desc=f"epoch {epoch + 1}/{epochs}",
                   mininterval=5, dynamic_ncols=True)
        for b in bar:
            x = data["train"][perm[b * batch_size:(b + 1) * batch_size]].to(device, non_blocking=True)
            for group in opt.param_groups:
                group["lr"] = learning_rate(lr, info["step"], epochs * steps_per_epoch)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
                loss = model.loss(x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            info["step"] += 1
            info["batch"] = b + 1
            train_sum, train_count = train_sum + loss.item(), train_count + 1
            bar.set_postfix(nll=f"{loss.item():.2f}", refresh=False)
            if time.time() - last_save > args.save_every:
                snapshot()
                last_save = time.time()
        val = mean_nll(model, data["val"], device=device)
        info["history"].append({"epoch": epoch + 1, "val_nll_nats": val,
                                "train_nll_nats": train_sum / max(1, train_count)})
        print(f"epoch {epoch + 1}: val NLL {val:.3f} nats ({bits_per_dim(val, model):.4f} bits/dim)")
        if val < info["best_val"]:
            info["best_val"] = val
            checkpoints.save(model, run / "best", sidecar(args, config, info, n_params, device, time.time() - t_start))
        info["epoch"], info["batch"] = epoch + 1, 0
        snapshot()
    return finish(args, run / "best", out, device, data["test"])


def sidecar(args, config, info, n_params, device, wall_time) -> dict:
    return {
        "model": args.model, "config": config, "dataset": args.dataset, "parameters": n_params,
        "data_protocol": {"train": "first 55,000 training images", "val": "last 5,000 training images",
                          "test": "10,000 test images", "binarization": "pixel >= 128",
                          "limit": args.limit},
        "seed": args.seed, "commit": git_commit(), "device": str(device),
        "device_name": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "wall_time_s": round(wall_time, 1), "epochs": info["epoch"] + 1,
        "history": info["history"], "metrics": {"val_nll_nats": info["best_val"]},
    }


def finish(args, best: Path, out: Path, device, test_x) -> dict:
    """Test NLL and a 16-sample grid for the best checkpoint, published to ``out``."""
    model = checkpoints.load(best, device)
    meta = model.meta
    test = mean_nll(model, test_x, device=device)
    meta["metrics"].update(test_nll_nats=test, bits_per_dim=bits_per_dim(test, model),
                           test_images=len(test_x))
    samples = model.sample(16, generator=torch.Generator(device).manual_seed(args.seed))
    out.parent.mkdir(parents=True, exist_ok=True)
    save_grid_png(samples, out.with_suffix(".png"), model.n_values)
    checkpoints.save(model, out, meta)
    print(f"{out.name}: test NLL {test:.2f} nats/image, {meta['metrics']['bits_per_dim']:.4f} bits/dim")
    return meta


if __name__ == "__main__":
    main()
