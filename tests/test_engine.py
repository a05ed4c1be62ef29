"""The shared epoch engine: every trainer reads the host a fixed number of times per epoch, whatever the
number of batches; loaders that keep data on a device; mixed precision through each trainer.

``host_reads`` (conftest) counts the reads d2lhelper's own code makes: the CPU-side stand-in for
``torch.cuda.set_sync_debug_mode("error")``, which the CUDA test at the end uses where a GPU exists.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

import d2lhelper as d2l
from d2lhelper._engine import Stepper

from test_seq2seq import SPECIALS, _models


def _device_reads(reads: list[str]) -> list[str]:
    """Drop SeqDataLoader's per-epoch offset draw: a CPU generator's tensor, read on the CPU, never a device sync."""
    return [r for r in reads if not r.startswith("sequence.py")]


def _lm_reads(host_reads, num_batches: int, amp=None) -> list[str]:
    corpus = torch.randint(0, 6, (num_batches * 4 * 5 + 6,), generator=torch.Generator().manual_seed(0))
    train = d2l.SeqDataLoader(corpus, batch_size=4, num_steps=5)
    val = d2l.SeqDataLoader(corpus[: 4 * 5 * 3 + 6], batch_size=4, num_steps=5)
    torch.manual_seed(0)
    model = d2l.RNNLM(nn.GRU(6, 8, batch_first=True), 6)
    with host_reads() as reads:
        d2l.train_language_model(model, train, val, epochs=2, lr=0.5, device="cpu", amp=amp,
                                 live_plot=False, progress=False)
    assert sum(r.startswith("sequence.py") for r in reads) == 2 * 2, reads  # one offset per pass over a loader
    return _device_reads(reads)


@pytest.mark.parametrize("amp", [None, "bf16"])
def test_train_language_model_reads_the_host_a_fixed_number_of_times_per_epoch(host_reads, amp):
    few, many = _lm_reads(host_reads, 3, amp), _lm_reads(host_reads, 25, amp)
    assert len(few) == len(many), f"host reads grow with the batches: {few} vs {many}"
    assert len(many) <= 2 * 2, f"more than 2 reads per epoch (train sum, perplexity): {many}"


def test_perplexity_reads_the_host_once(host_reads):
    corpus = torch.randint(0, 6, (400,), generator=torch.Generator().manual_seed(0))
    model = d2l.RNNLM(nn.GRU(6, 8, batch_first=True), 6)
    with host_reads() as reads:
        d2l.perplexity(model, d2l.SeqDataLoader(corpus, batch_size=4, num_steps=5))
    assert len(_device_reads(reads)) == 1, reads


def _translation_batches(num_batches: int, V: int = 9):
    g = torch.Generator().manual_seed(0)
    X, Y = torch.randint(3, V, (8 * num_batches, 6), generator=g), torch.randint(3, V, (8 * num_batches, 6), generator=g)
    lens = torch.randint(1, 7, (8 * num_batches,), generator=g)
    return d2l.data.TensorLoader(X, lens, Y, lens.flip(0), batch_size=8)


@pytest.mark.parametrize("kind", ["gru", "bahdanau", "transformer"])
def test_train_seq2seq_reads_the_host_a_fixed_number_of_times_per_epoch(host_reads, kind):
    """The Transformer covers the attention layers' valid_lens checks, skipped inside the trainer."""
    vocab = d2l.Vocab([list("abcdef")], reserved_tokens=SPECIALS)

    def reads_for(num_batches):
        torch.manual_seed(0)
        model = _models(len(vocab))[kind]
        loader = _translation_batches(num_batches, len(vocab))
        with host_reads() as reads:
            d2l.train_seq2seq(model, loader, loader, tgt_vocab=vocab, epochs=2, device="cpu",
                              live_plot=False, progress=False)
        return reads

    few, many = reads_for(2), reads_for(12)
    assert len(few) == len(many), f"host reads grow with the batches: {few} vs {many}"
    assert len(many) <= 2 * 2, f"more than 2 reads per epoch (train sums, val sums): {many}"


def test_value_checks_still_run_outside_the_trainers():
    """values_trusted() is scoped to the trainers' loops: a reader's direct call is still checked."""
    attention = d2l.DotProductAttention(0.0)
    q = torch.randn(2, 3, 4)
    with pytest.raises(ValueError, match="valid_lens"):
        attention(q, q, q, torch.tensor([1, 9]))
    logits, Y = torch.randn(2, 4, 5), torch.randint(0, 5, (2, 4))
    with pytest.raises(ValueError, match=r"valid_lens must lie in \[0, 4\]"):
        d2l.masked_cross_entropy(logits, Y, torch.tensor([5, 1]))


class _Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 2)

    def forward(self, x, edge_index):
        return self.lin(x)


def test_train_node_classifier_reads_the_host_once_per_epoch(host_reads):
    n = 40
    g = torch.Generator().manual_seed(0)
    y = (torch.arange(n) >= n // 2).long()
    masks = [torch.arange(n) % 3 == k for k in range(3)]
    data = SimpleNamespace(x=torch.randn(n, 4, generator=g) + y[:, None], edge_index=torch.zeros(2, 0, dtype=torch.long),
                           y=y, train_mask=masks[0], val_mask=masks[1], test_mask=masks[2])

    def reads_for(epochs):
        torch.manual_seed(0)
        with host_reads() as reads:
            d2l.train_node_classifier(_Linear(), data, epochs=epochs, device="cpu", live_plot=False)
        return reads

    # the masks are checked and the split sizes counted once, before the loop; then one read per epoch
    short, long = reads_for(5), reads_for(10)
    assert len(long) - len(short) == 5, long


def test_tensor_loader_keeps_its_tensors_on_the_device_and_shuffles_the_same_everywhere():
    X, y = torch.arange(20.0).reshape(10, 2), torch.arange(10)
    here = d2l.data.TensorLoader(X, y, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(3))
    moved = d2l.data.TensorLoader(X, y, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(3),
                                  device="cpu")
    assert moved.device == torch.device("cpu") and all(t.device == torch.device("cpu") for t in moved.tensors)
    for (a, b), (c, d) in zip(here, moved):
        assert torch.equal(a, c) and torch.equal(b, d)
    assert sorted(torch.cat([b for _, b in moved]).tolist()) == list(range(10))


@pytest.mark.parametrize("random_iter", [False, True])
def test_seq_data_loader_cuts_batches_where_the_corpus_is(random_iter):
    corpus = torch.arange(200)
    a = d2l.SeqDataLoader(corpus, 4, 5, random_iter=random_iter, seed=1)
    b = d2l.SeqDataLoader(corpus, 4, 5, random_iter=random_iter, seed=1, device="cpu")
    assert b.corpus.device == torch.device("cpu")
    for (X1, Y1), (X2, Y2) in zip(a, b):
        assert torch.equal(X1, X2) and torch.equal(Y1, Y2) and torch.equal(Y2[:, :-1], X2[:, 1:])


def test_gram_matrix_does_not_overflow_in_half_precision():
    """Sum of 224*224 products of activations ~10: about 5e6, past float16's 65504."""
    Y = torch.full((2, 224, 224), 10.0)
    exact = d2l.gram_matrix(Y)
    assert torch.allclose(exact, torch.full((2, 2), 50.0))
    half = d2l.gram_matrix(Y.half())
    assert torch.isfinite(half).all() and half.dtype == torch.float32 and torch.allclose(half, exact)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        under = d2l.gram_matrix(Y)
    assert under.dtype == torch.float32 and torch.allclose(under, exact)
    # the naive float16 product overflows: the guard above is needed
    flat = Y.half().reshape(2, -1)
    assert not torch.isfinite(flat @ flat.T).all()


def test_stepper_scales_float16_losses_and_clips_after_unscaling():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    stepper = Stepper(model, opt, torch.device("cpu"), grad_clip=0.5, amp="fp16")
    assert stepper.scaler.is_enabled()
    loss = (model(torch.full((4, 3), 100.0)) ** 2).mean()
    stepper.step(loss)
    norm = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
    assert norm.item() == pytest.approx(0.5, rel=1e-4), "the gradient must be unscaled, then clipped"
    assert not Stepper(model, opt, torch.device("cpu"), amp="bf16").scaler.is_enabled()


@pytest.mark.parametrize("amp", ["bf16", "fp16"])
def test_each_trainer_trains_under_mixed_precision(amp):
    """Losses fall under autocast in every trainer (bfloat16 and float16 both run on the CPU)."""
    torch.manual_seed(0)
    corpus = torch.arange(300) % 6
    model = d2l.RNNLM(nn.GRU(6, 16, batch_first=True), 6)
    h = d2l.train_language_model(model, d2l.SeqDataLoader(corpus, 4, 5), epochs=4, lr=1.0, device="cpu",
                                 amp=amp, live_plot=False, progress=False)
    assert h["train_ppl"][-1] < h["train_ppl"][0]
    vocab = d2l.Vocab([list("abcdef")], reserved_tokens=SPECIALS)
    loader = _translation_batches(4, len(vocab))
    h = d2l.train_seq2seq(_models(len(vocab))["transformer"], loader, tgt_vocab=vocab, epochs=4, device="cpu",
                          amp=amp, live_plot=False, progress=False)
    assert h["train_loss"][-1] < h["train_loss"][0]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_training_steps_make_no_host_device_synchronisation_on_cuda():
    """On a GPU, PyTorch itself reports every synchronisation: inside the batch loops there must be none."""
    device = torch.device("cuda")
    X, y = torch.randn(256, 4), torch.randint(0, 3, (256,))
    loader = d2l.data.TensorLoader(X, y, batch_size=32, device=device)
    model = nn.Linear(4, 3).to(device)
    opt = torch.optim.Adam(model.parameters(), capturable=True)
    batches = iter(loader)
    next(batches)  # warm up allocations outside the checked region
    torch.cuda.set_sync_debug_mode("error")
    try:
        stepper = Stepper(model, opt, device, grad_clip=1.0, amp="bf16")
        for xb, yb in batches:
            with stepper.autocast():
                loss = nn.functional.cross_entropy(model(xb), yb)
            stepper.step(loss)
    finally:
        torch.cuda.set_sync_debug_mode(0)
