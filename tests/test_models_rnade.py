"""RNADE (gen_core/models/rnade.py): the ImageAR contract for a density model on dequantized 8-bit images.
A density cannot be checked by enumerating images, so normalization is a quadrature over [0, 1]^D."""
import math

import numpy as np
import pytest
import torch

from gen_core.models import REGISTRY, build
from gen_core.models.rnade import RNADE
from conftest import randomized


def tiny(image_size, std=0.5, seed=0, hidden=8, components=3):
    torch.manual_seed(seed)
    return randomized(RNADE(image_size=image_size, hidden=hidden, components=components), std).eval()


def random_canvas(model, n, seed=0):
    """Continuous gray levels in [-1/2, 255.5), as the sampling canvas holds them."""
    g = torch.Generator().manual_seed(seed)
    s = model.image_size
    return torch.rand(n, 1, s, s, generator=g) * 256 - 0.5


def gauss_legendre(n):
    nodes, weights = np.polynomial.legendre.leggauss(n)
    return torch.tensor((nodes + 1) / 2), torch.tensor(weights / 2)  # on [0, 1]


def test_registry_model_is_small_enough_to_ship():
    model = build("rnade")
    assert isinstance(model, RNADE) and model.n_values == 256 and model.out_channels == 3 * model.components
    assert 2 * sum(p.numel() for p in model.parameters()) < 5e6  # float16 weights under 5 MB


@pytest.mark.parametrize("image_size,nodes", [(1, 400), (2, 18)])
def test_density_integrates_to_one_over_the_unit_cube(image_size, nodes):
    model = tiny(image_size, std=0.5).double()
    with torch.no_grad():  # sigmas of about 0.1 to 1: smooth enough for Gauss-Legendre
        model.b[:, 2 * model.components:] = torch.log(torch.linspace(0.1, 0.6, model.components)).double()
    t, w = gauss_legendre(nodes)
    d = model.num_pixels
    grid = torch.cartesian_prod(*[t] * d).view(-1, d) if d > 1 else t[:, None]
    weight = torch.cartesian_prod(*[w] * d).view(-1, d).prod(1) if d > 1 else w
    s = model.image_size
    with torch.no_grad():
        p = torch.cat([model.log_density(chunk.view(-1, 1, s, s)).exp() for chunk in grid.split(20000)])
    assert (p * weight).sum().item() == pytest.approx(1.0, abs=1e-4)


def test_discrete_probabilities_sum_to_one_and_log_prob_lower_bounds_them():
    """D = 1: P(x) = the integral of p_c over x's bin sums to 1 over x = 0..255, and the dequantized
    log_prob (any u) averages below log P(x) (Jensen), equal to it within the bin's variation."""
    model = tiny(1, std=0.5).double()
    t, w = gauss_legendre(12)
    x = torch.arange(256, dtype=torch.float64)
    y = (x[:, None] + t[None]) / 256                                      # 12 nodes in every bin
    with torch.no_grad():
        p = model.log_density(y.reshape(-1, 1, 1, 1)).exp().view(256, 12)
        log_P = ((p * w).sum(1) / 256).log()
        assert log_P.exp().sum().item() == pytest.approx(1.0, abs=1e-6)
        model.train()
        bound = torch.stack([model.log_prob(x.view(-1, 1, 1, 1)) for _ in range(200)]).mean(0)
    assert (bound <= log_P + 0.05).all()  # 200 draws of u: the mean is within noise of E_u
    assert (bound.exp().sum() - 1).abs() < 0.1


def test_log_prob_is_the_dequantized_density_minus_d_log_256():
    model = tiny(5)
    x = torch.randint(0, 256, (4, 1, 5, 5), generator=torch.Generator().manual_seed(1)).float()
    d = model.num_pixels
    with torch.no_grad():
        expected = model.log_density((x + model.eval_noise) / 256) - d * math.log(256)
        torch.testing.assert_close(model.log_prob(x), expected)
        torch.testing.assert_close(model.pixel_log_prob(x).flatten(1).sum(1), expected)
        # eval: deterministic, and an image's figure does not depend on its batch
        torch.testing.assert_close(model.log_prob(x[2:3]), expected[2:3])
        model.train()  # training: fresh u on every call, still in the image's bins
        a, b = model.log_prob(x), model.log_prob(x)
        assert not torch.equal(a, b)
        torch.manual_seed(3)
        u = torch.rand_like(x)
        torch.manual_seed(3)
        torch.testing.assert_close(model.log_prob(x), model.log_density((x + u) / 256) - d * math.log(256))


def test_output_i_ignores_inputs_from_i_on():
    model = tiny(5)
    order, d = model.order.tolist(), model.num_pixels
    with torch.no_grad():
        for t in range(3):
            x = random_canvas(model, 1, seed=t)
            base = model.logits(x).flatten(2)[0]
            for i in range(d):
                y = x.clone().flatten()
                y[order[i:]] = random_canvas(model, 1, seed=100 + t * d + i).flatten()[order[i:]]
                out = model.logits(y.view_as(x)).flatten(2)[0]
                torch.testing.assert_close(out[:, order[i]], base[:, order[i]], atol=1e-5, rtol=1e-5)
            earlier = x.clone().flatten()
            earlier[order[: d // 2]] = 255 - earlier[order[: d // 2]]
            out = model.logits(earlier.view_as(x)).flatten(2)[0]
            assert not torch.allclose(out[:, order[-1]], base[:, order[-1]])


def test_stepper_matches_teacher_forcing():
    model = tiny(28, std=0.1, hidden=16, components=4)
    x = random_canvas(model, 3)
    with torch.no_grad():
        full = model.logits(x).flatten(2)
        step = model.stepper(x)
        for i, pos in enumerate(model.order.tolist()):
            torch.testing.assert_close(step(i), full[:, :, pos], atol=1e-4, rtol=1e-4)


def test_sampling_is_deterministic_in_range_and_keeps_known_pixels():
    model = tiny(6, std=0.3)
    for temperature in (1.0, 0.5, 0.0):
        a = model.sample(3, temperature=temperature, generator=torch.Generator().manual_seed(5))
        b = model.sample(3, temperature=temperature, generator=torch.Generator().manual_seed(5))
        assert a.shape == (3, 1, 6, 6) and torch.equal(a, b)
        assert a.min() >= -0.5 and a.max() < 255.5 and a.round().max() <= 255
    known = torch.randint(0, 256, (1, 6, 6), generator=torch.Generator().manual_seed(9)).float()
    mask = torch.rand(1, 6, 6, generator=torch.Generator().manual_seed(2)) < 0.5
    out = model.sample(4, known=known, known_mask=mask, generator=torch.Generator().manual_seed(1))
    assert torch.equal(out[:, mask], known[mask].expand(4, -1))


def mixture(model, n=1, seed=0):
    """One pixel's mixture parameters [n, 3K], with components near both edges of [0, 1]."""
    k = model.components
    raw = torch.randn(n, 3 * k, generator=torch.Generator().manual_seed(seed))
    raw[:, k] = -4.0                           # a component at mu = 0.018 ...
    raw[:, 2 * k] = math.log(0.02)
    raw[:, k + 1] = 5.0                        # ... and one at 0.993, wide
    raw[:, 2 * k + 1] = math.log(0.3)
    return model.params(raw)


@pytest.mark.parametrize("temperature", [1.0, 0.6])
def test_draws_follow_the_tempered_mixture(temperature):
    """Empirical CDF of 40,000 draws vs the gray-level distribution; map entry E[y] vs the draws' mean."""
    model = tiny(1)
    out = mixture(model).expand(40000, -1)
    v, p = model.draw(out, temperature, torch.Generator().manual_seed(0))
    assert v.min() >= -0.5 and v.max() < 255.5 and (p == p[0]).all() and 0 <= p[0] <= 1
    y = (v + 0.5) / 256
    assert y.mean().item() == pytest.approx(p[0].item(), abs=0.005)
    levels = model.distribution(out[:1], temperature)[0]
    assert levels.shape == (256,) and levels.sum().item() == pytest.approx(1.0, abs=1e-5)
    empirical = torch.bincount(v.round().long(), minlength=256).float() / len(v)
    assert (empirical.cumsum(0) - levels.cumsum(0)).abs().max() < 0.01  # Kolmogorov distance


def test_temperature_zero_takes_the_mode_of_the_most_likely_component():
    model = tiny(1)
    out = mixture(model, n=5, seed=3)
    k = model.components
    v, p = model.draw(out, 0.0)
    best = out[:, :k].argmax(1)
    mu = out[:, k:2 * k].gather(1, best[:, None])[:, 0]
    torch.testing.assert_close(p, mu)
    torch.testing.assert_close(v, 256 * mu - 0.5)
    levels = model.distribution(out, 0.0)
    assert torch.equal(levels.argmax(1), (256 * mu).floor().long()) and (levels.sum(1) == 1).all()


def test_training_lowers_the_nll():
    torch.manual_seed(0)
    model = RNADE(image_size=28, hidden=16, components=3).train()
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(32, 1, 28, 28, generator=g) < 0.3).float() * 255  # two levels: an easy density
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    first = model.loss(x).item()
    for _ in range(30):
        loss = model.loss(x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert math.isfinite(loss.item()) and loss.item() < first - 500


def test_registry_entry_trains_with_the_image_task():
    assert REGISTRY["rnade"].task == "image"
