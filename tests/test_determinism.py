"""Same seed, same CPU, same numbers: one model per family (MLP, CNN, RNN, seq2seq, GNN), trained twice.

``seed_everything`` seeds Python, NumPy and PyTorch; data loaders that shuffle
draw from PyTorch's generator, so two runs must agree to the last bit. Only the
timing columns (``seconds``, ``*_per_s``) may differ.
"""
from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

import d2lhelper as d2l


def _metrics(history: d2l.History) -> list[dict[str, float]]:
    return [{k: v for k, v in row.items() if k != "seconds" and not k.endswith("_per_s")} for row in history.rows]


def _mlp() -> d2l.History:
    data = d2l.data.load_digits(batch_size=64, resize=None)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 10))
    return d2l.fit(model, data.train, data.val, loss_fn=nn.CrossEntropyLoss(),
                   optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=2, device="cpu",
                   live_plot=False, progress=False)


def _cnn() -> d2l.History:
    data = d2l.data.load_digits(batch_size=64, resize=None)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4 * 4 * 4, 10))
    return d2l.fit(model, data.train, data.val, loss_fn=nn.CrossEntropyLoss(),
                   optimizer=torch.optim.Adam(model.parameters(), lr=0.01), epochs=2, device="cpu",
                   live_plot=False, progress=False)


def _rnn() -> d2l.History:
    corpus = torch.randint(0, 12, (600,), generator=torch.Generator().manual_seed(1))
    train_iter = d2l.SeqDataLoader(corpus, batch_size=8, num_steps=10, random_iter=True)
    model = d2l.RNNLM(nn.GRU(12, 16, batch_first=True), vocab_size=12)
    return d2l.train_language_model(model, train_iter, epochs=2, lr=1.0, device="cpu", live_plot=False,
                                    progress=False)


def _seq2seq() -> d2l.History:
    data = d2l.data.load_translation("dates", num_train=64, num_test=16, batch_size=16)
    V1, V2 = len(data.src_vocab), len(data.tgt_vocab)
    model = d2l.EncoderDecoder(d2l.TransformerEncoder(V1, 16, 32, 2, 1, 0.1),
                               d2l.TransformerDecoder(V2, 16, 32, 2, 1, 0.1))
    return d2l.train_seq2seq(model, data.train_iter, data.test_iter, tgt_vocab=data.tgt_vocab, epochs=2,
                             device="cpu", live_plot=False, progress=False)


def _gnn() -> d2l.History:
    pytest.importorskip("torch_geometric")
    from torch_geometric.datasets import KarateClub
    from torch_geometric.nn import GCNConv


    data = KarateClub()[0]
    data.val_mask = ~data.train_mask
    data.test_mask = ~data.train_mask

    class GCN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1, self.conv2 = GCNConv(34, 8), GCNConv(8, 4)
            self.dropout = nn.Dropout(0.5)

        def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
            return self.conv2(self.dropout(torch.relu(self.conv1(x, edge_index))), edge_index)

    return d2l.train_node_classifier(GCN(), data, epochs=5, device="cpu", live_plot=False)


@pytest.mark.parametrize("train", [_mlp, _cnn, _rnn, _seq2seq, _gnn], ids=["mlp", "cnn", "rnn", "seq2seq", "gnn"])
def test_same_seed_same_metrics(train: Callable[[], d2l.History]) -> None:
    runs = []
    for _ in range(2):
        d2l.seed_everything(0)
        runs.append(_metrics(train()))
    assert runs[0] == runs[1]
    d2l.seed_everything(1)
    assert _metrics(train()) != runs[0]  # the seed matters, so the comparison above could fail
