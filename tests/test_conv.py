"""Conv2d and ConvTranspose2d: forward against slow loop references, gradients against finite
differences (first and second order), against PyTorch when it is installed, and error messages."""

import itertools
import math

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn import functional as F


# ------------------------------------------------------ slow loop references
def ref_conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0)):
    """Convolution straight from the definition: one dot product per output value."""
    (sh, sw), (ph, pw) = stride, padding
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    y = np.zeros((n, o, oh, ow))
    for i in range(n):
        for k in range(o):
            for r in range(oh):
                for s in range(ow):
                    y[i, k, r, s] = np.sum(xp[i, :, r * sh : r * sh + kh, s * sw : s * sw + kw] * w[k])
            if b is not None:
                y[i, k] += b[k]
    return y


def ref_conv_transpose2d(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0)):
    """Transposed convolution from the definition: every input pixel stamps the kernel, scaled, onto the output."""
    (sh, sw), (ph, pw), (oph, opw) = stride, padding, output_padding
    n, cin, h, wd = x.shape
    _, cout, kh, kw = w.shape
    out_h, out_w = (h - 1) * sh - 2 * ph + kh + oph, (wd - 1) * sw - 2 * pw + kw + opw
    full = np.zeros((n, cout, out_h + 2 * ph, out_w + 2 * pw))
    for i in range(n):
        for c in range(cin):
            for r in range(h):
                for s in range(wd):
                    full[i, :, r * sh : r * sh + kh, s * sw : s * sw + kw] += x[i, c, r, s] * w[c]
    y = full[:, :, ph : ph + out_h, pw : pw + out_w]
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


# A representative grid: kernels 1-5, strides 1-3, paddings 0-2, non-square kernels and
# strides, 1-4 channels, batch 2-3, with and without bias.
# (batch, in_channels, out_channels, height, width, kernel, stride, padding, bias)
GRID = [
    (2, 1, 2, 5, 5, 1, 1, 0, True),
    (2, 2, 3, 6, 5, 2, 1, 1, False),
    (2, 3, 2, 7, 7, 3, 2, 1, True),
    (3, 2, 4, 8, 6, 4, 2, 2, True),
    (2, 2, 1, 9, 8, 5, 3, 2, False),
    (2, 3, 2, 7, 8, (2, 3), (1, 2), (1, 0), True),
    (2, 1, 3, 6, 7, (3, 1), (3, 1), (0, 2), True),
    (2, 2, 2, 5, 5, 3, 3, 0, True),
]
GRID_IDS = [f"k{c[5]}-s{c[6]}-p{c[7]}-c{c[1]}to{c[2]}-{'bias' if c[8] else 'nobias'}" for c in GRID]


def _conv_case(rng, device, case):
    n, cin, cout, h, w, k, s, p, bias = case
    kh, kw = _pair(k)
    x = mg.tensor(rng.standard_normal((n, cin, h, w)), dtype="float64", device=device, requires_grad=True)
    wt = mg.tensor(rng.standard_normal((cout, cin, kh, kw)), dtype="float64", device=device, requires_grad=True)
    b = mg.tensor(rng.standard_normal(cout), dtype="float64", device=device, requires_grad=True) if bias else None
    return x, wt, b, _pair(s), _pair(p)


def _transpose_case(rng, device, case):
    n, cin, cout, h, w, k, s, p, bias = case
    kh, kw = _pair(k)
    x = mg.tensor(rng.standard_normal((n, cin, h // 2 + 2, w // 2 + 2)), dtype="float64", device=device,
                  requires_grad=True)
    wt = mg.tensor(rng.standard_normal((cin, cout, kh, kw)), dtype="float64", device=device, requires_grad=True)
    b = mg.tensor(rng.standard_normal(cout), dtype="float64", device=device, requires_grad=True) if bias else None
    s, p = _pair(s), _pair(p)
    op = tuple(min(1, si - 1) for si in s)  # output_padding 1 wherever the stride allows it
    return x, wt, b, s, p, op


def _numpy(t):
    return None if t is None else t.numpy()


# ------------------------------------------------------------------ conv2d
@pytest.mark.parametrize("case", GRID, ids=GRID_IDS)
def test_conv2d_forward_matches_loop_reference(device, rng, case):
    x, w, b, s, p = _conv_case(rng, device, case)
    y = F.conv2d(x, w, b, s, p)
    expected = ref_conv2d(x.numpy(), w.numpy(), _numpy(b), s, p)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", GRID, ids=GRID_IDS)
def test_conv2d_gradcheck(device, rng, case):
    x, w, b, s, p = _conv_case(rng, device, case)
    inputs = (x, w) if b is None else (x, w, b)
    assert mg.gradcheck(lambda x, w, *b: F.conv2d(x, w, b[0] if b else None, s, p), inputs)


# -------------------------------------------------------- conv_transpose2d
@pytest.mark.parametrize("case", GRID, ids=GRID_IDS)
def test_conv_transpose2d_forward_matches_loop_reference(device, rng, case):
    x, w, b, s, p, op = _transpose_case(rng, device, case)
    for output_padding in {(0, 0), op}:
        y = F.conv_transpose2d(x, w, b, s, p, output_padding)
        expected = ref_conv_transpose2d(x.numpy(), w.numpy(), _numpy(b), s, p, output_padding)
        assert y.shape == expected.shape
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", GRID, ids=GRID_IDS)
def test_conv_transpose2d_gradcheck(device, rng, case):
    x, w, b, s, p, op = _transpose_case(rng, device, case)
    inputs = (x, w) if b is None else (x, w, b)
    assert mg.gradcheck(lambda x, w, *b: F.conv_transpose2d(x, w, b[0] if b else None, s, p, op), inputs)


def test_output_padding_picks_the_input_size_of_a_strided_conv(device, rng):
    # conv2d maps both 7x7 and 8x8 to 4x4 with stride 2; output_padding chooses between them
    w = mg.tensor(rng.standard_normal((3, 2, 3, 3)), dtype="float64", device=device)
    y = mg.tensor(rng.standard_normal((2, 3, 4, 4)), dtype="float64", device=device)
    assert F.conv_transpose2d(y, w, stride=2, padding=1).shape == (2, 2, 7, 7)
    assert F.conv_transpose2d(y, w, stride=2, padding=1, output_padding=1).shape == (2, 2, 8, 8)
    assert F.conv2d(mg.zeros(2, 2, 8, 8, dtype="float64", device=device), mg.zeros(3, 2, 3, 3, dtype="float64", device=device),
                    stride=2, padding=1).shape == (2, 3, 4, 4)


def test_transposed_conv_is_the_adjoint_of_conv(device, rng):
    # <conv2d(x, W), y> == <x, conv_transpose2d(y, W)> for every x, y: the definition of "transposed"
    w = mg.tensor(rng.standard_normal((4, 3, 3, 2)), dtype="float64", device=device)
    x = mg.tensor(rng.standard_normal((2, 3, 8, 7)), dtype="float64", device=device)
    y = mg.tensor(rng.standard_normal((2, 4, 4, 4)), dtype="float64", device=device)
    lhs = float((F.conv2d(x, w, stride=2, padding=1).numpy() * y.numpy()).sum())
    rhs = float((x.numpy() * F.conv_transpose2d(y, w, stride=2, padding=1, output_padding=(1, 1)).numpy()).sum())
    assert lhs == pytest.approx(rhs, rel=1e-12)


# ------------------------------------------------------- double backward
def test_conv2d_gradgradcheck(device, rng):
    x, w, b, s, p = _conv_case(rng, device, (2, 2, 3, 5, 5, 3, 2, 1, True))
    assert mg.gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, s, p), (x, w, b))


def test_conv_transpose2d_gradgradcheck(device, rng):
    x = mg.tensor(rng.standard_normal((2, 2, 3, 3)), dtype="float64", device=device, requires_grad=True)
    w = mg.tensor(rng.standard_normal((2, 3, 3, 3)), dtype="float64", device=device, requires_grad=True)
    b = mg.tensor(rng.standard_normal(3), dtype="float64", device=device, requires_grad=True)
    assert mg.gradgradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1), (x, w, b))


def test_r1_penalty_through_convolutions_matches_torch(device):
    # R1 = |dD(x)/dx|^2 differentiated w.r.t. D's weights: double backward through Conv2d
    torch = pytest.importorskip("torch")
    mg.manual_seed(3)
    d = nn.Sequential(nn.Conv2d(1, 4, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(4, 2, 3, 2, 1)).to(device, dtype="float64")
    x = mg.randn(3, 1, 8, 8, dtype="float64", device=device, requires_grad=True)
    (gx,) = mg.grad(d(x).sum(), x, create_graph=True)
    (gx * gx).sum().backward()

    td = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 4, 2, 1), torch.nn.LeakyReLU(0.2), torch.nn.Conv2d(4, 2, 3, 2, 1)).double()
    with torch.no_grad():
        for tp, p in zip(td.parameters(), d.parameters()):
            tp.copy_(torch.from_numpy(p.numpy()))
    tx = torch.from_numpy(x.numpy()).requires_grad_(True)
    (tgx,) = torch.autograd.grad(td(tx).sum(), tx, create_graph=True)
    (tgx * tgx).sum().backward()
    np.testing.assert_allclose(gx.numpy(), tgx.detach().numpy(), rtol=1e-10, atol=1e-12)
    for p, tp in zip(d.parameters(), td.parameters()):
        # biases do not change dD/dx (D is piecewise linear): None or zeros, on either side
        ours = p.grad.numpy() if p.grad is not None else np.zeros(p.shape)
        theirs = tp.grad.numpy() if tp.grad is not None else np.zeros(p.shape)
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    assert d[0].weight.grad is not None and d[2].weight.grad is not None


# ------------------------------------------------------------ vs PyTorch
@pytest.mark.parametrize("case", GRID[2:6], ids=GRID_IDS[2:6])
def test_forward_and_gradients_match_torch(device, rng, case):
    torch = pytest.importorskip("torch")
    for transposed in (False, True):
        if transposed:
            x, w, b, s, p, op = _transpose_case(rng, device, case)
            y = F.conv_transpose2d(x, w, b, s, p, op)
        else:
            x, w, b, s, p = _conv_case(rng, device, case)
            y = F.conv2d(x, w, b, s, p)
        tx, tw = (torch.from_numpy(t.numpy()).requires_grad_(True) for t in (x, w))
        tb = torch.from_numpy(b.numpy()).requires_grad_(True) if b is not None else None
        if transposed:
            ty = torch.nn.functional.conv_transpose2d(tx, tw, tb, s, p, op)
        else:
            ty = torch.nn.functional.conv2d(tx, tw, tb, s, p)
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-10)
        gy = rng.standard_normal(y.shape)
        y.backward(mg.tensor(gy, dtype="float64", device=device))
        ty.backward(torch.from_numpy(gy))
        pairs = [(x, tx), (w, tw)] + ([(b, tb)] if b is not None else [])
        for ours, theirs in pairs:
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_float32_stays_float32(device):
    x = mg.randn(2, 3, 8, 8, device=device, requires_grad=True)
    conv, deconv = nn.Conv2d(3, 4, 3, 2, 1).to(device), nn.ConvTranspose2d(4, 3, 3, 2, 1, 1).to(device)
    y = deconv(conv(x))
    assert y.shape == (2, 3, 8, 8) and y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and conv.weight.grad.dtype == np.float32 and deconv.bias.grad.dtype == np.float32


# ----------------------------------------------------------------- layers
def test_activations_stay_batch_innermost_and_gradients_come_back_in_their_layout(device, rng):
    # on the CPU a convolution hands on a view of (C, H, W, N) memory; batch norm and LeakyReLU keep
    # that layout, the next conv reads it without a copy, and Flatten's backward returns the gradient
    # in the layout of its input (mixing layouts in one elementwise op is ~10x slower); a GPU keeps C order
    from minigan import backend

    def laid_out(a):
        return backend.is_batch_innermost(a) if device == "cpu" else a.flags.c_contiguous

    body = nn.Sequential(nn.Conv2d(2, 4, 3, 2, 1), nn.BatchNorm2d(4), nn.LeakyReLU(0.2),
                         nn.ConvTranspose2d(4, 3, 4, 2, 1)).to(device)
    x = mg.tensor(rng.standard_normal((5, 2, 8, 8)), dtype=mg.float32, device=device, requires_grad=True)
    hidden = body[:3](x)
    assert laid_out(hidden.data) and laid_out(body(x).data)
    h = mg.Tensor(hidden.data, requires_grad=True)  # a leaf in that layout
    flat = nn.Flatten()(h)
    assert flat.shape == (5, 64)
    (flat * mg.tensor(rng.standard_normal((5, 64)), dtype=mg.float32, device=device)).sum().backward()
    assert laid_out(h.grad.data) and h.grad.shape == h.shape
    np.testing.assert_array_equal(backend.to_numpy(nn.Flatten()(h).data), backend.to_numpy(hidden.data).reshape(5, 64))
    z = mg.tensor(rng.standard_normal((5, 64)), dtype=mg.float32, device=device, requires_grad=True)
    grid = nn.Unflatten(1, (4, 4, 4))(z)
    (grid * hidden.detach()).sum().backward()  # a batch-innermost gradient reaches Unflatten
    assert z.grad.data.flags.c_contiguous  # and leaves it in z's layout
    np.testing.assert_allclose(z.grad.numpy(), backend.to_numpy(hidden.data).reshape(5, 64), rtol=0, atol=0)


@pytest.mark.parametrize("out_features", [1, 3])
def test_linear_hands_a_flattened_conv_output_its_gradient_in_that_layout(device, rng, out_features):
    # Flatten of a batch-innermost conv output is an (N, F) view with the batch innermost; the Linear
    # after it computes its input gradient in that layout (so Flatten's backward copies nothing), with
    # the values it gives in C order; first and second derivatives pass gradcheck in that layout
    from minigan import backend

    x = mg.Tensor(backend.asarray(np.ascontiguousarray(rng.standard_normal((6, 4))), device=device).T, requires_grad=True)
    w = mg.tensor(rng.standard_normal((out_features, 6)), dtype=mg.float64, device=device, requires_grad=True)
    b = mg.tensor(rng.standard_normal(out_features), dtype=mg.float64, device=device, requires_grad=True)
    assert backend.is_batch_innermost(x.data) and not x.data.flags.c_contiguous
    gy = mg.tensor(rng.standard_normal((4, out_features)), dtype=mg.float64, device=device)
    F.linear(x, w, b).backward(gy)
    assert backend.is_batch_innermost(x.grad.data)
    x_c = mg.Tensor(backend.asarray(np.ascontiguousarray(x.numpy()), device=device), requires_grad=True)
    F.linear(x_c, w, b).backward(gy)
    assert x_c.grad.data.flags.c_contiguous
    np.testing.assert_allclose(x.grad.numpy(), x_c.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(F.linear, [x, w, b]) and mg.gradgradcheck(F.linear, [x, w, b])


def test_layers_have_torch_layouts_init_and_names():
    conv = nn.Conv2d(3, 8, (3, 5), stride=(1, 2), padding=(1, 2))
    assert conv.weight.shape == (8, 3, 3, 5) and conv.bias.shape == (8,)
    assert conv.stride == (1, 2) and conv.padding == (1, 2)
    bound = 1 / math.sqrt(3 * 3 * 5)
    assert np.abs(conv.weight.numpy()).max() <= bound and np.abs(conv.bias.numpy()).max() <= bound
    assert np.abs(conv.weight.numpy()).max() > 0.8 * bound  # uses the whole range, not a narrower one
    deconv = nn.ConvTranspose2d(8, 2, 4, 2, 1, bias=False)
    assert deconv.weight.shape == (8, 2, 4, 4) and deconv.bias is None
    bound = 1 / math.sqrt(2 * 4 * 4)  # PyTorch takes fan_in from the weight's axis 1 = out_channels
    assert 0.8 * bound < np.abs(deconv.weight.numpy()).max() <= bound
    assert list(nn.Sequential(conv, deconv).state_dict()) == ["0.weight", "0.bias", "1.weight"]


def test_layers_match_torch_modules_with_the_same_weights(device, rng):
    torch = pytest.importorskip("torch")  # PyTorch on the CPU; ours on `device`, compared through .numpy()
    x = mg.tensor(rng.standard_normal((2, 3, 7, 7)), dtype="float32", device=device)
    for ours, theirs in [
        (nn.Conv2d(3, 5, (3, 2), (2, 1), (1, 0)).to(device), torch.nn.Conv2d(3, 5, (3, 2), (2, 1), (1, 0))),
        (nn.ConvTranspose2d(3, 5, 4, 2, 1, 1).to(device), torch.nn.ConvTranspose2d(3, 5, 4, 2, 1, 1)),
    ]:
        theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
        expected = theirs(torch.from_numpy(x.numpy())).detach().numpy()
        y = ours(x)
        assert y.device == device and y.dtype == np.float32
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------- errors
def test_wrong_channel_count_names_layer_expected_and_got():
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8.*expected input with 3 channels, got 4"):
        nn.Conv2d(3, 8, 3)(mg.zeros(2, 4, 8, 8))
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(128, 64.*expected input with 128 channels, got 64"):
        nn.ConvTranspose2d(128, 64, 4, 2, 1)(mg.zeros(2, 64, 7, 7))


def test_input_smaller_than_kernel():
    with pytest.raises(ValueError, match=r"Conv2d\(1, 1.*input height 3 .* smaller than the kernel height 5"):
        nn.Conv2d(1, 1, 5)(mg.zeros(1, 1, 3, 9))
    assert nn.Conv2d(1, 1, 5, padding=1)(mg.zeros(1, 1, 3, 9)).shape == (1, 1, 1, 7)  # padding makes it fit


def test_non_4d_input():
    with pytest.raises(ValueError, match=r"Conv2d\(1, 4.*4-D input \(N, C, H, W\), got shape \(28, 28\)"):
        nn.Conv2d(1, 4, 3)(mg.zeros(28, 28))
    with pytest.raises(ValueError, match=r"ConvTranspose2d.*4-D input.*got shape \(2, 6272\)"):
        nn.ConvTranspose2d(128, 64, 4, 2, 1)(mg.zeros(2, 6272))


def test_illegal_output_padding():
    with pytest.raises(ValueError, match="output_padding must be >= 0 and smaller than the stride"):
        nn.ConvTranspose2d(1, 1, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="output_padding must be >= 0 and smaller than the stride"):
        F.conv_transpose2d(mg.zeros(1, 1, 3, 3), mg.zeros(1, 1, 3, 3), stride=1, output_padding=1)


def test_dtype_mismatch_and_bad_arguments():
    with pytest.raises(TypeError, match="input dtype float64 but weight dtype float32"):
        nn.Conv2d(1, 1, 3)(mg.zeros(1, 1, 5, 5, dtype="float64"))
    with pytest.raises(TypeError, match="kernel_size must be an int or an \\(h, w\\) pair"):
        nn.Conv2d(1, 1, (3, 3, 3))
    x, w = mg.zeros(1, 2, 5, 5), mg.zeros(3, 2, 3, 3)
    for call, error, message in [
        (lambda: F.conv2d(x, mg.zeros(3, 2, 3)), ValueError, r"conv2d: expected a 4-D weight, got shape \(3, 2, 3\)"),
        (lambda: F.conv2d(x, w, mg.zeros(4)), ValueError, r"conv2d: bias must have shape \(3,\), got \(4,\)"),
        (lambda: F.conv2d(x, w, mg.zeros(3, dtype="float64")), TypeError, "conv2d: bias dtype float64 but weight dtype float32"),
        (lambda: F.conv2d(x, w, stride=0), ValueError, r"conv2d: stride must be >= 1 and padding >= 0, got stride=\(0, 0\)"),
        (lambda: F.conv_transpose2d(x, mg.zeros(2, 3, 3, 3), padding=-1), ValueError,
         r"conv_transpose2d: stride must be >= 1 and padding >= 0, got stride=\(1, 1\), padding=\(-1, -1\)"),
        (lambda: F.conv_transpose2d(mg.zeros(1, 2, 1, 1), mg.zeros(2, 3, 1, 1), padding=1), ValueError,
         "conv_transpose2d: the output would have size -1 along axis 2"),
    ]:
        with pytest.raises(error, match=message):
            call()


# --------------------------------------------------- exhaustive (slow) sweep
@pytest.mark.slow
@pytest.mark.parametrize("k,s,p", list(itertools.product(range(1, 6), range(1, 4), range(0, 3))))
def test_exhaustive_sweep(device, rng, k, s, p):
    case = (2, 2, 3, 7, 6, k, s, p, True)
    x, w, b, s2, p2 = _conv_case(rng, device, case)
    if 7 + 2 * p >= k:
        np.testing.assert_allclose(F.conv2d(x, w, b, s2, p2).numpy(), ref_conv2d(x.numpy(), w.numpy(), b.numpy(), s2, p2),
                                   rtol=1e-10, atol=1e-10)
        assert mg.gradcheck(lambda x, w, b: F.conv2d(x, w, b, s2, p2), (x, w, b))
    x, w, b, s2, p2, op = _transpose_case(rng, device, case)
    if (x.shape[2] - 1) * s - 2 * p + k >= 1:
        y = F.conv_transpose2d(x, w, b, s2, p2, op)
        np.testing.assert_allclose(y.numpy(), ref_conv_transpose2d(x.numpy(), w.numpy(), b.numpy(), s2, p2, op),
                                   rtol=1e-10, atol=1e-10)
        assert mg.gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, s2, p2, op), (x, w, b))


def ref_col2im(cols, shape, kernel, stride, padding):
    """col2im by its definition: one strided += per kernel offset into the zero-padded image."""
    n, c, h, w = shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    cols = cols.reshape(c, kh, kw, oh, ow, n)
    padded = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw, :] += cols[:, i, j]
    return padded[:, ph : ph + h, pw : pw + w, :].transpose(3, 0, 1, 2)


@pytest.mark.parametrize("k,s,p", list(itertools.product(range(1, 6), range(1, 4), range(0, 3))))
def test_transposed_conv_is_a_product_then_col2im(device, rng, k, s, p):
    # the definition of the transposed conv: every input pixel times the whole kernel (one matrix
    # product), then col2im adds the stamps up. minigan computes it that way or phase by phase,
    # whichever buffer is smaller: both, for every kernel/stride/padding of the sweep,
    # non-square, with and without output_padding
    from minigan import backend
    from minigan.conv import _conv_transpose_phases, _conv_transpose_stamps, _to_channel_rows, conv_transpose_output_size

    n, cin, cout, h, wd = 2, 3, 2, 4 + k % 3, 6 - s
    kernel, stride, padding = (k, max(1, k - 1)), (s, 1 + s % 3), (p, min(p, 1))
    for output_padding in {(0, 0), (stride[0] - 1, stride[1] - 1)}:
        size = [conv_transpose_output_size(length, kernel[d], stride[d], padding[d], output_padding[d])
                for d, length in enumerate((h, wd))]
        if min(size) < 1:
            continue
        x = rng.standard_normal((n, cin, h, wd))
        weight = rng.standard_normal((cin, cout, *kernel))
        stamps = weight.reshape(cin, -1).T @ _to_channel_rows(x)  # (Cout*kh*kw, H*W*N)
        expected = ref_col2im(stamps, (n, cout, *size), kernel, stride, padding)
        y = F.conv_transpose2d(mg.tensor(x, device=device), mg.tensor(weight, device=device),
                               stride=stride, padding=padding, output_padding=output_padding)
        assert y.device == device and y.shape == expected.shape
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)
        x_rows, w = backend.asarray(_to_channel_rows(x), device=device), backend.asarray(weight, device=device)
        for way in (_conv_transpose_phases, _conv_transpose_stamps):  # each way, whichever the layer picks
            y = way(x_rows, x.shape, w, tuple(size), kernel, stride, padding)
            assert backend.device_of(y) == device and _conv_layout(y, device)
            np.testing.assert_allclose(backend.to_numpy(y), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k,s,p", [(4, 3, 2), (3, 2, 1), (5, 2, 2), (4, 2, 1), (3, 3, 0)])
def test_an_inf_or_nan_reaches_the_outputs_and_inputs_torchs_does(device, k, s, p):
    # a transposed conv (and a strided conv's input gradient, which is one) whose kernel is no multiple of the
    # stride once went by phases with zero taps: 0 * inf = NaN spread an inf pixel, or a NaN in the upstream
    # gradient, to outputs it does not reach in torch
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(k * 100 + s * 10 + p)
    x, w = rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((4, 3, k, k))
    x[0, 1, 4, 3], x[1, 0, 2, 5] = np.inf, np.nan
    t = rng.standard_normal((2, 4, 4, 3))
    t[1, 2, 1, 1] = -np.inf
    for ours, theirs, inputs in (
            (F.conv2d, torch.nn.functional.conv2d, (x, w)),
            (F.conv_transpose2d, torch.nn.functional.conv_transpose2d, (t, w))):  # (in, out, kh, kw)
        mx, tx = mg.tensor(inputs[0], device=device, requires_grad=True), torch.tensor(inputs[0], requires_grad=True)
        y = ours(mx, mg.tensor(inputs[1], device=device), stride=s, padding=p)
        ty = theirs(tx, torch.tensor(inputs[1]), stride=s, padding=p)
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-10)
        assert np.isfinite(y.numpy()).any()
        g = np.ones(y.shape)
        g[0, 0, 1, 1] = np.nan
        y.backward(mg.tensor(g, device=device))
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-10)


def _conv_layout(a, device):
    """A convolution's output layout: batch-innermost (C, H, W, N) memory on the CPU, C order on a GPU."""
    from minigan import backend

    return backend.is_batch_innermost(a) if device == "cpu" else a.flags.c_contiguous


@pytest.mark.parametrize("k,s,p", list(itertools.product(range(1, 6), range(1, 4), range(0, 3))))
def test_col2im_equals_the_strided_loop_in_both_layouts(device, rng, k, s, p):
    # col2im (phase images on the CPU, a gather on a GPU) against the definition, for every
    # kernel/stride/padding of the sweep, with non-square shapes and a ragged edge; the columns come
    # as im2col makes them and with rows padded with zeros to the phase width (the fast layout)
    from minigan import backend
    from minigan.conv import col2im, col2im_gather, conv_output_size, phase_grid

    n, c, h, w = 2, 3, 9 + k, 7 + 2 * k
    kernel, stride, padding = (k, max(1, k - 1)), (s, 1 + s % 3), (p, min(p, 1))
    oh = conv_output_size(h, kernel[0], stride[0], padding[0])
    ow = conv_output_size(w, kernel[1], stride[1], padding[1])
    qw = phase_grid(h, w, kernel, stride, padding)[1]
    assert qw >= ow
    cols = rng.standard_normal((c * kernel[0] * kernel[1], oh, ow, n))
    wide = np.zeros((c * kernel[0] * kernel[1], oh, qw, n))
    wide[:, :, :ow, :] = cols
    expected = ref_col2im(cols, (n, c, h, w), kernel, stride, padding)
    for layout in (cols.reshape(len(cols), -1), wide.reshape(len(wide), -1)):
        on_device = backend.asarray(layout, device=device)
        for fn in (col2im, col2im_gather):
            image = fn(on_device, (n, c, h, w), kernel, stride, padding)
            assert backend.device_of(image) == device and image.shape == (n, c, h, w)
            if fn is col2im or device != "cpu":  # (col2im_gather's CPU result is a strided view: only the GPU uses it)
                assert _conv_layout(image, device)
            if fn is col2im and device == "cpu":  # the same additions in the same order: the same bits
                np.testing.assert_array_equal(image, expected)
            else:
                np.testing.assert_allclose(backend.to_numpy(image), expected, rtol=1e-12, atol=1e-12)


def test_conv_functions_name_a_missing_weight_or_bias():
    x = mg.randn(1, 1, 4, 4)
    with pytest.raises(TypeError, match=r"conv2d \(weight\): expected a minigan Tensor, got None"):
        F.conv2d(x, None)
    with pytest.raises(TypeError, match=r"conv_transpose2d \(bias\): expected a minigan Tensor"):
        F.conv_transpose2d(x, mg.randn(1, 2, 3, 3), bias=[0.0, 0.0])
