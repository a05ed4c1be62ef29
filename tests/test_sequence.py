import pytest
import torch

from d2lhelper.sequence import SeqDataLoader, seq_data_iter_random, seq_data_iter_sequential

CORPUS = torch.arange(35)


def test_random_sampling_windows():
    g = torch.Generator().manual_seed(0)
    batches = list(seq_data_iter_random(CORPUS, batch_size=2, num_steps=5, generator=g))
    X = torch.cat([b[0] for b in batches])
    Y = torch.cat([b[1] for b in batches])
    assert X.shape[1] == 5 and torch.equal(Y, X + 1)  # targets are the next tokens
    assert torch.all(X[:, 1:] - X[:, :-1] == 1)  # each row is a contiguous window
    starts = sorted(X[:, 0].tolist())
    assert all(b - a >= 5 for a, b in zip(starts, starts[1:]))  # windows do not overlap
    assert len(X) in (6, 5)  # (35 - offset - 1) // 5 windows


def test_sequential_batches_continue_each_other():
    g = torch.Generator().manual_seed(0)
    batches = list(seq_data_iter_sequential(CORPUS, batch_size=2, num_steps=5, generator=g))
    for (X0, _), (X1, _) in zip(batches, batches[1:]):
        assert torch.equal(X1[:, 0], X0[:, -1] + 1)  # row i of batch t+1 continues row i of batch t
    for X, Y in batches:
        assert X.shape == (2, 5) and torch.equal(Y, X + 1)


@pytest.mark.parametrize("random_iter", [False, True])
def test_loader_length_is_exact_for_every_offset(random_iter):
    loader = SeqDataLoader(torch.arange(1000), 4, 7, random_iter=random_iter, seed=0)
    counts = {sum(1 for _ in loader) for _ in range(30)}
    assert counts == {len(loader)}
    assert loader.sequential is not random_iter and loader.num_tokens == 1000


@pytest.mark.parametrize("kwargs, match", [
    (dict(corpus=torch.arange(5), batch_size=1, num_steps=5), r"num_steps \(5\) must be shorter than the corpus \(5 tokens\)"),
    (dict(corpus=torch.zeros(3, 3), batch_size=1, num_steps=1), r"corpus must be a 1-D tensor .* got \(3, 3\)"),
    (dict(corpus=torch.arange(20), batch_size=0, num_steps=2), "batch_size must be a positive int, got 0"),
    (dict(corpus=torch.arange(20), batch_size=8, num_steps=5), "too short for batches of 8 x 5"),
])
def test_loader_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SeqDataLoader(**kwargs)
