import os
import random

import numpy as np
import pytest
import torch

import d2lhelper as d2l


def test_get_device_picks_an_available_device(monkeypatch):
    monkeypatch.delenv("D2LHELPER_DEVICE", raising=False)
    device = d2l.get_device()
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert device.type == expected
    assert d2l.get_device("cpu") == torch.device("cpu")


def test_get_device_env_override(monkeypatch):
    monkeypatch.setenv("D2LHELPER_DEVICE", "cpu")
    assert d2l.get_device() == torch.device("cpu")


def test_get_device_rejects_unknown_and_unavailable():
    with pytest.raises(ValueError, match="prefer must be one of"):
        d2l.get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no cuda device is available"):
            d2l.get_device("cuda")


def test_get_device_rejects_a_cuda_index_the_machine_does_not_have(monkeypatch):
    # A one-GPU machine, simulated: torch.device("cuda:1") itself would be accepted and fail much later.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert d2l.get_device("cuda:0") == torch.device("cuda:0")
    assert d2l.get_device("cuda") == torch.device("cuda")
    with pytest.raises(ValueError, match=r"prefer='cuda:1'.*1 CUDA device\(s\).*\[0, 1\)"):
        d2l.get_device("cuda:1")
    with pytest.raises(ValueError, match="prefer must be a device such as"):
        d2l.get_device("cuda:x")


def test_seed_everything_reproduces_all_generators():
    def draw():
        return random.random(), np.random.rand(), torch.rand(3)

    d2l.seed_everything(7)
    a = draw()
    d2l.seed_everything(7)
    b = draw()
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])
    d2l.seed_everything(8)
    assert not torch.equal(draw()[2], a[2])


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (1.5, TypeError), ("3", TypeError)])
def test_seed_everything_validates(seed, error):
    with pytest.raises(error, match="seed"):
        d2l.seed_everything(seed)


def test_hardware_summary_names_the_device():
    text = d2l.hardware_summary("cpu")
    assert text.startswith("CPU:") and torch.__version__ in text and "threads" in text
    try:
        models = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")]
    except OSError:
        models = []
    if models:  # the CPU's model, not only its architecture, names the hardware a figure came from
        assert models[0] in text


def test_deterministic_mode_is_switched_on_in_order_and_off_again(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    seen = []
    original = torch.use_deterministic_algorithms

    def spy(mode, **kwargs):
        seen.append((mode, os.environ.get("CUBLAS_WORKSPACE_CONFIG")))
        return original(mode, **kwargs)

    monkeypatch.setattr(torch, "use_deterministic_algorithms", spy)
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", True)
    try:
        d2l.seed_everything(0, deterministic=True)
        assert torch.backends.cudnn.benchmark is False  # autotuning picks kernels nondeterministically
        # cuBLAS's workspace setting must be in place before determinism is requested.
        assert seen == [(True, ":4096:8")] and torch.are_deterministic_algorithms_enabled()
        d2l.seed_everything(0, deterministic=False)
        assert not torch.are_deterministic_algorithms_enabled()
        assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ
        assert torch.backends.cudnn.benchmark is True  # restored
        # A user's own setting is left alone by deterministic=False.
        original(True)
        d2l.seed_everything(0)
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        original(False)
