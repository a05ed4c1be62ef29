import numpy as np
import pytest
import torch

import d2lhelper as d2l


def quadratic(a: float, b: float):
    return lambda x1, x2: 0.5 * a * x1**2 + 0.5 * b * x2**2


def test_gd_on_a_quadratic_matches_the_closed_form_exactly():
    a, b, lr, steps = 0.4, 3.0, 0.3, 25
    x0 = torch.tensor([2.0, -1.5], dtype=torch.float64)
    path = d2l.trajectory_2d(quadratic(a, b), x0, steps, optimizer=lambda p: torch.optim.SGD(p, lr=lr))
    t = torch.arange(steps + 1, dtype=torch.float64)
    expected = torch.stack([(1 - lr * a) ** t * x0[0], (1 - lr * b) ** t * x0[1]], dim=1)
    assert path.shape == (steps + 1, 2) and path.dtype == torch.float64
    torch.testing.assert_close(path, expected, rtol=1e-12, atol=1e-14)


def test_a_hand_written_update_equals_torch_sgd_with_momentum():
    f = lambda x1, x2: (1 - x1) ** 2 + 5 * (x2 - x1**2) ** 2  # noqa: E731  not a quadratic
    lr, beta = 0.01, 0.9

    def heavy_ball(x, g, state):
        state["v"] = beta * state.get("v", torch.zeros_like(x)) + g
        return x - lr * state["v"]

    mine = d2l.trajectory_2d(f, (-1.0, 1.5), 40, update=heavy_ball)
    torch_ = d2l.trajectory_2d(f, (-1.0, 1.5), 40, optimizer=lambda p: torch.optim.SGD(p, lr=lr, momentum=beta))
    torch.testing.assert_close(mine, torch_, rtol=0, atol=1e-12)
    assert not torch.allclose(mine[1], mine[-1])  # it moved


def test_the_update_sees_the_gradient_and_keeps_its_state():
    seen = []

    def record(x, g, state):
        state["n"] = state.get("n", 0) + 1
        seen.append((x.clone(), g.clone(), state["n"]))
        return x - 0.1 * g

    d2l.trajectory_2d(lambda x1, x2: x1**2 + 3 * x2, (1.0, 2.0), 3, update=record)
    torch.testing.assert_close(seen[0][1], torch.tensor([2.0, 3.0], dtype=torch.float64))
    torch.testing.assert_close(seen[1][0], torch.tensor([0.8, 1.7], dtype=torch.float64))
    assert [n for *_, n in seen] == [1, 2, 3]


def test_zero_steps_returns_the_start_and_the_start_is_not_modified():
    x0 = torch.tensor([1.0, 2.0], dtype=torch.float64)
    path = d2l.trajectory_2d(quadratic(1, 1), x0, 0, update=lambda x, g, s: x - g)
    assert path.shape == (1, 2) and torch.equal(path[0], x0)
    d2l.trajectory_2d(quadratic(1, 1), x0, 3, update=lambda x, g, s: x.sub_(g))  # in-place update
    assert x0.tolist() == [1.0, 2.0]


def test_a_scheduler_changes_the_step_size():
    # lr halves after every step: x_t = prod_{k<t} (1 - lr_k) x0 with lr_k = 0.5 ** (k + 1)
    path = d2l.trajectory_2d(quadratic(1, 1), (1.0, 1.0), 4, optimizer=lambda p: torch.optim.SGD(p, lr=0.5),
                             scheduler=lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, 0.5))
    expected = np.cumprod([1.0] + [1 - 0.5 ** (k + 1) for k in range(4)])
    np.testing.assert_allclose(path[:, 0].numpy(), expected, rtol=1e-12)


def test_a_diverging_run_is_kept_not_stopped():
    path = d2l.trajectory_2d(quadratic(1, 4), (1.0, 1.0), 30, update=lambda x, g, s: x - 0.6 * g)
    assert path.shape == (31, 2)
    assert abs(path[-1, 1]) == pytest.approx(1.4**30) and abs(path[-1, 0]) < 1e-6  # |1 - 0.6*4| = 1.4


def test_trajectory_2d_validates():
    f = quadratic(1, 1)
    with pytest.raises(ValueError, match="give exactly one of optimizer .* got neither"):
        d2l.trajectory_2d(f, (1, 1), 3)
    with pytest.raises(ValueError, match="got both"):
        d2l.trajectory_2d(f, (1, 1), 3, optimizer=lambda p: torch.optim.SGD(p, lr=0.1), update=lambda x, g, s: x)
    with pytest.raises(TypeError, match="optimizer must be a function that returns a torch.optim.Optimizer"):
        d2l.trajectory_2d(f, (1, 1), 3, optimizer=lambda p: p)
    with pytest.raises(ValueError, match=r"x0 must be a pair .* got shape \(3,\)"):
        d2l.trajectory_2d(f, torch.zeros(3), 3, update=lambda x, g, s: x)
    with pytest.raises(ValueError, match=r"f must return one value .* got shape \(2,\)"):
        d2l.trajectory_2d(lambda x1, x2: torch.stack([x1, x2]), (1, 1), 3, update=lambda x, g, s: x)
    with pytest.raises(ValueError, match=r"update must return the next point .* got shape \(1,\) at step 0"):
        d2l.trajectory_2d(f, (1, 1), 3, update=lambda x, g, s: x[:1])


def test_steps_to_tolerance():
    assert d2l.steps_to_tolerance([4.0, 2.0, 1.0, 0.5], 1.0) == 2
    assert d2l.steps_to_tolerance(torch.tensor([4.0, float("nan"), 0.1]), 0.5) == 2  # nan is not "reached"
    assert d2l.steps_to_tolerance(np.array([0.0]), 0.0) == 0
    assert d2l.steps_to_tolerance([4.0, 3.0], 1.0) is None
    with pytest.raises(ValueError, match=r"values must be 1-D and non-empty, got shape \(2, 2\)"):
        d2l.steps_to_tolerance(torch.zeros(2, 2), 1.0)
    with pytest.raises(ValueError, match="tol must be a float >= 0"):
        d2l.steps_to_tolerance([1.0], -1.0)


def test_plot_draws_contours_and_one_line_per_trajectory():
    f = quadratic(1, 4)
    gd = d2l.trajectory_2d(f, (-2.0, 1.0), 10, update=lambda x, g, s: x - 0.1 * g)
    mom = d2l.trajectory_2d(f, (-2.0, 1.0), 10, optimizer=lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.5))
    ax = d2l.plot_trajectory_2d(f, {"GD": gd, "momentum": mom.numpy()}, title="paths", levels=[0.1, 1, 5])
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[0].get_xdata(), gd[:, 0].numpy())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["GD", "momentum"]
    assert ax.get_title() == "paths" and ax.get_xlabel() == "$x_1$"
    assert len(ax.collections) >= 1  # the contour set
    low, high = ax.get_xlim()  # 10% margin around x1 in [-2, 0]
    assert low == pytest.approx(-2.2, abs=0.05) and 0 < high < 0.5


def test_plot_limits_ignore_divergence_and_can_be_given():
    f = quadratic(1, 4)
    bad = d2l.trajectory_2d(f, (1.0, 1.0), 1000, update=lambda x, g, s: x - 1.0 * g)  # x2 * (-3)^t: inf, nan
    assert not torch.isfinite(bad).all()
    ax = d2l.plot_trajectory_2d(f, {"diverging": bad}, xlim=(-1, 1), ylim=(-2, 2))
    assert ax.get_xlim() == (-1, 1) and ax.get_ylim() == (-2, 2) and len(ax.lines) == 1
    path = torch.tensor([[0.0, 0.0], [1.0, 2.0], [float("inf"), 1.0]])
    ax = d2l.plot_trajectory_2d(f, {"a": path}, ylim=(-3, None))  # a missing side comes from the finite points
    assert ax.get_ylim() == pytest.approx((-3, 2.2)) and ax.get_xlim() == pytest.approx((-0.1, 1.1))
    only = d2l.plot_trajectory_2d(f, {}, xlim=(-1, 1), ylim=(-1, 1))
    assert len(only.lines) == 0 and only.get_legend() is None


def test_plot_validates():
    f = quadratic(1, 1)
    with pytest.raises(ValueError, match=r"trajectories\['a'\] must have shape \(T, 2\)"):
        d2l.plot_trajectory_2d(f, {"a": torch.zeros(3, 3)})
    with pytest.raises(ValueError, match="xlim and ylim must be given"):
        d2l.plot_trajectory_2d(f, {})
    with pytest.raises(ValueError, match="f must work elementwise"):
        d2l.plot_trajectory_2d(lambda x1, x2: x1.sum(), {"a": torch.zeros(2, 2)})
    with pytest.raises(ValueError, match="levels must be a positive int or a non-empty increasing"):
        d2l.plot_trajectory_2d(f, {"a": torch.zeros(2, 2)}, levels=[2, 1])
