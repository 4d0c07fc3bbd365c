"""Convolutions with `dilation`, `groups`, `padding_mode` and padding='same' of even kernels, against PyTorch.

These are composed of the ordinary convolution ops (``minigan.conv``: a zero-inserted kernel for
`dilation`, one convolution per group joined by ``cat`` for `groups`, ``F.pad`` for
`padding_mode`), so their gradients of every order come from those ops; the default path
(dilation=1, groups=1, padding_mode='zeros') is the one op as before. Checked here: values and
gradients over a random grid of configurations (float64), finite differences of first and second
order, the layers' parameters, initialisation, printing and errors. A bigger grid is marked slow.
"""

import math
import warnings

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn import functional as F

DEFAULT_CASES = 40  # cases 0-39 of the grid run by default (~0.5 s), the rest with -m slow
SLOW_CASES = 1000
F64 = dict(rtol=1e-10, atol=1e-10)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")  # torch's


def _cases():
    return [pytest.param(i, marks=pytest.mark.slow) if i >= DEFAULT_CASES else i for i in range(SLOW_CASES)]


def _same_as_torch(torch, ours, theirs, arrays, rng, device, what=""):
    """ours(*arrays) and theirs(*arrays) (None: no such input), and all their gradients, agree in float64."""
    ts = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    ms = [None if a is None else mg.tensor(a, requires_grad=True, device=device) for a in arrays]
    y_t = theirs(*ts)
    gy = rng.standard_normal(tuple(y_t.shape))
    (y_t * torch.tensor(gy)).sum().backward()
    y = ours(*ms)
    (y * mg.tensor(gy, device=device)).sum().backward()
    assert y.shape == tuple(y_t.shape), what
    np.testing.assert_allclose(y.numpy(), y_t.detach().numpy(), **F64, err_msg=f"output {what}")
    for i, (m, t) in enumerate(zip(ms, ts)):
        if t is not None:
            np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), **F64, err_msg=f"gradient of input {i} {what}")


# --------------------------------------------------------------- the random grid
def draw(case):
    """One legal configuration: conv or transposed conv, kernel 1-5, stride 1-3, dilation 1-3, padding 0-2
    (conv: also 'same' / 'valid'), groups dividing both channel counts (sometimes depthwise), an
    output_padding below the stride or the dilation, bias or not, input near the smallest legal size."""
    rng = np.random.default_rng([16, case])
    transpose = bool(rng.random() < 0.5)
    groups = int(rng.choice([1, 2, 3]))
    cin, cout = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    if rng.random() < 0.25:  # depthwise: one group per input channel
        groups, cout = cin, cin * int(rng.integers(1, 3))
    kernel, stride, dilation, padding = (tuple(int(v) for v in rng.integers(lo, hi, 2))
                                         for lo, hi in ((1, 6), (1, 4), (1, 4), (0, 3)))
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    kwargs = dict(stride=stride, dilation=dilation, groups=groups)
    if transpose:
        kwargs["output_padding"] = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
        size = [int(n) for n in rng.integers(1, 5, 2)]
        if any((n - 1) * s - 2 * p + k + o < 1 for n, s, p, k, o in zip(size, stride, padding, span,
                                                                          kwargs["output_padding"])):
            padding = (0, 0)  # (torch would return an empty output)
        weight = (cin, cout // groups, *kernel)
    else:
        named = rng.random()
        if named < 0.25:
            padding, kwargs["stride"] = "same", (1, 1)
        elif named < 0.3:
            padding = "valid"
        pads = (0, 0) if isinstance(padding, str) else padding
        size = [max(1, s - 2 * p + int(rng.integers(0, 4))) for s, p in zip(span, pads)]
        weight = (cout, cin // groups, *kernel)
    kwargs["padding"] = padding
    x = rng.standard_normal((int(rng.integers(1, 3)), cin, *size))
    bias = rng.standard_normal(weight[1] * groups if transpose else weight[0]) if rng.random() < 0.5 else None
    return transpose, x, rng.standard_normal(weight), bias, kwargs


def test_the_default_grid_covers_every_feature():
    drawn = [draw(case) for case in range(DEFAULT_CASES)]
    assert any(t and max(kw["output_padding"][d] - kw["stride"][d] for d in range(2)) >= 0 for t, *_, kw in drawn)
    for transpose in (False, True):
        mine = [(x, kw) for t, x, _, _, kw in drawn if t == transpose]
        assert any(kw["groups"] > 1 and kw["groups"] < x.shape[1] for x, kw in mine)  # grouped
        assert any(kw["groups"] == x.shape[1] > 1 for x, kw in mine)  # depthwise
        assert any(min(kw["dilation"]) > 1 and kw["groups"] > 1 for x, kw in mine)  # both at once
        assert any(kw["groups"] == 1 and max(kw["dilation"]) > 1 for x, kw in mine)  # dilation alone
    assert any(not t and kw["padding"] == "same" and max(kw["dilation"]) > 1 for t, *_, kw in drawn)


@pytest.mark.parametrize("case", _cases())
def test_functions_match_torch_over_a_random_grid(case, device):
    torch = pytest.importorskip("torch")
    transpose, x, w, b, kwargs = draw(case)
    ours, theirs = (F.conv_transpose2d, torch.nn.functional.conv_transpose2d) if transpose else \
        (F.conv2d, torch.nn.functional.conv2d)
    _same_as_torch(torch, lambda *a: ours(*a, **kwargs), lambda *a: theirs(*a, **kwargs), [x, w, b],
                   np.random.default_rng(case), device, f"case {case}: {ours.__name__} {x.shape} {w.shape} {kwargs}")


def test_first_and_second_derivatives_by_finite_differences(device):
    rng = np.random.default_rng(0)

    def t(*shape):
        return mg.tensor(rng.standard_normal(shape), requires_grad=True, device=device)

    cases = [  # (function, x, weight, bias, keyword arguments)
        (F.conv2d, t(1, 4, 5, 4), t(2, 2, 2, 2), t(2), dict(stride=(1, 2), padding=1, dilation=(2, 1), groups=2)),
        (F.conv2d, t(2, 2, 4, 4), t(2, 1, 2, 3), None, dict(padding="same", dilation=(1, 2), groups=2)),
        (F.conv_transpose2d, t(1, 4, 3, 2), t(4, 1, 2, 2), t(2), dict(stride=2, padding=(0, 1), output_padding=(2, 1),
                                                                     dilation=3, groups=2)),
    ]
    for fn, x, w, b, kwargs in cases:
        inputs = (x, w) if b is None else (x, w, b)
        assert mg.gradcheck(lambda *a: fn(*a, **kwargs), inputs)
        assert mg.gradgradcheck(lambda *a: fn(*a, **kwargs), inputs)


def test_the_default_path_is_the_one_op_and_the_others_are_composed():
    x, w = mg.randn(1, 4, 5, 5, requires_grad=True), mg.randn(4, 4, 3, 3, requires_grad=True)
    assert type(F.conv2d(x, w, padding="same").grad_fn).__name__ == "Conv2dOp"
    assert type(F.conv_transpose2d(x, w, stride=2).grad_fn).__name__ == "ConvTranspose2dOp"
    assert type(F.conv2d(x, w[:, :2], groups=2).grad_fn).__name__ == "Cat"
    assert type(F.conv2d(x, w, dilation=2).grad_fn).__name__ == "Conv2dOp"  # one op, with the dilated kernel


# ------------------------------------------------------------------- by hand
def test_same_with_an_even_kernel_pads_the_far_edges_as_torch():
    # torch pads d (k - 1) rows in all for 'same', the odd one at the bottom (right): a 2x2 kernel whose
    # only tap is its top-left one then copies the input, and its bottom-right one shifts it up and left
    x = mg.tensor(np.arange(20.0).reshape(1, 1, 4, 5))
    top_left, bottom_right = np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2))
    top_left[0, 0, 0, 0] = bottom_right[0, 0, 1, 1] = 1.0
    np.testing.assert_array_equal(F.conv2d(x, mg.tensor(top_left), padding="same").numpy(), x.numpy())
    shifted = np.zeros((1, 1, 4, 5))
    shifted[0, 0, :3, :4] = x.numpy()[0, 0, 1:, 1:]
    np.testing.assert_array_equal(F.conv2d(x, mg.tensor(bottom_right), padding="same").numpy(), shifted)
    # with dilation 3 and a kernel of 2, the 3 rows of padding are 1 on top and 2 below
    y = F.conv2d(x, mg.tensor(bottom_right), padding="same", dilation=(3, 1)).numpy()
    np.testing.assert_array_equal(y[0, 0, :, 0], [x.numpy()[0, 0, 2, 1], x.numpy()[0, 0, 3, 1], 0, 0])


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect"])
@pytest.mark.parametrize("padding", ["same", "valid", 1, (2, 0)])
def test_a_layers_padding_attribute_is_torchs_words_or_numbers(padding, padding_mode):
    torch = pytest.importorskip("torch")
    for ours, theirs in [(nn.Conv2d, torch.nn.Conv2d), (nn.Conv1d, torch.nn.Conv1d)]:
        if ours is nn.Conv1d and isinstance(padding, tuple):
            continue
        layer = ours(2, 3, 4, padding=padding, dilation=2, padding_mode=padding_mode)
        twin = theirs(2, 3, 4, padding=padding, dilation=2, padding_mode=padding_mode)
        assert layer.padding == twin.padding and repr(layer) == repr(twin)  # ('same' stayed a word: it was (3, 3))
        twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in layer.state_dict().items()})
        x = np.random.default_rng(0).standard_normal((1, 2, 9, 10)[: 4 if ours is nn.Conv2d else 3]).astype(np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's note on 'same' with an even kernel
            want = twin(torch.tensor(x)).detach().numpy()
        np.testing.assert_allclose(layer(mg.tensor(x)).numpy(), want, rtol=1e-5, atol=1e-6)


def test_dilation_spaces_the_taps():
    # a 2x2 kernel of ones with dilation (2, 3) sums the four pixels at rows r, r+2 and columns c, c+3
    x = np.arange(30.0).reshape(1, 1, 5, 6)
    y = F.conv2d(mg.tensor(x), mg.ones(1, 1, 2, 2, dtype=mg.float64), dilation=(2, 3)).numpy()
    assert y.shape == (1, 1, 3, 3)
    assert y[0, 0, 1, 2] == x[0, 0, 1, 2] + x[0, 0, 1, 5] + x[0, 0, 3, 2] + x[0, 0, 3, 5]


def test_groups_keep_the_groups_apart():
    # groups=2: the first output channel sees only the first two input channels, the second only the last two
    x = mg.tensor(np.concatenate([np.ones((1, 2, 3, 3)), 10 * np.ones((1, 2, 3, 3))], axis=1))
    y = F.conv2d(x, mg.ones(2, 2, 1, 1, dtype=mg.float64), groups=2).numpy()
    np.testing.assert_array_equal(y[0, :, 0, 0], [2.0, 20.0])
    yt = F.conv_transpose2d(x, mg.ones(4, 1, 1, 1, dtype=mg.float64), groups=2).numpy()
    np.testing.assert_array_equal(yt[0, :, 0, 0], [2.0, 20.0])


def test_a_convolutions_batch_innermost_output_feeds_grouped_and_dilated_ones_as_torch(device):
    # a conv output is an (N, C, H, W) view of a (C, H, W, N) array (minigan/conv.py): the groups' channel
    # slices and the dilated kernels must read it as such, forward and backward
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, w0, w1, w2 = (rng.standard_normal(s) for s in [(2, 3, 7, 6), (4, 3, 1, 1), (4, 2, 2, 3), (4, 1, 2, 2)])
    ours = [mg.tensor(a, device=device, requires_grad=True) for a in (x, w0, w1, w2)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w0, w1, w2)]
    results = []
    for lib, (x_, w0_, w1_, w2_), f in [(mg, ours, F), (torch, theirs, torch.nn.functional)]:
        h = f.conv2d(x_, w0_)  # minigan's: batch innermost in memory
        y = f.conv2d(h, w1_, groups=2, dilation=(2, 1), padding=1)
        y = y + f.conv_transpose2d(h, w2_, groups=4, dilation=2)[:, :, :7, :6]
        (y * y).sum().backward()
        results.append([y] + [t.grad for t in (x_, w0_, w1_, w2_)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **F64)


# -------------------------------------------------------------------- layers
LAYERS = [  # (class name, positional arguments, keyword arguments, input shape)
    ("Conv2d", (4, 6, 3), dict(stride=2, padding=1, dilation=2, groups=2), (2, 4, 9, 8)),
    ("Conv2d", (3, 3, (2, 4)), dict(padding="same", dilation=(2, 1), groups=3, bias=False), (2, 3, 5, 6)),
    ("Conv2d", (4, 2, 2), dict(padding=(1, 2), padding_mode="reflect", groups=2), (1, 4, 4, 5)),
    ("Conv2d", (2, 4, (3, 2)), dict(padding="same", padding_mode="replicate", dilation=(1, 3)), (2, 5, 7)),
    ("Conv2d", (2, 2, 3), dict(stride=(2, 1), padding=2, padding_mode="circular", dilation=(1, 2)), (2, 2, 5, 6)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2, dilation=2), (2, 4, 3, 4)),
    ("ConvTranspose2d", (3, 3, (2, 3)), dict(output_padding=(2, 1), groups=3, dilation=(3, 2)), (3, 4, 3)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", LAYERS)
def test_layers_match_torch(name, args, kwargs, shape, device):
    """The same parameter names and shapes as torch's layer, torch's printing, and with torch's weights
    loaded, torch's output and gradients (float64); float32 stays float32."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    y32 = ours.to(device)(mg.randn(*shape, device=device))
    assert y32.dtype == mg.float32
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.to(device=device, dtype=mg.float64)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    tx, mx = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True, device=device)
    ty, y = theirs(tx), ours(mx)
    gy = rng.standard_normal(tuple(ty.shape))
    (ty * torch.tensor(gy)).sum().backward()
    (y * mg.tensor(gy, device=device)).sum().backward()
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), **F64)
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), **F64)
    grads = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads[key].grad.numpy(), **F64, err_msg=key)


@pytest.mark.parametrize("name, kwargs, fan_in", [
    ("Conv2d", dict(in_channels=8, out_channels=8, kernel_size=3, groups=4), 2 * 9),
    ("Conv2d", dict(in_channels=6, out_channels=12, kernel_size=(2, 3), groups=6, dilation=2), 1 * 6),
    ("ConvTranspose2d", dict(in_channels=8, out_channels=12, kernel_size=3, groups=4), 3 * 9),
])
def test_initialisation_uses_torch_fans(name, kwargs, fan_in):
    """U(-b, b) with b = 1/sqrt(fan_in), fan_in from the weight's second axis (channels per group), as torch."""
    torch = pytest.importorskip("torch")
    ref = getattr(torch.nn, name)(**kwargs)
    assert torch.nn.init._calculate_fan_in_and_fan_out(ref.weight)[0] == fan_in  # (the fan torch uses)
    bound = 1 / math.sqrt(fan_in)
    layer = getattr(nn, name)(**kwargs)
    for _ in range(2):  # at construction, and drawn again
        weights = np.abs(layer.weight.numpy())  # (a fan not divided by groups would give at most half the bound)
        assert weights.max() <= bound and weights.max() > 0.6 * bound  # (>= 72 draws: the largest is near b)
        assert np.abs(layer.bias.numpy()).max() <= bound
        layer.reset_parameters()


def test_conv_transpose_output_size_with_dilation_matches_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.ConvTranspose2d(2, 2, 3, stride=2, dilation=(2, 1)), torch.nn.ConvTranspose2d(2, 2, 3, stride=2,
                                                                                                   dilation=(2, 1))
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    x = mg.randn(1, 2, 3, 4)
    for size in ((9, 9), (10, 10)):
        expected = theirs(torch.from_numpy(x.numpy()), output_size=size).detach().numpy()
        np.testing.assert_allclose(ours(x, output_size=size).numpy(), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"output's \(H, W\) can range from \(9, 9\) to \(10, 10\)"):
        ours(x, output_size=(11, 9))


# -------------------------------------------------------------------- errors
def test_bad_settings_and_inputs_are_refused_clearly():
    for build, error, words in [
        (lambda: nn.Conv2d(3, 6, 3, groups=2), ValueError, r"^Conv2d: in_channels must be divisible by groups, "
                                                           r"got in_channels=3 with groups=2"),
        (lambda: nn.ConvTranspose2d(4, 6, 3, groups=4), ValueError,
         r"^ConvTranspose2d: out_channels must be divisible"),
        (lambda: nn.Conv2d(4, 4, 3, groups=0), ValueError, r"^Conv2d: groups must be a positive integer"),
        (lambda: nn.Conv2d(4, 4, 3, groups=2.0), TypeError, r"^Conv2d: groups must be an int, got 2.0"),
        (lambda: nn.Conv2d(4, 4, 3, dilation=(1, 0)), ValueError, r"^Conv2d: dilation must be >= 1"),
        (lambda: nn.Conv2d(4, 4, 3, padding_mode="mirror"), ValueError, r"^Conv2d: padding_mode must be one of"),
        (lambda: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"), ValueError,
         r"^ConvTranspose2d: only padding_mode='zeros' is supported"),
        (lambda: nn.ConvTranspose2d(4, 4, 3, stride=2, dilation=3, output_padding=3), ValueError,
         r"^ConvTranspose2d: output_padding must be >= 0 and smaller than the stride or the dilation"),
    ]:
        with pytest.raises(error, match=words):
            build()
    x = mg.randn(1, 4, 5, 5)
    for call, words in [
        (lambda: F.conv2d(x, mg.randn(4, 4, 3, 3), groups=2), r"^conv2d: expected input with 8 channels \(groups=2 x "
                                                              r"the weight's 4 per group\), got 4"),
        (lambda: F.conv2d(x, mg.randn(4, 3, 3, 3)), r"^conv2d: expected input with 3 channels, got 4"),  # no groups
        (lambda: F.conv2d(x, mg.randn(3, 2, 3, 3), groups=2),
         r"^conv2d: groups=2 splits the weight's first axis \(out_channels\) into 2 equal parts, but it has size 3"),
        (lambda: F.conv2d(mg.randn(1, 0, 5, 5), mg.randn(0, 0, 3, 3), groups=2),  # torch refuses it too
         r"^conv2d: groups=2 splits the weight's first axis \(out_channels\) into 2 equal parts, but it has size 0"),
        (lambda: F.conv_transpose2d(mg.randn(1, 3, 5, 5), mg.randn(3, 3, 3, 3), groups=2),
         r"^conv_transpose2d: groups=2 splits the weight's first axis \(in_channels\)"),
        (lambda: F.conv_transpose2d(x, mg.randn(4, 3, 3, 3), mg.randn(3), groups=2),
         r"^conv_transpose2d: bias must have shape \(6,\), got \(3,\)"),
        (lambda: F.conv2d(x, mg.randn(4, 4, 3, 3), dilation=3), r"^conv2d: input height 5 \(\+ 2 x padding 0\) is "
                                                                r"smaller than the kernel height 7 \(dilated\)"),
        (lambda: F.conv_transpose2d(x, mg.randn(4, 4, 3, 3), stride=1, dilation=2, output_padding=2),
         r"smaller than the stride or the dilation, got output_padding=\(2, 2\) with stride=\(1, 1\), "
         r"dilation=\(2, 2\)"),
        (lambda: F.conv2d(x, mg.randn(4, 4, 2, 2), stride=2, padding="same", dilation=2),
         r"^conv2d: padding='same' needs stride 1"),
        (lambda: nn.Conv2d(4, 4, 3, padding=3, padding_mode="reflect")(mg.randn(1, 4, 3, 3)),
         r"^Conv2d\(4, 4, .*padding_mode=reflect\): padding_mode='reflect': pad: widths \(3, 3\) do not fit"),
    ]:
        with pytest.raises(ValueError, match=words):
            call()
