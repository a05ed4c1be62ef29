r"""A small GPT: a decoder-only Transformer language model that fits on one screen.

The architecture is GPT-2's, so that :func:`to_hf_gpt2` can copy the weights into
Hugging Face's ``GPT2LMHeadModel`` and get the same logits:

* token embedding ``wte`` plus a *learned* position embedding ``wpe``, dropout;
* ``n_layer`` pre-norm blocks ``x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))``, the
  attention causal with ``n_head`` heads and one fused ``(n_embd, 3 n_embd)``
  projection for queries, keys and values, the MLP ``n_embd -> 4 n_embd -> n_embd``
  with GELU in its tanh approximation;
* a final LayerNorm ``ln_f`` and an output layer ``lm_head`` that shares its weight
  with ``wte`` (weight tying).

Causal self-attention of one head, for queries, keys and values ``Q, K, V`` of shape
``(T, d)``:

.. math::
    \operatorname{softmax}\Big(\frac{QK^\top}{\sqrt d} + M\Big)V, \qquad
    M_{ij} = 0 \text{ if } j \le i, \text{ else } -\infty .

The full pass uses ``F.scaled_dot_product_attention(..., is_causal=True)``. For
incremental decoding, a :class:`KVCache` keeps every layer's keys and values of
shape ``(B, n_head, T, head_dim)``; a new token then only computes its own query,
key and value and attends to the cached ones.

Shapes: ``idx (B, T)`` int64 token ids -> ``logits (B, T, vocab_size)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_bool, check_positive_int, check_type

__all__ = ["GPTConfig", "KVCache", "CausalSelfAttention", "Block", "GPT", "to_hf_gpt2"]


@dataclass
class GPTConfig:
    """Sizes of a :class:`GPT`.

    Attributes:
        vocab_size: number of tokens.
        block_size: the longest sequence (context) the model reads; also the number of position embeddings.
        n_layer, n_head, n_embd: blocks, attention heads, model width (``n_embd % n_head == 0``).
        dropout: dropout on the embeddings, the attention weights and each residual branch.
        bias: biases in the linear layers and LayerNorms (GPT-2 has them; :func:`to_hf_gpt2` needs them).
    """

    vocab_size: int = 512
    block_size: int = 128
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True

    def __post_init__(self) -> None:
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            check_positive_int(name, getattr(self, name))
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd must be divisible by n_head ({self.n_head}), got n_embd={self.n_embd}")
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be a float in [0, 1), got {self.dropout!r}")
        check_bool("bias", self.bias)


class KVCache:
    """Keys and values of every layer for incremental decoding.

    ``keys[l]`` and ``values[l]`` have shape ``(B, n_head, T, head_dim)`` (``None``
    before the first pass). :meth:`GPT.forward` with ``kv_cache=cache`` appends the
    new tokens' keys and values in place; ``len(cache)`` is the number of tokens seen.
    """

    def __init__(self, n_layer: int) -> None:
        check_positive_int("n_layer", n_layer)
        self.keys: list[torch.Tensor | None] = [None] * n_layer
        self.values: list[torch.Tensor | None] = [None] * n_layer

    def __len__(self) -> int:
        return self.length(len(self.keys) - 1)      # the last layer is updated last in a forward pass

    def length(self, layer: int) -> int:
        """Number of tokens cached for ``layer``."""
        k = self.keys[layer]
        return 0 if k is None else k.shape[2]

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Append ``k, v`` of shape ``(B, n_head, T_new, head_dim)``; return all keys and values of ``layer``."""
        if self.keys[layer] is not None:
            k = torch.cat([self.keys[layer], k], dim=2)
            v = torch.cat([self.values[layer], v], dim=2)
        self.keys[layer], self.values[layer] = k, v
        return k, v


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with one fused query/key/value projection.

    Shapes: ``x (B, T, n_embd)`` -> ``(B, T, n_embd)``.
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)   # q, k, v side by side
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, kv_cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        # (B, T, C) -> (B, n_head, T, head_dim)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        past = 0 if kv_cache is None else kv_cache.length(layer)
        if kv_cache is not None:
            k, v = kv_cache.update(layer, k, v)          # now (B, n_head, past + T, head_dim)
        p = self.dropout if self.training else 0.0
        if past == 0:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        else:
            # Query i sits at position past + i and may see keys 0 .. past + i. (is_causal would
            # align the mask to the top left, which is wrong when keys outnumber queries.)
            allowed = torch.ones(T, past + T, dtype=torch.bool, device=x.device).tril(diagonal=past)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    """``n_embd -> 4 n_embd -> n_embd`` with GELU (tanh approximation, as in GPT-2)."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))


class Block(nn.Module):
    """A pre-norm Transformer block: ``x + attn(ln_1(x))``, then ``x + mlp(ln_2(x))``.

    The residual stream ``x`` itself is never normalised inside the block (post-norm,
    chapter 5, normalises it after every addition). Shapes: ``(B, T, n_embd)`` in and out.
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor, kv_cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), kv_cache, layer)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """A GPT-2-style language model.

    Initialisation follows GPT-2: weights ``N(0, 0.02)``, biases 0, and the output
    projections of each residual branch scaled by ``1/sqrt(2 n_layer)`` so that the
    residual stream's variance does not grow with depth.

    Shapes: ``idx (B, T)`` -> ``logits (B, T, vocab_size)``; see :meth:`forward`.
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        check_type("config", config, GPTConfig, "a GPTConfig")
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList(Block(config) for _ in range(config.n_layer)),
            ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight                  # weight tying
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def num_parameters(self) -> int:
        """Number of parameters, the tied embedding counted once."""
        return sum(p.numel() for p in self.parameters())

    def new_cache(self) -> KVCache:
        """An empty :class:`KVCache` for this model."""
        return KVCache(self.config.n_layer)

    def _check_idx(self, idx: Any, past: int) -> None:
        if not isinstance(idx, torch.Tensor):
            raise TypeError(f"idx must be a torch.Tensor of token ids, got {type(idx).__name__}")
        if idx.dtype != torch.long:
            raise TypeError(f"idx must have dtype torch.int64 (token ids), got {idx.dtype}")
        if idx.ndim != 2 or idx.shape[1] == 0:
            raise ValueError(f"idx must have shape (batch, T) with T >= 1, got {tuple(idx.shape)}")
        if past + idx.shape[1] > self.config.block_size:
            where = f" plus {past} cached tokens" if past else ""
            raise ValueError(f"idx length{where} must be <= block_size ({self.config.block_size}), "
                             f"got {past + idx.shape[1]}")
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= self.config.vocab_size:
            raise ValueError(f"idx must hold token ids in [0, {self.config.vocab_size - 1}], got values in [{lo}, {hi}]")

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None,
                kv_cache: KVCache | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Next-token logits for every position, and the mean cross-entropy if ``targets`` are given.

        Args:
            idx: ``(B, T)`` int64 token ids.
            targets: ``(B, T)`` int64, the token that follows each position (``-1`` is ignored).
            kv_cache: a :class:`KVCache` from :meth:`new_cache`. The model reads ``idx`` as the
                continuation of the cached tokens (positions ``len(cache)`` on) and appends its
                keys and values to the cache.

        Returns:
            ``(logits, loss)``: logits ``(B, T, vocab_size)``; loss a scalar, or ``None`` without targets.
        """
        check_type("kv_cache", kv_cache, KVCache, "a KVCache (model.new_cache())", allow_none=True)
        past = 0 if kv_cache is None else len(kv_cache)
        self._check_idx(idx, past)
        if targets is not None:
            if not isinstance(targets, torch.Tensor) or targets.shape != idx.shape:
                got = tuple(targets.shape) if isinstance(targets, torch.Tensor) else type(targets).__name__
                raise ValueError(f"targets must be a tensor of the shape of idx {tuple(idx.shape)}, got {got}")
        B, T = idx.shape
        pos = torch.arange(past, past + T, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for layer, block in enumerate(self.transformer.h):
            x = block(x, kv_cache, layer)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1)
        return logits, loss

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, generator: torch.Generator | None = None,
                 use_cache: bool = True) -> torch.Tensor:
        """Append ``max_new_tokens`` sampled tokens to each row of ``idx``.

        Each token is drawn from ``softmax(logits / temperature)`` restricted to the
        ``top_k`` most likely tokens (all tokens if ``None``; ``top_k=1`` is greedy).
        With ``use_cache`` the prompt is read once and every later step feeds only
        the newest token, reusing the cached keys and values. Learned position
        embeddings cannot slide, so once the sequence is longer than ``block_size``
        each step reads the last ``block_size`` tokens afresh, as without a cache.

        Args:
            idx: ``(B, T)`` int64 prompt with ``T <= block_size``.
            generator: a ``torch.Generator`` for reproducible sampling.

        Returns:
            ``(B, T + max_new_tokens)`` int64: the prompt followed by the new tokens.
        """
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 0:
            raise ValueError(f"max_new_tokens must be an int >= 0, got {max_new_tokens!r}")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
            raise ValueError(f"temperature must be a float > 0, got {temperature!r}")
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int)
                                  or not 1 <= top_k <= self.config.vocab_size):
            raise ValueError(f"top_k must be None or an int in [1, vocab_size={self.config.vocab_size}], "
                             f"got {top_k!r}")
        check_type("generator", generator, torch.Generator, "a torch.Generator", allow_none=True)
        check_bool("use_cache", use_cache)
        self._check_idx(idx, 0)
        was_training = self.training
        self.eval()
        cache = self.new_cache() if use_cache else None
        logits, _ = self(idx, kv_cache=cache)
        for step in range(max_new_tokens):
            scores = logits[:, -1, :].float() / temperature                    # (B, vocab)
            if top_k is not None:
                kth = torch.topk(scores, top_k, dim=-1).values[:, -1:]
                scores = scores.masked_fill(scores < kth, float("-inf"))
            probs = torch.softmax(scores, dim=-1)
            if generator is not None:
                probs = probs.to(generator.device)     # sample where the generator lives
            nxt = torch.multinomial(probs, 1, generator=generator).to(idx.device)      # (B, 1)
            idx = torch.cat([idx, nxt], dim=1)
            if step == max_new_tokens - 1:
                break
            if cache is not None and len(cache) < self.config.block_size:
                logits, _ = self(nxt, kv_cache=cache)
            else:
                logits, _ = self(idx[:, -self.config.block_size:])
        self.train(was_training)
        return idx


_HF_TRANSPOSED = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")


def to_hf_gpt2(model: GPT) -> Any:
    """A Hugging Face ``transformers.GPT2LMHeadModel`` with ``model``'s weights.

    Parameter names are the same; GPT-2's ``Conv1D`` layers store their weights as
    ``(in, out)``, the transpose of ``nn.Linear``'s ``(out, in)``, so those four
    matrices per block are transposed. Needs ``transformers`` and ``bias=True``.
    The returned model is in eval mode and gives the same logits as ``model``.
    """
    check_type("model", model, GPT, "a d2lhelper.gpt.GPT")
    cfg = model.config
    if not cfg.bias:
        raise ValueError("model.config.bias must be True to map onto GPT-2 (which has biases), got False")
    try:
        from transformers import GPT2Config, GPT2LMHeadModel
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("to_hf_gpt2 needs the transformers package: pip install transformers") from err
    hf_cfg = GPT2Config(vocab_size=cfg.vocab_size, n_positions=cfg.block_size, n_embd=cfg.n_embd,
                        n_layer=cfg.n_layer, n_head=cfg.n_head, n_inner=4 * cfg.n_embd,
                        activation_function="gelu_new", resid_pdrop=cfg.dropout, embd_pdrop=cfg.dropout,
                        attn_pdrop=cfg.dropout, layer_norm_epsilon=1e-5, tie_word_embeddings=True)
    hf = GPT2LMHeadModel(hf_cfg)
    ours = model.state_dict()
    target = hf.state_dict()
    mapped = {}
    for name, tensor in target.items():
        if name not in ours:
            continue                          # buffers such as a stored causal mask
        t = ours[name].detach()
        mapped[name] = t.t().contiguous() if name.endswith(_HF_TRANSPOSED) else t.clone()
        if mapped[name].shape != tensor.shape:
            raise ValueError(f"{name}: shape {tuple(mapped[name].shape)} does not match GPT-2's {tuple(tensor.shape)}")
    missing = [n for n, p in hf.named_parameters() if n not in mapped]
    if missing:
        raise ValueError(f"GPT-2 parameters without a counterpart in model: {missing}")
    hf.load_state_dict(mapped, strict=False)
    hf.tie_weights()
    return hf.eval()
