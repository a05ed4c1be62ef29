"""Tests of d2lhelper.embeddings: random walks (uniform and node2vec), skip-gram pairs, negative sampling, SGNS loss."""
import math

import networkx as nx
import pytest
import torch

import d2lhelper as d2l


def _undirected(edges, num_nodes=None):
    """edge_index (2, 2E) listing both directions of each (a, b)."""
    e = torch.tensor(edges).T
    return torch.cat([e, e.flip(0)], dim=1)


# A triangle 0-1-2, a tail 1-3-4, and the isolated node 5.
TAIL = _undirected([(0, 1), (1, 2), (0, 2), (1, 3), (3, 4)])
N_TAIL = 6


def _edge_set(edge_index):
    return set(map(tuple, edge_index.T.tolist()))


def _node2vec_probs(edge_index, t, v, p, q):
    """The node2vec transition probabilities from v having come from t, by the definition (unweighted graph)."""
    edges = _edge_set(edge_index)
    nbrs = sorted({b for a, b in edges if a == v})
    w = [1 / p if x == t else 1.0 if (t, x) in edges else 1 / q for x in nbrs]
    return {x: wi / sum(w) for x, wi in zip(nbrs, w)}


def _assert_frequencies(samples, probs, sigmas=4.5):
    """Empirical frequencies of ``samples`` within ``sigmas`` binomial standard errors of ``probs``."""
    n = len(samples)
    assert n > 1000, n
    counts = torch.bincount(samples, minlength=max(probs) + 1).double() / n
    assert set(torch.nonzero(counts).flatten().tolist()) <= set(probs), "a walk left along a non-edge"
    for x, pr in probs.items():
        se = math.sqrt(pr * (1 - pr) / n)
        assert abs(counts[x].item() - pr) < sigmas * se + 1e-9, (x, counts[x].item(), pr, n)


@pytest.mark.parametrize(("p", "q"), [(1.0, 1.0), (0.25, 4.0), (4.0, 0.25)])
def test_walks_start_at_every_node_and_only_follow_edges(p, q):
    g = torch.Generator().manual_seed(0)
    G = nx.gnm_random_graph(30, 60, seed=1)
    ei = _undirected(list(G.edges()))
    walks = d2l.random_walks(ei, 30, 12, walks_per_node=3, p=p, q=q, generator=g)
    assert walks.shape == (90, 12) and walks.dtype == torch.int64
    assert torch.equal(walks[:, 0], torch.arange(30).repeat(3))
    edges = _edge_set(ei)
    deg = torch.bincount(ei[0], minlength=30)
    for a, b in zip(walks[:, :-1].flatten().tolist(), walks[:, 1:].flatten().tolist()):
        assert (a, b) in edges or (a == b and deg[a] == 0), (a, b)


def test_isolated_nodes_and_dead_ends_keep_the_walk_in_place():
    for p, q in ((1.0, 1.0), (0.5, 2.0)):
        walks = d2l.random_walks(TAIL, N_TAIL, 6, p=p, q=q, generator=torch.Generator().manual_seed(0))
        assert torch.equal(walks[5], torch.full((6,), 5))                  # isolated node 5
        directed = torch.tensor([[0], [1]])                                 # 0 -> 1, node 1 has no out-edge
        w = d2l.random_walks(directed, 3, 4, p=p, q=q)
        assert w.tolist() == [[0, 1, 1, 1], [1, 1, 1, 1], [2, 2, 2, 2]]
    # A graph without any edge: every walk stays where it starts.
    empty = d2l.random_walks(torch.zeros(2, 0, dtype=torch.long), 3, 3, p=2.0)
    assert empty.tolist() == [[0, 0, 0], [1, 1, 1], [2, 2, 2]]


def test_walk_length_one_and_repeatability():
    assert torch.equal(d2l.random_walks(TAIL, N_TAIL, 1, walks_per_node=2), torch.arange(6).repeat(2)[:, None])
    a = d2l.random_walks(TAIL, N_TAIL, 8, p=0.5, q=2.0, generator=torch.Generator().manual_seed(3))
    b = d2l.random_walks(TAIL, N_TAIL, 8, p=0.5, q=2.0, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_uniform_steps_are_uniform_over_out_edges_and_count_repeated_edges():
    # Node 1 has neighbours 0, 2, 3 (one edge each); a repeated edge 1 -> 3 makes 3 twice as likely.
    g = torch.Generator().manual_seed(0)
    walks = d2l.random_walks(TAIL, N_TAIL, 2, walks_per_node=6000, generator=g)
    _assert_frequencies(walks[walks[:, 0] == 1, 1], {0: 1 / 3, 2: 1 / 3, 3: 1 / 3})
    doubled = torch.cat([TAIL, torch.tensor([[1], [3]])], dim=1)
    walks = d2l.random_walks(doubled, N_TAIL, 2, walks_per_node=6000, generator=g)
    _assert_frequencies(walks[walks[:, 0] == 1, 1], {0: 0.25, 2: 0.25, 3: 0.5})


@pytest.mark.parametrize(("p", "q"), [(0.5, 2.0), (4.0, 0.25), (1.0, 1.0), (1.0, 3.0)])
def test_node2vec_second_step_matches_the_transition_probabilities(p, q):
    """From v = 1, having come from t, the next node follows alpha_pq(t, x) / Z: 1/p back, 1 to t's neighbours, 1/q away."""
    g = torch.Generator().manual_seed(1)
    walks = d2l.random_walks(TAIL, N_TAIL, 3, walks_per_node=12000, p=p, q=q, generator=g)
    for t, v in ((0, 1), (3, 1), (1, 3), (2, 0)):
        came = (walks[:, 0] == t) & (walks[:, 1] == v)
        probs = _node2vec_probs(TAIL, t, v, p, q)
        _assert_frequencies(walks[came, 2], probs)
    # e.g. t = 0, v = 1 with p = 0.5, q = 2: weights 2 (back to 0), 1 (to 2, a neighbour of 0), 0.5 (to 3).
    if (p, q) == (0.5, 2.0):
        assert _node2vec_probs(TAIL, 0, 1, p, q) == pytest.approx({0: 2 / 3.5, 2: 1 / 3.5, 3: 0.5 / 3.5})


def test_node2vec_later_steps_use_the_previous_node():
    # On a path 0-1-2-3-4 with tiny p the walk turns back almost always; with tiny q it almost never does.
    path = _undirected([(0, 1), (1, 2), (2, 3), (3, 4)])
    back = d2l.random_walks(path, 5, 10, walks_per_node=50, p=0.01, q=1.0, generator=torch.Generator().manual_seed(0))
    on = d2l.random_walks(path, 5, 10, walks_per_node=50, p=100.0, q=1.0, generator=torch.Generator().manual_seed(0))
    def returns(w):  # fraction of steps from an inner node (1, 2, 3) that go back: forced at the ends 0 and 4
        inner = (w[:, 1:-1] > 0) & (w[:, 1:-1] < 4)
        return (w[:, 2:] == w[:, :-2])[inner].double().mean().item()
    # probabilities 1/p / (1/p + 1/q): 100/101 and 0.01/1.01
    assert returns(back) > 0.97 and returns(on) < 0.03, (returns(back), returns(on))


def test_skipgram_pairs_by_hand():
    c, o = d2l.skipgram_pairs(torch.tensor([[10, 11, 12]]), window=1)
    assert sorted(zip(c.tolist(), o.tolist())) == [(10, 11), (11, 10), (11, 12), (12, 11)]
    c, o = d2l.skipgram_pairs(torch.tensor([10, 11, 12]), window=5)       # 1-D: one sequence; window > length
    assert sorted(zip(c.tolist(), o.tolist())) == [(10, 11), (10, 12), (11, 10), (11, 12), (12, 10), (12, 11)]
    walks = torch.arange(40).reshape(4, 10)
    c, o = d2l.skipgram_pairs(walks, window=3)
    assert len(c) == 4 * 2 * (9 + 8 + 7) and c.dtype == o.dtype == torch.int64
    assert ((c // 10) == (o // 10)).all() and ((c - o).abs() <= 3).all() and (c != o).all()   # same row, <= 3 apart


def test_skipgram_pairs_do_not_cross_sentences():
    c, o = d2l.skipgram_pairs([torch.tensor([1, 2]), torch.tensor([7]), torch.tensor([3, 4, 5])], window=2)
    pairs = sorted(zip(c.tolist(), o.tolist()))
    assert pairs == sorted([(1, 2), (2, 1), (3, 4), (4, 3), (4, 5), (5, 4), (3, 5), (5, 3)])
    c, o = d2l.skipgram_pairs(torch.tensor([[4]]), window=2)                # no pair in a one-token sequence
    assert c.numel() == o.numel() == 0


def test_negative_sampler_distribution():
    counts = torch.tensor([8, 0, 1, 27])
    s = d2l.NegativeSampler(counts)                                         # power 0.75: 8 -> 4.76, 1 -> 1, 27 -> 11.8
    w = torch.tensor([8 ** 0.75, 0, 1, 27 ** 0.75], dtype=torch.float64)
    torch.testing.assert_close(s.probs, w / w.sum())
    draws = s((200, 100), generator=torch.Generator().manual_seed(0))
    assert draws.shape == (200, 100) and draws.dtype == torch.int64
    _assert_frequencies(draws.flatten(), {i: s.probs[i].item() for i in (0, 2, 3)})   # token 1 never drawn
    uniform = d2l.NegativeSampler(counts.float(), power=0)
    torch.testing.assert_close(uniform.probs, torch.tensor([1 / 3, 0, 1 / 3, 1 / 3], dtype=torch.float64))
    assert s(5).shape == (5,)
    with pytest.raises(ValueError, match="shape must be an int >= 0"):
        s((2, -1))


def _logsig(x):
    return -math.log1p(math.exp(-x))


def test_skipgram_loss_equals_a_hand_computation():
    model = d2l.SkipGramNS(4, 2)
    with torch.no_grad():
        model.centre.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0], [0.5, 0.5], [-1.0, 1.0]]))
        model.context.weight.copy_(torch.tensor([[0.0, 1.0], [1.0, 1.0], [-2.0, 0.0], [0.3, -0.7]]))
    centres, contexts = torch.tensor([0, 1]), torch.tensor([1, 2])
    negatives = torch.tensor([[2, 3], [0, 3]])
    U, V = model.centre.weight.tolist(), model.context.weight.tolist()
    dot = lambda a, b: sum(x * y for x, y in zip(a, b))  # noqa: E731
    hand = []
    for c, o, negs in zip(centres.tolist(), contexts.tolist(), negatives.tolist()):
        hand.append(-_logsig(dot(U[c], V[o])) - sum(_logsig(-dot(U[c], V[n])) for n in negs))
    loss = model.loss(centres, contexts, negatives)
    assert loss.shape == () and loss.item() == pytest.approx(sum(hand) / 2, rel=1e-6)
    # pair 0: u_0.v_1 = 1, negatives u_0.v_2 = -2, u_0.v_3 = 0.3
    assert hand[0] == pytest.approx(math.log1p(math.exp(-1)) + math.log1p(math.exp(-2)) + math.log1p(math.exp(0.3)))
    assert torch.equal(model(torch.tensor([[3]])), model.centre.weight[3][None, None])
    assert model.embeddings.shape == (4, 2) and not model.embeddings.requires_grad


def test_skipgram_initial_loss_and_input_errors():
    model = d2l.SkipGramNS(10, 8)                                           # context vectors start at 0
    loss = model.loss(torch.tensor([0, 1]), torch.tensor([2, 3]), torch.tensor([[4, 5, 6], [7, 8, 9]]))
    assert loss.item() == pytest.approx(4 * math.log(2))                    # (1 + K) log 2 with K = 3
    with pytest.raises(ValueError, match="must agree in B"):
        model.loss(torch.tensor([0, 1]), torch.tensor([2]), torch.tensor([[4], [5]]))
    with pytest.raises(ValueError, match="negatives must have 2 dimension"):
        model.loss(torch.tensor([0]), torch.tensor([2]), torch.tensor([4]))
    with pytest.raises(TypeError, match="centres must hold int64"):
        model.loss(torch.tensor([0.0]), torch.tensor([2]), torch.tensor([[4]]))


def test_deepwalk_separates_two_communities():
    """End to end: walks + pairs + SGNS put the two cliques of a barbell graph apart."""
    torch.manual_seed(0)
    G = nx.barbell_graph(8, 0)                                              # cliques 0-7 and 8-15, one bridge
    ei = _undirected(list(G.edges()))
    g = torch.Generator().manual_seed(0)
    walks = d2l.random_walks(ei, 16, 10, walks_per_node=20, generator=g)
    centres, contexts = d2l.skipgram_pairs(walks, window=2)
    sampler = d2l.NegativeSampler(torch.bincount(walks.flatten(), minlength=16))
    model = d2l.SkipGramNS(16, 8)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for idx in torch.randperm(len(centres), generator=g).split(256):
        loss = model.loss(centres[idx], contexts[idx], sampler((len(idx), 3), generator=g))
        opt.zero_grad()
        loss.backward()
        opt.step()
    Z = torch.nn.functional.normalize(model.embeddings, dim=1)
    sim = Z @ Z.T
    side = torch.arange(16) >= 8
    same = sim[side[:, None] == side[None, :]].mean()
    other = sim[side[:, None] != side[None, :]].mean()
    assert same > other + 0.5, (same, other)


# --- word2vec helpers: subsampling, nearest neighbours, analogies (chapter 11.1) ---
from d2lhelper import embeddings as E  # noqa: E402

def test_subsample_keep_probs_formula():
    counts = torch.tensor([0, 1, 99, 900])                 # f = 0, 0.001, 0.099, 0.9
    keep = E.subsample_keep_probs(counts, t=0.01)
    expected = torch.tensor([1.0, 1.0, math.sqrt(0.01 / 0.099), math.sqrt(0.01 / 0.9)], dtype=torch.float64)
    torch.testing.assert_close(keep, expected)


def test_subsample_frequencies_and_order():
    g = torch.Generator().manual_seed(0)
    tokens = torch.cat([torch.zeros(9000, dtype=torch.long), torch.arange(1, 1001)])[torch.randperm(10000, generator=g)]
    kept = E.subsample(tokens, t=1e-3, generator=g)
    # token 0 has f = 0.9: kept with sqrt(1e-3 / 0.9) = 0.0333; the 1000 rare tokens always
    assert (kept != 0).sum().item() == 1000
    p = math.sqrt(1e-3 / 0.9)
    n0 = (kept == 0).sum().item()
    assert abs(n0 - 9000 * p) < 4.5 * math.sqrt(9000 * p * (1 - p)), n0
    rare = kept[kept != 0]
    assert torch.equal(rare, tokens[tokens != 0])          # order kept
    again = E.subsample(tokens, t=1e-3, generator=torch.Generator().manual_seed(5))
    assert torch.equal(again, E.subsample(tokens, t=1e-3, generator=torch.Generator().manual_seed(5)))


def test_subsample_bad_inputs():
    with pytest.raises(ValueError, match="t must be"):
        E.subsample(torch.tensor([0, 1]), t=0.0)
    with pytest.raises(TypeError, match="tokens must hold int64"):
        E.subsample(torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="tokens must be indices in \\[0, 2\\)"):
        E.subsample(torch.tensor([0, 5]), counts=torch.tensor([1, 1]))
    with pytest.raises(ValueError, match="counts must be"):
        E.subsample_keep_probs(torch.zeros(3))


def test_nearest_neighbours_and_analogy():
    emb = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0], [5.0, 5.0]])
    idx, sim = E.nearest_neighbours(emb, 0, k=3)
    assert idx.tolist() == [1, 4, 2]                       # cosine, not dot product: row 4 is long but at 45 degrees
    torch.testing.assert_close(sim, torch.tensor([0.9 / math.hypot(0.9, 0.1), math.sqrt(0.5), 0.0]))
    idx, _ = E.nearest_neighbours(emb, 0, k=2, exclude=[1])
    assert idx.tolist() == [4, 2]
    # a parallelogram: x_d = x_b - x_a + x_c
    words = torch.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    idx, sim = E.analogy(words, 0, 1, 2, k=1)
    unit = torch.nn.functional.normalize(words, dim=1)
    expected = torch.nn.functional.normalize(unit[1] - unit[0] + unit[2], dim=0) @ unit[3]
    assert idx.tolist() == [3] and sim.item() == pytest.approx(expected.item(), abs=1e-6)
    with pytest.raises(ValueError, match="query must be a token index"):
        E.nearest_neighbours(emb, 7)
    with pytest.raises(ValueError, match="k must be at most"):
        E.nearest_neighbours(emb, 0, k=5)
    with pytest.raises(ValueError, match="embeddings must be a 2-D floating-point"):
        E.analogy(torch.arange(4), 0, 1, 2)
    with pytest.raises(ValueError, match="c must be a token index"):
        E.analogy(words, 0, 1, 9)
