"""Anomaly detection (gen_core.ood): AUROC and FPR95, the corrected scores, the sets, adversarial examples."""
import json
import math

import pytest
import torch

from conftest import needs_data, tiny_checkpoint
from gen_core import checkpoints, ood
from gen_core.data import DataNotFound
from gen_core.data.gallery import gallery


def test_auroc_matches_the_closed_form_for_two_gaussians():
    g = torch.Generator().manual_seed(0)
    for d in (0.0, 1.0, 2.0):  # AUROC of N(0,1) vs N(d,1) = Phi(d / sqrt 2)
        inlier, outlier = torch.randn(20_000, generator=g), torch.randn(20_000, generator=g) + d
        assert ood.auroc(inlier, outlier) == pytest.approx(0.5 * (1 + math.erf(d / 2)), abs=0.01)
        # FPR at 95 % TPR: P(N(0,1) > d - 1.645) = 1 - Phi(d - 1.645)
        expected = 0.5 * (1 - math.erf((d - 1.6449) / math.sqrt(2)))
        assert ood.fpr_at_tpr(inlier, outlier) == pytest.approx(expected, abs=0.01)


def test_auroc_counts_ties_as_half_and_is_exact_on_small_cases():
    assert ood.auroc(torch.tensor([0.0, 1.0]), torch.tensor([2.0, 3.0])) == 1.0
    assert ood.auroc(torch.tensor([2.0, 3.0]), torch.tensor([0.0, 1.0])) == 0.0
    assert ood.auroc(torch.tensor([1.0, 1.0]), torch.tensor([1.0])) == 0.5
    assert ood.auroc(torch.tensor([0.0, 2.0]), torch.tensor([1.0, 3.0])) == 0.75
    assert ood.fpr_at_tpr(torch.tensor([0.0, 2.0]), torch.tensor([1.0, 3.0]), tpr=1.0) == 0.5


def test_the_threshold_flags_the_chosen_share_of_validation_images():
    val = torch.arange(1000, dtype=torch.float64)
    t = ood.threshold(val, 0.05)
    assert (val > t).double().mean().item() == pytest.approx(0.05, abs=0.001)


def test_the_corrected_score_ranks_a_blank_image_above_a_textured_one():
    """An independent-pixel model with p(x_i = 1) = 0.2 fitted to textured images: a blank image has the lowest
    NLL of all (784 log 1/0.8 = 175 nats), so raw likelihood calls it the most typical image there is. A
    generic local coder (the context table of the gallery's clothes) codes the blank image in a few nats and
    the speckled texture in hundreds, so -log p - L_ctx puts the blank image above every textured one; the
    typicality test puts it far from the typical NLL."""
    g = torch.Generator().manual_seed(0)
    textured = ((torch.rand(200, 1, 28, 28, generator=g) < 0.2) * 255).to(torch.uint8)
    blank = torch.zeros(1, 1, 28, 28, dtype=torch.uint8)
    images = torch.cat([blank, textured])
    x = images.double() / 255
    nll = -(x * math.log(0.2) + (1 - x) * math.log(0.8)).flatten(1).sum(1)
    coder = ood.ContextCoder.fit(gallery()[0], 2)
    s = ood.scores(nll, ood.code_lengths(images, 2, coder), typical_nll=float(nll[1:].mean()))
    assert nll[0] == pytest.approx(784 * math.log(1 / 0.8)) and (nll[0] < nll[1:]).all()  # raw: most typical
    assert (s["context"][0] > s["context"][1:]).all()  # corrected: more anomalous than every textured image
    assert (s["typicality"][0] > s["typicality"][1:]).all()


def test_the_context_coder_is_a_distribution_and_learns_its_images():
    train = gallery()[0]
    for n_values in (2, 256):
        coder = ood.ContextCoder.fit(train, n_values)
        assert coder.log_p.exp().sum(1).double().sub(1).abs().max() < 1e-4  # every context: sums to one
        lengths = coder.code_length(train)
        noise = ood.uniform_noise(len(train), 0)
        raw = 784 * math.log(n_values)  # a code never longer than the raw pixels (noise is stored raw)
        assert (lengths < coder.code_length(noise)).all() and coder.code_length(noise).max() <= raw + 1e-9
        assert ood.ContextCoder(coder.log_p.half(), n_values).code_length(train[:4]) == pytest.approx(
            lengths[:4], rel=1e-2)  # as stored in the companion file


def test_the_sets_are_what_they_say():
    x = gallery()[0][:16]
    moved, turned = ood.shifted(x, 0), ood.rotated(x, 0)
    assert moved.dtype == turned.dtype == torch.uint8 and not torch.equal(moved, x)
    assert sorted(turned.flatten(1).sort(1).values.tolist()) == sorted(x.flatten(1).sort(1).values.tolist())
    blank = ood.near_blank(50, 0)
    assert (blank.flatten(1).max(1).values - blank.flatten(1).min(1).values).max() <= 8
    assert torch.equal(ood.subset(torch.arange(100), 10, 3), ood.subset(torch.arange(100), 10, 3))
    assert len(ood.subset(torch.arange(5), 10, 3)) == 5


def test_adversarial_examples_fool_the_classifier_within_epsilon():
    net = checkpoints.load("classifier-fashion-mnist")
    x, y = gallery()
    clean = ood.predict(net, x).argmax(1)
    for eps in (ood.EPSILON, ood.STRONG_EPSILON):
        for attack in (ood.fgsm(net, x, y, eps), ood.pgd(net, x, y, eps)):
            assert attack.dtype == torch.uint8 and (attack.int() - x.int()).abs().max() <= eps
    strong = ood.pgd(net, x, y, ood.STRONG_EPSILON)
    changed = (ood.predict(net, strong).argmax(1) != clean).double().mean()
    assert changed > 0.7  # measured: 0.85 of 300 test images
    weak = ood.pgd(net, x, y, ood.EPSILON)
    assert (ood.predict(net, weak).argmax(1) == y).double().mean() < (clean == y).double().mean() - 0.3


@needs_data("fashion-mnist")
def test_a_small_measurement_writes_every_model_set_and_score(tmp_path, monkeypatch):
    tiny_checkpoint(tmp_path, "nade-test", "nade", {"hidden": 8}, monkeypatch)
    real = ood.load_split

    def no_mnist(name, *args, **kwargs):
        if name == "mnist":
            raise DataNotFound("mnist not found (test)")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(ood, "load_split", no_mnist)
    said = []
    report = ood.measure(limit=30, log=said.append)
    assert any("skipping the MNIST set" in s for s in said) and any("adversarial" in s for s in said)
    stored = json.loads((tmp_path / ood.RESULTS).read_text())
    assert stored["results"] == report["results"] and stored["protocol"]["sizes"]["test"] == 30
    results = stored["results"]["nade-test"]
    assert set(results) == {"inverted", "shifted", "rotated", "noise", "blank"}
    for by_score in results.values():
        assert set(by_score) == {*ood.SCORES, ood.BATCH_SCORE}
        assert all(0 <= r["auroc"] <= 1 and 0 <= r["fpr95"] <= 1 for r in by_score.values())
    calibration = stored["calibration"]["nade-test"]
    assert calibration["best_score"] in ood.SCORES and calibration["test_fpr"]["nll"] <= 0.25
    assert checkpoints.available() == ["nade-test"]  # the measurements do not pose as a checkpoint
    companion = ood.load_companion()
    assert "context/2" in companion and f"nade-test/{calibration['best_score']}/test" in companion
