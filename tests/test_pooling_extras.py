"""Pooling and patch layers beyond the basics, against torch: MaxPool2d's dilation, ceil_mode and return_indices,
MaxUnpool2d, AvgPool2d's ceil_mode, AdaptiveAvgPool2d / AdaptiveMaxPool2d, Unfold / Fold, PixelUnshuffle.

Values and gradients are compared with torch in float64 (and float32 stays float32); gradcheck and
gradgradcheck of the new ops run in tests/test_ops.py's CASES, and here for max_unpool2d.
"""

import copy

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn import functional as F


def _distinct(rng, *shape):
    """Well-separated values in random order: no ties for a window's max."""
    return rng.permutation(np.linspace(-2.0, 2.0, int(np.prod(shape)))).reshape(shape)


def _compare(torch, ours, theirs, x, device, rng, indices=False, tol=1e-12, check32=True):
    """ours(x) and theirs(x) in float64: values, indices (when returned) and the input gradient of one random
    upstream gradient; then ours in float32 stays float32 (a layer: a float32 copy of it)."""
    mx = mg.tensor(x, device=device, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    y, ty = ours(mx), theirs(tx)
    if indices:
        (y, i), (ty, ti) = y, ty
        assert i.dtype == np.int64
        np.testing.assert_array_equal(i.numpy(), ti.numpy())
    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    g = rng.standard_normal(y.shape)
    (y * mg.tensor(g, device=device)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)
    if not check32:
        return
    x32 = mg.tensor(x.astype(np.float32), device=device, requires_grad=True)
    y32 = (copy.deepcopy(ours).float() if isinstance(ours, nn.Module) else ours)(x32)
    y32 = y32[0] if indices else y32
    y32.sum().backward()
    assert y32.dtype == np.float32 and x32.grad.dtype == np.float32


@pytest.mark.parametrize("kernel, stride, padding, dilation, ceil_mode", [
    (3, 2, 1, 1, True), (2, 3, 0, 1, True), (3, 2, 1, 2, False), (2, 2, 1, 3, True),
    ((3, 2), (2, 3), (1, 0), (2, 1), True), (3, None, 0, 1, True), ((2, 3), (1, 2), (0, 1), (1, 2), False),
])
def test_max_pool2d_dilation_ceil_mode_and_indices_as_torchs(kernel, stride, padding, dilation, ceil_mode, device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = _distinct(rng, 2, 3, 7, 9)
    _compare(torch, lambda t: F.max_pool2d(t, kernel, stride, padding, dilation, ceil_mode, return_indices=True),
             lambda t: torch.nn.functional.max_pool2d(t, kernel, stride, padding, dilation, ceil_mode, True),
             x, device, rng, indices=True)
    layer = nn.MaxPool2d(kernel, stride, padding, dilation, return_indices=True, ceil_mode=ceil_mode)
    tlayer = torch.nn.MaxPool2d(kernel, stride, padding, dilation, return_indices=True, ceil_mode=ceil_mode)
    assert repr(layer) == repr(tlayer)
    _compare(torch, lambda t: layer(t[0]), lambda t: tlayer(t[0]), x, device, rng, indices=True)  # one image (C, H, W)


def test_max_pool_windows_of_minus_inf_send_the_gradient_to_their_first_pixel_inside_as_torchs(device):
    """A window whose pixels are all -inf sent its gradient to its first tap, in the padding, where it was lost."""
    torch = pytest.importorskip("torch")
    x = np.full((1, 1, 3, 3), -np.inf)
    x[0, 0, 2, 2] = 1.0
    _compare(torch, lambda t: F.max_pool2d(t, 2, 2, 1, return_indices=True),
             lambda t: torch.nn.functional.max_pool2d(t, 2, 2, 1, return_indices=True), x, device,
             np.random.default_rng(0), indices=True)
    m = mg.tensor(x, device=device, requires_grad=True)
    F.max_pool2d(m, 2, 2, 1).sum().backward()
    expected = np.zeros((3, 3))  # by hand: each window's first pixel inside the image, or its max
    expected[0, 0] = expected[0, 1] = expected[1, 0] = expected[2, 2] = 1.0
    np.testing.assert_array_equal(m.grad.numpy()[0, 0], expected)


def test_max_pools_take_a_windows_last_nan_as_torchs(device):
    """torch's loop keeps a value where it is larger or NaN: the last NaN of a window wins (minigan took the first)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = _distinct(rng, 2, 3, 7, 9)
    x.reshape(-1)[rng.choice(x.size, 60, replace=False)] = np.nan  # windows with one, two or more NaNs
    x[0, 0, :2, :2] = [[np.nan, np.inf], [np.nan, 1.0]]  # NaN beats +inf
    for make in [lambda m: m.MaxPool2d(2, return_indices=True),
                 lambda m: m.MaxPool2d(3, 2, 1, dilation=(1, 2), return_indices=True, ceil_mode=True),
                 lambda m: m.AdaptiveMaxPool2d((3, 4), return_indices=True),
                 lambda m: m.AdaptiveMaxPool2d((4, 5), return_indices=True),  # uneven windows: some repeat a pixel
                 lambda m: m.AdaptiveMaxPool2d(1, return_indices=True)]:
        _compare(torch, make(nn), make(torch.nn), x, device, rng, indices=True)
    y, i = F.max_pool2d(mg.tensor(x[:1, :1, :2, :2], device=device), 2, return_indices=True)  # by hand
    assert np.isnan(y.item()) and i.item() == 2


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("kernel, stride, padding, divisor_override", [
    (3, 2, 1, None), (2, 3, 0, None), ((3, 2), (2, 3), (1, 1), None), (3, 2, 1, 5), (4, 3, 2, None),
])
def test_avg_pool2d_ceil_mode_divides_each_edge_window_as_torch(kernel, stride, padding, divisor_override,
                                                                 count_include_pad, device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 8))
    args = (kernel, stride, padding, True, count_include_pad, divisor_override)
    _compare(torch, lambda t: nn.AvgPool2d(*args)(t), lambda t: torch.nn.AvgPool2d(*args)(t), x, device, rng)
    # by hand, one axis of 5 pixels, kernel 2, stride 2: a ceil_mode window [4, 6) counts 1 pixel, its own
    y = F.avg_pool2d(mg.tensor([[[[1.0, 2.0, 3.0, 4.0, 10.0]]]], device=device), (1, 2), ceil_mode=True)
    np.testing.assert_array_equal(y.numpy(), [[[[1.5, 3.5, 10.0]]]])


@pytest.mark.parametrize("output_size", [1, (1, 1), 3, (2, 4), (None, 5), (7, 9), (4, 3), (5, 2), (9, 11),
                                         (None, None)])
def test_adaptive_pools_as_torchs(output_size, device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = _distinct(rng, 2, 3, 7, 9)
    _compare(torch, lambda t: nn.AdaptiveAvgPool2d(output_size)(t),
             lambda t: torch.nn.AdaptiveAvgPool2d(output_size)(t), x, device, rng)
    _compare(torch, lambda t: nn.AdaptiveMaxPool2d(output_size, return_indices=True)(t),
             lambda t: torch.nn.AdaptiveMaxPool2d(output_size, return_indices=True)(t), x, device, rng, indices=True)
    _compare(torch, lambda t: F.adaptive_max_pool2d(t[1], output_size, True),  # one image (C, H, W)
             lambda t: torch.nn.functional.adaptive_max_pool2d(t[1], output_size, True), x, device, rng, indices=True)
    _compare(torch, lambda t: F.adaptive_avg_pool2d(t[1], output_size),
             lambda t: torch.nn.functional.adaptive_avg_pool2d(t[1], output_size), x, device, rng)


def test_adaptive_windows_and_ties_by_hand(device):
    # 5 pixels into 3 windows: [0, 2), [1, 4), [3, 5) (floor(i 5/3), ceil((i+1) 5/3)); the first max of a tie wins
    x = mg.tensor([[[[1.0, 4.0, 4.0, 0.0, 2.0]]]], device=device, requires_grad=True)
    y, i = F.adaptive_max_pool2d(x, (1, 3), return_indices=True)
    assert y.numpy().tolist() == [[[[4.0, 4.0, 2.0]]]] and i.numpy().tolist() == [[[[1, 1, 4]]]]
    y.sum().backward()
    assert x.grad.numpy().tolist() == [[[[0.0, 2.0, 0.0, 0.0, 1.0]]]]  # windows 0 and 1 both took pixel 1
    avg = F.adaptive_avg_pool2d(x, (1, 3))
    np.testing.assert_allclose(avg.numpy(), [[[[2.5, 8.0 / 3.0, 1.0]]]], rtol=1e-6)


def test_global_pooling_is_a_plain_mean_and_max_over_the_pixels(device):
    x = mg.randn(4, 8, 6, 5, device=device, requires_grad=True)
    avg = F.adaptive_avg_pool2d(x, 1)
    # (atol: a GPU sums in another order, and some means of 30 normal draws are near 0)
    np.testing.assert_allclose(avg.numpy(), x.numpy().mean(axis=(2, 3), keepdims=True), rtol=1e-6, atol=1e-7)
    mx, i = F.adaptive_max_pool2d(x, (1, 1), return_indices=True)
    flat = x.numpy().reshape(4, 8, 30)
    np.testing.assert_array_equal(mx.numpy()[..., 0, 0], flat.max(axis=2))
    np.testing.assert_array_equal(i.numpy()[..., 0, 0], flat.argmax(axis=2))
    seen, stack = set(), [avg._ctx]  # no matrix product of averaging matrices: one mean over H and W
    while stack:
        fn = stack.pop()
        seen.add(type(fn).__name__)
        stack.extend(t._ctx for t in fn.inputs if t._ctx is not None)
    assert "MatMul" not in seen


@pytest.mark.parametrize("kernel, dilation, padding, stride", [
    (2, 1, 0, 1), (3, 2, 1, 2), ((2, 3), (1, 2), (0, 1), (3, 1)), (1, 1, 0, 2), ((3, 1), 1, (1, 0), (2, 1)),
])
def test_unfold_and_fold_as_torchs(kernel, dilation, padding, stride, device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 7, 9))
    layer, tlayer = nn.Unfold(kernel, dilation, padding, stride), torch.nn.Unfold(kernel, dilation, padding, stride)
    assert repr(layer) == repr(tlayer)
    _compare(torch, layer, tlayer, x, device, rng)
    _compare(torch, lambda t: layer(t[0]), lambda t: tlayer(t[0]), x, device, rng)  # one image: (C*kh*kw, L)
    cols = tlayer(torch.tensor(x)).numpy()
    fold, tfold = nn.Fold((7, 9), kernel, dilation, padding, stride), torch.nn.Fold((7, 9), kernel, dilation, padding,
                                                                                    stride)
    assert repr(fold) == repr(tfold)
    _compare(torch, fold, tfold, cols, device, rng)
    _compare(torch, lambda t: fold(t[1]), lambda t: tfold(t[1]), cols, device, rng)


def test_unfold_is_the_patches_of_a_convolution_and_fold_its_adjoint(device):
    rng = np.random.default_rng(4)
    x = mg.tensor(rng.standard_normal((2, 3, 6, 7)), device=device)
    w = mg.tensor(rng.standard_normal((4, 3, 3, 2)), device=device)
    cols = F.unfold(x, (3, 2), dilation=(1, 2), padding=1, stride=(2, 1))  # (2, 3*3*2, L)
    conv = F.conv2d(x, w, stride=(2, 1), padding=1, dilation=(1, 2))
    np.testing.assert_allclose((w.reshape(4, -1) @ cols).numpy(), conv.numpy().reshape(2, 4, -1), rtol=1e-10)
    # <unfold(x), c> = <x, fold(c)>: each other's adjoint
    c = mg.tensor(rng.standard_normal(cols.shape), device=device)
    folded = F.fold(c, (6, 7), (3, 2), dilation=(1, 2), padding=1, stride=(2, 1))
    np.testing.assert_allclose((cols * c).sum().item(), (x * folded).sum().item(), rtol=1e-10)


def test_unfold_of_a_convolutions_output_as_torchs(device):
    """A convolution's output is an (N, C, H, W) view of (C, H, W, N) memory on the CPU (minigan.conv)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((3, 2, 6, 5)), rng.standard_normal((4, 2, 3, 3))
    y = F.conv2d(mg.tensor(x, device=device), mg.tensor(w, device=device))
    ty = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w))
    np.testing.assert_allclose(F.unfold(y, 2, stride=2).numpy(), torch.nn.functional.unfold(ty, 2, stride=2).numpy(),
                               rtol=1e-10)
    np.testing.assert_allclose(F.max_pool2d(y, 2, dilation=2, ceil_mode=True).numpy(),
                               torch.nn.functional.max_pool2d(ty, 2, dilation=2, ceil_mode=True).numpy(), rtol=1e-10)


def test_pixel_unshuffle_inverts_pixel_shuffle_as_torchs(device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 4, 6))
    layer = nn.PixelUnshuffle(2)
    assert repr(layer) == repr(torch.nn.PixelUnshuffle(2))
    _compare(torch, layer, torch.nn.PixelUnshuffle(2), x, device, rng)
    _compare(torch, lambda t: F.pixel_unshuffle(t, 3), lambda t: torch.nn.functional.pixel_unshuffle(t, 3),
             rng.standard_normal((2, 2, 1, 6, 9)), device, rng)  # any leading axes, as torch's
    m = mg.tensor(x, device=device)
    np.testing.assert_array_equal(F.pixel_shuffle(F.pixel_unshuffle(m, 2), 2).numpy(), x)


def test_max_unpool2d_as_torchs(device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    unpool, tunpool = nn.MaxUnpool2d(3, 2, 1), torch.nn.MaxUnpool2d(3, 2, 1)
    assert repr(unpool) == repr(tunpool) == "MaxUnpool2d(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    # both pool to (4, 5); the default size is (4 - 1) 2 - 2 + 3 = 7 by (5 - 1) 2 - 2 + 3 = 9
    for shape, size in (((2, 3, 7, 9), None), ((2, 3, 7, 9), (7, 9)), ((2, 3, 8, 10), (2, 3, 8, 10))):
        x = _distinct(rng, *shape)
        _, i = F.max_pool2d(mg.tensor(x, device=device), 3, 2, 1, return_indices=True)
        y, ti = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
        _compare(torch, lambda t: unpool(t, i, size), lambda t: tunpool(t, ti, size), y.numpy(), device, rng)
    _compare(torch, lambda t: F.max_unpool2d(t[0], i[0], 3, 2, 1, (8, 10)), lambda t: torch.nn.functional.max_unpool2d(
        t[0], ti[0], 3, 2, 1, (8, 10)), y.numpy(), device, rng)  # one image (C, H, W)
    y, i = F.max_pool2d(mg.tensor(x, device=device), 2, return_indices=True)  # windows apart: no index twice
    assert mg.gradgradcheck(lambda t: F.max_unpool2d(t, i, 2) ** 2, [y.detach().requires_grad_()])


def test_max_unpool2d_takes_output_sizes_strictly_within_a_stride_of_the_default_as_torch():
    torch = pytest.importorskip("torch")
    x, i = mg.randn(1, 2, 5, 6), mg.zeros(1, 2, 5, 6, dtype=mg.int64)
    tx, ti = torch.randn(1, 2, 5, 6), torch.zeros(1, 2, 5, 6, dtype=torch.int64)
    # the default is (5 - 1) 2 + 2 = 10 by (6 - 1) 2 + 2 = 12, stride 2: 9..11 by 11..13 are taken
    for size in ((9, 11), (11, 13)):
        assert F.max_unpool2d(x, i, 2, output_size=size).shape == tuple(torch.nn.functional.max_unpool2d(
            tx, ti, 2, output_size=size).shape) == (1, 2, *size)
    for size, message in (((8, 11), r"dim 0 must be between 8 and 12"), ((9, 14), r"dim 1 must be between 10 and 14")):
        with pytest.raises(ValueError, match=message):
            torch.nn.functional.max_unpool2d(tx, ti, 2, output_size=size)
        with pytest.raises(ValueError, match=r"max_unpool2d: invalid output_size .*\(" + message):
            F.max_unpool2d(x, i, 2, output_size=size)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: F.max_pool2d(x, 3, padding=2), ValueError, r"max_pool2d: .*padding at most half the kernel"),
    (lambda x: F.max_pool2d(x, 2, dilation=0), ValueError, r"max_pool2d: .*dilation must be >= 1"),
    (lambda x: F.max_pool2d(x, 3, dilation=4), ValueError, r"max_pool2d: input shape \(1, 2, 5, 6\) is smaller than "
                                                           r"the kernel \(3, 3\) \(dilation \(4, 4\)\)"),
    (lambda x: F.adaptive_avg_pool2d(x, (2, 0)), ValueError, r"adaptive_avg_pool2d: output_size must be an int >= 1"),
    (lambda x: F.adaptive_max_pool2d(x, (1, 2, 3)), ValueError, r"adaptive_max_pool2d: output_size must be"),
    (lambda x: F.adaptive_avg_pool2d(x[0, 0], 2), ValueError, r"adaptive_avg_pool2d: expected a 3-D \(C, H, W\)"),
    (lambda x: F.unfold(x, 7), ValueError, r"unfold: input shape \(1, 2, 5, 6\) with padding \(0, 0\) is smaller than "
                                           r"the kernel \(7, 7\)"),
    (lambda x: F.unfold(x, 2, padding=-1), ValueError, r"unfold: .*padding >= 0"),
    (lambda x: F.unfold(x[0, 0], 2), ValueError, r"unfold: expected a 3-D \(C, H, W\) or 4-D input"),
    (lambda x: F.unfold(x, 2.5), TypeError, r"unfold: kernel_size must be an int"),
    (lambda x: F.fold(x.reshape(1, 6, 10), (3, 4), 2), ValueError, r"fold: the input's axis 1 \(C\*kh\*kw\) must be "
                                                                   r"a multiple of kernel_size \(2, 2\)'s 4 taps"),
    (lambda x: F.fold(x.reshape(1, 4, 15), (3, 4), 2), ValueError, r"fold: output_size=\(3, 4\), .* make 2 x 3 "
                                                                   r"windows, but the input has 15 columns"),
    (lambda x: F.fold(x, (3, 4), 2), ValueError, r"fold: expected a 2-D \(C\*kh\*kw, L\) or 3-D input"),
    (lambda x: F.pixel_unshuffle(x, 4), ValueError, r"pixel_unshuffle: expected \(\*, C, H \* 4, W \* 4\)"),
    (lambda x: F.pixel_unshuffle(x, 0), ValueError, r"pixel_unshuffle"),
    (lambda x: F.max_unpool2d(x, x, 2), ValueError, r"max_unpool2d: indices must be int64 of the input's shape"),
    (lambda x: F.max_unpool2d(x, mg.zeros(1, 2, 5, 6, dtype=mg.int64), 2, output_size=(5, 6)), ValueError,
     r"max_unpool2d: invalid output_size \(5, 6\) \(dim 0 must be between 8 and 12"),
    (lambda x: F.max_unpool2d(x, mg.full((1, 2, 5, 6), 200), 2), IndexError,
     r"max_unpool2d: found index 200 outside the output's 10 x 12 = 120 pixels per plane"),
    (lambda x: F.max_unpool2d(x, mg.full((1, 2, 5, 6), 120), 2), IndexError,  # one past the last pixel, 119
     r"max_unpool2d: found index 120 outside the output's 10 x 12 = 120 pixels per plane"),
    (lambda x: F.adaptive_max_pool2d(x[:, :, :0], 2), ValueError, r"adaptive_max_pool2d: the input's height and width "
                                                                  r"must be >= 1, got shape \(1, 2, 0, 6\)"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call(mg.randn(1, 2, 5, 6))


def test_layers_and_functions_have_torchs_reprs():
    torch = pytest.importorskip("torch")
    for make in (lambda m: m.AdaptiveAvgPool2d(1), lambda m: m.AdaptiveAvgPool2d((None, 3)),
                 lambda m: m.AdaptiveMaxPool2d((2, 3), True), lambda m: m.MaxUnpool2d((2, 3), 1),
                 lambda m: m.MaxUnpool2d(2),  # stride: kernel_size's
                 lambda m: m.MaxPool2d(2, return_indices=True, dilation=2, ceil_mode=True),
                 lambda m: m.AvgPool2d(3, ceil_mode=True), lambda m: m.Fold(4, (2, 3), 2, 1, 2)):
        assert repr(make(nn)) == repr(make(torch.nn))


def test_an_empty_batch_gives_an_empty_result_of_torchs_shape(device):
    """The reshapes once inferred a size (-1), which NumPy cannot do for an array of no values."""
    torch = pytest.importorskip("torch")
    x, tx = mg.zeros(0, 2, 4, 6, device=device, requires_grad=True), torch.zeros(0, 2, 4, 6)
    i, ti = mg.zeros(0, 2, 2, 3, dtype=mg.int64, device=device), torch.zeros(0, 2, 2, 3, dtype=torch.int64)
    for ours, theirs in [(lambda t: F.unfold(t, 2, dilation=2, padding=1), lambda t: torch.nn.functional.unfold(
                              t, 2, dilation=2, padding=1)),
                         (lambda t: F.fold(t.reshape(0, 4, 12), (4, 5), 2), lambda t: torch.nn.functional.fold(
                              t.reshape(0, 4, 12), (4, 5), 2)),
                         (lambda t: F.max_unpool2d(t[:, :, :2, :3], i, 2), lambda t: torch.nn.functional.max_unpool2d(
                              t[:, :, :2, :3], ti, 2)),
                         (lambda t: F.adaptive_max_pool2d(t, (3, 4)), lambda t: torch.nn.functional.adaptive_max_pool2d(
                              t, (3, 4))),
                         (lambda t: F.max_pool2d(t, 3, 2, 1, dilation=2, ceil_mode=True),
                          lambda t: torch.nn.functional.max_pool2d(t, 3, 2, 1, dilation=2, ceil_mode=True))]:
        y = ours(x)
        assert y.shape == tuple(theirs(tx).shape)
        y.sum().backward()
        assert x.grad.shape == x.shape


@pytest.mark.parametrize("call", [
    lambda F, x: F.max_pool2d(x, 3, 2, 1), lambda F, x: F.max_pool2d(x, 3, 1, 1, 2), lambda F, x: F.max_pool2d(x, 2),
    lambda F, x: x.max(), lambda F, x: x.max(dim=2)[0], lambda F, x: x.min(dim=3, keepdim=True)[0]])
def test_a_nan_in_the_upstream_gradient_reaches_only_the_max_as_torchs(call, device):
    # the gradient is routed to each window's (or row's) max by picking, not by multiplying with a 0/1 mask:
    # 0 * NaN is NaN, which spread one NaN over the whole window (or the whole tensor, for x.max())
    torch = pytest.importorskip("torch")
    x = _distinct(np.random.default_rng(3), 2, 2, 7, 7)
    mx, tx = mg.tensor(x, device=device, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = call(F, mx), call(torch.nn.functional, tx)
    g = np.ones(tuple(ty.shape))
    g.flat[g.size // 3] = np.nan
    y.backward(mg.tensor(g, device=device))
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(mx.grad.numpy(), tx.grad.numpy())
    assert np.isnan(mx.grad.numpy()).sum() == 1
