"""gen_core.models.charlm: what every character model promises (causality, step = teacher forcing), and the one
sampling loop (seeds, greedy, top-k, <end>, priming, the transformer's sliding window, the naive reader), and windowed
scoring."""
import pytest
import torch

from gen_core.models import build
from gen_core.models.charlm import (RecomputeReader, StepReader, draw_token, generate, iter_generate, spans,
                                    window_log_probs)

TINY = {"char_rnn": {"hidden": 16, "n_layers": 2}, "char_lstm": {"hidden": 16, "n_layers": 2},
        "char_transformer": {"d_model": 16, "n_heads": 2, "n_layers": 2, "context": 24},
        "char_wavenet": {"channels": 16, "skip": 16, "n_blocks": 2, "block_layers": 3}}


def tiny(model_name, chars="abcdefgh ", end=False, seed=0, **config):
    torch.manual_seed(seed)
    model = build(model_name, {**TINY[model_name], **config, "chars": chars, "end_token": end}).eval()
    with torch.no_grad():  # larger weights than the init, so every input visibly matters
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    return model


def tokens(model, n, length, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(1, len(model.vocab.chars) + 1, (n, length), generator=g)
    x[:, 0] = model.vocab.start_id
    return x


# -- the interface every model implements -------------------------------------------------------------
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


@pytest.mark.parametrize("read", [0, 12])
@pytest.mark.parametrize("name", list(TINY))
def test_one_step_at_a_time_gives_the_teacher_forced_logits(name, read):
    """The sampling path (``read`` a prime in one go, then recurrent state / KV cache step by step) equals the
    training path."""
    model = tiny(name)
    x = tokens(model, 3, 20)
    with torch.no_grad():
        full = model.logits(x)
        state, steps = model.start(3), []
        if read:
            o, state = model.read(x[:, :read])
            steps.append(o)
        for t in range(read, x.shape[1]):
            o, state = model.step(x[:, t], state)
            steps.append(o)
    torch.testing.assert_close(torch.stack(steps, 1), full[:, max(read - 1, 0):], atol=1e-5, rtol=1e-5)


# -- the sampling loop --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(TINY))
def test_sampling_is_deterministic_under_a_seed(name):
    model = tiny(name)
    a = model.sample(3, length=30, prime="ab", seed=7)
    assert a == model.sample(3, length=30, prime="ab", seed=7)
    assert a != model.sample(3, length=30, prime="ab", seed=8)
    assert all(s.startswith("ab") and len(s) == 32 for s in a)
    assert model.sample(2, length=15, temperature=0, seed=1) == model.sample(2, length=15, temperature=0, seed=2)


def test_generate_returns_the_prime_and_the_tokens_the_loop_yields():
    model = tiny("char_lstm")
    prime = model.vocab.encode("abc")[0]
    ids = generate(model, prime, 2, 10, generator=torch.Generator().manual_seed(3))
    drawn = [t for _, t, _ in iter_generate(model, prime, 2, 10, generator=torch.Generator().manual_seed(3))]
    assert ids.shape == (2, 13) and ids[:, :3].tolist() == [prime, prime]
    assert torch.equal(ids[:, 3:], torch.stack(drawn, 1))
    assert model.sample(2, 10, prime="abc", seed=3) == [model.vocab.decode(row) for row in ids.tolist()]


def sample_with_steps_counted(model, prime, length, monkeypatch):
    """iter_generate's (tokens, probs), and how many times it called the model's step and read."""
    calls = {"step": 0, "read": 0}
    for method in calls:
        def counted(*args, _method=getattr(model, method), _name=method):
            calls[_name] += 1
            return _method(*args)
        monkeypatch.setattr(model, method, counted)
    drawn = [(int(tok), probs[0]) for _, tok, probs in
             iter_generate(model, prime, 1, length, generator=torch.Generator().manual_seed(0))]
    return drawn, calls


def test_transformer_samples_past_its_context_one_step_per_character(monkeypatch):
    """3 x context characters: one pass over the prime, then one step per character (no restarts), and every
    distribution equals the full band-masked pass over everything read (each layer sees its last ``context``)."""
    model = tiny("char_transformer")
    prime = model.vocab.encode("abc")[0]
    drawn, calls = sample_with_steps_counted(model, prime, 3 * model.context, monkeypatch)
    assert calls == {"read": 1, "step": 3 * model.context - 1}
    seen = [model.vocab.start_id] + prime
    for tok, probs in drawn:
        with torch.no_grad():
            full = torch.softmax(model.logits(torch.tensor([seen]))[0, -1], -1)
        torch.testing.assert_close(probs, full, atol=1e-5, rtol=1e-4)
        seen.append(tok)


def test_one_layer_transformer_samples_what_a_fresh_pass_over_its_last_context_positions_gives(monkeypatch):
    """With rotary positions only distances matter: a one-layer model stepping through its ring of keys gives the
    distribution of a fresh pass over the last ``context`` positions, as if they were a new text (with absolute
    positions the window's first position would be position 0 only in the fresh pass)."""
    model = tiny("char_transformer", n_layers=1)
    prime = model.vocab.encode("abc")[0]
    drawn, _ = sample_with_steps_counted(model, prime, 3 * model.context, monkeypatch)
    seen = [model.vocab.start_id] + prime
    for tok, probs in drawn:
        with torch.no_grad():
            fresh = torch.softmax(model.logits(torch.tensor([seen[-model.context:]]))[0, -1], -1)
        torch.testing.assert_close(probs, fresh, atol=1e-5, rtol=1e-4)
        seen.append(tok)
    assert len(seen) > 3 * model.context


def test_transformer_reads_a_prime_longer_than_its_window_in_one_pass_as_step_by_step():
    model = tiny("char_transformer")
    x = tokens(model, 2, 2 * model.context + 5)
    with torch.no_grad():
        logits, cache = model.read(x)
        state, stepped = model.start(2), []
        for token in x.T:
            o, state = model.step(token, state)
            stepped.append(o)
        torch.testing.assert_close(logits, stepped[-1], atol=1e-5, rtol=1e-4)
        after_read, after_steps = model.step(x[:, 3], cache)[0], model.step(x[:, 3], state)[0]
    torch.testing.assert_close(after_read, after_steps, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", list(TINY))
def test_the_naive_reader_draws_what_the_models_own_step_draws(name):
    """RecomputeReader (a full pass per character, what bench times as naive) changes the cost, not the text:
    the same tokens from the same distributions, past the transformer's window too."""
    model = tiny(name)
    prime = model.vocab.encode("abc")[0]
    step, naive = (list(iter_generate(model, prime, 2, 40, generator=torch.Generator().manual_seed(0), reader=r))
                   for r in (StepReader, RecomputeReader))
    assert len(step) == len(naive) == 40
    for (_, a, pa), (_, b, pb) in zip(step, naive):
        assert torch.equal(a, b)
        torch.testing.assert_close(pa, pb, atol=1e-5, rtol=1e-4)


def test_draw_greedy_top_k_and_never_the_start_token():
    logits = torch.tensor([[9.0, 1.0, 3.0, 2.0], [9.0, 2.0, 0.5, 4.0]])
    assert draw_token(logits, temperature=0, banned=0).tolist() == [2, 3]
    g = torch.Generator().manual_seed(0)
    assert set(draw_token(logits.repeat(200, 1), 5.0, top_k=2, generator=g, banned=0).tolist()) <= {1, 2, 3}
    top1 = draw_token(logits.repeat(50, 1), 5.0, top_k=1, generator=g, banned=0)
    assert set(top1[::2].tolist()) == {2} and set(top1[1::2].tolist()) == {3}
    assert draw_token(logits, 1.0, top_k=99, generator=g, banned=0).min() >= 1  # top-k above V keeps everything


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


# -- scoring long texts -------------------------------------------------------------------------------
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
