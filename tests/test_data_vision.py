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


def test_fashion_mnist_falls_back_offline_to_real_28x28_mnist_with_a_notice(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("D2LHELPER_OFFLINE", "1")
    monkeypatch.setenv("D2LHELPER_DATA", str(tmp_path))
    monkeypatch.delenv("D2LHELPER_MIRROR", raising=False)
    data = d2l.data.load_fashion_mnist(32, resize=32)
    out = capsys.readouterr().out
    assert "NOTICE: Fashion-MNIST is not available here" in out and "MNIST-5k" in out
    assert data.name == "MNIST-5k" and data.classes == d2l.data.DIGITS_LABELS
    assert next(iter(data.train))[0].shape == (32, 1, 32, 32)
    left = [p for p in (tmp_path / "fashion-mnist").rglob("*") if p.is_file() and p.suffix != ".lock"]
    assert left == [], "a failed fetch left files behind"


def test_mnist_5k_is_the_real_subset_split_by_class(monkeypatch, tmp_path):
    monkeypatch.setenv("D2LHELPER_OFFLINE", "1")
    monkeypatch.setenv("D2LHELPER_DATA", str(tmp_path))
    data = d2l.data.load_mnist_5k(500)
    (X_train, y_train), (X_val, y_val) = data.train.tensors, data.val.tensors
    assert X_train.shape == (4000, 1, 28, 28) and X_val.shape == (1000, 1, 28, 28)
    assert torch.bincount(y_train).tolist() == [400] * 10 and torch.bincount(y_val).tolist() == [100] * 10
    assert X_train.dtype == torch.float32 and float(X_train.min()) == 0.0 and float(X_train.max()) == 1.0
    # Real 28x28 strokes, not 8x8 blobs scaled up: about a fifth of the pixels are ink, and
    # neighbouring columns differ (an upsampled 8x8 image repeats them in blocks).
    ink = (X_train > 0.5).float().mean()
    assert 0.1 < float(ink) < 0.3, float(ink)
    assert float((X_train[..., 1:] - X_train[..., :-1]).abs().mean()) > 0.05
    again = d2l.data.load_mnist_5k(500)
    assert torch.equal(again.val.tensors[0], X_val)  # the split is fixed by its seed
    assert not torch.equal(d2l.data.load_mnist_5k(500, seed=1).val.tensors[1], y_val[torch.randperm(1000)])
    with pytest.raises(ValueError, match="val_fraction must be in \\(0, 1\\), got 1.5"):
        d2l.data.load_mnist_5k(8, val_fraction=1.5)


def test_fashion_mnist_comes_through_the_data_layer(monkeypatch, tmp_path):
    """The four registered .gz files are fetched (checksummed) and unpacked into torchvision's raw/ folder."""
    import gzip

    from d2lhelper.data import registry, vision

    for name in vision.FASHION_MNIST_FILES:
        entry = registry()[f"fashion-mnist-{name}.gz"]
        assert entry.path == f"fashion-mnist/FashionMNIST/raw/{name}.gz"
        assert entry.hash_name == "sha256" and entry.url.startswith("https://")
    raw_sources = tmp_path / "downloads"
    raw_sources.mkdir()
    fetched = []

    def fake_fetch(name):
        fetched.append(name)
        idx = _idx_bytes(name.removeprefix("fashion-mnist-").removesuffix(".gz"), 4 if "train" in name else 2)
        path = raw_sources / name
        with gzip.open(path, "wb") as f:
            f.write(idx)
        return path

    monkeypatch.setattr(vision, "fetch", fake_fetch)
    data = d2l.data.load_fashion_mnist(2, root=tmp_path / "fm")
    assert sorted(fetched) == sorted(f"fashion-mnist-{n}.gz" for n in vision.FASHION_MNIST_FILES)
    assert data.name == "Fashion-MNIST" and data.train.num_examples == 4 and data.val.num_examples == 2
    assert sorted(p.name for p in (tmp_path / "fm" / "FashionMNIST" / "raw").iterdir()) == sorted(
        vision.FASHION_MNIST_FILES)  # no partial files left
    fetched.clear()
    d2l.data.load_fashion_mnist(2, root=tmp_path / "fm")
    assert fetched == []  # unpacked files are reused


def test_an_invalid_timeout_is_an_error_not_a_fallback(monkeypatch, tmp_path):
    monkeypatch.delenv("D2LHELPER_OFFLINE", raising=False)
    monkeypatch.setenv("D2LHELPER_DATA", str(tmp_path))
    monkeypatch.setenv("D2LHELPER_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="D2LHELPER_TIMEOUT must be a positive number of seconds, got 'soon'"):
        d2l.data.load_fashion_mnist(8)


def _idx_bytes(name: str, n: int) -> bytes:
    """A tiny IDX file like Fashion-MNIST's: images (n, 28, 28) or labels (n,)."""
    import struct

    if "images" in name:
        return struct.pack(">iiii", 2051, n, 28, 28) + bytes(i % 256 for i in range(n * 784))
    return struct.pack(">ii", 2049, n) + bytes(range(n))


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
