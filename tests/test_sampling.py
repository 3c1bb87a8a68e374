"""The one sampling loop: it streams every pixel in order, is greedy at temperature 0, checks its inputs,
and draws exactly the same with a model's cached step as with the naive recomputation."""
import pytest
import torch

from gen_core.sampling import RecomputeStepper, iter_sample, sample
from test_models_base import NAMES, tiny


@pytest.mark.parametrize("name", NAMES)
def test_fast_stepper_samples_exactly_what_recomputation_samples(name):
    model = tiny(name, 5, std=0.3)
    fast = model.sample(3, generator=torch.Generator().manual_seed(0))
    slow = sample(model, 3, generator=torch.Generator().manual_seed(0), stepper=RecomputeStepper)
    assert torch.equal(fast, slow)


def test_the_loop_streams_every_pixel_in_order():
    model = tiny("nade", 4)
    seen = [(i, pos, x.clone(), p.clone()) for i, pos, x, p, _ in iter_sample(model, 2)]
    assert [i for i, *_ in seen] == list(range(16)) and [pos for _, pos, *_ in seen] == model.order.tolist()
    assert all(((p >= 0) & (p <= 1)).all() for *_, p in seen)
    assert seen[0][2].flatten(1)[:, 1:].eq(0).all()  # nothing beyond the first pixel drawn yet


def test_temperature_zero_is_greedy():
    model = tiny("fvsbn", 4)
    a = model.sample(2, temperature=0, generator=torch.Generator().manual_seed(0))
    b = model.sample(2, temperature=0, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


@pytest.mark.parametrize("bad", [torch.zeros(5, 5), torch.zeros(3, 1, 6, 6), torch.zeros(6)])
def test_completion_with_a_wrong_shape_says_so(bad):
    model = tiny("fvsbn", 6)
    with pytest.raises(ValueError, match="H x W = 6 x 6"):
        model.sample(2, known=torch.zeros(6, 6), known_mask=bad)



def test_a_level_is_drawn_as_often_as_its_probability_and_an_impossible_one_never():
    from gen_core.sampling import draw

    probs = torch.tensor([0.5, 0.0, 0.2, 0.3, 0.0])
    logits = probs.clamp_min(1e-30).log().expand(40_000, -1)  # softmax(log p) = p
    values, expected = draw(logits, 5, 1.0, torch.Generator().manual_seed(0))
    freq = torch.bincount(values.long(), minlength=5) / len(values)
    assert freq[1] == 0 and freq[4] == 0
    torch.testing.assert_close(freq, probs, atol=0.01, rtol=0)  # 4 standard errors at n = 40,000
    torch.testing.assert_close(expected, torch.full((40_000,), (0.4 + 0.9) / 4))  # E[x] / (K - 1)
