"""run_torchrun and the chapter-9 DDP script: 2 gloo processes on 127.0.0.1 end where 1 process does."""
from __future__ import annotations

import importlib.util
import os
import socket
import time
from pathlib import Path

import pytest
import torch

from d2lhelper import distributed

SCRIPT = distributed.script_path("ddp_train")


def _script_module():
    spec = importlib.util.spec_from_file_location("ddp_train", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_two_process_ddp_ends_with_the_parameters_of_one_process(tmp_path):
    out = tmp_path / "ddp.pt"
    started = time.perf_counter()
    result = distributed.run_torchrun(SCRIPT, ["--epochs", "2", "--global-batch", "64", "--out", str(out)],
                                      nproc_per_node=2, timeout_s=90)
    assert time.perf_counter() - started < 30, "a 2-process gloo job of this size must finish in 30 s"
    (line,) = result.lines("RESULT ")
    ddp = __import__("json").loads(line)
    assert ddp["world_size"] == 2 and ddp["train_accuracy"] > 0.8

    script = _script_module()
    ref_out = tmp_path / "one.pt"
    one = script.train(script.parse(["--epochs", "2", "--global-batch", "64", "--out", str(ref_out)]),
                       distributed_run=False)
    a, b = (torch.load(p, weights_only=True)["model"] for p in (out, ref_out))
    diff = max((a[k] - b[k]).abs().max().item() for k in a)
    # measured 1.8e-7 to 2.4e-7 over seeds 0-2 (float32 gradient sums in another order; 128 SGD steps)
    assert diff < 1e-5, f"DDP drifted from single-process training by {diff}"
    assert one["checksum"] == pytest.approx(ddp["checksum"], rel=1e-5)


def test_resuming_from_the_rank_0_checkpoint_continues_the_run(tmp_path):
    """3 epochs in one go == 2 epochs, checkpoint, 1 more epoch from the checkpoint (one process: the logic)."""
    script = _script_module()
    whole = script.train(script.parse(["--epochs", "3"]), distributed_run=False)
    ckpt = tmp_path / "c.pt"
    script.train(script.parse(["--epochs", "2", "--out", str(ckpt)]), distributed_run=False)
    resumed = script.train(script.parse(["--epochs", "3", "--resume", str(ckpt)]), distributed_run=False)
    assert resumed["start_epoch"] == 2
    assert resumed["checksum"] == pytest.approx(whole["checksum"], rel=1e-9)


def test_a_port_in_use_is_refused_before_anything_starts(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(ValueError, match=f"master_port {port} is in use"):
            distributed.run_torchrun(SCRIPT, nproc_per_node=2, master_port=port)


@pytest.mark.parametrize("bad", [0, -1])
def test_world_size_below_one_is_refused(bad):
    with pytest.raises(ValueError, match=f"nproc_per_node must be a positive int, got {bad}"):
        distributed.run_torchrun(SCRIPT, nproc_per_node=bad)


def test_a_failing_job_reports_its_error(tmp_path):
    script = tmp_path / "fail.py"
    script.write_text("import os, sys\nif os.environ['RANK'] == '1':\n    sys.exit('rank 1 gives up')\n")
    with pytest.raises(distributed.TorchrunError, match=r"(?s)exit status 1.*rank 1 gives up.*rank +: 1") as info:
        distributed.run_torchrun(script, nproc_per_node=2, timeout_s=60)
    assert "launch_agent" not in str(info.value), "the launcher's own traceback says nothing about the cause"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) counts as gone
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def test_a_job_past_its_timeout_is_killed_with_every_worker(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    script = tmp_path / "hang.py"
    script.write_text("import os, pathlib, time\n"
                      f"pathlib.Path({str(pids)!r}, str(os.getpid())).touch()\n"
                      "time.sleep(600)\n")
    with pytest.raises(distributed.TorchrunError, match="ran past timeout_s=20 s"):
        distributed.run_torchrun(script, nproc_per_node=2, timeout_s=20)
    workers = [int(p.name) for p in pids.iterdir()]
    assert len(workers) == 2, "both workers must have started before the timeout (raise timeout_s if not)"
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "a worker outlived the timeout"


def test_script_path_names_the_known_scripts():
    assert SCRIPT.name == "ddp_train.py" and SCRIPT.is_file()
    with pytest.raises(ValueError, match=r"name must be one of the book's scripts \[.*'ddp_train'.*\], got 'ddp'"):
        distributed.script_path("ddp")


def test_setup_outside_torchrun_says_how_to_start_the_script(monkeypatch):
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match="must run under torchrun"):
        distributed.setup()
    with pytest.raises(ValueError, match="backend must be 'gloo', 'nccl' or None"):
        distributed.setup("mpi")


def test_gradients_averaged_by_hand_equal_one_process_on_the_whole_batch(tmp_path):
    """The chapter's hand-written all-reduce: 2 processes on half-batches == 1 process on whole batches."""
    from torch import nn

    from d2lhelper.scripts.ddp_train import make_data, make_model

    out = tmp_path / "p.pt"
    distributed.run_torchrun(distributed.script_path("allreduce_by_hand"),
                             ["--steps", "10", "--global-batch", "64", "--out", str(out)], nproc_per_node=2, timeout_s=90)
    X, y = make_data().tensors
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(10):
        loss = nn.functional.cross_entropy(model(X[step * 64:(step + 1) * 64]), y[step * 64:(step + 1) * 64])
        opt.zero_grad()
        loss.backward()
        opt.step()
    by_hand = torch.load(out, weights_only=True)
    drift = max((by_hand[k] - v).abs().max().item() for k, v in model.state_dict().items())
    assert drift < 1e-5, drift  # measured: rank 0 alone, without the all-reduce, drifts by 2.7e-2
