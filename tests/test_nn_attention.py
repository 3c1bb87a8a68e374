"""The shared causal transformer: step-by-step decoding with a KV cache equals the full pass; with a sliding
window and rotary positions, a ring of keys steps on past the window like the band-masked full pass."""
import pytest
import torch

from gen_core.nn import CausalTransformer
from gen_core.nn.attention import ROTATION_BLOCK, Rotation, rotary_theta


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


def random_net(window, n_layers=3, seed=0):
    torch.manual_seed(seed)
    net = CausalTransformer(d_model=32, n_heads=4, n_layers=n_layers, window=window).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0, 0.2)
    return net


def test_a_sliding_window_steps_on_past_its_ring_of_keys_like_the_band_masked_full_pass():
    net = random_net(window=10)
    h = torch.randn(2, 35, 32)
    with torch.no_grad():
        full = net(h)
        cache = net.new_cache(batch=2)
        steps = torch.stack([net.step(h[:, t], cache) for t in range(35)], dim=1)
        read = net.new_cache(batch=2)
        prefix = net(h[:, :23], read)  # longer than the window: the ring keeps the last 10 positions
        after = torch.stack([net.step(h[:, t], read) for t in range(23, 35)], dim=1)
    assert cache.k[0].shape[2] == 10 and cache.length == [35] * 3
    torch.testing.assert_close(steps, full, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(torch.cat([prefix, after], 1), full, atol=1e-5, rtol=1e-5)


def test_each_layer_sees_its_last_window_positions_only():
    """One layer: output t depends on inputs t-9..t of a window of 10; three layers reach 3 x 9 positions back."""
    h = torch.randn(1, 40, 32)
    older, recent = h.clone(), h.clone()
    older[:, :30 - 9] = torch.randn(1, 30 - 9, 32)
    recent[:, 30 - 9] = torch.randn(32)
    with torch.no_grad():
        for n_layers, unchanged in ((1, older), (3, h.clone())):
            net = random_net(window=10, n_layers=n_layers)
            unchanged[:, :30 - 27] = torch.randn(1, 3, 32)
            torch.testing.assert_close(net(unchanged)[:, 30], net(h)[:, 30])
            assert not torch.allclose(net(recent)[:, 30], net(h)[:, 30])


def test_rotary_scores_depend_on_the_distance_only():
    torch.manual_seed(0)
    q, k = torch.randn(1, 1, 1, 8), torch.randn(1, 1, 1, 8)

    def score(t, s):
        R_t, R_s = (Rotation.of(torch.tensor([p]), rotary_theta(8)) for p in (t, s))
        return (R_t.rotate(q) * R_s.rotate(k)).sum()

    torch.testing.assert_close(score(7, 3), score(1_000_007, 1_000_003), atol=1e-5, rtol=1e-5)
    assert not torch.allclose(score(7, 3), score(7, 4))
    torch.testing.assert_close(score(5, 5), (q * k).sum())  # no turn at distance 0


def test_rotary_positions_need_an_even_head_size():
    with pytest.raises(ValueError, match="even d_head"):
        CausalTransformer(d_model=12, n_heads=4, n_layers=1, window=5)


def test_a_sampling_step_reads_the_rotation_its_position_gets_in_a_full_pass():
    net = CausalTransformer(16, 2, 1, window=4)
    for t in (0, 5, ROTATION_BLOCK - 1, ROTATION_BLOCK, 3 * ROTATION_BLOCK + 7):
        step, full = net.rotation(t, 1), net.rotation(t, 2)
        assert torch.equal(step.cos, full.cos[:1]) and torch.equal(step.sin, full.sin[:1])
