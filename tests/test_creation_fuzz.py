"""A differential fuzzer of tensor creation and conversion against PyTorch.

Each case draws, from a small grammar, what a learner types first: ``tensor(data, dtype=...,
requires_grad=...)`` of nested lists of Python bools, ints and floats (mixed, 0-d, empty, ragged),
NumPy numbers and arrays of many dtypes, lists of 0-d tensors or a tensor; and the factories
(``zeros``, ``ones``, ``full``, ``arange``, ``linspace``, ``eye``, the ``*_like`` ones, ``randn``,
``rand``, ``randint``, ``randperm``) with shapes as ints, tuples, lists, 0 and (). It runs the
case in minigan and in torch and asks for the same outcome: both raise (minigan from its own
code, with its own words), or both give the same dtype, shape, ``requires_grad`` and exact
values (only dtype and shape for random draws). Each tensor made is then converted back the
ways a learner does (``item``, ``tolist`` with its exact Python types, ``float``/``int``/``bool``,
``len``, iteration, ``in``, ``size``, ``dim``, ``numel``, ``.to(dtype)``, ``float()`` ...
``half()``), compared the same way; ``repr`` and ``str`` must just work.

Differences kept on purpose (each skipped where it would show):
- ``x.numpy()`` of a tensor that requires grad gives its values here (on the CPU the array itself,
  shared as torch's ``numpy()`` shares a tensor's memory); torch refuses ("use tensor.detach().numpy()").
- ``np.bool_`` goes to torch as Python's bool: torch reads it as a number it cannot place
  (``torch.tensor([np.bool_(True), 2])`` raises), here it is a bool, as in tests/test_dtype_fuzz.py.
- torch's ``randn_like``/``rand_like`` of an empty integer tensor gives it back (nothing to draw);
  here an integer dtype is refused whatever the size.
- a 0-d float tensor or a NumPy float in a list made an integer or bool tensor (``tensor([np.float32(1.5)],
  dtype=int64)``) is converted here as a Python float is (truncated toward zero; torch converts Python
  floats but refuses these).
- torch's ``randn``/``rand`` of an empty shape in an integer dtype draws nothing and checks nothing.
- ``full`` with a number beyond float16's range or float32's: torch refuses 1e39 as float32 and
  2**63 as float16 but makes 70000.0 float16 inf; here all of them are inf, as ``tensor(1e39)`` is in both.
- a ragged list whose first row is empty (``[[], [1, 2]]``) is refused here; torch reads it as
  shape (2, 0), dropping the numbers.
- ``linspace`` with ``dtype=bool``, or an end an integer dtype cannot hold, is refused here; torch
  refuses them too, except for 0 or 1 values.
- ``arange(1, 5, 0.5, dtype=int32)``: the step is 0 as an integer, refused here (as torch refuses it
  for int64); torch gives 1 eight times for the other integer dtypes.
- ``zeros()``, ``ones()``, ``randn()`` and ``rand()`` with no shape at all give a 0-d tensor here
  (minigan's own code spreads a shape that may be ``()``: ``zeros(*shape)``); torch asks for the size.
- minigan's dtypes are the names ("float32"), so each side gets its own library's dtype object.
"""

import math
import operator
import os
import random
import traceback
import warnings

import numpy as np
import pytest

import minigan as mg

try:
    import torch
except ImportError:  # the regression tests at the end run without it; the fuzzer skips
    torch = None

pytestmark = [pytest.mark.filterwarnings("ignore:To copy construct from a tensor:UserWarning"),  # torch's advice
              pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True:UserWarning")]

DTYPES = ("float32", "float64", "float16", "int64", "int32", "uint8", "bool")
ARRAY_DTYPES = DTYPES + ("int8", "int16")
NUMPY_NUMBERS = (np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8)


def _dtype(lib, name):
    return None if name is None else getattr(mg if lib == "mg" else torch, name)


# ---------------------------------------------------------------- the grammar of data
def _number(rng):
    """One leaf of a list: a Python bool, int or float, or a NumPy number, with the awkward values among them."""
    pick = rng.random()
    if pick < 0.2:
        return rng.choice([True, False])
    if pick < 0.45:
        return rng.choice([0, 1, -1, 7, 255, 256, -255, -256, 300, 2 ** 31, 2 ** 63 - 1, 2 ** 63, -2 ** 63])
    if pick < 0.8:
        return rng.choice([0.0, -0.0, 1.5, -2.7, 2.5, 255.9, 1e10, -1e10, float("nan"), float("inf"), -float("inf")])
    kind = rng.choice(NUMPY_NUMBERS)
    return kind(rng.choice([0, 1, 3, 7]) if np.dtype(kind).kind in "iu" else rng.choice([1.5, -0.5, 2.0]))


def _shape(rng):
    return rng.choice([(), (0,), (1,), (3,), (2, 2), (2, 0), (0, 3), (1, 2, 2)])


def _nested(rng, shape, leaf):
    if not shape:
        return leaf()
    return [_nested(rng, shape[1:], leaf) for _ in range(shape[0])]


def _data(rng):
    """A spec of tensor() data: (kind, payload), made into each library's objects by _make_data."""
    pick = rng.random()
    if pick < 0.5:  # nested lists (or a number) of one leaf kind, or of mixed kinds
        pool = [_number(rng) for _ in range(rng.choice([1, 2, 3]))]
        data = _nested(rng, _shape(rng), lambda: rng.choice(pool))
        if rng.random() < 0.1 and isinstance(data, list) and data and _leaves(data[0]):  # ragged (see the docstring)
            data = data + [[pool[0]] * 5]
        if rng.random() < 0.1 and isinstance(data, list):  # tuples are sequences too
            data = tuple(data)
        if rng.random() < 0.05:  # and so is a range
            data = range(rng.choice([0, 3, 300]))
        return "list", data
    if pick < 0.75:
        name = rng.choice(ARRAY_DTYPES)
        shape = _shape(rng)
        values = np.array(rng.choice([[0, 1, 2, 3], [-2.5, 0.5, 1.5, 3.0], [0.0, 1.0, 0.0, 1.0]]))
        return "array", np.resize(values, shape).astype(name) if np.prod(shape) else np.zeros(shape, name)
    if pick < 0.9:  # a list of 0-d tensors, of one or two dtypes
        return "tensors", [(rng.choice([1.5, 2.0, -3.0]), rng.choice(DTYPES)) for _ in range(rng.choice([1, 2, 3]))]
    return "tensor", (rng.choice([[1.5, -2.0], [[1, 2], [3, 4]], 2.5]), rng.choice(DTYPES))


def _leaves(data):
    if isinstance(data, (list, tuple)):
        return [leaf for item in data for leaf in _leaves(item)]
    return [data]


def _holds_float_numbers(spec):
    """Whether tensor() data holds a float tensor or a NumPy float number, which torch refuses to make integers."""
    kind, payload = spec
    if kind == "tensors":
        return any(dtype.startswith("float") for _, dtype in payload)
    if kind == "list":
        return any(isinstance(v, np.floating) for v in _leaves(payload))
    return False


def _small_tensor(m, values, dtype):
    """A tensor of a few values in `dtype` (of their sizes in uint8: -2.0 is refused there, as in torch)."""
    values = np.abs(values).tolist() if dtype == "uint8" else values
    return m.tensor(values, dtype=_dtype("mg" if m is mg else "torch", dtype))


def _plain_number(v, lib):
    if lib == "torch" and isinstance(v, np.bool_):  # see the module docstring
        return bool(v)
    return v


def _make_data(spec, lib):
    kind, payload = spec
    m = mg if lib == "mg" else torch
    if kind == "list":
        def convert(x):
            if isinstance(x, (list, tuple)):
                return type(x)(convert(i) for i in x)
            return _plain_number(x, lib)
        return convert(payload)
    if kind == "array":
        return payload.copy()
    if kind == "tensors":
        return [_small_tensor(m, v, d) for v, d in payload]
    values, dtype = payload
    return _small_tensor(m, values, dtype)


# ---------------------------------------------------------------- outcomes
class Raised:
    def __init__(self, error):
        self.error = error

    def __repr__(self):
        return f"raises {type(self.error).__name__}: {self.error}"


def _normalise(value):
    """Library-free: a tensor as (dtype, shape, values, requires_grad), numbers with their exact Python type."""
    if isinstance(value, (mg.Tensor, torch.Tensor)):
        return ("tensor", str(value.dtype).replace("torch.", ""), tuple(value.shape), _normalise(value.tolist()),
                value.requires_grad)
    if isinstance(value, (list, tuple)) and not isinstance(value, torch.Size):
        return [_normalise(v) for v in value]
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    if isinstance(value, float) and value == 0:
        return ("float", math.copysign(1.0, value) * 0.0, str(value))  # -0.0 stays -0.0
    return (type(value).__name__, value)


def _run(fn):
    try:
        return fn()
    except Exception as error:  # noqa: BLE001 - every refusal is compared with torch's
        return Raised(error)


def _raised_in_minigan(error):
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and frames[-1].filename.startswith(os.path.dirname(mg.__file__))


def _compare(label, mine, theirs, values=True):
    """Both raise (minigan in its own code), or both give the same normalised result."""
    if isinstance(mine, Raised) and isinstance(theirs, Raised):
        assert _raised_in_minigan(mine.error), f"{label}: minigan's error comes from outside minigan: {mine!r}"
        return False
    assert not isinstance(mine, Raised) and not isinstance(theirs, Raised), \
        f"{label}:\n  minigan {mine!r}\n  torch   {theirs!r}"
    a, b = _normalise(mine), _normalise(theirs)
    if not values and a[0] == "tensor":  # random draws: dtype, shape and requires_grad
        a, b = a[:3] + a[4:], b[:3] + b[4:]
    assert a == b, f"{label}:\n  minigan {a}\n  torch   {b}"
    return True


CONVERSIONS = {
    "item": lambda t: t.item(),
    "tolist": lambda t: t.tolist(),
    "float": lambda t: float(t),
    "int": lambda t: int(t),
    "bool": lambda t: bool(t),
    "len": lambda t: len(t),
    "iter": lambda t: list(t),
    "in 1.5": lambda t: 1.5 in t,
    "in True": lambda t: True in t,
    "numpy": lambda t: t.numpy().tolist(),
    "shape": lambda t: tuple(t.shape),
    "size()": lambda t: tuple(t.size()),
    "size(0)": lambda t: t.size(0),
    "size(-1)": lambda t: t.size(-1),
    "dim": lambda t: t.dim(),
    "ndim": lambda t: t.ndim,
    "numel": lambda t: t.numel(),
    "is_floating_point": lambda t: t.is_floating_point(),
    "index": lambda t: operator.index(t),
    "float()": lambda t: t.float(),
    "double()": lambda t: t.double(),
    "long()": lambda t: t.long(),
    "int()": lambda t: t.int(),
    "bool()": lambda t: t.bool(),
    "half()": lambda t: t.half(),
}


def _skipped(name, t):
    """The deliberate differences of the module docstring."""
    return name == "numpy" and t.requires_grad


def _check_conversions(label, mine, theirs, rng):
    assert isinstance(repr(mine), str) and isinstance(str(mine), str)
    for name, convert in CONVERSIONS.items():
        if not _skipped(name, mine):
            _compare(f"{label}.{name}", _run(lambda: convert(mine)), _run(lambda: convert(theirs)))
    target = rng.choice(DTYPES)
    if not (mine.dtype.kind == "f" and target in ("int32", "uint8", "int64") and not np.isfinite(mine.data).all()):
        # (a NaN or inf made an integer is undefined in C: NumPy's and torch's garbage may differ)
        _compare(f"{label}.to({target})", _run(lambda: mine.to(_dtype("mg", target))),
                 _run(lambda: theirs.to(_dtype("torch", target))))


# ---------------------------------------------------------------- one case
def _tensor_case(rng, label):
    spec = _data(rng)
    dtype = rng.choice([None, None, *DTYPES])
    requires_grad = rng.random() < 0.25
    if spec[0] == "array" and dtype in ("int32", "uint8", "int64", "bool") and spec[1].dtype.kind == "f":
        dtype = None  # a float array's -2.5 as uint8 is C's undefined cast: NumPy and torch may differ
    if dtype in ("int32", "uint8", "int64", "bool") and _holds_float_numbers(spec):
        dtype = "float32"  # see the module docstring
    label = f"{label}: tensor({spec[1]!r}, dtype={dtype}, requires_grad={requires_grad})"

    def make(lib):
        m = mg if lib == "mg" else torch
        data = _make_data(spec, lib)
        return m.tensor(data, dtype=_dtype(lib, dtype), requires_grad=requires_grad)

    mine, theirs = _run(lambda: make("mg")), _run(lambda: make("torch"))
    if _compare(label, mine, theirs):
        _check_conversions(label, mine, theirs, rng)


def _size_args(rng):
    """A shape the way a learner writes it: zeros(2, 3), zeros((2, 3)), zeros([2, 3]), zeros(()), zeros(0)."""
    shape = rng.choice([(), (0,), (3,), (2, 3), (1, 0, 2), (-1,), (2, -3)])
    form = rng.choice(["spread", "tuple", "list"])
    if form == "spread" and not shape:
        form = "tuple"  # see the module docstring: zeros() is a 0-d tensor here, an error in torch
    return (tuple(shape),) if form == "tuple" else (list(shape),) if form == "list" else shape


def _factory_case(rng, label):
    """A call of a factory, as (function name, args, kwargs) of small values, and whether its values are random."""
    dtype = rng.choice([None, None, *DTYPES])
    kw = {"dtype": dtype}
    name = rng.choice(["zeros", "ones", "full", "arange", "linspace", "eye", "zeros_like", "ones_like",
                       "full_like", "randn_like", "rand_like", "randn", "rand", "randint", "randperm"])
    number = lambda: rng.choice([0, 1, -2, 3, 5, 0.5, -1.5, 2.5, True, np.float64(1.5), np.int32(2)])  # noqa: E731
    if name in ("zeros", "ones", "randn", "rand"):
        args = _size_args(rng)
        kw["requires_grad"] = rng.random() < 0.2
    elif name == "full":
        args = (rng.choice([(), (2,), (2, 3), (0,), [3]]), rng.choice([*map(_number, [rng] * 3), number()]))
    elif name == "arange":
        args = tuple(number() for _ in range(rng.choice([1, 2, 3])))
    elif name == "linspace":
        args = (number(), number(), rng.choice([0, 1, 2, 5, -1]))
    elif name == "eye":
        args = tuple(rng.choice([0, 1, 3, -1]) for _ in range(rng.choice([1, 2])))
    elif name.endswith("_like"):
        values, like_dtype = rng.choice([[1.5, -2.0], [[1, 2], [3, 4]], 2.5, []]), rng.choice(DTYPES)
        if name in ("randn_like", "rand_like") and values == []:  # see the module docstring
            values = [1.5]
        args = (("like", values, like_dtype),) + ((_number(rng),) if name == "full_like" else ())
    elif name == "randint":
        args = (*rng.choice([(5,), (2, 7), (3, 3), (0,)]), rng.choice([(3,), (2, 2), (), (0,)]))
    else:
        args = (rng.choice([0, 1, 4, -1]),)
    kw = {k: v for k, v in kw.items() if v is not None}
    random_values = name.startswith("rand")
    if name in ("randn", "rand") and dtype not in (None, "float32", "float64", "float16") and 0 in np.ravel(args):
        args = (2, 3)  # see the module docstring: torch draws nothing for an empty shape, and checks nothing
    if name == "linspace" and dtype not in (None, "float32", "float64", "float16") and args[2] in (0, 1):
        args = args[:2] + (5,)  # torch checks nothing for 0 or 1 values (a bool linspace, -1.5 as uint8)
    if name == "arange" and dtype in ("int32", "uint8") and len(args) == 3 and int(args[2]) == 0:
        args = args[:2]  # see the module docstring
    target = args[0][2] if name == "full_like" and dtype is None else dtype
    if name in ("full", "full_like") and target is not None and target.startswith("float"):
        if isinstance(args[-1], (float, int)) and math.isfinite(args[-1]) and abs(args[-1]) > 65504:
            args = args[:-1] + (2.5,)  # see the module docstring
    label = f"{label}: {name}{args} {kw}"

    def call(lib):
        m = mg if lib == "mg" else torch
        made = [_small_tensor(m, a[1], a[2]) if isinstance(a, tuple) and a[:1] == ("like",)
                else _plain_number(a, lib) for a in args]
        kwargs = {k: (_dtype(lib, v) if k == "dtype" else v) for k, v in kw.items()}
        return getattr(m, name)(*made, **kwargs)

    mine, theirs = _run(lambda: call("mg")), _run(lambda: call("torch"))
    if _compare(label, mine, theirs, values=not random_values) and not random_values:
        _check_conversions(label, mine, theirs, rng)


def _fuzz(seed, cases):
    rng = random.Random(seed)
    mg.manual_seed(seed)
    for i in range(cases):
        (_tensor_case if rng.random() < 0.6 else _factory_case)(rng, f"seed {seed}, case {i}")


def test_creation_and_conversion_match_torch():
    pytest.importorskip("torch")
    _fuzz(0, 1500)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1, 21))
def test_creation_and_conversion_match_torch_sweep(seed):
    pytest.importorskip("torch")
    _fuzz(seed, 3000)


# ---------------------------------------------------------------- what the fuzzer found
@pytest.mark.parametrize("data, dtype", [(2 ** 63, None), ([1, 2 ** 63], None), (300, "uint8"), (-2.7, "uint8"),
                                         (float("nan"), "int64"), (float("inf"), "int32"), ([1e10], "int32")])
def test_tensor_refuses_a_number_its_integer_dtype_cannot_hold(data, dtype):
    # these were wrapped around (300 as uint8 was 44, 2**63 was -2**63) or NaN made garbage; torch refuses them
    with pytest.raises(ValueError, match=r"^tensor: .* cannot be converted to .* without overflow"):
        mg.tensor(data, dtype=dtype)


def test_tensor_converts_each_number_on_its_own_as_torch():
    assert mg.tensor(-1, dtype=mg.uint8).item() == 255  # a negative int wraps into uint8, in torch too
    assert mg.tensor([-255, 1.5], dtype=mg.uint8).tolist() == [1, 1]
    assert mg.tensor([2.7, -2.7], dtype=mg.int32).tolist() == [2, -2]  # toward zero
    # a float among them made every number a float64 before: 2**63 - 1 became 2**63, and overflowed
    assert mg.tensor([1e10, 2 ** 63 - 1], dtype=mg.int64).tolist() == [10 ** 10, 2 ** 63 - 1]
    assert mg.tensor([False, -1, -0.0], dtype=mg.uint8).tolist() == [0, 255, 0]
    assert mg.tensor(range(3), dtype=mg.int32).tolist() == [0, 1, 2]


def test_full_checks_its_value():
    with pytest.raises(ValueError, match="^full: nan cannot be converted to int64"):
        mg.full((2,), float("nan"), dtype=mg.int64)
    with pytest.raises(ValueError, match="^full: 300 cannot be converted to uint8"):
        mg.full((2,), 300, dtype=mg.uint8)
    with pytest.raises(TypeError, match=r"^full: value must be a number, got \(1\+1j\) \(minigan's tensors hold no complex numbers\)"):
        mg.full((2,), 1 + 1j)  # was float32 ones: the imaginary part dropped
    assert mg.full((2,), -1, dtype=mg.uint8).tolist() == [255, 255]  # NumPy refused it, torch wraps it


def test_linspace_takes_one_element_tensors_and_makes_its_ends_the_dtype_first():
    assert mg.linspace(mg.tensor(0.0), mg.tensor(1.0), 3).tolist() == [0.0, 0.5, 1.0]  # was an AttributeError
    with pytest.raises(ValueError, match="^linspace: start and end must be numbers or one-element tensors"):
        mg.linspace(mg.tensor([0.0, 1.0]), 1.0, 3)
    # -2 as uint8 is 254 first: 254, 190.5, 127, 63.5, 0 truncated (it was -2, -1.375, ... each wrapped)
    assert mg.linspace(-2, 0.5, 5, dtype=mg.uint8).tolist() == [254, 190, 127, 63, 0]
    with pytest.raises(ValueError, match="^linspace: -1.5 cannot be converted to uint8"):
        mg.linspace(-1.5, 1, 3, dtype=mg.uint8)


def test_rand_and_randn_draw_float16():
    mg.manual_seed(0)
    u, z = mg.rand(4000, dtype=mg.float16), mg.randn(3, 2, dtype=mg.half)  # NumPy's "Unsupported dtype" before
    assert u.dtype == np.float16 and z.dtype == np.float16 and z.shape == (3, 2)
    values = u.numpy().astype(np.float64)
    assert values.min() >= 0 and values.max() < 1 and (values * 2048 == np.floor(values * 2048)).all()


def test_randint_and_randperm_refuse_what_their_dtype_cannot_hold():
    for low, high, dtype in [(0, 3, mg.bool), (0, 300, mg.uint8), (-1, 3, mg.uint8)]:  # were wrapped around
        with pytest.raises(ValueError, match="^randint: draws from"):
            mg.randint(low, high, (2,), dtype=dtype)
    assert mg.randint(0, 2, (4,), dtype=mg.bool).dtype == np.bool_
    for n in (2.5, -1):  # 2.5 was a permutation of 2, -1 NumPy's "negative dimensions"
        with pytest.raises(ValueError, match="^randperm: n must be an int >= 0"):
            mg.randperm(n)
    for n, dtype in [(4, mg.bool), (257, mg.uint8)]:
        with pytest.raises(TypeError, match="^randperm: .* cannot hold 0 to"):
            mg.randperm(n, dtype=dtype)
    assert sorted(mg.randperm(256, dtype=mg.uint8).tolist()) == list(range(256))


@pytest.mark.parametrize("args", [(float("nan"),), (float("inf"),), (0, 5, -float("inf"))])
def test_arange_refuses_non_finite_numbers(args):
    with pytest.raises(ValueError, match="^arange: start, end and step must be finite numbers"):  # NumPy's words
        mg.arange(*args)


def test_half():
    x = mg.tensor([1.5, 70000.0], requires_grad=True)
    y = x.half()  # was an AttributeError
    assert y.dtype == np.float16 and y.tolist() == [1.5, float("inf")]
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 1.0]


def test_creation_and_casts_give_no_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mg.tensor([1e10], dtype=mg.float16).tolist() == [float("inf")]
        assert mg.full((1,), 1e10, dtype=mg.float16).tolist() == [float("inf")]
        assert mg.tensor(float("nan")).long().dtype == np.int64  # the value is undefined, as in torch


def test_an_integer_tensor_requiring_grad_says_what_to_do():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients, got dtype int64; give a "
                                        "float dtype, e.g. dtype=minigan.float32"):
        mg.tensor([1, 2], requires_grad=True)


def test_a_boolean_tensor_of_one_element_is_an_index_as_in_python_and_torch():
    assert [10, 20][mg.tensor(True)] == 20 and range(3)[mg.tensor(False)] == 0
    with pytest.raises(TypeError, match="only integer tensors of one element can be used as an index"):
        [10, 20][mg.tensor(1.0)]


def test_a_0d_tensor_cast_to_a_wider_float_gets_that_dtype():
    # NumPy 1 only: Function.__call__ narrowed every 0-d float result to its widest input, a cast's too
    x = mg.tensor(1.5)
    assert x.double().dtype == np.float64 and x.to(dtype="float64").dtype == np.float64
    assert mg.tensor(1.5, dtype="float64").float().dtype == np.float32
