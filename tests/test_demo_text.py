"""demo.text, the Text tab: streaming, the recording and scrubbing back through it, the three models side by
side, names new vs seen, scoring, bad input; the endpoints via gradio_client."""
import html
import re

import gradio as gr
import pytest
import torch
from gradio_client import Client
from gradio_client.exceptions import AppError

from conftest import require_data
from demo import shipped, text
from demo.i18n import LANGS, TEXTS
from gen_core import checkpoints
from gen_core.data.text import pack_name_hashes
from gen_core.models import build
from gen_core.tasks.text import CharLikelihood

TINY = {"char_rnn": {"hidden": 8}, "char_lstm": {"hidden": 8, "n_layers": 1, "dropout": 0},
        "char_transformer": {"d_model": 8, "n_heads": 2, "n_layers": 1, "context": 32},
        "char_wavenet": {"channels": 8, "skip": 8, "n_blocks": 1, "block_layers": 3}}
SEEN = ["emma", "olivia"]


@pytest.fixture
def tiny_text(tmp_path, monkeypatch):
    """Untrained tiny checkpoints of every model on both corpora, with the corpora's real vocabularies."""
    require_data("shakespeare", "names")
    for corpus in ("shakespeare", "names"):
        for model_name, config in TINY.items():
            torch.manual_seed(0)
            config = CharLikelihood.configure(config, corpus)
            meta = {"model": model_name, "config": config, "dataset": corpus, "metrics": {"eval_nats_per_char": 3.0}}
            if corpus == "names":
                meta["train_name_hashes"] = pack_name_hashes(SEEN)
            checkpoints.save(build(model_name, config), tmp_path / f"{model_name}-{corpus}", meta)
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path)
    for cached in (shipped._load, shipped.names, text.training_names):
        cached.cache_clear()
    yield tmp_path
    for cached in (shipped._load, shipped.names, text.training_names):
        cached.cache_clear()


# generate yields (text, names marked, status, recording, which, follow, slider, context, bars)
TEXT, MARKED, STATUS, RECORDING, WHICH, FOLLOW, STEP, CONTEXT, BARS = range(9)
SKIP = {"__type__": "update"}


def run(*args):
    return list(text.generate(*args))


def test_generate_streams_character_by_character_and_records_every_step(tiny_text):
    frames = run("shakespeare", "char_lstm", "ROMEO:", 120, 1.0, 0, 3)
    assert len(frames) == 1 + text.FRAMES - 1 + 1  # the empty start, one every 2 characters but the last, the end
    assert frames[0][TEXT] == "" and frames[0][CONTEXT] == text.EMPTY_SCRUB
    lengths = [len(f[TEXT]) for f in frames]
    assert lengths == sorted(lengths) and lengths[1] < lengths[-1]
    final = frames[-1]
    assert final[TEXT].startswith("ROMEO:") and len(final[TEXT]) == 6 + 120 and final[MARKED] is None
    assert "characters/s" in final[STATUS]
    rec = final[RECORDING].samples["LSTM"]
    assert rec.n == 120 and rec.text == final[TEXT] and all(f[RECORDING] is final[RECORDING] for f in frames)
    assert "Character 120 of 120" in final[CONTEXT] and final[STEP].value == 120
    assert final[BARS].count("tl-drawn") == 3 and final[BARS].count('class="tl-ch') == text.TOP
    assert final[TEXT] == run("shakespeare", "char_lstm", "ROMEO:", 120, 1.0, 0, 3)[-1][TEXT]


def test_a_full_recording_stays_small(tiny_text):
    model = shipped.get("char_lstm-shakespeare")
    rec = text.Record("LSTM", model.vocab, text.MAX_LENGTH, 1.0, 0)
    assert len(text.MODELS) * rec.nbytes() < 1_000_000  # every model side by side, at the longest length


def shipped_or_skip(name):
    if name not in shipped.names("text"):
        pytest.skip(f"{name} is not shipped")
    return shipped.get(name)


@pytest.mark.parametrize("name, prime, temperature, top_k", [
    ("char_lstm-shakespeare", "ROMEO:", 0.7, 5),
    ("char_rnn-shakespeare", "", 1.0, 0),
    ("char_transformer-shakespeare", "To be", 1.3, 0),
    ("char_lstm-names", "", 1.0, 0),
    ("char_wavenet-shakespeare", "ROMEO:", 0.8, 0),
    ("char_wavenet-names", "em", 1.0, 0),
])
def test_the_recorded_distribution_is_the_models_for_the_prefix(name, prime, temperature, top_k):
    """Recompute p(x_t | x_<t) with one teacher-forced pass over <start>, the prime and the characters drawn
    before t, and compare with what was recorded while sampling (a shifted record would fail)."""
    model = shipped_or_skip(name)
    model_name, corpus = name.rsplit("-", 1)
    rec = run(corpus, model_name, prime, 90, temperature, top_k, 11)[-1][RECORDING].samples[text.MODELS[model_name]]
    drawn, ids = rec.drawn[:rec.n].tolist(), model.prime(prime).ids
    restart = 0  # names: each name starts again from <start> and the prime
    for t in range(rec.n):
        read = ids + drawn[restart:t]
        with torch.no_grad():
            logits = model.logits(torch.tensor([[model.vocab.start_id] + read]))[0, -1:]
        probs = torch.softmax(logits.float(), -1)[0]
        top = torch.tensor(rec.top_ids[t].tolist())
        assert torch.allclose(torch.tensor(rec.top_p[t]), probs[top], atol=1e-5), t
        assert rec.top_p[t].min() >= probs.topk(text.TOP).values[-1] - 1e-5, t
        assert rec.p[t] == pytest.approx(float(probs[drawn[t]]), abs=1e-5)
        assert rec.rank[t] == int((probs > probs[drawn[t]] + 1e-6).sum()) + 1 or rec.rank[t] == int(
            (probs > probs[drawn[t]] - 1e-6).sum()) + 1
        o = logits.clone()  # the distribution really sampled: tempered, top-k, never <start>
        o[0, 0] = -torch.inf
        if top_k:
            o = o.masked_fill(o < o.topk(top_k).values[:, -1:], -torch.inf)
        assert rec.q[t] == pytest.approx(float(torch.softmax(o / temperature, -1)[0, drawn[t]]), abs=1e-4)
        if drawn[t] == model.vocab.end_id:
            restart = t + 1


def context_parts(context: str) -> tuple[str, str]:
    """(the text shown before the mark, the marked character) of the scrub view's HTML."""
    before, marked = re.search(r'<div class="tl-context"><div>(.*)<mark class="tl-mark">(.*?)</mark>', context,
                               re.S).groups()
    return html.unescape(before), html.unescape(marked)


def test_scrubbing_to_t_shows_the_first_t_characters_and_the_one_drawn_at_t(tiny_text):
    final = run("shakespeare", "char_rnn", "ROMEO:", 80, 1.0, 0, 5)[-1]
    recording, sample = final[RECORDING], final[TEXT]
    for t in (1, 2, 17, 80):
        context, bars, follow = text.scrub(recording, "vanilla RNN", t)
        before, marked = context_parts(context)
        char = sample[6 + t - 1]
        assert before == sample[:6 + t - 1] and marked == {" ": "␣", "\n": "⏎"}.get(char, char)
        assert f"Character {t} of 80" in context and follow is False and recording.follow is False
        assert bars.count("← drawn") == 1 and f"x<sub>{t}</sub>" in bars
        drawn_label = re.search(r'<span class="tl-ch tl-drawn">(.*?)</span>', bars).group(1)
        assert html.unescape(drawn_label) == marked
    assert text.scrub(recording, "vanilla RNN", 999)[0] == text.scrub(recording, "vanilla RNN", 80)[0]  # clamped
    assert text.scrub(None, None, 3)[0] == text.EMPTY_SCRUB


def test_scrubbing_names_marks_each_end(tiny_text):
    final = run("names", "char_lstm", "", 60, 1.0, 0, 2)[-1]
    rec = final[RECORDING].samples["LSTM"]
    ends = [t for t in range(rec.n) if rec.drawn[t] == rec.vocab.end_id]
    assert ends
    before, marked = context_parts(text.scrub(final[RECORDING], "LSTM", ends[0] + 1)[0])
    assert marked == text.END_LABEL and before == final[TEXT].split("\n")[0]
    before, _ = context_parts(text.scrub(final[RECORDING], "LSTM", ends[0] + 2)[0])
    assert before == final[TEXT].split("\n")[0] + "\n"


def test_the_stream_follows_until_the_visitor_scrubs(tiny_text):
    frames = text.generate("shakespeare", "char_rnn", "", 120, 1.0, 0, 0)
    first = next(frames)
    recording = first[RECORDING]
    assert first[FOLLOW] is True and recording.follow
    frame = next(frames)
    assert "Character 2 of 2" in frame[CONTEXT] and frame[STEP].value == 2
    text.scrub(recording, "vanilla RNN", 1)
    rest = list(frames)
    assert all(f[CONTEXT] == SKIP and f[BARS] == SKIP and "value" not in f[STEP].constructor_args for f in rest)
    assert rest[-1][STEP].maximum == 120
    slider, context, _ = text.follow(recording, "vanilla RNN", True, 1)
    assert slider.value == 120 and "Character 120 of 120" in context and recording.follow
    slider, context, _ = text.follow(recording, "vanilla RNN", False, 7)
    assert slider.value == 7 and "Character 7 of 120" in context


@pytest.mark.parametrize("corpus, prime, temperature, top_k", [
    ("shakespeare", "ROMEO:", 0.9, 0), ("shakespeare", "", 1.0, 7), ("names", "", 1.0, 0)])
def test_side_by_side_each_model_writes_what_it_writes_alone(tiny_text, corpus, prime, temperature, top_k):
    frames = list(text.compare(corpus, prime, 70, temperature, top_k, 4))
    assert 10 < len(frames) <= 70 + 2  # every character (70 < FRAMES), with the start and the end
    final = frames[-1]
    n = len(text.MODELS)  # compare yields (one text per model, status, state, sample picker, ...)
    columns, status, recording = final[:n], final[n], final[n + 1]
    assert list(recording.samples) == list(text.MODELS.values()) and frames[0][n + 2].visible
    for model_name, column in zip(text.MODELS, columns):
        alone = run(corpus, model_name, prime, 70, temperature, top_k, 4)[-1]
        assert column.value == alone[TEXT]
        title = text.MODELS[model_name]
        assert column.label.startswith(title) and "characters/s" in column.label
        assert f"**{title}**: " in status
        assert recording.samples[title].drawn.tolist() == alone[RECORDING].samples[title].drawn.tolist()
    assert ("finished names new" in status) == (corpus == "names")
    assert [len(c.value) for c in frames[5][:n]] == [len(frames[5][0].value)] * n  # streamed together


def test_side_by_side_with_a_model_missing_and_bad_input(tiny_text):
    (tiny_text / "char_transformer-names.json").unlink()
    shipped.names.cache_clear()
    final = list(text.compare("names", "", 30, 1.0, 0, 0))[-1]
    assert list(final[len(text.MODELS) + 1].samples) == ["vanilla RNN", "LSTM", "WaveNet"] and final[2].value == ""
    for args, message in [(("klingon", "", 30, 1.0, 0, 0), "Unknown corpus"), (("names", "", 0, 1.0, 0, 0), "Length"),
                          (("names", "", 30, 9, 0, 0), "Temperature"), (("names", "", 30, 1, 0, -1), "Seed")]:
        with pytest.raises(gr.Error, match=message):
            next(text.compare(*args))


def test_names_are_marked_new_or_in_the_training_data(tiny_text):
    final, marked, status = run("names", "char_rnn", "", 150, 1.0, 0, 0)[-1][:3]
    lines = final.split("\n")
    assert len(lines) > 3 and [m[0] for m in marked[::2]] == lines
    assert {label for _, label in marked[::2]} <= {"new", "in training data", "unfinished"}
    assert all(label == "new" for line, label in marked[::2] if line not in SEEN and "…" not in line)
    assert "finished names are new" in status


def test_a_long_names_prime_is_cut(tiny_text):
    final, _, status = run("names", "char_lstm", "a" * 100, 30, 1.0, 0, 0)[-1][:3]
    assert f"cut to its last {text.MAX_NAME_PRIME} characters" in status and final.startswith("a" * text.MAX_NAME_PRIME)


def test_a_name_in_the_training_set_is_recognized_without_the_corpus(tiny_text):
    marked = text.mark_names("char_rnn-names", ["emma", "zzyzxq", "oli" + text.UNFINISHED])
    assert [label for _, label in marked[::2]] == ["in training data", "new", "unfinished"]


@pytest.mark.parametrize("prime, note", [
    ("", "Empty prime"),
    ("ROMEO: ¡olé€", "Dropped characters this model has never seen: '¡', 'é', '€'"),
    ("ab" * 40, "cut to its last 32 characters"),
])
def test_bad_primes_are_explained_not_fatal(tiny_text, prime, note):
    final, _, status = run("shakespeare", "char_transformer", prime, 50, 1.0, 0, 0)[-1][:3]
    assert note in status and len(final) >= 50


def test_greedy_and_a_top_k_above_the_vocabulary(tiny_text):
    a = run("shakespeare", "char_rnn", "To", 40, 0, 0, 1)[-1]
    b = run("shakespeare", "char_rnn", "To", 40, 0, 0, 2)[-1]
    assert a[TEXT] == b[TEXT] and "greedy" in a[STATUS]
    status = run("shakespeare", "char_rnn", "To", 40, 1.0, 100, 1)[-1][STATUS]
    assert "Top-k 100 ≥ the 65 tokens" in status


def test_the_wavenet_states_its_receptive_field(tiny_text):
    """Each WaveNet sample says how far back the model reads (its own value), and the explanation gives the
    shipped shape's R = 1 + sum of the dilations in every language."""
    R = shipped.get("char_wavenet-shakespeare").receptive_field
    assert R == 1 + 1 + 2 + 4
    status = run("shakespeare", "char_wavenet", "To", 20, 1.0, 0, 0)[-1][STATUS]
    assert f"only the last {R} characters (its receptive field)" in status
    assert "receptive field" not in run("shakespeare", "char_lstm", "To", 20, 1.0, 0, 0)[-1][STATUS]
    shipped_R = build("char_wavenet").receptive_field
    assert all(f"= {shipped_R}$" in TEXTS["text.how"][lang] for lang in LANGS)


@pytest.mark.parametrize("args, message", [
    (("shakespeare", "char_rnn", "", 0, 1.0, 0, 0), "Length"),
    (("shakespeare", "char_rnn", "", 50, -1, 0, 0), "Temperature"),
    (("shakespeare", "char_rnn", "", 50, 1.0, 1.5, 0), "Top-k"),
    (("shakespeare", "char_rnn", "", 50, 1.0, 0, "x"), "Seed"),
    (("klingon", "char_rnn", "", 50, 1.0, 0, 0), "Unknown corpus 'klingon'; choose one of: shakespeare, names"),
    (("names", "char_gru", "", 50, 1.0, 0, 0), "Unknown model 'char_gru'; choose one of: char_rnn, char_lstm"),
])
def test_bad_numbers_and_choices_are_messages(tiny_text, args, message):
    with pytest.raises(gr.Error, match=message):
        next(text.generate(*args))


def test_a_missing_checkpoint_names_the_training_command(tiny_text):
    (tiny_text / "char_lstm-names.json").unlink()
    shipped.names.cache_clear()
    with pytest.raises(gr.Error, match="python -m gen_core.train char_lstm --dataset names"):
        next(text.generate("names", "char_lstm", "", 50, 1.0, 0, 0))


def test_score_colours_every_character_for_every_model(tiny_text):
    html, status = text.score("shakespeare", "To be, or not to be ¡")
    n = len(text.MODELS)
    assert html.count("nats/char") == n and html.count("<span") == n * len("To be, or not to be ")
    assert "'¡'" in status
    html, _ = text.score("names", "emma\nolivia")
    assert html.count("<span") == n * (5 + 7)  # every character and each name's <end>
    with pytest.raises(gr.Error, match="Type or paste"):
        text.score("shakespeare", "   ")
    with pytest.raises(gr.Error, match="Unknown corpus 'klingon'"):
        text.score("klingon", "hello")


def test_the_tab_is_wired_into_the_app():
    import app

    names = {f.api_name for f in app.demo.fns.values() if f.api_visibility == "public"}
    assert not shipped.names("text") or {"text_generate", "text_compare", "text_score"} <= names


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False, download_files=False)


def test_text_endpoint_streams_through_gradio_client(client):
    available = shipped.names("text")
    if not available:
        pytest.skip("no character model shipped: the tab only explains how to train one")
    model_name, corpus = available[0].rsplit("-", 1)
    job = client.submit(corpus, model_name, "", 60, 0.8, 0, 0, api_name="/text_generate")
    updates = list(job)
    final, marked, status, *scrub = job.result()  # the recording (a gr.State) stays on the server
    assert len(updates) >= 10 and "characters/s" in status and len(final) >= 60
    assert "Character 60 of 60" in scrub[-2] and "drawn" in scrub[-1]
    job = client.submit(corpus, "", 40, 0.8, 0, 0, api_name="/text_compare")
    columns = job.result()[:len(text.MODELS)]  # updates: each column's text and its label with the model's speed
    assert sum(len(c["value"]) >= 30 and "characters/s" in c["label"] for c in columns) == sum(f"{m}-{corpus}" in available for m in text.MODELS)
    html, _ = client.predict(corpus, "hello there", api_name="/text_score")
    assert "nats/char" in html
    with pytest.raises(AppError, match="Temperature|greater than maximum"):
        client.predict(corpus, model_name, "", 60, 9.0, 0, 0, api_name="/text_generate")
