import numpy as np
import pytest
import torch
from torch import nn

import d2lhelper as d2l
from d2lhelper.data import TensorLoader


def _loaders():
    """Two Gaussian blobs in 2-D: 256 training and 128 validation points."""
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 2, (384,), generator=g)
    X = torch.randn(384, 2, generator=g) + 3 * y[:, None].float() - 1.5
    return (TensorLoader(X[:256], y[:256], batch_size=32, shuffle=True),
            TensorLoader(X[256:], y[256:], batch_size=64))


def _mlp():
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))


def _runs(lr=0.1, seeds=(0, 1, 2), epochs=3, **kw):
    train, val = _loaders()
    return d2l.fit_seeds(_mlp, lambda m: torch.optim.SGD(m.parameters(), lr=lr), train, val,
                         loss_fn=nn.CrossEntropyLoss(), epochs=epochs, seeds=seeds, device="cpu", **kw)


def test_fit_seeds_runs_each_seed_and_matches_a_hand_written_run():
    runs = _runs()
    assert runs.seeds == (0, 1, 2) and len(runs) == 3 and len(runs.models) == 3 and len(runs.optimizers) == 3
    for model, opt in zip(runs.models, runs.optimizers):  # each optimiser holds its own model's parameters
        assert opt.param_groups[0]["params"][0] is next(model.parameters())
    assert all(len(h) == 3 for h in runs.histories)
    # seed 1's run equals fit after seed_everything(1): same weights, same batch order
    train, val = _loaders()
    d2l.seed_everything(1)
    model = _mlp()
    hist = d2l.fit(model, train, val, loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                   epochs=3, device="cpu", live_plot=False, progress=False)
    assert runs.histories[1]["train_loss"] == hist["train_loss"]
    for p, q in zip(runs.models[1].parameters(), model.parameters()):
        assert torch.equal(p, q)
    # different seeds give different runs
    assert runs.histories[0]["train_loss"] != runs.histories[1]["train_loss"]
    # the same seeds again give the same runs
    assert _runs().histories[2]["val_loss"] == runs.histories[2]["val_loss"]


def test_seed_runs_summaries():
    runs = _runs()
    curves = runs.curves("val_metric")
    assert curves.shape == (3, 3)
    finals = np.array([h.final["val_metric"] for h in runs.histories])
    np.testing.assert_allclose(runs.finals("val_metric"), finals)
    assert runs.mean("val_metric") == pytest.approx(finals.mean())
    assert runs.std("val_metric") == pytest.approx(np.std(finals, ddof=1))
    eps = [r["examples_per_s"] for h in runs.histories for r in h.rows]
    assert runs.examples_per_s() == pytest.approx(np.median(eps))
    assert _runs(seeds=(4,)).std("val_metric") == 0.0
    with pytest.raises(KeyError, match="no column 'val_acc'"):
        runs.curves("val_acc")


def test_fit_seeds_passes_the_scheduler_and_steps_it_per_epoch():
    seen = []

    def make_scheduler(opt):
        seen.append(opt)
        return torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    runs = _runs(seeds=(0, 1), make_scheduler=make_scheduler)
    assert len(seen) == 2 and seen[0] is not seen[1]
    assert seen[0].param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**3)
    assert len(runs) == 2


def test_fit_seeds_checks_what_the_factories_return():
    train, val = _loaders()
    with pytest.raises(TypeError, match="make_model must return a torch.nn.Module, got str"):
        d2l.fit_seeds(lambda: "net", lambda m: None, train, loss_fn=nn.CrossEntropyLoss(), epochs=1)
    with pytest.raises(TypeError, match="make_optimizer must return a torch.optim.Optimizer"):
        d2l.fit_seeds(_mlp, lambda m: m.parameters(), train, loss_fn=nn.CrossEntropyLoss(), epochs=1)
    with pytest.raises(TypeError, match=r"make_scheduler must return a scheduler with a step\(\) method"):
        _runs(make_scheduler=lambda opt: 0.5)
    with pytest.raises(ValueError, match=r"seeds must be distinct .*got \(1, 1\)"):
        _runs(seeds=[1, 1])


def test_runs_table_rows_are_the_seed_statistics():
    a, b = _runs(lr=0.1), _runs(lr=0.01, seeds=(3, 4))
    table = d2l.runs_table({"lr 0.1": a, "lr 0.01": b})
    assert list(table.index) == ["lr 0.1", "lr 0.01"]
    assert list(table.columns) == ["mean", "std", "min", "max", "seeds", "examples_per_s"]
    row = table.loc["lr 0.01"]
    finals = b.finals("val_metric")
    assert row["mean"] == pytest.approx(finals.mean()) and row["std"] == pytest.approx(finals.std(ddof=1))
    assert row["min"] == finals.min() and row["max"] == finals.max() and row["seeds"] == 2
    loss = d2l.runs_table({"a": a}, "val_loss").loc["a"]
    assert loss["mean"] == pytest.approx(a.finals("val_loss").mean())
    with pytest.raises(KeyError, match=r"column 'val_acc' is not in the histories of runs\['a'\]"):
        d2l.runs_table({"a": a}, "val_acc")


def test_plot_runs_draws_the_mean_and_the_band():
    runs = _runs()
    ax = d2l.plot_runs({"SGD": runs}, "train_loss", title="t")
    (line,) = ax.lines
    np.testing.assert_allclose(line.get_ydata(), runs.curves("train_loss").mean(axis=0))
    np.testing.assert_allclose(line.get_xdata(), [1, 2, 3])
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    curves = runs.curves("train_loss")
    mean, std = curves.mean(axis=0), curves.std(axis=0, ddof=1)
    assert band.min() == pytest.approx((mean - std).min()) and band.max() == pytest.approx((mean + std).max())
    assert ax.get_ylabel() == "train loss" and ax.get_title() == "t"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["SGD"]
    ax = d2l.plot_runs({"a": runs, "b": runs}, "val_metric", band="range", ylabel="accuracy")
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    curves = runs.curves("val_metric")
    assert band.min() == pytest.approx(curves.min()) and band.max() == pytest.approx(curves.max())
    assert len(ax.lines) == 2 and ax.get_ylabel() == "accuracy"


def test_plot_runs_keeps_a_log_band_positive():
    history = lambda losses: d2l.History(rows=[{"epoch": i + 1, "train_loss": v} for i, v in enumerate(losses)])
    runs = d2l.SeedRuns(seeds=(0, 1, 2), histories=(history([1.0, 1e-4]), history([1.0, 1e-3]), history([1.0, 0.5])),
                        models=(nn.Linear(1, 1),) * 3)
    low = d2l.plot_runs({"a": runs}, yscale="log").collections[0].get_paths()[0].vertices[:, 1]
    assert low.min() == pytest.approx(1e-4)          # mean - std < 0 at epoch 2: the lowest seed instead
    linear = d2l.plot_runs({"a": runs}).collections[0].get_paths()[0].vertices[:, 1]
    assert linear.min() < 0                           # on a linear axis the band is mean - std as it is
