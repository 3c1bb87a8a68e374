"""The Latent tab's section on two autoencoders beyond the plain one (``gen_core.models.autoencoder``):

* ``denoise``: the chosen image x, a corrupted copy x~ ~ C(x~ | x) (noise level, masking fraction, seed), and
  E[x | z = f(x~)] of the denoising and of the plain autoencoder side by side, each with -log p(x | z = f(x~));
* ``sparse_code``: the sparse autoencoder's code z = max(0, f(x)) of the image as a bar chart (active units
  coloured, each unit's activity over the test images beneath) and how sparse it is.

One image through two small networks: every request costs a few milliseconds.
"""
from __future__ import annotations

import gradio as gr
import torch

from gen_core.data import binarize
from gen_core.models.autoencoder import INACTIVE, code_sparsity, corrupt

from . import checks, images, layout, picker, shipped
from .i18n import T, say
from .latent_plots import code_figure

NOISE, MASK = 0.5, 0.25  # the sliders' start: the corruption the denoising autoencoder was trained and tested on


def models(*registry_names: str) -> list:
    """The shipped models of these registry names (e.g. 'dae', 'ae'), or a message saying how to train the missing."""
    names = [shipped.first(m) for m in registry_names]
    missing = [m for m, name in zip(registry_names, names) if name is None]
    if missing:
        checks.fail(say("msg.train_autoencoders", models=", ".join(missing),
                        commands=", ".join(f"`python -m gen_core.train {m} --publish`" for m in missing)))
    return [shipped.get(name) for name in names]


def captioned(x: torch.Tensor, captions: list[str]) -> str:
    """Images in [0, 1] [B, 1, 28, 28], each above its caption, in one row (inline HTML)."""
    return images.captioned_html(list(zip(images.gray_rgb(x), captions)), columns=len(captions))


@torch.no_grad()
def denoise(image, noise=NOISE, mask=MASK, seed=0) -> tuple[str, str]:
    """(x | x~ | the denoising autoencoder's E[x | f(x~)] | the plain one's, captioned inline HTML; a summary)."""
    noise = checks.number(noise, "Noise level", 0, 1)
    mask = checks.number(mask, "Masking fraction", 0, 1)
    seed = checks.seed(seed)
    dae, ae = models("dae", "ae")
    x = binarize(picker.as_image(image))
    x_tilde = corrupt(x, noise, mask, torch.Generator().manual_seed(seed))
    decoded = [m.mean_image(m.encode(x_tilde)) for m in (dae, ae)]
    errors = [float(m.reconstruction_error(x, None, x_tilde)) for m in (dae, ae)]
    captions = [say("latent.ae_image"), say("latent.ae_corrupted", noise=noise, mask=mask),
                *(say(key, error=e) for key, e in zip(("latent.ae_dae", "latent.ae_plain"), errors))]
    better = "latent.ae_dae_better" if errors[0] < errors[1] else "latent.ae_plain_better"
    return captioned(torch.cat([x, x_tilde, *decoded]), captions), say(better, dae=errors[0], ae=errors[1])


@torch.no_grad()
def sparse_code(image):
    """(x | the sparse autoencoder's E[x | z], inline HTML; the bar chart of z; its sparsity in words)."""
    (model,) = models("sparse_ae")
    x = binarize(picker.as_image(image))
    z = model.encode(x)
    found = code_sparsity(z)
    error, penalty = (float(t) for t in model.terms(x))
    pictures = captioned(torch.cat([x, model.mean_image(z)]), [say("latent.ae_image"),
                                                               say("latent.ae_sparse", error=error)])
    labels = {key: say(f"latent.ae_{key}") for key in ("units", "code", "activity")}
    chart = code_figure(z[0], z[0].abs() >= INACTIVE, model.meta.get("unit_activity"), labels)
    summary = say("latent.ae_sparsity", active=int(found["active_units"]), units=model.z_dim, threshold=INACTIVE,
                  l1=float(found["mean_l1"]), penalty=penalty, error=error)
    return pictures, chart, summary


def build(image: gr.State) -> None:
    """The section, an accordion under the tab's others; ``image`` is the tab's chosen image (its picker)."""
    with gr.Accordion(T("latent.ae_title"), open=False):
        layout.explain(T("latent.ae_text"))
        with gr.Row():
            noise = checks.Slider(0, 1, value=NOISE, step=0.05, label=T("latent.ae_noise"))
            mask = checks.Slider(0, 1, value=MASK, step=0.05, label=T("latent.ae_mask"))
            seed = checks.Number(0, label=T("common.seed"), precision=0, minimum=0, maximum=checks.MAX_SEED)
            go = gr.Button(T("latent.ae_go"))
        denoised = gr.HTML(label=T("latent.ae_denoised"), show_label=True, container=True, elem_id="latent-denoised")
        verdict = gr.Markdown(latex_delimiters=layout.LATEX)
        code_go = gr.Button(T("latent.ae_code_go"))
        with gr.Row(equal_height=False):
            reconstructed = gr.HTML(label=T("latent.ae_reconstructed"), show_label=True, container=True,
                                    elem_id="latent-sparse")
            chart = gr.Plot(label=T("latent.ae_chart"), elem_id="latent-code")
        sparsity = gr.Markdown(latex_delimiters=layout.LATEX)
    go.click(denoise, [image, noise, mask, seed], [denoised, verdict], api_name="latent_denoise")
    gr.on([noise.release, mask.release], denoise, [image, noise, mask, seed], [denoised, verdict],
          api_visibility="private", trigger_mode="always_last")
    code_go.click(sparse_code, image, [reconstructed, chart, sparsity], api_name="latent_sparse")
