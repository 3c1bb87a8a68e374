"""gen_core.latent_space: the sliders' +-4 sigma range and clipping, encoding and decoding one image, the 2-D
plane's grid of codes and where a code lies on it, the ELBO report and interpolation."""
import pytest
import torch

from gen_core import latent_space
from gen_core.models.autoencoder import Autoencoder
from gen_core.models.vae import VAE

TINY = {"channels": 2, "hidden": 8}


def test_sliders_clip_at_four_sigma():
    vae = VAE(z_dim=2, **TINY)
    assert latent_space.clip(vae, torch.tensor([9.0, -0.5])).tolist() == [4.0, -0.5]
    ae = Autoencoder(z_dim=2, **TINY)
    ae.meta = {"latent_mean": [1.0, -2.0], "latent_std": [0.5, 2.0]}
    low, high = latent_space.limits(ae)
    assert low.tolist() == [-1.0, -10.0] and high.tolist() == [3.0, 6.0]


def test_random_codes_move_to_the_centre_and_spread_of_the_sliders():
    ae = Autoencoder(z_dim=2, **TINY)
    ae.meta = {"latent_mean": [1.0, -2.0], "latent_std": [0.5, 2.0]}
    centre, spread = latent_space.centre_and_spread(ae)
    assert centre.tolist() == [1.0, -2.0] and spread.tolist() == [0.5, 2.0]
    centre, spread = latent_space.centre_and_spread(VAE(z_dim=2, **TINY))
    assert centre.tolist() == [0.0, 0.0] and spread.tolist() == [1.0, 1.0]


def test_an_image_is_encoded_to_its_posterior_mean_and_a_code_decoded_within_the_sliders():
    torch.manual_seed(0)
    m = VAE(z_dim=2, n_classes=10, **TINY).eval()
    x = (torch.rand(1, 1, 28, 28) < 0.3).float()
    z = latent_space.encode(m, x, 3)
    assert torch.equal(z, m.posterior(x, torch.tensor([3]))[0][0].detach())
    far, edge = torch.tensor([9.0, -0.5]), torch.tensor([4.0, -0.5])
    assert torch.equal(latent_space.decode(m, far, 3), m.mean_image(edge[None], torch.tensor([3])))


def test_the_plane_is_the_four_sigma_square_z1_rightwards_z2_upwards():
    torch.manual_seed(0)
    m = VAE(z_dim=2, **TINY).eval()
    n = latent_space.GRID_POINTS
    grid = latent_space.manifold(m)
    assert grid.shape == (n * n, 1, 28, 28)
    corners = torch.tensor([[-4.0, 4.0], [4.0, 4.0], [-4.0, -4.0], [4.0, -4.0]])  # top-left, top-right, ...
    assert torch.allclose(grid[[0, n - 1, n * (n - 1), n * n - 1]], m.mean_image(corners))
    assert latent_space.plane_position(m, torch.tensor([-4.0, 4.0])) == (0.0, 0.0)
    assert latent_space.plane_position(m, torch.tensor([2.0, -2.0])) == (0.75, 0.75)
    assert latent_space.plane_position(m, torch.tensor([9.0, -9.0])) == (1.0, 1.0)  # clipped to the square


def test_the_elbo_report_adds_up_and_interpolation_runs_from_z0_to_z1():
    torch.manual_seed(0)
    m = VAE(z_dim=2, **TINY).eval()
    x = (torch.rand(1, 1, 28, 28) < 0.3).float()
    r = latent_space.elbo_report(m, x)
    assert r["elbo"] == pytest.approx(r["reconstruction"] - r["kl"]) and r["kl"] >= 0 and r["samples"] == 64
    assert r == latent_space.elbo_report(m, x)  # seeded: the same image, the same report
    z0, z1 = torch.tensor([-1.0, 0.5]), torch.tensor([2.0, 1.0])
    strip = latent_space.interpolate(m, z0, z1, 5)
    assert strip.shape == (5, 1, 28, 28)
    assert torch.allclose(strip[[0, -1]], m.mean_image(torch.stack([z0, z1])))
