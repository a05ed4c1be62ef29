"""Tests of d2lhelper.bert: masking statistics, inputs, shapes, padding, caching, bad inputs, HF parameter counts."""
from __future__ import annotations

import pytest
import torch

from d2lhelper import bert
from d2lhelper.bert import (BertClassifier, BertConfig, BertForMaskedLM, BertModel, make_bert_inputs, mask_tokens,
                            pretrain_mlm)

CFG = BertConfig(vocab_size=50, max_len=16, n_layer=2, n_head=2, n_embd=16, ffn_hidden=32, dropout=0.1)


def test_mask_tokens_80_10_10_with_a_fixed_generator():
    ids = torch.randint(5, 1000, (200, 100), generator=torch.Generator().manual_seed(1))
    special = torch.zeros_like(ids, dtype=torch.bool)
    special[:, 0] = special[:, -1] = True
    special[:, 90:] = True                                    # padding-like tail
    g = torch.Generator().manual_seed(0)
    inputs, labels = mask_tokens(ids, special, 1000, 4, prob=0.15, generator=g)
    selected = labels != -100
    n_sel = int(selected.sum())
    eligible = int((~special).sum())
    assert eligible == 200 * 89
    # exact counts for this generator (a regression check) and their expected proportions
    masked = selected & (inputs == 4)
    unchanged = selected & (inputs == ids)
    random = selected & (inputs != 4) & (inputs != ids)
    counts = (n_sel, int(masked.sum()), int(random.sum()), int(unchanged.sum()))
    assert counts == (2668, 2143, 261, 264)           # measured with these generators
    assert sum(counts[1:]) == n_sel
    assert abs(n_sel / eligible - 0.15) < 0.01                # binomial sd 0.0027
    assert abs(counts[1] / n_sel - 0.80) < 0.02               # sd 0.0074
    assert abs(counts[2] / n_sel - 0.10) < 0.015              # random (a few random draws equal the original)
    assert abs(counts[3] / n_sel - 0.10) < 0.015
    assert not selected[special].any()                        # specials are never selected ...
    assert torch.equal(inputs[special], ids[special])         # ... nor changed
    assert torch.equal(labels[selected], ids[selected])       # labels hold the original ids
    assert (labels[~selected] == -100).all()
    assert torch.equal(inputs[~selected], ids[~selected])     # unselected positions untouched
    # the same generator state gives the same masks
    again = mask_tokens(ids, special, 1000, 4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(again[0], inputs) and torch.equal(again[1], labels)
    assert int((again[1] != -100).sum()) == counts[0]


def test_mask_tokens_prob_one_selects_every_ordinary_position():
    ids = torch.arange(5, 25).reshape(2, 10)
    special = torch.zeros_like(ids, dtype=torch.bool)
    special[:, 0] = True
    _, labels = mask_tokens(ids, special, 30, 4, prob=1.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(labels[:, 1:], ids[:, 1:]) and (labels[:, 0] == -100).all()


def test_make_bert_inputs_pairs_and_truncation():
    inp = make_bert_inputs([[5, 6, 7], [8, 9]], [[10], [11, 12, 13]], cls_id=2, sep_id=3, pad_id=0, max_len=10)
    assert inp.ids.tolist() == [[2, 5, 6, 7, 3, 10, 3, 0], [2, 8, 9, 3, 11, 12, 13, 3]]
    assert inp.segments.tolist() == [[0, 0, 0, 0, 0, 1, 1, 0], [0, 0, 0, 0, 1, 1, 1, 1]]
    assert inp.padding_mask.tolist() == [[False] * 7 + [True], [False] * 8]
    assert inp.special_mask.tolist()[0] == [True, False, False, False, True, False, True, True]
    assert inp.special_mask.tolist()[1] == [True, False, False, True, False, False, False, True]
    cut = make_bert_inputs([[5, 6, 7, 8, 9]], [[10, 11]], cls_id=2, sep_id=3, pad_id=0, max_len=7)
    assert cut.ids.tolist() == [[2, 5, 6, 3, 10, 11, 3]]          # longest first: a loses 3, b keeps 2
    one = make_bert_inputs([[5] * 20], cls_id=2, sep_id=3, pad_id=0, max_len=6)
    assert one.ids.tolist() == [[2, 5, 5, 5, 5, 3]] and one.segments.sum() == 0


def test_shapes_and_padding_does_not_change_real_tokens():
    torch.manual_seed(0)
    mlm = BertForMaskedLM(CFG).eval()
    short = make_bert_inputs([[5, 6, 7, 8]], cls_id=2, sep_id=3, pad_id=0, max_len=16)
    both = make_bert_inputs([[5, 6, 7, 8], list(range(5, 17))], cls_id=2, sep_id=3, pad_id=0, max_len=16)
    with torch.no_grad():
        a = mlm(short.ids, short.segments, short.padding_mask)
        b = mlm(both.ids, both.segments, both.padding_mask)
        c = mlm(both.ids, both.segments, None)                    # padding read as tokens
    assert a.shape == (1, 6, 50) and b.shape == (2, 14, 50)
    assert (a[0] - b[0, :6]).abs().max() < 1e-5
    assert (a[0] - c[0, :6]).abs().max() > 1e-4                # measured 1e-3
    clf = BertClassifier(CFG, num_classes=3, pad_id=0).eval()
    with torch.no_grad():
        assert clf(both.ids).shape == (2, 3)
        assert (clf(short.ids) - clf(both.ids)[:1]).abs().max() < 1e-5
    hidden, pooled = BertModel(CFG)(both.ids)
    assert hidden.shape == (2, 14, 16) and pooled.shape == (2, 16)
    assert BertModel(CFG, add_pooler=False)(both.ids)[1] is None


def test_mlm_head_is_tied_and_loss_uses_labelled_positions_only():
    torch.manual_seed(0)
    mlm = BertForMaskedLM(CFG)
    assert mlm.head.decoder.weight is mlm.bert.embeddings.token.weight
    ids = torch.randint(5, 50, (3, 10))
    labels = torch.full_like(ids, -100)
    labels[:, 2] = ids[:, 2]
    mlm.eval()
    logits = mlm(ids)
    expected = torch.nn.functional.cross_entropy(logits[:, 2], ids[:, 2])
    assert torch.allclose(mlm(ids, labels=labels), expected, atol=1e-6)


def test_load_encoder_copies_all_but_the_pooler():
    torch.manual_seed(0)
    mlm, clf = BertForMaskedLM(CFG), BertClassifier(CFG, 2)
    missing = bert.load_encoder(clf, mlm)
    assert missing == ["pooler.weight", "pooler.bias"]
    assert torch.equal(clf.bert.embeddings.token.weight, mlm.bert.embeddings.token.weight)
    assert torch.equal(clf.bert.layers[1].linear2.weight, mlm.bert.layers[1].linear2.weight)


def test_pretrain_mlm_learns_and_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("D2LHELPER_DATA", str(tmp_path))
    rows = [[5 + (i + j) % 10 for j in range(8)] for i in range(40)]       # a predictable sequence
    inp = make_bert_inputs(rows, cls_id=2, sep_id=3, pad_id=0, max_len=16)
    cfg = BertConfig(vocab_size=16, max_len=16, n_layer=1, n_head=2, n_embd=32, ffn_hidden=64, dropout=0.0)
    model, hist = pretrain_mlm(inp, cfg, mask_id=4, steps=60, batch_size=16, lr=3e-3, warmup=10, device="cpu")
    assert not hist["cached"] and len(hist["loss"]) == 60
    loss = hist["loss"]
    assert sum(loss[-10:]) / 10 < sum(loss[:10]) / 10 - 0.3     # it learns (log 16 = 2.77 at the start)
    files = list((tmp_path / "bert").glob("mlm-*.pt"))
    assert len(files) == 1 and not list((tmp_path / "bert").glob("*.tmp"))
    again, hist2 = pretrain_mlm(inp, cfg, mask_id=4, steps=60, batch_size=16, lr=3e-3, warmup=10, device="cpu")
    assert hist2["cached"] and hist2["loss"] == hist["loss"]
    assert all(torch.equal(p, q) for p, q in zip(model.state_dict().values(), again.state_dict().values()))


def test_train_wordpiece(tmp_path, monkeypatch):
    pytest.importorskip("tokenizers")
    monkeypatch.setenv("D2LHELPER_DATA", str(tmp_path))
    tok = bert.train_wordpiece(["the time traveller smiled", "the time machine"] * 20, vocab_size=60)
    assert [tok.token_to_id(t) for t in bert.SPECIAL_TOKENS] == [0, 1, 2, 3, 4]
    assert tok.decode(tok.encode("The time").ids) == "the time"


_TRAIN_IN_A_PROCESS = """
import json, sys
from d2lhelper import bert
texts = [" ".join(f"w{i % 97}x{j % 13}" for j in range(i, i + 9)) for i in range(400)]
tok = bert.train_wordpiece(texts, vocab_size=300, cache=sys.argv[1] == "1")
print(json.dumps(sorted(tok.get_vocab().items())))
"""


def test_train_wordpiece_cache_gives_every_process_the_same_vocabulary(tmp_path):
    """The trainer breaks ties in hash-map order (huggingface/tokenizers#1794); the cache pins the first result."""
    pytest.importorskip("tokenizers")
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, D2LHELPER_DATA=str(tmp_path))
    run = lambda cache: json.loads(subprocess.run([sys.executable, "-c", _TRAIN_IN_A_PROCESS, cache], env=env,
                                                  check=True, capture_output=True, text=True).stdout)
    first = run("1")
    files = list((tmp_path / "tokenizers").glob("wordpiece-*.json"))
    assert len(files) == 1 and not list((tmp_path / "tokenizers").glob("*.tmp"))
    assert all(run("1") == first for _ in range(3))
    # A damaged file is retrained and replaced, not an error.
    files[0].write_text("{not json")
    assert len(run("1")) == len(first) and json.loads(files[0].read_text())["model"]["type"] == "WordPiece"
    assert list((tmp_path / "tokenizers").glob("wordpiece-*.json")) == files


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_embd=30, n_head=4), "n_embd must be divisible by n_head"),
    (dict(dropout=1.5), "dropout must be a float in"),
    (dict(max_len=0), "max_len must be a positive int"),
])
def test_config_bad_values(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        BertConfig(vocab_size=10, **kwargs)


def test_bad_inputs():
    ids = torch.randint(5, 50, (2, 8))
    special = torch.zeros_like(ids, dtype=torch.bool)
    with pytest.raises(ValueError, match=r"prob must be a float in \(0, 1\], got 0"):
        mask_tokens(ids, special, 50, 4, prob=0)
    with pytest.raises(ValueError, match=r"mask_id must be in \[0, vocab_size=50\), got 50"):
        mask_tokens(ids, special, 50, 50)
    with pytest.raises(ValueError, match=r"special_mask must be a torch.bool tensor of shape \(2, 8\)"):
        mask_tokens(ids, special[:, :4], 50, 4)
    with pytest.raises(ValueError, match="ids must be an int64 tensor, got torch.float32"):
        mask_tokens(ids.float(), special, 50, 4)
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        mask_tokens(ids, special, 50, 4, generator=0)
    with pytest.raises(ValueError, match=r"max_len must be >= 5 for two segments, got 4"):
        make_bert_inputs([[5]], [[6]], cls_id=2, sep_id=3, pad_id=0, max_len=4)
    with pytest.raises(ValueError, match=r"second must have as many rows as first \(1\), got 2"):
        make_bert_inputs([[5]], [[6], [7]], cls_id=2, sep_id=3, pad_id=0, max_len=8)
    with pytest.raises(TypeError, match="first must be a non-empty list of lists"):
        make_bert_inputs("abc", cls_id=2, sep_id=3, pad_id=0, max_len=8)
    with pytest.raises(ValueError, match=r"second\[1\] contains pad_id=0 at position 1"):
        make_bert_inputs([[5], [6]], [[7], [8, 0]], cls_id=2, sep_id=3, pad_id=0, max_len=8)
    model = BertModel(CFG)
    with pytest.raises(ValueError, match=r"ids must have at most max_len=16 columns, got 20"):
        model(torch.zeros(1, 20, dtype=torch.long))
    with pytest.raises(ValueError, match=r"ids must hold values in \[0, 50\), got values in \[0, 60\]"):
        model(torch.tensor([[0, 60]]))
    with pytest.raises(ValueError, match=r"padding_mask must be a torch.bool tensor of shape \(2, 8\)"):
        model(ids, None, torch.zeros(2, 8))
    with pytest.raises(ValueError, match=r"pad_id must be in \[0, vocab_size=50\), got 99"):
        BertClassifier(CFG, 2, pad_id=99)
    with pytest.raises(ValueError, match="mlm must have the classifier's config"):
        bert.load_encoder(BertClassifier(CFG, 2), BertForMaskedLM(BertConfig(vocab_size=51, max_len=16)))


def test_parameter_counts_equal_transformers():
    transformers = pytest.importorskip("transformers")
    cfg = BertConfig(vocab_size=300, max_len=32, n_layer=2, n_head=4, n_embd=64, ffn_hidden=96)
    hf = transformers.BertConfig(**cfg.to_hf(), num_labels=3)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(BertModel(cfg)) == count(transformers.BertModel(hf))
    assert count(BertModel(cfg, add_pooler=False)) == count(transformers.BertModel(hf, add_pooling_layer=False))
    assert count(BertForMaskedLM(cfg)) == count(transformers.BertForMaskedLM(hf))
    assert count(BertClassifier(cfg, 3)) == count(transformers.BertForSequenceClassification(hf))
