"""Attention: masked softmax, scoring functions, multi-head attention, positional encoding.

Shapes use ``B`` for the batch, ``Q`` for the number of queries, ``K`` for the
number of key-value pairs, ``d`` for the query/key size and ``v`` for the value size.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ._checks import check_non_negative_int, check_positive_int, check_values, values_trusted
from ._checks import check_bool, check_float_in_range

__all__ = ["AdditiveAttention", "DotProductAttention", "MultiHeadAttention", "PositionalEncoding", "masked_softmax"]


def _check_valid_lens(valid_lens: torch.Tensor, batch: int, queries: int, keys: int) -> torch.Tensor:
    """Validates ``valid_lens`` and returns it broadcast to shape ``(B, Q)``."""
    if not isinstance(valid_lens, torch.Tensor) or valid_lens.dtype == torch.bool:
        got = f"a bool tensor" if isinstance(valid_lens, torch.Tensor) else type(valid_lens).__name__
        raise TypeError(f"valid_lens must be a tensor of key counts (int or float) or None, got {got}")
    if valid_lens.shape == (batch,):
        valid_lens = valid_lens[:, None].expand(batch, queries)
    elif valid_lens.shape != (batch, queries):
        raise ValueError(
            f"valid_lens must have shape (batch,)=({batch},) or (batch, queries)=({batch}, {queries}), "
            f"got {tuple(valid_lens.shape)}"
        )
    if not check_values():  # inside a trainer's loop: no host read (see _checks.values_trusted)
        return valid_lens
    if valid_lens.is_floating_point() and not torch.equal(valid_lens, valid_lens.round()):
        raise ValueError("valid_lens must hold whole numbers of keys, got fractional values")
    if valid_lens.numel() and (valid_lens.min() < 0 or valid_lens.max() > keys):
        raise ValueError(
            f"valid_lens must lie in [0, {keys}] (the number of keys), "
            f"got values in [{valid_lens.min().item()}, {valid_lens.max().item()}]"
        )
    return valid_lens


def masked_softmax(X: torch.Tensor, valid_lens: torch.Tensor | None = None) -> torch.Tensor:
    r"""Softmax over the last axis that gives zero weight to padded keys.

    For query ``(b, q)`` only the first ``valid_lens[b]`` (or ``valid_lens[b, q]``)
    keys count:

    .. math:: \operatorname{softmax}(x)_j = \frac{\exp x_j}{\sum_{j' < \ell} \exp x_{j'}}
              \text{ for } j < \ell, \quad 0 \text{ otherwise.}

    The masked scores are set to the dtype's lowest finite value, not ``-inf``,
    so their weight is exactly 0 and a row with ``valid_len == 0`` gets uniform
    weights instead of NaN.

    Args:
        X: scores of shape ``(B, Q, K)``.
        valid_lens: ``None`` (no masking), shape ``(B,)`` (one length per
            sequence) or ``(B, Q)`` (one per query), values in ``[0, K]``.

    Returns:
        Weights of shape ``(B, Q, K)``; each row sums to 1.
    """
    if not isinstance(X, torch.Tensor) or X.ndim != 3:
        got = tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__
        raise ValueError(f"X must be a tensor of shape (batch, queries, keys), got {got}")
    if valid_lens is None:
        return torch.softmax(X, dim=-1)
    B, Q, K = X.shape
    valid_lens = _check_valid_lens(valid_lens, B, Q, K).to(X.device)
    mask = torch.arange(K, device=X.device)[None, None, :] < valid_lens[:, :, None]  # (B, Q, K)
    return torch.softmax(X.masked_fill(~mask, torch.finfo(X.dtype).min), dim=-1)


def _check_qkv(queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, same_qk_size: bool) -> None:
    for name, t in (("queries", queries), ("keys", keys), ("values", values)):
        if not isinstance(t, torch.Tensor) or t.ndim != 3:
            got = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
            raise ValueError(f"{name} must be a tensor of shape (batch, n, size), got {got}")
    if not queries.shape[0] == keys.shape[0] == values.shape[0]:
        raise ValueError(
            f"queries, keys and values must have the same batch size, got "
            f"{queries.shape[0]}, {keys.shape[0]} and {values.shape[0]}"
        )
    if keys.shape[1] != values.shape[1]:
        raise ValueError(f"keys and values must come in pairs: got {keys.shape[1]} keys and {values.shape[1]} values")
    if same_qk_size and queries.shape[-1] != keys.shape[-1]:
        raise ValueError(
            f"dot-product attention needs queries and keys of the same size, got query size "
            f"{queries.shape[-1]} and key size {keys.shape[-1]}"
        )


class DotProductAttention(nn.Module):
    r"""Scaled dot-product attention, :math:`\operatorname{softmax}(\mathbf Q \mathbf K^\top / \sqrt d)\,\mathbf V`.

    Dividing by :math:`\sqrt d` keeps the scores' variance near 1 when the
    entries of queries and keys have unit variance, so the softmax does not saturate.

    Args:
        dropout: dropout probability applied to the attention weights.

    Shapes:
        queries ``(B, Q, d)``, keys ``(B, K, d)``, values ``(B, K, v)``,
        ``valid_lens`` as in :func:`masked_softmax`; output ``(B, Q, v)``.
        The weights ``(B, Q, K)`` of the last call are kept in ``attention_weights``.
    """

    def __init__(self, dropout: float = 0.0) -> None:
        super().__init__()
        check_float_in_range("dropout", dropout, 0, 1)
        self.dropout = nn.Dropout(dropout)
        self.attention_weights: torch.Tensor | None = None

    def forward(self, queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
                valid_lens: torch.Tensor | None = None) -> torch.Tensor:
        _check_qkv(queries, keys, values, same_qk_size=True)
        d = queries.shape[-1]
        scores = queries @ keys.transpose(1, 2) / math.sqrt(d)  # (B, Q, K)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return self.dropout(self.attention_weights) @ values  # (B, Q, v)


class AdditiveAttention(nn.Module):
    r"""Additive (Bahdanau) attention, for queries and keys of different sizes.

    .. math:: a(\mathbf q, \mathbf k) = \mathbf w_v^\top \tanh(\mathbf W_q \mathbf q + \mathbf W_k \mathbf k)

    Args:
        query_size: ``d_q``, the size of each query.
        key_size: ``d_k``, the size of each key.
        num_hiddens: ``h``, the size of the hidden layer.
        dropout: dropout probability applied to the attention weights.

    Shapes:
        queries ``(B, Q, d_q)``, keys ``(B, K, d_k)``, values ``(B, K, v)``;
        output ``(B, Q, v)``; ``attention_weights`` ``(B, Q, K)``.
    """

    def __init__(self, query_size: int, key_size: int, num_hiddens: int, dropout: float = 0.0) -> None:
        super().__init__()
        check_positive_int("query_size", query_size)
        check_positive_int("key_size", key_size)
        check_positive_int("num_hiddens", num_hiddens)
        check_float_in_range("dropout", dropout, 0, 1)
        self.W_q = nn.Linear(query_size, num_hiddens, bias=False)
        self.W_k = nn.Linear(key_size, num_hiddens, bias=False)
        self.w_v = nn.Linear(num_hiddens, 1, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.attention_weights: torch.Tensor | None = None

    def forward(self, queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
                valid_lens: torch.Tensor | None = None) -> torch.Tensor:
        _check_qkv(queries, keys, values, same_qk_size=False)
        for name, t, layer in (("queries", queries, self.W_q), ("keys", keys, self.W_k)):
            if t.shape[-1] != layer.in_features:
                raise ValueError(f"{name} must have size {layer.in_features} (last axis), got {t.shape[-1]}")
        # (B, Q, 1, h) + (B, 1, K, h) -> (B, Q, K, h): every query meets every key
        features = torch.tanh(self.W_q(queries)[:, :, None, :] + self.W_k(keys)[:, None, :, :])
        scores = self.w_v(features).squeeze(-1)  # (B, Q, K)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return self.dropout(self.attention_weights) @ values


class MultiHeadAttention(nn.Module):
    r"""Multi-head attention: ``num_heads`` scaled dot-product attentions in parallel.

    .. math:: \operatorname{MHA}(\mathbf Q, \mathbf K, \mathbf V) = [\mathbf H_1, \dots, \mathbf H_h] \mathbf W_o,
              \quad \mathbf H_i = \operatorname{attention}(\mathbf Q \mathbf W_q^{(i)}, \mathbf K \mathbf W_k^{(i)},
              \mathbf V \mathbf W_v^{(i)})

    The ``h`` projections of size ``num_hiddens / h`` are computed as one
    ``num_hiddens x num_hiddens`` matrix each for queries, keys and values and
    split into heads by a reshape, so all heads run in one batched matmul.

    Args:
        num_hiddens: model size; must be divisible by ``num_heads``.
        num_heads: number of heads.
        dropout: dropout on the attention weights.
        bias: whether the four projections have biases.
        query_size, key_size, value_size: input sizes (default ``num_hiddens``).

    Shapes:
        queries ``(B, Q, query_size)``, keys ``(B, K, key_size)``, values
        ``(B, K, value_size)``, ``valid_lens`` ``(B,)`` or ``(B, Q)``; output
        ``(B, Q, num_hiddens)``; ``attention_weights`` ``(B, num_heads, Q, K)``.
    """

    def __init__(self, num_hiddens: int, num_heads: int, dropout: float = 0.0, bias: bool = False, *,
                 query_size: int | None = None, key_size: int | None = None, value_size: int | None = None) -> None:
        super().__init__()
        check_positive_int("num_hiddens", num_hiddens)
        check_positive_int("num_heads", num_heads)
        if num_hiddens % num_heads:
            raise ValueError(f"num_hiddens must be divisible by num_heads={num_heads}, got {num_hiddens}")
        check_float_in_range("dropout", dropout, 0, 1)
        check_bool("bias", bias)
        for name, size in (("query_size", query_size), ("key_size", key_size), ("value_size", value_size)):
            if size is not None:  # 0 would silently mean num_hiddens
                check_positive_int(name, size)
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q = nn.Linear(query_size or num_hiddens, num_hiddens, bias=bias)
        self.W_k = nn.Linear(key_size or num_hiddens, num_hiddens, bias=bias)
        self.W_v = nn.Linear(value_size or num_hiddens, num_hiddens, bias=bias)
        self.W_o = nn.Linear(num_hiddens, num_hiddens, bias=bias)

    def _split(self, X: torch.Tensor) -> torch.Tensor:
        B, T, H = X.shape
        # (B, T, H) -> (B, T, heads, H/heads) -> (B, heads, T, H/heads) -> (B*heads, T, H/heads)
        return X.reshape(B, T, self.num_heads, H // self.num_heads).transpose(1, 2).reshape(
            B * self.num_heads, T, H // self.num_heads)

    def _merge(self, X: torch.Tensor) -> torch.Tensor:
        BH, T, h = X.shape
        B = BH // self.num_heads
        # (B*heads, T, H/heads) -> (B, heads, T, H/heads) -> (B, T, H)
        return X.reshape(B, self.num_heads, T, h).transpose(1, 2).reshape(B, T, self.num_heads * h)

    @property
    def attention_weights(self) -> torch.Tensor | None:
        w = self.attention.attention_weights
        return None if w is None else w.reshape(-1, self.num_heads, *w.shape[1:])

    def forward(self, queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
                valid_lens: torch.Tensor | None = None) -> torch.Tensor:
        _check_qkv(queries, keys, values, same_qk_size=False)
        for name, t, layer in (("queries", queries, self.W_q), ("keys", keys, self.W_k), ("values", values, self.W_v)):
            if t.shape[-1] != layer.in_features:
                raise ValueError(f"{name} must have size {layer.in_features} (last axis), got {t.shape[-1]}")
        B, Q = queries.shape[:2]
        if valid_lens is not None:
            valid_lens = _check_valid_lens(valid_lens, B, Q, keys.shape[1])
            valid_lens = valid_lens.repeat_interleave(self.num_heads, dim=0)  # (B*heads, Q)
        with values_trusted():  # checked once above, not again per head inside
            out = self.attention(self._split(self.W_q(queries)), self._split(self.W_k(keys)),
                                 self._split(self.W_v(values)), valid_lens)  # (B*heads, Q, H/heads)
        return self.W_o(self._merge(out))  # (B, Q, H)


class PositionalEncoding(nn.Module):
    r"""Adds sinusoidal position information to a sequence of embeddings.

    .. math:: P_{t, 2j} = \sin\bigl(t / 10000^{2j/d}\bigr), \quad P_{t, 2j+1} = \cos\bigl(t / 10000^{2j/d}\bigr)

    Args:
        num_hiddens: ``d``, the embedding size.
        dropout: dropout applied after adding the encoding.
        max_len: the longest sequence supported.

    Shapes:
        input ``(B, T, d)`` with ``T <= max_len``; output ``(B, T, d)``.
        The table itself is ``P`` of shape ``(1, max_len, d)``.
    """

    def __init__(self, num_hiddens: int, dropout: float = 0.0, max_len: int = 1000) -> None:
        super().__init__()
        check_positive_int("num_hiddens", num_hiddens)
        check_positive_int("max_len", max_len)
        check_float_in_range("dropout", dropout, 0, 1)
        self.dropout = nn.Dropout(dropout)
        t = torch.arange(max_len, dtype=torch.float32)[:, None]
        freq = torch.pow(10000.0, -torch.arange(0, num_hiddens, 2, dtype=torch.float32) / num_hiddens)
        P = torch.zeros(1, max_len, num_hiddens)
        P[0, :, 0::2] = torch.sin(t * freq)
        P[0, :, 1::2] = torch.cos(t * freq[: num_hiddens // 2])
        self.register_buffer("P", P, persistent=False)

    def forward(self, X: torch.Tensor, offset: int = 0) -> torch.Tensor:
        check_non_negative_int("offset", offset)
        if X.ndim != 3 or X.shape[-1] != self.P.shape[-1]:
            raise ValueError(f"X must have shape (batch, steps, {self.P.shape[-1]}), got {tuple(X.shape)}")
        if offset + X.shape[1] > self.P.shape[1]:
            raise ValueError(f"positions up to {offset + X.shape[1]} exceed max_len={self.P.shape[1]}")
        return self.dropout(X + self.P[:, offset:offset + X.shape[1]].to(X.dtype))
