"""The Time Machine (H. G. Wells, 1895): the small corpus of the book's language-model chapters.

:func:`read_time_machine` gives the cleaned text, :func:`load_time_machine`
index tensors split into training and held-out parts with their vocabulary.
The file comes through the data layer (:func:`~d2lhelper.data.fetch`: checksummed, cached, mirror-able).
"""
from __future__ import annotations

import re

import torch

from ..text import _TOKEN_TYPES, Vocab, tokenize
from ._fetch import fetch

__all__ = ["load_time_machine", "read_time_machine"]


def read_time_machine() -> str:
    """The Time Machine as one string: lower-case letters and single spaces only.

    Every run of characters other than letters becomes one space, so the
    character vocabulary is the 26 letters plus the space.
    """
    raw = fetch("timemachine.txt").read_text(encoding="utf-8")
    return re.sub(r"[^A-Za-z]+", " ", raw).strip().lower()


def load_time_machine(token: str = "char", val_fraction: float = 0.1,
                      max_tokens: int | None = None) -> tuple[torch.Tensor, torch.Tensor, Vocab]:
    """The Time Machine as index tensors, split into training and held-out text.

    The last ``val_fraction`` of the book is held out (a contiguous block, so no
    sentence is shared between the two parts); the vocabulary is built from the
    training part only, and held-out tokens it lacks become ``<unk>``.

    Args:
        token: ``"char"`` or ``"word"``.
        val_fraction: share of the tokens held out, in (0, 1).
        max_tokens: keep only the first ``max_tokens`` tokens (for quick runs).

    Returns:
        ``(train, val, vocab)``: 1-D int64 tensors of token indices, and the vocabulary.
    """
    if token not in _TOKEN_TYPES:  # checked before the file is fetched
        raise ValueError(f"token must be one of {_TOKEN_TYPES}, got {token!r}")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 2):
        raise ValueError(f"max_tokens must be >= 2 or None, got {max_tokens!r}")
    tokens = tokenize(read_time_machine(), token)
    if max_tokens is not None:
        tokens = tokens[:max_tokens]
    split = int(len(tokens) * (1 - val_fraction))
    vocab = Vocab(tokens[:split])
    as_tensor = lambda ts: torch.tensor(vocab[ts], dtype=torch.int64)  # noqa: E731
    return as_tensor(tokens[:split]), as_tensor(tokens[split:]), vocab
