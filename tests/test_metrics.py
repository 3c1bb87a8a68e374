"""gen_core.metrics: the Fréchet distance, the classifier-feature FID and the blur of the reference images."""
import pytest
import torch

from gen_core import metrics
from gen_core.models.classifier import Classifier


def test_frechet_distance_matches_closed_forms():
    a, b = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 1.0, 1.0])
    mu1, mu2 = torch.zeros(3), torch.tensor([1.0, 0.0, 2.0])
    # diagonal covariances: ||mu1 - mu2||^2 + sum (sqrt a - sqrt b)^2
    expected = 5 + ((a.sqrt() - b.sqrt()) ** 2).sum().item()
    assert metrics.frechet_distance(mu1, torch.diag(a), mu2, torch.diag(b)) == pytest.approx(expected, rel=1e-9)
    q, _ = torch.linalg.qr(torch.randn(3, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64))
    s = q @ torch.diag(a.double()) @ q.T  # rotated: the same distance to itself, 0
    assert metrics.frechet_distance(mu1, s, mu1, s) == pytest.approx(0, abs=1e-9)


def blobs(n, seed=0):
    """Synthetic 28x28 images in [-1, 1]: a bright rectangle at a random place on black."""
    g = torch.Generator().manual_seed(seed)
    x = -torch.ones(n, 1, 28, 28)
    for i, (r, c, h, w) in enumerate(torch.randint(0, 14, (n, 4), generator=g).tolist()):
        x[i, 0, r:r + h + 4, c:c + w + 4] = 1
    return x


def test_the_classifier_fid_is_zero_for_a_set_and_itself_and_grows_with_noise():
    torch.manual_seed(0)
    net = Classifier(channels=4, features=16).eval()
    x = blobs(400)
    g = torch.Generator().manual_seed(1)
    noise = torch.randn(x.shape, generator=g)
    assert metrics.fid(net, x, x) == pytest.approx(0, abs=1e-6)
    scores = [metrics.fid(net, (x + s * noise).clamp(-1, 1), x) for s in (0.1, 0.3, 1.0)]
    assert 0 < scores[0] < scores[1] < scores[2]
    assert metrics.fid(net, metrics.blur(x), x) > 0


def test_blur_keeps_flat_images_and_softens_edges():
    flat = torch.full((2, 1, 28, 28), 0.3)
    assert torch.allclose(metrics.blur(flat), flat, atol=1e-6)
    x = blobs(4)
    assert metrics.blur(x).shape == x.shape and metrics.blur(x).diff(dim=3).abs().max() < x.diff(dim=3).abs().max()


def test_features_and_class_accuracy_go_batch_by_batch_in_eval_mode():
    torch.manual_seed(0)
    net = Classifier(channels=4, features=16).train()  # dropout on: the metrics must switch it off
    x = blobs(1200)  # three batches of 500
    phi = metrics.features(net, x)
    assert phi.dtype == torch.float64 and torch.allclose(phi, net.eval().features(x).double(), atol=1e-5)
    predicted = net(x).argmax(1)
    assert metrics.class_accuracy(net.train(), x, predicted) == 1
    assert metrics.class_accuracy(net, x, (predicted + 1) % 10) == 0
