"""Image-classification data: Fashion-MNIST, with an offline fallback.

:func:`load_fashion_mnist` loads Fashion-MNIST through torchvision (which
verifies its own checksums) into memory. Where it cannot be had (no network,
``D2LHELPER_OFFLINE=1``), it falls back to scikit-learn's bundled handwritten
digits (1,797 real 8x8 images, 10 classes) resized to 28x28, and prints a
notice saying so: the same code then runs everywhere, on real images.
"""
from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .._checks import check_positive_int
from ._fetch import _offline, cache_dir
from .loaders import TensorLoader

__all__ = ["FASHION_MNIST_LABELS", "DIGITS_LABELS", "ImageData", "load_fashion_mnist", "load_digits"]

FASHION_MNIST_LABELS = ("t-shirt", "trouser", "pullover", "dress", "coat",
                        "sandal", "shirt", "sneaker", "bag", "ankle boot")
DIGITS_LABELS = tuple(str(i) for i in range(10))


@dataclass(frozen=True)
class ImageData:
    """Training and validation batches of one image dataset.

    Unpacks like a pair: ``train_iter, val_iter = load_fashion_mnist(256)``.

    Attributes:
        train, val: :class:`TensorLoader` yielding ``X (batch, 1, H, W)`` float32
            in [0, 1] and ``y (batch,)`` int64.
        classes: class names, indexed by label.
        name: which dataset this is, e.g. ``"Fashion-MNIST"``; notebooks quote
            numbers per dataset.
    """

    train: TensorLoader
    val: TensorLoader
    classes: tuple[str, ...]
    name: str

    def __iter__(self) -> Iterator[TensorLoader]:
        return iter((self.train, self.val))

    def labels(self, indices: torch.Tensor | Sequence[int]) -> list[str]:
        """Class names for integer labels, e.g. ``labels(y[:8])``."""
        return [self.classes[int(i)] for i in indices]


def _resize(size: int | tuple[int, int] | None):
    if size is None:
        return None
    size = (size, size) if isinstance(size, int) else tuple(size)
    if len(size) != 2 or any(not isinstance(s, int) or s <= 0 for s in size):
        raise ValueError(f"resize must be a positive int or (height, width), got {size!r}")
    return lambda X: F.interpolate(X, size=size, mode="bilinear", align_corners=False)


@contextlib.contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def _fashion_mnist_tensors(root: str) -> tuple[torch.Tensor, ...] | None:
    """(X_train, y_train, X_val, y_val) as uint8/int64 tensors, or None if unavailable."""
    from torchvision.datasets import FashionMNIST

    try:
        sets = [FashionMNIST(root, train=t, download=False) for t in (True, False)]
    except RuntimeError:  # not downloaded yet
        if _offline():
            return None
        try:
            with _socket_timeout(float(os.environ.get("D2LHELPER_TIMEOUT", "30"))):
                sets = [FashionMNIST(root, train=t, download=True) for t in (True, False)]
        except Exception as err:  # noqa: BLE001 - any network failure means: fall back
            print(f"d2lhelper: could not download Fashion-MNIST ({type(err).__name__}: {err})")
            return None
    return sets[0].data, sets[0].targets, sets[1].data, sets[1].targets


def load_digits(
    batch_size: int, resize: int | tuple[int, int] | None = 28, *, val_fraction: float = 0.2, seed: int = 0
) -> ImageData:
    """scikit-learn's handwritten digits as an :class:`ImageData`.

    1,797 grey-scale 8x8 images (values 0-16, scaled to [0, 1]) of the digits
    0-9, split into training and validation sets stratified by class.

    Args:
        batch_size: examples per batch.
        resize: resized once, at load time, to this size (default 28, the size
            of Fashion-MNIST images); ``None`` keeps 8x8.
        val_fraction: share of each class held out for validation.
        seed: fixes the split (the shuffling follows :func:`~d2lhelper.seed_everything`).
    """
    from sklearn.datasets import load_digits as sk_digits
    from sklearn.model_selection import train_test_split

    check_positive_int("batch_size", batch_size)
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    digits = sk_digits()
    X = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (1797, 1, 8, 8)
    y = torch.tensor(digits.target, dtype=torch.int64)
    resizer = _resize(resize)
    if resizer is not None:
        X = resizer(X).clamp_(0, 1)
    train_idx, val_idx = train_test_split(torch.arange(len(y)).numpy(), test_size=val_fraction,
                                          stratify=y.numpy(), random_state=seed)
    train_idx, val_idx = torch.as_tensor(train_idx), torch.as_tensor(val_idx)
    return ImageData(  # shuffling draws from the global generator, so seed_everything governs it
        train=TensorLoader(X[train_idx], y[train_idx], batch_size=batch_size, shuffle=True),
        val=TensorLoader(X[val_idx], y[val_idx], batch_size=batch_size),
        classes=DIGITS_LABELS,
        name="digits",
    )


def load_fashion_mnist(batch_size: int, resize: int | tuple[int, int] | None = None, *,
                       root: str | os.PathLike[str] | None = None) -> ImageData:
    """Fashion-MNIST in memory: 60,000 training and 10,000 validation images.

    The official test split serves as the validation set. Images are
    ``(1, 28, 28)`` float32 in [0, 1]; labels index :data:`FASHION_MNIST_LABELS`.
    Loading keeps the whole set in memory and slices batches out of it, so an
    epoch costs no per-image Python work.

    Where Fashion-MNIST cannot be had (``D2LHELPER_OFFLINE=1`` with no copy in
    the cache, or a failed download), falls back to :func:`load_digits` resized
    to 28x28 and prints a notice; ``ImageData.name`` says which ran.

    Args:
        batch_size: examples per batch (> 0).
        resize: resize each batch to this size (int or (height, width)), e.g. 224
            for ImageNet-sized networks; ``None`` keeps 28x28.
        root: where torchvision keeps the files (default ``<cache>/fashion-mnist``).

    Returns:
        An :class:`ImageData` that unpacks as ``train_iter, val_iter``.
    """
    check_positive_int("batch_size", batch_size)
    resizer = _resize(resize)
    root = str(root) if root is not None else str(cache_dir() / "fashion-mnist")
    tensors = _fashion_mnist_tensors(root)
    if tensors is None:
        print("d2lhelper: Fashion-MNIST is not available here, so this uses scikit-learn's "
              "1,797 handwritten digits (8x8, resized to 28x28) instead; numbers below are for the digits.")
        return load_digits(batch_size, resize=resize if resize is not None else 28)
    X_train, y_train, X_val, y_val = tensors
    to_float = lambda X: X.unsqueeze(1).float().div_(255)  # noqa: E731 - (N, 28, 28) uint8 -> (N, 1, 28, 28)
    return ImageData(
        train=TensorLoader(to_float(X_train), y_train, batch_size=batch_size, shuffle=True, transform=resizer),
        val=TensorLoader(to_float(X_val), y_val, batch_size=batch_size, transform=resizer),
        classes=FASHION_MNIST_LABELS,
        name="Fashion-MNIST",
    )
