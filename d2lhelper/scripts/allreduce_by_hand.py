"""Data parallelism written by hand: each process takes its shard of every batch, and the gradients are
averaged with ``torch.distributed.all_reduce`` before an ordinary optimizer step (chapter 9.4).

    torchrun --nproc-per-node=2 allreduce_by_hand.py --steps 20 --global-batch 64 --out params.pt

This is what ``DistributedDataParallel`` automates (and does faster, overlapping communication with the
backward pass); the chapter checks both against one process that sees each whole batch.
"""
from __future__ import annotations

import argparse
import json

import torch
import torch.distributed as dist
from torch import nn

from d2lhelper import distributed
from d2lhelper.scripts.ddp_train import make_data, make_model


def average_gradients(model: nn.Module, world_size: int) -> None:
    """Replace every gradient by its mean over the processes: one all-reduce (sum) per parameter, then / W."""
    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad /= world_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--global-batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    rank, world_size, device = distributed.setup()
    try:
        X, y = make_data().tensors
        model = make_model().to(device)  # the same seed: the same initial weights in every process
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
        per_rank = args.global_batch // world_size
        for step in range(args.steps):
            start = step * args.global_batch + rank * per_rank  # this process's shard of batch `step`
            xb, yb = X[start:start + per_rank].to(device), y[start:start + per_rank].to(device)
            loss = nn.functional.cross_entropy(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            average_gradients(model, world_size)
            optimizer.step()
        if rank == 0:
            if args.out:
                torch.save({k: v.cpu() for k, v in model.state_dict().items()}, args.out)
            print("RESULT " + json.dumps({"world_size": world_size, "steps": args.steps}), flush=True)
    finally:
        distributed.cleanup()


if __name__ == "__main__":
    main()
