"""One training configuration over several seeds, and the spread of what it gives.

A single run's accuracy depends on its seed (the initial weights, the order of the
batches), so comparing two optimisers or two schedules on one run each compares
noise as much as methods. :func:`fit_seeds` trains one configuration once per seed
with :func:`~d2lhelper.fit` and returns a :class:`SeedRuns`; :func:`runs_table`
summarises several configurations (mean, standard deviation, worst and best seed)
and :func:`plot_runs` draws their mean curves with a band over the seeds.

For a column such as ``val_metric``, with one final value :math:`a_s` per seed
:math:`s = 1..S`, the table reports :math:`\\bar a = \\frac1S \\sum_s a_s` and the
sample standard deviation :math:`\\sqrt{\\frac{1}{S-1} \\sum_s (a_s - \\bar a)^2}`
(0 for a single seed).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ._checks import (check_axes, check_callable, check_choice, check_device, check_non_negative_int, check_pair,
                      check_positive_int, check_type)
from .train import Batch, History, _check_loader, accuracy, fit

__all__ = ["SeedRuns", "fit_seeds", "runs_table", "plot_runs"]

_BANDS = ("std", "range")
_SCALES = ("linear", "log", "symlog", "logit")


@dataclass(frozen=True)
class SeedRuns:
    """The runs of one configuration, one per seed, as :func:`fit_seeds` returns them.

    Attributes:
        seeds: the seeds, in the order they ran.
        histories: one :class:`~d2lhelper.History` per seed.
        models: the trained models, one per seed (e.g. to evaluate on a test set once).
        optimizers: their optimisers, one per seed, with their final state (e.g. Adam's
            running averages); empty where the runs were not made by :func:`fit_seeds`.
    """

    seeds: tuple[int, ...]
    histories: tuple[History, ...]
    models: tuple[nn.Module, ...]
    optimizers: tuple[torch.optim.Optimizer, ...] = ()

    def __len__(self) -> int:
        return len(self.seeds)

    def curves(self, column: str = "train_loss") -> np.ndarray:
        """The column per epoch for every seed, shape ``(num_seeds, epochs)``.

        Raises:
            KeyError: no history has ``column`` (the message lists the columns there are).
        """
        return np.array([h[column] for h in self.histories], dtype=float)

    def finals(self, column: str = "val_metric") -> np.ndarray:
        """The last epoch's value of ``column`` for every seed, shape ``(num_seeds,)``."""
        return self.curves(column)[:, -1]

    def mean(self, column: str = "val_metric") -> float:
        """Mean over the seeds of the last epoch's ``column``."""
        return float(self.finals(column).mean())

    def std(self, column: str = "val_metric") -> float:
        """Sample standard deviation (``ddof=1``; 0 for one seed) over the seeds of the last epoch's ``column``."""
        finals = self.finals(column)
        return float(finals.std(ddof=1)) if len(finals) > 1 else 0.0

    def examples_per_s(self) -> float:
        """Median training examples per second over every epoch of every seed."""
        return float(np.median(self.curves("examples_per_s")))


def _check_seeds(seeds: Any) -> tuple[int, ...]:
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise TypeError(f"seeds must be a sequence of ints >= 0 such as (0, 1, 2), got {type(seeds).__name__} "
                        f"{seeds!r:.60}")
    seeds = tuple(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed such as (0, 1, 2), got an empty sequence")
    for s in seeds:
        check_non_negative_int("seeds", s)
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct (a repeated seed repeats the same run), got {seeds}")
    return seeds


def fit_seeds(
    make_model: Callable[[], nn.Module],
    make_optimizer: Callable[[nn.Module], torch.optim.Optimizer],
    train_iter: Iterable[Batch],
    val_iter: Iterable[Batch] | None = None,
    *,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    epochs: int,
    seeds: Sequence[int] = (0, 1, 2),
    make_scheduler: Callable[[torch.optim.Optimizer], Any] | None = None,
    metric: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = accuracy,
    device: torch.device | str | None = None,
) -> SeedRuns:
    """Train one configuration once per seed with :func:`~d2lhelper.fit`.

    For each seed: :func:`~d2lhelper.seed_everything` ``(seed)``, then
    ``model = make_model()``, ``optimizer = make_optimizer(model)``, the scheduler
    ``make_scheduler(optimizer)`` if given (``fit`` steps it once per epoch), and
    ``fit(model, train_iter, val_iter, ...)`` without live plot or progress bar. The
    seed therefore fixes the initial weights and, for loaders that shuffle from the
    global generator (the book's :class:`~d2lhelper.data.TensorLoader`), the batch order.

    Args:
        make_model: builds a fresh model, e.g. ``lambda: nn.Sequential(...)``.
        make_optimizer: builds the optimiser for that model, e.g.
            ``lambda m: torch.optim.SGD(m.parameters(), lr=0.1)``.
        train_iter, val_iter: as for :func:`~d2lhelper.fit`; batches ``X (batch, ...)``, ``y (batch, ...)``.
        loss_fn: averages over the batch, e.g. ``nn.CrossEntropyLoss()``.
        epochs: passes over ``train_iter`` per seed, > 0.
        seeds: distinct ints >= 0, one run each.
        make_scheduler: builds a learning-rate scheduler for the optimiser, e.g.
            ``lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)``; ``None``: constant.
        metric: as for :func:`~d2lhelper.fit` (a sum over the batch); ``None`` for regression.
        device: where to train (default :func:`~d2lhelper.get_device`).

    Returns:
        A :class:`SeedRuns` with one history, one trained model and its optimiser per seed.
    """
    check_callable("make_model", make_model, allow_none=False)
    check_callable("make_optimizer", make_optimizer, allow_none=False)
    _check_loader("train_iter", train_iter)
    if val_iter is not None:
        _check_loader("val_iter", val_iter)
    check_callable("loss_fn", loss_fn, allow_none=False)
    check_positive_int("epochs", epochs)
    seeds = _check_seeds(seeds)
    check_callable("make_scheduler", make_scheduler)
    check_callable("metric", metric)
    check_device("device", device)
    from .device import seed_everything

    histories, models, optimizers = [], [], []
    for seed in seeds:
        seed_everything(seed)
        model = make_model()
        if not isinstance(model, nn.Module):
            raise TypeError(f"make_model must return a torch.nn.Module, got {type(model).__name__} {model!r:.60}")
        optimizer = make_optimizer(model)
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"make_optimizer must return a torch.optim.Optimizer built on the model's parameters, "
                            f"got {type(optimizer).__name__} {optimizer!r:.60}")
        scheduler = make_scheduler(optimizer) if make_scheduler is not None else None
        if scheduler is not None and not callable(getattr(scheduler, "step", None)):
            raise TypeError(f"make_scheduler must return a scheduler with a step() method (e.g. "
                            f"torch.optim.lr_scheduler.StepLR), got {type(scheduler).__name__}")
        histories.append(fit(model, train_iter, val_iter, loss_fn=loss_fn, optimizer=optimizer, epochs=epochs,
                             metric=metric, device=device, scheduler=scheduler, live_plot=False, progress=False))
        models.append(model)
        optimizers.append(optimizer)
    return SeedRuns(seeds=seeds, histories=tuple(histories), models=tuple(models), optimizers=tuple(optimizers))


def _check_runs(runs: Any) -> Mapping[str, SeedRuns]:
    if not isinstance(runs, Mapping):
        raise TypeError(f"runs must be a dict mapping a label to the SeedRuns of fit_seeds, got "
                        f"{type(runs).__name__} {runs!r:.60}")
    if not runs:
        raise ValueError("runs must hold at least one labelled SeedRuns, got an empty dict")
    for label, r in runs.items():
        if not isinstance(r, SeedRuns):
            raise TypeError(f"runs[{label!r}] must be a SeedRuns (what fit_seeds returns), got {type(r).__name__}")
    return runs


def _check_column(column: Any, runs: Mapping[str, SeedRuns]) -> str:
    check_type("column", column, str, "a History column such as 'val_metric' or 'train_loss'")
    for label, r in runs.items():
        known = sorted({k for h in r.histories for row in h.rows for k in row})
        if column not in known:
            raise KeyError(f"column {column!r} is not in the histories of runs[{label!r}]; columns are {known}")
    return column


def runs_table(runs: Mapping[str, SeedRuns], column: str = "val_metric") -> pd.DataFrame:
    """One row per configuration: the last epoch's ``column`` over the seeds, and the speed.

    Args:
        runs: label -> :class:`SeedRuns`, e.g. ``{"SGD": fit_seeds(...), "Adam": fit_seeds(...)}``.
        column: a :class:`~d2lhelper.History` column, e.g. ``"val_metric"`` or ``"val_loss"``.

    Returns:
        A DataFrame indexed by label with columns ``mean``, ``std`` (sample, ``ddof=1``),
        ``min``, ``max`` (worst and best seed), ``seeds`` (how many) and
        ``examples_per_s`` (the median over epochs and seeds).
    """
    runs = _check_runs(runs)
    column = _check_column(column, runs)
    rows = []
    for label, r in runs.items():
        finals = r.finals(column)
        rows.append({"": label, "mean": finals.mean(), "std": r.std(column), "min": finals.min(),
                     "max": finals.max(), "seeds": len(r), "examples_per_s": r.examples_per_s()})
    return pd.DataFrame(rows).set_index("")


def plot_runs(
    runs: Mapping[str, SeedRuns],
    column: str = "train_loss",
    *,
    band: str = "std",
    xlabel: str = "epoch",
    ylabel: str | None = None,
    title: str | None = None,
    yscale: str = "linear",
    figsize: tuple[float, float] = (5.5, 3.5),
    ax: Any = None,
) -> Any:
    """Mean curve of ``column`` per configuration, with a shaded band over the seeds.

    Args:
        runs: label -> :class:`SeedRuns`; one curve (and legend entry) per label.
        column: the :class:`~d2lhelper.History` column to draw against the epoch.
        band: ``"std"`` shades mean ± one sample standard deviation (on a log axis, where
            mean − std would be <= 0, the lowest seed's value is the lower edge); ``"range"``
            shades from the lowest to the highest seed at every epoch.
        ylabel: default: ``column`` with spaces.
        yscale: ``"linear"`` or ``"log"`` (or ``"symlog"``, ``"logit"``).
        figsize: used when ``ax`` is ``None``.
        ax: draw into these axes instead of a new figure.

    Returns:
        The axes drawn on.
    """
    import matplotlib.pyplot as plt

    runs = _check_runs(runs)
    column = _check_column(column, runs)
    check_choice("band", band, _BANDS)
    check_choice("yscale", yscale, _SCALES)
    check_pair("figsize", figsize, positive=True)
    check_axes("ax", ax)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    for label, r in runs.items():
        curves = r.curves(column)                       # (num_seeds, epochs)
        epochs = np.array(r.histories[0]["epoch"], dtype=float)
        mean = curves.mean(axis=0)
        if band == "std":
            spread = curves.std(axis=0, ddof=1) if len(curves) > 1 else np.zeros_like(mean)
            low, high = mean - spread, mean + spread
            if yscale == "log":  # a band edge <= 0 cannot be drawn on a log axis: use the lowest seed there
                low = np.where(low > 0, low, curves.min(axis=0))
        else:
            low, high = curves.min(axis=0), curves.max(axis=0)
        (line,) = ax.plot(epochs, mean, label=label)
        ax.fill_between(epochs, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel if ylabel is not None else column.replace("_", " "))
    if title:
        ax.set_title(title)
    ax.set_yscale(yscale)
    ax.grid(True, alpha=0.3)
    seeds = sorted({len(r) for r in runs.values()})
    what = "mean ± 1 std" if band == "std" else "mean, worst to best"
    ax.legend(title=f"{what} over {'/'.join(map(str, seeds))} seeds", fontsize="small", title_fontsize="small")
    return ax
