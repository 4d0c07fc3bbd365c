"""The layers against PyTorch at random: configurations, and sequences of use, compared after every step.

A small deterministic differential fuzzer. Each case draws, from its own seed, one of:

- a ``Conv2d`` or ``ConvTranspose2d``: 1-5 channels in and out, a non-square kernel of 1-5, stride 1-3,
  padding 0-2 (or 'same' / 'valid'; a padding_mode; the padding attribute and repr as torch's), a legal
  output_padding, bias on or off, a batch of 1-3 (or one
  image (C, H, W)), inputs near the smallest legal size, float32 or float64; the output, the gradients
  of the input, weight and bias, and ConvTranspose2d's ``output_size=``;
- a ``BatchNorm1d`` (2-D and 3-D input) or ``BatchNorm2d`` with a random momentum (None included), eps,
  affine and track_running_stats, then a random sequence of training- and eval-mode forwards,
  backwards, ``.train()``/``.eval()``, ``reset_running_stats()`` and state_dict saves and loads, with
  the output, the gradients, the running statistics and ``num_batches_tracked`` compared after each;
- one of the other layers: LayerNorm, GroupNorm, InstanceNorm2d, Linear, Embedding (the padding row's
  gradient), MaxPool2d (no ties), AvgPool2d (count_include_pad, divisor_override), Upsample, Dropout and
  Dropout2d in eval mode, Flatten, Unflatten, and the activations with random parameters;
- a Linear or (transposed) convolution whose weight is parametrized (spectral_norm, weight_norm, or one's own
  register_parametrization), its repr and state_dict keys, then forwards and backwards, .train()/.eval(),
  .double() and deepcopy, with u and v compared after each.

Both libraries get the same weights. float64 must agree to ~1e-10 and float32 stay float32, close to
torch's. Where torch refuses, minigan must refuse with an error naming the layer; where torch accepts,
minigan must compute the same, except the refusals in DELIBERATE (docs/pytorch.md). A case replays
alone: ``python -m pytest "tests/test_layer_fuzz.py::test_conv_matches_torch[17]"``; a failure prints
the case. A bigger sweep is marked slow (``-m slow``). Below the fuzzers, named tests for what they found.
"""

import re

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn import functional as F

DEFAULT_CASES = 40  # cases 0-39 of a fuzzer run by default (~3 s for the four), the rest in the slow sweep
SLOW_CASES = 600
F64 = dict(rtol=1e-10, atol=1e-12)
F32 = dict(rtol=2e-4, atol=2e-5)

# what torch accepts and minigan refuses on purpose, with a clear error: (layer, the error's words)
DELIBERATE = [
    ("ConvTranspose2d", r"the output would have size 0"),  # torch returns an empty tensor there
    ("ConvTranspose2d", r"requested an output size of .*, 0"),  # (so does output_size=(H, 0))
    ("ConvTranspose2d", r"requested an output size of \(0"),
]


def _cases(n_default=DEFAULT_CASES):
    return [pytest.param(i, marks=pytest.mark.slow) if i >= n_default else i for i in range(SLOW_CASES)]


def _torch_dtype(torch, dtype):
    return torch.float64 if dtype == np.float64 else torch.float32


def _same_weights(ours, theirs, rng, torch):
    """Give both layers the same parameters (random values near 1, so no scale is ~0), named alike."""
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        values = np.asarray(rng.standard_normal(p.shape) * 0.5 + 1.0, dtype=p.dtype)  # (an array when 0-d too)
        p.data[...] = values
        with torch.no_grad():
            tp.copy_(torch.from_numpy(values))


def _close(ours, theirs, tol, what):
    if ours is None or theirs is None:
        assert ours is None and theirs is None, f"{what}: {ours!r} vs {theirs!r}"
        return
    got, want = np.asarray(ours.data), theirs.detach().numpy()
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, torch's {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, torch's {want.shape}"
    # atol in units of the largest value: a float32 sum of terms near 100 that cancels to 0.3 keeps only the
    # absolute error of the terms (and the two libraries' BLAS threads add in other orders)
    scale = max(1.0, float(np.abs(want[np.isfinite(want)]).max(initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=tol["rtol"], atol=tol["atol"] * scale, err_msg=what)


def _close_forward_and_backward(torch, ours, theirs, mx, tx, y, ty, rng, dtype, tol, what):
    """Outputs y (minigan) and ty (torch) of inputs mx, tx, then every gradient of one random upstream gradient."""
    _close(y, ty, tol, f"{what}: output")
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    y.backward(mg.tensor(g))
    ty.backward(torch.from_numpy(g))
    _close(mx.grad, tx.grad, tol, f"{what}: input gradient")
    for (n, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        _close(p.grad, tp.grad, tol, f"{what}: {n} gradient")


def _outcome(fn):
    try:
        return fn(), None
    except (ValueError, TypeError, NotImplementedError, RuntimeError, IndexError) as e:
        return None, e


def _agree(layer, ours, theirs, what):
    """Both computed, or both refused; minigan's refusal names the layer. False when there is nothing to compare."""
    err, terr = ours[1], theirs[1]
    if err is not None:
        assert layer in str(err), f"{what}: minigan's error does not name {layer}: {err}"
        if terr is None:
            assert any(name == layer and re.search(words, str(err)) for name, words in DELIBERATE), (
                f"{what}: torch accepts, minigan refuses: {err}")
        return False
    assert terr is None, f"{what}: minigan accepts, torch refuses: {terr}"
    return True


# ----------------------------------------------------------------- convolutions
def _draw_conv(rng):
    transpose = bool(rng.random() < 0.5)
    cin, cout = (int(n) for n in rng.integers(1, 6, 2))
    kernel = tuple(int(k) for k in rng.integers(1, 6, 2))
    stride = tuple(int(s) for s in rng.integers(1, 4, 2))
    padding = tuple(int(p) for p in rng.integers(0, 3, 2))
    kwargs = {"bias": bool(rng.random() < 0.5)}
    if transpose:
        kwargs["output_padding"] = tuple(int(rng.integers(0, s)) for s in stride)
        size = [int(n) for n in rng.integers(1, 6, 2)]  # (both ways of computing it: stamps and phases)
    else:
        draw = rng.random()
        padding = "same" if draw < 0.15 else "valid" if draw < 0.25 else padding
        if padding == "same":
            stride = (1, 1)  # (torch refuses 'same' at other strides, as minigan; checked by test_conv)
        if rng.random() < 0.3:  # (torch's ConvTranspose2d takes only 'zeros')
            kwargs["padding_mode"] = ("zeros", "reflect", "replicate", "circular")[int(rng.integers(4))]
        pads = (0, 0) if isinstance(padding, str) else padding
        size = [max(1, k - 2 * p + int(rng.integers(0, 3))) for k, p in zip(kernel, pads)]  # near the smallest
    shape = (() if rng.random() < 0.15 else (int(rng.integers(1, 4)),)) + (cin, *size)  # sometimes one image
    dtype = np.float64 if rng.random() < 0.5 else np.float32
    name = "ConvTranspose2d" if transpose else "Conv2d"
    return name, (cin, cout, kernel, stride, padding), kwargs, shape, dtype


@pytest.mark.parametrize("case", _cases())
def test_conv_matches_torch(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng([15, case])
    name, args, kwargs, shape, dtype = _draw_conv(rng)
    what = f"case {case}: nn.{name}{args}, {kwargs}, input {shape} {dtype.__name__}"
    tol = F64 if dtype == np.float64 else F32
    layer = _outcome(lambda: getattr(nn, name)(*args, **kwargs))
    tlayer = _outcome(lambda: getattr(torch.nn, name)(*args, **kwargs))
    if not _agree(name, layer, tlayer, what):
        return
    ours, theirs = layer[0].to(getattr(mg, dtype.__name__)), tlayer[0].to(_torch_dtype(torch, dtype))
    assert (ours.padding, repr(ours)) == (theirs.padding, repr(theirs)), what
    _same_weights(ours, theirs, rng, torch)
    x = rng.standard_normal(shape).astype(dtype)
    mx, tx = mg.tensor(x, requires_grad=True), torch.from_numpy(x).requires_grad_(True)
    y, ty = _outcome(lambda: ours(mx)), _outcome(lambda: theirs(tx))
    if ty[0] is not None and ty[0].numel() == 0:  # torch's empty output: minigan refuses (DELIBERATE)
        ty = (None, None)
    if not _agree(name, y, ty, what):
        return
    (y, _), (ty, _) = y, ty
    _close_forward_and_backward(torch, ours, theirs, mx, tx, y, ty, rng, dtype, tol, what)
    if name == "ConvTranspose2d":  # output_size= picks the output_padding: every size in range, and one past it
        stride, op = args[3], kwargs["output_padding"]
        low = [n - p for n, p in zip(ty.shape[-2:], op)]
        for size in ((low[0] + int(rng.integers(0, stride[0])), low[1] + int(rng.integers(0, stride[1]))),
                     (low[0] + stride[0], low[1])):
            size = size if rng.random() < 0.5 else tuple(ty.shape[:-2]) + size  # (H, W) or the whole shape
            sized, tsized = _outcome(lambda: ours(mx, output_size=size)), _outcome(lambda: theirs(tx, output_size=size))
            if tsized[0] is not None and tsized[0].numel() == 0:
                tsized = (None, None)
            if _agree(name, sized, tsized, f"{what}, output_size={size}"):
                _close(sized[0], tsized[0], tol, f"{what}: output with output_size={size}")


# ----------------------------------------------------------------- batch norm: sequences of use
def _bn_input(rng, kind, c, dtype):
    n = int(rng.integers(1, 4))
    shape = {"1d2": (n, c), "1d3": (n, c, int(rng.integers(1, 4))),
             "2d": (n, c, int(rng.integers(1, 3)), int(rng.integers(1, 3)))}[kind]
    return (rng.standard_normal(shape) * 2 + 1).astype(dtype)


@pytest.mark.parametrize("case", _cases(DEFAULT_CASES // 2))  # (12 steps each)
def test_batch_norm_sequences_match_torch(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng([16, case])
    kind = ("1d2", "1d3", "2d")[int(rng.integers(0, 3))]
    c = int(rng.integers(1, 5))
    momentum = (None, 0.0, 1.0, float(rng.uniform(0, 1)), 0.1)[int(rng.integers(0, 5))]
    settings = dict(eps=float(10 ** rng.uniform(-6, -1)), momentum=momentum, affine=bool(rng.random() < 0.6),
                    track_running_stats=bool(rng.random() < 0.7))
    dtype = np.float64 if rng.random() < 0.6 else np.float32
    tol = F64 if dtype == np.float64 else F32
    name = "BatchNorm2d" if kind == "2d" else "BatchNorm1d"
    ours = getattr(nn, name)(c, **settings).to(getattr(mg, dtype.__name__))
    theirs = getattr(torch.nn, name)(c, **settings).to(_torch_dtype(torch, dtype))
    _same_weights(ours, theirs, rng, torch)
    steps, saved = [], None
    for _ in range(12):
        action = ("forward", "forward", "forward", "train", "eval", "reset", "save", "load")[int(rng.integers(0, 8))]
        steps.append(action)
        what = f"case {case}: nn.{name}({c}, {settings}) {dtype.__name__}, after {steps}"
        if action in ("train", "eval"):
            getattr(ours, action)()
            getattr(theirs, action)()
        elif action == "reset":
            ours.reset_running_stats()
            theirs.reset_running_stats()
        elif action == "save":
            saved = ({k: np.array(v.data) for k, v in ours.state_dict().items()},
                     {k: v.detach().clone() for k, v in theirs.state_dict().items()})
        elif action == "load" and saved is not None:
            ours.load_state_dict(saved[0])
            theirs.load_state_dict(saved[1])
        elif action == "forward":
            x = _bn_input(rng, kind, c, dtype)
            steps[-1] = f"forward{x.shape}"
            mx, tx = mg.tensor(x, requires_grad=True), torch.from_numpy(x).requires_grad_(True)
            y, ty = _outcome(lambda: ours(mx)), _outcome(lambda: theirs(tx))
            if not _agree(name, y, ty, what):
                if settings["track_running_stats"]:  # torch counts the refused batch; minigan changes nothing
                    theirs.num_batches_tracked.fill_(int(ours.num_batches_tracked.data))
            else:
                _close(y[0], ty[0], tol, f"{what}: output")
                if rng.random() < 0.7:
                    for p in ours.parameters():
                        p.grad = None
                    theirs.zero_grad()
                    g = rng.standard_normal(x.shape).astype(dtype)
                    y[0].backward(mg.tensor(g))
                    ty[0].backward(torch.from_numpy(g))
                    _close(mx.grad, tx.grad, tol, f"{what}: input gradient")
                    for (n, p), tp in zip(ours.named_parameters(), theirs.parameters()):
                        _close(p.grad, tp.grad, tol, f"{what}: {n} gradient")
        for buffer in ("running_mean", "running_var", "num_batches_tracked"):
            _close(getattr(ours, buffer), getattr(theirs, buffer), tol, f"{what}: {buffer}")
        assert list(ours.state_dict()) == list(theirs.state_dict()), what


# ----------------------------------------------------------------- the other layers
def _draw_layer(rng, kind):
    """(layer name, positional arguments, keyword arguments, input shape) of one random `kind` of layer."""
    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    if kind == "LayerNorm":
        shape = tuple(n(1, 4) for _ in range(n(1, 4)))
        normalized = shape[-n(1, len(shape)):]
        if np.prod(normalized) == 1:  # one value normalised by itself: torch's float32 rounding is not 0
            shape, normalized = shape[:-1] + (2,), normalized[:-1] + (2,)
        return "LayerNorm", (normalized,), dict(eps=float(10 ** rng.uniform(-6, -1)),
                                                elementwise_affine=bool(rng.random() < 0.6),
                                                bias=bool(rng.random() < 0.6)), shape
    if kind == "GroupNorm":
        groups = n(1, 3)
        shape = (n(1, 3), groups * n(1, 3)) + tuple(n(1, 3) for _ in range(n(0, 2)))
        if np.prod(shape[2:]) * shape[1] // groups == 1:
            shape = shape[:2] + (2,)
        return "GroupNorm", (groups, shape[1]), dict(eps=float(10 ** rng.uniform(-6, -1)),
                                                     affine=bool(rng.random() < 0.6)), shape
    if kind == "InstanceNorm2d":
        shape = (n(1, 3), n(1, 4), n(1, 3), n(2, 3))
        if rng.random() < 0.2:
            shape = shape[1:]  # one image (C, H, W)
        return "InstanceNorm2d", (shape[-3],), dict(affine=bool(rng.random() < 0.5)), shape
    if kind == "Linear":
        features = n(1, 5)
        return "Linear", (features, n(1, 5)), dict(bias=bool(rng.random() < 0.5)), \
            tuple(n(1, 3) for _ in range(n(0, 2))) + (features,)
    if kind in ("MaxPool2d", "AvgPool2d"):
        kernel = (n(1, 4), n(1, 4))
        stride = None if rng.random() < 0.3 else (n(1, 3), n(1, 3))
        padding = (n(0, kernel[0] // 2), n(0, kernel[1] // 2))
        shape = (n(1, 2), n(1, 3)) + tuple(max(1, k - 2 * p + n(0, 2)) for k, p in zip(kernel, padding))
        kwargs = {} if kind == "MaxPool2d" else dict(count_include_pad=bool(rng.random() < 0.5),
                                                     divisor_override=None if rng.random() < 0.8 else n(1, 5))
        return kind, (kernel, stride, padding), kwargs, shape[1:] if rng.random() < 0.2 else shape
    if kind == "Upsample":
        mode = ("nearest", "linear", "bilinear", "bicubic", "area")[n(0, 4)]
        spatial = {"nearest": n(1, 2), "linear": 1, "bilinear": 2, "bicubic": 2, "area": n(1, 2)}[mode]
        shape = (n(1, 2), n(1, 2)) + tuple(n(1, 4) for _ in range(spatial))
        kwargs = dict(mode=mode, align_corners=None if mode in ("nearest", "area") else (None, True, False)[n(0, 2)])
        if rng.random() < 0.5:
            factors = [float(rng.choice([0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0])) for _ in range(spatial)]
            kwargs["scale_factor"] = factors[0] if rng.random() < 0.5 else tuple(factors)
        else:
            size = tuple(n(1, 6) for _ in shape[2:])
            kwargs["size"] = size[0] if len(size) == 1 and rng.random() < 0.5 else size
        return "Upsample", (), kwargs, shape
    if kind == "activation":
        name = ("LeakyReLU", "ELU", "SiLU", "Softplus", "Tanh", "Sigmoid")[n(0, 5)]
        args = {"LeakyReLU": (float(rng.uniform(-1, 2)),), "ELU": (float(rng.uniform(0, 2)),),
                "Softplus": (float(rng.uniform(0.2, 3)), float(rng.uniform(0.5, 20)))}.get(name, ())
        return name, args, {}, (n(1, 3), n(1, 4))
    if kind == "Dropout":
        return ("Dropout", "Dropout2d")[n(0, 1)], (float(rng.uniform(0, 1)),), {}, tuple(n(1, 3) for _ in range(4))
    if kind == "Flatten":
        shape = tuple(n(1, 3) for _ in range(n(1, 4)))
        return "Flatten", (n(-len(shape), len(shape) - 1), n(-len(shape), len(shape) - 1)), {}, shape
    if kind == "Unflatten":
        shape = tuple(n(1, 4) for _ in range(n(1, 3)))
        dim = n(-len(shape), len(shape) - 1)
        first = int(rng.choice([d for d in range(1, shape[dim] + 1) if shape[dim] % d == 0]))
        sizes = [first, shape[dim] // first]
        if rng.random() < 0.3:
            sizes[n(0, 1)] = -1
        return "Unflatten", (dim, tuple(sizes)), {}, shape
    raise AssertionError(kind)


KINDS = ("LayerNorm", "GroupNorm", "InstanceNorm2d", "Linear", "MaxPool2d", "AvgPool2d", "Upsample", "activation",
         "Dropout", "Flatten", "Unflatten")


@pytest.mark.parametrize("case", _cases(2 * DEFAULT_CASES))
def test_layer_matches_torch(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng([17, case])
    name, args, kwargs, shape = _draw_layer(rng, KINDS[case % len(KINDS)])
    dtype = np.float64 if rng.random() < 0.6 else np.float32
    tol = F64 if dtype == np.float64 else F32
    what = f"case {case}: nn.{name}{args}, {kwargs}, input {shape} {dtype.__name__}"
    layer = _outcome(lambda: getattr(nn, name)(*args, **kwargs))
    tlayer = _outcome(lambda: getattr(torch.nn, name)(*args, **kwargs))
    if not _agree(name, layer, tlayer, what):
        return
    ours = layer[0].to(getattr(mg, dtype.__name__)).eval()  # eval: dropout is the identity
    theirs = tlayer[0].to(_torch_dtype(torch, dtype)).eval()
    _same_weights(ours, theirs, rng, torch)
    if name == "MaxPool2d":  # distinct values: no ties, whose gradient torch may send to either
        x = (rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0).astype(dtype)
    else:
        x = (rng.standard_normal(shape) * 3).astype(dtype)
    mx, tx = mg.tensor(x, requires_grad=True), torch.from_numpy(x).requires_grad_(True)
    y, ty = _outcome(lambda: ours(mx)), _outcome(lambda: theirs(tx))
    if not _agree(name if name != "Upsample" else "interpolate", y, ty, what):
        return
    (y, _), (ty, _) = y, ty
    _close_forward_and_backward(torch, ours, theirs, mx, tx, y, ty, rng, dtype, tol, what)


# ----------------------------------------------------------------- parametrized layers: sequences of use
PARAMETRIZED = ("Linear", "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d")


def _parametrize(lib, layer, rng_draws):
    """spectral_norm, weight_norm or a parametrization of one's own (2 x, with its right_inverse) on layer.weight."""
    kind, dim, iterations, eps = rng_draws
    P = lib.nn.utils.parametrizations
    if kind == "spectral_norm":
        return P.spectral_norm(layer, n_power_iterations=iterations, eps=eps, dim=dim)
    if kind == "weight_norm":
        return P.weight_norm(layer, dim=dim)
    scaled = type("Scaled", (lib.nn.Module,), {"forward": lambda self, x: 2 * x,
                                               "right_inverse": lambda self, y: y / 2})
    return lib.nn.utils.parametrize.register_parametrization(layer, "weight", scaled())


@pytest.mark.parametrize("case", _cases(DEFAULT_CASES // 2))  # (4-6 steps each)
def test_parametrized_layer_sequences_match_torch(case):
    """A random layer's weight parametrized alike in both libraries, then forwards and backwards in training and
    eval mode, .train()/.eval(), .double() and deepcopy: the outputs, every gradient, u and v compared after each."""
    import copy

    torch = pytest.importorskip("torch")
    rng = np.random.default_rng([19, case])
    name = PARAMETRIZED[case % len(PARAMETRIZED)]
    cin, cout, k = (int(n) for n in rng.integers(1, 5, 3))
    spatial = 0 if name == "Linear" else int(name[-2])
    args = (cin, cout) if name == "Linear" else (cin, cout, k)
    shape = (int(rng.integers(1, 4)), cin) + tuple(k + int(rng.integers(0, 3)) for _ in range(spatial))
    kind = ("spectral_norm", "weight_norm", "own")[int(rng.integers(3))]
    dim = [None, 0, 1, -1][int(rng.integers(4))] if kind == "weight_norm" else (None, 0, 1)[int(rng.integers(3))]
    draws = (kind, dim, int(rng.integers(1, 4)), float(10 ** rng.uniform(-12, -3)))
    what = f"case {case}: {kind}(nn.{name}{args}, dim={dim}, iterations/eps={draws[2:]}), input {shape}"
    ours = _parametrize(mg, getattr(nn, name)(*args), draws)
    theirs = _parametrize(torch, getattr(torch.nn, name)(*args), draws)
    assert repr(ours) == repr(theirs), what  # ("ParametrizedLinear(...)", as torch prints it)
    assert list(ours.state_dict()) == list(theirs.state_dict()), what
    _same_weights(ours, theirs, rng, torch)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})  # u and v too
    dtype, tol, log = np.float32, F32, []
    for step in range(int(rng.integers(4, 7))):
        action = ("forward", "forward", "train", "eval", "double", "deepcopy")[int(rng.integers(6))]
        log.append(action)
        where = f"{what}: after {log}"
        if action == "forward":
            x = rng.standard_normal(shape).astype(dtype)
            mx, tx = mg.tensor(x, requires_grad=True), torch.from_numpy(x).requires_grad_(True)
            for p, tp in zip(ours.parameters(), theirs.parameters()):
                p.grad, tp.grad = None, None
            _close_forward_and_backward(torch, ours, theirs, mx, tx, ours(mx), theirs(tx), rng, dtype, tol, where)
        elif action == "double":
            ours, theirs, dtype = ours.double(), theirs.double(), np.float64
            tol = F32 if "forward" in log else F64  # (u and v keep a float32 forward's rounding)
        elif action == "deepcopy":
            ours, theirs = copy.deepcopy(ours), copy.deepcopy(theirs)
        else:
            getattr(ours, action)(), getattr(theirs, action)()
        for (n, b), tb in zip(ours.named_buffers(), theirs.buffers()):
            _close(b, tb, tol, f"{where}: {n}")
        with mg.no_grad(), torch.no_grad():
            if not ours.training:  # (a read in training mode refines u and v: compared after a forward above)
                _close(ours.weight, theirs.weight, tol, f"{where}: weight")


@pytest.mark.parametrize("case", _cases())
def test_embedding_matches_torch_with_its_padding_row(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng([18, case])
    num, dim = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    padding_idx = None if rng.random() < 0.3 else int(rng.integers(-num, num))
    dtype = np.float64 if rng.random() < 0.5 else np.float32
    ours = nn.Embedding(num, dim, padding_idx=padding_idx).to(getattr(mg, dtype.__name__))
    theirs = torch.nn.Embedding(num, dim, padding_idx=padding_idx).to(_torch_dtype(torch, dtype))
    assert ours.padding_idx == theirs.padding_idx
    _same_weights(ours, theirs, rng, torch)
    ids = rng.integers(0, num, tuple(int(s) for s in rng.integers(1, 4, int(rng.integers(0, 3)))))
    y, ty = ours(mg.tensor(ids)), theirs(torch.from_numpy(ids))
    _close(y, ty, F64, f"case {case}: rows")
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    y.backward(mg.tensor(g))
    ty.backward(torch.from_numpy(g))
    _close(ours.weight.grad, theirs.weight.grad, F64 if dtype == np.float64 else F32, f"case {case}: gradient")


# ----------------------------------------------------------------- what the fuzzers found
def test_batch_norm_reset_running_stats_and_reset_parameters_as_in_torch():
    bn = nn.BatchNorm2d(3).double()
    bn(mg.randn(4, 3, 2, 2, dtype=mg.float64) * 3 + 1)
    with mg.no_grad():
        bn.weight.fill_(2.0)
        bn.bias.fill_(-1.0)
    weight, running_mean = bn.weight, bn.running_mean
    assert int(bn.num_batches_tracked.data) == 1 and float(abs(bn.running_mean).sum()) > 0
    bn.reset_running_stats()  # forgets the batches, keeps the affine
    np.testing.assert_array_equal(bn.running_mean.numpy(), [0, 0, 0])
    np.testing.assert_array_equal(bn.running_var.numpy(), [1, 1, 1])
    assert int(bn.num_batches_tracked.data) == 0 and bn.running_var.dtype == np.float64
    np.testing.assert_array_equal(bn.weight.numpy(), [2, 2, 2])
    bn.reset_parameters()  # and the affine too
    np.testing.assert_array_equal(bn.weight.numpy(), [1, 1, 1])
    np.testing.assert_array_equal(bn.bias.numpy(), [0, 0, 0])
    assert bn.weight is weight and bn.running_mean is running_mean  # in place: an optimizer keeps them
    untracked = nn.BatchNorm1d(2, affine=False, track_running_stats=False)
    untracked.reset_running_stats()  # nothing to reset, as in torch
    untracked.reset_parameters()
    assert untracked.running_mean is None and untracked.weight is None


def test_norm_layers_reset_parameters_to_ones_and_zeros():
    for layer in (nn.LayerNorm((2, 3)), nn.GroupNorm(2, 4), nn.InstanceNorm2d(4, affine=True)):
        with mg.no_grad():
            layer.weight.fill_(3.0)
            layer.bias.fill_(3.0)
        layer.reset_parameters()
        assert float(layer.weight.sum()) == layer.weight.numel() and float(abs(layer.bias).sum()) == 0.0
    nn.InstanceNorm2d(4).reset_running_stats()  # (none kept: nothing to do)


def test_weighted_layers_reset_parameters_draw_again_in_place():
    mg.manual_seed(0)
    for layer, bound in ((nn.Linear(5, 3), 5 ** -0.5), (nn.Conv2d(2, 3, (2, 3)), 12 ** -0.5),
                         (nn.ConvTranspose2d(2, 3, (2, 3)), 18 ** -0.5)):
        layer = layer.double()
        weight, before = layer.weight, layer.weight.numpy().copy()
        layer.reset_parameters()
        assert layer.weight is weight and weight.dtype == np.float64 and weight.requires_grad
        assert not np.array_equal(weight.numpy(), before)
        for p in (layer.weight, layer.bias):
            assert 0 < np.abs(p.numpy()).max() <= bound  # U(-1/sqrt(fan_in), 1/sqrt(fan_in)), torch's
    embedding = nn.Embedding(5, 3, padding_idx=-2)
    before = embedding.weight.numpy().copy()
    embedding.reset_parameters()
    assert not np.array_equal(embedding.weight.numpy(), before)
    np.testing.assert_array_equal(embedding.weight.numpy()[3], [0, 0, 0])  # the padding row stays zero


def test_avg_pool_count_include_pad_false_averages_the_pixels_inside_the_image():
    x = mg.tensor(np.arange(1.0, 10.0).reshape(1, 1, 3, 3), requires_grad=True)  # 1 2 3 / 4 5 6 / 7 8 9
    y = nn.AvgPool2d(2, 2, 1, count_include_pad=False)(x)  # windows of 1, 2, 2 and 4 pixels inside
    np.testing.assert_allclose(y.numpy()[0, 0], [[1.0, 2.5], [5.5, 7.0]])  # 1, (2+3)/2, (4+7)/2, (5+6+8+9)/4
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[0, 0], [[1, 1 / 2, 1 / 2], [1 / 2, 1 / 4, 1 / 4], [1 / 2, 1 / 4, 1 / 4]])
    padded_zeros_count = nn.AvgPool2d(2, 2, 1)(x)  # the default: the padding's zeros count, (2+3)/4
    np.testing.assert_allclose(padded_zeros_count.numpy()[0, 0], [[0.25, 1.25], [2.75, 7.0]])
    y = F.avg_pool2d(x.float(), 2, 2, 1, count_include_pad=False, divisor_override=3)  # the divisor wins, as in torch
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy()[0, 0], [[1 / 3, 5 / 3], [11 / 3, 28 / 3]], rtol=1e-6)


def test_one_image_without_a_batch_axis_as_in_torch():
    """torch's Conv2d, ConvTranspose2d, the pools and InstanceNorm2d take one image (C, H, W): the same as a batch
    of one, without its axis, gradients included."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6, 5))
    for layer in (nn.Conv2d(3, 2, (3, 2), 2, 1), nn.ConvTranspose2d(3, 2, (3, 2), 2, 1, 1), nn.MaxPool2d(2, 1, 1),
                  nn.AvgPool2d(3, 2, 1), nn.InstanceNorm2d(3, affine=True)):
        layer = layer.double()
        one, batch = mg.tensor(x, requires_grad=True), mg.tensor(x[None], requires_grad=True)
        y, want = layer(one), layer(batch)
        assert y.shape == want.shape[1:], type(layer).__name__
        np.testing.assert_allclose(y.numpy(), want.numpy()[0], **F64)
        g = rng.standard_normal(y.shape)
        y.backward(mg.tensor(g))
        want.backward(mg.tensor(g[None]))
        np.testing.assert_allclose(one.grad.numpy(), batch.grad.numpy()[0], **F64)
    up = nn.ConvTranspose2d(3, 2, 3, 2)
    assert up(mg.tensor(x, dtype=mg.float32), output_size=(14, 12)).shape == (2, 14, 12)
    assert up(mg.tensor(x, dtype=mg.float32), output_size=(2, 14, 12)).shape == (2, 14, 12)
    with pytest.raises(ValueError, match=r"Conv2d\(1, 4.*expected a 3-D \(C, H, W\) or 4-D input \(N, C, H, W\), "
                                         r"got shape \(28, 28\); add the missing axes"):
        nn.Conv2d(1, 4, 3)(mg.zeros(28, 28))
    with pytest.raises(ValueError, match=r"max_pool2d: expected a 3-D \(C, H, W\) or 4-D input.*\(2, 1, 1, 4, 4\)"):
        nn.MaxPool2d(2)(mg.zeros(2, 1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"InstanceNorm2d\(3\): expected input of shape \(N, 3, H, W\) or \(3, H, W\)"):
        nn.InstanceNorm2d(3)(mg.zeros(2, 6, 5))
