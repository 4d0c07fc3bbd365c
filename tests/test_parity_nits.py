"""The last small differences from torch 2.13 in the activations and the scatter ops, each checked against torch.

- hardtanh, relu6, hardswish and hardsigmoid at NaN, +-inf and their kinks (min_val/max_val, 0 and 6, -3 and
  3): values (signs of zeros too) and first and second derivatives. torch's CPU kernels have two loops, and for
  NaN they disagree: the one-at-a-time loop (and CUDA) passes hardtanh's and hardswish's upstream gradient on,
  the vectorised one gives 0 (hardtanh) or NaN (hardswish), by position and length. minigan follows the first,
  so torch is asked one value at a time here;
- elu, selu and celu keep the sign of a zero (-0.0 gives -0.0), as torch's;
- scatter's reduce='add'/'multiply' (and value=), and the in-place scatter_ and scatter_add_: torch's values and
  refusals, and minigan's in-place rule (outside a graph only, as add_).
"""

import math
import warnings

import numpy as np
import pytest

import minigan as mg
from minigan.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

ACTIVATIONS = {  # name: (minigan's, torch's, the special points)
    "hardtanh": (lambda x: F.hardtanh(x, -2.0, 3.0), lambda t: TF.hardtanh(t, -2.0, 3.0), [-2.0, 3.0]),
    "relu6": (F.relu6, TF.relu6, [0.0, -0.0, 6.0]),
    "hardswish": (F.hardswish, TF.hardswish, [-3.0, 3.0, -4.0, -0.0]),
    "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid, [-3.0, 3.0]),
}
SPECIAL = [math.nan, math.inf, -math.inf, 0.5, -1e300]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_values_and_gradients_at_nan_infinities_and_kinks_are_torchs(name, dtype, device):
    ours, theirs, kinks = ACTIVATIONS[name]
    values = SPECIAL + kinks
    x = mg.tensor(values, dtype=dtype, device=device, requires_grad=True)
    y = ours(x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == np.dtype(dtype)
    for i, v in enumerate(values):  # one value at a time: torch's one-at-a-time loop (see the docstring)
        t = torch.tensor([v], dtype=getattr(torch, dtype), requires_grad=True)
        ty = theirs(t)
        ty.sum().backward()
        np.testing.assert_array_equal(y.numpy()[i], ty.item(), err_msg=f"{name}({v})")
        if not math.isnan(ty.item()):  # (a NaN's sign bit is the hardware's: a GPU's NaN is positive)
            assert np.signbit(y.numpy()[i]) == (math.copysign(1.0, ty.item()) < 0), f"{name}({v}): a zero's sign"
        # (torch's float64 hardsigmoid gradient is a float32 1/6; minigan's is exact)
        np.testing.assert_allclose(x.grad.numpy()[i], t.grad.item(), rtol=3e-8 if name == "hardsigmoid" else 0,
                                   atol=0, err_msg=f"d {name}/dx at {v}")


@pytest.mark.parametrize("name, square", [("hardtanh", True), ("relu6", True), ("hardswish", True),
                                          ("hardswish", False)])  # (hardtanh's and relu6's f'' is 0: no graph)
def test_second_derivatives_at_nan_and_kinks_are_torchs(name, square, device):
    # of 3 f(x), and of f(x)^2, whose first derivative depends on x through f too (torch refuses hardsigmoid's).
    # (Not f(x)^2 at NaN: its upstream gradient 2 f(x) is NaN there, which minigan's where-masks multiply by 0
    # (NaN) and torch's select away: for hardswish, minigan's second derivative is NaN there, torch's 2.)
    ours, theirs, kinks = ACTIVATIONS[name]
    values = [0.5, 2.5, -1e300] + kinks + ([] if square else [math.nan, math.inf, -math.inf])
    loss = (lambda y: (y ** 2).sum()) if square else (lambda y: (y * 3.0).sum())
    x = mg.tensor(values, dtype="float64", device=device, requires_grad=True)
    g, = mg.grad(loss(ours(x)), x, create_graph=True)
    gg, = mg.grad(g.sum(), x)
    for i, v in enumerate(values):
        t = torch.tensor([v], dtype=torch.float64, requires_grad=True)
        tg, = torch.autograd.grad(loss(theirs(t)), t, create_graph=True)
        tgg, = torch.autograd.grad(tg.sum(), t)
        np.testing.assert_array_equal([g.numpy()[i], gg.numpy()[i]], [tg.item(), tgg.item()], err_msg=f"{name}({v})")


def test_hardsigmoid_has_a_second_derivative_of_zero_where_torch_has_none(device):
    x = mg.tensor([math.nan, -3.0, 0.5, 3.0, 4.0], dtype="float64", device=device, requires_grad=True)
    g, = mg.grad(F.hardsigmoid(x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0, 1 / 6, 0.0, 0.0])
    gg, = mg.grad((g * x).sum(), x)  # d(g x)/dx = g + x dg/dx, and dg/dx = 0
    np.testing.assert_array_equal(gg.numpy(), g.numpy())


def test_nan_gradient_of_hardtanh_does_not_depend_on_the_length(device):
    # (torch's vectorised CPU loop gives some NaNs of a long tensor a 0: minigan's rule is the same at any length)
    values = np.zeros(65)
    values[[0, 7, 64]] = np.nan
    x = mg.tensor(values, dtype="float32", device=device, requires_grad=True)
    F.hardtanh(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(65))


def test_float32_hardswish_rounds_as_torchs(device):
    # x relu6(x + 3) / 6 in that order: x (relu6(x + 3) / 6) differs in the last bit for about a third of these
    rng = np.random.default_rng(11)
    array, g = rng.uniform(-3.5, 3.5, 300).astype(np.float32), rng.normal(size=300).astype(np.float32)
    x, tx = mg.tensor(array, device=device, requires_grad=True), torch.tensor(array, requires_grad=True)
    y, ty = F.hardswish(x), TF.hardswish(tx)
    y.backward(mg.tensor(g, device=device))
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_elu_selu_and_celu_keep_the_sign_of_zero_as_torch(dtype, device):
    values = [-0.0, 0.0, -1e-30, math.nan]
    for ours, theirs in [(F.elu, TF.elu), (F.selu, TF.selu), (lambda x: F.celu(x, 2.0), lambda t: TF.celu(t, 2.0)),
                         (lambda x: F.elu(x, -0.5), lambda t: TF.elu(t, -0.5))]:
        x = mg.tensor(values, dtype=dtype, device=device, requires_grad=True)
        t = torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True)
        y, ty = ours(x), theirs(t)
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
        np.testing.assert_array_equal(np.signbit(y.numpy()), np.signbit(ty.detach().numpy()))
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)


# ------------------------------------------------------------------------------------------------ scatter
X = np.arange(12.0).reshape(3, 4) / 7
SRC = np.arange(1.0, 7.0).reshape(2, 3) + 0.5
INDEX = [[0, 1, 0], [2, 0, 0]]  # position (0, 1) twice, (0, 2) twice


def _pair(array, device, dtype="float64"):
    return mg.tensor(array, dtype=dtype, device=device), torch.tensor(array, dtype=getattr(torch, dtype))


@pytest.mark.parametrize("reduce", ["add", "multiply"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_scatter_with_reduce_matches_torch(reduce, dtype, device):
    (x, tx), (s, ts) = _pair(X, device, dtype), _pair(SRC, device, dtype)
    (i, ti), (i3, ti3) = _pair(INDEX, device, "int64"), _pair([[[1], [0]]], device, "int64")
    (x3, tx3), (s3, ts3) = _pair(np.arange(8.0).reshape(2, 2, 2) - 3, device, dtype), _pair(SRC[:, :2], device, dtype)
    s3, ts3 = s3.reshape(1, 2, 2), ts3.reshape(1, 2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's (and minigan's) deprecation of reduce= with a tensor src
        pairs = [(x.scatter(0, i, s, reduce=reduce), tx.scatter(0, ti, ts, reduce=reduce)),
                 (mg.scatter(x, 1, i, value=-2.0, reduce=reduce), torch.scatter(tx, 1, ti, value=-2.0, reduce=reduce)),
                 (x.scatter(-1, i, 3.0, reduce=reduce), tx.scatter(-1, ti, 3.0, reduce=reduce)),
                 (x3.scatter(-3, i3, s3, reduce=reduce), tx3.scatter(-3, ti3, ts3, reduce=reduce)),
                 (x.sum().scatter(0, i[0, 0], 2.5, reduce=reduce), tx.sum().scatter(0, ti[0, 0], 2.5, reduce=reduce)),
                 (x.scatter(1, i[:, :0], s[:, :0], reduce=reduce), tx.scatter(1, ti[:, :0], ts[:, :0], reduce=reduce))]
    for ours, theirs in pairs:
        assert ours.shape == tuple(theirs.shape) and ours.dtype == np.dtype(dtype)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6 if dtype == "float32" else 1e-15)


def test_values_meeting_at_a_position_add_up_in_index_order_as_torchs(device):
    # float32 sums depend on the order: 1 + 1e8 - 1e8 is 0 in index order (torch's CPU loop), 1 the other way round
    index, src = [[0], [0], [0]], np.array([[1.0], [1e8], [-1e8]], dtype=np.float32)
    (x, tx), (s, ts) = _pair(np.zeros((2, 1)), device, "float32"), _pair(src, device, "float32")
    i, ti = _pair(index, device, "int64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (reduce= with a tensor src: deprecated)
        pairs = [(x.scatter_add(0, i, s), tx.scatter_add(0, ti, ts)),
                 (x.scatter(0, i, s, reduce="add"), tx.scatter(0, ti, ts, reduce="add"))]
    for ours, theirs in pairs:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_scatter_with_reduce_multiply_has_no_gradient_as_in_torch(device):
    x = mg.tensor(X, device=device, requires_grad=True)
    y = x.scatter(0, mg.tensor(INDEX, device=device), 2.0, reduce="multiply")
    with pytest.raises(RuntimeError, match=r"scatter\(\.\.\., reduce='multiply'\) has no gradient \(torch defines"):
        y.sum().backward()
    t = torch.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        t.scatter(0, torch.tensor(INDEX), 2.0, reduce="multiply").sum().backward()


def test_scatter_with_reduce_add_has_scatter_adds_gradient(device):
    # (torch has none: "derivative for aten::scatter is not implemented"; the sum's derivative is plain)
    x = mg.tensor(X, device=device, requires_grad=True)
    s = mg.tensor(SRC, device=device, requires_grad=True)
    with pytest.warns(UserWarning, match="torch deprecates reduce= with a tensor src"):
        y = x.scatter(0, mg.tensor(INDEX, device=device), s, reduce="add")
    (y * mg.tensor(X, device=device)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), X)
    np.testing.assert_array_equal(s.grad.numpy(), X[np.array(INDEX), np.arange(3)])


def test_scatter_refuses_what_torch_refuses_in_words():
    x, i = mg.tensor(X), mg.tensor(INDEX)
    with pytest.raises(ValueError, match=r"scatter: reduce must be 'add' or 'multiply' \(or None\), as torch's, "
                                         r"got 'sum'; torch's scatter_reduce"):
        x.scatter(0, i, 1.0, reduce="sum")
    with pytest.raises(TypeError, match=r"scatter_: give src \(a tensor or a number\) or value \(a number\), one of "
                                        "them; got neither"):
        x.scatter_(0, i)
    with pytest.raises(TypeError, match="scatter: give src .* got both"):
        x.scatter(0, i, 1.0, value=2.0)
    with pytest.raises(IndexError, match="scatter_add_: index 5 is out of range for dim 1 of size 4"):
        x.scatter_add_(1, mg.tensor([[5]]), mg.ones(1, 1, dtype="float64"))
    with pytest.raises(RuntimeError, match=r"x.scatter_\(...\): this tensor's memory is read-only"):
        mg.zeros(1, 4).expand(3, 4).scatter_(0, i, 1.0)
    np.testing.assert_array_equal(x.numpy(), X)  # none of them changed x


def test_in_place_scatter_changes_the_tensor_itself_as_torchs(device):
    # one-hot labels, the common use: into an integer tensor too
    labels = mg.tensor([2, 0, 1], device=device)
    for dtype in ["float32", "int64"]:
        onehot = mg.zeros(3, 4, dtype=dtype, device=device)
        assert onehot.scatter_(1, labels.unsqueeze(1), 1) is onehot
        assert onehot.dtype == np.dtype(dtype) and onehot._version == 1
        np.testing.assert_array_equal(onehot.numpy(), np.eye(4)[[2, 0, 1]])
    x, tx = _pair(X, device)
    (s, ts), (i, ti) = _pair(SRC, device), _pair(INDEX, device, "int64")
    view = x[1:]
    x.scatter_add_(0, i, s)  # outside a graph, a view sees the change (as torch's)
    tx.scatter_add_(0, ti, ts)
    np.testing.assert_allclose(x.numpy(), tx.numpy(), rtol=1e-15)
    np.testing.assert_array_equal(view.numpy(), x.numpy()[1:])
    w = mg.tensor(X, device=device, requires_grad=True)
    with mg.no_grad():  # a parameter changes under no_grad, as an optimizer's step
        w.scatter_(0, i, value=0.0)
    assert w.requires_grad and w.is_leaf and w.numpy()[0, 1] == 0.0


def test_in_place_scatter_inside_a_graph_is_refused_as_add_is(device):
    w = mg.tensor(X, device=device, requires_grad=True)
    i = mg.tensor(INDEX, device=device)
    s = mg.tensor(SRC, device=device, requires_grad=True)
    for x, src in [(w, 1.0), (w * 2, 1.0), (mg.zeros(3, 4, dtype="float64", device=device), s)]:
        before = x.numpy().copy()
        with pytest.raises(RuntimeError, match=r"x.scatter_\(...\) in place inside a graph is not supported; "
                                               r"write x = x.scatter\(...\), or call it under no_grad\(\)"):
            x.scatter_(0, i, src)
        with pytest.raises(RuntimeError, match=r"x.scatter_add_\(...\) in place inside a graph .* x = x.scatter_add"):
            x.scatter_add_(0, i, s)
        np.testing.assert_array_equal(x.numpy(), before)
        assert x._version == 0
    with mg.no_grad():
        w.scatter_add_(0, i, s)  # under no_grad: done, as an optimizer changes a parameter
    want = X.copy()
    np.add.at(want, (np.array(INDEX), np.arange(3)), SRC)  # w[INDEX[i][j], j] += SRC[i][j]
    assert w._version == 1
    np.testing.assert_allclose(w.numpy(), want, rtol=1e-15)


def test_an_empty_tensor_changes_in_place_as_torchs_and_a_broadcast_view_is_still_refused():
    # NumPy gives an empty array strides of 0, which read as a broadcast view: fill_, += and the rest were refused
    torch = pytest.importorskip("torch")
    for change in (lambda t: t.fill_(1.0), lambda t: t.add_(1.0), lambda t: t.clamp_(0, 1), lambda t: t.zero_()):
        x, tx = mg.zeros(0, 3, 4), torch.zeros(0, 3, 4)
        assert change(x) is x and tuple(change(tx).shape) == x.shape == (0, 3, 4)
        x += 1
        assert x.shape == (0, 3, 4)
    assert F.relu_(mg.zeros(0, 2)).shape == (0, 2)
    with pytest.raises(RuntimeError, match="read-only"):
        mg.zeros(1, 3).expand(2, 3).fill_(1.0)


def test_a_bool_for_a_norms_eps_gets_no_inplace_hint_but_an_activations_slope_does():
    # nn.ReLU(True) is torch's inplace idiom, so LeakyReLU(True) is most likely meant as inplace=True;
    # InstanceNorm2d(3, True) most likely meant affine=True, and the inplace hint would mislead there
    with pytest.raises(TypeError, match=r"^InstanceNorm2d: eps must be a number, got bool True$"):
        mg.nn.InstanceNorm2d(3, True)
    with pytest.raises(TypeError, match="negative_slope must be a number, got bool True; for the inplace flag"):
        mg.nn.LeakyReLU(True)
