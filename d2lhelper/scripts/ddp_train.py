"""Data-parallel training with PyTorch's DistributedDataParallel: the script chapter 9 launches.

    torchrun --nproc-per-node=2 ddp_train.py --epochs 3 --global-batch 64 --out ckpt.pt
    torchrun --nproc-per-node=2 ddp_train.py --epochs 5 --resume ckpt.pt --out ckpt.pt

Every process builds the same model from the same seed, wraps it in
``DistributedDataParallel`` (which all-reduces the gradients during ``backward``),
and reads its own share of every global batch through ``DistributedSampler``:
with W processes and a per-process batch of ``global_batch / W``, step t of W
processes sees exactly the examples of step t of one process with the whole
global batch, so the two end with the same parameters (up to float rounding of
the gradient sum). Rank 0 alone writes the checkpoint and prints one ``RESULT``
line of JSON. ``train(..., distributed=False)`` runs the same loop in one
process without a process group: the reference the chapter (and the tests)
compare with.
"""
from __future__ import annotations

import argparse
import json
import time

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

import d2lhelper as d2l
from d2lhelper import distributed


def make_data(n: int = 4096, features: int = 20, classes: int = 4, seed: int = 0) -> TensorDataset:
    """A fixed synthetic classification task (the same on every process): labels from a random teacher."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, features, generator=g)
    teacher = torch.randn(features, classes, generator=g)
    return TensorDataset(X, (X @ teacher).argmax(dim=1))


def make_model(features: int = 20, classes: int = 4, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)  # the same initial weights on every process
    return nn.Sequential(nn.Linear(features, 64), nn.ReLU(), nn.Linear(64, classes))


def train(args: argparse.Namespace, rank: int = 0, world_size: int = 1, device: torch.device | None = None,
          distributed_run: bool = True) -> dict:
    device = device or torch.device("cpu")
    if args.global_batch % world_size:
        raise ValueError(f"--global-batch ({args.global_batch}) must be divisible by the world size ({world_size})")
    data = make_data(seed=args.seed)
    model = make_model(seed=args.seed).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    start_epoch = 0
    if args.resume:  # every process loads the same file: same weights, same optimizer state
        start_epoch = d2l.load_checkpoint(args.resume, model, optimizer, device=device)["epoch"]
    # DDP all-reduces gradients in buckets while backward still runs; on a GPU it is given its device.
    net = (DDP(model, device_ids=[device.index] if device.type == "cuda" else None) if distributed_run else model)
    # The sampler shuffles with seed + epoch: every process draws the same permutation and takes its share.
    sampler = DistributedSampler(data, num_replicas=world_size, rank=rank, shuffle=True, seed=args.seed,
                                 drop_last=True)
    loader = DataLoader(data, batch_size=args.global_batch // world_size, sampler=sampler, drop_last=True)
    loss_fn = nn.CrossEntropyLoss()
    t0, seen = time.perf_counter(), 0
    for epoch in range(start_epoch, args.epochs):
        sampler.set_epoch(epoch)
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            loss = loss_fn(net(X), y)  # this process's mean; DDP averages the gradients over processes
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            seen += len(X) * world_size
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        X, y = data.tensors
        accuracy = (model(X.to(device)).argmax(1) == y.to(device)).float().mean().item()
    if rank == 0 and args.out:
        d2l.save_checkpoint(args.out, model, optimizer, epoch=args.epochs)
    return {"world_size": world_size, "epochs": args.epochs, "start_epoch": start_epoch,
            "examples_per_s": seen / seconds if seconds > 0 else None, "seconds": seconds,
            "train_accuracy": accuracy, "device": str(device),
            "checksum": sum(p.detach().double().sum().item() for p in model.parameters())}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--global-batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="checkpoint written by rank 0 at the end")
    parser.add_argument("--resume", default=None, help="checkpoint to continue from")
    return parser.parse_args(argv)


def main() -> None:
    args = parse()
    rank, world_size, device = distributed.setup()
    try:
        result = train(args, rank, world_size, device)
        if rank == 0:
            print("RESULT " + json.dumps(result), flush=True)
    finally:
        distributed.cleanup()


if __name__ == "__main__":
    main()
