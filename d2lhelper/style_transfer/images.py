"""Images for style transfer: reading, resizing, and the ImageNet normalisation VGG-19 expects."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from .._checks import check_bool, check_positive_int

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "load_image", "postprocess", "preprocess"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


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
    from ..data import fetch, registry

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
