import pytest
import torch
from torch import nn

import d2lhelper as d2l


@pytest.mark.parametrize("size, kernel, padding, stride, dilation, expected", [
    (32, 5, 2, 1, 1, 32),    # 32x32x3, ten 5x5 filters, padding 2 -> 32x32x10
    (128, 5, 0, 3, 1, 42),   # 128x128x1, five 5x5 filters, stride 3 -> 42x42x5
    (28, 2, 0, 2, 1, 14),    # 2x2 pooling
    (7, 3, 0, 1, 2, 3),      # dilation 2: the kernel spans 5
    (5, 5, 0, 1, 1, 1),
])
def test_conv_output_size_matches_pytorch(size, kernel, padding, stride, dilation, expected):
    assert d2l.conv_output_size(size, kernel, padding, stride, dilation) == expected
    conv = nn.Conv2d(1, 1, kernel, padding=padding, stride=stride, dilation=dilation)
    assert conv(torch.zeros(1, 1, size, size)).shape[-1] == expected


def test_conv_output_size_validates():
    with pytest.raises(ValueError, match=r"kernel spans 5 inputs .* only 4"):
        d2l.conv_output_size(4, 5)
    with pytest.raises(ValueError, match="stride must be a positive int, got 0"):
        d2l.conv_output_size(8, 3, stride=0)
    with pytest.raises(ValueError, match="padding must be an int >= 0, got -1"):
        d2l.conv_output_size(8, 3, padding=-1)


def test_shape_table_lists_layers():
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(6 * 14 * 14, 10))
    net.train()
    table = d2l.shape_table(net, (2, 1, 28, 28))
    assert list(table["layer"]) == ["0", "1", "2", "3", "4", "total"]
    assert table["output shape"].tolist()[:5] == [(2, 6, 28, 28), (2, 6, 28, 28), (2, 6, 14, 14), (2, 1176), (2, 10)]
    assert table["parameters"].iloc[0] == 6 * 25 + 6
    assert table["parameters"].iloc[-1] == sum(p.numel() for p in net.parameters())
    assert net.training  # mode restored


def test_shape_table_depth_and_validation():
    net = nn.Sequential(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), nn.Linear(3, 2))
    assert list(d2l.shape_table(net, (1, 4), depth=2)["layer"]) == ["0.0", "0.1", "total"]
    with pytest.raises(ValueError, match=r"input_shape must be a sequence of positive ints .* got \(1, 0\)"):
        d2l.shape_table(net, (1, 0))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        d2l.shape_table("net", (1, 4))
