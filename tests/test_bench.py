"""gen_core.bench: every family it times reports its figure; a model it cannot time is refused clearly."""
import pytest

from gen_core import bench


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

    class Names:  # a model whose texts end after 3 characters; each drawn character takes a 1 ms tick
        class vocab:
            end = True

        def sample(self, n, length, prime, seed, on_step):
            for t in range(min(3, length)):
                ticks.append(1)
                on_step(t, None, None)

    ticks = []
    monkeypatch.setattr(clock, "perf_counter", lambda: len(ticks) * 1e-3)
    assert bench.sampling_rate(Names(), 10) == pytest.approx(1000)
    assert len(ticks) == 10


def test_training_steps_are_timed_in_both_precisions(capsys):
    rows = bench.main(["fvsbn", "--train"])
    assert [r["model"] for r in rows] == ["fvsbn"]
    assert rows[0]["s_per_step_float32"] > 0 and rows[0]["s_per_step_bf16"] > 0 and rows[0]["batch_size"] == 100
    assert "fvsbn" in capsys.readouterr().out
