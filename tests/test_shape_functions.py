"""torch's shape and indexing functions, against torch: movedim, swapaxes, ravel, unflatten, tensor_split and
h/v/dsplit, h/v/d/column/row_stack, atleast_1d/2d/3d, broadcast_tensors/_shapes, rot90, diff, take_along_dim,
take, masked_select, index_add/copy/fill, tril_/triu_indices, bincount, unique, searchsorted, bucketize, histc.

Values and gradients (for a random upstream gradient) are compared with torch's in float64, on each device;
float32 stays float32, and bad input is an error naming the function.
"""

import numpy as np
import pytest

import minigan as mg

torch = pytest.importorskip("torch")

M = np.arange(1.0, 13.0).reshape(3, 4) / 7  # distinct values
B = np.arange(1.0, 25.0).reshape(2, 3, 4) / 11
V = np.array([0.5, -1.0, 2.0, 4.0, 3.5])

# name: (f(namespace, inputs, index), input arrays); namespace is minigan or torch, index makes an int64 tensor
CASES = {
    "movedim_one": (lambda ns, x, I: ns.movedim(x[0], 0, -1), [B]),
    "movedim_two": (lambda ns, x, I: ns.movedim(x[0], (0, 1), (2, 0)), [B]),
    "moveaxis_negative": (lambda ns, x, I: ns.moveaxis(x[0], -1, 0), [B]),
    "swapaxes": (lambda ns, x, I: ns.swapaxes(x[0], 0, 2), [B]),
    "swapdims": (lambda ns, x, I: ns.swapdims(x[0], -1, 1), [B]),
    "ravel": (lambda ns, x, I: ns.ravel(ns.swapaxes(x[0], 0, 1)), [B]),
    "unflatten": (lambda ns, x, I: ns.unflatten(x[0], 1, (2, -1)), [M]),
    "unflatten_empty_other_axis": (lambda ns, x, I: ns.unflatten(x[0], 1, (2, -1)), [np.zeros((0, 4))]),
    "unflatten_negative_dim": (lambda ns, x, I: ns.unflatten(x[0], -1, (2, 1, 2)), [B]),
    "tensor_split_sections": (lambda ns, x, I: ns.tensor_split(x[0], 3, 1), [B]),  # 4 in 3: sizes 2, 1, 1
    "tensor_split_more_sections_than_entries": (lambda ns, x, I: ns.tensor_split(x[0], 7), [V]),
    "tensor_split_indices": (lambda ns, x, I: ns.tensor_split(x[0], [-3, 2, 20]), [V]),
    "tensor_split_tensor_indices": (lambda ns, x, I: ns.tensor_split(x[0], I([1, 3]), dim=-1), [M]),
    "tensor_split_tensor_sections": (lambda ns, x, I: ns.tensor_split(x[0], I(3), dim=1), [M]),
    "hsplit": (lambda ns, x, I: ns.hsplit(x[0], 2), [M]),
    "hsplit_vector_indices": (lambda ns, x, I: ns.hsplit(x[0], [1, 4]), [V]),
    "vsplit": (lambda ns, x, I: ns.vsplit(x[0], 3), [M]),
    "dsplit": (lambda ns, x, I: ns.dsplit(x[0], [1]), [B]),
    "hstack_vectors": (lambda ns, x, I: ns.hstack([x[0], x[1]]), [V, V[:2]]),
    "hstack_matrices": (lambda ns, x, I: ns.hstack([x[0], x[1]]), [M, M[:, :1]]),
    "vstack": (lambda ns, x, I: ns.vstack([x[0], x[1][0]]), [M, M]),
    "vstack_3d": (lambda ns, x, I: ns.vstack([x[0], x[1]]), [B, B[:1] * 3]),
    "row_stack": (lambda ns, x, I: ns.row_stack((x[0][0], x[1][1])), [M, M]),
    "dstack": (lambda ns, x, I: ns.dstack([x[0], x[1]]), [M, M * 2]),
    "dstack_vectors": (lambda ns, x, I: ns.dstack([x[0], x[1]]), [V, V * 2]),
    "column_stack": (lambda ns, x, I: ns.column_stack([x[0][:, 0], x[0], x[1][:3]]), [M, V]),
    "column_stack_0d": (lambda ns, x, I: ns.column_stack([x[0].sum(), x[0][0, 0]]), [M]),
    "atleast_1d_0d": (lambda ns, x, I: ns.atleast_1d(x[0].sum()), [M]),
    "atleast_2d_vector": (lambda ns, x, I: ns.atleast_2d(x[0]), [V]),
    "atleast_2d_many": (lambda ns, x, I: ns.atleast_2d(x[0].sum(), x[1], x[0]), [M, V]),
    "atleast_3d_vector": (lambda ns, x, I: ns.atleast_3d(x[0]), [V]),
    "atleast_3d_matrix_list": (lambda ns, x, I: ns.atleast_3d([x[0], x[1].sum()]), [M, V]),
    "broadcast_tensors": (lambda ns, x, I: ns.broadcast_tensors(x[0], x[1][:, :1], x[0][0]), [M, M]),
    "rot90": (lambda ns, x, I: ns.rot90(x[0]), [M]),
    "rot90_twice_dims": (lambda ns, x, I: ns.rot90(x[0], 2, (2, 0)), [B]),
    "rot90_three_negative": (lambda ns, x, I: ns.rot90(x[0], -1, [1, 2]), [B]),
    "rot90_four": (lambda ns, x, I: ns.rot90(x[0], 4), [M]),
    "diff": (lambda ns, x, I: ns.diff(x[0]), [V]),
    "diff_twice_dim0": (lambda ns, x, I: ns.diff(x[0], 2, 0), [B]),
    "diff_prepend_append": (lambda ns, x, I: ns.diff(x[0], 3, -1, x[1], x[1][:, :2]), [M, M[:, :1] * 3]),
    "diff_more_than_entries": (lambda ns, x, I: ns.diff(x[0], 7), [V]),
    "take_along_dim": (lambda ns, x, I: ns.take_along_dim(x[0], I([[3, 0, 0], [1, 1, 2], [0, 3, 3]]), 1), [M]),
    "take_along_dim_broadcast": (lambda ns, x, I: ns.take_along_dim(x[0], I([[[2], [0]]]), -2), [B]),
    "take_along_dim_negative": (lambda ns, x, I: ns.take_along_dim(x[0], I([[-1, 0], [-4, 2], [3, -2]]), 1), [M]),
    "take_along_dim_flat": (lambda ns, x, I: ns.take_along_dim(x[0], I([[11, 0], [5, 5]])), [M]),
    "take": (lambda ns, x, I: ns.take(x[0], I([[0, -1], [5, 5], [-12, 3]])), [M]),
    "masked_select": (lambda ns, x, I: ns.masked_select(x[0], x[0] > 0.9), [M]),
    "masked_select_broadcast_x": (lambda ns, x, I: ns.masked_select(x[0][1:2], x[0] > 0.9), [M]),
    "masked_select_broadcast": (lambda ns, x, I: ns.masked_select(x[0], I([[1], [0], [1]]) > 0), [M]),
    "index_add": (lambda ns, x, I: ns.index_add(x[0], 1, I([3, 0, 3]), x[1]), [M, M[:, :3] * 2]),
    "index_add_alpha": (lambda ns, x, I: ns.index_add(x[0], -3, I([1]), x[1], alpha=-2.5), [B, B[:1] + 1]),
    "index_add_alpha_zero": (lambda ns, x, I: ns.index_add(x[0], 0, I([2, 2]), x[1], alpha=0), [M, M[:2]]),
    "index_copy": (lambda ns, x, I: ns.index_copy(x[0], 0, I([2, 0]), x[1]), [M, M[:2] * -1]),
    "index_fill": (lambda ns, x, I: ns.Tensor.index_fill(x[0], 1, I([0, 2, 2]), -1.5), [M]),
    "index_fill_negative": (lambda ns, x, I: ns.Tensor.index_fill(x[0], -1, I([-1, 0, -4]), 2.5), [M]),
    "index_fill_tensor_value": (lambda ns, x, I: ns.Tensor.index_fill(x[0], 0, I([1]), x[1].sum()), [M, V]),
}
SMOOTH = ["movedim_two", "unflatten", "tensor_split_sections", "tensor_split_indices", "hstack_matrices",
          "dstack", "column_stack", "atleast_3d_matrix_list", "broadcast_tensors", "rot90", "rot90_three_negative",
          "diff_prepend_append", "take_along_dim_broadcast", "take", "masked_select", "index_add_alpha",
          "index_copy", "index_fill_tensor_value"]


def pieces(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def ours_and_torchs(name, device, dtype="float64"):
    fn, arrays = CASES[name]
    ours = [mg.tensor(a, dtype=dtype, device=device, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in arrays]
    out = pieces(fn(mg, ours, lambda i: mg.tensor(np.array(i), device=device)))
    tout = pieces(fn(torch, theirs, torch.tensor))
    return ours, theirs, out, tout


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_match_torch(name, device):
    ours, theirs, out, tout = ours_and_torchs(name, device)
    assert len(out) == len(tout)
    rng = np.random.default_rng(7)
    loss, tloss = 0, 0
    for y, ty in zip(out, tout):
        assert y.shape == tuple(ty.shape) and y.dtype == np.float64 and y.device == device
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12, atol=0)
        upstream = rng.standard_normal(y.shape)
        loss = loss + (y * mg.tensor(upstream, device=device)).sum()
        tloss = tloss + (ty * torch.tensor(upstream)).sum()
    loss.backward()
    tloss.backward()
    for x, tx in zip(ours, theirs):
        assert x.grad.device == device
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", SMOOTH)
def test_gradcheck(name, device):
    fn, arrays = CASES[name]
    inputs = [mg.tensor(a, device=device, requires_grad=True) for a in arrays]
    index = lambda i: mg.tensor(np.array(i), device=device)  # noqa: E731
    assert mg.gradcheck(lambda *xs: mg.cat([p.reshape(-1) for p in pieces(fn(mg, xs, index))]), inputs)


@pytest.mark.parametrize("name", ["diff_prepend_append", "index_add_alpha", "rot90"])
def test_gradgradcheck(name, device):
    fn, arrays = CASES[name]
    inputs = [mg.tensor(a, device=device, requires_grad=True) for a in arrays]
    index = lambda i: mg.tensor(np.array(i), device=device)  # noqa: E731
    assert mg.gradgradcheck(lambda *xs: fn(mg, xs, index) ** 2, inputs)


@pytest.mark.parametrize("name", list(CASES))
def test_float32_stays_float32(name, device):
    ours, _, out, tout = ours_and_torchs(name, device, dtype="float32")
    for y, ty in zip(out, tout):
        assert y.dtype == np.float32
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-6)
    sum((y * mg.ones_like(y)).sum() for y in out).backward()
    assert all(x.grad.dtype == np.float32 for x in ours)


def test_the_methods_are_the_functions(device):
    x, tx = mg.tensor(B, device=device), torch.tensor(B)
    i, ti = mg.tensor([[[1, 0, 2, 2]]], device=device), torch.tensor([[[1, 0, 2, 2]]])
    j, tj = mg.tensor([2, 0], device=device), torch.tensor([2, 0])
    calls = [lambda t, i, j: t.movedim(0, 2), lambda t, i, j: t.moveaxis((2, 0), (0, 1)),
             lambda t, i, j: t.swapaxes(0, 1), lambda t, i, j: t.swapdims(2, 1), lambda t, i, j: t.ravel(),
             lambda t, i, j: t.tensor_split([1, 3], 2), lambda t, i, j: t.hsplit(3), lambda t, i, j: t.vsplit([1]),
             lambda t, i, j: t.dsplit(2), lambda t, i, j: t.rot90(3, [2, 1]), lambda t, i, j: t.diff(dim=1),
             lambda t, i, j: t.take_along_dim(i, 1), lambda t, i, j: t.take(j), lambda t, i, j: t.masked_select(t > 1),
             lambda t, i, j: t.index_add(2, j, t[..., :2], alpha=2), lambda t, i, j: t.index_copy(1, j, t[:, :2]),
             lambda t, i, j: t.index_fill(-1, j, 7.0)]
    for call in calls:
        ours, theirs = pieces(call(x, i, j)), pieces(call(tx, ti, tj))
        assert [y.shape for y in ours] == [tuple(y.shape) for y in theirs]
        for y, ty in zip(ours, theirs):
            np.testing.assert_array_equal(y.numpy(), ty.numpy())


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_integer_and_boolean_tensors_keep_their_dtype(dtype, device):
    values = (np.arange(24).reshape(2, 3, 4) * 5 % 7).astype(dtype)
    x, tx = mg.tensor(values, device=device), torch.tensor(values)
    j, tj = mg.tensor([2, 0], device=device), torch.tensor([2, 0])
    ops = [lambda ns, t, j: ns.movedim(t, 0, 2), lambda ns, t, j: ns.rot90(t, 1, (1, 2)),
           lambda ns, t, j: ns.diff(t, 2), lambda ns, t, j: ns.diff(t, 1, 0, t[:1]),  # booleans: exclusive or
           lambda ns, t, j: ns.hstack([t, t]), lambda ns, t, j: ns.column_stack([t[0, :, 0], t[1]]),
           lambda ns, t, j: ns.take(t, j), lambda ns, t, j: ns.take_along_dim(t, j.reshape(1, 1, 2), -1),
           lambda ns, t, j: ns.masked_select(t, t > 0), lambda ns, t, j: ns.index_copy(t, 1, j, t[:, :2]),
           lambda ns, t, j: ns.Tensor.index_fill(t, 2, j, 1)]
    if dtype != "bool":
        ops.append(lambda ns, t, j: ns.index_add(t, 1, j, t[:, 1:], alpha=3))
    for op in ops:
        ours, theirs = op(mg, x, j), op(torch, tx, tj)
        assert ours.dtype == np.dtype(dtype) and ours.device == device
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_index_fill_and_index_add_keep_xs_float_dtype(device):
    x, tx = mg.zeros(2, 3, device=device), torch.zeros(2, 3)  # float32; the value and the source float64
    j, tj = mg.tensor([2, 0], device=device), torch.tensor([2, 0])
    same(x.index_fill(1, j, mg.tensor(2.7, dtype=mg.float64, device=device)),
         tx.index_fill(1, tj, torch.tensor(2.7, dtype=torch.float64)), device)
    inf = np.array([[np.inf, 1.0]] * 2)  # alpha=0 still multiplies: 0 * inf is NaN, as torch's
    np.testing.assert_array_equal(mg.index_add(x.double(), 1, j, mg.tensor(inf, device=device), alpha=0).numpy(),
                                  torch.index_add(tx.double(), 1, tj, torch.tensor(inf), alpha=0).numpy())


def test_index_add_adds_repeats_up(device):
    x = mg.zeros(2, 3, device=device)
    out = mg.index_add(x, 1, mg.tensor([2, 2, 0], device=device), mg.tensor([[1.0, 2.0, 4.0], [8.0, 16.0, 32.0]],
                                                                             device=device))
    np.testing.assert_array_equal(out.numpy(), [[4.0, 0.0, 3.0], [32.0, 0.0, 24.0]])
    np.testing.assert_array_equal(x.numpy(), np.zeros((2, 3)))  # not in place


@pytest.mark.parametrize("offset", [-4, -1, 0, 2, 6])
@pytest.mark.parametrize("row, col", [(3, 4), (5, 2), (0, 3), (4, 4)])
def test_tril_and_triu_indices_match_torch(row, col, offset, device):
    for name in ("tril_indices", "triu_indices"):
        ours = getattr(mg, name)(row, col, offset, device=device)
        theirs = getattr(torch, name)(row, col, offset)
        assert ours.dtype == np.int64 and ours.device == device and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert mg.tril_indices(3, 3, dtype=mg.int32).dtype == np.int32


def test_broadcast_shapes_and_atleast_return_what_torchs_do():
    assert mg.broadcast_shapes((2, 1), 3, (4, 1, 1)) == tuple(torch.broadcast_shapes((2, 1), 3, (4, 1, 1))) == (4, 2, 3)
    assert mg.broadcast_shapes() == ()
    x = mg.tensor(V)
    assert mg.atleast_1d(x) is x and mg.atleast_2d(M_T := mg.tensor(M)) is M_T  # already enough axes: x itself
    assert isinstance(mg.atleast_1d([x]), tuple) and isinstance(mg.atleast_3d(x, x), tuple)


def test_ravel_and_movedim_are_views_and_rot90_and_diff_copies_as_in_torch(device):
    x = mg.tensor(M, device=device)
    y = x.ravel()
    y += 1
    z = x.movedim(0, 1)
    z -= 2
    np.testing.assert_allclose(x.numpy(), M - 1)
    w = x.rot90(4)  # no turn: still a new tensor (a copy), as torch's
    w += 5
    d = x.diff(0)  # no difference taken: a copy too
    d += 5
    np.testing.assert_allclose(x.numpy(), M - 1)


def same(ours, theirs, device):
    ours, theirs = pieces(ours), pieces(theirs)
    assert len(ours) == len(theirs)
    for y, ty in zip(ours, theirs):
        assert y.device == device and str(y.dtype) == str(ty.dtype).replace("torch.", "") and y.shape == tuple(ty.shape)
        np.testing.assert_array_equal(y.numpy(), ty.numpy())


def test_bincount_matches_torch(device):
    values = np.array([1, 3, 3, 0, 5, 3])
    x, tx = mg.tensor(values, device=device), torch.tensor(values)
    w = np.array([0.5, -1.0, 2.0, 4.0, 3.5, 0.25])
    same(mg.bincount(x), torch.bincount(tx), device)
    same(x.bincount(minlength=9), tx.bincount(minlength=9), device)
    same(mg.bincount(x, minlength=2), torch.bincount(tx, minlength=2), device)  # (more values than minlength)
    for dtype in ("float32", "float64", "int32"):  # integer weights: float64 sums, as torch's
        same(mg.bincount(x, mg.tensor(w.astype(dtype), device=device)), torch.bincount(tx, torch.tensor(w.astype(dtype))),
             device)
    same(mg.bincount(mg.tensor(np.zeros(0, np.int64), device=device)), torch.bincount(torch.zeros(0, dtype=torch.long)),
         device)


@pytest.mark.parametrize("flags", [(False, False), (True, False), (False, True), (True, True)])
def test_unique_matches_torch(flags, device):
    values = np.array([[3.0, 1.0, -2.0], [1.0, 3.0, 3.0]])
    x, tx = mg.tensor(values, device=device), torch.tensor(values)
    inverse, counts = flags
    same(mg.unique(x, return_inverse=inverse, return_counts=counts),
         torch.unique(tx, return_inverse=inverse, return_counts=counts), device)
    same(x.long().unique(True, inverse, counts), tx.long().unique(True, inverse, counts), device)
    same(mg.unique(x, sorted=False), torch.tensor([-2.0, 1.0, 3.0], dtype=torch.float64), device)  # sorted anyway


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unique_keeps_every_nan_apart_in_order_as_torch(dtype, device):
    # NaN != NaN: torch gives each its own entry, after inf, in the order they occur (NumPy's default merges them)
    values = np.array([np.nan, 1.0, np.nan, -np.inf, 1.0, np.inf, np.nan, 0.0], dtype=dtype)
    x, tx = mg.tensor(values, device=device), torch.tensor(values)
    ours, theirs = mg.unique(x, return_inverse=True, return_counts=True), torch.unique(tx, return_inverse=True,
                                                                                       return_counts=True)
    same(ours, theirs, device)
    assert np.isnan(ours[0].numpy()).sum() == 3  # (in case `same` took NaN for NaN anywhere)
    np.testing.assert_array_equal(ours[1].numpy(), [4, 2, 5, 0, 2, 3, 6, 1])


def test_searchsorted_and_bucketize_match_torch(device):
    seq = np.array([1.0, 3.0, 3.0, 5.0])
    values = np.array([[3.0, 0.0], [6.0, 4.0], [1.0, 5.0]])
    s, ts, v, tv = mg.tensor(seq, device=device), torch.tensor(seq), mg.tensor(values, device=device), torch.tensor(values)
    for kwargs in ({}, {"right": True}, {"side": "right"}, {"side": "left"}, {"out_int32": True}):
        same(mg.searchsorted(s, v, **kwargs), torch.searchsorted(ts, tv, **kwargs), device)
        same(mg.bucketize(v, s, **{k: a for k, a in kwargs.items() if k != "side"}),
             torch.bucketize(tv, ts, **{k: a for k, a in kwargs.items() if k != "side"}), device)
    same(mg.searchsorted(s, 3.0), torch.searchsorted(ts, 3.0), device)
    for empty in (np.zeros(0), np.zeros((3, 0))):  # an empty sequence: every value goes first
        same(mg.searchsorted(mg.tensor(empty, device=device), v), torch.searchsorted(torch.tensor(empty), tv), device)
    batched = np.array([[1.0, 2.0, 4.0], [0.0, 5.0, 6.0]])
    b, tb = mg.tensor(batched, device=device), torch.tensor(batched)
    for kwargs in ({}, {"right": True}):
        same(mg.searchsorted(b, v[:2], **kwargs), torch.searchsorted(tb, tv[:2], **kwargs), device)
    order = np.array([2, 0, 3, 1])
    shuffled = seq[order.argsort()]  # sorter: the indices that sort it
    same(mg.searchsorted(mg.tensor(shuffled, device=device), v, sorter=mg.tensor(order.argsort().argsort(), device=device)),
         torch.searchsorted(torch.tensor(shuffled), tv, sorter=torch.tensor(order.argsort().argsort())), device)


def test_histc_matches_torch(device):
    values = np.array([1.0, 2.0, 1.0, 4.0, 5.0, 2.5, -0.5, 3.0, 0.0])
    for dtype in ("float64", "float32"):
        x, tx = mg.tensor(values.astype(dtype), device=device), torch.tensor(values.astype(dtype))
        same(mg.histc(x, bins=4, min=0, max=3), torch.histc(tx, bins=4, min=0, max=3), device)
        same(x.histc(7), tx.histc(7), device)  # min == max: x's own range
        same(mg.histc(x[:1], 4), torch.histc(tx[:1], 4), device)  # one value: 1 either side
        same(mg.histc(x, 3, -1.0, 1.0), torch.histc(tx, 3, -1.0, 1.0), device)


BAD = [
    (lambda x, i: mg.movedim(x, (0, 1), 0), ValueError, "movedim: source"),
    (lambda x, i: mg.movedim(x, (0, 0), (1, 2)), ValueError, "movedim: axis"),
    (lambda x, i: mg.movedim(x, 3, 0), ValueError, "movedim: axis 3 is out of range"),
    (lambda x, i: mg.unflatten(x, 1, (2, 3)), ValueError, "unflatten: sizes (2, 3) do not make up the 4"),
    (lambda x, i: mg.unflatten(x, 1, (-1, -1)), ValueError, "unflatten: sizes must be"),
    (lambda x, i: mg.unflatten(x, 1, (3, -1)), ValueError, "unflatten: sizes (3, -1) do not make up the 4"),
    (lambda x, i: mg.unflatten(x, 1, (0, -1)), ValueError, "unflatten: sizes (0, -1)"),
    (lambda x, i: mg.unflatten(x.sum(), 0, (1,)), ValueError, "unflatten: x is a 0-d tensor"),
    (lambda x, i: mg.tensor_split(x, 0), ValueError, "tensor_split: the number of sections must be"),
    (lambda x, i: mg.tensor_split(x, 2.0), TypeError, "tensor_split: indices_or_sections must be"),
    (lambda x, i: mg.tensor_split(x, i.reshape(1, 2)), TypeError, "tensor_split: a tensor indices_or_sections"),
    (lambda x, i: mg.tensor_split(x.sum(), 2), ValueError, "tensor_split: expected a tensor with at least one"),
    (lambda x, i: mg.hsplit(x, 3), ValueError, "hsplit: the 4 entries of dim 1 do not split into 3 equal"),
    (lambda x, i: mg.vsplit(x[0], 1), ValueError, "vsplit: expected a tensor with at least 2 axes"),
    (lambda x, i: mg.dsplit(x, 2), ValueError, "dsplit: expected a tensor with at least 3 axes"),
    (lambda x, i: mg.hstack(x), TypeError, "hstack: expected a list of tensors"),
    (lambda x, i: mg.vstack([x, x[:, :2]]), ValueError, "cat: shapes"),
    (lambda x, i: mg.atleast_2d(x, M), TypeError, "atleast_2d: item 1 of the list is not a minigan Tensor"),
    (lambda x, i: mg.broadcast_shapes((2, 3), (3, 2)), ValueError, "broadcast_shapes: shapes (2, 3), (3, 2) do not"),
    (lambda x, i: mg.broadcast_tensors(x, x[:2]), ValueError, "broadcast_tensors: shapes (3, 4), (2, 4) do not"),
    (lambda x, i: mg.rot90(x, 1, (0,)), ValueError, "rot90: dims must be two axes"),
    (lambda x, i: mg.rot90(x[0]), ValueError, "rot90: dims must be two axes"),
    (lambda x, i: mg.rot90(x, 1, (1, -1)), ValueError, "rot90: axis (1, -1) names an axis twice"),
    (lambda x, i: mg.rot90(x, 1.0), TypeError, "rot90: k must be an int"),
    (lambda x, i: mg.diff(x, -1), ValueError, "diff: n must be an int >= 0"),
    (lambda x, i: mg.diff(x.sum()), ValueError, "diff: expected a tensor with at least one axis"),
    (lambda x, i: mg.diff(x, 1, -1, x[0]), ValueError, "diff: prepend and append must have x's 2 axes"),
    (lambda x, i: mg.diff(x, 1, -1, x[:2, :1]), ValueError, "diff: prepend and append must have x's 2 axes and x's"),
    (lambda x, i: mg.take_along_dim(x, i, 1), ValueError, "take_along_dim: indices must have as many axes"),
    (lambda x, i: mg.take_along_dim(x, i.reshape(1, 2).float(), 1), TypeError, "take_along_dim: the index must hold"),
    (lambda x, i: mg.take_along_dim(x, mg.tensor([[0], [0]]), 1), ValueError, "take_along_dim: x (3, 4) and indices"),
    (lambda x, i: mg.take_along_dim(x, mg.tensor([[4]]), 1), IndexError, "take_along_dim: index 4 is out of range"),
    (lambda x, i: mg.take_along_dim(x, mg.tensor([[-5]]), 1), IndexError, "take_along_dim: index -5 is out of range"),
    (lambda x, i: mg.take_along_dim(x, mg.tensor([-1])), IndexError, "take_along_dim: index -1 is out of range"),
    (lambda x, i: mg.take_along_dim(x.sum(), mg.tensor(0), 0), ValueError, "take_along_dim: x is a 0-d tensor"),
    (lambda x, i: mg.take(x, mg.tensor([12])), IndexError, "take: index 12 is out of range"),
    (lambda x, i: mg.take(x, mg.tensor([-13])), IndexError, "take: index -13 is out of range"),
    (lambda x, i: mg.masked_select(x, x), TypeError, "masked_select: the mask must be boolean"),
    (lambda x, i: mg.masked_select(x, x[:2] > 0), ValueError, "masked_select: x (3, 4) and the mask (2, 4) do not"),
    (lambda x, i: mg.index_add(x, 1, i, x[:, :3]), ValueError, "index_add: source must have shape (3, 2) "),
    (lambda x, i: mg.index_add(x, 1, mg.tensor([0, 4]), x[:, :2]), IndexError, "index_add: index 4 is out of range"),
    (lambda x, i: mg.index_add(x, 1, i.reshape(2, 1), x[:, :2]), ValueError, "index_add: the index must be a vector"),
    (lambda x, i: mg.index_copy(x, 2, i, x[:, :2]), ValueError, "index_copy: axis 2 is out of range"),
    (lambda x, i: mg.index_fill(x, 0, mg.tensor([-4]), 1.0), IndexError, "index_fill: index -4 is out of range"),
    (lambda x, i: mg.index_fill(x, 0, i, x[0]), ValueError, "index_fill: value must be a number or a 0-d tensor"),
    (lambda x, i: mg.index_fill(x, 0, i, "1"), TypeError, "index_fill: value must be a number or a 0-d tensor"),
    (lambda x, i: mg.tril_indices(-1, 3), ValueError, "tril_indices: row must be an int >= 0"),
    (lambda x, i: mg.triu_indices(3, 3, 0.5), ValueError, "triu_indices: offset must be an int"),
    (lambda x, i: mg.triu_indices(3, 3, dtype=mg.float32), TypeError, "triu_indices: dtype must be int64 or int32"),
    (lambda x, i: mg.bincount(x), ValueError, "bincount: x must be a 1-D tensor of ints, got a float64"),
    (lambda x, i: mg.bincount(i - 1), ValueError, "bincount: x must hold values >= 0, got -1"),
    (lambda x, i: mg.bincount(i, x[0]), ValueError, "bincount: weights must have x's shape (2,)"),
    (lambda x, i: mg.bincount(i, minlength=-1), ValueError, "bincount: minlength must be an int >= 0"),
    (lambda x, i: mg.unique(x, dim=0), NotImplementedError, "unique: dim= (unique slices) is not in minigan"),
    (lambda x, i: mg.unique(x, return_counts=1), TypeError, "unique: return_counts"),
    (lambda x, i: mg.searchsorted(x, x[:2]), ValueError, "searchsorted: a sequence of shape (3, 4) is searched row"),
    (lambda x, i: mg.searchsorted(x[0], x, side="middle"), ValueError, "searchsorted: side must be 'left' or"),
    (lambda x, i: mg.searchsorted(x[0], x, side="left", right=True), ValueError, "searchsorted: side must be"),
    (lambda x, i: mg.searchsorted(x[0], "a"), TypeError, "searchsorted: values must be a tensor or a number"),
    (lambda x, i: mg.searchsorted(x[0], x, sorter=i), ValueError, "searchsorted: sorter must be an index tensor"),
    (lambda x, i: mg.bucketize(x, x), ValueError, "bucketize: boundaries must be 1-D"),
    (lambda x, i: mg.histc(i), TypeError, "histc: x must be a float tensor, got int64"),
    (lambda x, i: mg.histc(x, 0), ValueError, "histc: bins must be an int >= 1"),
    (lambda x, i: mg.histc(x, 3, 2.0, 1.0), ValueError, "histc: the range must be finite with min <= max"),
]


@pytest.mark.parametrize("case", range(len(BAD)))
def test_bad_input_is_a_clear_error(case):
    fn, error, message = BAD[case]
    with pytest.raises(error) as caught:
        fn(mg.tensor(M), mg.tensor([1, 0]))
    assert message in str(caught.value)
