"""Tests of d2lhelper.segmentation: pixel accuracy and IoU, and the bilinear upsampling kernel."""
import math

import pytest
import torch
import torch.nn.functional as F

from d2lhelper.segmentation import bilinear_kernel, segmentation_metrics


def test_metrics_by_hand():
    target = torch.tensor([[0, 0, 1],
                           [0, 2, 2]])
    pred = torch.tensor([[0, 1, 1],
                         [0, 2, 0]])
    m = segmentation_metrics(pred, target, 3)
    assert m.pixel_accuracy == pytest.approx(4 / 6)
    # class 0: TP 2 (pixels (0,0), (1,0)), FP 1 ((1,2)), FN 1 ((0,1)) -> 2/4; class 1: TP 1, FP 1 -> 1/2;
    # class 2: TP 1, FN 1 -> 1/2
    torch.testing.assert_close(m.iou, torch.tensor([0.5, 0.5, 0.5], dtype=torch.float64))
    assert m.mean_iou == pytest.approx(0.5) and m.mean_iou_foreground == pytest.approx(0.5)
    assert m.confusion.sum() == 6 and m.confusion[0, 1] == 1
    acc, iou, miou = segmentation_metrics(pred, target, 3)  # unpacks as a triple
    assert (acc, miou) == (m.pixel_accuracy, m.mean_iou) and torch.equal(iou, m.iou)


def test_absent_class_is_nan_and_left_out_of_the_mean():
    target = torch.zeros(2, 4, 4, dtype=torch.long)
    target[:, :2] = 1
    pred = target.clone()
    m = segmentation_metrics(pred, target, 4)
    assert m.pixel_accuracy == 1.0
    assert m.iou[:2].tolist() == [1.0, 1.0] and math.isnan(m.iou[2]) and math.isnan(m.iou[3])
    assert m.mean_iou == 1.0 and m.mean_iou_foreground == 1.0
    # a class predicted but never true has IoU 0, and counts in the mean
    pred[0, 0, 0] = 3
    m = segmentation_metrics(pred, target, 4)
    assert m.iou[3] == 0 and m.mean_iou < 0.7


def test_metrics_match_per_pixel_definition_on_random_maps():
    g = torch.Generator().manual_seed(0)
    target = torch.randint(0, 4, (3, 16, 16), generator=g)
    pred = torch.where(torch.rand(3, 16, 16, generator=g) < 0.7, target, torch.randint(0, 4, (3, 16, 16), generator=g))
    m = segmentation_metrics(pred, target, 4)
    for c in range(4):
        inter = ((pred == c) & (target == c)).sum().item()
        union = ((pred == c) | (target == c)).sum().item()
        assert m.iou[c].item() == pytest.approx(inter / union)
    assert m.pixel_accuracy == pytest.approx((pred == target).float().mean().item())
    assert m.mean_iou_foreground == pytest.approx(m.iou[1:].mean().item())


@pytest.mark.parametrize("pred, target, k, error, match", [
    (torch.zeros(2, 3, dtype=torch.long), torch.zeros(3, 2, dtype=torch.long), 2, ValueError,
     r"same shape \(N, H, W\) or \(H, W\), got \(2, 3\) and \(3, 2\)"),
    (torch.zeros(5, dtype=torch.long), torch.zeros(5, dtype=torch.long), 2, ValueError, "same shape"),
    (torch.zeros(1, 2, 2), torch.zeros(1, 2, 2, dtype=torch.long), 2, TypeError,
     "pred must hold int class indices .* got dtype torch.float32"),
    (torch.zeros(2, 2, dtype=torch.long), torch.full((2, 2), 3), 3, ValueError, r"y must hold labels in \[0, 3\)"),
    (torch.zeros(2, 2, dtype=torch.long), torch.zeros(2, 2, dtype=torch.long), 0, ValueError,
     "num_classes must be a positive int"),
    ([[0]], torch.zeros(1, 1, dtype=torch.long), 2, TypeError, "pred must be a tensor"),
    (torch.zeros(0, 2, dtype=torch.long), torch.zeros(0, 2, dtype=torch.long), 2, ValueError, "at least one pixel"),
])
def test_metrics_bad_inputs(pred, target, k, error, match):
    with pytest.raises(error, match=match):
        segmentation_metrics(pred, target, k)


@pytest.mark.parametrize("s", [2, 4])
def test_bilinear_kernel_upsamples_like_interpolate(s):
    x = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    w = bilinear_kernel(3, 3, 2 * s)
    assert w.shape == (3, 3, 2 * s, 2 * s) and w[0, 1].abs().sum() == 0
    y = F.conv_transpose2d(x, w, stride=s, padding=s // 2)
    z = F.interpolate(x, scale_factor=s, mode="bilinear", align_corners=False)
    assert y.shape == z.shape == (2, 3, 8 * s, 8 * s)
    torch.testing.assert_close(y[..., s:-s, s:-s], z[..., s:-s, s:-s], atol=1e-6, rtol=0)


def test_bilinear_kernel_odd_size_and_bad_inputs():
    w = bilinear_kernel(1, 1, 3)[0, 0]
    torch.testing.assert_close(w, torch.tensor([[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]]))
    with pytest.raises(ValueError, match="kernel_size must be a positive int, got 0"):
        bilinear_kernel(1, 1, 0)
    with pytest.raises(TypeError, match="in_channels must be a positive int"):
        bilinear_kernel(1.0, 1, 4)
