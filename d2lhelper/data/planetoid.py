"""The Planetoid citation graphs (Cora, CiteSeer) through the data registry.

PyTorch Geometric's :class:`~torch_geometric.datasets.Planetoid` downloads eight
raw files per dataset into ``<root>/<name>/raw`` and, on first use, turns them
into ``<root>/<name>/processed/data.pt``. :func:`load_planetoid` fetches the raw
files through :func:`~d2lhelper.data.fetch` instead (checksummed, cached, from
the mirror when offline) into exactly that place, so ``Planetoid`` finds them
complete and never goes to the network itself.

``torch_geometric`` is imported inside the function: importing it takes a few
seconds, which ``import d2lhelper`` should not pay.
"""
from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import Any

import filelock

from ._fetch import cache_dir, fetch

__all__ = ["PLANETOID_NAMES", "load_planetoid"]

PLANETOID_NAMES = ("Cora", "CiteSeer")
_RAW_SUFFIXES = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")


def load_planetoid(name: str = "Cora", *, transform: Callable[[Any], Any] | None = None) -> Any:
    """The Planetoid dataset ``name`` with its public split (Yang et al., 2016).

    Args:
        name: ``"Cora"`` (2,708 papers, 7 classes) or ``"CiteSeer"`` (3,327
            papers, 6 classes).
        transform: applied by PyG to the graph on access, e.g.
            ``torch_geometric.transforms.NormalizeFeatures()``.

    Returns:
        A ``torch_geometric.datasets.Planetoid`` holding one graph; ``dataset[0]``
        has ``x (num_nodes, num_features)``, ``edge_index (2, num_edges)`` (both
        directions of every citation), ``y (num_nodes,)`` and the boolean masks
        ``train_mask`` (20 nodes per class), ``val_mask`` (500) and ``test_mask`` (1,000).

    Raises:
        ValueError: ``name`` is not one of :data:`PLANETOID_NAMES`.
        DatasetError: a raw file could not be fetched (see :func:`fetch`).
    """
    if name not in PLANETOID_NAMES:
        raise ValueError(f"name must be one of {list(PLANETOID_NAMES)}, got {name!r}")
    if transform is not None and not callable(transform):
        raise TypeError(f"transform must be a function (a callable) or None, got {type(transform).__name__}")
    for suffix in _RAW_SUFFIXES:
        fetch(f"ind.{name.lower()}.{suffix}")  # -> <cache>/planetoid/<name>/raw/...
    root = cache_dir() / "planetoid"
    from torch_geometric.datasets import Planetoid

    # Two notebooks may run at once; the first processes the raw files, the other waits.
    with filelock.FileLock(str(root / f".{name}.lock")):
        quiet = io.StringIO()  # PyG prints "Processing... Done!" the first time
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            return Planetoid(str(root), name=name, transform=transform)
