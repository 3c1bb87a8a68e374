"""The genlab Gradio app: one tab per module, in teaching order. Layout here, logic in the modules."""
from __future__ import annotations

import os

import gradio as gr

from . import board, completion, gan, latent, layout, likelihood, pixels, text
from .i18n import APPLY_LANG_JS, I18N, SWITCH, T

__all__ = ["CSS", "I18N", "build_app"]  # launch(css=CSS, i18n=I18N)

BASE_CSS = """.pix img {image-rendering: pixelated}
img.frame {image-rendering: pixelated; width: 100%; max-height: 60vh; object-fit: contain; display: block}
figure.frame {margin: 0 0 8px} figure.frame figcaption {text-align: center; font-size: 15px}
.frame-grid {display: grid; grid-template-columns: repeat(var(--columns), minmax(0, 1fr)); gap: 6px}
.frame-grid figure.frame {margin: 0} .frame-grid figcaption {font-size: 13px}
@media (max-width: 640px) {.frame-grid {grid-template-columns: repeat(3, minmax(0, 1fr))}}
.captions-below .caption-label {position: static; max-width: 100%; white-space: normal; border: none;
  background: none; text-align: center; padding: 2px 0 0}
.captions-below .thumbnail-item {aspect-ratio: auto; display: flex; flex-direction: column}
.captions-below .thumbnail-item > img {aspect-ratio: 1; height: auto}
#lang-switch {text-align: right; font-size: 15px}
"""

# the tabs in teaching order, each a module whose build() lays it out
TABS = [
    ("Pixels", pixels),
    ("Completion", completion),
    ("Text", text),
    ("Latent", latent),
    ("GAN", gan),
    ("Likelihood", likelihood),
    ("Models", board),
]


# the page's style: the shared rules, then each tab module's own ``CSS`` (if it has one)
CSS = "\n".join([BASE_CSS, *(getattr(content, "CSS", "") for _, content in TABS)])


def build_app() -> gr.Blocks:
    # every 10 minutes, cached files older than 30 minutes are deleted
    with gr.Blocks(title="genlab", delete_cache=(600, 1800)) as app:
        gr.HTML(SWITCH, padding=False)
        gr.Markdown(T("app.headline"))
        with gr.Tabs(overflow_behavior="wrap"):  # on a phone every tab stays one tap away
            for title, content in TABS:
                with gr.Tab(T(f"tab.{title.lower()}"), id=title.lower()) as tab:
                    shown_later = content.build()  # None, or (fn, inputs, outputs) to draw on first view
                    if shown_later:  # inside the tab: a Tabs row holds only tabs
                        layout.first_view(tab, *shown_later)
        app.load(None, None, None, js=APPLY_LANG_JS)  # ?lang=es in the address: the page in Spanish
    # room for a classroom's worth of waiting requests; heavy events share layout.HEAVY's workers
    app.queue(default_concurrency_limit=2, max_size=int(os.environ.get("GENLAB_QUEUE", "256")))
    return app
