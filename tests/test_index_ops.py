"""The indexing and shape ops a learner reaches for, against torch: amax/amin, tile, roll, narrow,
index_select, gather, scatter, scatter_add, tril/triu, diag, and a tensor exponent in x ** y.

Values and gradients (for a random upstream gradient) are compared with torch's in float64, on each
device; float32 stays float32, integer and boolean tensors keep their dtype, and bad input is an
error naming the function, what it expected and what it got.
"""

import numpy as np
import pytest

import minigan as mg

torch = pytest.importorskip("torch")

TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, -1.0], [0.5, -4.0, 0.5, 0.5]])  # tied maxima and minima
NAN_ROW = np.array([[1.0, np.nan, 2.0], [0.0, 3.0, 3.0]])
M = np.arange(1.0, 13.0).reshape(3, 4) / 7  # distinct values
B = np.arange(1.0, 25.0).reshape(2, 3, 4) / 11
# x ** y at and around torch's conventions: 0 to a positive, zero, negative and fractional power, -0, a negative
# base to a fractional power (NaN), infinities, NaN, and ordinary values
BASES = np.array([0.0, 0.0, 0.0, 0.0, -2.0, -2.0, 2.0, 0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, 1.5])
POWERS = np.array([0.0, 2.0, -1.0, 0.5, 2.0, 0.5, -1.0, np.inf, -1.0, 0.0, 2.0, 0.0, np.nan, -0.7])

# name: (f(inputs, index), input arrays); f calls the ops as methods, which torch's tensors have too
CASES = {
    "amax_ties_dim": (lambda x, I: x[0].amax(1), [TIES]),
    "amax_all": (lambda x, I: x[0].amax(), [TIES]),
    "amin_ties_two_dims_keepdim": (lambda x, I: x[0].amin((0, 1), keepdim=True), [TIES]),
    "amin_ties_dim0": (lambda x, I: x[0].amin(0), [TIES]),
    "amax_nan": (lambda x, I: x[0].amax(1), [NAN_ROW]),  # torch: NaN gradients along a row with a NaN
    "amax_0d": (lambda x, I: x[0].sum().amax(0), [M]),
    "amax_no_dims_is_every_axis": (lambda x, I: x[0].amax(()), [TIES]),
    "tile_fewer_dims": (lambda x, I: x[0].tile((2,)), [M]),
    "tile_more_dims": (lambda x, I: x[0].tile(2, 1, 3), [M]),
    "tile_zero_times": (lambda x, I: x[0].tile(0, 2), [M]),
    "roll_flat": (lambda x, I: x[0].roll(5), [M]),
    "roll_dims": (lambda x, I: x[0].roll((1, -1, 7), (0, 2, 1)), [B]),
    "roll_same_dim_twice": (lambda x, I: x[0].roll((1, 2), (1, 1)), [M]),
    "roll_by_size": (lambda x, I: x[0].roll(4, 1), [M]),
    "narrow_negative_start": (lambda x, I: x[0].narrow(1, -3, 2), [M]),
    "narrow_empty": (lambda x, I: x[0].narrow(0, 3, 0), [M]),
    "narrow_start_minus_size": (lambda x, I: x[0].narrow(1, -4, 2), [M]),
    "narrow_tensor_start": (lambda x, I: x[0].narrow(1, I(1), 2), [M]),  # a 0-d int tensor, as torch takes
    "index_select_repeats": (lambda x, I: x[0].index_select(1, I([3, 0, 3, 3])), [M]),
    "index_select_dim0_int32": (lambda x, I: x[0].index_select(0, I([2, 2, 1]).int()), [M]),
    "gather_dim1": (lambda x, I: x[0].gather(1, I([[0, 0, 3], [2, 1, 2], [3, 3, 3]])), [M]),
    "gather_dim0_smaller_index": (lambda x, I: x[0].gather(0, I([[2, 0], [2, 2]])), [M]),
    "gather_3d_negative_dim": (lambda x, I: x[0].gather(-2, I([[[0, 2, 2, 1]], [[1, 1, 0, 0]]])), [B]),
    "gather_0d": (lambda x, I: x[0].sum().gather(0, I(0)), [M]),
    "scatter_src": (lambda x, I: x[0].scatter(0, I([[2, 0, 1, 1], [0, 1, 0, 2]]), x[1]), [M, M[:2] * -3]),
    "scatter_number": (lambda x, I: x[0].scatter(1, I([[1], [3], [0]]), -2.5), [M]),
    "scatter_add_repeats": (lambda x, I: x[0].scatter_add(1, I([[0, 0, 0], [3, 1, 3], [2, 2, 2]]), x[1]),
                            [M, M[:, :3] * 2]),
    "scatter_add_dim0": (lambda x, I: x[0].scatter_add(0, I([[2, 2, 2, 2], [2, 1, 0, 2]]), x[1]), [M, M[:2] - 1]),
    "tril_batched_above": (lambda x, I: x[0].tril(1), [B]),
    "triu_below": (lambda x, I: x[0].triu(-1), [M]),
    "triu_far": (lambda x, I: x[0].triu(9), [M]),
    "diag_vector": (lambda x, I: x[0][0].diag(), [M]),
    "diag_vector_below": (lambda x, I: x[0][0].diag(-2), [M]),
    "diag_matrix_above": (lambda x, I: x[0].diag(2), [M]),
    "diag_matrix_below": (lambda x, I: x[0].diag(-1), [M]),
    "diag_matrix_out_of_it": (lambda x, I: x[0].diag(5), [M]),
    "pow_tensor_conventions": (lambda x, I: x[0] ** x[1], [BASES, POWERS]),
    "pow_tensor_broadcast": (lambda x, I: x[0].pow(x[1]), [M, np.array([[0.5], [-1.0], [2.0]])]),
    "pow_int_exponent": (lambda x, I: x[0] ** I([[0, 1, 2, -1]]), [M - 0.8]),
    "pow_of_number_zero": (lambda x, I: 0.0 ** x[0], [np.array([-1.0, 0.0, 0.5, 2.0])]),  # torch.pow(0, y)
    "pow_of_number_nan": (lambda x, I: float("nan") ** x[0], [np.array([-1.0, 0.0, 0.5, 2.0])]),  # 1 at y = 0
}
SMOOTH = ["amax_all", "tile_fewer_dims", "tile_more_dims", "roll_dims", "narrow_negative_start",
          "index_select_repeats", "gather_dim1", "gather_3d_negative_dim", "scatter_src", "scatter_number",
          "scatter_add_repeats", "tril_batched_above", "diag_vector_below", "diag_matrix_above",
          "pow_tensor_broadcast"]  # differentiable at the drawn inputs: gradcheck applies


def ours_and_torchs(name, device, dtype="float64"):
    fn, arrays = CASES[name]
    ours = [mg.tensor(a, dtype=dtype, device=device, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in arrays]
    out = fn(ours, lambda i: mg.tensor(np.array(i), device=device))
    tout = fn(theirs, torch.tensor)
    return ours, theirs, out, tout


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_match_torch(name, device):
    ours, theirs, out, tout = ours_and_torchs(name, device)
    assert out.shape == tuple(tout.shape) and out.dtype == np.float64 and out.device == device
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12, atol=0)
    upstream = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(mg.tensor(upstream, device=device))
    tout.backward(torch.tensor(upstream))
    for x, tx in zip(ours, theirs):
        assert x.grad.device == device
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", SMOOTH)
def test_gradcheck(name, device):
    fn, arrays = CASES[name]
    inputs = [mg.tensor(a, device=device, requires_grad=True) for a in arrays]
    assert mg.gradcheck(lambda *xs: fn(xs, lambda i: mg.tensor(np.array(i), device=device)), inputs)


@pytest.mark.parametrize("name", [n for n in CASES if n != "pow_tensor_conventions"])
def test_float32_stays_float32(name, device):
    ours, _, out, tout = ours_and_torchs(name, device, dtype="float32")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-6)
    (out * mg.ones_like(out)).sum().backward()
    assert all(x.grad.dtype == np.float32 for x in ours)


def test_the_functions_are_the_methods():
    x, tx = mg.tensor(M), torch.tensor(M)
    i, ti = mg.tensor([[0, 2], [1, 1]]), torch.tensor([[0, 2], [1, 1]])
    pairs = [(mg.amax(x, 0), torch.amax(tx, 0)), (mg.amin(x), torch.amin(tx)), (mg.tile(x, (2, 1)), torch.tile(tx, (2, 1))),
             (mg.roll(x, -1, 0), torch.roll(tx, -1, 0)), (mg.narrow(x, 1, 1, 2), torch.narrow(tx, 1, 1, 2)),
             (mg.index_select(x, 0, i[0]), torch.index_select(tx, 0, ti[0])), (mg.gather(x, 1, i), torch.gather(tx, 1, ti)),
             (mg.scatter(x, 1, i, 0.0), torch.scatter(tx, 1, ti, 0.0)),
             (mg.scatter_add(x, 1, i, x), torch.scatter_add(tx, 1, ti, tx)), (mg.tril(x), torch.tril(tx)),
             (mg.triu(x, 1), torch.triu(tx, 1)), (mg.diag(x), torch.diag(tx)), (mg.pow(x, x), torch.pow(tx, tx)),
             (mg.pow(2, i), torch.pow(2, ti)), (mg.pow(-2.0, x), torch.pow(-2.0, tx))]
    for ours, theirs in pairs:
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_and_boolean_tensors_keep_their_dtype(dtype, device):
    values = (np.arange(12).reshape(3, 4) * 5 % 7).astype(dtype)
    x, tx = mg.tensor(values, device=device), torch.tensor(values)
    index = [[2, 0, 1, 1], [0, 0, 2, 1]]
    i, ti = mg.tensor(index, device=device), torch.tensor(index)
    ops = [lambda t, j: t.amax(1), lambda t, j: t.amin(), lambda t, j: t.tile(2), lambda t, j: t.roll(1, 1),
           lambda t, j: t.narrow(1, 1, 2), lambda t, j: t.index_select(1, j[0]), lambda t, j: t.gather(0, j),
           lambda t, j: t.scatter(0, j, t), lambda t, j: t.tril(), lambda t, j: t.triu(1), lambda t, j: t.diag(),
           lambda t, j: t[0].diag(1)]
    if dtype != "bool":  # (torch has no scatter_add of booleans)
        ops.append(lambda t, j: t.scatter_add(0, j, t))
    for op in ops:
        ours, theirs = op(x, i), op(tx, ti)
        assert ours.dtype == np.dtype(dtype) and ours.device == device
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_integer_powers_of_integers_follow_torch(device):
    bases = np.array([[0, 1, 2, -1, -1, -2, 3, 0]])
    powers = np.array([[-1, -3, -1, -3, -2, -2, 2, 0]])
    for base_dtype, power_dtype in [("int64", "int64"), ("int32", "int64"), ("uint8", "uint8"), ("bool", "int64")]:
        b, p = np.abs(bases) if base_dtype in ("uint8", "bool") else bases, np.abs(powers) if power_dtype == "uint8" else powers
        ours = mg.tensor(b.astype(base_dtype), device=device) ** mg.tensor(p.astype(power_dtype), device=device)
        theirs = torch.tensor(b.astype(base_dtype)) ** torch.tensor(p.astype(power_dtype))
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    zero_d = mg.tensor(-2, device=device) ** mg.tensor(True, device=device)  # (NumPy's power of 0-d arrays is a scalar)
    assert zero_d.shape == () and zero_d.dtype == np.int64 and zero_d.item() == -2
    # a 0-d int64 exponent is a number beside int32 (int32 stays), and an int32 base ** a float tensor is float32
    assert (mg.tensor([2, 3], dtype="int32", device=device) ** mg.tensor(2, device=device)).dtype == np.int32
    assert (mg.tensor([2, 3], dtype="int32", device=device) ** mg.tensor([0.5, 2.0], device=device)).dtype == np.float32


def test_gathers_gradient_adds_repeats_in_index_order(device):
    # float32 sums that depend on the order: (1e8 + 1) - 1e8 is 0, (1e8 - 1e8) + 1 is 1
    x = mg.tensor(np.zeros((1, 3), np.float32), device=device, requires_grad=True)
    index = mg.tensor([[0, 2, 0, 0, 2, 0]], device=device)
    upstream = np.array([[1e8, 5.0, 1.0, -1e8, 7.0, 1.0]], np.float32)
    mg.gather(x, 1, index).backward(mg.tensor(upstream, device=device))
    expected = np.zeros(3, np.float32)
    for j, k in enumerate([0, 2, 0, 0, 2, 0]):  # the definition: added one after another, in the index's order
        expected[k] = np.float32(expected[k] + upstream[0, j])
    np.testing.assert_array_equal(x.grad.numpy()[0], expected)
    assert expected[0] == 1.0  # (in another order the sum would be 0 or 2)


def test_scatter_from_a_larger_src_gets_gradient_only_where_it_was_read(device):
    # torch's own backward refuses a src larger than the index; the covered part's gradient is torch's
    x, src = mg.tensor(M, device=device, requires_grad=True), mg.tensor(M * 2, device=device, requires_grad=True)
    tx, tsrc = torch.tensor(M, requires_grad=True), torch.tensor(M[:2, :2] * 2, requires_grad=True)
    index = [[1, 0], [2, 3]]
    out = mg.scatter(x, 1, mg.tensor(index, device=device), src)
    tout = torch.scatter(tx, 1, torch.tensor(index), tsrc)
    np.testing.assert_array_equal(out.numpy(), tout.detach().numpy())
    upstream = np.random.default_rng(3).standard_normal(M.shape)
    out.backward(mg.tensor(upstream, device=device))
    tout.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    expected = np.zeros_like(M)
    expected[:2, :2] = tsrc.grad.numpy()
    np.testing.assert_array_equal(src.grad.numpy(), expected)


def test_narrow_is_a_view_as_in_torch(device):
    x = mg.tensor(M, device=device)
    y = x.narrow(1, 1, 2)
    y += 1
    np.testing.assert_allclose(x.numpy()[:, 1:3], M[:, 1:3] + 1)
    np.testing.assert_allclose(x.numpy()[:, 0], M[:, 0])


def test_ops_return_new_tensors(device):
    x = mg.tensor(M, device=device)
    for y in (x.roll(0), x.roll(4, 1), x.tile(()), x.scatter(1, mg.tensor([[0]], device=device), 7.0), x.tril(9)):
        y += 1  # the new tensor's memory is its own
    np.testing.assert_array_equal(x.numpy(), M)


def _x(device):
    return mg.tensor(M, dtype="float32", device=device)


def _i(values, device, dtype="int64"):
    return mg.tensor(np.array(values, dtype=dtype), device=device)


BAD = [
    (lambda d: mg.tensor(3.0, device=d).index_select(0, mg.tensor([0, 0], device=d)), ValueError,
     r"index_select: a 0-d x gives one value; got 2 indices"),
    (lambda d: _x(d).amax(3), ValueError, r"amax: axis 3 is out of range for a tensor of shape \(3, 4\)"),
    (lambda d: mg.zeros(0, 3, device=d).amin(0), ValueError, r"amin: the tensor of shape \(0, 3\) has no values"),
    (lambda d: mg.amax(_x(d), (0, 0)), ValueError, "amax: axis .* names an axis twice"),
    (lambda d: mg.tile(_x(d), 2), TypeError, r"tile: dims must be a tuple of ints, got int 2; write tile\(x, \(2,\)\)"),
    (lambda d: _x(d).tile(2, -1), ValueError, r"tile: dims must be ints >= 0 .*got \(2, -1\)"),
    (lambda d: _x(d).roll((1, 2), 0), ValueError, "roll: got 2 shifts and 1 dims; give one shift per dim"),
    (lambda d: _x(d).roll((1, 2)), ValueError, "roll: without dims, shifts must be one int"),
    (lambda d: _x(d).roll(1.5), TypeError, r"roll: shifts must be an int or a tuple of ints, got \(1.5,\)"),
    (lambda d: _x(d).roll(1, 2), ValueError, r"roll: axis 2 is out of range for a tensor of shape \(3, 4\)"),
    (lambda d: _x(d).narrow(1, -5, 1), IndexError, r"narrow: start -5 is out of range for axis 1 of size 4 .*-4 <= start <= 4"),
    (lambda d: _x(d).narrow(1, 2, 3), ValueError, "narrow: 3 entries from 2 on do not fit in axis 1 of size 4 .*0..2"),
    (lambda d: _x(d).narrow(1, 0, -1), ValueError, "narrow: -1 entries"),
    (lambda d: _x(d).narrow(1, 1.0, 1), TypeError, "narrow: start must be an int, got float 1.0"),
    (lambda d: _x(d).sum().narrow(0, 0, 1), ValueError, "narrow: x is a 0-d tensor"),
    (lambda d: _x(d).index_select(1, _i([0.0], d, "float32")), TypeError,
     r"index_select: the index must hold int64 \(or int32\) values, got float32; convert it with index.long\(\)"),
    (lambda d: _x(d).index_select(1, [0]), TypeError, "index_select: the index must be a minigan Tensor of int64, got a builtins.list"),
    (lambda d: _x(d).index_select(1, _i([[0]], d)), ValueError, r"index_select: the index must be a vector \(1-D\), got shape \(1, 1\)"),
    (lambda d: _x(d).index_select(1, _i([0, 4], d)), IndexError, r"index_select: index 4 is out of range for dim 1 of size 4; indices must lie in 0..3"),
    (lambda d: _x(d).index_select(0, _i([-1], d)), IndexError, "index_select: index -1 is out of range for dim 0 of size 3"),
    (lambda d: _x(d).gather(1, _i([0, 1], d)), ValueError,
     r"gather: the index must have as many axes as x, got shapes \(2,\) and \(3, 4\)"),
    (lambda d: _x(d).gather(1, _i([[0]] * 4, d)), ValueError,
     r"gather: the index's shape \(4, 1\) must be no larger than x's \(3, 4\) outside dim 1"),
    (lambda d: _x(d).gather(1, _i([[0], [4]], d)), IndexError, "gather: index 4 is out of range for dim 1 of size 4"),
    (lambda d: _x(d).gather(0, _i([[-1]], d)), IndexError, "gather: index -1 is out of range for dim 0 of size 3"),
    (lambda d: _x(d).gather(1, _i([[0]], d, "uint8")), TypeError, "gather: the index must hold int64 .*got uint8"),
    (lambda d: _x(d).gather(2, _i([[0]], d)), ValueError, r"gather: axis 2 is out of range for a tensor of shape \(3, 4\)"),
    (lambda d: _x(d).gather(1, _i([[0]], d), sparse_grad=True), NotImplementedError, "gather: sparse_grad=True"),
    (lambda d: _x(d).scatter(1, _i([[0]], d), mg.ones(1, 1, dtype="float64", device=d)), TypeError,
     r"scatter: src \(float64 on '.*'\) must have x's dtype and device \(float32 on '.*'\); convert it with src.to"),
    (lambda d: _x(d).scatter(1, _i([[0, 1]], d), mg.ones(1, 1, device=d)), ValueError,
     r"scatter: src's shape \(1, 1\) must have the index's axes, each no smaller \(index \(1, 2\)\)"),
    (lambda d: _x(d).scatter(1, _i([[0]], d), "a"), TypeError, "scatter: src must be a minigan Tensor or a number, got a builtins.str"),
    (lambda d: _x(d).scatter_add(1, _i([[0]], d), 1.0), TypeError, "scatter_add: src must be a minigan Tensor, got a builtins.float"),
    (lambda d: _x(d).scatter_add(1, _i([[5]], d), mg.ones(1, 1, device=d)), IndexError, "scatter_add: index 5 is out of range"),
    (lambda d: _x(d)[0].tril(), ValueError, r"tril: expected a matrix \(or a batch of them, the last two axes\), got shape \(4,\)"),
    (lambda d: _x(d).triu(0.5), TypeError, "triu: diagonal must be an int, got float 0.5"),
    (lambda d: mg.zeros(2, 2, 2, device=d).diag(), ValueError, r"diag: expected a 1-D or 2-D tensor, got shape \(2, 2, 2\)"),
    (lambda d: _x(d).diag(1.0), TypeError, "diag: diagonal must be an int, got float 1.0"),
    (lambda d: mg.tensor([True], device=d) ** mg.tensor([True], device=d), TypeError,
     r"pow \(x \*\* y\): booleans are not supported \(torch refuses them too\)"),
    (lambda d: _x(d) ** mg.tensor([2.0], dtype="float64", device=d), TypeError, r"pow \(x \*\* y\): dtypes differ, float32 and float64"),
    (lambda d: _x(d) ** mg.ones(3, device=d), ValueError, r"TensorPow of inputs with shapes \(3, 4\), \(3,\)"),
]


@pytest.mark.parametrize("case", range(len(BAD)))
def test_bad_input_is_a_clear_error(case, device):
    make, error, message = BAD[case]
    with pytest.raises(error, match=message):
        make(device)


def test_a_repeated_position_keeps_the_last_value_on_every_device(device):
    # (a GPU's threads write repeats in no fixed order; minigan keeps NumPy's last value there too: same every run)
    x = mg.zeros(3, 4, device=device)
    x[mg.tensor([2, 0, 2, 2], device=device)] = mg.tensor(np.arange(16.0).reshape(4, 4), device=device)
    np.testing.assert_array_equal(x.numpy(), [[4, 5, 6, 7], [0, 0, 0, 0], [12, 13, 14, 15]])
    y = mg.zeros(4, 3, device=device).t()  # a strided view, two index arrays, a value broadcast along them
    y[[0, 1, 0], [3, 3, 3]] = mg.tensor([1.0, 2.0, 3.0], device=device)
    assert y.numpy()[0, 3] == 3.0 and y.numpy()[1, 3] == 2.0 and y.numpy().sum() == 5.0
    z = mg.zeros(2, 5, dtype="int64", device=device)
    z[1, [4, 4, 0]] = mg.tensor([7, 8, 9], device=device)  # an integer beside the array: torch's order
    assert z.tolist() == [[0, 0, 0, 0, 0], [9, 0, 0, 0, 8]]
    copied = mg.index_copy(mg.zeros(5, device=device), 0, mg.tensor([1, 3, 1], device=device),
                           mg.tensor([1.0, 2.0, 3.0], device=device))
    assert copied.tolist() == [0.0, 3.0, 0.0, 2.0, 0.0]
    listed = mg.zeros(3, device=device)
    listed[mg.tensor([0, 0, 2], device=device)] = [1.0, 2.0, 3.0]  # (a list of values too)
    assert listed.tolist() == [2.0, 0.0, 3.0]
    many = mg.tensor(np.random.default_rng(3).integers(0, 7, 5000), device=device)
    values = mg.tensor(np.arange(5000.0), device=device)
    runs = []
    for _ in range(3):
        w = mg.zeros(7, device=device)
        w[many] = values
        runs.append(w.numpy())
    expected = np.zeros(7)
    expected[many.numpy()] = np.arange(5000.0)  # NumPy: the last write of each position
    for run in runs:
        np.testing.assert_array_equal(run, expected)
