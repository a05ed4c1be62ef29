"""VGG-19's convolutional part, its ImageNet weights, and reading its activations by layer name."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .._checks import check_non_negative_int, check_positive_float, check_type
from .._weights import _download_checked, torchvision_state_dict  # noqa: F401 - re-exported for the tests

__all__ = ["VGG19_LAYERS", "FeatureExtractor", "vgg19_features"]

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


def _imagenet_state_dict(timeout_s: float) -> tuple[dict[str, torch.Tensor] | None, str]:
    """torchvision's ImageNet VGG-19 weights (features only) if cached or downloadable, and why not."""
    from torchvision.models import VGG19_Weights

    state, source = torchvision_state_dict(VGG19_Weights.IMAGENET1K_V1.url, timeout_s)
    if state is None:
        return None, source
    return {k.removeprefix("features."): v for k, v in state.items() if k.startswith("features.")}, source


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
