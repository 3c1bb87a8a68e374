"""The contract of models/base.py that every autoregressive image model must keep, checked on tiny instances
of each: causality, normalization, a cached step equal to recomputation, deterministic sampling."""
import itertools

import pytest
import torch

from gen_core.models import REGISTRY, build
from conftest import randomized

# small configs: the same classes and code paths as the shipped models, sized for a fast test
TINY = {
    "histogram": {},
    "histogram_8bit": {},
    "fvsbn": {},
    "nade": {"hidden": 8},
    "made": {"hidden": [24, 24], "eval_orders": 3},
    "pixelcnn": {"channels": 8, "n_blocks": 2, "head_channels": 8},
    "pixelcnn_8bit": {"channels": 8, "n_blocks": 2, "head_channels": 8},
    "gated_pixelcnn": {"channels": 8, "n_layers": 3},
    "pixelcnn_dmol": {"channels": 8, "n_layers": 3, "mixtures": 3},
    "pixelrnn": {"channels": 8, "n_layers": 2},
    "pixelrnn_diagonal": {"channels": 8, "hidden": 8, "n_layers": 2},
    "image_transformer": {"d_model": 16, "n_heads": 2, "n_layers": 2},
}
NAMES = [n for n in REGISTRY if n in TINY]
# every registry model, plus the softmax (K-valued) variant of each family that has one
SOFTMAX_FAMILIES = ("pixelcnn", "gated_pixelcnn", "pixelrnn", "pixelrnn_diagonal", "image_transformer")
# and MADE as a mixture over the registry's four scans, one member each
MADE_ORDERINGS = {"orderings": REGISTRY["made"].config["orderings"], "eval_orders": 4}
CASES = ([(n, {}) for n in NAMES] + [(n, {"n_values": 4}) for n in NAMES if n in SOFTMAX_FAMILIES]
         + [("made", MADE_ORDERINGS)])
IDS = [n + ("-K4" if "n_values" in o else "-orderings" if o else "") for n, o in CASES]


def tiny(name, image_size, std=0.5, seed=0, **overrides):
    torch.manual_seed(seed)
    return randomized(build(name, {**TINY[name], "image_size": image_size, **overrides}), std).eval()


def random_images(model, n, seed=0):
    g = torch.Generator().manual_seed(seed)
    s = model.image_size
    return torch.randint(0, model.n_values, (n, 1, s, s), generator=g).float()


def check_causal(model, trials=3):
    """Logits at order[i] are unchanged when every pixel at order[i:] is redrawn; some earlier one matters."""
    order, d = model.order.tolist(), model.num_pixels
    depends_on_past = False
    for t in range(trials):
        x = random_images(model, 1, seed=t)
        base = model.logits(x).flatten(2)[0]
        for i in range(d):
            later = random_images(model, 1, seed=100 + t * d + i).flatten()
            y = x.clone().flatten()
            y[order[i:]] = later[order[i:]]
            out = model.logits(y.view_as(x)).flatten(2)[0]
            torch.testing.assert_close(out[:, order[i]], base[:, order[i]], atol=1e-5, rtol=1e-5,
                                       msg=f"step {i} depends on pixels at or after it")
        earlier = x.clone().flatten()
        earlier[order[: d // 2]] = model.n_values - 1 - earlier[order[: d // 2]]
        out = model.logits(earlier.view_as(x)).flatten(2)[0]
        depends_on_past |= not torch.allclose(out[:, order[d - 1]], base[:, order[d - 1]])
    # the histogram baseline ignores the context by design (its pixels are independent)
    assert depends_on_past or getattr(model, "context_free", False), "the last pixel ignores all earlier pixels"


@pytest.mark.parametrize("name,overrides", CASES, ids=IDS)
def test_output_i_ignores_inputs_from_i_on(name, overrides):
    check_causal(tiny(name, 5, **overrides))


def all_images(model):
    grid = itertools.product(range(model.n_values), repeat=model.num_pixels)
    s = model.image_size
    return torch.tensor(list(grid), dtype=torch.float32).view(-1, 1, s, s)


@pytest.mark.parametrize("name,overrides", CASES, ids=IDS)
def test_probabilities_sum_to_one(name, overrides):
    model = tiny(name, 3, **overrides)  # 2^9 binary images
    if model.n_values > 2:
        model = tiny(name, 2, **{**overrides, "n_values": 3})  # 3^4 three-level images
    with torch.no_grad():
        total = model.log_prob(all_images(model)).exp().sum().item()
    assert total == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("name,overrides", CASES, ids=IDS)
def test_stepper_matches_teacher_forcing(name, overrides):
    model = tiny(name, 28, std=0.1, **overrides)
    x = random_images(model, 3)
    full = model.logits(x).flatten(2)
    step = model.stepper(x)
    with torch.no_grad():
        for i, pos in enumerate(model.order.tolist()):
            torch.testing.assert_close(step(i), full[:, :, pos], atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name,overrides", CASES, ids=IDS)
def test_sampling_is_deterministic_and_keeps_known_pixels(name, overrides):
    model = tiny(name, 6, std=0.3, **overrides)
    a = model.sample(3, generator=torch.Generator().manual_seed(5))
    b = model.sample(3, generator=torch.Generator().manual_seed(5))
    assert a.shape == (3, 1, 6, 6) and torch.equal(a, b)
    assert set(a.unique().tolist()) <= set(range(model.n_values))
    known = random_images(model, 1, seed=9)[0]
    mask = torch.rand(1, 6, 6, generator=torch.Generator().manual_seed(2)) < 0.5
    out = model.sample(4, known=known, known_mask=mask, generator=torch.Generator().manual_seed(1))
    assert torch.equal(out[:, mask], known[mask].expand(4, -1))


def test_fvsbn_has_d_times_d_plus_one_over_two_parameters():
    model = build("fvsbn")
    assert sum(p.numel() for p in model.parameters()) == 784 * 785 // 2

