"""gen_core.tasks.text: character models train and evaluate through the generic CLIs on any text file or the names."""
import json
import math

import pytest

from conftest import needs_data
from gen_core import checkpoints, evaluate, train
from gen_core.data import text as data


def test_any_text_file_trains_through_the_cli_and_evaluates(tmp_path):
    corpus = tmp_path / "poem.txt"
    corpus.write_text("the cat sat on the mat. " * 400, encoding="utf-8")
    meta = train.main(["char_lstm", "--corpus", str(corpus), "--epochs", "8", "--batch-size", "8",
                       "--config", json.dumps({"hidden": 32, "n_layers": 1, "dropout": 0}), "--lr", "0.01",
                       "--out", str(tmp_path / "ck"), "--run-dir", str(tmp_path / "runs"), "--device", "cpu"])
    assert meta["config"]["chars"] == " .acehmnost" and meta["dataset"] == str(corpus)
    assert meta["metrics"]["eval_nats_per_char"] < 0.7 * math.log(12)  # well below uniform over the vocabulary
    assert (tmp_path / "ck" / "char_lstm-poem.txt").is_file()  # the samples shipped beside the checkpoint
    rows = evaluate.evaluate([str(tmp_path / "ck" / "char_lstm-poem")])
    assert rows[0]["metrics"]["eval_nats_per_char"] == pytest.approx(meta["metrics"]["eval_nats_per_char"], abs=1e-6)
    model = checkpoints.load(tmp_path / "ck" / "char_lstm-poem")
    assert model.sample(1, 20, prime="the ", temperature=0)[0].startswith("the ")


@needs_data("names")
def test_names_training_ships_the_training_name_hashes(tmp_path):
    meta = train.main(["char_rnn", "--dataset", "names", "--limit", "300", "--epochs", "1", "--batch-size", "50",
                       "--config", json.dumps({"hidden": 16}), "--out", str(tmp_path / "ck"),
                       "--run-dir", str(tmp_path / "runs"), "--device", "cpu"])
    assert meta["config"]["end_token"] and meta["data_protocol"]["eval_split"] == "test"
    train_names = data.split_names(data.read_names(data.locate("names").read_text()))["train"][:300]
    seen = data.NameSet(meta["train_name_hashes"])
    assert len(seen) == 300 and all(n in seen for n in train_names)
