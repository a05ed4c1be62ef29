"""Neural style transfer (Gatys, Ecker & Bethge 2016): images, VGG-19 features, losses, the loop.

The synthesised image is the only parameter. Its VGG-19 feature maps are pulled
towards those of a content image (content loss), the Gram matrices of its
feature maps towards those of a style image (style loss), and neighbouring
pixels towards each other (total variation):

.. math::

    L(X) = \\alpha \\sum_{l \\in \\mathcal{C}} \\frac{\\lVert F_l(X) - F_l(X_c)\\rVert^2}{\\lVert F_l(X_c)\\rVert^2}
         + \\beta \\sum_{l \\in \\mathcal{S}} w_l \\frac{\\lVert G_l(X) - G_l(X_s)\\rVert^2}{\\lVert G_l(X_s)\\rVert^2}
         + \\gamma \\, \\mathrm{TV}(X).

The division by the target's mean square (``scale_free=True``) is this book's
choice, not the paper's: it makes every term about 1 at the start whatever the
network's weights, so the same weights work for ImageNet and random VGG-19s.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from ._checks import check_non_negative_int, check_positive_int
from ._checks import (check_bool, check_callable, check_non_negative_float, check_not_empty, check_positive_float,
                      check_str_sequence, check_type)
from .data._fetch import _offline
from .plotting import _LiveFigure

__all__ = [
    "CONTENT_LAYERS",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "STYLE_LAYERS",
    "STYLE_LAYER_WEIGHTS",
    "VGG19_LAYERS",
    "FeatureExtractor",
    "TransferResult",
    "content_loss",
    "gram_matrix",
    "load_image",
    "postprocess",
    "preprocess",
    "style_loss",
    "total_variation",
    "transfer",
    "vgg19_features",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# VGG-19 configuration "E": output channels of each 3x3 convolution, "M" = 2x2 max pooling.
_VGG19_CFG: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
                                     512, 512, 512, 512, "M", 512, 512, 512, 512, "M")


def _layer_names() -> dict[str, int]:
    names, block, conv, index = {}, 1, 1, 0
    for v in _VGG19_CFG:
        if v == "M":
            block, conv = block + 1, 1
            index += 1
        else:
            names[f"conv{block}_{conv}"] = index
            conv += 1
            index += 2  # the convolution and its ReLU
    return names


VGG19_LAYERS: dict[str, int] = _layer_names()
"""Layer name -> index of that convolution in ``vgg19().features`` (conv1_1 -> 0, ..., conv5_4 -> 34)."""

STYLE_LAYERS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
STYLE_LAYER_WEIGHTS = (1.0, 0.8, 0.6, 0.4, 0.2)
CONTENT_LAYERS = ("conv4_2",)

# ----------------------------------------------------------------- images


def load_image(path_or_name: str | os.PathLike[str], size: int | tuple[int, int] | None = None) -> Image.Image:
    """Read an RGB image from a path or from the book's data registry.

    Args:
        path_or_name: a registered name such as ``"rainier.jpg"`` (fetched with
            :func:`d2lhelper.data.fetch`, so it works offline through the
            mirror), or the path of an image file of your own.
        size: ``None`` keeps the size; an int resizes the shorter side to
            ``size`` pixels keeping the aspect ratio; ``(H, W)`` resizes exactly.

    Returns:
        A PIL image in RGB mode.

    Raises:
        FileNotFoundError: the path does not exist (the message names it).
        TypeError: ``path_or_name`` is not a str or path.
    """
    if not isinstance(path_or_name, (str, os.PathLike)) or (isinstance(path_or_name, str) and not path_or_name):
        raise TypeError(f"path_or_name must be a registered name or a path, got {path_or_name!r}")
    if size is not None:
        _check_size(size)  # before reading the file
    from .data import fetch, registry

    name = os.fspath(path_or_name)
    path = fetch(name) if isinstance(path_or_name, str) and name in registry() else Path(name)
    if not path.is_file():
        raise FileNotFoundError(
            f"path_or_name: no image file at {str(path)!r} (absolute: {path.absolute()}); it is not a "
            f"registered name either (registered images include 'rainier.jpg' and 'autumn-oak.jpg')"
        )
    img = Image.open(path).convert("RGB")
    return img if size is None else _resize(img, size)


def _check_size(size: Any) -> None:
    """The checks of :func:`_resize` on ``size`` alone, for a function's entry."""
    if isinstance(size, int) and not isinstance(size, bool):
        check_positive_int("size", size)
    elif isinstance(size, (tuple, list)) and len(size) == 2:
        check_positive_int("size[0]", size[0]), check_positive_int("size[1]", size[1])
    else:
        raise TypeError(f"size must be None, an int or a pair (H, W), got {size!r}")


def _resize(img: Image.Image, size: int | tuple[int, int]) -> Image.Image:
    if isinstance(size, int) and not isinstance(size, bool):
        check_positive_int("size", size)
        w, h = img.size
        scale = size / min(w, h)
        new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    elif isinstance(size, (tuple, list)) and len(size) == 2:
        new_h, new_w = (check_positive_int("size[0]", size[0]), check_positive_int("size[1]", size[1]))
    else:
        raise TypeError(f"size must be None, an int or a pair (H, W), got {size!r}")
    return img.resize((new_w, new_h), Image.Resampling.LANCZOS)


def _mean_std(device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)
    return mean, std


def _one_image_batch(name: str, x: torch.Tensor) -> torch.Tensor:
    """``x`` of shape ``(3, H, W)`` or ``(1, 3, H, W)`` as ``(1, 3, H, W)``, else raise naming ``name``."""
    if x.ndim == 3:
        x = x.unsqueeze(0)
    if x.ndim != 4 or x.shape[:2] != (1, 3):
        raise ValueError(f"{name} must have shape (3, H, W) or (1, 3, H, W), got {tuple(x.shape)}")
    return x


def preprocess(img: Image.Image | torch.Tensor, size: int | tuple[int, int] | None = None) -> torch.Tensor:
    """Turn an image into the normalised batch VGG-19 expects.

    Each channel is standardised with the ImageNet statistics,
    ``x = (p - mean) / std`` with ``p`` in ``[0, 1]``.

    Args:
        img: a PIL image, or a tensor of shape ``(3, H, W)`` or ``(1, 3, H, W)``
            with values in ``[0, 1]``.
        size: optional resize, as in :func:`load_image` (PIL images only).

    Returns:
        A float tensor of shape ``(1, 3, H, W)``.
    """
    if isinstance(img, Image.Image):
        if size is not None:
            img = _resize(img.convert("RGB"), size)
        from torchvision.transforms.functional import pil_to_tensor  # here: keeps `import d2lhelper` light

        x = pil_to_tensor(img.convert("RGB")).float().div(255)  # (3, H, W) in [0, 1]
    elif isinstance(img, torch.Tensor):
        if size is not None:
            raise ValueError("size can only be given with a PIL image; resize tensors before calling preprocess")
        x = img.detach().float()
    else:
        raise TypeError(f"img must be a PIL image or a tensor, got {type(img).__name__}")
    x = _one_image_batch("img", x)
    mean, std = _mean_std(x.device)
    return ((x - mean) / std).contiguous()


def postprocess(x: torch.Tensor, as_pil: bool = False) -> torch.Tensor | Image.Image:
    """Undo :func:`preprocess` for display: ``p = clamp(x * std + mean, 0, 1)``.

    Args:
        x: a normalised image, shape ``(1, 3, H, W)`` or ``(3, H, W)``.
        as_pil: return a PIL image instead of a tensor.

    Returns:
        A tensor of shape ``(H, W, 3)`` with values in ``[0, 1]`` (on the CPU),
        or a PIL image.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a tensor, got {type(x).__name__}")
    check_bool("as_pil", as_pil)
    x = _one_image_batch("x", x)
    mean, std = _mean_std(x.device)
    p = (x.detach() * std + mean).clamp(0, 1)[0].permute(1, 2, 0).cpu()  # (H, W, 3)
    if as_pil:
        return Image.fromarray((p * 255).round().to(torch.uint8).numpy())
    return p


# ------------------------------------------------------------- statistics


def gram_matrix(Y: torch.Tensor) -> torch.Tensor:
    """The Gram matrix of feature maps: which channels fire together.

    With the maps flattened to ``F`` of shape ``(C, H*W)``,

    .. math:: G = \\frac{1}{C H W} F F^\\top, \\qquad G_{ij} = \\frac{1}{CHW}\\sum_{p} F_{ip} F_{jp}.

    Dividing by ``C*H*W`` makes the values independent of the image size, so a
    style image and the synthesised image need not have the same size.

    Args:
        Y: feature maps, shape ``(C, H, W)`` or ``(N, C, H, W)``.

    Returns:
        Shape ``(C, C)``, or ``(N, C, C)`` for a batch; symmetric. Computed in
        (at least) float32 even for half-precision input or under autocast: the
        sum over ``H*W`` products overflows float16 (max 65504) for a 224x224 map.
    """
    if not isinstance(Y, torch.Tensor) or Y.ndim not in (3, 4):
        shape = tuple(Y.shape) if isinstance(Y, torch.Tensor) else type(Y).__name__
        raise ValueError(f"Y must be feature maps of shape (C, H, W) or (N, C, H, W), got {shape}")
    c, h, w = Y.shape[-3:]
    flat = Y.reshape(*Y.shape[:-2], h * w).to(torch.promote_types(Y.dtype, torch.float32))  # (..., C, H*W)
    with torch.autocast(Y.device.type, enabled=False):  # autocast would run the matmul in float16 again
        return flat @ flat.transpose(-1, -2) / (c * h * w)


# ---------------------------------------------------------------- network


def _build_vgg19_features() -> nn.Sequential:
    layers: list[nn.Module] = []
    channels = 3
    for v in _VGG19_CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            conv = nn.Conv2d(channels, int(v), kernel_size=3, padding=1)
            nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")  # as torchvision does
            nn.init.zeros_(conv.bias)
            # inplace=False: the extractor reads the ReLU outputs, which a later in-place op would overwrite
            layers += [conv, nn.ReLU(inplace=False)]
            channels = int(v)
    return nn.Sequential(*layers)


def _download_checked(url: str, dest: Path, timeout_s: float) -> None:
    """Download ``url`` to ``dest`` within ``timeout_s`` per network read, checking the SHA-256 prefix
    that torch hub file names carry (``vgg19-dcbb9e9d.pth``: the hash starts with ``dcbb9e9d``).

    The file is written under a temporary name and renamed only once its hash matches, so a failed or
    corrupt download never lands in the cache. The timeout is passed to the request, not set process-wide.
    """
    import hashlib

    import requests

    match = torch.hub.HASH_REGEX.search(dest.name)
    if match is None:
        raise ValueError(f"url must name a torch hub file with a hash prefix (name-<sha256 prefix>.pth), got {url!r}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    try:
        with requests.get(url, stream=True, timeout=timeout_s) as response:
            response.raise_for_status()
            with open(tmp, "wb") as f:
                for chunk in response.iter_content(chunk_size=1 << 20):
                    f.write(chunk)
                    digest.update(chunk)
        if not digest.hexdigest().startswith(match.group(1)):
            raise OSError(f"the SHA-256 of the download ({digest.hexdigest()[:8]}...) does not start with "
                          f"{match.group(1)!r}, the prefix in its file name: corrupt or not the file asked for")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _imagenet_state_dict(timeout_s: float) -> tuple[dict[str, torch.Tensor] | None, str]:
    """torchvision's ImageNet VGG-19 weights (features only) if cached or downloadable, and why not."""
    from torchvision.models import VGG19_Weights

    url = VGG19_Weights.IMAGENET1K_V1.url
    cached = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)
    if not cached.is_file():
        if _offline():
            return None, f"they are not in the torch hub cache ({cached}) and D2LHELPER_OFFLINE forbids downloading"
        try:
            _download_checked(url, cached, timeout_s)  # saves into the torch hub cache
        except Exception as exc:  # noqa: BLE001 - no network, firewall, timeout, bad hash: all mean "not available"
            return None, f"downloading {url} failed ({type(exc).__name__}: {exc})"
        source = "downloaded (SHA-256 checked)"
    else:
        source = "from the torch hub cache"
    state = torch.load(cached, map_location="cpu", weights_only=True)
    feats = {k.removeprefix("features."): v for k, v in state.items() if k.startswith("features.")}
    return feats, source


def vgg19_features(pretrained: bool | str = "auto", *, seed: int = 0, timeout_s: float = 20.0) -> nn.Sequential:
    """VGG-19's convolutional part (``vgg19().features``), frozen and in eval mode.

    Only the 16 convolutions and 5 poolings are built (20M parameters), not the
    120M-parameter classifier. The ReLUs are not in-place, so their outputs can
    be read. The returned module has an attribute ``weights``: ``"imagenet"``
    or ``"random"``, and a line saying which is printed.

    Args:
        pretrained: ``"auto"`` uses torchvision's ImageNet weights when they are
            in the torch hub cache, or when ``D2LHELPER_OFFLINE`` is not set and
            the download succeeds within ``timeout_s``; otherwise it prints a
            notice and uses random weights. ``True`` requires the ImageNet
            weights, ``False`` asks for random ones.
        seed: seed of the random initialisation (the global RNG is untouched).
        timeout_s: network timeout of the download attempt, in seconds.

    Returns:
        An ``nn.Sequential`` of 37 layers mapping ``(N, 3, H, W)`` to
        ``(N, 512, H/32, W/32)``, with ``requires_grad=False`` everywhere.

    Raises:
        RuntimeError: ``pretrained=True`` but the weights cannot be had.
    """
    if pretrained not in (True, False, "auto"):
        raise ValueError(f"pretrained must be True, False or 'auto', got {pretrained!r}")
    check_non_negative_int("seed", seed)
    check_positive_float("timeout_s", timeout_s)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = _build_vgg19_features()
    state, why = (None, "pretrained=False was asked for") if pretrained is False else _imagenet_state_dict(timeout_s)
    if state is not None:
        net.load_state_dict(state)
        net.weights = "imagenet"
        print(f"VGG-19 features: ImageNet weights ({why})", flush=True)
    elif pretrained is True:
        raise RuntimeError(f"pretrained=True, but the ImageNet VGG-19 weights cannot be had: {why}")
    else:
        net.weights = "random"
        print(f"NOTICE: VGG-19 features with RANDOM weights (seed {seed}), not ImageNet ones: {why}. "
              "Random convolutional features still capture texture statistics, so style transfer works, "
              "but results look less painterly than with the pretrained network.", flush=True)
    net.eval()
    net.requires_grad_(False)
    return net


class FeatureExtractor(nn.Module):
    """Reads named VGG-19 activations in one forward pass.

    The network is cut after the last requested layer, so nothing deeper runs.
    A layer name such as ``conv4_2`` means the output of that convolution's
    ReLU, as in Gatys et al.

    Args:
        net: VGG-19 features, e.g. from :func:`vgg19_features` (not modified).
        layers: names from :data:`VGG19_LAYERS` (``conv1_1`` ... ``conv5_4``).

    Call with ``x`` of shape ``(N, 3, H, W)``; returns a dict name ->
    ``(N, C_l, H_l, W_l)`` in the order of ``layers``.
    """

    def __init__(self, net: nn.Sequential, layers: Sequence[str]) -> None:
        super().__init__()
        check_type("net", net, nn.Sequential, "an nn.Sequential of VGG-19 layers, e.g. vgg19_features()")
        if isinstance(layers, str):
            layers = [layers]
        if len(layers) == 0:
            raise ValueError("layers must name at least one layer, got an empty sequence")
        unknown = [name for name in layers if name not in VGG19_LAYERS]
        if unknown:
            raise ValueError(f"layers has unknown layer name(s) {unknown}; valid names are {list(VGG19_LAYERS)}")
        self.layers = list(dict.fromkeys(layers))
        self._index = {name: VGG19_LAYERS[name] + 1 for name in self.layers}  # the ReLU after the conv
        last = max(self._index.values())
        if len(net) <= last:
            raise ValueError(f"net has {len(net)} layers, but {self.layers} need {last + 1}")
        self.net = net[: last + 1]
        # conv{b}_k sees the image shrunk b-1 times by 2; ask for at least 2x2 there.
        self.min_size = 2 ** max(int(name[4]) for name in self.layers)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"x must have shape (N, 3, H, W), got {tuple(x.shape)}")
        if min(x.shape[-2:]) < self.min_size:
            deepest = max(self.layers, key=lambda n: int(n[4]))
            raise ValueError(
                f"image of {x.shape[-2]}x{x.shape[-1]} px is too small for layer {deepest}: it needs at least "
                f"{self.min_size}x{self.min_size} px (the map there is 1/{self.min_size // 2} of the image, "
                "and at least 2x2)")
        wanted = {i: name for name, i in self._index.items()}
        out: dict[str, torch.Tensor] = {}
        for i, layer in enumerate(self.net):
            x = layer(x)
            if i in wanted:
                out[wanted[i]] = x
        return {name: out[name] for name in self.layers}


# ----------------------------------------------------------------- losses


def content_loss(Y_hat: torch.Tensor, Y: torch.Tensor, scale_free: bool = True) -> torch.Tensor:
    """Mean squared difference of feature maps, ``mean((Y_hat - Y)^2)``.

    With ``scale_free`` it is divided by ``mean(Y^2)``, so it is about 1 when
    ``Y_hat`` is unrelated to ``Y`` whatever the scale of the features.

    Args:
        Y_hat, Y: feature maps of the same shape; ``Y`` is the (constant) target.

    Returns:
        A scalar tensor.
    """
    check_type("Y_hat", Y_hat, torch.Tensor, "a tensor of feature maps")
    check_type("Y", Y, torch.Tensor, "a tensor of feature maps")
    check_bool("scale_free", scale_free)
    if Y_hat.shape != Y.shape:
        raise ValueError(f"Y_hat and Y must have the same shape, got {tuple(Y_hat.shape)} and {tuple(Y.shape)}")
    loss = F.mse_loss(Y_hat, Y.detach())
    return loss / Y.detach().square().mean().clamp_min(1e-12) if scale_free else loss


def style_loss(
    features: dict[str, torch.Tensor],
    target_grams: dict[str, torch.Tensor],
    layer_weights: Sequence[float] | None = None,
    scale_free: bool = True,
) -> torch.Tensor:
    """Weighted sum over layers of the squared difference of Gram matrices.

    ``sum_l w_l * mean((G(Y_l) - G_l)^2)``, each term divided by
    ``mean(G_l^2)`` when ``scale_free``.

    Args:
        features: layer name -> feature maps ``(1, C_l, H_l, W_l)`` of the image.
        target_grams: layer name -> target Gram matrix ``(C_l, C_l)``, same names.
        layer_weights: one weight per layer in the order of ``target_grams``;
            ``None`` gives every layer weight 1.

    Returns:
        A scalar tensor.
    """
    check_type("features", features, dict, "a dict layer name -> feature maps, e.g. from a FeatureExtractor")
    check_type("target_grams", target_grams, dict, "a dict layer name -> Gram matrix")
    check_not_empty("target_grams", target_grams)
    check_bool("scale_free", scale_free)
    names = list(target_grams)
    missing = [n for n in names if n not in features]
    if missing:
        raise ValueError(f"features lacks the style layer(s) {missing}; it has {list(features)}")
    weights = [1.0] * len(names) if layer_weights is None else list(layer_weights)
    if len(weights) != len(names):
        raise ValueError(f"layer_weights must have one weight per style layer ({len(names)}), got {len(weights)}")
    total = features[names[0]].new_zeros(())
    for w, name in zip(weights, names):
        G_hat, G = gram_matrix(features[name][0]), target_grams[name].detach()
        term = F.mse_loss(G_hat, G)
        total = total + w * (term / G.square().mean().clamp_min(1e-20) if scale_free else term)
    return total


def total_variation(X: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels (anisotropic TV).

    ``TV(X) = mean|X[..., i+1, j] - X[..., i, j]| + mean|X[..., i, j+1] - X[..., i, j]|``

    Args:
        X: images, shape ``(N, C, H, W)`` with ``H, W >= 2``.

    Returns:
        A scalar tensor.
    """
    if X.ndim != 4 or min(X.shape[-2:]) < 2:
        raise ValueError(f"X must have shape (N, C, H, W) with H, W >= 2, got {tuple(X.shape)}")
    return (X[..., 1:, :] - X[..., :-1, :]).abs().mean() + (X[..., :, 1:] - X[..., :, :-1]).abs().mean()


# ------------------------------------------------------------------- loop


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
    tv_weight * TV`` (see the module docstring) over the pixels, clamping them
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
