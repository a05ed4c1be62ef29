import pytest
import torch
from torch import nn

import d2lhelper as d2l


def _model_and_opt(seed=0):
    d2l.seed_everything(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    return model, torch.optim.Adam(model.parameters(), lr=0.01)


def _train(model, opt, steps, seed=1):
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        X, y = torch.randn(16, 4, generator=g), torch.randint(0, 3, (16,), generator=g)
        loss = nn.functional.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_round_trip_gives_identical_predictions(tmp_path):
    model, opt = _model_and_opt()
    _train(model, opt, 5)
    path = d2l.save_checkpoint(tmp_path / "sub" / "ckpt.pt", model, opt, epoch=5, history=[1.0, 0.5])
    assert path.exists() and not list(path.parent.glob("*.tmp"))
    fresh, fresh_opt = _model_and_opt(seed=99)
    meta = d2l.load_checkpoint(path, fresh, fresh_opt)
    assert meta == {"epoch": 5, "extra": {"history": [1.0, 0.5]}}
    X = torch.randn(10, 4)
    assert torch.equal(model(X), fresh(X))


def test_resuming_reproduces_the_uninterrupted_run(tmp_path):
    straight, opt = _model_and_opt()
    _train(straight, opt, 6)
    first, opt1 = _model_and_opt()
    _train(first, opt1, 3)
    d2l.save_checkpoint(tmp_path / "c.pt", first, opt1, epoch=3)
    resumed, opt2 = _model_and_opt(seed=5)
    d2l.load_checkpoint(tmp_path / "c.pt", resumed, opt2)
    g_state = torch.Generator().manual_seed(1)  # replay the data stream from step 3
    for _ in range(3):
        torch.randn(16, 4, generator=g_state), torch.randint(0, 3, (16,), generator=g_state)
    for _ in range(3):
        X, y = torch.randn(16, 4, generator=g_state), torch.randint(0, 3, (16,), generator=g_state)
        loss = nn.functional.cross_entropy(resumed(X), y)
        opt2.zero_grad()
        loss.backward()
        opt2.step()
    for a, b in zip(straight.parameters(), resumed.parameters()):
        assert torch.equal(a, b)


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    model, opt = _model_and_opt()
    path = d2l.save_checkpoint(tmp_path / "c.pt", model, epoch=1)
    before = path.read_bytes()

    def broken_save(obj, f):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        d2l.save_checkpoint(path, model, epoch=2)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_load_refuses_mismatches_and_code(tmp_path):
    model, opt = _model_and_opt()
    path = d2l.save_checkpoint(tmp_path / "c.pt", model)
    with pytest.raises(ValueError, match=r"does not fit the model: .*0.weight: checkpoint \(8, 4\) vs model \(8, 5\)"):
        d2l.load_checkpoint(path, nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3)))
    with pytest.raises(ValueError, match="holds no optimizer state"):
        d2l.load_checkpoint(path, model, opt)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        d2l.load_checkpoint(tmp_path / "missing.pt", model)
    evil = tmp_path / "evil.pt"
    torch.save({"model": {}, "payload": _Evil()}, evil)
    with pytest.raises(Exception, match="[Ww]eights only load failed|Unsupported global"):
        d2l.load_checkpoint(evil, model)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        d2l.save_checkpoint(tmp_path / "x.pt", "model")


class _Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def _state_devices(opt):
    return {(key, value.device.type) for state in opt.state.values() for key, value in state.items()}


def test_load_with_device_moves_the_model_before_the_optimizer_state(tmp_path, monkeypatch):
    """The optimizer's buffers are created on their parameters' device, so the model must move first."""
    model, opt = _model_and_opt()
    _train(model, opt, 2)
    d2l.save_checkpoint(tmp_path / "c.pt", model, opt, epoch=2)
    fresh, fresh_opt = _model_and_opt(seed=3)
    order = []
    monkeypatch.setattr(fresh, "to", lambda device: order.append(("model.to", str(device))) or fresh)
    original = fresh_opt.load_state_dict
    monkeypatch.setattr(fresh_opt, "load_state_dict", lambda sd: order.append(("optimizer", None)) or original(sd))
    d2l.load_checkpoint(tmp_path / "c.pt", fresh, fresh_opt, device="cpu")
    assert order == [("model.to", "cpu"), ("optimizer", None)]


def test_move_optimizer_state_follows_the_parameters():
    model, opt = _model_and_opt()
    _train(model, opt, 2)
    # As after model.to(gpu): the parameters moved, the buffers did not ("meta" stands in for the GPU).
    moved = [nn.Parameter(p.detach().to("meta")) for p in model.parameters()]
    meta_opt = torch.optim.Adam(moved, lr=0.01)
    for old, new in zip(model.parameters(), moved):
        meta_opt.state[new] = dict(opt.state[old])
    d2l.move_optimizer_state(meta_opt)
    assert _state_devices(meta_opt) == {("exp_avg", "meta"), ("exp_avg_sq", "meta"), ("step", "cpu")}
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer"):
        d2l.move_optimizer_state(model)


def test_fit_moves_the_optimizer_state_after_the_model(monkeypatch):
    import d2lhelper.train

    model, opt = _model_and_opt()
    calls = []
    monkeypatch.setattr(d2lhelper.train, "move_optimizer_state",
                        lambda o: calls.append((o, next(model.parameters()).device.type)))
    data = [(torch.randn(16, 4), torch.randint(0, 3, (16,)))]
    d2l.fit(model, data, None, loss_fn=nn.CrossEntropyLoss(), optimizer=opt, epochs=1, device="cpu",
            live_plot=False, progress=False)
    assert calls == [(opt, "cpu")]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_resume_on_the_gpu_trains(tmp_path):
    """Saved on the CPU, resumed on the GPU by fit: the optimizer's buffers must follow the model."""
    for optimizer in (torch.optim.Adam, lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)):
        d2l.seed_everything(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        opt = optimizer(model.parameters())
        _train(model, opt, 2)
        d2l.save_checkpoint(tmp_path / "c.pt", model, opt, epoch=2)
        fresh = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        fresh_opt = optimizer(fresh.parameters())
        d2l.load_checkpoint(tmp_path / "c.pt", fresh, fresh_opt)  # on the CPU
        data = [(torch.randn(16, 4), torch.randint(0, 3, (16,))) for _ in range(3)]
        d2l.fit(fresh, data, None, loss_fn=nn.CrossEntropyLoss(), optimizer=fresh_opt, epochs=1, device="cuda",
                live_plot=False, progress=False)
        assert {d for k, d in _state_devices(fresh_opt) if k != "step"} == {"cuda"}
