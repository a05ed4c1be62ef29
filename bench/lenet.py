"""LeNet trained three ways on the same tensors: d2l's train_ch6, d2lhelper's fit, a hand-written loop.

The network and settings are d2l's (section 6.6): sigmoid LeNet, Xavier-uniform
weights, batch 256, SGD with learning rate 0.9, test accuracy measured after
every epoch. Each variant is timed from the call that starts training to the
return, so data loading, the per-epoch evaluation and the loop's own
bookkeeping are all included; ``examples_per_s`` is training examples
(epochs x training-set size) per second of that wall time.
"""
from __future__ import annotations

import contextlib
import io
import re
import time
import warnings
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

import d2lhelper as d2l
from d2lhelper.device import synchronize

BATCH_SIZE, LR, EPOCHS = 256, 0.9, 10
D2L_WORKERS = 4  # d2l.get_dataloader_workers() in d2l 0.17.6


@dataclass(frozen=True)
class ImageTensors:
    """The one copy of the data all variants train on: ``X (N, 1, 28, 28)`` float32, ``y (N,)`` int64."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    name: str


def load_data(n_train: int = 60_000, n_test: int = 10_000) -> ImageTensors:
    """Fashion-MNIST when it can be had; otherwise a stand-in of the same size (named, with a notice).

    Offline, ``load_fashion_mnist`` would fall back to MNIST-5k's 4,000 training
    images: 16 batches an epoch, too few for sigmoid LeNet to leave chance and so
    few that per-epoch start-up costs dominate. The benchmark instead trains on
    ``bench/standin.py``'s ``n_train + n_test`` shifted copies of the real MNIST-5k
    digits (test images only from its held-out digits), so every variant runs
    Fashion-MNIST's 235 batches an epoch. ``n_train``/``n_test`` only shrink the
    stand-in (the smoke test); Fashion-MNIST is always used whole. The stand-in
    is standardised with its training mean and std (the same tensors for every
    variant); Fashion-MNIST is used in [0, 1], as d2l does.
    """
    import tempfile

    import standin

    data = d2l.data.load_fashion_mnist(BATCH_SIZE)
    if data.name == "Fashion-MNIST":
        (X_train, y_train), (X_test, y_test) = data.train.tensors, data.val.tensors
        return ImageTensors(X_train, y_train, X_test, y_test, data.name)
    name = standin.name(n_train, n_test)
    print(f"bench: NOTICE: so LeNet trains on a {name}, not on clothes", flush=True)
    with tempfile.TemporaryDirectory() as root:  # the online path: IDX files where torchvision looks
        standin.write_standin(root, n_train, n_test)
        data = d2l.data.load_fashion_mnist(BATCH_SIZE, root=root)
    (X_train, y_train), (X_test, y_test) = data.train.tensors, data.val.tensors
    # Measured: on the stand-in's raw [0, 1] pixels (mean 0.11, Fashion-MNIST's is 0.29) sigmoid LeNet at
    # learning rate 0.9 stayed at chance for all 10 epochs; standardised, it left chance in epoch 2.
    mean, std = X_train.mean(), X_train.std()
    return ImageTensors((X_train - mean) / std, y_train, (X_test - mean) / std, y_test, name)


def lenet() -> nn.Sequential:
    """d2l's LeNet-5 with sigmoid activations and average pooling; ``(B, 1, 28, 28) -> (B, 10)``."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def _xavier(module: nn.Module) -> None:
    if type(module) in (nn.Linear, nn.Conv2d):  # what train_ch6 does before training
        nn.init.xavier_uniform_(module.weight)


def _new_net(seed: int) -> nn.Sequential:
    d2l.seed_everything(seed)
    return lenet()


@torch.no_grad()
def test_accuracy(net: nn.Module, data: ImageTensors, device: torch.device) -> float:
    """Accuracy on the test tensors, measured the same way for every variant (outside the timing)."""
    loader = d2l.data.TensorLoader(data.X_test, data.y_test, batch_size=1024)
    return d2l.evaluate(net, loader, device=device)["metric"]


def _result(net: nn.Module, data: ImageTensors, epochs: int, wall: float, device: torch.device,
            **extra: float) -> dict[str, float]:
    return {"examples_per_s": epochs * len(data.y_train) / wall, "wall_s": wall,
            "test_accuracy": test_accuracy(net, data, device), **extra}


def run_d2l(d2l_module: Any, data: ImageTensors, *, epochs: int, device: torch.device, seed: int,
            workers: int = D2L_WORKERS) -> dict[str, float]:
    """d2l's ``train_ch6`` on DataLoaders built as d2l's ``load_data_fashion_mnist`` builds them.

    ``in_loop_examples_per_s`` is the figure train_ch6 prints itself (its timer
    covers forward, backward and step only, not loading or evaluation).
    """
    from torch.utils.data import DataLoader, TensorDataset

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), warnings.catch_warnings():
        # train_ch6 prints, and its headless Animator "displays"; torch warns that 4 workers exceed 2 cores.
        warnings.simplefilter("ignore", UserWarning)
        train_iter = DataLoader(TensorDataset(data.X_train, data.y_train), BATCH_SIZE, shuffle=True,
                                num_workers=workers)
        test_iter = DataLoader(TensorDataset(data.X_test, data.y_test), BATCH_SIZE, shuffle=False,
                               num_workers=workers)
        net = _new_net(seed)
        t0 = time.perf_counter()
        d2l_module.train_ch6(net, train_iter, test_iter, epochs, LR, device)
    synchronize(device)
    wall = time.perf_counter() - t0
    match = re.search(r"([\d.]+) examples/sec", printed.getvalue())
    in_loop = float(match.group(1)) if match else float("nan")
    return _result(net, data, epochs, wall, device, in_loop_examples_per_s=in_loop)


def run_fit(data: ImageTensors, *, epochs: int, device: torch.device, seed: int) -> dict[str, float]:
    """d2lhelper's ``fit`` on ``TensorLoader``s, as the book's notebooks run it (no bars, no live plot)."""
    train_iter = d2l.data.TensorLoader(data.X_train, data.y_train, batch_size=BATCH_SIZE, shuffle=True)
    test_iter = d2l.data.TensorLoader(data.X_test, data.y_test, batch_size=BATCH_SIZE)
    net = _new_net(seed)
    t0 = time.perf_counter()
    net.apply(_xavier)
    history = d2l.fit(net, train_iter, test_iter, loss_fn=nn.CrossEntropyLoss(),
                      optimizer=torch.optim.SGD(net.parameters(), lr=LR), epochs=epochs, device=device,
                      live_plot=False, progress=False)
    synchronize(device)
    wall = time.perf_counter() - t0
    in_loop = sum(r["examples_per_s"] for r in history.rows) / len(history.rows)
    return _result(net, data, epochs, wall, device, in_loop_examples_per_s=in_loop)


def run_hand(data: ImageTensors, *, epochs: int, device: torch.device, seed: int) -> dict[str, float]:
    """A minimal hand-written loop over the in-memory tensors doing the same work as the others.

    Per epoch: shuffle, forward/backward/step per batch with the training loss
    summed on the device, then the test accuracy.
    """
    net = _new_net(seed)
    t0 = time.perf_counter()
    net.apply(_xavier)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    n = len(data.y_train)
    log = []  # (training loss, test accuracy) per epoch: what the loop reports
    for _ in range(epochs):
        net.train()
        loss_sum = torch.zeros((), device=device)
        order = torch.randperm(n)
        for i in range(0, n, BATCH_SIZE):
            idx = order[i:i + BATCH_SIZE]
            X, y = data.X_train[idx].to(device), data.y_train[idx].to(device)
            loss = loss_fn(net(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(y)
        net.eval()
        with torch.no_grad():
            correct = torch.zeros((), device=device)
            for i in range(0, len(data.y_test), BATCH_SIZE):
                X, y = data.X_test[i:i + BATCH_SIZE].to(device), data.y_test[i:i + BATCH_SIZE].to(device)
                correct += (net(X).argmax(dim=1) == y).sum()
        log.append((loss_sum.item() / n, correct.item() / len(data.y_test)))
    wall = time.perf_counter() - t0
    return _result(net, data, epochs, wall, device)
