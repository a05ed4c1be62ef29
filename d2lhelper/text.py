"""Text to token indices: tokenising, a vocabulary, padding, and The Time Machine.

The book's language-model chapters read H. G. Wells' *The Time Machine*
(fetched through :mod:`d2lhelper.data`) and report perplexity on a held-out
part of it, not only on the text the model trained on.
"""
from __future__ import annotations

import collections
import numbers
from collections.abc import Iterable, Sequence
from typing import overload

import torch

from ._checks import check_non_negative_int, check_positive_int, check_str_sequence

__all__ = ["tokenize", "Vocab", "pad_token_ids", "read_time_machine", "load_time_machine"]

_TOKEN_TYPES = ("char", "word")


def tokenize(text: str, token: str = "char") -> list[str]:
    """Split ``text`` into characters or whitespace-separated words.

    Args:
        text: the text, e.g. from :func:`read_time_machine`.
        token: ``"char"`` or ``"word"``.

    Returns:
        The list of tokens, in order.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if token not in _TOKEN_TYPES:
        raise ValueError(f"token must be one of {_TOKEN_TYPES}, got {token!r}")
    if not text.strip():
        raise ValueError("text must contain at least one non-space character, got an empty corpus")
    return list(text) if token == "char" else text.split()


class Vocab:
    """A two-way map between tokens and integer indices.

    Index 0 is ``<unk>``, which every unknown token maps to; then come the
    ``reserved_tokens`` (e.g. ``<pad>``, ``<bos>``, ``<eos>``); then every token
    seen at least ``min_freq`` times, most frequent first (ties in alphabetical
    order, so the vocabulary does not depend on dictionary order).

    Args:
        tokens: a list of tokens (strings, or tuples of strings for n-grams), or a
            list of lists of tokens (e.g. one per sentence).
        min_freq: drop rarer tokens (they become ``<unk>``).
        reserved_tokens: special tokens to put right after ``<unk>``.

    Example::

        vocab = Vocab(tokenize("the time machine", "char"))
        vocab["t"], vocab.to_tokens(vocab[list("time")])
    """

    def __init__(self, tokens: Sequence[str] | Sequence[Sequence[str]] = (), min_freq: int = 0,
                 reserved_tokens: Sequence[str] = ()) -> None:
        check_non_negative_int("min_freq", min_freq)
        check_str_sequence("reserved_tokens", reserved_tokens, example="['<pad>', '<bos>', '<eos>']")
        # A list of lists is a corpus of sentences; a tuple is one token (e.g. a bigram).
        flat = [t for line in tokens for t in line] if tokens and isinstance(tokens[0], list) else list(tokens)
        for t in flat[:1000]:
            if not (isinstance(t, str) or (isinstance(t, tuple) and all(isinstance(x, str) for x in t))):
                raise TypeError(f"tokens must be strings (or tuples of strings for n-grams), got {type(t).__name__} {t!r}")
        self.counter = collections.Counter(flat)
        self.token_freqs = sorted(self.counter.items(), key=lambda kv: (-kv[1], kv[0]))
        specials = list(dict.fromkeys(["<unk>", *reserved_tokens]))  # in order, without repeats
        self.idx_to_token = specials + [t for t, f in self.token_freqs if f >= min_freq and t not in specials]
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}
        # In a vocabulary of n-grams a tuple is one token, known or not; elsewhere it is a sequence of tokens.
        self._tuple_is_token = any(isinstance(t, tuple) for t in self.idx_to_token)

    def __len__(self) -> int:
        return len(self.idx_to_token)

    @property
    def unk(self) -> int:
        """Index of ``<unk>`` (0)."""
        return 0

    @overload
    def __getitem__(self, tokens: str) -> int: ...
    @overload
    def __getitem__(self, tokens: Iterable[str]) -> list[int]: ...

    def __getitem__(self, tokens):
        """Index of a token, or list of indices of a sequence of tokens; unknown -> ``<unk>``.

        In a vocabulary of n-grams (tuples), a tuple is one n-gram, so an unknown
        n-gram gives ``<unk>``'s index, not one index per word.
        """
        if isinstance(tokens, str) or (isinstance(tokens, tuple) and (self._tuple_is_token or tokens in self.token_to_idx)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self.__getitem__(t) for t in tokens]

    def unknown(self, tokens: Iterable[str]) -> list[str]:
        """The tokens of ``tokens`` that are not in the vocabulary."""
        return sorted({t for t in tokens if t not in self.token_to_idx})

    def to_tokens(self, indices: int | Iterable[int] | torch.Tensor) -> str | list[str]:
        """Token of an index, or tokens of a sequence (or 1-D tensor) of indices."""
        if isinstance(indices, torch.Tensor):
            indices = indices.tolist()
        if isinstance(indices, numbers.Integral):
            indices = int(indices)
        if isinstance(indices, int):
            if not 0 <= indices < len(self):
                raise IndexError(f"index must be in [0, {len(self)}) for this vocabulary, got {indices}")
            return self.idx_to_token[indices]
        return [self.to_tokens(int(i)) for i in indices]

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self.idx_to_token[:8])
        return f"Vocab(size={len(self)}, first=[{head}, ...])"


def pad_token_ids(sequences: Sequence[Sequence[int]] | Sequence[torch.Tensor], pad_index: int,
                  max_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad sequences of token indices of different lengths into one tensor, and return their lengths.

    Sequence ``i`` fills row ``i`` from the left; the rest of the row is ``pad_index``.
    With ``max_len``, longer sequences keep their first ``max_len`` tokens.

    Args:
        sequences: ``N`` sequences of token indices, e.g. ``[vocab[tokens] for tokens in sentences]``
            (lists of ints or 1-D integer tensors; an empty sequence is allowed).
        pad_index: the index written after the end of each sequence, e.g. ``vocab["<pad>"]``. It must
            not occur inside a sequence, so that ``ids != pad_index`` marks exactly the real tokens.
        max_len: the width ``T`` of the result; ``None``: the length of the longest sequence.

    Returns:
        ``ids`` of shape ``(N, T)`` and ``lengths`` of shape ``(N,)``, both ``int64``, with
        ``lengths[i] = min(len(sequences[i]), T)`` and ``ids[i, lengths[i]:] == pad_index``.

    Example::

        ids, lengths = pad_token_ids([[5, 6, 7], [8]], pad_index=1)
        # ids = [[5, 6, 7], [8, 1, 1]], lengths = [3, 1]
    """
    if isinstance(sequences, (str, torch.Tensor)) or not isinstance(sequences, Sequence):
        raise TypeError(f"sequences must be a list of token-index lists (e.g. [vocab[tokens] for tokens in "
                        f"sentences]), got {type(sequences).__name__}")
    if len(sequences) == 0:
        raise ValueError("sequences must hold at least one sequence, got an empty list")
    check_non_negative_int("pad_index", pad_index)
    if max_len is not None:
        check_positive_int("max_len", max_len)
    rows = []
    for i, seq in enumerate(sequences):
        if isinstance(seq, str) or not isinstance(seq, (Sequence, torch.Tensor)):
            raise TypeError(f"sequences[{i}] must be a list of int token indices or a 1-D tensor, "
                            f"got {type(seq).__name__} {seq!r:.60}")
        try:
            row = seq if isinstance(seq, torch.Tensor) else torch.tensor(list(seq))
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"sequences[{i}] must hold int token indices, got {seq!r:.60}") from None
        if row.ndim != 1 or (row.numel() and (row.dtype.is_floating_point or row.dtype.is_complex
                                              or row.dtype == torch.bool)):
            raise TypeError(f"sequences[{i}] must hold int token indices in one dimension, got values of "
                            f"shape {tuple(row.shape)} and dtype {row.dtype}")
        row = row.long()
        if row.numel() and row.min() < 0:
            raise ValueError(f"sequences[{i}] must hold token indices >= 0, got {row.min().item()}")
        hits = (row == pad_index).nonzero()
        if len(hits):
            raise ValueError(f"sequences[{i}] contains pad_index {pad_index} at position {hits[0].item()}: "
                             "padding would be mistaken for text; reserve a token such as '<pad>' for it")
        rows.append(row)
    width = max(len(r) for r in rows) if max_len is None else max_len
    ids = torch.full((len(rows), width), pad_index, dtype=torch.long)   # (N, T)
    lengths = torch.tensor([min(len(r), width) for r in rows], dtype=torch.long)   # (N,)
    for i, (row, n) in enumerate(zip(rows, lengths.tolist())):
        ids[i, :n] = row[:n]
    return ids, lengths
