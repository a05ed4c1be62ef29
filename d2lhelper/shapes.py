"""Output sizes of convolutions and a network's shape table, layer by layer.

For an input of size :math:`n`, kernel :math:`k`, padding :math:`p` on each
side, stride :math:`s` and dilation :math:`d`, a convolution or pooling layer
produces

.. math::
    \\left\\lfloor \\frac{n + 2p - d(k - 1) - 1}{s} \\right\\rfloor + 1

outputs along that dimension.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch
from torch import nn

from ._checks import check_module, check_non_negative_int, check_positive_int

__all__ = ["conv_output_size", "shape_table"]


def conv_output_size(size: int, kernel: int, padding: int = 0, stride: int = 1, dilation: int = 1) -> int:
    """Output length along one dimension of a convolution or pooling layer.

    Example: a 32-pixel-wide input, 5x5 kernel, padding 2, stride 1 gives 32;
    128 with kernel 5, no padding, stride 3 gives 42.

    Raises:
        ValueError: an argument is out of range, or the (dilated) kernel is
            larger than the padded input.
    """
    check_positive_int("size", size)
    check_positive_int("kernel", kernel)
    check_non_negative_int("padding", padding)
    check_positive_int("stride", stride)
    check_positive_int("dilation", dilation)
    span = dilation * (kernel - 1) + 1
    if span > size + 2 * padding:
        raise ValueError(f"kernel spans {span} inputs (kernel={kernel}, dilation={dilation}) but the padded "
                         f"input has only {size + 2 * padding} (size={size}, padding={padding})")
    return (size + 2 * padding - span) // stride + 1


def shape_table(model: nn.Module, input_shape: Sequence[int], *, depth: int = 1) -> pd.DataFrame:
    """Run a dummy batch through ``model`` and tabulate each layer's output.

    Args:
        model: the network; its submodules ``depth`` levels down are listed
            (1: the children of an ``nn.Sequential``).
        input_shape: the input's shape including the batch dimension, e.g.
            ``(1, 1, 28, 28)``.
        depth: how many levels of nested modules to descend.

    Returns:
        A DataFrame with one row per layer: ``layer`` (its name in the model),
        ``type``, ``output shape`` and ``parameters``, plus a final ``total`` row.
    """
    check_module("model", model)
    if not input_shape or any(not isinstance(d, int) or d <= 0 for d in input_shape):
        raise ValueError(f"input_shape must be a sequence of positive ints like (1, 3, 32, 32), got {input_shape!r}")
    check_positive_int("depth", depth)
    rows: list[dict] = []
    hooks = []
    for name, module in model.named_modules():
        if name and name.count(".") == depth - 1:
            def hook(mod, inputs, output, name=name):
                shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
                rows.append({"layer": name, "type": type(mod).__name__, "output shape": shape,
                             "parameters": sum(p.numel() for p in mod.parameters())})
            hooks.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters(), torch.empty(0)).device
        with torch.no_grad():
            model(torch.zeros(*input_shape, device=device))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    rows.append({"layer": "total", "type": "", "output shape": "",
                 "parameters": sum(p.numel() for p in model.parameters())})
    return pd.DataFrame(rows)
