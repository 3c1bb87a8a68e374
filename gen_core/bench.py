"""Sampling speed of every image model: ``python -m gen_core.bench [--threads N] [--json PATH]``.

Per model: parameters; ms per pixel step and seconds to draw 16 images (784 steps, batch of 16)
with the model's own stepper; the same per-step cost with the naive stepper that recomputes the
whole image for every pixel (timed over ``--naive-steps`` steps and extrapolated), and the ratio.
Per GAN: the time to draw a 64-image grid, G(z) and D(x) for each (one forward pass each).
Per character model and corpus: characters per second sampled through the one sampling loop, 500 with the
model's own step (for the transformer: past its 128-character window, which slides) and 200 with the naive
reader that recomputes everything read for every character.
Per VAE / autoencoder: the core's share of one Latent-tab slider update (decode z, lay the image out),
median and 95th percentile. A crowd: 32 requests of 1-4 images arriving at once on PixelCNN, drawn by two
workers one request at a time (as without batching) and through one ``batching.Batcher`` (rounds shared):
latency p50/p95 and images per second. ``--ui``: serve app.py and time start-up and Generate end to end.
Uses the shipped checkpoint when there is one (timings do not depend on the weights otherwise).
``--train``: instead, seconds per training step of every image model (a batch of the registry's
size; loss, backward, Adam), in float32 and under bf16 autocast (``train --cpu-bf16``).
"""
from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import torch

from . import checkpoints
from .models import REGISTRY, build
from .batching import Batcher
from .models.charlm import RecomputeReader, StepReader, iter_generate
from .sampling import RecomputeStepper, iter_sample, sample


def model_for(name: str, dataset: str = "fashion-mnist"):
    ckpt = f"{name}-{dataset}"
    if ckpt in checkpoints.available():
        return checkpoints.load(ckpt), True
    return build(name).eval(), False


def time_steps(model, stepper, n: int, steps: int, seed: int = 0) -> float:
    """Seconds per pixel step over the first ``steps`` steps of drawing n images with the sampling loop
    (``stepper``: None for the model's own step, ``RecomputeStepper`` for the naive one)."""
    loop = iter_sample(model, n, generator=torch.Generator().manual_seed(seed), stepper=stepper)
    t = time.perf_counter()
    for _ in itertools.islice(loop, steps):
        pass
    return (time.perf_counter() - t) / steps


def bench(names=None, n: int = 16, naive_steps: int = 30) -> list[dict]:
    rows = []
    for name in names or [m for m, spec in REGISTRY.items() if spec.task == "image"]:
        model, shipped = model_for(name)
        time_steps(model, None, n, 10)  # warm-up
        total = time_steps(model, None, n, model.num_pixels) * model.num_pixels
        naive = time_steps(model, RecomputeStepper, n, naive_steps)
        step = total / model.num_pixels
        rows.append({"model": name, "shipped": shipped, "parameters": sum(p.numel() for p in model.parameters()),
                     "ms_per_step": 1e3 * step, f"s_for_{n}_images": total,
                     "naive_ms_per_step": 1e3 * naive, "speedup_vs_naive": naive / step})
    return rows


def latencies(draw, requests, workers: int) -> tuple[list[float], float]:
    """(seconds from the start to each request's end, seconds for all) when ``requests`` (args of ``draw``)
    all arrive at once and ``workers`` threads serve them in order."""
    from concurrent.futures import ThreadPoolExecutor

    t0 = time.perf_counter()

    def served(request):
        draw(*request)
        return time.perf_counter() - t0

    with ThreadPoolExecutor(workers) as pool:
        done = list(pool.map(served, requests))
    return done, time.perf_counter() - t0


def crowd_batching(name: str = "pixelcnn", clients: int = 32, workers: int = 2) -> dict:
    """``clients`` requests of 1-4 images at once: served by ``workers`` one request each at a time, then
    merged into the shared rounds of one batcher (whose rounds take ``workers`` permits)."""
    model, shipped = model_for(name)
    requests = [(1 + k % 4, k) for k in range(clients)]
    batcher = Batcher(model, threading.Semaphore(workers))  # as the app's: one round at a time, of up to 128 images
    alone = lambda n, seed: sample(model, n, generator=torch.Generator().manual_seed(seed))  # noqa: E731
    shared = lambda n, seed: collections.deque(  # noqa: E731  (run the stream to its end)
        batcher.iter_sample(n, 1.0, torch.Generator().manual_seed(seed)), maxlen=0)
    row = {"model": f"{name} crowd", "shipped": shipped, "parameters": sum(p.numel() for p in model.parameters()),
           "clients": clients, "images": sum(n for n, _ in requests)}
    for how, draw, threads in (("alone", alone, workers), ("batched", shared, clients)):
        done, seconds = latencies(draw, requests, threads)
        row |= {f"{how}_p50_s": quantiles(done)[0], f"{how}_p95_s": quantiles(done)[1],
                f"{how}_images_per_s": row["images"] / seconds}
    row["rounds"] = list(batcher.round_sizes)
    return row


@torch.no_grad()
def gan_grid(names=None, n: int = 64, repeats: int = 5) -> list[dict]:
    """Per GAN: the best of ``repeats`` times to draw an n-image grid, G(z) and D(x) of each (the GAN tab's click)."""
    from .models.gan import class_labels

    rows = []
    for name in names or [m for m, spec in REGISTRY.items() if spec.task == "gan"]:
        model, shipped = model_for(name)
        y = class_labels(n, model.n_classes)
        times = []
        for k in range(repeats + 1):  # the first is a warm-up
            t0 = time.perf_counter()
            model.discriminate(model.sample(n, labels=y, generator=torch.Generator().manual_seed(k)), y)
            times.append(time.perf_counter() - t0)
        rows.append({"model": name, "shipped": shipped, "parameters": sum(p.numel() for p in model.parameters()),
                     f"ms_for_{n}_image_grid": 1e3 * min(times[1:])})
    return rows


def sampling_rate(model, length: int, reader=StepReader) -> float:
    """Characters per second drawn by the sampling loop reading with ``reader``, over ``length`` characters in
    all (names end at <end> after a few characters, so as many texts as it takes; <end> counts as drawn)."""
    prime = [] if model.vocab.end else model.vocab.encode("\n")[0]
    drawn, seed, t0 = 0, 0, time.perf_counter()
    while drawn < length:
        g = torch.Generator().manual_seed(seed)
        drawn += sum(1 for _ in iter_generate(model, prime, 1, length - drawn, generator=g, reader=reader))
        seed += 1
    return drawn / (time.perf_counter() - t0)


def text_rates(names=None, length: int = 500, naive_length: int = 200) -> list[dict]:
    """Per character model and corpus: characters per second when sampling ``length`` characters with the
    model's own step (recurrent state / KV cache), and ``naive_length`` characters with the naive reader that
    recomputes everything read for every character; both through the one sampling loop."""
    rows = []
    for name in names or [m for m, spec in REGISTRY.items() if spec.task == "text"]:
        for corpus in ("shakespeare", "names"):
            model, shipped = model_for(name, corpus)
            sampling_rate(model, 20)  # warm-up
            rows.append({"model": f"{name}-{corpus}", "shipped": shipped,
                         "parameters": sum(p.numel() for p in model.parameters()),
                         "chars_per_s": sampling_rate(model, length),
                         "naive_chars_per_s": sampling_rate(model, naive_length, RecomputeReader)})
    return rows


@torch.no_grad()
def latent_slider(names=None, updates: int = 200, seed: int = 0) -> list[dict]:
    """Per latent model: median and 95th-percentile ms of the model's side of a slider update over ``updates``
    random codes: decoding z (``latent_space.decode``) and tiling the image (``viz.grid``). The app's drawing
    on top of it (the marker on the 2-D plane, the PNG encoding) is not timed."""
    from . import latent_space, viz

    rows = []
    for name in names or [m for m, spec in REGISTRY.items() if spec.task == "latent"]:
        model, shipped = model_for(name)
        low, high = latent_space.limits(model)
        g = torch.Generator().manual_seed(seed)
        times = []
        for _ in range(updates + 5):  # the first 5 are a warm-up
            z = low + (high - low) * torch.rand(model.z_dim, generator=g)
            t0 = time.perf_counter()
            viz.grid(viz.to_uint8(latent_space.decode(model, z, 0 if model.conditional else None)))
            times.append(time.perf_counter() - t0)
        ms = torch.tensor(times[5:]) * 1e3
        rows.append({"model": name, "shipped": shipped, "parameters": sum(p.numel() for p in model.parameters()),
                     "slider_update_ms_median": ms.median().item(),
                     "slider_update_ms_p95": torch.quantile(ms, 0.95).item()})
    return rows


def train_steps(names=None, repeats: int = 3) -> list[dict]:
    """Median seconds per training step (after one warm-up step), float32 and bf16 autocast."""
    rows = []
    for name in names or [m for m, spec in REGISTRY.items() if spec.task == "image"]:
        spec, row = REGISTRY[name], {"model": name}
        for precision, dtype in (("float32", None), ("bf16", torch.bfloat16)):
            torch.manual_seed(0)
            model = build(name).train()
            x = torch.randint(0, model.n_values, (spec.batch_size, 1, model.image_size, model.image_size)).float()
            opt = torch.optim.Adam(model.parameters(), lr=spec.lr)
            times = []
            for _ in range(repeats + 1):
                t = time.perf_counter()
                with torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
                    loss = model.loss(x)
                opt.zero_grad()
                loss.backward()
                opt.step()
                times.append(time.perf_counter() - t)
            row[f"s_per_step_{precision}"] = sorted(times[1:])[repeats // 2]
        row["batch_size"] = spec.batch_size
        rows.append(row)
    return rows


def table(rows, n=16) -> str:
    head = (f"{'model':20} {'shipped':>7} {'params':>10} {'ms/step':>8} {f's/{n} imgs':>9} "
            f"{'naive ms/step':>13} {'speedup':>8}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['model']:20} {'yes' if r['shipped'] else 'no':>7} {r['parameters']:>10,} "
                     f"{r['ms_per_step']:>8.3f} {r[f's_for_{n}_images']:>9.2f} {r['naive_ms_per_step']:>13.2f} "
                     f"{r['speedup_vs_naive']:>7.1f}x")
    return "\n".join(lines)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


APP = Path(__file__).resolve().parent.parent / "app.py"


def serve_app(timeout: float = 120.0, **env_vars: str) -> tuple[subprocess.Popen, str, float]:
    """``python app.py`` in a child process on a free loopback port (with extra environment ``env_vars``):
    (process, url, seconds to the first HTTP 200)."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), **env_vars}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(APP)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/"
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return proc, url, time.perf_counter() - t0
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"app.py did not answer within {timeout:.0f} s")


def ui_latency(n: int = 16, seed: int = 0) -> list[dict]:
    """Per shipped image model: Generate pressed through gradio_client on the served app (the queue and
    streaming path a browser uses); seconds to the first streamed frame and to the finished grid of n images."""
    from gradio_client import Client  # lazily: the core never needs the UI's client otherwise

    proc, url, startup = serve_app()
    try:
        client = Client(url, verbose=False, download_files=False)
        rows = []
        for name in (c["name"] for c in shipped_checkpoints("image")):
            t0 = time.perf_counter()
            job = client.submit(name, seed, 1.0, n, api_name="/generate")
            first = None
            for _ in job:
                first = first or time.perf_counter() - t0
            job.result()
            rows.append({"model": f"{name} (ui)", "images": n, "first_frame_s": first,
                         "finished_s": time.perf_counter() - t0, "startup_s": startup})
        for name in (c["name"] for c in shipped_checkpoints("gan")):
            client.predict(name, 0, 64, 1.0, "every class", api_name="/gan_generate")  # warm
            times = []
            for seed in range(5):
                t0 = time.perf_counter()
                client.predict(name, seed, 64, 1.0, "every class", api_name="/gan_generate")
                times.append(time.perf_counter() - t0)
            rows.append({"model": f"{name} (ui)", "ms_for_64_image_grid_end_to_end": 1e3 * sorted(times)[2],
                         "startup_s": startup})
    finally:
        proc.kill()
    return rows


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def quantiles(seconds: list[float]) -> tuple[float, float]:
    """(median, 95th percentile)."""
    s = sorted(seconds)
    return s[len(s) // 2], s[min(len(s) - 1, int(0.95 * len(s)))]


# the heaviest request each model-heavy endpoint accepts, timed alone
HEAVIEST = {
    "/generate": ("pixelcnn_8bit-fashion-mnist", 0, 1.0, 16),
    "/race": (["fvsbn-fashion-mnist", "nade-fashion-mnist", "made-fashion-mnist", "pixelcnn-fashion-mnist",
               "gated_pixelcnn-fashion-mnist", "pixelrnn-fashion-mnist", "image_transformer-fashion-mnist",
               "pixelcnn_8bit-fashion-mnist"], 0, 1.0, 4),
    "/complete": ("pixelcnn_8bit-fashion-mnist", "centre square", None, 8, 0, 1.0),
    "/text_generate": ("shakespeare", "char_transformer", "x" * 2000, 2000, 1.0, 0, 0),
    "/text_compare": ("names", "a" * 2000, 2000, 1.0, 0, 0),
    "/score": (),
}


def crowd(sessions: int = 200, heavy_clients: int = 32, model: str = "pixelcnn-fashion-mnist") -> dict:
    """The served app under visitors, all on loopback: start-up; server RSS before and after ``sessions`` new
    visitors each drawing 2 images and leaving; ``heavy_clients`` visitors with the page open pressing Generate at once (1-4
    images each: their latency and the images per second), first as new visitors (their first event: Gradio
    builds each one's session) while one visitor moves a Latent slider (its latency), then once more; and the
    heaviest request of each model-heavy endpoint, alone."""
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    proc, url, startup = serve_app()
    new = lambda: Client(url, verbose=False, download_files=False)  # noqa: E731  (a new visitor opens the page)

    def visit(client, k):  # a visitor draws two images and leaves (closes the page)
        client.predict("fvsbn-fashion-mnist", k, 1.0, 2, api_name="/generate")
        client.close()
    try:
        new().predict("fvsbn-fashion-mnist", 0, 1.0, 2, api_name="/generate")  # models loaded, caches warm
        before = rss_mb(proc.pid)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda k: visit(new(), k), range(sessions)))
        after = rss_mb(proc.pid)
        visitors = [new() for _ in range(heavy_clients)]

        def press(k):
            t0 = time.perf_counter()
            visitors[k].predict(model, k, 1.0, 1 + k % 4, api_name="/generate")
            return time.perf_counter() - t0

        slider, sliding, rounds = new(), [], []
        for _ in range(2):
            t0 = time.perf_counter()
            with ThreadPoolExecutor(heavy_clients) as pool:
                jobs = [pool.submit(press, k) for k in range(heavy_clients)]
                while not rounds and not all(j.done() for j in jobs) and time.perf_counter() - t0 < 600:
                    t = time.perf_counter()
                    slider.predict("vae_2d-fashion-mnist", "T-shirt/top", *([0.3] * 16), api_name="/latent_slide")
                    sliding.append(time.perf_counter() - t)
                rounds.append(([j.result() for j in jobs], time.perf_counter() - t0))
        alone = {}
        for api_name, args in HEAVIEST.items():
            t = time.perf_counter()
            new().predict(*args, api_name=api_name)
            alone[api_name] = time.perf_counter() - t
    finally:
        proc.kill()
    images = sum(1 + k % 4 for k in range(heavy_clients))
    row = {"startup_s": startup, "rss_before_mb": before, "rss_after_mb": after, "sessions": sessions,
           "heavy_clients": heavy_clients}
    for how, (waits, seconds) in zip(("heavy", "heavy_again"), rounds):
        row |= {f"{how}_p50_s": quantiles(waits)[0], f"{how}_p95_s": quantiles(waits)[1],
                f"{how}_images_per_s": images / seconds}
    return row | {"slider_p50_s": quantiles(sliding)[0], "slider_p95_s": quantiles(sliding)[1],
                  "slider_updates": len(sliding), "heaviest_alone_s": alone}


def shipped_checkpoints(task: str) -> list[dict]:
    """The shipped checkpoints of a registry task, as {name, model}."""
    rows = []
    for name in checkpoints.available():
        try:
            model = checkpoints.read_meta(name)["model"]
        except checkpoints.CheckpointError:
            continue
        if REGISTRY[model].task == task:
            rows.append({"name": name, "model": model})
    return rows


BENCHED = ("image", "gan", "text", "latent")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m gen_core.bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", help=f"default: all of {', '.join(REGISTRY)}")
    ap.add_argument("--threads", type=int, nargs="+", default=[1],
                    help="torch threads (the app uses 1); with several, the image table is timed at each")
    ap.add_argument("--naive-steps", type=int, default=30)
    ap.add_argument("--json", default=None, metavar="PATH")
    ap.add_argument("--train", action="store_true", help="time training steps of the image models instead")
    ap.add_argument("--ui", action="store_true", help="instead, serve app.py and time Generate end to end (and start-up)")
    ap.add_argument("--crowd", action="store_true",
                    help="instead, serve app.py to a crowd: memory per new visitor, 32 visitors at once, a slider "
                         "under that load, the heaviest request of each endpoint")
    ap.add_argument("--all", action="store_true",
                    help="everything in one report (what checkpoints/bench.json holds): the tables at 1 and 2 "
                         "threads, the batched crowd, start-up (median of 3 cold starts) and the UI's outputs")
    args = ap.parse_args(argv)
    if args.all:
        args.threads = sorted({1, 2, *args.threads})
    torch.set_num_threads(args.threads[0])
    unknown = [m for m in args.models if m not in REGISTRY or REGISTRY[m].task not in BENCHED]
    if unknown:
        ap.error(f"nothing to time for {', '.join(unknown)}; choose from "
                 f"{', '.join(m for m, s in REGISTRY.items() if s.task in BENCHED)}")

    def chosen(task):  # the named models of this task; None (= all) when no model is named
        names = [m for m in args.models if REGISTRY[m].task == task]
        return (names or None) if names or not args.models else []

    if args.train:
        return train_table(chosen("image"), args)
    if args.ui:
        rows = ui_table()
        write_json(rows, args.json)
        return rows
    if args.crowd:
        row = crowd()
        print(json.dumps(row, indent=2))
        write_json([row], args.json)
        return [row]
    images = chosen("image")
    rows = image_tables(images, args.threads, args.naive_steps) if images != [] else []
    torch.set_num_threads(args.threads[0])
    for task, measure, line in FAMILY_LINES:
        names = chosen(task)
        for r in measure(names) if names != [] else []:
            print(f"{r['model']:28} {'yes' if r['shipped'] else 'no':>7} {r['parameters']:>10,}  " + line(r))
            rows.append(r)
    if args.all:
        rows += ui_table() + [startup()]
        print(f"app.py answers its first request after {rows[-1]['startup_s_median']:.1f} s (median of 3 cold starts)")
    write_json(rows, args.json)
    return rows


def image_tables(names, threads: list[int], naive_steps: int, n: int = 16) -> list[dict]:
    """The image table at each thread count: the rows of the first, with the others' seconds for n images."""
    rows = []
    for t in threads:
        torch.set_num_threads(t)
        timed = bench(names, n, naive_steps)
        print(f"torch {torch.__version__}, {t} thread(s); batch of {n} images, 784 pixel steps each\n" + table(timed, n))
        if not rows:
            rows = timed
        for row, other in zip(rows, timed):
            row[f"s_for_{n}_images_{t}_threads"] = other[f"s_for_{n}_images"]
    return rows


def startup(runs: int = 3) -> dict:
    """Seconds from ``python app.py`` to its first HTTP 200, over ``runs`` cold starts."""
    seconds = []
    for _ in range(runs):
        proc, _, s = serve_app()
        proc.kill()
        proc.wait()
        seconds.append(s)
    return {"model": "app start-up", "startup_s_median": sorted(seconds)[len(seconds) // 2], "startup_s": seconds}


def write_json(rows: list[dict], path: str | None) -> None:
    if path:
        with open(path, "w") as f:
            json.dump(rows, f, indent=2)


def train_table(names, args) -> list[dict]:
    rows = train_steps(names) if names != [] else []
    print(f"torch {torch.__version__}, {args.threads[0]} thread(s); seconds per training step")
    print(f"{'model':20} {'batch':>5} {'float32':>8} {'bf16':>8} {'bf16 gain':>9}")
    for r in rows:
        print(f"{r['model']:20} {r['batch_size']:>5} {r['s_per_step_float32']:>8.3f} {r['s_per_step_bf16']:>8.3f} "
              f"{r['s_per_step_float32'] / r['s_per_step_bf16']:>8.2f}x")
    write_json(rows, args.json)
    return rows


FAMILY_LINES = (  # the other families: what times them, and their line of the report
    ("image", lambda names: [crowd_batching(*(names or [])[:1])],
     lambda r: f"{r['clients']} requests, {r['images']} images at once: p50 / p95 {r['alone_p50_s']:.1f} / "
               f"{r['alone_p95_s']:.1f} s one by one, {r['batched_p50_s']:.1f} / {r['batched_p95_s']:.1f} s batched "
               f"({r['alone_images_per_s']:.0f} -> {r['batched_images_per_s']:.0f} images/s)"),
    ("gan", gan_grid, lambda r: f"64-image grid, G(z) and D(x): {r['ms_for_64_image_grid']:.1f} ms"),
    ("text", text_rates, lambda r: f"sampling: {r['chars_per_s']:,.0f} characters/s "
                                   f"(naive full recompute: {r['naive_chars_per_s']:,.0f})"),
    ("latent", latent_slider, lambda r: f"Latent-tab slider update (core): median {r['slider_update_ms_median']:.1f} "
                                        f"ms, 95th percentile {r['slider_update_ms_p95']:.1f} ms"),
)


def ui_table(n: int = 16) -> list[dict]:
    rows = ui_latency(n)
    print(f"app.py answered its first request after {rows[0]['startup_s']:.1f} s" if rows else "no model shipped")
    print(f"{'checkpoint':34} {'first frame (s)':>16} {f'{n} images (s)':>14}")
    for r in rows:
        if "first_frame_s" in r:
            print(f"{r['model']:34} {r['first_frame_s']:>16.2f} {r['finished_s']:>14.2f}")
        else:
            print(f"{r['model']:34} 64-image grid end to end: {r['ms_for_64_image_grid_end_to_end']:.0f} ms")
    return rows


if __name__ == "__main__":
    main()
