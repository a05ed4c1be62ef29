"""Choosing a device, seeding every random generator, and naming the hardware.

The book reports the hardware each figure came from, so :func:`hardware_summary`
gives a one-line description that notebooks print next to timings.
"""
from __future__ import annotations

import functools
import os
import platform
import random

import numpy as np
import torch

from ._checks import check_bool, check_device, check_non_negative_int

__all__ = ["get_device", "seed_everything", "hardware_summary", "cpu_name", "synchronize"]


def get_device(prefer: str | None = None) -> torch.device:
    """Return the best available device: CUDA, then Apple MPS, then CPU.

    Args:
        prefer: ``"cuda"``, ``"mps"`` or ``"cpu"`` to ask for one device; ``None``
            (default) picks automatically. The environment variable
            ``D2LHELPER_DEVICE`` overrides the automatic choice (e.g. ``cpu`` to
            reproduce the book's CPU timings on a GPU machine).

    Raises:
        ValueError: ``prefer`` names an unknown device or one that is not available.
    """
    prefer = prefer or os.environ.get("D2LHELPER_DEVICE") or None
    available = {
        "cuda": torch.cuda.is_available(),
        "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available(),
        "cpu": True,
    }
    if prefer is not None:
        kind = str(prefer).split(":")[0]
        if kind not in available:
            raise ValueError(f"prefer must be one of 'cuda', 'mps', 'cpu' or None, got {prefer!r}")
        if not available[kind]:
            raise ValueError(f"prefer={prefer!r} was asked for, but no {kind} device is available here")
        try:
            device = torch.device(prefer)
        except RuntimeError:
            raise ValueError(f"prefer must be a device such as 'cuda' or 'cuda:0', got {prefer!r}") from None
        if kind == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"prefer={prefer!r} was asked for, but this machine has {torch.cuda.device_count()} "
                             f"CUDA device(s): use an index in [0, {torch.cuda.device_count()})")
        return device
    for kind in ("cuda", "mps"):
        if available[kind]:
            return torch.device(kind)
    return torch.device("cpu")


# What seed_everything(deterministic=True) changed (name -> value before), so deterministic=False can undo it.
_determinism_set_here: dict[str, object] = {}


def seed_everything(seed: int = 0, deterministic: bool = False) -> int:
    """Seed Python's ``random``, NumPy and PyTorch (CPU and every GPU).

    Args:
        seed: a non-negative int.
        deterministic: also ask PyTorch for deterministic kernels
            (``torch.use_deterministic_algorithms``, with cuBLAS's
            ``CUBLAS_WORKSPACE_CONFIG`` set first); slower on GPUs, and some
            operations then raise instead of running. ``False`` switches off
            what an earlier ``deterministic=True`` call switched on, and
            leaves settings made elsewhere alone.

    Returns:
        The seed, so a notebook can print what it used.
    """
    check_non_negative_int("seed", seed)
    check_bool("deterministic", deterministic)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # seeds CUDA and MPS generators too
    if deterministic:
        # cuBLAS reads this when it creates its handle: set it before anything asks for determinism.
        if "CUBLAS_WORKSPACE_CONFIG" not in os.environ:
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
            _determinism_set_here.setdefault("CUBLAS_WORKSPACE_CONFIG", None)
        _determinism_set_here.setdefault("algorithms", torch.are_deterministic_algorithms_enabled())
        _determinism_set_here.setdefault("cudnn_benchmark", torch.backends.cudnn.benchmark)
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
    elif _determinism_set_here:
        # Undo what an earlier seed_everything(deterministic=True) switched on (and only that).
        if "algorithms" in _determinism_set_here:
            torch.use_deterministic_algorithms(bool(_determinism_set_here.pop("algorithms")))
        if "cudnn_benchmark" in _determinism_set_here:
            torch.backends.cudnn.benchmark = bool(_determinism_set_here.pop("cudnn_benchmark"))
        if "CUBLAS_WORKSPACE_CONFIG" in _determinism_set_here:
            _determinism_set_here.pop("CUBLAS_WORKSPACE_CONFIG")
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
    return seed


def hardware_summary(device: torch.device | str | None = None) -> str:
    """One line naming the hardware a measurement ran on.

    Example: ``"CPU: x86_64, 2 threads, torch 2.5.1"`` or
    ``"GPU: NVIDIA H100 80GB HBM3, torch 2.5.1+cu124"``.

    Raises:
        TypeError, ValueError: ``device`` is not a device, or not one this machine has.
    """
    check_device("device", device)
    device = torch.device(device) if device is not None else get_device()
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        return f"GPU: {name}, torch {torch.__version__}"
    if device.type == "mps":
        return f"GPU: Apple MPS ({platform.machine()}), torch {torch.__version__}"
    return f"CPU: {cpu_name()}, {torch.get_num_threads()} threads, torch {torch.__version__}"


def synchronize(device: torch.device) -> None:
    """Wait for the work queued on ``device`` (CUDA runs asynchronously), so a timer reads true time."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@functools.lru_cache(maxsize=1)
def cpu_name() -> str:
    """The CPU's model name (Linux: ``/proc/cpuinfo``) and architecture, e.g. ``"AMD EPYC 7B13 (x86_64)"``."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()} ({platform.machine()})"
    except OSError:
        pass
    # platform.processor() runs `uname -p` in a subprocess on Linux: asked once (cached).
    return platform.processor() or platform.machine()
