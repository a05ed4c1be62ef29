"""Logging a training run to TensorBoard.

:class:`TensorBoardLogger` wraps :class:`torch.utils.tensorboard.SummaryWriter`
and writes what :func:`~d2lhelper.fit` measures, once per epoch: every number of
the epoch's :class:`~d2lhelper.History` row as a scalar, and a histogram of every
parameter's weights and gradients. ``fit(..., tensorboard=log_dir)`` creates one.

The tags group the curves the way TensorBoard's dashboard shows them, one card per
prefix: ``train/loss``, ``train/accuracy``, ``val/loss``, ``val/accuracy``,
``timing/examples_per_s``, ``timing/seconds``, ``weights/<parameter>``,
``gradients/<parameter>``, and ``examples`` for an optional grid of input images.

The scalars are the History's values (Python floats, read from the device once per
epoch by the trainer), so logging them adds no host read; the histograms copy each
parameter to the host, once per epoch. TensorBoard stores scalars as float32.

The ``tensorboard`` package is imported when a logger is created, so
``import d2lhelper`` works without it (``pip install tensorboard``).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from ._checks import _got, check_bool, check_module, check_non_negative_int, check_path, check_type

__all__ = ["TensorBoardLogger"]

_SPLITS = ("train", "val", "test")
_TIMING = ("examples_per_s", "tokens_per_s", "seconds")


def _tag(key: str, metric_name: str) -> str:
    """The TensorBoard tag of History column ``key``: ``train_metric`` -> ``train/<metric_name>``,
    ``val_loss`` -> ``val/loss``, ``seconds`` -> ``timing/seconds``; other keys stay as they are."""
    split, _, rest = key.partition("_")
    if split in _SPLITS and rest:
        return f"{split}/{metric_name if rest == 'metric' else rest}"
    if key in _TIMING:
        return f"timing/{key}"
    return key


def _check_images(images: Any) -> torch.Tensor:
    """``images`` as a float ``(N, C, H, W)`` tensor in [0, 1] with ``C`` 1 or 3 (rescaled if outside)."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a tensor of shape (N, C, H, W) or (N, H, W), or None, got {_got(images)}")
    shape = tuple(images.shape)
    if images.ndim == 3:
        images = images.unsqueeze(1)  # (N, H, W) -> (N, 1, H, W)
    if images.ndim != 4 or images.shape[1] not in (1, 3) or images.shape[0] == 0:
        raise ValueError(f"images must have shape (N, C, H, W) with N >= 1 and C 1 or 3, or (N, H, W), got {shape}")
    if not (images.is_floating_point() or images.dtype == torch.uint8):
        raise TypeError(f"images must be a float or uint8 tensor, got dtype {images.dtype}")
    if images.dtype == torch.uint8:
        return images.detach().cpu().float() / 255
    images = images.detach().cpu().float()
    if not torch.isfinite(images).all():
        raise ValueError("images must hold finite values, got NaN or infinity")
    low, high = images.min(), images.max()
    if low < 0 or high > 1:  # e.g. normalised inputs: stretch to [0, 1] for display
        images = (images - low) / (high - low).clamp_min(1e-12)
    return images


class TensorBoardLogger:
    """Write a training run's epochs to TensorBoard event files in ``log_dir``.

    ``log_epoch`` writes, at step ``epoch``, every numeric entry of the epoch's
    History row as a scalar (tags: ``train/loss``, ``val/<metric_name>``,
    ``timing/examples_per_s``, ...), and, with ``histograms``, the distribution of
    each parameter (``weights/<name>``) and of its gradient from the epoch's last
    batch (``gradients/<name>``). View the run with ``tensorboard --logdir <log_dir>``.

    Args:
        log_dir: folder for the event files (created if missing). Give every run its
            own sub-folder (``runs/lr0.1``, ``runs/lr0.01``): TensorBoard shows each
            sub-folder as a run and overlays their curves.
        histograms: also log per-parameter histograms of weights and gradients
            (each copies the parameter to the host, once per epoch).
        images: example inputs logged once, at step 0, as one grid under the tag
            ``examples``: a tensor ``(N, C, H, W)`` with ``C`` 1 or 3, or ``(N, H, W)``,
            float in [0, 1] or uint8 (other float ranges are stretched to [0, 1]);
            ``None`` logs none.

    Attributes:
        writer: the underlying :class:`~torch.utils.tensorboard.SummaryWriter`, for
            anything else (``logger.writer.add_text(...)``, ``add_graph``...).

    Use it as a context manager, or call :meth:`close` when done; :func:`~d2lhelper.fit`
    flushes a logger it is given and closes one it created from a path.
    """

    def __init__(self, log_dir: str | os.PathLike[str], *, histograms: bool = True,
                 images: torch.Tensor | None = None) -> None:
        check_path("log_dir", log_dir)
        if os.path.isfile(log_dir):
            raise ValueError(f"log_dir must be a folder (or not exist yet), got the file {os.fspath(log_dir)!r}")
        check_bool("histograms", histograms)
        grid = _check_images(images) if images is not None else None
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as err:
            raise ImportError(f"TensorBoardLogger needs the tensorboard package: pip install tensorboard "
                              f"({err})") from err
        self.histograms = histograms
        self.writer = SummaryWriter(log_dir=os.fspath(log_dir))
        if grid is not None:
            self.writer.add_images("examples", grid, global_step=0)

    @property
    def log_dir(self) -> str:
        """The folder the event files are written to."""
        return self.writer.log_dir

    def log_epoch(self, epoch: int, row: Mapping[str, Any], model: nn.Module | None = None, *,
                  metric_name: str = "metric") -> None:
        """Write one epoch at step ``epoch``.

        Args:
            epoch: the step on TensorBoard's x-axis, >= 0.
            row: the epoch's History row, e.g. ``{"epoch": 3, "train_loss": 0.41, "val_metric": 0.87,
                "examples_per_s": 51000.0, "seconds": 1.2}``; every int or float entry except
                ``epoch`` becomes a scalar (``*_metric`` columns are tagged with ``metric_name``).
            model: its parameters' histograms are logged (with ``histograms``); ``None`` skips them.
            metric_name: the metric's name in the tags, e.g. ``"accuracy"`` gives ``val/accuracy``.
        """
        check_non_negative_int("epoch", epoch)
        if not isinstance(row, Mapping):
            raise TypeError(f"row must be a dict of column -> number (a History row), got {_got(row)}")
        if model is not None:
            check_module("model", model)
        check_type("metric_name", metric_name, str, "a str such as 'accuracy'")
        for key, value in row.items():
            if key == "epoch" or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            self.writer.add_scalar(_tag(key, metric_name), float(value), global_step=epoch)
        if self.histograms and model is not None:
            for name, p in model.named_parameters():
                self.writer.add_histogram(f"weights/{name}", p.detach(), global_step=epoch)
                if p.grad is not None:
                    self.writer.add_histogram(f"gradients/{name}", p.grad.detach(), global_step=epoch)
        self.writer.flush()  # a dashboard open during training shows each epoch as it ends

    def flush(self) -> None:
        """Write everything pending to disk (TensorBoard reads the files while training runs)."""
        self.writer.flush()

    def close(self) -> None:
        """Flush and close the event file. Logging again afterwards opens a new one in the same folder."""
        self.writer.close()

    def __enter__(self) -> TensorBoardLogger:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TensorBoardLogger(log_dir={self.log_dir!r}, histograms={self.histograms})"
