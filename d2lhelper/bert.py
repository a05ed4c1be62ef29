r"""A small BERT (Devlin et al., 2019): input representation, post-norm encoder, MLM and classification heads.

The architecture follows the original BERT, and so Hugging Face's ``BertModel`` /
``BertForMaskedLM``, layer for layer, so that a :class:`BertConfig` and the matching
``transformers.BertConfig`` give models with the same number of parameters:

* :class:`BertEmbeddings`: token + segment (token type) + learned position embeddings,
  then LayerNorm and dropout;
* :class:`BertModel`: the embeddings, ``n_layer`` post-norm Transformer encoder layers
  (``nn.TransformerEncoderLayer(norm_first=False, activation="gelu")``) and, optionally,
  the pooler (dense + tanh on the ``[CLS]`` vector);
* :class:`BertForMaskedLM`: a :class:`BertModel` without pooler and the MLM head
  (dense + GELU + LayerNorm + a decoder whose weight is the token-embedding matrix);
* :class:`BertClassifier`: a :class:`BertModel` with pooler, dropout and a linear layer.

:func:`mask_tokens` applies the 80/10/10 masking rule,

.. math::
    \text{selected} \sim \text{Bernoulli}(p) \text{ at non-special positions; of those }
    80\%\to\texttt{[MASK]},\ 10\%\to\text{a random token},\ 10\%\to\text{unchanged},

:func:`make_bert_inputs` builds ``[CLS] a [SEP] (b [SEP])`` rows with segment ids and a
padding mask, :func:`train_wordpiece` trains a WordPiece vocabulary with the ``tokenizers``
library, and :func:`pretrain_mlm` pretrains a :class:`BertForMaskedLM` and caches the
result under :func:`d2lhelper.data.cache_dir` keyed by its data and settings.

Shapes: ``B`` batch, ``T`` sequence length, ``H`` = ``n_embd``, ``V`` = ``vocab_size``.
A padding mask is a bool tensor of shape ``(B, T)``, ``True`` at padding.
"""
from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import (_got, check_bool, check_float_in_range, check_non_negative_int, check_positive_float,
                      check_positive_int, check_type)
from .checkpoint import _write_atomically, load_checkpoint, save_checkpoint
from .text import pad_token_ids

__all__ = ["BertClassifier", "BertConfig", "BertEmbeddings", "BertForMaskedLM", "BertInputs", "BertModel",
           "MLMHead", "SPECIAL_TOKENS", "load_encoder", "make_bert_inputs", "mask_tokens", "masked_accuracy",
           "pretrain_mlm", "train_wordpiece"]

#: The special tokens of :func:`train_wordpiece`, in the order of their ids 0-4.
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


@dataclasses.dataclass(frozen=True)
class BertConfig:
    """The sizes of a BERT model (names as in GPT-2/nanoGPT; Hugging Face's in brackets).

    Attributes:
        vocab_size: number of tokens ``V`` (``vocab_size``).
        max_len: longest input, the number of learned positions (``max_position_embeddings``).
        n_layer: encoder layers (``num_hidden_layers``).
        n_head: attention heads; must divide ``n_embd`` (``num_attention_heads``).
        n_embd: width ``H`` (``hidden_size``).
        ffn_hidden: hidden width of the feed-forward network (``intermediate_size``); default ``4 * n_embd``.
        dropout: dropout after embeddings, attention weights and sublayers (``hidden_dropout_prob``,
            ``attention_probs_dropout_prob``).
        type_vocab_size: number of segments (``type_vocab_size``).
        layer_norm_eps: epsilon of every LayerNorm (``layer_norm_eps``).
    """

    vocab_size: int
    max_len: int = 128
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 128
    ffn_hidden: int | None = None
    dropout: float = 0.1
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12

    def __post_init__(self) -> None:
        for name in ("vocab_size", "max_len", "n_layer", "n_head", "n_embd", "type_vocab_size"):
            check_positive_int(name, getattr(self, name))
        if self.ffn_hidden is None:
            object.__setattr__(self, "ffn_hidden", 4 * self.n_embd)
        check_positive_int("ffn_hidden", self.ffn_hidden)
        check_float_in_range("dropout", self.dropout, 0.0, 1.0)
        check_positive_float("layer_norm_eps", self.layer_norm_eps)
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd must be divisible by n_head, got n_embd={self.n_embd}, n_head={self.n_head}")

    def to_hf(self) -> dict[str, Any]:
        """The keyword arguments of the matching ``transformers.BertConfig``."""
        return dict(vocab_size=self.vocab_size, max_position_embeddings=self.max_len,
                    num_hidden_layers=self.n_layer, num_attention_heads=self.n_head, hidden_size=self.n_embd,
                    intermediate_size=self.ffn_hidden, hidden_dropout_prob=self.dropout,
                    attention_probs_dropout_prob=self.dropout, type_vocab_size=self.type_vocab_size,
                    layer_norm_eps=self.layer_norm_eps, hidden_act="gelu")


def _check_ids(name: str, ids: Any, config: BertConfig, upper: int) -> torch.Tensor:
    check_type(name, ids, torch.Tensor, "an int64 tensor of shape (B, T)")
    if ids.dim() != 2 or ids.dtype != torch.long:
        raise ValueError(f"{name} must be an int64 tensor of shape (B, T), got {ids.dtype} of shape {tuple(ids.shape)}")
    if ids.shape[1] > config.max_len:
        raise ValueError(f"{name} must have at most max_len={config.max_len} columns, got {ids.shape[1]}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= upper):
        raise ValueError(f"{name} must hold values in [0, {upper}), got values in "
                         f"[{int(ids.min())}, {int(ids.max())}]")
    return ids


def _check_like(name: str, value: Any, ids: torch.Tensor, dtype: torch.dtype) -> None:
    check_type(name, value, torch.Tensor, f"a {dtype} tensor of shape {tuple(ids.shape)}", allow_none=True)
    if value is not None and (value.shape != ids.shape or value.dtype != dtype):
        raise ValueError(f"{name} must be a {dtype} tensor of shape {tuple(ids.shape)}, "
                         f"got {value.dtype} of shape {tuple(value.shape)}")


class BertEmbeddings(nn.Module):
    """Token + segment + learned position embeddings, then LayerNorm and dropout: ``(B, T) -> (B, T, H)``."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        check_type("config", config, BertConfig, "a d2lhelper.bert.BertConfig")
        self.config = config
        self.token = nn.Embedding(config.vocab_size, config.n_embd)
        self.position = nn.Embedding(config.max_len, config.n_embd)
        self.segment = nn.Embedding(config.type_vocab_size, config.n_embd)
        self.norm = nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, ids: torch.Tensor, segments: torch.Tensor | None = None) -> torch.Tensor:
        """``ids`` and ``segments`` (default all 0) of shape ``(B, T)``; returns ``(B, T, H)``."""
        _check_ids("ids", ids, self.config, self.config.vocab_size)
        if segments is None:
            segments = torch.zeros_like(ids)
        else:
            _check_like("segments", segments, ids, torch.long)
        positions = torch.arange(ids.shape[1], device=ids.device)
        X = self.token(ids) + self.segment(segments) + self.position(positions)
        return self.dropout(self.norm(X))


def _init_bert(module: nn.Module) -> None:
    """BERT's initialisation: weights N(0, 0.02), biases 0, LayerNorm 1 and 0."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.MultiheadAttention):
            nn.init.normal_(m.in_proj_weight, std=0.02)
            nn.init.zeros_(m.in_proj_bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class BertModel(nn.Module):
    """Embeddings, ``n_layer`` post-norm encoder layers and (optionally) the pooler.

    Each layer is ``X = LN(X + Dropout(MHA(X))); X = LN(X + Dropout(FFN(X)))`` with a GELU
    feed-forward network, as in the original Transformer and BERT.
    """

    def __init__(self, config: BertConfig, add_pooler: bool = True) -> None:
        super().__init__()
        check_bool("add_pooler", add_pooler)
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(config.n_embd, config.n_head, config.ffn_hidden, config.dropout,
                                       activation="gelu", layer_norm_eps=config.layer_norm_eps,
                                       batch_first=True, norm_first=False)
            for _ in range(config.n_layer))
        self.pooler = nn.Linear(config.n_embd, config.n_embd) if add_pooler else None
        _init_bert(self)

    def forward(self, ids: torch.Tensor, segments: torch.Tensor | None = None,
                padding_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Encode ``ids`` of shape ``(B, T)``.

        Args:
            ids: token ids, int64 ``(B, T)``, ``T <= max_len``.
            segments: segment ids ``(B, T)`` in ``[0, type_vocab_size)``; default all 0.
            padding_mask: bool ``(B, T)``, ``True`` at padding, which no token attends to.

        Returns:
            ``(hidden, pooled)``: ``(B, T, H)`` and ``tanh(W h_[CLS] + b)`` of shape ``(B, H)``
            (``None`` without pooler).
        """
        X = self.embeddings(ids, segments)
        _check_like("padding_mask", padding_mask, ids, torch.bool)
        for layer in self.layers:
            X = layer(X, src_key_padding_mask=padding_mask)
        pooled = torch.tanh(self.pooler(X[:, 0])) if self.pooler is not None else None
        return X, pooled


class MLMHead(nn.Module):
    """Dense + GELU + LayerNorm, then a decoder to ``V`` logits whose weight is the token-embedding matrix."""

    def __init__(self, config: BertConfig, token_embedding: nn.Embedding) -> None:
        super().__init__()
        self.dense = nn.Linear(config.n_embd, config.n_embd)
        self.norm = nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(config.n_embd, config.vocab_size)
        self.decoder.weight = token_embedding.weight            # tied: one (V, H) matrix, counted once

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """``(..., H) -> (..., V)`` logits."""
        return self.decoder(self.norm(F.gelu(self.dense(hidden))))


class BertForMaskedLM(nn.Module):
    """A :class:`BertModel` without pooler and an :class:`MLMHead` (as ``transformers.BertForMaskedLM``)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.bert = BertModel(config, add_pooler=False)
        self.head = MLMHead(config, self.bert.embeddings.token)
        _init_bert(self.head)
        nn.init.zeros_(self.head.decoder.bias)
        self.head.decoder.weight = self.bert.embeddings.token.weight   # _init_bert must not untie it

    def forward(self, ids: torch.Tensor, segments: torch.Tensor | None = None,
                padding_mask: torch.Tensor | None = None, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(B, T, V)``; with ``labels`` (``(B, T)``, -100 where not predicted) the mean
        cross-entropy over the labelled positions instead (the head runs on those positions only)."""
        hidden, _ = self.bert(ids, segments, padding_mask)
        if labels is None:
            return self.head(hidden)
        _check_like("labels", labels, ids, torch.long)
        keep = labels != -100
        return F.cross_entropy(self.head(hidden[keep]), labels[keep])


class BertClassifier(nn.Module):
    """A :class:`BertModel` with pooler, dropout and a linear layer on the pooled ``[CLS]`` vector.

    ``forward(ids)`` takes only the ids and finds the padding as ``ids == pad_id``, so that it
    works with :func:`d2lhelper.fit` and :func:`d2lhelper.evaluate`; it returns ``(B, num_classes)`` logits.
    """

    def __init__(self, config: BertConfig, num_classes: int, pad_id: int = 0) -> None:
        super().__init__()
        check_positive_int("num_classes", num_classes)
        check_non_negative_int("pad_id", pad_id)
        if pad_id >= config.vocab_size:
            raise ValueError(f"pad_id must be in [0, vocab_size={config.vocab_size}), got {pad_id}")
        self.config, self.pad_id = config, pad_id
        self.bert = BertModel(config, add_pooler=True)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.n_embd, num_classes)
        _init_bert(self.classifier)

    def forward(self, ids: torch.Tensor, segments: torch.Tensor | None = None) -> torch.Tensor:
        _check_ids("ids", ids, self.config, self.config.vocab_size)
        _, pooled = self.bert(ids, segments, ids == self.pad_id)
        return self.classifier(self.dropout(pooled))


def load_encoder(classifier: BertClassifier, mlm: BertForMaskedLM) -> list[str]:
    """Copy the pretrained encoder of ``mlm`` into ``classifier`` (whose pooler stays freshly initialised).

    Returns the names of the classifier's encoder parameters that were not copied (the pooler's).
    """
    check_type("classifier", classifier, BertClassifier, "a d2lhelper.bert.BertClassifier")
    check_type("mlm", mlm, BertForMaskedLM, "a d2lhelper.bert.BertForMaskedLM")
    same = lambda c: dataclasses.replace(c, dropout=0.0)  # noqa: E731 - dropout may differ, the shapes may not
    if same(classifier.config) != same(mlm.config):
        raise ValueError(f"mlm must have the classifier's config (dropout aside) {classifier.config}, got {mlm.config}")
    result = classifier.bert.load_state_dict(mlm.bert.state_dict(), strict=False)
    return list(result.missing_keys)


# ------------------------------------------------------------------ inputs and masking


def mask_tokens(ids: torch.Tensor, special_mask: torch.Tensor, vocab_size: int, mask_id: int,
                prob: float = 0.15, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masking: select each non-special position with probability ``prob``; of the selected,
    80% become ``mask_id``, 10% a token drawn uniformly from ``[0, vocab_size)``, 10% stay.

    Args:
        ids: int64 token ids of any shape, e.g. ``(B, T)``.
        special_mask: bool, the shape of ``ids``, ``True`` where a position must never be selected
            (``[CLS]``, ``[SEP]``, padding).
        vocab_size: the number of tokens, for the random replacements.
        mask_id: the id of ``[MASK]``.
        prob: selection probability in (0, 1].
        generator: a CPU ``torch.Generator`` for reproducible masks (the draws are made on the CPU).

    Returns:
        ``(inputs, labels)``, both the shape of ``ids``: the corrupted ids, and the original id at the
        selected positions, -100 (ignored by ``F.cross_entropy``) everywhere else.
    """
    check_type("ids", ids, torch.Tensor, "an int64 tensor")
    if ids.dtype != torch.long:
        raise ValueError(f"ids must be an int64 tensor, got {ids.dtype}")
    _check_like("special_mask", special_mask, ids, torch.bool)
    if special_mask is None:
        raise TypeError("special_mask must be a bool tensor shaped like ids, got None")
    check_positive_int("vocab_size", vocab_size)
    check_non_negative_int("mask_id", mask_id)
    if mask_id >= vocab_size:
        raise ValueError(f"mask_id must be in [0, vocab_size={vocab_size}), got {mask_id}")
    check_float_in_range("prob", prob, 0.0, 1.0, include_low=False, include_high=True)
    check_type("generator", generator, torch.Generator, "a torch.Generator", allow_none=True)
    if generator is not None and generator.device.type != "cpu":
        raise ValueError(f"generator must be a CPU torch.Generator, got one on {generator.device}")
    shape = ids.shape
    u_select = torch.rand(shape, generator=generator)
    u_kind = torch.rand(shape, generator=generator)
    random_ids = torch.randint(vocab_size, shape, generator=generator)
    u_select, u_kind, random_ids = (t.to(ids.device) for t in (u_select, u_kind, random_ids))
    selected = (u_select < prob) & ~special_mask
    to_mask = selected & (u_kind < 0.8)
    to_random = selected & (u_kind >= 0.8) & (u_kind < 0.9)
    inputs = torch.where(to_mask, torch.full_like(ids, mask_id), ids)
    inputs = torch.where(to_random, random_ids, inputs)
    labels = torch.where(selected, ids, torch.full_like(ids, -100))
    return inputs, labels


class BertInputs(NamedTuple):
    """Rows ``[CLS] a [SEP] (b [SEP]) [PAD]...``; every field has shape ``(N, T)``."""

    ids: torch.Tensor            #: int64 token ids
    segments: torch.Tensor       #: int64, 0 for [CLS] a [SEP], 1 for b [SEP], 0 at padding
    padding_mask: torch.Tensor   #: bool, True at padding
    special_mask: torch.Tensor   #: bool, True at [CLS], [SEP] and padding (never masked for MLM)


def _check_id_lists(name: str, value: Any) -> list[list[int]]:
    if isinstance(value, (str, bytes, torch.Tensor)) or not isinstance(value, Sequence) or not value:
        raise TypeError(f"{name} must be a non-empty list of lists of token ids, got {_got(value)}")
    out = []
    for row in value:
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence) or \
                not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in row):
            raise TypeError(f"{name} must be a list of lists of ints >= 0, got a row {_got(row)}")
        out.append(list(row))
    return out


def make_bert_inputs(first: Sequence[Sequence[int]], second: Sequence[Sequence[int]] | None = None, *,
                     cls_id: int, sep_id: int, pad_id: int, max_len: int) -> BertInputs:
    """Build BERT inputs from one segment per row (``[CLS] a [SEP]``) or two (``[CLS] a [SEP] b [SEP]``).

    Rows longer than ``max_len`` are cut, the longer segment first (as Hugging Face's
    ``truncation="longest_first"``); shorter rows are padded with ``pad_id`` to the longest row.

    Args:
        first: ``N`` lists of token ids (without special tokens).
        second: ``None`` or ``N`` lists, the second segments.
        cls_id, sep_id, pad_id: the ids of ``[CLS]``, ``[SEP]`` and ``[PAD]``.
        max_len: the longest row, special tokens included (``>= 3``, or ``>= 5`` with ``second``).

    Returns:
        :class:`BertInputs` with tensors of shape ``(N, T)``, ``T <= max_len``.
    """
    a = _check_id_lists("first", first)
    b = None if second is None else _check_id_lists("second", second)
    if b is not None and len(b) != len(a):
        raise ValueError(f"second must have as many rows as first ({len(a)}), got {len(b)}")
    for name, value in (("cls_id", cls_id), ("sep_id", sep_id), ("pad_id", pad_id)):
        check_non_negative_int(name, value)
    check_positive_int("max_len", max_len)
    n_special = 2 if b is None else 3
    if max_len < n_special + (1 if b is None else 2):
        raise ValueError(f"max_len must be >= {n_special + (1 if b is None else 2)} for "
                         f"{'two segments' if b is not None else 'one segment'}, got {max_len}")
    for name, rows_ in (("first", a), ("second", b or [])):
        for i, row in enumerate(rows_):
            if pad_id in row:
                raise ValueError(f"{name}[{i}] contains pad_id={pad_id} at position {row.index(pad_id)}: padding "
                                 "would be mistaken for text; give [PAD] an id of its own")
    rows, first_lengths = [], []
    for i, x in enumerate(a):
        y = None if b is None else b[i]
        budget = max_len - n_special
        if y is None:
            x = x[:budget]
            rows.append([cls_id, *x, sep_id])
        else:
            while len(x) + len(y) > budget:                      # longest first
                if len(x) >= len(y):
                    x = x[:-1]
                else:
                    y = y[:-1]
            rows.append([cls_id, *x, sep_id, *y, sep_id])
        first_lengths.append(len(x) + 2)                         # [CLS] a [SEP]
    ids, lengths = pad_token_ids(rows, pad_id)                   # (N, T), (N,)
    positions = torch.arange(ids.shape[1])
    first_len = torch.tensor(first_lengths)
    padding = positions >= lengths[:, None]
    segments = ((positions >= first_len[:, None]) & ~padding).long()   # 1 from the second segment on
    special = padding | (positions == 0) | (positions == (first_len - 1)[:, None])
    if b is not None:
        special |= positions == (lengths - 1)[:, None]
    return BertInputs(ids, segments, padding, special)


def train_wordpiece(texts: Iterable[str], vocab_size: int = 2000, min_frequency: int = 2, *,
                    cache: bool = True) -> Any:
    """Train a lower-casing WordPiece tokenizer (``tokenizers`` library) on ``texts``.

    Its special tokens are :data:`SPECIAL_TOKENS`, ids 0-4: ``[PAD]`` 0, ``[UNK]`` 1, ``[CLS]`` 2,
    ``[SEP]`` 3, ``[MASK]`` 4. Returns a ``tokenizers.Tokenizer``; ``tok.encode(s).ids`` gives the
    ids of ``s`` without special tokens.

    The library's trainer is not deterministic: two processes given the same texts can break ties
    between equally frequent merges differently and end with different vocabularies
    (huggingface/tokenizers#1794). With ``cache``, the first tokenizer trained on these texts and
    settings is saved under ``d2lhelper.data.cache_dir() / "tokenizers"`` (written to a temporary
    name, then moved into place) and every later call loads it, so that the ids, and everything
    keyed by them such as :func:`pretrain_mlm`'s cache, stay the same from run to run.
    """
    check_positive_int("vocab_size", vocab_size)
    check_positive_int("min_frequency", min_frequency)
    check_bool("cache", cache)
    if vocab_size <= len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must be > {len(SPECIAL_TOKENS)}, got {vocab_size}")
    try:
        import tokenizers
        from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    except ModuleNotFoundError as e:  # pragma: no cover - depends on the environment
        raise ModuleNotFoundError("train_wordpiece needs the tokenizers library: pip install 'tokenizers>=0.19'") from e
    texts = list(texts)
    if not texts or not all(isinstance(t, str) for t in texts):
        raise TypeError(f"texts must be a non-empty iterable of str, got {_got(texts)}")
    path = None
    if cache:
        from .data import cache_dir

        h = hashlib.sha256(repr((vocab_size, min_frequency, SPECIAL_TOKENS, tokenizers.__version__, 1)).encode())
        for t in texts:
            h.update(t.encode())
            h.update(b"\0")
        path = Path(cache_dir()) / "tokenizers" / f"wordpiece-{h.hexdigest()[:20]}.json"
        if path.exists():
            try:
                return Tokenizer.from_file(str(path))
            except Exception:  # noqa: BLE001 - a damaged cache file is retrained and overwritten
                pass
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                        special_tokens=list(SPECIAL_TOKENS), show_progress=False)
    tok.train_from_iterator(texts, trainer)
    if path is not None:
        _write_atomically(path, lambda f: f.write(tok.to_str().encode()))
    return tok


# ------------------------------------------------------------------ pretraining


def masked_accuracy(model: BertForMaskedLM, inputs: BertInputs, mask_id: int, prob: float = 0.15,
                    seed: int = 0, batch_size: int = 256) -> tuple[float, int]:
    """Accuracy of ``model`` at the positions :func:`mask_tokens` selects (seeded) in ``inputs``.

    Returns ``(accuracy, number of predicted positions)``. Runs in eval mode, without gradients.
    """
    check_type("model", model, BertForMaskedLM, "a d2lhelper.bert.BertForMaskedLM")
    check_type("inputs", inputs, BertInputs, "a d2lhelper.bert.BertInputs")
    check_positive_int("batch_size", batch_size)
    g = torch.Generator().manual_seed(seed)
    corrupted, labels = mask_tokens(inputs.ids, inputs.special_mask, model.config.vocab_size, mask_id, prob, g)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    right = total = 0
    with torch.no_grad():
        for i in range(0, len(corrupted), batch_size):
            sl = slice(i, i + batch_size)
            logits = model(corrupted[sl].to(device), inputs.segments[sl].to(device), inputs.padding_mask[sl].to(device))
            y = labels[sl].to(device)
            keep = y != -100
            right += int((logits[keep].argmax(-1) == y[keep]).sum())
            total += int(keep.sum())
    model.train(was_training)
    return right / max(total, 1), total


def _cache_key(inputs: BertInputs, settings: dict[str, Any]) -> str:
    h = hashlib.sha256(repr(sorted(settings.items())).encode())
    for t in inputs:
        h.update(str(tuple(t.shape)).encode())
        h.update(t.contiguous().cpu().numpy().tobytes())
    return h.hexdigest()[:20]


def pretrain_mlm(inputs: BertInputs, config: BertConfig, *, mask_id: int, steps: int, batch_size: int = 64,
                 lr: float = 1e-3, warmup: int = 50, weight_decay: float = 0.01, prob: float = 0.15, seed: int = 0,
                 device: torch.device | str | None = None, cache: bool = True,
                 progress: bool = False) -> tuple[BertForMaskedLM, dict[str, Any]]:
    """Pretrain a :class:`BertForMaskedLM` with masked language modelling on the rows of ``inputs``.

    Every step draws ``batch_size`` rows at random and masks them afresh (dynamic masking, as RoBERTa)
    with :func:`mask_tokens`; AdamW with linear warm-up over ``warmup`` steps, then linear decay to 0.

    With ``cache``, the trained weights and history are stored under
    ``d2lhelper.data.cache_dir() / "bert"`` in a file named by a hash of ``inputs``, ``config``
    and every setting, and loaded from there when the same pretraining is asked for again (by any
    process: the file is written to a temporary name and moved into place with ``os.replace``).

    Returns:
        ``(model, history)``; ``history`` has ``"loss"`` (one value per step), ``"seconds"``,
        ``"tokens_per_s"`` (non-padding tokens processed per second) and ``"cached"`` (loaded, not trained).
    """
    check_type("inputs", inputs, BertInputs, "a d2lhelper.bert.BertInputs")
    check_type("config", config, BertConfig, "a d2lhelper.bert.BertConfig")
    check_positive_int("steps", steps)
    check_positive_int("batch_size", batch_size)
    check_positive_float("lr", lr)
    check_non_negative_int("warmup", warmup)
    check_non_negative_int("seed", seed)
    check_bool("cache", cache)
    if inputs.ids.shape[1] > config.max_len:
        raise ValueError(f"inputs must have at most config.max_len={config.max_len} columns, got {inputs.ids.shape[1]}")
    from .device import get_device

    device = get_device() if device is None else torch.device(device)
    settings = dict(config=repr(config), mask_id=mask_id, steps=steps, batch_size=batch_size, lr=lr, warmup=warmup,
                    weight_decay=weight_decay, prob=prob, seed=seed, version=2)  # 2: a save_checkpoint file
    path = None
    torch.manual_seed(seed)
    model = BertForMaskedLM(config)
    if cache:
        from .data import cache_dir

        path = Path(cache_dir()) / "bert" / f"mlm-{_cache_key(inputs, settings)}.pt"
        if path.exists():
            try:
                history = dict(load_checkpoint(path, model)["extra"]["history"], cached=True)
                return model.to(device), history
            except Exception:  # noqa: BLE001 - a damaged cache file is retrained and overwritten
                pass
    model.to(device)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / max(warmup, 1), max(0.0, (steps - s) / max(steps - warmup, 1))))
    g = torch.Generator().manual_seed(seed)
    losses, tokens = [], 0
    model.train()
    start = time.perf_counter()
    for step in range(steps):
        rows = torch.randint(len(inputs.ids), (batch_size,), generator=g)
        pad = inputs.padding_mask[rows]
        width = int((~pad).sum(1).max())                      # drop all-padding columns
        ids, pad, seg, special = (t[rows][:, :width] for t in (inputs.ids, inputs.padding_mask,
                                                                inputs.segments, inputs.special_mask))
        corrupted, labels = mask_tokens(ids, special, config.vocab_size, mask_id, prob, g)
        loss = model(corrupted.to(device), seg.to(device), pad.to(device), labels.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        tokens += int((~pad).sum())
        if progress and (step + 1) % max(steps // 10, 1) == 0:
            print(f"step {step + 1}/{steps}: loss {losses[-1]:.3f}", flush=True)
    seconds = time.perf_counter() - start
    history = {"loss": losses, "seconds": seconds, "tokens_per_s": tokens / seconds, "cached": False}
    if path is not None:
        save_checkpoint(path, model, history={k: v for k, v in history.items() if k != "cached"})
    return model, history
