"""Saliency maps and Grad-CAM (d2lhelper/interpret.py) on models whose answer is known in closed form."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import d2lhelper as d2l


def _linear_model(C: int = 2, H: int = 4, W: int = 5, K: int = 3) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(C * H * W, K))


class _Quadratic(nn.Module):
    """Score of class c = a_c * sum(x^2): the gradient is 2 a_c x, so the saliency is |x| (max over channels)."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.tensor([1.0, -3.0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.pow(2).flatten(1).sum(1, keepdim=True) * self.a


class _PatchDetector(nn.Module):
    """conv (2 channels, 3x3) -> ReLU -> global average pooling -> linear with fixed weights.

    Channel 0 is a box filter that responds where a bright patch is; channel 1 a fixed random filter.
    Class 0 reads channel 0 only, class 1 channel 1 only, class 2 channel 0 with weight -1.
    With average pooling dS_c/dA^k_ij = w_ck / (h w), so Grad-CAM for class c is ReLU(sum_k w_ck A^k)
    up to a positive factor (the class activation map).
    """

    def __init__(self, stride: int = 1, inplace: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1, stride=stride)
        self.relu = nn.ReLU(inplace=inplace)
        self.fc = nn.Linear(2, 3)
        torch.manual_seed(1)
        with torch.no_grad():
            self.conv.weight[0] = 1.0 / 9
            self.conv.weight[1] = torch.randn(1, 3, 3)
            self.conv.bias.zero_()
            self.fc.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]))
            self.fc.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.relu(self.conv(x)).mean(dim=(2, 3)))


def _patch_images(n: int = 3, size: int = 12) -> tuple[torch.Tensor, list[tuple[int, int]]]:
    """Dark images, each with a 3x3 patch of ones at a different place."""
    X = torch.zeros(n, 1, size, size)
    corners = [(1 + 3 * i, 7 - 2 * i) for i in range(n)]
    for i, (r, c) in enumerate(corners):
        X[i, 0, r:r + 3, c:c + 3] = 1.0
    return X, corners


# ---------------------------------------------------------------- saliency maps


def test_saliency_of_a_linear_model_is_its_weights() -> None:
    model = _linear_model()
    X = torch.randn(4, 2, 4, 5)
    for c in range(3):
        expected = model[1].weight[c].detach().abs().reshape(2, 4, 5).amax(dim=0)   # (4, 5), max over channels
        expected = expected / expected.max()
        maps = d2l.saliency_map(model, X, c)
        assert maps.shape == (4, 4, 5)
        for m in maps:                       # the same for every image: a linear model's gradient is constant
            torch.testing.assert_close(m, expected)


def test_saliency_with_one_target_per_image() -> None:
    model = _linear_model()
    X = torch.randn(3, 2, 4, 5)
    target = torch.tensor([2, 0, 1])
    maps = d2l.saliency_map(model, X, target)
    for i, c in enumerate(target.tolist()):
        torch.testing.assert_close(maps[i], d2l.saliency_map(model, X[i:i + 1], c)[0])
    assert not torch.allclose(maps[0], maps[1])


def test_saliency_depends_on_the_input_as_the_gradient_says() -> None:
    model = _Quadratic()
    X = torch.randn(2, 3, 4, 4)
    expected = X.abs().amax(dim=1)
    expected = expected / expected.flatten(1).amax(1)[:, None, None]
    for c in (0, 1):                         # a_1 < 0: the absolute value makes the sign irrelevant
        torch.testing.assert_close(d2l.saliency_map(model, X, c), expected)


def test_saliency_default_target_is_the_predicted_class() -> None:
    model = _linear_model()
    X = torch.randn(5, 2, 4, 5)
    pred = model(X).argmax(1)
    torch.testing.assert_close(d2l.saliency_map(model, X), d2l.saliency_map(model, X, pred))


def test_saliency_leaves_model_and_input_alone() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.5),
                          nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    X = torch.rand(6, 1, 6, 6)
    X_before = X.clone()
    running = model[1].running_mean.clone()
    model.train()
    first = d2l.saliency_map(model, X, 1)
    second = d2l.saliency_map(model, X, 1)
    torch.testing.assert_close(first, second)              # eval mode inside: no dropout noise
    assert model.training and all(m.training for m in model.modules())
    assert torch.equal(model[1].running_mean, running)      # batch norm did not update its statistics
    assert all(p.grad is None for p in model.parameters())  # no gradient accumulated in the parameters
    assert torch.equal(X, X_before) and not X.requires_grad
    model.eval()
    d2l.saliency_map(model, X, 1)
    assert not model.training
    assert first.min() >= 0 and torch.allclose(first.flatten(1).amax(1), torch.ones(6))


def test_saliency_runs_under_no_grad() -> None:
    model = _linear_model()
    X = torch.randn(2, 2, 4, 5)
    with torch.no_grad():
        maps = d2l.saliency_map(model, X, 0)
    torch.testing.assert_close(maps, d2l.saliency_map(model, X, 0))


# ---------------------------------------------------------------- Grad-CAM


def test_grad_cam_finds_the_planted_patch() -> None:
    model = _PatchDetector()
    X, corners = _patch_images()
    maps = d2l.grad_cam(model, model.relu, X, 0)
    assert maps.shape == (3, 12, 12)
    with torch.no_grad():
        A = model.relu(model.conv(X))                                  # (3, 2, 12, 12)
    expected = A[:, 0] / A[:, 0].flatten(1).amax(1)[:, None, None]     # class 0 reads channel 0 only
    torch.testing.assert_close(maps, expected)
    for m, (r, c) in zip(maps, corners):
        i, j = divmod(int(m.argmax()), 12)
        assert (i, j) == (r + 1, c + 1)                                 # the centre of the patch


def test_grad_cam_is_the_class_activation_map_under_average_pooling() -> None:
    model = _PatchDetector()
    torch.manual_seed(0)
    X = torch.rand(4, 1, 12, 12)
    with torch.no_grad():
        A = model.relu(model.conv(X))                                  # (4, 2, 12, 12)
    for c in (0, 1):
        cam = F.relu(torch.einsum("k,nkij->nij", model.fc.weight[c].detach(), A))
        torch.testing.assert_close(d2l.grad_cam(model, model.relu, X, c), cam / cam.flatten(1).amax(1)[:, None, None])


def test_grad_cam_rectifies_negative_evidence() -> None:
    model = _PatchDetector()
    X, _ = _patch_images()
    maps = d2l.grad_cam(model, model.relu, X, 2)     # class 2 = -channel 0: all evidence is negative
    assert torch.equal(maps, torch.zeros(3, 12, 12))  # ReLU leaves nothing, and the zero map is not divided by 0


def test_grad_cam_upsamples_coarse_maps_bilinearly() -> None:
    model = _PatchDetector(stride=2)
    X, _ = _patch_images()
    with torch.no_grad():
        A = model.relu(model.conv(X))                                  # (3, 2, 6, 6)
    small = A[:, :1]
    expected = F.interpolate(small, size=(12, 12), mode="bilinear", align_corners=False)[:, 0]
    expected = expected / expected.flatten(1).amax(1)[:, None, None]
    torch.testing.assert_close(d2l.grad_cam(model, model.relu, X, 0), expected)


def test_grad_cam_matches_a_hand_computation_on_a_cnn() -> None:
    torch.manual_seed(0)
    features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1))
    head = nn.Sequential(nn.ReLU(), nn.Flatten(), nn.Linear(6 * 4 * 4, 5))
    model = nn.Sequential(features, head)
    X = torch.rand(3, 1, 8, 8)
    target = torch.tensor([4, 0, 2])
    A = features(X).detach().requires_grad_(True)                      # (3, 6, 4, 4)
    scores = head(A).gather(1, target[:, None]).sum()
    (dA,) = torch.autograd.grad(scores, A)
    cam = F.relu((dA.mean(dim=(2, 3), keepdim=True) * A.detach()).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=(8, 8), mode="bilinear", align_corners=False)[:, 0]
    expected = cam / cam.flatten(1).amax(1)[:, None, None]
    torch.testing.assert_close(d2l.grad_cam(model, features[3], X, target), expected)
    torch.testing.assert_close(d2l.grad_cam(model, features, X, target), expected)   # the same output, one level up


def test_grad_cam_sees_the_layer_output_before_an_inplace_relu() -> None:
    X, _ = _patch_images()
    X = X + 0.3 * torch.randn_like(X)
    plain, inplace = _PatchDetector(), _PatchDetector(inplace=True)
    for c in (0, 1):
        torch.testing.assert_close(d2l.grad_cam(inplace, inplace.conv, X, c), d2l.grad_cam(plain, plain.conv, X, c))


def test_grad_cam_works_with_frozen_parameters_and_no_grad() -> None:
    model = _PatchDetector()
    X, _ = _patch_images()
    expected = d2l.grad_cam(model, model.relu, X, 1)
    for p in model.parameters():
        p.requires_grad_(False)
    with torch.no_grad():
        torch.testing.assert_close(d2l.grad_cam(model, model.relu, X, 1), expected)


def test_grad_cam_leaves_no_hook_and_restores_the_mode() -> None:
    model = _PatchDetector()
    X, _ = _patch_images()
    for training in (True, False):
        model.train(training)
        d2l.grad_cam(model, model.relu, X, 0)
        assert model.training is training and not model.relu._forward_hooks
    assert all(p.grad is None for p in model.parameters())


def test_grad_cam_removes_its_hook_on_error() -> None:
    model = _PatchDetector()
    X, _ = _patch_images()
    model.train()
    with pytest.raises(ValueError, match=r"target must be a class index in \[0, 3\), got 7"):
        d2l.grad_cam(model, model.relu, X, 7)            # fails after the forward pass
    assert not model.relu._forward_hooks and model.training
    with pytest.raises(ValueError, match="layer must output feature maps"):
        d2l.grad_cam(model, model.fc, X, 0)              # fails inside the hook
    assert not model.fc._forward_hooks and model.training


def test_grad_cam_default_target_is_the_predicted_class() -> None:
    model = _PatchDetector()
    torch.manual_seed(0)
    X = torch.rand(4, 1, 12, 12) - 0.5
    pred = model(X).argmax(1)
    torch.testing.assert_close(d2l.grad_cam(model, model.relu, X), d2l.grad_cam(model, model.relu, X, pred))


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("fn", ["saliency_map", "grad_cam"])
def test_bad_input_names_the_argument(fn: str) -> None:
    model = _PatchDetector()
    X, _ = _patch_images()

    def call(**kw):
        args = {"model": model, "X": X, "target": 0, **kw}
        if fn == "grad_cam":
            return d2l.grad_cam(args["model"], kw.get("layer", model.relu), args["X"], args["target"])
        return d2l.saliency_map(args["model"], args["X"], args["target"])

    with pytest.raises(TypeError, match="model must be a torch.nn.Module, got str"):
        call(model="net")
    with pytest.raises(TypeError, match="X must be a torch.Tensor"):
        call(X=X.numpy())
    with pytest.raises(ValueError, match=r"X must have shape \(N, C, H, W\) with N >= 1, got \(1, 12, 12\)"):
        call(X=X[0])
    with pytest.raises(ValueError, match=r"got \(0, 1, 12, 12\)"):
        call(X=X[:0])
    with pytest.raises(TypeError, match="X must be a floating-point tensor.*torch.uint8"):
        call(X=X.to(torch.uint8))
    with pytest.raises(ValueError, match=r"target must be a class index in \[0, 3\), got -1"):
        call(target=-1)
    with pytest.raises(ValueError, match=r"target must hold class indices in \[0, 3\), got 3 at position 1"):
        call(target=torch.tensor([0, 3, 1]))
    with pytest.raises(ValueError, match=r"target must have shape \(3,\)"):
        call(target=torch.tensor([0, 1]))
    with pytest.raises(TypeError, match="target must hold integer class indices, got dtype torch.float32"):
        call(target=torch.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="target must be a class index.*got bool"):
        call(target=True)
    with pytest.raises(TypeError, match="target must be a class index.*got str"):
        call(target="cat")


def test_model_output_must_be_class_scores() -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU())      # returns feature maps, not scores
    X = torch.rand(2, 1, 6, 6)
    with pytest.raises(ValueError, match=r"model must return class scores of shape \(2, num_classes\).*\(2, 2, 6, 6\)"):
        d2l.saliency_map(model, X, 0)
    with pytest.raises(ValueError, match="model must return class scores"):
        d2l.grad_cam(model, model[0], X, 0)
    assert not model[0]._forward_hooks


def test_layer_must_belong_to_the_model_and_run() -> None:
    model = _PatchDetector()
    X, _ = _patch_images()
    with pytest.raises(ValueError, match="layer must be a submodule of model.*Conv2d"):
        d2l.grad_cam(model, nn.Conv2d(1, 2, 3), X, 0)
    with pytest.raises(TypeError, match="layer must be a torch.nn.Module, got str"):
        d2l.grad_cam(model, "conv", X, 0)
    model.unused = nn.Conv2d(1, 1, 1)
    with pytest.raises(ValueError, match=r"layer \(Conv2d\) was not called during model's forward pass"):
        d2l.grad_cam(model, model.unused, X, 0)
    assert not model.unused._forward_hooks
