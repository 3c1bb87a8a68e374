"""Pixel-by-pixel tab: watch an autoregressive model draw images one conditional at a time."""
from __future__ import annotations

import functools
import json
import time

import gradio as gr
import torch

from gen_core import neighbours
from gen_core.data import DataNotFound, binarize
from gen_core.recording import Recording
from gen_core.sampling import iter_sample

from . import checks, images, layout, replay, shipped
from .i18n import T, english, say

# the tab's explanation in English (tests, docs); the page shows i18n.TEXTS' in its language
EXPLAIN = english("pixels.explain")

MAX_IMAGES = 16
MAP_LABEL = {2: "pixels.map_binary", 256: "pixels.map_levels"}  # i18n keys
NEAREST_SCALE = 3


def map_label(name: str) -> gr.HTML:
    """The probability map's label says what it shows for the chosen model's number of levels."""
    return gr.HTML(label=say(MAP_LABEL.get(shipped.get(name).n_values, MAP_LABEL[256])))


def generate(name: str, seed=0, temperature=1.0, n=4, request: gr.Request = None):
    """Stream (images, probability map, status, recording, step) while ``name`` samples n images; Stop ends
    the draw at the next frame and keeps what is drawn (and recorded) so far."""
    seed, temperature, n = checks.seed(seed), checks.temperature(temperature), checks.whole(n, "Images", 1, MAX_IMAGES)
    model = shipped.get(name)
    with replay.Run(request, "pixels") as run:
        yield from streamed(name, model, n, seed, temperature, run)


def streamed(name: str, model, n: int, seed: int, temperature: float, run: replay.Run):
    """The frames of ``generate``: every row, until the draw ends or the visitor stops it."""
    generator = torch.Generator().manual_seed(seed)
    rec = Recording.start(model, n)
    t0 = time.perf_counter()
    for steps in layout.batcher(model).iter_sample(n, temperature, generator):  # a frame's worth of steps at a time
        rec.extend(model, steps, temperature)  # in one batch (cheaper in a crowd)
        if rec.steps < model.num_pixels:
            if run.stopped():
                yield (*replay.frames(name, rec, rec.steps),
                       f"**Stopped at pixel {rec.steps} / {model.num_pixels}.** Step through what was drawn below.",
                       rec, checks.Slider(maximum=rec.steps, value=rec.steps))
                return
            # the step slider's range is set by the first frame; later frames send its value only (an updated
            # component costs Gradio a new block config per frame and visitor)
            first = rec.steps == len(steps)
            slider = checks.Slider(maximum=model.num_pixels, value=rec.steps) if first else rec.steps
            yield (*replay.frames(name, rec, rec.steps), f"pixel {rec.steps} / {model.num_pixels}", rec, slider)
    elapsed = time.perf_counter() - t0
    with torch.no_grad():
        nll = -model.log_prob(steps[-1].x)
    per_image = ", ".join(f"{v:.1f}" for v in nll.tolist())
    note = f"\n\n{replay.GREEDY}" if temperature == 0 else ""
    yield (images.picture_html(images.image_grid(rec.x, model.n_values), replay.CANVAS_ALT),
           images.picture_html(replay.map_grid(rec, rec.steps), replay.MAP_ALT), f"**{n} images in {elapsed:.2f} s.** −log p(x) per image (nats): {per_image}{note}", rec,
           checks.Slider(maximum=rec.steps, value=rec.steps))


@functools.cache
def training_set():
    """The nearest-neighbour index of the binarized training images, and the images (needs the dataset)."""
    return neighbours.training_index()


@checks.writes_files
def nearest(rec: Recording | None):
    """Gallery of (sample, its nearest training image) pairs with the Hamming distance, and a line for scale."""
    if rec is None or rec.steps == 0:
        checks.fail(say("msg.generate_first"))
    try:
        index, train = training_set()
    except DataNotFound as e:
        checks.fail(f"The memorisation check needs the 55,000 training images: {e}")
    samples = rec.x * (255 / (rec.n_values - 1))                    # as 8-bit images, binarized like the data
    t0 = time.perf_counter()
    idx, dist = index.nearest(binarize(samples))
    seconds = time.perf_counter() - t0
    items = []
    for j, (i, d) in enumerate(zip(idx.tolist(), dist.tolist())):
        pair = torch.cat([samples[j:j + 1], train[i:i + 1].float()])
        items.append((images.tile_grid(images.gray_rgb(pair, 256), nrow=2),
                      f"sample {j + 1} | training image {i}: {d} pixels differ"))
    return items, scale_note(dist, seconds)


def scale_note(dist, seconds: float) -> str:
    try:
        reference = json.loads(neighbours.REFERENCE.read_text())["percentiles"]
        scale = (f"For scale: a test image (never trained on) differs from its nearest training image in "
                 f"{reference['50']:.0f} pixels at the median ({reference['25']:.0f}–{reference['75']:.0f} for the "
                 f"middle half).")
    except (OSError, ValueError, KeyError):
        scale = "(The test set's typical distance is not measured: run `python -m gen_core.neighbours`.)"
    copies = int((dist == 0).sum())
    return (f"Nearest of 55,000 training images by Hamming distance on the binarized pixels (searched in "
            f"{seconds * 1e3:.0f} ms). {scale} " + (f"**{copies} sample(s) are exact copies of a training image.**"
                                                   if copies else "No sample is a copy of a training image."))


MAX_RACERS, MAX_RACE_IMAGES = 8, 4


def race_rows(names, recordings, k: int, spent=None) -> str:
    """A row per racer: its images after k steps, captioned with its name (and compute time)."""
    rows = []
    for j, (name, rec) in enumerate(zip(names, recordings)):
        caption = name if spent is None else f"{name} · {spent[j]:.2f} s of compute"
        rows.append((images.image_grid(rec.canvas(k), rec.n_values, nrow=rec.x.shape[0]), caption))
    return images.captioned_html(rows)


def race(names, seed=0, temperature=1.0, n=2, request: gr.Request = None):
    """Stream several models drawing from the same seed in lockstep: a captioned row of n images per model.

    Each model has its own generator seeded alike, and each caption reports the compute time that model
    has spent so far, so the fast steppers visibly win. Every draw is recorded, to scrub afterwards.
    """
    seed, temperature = checks.seed(seed), checks.temperature(temperature)
    n = checks.whole(n, "Images per model", 1, MAX_RACE_IMAGES)
    names = list(names or [])
    if not 1 <= len(names) <= MAX_RACERS:
        checks.fail(say("msg.race_count", most=MAX_RACERS))
    racers = [shipped.get(name) for name in names]
    if len({m.num_pixels for m in racers}) > 1:
        checks.fail(say("msg.race_sizes"))
    with replay.Run(request, "race") as run:
        yield from run_race(names, racers, n, seed, temperature, run)


def run_race(names, racers, n: int, seed: int, temperature: float, run: replay.Run):
    """The frames of ``race``: every row of steps, until the race ends or the visitor stops it."""
    streams = [iter_sample(m, n, temperature=temperature, generator=torch.Generator().manual_seed(seed))
               for m in racers]
    recordings = [Recording.start(m, n) for m in racers]
    spent = [0.0] * len(racers)
    steps = racers[0].num_pixels
    every = layout.frame_steps(racers[0])
    for i in range(steps):
        for k, (stream, model, rec) in enumerate(zip(streams, racers, recordings)):
            t0 = time.perf_counter()
            rec.add(model, next(stream), temperature)
            spent[k] += time.perf_counter() - t0
        done = i + 1
        if run.stopped():
            yield (race_rows(names, recordings, done, spent), f"**Stopped at pixel {done} / {steps}.**",
                   (names, recordings), checks.Slider(maximum=done, value=done))
            return
        if done % every == 0 or done == steps:
            yield (race_rows(names, recordings, done, spent), f"pixel {done} / {steps}", (names, recordings),
                   checks.Slider(maximum=steps, value=done))


def race_at(race_state, k):
    """The race's rows after k steps (scrubbing a finished or stopped race): ``race_state`` = (names, recordings)."""
    if not race_state:
        return gr.skip()
    names, recordings = race_state
    k = checks.whole(k, "Step", 0, recordings[0].steps)
    return race_rows(names, recordings, k)


def build():
    names = layout.opening(T("pixels.explain"), "image", T("pixels.missing"))
    if not names:
        return
    choices = [(shipped.label(c), c) for c in names]
    recording = gr.State(None, time_to_live=replay.RECORDING_TTL)
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            name = gr.Dropdown(choices, value=choices[0][1], label=T("common.model"), elem_classes="model-menu", elem_id="pixels-model")
            with gr.Row():
                seed = checks.Number(0, label=T("common.seed"), precision=0, minimum=0, min_width=80)
                n = checks.Slider(1, MAX_IMAGES, value=4, step=1, label=T("pixels.images"), min_width=120, elem_id="pixels-n")
            temperature = checks.Slider(0, 2, value=1.0, step=0.05, label=T("common.temperature_greedy"))
            with gr.Row():
                go = gr.Button(T("common.generate"), variant="primary", elem_id="pixels-go", min_width=100)
                stop = gr.Button(T("common.stop"), variant="stop", elem_id="pixels-stop", min_width=80)
            status = gr.Markdown(elem_id="pixels-status")
        with gr.Column(scale=2):
            with gr.Row():
                canvas = gr.HTML(label=T("pixels.canvas"), show_label=True,
                                 container=True, elem_id="pixels-canvas", min_height=330)
                probs = gr.HTML(label=T(MAP_LABEL[2]), show_label=True, container=True, elem_id="pixels-probs",
                                min_height=330)
    with gr.Accordion(T("pixels.step_title"), open=True):
        step, follow = replay.build(name, recording, temperature, [canvas, probs], "pixels")
    follow(go.click(generate, [name, seed, temperature, n], [canvas, probs, status, recording, step],
                    api_name="generate", **layout.BATCHED))
    stop.click(replay.ask_to_stop("pixels"), None, None, concurrency_limit=None, api_visibility="private")
    name.change(map_label, name, probs, api_visibility="private", show_progress="hidden")
    with gr.Accordion(T("pixels.memo_title"), open=False):
        near_go = gr.Button(T("pixels.nearest_go"), elem_id="pixels-nearest-go")
        near = gr.Gallery(label=T("pixels.nearest"), columns=4, height="auto", elem_id="pixels-nearest",
                          allow_preview=False, elem_classes=["captions-below", "pix"])
        near_note = gr.Markdown()
    near_go.click(nearest, recording, [near, near_note], api_visibility="private")
    with gr.Accordion(T("pixels.race_title"), open=False):
        with gr.Row():
            racers = gr.CheckboxGroup(choices, value=[c for _, c in choices[:MAX_RACERS]], label=T("pixels.racers"),
                                      scale=3)
            with gr.Column(scale=1, min_width=160):
                race_n = checks.Slider(1, MAX_RACE_IMAGES, value=2, step=1, label=T("pixels.race_n"))
                race_go = gr.Button(T("pixels.race"), elem_id="pixels-race")
                race_stop = gr.Button(T("common.stop"), variant="stop", elem_id="pixels-race-stop")
        race_status = gr.Markdown()
        race_step = checks.Slider(0, 784, value=0, step=1, label=T("pixels.race_step"), elem_id="pixels-race-step")
        race_rows_out = gr.HTML(label=T("pixels.race_rows"), show_label=True, container=True,
                                elem_id="pixels-race-canvas")
        race_recordings = gr.State(None, time_to_live=replay.RECORDING_TTL)
    race_go.click(race, [racers, seed, temperature, race_n], [race_rows_out, race_status, race_recordings, race_step],
                  api_name="race", **layout.HEAVY)
    race_stop.click(replay.ask_to_stop("race"), None, None, concurrency_limit=None, api_visibility="private")
    race_step.input(race_at, [race_recordings, race_step], race_rows_out, trigger_mode="always_last",
                    show_progress="hidden", concurrency_limit=None, api_visibility="private")
