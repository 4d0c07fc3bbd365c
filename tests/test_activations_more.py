"""More of torch's activations: Hardshrink, Softshrink, Tanhshrink, RReLU, torch's in-place functional forms
(F.relu_ ... F.rrelu_) and Bilinear.

- values and gradients against torch in float64, on inputs with the kinks (+-lambd, and the floats next to them),
  +-0, +-inf and NaN; softshrink's 0 keeps x's sign as torch's one-at-a-time CPU loop and CUDA kernel give it
  (torch's vectorised CPU loop gives +0, depending on where a value sits in the tensor), so torch is run on one
  element at a time there;
- float32 in, float32 out, with lambd taken in float32 at the kinks as torch's kernels take it;
- first derivatives (and second ones where they are not 0) against central differences, away from the kinks;
- RReLU: eval mode is leaky_relu with slope (lower + upper) / 2, compared with torch; in training every element
  gets its own slope ~ U(lower, upper), from the seeded generator, and its gradient is the slope it used;
- the in-place forms change x (and its views) as torch's outside a graph, count the change (a graph that used x
  then refuses to backpropagate, as torch's), and are refused inside one (x requires grad);
- Bilinear: torch's weight layout (out, in1, in2), init, repr and values with any leading batch dims;
- bad settings and inputs: clear errors naming the layer or function.
"""

import math
import re

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn import functional as F

LAMBD = 0.5
# the kinks (+-lambd and the floats next to them), signed zeros, infinities and NaN, in every input below
SPECIAL = [-LAMBD, LAMBD, np.nextafter(LAMBD, 1.0), np.nextafter(LAMBD, 0.0), -np.nextafter(LAMBD, 1.0),
           -np.nextafter(LAMBD, 0.0), -0.0, 0.0, -np.inf, np.inf, np.nan, -0.3, 0.3, 2.0, -2.0]


def _inputs(device, dtype="float64", seed=0):
    """A (3, 15) input: 30 draws from N(0, 1) and the 15 special values, shuffled (the same on every device)."""
    rng = np.random.default_rng(seed)
    values = rng.permutation(np.concatenate([rng.standard_normal(30), SPECIAL])).reshape(3, 15)
    return mg.tensor(values, dtype=dtype, device=device, requires_grad=True), values


SHRINKS = {
    "hardshrink": (lambda x: F.hardshrink(x), lambda TF, t: TF.hardshrink(t)),
    "hardshrink_0.3": (lambda x: F.hardshrink(x, 0.3), lambda TF, t: TF.hardshrink(t, 0.3)),
    "hardshrink_negative": (lambda x: F.hardshrink(x, -0.5), lambda TF, t: TF.hardshrink(t, -0.5)),
    "softshrink": (lambda x: F.softshrink(x), lambda TF, t: TF.softshrink(t)),
    "softshrink_0": (lambda x: F.softshrink(x, 0.0), lambda TF, t: TF.softshrink(t, 0.0)),
    "softshrink_1.5": (lambda x: F.softshrink(x, 1.5), lambda TF, t: TF.softshrink(t, 1.5)),
    "tanhshrink": (F.tanhshrink, lambda TF, t: TF.tanhshrink(t)),
    "rrelu_eval": (lambda x: F.rrelu(x, 0.1, 0.3), lambda TF, t: TF.rrelu(t, 0.1, 0.3)),
    "rrelu_eval_default": (F.rrelu, lambda TF, t: TF.rrelu(t)),
}


def _torch_one_at_a_time(torch, fn, t):
    """torch's result computed one element at a time (its scalar loop: the sign of softshrink's 0 is x's)."""
    flat = t.reshape(-1)
    return torch.cat([fn(flat[i:i + 1]) for i in range(flat.numel())]).reshape(t.shape)


def _same_values(ours, theirs, atol=0.0):
    """Equal values, NaN where torch has NaN, and the same sign on every zero."""
    np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=atol)
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))


@pytest.mark.parametrize("name", list(SHRINKS))
def test_values_and_gradients_match_torch_with_kinks_zeros_infinities_and_nan(name, device):
    torch = pytest.importorskip("torch")
    ours_fn, theirs_fn = SHRINKS[name]
    x, values = _inputs(device)
    y = ours_fn(x)
    t = torch.tensor(values, requires_grad=True)
    ty = _torch_one_at_a_time(torch, lambda s: theirs_fn(torch.nn.functional, s), t)
    assert y.shape == tuple(ty.shape) and y.dtype == np.float64 and y.device == device
    # (tanhshrink: x - tanh(x) cancels near 0, leaving NumPy's and torch's tanh's 1-ulp difference, 1.1e-16 at most)
    atol = 2.3e-16 if name == "tanhshrink" else 0.0
    _same_values(y.numpy(), ty.detach().numpy(), atol)
    upstream = np.random.default_rng(7).standard_normal(y.shape)
    y.backward(mg.tensor(upstream, device=device))
    ty.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-15, atol=atol)


def test_shrink_gradients_at_the_kinks_and_for_nan_are_torchs(device):
    # torch's shrink_backward: 0 where -lambd <= x <= lambd (the edges included), the upstream gradient elsewhere,
    # NaN and +-inf too; tanhshrink's tanh(x)^2 is 1 at +-inf and NaN at NaN
    points = [-0.5, 0.5, 0.0, -np.inf, np.inf, np.nan, 0.6]
    for fn, slopes in ((F.hardshrink, [0, 0, 0, 1, 1, 1, 1]), (F.softshrink, [0, 0, 0, 1, 1, 1, 1]),
                       (F.tanhshrink, [math.tanh(-0.5) ** 2, math.tanh(0.5) ** 2, 0, 1, 1, np.nan,
                                       math.tanh(0.6) ** 2])):
        x = mg.tensor(points, dtype="float64", device=device, requires_grad=True)
        fn(x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-15, err_msg=fn.__name__)


def test_softshrink_zero_keeps_the_sign_of_x_and_nan_stays_nan(device):
    x = mg.tensor([-0.5, -0.2, -0.0, 0.0, 0.2, 0.5, np.nan], dtype="float64", device=device)
    y = F.softshrink(x).numpy()
    np.testing.assert_array_equal(np.signbit(y[:6]), [True, True, True, False, False, False])
    assert np.all(y[:6] == 0) and np.isnan(y[6])
    y = F.hardshrink(x).numpy()  # hardshrink's 0 is +0 everywhere, as in both of torch's loops
    assert not np.signbit(y[:6]).any() and np.isnan(y[6])


@pytest.mark.parametrize("name", list(SHRINKS))
def test_float32_stays_float32(name, device):
    x, _ = _inputs(device, dtype="float32")
    y = SHRINKS[name][0](x)
    assert y.dtype == np.float32
    y.backward(mg.ones_like(y))
    assert x.grad.dtype == np.float32


def test_float32_kinks_use_lambd_rounded_to_float32_as_torch(device):
    torch = pytest.importorskip("torch")
    lambd = 0.1  # float32(0.1) > 0.1: the float32 0.1 itself is on the kink in float32 (inside in float64)
    k = np.float32(lambd)
    values = np.array([k, -k, np.nextafter(k, np.float32(1)), -np.nextafter(k, np.float32(1)), 0.3, -0.7],
                      dtype=np.float32)
    for ours, theirs in ((F.hardshrink, torch.nn.functional.hardshrink),
                         (F.softshrink, torch.nn.functional.softshrink)):
        x = mg.tensor(values, device=device, requires_grad=True)
        t = torch.tensor(values, requires_grad=True)
        y, ty = ours(x, lambd), _torch_one_at_a_time(torch, lambda s: theirs(s, lambd), t)
        np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
    assert F.hardshrink(mg.tensor(values[:1], device=device), lambd).numpy()[0] == 0  # on the kink: 0
    for ours in (F.hardshrink, F.softshrink):  # a 0-d x too (NumPy 1 compares it with a Python float in float64)
        assert ours(mg.tensor(values[0], device=device), lambd).numpy() == 0


def _away_from_kinks(seed, shape=(2, 6)):
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.7, 2.5, shape)  # |x| > 0.5 + 0.2: off +-lambd and 0


def _seeded_rrelu(x):
    mg.manual_seed(3)  # the same slopes at every call gradcheck makes
    return F.rrelu(x, 0.1, 0.3, training=True)


GRADCHECKED = {
    "hardshrink": F.hardshrink,
    "softshrink": F.softshrink,
    "tanhshrink": F.tanhshrink,
    "rrelu_eval": lambda x: F.rrelu(x, 0.1, 0.3),
    "rrelu_training": _seeded_rrelu,
}


@pytest.mark.parametrize("name", list(GRADCHECKED))
def test_gradcheck(name, device):
    x = mg.tensor(_away_from_kinks(1), dtype="float64", device=device, requires_grad=True)
    assert mg.gradcheck(GRADCHECKED[name], [x])


def test_gradgradcheck_of_tanhshrink(device):
    x = mg.tensor(_away_from_kinks(2), dtype="float64", device=device, requires_grad=True)
    assert mg.gradgradcheck(F.tanhshrink, [x])


def test_softshrinks_lambd_must_lie_in_0_to_the_dtypes_largest_as_torch_requires(device):
    torch = pytest.importorskip("torch")
    x = mg.tensor([1.0, -2.0], device=device)
    for lambd in (-0.5, math.nan, math.inf, 1e39):  # (1e39: beyond float32; a float64 input takes it)
        with pytest.raises(RuntimeError, match="lambda must be in range"):
            torch.nn.functional.softshrink(torch.tensor([1.0, -2.0]), lambd)
        with pytest.raises(ValueError, match=r"^softshrink: lambd must lie in \[0, 3.40282e\+38\] \(the largest "
                                             rf"float32\), got {re.escape(str(lambd))}; it is the half-width"):
            F.softshrink(x, lambd)
    np.testing.assert_array_equal(F.softshrink(x.double(), 1e39).numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(F.hardshrink(x, -0.5).numpy(), [1.0, -2.0])  # torch takes any lambd here
    np.testing.assert_array_equal(F.hardshrink(x, math.inf).numpy(), [0.0, 0.0])  # ... that fits x's dtype
    with pytest.raises(RuntimeError, match="cannot be converted to type float without overflow"):
        torch.nn.functional.hardshrink(torch.tensor([1.0, -2.0]), 1e39)
    with pytest.raises(ValueError, match=r"^hardshrink: lambd 1e\+39 does not fit in float32 \(its largest number "
                                         r"is 3.40282e\+38\)"):
        F.hardshrink(x, 1e39)  # (it was a NumPy overflow warning, and 0 everywhere)


# ------------------------------------------------------------------------------------------------ RReLU
def test_rrelu_in_training_draws_one_slope_per_element_uniform_on_lower_upper(device):
    lower, upper, n = 0.1, 0.3, 20000
    x = mg.tensor(-np.random.default_rng(4).uniform(0.5, 2.0, n), device=device, requires_grad=True)
    y = F.rrelu(x, lower, upper, training=True)
    y.sum().backward()
    slopes = x.grad.numpy()
    np.testing.assert_array_equal(y.numpy(), x.numpy() * slopes)  # the gradient is the slope that made y
    assert lower <= slopes.min() and slopes.max() < upper
    # U(0.1, 0.3): mean 0.2, sd 0.2/sqrt(12) = 0.0577; over 20000 draws the mean's sd is 0.00041 and the sd's 0.00018
    assert abs(slopes.mean() - 0.2) < 0.0017 and abs(slopes.std() - 0.2 / math.sqrt(12)) < 0.001  # (4 and 5.5 sd)
    quarters = np.histogram(slopes, bins=4, range=(lower, upper))[0] / n
    np.testing.assert_allclose(quarters, 0.25, atol=0.015)  # (sd of each: 0.003)
    assert len(np.unique(slopes)) > n * 0.99  # one draw per element, not one for all


def test_rrelu_in_training_keeps_x_above_0_and_follows_torch_at_0_infinities_and_nan(device):
    x = mg.tensor([2.0, 0.0, -0.0, np.inf, -np.inf, np.nan], dtype="float64", device=device, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    y.sum().backward()
    g = x.grad.numpy()
    values = y.numpy()
    assert values[0] == 2.0 and values[3] == np.inf and values[4] == -np.inf and np.isnan(values[5])
    assert values[1] == 0 and not np.signbit(values[1]) and values[2] == 0 and np.signbit(values[2])
    # torch: a slope drawn where x <= 0 (0 and -inf too), 1 elsewhere (NaN too)
    assert g[0] == 1.0 and g[3] == 1.0 and g[5] == 1.0
    assert all(0.1 <= s < 0.3 for s in g[[1, 2, 4]])


def test_rrelu_slopes_come_from_the_seeded_generator(device):
    x = mg.tensor(-np.ones((4, 5)), device=device)
    mg.manual_seed(11)
    first = F.rrelu(x, training=True).numpy()
    mg.manual_seed(11)
    np.testing.assert_array_equal(F.rrelu(x, training=True).numpy(), first)
    assert not np.array_equal(F.rrelu(x, training=True).numpy(), first)  # the next draw differs


def test_rrelu_layer_is_random_in_training_and_torchs_leaky_relu_in_eval(device):
    torch = pytest.importorskip("torch")
    layer, tlayer = nn.RReLU(0.1, 0.3), torch.nn.RReLU(0.1, 0.3)
    assert repr(layer) == repr(tlayer) == "RReLU(lower=0.1, upper=0.3)"
    values = np.random.default_rng(5).standard_normal((3, 8))
    x = mg.tensor(values, device=device)
    mg.manual_seed(2)
    y = layer(x).numpy()
    negative = values < 0
    np.testing.assert_array_equal(y[~negative], values[~negative])
    assert len(np.unique(y[negative] / values[negative])) == negative.sum()  # one slope per element
    layer.eval()
    tlayer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), tlayer(torch.tensor(values)).numpy())
    np.testing.assert_array_equal(layer(x).numpy(), np.where(negative, values * 0.2, values))


def test_layers_take_torchs_boundary_settings(device):
    torch = pytest.importorskip("torch")
    values = np.array([-1.0, -0.0, 0.0, 0.5, 2.0])
    # Softshrink with lambd 0, and RReLU with lower == upper (in training: every slope drawn is 0.2)
    for ours, theirs in ((nn.Softshrink(0.0), torch.nn.Softshrink(0.0)), (nn.RReLU(0.2, 0.2), torch.nn.RReLU(0.2, 0.2))):
        _same_values(ours(mg.tensor(values, device=device)).numpy(), theirs(torch.tensor(values)).numpy())
    assert repr(nn.RReLU(inplace=True)) == repr(torch.nn.RReLU(inplace=True))


def test_rrelu_float32_in_training_stays_float32(device):
    x = mg.randn(3, 4, device=device, requires_grad=True)
    y = F.rrelu(x, training=True)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32 and y.device == device


# --------------------------------------------------------------------------- torch's in-place forms
INPLACE = {
    "relu_": ((), "relu"), "leaky_relu_": ((0.2,), "leaky_relu"), "elu_": ((0.7,), "elu"), "selu_": ((), "selu"),
    "celu_": ((0.5,), "celu"), "hardtanh_": ((-0.5, 0.8), "hardtanh"), "threshold_": ((0.1, 20.0), "threshold"),
    "rrelu_": ((0.1, 0.3), "rrelu"),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_forms_change_x_as_torchs_outside_a_graph_and_are_refused_inside_one(name, device):
    torch = pytest.importorskip("torch")
    args, plain = INPLACE[name]
    values = np.random.default_rng(6).standard_normal((3, 4))
    x = mg.tensor(values, device=device)
    view = x[1:]  # shares x's memory: it changes too, as in torch
    version = x._version
    y = getattr(F, name)(x, *args)
    expected = getattr(torch.nn.functional, name)(torch.tensor(values), *args).numpy()
    assert y is x and x._version == version + 1
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(x.numpy(), getattr(F, plain)(mg.tensor(values, device=device), *args).numpy())
    np.testing.assert_array_equal(view.numpy(), x.numpy()[1:])
    x32 = mg.tensor(values, dtype="float32", device=device)
    assert getattr(F, name)(x32, *args).dtype == mg.float32
    leaf = mg.tensor(values, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match=rf"{name}\(x\) in place inside a graph is not supported.*write x = {plain}\(x\)"):
        getattr(F, name)(leaf * 1.0, *args)
    with pytest.raises(RuntimeError, match="inside a graph"):  # a parameter: refused too
        getattr(F, name)(leaf, *args)
    with mg.no_grad():  # under no_grad a parameter changes, as torch's
        getattr(F, name)(leaf, *args)
    np.testing.assert_allclose(leaf.numpy(), expected, rtol=1e-15, atol=0)


def test_inplace_forms_refuse_an_integer_x_they_would_make_float():
    x = mg.tensor([1, -2, 3])
    with pytest.raises(TypeError, match=r"elu_\(x\): expected a float x, got int64: the result \(float32\) cannot "
                                        r"be written into it; convert x first"):
        F.elu_(x)
    np.testing.assert_array_equal(x.numpy(), [1, -2, 3])
    np.testing.assert_array_equal(F.relu_(x).numpy(), [1, 0, 3])  # relu keeps integers, as torch's relu_


def test_inplace_forms_defaults_are_torchs(device):
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(12).standard_normal((4, 5)) * 3  # (beyond hardtanh's -1 and 1)
    for name in ("relu_", "leaky_relu_", "elu_", "selu_", "celu_", "hardtanh_", "rrelu_"):
        x = mg.tensor(values, device=device)
        getattr(F, name)(x)
        expected = getattr(torch.nn.functional, name)(torch.tensor(values)).numpy()
        np.testing.assert_allclose(x.numpy(), expected, rtol=1e-15, atol=0, err_msg=name)


def test_rrelu_in_place_in_training_draws_its_slopes_as_rrelu(device):
    values = -np.random.default_rng(13).uniform(0.5, 2.0, (3, 4))
    mg.manual_seed(8)
    expected = F.rrelu(mg.tensor(values, device=device), 0.1, 0.3, training=True).numpy()
    x = mg.tensor(values, device=device)
    mg.manual_seed(8)
    assert F.rrelu_(x, 0.1, 0.3, training=True) is x
    np.testing.assert_array_equal(x.numpy(), expected)
    assert len(np.unique(x.numpy() / values)) == values.size  # one slope each, not eval's (0.1 + 0.3) / 2


def test_a_refused_rrelu_in_place_draws_no_slopes():
    """It drew its slopes before it was refused, moving the seeded generator on."""
    leaf = mg.tensor(-np.ones(5), requires_grad=True)
    mg.manual_seed(14)
    with pytest.raises(RuntimeError, match="inside a graph"):
        F.rrelu_(leaf, training=True)
    after = mg.rand(3).numpy()
    mg.manual_seed(14)
    np.testing.assert_array_equal(after, mg.rand(3).numpy())
    np.testing.assert_array_equal(leaf.numpy(), -np.ones(5))


def test_inplace_forms_refuse_a_broadcast_view_as_torchs_relu_(device):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single memory"):
        torch.nn.functional.relu_(torch.zeros(1, 3).expand(2, 3))
    for name, (args, _) in INPLACE.items():  # (torch's threshold_ writes into it: its 2 rows share memory)
        with pytest.raises(RuntimeError, match=rf"^{name}: this tensor's memory is read-only \(an expanded"):
            getattr(F, name)(mg.zeros(1, 3, device=device).expand(2, 3), *args)


def test_a_graph_that_used_x_refuses_to_backpropagate_after_an_inplace_form_changed_it(device):
    torch = pytest.importorskip("torch")
    w, tw = mg.tensor([1.0, 2.0], device=device, requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    a, ta = mg.tensor([[-1.0, 3.0]], device=device), torch.tensor([[-1.0, 3.0]])
    y, ty = (w * a[0]).sum(), (tw * ta[0]).sum()
    F.relu_(a)  # a itself, whose view a[0] the graph used
    torch.nn.functional.relu_(ta)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.backward()
    with pytest.raises(RuntimeError, match=r"^Mul: a tensor of shape \(2,\) that it used was changed in place"):
        y.backward()


def test_the_top_level_forms_are_there_where_torch_has_them():
    torch = pytest.importorskip("torch")
    for name in ("relu_", "selu_", "celu_", "threshold_", "rrelu_", "rrelu", "hardshrink", "bilinear"):
        assert hasattr(torch, name) and getattr(mg, name) is getattr(F, name), name
    for name in ("leaky_relu_", "elu_", "hardtanh_", "softshrink", "tanhshrink"):  # torch has these in F only
        assert not hasattr(torch, name) and not hasattr(mg, name), name


# ------------------------------------------------------------------------------------------------- Bilinear
@pytest.mark.parametrize("batch", [(), (5,), (2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_values_and_gradients_match_torch(batch, bias, device):
    torch = pytest.importorskip("torch")
    layer = nn.Bilinear(3, 4, 2, bias=bias).to(device=device, dtype="float64")
    tlayer = torch.nn.Bilinear(3, 4, 2, bias=bias).double()
    tlayer.load_state_dict({k: torch.tensor(v.numpy()) for k, v in layer.state_dict().items()})
    rng = np.random.default_rng(9)
    a, b = rng.standard_normal(batch + (3,)), rng.standard_normal(batch + (4,))
    x1, x2 = (mg.tensor(v, device=device, requires_grad=True) for v in (a, b))
    t1, t2 = (torch.tensor(v, requires_grad=True) for v in (a, b))
    y, ty = layer(x1, x2), tlayer(t1, t2)
    assert y.shape == tuple(ty.shape) == batch + (2,)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-13, atol=1e-15)
    upstream = rng.standard_normal(y.shape)
    y.backward(mg.tensor(upstream, device=device))
    ty.backward(torch.tensor(upstream))
    for ours, theirs in ((x1, t1), (x2, t2), (layer.weight, tlayer.weight)) + (
            ((layer.bias, tlayer.bias),) if bias else ()):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-13, atol=1e-15)


def test_bilinear_is_the_sum_written_out():
    rng = np.random.default_rng(10)
    a, b, w, c = rng.standard_normal(3), rng.standard_normal(4), rng.standard_normal((2, 3, 4)), rng.standard_normal(2)
    expected = [sum(a[i] * w[o, i, j] * b[j] for i in range(3) for j in range(4)) + c[o] for o in range(2)]
    y = F.bilinear(mg.tensor(a), mg.tensor(b), mg.tensor(w), mg.tensor(c))
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-13)


def test_bilinear_gradcheck_and_gradgradcheck(device):
    rng = np.random.default_rng(11)
    args = [mg.tensor(rng.standard_normal(s), device=device, requires_grad=True) for s in ((2, 3), (2, 4), (5, 3, 4),
                                                                                           (5,))]
    assert mg.gradcheck(F.bilinear, args)
    assert mg.gradgradcheck(F.bilinear, args)


def test_bilinear_parameters_init_repr_dtype_device_and_reset(device):
    torch = pytest.importorskip("torch")
    layer = nn.Bilinear(25, 4, 300, device=device)
    assert repr(layer) == repr(torch.nn.Bilinear(25, 4, 300))
    assert repr(nn.Bilinear(2, 3, 4, bias=False)) == repr(torch.nn.Bilinear(2, 3, 4, bias=False))
    assert list(layer.state_dict()) == ["weight", "bias"] and nn.Bilinear(2, 3, 4, False).bias is None
    assert layer.weight.shape == (300, 25, 4) and layer.bias.shape == (300,)
    for p in (layer.weight, layer.bias):  # U(-1/sqrt(in1), 1/sqrt(in1)) = U(-0.2, 0.2), as torch's
        assert p.dtype == np.float32 and p.device == device
        values = p.numpy()
        assert np.abs(values).max() <= 0.2 and np.abs(values).max() > 0.19 and abs(values.mean()) < 0.02
    assert abs(layer.weight.numpy().std() - 0.2 / math.sqrt(3)) < 0.003
    weight = layer.weight
    with mg.no_grad():
        weight.fill_(1.0)
    layer.reset_parameters()
    assert layer.weight is weight  # in place: an optimizer holding it sees the new draws
    assert np.abs(weight.numpy()).max() <= 0.2 and weight.numpy().std() > 0.1
    assert nn.Bilinear(2, 3, 4, dtype="float64").weight.dtype == np.float64
    y = layer(mg.randn(6, 25, device=device), mg.randn(6, 4, device=device))
    assert y.shape == (6, 300) and y.dtype == np.float32 and y.device == device


def test_bilinear_of_an_empty_batch_is_empty(device):
    y = F.bilinear(mg.zeros(0, 2, device=device), mg.zeros(0, 3, device=device), mg.ones(4, 2, 3, device=device))
    assert y.shape == (0, 4) and y.dtype == np.float32


# ---------------------------------------------------------------------------------------------- bad input
def test_bad_settings_and_inputs_get_clear_errors():
    x = mg.randn(2, 3)
    with pytest.raises(TypeError, match="Hardshrink: lambd must be a number, got str 'a'"):
        nn.Hardshrink("a")
    with pytest.raises(TypeError, match="hardshrink: lambd must be a number, got None"):
        F.hardshrink(x, None)
    with pytest.raises(ValueError, match=r"Softshrink: lambd must be a finite number >= 0, got -1"):
        nn.Softshrink(-1)
    with pytest.raises(TypeError, match="softshrink: expected a minigan Tensor, got a numpy.ndarray"):
        F.softshrink(np.ones(3))
    with pytest.raises(TypeError, match="tanhshrink: expected a minigan Tensor, got None"):
        nn.Tanhshrink()(None)
    with pytest.raises(ValueError, match=r"RReLU: lower and upper must be finite with lower <= upper, got "
                                         r"lower=0.5, upper=0.1"):
        nn.RReLU(0.5, 0.1)
    with pytest.raises(ValueError, match=r"rrelu: lower \(0.5\) must not be greater than upper \(0.1\)"):
        F.rrelu(x, 0.5, 0.1, training=True)
    with pytest.raises(ValueError, match="rrelu: lower and upper must be finite numbers, got nan and 0.3"):
        F.rrelu(x, math.nan, 0.3)
    with pytest.raises(TypeError, match="RReLU: upper must be a number, got bool True; for the inplace flag"):
        nn.RReLU(0.1, True)
    with pytest.raises(ValueError, match="Bilinear: in2_features must be a positive int, got 0"):
        nn.Bilinear(2, 0, 3)
    w = mg.randn(4, 2, 3)
    with pytest.raises(ValueError, match=r"bilinear: input1 and input2 must have the same leading \(batch\) dims .*"
                                         r"got shapes \(5, 2\) and \(1, 3\)"):
        F.bilinear(mg.randn(5, 2), mg.randn(1, 3), w)  # (torch does not broadcast them either)
    with pytest.raises(ValueError, match=r"got shapes \(2,\) and \(\)"):
        F.bilinear(mg.randn(2), mg.tensor(1.0), w)
    with pytest.raises(ValueError, match=r"bilinear: a weight of shape \(4, 2, 3\) expects input1 of shape \(\.\.\., "
                                         r"2\) and input2 of shape \(\.\.\., 3\), got \(5, 3\) and \(5, 3\)"):
        F.bilinear(mg.randn(5, 3), mg.randn(5, 3), w)
    with pytest.raises(ValueError, match=r"bilinear: weight must be 3-D \(out_features, in1_features, in2_features\), "
                                         r"got shape \(2, 3\)"):
        F.bilinear(mg.randn(5, 2), mg.randn(5, 3), w[0])
    with pytest.raises(ValueError, match=r"bilinear: bias must have shape \(4,\), one value per output feature, got "
                                         r"shape \(3,\)"):
        F.bilinear(mg.randn(5, 2), mg.randn(5, 3), w, mg.zeros(3))
    with pytest.raises(TypeError, match="bilinear: expected every tensor of one dtype on one device, got input1 "
                                        "float32 on cpu, input2 float64 on cpu, weight float32 on cpu"):
        F.bilinear(mg.randn(5, 2), mg.randn(5, 3).double(), w)
    with pytest.raises(TypeError, match="bilinear: input2: expected a minigan Tensor, got None"):
        nn.Bilinear(2, 3, 4)(mg.randn(5, 2), None)


# ------------------------------------------------------------------------- bugs found on the way
def test_relu_and_leaky_relu_pass_the_gradient_of_a_nan_on_as_torch(device):
    """torch's rules: relu's gradient is 0 where x <= 0, else the upstream one (NaN too: was 0); leaky_relu's is the
    slope where x <= 0 or NaN (was NaN for slopes in [0, 1])."""
    x = mg.tensor([np.nan, -1.0, 0.0, 2.0], dtype="float64", device=device, requires_grad=True)
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 0.0, 1.0])
    for slope in (0.2, 1.5):
        x.grad = None
        F.leaky_relu(x, slope).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [slope, slope, slope, 1.0])


def test_celu_of_a_non_tensor_names_celu():
    """It named the ELU op inside ("ELU: input 0 is not a minigan Tensor ...")."""
    for bad in (np.ones(3), 1.5):
        with pytest.raises(TypeError, match="^celu: expected a minigan Tensor"):
            F.celu(bad)


@pytest.mark.parametrize("name", list(INPLACE))
def test_an_inplace_form_given_a_non_tensor_names_itself(name):
    """relu_, leaky_relu_, elu_ and hardtanh_ named the op inside ("ReLU: input 0 is not a minigan Tensor ...")."""
    for bad in (np.ones(3), 1.5, None):
        with pytest.raises(TypeError, match=rf"^{name}: expected a minigan Tensor"):
            getattr(F, name)(bad, *INPLACE[name][0])


def test_hardtanh_refuses_a_nan_bound():
    """A NaN bound was ignored (x passed through on that side); torch's output is NaN everywhere."""
    x = mg.randn(2, 3)
    for lo, hi in ((-0.5, math.nan), (math.nan, 0.5)):
        with pytest.raises(ValueError, match=r"^hardtanh: min_val and max_val must be numbers, not NaN, got "):
            F.hardtanh(x, lo, hi)
        with pytest.raises(ValueError, match=r"^hardtanh: min_val and max_val must be numbers, not NaN"):
            F.hardtanh_(x, lo, hi)
        with pytest.raises(ValueError, match=r"^Hardtanh: max_val \(.*\) must be greater than min_val"):
            nn.Hardtanh(lo, hi)
