"""`torchrun --nproc_per_node 2 -m gen_core.train`: two Gloo processes on the CPU, each training on its share of
every global batch, end with the weights one process reaches on the same global batches."""
import json
import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from conftest import ROOT
from gen_core import train
from test_train import synthetic_data  # noqa: F401  (the fixture)

# 200 images in global batches of 21: 10 steps an epoch, shares of 10/11 and a last batch of 11 split 5/6
ARGS = ["nade", "--limit", "200", "--config", '{"hidden": 16}', "--lr", "0.01", "--batch-size", "21",
        "--epochs", "2", "--device", "cpu", "--threads", "1", "--publish"]


def test_two_gloo_processes_train_the_weights_of_one(synthetic_data, tmp_path):  # noqa: F811
    common = [*ARGS, "--data-dir", str(synthetic_data)]
    one = train.main([*common, "--out", str(tmp_path / "one"), "--run-dir", str(tmp_path / "runs-one")])
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           "-m", "gen_core.train", *common, "--out", str(tmp_path / "two"),
                           "--run-dir", str(tmp_path / "runs-two")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("epoch 2: val_nll_nats") == 1  # only rank 0 prints
    assert "2 processes" in done.stdout

    a = load_file(str(tmp_path / "one" / "nade-fashion-mnist.safetensors"))
    b = load_file(str(tmp_path / "two" / "nade-fashion-mnist.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=1e-4, atol=1e-5, msg=k)
    two = json.loads((tmp_path / "two" / "nade-fashion-mnist.json").read_text())
    assert two["processes"] == 2 and two["training"] == one["training"]  # the global batch size, schedule, seed
    for h1, h2 in zip(one["history"], two["history"], strict=True):
        assert h2 == pytest.approx(h1, rel=1e-4)  # train_nll_nats: the mean over the global batches
    state = json.loads((tmp_path / "runs-two" / "nade-fashion-mnist" / "state.json").read_text())
    assert (state["epoch"], state["step"]) == (2, 20)  # the resumable state of one process


def test_torchrun_refuses_the_gans_two_optimizer_step(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(SystemExit, match="train it in one process: python -m gen_core.train dcgan"):
        train.main(["dcgan", "--device", "cpu"])


def test_each_rank_takes_its_share_of_a_global_batch():
    item = torch.arange(11)
    parts = [train.Ranks(r, 2).share(item) for r in range(2)]
    assert torch.equal(torch.cat([p for p, _ in parts]), item)
    assert [w for _, w in parts] == pytest.approx([2 * 5 / 11, 2 * 6 / 11])
    assert train.Ranks(0, 3).share(torch.arange(2))[1] == 0.0  # more ranks than examples: a share that weighs nothing
