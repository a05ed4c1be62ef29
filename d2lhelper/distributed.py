"""Running PyTorch's own distributed training from a notebook.

Two halves:

* inside a training script started by ``torchrun``: :func:`setup` joins the
  process group (NCCL with one GPU per process where CUDA is present, gloo on
  the CPU otherwise) and returns this process's rank, the world size and its
  device; :func:`cleanup` leaves it.
* from a notebook or a test: :func:`run_torchrun` launches such a script with
  ``python -m torch.distributed.run`` on this machine (rendezvous on
  127.0.0.1), waits for it with a timeout, and returns its output. Every process
  it started is ended when it returns, also on a timeout or an interrupt: the
  launcher runs in its own process group, which is killed as a whole.

Nothing here replaces ``torch.distributed``: the scripts use
``DistributedDataParallel`` and ``DistributedSampler`` directly.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ._checks import check_positive_int, check_type

__all__ = ["TorchrunError", "TorchrunResult", "cleanup", "free_port", "run_torchrun", "script_path", "setup"]

LOCALHOST = "127.0.0.1"


class TorchrunError(RuntimeError):
    """A ``torchrun`` job failed or ran out of time; the message ends with the tail of its output."""


@dataclass
class TorchrunResult:
    """What a finished ``torchrun`` job left: exit status 0, its output and its wall time."""

    stdout: str
    stderr: str
    seconds: float
    nproc_per_node: int

    def lines(self, prefix: str) -> list[str]:
        """The stdout lines starting with ``prefix`` (e.g. a script's ``"RESULT "`` lines), prefix removed."""
        return [line[len(prefix):] for line in self.stdout.splitlines() if line.startswith(prefix)]


def script_path(name: str) -> Path:
    """The path of one of the book's torchrun scripts (``d2lhelper/scripts/<name>.py``), e.g. ``"ddp_train"``."""
    check_type("name", name, str, "a str")
    scripts = Path(__file__).resolve().parent / "scripts"
    path = scripts / f"{name}.py"
    if name.startswith("_") or not path.is_file():
        known = sorted(p.stem for p in scripts.glob("[!_]*.py"))
        raise ValueError(f"name must be one of the book's scripts {known}, got {name!r}")
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOCALHOST, 0))
        return s.getsockname()[1]


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((LOCALHOST, port))
        except OSError:
            return True
    return False


def _kill_group(proc: subprocess.Popen, grace_s: float = 5.0) -> None:
    """End the launcher and every worker it started (they share its process group)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _failure_report(stderr: str, stdout: str, lines: int = 25) -> str:
    """The workers' last output lines and the launcher's root-cause summary (rank, exit code), without the
    launcher's own traceback, which says only that a child failed."""
    text = stderr.splitlines()
    workers, launcher = text, []
    for i, line in enumerate(text):
        if line.startswith("Traceback") and any("torch/distributed/run.py" in t for t in text[i + 1:i + 6]):
            workers, launcher = text[:i], text[i:]
            break
    root = [line.strip() for line in launcher if line.strip().startswith(("rank", "exitcode"))]
    out = stdout.strip().splitlines()[-lines:]
    return "\n".join(["stdout:", *out, "stderr:", *workers[-lines:], *root])


def run_torchrun(
    script: str | os.PathLike[str],
    args: Sequence[str] = (),
    *,
    nproc_per_node: int = 2,
    master_port: int | None = None,
    timeout_s: float = 120.0,
    env: Mapping[str, str] | None = None,
    threads_per_process: int | None = 1,
) -> TorchrunResult:
    """Run ``script`` with ``torchrun --nproc_per_node=N`` on this machine and wait for it.

    Args:
        script: a Python file that calls :func:`setup` (or ``init_process_group``) itself.
        args: command-line arguments passed to every process.
        nproc_per_node: processes to start (>= 1); each gets ``RANK``, ``LOCAL_RANK``
            and ``WORLD_SIZE`` from torchrun.
        master_port: the rendezvous port on 127.0.0.1; ``None`` picks a free one.
            A port something already listens on is refused before anything starts.
        timeout_s: seconds the whole job may take; then every process is killed.
        env: extra environment variables for the processes.
        threads_per_process: ``OMP_NUM_THREADS`` of each process (``None`` leaves it):
            two processes on two cores must not each start two threads.

    Returns:
        A :class:`TorchrunResult` (the job exited with status 0).

    Raises:
        TypeError, ValueError: a bad argument (the message names it), a missing
            script or a port in use.
        TorchrunError: the job exited with a non-zero status or ran out of time;
            the message gives the tail of its output. No process is left running.
    """
    check_type("script", script, (str, os.PathLike), "a path to a Python file")
    path = Path(script)
    if not path.is_file():
        raise ValueError(f"script must be an existing Python file, got {str(path)!r} (not found)")
    if isinstance(args, (str, bytes)) or not all(isinstance(a, str) for a in args):
        raise TypeError(f"args must be a sequence of str, got {args!r:.80}")
    check_positive_int("nproc_per_node", nproc_per_node)
    if master_port is not None:
        check_positive_int("master_port", master_port)
        if not 1024 <= master_port <= 65535:
            raise ValueError(f"master_port must be in [1024, 65535], got {master_port}")
        if _port_in_use(master_port):
            raise ValueError(f"master_port {master_port} is in use on {LOCALHOST}; pass another port "
                             f"or master_port=None to pick a free one")
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not timeout_s > 0:
        raise ValueError(f"timeout_s must be a positive number of seconds, got {timeout_s!r}")
    check_type("env", env, Mapping, "a mapping of str to str", allow_none=True)
    if threads_per_process is not None:
        check_positive_int("threads_per_process", threads_per_process)
    port = master_port if master_port is not None else free_port()
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", f"--nproc-per-node={nproc_per_node}",
           f"--master-addr={LOCALHOST}", f"--master-port={port}", "--max-restarts=0", str(path), *args]
    child_env = {**os.environ, **(env or {})}
    if threads_per_process is not None:
        child_env["OMP_NUM_THREADS"] = str(threads_per_process)
    child_env.setdefault("PYTHONUNBUFFERED", "1")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env,
                            start_new_session=True)  # its own process group: killed as a whole
    try:
        stdout, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        stdout, stderr = proc.communicate()
        raise TorchrunError(f"torchrun {path.name} ran past timeout_s={timeout_s} s and was killed "
                            f"(every process of the job); last output:\n{_tail(stdout + stderr)}") from None
    except BaseException:  # an interrupt in the notebook: leave nothing behind
        _kill_group(proc)
        raise
    finally:
        if proc.poll() is None:
            _kill_group(proc)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise TorchrunError(f"torchrun {path.name} failed with exit status {proc.returncode}; last output:\n"
                            f"{_failure_report(stderr, stdout)}")
    return TorchrunResult(stdout=stdout, stderr=stderr, seconds=seconds, nproc_per_node=nproc_per_node)


def setup(backend: str | None = None) -> tuple[int, int, "torch.device"]:  # noqa: F821
    """Join the process group torchrun prepared; returns ``(rank, world_size, device)``.

    The backend is NCCL when CUDA is available (each process then uses GPU
    ``LOCAL_RANK``) and gloo otherwise; ``backend`` overrides the choice.
    Call it once at the start of a script run by ``torchrun``.
    """
    import torch
    import torch.distributed as dist

    if backend is not None and backend not in ("gloo", "nccl"):
        raise ValueError(f"backend must be 'gloo', 'nccl' or None, got {backend!r}")
    missing = [k for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT") if k not in os.environ]
    if missing:
        raise RuntimeError(f"setup() must run under torchrun (or with {missing} set); start the script with "
                           "run_torchrun(...) or `torchrun --nproc-per-node=N script.py`")
    use_cuda = torch.cuda.is_available() if backend is None else backend == "nccl"
    local_rank = int(os.environ["LOCAL_RANK"])
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    dist.init_process_group(backend=backend or ("nccl" if use_cuda else "gloo"))
    return dist.get_rank(), dist.get_world_size(), device


def cleanup() -> None:
    """Leave the process group (call at the end of the script)."""
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()
