"""The book's data files: a checksummed registry, a verified cache, safe extraction.

>>> from d2lhelper.data import fetch
>>> path = fetch("timemachine.txt")  # doctest: +SKIP

See :func:`fetch` for the cache, mirror and offline environment variables.
The registry and :func:`fetch` need neither torch nor matplotlib; the loaders
(which build tensors) are imported on first use.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._extract import extract
from ._fetch import DatasetError, cache_dir, fetch
from ._registry import DataFile, UnknownDatasetError, register, registry

# loader name -> the module that defines it (imported on first use, PEP 562)
_LAZY: dict[str, str] = {
    "TensorLoader": ".loaders",
    "PLANETOID_NAMES": ".planetoid",
    "load_planetoid": ".planetoid",
    "load_time_machine": ".timemachine",
    "read_time_machine": ".timemachine",
    "TranslationData": ".translation",
    "load_translation": ".translation",
    "DIGITS_LABELS": ".vision",
    "FASHION_MNIST_LABELS": ".vision",
    "ImageData": ".vision",
    "load_digits": ".vision",
    "load_fashion_mnist": ".vision",
    "load_mnist_5k": ".vision",
    "MOVIE_REVIEW_CLASSES": ".reviews",
    "load_movie_reviews": ".reviews",
    "movie_reviews_file": ".reviews",
}

if TYPE_CHECKING:
    from .loaders import TensorLoader
    from .planetoid import PLANETOID_NAMES, load_planetoid
    from .reviews import MOVIE_REVIEW_CLASSES, load_movie_reviews, movie_reviews_file
    from .timemachine import load_time_machine, read_time_machine
    from .translation import TranslationData, load_translation
    from .vision import DIGITS_LABELS, FASHION_MNIST_LABELS, ImageData, load_digits, load_fashion_mnist, load_mnist_5k

__all__ = sorted([
    "DataFile",
    "DatasetError",
    "UnknownDatasetError",
    "cache_dir",
    "extract",
    "fetch",
    "register",
    "registry",
    *_LAZY,
])


def __getattr__(name: str) -> Any:
    try:
        source = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(source, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
