"""Argument checks shared by the public helpers.

Each check raises an error that names the argument, what was expected and what
was given, so a reader who passes the wrong thing learns how to fix it.
"""
from __future__ import annotations

import contextlib as _contextlib
import contextvars as _contextvars
from typing import Any, Iterator


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` if it is an ``int`` > 0, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return value


def check_positive_ints(**values: Any) -> None:
    """:func:`check_positive_int` for each keyword argument, e.g. ``check_positive_ints(vocab_size=v, num_hiddens=h)``."""
    for name, value in values.items():
        check_positive_int(name, value)


def check_non_negative_int(name: str, value: Any) -> int:
    """Return ``value`` if it is an ``int`` >= 0, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int >= 0, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value}")
    return value


def check_not_empty(name: str, value: Any) -> Any:
    """Return ``value`` if ``len(value) > 0``, else raise naming ``name``."""
    try:
        n = len(value)
    except TypeError:
        raise TypeError(f"{name} must be a sized collection, got {type(value).__name__}") from None
    if n == 0:
        raise ValueError(f"{name} must not be empty, got an empty {type(value).__name__}")
    return value


def _got(value: Any) -> str:
    """``value`` for a message: its type and a short repr, e.g. ``str '0.1'``."""
    return f"{type(value).__name__} {value!r:.60}"


def _is_real(value: Any) -> bool:
    import numbers

    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_bool(name: str, value: Any, *, allow_none: bool = False) -> Any:
    """Return ``value`` if it is ``True`` or ``False`` (or ``None`` with ``allow_none``), else raise.

    A flag given a string such as ``"no"`` would otherwise count as true.
    """
    import numpy as np

    if (value is None and allow_none) or isinstance(value, (bool, np.bool_)):
        return value
    raise TypeError(f"{name} must be True or False{' or None' if allow_none else ''}, got {_got(value)}")


def check_positive_float(name: str, value: Any, *, allow_none: bool = False) -> Any:
    """Return ``value`` if it is a finite real number > 0 (or ``None`` with ``allow_none``), else raise."""
    if value is None and allow_none:
        return value
    expected = f"a positive float{' or None' if allow_none else ''}"
    if not _is_real(value):
        raise TypeError(f"{name} must be {expected}, got {_got(value)}")
    if not 0 < value < float("inf"):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return value


def check_non_negative_float(name: str, value: Any) -> Any:
    """Return ``value`` if it is a finite real number >= 0, else raise naming ``name``."""
    if not _is_real(value):
        raise TypeError(f"{name} must be a float >= 0, got {_got(value)}")
    if not 0 <= value < float("inf"):
        raise ValueError(f"{name} must be a float >= 0, got {value!r}")
    return value


def check_float_in_range(name: str, value: Any, low: float, high: float, *, include_low: bool = True,
                         include_high: bool = False) -> Any:
    """Return ``value`` if it is a real number in the interval, e.g. ``[0, 1)`` for a dropout probability."""
    interval = f"{'[' if include_low else '('}{low:g}, {high:g}{']' if include_high else ')'}"
    if not _is_real(value):
        raise TypeError(f"{name} must be a float in {interval}, got {_got(value)}")
    above = low <= value if include_low else low < value
    below = value <= high if include_high else value < high
    if not (above and below):
        raise ValueError(f"{name} must be a float in {interval}, got {value!r}")
    return value


def check_choice(name: str, value: Any, choices: tuple[Any, ...]) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise a ValueError listing them."""
    if isinstance(value, str) or value is None or isinstance(value, (bool, int)):
        if value in choices:
            return value
    raise ValueError(f"{name} must be one of {choices}, got {value!r:.60}")


def check_type(name: str, value: Any, types: type | tuple[type, ...], expected: str, *,
               allow_none: bool = False) -> Any:
    """Return ``value`` if it is an instance of ``types`` (or ``None`` with ``allow_none``), else raise.

    ``expected`` says what is wanted in words, e.g. ``"a torch.Generator"``.
    """
    if (value is None and allow_none) or isinstance(value, types):
        return value
    raise TypeError(f"{name} must be {expected}{' or None' if allow_none else ''}, got {_got(value)}")


def check_callable(name: str, value: Any, *, allow_none: bool = True) -> Any:
    """Return ``value`` if it can be called (or is ``None`` with ``allow_none``), else raise."""
    if (value is None and allow_none) or callable(value):
        return value
    raise TypeError(f"{name} must be a function (a callable){' or None' if allow_none else ''}, got {_got(value)}")


def check_path(name: str, value: Any, *, allow_none: bool = False) -> Any:
    """Return ``value`` if it is a non-empty str or an ``os.PathLike`` (or ``None`` with ``allow_none``)."""
    import os

    if (value is None and allow_none) or isinstance(value, os.PathLike) or (isinstance(value, str) and value):
        return value
    raise TypeError(f"{name} must be a non-empty str or os.PathLike{' or None' if allow_none else ''}, "
                    f"got {_got(value)}")


def check_pair(name: str, value: Any, *, positive: bool = False, allow_none: bool = False) -> Any:
    """Return ``value`` if it is a pair of finite real numbers (both > 0 with ``positive``), e.g. a figsize.

    With ``allow_none`` (axis limits), ``None`` and a pair with a ``None`` side (left as matplotlib chooses) pass too.
    """
    if value is None and allow_none:
        return value
    expected = (f"a pair of {'positive ' if positive else ''}numbers"
                + (" (low, high), a side may be None, or None" if allow_none else ""))
    ok = lambda v: _is_real(v) or (allow_none and v is None)  # noqa: E731
    if isinstance(value, str) or not hasattr(value, "__len__") or len(value) != 2 or not all(map(ok, value)):
        raise TypeError(f"{name} must be {expected}, got {_got(value)}")
    if any(v is not None and (not abs(v) < float("inf") or (positive and not v > 0)) for v in value):
        raise ValueError(f"{name} must be {expected}, got {tuple(value)}")
    return value


def check_str_sequence(name: str, value: Any, *, example: str = "['a', 'b']", non_empty: bool = False) -> Any:
    """Return ``value`` if it is a sequence (not a str) of str, else raise; a bare str would be read letter by letter."""
    if isinstance(value, str):
        raise TypeError(f"{name} must be a sequence of str such as {example}, not a str ({value!r:.60}): "
                        "a str would be read one character at a time")
    try:
        items = list(value)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of str such as {example}, got {_got(value)}") from None
    bad = [v for v in items if not isinstance(v, str)]
    if bad:
        raise TypeError(f"{name} must hold only str, got {type(bad[0]).__name__} {bad[0]!r:.60}")
    if non_empty and not items:
        raise ValueError(f"{name} must hold at least one str such as {example}, got an empty sequence")
    return value


def check_device(name: str, value: Any, *, allow_none: bool = True) -> Any:
    """Return ``value`` if it names a device this machine has (a ``torch.device``, a str such as ``"cuda:0"``).

    Raises a ValueError for an unknown device string or a device that is not
    available here (no CUDA, an index past the last GPU), instead of an error
    from deep inside PyTorch when the first tensor moves.
    """
    import torch

    if value is None and allow_none:
        return value
    if not isinstance(value, (str, torch.device)):
        raise TypeError(f"{name} must be a torch.device or a str such as 'cpu' or 'cuda:0'"
                        f"{' or None' if allow_none else ''}, got {_got(value)}")
    try:
        device = torch.device(value)
    except RuntimeError:
        raise ValueError(f"{name} must be a device such as 'cpu', 'cuda' or 'cuda:0', got {value!r}") from None
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(f"{name}={value!r} names a CUDA device, but none is available here; use 'cpu'")
        if device.index is not None and device.index >= count:
            raise ValueError(f"{name}={value!r} names a CUDA device this machine lacks: it has {count}, "
                             f"use an index in [0, {count})")
    elif device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"{name}={value!r} names an Apple MPS device, but none is available here; use 'cpu'")
    return value


def check_axes(name: str, value: Any) -> Any:
    """Return ``value`` if it is ``None`` or a matplotlib ``Axes``, else raise naming ``name``."""
    if value is None:
        return value
    from matplotlib.axes import Axes

    if not isinstance(value, Axes):
        raise TypeError(f"{name} must be a matplotlib Axes (e.g. from plt.subplots()) or None, got {_got(value)}")
    return value


def check_cmap(name: str, value: Any) -> Any:
    """Return ``value`` if it is a matplotlib colormap or the name of one, else raise naming ``name``."""
    import matplotlib
    from matplotlib.colors import Colormap

    if isinstance(value, Colormap) or (isinstance(value, str) and value in matplotlib.colormaps):
        return value
    raise ValueError(f"{name} must be a matplotlib colormap or its name, such as 'gray', 'Reds' or 'viridis', "
                     f"got {value!r:.60}")


def check_module(name: str, value: Any) -> Any:
    """Return ``value`` if it is a ``torch.nn.Module``, else raise naming ``name``."""
    from torch import nn

    if not isinstance(value, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(value).__name__} {value!r:.60}")
    return value


# ---------------------------------------------------------------- value checks inside training loops
# Checking a tensor's *values* (e.g. valid_lens in [0, K]) reads them on the host: on a GPU every such
# check stalls the device until all queued work is done. Public functions check values when a reader
# calls them directly; the trainers, whose batches come from the book's loaders, run their loops inside
# ``values_trusted()`` so a Transformer forward makes no host-device synchronisation at all.
# Shape and dtype checks (metadata only, no sync) always run.
_values_trusted = _contextvars.ContextVar("d2lhelper_values_trusted", default=False)


@_contextlib.contextmanager
def values_trusted() -> Iterator[None]:
    """Within this block, skip the value checks that would read tensors back to the host."""
    token = _values_trusted.set(True)
    try:
        yield
    finally:
        _values_trusted.reset(token)


def check_values() -> bool:
    """Whether value checks should run here (False inside :func:`values_trusted`)."""
    return not _values_trusted.get()
