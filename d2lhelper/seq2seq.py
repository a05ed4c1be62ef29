"""Sequence to sequence: the encoder-decoder interface, GRU models, masked loss, training, decoding.

Every decoder here follows one protocol, so the trainer and both decoding
methods work for the GRU decoders of this module and the Transformer of
:mod:`d2lhelper.transformer` alike:

* ``state = decoder.init_state(enc_outputs, enc_valid_lens)``
* ``logits, state = decoder(X, state)`` for target tokens ``X`` of shape ``(B, T)``;
  calling it one step at a time gives the same logits as one call on the whole sequence;
* ``state = decoder.reorder_state(state, index)`` keeps (and repeats) the rows
  ``index`` of every tensor in the state (beam search needs it).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_positive_int, check_positive_ints, check_values, values_trusted
from .attention import AdditiveAttention
from ._engine import Epochs, Stepper, check_amp, check_grad_clip, to_device
from .device import get_device, hardware_summary
from .plotting import LivePlot
from .text import Vocab
from .train import History, _progress
from .train import _check_loader
from ._checks import check_bool, check_device, check_type

__all__ = [
    "Decoder",
    "Encoder",
    "EncoderDecoder",
    "Seq2SeqAttentionDecoder",
    "Seq2SeqDecoder",
    "Seq2SeqEncoder",
    "Seq2SeqHistory",
    "Translation",
    "masked_cross_entropy",
    "train_seq2seq",
    "translate",
]


def _embedding_gru(vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int, dropout: float,
                   extra_inputs: int = 0) -> tuple[nn.Embedding, nn.GRU]:
    """The embedding and the batch-first GRU every model here starts with, sizes checked.

    The GRU reads ``embed_size + extra_inputs`` features per step. ``nn.GRU``
    applies dropout between layers only (and warns when there is one layer), so
    it gets ``dropout`` only when ``num_layers > 1``.
    """
    check_positive_ints(vocab_size=vocab_size, embed_size=embed_size, num_hiddens=num_hiddens,
                        num_layers=num_layers)
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    embedding = nn.Embedding(vocab_size, embed_size)  # created first: the order of random initialisation
    rnn = nn.GRU(embed_size + extra_inputs, num_hiddens, num_layers, dropout=dropout if num_layers > 1 else 0.0,
                 batch_first=True)
    return embedding, rnn


class Encoder(nn.Module):
    """Base class: maps source tokens ``(B, T)`` and their lengths ``(B,)`` to encoder outputs."""

    def forward(self, X: torch.Tensor, valid_lens: torch.Tensor) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


class Decoder(nn.Module):
    """Base class of decoders; see the module docstring for the protocol."""

    def init_state(self, enc_outputs: Any, enc_valid_lens: torch.Tensor) -> Any:  # pragma: no cover
        raise NotImplementedError

    def reorder_state(self, state: Any, index: torch.Tensor) -> Any:  # pragma: no cover
        raise NotImplementedError

    def forward(self, X: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any]:  # pragma: no cover
        raise NotImplementedError


class EncoderDecoder(nn.Module):
    """An encoder and a decoder trained together.

    Shapes:
        ``enc_X (B, T_src)``, ``dec_X (B, T_tgt)``, ``enc_valid_lens (B,)`` ->
        logits ``(B, T_tgt, V_tgt)``.
    """

    def __init__(self, encoder: Encoder, decoder: Decoder) -> None:
        super().__init__()
        if not isinstance(encoder, Encoder):
            raise TypeError(f"encoder must be a d2lhelper Encoder (e.g. Seq2SeqEncoder), got {type(encoder).__name__}")
        if not isinstance(decoder, Decoder):
            raise TypeError(f"decoder must be a d2lhelper Decoder (e.g. Seq2SeqDecoder), got {type(decoder).__name__}")
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, enc_X: torch.Tensor, dec_X: torch.Tensor, enc_valid_lens: torch.Tensor) -> torch.Tensor:
        state = self.decoder.init_state(self.encoder(enc_X, enc_valid_lens), enc_valid_lens)
        return self.decoder(dec_X, state)[0]


class Seq2SeqEncoder(Encoder):
    """Embedding then a multi-layer GRU.

    The GRU reads the padding after ``<eos>`` too (``valid_lens`` is accepted
    for the protocol but not used): the final state is the state after the last
    ``<pad>``, and the model learns that padding carries nothing. The attention
    decoder masks the padding instead. ``dropout`` acts between GRU layers, so
    only when ``num_layers > 1``.

    Shapes:
        ``X (B, T)`` -> ``outputs (B, T, H)`` (the last layer's state at every
        step) and ``state (L, B, H)`` (every layer's state at the last step).
    """

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int = 1,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.embedding, self.rnn = _embedding_gru(vocab_size, embed_size, num_hiddens, num_layers, dropout)

    def forward(self, X: torch.Tensor, valid_lens: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.rnn(self.embedding(X))


class Seq2SeqDecoder(Decoder):
    """A GRU decoder that sees the encoder's final top-layer state as a fixed context at every step.

    State: ``(hidden (L, B, H), context (B, H))``. Output logits ``(B, T, V)``.
    """

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int = 1,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.embedding, self.rnn = _embedding_gru(vocab_size, embed_size, num_hiddens, num_layers, dropout,
                                                  extra_inputs=num_hiddens)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def init_state(self, enc_outputs: tuple[torch.Tensor, torch.Tensor],
                   enc_valid_lens: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = enc_outputs[1]
        return hidden, hidden[-1]

    def reorder_state(self, state: tuple[torch.Tensor, torch.Tensor], index: torch.Tensor):
        hidden, context = state
        return hidden.index_select(1, index), context.index_select(0, index)

    def forward(self, X: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        hidden, context = state
        emb = self.embedding(X)  # (B, T, E)
        ctx = context[:, None, :].expand(-1, X.shape[1], -1)  # (B, T, H)
        outputs, hidden = self.rnn(torch.cat([emb, ctx], dim=-1), hidden)
        return self.dense(outputs), (hidden, context)


class Seq2SeqAttentionDecoder(Decoder):
    """A GRU decoder with additive (Bahdanau) attention over the encoder outputs.

    At step ``t`` the query is the decoder's top-layer state, the keys and
    values are the encoder outputs (padding masked), and the attention's
    output is concatenated with the embedded input token.

    State: ``(enc_outputs (B, K, H), hidden (L, B, H), enc_valid_lens (B,))``.
    ``attention_weights`` holds the last call's weights, shape ``(B, T, K)``.
    """

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int = 1,
                 dropout: float = 0.0) -> None:
        super().__init__()
        check_positive_int("num_hiddens", num_hiddens)
        self.attention = AdditiveAttention(num_hiddens, num_hiddens, num_hiddens, dropout)
        self.embedding, self.rnn = _embedding_gru(vocab_size, embed_size, num_hiddens, num_layers, dropout,
                                                  extra_inputs=num_hiddens)
        self.dense = nn.Linear(num_hiddens, vocab_size)
        self.attention_weights: torch.Tensor | None = None

    def init_state(self, enc_outputs: tuple[torch.Tensor, torch.Tensor], enc_valid_lens: torch.Tensor):
        outputs, hidden = enc_outputs
        return outputs, hidden, enc_valid_lens

    def reorder_state(self, state, index: torch.Tensor):
        outputs, hidden, lens = state
        return outputs.index_select(0, index), hidden.index_select(1, index), lens.index_select(0, index)

    def forward(self, X: torch.Tensor, state):
        enc_outputs, hidden, enc_valid_lens = state
        emb = self.embedding(X)  # (B, T, E)
        outputs, weights = [], []
        for t in range(X.shape[1]):
            query = hidden[-1][:, None, :]  # (B, 1, H)
            context = self.attention(query, enc_outputs, enc_outputs, enc_valid_lens)  # (B, 1, H)
            out, hidden = self.rnn(torch.cat([emb[:, t:t + 1], context], dim=-1), hidden)
            outputs.append(out)
            weights.append(self.attention.attention_weights)
        self.attention_weights = torch.cat(weights, dim=1)  # (B, T, K)
        return self.dense(torch.cat(outputs, dim=1)), (enc_outputs, hidden, enc_valid_lens)


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
        from .plotting import plot

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


@dataclass
class Translation:
    """One decoded sentence.

    Attributes:
        tokens: the output tokens, without ``<bos>``/``<eos>``.
        score: the sum of the log-probabilities of the output tokens and of the
            final ``<eos>`` (no ``<eos>`` when the output was cut at ``num_steps``
            tokens): the objective both decoding methods maximise.
        attention: ``(T_out, ...)`` decoder-encoder attention weights per output
            step (``None`` unless asked for, or for beam search).
    """

    tokens: list[str]
    score: float
    attention: torch.Tensor | None = None

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


def _source_ids(sentence: str | Sequence[str], src_vocab: Vocab, num_steps: int) -> tuple[list[int], int]:
    tokens = sentence.split() if isinstance(sentence, str) else list(sentence)
    ids = src_vocab[tokens][: num_steps - 1] + [src_vocab["<eos>"]]
    return ids + [src_vocab["<pad>"]] * (num_steps - len(ids)), len(ids)


def _check_special(vocab: Vocab, name: str, tokens: Sequence[str]) -> None:
    missing = [t for t in tokens if t not in vocab.token_to_idx]
    if missing:
        raise ValueError(f"{name} lacks the special tokens {missing}; build it with "
                         "reserved_tokens=['<pad>', '<bos>', '<eos>']")


@torch.no_grad()
def translate(
    model: EncoderDecoder,
    sentences: str | Sequence[str] | Sequence[Sequence[str]],
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    num_steps: int,
    *,
    beam_size: int = 1,
    alpha: float = 0.0,
    device: torch.device | str | None = None,
    return_attention: bool = False,
) -> list[Translation]:
    r"""Translate sentences greedily (``beam_size=1``) or with beam search.

    Greedy decoding feeds back the most likely token at every step, for all
    sentences in one batch. Beam search keeps the ``beam_size`` best partial
    translations by total log-probability, ends a hypothesis whenever its
    ``<eos>`` extension is scored, and returns the finished hypothesis with the
    highest :math:`\frac{1}{L^\alpha}\sum_t \log p(y_t)` (``alpha=0``: the
    plain log-probability, the objective greedy decoding approximates).

    Args:
        model: a trained :class:`EncoderDecoder`.
        sentences: one sentence as a str of space-separated tokens, or a
            sequence of sentences, each a str or a list of tokens.
        num_steps: the source length the model was trained with; also the most
            output tokens produced.
        beam_size: 1 for greedy decoding, > 1 for beam search.
        alpha: length-normalisation exponent for beam search (>= 0).
        return_attention: keep each greedy step's attention weights (decoders
            with an ``attention_weights`` attribute).

    Returns:
        One :class:`Translation` per sentence.
    """
    if not isinstance(model, EncoderDecoder):
        raise TypeError(f"model must be a d2lhelper EncoderDecoder, got {type(model).__name__}")
    check_positive_int("num_steps", num_steps)
    check_positive_int("beam_size", beam_size)
    check_type("src_vocab", src_vocab, Vocab, "a d2lhelper Vocab")
    check_type("tgt_vocab", tgt_vocab, Vocab, "a d2lhelper Vocab")
    check_device("device", device)
    check_bool("return_attention", return_attention)
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    _check_special(src_vocab, "src_vocab", ["<pad>", "<eos>"])
    _check_special(tgt_vocab, "tgt_vocab", ["<bos>", "<eos>"])
    if isinstance(sentences, str):
        sentences = [sentences]
    if len(sentences) == 0:
        raise ValueError("sentences must hold at least one sentence, got none")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        encoded = [_source_ids(s, src_vocab, num_steps) for s in sentences]
        X = torch.tensor([ids for ids, _ in encoded], device=device)
        lens = torch.tensor([n for _, n in encoded], device=device)
        with values_trusted():  # lens were built here, in range: no checks inside the decoder's attention
            if beam_size == 1:
                return _greedy(model, X, lens, tgt_vocab, num_steps, return_attention)
            return [_beam(model, X[i:i + 1], lens[i:i + 1], tgt_vocab, num_steps, beam_size, alpha)
                    for i in range(len(sentences))]
    finally:
        model.train(was_training)


def _greedy(model: EncoderDecoder, X: torch.Tensor, lens: torch.Tensor, tgt_vocab: Vocab, num_steps: int,
            return_attention: bool) -> list[Translation]:
    bos, eos = tgt_vocab["<bos>"], tgt_vocab["<eos>"]
    B = X.shape[0]
    state = model.decoder.init_state(model.encoder(X, lens), lens)
    dec_X = torch.full((B, 1), bos, device=X.device)
    finished = torch.zeros(B, dtype=torch.bool, device=X.device)
    scores = torch.zeros(B, device=X.device)
    out_ids, attention = [], []
    for _ in range(num_steps):
        logits, state = model.decoder(dec_X, state)
        logp = torch.log_softmax(logits[:, -1], dim=-1)  # (B, V)
        tok = logp.argmax(dim=-1)
        scores += torch.where(finished, 0.0, logp.gather(1, tok[:, None]).squeeze(1))
        out_ids.append(torch.where(finished, -1, tok))
        if return_attention and getattr(model.decoder, "attention_weights", None) is not None:
            attention.append(model.decoder.attention_weights.select(-2, -1))  # this step's weights
        finished |= tok == eos
        dec_X = tok[:, None]
        if bool(finished.all()):  # one host read per step, to stop early once every sentence has ended
            break
    ids = torch.stack(out_ids, dim=1).tolist()
    final_scores = scores.tolist()
    results = []
    for b in range(B):
        toks = []
        for i in ids[b]:
            if i in (-1, eos):
                break
            toks.append(i)
        att = None
        if attention:
            att = torch.stack([a[b] for a in attention], dim=-2)[..., :len(toks) + 1, :].cpu()
        results.append(Translation(tgt_vocab.to_tokens(toks), final_scores[b], att))
    return results


def _beam(model: EncoderDecoder, X: torch.Tensor, lens: torch.Tensor, tgt_vocab: Vocab, num_steps: int,
          beam_size: int, alpha: float) -> Translation:
    bos, eos = tgt_vocab["<bos>"], tgt_vocab["<eos>"]
    state = model.decoder.init_state(model.encoder(X, lens), lens)
    hyps: list[list[int]] = [[]]  # live hypotheses (token ids, no <bos>)
    live_scores = torch.zeros(1, device=X.device)
    dec_X = torch.full((1, 1), bos, device=X.device)
    finished: list[tuple[float, float, list[int]]] = []  # (normalised score, raw score, ids)

    def normalised(score: float, length: int) -> float:
        return score / (length ** alpha) if alpha else score

    for step in range(num_steps):
        logits, state = model.decoder(dec_X, state)
        logp = torch.log_softmax(logits[:, -1], dim=-1)  # (n, V)
        cand = live_scores[:, None] + logp  # (n, V)
        n, V = cand.shape
        eos_scores = cand[:, eos].clone()  # (n,): every live hypothesis may end here
        cand[:, eos] = -math.inf
        top, flat = cand.flatten().topk(min(beam_size, cand.numel()))  # (k,), (k,)
        # The one host read of this step: the n ending scores, the k best continuations and where they are.
        # float64 holds the float32 scores and the indices (< n * V) exactly.
        host = torch.cat([eos_scores.double(), top.double(), flat.double()]).tolist()
        k = len(top)
        ends, best, where = host[:n], host[n:n + k], [int(f) for f in host[n + k:]]
        for h, raw in zip(hyps, ends):
            finished.append((normalised(raw, len(h) + 1), raw, h))
        kept = [(sc, w // V, w % V) for sc, w in zip(best, where) if sc > -math.inf]
        if not kept:
            break
        if step == num_steps - 1:  # out of steps: the best unfinished outputs are cut here, as greedy's would be
            for sc, r, tok in kept:
                finished.append((normalised(sc, num_steps), sc, hyps[r] + [tok]))
            break
        best_done = max(f[0] for f in finished)
        if alpha == 0 and best_done >= kept[0][0]:
            break  # log-probabilities only fall: no live hypothesis can overtake the best finished one
        hyps = [hyps[r] + [tok] for _, r, tok in kept]
        live_scores = top[:len(kept)]  # topk sorts, so the kept (finite) scores come first
        rows = torch.tensor([r for _, r, _ in kept], device=X.device)
        state = model.decoder.reorder_state(state, rows)
        dec_X = torch.tensor([[tok] for _, _, tok in kept], device=X.device)
    _, raw, ids = max(finished, key=lambda f: f[0])
    return Translation(tgt_vocab.to_tokens(ids), raw)
