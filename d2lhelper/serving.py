"""From a trained model to a service: the classifier of Chapter 12, ONNX export, an HTTP app, a drift monitor.

* :func:`train_demo_classifier` trains the modern LeNet of Section 3.4 (:func:`d2lhelper.models.lenet`) with
  :func:`~d2lhelper.fit` (or loads it from the data cache, keyed by its settings), so every notebook of the
  chapter deploys the same model.
* :func:`export_onnx` writes a model to one ``.onnx`` file whose batch dimension is dynamic.
* :func:`create_app` builds a FastAPI app that loads an ONNX model once (an onnxruntime ``InferenceSession``)
  and answers ``POST /predict`` (JSON pixels), ``POST /predict/image`` (an uploaded PNG) and ``GET /health``;
  bad requests get a 4xx answer that names the field, what was expected and what was given. With
  ``batch_wait_ms`` it batches concurrent requests dynamically.
* :func:`serve` runs an app with uvicorn in a background thread on ``127.0.0.1`` and a free port.
* :func:`image_features` and :class:`DriftMonitor` compare the inputs a model receives with a reference sample.

The web and ONNX libraries (extra ``deployment``) and SciPy are imported inside the functions that need them.
(No ``from __future__ import annotations`` here: FastAPI reads the routes' annotations at run time, and the
request model is defined inside :func:`create_app`.)
"""
import contextlib
import hashlib
import io
import os
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ._checks import (check_bool, check_float_in_range, check_module, check_non_negative_int, check_path,
                      check_positive_int, check_type)
from .models import lenet

__all__ = ["DemoClassifier", "DriftMonitor", "DriftReport", "FEATURES", "create_app", "export_onnx",
           "image_features", "serve", "train_demo_classifier"]

IMAGE_SHAPE = (28, 28)


# --------------------------------------------------------------------------- the model every notebook deploys
@dataclass
class DemoClassifier:
    """What :func:`train_demo_classifier` returns.

    Attributes:
        model: the trained LeNet, in eval mode, on the CPU.
        data: the :class:`~d2lhelper.data.ImageData` it was trained on (``data.name`` says which dataset).
        val_accuracy: accuracy on ``data.val`` after the last epoch.
        epochs: passes over the training set.
        seconds: training time in seconds (of the run that trained it, if it came from the cache).
        cached: loaded from the cache rather than trained in this call.
        path: the checkpoint file in the cache (``None`` without the cache).
    """

    model: nn.Module
    data: Any
    val_accuracy: float
    epochs: int
    seconds: float
    cached: bool
    path: Path | None = None


def train_demo_classifier(*, epochs: int | None = None, seed: int = 0, batch_size: int = 64,
                          cache: bool = True) -> DemoClassifier:
    """Train (or load from the cache) the modern LeNet of Section 3.4 on ``load_fashion_mnist``'s data.

    Training is the book's: :func:`~d2lhelper.fit` with Adam (learning rate 0.002) and a cosine schedule, as
    in Section 3.4. With ``cache``, the checkpoint goes to ``d2lhelper.data.cache_dir() / "models"`` under a
    name that hashes the dataset and every setting, and a later call with the same settings (from any
    notebook or process; a file lock keeps two from training at once) loads it instead of training.

    Args:
        epochs: passes over the training set (> 0); ``None``: 2 on Fashion-MNIST (60,000 images), 6 on the
            offline MNIST-5k stand-in (4,000 images).
        seed: seeds the initialisation and the shuffling (:func:`~d2lhelper.seed_everything`).
        batch_size: examples per batch (> 0).
        cache: load from and save to the cache.
    """
    import filelock

    from . import data as D
    from .checkpoint import load_checkpoint, save_checkpoint
    from .device import seed_everything
    from .train import fit

    if epochs is not None:
        check_positive_int("epochs", epochs)
    check_non_negative_int("seed", seed)
    check_positive_int("batch_size", batch_size)
    check_bool("cache", cache)
    data = D.load_fashion_mnist(batch_size)
    if epochs is None:
        epochs = 2 if data.name == "Fashion-MNIST" else 6
    settings = repr(sorted(dict(model="lenet-modern-v1", dataset=data.name, n_train=data.train.num_examples,
                                epochs=epochs, seed=seed, batch_size=batch_size, lr=0.002).items()))
    path = D.cache_dir() / "models" / f"serving-lenet-{hashlib.sha256(settings.encode()).hexdigest()[:16]}.pt"
    model = lenet()
    lock = filelock.FileLock(str(path) + ".lock") if cache else contextlib.nullcontext()
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
    with lock:
        if cache and path.is_file():
            try:
                info = load_checkpoint(path, model)
                extra = info["extra"]
                return DemoClassifier(model.eval(), data, float(extra["val_accuracy"]), epochs,
                                      float(extra["seconds"]), True, path)
            except (ValueError, KeyError, RuntimeError, OSError):  # a damaged file is retrained and replaced
                pass
        seed_everything(seed)
        model = lenet()
        optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
        start = time.perf_counter()
        history = fit(model, data.train, data.val, loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer,
                      epochs=epochs, scheduler=scheduler, device="cpu", live_plot=False, progress=False)
        seconds = time.perf_counter() - start
        accuracy = float(history.final["val_metric"])
        if cache:
            save_checkpoint(path, model, epoch=epochs, val_accuracy=accuracy, seconds=seconds, dataset=data.name)
    return DemoClassifier(model.eval(), data, accuracy, epochs, seconds, False, path if cache else None)


# --------------------------------------------------------------------------- export
def export_onnx(model: nn.Module, path: str | os.PathLike[str], *, example: torch.Tensor | None = None,
                input_name: str = "images", output_name: str = "logits") -> Path:
    """Export ``model`` (in eval mode) to one ONNX file whose first (batch) dimension is dynamic.

    Uses the ``torch.export``-based exporter (``dynamo=True``, which needs ``onnxscript``) where the installed
    PyTorch has it, with the weights inside the file (``external_data=False``); older PyTorch falls back to
    the TorchScript exporter with ``dynamic_axes``.

    Args:
        model: maps ``(batch, *example.shape[1:])`` to ``(batch, ...)``.
        path: the ``.onnx`` file to write; its folder is created.
        example: an input to trace with; default ``torch.zeros(2, 1, 28, 28)``. Its batch size must be >= 2
            (a batch of 1 would be specialised to the constant 1).
        input_name, output_name: the names of the graph's input and output.

    Returns:
        The path written.
    """
    import inspect

    check_module("model", model)
    check_path("path", path)
    example = torch.zeros(2, 1, *IMAGE_SHAPE) if example is None else example
    check_type("example", example, torch.Tensor, "a torch.Tensor of shape (batch >= 2, ...)")
    if example.ndim == 0 or example.shape[0] < 2:
        raise ValueError(f"example must have a batch dimension of size >= 2, got shape {tuple(example.shape)}")
    check_type("input_name", input_name, str, "a str such as 'images'")
    check_type("output_name", output_name, str, "a str such as 'logits'")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    was_training = model.training
    model.eval()
    try:
        names = dict(input_names=[input_name], output_names=[output_name])
        if {"dynamo", "external_data", "dynamic_shapes"} <= set(inspect.signature(torch.onnx.export).parameters):
            batch = torch.export.Dim("batch")
            torch.onnx.export(model, (example,), str(path), dynamo=True, external_data=False, verbose=False,
                              dynamic_shapes=({0: batch},), **names)
        else:  # pragma: no cover - older PyTorch: the TorchScript exporter
            torch.onnx.export(model, (example,), str(path), dynamic_axes={input_name: {0: "batch"},
                                                                         output_name: {0: "batch"}}, **names)
    finally:
        model.train(was_training)
    return path


def _session(model: Any, threads: int) -> Any:
    """An onnxruntime ``InferenceSession`` for a path to an ``.onnx`` file, or ``model`` if it is one."""
    import onnxruntime as ort

    if isinstance(model, ort.InferenceSession):
        return model
    check_path("model", model)
    if not Path(model).is_file():
        raise FileNotFoundError(f"model must be an InferenceSession or the path of an .onnx file, got "
                                f"{os.fspath(model)!r}, which does not exist")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


# --------------------------------------------------------------------------- the HTTP app
def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class _BodyLimit:
    """ASGI middleware: answer 413 to a request whose body is over ``max_bytes``, before the app parses it."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._reject(send, f"got {int(length)} bytes")
            return
        seen, too_large = 0, False

        async def counted() -> dict:  # a body sent without Content-Length (chunked) is counted as it arrives
            nonlocal seen, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:  # the app sees a client that went away; its answer is dropped
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: dict) -> None:
            if not too_large:
                await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not too_large:
                raise
        if too_large:
            await self._reject(send, f"got more than that ({seen} bytes so far)")

    async def _reject(self, send: Any, given: str) -> None:
        import json

        body = json.dumps({"detail": f"request body must be at most max_bytes={self.max_bytes} bytes, {given}"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _Batcher:
    """Dynamic batching: requests wait up to ``wait_s`` for others, then run as one batch of <= ``max_batch``."""

    def __init__(self, run: Any, max_batch: int, wait_s: float) -> None:
        import asyncio

        self.run, self.max_batch, self.wait_s = run, max_batch, wait_s
        self.queue: asyncio.Queue = asyncio.Queue()
        self.batches: list[int] = []  # images per model call, for the notebook to look at
        self.task = asyncio.get_running_loop().create_task(self._loop())

    async def predict(self, X: np.ndarray) -> np.ndarray:
        import asyncio

        future = asyncio.get_running_loop().create_future()
        await self.queue.put((X, future))
        return await future

    async def _loop(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        while True:
            items = [await self.queue.get()]
            size = len(items[0][0])
            deadline = loop.time() + self.wait_s
            while size < self.max_batch:
                timeout = deadline - loop.time()
                if timeout <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self.queue.get(), timeout)
                except asyncio.TimeoutError:
                    break
                if size + len(item[0]) > self.max_batch:
                    await self._run([item])  # it would not fit: a batch of its own, after this one
                    break
                items.append(item)
                size += len(item[0])
            await self._run(items)

    async def _run(self, items: list) -> None:
        import asyncio

        self.batches.append(sum(len(X) for X, _ in items))
        try:
            logits = await asyncio.to_thread(self.run, np.concatenate([X for X, _ in items]))
        except Exception as err:  # noqa: BLE001 - passed on to every waiting request
            for _, future in items:
                if not future.done():
                    future.set_exception(err)
            return
        start = 0
        for X, future in items:
            if not future.done():
                future.set_result(logits[start:start + len(X)])
            start += len(X)


def create_app(model: Any, *, classes: Sequence[str] | None = None, max_batch: int = 64,
               max_bytes: int = 1_000_000, batch_wait_ms: float | None = None, threads: int = 1,
               monitor: "DriftMonitor | None" = None) -> Any:
    """A FastAPI app that serves an image classifier exported to ONNX.

    The model is loaded once, when the app is created. Routes:

    * ``GET /health``: ``{"status": "ok", "input": [...], "classes": [...], "max_batch": ..., "max_bytes": ...}``.
    * ``POST /predict`` with JSON ``{"pixels": P}``, ``P`` one image ``(28, 28)`` or a batch ``(n, 28, 28)`` of
      numbers in [0, 1], ``n <= max_batch``.
    * ``POST /predict/image``, multipart form with a field ``file``: a 28x28 image file (PNG, ...) that Pillow
      reads; it is converted to grey-scale and scaled to [0, 1].
    * ``GET /drift`` (with ``monitor``): the monitor's :meth:`DriftMonitor.check` of the inputs served so far.

    Both prediction routes answer ``{"labels": [n ints], "classes": [n names], "probabilities": [n lists]}``.
    Bad requests get 4xx answers whose ``detail`` names the field, the expected and the given value: 422 for a
    wrong shape, type or range or more than ``max_batch`` images (FastAPI's pydantic validation; ``detail`` is
    its list of errors, each with ``loc`` and ``msg``), 413 for a body over ``max_bytes``, 415 for a file that is
    not an image.

    Args:
        model: an ``onnxruntime.InferenceSession`` or the path of an ``.onnx`` file with one input of shape
            ``(batch, 1, 28, 28)`` and one output of shape ``(batch, num_classes)`` (as :func:`export_onnx` writes).
        classes: class names, one per output; default ``"0"``, ``"1"``, ...
        max_batch: the most images one request may hold (> 0); also the largest dynamic batch.
        max_bytes: the largest request body in bytes (> 0).
        batch_wait_ms: ``None``: every request runs the model on its own images. A number >= 0: dynamic
            batching, a request waits up to this many milliseconds for others to share one model call.
        threads: onnxruntime's intra-op threads, when ``model`` is a path (> 0).
        monitor: a :class:`DriftMonitor` that records the features of every image served.
    """
    import asyncio

    from fastapi import FastAPI, File, HTTPException, UploadFile
    from fastapi.encoders import jsonable_encoder
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel, ConfigDict, Field, field_validator

    check_positive_int("max_batch", max_batch)
    check_positive_int("max_bytes", max_bytes)
    check_positive_int("threads", threads)
    if batch_wait_ms is not None:
        check_float_in_range("batch_wait_ms", batch_wait_ms, 0.0, 1000.0)
    check_type("monitor", monitor, DriftMonitor, "a d2lhelper.serving.DriftMonitor", allow_none=True)
    session = _session(model, threads)
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or len(outputs) < 1 or list(inputs[0].shape[1:]) != [1, *IMAGE_SHAPE]:
        raise ValueError(f"model must have one input of shape (batch, 1, 28, 28), got inputs "
                         f"{[(i.name, i.shape) for i in inputs]}")
    input_name = inputs[0].name
    n_classes = outputs[0].shape[-1]
    if classes is None:
        classes = [str(i) for i in range(n_classes)] if isinstance(n_classes, int) else None
    else:
        classes = [str(c) for c in classes]
        if isinstance(n_classes, int) and len(classes) != n_classes:
            raise ValueError(f"classes must name the model's {n_classes} outputs, got {len(classes)} names")

    def run(X: np.ndarray) -> np.ndarray:
        """``(n, 28, 28)`` float32 in [0, 1] -> ``(n, num_classes)`` logits."""
        return session.run(None, {input_name: X[:, None].astype(np.float32, copy=False)})[0]

    class PredictRequest(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        pixels: list[list[float]] | list[list[list[float]]] = Field(description="one 28x28 image or a batch (n, 28, 28) of numbers in [0, 1]")

        @field_validator("pixels", mode="after")
        @classmethod
        def _shape_and_range(cls, value: Any) -> Any:
            return _as_images(value, max_batch)

    async def predict_array(X: np.ndarray) -> dict:
        if batcher["b"] is not None:
            logits = await batcher["b"].predict(X)
        else:
            logits = await asyncio.to_thread(run, X)
        probs = _softmax(logits)
        if monitor is not None:
            monitor.update(image_features(X, probs))
        labels = probs.argmax(axis=1)
        return {"labels": labels.tolist(),
                "classes": [classes[i] for i in labels] if classes else labels.tolist(),
                "probabilities": np.round(probs, 6).tolist()}

    batcher: dict[str, _Batcher | None] = {"b": None}

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> Any:
        if batch_wait_ms is not None:
            batcher["b"] = _Batcher(run, max_batch, batch_wait_ms / 1000)
            app.state.batcher = batcher["b"]
        yield
        if batcher["b"] is not None:
            batcher["b"].task.cancel()
            batcher["b"] = None

    app = FastAPI(title="d2lhelper image classifier", lifespan=lifespan)
    app.state.batcher = None

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Any, exc: RequestValidationError) -> JSONResponse:
        """FastAPI's 422 answer, shortened: at most 5 errors, inputs only where they are short."""
        errors = []
        for e in exc.errors()[:5]:
            short = {"type": e.get("type"), "loc": list(e.get("loc", ())), "msg": e.get("msg")}
            if len(repr(e.get("input"))) <= 60:
                short["input"] = e.get("input")
            errors.append(short)
        return JSONResponse(status_code=422, content=jsonable_encoder({"detail": errors, "errors": len(exc.errors())}))

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "input": [input_name, *map(str, inputs[0].shape)], "classes": classes,
                "max_batch": max_batch, "max_bytes": max_bytes, "dynamic_batching": batch_wait_ms is not None}

    @app.post("/predict")
    async def predict(request: PredictRequest) -> dict:
        return await predict_array(request.pixels)

    @app.post("/predict/image")
    async def predict_image(file: UploadFile = File(description="a 28x28 image file, e.g. PNG")) -> dict:
        content = await file.read()
        if len(content) > max_bytes:
            raise HTTPException(413, f"file must be at most max_bytes={max_bytes} bytes, got {len(content)} bytes")
        X = _decode_image(content, HTTPException)
        return await predict_array(X)

    if monitor is not None:
        @app.get("/drift")
        def drift() -> dict:
            return monitor.check().to_dict()

    app.add_middleware(_BodyLimit, max_bytes=max_bytes)
    return app


def _as_images(value: Any, max_batch: int) -> np.ndarray:
    """Nested lists of numbers -> ``(n, 28, 28)`` float32 in [0, 1], or a ValueError naming ``pixels``."""
    try:
        array = np.asarray(value, dtype=np.float32)
    except ValueError:  # ragged rows
        lengths = sorted({len(row) for img in (value if value and isinstance(value[0][0], list) else [value])
                          for row in img})
        raise ValueError(f"pixels must have shape (28, 28) or (n, 28, 28), got rows of different lengths "
                         f"{lengths[:5]}") from None
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1:] != IMAGE_SHAPE or array.shape[0] == 0:
        shape = tuple(np.asarray(value, dtype=object).shape) if array.ndim else ()
        raise ValueError(f"pixels must have shape (28, 28) or (n, 28, 28) with n >= 1, got shape {shape}")
    if len(array) > max_batch:
        raise ValueError(f"pixels must hold at most max_batch={max_batch} images, got {len(array)}")
    if not np.isfinite(array).all():
        raise ValueError("pixels must be finite numbers in [0, 1], got NaN or infinity")
    low, high = float(array.min()), float(array.max())
    if low < 0 or high > 1:
        raise ValueError(f"pixels must be numbers in [0, 1] (divide 0-255 values by 255), got values in "
                         f"[{low:g}, {high:g}]")
    return array


def _decode_image(content: bytes, error: Any) -> np.ndarray:
    """Image file bytes -> ``(1, 28, 28)`` float32 in [0, 1], or ``error(status, detail)`` raised."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.size != IMAGE_SHAPE[::-1]:
                raise error(422, f"file must be a 28x28 image, got {image.size[0]}x{image.size[1]} "
                                 f"({image.format})")
            grey = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    except UnidentifiedImageError:
        raise error(415, f"file must be an image file Pillow can read (PNG, JPEG, ...), got {len(content)} bytes "
                         f"starting {content[:8]!r}") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise error(415, f"file must be a readable image, got a damaged one ({type(err).__name__}: {err})") from None
    return grey[None]


@contextlib.contextmanager
def serve(app: Any, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 20.0) -> Iterator[str]:
    """Run ``app`` with uvicorn in a background thread; yield its base URL, e.g. ``"http://127.0.0.1:54321"``.

    ``port=0`` lets the operating system pick a free port. On leaving the block the server is asked to exit,
    finishes the requests in flight and its thread is joined.

    Raises:
        TimeoutError: the server did not start (or stop) within ``timeout`` seconds.
    """
    import uvicorn

    check_type("host", host, str, "a str such as '127.0.0.1'")
    check_non_negative_int("port", port)
    check_float_in_range("timeout", timeout, 0.0, 3600.0, include_low=False)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="d2lhelper-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout)
            raise TimeoutError(f"the server did not start on {host}:{port} within timeout={timeout} s")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"the server on {host}:{bound} did not stop within timeout={timeout} s")


# --------------------------------------------------------------------------- drift
FEATURES = ("mean", "std", "ink", "confidence")


def image_features(images: Any, probabilities: Any = None) -> dict[str, np.ndarray]:
    """Per-image statistics a monitor can compare across samples.

    Args:
        images: ``(n, 28, 28)`` or ``(n, 1, 28, 28)`` in [0, 1] (NumPy array or tensor).
        probabilities: optional ``(n, num_classes)`` predicted probabilities.

    Returns:
        ``{"mean": (n,), "std": (n,), "ink": (n,)}`` (mean and standard deviation of the pixels, share of
        pixels above 0.5) and, with ``probabilities``, ``"confidence"``: the largest probability, ``(n,)``.
    """
    X = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    if X.ndim == 4 and X.shape[1] == 1:
        X = X[:, 0]
    if X.ndim != 3 or X.shape[0] == 0:
        raise ValueError(f"images must have shape (n, 28, 28) or (n, 1, 28, 28) with n >= 1, got {X.shape}")
    flat = X.reshape(len(X), -1).astype(np.float64)
    out = {"mean": flat.mean(1), "std": flat.std(1), "ink": (flat > 0.5).mean(1)}
    if probabilities is not None:
        P = probabilities.detach().cpu().numpy() if isinstance(probabilities, torch.Tensor) else np.asarray(probabilities)
        if P.ndim != 2 or len(P) != len(X):
            raise ValueError(f"probabilities must have shape ({len(X)}, num_classes), got {P.shape}")
        out["confidence"] = P.max(1).astype(np.float64)
    return out


@dataclass
class DriftReport:
    """The result of :meth:`DriftMonitor.check`.

    Attributes:
        drift: some feature's p-value is below ``alpha / number of features`` (Bonferroni).
        p_values, statistics: per feature, the two-sample Kolmogorov-Smirnov p-value and statistic
            (the largest gap between the two empirical CDFs).
        n: the number of images checked.
        threshold: the p-value below which a feature flags drift.
    """

    drift: bool
    p_values: dict[str, float]
    statistics: dict[str, float]
    n: int
    threshold: float

    @property
    def flagged(self) -> list[str]:
        """The features whose p-value is below the threshold."""
        return [k for k, p in self.p_values.items() if p < self.threshold]

    def to_dict(self) -> dict[str, Any]:
        return {"drift": self.drift, "flagged": self.flagged, "n": self.n, "threshold": self.threshold,
                "p_values": self.p_values, "statistics": self.statistics}


@dataclass
class DriftMonitor:
    """Compare recent inputs with a reference sample, feature by feature, with two-sample KS tests.

    Args:
        reference: ``{feature: (m,) values}`` from :func:`image_features` of data the model was validated on.
        alpha: the false-alarm rate the monitor aims at for a window drawn from the reference distribution;
            each of the k features is tested at ``alpha / k`` (Bonferroni).
        window: :meth:`update` keeps the last ``window`` images.
        features: the features to test (default: every feature of ``reference``).
    """

    reference: Mapping[str, np.ndarray]
    alpha: float = 0.01
    window: int = 500
    features: Sequence[str] | None = None
    _recent: dict[str, deque] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        check_type("reference", self.reference, Mapping, "a dict {feature: array} from image_features")
        check_float_in_range("alpha", self.alpha, 0.0, 1.0, include_low=False)
        check_positive_int("window", self.window)
        names = list(self.reference) if self.features is None else list(self.features)
        missing = [f for f in names if f not in self.reference]
        if not names or missing:
            raise ValueError(f"features must be keys of reference {sorted(self.reference)}, got {names}")
        self.features = names
        self.reference = {f: np.asarray(self.reference[f], dtype=np.float64) for f in names}
        if min(len(v) for v in self.reference.values()) < 20:
            raise ValueError("reference must hold at least 20 values per feature, got "
                             f"{ {f: len(v) for f, v in self.reference.items()} }")
        self._recent = {f: deque(maxlen=self.window) for f in names}

    def update(self, features: Mapping[str, np.ndarray]) -> None:
        """Add the features of served images (``image_features`` output) to the rolling window."""
        with self._lock:
            for f in self.features:
                if f in features:
                    self._recent[f].extend(np.asarray(features[f], dtype=np.float64).tolist())

    def check(self, features: Mapping[str, np.ndarray] | None = None) -> DriftReport:
        """Test ``features`` (default: the rolling window) against the reference.

        A feature missing from ``features`` (or with fewer than 2 values) gets p-value 1.
        """
        from scipy.stats import ks_2samp

        if features is None:
            with self._lock:
                features = {f: np.array(v) for f, v in self._recent.items()}
        threshold = self.alpha / len(self.features)
        p_values, stats = {}, {}
        n = 0
        for f in self.features:
            values = np.asarray(features.get(f, []), dtype=np.float64)
            n = max(n, len(values))
            if len(values) < 2:
                p_values[f], stats[f] = 1.0, 0.0
                continue
            result = ks_2samp(self.reference[f], values)
            p_values[f], stats[f] = float(result.pvalue), float(result.statistic)
        return DriftReport(any(p < threshold for p in p_values.values()), p_values, stats, n, threshold)
