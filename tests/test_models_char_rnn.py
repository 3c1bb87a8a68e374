"""gen_core.models.char_rnn: the vanilla RNN is the slide's recurrence, written out."""
import numpy as np
import torch

from gen_core.models import build


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
