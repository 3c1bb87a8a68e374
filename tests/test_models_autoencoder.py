"""gen_core.models.autoencoder: decoding is deterministic and survives a checkpoint (for the VAEs built on it
too), and the latent-model protocol of a model without a likelihood: its reconstruction error, its codes."""
import torch

from gen_core import checkpoints
from gen_core.models.autoencoder import Autoencoder
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
