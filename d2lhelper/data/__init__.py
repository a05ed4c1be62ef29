"""The book's data files: a checksummed registry, a verified cache, safe extraction.

>>> from d2lhelper.data import fetch
>>> path = fetch("timemachine.txt")  # doctest: +SKIP

See :func:`fetch` for the cache, mirror and offline environment variables.
"""

from ._fetch import DatasetError, cache_dir, extract, fetch
from ._registry import DataFile, UnknownDatasetError, register, registry

__all__ = [
    "DataFile",
    "DatasetError",
    "UnknownDatasetError",
    "cache_dir",
    "extract",
    "fetch",
    "register",
    "registry",
]
