r"""The app's words in English, Spanish and Russian (terms from docs/glossary: the lectures' own words).

Two ways a word reaches the visitor:

* **built into the page** (labels, buttons, explanations, tab titles): ``T("key")`` is a ``gr.I18n`` key, the
  browser shows it in the page's language. ``I18N`` goes to ``launch(i18n=I18N)``.
* **said at event time** (the messages of ``checks``): ``say("key", **fields)`` formats the text in the language
  of the visitor whose event runs (``language()``), English when there is none (tests, the API client).

The page's language is the browser's (Gradio's own choice), unless the address says ``?lang=es`` (or en, ru):
the links of ``SWITCH`` at the top of the page set it, and ``APPLY_LANG_JS`` applies it when the page loads.
Equations stay as they are: every translation keeps its LaTeX untouched.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import gradio as gr
from gradio.i18n import I18nData

LANGS = ("en", "es", "ru")

# the words themselves are data: demo/translations.json, "texts" (key -> {language: text}; a text with
# {fields} is formatted by ``say``) and "what" (the names of the values ``checks`` reports on, by English name)
_WORDS = json.loads((Path(__file__).with_name("translations.json")).read_text(encoding="utf-8"))
TEXTS: dict[str, dict[str, str]] = _WORDS["texts"]
WHAT: dict[str, dict[str, str]] = _WORDS["what"]

I18N = gr.I18n(**{lang: {key: texts[lang] for key, texts in TEXTS.items()} for lang in LANGS})


def T(key: str) -> I18nData:  # noqa: N802  (reads as the text it stands for)
    """The text ``key`` in the page's language (for component labels, values and titles)."""
    if key not in TEXTS:
        raise KeyError(f"no translation for {key!r}: add it to demo/translations.json")
    return I18N(key)


def english(key: str) -> str:
    return TEXTS[key]["en"]


def pick(header: str) -> str | None:
    """The first of LANGS named by an Accept-Language header ("es-ES,es;q=0.9,en;q=0.8"), by weight."""
    ranked = []
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        try:
            weight = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((-weight, tag.strip().lower().split("-")[0]))
    return next((lang for _, lang in sorted(ranked) if lang in LANGS), None)


def language(request=None) -> str:
    """The language of the visitor whose event runs: the page's ``?lang=`` (sent as the Referer), else the
    browser's Accept-Language, else English (also with no visitor: tests, scripts)."""
    if request is None:
        try:
            from gradio.context import LocalContext  # set by Gradio around every event function
            request = LocalContext.request.get(None)
        except (ImportError, AttributeError):
            request = None
    headers = getattr(request, "headers", None)
    if not headers:
        return "en"
    forced = parse_qs(urlparse(headers.get("referer", "")).query).get("lang", [""])[0]
    return forced if forced in LANGS else pick(headers.get("accept-language", "")) or "en"


def say(key: str, request=None, **fields) -> str:
    """The text ``key`` in the visitor's language, its {fields} filled in."""
    texts = TEXTS[key]
    return texts.get(language(request), texts["en"]).format(**fields)


def what(name: str, request=None) -> str:
    """The name of a checked value (``checks``) in the visitor's language."""
    return WHAT.get(name, {}).get(language(request), name)


# the language switch at the top of the page: links that reload it in that language
SWITCH = ('<nav id="lang-switch" aria-label="language">'
          '<a href="?lang=en" target="_self" hreflang="en">English</a> · '
          '<a href="?lang=es" target="_self" hreflang="es">Español</a> · '
          '<a href="?lang=ru" target="_self" hreflang="ru">Русский</a></nav>')

# on load: a ?lang= in the address overrides the browser's language, through the function Gradio's own
# Settings panel calls (``changeLocale`` of its core module, found among the loaded scripts)
APPLY_LANG_JS = """async () => {
  const lang = new URLSearchParams(window.location.search).get("lang");
  if (!%s.includes(lang)) return;
  const core = performance.getEntriesByType("resource").map(e => e.name)
    .find(n => /\\/assets\\/core-[^/]*\\.js$/.test(n));
  if (core) (await import(core)).changeLocale(lang);
}""" % list(LANGS)
