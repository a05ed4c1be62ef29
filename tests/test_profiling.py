import pytest
import torch
from torch import nn

import d2lhelper as d2l


def _matmul_step():
    a, b = torch.randn(128, 128), torch.randn(128, 128)
    return lambda: a @ b


def test_a_matmul_step_is_all_aten_mm():
    df = d2l.profile_step(_matmul_step(), steps=4, warmup=1)
    assert list(df.columns[:4]) == ["name", "calls", "self_cpu_ms", "cpu_share"]
    row = df[df["name"] == "aten::mm"]
    assert len(row) == 1, df
    assert row["calls"].item() == 1.0  # one matmul per step, counted per step
    assert row["self_cpu_ms"].item() > 0
    # the matmul itself is the most expensive operator of the step
    assert df.loc[0, "name"] == "aten::mm", df


def test_shares_are_fractions_of_all_self_time_and_rows_are_sorted():
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 4))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    X, y = torch.randn(16, 32), torch.randint(0, 4, (16,))

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(model(X), y).backward()
        opt.step()

    top = d2l.profile_step(step, steps=3, warmup=1, row_limit=5)
    everything = d2l.profile_step(step, steps=3, warmup=1, row_limit=10_000)
    assert len(top) == 5
    assert 0 < top["cpu_share"].sum() <= 1 + 1e-9
    # each share is of the time of all operators, not only of the rows returned
    assert top.attrs["total_cpu_ms"] > top["self_cpu_ms"].sum()
    assert top["cpu_share"].sum() == pytest.approx(top["self_cpu_ms"].sum() / top.attrs["total_cpu_ms"])
    assert everything["cpu_share"].sum() == pytest.approx(1.0)
    assert everything["self_cpu_ms"].sum() == pytest.approx(everything.attrs["total_cpu_ms"])
    assert everything.attrs["steps"] == 3
    assert list(top["self_cpu_ms"]) == sorted(top["self_cpu_ms"], reverse=True)
    names = set(everything["name"])
    assert {"aten::addmm", "aten::mm", "aten::threshold_backward"} <= names  # forward, backward, ReLU's backward
    # calls per step: two Linear layers, each one addmm in the forward pass
    assert everything.set_index("name").loc["aten::addmm", "calls"] == 2.0


def test_warmup_calls_are_made_but_not_recorded():
    calls = []
    a = torch.randn(8, 8)

    def fn():
        calls.append(1)
        return a @ a

    df = d2l.profile_step(fn, steps=2, warmup=3)
    assert len(calls) == 5
    assert df.set_index("name").loc["aten::mm", "calls"] == 1.0  # 2 recorded calls over 2 steps
    assert d2l.profile_step(fn, steps=1, warmup=0) is not None and len(calls) == 6


def test_errors_in_fn_propagate():
    def fn():
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        d2l.profile_step(fn, steps=1, warmup=0)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"fn": 3}, TypeError, "fn must be a function"),
    ({"fn": None}, TypeError, "fn must be a function"),
    ({"steps": 0}, ValueError, "steps must be a positive int, got 0"),
    ({"steps": 2.0}, TypeError, "steps must be a positive int, got float"),
    ({"warmup": -1}, ValueError, "warmup must be an int >= 0, got -1"),
    ({"row_limit": 0}, ValueError, "row_limit must be a positive int, got 0"),
    ({"sort_by": "gpu"}, ValueError, r"sort_by must be one of \('cpu', 'cuda'\), got 'gpu'"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    kwargs = {"fn": _matmul_step(), **kwargs}
    with pytest.raises(error, match=match):
        d2l.profile_step(**kwargs)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message given without a GPU")
def test_sort_by_cuda_without_a_gpu_says_so():
    with pytest.raises(ValueError, match="sort_by='cuda' .* no CUDA device"):
        d2l.profile_step(_matmul_step(), sort_by="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_columns_on_a_gpu():
    a = torch.randn(256, 256, device="cuda")
    df = d2l.profile_step(lambda: a @ a, steps=3, sort_by="cuda")
    assert {"self_cuda_ms", "cuda_share"} <= set(df.columns)
    assert df.loc[0, "self_cuda_ms"] > 0 and df["cuda_share"].sum() <= 1 + 1e-9
    assert df.attrs["total_cuda_ms"] > 0
