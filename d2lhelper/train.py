"""A supervised training loop that reports what the book measures.

:func:`fit` is the loop every chapter after chapter 2 uses; chapter 2 writes it
by hand first. It keeps per-batch sums on the device and reads them once per
epoch, so it adds no host-device synchronisation a hand-written loop would not
have, and it returns a :class:`History` (per-epoch losses, metrics, examples per
second and wall time) that prints as a table and plots as curves.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import torch
from torch import nn

from ._checks import check_module, check_positive_int, values_trusted
from ._checks import check_bool, check_callable, check_device, check_type
from ._engine import Epochs, Stepper, check_amp, progress_bar, to_device
from ._engine import progress_bar as _progress  # noqa: F401 - the other trainers import it from here
from .checkpoint import move_optimizer_state
from .device import get_device, hardware_summary
from .plotting import LivePlot
from .tensorboard import TensorBoardLogger

__all__ = ["accuracy", "evaluate", "fit", "History"]

Batch = tuple[Any, torch.Tensor]


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Number of correct predictions, as a 0-d tensor on ``y_hat``'s device.

    Args:
        y_hat: scores of shape ``(batch, num_classes)``, or predicted labels of
            shape ``(batch,)``.
        y: true labels, shape ``(batch,)``, integer dtype.
    """
    shape = tuple(y_hat.shape)
    if y_hat.ndim == 2:
        y_hat = y_hat.argmax(dim=1)
    if y_hat.shape != y.shape:
        raise ValueError(f"y_hat must have shape ({len(y)}, num_classes) or ({len(y)},) to match y of shape "
                         f"{tuple(y.shape)}, got {shape}")
    return (y_hat == y).sum()


@contextlib.contextmanager
def _matmul_precision(precision: str | None) -> Iterator[None]:
    """Set ``torch.set_float32_matmul_precision`` for the block (``None``: leave it), then restore it."""
    if precision is None:
        yield
        return
    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision(precision)
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(before)


def _check_tensorboard(tensorboard: Any) -> None:
    """``tensorboard`` is ``None``, a :class:`TensorBoardLogger` or a folder path (not a file)."""
    if tensorboard is None or isinstance(tensorboard, TensorBoardLogger):
        return
    if isinstance(tensorboard, os.PathLike) or (isinstance(tensorboard, str) and tensorboard):
        if os.path.isfile(tensorboard):
            raise ValueError(f"tensorboard must be a log folder (or not exist yet), got the file "
                             f"{os.fspath(tensorboard)!r}")
        return
    raise TypeError(f"tensorboard must be a TensorBoardLogger, a log folder (a non-empty str or os.PathLike) "
                    f"or None, got {type(tensorboard).__name__} {tensorboard!r:.60}")


@contextlib.contextmanager
def _finishing(logger: TensorBoardLogger | None, given: Any) -> Iterator[None]:
    """At the end of the block, close ``logger`` if it was made from a path, else flush it."""
    try:
        yield
    finally:
        if logger is not None and logger is given:
            logger.flush()  # the caller's logger: it may log more
        elif logger is not None:
            logger.close()


def _forward(model: nn.Module, X: Any) -> torch.Tensor:
    return model(*X) if isinstance(X, (list, tuple)) else model(X)


def _check_loader(name: str, loader: Any, *, reiterable: bool = True) -> None:
    """``loader`` yields batches; with ``reiterable``, every ``iter(loader)`` starts a fresh pass."""
    if not isinstance(loader, Iterable):
        raise TypeError(f"{name} must be an iterable of (X, y) batches such as a DataLoader, got {type(loader).__name__}")
    if reiterable and iter(loader) is loader:
        raise TypeError(f"{name} must be re-iterable (a DataLoader, TensorLoader or list of batches), got a one-shot "
                        f"{type(loader).__name__}: it would be empty from the second epoch on")
    try:
        n = len(loader)
    except TypeError:
        return
    if n == 0:
        raise ValueError(f"{name} must yield at least one batch, got an empty {type(loader).__name__}")


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data_iter: Iterable[Batch],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    *,
    metric: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = accuracy,
    device: torch.device | str | None = None,
    amp: str | None = None,
) -> dict[str, float]:
    """Mean loss and metric of ``model`` over ``data_iter``, in eval mode.

    Args:
        model: maps a batch ``X`` to outputs ``(batch, ...)``.
        data_iter: yields ``(X, y)``; ``X`` may be a tensor or a tuple of tensors.
        loss_fn: a loss that averages over the batch (e.g. ``nn.CrossEntropyLoss()``);
            ``None`` skips the loss.
        metric: returns the *sum* over the batch (like :func:`accuracy`); ``None`` skips it.
        amp: ``None``, ``"bf16"`` or ``"fp16"``: run the forward pass under that autocast dtype, as :func:`fit` does.

    Returns:
        ``{"loss": ..., "metric": ..., "examples": ...}`` with the keys that apply.
        The model's train/eval mode is restored afterwards.
    """
    check_module("model", model)
    _check_loader("data_iter", data_iter, reiterable=False)  # one pass: a generator is fine
    check_callable("loss_fn", loss_fn)
    check_callable("metric", metric)
    check_device("device", device)
    amp_dtype = check_amp(amp)
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=device)
    metric_sum = torch.zeros((), device=device)
    n = 0
    with values_trusted(), torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
        for X, y in data_iter:
            X, y = to_device(X, device), to_device(y, device)
            y_hat = _forward(model, X)
            if loss_fn is not None:
                loss_sum += loss_fn(y_hat, y).float() * len(y)
            if metric is not None:
                metric_sum += metric(y_hat, y)
            n += len(y)
    model.train(was_training)
    if n == 0:
        raise ValueError(f"data_iter must yield at least one example, got an empty {type(data_iter).__name__}")
    sums = torch.stack([loss_sum, metric_sum.float()]).tolist()  # one host read
    out: dict[str, float] = {"examples": n}
    if loss_fn is not None:
        out["loss"] = sums[0] / n
    if metric is not None:
        out["metric"] = sums[1] / n
    return out


@dataclass
class History:
    """Per-epoch record of a :func:`fit` run.

    ``rows`` holds one dict per epoch with ``epoch``, ``train_loss``,
    ``train_metric``, ``val_loss``, ``val_metric`` (where measured),
    ``examples_per_s`` (training examples per second of training time) and
    ``seconds`` (wall time of the epoch, evaluation included).
    """

    rows: list[dict[str, float]] = field(default_factory=list)
    metric_name: str = "accuracy"
    hardware: str = ""

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: str) -> list[float]:
        """The column ``key`` over the epochs that measured it, e.g. ``history["val_metric"]``."""
        if not any(key in r for r in self.rows):
            known = sorted({k for r in self.rows for k in r})
            raise KeyError(f"no column {key!r} in this history; columns are {known}")
        return [r[key] for r in self.rows if key in r]

    @property
    def final(self) -> dict[str, float]:
        """The last epoch's row."""
        if not self.rows:
            raise ValueError("history is empty: no epoch has finished")
        return self.rows[-1]

    def table(self) -> pd.DataFrame:
        """The history as a DataFrame indexed by epoch."""
        df = pd.DataFrame(self.rows).set_index("epoch")
        if not self.metric_name:
            return df
        return df.rename(columns=lambda c: c.replace("metric", self.metric_name))

    def __repr__(self) -> str:
        return f"{self.table().to_string(float_format=lambda v: f'{v:.4g}')}\n({self.hardware})"

    def _repr_html_(self) -> str:
        return self.table().to_html(float_format=lambda v: f"{v:.4g}") + f"<p><small>{self.hardware}</small></p>"

    def plot(self, ax: Any = None) -> Any:
        """Plot losses and metrics against epochs; returns the axes."""
        from .plotting import plot

        cols = [c for c in ("train_loss", "val_loss", "train_metric", "val_metric") if c in self.rows[-1]]
        labels = [c.replace("metric", self.metric_name).replace("_", " ") for c in cols]
        return plot(self["epoch"], [self[c] for c in cols], xlabel="epoch", legend=labels, ax=ax)


def fit(
    model: nn.Module,
    train_iter: Iterable[Batch],
    val_iter: Iterable[Batch] | None = None,
    *,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    epochs: int,
    metric: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = accuracy,
    metric_name: str = "accuracy",
    device: torch.device | str | None = None,
    scheduler: Any = None,
    grad_clip: float | None = None,
    amp: str | None = None,
    compile: bool = False,
    tf32: bool = True,
    live_plot: bool = True,
    tensorboard: TensorBoardLogger | str | os.PathLike[str] | None = None,
    progress: bool = True,
    title: str | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_iter``.

    Each epoch: train mode, for every batch ``(X, y)``: forward, ``loss_fn``,
    backward, optional gradient clipping to norm ``grad_clip``, ``optimizer.step``;
    then ``scheduler.step()`` if given, and :func:`evaluate` on ``val_iter``.

    Args:
        model: moved to ``device`` (default :func:`get_device`) before training.
        train_iter: yields ``(X, y)`` with ``X`` of shape ``(batch, ...)`` (or a
            tuple of tensors passed as separate arguments) and ``y`` of shape ``(batch, ...)``.
        val_iter: optional held-out batches, evaluated after every epoch.
        loss_fn: must average over the batch (PyTorch's default ``reduction="mean"``).
        optimizer: built on ``model.parameters()``.
        epochs: number of passes, > 0.
        metric: returns a sum over the batch, e.g. :func:`accuracy`; ``None`` for regression.
        amp: mixed precision: ``None`` (float32), ``"bf16"`` or ``"fp16"`` runs the
            forward pass and loss under :func:`torch.autocast` with that dtype (validation
            too); ``"fp16"`` adds a :class:`torch.amp.GradScaler` (one host read per step,
            its inf check). bfloat16 works on CPUs and recent GPUs; float16 on GPUs.
        compile: train and evaluate ``torch.compile(model)`` (the parameters are shared,
            so ``model`` holds the trained weights afterwards). The first batches pay the
            compilation time, which the first epoch's ``examples_per_s`` includes.
        tf32: on CUDA, let float32 matmuls use TensorFloat-32 tensor cores
            (``torch.set_float32_matmul_precision("high")``) during the run; the previous
            setting is restored afterwards. No effect on other devices.
        live_plot: redraw loss/metric curves during training (Jupyter only); the
            figure is titled ``title`` (default: the model's class name).
        tensorboard: also log every epoch to TensorBoard: a :class:`TensorBoardLogger`, or a
            folder to create one in (``fit`` then closes it at the end; a logger passed in is
            flushed and left open). After each epoch its History row goes in as scalars
            (``train/loss``, ``val/<metric_name>``, ``timing/examples_per_s``...) and, unless the
            logger was made with ``histograms=False``, the weights and gradients as histograms.
            The scalars add no host read; the histograms copy the parameters once per epoch.
        progress: show a ``tqdm`` bar over each epoch's batches.

    Returns:
        The :class:`History` of the run.
    """
    check_module("model", model)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    check_positive_int("epochs", epochs)
    _check_loader("train_iter", train_iter)
    if val_iter is not None:
        _check_loader("val_iter", val_iter)
    if grad_clip is not None and not grad_clip > 0:
        raise ValueError(f"grad_clip must be a positive float or None, got {grad_clip!r}")
    check_callable("loss_fn", loss_fn, allow_none=False)
    check_callable("metric", metric)
    check_type("metric_name", metric_name, str, "a str such as 'accuracy'")
    check_device("device", device)
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"scheduler must have a step() method (e.g. torch.optim.lr_scheduler.StepLR) or be None, "
                        f"got {type(scheduler).__name__}")
    check_bool("live_plot", live_plot)
    _check_tensorboard(tensorboard)
    check_bool("progress", progress)
    check_amp(amp)
    check_bool("compile", compile)
    check_bool("tf32", tf32)
    device = torch.device(device) if device is not None else get_device()
    model.to(device)
    move_optimizer_state(optimizer)  # e.g. resumed on the CPU, now training on a GPU
    net = torch.compile(model) if compile else model
    stepper = Stepper(model, optimizer, device, grad_clip=grad_clip, amp=amp)
    history = History(metric_name=metric_name if metric is not None else "", hardware=hardware_summary(device))
    curves = ["train loss"] + (["val loss"] if val_iter is not None else [])
    if metric is not None:
        curves += [f"train {metric_name}"] + ([f"val {metric_name}"] if val_iter is not None else [])
    ylabel = "loss" + (f" / {metric_name}" if metric is not None else "")
    live = LivePlot(xlabel="epoch", ylabel=ylabel, legend=curves, xlim=(0, epochs),
                    title=title or f"Training {type(model).__name__}") if live_plot else None
    logger = TensorBoardLogger(tensorboard) if isinstance(tensorboard, (str, os.PathLike)) else tensorboard
    with _matmul_precision("high" if tf32 and device.type == "cuda" else None), _finishing(logger, tensorboard):
        for epoch in (loop := Epochs(epochs, device, history, live)):
            net.train()
            loss_sum = torch.zeros((), device=device)
            metric_sum = torch.zeros((), device=device)
            n = 0
            for X, y in progress_bar(train_iter, f"epoch {epoch}/{epochs}", progress):
                X, y = to_device(X, device), to_device(y, device)
                with stepper.autocast():
                    y_hat = _forward(net, X)
                    loss = loss_fn(y_hat, y)
                stepper.step(loss)
                with torch.no_grad():  # sums stay on the device: no per-batch sync
                    loss_sum.add_(loss.detach().float(), alpha=len(y))
                    if metric is not None:
                        metric_sum += metric(y_hat, y)
                n += len(y)
            if scheduler is not None:
                scheduler.step()
            train_seconds = loop.end_training()
            sums = torch.stack([loss_sum, metric_sum.float()]).tolist()  # the epoch's one host read
            row: dict[str, float] = {"epoch": epoch, "train_loss": sums[0] / n}
            if metric is not None:
                row["train_metric"] = sums[1] / n
            if val_iter is not None:
                val = evaluate(net, val_iter, loss_fn, metric=metric, device=device, amp=amp)
                row["val_loss"] = val["loss"]
                if metric is not None:
                    row["val_metric"] = val["metric"]
            row["examples_per_s"] = n / train_seconds
            loop.record(row, {"train loss": row["train_loss"], "val loss": row.get("val_loss"),
                              f"train {metric_name}": row.get("train_metric"),
                              f"val {metric_name}": row.get("val_metric")} if metric is not None else
                        {"train loss": row["train_loss"], "val loss": row.get("val_loss")})
            if logger is not None:
                logger.log_epoch(epoch, row, model, metric_name=metric_name)
    return history
