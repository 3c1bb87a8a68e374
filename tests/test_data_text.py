"""gen_core.data.text: the vocabulary, the corpora's fixed splits, name hashes and encoded names."""
import pytest

from gen_core.data import text as data


def test_vocab_round_trip_drops_unknown_characters_and_stops_at_end():
    v = data.CharVocab("abc", end=True)
    assert v.tokens == [data.START, "a", "b", "c", data.END] and v.end_id == 4
    ids, dropped = v.encode("abxcay!")
    assert ids == [1, 2, 3, 1] and dropped == "xy!"
    assert v.decode([0, 1, 2, 4, 3]) == "ab"
    assert v.show(0) == data.START and data.CharVocab(" \n").show(1) == "␣"


def test_names_splits_are_fixed_disjoint_and_hold_out_1000():
    names = [f"n{i}" for i in range(5000)] + ["n1", "n2"]  # duplicates are removed first
    a, b = data.split_names(data.read_names("\n".join(names))), data.split_names(data.read_names("\n".join(names)))
    assert a == b and len(a["test"]) == len(a["val"]) == 1000 and len(a["train"]) == 3000
    assert not set(a["train"]) & set(a["test"]) and not set(a["val"]) & set(a["test"])


def test_shakespeare_is_split_90_10_by_position_and_found_in_a_text_subfolder(tmp_path, monkeypatch):
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "tinyshakespeare.txt").write_text("abcdefghij" * 100)
    monkeypatch.delenv("GENLAB_DATA")
    corpus = data.load_corpus("shakespeare", tmp_path)
    assert corpus.splits["train"] == ("abcdefghij" * 100)[:900] and len(corpus.splits["val"]) == 100
    assert corpus.vocab.chars == "abcdefghij" and not corpus.lines
    with pytest.raises(ValueError, match="unknown corpus"):
        data.load_corpus("no-such-corpus", tmp_path)


def test_name_hashes_tell_training_names_from_new_ones():
    seen = data.NameSet(data.pack_name_hashes(["emma", "olivia", "ava"]))
    assert len(seen) == 3 and "emma" in seen and "ava" in seen
    assert "emmanuelle" not in seen and "" not in seen


def test_encoded_names_end_with_the_end_token_which_is_a_target():
    v = data.CharVocab("aemv", end=True)
    x, mask = data.encode_names(["emma", "ava"], v)
    assert x.tolist()[1] == [0, 1, 4, 1, 5, 5] and mask.sum(1).tolist() == [5, 4]
