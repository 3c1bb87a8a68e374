"""MADE: its scans, causality in any ordering, order-agnostic training, and an ordering that is a value
(concurrent calls on one model give the serial results)."""
import concurrent.futures

import pytest
import torch

from gen_core.models import build
from gen_core.models.made import SCANS, MADEInOrder, scan
from test_models_base import MADE_ORDERINGS, check_causal, random_images, tiny


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


def test_concurrent_completions_and_scores_on_one_model_equal_the_serial_results():
    """16 calls at once on one MADE (completions with different masks, and scoring) as the app makes them."""
    model = tiny("made", 6, std=0.3, **MADE_ORDERINGS)
    x = random_images(model, 4)

    def call(k):
        if k % 2:
            return model.log_prob(x)
        mask = torch.rand(6, 6, generator=torch.Generator().manual_seed(k)) < 0.5
        return model.sample(3, known=x[0, 0], known_mask=mask, generator=torch.Generator().manual_seed(k))

    serial = [call(k) for k in range(16)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(call, range(16)))
    assert all(torch.equal(a, b) for a, b in zip(serial, parallel))
    assert not torch.equal(serial[0], serial[2])  # different masks and seeds: different completions
