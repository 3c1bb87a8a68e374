"""Choosing an image, shared by the tabs that take one: the committed gallery, an upload, or a drawing.

The chosen image lives in a gr.State as a uint8 28x28 array in the dataset's polarity (light on black);
tabs react to its ``.change``.
"""
from __future__ import annotations

import gradio as gr
import numpy as np
import torch

from gen_core.data.gallery import CLASSES, gallery
from gen_core.viz import grid

from . import checks, images
from .i18n import T, say


def gallery_items() -> list[tuple[np.ndarray, str]]:
    """The gallery's images, each in its grey frame at its own 28x28 size (the page enlarges them crisply: class
    "pix"; the frame keeps the picture whole when a thumbnail is cropped to its box), each with its class."""
    x, labels = gallery()
    return [(grid(x[k, 0][None].numpy(), 1), CLASSES[int(labels[k])]) for k in range(len(x))]


def enlarged(image28) -> np.ndarray:
    """A uint8 28x28 image as a crisp enlarged RGB picture."""
    return images.tile_grid(images.gray_rgb(torch.as_tensor(np.asarray(image28))[None, None], 256), 1)


def show(image28: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(state, preview) for a new current image uint8 [1, 1, 28, 28]."""
    a = image28[0, 0].numpy()
    return a, enlarged(a)


def as_image(image) -> torch.Tensor:
    """The current image (state) as uint8 [1, 1, 28, 28], or a gr.Error."""
    if image is None:
        checks.fail(say("msg.choose_image"))
    a = np.asarray(image)
    if a.shape != (28, 28):
        checks.fail(f"Expected a 28x28 image, got an array of shape {a.shape}.")
    return torch.from_numpy(np.clip(a, 0, 255).astype(np.uint8))[None, None]


@checks.writes_files
def pick(evt: gr.SelectData):
    return show(gallery()[0][evt.index:evt.index + 1])


@checks.writes_files
def from_upload(path):
    try:
        return show(images.to_gray28(path))
    except images.BadImage as e:
        checks.fail(str(e))


@checks.writes_files
def from_drawing(value):
    strokes = images.drawing(value)
    if strokes is None:
        checks.fail(say("msg.blank_drawing"))
    return show(images.to_gray28(np.where(strokes, 0, 255).astype(np.uint8)))  # black ink on white


def build(prefix: str, *, preview: bool = True, height: int = 300, columns: int = 4) -> tuple[gr.State, gr.Image]:
    """Gallery / Upload / Draw tabs beside a preview of the current image (hidden when the tab shows the
    image itself: ``preview=False``); returns (state, preview)."""
    first = show(gallery()[0][:1])
    state = gr.State(first[0])
    with gr.Row():
        with gr.Column(scale=3):
            with gr.Tabs():
                with gr.Tab(T("picker.gallery_tab")):
                    pictures = gr.Gallery(gallery_items(), columns=columns, height=height, allow_preview=False,
                                          label=T("picker.gallery"), elem_id=f"{prefix}-gallery",
                                          elem_classes=["captions-below", "pix"])
                with gr.Tab(T("picker.upload_tab")):
                    # a plain file: every decoding (and every failure) happens in images.to_gray28
                    upload = gr.File(file_types=["image"], type="filepath", height=120,
                                     label=T("picker.upload"))
                with gr.Tab(T("picker.draw_tab")):
                    sketch = checks.Drawing(gr.Sketchpad(
                        canvas_size=(280, 280), type="numpy", label=T("picker.sketch"),
                        brush=gr.Brush(default_size=18, colors=["#000000"], color_mode="fixed")))
                    use_sketch = gr.Button(T("picker.use"))
        with gr.Column(scale=2, visible=preview):
            shown = gr.Image(first[1], label=T("picker.preview"), format="png",
                             elem_id=f"{prefix}-preview", elem_classes="pix", interactive=False)
    pictures.select(pick, None, [state, shown], api_visibility="private")
    upload.upload(from_upload, upload, [state, shown], api_name=f"{prefix}_upload")
    use_sketch.click(from_drawing, sketch, [state, shown], api_visibility="private")
    return state, shown
