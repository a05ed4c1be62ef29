"""A Fashion-MNIST-sized stand-in built from real images, for timing the online path offline.

Fashion-MNIST cannot be downloaded on this project's build machines, but every
online reader trains on its 60,000 + 10,000 images. :func:`write_standin`
writes IDX files of that size where torchvision looks (``<root>/FashionMNIST/raw``),
so :func:`d2lhelper.data.load_fashion_mnist` takes its online path. The images
are the 5,000 real MNIST digits of the offline fallback, each copied many times
with a random shift of up to 3 pixels and a random contrast: the same shapes,
sizes and dtypes as Fashion-MNIST and a learnable task, but digits, not clothes.
Test images come only from the held-out digits. Use it to measure time and
throughput, never to quote an accuracy as Fashion-MNIST's.
"""
from __future__ import annotations

import struct
from pathlib import Path

import torch
import torch.nn.functional as F

import d2lhelper as d2l

def name(n_train: int = 60_000, n_test: int = 10_000) -> str:
    """What a stand-in of this size is called in results and notices."""
    return f"Fashion-MNIST-sized stand-in: MNIST-5k digits, shifted copies ({n_train:,} + {n_test:,})"


NAME = name()


def _copies(X: torch.Tensor, y: torch.Tensor, n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` shifted, contrast-jittered copies drawn from ``X (M, 1, 28, 28)`` float in [0, 1]; uint8 out."""
    idx = torch.randint(len(y), (n,), generator=g)
    padded = F.pad(X[idx], (3, 3, 3, 3))
    dx, dy = torch.randint(7, (n,), generator=g), torch.randint(7, (n,), generator=g)
    rows = (dy[:, None] + torch.arange(28))[:, :, None].expand(n, 28, 28)
    cols = (dx[:, None] + torch.arange(28))[:, None, :].expand(n, 28, 28)
    shifted = padded[torch.arange(n)[:, None, None], 0, rows, cols]
    contrast = 0.7 + 0.3 * torch.rand(n, 1, 1, generator=g)
    return (shifted * contrast * 255).round().clamp(0, 255).to(torch.uint8), y[idx]


def standin_tensors(n_train: int = 60_000, n_test: int = 10_000, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """``(X_train (n_train, 28, 28) uint8, y_train (n_train,) int64, X_test, y_test)``."""
    data = d2l.data.load_mnist_5k(1024)
    g = torch.Generator().manual_seed(seed)
    X_train, y_train = _copies(*data.train.tensors, n_train, g)
    X_test, y_test = _copies(*data.val.tensors, n_test, g)
    return X_train, y_train, X_test, y_test


def _write_idx(path: Path, array: torch.Tensor) -> None:
    """One IDX file: magic (0x0803 images, 0x0801 labels), big-endian dimensions, then uint8 data."""
    magic = 0x0800 | array.ndim
    tmp = path.with_name(path.name + ".partial")
    with open(tmp, "wb") as f:
        f.write(struct.pack(">i", magic) + b"".join(struct.pack(">i", d) for d in array.shape))
        f.write(array.to(torch.uint8).contiguous().numpy().tobytes())
    tmp.replace(path)


def write_standin(root: str | Path, n_train: int = 60_000, n_test: int = 10_000, seed: int = 0) -> Path:
    """Writes the four IDX files into ``<root>/FashionMNIST/raw``; returns that folder."""
    raw = Path(root) / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    X_train, y_train, X_test, y_test = standin_tensors(n_train, n_test, seed)
    for name, array in (("train-images-idx3-ubyte", X_train), ("train-labels-idx1-ubyte", y_train),
                        ("t10k-images-idx3-ubyte", X_test), ("t10k-labels-idx1-ubyte", y_test)):
        _write_idx(raw / name, array)
    return raw
