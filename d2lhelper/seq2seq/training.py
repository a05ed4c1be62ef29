"""Training encoder-decoders: the masked cross-entropy, teacher forcing and :func:`train_seq2seq`."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
import torch.nn.functional as F

from .._checks import check_bool, check_device, check_positive_int, check_type, check_values
from .._engine import Epochs, Stepper, check_amp, check_grad_clip, to_device
from ..device import get_device, hardware_summary
from ..plotting import LivePlot
from ..text import Vocab
from ..train import History, _check_loader, _progress
from .models import EncoderDecoder

__all__ = ["Seq2SeqHistory", "masked_cross_entropy", "train_seq2seq"]


def masked_cross_entropy(logits: torch.Tensor, Y: torch.Tensor, valid_lens: torch.Tensor) -> torch.Tensor:
    r"""Mean cross-entropy over the real (unpadded) target tokens.

    .. math:: \ell = \frac{\sum_{b} \sum_{t < \ell_b} -\log p(y_{b,t})}{\sum_b \ell_b}

    Args:
        logits: ``(B, T, V)``.
        Y: target indices ``(B, T)``.
        valid_lens: ``(B,)``, the number of real tokens of each target (``<eos>`` included), in ``[0, T]``.

    Returns:
        A scalar: the loss per real token.
    """
    for name, t in (("logits", logits), ("Y", Y), ("valid_lens", valid_lens)):
        check_type(name, t, torch.Tensor, "a tensor")
    if Y.dtype.is_floating_point or Y.dtype.is_complex or Y.dtype == torch.bool:
        raise TypeError(f"Y must hold integer token indices, got dtype {Y.dtype}")
    if logits.ndim != 3 or Y.shape != logits.shape[:2]:
        raise ValueError(f"logits must be (batch, steps, vocab) and Y (batch, steps), got {tuple(logits.shape)} "
                         f"and {tuple(Y.shape)}")
    if valid_lens.shape != Y.shape[:1]:
        raise ValueError(f"valid_lens must have shape (batch,)=({Y.shape[0]},), got {tuple(valid_lens.shape)}")
    if check_values() and valid_lens.numel() and (valid_lens.min() < 0 or valid_lens.max() > Y.shape[1]):
        raise ValueError(f"valid_lens must lie in [0, {Y.shape[1]}], got values in "
                         f"[{valid_lens.min().item()}, {valid_lens.max().item()}]")
    total, tokens = _token_loss_sum(logits, Y, valid_lens)
    return total / tokens.clamp(min=1)


def _token_loss_sum(logits: torch.Tensor, Y: torch.Tensor, valid_lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Unchecked core of :func:`masked_cross_entropy`: the summed loss and the token count, both 0-d tensors.

    The trainer calls this directly: its batches come checked from the loader, and
    the value checks above would make the host wait for the device every batch.
    """
    mask = torch.arange(Y.shape[1], device=Y.device)[None, :] < valid_lens[:, None]  # (B, T)
    per_token = F.cross_entropy(logits.transpose(1, 2), Y, reduction="none")  # (B, T)
    return (per_token * mask).sum(), mask.sum()


def _decoder_input(Y: torch.Tensor, bos: int) -> torch.Tensor:
    """Teacher forcing: ``<bos>`` followed by the target shifted right by one, ``(B, T)``."""
    return torch.cat([torch.full_like(Y[:, :1], bos), Y[:, :-1]], dim=1)


class Seq2SeqHistory(History):
    """Per-epoch ``train_loss`` and ``val_loss`` (per target token), ``tokens_per_s`` and ``seconds``."""

    def plot(self, ax: Any = None) -> Any:
        from ..plotting import plot

        cols = [c for c in ("train_loss", "val_loss") if c in self.rows[-1]]
        return plot(self["epoch"], [self[c] for c in cols], xlabel="epoch", ylabel="loss per token",
                    legend=[c.replace("_", " ") for c in cols], ax=ax)


@torch.no_grad()
def _eval_loss(model: EncoderDecoder, data_iter: Iterable, bos: int, device: torch.device) -> float:
    was_training = model.training
    model.eval()
    sums = torch.zeros(2, dtype=torch.float64, device=device)  # (loss sum, target tokens)
    for X, X_len, Y, Y_len in data_iter:
        X, X_len, Y, Y_len = to_device((X, X_len, Y, Y_len), device)
        loss_sum, n = _token_loss_sum(model(X, _decoder_input(Y, bos), X_len), Y, Y_len)
        sums += torch.stack([loss_sum.double(), n.double()])
    model.train(was_training)
    total, tokens = sums.tolist()  # the one host read
    return total / max(tokens, 1)


def train_seq2seq(
    model: EncoderDecoder,
    train_iter: Iterable,
    val_iter: Iterable | None = None,
    *,
    tgt_vocab: Vocab,
    epochs: int,
    lr: float = 0.005,
    grad_clip: float | None = 1.0,
    device: torch.device | str | None = None,
    amp: str | None = None,
    live_plot: bool = True,
    progress: bool = True,
    title: str | None = None,
) -> Seq2SeqHistory:
    """Train an encoder-decoder with teacher forcing, Adam and :func:`masked_cross_entropy`.

    Args:
        model: an :class:`EncoderDecoder`.
        train_iter: yields ``(X (B, T), X_valid_len (B,), Y (B, T), Y_valid_len (B,))``,
            as :func:`d2lhelper.data.load_translation` makes. The decoder's input
            is ``<bos>`` followed by ``Y`` shifted right (teacher forcing).
        val_iter: held-out batches of the same form; their loss is measured after every epoch.
        tgt_vocab: the target vocabulary (for the ``<bos>`` index).
        epochs: number of passes (> 0).
        lr: Adam's learning rate.
        grad_clip: clip the gradient norm to this (``None``: no clipping).
        amp: ``None``, ``"bf16"`` or ``"fp16"``: mixed precision as in :func:`~d2lhelper.fit`.

    The loop makes one host read per epoch (the summed loss and token count), none per batch.

    Returns:
        A :class:`Seq2SeqHistory` with per-token losses and target tokens per second.
    """
    if not isinstance(model, EncoderDecoder):
        raise TypeError(f"model must be a d2lhelper EncoderDecoder, got {type(model).__name__}")
    check_positive_int("epochs", epochs)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    check_type("tgt_vocab", tgt_vocab, Vocab, "a d2lhelper Vocab")
    if "<bos>" not in tgt_vocab.token_to_idx:
        raise ValueError("tgt_vocab must have a '<bos>' token (reserved_tokens=['<pad>', '<bos>', '<eos>'])")
    check_grad_clip(grad_clip)
    check_amp(amp)
    _check_loader("train_iter", train_iter)
    if val_iter is not None:
        _check_loader("val_iter", val_iter)
    check_device("device", device)
    check_bool("live_plot", live_plot)
    check_bool("progress", progress)
    bos = tgt_vocab["<bos>"]
    device = torch.device(device) if device is not None else get_device()
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = Seq2SeqHistory(metric_name="", hardware=hardware_summary(device))
    legend = ["train loss"] + (["val loss"] if val_iter is not None else [])
    live = LivePlot(xlabel="epoch", ylabel="loss per token", legend=legend, xlim=(0, epochs),
                    title=title or f"Training {type(model.decoder).__name__}") if live_plot else None
    stepper = Stepper(model, optimizer, device, grad_clip=grad_clip, amp=amp)
    model.train()
    for epoch in (loop := Epochs(epochs, device, history, live)):
        sums = torch.zeros(2, dtype=torch.float64, device=device)  # (loss sum, target tokens): no per-batch sync
        for X, X_len, Y, Y_len in _progress(train_iter, f"epoch {epoch}/{epochs}", progress):
            X, X_len, Y, Y_len = to_device((X, X_len, Y, Y_len), device)
            with stepper.autocast():
                total, n = _token_loss_sum(model(X, _decoder_input(Y, bos), X_len), Y, Y_len)
            stepper.step(total / n.clamp(min=1))  # the loss per real token
            sums += torch.stack([total.detach().double(), n.double()])
        train_seconds = loop.end_training()
        loss_sum, tokens = sums.tolist()
        row: dict[str, float] = {"epoch": epoch, "train_loss": loss_sum / max(tokens, 1)}
        if val_iter is not None:
            row["val_loss"] = _eval_loss(model, val_iter, bos, device)
        row["tokens_per_s"] = tokens / train_seconds
        loop.record(row, {"train loss": row["train_loss"], "val loss": row.get("val_loss")})
    return history
