"""Where the time of a step goes: :mod:`torch.profiler` summarised in one table.

:func:`profile_step` calls a function (typically one training step) a few times
under the profiler and returns the operators with the most *self* time: the time
spent in an operator itself, not in the operators it calls. ``aten::linear``
calls ``aten::addmm``; the profiler's *total* time of ``aten::linear`` includes
the matrix product, its *self* time does not, so the self times of all operators
add up to the time the profiler saw, and each operator's share of that sum says
where the time went.

With CUDA the profiler also records the GPU kernels, and the table gets their
device time. GPU work is asynchronous, so the function is followed by
``torch.cuda.synchronize()`` before the profiler stops (and after the warm-up).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import torch

from ._checks import check_callable, check_choice, check_non_negative_int, check_positive_int

__all__ = ["profile_step"]


def _self_device_us(event: Any) -> float:
    """An averaged profiler event's self device (CUDA) time in microseconds (older PyTorch: ``self_cuda_time_total``)."""
    value = getattr(event, "self_device_time_total", None)
    if value is None:
        value = getattr(event, "self_cuda_time_total", 0.0)
    return float(value)


def profile_step(fn: Callable[[], Any], *, steps: int = 5, warmup: int = 1, row_limit: int = 10,
                 sort_by: str = "cpu") -> pd.DataFrame:
    """Profile ``steps`` calls of ``fn`` and return the operators with the most self time.

    Args:
        fn: called with no arguments, e.g. ``lambda: train_step(X, y)``; what it returns is ignored.
        steps: calls recorded by the profiler (> 0); the times are averaged over them.
        warmup: calls made first and not recorded (>= 0): first calls allocate memory,
            pick kernels or compile, and would distort the table.
        row_limit: how many operators to return (> 0), those with the most self time.
        sort_by: ``"cpu"`` ranks by self CPU time; ``"cuda"`` by self CUDA time (needs a GPU).

    Returns:
        A DataFrame with one row per operator, most expensive first, and the columns

        * ``name``: the operator (``aten::mm``), an annotation (``Optimizer.step#SGD.step``)
          or, on a GPU, a kernel;
        * ``calls``: calls per step;
        * ``self_cpu_ms``: self CPU time per step, in milliseconds;
        * ``cpu_share``: its fraction of the self CPU time of *all* operators (the rows
          shown sum to at most 1);
        * with CUDA, ``self_cuda_ms`` and ``cuda_share`` likewise for the GPU.

        ``df.attrs`` holds ``steps``, ``total_cpu_ms`` (self CPU time of all operators per
        step) and, with CUDA, ``total_cuda_ms``.

    Raises:
        TypeError, ValueError: an argument is of the wrong type or out of range.
    """
    from torch.profiler import ProfilerActivity, profile

    check_callable("fn", fn, allow_none=False)
    check_positive_int("steps", steps)
    check_non_negative_int("warmup", warmup)
    check_positive_int("row_limit", row_limit)
    check_choice("sort_by", sort_by, ("cpu", "cuda"))
    cuda = torch.cuda.is_available()
    if sort_by == "cuda" and not cuda:
        raise ValueError("sort_by='cuda' ranks by GPU time, but no CUDA device is available here; use 'cpu'")

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    for _ in range(warmup):
        fn()
    sync()
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=activities) as prof:
        for _ in range(steps):
            fn()
        sync()  # the kernels still queued belong to these steps
    events = prof.key_averages()
    rows = [{"name": e.key, "calls": e.count / steps, "self_cpu_ms": e.self_cpu_time_total / 1e3 / steps,
             **({"self_cuda_ms": _self_device_us(e) / 1e3 / steps} if cuda else {})} for e in events]
    df = pd.DataFrame(rows, columns=["name", "calls", "self_cpu_ms", *(["self_cuda_ms"] if cuda else [])])
    total_cpu = float(df["self_cpu_ms"].sum())
    df["cpu_share"] = df["self_cpu_ms"] / total_cpu if total_cpu > 0 else 0.0
    attrs: dict[str, Any] = {"steps": steps, "total_cpu_ms": total_cpu}
    if cuda:
        total_cuda = float(df["self_cuda_ms"].sum())
        df["cuda_share"] = df["self_cuda_ms"] / total_cuda if total_cuda > 0 else 0.0
        attrs["total_cuda_ms"] = total_cuda
        df = df[["name", "calls", "self_cpu_ms", "cpu_share", "self_cuda_ms", "cuda_share"]]
    key = "self_cpu_ms" if sort_by == "cpu" else "self_cuda_ms"
    df = df.sort_values(key, ascending=False, kind="stable").head(row_limit).reset_index(drop=True)
    df.attrs.update(attrs)
    return df
