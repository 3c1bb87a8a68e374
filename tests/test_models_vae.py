"""gen_core.models.vae: the ELBO and its KL by hand, the importance-weighted bound against an exactly known
likelihood, the conditional VAE's class, and the latent-model protocol (what a VAE measures and where its codes lie)."""
import math

import pytest
import torch

from gen_core.models.autoencoder import log_bernoulli
from gen_core.models.vae import VAE, aggregate_kl, gaussian_kl

TINY = {"channels": 2, "hidden": 8}


def binary_images(n, seed=0):
    return (torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) < 0.3).float()


def test_the_elbo_is_reconstruction_minus_kl_computed_by_hand():
    torch.manual_seed(0)
    m = VAE(z_dim=3, **TINY).double().eval()
    x = binary_images(2).double()
    elbo = m.elbo(x, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        mu, log_var = m.posterior(x)
    eps = torch.randn((1, 2, 3), generator=torch.Generator().manual_seed(5), dtype=torch.float64)[0]
    p = torch.sigmoid(m.decode(mu + torch.exp(0.5 * log_var) * eps)).flatten(1).detach()
    xs = x.flatten(1)
    for b in range(2):
        reconstruction = sum(math.log(p[b, i]) if xs[b, i] else math.log(1 - p[b, i]) for i in range(784))
        kl = sum(0.5 * (mu[b, j] ** 2 + math.exp(log_var[b, j]) - 1 - log_var[b, j]) for j in range(3))
        assert elbo[b].item() == pytest.approx(float(reconstruction - kl), rel=1e-9)
    torch.manual_seed(3)
    loss = m.loss((x, None))
    torch.manual_seed(3)
    assert loss.item() == pytest.approx(-m.elbo(x).mean().item(), rel=1e-12)  # training minimizes -ELBO


def test_the_analytic_kl_matches_a_monte_carlo_estimate():
    mu = torch.tensor([[0.5, -1.0, 2.0, 0.0]], dtype=torch.float64)
    log_var = torch.tensor([[0.0, -1.5, 0.7, 1.2]], dtype=torch.float64)
    q, p = torch.distributions.Normal(mu, (0.5 * log_var).exp()), torch.distributions.Normal(0.0, 1.0)
    torch.manual_seed(0)
    z = q.sample((200_000,))
    log_ratio = (q.log_prob(z) - p.log_prob(z)).sum(-1)[:, 0]
    se = log_ratio.std().item() / math.sqrt(len(log_ratio))
    assert gaussian_kl(mu, log_var).item() == pytest.approx(log_ratio.mean().item(), abs=4 * se)
    assert gaussian_kl(torch.zeros(1, 4), torch.zeros(1, 4)).item() == 0  # q = p


def exact_log_px(m: VAE, x: torch.Tensor) -> torch.Tensor:
    """log p(x) = log int N(z; 0, 1) p(x | z) dz for a 1-D latent, by quadrature on a fine grid."""
    z = torch.linspace(-10, 10, 8_001, dtype=torch.float64)[:, None]
    with torch.no_grad():
        log_px_z = torch.stack([log_bernoulli(xi.expand(len(z), 1, 28, 28), m.decode(z)) for xi in x])
    log_joint = log_px_z - 0.5 * z[:, 0] ** 2 - 0.5 * math.log(2 * math.pi)
    return torch.logsumexp(log_joint, 1) + math.log(float(z[1] - z[0]))


def test_the_importance_weighted_bound_is_above_the_exact_nll_and_comes_down_to_it():
    torch.manual_seed(0)
    m = VAE(z_dim=1, **TINY).double().eval()
    with torch.no_grad():
        m.decoder.fc[0].weight.mul_(40)  # p(x | z) changes a lot with z: the untrained q is far from p(z | x)
    x = binary_images(3, seed=1).double()
    nll = -exact_log_px(m, x)
    repeats = 20
    means, errors = [], []
    for k in (1, 10, 100, 400):
        b = -m.iw_bound(x.repeat(repeats, 1, 1, 1), k=k, generator=torch.Generator().manual_seed(k)).view(repeats, 3)
        means.append(b.mean(0))
        errors.append(b.std(0) / math.sqrt(repeats))
        assert (means[-1] >= nll - 4 * errors[-1] - 1e-9).all(), k  # an upper bound on -log p(x), up to MC noise
    assert (means[0] > nll + 5).all()  # k = 1 (the ELBO with a sampled KL) is loose here
    assert (means[1] < means[0] - 5).all() and (means[2] < means[1] + 4 * errors[1]).all()
    assert ((means[3] - nll).abs() < 0.15).all()  # k = 400: within 0.15 nats of the truth


def test_the_conditional_vae_needs_a_valid_class():
    m = VAE(z_dim=2, n_classes=10, **TINY).eval()
    z = torch.zeros(2, 2)
    assert not torch.equal(m.mean_image(z, torch.tensor([1, 1])), m.mean_image(z, torch.tensor([7, 7])))
    with pytest.raises(ValueError, match="one class label"):
        m.mean_image(z)
    with pytest.raises(ValueError, match="0..9"):
        m.mean_image(z, torch.tensor([0, 10]))


def test_film_starts_as_the_plain_decoder_and_then_lets_the_class_reach_every_layer():
    torch.manual_seed(0)
    plain, film = VAE(z_dim=2, n_classes=10, **TINY).eval(), VAE(z_dim=2, n_classes=10, film=True, **TINY).eval()
    missing, unexpected = film.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and missing and all(".film." in k for k in missing)  # the same body, plus FiLM
    z, y = torch.randn(6, 2), torch.arange(6)
    assert torch.equal(film.decode(z, y), plain.decode(z, y))  # gamma = 1, beta = 0: the identity
    with torch.no_grad():
        film.decoder.film[2].beta.weight[3] += 1.0  # class 3's shift of the last hidden layer only
    changed = (film.decode(z, y) != plain.decode(z, y)).flatten(1).any(1)
    assert changed.tolist() == [False, False, False, True, False, False]


def test_the_aggregate_kl_of_constructed_codes():
    d = torch.float64
    y = torch.tensor([0, 0, 1, 1])
    mu = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 2.0], [0.0, 2.0]], dtype=d)
    # each class's codes sit at one point m_c with sigma = 1: S_c = I, so KL = |m_c|^2 / 2, i.e. 1/2 and 2
    assert aggregate_kl(mu, torch.zeros_like(mu), y).item() == pytest.approx((0.5 + 2.0) / 2, rel=1e-12)
    spread = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]], dtype=d)  # the class's means, var 1
    log_var = torch.log(torch.tensor([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]], dtype=d) + 1e-300)
    assert aggregate_kl(spread, log_var, None).item() == pytest.approx(0.0, abs=1e-9)  # moments of N(0, I)


def test_beta_and_the_class_term_weigh_the_training_loss_not_the_measured_elbo():
    torch.manual_seed(0)
    x, y = binary_images(4).double(), torch.tensor([0, 1, 0, 1])
    plain = VAE(z_dim=2, n_classes=2, **TINY).double()
    weighed = VAE(z_dim=2, n_classes=2, beta=3.0, class_match=5.0, **TINY).double()
    weighed.load_state_dict(plain.state_dict())
    with torch.no_grad():
        mu, log_var = plain.posterior(x, y)
    losses = []
    for m in (plain, weighed):
        torch.manual_seed(1)
        losses.append(m.loss((x, y)).item())
    torch.manual_seed(1)
    reconstruction, kl = plain.elbo_terms(x, y)
    assert losses[0] == pytest.approx(-(reconstruction - kl).mean().item(), rel=1e-12)
    expected = -(reconstruction - 3.0 * kl).mean() + 5.0 * aggregate_kl(mu, log_var, y)
    assert losses[1] == pytest.approx(expected.item(), rel=1e-12)
    measured = [m.measure(x, y, generator=torch.Generator().manual_seed(2))["neg_elbo_nats"] for m in (plain, weighed)]
    assert torch.equal(*measured)


def test_a_vae_measures_its_elbo_terms_and_its_importance_weighted_bound():
    torch.manual_seed(0)
    m = VAE(z_dim=3, **TINY).eval()
    x = binary_images(4)
    figures = m.measure(x, k=20, generator=torch.Generator().manual_seed(7))
    g = torch.Generator().manual_seed(7)  # the same draws, in the same order
    reconstruction, kl = m.elbo_terms(x, generator=g)
    iw = m.iw_bound(x, k=20, generator=g)
    assert m.objective == "neg_elbo_nats"
    assert set(figures) == {m.objective, "reconstruction_nats", "kl_nats", "iw_nll_nats"}
    assert all(v.dtype == torch.float64 and v.shape == (4,) for v in figures.values())
    assert torch.equal(figures["reconstruction_nats"], -reconstruction.double())
    assert torch.equal(figures["kl_nats"], kl.double())
    assert torch.equal(figures["neg_elbo_nats"], figures["reconstruction_nats"] + figures["kl_nats"])
    assert torch.equal(figures["iw_nll_nats"], -iw)
    assert "iw_nll_nats" not in m.measure(x)  # k = 0: no importance weighting
    assert m.has_likelihood_bound


def test_a_vaes_codes_follow_its_prior_and_its_figures_read_as_bounds():
    m = VAE(z_dim=3, n_classes=10, **TINY)
    mean, std = m.code_distribution()
    assert mean.tolist() == [0.0] * 3 and std.tolist() == [1.0] * 3  # p(z) = N(0, I)
    assert "p(x | y)" in m.measured_as(100) and "k = 100" in m.measured_as(100)
