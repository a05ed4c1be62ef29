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
