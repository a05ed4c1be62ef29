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
    # corpus BLEU sums counts over sentences before dividing: with c2 == r2 (4 tokens, every n-gram matching)
    # the pooled precisions are p1 = (5+4)/(6+4) = 9/10, p2 = (3+3)/(5+3) = 6/8, p3 = (2+2)/(4+2) = 4/6,
    # p4 = (1+1)/(3+1) = 2/4, and c = r = 10 (BP = 1): BLEU = (0.9 * 0.75 * 2/3 * 0.5) ** (1/4) = 0.225 ** 0.25
    c2, r2 = "a b c d".split(), "a b c d".split()
    corpus = d2l.bleu([cand, c2], [ref, r2])
    assert corpus == pytest.approx(0.225 ** 0.25, rel=1e-12)  # = 0.68874...
    # not the mean of the two sentence scores ((0.5373 + 1) / 2 = 0.7686)
    assert corpus != pytest.approx((d2l.bleu([cand], [ref]) + 1.0) / 2, rel=1e-3)


def test_bleu_brevity_penalty_and_zero_matches_by_hand() -> None:
    # c = 3 + 2 = 5 candidate tokens, r = 5 + 3 = 8 reference tokens; every unigram and bigram of the
    # candidates occurs in its reference: p1 = 5/5, p2 = (2 + 1)/(2 + 1), so BLEU = exp(1 - 8/5) = exp(-0.6)
    cands, refs = ["a b c".split(), "x y".split()], ["a b c d e".split(), "x y z".split()]
    assert d2l.bleu(cands, refs, max_n=2) == pytest.approx(math.exp(-0.6), rel=1e-12)  # 0.5488...
    # a candidate longer than its reference gets no penalty (BP = min(1, e^(1 - 2/4)) = 1): p1 = 2/4
    assert d2l.bleu([["a", "b", "c", "d"]], [["a", "b"]], max_n=1) == pytest.approx(0.5, rel=1e-12)
    # the penalty uses corpus lengths, not per-sentence ones: c = 2 + 4 = 6 = r = 4 + 2, so BP = 1 although
    # the first candidate alone is short; p1 = (2 + 2)/6
    assert d2l.bleu([["a", "b"], "p q r s".split()], ["a b c d".split(), ["p", "q"]], max_n=1) == \
        pytest.approx(4 / 6, rel=1e-12)
    assert d2l.bleu([["x", "y", "z"]], [["a", "b", "c"]], max_n=1) == 0.0  # no token in common
    assert d2l.bleu([["a", "b", "c"]], [["c", "b", "a"]], max_n=2) == 0.0  # p1 = 1 but p2 = 0
    assert d2l.bleu([[]], [["a"]], max_n=1) == 0.0  # an empty candidate: c = 0


# (candidates, references): a brevity-penalty corpus, zero matches, partial matches, repeated tokens
# (clipping), candidates shorter than n, and a longer-than-reference candidate.
_SACREBLEU_CASES = [
    (["the cat sat on a mat", "a b c d"], ["the cat sat on the mat", "a b c d"]),
    (["the cat sat", "on the"], ["the cat sat on the mat", "on the red mat"]),
    (["the cat sat on the"], ["the cat sat on the mat"]),
    (["x y z w"], ["a b c d"]),
    (["the the the the the the"], ["the cat is on the mat"]),
    (["one two three four five six seven", "a b"], ["one two three four five six", "a b c"]),
    (["it is a guide to action which ensures that the military always obeys the commands of the party",
      "he read the book because he was interested in world history"],
     ["it is a guide to action that ensures that the military will forever heed party commands",
      "he was interested in world history because he read the book"]),
]


@pytest.mark.parametrize("max_n", [1, 2, 3, 4])
@pytest.mark.parametrize("case", range(len(_SACREBLEU_CASES)))
def test_bleu_matches_sacrebleu(case: int, max_n: int) -> None:
    """d2l.bleu is corpus BLEU with one reference, no smoothing: sacrebleu's definition with these settings."""
    sacrebleu = pytest.importorskip("sacrebleu")
    cands, refs = _SACREBLEU_CASES[case]
    scorer = sacrebleu.metrics.BLEU(tokenize="none", smooth_method="none", force=True, max_ngram_order=max_n,
                                    lowercase=False)
    expected = scorer.corpus_score(cands, [refs]).score / 100  # sacrebleu reports 0-100
    ours = d2l.bleu([c.split() for c in cands], [r.split() for r in refs], max_n=max_n)
    # both compute the same float expression up to the order of operations: 1e-9 relative is many
    # orders above float64 rounding and far below any difference in definition
    assert ours == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_bleu_bad_arguments() -> None:
    with pytest.raises(ValueError, match="same length, got 1 and 2"):
        d2l.bleu([["a"]], [["a"], ["b"]])
    with pytest.raises(ValueError, match="at least one translation"):
        d2l.bleu([], [])
    with pytest.raises(TypeError, match="must hold token lists"):
        d2l.bleu(["a b"], ["a b"])
    with pytest.raises(ValueError, match="max_n must be a positive int"):
        d2l.bleu([["a"]], [["a"]], max_n=0)
