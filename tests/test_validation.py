"""Every parameter of every public d2lhelper function and class, given a bad value, gets an error that
names it, says what was expected and what was given (issue: reliability).

The required rows are derived from the signatures: for each public callable (a class: its ``__init__``;
``self``, ``*args`` and ``**kwargs`` skipped) and each of its parameters, CASES must hold a bad-input row
keyed ``(name, parameter)``, or EXEMPT_PARAMS must say why any value is fine. A new parameter without
either fails the coverage test; so does a key for a parameter that no longer exists. Modules may also
have rows for ``forward``'s parameters, keyed ``(name, "forward.<parameter>")``.

A row is ``(thunk, expected exception, regex)``. The regex must contain the parameter's name, and the
exception must be one a reader can act on (TypeError, ValueError, KeyError, FileNotFoundError or the
package's own errors), never RuntimeError or Exception: those are what PyTorch raises from deep inside
when a check is missing, so a row accepting them would pass with the check deleted.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

import d2lhelper as d2l
from d2lhelper import data as D

_T = torch.zeros
Row = tuple[Callable[[], Any], "type[Exception] | tuple[type[Exception], ...]", str]


# ---------------------------------------------------------------- builders of valid arguments


class _New:
    """A default built afresh for every call (models, optimizers, loaders)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.factory = factory


def _caller(fn: Callable[..., Any], **defaults: Any) -> Callable[..., Any]:
    """``fn`` called with valid ``defaults``, some overridden by keyword: ``FIT(epochs=0)``."""
    def call(**overrides: Any) -> Any:
        kw = {k: (v.factory() if isinstance(v, _New) else v) for k, v in defaults.items() if k not in overrides}
        return fn(**kw, **overrides)
    return call


def _lin() -> nn.Module:
    return nn.Linear(2, 2)


def _sgd() -> torch.optim.Optimizer:
    return torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)


def _batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(torch.randn(4, 2), torch.randint(0, 2, (4,)))]


def _lm() -> nn.Module:
    return d2l.RNNLM(nn.GRU(4, 8, batch_first=True), 4)


def _seq() -> d2l.SeqDataLoader:
    return d2l.SeqDataLoader(torch.arange(40) % 4, 2, 5)


def _specials_vocab() -> d2l.Vocab:  # 6 tokens: <unk>, <pad>, <bos>, <eos>, a, b
    return d2l.Vocab(["a", "b"], reserved_tokens=["<pad>", "<bos>", "<eos>"])


def _encdec() -> nn.Module:
    return d2l.EncoderDecoder(d2l.Seq2SeqEncoder(6, 2, 2), d2l.Seq2SeqDecoder(6, 2, 2))


def _s2s_batches() -> list[tuple[torch.Tensor, ...]]:
    X, lens = torch.full((2, 3), 4), torch.tensor([3, 2])
    return [(X, lens, X, lens)]


def _graph() -> Any:
    class Graph:
        x = torch.randn(3, 2)
        edge_index = torch.tensor([[0, 1], [1, 2]])
        y = torch.tensor([0, 1, 0])
        train_mask = val_mask = test_mask = torch.ones(3, dtype=torch.bool)
    return Graph()


def _preds() -> d2l.Predictions:
    return d2l.Predictions(_T(2, 1, 4, 4), torch.tensor([0, 1]), torch.tensor([1, 0]), _T(2))


def _fake_vgg() -> nn.Sequential:
    """As long as VGG-19's features (37 layers), for the checks that need the layers to exist."""
    return nn.Sequential(nn.Conv2d(3, 3, 1), *(nn.Identity() for _ in range(36)))


def _pil() -> Any:
    from PIL import Image
    return Image.new("RGB", (4, 4))


_EDGES = torch.tensor([[0, 1], [1, 2]])
_SHA = "0" * 64
_BAD_DEVICE = "gpu0"
_BAD_DEVICE_RE = r"device must be a device such as 'cpu', 'cuda' or 'cuda:0', got 'gpu0'"

FIT = _caller(d2l.fit, model=_New(_lin), train_iter=_New(_batches), loss_fn=nn.MSELoss(), optimizer=_New(_sgd),
              epochs=1, live_plot=False, progress=False)
FIT_SEEDS = _caller(d2l.fit_seeds, make_model=_lin, make_optimizer=lambda m: torch.optim.SGD(m.parameters(), lr=0.1),
                    train_iter=_New(_batches), loss_fn=nn.CrossEntropyLoss(), epochs=1, seeds=(0,))


def _seed_runs() -> d2l.SeedRuns:
    """A one-seed SeedRuns with a one-epoch history, built by hand (no training)."""
    history = d2l.History(rows=[{"epoch": 1, "train_loss": 0.5, "val_metric": 0.9, "examples_per_s": 1e3}])
    return d2l.SeedRuns(seeds=(0,), histories=(history,), models=(_lin(),))


RUNS_TABLE = _caller(d2l.runs_table, runs=_New(lambda: {"a": _seed_runs()}))
PLOT_RUNS = _caller(d2l.plot_runs, runs=_New(lambda: {"a": _seed_runs()}))
EVALUATE = _caller(d2l.evaluate, model=_New(_lin), data_iter=_New(_batches))
TLM = _caller(d2l.train_language_model, model=_New(_lm), train_iter=_New(_seq), epochs=1, lr=1.0, live_plot=False,
              progress=False)
GENERATE = _caller(d2l.generate, prefix="a", num_preds=2, model=_New(_lm), vocab=_New(lambda: d2l.Vocab("abc")))
TRAIN_S2S = _caller(d2l.train_seq2seq, model=_New(_encdec), train_iter=_New(_s2s_batches),
                    tgt_vocab=_New(_specials_vocab), epochs=1, live_plot=False, progress=False)
TRANSLATE = _caller(d2l.translate, model=_New(_encdec), sentences="a", src_vocab=_New(_specials_vocab),
                    tgt_vocab=_New(_specials_vocab), num_steps=3)
TRANSFER = _caller(d2l.transfer, net=_New(lambda: nn.Sequential(nn.Conv2d(3, 3, 1))),
                   content=_New(lambda: _T(1, 3, 8, 8)), style=_New(lambda: _T(1, 3, 8, 8)), display=False)
TNC = _caller(d2l.train_node_classifier, model=_New(_lin), data=_New(_graph), epochs=1, live_plot=False)
LIVE = _caller(d2l.LivePlot, xlabel="epoch", legend=["loss"], display=False)
HEAT = _caller(d2l.show_heatmaps, matrices=_New(lambda: _T(1, 2, 3, 4)), xlabel="k", ylabel="q")
REGISTER = _caller(D.register, name="x", path="a/x", checksum=_SHA, urls="https://e.org/x")
PLOT = _caller(d2l.plot, X=[1, 2])
DRAW = _caller(d2l.draw_graph, graph=_EDGES)
SHOW = _caller(d2l.show_images, imgs=_New(lambda: _T(4, 8, 8)), num_rows=1, num_cols=2)
_BOWL = lambda x1, x2: x1**2 + x2**2  # noqa: E731  a 2-D objective for the optimisation paths
TRAJ = _caller(d2l.trajectory_2d, f=_BOWL, x0=(1.0, 1.0), steps=2, update=lambda x, g, state: x - 0.1 * g)
TRAJ_OPT = _caller(d2l.trajectory_2d, f=_BOWL, x0=(1.0, 1.0), steps=2,
                   optimizer=lambda params: torch.optim.SGD(params, lr=0.1))
PTRAJ = _caller(d2l.plot_trajectory_2d, f=_BOWL, trajectories=_New(lambda: {"GD": torch.zeros(3, 2)}))


def _bad_positive_int(build: Callable[[Any], Any], name: str) -> list[Row]:
    """The two rows every positive-int parameter gets: 0 (a ValueError) and a str (a TypeError)."""
    return [(lambda: build(0), ValueError, f"{name} must be a positive int, got 0"),
            (lambda: build("3"), TypeError, f"{name} must be a positive int, got str '3'")]


def _bad_dropout(build: Callable[[Any], Any]) -> list[Row]:
    return [(lambda: build(1.5), ValueError, r"dropout must be (a float )?in \[0, 1\), got 1.5")]


def _bad_flag(build: Callable[[Any], Any], name: str) -> list[Row]:
    return [(lambda: build("no"), TypeError, f"{name} must be True or False.*, got str 'no'")]


# (public name, parameter) -> rows of (thunk, exception type, regex the message must match).
CASES: dict[tuple[str, str], list[Row]] = {
    # --- foundation
    ("Accumulator", "n"): [(lambda: d2l.Accumulator(0), ValueError, "n must be a positive int, got 0")],
    ("profile_step", "fn"): [(lambda: d2l.profile_step(3), TypeError, "fn must be a function.*got int 3")],
    ("profile_step", "steps"): _bad_positive_int(lambda v: d2l.profile_step(lambda: None, steps=v), "steps"),
    ("profile_step", "warmup"): [(lambda: d2l.profile_step(lambda: None, warmup=-1), ValueError,
                                  "warmup must be an int >= 0, got -1")],
    ("profile_step", "row_limit"): _bad_positive_int(lambda v: d2l.profile_step(lambda: None, row_limit=v),
                                                     "row_limit"),
    ("profile_step", "sort_by"): [(lambda: d2l.profile_step(lambda: None, sort_by="gpu"), ValueError,
                                   r"sort_by must be one of \('cpu', 'cuda'\), got 'gpu'")],
    ("LivePlot", "legend"): [(lambda: d2l.LivePlot(xlabel="epoch", legend=[]), ValueError, "legend")],
    ("LivePlot", "xlim"): [(lambda: LIVE(xlim=5), TypeError, "xlim must be a pair of numbers")],
    ("LivePlot", "ylim"): [(lambda: LIVE(ylim=(0, "1")), TypeError, "ylim must be a pair of numbers")],
    ("LivePlot", "yscale"): [(lambda: LIVE(yscale="lin"), ValueError, r"yscale must be one of \('linear'")],
    ("LivePlot", "figsize"): [(lambda: LIVE(figsize=(0, 3)), ValueError,
                               r"figsize must be a pair of positive numbers, got \(0, 3\)")],
    ("LivePlot", "min_interval"): [(lambda: LIVE(min_interval=-1), ValueError, "min_interval must be a float >= 0")],
    ("LivePlot", "display"): _bad_flag(lambda v: LIVE(display=v), "display"),
    ("get_device", "prefer"): [(lambda: d2l.get_device("tpu"), ValueError, "prefer must be one of.*'tpu'")],
    ("seed_everything", "seed"): [(lambda: d2l.seed_everything(-1), ValueError, "seed"),
                                  (lambda: d2l.seed_everything("0"), TypeError, "seed")],
    ("seed_everything", "deterministic"): _bad_flag(lambda v: d2l.seed_everything(0, v), "deterministic"),
    ("hardware_summary", "device"): [(lambda: d2l.hardware_summary(_BAD_DEVICE), ValueError, _BAD_DEVICE_RE),
                                     (lambda: d2l.hardware_summary(3), TypeError, "device must be a torch.device")],
    ("plot", "X"): [(lambda: d2l.plot(5), TypeError, "X must be a list, NumPy array or tensor")],
    ("plot", "Y"): [(lambda: d2l.plot([1, 2], [[1, 2], [1]]), ValueError, "curve 1: X has 2 points but Y has 1"),
                    (lambda: d2l.plot([1, 2], "ab"), TypeError, "Y must be a list, NumPy array or tensor")],
    ("plot", "legend"): [(lambda: PLOT(Y=[1, 2], legend=["a", "b"]), ValueError,
                          r"legend must have one label per curve \(1\), got 2")],
    ("plot", "xlim"): [(lambda: PLOT(xlim="0,1"), TypeError, "xlim must be a pair of numbers")],
    ("plot", "ylim"): [(lambda: PLOT(ylim=(0, float("inf"))), ValueError, "ylim must be a pair of numbers")],
    ("plot", "xscale"): [(lambda: PLOT(xscale="lin"), ValueError, "xscale must be one of")],
    ("plot", "yscale"): [(lambda: PLOT(yscale="lin"), ValueError, "yscale must be one of")],
    ("plot", "fmts"): [(lambda: PLOT(fmts=[]), TypeError, "fmts must be a non-empty sequence of matplotlib format"),
                       (lambda: PLOT(fmts="r-"), TypeError, "fmts must be a non-empty sequence")],
    ("plot", "figsize"): [(lambda: PLOT(figsize=(3, -1)), ValueError, "figsize must be a pair of positive numbers")],
    ("plot", "ax"): [(lambda: PLOT(ax=5), TypeError, "ax must be a matplotlib Axes")],
    ("trajectory_2d", "f"): [(lambda: TRAJ(f=5), TypeError, "f must be a function"),
                             (lambda: TRAJ(f=lambda x1, x2: torch.stack([x1, x2])), ValueError,
                              r"f must return one value \(a 0-d tensor\).*got shape \(2,\)")],
    ("trajectory_2d", "x0"): [(lambda: TRAJ(x0="ab"), TypeError, "x0 must be a pair of numbers"),
                              (lambda: TRAJ(x0=_T(3)), ValueError, r"x0 must be a pair .*got shape \(3,\)")],
    ("trajectory_2d", "steps"): [(lambda: TRAJ(steps=-1), ValueError, "steps must be an int >= 0, got -1"),
                                 (lambda: TRAJ(steps="3"), TypeError, "steps must be an int >= 0, got str '3'")],
    ("trajectory_2d", "optimizer"): [(lambda: TRAJ_OPT(optimizer=5), TypeError, "optimizer must be a function"),
                                     (lambda: TRAJ_OPT(optimizer=lambda params: params), TypeError,
                                      "optimizer must be a function that returns a torch.optim.Optimizer.*list"),
                                     (lambda: TRAJ(optimizer=lambda params: torch.optim.SGD(params, lr=0.1)),
                                      ValueError, "give exactly one of optimizer .* and update.*got both")],
    ("trajectory_2d", "update"): [(lambda: TRAJ(update=5), TypeError, "update must be a function"),
                                  (lambda: TRAJ(update=None), ValueError,
                                   "give exactly one of optimizer .* and update.*got neither"),
                                  (lambda: TRAJ(update=lambda x, g, state: x[:1]), ValueError,
                                   r"update must return the next point as a tensor of shape \(2,\), got shape")],
    ("trajectory_2d", "scheduler"): [(lambda: TRAJ_OPT(scheduler=5), TypeError, "scheduler must be a function"),
                                     (lambda: TRAJ(scheduler=lambda opt: None), ValueError,
                                      "scheduler needs optimizer"),
                                     (lambda: TRAJ_OPT(scheduler=lambda opt: 5), TypeError,
                                      "scheduler must be a function that returns a learning-rate scheduler")],
    ("steps_to_tolerance", "values"): [(lambda: d2l.steps_to_tolerance(3.0, 1.0), TypeError,
                                        "values must be a 1-D list, NumPy array or tensor"),
                                       (lambda: d2l.steps_to_tolerance(_T(2, 2), 1.0), ValueError,
                                        r"values must be 1-D and non-empty, got shape \(2, 2\)")],
    ("steps_to_tolerance", "tol"): [(lambda: d2l.steps_to_tolerance([1.0], -1.0), ValueError,
                                     "tol must be a float >= 0, got -1.0"),
                                    (lambda: d2l.steps_to_tolerance([1.0], "1"), TypeError, "tol must be a float")],
    ("plot_trajectory_2d", "f"): [(lambda: PTRAJ(f="x**2"), TypeError, "f must be a function"),
                                  (lambda: PTRAJ(f=lambda x1, x2: x1.sum()), ValueError,
                                   r"f must work elementwise: on two \(150, 150\) grids")],
    ("plot_trajectory_2d", "trajectories"): [(lambda: PTRAJ(trajectories=[_T(3, 2)]), TypeError,
                                              "trajectories must be a dict of label"),
                                             (lambda: PTRAJ(trajectories={"GD": _T(3, 3)}), ValueError,
                                              r"trajectories\['GD'\] must have shape \(T, 2\).*got \(3, 3\)"),
                                             (lambda: PTRAJ(trajectories={1: _T(3, 2)}), TypeError,
                                              "trajectories must have str labels")],
    ("plot_trajectory_2d", "xlim"): [(lambda: PTRAJ(xlim="0,1"), TypeError, "xlim must be a pair of numbers"),
                                     (lambda: PTRAJ(trajectories={}, ylim=(0, 1)), ValueError,
                                      "xlim and ylim must be given")],
    ("plot_trajectory_2d", "ylim"): [(lambda: PTRAJ(ylim=(0, float("inf"))), ValueError,
                                      "ylim must be a pair of numbers")],
    ("plot_trajectory_2d", "levels"): [(lambda: PTRAJ(levels=0), ValueError, "levels must be a positive int, got 0"),
                                       (lambda: PTRAJ(levels="10"), TypeError, "levels must be a positive int or"),
                                       (lambda: PTRAJ(levels=[2.0, 1.0]), ValueError,
                                        "levels must be a positive int or a non-empty increasing sequence")],
    ("plot_trajectory_2d", "grid_points"): [*_bad_positive_int(lambda v: PTRAJ(grid_points=v), "grid_points"),
                                            (lambda: PTRAJ(grid_points=1), ValueError,
                                             "grid_points must be >= 2.*got 1")],
    ("plot_trajectory_2d", "title"): [(lambda: PTRAJ(title=5), TypeError, "title must be a str or None, got int 5")],
    ("plot_trajectory_2d", "xlabel"): [(lambda: PTRAJ(xlabel=None), TypeError, "xlabel must be a str")],
    ("plot_trajectory_2d", "ylabel"): [(lambda: PTRAJ(ylabel=5), TypeError, "ylabel must be a str")],
    ("plot_trajectory_2d", "figsize"): [(lambda: PTRAJ(figsize=(0, 3)), ValueError,
                                         "figsize must be a pair of positive numbers")],
    ("plot_trajectory_2d", "ax"): [(lambda: PTRAJ(ax=5), TypeError, "ax must be a matplotlib Axes")],
    ("show_images", "imgs"): [(lambda: SHOW(imgs=_T(0, 4, 4)), ValueError, "imgs must hold at least one image")],
    ("show_images", "num_rows"): [(lambda: d2l.show_images(_T(4, 8, 8), 0, 2), ValueError,
                                   "num_rows must be a positive int, got 0")],
    ("show_images", "num_cols"): _bad_positive_int(lambda v: SHOW(num_cols=v), "num_cols"),
    ("show_images", "titles"): [(lambda: SHOW(titles=["a"]), ValueError, r"titles must have at least 2 entries")],
    ("show_images", "scale"): [(lambda: SHOW(scale=0), ValueError, "scale must be a positive float, got 0")],
    ("show_images", "cmap"): [(lambda: SHOW(cmap="nope"), ValueError, "cmap must be a matplotlib colormap")],
    # --- interpret (saliency maps, Grad-CAM): nn.Flatten() is a model with H*W*C class scores, no parameters
    ("saliency_map", "model"): [(lambda: d2l.saliency_map("net", _T(1, 1, 2, 2)), TypeError,
                                 "model must be a torch.nn.Module, got str")],
    ("saliency_map", "X"): [(lambda: d2l.saliency_map(nn.Flatten(), _T(1, 2, 2)), ValueError,
                             r"X must have shape \(N, C, H, W\) with N >= 1, got \(1, 2, 2\)"),
                            (lambda: d2l.saliency_map(nn.Flatten(), [[0.0]]), TypeError, "X must be a torch.Tensor")],
    ("saliency_map", "target"): [(lambda: d2l.saliency_map(nn.Flatten(), _T(2, 1, 2, 2), 4), ValueError,
                                  r"target must be a class index in \[0, 4\), got 4"),
                                 (lambda: d2l.saliency_map(nn.Flatten(), _T(2, 1, 2, 2), _T(2)), TypeError,
                                  "target must hold integer class indices, got dtype torch.float32")],
    ("grad_cam", "model"): [(lambda: d2l.grad_cam("net", nn.Identity(), _T(1, 1, 2, 2)), TypeError,
                             "model must be a torch.nn.Module, got str")],
    ("grad_cam", "layer"): [(lambda: d2l.grad_cam(nn.Flatten(), nn.Identity(), _T(1, 1, 2, 2)), ValueError,
                             "layer must be a submodule of model"),
                            (lambda: d2l.grad_cam(m := nn.Sequential(nn.Identity(), nn.Flatten()), m[1], _T(1, 1, 2, 2)),
                             ValueError, r"layer must output feature maps of shape \(N, K, h, w\), got \(1, 4\)")],
    ("grad_cam", "X"): [(lambda: d2l.grad_cam(m := nn.Sequential(nn.Identity(), nn.Flatten()), m[0],
                                              _T(1, 1, 2, 2, dtype=torch.long)), TypeError,
                         "X must be a floating-point tensor")],
    ("grad_cam", "target"): [(lambda: d2l.grad_cam(m := nn.Sequential(nn.Identity(), nn.Flatten()), m[0],
                                                   _T(2, 1, 2, 2), torch.tensor([0, 1, 2])), ValueError,
                              r"target must have shape \(2,\), one class per image of X, got \(3,\)")],
    ("show_heatmaps", "matrices"): [(lambda: d2l.show_heatmaps(_T(2, 3, 4), xlabel="k", ylabel="q"), ValueError,
                                     r"matrices must have shape .*got \(2, 3, 4\)")],
    ("show_heatmaps", "titles"): [(lambda: HEAT(titles=["a"]), ValueError,
                                   r"titles must have one entry per column \(2\), got 1")],
    ("show_heatmaps", "xticklabels"): [(lambda: HEAT(xticklabels=["a"]), ValueError,
                                        r"xticklabels must have one label per matrix column \(4\), or be .auto., True or False, got 1 labels")],
    ("show_heatmaps", "yticklabels"): [(lambda: HEAT(yticklabels=["a"]), ValueError,
                                        r"yticklabels must have one label per matrix row \(3\), or be .auto., True or False, got 1 labels")],
    ("show_heatmaps", "annot"): _bad_flag(lambda v: HEAT(annot=v), "annot"),
    ("show_heatmaps", "cmap"): [(lambda: HEAT(cmap="nope"), ValueError, "cmap must be a matplotlib colormap")],
    ("show_heatmaps", "figsize"): [(lambda: HEAT(figsize=(0, 1)), ValueError, "figsize must be a pair of positive")],
    ("accuracy", "y_hat"): [(lambda: d2l.accuracy(_T(4, 3), _T(5)), ValueError,
                             r"y_hat must have shape \(5, num_classes\) or \(5,\) to match y of shape \(5,\), "
                             r"got \(4, 3\)")],
    ("accuracy", "y"): [(lambda: d2l.accuracy(_T(4, 3), _T(4, 2)), ValueError, r"to match y of shape \(4, 2\)")],
    # --- training loops
    ("fit", "model"): [(lambda: FIT(model="model"), TypeError, "model must be a torch.nn.Module")],
    ("fit", "train_iter"): [(lambda: FIT(train_iter=5), TypeError, "train_iter must be an iterable of"),
                            (lambda: FIT(train_iter=iter(_batches())), TypeError, "train_iter must be re-iterable"),
                            (lambda: FIT(train_iter=[]), ValueError, "train_iter must yield at least one batch")],
    ("fit", "val_iter"): [(lambda: FIT(val_iter=[]), ValueError, "val_iter must yield at least one batch")],
    ("fit", "loss_fn"): [(lambda: FIT(loss_fn="mse"), TypeError, "loss_fn must be a function")],
    ("fit", "optimizer"): [(lambda: FIT(optimizer="sgd"), TypeError, "optimizer must be a torch.optim.Optimizer")],
    ("fit", "epochs"): [(lambda: d2l.fit(nn.Linear(2, 2), [], loss_fn=nn.MSELoss(),
                                         optimizer=torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1), epochs=0),
                         ValueError, "epochs must be a positive int, got 0"),
                        (lambda: FIT(epochs=2.0), TypeError, "epochs must be a positive int, got float 2.0")],
    ("fit", "metric"): [(lambda: FIT(metric="accuracy"), TypeError, "metric must be a function")],
    ("fit", "metric_name"): [(lambda: FIT(metric_name=None), TypeError, "metric_name must be a str")],
    ("fit", "device"): [(lambda: FIT(device=_BAD_DEVICE), ValueError, _BAD_DEVICE_RE)],
    ("fit", "scheduler"): [(lambda: FIT(scheduler="cosine"), TypeError, r"scheduler must have a step\(\) method")],
    ("fit", "grad_clip"): [(lambda: FIT(grad_clip=0), ValueError, "grad_clip must be a positive float or None, got 0")],
    ("fit", "live_plot"): _bad_flag(lambda v: FIT(live_plot=v), "live_plot"),
    ("fit", "progress"): _bad_flag(lambda v: FIT(progress=v), "progress"),
    ("fit", "amp"): [(lambda: FIT(amp="fp8"), ValueError, "amp must be None, 'bf16' or 'fp16', got 'fp8'")],
    ("fit", "compile"): _bad_flag(lambda v: FIT(compile=v), "compile"),
    ("fit", "tf32"): _bad_flag(lambda v: FIT(tf32=v), "tf32"),
    ("fit", "tensorboard"): [(lambda: FIT(tensorboard=5), TypeError,
                              "tensorboard must be a TensorBoardLogger, a log folder .* or None, got int 5"),
                             (lambda: FIT(tensorboard=__file__), ValueError,
                              "tensorboard must be a log folder .*, got the file")],
    ("TensorBoardLogger", "log_dir"): [(lambda: d2l.TensorBoardLogger(3), TypeError,
                                        "log_dir must be a non-empty str or os.PathLike, got int 3"),
                                       (lambda: d2l.TensorBoardLogger(__file__), ValueError,
                                        "log_dir must be a folder .*, got the file")],
    ("TensorBoardLogger", "histograms"): _bad_flag(lambda v: d2l.TensorBoardLogger("/tmp/x", histograms=v),
                                                   "histograms"),
    ("TensorBoardLogger", "images"): [(lambda: d2l.TensorBoardLogger("/tmp/x", images=[[0.5]]), TypeError,
                                       r"images must be a tensor of shape \(N, C, H, W\)"),
                                      (lambda: d2l.TensorBoardLogger("/tmp/x", images=_T(2, 2, 4, 4)), ValueError,
                                       r"images must have shape \(N, C, H, W\) .*got \(2, 2, 4, 4\)")],
    ("fit_seeds", "make_model"): [(lambda: FIT_SEEDS(make_model=5), TypeError, "make_model must be a function"),
                                  (lambda: FIT_SEEDS(make_model=lambda: "net"), TypeError,
                                   "make_model must return a torch.nn.Module, got str")],
    ("fit_seeds", "make_optimizer"): [(lambda: FIT_SEEDS(make_optimizer="adam"), TypeError,
                                       "make_optimizer must be a function"),
                                      (lambda: FIT_SEEDS(make_optimizer=lambda m: m.parameters()), TypeError,
                                       "make_optimizer must return a torch.optim.Optimizer")],
    ("fit_seeds", "train_iter"): [(lambda: FIT_SEEDS(train_iter=5), TypeError, "train_iter must be an iterable of"),
                                  (lambda: FIT_SEEDS(train_iter=[]), ValueError, "train_iter must yield at least one")],
    ("fit_seeds", "val_iter"): [(lambda: FIT_SEEDS(val_iter=[]), ValueError, "val_iter must yield at least one batch")],
    ("fit_seeds", "loss_fn"): [(lambda: FIT_SEEDS(loss_fn="ce"), TypeError, "loss_fn must be a function")],
    ("fit_seeds", "epochs"): _bad_positive_int(lambda v: FIT_SEEDS(epochs=v), "epochs"),
    ("fit_seeds", "seeds"): [(lambda: FIT_SEEDS(seeds=3), TypeError, "seeds must be a sequence of ints >= 0"),
                             (lambda: FIT_SEEDS(seeds=[]), ValueError, "seeds must hold at least one seed"),
                             (lambda: FIT_SEEDS(seeds=(0, -1)), ValueError, "seeds must be an int >= 0, got -1"),
                             (lambda: FIT_SEEDS(seeds=(2, 2)), ValueError, r"seeds must be distinct .*got \(2, 2\)")],
    ("fit_seeds", "make_scheduler"): [(lambda: FIT_SEEDS(make_scheduler="cosine"), TypeError,
                                       "make_scheduler must be a function"),
                                      (lambda: FIT_SEEDS(make_scheduler=lambda opt: 0.5), TypeError,
                                       r"make_scheduler must return a scheduler with a step\(\) method")],
    ("fit_seeds", "metric"): [(lambda: FIT_SEEDS(metric="accuracy"), TypeError, "metric must be a function")],
    ("fit_seeds", "device"): [(lambda: FIT_SEEDS(device=_BAD_DEVICE), ValueError, _BAD_DEVICE_RE)],
    ("runs_table", "runs"): [(lambda: d2l.runs_table([_seed_runs()]), TypeError, "runs must be a dict mapping a label"),
                             (lambda: d2l.runs_table({}), ValueError, "runs must hold at least one labelled SeedRuns"),
                             (lambda: d2l.runs_table({"a": 0.9}), TypeError, r"runs\['a'\] must be a SeedRuns")],
    ("runs_table", "column"): [(lambda: RUNS_TABLE(column=3), TypeError, "column must be a History column"),
                               (lambda: RUNS_TABLE(column="val_acc"), KeyError,
                                r"column 'val_acc' is not in the histories of runs\['a'\]; columns are")],
    ("plot_runs", "runs"): [(lambda: d2l.plot_runs(None), TypeError, "runs must be a dict mapping a label")],
    ("plot_runs", "column"): [(lambda: PLOT_RUNS(column="loss"), KeyError, "column 'loss' is not in the histories")],
    ("plot_runs", "band"): [(lambda: PLOT_RUNS(band="minmax"), ValueError, r"band must be one of \('std', 'range'\)")],
    ("plot_runs", "yscale"): [(lambda: PLOT_RUNS(yscale="lin"), ValueError, "yscale must be one of")],
    ("plot_runs", "figsize"): [(lambda: PLOT_RUNS(figsize=(0, 3)), ValueError, "figsize must be a pair of positive")],
    ("plot_runs", "ax"): [(lambda: PLOT_RUNS(ax=5), TypeError, "ax must be a matplotlib Axes")],
    ("evaluate", "model"): [(lambda: d2l.evaluate("model", []), TypeError, "model")],
    ("evaluate", "data_iter"): [(lambda: EVALUATE(data_iter=5), TypeError, "data_iter must be an iterable"),
                                (lambda: EVALUATE(data_iter=[]), ValueError, "data_iter must yield at least one")],
    ("evaluate", "loss_fn"): [(lambda: EVALUATE(loss_fn="mse"), TypeError, "loss_fn must be a function")],
    ("evaluate", "metric"): [(lambda: EVALUATE(metric=3), TypeError, "metric must be a function")],
    ("evaluate", "amp"): [(lambda: EVALUATE(amp="half"), ValueError, "amp must be None, 'bf16' or 'fp16', got 'half'")],
    ("evaluate", "device"): [(lambda: EVALUATE(device=_BAD_DEVICE), ValueError, _BAD_DEVICE_RE)],
    ("save_checkpoint", "path"): [(lambda: d2l.save_checkpoint(5, _lin()), TypeError,
                                   "path must be a non-empty str or os.PathLike, got int 5")],
    ("save_checkpoint", "model"): [(lambda: d2l.save_checkpoint("/tmp/x.pt", "model"), TypeError, "model")],
    ("save_checkpoint", "optimizer"): [(lambda: d2l.save_checkpoint("/tmp/x.pt", _lin(), "adam"), TypeError,
                                        "optimizer must be a torch.optim.Optimizer or None")],
    ("save_checkpoint", "epoch"): [(lambda: d2l.save_checkpoint("/tmp/x.pt", _lin(), epoch=-1), ValueError,
                                    "epoch must be an int >= 0, got -1")],
    ("move_optimizer_state", "optimizer"): [(lambda: d2l.move_optimizer_state(nn.Linear(2, 2)), TypeError,
                                             "optimizer must be")],
    ("load_checkpoint", "path"): [(lambda: d2l.load_checkpoint("/nonexistent/x.pt", nn.Linear(2, 2)),
                                   FileNotFoundError, "no checkpoint at path '/nonexistent/x.pt'"),
                                  (lambda: d2l.load_checkpoint(None, _lin()), TypeError, "path must be a non-empty")],
    ("load_checkpoint", "model"): [(lambda: d2l.load_checkpoint("/nonexistent/x.pt", "model"), TypeError,
                                    "model must be a torch.nn.Module")],
    ("load_checkpoint", "optimizer"): [(lambda: d2l.load_checkpoint("/nonexistent/x.pt", _lin(), "adam"), TypeError,
                                        "optimizer must be a torch.optim.Optimizer or None")],
    ("load_checkpoint", "map_location"): [
        (lambda: d2l.load_checkpoint("/nonexistent/x.pt", _lin(), map_location=_BAD_DEVICE), ValueError,
         "map_location must be a device such as"),
        (lambda: d2l.load_checkpoint("/nonexistent/x.pt", _lin(), map_location=5), TypeError,
         "map_location must be a device")],
    ("load_checkpoint", "device"): [(lambda: d2l.load_checkpoint("/nonexistent/x.pt", _lin(), device=_BAD_DEVICE),
                                     ValueError, _BAD_DEVICE_RE)],
    ("conv_output_size", "size"): _bad_positive_int(lambda v: d2l.conv_output_size(v, 3), "size"),
    ("conv_output_size", "kernel"): [(lambda: d2l.conv_output_size(4, 5), ValueError, r"kernel spans 5 inputs \(kernel=5"),
                                     *_bad_positive_int(lambda v: d2l.conv_output_size(4, v), "kernel")],
    ("conv_output_size", "padding"): [(lambda: d2l.conv_output_size(4, 3, padding=-1), ValueError,
                                       "padding must be an int >= 0, got -1")],
    ("conv_output_size", "stride"): _bad_positive_int(lambda v: d2l.conv_output_size(4, 3, stride=v), "stride"),
    ("conv_output_size", "dilation"): _bad_positive_int(lambda v: d2l.conv_output_size(4, 3, dilation=v), "dilation"),
    ("shape_table", "model"): [(lambda: d2l.shape_table("model", (1, 2)), TypeError, "model must be a torch.nn.Module")],
    ("shape_table", "input_shape"): [(lambda: d2l.shape_table(nn.Linear(2, 2), []), ValueError, "input_shape")],
    ("shape_table", "depth"): _bad_positive_int(lambda v: d2l.shape_table(_lin(), (1, 2), depth=v), "depth"),
    ("predict", "model"): [(lambda: d2l.predict("model", []), TypeError, "model")],
    ("predict", "data_iter"): [(lambda: d2l.predict(_lin(), []), ValueError, "data_iter must yield at least one batch")],
    ("confusion_matrix", "y"): [(lambda: d2l.confusion_matrix(torch.tensor([0, 5]), torch.tensor([0, 1]), 3),
                                 ValueError, r"y must hold labels in \[0, 3\), got values in \[0, 5\]"),
                                (lambda: d2l.confusion_matrix([0, 1], torch.tensor([0, 1]), 3), TypeError,
                                 "y must be a tensor of integer labels")],
    ("confusion_matrix", "pred"): [(lambda: d2l.confusion_matrix(torch.tensor([0, 1]), torch.tensor([0, 5]), 3),
                                    ValueError, r"pred must hold labels in \[0, 3\)"),
                                   (lambda: d2l.confusion_matrix(torch.tensor([0, 1]), torch.tensor([0]), 3),
                                    ValueError, r"y and pred must both have shape \(n,\)")],
    ("confusion_matrix", "num_classes"): _bad_positive_int(
        lambda v: d2l.confusion_matrix(torch.tensor([0]), torch.tensor([0]), v), "num_classes"),
    ("plot_confusion_matrix", "cm"): [(lambda: d2l.plot_confusion_matrix(_T(3, 2), ["a", "b", "c"]), ValueError,
                                       r"cm must be \(3, 3\) for 3 classes, got \(3, 2\)"),
                                      (lambda: d2l.plot_confusion_matrix([[1]], ["a"]), TypeError,
                                       "cm must be a tensor")],
    ("plot_confusion_matrix", "classes"): [(lambda: d2l.plot_confusion_matrix(_T(3, 3), ["a", "b"]), ValueError,
                                            r"cm must be \(2, 2\) for 2 classes, got \(3, 3\)"),
                                           (lambda: d2l.plot_confusion_matrix(_T(3, 3), "abc"), TypeError,
                                            "classes must be a sequence of str")],
    ("plot_confusion_matrix", "normalize"): _bad_flag(lambda v: d2l.plot_confusion_matrix(_T(1, 1), ["a"],
                                                                                          normalize=v), "normalize"),
    ("show_misclassified", "preds"): [(lambda: d2l.show_misclassified("preds", ["a", "b"]), TypeError,
                                       "preds must be a Predictions")],
    ("show_misclassified", "classes"): [(lambda: d2l.show_misclassified(_preds(), ["a"]), ValueError,
                                         r"classes must name every label in preds \(up to 1\), got 1 names")],
    ("show_misclassified", "n"): [(lambda: d2l.show_misclassified(_preds(), ["a", "b"], n=0), ValueError,
                                   "n must be a positive int, got 0")],
    ("show_misclassified", "num_cols"): _bad_positive_int(
        lambda v: d2l.show_misclassified(_preds(), ["a", "b"], num_cols=v), "num_cols"),
    ("bleu", "candidates"): [(lambda: d2l.bleu([], []), ValueError, "candidates must hold at least one translation"),
                             (lambda: d2l.bleu(["a b"], [["a"]]), TypeError, "candidates must hold token lists")],
    ("bleu", "references"): [(lambda: d2l.bleu([["a"]], [["a"], ["b"]]), ValueError,
                              "candidates and references must have the same length, got 1 and 2")],
    ("bleu", "max_n"): _bad_positive_int(lambda v: d2l.bleu([["a"]], [["a"]], v), "max_n"),
    # --- binary classification metrics (d2lhelper/classification_metrics.py)
    **{(fn, "y_true"): [(lambda fn=fn: getattr(d2l, fn)([0, 1], torch.tensor([0.2, 0.8])), TypeError,
                         "y_true must be a 1-D tensor of 0/1 labels, got list"),
                        (lambda fn=fn: getattr(d2l, fn)(torch.tensor([0, 2]), torch.tensor([0.2, 0.8])), ValueError,
                         "y_true must hold only 0 and 1")]
       for fn in ("binary_confusion", "precision_recall_f1", "roc_curve", "pr_curve", "roc_auc", "average_precision")},
    **{(fn, "y_score"): [(lambda fn=fn: getattr(d2l, fn)(torch.tensor([0, 1]), torch.tensor([0.2])), ValueError,
                          r"y_score must have shape \(2,\) like y_true, got \(1,\)"),
                         (lambda fn=fn: getattr(d2l, fn)(torch.tensor([0, 1]), [0.2, 0.8]), TypeError,
                          "y_score must be a 1-D tensor of scores")]
       for fn in ("binary_confusion", "precision_recall_f1", "roc_curve", "pr_curve", "roc_auc", "average_precision")},
    **{(fn, "threshold"): [(lambda fn=fn: getattr(d2l, fn)(torch.tensor([0, 1]), torch.tensor([0.2, 0.8]), "0.5"),
                            TypeError, "threshold must be a real number .*got str '0.5'")]
       for fn in ("binary_confusion", "precision_recall_f1")},
    ("auc", "x"): [(lambda: d2l.auc(torch.tensor([0.0, 1.0, 0.5]), torch.tensor([0.0, 1.0, 1.0])), ValueError,
                    "x must be monotonic"),
                   (lambda: d2l.auc([0.0, 1.0], torch.tensor([0.0, 1.0])), TypeError, "x must be a 1-D tensor")],
    ("auc", "y"): [(lambda: d2l.auc(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 1.0, 1.0])), ValueError,
                    r"y must have the shape of x, \(2,\), got \(3,\)")],
    # --- text and language models
    ("tokenize", "text"): [(lambda: d2l.tokenize(5), TypeError, "text must be a str, got int"),
                           (lambda: d2l.tokenize("  "), ValueError, "text must contain at least one non-space")],
    ("tokenize", "token"): [(lambda: d2l.tokenize("a b", token="byte"), ValueError,
                             r"token must be one of \('char', 'word'\), got 'byte'")],
    ("Vocab", "tokens"): [(lambda: d2l.Vocab([1, 2]), TypeError, "tokens must be strings")],
    ("Vocab", "min_freq"): [(lambda: d2l.Vocab(["a"], min_freq=-1), ValueError, "min_freq must be an int >= 0")],
    ("Vocab", "reserved_tokens"): [(lambda: d2l.Vocab(["a"], reserved_tokens="<pad>"), TypeError,
                                    "reserved_tokens must be a sequence of str.*not a str")],
    ("pad_token_ids", "sequences"): [(lambda: d2l.pad_token_ids([], 0), ValueError, "sequences must hold at least one"),
                                     (lambda: d2l.pad_token_ids("ab", 0), TypeError, "sequences must be a list"),
                                     (lambda: d2l.pad_token_ids([[2], [0.5]], 0), TypeError,
                                      r"sequences\[1\] must hold int token indices"),
                                     (lambda: d2l.pad_token_ids([[2, 1]], 1), ValueError,
                                      r"sequences\[0\] contains pad_index 1")],
    ("pad_token_ids", "pad_index"): [(lambda: d2l.pad_token_ids([[2]], -1), ValueError,
                                      "pad_index must be an int >= 0, got -1"),
                                     (lambda: d2l.pad_token_ids([[2]], "<pad>"), TypeError,
                                      "pad_index must be an int >= 0, got str")],
    ("pad_token_ids", "max_len"): _bad_positive_int(lambda v: d2l.pad_token_ids([[2]], 0, max_len=v), "max_len"),
    ("load_time_machine", "token"): [(lambda: d2l.load_time_machine(token="byte"), ValueError, "token must be one of")],
    ("load_time_machine", "val_fraction"): [(lambda: d2l.load_time_machine(val_fraction=1.5), ValueError,
                                             "val_fraction")],
    ("load_time_machine", "max_tokens"): [(lambda: d2l.load_time_machine(max_tokens=1), ValueError,
                                           "max_tokens must be >= 2 or None, got 1")],
    ("seq_data_iter_random", "corpus"): [
        (lambda: next(d2l.seq_data_iter_random(_T(3, 3), 1, 1)), ValueError, "corpus must be a 1-D tensor"),
        (lambda: next(d2l.seq_data_iter_random(torch.arange(10.0), 2, 3)), TypeError,
         "corpus must hold integer token indices, got dtype torch.float32")],
    ("seq_data_iter_random", "batch_size"): [(lambda: next(d2l.seq_data_iter_random(torch.arange(10), 0, 3)),
                                              ValueError, "batch_size")],
    ("seq_data_iter_random", "num_steps"): _bad_positive_int(
        lambda v: next(d2l.seq_data_iter_random(torch.arange(10), 2, v)), "num_steps"),
    ("seq_data_iter_random", "generator"): [(lambda: next(d2l.seq_data_iter_random(torch.arange(10), 2, 3, 0)),
                                             TypeError, "generator must be a torch.Generator or None, got int 0")],
    ("seq_data_iter_sequential", "corpus"): [
        (lambda: next(d2l.seq_data_iter_sequential([1, 2, 3], 1, 1)), ValueError, "corpus must be a 1-D tensor"),
        (lambda: next(d2l.seq_data_iter_sequential(torch.ones(10, dtype=torch.bool), 2, 3)), TypeError,
         "corpus must hold integer token indices")],
    ("seq_data_iter_sequential", "batch_size"): _bad_positive_int(
        lambda v: next(d2l.seq_data_iter_sequential(torch.arange(10), v, 3)), "batch_size"),
    ("seq_data_iter_sequential", "num_steps"): [(lambda: next(d2l.seq_data_iter_sequential(torch.arange(10), 2, 0)),
                                                 ValueError, "num_steps")],
    ("seq_data_iter_sequential", "generator"): [
        (lambda: next(d2l.seq_data_iter_sequential(torch.arange(10), 2, 3, generator="g")), TypeError,
         "generator must be a torch.Generator or None")],
    ("SeqDataLoader", "corpus"): [(lambda: d2l.SeqDataLoader(torch.arange(10.0), 2, 3), TypeError,
                                   "corpus must hold integer token indices")],
    ("SeqDataLoader", "batch_size"): _bad_positive_int(lambda v: d2l.SeqDataLoader(torch.arange(10), v, 3),
                                                       "batch_size"),
    ("SeqDataLoader", "num_steps"): [(lambda: d2l.SeqDataLoader(torch.arange(10), 2, 50), ValueError,
                                      r"num_steps \(50\) must be shorter than the corpus \(10 tokens\)")],
    ("SeqDataLoader", "random_iter"): _bad_flag(lambda v: d2l.SeqDataLoader(torch.arange(10), 2, 3, random_iter=v),
                                                "random_iter"),
    ("SeqDataLoader", "seed"): [(lambda: d2l.SeqDataLoader(torch.arange(10), 2, 3, seed=-1), ValueError,
                                 "seed must be an int >= 0, got -1")],
    ("SeqDataLoader", "device"): [(lambda: d2l.SeqDataLoader(torch.arange(10), 2, 3, device=_BAD_DEVICE), ValueError, _BAD_DEVICE_RE)],
    ("RNNLM", "rnn"): [(lambda: d2l.RNNLM(nn.GRU(4, 8), 4), ValueError, "rnn must be built with batch_first=True"),
                       (lambda: d2l.RNNLM(nn.Linear(4, 4), 4), TypeError, "rnn must be an nn.RNN, nn.GRU or nn.LSTM")],
    ("RNNLM", "vocab_size"): [(lambda: d2l.RNNLM(nn.GRU(4, 8, batch_first=True), 5), ValueError,
                               r"rnn.input_size must equal vocab_size \(5\), got 4"),
                              *_bad_positive_int(lambda v: d2l.RNNLM(nn.GRU(4, 8, batch_first=True), v), "vocab_size")],
    ("train_language_model", "model"): [(lambda: TLM(model=_lin()), TypeError,
                                         "model must be an nn.Module with a begin_state method")],
    ("train_language_model", "train_iter"): [(lambda: TLM(train_iter=[]), ValueError,
                                              "train_iter must yield at least one batch")],
    ("train_language_model", "val_iter"): [(lambda: TLM(val_iter=[]), ValueError,
                                            "val_iter must yield at least one batch")],
    ("train_language_model", "epochs"): [(lambda: d2l.train_language_model(
        d2l.RNNLM(nn.GRU(4, 8, batch_first=True), 4), d2l.SeqDataLoader(torch.arange(40) % 4, 2, 5), epochs=0, lr=1.0),
        ValueError, "epochs")],
    ("train_language_model", "lr"): [(lambda: TLM(lr=-1.0), ValueError,
                                      "lr must be a positive float when no optimizer is given, got -1.0"),
                                     (lambda: TLM(lr=0.1, optimizer=_sgd()), ValueError,
                                      "lr must be None when an optimizer is given")],
    ("train_language_model", "optimizer"): [(lambda: TLM(lr=None, optimizer="sgd"), TypeError,
                                             "optimizer must be a torch.optim.Optimizer or None, got str 'sgd'")],
    ("train_language_model", "grad_clip"): [(lambda: TLM(grad_clip=-1), ValueError,
                                             "grad_clip must be a positive float or None, got -1")],
    ("train_language_model", "device"): [(lambda: TLM(device=_BAD_DEVICE), ValueError, _BAD_DEVICE_RE)],
    ("train_language_model", "amp"): [(lambda: TLM(amp="fp8"), ValueError, "amp must be None, 'bf16' or 'fp16', got 'fp8'")],
    ("train_language_model", "eval_every"): _bad_positive_int(lambda v: TLM(eval_every=v), "eval_every"),
    ("train_language_model", "live_plot"): _bad_flag(lambda v: TLM(live_plot=v), "live_plot"),
    ("train_language_model", "progress"): _bad_flag(lambda v: TLM(progress=v), "progress"),
    ("perplexity", "model"): [(lambda: d2l.perplexity("model", d2l.SeqDataLoader(torch.arange(40) % 4, 2, 5)),
                               TypeError, "model")],
    ("perplexity", "data_iter"): [(lambda: d2l.perplexity(_lm(), []), ValueError,
                                   "data_iter must yield at least one batch")],
    ("perplexity", "device"): [(lambda: d2l.perplexity(_lm(), _seq(), _BAD_DEVICE), ValueError, _BAD_DEVICE_RE)],
    ("generate", "prefix"): [(lambda: GENERATE(prefix=""), ValueError, "prefix must hold at least one token"),
                             (lambda: GENERATE(prefix=5), TypeError, "prefix must be a str, got int 5"),
                             (lambda: GENERATE(prefix="z"), ValueError,
                              r"prefix has tokens that are not in the vocabulary: \['z'\]")],
    ("generate", "num_preds"): [(lambda: d2l.generate("a", -1, d2l.RNNLM(nn.GRU(4, 8, batch_first=True), 4),
                                                      d2l.Vocab("abc")), ValueError, "num_preds")],
    ("generate", "model"): [(lambda: GENERATE(model="model"), TypeError, "model must be a torch.nn.Module")],
    ("generate", "vocab"): [(lambda: GENERATE(vocab=["a"]), TypeError, "vocab must be a d2lhelper Vocab")],
    ("generate", "token"): [(lambda: GENERATE(token="byte"), ValueError, "token must be 'char' or 'word'")],
    ("generate", "temperature"): [(lambda: GENERATE(temperature=-1), ValueError, "temperature must be >= 0, got -1")],
    ("generate", "device"): [(lambda: GENERATE(device=_BAD_DEVICE), ValueError, _BAD_DEVICE_RE)],
    ("generate", "generator"): [(lambda: GENERATE(generator=1), TypeError, "generator must be a torch.Generator")],
    # --- attention, seq2seq, Transformer
    ("masked_softmax", "X"): [(lambda: d2l.masked_softmax(_T(2, 3)), ValueError,
                               r"X must be a tensor of shape \(batch, queries, keys\), got \(2, 3\)")],
    ("masked_softmax", "valid_lens"): [(lambda: d2l.masked_softmax(_T(2, 3, 4), torch.tensor([5, 1])), ValueError,
                                        r"valid_lens must lie in \[0, 4\]")],
    ("DotProductAttention", "dropout"): _bad_dropout(lambda v: d2l.DotProductAttention(v)),
    ("DotProductAttention", "forward.queries"): [
        (lambda: d2l.DotProductAttention()(_T(1, 2, 3), _T(1, 2, 4), _T(1, 2, 4)), ValueError,
         "needs queries and keys of the same size, got query size 3 and key size 4")],
    ("AdditiveAttention", "query_size"): _bad_positive_int(lambda v: d2l.AdditiveAttention(v, 4, 2), "query_size"),
    ("AdditiveAttention", "key_size"): _bad_positive_int(lambda v: d2l.AdditiveAttention(3, v, 2), "key_size"),
    ("AdditiveAttention", "num_hiddens"): [(lambda: d2l.AdditiveAttention(3, 4, -2), ValueError, "num_hiddens")],
    ("AdditiveAttention", "dropout"): _bad_dropout(lambda v: d2l.AdditiveAttention(3, 4, 2, v)),
    ("AdditiveAttention", "forward.queries"): [
        (lambda: d2l.AdditiveAttention(3, 4, 2)(_T(1, 2, 5), _T(1, 2, 4), _T(1, 2, 4)), ValueError,
         r"queries must have size 3 \(last axis\), got 5")],
    ("MultiHeadAttention", "num_hiddens"): [(lambda: d2l.MultiHeadAttention(10, 4), ValueError,
                                             "num_hiddens must be divisible")],
    ("MultiHeadAttention", "num_heads"): _bad_positive_int(lambda v: d2l.MultiHeadAttention(8, v), "num_heads"),
    ("MultiHeadAttention", "dropout"): _bad_dropout(lambda v: d2l.MultiHeadAttention(8, 2, v)),
    ("MultiHeadAttention", "bias"): _bad_flag(lambda v: d2l.MultiHeadAttention(8, 2, bias=v), "bias"),
    ("MultiHeadAttention", "query_size"): _bad_positive_int(lambda v: d2l.MultiHeadAttention(8, 2, query_size=v),
                                                            "query_size"),
    ("MultiHeadAttention", "key_size"): _bad_positive_int(lambda v: d2l.MultiHeadAttention(8, 2, key_size=v),
                                                          "key_size"),
    ("MultiHeadAttention", "value_size"): _bad_positive_int(lambda v: d2l.MultiHeadAttention(8, 2, value_size=v),
                                                            "value_size"),
    ("PositionalEncoding", "num_hiddens"): _bad_positive_int(lambda v: d2l.PositionalEncoding(v), "num_hiddens"),
    ("PositionalEncoding", "dropout"): _bad_dropout(lambda v: d2l.PositionalEncoding(8, v)),
    ("PositionalEncoding", "max_len"): [(lambda: d2l.PositionalEncoding(8, max_len=4)(_T(1, 5, 8)), ValueError,
                                         "max_len=4"),
                                        *_bad_positive_int(lambda v: d2l.PositionalEncoding(8, max_len=v), "max_len")],
    ("PositionalEncoding", "forward.X"): [(lambda: d2l.PositionalEncoding(8)(_T(1, 5, 4)), ValueError,
                                           r"X must have shape \(batch, steps, 8\), got \(1, 5, 4\)")],
    ("PositionalEncoding", "forward.offset"): [(lambda: d2l.PositionalEncoding(8)(_T(1, 2, 8), offset=-1), ValueError,
                                                "offset must be an int >= 0, got -1")],
    ("PositionWiseFFN", "num_hiddens"): [(lambda: d2l.PositionWiseFFN(0, 4), ValueError, "num_hiddens")],
    ("PositionWiseFFN", "ffn_num_hiddens"): _bad_positive_int(lambda v: d2l.PositionWiseFFN(4, v), "ffn_num_hiddens"),
    ("AddNorm", "num_hiddens"): _bad_positive_int(lambda v: d2l.AddNorm(v), "num_hiddens"),
    ("AddNorm", "dropout"): _bad_dropout(lambda v: d2l.AddNorm(8, v)),
    ("AddNorm", "forward.X"): [(lambda: d2l.AddNorm(8)(_T(1, 2, 4), _T(1, 2, 4)), ValueError,
                                r"X and Y must have num_hiddens=8 features in the last axis, got shape \(1, 2, 4\)"),
                               (lambda: d2l.AddNorm(8)("X", _T(1, 2, 8)), TypeError, "X must be a tensor")],
    ("AddNorm", "forward.Y"): [(lambda: d2l.AddNorm(8)(_T(1, 2, 8), _T(1, 3, 8)), ValueError,
                                r"X and Y must have the same shape to be added, got \(1, 2, 8\) and \(1, 3, 8\)")],
    ("TransformerEncoderBlock", "num_hiddens"): [(lambda: d2l.TransformerEncoderBlock(10, 8, 4), ValueError,
                                                  "num_hiddens must be divisible by num_heads=4, got 10"),
                                                 *_bad_positive_int(lambda v: d2l.TransformerEncoderBlock(v, 8, 2),
                                                                    "num_hiddens")],
    ("TransformerEncoderBlock", "ffn_num_hiddens"): _bad_positive_int(
        lambda v: d2l.TransformerEncoderBlock(8, v, 2), "ffn_num_hiddens"),
    ("TransformerEncoderBlock", "num_heads"): _bad_positive_int(lambda v: d2l.TransformerEncoderBlock(8, 8, v),
                                                                "num_heads"),
    ("TransformerEncoderBlock", "dropout"): _bad_dropout(lambda v: d2l.TransformerEncoderBlock(8, 8, 2, v)),
    ("TransformerDecoderBlock", "num_hiddens"): [(lambda: d2l.TransformerDecoderBlock(10, 8, 4), ValueError,
                                                  "num_hiddens must be divisible by num_heads=4, got 10")],
    ("TransformerDecoderBlock", "ffn_num_hiddens"): _bad_positive_int(
        lambda v: d2l.TransformerDecoderBlock(8, v, 2), "ffn_num_hiddens"),
    ("TransformerDecoderBlock", "num_heads"): _bad_positive_int(lambda v: d2l.TransformerDecoderBlock(8, 8, v),
                                                                "num_heads"),
    ("TransformerDecoderBlock", "dropout"): _bad_dropout(lambda v: d2l.TransformerDecoderBlock(8, 8, 2, v)),
    ("TransformerEncoder", "vocab_size"): [(lambda: d2l.TransformerEncoder(0, 8, 16, 2, 1), ValueError, "vocab_size")],
    ("TransformerEncoder", "num_hiddens"): _bad_positive_int(lambda v: d2l.TransformerEncoder(10, v, 16, 2, 1),
                                                             "num_hiddens"),
    ("TransformerEncoder", "ffn_num_hiddens"): _bad_positive_int(lambda v: d2l.TransformerEncoder(10, 8, v, 2, 1),
                                                                 "ffn_num_hiddens"),
    ("TransformerEncoder", "num_heads"): _bad_positive_int(lambda v: d2l.TransformerEncoder(10, 8, 16, v, 1),
                                                           "num_heads"),
    ("TransformerEncoder", "num_blks"): _bad_positive_int(lambda v: d2l.TransformerEncoder(10, 8, 16, 2, v),
                                                          "num_blks"),
    ("TransformerEncoder", "dropout"): _bad_dropout(lambda v: d2l.TransformerEncoder(10, 8, 16, 2, 1, dropout=v)),
    ("TransformerEncoder", "max_len"): _bad_positive_int(lambda v: d2l.TransformerEncoder(10, 8, 16, 2, 1, max_len=v),
                                                         "max_len"),
    ("TransformerDecoder", "vocab_size"): _bad_positive_int(lambda v: d2l.TransformerDecoder(v, 8, 16, 2, 1),
                                                            "vocab_size"),
    ("TransformerDecoder", "num_hiddens"): _bad_positive_int(lambda v: d2l.TransformerDecoder(10, v, 16, 2, 1),
                                                             "num_hiddens"),
    ("TransformerDecoder", "ffn_num_hiddens"): _bad_positive_int(lambda v: d2l.TransformerDecoder(10, 8, v, 2, 1),
                                                                 "ffn_num_hiddens"),
    ("TransformerDecoder", "num_heads"): [(lambda: d2l.TransformerDecoder(10, 8, 16, 3, 1), ValueError,
                                           "num_hiddens must be divisible by num_heads=3"),
                                          *_bad_positive_int(lambda v: d2l.TransformerDecoder(10, 8, 16, v, 1),
                                                             "num_heads")],
    ("TransformerDecoder", "num_blks"): [(lambda: d2l.TransformerDecoder(10, 8, 16, 2, 0), ValueError, "num_blks")],
    ("TransformerDecoder", "dropout"): _bad_dropout(lambda v: d2l.TransformerDecoder(10, 8, 16, 2, 1, dropout=v)),
    ("TransformerDecoder", "max_len"): _bad_positive_int(lambda v: d2l.TransformerDecoder(10, 8, 16, 2, 1, max_len=v),
                                                         "max_len"),
    ("Seq2SeqEncoder", "embed_size"): [(lambda: d2l.Seq2SeqEncoder(10, 0, 8), ValueError, "embed_size")],
    ("Seq2SeqDecoder", "num_hiddens"): [(lambda: d2l.Seq2SeqDecoder(10, 8, 0), ValueError, "num_hiddens")],
    ("Seq2SeqAttentionDecoder", "num_layers"): [(lambda: d2l.Seq2SeqAttentionDecoder(10, 8, 8, 0), ValueError,
                                                 "num_layers")],
    ("EncoderDecoder", "encoder"): [(lambda: d2l.EncoderDecoder(nn.Linear(2, 2), nn.Linear(2, 2)), TypeError,
                                     "encoder")],
    ("EncoderDecoder", "decoder"): [(lambda: d2l.EncoderDecoder(d2l.Seq2SeqEncoder(5, 2, 2), nn.Linear(2, 2)),
                                     TypeError, "decoder must be a d2lhelper Decoder")],
    ("masked_cross_entropy", "logits"): [(lambda: d2l.masked_cross_entropy(_T(2, 3), _T(2, 3, dtype=torch.long),
                                                                           torch.tensor([1, 1])), ValueError,
                                          r"logits must be \(batch, steps, vocab\)"),
                                         (lambda: d2l.masked_cross_entropy([0.0], _T(2, 3, dtype=torch.long),
                                                                           torch.tensor([1, 1])), TypeError,
                                          "logits must be a tensor")],
    ("masked_cross_entropy", "Y"): [(lambda: d2l.masked_cross_entropy(_T(2, 3, 5), _T(2, 3), torch.tensor([1, 1])),
                                     TypeError, "Y must hold integer token indices, got dtype torch.float32")],
    ("masked_cross_entropy", "valid_lens"): [(lambda: d2l.masked_cross_entropy(_T(2, 3, 5), _T(2, 3, dtype=torch.long),
                                                                               torch.tensor([4, 1])), ValueError,
                                              "valid_lens")],
    ("train_seq2seq", "model"): [(lambda: d2l.train_seq2seq(nn.Linear(2, 2), [], tgt_vocab=d2l.Vocab(), epochs=1),
                                  TypeError, "model")],
    ("train_seq2seq", "train_iter"): [(lambda: TRAIN_S2S(train_iter=[]), ValueError,
                                       "train_iter must yield at least one batch")],
    ("train_seq2seq", "val_iter"): [(lambda: TRAIN_S2S(val_iter=5), TypeError, "val_iter must be an iterable")],
    ("train_seq2seq", "tgt_vocab"): [(lambda: TRAIN_S2S(tgt_vocab=d2l.Vocab()), ValueError,
                                      "tgt_vocab must have a '<bos>' token"),
                                     (lambda: TRAIN_S2S(tgt_vocab={"<bos>": 1}), TypeError,
                                      "tgt_vocab must be a d2lhelper Vocab")],
    ("train_seq2seq", "epochs"): _bad_positive_int(lambda v: TRAIN_S2S(epochs=v), "epochs"),
    ("train_seq2seq", "lr"): [(lambda: TRAIN_S2S(lr=0), ValueError, "lr must be > 0, got 0")],
    ("train_seq2seq", "grad_clip"): [(lambda: TRAIN_S2S(grad_clip=0), ValueError, "grad_clip must be a positive float")],
    ("train_seq2seq", "amp"): [(lambda: TRAIN_S2S(amp="float16"), ValueError, "amp must be None, 'bf16' or 'fp16', got 'float16'")],
    ("train_seq2seq", "device"): [(lambda: TRAIN_S2S(device=_BAD_DEVICE), ValueError, _BAD_DEVICE_RE)],
    ("train_seq2seq", "live_plot"): _bad_flag(lambda v: TRAIN_S2S(live_plot=v), "live_plot"),
    ("train_seq2seq", "progress"): _bad_flag(lambda v: TRAIN_S2S(progress=v), "progress"),
    ("translate", "model"): [(lambda: TRANSLATE(model=_lin()), TypeError, "model must be a d2lhelper EncoderDecoder")],
    ("translate", "sentences"): [(lambda: TRANSLATE(sentences=[]), ValueError,
                                  "sentences must hold at least one sentence")],
    ("translate", "src_vocab"): [(lambda: TRANSLATE(src_vocab=d2l.Vocab()), ValueError,
                                  "src_vocab lacks the special tokens"),
                                 (lambda: TRANSLATE(src_vocab="vocab"), TypeError, "src_vocab must be a d2lhelper Vocab")],
    ("translate", "tgt_vocab"): [(lambda: TRANSLATE(tgt_vocab=d2l.Vocab(["a"], reserved_tokens=["<pad>"])),
                                  ValueError, r"tgt_vocab lacks the special tokens \['<bos>', '<eos>'\]")],
    ("translate", "num_steps"): [(lambda: d2l.translate(d2l.EncoderDecoder(d2l.Seq2SeqEncoder(5, 2, 2),
                                                                           d2l.Seq2SeqDecoder(5, 2, 2)),
                                                        "a", d2l.Vocab(), d2l.Vocab(), 0), ValueError, "num_steps")],
    ("translate", "beam_size"): _bad_positive_int(lambda v: TRANSLATE(beam_size=v), "beam_size"),
    ("translate", "alpha"): [(lambda: TRANSLATE(alpha=-1), ValueError, "alpha must be >= 0, got -1")],
    ("translate", "device"): [(lambda: TRANSLATE(device=_BAD_DEVICE), ValueError, _BAD_DEVICE_RE)],
    ("translate", "return_attention"): _bad_flag(lambda v: TRANSLATE(return_attention=v), "return_attention"),
    # --- style transfer
    ("load_image", "path_or_name"): [(lambda: d2l.load_image("/nonexistent/me.jpg"), FileNotFoundError,
                                      "path_or_name: no image file at '/nonexistent/me.jpg'"),
                                     (lambda: d2l.load_image(5), TypeError, "path_or_name must be a registered name")],
    ("load_image", "size"): [(lambda: d2l.load_image("/nonexistent/me.jpg", size=0), ValueError,
                              "size must be a positive int, got 0"),
                             (lambda: d2l.load_image("/nonexistent/me.jpg", size="big"), TypeError,
                              "size must be None, an int or a pair")],
    ("preprocess", "img"): [(lambda: d2l.preprocess(_T(2, 8, 8)), ValueError, r"img must have shape \(3, H, W\)"),
                            (lambda: d2l.preprocess("img.jpg"), TypeError, "img must be a PIL image or a tensor")],
    ("preprocess", "size"): [(lambda: d2l.preprocess(_T(3, 8, 8), size=4), ValueError,
                              "size can only be given with a PIL image"),
                             (lambda: d2l.preprocess(_pil(), size=(4, 0)), ValueError,
                              r"size\[1\] must be a positive int, got 0")],
    ("postprocess", "x"): [(lambda: d2l.postprocess("x"), TypeError, "x must be a tensor")],
    ("postprocess", "as_pil"): _bad_flag(lambda v: d2l.postprocess(_T(3, 4, 4), as_pil=v), "as_pil"),
    ("gram_matrix", "Y"): [(lambda: d2l.gram_matrix(_T(4)), ValueError, "Y must be feature maps")],
    ("vgg19_features", "pretrained"): [(lambda: d2l.vgg19_features("yes"), ValueError,
                                        "pretrained must be True, False or 'auto'")],
    ("vgg19_features", "seed"): [(lambda: d2l.vgg19_features(False, seed=-1), ValueError,
                                  "seed must be an int >= 0, got -1")],
    ("vgg19_features", "timeout_s"): [(lambda: d2l.vgg19_features(False, timeout_s=0), ValueError,
                                       "timeout_s must be a positive float, got 0")],
    ("FeatureExtractor", "net"): [(lambda: d2l.FeatureExtractor(nn.Linear(2, 2), ["conv1_1"]), TypeError,
                                   "net must be an nn.Sequential"),
                                  (lambda: d2l.FeatureExtractor(nn.Sequential(), ["conv1_1"]), ValueError,
                                   r"net has 0 layers, but \['conv1_1'\] need 2")],
    ("FeatureExtractor", "layers"): [(lambda: d2l.FeatureExtractor(nn.Sequential(), ["conv9_9"]), ValueError,
                                      "layers has unknown layer name.*conv9_9"),
                                     (lambda: d2l.FeatureExtractor(nn.Sequential(), []), ValueError,
                                      "layers must name at least one layer")],
    ("content_loss", "Y_hat"): [(lambda: d2l.content_loss(_T(1, 2, 3), _T(1, 2, 4)), ValueError,
                                 "Y_hat and Y must have the same shape")],
    ("content_loss", "Y"): [(lambda: d2l.content_loss(_T(2), [0.0, 0.0]), TypeError, "Y must be a tensor")],
    ("content_loss", "scale_free"): _bad_flag(lambda v: d2l.content_loss(_T(2), _T(2), v), "scale_free"),
    ("style_loss", "features"): [(lambda: d2l.style_loss({}, {"conv1_1": _T(3, 3)}), ValueError,
                                  "features lacks the style layer")],
    ("style_loss", "target_grams"): [(lambda: d2l.style_loss({}, {}), ValueError, "target_grams must not be empty")],
    ("style_loss", "layer_weights"): [(lambda: d2l.style_loss({"c": _T(1, 2, 3, 3)}, {"c": _T(2, 2)}, [1, 2]),
                                       ValueError, r"layer_weights must have one weight per style layer \(1\), got 2")],
    ("style_loss", "scale_free"): _bad_flag(lambda v: d2l.style_loss({"c": _T(1, 2, 3, 3)}, {"c": _T(2, 2)},
                                                                     scale_free=v), "scale_free"),
    ("total_variation", "X"): [(lambda: d2l.total_variation(_T(1, 3, 1, 5)), ValueError, "X must have shape")],
    ("transfer", "net"): [(lambda: TRANSFER(net=_lin()), TypeError, "net must be an nn.Sequential"),
                          (lambda: TRANSFER(net=nn.Sequential(nn.ReLU())), ValueError,
                           "net must be VGG-19 features with parameters")],
    ("transfer", "content"): [(lambda: TRANSFER(content=_T(3, 8, 8)), ValueError,
                               r"content must be a normalised image of shape \(1, 3, H, W\), got \(3, 8, 8\)")],
    ("transfer", "style"): [(lambda: TRANSFER(style=[]), ValueError, "style must be an image or a non-empty list"),
                            (lambda: TRANSFER(style=[_T(1, 3, 8, 8), _T(3, 8)]), ValueError,
                             r"style\[1\] must be a normalised image")],
    ("transfer", "steps"): _bad_positive_int(lambda v: TRANSFER(steps=v), "steps"),
    ("transfer", "optimizer"): [(lambda: d2l.transfer(nn.Sequential(), _T(1, 3, 8, 8), _T(1, 3, 8, 8),
                                                      optimizer="sgd"), ValueError,
                                 "optimizer must be 'adam' or 'lbfgs'")],
    ("transfer", "lr"): [(lambda: TRANSFER(lr=0), ValueError, "lr must be a positive float or None, got 0")],
    ("transfer", "content_weight"): [(lambda: TRANSFER(content_weight=-1), ValueError,
                                      "content_weight must be a float >= 0, got -1")],
    ("transfer", "style_weight"): [(lambda: TRANSFER(style_weight="1"), TypeError, "style_weight must be a float >= 0")],
    ("transfer", "tv_weight"): [(lambda: TRANSFER(tv_weight=float("nan")), ValueError, "tv_weight must be a float >= 0")],
    ("transfer", "content_layers"): [(lambda: TRANSFER(content_layers=["pool1"]), ValueError,
                                      r"content_layers has unknown layer name\(s\) \['pool1'\]"),
                                     (lambda: TRANSFER(content_layers="conv4_2"), TypeError,
                                      "content_layers must be a sequence of str"),
                                     (lambda: TRANSFER(content_layers=[]), ValueError,
                                      "content_layers must hold at least one str")],
    ("transfer", "style_layers"): [(lambda: TRANSFER(style_layers=["conv6_1"]), ValueError,
                                    "style_layers has unknown layer name"),
                                   (lambda: TRANSFER(style_layers=()), ValueError,
                                    "style_layers must hold at least one str")],
    ("transfer", "style_layer_weights"): [(lambda: TRANSFER(net=_fake_vgg(), style_layer_weights=[1.0]), ValueError,
                                           r"style_layer_weights must have one weight per style layer \(5\), got 1")],
    ("transfer", "style_mix"): [(lambda: TRANSFER(style=[_T(1, 3, 8, 8)] * 2, style_mix=[1]), ValueError,
                                 "style_mix must hold 2 non-negative weights")],
    ("transfer", "init"): [(lambda: TRANSFER(init="zeros"), ValueError, "init must be 'content', 'noise' or a tensor")],
    ("transfer", "scale_free"): _bad_flag(lambda v: TRANSFER(scale_free=v), "scale_free"),
    ("transfer", "show_every"): _bad_positive_int(lambda v: TRANSFER(show_every=v), "show_every"),
    ("transfer", "display"): _bad_flag(lambda v: TRANSFER(display=v), "display"),
    ("transfer", "callback"): [(lambda: TRANSFER(callback=5), TypeError, "callback must be a function")],
    # --- graphs
    ("normalized_adjacency", "edge_index"): [(lambda: d2l.normalized_adjacency(torch.tensor([[0, 1], [1, 5]]), 3),
                                              ValueError, r"edge_index must hold node indices in \[0, 3\)"),
                                             (lambda: d2l.normalized_adjacency(_T(3, 2, dtype=torch.long), 3),
                                              ValueError, r"edge_index must have shape \(2, num_edges\)")],
    ("normalized_adjacency", "num_nodes"): _bad_positive_int(lambda v: d2l.normalized_adjacency(_EDGES, v),
                                                             "num_nodes"),
    ("normalized_adjacency", "add_self_loops"): _bad_flag(
        lambda v: d2l.normalized_adjacency(_EDGES, 3, add_self_loops=v), "add_self_loops"),
    ("normalized_adjacency", "sparse"): _bad_flag(lambda v: d2l.normalized_adjacency(_EDGES, 3, sparse=v), "sparse"),
    ("draw_graph", "graph"): [(lambda: d2l.draw_graph([1, 2]), TypeError,
                               "graph must be a networkx graph or an edge_index")],
    ("draw_graph", "num_nodes"): [(lambda: DRAW(num_nodes=0), ValueError, "num_nodes must be a positive int, got 0"),
                                  (lambda: DRAW(num_nodes=2), ValueError, "for num_nodes=2")],
    ("draw_graph", "node_color"): [(lambda: DRAW(node_color=[0, 1]), ValueError,
                                    r"node_color must have one entry per node \(3\), got 2")],
    ("draw_graph", "class_names"): [(lambda: DRAW(node_color=[0, 1, 2], class_names=["a"]), ValueError,
                                     "class_names must name every class in node_color"),
                                    (lambda: DRAW(class_names=["a"]), ValueError,
                                     "class_names needs node_color")],
    ("draw_graph", "with_labels"): _bad_flag(lambda v: DRAW(with_labels=v), "with_labels"),
    ("draw_graph", "pos"): [(lambda: DRAW(pos=[(0, 0)]), TypeError, "pos must be a dict node")],
    ("draw_graph", "seed"): [(lambda: DRAW(seed=-1), ValueError, "seed must be an int >= 0, got -1")],
    ("draw_graph", "node_size"): [(lambda: DRAW(node_size=0), ValueError, "node_size must be a positive float")],
    ("draw_graph", "ax"): [(lambda: DRAW(ax="ax"), TypeError, "ax must be a matplotlib Axes")],
    ("train_node_classifier", "model"): [(lambda: d2l.train_node_classifier("gcn", None, epochs=1), TypeError, "model")],
    ("train_node_classifier", "data"): [(lambda: d2l.train_node_classifier(nn.Linear(2, 2), object(), epochs=1),
                                         ValueError, "data must have the attributes")],
    ("train_node_classifier", "epochs"): _bad_positive_int(lambda v: TNC(epochs=v), "epochs"),
    ("train_node_classifier", "lr"): [(lambda: TNC(lr=0), ValueError, "lr must be > 0, got 0")],
    ("train_node_classifier", "weight_decay"): [(lambda: TNC(weight_decay=-1), ValueError,
                                                 "weight_decay must be >= 0, got -1")],
    ("train_node_classifier", "select_by_val"): _bad_flag(lambda v: TNC(select_by_val=v), "select_by_val"),
    ("train_node_classifier", "device"): [(lambda: TNC(device=_BAD_DEVICE), ValueError, _BAD_DEVICE_RE)],
    ("train_node_classifier", "live_plot"): _bad_flag(lambda v: TNC(live_plot=v), "live_plot"),
    # --- node embeddings from random walks (d2lhelper/embeddings.py)
    ("random_walks", "edge_index"): [(lambda: d2l.random_walks("x", 3, 3), TypeError,
                                      "edge_index must be a torch.Tensor of shape \\(2, num_edges\\), got str")],
    ("random_walks", "num_nodes"): _bad_positive_int(lambda v: d2l.random_walks(_EDGES, v, 3), "num_nodes"),
    ("random_walks", "walk_length"): _bad_positive_int(lambda v: d2l.random_walks(_EDGES, 3, v), "walk_length"),
    ("random_walks", "walks_per_node"): _bad_positive_int(
        lambda v: d2l.random_walks(_EDGES, 3, 3, walks_per_node=v), "walks_per_node"),
    ("random_walks", "p"): [(lambda: d2l.random_walks(_EDGES, 3, 3, p=0), ValueError,
                             "p must be a positive float, got 0")],
    ("random_walks", "q"): [(lambda: d2l.random_walks(_EDGES, 3, 3, q=-1.0), ValueError,
                             "q must be a positive float, got -1.0")],
    ("random_walks", "generator"): [(lambda: d2l.random_walks(_EDGES, 3, 3, generator=1), TypeError,
                                     "generator must be a torch.Generator or None, got int 1")],
    ("skipgram_pairs", "sequences"): [(lambda: d2l.skipgram_pairs("ab", 2), TypeError,
                                       "sequences must be a tensor of token indices .*got str")],
    ("skipgram_pairs", "window"): _bad_positive_int(lambda v: d2l.skipgram_pairs(torch.arange(5), v), "window"),
    ("subsample", "tokens"): [(lambda: d2l.subsample(torch.tensor([0.0, 1.0])), TypeError,
                               "tokens must hold int64 .*got dtype torch.float32"),
                              (lambda: d2l.subsample(torch.tensor([0, 5]), counts=torch.ones(3)), ValueError,
                               r"tokens must be indices in \[0, 3\) \(the length of counts\), got values in \[0, 5\]")],
    ("subsample", "counts"): [(lambda: d2l.subsample(torch.tensor([0, 1]), counts=torch.zeros(3)), ValueError,
                               "counts must be finite and >= 0 with at least one > 0")],
    ("subsample", "t"): [(lambda: d2l.subsample(torch.tensor([0, 1]), t=0.0), ValueError,
                          "t must be a positive float, got 0.0")],
    ("subsample", "generator"): [(lambda: d2l.subsample(torch.tensor([0, 1]), generator=1), TypeError,
                                  "generator must be a torch.Generator or None, got int 1")],
    ("subsample_keep_probs", "counts"): [(lambda: d2l.subsample_keep_probs(torch.zeros(3)), ValueError,
                                          "counts must be finite and >= 0 with at least one > 0")],
    ("subsample_keep_probs", "t"): [(lambda: d2l.subsample_keep_probs(torch.ones(3), t=-1.0), ValueError,
                                     "t must be a positive float, got -1.0")],
    ("nearest_neighbours", "embeddings"): [(lambda: d2l.nearest_neighbours(torch.arange(4), 0), ValueError,
                                            r"embeddings must be a 2-D floating-point tensor \(num_tokens, dim\), "
                                            r"got shape \(4,\)")],
    ("nearest_neighbours", "query"): [(lambda: d2l.nearest_neighbours(torch.ones(6, 3), 10**6), ValueError,
                                       r"query must be a token index \(int\) in \[0, 6\), got 1000000")],
    ("nearest_neighbours", "k"): [(lambda: d2l.nearest_neighbours(torch.ones(6, 3), 0, k=0), ValueError,
                                   "k must be a positive int, got 0"),
                                  (lambda: d2l.nearest_neighbours(torch.ones(6, 3), 0, k=6), ValueError,
                                   "k must be at most the number of candidate tokens 5, got 6")],
    ("nearest_neighbours", "exclude"): [(lambda: d2l.nearest_neighbours(torch.ones(6, 3), 0, exclude=[9]), ValueError,
                                         r"exclude must be a token index \(int\) in \[0, 6\), got 9")],
    ("analogy", "embeddings"): [(lambda: d2l.analogy(torch.arange(4), 0, 1, 2), ValueError,
                                 "embeddings must be a 2-D floating-point tensor")],
    ("analogy", "a"): [(lambda: d2l.analogy(torch.ones(6, 3), -1, 1, 2), ValueError,
                        r"a must be a token index \(int\) in \[0, 6\), got -1")],
    ("analogy", "b"): [(lambda: d2l.analogy(torch.ones(6, 3), 0, "1", 2), ValueError,
                        r"b must be a token index \(int\) in \[0, 6\), got '1'")],
    ("analogy", "c"): [(lambda: d2l.analogy(torch.ones(6, 3), 0, 1, 7), ValueError,
                        r"c must be a token index \(int\) in \[0, 6\), got 7")],
    ("analogy", "k"): _bad_positive_int(lambda v: d2l.analogy(torch.ones(6, 3), 0, 1, 2, k=v), "k"),
    ("analogy", "exclude"): [(lambda: d2l.analogy(torch.ones(6, 3), 0, 1, 2, exclude=[6]), ValueError,
                              r"exclude must be a token index \(int\) in \[0, 6\), got 6")],
    ("NegativeSampler", "counts"): [(lambda: d2l.NegativeSampler(torch.zeros(3)), ValueError,
                                     "counts must be finite and >= 0 with at least one > 0")],
    ("NegativeSampler", "power"): [(lambda: d2l.NegativeSampler(torch.ones(3), power=-1), ValueError,
                                    "power must be a float >= 0, got -1")],
    ("SkipGramNS", "num_tokens"): _bad_positive_int(lambda v: d2l.SkipGramNS(v, 4), "num_tokens"),
    ("SkipGramNS", "dim"): _bad_positive_int(lambda v: d2l.SkipGramNS(4, v), "dim"),
    # --- data
    ("TensorLoader", "tensors"): [(lambda: D.TensorLoader(_T(3), _T(4), batch_size=2), ValueError,
                                   "all tensors must have the same first dimension"),
                                  (lambda: D.TensorLoader([1, 2], batch_size=1), TypeError,
                                   r"tensors\[0\] must be a torch.Tensor")],
    ("TensorLoader", "batch_size"): [(lambda: D.TensorLoader(_T(3), batch_size=0), ValueError, "batch_size")],
    ("TensorLoader", "shuffle"): _bad_flag(lambda v: D.TensorLoader(_T(3), batch_size=1, shuffle=v), "shuffle"),
    ("TensorLoader", "drop_last"): _bad_flag(lambda v: D.TensorLoader(_T(3), batch_size=1, drop_last=v), "drop_last"),
    ("TensorLoader", "transform"): [(lambda: D.TensorLoader(_T(3), batch_size=1, transform=5), TypeError,
                                     "transform must be a function")],
    ("TensorLoader", "generator"): [(lambda: D.TensorLoader(_T(3), batch_size=1, generator=0), TypeError,
                                     "generator must be a torch.Generator or None")],
    ("TensorLoader", "device"): [(lambda: D.TensorLoader(_T(3), batch_size=1, device=_BAD_DEVICE), ValueError, _BAD_DEVICE_RE)],
    ("fetch", "name"): [(lambda: D.fetch("timemachine"), KeyError, "name 'timemachine'"),
                        (lambda: D.fetch(3), TypeError, "name")],
    ("extract", "archive"): [(lambda: D.extract("/nonexistent.zip", "/tmp/out"), D.DatasetError,
                              "archive must be an existing file, got '/nonexistent.zip'")],
    ("extract", "dest"): [(lambda: D.extract("/nonexistent.zip", 5), TypeError,
                           "dest must be a non-empty str or os.PathLike, got 5")],
    ("register", "name"): [(lambda: REGISTER(name=""), ValueError, "name must be a non-empty str without '/'")],
    ("register", "path"): [(lambda: REGISTER(path="../x"), ValueError,
                            "path of 'x' must be a normalized relative POSIX path")],
    ("register", "checksum"): [(lambda: D.register("x", "a/x", "abc", "https://e.org/x"), ValueError,
                                "checksum of 'x' must be")],
    ("register", "urls"): [(lambda: REGISTER(urls="ftp://e.org/x"), ValueError, "urls of 'x' must be http")],
    ("register", "license"): [(lambda: REGISTER(license=5), TypeError, "license of 'x' must be a str, got 5")],
    ("load_digits", "batch_size"): [(lambda: D.load_digits(0), ValueError, "batch_size")],
    ("load_digits", "resize"): [(lambda: D.load_digits(8, resize=0), ValueError, "resize must be a positive int")],
    ("load_digits", "val_fraction"): [(lambda: D.load_digits(8, val_fraction=1.5), ValueError,
                                       r"val_fraction must be in \(0, 1\), got 1.5")],
    ("load_digits", "seed"): [(lambda: D.load_digits(8, seed=-1), ValueError, "seed must be an int >= 0, got -1")],
    ("load_fashion_mnist", "batch_size"): [(lambda: D.load_fashion_mnist(-3), ValueError, "batch_size")],
    ("load_fashion_mnist", "resize"): [(lambda: D.load_fashion_mnist(8, resize=(0, 5)), ValueError,
                                        r"resize must be a positive int or \(height, width\), got \(0, 5\)")],
    ("load_fashion_mnist", "root"): [(lambda: D.load_fashion_mnist(8, root=5), TypeError,
                                      "root must be a non-empty str or os.PathLike or None, got int 5")],
    ("load_mnist_5k", "batch_size"): _bad_positive_int(lambda v: D.load_mnist_5k(v), "batch_size"),
    ("load_mnist_5k", "resize"): [(lambda: D.load_mnist_5k(8, resize=-1), ValueError,
                                   r"resize must be a positive int or \(height, width\), got \(-1, -1\)")],
    ("load_mnist_5k", "val_fraction"): [(lambda: D.load_mnist_5k(8, val_fraction=0), ValueError,
                                         r"val_fraction must be in \(0, 1\)")],
    ("load_mnist_5k", "seed"): [(lambda: D.load_mnist_5k(8, seed="0"), TypeError, "seed must be an int >= 0")],
    ("load_movie_reviews", "val_fraction"): [(lambda: D.load_movie_reviews(val_fraction=1.0), ValueError,
                                              r"val_fraction must be a number in \(0, 1\), got 1.0"),
                                             (lambda: D.load_movie_reviews(val_fraction=0.5, test_fraction=0.5),
                                              ValueError, "val_fraction \\+ test_fraction must be < 1")],
    ("load_movie_reviews", "test_fraction"): [(lambda: D.load_movie_reviews(test_fraction="0.1"), ValueError,
                                               r"test_fraction must be a number in \(0, 1\), got '0.1'")],
    ("load_movie_reviews", "seed"): [(lambda: D.load_movie_reviews(seed=-1), ValueError,
                                      "seed must be an int >= 0, got -1"),
                                     (lambda: D.load_movie_reviews(seed=1.0), TypeError,
                                      "seed must be an int >= 0, got float 1.0")],
    ("load_planetoid", "name"): [(lambda: D.load_planetoid("PubMed"), ValueError, "name must be one of")],
    ("load_planetoid", "transform"): [(lambda: D.load_planetoid("Cora", transform=5), TypeError,
                                       "transform must be a function")],
    ("load_translation", "task"): [(lambda: D.load_translation("klingon"), ValueError,
                                    "task must be one of .*, got 'klingon'")],
    ("load_translation", "batch_size"): _bad_positive_int(lambda v: D.load_translation("dates", batch_size=v),
                                                          "batch_size"),
    ("load_translation", "num_train"): _bad_positive_int(lambda v: D.load_translation("dates", num_train=v),
                                                         "num_train"),
    ("load_translation", "num_test"): _bad_positive_int(lambda v: D.load_translation("dates", num_test=v), "num_test"),
    ("load_translation", "num_steps"): [(lambda: D.load_translation("dates", num_steps=1), ValueError,
                                         r"num_steps must be >= 2 \(a token and <eos>\), got 1")],
    ("load_translation", "seed"): [(lambda: D.load_translation("dates", seed=-1), ValueError,
                                    "seed must be an int >= 0, got -1")],
}

# The GRU encoder and decoders share one constructor signature and one checker: the same rows for each.
for _name, _cls in (("Seq2SeqEncoder", d2l.Seq2SeqEncoder), ("Seq2SeqDecoder", d2l.Seq2SeqDecoder),
                    ("Seq2SeqAttentionDecoder", d2l.Seq2SeqAttentionDecoder)):
    _sizes = {"vocab_size": 10, "embed_size": 8, "num_hiddens": 8, "num_layers": 1}
    for _param in _sizes:
        CASES.setdefault((_name, _param), []).extend(_bad_positive_int(
            lambda v, cls=_cls, p=_param, s=_sizes: cls(**{**s, p: v}), _param))
    CASES[(_name, "dropout")] = _bad_dropout(lambda v, cls=_cls: cls(10, 8, 8, 2, v))

# Public names with nothing to validate: argument-free functions, exception types, result containers
# that the helpers themselves fill, and the abstract encoder/decoder bases.
# d2lhelper.distributed (chapter 9)
_RUN = d2l.distributed.run_torchrun
_SCRIPT = str(d2l.distributed.script_path("ddp_train"))
CASES.update({
    ("run_torchrun", "script"): [(lambda: _RUN("no_such_script.py"), ValueError, "script must be an existing Python file"),
                                 (lambda: _RUN(3), TypeError, "script must be a path to a Python file")],
    ("run_torchrun", "args"): [(lambda: _RUN(_SCRIPT, "--epochs 1"), TypeError, "args must be a sequence of str")],
    ("run_torchrun", "nproc_per_node"): _bad_positive_int(lambda v: _RUN(_SCRIPT, nproc_per_node=v), "nproc_per_node"),
    ("run_torchrun", "master_port"): [(lambda: _RUN(_SCRIPT, master_port=80), ValueError,
                                       r"master_port must be in \[1024, 65535\], got 80")],
    ("run_torchrun", "timeout_s"): [(lambda: _RUN(_SCRIPT, timeout_s=0), ValueError, "timeout_s must be a positive number")],
    ("run_torchrun", "env"): [(lambda: _RUN(_SCRIPT, env=["A=1"]), TypeError, "env must be a mapping of str to str")],
    ("run_torchrun", "threads_per_process"): _bad_positive_int(lambda v: _RUN(_SCRIPT, threads_per_process=v),
                                                               "threads_per_process"),
    ("script_path", "name"): [(lambda: d2l.distributed.script_path("nope"), ValueError, "name must be one of the book's scripts"),
                              (lambda: d2l.distributed.script_path(1), TypeError, "name must be a str")],
    ("setup", "backend"): [(lambda: d2l.distributed.setup("mpi"), ValueError, "backend must be 'gloo', 'nccl' or None")],
})


EXEMPT = {
    "Timer": "takes no arguments",
    "free_port": "takes no arguments",
    "cleanup": "takes no arguments",
    "TorchrunError": "an exception type",
    "TorchrunResult": "result container filled by run_torchrun",
    "read_time_machine": "takes no arguments",
    "cache_dir": "takes no arguments (the environment variable is checked by fetch)",
    "registry": "takes no arguments",
    "DatasetError": "an exception type",
    "UnknownDatasetError": "an exception type",
    "Encoder": "abstract base class",
    "Decoder": "abstract base class",
    "History": "result container filled by fit",
    "SeedRuns": "result container filled by fit_seeds",
    "LMHistory": "result container filled by train_language_model",
    "Seq2SeqHistory": "result container filled by train_seq2seq",
    "NodeHistory": "result container filled by train_node_classifier",
    "Predictions": "result container filled by predict",
    "Translation": "result container filled by translate",
    "TranslationData": "result container filled by load_translation",
    "TransferResult": "result container filled by transfer",
    "ImageData": "result container filled by the image loaders",
    "DataFile": "registry entry, validated by register",
}

_TITLE = "a free-form figure title, drawn as is (matplotlib shows any value's str)"
_LABEL = "a free-form axis label, drawn as is (matplotlib shows any value's str)"

# (public name, parameter) -> why any value is acceptable, so no bad-input row can exist.
EXEMPT_PARAMS: dict[tuple[str, str], str] = {
    ("fit", "title"): _TITLE,
    ("train_language_model", "title"): _TITLE,
    ("train_seq2seq", "title"): _TITLE,
    ("train_node_classifier", "title"): _TITLE,
    ("transfer", "title"): _TITLE,
    ("draw_graph", "title"): _TITLE,
    ("plot_confusion_matrix", "title"): _TITLE,
    ("plot", "title"): _TITLE,
    ("plot_runs", "title"): _TITLE,
    ("plot_runs", "xlabel"): _LABEL,
    ("plot_runs", "ylabel"): _LABEL,
    ("LivePlot", "title"): _TITLE,
    ("show_heatmaps", "suptitle"): _TITLE,
    ("plot", "xlabel"): _LABEL,
    ("plot", "ylabel"): _LABEL,
    ("LivePlot", "xlabel"): _LABEL,
    ("LivePlot", "ylabel"): _LABEL,
    ("show_heatmaps", "xlabel"): _LABEL,
    ("show_heatmaps", "ylabel"): _LABEL,
}

# What a row may expect: errors a reader can act on. Never RuntimeError or Exception: a missing check lets
# PyTorch raise a RuntimeError from deep inside, and a row accepting it would pass with the check deleted.
ALLOWED_ERRORS: tuple[type[Exception], ...] = (TypeError, ValueError, KeyError, FileNotFoundError)


def _package_errors() -> tuple[type[Exception], ...]:
    """The package's own exception types (e.g. ``d2lhelper.data.DatasetError``)."""
    found = []
    for mod in (d2l, D):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isclass(obj) and issubclass(obj, Exception):
                found.append(obj)
    return tuple(found)


def _public() -> dict[str, Any]:
    """Every public callable: name -> object, from ``d2lhelper.__all__``, ``d2lhelper.data.__all__`` and
    ``d2lhelper.distributed.__all__``."""
    out = {}
    for mod in (d2l, D, d2l.distributed):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if callable(obj):
                out[name] = obj
    return out


def _params(obj: Any) -> tuple[list[str], set[str]]:
    """The parameters each needing a row or an exemption, and every name a key may use.

    Required: the signature's parameters (a class: ``__init__``'s), without ``self``, ``*args``, ``**kwargs``.
    Allowed besides: ``*args``/``**kwargs`` by name, and ``forward.<parameter>`` for a module's forward.
    """
    def names(fn: Any) -> list[inspect.Parameter]:
        return [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]

    ps = names(obj.__init__ if inspect.isclass(obj) else obj)
    required = [p.name for p in ps if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    allowed = {p.name for p in ps}
    if inspect.isclass(obj) and issubclass(obj, nn.Module):
        allowed |= {f"forward.{p.name}" for p in names(obj.forward)
                    if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    return required, allowed


def _coverage_problems(cases: dict, exempt_params: dict, exempt: dict) -> dict[str, list]:
    """What the coverage test reports: missing pairs, stale keys and keys that contradict each other."""
    public = _public()
    missing, stale = [], []
    for name, obj in sorted(public.items()):
        if name in exempt:
            continue
        required, _ = _params(obj)
        missing += [(name, p) for p in required if (name, p) not in cases and (name, p) not in exempt_params]
    for key in sorted(set(cases) | set(exempt_params)):
        name, param = key
        if name not in public or param not in _params(public[name])[1]:
            stale.append(key)
    return {
        "missing": missing,
        "stale": stale,
        "stale names": sorted(set(exempt) - set(public)),
        "both a row and an exemption": sorted(set(cases) & set(exempt_params)),
        "rows for an exempt name": sorted(k for k in set(cases) | set(exempt_params) if k[0] in exempt),
        "empty row lists": sorted(k for k, rows in cases.items() if not rows),
    }


def test_every_public_parameter_has_a_bad_input_case_or_an_exemption() -> None:
    problems = {k: v for k, v in _coverage_problems(CASES, EXEMPT_PARAMS, EXEMPT).items() if v}
    assert not problems, ("add a bad-input row to CASES (or a reason to EXEMPT_PARAMS) for each missing "
                          f"(name, parameter); remove stale keys: {problems}")


def test_the_coverage_check_fails_on_missing_and_stale_keys() -> None:
    cases = dict(CASES)
    del cases[("fit", "epochs")]
    cases[("fit", "epochz")] = CASES[("fit", "epochs")]
    cases[("no_such_function", "x")] = CASES[("fit", "epochs")]
    exempt_params = {**EXEMPT_PARAMS, ("plot", "no_such_parameter"): "stale"}
    problems = _coverage_problems(cases, exempt_params, {**EXEMPT, "NoSuchName": "stale"})
    assert problems["missing"] == [("fit", "epochs")]
    assert problems["stale"] == [("fit", "epochz"), ("no_such_function", "x"), ("plot", "no_such_parameter")]
    assert problems["stale names"] == ["NoSuchName"]


def test_required_parameters_come_from_the_signatures() -> None:
    assert _params(d2l.fit)[0][:3] == ["model", "train_iter", "val_iter"] and "epochs" in _params(d2l.fit)[0]
    assert _params(D.TensorLoader)[0] == ["batch_size", "shuffle", "drop_last", "transform", "generator", "device"]
    assert "tensors" in _params(D.TensorLoader)[1]  # *tensors may have rows, but needs none
    assert {"forward.X", "forward.Y"} <= _params(d2l.AddNorm)[1]
    assert _params(d2l.AddNorm)[0] == ["num_hiddens", "dropout"]


def test_exemptions_give_reasons() -> None:
    for key, reason in {**EXEMPT_PARAMS, **{(k, ""): v for k, v in EXEMPT.items()}}.items():
        assert isinstance(reason, str) and len(reason) > 10, f"{key}: say why no bad-input row is possible"


_ROWS = [(key, i) for key, rows in sorted(CASES.items()) for i in range(len(rows))]


@pytest.mark.parametrize(("key", "i"), _ROWS, ids=[f"{k[0]}-{k[1]}-{i}" for k, i in _ROWS])
def test_rows_expect_an_actionable_error_that_names_the_parameter(key: tuple[str, str], i: int) -> None:
    """Meta-test: no row may accept RuntimeError or Exception, and each regex names its parameter."""
    _, error, pattern = CASES[key][i]
    errors = error if isinstance(error, tuple) else (error,)
    allowed = ALLOWED_ERRORS + _package_errors()
    for e in errors:
        assert e not in (Exception, BaseException, RuntimeError), f"{key}: a row must not accept {e.__name__}"
        assert issubclass(e, allowed), f"{key}: {e.__name__} is not one of {[a.__name__ for a in allowed]}"
    param = key[1].split(".")[-1]
    assert param in pattern, f"{key}: the regex {pattern!r} must contain the parameter name {param!r}"


@pytest.mark.parametrize(("key", "i"), _ROWS, ids=[f"{k[0]}-{k[1]}-{i}" for k, i in _ROWS])
def test_bad_input_gets_a_clear_error(key: tuple[str, str], i: int, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("D2LHELPER_DATA", str(tmp_path))
    monkeypatch.setenv("D2LHELPER_OFFLINE", "1")
    thunk, error, pattern = CASES[key][i]
    with pytest.raises(error, match=pattern) as info:
        thunk()
    message = str(info.value)
    assert len(message) > 15, f"{key}: the message {message!r} does not say what to fix"
    assert key[1].split(".")[-1] in message, f"{key}: the message {message!r} does not name {key[1]!r}"
