"""Optimisers on two-dimensional functions: run them, draw their paths, count their steps.

Chapter 8 studies optimisation algorithms on functions of two variables, where
a whole run fits in one picture. A function is given as ``f(x1, x2)``, written
with elementwise tensor operations, so the same ``f`` is evaluated at a point
(two 0-d tensors, for the gradient) and on a grid (two ``(n, n)`` tensors, for
the contour lines)::

    f = lambda x1, x2: 0.1 * x1**2 + 2 * x2**2
    path = trajectory_2d(f, (-5.0, -2.0), 20, optimizer=lambda p: torch.optim.SGD(p, lr=0.4))
    plot_trajectory_2d(f, {"GD, lr 0.4": path})

A run either uses a ``torch.optim.Optimizer`` (built by a factory from the one
parameter) or a hand-written update ``x_new = update(x, grad, state)``, so a
from-scratch optimiser and PyTorch's can be compared on the same function.
All points are float64, so closed-form results can be checked exactly.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch

from ._checks import (check_axes, check_callable, check_non_negative_float, check_non_negative_int, check_pair,
                      check_positive_int, check_type)

__all__ = ["trajectory_2d", "plot_trajectory_2d", "steps_to_tolerance"]

Objective2D = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
OptimizerFactory = Callable[[list[torch.Tensor]], torch.optim.Optimizer]
Update = Callable[[torch.Tensor, torch.Tensor, dict], torch.Tensor]


def _start_point(x0: Any) -> torch.Tensor:
    """``x0`` as a float64 tensor of shape ``(2,)``, else raise naming ``x0``."""
    if isinstance(x0, torch.Tensor):
        if x0.shape != (2,):
            raise ValueError(f"x0 must be a pair of numbers or a tensor of shape (2,), got shape {tuple(x0.shape)}")
        if not torch.isfinite(x0).all():
            raise ValueError(f"x0 must be finite, got {x0.tolist()}")
        return x0.detach().to(torch.float64).clone()
    check_pair("x0", x0)
    return torch.tensor([float(v) for v in x0], dtype=torch.float64)


def _value_at(f: Objective2D, x: torch.Tensor) -> torch.Tensor:
    """``f(x[0], x[1])``, checked to be a 0-d tensor (one value for one point)."""
    y = f(x[0], x[1])
    if not isinstance(y, torch.Tensor) or y.shape != ():
        got = f"shape {tuple(y.shape)}" if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError("f must return one value (a 0-d tensor) for a point given as two 0-d tensors, "
                         f"built from torch operations so it has a gradient; got {got}")
    return y


def trajectory_2d(
    f: Objective2D,
    x0: Sequence[float] | torch.Tensor,
    steps: int,
    *,
    optimizer: OptimizerFactory | None = None,
    update: Update | None = None,
    scheduler: Callable[[torch.optim.Optimizer], Any] | None = None,
) -> torch.Tensor:
    r"""The points visited by ``steps`` updates that minimise ``f`` from ``x0``.

    Give exactly one of ``optimizer`` and ``update``:

    * ``optimizer(params)`` returns a ``torch.optim.Optimizer`` over ``params``, a list
      holding one float64 tensor of shape ``(2,)``, e.g.
      ``lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9)``. Each step
      zeroes the gradient, evaluates ``f``, back-propagates and calls ``step()``.
    * ``update(x, grad, state)`` returns the next point, shape ``(2,)``, from the point
      ``x`` (shape ``(2,)``), the gradient :math:`\nabla f(\mathbf{x})` there (shape ``(2,)``)
      and ``state``, a dict kept between steps (empty at the start) for velocities
      and the like. Gradient descent is ``lambda x, g, state: x - lr * g``.

    Args:
        f: ``f(x1, x2)`` with elementwise torch operations, returning a 0-d tensor
            for 0-d inputs (see the module docstring).
        x0: the start, two numbers or a tensor of shape ``(2,)``.
        steps: number of updates, >= 0.
        optimizer: a factory of a ``torch.optim.Optimizer``, or ``None``.
        update: a hand-written update, or ``None``.
        scheduler: with ``optimizer`` only: ``scheduler(opt)`` returns a learning-rate
            scheduler, e.g. ``lambda opt: torch.optim.lr_scheduler.StepLR(opt, 10, 0.5)``,
            stepped after every update.

    Returns:
        A float64 tensor of shape ``(steps + 1, 2)``: row ``t`` is the point after ``t``
        updates (row 0 is ``x0``). A diverging run is not stopped: its rows grow to
        ``inf`` and ``nan``.
    """
    check_callable("f", f, allow_none=False)
    x = _start_point(x0)
    check_non_negative_int("steps", steps)
    check_callable("optimizer", optimizer)
    check_callable("update", update)
    check_callable("scheduler", scheduler)
    if (optimizer is None) == (update is None):
        raise ValueError("give exactly one of optimizer (a factory of a torch.optim.Optimizer) and update "
                         f"(a hand-written update function), got {'both' if optimizer is not None else 'neither'}")
    if scheduler is not None and optimizer is None:
        raise ValueError("scheduler needs optimizer: a hand-written update sets its own step sizes, "
                         "got scheduler with update")
    points = [x.clone()]
    if optimizer is not None:
        param = x.clone().requires_grad_(True)
        opt = optimizer([param])
        if not isinstance(opt, torch.optim.Optimizer):
            raise TypeError("optimizer must be a function that returns a torch.optim.Optimizer over the list it is "
                            f"given, e.g. lambda params: torch.optim.SGD(params, lr=0.1); it returned "
                            f"{type(opt).__name__}")
        sched = scheduler(opt) if scheduler is not None else None
        if sched is not None and not callable(getattr(sched, "step", None)):
            raise TypeError("scheduler must be a function that returns a learning-rate scheduler (with a step() "
                            f"method), e.g. lambda opt: torch.optim.lr_scheduler.StepLR(opt, 10); it returned "
                            f"{type(sched).__name__}")
        for _ in range(steps):
            opt.zero_grad()
            _value_at(f, param).backward()
            opt.step()
            if sched is not None:
                sched.step()
            points.append(param.detach().clone())
    else:
        state: dict = {}
        for t in range(steps):
            point = x.clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(_value_at(f, point), point)
            new = update(x.clone(), grad, state)
            if not isinstance(new, torch.Tensor) or new.shape != (2,):
                got = f"shape {tuple(new.shape)}" if isinstance(new, torch.Tensor) else type(new).__name__
                raise ValueError(f"update must return the next point as a tensor of shape (2,), got {got} "
                                 f"at step {t}")
            x = new.detach().to(torch.float64)
            points.append(x.clone())
    return torch.stack(points)  # (steps + 1, 2)


def steps_to_tolerance(values: Sequence[float] | torch.Tensor | np.ndarray, tol: float) -> int | None:
    """The first index ``t`` with ``values[t] <= tol``, or ``None`` if no value gets there.

    With ``values[t]`` the loss after ``t`` updates (e.g. ``f`` along a
    :func:`trajectory_2d`), this is the number of steps an optimiser needed.
    ``nan`` never counts as reached.

    Args:
        values: a 1-D sequence, array or tensor of shape ``(T,)``.
        tol: the threshold, a float >= 0.
    """
    if isinstance(values, str) or not hasattr(values, "__len__"):
        raise TypeError(f"values must be a 1-D list, NumPy array or tensor of numbers, got {type(values).__name__}")
    arr = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"values must be 1-D and non-empty, got shape {arr.shape}")
    check_non_negative_float("tol", tol)
    hits = np.flatnonzero(arr <= tol)  # nan <= tol is False
    return int(hits[0]) if hits.size else None


def _finite_limits(points: list[np.ndarray], axis: int) -> tuple[float, float] | None:
    vals = np.concatenate([p[:, axis] for p in points]) if points else np.empty(0)
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return None
    low, high = float(vals.min()), float(vals.max())
    pad = 0.1 * (high - low) or 0.5
    return low - pad, high + pad


def _limits(given: tuple[float | None, float | None] | None, points: list[np.ndarray],
            axis: int) -> tuple[float, float] | None:
    """``given``, with a missing side (or all of it) taken from the points' finite range."""
    auto = _finite_limits(points, axis)
    low, high = given if given is not None else (None, None)
    if (low is None or high is None) and auto is None:
        return None
    return (auto[0] if low is None else float(low), auto[1] if high is None else float(high))


def plot_trajectory_2d(
    f: Objective2D,
    trajectories: dict[str, torch.Tensor | np.ndarray],
    *,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    levels: int | Sequence[float] = 20,
    grid_points: int = 150,
    title: str | None = None,
    xlabel: str = "$x_1$",
    ylabel: str = "$x_2$",
    figsize: tuple[float, float] = (4.5, 3.5),
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Contour lines of ``f`` with one or several optimisation paths on top.

    Args:
        f: ``f(x1, x2)`` with elementwise operations; it is evaluated on a
            ``(grid_points, grid_points)`` grid.
        trajectories: label -> points of shape ``(T, 2)`` (e.g. from :func:`trajectory_2d`);
            each is drawn as one line with a marker per point, in the legend under its
            label. May be empty (contours only) when ``xlim`` and ``ylim`` are given.
        xlim, ylim: the region drawn; by default the finite points of the paths plus
            a 10% margin (a diverging path stretches it, so pass limits to zoom in).
        levels: the number of contour lines, or the increasing values to draw them at.
        grid_points: grid resolution per axis, >= 2.
        title, xlabel, ylabel: texts of the figure.
        figsize: used when ``ax`` is None.
        ax: draw on these axes instead of a new figure.

    Returns:
        The axes; ``ax.lines`` holds one line per trajectory, in the order given.
    """
    check_callable("f", f, allow_none=False)
    if not isinstance(trajectories, dict):
        raise TypeError(f"trajectories must be a dict of label -> (T, 2) points, e.g. {{'GD': path}}, "
                        f"got {type(trajectories).__name__}")
    paths: list[np.ndarray] = []
    for label, path in trajectories.items():
        if not isinstance(label, str):
            raise TypeError(f"trajectories must have str labels as keys, got {type(label).__name__} {label!r:.40}")
        arr = path.detach().cpu().numpy() if isinstance(path, torch.Tensor) else np.asarray(path, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
            raise ValueError(f"trajectories[{label!r}] must have shape (T, 2) with T >= 1, got {arr.shape}")
        paths.append(np.where(np.isfinite(arr), arr, np.nan).astype(float))
    check_pair("xlim", xlim, allow_none=True)
    check_pair("ylim", ylim, allow_none=True)
    if isinstance(levels, (bool, np.bool_)) or not isinstance(levels, (int, Sequence, np.ndarray)) \
            or isinstance(levels, str):
        raise TypeError(f"levels must be a positive int or an increasing sequence of values, got "
                        f"{type(levels).__name__} {levels!r:.40}")
    if isinstance(levels, int):
        check_positive_int("levels", levels)
    else:
        lv = np.asarray(levels, dtype=float)
        if lv.ndim != 1 or lv.size == 0 or not np.all(np.diff(lv) > 0):
            raise ValueError(f"levels must be a positive int or a non-empty increasing sequence, got {levels!r:.60}")
    check_positive_int("grid_points", grid_points)
    if grid_points < 2:
        raise ValueError(f"grid_points must be >= 2 (points per axis of the contour grid), got {grid_points}")
    check_type("title", title, str, "a str", allow_none=True)
    check_type("xlabel", xlabel, str, "a str such as '$x_1$'")
    check_type("ylabel", ylabel, str, "a str such as '$x_2$'")
    check_pair("figsize", figsize, positive=True)
    check_axes("ax", ax)

    xr, yr = _limits(xlim, paths, 0), _limits(ylim, paths, 1)
    if xr is None or yr is None:
        raise ValueError("xlim and ylim must be given (both sides) when trajectories holds no finite point, "
                         f"got xlim={xlim!r} and ylim={ylim!r} with {len(paths)} trajectories")
    g1 = torch.linspace(xr[0], xr[1], grid_points, dtype=torch.float64)
    g2 = torch.linspace(yr[0], yr[1], grid_points, dtype=torch.float64)
    X1, X2 = torch.meshgrid(g1, g2, indexing="xy")  # each (grid_points, grid_points)
    with torch.no_grad():
        Z = f(X1, X2)
    if not isinstance(Z, torch.Tensor) or Z.shape != X1.shape:
        got = f"shape {tuple(Z.shape)}" if isinstance(Z, torch.Tensor) else type(Z).__name__
        raise ValueError(f"f must work elementwise: on two {tuple(X1.shape)} grids it must return a "
                         f"{tuple(X1.shape)} tensor, got {got}")
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    ax.contour(X1.numpy(), X2.numpy(), Z.numpy(), levels=levels, cmap="viridis", linewidths=0.8)
    for label, arr in zip(trajectories, paths):
        ax.plot(arr[:, 0], arr[:, 1], "-o", markersize=3, linewidth=1.2, label=label)
    ax.set_xlim(xr)
    ax.set_ylim(yr)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if paths:
        ax.legend(fontsize="small")
    return ax
