"""Encoder-decoder models, the masked loss, training and greedy/beam decoding (GRU and Transformer)."""
from __future__ import annotations

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
    for g, b in zip(greedy, beam):  # beam search never does worse on its own objective
        assert b.score >= g.score - 1e-4
    one = d2l.translate(model, " ".join(src[0]), vocab, vocab, 7)[0]  # a single str works too
    assert one.tokens == greedy[0].tokens and abs(one.score - greedy[0].score) < 1e-4
    assert 0.0 <= d2l.bleu([g.tokens for g in greedy], [t for _, t in pairs[:20]]) <= 1.0


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
