"""The epoch engine the book's four trainers share.

:func:`~d2lhelper.fit`, :func:`~d2lhelper.train_language_model`,
:func:`~d2lhelper.train_seq2seq` and :func:`~d2lhelper.train_node_classifier`
differ in what one batch is and what they report; the rest is here, written once:

* :class:`Stepper`: one optimisation step: zero the gradients, backward (with
  the loss scaled under float16 autocast), optional gradient-norm clipping, step;
  and the autocast context for the forward pass.
* :class:`Epochs`: the loop over epochs: times each one (waiting for the device
  first, so the time is true), runs the body with tensor *value* checks off
  (they would stall a GPU every batch; see ``_checks.values_trusted``), appends
  each epoch's row to the history and redraws the live plot.

The trainers keep their per-batch sums on the device and read them once per
epoch, so a training step makes no host-device synchronisation (float16 with a
loss scaler excepted: :class:`torch.amp.GradScaler` reads its inf check once a step).
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from ._checks import values_trusted
from .device import synchronize

AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def check_amp(amp: str | None) -> torch.dtype | None:
    """The autocast dtype ``amp`` names (``None``: no autocast)."""
    if amp is None:
        return None
    if amp not in AMP_DTYPES:
        raise ValueError(f"amp must be None, 'bf16' or 'fp16', got {amp!r}")
    return AMP_DTYPES[amp]


def check_grad_clip(grad_clip: float | None) -> float | None:
    if grad_clip is not None and (isinstance(grad_clip, bool) or not grad_clip > 0):
        raise ValueError(f"grad_clip must be a positive float or None, got {grad_clip!r}")
    return grad_clip


def progress_bar(iterable: Iterable[Any], desc: str, progress: bool) -> Iterable[Any]:
    """A ``tqdm`` bar over one epoch's batches.

    Passing ``disable`` only to switch bars off keeps ``TQDM_DISABLE=1`` in charge otherwise.
    """
    return tqdm(iterable, desc=desc, leave=False, **({} if progress else {"disable": True}))


def to_device(x: Any, device: torch.device) -> Any:
    """``x`` (a tensor, or a list/tuple of them, nested) moved to ``device`` without blocking the host."""
    if isinstance(x, torch.Tensor):
        return x.to(device, non_blocking=True)
    if isinstance(x, (list, tuple)):
        return type(x)(to_device(v, device) for v in x)
    return x


class Stepper:
    """One optimisation step of ``optimizer`` on ``model``'s parameters.

    Args:
        model: the model being trained (its parameters are clipped).
        optimizer: steps them.
        device: where the model runs; picks the autocast and scaler device type.
        grad_clip: clip the gradients' global norm to this before stepping; ``None`` skips it.
        amp: ``None`` (float32), ``"bf16"`` or ``"fp16"``: the forward pass under
            :func:`torch.autocast` with that dtype. float16 gradients can underflow,
            so with ``"fp16"`` the loss is scaled by a :class:`torch.amp.GradScaler`
            (and unscaled before clipping); bfloat16 has float32's range and needs none.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, device: torch.device, *,
                 grad_clip: float | None = None, amp: str | None = None) -> None:
        self.model, self.optimizer, self.device = model, optimizer, device
        self.grad_clip = check_grad_clip(grad_clip)
        self.amp_dtype = check_amp(amp)
        self.scaler = torch.amp.GradScaler(device.type, enabled=amp == "fp16")

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """The context for the forward pass and loss (a no-op without ``amp``)."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def step(self, loss: torch.Tensor) -> None:
        """Backpropagate the scalar ``loss`` and update the parameters."""
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.grad_clip is not None:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()


class Epochs:
    """``for epoch in Epochs(...)``: the timed loop over epochs ``1..epochs``.

    In the body, call :meth:`end_training` after the last training batch (it waits
    for the device and returns the training seconds), then :meth:`record` with the
    epoch's row and the values to plot. The body runs with value checks off.

    Args:
        epochs: number of epochs.
        device: waited for before each epoch's training time is read.
        history: a :class:`~d2lhelper.train.History` whose ``rows`` grow by one per epoch.
        live: a :class:`~d2lhelper.plotting.LivePlot`, or ``None``; finished after the last epoch.
    """

    def __init__(self, epochs: int, device: torch.device, history: Any, live: Any = None) -> None:
        self.epochs, self.device, self.history, self.live = epochs, device, history, live
        self.epoch = 0
        self._t0 = 0.0

    def __iter__(self) -> Iterator[int]:
        with values_trusted():
            for epoch in range(1, self.epochs + 1):
                self.epoch = epoch
                self._t0 = time.perf_counter()
                yield epoch
        if self.live is not None:
            self.live.finish()

    def end_training(self) -> float:
        """Wait for the device; the seconds since this epoch began."""
        synchronize(self.device)
        return time.perf_counter() - self._t0

    def record(self, row: dict[str, float], plotted: dict[str, float | None] | None = None) -> None:
        """Append ``row`` (with ``seconds``, the epoch's wall time) and plot ``plotted`` (``None`` values skipped)."""
        row["seconds"] = time.perf_counter() - self._t0
        self.history.rows.append(row)
        if self.live is not None and plotted:
            self.live.add(self.epoch, {k: v for k, v in plotted.items() if v is not None})
