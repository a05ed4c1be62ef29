"""GCN on Cora: the book's training loop vs the settings of PyG's ``examples/gcn.py``.

The reference is PyG's example re-stated as a function (not copied): features
row-normalised (``T.NormalizeFeatures``), ``GCNConv(1433, 16)`` -> ReLU ->
``GCNConv(16, 7)`` with dropout 0.5 before each convolution, Adam with learning
rate 0.01 and weight decay 5e-4 on the first convolution only, 200 epochs of
one full-batch step and one evaluation, test accuracy at the best validation
accuracy. The book's side is :func:`d2lhelper.train_node_classifier` (Adam,
lr 0.01, weight decay 5e-4 on every parameter, the same selection by validation
accuracy) training (a) the same ``GCNConv`` model and (b) a from-scratch GCN on
:func:`d2lhelper.normalized_adjacency` as a sparse matrix. Every side is timed
over the whole loop, evaluation included; ``seconds_per_epoch`` is that wall
time divided by the epochs.
"""
from __future__ import annotations

import time
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import d2lhelper as d2l
from d2lhelper.device import synchronize

HIDDEN, LR, WEIGHT_DECAY, DROPOUT, EPOCHS = 16, 0.01, 5e-4, 0.5, 200


def load_cora() -> Any:
    """Cora's one graph with its public split and row-normalised features."""
    import torch_geometric.transforms as T

    return d2l.data.load_planetoid("Cora", transform=T.NormalizeFeatures())[0]


class PygGCN(nn.Module):
    """Two ``GCNConv`` layers as in PyG's example; ``(x (n, f), edge_index (2, E)) -> logits (n, classes)``."""

    def __init__(self, in_features: int, num_classes: int) -> None:
        super().__init__()
        from torch_geometric.nn import GCNConv

        self.conv1, self.conv2 = GCNConv(in_features, HIDDEN), GCNConv(HIDDEN, num_classes)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        x = F.dropout(x, DROPOUT, self.training)
        x = self.conv1(x, edge_index).relu()
        x = F.dropout(x, DROPOUT, self.training)
        return self.conv2(x, edge_index)


class ScratchGCN(nn.Module):
    """The same network on ``A_hat`` from :func:`d2lhelper.normalized_adjacency` (sparse, built once)."""

    def __init__(self, in_features: int, num_classes: int) -> None:
        super().__init__()
        self.lin1 = nn.Linear(in_features, HIDDEN, bias=False)
        self.lin2 = nn.Linear(HIDDEN, num_classes, bias=False)
        self.bias1, self.bias2 = nn.Parameter(torch.zeros(HIDDEN)), nn.Parameter(torch.zeros(num_classes))
        for lin in (self.lin1, self.lin2):
            nn.init.xavier_uniform_(lin.weight)  # GCNConv's (glorot) initialisation
        self._A_hat: tuple[torch.Tensor, torch.Tensor] | None = None

    def adjacency(self, edge_index: torch.Tensor, n: int) -> torch.Tensor:
        if self._A_hat is None or self._A_hat[0] is not edge_index:
            self._A_hat = (edge_index, d2l.normalized_adjacency(edge_index, n, sparse=True))
        return self._A_hat[1]

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        A_hat = self.adjacency(edge_index, x.shape[0])                         # (n, n) sparse
        x = F.dropout(x, DROPOUT, self.training)
        h = (torch.sparse.mm(A_hat, self.lin1(x)) + self.bias1).relu()          # (n, hidden)
        h = F.dropout(h, DROPOUT, self.training)
        return torch.sparse.mm(A_hat, self.lin2(h)) + self.bias2                # (n, classes)


def run_reference(data: Any, *, epochs: int, device: torch.device, seed: int) -> dict[str, float]:
    """PyG's example loop: train step, then train/val/test accuracy; test at the best validation accuracy."""
    d2l.seed_everything(seed)
    model = PygGCN(data.num_features, int(data.y.max()) + 1)
    data = data.clone()  # Data.to moves in place; the other variants must get the graph where it was
    t0 = time.perf_counter()
    data = data.to(device)
    model.to(device)
    optimizer = torch.optim.Adam([dict(params=model.conv1.parameters(), weight_decay=WEIGHT_DECAY),
                                  dict(params=model.conv2.parameters(), weight_decay=0.0)], lr=LR)
    best_val = test_acc = 0.0
    for _ in range(epochs):
        model.train()
        optimizer.zero_grad()
        out = model(data.x, data.edge_index)
        loss = F.cross_entropy(out[data.train_mask], data.y[data.train_mask])
        loss.backward()
        optimizer.step()
        float(loss.detach())
        model.eval()
        with torch.no_grad():
            pred = model(data.x, data.edge_index).argmax(dim=-1)
        accs = [int((pred[m] == data.y[m]).sum()) / int(m.sum()) for m in (data.train_mask, data.val_mask,
                                                                          data.test_mask)]
        if accs[1] > best_val:
            best_val, test_acc = accs[1], accs[2]
    synchronize(device)
    wall = time.perf_counter() - t0
    return {"seconds_per_epoch": wall / epochs, "wall_s": wall, "test_accuracy": test_acc}


def run_book(data: Any, model_cls: type[nn.Module], *, epochs: int, device: torch.device,
             seed: int) -> dict[str, float]:
    """:func:`d2lhelper.train_node_classifier` on ``model_cls``, as chapter 7 runs it (no live plot)."""
    d2l.seed_everything(seed)
    model = model_cls(data.num_features, int(data.y.max()) + 1)
    t0 = time.perf_counter()
    history = d2l.train_node_classifier(model, data, epochs=epochs, lr=LR, weight_decay=WEIGHT_DECAY,
                                        device=device, live_plot=False)
    synchronize(device)
    wall = time.perf_counter() - t0
    return {"seconds_per_epoch": wall / epochs, "wall_s": wall, "test_accuracy": history.accuracy["test"]}
