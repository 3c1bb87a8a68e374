"""gen_core.models.gan: the two players, their losses, class control, truncation and slerp."""
import pytest
import torch
import torch.nn.functional as F

from gen_core.models.gan import GAN, class_labels, discriminator_loss, generator_loss, slerp

TINY = {"z_dim": 8, "channels": 4}


def test_generator_and_discriminator_shapes_and_ranges():
    torch.manual_seed(0)
    for n_classes in (0, 10):
        m = GAN(**TINY, n_classes=n_classes).eval()
        y = class_labels(5, n_classes)
        x = m.generate(m.noise(5) * 10, y)  # far-out z: tanh still bounds the pixels
        assert x.shape == (5, 1, 28, 28) and x.min() >= -1 and x.max() <= 1 and x.std() > 0
        assert m.logit(x, y).shape == (5,)
        d = m.discriminate(x, y)
        assert d.shape == (5,) and ((d > 0) & (d < 1)).all()


def test_the_non_saturating_loss_is_its_formula():
    l_fake = torch.tensor([-3.0, -0.5, 0.0, 2.0])
    d_fake = 1 / (1 + torch.exp(-l_fake))
    assert generator_loss(l_fake).item() == pytest.approx(-torch.log(d_fake).mean().item(), rel=1e-6)
    l_real = torch.tensor([1.0, 4.0, -1.0, 0.5])
    d_real = 1 / (1 + torch.exp(-l_real))
    smoothed = -(0.9 * torch.log(d_real) + 0.1 * torch.log(1 - d_real)).mean() - torch.log(1 - d_fake).mean()
    assert discriminator_loss(l_real, l_fake, 0.9).item() == pytest.approx(smoothed.item(), rel=1e-6)
    # where D rejects a sample (D(G(z)) ~ 0), -log D still has a gradient; log(1 - D) has almost none
    l = torch.tensor([-8.0], requires_grad=True)
    generator_loss(l).backward()
    saturating = torch.tensor([-8.0], requires_grad=True)
    F.logsigmoid(-saturating).sum().backward()  # log(1 - D(G(z))) = log sigma(-l)
    assert abs(l.grad.item()) > 0.99 and abs(saturating.grad.item()) < 1e-3


def test_changing_only_the_class_changes_the_conditional_generator_output():
    torch.manual_seed(0)
    m = GAN(**TINY, n_classes=10).eval()
    z = m.noise(3, torch.Generator().manual_seed(1))
    same = m.generate(z, torch.tensor([2, 2, 2]))
    assert torch.equal(same, m.generate(z, torch.tensor([2, 2, 2])))
    other = m.generate(z, torch.tensor([7, 7, 7]))
    assert (same - other).abs().amax((1, 2, 3)).min() > 1e-4
    with pytest.raises(ValueError, match="0..9"):
        m.generate(z, torch.tensor([2, 2, 10]))
    with pytest.raises(ValueError, match="unconditional"):
        GAN(**TINY).generate(z, torch.tensor([1, 1, 1]))


def test_class_labels_take_every_class_in_turn():
    assert class_labels(12, 10).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert class_labels(12, 0) is None


def test_truncation_scales_z_and_slerp_joins_the_two_ends():
    m = GAN(**TINY)
    z = m.noise(4, torch.Generator().manual_seed(3))
    assert torch.allclose(m.noise(4, torch.Generator().manual_seed(3), 0.5), 0.5 * z)
    path = slerp(z[0], z[1], 6)
    assert path.shape == (6, 8) and torch.allclose(path[0], z[0], atol=1e-6) and torch.allclose(path[-1], z[1], atol=1e-6)
