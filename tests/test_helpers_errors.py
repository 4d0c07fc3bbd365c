"""Bad arguments to the helpers (gradcheck, gradgradcheck, mode_metrics) get errors that say what to do."""

import re

import numpy as np
import pytest

import minigan as mg
from minigan import backend
from minigan.metrics import mode_metrics
from minigan.plots import make_grid

CHECKS = [mg.gradcheck, mg.gradgradcheck]


def _x(device="cpu"):
    return mg.randn(3, dtype="float64", requires_grad=True, device=device)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_what_fn_returns_is_named(check, device):
    name = check.__name__
    cases = [
        (lambda a: None, TypeError, "fn returned None; did it forget to `return` its result?"),
        (lambda a: a.data * 2, TypeError, "output 0 of fn is of type ndarray, not a Tensor; compute it with minigan ops"),
        (lambda a: (a * 2, 3.0), TypeError, "output 1 of fn is of type float, not a Tensor"),
        (lambda a: [1.0, 2.0], TypeError, "output 0 of fn is of type float, not a Tensor"),
        # an integer output has no gradient (gradcheck returned True for it; gradgradcheck failed inside grad)
        (lambda a: (a * 2).argmax(), TypeError, "output 0 of fn is int64; finite differences need float64 outputs"),
        # float32 inside fn: finite differences at eps=1e-6 are noise (gradcheck reported a mismatch)
        (lambda a: (a * 2).to(dtype="float32"), TypeError, "output 0 of fn is float32; finite differences need float64"),
    ]
    for fn, kind, message in cases:
        with pytest.raises(kind, match=re.escape(f"{name}: {message}")):
            check(fn, [_x(device)])


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_what_gradcheck_is_given_is_named(check):
    name = check.__name__
    with pytest.raises(TypeError, match=f"{name}: fn must be a function of the inputs, got int"):
        check(3, [_x()])
    with pytest.raises(TypeError, match=f"{name}: input 0 must be a Tensor, got ndarray; make it with minigan.tensor"):
        check(lambda a: a * 2, [np.zeros(3)])
    with pytest.raises(TypeError, match=f"{name}: input 1 must be a Tensor, got float"):
        check(lambda a, b: a * b, [_x(), 2.0])
    with pytest.raises(TypeError, match=f"{name}: input 0 is float32; finite differences need float64"):
        check(lambda a: a * 2, [mg.randn(3, requires_grad=True)])
    # gradgradcheck ran fn first and failed inside grad ("this tensor does not require grad")
    with pytest.raises(ValueError, match=f"{name}: no input has requires_grad=True"):
        check(lambda a: a * 2, [mg.randn(3, dtype="float64")])
    with pytest.raises(ValueError, match=f"{name}: eps is the finite-difference step, a number > 0"):
        check(lambda a: a * 2, [_x()], eps=0)  # was a ZeroDivisionError


def test_gradgradcheck_skips_an_output_that_depends_on_no_input_as_gradcheck_does(device):
    def fn(a):
        return mg.zeros(3, dtype="float64", device=device), (a * a).tanh()

    assert mg.gradcheck(fn, [_x(device)])
    assert mg.gradgradcheck(fn, [_x(device)])  # was a RuntimeError from grad
    assert mg.gradgradcheck(lambda a: mg.ones(2, dtype="float64", device=device), [_x(device)])


def test_mode_metrics_refuses_a_std_that_is_not_positive():
    centers = np.array([[0.0, 0.0], [1.0, 1.0]])
    for std in (-1, 0, None, float("nan")):  # every sample counted as low quality, without a word
        with pytest.raises(ValueError, match="mode_metrics: std is the modes' standard deviation, a number > 0, got"):
            mode_metrics(np.zeros((5, 2)), centers, std)
    assert mode_metrics(np.zeros((5, 2)), centers, np.float32(0.1))["modes"] == 1


def test_metrics_and_pictures_read_a_bare_device_array_by_value(device):
    # a CuPy array's .data is a pointer to its memory, not its values: read the array itself
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [4.0, 0.0]])
    samples = np.concatenate([rng.normal(0.0, 0.05, (10, 2)), rng.normal([4.0, 0.0], 0.05, (10, 2))])
    on_device = backend.asarray(samples.astype(np.float32), device=device)
    assert mode_metrics(on_device, centers, 0.05) == mode_metrics(mg.tensor(on_device), centers, 0.05)
    images = backend.asarray(rng.uniform(-1.0, 1.0, (4, 1, 5, 5)).astype(np.float32), device=device)
    grid = make_grid(images)
    assert grid.shape == (3, 9, 30)  # the four 5 x 5 images in one row (nrow=8), 2 pixels apart, as torchvision's
    np.testing.assert_array_equal(grid.numpy(), make_grid(mg.tensor(images)).numpy())
