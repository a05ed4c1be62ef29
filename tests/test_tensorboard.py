"""TensorBoardLogger and fit(..., tensorboard=...): what is written is read back with TensorBoard's own reader."""
from __future__ import annotations

import io
import os
import tempfile

import numpy as np
import pytest
import torch
from torch import nn

import d2lhelper as d2l

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


def _data(n: int = 96, seed: int = 0) -> tuple[d2l.data.TensorLoader, d2l.data.TensorLoader]:
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 1, 4, 4, generator=g)
    y = (X.flatten(1).sum(1) > 0).long()
    return (d2l.data.TensorLoader(X[: n // 2], y[: n // 2], batch_size=16),
            d2l.data.TensorLoader(X[n // 2:], y[n // 2:], batch_size=16))


def _model() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2))


def _fit(model: nn.Module, tensorboard, *, epochs: int = 3, val: bool = True, loss_fn=None, **kw) -> d2l.History:
    train, val_iter = _data()
    return d2l.fit(model, train, val_iter if val else None, loss_fn=loss_fn or nn.CrossEntropyLoss(), epochs=epochs,
                   optimizer=torch.optim.SGD(model.parameters(), lr=0.1), device="cpu", live_plot=False,
                   progress=False, tensorboard=tensorboard, **kw)


def _read(log_dir) -> EventAccumulator:
    # The reader keeps a sample of each tag's events (by default one histogram, four images); 0 keeps all.
    events = EventAccumulator(os.fspath(log_dir), size_guidance={"histograms": 0, "images": 0, "scalars": 0})
    events.Reload()
    return events


def _f32(x: float) -> float:
    """TensorBoard stores scalars as float32: a History value rounded the same way."""
    return float(np.float32(x))


def test_fit_logs_every_history_column_as_a_scalar_equal_to_the_history(tmp_path):
    torch.manual_seed(0)
    history = _fit(_model(), tmp_path / "run")
    events = _read(tmp_path / "run")
    expected = {"train/loss": "train_loss", "train/accuracy": "train_metric", "val/loss": "val_loss",
                "val/accuracy": "val_metric", "timing/examples_per_s": "examples_per_s",
                "timing/seconds": "seconds"}
    assert sorted(events.Tags()["scalars"]) == sorted(expected)
    for tag, column in expected.items():
        logged = events.Scalars(tag)
        assert [e.step for e in logged] == [1, 2, 3], tag
        assert [e.value for e in logged] == [_f32(v) for v in history[column]], tag
    # the values differ from epoch to epoch: a logger writing one row three times would fail above
    assert len(set(history["train_loss"])) == 3


def test_scalar_tags_follow_metric_name_and_skip_what_was_not_measured(tmp_path):
    torch.manual_seed(0)
    history = _fit(_model(), tmp_path / "run", epochs=2, val=False, metric_name="acc")
    tags = _read(tmp_path / "run").Tags()["scalars"]
    assert sorted(tags) == ["timing/examples_per_s", "timing/seconds", "train/acc", "train/loss"]
    assert [e.value for e in _read(tmp_path / "run").Scalars("train/acc")] == [_f32(v) for v in history["train_metric"]]


def test_histograms_hold_each_parameter_and_its_last_gradient(tmp_path):
    torch.manual_seed(0)
    model = _model()
    _fit(model, tmp_path / "run", epochs=2)
    events = _read(tmp_path / "run")
    names = [name for name, _ in model.named_parameters()]
    assert sorted(events.Tags()["histograms"]) == sorted([f"weights/{n}" for n in names]
                                                         + [f"gradients/{n}" for n in names])
    for name, p in model.named_parameters():
        for tag, values in ((f"weights/{name}", p.detach()), (f"gradients/{name}", p.grad)):
            logged = events.Histograms(tag)
            assert [e.step for e in logged] == [1, 2], tag
            last = logged[-1].histogram_value  # epoch 2: the trained weights, the last batch's gradient
            assert last.num == values.numel(), tag
            assert last.min == values.min().item() and last.max == values.max().item(), tag
            assert last.sum == pytest.approx(values.double().sum().item(), rel=1e-6, abs=1e-9), tag
        first = events.Histograms(f"weights/{name}")[0].histogram_value
        assert (first.min, first.max, first.sum) != (last.min, last.max, last.sum)  # epoch 1 is not epoch 2


def test_a_logger_without_histograms_and_with_an_image_grid(tmp_path):
    from PIL import Image

    images = torch.rand(10, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    logger = d2l.TensorBoardLogger(tmp_path / "run", histograms=False, images=images)
    torch.manual_seed(0)
    history = _fit(_model(), logger, epochs=2)
    events = _read(tmp_path / "run")
    assert events.Tags()["histograms"] == []
    grid = events.Images("examples")
    assert len(grid) == 1 and grid[0].step == 0
    assert (grid[0].width, grid[0].height) == (8 * 4, 2 * 4)  # 8 images a row, no padding
    pixels = np.asarray(Image.open(io.BytesIO(grid[0].encoded_image_string)).convert("L"))  # (8, 32)
    expected = (images.squeeze(1).numpy() * 255).astype(np.uint8)  # how TensorBoard quantises a float image
    assert np.array_equal(pixels[:4, :4], expected[0]) and np.array_equal(pixels[:4, 28:], expected[7])
    assert np.array_equal(pixels[4:, 4:8], expected[9]) and not pixels[4:, 8:].any()  # 2nd row: 2 images
    assert [e.value for e in events.Scalars("val/loss")] == [_f32(v) for v in history["val_loss"]]
    logger.close()


def test_a_given_logger_is_left_open_for_more_and_a_path_is_closed(tmp_path, monkeypatch):
    closed = []
    monkeypatch.setattr(d2l.TensorBoardLogger, "close", lambda self: closed.append(self.log_dir))
    with d2l.TensorBoardLogger(tmp_path / "given") as logger:
        torch.manual_seed(0)
        _fit(_model(), logger, epochs=1)
        assert closed == []  # fit flushed it, the caller closes it
        logger.log_epoch(7, {"epoch": 7, "test_loss": 0.25})
        logger.flush()
        assert [(e.step, e.value) for e in _read(tmp_path / "given").Scalars("test/loss")] == [(7, 0.25)]
    assert closed == [os.fspath(tmp_path / "given")]
    _fit(_model(), os.fspath(tmp_path / "from_path"), epochs=1)
    assert closed[-1] == os.fspath(tmp_path / "from_path")


def test_fit_closes_the_logger_it_made_when_training_fails(tmp_path, monkeypatch):
    closed = []
    monkeypatch.setattr(d2l.TensorBoardLogger, "close", lambda self: closed.append(True))

    def failing_loss(y_hat, y):
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError):
        _fit(_model(), tmp_path / "run", loss_fn=failing_loss)
    assert closed == [True]


def test_logging_adds_no_host_read_per_batch(host_reads):
    """The scalars are the History's floats (read once per epoch by fit): logging must not add reads in
    d2lhelper's code that grow with the batches. (The histograms' copies happen inside PyTorch, per epoch.)"""
    def reads_for(num_batches: int) -> list[str]:
        X, y = torch.randn(8 * num_batches, 4), torch.randint(0, 3, (8 * num_batches,))
        loader = d2l.data.TensorLoader(X, y, batch_size=8)
        model = nn.Linear(4, 3)
        with tempfile.TemporaryDirectory() as log_dir, host_reads() as reads:
            d2l.fit(model, loader, loader, loss_fn=nn.CrossEntropyLoss(), grad_clip=1.0, epochs=2,
                    optimizer=torch.optim.Adam(model.parameters()), device="cpu", live_plot=False,
                    progress=False, tensorboard=log_dir)
            assert _read(log_dir).Tags()["histograms"]  # logging really ran
        return reads

    few, many = reads_for(3), reads_for(30)
    assert len(few) == len(many), f"host reads grow with the batches: {len(few)} vs {len(many)}: {many}"
    assert len(many) <= 2 * 2, f"more than 2 host reads per epoch (train sums, val sums): {many}"


def test_tags():
    from d2lhelper.tensorboard import _tag

    assert _tag("train_loss", "accuracy") == "train/loss"
    assert _tag("val_metric", "accuracy") == "val/accuracy"
    assert _tag("test_perplexity", "accuracy") == "test/perplexity"
    assert _tag("examples_per_s", "accuracy") == "timing/examples_per_s"
    assert _tag("seconds", "accuracy") == "timing/seconds"
    assert _tag("lr", "accuracy") == "lr"


def test_images_are_checked_and_scaled_for_display(tmp_path):
    from d2lhelper.tensorboard import _check_images

    assert _check_images(torch.rand(2, 5, 5)).shape == (2, 1, 5, 5)
    scaled = _check_images(torch.tensor([[[[-1.0, 3.0]]]]))  # e.g. normalised inputs
    assert scaled.flatten().tolist() == [0.0, 1.0]
    assert _check_images(torch.full((1, 3, 2, 2), 255, dtype=torch.uint8)).max().item() == 1.0
    with pytest.raises(ValueError, match=r"images must have shape \(N, C, H, W\).*got \(2, 2, 4, 4\)"):
        d2l.TensorBoardLogger(tmp_path, images=torch.rand(2, 2, 4, 4))
    with pytest.raises(TypeError, match="images must be a float or uint8 tensor, got dtype torch.int64"):
        d2l.TensorBoardLogger(tmp_path, images=torch.zeros(2, 1, 4, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="images must hold finite values"):
        d2l.TensorBoardLogger(tmp_path, images=torch.full((1, 1, 2, 2), float("nan")))


def test_bad_arguments_name_themselves(tmp_path):
    file = tmp_path / "a_file"
    file.write_text("")
    with pytest.raises(ValueError, match="log_dir must be a folder .*a_file"):
        d2l.TensorBoardLogger(file)
    with pytest.raises(ValueError, match="tensorboard must be a log folder .*a_file"):
        _fit(_model(), file)
    with pytest.raises(TypeError, match="tensorboard must be a TensorBoardLogger, a log folder .*got int 5"):
        _fit(_model(), 5)
    with pytest.raises(TypeError, match="tensorboard must be .*got str ''"):
        _fit(_model(), "")
    with d2l.TensorBoardLogger(tmp_path / "ok") as logger:
        with pytest.raises(ValueError, match="epoch must be an int >= 0, got -1"):
            logger.log_epoch(-1, {})
        with pytest.raises(TypeError, match="row must be a dict"):
            logger.log_epoch(1, [("train_loss", 1.0)])
        with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
            logger.log_epoch(1, {}, "model")
        with pytest.raises(TypeError, match="metric_name must be a str"):
            logger.log_epoch(1, {}, metric_name=None)
    assert repr(logger).startswith("TensorBoardLogger(log_dir=")
