import pytest
import torch

from d2lhelper.data.timemachine import load_time_machine, read_time_machine
from d2lhelper.text import Vocab, pad_token_ids, tokenize

MIRROR = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "data"


def test_tokenize_chars_and_words():
    assert tokenize("a cat", "char") == ["a", " ", "c", "a", "t"]
    assert tokenize("the  time\nmachine", "word") == ["the", "time", "machine"]


@pytest.mark.parametrize("args, error, match", [
    (("", "char"), ValueError, "empty corpus"),
    (("   ", "word"), ValueError, "empty corpus"),
    (("abc", "byte"), ValueError, r"token must be one of \('char', 'word'\), got 'byte'"),
    ((["abc"], "char"), TypeError, "text must be a str, got list"),
])
def test_tokenize_validates(args, error, match):
    with pytest.raises(error, match=match):
        tokenize(*args)


def test_vocab_orders_by_frequency_and_round_trips():
    tokens = list("abracadabra")  # a:5 b:2 r:2 c:1 d:1
    vocab = Vocab(tokens, reserved_tokens=["<pad>"])
    assert vocab.idx_to_token == ["<unk>", "<pad>", "a", "b", "r", "c", "d"]
    assert vocab["a"] == 2 and vocab["zebra"] == vocab.unk == 0
    ids = vocab[tokens]
    assert vocab.to_tokens(ids) == tokens
    assert vocab.to_tokens(torch.tensor(ids)) == tokens
    assert vocab.unknown(["a", "x", "y", "x"]) == ["x", "y"]
    assert len(Vocab(tokens, min_freq=2)) == 4  # <unk>, a, b, r


def test_vocab_ngrams_reserved_and_numpy_indices():
    import numpy as np

    words = "the time the time machine".split()
    bigrams = Vocab(list(zip(words, words[1:])))
    assert bigrams.idx_to_token[1] == ("the", "time") and bigrams[("the", "time")] == 1
    # An unknown n-gram is one unknown token, not a sequence of two words.
    assert bigrams[("the", "cat")] == bigrams.unk == 0
    assert bigrams[[("the", "time"), ("a", "cat")]] == [1, 0]
    words_vocab = Vocab(words)  # a word vocabulary: a tuple is a sequence of words
    assert words_vocab[("the", "cat")] == [words_vocab["the"], 0]
    vocab = Vocab(list("ab"), reserved_tokens=["<pad>", "<pad>", "<unk>"])
    assert vocab.idx_to_token == ["<unk>", "<pad>", "a", "b"]
    assert vocab.to_tokens(np.int64(2)) == "a"


def test_vocab_nested_tokens_and_errors():
    vocab = Vocab([["a", "b"], ["b"]])
    assert vocab.idx_to_token == ["<unk>", "b", "a"]
    with pytest.raises(IndexError, match=r"index must be in \[0, 3\) for this vocabulary, got 7"):
        vocab.to_tokens(7)
    with pytest.raises(ValueError, match="min_freq must be an int >= 0, got -1"):
        Vocab(["a"], min_freq=-1)
    with pytest.raises(TypeError, match=r"tokens must be strings \(or tuples of strings for n-grams\), got int"):
        Vocab([1, 2])



def test_pad_token_ids_pads_right_and_returns_lengths():
    ids, lengths = pad_token_ids([[5, 6, 7], [8], []], pad_index=1)
    assert ids.tolist() == [[5, 6, 7], [8, 1, 1], [1, 1, 1]]
    assert lengths.tolist() == [3, 1, 0]
    assert ids.dtype == lengths.dtype == torch.int64
    # Row i holds sequence i and then only padding, whatever order the lengths come in.
    vocab = Vocab("the time machine is a time machine".split(), reserved_tokens=["<pad>"])
    sentences = [["time", "machine"], ["the", "time", "machine", "is", "a", "time"], ["a"]]
    ids, lengths = pad_token_ids([vocab[s] for s in sentences], vocab["<pad>"])
    assert ids.shape == (3, 6)
    for row, n, s in zip(ids, lengths.tolist(), sentences):
        assert vocab.to_tokens(row[:n]) == s and (row[n:] == vocab["<pad>"]).all()
    assert ((ids != vocab["<pad>"]).sum(1) == lengths).all()


def test_pad_token_ids_max_len_truncates_and_widens():
    ids, lengths = pad_token_ids([[5, 6, 7], [8]], pad_index=0, max_len=2)
    assert ids.tolist() == [[5, 6], [8, 0]] and lengths.tolist() == [2, 1]
    ids, lengths = pad_token_ids([torch.tensor([3, 4]), (9,)], pad_index=0, max_len=4)
    assert ids.tolist() == [[3, 4, 0, 0], [9, 0, 0, 0]] and lengths.tolist() == [2, 1]


@pytest.mark.parametrize("sequences, kwargs, error, match", [
    ([], {}, ValueError, "sequences must hold at least one sequence"),
    ("abc", {}, TypeError, "sequences must be a list of token-index lists"),
    (torch.ones(2, 3, dtype=torch.long), {}, TypeError, "sequences must be a list of token-index lists"),
    ([5, 6], {}, TypeError, r"sequences\[0\] must be a list of int token indices"),
    ([[2], [2.5]], {}, TypeError, r"sequences\[1\] must hold int token indices.*float32"),
    ([[True]], {}, TypeError, r"sequences\[0\] must hold int token indices.*bool"),
    ([["a", "b"]], {}, TypeError, r"sequences\[0\] must hold int token indices"),
    ([[-3]], {}, ValueError, r"sequences\[0\] must hold token indices >= 0, got -3"),
    ([[2], [3, 1]], {}, ValueError, r"sequences\[1\] contains pad_index 1 at position 1"),
    ([[2]], {"pad_index": -1}, ValueError, "pad_index must be an int >= 0, got -1"),
    ([[2]], {"max_len": 0}, ValueError, "max_len must be a positive int, got 0"),
])
def test_pad_token_ids_validates(sequences, kwargs, error, match):
    with pytest.raises(error, match=match):
        pad_token_ids(sequences, **{"pad_index": 1, **kwargs})


@pytest.fixture
def mirror(monkeypatch, tmp_path):
    if not MIRROR.exists():
        pytest.skip("no shared data mirror here")
    monkeypatch.setenv("D2LHELPER_MIRROR", str(MIRROR))
    monkeypatch.setenv("D2LHELPER_DATA", str(tmp_path))


def test_time_machine_split_and_vocab(mirror):
    text = read_time_machine()
    assert set(text) == set("abcdefghijklmnopqrstuvwxyz ")
    assert text.startswith("the time machine")
    train, val, vocab = load_time_machine("char", val_fraction=0.1)
    assert len(vocab) == 28 and vocab.idx_to_token[1] == " "
    assert len(train) + len(val) == len(text)
    assert abs(len(val) / len(text) - 0.1) < 1e-3
    assert "".join(vocab.to_tokens(train[:16])) == text[:16]
    assert "".join(vocab.to_tokens(val[-8:])) == text[-8:]  # held-out part is the end of the book
    words_train, _, words = load_time_machine("word", max_tokens=1000)
    assert len(words_train) == 900 and words.to_tokens(int(words_train[0])) == "the"
    with pytest.raises(ValueError, match="val_fraction must be in"):
        load_time_machine(val_fraction=1.0)
