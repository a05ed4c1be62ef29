"""What an image classifier looks at: saliency maps and Grad-CAM.

Both explain one class score :math:`S_c` of a network for one input image
:math:`x` of shape ``(C, H, W)``.

**Saliency map** (Simonyan et al., 2013): how strongly each pixel moves the
score, the largest absolute gradient over the colour channels,

.. math::
    M_{ij} = \\max_k \\left| \\frac{\\partial S_c}{\\partial x_{kij}} \\right| .

**Grad-CAM** (Selvaraju et al., 2017): for the feature maps :math:`A^k`
(``(K, h, w)``) of a convolutional layer, each channel is weighted by its
spatially averaged gradient, and the weighted sum is rectified and upsampled
(bilinearly) to the input's size,

.. math::
    \\alpha_k = \\frac{1}{hw} \\sum_{ij} \\frac{\\partial S_c}{\\partial A^k_{ij}}, \\qquad
    L = \\operatorname{ReLU}\\Big(\\sum_k \\alpha_k A^k\\Big) .

Both functions divide each map by its maximum, so maps lie in [0, 1] (a map
that is zero everywhere stays zero). They run the model in evaluation mode and
restore its mode afterwards, take gradients with :func:`torch.autograd.grad`
(the parameters' ``.grad`` are not touched) and leave no hook behind.
"""
from __future__ import annotations

import numbers

import torch
from torch import nn
from torch.nn import functional as F

from ._checks import check_module

__all__ = ["saliency_map", "grad_cam"]


def _check_images(X: object) -> torch.Tensor:
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"X must be a torch.Tensor of images with shape (N, C, H, W), got {type(X).__name__}")
    if X.ndim != 4 or X.shape[0] == 0:
        raise ValueError(f"X must have shape (N, C, H, W) with N >= 1, got {tuple(X.shape)}")
    if not X.is_floating_point():
        raise TypeError(f"X must be a floating-point tensor (e.g. float32 images in [0, 1]), got {X.dtype}")
    return X


def _check_target(target: object, n: int) -> torch.Tensor | int | None:
    """Shape and type of ``target``; its range is checked once the number of classes is known."""
    if target is None:
        return None
    if isinstance(target, bool):
        raise TypeError(f"target must be a class index (int), a tensor of shape ({n},) or None, got bool {target!r}")
    if isinstance(target, numbers.Integral):
        return int(target)
    if isinstance(target, torch.Tensor):
        if target.dtype.is_floating_point or target.dtype.is_complex or target.dtype == torch.bool:
            raise TypeError(f"target must hold integer class indices, got dtype {target.dtype}")
        if target.ndim == 0:
            return int(target)
        if tuple(target.shape) != (n,):
            raise ValueError(f"target must have shape ({n},), one class per image of X, got {tuple(target.shape)}")
        return target
    raise TypeError(f"target must be a class index (int), a tensor of shape ({n},) or None, "
                    f"got {type(target).__name__} {target!r:.60}")


def _class_scores(logits: torch.Tensor, target: torch.Tensor | int | None, n: int) -> torch.Tensor:
    """The sum over the batch of each image's score for its target class (a scalar to differentiate)."""
    if logits.ndim != 2 or logits.shape[0] != n:
        raise ValueError(f"model must return class scores of shape ({n}, num_classes) for X, "
                         f"got {tuple(logits.shape)}")
    num_classes = logits.shape[1]
    if target is None:
        idx = logits.argmax(dim=1)
    elif isinstance(target, int):
        if not 0 <= target < num_classes:
            raise ValueError(f"target must be a class index in [0, {num_classes}), got {target}")
        idx = torch.full((n,), target, dtype=torch.long, device=logits.device)
    else:
        idx = target.to(device=logits.device, dtype=torch.long)
        bad = (idx < 0) | (idx >= num_classes)
        if bool(bad.any()):
            raise ValueError(f"target must hold class indices in [0, {num_classes}), "
                             f"got {int(idx[bad][0])} at position {int(bad.nonzero()[0])}")
    # Each image's score depends on that image only (in eval mode), so the gradient of the sum with
    # respect to image i is the gradient of image i's own score.
    return logits.gather(1, idx[:, None]).sum()


def _normalise(maps: torch.Tensor) -> torch.Tensor:
    """Divide each map of ``(N, H, W)`` by its maximum; all-zero maps stay zero."""
    peak = maps.flatten(1).amax(dim=1).clamp_min(torch.finfo(maps.dtype).tiny)
    return maps / peak[:, None, None]


def _model_device(model: nn.Module, X: torch.Tensor) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else X.device


def saliency_map(model: nn.Module, X: torch.Tensor, target: torch.Tensor | int | None = None) -> torch.Tensor:
    """Gradient saliency: ``max_k |dS_c / dX[:, k]|`` per pixel, each map scaled to [0, 1].

    Args:
        model: a classifier mapping ``(N, C, H, W)`` images to scores ``(N, num_classes)``.
            It runs in evaluation mode (batch norm with running statistics, no dropout);
            its train/eval mode is restored afterwards.
        X: images ``(N, C, H, W)``, floating point; not modified. Moved to the model's device.
        target: the class whose score is explained: one index for all images, a tensor
            ``(N,)`` of indices, or ``None`` for each image's predicted class.

    Returns:
        ``(N, H, W)`` maps in [0, 1] (each divided by its maximum), on ``X``'s device.

    Raises:
        TypeError, ValueError: a bad argument, naming it.
    """
    check_module("model", model)
    _check_images(X)
    target = _check_target(target, X.shape[0])
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            inputs = X.detach().to(_model_device(model, X)).clone().requires_grad_(True)
            score = _class_scores(model(inputs), target, X.shape[0])
            (grad,) = torch.autograd.grad(score, inputs)       # (N, C, H, W)
    finally:
        model.train(was_training)
    maps = grad.abs().amax(dim=1)                               # (N, H, W): strongest channel per pixel
    return _normalise(maps).to(X.device)


def grad_cam(model: nn.Module, layer: nn.Module, X: torch.Tensor,
             target: torch.Tensor | int | None = None) -> torch.Tensor:
    """Grad-CAM maps of ``layer``'s feature maps for the ``target`` class, upsampled to ``X``'s size.

    A forward hook on ``layer`` keeps its output ``A`` of shape ``(N, K, h, w)``;
    the channel weights are the gradients of the class score averaged over the
    ``h x w`` positions, ``alpha = mean_ij dS_c/dA`` ``(N, K)``, and the map is
    ``ReLU(sum_k alpha_k A^k)`` ``(N, h, w)``, bilinearly resized to ``(H, W)``
    and divided by its maximum. The hook is removed before returning, also when
    an error is raised. The hook detaches ``A`` from the layers before it (no
    gradient is computed for them, so frozen layers are fine) and hands the rest
    of the network a copy, so a later in-place operation (``inplace=True``) leaves
    ``A`` as ``layer`` produced it. A layer called more than once per forward pass
    is explained at its last call.

    Args:
        model: a classifier mapping ``(N, C, H, W)`` images to scores ``(N, num_classes)``;
            run in evaluation mode, its train/eval mode restored afterwards.
        layer: a submodule of ``model`` whose output is a feature map ``(N, K, h, w)``,
            usually the last convolution (or the activation after it).
        X: images ``(N, C, H, W)``, floating point; not modified.
        target: one class index for all images, a tensor ``(N,)`` of indices, or
            ``None`` for each image's predicted class.

    Returns:
        ``(N, H, W)`` maps in [0, 1], on ``X``'s device.

    Raises:
        TypeError, ValueError: a bad argument (naming it), or ``layer`` not used in the
            forward pass or not producing a 4-d feature map.
    """
    check_module("model", model)
    check_module("layer", layer)
    if not any(m is layer for m in model.modules()):
        raise ValueError(f"layer must be a submodule of model (one of model.modules()), "
                         f"got a {type(layer).__name__} that model does not contain")
    _check_images(X)
    target = _check_target(target, X.shape[0])
    kept: list[torch.Tensor] = []

    def keep(module: nn.Module, inputs: object, output: object) -> torch.Tensor | None:
        if not isinstance(output, torch.Tensor) or output.ndim != 4:
            shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
            raise ValueError(f"layer must output feature maps of shape (N, K, h, w), got {shape}")
        A = output.detach().requires_grad_(True)   # a leaf: the gradient stops here, earlier layers need none
        kept.append(A)
        return A.clone()            # the rest of the network runs on a copy, which it may change in place

    was_training = model.training
    handle = layer.register_forward_hook(keep)
    model.eval()
    try:
        with torch.enable_grad():
            inputs = X.detach().to(_model_device(model, X))
            logits = model(inputs)
            if not kept:
                raise ValueError(f"layer ({type(layer).__name__}) was not called during model's forward pass")
            A = kept[-1]                                            # (N, K, h, w), its last call
            score = _class_scores(logits, target, X.shape[0])
            (dA,) = torch.autograd.grad(score, A)                   # (N, K, h, w)
    finally:
        handle.remove()
        model.train(was_training)
    alpha = dA.mean(dim=(2, 3), keepdim=True)                       # (N, K, 1, 1): one weight per channel
    cam = F.relu((alpha * A.detach()).sum(dim=1, keepdim=True))     # (N, 1, h, w)
    if cam.shape[-2:] != X.shape[-2:]:
        cam = F.interpolate(cam, size=X.shape[-2:], mode="bilinear", align_corners=False)
    return _normalise(cam[:, 0]).to(X.device)                       # (N, H, W)
