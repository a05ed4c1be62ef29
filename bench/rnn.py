"""The character-level RNN language model on The Time Machine: d2l's train_ch8 vs d2lhelper's trainer.

Both sides train the same model size on the same tokens: d2l's
``load_data_time_machine(batch_size=32, num_steps=35)`` (its first 10,000
characters, 28-token vocabulary, sequential partitioning), a one-layer
``nn.RNN`` with 256 hidden units, plain SGD with learning rate 1, gradients
clipped to norm 1, the state carried (detached) across batches. d2lhelper's
side reads the very same index sequence through :class:`d2lhelper.SeqDataLoader`.
Each side is timed from the call that starts training to its return (d2l's
also samples 50 characters every 10 epochs, as it does for its readers);
``tokens_per_s`` is training tokens per second of that wall time.
"""
from __future__ import annotations

import contextlib
import io
import time
import warnings
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

import d2lhelper as d2l
from d2lhelper.device import synchronize

BATCH_SIZE, NUM_STEPS, NUM_HIDDENS, LR, MAX_TOKENS = 32, 35, 256, 1.0, 10_000
EPOCHS = 100  # d2l's book trains 500; both sides train the same number here


@dataclass(frozen=True)
class Corpus:
    """Token indices ``(num_tokens,)`` int64, the vocabulary size and where they came from."""

    tokens: torch.Tensor
    vocab_size: int
    source: str


def load_corpus(d2l_module: Any) -> Corpus:
    """d2l's own Time Machine corpus when d2l is here, else d2lhelper's first 10,000 characters."""
    if d2l_module is not None:
        from _d2l import point_data_hub_at

        point_data_hub_at(d2l_module, "time_machine", d2l.data.fetch("timemachine.txt"))
        corpus, vocab = d2l_module.load_corpus_time_machine(MAX_TOKENS)
        return Corpus(torch.tensor(corpus), len(vocab), "d2l.load_corpus_time_machine(10000)")
    text = d2l.read_time_machine()[:MAX_TOKENS]
    vocab = d2l.Vocab(d2l.tokenize(text, "char"))
    return Corpus(torch.tensor(vocab[list(text)]), len(vocab), "d2lhelper.read_time_machine()[:10000]")


class _Counting:
    """Wraps d2l's data iterator to count the tokens it yields (d2l reports no count)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.tokens = inner, 0

    def __iter__(self):
        for X, Y in self.inner:
            self.tokens += Y.numel()
            yield X, Y


def run_d2l(d2l_module: Any, *, epochs: int, device: torch.device, seed: int) -> dict[str, float]:
    """d2l's ``train_ch8`` on ``RNNModel(nn.RNN(V, 256))`` and its own data iterator.

    ``train_epoch_ch8`` is wrapped (not changed) to record each epoch's
    perplexity and d2l's own tokens/s, which train_ch8 only prints.
    """
    train_iter, vocab = d2l_module.load_data_time_machine(BATCH_SIZE, NUM_STEPS)
    counting = _Counting(train_iter)
    d2l.seed_everything(seed)
    net = d2l_module.RNNModel(nn.RNN(len(vocab), NUM_HIDDENS), vocab_size=len(vocab)).to(device)
    epochs_seen: list[tuple[float, float]] = []
    original = d2l_module.train_epoch_ch8

    def recording(*args: Any, **kwargs: Any) -> tuple[float, float]:
        out = original(*args, **kwargs)
        epochs_seen.append(out)
        return out

    d2l_module.train_epoch_ch8 = recording
    try:
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            # train_ch8 samples text every 10 epochs and "displays" a headless Animator; d2l's
            # Accumulator warns that it converts a tensor requiring grad to a float.
            warnings.simplefilter("ignore", UserWarning)
            d2l_module.train_ch8(net, counting, vocab, LR, epochs, device)
        synchronize(device)
        wall = time.perf_counter() - t0
    finally:
        d2l_module.train_epoch_ch8 = original
    return {"tokens_per_s": counting.tokens / wall, "wall_s": wall, "perplexity": epochs_seen[-1][0],
            "in_loop_tokens_per_s": sum(s for _, s in epochs_seen) / len(epochs_seen)}


def run_d2lhelper(corpus: Corpus, *, epochs: int, device: torch.device, seed: int) -> dict[str, float]:
    """d2lhelper's ``train_language_model`` on ``RNNLM(nn.RNN(V, 256))``, as the book runs it."""
    train_iter = d2l.SeqDataLoader(corpus.tokens, BATCH_SIZE, NUM_STEPS, seed=seed)
    d2l.seed_everything(seed)
    V = corpus.vocab_size
    model = d2l.RNNLM(nn.RNN(V, NUM_HIDDENS, batch_first=True), V)
    t0 = time.perf_counter()
    history = d2l.train_language_model(model, train_iter, epochs=epochs, lr=LR, grad_clip=1.0, device=device,
                                       live_plot=False, progress=False)
    synchronize(device)
    wall = time.perf_counter() - t0
    tokens = epochs * len(train_iter) * BATCH_SIZE * NUM_STEPS  # sequential batches are all full
    return {"tokens_per_s": tokens / wall, "wall_s": wall, "perplexity": history.final["train_ppl"],
            "in_loop_tokens_per_s": sum(history["tokens_per_s"]) / len(history)}
