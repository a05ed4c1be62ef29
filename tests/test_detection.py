"""d2lhelper.detection: anchors, matching, offsets, post-processing, mAP, drawing."""
import math

import pytest
import torch
from torchvision.ops import box_iou

from d2lhelper import detection


def _random_boxes(n, size=64.0, generator=None):
    xy = torch.rand(n, 2, generator=generator) * size * 0.7
    wh = 4 + torch.rand(n, 2, generator=generator) * size * 0.3
    return torch.cat([xy, xy + wh], dim=1)


# --------------------------------------------------------------------- anchors
def test_make_anchors_count_centres_and_sizes():
    anchors = detection.make_anchors((2, 3), (20, 30), sizes=(4, 8), ratios=(1, 4))
    assert anchors.shape == (2 * 3 * 4, 4)
    # cell (0, 0) first, centred at (5, 5); then cell (0, 1) at (15, 5)
    centres = (anchors[:, :2] + anchors[:, 2:]) / 2
    assert torch.allclose(centres[0], torch.tensor([5.0, 5.0]))
    assert torch.allclose(centres[4], torch.tensor([15.0, 5.0]))
    assert torch.allclose(centres[12], torch.tensor([5.0, 15.0]))
    w, h = anchors[:4, 2] - anchors[:4, 0], anchors[:4, 3] - anchors[:4, 1]
    assert torch.allclose(w * h, torch.tensor([16.0, 16.0, 64.0, 64.0]))       # area = size^2
    assert torch.allclose(w / h, torch.tensor([1.0, 4.0, 1.0, 4.0]))           # ratio = w / h


@pytest.mark.parametrize("kwargs, match", [
    ({"feature_size": 0}, "feature_size"), ({"image_size": (4, 4, 4)}, "image_size"),
    ({"sizes": ()}, "sizes"), ({"ratios": (1, -2)}, "ratios"), ({"sizes": "big"}, "sizes")])
def test_make_anchors_rejects_bad_arguments(kwargs, match):
    args = {"feature_size": 4, "image_size": 32, "sizes": (8,), "ratios": (1,)} | kwargs
    with pytest.raises((TypeError, ValueError), match=match):
        detection.make_anchors(**args)


# --------------------------------------------------------------------- matching and targets
def test_match_anchors_threshold_and_forced_best_anchor():
    anchors = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [40, 40, 50, 50.]])
    gt = torch.tensor([[0, 0, 10, 10], [22, 22, 34, 34.]])          # gt 1 overlaps anchor 2 with IoU < 0.5
    assert box_iou(anchors[2:3], gt[1:2]).item() < 0.5
    matched = detection.match_anchors(anchors, gt, iou_threshold=0.5)
    assert matched.tolist() == [0, 0, 1, -1]                         # anchor 2 is gt 1's best: forced
    assert detection.match_anchors(anchors, gt[:0]).tolist() == [-1] * 4


def test_match_anchors_every_gt_gets_an_anchor():
    g = torch.Generator().manual_seed(0)
    anchors = detection.make_anchors(8, 64, sizes=(10, 20), ratios=(1, 2, 0.5))
    gt = _random_boxes(6, generator=g)
    matched = detection.match_anchors(anchors, gt, iou_threshold=0.9)
    assert set(matched[matched >= 0].tolist()) == set(range(6))
    with pytest.raises(ValueError, match="iou_threshold"):
        detection.match_anchors(anchors, gt, iou_threshold=1.5)
    with pytest.raises(ValueError, match="gt_boxes"):
        detection.match_anchors(anchors, gt[:, :3])


def test_encode_decode_round_trip_and_values():
    g = torch.Generator().manual_seed(1)
    anchors, boxes = _random_boxes(50, generator=g), _random_boxes(50, generator=g)
    offsets = detection.encode_boxes(anchors, boxes)
    assert torch.allclose(detection.decode_boxes(anchors, offsets), boxes, atol=1e-4)
    # a box twice the anchor's width, same centre: t_w = log 2 / 0.2
    t = detection.encode_boxes(torch.tensor([[0, 0, 10, 10.]]), torch.tensor([[-5, 0, 15, 10.]]))
    assert torch.allclose(t, torch.tensor([[0, 0, math.log(2) / 0.2, 0]]))
    batched = detection.decode_boxes(anchors, offsets.expand(3, -1, -1))
    assert batched.shape == (3, 50, 4) and torch.allclose(batched[2], boxes, atol=1e-4)
    with pytest.raises(ValueError, match="variances"):
        detection.encode_boxes(anchors, boxes, variances=(0.1, 0))
    with pytest.raises(ValueError, match="positive width"):
        detection.encode_boxes(anchors[:1], torch.tensor([[5, 5, 5, 9.]]))
    with pytest.raises(ValueError, match="offsets"):
        detection.decode_boxes(anchors, offsets[:10])


def test_anchor_targets_labels_and_offsets():
    anchors = torch.tensor([[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50.]])
    gt, labels = torch.tensor([[1, 1, 11, 11.]]), torch.tensor([3])
    cls, off = detection.anchor_targets(anchors, gt, labels)
    assert cls.tolist() == [3, 0, 0]
    assert torch.allclose(off[0], detection.encode_boxes(anchors[:1], gt)[0]) and (off[1:] == 0).all()
    with pytest.raises(ValueError, match="background"):
        detection.anchor_targets(anchors, gt, torch.tensor([0]))
    with pytest.raises(ValueError, match="gt_labels"):
        detection.anchor_targets(anchors, gt, torch.tensor([1.0]))


# --------------------------------------------------------------------- post-processing
def test_postprocess_decodes_thresholds_and_suppresses():
    anchors = torch.tensor([[0, 0, 10, 10], [1, 0, 11, 10], [30, 30, 40, 40.]])
    scores = torch.tensor([[[0.9, 0.0], [0.8, 0.7], [0.01, 0.6]]])      # (1, 3 anchors, 2 classes)
    out = detection.postprocess(scores, torch.zeros(1, 3, 4), anchors, score_threshold=0.05, iou_threshold=0.5)
    det = out[0]
    # anchor 1's class-1 box overlaps anchor 0's (IoU 0.82) and is suppressed; its class-2 box is kept
    assert det["labels"].tolist() == [1, 2, 2] and torch.allclose(det["scores"], torch.tensor([0.9, 0.7, 0.6]))
    assert torch.equal(det["boxes"][0], anchors[0])
    clipped = detection.postprocess(scores, torch.zeros(1, 3, 4), anchors, image_size=35, max_detections=1)[0]
    assert len(clipped["scores"]) == 1
    with pytest.raises(ValueError, match="scores"):
        detection.postprocess(scores[0], torch.zeros(1, 3, 4), anchors)
    with pytest.raises(ValueError, match="offsets"):
        detection.postprocess(scores, torch.zeros(1, 2, 4), anchors)


# --------------------------------------------------------------------- evaluation
def test_pr_curve_and_average_precision_by_hand():
    targets = [{"boxes": torch.tensor([[0, 0, 10, 10], [20, 20, 30, 30.]]), "labels": torch.tensor([1, 1])}]
    preds = [{"boxes": torch.tensor([[0, 0, 10, 10], [0, 0, 10, 10], [50, 50, 60, 60], [20, 20, 30, 30.]]),
              "scores": torch.tensor([0.9, 0.8, 0.7, 0.6]), "labels": torch.tensor([1, 1, 1, 1])}]
    precision, recall, n_gt = detection.pr_curve(preds, targets, label=1)
    # TP, duplicate FP, FP, TP
    assert n_gt == 2
    assert torch.allclose(precision, torch.tensor([1, 0.5, 1 / 3, 0.5], dtype=torch.float64))
    assert torch.allclose(recall, torch.tensor([0.5, 0.5, 0.5, 1.0], dtype=torch.float64))
    assert detection.average_precision(precision, recall) == pytest.approx(0.5 * 1 + 0.5 * 0.5)
    # COCO: recall grid 0..0.5 (51 points) at precision 1, 0.51..1 (50 points) at 0.5
    assert detection.average_precision(precision, recall, recall_points=101) == pytest.approx((51 + 25) / 101)
    result = detection.mean_average_precision(preds, targets)
    assert result["map"] == pytest.approx(0.75) and result["num_gt"] == {1: 2}
    assert detection.average_precision(torch.zeros(0), torch.zeros(0)) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        detection.average_precision(precision, recall[:2])
    with pytest.raises(ValueError, match="recall_points"):
        detection.average_precision(precision, recall, recall_points=0)
    with pytest.raises(ValueError, match="label"):
        detection.pr_curve(preds, targets, label=0)


def _random_detections(n_images, seed):
    g = torch.Generator().manual_seed(seed)
    preds, targets = [], []
    for _ in range(n_images):
        k = int(torch.randint(1, 5, (1,), generator=g))
        gt = _random_boxes(k, generator=g)
        gl = torch.randint(1, 4, (k,), generator=g)
        jitter = gt.repeat(2, 1) + torch.randn(2 * k, 4, generator=g) * 3
        boxes = torch.cat([jitter, _random_boxes(3, generator=g)])
        boxes = torch.cat([boxes[:, :2], torch.maximum(boxes[:, 2:], boxes[:, :2] + 1)], dim=1)
        labels = torch.cat([gl.repeat(2), torch.randint(1, 4, (3,), generator=g)])
        labels[torch.rand(len(labels), generator=g) < 0.1] = 1
        preds.append({"boxes": boxes, "scores": torch.rand(len(boxes), generator=g), "labels": labels})
        targets.append({"boxes": gt, "labels": gl})
    return preds, targets


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mean_average_precision_matches_torchmetrics(seed):
    tm = pytest.importorskip("torchmetrics.detection")
    pytest.importorskip("pycocotools")
    preds, targets = _random_detections(30, seed)
    # pycocotools' own recall grid (torchmetrics' default is a float32 linspace, which rounds some points up)
    grid = [i * (1.0 / 100) for i in range(100)] + [1.0]
    metric = tm.MeanAveragePrecision(iou_thresholds=[0.5], rec_thresholds=grid, class_metrics=True)
    metric.update(preds, targets)
    expected = metric.compute()
    ours = detection.mean_average_precision(preds, targets, recall_points=101)
    assert ours["map"] == pytest.approx(float(expected["map"]), abs=1e-6)
    all_points = detection.mean_average_precision(preds, targets)["map"]
    assert abs(all_points - ours["map"]) < 0.02                      # the two interpolations nearly agree


def test_mean_average_precision_rejects_bad_input():
    preds, targets = _random_detections(2, 0)
    with pytest.raises(ValueError, match="one entry per image"):
        detection.mean_average_precision(preds, targets[:1])
    with pytest.raises(ValueError, match=r"preds\[0\]"):
        detection.mean_average_precision([{"boxes": preds[0]["boxes"]}] + preds[1:], targets)
    with pytest.raises(TypeError, match="preds"):
        detection.mean_average_precision(preds[0], targets)
    with pytest.raises(ValueError, match="scores"):
        bad = dict(preds[0], scores=preds[0]["scores"][:1])
        detection.mean_average_precision([bad] + preds[1:], targets)


# --------------------------------------------------------------------- drawing
def test_draw_boxes_adds_patches_and_captions():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    boxes = torch.tensor([[2, 2, 10, 10], [5, 5, 20, 30.]])
    detection.draw_boxes(ax, torch.rand(3, 32, 32), boxes, labels=torch.tensor([1, 2]),
                         scores=torch.tensor([0.9, 0.5]), class_names=["bg", "circle", "square"])
    assert len(ax.patches) == 2 and [t.get_text() for t in ax.texts] == ["circle 0.90", "square 0.50"]
    with pytest.raises(ValueError, match="labels"):
        detection.draw_boxes(ax, None, boxes, labels=torch.tensor([1]))
    with pytest.raises(ValueError, match="class_names"):
        detection.draw_boxes(ax, None, boxes, labels=torch.tensor([1, 5]), class_names=["bg", "a"])
    with pytest.raises(TypeError, match="ax"):
        detection.draw_boxes("axes", None, boxes)
    plt.close(fig)


# ---------------------------------------------------------------------- fasterrcnn_mobilenet
def test_fasterrcnn_offline_without_cache_is_random_with_a_notice(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("D2LHELPER_OFFLINE", "1")
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    model = detection.fasterrcnn_mobilenet(num_classes=4, min_size=64, max_size=64)
    assert model.weights == "random" and "NOTICE: Faster R-CNN with RANDOM weights" in capsys.readouterr().out
    assert model.roi_heads.box_predictor.cls_score.out_features == 4
    with pytest.raises(RuntimeError, match="pretrained=True, but the COCO Faster R-CNN weights cannot be had"):
        detection.fasterrcnn_mobilenet(pretrained=True)
    assert not list(tmp_path.rglob("*.pth"))                       # nothing was downloaded


def test_fasterrcnn_loads_cached_coco_weights_and_replaces_the_head(monkeypatch, tmp_path, capsys):
    import os

    from torchvision.models.detection import FasterRCNN_MobileNet_V3_Large_FPN_Weights, fasterrcnn_mobilenet_v3_large_fpn

    monkeypatch.setenv("D2LHELPER_OFFLINE", "1")
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    torch.manual_seed(1)
    coco = fasterrcnn_mobilenet_v3_large_fpn(weights=None, weights_backbone=None, num_classes=91)
    url = FasterRCNN_MobileNet_V3_Large_FPN_Weights.COCO_V1.url
    (tmp_path / "checkpoints").mkdir()
    torch.save(coco.state_dict(), tmp_path / "checkpoints" / os.path.basename(url))   # as if downloaded before
    same = detection.fasterrcnn_mobilenet()
    assert same.weights == "coco" and "COCO weights (from the torch hub cache)" in capsys.readouterr().out
    assert all(torch.equal(a, b) for a, b in zip(coco.state_dict().values(), same.state_dict().values()))
    tuned = detection.fasterrcnn_mobilenet(num_classes=4)
    assert tuned.roi_heads.box_predictor.cls_score.out_features == 4
    assert torch.equal(tuned.backbone.body["0"][0].weight, coco.backbone.body["0"][0].weight)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(num_classes=1), ValueError, r"num_classes must count the background too \(>= 2\), got 1"),
    (dict(pretrained="yes"), ValueError, "pretrained must be True, False or 'auto', got 'yes'"),
    (dict(pretrained=1), ValueError, "pretrained must be True, False or 'auto', got 1"),
    (dict(timeout_s=0), ValueError, "timeout_s must be a positive"),
])
def test_fasterrcnn_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        detection.fasterrcnn_mobilenet(**kwargs)
