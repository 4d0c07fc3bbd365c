"""Bad input to every layer, loss and functional form: PyTorch's result, or a clear error from minigan.

A small deterministic fuzzer. Each layer of ``minigan.nn`` (and each loss and function of
``minigan.nn.functional``) is built with valid arguments and called with plausible wrong input:
one axis too few or too many, one channel (feature) too many, a 1x1 image, a batch of 0, another
dtype, a NumPy array, a list, None, labels and targets of the wrong shape, dtype or range. The same
call runs in torch, with the same weights. Each outcome must be one of:

* both succeed with the same shape, dtype and values (minigan may also refuse, clearly, what
  torch accepts: an int input to a float32 layer, a target that torch would broadcast);
* minigan raises, from its own code (the innermost frame of the traceback is inside the
  ``minigan`` package, never NumPy, CuPy or the standard library), a message that names the
  layer or function and says what was expected or got.

Never minigan silently accepting what torch refuses, nor a result of another shape.
The constructors get the same treatment (sizes 0, -1, 2.5, "3", None, tuples of the wrong
length, p outside [0, 1]), and a separate test feeds each layer input from another device
(the cuda case: on a GPU, or through tests/fake_cupy). The default run tries every third wrong
argument of each function; ``-m slow`` tries them all. Below the fuzzer, named tests for the
bugs it found, each failing without its fix.
"""

import functools
import re
import traceback
import warnings
from pathlib import Path

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn import functional as F

try:
    import torch
except ImportError:  # the fuzzers skip; the named cases below them run without torch
    torch = None

PACKAGE = Path(mg.__file__).resolve().parent
CLEAR_ERRORS = (TypeError, ValueError, RuntimeError, IndexError, NotImplementedError)
SAYS_WHAT = (r"\bgot\b|\bbut\b|\bexpected\b|\bmust\b|\bneeds\b|\bexactly\b|does not|differ|not supported|out of range|"
             r"smaller than|two devices|are on")  # words of a message that says what was expected or got


# ------------------------------------------------------------------- the check
@functools.lru_cache(maxsize=None)
def _in_minigan(filename):
    return Path(filename).resolve().is_relative_to(PACKAGE)


def _plain(text):
    return text.lower().replace("_", "")


def _unclear(error, names):
    """Why `error` is not a clear error of minigan's (None when it is): raised inside the package, of a
    usual kind, naming one of `names` (in any case, "leaky_relu" or "LeakyReLU") and what was expected or got."""
    where, text = traceback.extract_tb(error.__traceback__)[-1].filename, str(error)
    if not _in_minigan(where):
        return f"raised from {where}: {type(error).__name__}: {text}"
    if not isinstance(error, CLEAR_ERRORS):
        return f"{type(error).__name__} from inside minigan: {text}"
    if not any(_plain(name) in _plain(text) for name in names):
        return f"the message names none of {names}: {type(error).__name__}: {text}"
    if not re.search(SAYS_WHAT, text):
        return f"the message says neither what was expected nor what was got: {text}"
    return None


def _run(call):
    """(result, None) or (None, the exception)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's warnings (broadcast targets, ...): the outcome is compared
            return call(), None
    except Exception as error:  # noqa: BLE001
        return None, error


def _numpy(result):
    if isinstance(result, tuple):  # a recurrent layer's (output, state): its output
        return _numpy(result[0])
    return result.detach().numpy() if hasattr(result, "detach") else result.numpy()


def _compare(mine, theirs, names, random=False, as_floats=None):
    """What went wrong when minigan's outcome is neither torch's nor a clear error (None when nothing did).

    `as_floats`: for an integer or boolean input that minigan computes in float32 on purpose (as it
    computes exp(x)) where torch refuses it or keeps its dtype: torch's outcome for that float32 input,
    which minigan's result must then match.
    """
    (got, error), (expected, torch_error) = mine, theirs
    if error is not None:
        return _unclear(error, names)
    a = _numpy(got)
    if as_floats is not None and (torch_error is not None or str(_numpy(expected).dtype) != str(a.dtype)):
        (expected, torch_error), a = as_floats(), a.astype(np.float32)
    if torch_error is not None:
        return f"minigan accepted what torch refuses ({type(torch_error).__name__}: {str(torch_error)[:200]})"
    b = _numpy(expected)
    if a.shape != b.shape or str(a.dtype) != str(b.dtype):
        return f"minigan gave {a.dtype} {a.shape}, torch {b.dtype} {b.shape}"
    if not random and not np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=1e-4, atol=1e-5,
                                      equal_nan=True):
        return f"values differ from torch's by up to {np.nanmax(np.abs(a.astype(float) - b.astype(float)))}"
    return None


# ------------------------------------------------------------------ arguments
class Arr:
    """A tensor argument: the same values made afresh for each library (an in-place update touches neither's)."""

    def __init__(self, array):
        self.array = np.asarray(array)

    def make(self, lib, device="cpu"):
        if lib == "torch":
            return torch.from_numpy(self.array.copy())
        return mg.tensor(self.array.copy(), device=device)


def _make(value, lib, device="cpu"):
    return value.make(lib, device) if isinstance(value, Arr) else value


def _values(shape, seed=0, kind="normal"):
    """Valid values: float32 standard normal, probabilities, positive (0.5..2) or binary (0/1), or labels 0..2."""
    rng = np.random.default_rng(seed)
    if kind == "labels":
        return rng.integers(0, 3, size=shape)
    return {"normal": lambda: rng.standard_normal(shape), "probs": lambda: rng.uniform(0.05, 0.95, shape),
            "positive": lambda: rng.uniform(0.5, 2.0, shape), "binary": lambda: rng.integers(0, 2, shape),
            }[kind]().astype(np.float32)


def _bad_tensors(a):
    """Plausible wrong versions of a valid tensor argument's values `a`: (label, argument) pairs."""
    if a.ndim:
        yield "one axis fewer", Arr(a[0])
        yield "a batch of 0", Arr(a[:0])
        yield "last axis one longer", Arr(np.concatenate([a, a[..., :1]], axis=-1))
    yield "one axis more", Arr(a[None])
    if a.ndim >= 2:
        yield "axis 1 one longer", Arr(np.concatenate([a, a[:, :1]], axis=1))
    if a.ndim == 4:
        yield "a 1x1 image", Arr(a[:, :, :1, :1])
    for dtype in ("float32", "float64", "int64", "int32", "uint8", "bool"):
        if dtype != a.dtype:
            yield dtype, Arr(np.abs(a).astype(dtype) if dtype == "uint8" else a.astype(dtype))
    yield "a NumPy array", a
    yield "a list", a.tolist()
    yield "None", None
    yield "a number", 1.5


BAD_INTS = (0, -1, 2.5, "2", None, True, (2, 2, 2))
BAD_FRACTIONS = (-0.5, 1.5, float("nan"), "0.5", None)


def _bad_settings(value):
    """Wrong versions of a valid setting (a size, a fraction, a tuple of sizes)."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int):
        return [v for v in BAD_INTS if v != value]
    if isinstance(value, float):
        return [v for v in BAD_FRACTIONS if v != value]
    if isinstance(value, tuple):
        sizes = [v for v in value if v is not None]  # (an adaptive pool's None: keep that size)
        return [value[:-1], value + value[-1:], tuple(-v for v in sizes), tuple(v + 0.5 for v in sizes), value[0]]
    if isinstance(value, str):
        return ["bogus", 3]
    return []


# ------------------------------------------------------------------- layers
# (class, positional arguments, keyword arguments, a valid input's shape); torch's layer of the same name
# gets the same arguments and minigan's weights
LAYERS = [
    ("Linear", (4, 3), {}, (2, 4)),
    ("Conv2d", (3, 4, 3), {"stride": 1, "padding": 1}, (2, 3, 5, 5)),
    ("Conv2d", (3, 4, 3), {"padding": "same"}, (2, 3, 5, 5)),
    ("ConvTranspose2d", (3, 4, 4, 2, 1), {"output_padding": 1}, (2, 3, 3, 3)),
    ("BatchNorm1d", (3,), {"eps": 1e-5, "momentum": 0.1}, (4, 3)),
    ("BatchNorm1d", (3,), {}, (4, 3, 5)),
    ("BatchNorm2d", (3,), {"momentum": 0.1}, (4, 3, 2, 2)),
    ("LayerNorm", (4,), {"eps": 1e-5}, (2, 4)),
    ("LayerNorm", ((3, 2, 2),), {}, (2, 3, 2, 2)),
    ("GroupNorm", (2, 4), {"eps": 1e-5}, (2, 4, 3, 3)),
    ("InstanceNorm2d", (3,), {"affine": True}, (2, 3, 4, 4)),
    ("Dropout", (0.5,), {}, (4, 3)),
    ("Dropout2d", (0.5,), {}, (2, 3, 4, 4)),
    ("ReLU", (), {}, (2, 3)),
    ("LeakyReLU", (0.2,), {}, (2, 3)),
    ("ELU", (1.0,), {}, (2, 3)),
    ("SiLU", (), {}, (2, 3)),
    ("Sigmoid", (), {}, (2, 3)),
    ("Tanh", (), {}, (2, 3)),
    ("Softplus", (1.0, 20.0), {}, (2, 3)),
    ("Flatten", (), {}, (2, 3, 2, 2)),
    ("Unflatten", (1, (2, 2)), {}, (3, 4)),
    ("MaxPool2d", (2,), {"stride": 2}, (2, 3, 4, 4)),
    ("AvgPool2d", (2,), {"padding": 1}, (2, 3, 4, 4)),
    ("ZeroPad2d", (1,), {}, (2, 3, 4, 4)),
    ("ReflectionPad2d", ((1, 1, 2, 0),), {}, (2, 3, 4, 4)),
    ("ReplicationPad2d", (1,), {}, (2, 3, 4, 4)),
    ("Upsample", (), {"scale_factor": 2}, (2, 3, 4, 4)),
    ("Upsample", (), {"size": (6, 6), "mode": "bilinear"}, (2, 3, 4, 4)),
    ("PixelShuffle", (2,), {}, (2, 8, 3, 3)),
    ("PixelUnshuffle", (2,), {}, (2, 2, 4, 6)),
    ("AdaptiveAvgPool2d", ((2, 3),), {}, (2, 3, 4, 5)),
    ("AdaptiveMaxPool2d", ((2, None),), {}, (2, 3, 4, 5)),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}, (2, 3, 6, 6)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}, (2, 3, 6, 6)),
    ("Unfold", (2,), {"padding": 1, "dilation": 2}, (2, 3, 4, 4)),
    ("Fold", ((4, 5), 2), {}, (2, 12, 12)),
    ("Softmax", (1,), {}, (2, 3)),
    ("LogSoftmax", (1,), {}, (2, 3)),
]
LAYERS += [  # the 1-D layers, padding layers and norms of helper D
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}, (2, 3, 7)),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}, (2, 3, 7)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 5)),
    ("AdaptiveMaxPool1d", (3,), {}, (2, 3, 5)),
    ("InstanceNorm1d", (3,), {"affine": True, "track_running_stats": True, "momentum": 0.1}, (2, 3, 4)),
    ("RMSNorm", ((3, 4),), {"eps": 1e-5}, (2, 3, 4)),
    ("Dropout1d", (0.5,), {}, (2, 3, 4)),
    ("Softmax2d", (), {}, (2, 3, 2, 2)),
    ("ZeroPad1d", ((1, 2),), {}, (2, 3, 4)),
    ("ConstantPad1d", (2, 1.5), {}, (2, 3, 4)),
    ("ConstantPad2d", ((1, 0, 2, 1), 0.5), {}, (2, 3, 4, 4)),
    ("ReflectionPad1d", (2,), {}, (2, 3, 4)),
    ("ReplicationPad1d", ((1, 2),), {}, (2, 3, 4)),
    ("CircularPad1d", (1,), {}, (2, 3, 4)),
    ("CircularPad2d", ((1, 1, 2, 0),), {}, (2, 3, 4, 4)),
]
LAYERS += [  # the recurrent layers of helper R (a tuple result: its first tensor, the output, is compared)
    ("RNNCell", (4, 3), {"nonlinearity": "relu"}, (2, 4)),
    ("LSTMCell", (4, 3), {}, (2, 4)),
    ("GRUCell", (4, 3), {}, (2, 4)),
    ("RNN", (4, 3), {"num_layers": 2, "nonlinearity": "relu", "dropout": 0.0}, (5, 2, 4)),
    ("LSTM", (4, 3), {"batch_first": True, "proj_size": 2}, (2, 5, 4)),
    ("GRU", (4, 3), {"bidirectional": True}, (5, 2, 4)),
]
RANDOM = ("Dropout", "Dropout2d", "Dropout1d")  # their masks differ from torch's: only shapes and dtypes are compared
FUNCTION_OF = {  # the function a layer calls: its errors may name that instead of the layer, as torch's do
    "Dropout": "dropout", "Dropout2d": "dropout2d", "MaxPool2d": "max_pool2d", "AvgPool2d": "avg_pool2d",
    "ZeroPad2d": "pad", "ReflectionPad2d": "pad", "ReplicationPad2d": "pad", "Upsample": "interpolate",
    "PixelShuffle": "pixel_shuffle", "Softmax": "softmax", "LogSoftmax": "log_softmax", "Flatten": "flatten",
    "PixelUnshuffle": "pixel_unshuffle", "AdaptiveAvgPool2d": "adaptive_avg_pool2d",
    "AdaptiveMaxPool2d": "adaptive_max_pool2d", "Unfold": "unfold", "Fold": "fold",
}
FUNCTION_OF.update({"MaxPool1d": "max_pool1d", "AvgPool1d": "avg_pool1d", "AdaptiveAvgPool1d": "adaptive_avg_pool1d",
                    "AdaptiveMaxPool1d": "adaptive_max_pool1d", "Dropout1d": "dropout1d", "RMSNorm": "rms_norm",
                    **{name: "pad" for name in ("ZeroPad1d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d",
                                                "ReplicationPad1d", "CircularPad1d", "CircularPad2d")}})

# integer and boolean inputs that minigan computes in float32 on purpose (as it computes exp(x)), where torch has
# no kernel for them or keeps their dtype (max and average pooling, resizing); and booleans, which minigan pads
# as any dtype (torch has no reflect or replicate kernel for them): checked against torch's result in float32
# (the losses: integer and boolean inputs and targets meet float ones as floats, as in every other op here)
AS_FLOATS = {"LeakyReLU", "ELU", "SiLU", "Softplus", "Dropout", "Dropout2d", "Softmax", "LogSoftmax", "MaxPool2d",
             "AvgPool2d", "Upsample", "ReflectionPad2d", "ReplicationPad2d", "BCELoss", "BCEWithLogitsLoss",
             "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss",
             "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Unfold", "Fold"}  # (torch: no integer kernels for these)
AS_FLOATS.update({"MaxPool1d", "AvgPool1d", "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "Dropout1d", "Softmax2d",
                  "ReflectionPad1d", "ReplicationPad1d"})
LAYERS += [  # helper A's activations (Bilinear, of two inputs, is checked through F.bilinear below)
    ("Hardshrink", (0.5,), {}, (2, 3)),
    ("Softshrink", (0.5,), {}, (2, 3)),
    ("Tanhshrink", (), {}, (2, 3)),
    ("RReLU", (0.1, 0.3), {}, (2, 3)),
]
RANDOM += ("RReLU",)  # (in training: its slopes are drawn)
FUNCTION_OF.update({"Hardshrink": "hardshrink", "Softshrink": "softshrink", "Tanhshrink": "tanhshrink",
                    "RReLU": "rrelu"})
AS_FLOATS.update({"Hardshrink", "Softshrink", "Tanhshrink", "RReLU"})
LAYERS += [  # helper P's
    ("UpsamplingNearest2d", (), {"scale_factor": 2}, (2, 3, 4, 4)),
    ("UpsamplingBilinear2d", (), {"size": (6, 5)}, (2, 3, 4, 4)),
    ("ChannelShuffle", (2,), {}, (2, 4, 3, 3)),
    ("LocalResponseNorm", (3,), {"alpha": 0.5, "beta": 0.75, "k": 1.5}, (2, 4, 3)),
    ("LPPool1d", (2, 3), {"stride": 2, "ceil_mode": True}, (2, 3, 8)),
    ("LPPool2d", (2.0, (2, 3)), {"stride": 1}, (2, 3, 4, 5)),
    ("AlphaDropout", (0.5,), {}, (4, 3)),
    ("FeatureAlphaDropout", (0.5,), {}, (2, 3, 4, 4)),
]
RANDOM += ("AlphaDropout", "FeatureAlphaDropout")
FUNCTION_OF.update({"UpsamplingNearest2d": "interpolate", "UpsamplingBilinear2d": "interpolate",
                    "ChannelShuffle": "channel_shuffle", "LocalResponseNorm": "local_response_norm",
                    "LPPool1d": "lp_pool1d", "LPPool2d": "lp_pool2d", "AlphaDropout": "alpha_dropout",
                    "FeatureAlphaDropout": "feature_alpha_dropout"})
AS_FLOATS.update({"UpsamplingNearest2d", "UpsamplingBilinear2d", "LocalResponseNorm", "LPPool1d", "LPPool2d",
                  "AlphaDropout", "FeatureAlphaDropout"})
# where minigan differs from torch on purpose: (layer, input) -> why
DELIBERATE = {
    ("InstanceNorm2d", "a batch of 0"): "an empty output, as every other norm gives (torch: an IndexError from inside)",
    ("InstanceNorm1d", "a batch of 0"): "an empty output, as every other norm gives (torch: an IndexError from inside)",
    ("PixelUnshuffle", "a batch of 0"): "(0, C r^2, H / r, W / r), as any batch (torch returns the input's shape)",
    ("Embedding", "uint8"): "ids of any integer dtype (torch: int64 or int32 only)",
    ("Embedding", "a NumPy array"): "ids as an integer array are taken as they are (a loader's labels)",
    **{(loss, f"target {what}"): "labels of any integer dtype, or as a list or array, as torch.tensor would read them"
       for loss in ("CrossEntropyLoss", "NLLLoss") for what in ("int32", "a NumPy array", "a list")},
    **{(loss, f"target {what}"): "targets as a list or array, read in the input's dtype (test_dtype_fuzz)"
       for loss in ("BCELoss", "BCEWithLogitsLoss") for what in ("a NumPy array", "a list")},
}


def _as_floats(call, inputs, which):
    """torch's outcome with input number `which` as float32, when it is an integer or boolean tensor (else None)."""
    x = inputs[which]
    if not isinstance(x, Arr) or x.array.dtype.kind not in "iub":
        return None
    inputs = inputs[:which] + (Arr(x.array.astype(np.float32)),) + inputs[which + 1:]
    return lambda: _run(lambda: call(*[_make(x, "torch") for x in inputs]))


def _label(name, args, kwargs):
    """How the layer is written (a tensor argument as "tensor")."""
    args, kwargs = ["tensor" if isinstance(a, Arr) else a for a in args], {
        k: "tensor" if isinstance(v, Arr) else v for k, v in kwargs.items()}
    return f"{name}({', '.join([repr(a) for a in args] + [f'{k}={v!r}' for k, v in kwargs.items()])})"


def _build(lib, name, args, kwargs, like=None):
    """A layer of `lib`; torch's gets the weights and buffers of the minigan layer `like`."""
    args, kwargs = [_make(a, lib) for a in args], {k: _make(v, lib) for k, v in kwargs.items()}
    layer = getattr(torch.nn if lib == "torch" else nn, name)(*args, **kwargs)
    if like is not None:
        layer.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in like.state_dict().items()})
    return layer


def _layer_failures(name, args, kwargs, calls):
    """Each of `calls` ((label, inputs, the number of the bad input) triples) through minigan's layer and torch's:
    what went wrong."""
    names = (name, FUNCTION_OF.get(name, name))
    failures = []
    for label, inputs, which in calls:
        if (name, label) in DELIBERATE:
            continue
        mine = _build("mg", name, args, kwargs)
        theirs = _build("torch", name, args, kwargs, like=mine)
        as_floats = _as_floats(theirs, inputs, which) if name in AS_FLOATS else None
        outcome = _compare(_run(lambda: mine(*[_make(x, "mg") for x in inputs])),
                           _run(lambda: theirs(*[_make(x, "torch") for x in inputs])), names,
                           random=name in RANDOM, as_floats=as_floats)
        if outcome:
            failures.append(f"{_label(name, args, kwargs)} on {label}: {outcome}")
    return failures


def _check_calls(name, args, kwargs, calls):
    failures = _layer_failures(name, args, kwargs, calls)  # (the first call, a valid one: the baseline agrees)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name, args, kwargs, shape", LAYERS, ids=[_label(*case[:3]) for case in LAYERS])
def test_every_layer_gives_torchs_result_or_a_clear_error_for_bad_input(name, args, kwargs, shape):
    pytest.importorskip("torch")
    good = _values(shape)
    _check_calls(name, args, kwargs, [("a valid input", (Arr(good),), 0)] + [
        (label, (x,), 0) for label, x in _bad_tensors(good)])


def test_embedding_gives_torchs_result_or_a_clear_error_for_bad_ids():
    pytest.importorskip("torch")
    ids = _values((2, 3), kind="labels")
    _check_calls("Embedding", (3, 4), {"padding_idx": 0}, [("valid ids", (Arr(ids),), 0)] + [
        (label, (x,), 0) for label, x in _bad_tensors(ids)] + [
        ("an id = num_embeddings", (Arr(ids + 1),), 0), ("an id of -1", (Arr(ids - 1),), 0)])


# ------------------------------------------------------------------- losses
# (class, keyword arguments, a valid input, a valid target; extra bad targets (label, values))
LOSSES = [
    ("MSELoss", {}, _values((4, 3)), _values((4, 3), seed=1), []),
    ("L1Loss", {"reduction": "none"}, _values((4, 3)), _values((4, 3), seed=1), []),
    ("BCELoss", {}, _values((4, 1), kind="probs"), _values((4, 1), seed=1, kind="binary"),
     [("a target of 1.5", np.full((4, 1), 1.5, np.float32)), ("a target of -0.5", np.full((4, 1), -0.5, np.float32))]),
    ("BCEWithLogitsLoss", {}, _values((4, 2)), _values((4, 2), seed=1, kind="binary"),
     [("a target of 1.5", np.full((4, 2), 1.5, np.float32))]),
    ("BCEWithLogitsLoss", {"pos_weight": Arr(np.array([1.0, 3.0], np.float32))}, _values((4, 2)),
     _values((4, 2), seed=1, kind="binary"), []),
    ("CrossEntropyLoss", {}, _values((4, 3)), _values((4,), kind="labels"),
     [("a label = C", np.array([0, 1, 2, 3])), ("a label of -1", np.array([0, 1, 2, -1])),
      ("class probabilities", _values((4, 3), seed=1, kind="probs"))]),
    ("CrossEntropyLoss", {"reduction": "sum", "label_smoothing": 0.1}, _values((4, 3)), _values((4,), kind="labels"),
     [("a label = C", np.array([0, 1, 2, 3]))]),
    ("NLLLoss", {"reduction": "none"}, _values((4, 3)), _values((4,), kind="labels"),
     [("a label = C", np.array([0, 1, 2, 3])), ("a label of -1", np.array([0, 1, 2, -1]))]),
]
FUNCTION_OF.update({"MSELoss": "mse_loss", "L1Loss": "l1_loss", "BCELoss": "binary_cross_entropy",
                    "BCEWithLogitsLoss": "binary_cross_entropy_with_logits", "CrossEntropyLoss": "cross_entropy",
                    "NLLLoss": "nll_loss"})
LOSSES += [  # helper L's: the margin, embedding and likelihood losses of two arguments (the others: FUNCTIONS)
    ("HingeEmbeddingLoss", {"margin": 0.5}, _values((4, 3)), _values((4, 3), seed=1, kind="binary") * 2 - 1, []),
    ("SoftMarginLoss", {"reduction": "sum"}, _values((4, 3)), _values((4, 3), seed=1, kind="binary") * 2 - 1, []),
    ("PoissonNLLLoss", {"log_input": True, "eps": 1e-8}, _values((4, 3)), _values((4, 3), seed=1, kind="positive"),
     []),
    ("MultiMarginLoss", {"p": 1, "margin": 1.0}, _values((4, 3)), _values((4,), kind="labels"),
     [("a label = C", np.array([0, 1, 2, 3])), ("a label of -1", np.array([0, 1, 2, -1]))]),
    ("MultiMarginLoss", {"weight": Arr(np.array([1.0, 2.0, 0.5], np.float32)), "reduction": "none"}, _values((4, 3)),
     _values((4,), kind="labels"), []),
    ("MultiLabelSoftMarginLoss", {}, _values((4, 3)), _values((4, 3), seed=1, kind="binary"), []),
    ("MultiLabelMarginLoss", {}, _values((4, 3)), np.array([[0, -1, 2], [1, 2, -1], [2, 2, 2], [-1, 0, 0]]),
     [("a target = C", np.array([[0, 3, -1]] * 4)), ("a target of -2", np.array([[0, -2, 1]] * 4))]),
]
FUNCTION_OF.update({"HingeEmbeddingLoss": "hinge_embedding_loss", "SoftMarginLoss": "soft_margin_loss",
                    "PoissonNLLLoss": "poisson_nll_loss", "MultiMarginLoss": "multi_margin_loss",
                    "MultiLabelSoftMarginLoss": "multilabel_soft_margin_loss",
                    "MultiLabelMarginLoss": "multilabel_margin_loss"})
AS_FLOATS.update({"HingeEmbeddingLoss", "SoftMarginLoss", "PoissonNLLLoss", "MultiMarginLoss",
                  "MultiLabelSoftMarginLoss", "MultiLabelMarginLoss"})
DELIBERATE.update({(loss, f"target {what}"): "labels of any integer dtype (torch: int64 only)"
                   for loss in ("MultiMarginLoss", "MultiLabelMarginLoss") for what in ("int32", "uint8")})


@pytest.mark.parametrize("name, kwargs, input, target, extra", LOSSES, ids=[_label(n, (), k) for n, k, *_ in LOSSES])
def test_every_loss_gives_torchs_result_or_a_clear_error_for_bad_input_and_targets(name, kwargs, input, target, extra):
    pytest.importorskip("torch")
    _check_calls(name, (), kwargs, [("a valid input and target", (Arr(input), Arr(target)), 0)]
                 + [(f"input {label}", (x, Arr(target)), 0) for label, x in _bad_tensors(input)]
                 + [(f"target {label}", (Arr(input), x), 1) for label, x in _bad_tensors(target)]
                 + [(label, (Arr(input), Arr(t)), 1) for label, t in extra])


# -------------------------------------------------------------- constructors
CONSTRUCTORS = [(name, args, kwargs, shape) for name, args, kwargs, shape in LAYERS] + [
    ("Embedding", (3, 4), {"padding_idx": 0}, None)] + [(name, (), kwargs, None) for name, kwargs, *_ in LOSSES]


def _constructor_failures(name, args, kwargs, shape):
    """Each setting of the layer in turn replaced by a wrong one: minigan refuses it clearly, or does what torch
    does with it (on a valid input)."""
    x = Arr(_values(shape) if shape else _values((2, 3), kind="labels"))
    variants = [(i, v) for i, a in enumerate(args) for v in _bad_settings(a)] + [
        (key, v) for key, a in kwargs.items() for v in _bad_settings(a)]
    failures = []
    for where, value in variants:
        bad_args = tuple(value if i == where else a for i, a in enumerate(args))
        bad_kwargs = {k: value if k == where else a for k, a in kwargs.items()}
        label = _label(name, bad_args, bad_kwargs)
        mine, error = _run(lambda: _build("mg", name, bad_args, bad_kwargs))
        theirs, torch_error = _run(lambda: _build("torch", name, bad_args, bad_kwargs, like=mine))
        if error is not None:
            outcome = _unclear(error, (name,))  # (an error at the first call may name the layer's function)
        elif torch_error is not None:
            outcome = f"minigan built what torch refuses ({type(torch_error).__name__}: {str(torch_error)[:200]})"
        elif shape is None:  # a loss, or Embedding: built alike is enough
            outcome = None
        else:
            outcome = _compare(_run(lambda: mine(x.make("mg"))), _run(lambda: theirs(x.make("torch"))),
                               (name, FUNCTION_OF.get(name, name)), random=name in RANDOM)
        if outcome:
            failures.append(f"{label}: {outcome}")
    return failures


@pytest.mark.parametrize("name, args, kwargs, shape", CONSTRUCTORS, ids=[_label(*case[:3]) for case in CONSTRUCTORS])
def test_every_layer_refuses_bad_settings_clearly_or_does_what_torch_does(name, args, kwargs, shape):
    pytest.importorskip("torch")
    failures = _constructor_failures(name, args, kwargs, shape)
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- functions
def _x(*shape, kind="normal", seed=0):
    return Arr(_values(shape, seed, kind))


# (function, positional arguments, keyword arguments), each a valid call; torch.nn.functional's function of the
# same name gets the same arguments
FUNCTIONS = [
    ("linear", (_x(2, 4), _x(3, 4, seed=1), _x(3, seed=2)), {}),
    ("conv2d", (_x(2, 3, 5, 5), _x(4, 3, 3, 3, seed=1), _x(4, seed=2), 1, 1), {}),
    ("conv_transpose2d", (_x(2, 3, 3, 3), _x(3, 4, 4, 4, seed=1), _x(4, seed=2), 2, 1, 1), {}),
    ("batch_norm", (_x(4, 3), _x(3, seed=1), _x(3, kind="positive"), _x(3, seed=2), _x(3, seed=3), True, 0.1, 1e-5),
     {}),
    ("batch_norm", (_x(4, 3, 2, 2), _x(3, seed=1), _x(3, kind="positive"), None, None, False), {}),
    ("layer_norm", (_x(2, 4), (4,), _x(4, seed=1), _x(4, seed=2), 1e-5), {}),
    ("group_norm", (_x(2, 4, 3, 3), 2, _x(4, seed=1), _x(4, seed=2), 1e-5), {}),
    ("instance_norm", (_x(2, 3, 4, 4), None, None, _x(3, seed=1), _x(3, seed=2)), {}),
    ("relu", (_x(2, 3),), {}),
    ("leaky_relu", (_x(2, 3), 0.2), {}),
    ("elu", (_x(2, 3), 1.0), {}),
    ("silu", (_x(2, 3),), {}),
    ("sigmoid", (_x(2, 3),), {}),
    ("tanh", (_x(2, 3),), {}),
    ("softplus", (_x(2, 3), 2.0, 20.0), {}),
    ("logsigmoid", (_x(2, 3),), {}),
    ("softmax", (_x(2, 3), 1), {}),
    ("log_softmax", (_x(2, 3), 1), {}),
    ("dropout", (_x(4, 3), 0.5, True), {}),
    ("dropout2d", (_x(2, 3, 4, 4), 0.5, True), {}),
    ("pad", (_x(2, 3, 4, 4), (1, 1, 2, 0)), {}),
    ("pad", (_x(2, 3, 4, 4), (1, 1, 2, 0), "reflect"), {}),
    ("pad", (_x(2, 3, 4, 4), (1, 1, 2, 0), "replicate"), {}),
    ("interpolate", (_x(2, 3, 4, 4), None, 2), {}),
    ("interpolate", (_x(2, 3, 4, 4), (6, 6)), {"mode": "bilinear"}),
    ("interpolate", (_x(2, 3, 4), 6), {"mode": "linear", "align_corners": True}),
    ("interpolate", (_x(2, 3, 4, 4), None, 1.5), {"mode": "bicubic"}),
    ("interpolate", (_x(2, 3, 4, 4), (3, 6)), {"mode": "area"}),
    ("pixel_shuffle", (_x(2, 8, 3, 3), 2), {}),
    ("avg_pool2d", (_x(2, 3, 4, 4), 2, 2, 1), {}),
    ("max_pool2d", (_x(2, 3, 4, 4), 3, 1, 1), {}),
    ("normalize", (_x(2, 3), 2.0, 1), {}),
    ("one_hot", (_x(4, kind="labels"), 3), {}),
    ("mse_loss", (_x(4, 3), _x(4, 3, seed=1)), {}),
    ("l1_loss", (_x(4, 3), _x(4, 3, seed=1)), {"reduction": "sum"}),
    ("binary_cross_entropy", (_x(4, 2, kind="probs"), _x(4, 2, kind="binary"), _x(2, kind="positive")), {}),
    ("binary_cross_entropy_with_logits", (_x(4, 2), _x(4, 2, kind="binary")),
     {"weight": _x(4, 1, kind="positive"), "pos_weight": _x(2, kind="positive", seed=1)}),
    ("cross_entropy", (_x(4, 3), _x(4, kind="labels"), _x(3, kind="positive")), {}),
    ("nll_loss", (_x(4, 3), _x(4, kind="labels")), {"reduction": "sum"}),
]
FUNCTIONS += [  # helper D's
    ("max_pool1d", (_x(2, 3, 7), 3, 2, 1), {"ceil_mode": True}),
    ("avg_pool1d", (_x(2, 3, 7), 3, 2, 1), {}),
    ("adaptive_avg_pool1d", (_x(2, 3, 5), 3), {}),
    ("adaptive_max_pool1d", (_x(2, 3, 5), 3), {}),
    ("dropout1d", (_x(2, 3, 4), 0.5, True), {}),
    ("rms_norm", (_x(2, 4), (4,), _x(4, seed=1), 1e-5), {}),
    ("instance_norm", (_x(2, 3, 4), _x(3, seed=1), _x(3, kind="positive"), _x(3, seed=2), _x(3, seed=3), False), {}),
]
AS_FLOATS.update({"leaky_relu", "elu", "silu", "softplus", "logsigmoid", "dropout", "dropout2d", "softmax",
                  "log_softmax", "max_pool2d", "avg_pool2d", "interpolate", "pad", "normalize", "binary_cross_entropy",
                  "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "mse_loss", "l1_loss"})
RANDOM += ("dropout", "dropout2d", "dropout1d")
AS_FLOATS.update({"max_pool1d", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d", "dropout1d"})
FUNCTIONS += [  # helper A's
    ("hardshrink", (_x(2, 3), 0.5), {}),
    ("softshrink", (_x(2, 3), 0.5), {}),
    ("tanhshrink", (_x(2, 3),), {}),
    ("rrelu", (_x(2, 3), 0.1, 0.3, False), {}),
    ("bilinear", (_x(2, 3), _x(2, 4, seed=1), _x(5, 3, 4, seed=2), _x(5, seed=3)), {}),
    ("relu_", (_x(2, 3),), {}),
    ("leaky_relu_", (_x(2, 3), 0.2), {}),
    ("elu_", (_x(2, 3), 0.5), {}),
    ("selu_", (_x(2, 3),), {}),
    ("celu_", (_x(2, 3), 0.5), {}),
    ("hardtanh_", (_x(2, 3), -0.5, 0.5), {}),
    ("threshold_", (_x(2, 3), 0.1, 20.0), {}),
    ("rrelu_", (_x(2, 3), 0.1, 0.3), {}),
]
AS_FLOATS.update({"hardshrink", "softshrink", "tanhshrink", "rrelu", "relu_", "leaky_relu_", "elu_", "selu_", "celu_",
                  "hardtanh_", "threshold_", "rrelu_"})
DELIBERATE.update({(function, f"argument 1 as {what}"): DELIBERATE[(loss, f"target {what}")]
                   for function, loss in (("cross_entropy", "CrossEntropyLoss"), ("nll_loss", "NLLLoss"),
                                          ("binary_cross_entropy", "BCELoss"),
                                          ("binary_cross_entropy_with_logits", "BCEWithLogitsLoss"))
                   for what in ("int32", "a NumPy array", "a list") if (loss, f"target {what}") in DELIBERATE})
DELIBERATE.update({
    ("layer_norm", "argument 1 as 4"): "normalized_shape as an int, as nn.LayerNorm takes it (torch's F: a tuple)",
    ("rms_norm", "argument 1 as 4"): "normalized_shape as an int, as nn.RMSNorm takes it (torch's F: a tuple)",
    ("softplus", "argument 2 as None"): "threshold=None: no linear shortcut (logsigmoid's softplus)",
    ("instance_norm", "argument 0 as a batch of 0"): DELIBERATE[("InstanceNorm2d", "a batch of 0")],
    **{("one_hot", f"argument 0 as {what}"): "labels of any integer dtype, or as a list or array"
       for what in ("int32", "uint8", "a NumPy array", "a list")},
})
FUNCTIONS += [  # helper L's
    ("margin_ranking_loss", (_x(4), _x(4, seed=1), Arr(_values((4,), seed=2, kind="binary") * 2 - 1)),
     {"margin": 0.5}),
    ("hinge_embedding_loss", (_x(4, 3), Arr(_values((4, 3), seed=1, kind="binary") * 2 - 1)), {}),
    ("soft_margin_loss", (_x(4, 3), Arr(_values((4, 3), seed=1, kind="binary") * 2 - 1)), {}),
    ("cosine_embedding_loss", (_x(4, 3), _x(4, 3, seed=1), Arr(_values((4,), seed=2, kind="binary") * 2 - 1)),
     {"margin": 0.2}),
    ("triplet_margin_loss", (_x(4, 3), _x(4, 3, seed=1), _x(4, 3, seed=2)), {"margin": 1.0, "p": 2.0, "eps": 1e-6}),
    ("triplet_margin_with_distance_loss", (_x(4, 3), _x(4, 3, seed=1), _x(4, 3, seed=2)), {"margin": 1.0}),
    ("gaussian_nll_loss", (_x(4, 3), _x(4, 3, seed=1), _x(4, 3, kind="positive")), {"eps": 1e-6}),
    ("gaussian_nll_loss", (_x(4, 3), _x(4, 3, seed=1), 0.5), {}),
    ("poisson_nll_loss", (_x(4, 3, kind="positive"), _x(4, 3, seed=1, kind="positive")), {"log_input": False}),
    ("multi_margin_loss", (_x(4, 3), _x(4, kind="labels")), {"p": 2, "weight": _x(3, kind="positive")}),
    ("multilabel_soft_margin_loss", (_x(4, 3), _x(4, 3, seed=1, kind="binary")), {"weight": _x(3, kind="positive")}),
    ("multilabel_margin_loss", (_x(4, 3), Arr(np.array([[0, -1, 2], [1, 2, -1], [2, 2, 2], [-1, 0, 0]]))), {}),
    ("pdist", (_x(4, 3),), {}),
]
AS_FLOATS.update({"margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss", "cosine_embedding_loss",
                  "triplet_margin_loss", "triplet_margin_with_distance_loss", "gaussian_nll_loss", "poisson_nll_loss",
                  "multi_margin_loss", "multilabel_soft_margin_loss", "multilabel_margin_loss"})
DELIBERATE.update({
    **{(function, f"argument 1 as {what}"): "labels of any integer dtype (torch: int64 only)"
       for function in ("multi_margin_loss", "multilabel_margin_loss") for what in ("int32", "uint8")},
    ("margin_ranking_loss", "argument 2 as uint8"): "a uint8 target is read as its values (torch negates it in "
                                                    "uint8: -1 becomes 255)",
})
FUNCTIONS += [  # helper P's
    ("upsample", (_x(2, 3, 4, 4), None, 2), {}),
    ("upsample", (_x(2, 3, 4, 4), (6, 5), None, "bilinear", False), {}),
    ("upsample_nearest", (_x(2, 3, 4, 4), (8, 4)), {}),
    ("upsample_bilinear", (_x(2, 3, 4, 4), None, 1.5), {}),
    ("channel_shuffle", (_x(2, 6, 3), 3), {}),
    ("local_response_norm", (_x(2, 4, 3, 3), 2, 0.5, 0.75, 1.5), {}),
    ("lp_pool1d", (_x(2, 3, 7), 2.0, 3, 2), {"ceil_mode": True}),
    ("lp_pool2d", (_x(2, 3, 4, 5), 3, 2), {}),
    ("alpha_dropout", (_x(4, 3), 0.5, True), {}),
    ("feature_alpha_dropout", (_x(2, 3, 4, 4), 0.5, True), {}),
]
RANDOM += ("alpha_dropout", "feature_alpha_dropout")
AS_FLOATS.update({"upsample", "upsample_nearest", "upsample_bilinear", "local_response_norm", "lp_pool1d",
                  "lp_pool2d", "alpha_dropout", "feature_alpha_dropout"})
DELIBERATE.update({(name, label): "integers pooled in float32 (torch averages their powers in integers, rounding "
                                  "the mean down)" for dtype in ("int64", "int32", "uint8") for name, label in
                   [("LocalResponseNorm", dtype), ("LPPool1d", dtype), ("LPPool2d", dtype)]
                   + [(f, f"argument 0 as {dtype}") for f in ("local_response_norm", "lp_pool1d", "lp_pool2d")]})


def _function_failures(name, args, kwargs, every=1, start=0):
    """The valid call, then each argument in turn replaced by a wrong one (every `every`-th of those calls, from
    number `start`), in minigan and in torch."""
    calls = [("the valid call", args, kwargs, 0)]
    for i, arg in enumerate(args):
        bad = _bad_tensors(arg.array) if isinstance(arg, Arr) else [(repr(v), v) for v in _bad_settings(arg)]
        calls += [(f"argument {i} as {label}", args[:i] + (x,) + args[i + 1:], kwargs, i) for label, x in bad]
    for key, arg in kwargs.items():
        bad = _bad_tensors(arg.array) if isinstance(arg, Arr) else [(repr(v), v) for v in _bad_settings(arg)]
        calls += [(f"{key} as {label}", args, dict(kwargs, **{key: x}), None) for label, x in bad]
    calls = calls[:1] + calls[1 + start::every]
    failures = []
    for label, args, kwargs, which in calls:
        if (name, label) in DELIBERATE:
            continue

        def call(lib, *args):
            f = getattr(torch.nn.functional if lib == "torch" else F, name)
            return f(*[_make(a, lib) for a in args], **{k: _make(v, lib) for k, v in kwargs.items()})

        as_floats = None
        if name in AS_FLOATS and which is not None:
            as_floats = _as_floats(lambda *args: call("torch", *args), args, which)
        outcome = _compare(_run(lambda: call("mg", *args)), _run(lambda: call("torch", *args)), (name,),
                           random=name in RANDOM, as_floats=as_floats)
        if outcome:
            failures.append(f"F.{name} with {label}: {outcome}")
    return failures


def test_every_function_gives_torchs_result_or_a_clear_error_for_a_third_of_its_bad_arguments():
    """The default run's share: each function with every third wrong argument (a different third for neighbouring
    functions). The layers' and losses' tests above call most of these functions with every wrong input."""
    pytest.importorskip("torch")
    failures = [f for i, case in enumerate(FUNCTIONS) for f in _function_failures(*case, every=3, start=i % 3)]
    assert not failures, "\n".join(failures)


@pytest.mark.slow
@pytest.mark.parametrize("name, args, kwargs", FUNCTIONS, ids=[_label(*case) for case in FUNCTIONS])
def test_every_function_gives_torchs_result_or_a_clear_error_for_bad_arguments(name, args, kwargs):
    pytest.importorskip("torch")
    failures = _function_failures(name, args, kwargs)
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------ devices
def _two_devices_failures(call, args, names):
    """`call` with each tensor argument in turn on the device, the others on the CPU: a clear error unless the
    call has no other tensor (then it runs on the device)."""
    failures = []
    tensors = [i for i, a in enumerate(args) if isinstance(a, Arr)]
    for i in tensors:
        if len(tensors) < 2:
            continue
        moved = [_make(a, "mg", device=DEVICE if j == i else "cpu") for j, a in enumerate(args)]
        result, error = _run(lambda: call(*moved))
        outcome = _unclear(error, names) if error else f"accepted tensors on two devices (gave {result.device})"
        if outcome:
            failures.append(f"tensor argument {i} on {DEVICE}: {outcome}")
    return failures


DEVICE = "cuda"


def test_tensors_on_two_devices_are_named_by_every_layer_loss_and_function(device):
    if device == "cpu":
        pytest.skip("needs a second device: runs as the cuda case (on a GPU, or through tests/fake_cupy)")
    failures = []
    for name, args, kwargs, shape in LAYERS + [("Embedding", (3, 4), {}, None)]:
        x = Arr(_values(shape) if shape else _values((2, 3), kind="labels"))
        if not list(_build("mg", name, args, kwargs).state_dict()):
            continue  # nothing of its own on the CPU: it runs on the input's device
        for where in ("layer", "input"):  # that one on the device, the other on the CPU
            layer = _build("mg", name, args, kwargs).to(device if where == "layer" else "cpu")
            _, error = _run(lambda: layer(x.make("mg", device=device if where == "input" else "cpu")))
            outcome = _unclear(error, (name,)) if error else "accepted an input on another device"
            if outcome:
                failures.append(f"{_label(name, args, kwargs)} with the {where} on the other device: {outcome}")
    for name, kwargs, input, target, _ in LOSSES:
        criterion = _build("mg", name, (), kwargs)
        failures += [f"{_label(name, (), kwargs)}: {f}" for f in _two_devices_failures(
            criterion, (Arr(input), Arr(target)), (name, FUNCTION_OF[name]))]
    for name, args, kwargs in FUNCTIONS:
        failures += [f"F.{name}: {f}" for f in _two_devices_failures(
            lambda *args: getattr(F, name)(*args, **{k: _make(v, "mg") for k, v in kwargs.items()}), args, (name,))]
    assert not failures, "\n".join(failures)


# ------------------------------------------------ the bugs the fuzzer found
def test_convolution_settings_of_the_wrong_type_name_the_layer_or_function():
    """They said "stride must be an int ...", naming no layer."""
    x, w = mg.randn(1, 3, 5, 5), mg.randn(4, 3, 3, 3)
    with pytest.raises(TypeError, match=r"^conv2d: stride must be an int or an \(h, w\) pair of ints, got 1.5$"):
        F.conv2d(x, w, stride=1.5)
    with pytest.raises(TypeError, match=r"^conv2d: padding must be an int or an \(h, w\) pair of ints, got None$"):
        F.conv2d(x, w, padding=None)
    with pytest.raises(TypeError, match=r"^conv_transpose2d: output_padding must be an int or an \(h, w\) pair"):
        F.conv_transpose2d(x, mg.randn(3, 4, 3, 3), stride=2, output_padding="1")
    with pytest.raises(TypeError, match=r"^Conv2d: padding must be an int or an \(h, w\) pair of ints, got \(1, 1, 1"):
        nn.Conv2d(3, 4, 3, padding=(1, 1, 1))
    with pytest.raises(TypeError, match=r"^ConvTranspose2d: dilation must be an int or an \(h, w\) pair of ints"):
        nn.ConvTranspose2d(3, 4, 3, dilation=(1, 1, 1))


def test_batch_norm_checks_its_input_statistics_and_settings():
    x, mean, var = mg.randn(4, 3), mg.zeros(3), mg.ones(3)
    with pytest.raises(ValueError, match=r"batch_norm: expected input of shape \(N, C, ...\), got shape \(3,\)"):
        F.batch_norm(mg.randn(3), mean, var)  # was an IndexError: tuple index out of range
    with pytest.raises(ValueError, match="batch_norm: running_mean and running_var must both be given or both be "
                                         "None, got only running_var"):
        F.batch_norm(x, None, var, training=True)  # running_var was silently left as it was
    with pytest.raises(ValueError, match="got only running_mean"):
        F.batch_norm(x, mean, None, training=True)  # was an AttributeError
    with pytest.raises(TypeError, match="batch_norm: eps must be a number, got str '0.5'"):
        F.batch_norm(x, mean, var, eps="0.5")  # was read as 0.5
    with pytest.raises(ValueError, match=r"batch_norm: eps must be > 0 .*, got -0.5"):
        F.batch_norm(x, mean, var, training=True, eps=-0.5)  # was a NaN output
    with pytest.raises(ValueError, match="batch_norm: momentum=None .* needs num_batches_tracked, got None"):
        F.batch_norm(x, mean, var, training=True, momentum=None)  # was an AttributeError
    assert mean.numpy().tolist() == [0.0] * 3 and var.numpy().tolist() == [1.0] * 3  # refused before any update


def test_layer_group_and_instance_norm_refuse_an_affine_of_the_wrong_shape():
    """A weight or bias of the wrong shape was broadcast without a word (or reached reshape's error)."""
    with pytest.raises(ValueError, match=r"layer_norm: weight must have the normalized shape \(4,\), got shape \(\)"):
        F.layer_norm(mg.randn(2, 4), (4,), weight=mg.tensor(2.0))
    with pytest.raises(ValueError, match=r"layer_norm: bias must have the normalized shape \(4,\), got shape \(1, 4\)"):
        F.layer_norm(mg.randn(2, 4), (4,), bias=mg.zeros(1, 4))
    with pytest.raises(ValueError, match=r"group_norm: weight must hold one value per channel, shape \(4,\) for input "
                                         r"shape \(2, 4, 3, 3\), got shape \(1, 4\)"):
        F.group_norm(mg.randn(2, 4, 3, 3), 2, weight=mg.ones(1, 4))
    with pytest.raises(ValueError, match=r"instance_norm: bias must hold one value per channel, shape \(3,\) .*got "
                                         r"shape \(4,\)"):
        F.instance_norm(mg.randn(2, 3, 4, 4), bias=mg.zeros(4))


def test_norm_settings_of_the_wrong_type_are_named():
    with pytest.raises(TypeError, match="LayerNorm: normalized_shape must be an int or a tuple of ints, got float 2.5"):
        nn.LayerNorm(2.5)  # was "'float' object is not iterable"
    for layer in (lambda: nn.LayerNorm(4, eps=None), lambda: nn.GroupNorm(2, 4, eps="0.1"),
                  lambda: nn.InstanceNorm2d(3, eps=None)):
        with pytest.raises(TypeError, match=r"^(LayerNorm|GroupNorm|InstanceNorm2d): eps must be a number, got"):
            layer()  # was accepted, then "cannot combine a Tensor with NoneType" at the first call
    with pytest.raises(ValueError, match="group_norm: num_groups must be a positive int, got 0"):
        F.group_norm(mg.randn(2, 4, 3, 3), 0)  # was a ZeroDivisionError


def test_group_norm_of_a_batch_of_0_is_empty_as_in_torch():
    y = nn.GroupNorm(2, 4)(mg.zeros(0, 4, 3, 3))  # was reshape's error: (0, 2, -1) leaves -1 open
    assert y.shape == (0, 4, 3, 3) and y.dtype == mg.float32


def test_activation_and_embedding_settings_and_inputs_are_named():
    with pytest.raises(TypeError, match=r"^SiLU: expected a minigan Tensor, got None"):
        nn.SiLU()(None)  # named the sigmoid inside
    with pytest.raises(TypeError, match="Softplus: threshold must be a number, got str '0.5'"):
        nn.Softplus(threshold="0.5")  # was read as 0.5 at the first call
    with pytest.raises(TypeError, match="Embedding: padding_idx must be an int \\(or None\\), got float 2.5"):
        nn.Embedding(3, 4, padding_idx=2.5)  # was NumPy's IndexError


def test_embedding_ids_on_another_device_are_named(device):
    if device == "cpu":
        pytest.skip("needs a second device: runs as the cuda case (on a GPU, or through tests/fake_cupy)")
    ids = mg.tensor(np.array([0, 2]))
    with pytest.raises(RuntimeError, match=r"Embedding\(3, 4\): the ids are on 'cpu' and the weight on 'cuda'; "
                                           r"move the ids with ids.to\('cuda'\)"):
        nn.Embedding(3, 4).to(device)(ids)  # the ids were copied to the device without a word
    with pytest.raises(RuntimeError, match=r"the ids are on 'cuda' and the weight on 'cpu'"):
        nn.Embedding(3, 4)(ids.to(device))  # was where()'s error
