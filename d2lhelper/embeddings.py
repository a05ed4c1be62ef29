r"""Embeddings from co-occurrence: random walks on graphs, skip-gram pairs, negative sampling.

DeepWalk and node2vec (chapter 7) turn a graph into sentences of nodes by random
walks and then learn one vector per node as word2vec (chapter 11) learns one per
word: a node (word) should predict the nodes (words) that occur near it.

* :func:`random_walks` walks on the graph, uniformly (DeepWalk) or with node2vec's
  second-order bias (return parameter ``p``, in-out parameter ``q``), all walkers
  in one batch of tensor operations;
* :func:`skipgram_pairs` cuts sequences (walks or sentences) into ``(centre, context)``
  pairs within a window;
* :class:`NegativeSampler` draws negatives from the unigram distribution raised to a power;
* :class:`SkipGramNS` holds the two embedding tables and the skip-gram loss with
  negative sampling,
* :func:`subsample` drops frequent tokens at random before the pairs are cut (word2vec's
  subsampling), and :func:`nearest_neighbours` and :func:`analogy` query a learned
  embedding matrix by cosine similarity,

.. math::
    \ell(c, o) = -\log\sigma(\mathbf{u}_c^\top\mathbf{v}_o)
                 - \sum_{k=1}^{K}\log\sigma(-\mathbf{u}_c^\top\mathbf{v}_{n_k}),
    \qquad n_k \sim P(w) \propto \operatorname{count}(w)^{3/4}.

A graph is given by ``edge_index`` of shape ``(2, num_edges)``, column ``(j, i)``
an edge from ``j`` to ``i`` (PyTorch Geometric's convention; an undirected graph
lists both directions). A walk at node ``j`` moves along an edge ``(j, i)``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_non_negative_float, check_positive_float, check_positive_int, check_type
from .graphs import _check_edge_index

__all__ = ["NegativeSampler", "SkipGramNS", "analogy", "nearest_neighbours", "random_walks", "skipgram_pairs",
           "subsample", "subsample_keep_probs"]


def _csr(edge_index: torch.Tensor, num_nodes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(rowptr, col)``: the out-neighbours of node ``j`` are ``col[rowptr[j]:rowptr[j + 1]]``, sorted.

    ``rowptr`` has shape ``(num_nodes + 1,)``, ``col`` shape ``(num_edges,)``.
    """
    src, dst = edge_index
    order = torch.argsort(src * num_nodes + dst)               # by source, then target
    rowptr = torch.zeros(num_nodes + 1, dtype=torch.long, device=edge_index.device)
    rowptr[1:] = torch.bincount(src, minlength=num_nodes).cumsum(0)
    return rowptr, dst[order]


def _uniform_neighbour(rowptr: torch.Tensor, col: torch.Tensor, cur: torch.Tensor,
                       generator: torch.Generator | None) -> torch.Tensor:
    """One uniformly drawn out-neighbour of each node in ``cur`` (shape ``(w,)``); a node without any stays."""
    deg = rowptr[cur + 1] - rowptr[cur]                                      # (w,)
    r = torch.rand(cur.shape, generator=generator, dtype=torch.float64, device=cur.device)
    pick = (r * deg).long().clamp(max=(deg - 1).clamp(min=0))               # in [0, deg)
    nxt = col[(rowptr[cur] + pick).clamp(max=max(col.numel() - 1, 0))] if col.numel() else cur
    return torch.where(deg > 0, nxt, cur)


def random_walks(
    edge_index: torch.Tensor,
    num_nodes: int,
    walk_length: int,
    *,
    walks_per_node: int = 1,
    p: float = 1.0,
    q: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Random walks from every node: uniform (DeepWalk) or node2vec's biased second-order walks.

    Row ``r`` starts at node ``r % num_nodes``. Each step moves from the current
    node ``v`` along one of its out-edges. With ``p = q = 1`` the edge is drawn
    uniformly. Otherwise (node2vec, Grover and Leskovec 2016) a walk that came from
    ``t`` goes to a neighbour ``x`` of ``v`` with probability proportional to

    .. math::
        \alpha_{pq}(t, x) = \begin{cases} 1/p & x = t \text{ (return)},\\
        1 & \text{an edge } t \to x \text{ exists (stay close to } t),\\
        1/q & \text{otherwise (move away from } t). \end{cases}

    The first step, which has no ``t``, is uniform. The biased step uses rejection
    sampling: propose a neighbour uniformly and accept it with probability
    :math:`\alpha_{pq} / \max(1/p, 1, 1/q)`; the walkers that rejected propose again,
    until all have accepted. Repeated edges count with their multiplicity.

    A node without out-edges (an isolated node, or a dead end of a directed graph)
    keeps the walk where it is: the rest of the walk repeats that node.

    Args:
        edge_index: ``(2, num_edges)`` integer tensor, column ``(j, i)`` an edge ``j -> i``.
        num_nodes: number of nodes ``n`` (isolated nodes need not appear in ``edge_index``).
        walk_length: nodes per walk, the start included (1 returns the start nodes).
        walks_per_node: walks started from each node.
        p: return parameter; small ``p`` makes walks step back often.
        q: in-out parameter; ``q > 1`` keeps walks near where they were (breadth-first-like),
            ``q < 1`` pushes them outward (depth-first-like).
        generator: random source (on ``edge_index``'s device), for repeatable walks.

    Returns:
        int64 tensor of shape ``(n * walks_per_node, walk_length)`` of node indices.
    """
    edge_index = _check_edge_index(edge_index, num_nodes)
    check_positive_int("walk_length", walk_length)
    check_positive_int("walks_per_node", walks_per_node)
    check_positive_float("p", p)
    check_positive_float("q", q)
    check_type("generator", generator, torch.Generator, "a torch.Generator", allow_none=True)
    rowptr, col = _csr(edge_index, num_nodes)
    biased = p != 1.0 or q != 1.0
    if biased:  # sorted keys t * n + x of the edges t -> x, to look up "is x a neighbour of t"
        src_sorted = torch.repeat_interleave(torch.arange(num_nodes, device=col.device), rowptr[1:] - rowptr[:-1])
        keys = src_sorted * num_nodes + col                                  # (E,), ascending
        w_return, w_stay, w_away = 1.0 / p, 1.0, 1.0 / q
        w_max = max(w_return, w_stay, w_away)
    cur = torch.arange(num_nodes, device=edge_index.device).repeat(walks_per_node)   # (w,)
    steps = [cur]
    for step in range(1, walk_length):
        if not biased or step == 1:
            cur = _uniform_neighbour(rowptr, col, cur, generator)
        else:
            prev, nxt = steps[-2], cur.clone()
            pending = torch.nonzero(rowptr[cur + 1] > rowptr[cur]).flatten()  # walkers that can move
            while pending.numel():
                t, v = prev[pending], cur[pending]
                x = _uniform_neighbour(rowptr, col, v, generator)            # proposal, (m,)
                query = t * num_nodes + x
                pos = torch.searchsorted(keys, query).clamp(max=keys.numel() - 1)
                weight = torch.where(x == t, w_return, torch.where(keys[pos] == query, w_stay, w_away))
                accept = torch.rand(pending.shape, generator=generator, dtype=torch.float64,
                                    device=cur.device) * w_max < weight
                nxt[pending[accept]] = x[accept]
                pending = pending[~accept]
            cur = nxt
        steps.append(cur)
    return torch.stack(steps, dim=1)                                          # (w, walk_length)


def _check_sequences(sequences: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The tokens as one 1-D or 2-D tensor, and the segment id of each token for a list of sequences."""
    if isinstance(sequences, torch.Tensor):
        if sequences.ndim not in (1, 2):
            raise ValueError(f"sequences must be a 1-D tensor (one sequence), a 2-D tensor (num_sequences, length) "
                             f"or a list of 1-D tensors, got shape {tuple(sequences.shape)}")
        tokens, segments = sequences, None
    elif isinstance(sequences, Sequence) and not isinstance(sequences, str):
        if not sequences or not all(isinstance(s, torch.Tensor) and s.ndim == 1 for s in sequences):
            raise TypeError("sequences given as a list must hold at least one 1-D tensor and only 1-D tensors, got "
                            f"{[tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__ for s in sequences][:5]}")
        lengths = torch.tensor([len(s) for s in sequences], device=sequences[0].device)
        tokens = torch.cat(list(sequences))
        segments = torch.repeat_interleave(torch.arange(len(sequences), device=tokens.device), lengths)
    else:
        raise TypeError(f"sequences must be a tensor of token indices or a list of 1-D tensors, "
                        f"got {type(sequences).__name__}")
    if tokens.dtype.is_floating_point or tokens.dtype.is_complex or tokens.dtype == torch.bool:
        raise TypeError(f"sequences must hold integer token indices, got dtype {tokens.dtype}")
    return tokens.long(), segments


def skipgram_pairs(sequences: torch.Tensor | Sequence[torch.Tensor], window: int) -> tuple[torch.Tensor, torch.Tensor]:
    """All ``(centre, context)`` pairs at most ``window`` positions apart within a sequence.

    A token at position ``i`` is paired with each token at ``i - window, ..., i - 1,
    i + 1, ..., i + window`` in the same sequence (none across the end of one and
    the start of the next). A sequence of length ``L`` gives
    ``2 * sum(L - k for k in 1..min(window, L - 1))`` pairs.

    Args:
        sequences: token indices, as a 2-D tensor ``(num_sequences, length)`` (e.g.
            :func:`random_walks`), a 1-D tensor (one sequence) or a list of 1-D tensors
            of different lengths (sentences).
        window: the largest distance between centre and context, > 0.

    Returns:
        ``(centres, contexts)``, int64 tensors of shape ``(num_pairs,)``, ordered by
        distance ``k = 1..window``, then direction.
    """
    tokens, segments = _check_sequences(sequences)
    check_positive_int("window", window)
    if tokens.ndim == 1:
        tokens = tokens[None]                                                 # (1, L)
    centres, contexts = [], []
    for k in range(1, min(window, tokens.shape[1] - 1) + 1):
        left, right = tokens[:, :-k], tokens[:, k:]                           # (S, L - k): k apart
        if segments is not None:                                              # drop pairs across sentences
            same = segments[:-k] == segments[k:]
            left, right = left[:, same], right[:, same]
        centres += [left.flatten(), right.flatten()]
        contexts += [right.flatten(), left.flatten()]
    if not centres:
        empty = tokens.new_zeros(0)
        return empty, empty.clone()
    return torch.cat(centres), torch.cat(contexts)


class NegativeSampler:
    r"""Draws negative tokens with probability proportional to ``count ** power``.

    With ``power = 0.75`` (word2vec's choice) frequent tokens are drawn less often
    than their frequency and rare ones more often; ``power = 1`` is the unigram
    distribution and ``power = 0`` uniform over the tokens that occur. A token of
    count 0 is never drawn.

    Args:
        counts: ``(num_tokens,)`` non-negative occurrence counts, at least one > 0,
            e.g. ``torch.bincount(walks.flatten(), minlength=num_nodes)``.
        power: the exponent, >= 0.

    Attributes:
        probs: ``(num_tokens,)`` float64 probabilities, summing to 1.

    Calling the sampler with a shape, ``sampler((batch, K), generator=g)``, returns
    an int64 tensor of that shape.
    """

    def __init__(self, counts: torch.Tensor, power: float = 0.75) -> None:
        counts = _check_counts(counts)
        check_non_negative_float("power", power)
        weights = torch.where(counts > 0, counts.pow(power), torch.zeros_like(counts))
        self.probs = weights / weights.sum()
        self._cdf = self.probs.cumsum(0)                                      # (num_tokens,), ends at ~1

    def __call__(self, shape: int | Sequence[int], generator: torch.Generator | None = None) -> torch.Tensor:
        """``shape`` independent draws, int64 (inverse-CDF sampling with ``torch.searchsorted``)."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
            raise ValueError(f"shape must be an int >= 0 or a tuple of them, got {shape!r}")
        check_type("generator", generator, torch.Generator, "a torch.Generator", allow_none=True)
        u = torch.rand(shape, generator=generator, dtype=torch.float64, device=self._cdf.device) * self._cdf[-1]
        return torch.searchsorted(self._cdf, u, right=True).clamp(max=len(self.probs) - 1)

    def to(self, device: torch.device | str) -> NegativeSampler:
        """Move the distribution to ``device`` (draws then happen there); returns self."""
        self.probs, self._cdf = self.probs.to(device), self._cdf.to(device)
        return self

    def __repr__(self) -> str:
        return f"NegativeSampler(num_tokens={len(self.probs)})"


class SkipGramNS(nn.Module):
    r"""Skip-gram with negative sampling: a centre vector :math:`\mathbf{u}` and a context vector :math:`\mathbf{v}` per token.

    For a pair ``(c, o)`` and negatives :math:`n_1, \dots, n_K` the loss is

    .. math::
        -\log\sigma(\mathbf{u}_c^\top\mathbf{v}_o) - \sum_{k=1}^{K}\log\sigma(-\mathbf{u}_c^\top\mathbf{v}_{n_k}),

    averaged over the pairs. The centre vectors are the embeddings one keeps
    (``forward``, :attr:`embeddings`). As in word2vec the centre vectors start
    uniform in :math:`\pm 0.5/\text{dim}` and the context vectors at zero.

    Args:
        num_tokens: vocabulary size (nodes of a graph, words of a corpus).
        dim: embedding dimension.
    """

    def __init__(self, num_tokens: int, dim: int) -> None:
        super().__init__()
        check_positive_int("num_tokens", num_tokens)
        check_positive_int("dim", dim)
        self.centre = nn.Embedding(num_tokens, dim)                           # u
        self.context = nn.Embedding(num_tokens, dim)                          # v
        nn.init.uniform_(self.centre.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.context.weight)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """The centre vectors of ``tokens`` (any shape ``S``), shape ``S + (dim,)``."""
        _check_tokens("tokens", tokens)
        return self.centre(tokens)

    @property
    def embeddings(self) -> torch.Tensor:
        """All centre vectors, detached: ``(num_tokens, dim)``."""
        return self.centre.weight.detach()

    def loss(self, centres: torch.Tensor, contexts: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """Mean negative-sampling loss of the pairs ``(centres[b], contexts[b])`` with ``negatives[b, :]``.

        Args:
            centres: ``(B,)`` token indices.
            contexts: ``(B,)`` token indices.
            negatives: ``(B, K)`` token indices, e.g. from a :class:`NegativeSampler`.

        Returns:
            A scalar tensor.
        """
        _check_tokens("centres", centres, ndim=1)
        _check_tokens("contexts", contexts, ndim=1)
        _check_tokens("negatives", negatives, ndim=2)
        if contexts.shape != centres.shape or negatives.shape[0] != centres.shape[0]:
            raise ValueError(f"centres (B,), contexts (B,) and negatives (B, K) must agree in B, got "
                             f"{tuple(centres.shape)}, {tuple(contexts.shape)} and {tuple(negatives.shape)}")
        u = self.centre(centres)                                              # (B, d)
        v = self.context(torch.cat([contexts[:, None], negatives], dim=1))    # (B, 1 + K, d), one look-up
        scores = (v * u[:, None, :]).sum(-1)                                  # (B, 1 + K): u.v_o, u.v_n1, ...
        sign = torch.ones_like(scores[0])
        sign[1:] = -1                                                         # sigma(u.v_o), sigma(-u.v_n)
        return -F.logsigmoid(scores * sign).sum(-1).mean()


def _check_tokens(name: str, tokens: Any, ndim: int | None = None) -> None:
    if not isinstance(tokens, torch.Tensor):
        raise TypeError(f"{name} must be a tensor of token indices, got {type(tokens).__name__}")
    if tokens.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"{name} must hold int64 (or int32) token indices, got dtype {tokens.dtype}")
    if ndim is not None and tokens.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {tuple(tokens.shape)}")


def subsample_keep_probs(counts: torch.Tensor, t: float = 1e-4) -> torch.Tensor:
    r"""The probability that word2vec's subsampling keeps an occurrence of each token.

    With :math:`f(w)` the token's share of the corpus, Mikolov et al. (2013) discard
    each occurrence with probability :math:`1 - \sqrt{t / f(w)}`, so they keep it with

    .. math::
        P_\text{keep}(w) = \min\Bigl(1, \sqrt{t / f(w)}\Bigr):

    a token rarer than ``t`` is always kept, one 100 times as frequent as ``t`` one time in 10.

    Args:
        counts: ``(num_tokens,)`` non-negative occurrence counts, at least one > 0.
        t: the threshold frequency, > 0 (1e-5 to 1e-3; word2vec's default 1e-3, its paper 1e-5).

    Returns:
        ``(num_tokens,)`` float64 probabilities in ``(0, 1]`` (1 for a token of count 0).
    """
    counts = _check_counts(counts)
    check_positive_float("t", t)
    freqs = counts / counts.sum()
    keep = torch.sqrt(t / freqs.clamp(min=torch.finfo(torch.float64).tiny))
    return torch.where(counts > 0, keep.clamp(max=1.0), torch.ones_like(keep))


def subsample(tokens: torch.Tensor, counts: torch.Tensor | None = None, t: float = 1e-4,
              generator: torch.Generator | None = None) -> torch.Tensor:
    """The tokens of a sequence, each occurrence kept with :func:`subsample_keep_probs`, in order.

    Dropping an occurrence closes the gap: the kept neighbours of a frequent word
    move closer, so a window of the same size then reaches further.

    Args:
        tokens: ``(L,)`` integer token indices.
        counts: ``(num_tokens,)`` occurrence counts; ``None`` counts ``tokens`` itself.
        t: the threshold frequency, > 0.
        generator: random source, for repeatable draws.

    Returns:
        ``(L',)`` int64 tensor, ``L' <= L``, the kept tokens in their order.
    """
    _check_tokens("tokens", tokens, ndim=1)
    check_type("generator", generator, torch.Generator, "a torch.Generator", allow_none=True)
    if counts is None:
        counts = torch.bincount(tokens.long())
    keep = subsample_keep_probs(counts, t)
    if tokens.numel() and (tokens.min() < 0 or tokens.max() >= len(keep)):
        raise ValueError(f"tokens must be indices in [0, {len(keep)}) (the length of counts), got values in "
                         f"[{tokens.min().item()}, {tokens.max().item()}]")
    u = torch.rand(tokens.shape, generator=generator, dtype=torch.float64, device=tokens.device)
    return tokens[u < keep.to(tokens.device)[tokens]].long()


def _check_counts(counts: Any) -> torch.Tensor:
    if not isinstance(counts, torch.Tensor) or counts.ndim != 1 or counts.numel() == 0:
        got = tuple(counts.shape) if isinstance(counts, torch.Tensor) else type(counts).__name__
        raise ValueError(f"counts must be a non-empty 1-D tensor (num_tokens,) of occurrence counts, got {got}")
    if counts.dtype == torch.bool or counts.dtype.is_complex:
        raise TypeError(f"counts must hold real numbers, got dtype {counts.dtype}")
    counts = counts.double()
    if not torch.isfinite(counts).all() or (counts < 0).any() or not (counts > 0).any():
        raise ValueError(f"counts must be finite and >= 0 with at least one > 0, got values in "
                         f"[{counts.min().item()}, {counts.max().item()}]")
    return counts


def _check_embeddings(embeddings: Any) -> torch.Tensor:
    if not isinstance(embeddings, torch.Tensor) or embeddings.ndim != 2 or not embeddings.is_floating_point():
        got = (f"shape {tuple(embeddings.shape)}, dtype {embeddings.dtype}" if isinstance(embeddings, torch.Tensor)
               else type(embeddings).__name__)
        raise ValueError(f"embeddings must be a 2-D floating-point tensor (num_tokens, dim), got {got}")
    return F.normalize(embeddings.detach(), dim=1)


def _check_index(name: str, value: Any, num_tokens: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < num_tokens:
        raise ValueError(f"{name} must be a token index (int) in [0, {num_tokens}), got {value!r}")


def nearest_neighbours(embeddings: torch.Tensor, query: int, k: int = 5,
                       exclude: Sequence[int] = ()) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The ``k`` tokens whose vectors have the largest cosine similarity with token ``query``'s.

    Cosine similarity is :math:`\cos(\mathbf{x}, \mathbf{y}) = \mathbf{x}^\top\mathbf{y} /
    (\|\mathbf{x}\|\|\mathbf{y}\|)`; the query itself and the indices in ``exclude`` are left out.

    Args:
        embeddings: ``(num_tokens, dim)`` float tensor, e.g. :attr:`SkipGramNS.embeddings`.
        query: a token index.
        k: how many neighbours, ``1 <= k < num_tokens - len(exclude)``.
        exclude: further token indices never to return (e.g. ``<unk>``).

    Returns:
        ``(indices, similarities)``: int64 and float tensors of shape ``(k,)``, most similar first.
    """
    unit = _check_embeddings(embeddings)
    _check_index("query", query, len(unit))
    return _top_k(unit, unit[query], k, [query, *exclude])


def analogy(embeddings: torch.Tensor, a: int, b: int, c: int, k: int = 1,
            exclude: Sequence[int] = ()) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Answers to "``a`` is to ``b`` as ``c`` is to ?" by vector offset (3CosAdd, Mikolov et al. 2013).

    With unit vectors :math:`\hat{\mathbf{x}} = \mathbf{x}/\|\mathbf{x}\|` the answer is the token
    :math:`d \notin \{a, b, c\}` that maximises :math:`\cos(\mathbf{x}_d, \hat{\mathbf{x}}_b -
    \hat{\mathbf{x}}_a + \hat{\mathbf{x}}_c)`, e.g. ``man : king :: woman : queen``.

    Args:
        embeddings: ``(num_tokens, dim)`` float tensor.
        a, b, c: token indices.
        k: how many candidate answers, best first.
        exclude: further token indices never to return.

    Returns:
        ``(indices, similarities)`` of shape ``(k,)``.
    """
    unit = _check_embeddings(embeddings)
    for name, value in (("a", a), ("b", b), ("c", c)):
        _check_index(name, value, len(unit))
    return _top_k(unit, unit[b] - unit[a] + unit[c], k, [a, b, c, *exclude])


def _top_k(unit: torch.Tensor, target: torch.Tensor, k: int, exclude: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    check_positive_int("k", k)
    for i in exclude:
        _check_index("exclude", i, len(unit))
    drop = torch.tensor(sorted(set(exclude)), dtype=torch.long, device=unit.device)
    if k > len(unit) - len(drop):
        raise ValueError(f"k must be at most the number of candidate tokens {len(unit) - len(drop)}, got {k}")
    sims = unit @ F.normalize(target, dim=0)                                   # (num_tokens,)
    sims[drop] = -float("inf")
    values, indices = sims.topk(k)
    return indices, values
