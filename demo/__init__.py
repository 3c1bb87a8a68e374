"""The genlab Gradio app: one tab per module, in teaching order. Layout here, logic in the modules."""
from __future__ import annotations

import gradio as gr

from . import board, completion, gan, latent, likelihood, pixels, text

BASE_CSS = """.pix img {image-rendering: pixelated}
img.frame {image-rendering: pixelated; width: 100%; max-height: 60vh; object-fit: contain; display: block}
figure.frame {margin: 0 0 8px} figure.frame figcaption {text-align: center; font-size: 15px}
.captions-below .caption-label {position: static; max-width: 100%; white-space: normal; border: none;
  background: none; text-align: center; padding: 2px 0 0}
.captions-below .thumbnail-item {aspect-ratio: auto; display: flex; flex-direction: column}
.captions-below .thumbnail-item > img {aspect-ratio: 1; height: auto}
"""

# the tabs in teaching order: a module with build(), or what the tab will hold until its module lands
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
    with gr.Blocks(title="genlab", delete_cache=(3600, 3600)) as app:
        gr.Markdown("# genlab — watch deep generative models work")
        with gr.Tabs(overflow_behavior="wrap"):  # on a phone every tab stays one tap away
            for title, content in TABS:
                with gr.Tab(title, id=title.lower()):
                    if isinstance(content, str):
                        gr.Markdown(f"### {title}\n{content}\n\n*This tab is not built yet.*")
                    else:
                        content.build()
    app.queue(default_concurrency_limit=2, max_size=32)
    return app
