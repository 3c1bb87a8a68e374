"""Character models: corpora and vocabulary, causality, the slide's RNN by hand, sampling, KV cache, training."""
import json
import math

import numpy as np
import pytest
import torch

from gen_core import checkpoints, evaluate, train
from gen_core.data import text as data
from gen_core.models import build
from gen_core.models.charlm import draw, iter_sample, spans, window_log_probs

TINY = {"char_rnn": {"hidden": 16, "n_layers": 2}, "char_lstm": {"hidden": 16, "n_layers": 2},
        "char_transformer": {"d_model": 16, "n_heads": 2, "n_layers": 2, "context": 24}}


def tiny(model_name, chars="abcdefgh ", end=False, seed=0):
    torch.manual_seed(seed)
    model = build(model_name, {**TINY[model_name], "chars": chars, "end_token": end}).eval()
    with torch.no_grad():  # larger weights than the init, so every input visibly matters
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    return model


def tokens(model, n, length, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(1, len(model.vocab.chars) + 1, (n, length), generator=g)
    x[:, 0] = model.vocab.start_id
    return x


# -- data ---------------------------------------------------------------------------------------------
def test_vocab_round_trip_drops_unknown_characters_and_stops_at_end():
    v = data.CharVocab("abc", end=True)
    assert v.tokens == [data.START, "a", "b", "c", data.END] and v.end_id == 4
    ids, dropped = v.encode("abxcay!")
    assert ids == [1, 2, 3, 1] and dropped == "xy!"
    assert v.decode([0, 1, 2, 4, 3]) == "ab"
    assert v.show(0) == data.START and data.CharVocab(" \n").show(1) == "␣"


def test_names_splits_are_fixed_disjoint_and_hold_out_1000():
    names = [f"n{i}" for i in range(5000)] + ["n1", "n2"]  # duplicates are removed first
    a, b = data.split_names(data.read_names("\n".join(names))), data.split_names(data.read_names("\n".join(names)))
    assert a == b and len(a["test"]) == len(a["val"]) == 1000 and len(a["train"]) == 3000
    assert not set(a["train"]) & set(a["test"]) and not set(a["val"]) & set(a["test"])


def test_shakespeare_is_split_90_10_by_position_and_found_in_a_text_subfolder(tmp_path, monkeypatch):
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "tinyshakespeare.txt").write_text("abcdefghij" * 100)
    monkeypatch.delenv("GENLAB_DATA")
    corpus = data.load_corpus("shakespeare", tmp_path)
    assert corpus.splits["train"] == ("abcdefghij" * 100)[:900] and len(corpus.splits["val"]) == 100
    assert corpus.vocab.chars == "abcdefghij" and not corpus.lines
    with pytest.raises(ValueError, match="unknown corpus"):
        data.load_corpus("no-such-corpus", tmp_path)


def test_name_hashes_tell_training_names_from_new_ones():
    seen = data.NameSet(data.pack_name_hashes(["emma", "olivia", "ava"]))
    assert len(seen) == 3 and "emma" in seen and "ava" in seen
    assert "emmanuelle" not in seen and "" not in seen


def test_encoded_names_end_with_the_end_token_which_is_a_target():
    v = data.CharVocab("aemv", end=True)
    x, mask = data.encode_names(["emma", "ava"], v)
    assert x.tolist()[1] == [0, 1, 4, 1, 5, 5] and mask.sum(1).tolist() == [5, 4]


# -- models -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(TINY))
def test_changing_a_later_character_never_changes_earlier_predictions(name):
    model = tiny(name)
    x = tokens(model, 2, 20)
    later = x.clone()
    later[:, 9:] = tokens(model, 2, 20, seed=5)[:, 9:]
    with torch.no_grad():
        o, o_later = model.logits(x), model.logits(later)
        lp, lp_later = model.log_prob(x), model.log_prob(later)
    torch.testing.assert_close(o[:, :9], o_later[:, :9])         # o_1..o_9 read x_0..x_8 only
    torch.testing.assert_close(lp[:, :8], lp_later[:, :8])       # log p(x_1..x_8) unchanged
    assert not torch.allclose(o[:, 9:], o_later[:, 9:])


@pytest.mark.parametrize("name", list(TINY))
def test_one_step_at_a_time_gives_the_teacher_forced_logits(name):
    """The sampling path (recurrent state / KV cache) equals the training path."""
    model = tiny(name)
    x = tokens(model, 3, 20)
    with torch.no_grad():
        full = model.logits(x)
        state, steps = model.start(3), []
        for t in range(x.shape[1]):
            o, state = model.step(x[:, t], state)
            steps.append(o)
    torch.testing.assert_close(torch.stack(steps, 1), full, atol=1e-5, rtol=1e-5)


def test_vanilla_rnn_is_the_slides_equations_by_hand():
    """The lecture's "hello": vocabulary h, e, l, o; h_{t+1} = tanh(W_hh h_t + W_xh x_{t+1}), o = W_hy h."""
    model = build("char_rnn", {"chars": "helo", "hidden": 3, "n_layers": 1}).eval()
    W_xh, W_hh, W_hy = (w.detach().double().numpy() for w in (model.W_xh[0], model.W_hh[0], model.W_hy))
    seq = [0] + model.vocab.encode("hello")[0]  # <start> h e l l o
    h, expected = np.zeros(3), []
    for t in range(len(seq) - 1):
        x = np.eye(len(model.vocab))[seq[t]]        # one-hot x
        h = np.tanh(W_hh @ h + W_xh @ x)
        o = W_hy @ h
        log_softmax = o - np.log(np.exp(o).sum())
        expected.append(log_softmax[seq[t + 1]])
    with torch.no_grad():
        got = model.log_prob(torch.tensor([seq]))[0].double().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(TINY))
def test_sampling_is_deterministic_under_a_seed(name):
    model = tiny(name)
    a = model.sample(3, length=30, prime="ab", seed=7)
    assert a == model.sample(3, length=30, prime="ab", seed=7)
    assert a != model.sample(3, length=30, prime="ab", seed=8)
    assert all(s.startswith("ab") and len(s) == 32 for s in a)
    assert model.sample(2, length=15, temperature=0, seed=1) == model.sample(2, length=15, temperature=0, seed=2)


def test_transformer_cached_sampling_draws_from_the_uncached_distribution():
    """Every distribution yielded while sampling with the KV cache equals the full pass on the same prefix,
    also after the context is exhausted and the model restarts on the last context/2 characters."""
    model = tiny("char_transformer")
    prime = model.vocab.encode("abc")[0]
    visible, context, drawn = list(prime), model.context, 0  # the characters after <start> the model sees
    for _, tok, probs in iter_sample(model, prime, 1, 40, generator=torch.Generator().manual_seed(0)):
        with torch.no_grad():
            full = torch.softmax(model.logits(torch.tensor([[0] + visible]))[0, -1], -1)
        torch.testing.assert_close(probs[0], full, atol=1e-5, rtol=1e-4)
        visible = (visible + [int(tok)])[-(context // 2):] if len(visible) == context else visible + [int(tok)]
        drawn += 1
    assert drawn == 40 and 3 + 40 > context


def test_draw_greedy_top_k_and_never_the_start_token():
    logits = torch.tensor([[9.0, 1.0, 3.0, 2.0], [9.0, 2.0, 0.5, 4.0]])
    assert draw(logits, temperature=0, banned=0).tolist() == [2, 3]
    g = torch.Generator().manual_seed(0)
    assert set(draw(logits.repeat(200, 1), 5.0, top_k=2, generator=g, banned=0).tolist()) <= {1, 2, 3}
    top1 = draw(logits.repeat(50, 1), 5.0, top_k=1, generator=g, banned=0)
    assert set(top1[::2].tolist()) == {2} and set(top1[1::2].tolist()) == {3}
    assert draw(logits, 1.0, top_k=99, generator=g, banned=0).min() >= 1  # top-k above V keeps everything


def test_names_stop_at_the_end_token():
    model = tiny("char_lstm", chars="abc", end=True)
    texts = model.sample(20, length=200, seed=0)
    assert all(set(t) <= set("abc") for t in texts) and min(map(len, texts)) < 200


def test_long_primes_keep_the_models_context_and_report_dropped_characters():
    model = tiny("char_transformer")
    p = model.prime("a" * 100 + "Z!", max_chars=1000)
    assert len(p.ids) == model.context and p.cut == 100 - model.context and p.dropped == "Z!"
    rnn = tiny("char_rnn")
    assert rnn.prime("a" * 100, max_chars=30).cut == 70  # recurrent: only the caller's cap
    with pytest.raises(ValueError, match="not in the vocabulary"):
        model.sample(1, 5, prime="Z")


def test_windows_score_every_character_once_with_half_a_window_of_context():
    assert spans(10, 4) == [(0, 0, 4), (2, 4, 6), (4, 6, 8), (6, 8, 10)]
    model = tiny("char_lstm")
    ids = tokens(model, 1, 61)[0, 1:]
    short = window_log_probs(model, ids[:10], window=16)
    with torch.no_grad():
        torch.testing.assert_close(short, model.log_prob(torch.cat([torch.zeros(1, dtype=torch.long), ids[:10]])[None])[0])
    long = window_log_probs(model, ids, window=16)
    assert long.shape == (60,) and torch.isfinite(long).all()
    torch.testing.assert_close(long[:16], window_log_probs(model, ids[:16], window=16))


# -- training and evaluation through the generic CLIs ---------------------------------------------------
def test_any_text_file_trains_through_the_cli_and_evaluates(tmp_path):
    corpus = tmp_path / "poem.txt"
    corpus.write_text("the cat sat on the mat. " * 400, encoding="utf-8")
    meta = train.main(["char_lstm", "--corpus", str(corpus), "--epochs", "8", "--batch-size", "8",
                       "--config", json.dumps({"hidden": 32, "n_layers": 1, "dropout": 0}), "--lr", "0.01",
                       "--out", str(tmp_path / "ck"), "--run-dir", str(tmp_path / "runs"), "--device", "cpu"])
    assert meta["config"]["chars"] == " .acehmnost" and meta["dataset"] == str(corpus)
    assert meta["metrics"]["eval_nats_per_char"] < 0.7 * math.log(12)  # well below uniform over the vocabulary
    assert (tmp_path / "ck" / "char_lstm-poem.txt").is_file()  # the samples shipped beside the checkpoint
    rows = evaluate.evaluate([str(tmp_path / "ck" / "char_lstm-poem")])
    assert rows[0]["metrics"]["eval_nats_per_char"] == pytest.approx(meta["metrics"]["eval_nats_per_char"], abs=1e-6)
    model = checkpoints.load(tmp_path / "ck" / "char_lstm-poem")
    assert model.sample(1, 20, prime="the ", temperature=0)[0].startswith("the ")


def test_names_training_ships_the_training_name_hashes(tmp_path):
    meta = train.main(["char_rnn", "--dataset", "names", "--limit", "300", "--epochs", "1", "--batch-size", "50",
                       "--config", json.dumps({"hidden": 16}), "--out", str(tmp_path / "ck"),
                       "--run-dir", str(tmp_path / "runs"), "--device", "cpu"])
    assert meta["config"]["end_token"] and meta["data_protocol"]["eval_split"] == "test"
    train_names = data.split_names(data.read_names(data.locate("names").read_text()))["train"][:300]
    seen = data.NameSet(meta["train_name_hashes"])
    assert len(seen) == 300 and all(n in seen for n in train_names)
