"""Step through a recorded draw (Pixels and Completion tabs): play, pause, step, scrub, and inspect the
conditional of any step (or of any pixel clicked) — what the model saw (its receptive field, measured from the model, drawn on the
canvas) and the distribution the pixel was drawn from. Replay reads the recording; it never samples again.

Stop is a request, not a cancellation: the running draw sees it at its next frame and ends there, so the
partial images stay on screen and can be stepped through like a finished run.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import gradio as gr
import numpy as np
import torch

from gen_core.receptive_field import receptive_field
from gen_core.recording import Recording

from . import checks, images, shipped
from .i18n import T

if TYPE_CHECKING:
    from matplotlib.figure import Figure

RECORDING_TTL = 1800  # seconds a visitor's recorded draw is kept (gr.State time_to_live)
# playback speeds: seconds between ticks, steps per tick
SPEEDS = {"1 pixel / s": (1.0, 1), "5 pixels / s": (0.2, 1), "a row / s": (0.25, 7), "full speed": (0.1, 28)}
SPEED_NAMES = ("replay.speed_1", "replay.speed_5", "replay.speed_row", "replay.speed_full")  # i18n, as SPEEDS
INSPECT_SCALE = 10          # the inspected image at 280 x 280 px
SEEN = np.array([60, 200, 90])      # tint: pixels in the conditional's receptive field
BLIND = np.array([240, 150, 30])    # tint: drawn before it, yet invisible to it (the blind spot)
FUTURE = np.array([45, 55, 85])     # not drawn yet
CURRENT = np.array([230, 30, 30])   # the pixel being drawn
GREEDY = ("Temperature 0 is greedy: every pixel takes its single most likely value. For these models that is "
          "black almost everywhere (most pixels of most images are background), so a greedy draw stays blank — "
          "sampling, not the argmax, is what makes images.")
LEGEND = ("**green**: pixels the conditional sees (its receptive field, measured from the model) · **orange**: "
          "drawn before it but invisible to it (a blind spot) · **dark blue**: not drawn yet · **red**: this pixel")

# -- stopping -------------------------------------------------------------------------------------
_running: set[tuple[str, str]] = set()       # (visitor's session, tab) of every draw in progress
_stop_requests: set[tuple[str, str]] = set()


def stop_key(request: gr.Request | None, what: str) -> tuple[str, str] | None:
    return None if request is None or not request.session_hash else (request.session_hash, what)


def ask_to_stop(what: str):
    """An event function that asks this visitor's ``what`` draw in progress to stop at its next frame
    (a click when nothing runs is ignored, so it cannot stop the next draw)."""
    def stop(request: gr.Request):
        key = stop_key(request, what)
        if key in _running:
            _stop_requests.add(key)
    return stop


class Run:
    """A draw in progress for one visitor and tab: ``stopped()`` says whether they asked it to stop."""

    def __init__(self, request: gr.Request | None, what: str):
        self.key = stop_key(request, what)

    def __enter__(self) -> "Run":
        if self.key:
            _running.add(self.key)
        return self

    def __exit__(self, *exc) -> None:
        _running.discard(self.key)
        _stop_requests.discard(self.key)

    def stopped(self) -> bool:
        return self.key in _stop_requests


# -- pictures of a step ---------------------------------------------------------------------------
CANVAS_ALT, MAP_ALT = "the images after this step", "the probability map after this step"


def canvas_grid(rec: Recording, k: int, n_values: int) -> np.ndarray:
    """Every image after k steps, the pixel of step k outlined (none at step 0)."""
    grid = images.image_grid(rec.canvas(k), n_values)
    return grid if k == 0 else images.mark(grid, rec.position(k), rec.x.shape[0], rec.x.shape[-1])


def map_grid(rec: Recording, k: int) -> np.ndarray:
    return images.prob_grid(rec.map(k))


@functools.lru_cache(maxsize=2048)
def field(name: str, pos: int, known: bytes | None) -> torch.Tensor:
    """The receptive field of checkpoint ``name`` at ``pos`` (when completing, in the order for the known pixels)."""
    model = shipped.get(name)
    if known is not None:
        mask = torch.from_numpy(np.frombuffer(known, np.bool_).copy()).view(1, 1, model.image_size, model.image_size)
        model = model.conditioned_on(mask)
    return receptive_field(model, pos)


def known_key(rec: Recording) -> bytes | None:
    """The known pixels, as the cache key of an order-agnostic model's fields (None: nothing known)."""
    mask = rec.known[0, 0]
    return mask.numpy().tobytes() if mask.any() else None


def overlay(rec: Recording, k: int, j: int, seen: torch.Tensor, n_values: int) -> np.ndarray:
    """Image j as the model saw it before step k, tinted: receptive field, blind spot, future, current pixel."""
    gray = images.gray_rgb(rec.canvas(k - 1)[j:j + 1], n_values)[0].astype(np.float32)
    drawn = (rec.drawn(k - 1).view(seen.shape) | rec.known[j, 0]).numpy()
    seen = seen.numpy()
    out = gray.copy()
    out[seen] = 0.55 * gray[seen] + 0.45 * SEEN
    blind = drawn & ~seen
    out[blind] = 0.55 * gray[blind] + 0.45 * BLIND
    out[~drawn] = FUTURE
    r, c = divmod(rec.position(k), rec.x.shape[-1])
    out[r, c] = CURRENT
    return images.upscale(out.astype(np.uint8), INSPECT_SCALE)


def distribution_figure(dist: np.ndarray, value: float, n_values: int, mean: float = 0.0) -> Figure:
    """The distribution step k drew from, the value drawn highlighted (with many levels: only where its mass
    is, and ``mean``, the expected level under the whole distribution)."""
    fig = images.figure(figsize=(5.2, 3.0), layout="constrained")
    ax = fig.add_subplot()
    if n_values == 2:
        p = np.array([1 - dist[0], dist[0]])
        bars = ax.bar(["0 (black)", "1 (ink)"], p, color=["#8a8fa8", "#8a8fa8"])
        bars[int(value)].set_color(CURRENT / 255)
        for x, v in enumerate(p):
            ax.text(x, v + 0.02, f"{v:.3f}", ha="center", fontsize=13)
        ax.set_ylim(0, 1.15)
        ax.set_ylabel("probability", fontsize=13)
    else:
        mass = np.cumsum(dist) / max(dist.sum(), 1e-12)
        low, high = int(np.searchsorted(mass, 0.0025)), int(np.searchsorted(mass, 0.9975))
        low, high = min(low, int(value)), max(high, int(value))  # where the mass is, and the value drawn
        pad = max(4, (24 - (high - low)) // 2)
        shown = np.arange(max(low - pad, 0), min(high + pad, n_values - 1) + 1)  # draw only the bars seen
        ax.bar(shown, dist[shown], width=1.0, color="#8a8fa8")
        ax.bar([value], [dist[int(value)]], width=1.0, color=CURRENT / 255, label=f"drawn: {int(value)}")
        ax.axvline(mean, color="#2060c0", lw=1.5, label=f"E[x] = {mean:.0f}")
        ax.set_xlim(shown[0] - 1, shown[-1] + 1)
        ax.set_xlabel("intensity x_i (0 black … 255 white), zoomed", fontsize=13)
        ax.set_ylabel("probability", fontsize=13)
        ax.legend(fontsize=12, loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=2, frameon=False)
    ax.tick_params(labelsize=12)
    return fig


@checks.writes_files
def inspect(name: str, rec: Recording | None, k, j, temperature) -> tuple:
    """(overlay picture, distribution figure, text) for step k of image j of the recording."""
    if rec is None or rec.steps == 0:
        return None, None, "Generate first: then step through the draw here."
    k = checks.whole(k, "Step", 0, rec.steps)
    j = checks.whole(j, "Image", 1, rec.x.shape[0]) - 1
    if k == 0:
        return None, None, "Step 0: the canvas is empty (or holds only the known pixels). Step forward to see a pixel drawn."
    model = shipped.get(name)
    pos = rec.position(k)
    seen = field(name, pos, known_key(rec) if model.order_agnostic else None)
    dist = rec.distribution(k, j).numpy()
    value = float(rec.x.flatten(1)[j, pos])
    r, c = divmod(pos, model.image_size)
    known = bool(rec.known.flatten(1)[j, pos])
    available = int((rec.drawn(k - 1).view(seen.shape) | rec.known[j, 0]).sum())
    text = (f"**Step {k} of {rec.steps}**: pixel (row {r}, column {c}). Its conditional sees **{int(seen.sum())}** "
            f"of the {available} pixels on the canvas before it. "
            + ("It was **given** (a known pixel), not drawn. " if known else f"Drawn value: **{int(value)}**. ")
            + "\n\n" + LEGEND)
    if float(temperature) == 0:
        text += "\n\n" + GREEDY
    figure = None if np.isnan(dist).any() else distribution_figure(dist, value, model.n_values,
                                                                float(rec.expect[k - 1, j]) * (model.n_values - 1))
    return overlay(rec, k, j, seen, model.n_values), figure, text


def frames(name: str, rec: Recording, k: int) -> tuple[str, str]:
    """The Pixels tab's pictures of step k (as inline HTML): the canvas and the probability map."""
    return (images.picture_html(canvas_grid(rec, k, shipped.get(name).n_values), CANVAS_ALT),
            images.picture_html(map_grid(rec, k), MAP_ALT))


def show(name: str, rec: Recording | None, k, j, temperature, picture=frames, count: int = 2):
    """Everything a step shows: the tab's ``count`` pictures of step k (``picture``), and the inspector."""
    inspected = inspect(name, rec, k, j, temperature)
    if rec is None or rec.steps == 0:
        return *(gr.skip() for _ in range(count)), *inspected
    return *picture(name, rec, checks.whole(k, "Step", 0, rec.steps)), *inspected


def clicked(rec: Recording | None, k, evt: gr.SelectData) -> int:
    """The step that drew the pixel the student clicked on the inspected image (unchanged if it is not drawn yet)."""
    if rec is None or not evt.index:
        return k
    col, row = (int(v) // INSPECT_SCALE for v in evt.index[:2])
    drawn = (rec.order[:rec.steps] == row * rec.x.shape[-1] + col).nonzero()
    return int(drawn[0, 0]) + 1 if len(drawn) else k


def nudge(rec: Recording | None, k, delta: int) -> int:
    """Step k moved by delta, kept inside the recording."""
    if rec is None:
        return 0
    return int(min(max(int(k) + delta, 0), rec.steps))


def tick(rec: Recording | None, k, speed: str):
    """One tick of playback: the step moved on by the speed's stride; the timer stops at the end."""
    _, stride = SPEEDS.get(speed, SPEEDS["5 pixels / s"])
    k = nudge(rec, k, stride)
    return k, gr.Timer(active=rec is not None and k < rec.steps)


def play(rec: Recording | None, k, speed: str):
    """Start playback (from the start when at the end), at the chosen speed."""
    interval, _ = SPEEDS.get(speed, SPEEDS["5 pixels / s"])
    start = 0 if rec is None or int(k) >= rec.steps else int(k)
    return start, gr.Timer(value=interval, active=rec is not None)


def build(name: gr.Dropdown, recording: gr.State, temperature, pictures: list, prefix: str, picture=frames):
    """The step-through panel under a drawing: slider, step and play buttons, and the inspector; ``picture``
    draws the tab's ``pictures`` at a step. Returns the step slider (the drawing's generator sets it as it
    goes) and ``follow(event)``, which opens the inspector on the last step once a drawing event ends."""
    with gr.Row(elem_classes="replay-controls"):
        back = gr.Button(T("replay.back"), size="sm", min_width=80, scale=0)
        step = checks.Slider(0, 784, value=0, step=1, label=T("replay.step"), elem_id=f"{prefix}-step",
                         scale=4)
        forward = gr.Button(T("replay.forward"), size="sm", min_width=80, scale=0)
    with gr.Row(elem_classes="replay-controls"):
        play_button = gr.Button(T("replay.play"), size="sm", min_width=80, elem_id=f"{prefix}-play")
        pause = gr.Button(T("replay.pause"), size="sm", min_width=80)
        speed = gr.Radio(list(zip(map(T, SPEED_NAMES), SPEEDS)), value="5 pixels / s", label=T("replay.speed"), scale=3)
        image = checks.Number(1, label=T("replay.image"), precision=0, minimum=1, maximum=16, min_width=100)
    with gr.Row():
        seen = gr.Image(label=T("replay.seen"), format="png",
                        elem_id=f"{prefix}-seen",
                        elem_classes="pix", interactive=False, height=300)
        dist = gr.Plot(label=T("replay.dist"),
                       elem_id=f"{prefix}-dist")
    about = gr.Markdown(elem_id=f"{prefix}-about")
    timer = gr.Timer(SPEEDS["5 pixels / s"][0], active=False)
    shown = [*pictures, seen, dist, about]
    show_step = checks.writes_files(functools.partial(show, picture=picture, count=len(pictures)))
    inputs = [name, recording, step, image, temperature]
    options = {"show_progress": "hidden", "concurrency_limit": None, "api_visibility": "private"}
    gr.on([step.input, image.change], show_step, inputs, shown, trigger_mode="always_last", **options)
    for button, delta in ((back, -1), (forward, 1)):
        button.click(functools.partial(nudge, delta=delta), [recording, step], step, **options).then(
            show_step, inputs, shown, **options)
    seen.select(clicked, [recording, step], step, **options).then(show_step, inputs, shown, **options)
    play_button.click(play, [recording, step, speed], [step, timer], **options)
    pause.click(lambda: gr.Timer(active=False), None, timer, **options)
    timer.tick(tick, [recording, step, speed], [step, timer], **options).then(show_step, inputs, shown, **options)
    return step, lambda event: event.then(inspect, [name, recording, step, image, temperature], [seen, dist, about],
                                          **options)
