"""Minibatches from tensors held in memory.

Small datasets (Fashion-MNIST is 47 MB as uint8) fit in memory, where a
``DataLoader`` that builds each batch from per-example ``__getitem__`` calls
spends most of its time in Python. :class:`TensorLoader` slices whole batches
out of the tensors instead, with an optional per-batch transform.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from .._checks import check_positive_int
from .._checks import check_bool, check_callable, check_device, check_type

__all__ = ["TensorLoader"]


class TensorLoader:
    """Iterate over minibatches of equally long tensors.

    Args:
        *tensors: tensors whose first dimension indexes examples, e.g. images
            ``(N, C, H, W)`` and labels ``(N,)``.
        batch_size: examples per batch (> 0); the last batch may be smaller
            unless ``drop_last``.
        shuffle: draw a new random order every epoch (from ``generator`` if given).
        transform: applied to the first tensor's batch, e.g. a resize; it must
            keep the batch dimension.
        device: move the tensors there once (e.g. ``"cuda"``), so every batch is
            sliced on the device and a trainer copies nothing per batch; ``None``
            leaves them where they are. The shuffled order is drawn on the CPU
            (from ``generator``), so a seed gives the same batches on every device.

    Each iteration yields a tuple with one batch per tensor, e.g.
    ``X (batch_size, C, H, W), y (batch_size,)``. ``len(loader)`` is the number
    of batches; ``loader.num_examples`` the number of examples.
    """

    def __init__(
        self,
        *tensors: torch.Tensor,
        batch_size: int,
        shuffle: bool = False,
        drop_last: bool = False,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        if not tensors:
            raise ValueError("TensorLoader needs at least one tensor, got none")
        for i, t in enumerate(tensors):
            if not isinstance(t, torch.Tensor):
                raise TypeError(f"tensors[{i}] must be a torch.Tensor, got {type(t).__name__}")
        lengths = [len(t) for t in tensors]
        if len(set(lengths)) != 1:
            raise ValueError(f"all tensors must have the same first dimension, got lengths {lengths}")
        if lengths[0] == 0:
            raise ValueError("tensors must hold at least one example, got 0")
        self.batch_size = check_positive_int("batch_size", batch_size)
        check_bool("shuffle", shuffle)
        check_bool("drop_last", drop_last)
        check_callable("transform", transform)
        check_type("generator", generator, torch.Generator, "a torch.Generator", allow_none=True)
        check_device("device", device)
        self.tensors = tensors if device is None else tuple(t.to(device) for t in tensors)
        self.device = self.tensors[0].device
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.transform = transform
        self.generator = generator

    @property
    def num_examples(self) -> int:
        return len(self.tensors[0])

    def __len__(self) -> int:
        n, b = self.num_examples, self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        n = self.num_examples
        order = torch.randperm(n, generator=self.generator).to(self.device) if self.shuffle else None
        for k in range(len(self)):
            if order is None:
                batch = tuple(t[k * self.batch_size:(k + 1) * self.batch_size] for t in self.tensors)
            else:
                idx = order[k * self.batch_size:(k + 1) * self.batch_size]
                batch = tuple(t[idx] for t in self.tensors)
            if self.transform is not None:
                batch = (self.transform(batch[0]), *batch[1:])
            yield batch

    def __repr__(self) -> str:
        shapes = ", ".join(str(tuple(t.shape)) for t in self.tensors)
        return f"TensorLoader({shapes}, batch_size={self.batch_size}, shuffle={self.shuffle}, batches={len(self)})"
