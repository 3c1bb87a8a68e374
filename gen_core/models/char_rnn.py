"""Recurrent character models: the vanilla RNN of the slides, and a stacked LSTM.

Vanilla RNN (written out from the slide's equations, no ``nn.RNN``), with x_t the one-hot
vector of token t and h_0 = 0:

    h_{t+1} = tanh(W_hh h_t + W_xh x_{t+1}),     o_{t+1} = W_hy h_{t+1},
    p(x_{t+2} | x_{<=t+1}) = softmax(o_{t+1}).

Stacking L of them feeds layer l the hidden vector of layer l-1 instead of x (layer 1 reads x);
o is read from the top layer. The same h_t carries everything the model remembers of the past.

LSTM (``nn.LSTM``, L layers stacked the same way): a cell state c_t next to h_t, changed only
through gates, so gradients survive over many more steps:

    i, f, g, u = sigma(.), sigma(.), tanh(.), sigma(.)  of  W [x_{t+1}; h_t] + b     (four blocks)
    c_{t+1} = f * c_t + i * g,     h_{t+1} = u * tanh(c_{t+1}),     o_{t+1} = W_hy h_{t+1} + b_y.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .charlm import DEFAULT_CHARS, CharLM


class CharRNN(CharLM):
    """The vanilla RNN: ``n_layers`` of h <- tanh(W_hh h + W_xh x), then o = W_hy h."""

    def __init__(self, chars: str = DEFAULT_CHARS, end_token: bool = False, hidden: int = 256, n_layers: int = 1):
        super().__init__(chars, end_token)
        V, H = self.n_tokens, hidden
        # W_xh of layer 1 multiplies a one-hot x: its column x is all that reaches h (an embedding)
        self.W_xh = nn.ParameterList([nn.Parameter(torch.randn(H, V if l == 0 else H) * (0.5 if l == 0 else H ** -0.5))
                                      for l in range(n_layers)])
        self.W_hh = nn.ParameterList([nn.Parameter(nn.init.orthogonal_(torch.empty(H, H))) for _ in range(n_layers)])
        self.W_hy = nn.Parameter(torch.randn(V, H) * H ** -0.5)

    def input_terms(self, layer: int, below: torch.Tensor) -> torch.Tensor:
        """W_xh x_{t+1} for every t at once: a column lookup for one-hot tokens (layer 0), else a product."""
        W = self.W_xh[layer]
        return F.embedding(below, W.t()) if layer == 0 else below @ W.t()

    def logits(self, x):
        below = x
        for layer, W_hh in enumerate(self.W_hh):
            a = self.input_terms(layer, below)                   # [B, T, H]
            h, hs = a.new_zeros(a.shape[0], a.shape[2]), []
            for t in range(a.shape[1]):
                h = torch.tanh(h @ W_hh.t() + a[:, t])           # h_{t+1} = tanh(W_hh h_t + W_xh x_{t+1})
                hs.append(h)
            below = torch.stack(hs, dim=1)
        return below @ self.W_hy.t()                             # o_{t+1} = W_hy h_{t+1}

    def start(self, n):
        return [self.W_hy.new_zeros(n, W.shape[0]) for W in self.W_hh]

    def step(self, token, state):
        below, new = token, []
        for layer, (W_hh, h) in enumerate(zip(self.W_hh, state)):
            below = torch.tanh(h @ W_hh.t() + self.input_terms(layer, below))
            new.append(below)
        return below @ self.W_hy.t(), new


class CharLSTM(CharLM):
    """A stacked LSTM over one-hot characters, o = W_hy h + b_y from the top layer."""

    def __init__(self, chars: str = DEFAULT_CHARS, end_token: bool = False, hidden: int = 256, n_layers: int = 2,
                 dropout: float = 0.0):
        super().__init__(chars, end_token)
        self.lstm = nn.LSTM(self.n_tokens, hidden, n_layers, batch_first=True, dropout=dropout)
        self.W_hy = nn.Linear(hidden, self.n_tokens)

    def logits(self, x):
        h, _ = self.lstm(F.one_hot(x, self.n_tokens).float())
        return self.W_hy(h)

    def start(self, n):
        zeros = [self.W_hy.weight.new_zeros(n, self.lstm.hidden_size) for _ in range(self.lstm.num_layers)]
        return zeros, list(zeros)  # h_0 = c_0 = 0 in every layer

    def step(self, token, state):
        """One time step of every layer, written out (one nn.LSTM call per character is ~10x slower on CPU)."""
        below, (hs, cs) = F.one_hot(token, self.n_tokens).float(), state
        new_h, new_c = [], []
        for layer, (h, c) in enumerate(zip(hs, cs)):
            W_ih, W_hh, b_ih, b_hh = (getattr(self.lstm, f"{w}_l{layer}") for w in
                                      ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
            i, f, g, u = (below @ W_ih.t() + b_ih + h @ W_hh.t() + b_hh).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)    # c_{t+1} = f * c_t + i * g
            below = torch.sigmoid(u) * torch.tanh(c)                       # h_{t+1} = u * tanh(c_{t+1})
            new_h.append(below)
            new_c.append(c)
        return self.W_hy(below), (new_h, new_c)
