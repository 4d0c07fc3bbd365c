"""SGD and Adam against a hand-written NumPy reference and against torch.optim.

Tests that step an optimizer take the `device` fixture (tests/conftest.py):
starting points and gradients are drawn on the host, then put on the device.
Argument and error checks compute nothing and stay on the CPU.
"""

import copy
import gc
import math
import weakref

import numpy as np
import pytest

import minigan as mg
from minigan import backend, nn, optim

STEPS = 5


def _grads(shape, seed=0):
    """A fixed sequence of gradients (the same for every implementation)."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(STEPS)]


def _start(shape=(3, 2), seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


def _run_minigan(make_opt, p0, grads, dtype="float64", device="cpu"):
    p = mg.nn.Parameter(mg.tensor(p0, dtype=dtype, device=device))
    opt = make_opt([p])
    for g in grads:
        opt.zero_grad()
        p.grad = mg.tensor(g, dtype=dtype, device=device)
        opt.step()
    assert p.device == device
    return p


def sgd_reference(p, grads, lr, momentum=0.0, weight_decay=0.0, dampening=0.0, nesterov=False):
    """torch.optim.SGD's rule, step by step (the first buffer is g itself, undamped)."""
    p, buf = p.copy(), None
    for g in grads:
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p


def adam_reference(p, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False):
    """Adam (Kingma & Ba, Algorithm 1) with bias correction, as torch.optim.Adam (AMSGrad: the largest v so far).

    decoupled=True is AdamW (Loshchilov & Hutter): p shrinks by lr * weight_decay instead of g growing by weight_decay * p.
    """
    b1, b2 = betas
    p, m, v, v_max = p.copy(), np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - b1**t)
        v_hat = (v_max if amsgrad else v) / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


SETTINGS = {
    "sgd": (lambda ps: optim.SGD(ps, lr=0.1), lambda p, g: sgd_reference(p, g, 0.1)),
    "sgd_momentum": (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda p, g: sgd_reference(p, g, 0.1, 0.9)),
    "sgd_momentum_wd": (
        lambda ps: optim.SGD(ps, lr=0.05, momentum=0.5, weight_decay=0.1),
        lambda p, g: sgd_reference(p, g, 0.05, 0.5, 0.1),
    ),
    "sgd_nesterov": (
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
        lambda p, g: sgd_reference(p, g, 0.1, 0.9, nesterov=True),
    ),
    "sgd_dampening_positional": (  # torch's positional order: lr, momentum, dampening, weight_decay, nesterov
        lambda ps: optim.SGD(ps, 0.05, 0.5, 0.3, 0.1),
        lambda p, g: sgd_reference(p, g, 0.05, 0.5, weight_decay=0.1, dampening=0.3),
    ),
    "adam": (lambda ps: optim.Adam(ps, lr=0.01), lambda p, g: adam_reference(p, g, 0.01)),
    "adam_amsgrad": (
        lambda ps: optim.Adam(ps, lr=0.01, betas=(0.5, 0.9), amsgrad=True),
        lambda p, g: adam_reference(p, g, 0.01, (0.5, 0.9), amsgrad=True),
    ),
    "adam_betas_wd": (
        lambda ps: optim.Adam(ps, lr=0.002, betas=(0.5, 0.99), eps=1e-6, weight_decay=0.01),
        lambda p, g: adam_reference(p, g, 0.002, (0.5, 0.99), 1e-6, 0.01),
    ),
    "adamw": (lambda ps: optim.AdamW(ps, lr=0.01), lambda p, g: adam_reference(p, g, 0.01, weight_decay=1e-2,
                                                                                 decoupled=True)),
    "adamw_amsgrad_positional": (  # torch's positional order: lr, betas, eps, weight_decay, amsgrad
        lambda ps: optim.AdamW(ps, 0.02, (0.5, 0.9), 1e-6, 0.3, True),
        lambda p, g: adam_reference(p, g, 0.02, (0.5, 0.9), 1e-6, 0.3, amsgrad=True, decoupled=True),
    ),
}


@pytest.mark.parametrize("name", list(SETTINGS))
def test_matches_numpy_reference_over_several_steps(name, device):
    make_opt, reference = SETTINGS[name]
    p0, grads = _start(), _grads((3, 2))
    p = _run_minigan(make_opt, p0, grads, device=device)
    np.testing.assert_allclose(p.numpy(), reference(p0, grads), rtol=1e-12, atol=1e-14)


def test_adam_first_step_moves_each_weight_by_lr(device):
    # bias correction makes step 1 exactly lr * sign(g) (up to eps): a hand check
    p0 = np.array([1.0, -2.0, 3.0])
    p = _run_minigan(lambda ps: optim.Adam(ps, lr=0.1), p0, [np.array([0.5, -3.0, 1e-3])], device=device)
    np.testing.assert_allclose(p.numpy(), p0 - 0.1 * np.array([1.0, -1.0, 1.0]), rtol=1e-6)


def test_sgd_momentum_by_hand(device):
    # b1 = g1, b2 = 0.9 b1 + g2; p = p0 - lr (b1 + b2)
    p = _run_minigan(lambda ps: optim.SGD(ps, lr=0.5, momentum=0.9), np.array([1.0]), [np.array([2.0]), np.array([1.0])],
                     device=device)
    np.testing.assert_allclose(p.numpy(), [1.0 - 0.5 * (2.0 + (0.9 * 2.0 + 1.0))])


TORCH_TWINS = {
    "sgd": lambda torch, ps: torch.optim.SGD(ps, lr=0.1),
    "sgd_momentum": lambda torch, ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
    "sgd_momentum_wd": lambda torch, ps: torch.optim.SGD(ps, lr=0.05, momentum=0.5, weight_decay=0.1),
    "sgd_nesterov": lambda torch, ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "sgd_dampening_positional": lambda torch, ps: torch.optim.SGD(ps, 0.05, 0.5, 0.3, 0.1),
    "adam": lambda torch, ps: torch.optim.Adam(ps, lr=0.01),
    "adam_amsgrad": lambda torch, ps: torch.optim.Adam(ps, lr=0.01, betas=(0.5, 0.9), amsgrad=True),
    "adam_betas_wd": lambda torch, ps: torch.optim.Adam(ps, lr=0.002, betas=(0.5, 0.99), eps=1e-6, weight_decay=0.01),
    "adamw": lambda torch, ps: torch.optim.AdamW(ps, lr=0.01),
    "adamw_amsgrad_positional": lambda torch, ps: torch.optim.AdamW(ps, 0.02, (0.5, 0.9), 1e-6, 0.3, True),
}


@pytest.mark.parametrize("name", list(SETTINGS))
def test_matches_torch_optim(name, device):
    torch = pytest.importorskip("torch")
    p0, grads = _start(), _grads((3, 2))
    p = _run_minigan(SETTINGS[name][0], p0, grads, device=device)
    tp = torch.nn.Parameter(torch.tensor(p0))
    topt = TORCH_TWINS[name](torch, [tp])
    for g in grads:
        topt.zero_grad()
        tp.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", list(SETTINGS))
def test_float32_stays_float32(name, device):
    p = _run_minigan(SETTINGS[name][0], _start(), _grads((3, 2)), dtype="float32", device=device)
    assert p.dtype == np.float32
    opt = SETTINGS[name][0]([p])
    p.grad = mg.tensor(np.ones((3, 2), dtype=np.float32), device=device)
    opt.step()
    opt.step()
    assert p.dtype == np.float32 and p.device == device
    for value in opt.state[p].values():
        assert not hasattr(value, "dtype") or value.dtype == np.float32
        assert not hasattr(value, "dtype") or backend.device_of(value) == device  # state lives by its parameter


@pytest.mark.parametrize("name", ["sgd_momentum_wd", "adam_betas_wd"])
def test_state_dict_round_trip_through_a_file_continues_identically(name, device, tmp_path):
    make_opt = SETTINGS[name][0]
    grads = _grads((3, 2), seed=5)
    p = mg.nn.Parameter(mg.tensor(_start(), dtype="float64", device=device))
    opt = make_opt([p])
    for g in grads[:2]:
        p.grad = mg.tensor(g, dtype="float64", device=device)
        opt.step()
    mg.save({"param": p, "optim": opt.state_dict()}, tmp_path / "ckpt.npz")
    checkpoint = mg.load(tmp_path / "ckpt.npz")

    q = mg.nn.Parameter(mg.tensor(checkpoint["param"], device=device))
    restored = make_opt([q])
    restored.param_groups[0]["lr"] = 123.0  # must be overwritten by the loaded groups
    restored.load_state_dict(checkpoint["optim"])
    assert restored.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    for value in restored.state[q].values():  # the loaded state went to the parameter's device
        assert not hasattr(value, "dtype") or backend.device_of(value) == device
    for g in grads[2:]:
        for param, o in ((p, opt), (q, restored)):
            param.grad = mg.tensor(g, dtype="float64", device=device)
            o.step()
    np.testing.assert_array_equal(q.numpy(), p.numpy())


def test_state_dict_uses_parameter_positions_like_torch(device):
    a = mg.nn.Parameter(mg.zeros(2, device=device))
    b = mg.nn.Parameter(mg.zeros(3, device=device))
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}])
    b.grad = mg.ones(3, device=device)
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    assert list(sd["state"]) == ["1"]  # only b has state, and b is parameter 1
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["lr"] == 1e-3
    assert sd["state"]["1"]["step"] == 1


def test_load_state_dict_rejects_mismatched_groups_and_shapes():
    a = mg.nn.Parameter(mg.zeros(2))
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    a.grad = mg.ones(2)
    opt.step()
    sd = opt.state_dict()
    other = optim.SGD([mg.nn.Parameter(mg.zeros(2)), mg.nn.Parameter(mg.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match="groups"):
        other.load_state_dict(sd)
    wrong = optim.SGD([mg.nn.Parameter(mg.zeros(5))], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"\(2,\).*\(5,\)"):
        wrong.load_state_dict(sd)


def test_load_state_dict_names_a_state_for_a_parameter_it_does_not_have():
    a = mg.nn.Parameter(mg.zeros(2))
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    groups = opt.state_dict()["param_groups"]
    for key in ("-1", "1", "w"):  # "-1" would silently be the last parameter, "1" past the end
        with pytest.raises(ValueError, match=rf"names parameter '{key}', but this optimizer has parameters 0..0"):
            opt.load_state_dict({"state": {key: {"momentum_buffer": np.ones(2, np.float32)}}, "param_groups": groups})


def test_torchs_conveniences_named_parameters_default_lr_and_no_empty_state(device):
    model = mg.nn.Linear(3, 2).to(device)
    opt = optim.SGD(model.named_parameters())  # torch 2.13 takes (name, parameter) pairs and lr=1e-3 by default
    assert opt.param_groups[0]["lr"] == 1e-3
    assert opt.param_groups[0]["params"] == list(model.parameters())
    before = model.bias.numpy().copy()
    model(mg.ones(4, 3, device=device)).sum().backward()
    opt.step()
    np.testing.assert_allclose(model.bias.numpy(), before - 1e-3 * 4, rtol=1e-6)  # the bias's gradient is 4
    assert opt.state_dict()["state"] == {}  # plain SGD keeps nothing per parameter, as torch's state_dict shows
    torch = pytest.importorskip("torch")
    assert torch.optim.SGD([torch.zeros(1)]).defaults["lr"] == 1e-3
    t = torch.nn.Parameter(torch.zeros(2))
    t_opt = torch.optim.SGD([t])
    t.grad = torch.ones(2)
    t_opt.step()
    assert t_opt.state_dict()["state"] == {}


def test_zero_grad_and_skipping_parameters_without_grad(device):
    a, b = mg.nn.Parameter(mg.ones(2, device=device)), mg.nn.Parameter(mg.ones(2, device=device))
    opt = optim.SGD([a, b], lr=1.0)
    a.grad = mg.ones(2, device=device)
    opt.step()
    np.testing.assert_array_equal(a.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(b.numpy(), [1.0, 1.0])  # no grad: left alone
    opt.zero_grad()
    assert a.grad is None


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="SGD got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="SGD: lr must be a number >= 0, got -1"):
        optim.SGD([mg.nn.Parameter(mg.zeros(1))], lr=-1)
    with pytest.raises(ValueError, match=r"Adam: betas\[0\] must be a number in \[0, 1\), got 1.0"):
        optim.Adam([mg.nn.Parameter(mg.zeros(1))], betas=(1.0, 0.999))
    p = [mg.nn.Parameter(mg.zeros(1))]
    for make, message in [
        (lambda: optim.SGD(p, lr=0.1, momentum=-0.9), "SGD: momentum must be a number >= 0, got -0.9"),
        (lambda: optim.SGD(p, lr="0.1"), "SGD: lr must be a number >= 0, got '0.1'"),
        (lambda: optim.Adam(p, eps=-1e-8), "Adam: eps must be a number >= 0, got -1e-08"),
        (lambda: optim.Adam(p, weight_decay=-0.1), "Adam: weight_decay must be a number >= 0"),
        (lambda: optim.Adam(p, betas=0.9), r"Adam: betas must be a pair \(beta1, beta2\), got 0.9"),
        (lambda: optim.Adam([{"params": p, "lr": -1.0}]), "Adam: lr must be a number >= 0, got -1.0"),  # per group too
        (lambda: optim.SGD(p, lr=0.1, nesterov=True), "SGD: nesterov=True needs momentum > 0 and dampening 0, "
                                                       "got momentum 0.0 and dampening 0.0"),
        (lambda: optim.SGD(p, 0.1, 0.9, 0.1, nesterov=True), "needs momentum > 0 and dampening 0, got momentum 0.9 "
                                                             "and dampening 0.1"),
    ]:
        with pytest.raises(ValueError, match=message):
            make()


def test_params_given_the_wrong_way_are_named():
    model = mg.nn.Linear(2, 2)
    for make, error, message in [
        (lambda: optim.Adam(model), TypeError, r"Adam: got the module Linear itself; pass its parameters"),
        (lambda: optim.Adam(model.parameters), TypeError, r"got the method 'parameters' itself; call it"),
        # list(tensor) would hand over its rows, copies the optimizer would update instead of the weight
        (lambda: optim.SGD(model.weight, lr=0.1), TypeError, r"SGD: params must be an iterable .* got one Tensor"),
        (lambda: optim.Adam([model.weight, model.weight]), ValueError, r"shape \(2, 2\) is given twice"),
        (lambda: optim.Adam([{"params": [model.bias]}, {"params": model.parameters()}]), ValueError, "given twice"),
    ]:
        with pytest.raises(error, match=message):
            make()


def test_loading_another_optimizers_state_is_refused():
    a = mg.nn.Parameter(mg.zeros(2))
    sgd = optim.SGD([a], lr=0.1, momentum=0.9)
    a.grad = mg.ones(2)
    sgd.step()
    with pytest.raises(ValueError, match="another kind of optimizer"):
        optim.Adam([mg.nn.Parameter(mg.zeros(2))]).load_state_dict(sgd.state_dict())
    old_sgd = {"state": {}, "param_groups": [{"lr": 0.1, "momentum": 0.9, "weight_decay": 0.0, "params": [0]}]}
    with pytest.raises(ValueError, match="another kind of optimizer"):  # fewer settings, but not SGD's later ones
        optim.RMSprop([mg.nn.Parameter(mg.zeros(2))]).load_state_dict(old_sgd)


@pytest.mark.parametrize("make, saved", [
    (lambda ps: optim.SGD(ps, lr=0.5, momentum=0.5, nesterov=True),
     {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.0}),
    (lambda ps: optim.Adam(ps, amsgrad=True), {"lr": 0.1, "betas": [0.5, 0.999], "eps": 1e-8, "weight_decay": 0.0}),
])
def test_a_state_saved_before_nesterov_dampening_and_amsgrad_loads_with_their_defaults(make, saved):
    # checkpoints written before SGD had dampening and nesterov, and Adam amsgrad, still resume
    opt = make([mg.nn.Parameter(mg.zeros(2))])
    opt.load_state_dict({"state": {}, "param_groups": [dict(saved, params=[0])]})
    group = opt.param_groups[0]
    assert group["lr"] == 0.1 and group.get("nesterov", False) is False and group.get("amsgrad", False) is False
    assert group.get("dampening", 0.0) == 0.0 and set(group) == set(make([mg.zeros(1)]).param_groups[0])


def test_numpy_float64_hyperparameters_keep_float32(device):
    # NumPy 2 trap: lr=np.float64(0.1) times a float32 array would be float64
    for make in (lambda ps: optim.SGD(ps, lr=np.float64(0.1), momentum=np.float64(0.9), weight_decay=np.float64(0.01)),
                 lambda ps: optim.Adam(ps, lr=np.float64(0.1), betas=(np.float64(0.9), np.float64(0.99)))):
        p = _run_minigan(make, _start(), _grads((3, 2)), dtype="float32", device=device)
        assert p.dtype == np.float32


# ------------------------------------------------ learning-rate schedulers, against PyTorch's
SCHEDULES = {
    "StepLR": dict(step_size=3, gamma=0.5),
    "MultiStepLR": dict(milestones=[2, 5, 5, 9], gamma=0.3),
    "ExponentialLR": dict(gamma=0.9),
    "LambdaLR": dict(lr_lambda=lambda epoch: 1.0 - epoch / 30.0),
    "LinearLR": dict(start_factor=0.25, end_factor=0.9, total_iters=7),
    "CosineAnnealingLR": dict(T_max=6, eta_min=1e-5),
}


def _two_groups(lib, opt_name):
    a, b = lib.zeros(3, requires_grad=True), lib.zeros(2, requires_grad=True)
    return getattr(lib.optim, opt_name)([{"params": [a]}, {"params": [b], "lr": 0.03}], lr=0.1)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedulers_give_pytorchs_rates_to_the_last_bit(name):
    torch = pytest.importorskip("torch")
    ours_opt, theirs_opt = _two_groups(mg, "SGD"), _two_groups(torch, "SGD")
    ours = getattr(optim.lr_scheduler, name)(ours_opt, **SCHEDULES[name])
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **SCHEDULES[name])
    assert ours.get_last_lr() == theirs.get_last_lr()
    for _ in range(25):  # past every milestone, and twice around the cosine
        ours_opt.step(), theirs_opt.step()
        ours.step(), theirs.step()
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert [g["lr"] for g in ours_opt.param_groups] == [g["lr"] for g in theirs_opt.param_groups]


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_a_resumed_schedule_continues_where_it_stopped(name, tmp_path):
    opt = _two_groups(mg, "Adam")
    sched = getattr(optim.lr_scheduler, name)(opt, **SCHEDULES[name])
    for _ in range(4):
        sched.step()
    mg.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "ckpt.npz")
    expected = []
    for _ in range(8):
        sched.step()
        expected.append(sched.get_last_lr())

    state = mg.load(tmp_path / "ckpt.npz")
    opt2 = _two_groups(mg, "Adam")
    sched2 = getattr(optim.lr_scheduler, name)(opt2, **SCHEDULES[name])  # made first: it sets the rates of epoch 0
    opt2.load_state_dict(state["opt"])  # then the saved rates replace them, as PyTorch's docs prescribe
    sched2.load_state_dict(state["sched"])
    for want in expected:
        sched2.step()
        assert sched2.get_last_lr() == want


def _closed_form(name, base, t):
    """Each schedule's rate at epoch t by its closed formula (PyTorch's documentation), for SCHEDULES' settings."""
    return {
        "StepLR": lambda: base * 0.5 ** (t // 3),
        "MultiStepLR": lambda: base * 0.3 ** sum(m <= t for m in [2, 5, 5, 9]),  # 5 twice: two decays at epoch 5
        "ExponentialLR": lambda: base * 0.9**t,
        "LambdaLR": lambda: base * (1.0 - t / 30.0),
        "LinearLR": lambda: base * (0.25 + (0.9 - 0.25) * min(t, 7) / 7),
        "CosineAnnealingLR": lambda: 1e-5 + (base - 1e-5) * (1 + math.cos(math.pi * t / 6)) / 2,
    }[name]()


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedulers_follow_their_closed_formulas(name):
    # without torch: PyTorch's step-by-step updates round differently, so up to rounding
    opt = _two_groups(mg, "SGD")
    sched = getattr(optim.lr_scheduler, name)(opt, **SCHEDULES[name])
    for t in range(25):  # epoch 0 is set on construction; then past every milestone, and twice around the cosine
        if t:
            opt.step()
            sched.step()
        want = [_closed_form(name, base, t) for base in (0.1, 0.03)]
        np.testing.assert_allclose(sched.get_last_lr(), want, rtol=1e-9, atol=1e-15, err_msg=f"epoch {t}")
        assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()


class _Warmup:
    """A learning-rate rule with state of its own: LambdaLR saves such an object's attributes."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.steps)


def test_lambda_lr_per_group_saves_a_callable_objects_state_as_pytorch_does():
    torch = pytest.importorskip("torch")
    ours_opt, theirs_opt = _two_groups(mg, "SGD"), _two_groups(torch, "SGD")
    ours = optim.lr_scheduler.LambdaLR(ours_opt, [_Warmup(4), lambda e: 0.9**e])
    theirs = torch.optim.lr_scheduler.LambdaLR(theirs_opt, [_Warmup(4), lambda e: 0.9**e])
    for _ in range(6):
        ours_opt.step(), theirs_opt.step()
        ours.step(), theirs.step()
        assert [g["lr"] for g in ours_opt.param_groups] == [g["lr"] for g in theirs_opt.param_groups]
    state = ours.state_dict()
    assert state["lr_lambdas"] == theirs.state_dict()["lr_lambdas"] == [{"steps": 4}, None]
    fresh = optim.lr_scheduler.LambdaLR(_two_groups(mg, "SGD"), [_Warmup(99), lambda e: 1.0])
    fresh.load_state_dict(state)
    assert fresh.lr_lambdas[0].steps == 4 and fresh.last_epoch == ours.last_epoch


def test_cosine_schedule_started_mid_way_with_last_epoch_matches_pytorch():
    def rates(lib):
        opt = _two_groups(lib, "SGD")
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]  # what a scheduler made earlier would have left there
        sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.01, last_epoch=3)
        seen = []
        for _ in range(14):  # down to eta_min and up again
            opt.step()
            sched.step()
            seen.append([g["lr"] for g in opt.param_groups])
        return seen

    ours = rates(mg)
    # by hand: made with last_epoch=3, the scheduler takes its first step to epoch 4 and keeps the rate
    # the group holds (lr); torch's rule is a ratio of cosine terms from there, so the ratios multiply out
    # to (1 + cos(pi t / 10)) / (1 + cos(4 pi / 10)) down to eta_min at epoch 10; past the bottom it
    # climbs the plain cosine from the initial lr again
    def by_hand(lr, t):
        if t <= 10:
            return 0.01 + (lr - 0.01) * (1 + math.cos(math.pi * t / 10)) / (1 + math.cos(math.pi * 4 / 10))
        return 0.01 + (lr - 0.01) * (1 + math.cos(math.pi * t / 10)) / 2

    np.testing.assert_allclose(ours, [[by_hand(0.1, t), by_hand(0.03, t)] for t in range(5, 19)], rtol=1e-9)
    np.testing.assert_allclose(ours[5], [0.01, 0.01], rtol=1e-9)  # epoch 10: the bottom
    torch = pytest.importorskip("torch")
    assert ours == rates(torch)


def test_scheduler_errors_name_the_fix():
    opt = _two_groups(mg, "SGD")
    with pytest.raises(TypeError, match="StepLR: expected an optimizer"):
        optim.lr_scheduler.StepLR([mg.zeros(1)], step_size=1)
    with pytest.raises(KeyError, match="load the optimizer's state_dict"):
        optim.lr_scheduler.StepLR(opt, step_size=1, last_epoch=4)
    with pytest.raises(ValueError, match="expected 2 lr_lambdas"):
        optim.lr_scheduler.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="start_factor must be in"):
        optim.lr_scheduler.LinearLR(opt, start_factor=0.0)
    # an optimizer state saved before any scheduler still loads into one that has a scheduler
    plain = _two_groups(mg, "SGD").state_dict()
    optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    opt.load_state_dict(plain)


def rmsprop_reference(p, grads, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    """torch.optim.RMSprop's rule (as its documentation writes it), step by step, in float64."""
    p, v, g_avg, buf = p.astype(np.float64), 0.0, 0.0, 0.0
    for g in grads:
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
        step = g / (np.sqrt(v - g_avg * g_avg if centered else v) + eps)
        if momentum:
            buf = momentum * buf + step
            step = buf
        p = p - lr * step
    return p


@pytest.mark.parametrize("settings", [dict(lr=0.01), dict(lr=5e-3, alpha=0.9, eps=1e-6, weight_decay=0.1),
                                      dict(lr=0.01, momentum=0.9), dict(lr=0.01, centered=True, momentum=0.5)])
def test_rmsprop_matches_torch(settings, device):
    rng = np.random.default_rng(4)
    w0 = rng.standard_normal((3, 4)).astype(np.float32)
    grads = [rng.standard_normal((3, 4)).astype(np.float32) for _ in range(6)]
    ours = mg.tensor(w0, requires_grad=True, device=device)
    opt = optim.RMSprop([ours], **settings)
    path = []
    for k, g in enumerate(grads, start=1):
        ours.grad = mg.tensor(g, device=device)
        opt.step()
        path.append(ours.numpy().copy())
        np.testing.assert_allclose(path[-1], rmsprop_reference(w0, grads[:k], **settings), rtol=1e-5, atol=1e-6)
    assert ours.dtype == np.float32
    saved = opt.state_dict()
    again = optim.RMSprop([mg.tensor(w0, requires_grad=True, device=device)], **settings)
    again.load_state_dict(saved)
    assert set(again.state_dict()["state"]["0"]) == set(saved["state"]["0"])
    with pytest.raises(ValueError, match="alpha must be a number >= 0"):
        optim.RMSprop([ours], alpha=-1)
    torch = pytest.importorskip("torch")
    theirs = torch.tensor(w0, requires_grad=True)
    topt = torch.optim.RMSprop([theirs], **settings)
    for g, step in zip(grads, path):
        theirs.grad = torch.from_numpy(g)
        topt.step()
        np.testing.assert_allclose(step, theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_add_param_group_as_in_torch(device):
    rng = np.random.default_rng(0)
    a0, b0, ga, gb = (rng.standard_normal(3) for _ in range(4))

    def run(lib, params, **dev):
        a, b = params
        opt = lib.optim.Adam([a], lr=0.1, betas=(0.5, 0.9))
        opt.add_param_group({"params": b, "lr": 0.01})  # one tensor, as torch allows; the other settings inherited
        for _ in range(2):
            a.grad, b.grad = (lib.tensor(g, dtype=lib.float64, **dev) for g in (ga, gb))
            opt.step()
        return ([p.detach().cpu().numpy() for p in (a, b)], [g["lr"] for g in opt.param_groups],
                [tuple(g["betas"]) for g in opt.param_groups])

    ours = [mg.nn.Parameter(mg.tensor(v, dtype="float64", device=device)) for v in (a0, b0)]
    ours_values, ours_lr, ours_betas = run(mg, ours, device=device)
    # by hand: each group steps with its own lr, and the new group took the first group's betas
    np.testing.assert_allclose(ours_values[0], adam_reference(a0, [ga, ga], 0.1, (0.5, 0.9)), rtol=1e-12)
    np.testing.assert_allclose(ours_values[1], adam_reference(b0, [gb, gb], 0.01, (0.5, 0.9)), rtol=1e-12)
    assert ours_lr == [0.1, 0.01] and ours_betas == [(0.5, 0.9)] * 2
    opt = optim.SGD(ours[:1], lr=0.1)
    with pytest.raises(ValueError, match="given twice"):
        opt.add_param_group({"params": ours[:1]})
    with pytest.raises(ValueError, match="SGD: lr must be a number >= 0, got -1"):
        opt.add_param_group({"params": ours[1:], "lr": -1})
    assert len(opt.param_groups) == 1  # a refused group is not added
    torch = pytest.importorskip("torch")
    their_values, their_lr, their_betas = run(torch, [torch.nn.Parameter(torch.tensor(v)) for v in (a0, b0)])
    for x, y in zip(ours_values, their_values):
        np.testing.assert_allclose(x, y, rtol=1e-12)
    assert ours_lr == their_lr and ours_betas == their_betas


# ------------------------------------------------ mistakes and edge cases (bug-fix round)
def test_a_non_leaf_tensor_is_refused_as_torch_refuses_it():
    w = mg.randn(3, 1, requires_grad=True) * 0.1  # a classic slip: w is the product, its .grad never filled
    with pytest.raises(ValueError, match=r"SGD: can't optimize a non-leaf Tensor: the tensor of shape \(3, 1\) .*"
                                         r"grad_fn=<Mul>.*\(minigan.randn\(3, 1\) \* 0.1\).requires_grad_\(\)"):
        optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.Adam([mg.nn.Parameter(mg.zeros(2))]).add_param_group({"params": [w]})
    leaf = (mg.randn(3, 1) * 0.1).requires_grad_()  # what the message suggests trains
    opt = optim.SGD([leaf], lr=0.1)
    leaf.grad = mg.ones(3, 1)
    before = leaf.numpy().copy()
    opt.step()
    np.testing.assert_allclose(leaf.numpy(), before - 0.1, rtol=1e-6)
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        torch.optim.SGD([torch.randn(3, 1, requires_grad=True) * 0.1], lr=0.1)


OVERFLOWING = {  # g * g = 1e40 is inf in float32: m / sqrt(inf) froze the weight
    "adam": lambda lib, ps: lib.optim.Adam(ps, lr=1.0),
    "adamw": lambda lib, ps: lib.optim.AdamW(ps, lr=1.0),
    "adam_amsgrad": lambda lib, ps: lib.optim.Adam(ps, lr=1.0, amsgrad=True),
    "rmsprop": lambda lib, ps: lib.optim.RMSprop(ps, lr=1.0),
}


@pytest.mark.parametrize("name", sorted(OVERFLOWING))
def test_a_gradient_whose_square_overflows_float32_still_steps_as_in_torch(name, device):
    # v += (1 - b2) * g * g, left to right as torch's addcmul: (1 - b2) * g first (also in the fused GPU kernel)
    p = mg.zeros(2, requires_grad=True, device=device)
    opt = OVERFLOWING[name](mg, [p])
    p.grad = mg.tensor([1e20, -1e20], device=device)
    opt.step()
    assert np.isfinite(p.numpy()).all() and p.dtype == np.float32
    # by hand: Adam's first step is lr against the gradient's sign; RMSprop's g / sqrt(0.01 g^2) = 10
    np.testing.assert_allclose(p.numpy(), [-10.0, 10.0] if name == "rmsprop" else [-1.0, 1.0], rtol=1e-6)
    torch = pytest.importorskip("torch")
    t = torch.zeros(2, requires_grad=True)
    t_opt = OVERFLOWING[name](torch, [t])
    t.grad = torch.tensor([1e20, -1e20])
    t_opt.step()
    np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-6)


def test_adam_and_adamw_refuse_each_others_state_and_old_states_still_load():
    def saved(make):
        p = mg.nn.Parameter(mg.zeros(2))
        opt = make([p], weight_decay=0.5)
        p.grad = mg.ones(2)
        opt.step()
        return opt.state_dict()

    adam, adamw = saved(optim.Adam), saved(optim.AdamW)
    # torch 2.13 records the rule in the groups too
    assert adam["param_groups"][0]["decoupled_weight_decay"] is False
    assert adamw["param_groups"][0]["decoupled_weight_decay"] is True
    with pytest.raises(ValueError, match=r"Adam.load_state_dict: the state has decoupled_weight_decay=True, this "
                                         r"Adam False: it was saved from another kind of optimizer"):
        optim.Adam([mg.nn.Parameter(mg.zeros(2))]).load_state_dict(adamw)
    with pytest.raises(ValueError, match="AdamW.load_state_dict: the state has decoupled_weight_decay=False"):
        optim.AdamW([mg.nn.Parameter(mg.zeros(2))]).load_state_dict(adam)
    with pytest.raises(ValueError, match=r"Adam: decoupled_weight_decay=True is AdamW's rule; use optim.AdamW"):
        optim.Adam([{"params": [mg.nn.Parameter(mg.zeros(2))], "decoupled_weight_decay": True}])
    for make, state in ((optim.Adam, adam), (optim.AdamW, adamw)):  # written before the marker: either loads
        for other in (optim.Adam, optim.AdamW):
            old = copy.deepcopy(state)
            del old["param_groups"][0]["decoupled_weight_decay"]
            opt = other([mg.nn.Parameter(mg.zeros(2))])
            opt.load_state_dict(old)
            assert opt.param_groups[0]["decoupled_weight_decay"] is (other is optim.AdamW)
            assert opt.param_groups[0]["weight_decay"] == 0.5 and opt.state_dict()["state"]["0"]["step"] == 1


def test_load_state_dict_of_the_wrong_kind_of_object_says_what_it_expects():
    model = mg.nn.Linear(2, 2)
    opt = optim.Adam(model.parameters())
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=2)
    for wrong, got in ((model.state_dict(), "got a dict with keys weight, bias"), (None, "got NoneType"),
                       ("ckpt.npz", "got str"), ({}, "got an empty dict")):
        with pytest.raises(TypeError, match=rf"Adam.load_state_dict expects an optimizer's state_dict, a dict with "
                                            rf"'state' and 'param_groups' .*{got}"):
            opt.load_state_dict(wrong)
    with pytest.raises(TypeError, match=r"StepLR.load_state_dict expects what scheduler.state_dict\(\) returns .*got "
                                        r"a dict with keys state, param_groups. An optimizer's state_dict goes to"):
        scheduler.load_state_dict(opt.state_dict())  # it used to set .state and .param_groups on the scheduler
    for make in (lambda o: optim.lr_scheduler.MultiStepLR(o, [2]), lambda o: optim.lr_scheduler.LambdaLR(o, abs)):
        with pytest.raises(TypeError, match="load_state_dict expects what scheduler.state_dict"):
            make(opt).load_state_dict(None)
    assert not hasattr(scheduler, "state") and scheduler.last_epoch == 0


def test_zero_grad_without_set_to_none_lets_a_create_graph_gradient_go(device):
    model = mg.nn.Linear(3, 1).to(device)
    opt = optim.SGD(model.parameters(), lr=0.1)
    (model(mg.ones(4, 3, device=device)) ** 2).sum().backward(create_graph=True)
    assert model.weight.grad.grad_fn is not None  # the gradient is itself in a graph
    graph = weakref.ref(model.weight.grad.grad_fn)
    opt.zero_grad(set_to_none=False)
    gc.collect()
    assert graph() is None  # kept alive by the zeroed gradient, the graph grew each iteration
    for p in model.parameters():
        assert p.grad.grad_fn is None and not p.grad.requires_grad and p.grad.device == device
        np.testing.assert_array_equal(p.grad.numpy(), np.zeros(p.shape))


def test_a_gradient_of_another_shape_is_refused_not_broadcast(device):
    p = mg.nn.Parameter(mg.zeros(3, 1, device=device))
    opt = optim.SGD([p], lr=0.1)
    p.grad = mg.zeros(3, 1, device=device)
    p.grad.data = backend.asarray(np.ones(1, np.float32), device=device)  # its array replaced behind its back
    with pytest.raises(RuntimeError, match=r"SGD.step: a parameter of shape \(3, 1\) has a grad of shape \(1,\); a "
                                           "gradient must have its parameter's shape"):
        opt.step()
    np.testing.assert_array_equal(p.numpy(), np.zeros((3, 1)))


def test_an_optimizer_state_that_does_not_fit_changes_nothing():
    w = mg.zeros(3, requires_grad=True)
    opt = optim.Adam([w], lr=1e-3)
    w.grad = mg.ones(3)
    opt.step()
    other = optim.Adam([mg.zeros(4, requires_grad=True)], lr=0.5)
    other.param_groups[0]["params"][0].grad = mg.ones(4)
    other.step()
    before = opt.state_dict()
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 0 has shape \(4,\), parameter has \(3,\)"):
        opt.load_state_dict(other.state_dict())
    assert opt.param_groups[0]["lr"] == 1e-3  # not the refused state's 0.5
    np.testing.assert_array_equal(opt.state_dict()["state"]["0"]["exp_avg"], before["state"]["0"]["exp_avg"])


def test_steps_and_clipping_with_inf_or_nan_gradients_print_no_numpy_warnings(device):
    import warnings  # noqa: PLC0415

    for make in (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps), lambda ps: optim.RMSprop(ps)):
        p = mg.ones(3, requires_grad=True, device=device)
        opt = make([p])
        p.grad = mg.tensor([np.inf, np.nan, 1e30], device=device)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            mg.nn.utils.clip_grad_norm_([p], 1.0)
            opt.step()
        assert np.isnan(p.numpy()[1])  # NaN in, NaN out, as in torch: the values still tell


@pytest.mark.parametrize("make", [lambda ps: optim.Adam(ps), lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.RMSprop(ps)])
def test_a_model_cast_after_the_optimizer_stepped_is_named_not_mixed(make, device):
    # .double() casts the weights but not Adam's moments: NumPy kept them float32 without a word,
    # CuPy's fused kernel refuses the mix (torch: "expected dtype float for `end` but got dtype double")
    model = nn.Linear(2, 1).to(device)
    opt = make(model.parameters())
    model(mg.randn(3, 2, device=device)).sum().backward()
    opt.step()
    model.double()
    opt.zero_grad()
    model(mg.randn(3, 2, dtype="float64", device=device)).sum().backward()
    before = model.weight.numpy().copy()
    with pytest.raises(RuntimeError, match=r"step: the \w+ of a parameter of shape \(1, 2\) is float32 on '\w+', "
                                           r"the parameter float64 .* after the optimizer had stepped"):
        opt.step()
    np.testing.assert_array_equal(model.weight.numpy(), before)  # refused before anything changed
    opt.load_state_dict(opt.state_dict())  # the advice: the state follows the parameters' dtype
    opt.step()
    assert all(buf.dtype == np.float64 for s in opt.state.values() for k, buf in s.items() if k != "step")


# ------------------------------------------------ found by a randomised comparison with torch.optim
def test_sgd_momentum_of_a_0d_parameter_with_weight_decay_keeps_moving(device):
    # g + wd * p of a 0-d parameter is a NumPy scalar: a buffer made from it was never updated in place
    p = mg.nn.Parameter(mg.tensor(1.5, dtype="float64", device=device))
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1)
    grads = [np.array(1.0), np.array(0.0), np.array(-2.0)]
    for g in grads:
        p.grad = mg.tensor(g, dtype="float64", device=device)
        opt.step()
    want = sgd_reference(np.array(1.5), grads, 0.1, 0.9, 0.1)
    np.testing.assert_allclose(p.numpy(), want, rtol=1e-12)
    assert opt.state[p]["momentum_buffer"].shape == ()
    torch = pytest.importorskip("torch")
    t = torch.nn.Parameter(torch.tensor(1.5, dtype=torch.float64))
    t_opt = torch.optim.SGD([t], lr=0.1, momentum=0.9, weight_decay=0.1)
    for g in grads:
        t.grad = torch.tensor(g)
        t_opt.step()
    np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(backend.to_numpy(opt.state[p]["momentum_buffer"]), t_opt.state[t]["momentum_buffer"], rtol=1e-12)


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
                                  lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
                                  lambda ps: optim.Adam(ps, weight_decay=0.1, amsgrad=True),
                                  lambda ps: optim.RMSprop(ps, momentum=0.9, centered=True, weight_decay=0.1)])
def test_a_0d_float32_parameters_state_stays_float32(make, device):
    # on NumPy 1, g + wd * p of a 0-d float32 parameter is a float64 scalar: SGD's buffer was made float64 from it
    p = mg.nn.Parameter(mg.tensor(1.5, device=device))
    opt = make([p])
    for g in (1.0, -2.0):
        p.grad = mg.tensor(g, device=device)
        opt.step()
    assert p.dtype == np.float32
    assert {k: v.dtype for k, v in opt.state[p].items() if k != "step"} == {
        k: np.dtype(np.float32) for k in opt.state[p] if k != "step"}


RMSPROP_OVERFLOWS = {  # float32 gradients where a step of torch's RMSprop stays finite
    # square_avg overflows to inf and so does grad_avg^2: torch's fused s - gbar^2 is inf (a step of 0), not inf - inf
    "centered": (dict(lr=0.01, alpha=0.5, centered=True, momentum=0.5), [3e30, -3e30], [1.0, 1.0]),
    # alpha=1 keeps square_avg at 0: g / eps overflows, (lr * g) / eps as torch's addcdiv does not
    "lr_times_g_first": (dict(lr=1e-3, alpha=1.0, eps=1e-3), [1e37, -1e37], [1.0 - 1e37, 1.0 + 1e37]),
    "lr_0": (dict(lr=0.0, alpha=1.0, eps=1e-3), [1e37, -1e37], [1.0, 1.0]),  # left as it is, not 0 * inf = NaN
}


@pytest.mark.parametrize("name", sorted(RMSPROP_OVERFLOWS))
def test_rmsprop_with_overflowing_float32_gradients_steps_as_torch(name, device):
    settings, grad, want = RMSPROP_OVERFLOWS[name]
    p = mg.ones(2, requires_grad=True, device=device)
    opt = optim.RMSprop([p], **settings)
    p.grad = mg.tensor(grad, device=device)
    opt.step()
    assert p.dtype == np.float32
    np.testing.assert_allclose(p.numpy(), np.array(want, dtype=np.float32), rtol=1e-6)
    torch = pytest.importorskip("torch")
    t = torch.ones(2, requires_grad=True)
    t_opt = torch.optim.RMSprop([t], **settings)
    t.grad = torch.tensor(grad)
    t_opt.step()
    np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-6)


def test_pytorchs_switches_run_at_their_defaults_and_are_refused_with_the_fix_otherwise():
    ps = [mg.nn.Parameter(mg.zeros(2))]
    optim.SGD(ps, maximize=False, foreach=None, differentiable=False, fused=None)  # PyTorch code as it is
    optim.Adam(ps, foreach=False, maximize=False, capturable=False, differentiable=False, fused=False,
               decoupled_weight_decay=False)
    optim.AdamW(ps, maximize=False, foreach=None, capturable=False, differentiable=False, fused=None)
    optim.RMSprop(ps, capturable=False, foreach=None, maximize=False, differentiable=False)
    for make, error, message in [
        (lambda: optim.SGD(ps, maximize=True), ValueError, r"SGD: maximize=True is not supported; .* minimise the "
                                                           r"negated objective"),
        (lambda: optim.AdamW(ps, foreach=True), ValueError, "AdamW: foreach=True is not supported; .* leave foreach out"),
        (lambda: optim.RMSprop(ps, differentiable=True), ValueError, "RMSprop: differentiable=True is not supported"),
        (lambda: optim.Adam(ps, capturable=True), ValueError, "Adam: capturable=True is not supported"),
        (lambda: optim.Adam(ps, decoupled_weight_decay=True), ValueError, "that is AdamW's rule: use optim.AdamW"),
        (lambda: optim.RMSprop(ps, fused=None), TypeError, "unexpected keyword argument 'fused'"),  # as in torch
        (lambda: optim.SGD(ps, lrr=0.1), TypeError, "unexpected keyword argument 'lrr'"),
    ]:
        with pytest.raises(error, match=message):
            make()
    torch = pytest.importorskip("torch")
    import inspect  # noqa: PLC0415

    for name in ("SGD", "Adam", "AdamW", "RMSprop"):  # the same switches as the torch optimizer of that name
        theirs = set(inspect.signature(getattr(torch.optim, name)).parameters)
        ours = set(inspect.signature(getattr(optim, name)).parameters) - {"switches"}
        assert theirs - ours == set(getattr(optim, name)._switches), name


def test_state_dict_holds_the_live_state_as_pytorchs_does():
    # a copy of each parameter's dict kept the step count while its arrays moved on with later steps:
    # loaded, Adam's bias correction was then a step behind its moments
    def run(lib):
        p = lib.zeros(2, dtype=lib.float64, requires_grad=True)
        opt = lib.optim.Adam([p], lr=0.1)
        p.grad = lib.ones(2, dtype=lib.float64)
        opt.step()
        kept = opt.state_dict()  # not copied: it follows the optimizer
        p.grad = lib.tensor([3.0, -1.0], dtype=lib.float64)
        opt.step()
        steps = int(next(iter(kept["state"].values()))["step"])
        q = lib.tensor(p.detach().numpy(), dtype=lib.float64, requires_grad=True)
        again = lib.optim.Adam([q], lr=0.1)
        again.load_state_dict(kept)
        for opt_, w in ((opt, p), (again, q)):
            w.grad = lib.tensor([0.5, 2.0], dtype=lib.float64)
            opt_.step()
        return steps, p.detach().numpy(), q.detach().numpy()

    steps, p, q = run(mg)
    assert steps == 2
    np.testing.assert_array_equal(p, q)  # the reloaded optimizer continues as the original one
    torch = pytest.importorskip("torch")
    t_steps, t_p, _ = run(torch)  # (torch's load_state_dict shares the tensors: its two optimizers step the same
    assert t_steps == 2  # moments, where minigan's loads a copy)
    np.testing.assert_allclose(p, t_p, rtol=1e-12)


@pytest.mark.parametrize("name, settings", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                            ("Adam", dict(lr=0.1, amsgrad=True)), ("AdamW", dict(lr=0.1)),
                                            ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True))])
def test_a_torch_optimizers_state_dict_loads_and_continues_as_in_torch(name, settings):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    w0, grads = rng.standard_normal(3), [rng.standard_normal(3) for _ in range(4)]
    t = torch.tensor(w0, requires_grad=True)
    t_opt = getattr(torch.optim, name)([t], **settings)
    for g in grads[:2]:
        t.grad = torch.tensor(g)
        t_opt.step()
    ours = mg.tensor(t.detach().numpy(), dtype="float64", requires_grad=True)
    opt = getattr(optim, name)([ours], lr=0.5)  # the state's settings replace these
    opt.load_state_dict(t_opt.state_dict())  # int keys, tensors, PyTorch's switches (foreach=None...)
    assert opt.param_groups[0]["lr"] == settings["lr"] and "foreach" not in opt.param_groups[0]
    for g in grads[2:]:
        t.grad, ours.grad = torch.tensor(g), mg.tensor(g, dtype="float64")
        t_opt.step()
        opt.step()
    np.testing.assert_allclose(ours.numpy(), t.detach().numpy(), rtol=1e-12)
    switched = t_opt.state_dict()
    switched["param_groups"][0]["maximize"] = True
    with pytest.raises(ValueError, match=f"{name}.load_state_dict: the state has maximize=True, which minigan does not "
                                         "support; minigan's optimizers minimise"):
        opt.load_state_dict(switched)


def test_a_scheduler_refuses_a_group_added_after_it_instead_of_leaving_it_unscheduled():
    def run(lib):
        opt = lib.optim.SGD([lib.zeros(2, requires_grad=True)], lr=0.1)
        sched = lib.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 0.5**epoch)
        opt.add_param_group({"params": [lib.zeros(3, requires_grad=True)], "lr": 1.0})
        opt.step()
        sched.step()

    with pytest.raises(ValueError, match=r"LambdaLR.step: the optimizer has 2 parameter groups, the scheduler was made "
                                         r"for 1: .* add every group first, then make the scheduler"):
        run(mg)
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError):  # torch: zip() argument 2 is shorter than argument 1
        run(torch)


@pytest.mark.parametrize("name", ["sgd_momentum", "adam"])
def test_step_with_a_closure_recomputes_the_loss_and_returns_it_as_in_torch(name, device):
    # torch's optimizer.step(closure): the closure zeroes the grads, computes the loss and its
    # backward, with gradients on even inside no_grad; step returns what the closure returned
    make = {"sgd_momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
            "adam": lambda ps: optim.Adam(ps, lr=0.1)}[name]
    rng = np.random.default_rng(3)
    x, y, w0 = rng.standard_normal((8, 3)), rng.standard_normal((8, 1)), rng.standard_normal((3, 1))

    def fit(use_closure):
        w = nn.Parameter(mg.tensor(w0, device=device))
        opt, X, Y = make([w]), mg.tensor(x, device=device), mg.tensor(y, device=device)
        losses = []

        def closure():
            opt.zero_grad()
            loss = ((X @ w - Y) ** 2).mean()
            loss.backward()
            return loss

        for _ in range(4):
            if use_closure:
                with mg.no_grad():  # the closure still records its graph
                    losses.append(opt.step(closure).item())
            else:
                losses.append(closure().item())
                assert opt.step() is None
        return w.numpy(), losses

    w_a, losses_a = fit(True)
    w_b, losses_b = fit(False)
    np.testing.assert_array_equal(w_a, w_b)
    assert losses_a == losses_b and losses_a[-1] < losses_a[0]
    torch = pytest.importorskip("torch")
    tw = torch.nn.Parameter(torch.tensor(w0))
    topt = {"sgd_momentum": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
            "adam": lambda ps: torch.optim.Adam(ps, lr=0.1)}[name]([tw])

    def tclosure():
        topt.zero_grad()
        loss = ((torch.tensor(x) @ tw - torch.tensor(y)) ** 2).mean()
        loss.backward()
        return loss

    t_losses = [topt.step(tclosure).item() for _ in range(4)]
    np.testing.assert_allclose(losses_a, t_losses, rtol=1e-12)
    np.testing.assert_allclose(w_a, tw.detach().numpy(), rtol=1e-12, atol=1e-14)
    with pytest.raises(TypeError, match="closure must be a function"):
        make([nn.Parameter(mg.tensor(w0))]).step(0.5)


def test_optimizer_state_is_keyed_by_the_parameter_as_in_torch(device):
    # optimizer.state[p]["exp_avg"], as PyTorch code reads Adam's moments (it was keyed by id(p): a KeyError)
    torch = pytest.importorskip("torch")
    w = np.array([0.5, -1.0, 2.0])
    p, t = mg.tensor(w, dtype="float64", device=device, requires_grad=True), torch.tensor(w, requires_grad=True)
    opt, t_opt = optim.Adam([p], lr=0.1), torch.optim.Adam([t], lr=0.1)
    for param, o in ((p, opt), (t, t_opt)):
        (param * param).sum().backward()
        o.step()
    assert list(opt.state) == [p] and p in opt.state
    assert sorted(opt.state[p]) == sorted(t_opt.state[t])
    np.testing.assert_allclose(backend.to_numpy(opt.state[p]["exp_avg"]), t_opt.state[t]["exp_avg"].numpy(), rtol=1e-12)
    assert list(opt.state_dict()["state"]) == ["0"]  # the checkpoint still numbers parameters by position


def test_an_optimizer_subclass_without_an_update_says_what_to_write():
    # (found by line coverage: the base stub raised a NotImplementedError without a word)
    class Mine(mg.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

    w = mg.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with pytest.raises(NotImplementedError, match=r"Mine has no _update: .*_update\(self, p, g, state, group\)"):
        Mine([w]).step()
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])  # untouched
