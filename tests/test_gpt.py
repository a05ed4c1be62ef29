"""Tests for d2lhelper.gpt: shapes, causality, the KV cache, sampling, bad inputs, the GPT-2 mapping."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from d2lhelper.gpt import GPT, Block, GPTConfig, KVCache, to_hf_gpt2

CFG = dict(vocab_size=50, block_size=16, n_layer=2, n_head=2, n_embd=16, dropout=0.0)


def make(seed: int = 0, **over) -> GPT:
    torch.manual_seed(seed)
    return GPT(GPTConfig(**{**CFG, **over})).eval()


def ids(B: int, T: int, seed: int = 1, V: int = 50) -> torch.Tensor:
    return torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(seed))


def test_shapes_loss_and_tied_weights():
    m = make()
    x = ids(3, 10)
    logits, loss = m(x)
    assert logits.shape == (3, 10, 50) and loss is None
    logits, loss = m(x, x)
    assert loss.shape == () and torch.allclose(loss, F.cross_entropy(logits.reshape(-1, 50), x.reshape(-1)))
    # at initialisation the model is close to uniform: loss near log(vocab) (measured 0.21 above it)
    assert abs(loss.item() - math.log(50)) < 0.5
    assert m.lm_head.weight is m.transformer.wte.weight
    # parameters by hand: embeddings, per block 2 LN + qkv + proj + MLP, final LN (tied head not counted twice)
    V, T, C, L = 50, 16, 16, 2
    per_block = 2 * 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + (C * 4 * C + 4 * C) + (4 * C * C + C)
    assert m.num_parameters() == V * C + T * C + L * per_block + 2 * C


def test_ignore_index_in_targets():
    m = make()
    x = ids(2, 8)
    y = x.clone()
    y[:, :4] = -1
    logits, loss = m(x, y)
    expected = F.cross_entropy(logits[:, 4:].reshape(-1, 50), x[:, 4:].reshape(-1))
    assert torch.allclose(loss, expected)


def test_causality_future_token_does_not_change_past_logits():
    m = make()
    x = ids(2, 12)
    y = x.clone()
    y[:, 7] = (y[:, 7] + 1) % 50
    a, _ = m(x)
    b, _ = m(y)
    assert torch.equal(a[:, :7], b[:, :7]) or (a[:, :7] - b[:, :7]).abs().max() < 1e-6
    assert (a[:, 7:] - b[:, 7:]).abs().max() > 1e-4          # the changed position and later ones do change


def test_attention_matches_written_out_math():
    torch.manual_seed(0)
    cfg = GPTConfig(**CFG)
    block = Block(cfg).eval()
    attn = block.attn
    x = torch.randn(2, 9, 16)
    q, k, v = attn.c_attn(x).split(16, dim=2)
    q, k, v = (t.view(2, 9, 2, 8).transpose(1, 2) for t in (q, k, v))
    scores = q @ k.transpose(-2, -1) / math.sqrt(8)
    scores = scores.masked_fill(~torch.ones(9, 9, dtype=torch.bool).tril(), float("-inf"))
    y = (scores.softmax(-1) @ v).transpose(1, 2).reshape(2, 9, 16)
    assert torch.allclose(attn(x), attn.c_proj(y), atol=1e-6)


def test_kv_cache_incremental_equals_full_forward():
    m = make(n_layer=3)
    x = ids(2, 16)
    full, _ = m(x)
    cache = m.new_cache()
    parts = [m(x[:, :5], kv_cache=cache)[0]]          # prompt of 5, then chunks of 1 and 3
    for t in range(5, 10):
        parts.append(m(x[:, t:t + 1], kv_cache=cache)[0])
    parts.append(m(x[:, 10:13], kv_cache=cache)[0])
    parts.append(m(x[:, 13:], kv_cache=cache)[0])
    inc = torch.cat(parts, dim=1)
    assert len(cache) == 16
    assert cache.keys[0].shape == (2, 2, 16, 8) and cache.values[2].shape == (2, 2, 16, 8)
    # measured max difference about 5e-7 (float32)
    assert (inc - full).abs().max().item() < 1e-5
    with pytest.raises(ValueError, match="block_size"):
        m(x[:, :1], kv_cache=cache)                    # the cache is full


def test_generate_deterministic_with_generator_and_cache_matches_no_cache():
    m = make()
    prompt = ids(2, 4)
    a = m.generate(prompt, 20, generator=torch.Generator().manual_seed(3))
    b = m.generate(prompt, 20, generator=torch.Generator().manual_seed(3))
    c = m.generate(prompt, 20, generator=torch.Generator().manual_seed(3), use_cache=False)
    assert a.shape == (2, 24) and a.dtype == torch.long
    assert torch.equal(a[:, :4], prompt) and torch.equal(a, b) and torch.equal(a, c)
    d = m.generate(prompt, 20, generator=torch.Generator().manual_seed(4))
    assert not torch.equal(a, d)
    assert a.max() < 50 and a.min() >= 0


def test_top_k_1_is_greedy():
    m = make()
    prompt = ids(1, 3)
    out = m.generate(prompt, 8, top_k=1, generator=torch.Generator().manual_seed(0))
    x = prompt
    for _ in range(8):
        nxt = m(x)[0][:, -1].argmax(-1, keepdim=True)
        x = torch.cat([x, nxt], 1)
    assert torch.equal(out, x)


def test_top_k_restricts_the_support():
    m = make()
    prompt = ids(1, 3)
    logits = m(prompt)[0][0, -1]
    top3 = set(logits.topk(3).indices.tolist())
    firsts = {int(m.generate(prompt, 1, top_k=3, generator=torch.Generator().manual_seed(s))[0, -1])
              for s in range(40)}
    assert firsts <= top3 and len(firsts) >= 2


def test_generate_past_block_size_and_keeps_training_mode():
    m = make()
    m.train()
    out = m.generate(ids(1, 10), 30, generator=torch.Generator().manual_seed(0))
    assert out.shape == (1, 40) and m.training
    same = m.generate(ids(1, 10), 30, generator=torch.Generator().manual_seed(0), use_cache=False)
    assert torch.equal(out, same)


@pytest.mark.parametrize("bad, match", [
    (torch.zeros(2, 3), "dtype torch.int64"),
    (torch.zeros(6, dtype=torch.long), r"shape \(batch, T\)"),
    (torch.zeros(1, 0, dtype=torch.long), r"T >= 1"),
    (torch.zeros(1, 17, dtype=torch.long), r"block_size \(16\), got 17"),
    (torch.full((1, 3), 50), r"\[0, 49\], got values in \[50, 50\]"),
    ([[1, 2]], "torch.Tensor"),
])
def test_bad_idx(bad, match):
    with pytest.raises((TypeError, ValueError), match=match):
        make()(bad)


@pytest.mark.parametrize("kw, match", [
    (dict(temperature=0.0), "temperature must be a float > 0, got 0.0"),
    (dict(temperature=-1), "temperature"),
    (dict(top_k=0), r"top_k must be None or an int in \[1, vocab_size=50\], got 0"),
    (dict(top_k=51), "got 51"),
    (dict(generator=0), "generator"),
])
def test_bad_generate_arguments(kw, match):
    with pytest.raises((TypeError, ValueError), match=match):
        make().generate(ids(1, 2), 3, **kw)


def test_bad_targets_cache_and_config():
    m = make()
    with pytest.raises(ValueError, match="targets must be a tensor of the shape of idx"):
        m(ids(2, 4), ids(2, 5))
    with pytest.raises(TypeError, match="kv_cache"):
        m(ids(1, 2), kv_cache=[])
    with pytest.raises(ValueError, match="max_new_tokens"):
        m.generate(ids(1, 2), -1)
    with pytest.raises(ValueError, match="n_embd must be divisible by n_head"):
        GPTConfig(n_embd=10, n_head=3)
    with pytest.raises(ValueError, match="dropout"):
        GPTConfig(dropout=1.0)
    with pytest.raises(TypeError, match="n_layer"):
        GPTConfig(n_layer=2.0)
    with pytest.raises(TypeError, match="config must be a GPTConfig"):
        GPT({"vocab_size": 10})
    assert len(KVCache(2)) == 0


def test_no_bias_variant_runs():
    m = make(bias=False)
    assert all(b is None for b in (m.transformer.h[0].attn.c_attn.bias, m.transformer.ln_f.bias))
    assert m(ids(1, 4))[0].shape == (1, 4, 50)
    with pytest.raises(ValueError, match="bias must be True"):
        to_hf_gpt2(m)


def test_hf_gpt2_mapping_same_parameters_and_logits():
    pytest.importorskip("transformers")
    m = make(seed=5)
    hf = to_hf_gpt2(m)
    assert sum(p.numel() for p in hf.parameters()) == m.num_parameters()
    x = ids(2, 16)
    with torch.no_grad():
        ours = m(x)[0]
        theirs = hf(x).logits
    # measured max difference about 1e-6 (float32; different kernels)
    assert (ours - theirs).abs().max().item() < 1e-4
    # a wrong mapping (no transpose of the Conv1D weights) would be caught: perturb and compare
    with torch.no_grad():
        hf.transformer.h[0].mlp.c_fc.weight.mul_(1.5)
        assert (hf(x).logits - ours).abs().max().item() > 1e-3
