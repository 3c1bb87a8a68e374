"""demo.latent_plots: the Latent tab's pictures: decodings at any scale, the 2-D plane with the current z
marked, the ELBO's bar and the random-codes comparison."""
import numpy as np
import pytest
import torch

from demo import latent_plots as plots
from demo.images import image_grid
from gen_core import latent_space
from gen_core.models.autoencoder import Autoencoder
from gen_core.models.vae import VAE

TINY = {"channels": 2, "hidden": 8}


def test_enlarged_decodings_are_the_app_s_grids_at_another_scale():
    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    assert np.array_equal(plots.enlarged(x, 3, scale=6), image_grid(x, 2, 3))
    small = plots.enlarged(x, 3)
    assert small.shape == (2 + 2 * 30, 2 + 3 * 30, 3)
    assert np.array_equal(plots.enlarged(x, 3, scale=4), small.repeat(4, 0).repeat(4, 1))


def test_the_plane_marks_z_where_it_lies_on_the_scatter():
    torch.manual_seed(0)
    m = VAE(z_dim=2, n_classes=10, **TINY).eval()
    mu, labels = torch.randn(50, 2).half(), torch.randint(0, 10, (50,))
    plane = plots.Plane(m, mu, labels, 3, tuple("abcdefghij"))
    assert np.array_equal(plane.manifold, plots.enlarged(latent_space.manifold(m, 3), latent_space.GRID_POINTS))
    assert plane.scatter.shape == (*plane.manifold.shape[:2], 3)
    h, w = plane.scatter.shape[:2]
    for z, (row, col) in ((torch.tensor([0.0, 0.0]), ((h - 1) / 2, (w - 1) / 2)), (torch.tensor([-9.0, 9.0]), (0, 0))):
        marked = plane.mark(z)
        changed = np.argwhere((marked != plane.scatter).any(-1))  # only red pixels, around z
        assert len(changed) and (marked[tuple(changed.T)] == plots.MARK).all(), z
        assert np.abs(changed.mean(0) - (row, col)).max() < 8, z
    assert not np.array_equal(plane.mark(torch.tensor([1.0, 1.0])), plane.mark(torch.tensor([-1.0, 1.0])))
    with pytest.raises(ValueError, match="2-D"):
        plots.Plane(Autoencoder(z_dim=3, **TINY), mu, labels)


def test_the_elbo_bar_and_the_random_codes_figure():
    fig = plots.elbo_figure({"reconstruction": -80.0, "kl": 10.0, "elbo": -90.0, "samples": 64})
    bars = fig.axes[0].patches
    assert [b.get_width() for b in bars] == [80.0, 10.0] and bars[1].get_x() == 80.0
    fig = plots.random_codes_figure(torch.rand(12, 1, 28, 28), 4)
    assert len(fig.axes[0].get_yticks()) == 3 and fig.axes[0].images[0].get_array().shape == plots.enlarged(
        torch.rand(12, 1, 28, 28), 4, 3).shape
