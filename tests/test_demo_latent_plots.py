"""demo.latent_plots: the Latent tab's pictures: decodings at any scale, the 2-D plane with the current z
marked, the ELBO's bar and the random-codes comparison."""
import gradio as gr
import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from demo import latent_plots as plots
from demo.images import image_grid
from gen_core import latent_space
from gen_core.models.autoencoder import Autoencoder
from gen_core.models.vae import VAE

TINY = {"channels": 2, "hidden": 8}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
SLOT_PX = 600  # the narrowest place a Latent plot gets on a 1366-px screen (half the page; measured in Chromium)


def shown_text_px(fig, slot_px: int) -> float:
    """The smallest text of a drawn figure in screen pixels once Gradio shows it in a slot_px-wide place (its
    PNG is drawn at the figure's dpi, shown at its natural width or shrunk to fit, never enlarged)."""
    FigureCanvasAgg(fig).draw()
    sizes = [t.get_fontsize() * fig.dpi / 72 for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return min(sizes) * min(1.0, slot_px / fig.bbox.width)


def overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def legends_clear_of_the_data(fig) -> bool:
    """Every legend (the figure's and the axes') lies outside every axes' data area."""
    FigureCanvasAgg(fig).draw()
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    assert legends, "no legend"
    return not any(overlaps(leg.get_window_extent(), ax.get_window_extent()) for leg in legends for ax in fig.axes)


def beside(app, left: str, *right: str) -> bool:
    """In a built app, the component ``left`` and the components ``right`` (elem_ids) sit in different columns
    of one row: at 1366 px the results show beside the controls, not below them."""
    found = {b.elem_id: b for b in app.blocks.values() if getattr(b, "elem_id", None)}

    def rows(block):  # (row, the child of the row holding block), nearest first
        child, parent = block, block.parent
        while parent is not None:
            if isinstance(parent, gr.Row):
                yield parent, child
            child, parent = parent, parent.parent
    first = dict((id(r), c) for r, c in rows(found[left]))
    for name in right:
        shared = [(r, c) for r, c in rows(found[name]) if id(r) in first]
        if not shared or shared[0][1] is first[id(shared[0][0])]:
            return False
    return True


def labelled(ax) -> bool:
    return bool(ax.get_xlabel()) and bool(ax.get_ylabel() or any(t.get_text() for t in ax.get_yticklabels()))


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
    top, left, bottom, right = plane.box  # the +-4 sigma square on the scatter picture (axes around it)
    assert plane.scatter.ndim == 3 and 0 < top < bottom < plane.scatter.shape[0] and 0 < left < right < plane.scatter.shape[1]
    for z, (row, col) in ((torch.tensor([0.0, 0.0]), ((top + bottom) / 2, (left + right) / 2)),
                          (torch.tensor([-9.0, 9.0]), (top, left))):
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


def test_the_scatter_has_labelled_axes_and_its_legend_off_the_points():
    m = VAE(z_dim=2, n_classes=10, **TINY).eval()
    mu, labels = torch.randn(300, 2, generator=torch.Generator().manual_seed(1)), torch.arange(300) % 10
    fig = plots.scatter_figure(m, mu.numpy(), labels.numpy(), CLASSES)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("z1", "z2")
    assert len(ax.get_xticks()) > 2 and len(ax.get_yticks()) > 2
    assert [t.get_text() for t in fig.legends[0].get_texts()] == list(CLASSES)
    assert legends_clear_of_the_data(fig)
    assert shown_text_px(fig, SLOT_PX) >= 12


def test_every_latent_figure_is_labelled_and_readable_at_1366_px(monkeypatch):
    elbo = plots.elbo_figure({"reconstruction": -80.0, "kl": 10.0, "elbo": -90.0, "samples": 64})
    codes = plots.random_codes_figure(torch.rand(36, 1, 28, 28), 12)
    assert labelled(elbo.axes[0]) and labelled(codes.axes[0]) and legends_clear_of_the_data(elbo)
    assert shown_text_px(elbo, SLOT_PX) >= 12 and shown_text_px(codes, 1200) >= 12
    monkeypatch.setattr(plots, "FONT", 6)  # the check can fail: small text is caught
    assert shown_text_px(plots.elbo_figure({"reconstruction": -80.0, "kl": 10.0, "elbo": -90.0}), SLOT_PX) < 12
