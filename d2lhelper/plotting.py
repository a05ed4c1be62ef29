"""Figures for the notebooks: curves, image grids, heatmaps and a live plot.

Every function returns the matplotlib objects it drew on, so a notebook can add
to a figure, and accepts an existing ``ax``/``axes`` where that makes sense.
"""
from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import torch

from ._checks import check_positive_int
from ._checks import (check_axes, check_bool, check_choice, check_cmap, check_non_negative_float, check_pair,
                      check_positive_float)

_SCALES = ("linear", "log", "symlog", "logit")

__all__ = ["plot", "show_images", "show_heatmaps", "LivePlot"]

ArrayLike = Any  # a list, NumPy array or tensor of numbers


def _to_numpy(x: ArrayLike) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def plot(
    X: ArrayLike,
    Y: ArrayLike | Sequence[ArrayLike] | None = None,
    *,
    xlabel: str | None = None,
    ylabel: str | None = None,
    legend: Sequence[str] | None = None,
    title: str | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    xscale: str = "linear",
    yscale: str = "linear",
    fmts: Sequence[str] = ("-", "m--", "g-.", "r:"),
    figsize: tuple[float, float] = (4.5, 3.0),
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Plot one or several curves.

    Args:
        X: x values, shape ``(n,)``; or, when ``Y`` is None, the y values (x is
            then ``0..n-1``). A list of arrays draws several curves.
        Y: y values, shape ``(n,)``, or a list of such arrays (one per curve).
        legend: one label per curve; required to tell several curves apart.
        xscale, yscale: ``"linear"`` or ``"log"``.

    Returns:
        The axes drawn on.
    """
    for name, v in (("X", X), ("Y", Y)):
        if v is not None and (isinstance(v, str) or not hasattr(v, "__len__") or getattr(v, "ndim", 1) == 0):
            raise TypeError(f"{name} must be a list, NumPy array or tensor of numbers (or a list of them), "
                            f"got {type(v).__name__} {v!r:.60}")
    check_pair("xlim", xlim, allow_none=True)
    check_pair("ylim", ylim, allow_none=True)
    check_choice("xscale", xscale, _SCALES)
    check_choice("yscale", yscale, _SCALES)
    if isinstance(fmts, str) or not isinstance(fmts, Sequence) or not fmts or not all(isinstance(f, str) for f in fmts):
        raise TypeError(f"fmts must be a non-empty sequence of matplotlib format strings such as ('-', 'm--'), "
                        f"got {fmts!r:.60}")
    check_pair("figsize", figsize, positive=True)
    check_axes("ax", ax)

    def as_list(v: ArrayLike) -> list[np.ndarray]:
        if isinstance(v, (list, tuple)) and len(v) and hasattr(v[0], "__len__"):
            return [_to_numpy(a) for a in v]
        arr = _to_numpy(v)
        return list(arr) if arr.ndim == 2 else [arr]

    if Y is None:
        ys = as_list(X)
        xs = [np.arange(len(y)) for y in ys]
    else:
        ys = as_list(Y)
        xs = as_list(X)
        if len(xs) == 1 and len(ys) > 1:
            xs = xs * len(ys)
    if len(xs) != len(ys):
        raise ValueError(f"X and Y must give the same number of curves, got {len(xs)} and {len(ys)}")
    for i, (x, y) in enumerate(zip(xs, ys)):
        if len(x) != len(y):
            raise ValueError(f"curve {i}: X has {len(x)} points but Y has {len(y)}")
    if legend is not None and len(legend) != len(ys):
        raise ValueError(f"legend must have one label per curve ({len(ys)}), got {len(legend)}")
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    for i, (x, y) in enumerate(zip(xs, ys)):
        ax.plot(x, y, fmts[i % len(fmts)], label=None if legend is None else legend[i])
    ax.set_xscale(xscale)
    ax.set_yscale(yscale)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if xlim:
        ax.set_xlim(xlim)
    if ylim:
        ax.set_ylim(ylim)
    if legend is not None:
        ax.legend()
    ax.grid(True, alpha=0.3)
    return ax


def show_images(
    imgs: torch.Tensor | Sequence[Any],
    num_rows: int,
    num_cols: int,
    *,
    titles: Sequence[str] | None = None,
    scale: float = 1.5,
    cmap: str = "gray",
) -> np.ndarray:
    """Show images in a ``num_rows x num_cols`` grid.

    Args:
        imgs: a tensor of shape ``(N, H, W)``, ``(N, 1, H, W)`` or ``(N, 3, H, W)``,
            or a sequence of ``(H, W)``/``(H, W, 3)`` arrays or PIL images. Only the
            first ``num_rows * num_cols`` are drawn.
        titles: one title per image drawn (optional).

    Returns:
        The ``(num_rows, num_cols)`` array of axes.
    """
    check_positive_int("num_rows", num_rows)
    check_positive_int("num_cols", num_cols)
    check_positive_float("scale", scale)
    check_cmap("cmap", cmap)
    n = min(len(imgs), num_rows * num_cols)
    if n == 0:
        raise ValueError("imgs must hold at least one image, got none")
    if titles is not None and len(titles) < n:
        raise ValueError(f"titles must have at least {n} entries (one per image drawn), got {len(titles)}")
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img = imgs[i]
        if isinstance(img, torch.Tensor):
            img = img.detach().cpu()
            if img.ndim == 3 and img.shape[0] in (1, 3):  # (C, H, W) -> (H, W, C)
                img = img.permute(1, 2, 0)
            img = img.squeeze(-1).numpy() if img.ndim == 3 and img.shape[-1] == 1 else img.numpy()
        ax.imshow(img, cmap=cmap)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    fig.tight_layout()
    return axes


def show_heatmaps(
    matrices: torch.Tensor | np.ndarray,
    *,
    xlabel: str,
    ylabel: str,
    titles: Sequence[str] | None = None,
    xticklabels: Sequence[str] | str = "auto",
    yticklabels: Sequence[str] | str = "auto",
    annot: bool = False,
    cmap: str = "Reds",
    figsize: tuple[float, float] = (3.0, 3.0),
    suptitle: str | None = None,
) -> np.ndarray:
    """Draw a grid of heatmaps, e.g. attention weights or a confusion matrix.

    Args:
        matrices: shape ``(rows, cols, m, n)``: ``rows x cols`` matrices of
            size ``m x n``. A single ``(m, n)`` matrix is also accepted.
        titles: one title per column of the grid.
        annot: write each value in its cell (for small matrices).
        suptitle: a title over the whole grid.

    Returns:
        The ``(rows, cols)`` array of axes. One colour bar is shared by all.
    """
    m = _to_numpy(matrices)
    if m.ndim == 2:
        m = m[None, None]
    if m.ndim != 4:
        raise ValueError(f"matrices must have shape (m, n) or (rows, cols, m, n), got {tuple(m.shape)}")
    rows, cols = m.shape[:2]
    if titles is not None and len(titles) != cols:
        raise ValueError(f"titles must have one entry per column ({cols}), got {len(titles)}")
    for name, labels, size, what in (("xticklabels", xticklabels, m.shape[3], "column"),
                                     ("yticklabels", yticklabels, m.shape[2], "row")):
        if not isinstance(labels, (str, bool, int)) and len(labels) != size:
            raise ValueError(f"{name} must have one label per matrix {what} ({size}), or be 'auto', True or "
                             f"False, got {len(labels)} labels")
    check_bool("annot", annot)
    check_cmap("cmap", cmap)
    check_pair("figsize", figsize, positive=True)
    fig, axes = plt.subplots(rows, cols, figsize=(figsize[0] * cols, figsize[1] * rows), squeeze=False,
                             sharex=True, sharey=True)
    vmin, vmax = float(m.min()), float(m.max())
    for i in range(rows):
        for j in range(cols):
            ax = axes[i, j]
            sns.heatmap(m[i, j], ax=ax, cmap=cmap, vmin=vmin, vmax=vmax, cbar=(j == cols - 1),
                        annot=annot, fmt=".2g" if annot else "", square=m.shape[2] == m.shape[3],
                        xticklabels=xticklabels, yticklabels=yticklabels)
            if i == rows - 1:
                ax.set_xlabel(xlabel)
            if j == 0:
                ax.set_ylabel(ylabel)
            else:  # shared y axis: inner panels' tick marks would read like minus signs before the numbers
                ax.tick_params(axis="y", left=False)
            if titles is not None and i == 0:
                ax.set_title(titles[j])
    if suptitle is not None:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return axes


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with Jupyter
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class _LiveFigure:
    """A figure shown once in Jupyter and then updated in place; subclasses draw it in ``_redraw``.

    Executed notebooks (tests, the book build) set ``D2LHELPER_LIVE_PLOT=0``:
    nbval keeps only a figure's first version, so only the final state is drawn.
    """

    def __init__(self, fig: plt.Figure, display: bool | None) -> None:
        self.fig = fig
        plt.close(fig)  # we display it ourselves; stop the inline backend showing it again
        self._display = _in_notebook() if display is None else display
        self._live = self._display and os.environ.get("D2LHELPER_LIVE_PLOT", "1") != "0"
        self._handle: Any = None
        self._last_draw = 0.0

    def _redraw(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def _show(self) -> None:
        from IPython.display import display

        self._redraw()
        if self._handle is None:
            self._handle = display(self.fig, display_id=True)
        else:
            self._handle.update(self.fig)
        self._last_draw = time.perf_counter()

    def _draw_final(self) -> None:
        """Draw the final state: shown in Jupyter, only rendered elsewhere."""
        if self._display:
            self._show()
        else:
            self._redraw()


class LivePlot(_LiveFigure):
    """Curves that redraw while a model trains, ending as one static figure.

    Inside Jupyter the figure is shown once and updated in place
    (``display(..., display_id=True)``), at most every ``min_interval`` seconds
    plus a final draw in :meth:`finish`; an executed notebook therefore keeps
    exactly one, final figure, which is what the HTML book shows. Outside
    Jupyter nothing is drawn until :meth:`finish` returns the figure.

    Example::

        live = LivePlot(xlabel="epoch", legend=["train loss", "val acc"])
        for epoch in range(10):
            live.add(epoch + 1, {"train loss": loss, "val acc": acc})
        live.finish()
    """

    def __init__(
        self,
        *,
        xlabel: str,
        ylabel: str | None = None,
        legend: Sequence[str],
        title: str | None = None,
        xlim: tuple[float, float] | None = None,
        ylim: tuple[float, float] | None = None,
        yscale: str = "linear",
        figsize: tuple[float, float] = (4.5, 3.0),
        min_interval: float = 0.5,
        display: bool | None = None,
    ) -> None:
        if not legend:
            raise ValueError("legend must name at least one curve, got an empty sequence")
        check_pair("xlim", xlim, allow_none=True)
        check_pair("ylim", ylim, allow_none=True)
        check_choice("yscale", yscale, _SCALES)
        check_pair("figsize", figsize, positive=True)
        check_non_negative_float("min_interval", min_interval)
        check_bool("display", display, allow_none=True)
        self.legend = list(legend)
        self.series: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in self.legend}
        fig, self.ax = plt.subplots(figsize=figsize)
        super().__init__(fig, display)
        self._axes_kw = dict(xlabel=xlabel, ylabel=ylabel, title=title, xlim=xlim, ylim=ylim, yscale=yscale)
        self.min_interval = min_interval

    def add(self, x: float, values: dict[str, float]) -> None:
        """Append a point to each named curve and redraw if enough time passed.

        Args:
            x: the x value (e.g. the epoch, possibly fractional).
            values: curve name -> y value; names must be in ``legend``.
        """
        for name, y in values.items():
            if name not in self.series:
                raise ValueError(f"unknown curve {name!r}; legend has {self.legend}")
            xs, ys = self.series[name]
            xs.append(float(x))
            ys.append(float(y))
        if self._live and time.perf_counter() - self._last_draw >= self.min_interval:
            self._show()

    def _redraw(self) -> None:
        ax = self.ax
        ax.cla()
        for i, name in enumerate(self.legend):
            xs, ys = self.series[name]
            if xs:
                ax.plot(xs, ys, ("-", "--", "-.", ":")[i % 4], marker="o" if len(xs) < 30 else None,
                        markersize=3, label=name)
        kw = self._axes_kw
        ax.set_xlabel(kw["xlabel"])
        if kw["ylabel"]:
            ax.set_ylabel(kw["ylabel"])
        if kw["title"]:
            ax.set_title(kw["title"])
        if kw["xlim"]:
            ax.set_xlim(kw["xlim"])
        if kw["ylim"]:
            ax.set_ylim(kw["ylim"])
        ax.set_yscale(kw["yscale"])
        ax.grid(True, alpha=0.3)
        ax.legend()
        self.fig.tight_layout()

    def finish(self) -> plt.Figure:
        """Draw the final state and return the figure."""
        self._draw_final()
        return self.fig
