"""Checking what a visitor sends, in one place: every bad value becomes a clear message, never a traceback.

The messages are in the visitor's language (``i18n.say``: the page's ?lang=, else the browser's), English
without a visitor; ``what`` names the value in English and is translated by ``i18n.what``."""
from __future__ import annotations

import functools
import math
import os
import shutil
from typing import NoReturn

import gradio as gr
from gradio.i18n import I18nData
from gradio.utils import get_upload_folder

from . import i18n

MAX_SEED = 2**31 - 1
MIN_FREE_MB = 64  # below this much free space in GRADIO_TEMP_DIR, events that answer with files say so


def fail(message: str) -> NoReturn:
    """Stop the event and show ``message`` to the visitor (nothing is logged: it is their input)."""
    raise gr.Error(message, print_exception=False)


def number(value, what: str, low: float, high: float, whole: bool = False) -> float:
    """``value`` as a finite number in [low, high] (a whole one when ``whole``), or a message saying what is allowed."""
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        x = math.nan
    if not (math.isfinite(x) and low <= x <= high and (not whole or x == int(x))):
        fail(i18n.say("msg.whole" if whole else "msg.number", what=i18n.what(what), low=f"{low:,g}",
                      high=f"{high:,g}", value=repr(value)))
    return x


def whole(value, what: str, low: int, high: int) -> int:
    return int(number(value, what, low, high, whole=True))


def seed(value) -> int:
    return whole(value, "Seed", 0, MAX_SEED)


def temperature(value) -> float:
    return number(value, "Temperature (0 = greedy)", 0, 5)


def choice(value, what: str, options) -> str:
    """``value`` if it is one of ``options``, else a message listing them."""
    options = list(options)
    if value not in options:
        fail(i18n.say("msg.choice", what=i18n.what(what), value=repr(value), options=", ".join(map(str, options))))
    return value


def guarded(component, message: str):
    """``component`` answering an input it cannot read (a string for a number, a drawing that would inflate
    to gigabytes, ...) with the text ``message`` of ``i18n.TEXTS`` ({label} and {value} filled in, in the
    visitor's language) instead of a traceback. (Its
    preprocess is wrapped on the instance: a subclass of a Gradio component would make Gradio write a .pyi
    file beside this module at import.)"""
    read = component.preprocess

    def preprocess(payload):
        try:
            return read(payload)
        except gr.Error:
            raise
        except Exception:  # noqa: BLE001  (whatever Gradio's decoding raises, the visitor gets the message)
            label = component.label
            label = i18n.say(label.key) if isinstance(label, I18nData) else label
            fail(i18n.say(message, label=label, value=repr(payload)[:80]))

    component.preprocess = preprocess
    return component


def Number(*args, **kwargs) -> gr.Number:  # noqa: N802  (used as the component it makes)
    """A ``gr.Number`` whose unreadable values become a clear message (every number box of the app)."""
    return guarded(gr.Number(*args, **kwargs), "msg.not_a_number")


def Slider(*args, **kwargs) -> gr.Slider:  # noqa: N802
    """A ``gr.Slider`` whose unreadable values become a clear message (every slider of the app)."""
    return guarded(gr.Slider(*args, **kwargs), "msg.not_a_number")


PICTURE = "msg.picture"  # i18n.TEXTS: the picture is damaged, or too large


def Drawing(component):  # noqa: N802
    """A painting or drawing component whose unreadable or gigantic pictures become a clear message."""
    return guarded(component, PICTURE)


def room_for_files() -> None:
    """A message now, instead of Gradio's blank "Error" later, when the pictures this event returns cannot be
    written: Gradio saves returned images as files in ``GRADIO_TEMP_DIR`` after the event function has run."""
    folder = get_upload_folder()
    try:
        os.makedirs(folder, exist_ok=True)
        free_mb = shutil.disk_usage(folder).free / 2**20
        writable = os.access(folder, os.W_OK)
    except OSError:
        free_mb, writable = 0.0, False
    if not writable:
        fail(i18n.say("msg.read_only"))
    if free_mb < MIN_FREE_MB:
        fail(i18n.say("msg.disk_full", free=f"{free_mb:.0f}"))


def writes_files(fn):
    """``fn``, an event function whose pictures Gradio writes as files, first checking there is room for them."""
    @functools.wraps(fn)
    def checked(*args, **kwargs):
        room_for_files()
        return fn(*args, **kwargs)
    checked.checks_room = True
    return checked
