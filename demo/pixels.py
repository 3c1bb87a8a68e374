"""Pixel-by-pixel tab: watch an autoregressive model draw images one conditional at a time."""
from __future__ import annotations

import time

import gradio as gr
import numpy as np
import torch

from . import checks, images, layout, shipped
from gen_core.sampling import iter_sample

EXPLAIN = r"""
### Pixel by pixel
An autoregressive model writes the probability of an image as a chain of conditionals,
$p(x) = \prod_{i=1}^{784} p(x_i \mid x_1, \dots, x_{i-1})$, and samples it the same way: one pixel
at a time, each drawn from its conditional given everything drawn so far. Left: the images as they
grow (the current pixel in red). Right: the map of $p(x_i = 1 \mid x_{<i})$ each pixel was drawn
from — bright where the model was sure of ink.
"""
MAX_IMAGES = 16
FRAMES_PER_IMAGE = 28  # stream once per row: smooth in a browser without flooding it


def generate(name: str, seed=0, temperature=1.0, n=4):
    """Stream (images, probability maps, status) while ``name`` samples n images."""
    seed, temperature, n = checks.seed(seed), checks.temperature(temperature), checks.whole(n, "Images", 1, MAX_IMAGES)
    model = shipped.get(name)
    generator = torch.Generator().manual_seed(seed)
    every = max(1, model.num_pixels // FRAMES_PER_IMAGE)
    t0 = time.perf_counter()
    x = probs = None
    for i, pos, x, probs, _ in iter_sample(model, n, temperature=temperature, generator=generator):
        if (i + 1) % every == 0 and i + 1 < model.num_pixels:
            yield (images.mark(images.image_grid(x, model.n_values), pos, n, model.image_size),
                   images.prob_grid(probs), f"pixel {i + 1} / {model.num_pixels}")
    elapsed = time.perf_counter() - t0
    with torch.no_grad():
        nll = -model.log_prob(x)
    per_image = ", ".join(f"{v:.1f}" for v in nll.tolist())
    yield (images.image_grid(x, model.n_values), images.prob_grid(probs),
           f"**{n} images in {elapsed:.2f} s.** −log p(x) per image (nats): {per_image}")


MAX_RACERS, MAX_RACE_IMAGES = 8, 4


def race(names, seed=0, temperature=1.0, n=2):
    """Stream several models drawing from the same seed in lockstep: a row of n images per model.

    Each model has its own generator seeded alike, and the status reports the compute time each
    has spent so far, so the fast steppers visibly win.
    """
    seed, temperature = checks.seed(seed), checks.temperature(temperature)
    n = checks.whole(n, "Images per model", 1, MAX_RACE_IMAGES)
    names = list(names or [])
    if not 1 <= len(names) <= MAX_RACERS:
        checks.fail(f"Choose between 1 and {MAX_RACERS} models to race.")
    racers = [shipped.get(name) for name in names]
    if len({m.num_pixels for m in racers}) > 1:
        checks.fail("These models draw images of different sizes; race models of one size.")
    streams = [iter_sample(m, n, temperature=temperature, generator=torch.Generator().manual_seed(seed))
               for m in racers]
    spent = [0.0] * len(racers)
    canvases = [None] * len(racers)
    steps = racers[0].num_pixels
    every = max(1, steps // FRAMES_PER_IMAGE)
    for i in range(steps):
        for k, stream in enumerate(streams):
            t0 = time.perf_counter()
            canvases[k] = next(stream).x
            spent[k] += time.perf_counter() - t0
        if (i + 1) % every == 0 or i + 1 == steps:
            tiles = np.concatenate([images.gray_rgb(x, m.n_values) for x, m in zip(canvases, racers)])
            times = " · ".join(f"{name} {t:.2f} s" for name, t in zip(names, spent))
            yield images.tile_grid(tiles, nrow=n), f"pixel {i + 1} / {steps} — compute so far: {times}"


def build():
    names = layout.opening(EXPLAIN, "image", "No model is shipped yet: train one with `python -m gen_core.train nade`.")
    if not names:
        return
    choices = [(shipped.label(c), c) for c in names]
    with gr.Row():
        name = gr.Dropdown(choices, value=choices[0][1], label="model")
        seed = gr.Number(0, label="seed", precision=0, minimum=0)
        temperature = gr.Slider(0, 2, value=1.0, step=0.05, label="temperature (0 = greedy)")
        n = gr.Slider(1, MAX_IMAGES, value=4, step=1, label="images")
    with gr.Row():
        go = gr.Button("Generate", variant="primary", elem_id="pixels-go")
        stop = gr.Button("Stop", variant="stop")
    with gr.Row():
        canvas = gr.Image(label="samples", format="png", elem_id="pixels-canvas", elem_classes="pix")
        probs = gr.Image(label="p(x_i = 1 | x_<i)", format="png", elem_id="pixels-probs", elem_classes="pix")
    status = gr.Markdown()
    event = go.click(generate, [name, seed, temperature, n], [canvas, probs, status],
                     api_name="generate", concurrency_limit=2)
    with gr.Accordion("Race: several models, the same seed, side by side", open=False):
        with gr.Row():
            racers = gr.CheckboxGroup(choices, value=[c for _, c in choices[:MAX_RACERS]], label="models (a row each)")
            race_n = gr.Slider(1, MAX_RACE_IMAGES, value=2, step=1, label="images per model")
            race_go = gr.Button("Race", elem_id="pixels-race")
        race_canvas = gr.Image(label="one row per model, in the order chosen", format="png", elem_id="pixels-race-canvas",
                                  elem_classes="pix")
        race_status = gr.Markdown()
    race_event = race_go.click(race, [racers, seed, temperature, race_n], [race_canvas, race_status],
                               api_name="race", concurrency_limit=1)
    stop.click(None, None, None, cancels=[event, race_event])
