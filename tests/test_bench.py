"""gen_core.bench: every family it times reports its figure; a model it cannot time is refused clearly."""
import pytest
import torch

from gen_core import bench
from gen_core.models.charlm import CharLM


def test_a_model_without_sampling_is_refused_with_the_choices(capsys):
    with pytest.raises(SystemExit):
        bench.main(["classifier"])
    assert "nothing to time for classifier" in capsys.readouterr().err


def test_image_rows_time_the_own_stepper_and_the_naive_one():
    (row,) = bench.bench(["fvsbn"], n=2, naive_steps=3)
    assert row["ms_per_step"] > 0 and row["naive_ms_per_step"] > 0
    assert row["s_for_2_images"] == pytest.approx(row["ms_per_step"] * 784 / 1e3)


def test_gan_rows_time_a_grid():
    (row,) = bench.gan_grid(["dcgan"], n=4, repeats=1)
    assert row["ms_for_4_image_grid"] > 0


def test_the_text_rate_counts_the_characters_actually_drawn(monkeypatch):
    import time as clock

    class Names(CharLM):  # writes "aaa" then <end>; each step, one per character drawn, takes a 1 ms tick
        def __init__(self):
            super().__init__("a", end_token=True)
            self.unused = torch.nn.Parameter(torch.zeros(1))

        def logits(self, x):
            raise AssertionError("the model's own step is timed, not the full pass")

        def start(self, n):
            return 0

        def step(self, token, read):
            ticks.append(1)
            certain = torch.full((len(token), len(self.vocab)), -100.0)
            certain[:, self.vocab.end_id if read == 3 else 1] = 100.0
            return certain, read + 1

    ticks = []
    monkeypatch.setattr(clock, "perf_counter", lambda: len(ticks) * 1e-3)
    assert bench.sampling_rate(Names(), 10) == pytest.approx(1000)
    assert len(ticks) == 10


def test_training_steps_are_timed_in_both_precisions(capsys):
    rows = bench.main(["fvsbn", "--train"])
    assert [r["model"] for r in rows] == ["fvsbn"]
    assert rows[0]["s_per_step_float32"] > 0 and rows[0]["s_per_step_bf16"] > 0 and rows[0]["batch_size"] == 100
    assert "fvsbn" in capsys.readouterr().out


def test_a_crowd_is_timed_one_by_one_and_batched_and_the_batched_rounds_are_shared():
    row = bench.crowd_batching("fvsbn", clients=6)
    assert row["images"] == 1 + 2 + 3 + 4 + 1 + 2
    assert 0 < row["batched_p50_s"] <= row["batched_p95_s"] and 0 < row["alone_p50_s"] <= row["alone_p95_s"]
    assert sum(row["rounds"]) == 6 and len(row["rounds"]) < 6  # some requests shared a round


def test_the_image_table_is_timed_at_each_thread_count(capsys):
    rows = bench.main(["fvsbn", "--threads", "1", "2", "--naive-steps", "2"])
    (row,) = [r for r in rows if r["model"] == "fvsbn"]
    assert row["s_for_16_images_1_threads"] == row["s_for_16_images"] and row["s_for_16_images_2_threads"] > 0
    assert "1 thread(s)" in capsys.readouterr().out
