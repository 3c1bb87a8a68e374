"""gen_core.tasks.autoencoding: training a VAE, a conditional VAE and an autoencoder measures what each has
(both bounds, or the reconstruction error) under the sidecar's names, and ships the test images' codes; the
denoising and the sparse autoencoder are also measured on fixed corruptions, beside the plain autoencoder."""
import pytest
import torch

from gen_core import checkpoints, metrics, tasks
from gen_core.data import binarize, load_split
from gen_core.models.gan import class_labels
from gen_core.tasks import autoencoding
from gen_core.tasks.gan import Adversarial

pytest_plugins = ["latent_models"]  # the fixtures labelled_data and published


def test_training_measures_both_bounds_and_ships_the_codes(published):
    out, metas = published
    m = metas["vae"]["metrics"]
    assert m["iw_samples"] >= 100 and m["test_images"] == 40
    assert m["test_neg_elbo_nats"] == pytest.approx(m["test_reconstruction_nats"] + m["test_kl_nats"])
    assert 0 < m["test_iw_nll_nats"] < m["test_neg_elbo_nats"] + 1  # tighter, up to sampling noise
    assert "test_iw_nll_nats" not in metas["ae"]["metrics"] and metas["ae"]["metrics"]["test_reconstruction_error_nats"] > 0
    assert "p(x | y)" in metas["cvae"]["data_protocol"]["metric"]
    codes = checkpoints.read_companion(out / "vae_2d-fashion-mnist", "latents")
    assert codes["mu"].shape == (40, 2) and codes["mu"].dtype == torch.float16 and codes["labels"].shape == (40,)
    assert len(metas["ae"]["latent_std"]) == 16
    for suffix in (".safetensors", ".json", ".png", ".latents.safetensors"):
        assert (out / f"vae_2d-fashion-mnist{suffix}").is_file()


def test_each_model_is_trained_validated_and_tested_on_what_it_has(published):
    """The sidecar's names: -ELBO and both bounds for the VAEs, the reconstruction error for the autoencoder."""
    _, metas = published
    vae = ["test_neg_elbo_nats", "test_iw_nll_nats", "iw_samples", "test_reconstruction_nats", "test_kl_nats"]
    for name, objective, tested in (("vae", "neg_elbo_nats", vae), ("vae_2d", "neg_elbo_nats", vae),
                                    ("cvae", "neg_elbo_nats", vae + ["class_accuracy",
                                                                     "class_accuracy_binarized_test_images"]),
                                    ("ae", "reconstruction_error_nats", ["test_reconstruction_error_nats"])):
        meta = metas[name]
        assert sorted(meta["metrics"]) == sorted([f"val_{objective}", *tested, "test_images"]), name
        assert {f"train_{objective}", f"val_{objective}"} <= set(meta["history"][-1]), name


def test_the_conditional_vae_is_measured_by_whether_it_honours_its_class(published, labelled_data):
    """class_accuracy: the shipped classifier's verdict on 1,000 samples per class, as for the conditional GAN;
    re-measured from the published checkpoint it is the sidecar's number (seeded samples)."""
    out, metas = published
    m = metas["cvae"]["metrics"]
    assert 0 <= m["class_accuracy"] <= 1 and 0 <= m["class_accuracy_binarized_test_images"] <= 1
    for name in ("vae", "vae_2d", "ae"):
        assert "class_accuracy" not in metas[name]["metrics"]
    model = checkpoints.load(out / "cvae-fashion-mnist", "cpu")
    task = tasks.make("cvae", model, "fashion-mnist", data_dir=labelled_data, device="cpu")
    assert task.class_accuracy() == pytest.approx(m["class_accuracy"])
    # by hand: 10,000 samples, the classes in turn, scored by the classifier
    x = Adversarial.vae_samples(model, 10_000)
    assert x.shape == (10_000, 1, 28, 28) and -1 <= x.min() and x.max() <= 1
    by_hand = (metrics.batched(task.yardstick, lambda b: task.yardstick(b).argmax(1), x) == class_labels(10_000, 10))
    assert by_hand.double().mean().item() == pytest.approx(m["class_accuracy"])
    assert task.class_accuracy(limit=20) == pytest.approx(
        metrics.class_accuracy(task.yardstick, Adversarial.vae_samples(model, 20), class_labels(20, 10)))


def test_the_denoising_and_the_sparse_autoencoder_are_tested_on_the_same_corrupted_images(published, labelled_data):
    """Both report their denoising error on the test images corrupted once (a fixed seed), beside the shipped plain
    autoencoder's on the same images; the denoising one validates on that error; the sparse one reports its code's
    sparsity and the per-unit activity the app draws."""
    out, metas = published
    dae, sparse = metas["dae"], metas["sparse_ae"]
    assert {"train_denoising_error_nats", "val_denoising_error_nats"} <= set(dae["history"][-1])
    m = sparse["metrics"]
    assert m["test_sparse_objective_nats"] == pytest.approx(m["test_reconstruction_error_nats"] + m["test_l1_penalty_nats"])
    assert 0 <= m["test_inactive_fraction"] <= 1 and 0 <= m["test_dead_units"] <= 64
    assert m["test_active_units"] == pytest.approx(64 * (1 - m["test_inactive_fraction"]), rel=1e-4)
    assert len(sparse["unit_activity"]) == 64 and "unit_activity" not in dae
    images, labels = load_split("fashion-mnist", "test", labelled_data)
    x = binarize(images)
    x_tilde = autoencoding.corrupted(x, autoencoding.TEST_SEED)
    for name, meta in (("dae", dae), ("sparse_ae", sparse)):
        model = checkpoints.load(out / f"{name}-fashion-mnist")
        own = autoencoding.denoising_errors(model, x, x_tilde, labels).mean().item()
        assert meta["metrics"]["test_denoising_error_nats"] == pytest.approx(own), name
    plain = autoencoding.plain_autoencoder("fashion-mnist", "cpu")
    key = "test_denoising_error_nats_plain_ae"
    if plain is None:  # a clone without the shipped plain autoencoder: nothing to compare with
        assert key not in dae["metrics"] and key not in m
    else:
        figure = autoencoding.denoising_errors(plain, x, x_tilde, labels).mean().item()
        assert dae["metrics"][key] == pytest.approx(figure) and m[key] == pytest.approx(figure)
