import numpy as np
import pytest
import torch

import d2lhelper as d2l
from d2lhelper import plotting


def test_plot_draws_one_line_per_curve_with_labels():
    x = torch.linspace(0, 1, 20)
    ax = d2l.plot(x, [x, x**2, x**3], xlabel="x", ylabel="y", legend=["x", "x^2", "x^3"], title="powers",
                  yscale="log")
    assert len(ax.lines) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x", "x^2", "x^3"]
    assert ax.get_xlabel() == "x" and ax.get_title() == "powers" and ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.lines[1].get_ydata(), (x**2).numpy())


def test_plot_y_only_uses_indices():
    ax = d2l.plot([3.0, 1.0, 2.0])
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [0, 1, 2])


def test_plot_validates():
    with pytest.raises(ValueError, match="X has 3 points but Y has 2"):
        d2l.plot([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="legend must have one label per curve"):
        d2l.plot([1, 2], [[1, 2], [2, 3]], legend=["one"])


def test_show_images_grid_and_titles():
    imgs = torch.rand(5, 1, 8, 8)
    axes = d2l.show_images(imgs, 2, 3, titles=list("abcde"))
    assert axes.shape == (2, 3)
    assert axes[0, 1].get_title() == "b"
    assert axes[0, 0].images[0].get_array().shape == (8, 8)
    assert len(axes[1, 2].images) == 0  # sixth cell stays empty
    rgb = d2l.show_images(torch.rand(2, 3, 4, 4), 1, 2)
    assert rgb[0, 0].images[0].get_array().shape == (4, 4, 3)


def test_show_images_validates():
    with pytest.raises(ValueError, match="num_rows must be a positive int"):
        d2l.show_images(torch.rand(2, 4, 4), 0, 2)
    with pytest.raises(ValueError, match="titles must have at least 2"):
        d2l.show_images(torch.rand(2, 4, 4), 1, 2, titles=["a"])


def test_show_heatmaps_grid():
    axes = d2l.show_heatmaps(torch.rand(2, 3, 4, 5), xlabel="keys", ylabel="queries", titles=["a", "b", "c"])
    assert axes.shape == (2, 3)
    assert axes[1, 0].get_ylabel() == "queries" and axes[1, 2].get_xlabel() == "keys"
    assert axes[0, 2].get_title() == "c"
    # only the first column draws y tick marks (inner ones looked like minus signs before annotations)
    assert axes[0, 0].yaxis.get_major_ticks()[0].tick1line.get_visible()
    assert not axes[0, 1].yaxis.get_major_ticks()[0].tick1line.get_visible()
    titled = d2l.show_heatmaps(torch.rand(2, 2), xlabel="k", ylabel="q", suptitle="weights")
    assert titled[0, 0].figure._suptitle.get_text() == "weights"
    single = d2l.show_heatmaps(np.eye(3), xlabel="pred", ylabel="true", annot=True)
    assert single.shape == (1, 1)


def test_show_heatmaps_validates_shape():
    with pytest.raises(ValueError, match=r"matrices must have shape .* got \(2, 3, 4\)"):
        d2l.show_heatmaps(torch.rand(2, 3, 4), xlabel="k", ylabel="q")


class _Handle:
    def __init__(self, log):
        self.log = log

    def update(self, fig):
        self.log.append("update")


@pytest.fixture
def fake_display(monkeypatch):
    log = []

    def display(obj, display_id=False):
        log.append("display")
        return _Handle(log)

    import IPython.display

    monkeypatch.setattr(IPython.display, "display", display)
    return log


def test_live_plot_updates_in_place(fake_display, monkeypatch):
    monkeypatch.setenv("D2LHELPER_LIVE_PLOT", "1")
    live = d2l.LivePlot(xlabel="epoch", legend=["loss", "acc"], min_interval=0, display=True)
    for epoch in range(1, 4):
        live.add(epoch, {"loss": 1 / epoch, "acc": 0.3 * epoch})
    fig = live.finish()
    assert fake_display == ["display", "update", "update", "update"]  # one output, redrawn
    assert [line.get_label() for line in fig.axes[0].lines] == ["loss", "acc"]
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), [0.3, 0.6, 0.9])


def test_live_plot_final_state_only_when_executed(fake_display, monkeypatch):
    monkeypatch.setenv("D2LHELPER_LIVE_PLOT", "0")
    live = d2l.LivePlot(xlabel="epoch", legend=["loss"], min_interval=0, display=True)
    for epoch in range(1, 4):
        live.add(epoch, {"loss": 1 / epoch})
    live.finish()
    assert fake_display == ["display"]


def test_live_plot_outside_jupyter_draws_on_finish(fake_display):
    assert not plotting._in_notebook()
    live = d2l.LivePlot(xlabel="epoch", legend=["loss"])
    live.add(1, {"loss": 1.0})
    assert len(live.finish().axes[0].lines) == 1 and fake_display == []


def test_live_plot_validates():
    with pytest.raises(ValueError, match="legend must name at least one curve"):
        d2l.LivePlot(xlabel="epoch", legend=[])
    live = d2l.LivePlot(xlabel="epoch", legend=["loss"])
    with pytest.raises(ValueError, match="unknown curve 'acc'"):
        live.add(1, {"acc": 0.5})
