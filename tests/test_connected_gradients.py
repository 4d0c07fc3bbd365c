"""A gradient's graph stays connected through ReLU-like masks, as torch's (``autograd.TimesSlope``).

ReLU's, LeakyReLU's and hardtanh's local derivatives are piecewise constant, so a gradient computed with
``create_graph=True`` depends on x only through flat pieces: its derivative with respect to x is 0. torch
still records x, so a penalty on that gradient (R1), backpropagated alone, gives a parameter it reaches only
through the mask a zero ``.grad`` (not None), and Adam then moves that parameter by its momentum. minigan did
neither (the penalty's backward refused, or left the ``.grad`` None and the optimizer skipped the parameter).
"""

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn import functional as F

ACTIVATIONS = {
    "relu": lambda lib, v: lib.relu(v),
    "leaky_relu": lambda lib, v: lib.nn.functional.leaky_relu(v, 0.2),
    "leaky_relu_slope_1.5": lambda lib, v: lib.nn.functional.leaky_relu(v, 1.5),
    "hardtanh": lambda lib, v: lib.nn.functional.hardtanh(v, -0.5, 0.5),
    "relu6": lambda lib, v: lib.nn.functional.relu6(4 * v),
}


def _penalty_of_the_gradient(lib, name, x0, b0):
    """(b.grad, x.grad) after backpropagating |d sum(f(x + b)) / dx|^2 alone: b reaches it only through f's mask."""
    tensor = lib.tensor
    x, b = tensor(x0, requires_grad=True), tensor(b0, requires_grad=True)
    y = ACTIVATIONS[name](lib, x + b)
    (g,) = lib.autograd.grad((y * tensor(np.linspace(0.5, 2.0, y.numel()).reshape(y.shape))).sum(), x,
                             create_graph=True)
    penalty = (g * g).sum()
    assert penalty.requires_grad
    penalty.backward()
    return b.grad, x.grad


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_a_penalty_on_a_gradient_gives_zeros_through_a_mask_as_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x0, b0 = rng.standard_normal((3, 4)), rng.standard_normal(4)  # (away from the kinks)
    ours, theirs = _penalty_of_the_gradient(mg, name, x0, b0), _penalty_of_the_gradient(torch, name, x0, b0)
    for a, t in zip(ours, theirs):
        assert a is not None and t is not None
        np.testing.assert_array_equal(a.numpy(), t.numpy())
        assert a.dtype == mg.float64 and not np.any(a.numpy())


def _lazy_r1(lib, model, opt, real, steps):
    """StyleGAN2's lazy R1: a plain D step, then the penalty's own backward and step; D's weights after."""
    for i in range(steps):
        opt.zero_grad()
        logits = model(real)
        lib.nn.functional.softplus(-logits).mean().backward()
        opt.step()
        opt.zero_grad()  # (set_to_none: a parameter the penalty does not reach keeps .grad None, and Adam skips it)
        x = real.detach().requires_grad_(True)
        (g,) = lib.autograd.grad(model(x).sum(), x, create_graph=True)
        (g.pow(2).sum() * 5.0).backward()
        opt.step()
    return [p.detach().numpy().copy() for p in model.parameters()]


def test_stylegan2s_lazy_r1_step_moves_every_parameter_as_torchs_adam():
    torch = pytest.importorskip("torch")
    mg.manual_seed(0)
    ours = nn.Sequential(nn.Linear(3, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.LeakyReLU(0.2), torch.nn.Linear(8, 1)).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    real = np.random.default_rng(1).standard_normal((16, 3))
    a = _lazy_r1(mg, ours, mg.optim.Adam(ours.parameters(), lr=0.01), mg.tensor(real), 3)
    b = _lazy_r1(torch, theirs, torch.optim.Adam(theirs.parameters(), lr=0.01), torch.tensor(real), 3)
    for mine, torchs in zip(a, b):
        np.testing.assert_allclose(mine, torchs, rtol=1e-12, atol=1e-14)


def test_the_mask_is_flat_so_second_derivatives_are_unchanged():
    x = mg.tensor(np.random.default_rng(4).standard_normal((2, 5)), requires_grad=True)
    for name in ACTIVATIONS:
        assert mg.gradgradcheck(lambda v, name=name: ACTIVATIONS[name](mg, v), [x])
    y = F.leaky_relu(x, 0.2)
    (g,) = mg.autograd.grad((y * y).sum(), x, create_graph=True)  # g = 2 f(x) f'(x): f' flat, f not
    (gg,) = mg.autograd.grad(g.sum(), x)
    slope = np.where(x.numpy() > 0, 1.0, 0.2)
    np.testing.assert_allclose(gg.numpy(), 2 * slope * slope, rtol=1e-15)


def test_float32_stays_float32_and_without_a_graph_nothing_is_recorded():
    x = mg.tensor(np.random.default_rng(5).standard_normal((2, 3)), dtype="float32", requires_grad=True)
    (g,) = mg.autograd.grad(F.leaky_relu(x, 0.2).sum(), x, create_graph=True)
    assert g.dtype == mg.float32 and g.requires_grad and type(g.grad_fn).__name__ == "TimesSlope"
    (g,) = mg.autograd.grad(F.leaky_relu(x, 0.2).sum(), x)
    assert not g.requires_grad and g.grad_fn is None
