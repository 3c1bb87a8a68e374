"""gen_core.models.char_wavenet: the gated dilated convolutions by hand, causality, a receptive field of exactly
R = 1 + sum d (k - 1), normalization, fast sampling (queues) and one-pass priming equal to recomputing the window.
(test_models_charlm: the interface every character model shares, sampling with the naive reader included.)"""
import itertools

import numpy as np
import torch

from conftest import randomized
from gen_core.models import REGISTRY, build

TINY = {"channels": 8, "skip": 8, "n_blocks": 2, "block_layers": 3}  # dilations 1, 2, 4, 1, 2, 4: R = 15


def tiny(chars="abcdefgh ", end=False, **config):
    torch.manual_seed(0)
    return randomized(build("char_wavenet", {**TINY, **config, "chars": chars, "end_token": end}), 0.3).eval()


def tokens(model, n, length, seed=0):
    x = torch.randint(1, len(model.vocab.chars) + 1, (n, length), generator=torch.Generator().manual_seed(seed))
    x[:, 0] = model.vocab.start_id
    return x


def test_one_gated_layer_is_the_equations_by_hand():
    """One layer of dilation 1 on "hello": u_t = tanh(W_f * h)_t sigma(W_g * h)_t, s_t = W_s u_t,
    o = W_2 relu(W_1 relu(s))."""
    model = tiny("helo", n_blocks=1, block_layers=1)
    layer = model.layers[0]
    E, W, b, W_s, b_s, W_1, b_1, W_2, b_2 = (w.detach().double().numpy() for w in (
        model.E.weight, layer.W.weight, layer.W.bias, layer.W_s.weight, layer.W_s.bias,
        model.head[1].weight, model.head[1].bias, model.head[3].weight, model.head[3].bias))
    seq = [0] + model.vocab.encode("hello")[0]
    h = E[seq]                                       # [T, C]
    before = np.vstack([np.zeros_like(h[:1]), h[:-1]])  # h_{t-1}, zero before <start>
    z = before @ W[:, :, 0].T + h @ W[:, :, 1].T + b
    f, g = np.split(z, 2, axis=1)
    u = np.tanh(f) / (1 + np.exp(-g))
    s = u @ W_s[:, :, 0].T + b_s
    o = np.maximum(np.maximum(s, 0) @ W_1[:, :, 0].T + b_1, 0) @ W_2[:, :, 0].T + b_2
    logp = o - np.log(np.exp(o).sum(1, keepdims=True))
    expected = logp[np.arange(len(seq) - 1), seq[1:]]
    with torch.no_grad():
        got = model.log_prob(torch.tensor([seq]))[0].double().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_the_receptive_field_is_one_plus_the_sum_of_the_dilations():
    assert tiny().receptive_field == 1 + 2 * (1 + 2 + 4) == 15
    assert build("char_wavenet").receptive_field == 1 + 2 * 63 == 127  # the shipped shape: two blocks of 1..32
    assert REGISTRY["char_wavenet"].config["block_layers"] == 6


def test_changing_x_t_changes_nothing_before_it_and_nothing_beyond_the_receptive_field():
    """o_{s+1} (the logits at position s) reads x_{s-R+1} .. x_s: a change of x_t moves positions t .. t+R-1 only."""
    model = tiny()
    R, t = model.receptive_field, 20
    x = tokens(model, 2, 60)
    changed = x.clone()
    changed[:, t] = x[:, t] % len(model.vocab.chars) + 1  # another character
    with torch.no_grad():
        diff = (model.logits(x) - model.logits(changed)).abs().amax((0, 2))
    assert diff[:t].max() == 0                       # causal: no earlier prediction moves
    assert (diff[t:t + R] > 1e-4).all()              # every position that sees x_t moves ...
    assert diff[t + R:].max() == 0                   # ... and none further on


def test_the_probabilities_of_every_sequence_sum_to_one():
    """sum over all x_1..x_6 of prod_t p(x_t | x_<t) = 1 (each softmax runs over every token id, <start> too)."""
    model = tiny(chars="ab")
    seqs = torch.tensor([[0, *s] for s in itertools.product(range(model.n_tokens), repeat=6)])
    with torch.no_grad():
        total = model.log_prob(seqs).sum(1).double().exp().sum()
    assert abs(float(total) - 1) < 1e-5


def test_queued_steps_equal_a_full_pass_over_the_same_window():
    """Fast WaveNet: one step per layer per character gives, at every position t, the last output of a full
    forward pass over the window x_{t-R+1} .. x_t, long after <start> has left the receptive field."""
    model = tiny()
    R, x = model.receptive_field, tokens(model, 3, 5 * model.receptive_field)
    with torch.no_grad():
        state, steps = model.start(3), []
        for t in range(x.shape[1]):
            o, state = model.step(x[:, t], state)
            steps.append(o)
        windows = torch.stack([model.logits(x[:, max(0, t - R + 1):t + 1])[:, -1] for t in range(x.shape[1])], 1)
    torch.testing.assert_close(torch.stack(steps, 1), windows, atol=1e-5, rtol=1e-5)


def test_priming_in_one_pass_fills_the_queues_as_stepping_does():
    """``read`` (one pass over the last R tokens) leaves the same logits and the same queues as stepping through
    the prime, for primes shorter than, as long as and far longer than the receptive field."""
    model = tiny()
    R, x = model.receptive_field, tokens(model, 2, 200)
    for L in (1, 5, R - 1, R, R + 1, 3 * R + 2, 200):
        with torch.no_grad():
            logits, state = model.read(x[:, :L])
            stepped = model.start(2)
            for t in range(L):
                o, stepped = model.step(x[:, t], stepped)
        torch.testing.assert_close(logits, o, atol=1e-5, rtol=1e-5)
        assert state.t == stepped.t == L
        for q, q_stepped in zip(state.past, stepped.past):
            torch.testing.assert_close(q, q_stepped, atol=1e-5, rtol=1e-5)


def test_names_end_and_the_model_has_no_context_limit():
    model = tiny(chars="abc", end=True)
    assert model.context is None  # it forgets by construction: no restart, a prime is never cut
    texts = model.sample(20, length=200, seed=0)
    assert all(set(t) <= set("abc") for t in texts) and min(map(len, texts)) < 200
