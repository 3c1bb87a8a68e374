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


def guarded(component, what: str):
    """``component`` (a number box or slider) answering a value it cannot read (a string through the API, ...)
    with a clear message instead of a traceback. (Its preprocess is wrapped on the instance: a subclass of a
    Gradio component would make Gradio write a .pyi file beside this module at import.)"""
    read = component.preprocess

    def preprocess(payload):
        try:
            return read(payload)
        except gr.Error:
            raise
        except (TypeError, ValueError, OverflowError):
            fail(f"{component.label or what} must be a number (got {payload!r}).")

    component.preprocess = preprocess
    return component


def Number(*args, **kwargs) -> gr.Number:  # noqa: N802  (used as the component it makes)
    """A ``gr.Number`` whose unreadable values become a clear message (every number box of the app)."""
    return guarded(gr.Number(*args, **kwargs), "This number")


def Slider(*args, **kwargs) -> gr.Slider:  # noqa: N802
    """A ``gr.Slider`` whose unreadable values become a clear message (every slider of the app)."""
    return guarded(gr.Slider(*args, **kwargs), "This slider")
