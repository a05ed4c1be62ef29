"""Networks that several chapters use: a section builds each one to teach it, asserts it equal to the copy here,
and later chapters import it from here.

* :func:`lenet`: the modern LeNet of Section 3.4 (batch normalisation, ReLU, max pooling), which Chapter 12
  trains, exports and serves.
"""
from __future__ import annotations

from torch import nn

__all__ = ["lenet"]


def lenet() -> nn.Sequential:
    """The modern LeNet of Section 3.4: ``(batch, 1, 28, 28)`` images in [0, 1] -> ``(batch, 10)`` logits."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2, bias=False), nn.BatchNorm2d(6), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120, bias=False), nn.BatchNorm1d(120), nn.ReLU(),
        nn.Linear(120, 84, bias=False), nn.BatchNorm1d(84), nn.ReLU(),
        nn.Linear(84, 10))
