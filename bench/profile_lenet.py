"""Where LeNet's training time goes: torch.profiler over 20 training steps of the benchmark's model.

    python bench/profile_lenet.py          # prints the top operators by self CPU time

The LeNet benchmark's goal of 3x d2l end to end assumed that data loading and
bookkeeping dominate; this shows what share the network's own kernels take,
which no training loop can remove.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lenet  # noqa: E402


def main() -> None:
    net = lenet._new_net(0)
    net.apply(lenet._xavier)
    optimizer = torch.optim.SGD(net.parameters(), lr=lenet.LR)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    X, y = torch.rand(20, lenet.BATCH_SIZE, 1, 28, 28, generator=g), torch.randint(0, 10, (20, lenet.BATCH_SIZE), generator=g)

    def step(i: int) -> None:
        loss = loss_fn(net(X[i]), y[i])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for i in range(5):  # warm-up
        step(i)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for i in range(20):
            step(i)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    print(f"{torch.get_num_threads()} threads; 20 steps of batch {lenet.BATCH_SIZE}: "
          f"{total / 1e3:.0f} ms of operator time, {20 * lenet.BATCH_SIZE / (total / 1e6):,.0f} examples/s")
    conv = sum(e.self_cpu_time_total for e in events if "conv" in e.key or "pool" in e.key or "sigmoid" in e.key.lower())
    print(f"convolutions, pooling and sigmoids (forward and backward): {conv / total:.0%} of it")
    print(events.table(sort_by="self_cpu_time_total", row_limit=12))


if __name__ == "__main__":
    main()
