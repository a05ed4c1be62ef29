"""Minibatches of subsequences for language models.

A long corpus is cut into ``(batch_size, num_steps)`` windows ``X`` with
targets ``Y`` shifted by one token. Two schemes:

* random sampling: windows come from random places, so consecutive batches are
  unrelated and a model's hidden state must be reset for each batch;
* sequential partitioning: row ``i`` of batch ``t + 1`` continues row ``i`` of
  batch ``t``, so the hidden state can be carried over (detached) between batches.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator

import torch

from ._checks import check_positive_int
from ._checks import check_bool, check_device, check_non_negative_int, check_type

__all__ = ["seq_data_iter_random", "seq_data_iter_sequential", "SeqDataLoader"]


def _check(corpus: torch.Tensor, batch_size: int, num_steps: int) -> None:
    if not isinstance(corpus, torch.Tensor) or corpus.ndim != 1:
        shape = tuple(corpus.shape) if isinstance(corpus, torch.Tensor) else type(corpus).__name__
        raise ValueError(f"corpus must be a 1-D tensor of token indices, got {shape}")
    if corpus.dtype.is_floating_point or corpus.dtype.is_complex or corpus.dtype == torch.bool:
        raise TypeError(f"corpus must hold integer token indices, got dtype {corpus.dtype}")
    check_positive_int("batch_size", batch_size)
    check_positive_int("num_steps", num_steps)
    if len(corpus) <= num_steps:
        raise ValueError(f"num_steps ({num_steps}) must be shorter than the corpus ({len(corpus)} tokens)")


def _offset(num_steps: int, generator: torch.Generator | None) -> int:
    return int(torch.randint(0, num_steps, (1,), generator=generator))


def seq_data_iter_random(corpus: torch.Tensor, batch_size: int, num_steps: int,
                         generator: torch.Generator | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield ``X, Y`` of shape ``(batch_size, num_steps)`` from random, non-overlapping windows.

    A random offset in ``[0, num_steps)`` is dropped from the start, the rest is
    cut into windows of ``num_steps`` tokens and the windows are shuffled; the
    last batch may be smaller. ``Y`` is ``X`` shifted one token ahead.
    """
    _check(corpus, batch_size, num_steps)
    check_type("generator", generator, torch.Generator, "a torch.Generator", allow_none=True)
    corpus = corpus[_offset(num_steps, generator):]
    num_windows = (len(corpus) - 1) // num_steps
    if num_windows == 0:
        raise ValueError(f"num_steps ({num_steps}) is too long for the corpus ({len(corpus)} tokens)")
    # the order is drawn on the CPU (where the generator lives), then indexes the corpus where it is
    starts = (torch.randperm(num_windows, generator=generator) * num_steps).to(corpus.device)
    steps = torch.arange(num_steps, device=corpus.device)
    for i in range(0, num_windows, batch_size):
        idx = starts[i:i + batch_size, None] + steps  # (b, num_steps)
        yield corpus[idx], corpus[idx + 1]


def seq_data_iter_sequential(corpus: torch.Tensor, batch_size: int, num_steps: int,
                             generator: torch.Generator | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield ``X, Y`` of shape ``(batch_size, num_steps)`` where batches continue each other.

    After a random offset, the corpus is split into ``batch_size`` equal
    streams (rows); batch ``t`` holds tokens ``t * num_steps`` to
    ``(t + 1) * num_steps`` of every stream.
    """
    _check(corpus, batch_size, num_steps)
    check_type("generator", generator, torch.Generator, "a torch.Generator", allow_none=True)
    offset = _offset(num_steps, generator)
    per_row = (len(corpus) - offset - 1) // batch_size
    if per_row < num_steps:
        raise ValueError(f"the corpus ({len(corpus)} tokens) is too short for {batch_size} rows of "
                         f"{num_steps} steps; use a smaller batch_size or num_steps")
    Xs = corpus[offset:offset + per_row * batch_size].reshape(batch_size, per_row)
    Ys = corpus[offset + 1:offset + 1 + per_row * batch_size].reshape(batch_size, per_row)
    for t in range(0, (per_row // num_steps) * num_steps, num_steps):
        yield Xs[:, t:t + num_steps], Ys[:, t:t + num_steps]


class SeqDataLoader:
    """Iterable over language-model minibatches of ``corpus`` (a 1-D index tensor).

    Args:
        random_iter: random sampling if True, else sequential partitioning.
        seed: seeds the offsets and shuffling; each epoch draws new ones.
        device: keep the corpus there (e.g. ``"cuda"``), so batches are cut on
            the device and a trainer copies nothing per batch; ``None`` leaves it where it is.

    ``len(loader)`` is the number of batches per epoch; ``loader.sequential`` tells
    a trainer whether it may carry the hidden state across batches.
    """

    def __init__(self, corpus: torch.Tensor, batch_size: int, num_steps: int, *,
                 random_iter: bool = False, seed: int | None = None,
                 device: torch.device | str | None = None) -> None:
        _check(corpus, batch_size, num_steps)
        check_bool("random_iter", random_iter)
        if seed is not None:
            check_non_negative_int("seed", seed)
        check_device("device", device)
        if device is not None:
            corpus = corpus.to(device)
        self.corpus, self.batch_size, self.num_steps = corpus, batch_size, num_steps
        self.sequential = not random_iter
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None
        # The offset removes at most num_steps - 1 tokens: count batches for the worst case.
        if self.sequential:
            per_row = (len(corpus) - num_steps) // batch_size
            self._len = per_row // num_steps
        else:
            windows = (len(corpus) - num_steps) // num_steps
            self._len = -(-windows // batch_size)
        if self._len == 0:
            raise ValueError(f"the corpus ({len(corpus)} tokens) is too short for batches of "
                             f"{batch_size} x {num_steps} tokens")

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        fn = seq_data_iter_sequential if self.sequential else seq_data_iter_random
        # Cap at the count for the largest possible offset, so len() is exact every epoch.
        return itertools.islice(fn(self.corpus, self.batch_size, self.num_steps, generator=self.generator), self._len)

    def __len__(self) -> int:
        return self._len

    @property
    def num_tokens(self) -> int:
        return len(self.corpus)
