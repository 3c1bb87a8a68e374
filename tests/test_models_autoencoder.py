"""gen_core.models.autoencoder: decoding is deterministic and survives a checkpoint (for the VAEs built on it
too), and the latent-model protocol of a model without a likelihood: its reconstruction error, its codes; the
corruption C(x~ | x), the sparse code's penalty and sparsity, and denoising learnt on a small set."""
import pytest
import torch

from gen_core import checkpoints
from gen_core.models.autoencoder import (Autoencoder, DenoisingAutoencoder, SparseAutoencoder, code_sparsity, corrupt,
                                          log_bernoulli)
from gen_core.models.vae import VAE

TINY = {"channels": 2, "hidden": 8}


def test_decoding_is_deterministic_and_survives_a_checkpoint(tmp_path):
    torch.manual_seed(0)
    for m in (VAE(z_dim=2, **TINY), VAE(z_dim=2, n_classes=10, film=True, **TINY), Autoencoder(z_dim=4, **TINY)):
        m.eval()
        z, y = torch.randn(5, m.z_dim), (torch.arange(5) if m.conditional else None)
        first = m.mean_image(z, y)
        assert torch.equal(first, m.mean_image(z, y)) and first.shape == (5, 1, 28, 28)
        assert 0 <= first.min() and first.max() <= 1
        name = type(m).__name__.lower() + str(m.n_classes)
        model_name = "ae" if isinstance(m, Autoencoder) and not isinstance(m, VAE) else ("cvae" if m.conditional else "vae")
        config = {"z_dim": m.z_dim, **TINY, **({"n_classes": 10, "film": True} if m.conditional else {})}
        checkpoints.save(m, tmp_path / name, {"model": model_name, "config": config})
        assert torch.equal(first, checkpoints.load(tmp_path / name).mean_image(z, y))


def test_an_autoencoder_measures_only_its_reconstruction_error():
    torch.manual_seed(0)
    m = Autoencoder(z_dim=4, **TINY).eval()
    x = (torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(1)) < 0.3).float()
    figures = m.measure(x, k=100, generator=torch.Generator().manual_seed(2))
    assert list(figures) == [m.objective] and m.objective == "reconstruction_error_nats" and not m.has_likelihood_bound
    assert torch.equal(figures[m.objective], m.reconstruction_error(x).double())
    assert m.loss((x, None)).item() == figures[m.objective].float().mean().item()  # training minimizes it
    assert "no likelihood" in m.measured_as(100)


def test_an_autoencoders_codes_lie_where_its_sidecar_says():
    m = Autoencoder(z_dim=2, **TINY)
    assert [t.tolist() for t in m.code_distribution()] == [[0.0, 0.0], [1.0, 1.0]]  # no sidecar yet
    m.meta = {"latent_mean": [1.0, -2.0], "latent_std": [0.5, 2.0]}
    assert [t.tolist() for t in m.code_distribution()] == [[1.0, -2.0], [0.5, 2.0]]


def test_the_corruption_drops_pixels_adds_noise_and_stays_an_image():
    x = torch.ones(50, 1, 28, 28)
    assert torch.equal(corrupt(x), x) and torch.equal(corrupt(x, mask=1.0), torch.zeros_like(x))
    dropped = (corrupt(x, mask=0.3, generator=torch.Generator().manual_seed(0)) == 0).float().mean().item()
    assert abs(dropped - 0.3) < 0.01  # 39,200 pixels: 0.3 within ~4 standard deviations
    noisy = corrupt(torch.zeros_like(x), noise=0.5, generator=torch.Generator().manual_seed(0))
    assert noisy.min() == 0 and noisy.max() <= 1 and abs((noisy > 0).float().mean().item() - 0.5) < 0.01
    again = [corrupt(x, 0.5, 0.25, torch.Generator().manual_seed(3)) for _ in range(2)]
    assert torch.equal(*again) and not torch.equal(again[0], corrupt(x, 0.5, 0.25, torch.Generator().manual_seed(4)))
    for noise, mask in ((-0.1, 0.0), (0.0, 1.5), (0.0, -0.2)):
        with pytest.raises(ValueError, match="corruption"):
            corrupt(x, noise, mask)


def test_code_sparsity_on_a_constructed_code():
    z = torch.tensor([[0.0, 2.0, 0.0, 0.005], [1.0, 0.0, 0.0, -3.0]])
    found = code_sparsity(z, threshold=0.01)
    assert found["inactive_fraction"].item() == 5 / 8 and found["active_units"].item() == 1.5
    assert found["mean_l1"].item() == pytest.approx((2.005 + 4.0) / 2)
    assert found["unit_activity"].tolist() == [0.5, 0.5, 0.0, 0.5]


def test_the_sparse_objective_is_the_reconstruction_error_plus_the_weighted_l1_norm_of_the_code():
    torch.manual_seed(0)
    m = SparseAutoencoder(z_dim=4, l1=0.3, **TINY).eval()
    with torch.no_grad():  # whatever the image, f(x) = b: the code is max(0, b) = [0, 2, 0, 0.5]
        m.head.weight.zero_()
        m.head.bias.copy_(torch.tensor([-1.0, 2.0, -0.5, 0.5]))
        m.decoder.fc[0].weight.copy_(torch.tensor([1.0, 3.0, 5.0, 0.5]).expand(8, 4))  # ||d_j|| = sqrt(8) * that
    x = (torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(1)) < 0.3).float()
    assert m.encode(x).tolist() == [[0.0, 2.0, 0.0, 0.5]] * 3
    figures = m.measure(x)
    assert figures["l1_penalty_nats"].tolist() == pytest.approx([0.3 * 8 ** 0.5 * (2 * 3.0 + 0.5 * 0.5)] * 3)
    z = torch.tensor([[0.0, 2.0, 0.0, 0.5]] * 3)
    assert torch.allclose(figures["reconstruction_error_nats"].float(), -log_bernoulli(x, m.decode(z)))
    assert torch.allclose(figures[m.objective], figures["reconstruction_error_nats"] + figures["l1_penalty_nats"])
    assert m.loss((x, None)).item() == pytest.approx(figures[m.objective].mean().item())


def test_the_sparse_penalty_cannot_be_dodged_by_shrinking_the_code_and_growing_the_decoder():
    torch.manual_seed(0)
    m = SparseAutoencoder(z_dim=4, **TINY).eval()
    x = (torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(1)) < 0.3).float()
    before = m.measure(x)
    with torch.no_grad():  # z -> z / 10 (max(0, .) commutes with a positive scale), d_j -> 10 d_j: the same decoder output
        m.head.weight /= 10
        m.head.bias /= 10
        m.decoder.fc[0].weight *= 10
    after = m.measure(x)
    assert torch.allclose(before["reconstruction_error_nats"], after["reconstruction_error_nats"], rtol=1e-5)
    assert torch.allclose(before["l1_penalty_nats"], after["l1_penalty_nats"], rtol=1e-5)
    assert after["l1_penalty_nats"].min() > 0


def bars(n: int, seed: int) -> torch.Tensor:
    """n binary images, each one of 10 horizontal bars (image k: rows 2k + 3 and 2k + 4 on)."""
    rows = torch.randint(0, 10, (n,), generator=torch.Generator().manual_seed(seed))
    x = torch.zeros(n, 1, 28, 28)
    x[torch.arange(n), 0, 2 * rows + 3] = 1
    x[torch.arange(n), 0, 2 * rows + 4] = 1
    return x


def trained(model: Autoencoder, x: torch.Tensor, steps: int = 200) -> Autoencoder:
    torch.manual_seed(0)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(steps):
        batch = x[(step * 20) % len(x):][:20]
        optimizer.zero_grad()
        model.loss((batch, None)).backward()
        optimizer.step()
    return model.eval()


def test_a_denoising_autoencoder_reconstructs_corrupted_images_better_than_a_plain_one():
    """The same architecture and initial weights trained for the same steps: on clean images (the plain
    autoencoder) or on corrupted ones (the denoising one); tested on fresh images, corrupted with a fixed seed."""
    config = {"z_dim": 4, "channels": 8, "hidden": 64}
    x, test = bars(200, 0), bars(100, 1)
    test_tilde = corrupt(test, 0.5, 0.25, torch.Generator().manual_seed(2))
    models = {}
    for name, cls in (("untrained", DenoisingAutoencoder), ("plain", Autoencoder), ("denoising", DenoisingAutoencoder)):
        torch.manual_seed(0)
        models[name] = cls(**config)
    trained(models["plain"], x)
    trained(models["denoising"], x)
    with torch.no_grad():
        error = {name: m.eval().reconstruction_error(test, None, test_tilde).mean().item() for name, m in models.items()}
    assert error["denoising"] < min(error["plain"], error["untrained"]) / 2, error  # measured: 56 vs 974 and 609 nats
