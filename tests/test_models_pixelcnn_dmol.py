"""The discretized mixture of logistics (gen_core.nn.dmol) and the PixelCNN that outputs one per pixel
(generic autoregressive properties, causality and cached step included: test_models_base.py)."""
import pytest
import torch

from gen_core import tasks
from gen_core.models import build
from gen_core.models.base import conditional_log_prob
from gen_core.nn import dmol
from gen_core.recording import TOP
from gen_core.tasks.gan import TEST_SEED
from gen_core.tasks.image import samples
from conftest import randomized, tiny_checkpoint
from demo import likelihood, pixels, shipped

K = 256


def random_params(n, mixtures, seed=0):
    """[n, 3M] parameters from wide ranges: centres far outside [0, 1] included, scales from e^-10 (clamped) to e^3."""
    g = torch.Generator().manual_seed(seed)
    logit_pi = 3 * torch.randn(n, mixtures, generator=g)
    mu = torch.rand(n, mixtures, generator=g) * 3 - 1
    log_s = torch.rand(n, mixtures, generator=g) * 13 - 10
    return torch.cat([logit_pi, mu, log_s], 1)


@pytest.mark.parametrize("dtype, atol", [(torch.float64, 1e-12), (torch.float32, 1e-4)])
@pytest.mark.parametrize("mixtures", [1, 5])
def test_the_256_level_probabilities_sum_to_one(mixtures, dtype, atol):
    """Exactly in float64; in float32 up to the rounding of neighbouring bins' shared edges (s down to e^-8)."""
    p = dmol.level_log_probs(random_params(200, mixtures).to(dtype), K).exp()
    torch.testing.assert_close(p.sum(1), torch.ones(200, dtype=dtype), atol=atol, rtol=0)


def test_the_edge_levels_hold_the_tails():
    """A component centred far below 0 (above 1) puts its mass on level 0 (255), not beyond."""
    one = torch.zeros(2, 1)
    params = torch.cat([one, torch.tensor([[-2.0], [3.0]]), torch.full((2, 1), -2.0)], 1)
    p = dmol.level_log_probs(params, K).exp()
    assert p[0, 0] > 0.99 and p[1, K - 1] > 0.99


def test_log_prob_is_the_log_of_a_difference_of_logistic_cdfs():
    """The log-domain form equals sigma(a) - sigma(b) computed plainly in float64 (one component, away from
    the edges, where the plain difference is accurate), and the log of the level table."""
    mu, log_s = 0.4, -3.0
    params = torch.tensor([[0.0, mu, log_s]])
    x = torch.tensor([[0.0], [1.0], [90.0], [102.0], [200.0], [255.0]])
    u, h, s = x.double() / (K - 1), 0.5 / (K - 1), torch.tensor(log_s).double().exp()
    plain = torch.sigmoid((u + h - mu) / s) - torch.sigmoid((u - h - mu) / s)
    plain[0] = torch.sigmoid((u[0] + h - mu) / s)
    plain[-1] = 1 - torch.sigmoid((u[-1] - h - mu) / s)
    got = dmol.log_prob(params.expand(6, 3), x, K)
    torch.testing.assert_close(got.double(), plain.log(), atol=1e-5, rtol=1e-5)
    table = dmol.level_log_probs(params, K)[0]
    torch.testing.assert_close(got[:, 0], table[x[:, 0].long()], atol=1e-5, rtol=1e-5)


def test_mixture_weights_the_components():
    """p = pi_1 p_1 + pi_2 p_2 for two components of weights 1/4 and 3/4."""
    a, b = torch.tensor([[0.0, 0.2, -3.0]]), torch.tensor([[0.0, 0.7, -4.0]])
    both = torch.tensor([[0.0, torch.tensor(3.0).log().item(), 0.2, 0.7, -3.0, -4.0]])
    mix = dmol.level_log_probs(both, K).exp()
    torch.testing.assert_close(mix, 0.25 * dmol.level_log_probs(a, K).exp() + 0.75 * dmol.level_log_probs(b, K).exp(),
                               atol=1e-6, rtol=1e-5)


def tiny_model(seed=0):
    torch.manual_seed(seed)
    config = {"image_size": 6, "channels": 8, "n_layers": 2, "mixtures": 3}
    return randomized(build("pixelcnn_dmol", config), 0.3).eval()


def test_pixel_log_prob_is_the_log_of_the_distribution_sampled_from():
    model = tiny_model()
    x = torch.randint(0, K, (2, 1, 6, 6)).float()
    x[0, 0, 0] = 0
    x[1, 0, 0] = K - 1
    with torch.no_grad():
        out = model.logits(x)
        steps = out.permute(0, 2, 3, 1).reshape(-1, out.shape[1])  # each pixel's output, as the sampler gets it
        levels = model.level_logits(steps)
        table = levels.view(2, 6, 6, K).permute(0, 3, 1, 2)
        torch.testing.assert_close(model.pixel_log_prob(x), conditional_log_prob(table, x, K), atol=1e-4, rtol=1e-5)
        torch.testing.assert_close(model.distribution(steps), levels.exp(), atol=1e-6, rtol=1e-4)


def test_temperature_sharpens_the_level_distribution():
    """p_T(l) is proportional to p(l)^(1/T); T = 0 puts all the mass on the likeliest level."""
    model = tiny_model()
    out = random_params(4, 3, seed=3)
    p = model.distribution(out).double()
    cold = model.distribution(out, temperature=0.5).double()
    torch.testing.assert_close(cold, p ** 2 / (p ** 2).sum(1, keepdim=True), atol=1e-6, rtol=1e-4)
    greedy = model.distribution(out, temperature=0)
    assert torch.equal(greedy.argmax(1), p.argmax(1)) and torch.equal(greedy.sum(1), torch.ones(4))


def test_the_registry_entry_asks_its_task_for_the_fid_of_samples():
    task = tasks.make("pixelcnn_dmol", tiny_model())
    assert task.fid_samples == 1000 and task.fid_compare == ("pixelcnn_8bit",)
    assert "1,000 samples" in task.protocol()["fid"]
    assert tasks.make("pixelcnn_8bit", tiny_model()).fid_samples == 0  # the others keep their metrics


@pytest.mark.needs_data("fashion-mnist")
def test_samples_are_drawn_with_the_gans_seed_in_the_classifier_range():
    model = tiny_model()
    x = samples(model, 6)
    assert x.shape == (6, 1, 6, 6) and x.min() >= -1 and x.max() <= 1
    torch.testing.assert_close(x, model.sample(6, generator=torch.Generator().manual_seed(TEST_SEED)) / 127.5 - 1)
    task = tasks.make("pixelcnn_dmol", build("pixelcnn_dmol", {"channels": 4, "n_layers": 1, "mixtures": 2}),
                      fid_samples=8, fid_compare=())
    measured = task.sample_metrics(8)
    assert measured["samples"] == 8 and measured["fid_classifier"] > 0


def test_the_pixels_and_likelihood_tabs_offer_it(tmp_path, monkeypatch):
    """A pixelcnn_dmol checkpoint is listed, draws 8-bit images whose recorded distributions are 256-way, and
    scores images with a surprise map that sums to its NLL."""
    name = tiny_checkpoint(tmp_path, "pixelcnn_dmol-test", "pixelcnn_dmol", {"channels": 4, "n_layers": 1,
                                                                           "mixtures": 2}, monkeypatch)
    assert name in shipped.names("image")
    *_, (_, _, status, rec, _) = pixels.generate(name, seed=1, temperature=1.0, n=2)
    assert "nats" in status and rec.n_values == K and set(rec.x.unique().tolist()) <= set(range(K))
    dist = rec.distribution(300, 1)  # the inspector's bars: the TOP likeliest of the 256 levels
    assert dist.shape == (K,) and (dist > 0).sum() == TOP and 0 < dist.sum().item() <= 1 + 1e-3
    image = torch.randint(0, K, (28, 28), dtype=torch.uint8)
    rows, maps, _ = likelihood.score(image.numpy())
    nll = -shipped.get(name).log_prob(image[None, None].float()).item()
    assert [r[0] for r in rows] == [name] and rows[0][1] == pytest.approx(nll, abs=0.05)
    assert likelihood.surprise(shipped.get(name), image[None, None]).sum().item() == pytest.approx(nll, rel=1e-5)
