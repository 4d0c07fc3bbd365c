"""The 1-D layers, padding layers and norms beyond the basics, against torch: MaxPool1d, AvgPool1d,
AdaptiveAvgPool1d, AdaptiveMaxPool1d, InstanceNorm1d and instance norm's running statistics, the constant,
reflection, replication and circular padding layers, Dropout1d, Softmax2d and RMSNorm.

Values and gradients are compared with torch in float64 (and float32 stays float32); gradcheck (and
gradgradcheck where a second derivative matters) runs here too.
"""

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn import functional as F
from test_pooling_extras import _compare, _distinct  # (the 2-D pools' helpers, which these extend)
from torch_peer import as_this_torch_prints


# ------------------------------------------------------------------------------------------------ 1-D pooling

@pytest.mark.parametrize("kernel, stride, padding, dilation, ceil_mode", [
    (3, 2, 1, 1, True), (2, None, 0, 1, False), (3, 2, 1, 2, False), ((2,), (3,), (1,), (3,), True), (4, 1, 2, 1, False),
])
def test_max_pool1d_as_torchs(kernel, stride, padding, dilation, ceil_mode, device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = _distinct(rng, 2, 3, 11)
    _compare(torch, lambda t: F.max_pool1d(t, kernel, stride, padding, dilation, ceil_mode, return_indices=True),
             lambda t: torch.nn.functional.max_pool1d(t, kernel, stride, padding, dilation, ceil_mode, True),
             x, device, rng, indices=True)
    layer = nn.MaxPool1d(kernel, stride, padding, dilation, return_indices=True, ceil_mode=ceil_mode)
    tlayer = torch.nn.MaxPool1d(kernel, stride, padding, dilation, return_indices=True, ceil_mode=ceil_mode)
    assert repr(layer) == repr(tlayer)
    _compare(torch, lambda t: layer(t[0]), lambda t: tlayer(t[0]), x, device, rng, indices=True)  # one (C, L)


@pytest.mark.parametrize("kernel, stride, padding, ceil_mode, count_include_pad", [
    (3, 2, 1, True, True), (3, 2, 1, True, False), (2, None, 0, False, True), ((4,), (3,), (2,), False, False),
])
def test_avg_pool1d_as_torchs(kernel, stride, padding, ceil_mode, count_include_pad, device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 10))
    _compare(torch, lambda t: F.avg_pool1d(t, kernel, stride, padding, ceil_mode, count_include_pad),
             lambda t: torch.nn.functional.avg_pool1d(t, kernel, stride, padding, ceil_mode, count_include_pad),
             x, device, rng)
    layer, tlayer = (m.AvgPool1d(kernel, stride, padding, ceil_mode, count_include_pad) for m in (nn, torch.nn))
    assert repr(layer) == repr(tlayer)
    _compare(torch, lambda t: layer(t[0]), lambda t: tlayer(t[0]), x, device, rng)  # one (C, L)


@pytest.mark.parametrize("output_size", [1, 3, (4,), 7, 10])
def test_adaptive_pools_1d_as_torchs(output_size, device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = _distinct(rng, 2, 3, 7)
    tf = torch.nn.functional
    _compare(torch, lambda t: F.adaptive_avg_pool1d(t, output_size), lambda t: tf.adaptive_avg_pool1d(t, output_size),
             x, device, rng)
    _compare(torch, lambda t: F.adaptive_max_pool1d(t, output_size, True),
             lambda t: tf.adaptive_max_pool1d(t, output_size, True), x, device, rng, indices=True)
    for name in ("AdaptiveAvgPool1d", "AdaptiveMaxPool1d"):
        layer, tlayer = getattr(nn, name)(output_size), getattr(torch.nn, name)(output_size)
        assert repr(layer) == repr(tlayer)
        _compare(torch, lambda t: layer(t[1]), lambda t: tlayer(t[1]), x, device, rng)  # one (C, L)


def test_1d_pools_ceil_mode_keeps_a_window_that_rounding_down_drops_as_torchs(device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 3, 1))  # kernel 4, stride 2 over 1 value + 2 padding: (1 + 2 - 4) / 2 + 1 windows,
    tf = torch.nn.functional  # 0 rounded down, 1 rounded up
    for ours, theirs in ((F.max_pool1d, tf.max_pool1d), (F.avg_pool1d, tf.avg_pool1d)):
        _compare(torch, lambda t: ours(t, 4, 2, 1, ceil_mode=True), lambda t: theirs(t, 4, 2, 1, ceil_mode=True), x,
                 device, rng)


def test_1d_pools_pass_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(3)
    x = mg.tensor(_distinct(rng, 2, 2, 9), requires_grad=True)
    for fn in (lambda t: F.max_pool1d(t, 3, 2, 1, 2, True) ** 2, lambda t: F.avg_pool1d(t, 3, 2, 1, True, False) ** 2,
               lambda t: F.adaptive_avg_pool1d(t, 4) ** 2, lambda t: F.adaptive_max_pool1d(t, 4) ** 2):
        assert mg.gradcheck(fn, [x]) and mg.gradgradcheck(fn, [x])


def test_1d_pools_of_an_empty_batch_as_torchs(device):
    torch = pytest.importorskip("torch")
    x, tx = mg.zeros(0, 3, 6, device=device), torch.zeros(0, 3, 6)
    for ours, theirs in [(F.max_pool1d(x, 2), torch.nn.functional.max_pool1d(tx, 2)),
                         (F.avg_pool1d(x, 3, 1), torch.nn.functional.avg_pool1d(tx, 3, 1)),
                         (F.adaptive_avg_pool1d(x, 4), torch.nn.functional.adaptive_avg_pool1d(tx, 4))]:
        assert ours.shape == tuple(theirs.shape)


# ------------------------------------------------------------------------------------------------ instance norm

@pytest.mark.parametrize("cls, shape", [("InstanceNorm1d", (4, 3, 5)), ("InstanceNorm2d", (4, 3, 2, 3))])
@pytest.mark.parametrize("affine, momentum", [(True, 0.3), (False, 0.1), (True, None)])
def test_instance_norm_tracks_running_stats_as_torch(cls, shape, affine, momentum, device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    layer = getattr(nn, cls)(3, momentum=momentum, affine=affine, track_running_stats=True).double().to(device)
    tlayer = getattr(torch.nn, cls)(3, momentum=momentum, affine=affine, track_running_stats=True).double()
    assert as_this_torch_prints(repr(layer)) == repr(tlayer)
    assert list(layer.state_dict()) == list(tlayer.state_dict())
    if affine:  # a scale and shift that are not ones and zeros
        with torch.no_grad():
            tlayer.weight.copy_(torch.tensor([1.5, 0.5, -1.0]))
            tlayer.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
        layer.load_state_dict({k: v.detach().numpy() for k, v in tlayer.state_dict().items()})
    for step in range(2):  # training: each input's own statistics; the running ones move towards the batch's
        x = rng.standard_normal(shape) * 2.0 + 1.0
        _compare(torch, layer, tlayer, x, device, rng)
        for name in ("running_mean", "running_var"):
            np.testing.assert_allclose(getattr(layer, name).numpy(), getattr(tlayer, name).detach().numpy(),
                                       rtol=1e-12, atol=1e-14)
    assert int(layer.num_batches_tracked.numpy()) == int(tlayer.num_batches_tracked) == 0  # torch never counts
    layer.eval(), tlayer.eval()  # eval mode: the running statistics, and the same gradients
    x = rng.standard_normal(shape)
    mean, var = (getattr(layer, name).numpy().reshape(3, *[1] * (len(shape) - 2)) for name in ("running_mean",
                                                                                               "running_var"))
    y = layer(mg.tensor(x, device=device))
    expected = (x - mean) / np.sqrt(var + 1e-5)
    if affine:
        expected = expected * layer.weight.numpy().reshape(mean.shape) + layer.bias.numpy().reshape(mean.shape)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)
    _compare(torch, layer, tlayer, x, device, rng)
    _compare(torch, lambda t: layer(t[0]), lambda t: tlayer(t[0]), x, device, rng, check32=False)  # one sample
    layer.reset_running_stats()
    assert not layer.running_mean.numpy().any() and (layer.running_var.numpy() == 1).all()


def test_instance_norm_loads_running_stats_without_num_batches_tracked_and_resets_them_as_torch():
    torch = pytest.importorskip("torch")
    state = {"weight": np.array([1.5, 0.5, -1.0]), "bias": np.array([0.1, -0.2, 0.3]),
             "running_mean": np.array([0.5, -1.0, 2.0]), "running_var": np.array([2.0, 0.5, 3.0])}
    layer = nn.InstanceNorm1d(3, affine=True, track_running_stats=True).double()
    tlayer = torch.nn.InstanceNorm1d(3, affine=True, track_running_stats=True).double()
    layer.load_state_dict(state)  # (a hand-made checkpoint: torch fills in num_batches_tracked, as batch norm's)
    tlayer.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    for name, value in layer.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), tlayer.state_dict()[name].numpy())
    layer.eval(), tlayer.eval()  # normalising with the loaded running statistics
    x = np.random.default_rng(11).standard_normal((2, 3, 4))
    np.testing.assert_allclose(layer(mg.tensor(x)).numpy(), tlayer(torch.tensor(x)).detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    layer.reset_parameters(), tlayer.reset_parameters()  # the running statistics too, as torch's
    for name, value in layer.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), tlayer.state_dict()[name].numpy())


def test_instance_norm_of_an_empty_batch_keeps_its_running_stats():  # (torch's turn NaN: a mean of no instances)
    layer = nn.InstanceNorm2d(3, momentum=0.5, track_running_stats=True)
    layer.running_mean.data[...] = 1.5
    y = layer(mg.zeros(0, 3, 4, 4))
    assert y.shape == (0, 3, 4, 4)
    assert (layer.running_mean.numpy() == 1.5).all() and (layer.running_var.numpy() == 1.0).all()


def test_instance_norm1d_as_torchs_without_running_stats(device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    layer, tlayer = nn.InstanceNorm1d(3, affine=True).double(), torch.nn.InstanceNorm1d(3, affine=True).double()
    with torch.no_grad():
        tlayer.weight.copy_(torch.tensor([1.5, 0.5, -1.0]))
        tlayer.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    layer.load_state_dict({k: v.detach().numpy() for k, v in tlayer.state_dict().items()})
    layer.to(device)
    assert as_this_torch_prints(repr(layer)) == repr(tlayer) and layer.running_mean is None
    for mode in ("train", "eval"):  # eval mode without running statistics: each input's own, as in training
        getattr(layer, mode)(), getattr(tlayer, mode)()
        _compare(torch, layer, tlayer, rng.standard_normal((2, 3, 6)), device, rng)
        _compare(torch, layer, tlayer, rng.standard_normal((3, 6)), device, rng)  # one (C, L)
    x = mg.tensor(rng.standard_normal((2, 3, 5)), requires_grad=True)
    w, b = (mg.tensor(rng.standard_normal(3), requires_grad=True) for _ in range(2))
    rm, rv = mg.zeros(3, dtype=mg.float64), mg.ones(3, dtype=mg.float64)
    for use_input_stats in (True, False):
        fn = lambda x, w, b: F.instance_norm(x, rm.clone(), rv.clone(), w, b, use_input_stats) ** 2  # noqa: E731
        assert mg.gradcheck(fn, [x, w, b]) and mg.gradgradcheck(fn, [x, w, b])


def test_instance_norm_running_stats_errors_are_clear():
    x = mg.randn(2, 3, 4)
    with pytest.raises(ValueError, match=r"instance_norm: use_input_stats=False normalises with the running "
                                         r"statistics, but running_mean and running_var are None"):
        F.instance_norm(x, use_input_stats=False)
    with pytest.raises(ValueError, match=r"instance_norm: running_mean and running_var must both be given or both "
                                         r"be None, got only running_mean"):
        F.instance_norm(x, mg.zeros(3))
    with pytest.raises(ValueError, match=r"instance_norm: running_mean must hold one value per channel, shape \(3,\)"):
        F.instance_norm(x, mg.zeros(4), mg.ones(4))
    with pytest.raises(ValueError, match=r"InstanceNorm1d\(3\): expected input of shape \(N, 3, L\) or \(3, L\), "
                                         r"got \(2, 3, 4, 4\)"):
        nn.InstanceNorm1d(3)(mg.randn(2, 3, 4, 4))
    with pytest.raises(TypeError, match=r"InstanceNorm1d: momentum must be a number, got"):
        nn.InstanceNorm1d(3, momentum="0.1")
    with pytest.raises(TypeError, match=r"instance_norm: momentum must be a number, got NoneType None"):
        F.instance_norm(x, mg.zeros(3), mg.ones(3), momentum=None)  # (torch: a TypeError too)
    with pytest.raises(ValueError, match=r"InstanceNorm1d\(3\): expected input of shape \(N, 3, L\) or \(3, L\), "
                                         r"got \(4, 5\)"):
        nn.InstanceNorm1d(3)(mg.randn(4, 5))  # one sample of 4 channels, not 3


# ------------------------------------------------------------------------------------------------ padding layers

@pytest.mark.parametrize("cls, args, shape", [
    ("ConstantPad1d", (2, 1.5), (2, 3, 4)), ("ConstantPad1d", ((1, -2), -1), (3, 5)),
    ("ConstantPad2d", ((1, 2, 0, 3), 2), (2, 3, 4, 5)), ("ConstantPad2d", (1, 0.5), (3, 4)),
    ("ZeroPad1d", ((2, 1),), (2, 3, 4)), ("ZeroPad1d", (1,), (4,)),
    ("ReflectionPad1d", ((3, 1),), (2, 3, 5)), ("ReflectionPad1d", (2,), (3, 5)),
    ("ReplicationPad1d", ((4, 2),), (2, 3, 3)), ("ReplicationPad1d", (1,), (3, 4)),
    ("CircularPad1d", ((2, 3),), (2, 3, 4)), ("CircularPad1d", (1,), (3, 4)),
    ("CircularPad2d", ((1, 2, 2, 0),), (2, 3, 3, 4)), ("CircularPad2d", (2,), (3, 3, 4)),
])
def test_padding_layers_as_torchs(cls, args, shape, device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    layer, tlayer = getattr(nn, cls)(*args), getattr(torch.nn, cls)(*args)
    assert repr(layer) == repr(tlayer) and layer.padding == tlayer.padding
    _compare(torch, layer, tlayer, rng.standard_normal(shape), device, rng)


def test_padding_layers_refuse_a_padding_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"ReflectionPad1d: padding must be an int or \(left, right\), got \(1, 2, 3, "
                                         r"4\)"):
        nn.ReflectionPad1d((1, 2, 3, 4))
    with pytest.raises(TypeError, match=r"ConstantPad1d: padding must be an int or \(left, right\), got \(1, 2.5\)"):
        nn.ConstantPad1d((1, 2.5), 0.0)
    with pytest.raises(TypeError, match=r"ConstantPad2d: value must be a number, got None"):
        nn.ConstantPad2d(1, None)
    with pytest.raises(ValueError, match=r"pad: mode='circular' pads 1 axis of an input with 2 or 3 axes"):
        nn.CircularPad1d(1)(mg.zeros(4))


# ------------------------------------------------------------------------------------------------ Dropout1d, Softmax2d

def test_dropout1d_zeroes_whole_channels(device):
    x = mg.ones(40, 5, 6, device=device, requires_grad=True)
    y = F.dropout1d(x, 0.25)
    values = y.numpy()
    assert set(np.unique(values)) <= {0.0, np.float32(1 / 0.75)} and (values == values[:, :, :1]).all()  # a channel is one draw
    assert 0.1 < (values[:, :, 0] == 0).mean() < 0.4  # (200 draws: about a quarter)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)
    one = nn.Dropout1d(0.5)(mg.ones(7, 6, device=device)).numpy()  # one (C, L)
    assert (one == one[:, :1]).all() and {0.0, 2.0} == set(np.unique(one))
    layer = nn.Dropout1d(0.5).eval()
    assert repr(layer) == "Dropout1d(p=0.5, inplace=False)" and layer(x) is x
    assert F.dropout1d(x, 0.5, training=False) is x
    y32 = F.dropout1d(mg.ones(2, 3, 4, dtype=mg.float32, device=device), 0.5)
    assert y32.dtype == np.float32
    with pytest.raises(ValueError, match=r"dropout1d: expected a 2-D \(C, L\) or 3-D input \(N, C, L\), got shape "
                                         r"\(2, 3, 4, 5\); for any other shape use dropout"):
        F.dropout1d(mg.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"dropout1d: p must be between 0 and 1, got 1.5"):
        F.dropout1d(mg.ones(2, 3, 4), 1.5)


def test_softmax2d_as_torchs(device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    assert repr(nn.Softmax2d()) == repr(torch.nn.Softmax2d())
    for shape in ((2, 3, 4, 5), (3, 4, 5)):
        _compare(torch, nn.Softmax2d(), torch.nn.Softmax2d(), rng.standard_normal(shape), device, rng)
    with pytest.raises(ValueError, match=r"Softmax2d: expected a 3-D \(C, H, W\) or 4-D input \(N, C, H, W\), got "
                                         r"shape \(3, 4\)"):
        nn.Softmax2d()(mg.zeros(3, 4))


# ------------------------------------------------------------------------------------------------ RMSNorm

@pytest.mark.parametrize("shape, normalized_shape, eps, affine", [
    ((2, 3, 4), 4, None, True), ((2, 3, 4), (3, 4), 1e-3, True), ((5, 4), [4], 0.0, False), ((4,), 4, None, True),
])
def test_rms_norm_as_torchs(shape, normalized_shape, eps, affine, device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    layer = nn.RMSNorm(normalized_shape, eps, affine, dtype=mg.float64)
    tlayer = torch.nn.RMSNorm(normalized_shape, eps, affine, dtype=torch.float64)
    assert repr(layer) == repr(tlayer) and layer.normalized_shape == tlayer.normalized_shape
    assert list(layer.state_dict()) == list(tlayer.state_dict())
    if affine:
        np.testing.assert_array_equal(layer.weight.numpy(), tlayer.weight.detach().numpy())  # ones, as torch's
        w = rng.standard_normal(tlayer.weight.shape)
        with torch.no_grad():
            tlayer.weight.copy_(torch.tensor(w))
        layer.load_state_dict({"weight": w})
    layer.to(device)
    _compare(torch, layer, tlayer, rng.standard_normal(shape), device, rng)
    x = rng.standard_normal(shape)
    w = layer.weight
    _compare(torch, lambda t: F.rms_norm(t, normalized_shape, w, eps),
             lambda t: torch.nn.functional.rms_norm(t, tuple(np.atleast_1d(normalized_shape)), None if w is None else torch.tensor(
                 w.numpy()), eps), x, device, rng, check32=w is None)
    if affine:  # the weight back to ones, as torch's
        layer.reset_parameters(), tlayer.reset_parameters()
        np.testing.assert_array_equal(layer.weight.numpy(), tlayer.weight.detach().numpy())


def test_rms_norms_default_eps_is_the_dtypes_machine_epsilon_as_torchs():
    torch = pytest.importorskip("torch")
    x = np.array([[1e-9, -2e-9, 3e-9]])  # mean(x^2) far below float32's epsilon: eps decides the scale
    for dtype, tdtype in ((mg.float64, torch.float64), (mg.float32, torch.float32)):
        y = F.rms_norm(mg.tensor(x, dtype=dtype), (3,))
        assert y.dtype == dtype
        np.testing.assert_allclose(y.numpy(), torch.nn.functional.rms_norm(torch.tensor(x, dtype=tdtype), (3,)),
                                   rtol=1e-6)


def test_rms_norm_passes_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(9)
    x, w = mg.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True), mg.tensor(rng.standard_normal((3, 4)),
                                                                                   requires_grad=True)
    fn = lambda x, w: F.rms_norm(x, (3, 4), w, 1e-3)  # noqa: E731
    assert mg.gradcheck(fn, [x, w]) and mg.gradgradcheck(fn, [x, w])


def test_rms_norm_errors_are_clear():
    with pytest.raises(ValueError, match=r"rms_norm: expected an input whose last axes are \(4,\), got shape \(2, 3\)"):
        F.rms_norm(mg.zeros(2, 3), (4,))
    with pytest.raises(ValueError, match=r"rms_norm: weight must have the normalized shape \(3,\), got shape \(4,\)"):
        F.rms_norm(mg.zeros(2, 3), (3,), mg.ones(4))
    with pytest.raises(TypeError, match=r"rms_norm: expected a float input, got int64"):
        F.rms_norm(mg.tensor(np.ones((2, 3), dtype=np.int64)), (3,))
    with pytest.raises(ValueError, match=r"RMSNorm: eps must be >= 0"):
        nn.RMSNorm(3, eps=-1.0)
    with pytest.raises(ValueError, match=r"RMSNorm: normalized_shape must name at least one axis"):
        nn.RMSNorm(())


# ------------------------------------------------------------------------------------------------ bad input

@pytest.mark.parametrize("call, error, message", [
    (lambda: F.max_pool1d(mg.zeros(2, 3, 4, 4), 2), ValueError,
     r"max_pool1d: expected a 2-D \(C, L\) or 3-D input \(N, C, L\), got shape \(2, 3, 4, 4\)"),
    (lambda: F.max_pool1d(mg.zeros(2, 3, 4), 6), ValueError,
     r"max_pool1d: input shape \(2, 3, 4\) is shorter than the kernel 6 with padding 0"),
    (lambda: F.max_pool1d(mg.zeros(2, 3, 4), (2, 2)), TypeError,
     r"max_pool1d: kernel_size must be an int or a 1-tuple of one, got \(2, 2\)"),
    (lambda: F.avg_pool1d(mg.zeros(2, 3, 8), 3, 1, 2), ValueError,
     r"avg_pool1d: kernel_size, stride and dilation must be >= 1 and padding at most half the kernel, got "
     r"kernel_size=3, stride=1, padding=2"),
    (lambda: F.adaptive_avg_pool1d(mg.zeros(2, 3, 4), None), TypeError,
     r"adaptive_avg_pool1d: output_size must be an int or a 1-tuple of one, got None"),
    (lambda: F.adaptive_max_pool1d(mg.zeros(2, 3, 4), 0), ValueError,  # (torch: an empty output; as our 2-D pools)
     r"adaptive_max_pool1d: output_size must be >= 1, got 0"),
    (lambda: F.adaptive_avg_pool1d(mg.zeros(2, 3, 0), 2), ValueError,
     r"adaptive_avg_pool1d: expected a 2-D \(C, L\) or 3-D input \(N, C, L\) with L >= 1, got shape \(2, 3, 0\)"),
    (lambda: F.adaptive_max_pool1d(mg.zeros(4), 2), ValueError,
     r"adaptive_max_pool1d: expected a 2-D \(C, L\) or 3-D input \(N, C, L\) with L >= 1, got shape \(4,\)"),
    (lambda: nn.AvgPool1d(2.5), TypeError, r"AvgPool1d: kernel_size must be an int or a 1-tuple of one, got 2.5"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
