"""Tests of d2lhelper.style_transfer: images, Gram matrices, the feature extractor, losses, the loop."""
import pytest
import torch
from PIL import Image
from torch import nn

from d2lhelper import style_transfer as st


@pytest.fixture(scope="module")
def net():
    return st.vgg19_features(pretrained=False, seed=0)


@pytest.fixture
def tiny_net():
    """A random VGG-19 cut after conv3_1 with few channels would not match the names; use the real one cut."""
    return st.vgg19_features(pretrained=False, seed=1)[:12]


def test_gram_matches_hand_computation_and_is_symmetric():
    torch.manual_seed(0)
    Y = torch.randn(4, 5, 6)
    G = st.gram_matrix(Y)
    expected = torch.zeros(4, 4)
    for i in range(4):
        for j in range(4):
            expected[i, j] = (Y[i] * Y[j]).sum() / (4 * 5 * 6)
    assert G.shape == (4, 4)
    torch.testing.assert_close(G, expected)
    torch.testing.assert_close(G, G.T)
    assert torch.linalg.eigvalsh(G).min() > -1e-6  # positive semi-definite
    batch = st.gram_matrix(torch.stack([Y, 2 * Y]))
    torch.testing.assert_close(batch[1], 4 * G)


def test_gram_rejects_bad_shape():
    with pytest.raises(ValueError, match=r"\(C, H, W\) or \(N, C, H, W\), got \(3, 4\)"):
        st.gram_matrix(torch.zeros(3, 4))


def test_layer_names_and_indices():
    assert len(st.VGG19_LAYERS) == 16
    assert st.VGG19_LAYERS["conv1_1"] == 0
    assert st.VGG19_LAYERS["conv2_1"] == 5
    assert st.VGG19_LAYERS["conv3_1"] == 10
    assert st.VGG19_LAYERS["conv4_1"] == 19
    assert st.VGG19_LAYERS["conv4_2"] == 21
    assert st.VGG19_LAYERS["conv5_1"] == 28
    assert st.VGG19_LAYERS["conv5_4"] == 34


def test_vgg19_features_matches_torchvision_layout(net):
    import torchvision

    reference = torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs["E"])
    assert len(net) == len(reference) == 37
    for ours, theirs in zip(net, reference):
        assert type(ours) is type(theirs)
        if isinstance(ours, nn.Conv2d):
            assert ours.weight.shape == theirs.weight.shape
    assert net.weights == "random" and not net.training
    assert all(not p.requires_grad for p in net.parameters())


def test_vgg19_features_random_is_seeded_and_prints_notice(capsys):
    a = st.vgg19_features(pretrained=False, seed=3)
    out = capsys.readouterr().out
    assert "NOTICE" in out and "RANDOM" in out
    b = st.vgg19_features(pretrained=False, seed=3)
    torch.testing.assert_close(a[0].weight, b[0].weight)
    with pytest.raises(ValueError, match="pretrained must be True, False or 'auto', got 'yes'"):
        st.vgg19_features(pretrained="yes")


def test_vgg19_features_offline_auto_falls_back(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("D2LHELPER_OFFLINE", "1")
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    net = st.vgg19_features("auto")
    assert net.weights == "random"
    assert "D2LHELPER_OFFLINE" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="pretrained=True"):
        st.vgg19_features(True)


def test_extractor_returns_named_relu_outputs_and_cuts(tiny_net):
    ext = st.FeatureExtractor(tiny_net, ["conv2_1", "conv1_1"])
    assert len(ext.net) == st.VGG19_LAYERS["conv2_1"] + 2  # cut after conv2_1's ReLU
    x = torch.randn(1, 3, 8, 10)
    feats = ext(x)
    assert list(feats) == ["conv2_1", "conv1_1"]
    assert feats["conv1_1"].shape == (1, 64, 8, 10)
    assert feats["conv2_1"].shape == (1, 128, 4, 5)
    torch.testing.assert_close(feats["conv1_1"], torch.relu(tiny_net[0](x)))
    assert (feats["conv2_1"] >= 0).all()


def test_extractor_errors(tiny_net, net):
    with pytest.raises(ValueError, match=r"unknown layer name\(s\) \['conv6_1'\]; valid names are \['conv1_1'"):
        st.FeatureExtractor(net, ["conv1_1", "conv6_1"])
    with pytest.raises(ValueError, match="need"):
        st.FeatureExtractor(tiny_net, ["conv5_1"])
    ext = st.FeatureExtractor(net, ["conv5_1"])
    with pytest.raises(ValueError, match="too small for layer conv5_1: it needs at least 32x32 px"):
        ext(torch.randn(1, 3, 24, 64))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 3, H, W\)"):
        ext(torch.randn(3, 32, 32))


def test_pre_and_postprocess_round_trip():
    torch.manual_seed(0)
    pixels = torch.rand(3, 6, 7)
    x = st.preprocess(pixels)
    assert x.shape == (1, 3, 6, 7)
    torch.testing.assert_close(x[0, 1], (pixels[1] - 0.456) / 0.224)
    back = st.postprocess(x)
    assert back.shape == (6, 7, 3)
    torch.testing.assert_close(back, pixels.permute(1, 2, 0))
    # x * std + mean outside [0, 1] is clamped to exactly 0 or 1; inside, it is the pixel (see the test below)
    clamped = st.postprocess(x * 10)
    p10 = ((x * 10) * torch.tensor(st.IMAGENET_STD).view(1, 3, 1, 1)
           + torch.tensor(st.IMAGENET_MEAN).view(1, 3, 1, 1))[0].permute(1, 2, 0)
    assert torch.equal(clamped[p10 < 0], torch.zeros(int((p10 < 0).sum())))
    assert torch.equal(clamped[p10 > 1], torch.ones(int((p10 > 1).sum())))
    assert (p10 < 0).sum() > 20 and (p10 > 1).sum() > 20  # both sides are exercised
    img = Image.fromarray((pixels.permute(1, 2, 0) * 255).round().byte().numpy())
    torch.testing.assert_close(st.preprocess(img), x, atol=0.01, rtol=0)
    pil = st.postprocess(x, as_pil=True)
    assert pil.size == (7, 6) and pil.mode == "RGB"
    with pytest.raises(ValueError, match=r"shape \(3, H, W\) or \(1, 3, H, W\), got \(2, 3, 4, 4\)"):
        st.preprocess(torch.rand(2, 3, 4, 4))


def test_postprocess_clamps_exactly():
    import numpy as np

    """p = clamp(x * std + mean, 0, 1): per channel, a pixel value of -0.5 or 1.5 (in [0, 1] space, before the
    clamp) comes back as exactly 0 or 1, one in range comes back as itself; as_pil maps 0 and 1 to 0 and 255."""
    mean, std = torch.tensor(st.IMAGENET_MEAN).view(3, 1, 1), torch.tensor(st.IMAGENET_STD).view(3, 1, 1)
    p = torch.tensor([[[-0.5, 0.0, 0.25, 1.0, 1.5, 7.0]]]).expand(3, 1, 6)  # (3, 1, 6): the same row per channel
    x = (p - mean) / std  # normalised: x * std + mean gives p back up to float rounding
    expected = torch.tensor([0.0, 0.0, 0.25, 1.0, 1.0, 1.0]).expand(3, 6).T[None]  # (H=1, W=6, 3)
    out = st.postprocess(x)
    assert out.shape == (1, 6, 3)
    assert torch.equal(out[:, [0, 4, 5]], expected[:, [0, 4, 5]])  # clamped: exact
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-6)  # in range: float32 round trip of (p - m) / s
    pil = st.postprocess(x, as_pil=True)
    assert torch.equal(torch.from_numpy(np.array(pil)),  # (1, 6, 3) uint8; 0.25 * 255 = 63.75 rounds to 64
                       torch.tensor([[[0] * 3, [0] * 3, [64] * 3, [255] * 3, [255] * 3, [255] * 3]], dtype=torch.uint8))


def test_load_image_by_path_and_resize(tmp_path):
    path = tmp_path / "mine.png"
    Image.new("RGB", (40, 20), (255, 0, 0)).save(path)
    img = st.load_image(path, 10)  # shorter side -> 10, aspect ratio kept
    assert img.size == (20, 10)
    assert st.load_image(str(path), (5, 6)).size == (6, 5)
    assert st.preprocess(img).shape == (1, 3, 10, 20)


def test_load_image_errors(tmp_path):
    missing = tmp_path / "nope.jpg"
    with pytest.raises(FileNotFoundError, match="nope.jpg"):
        st.load_image(missing)
    with pytest.raises(TypeError, match="path_or_name"):
        st.load_image(3)
    path = tmp_path / "a.png"
    Image.new("RGB", (4, 4)).save(path)
    with pytest.raises(ValueError, match="size must be a positive int, got 0"):
        st.load_image(path, 0)


def test_losses():
    torch.manual_seed(0)
    Y = torch.randn(1, 8, 5, 5)
    assert st.content_loss(Y, Y) == 0
    assert st.content_loss(torch.zeros_like(Y), Y).item() == pytest.approx(1.0)  # scale-free
    assert st.content_loss(torch.zeros_like(Y), 100 * Y).item() == pytest.approx(1.0)
    assert st.content_loss(torch.zeros_like(Y), Y, scale_free=False).item() == pytest.approx(Y.square().mean().item())
    grams = {"a": st.gram_matrix(Y[0])}
    assert st.style_loss({"a": Y}, grams) == 0
    assert st.style_loss({"a": torch.zeros_like(Y)}, grams, [0.5]).item() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="one weight per style layer"):
        st.style_loss({"a": Y}, grams, [1, 2])
    flat = torch.ones(1, 3, 4, 4)
    assert st.total_variation(flat) == 0
    stripes = torch.zeros(1, 1, 4, 4)
    stripes[..., ::2] = 1  # vertical stripes: every horizontal neighbour differs by 1
    assert st.total_variation(stripes).item() == pytest.approx(1.0)


def test_tiny_transfer_decreases_losses(net):
    torch.manual_seed(0)
    content = st.preprocess(torch.rand(3, 32, 40))
    style = st.preprocess(torch.rand(3, 32, 32) ** 3)
    seen = []
    result = st.transfer(net, content, style, steps=8, show_every=4, display=False, tv_weight=0.05, lr=0.2,
                         callback=lambda n, x, h: seen.append(n))
    h = result.history
    assert all(len(v) == 8 for v in h.values())
    assert h["style"][-1] < 0.5 * h["style"][0], h["style"]
    assert h["total"][-1] < h["total"][0]
    assert seen == [4, 8] and [n for n, _ in result.snapshots] == [4, 8]
    assert result.image.shape == content.shape
    # the image itself (normalised) lies in the valid range: clamping it again changes nothing
    low, high = _valid_range()
    assert torch.equal(result.image, result.image.clamp(low, high))
    assert torch.equal(result.pixels, st.postprocess(result.image))
    assert (result.pixels - st.postprocess(content)).abs().mean() > 0.01


def test_transfer_lbfgs_and_two_styles(net):
    torch.manual_seed(0)
    content = st.preprocess(torch.rand(3, 32, 32))
    styles = [st.preprocess(torch.rand(3, 32, 32) ** 3), st.preprocess(torch.rand(3, 32, 32) ** 0.3)]
    result = st.transfer(net, content, styles, style_mix=[1, 1], steps=6, optimizer="lbfgs", display=False)
    assert len(result.history["total"]) >= 6
    assert result.history["total"][-1] < result.history["total"][0]


def test_transfer_lbfgs_clamps_after_every_step(net, monkeypatch):
    """Each L-BFGS iteration starts from valid pixels: one iteration per step(), clamped in between."""
    calls = []
    original = torch.optim.LBFGS.step

    def spy(self, closure):
        X = self.param_groups[0]["params"][0]
        low, high = st.preprocess(torch.zeros(3, 1, 1)), st.preprocess(torch.ones(3, 1, 1))
        calls.append(bool(((X >= low - 1e-6) & (X <= high + 1e-6)).all()))
        return original(self, closure)

    monkeypatch.setattr(torch.optim.LBFGS, "step", spy)
    torch.manual_seed(0)
    content = st.preprocess(torch.rand(3, 32, 32))
    style = st.preprocess(torch.rand(3, 32, 32) ** 3)
    result = st.transfer(net, content, style, steps=12, optimizer="lbfgs", init="noise", display=False)
    iterations = len(calls)
    assert iterations >= 3 and all(calls), calls  # before the fix: a single step() of up to 12 iterations
    low, high = _valid_range()
    assert torch.equal(result.image, result.image.clamp(low, high))  # no tolerance: clamped after the last step


def _valid_range():
    """[0, 1] pixels in the normalised space, per channel: ((0 - mean) / std, (1 - mean) / std), (1, 3, 1, 1)."""
    mean, std = torch.tensor(st.IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(st.IMAGENET_STD).view(1, 3, 1, 1)
    return (0 - mean) / std, (1 - mean) / std


def _identity_net():
    """A one-convolution stand-in for VGG-19 ("conv1_1" and its ReLU): features = X + 10, so with a content
    image C the content loss is mean((X - C)^2) / mean((C + 10)^2), whose gradient pushes every pixel towards C."""
    conv = nn.Conv2d(3, 3, kernel_size=1)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
        conv.bias.fill_(10.0)  # X + 10 > 0 for every pixel in the valid range (|X| < 2.7): the ReLU passes it
    net = nn.Sequential(conv, nn.ReLU())
    net.requires_grad_(False)
    return net


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_transfer_clamps_to_the_exact_bounds_after_every_step(optimizer):
    """A content image 3 units beyond the valid range (above it at even pixels, below at odd ones) pulls every
    pixel out of range at every step; after each step the pixel sits exactly on its channel's bound."""
    low, high = _valid_range()
    even = ((torch.arange(4)[:, None] + torch.arange(5)[None, :]) % 2 == 0).expand(1, 3, 4, 5)
    content = torch.where(even, high + 3, low - 3)  # (1, 3, 4, 5)
    expected = torch.where(even, high, low)
    seen = []
    result = st.transfer(_identity_net(), content, content, steps=12, optimizer=optimizer, lr=1.0,
                         content_layers=["conv1_1"], style_layers=["conv1_1"], style_layer_weights=None,
                         style_weight=0.0, show_every=1, display=False,
                         callback=lambda n, x, h: seen.append(x.clone()))  # x is the live tensor: copy it
    assert len(seen) >= 3  # Adam: 12 steps; L-BFGS: one iteration per step, each of one or more evaluations
    for x in seen:
        assert torch.equal(x, expected)
    assert torch.equal(result.image, expected)
    # and for display: exactly the corners of [0, 1] up to the float32 round trip of (p - mean) / std
    torch.testing.assert_close(result.pixels, even[0].permute(1, 2, 0).float(), rtol=0, atol=1e-6)
    assert result.history["content"][-1] > 0.0  # the pull is still there: it is the clamp that holds the pixels


def test_transfer_bad_arguments(net):
    content = st.preprocess(torch.rand(3, 32, 32))
    with pytest.raises(ValueError, match="optimizer must be 'adam' or 'lbfgs', got 'sgd'"):
        st.transfer(net, content, content, optimizer="sgd")
    with pytest.raises(ValueError, match="style_mix must hold 2"):
        st.transfer(net, content, [content, content], style_mix=[1])
    with pytest.raises(ValueError, match="init must be 'content', 'noise' or a tensor"):
        st.transfer(net, content, content, steps=1, init="zeros", display=False)
    with pytest.raises(ValueError, match="too small"):
        st.transfer(net, st.preprocess(torch.rand(3, 16, 16)), content, steps=1, display=False)
    with pytest.raises(ValueError, match="unknown layer"):
        st.transfer(net, content, content, steps=1, style_layers=["pool1"], display=False)
    with pytest.raises(ValueError, match="steps must be a positive int, got 0"):
        st.transfer(net, content, content, steps=0)


class _FakeResponse:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def raise_for_status(self) -> None:
        pass

    def iter_content(self, chunk_size: int):
        yield from (self.body[i:i + chunk_size] for i in range(0, len(self.body), chunk_size))


@pytest.mark.parametrize("good", [True, False])
def test_weights_download_lands_only_when_its_hash_matches(tmp_path, monkeypatch, good):
    """A corrupt download (or an HTML error page) never reaches the cache, and the timeout goes to the request."""
    import hashlib

    import requests

    body = b"weights" if good else b"<html>503 Service Unavailable</html>"
    prefix = hashlib.sha256(b"weights").hexdigest()[:8]
    calls = []
    monkeypatch.setattr(requests, "get", lambda url, **kw: calls.append(kw) or _FakeResponse(body))
    dest = tmp_path / "hub" / f"vgg19-{prefix}.pth"
    if good:
        st._download_checked(f"https://example.org/{dest.name}", dest, timeout_s=7)
        assert dest.read_bytes() == b"weights"
    else:
        with pytest.raises(OSError, match=f"does not start with '{prefix}'"):
            st._download_checked(f"https://example.org/{dest.name}", dest, timeout_s=7)
        assert not dest.exists()
    assert list(dest.parent.iterdir()) == ([dest] if good else [])  # no .part file left behind
    assert calls[0]["timeout"] == 7 and calls[0]["stream"] is True
