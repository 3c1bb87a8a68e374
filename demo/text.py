"""Text tab: sample from the character models letter by letter (one model, or all of them side by side),
scrub back through the sample to see the distribution each character was drawn from, score any text.

Every sample is recorded while it is written (a :class:`Record` per model, kept in a gr.State): for each
drawn character its place in the text and the top ``TOP`` tokens of p(x_t | x_<t), so scrubbing only
reads the record and never runs a model.
"""
from __future__ import annotations

import functools
import html
import math
import time
from dataclasses import dataclass, field

import gradio as gr
import numpy as np
import torch

from gen_core.data.text import NameSet
from gen_core.models.charlm import StepReader, iter_generate

from . import checks, layout, shipped
from .i18n import TEXTS, T, english, say

# the tab's explanation in English (tests, docs); the page shows i18n.TEXTS' in its language
EXPLAIN = english("text.explain")
HOW = english("text.how")

# -- every word the visitor reads (the page's own words are translated: demo/i18n.py) ---------------
CORPORA = {"shakespeare": "tiny Shakespeare", "names": "baby names"}
MODELS = {"char_rnn": "vanilla RNN", "char_lstm": "LSTM", "char_transformer": "transformer", "char_wavenet": "WaveNet"}
DEFAULT_PRIME = {"shakespeare": "ROMEO:", "names": ""}
DEFAULT_LENGTH = {"shakespeare": 400, "names": 150}
# the words built into the page: keys of i18n.TEXTS, shown in the page's language
L_CORPUS, L_MODEL, L_PRIME = T("text.corpus"), T("common.model"), T("text.prime")
L_LENGTH, L_TEMPERATURE, L_TOP_K, L_SEED = (T("text.length"), T("common.temperature_greedy"), T("text.top_k"),
                                            T("common.seed"))
L_WRITE, L_COMPARE, L_STOP = T("text.write"), T("text.compare"), T("common.stop")
L_SAMPLE, L_NAMES = T("text.sample"), T("text.names_label")
L_STEP, L_WHICH, L_FOLLOW = T("text.step"), T("text.sample"), T("text.follow")
L_SCRUB_HEAD = T("text.scrub_head")
L_HOW, L_SCORE_HEAD = T("text.how_title"), T("text.score_title")
L_MINE, L_SCORE = T("text.mine"), T("text.score")
MINE = "To be, or not to be, that is the question."
WHAT_LENGTH, WHAT_TOP_K, WHAT_CORPUS, WHAT_MODEL = "Length", "Top-k", "corpus", "model"
NOT_SHIPPED = "{name} is not shipped yet: train it with `python -m gen_core.train {model} --dataset {corpus}`."
NONE_SHIPPED = ("No {corpus} model is shipped yet: train one with "
                "`python -m gen_core.train char_lstm --dataset {corpus}`.")
NOTE_DROPPED = "Dropped characters this model has never seen: {shown}."
NOTE_CUT = "The prime was cut to its last {kept:,} characters (the most this model reads); {cut:,} were dropped from the front."
NOTE_EMPTY = "Empty prime: the model starts from its start token."
NOTE_GREEDY = "Temperature 0: greedy, always the likeliest character (the same text for every seed)."
NOTE_TOP_K = "Top-k {top_k} ≥ the {V} tokens this model can write: no character is cut."
PROGRESS = "{steps} / {length} characters"
SPEED = "**{steps} characters in {seconds:.2f} s ({rate:,.0f} characters/s).**"
NEW_NAMES = " {new} of {finished} finished names are new (not among the training names)."
COLUMN = "{title} · {rate:,.0f} characters/s"
COMPARE_SPEED = "**{title}**: {rate:,.0f} characters/s"
COMPARE_NAMES = ", {new} of {finished} finished names new"
COMPARE_NOTE = ("Same prime, settings and seed for each model; each is exactly what it writes alone with this seed. "
                "Speeds count each model's own compute time.")
EMPTY_SCRUB = "Write a sample first: then drag the slider back through it."
STEP_HEAD = "Character {t} of {n} was <b>{char}</b>: p = {p:.3f}, rank {rank} of {V}"
STEP_DRAWN = "; at T = {T:g}{k} it had a {q:.1%} chance of being drawn"
STEP_TOP_K = ", top-k {k}"
BARS_HEAD = "p(x<sub>{t}</sub> | x<sub>&lt;{t}</sub>): the {shown} likeliest next characters"
DRAWN_TAG = "drawn"
END_LABEL = "⏎ end"
SCORE_EMPTY = "msg.score_empty"  # i18n key
SCORE_CUT = "Only the first {max:,} of {n:,} characters were scored."
SCORE_DROPPED = "Not scored (outside the vocabulary): {chars}."
SCORE_ROW = "{title} · {nats:.3f} nats/char"
SCORE_LEGEND = ("Darker = more surprising: white is 0 nats, full red ≥ {hot:g} nats "
                "(hover a character for its −log p).")
SURPRISAL_TIP = "{char}: -log p = {nats:.2f} nats"
UNFINISHED = "…"  # marks a name cut off by the length before the model ended it
NEW, SEEN, CUT_OFF = "new", "in training data", "unfinished"

MAX_LENGTH, MAX_PRIME, MAX_NAME_PRIME, MAX_SCORE, MAX_TOP_K = 2000, 2000, 40, 3000, 100
FRAMES = 60      # streamed updates per sample: smooth in a browser without flooding it
TOP = 12         # tokens of each step's distribution kept in the record, and bars shown
HOT = 6.0        # nats of surprisal that get the strongest colour

CSS = """
#text-out textarea, .text-trio textarea {font-family: ui-monospace, monospace; font-size: 15px; line-height: 1.45}
#text-context .tl-head, #text-bars .tl-head {font-size: 16px; margin: 0 0 6px}
.tl-context {max-height: 12.5em; overflow-y: auto; display: flex; flex-direction: column-reverse;
  font: 16px/1.5 ui-monospace, monospace; white-space: pre-wrap; overflow-wrap: anywhere;
  border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 6px 8px}
.tl-mark {background: #fde3df; color: #a3180c; outline: 2px solid #dc3220; border-radius: 3px; padding: 0 2px;
  font-weight: 700}
.tl-bars {display: grid; grid-template-columns: max-content 1fr max-content; gap: 3px 8px; align-items: center;
  font-size: 16px}
.tl-ch {font: 700 18px/1.35 ui-monospace, monospace; min-width: 2.2em; text-align: center;
  border: 1px solid var(--border-color-primary); border-radius: 4px; padding: 0 4px}
.tl-track {height: 18px; background: var(--background-fill-secondary); border-radius: 3px}
.tl-fill {display: block; height: 100%; min-width: 2px; background: #7f7f7f; border-radius: 3px}
.tl-p {font-variant-numeric: tabular-nums; min-width: 4.5em}
.tl-drawn.tl-ch {background: #fde3df; color: #a3180c; border: 2px solid #dc3220}
.tl-drawn .tl-fill {background: #dc3220}
.tl-drawn.tl-p {font-weight: 700; color: #dc3220}
@media (max-width: 640px) {.tl-context {max-height: 9em}}
"""
# Gradio 6.31's Textbox(autoscroll=True) does not follow streamed values (measured: scrollTop stays 0), so the
# scrub view's HTML runs this when it loads: a sample box whose text changed is kept scrolled to its end,
# unless the visitor has scrolled it up to read (scrolling back to the end resumes following).
FOLLOW_JS = """
if (!window.textFollow) window.textFollow = setInterval(() => {
  document.querySelectorAll('#text-out textarea, .text-trio textarea').forEach((el) => {
    if (!el.textFollow) {
      el.textFollow = {length: -1, stick: true};
      el.addEventListener('scroll', () => {
        el.textFollow.stick = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      });
    }
    const f = el.textFollow, n = el.value.length;
    if (n !== f.length) {
      if (n < f.length) f.stick = true;  // a new sample
      f.length = n;
      if (f.stick) el.scrollTop = el.scrollHeight;
    }
  });
}, 150);
"""


def checkpoint(corpus: str, model: str) -> str:
    """The checkpoint name of a (corpus, model) choice, or a gr.Error giving the command that trains it."""
    corpus, model = checks.choice(corpus, WHAT_CORPUS, CORPORA), checks.choice(model, WHAT_MODEL, MODELS)
    name = f"{model}-{corpus}"
    if name not in shipped.names("text"):
        checks.fail(NOT_SHIPPED.format(name=name, model=model, corpus=corpus))
    return name


def metric(name: str) -> float:
    """The sidecar's nats per character (infinity when it has none): picks the default model."""
    return shipped.metrics(name).get("eval_nats_per_char", math.inf)


@functools.cache
def training_names(name: str) -> NameSet | None:
    meta = shipped.get(name).meta
    return NameSet(meta["train_name_hashes"]) if "train_name_hashes" in meta else None


def settings(length, temperature, top_k, seed) -> tuple[int, float, int, int]:
    """The sampling settings, checked (each bad one becomes a message)."""
    return (checks.whole(length, WHAT_LENGTH, 1, MAX_LENGTH), checks.temperature(temperature),
            checks.whole(top_k, WHAT_TOP_K, 0, MAX_TOP_K), checks.seed(seed))


def reading(model, prime: str, temperature: float, top_k: int) -> tuple[list[int], list[str]]:
    """The prime's token ids, and what the user should know about how it and the settings were read."""
    p = model.prime(prime or "", MAX_NAME_PRIME if model.vocab.end else MAX_PRIME)
    notes = []
    if p.dropped:
        notes.append(NOTE_DROPPED.format(shown=", ".join(repr(c) for c in p.dropped)))
    if p.cut:
        notes.append(NOTE_CUT.format(kept=len(p.ids), cut=p.cut))
    if not p.ids:
        notes.append(NOTE_EMPTY)
    if model.receptive_field:
        notes.append(say("text.receptive_note", R=model.receptive_field))
    if temperature == 0:
        notes.append(NOTE_GREEDY)
    V = model.n_tokens - 1  # characters that can be drawn (<start> never is)
    if top_k >= V:
        notes.append(NOTE_TOP_K.format(top_k=top_k, V=V))
    return p.ids, notes


def chance(probs: torch.Tensor, token: int, temperature: float, top_k: int) -> float:
    """The probability ``token`` had under the distribution it was really drawn from (tempered, top-k, no <start>),
    from the model's own ``probs`` (log p differs from the logits by a constant, which T and top-k ignore)."""
    if temperature <= 0:
        return 1.0
    o = probs.log()
    o[0] = -math.inf  # <start> is never drawn
    if top_k and top_k < len(o):
        o = o.masked_fill(o < o.topk(top_k).values[-1], -math.inf)
    return float(torch.softmax(o / temperature, 0)[token])


@dataclass(eq=False)
class Record:
    """One sample as it is written: its text, and for each drawn character t (0-based) its place ``at[t]`` in
    the text and the distribution p(x_t | x_<t) it was drawn from: the top ``TOP`` tokens, the drawn token's
    p and rank, and ``q``: its chance under the tempered, top-k distribution really sampled."""

    title: str
    vocab: object
    length: int
    temperature: float
    top_k: int
    text: str = ""
    n: int = 0
    seconds: float = 0.0  # the model's own time (sampling and recording), not the streaming
    at: np.ndarray = field(init=False)
    drawn: np.ndarray = field(init=False)
    top_ids: np.ndarray = field(init=False)
    top_p: np.ndarray = field(init=False)
    p: np.ndarray = field(init=False)
    q: np.ndarray = field(init=False)
    rank: np.ndarray = field(init=False)

    def __post_init__(self):
        n, k = self.length, min(TOP, len(self.vocab))
        self.at, self.drawn, self.rank = np.zeros(n, np.int32), np.zeros(n, np.int16), np.zeros(n, np.int16)
        self.top_ids, self.top_p = np.zeros((n, k), np.int16), np.zeros((n, k), np.float32)
        self.p, self.q = np.zeros(n, np.float32), np.zeros(n, np.float32)

    def add(self, at: int, token: int, probs: torch.Tensor):
        t = self.n
        p, top = probs.topk(self.top_ids.shape[1])
        self.top_ids[t], self.top_p[t] = top.numpy(), p.numpy()
        self.at[t], self.drawn[t], self.p[t] = at, token, float(probs[token])
        self.rank[t] = int((probs > probs[token]).sum()) + 1
        self.q[t] = chance(probs, token, self.temperature, self.top_k)
        self.n = t + 1

    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.at, self.drawn, self.rank, self.top_ids, self.top_p, self.p, self.q))


@dataclass(eq=False)
class Recording:
    """The last run's samples (one, or one per model side by side), kept in the tab's gr.State. ``follow``:
    the stream still moves the scrub view to the newest character (off once the visitor scrubs)."""

    samples: dict = field(default_factory=dict)  # title -> Record
    follow: bool = True
    which: str | None = None  # the title of the sample the scrub view shows


def write(model, ids: list[int], rec: Record, seed: int):
    """Write ``rec.length`` characters into ``rec``, yielding after each: one text after the prime, or
    (names) one name per line, each starting with the prime and ending where the model draws <end>."""
    generator, end, prime = torch.Generator().manual_seed(seed), model.vocab.end_id, model.vocab.decode(ids)
    reader = StepReader(model, 1)  # reads the prime once for all the names that start with it
    rec.text = prime
    while rec.n < rec.length:
        if rec.n:  # names: a new line after the <end> of the last one
            rec.text += "\n" + prime
        for _, tokens, probs in iter_generate(model, ids, 1, rec.length - rec.n, rec.temperature,
                                              rec.top_k or None, generator, reader):
            token = int(tokens[0])
            rec.add(len(rec.text), token, probs[0])
            rec.text += "" if token == end else model.vocab.tokens[token]
            yield token


def timed(steps, rec: Record):
    """``steps`` (an iterator), each next() timed into ``rec.seconds``: the model's own speed."""
    while True:
        t0 = time.perf_counter()
        try:
            token = next(steps)
        except StopIteration:
            return
        finally:
            rec.seconds += time.perf_counter() - t0
        yield token


def finished(rec: Record) -> tuple[str, list[str]]:
    """(the sample's final text, its lines): a name cut by the length is marked unfinished."""
    text = rec.text
    if rec.vocab.end and rec.n and rec.drawn[rec.n - 1] != rec.vocab.end_id:
        text += UNFINISHED
    return text, text.split("\n")


def mark_names(name: str, lines: list[str]) -> list[tuple[str, str | None]]:
    """Each name labelled 'new', 'in training data' or 'unfinished' (cut by the length), for gr.HighlightedText."""
    seen = training_names(name)
    out = []
    for line in lines:
        if line.endswith(UNFINISHED):
            label = CUT_OFF
        else:
            label = SEEN if seen is not None and line in seen else NEW
        out += [(line, label), ("  ", None)]
    return out


def speed(rec: Record, marked) -> str:
    """The closing status: characters per second, and for names how many of the finished ones are new."""
    out = SPEED.format(steps=rec.n, seconds=rec.seconds, rate=rec.n / max(rec.seconds, 1e-9))
    if marked is not None:
        new = sum(label == NEW for _, label in marked)
        done = sum(label in (NEW, SEEN) for _, label in marked)
        out += NEW_NAMES.format(new=new, finished=done)
    return out


# -- the scrub view: reads a Record, never a model --------------------------------------------------
def shown(vocab, i: int) -> str:
    return END_LABEL if i == vocab.end_id else vocab.show(i)


def context_html(rec: Record, t: int) -> str:
    """Character t (1-based) of the sample: what the model had read, the character marked, its p and rank."""
    i, vocab = t - 1, rec.vocab
    char = shown(vocab, int(rec.drawn[i]))
    head = STEP_HEAD.format(t=t, n=rec.n, char=html.escape(char), p=rec.p[i], rank=rec.rank[i], V=len(vocab) - 1)
    if rec.temperature != 1 or rec.top_k:
        k = STEP_TOP_K.format(k=rec.top_k) if rec.top_k else ""
        head += STEP_DRAWN.format(T=rec.temperature, k=k, q=float(rec.q[i]))
    before = html.escape(rec.text[:rec.at[i]])
    return (f'<p class="tl-head">{head}</p><div class="tl-context"><div>{before}'
            f'<mark class="tl-mark">{html.escape(char)}</mark></div></div>')


def bars_html(rec: Record, t: int) -> str:
    """The ``TOP`` likeliest tokens at character t as labelled bars, the drawn one in red (it replaces the
    last bar when it was not among them)."""
    i, vocab = t - 1, rec.vocab
    ids, ps, token = rec.top_ids[i].tolist(), rec.top_p[i].tolist(), int(rec.drawn[i])
    if token not in ids:
        ids, ps = ids[:-1] + [token], ps[:-1] + [float(rec.p[i])]
    rows = []
    for j, p in zip(ids, ps):
        cls = " tl-drawn" if j == token else ""
        tag = f" ← {DRAWN_TAG}" if j == token else ""
        number = f"{p:.3f}" if p >= 0.0005 else f"{p:.0e}"  # tiny ones stay readable: 3e-05, not 0.000
        rows.append(f'<span class="tl-ch{cls}">{html.escape(shown(vocab, j))}</span>'
                    f'<span class="tl-track{cls}"><span class="tl-fill" style="width:{100 * p:.1f}%"></span></span>'
                    f'<span class="tl-p{cls}">{number}{tag}</span>')
    head = BARS_HEAD.format(t=t, shown=len(ids))
    return f'<p class="tl-head">{head}</p><div class="tl-bars">{"".join(rows)}</div>'


def scrub_view(recording: Recording | None, which: str | None, t) -> tuple[str, str]:
    """(context, bars) at character t of the chosen sample (clamped to what is written so far)."""
    rec = pick(recording, which)
    if rec is None or not rec.n:
        return EMPTY_SCRUB, ""
    t = min(max(int(t or 1), 1), rec.n)
    return context_html(rec, t), bars_html(rec, t)


def pick(recording: Recording | None, which: str | None) -> Record | None:
    if recording is None or not recording.samples:
        return None
    return recording.samples.get(which) or next(iter(recording.samples.values()))


def scrub(recording: Recording | None, which: str | None, t):
    """The visitor moved the slider: stop following the stream, show character t."""
    if recording is not None:
        recording.follow, recording.which = False, which
    return *scrub_view(recording, which, t), False


def follow(recording: Recording | None, which: str | None, on: bool, t):
    """The visitor picked a sample or (un)ticked 'follow': show the newest character (following) or
    character t, with the slider over the chosen sample."""
    rec = pick(recording, which)
    if rec is None or not rec.n:
        return gr.skip(), gr.skip(), gr.skip()
    recording.follow, recording.which = bool(on), which
    t = rec.n if on else min(max(int(t or 1), 1), rec.n)
    return checks.Slider(maximum=max(rec.n, 2), value=t), *scrub_view(recording, which, t)


def scrub_frame(recording: Recording) -> tuple:
    """The (slider, context, bars) updates of one streamed frame: they move to the newest character of the
    chosen sample while following, else only the slider's range grows."""
    rec = pick(recording, recording.which)
    if rec.n == 0:
        return gr.skip(), gr.skip(), gr.skip()
    if not recording.follow:
        return checks.Slider(maximum=max(rec.n, 2)), gr.skip(), gr.skip()
    return checks.Slider(maximum=max(rec.n, 2), value=rec.n), context_html(rec, rec.n), bars_html(rec, rec.n)


def start_frame(recording: Recording) -> tuple:
    """(state, which, follow, slider, context, bars) as a run starts: a new recording, the sample picker shown
    when there are several, the scrub view emptied and following."""
    titles = list(recording.samples)
    recording.which = titles[0]
    return (recording, gr.Radio(choices=titles, value=titles[0], visible=len(titles) > 1), True,
            checks.Slider(maximum=2, value=1), EMPTY_SCRUB, "")


def every(length: int) -> int:
    return max(1, length // FRAMES)


# -- the two ways to write --------------------------------------------------------------------------
def generate(corpus="shakespeare", model_name="char_lstm", prime="", length=400, temperature=0.8, top_k=0, seed=0):
    """Stream (text, names marked new/seen, status, state, sample picker, follow, slider, context, bars).

    Shakespeare: one text of ``length`` characters after the prime. Names: names one per line, each
    starting with the prime and ending where the model draws <end>, until ``length`` characters.
    """
    name = checkpoint(corpus, model_name)
    length, temperature, top_k, seed = settings(length, temperature, top_k, seed)
    model = shipped.get(name)
    ids, notes = reading(model, prime, temperature, top_k)
    rec = Record(MODELS[model_name], model.vocab, length, temperature, top_k)
    recording, names = Recording({rec.title: rec}), model.vocab.end
    yield "", None, PROGRESS.format(steps=0, length=length), *start_frame(recording)
    for _ in timed(write(model, ids, rec, seed), rec):
        if rec.n % every(length) == 0 and rec.n < length:
            text, lines = finished(rec)
            marked = mark_names(name, lines[:-1]) if names else None
            yield (rec.text, marked, PROGRESS.format(steps=rec.n, length=length), recording, gr.skip(), gr.skip(),
                   *scrub_frame(recording))
    text, lines = finished(rec)
    marked = mark_names(name, lines) if names else None
    yield (text, marked, " ".join([speed(rec, marked), *notes]), recording, gr.skip(), gr.skip(),
           *scrub_frame(recording))


def compare(corpus="shakespeare", prime="", length=400, temperature=0.8, top_k=0, seed=0):
    """Stream every shipped model of the corpus writing together from the same prime, settings and seed, one
    character each in turn: (one text per model column, status, state, sample picker, follow, slider, context,
    bars). Each model's text is exactly what it writes alone with this seed; each column's speed is its own compute."""
    corpus = checks.choice(corpus, WHAT_CORPUS, CORPORA)
    length, temperature, top_k, seed = settings(length, temperature, top_k, seed)
    names = [m for m in MODELS if f"{m}-{corpus}" in shipped.names("text")]
    if not names:
        checks.fail(NONE_SHIPPED.format(corpus=corpus))
    recording, runs, notes = Recording(), [], []
    for m in names:
        model = shipped.get(f"{m}-{corpus}")
        ids, said = reading(model, prime, temperature, top_k)
        notes += [s for s in said if s not in notes]
        rec = Record(MODELS[m], model.vocab, length, temperature, top_k)
        recording.samples[rec.title] = rec
        runs.append((m, rec, timed(write(model, ids, rec, seed), rec)))

    def columns(final=False):
        out = {m: gr.Textbox(value="", label=MODELS[m]) for m in MODELS}
        for m, rec, _ in runs:
            text = finished(rec)[0] if final else rec.text
            label = COLUMN.format(title=rec.title, rate=rec.n / max(rec.seconds, 1e-9))
            out[m] = gr.Textbox(value=text, label=label)
        return list(out.values())

    lead = runs[0][1]
    yield *columns(), PROGRESS.format(steps=0, length=length), *start_frame(recording)
    live = list(runs)
    while live:
        for run in list(live):
            if next(run[2], None) is None:
                live.remove(run)
        if live and lead.n % every(length) == 0:
            yield (*columns(), PROGRESS.format(steps=lead.n, length=length), recording, gr.skip(), gr.skip(),
                   *scrub_frame(recording))
    speeds = [COMPARE_SPEED.format(title=rec.title, rate=rec.n / max(rec.seconds, 1e-9)) for _, rec, _ in runs]
    if corpus == "names":
        speeds = [s + COMPARE_NAMES.format(**counts(f"{m}-{corpus}", rec)) for s, (m, rec, _) in zip(speeds, runs)]
    status = " · ".join(speeds) + ". " + " ".join([COMPARE_NOTE, *notes])
    yield *columns(final=True), status, recording, gr.skip(), gr.skip(), *scrub_frame(recording)


def counts(name: str, rec: Record) -> dict:
    marked = mark_names(name, finished(rec)[1])
    return {"new": sum(label == NEW for _, label in marked),
            "finished": sum(label in (NEW, SEEN) for _, label in marked)}


# -- scoring ----------------------------------------------------------------------------------------
def surprisal_html(model, text: str) -> tuple[str, float, str]:
    """(coloured characters, nats per character, dropped characters) for ``text`` under ``model``."""
    if model.vocab.end:  # names: one name per line, each scored with its <end>
        items = [line.strip() for line in text.splitlines() if line.strip()]
    else:
        items = [text]
    spans, total, count, dropped = [], 0.0, 0, ""
    for item in items:
        ids, s = model.score(item)
        dropped += "".join(c for c in model.vocab.encode(item)[1] if c not in dropped)
        for i, nats in zip(ids, s.tolist()):
            char = "⏎" if i == model.vocab.end_id else model.vocab.tokens[i]
            alpha = min(1.0, nats / HOT)
            tip = html.escape(SURPRISAL_TIP.format(char=repr(char), nats=nats))
            spans.append(f'<span title="{tip}" style="background: rgba(220, 50, 32, {alpha:.2f})">'
                         f'{html.escape(char)}</span>')
        total, count = total + float(s.sum()), count + len(ids)
        if model.vocab.end:
            spans.append("<br>")
    return "".join(spans), total / max(count, 1), dropped


def score(corpus="shakespeare", text=""):
    """(HTML: each shipped model's colouring of ``text`` by surprisal, status) for the corpus's models."""
    checks.choice(corpus, WHAT_CORPUS, CORPORA)
    text = text or ""
    if not text.strip():
        checks.fail(say(SCORE_EMPTY))
    notes = []
    if len(text) > MAX_SCORE:
        notes.append(SCORE_CUT.format(max=MAX_SCORE, n=len(text)))
        text = text[:MAX_SCORE]
    names = [m for m in MODELS if f"{m}-{corpus}" in shipped.names("text")]
    if not names:
        checks.fail(NONE_SHIPPED.format(corpus=corpus))
    rows, dropped = [], ""
    for m in names:
        coloured, nats, lost = surprisal_html(shipped.get(f"{m}-{corpus}"), text)
        dropped += "".join(c for c in lost if c not in dropped)
        rows.append(f"<p><b>{html.escape(SCORE_ROW.format(title=MODELS[m], nats=nats))}</b></p>"
                    f'<div style="font-family: monospace; white-space: pre-wrap; line-height: 1.6">{coloured}</div>')
    if dropped:
        notes.append(SCORE_DROPPED.format(chars=", ".join(repr(c) for c in dropped)))
    legend = f"<p>{html.escape(SCORE_LEGEND.format(hot=HOT))}</p>"
    return legend + "".join(rows), " ".join(notes)


# -- the tab ----------------------------------------------------------------------------------------
def build():
    """The Text tab: controls beside the sample (one model, or all side by side), the scrub view, scoring."""
    available = layout.opening(T("text.explain"), "text", T("text.missing"))
    if not available:
        return
    corpus0 = next(c for c in CORPORA if any(n.endswith(f"-{c}") for n in available))
    model0 = min((m for m in MODELS if f"{m}-{corpus0}" in available), key=lambda m: metric(f"{m}-{corpus0}"))
    recording = gr.State(None)
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=300):
            corpus = gr.Radio([(T(f"text.{k}"), k) for k in CORPORA], value=corpus0, label=L_CORPUS)
            model = gr.Radio([(T(f"text.{k}") if f"text.{k}" in TEXTS else v, k) for k, v in MODELS.items()], value=model0, label=L_MODEL)
            prime = gr.Textbox(DEFAULT_PRIME[corpus0], label=L_PRIME, max_lines=3)
            with gr.Row():
                go = gr.Button(L_WRITE, variant="primary", elem_id="text-go", min_width=80)
                both = gr.Button(L_COMPARE, elem_id="text-compare", min_width=120, scale=2)
                stop = gr.Button(L_STOP, variant="stop", min_width=60)
            with gr.Row():
                length = checks.Slider(1, MAX_LENGTH, value=DEFAULT_LENGTH[corpus0], step=1, label=L_LENGTH, min_width=140)
                temperature = checks.Slider(0, 2, value=0.8, step=0.05, label=L_TEMPERATURE, min_width=140)
            with gr.Row():
                top_k = checks.Slider(0, MAX_TOP_K, value=0, step=1, label=L_TOP_K, min_width=140)
                seed = checks.Number(0, label=L_SEED, precision=0, minimum=0, min_width=100)
        with gr.Column(scale=3, min_width=300):
            with gr.Column(visible=True) as single:
                out = gr.Textbox(label=L_SAMPLE, lines=12, max_lines=12, autoscroll=True, elem_id="text-out")
            with gr.Row(visible=False, equal_height=True) as trio:
                columns = [gr.Textbox(label=title, lines=12, max_lines=12, autoscroll=True, min_width=200,
                                      elem_id=f"text-{m}", elem_classes="text-trio") for m, title in MODELS.items()]
            status = gr.Markdown(elem_id="text-status")
            marked = gr.HighlightedText(label=L_NAMES, show_legend=True, visible=corpus0 == "names",
                                        color_map={NEW: "green", SEEN: "gray", CUT_OFF: "orange"})
    gr.Markdown(L_SCRUB_HEAD)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            which = gr.Radio([], label=L_WHICH, visible=False)
            step = checks.Slider(1, 2, value=1, step=1, label=L_STEP, elem_id="text-step")
            following = gr.Checkbox(True, label=L_FOLLOW, elem_id="text-follow")
            context = gr.HTML(EMPTY_SCRUB, elem_id="text-context", js_on_load=FOLLOW_JS)
        with gr.Column(scale=2, min_width=280):
            bars = gr.HTML(elem_id="text-bars")
    scrubbed = [step, context, bars]
    run_single = go.click(generate, [corpus, model, prime, length, temperature, top_k, seed],
                          [out, marked, status, recording, which, following, *scrubbed],
                          api_name="text_generate", **layout.HEAVY)
    go.click(lambda: (gr.Column(visible=True), gr.Row(visible=False)), None, [single, trio],
             api_visibility="private", queue=False, show_progress="hidden")
    run_three = both.click(compare, [corpus, prime, length, temperature, top_k, seed],
                           [*columns, status, recording, which, following, *scrubbed],
                           api_name="text_compare", **layout.HEAVY)
    both.click(lambda: (gr.Column(visible=False), gr.Row(visible=True)), None, [single, trio],
               api_visibility="private", queue=False, show_progress="hidden")
    stop.click(None, None, None, cancels=[run_single, run_three])
    step.input(scrub, [recording, which, step], [context, bars, following], api_visibility="private",
               trigger_mode="always_last", show_progress="hidden", concurrency_limit=None)
    which.input(follow, [recording, which, following, step], scrubbed, api_visibility="private",
                show_progress="hidden", concurrency_limit=None)
    following.input(follow, [recording, which, following, step], scrubbed, api_visibility="private",
                    show_progress="hidden", concurrency_limit=None)
    corpus.change(lambda c: (DEFAULT_PRIME.get(c, ""), DEFAULT_LENGTH.get(c, 400), gr.update(visible=c == "names")),
                  corpus, [prime, length, marked], api_visibility="private", show_progress="hidden")
    with gr.Accordion(L_HOW, open=False):
        layout.explain(T("text.how"))
    with gr.Accordion(L_SCORE_HEAD, open=True):
        mine = gr.Textbox(MINE, label=L_MINE, lines=3, max_lines=12)
        score_go = gr.Button(L_SCORE, elem_id="text-score-go")
        coloured = gr.HTML(elem_id="text-score")
        score_status = gr.Markdown()
    score_go.click(score, [corpus, mine], [coloured, score_status], api_name="text_score", **layout.HEAVY)
