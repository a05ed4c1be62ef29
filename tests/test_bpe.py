import collections

import pytest

from d2lhelper.bpe import EOW, BPETokenizer, learn_bpe, merge_symbols

SENNRICH = {"low": 5, "lower": 2, "newest": 6, "widest": 3}


def _simple(word_freqs, num_merges):
    """The literal algorithm: recount every pair after every merge."""
    splits = {w: (*w, EOW) for w in word_freqs}
    merges = []
    for _ in range(num_merges):
        counts = collections.Counter()
        for w, f in word_freqs.items():
            for p in zip(splits[w], splits[w][1:]):
                counts[p] += f
        if not counts:
            break
        pair = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(pair)
        splits = {w: merge_symbols(s, pair) for w, s in splits.items()}
    return merges, splits


def test_merge_symbols():
    assert merge_symbols(("s", "e", "e", EOW), ("e", "e")) == ("s", "ee", EOW)
    assert merge_symbols(("a", "a", "a"), ("a", "a")) == ("aa", "a")


def test_first_merges_of_the_classic_example():
    merges, splits = learn_bpe(SENNRICH, 3)
    assert merges == [("e", "s"), ("es", "t"), ("est", EOW)]
    assert splits["newest"] == ("n", "e", "w", "est</w>")


def test_equals_the_literal_algorithm_on_real_text():
    from d2lhelper.data import read_time_machine

    words = read_time_machine().split()[:6000]
    freqs = collections.Counter(words)
    fast, fast_splits = learn_bpe(freqs, 150)
    assert (fast, fast_splits) == _simple(freqs, 150)


def test_stops_when_every_word_is_one_symbol():
    merges, splits = learn_bpe({"ab": 1}, 10)
    assert merges == [("a", "b"), ("ab", EOW)] and splits == {"ab": ("ab</w>",)}


def test_tokenizer_segments_like_training_and_round_trips():
    from d2lhelper.data import read_time_machine

    words = read_time_machine().split()[:6000]
    freqs = collections.Counter(words)
    merges, splits = learn_bpe(freqs, 300)
    tok = BPETokenizer(merges, sorted(set("".join(words))))
    assert all(tok.segment(w) == splits[w] for w in list(freqs)[:500])
    text = " ".join(words[100:160])
    assert tok.decode(tok.encode(text)) == text
    assert len(tok.vocab) == 1 + len(set("".join(words))) + 1 + len({a + b for a, b in merges})
    assert tok.vocab.unk in tok.encode("café")          # é is no symbol of the training text
    assert BPETokenizer(merges[:0], ["a", "b"]).segment("ab") == ("a", "b", EOW)


@pytest.mark.parametrize("word_freqs, num_merges, error, match", [
    ({}, 3, ValueError, "word_freqs must hold at least one word"),
    (["low"], 3, TypeError, "word_freqs must be a mapping"),
    ({"lo w": 2}, 3, ValueError, "words without spaces"),
    ({"low": 0}, 3, ValueError, "positive int counts, got 0 for 'low'"),
    ({"low": 2}, -1, ValueError, "num_merges must be an int >= 0"),
])
def test_learn_bpe_bad_inputs(word_freqs, num_merges, error, match):
    with pytest.raises(error, match=match):
        learn_bpe(word_freqs, num_merges)


def test_tokenizer_bad_inputs():
    with pytest.raises(ValueError, match="merges must hold pairs of non-empty str"):
        BPETokenizer([("a",)], ["a"])
    with pytest.raises(TypeError, match="merges must be"):
        BPETokenizer("ab", ["a"])
    tok = BPETokenizer([("a", "b")], ["a", "b"])
    with pytest.raises(ValueError, match="word must be a non-empty str without spaces"):
        tok.segment("a b")
    with pytest.raises(TypeError, match="text must be a str"):
        tok.tokenize(["ab"])
