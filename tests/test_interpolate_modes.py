"""F.interpolate's 'bicubic', 'area' and 'nearest' (any size) modes (and nn.Upsample's), against torch.

'bicubic': Keys' cubic convolution (A = -0.75) over the 4 x 4 pixels around each source position, the taps past
the border clamped to it; 'area': adaptive average pooling. Values and gradients are compared with torch in
float64 over a grid of sizes (up, down, non-integer factors, 1-pixel inputs); float32 stays float32.
"""

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn import functional as F

SIZES = [(1, 1), (1, 5), (4, 5), (7, 3), (8, 8)]
OUTPUTS = [{"size": (1, 1)}, {"size": (9, 4)}, {"size": (3, 11)}, {"scale_factor": 2}, {"scale_factor": (1.7, 0.6)},
           {"scale_factor": (3.3, 2.5)}, {"scale_factor": 0.5}]


def _compare(torch, x, device, rng, **kwargs):
    """interpolate(x, **kwargs) in float64: values and the input gradient of one random upstream gradient, as
    torch's; then float32 stays float32."""
    mx = mg.tensor(x, device=device, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    y, ty = F.interpolate(mx, **kwargs), torch.nn.functional.interpolate(tx, **kwargs)
    assert y.shape == tuple(ty.shape), kwargs
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=str(kwargs))
    g = rng.standard_normal(y.shape)
    y.backward(mg.tensor(g, device=device))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12, err_msg=str(kwargs))
    x32 = mg.tensor(x.astype(np.float32), device=device, requires_grad=True)
    y32 = F.interpolate(x32, **kwargs)
    y32.sum().backward()
    assert y32.dtype == np.float32 and x32.grad.dtype == np.float32


@pytest.mark.parametrize("mode, align_corners", [("bicubic", False), ("bicubic", True), ("bicubic", None),
                                                 ("area", None)])
def test_bicubic_and_area_as_torchs_over_a_grid_of_sizes(mode, align_corners, device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for h, w in SIZES:
        x = rng.standard_normal((2, 3, h, w))
        for out in OUTPUTS:
            factors = out.get("scale_factor", 1)
            factors = factors if isinstance(factors, tuple) else (factors, factors)
            if int(h * factors[0]) < 1 or int(w * factors[1]) < 1:
                continue  # torch: an error (bicubic) or an empty tensor (area); minigan: an error
            _compare(torch, x, device, rng, mode=mode, align_corners=align_corners, **out)


def test_area_of_a_3d_input_as_torchs(device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    for length, out in [(7, {"size": 3}), (3, {"size": 8}), (5, {"scale_factor": 1.5}), (1, {"size": 4})]:
        _compare(torch, rng.standard_normal((2, 3, length)), device, rng, mode="area", **out)


def test_bicubic_weights_and_border_clamping_by_hand(device):
    # align_corners, 4 -> 7 pixels: output d samples the input at s = d / 2. At s = 1.5 (d = 3) the taps are pixels
    # 0..3 at distances 1.5, 0.5, 0.5, 1.5, Keys' weights (A = -0.75): W(0.5) = 0.59375, W(1.5) = -0.09375.
    # At s = 0.5 (d = 1) the taps -1, 0, 1, 2 clamp to 0, 0, 1, 2: pixel 0 takes -0.09375 + 0.59375 = 0.5.
    x = mg.tensor([[[[1.0, 2.0, 4.0, 8.0]]]], device=device)
    y = F.interpolate(x, size=(1, 7), mode="bicubic", align_corners=True).numpy()[0, 0, 0]
    assert y[3] == -0.09375 * 1 + 0.59375 * 2 + 0.59375 * 4 - 0.09375 * 8
    assert y[1] == 0.5 * 1 + 0.59375 * 2 - 0.09375 * 4
    assert y[0] == 1.0 and y[6] == 8.0  # the corners themselves
    ones = F.interpolate(mg.ones(1, 1, 3, 5, device=device), scale_factor=2.5, mode="bicubic").numpy()
    np.testing.assert_allclose(ones, 1.0, rtol=1e-6)  # each row's weights add to 1, clamped taps too


def test_area_averages_torchs_adaptive_windows_by_hand(device):
    x = mg.tensor([[[1.0, 2.0, 3.0, 4.0, 10.0]]], device=device)  # (N, C, L)
    # 5 -> 3: windows [0, 2), [1, 4), [3, 5); 2 -> 3 (growing): [0, 1), [0, 2), [1, 2)
    np.testing.assert_allclose(F.interpolate(x, size=3, mode="area").numpy(), [[[1.5, 3.0, 7.0]]], rtol=1e-6)
    np.testing.assert_allclose(F.interpolate(x[:, :, :2], size=3, mode="area").numpy(), [[[1.0, 1.5, 2.0]]], rtol=1e-6)
    y = F.interpolate(x.reshape(1, 1, 1, 5), scale_factor=(1, 0.6), mode="area")  # only the size counts: 3
    np.testing.assert_allclose(y.numpy(), [[[[1.5, 3.0, 7.0]]]], rtol=1e-6)


@pytest.mark.parametrize("shape", [(1, 2, 5, 5), (2, 1, 8, 3), (1, 1, 1, 4), (1, 2, 9)])
def test_nearest_to_any_size_as_torchs(shape, device):
    """'nearest' by any size or factor (down, up, non-whole, one per axis): torch's source pixels and gradients."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    two = len(shape) == 4
    for kwargs in [{"size": (7, 4) if two else 7}, {"size": (3, 2) if two else 3}, {"scale_factor": 0.5},
                   {"scale_factor": 1.5}, {"scale_factor": 1 / 3}, {"scale_factor": 2.5},
                   {"scale_factor": (0.6, 1.7) if two else 0.6}, {"scale_factor": 3}]:
        if min(int(n * f) for n, f in zip(shape[2:], np.broadcast_to(kwargs.get("scale_factor", 1), len(shape) - 2))) < 1:
            continue  # (an empty output: refused, below)
        _compare(torch, x, device, rng, mode="nearest", **kwargs)


def test_nearest_picks_floor_of_d_times_in_over_out_by_hand(device):
    x = mg.tensor(np.arange(5.0).reshape(1, 1, 5), device=device, requires_grad=True)
    y = F.interpolate(x, size=3)  # sources floor(d * 5/3): 0, 1, 3
    assert y.tolist() == [[[0.0, 1.0, 3.0]]]
    assert F.interpolate(x, size=8).tolist() == [[[0.0, 0.0, 1.0, 1.0, 2.0, 3.0, 3.0, 4.0]]]  # floor(d * 5/8)
    F.interpolate(x, scale_factor=1.5).sum().backward()  # 7 outputs from sources floor(d / 1.5): 0 0 1 2 2 3 4
    assert x.grad.tolist() == [[[2.0, 1.0, 2.0, 1.0, 1.0]]]  # each source's gradient: how many copies it made
    with pytest.raises(ValueError, match=r"makes the output size \(0,\), but mode='nearest' needs lengths >= 1"):
        F.interpolate(x, scale_factor=0.1)


@pytest.mark.parametrize("kwargs", [{"size": (5, 3), "mode": "bicubic", "align_corners": False},
                                    {"scale_factor": 1.7, "mode": "bicubic", "align_corners": True},
                                    {"size": (5, 2), "mode": "area"}, {"scale_factor": 0.6, "mode": "area"}])
def test_gradcheck_and_gradgradcheck(kwargs, device):
    x = mg.tensor(np.random.default_rng(2).standard_normal((1, 2, 3, 4)), device=device, requires_grad=True)
    assert mg.gradcheck(lambda t: F.interpolate(t, **kwargs), [x])
    assert mg.gradgradcheck(lambda t: F.interpolate(t, **kwargs) ** 2, [x])


def test_an_axis_whose_length_stays_as_torchs_forward(device):
    """torch's linear modes keep an axis whose length a factor leaves unchanged (4 * 1.1 -> 4) as it is; minigan
    resampled it at the factor's step. torch's bicubic resamples it (its forward), and minigan's gradient is the
    derivative of that; torch 2.13's bicubic backward copies the gradient where no length changes (its own
    gradcheck fails there), so only the values are compared in that case."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4, 5))
    for factors in [(1.1, 1.1), (1.1, 1.6), (1.6, 1.1), (0.9, 1.1)]:
        _compare(torch, x, device, rng, scale_factor=factors, mode="bilinear")
        _compare(torch, x, device, rng, scale_factor=factors, mode="bilinear", align_corners=True)
    _compare(torch, x[:, :, 0], device, rng, scale_factor=1.1, mode="linear")
    _compare(torch, x, device, rng, scale_factor=(1.1, 1.6), mode="bicubic")
    y = F.interpolate(mg.tensor(x, device=device), scale_factor=1.1, mode="bicubic")
    ty = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=1.1, mode="bicubic")
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-12, atol=1e-12)
    assert not np.allclose(y.numpy(), x)  # resampled, not copied
    assert mg.gradcheck(lambda t: F.interpolate(t, scale_factor=1.1, mode="bicubic"),
                        [mg.tensor(x[:1, :1], device=device, requires_grad=True)])


def test_upsample_takes_the_new_modes_with_torchs_repr(device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4, 5))
    for kwargs in [{"scale_factor": 2, "mode": "bicubic"}, {"size": (6, 3), "mode": "bicubic", "align_corners": True},
                   {"size": (2, 7), "mode": "area"}]:
        layer, tlayer = nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs)
        assert repr(layer) == repr(tlayer)
        np.testing.assert_allclose(layer(mg.tensor(x, device=device)).numpy(), tlayer(torch.tensor(x)).numpy(),
                                   rtol=1e-12, atol=1e-12)
    y = F.interpolate(mg.tensor(np.arange(12).reshape(1, 1, 3, 4), device=device), size=(5, 2), mode="bicubic")
    assert y.dtype == np.float32  # integers are interpolated in float32, as bilinear does (torch refuses them)


def test_numpy_scalar_factors_and_sizes_as_torchs(device):
    """np.float32 is no Python float (np.float64 is): a scale_factor of NumPy scalars is taken, as torch takes it."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 4, 5))
    _compare(torch, x, device, rng, scale_factor=(np.float32(1.7), np.int64(2)), mode="bicubic")
    _compare(torch, x, device, rng, scale_factor=np.float32(0.6), mode="area")
    _compare(torch, x, device, rng, size=(np.int64(3), 7), mode="bicubic", align_corners=True)


def test_an_empty_batch_as_torchs(device):
    torch = pytest.importorskip("torch")
    for mode, out in [("bicubic", (7, 3)), ("bilinear", (2, 9)), ("area", (3, 2))]:
        y = F.interpolate(mg.zeros(0, 3, 4, 5, device=device), size=out, mode=mode)
        assert y.shape == tuple(torch.nn.functional.interpolate(torch.zeros(0, 3, 4, 5), size=out, mode=mode).shape)


def test_area_makes_an_empty_output_and_only_area_takes_zero_channels_as_torch(device):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    for shape, kwargs in [((1, 2, 4, 4), {"size": (0, 2)}), ((1, 2, 4, 4), {"scale_factor": 0.2}),
                          ((2, 3, 4), {"size": 0}), ((1, 0, 4, 4), {"size": (2, 3)}), ((1, 0, 4), {"size": 3})]:
        x = mg.zeros(*shape, device=device, requires_grad=True)
        y = F.interpolate(x, mode="area", **kwargs)
        assert y.shape == tuple(tf.interpolate(torch.zeros(shape), mode="area", **kwargs).shape)
        y.sum().backward()
        assert x.grad.shape == shape and not x.grad.numpy().any()
    for mode, shape in [("nearest", (1, 0, 4, 4)), ("nearest", (1, 0, 4)), ("bilinear", (1, 0, 4, 4)),
                        ("bicubic", (1, 0, 4, 4)), ("linear", (1, 0, 4))]:
        with pytest.raises(RuntimeError, match="Non-empty"):
            tf.interpolate(torch.zeros(shape), size=(8,) * (len(shape) - 2), mode=mode)
        with pytest.raises(ValueError, match=f"interpolate: mode='{mode}' expects at least one channel"):
            F.interpolate(mg.zeros(*shape, device=device), size=(8,) * (len(shape) - 2), mode=mode)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: F.interpolate(x[0], size=5, mode="bicubic"), ValueError,
     r"interpolate: mode='bicubic' expects \(N, C, H, W\), got shape \(2, 4, 5\)"),  # torch: NotImplementedError
    (lambda x: F.interpolate(x, size=5, mode="area", align_corners=False), ValueError,
     r"interpolate: align_corners does not apply to mode='area', only to 'linear', 'bilinear' and 'bicubic'"),
    (lambda x: F.interpolate(x, size=5, mode="bicubic", antialias=True), NotImplementedError,
     r"interpolate: antialias and recompute_scale_factor are not supported"),
    (lambda x: F.interpolate(x, scale_factor=0.1, mode="bilinear"), ValueError,  # ('area': an empty output, below)
     r"interpolate: scale_factor 0.1 makes the output size \(0, 0\), but mode='bilinear' needs lengths >= 1"),
    (lambda x: F.interpolate(x, size=(0, 2), mode="nearest"), ValueError,
     r"interpolate: size must give 2 positive int lengths, one per spatial axis of the input shape \(1, 2, 4, 5\)"),
    (lambda x: F.interpolate(x[:, :0], size=3, mode="bicubic"), ValueError,  # was an empty result (torch: an error)
     r"interpolate: mode='bicubic' expects at least one channel, got shape \(1, 0, 4, 5\)"),
    (lambda x: F.interpolate(x, size=5, mode="trilinear"), NotImplementedError,
     r"interpolate: mode='trilinear' is not supported \('nearest', 'linear', 'bilinear', 'bicubic', 'area'\)"),
    (lambda x: nn.Upsample(size=5, mode="bicubc"), NotImplementedError, r"Upsample: mode='bicubc' is not supported"),
    (lambda x: F.interpolate(x, scale_factor="2", mode="bicubic"), TypeError,  # was a bare TypeError from '>'
     r"interpolate: scale_factor must be a number or one per spatial axis, got '2'"),
    (lambda x: F.interpolate(x, scale_factor=float("inf"), mode="bilinear"), ValueError,  # was a bare OverflowError
     r"interpolate: scale_factor must be positive and finite, one per axis, got inf"),
    (lambda x: F.interpolate(x, scale_factor=float("inf"), mode="nearest"), ValueError,  # (its own path: the same)
     r"interpolate: scale_factor must be positive and finite, one per axis, got inf"),
    (lambda x: F.interpolate(x, scale_factor=float("nan"), mode="nearest"), ValueError,
     r"interpolate: scale_factor must be positive and finite, one per axis, got nan"),
    (lambda x: F.interpolate(x[:, :, :0], size=3, mode="bicubic"), ValueError,  # was zeros (torch: an error)
     r"interpolate: the input's spatial lengths must be >= 1 \(there is nothing to interpolate from\), got shape "
     r"\(1, 2, 0, 5\)"),
    (lambda x: F.interpolate(x[:, :, 0, :0], scale_factor=2, mode="linear"), ValueError,
     r"interpolate: the input's spatial lengths must be >= 1"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call(mg.randn(1, 2, 4, 5))
