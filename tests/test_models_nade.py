"""NADE's hand-written O(dh) backward pass against numerical differentiation and against autograd."""
import torch

from gen_core.models.nade import NADE, Conditionals


def test_the_o_dh_backward_passes_gradcheck():
    g = torch.Generator().manual_seed(0)
    d, h, batch = 9, 5, 4
    x = (torch.rand(batch, d, generator=g) < 0.5).double().requires_grad_()  # the input gradient too
    W, c, alpha, b = (torch.randn(*shape, generator=g, dtype=torch.double, requires_grad=True)
                      for shape in ((h, d), (h,), (d, h), (d,)))
    assert torch.autograd.gradcheck(Conditionals.apply, (x, W, c, alpha, b))


def test_gradients_match_autograd_through_the_cumulative_sum_at_full_size():
    torch.manual_seed(0)
    model = NADE(image_size=28, hidden=64)
    x = (torch.rand(16, 1, 28, 28) < 0.4).float()
    xs = x.flatten(1)
    a = torch.cat([model.c.expand(16, 1, -1), model.c + torch.cumsum(xs[:, :-1, None] * model.W.t()[:-1], 1)], 1)
    reference = torch.einsum("bdh,dh->bd", torch.sigmoid(a), model.alpha) + model.b
    ours = model.logits(x).flatten(1)
    torch.testing.assert_close(ours, reference, atol=1e-4, rtol=1e-5)
    weights = (torch.rand(16, 784) - 0.5)  # an arbitrary upstream gradient
    for got, want in zip(torch.autograd.grad((ours * weights).sum(), list(model.parameters())),
                         torch.autograd.grad((reference * weights).sum(), list(model.parameters()))):
        torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
