"""Argument checks shared by the public helpers.

Each check raises an error that names the argument, what was expected and what
was given, so a reader who passes the wrong thing learns how to fix it.
"""
from __future__ import annotations

from typing import Any


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


def check_module(name: str, value: Any) -> Any:
    """Return ``value`` if it is a ``torch.nn.Module``, else raise naming ``name``."""
    from torch import nn

    if not isinstance(value, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(value).__name__} {value!r:.60}")
    return value
