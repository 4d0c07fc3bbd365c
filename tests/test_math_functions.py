"""torch's elementwise math functions and reductions (helper M's): square, reciprocal, rsqrt, expm1, log2, log10,
exp2, logit, xlogy, hypot, atan2, logaddexp(2), tan, sinh, cosh, the inverse trigonometric and hyperbolic
functions, frac, nan_to_num, copysign, signbit, heaviside, erfc, erfinv; the logical functions, isclose, any, all,
count_nonzero; nansum, nanmean, aminmax, var_mean, std_mean, logcumsumexp, cummax, cummin, median, kthvalue and
quantile: torch's values, dtypes and gradients (float64, a random upstream gradient) at ordinary points and at the
edges (0, -0.0, +-1, +-inf, NaN), the Tensor methods, gradcheck of the composed ones, and clear errors.
(The new Function classes are also gradchecked, and gradgradchecked, through tests/test_ops.py's CASES.)
"""

import numpy as np
import pytest

import minigan as mg

torch = pytest.importorskip("torch")
from test_more_ops import both  # noqa: E402  (torch is needed)


def same(ours, theirs, rtol=1e-12, atol=1e-12):
    """Same dtype, shape and values (NaN where torch's is NaN, infinities of the same sign)."""
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape), (ours.shape, theirs.shape)
    np.testing.assert_allclose(ours.cpu().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def check_with_torch(ours_fn, torch_fn, arrays, device, rtol=1e-12):
    """Values, and the gradients of every input for a random upstream gradient, agree with torch's (float64)."""
    pairs = [both(a, device, requires_grad=True) for a in arrays]
    y, ty = ours_fn(*[p[0] for p in pairs]), torch_fn(*[p[1] for p in pairs])
    same(y, ty, rtol)
    g = np.random.default_rng(5).normal(size=ty.shape)
    y.backward(mg.tensor(g, device=device))
    ty.backward(torch.tensor(g))
    for x, tx in pairs:
        same(x.grad, tx.grad, rtol)


def rng(seed=0):
    return np.random.default_rng(seed)


# name: (the inputs' domain (low, high), off its poles)
UNARY = {"square": (-3, 3), "reciprocal": (0.2, 3), "rsqrt": (0.2, 3), "expm1": (-3, 3), "log2": (0.1, 9),
         "log10": (0.1, 9), "exp2": (-3, 3), "logit": (0.05, 0.95), "tan": (-1.3, 1.3), "sinh": (-3, 3),
         "cosh": (-3, 3), "asin": (-0.95, 0.95), "arcsin": (-0.95, 0.95), "acos": (-0.95, 0.95),
         "arccos": (-0.95, 0.95), "atan": (-4, 4), "arctan": (-4, 4), "asinh": (-4, 4), "arcsinh": (-4, 4),
         "acosh": (1.05, 5), "arccosh": (1.05, 5), "atanh": (-0.95, 0.95), "arctanh": (-0.95, 0.95),
         "frac": (-4, 4), "nan_to_num": (-3, 3), "erfc": (-3, 9), "erfinv": (-0.999, 0.999)}
EDGES = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 1e-300, 30.0, -30.0, 1e300, -1e300,
                  np.inf, -np.inf, np.nan, 1 - 2.0**-53, -(1 - 2.0**-53), 1 + 1e-9])


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_values_and_gradients_are_torchs(name, device):
    x = rng().uniform(*UNARY[name], size=(3, 4))
    check_with_torch(getattr(mg, name), getattr(torch, name), [x], device)
    check_with_torch(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), [x], device)  # the method


@pytest.mark.parametrize("name", [n for n in UNARY if n not in ("erfinv",)])
def test_unary_values_and_gradients_at_the_edges_are_torchs(name, device):
    # 0, -0.0, +-1 (domain edges), tiny, huge, +-inf, NaN: the same numbers, infinities and NaNs as torch's
    with np.errstate(all="ignore"):
        check_with_torch(getattr(mg, name), getattr(torch, name), [EDGES], device, rtol=1e-11)


def test_erfinv_is_torchs_near_plus_minus_one_and_its_inverse_is_erf(device):
    y = np.array([0.0, -0.0, 1e-300, 1e-8, 0.3, 0.5, -0.5000001, 0.9, 0.99, 1 - 1e-6, 1 - 1e-12, -(1 - 2.0**-53),
                  1.0, -1.0, 1.5, -1.5, np.inf, np.nan])
    with np.errstate(all="ignore"):
        check_with_torch(mg.erfinv, torch.erfinv, [y], device, rtol=1e-13)
    x = mg.tensor(np.linspace(-0.99, 0.99, 41), device=device)
    np.testing.assert_allclose(mg.erf(mg.erfinv(x)).numpy(), x.numpy(), rtol=1e-14, atol=1e-16)


def test_erfc_keeps_its_digits_in_the_tail_where_one_minus_erf_would_not(device):
    x = np.array([2.0, 2.5, 2.9, 3.0, 5.0, 10.0, 26.0, 26.5, 27.5, 40.0, -5.0])  # (2.9: 1 - erf loses 4 digits)
    same(mg.erfc(mg.tensor(x, device=device)), torch.erfc(torch.tensor(x)), rtol=1e-13, atol=0)
    assert mg.erfc(mg.tensor([10.0], dtype="float64", device=device)).item() > 0  # 1 - erf(10) is 0 in float64
    assert mg.erfc(mg.tensor([5.0], device=device)).item() > 0  # and 1 - erf(5) is 0 in float32


@pytest.mark.parametrize("name", ["expm1", "tan", "sinh", "asin", "atan", "asinh", "atanh", "erfinv", "frac"])
def test_unary_functions_keep_their_digits_near_0(name, device):
    # f(x) ~ x there (erfinv: sqrt(pi)/2 x): relative agreement, no absolute slack (e^x - 1 would give 0 at 1e-300)
    x = np.array([1e-300, -1e-20, 1e-10, -3e-8, 5e-5])
    same(getattr(mg, name)(mg.tensor(x, device=device)), getattr(torch, name)(torch.tensor(x)), rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", list(UNARY))
def test_float32_stays_float32_and_integers_follow_torch(name, device):
    x = np.array([[0.6, 0.3], [0.7, 0.2]], dtype=np.float32) * (1.2 if UNARY[name][0] >= 1 else 1)
    same(getattr(mg, name)(mg.tensor(x, device=device)), getattr(torch, name)(torch.tensor(x)), rtol=1e-6)
    ints = np.array([-3, 0, 1, 7], dtype=np.int32)
    try:
        expected = getattr(torch, name)(torch.tensor(ints))
    except RuntimeError:  # torch refuses integers (frac): so does minigan, clearly
        with pytest.raises(TypeError, match=f"{name}: x must be a float tensor, got int32"):
            getattr(mg, name)(mg.tensor(ints, device=device))
        return
    with np.errstate(all="ignore"):
        same(getattr(mg, name)(mg.tensor(ints, device=device)), expected, rtol=1e-6)


# name: the two operands' draws (broadcast against each other)
BINARY = {"xlogy": ((-2, 2), (0.1, 3)), "hypot": ((-3, 3), (-3, 3)), "atan2": ((-3, 3), (-3, 3)),
          "arctan2": ((-3, 3), (-3, 3)), "logaddexp": ((-30, 30), (-30, 30)), "logaddexp2": ((-30, 30), (-30, 30)),
          "copysign": ((-3, 3), (-3, 3))}
PAIR_EDGES = np.array([0.0, -0.0, 1.0, -1.0, 2.5, np.inf, -np.inf, np.nan])


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_values_and_gradients_are_torchs_with_broadcasting(name, device):
    (lo, hi), (lo2, hi2) = BINARY[name]
    a, b = rng(1).uniform(lo, hi, size=(3, 4)), rng(2).uniform(lo2, hi2, size=(4,))
    check_with_torch(getattr(mg, name), getattr(torch, name), [a, b], device)
    check_with_torch(lambda s, t: getattr(s, name)(t), lambda s, t: getattr(s, name)(t), [b, a], device)


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_values_and_gradients_at_the_edges_are_torchs(name, device):
    a, b = np.meshgrid(PAIR_EDGES, PAIR_EDGES)  # every pairing of 0, -0.0, +-1, +-inf, NaN
    with np.errstate(all="ignore"):
        check_with_torch(getattr(mg, name), getattr(torch, name), [a, b], device)


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_functions_keep_float32_take_numbers_and_make_integers_float32(name, device):
    a, b = np.array([0.5, 2.0], dtype=np.float32), np.array([1.5, -0.25], dtype=np.float32)
    same(getattr(mg, name)(mg.tensor(a, device=device), mg.tensor(b, device=device)),
         getattr(torch, name)(torch.tensor(a), torch.tensor(b)), rtol=1e-6)
    out = getattr(mg, name)(mg.tensor(a, device=device), 2.0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), getattr(torch, name)(torch.tensor(a), torch.tensor(2.0)).numpy(), rtol=1e-6)
    ints = getattr(mg, name)(mg.tensor([1, 3], device=device), mg.tensor([2, 2], device=device))
    assert ints.dtype == np.float32  # (torch's hypot and logaddexp refuse integers; atan2 and xlogy give float32)


def test_xlogy_is_0_where_x_is_0_even_at_y_0_and_its_gradients_are_torchs(device):
    x, y = np.array([0.0, 0.0, 0.0, 2.0, 0.0]), np.array([0.0, 3.0, np.inf, 0.0, np.nan])
    check_with_torch(mg.xlogy, torch.xlogy, [x, y], device)
    assert mg.xlogy(mg.tensor([0.0], device=device), mg.tensor([0.0], device=device)).item() == 0.0
    # a zero upstream gradient gives x's gradient 0 even where log y is infinite (xlogy(gy, y), as torch's)
    (x, tx), (y, ty) = both(np.array([1.0, 2.0, 0.5]), device, True), both(np.array([0.0, np.inf, 2.0]), device, True)
    mg.xlogy(x, y).backward(mg.zeros(3, dtype="float64", device=device))
    torch.xlogy(tx, ty).backward(torch.zeros(3, dtype=torch.float64))
    same(x.grad, tx.grad)


def test_logit_with_eps_clamps_and_its_gradient_is_0_outside(device):
    x = np.array([0.0, 0.01, 0.2, 0.5, 0.8, 0.99, 1.0, -0.5, 1.5, np.nan])
    check_with_torch(lambda t: mg.logit(t, 0.1), lambda t: torch.logit(t, 0.1), [x], device)
    check_with_torch(lambda t: t.logit(eps=0.1), lambda t: t.logit(eps=0.1), [x], device)
    with np.errstate(all="ignore"):
        check_with_torch(mg.logit, torch.logit, [x], device)  # no eps: +-inf at 0 and 1, NaN outside [0, 1]


def test_nan_to_num_defaults_and_replacements_are_torchs(device):
    x = np.array([1.5, np.nan, np.inf, -np.inf, -2.0])
    for kwargs in ({}, {"nan": 7.0}, {"nan": 1.0, "posinf": 2.0, "neginf": -3.0}, {"posinf": 9.0}, {"nan": None}):
        check_with_torch(lambda t: mg.nan_to_num(t, **kwargs), lambda t: torch.nan_to_num(t, **kwargs), [x], device)
    f32 = np.array([np.inf, -np.inf, np.nan], dtype=np.float32)
    same(mg.tensor(f32, device=device).nan_to_num(), torch.tensor(f32).nan_to_num())  # float32's largest, not float64's
    same(mg.nan_to_num(mg.tensor([3, -1], device=device)), torch.nan_to_num(torch.tensor([3, -1])))


def test_copysign_gradient_goes_to_the_magnitude_only(device):
    a, b = np.array([1.5, -2.0, 0.0, -0.0, 3.0]), np.array([-0.0, 0.0, -1.0, 1.0, np.nan])
    check_with_torch(mg.copysign, torch.copysign, [a, b], device)


def test_signbit_and_heaviside_are_torchs(device):
    x = np.array([-2.0, -0.0, 0.0, 3.0, -np.inf, np.nan])
    same(mg.signbit(mg.tensor(x, device=device)), torch.signbit(torch.tensor(x)))
    same(mg.tensor([-3, 0, 4], device=device).signbit(), torch.tensor([-3, 0, 4]).signbit())
    values = np.array([0.5, 0.25, 0.75, 1.0, 0.0, 2.0])
    same(mg.heaviside(*[mg.tensor(v, device=device) for v in (x, values)]),
         torch.heaviside(*map(torch.tensor, (x, values))))
    same(mg.tensor([-3, 0, 4], device=device).heaviside(mg.tensor([7], device=device)),
         torch.tensor([-3, 0, 4]).heaviside(torch.tensor([7])))


# ------------------------------------------------------------------ logical functions and comparisons
@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_functions_are_torchs_for_any_dtype(name, device):
    a, b = np.array([[0.0, 2.5, -1.0, 0.0]]), np.array([[3], [0]], dtype=np.int64)
    (x, tx), (y, ty) = both(a, device), both(b, device)
    same(getattr(mg, name)(x, y), getattr(torch, name)(tx, ty))
    same(getattr(x, name)(y), getattr(tx, name)(ty))
    same(mg.logical_not(x), torch.logical_not(tx))
    same(y.logical_not(), ty.logical_not())


def test_isclose_is_torchs_with_its_tolerances_and_nan(device):
    a = np.array([1.0, 1.0 + 1e-6, 1.0 + 1e-4, np.inf, -np.inf, np.nan, 0.0])
    b = np.array([1.0, 1.0, 1.0, np.inf, np.inf, np.nan, 1e-9])
    (x, tx), (y, ty) = both(a, device), both(b, device)
    same(mg.isclose(x, y), torch.isclose(tx, ty))
    same(mg.isclose(x, y, equal_nan=True), torch.isclose(tx, ty, equal_nan=True))
    same(x.isclose(y, rtol=1e-3, atol=0.0), tx.isclose(ty, rtol=1e-3, atol=0.0))
    same(mg.isclose(mg.tensor([1, 2], device=device), mg.tensor([1, 3], device=device)),
         torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3])))
    masks = np.array([True, False, True]), np.array([[True], [False]])
    same(mg.isclose(*[mg.tensor(m, device=device) for m in masks]), torch.isclose(*map(torch.tensor, masks)))


def test_any_all_and_count_nonzero_are_torchs(device):
    a = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    x, tx = both(a, device)
    for dim, keepdim in ((None, False), (0, False), (1, True), (-1, False)):
        kwargs = {} if dim is None else {"dim": dim, "keepdim": keepdim}
        same(mg.any(x, **kwargs), torch.any(tx, **kwargs))
        same(mg.all(x, **kwargs), torch.all(tx, **kwargs))
    for dim in (None, 0, 1, (0, 1)):
        same(mg.count_nonzero(x, dim), torch.count_nonzero(tx, dim))
        same(x.count_nonzero(dim=dim), tx.count_nonzero(dim=dim))
    signed = np.array([[-1.5, 0.0, 2.0], [-0.0, np.nan, -3.0]])  # negatives and NaN count, -0.0 does not
    same(mg.count_nonzero(mg.tensor(signed, device=device), 1), torch.count_nonzero(torch.tensor(signed), 1))
    assert any([False, True]) and all([])  # the module's any and all are not Python's builtins in minigan's namespace
    assert mg.any is not any and mg.all is not all


# ------------------------------------------------------------------ reductions
WITH_NAN = np.array([[1.0, np.nan, 3.0, -2.0], [np.nan, np.nan, np.nan, np.nan], [0.5, 2.0, np.nan, 4.0]])


@pytest.mark.parametrize("name", ["nansum", "nanmean"])
def test_nansum_and_nanmean_skip_nans_as_torchs(name, device):
    # (a row of NaNs only: nanmean's gradient there is NaN in torch, 0 here, see the next test)
    rows = WITH_NAN if name == "nansum" else WITH_NAN[[0, 2]]
    for kwargs, a in (({}, WITH_NAN), ({"dim": 1}, rows), ({"dim": 0, "keepdim": True}, WITH_NAN),
                      ({"dim": (0, 1)}, WITH_NAN)):
        check_with_torch(lambda t: getattr(mg, name)(t, **kwargs), lambda t: getattr(torch, name)(t, **kwargs),
                         [a], device)
    check_with_torch(lambda t: getattr(t, name)(1), lambda t: getattr(t, name)(1), [rows], device)
    f32 = WITH_NAN.astype(np.float32)
    same(getattr(mg, name)(mg.tensor(f32, device=device), 1), getattr(torch, name)(torch.tensor(f32), 1), rtol=1e-6)


def test_nanmean_of_a_row_of_nans_is_nan_and_its_gradient_0():
    # torch's is NaN: its nansum multiplies the infinite upstream gradient (1 / a count of 0) by 0 at the NaNs;
    # here nansum picks the values that are not NaN with `where`, whose gradient picks too (as torch's where)
    x = mg.tensor(WITH_NAN, requires_grad=True)
    y = mg.nanmean(x, 1)
    assert np.isnan(y.numpy()[1]) and np.isfinite(y.numpy()[[0, 2]]).all()
    y.sum().backward()  # y[1]'s gradient, 1 / 0 = inf, meets only NaNs
    np.testing.assert_array_equal(x.grad.numpy()[1], 0.0)
    np.testing.assert_array_equal(x.grad.numpy()[0], [1 / 3, 0, 1 / 3, 1 / 3])


def test_nansum_of_integers_is_int64_as_torchs(device):
    same(mg.nansum(mg.tensor([[1, 2], [3, 4]], dtype="int32", device=device), 0),
         torch.nansum(torch.tensor([[1, 2], [3, 4]], dtype=torch.int32), 0))


def test_aminmax_var_mean_and_std_mean_are_torchs(device):
    a = rng(3).normal(size=(3, 4))
    for kwargs in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}):
        check_with_torch(lambda t: mg.aminmax(t, **kwargs).min * 2 + mg.aminmax(t, **kwargs).max,
                         lambda t: torch.amin(t, **kwargs) * 2 + torch.amax(t, **kwargs), [a], device)  # (torch 2.11's
    # aminmax has no gradient; amin and amax give aminmax's values and, without ties, its gradient)
    out = mg.tensor(a, device=device).aminmax(dim=0)
    assert out._fields == ("min", "max")
    x, tx = both(a, device)
    ours, theirs = mg.aminmax(x, dim=1, keepdim=True), torch.aminmax(tx, dim=1, keepdim=True)
    same(ours.min, theirs.min)  # each field's own shape (above, min * 2 + max would broadcast a wrong one away)
    same(ours.max, theirs.max)
    for name in ("var_mean", "std_mean"):
        for args, kwargs in (((), {}), ((1,), {}), ((0,), {"keepdim": True, "correction": 0}), ((1, False), {}),
                             ((False,), {})):  # (torch's var_mean(x, unbiased): a flag, not a dim)
            check_with_torch(lambda t: getattr(mg, name)(t, *args, **kwargs)[0] * 2.0,
                             lambda t: getattr(torch, name)(t, *args, **kwargs)[0] * 2.0, [a], device)
            check_with_torch(lambda t: getattr(mg, name)(t, *args, **kwargs)[1],
                             lambda t: getattr(torch, name)(t, *args, **kwargs)[1], [a], device)


def test_logcumsumexp_is_torchs_across_a_wide_range_and_with_infinities(device):
    a = np.array([[-1000.0, 0.0, 3.0, 1000.0], [-np.inf, -np.inf, 2.0, -1.0], [5.0, -np.inf, np.inf, 1.0]])
    with np.errstate(all="ignore"):
        same(mg.logcumsumexp(mg.tensor(a, device=device), 1), torch.logcumsumexp(torch.tensor(a), 1))
    b = rng(4).normal(size=(3, 4, 2)) * 10
    check_with_torch(lambda t: mg.logcumsumexp(t, 1), lambda t: torch.logcumsumexp(t, 1), [b], device)
    check_with_torch(lambda t: t.logcumsumexp(-1), lambda t: t.logcumsumexp(-1), [b], device)
    assert mg.gradgradcheck(lambda t: mg.logcumsumexp(t, 0), [mg.tensor(b[:, 0], device=device, requires_grad=True)])


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_and_cummin_values_indices_and_gradients_are_torchs(name, device):
    a = np.array([[2.0, 1.0, 2.0, 0.0, 2.0, 3.0], [1.0, np.nan, 2.0, np.nan, 3.0, -1.0],
                  [-1.0, -1.0, -3.0, -3.0, 5.0, -np.inf]])  # ties (the later position, as torch's) and NaN (kept)
    for dim in (1, 0, -1):
        (x, tx) = both(a, device, requires_grad=True)
        ours, theirs = getattr(mg, name)(x, dim), getattr(torch, name)(tx, dim)
        same(ours.values, theirs.values)
        same(ours.indices, theirs.indices)
        g = rng(dim + 2).normal(size=a.shape)
        ours.values.backward(mg.tensor(g, device=device))
        theirs.values.backward(torch.tensor(g))
        same(x.grad, tx.grad)
    same(getattr(mg.tensor([3, 1, 4], device=device), name)(0).indices, getattr(torch.tensor([3, 1, 4]), name)(0).indices)


def test_median_of_all_values_shares_the_gradient_between_ties_as_torchs(device):
    for a in (np.array([[1.0, 2.0, 2.0], [3.0, 2.0, 0.0]]), np.array([4.0, 1.0, 3.0, 2.0]),  # even: the lower middle
              np.array([1.0, np.nan, 2.0, np.nan]), np.array([np.inf, np.inf, 1.0])):
        with np.errstate(all="ignore"):
            check_with_torch(mg.median, torch.median, [a], device)
    same(mg.median(mg.tensor([5, 1, 4, 2], device=device)), torch.median(torch.tensor([5, 1, 4, 2])))


def test_median_and_kthvalue_along_a_dim_are_torchs(device):
    a = rng(6).permutation(20).reshape(4, 5).astype(np.float64)  # distinct values: one position each
    for dim, keepdim in ((1, False), (0, True), (-1, True)):
        for ours_fn, torch_fn in ((lambda t: mg.median(t, dim, keepdim), lambda t: torch.median(t, dim, keepdim)),
                                  (lambda t: t.kthvalue(2, dim, keepdim), lambda t: t.kthvalue(2, dim, keepdim))):
            (x, tx) = both(a, device, requires_grad=True)
            ours, theirs = ours_fn(x), torch_fn(tx)
            same(ours.values, theirs.values)
            same(ours.indices, theirs.indices)
            g = rng(1).normal(size=tuple(theirs.values.shape))
            ours.values.backward(mg.tensor(g, device=device))
            theirs.values.backward(torch.tensor(g))
            same(x.grad, tx.grad)
    nan_rows = np.array([[1.0, np.nan, 2.0, np.nan], [3.0, 1.0, 2.0, 0.0]])
    for ours, theirs in ((mg.median(mg.tensor(nan_rows, device=device), 1), torch.median(torch.tensor(nan_rows), 1)),
                         (mg.kthvalue(mg.tensor(nan_rows, device=device), 3), torch.kthvalue(torch.tensor(nan_rows), 3))):
        same(ours.values, theirs.values)
        same(ours.indices, theirs.indices)


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_values_and_gradients_are_torchs(interpolation, device):
    a = rng(7).normal(size=(3, 5))
    q = np.array([0.0, 0.1, 0.25, 0.5, 0.625, 1.0])  # 0.625 (n - 1) = 2.5: a half, rounded to even by 'nearest'
    cases = [((q,), {}), ((0.3,), {"dim": 1}), ((q,), {"dim": 0, "keepdim": True}), ((0.75,), {"keepdim": True}),
             ((q,), {"dim": -1})]
    for (qq,), kwargs in cases:
        check_with_torch(
            lambda t: mg.quantile(t, qq if np.ndim(qq) == 0 else mg.tensor(qq, device=device), **kwargs,
                                  interpolation=interpolation),
            lambda t: torch.quantile(t, qq if np.ndim(qq) == 0 else torch.tensor(qq), **kwargs,
                                     interpolation=interpolation), [a], device)


def test_quantile_of_rows_with_nan_is_nan_and_float32_stays_float32(device):
    a = np.array([[1.0, np.nan, 3.0], [4.0, 2.0, 3.0]])
    same(mg.quantile(mg.tensor(a, device=device), 0.5, dim=1), torch.quantile(torch.tensor(a), 0.5, dim=1))
    infinite = np.array([1.0, np.inf, -np.inf, 2.0])  # torch's lerp: its two forms meet inf differently (NaN at q=0.9)
    q = np.array([0.25, 0.4, 0.5, 0.75, 0.9, 1.0])
    same(mg.quantile(mg.tensor(infinite, device=device), mg.tensor(q, device=device)),
         torch.quantile(torch.tensor(infinite), torch.tensor(q)))
    for interpolation in ("linear", "midpoint"):  # weight 0.5 takes lerp's second form, as torch's: inf - inf / 2
        same(mg.quantile(mg.tensor([1.0, np.inf], device=device), 0.5, interpolation=interpolation),
             torch.quantile(torch.tensor([1.0, np.inf]), 0.5, interpolation=interpolation))
    f32 = a.astype(np.float32)
    q = mg.tensor([0.2, 0.9], dtype="float32", device=device)
    same(mg.tensor(f32, device=device).quantile(q, 1), torch.tensor(f32).quantile(torch.tensor([0.2, 0.9]), 1), rtol=1e-6)


def test_quantile_of_float32_ranks_in_float32_as_torchs(device):
    # torch computes the rank q (n - 1) in x's dtype: float32's 0.2 * 5 rounds onto 1.0 (the second value), where in
    # float64 it is 1.0000000149 (whose ceiling, for 'higher', is the third); x = 0, 1, 2...: each value its rank
    for n, q in ((6, [0.1, 0.2, 0.4, 0.6, 0.7, 0.8]), (26, [0.28, 0.56, 0.6])):
        x = np.arange(n, dtype=np.float32)
        for interpolation in ("linear", "lower", "higher", "midpoint", "nearest"):
            for ours_q, torch_q in ((mg.tensor(q, dtype="float32", device=device), torch.tensor(q)),  # a float32 q
                                    (q[-1], q[-1])):  # a Python float: made float32, as torch's
                same(mg.quantile(mg.tensor(x, device=device), ours_q, interpolation=interpolation),
                     torch.quantile(torch.tensor(x), torch_q, interpolation=interpolation), rtol=1e-6)


def test_quantile_of_a_0d_tensor_along_its_dim_adds_no_axis_with_keepdim(device):
    x, tx = both(np.array(3.0), device)
    q = np.array([0.25, 0.5])
    for dim in (None, 0, -1):
        same(mg.quantile(x, 0.3, dim, True), torch.quantile(tx, 0.3, dim, True))
        same(mg.quantile(x, mg.tensor(q, device=device), dim, True), torch.quantile(tx, torch.tensor(q), dim, True))


def test_logcumsumexp_gradient_after_leading_minus_infinities_is_torchs(device):
    # a row of log-probabilities starting with masked (-inf) entries: the running logsumexp of the first is -inf,
    # whose NaN gradient (as torch's) must stay on those entries, not reach the finite ones after them
    for a in ([-np.inf, -np.inf, 1.0, 0.5], [-np.inf, 2.0, -np.inf, 1.0]):
        check_with_torch(lambda t: mg.logcumsumexp(t, 0), lambda t: torch.logcumsumexp(t, 0), [np.array(a)], device)


def test_tensor_methods_pass_every_argument_on_as_torchs(device):
    (x, tx), (y, ty) = both(WITH_NAN, device), both(np.where(np.isnan(WITH_NAN), np.nan, 0.0), device)
    infinite, t_infinite = both(np.array([np.nan, np.inf, -np.inf, 1.0]), device)
    pairs = [(x.nanmean(1, True, dtype="float32"), tx.nanmean(1, True, dtype=torch.float32)),
             (x.nansum(0, True, dtype="float32"), tx.nansum(0, True, dtype=torch.float32)),
             (mg.nansum(x, 1, dtype="float32"), torch.nansum(tx, 1, dtype=torch.float32)),
             (infinite.nan_to_num(1.0, 2.0, -3.0), t_infinite.nan_to_num(1.0, 2.0, -3.0)),
             (x.isclose(y, 0.0, 1.0, equal_nan=True), tx.isclose(ty, 0.0, 1.0, equal_nan=True)),
             (x.nan_to_num().quantile(0.4, 1, True, interpolation="higher"),
              tx.nan_to_num().quantile(0.4, 1, True, interpolation="higher")),
             *zip(x.nan_to_num().median(1, True), tx.nan_to_num().median(1, True)),
             (mg.tensor([True, False], device=device).signbit(), torch.tensor([True, False]).signbit())]
    for ours, theirs in pairs:
        same(ours, theirs, rtol=1e-6)


def test_0d_tensors_in_cummax_and_kthvalue_keep_no_axis_as_torchs(device):
    x, tx = both(np.array(2.5), device)
    for ours, theirs in ((mg.cummax(x, 0), torch.cummax(tx, 0)), (mg.cummin(x, -1), torch.cummin(tx, -1)),
                         (mg.kthvalue(x, 1, 0, True), torch.kthvalue(tx, 1, 0, True)),
                         (mg.median(x, 0, True), torch.median(tx, 0, True))):
        same(ours.values, theirs.values)
        same(ours.indices, theirs.indices)


def test_composed_reductions_pass_gradcheck(device):
    x = mg.tensor(rng(8).normal(size=(3, 4)), device=device, requires_grad=True)
    assert mg.gradcheck(lambda t: mg.quantile(t, 0.3, dim=1), [x])
    assert mg.gradcheck(lambda t: mg.cummax(t, 1).values, [x])
    assert mg.gradcheck(lambda t: mg.kthvalue(t, 2, 0).values, [x])
    assert mg.gradcheck(lambda t: mg.nanmean(t, 0), [x])
    assert mg.gradgradcheck(lambda t: mg.rsqrt(t * t + 1.0) + mg.reciprocal(t) + mg.frac(t * 3.0), [x])


# ------------------------------------------------------------------ clear errors
@pytest.mark.parametrize("call, error, message", [
    (lambda: mg.frac(mg.tensor([1, 2])), TypeError, "frac: x must be a float tensor, got int64"),
    (lambda: mg.nanmean(mg.tensor([1, 2])), TypeError, "nanmean: x must be a float tensor, got int64"),
    (lambda: mg.quantile(mg.tensor([1.0, 2.0]), 1.5), ValueError, r"quantile: every q must be in \[0, 1\], got \[1.5\]"),
    (lambda: mg.quantile(mg.tensor([1.0]), 0.5, interpolation="cubic"), ValueError, "interpolation must be one of"),
    (lambda: mg.quantile(mg.tensor([1.0]), mg.tensor([[0.5]], dtype="float64")),
     TypeError, r"a float64 tensor of shape \(1, 1\)"),
    (lambda: mg.quantile(mg.tensor([1, 2]), 0.5), TypeError, "quantile: x must be a float tensor, got int64"),
    (lambda: mg.quantile(mg.zeros(2, 0), 0.5, dim=1), ValueError, "quantile: x .* has no values"),
    (lambda: mg.kthvalue(mg.tensor([1.0, 2.0]), 3), ValueError, "kthvalue: k must be an int from 1 to 2"),
    (lambda: mg.kthvalue(mg.tensor([1.0, 2.0]), 0), ValueError,
     r"kthvalue: k must be an int from 1 to 2 \(the size of dim 0\), got 0"),
    (lambda: mg.quantile(mg.tensor([1.0], dtype="float64"), mg.tensor([0.5])), TypeError,
     r"q must be a number or a 0-d or 1-D tensor of x's dtype \(float64\), got a float32 tensor"),
    (lambda: mg.median(mg.zeros(0)), ValueError, "median: x is empty"),
    (lambda: mg.median(mg.zeros(2, 0), 1), ValueError, "median: dim 1 of x .* is empty"),
    (lambda: mg.heaviside(mg.tensor([1.0]), mg.tensor([1])), TypeError, "heaviside: x is float32 but values is int64"),
    (lambda: mg.isclose(mg.tensor([1.0]), mg.tensor([1.0], dtype="float64")), TypeError, "isclose: a is float32"),
    (lambda: mg.isclose(mg.tensor([1.0]), mg.tensor([1.0]), rtol=-1), ValueError, "isclose: rtol must be a number >= 0"),
    (lambda: mg.isclose(mg.tensor([1.0]), mg.tensor([1.0]), atol=float("nan")), ValueError,
     "isclose: atol must be a number >= 0, got nan"),
    (lambda: mg.logical_and(mg.ones(2), mg.ones(3)), ValueError,
     r"logical_and: shapes \(2,\) and \(3,\) do not broadcast"),
    (lambda: mg.logit(mg.ones(2), eps="0.1"), TypeError, "logit: eps must be a number or None, got str"),
    (lambda: mg.logit(mg.ones(2), True), TypeError, "logit: eps must be a number or None, got bool"),
    (lambda: mg.nan_to_num(mg.ones(2), nan="0"), TypeError, "nan_to_num: nan must be a number or None"),
    (lambda: mg.cummax(mg.ones(2, 3), 2), ValueError, "cummax: axis 2 is out of range"),
    (lambda: mg.logcumsumexp(mg.ones(2), dim=1), ValueError, "logcumsumexp: axis 1 is out of range"),
    (lambda: mg.asin([0.5]), TypeError, "asin: expected a minigan Tensor, got a builtins.list"),
    (lambda: mg.atan2(np.ones(2), 1.0), TypeError, "atan2: expected a minigan Tensor"),
    (lambda: mg.hypot(mg.ones(2), mg.ones(2, dtype="float64")), TypeError, "hypot: dtypes differ, float32 and float64"),
    (lambda: mg.any([True]), TypeError, "any: expected a minigan Tensor"),
    (lambda: mg.median(mg.ones(3), keepdim=1), TypeError, "median: keepdim must be True or False"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_tensors_on_two_devices_are_named(device):
    if device == "cpu":
        pytest.skip("needs a second device")
    a, b = mg.ones(2, device=device), mg.ones(2)
    for call in (mg.logical_or, mg.isclose, mg.hypot, mg.xlogy):
        with pytest.raises(RuntimeError, match="two devices"):
            call(a, b)
