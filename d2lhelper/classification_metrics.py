r"""Metrics of a binary classifier: confusion counts, precision/recall/F1, ROC and precision-recall curves.

Labels ``y_true`` are 0/1 (1 is the positive class) and ``y_score`` holds one real score per example,
higher meaning "more likely positive" (a probability, or a logit). An example is *predicted* positive
at threshold :math:`t` when ``y_score >= t``. With the counts of true/false positives/negatives,

.. math::

    \text{precision} = \frac{TP}{TP + FP},\quad \text{recall} = \text{TPR} = \frac{TP}{TP + FN},\quad
    \text{FPR} = \frac{FP}{FP + TN},\quad F_1 = \frac{2\,\text{precision}\cdot\text{recall}}
    {\text{precision} + \text{recall}}.

The curves sweep :math:`t` over the distinct scores; tied scores move together, so each distinct score
is one point. The results agree with scikit-learn's ``precision_score``, ``recall_score``, ``f1_score``,
``roc_curve(drop_intermediate=False)``, ``roc_auc_score``, ``precision_recall_curve`` and
``average_precision_score`` (the tests check this to 1e-6, ties included).
"""
from __future__ import annotations

import math
from typing import Any

import torch

from ._checks import _got, _is_real, check_type

__all__ = ["auc", "average_precision", "binary_confusion", "pr_curve", "precision_recall_f1", "roc_auc",
           "roc_curve"]


# ---------------------------------------------------------------- argument checks


def _check_labels(y_true: Any, *, both_classes: bool) -> torch.Tensor:
    """``y_true`` as a float64 tensor of 0/1, shape ``(n,)``; with ``both_classes``, both must occur."""
    check_type("y_true", y_true, torch.Tensor, "a 1-D tensor of 0/1 labels")
    if y_true.ndim != 1 or len(y_true) == 0:
        raise ValueError(f"y_true must have shape (n,) with n > 0, got {tuple(y_true.shape)}")
    if y_true.is_complex():
        raise TypeError(f"y_true must hold 0/1 labels (bool, int or float), got dtype {y_true.dtype}")
    y = y_true.detach().cpu().double()
    if not ((y == 0) | (y == 1)).all():
        bad = y[(y != 0) & (y != 1)][0].item()
        raise ValueError(f"y_true must hold only 0 and 1 (1 = positive class), got the value {bad:g}")
    if both_classes:
        n_pos = int(y.sum().item())
        if n_pos == 0 or n_pos == len(y):
            only = "positives (1)" if n_pos else "negatives (0)"
            raise ValueError(f"y_true must contain both classes, got only {only} in {len(y)} labels: "
                             "the rate of the missing class is 0/0, so the curve is undefined")
    return y


def _check_scores(y_score: Any, n: int) -> torch.Tensor:
    """``y_score`` as a float64 tensor of finite numbers, shape ``(n,)``."""
    check_type("y_score", y_score, torch.Tensor, "a 1-D tensor of scores (probabilities or logits)")
    if tuple(y_score.shape) != (n,):
        raise ValueError(f"y_score must have shape ({n},) like y_true, got {tuple(y_score.shape)}")
    if y_score.is_complex():
        raise TypeError(f"y_score must hold real numbers, got dtype {y_score.dtype}")
    s = y_score.detach().cpu().double()
    if not torch.isfinite(s).all():
        raise ValueError(f"y_score must hold finite numbers, got {s[~torch.isfinite(s)][0].item()}")
    return s


def _check_threshold(threshold: Any) -> float:
    if not _is_real(threshold):
        raise TypeError(f"threshold must be a real number (scores >= threshold are predicted positive), "
                        f"got {_got(threshold)}")
    if math.isnan(threshold):
        raise ValueError("threshold must be a real number, got nan")
    return float(threshold)


# ---------------------------------------------------------------- one threshold


def binary_confusion(y_true: torch.Tensor, y_score: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """The 2x2 confusion matrix ``[[TN, FP], [FN, TP]]`` (rows: true class 0/1, columns: predicted 0/1).

    Args:
        y_true: labels, shape ``(n,)``, values 0/1.
        y_score: scores, shape ``(n,)``; example ``i`` is predicted positive if ``y_score[i] >= threshold``.
            Hard 0/1 predictions work with the default threshold 0.5.
        threshold: the decision threshold.

    Returns:
        An int64 tensor of shape ``(2, 2)``, laid out like ``sklearn.metrics.confusion_matrix``.
    """
    y = _check_labels(y_true, both_classes=False)
    return _confusion(y, _check_scores(y_score, len(y)), _check_threshold(threshold))


def _confusion(y: torch.Tensor, s: torch.Tensor, t: float) -> torch.Tensor:
    """:func:`binary_confusion` of checked labels ``y (n,)`` and scores ``s (n,)``: ``(2, 2)`` int64."""
    return torch.bincount(y.long() * 2 + (s >= t).long(), minlength=4).reshape(2, 2)


def precision_recall_f1(y_true: torch.Tensor, y_score: torch.Tensor,
                        threshold: float = 0.5) -> tuple[float, float, float]:
    """Precision, recall and F1 of the predictions ``y_score >= threshold``.

    Precision is taken as 0 when nothing is predicted positive (scikit-learn's ``zero_division`` value),
    and F1 as 0 when precision and recall are both 0.

    Args:
        y_true: labels, shape ``(n,)``, values 0/1, with at least one positive (else recall is 0/0).
        y_score: scores or hard 0/1 predictions, shape ``(n,)``.
        threshold: the decision threshold.

    Returns:
        ``(precision, recall, f1)`` as floats.
    """
    y = _check_labels(y_true, both_classes=False)
    if y.sum() == 0:
        raise ValueError(f"y_true must contain at least one positive (1), got {len(y)} negatives: recall "
                         "TP / (TP + FN) would be 0/0")
    (_, fp), (fn, tp) = _confusion(y, _check_scores(y_score, len(y)), _check_threshold(threshold)).tolist()
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# ---------------------------------------------------------------- all thresholds


def _counts_at_thresholds(y: torch.Tensor, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For each distinct score, in decreasing order: FP and TP counts of ``s >= score``, and the score.

    Sorting once and taking cumulative sums gives all ``k`` thresholds in ``O(n log n)``; each output
    has shape ``(k,)``, ``k`` the number of distinct scores.
    """
    s_sorted, order = torch.sort(s, descending=True, stable=True)
    tps = torch.cumsum(y[order], dim=0)  # (n,): positives among the i+1 highest scores
    fps = torch.arange(1, len(y) + 1, dtype=torch.float64) - tps
    # the last position of each run of equal scores: ties cross the threshold together
    last = torch.cat([torch.nonzero(s_sorted[1:] != s_sorted[:-1]).flatten(), torch.tensor([len(y) - 1])])
    return fps[last], tps[last], s_sorted[last]


def roc_curve(y_true: torch.Tensor, y_score: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The ROC curve: false positive rate and true positive rate at every distinct threshold.

    Args:
        y_true: labels, shape ``(n,)``, values 0/1, both classes present.
        y_score: scores, shape ``(n,)``.

    Returns:
        ``(fpr, tpr, thresholds)``, float64 tensors of shape ``(k + 1,)`` for ``k`` distinct scores:
        thresholds decrease from ``inf`` (nothing predicted positive, the point (0, 0)) to the smallest
        score (everything positive, the point (1, 1)). Equals ``sklearn.metrics.roc_curve(...,
        drop_intermediate=False)``, which keeps points that lie on a straight segment.
    """
    y = _check_labels(y_true, both_classes=True)
    s = _check_scores(y_score, len(y))
    fps, tps, thresholds = _counts_at_thresholds(y, s)
    zero = torch.zeros(1, dtype=torch.float64)
    fpr = torch.cat([zero, fps / fps[-1]])
    tpr = torch.cat([zero, tps / tps[-1]])
    return fpr, tpr, torch.cat([torch.tensor([math.inf], dtype=torch.float64), thresholds])


def pr_curve(y_true: torch.Tensor, y_score: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The precision-recall curve at every distinct threshold.

    Args:
        y_true: labels, shape ``(n,)``, values 0/1, both classes present.
        y_score: scores, shape ``(n,)``.

    Returns:
        ``(precision, recall, thresholds)``: ``precision`` and ``recall`` of shape ``(k + 1,)``,
        ``thresholds`` of shape ``(k,)`` increasing over the ``k`` distinct scores; entry ``i`` of
        precision and recall belongs to ``thresholds[i]``, and the last entry is the point
        (recall 0, precision 1) that has no threshold. Equals ``sklearn.metrics.precision_recall_curve``.
    """
    y = _check_labels(y_true, both_classes=True)
    s = _check_scores(y_score, len(y))
    fps, tps, thresholds = _counts_at_thresholds(y, s)
    precision = tps / (tps + fps)  # tps + fps >= 1: at least the examples at the threshold are predicted positive
    recall = tps / tps[-1]
    one, zero = torch.ones(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    return torch.cat([precision.flip(0), one]), torch.cat([recall.flip(0), zero]), thresholds.flip(0)


def auc(x: torch.Tensor, y: torch.Tensor) -> float:
    r"""Area under the piecewise-linear curve through the points ``(x[i], y[i])`` (trapezoidal rule).

    .. math:: \text{area} = \sum_{i=1}^{k-1} (x_i - x_{i-1})\,\frac{y_i + y_{i-1}}{2}

    Args:
        x: shape ``(k,)``, ``k >= 2``, monotonic (non-decreasing or non-increasing; a decreasing ``x``,
            such as the recall from :func:`pr_curve`, gives the same positive area).
        y: shape ``(k,)``.
    """
    check_type("x", x, torch.Tensor, "a 1-D tensor")
    check_type("y", y, torch.Tensor, "a 1-D tensor")
    if x.ndim != 1 or len(x) < 2:
        raise ValueError(f"x must have shape (k,) with k >= 2 points, got {tuple(x.shape)}")
    if tuple(y.shape) != tuple(x.shape):
        raise ValueError(f"y must have the shape of x, {tuple(x.shape)}, got {tuple(y.shape)}")
    xd, yd = x.detach().cpu().double(), y.detach().cpu().double()
    for name, t in (("x", xd), ("y", yd)):
        if not torch.isfinite(t).all():
            raise ValueError(f"{name} must hold finite numbers, got {t[~torch.isfinite(t)][0].item()}")
    dx = xd[1:] - xd[:-1]
    if (dx < 0).any() and (dx > 0).any():
        raise ValueError("x must be monotonic (non-decreasing or non-increasing), got both directions: "
                         f"{xd[:6].tolist()}{' ...' if len(xd) > 6 else ''}")
    area = torch.sum(dx * (yd[1:] + yd[:-1]) / 2).item()
    return -area if (dx < 0).any() else area


def roc_auc(y_true: torch.Tensor, y_score: torch.Tensor) -> float:
    """Area under the ROC curve: the probability that a random positive scores above a random negative
    (a tie counting 1/2). Equals ``sklearn.metrics.roc_auc_score``.

    Args:
        y_true: labels, shape ``(n,)``, values 0/1, both classes present.
        y_score: scores, shape ``(n,)``.
    """
    fpr, tpr, _ = roc_curve(y_true, y_score)
    return auc(fpr, tpr)


def average_precision(y_true: torch.Tensor, y_score: torch.Tensor) -> float:
    r"""Average precision, the step-wise area under the precision-recall curve.

    .. math:: \text{AP} = \sum_{i} (R_i - R_{i-1})\, P_i

    over the thresholds in decreasing order, with :math:`R_0 = 0`: the precision at each threshold,
    weighted by the recall it adds. No interpolation between points (which would be optimistic).
    Equals ``sklearn.metrics.average_precision_score``.

    Args:
        y_true: labels, shape ``(n,)``, values 0/1, both classes present.
        y_score: scores, shape ``(n,)``.
    """
    precision, recall, _ = pr_curve(y_true, y_score)
    # recall decreases along the curve: -(R_{i+1} - R_i) >= 0 is the recall added at point i
    return max(0.0, -torch.sum((recall[1:] - recall[:-1]) * precision[:-1]).item())
