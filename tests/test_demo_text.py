"""demo.text, the Text tab: streaming, the next-character chart, names new vs seen, scoring, bad input;
the endpoint via gradio_client."""
import gradio as gr
import pytest
import torch
from gradio_client import Client
from gradio_client.exceptions import AppError

from demo import shipped, text
from gen_core import checkpoints
from gen_core.data.text import pack_name_hashes
from gen_core.models import build
from gen_core.tasks.text import CharLikelihood

TINY = {"char_rnn": {"hidden": 8}, "char_lstm": {"hidden": 8, "n_layers": 1, "dropout": 0},
        "char_transformer": {"d_model": 8, "n_heads": 2, "n_layers": 1, "context": 32}}
SEEN = ["emma", "olivia"]


@pytest.fixture
def tiny_text(tmp_path, monkeypatch):
    """Untrained tiny checkpoints of every model on both corpora, with the corpora's real vocabularies."""
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


def test_generate_streams_character_by_character_with_the_chart(tiny_text):
    frames = list(text.generate("shakespeare", "char_lstm", "ROMEO:", 120, 1.0, 0, 3))
    assert len(frames) == text.FRAMES + 1  # one every 2 characters, then the summary
    lengths = [len(f[0]) for f in frames[:-1]]
    assert lengths == sorted(lengths) and lengths[0] < lengths[-1]
    final, chart, marked, status = frames[-1]
    assert final.startswith("ROMEO:") and len(final) == 6 + 120 and marked is None
    assert "characters/s" in status and list(chart.columns) == ["next character", "p", "drawn"]
    assert len(chart) == text.BARS and (chart["drawn"] == "drawn").sum() == 1 and chart["p"].is_monotonic_decreasing
    assert final == list(text.generate("shakespeare", "char_lstm", "ROMEO:", 120, 1.0, 0, 3))[-1][0]


def test_names_are_marked_new_or_in_the_training_data(tiny_text):
    final, _, marked, status = list(text.generate("names", "char_rnn", "", 150, 1.0, 0, 0))[-1]
    lines = final.split("\n")
    assert len(lines) > 3 and [m[0] for m in marked[::2]] == lines
    assert {label for _, label in marked[::2]} <= {"new", "in training data", "unfinished"}
    assert all(label == "new" for line, label in marked[::2] if line not in SEEN and "…" not in line)
    assert "finished names are new" in status


def test_a_name_in_the_training_set_is_recognized_without_the_corpus(tiny_text):
    marked = text.mark_names("char_rnn-names", ["emma", "zzyzxq", "oli" + text.UNFINISHED])
    assert [label for _, label in marked[::2]] == ["in training data", "new", "unfinished"]


@pytest.mark.parametrize("prime, note", [
    ("", "Empty prime"),
    ("ROMEO: ¡olé€", "Dropped characters this model has never seen: '¡', 'é', '€'"),
    ("ab" * 40, "cut to its last 32 characters"),
])
def test_bad_primes_are_explained_not_fatal(tiny_text, prime, note):
    final, _, _, status = list(text.generate("shakespeare", "char_transformer", prime, 50, 1.0, 0, 0))[-1]
    assert note in status and len(final) >= 50


def test_greedy_and_a_top_k_above_the_vocabulary(tiny_text):
    a = list(text.generate("shakespeare", "char_rnn", "To", 40, 0, 0, 1))[-1]
    b = list(text.generate("shakespeare", "char_rnn", "To", 40, 0, 0, 2))[-1]
    assert a[0] == b[0] and "greedy" in a[3]
    status = list(text.generate("shakespeare", "char_rnn", "To", 40, 1.0, 100, 1))[-1][3]
    assert "Top-k 100 ≥ the 65 tokens" in status


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
    assert html.count("nats/char") == 3 and html.count("<span") == 3 * len("To be, or not to be ")
    assert "'¡'" in status
    html, _ = text.score("names", "emma\nolivia")
    assert html.count("<span") == 3 * (5 + 7)  # every character and each name's <end>
    with pytest.raises(gr.Error, match="Type or paste"):
        text.score("shakespeare", "   ")
    with pytest.raises(gr.Error, match="Unknown corpus 'klingon'"):
        text.score("klingon", "hello")


def test_the_tab_is_wired_into_the_app():
    import app

    names = {f.api_name for f in app.demo.fns.values() if f.api_visibility == "public"}
    assert not shipped.names("text") or {"text_generate", "text_score"} <= names


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
    final, chart, marked, status = job.result()
    assert len(updates) >= 10 and "characters/s" in status and chart
    html, _ = client.predict(corpus, "hello there", api_name="/text_score")
    assert "nats/char" in html
    with pytest.raises(AppError, match="Temperature|greater than maximum"):
        client.predict(corpus, model_name, "", 60, 9.0, 0, 0, api_name="/text_generate")
