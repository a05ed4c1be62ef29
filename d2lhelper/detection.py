"""Object detection helpers that ``torchvision.ops`` lacks (Chapter 10.1-10.3).

Boxes are ``(N, 4)`` float tensors in ``xyxy`` pixel coordinates ``(x1, y1, x2, y2)``, the format
``torchvision.ops`` uses. IoU, format conversion, NMS and clipping come from ``torchvision.ops``; this module
adds what sits around them in a single-shot detector:

- :func:`make_anchors`: anchor boxes at several sizes and aspect ratios centred on every feature-map cell;
- :func:`match_anchors` and :func:`anchor_targets`: which ground-truth box each anchor is responsible for;
- :func:`encode_boxes` / :func:`decode_boxes`: the SSD / Faster R-CNN offset parameterisation with variances;
- :func:`postprocess`: decode, threshold, per-class NMS (``torchvision.ops.batched_nms``), keep the top scores;
- :func:`pr_curve`, :func:`average_precision`, :func:`mean_average_precision`: detection mAP@IoU;
- :func:`draw_boxes`: boxes with labels and scores on an image, for matplotlib;
- :func:`fasterrcnn_mobilenet`: torchvision's Faster R-CNN with COCO weights when they can be had (cached or
  downloadable), else random weights and a printed notice.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import torch

from d2lhelper._checks import (check_axes, check_float_in_range, check_positive_float, check_positive_int,
                               check_type)

__all__ = ["make_anchors", "match_anchors", "anchor_targets", "encode_boxes", "decode_boxes", "postprocess",
           "pr_curve", "average_precision", "mean_average_precision", "draw_boxes", "fasterrcnn_mobilenet"]

VARIANCES = (0.1, 0.2)
"""SSD's scaling of the centre offsets (0.1) and log-size offsets (0.2): it brings the targets to about unit scale."""


# --------------------------------------------------------------------- argument checks
def _check_boxes(name: str, boxes: Any) -> torch.Tensor:
    if not isinstance(boxes, torch.Tensor):
        raise TypeError(f"{name} must be a float tensor of shape (N, 4), got {type(boxes).__name__}")
    if boxes.dim() != 2 or boxes.shape[-1] != 4:
        raise ValueError(f"{name} must have shape (N, 4) (xyxy boxes), got {tuple(boxes.shape)}")
    if not boxes.is_floating_point():
        raise TypeError(f"{name} must be a float tensor, got dtype {boxes.dtype}")
    return boxes


def _check_variances(variances: Any) -> tuple[float, float]:
    if (isinstance(variances, str) or not hasattr(variances, "__len__") or len(variances) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in variances)):
        raise ValueError(f"variances must be a pair of positive numbers (centre, size) such as (0.1, 0.2), "
                         f"got {variances!r:.60}")
    return float(variances[0]), float(variances[1])


def _check_hw(name: str, value: Any) -> tuple[int, int]:
    """An int ``s`` (square) or a pair ``(height, width)`` of positive ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)):
        raise ValueError(f"{name} must be a positive int or a pair (height, width) of positive ints, "
                         f"got {value!r:.60}")
    return int(value[0]), int(value[1])


def _check_positive_numbers(name: str, values: Any, example: str) -> list[float]:
    if isinstance(values, (int, float)) and not isinstance(values, bool):
        values = [values]
    try:
        values = [float(v) for v in values]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of positive numbers such as {example}, got {values!r:.60}") from None
    if not values or not all(0 < v < float("inf") for v in values):
        raise ValueError(f"{name} must be a non-empty sequence of positive numbers such as {example}, got {values}")
    return values


# --------------------------------------------------------------------- anchors
def make_anchors(feature_size: int | tuple[int, int], image_size: int | tuple[int, int],
                 sizes: Sequence[float], ratios: Sequence[float] = (1.0,)) -> torch.Tensor:
    """Anchor boxes centred on every cell of a feature map, in image pixels.

    A cell ``(i, j)`` of an ``H x W`` map over an image of ``image_h x image_w`` pixels covers a stride of
    ``(image_h / H, image_w / W)`` pixels; its anchors are centred at ``((j + 0.5) s_w, (i + 0.5) s_h)``. For each
    size ``s`` and aspect ratio ``r = width / height`` the anchor has area ``s^2``:
    ``w = s sqrt(r)``, ``h = s / sqrt(r)``. Every size is combined with every ratio, so a cell has
    ``A = len(sizes) * len(ratios)`` anchors.

    Args:
        feature_size: ``H`` (square) or ``(H, W)`` of the feature map.
        image_size: ``S`` (square) or ``(image_h, image_w)`` in pixels.
        sizes: anchor sides in pixels, e.g. ``(12, 20)``.
        ratios: width / height, e.g. ``(1, 2, 0.5)``.

    Returns:
        ``(H * W * A, 4)`` float32 xyxy boxes, cell-major: the ``A`` anchors of cell ``(0, 0)``, then of
        ``(0, 1)``, ... This matches a head output of shape ``(B, A * K, H, W)`` permuted to ``(B, H, W, A, K)``
        and reshaped to ``(B, H * W * A, K)``.
    """
    fh, fw = _check_hw("feature_size", feature_size)
    ih, iw = _check_hw("image_size", image_size)
    sizes = _check_positive_numbers("sizes", sizes, "(12, 20)")
    ratios = _check_positive_numbers("ratios", ratios, "(1, 2, 0.5)")
    s = torch.tensor(sizes).repeat_interleave(len(ratios))              # (A,)
    r = torch.tensor(ratios).repeat(len(sizes)).sqrt()                 # (A,)
    half = torch.stack([s * r, s / r], dim=1) / 2                      # (A, 2): half width, half height
    cy = (torch.arange(fh, dtype=torch.float32) + 0.5) * (ih / fh)
    cx = (torch.arange(fw, dtype=torch.float32) + 0.5) * (iw / fw)
    yy, xx = torch.meshgrid(cy, cx, indexing="ij")
    centres = torch.stack([xx, yy], dim=-1).reshape(-1, 1, 2)          # (H*W, 1, 2)
    boxes = torch.cat([centres - half, centres + half], dim=-1)        # (H*W, A, 4)
    return boxes.reshape(-1, 4)


def match_anchors(anchors: torch.Tensor, gt_boxes: torch.Tensor, iou_threshold: float = 0.5) -> torch.Tensor:
    """The index of the ground-truth box each anchor is assigned to, or -1 for background.

    Two rules, applied in this order:

    1. an anchor whose best IoU with any ground truth is ``>= iou_threshold`` is assigned that ground truth;
    2. every ground truth is then assigned its own best anchor, even below the threshold, so that no object
       is left without a positive anchor (the later ground truth wins if two share a best anchor).

    Args:
        anchors: ``(A, 4)`` xyxy.
        gt_boxes: ``(G, 4)`` xyxy; ``G`` may be 0.
        iou_threshold: in ``[0, 1]``.

    Returns:
        ``(A,)`` int64 in ``[-1, G)``.
    """
    from torchvision.ops import box_iou

    _check_boxes("anchors", anchors)
    _check_boxes("gt_boxes", gt_boxes)
    check_float_in_range("iou_threshold", iou_threshold, 0.0, 1.0, include_high=True)
    matched = torch.full((anchors.shape[0],), -1, dtype=torch.long, device=anchors.device)
    if gt_boxes.shape[0] == 0 or anchors.shape[0] == 0:
        return matched
    iou = box_iou(anchors, gt_boxes.to(anchors))                       # (A, G)
    best_iou, best_gt = iou.max(dim=1)                                 # (A,)
    keep = best_iou >= iou_threshold
    matched[keep] = best_gt[keep]
    best_anchor = iou.argmax(dim=0)                                    # (G,)
    matched[best_anchor] = torch.arange(gt_boxes.shape[0], device=anchors.device)
    return matched


def encode_boxes(anchors: torch.Tensor, boxes: torch.Tensor,
                 variances: tuple[float, float] = VARIANCES) -> torch.Tensor:
    r"""Offsets of ``boxes`` relative to ``anchors`` (row ``i`` with row ``i``), the regression targets.

    With centres ``(x, y)`` and sizes ``(w, h)`` of box ``b`` and anchor ``a`` and variances ``(v_c, v_s)``:

    .. math::
        t_x = \frac{x_b - x_a}{w_a v_c},\quad t_y = \frac{y_b - y_a}{h_a v_c},\quad
        t_w = \frac{\log(w_b / w_a)}{v_s},\quad t_h = \frac{\log(h_b / h_a)}{v_s}.

    Args:
        anchors, boxes: ``(N, 4)`` xyxy with positive widths and heights.

    Returns:
        ``(N, 4)`` offsets ``(t_x, t_y, t_w, t_h)``; :func:`decode_boxes` inverts it.
    """
    from torchvision.ops import box_convert

    _check_boxes("anchors", anchors)
    _check_boxes("boxes", boxes)
    vc, vs = _check_variances(variances)
    if anchors.shape != boxes.shape:
        raise ValueError(f"anchors and boxes must have the same shape (N, 4), got {tuple(anchors.shape)} "
                         f"and {tuple(boxes.shape)}")
    a = box_convert(anchors, "xyxy", "cxcywh")
    b = box_convert(boxes.to(anchors), "xyxy", "cxcywh")
    if (a[:, 2:] <= 0).any() or (b[:, 2:] <= 0).any():
        raise ValueError("anchors and boxes must have x2 > x1 and y2 > y1 (positive width and height)")
    centre = (b[:, :2] - a[:, :2]) / (a[:, 2:] * vc)
    size = torch.log(b[:, 2:] / a[:, 2:]) / vs
    return torch.cat([centre, size], dim=1)


_MAX_LOG_SCALE = math.log(1000.0 / 16)   # as torchvision: a predicted box at most 62.5 times its anchor


def decode_boxes(anchors: torch.Tensor, offsets: torch.Tensor,
                 variances: tuple[float, float] = VARIANCES) -> torch.Tensor:
    """Boxes from anchors and offsets, the inverse of :func:`encode_boxes`.

    Args:
        anchors: ``(N, 4)`` xyxy.
        offsets: ``(N, 4)`` or ``(B, N, 4)``; the log-size offsets are clamped at ``log(1000 / 16)`` so
            that an untrained head cannot overflow ``exp``.

    Returns:
        xyxy boxes of the shape of ``offsets``.
    """
    from torchvision.ops import box_convert

    _check_boxes("anchors", anchors)
    vc, vs = _check_variances(variances)
    if not isinstance(offsets, torch.Tensor) or offsets.shape[-2:] != anchors.shape or offsets.dim() > 3:
        got = tuple(offsets.shape) if isinstance(offsets, torch.Tensor) else type(offsets).__name__
        raise ValueError(f"offsets must have shape {tuple(anchors.shape)} or (B, {anchors.shape[0]}, 4) "
                         f"like anchors, got {got}")
    a = box_convert(anchors, "xyxy", "cxcywh")
    centre = a[:, :2] + offsets[..., :2] * vc * a[:, 2:]
    size = a[:, 2:] * torch.exp((offsets[..., 2:] * vs).clamp(max=_MAX_LOG_SCALE))
    return box_convert(torch.cat([centre, size], dim=-1).reshape(-1, 4), "cxcywh", "xyxy").reshape(offsets.shape)


def anchor_targets(anchors: torch.Tensor, gt_boxes: torch.Tensor, gt_labels: torch.Tensor,
                   iou_threshold: float = 0.5,
                   variances: tuple[float, float] = VARIANCES) -> tuple[torch.Tensor, torch.Tensor]:
    """Classification and regression targets of every anchor for one image.

    Args:
        anchors: ``(A, 4)`` xyxy.
        gt_boxes: ``(G, 4)`` xyxy; ``gt_labels``: ``(G,)`` int64 classes ``>= 1`` (0 is background).

    Returns:
        ``labels`` ``(A,)`` int64, 0 for background, else the class of the matched ground truth
        (:func:`match_anchors`); ``offsets`` ``(A, 4)``, :func:`encode_boxes` of the matched box (zeros for
        background anchors, which take no part in the box loss).
    """
    _check_boxes("gt_boxes", gt_boxes)
    if (not isinstance(gt_labels, torch.Tensor) or gt_labels.shape != gt_boxes.shape[:1]
            or gt_labels.is_floating_point()):
        got = (f"{gt_labels.dtype} {tuple(gt_labels.shape)}" if isinstance(gt_labels, torch.Tensor)
               else type(gt_labels).__name__)
        raise ValueError(f"gt_labels must be an int64 tensor of shape ({gt_boxes.shape[0]},) like gt_boxes, got {got}")
    if gt_labels.numel() and int(gt_labels.min()) < 1:
        raise ValueError(f"gt_labels must be >= 1 (0 is the background class), got {int(gt_labels.min())}")
    matched = match_anchors(anchors, gt_boxes, iou_threshold)
    positive = matched >= 0
    labels = torch.zeros(anchors.shape[0], dtype=torch.long, device=anchors.device)
    labels[positive] = gt_labels.to(anchors.device)[matched[positive]]
    offsets = torch.zeros_like(anchors)
    if positive.any():
        offsets[positive] = encode_boxes(anchors[positive], gt_boxes.to(anchors)[matched[positive]], variances)
    return labels, offsets


# --------------------------------------------------------------------- post-processing
def postprocess(scores: torch.Tensor, offsets: torch.Tensor, anchors: torch.Tensor, *,
                score_threshold: float = 0.05, iou_threshold: float = 0.5, max_detections: int = 100,
                image_size: int | tuple[int, int] | None = None,
                variances: tuple[float, float] = VARIANCES) -> list[dict[str, torch.Tensor]]:
    """Detections from a single-shot head: decode, threshold, per-class NMS, keep the best.

    Each anchor proposes one candidate per class whose score passes ``score_threshold`` (SSD's rule, so one
    anchor may yield a circle and a square); NMS (``torchvision.ops.batched_nms``) runs within each class.

    Args:
        scores: ``(B, A, C)`` probabilities of the foreground classes, column ``c`` for class ``c + 1``
            (a softmax without its background column, or a sigmoid).
        offsets: ``(B, A, 4)`` predicted offsets; ``anchors``: ``(A, 4)``.
        image_size: ``S`` or ``(height, width)`` to clip boxes to the image, or None.

    Returns:
        ``B`` dicts with ``boxes`` ``(D, 4)``, ``scores`` ``(D,)``, ``labels`` ``(D,)`` int64 in ``1..C``,
        sorted by score, ``D <= max_detections``: the format of torchvision's detectors and of
        :func:`mean_average_precision`.
    """
    from torchvision.ops import batched_nms, clip_boxes_to_image

    _check_boxes("anchors", anchors)
    if not isinstance(scores, torch.Tensor) or scores.dim() != 3 or scores.shape[1] != anchors.shape[0]:
        got = tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
        raise ValueError(f"scores must have shape (B, {anchors.shape[0]}, C) (batch, anchors, classes), got {got}")
    if not isinstance(offsets, torch.Tensor) or offsets.shape != (*scores.shape[:2], 4):
        got = tuple(offsets.shape) if isinstance(offsets, torch.Tensor) else type(offsets).__name__
        raise ValueError(f"offsets must have shape {(*scores.shape[:2], 4)} like scores, got {got}")
    check_float_in_range("score_threshold", score_threshold, 0.0, 1.0)
    check_float_in_range("iou_threshold", iou_threshold, 0.0, 1.0, include_high=True)
    check_positive_int("max_detections", max_detections)
    hw = _check_hw("image_size", image_size) if image_size is not None else None
    boxes = decode_boxes(anchors, offsets, variances)                  # (B, A, 4)
    out = []
    for b in range(scores.shape[0]):
        anchor_idx, cls = torch.nonzero(scores[b] > score_threshold, as_tuple=True)
        s, bx = scores[b, anchor_idx, cls], boxes[b, anchor_idx]
        if hw is not None:
            bx = clip_boxes_to_image(bx, hw)
        keep = batched_nms(bx, s, cls, iou_threshold)[:max_detections]  # sorted by decreasing score
        out.append({"boxes": bx[keep], "scores": s[keep], "labels": cls[keep] + 1})
    return out


# --------------------------------------------------------------------- evaluation
def _check_detections(preds: Any, targets: Any) -> None:
    for name, items, keys in (("preds", preds, ("boxes", "scores", "labels")), ("targets", targets, ("boxes", "labels"))):
        if not isinstance(items, (list, tuple)):
            raise TypeError(f"{name} must be a list with one dict per image, got {type(items).__name__}")
        for i, item in enumerate(items):
            if not isinstance(item, dict) or any(k not in item for k in keys):
                raise ValueError(f"{name}[{i}] must be a dict with keys {keys}, got "
                                 f"{sorted(item) if isinstance(item, dict) else type(item).__name__}")
            _check_boxes(f"{name}[{i}]['boxes']", item["boxes"])
            for k in keys[1:]:
                if not isinstance(item[k], torch.Tensor) or item[k].shape != item["boxes"].shape[:1]:
                    raise ValueError(f"{name}[{i}][{k!r}] must be a tensor of shape ({item['boxes'].shape[0]},) "
                                     f"like its boxes, got {getattr(item[k], 'shape', type(item[k]).__name__)}")
    if len(preds) != len(targets):
        raise ValueError(f"preds and targets must hold one entry per image, got {len(preds)} and {len(targets)}")


def pr_curve(preds: list[dict[str, torch.Tensor]], targets: list[dict[str, torch.Tensor]], label: int,
             iou_threshold: float = 0.5) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Precision and recall after each detection of class ``label``, ranked by score over all images.

    A detection is a true positive if its IoU with a ground truth of its class in its image is
    ``>= iou_threshold`` and that ground truth is not yet taken by a higher-scoring detection: detections are
    visited in decreasing score and each takes the best-IoU ground truth still free (the COCO rule). Every
    other detection, a duplicate included, is a false positive.

    Args:
        preds: one dict per image with ``boxes`` ``(D, 4)``, ``scores`` ``(D,)``, ``labels`` ``(D,)``.
        targets: one dict per image with ``boxes`` ``(G, 4)``, ``labels`` ``(G,)``.

    Returns:
        ``precision`` and ``recall``, float64 ``(N,)`` for the ``N`` detections of the class, and the number
        of ground truths of the class (recall's denominator).
    """
    from torchvision.ops import box_iou

    _check_detections(preds, targets)
    check_positive_int("label", label)
    check_float_in_range("iou_threshold", iou_threshold, 0.0, 1.0, include_high=True)
    n_gt, records = 0, []                                              # records: (score, is true positive)
    for pred, target in zip(preds, targets):
        gt = target["boxes"][target["labels"] == label]
        n_gt += gt.shape[0]
        mine = pred["labels"] == label
        boxes, scores = pred["boxes"][mine], pred["scores"][mine]
        order = torch.argsort(scores, descending=True, stable=True)
        taken = torch.zeros(gt.shape[0], dtype=torch.bool)
        iou = box_iou(boxes[order].double(), gt.double()) if gt.shape[0] else None   # float64, as pycocotools
        for row, i in enumerate(order.tolist()):
            tp = False
            if iou is not None:
                free = iou[row].masked_fill(taken, -1.0)
                best = int(free.argmax())
                if free[best] >= iou_threshold:
                    taken[best], tp = True, True
            records.append((float(scores[i]), tp))
    records.sort(key=lambda r: -r[0])                                  # stable: ties keep image order
    tp = torch.tensor([r[1] for r in records], dtype=torch.float64)
    tp_cum, fp_cum = tp.cumsum(0), (1 - tp).cumsum(0)
    precision = tp_cum / (tp_cum + fp_cum).clamp(min=1)
    recall = tp_cum / max(n_gt, 1)
    return precision, recall, n_gt


def average_precision(precision: torch.Tensor, recall: torch.Tensor, recall_points: int | None = None) -> float:
    r"""Area under the interpolated precision-recall curve.

    The interpolated precision at recall ``r`` is the best precision at any recall ``>= r``:
    :math:`p_{\text{interp}}(r) = \max_{r' \ge r} p(r')`. With ``recall_points=None`` (VOC 2010+, "all
    points") AP is the exact area under that step function, :math:`\sum_k (r_k - r_{k-1})\, p_{\text{interp}}(r_k)`;
    with ``recall_points=101`` (COCO) it is the mean of :math:`p_{\text{interp}}` at ``0, 0.01, ..., 1``.

    Args:
        precision, recall: ``(N,)`` from :func:`pr_curve`, recall non-decreasing.

    Returns:
        AP in ``[0, 1]``; 0.0 when there are no detections.
    """
    for name, value in (("precision", precision), ("recall", recall)):
        if not isinstance(value, torch.Tensor) or value.dim() != 1:
            raise ValueError(f"{name} must be a 1-d tensor, got "
                             f"{tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__}")
    if precision.shape != recall.shape:
        raise ValueError(f"precision and recall must have the same shape, got {tuple(precision.shape)} "
                         f"and {tuple(recall.shape)}")
    if recall_points is not None:
        check_positive_int("recall_points", recall_points)
    if precision.numel() == 0:
        return 0.0
    p, r = precision.double(), recall.double()
    envelope = p.flip(0).cummax(0).values.flip(0)                      # max precision at recall >= r_k
    if recall_points is None:
        widths = torch.diff(r, prepend=r.new_zeros(1))
        return float((widths * envelope).sum())
    # the grid as numpy.linspace (and so pycocotools) computes it, i * (1 / (n - 1)): torch.linspace rounds some
    # points differently, and a recall that equals a grid point exactly (k / n_gt = 0.29) must compare the same way
    grid = torch.arange(recall_points, dtype=torch.float64) * (1.0 / max(recall_points - 1, 1))
    grid[-1] = 1.0 if recall_points > 1 else 0.0
    idx = torch.searchsorted(r, grid, side="left")                     # first detection reaching each recall
    at = torch.where(idx < len(r), envelope[idx.clamp(max=len(r) - 1)], torch.zeros_like(grid))
    return float(at.mean())


def mean_average_precision(preds: list[dict[str, torch.Tensor]], targets: list[dict[str, torch.Tensor]],
                           iou_threshold: float = 0.5, recall_points: int | None = None) -> dict[str, Any]:
    """mAP@``iou_threshold``: the mean over classes of :func:`average_precision` of each :func:`pr_curve`.

    Classes are those that have at least one ground truth; a class with ground truths but no detections
    scores 0. ``recall_points=None`` is the VOC all-point AP; ``101`` is COCO's interpolation, which
    ``torchmetrics.detection.MeanAveragePrecision(iou_thresholds=[0.5])`` reports as ``map``.

    Returns:
        ``{"map": float, "ap": {label: float}, "num_gt": {label: int}}``.
    """
    _check_detections(preds, targets)
    labels = sorted({int(v) for t in targets for v in t["labels"].tolist()})
    ap, num_gt = {}, {}
    for label in labels:
        precision, recall, n = pr_curve(preds, targets, label, iou_threshold)
        ap[label], num_gt[label] = average_precision(precision, recall, recall_points), n
    return {"map": sum(ap.values()) / len(ap) if ap else 0.0, "ap": ap, "num_gt": num_gt}


# --------------------------------------------------------------------- drawing
def draw_boxes(ax: Any, image: Any, boxes: torch.Tensor, labels: torch.Tensor | None = None,
               scores: torch.Tensor | None = None, class_names: Sequence[str] | None = None, *,
               color: Any = None, linewidth: float = 1.5, fontsize: float = 7) -> Any:
    """Draw an image and xyxy ``boxes`` on it, each captioned with its class name and score.

    Args:
        ax: a matplotlib Axes.
        image: ``(3, H, W)`` or ``(H, W)`` tensor, or an ``(H, W, 3)`` array, floats in ``[0, 1]`` or
            uint8; None draws the boxes alone.
        boxes: ``(N, 4)`` xyxy pixels. ``labels``: ``(N,)`` ints; ``scores``: ``(N,)`` floats.
        class_names: names indexed by label (``class_names[labels[i]]``).
        color: one colour for all boxes; by default each label gets a colour of the ``tab10`` cycle.

    Returns:
        ``ax``.
    """
    import matplotlib.patches as patches
    import numpy as np

    if ax is None:
        raise TypeError("ax must be a matplotlib Axes (e.g. from plt.subplots()), got None")
    check_axes("ax", ax)
    if not isinstance(boxes, torch.Tensor):
        boxes = torch.as_tensor(np.asarray(boxes, dtype=np.float32))
    boxes = _check_boxes("boxes", boxes.reshape(-1, 4) if boxes.numel() == 0 else boxes).detach().cpu()
    for name, value in (("labels", labels), ("scores", scores)):
        if value is not None and len(value) != len(boxes):
            raise ValueError(f"{name} must have one entry per box ({len(boxes)}), got {len(value)}")
    if class_names is not None:
        check_type("class_names", class_names, (list, tuple), "a list or tuple of str")
        if labels is not None and len(labels) and int(max(labels)) >= len(class_names):
            raise ValueError(f"class_names has {len(class_names)} names but labels go up to {int(max(labels))}")
    if image is not None:
        img = image.detach().cpu() if isinstance(image, torch.Tensor) else torch.as_tensor(np.asarray(image))
        if img.dim() == 3 and img.shape[0] in (1, 3) and img.shape[-1] not in (1, 3):
            img = img.permute(1, 2, 0)
        if img.dim() not in (2, 3):
            raise ValueError(f"image must be (3, H, W), (H, W, 3) or (H, W), got {tuple(img.shape)}")
        img = img.numpy()
        ax.imshow(img.clip(0, 1) if img.dtype.kind == "f" else img, cmap="gray" if img.ndim == 2 else None)
        ax.set_xlim(-0.5, img.shape[1] - 0.5)                          # boxes past the border are cut off
        ax.set_ylim(img.shape[0] - 0.5, -0.5)
    cycle = [f"C{i}" for i in range(10)]
    for i, (x1, y1, x2, y2) in enumerate(boxes.tolist()):
        c = color if color is not None else cycle[int(labels[i]) % 10] if labels is not None else cycle[0]
        ax.add_patch(patches.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=c, linewidth=linewidth))
        text = []
        if labels is not None:
            text.append(class_names[int(labels[i])] if class_names is not None else str(int(labels[i])))
        if scores is not None:
            text.append(f"{float(scores[i]):.2f}")
        if text:
            ax.text(x1, y1, " ".join(text), color="white", fontsize=fontsize, va="bottom",
                    bbox={"facecolor": c, "alpha": 0.8, "pad": 1, "edgecolor": "none"})
    if image is None:
        ax.autoscale_view()
        if not ax.yaxis_inverted():
            ax.invert_yaxis()
    return ax


# --------------------------------------------------------------------- a library detector
COCO_CLASSES = 91
"""Outputs of torchvision's COCO detectors: 90 category ids (some unused) and the background, 0."""


def fasterrcnn_mobilenet(num_classes: int = COCO_CLASSES, pretrained: bool | str = "auto", *,
                         timeout_s: float = 20.0, **kwargs: Any) -> torch.nn.Module:
    """torchvision's ``fasterrcnn_mobilenet_v3_large_fpn``, with its COCO weights where they can be had.

    ``pretrained="auto"`` loads the COCO weights (``FasterRCNN_MobileNet_V3_Large_FPN_Weights.COCO_V1``) when
    they are in the torch hub cache, or when ``D2LHELPER_OFFLINE`` is not set and the download (about 74 MB,
    SHA-256 checked) succeeds within ``timeout_s`` per read; otherwise it prints a notice and builds the model
    with random weights. ``True`` requires the COCO weights, ``False`` asks for random ones. With COCO weights
    and ``num_classes`` other than 91, the box predictor is replaced by a fresh one for ``num_classes``
    (background included): the usual start of fine-tuning. The returned model has an attribute ``weights``,
    ``"coco"`` or ``"random"``.

    Args:
        num_classes: output classes, background included (> 1).
        pretrained: ``"auto"``, ``True`` or ``False``.
        timeout_s: network timeout of the download attempt, in seconds.
        **kwargs: passed to the model, e.g. ``min_size=128, max_size=128`` for small images.

    Raises:
        RuntimeError: ``pretrained=True`` but the COCO weights cannot be had.
    """
    from torchvision.models.detection import FasterRCNN_MobileNet_V3_Large_FPN_Weights, fasterrcnn_mobilenet_v3_large_fpn
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor

    from ._weights import torchvision_state_dict

    check_positive_int("num_classes", num_classes)
    if num_classes < 2:
        raise ValueError(f"num_classes must count the background too (>= 2), got {num_classes}")
    if not (pretrained is True or pretrained is False or pretrained == "auto"):
        raise ValueError(f"pretrained must be True, False or 'auto', got {pretrained!r}")
    check_positive_float("timeout_s", timeout_s)
    weights = FasterRCNN_MobileNet_V3_Large_FPN_Weights.COCO_V1
    state, why = (None, "pretrained=False was asked for") if pretrained is False else \
        torchvision_state_dict(weights.url, timeout_s)
    if state is None:
        if pretrained is True:
            raise RuntimeError(f"pretrained=True, but the COCO Faster R-CNN weights cannot be had: {why}")
        print(f"NOTICE: Faster R-CNN with RANDOM weights, not COCO ones: {why}. Its outputs are noise until trained; "
              f"with COCO weights it detects the 80 COCO object categories (box mAP "
              f"{weights.meta['_metrics']['COCO-val2017']['box_map']} on COCO val2017).", flush=True)
        model = fasterrcnn_mobilenet_v3_large_fpn(weights=None, weights_backbone=None, num_classes=num_classes, **kwargs)
        model.weights = "random"
        return model
    model = fasterrcnn_mobilenet_v3_large_fpn(weights=None, weights_backbone=None, num_classes=COCO_CLASSES, **kwargs)
    model.load_state_dict(state)
    if num_classes != COCO_CLASSES:
        in_features = model.roi_heads.box_predictor.cls_score.in_features
        model.roi_heads.box_predictor = FastRCNNPredictor(in_features, num_classes)
    print(f"Faster R-CNN: COCO weights ({why})" + ("" if num_classes == COCO_CLASSES else
          f", with a new, untrained box predictor for {num_classes} classes"), flush=True)
    model.weights = "coco"
    return model
