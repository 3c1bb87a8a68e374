"""Latent tab: slide through z and watch E[x | z] change, encode images, the 2-D manifold, interpolation,
the conditional VAE's class and style, random codes through an autoencoder and a VAE, VAEs of 2, 5, 10 and 20 dimensions side by side, and the ELBO;
then the denoising and the sparse autoencoder (``demo.autoencoders``)."""
from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

import gradio as gr
import numpy as np
import torch

from gen_core import checkpoints, latent_space
from gen_core.data import binarize
from gen_core.data.gallery import CLASSES, gallery

from . import autoencoders, checks, layout, picker, shipped
from .i18n import T, english, say
from .checks import fail
from .images import image_grid
from .latent_plots import Plane, dimensions_figure, elbo_figure, enlarged, random_codes_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

EXPLAIN = english("latent.explain")
MAX_DIMS = 20          # sliders: the largest latent of a shipped model (vae_20d)
MAX_STEPS, MAX_RANDOM = 16, 12
BY_DIMENSION = ("vae_2d", "vae_5d", "vae_10d", "vae_20d")  # registry names: one architecture, z of 2 ... 20


def get(name: str):
    """A shipped latent-variable model (VAE, conditional VAE or autoencoder), or a gr.Error."""
    model = shipped.get(name)
    if name not in shipped.names("latent"):
        fail(f"{name} is not a latent-variable model; choose one of {', '.join(shipped.names('latent'))}.")
    if model.z_dim > MAX_DIMS:
        fail(say("msg.too_many_dims", name=name, z_dim=model.z_dim, most=MAX_DIMS))
    return model


def slidable(names: tuple[str, ...]) -> list[str]:
    """The checkpoints whose codes fit on the sliders (at most MAX_DIMS dimensions; the sparse autoencoder's
    wide code has its own section)."""
    return [n for n in names if checkpoints.read_meta(n)["config"].get("z_dim", 0) <= MAX_DIMS]


def class_index(model, class_name) -> int | None:
    """The class y of a conditional model (its first class when none is chosen); None for the others."""
    if not model.conditional:
        return None
    names = shipped.class_names(model)
    if class_name in (None, ""):
        return 0
    return names.index(checks.choice(class_name, "class", names))


def parse_z(model, values) -> torch.Tensor:
    """Exactly z_dim finite numbers -> z [z_dim] (clipped to +-4 sigma when decoded)."""
    try:
        z = torch.tensor([float(v) for v in values], dtype=torch.float32)
    except (TypeError, ValueError):
        fail(f"The latent code must be {model.z_dim} numbers.")
    if len(z) != model.z_dim:
        fail(f"This model has {model.z_dim} latent dimensions: give exactly {model.z_dim} values (got {len(z)}).")
    if not torch.isfinite(z).all():
        fail("Latent values must be finite numbers.")
    return z


def z_text(z: torch.Tensor) -> str:
    return ", ".join(f"{v:.2f}" for v in z.tolist())


@functools.cache
def plane_for(name: str, y: int | None) -> Plane | None:
    """The manifold | scatter picture of a 2-D model (for class y), or None for other models or without codes."""
    model = get(name)
    if model.z_dim != 2:
        return None
    try:
        codes = checkpoints.read_companion(name, "latents")
    except checkpoints.CheckpointError:
        return None
    mu, labels = codes["mu"], codes["labels"].long()
    if model.conditional:  # the test images of this class: the style of class y
        mu, labels = mu[labels == y], labels[labels == y]
    return Plane(model, mu, labels, y, shipped.class_names(model))


def manifold(name: str, y: int | None) -> np.ndarray | None:
    plane = plane_for(name, y)
    return None if plane is None else plane.manifold


def view(name: str, model, z: torch.Tensor, y: int | None, figures: bool = True):
    """(decoded picture, scatter with z marked or None, z as text) for a code z; the scatter only with ``figures``
    (matplotlib's: not at start-up)."""
    z = latent_space.clip(model, z)
    x = latent_space.decode(model, z, y)
    plane = plane_for(name, y) if figures else None
    return image_grid(x), None if plane is None else plane.mark(z), z_text(z)


@checks.writes_files
def slide(name: str, class_name, *values):
    """A slider moved: (E[x | z], scatter with z marked, z as text) from the first z_dim slider values."""
    model = get(name)
    if len(values) < model.z_dim:
        fail(f"This model has {model.z_dim} latent dimensions: give {model.z_dim} slider values (got {len(values)}).")
    return view(name, model, parse_z(model, values[:model.z_dim]), class_index(model, class_name))


def floor2(v) -> float:
    """A slider end rounded outwards to 0.01 (so that low < high and both ends stay reachable)."""
    return math.floor(float(v) * 100) / 100


def ceil2(v) -> float:
    return math.ceil(float(v) * 100) / 100


def slider_updates(model, z: torch.Tensor) -> list:
    """One gr.Slider per possible dimension: the model's +-4 sigma range and z's value, the rest hidden."""
    low, high = latent_space.limits(model)
    return [checks.Slider(minimum=floor2(low[d]), maximum=ceil2(high[d]), value=round(float(z[d]), 2), visible=True,
                      label=f"z{d + 1}") if d < model.z_dim else checks.Slider(visible=False) for d in range(MAX_DIMS)]


@checks.writes_files
def decode_text(name: str, class_name, text: str):
    """Decode a code typed as comma-separated numbers: (E[x | z], scatter, z as text, the sliders set to z)."""
    model = get(name)
    parts = [p for p in str(text or "").replace(";", ",").replace(" ", ",").split(",") if p]
    z = latent_space.clip(model, parse_z(model, parts))
    picture, plane, text = view(name, model, z, class_index(model, class_name))
    return picture, plane, text, *[checks.Slider(value=round(float(v), 2)) for v in z], \
        *[gr.skip()] * (MAX_DIMS - model.z_dim)


def elbo_text(model, x: torch.Tensor, y: int | None, figures: bool = True):
    """(markdown, bar chart or None) of the image's ELBO terms (VAE) or reconstruction error (autoencoder); the
    chart only with ``figures``."""
    if not model.has_likelihood_bound:
        with torch.no_grad():
            error = float(model.reconstruction_error(x, latent_space.label_tensor(model, y)))
        return (f"**Reconstruction error** $-\\log p(x \\mid z = f(x))$ = **{error:.1f} nats**. An autoencoder "
                "has no prior and no KL term: this is not a bound on $-\\log p(x)$."), None
    r = latent_space.elbo_report(model, x, y)
    given = " \\mid y" if model.conditional else ""
    return (f"**ELBO of this image** = $\\mathbb E_q[\\log p(x \\mid z)]$ − KL = {r['reconstruction']:.1f} − "
            f"{r['kl']:.1f} = **{r['elbo']:.1f} nats**, so $-\\log p(x{given}) \\le$ {-r['elbo']:.1f} nats "
            f"(reconstruction term from {r['samples']} samples $z = \\mu + \\sigma \\odot \\varepsilon$; KL "
            "analytic)."), elbo_figure(r) if figures else None


def encoded_view(name: str, class_name, image, figures: bool = True) -> dict:
    """Everything shown for the current image: its posterior mean z (clipped), E[x | z], plane, ELBO; the
    matplotlib-drawn scatter and chart only with ``figures``."""
    model = get(name)
    y = class_index(model, class_name)
    x = binarize(picker.as_image(image)).to(model.device)
    z = latent_space.clip(model, latent_space.encode(model, x, y))
    picture, plane, text = view(name, model, z, y, figures)
    note, chart = elbo_text(model, x, y, figures)
    return {"model": model, "z": z, "picture": picture, "plane": plane, "manifold": manifold(name, y), "text": text,
            "note": note, "chart": chart}


@checks.writes_files
def encode(name: str, class_name, image):
    """Encode the current image: (sliders at its posterior mean, E[x | mu], manifold, scatter, their caption,
    z text, ELBO text and chart)."""
    v = encoded_view(name, class_name, image)
    shown = v["plane"] is not None
    return (*slider_updates(v["model"], v["z"]), v["picture"], gr.Image(v["manifold"], visible=shown),
            gr.Image(v["plane"], visible=shown), gr.Markdown(visible=shown), v["text"], v["note"],
            gr.Plot(v["chart"], visible=v["chart"] is not None))


@checks.writes_files
def figures(name: str, class_name, image, *values):
    """What the tab shows that matplotlib draws, on its first view (not at start-up): the scatter with the
    sliders' z marked, and the current image's ELBO chart."""
    model = get(name)
    y = class_index(model, class_name)
    plane = plane_for(name, y)
    _, chart = elbo_text(model, binarize(picker.as_image(image)).to(model.device), y)
    marked = None if plane is None else plane.mark(latent_space.clip(model, parse_z(model, values[:model.z_dim])))
    return marked, gr.Plot(chart, visible=chart is not None)


@checks.writes_files
def restyle(name: str, class_name, *values):
    """The conditional VAE's class changed: the same style z decoded as the new class, and that class's plane."""
    model = get(name)
    return (*slide(name, class_name, *values), manifold(name, class_index(model, class_name)))


@checks.writes_files
def on_model(name: str, image):
    """A model was chosen: its class menu (conditional VAE only), then everything ``encode`` shows."""
    model = get(name)
    names = shipped.class_names(model) if model.conditional else CLASSES
    return gr.Dropdown(choices=list(names), value=names[0], visible=model.conditional), *encode(name, names[0], image)


def gallery_choices() -> list[tuple[str, int]]:
    labels = gallery()[1]
    return [(f"#{k} {CLASSES[int(labels[k])]}", k) for k in range(len(labels))]


def gallery_image(index) -> torch.Tensor:
    k = checks.whole(index, "The gallery image number", 0, len(gallery()[0]) - 1)
    return binarize(gallery()[0][k:k + 1])


@checks.writes_files
def interpolation(name: str, class_name, first=0, second=1, steps=10):
    """[x_0 | E[x | z_lambda] for lambda = 0..1 | x_1] with z_0, z_1 the posterior means of two gallery images."""
    model = get(name)
    steps = checks.whole(steps, "Steps", 2, MAX_STEPS)
    y = class_index(model, class_name)
    ends = [gallery_image(i) for i in (first, second)]
    strip = latent_space.interpolate(model, *(latent_space.encode(model, x, y) for x in ends), steps, y)
    return enlarged(torch.cat([ends[0], strip, ends[1]]), nrow=steps + 2, scale=4)


def random_codes(seed=0, n=8) -> Figure:
    """The same eps ~ N(0, I) decoded by the VAE and by the autoencoder (as is, and moved to its codes' spread)."""
    seed = checks.seed(seed)
    n = checks.whole(n, "Number of codes", 1, MAX_RANDOM)
    names = shipped.first("vae"), shipped.first("ae")
    if None in names:
        fail("This comparison needs both the 16-D VAE and the autoencoder: train them with "
             "`python -m gen_core.train vae` and `python -m gen_core.train ae`.")
    vae, ae = get(names[0]), get(names[1])
    if vae.z_dim != ae.z_dim:
        fail(f"The VAE ({vae.z_dim}-D) and the autoencoder ({ae.z_dim}-D) need latents of the same size.")
    eps = torch.randn(n, vae.z_dim, generator=torch.Generator().manual_seed(seed))
    centre, spread = latent_space.centre_and_spread(ae)
    rows = [vae.mean_image(eps), ae.mean_image(eps), ae.mean_image(centre + spread * eps)]
    return random_codes_figure(torch.cat(rows), n)


def bounds_label(name: str) -> str:
    """'10-D' and the sidecar's test -ELBO and importance-weighted bound (nats per image)."""
    meta = checkpoints.read_meta(name)
    m, z_dim = meta.get("metrics", {}), meta["config"]["z_dim"]
    figures = [f"{what} {m[key]:.1f}" for what, key in (("−ELBO", "test_neg_elbo_nats"), ("IW", "test_iw_nll_nats"))
               if isinstance(m.get(key), (int, float))]
    return f"{z_dim}-D\n" + "\n".join(figures or ["(no test bounds)"])


def by_dimension(seed=0, n=8) -> Figure:
    """n codes z ~ N(0, I) decoded by each shipped VAE of ``BY_DIMENSION`` (one row each, its own draw from
    ``seed``), labelled with its test -ELBO and IW bound."""
    seed = checks.seed(seed)
    n = checks.whole(n, "Number of samples", 1, MAX_RANDOM)
    names = {model: shipped.first(model) for model in BY_DIMENSION}
    shown = [name for name in names.values() if name is not None]
    if not shown:
        fail("No VAE of 2, 5, 10 or 20 dimensions is shipped: train them with "
             + ", ".join(f"`python -m gen_core.train {m} --publish`" for m in BY_DIMENSION) + ".")
    rows = []
    for name in shown:
        model = get(name)
        z = torch.randn(n, model.z_dim, generator=torch.Generator().manual_seed(seed))
        rows.append((bounds_label(name), model.mean_image(z).float().cpu()))
    missing = [m for m, name in names.items() if name is None]
    title = "E[x | z] for z ~ N(0, I); bounds on −log p(x), test nats per image"
    return dimensions_figure(rows, n, title + (f" (not shipped: {', '.join(missing)})" if missing else ""))


def build():
    names = slidable(layout.opening(T("latent.explain"), "latent", T("latent.missing")))
    if not names:
        return
    first = next((n for n in names if n.startswith("vae_2d")), names[0])
    try:  # what the first model shows for the first gallery image, before any event (its figures on first view)
        start = encoded_view(first, None, gallery()[0][0, 0].numpy(), figures=False)
        low, high = latent_space.limits(start["model"])
        z_dim, conditional = start["model"].z_dim, start["model"].conditional
    except gr.Error:  # a broken checkpoint: its events will say what is wrong
        start, z_dim, conditional = {}, 0, False
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):  # the image, then what the VAE says about it
            image, _ = picker.build("latent")
            elbo = gr.Markdown(start.get("note", ""), elem_id="latent-elbo", latex_delimiters=layout.LATEX)
            chart = gr.Plot(label=T("latent.chart"), show_label=False, elem_id="latent-chart",
                            visible="model" in start and start["model"].has_likelihood_bound)
        with gr.Column(scale=4):  # beside it: the model, E[x | z] and the sliders that move z
            with gr.Row():
                name = gr.Dropdown([(shipped.label(n), n) for n in names], value=first, label=T("common.model"), scale=3,
                                   min_width=240)
                class_name = gr.Dropdown(list(CLASSES), value=CLASSES[0], scale=2, label=T("latent.class"),
                                         visible=conditional, min_width=160)
            decoded = gr.Image(start.get("picture"), label=T("latent.decoded"),
                               format="png", height=230, elem_id="latent-decoded", elem_classes="pix",
                               interactive=False)
            again = gr.Button(T("latent.again"), size="sm",
                              variant="primary", elem_id="latent-go")
            sliders = [checks.Slider(floor2(low[d]) if d < z_dim else -4, ceil2(high[d]) if d < z_dim else 4,
                                 value=round(float(start["z"][d]), 2) if d < z_dim else 0, step=0.05,
                                 label=f"z{d + 1}", visible=d < z_dim, elem_id=f"latent-z{d + 1}")
                       for d in range(MAX_DIMS)]
            z_box = gr.Textbox(start.get("text", ""), elem_id="latent-z",
                               label=T("latent.z_box"))
    with gr.Accordion(T("latent.details_title"), open=False):
        gr.Markdown(T("latent.details"), latex_delimiters=layout.LATEX)
    shown = start.get("manifold") is not None
    caption = gr.Markdown(T("latent.caption"), visible=shown)
    with gr.Row():  # no labels over the pictures: they would hide the top rows
        grid = gr.Image(start.get("manifold"), format="png", elem_id="latent-manifold", elem_classes="pix",
                        show_label=False, interactive=False, visible=shown)
        plane = gr.Image(format="png", elem_id="latent-plane", show_label=False, interactive=False, visible=shown)

    encoded = [*sliders, decoded, grid, plane, caption, z_box, elbo, chart]
    name.change(on_model, [name, image], [class_name, *encoded], api_visibility="private")
    image.change(encode, [name, class_name, image], encoded, api_visibility="private")
    again.click(encode, [name, class_name, image], encoded, api_name="latent_encode")
    gr.on([s.input for s in sliders], slide, [name, class_name, *sliders], [decoded, plane, z_box],
          api_name="latent_slide", trigger_mode="always_last", show_progress="hidden", concurrency_limit=None)
    class_name.input(restyle, [name, class_name, *sliders], [decoded, plane, z_box, grid], api_visibility="private",
                     show_progress="hidden")
    z_box.submit(decode_text, [name, class_name, z_box], [decoded, plane, z_box, *sliders], api_name="latent_decode")

    with gr.Accordion(T("latent.interpolation"), open=False):
        with gr.Row():
            choices = gallery_choices()
            first_img = gr.Dropdown(choices, value=0, label=T("latent.image0"))
            second_img = gr.Dropdown(choices, value=1, label=T("latent.image1"))
            steps = checks.Slider(2, MAX_STEPS, value=10, step=1, label=T("latent.steps"))
            go = gr.Button(T("latent.interpolate"))
        strip = gr.Image(label=T("latent.strip"), format="png", elem_id="latent-strip",
                         elem_classes="pix", interactive=False)
    go.click(interpolation, [name, class_name, first_img, second_img, steps], strip, api_name="latent_interpolate")

    random_section("random", "codes", "decode_random", "compare", random_codes, "latent_random")
    random_section("dims", "per_model", "draw", "dims", by_dimension, "latent_dimensions", elem_id="latent-dims")
    autoencoders.build(image)
    return figures, [name, class_name, image, *sliders], [plane, chart]  # drawn on first view


def random_section(key: str, count: str, button: str, plot: str, fn, api_name: str, elem_id: str | None = None):
    """An accordion (title and text ``latent.<key>_title``/``_text``): a seed, a count and a button that draws
    ``fn(seed, count)`` into a plot."""
    with gr.Accordion(T(f"latent.{key}_title"), open=False):
        gr.Markdown(T(f"latent.{key}_text"), latex_delimiters=layout.LATEX)
        with gr.Row():
            seed = checks.Number(0, label=T("common.seed"), precision=0, minimum=0, maximum=checks.MAX_SEED)
            n = checks.Slider(1, MAX_RANDOM, value=8, step=1, label=T(f"latent.{count}"))
            go = gr.Button(T(f"latent.{button}"))
        out = gr.Plot(label=T(f"latent.{plot}"), elem_id=elem_id)
    go.click(fn, [seed, n], out, api_name=api_name)
