"""gen_core.models.ssgan and gen_core.tasks.semi_supervised: the K+1-class losses, D(x) = Z/(Z+1), the 100 labels."""
import math

import pytest
import torch

from gen_core.models.ssgan import SSGAN, feature_matching_loss, log_Z, supervised_loss, unsupervised_loss
from gen_core.tasks.semi_supervised import labelled_subset

TINY = {"z_dim": 8, "channels": 4, "K": 3}


def test_the_semi_supervised_loss_on_a_constructed_case():
    # labelled x with logits (0, ln 3, ln 4), class 1: p(y = 1 | x, y < K+1) = 3 / (1 + 3 + 4)
    assert supervised_loss(torch.tensor([[0.0, math.log(3), math.log(4)]]), torch.tensor([1])).item() == \
        pytest.approx(-math.log(3 / 8), rel=1e-6)
    # a real image with Z = 1 + 1 + 2 = 4: 1 - p(K+1 | x) = 4/5; a fake with Z = 1/2 + 1/4 + 1/4 = 1: p(K+1 | x) = 1/2
    real = torch.tensor([[0.0, 0.0, math.log(2)]])
    fake = torch.tensor([[math.log(1 / 2), math.log(1 / 4), math.log(1 / 4)]])
    assert unsupervised_loss(real, fake).item() == pytest.approx(-math.log(4 / 5) - math.log(1 / 2), rel=1e-6)
    # two of each: the means
    both = unsupervised_loss(torch.cat([real, fake]), torch.cat([fake, real]))
    assert both.item() == pytest.approx((-math.log(4 / 5) - math.log(1 / 2) - math.log(1 / 2) - math.log(1 / 5)) / 2,
                                        rel=1e-6)


def test_d_of_x_is_z_over_z_plus_one_the_k_plus_first_softmax_output():
    torch.manual_seed(0)
    m = SSGAN(**TINY).eval()
    x = m.sample(5)
    logits = m.D(x)
    Z = logits.exp().sum(1)
    with_fake = torch.cat([logits, torch.zeros(5, 1)], 1)  # the (K+1)-th logit fixed at 0
    p_fake = torch.softmax(with_fake, 1)[:, -1]
    assert torch.allclose(m.discriminate(x), Z / (Z + 1), atol=1e-6)
    assert torch.allclose(m.discriminate(x), 1 - p_fake, atol=1e-6)
    assert torch.allclose(log_Z(logits), Z.log(), atol=1e-5)
    # p(y | x, y < K+1): the K real classes' softmax, whatever the fake class takes
    assert torch.allclose(m.classify(x), torch.softmax(with_fake, 1)[:, :-1] / (1 - p_fake[:, None]), atol=1e-6)


def test_the_baseline_is_d_s_architecture_apart_from_it():
    m = SSGAN(**TINY)
    shapes = [p.shape for p in m.D.parameters()]
    assert shapes == [p.shape for p in m.baseline.parameters()] and shapes[-1] == (TINY["K"],)
    assert not {id(p) for p in m.D.parameters()} & {id(p) for p in m.baseline.parameters()}
    assert not m.conditional and m.K == 3 and m.classify(m.sample(2), "baseline").shape == (2, 3)


def test_feature_matching_compares_the_batch_means():
    phi_real = torch.tensor([[1.0, 2.0], [3.0, 2.0]])  # mean (2, 2)
    phi_fake = torch.tensor([[0.0, 5.0], [0.0, 3.0]])  # mean (0, 4)
    assert feature_matching_loss(phi_real, phi_fake).item() == pytest.approx((4 + 4) / 2)
    assert feature_matching_loss(phi_real, phi_real.flip(0)).item() == 0  # the order in a batch does not matter


def test_the_labelled_subset_is_ten_per_class_and_deterministic():
    y = torch.arange(1000) % 10
    chosen = labelled_subset(y)
    assert len(chosen) == 100 and len(set(chosen.tolist())) == 100 and torch.equal(chosen, chosen.sort().values)
    assert torch.bincount(y[chosen]).tolist() == [10] * 10
    assert torch.equal(chosen, labelled_subset(y))           # the same every time
    assert not torch.equal(chosen, labelled_subset(y, seed=1))  # the seed chooses
    # the rule: of each class, the first images in one permutation seeded 0
    order = torch.randperm(1000, generator=torch.Generator().manual_seed(0)).tolist()
    assert set(chosen.tolist()) == {i for k in range(10) for i in [j for j in order if j % 10 == k][:10]}
    with pytest.raises(ValueError, match="10 training images"):
        labelled_subset(torch.arange(95) % 10)
