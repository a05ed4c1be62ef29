"""Binary classification metrics against scikit-learn (ties included), by hand, and on bad input."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

import d2lhelper as d2l

CURVES = [d2l.roc_curve, d2l.pr_curve, d2l.roc_auc, d2l.average_precision]


def _data(seed: int, n: int, levels: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Labels with ~20% positives and scores that depend on them; ``levels`` distinct values make ties."""
    g = torch.Generator().manual_seed(seed)
    y = (torch.rand(n, generator=g) < 0.2).long()
    y[0], y[1] = 0, 1  # both classes present
    s = torch.rand(n, generator=g) + 0.5 * y
    if levels is not None:
        s = torch.round(s * levels) / levels
    return y, s


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("n", "levels"), [(7, 2), (50, 5), (400, 10), (300, None)])
def test_agrees_with_scikit_learn(seed: int, n: int, levels: int | None) -> None:
    y, s = _data(seed, n, levels)
    yn, sn = y.numpy(), s.numpy()
    if levels is not None:
        assert len(s.unique()) < n  # the case with ties is really tested
    fpr, tpr, th = d2l.roc_curve(y, s)
    fpr_sk, tpr_sk, th_sk = skm.roc_curve(yn, sn, drop_intermediate=False)
    for ours, theirs in ((fpr, fpr_sk), (tpr, tpr_sk), (th, th_sk)):
        assert ours.shape == theirs.shape and np.allclose(ours.numpy(), theirs, atol=1e-6)
    p, r, th = d2l.pr_curve(y, s)
    p_sk, r_sk, th_sk = skm.precision_recall_curve(yn, sn)
    for ours, theirs in ((p, p_sk), (r, r_sk), (th, th_sk)):
        assert ours.shape == theirs.shape and np.allclose(ours.numpy(), theirs, atol=1e-6)
    assert d2l.roc_auc(y, s) == pytest.approx(skm.roc_auc_score(yn, sn), abs=1e-6)
    assert d2l.average_precision(y, s) == pytest.approx(skm.average_precision_score(yn, sn), abs=1e-6)
    assert d2l.auc(fpr, tpr) == pytest.approx(skm.auc(fpr_sk, tpr_sk), abs=1e-6)
    assert d2l.auc(r, p) == pytest.approx(skm.auc(r_sk, p_sk), abs=1e-6)  # decreasing x
    for t in [0.0, 0.5, float(s.median()), float(s.max()), float(s.max()) + 1]:
        pred = (sn >= t).astype(int)
        assert torch.equal(d2l.binary_confusion(y, s, t),
                           torch.from_numpy(skm.confusion_matrix(yn, pred, labels=[0, 1])))
        expected = (skm.precision_score(yn, pred, zero_division=0), skm.recall_score(yn, pred),
                    skm.f1_score(yn, pred, zero_division=0))
        assert d2l.precision_recall_f1(y, s, t) == pytest.approx(expected, abs=1e-6)


def test_a_small_example_by_hand() -> None:
    y = torch.tensor([1, 0, 1, 0, 0])
    s = torch.tensor([0.9, 0.8, 0.8, 0.3, 0.3])  # a tie between a positive and a negative at 0.8
    assert d2l.binary_confusion(y, s, 0.5).tolist() == [[2, 1], [0, 2]]  # [[TN, FP], [FN, TP]]
    assert d2l.precision_recall_f1(y, s, 0.5) == pytest.approx((2 / 3, 1.0, 0.8))
    assert d2l.precision_recall_f1(y, s, 0.85) == pytest.approx((1.0, 0.5, 2 / 3))
    fpr, tpr, th = d2l.roc_curve(y, s)
    assert th.tolist() == pytest.approx([float("inf"), 0.9, 0.8, 0.3])
    assert fpr.tolist() == pytest.approx([0, 0, 1 / 3, 1]) and tpr.tolist() == pytest.approx([0, 0.5, 1, 1])
    # area: the tie is a diagonal from (0, 0.5) to (1/3, 1), then flat at 1: 1/3 * 0.75 + 2/3 * 1
    assert d2l.roc_auc(y, s) == pytest.approx(0.25 + 2 / 3)
    p, r, th = d2l.pr_curve(y, s)
    assert th.tolist() == pytest.approx([0.3, 0.8, 0.9])
    assert p.tolist() == pytest.approx([0.4, 2 / 3, 1, 1]) and r.tolist() == pytest.approx([1, 1, 0.5, 0])
    assert d2l.average_precision(y, s) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)


def test_perfect_reversed_and_constant_scores() -> None:
    y = torch.tensor([0, 0, 0, 1, 1])
    s = torch.tensor([0.1, 0.2, 0.3, 0.7, 0.9])
    assert d2l.roc_auc(y, s) == 1.0 and d2l.average_precision(y, s) == 1.0
    assert d2l.roc_auc(y, -s) == 0.0
    flat = torch.full((5,), 0.5)
    assert d2l.roc_auc(y, flat) == pytest.approx(0.5)
    assert d2l.average_precision(y, flat) == pytest.approx(2 / 5)  # the prevalence
    assert d2l.precision_recall_f1(y, s, 2.0) == (0.0, 0.0, 0.0)  # nothing predicted positive


def test_label_and_score_dtypes() -> None:
    y, s = _data(0, 60, 6)
    ref = d2l.roc_auc(y, s)
    assert d2l.roc_auc(y.bool(), s) == ref and d2l.roc_auc(y.float(), s.double()) == ref
    assert d2l.average_precision(y.bool(), s.half()) == pytest.approx(skm.average_precision_score(
        y.numpy(), s.half().float().numpy()), abs=1e-6)
    logits = torch.logit(s.clamp(0.01, 0.99).double())
    assert d2l.roc_auc(y, logits) == pytest.approx(d2l.roc_auc(y, s.clamp(0.01, 0.99)))  # only the order counts
    assert torch.equal(d2l.binary_confusion(y, (s >= 0.6).long()), d2l.binary_confusion(y, s, 0.6))  # hard labels


def test_auc_trapezoid() -> None:
    x = torch.tensor([0.0, 1.0, 3.0])
    y = torch.tensor([0.0, 2.0, 2.0])
    assert d2l.auc(x, y) == pytest.approx(1.0 + 4.0)
    assert d2l.auc(x.flip(0), y.flip(0)) == pytest.approx(5.0)
    assert d2l.auc(torch.tensor([0.0, 0.0, 1.0]), torch.tensor([0.0, 1.0, 1.0])) == pytest.approx(1.0)  # vertical step


@pytest.mark.parametrize("fn", CURVES)
def test_one_class_only_is_an_error_naming_y_true(fn) -> None:
    s = torch.tensor([0.1, 0.5, 0.9])
    for y, only in ((torch.zeros(3), "negatives"), (torch.ones(3), "positives")):
        with pytest.raises(ValueError, match=f"y_true must contain both classes, got only {only}"):
            fn(y, s)


def test_one_class_for_thresholded_metrics() -> None:
    s = torch.tensor([0.1, 0.5, 0.9])
    assert d2l.binary_confusion(torch.zeros(3), s).tolist() == [[1, 2], [0, 0]]
    with pytest.raises(ValueError, match="y_true must contain at least one positive"):
        d2l.precision_recall_f1(torch.zeros(3), s)
    assert d2l.precision_recall_f1(torch.ones(3), s) == pytest.approx((1.0, 2 / 3, 0.8))


@pytest.mark.parametrize("fn", [d2l.binary_confusion, d2l.precision_recall_f1, *CURVES])
def test_bad_input(fn) -> None:
    y, s = torch.tensor([0, 1, 1]), torch.tensor([0.2, 0.4, 0.8])
    with pytest.raises(TypeError, match="y_true must be a 1-D tensor"):
        fn([0, 1, 1], s)
    with pytest.raises(TypeError, match="y_score must be a 1-D tensor"):
        fn(y, np.array([0.2, 0.4, 0.8]))
    with pytest.raises(ValueError, match=r"y_true must have shape \(n,\) with n > 0, got \(1, 3\)"):
        fn(y[None], s)
    with pytest.raises(ValueError, match=r"y_true must have shape \(n,\) with n > 0, got \(0,\)"):
        fn(torch.tensor([]), torch.tensor([]))
    with pytest.raises(ValueError, match=r"y_score must have shape \(3,\) like y_true, got \(2,\)"):
        fn(y, s[:2])
    with pytest.raises(ValueError, match="y_true must hold only 0 and 1 .*got the value 2"):
        fn(torch.tensor([0, 1, 2]), s)
    with pytest.raises(ValueError, match="y_true must hold only 0 and 1 .*got the value -1"):
        fn(torch.tensor([0, 1, -1]), s)
    with pytest.raises(ValueError, match="y_score must hold finite numbers, got nan"):
        fn(y, torch.tensor([0.2, float("nan"), 0.8]))


@pytest.mark.parametrize("fn", [d2l.binary_confusion, d2l.precision_recall_f1])
def test_bad_threshold(fn) -> None:
    y, s = torch.tensor([0, 1]), torch.tensor([0.2, 0.8])
    with pytest.raises(TypeError, match="threshold must be a real number .*got str '0.5'"):
        fn(y, s, "0.5")
    with pytest.raises(TypeError, match="threshold must be a real number .*got Tensor"):
        fn(y, s, torch.tensor(0.5))
    with pytest.raises(ValueError, match="threshold must be a real number, got nan"):
        fn(y, s, float("nan"))
    assert fn(y, s, float("inf")) is not None  # inf is a valid threshold: nothing is positive


def test_bad_auc_input() -> None:
    with pytest.raises(ValueError, match="x must be monotonic"):
        d2l.auc(torch.tensor([0.0, 1.0, 0.5]), torch.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"x must have shape \(k,\) with k >= 2 points, got \(1,\)"):
        d2l.auc(torch.tensor([0.0]), torch.tensor([0.0]))
    with pytest.raises(ValueError, match=r"y must have the shape of x, \(2,\), got \(3,\)"):
        d2l.auc(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(TypeError, match="x must be a 1-D tensor"):
        d2l.auc([0.0, 1.0], torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="y must hold finite numbers, got inf"):
        d2l.auc(torch.tensor([0.0, 1.0]), torch.tensor([0.0, float("inf")]))
