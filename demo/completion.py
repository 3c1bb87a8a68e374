"""Occluded-image completion tab: hide part of an image and let a model fill the rest in."""
from __future__ import annotations

import time

import gradio as gr
import numpy as np
import torch

from gen_core.data import prepare
from gen_core.recording import Recording
from gen_core.sampling import conditioning

from . import checks, images, layout, picker, replay, shipped
from .i18n import T, english, say

# the tab's explanation in English (tests, docs); the page shows i18n.TEXTS' in its language
EXPLAIN = english("completion.explain")

PRESETS = ("bottom half", "right half", "centre square", "random pixels", "my painting")  # i18n: completion.<preset>
MAX_COMPLETIONS = 8
ROW = "occluded | completions | original"
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
        checks.fail(say("msg.nothing_painted"))
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


def picture(name: str, rec: Recording, k: int) -> tuple[str]:
    """The completion row after k steps of the recording: occluded | completions so far | original (HTML)."""
    hidden = ~rec.known[0, 0]
    drawn = rec.drawn(k).view(hidden.shape) & hidden
    return images.picture_html(figure(rec.original, hidden, rec.canvas(k), drawn, shipped.get(name).n_values), ROW),


def complete(name, image, preset="bottom half", painted=None, n=4, seed=0, temperature=1.0,
             request: gr.Request = None):
    """Stream (figure, status, recording, step) while ``name`` fills the hidden pixels of ``image`` n times;
    Stop ends it at the next frame and keeps what is drawn so far."""
    seed, temperature = checks.seed(seed), checks.temperature(temperature)
    n = checks.whole(n, "Completions", 1, MAX_COMPLETIONS)
    image = picker.as_image(image)
    hidden = hidden_mask(preset, painted, seed)
    model = shipped.get(name)
    known = prepare(image, model.n_values)
    note = explain_conditioning(name, model, hidden)
    rec = Recording.start(model, n, ~hidden[None, None], original=known)
    if not hidden.any():
        yield images.picture_html(figure(known, hidden, known.expand(n, -1, -1, -1), torch.zeros_like(hidden),
                                         model.n_values), ROW), note, None, checks.Slider(maximum=0, value=0)
        return
    with replay.Run(request, "completion") as run:
        yield from streamed(name, model, rec, known, hidden, n, seed, temperature, note, run)


def streamed(name, model, rec: Recording, known, hidden, n: int, seed: int, temperature: float, note: str,
             run: replay.Run):
    """The frames of ``complete``: about FRAMES of them, until it ends or the visitor stops it."""
    flat_hidden = hidden.flatten()
    total = int(flat_hidden.sum())
    every = max(1, total // FRAMES)
    generator = torch.Generator().manual_seed(seed)
    t0, drawn = time.perf_counter(), 0
    # a frame's worth of steps at a time, in the order sampled in (MADE: known pixels first), in a round shared
    # with the visitors completing with this model at the same time who hide the same pixels
    for steps in layout.batcher(model).iter_sample(n, temperature, generator, known=known[0], known_mask=~hidden[None]):
        rec.extend(model, steps, temperature)
        before, drawn = drawn, drawn + sum(bool(flat_hidden[step.pos]) for step in steps)
        if drawn // every > before // every and drawn < total:
            if run.stopped():
                yield (*picture(name, rec, rec.steps), f"**Stopped at hidden pixel {drawn} / {total}.** Step "
                       f"through what was drawn below.", rec, checks.Slider(maximum=rec.steps, value=rec.steps))
                return
            yield (*picture(name, rec, rec.steps), f"hidden pixel {drawn} / {total}", rec,
                   checks.Slider(maximum=model.num_pixels, value=rec.steps))
    elapsed = time.perf_counter() - t0
    yield (*picture(name, rec, rec.steps), f"{note}\n\n{n} completions in {elapsed:.2f} s.", rec,
           checks.Slider(maximum=rec.steps, value=rec.steps))


def occluded(name, image, preset="bottom half", painted=None, seed=0):
    """The chosen image with the hidden pixels in blue, before any completion (occluded | original)."""
    image = picker.as_image(image)
    model = shipped.get(name)
    known = prepare(image, model.n_values)
    nothing_painted = preset == "my painting" and images.drawing(painted) is None
    hidden = torch.zeros(28, 28, dtype=torch.bool) if nothing_painted else hidden_mask(preset, painted, checks.seed(seed))
    return images.picture_html(figure(known, hidden, known[:0], torch.zeros_like(hidden), model.n_values), ROW)


def build():
    names = layout.opening(T("completion.explain"), "image", T("completion.missing"))
    if not names:
        return
    choices = [(shipped.label(c), c) for c in names]
    default = next((c for _, c in choices if shipped.spec(c).cls.order_agnostic), choices[0][1])
    recording = gr.State(None, time_to_live=replay.RECORDING_TTL)
    with gr.Row():
        with gr.Column(scale=2, min_width=300):
            image, _ = picker.build("completion", preview=False, height=260, columns=4)
        with gr.Column(scale=3):
            name = gr.Dropdown(choices, value=default, label=T("common.model"), elem_classes="model-menu")
            preset = gr.Radio([(T("completion." + p.replace(" ", "_")), p) for p in PRESETS], value="bottom half",
                              label=T("completion.hide"))
            with gr.Row():
                n = checks.Slider(1, MAX_COMPLETIONS, value=4, step=1, label=T("completion.n"), min_width=120)
                seed = checks.Number(0, label=T("common.seed"), precision=0, minimum=0, min_width=80)
                temperature = checks.Slider(0, 2, value=1.0, step=0.05, label=T("common.temperature"), min_width=120)
            with gr.Row():
                go = gr.Button(T("completion.go"), variant="primary", elem_id="completion-go", min_width=100)
                stop = gr.Button(T("common.stop"), variant="stop", elem_id="completion-stop", min_width=80)
            out = gr.HTML(label=T("completion.row"), show_label=True, container=True, elem_id="completion-out")
            status = gr.Markdown(elem_id="completion-status")
    with gr.Accordion(T("completion.paint_title"), open=False) as painting:
        painted = checks.Drawing(gr.ImageEditor(editor_value(image.value), type="numpy", canvas_size=(168, 168),
                                 sources=(), transforms=(), brush=gr.Brush(default_size=12, colors=["#3c78d8"],
                                                                          color_mode="fixed"),
                                 layers=False, label=T("completion.paint"), elem_id="completion-painter"))
    with gr.Accordion(T("completion.step_title"), open=False):
        step, follow = replay.build(name, recording, temperature, [out], "completion", picture=picture)
    image.change(editor_value, image, painted, api_visibility="private")
    gr.on([image.change, preset.change, name.change, painted.change], occluded, [name, image, preset, painted, seed],
          out, api_visibility="private", show_progress="hidden", trigger_mode="always_last")
    # a closed accordion does not redraw its editor: open it, with the current image, when painting is chosen
    preset.change(paint_mode, [preset, image], [painting, painted], api_visibility="private")
    follow(go.click(complete, [name, image, preset, painted, n, seed, temperature], [out, status, recording, step],
                    api_name="complete", **layout.BATCHED))
    stop.click(replay.ask_to_stop("completion"), None, None, concurrency_limit=None, api_visibility="private")
    return occluded, [name, image, preset, painted, seed], [out]  # on first view: the model loads on first use
