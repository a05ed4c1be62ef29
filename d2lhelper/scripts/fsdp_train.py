"""Fully sharded data parallelism (FSDP) on the chapter's model: each process stores only its shard of
every parameter, gradient and optimizer state, and gathers a layer's full weights just while it computes
with them (chapter 9.6).

    torchrun --nproc-per-node=2 fsdp_train.py --epochs 1 --out params.pt

The steps are those of data parallelism (the chapter checks it against one process with the whole batch);
what changes is memory: with W processes each holds about 1/W of the model's state.
"""
from __future__ import annotations

import argparse
import json

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler

from d2lhelper import distributed
from d2lhelper.scripts.ddp_train import make_data, make_model

try:  # public from PyTorch 2.6; the same function lived here in 2.4-2.5
    from torch.distributed.fsdp import fully_shard
except ImportError:  # pragma: no cover - depends on the torch version
    from torch.distributed._composable.fsdp import fully_shard


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--global-batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    rank, world_size, device = distributed.setup()
    try:
        from torch.distributed.device_mesh import init_device_mesh

        mesh = init_device_mesh(device.type, (world_size,))
        data = make_data()
        model = make_model().to(device)
        full_numel = sum(p.numel() for p in model.parameters())
        for layer in model:  # shard each Linear, then the rest; each layer is gathered only when it runs
            if isinstance(layer, nn.Linear):
                fully_shard(layer, mesh=mesh)
        fully_shard(model, mesh=mesh)
        local_numel = sum(p.to_local().numel() for p in model.parameters())  # parameters are DTensors now
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)  # its state is sharded too
        sampler = DistributedSampler(data, num_replicas=world_size, rank=rank, shuffle=True, seed=0, drop_last=True)
        loader = DataLoader(data, batch_size=args.global_batch // world_size, sampler=sampler, drop_last=True)
        for epoch in range(args.epochs):
            sampler.set_epoch(epoch)
            for X, y in loader:
                loss = nn.functional.cross_entropy(model(X.to(device)), y.to(device))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()  # gradients are reduce-scattered: each process keeps the mean of its shard
                optimizer.step()
        full = {k: v.full_tensor().cpu() for k, v in model.state_dict().items()}  # a collective: every rank calls it
        if rank == 0:
            if args.out:
                torch.save(full, args.out)
            print("RESULT " + json.dumps({"world_size": world_size, "parameters": full_numel,
                                          "parameters_per_process": local_numel}), flush=True)
    finally:
        distributed.cleanup()


if __name__ == "__main__":
    main()
