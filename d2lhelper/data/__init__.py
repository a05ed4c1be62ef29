"""The book's data files: a checksummed registry, a verified cache, safe extraction.

>>> from d2lhelper.data import fetch
>>> path = fetch("timemachine.txt")  # doctest: +SKIP

See :func:`fetch` for the cache, mirror and offline environment variables.
"""

from ._fetch import DatasetError, cache_dir, extract, fetch
from ._registry import DataFile, UnknownDatasetError, register, registry
from .loaders import TensorLoader
from .planetoid import PLANETOID_NAMES, load_planetoid
from .translation import TranslationData, load_translation
from .vision import DIGITS_LABELS, FASHION_MNIST_LABELS, ImageData, load_digits, load_fashion_mnist, load_mnist_5k

__all__ = [
    "DIGITS_LABELS",
    "FASHION_MNIST_LABELS",
    "DataFile",
    "DatasetError",
    "ImageData",
    "PLANETOID_NAMES",
    "TensorLoader",
    "TranslationData",
    "UnknownDatasetError",
    "cache_dir",
    "extract",
    "fetch",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist_5k",
    "load_planetoid",
    "load_translation",
    "register",
    "registry",
]
