import math

import pytest
import torch
from torch import nn

import d2lhelper as d2l
from d2lhelper.data import TensorLoader


def test_confusion_matrix_counts():
    y = torch.tensor([0, 0, 1, 2, 2, 2])
    pred = torch.tensor([0, 1, 1, 2, 0, 2])
    cm = d2l.confusion_matrix(y, pred, 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert cm.sum() == 6 and cm.trace() == 4


def test_confusion_matrix_validates():
    with pytest.raises(ValueError, match=r"pred must hold labels in \[0, 3\), got values in \[0, 3\]"):
        d2l.confusion_matrix(torch.tensor([0, 1]), torch.tensor([0, 3]), 3)
    with pytest.raises(ValueError, match=r"must both have shape \(n,\)"):
        d2l.confusion_matrix(torch.zeros(2, 2), torch.zeros(2, 2), 3)


class _Fixed(nn.Module):
    """Predicts class 1 with probability ~0.9 whenever the first pixel is > 0.5, else class 0."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, X):
        on = (X.flatten(1)[:, 0] > 0.5).float()
        return torch.stack([(1 - on) * 3, on * 3], dim=1) + self.dummy


def test_predict_and_show_misclassified():
    X = torch.zeros(6, 1, 4, 4)
    X[[1, 3, 4], 0, 0, 0] = 1.0
    y = torch.tensor([0, 1, 1, 0, 0, 1])  # examples 2 to 5 are wrong
    preds = d2l.predict(_Fixed(), TensorLoader(X, y, batch_size=4))
    assert preds.pred.tolist() == [0, 1, 0, 1, 1, 0]
    assert preds.accuracy == pytest.approx(2 / 6)
    assert torch.all(preds.prob > 0.9)
    axes = d2l.show_misclassified(preds, ["off", "on"], n=2, num_cols=2)
    assert axes.shape == (1, 2) and "true:" in axes[0, 0].get_title()
    ax = d2l.plot_confusion_matrix(d2l.confusion_matrix(preds.y, preds.pred, 2), ["off", "on"])
    assert "Confusion" in ax.get_title()
    perfect = d2l.predict(_Fixed(), TensorLoader(X, preds.pred, batch_size=4))
    with pytest.raises(ValueError, match="no misclassified examples"):
        d2l.show_misclassified(perfect, ["off", "on"])


def test_bleu_by_hand() -> None:
    ref = "the cat sat on the mat".split()
    assert d2l.bleu([ref], [ref]) == 1.0
    cand = "the cat sat on a mat".split()
    # p1 = 5/6, p2 = 3/5, p3 = 2/4, p4 = 1/3; equal lengths, so no brevity penalty
    assert math.isclose(d2l.bleu([cand], [ref]), (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** (1 / 4))
    assert d2l.bleu([cand], [ref[::-1]]) == 0.0  # no 4-gram in common
    short = "the cat sat on".split()  # all n-grams match, but 4 < 6 tokens: penalty exp(1 - 6/4)
    assert math.isclose(d2l.bleu([short], [ref]), math.exp(1 - 6 / 4))
    assert d2l.bleu([["the", "the", "the"]], [["the", "cat", "x"]], max_n=1) == pytest.approx(1 / 3)  # clipped counts
    # corpus BLEU sums counts over sentences before dividing
    c2, r2 = "a b c d".split(), "a b c d".split()
    assert d2l.bleu([cand, c2], [ref, r2]) > 0.0


def test_bleu_bad_arguments() -> None:
    with pytest.raises(ValueError, match="same length, got 1 and 2"):
        d2l.bleu([["a"]], [["a"], ["b"]])
    with pytest.raises(ValueError, match="at least one translation"):
        d2l.bleu([], [])
    with pytest.raises(TypeError, match="must hold token lists"):
        d2l.bleu(["a b"], ["a b"])
    with pytest.raises(ValueError, match="max_n must be a positive int"):
        d2l.bleu([["a"]], [["a"]], max_n=0)
