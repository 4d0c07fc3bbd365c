"""Central differences for the few ops whose backward the rest of the suite never put through gradcheck.

Found on 4 Dec 2026 by counting, over the whole default suite, which ops' backward ran inside
``gradcheck`` or ``gradgradcheck``: every op's but a cast between dtypes, division with a rounding mode,
a move between devices, and the third derivative of max pooling (the backward of its gradient's
gradient). And which ops' backward was itself differentiated (recorded with ``create_graph`` inside
``gradgradcheck``): every op's that a learner calls, but those same casts and divisions, ``sign``,
``hardtanh``, ``hardsigmoid``, ``max`` along a dim and ``median``. Their second derivatives are 0 away from
the kinks, but their backward must still be linear in the upstream gradient and recorded, or a gradient
penalty through them would be wrong or fail. Each is checked here, in float64 with a random upstream
gradient, away from any kink. (``a // b`` and ``scatter(..., reduce='multiply')`` have no gradient, as in
torch: their tests check the error.)
"""

import numpy as np
import pytest

import minigan as mg
import minigan.nn.functional as F
from test_devices import two_devices  # (skips where there is no second device)


def test_a_cast_passes_the_gradient_back_in_the_inputs_dtype(device, rng):
    """float64 -> float32 -> float64: d cast(x)/dx = 1 each way (float32's rounding is why eps is 1e-3)."""
    x = mg.tensor(rng.normal(size=(3, 4)), device=device, requires_grad=True)
    w = mg.tensor(rng.normal(size=(3, 4)), device=device)
    assert mg.gradcheck(lambda x: x.float().double() * w, [x], eps=1e-3, atol=1e-4)
    (x.float().double() * w).sum().backward()
    assert x.grad.dtype == mg.float64
    np.testing.assert_allclose(x.grad.numpy(), w.numpy(), rtol=1e-7)  # w, rounded to float32 on its way


@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_division_with_a_rounding_mode_has_a_zero_gradient_between_the_steps(mode, device, rng):
    """div(a, b, rounding_mode=...) is constant between its steps: both gradients 0, as torch's."""
    b = rng.uniform(1.0, 2.0, size=(4, 5)) * rng.choice([-1.0, 1.0], size=(4, 5))
    quotient = rng.integers(-5, 5, size=(4, 5)) + rng.uniform(0.2, 0.8, size=(4, 5))  # 0.2 or more from a step
    a = mg.tensor(quotient * b, device=device, requires_grad=True)
    b = mg.tensor(b, device=device, requires_grad=True)
    assert mg.gradcheck(lambda a, b: mg.div(a, b, rounding_mode=mode) * 1.5, [a, b])
    mg.div(a, b, rounding_mode=mode).sum().backward()
    assert not a.grad.numpy().any() and not b.grad.numpy().any()


def test_a_move_between_devices_passes_the_gradient_back(device, rng):
    """x moved to the other device and back: d move(x)/dx = 1, the gradient on x's own device."""
    _, other = two_devices(device)
    x = mg.tensor(rng.normal(size=(3, 4)), device=device, requires_grad=True)
    w = mg.tensor(rng.normal(size=(3, 4)), device=other)
    assert mg.gradcheck(lambda x: (x.to(other) * w).to(device), [x])
    (x.to(other) * w).to(device).sum().backward()
    assert x.grad.device == device
    np.testing.assert_allclose(x.grad.numpy(), w.numpy(), rtol=1e-12)


def test_max_pooling_third_derivative(device, rng):
    """The gradient of max pooling is a scatter of the upstream gradient v to each window's max, linear in v;
    gradgradcheck of (that gradient)^2 as a function of v runs the backward of the scatter's backward."""
    x = mg.tensor(rng.permutation(2 * 3 * 6 * 6).reshape(2, 3, 6, 6) / 7.0, device=device, requires_grad=True)
    v = mg.tensor(rng.normal(size=(2, 3, 3, 3)), device=device, requires_grad=True)  # no ties: distinct values

    def pooled_gradient(v):
        with mg.enable_grad():  # (gradcheck evaluates fn under no_grad for its finite differences)
            (gx,) = mg.grad(F.max_pool2d(x, 2), x, grad_outputs=v, create_graph=True)
        return gx * gx  # squared, so that its gradient depends on v (the pooling's gradient does not depend on x)

    assert mg.gradcheck(pooled_gradient, [v])
    assert mg.gradgradcheck(pooled_gradient, [v])


def _away_from(kinks, rng, shape, low=-4.0, high=4.0):
    """Random values in [low, high], none within 0.1 of a kink."""
    x = rng.uniform(low, high, size=shape)
    for kink in kinks:
        near = np.abs(x - kink) < 0.1
        x[near] = kink + 0.2 * np.sign(x[near] - kink + 1e-9)
    return x


SECOND_ORDER = {  # name: (function of one float64 tensor, kinks to keep away from)
    "hardtanh": (lambda x: F.hardtanh(x) * x, (-1.0, 1.0)),
    "hardsigmoid": (lambda x: F.hardsigmoid(x) * x, (-3.0, 3.0)),
    "sign": (lambda x: mg.sign(x) * x * x, (0.0,)),
    "max along a dim": (lambda x: x.max(dim=1)[0] ** 2, ()),
    "median": (lambda x: x.median() ** 2, ()),
    "div, floor": (lambda x: mg.div(x, 1.5, rounding_mode="floor") * x, tuple(1.5 * k for k in range(-3, 4))),
    "div, trunc": (lambda x: mg.div(x, 1.5, rounding_mode="trunc") * x, tuple(1.5 * k for k in range(-3, 4))),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_piecewise_ops_backward_can_be_differentiated(name, device, rng):
    """gradgradcheck: the backward, recorded with create_graph, differentiated against central differences
    of the first derivative, with respect to x and to the upstream gradient."""
    fn, kinks = SECOND_ORDER[name]
    x = mg.tensor(_away_from(kinks, rng, (3, 5)), device=device, requires_grad=True)  # distinct values: no ties
    assert mg.gradcheck(fn, [x])
    assert mg.gradgradcheck(fn, [x])


def test_a_cast_can_be_differentiated_twice(device, rng):
    x = mg.tensor(rng.normal(size=(3, 4)), device=device, requires_grad=True)
    assert mg.gradgradcheck(lambda x: x.float().double() ** 3, [x], eps=1e-3, atol=1e-3)


def test_the_rounded_division_and_max_pooling_third_derivative_are_torchs(device, rng):
    """The two of the ops above that no torch comparison had reached (a device move needs two devices in torch)."""
    torch = pytest.importorskip("torch")
    a, b = rng.normal(size=(3, 4)) * 3, rng.uniform(0.5, 2.0, size=(3, 4))
    for mode in ("floor", "trunc"):
        x, y = (mg.tensor(v, device=device, requires_grad=True) for v in (a, b))
        tx, ty = (torch.tensor(v, requires_grad=True) for v in (a, b))
        mg.div(x, y, rounding_mode=mode).sum().backward()
        torch.div(tx, ty, rounding_mode=mode).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
        np.testing.assert_array_equal(y.grad.numpy(), ty.grad.numpy())
    image, upstream = rng.permutation(2 * 3 * 6 * 6).reshape(2, 3, 6, 6) / 7.0, rng.normal(size=(2, 3, 3, 3))
    last = rng.normal(size=(2, 3, 3, 3))  # the upstream gradient of the second derivative

    def third(lib, grad, tensor, pool):
        x, v = tensor(image, requires_grad=True), tensor(upstream, requires_grad=True)
        (gx,) = grad(pool(x, 2), x, grad_outputs=v, create_graph=True)
        (gv,) = grad((gx * gx).sum(), v, create_graph=True)
        (ggv,) = grad(gv, v, grad_outputs=tensor(last))
        return ggv.detach().cpu().numpy() if lib == "torch" else ggv.numpy()

    ours = third("minigan", mg.grad, lambda a, **k: mg.tensor(a, device=device, **k), F.max_pool2d)
    theirs = third("torch", torch.autograd.grad, torch.tensor, torch.nn.functional.max_pool2d)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
