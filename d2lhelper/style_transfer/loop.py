"""The style-transfer loop: :func:`transfer`, its default layers, its result and its live figure."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import torch
from torch import nn

from .._checks import (check_bool, check_callable, check_non_negative_float, check_positive_float,
                       check_positive_int, check_str_sequence, check_type)
from ..plotting import _LiveFigure
from .images import _mean_std, postprocess
from .losses import content_loss, gram_matrix, style_loss, total_variation
from .vgg import VGG19_LAYERS, FeatureExtractor

__all__ = ["CONTENT_LAYERS", "STYLE_LAYERS", "STYLE_LAYER_WEIGHTS", "TransferResult", "transfer"]

STYLE_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
STYLE_LAYER_WEIGHTS = (1.0, 0.8, 0.6, 0.4, 0.2)
CONTENT_LAYERS = ("conv4_2",)


@dataclass
class TransferResult:
    """What :func:`transfer` returns.

    Attributes:
        image: the synthesised image, normalised, shape ``(1, 3, H, W)`` (CPU).
        history: ``"content"``, ``"style"``, ``"tv"`` (unweighted terms) and
            ``"total"`` (weighted sum), one value per loss evaluation.
        snapshots: ``(evaluation, image (H, W, 3) in [0, 1])`` every ``show_every``.
        seconds: wall-clock time of the optimisation.
    """

    image: torch.Tensor
    history: dict[str, list[float]]
    snapshots: list[tuple[int, torch.Tensor]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def pixels(self) -> torch.Tensor:
        """The result for display, shape ``(H, W, 3)`` in ``[0, 1]``."""
        return postprocess(self.image)


class _TransferDisplay(_LiveFigure):
    """The current image and the loss curves, redrawn in place in Jupyter (see :class:`LivePlot`)."""

    def __init__(self, display: bool | None, title: str) -> None:
        fig, (self.ax_img, self.ax_loss) = plt.subplots(1, 2, figsize=(8.5, 3.2),
                                                        gridspec_kw={"width_ratios": [1.2, 1]})
        super().__init__(fig, display)
        self.title = title
        self._state: tuple[int, torch.Tensor, dict[str, list[float]]] | None = None

    def _redraw(self) -> None:
        step, pixels, history = self._state
        self.ax_img.cla()
        self.ax_img.imshow(pixels.numpy())
        self.ax_img.set_title(f"{self.title}: evaluation {step}")
        self.ax_img.axis("off")
        ax = self.ax_loss
        ax.cla()
        for key, fmt in (("content", "-"), ("style", "--"), ("tv", "-."), ("total", ":")):
            ys = history[key]
            ax.plot(range(1, len(ys) + 1), ys, fmt, label=key if key != "tv" else "total variation")
        ax.set_yscale("log")
        ax.set_xlabel("loss evaluation")
        ax.set_ylabel("loss term (unweighted)")
        ax.set_title("Losses")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        self.fig.tight_layout()

    def update(self, step: int, pixels: torch.Tensor, history: dict[str, list[float]]) -> None:
        self._state = (step, pixels, history)
        if self._live:
            self._show()

    def finish(self, step: int, pixels: torch.Tensor, history: dict[str, list[float]]) -> None:
        self._state = (step, pixels, history)
        self._draw_final()


def transfer(
    net: nn.Sequential,
    content: torch.Tensor,
    style: torch.Tensor | Sequence[torch.Tensor],
    *,
    steps: int = 100,
    optimizer: str = "adam",
    lr: float | None = None,
    content_weight: float = 1.0,
    style_weight: float = 1.0,
    tv_weight: float = 0.0,
    content_layers: Sequence[str] = CONTENT_LAYERS,
    style_layers: Sequence[str] = STYLE_LAYERS,
    style_layer_weights: Sequence[float] | None = STYLE_LAYER_WEIGHTS,
    style_mix: Sequence[float] | None = None,
    init: str | torch.Tensor = "content",
    scale_free: bool = True,
    show_every: int | None = None,
    display: bool | None = None,
    callback: Callable[[int, torch.Tensor, dict[str, list[float]]], None] | None = None,
    title: str = "Style transfer",
) -> TransferResult:
    """Synthesise an image with the content of ``content`` and the style of ``style``.

    Minimises ``content_weight * L_content + style_weight * L_style +
    tv_weight * TV`` (see :mod:`d2lhelper.style_transfer`) over the pixels, clamping them
    to the valid range after every optimiser step.

    Args:
        net: VGG-19 features from :func:`vgg19_features`; it is not modified.
        content: normalised content image ``(1, 3, H, W)``; the result has its size.
        style: normalised style image ``(1, 3, h, w)`` (any size), or a list of
            them whose Gram matrices are mixed with ``style_mix``.
        steps: number of loss evaluations (forward and backward passes); for
            Adam one per step, L-BFGS uses several per step.
        optimizer: ``"adam"`` or ``"lbfgs"``.
        lr: learning rate; default 0.05 for Adam, 1 for L-BFGS.
        style_layer_weights: one weight per style layer; ``None`` means all 1.
        style_mix: weights of the style images (normalised to sum 1); default equal.
        init: ``"content"``, ``"noise"`` (Gaussian, seeded by the global RNG)
            or a normalised image of the content's shape.
        scale_free: divide each content and style term by its target's mean square.
        show_every: every how many evaluations to keep a snapshot (and, in
            Jupyter, redraw the live figure); ``None`` means only the end.
        display: draw the live figure; ``None`` means "inside Jupyter". With
            ``D2LHELPER_LIVE_PLOT=0`` only the final state is drawn.
        callback: called as ``callback(evaluation, image, history)`` at each snapshot.

    Returns:
        A :class:`TransferResult` (image, per-term loss history, snapshots, time).
    """
    check_positive_int("steps", steps)
    if optimizer not in ("adam", "lbfgs"):
        raise ValueError(f"optimizer must be 'adam' or 'lbfgs', got {optimizer!r}")
    check_type("net", net, nn.Sequential, "an nn.Sequential of VGG-19 layers, e.g. vgg19_features()")
    if next(net.parameters(), None) is None:
        raise ValueError("net must be VGG-19 features with parameters, e.g. vgg19_features(), got a parameterless "
                         f"nn.Sequential of {len(net)} layers")
    check_positive_float("lr", lr, allow_none=True)
    check_non_negative_float("content_weight", content_weight)
    check_non_negative_float("style_weight", style_weight)
    check_non_negative_float("tv_weight", tv_weight)
    for name, layers in (("content_layers", content_layers), ("style_layers", style_layers)):
        check_str_sequence(name, layers, example=repr(CONTENT_LAYERS if name == "content_layers" else STYLE_LAYERS),
                           non_empty=True)
        unknown = [n for n in layers if n not in VGG19_LAYERS]
        if unknown:
            raise ValueError(f"{name} has unknown layer name(s) {unknown}; valid names are {list(VGG19_LAYERS)}")
    if isinstance(init, str) and init not in ("content", "noise") or not isinstance(init, (str, torch.Tensor)):
        raise ValueError(f"init must be 'content', 'noise' or a tensor, got {init!r:.60}")
    check_bool("scale_free", scale_free)
    check_bool("display", display, allow_none=True)
    check_callable("callback", callback)
    if show_every is not None:
        check_positive_int("show_every", show_every)
    styles = [style] if isinstance(style, torch.Tensor) else list(style)
    if not styles:
        raise ValueError("style must be an image or a non-empty list of images, got an empty list")
    mix = [1.0] * len(styles) if style_mix is None else [float(m) for m in style_mix]
    if len(mix) != len(styles) or any(m < 0 for m in mix) or sum(mix) <= 0:
        raise ValueError(f"style_mix must hold {len(styles)} non-negative weights with a positive sum, got {mix}")
    mix = [m / sum(mix) for m in mix]
    for name, img in [("content", content)] + [(f"style[{i}]", s) for i, s in enumerate(styles)]:
        if not isinstance(img, torch.Tensor) or img.ndim != 4 or img.shape[:2] != (1, 3):
            got = tuple(img.shape) if isinstance(img, torch.Tensor) else type(img).__name__
            raise ValueError(f"{name} must be a normalised image of shape (1, 3, H, W), got {got}")

    device = next(net.parameters()).device
    content_layers, style_layers = list(content_layers), list(style_layers)
    extractor = FeatureExtractor(net, content_layers + style_layers)
    layer_w = None if style_layer_weights is None else list(style_layer_weights)
    if layer_w is not None and len(layer_w) != len(style_layers):
        raise ValueError(f"style_layer_weights must have one weight per style layer ({len(style_layers)}), "
                         f"got {len(layer_w)}")
    content = content.to(device)
    with torch.no_grad():
        content_targets = {n: f for n, f in extractor(content).items() if n in content_layers}
        grams = {n: torch.zeros(()) for n in style_layers}
        for m, s in zip(mix, styles):
            feats = extractor(s.to(device))
            grams = {n: grams[n].to(device) + m * gram_matrix(feats[n][0]) for n in style_layers}

    if isinstance(init, torch.Tensor):
        if init.shape != content.shape:
            raise ValueError(f"init must have the content's shape {tuple(content.shape)}, got {tuple(init.shape)}")
        X = init.detach().clone().to(device)
    elif init == "content":
        X = content.clone()
    elif init == "noise":
        X = torch.randn(content.shape).to(device)
    else:
        raise ValueError(f"init must be 'content', 'noise' or a tensor, got {init!r}")
    mean, std = _mean_std(device)
    low, high = (0 - mean) / std, (1 - mean) / std  # the valid pixel range [0, 1], normalised
    X = X.clamp(low, high).contiguous().requires_grad_(True)

    history: dict[str, list[float]] = {"content": [], "style": [], "tv": [], "total": []}
    snapshots: list[tuple[int, torch.Tensor]] = []
    live = _TransferDisplay(display, title)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        feats = extractor(X)
        lc = sum(content_loss(feats[n], content_targets[n], scale_free) for n in content_layers)
        ls = style_loss({n: feats[n] for n in style_layers}, grams, layer_w, scale_free)
        ltv = total_variation(X)
        loss = content_weight * lc + style_weight * ls + tv_weight * ltv
        loss.backward()
        for key, value in (("content", lc), ("style", ls), ("tv", ltv), ("total", loss)):
            history[key].append(float(value.detach()))
        return loss

    def snapshot() -> None:
        n = len(history["total"])
        pixels = postprocess(X)
        snapshots.append((n, pixels))
        live.update(n, pixels, history)
        if callback is not None:
            callback(n, X.detach(), history)

    start = time.perf_counter()
    if optimizer == "adam":
        opt = torch.optim.Adam([X], lr=0.05 if lr is None else lr)
    else:
        # Line search keeps L-BFGS stable.
        opt = torch.optim.LBFGS([X], lr=1.0 if lr is None else lr, history_size=20,
                                line_search_fn="strong_wolfe")
    every = show_every or steps
    next_snapshot = every
    while len(history["total"]) < steps:
        if optimizer == "lbfgs":
            # One L-BFGS iteration per step(), so the pixels are clamped after every step as with Adam (its
            # curvature history carries over between calls). Stop near `steps` evaluations: a line search may
            # overshoot by a few.
            opt.param_groups[0].update(max_iter=1, max_eval=steps - len(history["total"]))
        opt.step(closure)
        with torch.no_grad():
            X.clamp_(low, high)
        if len(history["total"]) >= next_snapshot or len(history["total"]) >= steps:
            snapshot()
            next_snapshot += every
    seconds = time.perf_counter() - start
    if not snapshots or snapshots[-1][0] != len(history["total"]):
        snapshot()
    live.finish(len(history["total"]), snapshots[-1][1], history)
    return TransferResult(image=X.detach().cpu(), history=history, snapshots=snapshots, seconds=seconds)
