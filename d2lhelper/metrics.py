"""Measuring predictions: a classifier's mistakes (confusion matrix, worst errors) and BLEU for translations."""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from ._checks import check_bool, check_module, check_positive_int, check_str_sequence, check_type
from .plotting import show_heatmaps, show_images

__all__ = ["Predictions", "bleu", "predict", "confusion_matrix", "plot_confusion_matrix", "show_misclassified"]


@dataclass
class Predictions:
    """A classifier's outputs on a dataset (all tensors on the CPU).

    Attributes:
        X: the inputs, ``(n, ...)``.
        y: true labels, ``(n,)``.
        pred: predicted labels, ``(n,)``.
        prob: the predicted label's softmax probability, ``(n,)``.
    """

    X: torch.Tensor
    y: torch.Tensor
    pred: torch.Tensor
    prob: torch.Tensor

    @property
    def accuracy(self) -> float:
        return (self.pred == self.y).float().mean().item()


@torch.no_grad()
def predict(model: nn.Module, data_iter: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> Predictions:
    """Classify every example of ``data_iter`` (batches ``X (b, ...)``, ``y (b,)``) in eval mode."""
    check_module("model", model)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    Xs, ys, preds, probs = [], [], [], []
    for X, y in data_iter:
        p = torch.softmax(model(X.to(device)), dim=1).cpu()
        prob, pred = p.max(dim=1)
        Xs.append(X.cpu()), ys.append(y.cpu()), preds.append(pred), probs.append(prob)
    model.train(was_training)
    if not ys:
        raise ValueError("data_iter must yield at least one batch, got none")
    return Predictions(torch.cat(Xs), torch.cat(ys), torch.cat(preds), torch.cat(probs))


def confusion_matrix(y: torch.Tensor, pred: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Counts ``C[i, j]`` of examples of true class ``i`` predicted as ``j``; shape ``(k, k)``.

    Args:
        y, pred: integer labels of shape ``(n,)`` in ``[0, num_classes)``.
    """
    check_positive_int("num_classes", num_classes)
    check_type("y", y, torch.Tensor, "a tensor of integer labels")
    check_type("pred", pred, torch.Tensor, "a tensor of integer labels")
    if y.shape != pred.shape or y.ndim != 1:
        raise ValueError(f"y and pred must both have shape (n,), got {tuple(y.shape)} and {tuple(pred.shape)}")
    for name, t in (("y", y), ("pred", pred)):
        if len(t) and (t.min() < 0 or t.max() >= num_classes):
            raise ValueError(f"{name} must hold labels in [0, {num_classes}), got values in "
                             f"[{int(t.min())}, {int(t.max())}]")
    flat = y.long() * num_classes + pred.long()
    return torch.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes)


def plot_confusion_matrix(cm: torch.Tensor, classes: Sequence[str], *, normalize: bool = True,
                          title: str = "Confusion matrix") -> plt.Axes:
    """Heatmap of a confusion matrix; rows (true classes) sum to 1 if ``normalize``."""
    check_type("cm", cm, torch.Tensor, "a tensor of counts, e.g. from confusion_matrix")
    check_str_sequence("classes", classes, example="['cat', 'dog']")
    check_bool("normalize", normalize)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] != len(classes):
        raise ValueError(f"cm must be ({len(classes)}, {len(classes)}) for {len(classes)} classes, "
                         f"got {tuple(cm.shape)}")
    m = cm.float()
    if normalize:
        m = m / m.sum(dim=1, keepdim=True).clamp(min=1)
    k = len(classes)
    axes = show_heatmaps(m, xlabel="predicted class", ylabel="true class", xticklabels=list(classes),
                         yticklabels=list(classes), annot=k <= 12, cmap="Blues",
                         figsize=(max(4.0, 0.55 * k + 1.5), max(3.5, 0.5 * k + 1)))
    ax = axes[0, 0]
    ax.set_title(title + (" (each row sums to 1)" if normalize else ""))
    return ax


def show_misclassified(preds: Predictions, classes: Sequence[str], n: int = 12, *, num_cols: int = 6) -> np.ndarray:
    """The ``n`` most confidently wrong predictions, titled ``pred (prob) / true``."""
    check_type("preds", preds, Predictions, "a Predictions (from predict)")
    check_str_sequence("classes", classes, example="data.classes")
    check_positive_int("n", n)
    check_positive_int("num_cols", num_cols)
    if len(preds.y) and max(int(preds.y.max()), int(preds.pred.max())) >= len(classes):
        raise ValueError(f"classes must name every label in preds (up to "
                         f"{max(int(preds.y.max()), int(preds.pred.max()))}), got {len(classes)} names")
    wrong = (preds.pred != preds.y).nonzero().flatten()
    if len(wrong) == 0:
        raise ValueError("there are no misclassified examples to show")
    worst = wrong[preds.prob[wrong].argsort(descending=True)][:n]
    titles = [f"{classes[preds.pred[i]]} ({preds.prob[i]:.2f})\ntrue: {classes[preds.y[i]]}" for i in worst]
    rows = -(-len(worst) // num_cols)
    return show_images(preds.X[worst], rows, min(num_cols, len(worst)), titles=titles, scale=1.6)


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def bleu(candidates: Sequence[Sequence[str]], references: Sequence[Sequence[str]], max_n: int = 4) -> float:
    r"""Corpus BLEU (Papineni et al., 2002) with one reference per candidate.

    .. math:: \mathrm{BLEU} = \mathrm{BP} \cdot \exp\Bigl(\frac{1}{N}\sum_{n=1}^{N} \log p_n\Bigr),
              \quad \mathrm{BP} = \min\bigl(1, e^{1 - r/c}\bigr)

    where :math:`p_n` is the share of the candidates' n-grams that also occur in
    their reference (each counted at most as often as it occurs there), summed
    over the whole corpus, and :math:`c`, :math:`r` are the total candidate and
    reference lengths. 1 means every candidate equals its reference; it is 0 if
    some :math:`p_n` is 0, which is why BLEU is a corpus score, not a sentence score.

    Args:
        candidates: the predicted token lists.
        references: the reference token lists, one per candidate.
        max_n: the longest n-gram counted (N above, > 0).

    Returns:
        BLEU in [0, 1].
    """
    check_positive_int("max_n", max_n)
    if isinstance(candidates, str) or isinstance(references, str):
        raise TypeError("candidates and references must be sequences of token lists, got a str")
    if len(candidates) != len(references):
        raise ValueError(f"candidates and references must have the same length, got {len(candidates)} "
                         f"and {len(references)}")
    if len(candidates) == 0:
        raise ValueError("candidates must hold at least one translation, got none")
    for name, seqs in (("candidates", candidates), ("references", references)):
        if isinstance(seqs[0], str):
            raise TypeError(f"{name} must hold token lists (e.g. sentence.split()), got a str {seqs[0]!r}")
    matches, totals = [0] * max_n, [0] * max_n
    c = sum(len(cand) for cand in candidates)
    r = sum(len(ref) for ref in references)
    for cand, ref in zip(candidates, references):
        for n in range(1, max_n + 1):
            cand_ngrams, ref_ngrams = _ngrams(cand, n), _ngrams(ref, n)
            matches[n - 1] += sum(min(k, ref_ngrams[g]) for g, k in cand_ngrams.items())
            totals[n - 1] += max(len(cand) - n + 1, 0)
    if c == 0 or min(matches) == 0:
        return 0.0
    log_p = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    brevity = min(0.0, 1.0 - r / c)
    return math.exp(brevity + log_p)
