import math

import pytest
import torch
from torch import nn

import d2lhelper as d2l
from d2lhelper.language_model import RNNLM, generate, perplexity, train_language_model
from d2lhelper.sequence import SeqDataLoader
from d2lhelper.text import Vocab, tokenize

TEXT = "the quick brown fox jumps over the lazy dog " * 40


def _setup(cell=nn.GRU, seed=0):
    d2l.seed_everything(seed)
    vocab = Vocab(tokenize(TEXT, "char"))
    corpus = torch.tensor(vocab[list(TEXT)])
    model = RNNLM(cell(len(vocab), 32, batch_first=True), len(vocab))
    return vocab, corpus, model


def test_untrained_perplexity_is_near_vocab_size_and_training_lowers_it():
    vocab, corpus, model = _setup()
    loader = SeqDataLoader(corpus, 8, 20, seed=0)
    start = perplexity(model, loader)
    assert 0.5 * len(vocab) < start < 2 * len(vocab)
    history = train_language_model(model, loader, loader, epochs=15,
                                   optimizer=torch.optim.Adam(model.parameters(), lr=0.02),
                                   device="cpu", live_plot=False, progress=False)
    assert history.final["train_ppl"] < 2.0 and history.final["val_ppl"] < 2.0  # the text repeats
    assert history["train_ppl"][0] > history["train_ppl"][-1]
    assert history.final["tokens_per_s"] > 0 and "val_ppl" in history.table().columns
    assert len(history.plot().lines) == 2 and "train_ppl" in repr(history)


def test_lstm_state_and_random_sampling():
    vocab, corpus, model = _setup(nn.LSTM)
    state = model.begin_state(3)
    assert isinstance(state, tuple) and state[0].shape == (1, 3, 32)
    logits, (h, c) = model(corpus[:12].reshape(3, 4), state)
    assert logits.shape == (3, 4, len(vocab)) and h.shape == (1, 3, 32)
    loader = SeqDataLoader(corpus, 8, 10, random_iter=True, seed=0)
    history = train_language_model(model, loader, epochs=2, lr=1.0, device="cpu", live_plot=False, progress=False)
    assert len(history) == 2 and "val_ppl" not in history.final


def test_generate_length_vocabulary_and_greedy_determinism():
    vocab, corpus, model = _setup()
    train_language_model(model, SeqDataLoader(corpus, 8, 20, seed=0), epochs=10,
                         optimizer=torch.optim.Adam(model.parameters(), lr=0.02), device="cpu",
                         live_plot=False, progress=False)
    out = generate("the quick", 25, model, vocab, generator=torch.Generator().manual_seed(0))
    assert out.startswith("the quick") and len(out) == len("the quick") + 25
    assert set(out) <= set(vocab.idx_to_token)
    greedy = [generate("the", 12, model, vocab, temperature=0) for _ in range(2)]
    assert greedy[0] == greedy[1] == "the quick brown"[:15]
    words = Vocab(tokenize(TEXT, "word"))
    wmodel = RNNLM(nn.RNN(len(words), 8, batch_first=True), len(words))
    w = generate("the lazy", 3, wmodel, words, token="word", generator=torch.Generator().manual_seed(0))
    assert len(w.split()) == 5


@pytest.mark.parametrize("kwargs, match", [
    (dict(prefix="thé"), r"not in the vocabulary: \['é'\]"),
    (dict(prefix=""), "empty prefix"),
    (dict(num_preds=-1), "num_preds must be an int >= 0"),
    (dict(temperature=-0.5), "temperature must be >= 0"),
])
def test_generate_validates(kwargs, match):
    vocab, _, model = _setup()
    args = dict(prefix="the", num_preds=3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        generate(args.pop("prefix"), args.pop("num_preds"), model, vocab, **args)


def test_generate_warns_for_bidirectional_models():
    vocab = Vocab(tokenize(TEXT, "char"))
    model = RNNLM(nn.GRU(len(vocab), 8, batch_first=True, bidirectional=True), len(vocab))
    with pytest.warns(UserWarning, match="bidirectional"):
        out = generate("the", 4, model, vocab, generator=torch.Generator().manual_seed(0))
    assert len(out) == 7


def test_rnnlm_and_trainer_validate():
    with pytest.raises(ValueError, match="batch_first=True"):
        RNNLM(nn.GRU(5, 4), 5)
    with pytest.raises(ValueError, match=r"rnn.input_size must equal vocab_size \(6\), got 5"):
        RNNLM(nn.GRU(5, 4, batch_first=True), 6)
    _, corpus, model = _setup()
    loader = SeqDataLoader(corpus, 4, 5)
    with pytest.raises(ValueError, match="lr must be a positive float"):
        train_language_model(model, loader, epochs=1)
    with pytest.raises(ValueError, match="epochs must be a positive int, got 0"):
        train_language_model(model, loader, epochs=0, lr=1.0)
    with pytest.raises(TypeError, match="begin_state"):
        train_language_model(nn.Linear(2, 2), loader, epochs=1, lr=1.0)


class _ConstantLM(nn.Module):
    """Ignores its input: the next-token distribution is always softmax(log w), w = (1, 2, 1) / 4."""

    def __init__(self):
        super().__init__()
        self.logits = nn.Parameter(torch.tensor([1.0, 2.0, 1.0]).log())

    def forward(self, X, state):
        return self.logits.expand(*X.shape, 3), state

    def begin_state(self, batch_size, device="cpu"):
        return torch.zeros(1, batch_size, 1, device=device)


def test_perplexity_of_a_constant_model_by_hand():
    # p = (1/4, 1/2, 1/4), so -log p is 2 log 2 for tokens 0 and 2 and log 2 for token 1.
    # Batch 1 (6 targets): five 1s and one 0 -> 5 log 2 + 2 log 2 = 7 log 2.
    # Batch 2 (4 targets): 0, 2, 0, 2 -> 4 * 2 log 2 = 8 log 2.
    # Perplexity = exp(total / tokens) = exp(15 log 2 / 10) = 2^1.5 = 2.8284... (averaging the two batch
    # means instead, exp((7/6 + 2) log 2 / 2) = 2^(19/12) = 2.9966, would fail)
    batches = [
        (torch.zeros(2, 3, dtype=torch.long), torch.tensor([[1, 1, 1], [1, 1, 0]])),
        (torch.zeros(1, 4, dtype=torch.long), torch.tensor([[0, 2, 0, 2]])),
    ]
    # float32 logits and a float32 sum of 10 terms: ~1e-7 relative error
    assert perplexity(_ConstantLM(), batches) == pytest.approx(2 ** 1.5, rel=1e-6)


class _SuccessorLM(nn.Module):
    """Predicts token (x + 1) mod V with probability q, each other token with (1 - q) / (V - 1)."""

    def __init__(self, V=4, q=0.7):
        super().__init__()
        self.V = V
        self.table = nn.Parameter(torch.full((V, V), (1 - q) / (V - 1)).log())  # row x: log p(. | x)
        with torch.no_grad():
            self.table[torch.arange(V), (torch.arange(V) + 1) % V] = torch.tensor(q).log()

    def forward(self, X, state):
        return self.table[X], state

    def begin_state(self, batch_size, device="cpu"):
        return torch.zeros(1, batch_size, 1, device=device)


@pytest.mark.parametrize("random_iter", [False, True])
def test_perplexity_on_a_seq_data_loader_by_hand(random_iter):
    """On the periodic corpus 0 1 2 3 0 1 ..., every target is its input's successor: whatever the random offset
    and window order, each of the n targets costs -log 0.7, so the perplexity is exp(-log 0.7) = 1 / 0.7."""
    corpus = torch.arange(203) % 4
    loader = SeqDataLoader(corpus, 3, 5, random_iter=random_iter, seed=0)
    assert perplexity(_SuccessorLM(4, 0.7), loader) == pytest.approx(1 / 0.7, rel=1e-6)
    assert perplexity(_SuccessorLM(4, 0.25), loader) == pytest.approx(4.0, rel=1e-6)  # uniform: V


class _CountingLM(nn.Module):
    """Its state ``(1, B, 1)`` counts the tokens each row has read since ``begin_state``; records every call."""

    def __init__(self, V):
        super().__init__()
        self.V, self.w = V, nn.Parameter(torch.zeros(V))
        self.incoming, self.outgoing, self.begins = [], [], []

    def forward(self, X, state):
        self.incoming.append(state)
        out = state + X.shape[1] + 0 * self.w.sum()  # tied to a parameter: in training it carries a graph
        self.outgoing.append(out)
        return self.w.expand(*X.shape, self.V), out

    def begin_state(self, batch_size, device="cpu"):
        self.begins.append(batch_size)
        return torch.zeros(1, batch_size, 1, device=device)


def _counts(states):
    """Each recorded state as one count (all rows of a batch read the same number of tokens)."""
    assert all(bool((s == s.flatten()[0]).all()) for s in states)
    return [int(s.flatten()[0]) for s in states]


def test_state_is_carried_with_sequential_partitioning():
    corpus = torch.arange(200) % 5
    loader = SeqDataLoader(corpus, 3, 7, seed=0)  # sequential: (200 - 7) // 3 = 64 per row, 64 // 7 = 9 batches
    assert len(loader) == 9
    model = _CountingLM(5)
    perplexity(model, loader)
    assert model.begins == [3]  # one begin_state, then the state goes on: batch k starts having read 7k tokens
    assert _counts(model.incoming) == [7 * k for k in range(9)]
    assert all(torch.equal(model.incoming[k], model.outgoing[k - 1]) for k in range(1, 9))

    model = _CountingLM(5)
    train_language_model(model, loader, epochs=2, lr=0.1, device="cpu", live_plot=False, progress=False)
    assert model.begins == [3, 3]  # a fresh state at the start of each epoch (new offset), none in between
    assert _counts(model.incoming) == [7 * k for k in range(9)] * 2
    for epoch in range(2):
        for k in range(1, 9):
            i = 9 * epoch + k
            # the previous batch's outgoing state, detached: backpropagation stops at the batch boundary
            assert torch.equal(model.incoming[i], model.outgoing[i - 1].detach())
            assert model.outgoing[i - 1].requires_grad and not model.incoming[i].requires_grad


def test_state_is_reset_with_random_sampling():
    corpus = torch.arange(200) % 5
    loader = SeqDataLoader(corpus, 3, 7, random_iter=True, seed=0)  # (200 - 7) // 7 = 27 windows: 9 batches
    assert len(loader) == 9
    for run in ("perplexity", "train"):
        model = _CountingLM(5)
        if run == "perplexity":
            perplexity(model, loader)
        else:
            train_language_model(model, loader, epochs=2, lr=0.1, device="cpu", live_plot=False, progress=False)
        batches = 9 if run == "perplexity" else 18
        assert model.begins == [3] * batches  # begin_state before every batch
        assert _counts(model.incoming) == [0] * batches  # so every batch starts from a fresh state
