"""Text tab: sample from the character models letter by letter, see the next-character distribution, score any text."""
from __future__ import annotations

import functools
import html
import math
import time

import gradio as gr
import pandas as pd
import torch

from gen_core.data.text import NameSet
from gen_core.models.charlm import iter_generate

from . import checks, layout, shipped

EXPLAIN = r"""
### Text, one character at a time
A character model predicts the next character from the ones before it,
$p(x_1, \dots, x_T) = \prod_t p(x_t \mid x_{<t})$, and writes by drawing from that distribution again and again.
The vanilla RNN is the slide's recurrence: $h_{t+1} = \tanh(W_{hh} h_t + W_{xh} x_{t+1})$, $o_{t+1} = W_{hy} h_{t+1}$,
$p(x_{t+2} \mid x_{\le t+1}) = \mathrm{softmax}(o_{t+1})$; the LSTM adds a gated cell state so it remembers longer,
and the transformer drops the recurrence for masked self-attention over the last 128 characters. The bars show
the distribution the last character was drawn from (temperature $T$ sharpens it, $p \propto e^{o/T}$; top-$k$
keeps the $k$ likeliest). *Score my text* colours each character by its surprisal $-\log p(x_t \mid x_{<t})$.
"""
CORPORA = {"shakespeare": "tiny Shakespeare", "names": "baby names"}
MODELS = {"char_rnn": "vanilla RNN", "char_lstm": "LSTM", "char_transformer": "transformer"}
DEFAULT_PRIME = {"shakespeare": "ROMEO:", "names": ""}
MAX_LENGTH, MAX_PRIME, MAX_SCORE, MAX_TOP_K = 2000, 2000, 3000, 100
FRAMES = 60      # streamed updates per sample: smooth in a browser without flooding it
BARS = 10        # characters shown in the next-character chart
HOT = 6.0        # nats of surprisal that get the strongest colour
UNFINISHED = "…"  # marks a name cut off by the length before the model ended it


def checkpoint(corpus: str, model: str) -> str:
    """The checkpoint name of a (corpus, model) choice, or a gr.Error giving the command that trains it."""
    corpus, model = checks.choice(corpus, "corpus", CORPORA), checks.choice(model, "model", MODELS)
    name = f"{model}-{corpus}"
    if name not in shipped.names("text"):
        checks.fail(f"{name} is not shipped yet: train it with `python -m gen_core.train {model} --dataset {corpus}`.")
    return name


def metric(name: str) -> float:
    """The sidecar's nats per character (infinity when it has none): picks the default model."""
    return shipped.metrics(name).get("eval_nats_per_char", math.inf)


@functools.cache
def training_names(name: str) -> NameSet | None:
    meta = shipped.get(name).meta
    return NameSet(meta["train_name_hashes"]) if "train_name_hashes" in meta else None


def reading(model, prime: str, temperature: float, top_k: int) -> tuple[list[int], list[str]]:
    """The prime's token ids, and what the user should know about how it and the settings were read."""
    p = model.prime(prime or "", MAX_PRIME)
    notes = []
    if p.dropped:
        shown = ", ".join(repr(c) for c in p.dropped)
        notes.append(f"Dropped characters this model has never seen: {shown}.")
    if p.cut:
        notes.append(f"The prime was cut to its last {len(p.ids):,} characters (the model's context); "
                     f"{p.cut:,} were dropped from the front.")
    if not p.ids:
        notes.append("Empty prime: the model starts from its start token.")
    if temperature == 0:
        notes.append("Temperature 0: greedy, always the likeliest character (the same text for every seed).")
    V = model.n_tokens - 1  # characters that can be drawn (<start> never is)
    if top_k >= V:
        notes.append(f"Top-k {top_k} ≥ the {V} tokens this model can write: no character is cut.")
    return p.ids, notes


def bars(model, probs: torch.Tensor, drawn: int) -> pd.DataFrame:
    """The BARS likeliest next tokens with their probabilities; the one drawn is marked."""
    p, top = probs.topk(min(BARS, len(probs)))
    if drawn not in top.tolist():  # a low-probability draw (high temperature) is still shown
        p, top = torch.cat([p[:-1], probs[drawn:drawn + 1]]), torch.cat([top[:-1], top.new_tensor([drawn])])
    return pd.DataFrame({"next character": [model.vocab.show(i) for i in top.tolist()],
                         "p": [round(v, 4) for v in p.tolist()],
                         "drawn": ["drawn" if i == drawn else "not drawn" for i in top.tolist()]})


def mark_names(name: str, lines: list[str]) -> list[tuple[str, str | None]]:
    """Each name labelled 'new', 'in training data' or 'unfinished' (cut by the length), for gr.HighlightedText."""
    seen = training_names(name)
    out = []
    for line in lines:
        if line.endswith(UNFINISHED):
            label = "unfinished"
        else:
            label = "in training data" if seen is not None and line in seen else "new"
        out += [(line, label), ("  ", None)]
    return out


def write(model, ids: list[int], length: int, temperature: float, top_k: int, seed: int):
    """Yield (line so far, token drawn, the distribution it was drawn from) for each of ``length`` characters:
    one text after the prime, or (names) one name after another, each starting with the prime."""
    generator, written = torch.Generator().manual_seed(seed), 0
    while written < length:
        line = model.vocab.decode(ids)
        for _, tokens, probs in iter_generate(model, ids, 1, length - written, temperature, top_k or None, generator):
            token, written = int(tokens[0]), written + 1
            line += "" if token == model.vocab.end_id else model.vocab.tokens[token]
            yield line, token, probs[0]


def generate(corpus="shakespeare", model_name="char_lstm", prime="", length=400, temperature=0.8, top_k=0, seed=0):
    """Stream (text, next-character bars, names marked new/seen, status) while the model writes.

    Shakespeare: one text of ``length`` characters after the prime. Names: names one per line, each
    starting with the prime and ending where the model draws <end>, until ``length`` characters.
    """
    name = checkpoint(corpus, model_name)
    length, top_k = checks.whole(length, "Length", 1, MAX_LENGTH), checks.whole(top_k, "Top-k", 0, MAX_TOP_K)
    temperature, seed = checks.temperature(temperature), checks.seed(seed)
    model = shipped.get(name)
    ids, notes = reading(model, prime, temperature, top_k)
    names, end, every, lines = model.vocab.end, model.vocab.end_id, max(1, length // FRAMES), []
    t0 = time.perf_counter()
    for steps, (line, token, probs) in enumerate(write(model, ids, length, temperature, top_k, seed), 1):
        chart = bars(model, probs, token)
        if steps % every == 0:
            yield ("\n".join(lines + [line]), chart, mark_names(name, lines) if names else None,
                   f"{steps} / {length} characters")
        if token == end:
            lines.append(line)
    elapsed = time.perf_counter() - t0
    if token != end:  # the last line was cut by the length
        lines.append(line + UNFINISHED if names else line)
    marked = mark_names(name, lines) if names else None
    yield "\n".join(lines), chart, marked, " ".join([speed(steps, elapsed, marked), *notes])


def speed(steps: int, elapsed: float, marked) -> str:
    """The closing status: characters per second, and for names how many of the finished ones are new."""
    out = f"**{steps} characters in {elapsed:.2f} s ({steps / max(elapsed, 1e-9):,.0f} characters/s).**"
    if marked is not None:
        new = sum(label == "new" for _, label in marked)
        finished = sum(label in ("new", "in training data") for _, label in marked)
        out += f" {new} of {finished} finished names are new (not among the training names)."
    return out


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
            spans.append(f'<span title="{html.escape(repr(char))}: -log p = {nats:.2f} nats" '
                         f'style="background: rgba(220, 50, 32, {alpha:.2f})">{html.escape(char)}</span>')
        total, count = total + float(s.sum()), count + len(ids)
        if model.vocab.end:
            spans.append("<br>")
    return "".join(spans), total / max(count, 1), dropped


def score(corpus="shakespeare", text=""):
    """(HTML: each shipped model's colouring of ``text`` by surprisal, status) for the corpus's models."""
    checks.choice(corpus, "corpus", CORPORA)
    text = text or ""
    if not text.strip():
        checks.fail("Type or paste some text to score.")
    notes = []
    if len(text) > MAX_SCORE:
        notes.append(f"Only the first {MAX_SCORE:,} of {len(text):,} characters were scored.")
        text = text[:MAX_SCORE]
    names = [m for m in MODELS if f"{m}-{corpus}" in shipped.names("text")]
    if not names:
        checks.fail(f"No {corpus} model is shipped yet: train one with "
                    f"`python -m gen_core.train char_lstm --dataset {corpus}`.")
    rows, dropped = [], ""
    for m in names:
        coloured, nats, lost = surprisal_html(shipped.get(f"{m}-{corpus}"), text)
        dropped += "".join(c for c in lost if c not in dropped)
        rows.append(f"<p><b>{MODELS[m]}</b> · {nats:.3f} nats/char</p>"
                    f'<div style="font-family: monospace; white-space: pre-wrap; line-height: 1.6">{coloured}</div>')
    if dropped:
        notes.append("Not scored (outside the vocabulary): " + ", ".join(repr(c) for c in dropped) + ".")
    legend = (f"<p>Darker = more surprising: white is 0 nats, full red ≥ {HOT:g} nats "
              f"(hover a character for its −log p).</p>")
    return legend + "".join(rows), " ".join(notes)


def build():
    """The Text tab: write with a chosen model and settings, watch the next-character chart, score a text."""
    available = layout.opening(EXPLAIN, "text", "No character model is shipped yet: train one with "
                               "`python -m gen_core.train char_lstm --dataset shakespeare` (or `--dataset names`).")
    if not available:
        return
    corpus0 = next(c for c in CORPORA if any(n.endswith(f"-{c}") for n in available))
    model0 = min((m for m in MODELS if f"{m}-{corpus0}" in available), key=lambda m: metric(f"{m}-{corpus0}"))
    with gr.Row():
        corpus = gr.Radio([(v, k) for k, v in CORPORA.items()], value=corpus0, label="corpus")
        model = gr.Radio([(v, k) for k, v in MODELS.items()], value=model0, label="model")
    with gr.Row():
        prime = gr.Textbox(DEFAULT_PRIME[corpus0], label="priming text (empty: start from scratch)", max_lines=4)
        length = gr.Slider(1, MAX_LENGTH, value=400, step=1, label="characters to write")
    with gr.Row():
        temperature = gr.Slider(0, 2, value=0.8, step=0.05, label="temperature (0 = greedy)")
        top_k = gr.Slider(0, MAX_TOP_K, value=0, step=1, label="top-k (0 = every character)")
        seed = gr.Number(0, label="seed", precision=0, minimum=0)
    with gr.Row():
        go = gr.Button("Write", variant="primary", elem_id="text-go")
        stop = gr.Button("Stop", variant="stop")
    with gr.Row():
        out = gr.Textbox(label="sample", lines=12, max_lines=30, elem_id="text-out")
        chart = gr.BarPlot(x="next character", y="p", color="drawn", sort="-y", y_lim=[0, 1],
                           color_map={"drawn": "#dc3220", "not drawn": "#7f7f7f"},
                           label="p(next character | text so far): the distribution the last character was drawn from")
    marked = gr.HighlightedText(label="names: new, or in the training data", show_legend=True,
                                visible=corpus0 == "names",
                                color_map={"new": "green", "in training data": "gray", "unfinished": "orange"})
    status = gr.Markdown(elem_id="text-status")
    event = go.click(generate, [corpus, model, prime, length, temperature, top_k, seed],
                     [out, chart, marked, status], api_name="text_generate", concurrency_limit=2)
    stop.click(None, None, None, cancels=[event])
    corpus.change(lambda c: (DEFAULT_PRIME.get(c, ""), 400 if c == "shakespeare" else 150,
                             gr.update(visible=c == "names")),
                  corpus, [prime, length, marked], api_visibility="private", show_progress="hidden")
    with gr.Accordion("Score my text: how surprised is each model by each character?", open=True):
        mine = gr.Textbox("To be, or not to be, that is the question.", label="your text (names: one per line)",
                          lines=3, max_lines=12)
        score_go = gr.Button("Score", elem_id="text-score-go")
        coloured = gr.HTML(elem_id="text-score")
        score_status = gr.Markdown()
    score_go.click(score, [corpus, mine], [coloured, score_status], api_name="text_score", concurrency_limit=2)
