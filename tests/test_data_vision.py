import pytest
import torch

import d2lhelper as d2l
from d2lhelper.data import TensorLoader


def test_tensor_loader_batches_and_shuffles():
    X, y = torch.arange(10).float().unsqueeze(1), torch.arange(10)
    loader = TensorLoader(X, y, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(b[1]) for b in batches] == [4, 4, 2]
    assert torch.equal(torch.cat([b[1] for b in batches]), y)
    shuffled = TensorLoader(X, y, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0))
    epoch1 = torch.cat([b[1] for b in shuffled])
    epoch2 = torch.cat([b[1] for b in shuffled])
    assert sorted(epoch1.tolist()) == list(range(10)) and not torch.equal(epoch1, y)
    assert not torch.equal(epoch1, epoch2)  # a new order every epoch
    for Xb, yb in shuffled:
        assert torch.equal(Xb.squeeze(1).long(), yb)  # rows stay paired
    assert len(TensorLoader(X, y, batch_size=4, drop_last=True)) == 2


def test_tensor_loader_transform_and_validation():
    loader = TensorLoader(torch.zeros(6, 1, 4, 4), torch.zeros(6), batch_size=3,
                          transform=lambda X: X.expand(-1, 3, -1, -1))
    assert next(iter(loader))[0].shape == (3, 3, 4, 4)
    with pytest.raises(ValueError, match="same first dimension, got lengths \\[3, 2\\]"):
        TensorLoader(torch.zeros(3), torch.zeros(2), batch_size=1)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        TensorLoader(torch.zeros(3), batch_size=0)
    with pytest.raises(ValueError, match="at least one example"):
        TensorLoader(torch.zeros(0), batch_size=2)
    with pytest.raises(TypeError, match=r"tensors\[1\] must be a torch.Tensor, got list"):
        TensorLoader(torch.zeros(3), [1, 2, 3], batch_size=1)


def test_digits_loader():
    data = d2l.data.load_digits(64)
    train, val = data
    assert data.name == "digits" and data.classes == d2l.data.DIGITS_LABELS
    assert train.num_examples + val.num_examples == 1797
    assert abs(val.num_examples - 0.2 * 1797) < 2
    X, y = next(iter(train))
    assert X.shape == (64, 1, 28, 28) and X.dtype == torch.float32 and y.dtype == torch.int64
    assert 0 <= X.min() and X.max() <= 1
    counts = torch.bincount(torch.cat([b[1] for b in val]), minlength=10)
    assert counts.min() >= 30  # stratified: every class held out
    assert d2l.data.load_digits(8, resize=None).train.tensors[0].shape[-2:] == (8, 8)
    assert data.labels(torch.tensor([3, 0])) == ["3", "0"]


def test_fashion_mnist_falls_back_offline_with_a_notice(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("D2LHELPER_OFFLINE", "1")
    monkeypatch.setenv("D2LHELPER_DATA", str(tmp_path))
    data = d2l.data.load_fashion_mnist(32, resize=32)
    assert "Fashion-MNIST is not available here" in capsys.readouterr().out
    assert data.name == "digits" and next(iter(data.train))[0].shape == (32, 1, 32, 32)


def test_fashion_mnist_reads_torchvision_files(monkeypatch, tmp_path):
    """With the raw files in place (a tiny fake set here), the real dataset loads."""
    from torchvision.datasets import FashionMNIST

    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    import struct

    def write(name, magic, dims, data):
        with open(raw / name, "wb") as f:
            f.write(struct.pack(">i", magic) + b"".join(struct.pack(">i", d) for d in dims) + bytes(data))

    for prefix, n in (("train", 5), ("t10k", 3)):
        write(f"{prefix}-images-idx3-ubyte", 2051, (n, 28, 28), [i % 256 for i in range(n * 784)])
        write(f"{prefix}-labels-idx1-ubyte", 2049, (n,), list(range(n)))
    assert FashionMNIST(str(tmp_path), train=True).data.shape == (5, 28, 28)
    data = d2l.data.load_fashion_mnist(2, root=tmp_path)
    assert data.name == "Fashion-MNIST" and data.classes[9] == "ankle boot"
    assert data.train.num_examples == 5 and data.val.num_examples == 3
    X, y = next(iter(data.val))
    assert X.shape == (2, 1, 28, 28) and float(X.max()) <= 1.0 and y.tolist() == [0, 1]


@pytest.mark.parametrize("kwargs, match", [
    (dict(batch_size=0), "batch_size must be a positive int"),
    (dict(batch_size=8, resize=-3), "resize must be a positive int"),
])
def test_loaders_validate(kwargs, match):
    with pytest.raises(ValueError, match=match):
        d2l.data.load_fashion_mnist(**kwargs)
