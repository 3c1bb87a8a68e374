"""A recorded draw replays exactly: the canvas after k steps is what the loop had after k pixels."""
import pytest
import torch

from gen_core.recording import Recording
from gen_core.sampling import iter_sample
from test_models_base import tiny


def record(model, n, **options):
    rec = Recording.start(model, n, options.get("known_mask"))
    frames = []
    for step in iter_sample(model, n, **options):
        rec.add(model, step, options.get("temperature", 1.0))
        frames.append((step.x.clone(), step.probs.clone()))
    return rec, frames


@pytest.mark.parametrize("name,overrides", [("nade", {}), ("pixelcnn", {"n_values": 4}), ("made", {})])
def test_scrubbing_to_step_k_gives_the_canvas_the_model_had_after_k_pixels(name, overrides):
    model = tiny(name, 5, std=0.3, **overrides)
    rec, frames = record(model, 3, generator=torch.Generator().manual_seed(4), temperature=0.8)
    assert rec.steps == 25 and torch.equal(rec.canvas(0), torch.zeros(3, 1, 5, 5))
    for k in range(1, 26):
        assert torch.equal(rec.canvas(k), frames[k - 1][0]), k
        torch.testing.assert_close(rec.map(k), frames[k - 1][1], atol=1e-3, rtol=0)  # float16 storage
    with pytest.raises(ValueError, match="outside"):
        rec.canvas(26)


def test_each_step_keeps_the_distribution_it_was_drawn_from():
    model = tiny("pixelcnn", 4, std=0.3, n_values=4)
    rec, frames = record(model, 2, generator=torch.Generator().manual_seed(1), temperature=0.5)
    for k in range(1, 17):
        pos = rec.position(k)
        logits = model.logits(rec.canvas(k - 1)).flatten(2)[:, :, pos]  # teacher forcing on what it saw
        expected = torch.softmax(logits / 0.5, dim=1)
        for j in range(2):
            torch.testing.assert_close(rec.distribution(k, j), expected[j], atol=2e-3, rtol=0)
    assert torch.allclose(rec.dists.float().sum(-1), torch.ones(16, 2), atol=1e-2)


def test_a_256_level_model_keeps_the_likeliest_levels_and_the_whole_mean():
    model = tiny("pixelcnn", 3, std=0.05, n_values=256)  # flat-ish: mass spread over many levels
    rec, frames = record(model, 2, generator=torch.Generator().manual_seed(1))
    assert rec.dists.shape == (9, 2, 32) and rec.levels.dtype == torch.uint8  # 32 of 256 levels, float16
    for k in range(1, 10):
        full = torch.softmax(model.logits(rec.canvas(k - 1)).flatten(2)[:, :, rec.position(k)], dim=1)
        kept = rec.distribution(k, 0)
        top = full[0].topk(32)
        torch.testing.assert_close(kept[top.indices], top.values, atol=1e-3, rtol=1e-2)
        assert kept.count_nonzero() == 32
        torch.testing.assert_close(rec.map(k), frames[k - 1][1], atol=1e-5, rtol=0)  # the mean of all 256


def test_a_completion_keeps_its_known_pixels_at_every_step():
    model = tiny("made", 4, std=0.3)
    known = torch.ones(4, 4)
    mask = torch.zeros(1, 4, 4, dtype=torch.bool)
    mask[0, :2] = True
    rec, frames = record(model, 2, known=known, known_mask=mask, generator=torch.Generator().manual_seed(0))
    for k in range(17):
        assert torch.equal(rec.canvas(k)[:, :, :2], torch.ones(2, 1, 2, 4))
    assert torch.equal(rec.canvas(16), frames[-1][0])
    assert set(rec.order[:8].tolist()) == set(range(8))  # MADE draws (skips) the known pixels first


@pytest.mark.parametrize("name,overrides,known", [("nade", {}, False), ("pixelcnn", {"n_values": 64}, False),
                                                  ("fvsbn", {}, True)])
def test_steps_kept_in_chunks_are_the_steps_kept_one_by_one(name, overrides, known):
    model = tiny(name, 5, std=0.3, **overrides)
    options = {"generator": torch.Generator().manual_seed(4), "temperature": 0.8}
    if known:  # a completion: steps whose pixel every image knew have no distribution (fvsbn skips them)
        mask = torch.zeros(5, 5, dtype=torch.bool)
        mask[:2] = True
        options |= {"known": torch.ones(5, 5), "known_mask": mask}
    one_by_one, _ = record(model, 3, **options)
    options["generator"] = torch.Generator().manual_seed(4)
    chunked, steps = Recording.start(model, 3, options.get("known_mask")), list(iter_sample(model, 3, **options))
    for a in range(0, len(steps), 7):
        chunked.extend(model, steps[a:a + 7], 0.8)
    assert chunked.steps == one_by_one.steps == 25
    for field in ("order", "x", "dists", "levels"):
        a, b = getattr(chunked, field), getattr(one_by_one, field)
        assert (a is None and b is None) or torch.equal(a.nan_to_num(-1), b.nan_to_num(-1)), field
    torch.testing.assert_close(chunked.expect, one_by_one.expect, equal_nan=True)
