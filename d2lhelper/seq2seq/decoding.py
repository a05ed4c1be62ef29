"""Decoding a trained encoder-decoder: greedy and beam search, one :class:`Translation` per sentence."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .._checks import check_bool, check_device, check_positive_int, check_type, values_trusted
from ..text import Vocab
from .models import EncoderDecoder

__all__ = ["Translation", "translate"]


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
