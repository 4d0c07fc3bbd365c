"""A NumPy-backed stand-in for CuPy that keeps CuPy's rules about host memory (tests only).

It lets the CPU-only test machine run every ``device="cuda"`` test through
minigan's CuPy code paths (``tests/test_fake_cupy.py``;
``MINIGAN_FAKE_CUPY=1 MINIGAN_TEST_DEVICE=cuda python -m pytest`` by hand).
It is not a GPU: the arithmetic is NumPy's, and nothing here says a CUDA
kernel works or is fast. ``bash tests/gpu_check.sh`` on a real GPU stays the
acceptance check. What it does check is what CuPy refuses:

* an implicit device -> host copy: ``np.asarray(a)`` of a device array raises
  CuPy's TypeError (only ``.get()`` / ``cupy.asnumpy`` copy to the host);
* a host array inside device arithmetic: a ufunc or a ``cupy`` function given
  a ``numpy.ndarray`` raises "Unsupported type" (Python and NumPy scalars are
  fine); ``cupy.asarray`` / ``cupy.array`` are the explicit host -> device copies,
  and ``a[...] = host_array`` / ``a[:] = host_array`` the one setitem CuPy accepts;
* reductions give 0-d device arrays, not NumPy scalars;
* inside ``cupyx.allow_synchronize(False)`` every read of device memory by the
  host (``.get()``, ``float(a)``, ``if a:``, printing) raises
  ``cupyx.DeviceSynchronized``: CuPy's detector of hidden synchronizations;
* the random generator keeps its state in a device buffer
  (``bit_generator._state``), as CuPy's does, and a fused kernel
  (``ElementwiseKernel``) updates its output arrays in place.

``_calls`` counts every call CuPy would serve, by name (``tests/device_calls.py``
reports them for one DCGAN iteration: on a GPU each costs host time).
"""

import collections as _collections
import sys as _sys
import types as _types
import weakref as _weakref

import numpy as _np

from ._real_names import MODULE as _CUPY_NAMES
from ._real_names import NDARRAY as _NDARRAY_NAMES
from ._real_names import VERSION as _REAL_VERSION

__version__ = "0.0-fake (NumPy stand-in for tests)"
_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
             "Please use `.get()` to construct a NumPy array explicitly.")


_sync_allowed = [True]  # cupyx.allow_synchronize sets it
_calls = _collections.Counter()  # every call CuPy would serve, by name (tests/device_calls.py reports them)


class _DeviceSynchronized(RuntimeError):
    """cupyx.DeviceSynchronized: a host read of device memory inside ``allow_synchronize(False)``."""


def _synchronize(what):
    """Every host read of device memory waits for the device; refused inside allow_synchronize(False)."""
    if not _sync_allowed[0]:
        raise _DeviceSynchronized(f"device synchronization detected ({what})")


def _unsupported(value, where=None):
    """CuPy's error for a host array where a device array belongs (the stand-in also says where)."""
    return TypeError(f"Unsupported type {type(value)}" + (f" (a NumPy array given to {where})" if where else ""))


def _unwrap(obj, where):
    """Device arrays -> their NumPy arrays; a NumPy array is refused, as CuPy refuses it."""
    if isinstance(obj, ndarray):
        return obj._a
    if isinstance(obj, _np.ndarray):
        raise _unsupported(obj, where)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unwrap(o, where) for o in obj)
    return obj


def _wrap(obj):
    if isinstance(obj, _np.ndarray):
        return ndarray(obj)
    if isinstance(obj, _np.generic):  # CuPy's reductions and indexing give 0-d device arrays
        return ndarray(_np.asarray(obj))
    if isinstance(obj, tuple):
        return tuple(_wrap(o) for o in obj)
    if isinstance(obj, list):
        return [_wrap(o) for o in obj]
    return obj


def _index(key):
    """An index may hold device arrays (and, as in CuPy, host integer arrays)."""
    if isinstance(key, ndarray):
        return key._a
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    return key


def _integer_arrays_in(key):
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, (_np.ndarray, list)) and _np.asarray(k).dtype.kind in "iu" for k in parts)


def _first_of_repeats_wins(a, key, value):
    """``a[key] = value`` where an integer index may repeat a position: CuPy's threads write in no fixed order, so
    any one of the repeated values may stay. NumPy keeps the last; the stand-in keeps the first, so that code
    relying on NumPy's order (a nondeterminism on a GPU) gives other values here and fails its tests."""
    positions = None  # the flat position of each picked entry, from zero-stride views of one arange per axis
    for axis, n in enumerate(a.shape):
        along = _np.broadcast_to(_np.arange(n).reshape((n,) + (1,) * (a.ndim - axis - 1)), a.shape)[key]
        positions = along if positions is None else positions * n + along
    if positions is None or _np.unique(positions).size == positions.size:
        a[key] = value  # no repeats: NumPy's assignment
        return
    values = _np.broadcast_to(_np.asarray(value, dtype=a.dtype), positions.shape)
    _np.put(a, positions.reshape(-1)[::-1], values.reshape(-1)[::-1])


_wrappers = _weakref.WeakValueDictionary()  # id of a NumPy array -> the device array wrapping it (for .base)


class _MemoryPointer:
    """Stands in for cupy.cuda.MemoryPointer: nothing a host library can read values from."""


class ndarray:
    """A device array: a NumPy array that refuses to be read as one."""

    __slots__ = ("_a", "__weakref__")
    __array_priority__ = 100

    def __init__(self, array):
        if not isinstance(array, _np.ndarray):
            raise TypeError("the stand-in's ndarray wraps a NumPy array; use cupy.asarray")
        self._a = array
        _wrappers[id(array)] = self

    @property
    def base(self):
        """The device array whose memory this one views, as CuPy's (and NumPy's): the same object each time."""
        base = self._a.base
        if not isinstance(base, _np.ndarray):
            return None
        owner = _wrappers.get(id(base))
        return owner if owner is not None and owner._a is base else ndarray(base)

    @property
    def data(self):
        """CuPy's ``.data`` is a pointer to device memory, not the values (so ``getattr(x, "data", x)`` misreads one)."""
        return _MemoryPointer()

    # -- what CuPy forbids
    def __array__(self, dtype=None, copy=None):
        raise TypeError(_IMPLICIT)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _calls[f"ufunc {ufunc.__name__}" + ("" if method == "__call__" else f".{method}")] += 1
        refused = sorted(set(kwargs) & {"where", "order", "subok", "signature", "initial"})
        if refused:  # CuPy's ufuncs take out=, dtype= and casting= only
            raise TypeError(f"Wrong arguments {refused} for cupy.{ufunc.__name__}")
        args = [_unwrap(x, ufunc.__name__) for x in inputs]
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o, ufunc.__name__) for o in out)
        result = getattr(ufunc, method)(*args, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        _calls[f"function {func.__name__}"] += 1
        result = func(*_unwrap(args, func.__name__), **{k: _unwrap(v, func.__name__) for k, v in kwargs.items()})
        return _wrap(result)

    # -- explicit copies to the host, and conversions CuPy allows (they synchronise)
    def get(self, stream=None, order="C", out=None):
        _synchronize("get")
        return _np.array(self._a, order=order)

    def set(self, array, stream=None):
        self._a[...] = array

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(v) for v in self._a)

    def __format__(self, spec):
        _synchronize("format")
        if self._a.ndim == 0:
            return format(self._a.item(), spec)
        return format(str(self), spec)

    __hash__ = None

    def __copy__(self):
        return ndarray(self._a.copy())

    def __deepcopy__(self, memo):
        return ndarray(self._a.copy())

    def __reduce__(self):
        raise TypeError("the stand-in's device arrays are not pickled")

    # -- attributes and methods: NumPy's, on device arrays
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray(self._a.T))
    device = property(lambda self: _Device())

    def __getattr__(self, name):
        if name.startswith("__"):  # NumPy's own protocols (__array_interface__, ...) would hand the memory over
            raise AttributeError(name)
        if name not in _NDARRAY_NAMES:  # a NumPy method CuPy's arrays lack
            raise AttributeError(f"'cupy.ndarray' object has no attribute {name!r}")
        attr = getattr(self._a, name)  # AttributeError as NumPy gives it
        if not callable(attr):
            return _wrap(attr)

        def method(*args, **kwargs):
            _calls[f"method {name}"] += 1
            kwargs = _sorting(name, kwargs)
            _python_ints_fit(name, (self._a, *args))
            return _wrap(attr(*_unwrap(args, name), **{k: _unwrap(v, name) for k, v in kwargs.items()}))

        return method

    def __getitem__(self, key):
        _calls["getitem"] += 1
        key = _index(key)
        picked = self._a[key]
        if isinstance(picked, _np.generic):  # every axis picked by an integer: CuPy gives a 0-d view, NumPy a copy
            picked = self._a[(*(key if isinstance(key, tuple) else (key,)), ...)]
        return _wrap(picked)

    def __setitem__(self, key, value):
        _calls["setitem"] += 1
        if isinstance(value, _np.ndarray):
            if not (key is Ellipsis or key == slice(None)):
                raise _unsupported(value, "__setitem__")  # CuPy copies a host array only into a whole array
            self._a[key] = value
            return
        key, value = _index(key), _unwrap(value, "__setitem__")
        if _integer_arrays_in(key):
            _first_of_repeats_wins(self._a, key, value)
        else:
            self._a[key] = value


def _host_read(name, convert):
    """A method that reads device memory on the host (CuPy synchronises there): refused where syncs are forbidden."""
    def method(self):
        _synchronize(name)
        return convert(self._a)

    method.__name__ = name
    return method


for _name, _convert in [("item", _np.ndarray.item), ("tolist", _np.ndarray.tolist), ("__float__", float),
                        ("__int__", int), ("__index__", _np.ndarray.__index__), ("__bool__", bool),
                        ("__complex__", complex), ("__repr__", repr), ("__str__", str)]:
    setattr(ndarray, _name, _host_read(_name, _convert))


def _binary(ufunc):
    return (lambda self, other: ufunc(self, other)), (lambda self, other: ufunc(other, self))


def _inplace(ufunc):
    def op(self, other):
        ufunc(self, other, out=(self,))
        return self

    return op


for _name, _uf in [("add", _np.add), ("sub", _np.subtract), ("mul", _np.multiply), ("truediv", _np.true_divide),
                   ("floordiv", _np.floor_divide), ("mod", _np.remainder), ("pow", _np.power),
                   ("matmul", _np.matmul), ("and", _np.bitwise_and), ("or", _np.bitwise_or),
                   ("xor", _np.bitwise_xor), ("lshift", _np.left_shift), ("rshift", _np.right_shift)]:
    _f, _r = _binary(_uf)
    setattr(ndarray, f"__{_name}__", _f)
    setattr(ndarray, f"__r{_name}__", _r)
    setattr(ndarray, f"__i{_name}__", _inplace(_uf))
for _name, _uf in [("lt", _np.less), ("le", _np.less_equal), ("gt", _np.greater), ("ge", _np.greater_equal),
                   ("eq", _np.equal), ("ne", _np.not_equal)]:
    setattr(ndarray, f"__{_name}__", _binary(_uf)[0])
ndarray.__neg__ = lambda self: _np.negative(self)
ndarray.__pos__ = lambda self: _np.positive(self)
ndarray.__abs__ = lambda self: _np.absolute(self)
ndarray.__invert__ = lambda self: _np.invert(self)


# ------------------------------------------------------------------ module functions
def asarray(a, dtype=None, order=None, *, blocking=False):
    """The explicit host -> device copy (or a no-op for a device array of the dtype)."""
    _calls["function asarray"] += 1
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == _np.dtype(dtype) else a.astype(dtype)
    return ndarray(_np.array(_host_data(a), dtype=dtype, order=order or "K"))


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    if isinstance(obj, ndarray):
        return ndarray(_np.array(obj._a, dtype=dtype, copy=copy, order=order, ndmin=ndmin))
    return ndarray(_np.array(_host_data(obj), dtype=dtype, order=order, ndmin=ndmin))


def _host_data(obj):
    if isinstance(obj, (list, tuple)):
        return [_host_data(o) for o in obj]
    if isinstance(obj, ndarray):  # np.array would call __array__: CuPy refuses device arrays inside lists
        raise TypeError(_IMPLICIT)
    return obj


def asnumpy(a, stream=None, order="C", out=None):
    """The explicit device -> host copy."""
    if isinstance(a, ndarray):
        return a.get(order=order)
    return _np.asarray(a, order=order)


def get_array_module(*args):
    return _sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else _np


def _sorting(name, kwargs):
    """CuPy's sort and argsort are always stable and take no other kind (NumPy's default quicksort is not stable)."""
    if name in ("sort", "argsort"):
        if kwargs.get("kind") not in (None, "stable"):
            raise ValueError(f"cupy.{name}: kind={kwargs['kind']!r}; only 'stable' is supported (as CuPy)")
        kwargs = dict(kwargs, kind="stable")
    return kwargs


def _python_ints_fit(name, args):
    """CuPy refuses a Python int that the array's integer dtype cannot hold as a clip bound (OverflowError, as
    ``cupy.clip(uint8_array, -1, 300)``); NumPy's clip accepts it."""
    if name == "clip" and len(args) > 1 and getattr(args[0], "dtype", _np.dtype(float)).kind in "iu":
        info = _np.iinfo(args[0].dtype)
        for bound in args[1:3]:
            if isinstance(bound, int) and not isinstance(bound, bool) and not info.min <= bound <= info.max:
                raise OverflowError(f"Python integer {bound} out of bounds for {args[0].dtype}")


def _device_function(name, func):
    def call(*args, **kwargs):
        _calls[f"function {name}"] += 1
        kwargs = _sorting(name, kwargs)
        _python_ints_fit(name, args)
        return _wrap(func(*_unwrap(args, name), **{k: _unwrap(v, name) for k, v in kwargs.items()}))

    call.__name__ = name
    return call


_HOST_ONLY = {"save", "savez", "savez_compressed", "load", "loadtxt", "genfromtxt", "fromfile", "frombuffer"}


def __getattr__(name):
    """Every other NumPy name: types, dtypes and constants as they are, functions on device arrays."""
    if name.startswith("__") or name in _HOST_ONLY or name not in _CUPY_NAMES:  # (as real CuPy: no np.errstate, ...)
        raise AttributeError(f"module 'cupy' has no attribute {name!r} (neither has CuPy {_REAL_VERSION})")
    attr = getattr(_np, name)
    if isinstance(attr, (type, _np.ufunc)) or not callable(attr):
        return attr  # ufuncs dispatch to ndarray.__array_ufunc__
    return _device_function(name, attr)


class _StrideTricks:
    @staticmethod
    def as_strided(x, shape=None, strides=None):
        return ndarray(_np.lib.stride_tricks.as_strided(_unwrap(x, "as_strided"), shape=shape, strides=strides))


lib = _types.SimpleNamespace(stride_tricks=_StrideTricks())


# ------------------------------------------------------------------ random
class _BitGenerator:
    """Keeps a PCG64 state in a device buffer, as CuPy keeps its cuRAND states on the GPU."""

    _SIZE = 48  # bytes: state, increment (128 bits each), has_uint32, uinteger

    def __init__(self, seed):
        self._state = ndarray(_np.zeros(self._SIZE, dtype=_np.int8))
        self._store(_np.random.PCG64(seed))

    def _store(self, pcg):
        s = pcg.state
        words = [s["state"]["state"], s["state"]["inc"]]
        raw = b"".join(w.to_bytes(16, "little") for w in words)
        raw += int(s["has_uint32"]).to_bytes(8, "little") + int(s["uinteger"]).to_bytes(8, "little")
        self._state._a[...] = _np.frombuffer(raw, dtype=_np.int8)

    def _load(self):
        raw = self._state._a.tobytes()
        pcg = _np.random.PCG64()
        pcg.state = {"bit_generator": "PCG64",
                     "state": {"state": int.from_bytes(raw[0:16], "little"), "inc": int.from_bytes(raw[16:32], "little")},
                     "has_uint32": int.from_bytes(raw[32:40], "little"),
                     "uinteger": int.from_bytes(raw[40:48], "little")}
        return pcg


class Generator:
    """cupy.random.Generator's methods that minigan uses; every draw reads and writes the device state."""

    def __init__(self, bit_generator):
        self.bit_generator = bit_generator

    def _draw(self, method, *args, **kwargs):
        pcg = self.bit_generator._load()
        result = getattr(_np.random.Generator(pcg), method)(*args, **kwargs)
        self.bit_generator._store(pcg)
        return ndarray(_np.asarray(result))

    def random(self, size=None, dtype=_np.float64, out=None):
        return self._draw("random", size, dtype=dtype)

    def standard_normal(self, size=None, dtype=_np.float64, out=None):
        return self._draw("standard_normal", size, dtype=dtype)

    def integers(self, low, high=None, size=None, dtype=_np.int64, endpoint=False):
        return self._draw("integers", low, high, size, dtype=dtype, endpoint=endpoint)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=_np.float64):
        return self._draw("uniform", low, high, size).astype(dtype)

    def permutation(self, x):
        return self._draw("permutation", x)


def _default_rng(seed=None):
    return Generator(_BitGenerator(seed))


random = _types.SimpleNamespace(default_rng=_default_rng, Generator=Generator)


# ------------------------------------------------------------------ cuda
class _Device:
    id = 0

    def __init__(self, device=0):
        pass

    def synchronize(self):
        pass

    def __repr__(self):
        return "<CUDA Device 0 (NumPy stand-in)>"


class _Runtime:
    @staticmethod
    def getDeviceCount():
        return 1

    @staticmethod
    def runtimeGetVersion():
        return 0

    @staticmethod
    def getDeviceProperties(device):
        return {"name": b"NumPy stand-in for CuPy (no GPU)", "totalGlobalMem": 0}


cuda = _types.SimpleNamespace(is_available=lambda: True, Device=_Device, runtime=_Runtime())


class _MemoryPool:
    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_all_blocks(self):
        pass


_pool = _MemoryPool()


def get_default_memory_pool():
    return _pool


# ------------------------------------------------------------------ kernels
class ElementwiseKernel:
    """Runs a kernel body of assignments (``a = expr;``, ``a -= expr;``) with NumPy, whole arrays at a time.

    Enough for kernels whose statements are elementwise expressions of their
    arguments and ``sqrt``/``exp``/``log``; the outputs are updated in place.
    """

    _FUNCS = {"sqrt": _np.sqrt, "exp": _np.exp, "log": _np.log, "fabs": _np.abs, "tanh": _np.tanh}

    def __init__(self, in_params, out_params, operation, name="kernel", **kwargs):
        self.inputs = [p.split()[-1] for p in in_params.split(",")]
        self.outputs = [p.split()[-1] for p in out_params.split(",")]
        self.types = [p.split()[0] for p in f"{in_params},{out_params}".split(",")]
        self.statements = [s.strip() for s in operation.split(";") if s.strip()]
        self.name = name

    def __call__(self, *args):
        _calls[f"kernel {self.name}"] += 1
        if len(args) != len(self.inputs) + len(self.outputs):
            raise TypeError(f"{self.name}: expected {len(self.inputs) + len(self.outputs)} arguments, got {len(args)}")
        outputs = args[len(self.inputs):]
        for o in outputs:
            if not isinstance(o, ndarray):
                raise TypeError(f"{self.name}: output arguments must be device arrays, got {type(o)}")
        typed = {}  # as CuPy: every array argument declared with one type name (T) must have one dtype
        for name, type_name, a in zip(self.inputs + self.outputs, self.types, args):
            if isinstance(a, ndarray) and typed.setdefault(type_name, a.dtype) != a.dtype:
                raise TypeError(f"Type is mismatched. {name} {a.dtype} {typed[type_name]} {type_name}")
        env = dict(self._FUNCS)
        env.update({n: _unwrap(a, self.name) for n, a in zip(self.inputs + self.outputs, args)})
        for statement in self.statements:
            target, op, expr = _split_statement(statement)
            value = eval(expr, {"__builtins__": {}}, env)  # noqa: S307 (our own kernel text, in tests)
            current = env[target]
            if op == "=":
                current[...] = value
            elif op == "-=":
                current -= value
            elif op == "+=":
                current += value
            elif op == "*=":
                current *= value
            else:
                raise NotImplementedError(f"{self.name}: the stand-in does not run {statement!r}")
        return outputs[0] if len(outputs) == 1 else outputs


def _split_statement(statement):
    for op in ("-=", "+=", "*=", "="):
        if op in statement:
            target, expr = statement.split(op, 1)
            return target.strip(), op, expr.strip()
    raise NotImplementedError(f"the stand-in does not run {statement!r}")
