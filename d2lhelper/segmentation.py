"""Semantic segmentation: per-pixel metrics and the bilinear kernel that initialises upsampling layers.

:func:`segmentation_metrics` accumulates a confusion matrix over all pixels and reads off the pixel
accuracy and the intersection over union of every class; :func:`bilinear_kernel` gives the weights with which
a transposed convolution performs bilinear upsampling, the usual starting point for an FCN's upsampling layer.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ._checks import check_positive_int, check_type
from .metrics import confusion_matrix

__all__ = ["SegmentationMetrics", "segmentation_metrics", "bilinear_kernel"]


@dataclass
class SegmentationMetrics:
    """Per-pixel scores of a segmentation.

    Attributes:
        pixel_accuracy: fraction of pixels whose predicted class is the true one.
        iou: ``(k,)`` float64, the IoU of each class; NaN for a class absent from both prediction and truth.
        mean_iou: mean of ``iou`` over the classes where it is defined (background included).
        mean_iou_foreground: the same mean without class 0 (the background).
        confusion: ``(k, k)`` int64 pixel counts, ``confusion[i, j]`` = true class ``i`` predicted ``j``.
    """

    pixel_accuracy: float
    iou: torch.Tensor
    mean_iou: float
    mean_iou_foreground: float
    confusion: torch.Tensor

    def __iter__(self):
        """Unpack as ``pixel_accuracy, iou, mean_iou = segmentation_metrics(...)``."""
        return iter((self.pixel_accuracy, self.iou, self.mean_iou))


def _iou_from_confusion(cm: torch.Tensor) -> torch.Tensor:
    """IoU per class from a ``(k, k)`` confusion matrix: ``TP / (TP + FP + FN)``, NaN where that is 0 / 0."""
    cm = cm.double()
    tp = cm.diag()
    union = cm.sum(dim=0) + cm.sum(dim=1) - tp  # predicted as c, or truly c
    return torch.where(union > 0, tp / union.clamp(min=1), torch.full_like(tp, float("nan")))


def segmentation_metrics(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> SegmentationMetrics:
    """Pixel accuracy, per-class IoU and mean IoU of predicted label maps.

    For class ``c``, with ``TP`` pixels correctly labelled ``c``, ``FP`` pixels wrongly labelled ``c`` and
    ``FN`` pixels of class ``c`` labelled otherwise,

    .. math:: \\mathrm{IoU}_c = \\frac{TP_c}{TP_c + FP_c + FN_c},

    counted over *all* pixels of all images together (not averaged per image).

    Args:
        pred: ``(N, H, W)`` or ``(H, W)`` int predicted classes (e.g. ``logits.argmax(1)``).
        target: the true classes, same shape, values in ``[0, num_classes)``.
        num_classes: ``k``, including the background class 0.

    Returns:
        a :class:`SegmentationMetrics`; it unpacks as ``(pixel_accuracy, iou, mean_iou)``.
    """
    check_positive_int("num_classes", num_classes)
    check_type("pred", pred, torch.Tensor, "a tensor of predicted class indices")
    check_type("target", target, torch.Tensor, "a tensor of true class indices")
    if pred.shape != target.shape or pred.ndim not in (2, 3):
        raise ValueError(f"pred and target must have the same shape (N, H, W) or (H, W), got "
                         f"{tuple(pred.shape)} and {tuple(target.shape)}")
    for name, t in (("pred", pred), ("target", target)):
        if t.dtype.is_floating_point or t.dtype == torch.bool:
            raise TypeError(f"{name} must hold int class indices (for logits use .argmax(1)), got dtype {t.dtype}")
    if pred.numel() == 0:
        raise ValueError(f"pred and target must hold at least one pixel, got shape {tuple(pred.shape)}")
    cm = confusion_matrix(target.reshape(-1), pred.reshape(-1), num_classes)
    iou = _iou_from_confusion(cm)
    fg = iou[1:]
    return SegmentationMetrics(
        pixel_accuracy=(cm.diag().sum() / cm.sum()).item(),
        iou=iou,
        mean_iou=iou.nanmean().item(),
        mean_iou_foreground=fg.nanmean().item() if len(fg) else float("nan"),
        confusion=cm,
    )


def bilinear_kernel(in_channels: int, out_channels: int, kernel_size: int) -> torch.Tensor:
    """Weights ``(in_channels, out_channels, kernel_size, kernel_size)`` for ``nn.ConvTranspose2d`` that
    upsample each channel bilinearly (channel ``c`` to channel ``c``, zero between different channels).

    With ``kernel_size = 2 s`` and ``stride = s``, ``padding = s // 2`` (``s`` even), the layer matches
    ``F.interpolate(x, scale_factor=s, mode="bilinear")`` away from the border. The 1-D kernel is a tent:
    ``w[i] = 1 - |i - c| / f`` with ``f = ceil(kernel_size / 2)`` and centre ``c`` (``f - 1`` for odd sizes,
    ``f - 0.5`` for even ones); the 2-D kernel is the outer product.
    """
    check_positive_int("in_channels", in_channels)
    check_positive_int("out_channels", out_channels)
    check_positive_int("kernel_size", kernel_size)
    factor = (kernel_size + 1) // 2
    centre = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    i = torch.arange(kernel_size, dtype=torch.float32)
    tent = 1 - (i - centre).abs() / factor
    kernel2d = tent[:, None] * tent[None, :]                       # (k, k)
    weight = torch.zeros(in_channels, out_channels, kernel_size, kernel_size)
    n = min(in_channels, out_channels)
    weight[torch.arange(n), torch.arange(n)] = kernel2d
    return weight
