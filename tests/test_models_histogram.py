"""gen_core.models.histogram: the independent-pixel baseline p(x) = prod_i p_i(x_i), binary and 8-bit.
(The AR contract -- normalization, stepper, sampling -- is tested with every model in test_models_base.)"""
import math

import pytest
import torch

from gen_core.models import REGISTRY, Histogram, build
from gen_core.models.base import conditional_log_prob


def data(n_values, n=300, size=4, seed=0):
    """Images whose pixel i takes value v with a per-pixel skewed probability, some values never seen."""
    g = torch.Generator().manual_seed(seed)
    top = torch.arange(size * size).remainder(n_values - 1).view(1, 1, size, size) + 1  # pixel i: values 0..top_i
    return (torch.rand(n, 1, size, size, generator=g) * (top + 1)).floor().clamp(max=n_values - 1) * (
        torch.rand(n, 1, size, size, generator=g) < 0.7)


@pytest.mark.parametrize("name,params", [("histogram", 784), ("histogram_8bit", 784 * 256)])
def test_one_logit_vector_per_pixel(name, params):
    model = build(name)
    assert sum(p.numel() for p in model.parameters()) == params
    assert REGISTRY[name].task == "image" and model.context_free


@pytest.mark.parametrize("n_values", [2, 5, 256])
def test_look_up_matches_the_logits_and_the_factorization(n_values):
    torch.manual_seed(0)
    model = Histogram(image_size=4, n_values=n_values)
    with torch.no_grad():
        model.theta.normal_(0, 2)
    x = data(n_values, n=7)
    from_logits = conditional_log_prob(model.logits(x), x, n_values)
    torch.testing.assert_close(model.pixel_log_prob(x), from_logits, atol=1e-5, rtol=1e-5)
    table = model.pixel_log_probs()  # [K, H, W]
    assert table.shape == (n_values, 4, 4)
    torch.testing.assert_close(table.exp().sum(0), torch.ones(4, 4))
    by_hand = torch.stack([sum(table[int(img[0, r, c]), r, c] for r in range(4) for c in range(4)) for img in x])
    torch.testing.assert_close(model.log_prob(x), by_hand, atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize("n_values,alpha", [(2, 0.5), (2, 1.0), (6, 0.5)])
def test_the_loss_is_minimized_exactly_by_add_alpha_counting(n_values, alpha):
    """At theta = the add-alpha estimate (n_i(v) + alpha) / (N + K alpha) the gradient of the loss vanishes."""
    x = data(n_values)
    model = Histogram(image_size=4, n_values=n_values, smoothing=alpha, n_train=len(x))
    theta = Histogram.counting_logits(x, n_values, alpha)
    with torch.no_grad():
        model.theta.copy_(theta)
    p = model.pixel_log_probs().exp()
    counts = torch.stack([(x[:, 0] == v).sum(0) for v in range(n_values)]).float()
    torch.testing.assert_close(p, (counts + alpha) / (len(x) + n_values * alpha))
    model.loss(x).backward()
    assert model.theta.grad.abs().max() < 1e-5
    with torch.no_grad():  # and it is a minimum: any perturbation costs
        model.theta.add_(0.05 * torch.randn_like(model.theta))
    moved = model.loss(x).item()
    with torch.no_grad():
        model.theta.copy_(theta)
    assert model.loss(x).item() < moved


def test_adam_reaches_the_counting_optimum():
    """Convex: a few hundred Adam steps land on the add-1/2 estimate (the training loop's optimizer)."""
    x = data(2, n=200)
    model = Histogram(image_size=4, n_values=2, smoothing=0.5, n_train=len(x))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for step in range(1500):
        for g in opt.param_groups:
            g["lr"] = 0.05 * (1 - step / 1500) + 1e-4
        opt.zero_grad()
        model.loss(x).backward()
        opt.step()
    best = Histogram(image_size=4, n_values=2, smoothing=0.5, n_train=len(x))
    with torch.no_grad():
        best.theta.copy_(Histogram.counting_logits(x, 2, 0.5))
    assert model.loss(x).item() == pytest.approx(best.loss(x).item(), abs=1e-4)


def test_unseen_values_keep_a_finite_probability():
    """Without smoothing a value never seen at a pixel would get probability 0; with it, alpha / (N + K alpha)."""
    x = torch.zeros(10, 1, 2, 2)
    theta = Histogram.counting_logits(x, 256, 0.5)
    model = Histogram(image_size=2, n_values=256)
    with torch.no_grad():
        model.theta.copy_(theta)
    ones = torch.ones(1, 1, 2, 2)
    assert model.log_prob(ones).item() == pytest.approx(4 * math.log(0.5 / (10 + 128)), rel=1e-5)


def test_samples_are_independent_draws_from_each_pixel_histogram():
    model = Histogram(image_size=2, n_values=2)
    with torch.no_grad():
        model.theta.copy_(torch.tensor([[[-2.0, 0.0], [1.0, 3.0]]]))
    x = model.sample(4000, generator=torch.Generator().manual_seed(0))
    freq = x.mean(0)[0]
    torch.testing.assert_close(freq, torch.sigmoid(model.theta[0]).detach(), atol=0.03, rtol=0)
    a, b = x[:, 0, 0, 0], x[:, 0, 1, 1]  # no correlation between pixels
    assert abs(torch.corrcoef(torch.stack([a, b]))[0, 1].item()) < 0.05
