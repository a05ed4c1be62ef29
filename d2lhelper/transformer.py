"""The Transformer encoder and decoder (Vaswani et al., 2017), post-norm as in the paper.

Shapes use ``B`` for the batch, ``T`` for sequence length and ``H`` for ``num_hiddens``.
The decoder follows the protocol of :mod:`d2lhelper.seq2seq`, so
:func:`~d2lhelper.seq2seq.train_seq2seq` and :func:`~d2lhelper.seq2seq.translate` work with it.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from ._checks import check_float_in_range, check_positive_int, check_positive_ints
from .attention import MultiHeadAttention, PositionalEncoding
from .seq2seq import Decoder, Encoder

__all__ = [
    "AddNorm",
    "PositionWiseFFN",
    "TransformerDecoder",
    "TransformerDecoderBlock",
    "TransformerEncoder",
    "TransformerEncoderBlock",
]


class PositionWiseFFN(nn.Module):
    """The same two-layer MLP applied at every position: ``(B, T, H) -> (B, T, H)``."""

    def __init__(self, num_hiddens: int, ffn_num_hiddens: int) -> None:
        super().__init__()
        check_positive_int("num_hiddens", num_hiddens)
        check_positive_int("ffn_num_hiddens", ffn_num_hiddens)
        self.net = nn.Sequential(nn.Linear(num_hiddens, ffn_num_hiddens), nn.ReLU(),
                                 nn.Linear(ffn_num_hiddens, num_hiddens))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.net(X)


class AddNorm(nn.Module):
    """Residual connection then layer normalisation: ``LayerNorm(X + Dropout(Y))``, shapes ``(B, T, H)``."""

    def __init__(self, num_hiddens: int, dropout: float = 0.0) -> None:
        super().__init__()
        check_positive_int("num_hiddens", num_hiddens)
        check_float_in_range("dropout", dropout, 0, 1)
        self.dropout = nn.Dropout(dropout)
        self.ln = nn.LayerNorm(num_hiddens)

    def forward(self, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        for name, t in (("X", X), ("Y", Y)):
            if not isinstance(t, torch.Tensor):
                raise TypeError(f"{name} must be a tensor of shape (batch, steps, num_hiddens), got {type(t).__name__}")
        if X.shape != Y.shape:
            raise ValueError(f"X and Y must have the same shape to be added, got {tuple(X.shape)} and {tuple(Y.shape)}")
        if X.ndim == 0 or X.shape[-1] != self.ln.normalized_shape[0]:
            raise ValueError(f"X and Y must have num_hiddens={self.ln.normalized_shape[0]} features in the last "
                             f"axis, got shape {tuple(X.shape)}")
        return self.ln(X + self.dropout(Y))


class TransformerEncoderBlock(nn.Module):
    """Self-attention, add & norm, position-wise FFN, add & norm. ``(B, T, H) -> (B, T, H)``."""

    def __init__(self, num_hiddens: int, ffn_num_hiddens: int, num_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.attention = MultiHeadAttention(num_hiddens, num_heads, dropout, bias=True)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(num_hiddens, ffn_num_hiddens)
        self.addnorm2 = AddNorm(num_hiddens, dropout)

    def forward(self, X: torch.Tensor, valid_lens: torch.Tensor | None) -> torch.Tensor:
        Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))
        return self.addnorm2(Y, self.ffn(Y))


def _build_stack(module: nn.Module, block: type[nn.Module], vocab_size: int, num_hiddens: int, ffn_num_hiddens: int,
                 num_heads: int, num_blks: int, dropout: float, max_len: int) -> None:
    """The encoder's and decoder's shared parts: embedding, positional encoding and ``num_blks`` blocks."""
    check_positive_ints(vocab_size=vocab_size, num_hiddens=num_hiddens, ffn_num_hiddens=ffn_num_hiddens,
                        num_heads=num_heads, num_blks=num_blks)
    module.num_hiddens = num_hiddens
    module.embedding = nn.Embedding(vocab_size, num_hiddens)
    module.pos_encoding = PositionalEncoding(num_hiddens, dropout, max_len)
    module.blks = nn.ModuleList(block(num_hiddens, ffn_num_hiddens, num_heads, dropout) for _ in range(num_blks))


class TransformerEncoder(Encoder):
    """Embedding scaled by ``sqrt(H)``, positional encoding, ``num_blks`` encoder blocks.

    Shapes: tokens ``(B, T)``, ``valid_lens (B,)`` -> ``(B, T, H)``.
    ``attention_weights[i]`` holds block ``i``'s self-attention weights ``(B, heads, T, T)``.
    """

    def __init__(self, vocab_size: int, num_hiddens: int, ffn_num_hiddens: int, num_heads: int, num_blks: int,
                 dropout: float = 0.0, max_len: int = 1000) -> None:
        super().__init__()
        _build_stack(self, TransformerEncoderBlock, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks,
                     dropout, max_len)

    @property
    def attention_weights(self) -> list[torch.Tensor | None]:
        return [blk.attention.attention_weights for blk in self.blks]

    def forward(self, X: torch.Tensor, valid_lens: torch.Tensor | None = None) -> torch.Tensor:
        # The embedding's entries are ~N(0, 1/H) after init; scaling by sqrt(H) puts them on
        # the same footing as the positional encoding's entries in [-1, 1].
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
        for blk in self.blks:
            X = blk(X, valid_lens)
        return X


class TransformerDecoderBlock(nn.Module):
    """Masked self-attention, encoder-decoder attention and FFN, each followed by add & norm.

    ``cache`` holds this block's inputs of the earlier steps ``(B, t, H)``
    (``None`` at the start): the self-attention's keys and values are the cache
    followed by the new inputs, and query ``i`` sees keys ``0 .. t+i`` only, so
    a whole sequence at once and one token at a time give the same outputs.
    """

    def __init__(self, num_hiddens: int, ffn_num_hiddens: int, num_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.self_attention = MultiHeadAttention(num_hiddens, num_heads, dropout, bias=True)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.cross_attention = MultiHeadAttention(num_hiddens, num_heads, dropout, bias=True)
        self.addnorm2 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(num_hiddens, ffn_num_hiddens)
        self.addnorm3 = AddNorm(num_hiddens, dropout)

    def forward(self, X: torch.Tensor, enc_outputs: torch.Tensor, enc_valid_lens: torch.Tensor | None,
                cache: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        B, T, _ = X.shape
        keys = X if cache is None else torch.cat([cache, X], dim=1)  # (B, t + T, H)
        past = keys.shape[1] - T
        causal = (past + torch.arange(1, T + 1, device=X.device)).expand(B, T)  # (B, T): query i sees past+i+1 keys
        Y = self.addnorm1(X, self.self_attention(X, keys, keys, causal))
        Z = self.addnorm2(Y, self.cross_attention(Y, enc_outputs, enc_outputs, enc_valid_lens))
        return self.addnorm3(Z, self.ffn(Z)), keys


class TransformerDecoder(Decoder):
    """Embedding, positional encoding, ``num_blks`` decoder blocks and a linear layer to the vocabulary.

    State: ``[enc_outputs (B, K, H), enc_valid_lens (B,), caches]`` with one
    cache ``(B, t, H)`` (or ``None``) per block. Logits ``(B, T, V)``.
    ``attention_weights`` is the encoder-decoder attention of the last call,
    ``(B, num_blks, heads, T, K)``.
    """

    def __init__(self, vocab_size: int, num_hiddens: int, ffn_num_hiddens: int, num_heads: int, num_blks: int,
                 dropout: float = 0.0, max_len: int = 1000) -> None:
        super().__init__()
        _build_stack(self, TransformerDecoderBlock, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks,
                     dropout, max_len)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def init_state(self, enc_outputs: torch.Tensor, enc_valid_lens: torch.Tensor | None) -> list[Any]:
        return [enc_outputs, enc_valid_lens, [None] * len(self.blks)]

    def reorder_state(self, state: list[Any], index: torch.Tensor) -> list[Any]:
        enc_outputs, lens, caches = state
        return [enc_outputs.index_select(0, index), None if lens is None else lens.index_select(0, index),
                [None if c is None else c.index_select(0, index) for c in caches]]

    @property
    def attention_weights(self) -> torch.Tensor | None:
        ws = [blk.cross_attention.attention_weights for blk in self.blks]
        return None if any(w is None for w in ws) else torch.stack(ws, dim=1)

    @property
    def self_attention_weights(self) -> list[torch.Tensor | None]:
        """Each block's masked self-attention weights of the last call, ``(B, heads, T, t + T)``."""
        return [blk.self_attention.attention_weights for blk in self.blks]

    def forward(self, X: torch.Tensor, state: list[Any]) -> tuple[torch.Tensor, list[Any]]:
        enc_outputs, enc_valid_lens, caches = state
        offset = 0 if caches[0] is None else caches[0].shape[1]
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens), offset=offset)
        new_caches = []
        for blk, cache in zip(self.blks, caches):
            X, keys = blk(X, enc_outputs, enc_valid_lens, cache)
            new_caches.append(keys)
        return self.dense(X), [enc_outputs, enc_valid_lens, new_caches]
