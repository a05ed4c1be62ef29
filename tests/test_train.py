import statistics
import time

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import d2lhelper as d2l


def _blobs(n=512, seed=0):
    """Two Gaussian blobs in 2-D, linearly separable: X (n, 2), y (n,)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    X = torch.randn(n, 2, generator=g) + 4 * y[:, None].float() - 2
    return X, y


def _loaders(batch_size=32):
    X, y = _blobs()
    train = DataLoader(TensorDataset(X[:400], y[:400]), batch_size=batch_size, shuffle=True)
    val = DataLoader(TensorDataset(X[400:], y[400:]), batch_size=batch_size)
    return train, val


def test_accuracy_counts_correct_predictions():
    scores = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert d2l.accuracy(scores, torch.tensor([1, 0, 0])).item() == 2
    assert d2l.accuracy(torch.tensor([1, 1]), torch.tensor([1, 0])).item() == 1
    with pytest.raises(ValueError, match="y_hat must have shape"):
        d2l.accuracy(torch.zeros(3, 2, 2), torch.zeros(3))


def test_fit_learns_and_records_history():
    d2l.seed_everything(0)
    train, val = _loaders()
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    history = d2l.fit(model, train, val, loss_fn=nn.CrossEntropyLoss(),
                      optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=4, device="cpu",
                      live_plot=False, progress=False)
    assert len(history) == 4 and history["epoch"] == [1, 2, 3, 4]
    assert history.final["val_metric"] > 0.95 and history.final["train_metric"] > 0.95
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert all(r["examples_per_s"] > 0 and r["seconds"] > 0 for r in history.rows)
    table = history.table()
    assert list(table.index) == [1, 2, 3, 4] and "val_accuracy" in table.columns
    assert "val_accuracy" in repr(history) and "CPU" in repr(history)
    assert len(history.plot().lines) == 4


def test_fit_regression_without_metric():
    d2l.seed_everything(0)
    X = torch.randn(256, 3)
    y = X @ torch.tensor([[2.0], [-1.0], [0.5]]) + 0.3
    loader = DataLoader(TensorDataset(X, y), batch_size=32)
    model = nn.Linear(3, 1)
    history = d2l.fit(model, loader, loss_fn=nn.MSELoss(), optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                      epochs=20, metric=None, device="cpu", live_plot=False, progress=False)
    assert history.final["train_loss"] < 1e-4
    assert "train_metric" not in history.final and "val_loss" not in history.final
    torch.testing.assert_close(model.weight.data, torch.tensor([[2.0, -1.0, 0.5]]), atol=1e-2, rtol=0)


def _hand_loop(model, loader, loss_fn, optimizer, epochs):
    """The minimal loop a reader writes by hand (chapter 2)."""
    for _ in range(epochs):
        model.train()
        for X, y in loader:
            loss = loss_fn(model(X), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()


def _setup(seed=0):
    d2l.seed_everything(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    return model, torch.optim.SGD(model.parameters(), lr=0.05)


def test_fit_matches_a_hand_written_loop_exactly():
    X, y = torch.randn(600, 8, 8), torch.randint(0, 10, (600,))
    loader = DataLoader(TensorDataset(X, y), batch_size=64)  # no shuffling: same batches
    model_a, opt_a = _setup()
    _hand_loop(model_a, loader, nn.CrossEntropyLoss(), opt_a, epochs=2)
    model_b, opt_b = _setup()
    d2l.fit(model_b, loader, loss_fn=nn.CrossEntropyLoss(), optimizer=opt_b, epochs=2, device="cpu",
            live_plot=False, progress=False)
    for a, b in zip(model_a.parameters(), model_b.parameters()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("amp", [None, "bf16"])
def test_fit_reads_the_host_once_per_epoch_not_per_batch(host_reads, amp):
    """A per-batch .item() (or a value check) would stall a GPU every step: fit's host reads must not
    grow with the number of batches. (Timing belongs in bench/; this counts the reads themselves.)"""

    def reads_for(num_batches):
        X, y = torch.randn(8 * num_batches, 4), torch.randint(0, 3, (8 * num_batches,))
        loader = d2l.data.TensorLoader(X, y, batch_size=8)
        model = nn.Linear(4, 3)
        with host_reads() as reads:
            d2l.fit(model, loader, loader, loss_fn=nn.CrossEntropyLoss(), grad_clip=1.0, amp=amp,
                    optimizer=torch.optim.Adam(model.parameters()), epochs=2, device="cpu", live_plot=False,
                    progress=False)
        return reads

    few, many = reads_for(3), reads_for(30)
    assert len(few) == len(many), f"host reads grow with the batches: {len(few)} vs {len(many)}: {many}"
    assert len(many) <= 2 * 2, f"more than 2 host reads per epoch (train sums, val sums): {many}"


def test_host_read_counter_counts_the_package_and_only_the_package(host_reads):
    """The counter must catch what it is for: a read made by d2lhelper code, here per batch; reads made
    outside the package (this test file, PyTorch itself) are not counted."""
    X, y = torch.randn(40, 4), torch.randint(0, 3, (40,))
    model = nn.Linear(4, 3)

    def per_batch_reading_metric(y_hat, y):  # calls a package function that reads the host once per call
        return torch.tensor(d2l.Predictions(X[:len(y)], y, y_hat.argmax(1), y_hat.max(1).values).accuracy)

    with host_reads() as reads:
        torch.zeros(()).item()  # from a test: not counted
        d2l.fit(model, d2l.data.TensorLoader(X, y, batch_size=8), loss_fn=nn.CrossEntropyLoss(),
                metric=per_batch_reading_metric, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1,
                device="cpu", live_plot=False, progress=False)
    per_batch = [r for r in reads if r.startswith("metrics.py")]
    assert len(per_batch) == 5 and all(r.endswith(" item") for r in per_batch), reads  # 40 / 8 batches
    assert len(reads) == 5 + 1, reads  # plus fit's one read of the epoch's sums


def test_evaluate_restores_mode_and_averages():
    X, y = _blobs(100)
    loader = DataLoader(TensorDataset(X, y), batch_size=30)  # uneven last batch
    model = nn.Linear(2, 2)
    model.train()
    out = d2l.evaluate(model, loader, nn.CrossEntropyLoss(reduction="mean"))
    assert model.training and out["examples"] == 100
    with torch.no_grad():
        logits = model(X)
    assert out["loss"] == pytest.approx(nn.functional.cross_entropy(logits, y).item(), rel=1e-5)
    assert out["metric"] == pytest.approx((logits.argmax(1) == y).float().mean().item())


def test_evaluate_takes_one_pass_of_a_generator_and_rejects_an_empty_one():
    X, y = _blobs(100)
    model = nn.Linear(2, 2)
    batches = ((X[i:i + 30], y[i:i + 30]) for i in range(0, 100, 30))
    assert d2l.evaluate(model, batches)["examples"] == 100
    with pytest.raises(ValueError, match="data_iter must yield at least one example, got an empty generator"):
        d2l.evaluate(model, (b for b in []))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(epochs=0), ValueError, "epochs must be a positive int, got 0"),
    (dict(epochs=2.5), TypeError, "epochs must be a positive int"),
    (dict(model="net"), TypeError, "model must be a torch.nn.Module, got str"),
    (dict(optimizer=None), TypeError, "optimizer must be a torch.optim.Optimizer, got NoneType"),
    (dict(train_iter=[]), ValueError, "train_iter must yield at least one batch"),
    (dict(train_iter=5), TypeError, "train_iter must be an iterable"),
    # A generator is empty from the second epoch on: rejected before any training.
    (dict(train_iter=((torch.zeros(1, 2), torch.zeros(1, dtype=torch.long)) for _ in range(2))), TypeError,
     "train_iter must be re-iterable .* got a one-shot generator"),
    (dict(val_iter=iter([(torch.zeros(1, 2), torch.zeros(1, dtype=torch.long))])), TypeError,
     "val_iter must be re-iterable .* got a one-shot list_iterator"),
    (dict(grad_clip=-1.0), ValueError, "grad_clip must be a positive float"),
])
def test_fit_validates_arguments(kwargs, error, match):
    model = nn.Linear(2, 2)
    args = dict(model=model, train_iter=[(torch.zeros(1, 2), torch.zeros(1, dtype=torch.long))],
                loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=1,
                live_plot=False, progress=False)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        d2l.fit(args.pop("model"), args.pop("train_iter"), **args)


def test_fit_leaves_tqdm_disable_in_charge(monkeypatch):
    """progress=True must not pass disable=False, which would override TQDM_DISABLE=1."""
    from d2lhelper import _engine

    calls = []
    monkeypatch.setattr(_engine, "tqdm", lambda it, **kw: calls.append(kw) or it)
    train, _ = _loaders()
    for progress in (True, False):
        model = nn.Linear(2, 2)
        d2l.fit(model, train, loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                epochs=1, device="cpu", live_plot=False, progress=progress)
    assert "disable" not in calls[0] and calls[1]["disable"] is True


def test_fit_live_plot_has_title_and_labels(monkeypatch):
    from d2lhelper import train as train_module

    made = []

    class Recording(train_module.LivePlot):
        def __init__(self, **kw):
            super().__init__(**kw)
            made.append(self)

    monkeypatch.setattr(train_module, "LivePlot", Recording)
    train, val = _loaders()
    model = nn.Linear(2, 2)
    d2l.fit(model, train, val, loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            epochs=2, device="cpu", progress=False, title="A linear classifier")
    ax = made[0].fig.axes[0]
    assert ax.get_title() == "A linear classifier" and ax.get_ylabel() == "loss / accuracy"
    assert [line.get_label() for line in ax.lines] == ["train loss", "val loss", "train accuracy", "val accuracy"]
