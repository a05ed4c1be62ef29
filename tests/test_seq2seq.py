"""Encoder-decoder models, the masked loss, training and greedy/beam decoding (GRU and Transformer)."""
from __future__ import annotations

import itertools
import math

import pytest
import torch

import d2lhelper as d2l

SPECIALS = ["<pad>", "<bos>", "<eos>"]


def _copy_task(n: int = 200, seed: int = 0):
    """Reverse a sequence of 2-5 letters: a task every model here learns in a few seconds."""
    g = torch.Generator().manual_seed(seed)
    letters = list("abcdef")
    pairs = []
    for _ in range(n):
        k = int(torch.randint(2, 6, (1,), generator=g))
        src = [letters[int(i)] for i in torch.randint(0, 6, (k,), generator=g)]
        pairs.append((src, src[::-1]))
    vocab = d2l.Vocab([s for s, _ in pairs], reserved_tokens=SPECIALS)

    def enc(seqs):
        rows, lens = [], []
        for s in seqs:
            ids = vocab[s] + [vocab["<eos>"]]
            lens.append(len(ids))
            rows.append(ids + [vocab["<pad>"]] * (7 - len(ids)))
        return torch.tensor(rows), torch.tensor(lens)

    X, Xl = enc([s for s, _ in pairs])
    Y, Yl = enc([t for _, t in pairs])
    loader = d2l.data.TensorLoader(X, Xl, Y, Yl, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return pairs, vocab, loader


def _models(V: int):
    return {
        "gru": d2l.EncoderDecoder(d2l.Seq2SeqEncoder(V, 16, 32), d2l.Seq2SeqDecoder(V, 16, 32)),
        "bahdanau": d2l.EncoderDecoder(d2l.Seq2SeqEncoder(V, 16, 32), d2l.Seq2SeqAttentionDecoder(V, 16, 32)),
        "transformer": d2l.EncoderDecoder(d2l.TransformerEncoder(V, 32, 64, 4, 2),
                                          d2l.TransformerDecoder(V, 32, 64, 4, 2)),
    }


def test_masked_cross_entropy_ignores_padding() -> None:
    torch.manual_seed(0)
    logits, Y = torch.randn(2, 4, 5), torch.randint(0, 5, (2, 4))
    lens = torch.tensor([4, 2])
    per_token = torch.nn.functional.cross_entropy(logits.transpose(1, 2), Y, reduction="none")
    expected = (per_token[0].sum() + per_token[1, :2].sum()) / 6
    assert torch.allclose(d2l.masked_cross_entropy(logits, Y, lens), expected)
    logits2 = logits.clone()
    logits2[1, 2:] = 100.0  # changing padded positions changes nothing
    assert torch.allclose(d2l.masked_cross_entropy(logits2, Y, lens), expected)
    with pytest.raises(ValueError, match=r"valid_lens must lie in \[0, 4\]"):
        d2l.masked_cross_entropy(logits, Y, torch.tensor([5, 1]))
    with pytest.raises(ValueError, match=r"valid_lens must have shape \(batch,\)=\(2,\)"):
        d2l.masked_cross_entropy(logits, Y, torch.tensor([1]))
    with pytest.raises(ValueError, match="logits must be"):
        d2l.masked_cross_entropy(logits[0], Y, lens)


@pytest.mark.parametrize("kind", ["gru", "bahdanau", "transformer"])
def test_stepwise_decoding_equals_one_call(kind: str) -> None:
    torch.manual_seed(0)
    model = _models(9)[kind].eval()
    X, lens = torch.randint(3, 9, (2, 6)), torch.tensor([6, 3])
    dec_X = torch.randint(3, 9, (2, 5))
    full = model(X, dec_X, lens)
    state = model.decoder.init_state(model.encoder(X, lens), lens)
    steps = []
    for t in range(5):
        out, state = model.decoder(dec_X[:, t:t + 1], state)
        steps.append(out)
    assert (torch.cat(steps, 1) - full).abs().max().item() < 1e-5


@pytest.mark.parametrize("kind", ["gru", "bahdanau", "transformer"])
def test_training_learns_and_decoding_agrees(kind: str) -> None:
    d2l.seed_everything(0)
    pairs, vocab, loader = _copy_task(96)
    model = _models(len(vocab))[kind]
    h = d2l.train_seq2seq(model, loader, loader, tgt_vocab=vocab, epochs=8, lr=0.01, device="cpu",
                          live_plot=False, progress=False)
    # measured first -> last epoch (seed 0): gru 2.13 -> 1.30, bahdanau 2.23 -> 1.07, transformer 2.15 -> 0.94
    assert h.final["train_loss"] < 0.8 * h.rows[0]["train_loss"]
    assert {"train_loss", "val_loss", "tokens_per_s", "seconds"} <= set(h.final)
    src = [s for s, _ in pairs[:20]]
    greedy = d2l.translate(model, src, vocab, vocab, 7)
    beam = d2l.translate(model, src, vocab, vocab, 7, beam_size=3)
    assert len(beam) == len(greedy) and all(b.tokens or g.tokens for g, b in zip(greedy, beam))
    one = d2l.translate(model, " ".join(src[0]), vocab, vocab, 7)[0]  # a single str works too
    assert one.tokens == greedy[0].tokens and abs(one.score - greedy[0].score) < 1e-4
    from collections import Counter

    cands, refs = [g.tokens for g in greedy], [t for _, t in pairs[:20]]
    # BLEU-1 by hand: BP * (clipped unigram matches) / (candidate tokens), both pooled over the 20 sentences
    matches = sum(sum((Counter(c) & Counter(r)).values()) for c, r in zip(cands, refs))
    c, r = sum(map(len, cands)), sum(map(len, refs))
    expected = math.exp(min(0.0, 1 - r / c)) * matches / c if matches else 0.0
    assert d2l.bleu(cands, refs, max_n=1) == pytest.approx(expected, rel=1e-12)
    assert d2l.bleu(refs, refs) == 1.0


def test_greedy_attention_weights() -> None:
    torch.manual_seed(0)
    pairs, vocab, _ = _copy_task(10)
    for kind, shape_tail in (("bahdanau", ()), ("transformer", (2, 4))):
        model = _models(len(vocab))[kind]
        res = d2l.translate(model, [pairs[0][0]], vocab, vocab, 7, return_attention=True)[0]
        att = res.attention
        assert att.shape[:-2] == shape_tail and att.shape[-1] == 7
        assert att.shape[-2] == len(res.tokens) + 1 or att.shape[-2] == 7  # output tokens and <eos>
        src_len = len(pairs[0][0]) + 1
        assert att[..., src_len:].abs().max().item() < 1e-6  # padding gets no weight
        assert torch.allclose(att.sum(-1), torch.ones(att.shape[:-1]), atol=1e-5)


def test_bad_arguments() -> None:
    _, vocab, loader = _copy_task(10)
    model = _models(len(vocab))["gru"]
    with pytest.raises(TypeError, match="model must be a d2lhelper EncoderDecoder"):
        d2l.train_seq2seq(torch.nn.Linear(2, 2), loader, tgt_vocab=vocab, epochs=1)
    with pytest.raises(ValueError, match="epochs must be a positive int, got 0"):
        d2l.train_seq2seq(model, loader, tgt_vocab=vocab, epochs=0)
    with pytest.raises(ValueError, match="tgt_vocab must have a '<bos>' token"):
        d2l.train_seq2seq(model, loader, tgt_vocab=d2l.Vocab(["a"]), epochs=1)
    with pytest.raises(ValueError, match="beam_size must be a positive int, got 0"):
        d2l.translate(model, "a b", vocab, vocab, 7, beam_size=0)
    with pytest.raises(ValueError, match="sentences must hold at least one sentence"):
        d2l.translate(model, [], vocab, vocab, 7)
    with pytest.raises(ValueError, match=r"tgt_vocab lacks the special tokens \['<bos>', '<eos>'\]"):
        d2l.translate(model, "a b", vocab, d2l.Vocab(["a"]), 7)
    with pytest.raises(ValueError, match="num_heads"):
        d2l.TransformerEncoder(10, 32, 64, 0, 2)


# ---------------------------------------------------------------- beam search against exhaustive search
# A scripted decoder: the next-token distribution is a fixed function of the prefix, so the best output
# can be found by trying every sequence. Target vocabulary: <unk> 0, <pad> 1, <bos> 2, <eos> 3, a 4, b 5.
TGT = d2l.Vocab(["a", "b"], reserved_tokens=SPECIALS)
SRC = d2l.Vocab(["a"], reserved_tokens=SPECIALS)
EOS = TGT["<eos>"]


class _Identity(d2l.Encoder):
    def forward(self, X, valid_lens):
        return X


class _Scripted(d2l.Decoder):
    """State: one prefix (tuple of ids, <bos> first) per row; logits = ``table(prefix)`` of shape (V,)."""

    def __init__(self, table):
        super().__init__()
        self.table, self.anchor = table, torch.nn.Parameter(torch.zeros(1))  # translate() reads the device

    def init_state(self, enc_outputs, enc_valid_lens):
        return [()] * enc_outputs.shape[0]

    def reorder_state(self, state, index):
        return [state[i] for i in index.tolist()]

    def forward(self, X, state):
        prefixes = [p + (int(x),) for p, x in zip(state, X[:, -1])]
        return torch.stack([self.table(p) for p in prefixes])[:, None, :], prefixes


def _log_probs(table, prefix):
    return torch.log_softmax(table(prefix), dim=-1)


def _exhaustive(table, num_steps, alpha=0.0):
    """(best normalised score, its raw score, its ids) over every output of at most num_steps tokens."""
    V, best = len(TGT), (-float("inf"), None, None)
    for n in range(num_steps + 1):
        for ids in itertools.product([t for t in range(V) if t != EOS], repeat=n):
            prefix, raw = (TGT["<bos>"],), 0.0
            for t in ids:
                raw += float(_log_probs(table, prefix)[t])
                prefix += (t,)
            if n < num_steps:  # it ends with <eos>; at num_steps tokens the output is cut instead
                raw += float(_log_probs(table, prefix)[EOS])
            length = n + 1 if n < num_steps else n
            score = raw / length ** alpha if alpha and length else raw
            best = max(best, (score, raw, list(ids)), key=lambda b: b[0])
    return best


def _decode(table, num_steps, beam_size, alpha=0.0):
    model = d2l.EncoderDecoder(_Identity(), _Scripted(table))
    return d2l.translate(model, ["a"], SRC, TGT, num_steps, beam_size=beam_size, alpha=alpha)[0]


def _trap(prefix):
    """Greedy takes `a` (0.6) and then ends (0.4): 0.24. `b` (0.4) then <eos> (0.9) gives 0.36."""
    p = torch.full((len(TGT),), 1e-6)
    if prefix == (TGT["<bos>"],):
        p[TGT["a"]], p[TGT["b"]] = 0.6, 0.4
    elif prefix[-1] == TGT["a"]:
        p[EOS], p[TGT["a"]], p[TGT["b"]] = 0.4, 0.3, 0.3
    else:
        p[EOS], p[TGT["a"]], p[TGT["b"]] = 0.9, 0.05, 0.05
    return p.log()


def test_beam_search_finds_what_greedy_misses():
    best, raw, ids = _exhaustive(_trap, 3)
    assert TGT.to_tokens(ids) == ["b"] and raw == pytest.approx(math.log(0.4 * 0.9), abs=1e-5)
    greedy = _decode(_trap, 3, beam_size=1)
    assert greedy.tokens == ["a"] and greedy.score == pytest.approx(math.log(0.6 * 0.4), abs=1e-5)
    beam = _decode(_trap, 3, beam_size=2)
    assert beam.tokens == ["b"] and beam.score == pytest.approx(raw, abs=1e-5)


@pytest.mark.parametrize("alpha", [0.0, 0.75])
@pytest.mark.parametrize("seed", range(5))
def test_wide_beam_equals_exhaustive_search(seed, alpha):
    """With room for every hypothesis, beam search is exhaustive search (length-normalised too)."""
    def table(prefix):
        g = torch.Generator().manual_seed(hash((seed, *prefix)) % 2**31)
        return 2 * torch.randn(len(TGT), generator=g)

    best, raw, ids = _exhaustive(table, 3, alpha)
    beam = _decode(table, 3, beam_size=len(TGT) ** 3, alpha=alpha)
    assert beam.tokens == TGT.to_tokens(ids) and beam.score == pytest.approx(raw, abs=1e-5)
    narrow = _decode(table, 3, beam_size=2, alpha=alpha)  # never better than the optimum
    length = len(narrow.tokens) + (len(narrow.tokens) < 3)
    assert (narrow.score / length ** alpha if alpha else narrow.score) <= best + 1e-5


def test_beam_search_can_score_below_greedy():
    """Not a theorem: greedy's own hypothesis can fall out of a narrow beam."""
    def table(prefix):
        p = torch.full((len(TGT),), 1e-6)
        if len(prefix) == 1:
            p[TGT["a"]], p[TGT["b"]], p[EOS] = 0.5, 0.48, 0.02
        elif prefix[1:] == (TGT["a"],):  # greedy: a a (0.225); the beam prefers b a, b b (0.24 each)
            p[TGT["a"]], p[TGT["b"]], p[EOS] = 0.45, 0.44, 0.11
        elif prefix[1:] == (TGT["b"],):
            p[TGT["a"]], p[TGT["b"]] = 0.5, 0.5
        elif prefix[1:] == (TGT["a"], TGT["a"]):  # greedy's path, now out of the beam, ends surely
            p[EOS] = 1.0
        else:  # the paths the beam kept end badly
            p[EOS], p[TGT["a"]], p[TGT["b"]] = 0.1, 0.45, 0.45
        return p.log()

    greedy, beam = _decode(table, 3, beam_size=1), _decode(table, 3, beam_size=2)
    assert greedy.tokens == ["a", "a"] and greedy.score == pytest.approx(math.log(0.225), abs=1e-4)
    assert beam.score == pytest.approx(math.log(0.24 * 0.45), abs=1e-4)  # b a or b b, cut at 3 tokens


def _length_trap(prefix):
    """Only <eos> and `a` are possible. After <bos>: <eos> 0.5, a 0.5; after `a`: <eos> 0.2, a 0.8; after `a a`:
    <eos> 1. Every other token has logit -inf, so the probabilities are exactly these."""
    p = torch.zeros(len(TGT))
    if prefix == (TGT["<bos>"],):
        p[EOS], p[TGT["a"]] = 0.5, 0.5
    elif prefix[1:] == (TGT["a"],):
        p[EOS], p[TGT["a"]] = 0.2, 0.8
    else:
        p[EOS] = 1.0
    return p.log()


@pytest.mark.parametrize(("alpha", "num_steps", "tokens", "score"), [
    # Outputs and their raw scores sum(log p), <eos> included: [] log 0.5 = -0.6931 (L = 1),
    # [a] log(0.5 * 0.2) = log 0.1 = -2.3026 (L = 2), [a a] log(0.5 * 0.8 * 1) = log 0.4 = -0.9163 (L = 3).
    (0.0, 4, [], math.log(0.5)),            # raw scores only: -0.6931 > -0.9163 > -2.3026
    (0.2, 4, [], math.log(0.5)),            # [a a]: -0.9163 / 3^0.2 = -0.7356 < -0.6931
    (0.3, 4, ["a", "a"], math.log(0.4)),    # [a a]: -0.9163 / 3^0.3 = -0.6592 > -0.6931 (with L = 2, not
                                            # counting <eos>, it would be -0.9163 / 2^0.3 = -0.7444 and lose)
    (1.0, 4, ["a", "a"], math.log(0.4)),    # [a a]: -0.3054 > [] -0.6931 > [a] -1.1513
    # num_steps = 2: [a a] is cut after 2 tokens, no <eos> (its probability is 1 here, so raw is still log 0.4)
    # and L = num_steps = 2: -0.9163 / 2^0.3 = -0.7444 < -0.6931, so [] wins at alpha 0.3 ...
    (0.3, 2, [], math.log(0.5)),
    (1.0, 2, ["a", "a"], math.log(0.4)),    # ... and [a a] at alpha 1: -0.9163 / 2 = -0.4581 > -0.6931
])
def test_beam_length_normalisation_by_hand(alpha, num_steps, tokens, score):
    """The winner maximises sum(log p) / L^alpha (L: output tokens plus <eos>, or num_steps if cut);
    Translation.score is the raw sum(log p) of the winner, not the normalised one."""
    beam = _decode(_length_trap, num_steps, beam_size=2, alpha=alpha)
    assert beam.tokens == tokens
    # float32 log-softmax of exact probabilities: errors ~1e-7 relative
    assert beam.score == pytest.approx(score, rel=1e-6)
    _, raw, ids = _exhaustive(_length_trap, num_steps, alpha)  # the brute-force search agrees
    assert TGT.to_tokens(ids) == tokens and raw == pytest.approx(score, rel=1e-6)
