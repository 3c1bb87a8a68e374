"""Occluded-image completion tab: hide part of an image and let a model fill the rest in."""
from __future__ import annotations

import time

import gradio as gr
import numpy as np
import torch

from gen_core.data import prepare
from gen_core.data.gallery import CLASSES, gallery
from gen_core.sampling import conditioning, iter_sample

from . import images, models
from .pixels import check_inputs

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
        raise gr.Error(f"Unknown occlusion {preset!r}; choose one of {', '.join(PRESETS)}.", print_exception=False)
    return hidden


def hidden_mask(preset: str, painted, seed: int) -> torch.Tensor:
    if preset != "my painting":
        return preset_mask(preset, seed)
    strokes = images.drawing(painted)
    if strokes is None:
        raise gr.Error("Nothing painted yet: pick the brush above the image and paint what to hide.",
                       print_exception=False)
    return images.mask28(strokes)[0, 0]


def as_image(image) -> torch.Tensor:
    """The tab's current image (uint8 28x28 array) as uint8 [1, 1, 28, 28]."""
    if image is None:
        raise gr.Error("Choose an image first: click one in the gallery, upload one or draw one.",
                       print_exception=False)
    a = np.asarray(image)
    if a.shape != (28, 28):
        raise gr.Error(f"Expected a 28x28 image, got an array of shape {a.shape}.", print_exception=False)
    return torch.from_numpy(a.astype(np.uint8))[None, None]


def explain_conditioning(name: str, model, hidden: torch.Tensor) -> str:
    k_all, k_later = conditioning(model, ~hidden)
    if not hidden.any():
        return "Nothing is hidden, so there is nothing to complete: every completion is the original."
    if hidden.all():
        return "Everything is hidden: these are unconditional samples."
    if k_later == 0:
        how = "samples the known pixels first" if model.meta["model"] == "made" else "meets them all first"
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


def complete(name, image, preset="bottom half", painted=None, n=4, seed=0, temperature=1.0):
    """Stream (figure, status) while ``name`` fills the hidden pixels of ``image`` n times."""
    seed, temperature, n = check_inputs(seed, temperature, n, MAX_COMPLETIONS)
    image = as_image(image)
    hidden = hidden_mask(preset, painted, seed)
    model = models.get(name)
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
    for i, x, _ in iter_sample(model, n, known=known[0], known_mask=~hidden[None], temperature=temperature,
                               generator=generator):
        pos = int(model.order[i])  # the order sampled in (MADE: known pixels first)
        if flat_hidden[pos]:
            flat_drawn[pos] = True
            steps += 1
            if steps % every == 0:
                yield figure(known, hidden, x, drawn, model.n_values), f"hidden pixel {steps} / {total}"
    elapsed = time.perf_counter() - t0
    yield figure(known, hidden, x, drawn, model.n_values), f"{note}\n\n{n} completions in {elapsed:.2f} s."


# -- choosing the image ----------------------------------------------------------------------------
def gallery_items() -> list[tuple[np.ndarray, str]]:
    x, labels = gallery()
    return [(images.tile_grid(images.gray_rgb(x[k:k + 1], 256), 1), CLASSES[int(labels[k])]) for k in range(len(x))]


def show(image28: torch.Tensor):
    """(state, preview, editor value) for a new current image."""
    a = image28[0, 0].numpy()
    big = images.tile_grid(images.gray_rgb(image28, 256), 1)
    return a, big, {"background": big, "layers": [], "composite": big}


def pick(evt: gr.SelectData):
    return show(gallery()[0][evt.index:evt.index + 1])


def from_upload(img):
    try:
        return show(images.to_gray28(img))
    except images.BadImage as e:
        raise gr.Error(str(e), print_exception=False) from e


def from_drawing(value):
    strokes = images.drawing(value)
    if strokes is None:
        raise gr.Error("The drawing is blank: pick the brush and draw something first.", print_exception=False)
    return show(images.to_gray28(np.where(strokes, 0, 255).astype(np.uint8)))  # black ink on white


def build():
    gr.Markdown(EXPLAIN)
    choices = [(models.label(c), c) for c in models.shipped("image")]
    if not choices:
        gr.Markdown("No autoregressive image model is shipped yet: train one with `python -m gen_core.train made`.")
        return
    default = next((c for _, c in choices if c.startswith("made-")), choices[0][1])
    first = show(gallery()[0][:1])
    image = gr.State(first[0])
    with gr.Row():
        with gr.Column(scale=3):
            with gr.Tabs():
                with gr.Tab("Gallery"):
                    pictures = gr.Gallery(gallery_items(), columns=8, height=300, allow_preview=False,
                                          label="Fashion-MNIST test images", elem_id="completion-gallery")
                with gr.Tab("Upload"):
                    upload = gr.Image(type="filepath", sources=["upload", "clipboard"],
                                      label="any image: converted to 28x28 grayscale")
                with gr.Tab("Draw"):
                    sketch = gr.Sketchpad(canvas_size=(280, 280), type="numpy",
                                          brush=gr.Brush(default_size=18, colors=["#000000"], color_mode="fixed"),
                                          label="draw in black (pick the brush first)")
                    use_sketch = gr.Button("Use my drawing")
        with gr.Column(scale=2):
            preview = gr.Image(first[1], label="the image (as the models see it)", format="png",
                               elem_id="completion-preview", elem_classes="pix")
    with gr.Row():
        name = gr.Dropdown(choices, value=default, label="model")
        preset = gr.Radio(PRESETS, value="bottom half", label="hide")
        n = gr.Slider(1, MAX_COMPLETIONS, value=4, step=1, label="completions")
        seed = gr.Number(0, label="seed", precision=0, minimum=0)
        temperature = gr.Slider(0, 2, value=1.0, step=0.05, label="temperature")
    with gr.Accordion("Paint your own occlusion (choose “my painting” above)", open=False):
        painted = gr.ImageEditor(first[2], type="numpy", canvas_size=(168, 168), sources=(), transforms=(),
                                 brush=gr.Brush(default_size=12, colors=["#3c78d8"], color_mode="fixed"),
                                 layers=False, label="paint over what to hide")
    with gr.Row():
        go = gr.Button("Complete", variant="primary", elem_id="completion-go")
        stop = gr.Button("Stop", variant="stop")
    out = gr.Image(label="occluded | completions | original", format="png", elem_id="completion-out")
    status = gr.Markdown()
    targets = [image, preview, painted]
    pictures.select(pick, None, targets, api_visibility="private")
    upload.upload(from_upload, upload, targets, api_name="upload_image")
    use_sketch.click(from_drawing, sketch, targets, api_visibility="private")
    event = go.click(complete, [name, image, preset, painted, n, seed, temperature], [out, status],
                     api_name="complete", concurrency_limit=2)
    stop.click(None, None, None, cancels=[event])
