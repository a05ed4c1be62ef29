"""Generated multi-object scenes with exact boxes and masks, for detection and segmentation (Chapter 10).

No detection dataset can be downloaded here, so Chapter 10 composes its own: every image holds 1 to
``max_objects`` shapes (circle, square, triangle) of random colour, position and size on a random
colour-gradient background with noise. Objects may overlap (the boxes of two objects have an IoU of at
most ``max_iou``); a later object hides the part of an earlier one it covers. The labels are exact:

* ``boxes``: for each object, the tightest axis-aligned box ``(x1, y1, x2, y2)`` in pixel coordinates around
  the *whole* shape (hidden parts included, as in COCO's and VOC's annotations of occluded objects), so that
  ``x2 - x1`` is the shape's width in pixels;
* ``masks``: for each pixel, the class of the object visible there (0 = background).

Shapes: ``N`` images, ``S`` = ``size``, ``K`` objects in an image.
"""
from __future__ import annotations

import dataclasses
import numpy as np
import torch

from ._checks import check_bool, check_float_in_range, check_non_negative_int, check_positive_int, check_type

__all__ = ["CLASSES", "Scenes", "collate", "make_scenes", "mask_overlay"]

#: Class names; index 0 is the background of the masks (boxes use labels 1..3).
CLASSES = ("background", "circle", "square", "triangle")
#: The colour :func:`mask_overlay` gives each class (RGB in [0, 1]).
CLASS_COLOURS = ((0.0, 0.0, 0.0), (0.89, 0.10, 0.11), (0.22, 0.49, 0.72), (0.30, 0.69, 0.29))


@dataclasses.dataclass
class Scenes(torch.utils.data.Dataset):
    """What :func:`make_scenes` returns; also a map-style dataset.

    Attributes:
        images: ``(N, 3, S, S)`` float32 in [0, 1].
        boxes: ``N`` float32 tensors of shape ``(K, 4)``, ``(x1, y1, x2, y2)`` in pixels.
        labels: ``N`` int64 tensors of shape ``(K,)``, values ``1..len(CLASSES) - 1``.
        masks: ``(N, S, S)`` int64, the class visible at each pixel, 0 for background.

    ``scenes[i]`` is ``(images[i], {"boxes": boxes[i], "labels": labels[i], "masks": masks[i]})``, the
    target format of torchvision's detection models; batch with :func:`collate`.
    """

    images: torch.Tensor
    boxes: list[torch.Tensor]
    labels: list[torch.Tensor]
    masks: torch.Tensor

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return self.images[i], {"boxes": self.boxes[i], "labels": self.labels[i], "masks": self.masks[i]}


def collate(batch: list[tuple[torch.Tensor, dict[str, torch.Tensor]]]) -> tuple[torch.Tensor, list[dict]]:
    """``DataLoader`` collate function for :class:`Scenes`: ``(images (B, 3, S, S), [B target dicts])``.

    The images are stacked; the targets stay a list, because each image has its own number of objects.
    """
    check_type("batch", batch, (list, tuple), "a list of (image, target) pairs")
    if not batch:
        raise ValueError("batch must hold at least one (image, target) pair, got an empty list")
    return torch.stack([image for image, _ in batch]), [target for _, target in batch]


def _shape_mask(kind: int, cx: float, cy: float, r: float, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """Boolean ``(S, S)`` mask of a shape of class ``kind`` (1 circle, 2 square, 3 triangle) centred at
    ``(cx, cy)`` with half-size ``r`` pixels; pixel ``(y, x)`` covers ``[x, x + 1) x [y, y + 1)``, tested at its centre."""
    px, py = xx + 0.5, yy + 0.5
    if kind == 1:
        return (px - cx) ** 2 + (py - cy) ** 2 <= r * r
    if kind == 2:
        return (np.abs(px - cx) <= r) & (np.abs(py - cy) <= r)
    # an upright isosceles triangle: apex at (cx, cy - r), base from (cx - r, cy + r) to (cx + r, cy + r)
    inside_rows = (py >= cy - r) & (py <= cy + r)
    half_width = (py - (cy - r)) / 2.0
    return inside_rows & (np.abs(px - cx) <= half_width)


def make_scenes(n: int, *, size: int = 64, max_objects: int = 4, min_size: int = 8, max_size: int = 28,
                max_iou: float = 0.3, noise: float = 0.05, seed: int = 0, notice: bool = True) -> Scenes:
    """Generate ``n`` scenes of ``size`` x ``size`` pixels with 1 to ``max_objects`` shapes each.

    Args:
        n: number of images (> 0).
        size: image side in pixels (>= 16).
        max_objects: most objects in one image (> 0); each image gets a number drawn uniformly from
            ``1..max_objects`` (fewer if no place is found for one within 50 tries).
        min_size, max_size: range of an object's width in pixels, ``1 < min_size <= max_size <= size``.
        max_iou: largest IoU allowed between two objects' boxes, in [0, 1).
        noise: standard deviation of the Gaussian pixel noise, in [0, 0.5].
        seed: seeds everything; use different seeds for training, validation and test sets.
        notice: print a notice that the data are generated, and how.

    Returns:
        a :class:`Scenes`.
    """
    check_positive_int("n", n)
    check_positive_int("size", size)
    if size < 16:
        raise ValueError(f"size must be >= 16 pixels, got {size}")
    check_positive_int("max_objects", max_objects)
    check_positive_int("min_size", min_size)
    check_positive_int("max_size", max_size)
    if not 1 < min_size <= max_size <= size:
        raise ValueError(f"min_size and max_size must satisfy 1 < min_size <= max_size <= size={size}, "
                         f"got min_size={min_size}, max_size={max_size}")
    check_float_in_range("max_iou", max_iou, 0.0, 1.0, include_high=False)
    check_float_in_range("noise", noise, 0.0, 0.5, include_high=True)
    check_non_negative_int("seed", seed)
    check_bool("notice", notice)
    if notice:
        print(f"NOTICE: generated data: {n} images of {size}x{size} pixels, each with 1-{max_objects} circles, "
              f"squares and triangles of random colour, position and size ({min_size}-{max_size} px) on a random "
              f"background, with exact boxes and masks (d2lhelper.scenes, seed {seed}). No detection dataset can "
              f"be downloaded offline; the shapes make the task small enough for a CPU, not easy.")
    from torchvision.ops import box_iou

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    images = np.empty((n, 3, size, size), dtype=np.float32)
    masks = np.zeros((n, size, size), dtype=np.int64)
    all_boxes: list[torch.Tensor] = []
    all_labels: list[torch.Tensor] = []
    for i in range(n):
        # background: a linear gradient between two random colours, in a random direction
        c0, c1 = rng.uniform(0.0, 1.0, 3), rng.uniform(0.0, 1.0, 3)
        angle = rng.uniform(0, 2 * np.pi)
        t = ((xx - size / 2) * np.cos(angle) + (yy - size / 2) * np.sin(angle)) / size + 0.5
        image = c0[:, None, None] * (1 - t) + c1[:, None, None] * t
        boxes: list[np.ndarray] = []
        labels: list[int] = []
        for _ in range(int(rng.integers(1, max_objects + 1))):
            for _try in range(50):
                kind = int(rng.integers(1, len(CLASSES)))
                r = rng.uniform(min_size, max_size) / 2
                cx, cy = rng.uniform(r, size - r), rng.uniform(r, size - r)
                shape = _shape_mask(kind, cx, cy, r, yy, xx)
                if not shape.any():
                    continue
                ys, xs = np.nonzero(shape)
                box = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float32)
                if not boxes or box_iou(torch.from_numpy(box[None]), torch.from_numpy(np.stack(boxes))).max() <= max_iou:
                    break
            else:
                continue
            # a colour that differs from the background under the object by at least 0.3 (max over channels)
            under = image[:, shape].mean(axis=1)
            colour = rng.uniform(0.0, 1.0, 3)
            while np.abs(colour - under).max() < 0.3:
                colour = rng.uniform(0.0, 1.0, 3)
            image[:, shape] = colour[:, None]
            masks[i][shape] = kind
            boxes.append(box)
            labels.append(kind)
        image = image + rng.normal(0.0, noise, image.shape) if noise > 0 else image
        images[i] = np.clip(image, 0.0, 1.0)
        all_boxes.append(torch.from_numpy(np.stack(boxes)))
        all_labels.append(torch.tensor(labels, dtype=torch.int64))
    return Scenes(torch.from_numpy(images), all_boxes, all_labels, torch.from_numpy(masks))


def mask_overlay(image: torch.Tensor, mask: torch.Tensor, alpha: float = 0.5) -> np.ndarray:
    """Blend class colours (:data:`CLASS_COLOURS`) over ``image`` where ``mask`` is not background.

    Args:
        image: ``(3, S, S)`` float in [0, 1].
        mask: ``(S, S)`` int, values in ``0..len(CLASSES) - 1``.
        alpha: weight of the class colour, in [0, 1].

    Returns:
        ``(S, S, 3)`` float array in [0, 1], for ``plt.imshow``.
    """
    check_type("image", image, torch.Tensor, "a (3, S, S) float tensor in [0, 1]")
    check_type("mask", mask, torch.Tensor, "an (S, S) int tensor of class indices")
    if image.ndim != 3 or image.shape[0] != 3:
        raise ValueError(f"image must have shape (3, S, S), got {tuple(image.shape)}")
    if tuple(mask.shape) != tuple(image.shape[1:]):
        raise ValueError(f"mask must have shape {tuple(image.shape[1:])} (the image's), got {tuple(mask.shape)}")
    if mask.dtype.is_floating_point or mask.dtype == torch.bool:
        raise TypeError(f"mask must hold int class indices, got dtype {mask.dtype}")
    if mask.numel() and (int(mask.min()) < 0 or int(mask.max()) >= len(CLASSES)):
        raise ValueError(f"mask must hold values in 0..{len(CLASSES) - 1}, got [{int(mask.min())}, {int(mask.max())}]")
    check_float_in_range("alpha", alpha, 0.0, 1.0, include_high=True)
    rgb = image.detach().cpu().permute(1, 2, 0).numpy().astype(np.float64)
    m = mask.detach().cpu().numpy()
    colours = np.asarray(CLASS_COLOURS)[m]
    blend = np.where((m > 0)[..., None], (1 - alpha) * rgb + alpha * colours, rgb)
    return np.clip(blend, 0.0, 1.0)

