"""Occluded-image completion tab: hide part of an image and let a model fill the rest in."""
from __future__ import annotations

import time

import gradio as gr
import numpy as np
import torch

from gen_core.data import prepare
from gen_core.sampling import conditioning, iter_sample

from . import checks, images, layout, picker, shipped

EXPLAIN = r"""
### Occluded-image completion
Hide part of an image and let a model draw what is missing. The known pixels stay as they are and every
hidden pixel is sampled from its conditional, $x_i \sim p(x_i \mid x_{<i})$, in the model's order — so a
raster-order model (PixelCNN, NADE, ...) only uses the known pixels that come *before* each hidden one,
while the order-agnostic MADE samples the known pixels first and conditions every hidden pixel on all of
them. Read each row as **occluded | completions | original**.
"""
PRESETS = ("bottom half", "right half", "centre square", "random pixels", "my painting")
MAX_COMPLETIONS = 8
HIDDEN = np.array([70, 110, 200], np.uint8)  # hidden pixels not drawn yet: blue, never a gray level
FRAMES = 24


def preset_mask(preset: str, seed: int = 0, size: int = 28) -> torch.Tensor:
    """Boolean [size, size], True where a preset hides the pixel."""
    hidden = torch.zeros(size, size, dtype=torch.bool)
    if preset == "bottom half":
        hidden[size // 2:] = True
    elif preset == "right half":
        hidden[:, size // 2:] = True
    elif preset == "centre square":
        hidden[size // 4: 3 * size // 4, size // 4: 3 * size // 4] = True
    elif preset == "random pixels":
        hidden = torch.rand(size, size, generator=torch.Generator().manual_seed(seed)) < 0.5
    else:
        checks.fail(f"Unknown occlusion {preset!r}; choose one of {', '.join(PRESETS)}.")
    return hidden


def hidden_mask(preset: str, painted, seed: int) -> torch.Tensor:
    if preset != "my painting":
        return preset_mask(preset, seed)
    strokes = images.drawing(painted)
    if strokes is None:
        checks.fail("Nothing painted yet: pick the brush above the image and paint what to hide.")
    return images.mask28(strokes)[0, 0]


def explain_conditioning(name: str, model, hidden: torch.Tensor) -> str:
    k_all, k_later = conditioning(model, ~hidden)
    if not hidden.any():
        return "Nothing is hidden, so there is nothing to complete: every completion is the original."
    if hidden.all():
        return "Everything is hidden: these are unconditional samples."
    if k_later == 0:
        how = ("samples the known pixels first" if model.order_agnostic
               else "meets every known pixel before the first hidden one")
        return f"**{name}** {how}, so every hidden pixel is conditioned on all {k_all} known pixels."
    return (f"**{name}** samples in a fixed order: the {k_all} known pixels before the first hidden one condition "
            f"every hidden pixel; the other {k_later} known pixels come later in its order, so each of them only "
            f"conditions the hidden pixels after it — the model cannot look ahead, and the completion may not join "
            f"up with them (they are kept as they are). MADE, trained over many orders, conditions on all of them.")


def figure(known: torch.Tensor, hidden: torch.Tensor, x: torch.Tensor, drawn: torch.Tensor, n_values: int):
    """One row: occluded | completions (hidden pixels not drawn yet in blue) | original."""
    original = images.gray_rgb(known, n_values)[0]
    occluded = original.copy()
    occluded[hidden.numpy()] = HIDDEN
    done = images.gray_rgb(x, n_values)
    done[:, (hidden & ~drawn).numpy()] = HIDDEN
    return images.tile_grid(np.concatenate([occluded[None], done, original[None]]), nrow=len(x) + 2)


def editor_value(image) -> dict:
    """The painting canvas showing the current image (no border: canvas pixels map onto image pixels)."""
    a = torch.as_tensor(np.asarray(image))[None, None]
    big = images.upscale(images.gray_rgb(a, 256)[0], images.SCALE)
    return {"background": big, "layers": [], "composite": big}


def paint_mode(preset: str, image):
    """Choosing "my painting" opens the painting canvas on the current image."""
    if preset != "my painting":
        return gr.skip(), gr.skip()
    return gr.update(open=True), editor_value(image)


def complete(name, image, preset="bottom half", painted=None, n=4, seed=0, temperature=1.0):
    """Stream (figure, status) while ``name`` fills the hidden pixels of ``image`` n times."""
    seed, temperature = checks.seed(seed), checks.temperature(temperature)
    n = checks.whole(n, "Completions", 1, MAX_COMPLETIONS)
    image = picker.as_image(image)
    hidden = hidden_mask(preset, painted, seed)
    model = shipped.get(name)
    known = prepare(image, model.n_values)
    note = explain_conditioning(name, model, hidden)
    drawn = torch.zeros_like(hidden)
    if not hidden.any():
        yield figure(known, hidden, known.expand(n, -1, -1, -1), drawn, model.n_values), note
        return
    flat_hidden, flat_drawn = hidden.flatten(), drawn.view(-1)
    total = int(flat_hidden.sum())
    every = max(1, total // FRAMES)
    generator = torch.Generator().manual_seed(seed)
    t0, steps = time.perf_counter(), 0
    x = None
    for step in iter_sample(model, n, known=known[0], known_mask=~hidden[None], temperature=temperature,
                            generator=generator):  # in the order sampled in (MADE: known pixels first)
        pos, x = step.pos, step.x
        if flat_hidden[pos]:
            flat_drawn[pos] = True
            steps += 1
            if steps % every == 0:
                yield figure(known, hidden, x, drawn, model.n_values), f"hidden pixel {steps} / {total}"
    elapsed = time.perf_counter() - t0
    yield figure(known, hidden, x, drawn, model.n_values), f"{note}\n\n{n} completions in {elapsed:.2f} s."


def build():
    names = layout.opening(EXPLAIN, "image", "No autoregressive image model is shipped yet: train one with `python -m gen_core.train made`.")
    if not names:
        return
    choices = [(shipped.label(c), c) for c in names]
    default = next((c for _, c in choices if shipped.model_class(c).order_agnostic), choices[0][1])
    image, _ = picker.build("completion")
    with gr.Row():
        name = gr.Dropdown(choices, value=default, label="model")
        preset = gr.Radio(PRESETS, value="bottom half", label="hide")
        n = gr.Slider(1, MAX_COMPLETIONS, value=4, step=1, label="completions")
        seed = gr.Number(0, label="seed", precision=0, minimum=0)
        temperature = gr.Slider(0, 2, value=1.0, step=0.05, label="temperature")
    with gr.Accordion("Paint your own occlusion (choose “my painting” above)", open=False) as painting:
        painted = gr.ImageEditor(editor_value(image.value), type="numpy", canvas_size=(168, 168),
                                 sources=(), transforms=(), brush=gr.Brush(default_size=12, colors=["#3c78d8"], color_mode="fixed"),
                                 layers=False, label="paint over what to hide", elem_id="completion-painter")
    with gr.Row():
        go = gr.Button("Complete", variant="primary", elem_id="completion-go")
        stop = gr.Button("Stop", variant="stop")
    out = gr.Image(label="occluded | completions | original", format="png", elem_id="completion-out",
                   elem_classes="pix")
    status = gr.Markdown()
    image.change(editor_value, image, painted, api_visibility="private")
    # a closed accordion does not redraw its editor: open it, with the current image, when painting is chosen
    preset.change(paint_mode, [preset, image], [painting, painted], api_visibility="private")
    event = go.click(complete, [name, image, preset, painted, n, seed, temperature], [out, status],
                     api_name="complete", concurrency_limit=2)
    stop.click(None, None, None, cancels=[event])
