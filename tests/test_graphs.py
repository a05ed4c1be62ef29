"""Tests of d2lhelper.graphs: normalised adjacency, drawing, node-classification training."""
import math
from types import SimpleNamespace

import networkx as nx
import pytest
import torch
from torch import nn

import d2lhelper as d2l
from d2lhelper.graphs import normalized_adjacency

# A path 0 - 1 - 2 plus an isolated node 3, both directions listed.
PATH = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])


def test_normalized_adjacency_by_hand():
    # With self-loops the degrees are 2, 3, 2, 1, and A_hat[i, j] = 1 / sqrt(d_i d_j).
    s2, s3 = math.sqrt(2), math.sqrt(3)
    expected = torch.tensor([[1 / 2, 1 / (s2 * s3), 0, 0],
                             [1 / (s2 * s3), 1 / 3, 1 / (s2 * s3), 0],
                             [0, 1 / (s2 * s3), 1 / 2, 0],
                             [0, 0, 0, 1]])
    dense = normalized_adjacency(PATH, 4)
    torch.testing.assert_close(dense, expected)
    sparse = normalized_adjacency(PATH, 4, sparse=True)
    assert sparse.is_sparse and sparse.shape == (4, 4) and sparse._nnz() == 8  # 4 edges + 4 loops
    torch.testing.assert_close(sparse.to_dense(), expected)


def test_normalized_adjacency_without_loops_and_directed():
    # No self-loops: the isolated node gets a zero row instead of a division by zero.
    A = normalized_adjacency(PATH, 4, add_self_loops=False)
    assert torch.isfinite(A).all() and A[3].abs().sum() == 0
    torch.testing.assert_close(A[0, 1], torch.tensor(1 / math.sqrt(2)))
    # Directed edge 0 -> 1: row 1 (the target) receives, row 0 does not.
    B = normalized_adjacency(torch.tensor([[0], [1]]), 2)
    assert B[1, 0] > 0 and B[0, 1] == 0
    # An existing self-loop is not counted twice.
    with_loop = torch.cat([PATH, torch.tensor([[0], [0]])], dim=1)
    torch.testing.assert_close(normalized_adjacency(with_loop, 4), normalized_adjacency(PATH, 4))


def test_gcn_from_normalized_adjacency_equals_gcnconv():
    from torch_geometric.nn import GCNConv
    from torch_geometric.utils import erdos_renyi_graph

    torch.manual_seed(0)
    edge_index = erdos_renyi_graph(30, 0.15)
    X = torch.randn(30, 5)
    conv = GCNConv(5, 3)
    A_hat = normalized_adjacency(edge_index, 30)
    ours = A_hat @ X @ conv.lin.weight.T + conv.bias
    torch.testing.assert_close(ours, conv(X, edge_index), rtol=1e-5, atol=1e-5)
    sparse = torch.sparse.mm(normalized_adjacency(edge_index, 30, sparse=True), X @ conv.lin.weight.T) + conv.bias
    torch.testing.assert_close(sparse, conv(X, edge_index), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("edge_index, match", [
    (torch.tensor([0, 1]), r"shape \(2, num_edges\), got \(2,\)"),
    (torch.zeros(3, 2, dtype=torch.long), r"shape \(2, num_edges\), got \(3, 2\)"),
    (torch.tensor([[0, 4], [1, 0]]), r"in \[0, 4\) for num_nodes=4, got values in \[0, 4\]"),
    (torch.tensor([[0, -1], [1, 0]]), r"got values in \[-1, 1\]"),
])
def test_normalized_adjacency_rejects_bad_edge_index(edge_index, match):
    with pytest.raises(ValueError, match=match):
        normalized_adjacency(edge_index, 4)


def test_normalized_adjacency_rejects_bad_types():
    with pytest.raises(TypeError, match="integer node indices, got dtype torch.float32"):
        normalized_adjacency(PATH.float(), 4)
    with pytest.raises(TypeError, match="must be a torch.Tensor"):
        normalized_adjacency([[0, 1], [1, 0]], 4)
    with pytest.raises(ValueError, match="num_nodes must be a positive int, got 0"):
        normalized_adjacency(PATH, 0)


def test_draw_graph_from_edge_index_and_networkx():
    ax = d2l.draw_graph(PATH, num_nodes=4, node_color=[0, 0, 1, 1], class_names=["a", "b"], title="path")
    assert ax.get_title() == "path"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    assert len(ax.collections) >= 2  # edges and nodes
    G = nx.karate_club_graph()
    ax = d2l.draw_graph(G, with_labels=False)
    assert ax.collections[-1].get_offsets().shape == (34, 2)
    with pytest.raises(ValueError, match=r"one entry per node \(4\), got 3"):
        d2l.draw_graph(PATH, num_nodes=4, node_color=[0, 1, 0])
    with pytest.raises(ValueError, match="class_names must name every class"):
        d2l.draw_graph(PATH, num_nodes=4, node_color=[0, 1, 2, 0], class_names=["a", "b"])
    with pytest.raises(TypeError, match="networkx graph or an edge_index tensor"):
        d2l.draw_graph("not a graph")


def _two_communities(n_per=20, seed=0):
    """Two dense groups joined by a few edges; features are noise, so only the graph tells the groups apart."""
    gen = torch.Generator().manual_seed(seed)
    n = 2 * n_per
    y = torch.arange(n) // n_per
    same = y[:, None] == y[None, :]
    p = torch.where(same, 0.3, 0.01)
    upper = torch.triu(torch.rand(n, n, generator=gen) < p, diagonal=1)
    edge_index = (upper | upper.T).nonzero().T
    x = torch.randn(n, 4, generator=gen)
    train = torch.zeros(n, dtype=torch.bool)
    train[[0, 1, n_per, n_per + 1]] = True
    val = torch.zeros(n, dtype=torch.bool)
    val[[2, 3, n_per + 2, n_per + 3]] = True
    test = ~(train | val)
    return SimpleNamespace(x=x, edge_index=edge_index, y=y, train_mask=train, val_mask=val, test_mask=test)


class _TinyGCN(nn.Module):
    """Two propagation steps with a fixed normalised adjacency, then a linear layer."""

    def __init__(self, in_features, classes):
        super().__init__()
        self.lin = nn.Linear(in_features, classes)

    def forward(self, x, edge_index):
        A = normalized_adjacency(edge_index, x.shape[0])
        return self.lin(A @ A @ A @ x)


def test_train_node_classifier_learns_and_reports_each_split():
    data = _two_communities()
    # Features that carry the class only after averaging over neighbours.
    data.x = data.x * 0.5 + data.y[:, None].float() * torch.tensor([1.0, 0, 0, 0]) * 0.5
    torch.manual_seed(0)
    model = _TinyGCN(4, 2)
    history = d2l.train_node_classifier(model, data, epochs=60, lr=0.05, live_plot=False, device="cpu")
    assert isinstance(history, d2l.NodeHistory) and len(history) == 60
    first, best = history.rows[0], history.accuracy
    assert set(best) == {"train", "val", "test"}
    assert best["test"] >= 0.9 and best["test"] > first["test_metric"] - 1e-9
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    # The reported accuracies are those of the epoch chosen on validation accuracy.
    row = history.rows[history.best["epoch"] - 1]
    assert row["val_metric"] == max(history["val_metric"]) and row["test_metric"] == best["test"]
    assert history.seconds_per_epoch > 0 and "test_accuracy" in history.table().columns
    assert history.plot().get_xlabel() == "epoch"
    last = d2l.train_node_classifier(_TinyGCN(4, 2), data, epochs=5, select_by_val=False, live_plot=False,
                                     device="cpu")
    assert last.best["epoch"] == 5


def test_train_node_classifier_rejects_bad_input():
    data = _two_communities()
    model = _TinyGCN(4, 2)
    with pytest.raises(ValueError, match="epochs must be a positive int, got 0"):
        d2l.train_node_classifier(model, data, epochs=0, live_plot=False)
    with pytest.raises(ValueError, match="lr must be > 0"):
        d2l.train_node_classifier(model, data, epochs=1, lr=0, live_plot=False)
    no_masks = SimpleNamespace(x=data.x, edge_index=data.edge_index, y=data.y)
    with pytest.raises(ValueError, match=r"missing \['train_mask', 'val_mask', 'test_mask'\]"):
        d2l.train_node_classifier(model, no_masks, epochs=1, live_plot=False)
    bad = SimpleNamespace(**{**vars(data), "val_mask": data.val_mask.long()})
    with pytest.raises(ValueError, match="data.val_mask must be a bool tensor of shape"):
        d2l.train_node_classifier(model, bad, epochs=1, live_plot=False)
    empty = SimpleNamespace(**{**vars(data), "test_mask": torch.zeros(40, dtype=torch.bool)})
    with pytest.raises(ValueError, match="data.test_mask selects no node"):
        d2l.train_node_classifier(model, empty, epochs=1, live_plot=False)
    out_of_range = SimpleNamespace(**{**vars(data), "edge_index": torch.tensor([[0], [40]])})
    with pytest.raises(ValueError, match=r"in \[0, 40\)"):
        d2l.train_node_classifier(model, out_of_range, epochs=1, live_plot=False)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        d2l.train_node_classifier(lambda x, e: x, data, epochs=1, live_plot=False)
