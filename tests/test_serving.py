"""d2lhelper.serving: ONNX export, the FastAPI app (through its test client, no network), the server, drift."""
import io
import re

import httpx
import numpy as np
import onnxruntime as ort
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

from d2lhelper import serving
from d2lhelper.models import lenet


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A LeNet with random weights (in eval mode), exported to ONNX once for the whole file."""
    torch.manual_seed(0)
    model = lenet().eval()
    with torch.no_grad():  # give batch norm non-trivial statistics so that eval mode matters
        for m in model.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    path = serving.export_onnx(model, tmp_path_factory.mktemp("onnx") / "lenet.onnx")
    return model, path


@pytest.fixture(scope="module")
def client(tiny):
    app = serving.create_app(tiny[1], classes=list("abcdefghij"), max_batch=4, max_bytes=100_000)
    with TestClient(app) as c:
        yield c


def _images(n, seed=0):
    return np.random.default_rng(seed).random((n, 28, 28)).round(4)


def _png(array, mode="L"):
    buf = io.BytesIO()
    Image.fromarray(array).convert(mode).save(buf, "PNG")
    return buf.getvalue()


def _eager(model, X):
    with torch.no_grad():
        return model(torch.tensor(X, dtype=torch.float32)[:, None]).softmax(1).numpy()


def test_export_has_a_dynamic_batch_and_matches_the_model(tiny):
    model, path = tiny
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert inp.name == "images" and inp.shape[1:] == [1, 28, 28] and not isinstance(inp.shape[0], int)
    for n in (1, 3, 17):
        X = _images(n, seed=n).astype(np.float32)
        got = session.run(None, {"images": X[:, None]})[0]
        with torch.no_grad():
            want = model(torch.from_numpy(X)[:, None]).numpy()
        assert got.shape == (n, 10) and np.abs(got - want).max() < 1e-4
    assert model.training is False


def test_export_rejects_a_batch_of_one(tmp_path):
    with pytest.raises(ValueError, match="example must have a batch dimension of size >= 2"):
        serving.export_onnx(lenet(), tmp_path / "x.onnx", example=torch.zeros(1, 1, 28, 28))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        serving.export_onnx("lenet", tmp_path / "x.onnx")


def test_health(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["classes"] == list("abcdefghij") and body["max_batch"] == 4


def test_json_prediction_matches_the_model(client, tiny):
    X = _images(3)
    one = client.post("/predict", json={"pixels": X[0].tolist()})
    batch = client.post("/predict", json={"pixels": X.tolist()})
    assert one.status_code == 200 and batch.status_code == 200, (one.text, batch.text)
    want = _eager(tiny[0], X)
    assert batch.json()["labels"] == want.argmax(1).tolist()
    assert one.json()["labels"] == want[:1].argmax(1).tolist()
    assert batch.json()["classes"] == [list("abcdefghij")[i] for i in want.argmax(1)]
    assert np.abs(np.array(batch.json()["probabilities"]) - want).max() < 1e-4


def test_image_upload_matches_the_model(client, tiny):
    pixels = (_images(1)[0] * 255).astype(np.uint8)
    for mode in ("L", "RGB"):  # a colour PNG is converted to grey-scale
        r = client.post("/predict/image", files={"file": ("digit.png", _png(pixels, mode), "image/png")})
        assert r.status_code == 200, r.text
        assert r.json()["labels"] == _eager(tiny[0], pixels[None] / 255.0).argmax(1).tolist()


@pytest.mark.parametrize(("pixels", "message"), [
    (np.zeros((27, 28)).tolist(), r"pixels must have shape \(28, 28\) or \(n, 28, 28\).*got shape \(27, 28\)"),
    (np.zeros((2, 28, 29)).tolist(), r"got shape \(2, 28, 29\)"),
    (np.zeros((2, 1, 28, 28)).tolist(), r"Input should be a valid number"),  # 4-d: no branch of the union fits
    ([[0.0] * 28] * 27 + [[0.0] * 27], r"rows of different lengths \[27, 28\]"),
    ([], r"n >= 1, got shape \(0,\)"),
    (np.full((28, 28), 255.0).tolist(), r"pixels must be numbers in \[0, 1\].*got values in \[255, 255\]"),
    (np.full((28, 28), -0.5).tolist(), r"got values in \[-0.5, -0.5\]"),
    (np.zeros((5, 28, 28)).tolist(), r"pixels must hold at most max_batch=4 images, got 5"),
])
def test_wrong_shape_range_or_batch_is_a_422_naming_pixels(client, pixels, message):
    r = client.post("/predict", json={"pixels": pixels})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert any(e["loc"][:2] == ["body", "pixels"] for e in detail)
    assert 0 < len(detail) <= 5
    assert any(re.search(message, e["msg"]) for e in detail), detail


@pytest.mark.parametrize(("body", "message"), [
    ({"pixels": [["0.5"] * 28] * 28}, "Input should be a valid number"),   # strings are not coerced
    ({"pixels": [[True] * 28] * 28}, "Input should be a valid number"),    # nor booleans
    ({"pixels": "an image"}, "Input should be a valid list"),
    ({"pixels": [[None] * 28] * 28}, "Input should be a valid number"),
    ({"pixel": np.zeros((28, 28)).tolist()}, "Field required"),
])
def test_wrong_type_is_a_short_422(client, body, message):
    r = client.post("/predict", json=body)
    assert r.status_code == 422, r.text
    out = r.json()
    assert len(out["detail"]) <= 5 <= out["errors"] or len(out["detail"]) == out["errors"]
    assert any(message in e["msg"] and "pixel" in "".join(map(str, e["loc"])) for e in out["detail"]), out
    assert len(r.content) < 2000  # no echo of the whole request


def test_not_json_is_a_422(client):
    r = client.post("/predict", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["detail"][0]["msg"]


def test_too_large_bodies_are_a_413_before_parsing(client):
    big = {"pixels": np.zeros((3, 28, 28)).round(8).tolist(), "pad": "x" * 100_000}
    r = client.post("/predict", json=big)
    assert r.status_code == 413 and r.json()["detail"] == ("request body must be at most max_bytes=100000 bytes, "
                                                          f"got {len(r.request.content)} bytes")

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(30):
            yield b" " * 5000

    r = client.post("/predict", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "max_bytes=100000" in r.json()["detail"]


def test_an_upload_that_is_not_a_28x28_image_is_a_4xx(client):
    r = client.post("/predict/image", files={"file": ("notes.txt", b"hello, world", "text/plain")})
    assert r.status_code == 415 and r.json()["detail"].startswith("file must be an image file Pillow can read")
    assert "got 12 bytes" in r.json()["detail"]
    r = client.post("/predict/image", files={"file": ("big.png", _png(np.zeros((30, 40), np.uint8)), "image/png")})
    assert r.status_code == 422 and r.json()["detail"] == "file must be a 28x28 image, got 40x30 (PNG)"
    truncated = _png((_images(1)[0] * 255).astype(np.uint8))[:60]
    r = client.post("/predict/image", files={"file": ("cut.png", truncated, "image/png")})
    assert r.status_code == 415 and "file must be" in r.json()["detail"]
    r = client.post("/predict/image", data={"image": "1"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "file"]
    r = client.post("/predict/image", files={"file": ("huge.png", b"\x89PNG" + b"0" * 120_000, "image/png")})
    assert r.status_code == 413


def test_create_app_checks_its_arguments(tiny, tmp_path):
    with pytest.raises(FileNotFoundError, match="model must be an InferenceSession or the path"):
        serving.create_app(tmp_path / "missing.onnx")
    with pytest.raises(ValueError, match="max_batch must be a positive int, got 0"):
        serving.create_app(tiny[1], max_batch=0)
    with pytest.raises(ValueError, match="classes must name the model's 10 outputs, got 3"):
        serving.create_app(tiny[1], classes=["a", "b", "c"])
    with pytest.raises(TypeError, match="batch_wait_ms must be a float"):
        serving.create_app(tiny[1], batch_wait_ms="5")


def test_dynamic_batching_answers_each_request_with_its_own_rows(tiny):
    import concurrent.futures

    app = serving.create_app(tiny[1], max_batch=8, batch_wait_ms=20)
    X = _images(12, seed=3)
    want = _eager(tiny[0], X).argmax(1).tolist()
    with TestClient(app) as c, concurrent.futures.ThreadPoolExecutor(6) as pool:
        got = list(pool.map(lambda i: c.post("/predict", json={"pixels": X[i].tolist()}).json()["labels"][0],
                            range(12)))
        batches = app.state.batcher.batches
    assert got == want
    assert sum(batches) == 12 and max(batches) > 1 and max(batches) <= 8


def test_serve_starts_on_localhost_and_stops(tiny):
    app = serving.create_app(tiny[1])
    with serving.serve(app) as url:
        assert url.startswith("http://127.0.0.1:") and int(url.rsplit(":", 1)[1]) > 0
        assert httpx.get(url + "/health", timeout=5).json()["status"] == "ok"
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/health", timeout=2)


def test_drift_monitor_flags_a_shift_and_not_a_fresh_sample():
    rng = np.random.default_rng(0)
    reference = serving.image_features(rng.random((400, 28, 28)) * 0.8)
    monitor = serving.DriftMonitor(reference, alpha=0.01, window=300)
    assert not monitor.check(serving.image_features(rng.random((300, 28, 28)) * 0.8)).drift
    report = monitor.check(serving.image_features(rng.random((300, 28, 28)) * 0.8 + 0.1))
    assert report.drift and "mean" in report.flagged and report.n == 300
    assert report.threshold == pytest.approx(0.01 / 3)
    monitor.update(serving.image_features(rng.random((350, 28, 28)) * 0.5))
    assert monitor.check().n == 300 and monitor.check().drift  # the window keeps the last 300
    with pytest.raises(ValueError, match=r"features must be keys of reference \['ink', 'mean', 'std'\]"):
        serving.DriftMonitor(reference, features=["confidence"])
    with pytest.raises(ValueError, match="alpha must be a float in"):
        serving.DriftMonitor(reference, alpha=1.5)
    with pytest.raises(ValueError, match=r"images must have shape \(n, 28, 28\)"):
        serving.image_features(np.zeros((28, 28)))


def test_the_app_feeds_its_monitor(tiny):
    rng = np.random.default_rng(1)
    X = rng.random((64, 28, 28)) * 0.5
    reference = serving.image_features(X, _eager(tiny[0], X))
    monitor = serving.DriftMonitor(reference, window=50)
    app = serving.create_app(tiny[1], max_batch=64, monitor=monitor)
    with TestClient(app) as c:
        c.post("/predict", json={"pixels": (X[:40] * 2).tolist()})
        report = c.get("/drift").json()
    assert report["n"] == 40 and report["drift"] and "mean" in report["flagged"]
    assert set(report["p_values"]) == set(serving.FEATURES)


def test_train_demo_classifier_trains_once_then_loads_from_the_cache(tmp_path, monkeypatch):
    from d2lhelper import data as D

    monkeypatch.setenv("D2LHELPER_DATA", str(tmp_path))
    monkeypatch.setattr(D, "load_fashion_mnist", lambda batch_size: D.load_digits(batch_size))  # small and quick
    first = serving.train_demo_classifier(epochs=1, seed=3)
    again = serving.train_demo_classifier(epochs=1, seed=3)
    assert not first.cached and again.cached and first.path == again.path and first.path.parent == tmp_path / "models"
    assert again.val_accuracy == first.val_accuracy > 0.3 and again.data.name == "digits"
    assert not again.model.training
    X = next(iter(first.data.val))[0]
    with torch.no_grad():
        assert torch.equal(first.model(X), again.model(X))
    other = serving.train_demo_classifier(epochs=1, seed=4, cache=False)
    assert other.path is None and not other.cached
    with pytest.raises(ValueError, match="epochs must be a positive int, got 0"):
        serving.train_demo_classifier(epochs=0)
