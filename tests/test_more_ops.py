"""Ops a PyTorch learner reaches for, with torch's names, dtypes, values and gradients:
``//`` and ``%`` (floor_divide, remainder, fmod), cumsum, prod, sum/mean with ``dtype=``,
softmax of a 0-d tensor, F.pad's other modes with negative widths (crops), and the dtype
torch.tensor gives a list of NumPy numbers.
"""

import operator

import numpy as np
import pytest

import minigan as mg
from minigan.nn import functional as F

torch = pytest.importorskip("torch")
from test_dtype_fuzz import Tensorish, check, draw_operand, draw_tensor  # noqa: E402  (torch is needed)


def both(array, device, requires_grad=False):
    """The same values as a minigan tensor on `device` and a torch tensor (the array's dtype kept)."""
    return (mg.tensor(array, device=device, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def same(ours, theirs, rtol=1e-6):
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-12)


# ------------------------------------------------------------------ // and %
SIGNS = np.array([[7, -7, 7, -7, 0, 5], [3, 3, -3, -3, 4, 5]])  # every sign pairing, a 0 dividend, a whole quotient


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8"])
def test_floor_divide_remainder_and_fmod_give_torchs_values_and_dtypes(dtype, device):
    a_np, b_np = (SIGNS.astype(np.float64) * [[1.25], [1.0]]).astype(dtype), SIGNS[1].astype(dtype)
    if dtype == "uint8":
        a_np, b_np = np.abs(SIGNS[0]).astype(dtype), np.abs(SIGNS[1]).astype(dtype)
    (a, ta), (b, tb) = both(a_np, device), both(b_np, device)
    same(a // b, ta // tb)
    same(a % b, ta % tb)
    same(mg.floor_divide(a, b), torch.floor_divide(ta, tb))
    same(mg.remainder(a, b), torch.remainder(ta, tb))
    same(mg.fmod(a, b), torch.fmod(ta, tb))
    same(a.fmod(b), ta.fmod(tb))
    same(a.remainder(3), ta.remainder(3))
    same(a.floor_divide(2), ta.floor_divide(2))
    same(9 % b, 9 % tb)  # reflected
    same(9 // b, 9 // tb)
    same(a % 2.5, ta % 2.5)  # a float number with integers: float32, as torch's
    x, tx = a.clone(), ta.clone()
    x //= 2
    tx //= 2
    same(x, tx)
    x %= 3
    tx %= 3
    same(x, tx)


def test_floor_divide_and_remainder_follow_torchs_dtype_rules_against_every_operand():
    # the dtype fuzzer's comparison (tests/test_dtype_fuzz.py): tensors of every dtype, numbers, NumPy scalars
    rng = np.random.default_rng(5)
    ops = {"floordiv": operator.floordiv, "mod": operator.mod, "ifloordiv": operator.ifloordiv, "imod": operator.imod}
    for _ in range(300):
        name = list(ops)[rng.integers(len(ops))]
        in_place = name.startswith("i")
        a = draw_tensor(rng, grad=not in_place) if in_place or rng.random() < 0.5 else draw_operand(rng)
        b = draw_operand(rng, grad=not in_place)
        if not isinstance(a.value, Tensorish) and not isinstance(b.value, Tensorish):
            b = draw_tensor(rng)
        # floor_divide has no gradient in torch (nor here: see the test below), and torch's number % tensor has
        # none implemented (here it is -floor(a/b), checked by gradcheck below)
        grads = name == "mod" and isinstance(a.value, Tensorish)
        check(name, lambda lib, x, y, op=ops[name]: op(x, y), [a, b], grads=grads)


def test_integer_division_by_zero_raises_as_torchs(device):
    a, b = mg.tensor([4, 5], device=device), mg.tensor([2, 0], device=device)
    for ours, theirs in ((operator.floordiv,) * 2, (operator.mod,) * 2, (mg.fmod, torch.fmod)):
        with pytest.raises(RuntimeError):
            theirs(torch.tensor([4, 5]), torch.tensor([2, 0]))
        if device == "cpu":  # (on a GPU checking would wait for the device: CuPy's value there)
            with pytest.raises(RuntimeError, match="integer division by zero"):
                ours(a, b)
    if device == "cpu":
        with pytest.raises(RuntimeError, match=r"x %= y: integer division by zero"):
            a %= 0
    # floats give inf and nan, as torch's (and no NumPy warning)
    x, tx = both(np.array([1.5, -1.5, 0.0], dtype=np.float32), device)
    with np.errstate(all="raise"):
        same(x // 0.0, tx // 0.0)
        same(x % 0.0, tx % 0.0)


def test_remainder_of_booleans_is_refused_as_torch_refuses_it():
    with pytest.raises(NotImplementedError):
        torch.tensor([True]) % torch.tensor([True])
    with pytest.raises(TypeError, match=r"remainder \(a % b\): booleans are not supported"):
        mg.tensor([True]) % mg.tensor([True])
    with pytest.raises(TypeError, match=r"floor_divide \(a // b\): booleans are not supported"):
        mg.tensor([True]) // True
    same(mg.tensor([True, False]) % 2, torch.tensor([True, False]) % 2)  # a mask with a number: int64


def test_floor_divide_has_no_gradient_as_in_torch():
    x, tx = both(np.array([1.5, 2.5]), "cpu", requires_grad=True)
    y, ty = x // 2, tx // 2
    assert y.requires_grad and ty.requires_grad  # the result is in the graph, as torch's ...
    with pytest.raises(RuntimeError):  # ... and backpropagating through it fails, in both
        ty.sum().backward()
    with pytest.raises(RuntimeError, match=r"floor_divide \(a // b\) has no gradient"):
        y.sum().backward()
    (x.detach() // 2 * x).sum().backward()  # the way out the message names
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])


def _away_from_kinks(rng, shape):
    """Dividends and divisors of both signs whose quotient stays 0.2 or more from a whole number."""
    b = rng.uniform(0.5, 2.0, shape[-1:]) * rng.choice([-1.0, 1.0], shape[-1:])
    q = rng.integers(-3, 4, shape) + rng.uniform(0.2, 0.8, shape)
    return q * b, b


@pytest.mark.parametrize("op", ["remainder", "fmod"])
def test_remainder_and_fmod_gradients_pass_gradcheck_and_match_torchs(op, device, rng):
    a_np, b_np = _away_from_kinks(rng, (2, 3))  # b broadcast over a's rows
    (a, ta), (b, tb) = both(a_np, device, True), both(b_np, device, True)
    f, tf = getattr(mg, op), getattr(torch, op)
    assert mg.gradcheck(f, (a, b))
    assert mg.gradgradcheck(f, (a, b))
    assert mg.gradcheck(lambda t: f(2.5, t), (b,))  # a number's remainder (torch implements no gradient for it)
    up = rng.standard_normal((2, 3))
    f(a, b).backward(mg.tensor(up, device=device))
    tf(ta, tb).backward(torch.tensor(up))
    same(a.grad, ta.grad)
    same(b.grad, tb.grad)  # -sum of up * floor(a/b) (or trunc) over the rows


def test_remainder_keeps_float32(device):
    a = mg.tensor([5.5, -2.25], device=device, requires_grad=True)
    b = mg.tensor([2.0, 1.5], device=device, requires_grad=True)
    y = a % b + a % np.float64(2.0) + 2 % b  # NumPy's float64 numbers do not promote either
    y.sum().backward()
    assert y.dtype == a.grad.dtype == b.grad.dtype == np.float32


# ------------------------------------------------------------- cumsum, prod
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "uint8", "bool"])
def test_cumsum_and_prod_give_torchs_values_and_dtypes(dtype, device, rng):
    values = rng.integers(0, 4, (3, 4)) if dtype != "float32" else rng.standard_normal((3, 4))
    x, tx = both(values.astype(dtype), device)
    for dim in (0, 1, -1):
        same(x.cumsum(dim), tx.cumsum(dim))
        same(mg.cumsum(x, dim), torch.cumsum(tx, dim))
        same(x.prod(dim), tx.prod(dim))
        same(mg.prod(x, dim, keepdim=True), torch.prod(tx, dim, keepdim=True))
    same(x.prod(), tx.prod())
    same(x.cumsum(1, dtype=mg.float64), tx.cumsum(1, dtype=torch.float64))
    same(mg.prod(x, 0, dtype="float64"), torch.prod(tx, 0, dtype=torch.float64))
    s, ts = both(np.array(2, dtype=dtype), device)  # a 0-d tensor along dim 0 or -1: its one value
    for dim in (0, -1):
        same(s.cumsum(dim), ts.cumsum(dim))
        same(s.prod(dim), ts.prod(dim))


def test_cumsum_and_prod_refuse_what_torch_refuses():
    x = mg.ones(2, 3)
    with pytest.raises(TypeError, match="prod: keepdim=True goes with a dim"):
        x.prod(keepdim=True)
    with pytest.raises(TypeError, match="prod: an axis must be an int"):
        x.prod((0, 1))
    with pytest.raises(ValueError, match="cumsum: axis 2 is out of range"):
        x.cumsum(2)
    with pytest.raises(ValueError, match="prod: dim 1 is out of range for a 0-d tensor"):
        mg.tensor(2.0).prod(1)
    for call in (lambda t: t.prod(keepdim=True), lambda t: t.prod((0, 1)), lambda t: t.cumsum(2)):
        with pytest.raises((TypeError, IndexError)):
            call(torch.ones(2, 3))


def test_cumsum_gradient_is_the_reversed_running_sum(device, rng):
    x = mg.tensor(rng.standard_normal((3, 4)), device=device, requires_grad=True)
    for dim in (0, 1):
        assert mg.gradcheck(lambda t: t.cumsum(dim), x)
        assert mg.gradgradcheck(lambda t: (t.cumsum(dim) ** 2), x)
    y = x.cumsum(1)
    y.backward(mg.tensor([[1.0, 2.0, 3.0, 4.0]] * 3, dtype=mg.float64, device=device))
    np.testing.assert_array_equal(x.grad.numpy(), [[10.0, 9.0, 7.0, 4.0]] * 3)  # 1+2+3+4, 2+3+4, 3+4, 4


ZEROS = np.array([[2.0, -0.5, 3.0, 1.5],   # no zero
                  [2.0, 0.0, 3.0, 1.5],    # one: only its own gradient is not 0
                  [0.0, -0.5, 0.0, 1.5]])  # two: every gradient is 0


def test_prod_gradient_is_right_where_x_holds_zeros(device):
    x, tx = both(ZEROS, device, requires_grad=True)
    x.prod(1).sum().backward()
    tx.prod(1).sum().backward()
    same(x.grad, tx.grad)
    np.testing.assert_array_equal(x.grad.numpy()[1], [0.0, 9.0, 0.0, 0.0])  # 2 * 3 * 1.5 at the zero
    np.testing.assert_array_equal(x.grad.numpy()[2], [0.0, 0.0, 0.0, 0.0])
    x, tx = both(ZEROS[1:2], device, requires_grad=True)
    x.prod().backward()
    tx.prod().backward()
    same(x.grad, tx.grad)


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_passes_gradcheck_and_gradgradcheck_with_zeros(dim, device):
    x = mg.tensor(ZEROS, device=device, requires_grad=True)
    assert mg.gradcheck(lambda t: t.prod(dim), x)  # prod is linear in each element: differences are exact
    assert mg.gradgradcheck(lambda t: t.prod(dim), x)


def test_prod_second_derivative_matches_torchs_with_zeros(rng):
    x, tx = both(ZEROS, "cpu", requires_grad=True)
    up = rng.standard_normal(4)
    (g,) = mg.grad(x.prod(0), x, mg.tensor(up), create_graph=True)
    (tg,) = torch.autograd.grad(tx.prod(0), tx, torch.tensor(up), create_graph=True)
    w = rng.standard_normal((3, 4))
    (gg,) = mg.grad(g, x, mg.tensor(w))
    (tgg,) = torch.autograd.grad(tg, tx, torch.tensor(w))
    same(g, tg)
    same(gg, tgg)


def test_prod_and_cumsum_keep_float32(device):
    x = mg.tensor([[1.5, 0.0], [2.0, -1.0]], device=device, requires_grad=True)
    y = x.prod(1).sum() + x.cumsum(0).sum() + x.prod()
    y.backward()
    assert y.dtype == x.grad.dtype == np.float32


# ------------------------------------------------------------ sum/mean dtype=
def test_sum_and_mean_take_torchs_dtype_argument(device):
    f32 = np.array([[1.5, 2.25], [3.0, 4.5]], dtype=np.float32)
    for values in (f32, f32.astype(np.int32), f32 > 2):
        x, tx = both(values, device)
        for dtype in ("float64", "int32", "int64"):
            same(x.sum(dtype=dtype), tx.sum(dtype=getattr(torch, dtype)))
            same(mg.sum(x, dim=0, keepdim=True, dtype=dtype), torch.sum(tx, 0, True, dtype=getattr(torch, dtype)))
        same(x.mean(dtype=mg.float64), tx.mean(dtype=torch.float64))
        same(mg.mean(x, dim=1, dtype="float32"), torch.mean(tx, 1, dtype=torch.float32))
    with pytest.raises(RuntimeError):
        torch.tensor([1.0]).mean(dtype=torch.int64)
    with pytest.raises(TypeError, match="mean: dtype must be a floating-point dtype"):
        mg.tensor([1.0]).mean(dtype=mg.int64)


def test_sum_in_float64_of_float32_gives_float32_gradients(device):
    x, tx = both(np.array([1.5, 2.5], dtype=np.float32), device, requires_grad=True)
    (x.sum(dtype=mg.float64) * 3).backward()
    (tx.sum(dtype=torch.float64) * 3).backward()
    same(x.grad, tx.grad)


# --------------------------------------------------------- 0-d along dim 0
@pytest.mark.parametrize("op", ["softmax", "log_softmax", "logsumexp", "sum", "mean"])
def test_a_0d_tensor_along_dim_0_or_minus_1_is_one_value_as_in_torch(op, device):
    x, tx = both(np.array(2.5, dtype=np.float32), device, requires_grad=True)
    for dim in (0, -1):
        y, ty = getattr(x, op)(dim), getattr(tx, op)(dim)
        same(y, ty)
        same(mg.grad(y, x)[0], torch.autograd.grad(ty, tx)[0])
    with pytest.raises(IndexError):
        getattr(tx, op)(1)
    with pytest.raises(ValueError, match=f"{op}: dim 1 is out of range for a 0-d tensor"):
        getattr(x, op)(1)


def test_softmax_modules_of_a_0d_tensor():
    x, tx = both(np.array(-1.5, dtype=np.float32), "cpu")
    same(mg.nn.Softmax(0)(x), torch.nn.Softmax(0)(tx))
    same(mg.nn.LogSoftmax(-1)(x), torch.nn.LogSoftmax(-1)(tx))


# ------------------------------------------------------- F.pad with crops
def _torch_pad_table():
    """torch's F.pad of 1..n (shape (1, 1, n)) for every pair of widths from -n-1 to n+1, or None where it raises."""
    table = {}
    for mode in ("reflect", "replicate", "circular"):
        for n in (1, 2, 4):
            x = torch.arange(1.0, n + 1).reshape(1, 1, n)
            for a in range(-n - 1, n + 2):
                for b in range(-n - 1, n + 2):
                    try:
                        table[mode, n, a, b] = torch.nn.functional.pad(x, (a, b), mode=mode).flatten().tolist()
                    except (RuntimeError, ValueError):
                        table[mode, n, a, b] = None
    return table


def test_border_pads_crop_with_negative_widths_as_torch():
    table = _torch_pad_table()
    compared = refused = 0
    for (mode, n, a, b), theirs in table.items():
        x = mg.arange(1.0, n + 1).reshape(1, 1, n)
        sane = theirs is not None
        if mode == "circular":  # asked to wrap more than is left after its crop, torch reads memory it never
            # wrote: its values are then whatever was there (or it raises), by chance in 1..n at times; minigan
            # refuses those widths
            left = n + min(a, 0) + min(b, 0)
            sane = sane and left >= 0 and max(a, 0) <= left and max(b, 0) <= left
        if sane:
            assert F.pad(x, (a, b), mode=mode).numpy().ravel().tolist() == theirs, (mode, n, a, b)
            compared += 1
        else:
            with pytest.raises(ValueError, match="pad: "):
                F.pad(x, (a, b), mode=mode)
            refused += 1
    assert compared > 100 and refused > 100  # both sides of the rules were exercised


def test_border_pads_crop_in_two_dimensions_as_torch_and_pass_gradcheck(rng):
    x_np = rng.standard_normal((1, 2, 3, 4))
    x, tx = both(x_np, "cpu", requires_grad=True)
    for mode, widths in (("reflect", (-1, 2, 2, -1)), ("replicate", (3, -2, -2, 1)), ("circular", (-1, 3, 1, -2))):
        same(F.pad(x, widths, mode=mode), torch.nn.functional.pad(tx, widths, mode=mode))
        assert mg.gradcheck(lambda t: F.pad(t, widths, mode=mode), x)
    up = rng.standard_normal((1, 2, 2, 5))
    F.pad(x, (-1, 2, 2, -3), mode="reflect").backward(mg.tensor(up))
    torch.nn.functional.pad(tx, (-1, 2, 2, -3), mode="reflect").backward(torch.tensor(up))
    same(x.grad, tx.grad)


def test_border_pads_with_negative_widths_on_the_device(device):
    x = mg.arange(1.0, 5.0, device=device).reshape(1, 1, 4)
    np.testing.assert_array_equal(F.pad(x, (-1, 2), mode="reflect").numpy().ravel(), [2, 3, 4, 3, 2])
    np.testing.assert_array_equal(F.pad(x, (2, -3), mode="replicate").numpy().ravel(), [1, 1, 1])
    np.testing.assert_array_equal(F.pad(x, (-1, 2), mode="circular").numpy().ravel(), [2, 3, 4, 2, 3])


# ---------------------------------------------------- tensor(list) dtypes
LISTS = {
    "float64 numbers": [np.float64(1.5), np.float64(2.0)],
    "float64 and Python floats": [np.float64(1.5), 2.0],
    "float32 and float64": [np.float32(1.0), np.float64(2.0)],
    "int32 numbers": [np.int32(1), np.int32(2)],
    "int32 and a Python int": [np.int32(1), 2],  # a Python int counts as int64
    "int32 and a Python float": [np.int32(1), 2.5],  # float32 (NumPy: float64)
    "float32 and int64": [np.float32(1.5), np.int64(2)],  # float32 (NumPy: float64)
    "float16 and int64": [np.float16(1.5), np.int64(2)],
    "uint8 and int8": [np.uint8(1), np.int8(-1)],
    "uint8": [np.uint8(3)],
    "nested float64": [[np.float64(1.0)], [2.0]],
    "a tuple": (np.int32(1), np.int32(2)),
    "Python numbers": [1, 2.5],
    "Python bools": [True, False],
    "empty": [],
}


@pytest.mark.parametrize("name", LISTS)
def test_tensor_of_a_list_of_numpy_numbers_has_torchs_dtype(name, device):
    data = LISTS[name]
    same(mg.tensor(data, device=device), torch.tensor(data))


@pytest.mark.parametrize("dtype", ["float64", "int32", "uint8"])
def test_tensor_of_a_list_of_one_element_tensors_keeps_their_dtype_as_torch(dtype):
    for other in (2.0, 2, np.float32(1.0)):
        ours = mg.tensor([mg.tensor(1, dtype=dtype), other])
        same(ours, torch.tensor([torch.tensor(1, dtype=getattr(torch, dtype)), other]))


def test_div_with_a_rounding_mode_gives_torchs_values_dtypes_and_zero_gradients():
    torch = pytest.importorskip("torch")
    ints, floats = np.array([-7, 7, -6, 5]), np.array([-3.5, 2.5, -0.5, 7.0])
    divisors = [np.array([2, -2, 4, 5]), 2, -3]
    for x in (ints, floats):
        for b in divisors:
            for mode in ("floor", "trunc"):
                mine = mg.div(mg.tensor(x), mg.tensor(b) if isinstance(b, np.ndarray) else b, rounding_mode=mode)
                theirs = torch.div(torch.tensor(x), torch.tensor(b) if isinstance(b, np.ndarray) else b,
                                   rounding_mode=mode)
                assert mine.tolist() == theirs.tolist() and mine.dtype.kind == ("f" if x is floats else "i")
    x = mg.tensor(floats, dtype="float64", requires_grad=True)
    x.div(2.0, rounding_mode="trunc").sum().backward()  # torch's convention: zero, not an error as for //
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]
    counts = mg.tensor([-7, 7])
    assert counts.div_(2, rounding_mode="trunc") is counts and counts.tolist() == [-3, 3]
    assert counts.div_(2, rounding_mode="floor").tolist() == [-2, 1]
    with pytest.raises(ValueError, match=r"div: rounding_mode must be None, 'trunc' or 'floor' \(as torch's\), got 'round'"):
        mg.div(counts, 2, rounding_mode="round")
    with pytest.raises(RuntimeError, match=r"div\(rounding_mode='trunc'\): integer division by zero"):
        mg.div(counts, mg.tensor([1, 0]), rounding_mode="trunc")
    with pytest.raises(TypeError, match=r"x.div_\(y, rounding_mode='trunc'\): x is int64 .* the result would be float32"):
        counts.div_(2.5, rounding_mode="trunc")
    with pytest.raises(ValueError, match=r"x.div_\(y, rounding_mode='trunc'\): y of shape \(2, 2\) does not broadcast "
                                         r"to x's shape \(2,\)"):
        mg.tensor([3.0, 5.0]).div_(mg.ones(2, 2), rounding_mode="trunc")


def test_softmax_cumsum_and_prod_take_torchs_dtype():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], dtype=np.float32)
    assert mg.softmax(mg.tensor(x), 1, mg.float64).dtype == np.float64
    np.testing.assert_allclose(mg.softmax(mg.tensor(x), 1, dtype="float64").numpy(),
                               torch.softmax(torch.tensor(x), 1, dtype=torch.float64).numpy(), rtol=1e-12)
    with pytest.raises(TypeError, match="softmax: dtype must be a float dtype"):
        mg.softmax(mg.tensor(x), 1, dtype="int64")
    ints = mg.tensor([[1, 2, 3]], dtype="int32")
    assert ints.cumsum(1, dtype=mg.float64).dtype == np.float64 and ints.prod(1, False, dtype=mg.int64).tolist() == [6]
    assert mg.tensor(x).softmax(1, mg.float64).dtype == np.float64  # Tensor.softmax takes dtype by position, as torch's
    # torch's Tensor methods take these only by keyword (x.round(2), x.cumsum(0, torch.float64) are TypeErrors)
    for call in (lambda t: t.round(2), lambda t: t.cumsum(1, mg.float64), lambda t: t.cumprod(1, mg.float64),
                 lambda t: t.prod(1, False, mg.float64)):
        with pytest.raises(TypeError, match="positional argument"):
            call(mg.tensor(x))
        with pytest.raises(TypeError, match="positional argument|invalid combination"):  # (torch 2.11's words)
            call(torch.tensor(x))
