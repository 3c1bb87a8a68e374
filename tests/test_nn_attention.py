"""The shared causal transformer: step-by-step decoding with a KV cache equals the full pass."""
import pytest
import torch

from gen_core.nn import CausalTransformer


def test_attention_incremental_forward_matches_full_forward():
    torch.manual_seed(0)
    net = CausalTransformer(d_model=32, n_heads=4, n_layers=3).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0, 0.2)
    h = torch.randn(2, 40, 32)
    with torch.no_grad():
        full = net(h)
        cache = net.new_cache(batch=2, max_len=40)
        steps = torch.stack([net.step(h[:, t], cache) for t in range(40)], dim=1)
        torch.testing.assert_close(steps, full, atol=1e-5, rtol=1e-5)
        with pytest.raises(IndexError):
            net.step(h[:, 0], cache)


def test_a_cache_filled_in_one_pass_continues_like_one_filled_step_by_step():
    torch.manual_seed(0)
    net = CausalTransformer(d_model=32, n_heads=4, n_layers=3).eval()
    h = torch.randn(2, 40, 32)
    with torch.no_grad():
        full = net(h)
        cache = net.new_cache(batch=2, max_len=40)
        prefix = net(h[:, :25], cache)
        steps = torch.stack([net.step(h[:, t], cache) for t in range(25, 40)], dim=1)
    torch.testing.assert_close(torch.cat([prefix, steps], 1), full, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="empty cache"):
        net(h[:, :2], cache)


def test_output_t_ignores_later_inputs():
    torch.manual_seed(1)
    net = CausalTransformer(d_model=16, n_heads=2, n_layers=2).eval()
    h = torch.randn(1, 12, 16)
    later = h.clone()
    later[:, 7:] = torch.randn(1, 5, 16)
    with torch.no_grad():
        torch.testing.assert_close(net(later)[:, :7], net(h)[:, :7])
        assert not torch.allclose(net(later)[:, 7], net(h)[:, 7])
