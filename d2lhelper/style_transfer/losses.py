"""Style transfer's losses: Gram matrices, content and style losses, total variation."""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .._checks import check_bool, check_not_empty, check_type

__all__ = ["content_loss", "gram_matrix", "style_loss", "total_variation"]


def gram_matrix(Y: torch.Tensor) -> torch.Tensor:
    """The Gram matrix of feature maps: which channels fire together.

    With the maps flattened to ``F`` of shape ``(C, H*W)``,

    .. math:: G = \\frac{1}{C H W} F F^\\top, \\qquad G_{ij} = \\frac{1}{CHW}\\sum_{p} F_{ip} F_{jp}.

    Dividing by ``C*H*W`` makes the values independent of the image size, so a
    style image and the synthesised image need not have the same size.

    Args:
        Y: feature maps, shape ``(C, H, W)`` or ``(N, C, H, W)``.

    Returns:
        Shape ``(C, C)``, or ``(N, C, C)`` for a batch; symmetric. Computed in
        (at least) float32 even for half-precision input or under autocast: the
        sum over ``H*W`` products overflows float16 (max 65504) for a 224x224 map.
    """
    if not isinstance(Y, torch.Tensor) or Y.ndim not in (3, 4):
        shape = tuple(Y.shape) if isinstance(Y, torch.Tensor) else type(Y).__name__
        raise ValueError(f"Y must be feature maps of shape (C, H, W) or (N, C, H, W), got {shape}")
    c, h, w = Y.shape[-3:]
    flat = Y.reshape(*Y.shape[:-2], h * w).to(torch.promote_types(Y.dtype, torch.float32))  # (..., C, H*W)
    with torch.autocast(Y.device.type, enabled=False):  # autocast would run the matmul in float16 again
        return flat @ flat.transpose(-1, -2) / (c * h * w)


def content_loss(Y_hat: torch.Tensor, Y: torch.Tensor, scale_free: bool = True) -> torch.Tensor:
    """Mean squared difference of feature maps, ``mean((Y_hat - Y)^2)``.

    With ``scale_free`` it is divided by ``mean(Y^2)``, so it is about 1 when
    ``Y_hat`` is unrelated to ``Y`` whatever the scale of the features.

    Args:
        Y_hat, Y: feature maps of the same shape; ``Y`` is the (constant) target.

    Returns:
        A scalar tensor.
    """
    check_type("Y_hat", Y_hat, torch.Tensor, "a tensor of feature maps")
    check_type("Y", Y, torch.Tensor, "a tensor of feature maps")
    check_bool("scale_free", scale_free)
    if Y_hat.shape != Y.shape:
        raise ValueError(f"Y_hat and Y must have the same shape, got {tuple(Y_hat.shape)} and {tuple(Y.shape)}")
    loss = F.mse_loss(Y_hat, Y.detach())
    return loss / Y.detach().square().mean().clamp_min(1e-12) if scale_free else loss


def style_loss(
    features: dict[str, torch.Tensor],
    target_grams: dict[str, torch.Tensor],
    layer_weights: Sequence[float] | None = None,
    scale_free: bool = True,
) -> torch.Tensor:
    """Weighted sum over layers of the squared difference of Gram matrices.

    ``sum_l w_l * mean((G(Y_l) - G_l)^2)``, each term divided by
    ``mean(G_l^2)`` when ``scale_free``.

    Args:
        features: layer name -> feature maps ``(1, C_l, H_l, W_l)`` of the image.
        target_grams: layer name -> target Gram matrix ``(C_l, C_l)``, same names.
        layer_weights: one weight per layer in the order of ``target_grams``;
            ``None`` gives every layer weight 1.

    Returns:
        A scalar tensor.
    """
    check_type("features", features, dict, "a dict layer name -> feature maps, e.g. from a FeatureExtractor")
    check_type("target_grams", target_grams, dict, "a dict layer name -> Gram matrix")
    check_not_empty("target_grams", target_grams)
    check_bool("scale_free", scale_free)
    names = list(target_grams)
    missing = [n for n in names if n not in features]
    if missing:
        raise ValueError(f"features lacks the style layer(s) {missing}; it has {list(features)}")
    weights = [1.0] * len(names) if layer_weights is None else list(layer_weights)
    if len(weights) != len(names):
        raise ValueError(f"layer_weights must have one weight per style layer ({len(names)}), got {len(weights)}")
    total = features[names[0]].new_zeros(())
    for w, name in zip(weights, names):
        G_hat, G = gram_matrix(features[name][0]), target_grams[name].detach()
        term = F.mse_loss(G_hat, G)
        total = total + w * (term / G.square().mean().clamp_min(1e-20) if scale_free else term)
    return total


def total_variation(X: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels (anisotropic TV).

    ``TV(X) = mean|X[..., i+1, j] - X[..., i, j]| + mean|X[..., i, j+1] - X[..., i, j]|``

    Args:
        X: images, shape ``(N, C, H, W)`` with ``H, W >= 2``.

    Returns:
        A scalar tensor.
    """
    if X.ndim != 4 or min(X.shape[-2:]) < 2:
        raise ValueError(f"X must have shape (N, C, H, W) with H, W >= 2, got {tuple(X.shape)}")
    return (X[..., 1:, :] - X[..., :-1, :]).abs().mean() + (X[..., :, 1:] - X[..., :, :-1]).abs().mean()
