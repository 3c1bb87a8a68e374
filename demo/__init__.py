"""The genlab Gradio app: one tab per module, in teaching order. Layout here, logic in the modules."""
from __future__ import annotations

import gradio as gr

from . import pixels

CSS = ".pix img {image-rendering: pixelated}"

# tabs still to come, with the issue that brings each one
PLANNED = [
    ("Completion", "Occluded-image completion: hide part of an image and let a model fill it in."),
    ("Text", "Character-level RNN, LSTM and transformer sampling."),
    ("Latent", "VAE latent sliders, the 2-D manifold and interpolation."),
    ("GAN", "DCGAN and conditional GAN samples."),
    ("Likelihood", "Score an image under every model: likelihood and anomaly detection."),
    ("Models", "The comparison board of every shipped checkpoint."),
]


def build_app() -> gr.Blocks:
    with gr.Blocks(title="genlab", delete_cache=(3600, 3600)) as app:
        gr.Markdown("# genlab — watch deep generative models work")
        with gr.Tabs():
            with gr.Tab("Pixels", id="pixels"):
                pixels.build()
            for title, what in PLANNED:
                with gr.Tab(title, id=title.lower()):
                    gr.Markdown(f"### {title}\n{what}\n\n*This tab is not built yet.*")
    app.queue(default_concurrency_limit=2, max_size=32)
    return app
