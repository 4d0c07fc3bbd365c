"""The activations torch has beyond relu/elu/sigmoid/tanh/softplus: PReLU, Hardtanh, ReLU6, SELU, CELU, Softsign,
LogSigmoid, Softmin, Threshold, GLU, Mish, Hardswish, Hardsigmoid, GELU, and minigan.erf (GELU's exact form).

- values and gradients against torch in float64, on inputs that include the kinks themselves (Hardtanh at its
  edges, ReLU6 at 0 and 6, Threshold at the threshold, Hardswish and Hardsigmoid at -3 and 3): torch's choice
  of gradient there, which is also written out by hand in one test;
- float32 in, float32 out and float32 gradients; integers are taken as float32;
- first derivatives (and second ones where they matter) against central differences (minigan.gradcheck);
- erf against Python's math.erf on a dense grid with the extremes (-0, subnormals, +-6, +-inf, NaN), to
  about 4 ulps (rtol 1e-15), and against torch.erf;
- the layers: torch's constructor defaults, repr, PReLU's parameter (shape, init, dtype, device, reset);
- bad input: clear errors naming the function or layer.

Two places where torch's float64 gradient is rounded to float32 (its backward kernels hold a float32
constant): hardsigmoid's slope 1/6 and celu's 1/alpha. minigan's are exact; those two are compared with torch
to 3e-6 and with the derivative written out to 1e-14.
"""

import math
import warnings

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn import functional as F

# the kinks of the activations below, put into every input
KINKS = [-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 7.0, -7.0, 2.0]


def _inputs(device, dtype="float64", seed=0):
    """A (3, 16) input: 36 draws from N(0, 3^2) and the 12 kinks, shuffled (the same numbers on every device)."""
    rng = np.random.default_rng(seed)
    values = rng.permutation(np.concatenate([3.0 * rng.standard_normal(36), KINKS])).reshape(3, 16)
    return mg.tensor(values, dtype=dtype, device=device, requires_grad=True), values


def _torch_fn(name):
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    slopes = torch.tensor([0.25, -0.1, 0.7], dtype=torch.float64)
    return {
        "hardtanh": lambda t: TF.hardtanh(t),
        "hardtanh_-2_3": lambda t: TF.hardtanh(t, -2.0, 3.0),
        "relu6": TF.relu6,
        "selu": TF.selu,
        "celu_0.3": lambda t: TF.celu(t, 0.3),
        "softsign": TF.softsign,
        "logsigmoid": TF.logsigmoid,
        "softmin": lambda t: TF.softmin(t, 1),
        "threshold": lambda t: TF.threshold(t, 0.5, 20.0),
        "glu": lambda t: TF.glu(t, 1),
        "mish": TF.mish,
        "hardswish": TF.hardswish,
        "hardsigmoid": TF.hardsigmoid,
        "gelu": TF.gelu,
        "gelu_tanh": lambda t: TF.gelu(t, approximate="tanh"),
        "prelu": lambda t: TF.prelu(t.reshape(3, 4, 4)[:, :3], slopes.to(t.dtype)),
        "erf": torch.erf,
    }[name]


def _prelu(x):
    return F.prelu(x.reshape(3, 4, 4)[:, :3], mg.tensor([0.25, -0.1, 0.7], dtype=x.dtype, device=x.device))


ACTIVATIONS = {
    "hardtanh": lambda x: F.hardtanh(x),
    "hardtanh_-2_3": lambda x: F.hardtanh(x, -2.0, 3.0),
    "relu6": F.relu6,
    "selu": F.selu,
    "celu_0.3": lambda x: F.celu(x, 0.3),
    "softsign": F.softsign,
    "logsigmoid": F.logsigmoid,
    "softmin": lambda x: F.softmin(x, 1),
    "threshold": lambda x: F.threshold(x, 0.5, 20.0),
    "glu": lambda x: F.glu(x, 1),
    "mish": F.mish,
    "hardswish": F.hardswish,
    "hardsigmoid": F.hardsigmoid,
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "prelu": _prelu,
    "erf": mg.erf,
}
FLOAT32_CONSTANT_IN_TORCH = {"celu_0.3", "hardsigmoid"}  # torch's float64 gradient holds a float32 1/alpha, 1/6


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_values_and_gradients_match_torch_kinks_included(name, device):
    torch = pytest.importorskip("torch")
    x, values = _inputs(device)
    y = ACTIVATIONS[name](x)
    t = torch.tensor(values, requires_grad=True)
    ty = _torch_fn(name)(t)
    assert y.shape == tuple(ty.shape) and y.dtype == np.float64 and y.device == device
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-13, atol=1e-15)
    upstream = np.random.default_rng(7).standard_normal(y.shape)
    y.backward(mg.tensor(upstream, device=device))
    ty.backward(torch.tensor(upstream))
    # (torch's float32 1/alpha in e^(x/alpha): off by |x/alpha| 2^-24 relative, 1.4e-6 at x = -7, alpha = 0.3)
    rtol = 3e-6 if name in FLOAT32_CONSTANT_IN_TORCH else 1e-13
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=1e-15)


def test_celu_and_hardsigmoid_gradients_are_exact_where_torchs_round_a_constant_to_float32(device):
    x = mg.tensor([-2.0, -0.5, 0.0, 1.0], dtype="float64", device=device, requires_grad=True)
    F.celu(x, 0.3).sum().backward()
    # d celu/dx = e^(x/alpha) for x <= 0 (so 1 at 0, torch: 0.99999996), 1 above
    np.testing.assert_allclose(x.grad.numpy(), [math.exp(-2 / 0.3), math.exp(-0.5 / 0.3), 1.0, 1.0], rtol=1e-14)
    x = mg.tensor([-3.5, -3.0, -1.0, 0.0, 2.5, 3.0], dtype="float64", device=device, requires_grad=True)
    F.hardsigmoid(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1 / 6, 1 / 6, 1 / 6, 0.0])  # torch: 0.16666667163...


def test_gradients_at_the_kinks_are_torchs(device):
    # torch's conventions, written out: 0 at hardtanh's edges (clamp's is 1 there), relu6 at 0 and 6, threshold
    # at the threshold; hardswish 0 at -3 and 1 at 3; elu-like ones take the left side's slope at 0
    cases = [
        (lambda x: F.hardtanh(x, -2.0, 3.0), [-2.0, 3.0, -1.0], [0.0, 0.0, 1.0]),
        (F.relu6, [0.0, 6.0, 3.0], [0.0, 0.0, 1.0]),
        (lambda x: F.threshold(x, 0.5, 20.0), [0.5, 0.6], [0.0, 1.0]),
        (F.hardswish, [-3.0, 3.0, 0.0], [0.0, 1.0, 0.5]),
        (F.hardsigmoid, [-3.0, 3.0], [0.0, 0.0]),
        (F.selu, [0.0], [1.6732632423543772 * 1.0507009873554805]),
        (lambda x: F.prelu(x, mg.tensor([0.25], dtype="float64", device=device)), [0.0], [0.25]),
        (F.softsign, [0.0], [1.0]),
        (F.gelu, [0.0], [0.5]),
    ]
    for fn, points, slopes in cases:
        x = mg.tensor(points, dtype="float64", device=device, requires_grad=True)
        fn(x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-15, err_msg=str(points))


def test_hardtanh_with_min_val_equal_to_max_val_is_a_constant_as_torchs(device):
    torch = pytest.importorskip("torch")
    x = mg.tensor([-1.0, 0.5, 2.0], dtype="float64", device=device, requires_grad=True)
    y = F.hardtanh(x, 0.5, 0.5)
    y.sum().backward()
    t = torch.tensor([-1.0, 0.5, 2.0], dtype=torch.float64, requires_grad=True)
    torch.nn.functional.hardtanh(t, 0.5, 0.5).sum().backward()
    np.testing.assert_array_equal(y.numpy(), [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_elu_selu_and_celu_pass_the_gradient_of_a_nan_on_with_the_positive_slope_as_torch(device):
    # torch's backward picks the negative side only where x <= 0, so a NaN input takes the slope `scale` there
    torch = pytest.importorskip("torch")
    values = [np.nan, -1.0, 2.0]
    for ours, theirs in [(lambda x: F.elu(x, 0.5), lambda t: torch.nn.functional.elu(t, 0.5)),
                         (F.selu, torch.nn.functional.selu),
                         (lambda x: F.celu(x, 2.0), lambda t: torch.nn.functional.celu(t, 2.0))]:
        x = mg.tensor(values, dtype="float64", device=device, requires_grad=True)
        t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        ours(x).sum().backward()
        theirs(t).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-15)


def test_hardswish_has_torchs_values_and_gradients_at_infinities(device):
    # (x relu6(x + 3) / 6 composed as written gives inf * 0 = NaN gradients there; torch's are 0 and 1)
    x = mg.tensor([-np.inf, -1e300, 1e300, np.inf], dtype="float64", device=device, requires_grad=True)
    y = F.hardswish(x)
    y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), [np.nan, -0.0, 1e300, np.inf])  # torch's value at -inf: -inf * 0
    assert np.signbit(y.numpy()[1])  # -1e300 * 0: -0.0, as torch's
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0, 1.0])


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_float32_stays_float32(name, device):
    x, _ = _inputs(device, dtype="float32")
    y = ACTIVATIONS[name](x)
    assert y.dtype == np.float32
    (y * mg.ones_like(y)).sum().backward()
    assert x.grad.dtype == np.float32


def test_integer_inputs_are_taken_as_float32(device):
    # (torch keeps an integer dtype for hardtanh, relu6 and threshold and refuses the others; minigan's elementwise
    # maths of integers is float32 throughout, as exp and sigmoid)
    k = mg.tensor([-4, 0, 2, 7], device=device)
    for fn in (F.hardtanh, F.relu6, lambda x: F.threshold(x, 1, 20), F.selu, F.gelu, F.mish, mg.erf, F.softsign):
        y = fn(k)
        assert y.dtype == np.float32
        np.testing.assert_allclose(y.numpy(), fn(k.float()).numpy())


def _away_from_kinks(seed, shape=(2, 6)):
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.8, shape)  # off 0, +-1, +-3 by the draw's odds


@pytest.mark.parametrize("name", ["hardtanh", "relu6", "selu", "celu_0.3", "softsign", "softmin", "threshold", "glu",
                                  "mish", "hardswish", "hardsigmoid", "gelu", "gelu_tanh", "erf"])
def test_gradcheck(name, device):
    values = _away_from_kinks(1)
    values[np.abs(np.abs(values) - 1.0) < 0.05] = 0.7  # hardtanh's edges
    values[np.abs(values - 0.5) < 0.05] = 0.8  # threshold's
    x = mg.tensor(values, dtype="float64", device=device, requires_grad=True)
    assert mg.gradcheck(ACTIVATIONS[name], [x])


@pytest.mark.parametrize("name", ["selu", "celu_0.3", "softsign", "softmin", "glu", "mish", "hardswish", "gelu",
                                  "gelu_tanh", "erf"])
def test_gradgradcheck(name, device):
    x = mg.tensor(_away_from_kinks(2), dtype="float64", device=device, requires_grad=True)
    assert mg.gradgradcheck(ACTIVATIONS[name], [x])


def test_prelu_gradients_of_input_and_slopes(device):
    x = mg.tensor(_away_from_kinks(3, (2, 3, 2)), dtype="float64", device=device, requires_grad=True)
    w = mg.tensor([0.25, -0.5, 1.5], dtype="float64", device=device, requires_grad=True)
    assert mg.gradcheck(F.prelu, [x, w])
    assert mg.gradgradcheck(F.prelu, [x, w])
    one = mg.tensor([0.3], dtype="float64", device=device, requires_grad=True)
    assert mg.gradcheck(lambda a, b: a.prelu(b), [x, one])


def test_prelu_slope_gradient_matches_torch(device):
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(4).standard_normal((2, 3, 4, 5))
    values[0, 0, 0, :2] = 0.0  # x = 0 takes the slope (gradient w there), and adds 0 to the slope's gradient
    layer = nn.PReLU(3).to(device=device, dtype="float64")
    x = mg.tensor(values, device=device, requires_grad=True)
    layer(x).sum().backward()
    tlayer = torch.nn.PReLU(3).double()
    t = torch.tensor(values, requires_grad=True)
    tlayer(t).sum().backward()
    np.testing.assert_allclose(layer.weight.grad.numpy(), tlayer.weight.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-13)
    for shape, weight in (((5,), (1,)), ((), (1,)), ((2, 3), ())):  # one slope: any input, a 0-d weight too
        x, tw = np.random.default_rng(5).standard_normal(shape), np.full(weight, 0.3)
        np.testing.assert_allclose(F.prelu(mg.tensor(x, device=device), mg.tensor(tw, device=device)).numpy(),
                                   torch.nn.functional.prelu(torch.tensor(x), torch.tensor(tw)).numpy(), rtol=1e-15)


# ---------------------------------------------------------------------------------------------- erf
def test_erf_matches_math_erf_to_a_few_ulps_on_a_dense_grid_with_the_extremes():
    positive = np.concatenate([
        np.linspace(0.0, 7.0, 14001),
        np.linspace(1.99, 2.01, 401),  # where the series hands over to the continued fraction
        np.geomspace(1e-310, 7.0, 3000),  # tiny (subnormal) to large
        [5e-324, 1e-200, 1e-8, 6.0, 26.5, 27.0, 27.5, 30.0, 1e300, np.inf],
    ])
    x = np.concatenate([positive, -positive])
    got = mg.erf(mg.tensor(x, dtype="float64")).numpy()
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)  # (math.erf is within 1 ulp itself)
    assert got[x == np.inf][0] == 1.0 and got[x == -np.inf][0] == -1.0
    zeros = mg.erf(mg.tensor([0.0, -0.0], dtype="float64")).numpy()
    assert list(np.signbit(zeros)) == [False, True]  # erf(-0) = -0, as math.erf's
    assert np.isnan(mg.erf(mg.tensor([np.nan], dtype="float64")).numpy()).all()


def test_erf_matches_torch_in_float64_and_float32(device):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(6).standard_normal(2000) * 3
    got = mg.erf(mg.tensor(x, dtype="float64", device=device)).numpy()
    np.testing.assert_allclose(got, torch.erf(torch.tensor(x)).numpy(), rtol=1e-15)
    got32 = mg.tensor(x, dtype="float32", device=device).erf()
    assert got32.dtype == np.float32
    # computed in float64 and rounded once: float32's correctly rounded value (torch's is within its float32 ulps)
    np.testing.assert_array_equal(got32.numpy(), np.float32([math.erf(v) for v in np.float32(x).astype(np.float64)]))
    np.testing.assert_allclose(got32.numpy(), torch.erf(torch.tensor(x, dtype=torch.float32)).numpy(), rtol=3e-7)
    half = mg.erf(mg.tensor([0.5, -1.5], dtype="float16", device=device))
    assert half.dtype == np.float16
    np.testing.assert_array_equal(half.numpy(), np.float16([math.erf(0.5), math.erf(-1.5)]))


def test_erf_gradient_is_two_over_sqrt_pi_e_to_minus_x_squared(device):
    values = np.array([-6.0, -2.0, -0.3, 0.0, 1.0, 2.5, 9.0])
    x = mg.tensor(values, dtype="float64", device=device, requires_grad=True)
    mg.erf(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 / math.sqrt(math.pi) * np.exp(-values ** 2), rtol=1e-15)


# ------------------------------------------------------------------------------------------- layers
LAYERS = [
    ("PReLU", (), {}), ("PReLU", (3,), {"init": 0.1}), ("Hardtanh", (), {}), ("Hardtanh", (-2, 3), {}),
    ("Hardtanh", (-2.0, 3.0, True), {}), ("ReLU6", (), {}), ("ReLU6", (True,), {}), ("SELU", (), {}),
    ("SELU", (True,), {}), ("CELU", (), {}), ("CELU", (0.5, True), {}), ("Softsign", (), {}), ("LogSigmoid", (), {}),
    ("Softmin", (), {}), ("Softmin", (1,), {}), ("Threshold", (0.1, 20), {}), ("Threshold", (0.1, 20.0, True), {}),
    ("GLU", (), {}), ("GLU", (0,), {}), ("Mish", (), {}), ("Mish", (True,), {}), ("Hardswish", (True,), {}),
    ("Hardsigmoid", (True,), {}), ("GELU", (), {}), ("GELU", ("tanh",), {}),
]


@pytest.mark.parametrize("name, args, kwargs", LAYERS)
def test_layers_print_and_compute_as_torchs(name, args, kwargs, device):
    torch = pytest.importorskip("torch")
    layer, tlayer = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(layer) == repr(tlayer)
    values = np.random.default_rng(8).standard_normal((2, 3, 4))  # 3 channels (PReLU(3)), even sizes for GLU
    x = mg.tensor(values, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's Softmin without dim warns about its implicit choice
        expected = tlayer.double()(torch.tensor(values)).detach().numpy()
    np.testing.assert_allclose(layer.to(device=device, dtype="float64")(x).numpy(), expected, rtol=1e-13, atol=1e-15)


def test_relu6_is_a_hardtanh_from_0_to_6_as_torchs():
    layer = nn.ReLU6()
    assert isinstance(layer, nn.Hardtanh) and (layer.min_val, layer.max_val) == (0.0, 6.0)


def test_prelu_parameter_shape_init_dtype_device_and_reset(device):
    layer = nn.PReLU(3, init=0.1, device=device)
    assert list(layer.state_dict()) == ["weight"]
    assert layer.weight.shape == (3,) and layer.weight.dtype == np.float32 and layer.weight.device == device
    np.testing.assert_array_equal(layer.weight.numpy(), np.float32([0.1, 0.1, 0.1]))
    with mg.no_grad():
        layer.weight.mul_(5.0)
    weight = layer.weight
    layer.reset_parameters()
    assert layer.weight is weight  # in place: an optimizer holding it sees the reset
    np.testing.assert_array_equal(layer.weight.numpy(), np.float32([0.1, 0.1, 0.1]))
    assert nn.PReLU(dtype="float64").weight.dtype == np.float64
    y = layer(mg.randn(2, 3, 4, device=device))
    assert y.dtype == np.float32 and y.device == device


def test_hardtanh_takes_torchs_deprecated_argument_names_with_its_warning():
    with pytest.warns(FutureWarning) as caught:
        layer = nn.Hardtanh(min_value=-2.0, max_value=2.0)
    assert [str(w.message) for w in caught] == ["keyword argument `min_value` is deprecated and renamed to `min_val`",
                                                "keyword argument `max_value` is deprecated and renamed to `max_val`"]
    assert (layer.min_val, layer.max_val) == (-2.0, 2.0)


def test_softmin_without_dim_takes_softmaxs_implicit_dim(device):
    # torch's choice without a dim: 0 for 0-, 1- and 3-d inputs, else 1 (as nn.Softmax's)
    x = mg.tensor(np.random.default_rng(9).standard_normal((2, 3, 4)), device=device)
    for layer, x, dim in ((nn.Softmin(), x, 0), (nn.Softmin(), x[0], 1), (nn.Softmin(2), x, 2)):
        np.testing.assert_allclose(layer(x).numpy(), F.softmax(-x, dim).numpy(), rtol=1e-6)
        np.testing.assert_allclose(F.softmin(x, layer.dim).numpy(), F.softmax(-x, dim).numpy(), rtol=1e-6)
    assert F.softmin(mg.tensor([1, 2], device=device), dtype="float64").dtype == np.float64


def test_softmins_errors_name_softmin_not_the_softmax_it_calls():
    for call in (nn.Softmin(5), lambda x: F.softmin(x, 5)):
        with pytest.raises(ValueError, match=r"^softmin: axis 5 is out of range for a tensor of shape \(2, 3\)"):
            call(mg.randn(2, 3))
        with pytest.raises(ValueError, match=r"^softmin: dim 5 is out of range for a 0-d tensor"):
            call(mg.tensor(1.0))


# ----------------------------------------------------------------------------------------- bad input
def test_bad_settings_and_inputs_get_clear_errors():
    x = mg.randn(2, 3)
    with pytest.raises(ValueError, match=r"PReLU\(num_parameters=4\): expected an input with 4 channels in dim 1, "
                                         r"got shape \(2, 3\)"):
        nn.PReLU(4)(x)
    with pytest.raises(ValueError, match=r"prelu: weight must be a 0-d or 1-d tensor of 1 or 3 elements"):
        F.prelu(x, mg.ones(2))
    with pytest.raises(ValueError, match=r"prelu: weight must be .* got shape \(1, 3\)"):
        F.prelu(x, mg.ones(1, 3))
    with pytest.raises(ValueError, match=r"prelu: weight must be a 0-d or 1-d tensor of 1 element \(one slope: the "
                                         r"input has one channel\) for an input of shape \(4,\), got shape \(3,\)"):
        F.prelu(mg.ones(4), mg.ones(3))  # (not "of 1 or 1 elements")
    with pytest.raises(TypeError, match="prelu: input dtype float64 but weight dtype float32"):
        F.prelu(x.double(), mg.ones(1))
    with pytest.raises(TypeError, match="prelu: expected a minigan Tensor, got a numpy.ndarray"):
        F.prelu(np.ones(3), mg.ones(1))
    with pytest.raises(ValueError, match="PReLU: num_parameters must be a positive int, got 0"):
        nn.PReLU(0)
    with pytest.raises(ValueError, match=r"Hardtanh: max_val \(1\) must be greater than min_val \(2\)"):
        nn.Hardtanh(2, 1)
    with pytest.raises(ValueError, match=r"hardtanh: min_val \(2\) must not be greater than max_val \(1\)"):
        F.hardtanh(x, 2, 1)
    with pytest.raises(TypeError, match="Hardtanh: min_val must be a number, got str 'a'"):
        nn.Hardtanh("a")
    with pytest.raises(TypeError, match="threshold: value must be a number, got None"):
        F.threshold(x, 0.5, None)
    with pytest.raises(ValueError, match="celu: alpha cannot be 0"):
        F.celu(x, 0.0)
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh', got 'fast'"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got None"):
        F.gelu(x, None)
    with pytest.raises(ValueError, match=r"glu: dim 1 of x \(shape \(2, 3\)\) has odd size 3"):
        F.glu(x, 1)
    with pytest.raises(ValueError, match="glu: x is a 0-d tensor"):
        nn.GLU()(mg.tensor(1.0))
    for fn, name in ((mg.erf, "erf"), (F.gelu, "gelu"), (F.mish, "mish"), (nn.Softmin(1), "Softmin")):
        with pytest.raises(TypeError, match=f"{name}: expected a minigan Tensor, got None"):
            fn(None)
