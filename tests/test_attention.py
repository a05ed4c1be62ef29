"""Masked softmax, the attention scoring modules, multi-head attention and positional encoding."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import d2lhelper as d2l


def test_masked_softmax_zeroes_padding_and_rows_sum_to_one() -> None:
    torch.manual_seed(0)
    X = torch.randn(2, 3, 5) * 10
    for lens in (torch.tensor([2, 5]), torch.tensor([[1, 2, 3], [5, 4, 0]])):
        W = d2l.masked_softmax(X, lens)
        full = lens[:, None].expand(2, 3) if lens.ndim == 1 else lens
        for b in range(2):
            for q in range(3):
                n = int(full[b, q])
                if 0 < n < 5:
                    assert W[b, q, n:].abs().max().item() < 1e-6
                if n > 0:
                    assert torch.allclose(W[b, q, :n], torch.softmax(X[b, q, :n], -1), atol=1e-6)
        assert torch.allclose(W.sum(-1), torch.ones(2, 3), atol=1e-6)
    # no valid key: uniform, not NaN (the exact values are pinned in test_masked_softmax_zero_valid_len_is_uniform)
    torch.testing.assert_close(d2l.masked_softmax(X, torch.tensor([0, 0])), torch.full((2, 3, 5), 0.2),
                               rtol=0, atol=0)
    assert torch.equal(d2l.masked_softmax(X, None), torch.softmax(X, -1))


def test_masked_softmax_zero_valid_len_is_uniform() -> None:
    """The docstring: a row with valid_len 0 gets uniform weights 1/K over all K keys (not NaN, not zeros);
    the other rows are the softmax over their valid keys, as if the zero row were not there."""
    torch.manual_seed(0)
    X = torch.randn(3, 2, 4) * 5
    W = d2l.masked_softmax(X, torch.tensor([0, 4, 2]))
    # every masked score becomes the same finite value, so softmax over 4 equal scores: exactly 1/4
    assert torch.equal(W[0], torch.full((2, 4), 0.25))
    assert torch.equal(W[1], torch.softmax(X[1], -1))  # valid_len = K: no masking at all
    torch.testing.assert_close(W[2, :, :2], torch.softmax(X[2, :, :2], -1), rtol=1e-6, atol=0)
    assert torch.equal(W[2, :, 2:], torch.zeros(2, 2))  # padded keys: exactly 0
    # the same rows computed alone give the same weights: the zero row changes nothing elsewhere
    torch.testing.assert_close(W[1:], d2l.masked_softmax(X[1:], torch.tensor([4, 2])), rtol=0, atol=0)

    # 2-D valid_lens, one per query: query (0, 1) and query (1, 0) see no key
    lens = torch.tensor([[3, 0], [0, 1]])
    W = d2l.masked_softmax(X[:2], lens)
    assert torch.equal(W[0, 1], torch.full((4,), 0.25)) and torch.equal(W[1, 0], torch.full((4,), 0.25))
    torch.testing.assert_close(W[0, 0, :3], torch.softmax(X[0, 0, :3], -1), rtol=1e-6, atol=0)
    assert W[0, 0, 3].item() == 0.0
    assert torch.equal(W[1, 1], torch.tensor([1.0, 0.0, 0.0, 0.0]))  # one valid key takes all the weight


@pytest.mark.parametrize(("lens", "match"), [
    (torch.tensor([1, 2, 3]), r"valid_lens must have shape \(batch,\)=\(2,\)"),
    (torch.tensor([6, 1]), r"valid_lens must lie in \[0, 5\]"),
    (torch.tensor([-1, 1]), r"valid_lens must lie in \[0, 5\]"),
    (torch.tensor([1.5, 1.0]), "whole numbers"),
])
def test_masked_softmax_rejects_bad_valid_lens(lens: torch.Tensor, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        d2l.masked_softmax(torch.zeros(2, 3, 5), lens)


def test_masked_softmax_rejects_bool_lengths() -> None:
    with pytest.raises(TypeError, match="valid_lens must be a tensor of key counts"):
        d2l.masked_softmax(torch.zeros(1, 3, 5), torch.tensor([True]))


def test_masked_softmax_rejects_bad_scores() -> None:
    with pytest.raises(ValueError, match=r"X must be a tensor of shape \(batch, queries, keys\), got \(3, 5\)"):
        d2l.masked_softmax(torch.zeros(3, 5), None)


def test_dot_product_attention_matches_pytorch() -> None:
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 3, 8), torch.randn(2, 6, 8), torch.randn(2, 6, 4)
    lens = torch.tensor([2, 6])
    out = d2l.DotProductAttention()(q, k, v, lens)
    mask = torch.arange(6)[None, None, :] < lens[:, None, None]
    ref = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert torch.allclose(out, ref, atol=1e-6)


def test_scoring_modules_check_sizes() -> None:
    with pytest.raises(ValueError, match="query size 8 and key size 7"):
        d2l.DotProductAttention()(torch.zeros(1, 2, 8), torch.zeros(1, 3, 7), torch.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="3 keys and 4 values"):
        d2l.DotProductAttention()(torch.zeros(1, 2, 8), torch.zeros(1, 3, 8), torch.zeros(1, 4, 4))
    add = d2l.AdditiveAttention(query_size=5, key_size=7, num_hiddens=4)
    with pytest.raises(ValueError, match="keys must have size 7"):
        add(torch.zeros(1, 2, 5), torch.zeros(1, 3, 6), torch.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="num_hiddens must be a positive int"):
        d2l.AdditiveAttention(5, 7, 0)


def test_additive_attention_by_hand() -> None:
    torch.manual_seed(0)
    add = d2l.AdditiveAttention(query_size=5, key_size=7, num_hiddens=4)
    q, k, v = torch.randn(2, 3, 5), torch.randn(2, 6, 7), torch.randn(2, 6, 2)
    out = add(q, k, v, torch.tensor([3, 6]))
    b, i = 0, 1
    scores = torch.stack([add.w_v(torch.tanh(add.W_q(q[b, i]) + add.W_k(k[b, j]))).squeeze() for j in range(3)])
    assert torch.allclose(out[b, i], torch.softmax(scores, 0) @ v[b, :3], atol=1e-6)
    assert add.attention_weights.shape == (2, 3, 6)


def test_multihead_attention_matches_pytorch() -> None:
    torch.manual_seed(0)
    H, heads = 16, 4
    ours = d2l.MultiHeadAttention(H, heads, bias=True).eval()
    ref = nn.MultiheadAttention(H, heads, batch_first=True).eval()
    with torch.no_grad():
        Wq, Wk, Wv = ref.in_proj_weight.chunk(3)
        bq, bk, bv = ref.in_proj_bias.chunk(3)
        for lin, w, b in ((ours.W_q, Wq, bq), (ours.W_k, Wk, bk), (ours.W_v, Wv, bv),
                          (ours.W_o, ref.out_proj.weight, ref.out_proj.bias)):
            lin.weight.copy_(w)
            lin.bias.copy_(b)
    q, kv = torch.randn(3, 5, H), torch.randn(3, 7, H)
    lens = torch.tensor([7, 3, 1])
    out = ours(q, kv, kv, lens)
    expected, w = ref(q, kv, kv, key_padding_mask=torch.arange(7)[None, :] >= lens[:, None])
    assert (out - expected).abs().max().item() < 1e-5
    assert (ours.attention_weights.mean(1) - w).abs().max().item() < 1e-5
    assert ours.attention_weights.shape == (3, heads, 5, 7)


def test_multihead_attention_checks() -> None:
    with pytest.raises(ValueError, match="divisible by num_heads=3"):
        d2l.MultiHeadAttention(16, 3)
    with pytest.raises(ValueError, match="queries must have size 16"):
        d2l.MultiHeadAttention(16, 4)(torch.zeros(1, 2, 8), torch.zeros(1, 2, 16), torch.zeros(1, 2, 16))


def test_positional_encoding() -> None:
    pe = d2l.PositionalEncoding(6, max_len=50)
    t, j = 7, 1
    assert math.isclose(pe.P[0, t, 2 * j].item(), math.sin(t / 10000 ** (2 * j / 6)), abs_tol=1e-6)
    assert math.isclose(pe.P[0, t, 2 * j + 1].item(), math.cos(t / 10000 ** (2 * j / 6)), abs_tol=1e-6)
    X = torch.zeros(2, 10, 6)
    assert torch.equal(pe(X, offset=3), pe.P[:, 3:13].expand(2, -1, -1))
    assert d2l.PositionalEncoding(5).P.shape == (1, 1000, 5)  # odd sizes work too
    with pytest.raises(ValueError, match="offset must be an int >= 0, got -1"):
        pe(X, offset=-1)
    with pytest.raises(ValueError, match="exceed max_len=50"):
        pe(torch.zeros(1, 51, 6))
    with pytest.raises(ValueError, match=r"X must have shape \(batch, steps, 6\)"):
        pe(torch.zeros(1, 5, 4))
