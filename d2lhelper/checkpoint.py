"""Saving and resuming training safely.

A checkpoint is written to a temporary file in the target's folder and renamed
over the target only when complete, so an interrupted save never leaves a
half-written file under the real name. It is loaded with
``torch.load(weights_only=True)``, which refuses to run code hidden in a file
(plain ``torch.load`` unpickles arbitrary objects).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from collections.abc import Callable
from typing import Any, BinaryIO

import torch
from torch import nn

from ._checks import check_device, check_module, check_non_negative_int, check_path

__all__ = ["save_checkpoint", "load_checkpoint", "move_optimizer_state"]


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    epoch: int | None = None,
    **extra: Any,
) -> Path:
    """Atomically save ``model`` (and ``optimizer``, ``epoch``, ``extra``) to ``path``.

    Args:
        path: the file to write; its folder is created if missing.
        model: its ``state_dict`` is saved.
        optimizer: its ``state_dict`` (momentum buffers, step counts) is saved too,
            so training can resume exactly.
        epoch: the number of finished epochs.
        **extra: more plain data (numbers, strings, lists, dicts, tensors), e.g. a
            history of metrics.

    Returns:
        The path written.
    """
    check_module("model", model)
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer or None, got {type(optimizer).__name__}")
    check_path("path", path)
    if epoch is not None:
        check_non_negative_int("epoch", epoch)
    path = Path(path)
    state = {"model": model.state_dict(), "epoch": epoch, "extra": extra}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    _write_atomically(path, lambda f: torch.save(state, f))
    return path


def _write_atomically(path: Path, write: Callable[[BinaryIO], Any]) -> None:
    """Call ``write(f)`` on a temporary file beside ``path`` (its folder created), flush it to disk and move
    it to ``path``; on any error the temporary file is removed, so ``path`` is never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    map_location: str | torch.device = "cpu",
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` into ``model`` (and ``optimizer``).

    Tensors are mapped to ``map_location`` first (default CPU, so a GPU-trained
    checkpoint loads anywhere). With ``device``, the model is moved there
    *before* the optimizer state is loaded, so the optimizer's buffers
    (momentum, Adam's moments) land on the parameters' device: resuming on a
    GPU then needs no further step. Without it, call :func:`move_optimizer_state`
    after moving the model (:func:`~d2lhelper.fit` does).

    Returns:
        ``{"epoch": ..., "extra": {...}}`` as saved.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the checkpoint does not fit ``model`` (missing, unexpected or
            differently shaped parameters, listed in the message), or an
            ``optimizer`` was given but the checkpoint holds no optimizer state.
    """
    check_path("path", path)
    check_module("model", model)
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer or None, got {type(optimizer).__name__}")
    if isinstance(map_location, (str, torch.device)):
        check_device("map_location", map_location, allow_none=False)
    elif not (isinstance(map_location, dict) or callable(map_location)):
        raise TypeError(f"map_location must be a device (e.g. 'cpu'), a dict or a function, as torch.load takes, "
                        f"got {type(map_location).__name__}")
    check_device("device", device)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at path {str(path)!r} (absolute: {path.absolute()})")
    state = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(state, dict) or "model" not in state:
        raise ValueError(f"{path} is not a d2lhelper checkpoint (no 'model' entry); was it saved with save_checkpoint?")
    own = model.state_dict()
    saved = state["model"]
    problems = [f"missing {k}" for k in own if k not in saved]
    problems += [f"unexpected {k}" for k in saved if k not in own]
    problems += [f"{k}: checkpoint {tuple(saved[k].shape)} vs model {tuple(v.shape)}"
                 for k, v in own.items() if k in saved and saved[k].shape != v.shape]
    if problems:
        raise ValueError(f"checkpoint {path} does not fit the model: " + "; ".join(problems[:10]))
    model.load_state_dict(saved)
    if device is not None:
        model.to(device)
    if optimizer is not None:
        if "optimizer" not in state:
            raise ValueError(f"checkpoint {path} holds no optimizer state, but an optimizer was given")
        optimizer.load_state_dict(state["optimizer"])
    return {"epoch": state.get("epoch"), "extra": state.get("extra", {})}


def move_optimizer_state(optimizer: torch.optim.Optimizer) -> None:
    """Move every state tensor of ``optimizer`` to the device of the parameter it belongs to.

    ``model.to(device)`` moves parameters but not the optimizer's buffers, so an
    optimizer loaded (or stepped) before the move would fail on its next
    ``step()``. Scalar ``step`` counters stay where they are: PyTorch keeps them
    on the CPU unless the optimizer is ``capturable`` or ``fused``.
    """
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    on_device_step = any(group.get("capturable") or group.get("fused") for group in optimizer.param_groups)
    for param, state in optimizer.state.items():
        for key, value in state.items():
            if key == "step" and not on_device_step:
                continue
            if isinstance(value, torch.Tensor) and value.device != param.device:
                state[key] = value.to(param.device)
