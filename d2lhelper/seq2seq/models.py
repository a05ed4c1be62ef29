"""The encoder-decoder interface and the GRU encoder and decoders (with and without attention)."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .._checks import check_positive_int, check_positive_ints
from ..attention import AdditiveAttention

__all__ = ["Decoder", "Encoder", "EncoderDecoder", "Seq2SeqAttentionDecoder", "Seq2SeqDecoder", "Seq2SeqEncoder"]


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
    """Base class of decoders; see :mod:`d2lhelper.seq2seq` for the protocol."""

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
