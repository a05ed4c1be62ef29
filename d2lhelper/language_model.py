"""Training and sampling recurrent language models.

A model here maps a batch of token indices and a state to next-token scores:
``model(X, state) -> (logits, state)`` with ``X (batch, num_steps)`` and
``logits (batch, num_steps, vocab_size)``, and offers
``model.begin_state(batch_size, device)``. :class:`RNNLM` wraps PyTorch's
``nn.RNN``/``nn.GRU``/``nn.LSTM`` this way; the chapter's from-scratch models
follow the same interface, so :func:`train_language_model` trains both.

Perplexity is :math:`\\exp\\big(-\\frac1n\\sum_t \\log p(x_t \\mid x_{<t})\\big)`:
1 for a perfect model, the vocabulary size for uniform guessing.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_module, check_non_negative_int, check_positive_int
from ._checks import check_bool, check_device, check_type
from ._engine import Epochs, Stepper, check_amp, check_grad_clip, to_device
from .device import get_device, hardware_summary
from .plotting import LivePlot
from .train import History, _progress
from .train import _check_loader
from .sequence import SeqDataLoader
from .text import Vocab

__all__ = ["RNNLM", "LMHistory", "perplexity", "train_language_model", "generate"]

State = Any  # a tensor (RNN, GRU), a tuple of tensors (LSTM), or a tuple of those (from-scratch models)


class RNNLM(nn.Module):
    """A language model around a PyTorch recurrent layer.

    Inputs are one-hot vectors, as in the from-scratch chapter; outputs are
    scores over the vocabulary.

    Args:
        rnn: ``nn.RNN``, ``nn.GRU`` or ``nn.LSTM`` built with
            ``input_size=vocab_size`` and ``batch_first=True``.
        vocab_size: number of tokens.

    Shapes: ``X (batch, num_steps)`` -> ``logits (batch, num_steps, vocab_size)``.
    """

    def __init__(self, rnn: nn.RNNBase, vocab_size: int) -> None:
        super().__init__()
        if not isinstance(rnn, nn.RNNBase):
            raise TypeError(f"rnn must be an nn.RNN, nn.GRU or nn.LSTM, got {type(rnn).__name__}")
        check_positive_int("vocab_size", vocab_size)
        if not rnn.batch_first:
            raise ValueError("rnn must be built with batch_first=True, got batch_first=False")
        if rnn.input_size != vocab_size:
            raise ValueError(f"rnn.input_size must equal vocab_size ({vocab_size}), got {rnn.input_size}")
        self.rnn, self.vocab_size = rnn, vocab_size
        directions = 2 if rnn.bidirectional else 1
        self.output = nn.Linear(rnn.hidden_size * directions, vocab_size)

    def forward(self, X: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State]:
        x = F.one_hot(X, self.vocab_size).float()  # (batch, num_steps, vocab)
        H, state = self.rnn(x, state)  # H: (batch, num_steps, hidden * directions)
        return self.output(H), state

    def begin_state(self, batch_size: int, device: torch.device | str = "cpu") -> State:
        """Zeros of shape ``(layers * directions, batch, hidden)`` (a pair for LSTMs)."""
        directions = 2 if self.rnn.bidirectional else 1
        h = torch.zeros(self.rnn.num_layers * directions, batch_size, self.rnn.hidden_size, device=device)
        return (h, h.clone()) if isinstance(self.rnn, nn.LSTM) else h


def _detach(state: State) -> State:
    if isinstance(state, torch.Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(_detach(s) for s in state)
    return state


def _loss_sum(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
    logits, state = model(X, state)
    if logits.shape[:2] != X.shape:
        raise ValueError(f"model must return logits of shape (batch, num_steps, vocab) = {tuple(X.shape)} + (vocab,), "
                         f"got {tuple(logits.shape)}")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1), reduction="sum"), state


@torch.no_grad()
def perplexity(model: nn.Module, data_iter: SeqDataLoader, device: torch.device | str | None = None) -> float:
    """Perplexity of ``model`` on every batch of ``data_iter`` (eval mode, state carried if sequential).

    The summed cross-entropy stays on the device and is read once, at the end.
    """
    check_module("model", model)
    check_device("device", device)
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, n, state = torch.zeros((), device=device), 0, None
    for X, Y in data_iter:
        X, Y = to_device(X, device), to_device(Y, device)
        if state is None or not getattr(data_iter, "sequential", False) or len(X) != _batch_of(state):
            state = model.begin_state(len(X), device)
        loss, state = _loss_sum(model, X, Y, state)
        total += loss.float()
        n += Y.numel()
    model.train(was_training)
    if n == 0:
        raise ValueError("data_iter must yield at least one batch, got none")
    return math.exp(total.item() / n)


def _batch_of(state: State) -> int:
    while isinstance(state, (tuple, list)):
        state = state[0]
    return state.shape[-2] if state.ndim >= 2 else state.shape[0]


class LMHistory(History):
    """Per-epoch ``train_ppl``, ``val_ppl`` (where measured), ``tokens_per_s`` and
    ``seconds`` of a :func:`train_language_model` run; prints as a table."""

    def plot(self, ax: Any = None) -> Any:
        """Training and held-out perplexity against epochs; returns the axes."""
        from .plotting import plot

        val = [(r["epoch"], r["val_ppl"]) for r in self.rows if "val_ppl" in r]
        xs, ys, legend = [self["epoch"]], [self["train_ppl"]], ["train perplexity"]
        if val:
            xs.append([e for e, _ in val]), ys.append([v for _, v in val]), legend.append("validation perplexity")
        return plot(xs, ys, xlabel="epoch", ylabel="perplexity", legend=legend, ax=ax)


def train_language_model(
    model: nn.Module,
    train_iter: SeqDataLoader,
    val_iter: SeqDataLoader | None = None,
    *,
    epochs: int,
    lr: float | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    grad_clip: float | None = 1.0,
    device: torch.device | str | None = None,
    eval_every: int = 1,
    amp: str | None = None,
    live_plot: bool = True,
    progress: bool = True,
    title: str | None = None,
) -> LMHistory:
    """Train a language model with truncated backpropagation through time.

    For each batch: reset the state (random sampling) or carry it over detached
    (sequential partitioning), predict every next token, average the
    cross-entropy, backpropagate, clip the gradient norm to ``grad_clip``, step.

    Args:
        model: ``model(X, state) -> (logits, state)`` with ``begin_state``, see the module docs.
        train_iter, val_iter: :class:`~d2lhelper.sequence.SeqDataLoader`s; the
            held-out perplexity is measured every ``eval_every`` epochs and at the end.
        epochs: passes over ``train_iter``.
        lr: learning rate of plain SGD, used when ``optimizer`` is None.
        grad_clip: maximum gradient norm; ``None`` disables clipping.
        amp: ``None``, ``"bf16"`` or ``"fp16"``: mixed precision as in :func:`~d2lhelper.fit`.

    The loop makes one host read per epoch (the summed loss), none per batch.

    Returns:
        An :class:`LMHistory` with ``train_ppl``, ``val_ppl`` (where measured),
        ``tokens_per_s`` (training tokens per second of training time) and ``seconds``.
    """
    if not isinstance(model, nn.Module) or not hasattr(model, "begin_state"):
        raise TypeError(f"model must be an nn.Module with a begin_state method, got {type(model).__name__}")
    check_positive_int("epochs", epochs)
    check_positive_int("eval_every", eval_every)
    check_type("optimizer", optimizer, torch.optim.Optimizer, "a torch.optim.Optimizer", allow_none=True)
    if optimizer is not None and lr is not None:
        raise ValueError(f"lr must be None when an optimizer is given (lr only sets the SGD used without one), "
                         f"got lr={lr!r}")
    if optimizer is None:
        if lr is None or not lr > 0:
            raise ValueError(f"lr must be a positive float when no optimizer is given, got {lr!r}")
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    check_grad_clip(grad_clip)
    check_amp(amp)
    _check_loader("train_iter", train_iter)
    if len(train_iter) == 0:
        raise ValueError("train_iter must yield at least one batch, got none")
    if val_iter is not None:
        _check_loader("val_iter", val_iter)
    check_device("device", device)
    check_bool("live_plot", live_plot)
    check_bool("progress", progress)
    device = torch.device(device) if device is not None else get_device()
    model.to(device)
    history = LMHistory(metric_name="", hardware=hardware_summary(device))
    legend = ["train perplexity"] + (["validation perplexity"] if val_iter is not None else [])
    live = LivePlot(xlabel="epoch", ylabel="perplexity (no unit)", legend=legend, xlim=(0, epochs),
                    title=title or f"Training {type(model).__name__}") if live_plot else None
    stepper = Stepper(model, optimizer, device, grad_clip=grad_clip, amp=amp)
    sequential = getattr(train_iter, "sequential", False)
    for epoch in (loop := Epochs(epochs, device, history, live)):
        model.train()
        loss_sum = torch.zeros((), device=device)
        n, state = 0, None
        for X, Y in _progress(train_iter, f"epoch {epoch}/{epochs}", progress):
            X, Y = to_device(X, device), to_device(Y, device)
            if state is None or not sequential or len(X) != _batch_of(state):
                state = model.begin_state(len(X), device)
            else:
                state = _detach(state)  # truncate backpropagation at the batch boundary
            with stepper.autocast():
                loss, state = _loss_sum(model, X, Y, state)
            stepper.step(loss / Y.numel())
            loss_sum += loss.detach().float()
            n += Y.numel()
        train_seconds = loop.end_training()
        row = {"epoch": epoch, "train_ppl": math.exp(loss_sum.item() / n), "tokens_per_s": n / train_seconds}
        if val_iter is not None and (epoch % eval_every == 0 or epoch == epochs):
            row["val_ppl"] = perplexity(model, val_iter, device)
        loop.record(row, {"train perplexity": row["train_ppl"], "validation perplexity": row.get("val_ppl")})
    return history


@torch.no_grad()
def generate(prefix: str, num_preds: int, model: nn.Module, vocab: Vocab, *, token: str = "char",
             temperature: float = 1.0, device: torch.device | str | None = None,
             generator: torch.Generator | None = None) -> str:
    """Continue ``prefix`` by ``num_preds`` tokens sampled from ``model``.

    The model first reads the prefix (warm-up: only its state matters), then
    predicts one token at a time, feeding each back in. Each token is drawn
    from ``softmax(logits / temperature)``; ``temperature=0`` always takes the
    most likely token (greedy).

    Args:
        prefix: the start of the text, in tokens of kind ``token``.
        token: ``"char"`` (tokens joined with no separator) or ``"word"`` (joined with spaces).

    Returns:
        ``prefix`` followed by the ``num_preds`` generated tokens.
    """
    check_non_negative_int("num_preds", num_preds)
    check_type("prefix", prefix, str, "a str")
    check_module("model", model)
    check_type("vocab", vocab, Vocab, "a d2lhelper Vocab")
    check_device("device", device)
    check_type("generator", generator, torch.Generator, "a torch.Generator", allow_none=True)
    if token not in ("char", "word"):
        raise ValueError(f"token must be 'char' or 'word', got {token!r}")
    if not temperature >= 0:
        raise ValueError(f"temperature must be >= 0, got {temperature!r}")
    tokens = list(prefix) if token == "char" else prefix.split()
    if not tokens:
        raise ValueError("prefix must hold at least one token, got an empty prefix")
    unknown = vocab.unknown(tokens)
    if unknown:
        raise ValueError(f"prefix has tokens that are not in the vocabulary: {unknown}")
    if getattr(getattr(model, "rnn", None), "bidirectional", False):
        warnings.warn("this model is bidirectional: it was trained seeing the next token, which generation "
                      "cannot provide, so its samples are poor", stacklevel=2)
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    state = model.begin_state(1, device)
    ids = vocab[tokens]
    logits, state = model(torch.tensor([ids], device=device), state)  # warm-up on the whole prefix
    out = []
    for _ in range(num_preds):
        scores = logits[0, -1]
        if temperature == 0:
            nxt = int(scores.argmax())
        else:
            probs = torch.softmax(scores.float() / temperature, dim=0).cpu()
            nxt = int(torch.multinomial(probs, 1, generator=generator))
        out.append(nxt)
        logits, state = model(torch.tensor([[nxt]], device=device), state)
    model.train(was_training)
    sep = "" if token == "char" else " "
    return prefix + ("" if not out else (sep if token == "word" else "") + sep.join(vocab.to_tokens(out)))
