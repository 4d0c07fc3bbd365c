"""gradcheck and gradgradcheck catch wrong backward rules, within the tolerances they are given.

The rest of the suite only sees them pass on right rules; here hand-written ops with deliberately
wrong (or slightly off) backward rules must fail, and just-right ones must pass."""

import numpy as np
import pytest

import minigan as mg
from minigan.gradcheck import GradcheckError


class _Scale(mg.Function):
    """y = k x, whose backward may be off by a factor (1 + rel) and a constant off: 0, 0 is the right rule."""

    def __init__(self, k, rel=0.0, off=0.0):
        self.k, self.rel, self.off = k, rel, off

    def forward(self, x):
        return x * self.k

    def backward(self, gy):
        # dy/dx = k
        return gy * (self.k * (1 + self.rel)) + self.off


class _Square(mg.Function):
    """y = x^2, whose backward has the right values 2 x gy but, for rel != 0, a slightly wrong derivative itself."""

    def __init__(self, rel=0.0):
        self.rel = rel

    def forward(self, x):
        return x * x

    def backward(self, gy):
        # dy/dx = 2 x, written as 2 (x (1 + rel) - rel x.detach()): its value is 2 x, its slope 2 (1 + rel)
        x = self.inputs[0]
        return gy * 2.0 * (x * (1 + self.rel) - x.detach() * self.rel)


class _MeanRule(mg.Function):
    """y = 2 x with the mistake of spreading the mean of the upstream gradient: right for an all-ones gradient only."""

    def forward(self, x):
        return 2.0 * x

    def backward(self, gy):
        # dy/dx = 2: the right rule is 2 gy, not 2 mean(gy)
        return gy * 0.0 + gy.mean() * 2.0


def _x(n=4):
    return mg.tensor(np.random.default_rng(0).standard_normal(n), dtype="float64", requires_grad=True)


def test_a_wrong_backward_fails_naming_the_input_and_the_worst_element():
    fn = lambda x: _Scale(3.0, rel=0.1)(x)  # noqa: E731
    with pytest.raises(GradcheckError, match=r"gradcheck failed for input 0 \(shape \(4,\)\): at index \(\d,\) autograd "
                                             r"gives .*, finite differences .* of 4 elements differ beyond atol=1e-05, "
                                             r"rtol=0.001\)"):
        mg.gradcheck(fn, [_x()])
    assert mg.gradcheck(fn, [_x()], raise_exception=False) is False
    messages = []
    for seed in (0, 1, 0):  # the seed draws the upstream gradient: another seed, other values in the message
        with pytest.raises(GradcheckError) as info:
            mg.gradcheck(fn, [_x()], seed=seed)
        messages.append(str(info.value))
    assert messages[0] != messages[1] and messages[0] == messages[2]
    assert mg.gradcheck(lambda x: _Scale(3.0)(x), [_x()]) is True


def test_the_upstream_gradient_is_random_so_a_mis_summed_rule_is_caught():
    with pytest.raises(GradcheckError):  # an all-ones upstream gradient would see 2 mean(1) = 2 and pass it
        mg.gradcheck(lambda x: _MeanRule()(x), [_x()])


def test_gradcheck_passes_what_is_within_atol_or_rtol_and_fails_beyond_the_tolerances_given():
    x = _x()
    relatively_close = lambda t: _Scale(100.0, rel=1e-4)(t)  # noqa: E731  (errors 1e-2 |u|, gradients 1e2 |u|)
    assert mg.gradcheck(relatively_close, [x])  # within rtol=1e-3, far beyond atol=1e-5
    assert mg.gradcheck(relatively_close, [x], rtol=1e-6, raise_exception=False) is False
    absolutely_close = lambda t: _Scale(0.0, off=1e-6)(t)  # noqa: E731  (errors 1e-6, gradients 0)
    assert mg.gradcheck(absolutely_close, [x])  # within atol=1e-5, while rtol * 0 = 0
    assert mg.gradcheck(absolutely_close, [x], atol=1e-7, raise_exception=False) is False


def test_gradgradcheck_checks_the_second_derivative_within_the_tolerances_given():
    assert mg.gradgradcheck(lambda t: _Square()(t), [_x()])
    slightly_off = lambda t: _Square(rel=1e-4)(t)  # noqa: E731
    assert mg.gradcheck(slightly_off, [_x()], atol=1e-9, rtol=1e-9)  # the first derivative is right
    assert mg.gradgradcheck(slightly_off, [_x()])  # the second is off by 1e-4, relatively: within rtol=1e-3
    assert mg.gradgradcheck(slightly_off, [_x()], atol=1e-9, rtol=1e-6, raise_exception=False) is False
    with pytest.raises(GradcheckError):
        mg.gradgradcheck(lambda t: _Square(rel=0.1)(t), [_x()])


def test_inputs_without_requires_grad_are_constants_left_as_they_were():
    x = _x()
    c = mg.tensor([1.5, -2.0, 0.25, 4.0], dtype="float32")  # not checked: it may even be float32
    before_x, before_c = x.numpy().copy(), c.numpy().copy()
    assert mg.gradcheck(lambda a, b: a * b.to(dtype="float64"), [x, c])
    assert mg.gradgradcheck(lambda a, b: a * a * b.to(dtype="float64"), [x, c])
    np.testing.assert_array_equal(x.numpy(), before_x)  # every perturbation undone
    np.testing.assert_array_equal(c.numpy(), before_c)


def test_a_nan_gradient_fails_the_check():
    # sqrt(t) * 0 has a NaN gradient at 0 (inf times 0) where finite differences give 1 for the sum:
    # the check compared err > tol, which is False for NaN, and passed
    t = mg.tensor([0.0, 1.0], dtype="float64", requires_grad=True)
    assert not mg.gradcheck(lambda x: mg.sqrt(x) * 0 + x, [t], raise_exception=False)
    with pytest.raises(GradcheckError, match=r"at index \(0,\) autograd gives nan"):
        mg.gradcheck(lambda x: mg.sqrt(x) * 0 + x, [t])
