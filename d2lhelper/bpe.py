"""Byte-pair encoding as Section 5.7 builds it: a merge learner and a tokenizer of whitespace-separated words.

Section 5.7 writes both from scratch and asserts them equal to this module; Section 11.5 compares them with
the Hugging Face ``tokenizers`` library. Words are spelled as their characters followed by an end-of-word
marker (:data:`EOW`), so that ``"the"`` starts as ``("t", "h", "e", "</w>")``.

* :func:`learn_bpe` learns merges with pair counts kept between merges and a heap for the most frequent
  pair; ties go to the alphabetically first pair, so the result is the same in every run.
* :class:`BPETokenizer` segments a word by applying the learned merges in the order they were learned.
"""
from __future__ import annotations

import collections
import heapq
import math
from collections.abc import Mapping, Sequence

from ._checks import check_non_negative_int, check_str_sequence, check_type

__all__ = ["EOW", "BPETokenizer", "learn_bpe", "merge_symbols"]

#: The end-of-word marker.
EOW = "</w>"


def merge_symbols(symbols: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    """Replace each adjacent occurrence of ``pair`` in ``symbols`` by the merged symbol, left to right."""
    a, b = pair
    merged, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
            merged.append(a + b)
            i += 2
        else:
            merged.append(symbols[i])
            i += 1
    return tuple(merged)


def _check_word_freqs(word_freqs: object) -> Mapping[str, int]:
    check_type("word_freqs", word_freqs, Mapping, "a mapping word -> count, e.g. collections.Counter(words)")
    if not word_freqs:
        raise ValueError("word_freqs must hold at least one word, got an empty mapping")
    for word, freq in word_freqs.items():
        if not isinstance(word, str) or not word or any(c.isspace() for c in word):
            raise ValueError(f"word_freqs must have non-empty words without spaces as keys, got {word!r}")
        if isinstance(freq, bool) or not isinstance(freq, int) or freq <= 0:
            raise ValueError(f"word_freqs must have positive int counts, got {freq!r} for {word!r}")
    return word_freqs


def learn_bpe(word_freqs: Mapping[str, int], num_merges: int) -> tuple[list[tuple[str, str]], dict[str, tuple[str, ...]]]:
    """Learn up to ``num_merges`` BPE merges from a word-frequency table.

    Each step merges the most frequent adjacent pair of symbols, counted over the distinct words weighted by
    their frequencies (ties: the alphabetically first pair). Only the words that contain the merged pair
    are updated, so each merge costs time in proportion to them, not to the whole table.

    Args:
        word_freqs: word -> number of occurrences, e.g. ``collections.Counter(words)``.
        num_merges: merges to learn (>= 0); fewer are returned when every word has become one symbol.

    Returns:
        ``(merges, splits)``: the merged pairs in the order learned, and each word's final segmentation.
    """
    _check_word_freqs(word_freqs)
    check_non_negative_int("num_merges", num_merges)
    splits = {word: (*word, EOW) for word in word_freqs}
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    words_with: dict[tuple[str, str], set[str]] = collections.defaultdict(set)  # may hold stale words
    for word, symbols in splits.items():
        for pair in zip(symbols, symbols[1:]):
            counts[pair] += word_freqs[word]
            words_with[pair].add(word)
    heap = [(-count, pair) for pair, count in counts.items()]
    heapq.heapify(heap)
    merges: list[tuple[str, str]] = []
    while heap and len(merges) < num_merges:
        neg_count, pair = heapq.heappop(heap)
        if counts.get(pair) != -neg_count:  # stale entry: the count changed after it was pushed
            continue
        merges.append(pair)
        changed: set[tuple[str, str]] = set()
        for word in words_with.pop(pair):
            old, freq = splits[word], word_freqs[word]
            new = merge_symbols(old, pair)
            if new == old:
                continue
            for p in zip(old, old[1:]):
                counts[p] -= freq
                if counts[p] == 0:
                    del counts[p]
            for p in zip(new, new[1:]):
                counts[p] += freq
                words_with[p].add(word)
            changed.update(zip(old, old[1:]), zip(new, new[1:]))
            splits[word] = new
        for p in changed & counts.keys():
            heapq.heappush(heap, (-counts[p], p))
    return merges, splits


class BPETokenizer:
    """Segment whitespace-separated words with learned merges; a :class:`~d2lhelper.Vocab` maps symbols to ids.

    Args:
        merges: the merges of :func:`learn_bpe`, in the order learned (the first ``k`` give the tokenizer of
            ``k`` merges).
        alphabet: the single characters of the training text; the vocabulary is the alphabet, :data:`EOW`
            and one symbol per merge, with ``<unk>`` at index 0 for anything else.
    """

    def __init__(self, merges: Sequence[tuple[str, str]], alphabet: Sequence[str]) -> None:
        from .text import Vocab

        check_type("merges", merges, (list, tuple), "a list of (str, str) pairs from learn_bpe")
        for pair in merges:
            if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(s, str) and s for s in pair)):
                raise ValueError(f"merges must hold pairs of non-empty str, got {pair!r}")
        check_str_sequence("alphabet", alphabet, example="['a', 'b', 'c']", non_empty=True)
        self.merges = list(merges)
        self.ranks = {pair: rank for rank, pair in enumerate(self.merges)}  # earlier merge, lower rank
        self.vocab = Vocab([*alphabet, EOW] + [a + b for a, b in self.merges])
        self._cache: dict[str, tuple[str, ...]] = {}

    def segment(self, word: str) -> tuple[str, ...]:
        """``word``'s symbols, e.g. ``'travellers'`` -> ``('travell', 'ers</w>')``: at each step the adjacent
        pair learned earliest is merged, until no learned merge applies."""
        if not isinstance(word, str) or not word or any(c.isspace() for c in word):
            raise ValueError(f"word must be a non-empty str without spaces, got {word!r}")
        if word not in self._cache:
            symbols = (*word, EOW)
            while len(symbols) > 1:
                pair = min(zip(symbols, symbols[1:]), key=lambda p: self.ranks.get(p, math.inf))
                if pair not in self.ranks:
                    break
                symbols = merge_symbols(symbols, pair)
            self._cache[word] = symbols
        return self._cache[word]

    def tokenize(self, text: str) -> list[str]:
        """The symbols of every word of ``text``, in order."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        return [s for word in text.split() for s in self.segment(word)]

    def encode(self, text: str) -> list[int]:
        """The ids of :meth:`tokenize`'s symbols."""
        return self.vocab[self.tokenize(text)]

    def decode(self, ids: Sequence[int]) -> str:
        """Join the symbols of ``ids``; each :data:`EOW` becomes a space."""
        return "".join(self.vocab.to_tokens(list(ids))).replace(EOW, " ").strip()
