"""Properties every autoregressive image model must have, checked on tiny instances of each."""
import itertools

import pytest
import torch

from gen_core.models import REGISTRY, build
from gen_core.models.made import SCANS, MADEInOrder, scan
from gen_core.sampling import RecomputeStepper, iter_sample, sample

# small configs: the same classes and code paths as the shipped models, sized for a fast test
TINY = {
    "fvsbn": {},
    "nade": {"hidden": 8},
    "made": {"hidden": [24, 24], "eval_orders": 3},
    "pixelcnn": {"channels": 8, "n_blocks": 2, "head_channels": 8},
    "pixelcnn_8bit": {"channels": 8, "n_blocks": 2, "head_channels": 8},
    "gated_pixelcnn": {"channels": 8, "n_layers": 3},
    "pixelrnn": {"channels": 8, "n_layers": 2},
    "image_transformer": {"d_model": 16, "n_heads": 2, "n_layers": 2},
}
NAMES = [n for n in REGISTRY if n in TINY]
# every registry model, plus the softmax (K-valued) variant of each family that has one
SOFTMAX_FAMILIES = ("pixelcnn", "gated_pixelcnn", "pixelrnn", "image_transformer")
# and MADE as a mixture over the registry's four scans, one member each
MADE_ORDERINGS = {"orderings": REGISTRY["made"].config["orderings"], "eval_orders": 4}
CASES = ([(n, {}) for n in NAMES] + [(n, {"n_values": 4}) for n in NAMES if n in SOFTMAX_FAMILIES]
         + [("made", MADE_ORDERINGS)])
IDS = [n + ("-K4" if "n_values" in o else "-orderings" if o else "") for n, o in CASES]


def tiny(name, image_size, std=0.5, seed=0, **overrides):
    torch.manual_seed(seed)
    model = build(name, {**TINY[name], "image_size": image_size, **overrides})
    with torch.no_grad():  # large random weights, so that any dependence shows up clearly
        for p in model.parameters():
            p.normal_(0, std)
    return model.eval()


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
    assert depends_on_past, "the last pixel ignores all earlier pixels"


@pytest.mark.parametrize("name,overrides", CASES, ids=IDS)
def test_output_i_ignores_inputs_from_i_on(name, overrides):
    check_causal(tiny(name, 5, **overrides))


def test_made_is_causal_under_any_ordering():
    model = tiny("made", 5)
    check_causal(MADEInOrder(model, model.masks(torch.randperm(25, generator=torch.Generator().manual_seed(3)), 7)))


def test_made_members_are_causal_in_their_own_orderings():
    model = tiny("made", 4, **MADE_ORDERINGS)
    orders = set()
    for k in range(4):
        member = MADEInOrder(model, model.member(k))
        check_causal(member)
        orders.add(tuple(member.order.tolist()))
    columns = tuple(r * 4 + c for c in range(4) for r in range(4))
    assert orders == {tuple(range(16)), tuple(range(15, -1, -1)), columns, columns[::-1]}


def test_the_eight_scans_read_the_image_from_each_corner():
    assert scan("rows from top-left", 2).tolist() == [0, 1, 2, 3]  # the raster order
    assert scan("rows from top-right", 2).tolist() == [1, 0, 3, 2]
    assert scan("columns from bottom-left", 2).tolist() == [2, 0, 3, 1]
    assert scan("columns from bottom-right", 2).tolist() == [3, 1, 2, 0]
    assert len({tuple(scan(name, 3).tolist()) for name in SCANS}) == 8


def test_made_rejects_an_unknown_ordering():
    with pytest.raises(ValueError, match="unknown ordering 'diagonal'"):
        build("made", {"hidden": [8], "orderings": ["rows from top-left", "diagonal"]})


def test_made_dropout_acts_in_training_only_and_keeps_the_masks():
    model = tiny("made", 4, dropout=0.5).train()
    x = random_images(model, 1).requires_grad_()
    out, order = model.logits(x).flatten(), model.order.tolist()
    for i, pos in enumerate(order):  # one pass, one dropout draw: no path from x_{o_>=i} to output o_i
        grad = torch.autograd.grad(out[pos], x, retain_graph=True)[0].flatten()
        assert grad[order[i:]].abs().sum() == 0, f"step {i} depends on pixels at or after it"
    with torch.no_grad():
        assert not torch.equal(model.logits(x), model.logits(x))
        model.eval()
        assert torch.equal(model.logits(x), model.logits(x))


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


@pytest.mark.parametrize("name", NAMES)
def test_fast_stepper_samples_exactly_what_recomputation_samples(name):
    model = tiny(name, 5, std=0.3)
    fast = model.sample(3, generator=torch.Generator().manual_seed(0))
    slow = sample(model, 3, generator=torch.Generator().manual_seed(0), stepper=RecomputeStepper)
    assert torch.equal(fast, slow)


def test_made_completion_conditions_on_every_known_pixel():
    """With the known pixels first in its ordering, MADE's unknown pixels depend on all of them."""
    model = tiny("made", 4)
    mask = torch.zeros(1, 4, 4, dtype=torch.bool)
    mask[0, 3, 3] = True  # the last raster pixel is known: a raster-order model could not use it
    x = random_images(model, 1)
    view = model.conditioned_on(mask[None])
    assert view.order[0].item() == 15
    flipped = x.clone()
    flipped[0, 0, 3, 3] = 1 - flipped[0, 0, 3, 3]
    assert not torch.allclose(view.logits(x)[0, 0, 0, 0], view.logits(flipped)[0, 0, 0, 0])
    assert model.order.tolist() == list(range(16))  # the model itself is untouched


def test_the_loop_streams_every_pixel_in_order():
    model = tiny("nade", 4)
    seen = [(i, pos, x.clone(), p.clone()) for i, pos, x, p in iter_sample(model, 2)]
    assert [i for i, *_ in seen] == list(range(16)) and [pos for _, pos, *_ in seen] == model.order.tolist()
    assert all(((p >= 0) & (p <= 1)).all() for *_, p in seen)
    assert seen[0][2].flatten(1)[:, 1:].eq(0).all()  # nothing beyond the first pixel drawn yet


def test_fvsbn_has_d_times_d_plus_one_over_two_parameters():
    model = build("fvsbn")
    assert sum(p.numel() for p in model.parameters()) == 784 * 785 // 2


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


def test_made_trains_over_its_scans_and_known_first_orderings():
    model = build("made", {"hidden": [16], "random_order_p": 0.5})  # the registry's scans
    scans = {tuple(order.tolist()) for order in model.scans}
    seen, others = [], set()
    for _ in range(60):
        order, _ = model.training_state()
        assert sorted(order.tolist()) == list(range(784))
        if tuple(order.tolist()) in scans:
            seen.append(tuple(order.tolist()))
            continue
        others.add(tuple(order.tolist()))
        # a known set first, then the rest: each part in raster order, so at most one descent
        assert int((order[1:] < order[:-1]).sum()) <= 1
    assert 12 <= len(seen) <= 48 and len(others) == 60 - len(seen)  # both kinds, every random one new
    assert set(seen) == scans and len(scans) == 4


@pytest.mark.parametrize("fixed", [True, False])
def test_made_fixed_masks_trains_the_evaluation_connectivities(fixed):
    model = build("made", {"hidden": [16], "eval_orders": 3, "random_order_p": 0.0, "fixed_masks": fixed})
    eval_masks = [model.member(k).hidden[0] for k in range(3)]
    used = []
    scored = model.masked_log_prob
    model.masked_log_prob = lambda x, m: used.append(m.hidden[0]) or scored(x, m)
    x = (torch.rand(2, 1, 28, 28) < 0.5).float()
    for _ in range(6):
        model.loss(x)
    trained = [any(torch.equal(mask, m) for m in eval_masks) for mask in used]
    assert len(trained) == 6 and (all(trained) if fixed else not any(trained))
