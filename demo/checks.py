"""Checking what a visitor sends, in one place: every bad value becomes a clear message, never a traceback."""
from __future__ import annotations

import math
from typing import NoReturn

import gradio as gr

MAX_SEED = 2**31 - 1


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
        kind = "a whole number" if whole else "a number"
        fail(f"{what} must be {kind} between {low:,g} and {high:,g} (got {value!r}).")
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
        fail(f"Unknown {what} {value!r}; choose one of: {', '.join(map(str, options))}.")
    return value


def guarded(component, message: str):
    """``component`` answering an input it cannot read (a string for a number, a drawing that would inflate
    to gigabytes, ...) with ``message`` ({label} and {value} filled in) instead of a traceback. (Its
    preprocess is wrapped on the instance: a subclass of a Gradio component would make Gradio write a .pyi
    file beside this module at import.)"""
    read = component.preprocess

    def preprocess(payload):
        try:
            return read(payload)
        except gr.Error:
            raise
        except Exception:  # noqa: BLE001  (whatever Gradio's decoding raises, the visitor gets the message)
            fail(message.format(label=component.label, value=repr(payload)[:80]))

    component.preprocess = preprocess
    return component


def Number(*args, **kwargs) -> gr.Number:  # noqa: N802  (used as the component it makes)
    """A ``gr.Number`` whose unreadable values become a clear message (every number box of the app)."""
    return guarded(gr.Number(*args, **kwargs), "{label} must be a number (got {value}).")


def Slider(*args, **kwargs) -> gr.Slider:  # noqa: N802
    """A ``gr.Slider`` whose unreadable values become a clear message (every slider of the app)."""
    return guarded(gr.Slider(*args, **kwargs), "{label} must be a number (got {value}).")


PICTURE = ("Could not read that picture: it may be damaged, or far too large (at most 4,096 pixels on a side; "
           "PIL refuses to inflate more).")


def Drawing(component):  # noqa: N802
    """A painting or drawing component whose unreadable or gigantic pictures become a clear message."""
    return guarded(component, PICTURE)
