"""Graphs: the normalised adjacency, drawing, and full-batch node classification.

Chapter 7 writes a graph convolution from the normalised adjacency, draws small
graphs with networkx, and trains node classifiers on one graph whose nodes are
split into training, validation and test sets by boolean masks. A graph is given
by ``edge_index``, an integer tensor of shape ``(2, num_edges)`` whose column
``(j, i)`` is an edge from source node ``j`` to target node ``i`` (PyTorch
Geometric's convention; an undirected graph lists both directions).

``torch_geometric`` is not needed here; the functions take plain tensors and any
object with the attributes of a ``torch_geometric.data.Data``.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_module, check_positive_int
from ._checks import check_axes, check_bool, check_device, check_non_negative_int, check_positive_float, check_type
from ._engine import Epochs, Stepper
from .device import get_device, hardware_summary
from .plotting import LivePlot
from .train import History, accuracy

__all__ = ["NodeHistory", "draw_graph", "normalized_adjacency", "train_node_classifier"]

SPLITS = ("train", "val", "test")


def _check_edge_index(edge_index: Any, num_nodes: int) -> torch.Tensor:
    """``edge_index`` as a ``(2, E)`` int64 tensor with entries in ``[0, num_nodes)``, else raise."""
    check_positive_int("num_nodes", num_nodes)
    if not isinstance(edge_index, torch.Tensor):
        raise TypeError(f"edge_index must be a torch.Tensor of shape (2, num_edges), got {type(edge_index).__name__}")
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, num_edges), got {tuple(edge_index.shape)}")
    if edge_index.dtype.is_floating_point or edge_index.dtype == torch.bool:
        raise TypeError(f"edge_index must hold integer node indices, got dtype {edge_index.dtype}")
    if edge_index.numel() and (edge_index.min() < 0 or edge_index.max() >= num_nodes):
        raise ValueError(f"edge_index must hold node indices in [0, {num_nodes}) for num_nodes={num_nodes}, "
                         f"got values in [{int(edge_index.min())}, {int(edge_index.max())}]")
    return edge_index.long()


def normalized_adjacency(
    edge_index: torch.Tensor,
    num_nodes: int,
    *,
    add_self_loops: bool = True,
    sparse: bool = False,
) -> torch.Tensor:
    r"""The symmetrically normalised adjacency matrix of Kipf and Welling's GCN.

    .. math::
        \hat{\mathbf{A}} = \mathbf{D}^{-1/2} (\mathbf{A} + \mathbf{I}) \mathbf{D}^{-1/2},
        \qquad D_{ii} = \textstyle\sum_j (\mathbf{A} + \mathbf{I})_{ij},

    so that :math:`\hat{A}_{ij} = 1 / \sqrt{d_i d_j}` for every edge :math:`j \to i`
    and self-loop. ``A[i, j]`` counts the edges from ``j`` to ``i`` (row ``i``
    collects what node ``i`` receives), as in ``torch_geometric.nn.GCNConv``;
    a node of degree 0 gets a zero row instead of a division by zero.

    Args:
        edge_index: ``(2, num_edges)`` integer tensor; column ``(j, i)`` is an edge
            from ``j`` to ``i``. Repeated edges add up.
        num_nodes: number of nodes ``n`` (isolated nodes need not appear in ``edge_index``).
        add_self_loops: use :math:`\mathbf{A} + \mathbf{I}`; self-loops already in
            ``edge_index`` are then replaced by one loop of weight 1 (as ``GCNConv`` does).
        sparse: return a coalesced ``torch.sparse_coo_tensor`` instead of a dense matrix.

    Returns:
        :math:`\hat{\mathbf{A}}`, float32 of shape ``(n, n)``, dense or sparse COO.
    """
    edge_index = _check_edge_index(edge_index, num_nodes)
    check_bool("add_self_loops", add_self_loops)
    check_bool("sparse", sparse)
    src, dst = edge_index
    weight = torch.ones(src.numel(), device=edge_index.device)
    if add_self_loops:
        keep = src != dst
        loops = torch.arange(num_nodes, device=edge_index.device)
        src, dst = torch.cat([src[keep], loops]), torch.cat([dst[keep], loops])
        weight = torch.ones(src.numel(), device=edge_index.device)
    deg = torch.zeros(num_nodes, device=edge_index.device).index_add_(0, dst, weight)  # row sums, (n,)
    deg_inv_sqrt = deg.pow(-0.5).masked_fill(deg == 0, 0.0)
    values = deg_inv_sqrt[dst] * weight * deg_inv_sqrt[src]                           # (E,)
    A_hat = torch.sparse_coo_tensor(torch.stack([dst, src]), values, (num_nodes, num_nodes),
                                    check_invariants=True).coalesce()
    return A_hat if sparse else A_hat.to_dense()


def draw_graph(
    graph: Any,
    *,
    num_nodes: int | None = None,
    node_color: Sequence[Any] | torch.Tensor | None = None,
    class_names: Sequence[str] | None = None,
    with_labels: bool = True,
    pos: dict[int, Any] | None = None,
    seed: int = 0,
    node_size: float = 200,
    title: str | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Draw a small graph with networkx, nodes coloured by class.

    Args:
        graph: a ``networkx`` graph, or an ``edge_index`` tensor of shape
            ``(2, num_edges)`` (drawn undirected).
        num_nodes: number of nodes when ``graph`` is an ``edge_index``
            (default: the largest index + 1).
        node_color: one integer class per node (shape ``(n,)``), drawn with the
            ``tab10`` colours; or any colours matplotlib accepts.
        class_names: names of the integer classes; adds a legend.
        with_labels: write each node's index on it.
        pos: node -> (x, y) positions, e.g. from ``networkx.spring_layout``; by
            default a spring layout seeded with ``seed``, so drawings repeat.

    Returns:
        The axes drawn on.
    """
    import networkx as nx

    check_bool("with_labels", with_labels)
    check_type("pos", pos, dict, "a dict node -> (x, y), e.g. from networkx.spring_layout", allow_none=True)
    check_non_negative_int("seed", seed)
    check_positive_float("node_size", node_size)
    check_axes("ax", ax)
    if isinstance(graph, torch.Tensor):
        n = num_nodes if num_nodes is not None else (int(graph.max()) + 1 if graph.numel() else 1)
        edge_index = _check_edge_index(graph, n)
        G = nx.Graph()
        G.add_nodes_from(range(n))
        G.add_edges_from(edge_index.t().tolist())
    elif isinstance(graph, nx.Graph):
        G = graph
    else:
        raise TypeError(f"graph must be a networkx graph or an edge_index tensor, got {type(graph).__name__}")
    n = G.number_of_nodes()
    colors: Any = "C0"
    classes = None
    if node_color is not None:
        values = node_color.tolist() if isinstance(node_color, torch.Tensor) else list(node_color)
        if len(values) != n:
            raise ValueError(f"node_color must have one entry per node ({n}), got {len(values)}")
        if all(isinstance(v, int) for v in values):
            classes = sorted(set(values))
            colors = [plt.cm.tab10(v % 10) for v in values]
        else:
            colors = values
    if class_names is not None and classes is None:
        raise ValueError("class_names needs node_color to hold one integer class per node")
    if class_names is not None and max(classes) >= len(class_names):
        raise ValueError(f"class_names must name every class in node_color (0..{max(classes)}), "
                         f"got {len(class_names)} names")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    pos = pos if pos is not None else nx.spring_layout(G, seed=seed)
    nx.draw_networkx_edges(G, pos, ax=ax, alpha=0.4, width=0.8)
    nx.draw_networkx_nodes(G, pos, ax=ax, node_color=colors, node_size=node_size, edgecolors="k", linewidths=0.5)
    if with_labels:
        nx.draw_networkx_labels(G, pos, ax=ax, font_size=max(5, min(9, int(math.sqrt(node_size) / 2))))
    if class_names is not None:
        for c in classes:
            ax.scatter([], [], color=plt.cm.tab10(c % 10), edgecolors="k", label=class_names[c])
        ax.legend(fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    ax.set_axis_off()
    return ax


@dataclass(repr=False)
class NodeHistory(History):
    """Per-epoch record of a :func:`train_node_classifier` run.

    ``rows`` hold ``epoch``, ``train_loss``, ``val_loss`` and the accuracies
    ``train_metric``, ``val_metric``, ``test_metric``, and ``seconds`` (wall time
    of the epoch: one training step and one evaluation). ``best`` holds the
    selected epoch and its accuracies, ``{"epoch", "train", "val", "test"}``.
    """

    best: dict[str, float] = field(default_factory=dict)

    @property
    def accuracy(self) -> dict[str, float]:
        """Accuracy per split at the selected epoch: ``{"train": ..., "val": ..., "test": ...}``."""
        return {s: self.best[s] for s in SPLITS}

    @property
    def seconds_per_epoch(self) -> float:
        """Mean wall time of an epoch (training step plus evaluation)."""
        return sum(self["seconds"]) / len(self)

    def plot(self, ax: Any = None) -> Any:
        """Accuracy on the three splits against epochs; returns the axes."""
        from .plotting import plot

        ax = plot(self["epoch"], [self[f"{s}_metric"] for s in SPLITS], xlabel="epoch", ylabel="accuracy",
                  legend=[f"{s} accuracy" for s in SPLITS], ax=ax)
        ax.axvline(self.best["epoch"], color="gray", lw=0.8, ls=":")
        return ax


def _node_data(data: Any, device: torch.device) -> dict[str, torch.Tensor]:
    """The tensors of ``data`` that training needs, checked, on ``device``."""
    missing = [k for k in ("x", "edge_index", "y", "train_mask", "val_mask", "test_mask")
               if getattr(data, k, None) is None]
    if missing:
        raise ValueError(f"data must have the attributes x, edge_index, y, train_mask, val_mask and test_mask "
                         f"(like a torch_geometric Data with a split), missing {missing}")
    x, y = data.x, data.y
    n = x.shape[0]
    if y.shape != (n,):
        raise ValueError(f"data.y must have shape (num_nodes,) = ({n},), got {tuple(y.shape)}")
    out = {"x": x, "y": y.long(), "edge_index": _check_edge_index(data.edge_index, n)}
    for s in SPLITS:
        mask = getattr(data, f"{s}_mask")
        if mask.dtype != torch.bool or mask.shape != (n,):
            raise ValueError(f"data.{s}_mask must be a bool tensor of shape ({n},), "
                             f"got {mask.dtype} of shape {tuple(mask.shape)}")
        if not mask.any():
            raise ValueError(f"data.{s}_mask selects no node; every split needs at least one")
        out[f"{s}_mask"] = mask
    return {k: v.to(device) for k, v in out.items()}


def train_node_classifier(
    model: nn.Module,
    data: Any,
    *,
    epochs: int,
    lr: float = 0.01,
    weight_decay: float = 5e-4,
    select_by_val: bool = True,
    device: torch.device | str | None = None,
    live_plot: bool = True,
    title: str | None = None,
) -> NodeHistory:
    """Train a node classifier full-batch on the nodes of ``data.train_mask``.

    Each epoch is one Adam step on the mean cross-entropy of the training
    nodes, followed by an evaluation (eval mode, so no dropout) that records the
    loss and the accuracy of every split. With ``select_by_val`` the weights of
    the epoch with the best validation accuracy (ties: the lower validation loss)
    are restored at the end and its accuracies reported, as in the GCN and GAT
    papers; the test accuracy is never used to choose. Otherwise the last epoch counts.

    Args:
        model: ``model(x, edge_index)`` returns logits of shape ``(num_nodes, num_classes)``.
        data: a ``torch_geometric.data.Data`` (or any object) with ``x (n, f)``,
            ``edge_index (2, E)``, ``y (n,)`` and bool masks ``train_mask``,
            ``val_mask``, ``test_mask`` of shape ``(n,)``. It is not modified.
        epochs: number of training steps, > 0.
        lr, weight_decay: of ``torch.optim.Adam`` (the GCN paper's 0.01 and 5e-4 by default).
        device: default :func:`get_device`; the model is moved there.
        live_plot: redraw the accuracy curves while training (Jupyter only).

    Returns:
        A :class:`NodeHistory`; ``history.accuracy`` gives the per-split accuracy
        of the selected epoch, ``history.seconds_per_epoch`` the mean epoch time.
    """
    check_module("model", model)
    check_positive_int("epochs", epochs)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    if not weight_decay >= 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
    check_bool("select_by_val", select_by_val)
    check_device("device", device)
    check_bool("live_plot", live_plot)
    device = torch.device(device) if device is not None else get_device()
    d = _node_data(data, device)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history = NodeHistory(hardware=hardware_summary(device))
    history.best = {"epoch": 0, "val": -1.0, "val_loss": math.inf}
    sizes = {s: int(d[f"{s}_mask"].sum()) for s in SPLITS}  # nodes per split, counted once
    best_state = None
    curves = [f"{s} accuracy" for s in SPLITS]
    live = LivePlot(xlabel="epoch", ylabel="accuracy", legend=curves, xlim=(0, epochs), ylim=(0, 1),
                    title=title or f"Training {type(model).__name__}") if live_plot else None
    stepper = Stepper(model, optimizer, device)
    for epoch in (loop := Epochs(epochs, device, history, live)):
        model.train()
        logits = model(d["x"], d["edge_index"])                              # (n, classes)
        loss = F.cross_entropy(logits[d["train_mask"]], d["y"][d["train_mask"]])
        stepper.step(loss)
        model.eval()
        with torch.no_grad():
            logits = model(d["x"], d["edge_index"])
            pred = logits.argmax(dim=1)
            val_loss = F.cross_entropy(logits[d["val_mask"]], d["y"][d["val_mask"]])
            correct = [accuracy(pred[d[f"{s}_mask"]], d["y"][d[f"{s}_mask"]]) for s in SPLITS]
            # the epoch's one host read: both losses and the correct counts of every split
            train_loss, val_loss_value, *right = torch.stack([loss.detach(), val_loss, *correct]).tolist()
        row: dict[str, float] = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss_value}
        row.update({f"{s}_metric": r / sizes[s] for s, r in zip(SPLITS, right)})
        loop.record(row, {f"{s} accuracy": row[f"{s}_metric"] for s in SPLITS})
        better = (row["val_metric"], -row["val_loss"]) > (history.best["val"], -history.best["val_loss"])
        if not select_by_val or better:
            history.best = {"epoch": epoch, "val_loss": row["val_loss"],
                            **{s: row[f"{s}_metric"] for s in SPLITS}}
            if select_by_val:
                best_state = copy.deepcopy(model.state_dict())
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history
