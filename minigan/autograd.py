"""Tensor, reverse-mode autograd, and every elementary op.

Read this file top to bottom:

1. ``Tensor``: an array (NumPy or CuPy) plus the bookkeeping autograd needs.
2. ``Function``: the base of every op. ``forward`` works on raw arrays;
   ``backward`` works on *Tensors*, using the very same ops. That is the whole
   trick behind higher-order gradients: when ``create_graph=True`` the backward
   pass is recorded like any forward pass, so it can be differentiated again
   (the R1 and WGAN-GP gradient penalties need this). When ``create_graph`` is
   off, the backward pass runs under ``no_grad`` and records nothing (and a few
   hot ops -- Linear, ReLU, LeakyReLU, batch norm -- then do the same arithmetic on
   plain arrays, skipping the Tensor bookkeeping).
3. The engine: one iterative topological sort, then one reversed loop that
   applies the chain rule. No recursion, so a chain of 20,000 ops is fine.
4. The elementary ops, one class each: ``forward`` right above ``backward``,
   with the derivative in a one-line comment. Composite ops (mean, var,
   softmax, logsumexp, ...) are functions of elementary ones and get their
   gradients from them.

Conventions: `x` is the op's input, `y` its output, `gy` = dL/dy (the upstream
gradient) and `gx` = dL/dx. Broadcasting in forward is undone in backward by
``sum_to`` (sum the gradient back down to the input's shape).
"""

import collections
import functools
import inspect
import math
import numbers
import operator
import weakref

import numpy as np

from . import backend

# ----------------------------------------------------------- recording switch
_grad_enabled = True


def _switching(make_mode, func):
    """`func`, run inside a fresh ``make_mode()`` block at every call: what the decorator forms below return."""
    if inspect.isgeneratorfunction(func):  # its body runs after the call returns, outside the block
        raise TypeError(f"{func.__name__} is a generator function: a grad-mode decorator would not cover its body; "
                        "write `with minigan.no_grad():` (or enable_grad) inside it instead")

    @functools.wraps(func)
    def switched(*args, **kwargs):
        with make_mode():  # a fresh one per call: calls may nest
            return func(*args, **kwargs)

    return switched


class no_grad:
    """Ops inside record no graph, as torch.no_grad: ``with no_grad():``, or a decorator, ``@no_grad()`` or ``@no_grad``."""

    _mode = False

    def __new__(cls, func=None):
        if func is None:
            return super().__new__(cls)
        return _switching(cls, func)  # @no_grad without the parentheses: Python hands the function to the class

    def __enter__(self):
        global _grad_enabled
        self.previous, _grad_enabled = _grad_enabled, self._mode

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.previous

    def __call__(self, func):
        """``@no_grad()``: the instance decorates `func`."""
        return _switching(type(self), func)


class enable_grad(no_grad):
    """Turn recording back on inside a ``no_grad`` block (also a decorator)."""

    _mode = True


def is_grad_enabled():
    """Whether ops currently record a graph."""
    return _grad_enabled


class set_grad_enabled:
    """Recording on or off by `mode`, as torch's: ``with set_grad_enabled(training):`` for a block, a
    decorator ``@set_grad_enabled(False)``, or a plain call ``set_grad_enabled(False)`` that stays in
    force (the block form restores the previous state)."""

    def __init__(self, mode):
        global _grad_enabled
        self.mode = bool(mode)
        self.previous, _grad_enabled = _grad_enabled, self.mode  # switched now: the plain call's meaning

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.previous

    def __call__(self, func):
        """``@set_grad_enabled(mode)``: the constructor has already switched; undo that, and switch at each call."""
        global _grad_enabled
        _grad_enabled = self.previous
        mode = self.mode
        return _switching(lambda: set_grad_enabled(mode), func)


def inference_mode(mode=True):
    """torch's ``inference_mode``: here the same as ``no_grad()`` (``enable_grad()`` with mode=False); also a decorator."""
    if callable(mode):  # @inference_mode without the parentheses
        return _switching(no_grad, mode)
    return no_grad() if mode else enable_grad()


_FLOAT_DTYPES = {"float32": np.float32, "float64": np.float64, "float16": np.float16}
_OTHER_DTYPES = ("int64", "int32", "bool", "uint8")


def _resolve_dtype(dtype):
    if dtype is None:
        return None
    if isinstance(dtype, str):
        if dtype not in _FLOAT_DTYPES and dtype not in _OTHER_DTYPES:
            names = ", ".join(repr(name) for name in (*_FLOAT_DTYPES, *_OTHER_DTYPES))
            raise TypeError(f"unknown dtype {dtype!r}: use one of {names} (or minigan.float32, minigan.long, ...)")
        return np.dtype(dtype)
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}: use minigan.float32, minigan.long, ... or a NumPy dtype") from None


def device_and_dtype(device, dtype):
    """The arguments of ``to`` (a Tensor's or a Module's): a lone first argument naming a dtype is the dtype.

    So ``x.to("cuda")``, ``x.to(minigan.float64)`` and ``x.to("cuda", "float64")`` all work, as in torch.
    """
    names_dtype = not isinstance(device, str) or device in _FLOAT_DTYPES or device in _OTHER_DTYPES
    if dtype is None and device is not None and names_dtype:
        return None, device
    return device, dtype


# ===================================================================== Tensor
class Tensor:
    """An n-dimensional array that remembers how it was computed.

    Attributes: ``data`` (the NumPy/CuPy array), ``grad`` (a Tensor or None,
    filled by ``backward`` on leaf tensors), ``requires_grad``, and ``_ctx``
    (the Function that produced it, None for leaves).
    """

    # _counter: a one-element list counting in-place changes (fill_, x[...] = v, x += y), shared by
    # every tensor that views the same memory (detach(), reshape, slices...); see _check_versions.
    # _hooks: None, or register_hook's {handle: hook}
    __slots__ = ("data", "_grad", "requires_grad", "_ctx", "_counter", "_hooks", "__weakref__")
    # Make NumPy hand `ndarray * Tensor` over to Tensor.__rmul__.
    __array_ufunc__ = None

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        if isinstance(data, numbers.Integral) and isinstance(dtype, numbers.Integral):  # torch.Tensor(64, 1)
            raise TypeError(
                f"Tensor({data}, {dtype}, ...): minigan.Tensor takes data, not a shape (that is PyTorch's legacy "
                f"constructor); write minigan.zeros({data}, {dtype}), minigan.ones({data}, {dtype}) or "
                f"minigan.full(({data}, {dtype}), value) for a new tensor, minigan.tensor(data) for given numbers"
            )
        if isinstance(data, Tensor):
            data = data.data
        elif isinstance(data, np.generic):  # a NumPy number keeps its dtype, as torch.tensor(np.float64(1.5)) does
            data = np.asarray(data)  # (NumPy's reductions and ufuncs of 0-d arrays hand back such numbers)
        dtype = _resolve_dtype(dtype)
        if device is None:
            device = backend.device_of(data) if _is_array(data) else backend.get_default_device()
        else:
            device = backend.check_device(device)
        if not _is_array(data):
            if isinstance(data, (list, tuple, range)):
                data = _numbers(data)  # one-element tensors inside become numbers
            try:
                host = np.asarray(data)
            except ValueError as error:  # NumPy's "inhomogeneous shape": rows of different lengths
                raise ValueError(f"tensor: nested lists must form a grid of numbers ({error})") from None
            if dtype is None:  # Python floats default to float32 and ints to int64, like torch
                kind = host.dtype.kind
                dtype = _list_dtype(data) if isinstance(data, list) and kind in "biuf" else None
                if dtype is None:
                    dtype = np.dtype(np.float32) if kind == "f" else np.dtype(np.int64) if kind in "iu" else None
            if dtype is not None and np.dtype(dtype).kind in "iu" and host.dtype.kind in "biuf":
                _check_fits(data, np.dtype(dtype), "tensor")
                if host.dtype.kind == "f":  # each number truncated on its own, as torch ([2**62 + 1, 0.5] is exact)
                    host = np.asarray(_map_leaves(int, data))
        # arrays keep their own dtype; other data goes over as the host array made above (converted once)
        with np.errstate(all="ignore"):  # 1e10 as float16 is inf without a NumPy warning, as in torch
            self.data = backend.asarray(data if _is_array(data) else host, dtype=dtype, device=device)
        if self.data.dtype.kind not in "biuf":
            raise TypeError(f"tensor: cannot hold {self.data.dtype} data ({type(data).__name__}); give numbers")
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.data.dtype}; "
                            "give a float dtype, e.g. dtype=minigan.float32")
        self._grad = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None
        self._counter = [0]
        self._hooks = None

    @property
    def grad(self):
        """dL/d(this tensor): filled by ``backward`` on leaves (and on tensors that called ``retain_grad``)."""
        return self._grad

    @grad.setter
    def grad(self, value):
        # an optimizer reads .grad as the gradient of this very tensor: refuse one that cannot be
        # (torch refuses the same), rather than let a step broadcast it or turn the weights float64
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"x.grad: a gradient must be a minigan Tensor (or None), got a "
                                f"{type(value).__name__}; wrap an array with minigan.tensor(...)")
            if value.shape != self.shape or value.dtype != self.dtype or value.device != self.device:
                raise ValueError(
                    f"x.grad: assigned a gradient of shape {value.shape}, {value.dtype} on '{value.device}' to a "
                    f"tensor of shape {self.shape}, {self.dtype} on '{self.device}'; they must match"
                )
        self._grad = value

    # -- plain properties -------------------------------------------------
    @property
    def _version(self):
        """How many in-place changes this tensor's memory has seen (any tensor viewing it counts them too)."""
        return self._counter[0]

    @_version.setter
    def _version(self, value):
        self._counter[0] = value

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    def size(self, dim=None):
        """The shape, or the length of axis `dim`, as torch's ``size()`` (``numel()`` counts the elements)."""
        return self.shape if dim is None else self.shape[_axis(dim, self.shape, "size")]

    @property
    def device(self):
        return backend.device_of(self.data)

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        """The Function that computed this tensor (None for a leaf): the graph, read from the output back."""
        return self._ctx

    def retain_grad(self):
        """Keep this intermediate tensor's gradient in ``.grad`` after ``backward()`` (leaves keep theirs anyway)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require grad, so it gets no gradient")
        if self._ctx is not None:
            self._ctx.retains_grad = True  # the Function that made it hands its output's gradient over

    @property
    def retains_grad(self):
        return self._ctx is not None and self._ctx.retains_grad

    def register_hook(self, hook):
        """Call ``hook(grad)`` whenever the gradient w.r.t. this tensor is computed, as torch's ``register_hook``.

        The hook sees the whole gradient (summed over every use of the tensor), once per backward pass, before
        ``.grad`` takes it (a leaf's, or a retained one's). It may return a new gradient, a tensor of the same
        shape and dtype, that replaces it from there on, or None; it should not change its argument in place.
        Hooks run in the order registered; ``handle.remove()`` (``handle`` is what this returns) takes one
        away. Copies (``detach()``, ``clone()``, a ``state_dict``'s tensors, ``copy.deepcopy``) have no hooks.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook: this tensor does not require grad, so no gradient is ever computed for "
                               "it (torch refuses too); register the hook on one that does, e.g. x.requires_grad_()")
        if not callable(hook):
            raise TypeError(f"register_hook: hook must be a function, hook(grad) -> Tensor or None; got a "
                            f"{type(hook).__name__}")
        if self._hooks is None:
            self._hooks = {}
        return HookHandle(self._hooks, hook)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor: it holds one number, x.item()")
        return len(self.data)

    def __contains__(self, value):
        """`v in x`: whether any element equals v, as in torch."""
        return bool((self.data == _raw(value)).any())

    def __iter__(self):
        """The slices along the first axis, as torch iterates (a 0-d tensor is an error, not an empty loop)."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor: it holds one number, x.item()")
        return (self[i] for i in range(len(self.data)))

    def __repr__(self):
        values = backend.to_numpy(self.data)
        # as torch: floats with four decimals each (1.5000, 2.2500, 1.0000e-05), unless all the printed ones are
        # whole and of a narrow range (1., 2.); NumPy alone prints as few digits as tell the values apart
        fixed = False
        if values.dtype.kind == "f":
            shown = np.abs(_printed_part(values, threshold=20, edge=3))
            finite = shown[np.isfinite(shown)]
            nonzero = finite[finite != 0]
            high, low = (float(nonzero.max()), float(nonzero.min())) if nonzero.size else (0.0, 0.0)  # (float16's
            wide = high >= 1e8 or high > 1000 * low  # 1000 * min would overflow: compare as Python floats)
            fixed = wide or bool(np.any(finite != np.round(finite)))  # (wide: in scientific notation)
        body = np.array2string(values, precision=4, separator=", ", threshold=20, edgeitems=3,
                               floatmode="fixed" if fixed else "maxprec",
                               prefix="tensor(")  # later rows line up under the first, as torch's
        extra = f", device='{self.device}'" if self.device != "cpu" else ""
        # as torch: the dtype is said when the printed values do not tell it (float32, int64 and bool do)
        extra += f", dtype={self.dtype}" if self.dtype not in (np.float32, np.int64, np.bool_) else ""
        if self.requires_grad:  # as torch: a leaf says it requires grad, a computed tensor names its op
            extra += f", grad_fn={self._ctx!r}" if self._ctx is not None else ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __format__(self, spec):
        """f"{loss:.4f}" formats a 0-d tensor's value, as torch does; other tensors print as str(x)."""
        if self.data.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError(f"format '{spec}' needs one number, but this tensor has shape {tuple(self.shape)}; "
                            "format x.item() of a 0-d tensor, or the values of x.tolist()")
        return str(self)

    # -- conversion -------------------------------------------------------
    def numpy(self):
        """A NumPy array of the values (an explicit copy from the GPU on CUDA)."""
        return backend.to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(x)``, ``np.save(f, x)``, ``plt.imshow(x)``: a CPU tensor's values as a NumPy array, as torch's.

        Like ``x.numpy()`` it shares the tensor's memory (unless a dtype or ``copy=True`` asks for a copy). A tensor
        on the GPU is refused, as torch and CuPy refuse it: that copy to the host is explicit, ``x.cpu()``.
        """
        if self.device != "cpu":
            raise TypeError(f"NumPy asked for the values of a tensor on '{self.device}', which would copy it to the host "
                            "without a word; copy it explicitly first: x.cpu() (or x.numpy())")
        data = self.data
        if dtype is not None and np.dtype(dtype) != data.dtype:
            if copy is False:
                raise ValueError(f"np.asarray(x, dtype={np.dtype(dtype)}, copy=False): x is {data.dtype}, so its values "
                                 "can only be given as a copy")
            return data.astype(dtype)
        return data.copy() if copy else data

    def item(self):
        """The single value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return backend.to_numpy(self.data).reshape(()).item()  # one explicit device->host copy

    def __bool__(self):
        """`if x:` / `while x > 0:` for a one-element tensor; ambiguous (an error) for more, as in PyTorch."""
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous: reduce it to one element "
                "first, e.g. (x > 0).numpy().all(), or compare x.item() for a one-element tensor"
            )
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        """A one-element integer (or boolean) tensor used as an index or a count (``range(n)``, ``a[i]``), as in torch."""
        if self.data.dtype.kind not in "biu":
            raise TypeError(f"only integer tensors of one element can be used as an index, this one is {self.dtype}")
        return int(self.item())

    def tolist(self):
        return backend.to_numpy(self.data).tolist()

    def detach(self):
        """The same values, cut off from the graph (shares memory, and so the count of in-place changes)."""
        out = Tensor(self.data)
        out._counter = self._counter
        return out

    def __getstate__(self):
        """What ``copy.deepcopy`` copies: every slot but the hooks, which stay with this tensor (as in torch)."""
        names = [name for name in Tensor.__slots__ if name != "__weakref__" and hasattr(self, name)]
        slots = {name: getattr(self, name) for name in names}
        return None, {**slots, "_hooks": None}

    def detach_(self):
        """Cut this very tensor off from the graph, as torch's ``detach_``: it becomes a leaf without grad.

        A view in the graph (a slice, reshape, transpose, ... of another tensor) is refused, as in torch.
        So is a computed tensor whose graph is still there (not yet freed by a backward pass): graphs
        already built from it reach its inputs through this very tensor, and would lose that path without
        a word (torch's keep it).
        """
        if self._ctx is not None and any(x._counter is self._counter for x in self._ctx.inputs):  # shares x's memory
            raise RuntimeError(f"detach_: this tensor is a view of another one (made by {self._ctx!r}), and a view "
                               "cannot be detached in place (torch refuses too); use y = x.detach() instead")
        if self._ctx is not None and not self._ctx.freed:
            raise RuntimeError(f"detach_: this tensor was computed (by {self._ctx!r}) and its graph is still there; "
                               "graphs already built from it would lose their path through it (torch keeps it, "
                               "minigan cannot), so write y = y.detach() for a new leaf, or call detach_() after "
                               "the backward pass through it")
        self._ctx = None
        self.requires_grad = False
        return self

    def clone(self):
        """A copy with its own memory that stays in the graph (gradients flow through it)."""
        return clone(self)

    def to(self, device=None, dtype=None, non_blocking=False, copy=False):
        """This tensor on another device and/or dtype (differentiable): ``x.to("cuda")``, ``x.to(minigan.float64)``.

        As in torch, it is this very tensor when nothing changes, unless ``copy=True``; ``non_blocking``
        is accepted (a copy to or from the GPU here always completes before it returns).
        """
        device, dtype = device_and_dtype(device, dtype)
        out = self
        if dtype is not None and np.dtype(_resolve_dtype(dtype)) != self.dtype:
            target = np.dtype(_resolve_dtype(dtype))  # to integers or booleans: no gradient, as in torch
            with np.errstate(all="ignore"):  # NaN as an integer is undefined, as in torch: no NumPy warning
                out = Cast(target)(out) if target.kind == "f" else Tensor(out.data.astype(target))
        if device is not None and backend.check_device(device) != out.device:
            out = ToDevice(backend.check_device(device))(out)
        return clone(out) if copy and out is self else out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        """This tensor on the GPU, as torch's (device None or 0: "cuda"; non_blocking is accepted, the copy waits)."""
        return self.to("cuda" if device in (None, 0) else device, non_blocking=non_blocking)

    def type(self, dtype=None):
        """torch's ``x.type()``: with no argument the dtype's name ("minigan.float32"), with a dtype the
        tensor converted to it (``x.type(minigan.float32)``, as ``x.to(dtype)``; not torch's tensor classes)."""
        if dtype is None:
            return f"minigan.{self.dtype}"
        if isinstance(dtype, type) and not issubclass(dtype, np.generic):
            raise TypeError(f"type: give a dtype such as minigan.float32 or 'int64', got the class {dtype.__name__} "
                            "(torch's FloatTensor-style classes are not in minigan: x.float(), x.long())")
        return self.to(dtype=dtype)

    def float(self):
        return self.to(dtype="float32")

    def double(self):
        return self.to(dtype="float64")

    def half(self):
        return self.to(dtype="float16")

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad_: only floating-point tensors can require gradients, this one is "
                            f"{self.dtype}; convert it first, x = x.float()")
        if not requires_grad and self._ctx is not None:  # would cut the graph without a word
            raise RuntimeError("requires_grad_(False): only a leaf tensor's flag can be changed, this one is the "
                               f"result of {self._ctx!r}; use y = x.detach() for a copy outside the graph")
        self.requires_grad = bool(requires_grad)
        return self

    def zero_(self):
        """Fill with zeros, in place (see ``fill_``)."""
        return self.fill_(0)

    def fill_(self, value):
        """Fill with `value`, in place, as torch's ``fill_`` (``label.fill_(0.0)`` in a training loop).

        An in-place change is not recorded in the graph: on a tensor that
        requires grad it would silently corrupt the gradients of whatever used
        it, so there it is refused unless gradients are off (``no_grad``).
        """
        self._check_fill("fill_")
        if isinstance(value, Tensor) and value.numel() != 1:
            raise ValueError(f"fill_: value must be a number or a one-element tensor, got a tensor of shape "
                             f"{value.shape}; to copy a whole tensor in, use x.copy_(src)")
        self._assign(..., value, "fill_")
        return self

    def normal_(self, mean=0.0, std=1.0):
        """Fill with draws from N(mean, std^2) of the seeded generator, in place (torch's ``normal_``)."""
        self._check_fill("normal_")
        _float_draws(self.dtype, "normal_")
        draws = backend.standard_normal(self.device, self.shape, self.dtype)
        draws *= float(std)
        draws += float(mean)
        return self.copy_(Tensor(draws))

    def uniform_(self, a=0.0, b=1.0):
        """Fill with draws from U(a, b) of the seeded generator, in place (torch's ``uniform_``)."""
        self._check_fill("uniform_")
        _float_draws(self.dtype, "uniform_")
        draws = backend.generator(self.device).random(self.shape, dtype=self.dtype)
        draws *= float(b) - float(a)
        draws += float(a)
        return self.copy_(Tensor(draws))

    def _check_fill(self, what, hint=""):
        """An in-place change is not in the graph: on a tensor that requires grad, only under no_grad."""
        if self.requires_grad and _grad_enabled:
            raise RuntimeError(f"{what}: an in-place change of a tensor that requires grad would corrupt its "
                               f"gradients; {hint}do it inside `with minigan.no_grad():`")

    # -- autograd entry point ---------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Backpropagate from this tensor; leaf tensors accumulate into ``.grad``.

        ``gradient`` is dL/dself; it may be omitted for a one-element tensor (then 1).
        The graph is freed afterwards unless ``retain_graph`` (by default
        ``create_graph``'s value) is set: a second ``backward`` through a freed
        graph raises an error instead of silently doubling gradients. With
        ``inputs`` (a tensor or a list), only those accumulate into ``.grad``
        (see ``minigan.autograd.backward``).
        """
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # -- in-place operators: x += y changes x itself, as in torch ------------
    def __iadd__(self, other):
        return self._in_place(other, add, "add", "+=")

    def __isub__(self, other):
        return self._in_place(other, sub, "subtract", "-=")

    def __imul__(self, other):
        return self._in_place(other, mul, "multiply", "*=")

    def __itruediv__(self, other):
        return self._in_place(other, div, "true_divide", "/=")

    def __ifloordiv__(self, other):
        return self._in_place(other, floor_divide, "floor_divide", "//=")

    def __imod__(self, other):
        return self._in_place(other, remainder, "remainder", "%=")

    def _in_place(self, other, op, ufunc, symbol):
        """``x op= y``: the same tensor changes, so ``p -= lr * p.grad`` in a loop updates the model.

        Without these, Python would rebind x to a new tensor and leave the
        parameter untouched. An in-place change is not recorded in the graph,
        so where one is being built (an operand requires grad and gradients
        are on) x is rebound to the recorded result instead, like
        ``x = x op y``; a parameter (a leaf that requires grad) is refused there, and so are an expanded view and
        a view that is not in the graph (made under no_grad, or of a tensor without grad). Unlike torch, other
        tensors that share a rebound x's memory (its base, its views, x.detach()) keep the old values.
        """
        if op is sub:
            _no_booleans(f"x {symbol} y", "for a mask's complement write ~mask; for numbers convert first, mask.int()",
                         self, other)
        if _grad_enabled and (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)):
            if self.requires_grad and self._ctx is None:
                raise RuntimeError(
                    f"x {symbol} ...: x is a leaf tensor that requires grad (a parameter); an in-place change "
                    "would not be in the graph. Update it inside `with minigan.no_grad():`, as an optimizer does"
                )
            self._check_writeable(f"x {symbol} y")  # an expanded view: torch refuses it, not x = x + y
            if not _broadcasts_to(np.shape(_raw(other)), self.shape):  # x = x + y would change x's shape
                raise ValueError(f"x {symbol} y: y of shape {np.shape(_raw(other))} does not broadcast to x's shape "
                                 f"{self.shape}")
            if symbol.endswith("_"):  # a method cannot rebind the caller's name
                raise RuntimeError(f"x.{symbol}(...) in place inside a graph is not supported; write "
                                   "x = x + y (or x * y), or call it under no_grad()")
            base = self  # the tensor whose memory x views (through slices, reshapes...): as in torch, not a parameter's
            while base._ctx is not None:
                viewed = next((x for x in base._ctx.inputs if x._counter is base._counter), None)
                if viewed is None:
                    break
                base = viewed
            if self._ctx is None and self.data.base is not None:  # made under no_grad, or of a tensor without grad
                raise RuntimeError(
                    f"x {symbol} ...: x shares its memory with another tensor (a view made under no_grad(), or of a "
                    "tensor that does not require grad), and inside a graph x would be rebound to a new tensor, "
                    "leaving the other one unchanged (torch refuses or changes both); write x = x + y for a new "
                    "tensor, or make the change under `with minigan.no_grad():` with values that need no gradient"
                )
            if base is not self and base._ctx is None and base.requires_grad:
                raise RuntimeError(
                    f"x {symbol} ...: x is a view (a slice, reshape, transpose...) of a leaf tensor that requires grad "
                    "(a parameter), so an in-place change would change the parameter, as for the parameter itself; "
                    "write x = x + y for a new tensor, or update the parameter inside `with minigan.no_grad():`"
                )
            return op(self, other)
        operands = _division_operands if op in (floor_divide, remainder) else _pair  # (x //= 0 of integers: an error)
        a, b = operands(self, other, f"x {symbol} y")
        if ufunc == "true_divide" and self.dtype.kind != "f":  # integers divided are floats: float32
            b = _floating(b)
        # the result's dtype: a float operand's (as _pair promotes), else NumPy 2's for the two integer dtypes
        result = b.dtype if b.dtype.kind == "f" else np.result_type(a.dtype, b.dtype)
        if not np.can_cast(result, self.dtype, "same_kind"):  # an integer x cannot hold a float or a wider result
            raise TypeError(f"x {symbol} ...: x is {self.dtype} and the result would be {result}; "
                            f"convert x first, x = x.to(dtype='{result}')")
        if b.device != self.device:
            raise RuntimeError(f"x {symbol} y: x is on {self.device}, y on {b.device}; move one with .to()")
        if not _broadcasts_to(b.shape, self.shape):
            raise ValueError(f"x {symbol} y: y of shape {b.shape} does not broadcast to x's shape {self.shape}")
        self._check_writeable(f"x {symbol} y")
        with np.errstate(all="ignore"):  # no NumPy warnings (x /= 0 is inf), as in the ops (Function.__call__)
            getattr(backend.xp_of(self.data), ufunc)(a.data, b.data, out=self.data)  # a: self, or a copy in NumPy 2's dtype
        self._version += 1
        return self

    def add_(self, other, alpha=1):
        """x += alpha * other, in place (torch's ``add_``; see ``_in_place``)."""
        return self._in_place(other if alpha == 1 else other * alpha, add, "add", "add_")

    def sub_(self, other, alpha=1):
        """x -= alpha * other, in place (torch's ``sub_``: a hand-written SGD step, ``p.sub_(lr * p.grad)``)."""
        return self._in_place(other if alpha == 1 else other * alpha, sub, "subtract", "sub_")

    def mul_(self, other):
        """x *= other, in place (torch's ``mul_``)."""
        return self._in_place(other, mul, "multiply", "mul_")

    def div_(self, other, *, rounding_mode=None):
        """x /= other, in place (torch's ``div_``); a `rounding_mode` as ``div``'s."""
        if rounding_mode is None:
            return self._in_place(other, div, "true_divide", "div_")
        if rounding_mode == "floor":
            return self._in_place(other, floor_divide, "floor_divide", "div_")
        if _grad_enabled and (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)):
            raise RuntimeError("x.div_(...) in place inside a graph is not supported; write x = x.div(y, "
                               f"rounding_mode={rounding_mode!r}), or call it under no_grad()")
        quotient = div(self, other, rounding_mode=rounding_mode)  # (no graph: nothing requires grad here)
        if quotient.shape != self.shape:  # (the broadcast shape does not fit x)
            raise ValueError(f"x.div_(y, rounding_mode={rounding_mode!r}): y of shape {np.shape(_raw(other))} does "
                             f"not broadcast to x's shape {self.shape}")
        if not np.can_cast(quotient.dtype, self.dtype, "same_kind"):
            raise TypeError(f"x.div_(y, rounding_mode={rounding_mode!r}): x is {self.dtype} and the result would be "
                            f"{quotient.dtype}; convert x first, x = x.to(dtype='{quotient.dtype}'), or write "
                            "x = x.div(y, rounding_mode=...)")
        self._check_writeable("div_")
        self.data[...] = quotient.data
        self._version += 1
        return self

    def clamp_(self, min=None, max=None):
        """Clamp to [min, max] in place (torch's ``clamp_``: WGAN's weight clipping), like ``fill_``."""
        if min is None and max is None:
            raise ValueError("clamp_: give min, max or both")
        _number_bounds(min, max, "clamp_")
        self._check_fill("clamp_")
        if self.dtype.kind != "f" and not all(isinstance(b, numbers.Integral) for b in (min, max) if b is not None):
            raise TypeError(f"clamp_: x is {self.dtype} and a float bound would make the result float32; "
                            "convert x first, x = x.float(), or clamp to whole numbers")
        self._check_writeable("clamp_")
        backend.xp_of(self.data).clip(self.data, min, max, out=self.data)
        self._version += 1
        return self

    def lerp_(self, end, weight):
        """x += weight * (end - x), in place (torch's ``lerp_``): a weight average's ``avg.lerp_(p, 1 - beta)``."""
        _expect_tensor(end, "lerp_")
        if not _broadcasts_to(end.shape, self.shape):
            raise ValueError(f"lerp_: end has shape {end.shape}, this tensor {self.shape}; end must broadcast to it")
        return self._in_place((end - self) * weight, add, "add", "lerp_")

    def copy_(self, src):
        """Copy `src`'s values (broadcast to this shape) in, as torch's ``copy_``; like ``x[...] = src``."""
        self[...] = src
        return self

    def addcmul(self, tensor1, tensor2, *, value=1):
        """x + value * tensor1 * tensor2, as torch's ``addcmul`` (``minigan.addcmul`` checks its operands first)."""
        _expect_tensor(tensor1, "addcmul")
        _pointwise_value(value, "addcmul")
        product = tensor1 * tensor2
        return self + (product if value == 1 else value * product)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """x + value * tensor1 / tensor2, as torch's ``addcdiv`` (float tensors only, as torch's)."""
        _expect_tensor(tensor1, "addcdiv")
        _pointwise_value(value, "addcdiv")
        if tensor1.dtype.kind != "f" and _raw(tensor2).dtype.kind != "f":
            raise TypeError(f"addcdiv: integer division is not supported (torch refuses it too), got {tensor1.dtype} "
                            f"and {_raw(tensor2).dtype}; convert with .float()")
        quotient = tensor1 / tensor2
        return self + (quotient if value == 1 else value * quotient)

    # In place, the ops without an in-place kernel of their own, as torch's methods: the out-of-place op's values
    # written into x, outside a graph only (under no_grad(), or on tensors that need no gradient; see ``_into``).
    def addcmul_(self, tensor1, tensor2, *, value=1):
        """x += value * tensor1 * tensor2, in place (a hand-written Adam's ``v.mul_(b2).addcmul_(g, g, value=1 - b2)``)."""
        return _into("addcmul_", self, lambda x, a, b: x.addcmul(a, b, value=value), tensor1, tensor2, method=True)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """x += value * tensor1 / tensor2, in place (a hand-written Adam's ``p.addcdiv_(m, v.sqrt() + eps, value=-lr)``)."""
        return _into("addcdiv_", self, lambda x, a, b: x.addcdiv(a, b, value=value), tensor1, tensor2, method=True)

    def sqrt_(self):
        """x = sqrt(x), in place."""
        return _into("sqrt_", self, sqrt, method=True)

    def rsqrt_(self):
        """x = 1 / sqrt(x), in place."""
        return _into("rsqrt_", self, rsqrt, method=True)

    def exp_(self):
        """x = e^x, in place."""
        return _into("exp_", self, exp, method=True)

    def log_(self):
        """x = log(x), in place."""
        return _into("log_", self, log, method=True)

    def abs_(self):
        """x = |x|, in place."""
        return _into("abs_", self, abs, method=True)

    def neg_(self):
        """x = -x, in place."""
        return _into("neg_", self, neg, method=True)

    def sign_(self):
        """x = sign(x), in place."""
        return _into("sign_", self, sign, method=True)

    def square_(self):
        """x = x * x, in place."""
        return _into("square_", self, square, method=True)

    def reciprocal_(self):
        """x = 1 / x, in place."""
        return _into("reciprocal_", self, reciprocal, method=True)

    def pow_(self, exponent):
        """x = x ** exponent, in place."""
        return _into("pow_", self, pow, exponent, method=True)

    def sigmoid_(self):
        """x = sigmoid(x), in place."""
        return _into("sigmoid_", self, sigmoid, method=True)

    def tanh_(self):
        """x = tanh(x), in place."""
        return _into("tanh_", self, tanh, method=True)

    def relu_(self):
        """x = max(x, 0), in place."""
        return _into("relu_", self, relu, method=True)

    def floor_(self):
        """x = floor(x), in place."""
        return _into("floor_", self, floor, method=True)

    def ceil_(self):
        """x = ceil(x), in place."""
        return _into("ceil_", self, ceil, method=True)

    def trunc_(self):
        """x = trunc(x) (towards 0), in place."""
        return _into("trunc_", self, trunc, method=True)

    def round_(self, *, decimals=0):
        """x = round(x) (halves to even), in place."""
        return _into("round_", self, lambda x: round(x, decimals=decimals), method=True)

    def clip_(self, min=None, max=None):
        """``clamp_``'s other name, as torch's."""
        return self.clamp_(min, max)

    # -- operators (all defined as ops below) ------------------------------
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return sub(self, other)

    def __rsub__(self, other):
        return sub(other, self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return div(self, other)

    def __rtruediv__(self, other):
        return div(other, self)

    def __floordiv__(self, other):
        return floor_divide(self, other)

    def __rfloordiv__(self, other):
        return floor_divide(other, self)

    def __mod__(self, other):
        return remainder(self, other)

    def __rmod__(self, other):
        return remainder(other, self)

    def __pow__(self, exponent):
        return pow(self, exponent)

    def __rpow__(self, base):
        """``2 ** x`` for a positive number base: e^(x log base), whose gradient is base^x log(base)."""
        if isinstance(base, numbers.Real) and not isinstance(base, (bool, np.bool_)) and not base > 0:
            return pow(base, self)  # 0, negative or NaN: torch.pow(base, x) (a fractional power of -2 is NaN)
        if not (isinstance(base, numbers.Real) and base > 0):
            raise TypeError(f"base ** x: the base must be a positive number, got {base!r}")
        if isinstance(base, numbers.Integral) and self.dtype.kind in "biu":  # integers stay exact integers, as in torch
            if self.dtype == np.bool_:  # a mask counts in int64, as in torch
                _no_booleans("base ** x of a boolean x", "write a number, 1 or 2", base)
            x = self.data.astype(np.int64) if self.dtype == np.bool_ else self.data
            if backend.xp_of(x).any(x < 0):  # NumPy's own error would come from deep inside
                raise ValueError("base ** x: x holds negative integers, and integers to negative integer powers are "
                                 "not allowed; convert x first, base ** x.float()")
            dtype = _as_tensor(int(base), Tensor(x)).dtype  # x's, if base fits it (NumPy 1 sizes a 0-d x's by value)
            return Tensor(backend.xp_of(x).power(int(base), x).astype(dtype, copy=False))
        return Exponential(float(base))(_floating(self))

    def __neg__(self):
        return neg(self)

    def __abs__(self):
        return abs(self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __getitem__(self, index):
        return getitem(self, index)

    def __setitem__(self, index, value):
        """``x[index] = value`` in place, like ``fill_`` (so refused on a tensor that requires grad)."""
        self._check_fill("x[...] = value", "build the new tensor with minigan.where(mask, value, x) instead, or ")
        if isinstance(value, Tensor) and value.requires_grad and _grad_enabled:  # torch records it; minigan would not
            raise RuntimeError(
                "x[...] = value: value requires grad, and an assignment is not recorded in the graph, so its "
                "gradient would be lost without a word; build the new tensor from differentiable ops instead "
                "(minigan.cat, minigan.stack or minigan.where(mask, value, x)), or assign value.detach()"
            )
        if isinstance(value, Tensor) and value.device != self.device:
            raise RuntimeError(f"x[...] = value: x is on {self.device}, value on {value.device}; move one with .to()")
        if _is_array(value) and backend.device_of(value) != self.device:  # a NumPy array into a GPU tensor
            value = backend.asarray(value, device=self.device)  # the copy the assignment asks for
        self._assign(_clean_index(index, self.device), value, "x[...] = value")

    def _assign(self, index, value, what):
        """self.data[index] = value, with NumPy's errors put in minigan's words; counts as an in-place change."""
        if value is None or isinstance(value, (str, bytes)):  # NumPy would write NaN or try to parse it
            raise TypeError(f"{what}: value must be a number, a tensor or an array of numbers, got {value!r}")
        self._check_writeable(what)
        split = _ints_first(index)  # integers beside arrays: torch's order, as getitem
        data, index = (self.data, index) if split is None else (self.data[split[0]], split[1])  # (a view)
        value = _raw(value)
        if _is_array(value) and value.ndim and value.shape[0] == 1:  # leading axes of 1 dropped, as torch's
            value = value.reshape(value.shape[next((i for i, n in enumerate(value.shape) if n != 1), value.ndim):])
        try:
            backend.assign(data, index, value)  # (x[1] = t of shape (1,): NumPy's scalar slot refuses an array)
        except ValueError as error:  # shapes that do not broadcast
            shape = tuple(value.shape) if hasattr(value, "shape") else np.shape(value)
            raise ValueError(f"{what}: a value of shape {shape} does not fit the target of shape "
                             f"{tuple(data[index].shape)} in a tensor of shape {self.shape} ({error}); "
                             "its shape must broadcast to the target's") from None
        self._version += 1

    def _check_writeable(self, what):
        """A clear error for read-only memory: broadcast views (expand: their elements share memory, so torch
        refuses most in-place changes of them too), or a read-only NumPy array given to from_numpy."""
        data = self.data
        # (CuPy has no read-only flag; an empty array has nothing to share, though NumPy gives it strides of 0)
        shared = data.size > 0 and any(step == 0 and n > 1 for step, n in zip(data.strides, data.shape))
        if shared or not getattr(data.flags, "writeable", True):
            raise RuntimeError(f"{what}: this tensor's memory is read-only (an expanded, broadcast view, whose elements "
                               "share memory, or a read-only NumPy array), so it cannot change in place; change a "
                               "copy, x = x.clone()")

    # Comparisons give plain boolean tensors (no gradient).
    def _compare(self, other, compare, symbol):
        if other is None and symbol in ("==", "!="):
            return NotImplemented  # Python then compares identities: x == None is False, as in torch
        if isinstance(other, (str, bytes)) or other is None:
            raise TypeError(f"x {symbol} y: y must be a number or a tensor, got {other!r}")
        if isinstance(other, Tensor) and other.device != self.device:
            raise RuntimeError(f"x {symbol} y: x is on '{self.device}', y on '{other.device}'; move one with .to()")
        if not isinstance(other, Tensor):  # a number compared in x's dtype, as torch's: x == np.float64(0.1) of
            other = _as_tensor(other, self)  # a float32 x holding 0.1 is True (NumPy 2 would compare in float64)
        try:
            return Tensor(compare(self.data, other.data))
        except ValueError:  # shapes that do not broadcast
            raise ValueError(f"x {symbol} y: shapes {self.shape} and {tuple(np.shape(_raw(other)))} do not broadcast; "
                             "aligned from the last axis, each pair of sizes must be equal or 1") from None

    def __gt__(self, other):
        return self._compare(other, operator.gt, ">")

    def __ge__(self, other):
        return self._compare(other, operator.ge, ">=")

    def __lt__(self, other):
        return self._compare(other, operator.lt, "<")

    def __le__(self, other):
        return self._compare(other, operator.le, "<=")

    def __eq__(self, other):
        return self._compare(other, operator.eq, "==")

    def __ne__(self, other):
        return self._compare(other, operator.ne, "!=")

    __hash__ = object.__hash__  # hashed by identity (usable in sets and as dict keys), as in PyTorch

    # Logic on boolean masks, ``(x > 0) & (x < 1)``, ``~mask`` (bitwise on integers, as in torch); no gradient.
    def _logic(self, other, ufunc, symbol):
        operands = (self,) if other is None else (self, other if isinstance(other, Tensor) else _as_tensor(other, self))
        kinds = [t.dtype for t in operands]
        if any(k.kind not in "biu" for k in kinds):
            raise TypeError(f"x {symbol} y: works on boolean masks (or integers), got {', '.join(map(str, kinds))}; "
                            f"compare first, e.g. (x > 0) {symbol} (y < 1)")
        operands = operands if other is None else _pair(*operands, symbol)  # torch's dtype: int32 & 1 is int32
        return Tensor(getattr(backend.xp_of(self.data), ufunc)(*[t.data for t in operands]))

    def __and__(self, other):
        return self._logic(other, "bitwise_and", "&")

    def __or__(self, other):
        return self._logic(other, "bitwise_or", "|")

    def __xor__(self, other):
        return self._logic(other, "bitwise_xor", "^")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self):
        return self._logic(None, "invert", "~")

    # -- method forms of ops ----------------------------------------------
    def exp(self):
        return exp(self)

    def log(self):
        return log(self)

    def sqrt(self):
        return sqrt(self)

    def abs(self):
        return abs(self)

    def sum(self, axis=None, keepdims=False, dim=None, keepdim=None, *, dtype=None):
        return sum(self, axis, keepdims, dim, keepdim, dtype=dtype)

    def mean(self, axis=None, keepdims=False, dim=None, keepdim=None, *, dtype=None):
        return mean(self, axis, keepdims, dim, keepdim, dtype=dtype)

    def cumsum(self, dim, *, dtype=None):
        return cumsum(self, dim, dtype=dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return prod(self, dim, keepdim, dtype=dtype)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        return max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        return min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False, dim=None, keepdim=None):
        return argmax(self, axis, keepdims, dim, keepdim)

    def argmin(self, axis=None, keepdims=False, dim=None, keepdim=None):
        return argmin(self, axis, keepdims, dim, keepdim)

    def unsqueeze(self, dim):
        return unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return squeeze(self, dim)

    def numel(self):
        """The number of elements (the product of the shape), as torch's ``numel()``."""
        return int(self.data.size)

    def reshape(self, *shape):
        return reshape(self, *shape)

    def view(self, *shape):
        """The same memory in a new shape, as torch's ``view``: an error where only a copy can have it (use reshape).

        A convolution's output is the exception: torch's is contiguous, minigan's keeps the batch axis
        innermost (see ``minigan.conv``), so ``y.view(-1)`` works as in torch, but as a copy.
        """
        out = reshape(self, *shape)
        conv_layout = self.ndim >= 3 and backend.is_batch_innermost(self.data)  # (a 2-D one is a transpose)
        if out._counter is not self._counter and not conv_layout:
            # NumPy copied a layout torch cannot view either: x.t().view(-1) += 1 would leave x unchanged
            raise RuntimeError(f"view: this tensor of shape {tuple(self.shape)} (a transpose, or a slice with steps) "
                               f"cannot be viewed as shape {tuple(out.shape)} without copying its memory; use "
                               ".reshape(...), which copies where it must, or call .contiguous() first")
        return out

    def flatten(self, start_dim=0, end_dim=-1):
        return flatten(self, start_dim, end_dim)

    def transpose(self, *dims):
        return transpose(self, *dims)

    def permute(self, *dims):
        return permute(self, *dims)

    @property
    def T(self):
        """All axes reversed (the matrix transpose of a 2-D tensor)."""
        return permute(self, *reversed(range(self.ndim)))

    def dim(self):
        """The number of axes, as torch's ``dim()`` (also ``ndim``)."""
        return self.ndim

    def t(self):
        """The transpose of a matrix, as torch's ``t()`` (a vector comes back as it is)."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor of at most 2 axes, got shape {tuple(self.shape)}; "
                             "use transpose(d0, d1)")
        return self.T

    def expand(self, *sizes):
        """``broadcast_to`` with torch's name; -1 keeps an axis's size (``x[:1].expand(4, -1)``)."""
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: {len(sizes)} sizes for a tensor of shape {tuple(self.shape)}")
        shape = tuple(self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
        if any(not isinstance(n, numbers.Integral) or n < 0 for n in shape):
            raise ValueError(f"expand: sizes must be ints >= 0 (-1 only for an existing axis, to keep its size), "
                             f"got {tuple(sizes)} for a tensor of shape {tuple(self.shape)}")
        if any(n != m and n != 1 for n, m in zip(self.shape, shape[lead:])):
            raise ValueError(f"expand: cannot expand shape {tuple(self.shape)} to {shape}: only axes of size 1 "
                             "can grow (new axes go in front); to copy the values along an axis use repeat")
        return broadcast_to(self, shape) if shape != self.shape else reshape(self, shape)  # a new tensor, as torch's

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of `size` with this tensor's dtype and device (unless given), as torch's ``new_zeros``."""
        return zeros(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """Ones of `size` with this tensor's dtype and device (unless given)."""
        return ones(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        """`fill_value` everywhere, with this tensor's dtype and device (unless given)."""
        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A new tensor of `data` (copied), with this tensor's dtype and device (unless given)."""
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def expand_as(self, other):
        """``expand`` to `other`'s shape."""
        return self.expand(*other.shape)

    def view_as(self, other):
        """``view`` to `other`'s shape."""
        return self.view(*other.shape)

    def reshape_as(self, other):
        """``reshape`` to `other`'s shape."""
        return reshape(self, *other.shape)

    def type_as(self, other):
        """This tensor in `other`'s dtype (and on its device), as torch's ``type_as``."""
        return self.to(device=other.device, dtype=other.dtype)

    def repeat(self, *sizes):
        """Tile the tensor `sizes[i]` times along each axis, as torch's ``repeat`` (NumPy's ``tile``)."""
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        if len(sizes) < self.ndim:
            raise ValueError(f"repeat: {len(sizes)} counts for a tensor of shape {tuple(self.shape)}; "
                             "give one per axis")
        if any(not isinstance(r, numbers.Integral) or r < 0 for r in sizes):
            raise ValueError(f"repeat: counts must be ints >= 0, got {tuple(sizes)}")
        shape = (1,) * (len(sizes) - self.ndim) + tuple(self.shape)
        # (.., n, ..) -> (.., 1, n, ..) broadcast to (.., r, n, ..) -> (.., r * n, ..): the copies' gradients add up
        spread = reshape(self, *[k for n in shape for k in (1, n)])
        tiled = broadcast_to(spread, tuple(k for r, n in zip(sizes, shape) for k in (r, n)))
        out = reshape(tiled, *[r * n for r, n in zip(sizes, shape)])
        # a copy, as torch's: NumPy's reshape of x broadcast may still be a (read-only) view of x's memory
        return clone(out) if out._counter is self._counter else out

    def chunk(self, chunks, dim=0):
        """At most `chunks` pieces of ceil(size / chunks) along `dim`, the last maybe smaller (torch's ``chunk``).

        Fewer pieces when the size runs out first: 6 values in 4 chunks are 3 pieces of 2, as in torch.
        """
        if not isinstance(chunks, numbers.Integral) or chunks < 1:
            raise ValueError(f"chunk: the number of chunks must be an int >= 1, got {chunks!r}")
        size = self.shape[_axis(dim, self.shape, "chunk")]
        if size == 0:  # torch gives `chunks` empty pieces
            return self.split([0] * chunks, dim)
        return self.split(-(-size // chunks), dim)  # pieces of ceil(size / chunks)

    def split(self, split_size, dim=0):
        """Pieces of `split_size` along `dim` (the last may be smaller), or of a list's sizes (torch's ``split``)."""
        axis = _axis(dim, self.shape, "split")
        size = self.shape[axis]
        if isinstance(split_size, (list, tuple)):
            sizes = list(split_size)
            if any(not isinstance(n, numbers.Integral) or n < 0 for n in sizes):
                raise ValueError(f"split: sizes must be ints >= 0, got {sizes}")
        elif size == 0 and split_size >= 0:  # an empty axis is one empty piece, as in torch
            sizes = [0]
        elif split_size > 0:
            sizes = [split_size] * (size // split_size) + ([size % split_size] if size % split_size else [])
        else:
            raise ValueError(f"split: split_size must be > 0, got {split_size} (0 only for an empty axis)")
        if int(np.sum(sizes)) != size:
            raise ValueError(f"split: sizes {sizes} do not add up to {size}, the length of axis {axis}")
        pieces, start = [], 0
        for n in sizes:
            index = (slice(None),) * axis + (slice(start, start + n),)
            pieces.append(self[index])
            start += n
        return tuple(pieces)

    def norm(self, p=2, dim=None, keepdim=False):
        return norm(self, p, dim, keepdim)

    def clamp(self, min=None, max=None):
        return clip(self, min, max)

    def lerp(self, end, weight):
        return lerp(self, end, weight)

    def softmax(self, dim=-1, dtype=None):
        return softmax(self, dim, dtype)

    def log_softmax(self, dim=-1):
        return log_softmax(self, dim)

    def square(self):
        return pow(self, 2)  # (of a mask: int64, as torch's)

    def neg(self):
        return neg(self)

    def long(self):
        return self.to(dtype="int64")

    def int(self):
        return self.to(dtype="int32")

    def bool(self):
        return self.to(dtype="bool")

    def any(self, dim=None, keepdim=False):
        """Whether any element (along `dim`, when given) is true (non-zero), as a boolean tensor (uint8 for uint8, as torch's)."""
        axis = None if dim is None else _norm_axes(dim, self.shape, "any")
        out = self.data.any(axis=axis, keepdims=keepdim)
        return Tensor(out.astype(np.uint8) if self.dtype == np.uint8 else out)

    def all(self, dim=None, keepdim=False):
        """Whether every element (along `dim`, when given) is true (non-zero), as a boolean tensor (uint8 for uint8)."""
        axis = None if dim is None else _norm_axes(dim, self.shape, "all")
        out = self.data.all(axis=axis, keepdims=keepdim)
        return Tensor(out.astype(np.uint8) if self.dtype == np.uint8 else out)

    @property
    def is_cuda(self):
        return self.device == "cuda"

    def masked_fill(self, mask, value):
        """`value` where `mask` is true, this tensor elsewhere (``where(mask, value, x)``), in this tensor's dtype, as torch's."""
        out = where(mask, self._fill_value(value, "masked_fill"), self)
        return out if out.dtype == self.dtype else out.to(dtype=self.dtype)  # (x.long().masked_fill(m, 2): int64)

    def _fill_value(self, value, op):
        """masked_fill's value: a number, or a 0-d tensor taken in x's dtype (a float64 value fills a float32 x), as
        torch's rule is: one value, not one per element."""
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise ValueError(f"{op}: value must be a number or a 0-d tensor, got a tensor of shape "
                                 f"{tuple(value.shape)}; for a value per element use minigan.where(mask, values, x)")
            value = value.to(dtype=self.dtype)
        return value

    def var(self, dim=None, unbiased=None, keepdim=None, *, correction=1, axis=None, keepdims=False):
        return var(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)

    def std(self, dim=None, unbiased=None, keepdim=None, *, correction=1, axis=None, keepdims=False):
        return std(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)

    def relu(self):
        return relu(self)

    def sigmoid(self):
        return sigmoid(self)

    def tanh(self):
        return tanh(self)

    def clip(self, min=None, max=None):
        return clip(self, min, max)

    def matmul(self, other):
        return matmul(self, other)

    def pow(self, exponent):
        return pow(self, exponent)

    # -- torch's method names for the operators and ops above --------------
    def add(self, other, alpha=1):
        return add(self, other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1):
        return sub(self, other if alpha == 1 else other * alpha)

    def mul(self, other):
        return mul(self, other)

    def div(self, other, *, rounding_mode=None):
        return div(self, other, rounding_mode=rounding_mode)

    def floor_divide(self, other):
        return floor_divide(self, other)

    def remainder(self, other):
        return remainder(self, other)

    def fmod(self, other):
        return fmod(self, other)

    def maximum(self, other):
        return maximum(self, other)

    def minimum(self, other):
        return minimum(self, other)

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def isnan(self):
        return isnan(self)

    def isinf(self):
        return isinf(self)

    def isfinite(self):
        return isfinite(self)

    def log1p(self):
        return log1p(self)

    def logsumexp(self, dim, keepdim=False):
        return logsumexp(self, dim, keepdim)

    def flip(self, dims):
        return flip(self, dims)

    def amax(self, dim=None, keepdim=False):
        return amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        return amin(self, dim, keepdim)

    def tile(self, *dims):
        return tile(self, tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims)

    def roll(self, shifts, dims=None):
        return roll(self, shifts, dims)

    def narrow(self, dimension, start, length):
        return narrow(self, dimension, start, length)

    def index_select(self, dim, index):
        return index_select(self, dim, index)

    def gather(self, dim, index, *, sparse_grad=False):
        return gather(self, dim, index, sparse_grad=sparse_grad)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        return scatter_add(self, dim, index, src)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        """x.scatter(dim, index, src or value, reduce=...) written into x itself, as torch's ``scatter_``.

        One-hot labels: ``zeros(n, 10).scatter_(1, labels.unsqueeze(1), 1.0)``. Outside a graph only, as ``add_``.
        """
        return self._scatter_in_place(lambda x: _scatter("scatter_", x, dim, index, src, value, reduce), "scatter_", src)

    def scatter_add_(self, dim, index, src):
        """x.scatter_add(dim, index, src) added into x itself, as torch's ``scatter_add_`` (outside a graph only)."""
        return self._scatter_in_place(lambda x: _scatter_add("scatter_add_", x, dim, index, src), "scatter_add_", src)

    def _scatter_in_place(self, op, what, src):
        """x's values replaced by op(x)'s. Not recorded in the graph, so refused where one is being built (x or
        src requires grad, gradients on), as ``add_`` is; under no_grad() it changes a parameter too."""
        if _grad_enabled and (self.requires_grad or (isinstance(src, Tensor) and src.requires_grad)):
            raise RuntimeError(f"x.{what}(...) in place inside a graph is not supported; write "
                               f"x = x.{what[:-1]}(...), or call it under no_grad()")
        self._check_writeable(f"x.{what}(...)")
        self.data[...] = op(self).data
        self._version += 1
        return self

    def tril(self, diagonal=0):
        return tril(self, diagonal)

    def sin(self):
        return sin(self)

    def cos(self):
        return cos(self)

    def floor(self):
        return floor(self)

    def ceil(self):
        return ceil(self)

    def trunc(self):
        return trunc(self)

    def fix(self):
        return trunc(self)

    def round(self, *, decimals=0):
        return round(self, decimals=decimals)

    def clamp_min(self, min):
        return clamp_min(self, min)

    def clamp_max(self, max):
        return clamp_max(self, max)

    def sort(self, dim=-1, descending=False, *, stable=False):
        return sort(self, dim, descending, stable=stable)

    def argsort(self, dim=-1, descending=False, *, stable=False):
        return argsort(self, dim, descending, stable=stable)

    def topk(self, k, dim=None, largest=True, sorted=True):
        return topk(self, k, dim, largest, sorted)

    def cumprod(self, dim, *, dtype=None):
        return cumprod(self, dim, dtype=dtype)

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        return repeat_interleave(self, repeats, dim, output_size=output_size)

    def nonzero(self, *, as_tuple=False):
        return nonzero(self, as_tuple=as_tuple)

    def bernoulli(self):
        return bernoulli(self)

    def multinomial(self, num_samples, replacement=False):
        return multinomial(self, num_samples, replacement)

    def where(self, condition, y):
        """``where(condition, self, y)``: this tensor where `condition` is true, else y, as torch's ``x.where``."""
        return where(condition, self, y)

    def masked_fill_(self, mask, value):
        """x.masked_fill(mask, value) written into x itself, as torch's ``masked_fill_`` (outside a graph only, as
        ``add_``; under no_grad() it changes a parameter too)."""
        if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
            got = f"a {mask.dtype} tensor" if isinstance(mask, Tensor) else _what(mask)
            raise TypeError(f"masked_fill_: the mask must be a boolean tensor, got {got}; compare to make one, "
                            "e.g. x > 0, or convert with mask.bool()")
        value = self._fill_value(value, "masked_fill_")

        def fill(x):
            out = x.masked_fill(mask, value)
            if out.shape != x.shape:  # an in-place change cannot grow x
                raise ValueError(f"masked_fill_: the mask's shape {tuple(np.shape(_raw(mask)))} does not broadcast "
                                 f"to x's shape {x.shape}; give a mask of x's shape")
            return out
        return self._scatter_in_place(fill, "masked_fill_", value)

    def triu(self, diagonal=0):
        return triu(self, diagonal)

    def diag(self, diagonal=0):
        return diag(self, diagonal)

    def erf(self):
        return erf(self)

    def prelu(self, weight):
        return prelu(self, weight)

    def sign(self):
        return sign(self)

    def is_floating_point(self):
        return self.dtype.kind == "f"

    def is_complex(self):
        """False: minigan's tensors hold real numbers (and booleans) only."""
        return self.dtype.kind == "c"

    def element_size(self):
        """Bytes per element (4 for float32), as torch's."""
        return self.data.itemsize

    @property
    def itemsize(self):
        """Bytes per element, as ``element_size()``."""
        return self.data.itemsize

    @property
    def nbytes(self):
        """Bytes of the elements: ``numel() * element_size()``."""
        return self.data.nbytes

    @property
    def is_cpu(self):
        return self.device == "cpu"

    def get_device(self):
        """-1 on the CPU, the GPU's index (0) on CUDA, as torch's."""
        return -1 if self.device == "cpu" else 0

    def select(self, dim, index):
        """The slice at `index` along `dim`, that axis removed: ``x.select(1, 2)`` is ``x[:, 2]``, as torch's."""
        axis = _axis(dim, self.shape, "select")
        if not isinstance(index, numbers.Integral) or isinstance(index, bool):
            raise TypeError(f"select: index must be an int, got {type(index).__name__} {index!r}")
        if not -self.shape[axis] <= index < self.shape[axis]:
            raise IndexError(f"select: index {index} is out of range for axis {axis} of size {self.shape[axis]}")
        return self[(slice(None),) * axis + (int(index),)]

    def absolute(self):
        """``abs``'s other name, as torch's."""
        return abs(self)

    def negative(self):
        """``neg``'s other name, as torch's."""
        return neg(self)

    def byte(self):
        return self.to(dtype="uint8")

    def nelement(self):
        return self.numel()

    def ndimension(self):
        return self.ndim

    def contiguous(self):
        """This tensor if its memory is in row-major order, else a copy that is (as torch's ``contiguous``).

        minigan's ops accept any layout; what matters is aliasing: ``y = x.t().contiguous()``
        is a copy, so ``y += 1`` leaves x alone, as in PyTorch.
        """
        return self if self.data.flags.c_contiguous else Clone(order="C")(self)

    def mm(self, other):
        """The product of two matrices (2-D only, as torch's ``mm``; ``@`` also takes batches and vectors)."""
        _expect_tensor(other, "mm")
        if self.ndim != 2 or other.ndim != 2:
            raise ValueError(f"mm: expects two matrices, got shapes {tuple(self.shape)} and {tuple(other.shape)}; "
                             "use matmul or @ for batches and vectors")
        return matmul(self, other)

    def bmm(self, other):
        """Batched matrix products of two (b, n, m) and (b, m, p) tensors, as torch's ``bmm``."""
        _expect_tensor(other, "bmm")
        if self.ndim != 3 or other.ndim != 3 or self.shape[0] != other.shape[0]:
            raise ValueError(f"bmm: expects two 3-D tensors with the same batch size, got shapes {tuple(self.shape)} "
                             f"and {tuple(other.shape)}")
        return matmul(self, other)

    def dot(self, other):
        """The dot product of two vectors, as torch's ``dot``."""
        _expect_tensor(other, "dot")
        if self.ndim != 1 or other.ndim != 1:
            raise ValueError(f"dot: expects two vectors, got shapes {tuple(self.shape)} and {tuple(other.shape)}")
        return matmul(self, other)

    @property
    def mT(self):
        """The last two axes swapped (a batch of matrices transposed), as torch's ``mT``."""
        return transpose(self, -2, -1)

    def unflatten(self, dim, sizes):
        """Axis `dim` split into `sizes` (one may be -1), as torch's ``unflatten`` (``nn.Unflatten``'s op)."""
        return unflatten(self, dim, sizes)

    def unbind(self, dim=0):
        """The slices along `dim`, each without that axis, as torch's ``unbind``."""
        axis = _axis(dim, self.shape, "unbind")
        return tuple(self[(slice(None),) * axis + (i,)] for i in range(self.shape[axis]))

    # ---- torch's elementwise math functions and reductions as methods (the functions are near the end of the file)
    def reciprocal(self):
        return reciprocal(self)

    def rsqrt(self):
        return rsqrt(self)

    def expm1(self):
        return expm1(self)

    def log2(self):
        return log2(self)

    def log10(self):
        return log10(self)

    def exp2(self):
        return exp2(self)

    def logit(self, eps=None):
        return logit(self, eps)

    def xlogy(self, other):
        return xlogy(self, other)

    def hypot(self, other):
        return hypot(self, other)

    def atan2(self, other):
        return atan2(self, other)

    def arctan2(self, other):
        return atan2(self, other)

    def logaddexp(self, other):
        return logaddexp(self, other)

    def logaddexp2(self, other):
        return logaddexp2(self, other)

    def tan(self):
        return tan(self)

    def sinh(self):
        return sinh(self)

    def cosh(self):
        return cosh(self)

    def asin(self):
        return asin(self)

    def arcsin(self):
        return asin(self)

    def acos(self):
        return acos(self)

    def arccos(self):
        return acos(self)

    def atan(self):
        return atan(self)

    def arctan(self):
        return atan(self)

    def asinh(self):
        return asinh(self)

    def arcsinh(self):
        return asinh(self)

    def acosh(self):
        return acosh(self)

    def arccosh(self):
        return acosh(self)

    def atanh(self):
        return atanh(self)

    def arctanh(self):
        return atanh(self)

    def frac(self):
        return frac(self)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return nan_to_num(self, nan, posinf, neginf)

    def copysign(self, other):
        return copysign(self, other)

    def signbit(self):
        return signbit(self)

    def heaviside(self, values):
        return heaviside(self, values)

    def erfc(self):
        return erfc(self)

    def erfinv(self):
        return erfinv(self)

    def logical_and(self, other):
        return logical_and(self, other)

    def logical_or(self, other):
        return logical_or(self, other)

    def logical_xor(self, other):
        return logical_xor(self, other)

    def logical_not(self):
        return logical_not(self)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return isclose(self, other, rtol, atol, equal_nan)

    def count_nonzero(self, dim=None):
        return count_nonzero(self, dim)

    def nansum(self, dim=None, keepdim=False, dtype=None):
        return nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return nanmean(self, dim, keepdim, dtype=dtype)

    def aminmax(self, *, dim=None, keepdim=False):
        return aminmax(self, dim=dim, keepdim=keepdim)

    def logcumsumexp(self, dim):
        return logcumsumexp(self, dim)

    def cummax(self, dim):
        return cummax(self, dim)

    def cummin(self, dim):
        return cummin(self, dim)

    def median(self, dim=None, keepdim=False):
        return median(self, dim, keepdim)

    def kthvalue(self, k, dim=None, keepdim=False):
        return kthvalue(self, k, dim, keepdim)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return quantile(self, q, dim, keepdim, interpolation=interpolation)

    # torch's shape and indexing methods, as the functions of the same names
    def movedim(self, source, destination):
        return movedim(self, source, destination)

    def moveaxis(self, source, destination):
        return movedim(self, source, destination)

    def swapaxes(self, axis0, axis1):
        return transpose(self, axis0, axis1)

    def swapdims(self, dim0, dim1):
        return transpose(self, dim0, dim1)

    def ravel(self):
        return ravel(self)

    def tensor_split(self, indices_or_sections, dim=0):
        return tensor_split(self, indices_or_sections, dim)

    def hsplit(self, split_size_or_sections):
        return hsplit(self, split_size_or_sections)

    def vsplit(self, split_size_or_sections):
        return vsplit(self, split_size_or_sections)

    def dsplit(self, split_size_or_sections):
        return dsplit(self, split_size_or_sections)

    def rot90(self, k=1, dims=(0, 1)):
        return rot90(self, k, dims)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return diff(self, n, dim, prepend, append)

    def take_along_dim(self, indices, dim=None):
        return take_along_dim(self, indices, dim)

    def take(self, indices):
        return take(self, indices)

    def masked_select(self, mask):
        return masked_select(self, mask)

    def index_add(self, dim, index, source, *, alpha=1):
        return index_add(self, dim, index, source, alpha=alpha)

    def index_copy(self, dim, index, source):
        return index_copy(self, dim, index, source)

    def index_fill(self, dim, index, value):
        return index_fill(self, dim, index, value)

    def bincount(self, weights=None, minlength=0):
        return bincount(self, weights, minlength)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return unique(self, sorted, return_inverse, return_counts, dim)

    def histc(self, bins=100, min=0, max=0):
        return histc(self, bins, min, max)


def _is_array(x):
    return isinstance(x, np.ndarray) or (backend._cupy is not None and isinstance(x, backend._cupy.ndarray))


def _raw(x):
    return x.data if isinstance(x, Tensor) else x


def _numbers(items):
    """Nested lists with one-element Tensors turned into NumPy numbers of their dtype, as torch.tensor takes them."""
    out = []
    for item in items:
        if isinstance(item, Tensor):
            if item.numel() != 1:
                raise TypeError(f"tensor: a list holding a tensor of shape {tuple(item.shape)}; join tensors "
                                "with minigan.stack(...) or minigan.cat(...)")
            item = backend.to_numpy(item.data).reshape(())[()]
        elif isinstance(item, (list, tuple)):
            item = _numbers(item)
        out.append(item)
    return out


def _check_fits(values, dtype, op):
    """Refuse numbers an integer dtype cannot hold (NaN, inf, 300 as uint8, 2**63), as torch does, rather than wrap them.

    `values` is a number or nested lists of them; each is checked on its own, in Python's exact comparisons.
    """
    if dtype.kind not in "iu":
        return
    info = np.iinfo(dtype)
    for v in _map_leaves(lambda v: v.item() if isinstance(v, np.generic) else v, [values], flat=True):
        # as torch: a negative int wraps around into an unsigned dtype (-1 as uint8 is 255), a negative float does not
        low = -info.max if dtype.kind == "u" and isinstance(v, int) else info.min
        if not low <= v <= info.max:  # NaN fails too
            raise ValueError(f"{op}: {v} cannot be converted to {dtype} without overflow ({dtype} holds {info.min} to "
                             f"{info.max}, NaN and inf no integer at all); give a float dtype, or numbers in that range")


def _map_leaves(fn, data, flat=False):
    """fn of each number in nested lists (`data` itself if it is a number); in one flat list if `flat`."""
    if not isinstance(data, list):
        return [fn(data)] if flat else fn(data)
    mapped = [_map_leaves(fn, item, flat) for item in data]
    return [v for part in mapped for v in part] if flat else mapped


def _list_dtype(items):
    """The dtype torch.tensor gives a nested list of numbers (None for an empty one): the numbers' dtypes promoted.

    A Python float counts as float32, an int as int64 and a bool as bool; a NumPy number keeps
    its own dtype, so [np.float64(1.5)] is float64 and [np.int32(1), 2] int64. Floats win over
    integers with their own dtype, as in torch: [np.int32(1), 2.5] is float32 (NumPy's float64).
    """
    dtypes = []
    for item in items:
        if isinstance(item, list):
            inner = _list_dtype(item)
            dtypes += [] if inner is None else [inner]
        elif isinstance(item, (np.generic, np.ndarray)):
            dtypes.append(item.dtype)
        elif isinstance(item, numbers.Number):
            kind = bool if isinstance(item, bool) else np.int64 if isinstance(item, numbers.Integral) else np.float32
            dtypes.append(np.dtype(kind))
    floats = [d for d in dtypes if d.kind == "f"]
    return np.result_type(*(floats or dtypes)) if dtypes else None


def tensor(data, dtype=None, device=None, requires_grad=False):
    """Make a Tensor from a list, number, array or Tensor.

    Without `dtype`, as torch.tensor: Python floats become float32, ints int64, bools
    bool; an array or Tensor keeps its dtype (a float64 NumPy array stays float64).

    Always copies, like torch.tensor: an optimizer step on the result never
    changes the NumPy array it was made from.
    """
    data = data.data if isinstance(data, Tensor) else data
    if _is_array(data):
        data = data.copy()
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


# =================================================================== Function
class Function:
    """Base of every op: ``forward`` on arrays, ``backward`` on Tensors.

    Calling a Function instance runs ``forward`` on the raw arrays of its
    inputs and wraps the result in a Tensor. When recording is on and some
    input requires a gradient, the output remembers this Function (``_ctx``)
    and the Function remembers its inputs.

    ``backward(gy)`` gets dL/dy as a Tensor and returns one gradient (Tensor or
    None) per input. ``self.needs_input_grad[i]`` tells whether input i wants
    one, so expensive gradients can be skipped. ``self.output()`` is the output
    Tensor (held by a weak reference, so no reference cycle).
    """

    inputs = ()
    needs_input_grad = ()
    versions = ()  # the inputs' in-place change counts when recorded (see _check_versions)
    output_version = 0  # and the output's (a view of an input shares its count)
    freed = False
    retains_grad = False  # set by retain_grad() on the output: backward() then fills the output's .grad

    def __repr__(self):
        return f"<{type(self).__name__}>"

    @property
    def next_functions(self):
        """The graph one step back, as torch's ``grad_fn.next_functions``: for each input, ``(its Function, 0)``;
        a leaf that requires grad gives ``(AccumulateGrad, 0)`` (its ``.variable`` is the leaf), another ``(None, 0)``.

        ``y.grad_fn.next_functions[0][0].next_functions ...`` walks from an output back to the parameters.
        After ``backward`` the graph is freed (unless ``retain_graph=True``) and this is empty.
        """
        return tuple((x._ctx if x._ctx is not None else AccumulateGrad(x) if x.requires_grad else None, 0)
                     for x in self.inputs)

    def __call__(self, *inputs):
        if not inputs:
            raise TypeError(f"{type(self).__name__}: called without inputs; call it on tensors, {type(self).__name__}()(x)")
        if "output" in self.__dict__:  # the graph remembers this object: a second call would overwrite its inputs
            name = type(self).__name__
            raise RuntimeError(f"{name}: this op object is already part of a graph; make a new one for each "
                               f"call, {name}()(x), as the built-in functions do")
        first = inputs[0]
        for x in inputs:
            # comparing array classes is cheap; the inputs are looked at closely only on a mismatch
            if not isinstance(x, Tensor) or x.data.__class__ is not first.data.__class__:
                self._reject(inputs)
        try:
            # NumPy's warnings (overflow in exp, 0/0, ...) are left out, as torch and CuPy leave them out:
            # an inf or NaN shows in the values, and training stops on a NaN loss with its own message
            with np.errstate(all="ignore"):
                y = self.forward(*[x.data for x in inputs])
        except ValueError as error:  # NumPy's own words, from deep inside: say which op and what to do
            if "broadcast" not in str(error):
                raise
            shapes = ", ".join(str(tuple(x.shape)) for x in inputs)
            raise ValueError(
                f"{type(self).__name__} of inputs with shapes {shapes}: {str(error).strip()}. Aligned from the "
                "last axis, each pair of sizes must be equal or 1: reshape an operand with .reshape(...)"
            ) from None
        except (TypeError, AttributeError):
            self._reject(inputs)  # an input whose .data is no array (set to a Tensor or a list) is said plainly
            if isinstance(inspect.getattr_static(type(self), "forward", None), staticmethod):  # MyOp()(x), torch's kind
                raise TypeError(f"{type(self).__name__} is written PyTorch's way (a static forward(ctx, ...)): call "
                                f"it as {type(self).__name__}.apply(x, ...)") from None
            raise
        if isinstance(y, np.generic):  # NumPy reductions of 0-d results give scalars: keep arrays
            y = np.asarray(y)
        elif not _is_array(y):  # a hand-written op's forward that returned a Tensor, a list, None...
            self._reject(inputs)  # (or an input whose .data was set to a Tensor: it would make one)
            raise TypeError(f"{type(self).__name__}.forward returned a {type(y).__name__}: forward gets the inputs' "
                            "raw arrays (NumPy or CuPy) and must return one array, computed with NumPy/CuPy "
                            "functions, not with minigan's ops")
        if _NUMPY_1 and y.ndim == 0 and y.dtype.kind == "f" and not isinstance(self, Cast):  # (a cast's dtype is meant)
            y = _without_numpy1_scalar_promotion(y, inputs)
        out = Tensor.__new__(Tensor)
        out.data = y
        out._grad = None
        out._ctx = None
        out._counter = _shared_counter(y, inputs)
        out._hooks = None
        out.requires_grad = False
        if _grad_enabled:
            needs = tuple([x.requires_grad for x in inputs])
            if True in needs:
                out.requires_grad = True
                out._ctx = self
                self.inputs = inputs
                self.needs_input_grad = needs
                self.versions = tuple([x._version for x in inputs])
                self.output_version = out._version
                self.output = weakref.ref(out)
        return out

    def _reject(self, inputs):
        """Raise a clear error for inputs that are not all Tensors on one device."""
        name = type(self).__name__
        for i, x in enumerate(inputs):
            if not isinstance(x, Tensor):
                raise TypeError(f"{name}: input {i} is not a minigan Tensor but {_what(x)}")
            if not _is_array(x.data):  # torch's `w.data = other` takes a tensor; here .data is the raw array
                raise TypeError(f"{name}: input {i}'s .data is a {type(x.data).__name__}, not an array: .data holds "
                                "a tensor's raw NumPy (or CuPy) array; to give a tensor new values write "
                                "w.data = other.data, or, as in PyTorch, `with minigan.no_grad(): w.copy_(other)`")
        devices = [x.device for x in inputs]
        if len(set(devices)) > 1:
            first, other = devices[0], next(d for d in devices if d != devices[0])
            raise RuntimeError(
                f"{name}: tensors are on two devices, '{first}' and '{other}'; "
                f"move one with .to('{first}') or .to('{other}')"
            )

    @classmethod
    def apply(cls, *args):
        """``MyOp.apply(x, ...)``, as torch's: a Function written either way, run as one op.

        minigan's way: ``forward(self, x)`` on raw arrays and ``backward(self, gy)`` on Tensors, one object per
        call, so ``MyOp.apply(x)`` is ``MyOp()(x)``. PyTorch's way: ``@staticmethod forward(ctx, x, ...)`` on
        Tensors (run under no_grad; arguments that are no Tensors are passed through) and ``@staticmethod
        backward(ctx, gy)`` returning one gradient per argument (None for the others), with
        ``ctx.save_for_backward(...)`` / ``ctx.saved_tensors`` and attributes of your own on ``ctx``;
        see ``TorchStyleFunction``.
        """
        if isinstance(inspect.getattr_static(cls, "forward", None), staticmethod):
            tensors = [a for a in args if isinstance(a, Tensor)]
            if not tensors:
                raise TypeError(f"{cls.__name__}.apply: no argument is a minigan Tensor; give the tensors to "
                                "differentiate (numbers and other values may come along)")
            return TorchStyleFunction(cls, args)(*tensors)
        return cls()(*args)

    def forward(self, *xs):
        raise NotImplementedError(f"{type(self).__name__} has no forward: a Function subclass defines "
                                  "forward(self, x, ...), which gets the inputs' arrays and returns the output's array")

    def backward(self, gy):
        raise NotImplementedError(f"{type(self).__name__} has no backward: a Function subclass defines "
                                  "backward(self, gy), which gets gy = dL/dy (a Tensor) and returns dL/dx for each input "
                                  "(a Tensor, or None); its inputs are self.inputs")


def _printed_part(a, threshold, edge):
    """The elements a print of `a` shows: all of them, or for more than `threshold` the first and last `edge`
    along each longer axis, as NumPy summarises (so a large tensor is not scanned whole to be printed)."""
    if a.size <= threshold:
        return a
    for axis, n in enumerate(a.shape):
        if n > 2 * edge:
            a = np.concatenate([a.take(range(edge), axis), a.take(range(n - edge, n), axis)], axis)
    return a


def _as_tensor(x, like):
    """Turn a Python number or array into a constant Tensor of like's dtype and device.

    This is where NumPy 2's promotion trap is closed: a float32 tensor times
    ``np.float64(0.5)`` stays float32, because the scalar is cast here first.
    Numbers -- Python's, NumPy's and 0-d arrays alike -- are "weak", as in torch:
    with an integer tensor a float gives float32 (PyTorch's default float), an
    integer that fits keeps the tensor's dtype (int32 + 5 is int32) and an int
    out of range makes int64; with a boolean tensor an integer gives int64.
    """
    if isinstance(x, Tensor):
        return x
    number = isinstance(x, (numbers.Number, np.generic)) or (_is_array(x) and x.ndim == 0)
    kind = (x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype).kind if number else None
    if like.dtype.kind == "f":
        dtype = like.dtype
    elif kind == "f":  # an integer (or boolean) tensor and a float: float32, PyTorch's default, not float64
        dtype = np.dtype(np.float32)
    elif kind == "b":  # True and False fit any dtype
        dtype = like.dtype
    elif kind in ("i", "u") and like.dtype.kind in "iu" and _ints_fit(like.dtype, int(x)):
        dtype = like.dtype  # an integer that fits takes the tensor's dtype: int32 + 5 stays int32, as in torch
    elif kind in ("i", "u"):
        dtype = np.dtype(np.int64)  # with a boolean tensor, or out of the tensor's range (NumPy 2's choice)
    else:
        dtype = None
    if number:
        return Tensor(backend.scalar(x, dtype, like.device))
    if isinstance(x, (list, tuple)):  # numbers written out: floats are float32, as torch.tensor makes them
        x = np.asarray(_numbers(x))
        if dtype is None and x.dtype.kind == "f":
            dtype = np.dtype(np.float32)
    if _is_array(x):
        return Tensor(backend.asarray(x, dtype=dtype, device=like.device))
    raise TypeError(f"cannot combine a Tensor with {type(x).__name__}")


def _floating(x):
    """x itself if it holds floats, else a float32 copy: e^x, x / y, sqrt(x), ... of integers are float32 (as in PyTorch).

    Anything but a Tensor passes through, for the op's own clear error (``Function._reject``).
    """
    return x if not isinstance(x, Tensor) or x.dtype.kind == "f" else Tensor(x.data.astype(np.float32))


def _no_booleans(op, hint, *xs):
    """A clear error for a boolean operand (a tensor or a number) where torch refuses one: a - b, -x, abs, ..."""
    for x in xs:
        if (x.dtype if hasattr(x, "dtype") else type(x)) in (np.bool_, bool):
            raise TypeError(f"{op}: booleans are not supported (torch refuses them too); {hint}")


def _expect_tensor(x, op):
    """A clear TypeError unless x is a Tensor (None is most often a forward() that forgot its return)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a minigan Tensor, got {_what(x)}")


def _what(x):
    """How an input that is not a Tensor is described in errors, with what to do about it."""
    if x is None:
        return "None; did a forward() forget to `return` its result?"
    if isinstance(x, (tuple, list)) and x and all(isinstance(t, Tensor) for t in x):
        return (f"a {type(x).__name__} of {len(x)} tensors; a DataLoader's batch is an (images, labels) pair: "
                "unpack it, `for real, labels in loader:`")
    if isinstance(x, Function):  # x.grad_fn: torch takes graph nodes (and GradientEdges) in places; minigan does not
        return f"the graph node {type(x).__name__} (a grad_fn); pass the tensor it made instead"
    return f"a {type(x).__module__}.{type(x).__name__}; wrap it with minigan.tensor(...)"


def _broadcasts_to(shape, target):
    """Whether an array of `shape` broadcasts to `target` without growing it (an in-place operand must)."""
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def _pair(a, b, opname):
    """Both operands as Tensors of one float dtype when either is float (as PyTorch promotes).

    Two different float dtypes are an error. An integer or boolean tensor
    meeting a float one takes the float's dtype (NumPy would turn float32 times
    int64 into float64); it is a constant, since integer tensors carry no gradient.
    Numbers are converted by ``_as_tensor``. Between integer (or boolean) tensors
    a 0-d one counts as a number, as in torch: int32 x times int64 0-d k is int32,
    unless k is of a higher kind (a boolean x times an int64 k is int64).
    """
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{opname}: expected a minigan Tensor, got {_what(a)}")
    if not isinstance(a, Tensor):
        a = _as_tensor(a, b)
    elif not isinstance(b, Tensor):
        b = _as_tensor(b, a)
    elif a.dtype != b.dtype and a.dtype.kind != "f" and b.dtype.kind != "f" and (a.ndim == 0) != (b.ndim == 0):
        zero, other = (a, b) if a.ndim == 0 else (b, a)
        if other.dtype.kind == "b":
            dtype = zero.dtype
        elif np.can_cast(zero.dtype, other.dtype):  # (a 0-d boolean fits any dtype)
            dtype = other.dtype
        else:  # its value decides, as a number's: 5 stays uint8 with uint8, 300 or -1 make int64 (never wrapped)
            dtype = _as_tensor(zero.item(), other).dtype
        a, b = (t if t.dtype == dtype else Tensor(t.data.astype(dtype)) for t in (a, b))
    elif a.dtype != b.dtype and a.dtype.kind == "f" and b.dtype.kind == "f" and (a.ndim == 0) != (b.ndim == 0):
        # a 0-d float tensor counts as a number too, as in torch: float32 x times a float64 0-d k is float32
        # (k cast on the way in, its gradient cast back); only tensors with axes keep their float dtype
        a, b = (a.to(dtype=b.dtype), b) if a.ndim == 0 else (a, b.to(dtype=a.dtype))
    if a.dtype != b.dtype:
        if a.dtype.kind == "f" and b.dtype.kind == "f":
            raise TypeError(
                f"{opname}: dtypes differ, {a.dtype} and {b.dtype}; convert one with .to(dtype=...) "
                "(minigan never promotes one float dtype to another silently)"
            )
        if a.dtype.kind == "f":
            b = Tensor(b.data.astype(a.dtype))
        elif b.dtype.kind == "f":
            a = Tensor(a.data.astype(b.dtype))
        elif (a.ndim == 0 or b.ndim == 0) and np.result_type(a.dtype, b.dtype).kind in "iu":
            # integers (bools) of two dtypes, one 0-d: NumPy 1 would size the result by the 0-d one's value
            # (uint8 * -1: int16), NumPy 2 by the dtypes alone (int64); cast to NumPy 2's dtype first
            dtype = np.result_type(a.dtype, b.dtype)
            a, b = (t if t.dtype == dtype else Tensor(t.data.astype(dtype)) for t in (a, b))
    return a, b


# NumPy 1 promotes 0-d arrays and Python numbers by kind alone: a 0-d float32 times 2 is float64
# there (NumPy 2, NEP 50, keeps float32). Ops write Python numbers in their forward and backward.
_NUMPY_1 = np.lib.NumpyVersion(np.__version__) < "2.0.0"


def _ints_fit(dtype, *numbers):
    """Whether the integers among `numbers` (None is skipped) all fit in the integer `dtype`."""
    info = np.iinfo(dtype)
    return all(n is None or info.min <= n <= info.max for n in numbers)


def _without_numpy1_scalar_promotion(y, inputs):
    """A 0-d float result as wide as the op's widest float input: what NumPy 2 gives (for NumPy 1 only)."""
    widest = None
    for x in inputs:  # (the builtin max is shadowed here by minigan's)
        if x.dtype.kind == "f" and (widest is None or x.dtype.itemsize > widest.itemsize):
            widest = x.dtype
    return y.astype(widest) if widest is not None and y.dtype.itemsize > widest.itemsize else y


class AccumulateGrad:
    """Where the graph ends, in ``next_functions``: a leaf tensor that requires grad (``.variable``), whose
    ``.grad`` backward adds to. Made when asked for; two for the same leaf compare equal."""

    def __init__(self, variable):
        self.variable = variable

    def __repr__(self):
        return "<AccumulateGrad>"

    def __eq__(self, other):
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self):
        return id(self.variable)

    @property
    def next_functions(self):
        return ()


class FunctionCtx:
    """The ``ctx`` of a Function written PyTorch's way: what its forward keeps for its backward.

    ``ctx.save_for_backward(x, ...)`` keeps tensors, ``ctx.saved_tensors`` gives them back, and any other
    attribute (``ctx.alpha = alpha``) is the forward's to set. ``ctx.needs_input_grad`` tells, per argument
    of ``apply``, whether a gradient is wanted.
    """

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward keeps tensors (or None), got {_what(t)}; keep other values as "
                                "attributes of ctx, ctx.name = value")
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        """Accepted for torch's sake: minigan's ops have one output, whose gradient the caller decides."""

    def set_materialize_grads(self, value):
        """Accepted for torch's sake: the gradient a backward gets is always a tensor here."""


class TorchStyleFunction(Function):
    """A Function written PyTorch's way (``class MyOp(minigan.autograd.Function)`` with a static
    ``forward(ctx, ...)`` and ``backward(ctx, gy)``), run as a minigan op by ``MyOp.apply(...)``.

    The forward gets the very tensors given to ``apply`` (under no_grad, so it records nothing), so the
    tensors it saves are the graph's own: a backward written with minigan's ops can be differentiated again
    (``create_graph=True``), as in torch. One output, a Tensor.
    """

    def __init__(self, op, args):
        self.op, self.args = op, args  # the user's class, and every argument of apply (tensors among them)
        needs = tuple(isinstance(a, Tensor) and a.requires_grad and _grad_enabled for a in args)
        self.ctx = FunctionCtx(needs)

    def __repr__(self):
        return f"<{self.op.__name__}>"

    def forward(self, *arrays):
        with no_grad():
            y = self.op.forward(self.ctx, *self.args)
        if not isinstance(y, Tensor):
            raise TypeError(f"{self.op.__name__}.forward returned {_what(y)}; written PyTorch's way it returns one "
                            "Tensor, computed with minigan's ops")
        return y.data

    def backward(self, gy):
        # dL/dx = whatever the user's backward(ctx, gy) says for each tensor argument (checked below)
        name = self.op.__name__
        grads = self.op.backward(self.ctx, gy)
        grads = grads if isinstance(grads, tuple) else (grads,)
        if len(grads) != len(self.args):
            raise TypeError(f"{name}.backward returned {len(grads)} gradient(s), but apply got {len(self.args)} "
                            "argument(s): return one per argument of forward (after ctx), None for those without")
        for i, (a, g) in enumerate(zip(self.args, grads)):
            if g is not None and not isinstance(a, Tensor):  # (torch refuses it too)
                raise TypeError(f"{name}.backward returned a gradient for argument {i}, which is no tensor "
                                f"({_what(a)}); return None in its place")
            if g is not None and not isinstance(g, Tensor):
                raise TypeError(f"{name}.backward: the gradient of argument {i} is {_what(g)}, not a Tensor; "
                                "compute it with minigan's ops (or return None)")
        return tuple(g for a, g in zip(self.args, grads) if isinstance(a, Tensor))  # one per input of the op


# ================================================================== the engine
class HookHandle:
    """What ``register_hook`` (and a module's forward hooks) return: ``handle.remove()`` unregisters the hook.

    A second ``remove()`` does nothing. The handle is the hook's key in its owner's dict.
    """

    def __init__(self, hooks, hook):
        self.hooks = hooks  # the owner's {handle: hook}
        hooks[self] = hook

    def remove(self):
        self.hooks.pop(self, None)


def _hooked(t, g):
    """The gradient g of tensor t after t's hooks, in the order registered: a hook may hand back a new one."""
    for hook in list(t._hooks.values()):  # (a copy: a hook may remove itself)
        new = hook(g)
        if new is None:
            continue
        name = getattr(hook, "__qualname__", type(hook).__name__)
        if not isinstance(new, Tensor):
            raise TypeError(f"hook {name!r} (registered with register_hook) returned a {type(new).__module__}."
                            f"{type(new).__name__}; a hook returns None to keep the gradient, or a minigan Tensor "
                            "to use instead")
        if new.shape != g.shape or new.dtype != g.dtype or new.device != g.device:
            raise RuntimeError(f"hook {name!r} (registered with register_hook) returned a gradient of shape "
                               f"{new.shape}, {new.dtype} on '{new.device}' for one of shape {g.shape}, {g.dtype} on "
                               f"'{g.device}'; return a tensor like the gradient it was given (or None to keep it)")
        g = new
    return g


def _topological_order(roots):
    """Functions reachable from `roots`, each after every function that uses its output.

    An iterative depth-first search (an explicit stack instead of recursion).
    Returned in *reverse* topological order: ready for the backward loop.
    """
    order, visited = [], set()
    stack = [(t._ctx, False) for t in roots if t._ctx is not None]
    while stack:
        fn, children_done = stack.pop()
        if children_done:
            order.append(fn)
            continue
        if fn in visited:
            continue
        visited.add(fn)
        if fn.freed:
            raise RuntimeError(
                "backward through a graph a second time: its saved values were freed after the "
                "first backward. Recompute the forward pass, or pass retain_graph=True the first time."
            )
        stack.append((fn, True))
        for x in fn.inputs:
            if x._ctx is not None and x._ctx not in visited:
                stack.append((x._ctx, False))
    order.reverse()
    return order


def _accumulate(t, g, create_graph):
    """t.grad += g: a leaf's gradient, or an intermediate tensor's that asked for it (retain_grad)."""
    if t is None:  # a retained output that is gone: nobody can read its .grad
        return
    if create_graph:
        # a copy of its own: g may be a view shared with another tensor, and a later
        # plain backward adds into .grad in place
        t.grad = clone(g) if t.grad is None else t.grad + g
    elif t.grad is None:
        # own copy (g may be a view shared with another tensor), laid out in memory as g is
        t.grad = Tensor(backend.xp_of(g.data).copy(g.data, order="K"))
    else:
        t.grad.data += g.data


def _run_backward(outputs, grad_outputs, inputs, retain_graph, create_graph, accumulate=False):
    """The chain rule over the graph. Returns grads of `inputs` when given.

    With ``inputs=None`` (``Tensor.backward``) leaf tensors accumulate into
    ``.grad``. With ``inputs`` (``minigan.grad``) nothing is accumulated and
    only the functions on a path to those inputs are differentiated; with
    ``accumulate`` too (``backward(inputs=...)``) those inputs accumulate
    into ``.grad``, and so do the tensors on the way that retain_grad().
    A tensor's hooks (``register_hook``) run once, on its whole gradient: a
    computed tensor's at its Function's turn, a leaf's after the loop.
    """
    seeds = []
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError(
                "this tensor does not require grad and has no graph: did you compute it under "
                "no_grad(), detach it, or forget requires_grad=True on the inputs?"
            )
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(f"grad can be implicit only for a one-element output; got shape {out.shape}")
            g = Tensor(backend.xp_of(out.data).ones_like(out.data))
        elif not isinstance(g, Tensor):
            g = _as_tensor(g, out)
        if g.shape != out.shape:
            raise ValueError(f"grad shape {g.shape} does not match output shape {out.shape}")
        if g.dtype != out.dtype or g.device != out.device:
            raise TypeError(
                f"the grad given for an output of dtype {out.dtype} on '{out.device}' is {g.dtype} on '{g.device}'; "
                "make it like the output, e.g. with minigan.ones_like(output)"
            )
        seeds.append((out, g))

    order = _topological_order([o for o, _ in seeds])

    wanted = None
    if inputs is not None:
        wanted = {}  # id of an input -> its positions in `inputs` (the same tensor may be listed twice)
        for i, t in enumerate(inputs):
            wanted.setdefault(id(t), []).append(i)
        # Keep only functions that lead to a wanted input (others are wasted work).
        relevant = set()
        for fn in reversed(order):  # inputs-first order
            if any(id(x) in wanted or x._ctx in relevant for x in fn.inputs):
                relevant.add(fn)
        order = [fn for fn in order if fn in relevant]
    results = [None] * (len(inputs) if inputs is not None else 0)

    fn_grads = {}  # Function -> dL/d(its output), accumulated
    held = {}  # id -> (tensor, its gradient so far), for tensors with hooks that the loop does not reach

    def deliver(t, g):
        if t._hooks and (t._ctx is None or (wanted is not None and t._ctx not in relevant)):
            if t.requires_grad:  # its hooks see its whole gradient: after the loop
                held[id(t)] = (t, g if id(t) not in held else held[id(t)][1] + g)
            return
        if wanted is not None and id(t) in wanted:
            for i in wanted[id(t)]:
                results[i] = g if results[i] is None else results[i] + g
        if t._ctx is not None:
            if wanted is None or t._ctx in relevant:
                prev = fn_grads.get(t._ctx)
                fn_grads[t._ctx] = g if prev is None else prev + g
        elif wanted is None and t.requires_grad:
            _accumulate(t, g, create_graph)

    context = enable_grad() if create_graph else no_grad()
    try:
        with context, np.errstate(all="ignore"):  # no NumPy warnings, as in the forward pass (Function.__call__)
            for out, g in seeds:
                deliver(out, g)
            for fn in order:
                gy = fn_grads.pop(fn, None)
                if gy is None:
                    continue
                y = fn.output()
                if y is not None and y._hooks:  # gy is complete: every user of the output has added to it
                    gy = _hooked(y, gy)
                if fn.retains_grad and (wanted is None or accumulate):  # (after the hooks, as in torch)
                    _accumulate(y, gy, create_graph)
                recorded = needs = fn.needs_input_grad
                if wanted is not None:
                    # skip the gradients that lead to no wanted input
                    needs = tuple(r and (id(x) in wanted or x._ctx in relevant) for x, r in zip(fn.inputs, recorded))
                fn.needs_input_grad = needs
                _check_versions(fn, y)
                try:
                    gxs = fn.backward(gy)
                finally:
                    # for this call only: a retained graph (a gradient penalty's) is backpropagated again
                    fn.needs_input_grad = recorded
                if not isinstance(gxs, tuple):
                    gxs = (gxs,)
                _check_gradients(fn, gxs, needs)
                for x, gx, need in zip(fn.inputs, gxs, needs):
                    if gx is not None and need:
                        deliver(x, gx)
            for t, g in held.values():  # the leaves with hooks (and grad()'s inputs the loop did not reach)
                g = _hooked(t, g)
                if wanted is None:
                    _accumulate(t, g, create_graph)
                else:
                    for i in wanted.get(id(t), ()):  # (a root with hooks that leads to no input: none)
                        results[i] = g
            if accumulate and wanted is not None:  # backward(inputs=...): the inputs the loop did not fill
                for positions in wanted.values():
                    t, g = inputs[positions[0]], results[positions[0]]
                    if g is not None and (t._ctx is None or t._ctx not in relevant):
                        _accumulate(t, g, create_graph)
    finally:
        if not retain_graph:
            # Free the graph only now (until the loop ends, each function's inputs keep the outputs
            # of earlier functions alive: Exp, Sigmoid, ... read theirs by weakref), and also when the
            # loop stopped on an error: a second try would add to the .grad the first left half-filled
            for fn in order:
                fn.inputs = ()
                fn.freed = True
    if not create_graph:
        # Computed under no_grad, so without a graph -- except a caller's own grad_output
        # handed straight back: detach it rather than change the caller's tensor.
        results = [r.detach() if r is not None and r.requires_grad else r for r in results]
    return results


def _check_gradients(fn, gxs, needs):
    """One gradient per input, each a Tensor shaped like its input, or None: a clear error for a mistake in a backward.

    (Extra Nones are fine: an op with an optional bias may return a None for it when called without one.)
    """
    name = type(fn).__name__
    if len(gxs) < len(fn.inputs) or any(g is not None for g in gxs[len(fn.inputs):]):
        raise RuntimeError(f"{name}.backward returned {len(gxs)} gradients for {len(fn.inputs)} inputs; "
                           "return one per input, None for an input without one")
    for i, (x, g, need) in enumerate(zip(fn.inputs, gxs, needs)):
        if g is None or not need:
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"{name}.backward: the gradient for input {i} is a {type(g).__name__}, not a minigan Tensor; "
                            "wrap an array with Tensor(...) (or write the backward with minigan's ops)")
        if g.shape != x.shape or g.dtype != x.dtype:  # each rule must undo its broadcasting, and keep the dtype
            raise RuntimeError(f"{name}.backward: the gradient for input {i} has shape {g.shape} and dtype {g.dtype}, "
                               f"the input shape {x.shape} and dtype {x.dtype}; they must match (sum_to(g, x.shape) "
                               "undoes broadcasting)")


def _check_versions(fn, out):
    """Refuse to backpropagate through values changed in place after the forward pass used them.

    ``fn.backward`` reads its inputs (and some its output, `out`): if ``x += 1``,
    ``x[...] = v`` or ``fill_`` changed one since, the gradient would be wrong
    without a word. Each in-place change counts up the tensor's ``_version``;
    the counts recorded at the forward pass must still hold (torch checks the same).
    """
    for x, version in zip(fn.inputs, fn.versions):
        if x._version != version:
            _changed_in_place(fn, x)
    if out is not None and out._version != fn.output_version:
        _changed_in_place(fn, out)


def _shared_counter(y, inputs):
    """The in-place change counter for an op's output array `y`: an input's, if `y` views its memory.

    A reshape, a slice or a transpose of x is a view: changing it changes x,
    so both must count the change (as torch's views share their base's version counter).
    """
    root = y.base
    if root is None:  # y owns its memory, or is an input's very array handed back
        for x in inputs:
            if y is x.data:
                return x._counter
    else:
        for x in inputs:
            if root is x.data or root is x.data.base:
                return x._counter
    return [0]


def _changed_in_place(fn, x):
    raise RuntimeError(
        f"{type(fn).__name__}: a tensor of shape {tuple(x.shape)} that it used was changed in place "
        "(+=, x[...] = ..., fill_, an optimizer's step, nn.init, load_state_dict or .to()) after the forward pass, "
        "so its gradient would be "
        "wrong; change a copy instead (y = x.clone()), make the change before x is used, or, after "
        "optimizer.step(), compute the loss again with the new weights"
    )


def _roots(op, roots, seeds, which, noun, seeds_name):
    """`roots` (a tensor or a list) and their gradients `seeds` (None, a tensor or a list) as two lists, one per root.

    `which` names root i ("output {}"), `noun` one root, `seeds_name` the argument holding the seeds.
    """
    roots = [roots] if isinstance(roots, Tensor) else list(roots)
    seeds = [None] * len(roots) if seeds is None else [seeds] if isinstance(seeds, Tensor) else list(seeds)
    for i, t in enumerate(roots):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {which.format(i)} is not a minigan Tensor but {_what(t)}")
    if len(seeds) != len(roots):  # zip() would drop the roots without one
        raise ValueError(f"{op}: {len(roots)} {noun}s but {len(seeds)} {seeds_name}; give one per {noun} "
                         f"(None for a one-element {noun})")
    return roots, seeds


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, materialize_grads=False):
    """Gradients of `outputs` with respect to `inputs`, like ``torch.autograd.grad``.

    Returns a tuple with one Tensor per input. Nothing is accumulated into
    ``.grad``. With ``create_graph=True`` the returned gradients are themselves
    part of a graph and can be differentiated again (double backprop). An
    input the outputs do not depend on is an error, or None with
    ``allow_unused=True``, or zeros with ``materialize_grads=True``.
    ``only_inputs`` is accepted and ignored, as PyTorch (which deprecated it) does.
    """
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    outputs, grad_outputs = _roots("grad", outputs, grad_outputs, "output {}", "output", "grad_outputs")
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: input {i} is not a minigan Tensor but {_what(t)}")
        if not t.requires_grad:
            raise RuntimeError("grad: every input must have requires_grad=True")
    if retain_graph is None:
        retain_graph = create_graph
    results = _run_backward(outputs, grad_outputs, inputs, retain_graph, create_graph)
    for i, r in enumerate(results):
        if r is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {inputs[i].shape}) was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it (or materialize_grads=True for zeros)"
                )
            if materialize_grads:
                results[i] = zeros_like(inputs[i])
    return tuple(results)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Backpropagate from `tensors` (one or a list) together, like ``torch.autograd.backward``: the leaves'
    ``.grad`` accumulate the sum of their gradients (``loss.backward()`` is ``backward(loss)``).

    ``grad_tensors`` holds dL/d(each tensor), None for a one-element one (then 1); ``retain_graph``
    defaults to ``create_graph``'s value. With ``inputs`` (a tensor or a list) only those accumulate into
    ``.grad``, and, as in torch, a computed tensor among them is made to ``retain_grad()``.
    ``grad_variables`` is torch's old name for ``grad_tensors`` (deprecated there too).
    """
    if grad_variables is not None:
        import warnings

        if grad_tensors is not None:
            raise RuntimeError("backward: grad_tensors and grad_variables (its deprecated name) both given; "
                               "give grad_tensors only")
        warnings.warn("backward: grad_variables is deprecated (as in torch); use grad_tensors", FutureWarning,
                      stacklevel=2)
        grad_tensors = grad_variables
    tensors, grad_tensors = _roots("backward", tensors, grad_tensors, "tensors[{}]", "tensor", "grad_tensors")
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        if not inputs:
            raise RuntimeError("backward: inputs is empty; name the tensors whose .grad should accumulate, or leave "
                               "inputs out for every leaf")
        for i, t in enumerate(inputs):
            if not isinstance(t, Tensor):
                raise TypeError(f"backward: inputs[{i}] is not a minigan Tensor but {_what(t)}")
            if not t.requires_grad:
                raise RuntimeError(f"backward: inputs[{i}] does not require grad, so it gets no gradient; give "
                                   "tensors that require grad (leaves with requires_grad=True, or results of them)")
        for t in inputs:
            if t._ctx is not None:
                t.retain_grad()  # its .grad is filled at its Function's turn, after its hooks
    if retain_graph is None:
        retain_graph = create_graph
    _run_backward(tensors, grad_tensors, inputs, retain_graph, create_graph, accumulate=True)


# ======================================================================= ops
def sum_to(x, shape):
    """Sum `x` down to `shape` (undoes broadcasting); a no-op if shapes match."""
    _expect_tensor(x, "sum_to")
    if x.shape == tuple(shape):
        return x
    return SumTo(tuple(shape))(x)


class SumTo(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        lead = x.ndim - len(self.shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(self.shape) if n == 1 and x.shape[lead + i] != 1
        )
        y = x.sum(axis=axes, keepdims=True)
        return y.reshape(self.shape) if lead else y

    def backward(self, gy):
        # d/dx: every summed element gets the same gradient -> broadcast back
        return broadcast_to(gy, self.inputs[0].shape)


def broadcast_to(x, shape):
    """`x` repeated to `shape` by broadcasting (a view in forward)."""
    _expect_tensor(x, "broadcast_to")
    if x.shape == tuple(shape):
        return x
    return BroadcastTo(tuple(shape))(x)


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return backend.xp_of(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        # d/dx: the copies' gradients add up -> sum back to x's shape
        return sum_to(gy, self.inputs[0].shape)


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        # d(a+b)/da = 1, d(a+b)/db = 1
        a, b = self.inputs
        return sum_to(gy, a.shape), sum_to(gy, b.shape)


def add(a, b):
    """a + b, with broadcasting."""
    return Add()(*_pair(a, b, "add"))


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        # d(a-b)/da = 1, d(a-b)/db = -1
        a, b = self.inputs
        return sum_to(gy, a.shape), sum_to(-gy, b.shape)


def sub(a, b):
    """a - b, with broadcasting."""
    _no_booleans("sub (a - b)", "for a mask's complement write ~mask; for numbers convert first, mask.int()", a, b)
    return Sub()(*_pair(a, b, "sub"))


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        # d(ab)/da = b, d(ab)/db = a
        a, b = self.inputs
        ga = sum_to(gy * b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(gy * a, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def mul(a, b):
    """a * b elementwise, with broadcasting."""
    return Mul()(*_pair(a, b, "mul"))


class Div(Function):
    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
        a, b = self.inputs
        ga = sum_to(gy / b, a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(-gy * a / (b * b), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class RoundedDiv(Function):
    """a / b rounded down ("floor", Python's //) or toward zero ("trunc", C's integer division), as torch's
    ``div(a, b, rounding_mode=...)``: integers stay integers."""

    def __init__(self, mode):
        self.mode = mode

    def forward(self, a, b):
        xp = backend.xp_of(a)
        if self.mode == "floor":
            return xp.floor_divide(a, b)
        if a.dtype.kind in "iu":  # a - fmod(a, b) is an exact multiple of b, of a's sign
            return xp.floor_divide(a - xp.fmod(a, b), b)
        return xp.trunc(a / b)

    def backward(self, gy):
        # d floor(a/b)/da = d floor(a/b)/db = 0 between the steps (trunc alike): torch's convention for rounding modes
        return tuple(zeros_like(x) if need else None for x, need in zip(self.inputs, self.needs_input_grad))


def div(a, b, *, rounding_mode=None):
    """a / b elementwise, with broadcasting (true division: integers give float32).

    ``rounding_mode="floor"`` rounds down (a // b, but with torch's zero gradient), ``"trunc"`` toward zero;
    both keep integers integers.
    """
    if rounding_mode is not None:
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor' (as torch's), got {rounding_mode!r}")
        return RoundedDiv(rounding_mode)(*_division_operands(a, b, f"div(rounding_mode={rounding_mode!r})"))
    if all(isinstance(t, Tensor) and t.dtype.kind != "f" for t in (a, b)):  # as floats before _pair could cast
        a, b = _floating(a), _floating(b)  # a 0-d one to the other's integers (int64 -2 / uint8 x: -2, not 254)
    a, b = _pair(a, b, "div")
    return Div()(_floating(a), _floating(b))


class FloorDivide(Function):
    def forward(self, a, b):
        return backend.xp_of(a).floor_divide(a, b)

    def backward(self, gy):
        # d floor(a/b)/da = d floor(a/b)/db = 0 between the steps, undefined on them: torch defines none, nor minigan
        raise RuntimeError("floor_divide (a // b) has no gradient (torch defines none either): take it of detached "
                           "values, a.detach() // b, or write a differentiable form, such as (a - a % b) / b")


def floor_divide(a, b):
    """a // b elementwise, rounded down as Python's // (and torch's floor_divide): -5 // 3 is -2.

    Integers stay integers; a float operand gives floats, as the other operators promote.
    There is no gradient (as in torch): backpropagating through it is an error.
    """
    a, b = _division_operands(a, b, "floor_divide (a // b)")
    return FloorDivide()(a, b)


class Remainder(Function):
    """a - b q, with q = floor(a/b) (``remainder``: b's sign) or, with ``truncate``, trunc(a/b) (``fmod``: a's)."""

    def __init__(self, truncate=False):
        self.truncate = truncate

    def forward(self, a, b):
        xp = backend.xp_of(a)
        return (xp.fmod if self.truncate else xp.remainder)(a, b)

    def backward(self, gy):
        # d(a - b q)/da = 1, d(a - b q)/db = -q  (q = floor(a/b) or trunc(a/b): constant between its steps)
        a, b = self.inputs
        ga = sum_to(gy, a.shape) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            xp = backend.xp_of(a.data)
            q = xp.trunc(a.data / b.data) if self.truncate else xp.floor_divide(a.data, b.data)
            gb = sum_to(-gy * Tensor(q), b.shape)
        return ga, gb


def remainder(a, b):
    """a % b elementwise, as Python's % and torch's remainder: the result takes the divisor's sign (-5 % 3 is 1).

    Gradients as torch's: 1 for a, -floor(a/b) for b.
    """
    return Remainder()(*_division_operands(a, b, "remainder (a % b)"))


def fmod(a, b):
    """The remainder of a / b truncated toward zero, as C's fmod and torch's: it takes a's sign (fmod(-5, 3) is -2).

    Gradients as torch's: 1 for a, -trunc(a/b) for b.
    """
    return Remainder(truncate=True)(*_division_operands(a, b, "fmod"))


def _division_operands(a, b, op):
    """a and b promoted as for the other operators (`_pair`), checked for what torch refuses: booleans, an integer 0."""
    a, b = _pair(a, b, op)
    if a.dtype == np.bool_:  # (both are, after _pair)
        raise TypeError(f"{op}: booleans are not supported (torch refuses them too); convert first, mask.int()")
    # an integer division by 0 has no answer: torch raises on the CPU (NumPy would give 0 with a warning); on a
    # GPU, where checking would wait for the device, the result is CuPy's (0), as torch's CUDA result is undefined
    if a.dtype.kind in "iu" and b.device == "cpu" and (b.data == 0).any():
        raise RuntimeError(f"{op}: integer division by zero (the divisor holds a 0); convert to floats first, "
                           "a.float(), for inf and nan, or leave the zeros out")
    return a, b


class Clone(Function):
    def __init__(self, order="K"):
        # order "K": the same layout in memory (a C-order copy of a transposed view is slow); "C": row-major
        self.order = order

    def forward(self, x):
        return backend.xp_of(x).copy(x, order=self.order)

    def backward(self, gy):
        # d copy(x)/dx = 1
        return gy


def clone(x):
    """A copy of x in its own memory, still in the graph."""
    return Clone()(x)


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        # d(-x)/dx = -1
        return -gy


def neg(x):
    """-x."""
    _no_booleans("neg (-x)", "for a mask's complement write ~mask", x)
    return Neg()(x)


class Pow(Function):
    def __init__(self, c):
        self.c = c

    def forward(self, x):
        y = x**self.c
        if y.dtype != x.dtype and x.dtype.kind in "iu" and isinstance(self.c, int):
            y = y.astype(x.dtype)  # NumPy 1 widens a 0-d integer x to an integer power (NumPy 2 keeps x's dtype)
        return y

    def backward(self, gy):
        # d(x^c)/dx = c x^(c-1)  (for c = 0 the gradient is 0, even at x = 0 where x^(c-1) would be infinite)
        (x,) = self.inputs
        if self.c == 2:
            return gy * x * 2.0
        if self.c == 0:
            return gy * 0.0
        return gy * self.c * x ** (self.c - 1)


class TensorPow(Function):
    """x ** y for a tensor exponent y (broadcast), with torch's conventions at x = 0 and for integers."""

    def forward(self, x, y):
        xp = backend.xp_of(x)
        if x.dtype.kind == "f":
            return xp.power(x, y)  # (a negative x to a fractional y is NaN, as in torch)
        # integers: x^-n is x^n for x = 1 or -1 and 0 for any other x (0 too), as torch's (NumPy refuses -n)
        z = xp.power(x, xp.abs(y))
        return xp.where((y < 0) & (xp.abs(x) != 1), 0, z).astype(z.dtype, copy=False)

    def backward(self, gy):
        # d(x^y)/dx = y x^(y-1), 0 where y = 0;  d(x^y)/dy = x^y log(x), 0 where x = 0 and y >= 0 (both as torch's)
        x, y = self.inputs
        gx = gexp = None
        if self.needs_input_grad[0]:
            gx = sum_to(where(y.data == 0, 0.0, gy * y * x ** (y - 1.0)), x.shape)
        if self.needs_input_grad[1]:
            at_zero = (x.data == 0) & (y.data >= 0)
            gexp = sum_to(where(at_zero, 0.0, gy * self.output() * log(x)), y.shape)
        return gx, gexp


def pow(x, exponent):
    """x ** exponent: a number exponent (x ** 2, x ** 0.5), or a tensor one (x ** y), broadcast, as torch.pow.

    With a tensor exponent the gradients follow torch's: y x^(y-1) for x (0 where y = 0) and
    x^y log(x) for y (0 where x = 0 and y >= 0; NaN for a negative x, where log x is NaN even if x^y is finite).
    """
    if isinstance(exponent, Tensor):
        return _tensor_pow(x, exponent)
    if not isinstance(exponent, numbers.Real):
        raise TypeError(f"x ** exponent: the exponent must be a number or a tensor, got {type(exponent).__name__}; "
                        "wrap an array with minigan.tensor(...)")
    if isinstance(exponent, (float, np.floating)):  # a float exponent gives floats, as in torch: int ** 2.0 is float32
        x = _floating(x)
    elif isinstance(x, Tensor) and x.dtype.kind != "f":
        if x.dtype == np.bool_:  # a mask to an integer power counts in int64, as torch's (NumPy's would be int8)
            _no_booleans("x ** exponent of a boolean x", "convert x first, x.int() ** n", exponent)
            x = x.to(dtype="int64")
        if exponent < 0:  # NumPy's own error would come from deep inside
            raise ValueError(f"x ** {exponent}: integers to negative integer powers are not allowed (torch refuses "
                             "them too); convert x first, x.float() ** n")
    if not float(exponent).is_integer():
        return Pow(float(exponent))(_floating(x))
    return Pow(int(exponent))(x)


def _tensor_pow(x, exponent):
    """x ** exponent for a tensor exponent (x a tensor or a number): both promoted as for x * exponent."""
    x, exponent = _pair(x, exponent, "pow (x ** y)")
    if x.dtype == np.bool_ and exponent.dtype == np.bool_:
        raise TypeError("pow (x ** y): booleans are not supported (torch refuses them too); "
                        "convert first, x.int() ** y")
    if x.dtype != exponent.dtype:  # integers (or booleans) of two dtypes: both in the wider one, as torch's
        dtype = np.result_type(x.dtype, exponent.dtype)
        x, exponent = x.to(dtype=dtype), exponent.to(dtype=dtype)
    return TensorPow()(x, exponent)


class Exp(Function):
    def forward(self, x):
        return backend.xp_of(x).exp(x)

    def backward(self, gy):
        # d(e^x)/dx = e^x = y
        return gy * self.output()


class Exponential(Function):
    """base ** x for a positive number base (``2 ** x``): computed as a power, exact where it can be."""

    def __init__(self, base):
        self.base = base

    def forward(self, x):
        return backend.xp_of(x).power(x.dtype.type(self.base), x)

    def backward(self, gy):
        # d(b^x)/dx = b^x ln b = y ln b
        return gy * self.output() * math.log(self.base)


def exp(x):
    """e^x elementwise."""
    return Exp()(_floating(x))


class Log(Function):
    def forward(self, x):
        return backend.xp_of(x).log(x)

    def backward(self, gy):
        # d(log x)/dx = 1/x
        return gy / self.inputs[0]


def log(x):
    """Natural logarithm, elementwise."""
    return Log()(_floating(x))


class Log1p(Function):
    def forward(self, x):
        return backend.xp_of(x).log1p(x)

    def backward(self, gy):
        # d log(1 + x)/dx = 1/(1 + x)
        return gy / (1.0 + self.inputs[0])


def log1p(x):
    """log(1 + x), accurate for small x (where 1 + x would round away x's digits)."""
    return Log1p()(_floating(x))


def logsumexp(x, dim, keepdim=False):
    """log(sum(exp(x))) along `dim`, shifted by the max so nothing overflows (its gradient is softmax(x))."""
    _expect_tensor(x, "logsumexp")
    x = _floating(x)  # integers as float32, as torch's (an unsigned x - shift would wrap around)
    axes = _norm_axes(None if dim == () else dim, x.shape, "logsumexp")  # dim=(): every axis, as torch's
    xp = backend.xp_of(x.data)
    # an empty axis sums to 0, whose log is -inf (as torch's); max() of nothing would fail, so no shift there
    top = x.data.max(axis=axes, keepdims=True) if x.data.size else xp.zeros(_keepdims_shape(x.shape, axes), x.dtype)
    # a constant: the result does not depend on it (0 where the max is infinite: all -inf gives -inf, +inf gives +inf)
    shift = Tensor(xp.where(xp.isfinite(top), top, 0).astype(x.dtype))
    with np.errstate(divide="ignore"):  # log(0) = -inf is the answer for an empty or all -inf row
        out = log(sum(exp(x - shift), axis=axes, keepdims=True)) + shift
    return out if keepdim else reshape(out, *[n for i, n in enumerate(x.shape) if i not in axes])


def flip(x, dims):
    """x with the order along each axis in `dims` reversed (a horizontal flip of images: dims=(3,)).

    A copy, as torch's (NumPy's flip is a view: x.flip(0) += 1 would change x, and count as x's in-place change).
    """
    _expect_tensor(x, "flip")
    axes = _norm_axes(dims, x.shape, "flip")
    return clone(x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))])


class Sign(Function):
    def forward(self, x):
        xp = backend.xp_of(x)
        return xp.where(x == x, xp.sign(x), 0).astype(x.dtype)  # NaN != NaN: NumPy's sign keeps NaN, torch gives 0

    def backward(self, gy):
        # d sign(x)/dx = 0 (wherever it exists; torch takes 0 at x = 0 too)
        return zeros_like(self.inputs[0])


def sign(x):
    """-1, 0 or 1 by the sign of each value, 0 for NaN as in torch (its gradient is 0)."""
    _expect_tensor(x, "sign")
    if x.dtype == np.bool_:  # a mask's sign is the mask, as torch's (NumPy has no sign of booleans)
        return clone(x)
    return Sign()(x)


class Sqrt(Function):
    def forward(self, x):
        return backend.xp_of(x).sqrt(x)

    def backward(self, gy):
        # d(sqrt x)/dx = 1 / (2 sqrt x) = 1 / (2y)
        return gy / (self.output() * 2.0)


def sqrt(x):
    """Square root, elementwise."""
    return Sqrt()(_floating(x))


class Abs(Function):
    def forward(self, x):
        return backend.xp_of(x).abs(x)

    def backward(self, gy):
        # d|x|/dx = sign(x)  (0 at x = 0, and at NaN as in torch)
        return gy * sign(self.inputs[0])


def abs(x):
    """|x| elementwise (gradient sign(x), 0 at 0)."""
    _no_booleans("abs", "a mask is its own absolute value", x)
    return Abs()(x)


def isnan(x):
    """Where x is NaN, as a boolean tensor (no gradient)."""
    _expect_tensor(x, "isnan")
    return Tensor(backend.xp_of(x.data).isnan(x.data))


def isinf(x):
    """Where x is +inf or -inf, as a boolean tensor (no gradient)."""
    _expect_tensor(x, "isinf")
    return Tensor(backend.xp_of(x.data).isinf(x.data))


def isfinite(x):
    """Where x is neither NaN nor infinite, as a boolean tensor (no gradient): a diverged loss fails it."""
    _expect_tensor(x, "isfinite")
    return Tensor(backend.xp_of(x.data).isfinite(x.data))


class Maximum(Function):
    """max(a, b) elementwise, or min(a, b) with ``smallest=True``."""

    def __init__(self, smallest=False):
        self.smallest = smallest

    def forward(self, a, b):
        xp = backend.xp_of(a)
        return (xp.minimum if self.smallest else xp.maximum)(a, b)

    def backward(self, gy):
        # d max(a,b)/da = 1 - [a < b] and d max(a,b)/db = 1 - [a > b], less 1/2 each on a tie; where a NaN makes
        # every comparison false both get all of it, as in torch (min: the same with < and > swapped)
        a, b = self.inputs
        tie = 0.5 * (a.data == b.data).astype(gy.dtype)

        def share(loses):  # (cast back: NumPy 1 widens a 0-d float32 mask for the Python number 1)
            return Tensor((1 - loses.astype(gy.dtype) - tie).astype(gy.dtype, copy=False))

        a_loses, b_loses = (a.data > b.data, a.data < b.data) if self.smallest else (a.data < b.data, a.data > b.data)
        ga = sum_to(gy * share(a_loses), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(gy * share(b_loses), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def maximum(a, b):
    """Elementwise maximum (on ties the gradient is split equally between `a` and `b`, and where either is NaN both
    get all of it, as in torch)."""
    return Maximum()(*_pair(a, b, "maximum"))


def minimum(a, b):
    """Elementwise minimum (on ties the gradient is split equally, and where either is NaN both get all of it, as in
    torch)."""
    return Maximum(smallest=True)(*_pair(a, b, "minimum"))


class Clip(Function):
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        y = backend.xp_of(x).clip(x, self.lo, self.hi)
        if y.dtype != x.dtype and x.dtype.kind in "iu" and _ints_fit(x.dtype, self.lo, self.hi):
            y = y.astype(x.dtype)  # NumPy 1 widens a 0-d x clipped to Python ints (NumPy 2 keeps x's dtype)
        return y

    def backward(self, gy):
        # d clip(x)/dx = 1 inside [lo, hi], 0 outside
        x = self.inputs[0].data
        inside = backend.xp_of(x).ones_like(x)
        if self.lo is not None:
            inside = inside * (x >= self.lo)
        if self.hi is not None:
            inside = inside * (x <= self.hi)
        return gy * Tensor(inside.astype(x.dtype))


def clip(x, min=None, max=None):
    """Clamp values to [min, max] (either may be None)."""
    if min is None and max is None:
        raise ValueError("clip: give min, max or both")
    _number_bounds(min, max, "clamp")
    bounds = [b for b in (min, max) if b is not None]
    if isinstance(x, Tensor) and x.dtype.kind in "biu":
        if all(isinstance(b, numbers.Integral) for b in bounds):  # integers clamped to integers stay integers
            if x.dtype == np.bool_:  # a mask clamped to integers counts in int64, as torch's
                _no_booleans("clamp of a boolean x", "clamp to 0 or 1, or convert x first, x.int()", *bounds)
                x = x.to(dtype="int64")
            info = np.iinfo(x.dtype)  # bounds clip by value; a result outside the dtype is refused (NumPy: OverflowError)
            if (max is not None and max < info.min) or (min is not None and min > info.max):
                raise ValueError(f"clamp: min={min}, max={max} would give values outside {x.dtype}'s range "
                                 f"{info.min}..{info.max}; convert x first, x.long().clamp(...)")
            # bounds beyond the dtype's range change nothing: brought into it (CuPy refuses a bound x cannot hold)
            lo = None if min is None else int(min) if min > info.min else int(info.min)
            hi = None if max is None else int(max) if max < info.max else int(info.max)
            return Clip(lo, hi)(x)
        x = _floating(x)  # a float bound makes float32, as in torch
    # float(): a NumPy float64 bound would promote a float32 tensor (NumPy 2)
    return Clip(None if min is None else float(min), None if max is None else float(max))(x)


clamp = clip


def _number_bounds(lo, hi, name):
    """clamp's bounds are numbers; a tensor bound (allowed in torch) gets a clear error saying what to write."""
    for bound, which, fn in ((lo, "min", "maximum"), (hi, "max", "minimum")):
        if bound is not None and not isinstance(bound, numbers.Real):
            raise TypeError(f"{name}: {which} must be a number, got {type(bound).__name__}; "
                            f"for a bound per element use minigan.{fn}(x, {which})")


class Where(Function):
    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        return backend.xp_of(a).where(self.cond, a, b)

    def backward(self, gy):
        # d where(c,a,b)/da = c, /db = 1 - c: gy picked by c, not multiplied by it, as torch's (a NaN in gy where b
        # was picked is none of a's gradient, and NaN * 0 would be NaN)
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        ga = sum_to(where(self.cond, gy, 0.0), a.shape) if need_a else None
        gb = sum_to(where(self.cond, 0.0, gy), b.shape) if need_b else None
        return ga, gb


def where(condition, input=None, other=None):
    """Pick `input` where `condition` is true, else `other` (the condition gets no gradient); ``where(condition)``
    alone is ``nonzero(condition, as_tuple=True)``, as torch's."""
    cond, a, b = condition, input, other
    if a is None and b is None:
        return nonzero(cond if isinstance(cond, Tensor) else Tensor(cond), as_tuple=True)
    if a is None or b is None:
        raise TypeError("where(cond, a, b) picks from a where cond is true, else from b: give both, or neither for "
                        "the positions where cond is true (as nonzero(cond, as_tuple=True))")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):  # two numbers: a float32 (or int64) tensor, as torch's
        device = cond.device if isinstance(cond, Tensor) else None
        weak = isinstance(a, np.generic) or (_is_array(a) and a.ndim == 0)  # np.float64(1.0) too: float32
        a = Tensor(a.item() if weak else a, device=device)
    a, b = _pair(a, b, "where")
    cond = _raw(cond)
    if not _is_array(cond):
        cond = backend.asarray(np.asarray(cond), device=a.device)
    if cond.dtype != np.bool_:  # torch's rule too: a float mask with 0.5 in it means nothing definite
        raise TypeError(f"where: the condition (mask) must be boolean, got {cond.dtype}; compare to make one, "
                        "e.g. x > 0, or convert with mask.bool()")
    if backend.device_of(cond) != a.device:
        raise RuntimeError(f"where: the condition is on '{backend.device_of(cond)}' and the values on '{a.device}'; "
                           f"move the mask with mask.to('{a.device}')")
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(f"where: the condition's shape {tuple(cond.shape)} and the values' shapes {a.shape} and "
                         f"{b.shape} do not broadcast together; aligned from the last axis, each size must be "
                         "equal or 1") from None
    return Where(cond)(a, b)


def lerp(start, end, weight):
    """start + weight (end - start): the straight line from start (weight 0) to end (weight 1), as torch.lerp.

    A composition, so both ends (and a tensor weight) get their gradients: (1 - w) and w.
    """
    _expect_tensor(start, "lerp")
    _expect_tensor(end, "lerp")
    return start + weight * (end - start)


# ----------------------------------------------------------------- matmul
class MatMul(Function):
    def forward(self, a, b):
        return a @ b

    def backward(self, gy):
        # y = a b:  dL/da = gy b^T,  dL/db = a^T gy  (batched over leading axes)
        a, b = self.inputs
        ga = sum_to(gy @ _swap_last(b), a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(_swap_last(a) @ gy, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def _swap_last(x):
    return transpose(x, -1, -2)


def matmul(a, b):
    """Matrix product a @ b, with NumPy's rules for 1-D and batched operands."""
    a, b = _pair(a, b, "matmul")
    if a.dtype == np.bool_:  # (both are, after _pair)
        raise TypeError("matmul: a product of two boolean tensors is not supported (torch refuses it too); "
                        "convert first, a.int() @ b.int()")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not fit: the last axis of the first "
            f"({a.shape[-1]}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} axis of the second "
            f"({b.shape[-2] if b.ndim > 1 else b.shape[0]})"
        )
    if a.ndim == 1:  # a row vector, whose axis is dropped again (with b's, if b is 1-D too: a dot product)
        return reshape(matmul(reshape(a, 1, -1), b), *(b.shape[:-2] + b.shape[-1:] if b.ndim > 1 else ()))
    if b.ndim == 1:
        return reshape(matmul(a, reshape(b, -1, 1)), *a.shape[:-1])
    return MatMul()(a, b)


class Linear(Function):
    def forward(self, x, w, b=None):
        y = x @ w.T
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        # y = x w^T + b:  gx = gy w,  gw = gy^T x,  gb = gy summed over the batch
        x, w = self.inputs[0], self.inputs[1]
        if _grad_enabled:  # double backward: Tensor ops, so the gradients carry a graph
            return self._products(gy, x, w)
        # the usual case: no graph needed, so the same products on plain arrays
        return tuple(None if g is None else Tensor(g) for g in self._products(gy.data, x.data, w.data))

    def _products(self, gy, x, w):
        need = self.needs_input_grad
        gx = gw = None
        if need[0]:
            # with one output feature (a discriminator's logit) gy @ w is an outer product:
            # a broadcast multiply gives the same numbers, and BLAS is slow at a sum of one term
            # x batch-innermost (a flattened convolution output): gx = (W^T gy^T)^T, laid out like x,
            # so that Flatten's backward needs no copy
            if backend.is_batch_innermost(_raw(x)):
                gx = (w.T * gy.T).T if w.shape[0] == 1 else (w.T @ gy.T).T
            else:
                gx = gy * w if w.shape[0] == 1 else gy @ w
        if need[1]:
            gw = gy.T @ x
        gb = gy.sum(axis=0) if len(self.inputs) == 3 and need[2] else None
        return gx, gw, gb


def linear(x, weight, bias=None):
    """y = x @ weight.T + bias, with weight of shape (out_features, in_features)."""
    _expect_tensor(x, "Linear")
    _expect_tensor(weight, "Linear (weight)")
    if bias is not None:
        _expect_tensor(bias, "Linear (bias)")
    if weight.ndim != 2:  # (torch also takes a 1-D weight, as x @ w: write that instead)
        raise ValueError(f"Linear: the weight must be 2-D, (out_features, in_features), got shape {weight.shape}; "
                         "for a product with a vector write x @ w")
    if x.ndim == 0:
        raise ValueError(f"Linear: expected input of shape (N, {weight.shape[1]}) or ({weight.shape[1]},), "
                         "got a single number (shape ())")
    if x.ndim != 2:
        lead = x.shape[:-1]
        return reshape(linear(reshape(x, -1, x.shape[-1]), weight, bias), *lead, weight.shape[0])
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"Linear: expected input with {weight.shape[1]} features (shape (N, {weight.shape[1]})), "
            f"got shape {x.shape}; check in_features or the previous layer's output size"
        )
    if x.dtype != weight.dtype:
        raise TypeError(f"Linear: input dtype {x.dtype} but weight dtype {weight.dtype}; convert the input with .to(dtype=...)")
    if bias is not None and (tuple(bias.shape) != (weight.shape[0],) or bias.dtype != weight.dtype):
        raise ValueError(f"Linear: the bias must have shape ({weight.shape[0]},) and the weight's dtype {weight.dtype}, "
                         f"got shape {tuple(bias.shape)} and dtype {bias.dtype}")
    return Linear()(x, weight, bias) if bias is not None else Linear()(x, weight)


# ------------------------------------------------------------- reductions
def _axis(axis, shape, op):
    """One axis as an index in [0, ndim); negative axes count from the end, as in NumPy."""
    ndim = len(shape)
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"{op}: an axis must be an int, got {type(axis).__name__} {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of shape {tuple(shape)} ({ndim} axes)")
    return int(axis) % ndim


def _norm_axes(axis, shape, op="sum"):
    """`axis` (None for all, an int, or a tuple of ints) as a tuple of distinct axes in [0, ndim)."""
    ndim = len(shape)
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:  # the common case, kept cheap: ops call this every step
        return (axis % ndim,)
    if not isinstance(axis, (numbers.Integral, tuple, list)):
        raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {type(axis).__name__} {axis!r}")
    if ndim == 0:  # torch reduces a 0-d tensor along dim 0 or -1, as one value: no axis to reduce
        dims = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
        for a in dims:
            _scalar_dim(a, op)
        if len(dims) > 1:  # 0 and -1 are the same axis there
            raise ValueError(f"{op}: dim {axis} names an axis twice (a 0-d tensor has one, dim 0 or -1)")
        return ()
    axes = tuple(_axis(a, shape, op) for a in ((axis,) if isinstance(axis, numbers.Integral) else axis))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: axis {axis} names an axis twice (tensor shape {tuple(shape)})")
    return axes


def _scalar_dim(dim, op):
    """Check the dim of an op along an axis of a 0-d tensor: torch takes it as one value, along dim 0 or -1."""
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool) or dim not in (0, -1):
        raise ValueError(f"{op}: dim {dim!r} is out of range for a 0-d tensor (one value, no axes): "
                         "only dim 0 or -1 take it as one value")


def _keepdims_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        # integers (and booleans) add up as int64, as in torch (NumPy: uint64 for unsigned ones)
        return x.sum(axis=self.axis, keepdims=self.keepdims, dtype=None if x.dtype.kind == "f" else np.int64)

    def backward(self, gy):
        # d sum(x)/dx_i = 1 -> broadcast gy back over the summed axes
        x = self.inputs[0]
        shape = _keepdims_shape(x.shape, _norm_axes(self.axis, x.shape))
        return broadcast_to(reshape(gy, *shape), x.shape)


def _axis_names(op, axis, keepdims, dim, keepdim):
    """NumPy's names (axis, keepdims) or torch's (dim, keepdim), whichever the caller used."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: give axis (NumPy's name) or dim (torch's), not both")
        axis = None if isinstance(dim, (tuple, list)) and not dim else dim  # torch reads dim=() as every axis
    return axis, (keepdims if keepdim is None else keepdim)


def sum(x, axis=None, keepdims=False, dim=None, keepdim=None, *, dtype=None):
    """Sum over `axis` (all axes when None), optionally keeping the summed axes as size 1 (or torch's dim, keepdim).

    ``dtype``: x is converted to it first, as torch's (``mask.sum(dtype=minigan.int32)``, float32 summed in float64).
    """
    _expect_tensor(x, "sum")
    axis, keepdims = _axis_names("sum", axis, keepdims, dim, keepdim)
    axis = _norm_axes(axis, x.shape, "sum") if axis is not None else None
    if dtype is None:
        return Sum(axis, keepdims)(x)
    y = Sum(axis, keepdims)(x.to(dtype=dtype))
    return y.to(dtype=dtype)  # (integers add up as int64: an int32 or uint8 sum goes back to that dtype)


def mean(x, axis=None, keepdims=False, dim=None, keepdim=None, *, dtype=None):
    """Arithmetic mean: sum / count (the count is a Python int: no float64 sneaks in); ``dtype``: x converted first."""
    _expect_tensor(x, "mean")
    if dtype is not None:
        if _resolve_dtype(dtype).kind != "f":  # torch refuses it too
            raise TypeError(f"mean: dtype must be a floating-point dtype, got {dtype!r}; a mean of integers is "
                            "not an integer (round it afterwards if you need one)")
        x = x.to(dtype=dtype)
    axis, keepdims = _axis_names("mean", axis, keepdims, dim, keepdim)
    axes = _norm_axes(axis, x.shape, "mean")
    count = 1
    for a in axes:
        count *= x.shape[a]
    if count == 0:
        raise ValueError(f"mean: nothing to average over axes {axes} of a tensor of shape {tuple(x.shape)}")
    return sum(x, axis, keepdims) * (1.0 / count)


class Cumsum(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return backend.xp_of(x).cumsum(x, axis=self.axis)

    def backward(self, gy):
        # d y_i/dx_k = 1 for i >= k:  gx_k = sum of gy_i over i >= k, the running sum of gy taken from the end
        axis = (self.axis,)
        return flip(cumsum(flip(gy, axis), self.axis), axis)


def cumsum(x, dim, *, dtype=None):
    """The running sum along `dim`, as torch.cumsum: integers and booleans add up as int64 (unless `dtype` says)."""
    _expect_tensor(x, "cumsum")
    x = _reduction_input(x, dtype)
    if x.ndim == 0:  # torch takes a 0-d tensor along dim 0 or -1 as one value
        _scalar_dim(dim, "cumsum")
        return clone(x)
    return Cumsum(_axis(dim, x.shape, "cumsum"))(x)


class Prod(Function):
    """The product along the last axis (``prod`` moves the axis it reduces there)."""

    def forward(self, x):
        return x.prod(axis=-1)

    def backward(self, gy):
        # d prod(x)/dx_i = the product of the other elements (not prod / x_i: that fails where x_i = 0)
        return unsqueeze(gy, -1) * ProdOfOthers()(self.inputs[0])


class ProdOfOthers(Function):
    """y_i = the product of all x_j but x_i along the last axis: the running products from both ends, no division."""

    def forward(self, x):
        xp = backend.xp_of(x)
        before, after = xp.ones_like(x), xp.ones_like(x)
        before[..., 1:] = xp.cumprod(x[..., :-1], axis=-1)  # x_0 x_1 ... x_(i-1)
        after[..., :-1] = xp.cumprod(x[..., :0:-1], axis=-1)[..., ::-1]  # x_(i+1) ... x_(n-1)
        return before * after

    def backward(self, gy):
        # d y_i/dx_k = the product of all x_j but x_i and x_k (0 for k = i): row k of the products of others
        # of x with x_k set to 1 (an n x n table per row of x: for the second derivative of prod only)
        x = self.inputs[0]
        n = x.shape[-1]
        diagonal = backend.xp_of(x.data).eye(n, dtype=bool)
        rows = where(diagonal, 1.0, broadcast_to(unsqueeze(x, -2), x.shape + (n,)))
        table = ProdOfOthers()(rows) * Tensor((~diagonal).astype(x.dtype))
        return sum(table * unsqueeze(gy, -2), axis=-1)


def prod(x, dim=None, keepdim=False, *, dtype=None):
    """The product of all elements, or along one axis `dim`, as torch.prod (integers and booleans: int64).

    The gradient is the product of the other elements, right where x holds zeros.
    """
    _expect_tensor(x, "prod")
    x = _reduction_input(x, dtype)
    if dim is None:
        if keepdim:
            raise TypeError("prod: keepdim=True goes with a dim (torch's rule too); for all elements, prod(x)")
        return Prod()(reshape(x, -1))
    if x.ndim == 0:  # torch takes a 0-d tensor along dim 0 or -1 as one value
        _scalar_dim(dim, "prod")
        return clone(x)
    axis = _axis(dim, x.shape, "prod")
    last = Prod()(permute(x, *[i for i in range(x.ndim) if i != axis], axis))  # the axis moved last, then reduced
    return unsqueeze(last, axis) if keepdim else last


def _reduction_input(x, dtype):
    """x in the dtype a running sum or a product computes in: `dtype` if given, else int64 for integers and booleans."""
    if dtype is None and x.dtype.kind in "biu":
        dtype = "int64"
    return x if dtype is None else x.to(dtype=dtype)


def var(x, dim=None, unbiased=None, keepdim=None, *, correction=1, axis=None, keepdims=False):
    """Variance over `dim` (all axes when None): sum((x - mean)^2) / (count - correction).

    ``correction=1`` (the default, as torch's ``var``) is the unbiased sample
    variance; ``correction=0`` is NumPy's ``var``, the one batch norm uses.
    torch's older flag ``unbiased=False`` means ``correction=0``; as in torch, it is the second
    positional argument (``x.var(0, False)``), or the only one (``x.var(False)``).
    """
    centered, axes, keepdims, dof = _centered("var", x, dim, keepdim, correction, unbiased, axis, keepdims)
    return sum(centered * centered, axes, keepdims) * (1.0 / dof)


def std(x, dim=None, unbiased=None, keepdim=None, *, correction=1, axis=None, keepdims=False):
    """Standard deviation, sqrt(var(...)), with torch's default correction=1 (see ``var``).

    Computed as ||x - mean|| / sqrt(count - correction), so that where all values are
    equal the gradient is 0 (as torch's), not the NaN of sqrt's rule at 0.
    """
    centered, axes, keepdims, dof = _centered("std", x, dim, keepdim, correction, unbiased, axis, keepdims)
    return Norm(axes, keepdims)(centered) * (1.0 / math.sqrt(dof))


def _centered(name, x, dim, keepdim, correction, unbiased, axis, keepdims):
    """x - mean(x) over the axes of var/std, the axes, keepdims, and the divisor count - correction."""
    _expect_tensor(x, name)
    if isinstance(dim, bool):  # torch's x.var(False): the flag unbiased, not a dim
        dim, unbiased = None, dim
    if unbiased is not None:
        correction = 1 if unbiased else 0
    axis, keepdims = _axis_names(name, axis, keepdims, dim, keepdim)
    axes = _norm_axes(axis, x.shape, name)
    count = 1
    for a in axes:
        count *= x.shape[a]
    if count - correction <= 0:
        raise ValueError(f"{name}: {count} value(s) per result and correction={correction} leave nothing to divide by")
    return x - mean(x, axes, keepdims=True), axes, keepdims, count - correction


class Norm(Function):
    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        xp = backend.xp_of(x)
        return xp.sqrt(xp.sum(x * x, axis=self.axis, keepdims=self.keepdims))

    def backward(self, gy):
        # d||x||/dx = x / ||x||, taken as 0 where ||x|| = 0 (as torch does; sqrt's rule would give nan there)
        x = self.inputs[0]
        shape = _keepdims_shape(x.shape, _norm_axes(self.axis, x.shape))
        y = reshape(self.output(), *shape)
        safe = where(y.data == 0, 1.0, y)
        return broadcast_to(reshape(gy, *shape), x.shape) * x / safe


def norm(x, p=2, dim=None, keepdim=False):
    """The p-norm over `dim` (all axes when None), p = 2 (Euclidean, also "fro") or 1, as torch's ``norm``.

    WGAN-GP's penalty by hand is ``((g.norm(2, dim=1) - 1) ** 2).mean()``.
    """
    _expect_tensor(x, "norm")
    axis = _norm_axes(dim, x.shape, "norm") if dim is not None and dim != () else None  # dim=(): all, as torch's
    if p in (2, "fro"):
        return Norm(axis, keepdim)(_floating(x))
    if p == 1:
        return sum(abs(x), axis, keepdim)
    raise ValueError(f"norm: p must be 2 (or 'fro') or 1, got {p!r}")


class Max(Function):
    """max(x) over `axis` (all axes when None), or min(x) with ``smallest=True``.

    A NaN is the max and takes the gradient (torch's max(x)); with ``nan_ties=False`` it is not, and the
    gradient of a slice holding a NaN is NaN (torch's amax and amin).
    """

    def __init__(self, axis, keepdims, smallest=False, nan_ties=True):
        self.axis, self.keepdims, self.smallest, self.nan_ties = axis, keepdims, smallest, nan_ties

    def forward(self, x):
        return (x.min if self.smallest else x.max)(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        # d max(x)/dx_i = 1 where x_i is the max (split evenly between ties; a NaN is the max), else 0; amax/amin
        # (nan_ties=False): a slice holding a NaN, whose NaN no x_i equals, gets NaN everywhere (0/0), as torch's
        x = self.inputs[0]
        shape = _keepdims_shape(x.shape, _norm_axes(self.axis, x.shape))
        y = self.output().data.reshape(shape)
        mask = x.data == y
        if x.dtype.kind == "f" and self.nan_ties:
            xp = backend.xp_of(x.data)
            mask |= xp.isnan(x.data) & xp.isnan(y)
            # torch's max(x): the share picked where x is the max, 0 elsewhere (a NaN or inf gy reaches the max only)
            count = mask.sum(axis=self.axis, keepdims=True).astype(x.dtype)
            return where(Tensor(mask), broadcast_to(reshape(gy, *shape), x.shape) / Tensor(count), 0.0)
        mask = mask.astype(x.dtype)
        mask /= mask.sum(axis=self.axis, keepdims=True)  # (0/0 is NaN where no x_i equals a NaN max: torch's amax)
        return broadcast_to(reshape(gy, *shape), x.shape) * Tensor(mask)


class MaxAlong(Function):
    """The values of torch's max(x, dim) (or min): the gradient goes to the returned index alone, as in torch."""

    def __init__(self, axis, keepdims, index, smallest=False):
        self.axis, self.keepdims, self.smallest = axis, keepdims, smallest
        self.index = index  # argmax (argmin) along the axis, which kept its length 1

    def forward(self, x):
        return (x.min if self.smallest else x.max)(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        # d max_j x_ij / dx_ik = [k = argmax_j x_ij]: one 1 per row, at the index returned (first among ties)
        x = self.inputs[0]
        xp = backend.xp_of(x.data)
        positions = xp.arange(x.shape[self.axis]).reshape([-1 if i == self.axis else 1 for i in range(x.ndim)])
        shape = _keepdims_shape(x.shape, (self.axis,))
        # picked, not multiplied by 0/1: a NaN or inf in gy reaches the index alone, as torch's
        return where(Tensor(positions == self.index), broadcast_to(reshape(gy, *shape), x.shape), 0.0)


def _along(x, dim, keepdim, op):
    """torch's max(x, dim) / min(x, dim): (values, indices), the first extreme of each row (a NaN first)."""
    find = backend.xp_of(x.data).argmin if op == "min" else backend.xp_of(x.data).argmax
    index = find(x.data, axis=dim, keepdims=True)  # NumPy's argmax/argmin stop at the first NaN, as torch's
    values = MaxAlong(dim, keepdim, index, smallest=op == "min")(x)
    return MaxMin(values, Tensor((index if keepdim else index.squeeze(dim)).astype(np.int64)))


MaxMin = collections.namedtuple("MaxMin", ["values", "indices"])  # what torch.max(x, dim) returns


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=False):
    """The maximum, in torch.max's three forms.

    max(x) is the largest element (a 0-d tensor; ties share the gradient
    equally); max(x, dim, keepdim=False) is the pair (values, indices) along
    one axis, as torch returns it (``x.max(1).values``, ``values, indices =
    x.max(1)``), the gradient going to the index returned; max(x, other) of two
    tensors is ``maximum(x, other)``. NumPy's names, max(x, axis=..., keepdims=...),
    give the values only, over one axis or several (ties share the gradient).
    """
    return _extreme("max", x, dim, keepdim, axis, keepdims)


def _extreme(op, x, dim, keepdim, axis, keepdims):
    _expect_tensor(x, op)
    if isinstance(dim, Tensor):
        return (minimum if op == "min" else maximum)(x, dim)
    if dim is not None and x.ndim == 0:  # torch takes a 0-d tensor along dim 0 or -1 as one value, at index 0
        _scalar_dim(dim, op)
        _torch_dim(op, dim, axis, (1,))
        return MaxMin(reshape(x), Tensor(np.zeros((), np.int64)))
    if dim is not None:
        dim = _torch_dim(op, dim, axis, x.shape)
        _nonempty(x, (dim,), op)
        return _along(x, dim, keepdim, op)
    axis = _norm_axes(axis, x.shape, op) if axis is not None else None
    _nonempty(x, axis, op)
    return Max(axis, keepdims, smallest=op == "min")(x)


def _nonempty(x, axes, op):
    """A clear error for a max, min or arg over an axis of length 0 (axes None: all of them)."""
    if any(x.shape[a] == 0 for a in (range(x.ndim) if axes is None else axes)):
        raise ValueError(f"{op}: the tensor of shape {tuple(x.shape)} has no values along the axes to reduce")


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=False):
    """The minimum, in the same three forms as ``max``."""
    return _extreme("min", x, dim, keepdim, axis, keepdims)


def _torch_dim(op, dim, axis, shape):
    """The one axis of torch's max(x, dim) or min(x, dim), checked, in [0, ndim)."""
    if axis is not None:
        raise TypeError(f"{op}: give dim (torch's name: values and indices) or axis (NumPy's: values only), not both")
    if not isinstance(dim, numbers.Integral):
        raise TypeError(f"{op}: dim must be one axis (an int), got {dim!r}; for the values over several "
                        f"axes use axis=..., as NumPy's {op}")
    return _axis(dim, shape, op)


def argmax(x, axis=None, keepdims=False, dim=None, keepdim=None):
    """Index of the maximum over `axis` (of the flattened tensor when None), as an int64 tensor with no gradient."""
    return _arg("argmax", x, axis, keepdims, dim, keepdim)


def argmin(x, axis=None, keepdims=False, dim=None, keepdim=None):
    """Index of the minimum over `axis` (of the flattened tensor when None), as an int64 tensor with no gradient."""
    return _arg("argmin", x, axis, keepdims, dim, keepdim)


def _arg(op, x, axis, keepdims, dim, keepdim):
    _expect_tensor(x, op)
    _no_booleans(op, f"convert first, mask.int().{op}()", x)
    axis, keepdims = _axis_names(op, axis, keepdims, dim, keepdim)
    if axis is not None and x.ndim == 0:  # along dim 0 or -1 a 0-d tensor is one value, at index 0 (as in torch)
        _scalar_dim(axis, op)
        axis = None
    axis = _axis(axis, x.shape, op) if axis is not None else None
    _nonempty(x, None if axis is None else (axis,), op)
    find = getattr(backend.xp_of(x.data), op)
    return Tensor(find(x.data, axis=axis, keepdims=keepdims).astype(np.int64))


# ------------------------------------------------------- shape operations
class Reshape(Function):
    def __init__(self, shape, like=None):
        self.shape, self.like = shape, like

    def forward(self, x):
        y = x.reshape(self.shape)
        return y if self.like is None else backend.layout_like(y, self.like)

    def backward(self, gy):
        # dL/dx = gy reshaped to x's shape (reshaping moves no values), laid out in memory like the input
        # (a convolution's batch-innermost output meeting a C-ordered gradient would slow every later step)
        return reshape(gy, *self.inputs[0].shape, like=self.inputs[0].data)


def reshape(x, *shape, like=None):
    """The same values in a new shape (one axis may be -1); `like`: an array whose memory layout to give them."""
    _expect_tensor(x, "reshape")
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if any(not isinstance(n, numbers.Integral) or n < -1 for n in shape):  # NumPy takes any negative size as -1
        raise ValueError(f"reshape: sizes must be ints >= 0, or -1 for the one axis to infer, got {tuple(shape)}")
    try:  # a new tensor even for the same shape (a view, as torch's): grad() and retain_grad() may ask for it
        return Reshape(tuple(shape), like)(x)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.numel()} values) to {tuple(shape)}") from None


class Permute(Function):
    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        # y = x.permute(p):  dL/dx = gy.permute(argsort(p)), the inverse permutation
        return permute(gy, *np.argsort(self.axes).tolist())


def permute(x, *dims):
    """Reorder all axes: axis i of the result is axis dims[i] of x (torch's permute, NumPy's transpose)."""
    _expect_tensor(x, "permute")
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if len(dims) != x.ndim:
        raise ValueError(f"permute: got dims {dims} for a tensor of shape {tuple(x.shape)}; give an order of "
                         f"all {x.ndim} axes (to swap two axes use transpose(dim0, dim1))")
    return Permute(_norm_axes(dims, x.shape, "permute"))(x)


def transpose(x, *dims):
    """Swap two axes, as torch.transpose(x, dim0, dim1): ``x.transpose(0, 1)`` of a matrix is its transpose.

    NumPy's ``transpose`` reorders all axes instead; here that is ``permute``
    (and ``.T`` reverses them all).
    """
    _expect_tensor(x, "transpose")
    if len(dims) != 2 or not all(isinstance(d, numbers.Integral) for d in dims):
        raise TypeError(f"transpose: got {dims}; it swaps two axes, as torch's (x.transpose(0, 1)). To reorder "
                        "all axes as NumPy's transpose does use permute(...), or .T to reverse them")
    if x.ndim == 0:  # torch swaps "dims" 0 / -1 of a 0-d tensor: nothing moves
        for d in dims:
            _scalar_dim(d, "transpose")
        return reshape(x)
    a, b = _axis(dims[0], x.shape, "transpose"), _axis(dims[1], x.shape, "transpose")
    order = list(range(x.ndim))
    order[a], order[b] = b, a
    return Permute(tuple(order))(x)


def unsqueeze(x, dim):
    """x with a new axis of size 1 at `dim` (counted in the result, as torch.unsqueeze)."""
    _expect_tensor(x, "unsqueeze")
    nd = x.ndim + 1
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"unsqueeze: dim must be an int, got {type(dim).__name__} {dim!r}")
    if not -nd <= dim < nd:
        raise ValueError(f"unsqueeze: dim {dim} is out of range for a tensor of shape {tuple(x.shape)}")
    dim %= nd
    return reshape(x, *x.shape[:dim], 1, *x.shape[dim:])


def squeeze(x, dim=None):
    """x without its axes of size 1 (only those of `dim`, an int or a tuple, when given), as torch.squeeze."""
    _expect_tensor(x, "squeeze")
    if dim is None:
        return reshape(x, *[n for n in x.shape if n != 1])
    if x.ndim == 0:  # dim 0 or -1 of a 0-d tensor, as in torch: nothing to remove
        _norm_axes(dim, x.shape, "squeeze")
        return reshape(x)
    dims = _norm_axes(dim, x.shape, "squeeze")  # (a dim named twice is refused, as in torch)
    shape = [n for i, n in enumerate(x.shape) if not (i in dims and n == 1)]
    return reshape(x, *shape)


def flatten(x, start_dim=0, end_dim=-1, name="flatten"):
    """Merge axes start_dim..end_dim (both included) into one, as torch.flatten does."""
    _expect_tensor(x, "flatten")
    if x.ndim == 0:  # one value: shape (1,), with start_dim and end_dim 0 or -1 as in torch
        _scalar_dim(start_dim, name)
        _scalar_dim(end_dim, name)
        return reshape(x, 1)
    if not (-x.ndim <= start_dim < x.ndim and -x.ndim <= end_dim < x.ndim):
        raise ValueError(
            f"{name}: input shape {tuple(x.shape)} has no axes {start_dim}..{end_dim} to flatten; "
            "for one sample, add a batch axis with x.reshape(1, *x.shape)"
        )
    start, end = start_dim % x.ndim, end_dim % x.ndim
    if start > end:
        raise ValueError(
            f"{name}: start_dim {start_dim} comes after end_dim {end_dim} for input shape {tuple(x.shape)}"
        )
    if start == end:  # no axes merged: x itself, as torch.flatten returns it
        return x
    # (the merged size written out, not -1: with a batch of 0 it would be left open)
    return reshape(x, *x.shape[:start], math.prod(x.shape[start:end + 1]), *x.shape[end + 1:])


class GetItem(Function):
    def __init__(self, index):
        self.index = index

    def forward(self, x):
        y = x[self.index]
        if not isinstance(y, type(x)):
            # every axis picked by an integer: NumPy hands back a scalar (a copy); with ... appended it is a
            # 0-d view of x, as torch's x[0] and CuPy's are (so y += 1 changes x, and counts as x's change)
            index = self.index if isinstance(self.index, tuple) else (self.index,)
            y = x[(*index, ...)]
        return y

    def backward(self, gy):
        # dL/dx = gy at the picked entries, 0 elsewhere (repeated integer indices add up)
        return GetItemGrad(self.index, self.inputs[0].shape)(gy)


class GetItemGrad(Function):
    """The adjoint of indexing: zeros of the input's shape with gy scattered in."""

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, gy):
        gx = backend.xp_of(gy).zeros(self.shape, dtype=gy.dtype)
        if _has_array_index(self.index):
            backend.scatter_add(gx, self.index, gy)
        else:
            gx[self.index] = gy
        return gx

    def backward(self, ggx):
        # linear in gy, so dL/dgy = ggx[index]: its adjoint (transpose), indexing at the same positions
        return getitem(ggx, self.index)


class Pad(Function):
    """y = x in the middle of a block of `value`s: constant padding (``F.pad``), widths (before, after) per axis."""

    def __init__(self, widths, value=0.0):
        self.widths, self.value = widths, value

    def forward(self, x):
        shape = tuple(n + before + after for n, (before, after) in zip(x.shape, self.widths))
        y = backend.xp_of(x).full(shape, self.value, dtype=x.dtype)
        y[self._inner(x.shape)] = x
        return y

    def backward(self, gy):
        # y's middle block is x, the border is constant:  dL/dx = gy[middle]
        return getitem(gy, self._inner(self.inputs[0].shape))

    def _inner(self, shape):
        return tuple(slice(before, before + n) for n, (before, _) in zip(shape, self.widths))


def _has_array_index(index):
    items = index if isinstance(index, tuple) else (index,)
    return any(not isinstance(i, (int, slice, type(None), type(Ellipsis))) for i in items)


def _clean_index(index, device):
    """Tensors and lists in an index become arrays on the right device; a 0-d integer one an int, as in torch.

    (NumPy reads a 0-d array as an array: a copy, placed apart from other integers; torch's x[t] is x[int(t)], a view.)
    """
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for i in items:
        if isinstance(i, Tensor):
            i = i.data
        elif isinstance(i, list):  # an empty list picks nothing (NumPy would make it a float index)
            i = backend.asarray(i, dtype=np.int64 if not i else None, device=device)
        if _is_array(i) and i.ndim == 0 and i.dtype.kind in "iu":
            i = int(i)
        elif _is_array(i) and backend.device_of(i) != device:
            i = backend.to_device(i, device)
        out.append(i)
    return tuple(out) if isinstance(index, tuple) else out[0]


def _ints_first(index):
    """torch's order for an index holding both integers and arrays: (integers, slices and None), then the arrays.

    NumPy counts an integer beside an array as one more array, so x[0, :, [1, 2]] of a (2, 3, 4) x is
    (2, 3) there (the two "arrays" are apart, so their axis goes first) but (3, 2) in torch, which picks
    with the integer first. Returns the two indices to apply in turn, or None when one does.
    """
    items = index if isinstance(index, tuple) else (index,)

    def integer(i):
        return isinstance(i, numbers.Integral) and not isinstance(i, (bool, np.bool_))

    arrays = [_is_array(i) for i in items]
    if not any(arrays) or not any(integer(i) for i in items):
        return None
    first = tuple(k for i, a in zip(items, arrays)  # (a boolean mask covers as many axes as it has)
                  for k in ((slice(None),) * (i.ndim if i.dtype == bool else 1) if a else (i,)))
    then = tuple(i if a else Ellipsis if i is Ellipsis else slice(None) for i, a in zip(items, arrays) if not integer(i))
    return first, then


def getitem(x, index):
    """x[index] for slices, integers and integer/boolean arrays (integers beside arrays picked first, as in torch)."""
    index = _clean_index(index, x.device)
    split = _ints_first(index)
    if split is not None:
        return GetItem(split[1])(GetItem(split[0])(x))
    return GetItem(index)(x)


class Cat(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return backend.xp_of(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        # dL/dx_k = the slice of gy where x_k sits along the axis: each input gets back its own part
        grads, start = [], 0
        for x in self.inputs:
            stop = start + x.shape[self.axis]
            index = (slice(None),) * self.axis + (slice(start, stop),)
            grads.append(getitem(gy, index))
            start = stop
        return tuple(grads)


def cat(tensors, axis=0, dim=None):
    """Join tensors along an existing axis (``dim`` is accepted as torch's name)."""
    axis = dim if dim is not None else axis
    tensors = _tensor_list(tensors, "cat")
    dtype = _cat_dtype(tensors)
    # torch's legacy rule: a 1-D empty tensor, shape (0,), joins anything (it is left out)
    kept = [t for t in tensors if t.shape != (0,)]
    axis = _axis(axis, kept[0].shape, "cat") if kept else 0  # (all of shape (0,): empty, whatever the dim)
    tensors = kept or tensors
    for t in tensors[1:]:
        if t.ndim != tensors[0].ndim or any(
            a != b for i, (a, b) in enumerate(zip(t.shape, tensors[0].shape)) if i != axis
        ):
            raise ValueError(f"cat: shapes {tensors[0].shape} and {t.shape} differ outside axis {axis}")
    return Cat(axis)(*[t if t.dtype == dtype else t.to(dtype=dtype) for t in tensors])


def _cat_dtype(tensors, op="cat"):
    """The dtype cat and stack join in: integers and booleans take a float's dtype, or the widest integer (torch's)."""
    floats = list(dict.fromkeys(t.dtype for t in tensors if t.dtype.kind == "f"))
    if len(floats) > 1:  # no silent float64 (as in adding them)
        raise TypeError(f"{op}: dtypes differ, {floats[0]} and {floats[1]}; convert one with .to(dtype=...)")
    return floats[0] if floats else np.result_type(*[t.dtype for t in tensors])


def _tensor_list(tensors, op):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}: expected a list of tensors, got one tensor; {op}([a, b], ...)")
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: item {i} of the list is not a minigan Tensor but {_what(t)}")
    return tensors


def stack(tensors, axis=0, dim=None):
    """Join tensors along a new axis."""
    axis = dim if dim is not None else axis
    tensors = _tensor_list(tensors, "stack")
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: every tensor must have the same shape, got {tuple(tensors[0].shape)} "
                             f"and {tuple(t.shape)}")
    _cat_dtype(tensors, "stack")  # (checked here, so that an error names stack, not the cat it calls)
    nd = tensors[0].ndim + 1  # the new axis may go anywhere, the end included
    if not -nd <= axis < nd:
        raise ValueError(f"stack: axis {axis} is out of range for stacking tensors of shape {tuple(tensors[0].shape)}")
    axis %= nd
    return cat([unsqueeze(t, axis) for t in tensors], axis)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-D tensors, as torch.meshgrid: one tensor per input, all of shape (n1, n2, ...).

    ``xs, ys = meshgrid(x, y, indexing="xy")`` gives (len(y), len(x)) grids, the layout
    of an image (matplotlib's), for drawing D(x) over the plane; "ij" (torch's
    default) gives (len(x), len(y)). Each is a broadcast view in the graph.
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    tensors = _tensor_list(tensors, "meshgrid")
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if any(t.ndim != 1 for t in tensors):
        shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
        raise ValueError(f"meshgrid: expected 1-D tensors, got shapes {shapes}")
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:  # the first two grids swap axes: rows follow the second input
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for t, axis in zip(tensors, axes):
        shape[axis] = t.shape[0]
    grids = []
    for t, axis in zip(tensors, axes):
        along = [1] * len(tensors)
        along[axis] = t.shape[0]
        grids.append(broadcast_to(reshape(t, *along), tuple(shape)))
    return tuple(grids)


# ------------------------------------------------ indexing and shape extras
def amax(x, dim=None, keepdim=False):
    """The largest values over `dim` (every axis for None or (), torch's default), as torch.amax.

    Unlike max(x, dim) there are no indices, and tied maxima share the gradient evenly.
    """
    return _amax("amax", x, dim, keepdim)


def amin(x, dim=None, keepdim=False):
    """The smallest values over `dim` (every axis for None or ()), as torch.amin: tied minima share the gradient."""
    return _amax("amin", x, dim, keepdim)


def _amax(op, x, dim, keepdim):
    _expect_tensor(x, op)
    axes = _norm_axes(None if isinstance(dim, (tuple, list)) and not dim else dim, x.shape, op)
    _nonempty(x, axes, op)
    return Max(axes, keepdim, smallest=op == "amin", nan_ties=False)(x)


def tile(x, dims):
    """x repeated dims[i] times along each axis, as torch.tile: with fewer dims than axes, the last axes are meant."""
    _expect_tensor(x, "tile")
    if not isinstance(dims, (tuple, list)):
        raise TypeError(f"tile: dims must be a tuple of ints, got {type(dims).__name__} {dims!r}; "
                        "write tile(x, (2,)) or x.tile(2)")
    if any(not isinstance(r, numbers.Integral) or isinstance(r, bool) or r < 0 for r in dims):
        raise ValueError(f"tile: dims must be ints >= 0 (one count per axis), got {tuple(dims)}")
    return x.repeat(*(1,) * (x.ndim - len(dims)), *dims)


def roll(x, shifts, dims=None):
    """x shifted around cyclically, shifts[i] places along dims[i], as torch.roll (dims=None: of x flattened).

    What is pushed off the end comes back at the start: two slices joined in swapped order.
    """
    _expect_tensor(x, "roll")
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    dims = () if dims is None else tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if any(not isinstance(s, numbers.Integral) or isinstance(s, bool) for s in shifts) or not shifts:
        raise TypeError(f"roll: shifts must be an int or a tuple of ints, got {shifts!r}")
    if not dims:  # of the flattened x, then back to x's shape
        if len(shifts) != 1:
            raise ValueError(f"roll: without dims, shifts must be one int, got {shifts}; give one dim per shift")
        return reshape(roll(reshape(x, -1), shifts, 0), *x.shape)
    if len(shifts) != len(dims):
        raise ValueError(f"roll: got {len(shifts)} shifts and {len(dims)} dims; give one shift per dim")
    y = x
    for shift, dim in zip(shifts, dims):
        dim = _axis(dim, x.shape, "roll")
        n = x.shape[dim]
        if n and shift % n:  # y = (the last s entries, then the rest) along dim
            s, before = shift % n, (slice(None),) * dim
            y = cat([getitem(y, (*before, slice(n - s, n))), getitem(y, (*before, slice(0, n - s)))], dim)
    return clone(x) if y is x else y  # a new tensor even when nothing moved, as torch's


def narrow(x, dim, start, length):
    """The `length` entries of x from `start` on along `dim`, as torch.narrow (a view, as there: a slice)."""
    _expect_tensor(x, "narrow")
    if x.ndim == 0:
        raise ValueError("narrow: x is a 0-d tensor (one value, no axes to narrow); reshape it first, x.reshape(1)")
    dim = _axis(dim, x.shape, "narrow")
    if isinstance(start, Tensor) and start.ndim == 0 and start.dtype.kind in "iu":  # torch takes a 0-d tensor
        start = start.item()
    n = x.shape[dim]
    for name, value in (("start", start), ("length", length)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            raise TypeError(f"narrow: {name} must be an int, got {type(value).__name__} {value!r}")
    if not -n <= start <= n:
        raise IndexError(f"narrow: start {start} is out of range for axis {dim} of size {n} (shape {tuple(x.shape)}): "
                         f"expected {-n} <= start <= {n}")
    start = start % n if start < 0 else start
    if length < 0 or start + length > n:
        raise ValueError(f"narrow: {length} entries from {start} on do not fit in axis {dim} of size {n} "
                         f"(shape {tuple(x.shape)}); length must be in 0..{n - start}")
    return getitem(x, (slice(None),) * dim + (slice(start, start + length),))


def _index_array(index, x, op, vector=False):
    """The raw array of an integer index tensor for `op`, checked: a Tensor, int64 or int32, on x's device."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}: the index must be a minigan Tensor of int64, got {_what(index)}")
    if index.dtype not in (np.int64, np.int32):
        raise TypeError(f"{op}: the index must hold int64 (or int32) values, got {index.dtype}; "
                        "convert it with index.long()")
    if index.device != x.device:
        raise RuntimeError(f"{op}: the index is on '{index.device}' and x on '{x.device}'; "
                           f"move the index with index.to('{x.device}')")
    if vector and index.ndim > 1:
        raise ValueError(f"{op}: the index must be a vector (1-D), got shape {tuple(index.shape)}; flatten it first")
    return index.data


def _check_range(idx, n, op, dim):
    """An error for an index outside 0..n-1 (negative ones too, as torch's); on a GPU it reads two numbers back.

    (CuPy would silently wrap an index out of range around; torch's CUDA kernels stop with an assert.)
    """
    lo, hi = (int(idx.min()), int(idx.max())) if idx.size else (0, -1)
    if lo < 0 or hi >= n:
        raise IndexError(f"{op}: index {lo if lo < 0 else hi} is out of range for dim {dim} of size {n}; "
                         f"indices must lie in 0..{n - 1}")


def index_select(x, dim, index):
    """The entries of x at `index` (a 1-D int64 tensor) along `dim`, in its order, repeats too: torch.index_select."""
    _expect_tensor(x, "index_select")
    idx = _index_array(index, x, "index_select", vector=True).reshape(-1)
    if x.ndim == 0:  # one value, along dim 0 or -1, as torch's
        _scalar_dim(dim, "index_select")
        _check_range(idx, 1, "index_select", dim)
        if idx.size != 1:
            raise ValueError(f"index_select: a 0-d x gives one value; got {idx.size} indices")
        return reshape(x)
    dim = _axis(dim, x.shape, "index_select")
    _check_range(idx, x.shape[dim], "index_select", dim)
    return getitem(x, (slice(None),) * dim + (idx,))


def _along_axis(index, dim):
    """The NumPy index picking x[..., index[i, j, ...], ...] along `dim`: the other axes count up beside it."""
    xp = backend.xp_of(index)
    return tuple(index if d == dim else xp.arange(n).reshape([-1 if e == d else 1 for e in range(index.ndim)])
                 for d, n in enumerate(index.shape))


class Gather(Function):
    """y = x picked along one axis at `index`, of y's shape (torch.gather): y[i, j] = x[i, index[i, j]] for dim 1."""

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x):
        return x[_along_axis(self.index, self.dim)]

    def backward(self, gy):
        # dL/dx[i, k] = the sum of gy[i, j] over the j with index[i, j] = k: gy scatter-added into zeros
        return ScatterAdd(self.dim, self.index)(zeros_like(self.inputs[0]), gy)


def _scatter_in_order(combine, x, dim, index, src):
    """A copy of x with y[index] = combine(y[index], src) along `dim` (x[i, index[i, j]] for dim 1), in index order.

    One slice of the index at a time: inside one the positions differ (so each value is combined once), and values
    meeting at a position are combined in index order, the same results on NumPy and CuPy (cupy.add.at's atomic
    additions come in no fixed order, and CuPy has no multiply.at).
    """
    y = x.copy()
    for k in range(index.shape[dim]):
        at = (slice(None),) * dim + (slice(k, k + 1),)
        picked = _along_axis(index[at], dim)
        y[picked] = combine(y[picked], src[at])
    return y


class ScatterAdd(Function):
    """y = x with src added at `index` along one axis (torch.scatter_add): y[i, index[i, j]] += src[i, j] for dim 1."""

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x, src):
        return _scatter_in_order(backend.xp_of(x).add, x, self.dim, self.index, src)

    def backward(self, gy):
        # dL/dx = gy, dL/dsrc[i, j] = gy[i, index[i, j]]: gy gathered at the index
        gsrc = Gather(self.dim, self.index)(gy) if self.needs_input_grad[1] else None
        return gy, gsrc


class Scatter(Function):
    """y = x with src written at `index` along one axis (torch.scatter): y[i, index[i, j]] = src[i, j] for dim 1.

    Where the index repeats a position, the last value in index order is kept, as by torch on a CPU and by NumPy
    (``backend.assign``: CuPy's assignment alone keeps any one of the repeats).
    """

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x, src):
        y = x.copy()
        backend.assign(y, _along_axis(self.index, self.dim), src)  # (repeats differ along dim: the last k stays)
        return y

    def backward(self, gy):
        # dL/dx = gy where x is kept, 0 where it was written over; dL/dsrc = gy gathered at the index (torch's
        # convention: where the index repeats a position, the value written over gets gy too, not its derivative 0)
        gx = gsrc = None
        if self.needs_input_grad[0]:
            kept = backend.xp_of(gy.data).ones(gy.shape, dtype=gy.dtype)
            kept[_along_axis(self.index, self.dim)] = 0
            gx = gy * Tensor(kept)
        if self.needs_input_grad[1]:
            gsrc = Gather(self.dim, self.index)(gy)
        return gx, gsrc


class ScatterMultiply(Function):
    """y = x with the entries at `index` along one axis multiplied by src (torch.scatter's reduce='multiply'):
    y[i, index[i, j]] *= src[i, j] for dim 1, repeats multiplying in index order."""

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x, src):
        return _scatter_in_order(backend.xp_of(x).multiply, x, self.dim, self.index, src)

    def backward(self, gy):
        # dy/dx and dy/dsrc: products of the other factors at each position; torch defines neither, nor minigan
        raise RuntimeError("scatter(..., reduce='multiply') has no gradient (torch defines none either); take it of "
                           "detached values, or build the product from differentiable ops")


def gather(x, dim, index, *, sparse_grad=False):
    """The entries of x at `index` along `dim`, as torch.gather: out[i][j] = x[i][index[i][j]] for dim=1.

    `index` (int64) has x's number of axes and gives the output its shape (no larger than x but along dim).
    Picking each row's label column: ``gather(log_probs, 1, labels.unsqueeze(1))``.
    """
    if sparse_grad:
        raise NotImplementedError("gather: sparse_grad=True is not supported (minigan has no sparse tensors)")
    x1, dim, idx, _ = _scatter_operands("gather", x, dim, index)
    y = Gather(dim, idx)(x1)
    return y if y.shape == index.shape else reshape(y, *index.shape)


def scatter(x, dim, index, src=None, *, value=None, reduce=None):
    """A copy of x with `src` (a tensor, or one number: also `value`) written at `index` along `dim`, as
    torch.scatter (not in place; ``x.scatter_`` is).

    For dim=1: out[i][index[i][j]] = src[i][j]. Gradients: to x, zero where it was written over; to src,
    the output's gradient at the index (all of a repeated position's values get it, as in torch). Where the
    index repeats a position, one of its values is kept.
    reduce='add' adds the values in instead (repeats add up, as scatter_add, with its gradients: torch has none),
    reduce='multiply' multiplies them in (no gradient, as in torch).
    """
    return _scatter("scatter", x, dim, index, src, value, reduce)


def _scatter(op, x, dim, index, src, value, reduce):
    """scatter and scatter_: src or value checked, then written (reduce None), added or multiplied in."""
    if (src is None) == (value is None):
        raise TypeError(f"{op}: give src (a tensor or a number) or value (a number), one of them; got "
                        f"{'neither' if src is None else 'both'}")
    if reduce not in (None, "add", "multiply"):
        raise ValueError(f"{op}: reduce must be 'add' or 'multiply' (or None), as torch's, got {reduce!r}; torch's "
                         "scatter_reduce ('sum', 'prod', 'mean', 'amax', 'amin') is not in minigan")
    if reduce is not None and isinstance(src, Tensor):  # torch's warning (once: Python's filter shows it once here)
        import warnings
        warnings.warn(f"{op}: torch deprecates reduce= with a tensor src (its scatter_reduce replaces it); for "
                      "reduce='add' write scatter_add(dim, index, src)", UserWarning)
    x1, dim, idx, src = _scatter_operands(op, x, dim, index, src if value is None else value, numbers_too=True)
    y = {None: Scatter, "add": ScatterAdd, "multiply": ScatterMultiply}[reduce](dim, idx)(x1, src)
    return y if y.shape == x.shape else reshape(y, *x.shape)


def scatter_add(x, dim, index, src):
    """A copy of x with `src` added at `index` along `dim`, as torch.scatter_add (not in place; ``x.scatter_add_`` is):
    repeats add up.

    For dim=1: out[i][index[i][j]] += src[i][j]. Gradients: to x, the output's; to src, the output's at the index.
    """
    return _scatter_add("scatter_add", x, dim, index, src)


def _scatter_add(op, x, dim, index, src):
    x1, dim, idx, src = _scatter_operands(op, x, dim, index, src)
    y = ScatterAdd(dim, idx)(x1, src)
    return y if y.shape == x.shape else reshape(y, *x.shape)


def _scatter_operands(op, x, dim, index, src=None, numbers_too=False):
    """gather's and scatter's operands checked as torch checks them: (x, dim, index array, src of the index's shape).

    A 0-d x, index or src counts as 1-D, as in torch.
    """
    _expect_tensor(x, op)
    idx = _index_array(index, x, op)
    x1, idx = reshape(x, 1) if x.ndim == 0 else x, idx.reshape(1) if idx.ndim == 0 else idx
    if idx.ndim != x1.ndim:
        raise ValueError(f"{op}: the index must have as many axes as x, got shapes {tuple(index.shape)} and "
                         f"{tuple(x.shape)}")
    dim = _axis(dim, x1.shape, op)
    if any(i > n for d, (i, n) in enumerate(zip(idx.shape, x1.shape)) if d != dim):
        raise ValueError(f"{op}: the index's shape {tuple(index.shape)} must be no larger than x's "
                         f"{tuple(x.shape)} outside dim {dim}")
    if src is not None and not isinstance(src, Tensor):
        if not (numbers_too and isinstance(src, numbers.Number)):
            raise TypeError(f"{op}: src must be a minigan Tensor{' or a number' if numbers_too else ''}, "
                            f"got {_what(src)}")
        src = Tensor(backend.xp_of(idx).full(idx.shape, src, dtype=x.dtype))
    elif src is not None:
        if src.dtype != x.dtype or src.device != x.device:
            raise TypeError(f"{op}: src ({src.dtype} on '{src.device}') must have x's dtype and device "
                            f"({x.dtype} on '{x.device}'); convert it with src.to(x.dtype) or move it")
        src = reshape(src, 1) if src.ndim == 0 else src
        if src.ndim != idx.ndim or any(i > n for i, n in zip(idx.shape, src.shape)):
            raise ValueError(f"{op}: src's shape {tuple(src.shape)} must have the index's axes, each no smaller "
                             f"(index {tuple(index.shape)})")
        if src.shape != idx.shape:  # the part the index covers
            src = getitem(src, tuple(slice(0, i) for i in idx.shape))
    _check_range(idx, x1.shape[dim], op, dim)
    return x1, dim, idx, src


def tril(x, diagonal=0):
    """The lower triangle of x's last two axes, zeros above diagonal `diagonal` (1: one more above), as torch.tril."""
    return _triangle("tril", x, diagonal)


def triu(x, diagonal=0):
    """The upper triangle of x's last two axes, zeros below diagonal `diagonal` (-1: one more below), as torch.triu."""
    return _triangle("triu", x, diagonal)


def _triangle(op, x, diagonal):
    _expect_tensor(x, op)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected a matrix (or a batch of them, the last two axes), got shape {tuple(x.shape)}")
    if not isinstance(diagonal, numbers.Integral) or isinstance(diagonal, bool):
        raise TypeError(f"{op}: diagonal must be an int, got {type(diagonal).__name__} {diagonal!r}")
    xp = backend.xp_of(x.data)
    above = xp.arange(x.shape[-1]) - xp.arange(x.shape[-2]).reshape(-1, 1)  # column - row: 0 on the diagonal
    return where(above <= diagonal if op == "tril" else above >= diagonal, x, zeros_like(x))


def _diagonal(shape, k, xp):
    """The (rows, columns) of diagonal k of a matrix of `shape` (k > 0 above the main one, k < 0 below)."""
    top, left = (0, k) if k >= 0 else (-k, 0)
    n = shape[0] - top if shape[0] - top < shape[1] - left else shape[1] - left
    steps = xp.arange(n if n > 0 else 0)
    return steps + top, steps + left


class Diag(Function):
    """torch.diag: a vector becomes diagonal k of a matrix of zeros (of `shape`, else square); of a matrix, diagonal k."""

    def __init__(self, k, shape=None):
        self.k, self.shape = k, shape

    def forward(self, x):
        xp = backend.xp_of(x)
        if x.ndim == 2:
            return x[_diagonal(x.shape, self.k, xp)]
        n = x.shape[0] + (self.k if self.k >= 0 else -self.k)
        y = xp.zeros(self.shape or (n, n), dtype=x.dtype)
        y[_diagonal(y.shape, self.k, xp)] = x
        return y

    def backward(self, gy):
        # linear, and the two directions are each other's adjoint (transpose): dL/dx = diag(gy, k), of x's shape
        x = self.inputs[0]
        return Diag(self.k, x.shape if x.ndim == 2 else None)(gy)


def diag(x, diagonal=0):
    """As torch.diag: a 1-D x is put on diagonal `diagonal` of a square matrix of zeros; of a 2-D x, that diagonal.

    diagonal > 0 is above the main diagonal, < 0 below.
    """
    _expect_tensor(x, "diag")
    if x.ndim not in (1, 2):
        raise ValueError(f"diag: expected a 1-D or 2-D tensor, got shape {tuple(x.shape)}")
    if not isinstance(diagonal, numbers.Integral) or isinstance(diagonal, bool):
        raise TypeError(f"diag: diagonal must be an int, got {type(diagonal).__name__} {diagonal!r}")
    return Diag(int(diagonal))(x)


# ------------------------------------------------------------ activations
class ReLU(Function):
    def forward(self, x):
        return backend.xp_of(x).maximum(x, x.dtype.type(0))  # (a 0 of x's dtype: NumPy 1 widens a 0-d x for 0)

    def backward(self, gy):
        # d relu(x)/dx = [x > 0], and 1 for NaN as torch's (its rule: 0 where x <= 0)
        mask = (~(self.inputs[0].data <= 0)).astype(gy.dtype)  # 0/1 in gy's dtype: a same-dtype multiply is fastest
        if not _grad_enabled:  # no graph needed: one multiply on plain arrays
            return Tensor(gy.data * mask)
        return gy * Tensor(mask)


def relu(x, inplace=False):
    """max(x, 0) elementwise. ``inplace`` is accepted for PyTorch code; the result is a new tensor (same values)."""
    _no_booleans("relu", "convert first, mask.float()", x)
    return ReLU()(x)


class LeakyReLU(Function):
    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        xp = backend.xp_of(x)
        if 0.0 <= self.slope <= 1.0:  # then max(x, slope*x) is x for x > 0, slope*x otherwise
            y = xp.multiply(x, self.slope, out=xp.empty_like(x))
            return xp.maximum(y, x, out=y)  # into y's memory: ~20% faster than a new array
        return xp.where(x > 0, x, x * self.slope)

    def backward(self, gy):
        # d leaky(x)/dx = 1 if x > 0 else slope
        x = self.inputs[0].data
        xp = backend.xp_of(x)
        slope = backend.scalar(self.slope, x.dtype, backend.device_of(x))
        if 0.0 <= self.slope <= 1.0:  # sign(x) is 1, 0 or -1, so max(sign(x), slope) is 1 or slope: two passes
            factor = xp.sign(x, out=xp.empty_like(x))
            xp.fmax(factor, slope, out=factor)  # fmax: a NaN's sign NaN gives the slope, as torch's
        else:
            factor = xp.where(x > 0, xp.ones_like(x), slope)
        if not _grad_enabled:  # no graph needed: one multiply on plain arrays, into factor's memory
            factor *= gy.data
            return Tensor(factor)
        return gy * Tensor(factor)


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope * x. ``inplace``: accepted, computed out of place (as ``relu``)."""
    # float(): a NumPy float64 slope would promote a float32 tensor (NumPy 2)
    return LeakyReLU(_real("leaky_relu", "negative_slope", negative_slope))(_floating(x))


def _real(op, what, value):
    """`value` as a Python float, or a clear error naming the op's argument."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{op}: {what} must be a number, got {value!r}")
    return float(value)


class ELU(Function):
    """elu, and with torch's `scale` and `input_scale` also selu (a scale) and celu (input_scale = 1/alpha)."""

    def __init__(self, alpha, scale=1.0, input_scale=1.0):
        self.alpha, self.scale, self.input_scale = alpha, scale, input_scale

    def forward(self, x):
        # scale x where x >= 0 (so -0.0 gives -0.0, as torch's), else scale alpha (e^(input_scale x) - 1);
        # e^ of min(x, 0): no overflow on the unused side
        xp = backend.xp_of(x)
        below = xp.minimum(x, 0) if self.input_scale == 1 else xp.minimum(x, 0) * self.input_scale
        if self.scale == 1:
            return xp.where(x >= 0, x, self.alpha * xp.expm1(below))
        return xp.where(x >= 0, x * self.scale, (self.alpha * self.scale) * xp.expm1(below))

    def backward(self, gy):
        # d elu(x)/dx = scale where x > 0, else scale alpha input_scale e^(input_scale x)  (e^ of min(x, 0), as above)
        x, s = self.inputs[0], self.input_scale
        below = exp(minimum(x, 0.0) if s == 1 else minimum(x, 0.0) * s)
        # (NaN: scale, as torch's scalar loop gives; its vectorised loop gives NaN)
        return gy * where(x.data <= 0, below * (self.alpha * self.scale * s), self.scale)


def elu(x, alpha=1.0, inplace=False):
    """x where x > 0, else alpha (e^x - 1): its slope is 1 on both sides of 0 for alpha = 1. ``inplace``: accepted,
    out of place."""
    return ELU(_real("elu", "alpha", alpha))(_floating(x))


def silu(x, inplace=False):
    """x sigmoid(x) (also called swish); its gradient comes from those two ops. ``inplace``: accepted."""
    _expect_tensor(x, "silu")
    x = _floating(x)
    return x * sigmoid(x)


class Sigmoid(Function):
    def forward(self, x):
        # 1/(1+e^-x), with e = e^-|x| so that nothing overflows: 1/(1+e) for x >= 0, e/(1+e) below.
        # (Not 0.5 tanh(x/2) + 0.5: that subtracts two numbers near 1 and gives exactly 0 below about -18 in float32.)
        xp = backend.xp_of(x)
        e = xp.exp(-xp.abs(x))
        r = 1.0 / (1.0 + e)
        return xp.where(x >= 0, r, e * r)

    def backward(self, gy):
        # d sigmoid(x)/dx = y (1 - y)
        y = self.output()
        return gy * y * (1.0 - y)


def sigmoid(x):
    """1 / (1 + e^-x), computed without overflow."""
    return Sigmoid()(_floating(x))


class Tanh(Function):
    def forward(self, x):
        return backend.xp_of(x).tanh(x)

    def backward(self, gy):
        # d tanh(x)/dx = 1 - y^2
        y = self.output()
        return gy * (1.0 - y * y)


def tanh(x):
    """Hyperbolic tangent, elementwise."""
    return Tanh()(_floating(x))


class Softplus(Function):
    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        # log(1 + e^(bx)) / b = (max(bx, 0) + log1p(e^-|bx|)) / b: stable for any x; x itself where bx > threshold
        xp = backend.xp_of(x)
        z = x * self.beta if self.beta != 1 else x
        y = xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))
        if self.beta != 1:
            y /= self.beta
        return xp.where(z > self.threshold, x, y) if self.threshold is not None else y

    def backward(self, gy):
        # d softplus(x)/dx = sigmoid(b x)  (1 where b x > threshold, where the output is x itself)
        x = self.inputs[0]
        slope = sigmoid(x * self.beta if self.beta != 1 else x)
        if self.threshold is not None:
            slope = where(x.data * self.beta > self.threshold, 1.0, slope)
        return gy * slope


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta, computed stably; x itself where beta x > threshold, as in torch."""
    if not (isinstance(beta, numbers.Real) and beta > 0):
        raise ValueError(f"softplus: beta must be a number > 0, got {beta!r}")
    threshold = None if threshold is None else _real("softplus", "threshold", threshold)  # (None: logsigmoid's)
    return Softplus(float(beta), threshold)(_floating(x))


def log_softmax(x, dim=-1):
    """log softmax along `dim`, shifted by the max for stability (the shift is a constant: no gradient needed)."""
    _expect_tensor(x, "log_softmax")
    x = _floating(x)  # integers as float32 (an unsigned x - max would wrap around)
    if x.ndim == 0:  # torch takes a 0-d tensor along dim 0 or -1 as one value, whose log-probability is 0
        _scalar_dim(dim, "log_softmax")
        return reshape(log_softmax(reshape(x, 1), 0))
    dim = _axis(dim, x.shape, "log_softmax")
    if x.shape[dim] == 0:  # nothing to normalise: an empty result, as torch's (the max below would fail)
        return _floating(x) * 1.0
    shift = x - Tensor(x.data.max(axis=dim, keepdims=True))
    return shift - log(sum(exp(shift), axis=dim, keepdims=True))


def softmax(x, dim=-1, dtype=None):
    """exp(x) normalised to sum to 1 along `dim` (computed in `dtype`, if given, as torch's)."""
    _expect_tensor(x, "softmax")
    if dtype is not None:  # the input converted first: a float dtype, as the result is probabilities
        if _resolve_dtype(dtype).kind != "f":
            raise TypeError(f"softmax: dtype must be a float dtype (minigan.float32 or minigan.float64), got {dtype}")
        x = x.to(dtype=dtype)
    if x.ndim == 0:  # torch takes a 0-d tensor along dim 0 or -1 as one value, whose probability is 1
        _scalar_dim(dim, "softmax")
        return exp(log_softmax(x, dim))
    return exp(log_softmax(x, _axis(dim, x.shape, "softmax")))


def softmin(x, dim=-1):
    """softmax(-x) along `dim`: the smallest values get the largest probabilities (integers as float32)."""
    _expect_tensor(x, "softmin")
    if x.ndim == 0:  # (dim checked here, so that an error names softmin, not the softmax it calls)
        _scalar_dim(dim, "softmin")
    else:
        dim = _axis(dim, x.shape, "softmin")
    return softmax(-_floating(x), dim)


def logsigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), stable for any x (exact: softplus without its linear shortcut)."""
    _expect_tensor(x, "logsigmoid")
    return -softplus(-_floating(x), threshold=None)


class Hardtanh(Function):
    """y = x clipped to [lo, hi], with torch's gradient: 0 at the edges too, the upstream one for NaN."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        # x where lo <= x <= hi (NaN too), else the bound it passed: -0.0 at lo = 0 stays -0.0, as torch's
        # (NumPy 1's clip gives +0.0 there, NumPy 2's -0.0)
        xp = backend.xp_of(x)
        return xp.where(x < self.lo, self.lo, xp.where(x > self.hi, self.hi, x))

    def backward(self, gy):
        # d hardtanh(x)/dx = 0 where x <= min_val or x >= max_val (the edges too: clamp's is 1 there), else 1, NaN
        # too: torch's rule (its vectorised CPU loop gives NaN a 0, its one-at-a-time loop and CUDA a 1)
        x = self.inputs[0].data
        flat = (x <= self.lo) | (x >= self.hi)
        return gy * Tensor((~flat).astype(gy.dtype))


def hardtanh(x, min_val=-1.0, max_val=1.0, inplace=False):
    """x clipped to [min_val, max_val], with gradient 0 at the edges (torch's). ``inplace``: accepted, out of place."""
    lo, hi = _real("hardtanh", "min_val", min_val), _real("hardtanh", "max_val", max_val)
    if math.isnan(lo) or math.isnan(hi):  # (torch's output would be NaN everywhere)
        raise ValueError(f"hardtanh: min_val and max_val must be numbers, not NaN, got {min_val} and {max_val}")
    if lo > hi:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not be greater than max_val ({max_val})")
    return Hardtanh(lo, hi)(_floating(x))


def relu6(x, inplace=False):
    """min(max(x, 0), 6): hardtanh(x, 0, 6), gradient 0 at 0 and at 6 as torch's. ``inplace``: accepted."""
    _expect_tensor(x, "relu6")
    return hardtanh(x, 0.0, 6.0)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(x, inplace=False):
    """scale elu(x, alpha) with SELU's constants (scale 1.0507..., alpha 1.6732...). ``inplace``: accepted."""
    _expect_tensor(x, "selu")
    return ELU(SELU_ALPHA, scale=SELU_SCALE)(_floating(x))


def celu(x, alpha=1.0, inplace=False):
    """x where x > 0, else alpha (e^(x/alpha) - 1): elu with its slope 1 at 0 for any alpha. ``inplace``: accepted."""
    _expect_tensor(x, "celu")
    alpha = _real("celu", "alpha", alpha)
    if alpha == 0:
        raise ValueError("celu: alpha cannot be 0 (it divides x); give a nonzero alpha, e.g. 1.0")
    return ELU(alpha, input_scale=1.0 / alpha)(_floating(x))


def softsign(x):
    """x / (1 + |x|): as tanh, between -1 and 1, but approaching them slowly."""
    _expect_tensor(x, "softsign")
    x = _floating(x)
    return x / (abs(x) + 1.0)


def threshold(x, threshold, value, inplace=False):
    """x where x > threshold, else `value` (NaN stays NaN, as torch's). ``inplace``: accepted, out of place."""
    _expect_tensor(x, "threshold")
    t, v = _real("threshold", "threshold", threshold), _real("threshold", "value", value)
    x = _floating(x)
    return where(x.data <= t, v, x)


def glu(x, dim=-1):
    """a sigmoid(b), where a and b are the two halves of x along `dim` (the gated linear unit)."""
    _expect_tensor(x, "glu")
    if x.ndim == 0:
        raise ValueError("glu: x is a 0-d tensor (a single number); it needs a dim of even size to cut in halves")
    dim = _axis(dim, x.shape, "glu")
    if x.shape[dim] % 2:
        raise ValueError(f"glu: dim {dim} of x (shape {tuple(x.shape)}) has odd size {x.shape[dim]}; it is cut in two "
                         "equal halves, so it must be even")
    a, b = chunk(_floating(x), 2, dim)
    return a * sigmoid(b)


def mish(x, inplace=False):
    """x tanh(softplus(x)) (softplus without its linear shortcut past 20, as torch's). ``inplace``: accepted."""
    _expect_tensor(x, "mish")
    x = _floating(x)
    return x * tanh(softplus(x, threshold=None))


class Hardswish(Function):
    """y = x relu6(x + 3) / 6 as torch computes it: x <= -3 gives x * 0 (-0.0; NaN at -inf), x >= 3 gives x.

    Its own op, not composed: composed, the product rule's inf * 0 would make NaN gradients at +-inf (torch's:
    0 and 1), and a NaN input would get a NaN gradient (torch's: the upstream one in its scalar loop, NaN in its
    vectorised one).
    """

    def forward(self, x):
        return x * backend.xp_of(x).clip(x + 3.0, 0.0, 6.0) / 6.0

    def backward(self, gy):
        # d hardswish(x)/dx = 0 for x <= -3, x/3 + 1/2 for -3 < x < 3, else 1
        # (so at 3 and +inf: torch's; at NaN, its scalar loop's)
        x = self.inputs[0]
        return gy * where(x.data <= -3.0, 0.0, where(x.data < 3.0, x / 3.0 + 0.5, 1.0))


def hardswish(x, inplace=False):
    """x relu6(x + 3) / 6: 0 below -3, x above 3, a parabola between. ``inplace``: accepted, out of place."""
    _expect_tensor(x, "hardswish")
    return Hardswish()(_floating(x))


class Hardsigmoid(Function):
    """y = relu6(x + 3) / 6, with torch's gradient: 0 at -3 and 3 and for NaN (hardtanh's would pass a NaN's on)."""

    def forward(self, x):
        return backend.xp_of(x).clip(x + 3.0, 0.0, 6.0) / 6.0

    def backward(self, gy):
        # d hardsigmoid(x)/dx = 1/6 strictly inside (-3, 3), else 0 (at -3 and 3 too, and for NaN)
        x = self.inputs[0].data
        return gy * Tensor(((x > -3.0) & (x < 3.0)).astype(gy.dtype)) / 6.0


def hardsigmoid(x, inplace=False):
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, a line between. ``inplace``: accepted, out of place."""
    _expect_tensor(x, "hardsigmoid")
    return Hardsigmoid()(_floating(x))


def gelu(x, approximate="none"):
    """x Phi(x), Phi the standard normal's CDF: 0.5 x (1 + erf(x / sqrt 2)); with approximate='tanh', torch's
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    _expect_tensor(x, "gelu")
    x = _floating(x)
    if approximate == "none":
        return x * 0.5 * (1.0 + erf(x * math.sqrt(0.5)))
    if approximate == "tanh":
        return 0.5 * x * (1.0 + tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * (x * x * x))))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def _erf_float64(x):
    """erf of a float64 array, within about 3 ulps, by the same NumPy/CuPy calls on either (fixed iteration counts).

    |x| < 2: erf x = 2/sqrt(pi) e^(-x^2) (x + 2x^3/3 + 4x^5/(3 5) + ...), a series of positive terms (no
    cancellation), summed from the inside out: x (1 + 2x^2/3 (1 + 2x^2/5 (1 + ...))), 30 terms.
    |x| >= 2: 1 - erfc |x|, with erfc z = e^(-z^2)/sqrt(pi) 2z / (2z^2 + 1 - 1*2 / (2z^2 + 5 - 3*4 / (2z^2 + 9 - ...)))
    (the continued fraction of Abramowitz and Stegun 7.1.14, in its even form), 24 levels from the inside out;
    erfc(2) < 0.005, so erfc's own rounding errors hardly show in erf.
    """
    xp = backend.xp_of(x)
    a = xp.abs(x)
    s = xp.minimum(a, 2.0)  # the series' side (each side is computed everywhere, then picked: no data-dependent shapes)
    w, inner = 2 * s * s, xp.ones_like(s)
    for n in range(30, 0, -1):  # inner = 1 + inner w / (2n + 1), in place (twice as fast as new arrays)
        inner *= w
        inner /= 2 * n + 1
        inner += 1
    series = (2 / math.sqrt(math.pi)) * s * xp.exp(-s * s) * inner
    z = xp.clip(a, 2.0, 6.0)  # erfc(6) ~ 2e-17: from there on erf is 1 in float64 (inf, clipped, gives 1 too)
    z2, tail = 2 * z * z, xp.zeros_like(z)
    for k in range(24, 0, -1):
        xp.divide((2 * k - 1) * (2 * k), z2 + (4 * k + 1) - tail, out=tail)
    erfc = (2 / math.sqrt(math.pi)) * z * xp.exp(-z * z) / (z2 + 1 - tail)
    return xp.copysign(xp.where(a < 2.0, series, 1 - erfc), x)  # erf is odd; NaN stays NaN, -0 stays -0


class Erf(Function):
    """y = erf(x), the error function (``_erf_float64``); GELU's exact form uses it."""

    def forward(self, x):
        # the error function, 2/sqrt(pi) times the integral of e^(-t^2) from 0 to x; float32 computed in float64
        return _erf_float64(x.astype(np.float64, copy=False)).astype(x.dtype, copy=False)

    def backward(self, gy):
        # d erf(x)/dx = 2/sqrt(pi) e^(-x^2)
        x = self.inputs[0]
        return gy * (exp(-(x * x)) * (2 / math.sqrt(math.pi)))


def erf(x):
    """The error function, 2/sqrt(pi) times the integral of e^(-t^2) from 0 to x (as torch.erf), to float64 accuracy."""
    _expect_tensor(x, "erf")
    return Erf()(_floating(x))


def prelu(x, weight):
    """x where x > 0, else weight x, with one learned slope (weight of 1 element) or one per channel (weight of
    x.shape[1] elements, channels on dim 1 as nn.PReLU's; an input of 0 or 1 dims has one channel)."""
    _expect_tensor(x, "prelu")
    _expect_tensor(weight, "prelu: weight")
    x = _floating(x)
    channels = x.shape[1] if x.ndim >= 2 else 1
    if weight.ndim > 1 or weight.numel() not in (1, channels):
        count = ("1 element (one slope: the input has one channel)" if channels == 1
                 else f"1 or {channels} elements (one slope, or one per channel, the input's dim 1)")
        raise ValueError(f"prelu: weight must be a 0-d or 1-d tensor of {count} for an input of shape "
                         f"{tuple(x.shape)}, got shape {tuple(weight.shape)}")
    if weight.dtype != x.dtype:
        raise TypeError(f"prelu: input dtype {x.dtype} but weight dtype {weight.dtype}; convert the input with "
                        f".to(dtype=...)")
    slope = reshape(weight, (-1,) + (1,) * (x.ndim - 2)) if weight.numel() > 1 else reshape(weight, ())
    return where(x.data > 0, x, slope * x)


def hardshrink(x, lambd=0.5):
    """x where x < -lambd or x > lambd, else 0 (+0.0; NaN stays NaN), as torch's hardshrink."""
    _expect_tensor(x, "hardshrink")
    x = _floating(x)
    lambd, biggest = _real("hardshrink", "lambd", lambd), float(np.finfo(x.dtype).max)
    if math.isfinite(lambd) and not -biggest <= lambd <= biggest:  # (torch: "cannot be converted ... overflow")
        raise ValueError(f"hardshrink: lambd {lambd} does not fit in {x.dtype} (its largest number is {biggest:g})")
    lam = x.dtype.type(lambd)  # compared in x's dtype, as torch's kernel
    # d hardshrink(x)/dx = 0 where -lambd <= x <= lambd (at +-lambd too), else 1 (NaN too): where's gradient
    return where((x.data >= -lam) & (x.data <= lam), 0.0, x)


def softshrink(x, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, else 0 with x's sign (torch's CUDA kernel and one-at-a-time
    CPU loop); NaN stays NaN. As torch's, lambd must lie in [0, the largest number of x's dtype]."""
    _expect_tensor(x, "softshrink")
    x = _floating(x)
    lambd, biggest = _real("softshrink", "lambd", lambd), float(np.finfo(x.dtype).max)
    if not 0 <= lambd <= biggest:
        raise ValueError(f"softshrink: lambd must lie in [0, {biggest:g}] (the largest {x.dtype}), got {lambd}; it is "
                         "the half-width of the interval around 0 that is set to 0")
    lam = x.dtype.type(lambd)
    inside = (x.data >= -lam) & (x.data <= lam)
    # d softshrink(x)/dx = 0 where -lambd <= x <= lambd, else 1 (NaN too: it takes the x + lambd side)
    return where(inside, x * 0.0, where(x.data > lam, x - lam, x + lam))


def tanhshrink(x):
    """x - tanh(x), as torch's tanhshrink; its gradient, tanh(x)^2, comes from the two ops."""
    _expect_tensor(x, "tanhshrink")
    x = _floating(x)
    return x - tanh(x)


def rrelu(x, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: x where x > 0, else slope * x. In training each element gets its own slope ~ U(lower,
    upper) from the device's seeded generator (minigan.manual_seed); otherwise the slope is (lower + upper) / 2, as
    leaky_relu. ``inplace``: accepted, out of place (as ``relu``)."""
    _expect_tensor(x, "rrelu")
    lo, hi = _real("rrelu", "lower", lower), _real("rrelu", "upper", upper)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"rrelu: lower and upper must be finite numbers, got {lower} and {upper}")
    if lo > hi:
        raise ValueError(f"rrelu: lower ({lower}) must not be greater than upper ({upper}); swap them")
    x = _floating(x)
    if not training:
        return leaky_relu(x, (lo + hi) / 2)
    slope = uniform(x.shape, lo, hi, dtype=x.dtype, device=x.device)
    # d rrelu(x)/dx = the slope drawn where x <= 0, else 1 (NaN too, as torch's): where's and mul's gradients
    return where(x.data <= 0, x * slope, x)


# torch's in-place functional forms (relu_, ...): outside a graph they change x itself, as torch's do; inside one
# they are refused, as the in-place methods (x.add_, x.clamp_) are: minigan records no in-place change
def _pointwise_value(value, op):
    """addcmul's and addcdiv's `value`: a number (a bool is no number here, as in torch)."""
    if not isinstance(value, numbers.Number) or isinstance(value, bool):
        raise TypeError(f"{op}: value must be a number, got {type(value).__name__} {value!r}")


def _into(name, x, op, *args, method=False):
    """Write op(x, *args), the out-of-place result, into x and return x (torch's ``relu_(x)`` and friends).

    Also the in-place methods without a kernel of their own (``x.sqrt_()``, ``x.addcmul_(a, b)``: method=True).
    The checks come first, so a refused call computes nothing (rrelu_ draws no slopes from the generator).
    """
    _expect_tensor(x, name)
    call, plain = (f"x.{name}(...)", f"x = x.{name[:-1]}(...)") if method else (f"{name}(x)", f"x = {name[:-1]}(x)")
    if _grad_enabled and x.requires_grad:
        raise RuntimeError(f"{call} in place inside a graph is not supported (x requires grad, and minigan records "
                           f"no in-place change); write {plain}, the same values recorded in the graph, or "
                           "call it under no_grad()")
    if _grad_enabled and any(isinstance(a, Tensor) and a.requires_grad for a in args):
        raise RuntimeError(f"{call} in place with an operand that requires grad is not supported (x would depend on "
                           f"it outside the graph); write {plain}, recorded in the graph, or call it under no_grad()")
    x._check_writeable(name)
    y = op(x, *args)
    if y.dtype != x.dtype:  # (an integer x: these ops make floats)
        raise TypeError(f"{call}: expected a float x, got {x.dtype}: the result ({y.dtype}) cannot be written into "
                        "it; convert x first, x = x.float()")
    if y.shape != x.shape:  # (an operand that broadcasts x to a larger shape)
        raise ValueError(f"{call}: the result has shape {y.shape}, x {x.shape}; the operands must broadcast to x's "
                         "shape")
    x.data[...] = y.data
    x._version += 1
    return x


def relu_(x):
    """relu, in place: x itself changes (outside a graph; see ``_into``)."""
    return _into("relu_", x, relu)


def leaky_relu_(x, negative_slope=0.01):
    """leaky_relu, in place: x itself changes (outside a graph; see ``_into``)."""
    return _into("leaky_relu_", x, leaky_relu, negative_slope)


def elu_(x, alpha=1.0):
    """elu, in place: x itself changes (outside a graph; see ``_into``)."""
    return _into("elu_", x, elu, alpha)


def selu_(x):
    """selu, in place: x itself changes (outside a graph; see ``_into``)."""
    return _into("selu_", x, selu)


def celu_(x, alpha=1.0):
    """celu, in place: x itself changes (outside a graph; see ``_into``)."""
    return _into("celu_", x, celu, alpha)


def hardtanh_(x, min_val=-1.0, max_val=1.0):
    """hardtanh, in place: x itself changes (outside a graph; see ``_into``)."""
    return _into("hardtanh_", x, hardtanh, min_val, max_val)


_threshold = threshold  # (in threshold_, the argument of the same name hides the function)


def threshold_(x, threshold, value):
    """threshold, in place: x itself changes (outside a graph; see ``_into``)."""
    return _into("threshold_", x, _threshold, threshold, value)


def rrelu_(x, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """rrelu, in place: x itself changes (outside a graph; see ``_into``)."""
    return _into("rrelu_", x, rrelu, lower, upper, training)


class BCEWithLogits(Function):
    def forward(self, logits, target, pos_weight=None):
        # with t the target: softplus(l) - t l = max(l, 0) - t l + log1p(e^-|l|); with a pos_weight q, torch's
        # (1 - t) l + (1 + (q - 1) t) softplus(-l), where softplus(-l) = max(-l, 0) + log1p(e^-|l|)
        xp = backend.xp_of(logits)
        if pos_weight is None:
            return xp.maximum(logits, 0) - logits * target + xp.log1p(xp.exp(-xp.abs(logits)))
        softplus_of_minus_l = xp.maximum(-logits, 0) + xp.log1p(xp.exp(-xp.abs(logits)))
        return (1 - target) * logits + (1 + (pos_weight - 1) * target) * softplus_of_minus_l

    def backward(self, gy):
        # d/dl = (1 + (q - 1) t) sigmoid(l) - q t  (sigmoid(l) - t without q: sigmoid(l), never sigmoid(-l), so that
        # the second derivative is as exact as torch's),  d/dt = (q - 1) softplus(-l) - l,  d/dq = t softplus(-l)
        logits, target, *pos_weight = self.inputs
        if not pos_weight:
            gl = gy * (sigmoid(logits) - target) if self.needs_input_grad[0] else None
            gt = -gy * logits if self.needs_input_grad[1] else None
            return gl, gt
        q = pos_weight[0]
        gl = gy * ((1.0 + (q - 1.0) * target) * sigmoid(logits) - q * target) if self.needs_input_grad[0] else None
        gt = gy * ((q - 1.0) * softplus(-logits, threshold=None) - logits) if self.needs_input_grad[1] else None
        gq = (sum_to(gy * target * softplus(-logits, threshold=None), q.shape) if self.needs_input_grad[2]
              else None)
        return gl, gt, gq


class BCE(Function):
    def forward(self, p, target):
        # with t the target: -(t log p + (1 - t) log(1 - p)), each log clamped at -100 as torch does (p = 0 or 1: finite)
        xp = backend.xp_of(p)
        with np.errstate(divide="ignore"):  # log(0) = -inf before the clamp
            log_p, log_q = xp.maximum(xp.log(p), -100.0), xp.maximum(xp.log1p(-p), -100.0)
        return -(target * log_p + (1 - target) * log_q)

    def backward(self, gy):
        # d/dp = (p - t) / (p (1 - p)), denominator kept >= 1e-12 (torch's);  d/dt = log(1 - p) - log p, logs >= -100
        # (torch's 1e-12 is a C float: 1e-12 rounded to float32, 9.99999996e-13, in float64 too)
        p, target = self.inputs
        eps = float(np.float32(1e-12))
        gp = gy * (p - target) / maximum(p * (1.0 - p), eps) if self.needs_input_grad[0] else None
        gt = gy * (maximum(log(1.0 - p), -100.0) - maximum(log(p), -100.0)) if self.needs_input_grad[1] else None
        return gp, gt


REDUCTIONS = ("mean", "sum", "none")


def check_reduction(name, reduction):
    """Raise a clear error unless `reduction` is one of REDUCTIONS (PyTorch's names)."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def reduce_loss(loss, reduction, name):
    """The per-element `loss` averaged ('mean'), summed ('sum') or left as it is ('none')."""
    check_reduction(name, reduction)
    if reduction == "mean":
        _check_not_empty(name, loss)
    return mean(loss) if reduction == "mean" else sum(loss) if reduction == "sum" else loss


def _check_not_empty(name, loss):
    """The mean of no elements is refused, naming the loss (torch gives NaN; minigan refuses undefined statistics)."""
    if loss.data.size == 0:
        raise ValueError(f"{name}: reduction='mean' of an empty batch (shape {tuple(loss.shape)}) is undefined "
                         "(torch's is NaN); skip empty batches, or use reduction='sum' (0 for an empty batch)")


def _loss_operands(name, input, target):
    """A clear error naming the loss unless its input is a Tensor and its target a Tensor on the same device, or an
    array, list or number (else the error would come from an op inside, naming no loss)."""
    _expect_tensor(input, name)
    if isinstance(target, Tensor) and target.device != input.device:
        raise RuntimeError(f"{name}: tensors are on two devices, the input on '{input.device}' and the target on "
                           f"'{target.device}'; move the target with .to('{input.device}')")
    if not isinstance(target, (Tensor, list, tuple, numbers.Number)) and not _is_array(target):
        raise TypeError(f"{name}: the target must be a Tensor (or an array, a list or a number), got {_what(target)}")


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """BCE on logits, computed stably; reduction 'mean', 'sum' or 'none'."""
    logits, target = _bce_with_logits_operands(logits, target)
    return reduce_loss(BCEWithLogits()(logits, target), reduction, "binary_cross_entropy_with_logits")


def _bce_with_logits_operands(logits, target):
    """The logits and target as Tensors of one float dtype (integers as float32) and of one shape, or a clear error."""
    _loss_operands("binary_cross_entropy_with_logits", logits, target)
    logits, target = _pair(_floating(logits), target, "binary_cross_entropy_with_logits")
    if logits.shape != target.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits: logits shape {logits.shape} and target shape "
            f"{target.shape} must be equal (no silent broadcasting of targets)"
        )
    return logits, target


def binary_cross_entropy(probs, target, reduction="mean"):
    """BCE on probabilities, as torch computes it (each log clamped at -100); shapes must match.

    Prefer the logits form, ``binary_cross_entropy_with_logits``: in float32 a
    sigmoid rounds to exactly 1 beyond a logit of about 17 (and to 0 below about
    -104), and there the loss and gradient of probabilities are clamped, those of logits exact.
    """
    _loss_operands("binary_cross_entropy", probs, target)
    probs, target = _pair(_floating(probs), target, "binary_cross_entropy")  # (integers as float32, not float64)
    if probs.shape != target.shape:
        raise ValueError(f"binary_cross_entropy: input shape {probs.shape} and target shape {target.shape} "
                         "must be equal (no silent broadcasting of targets)")
    raw = probs.data
    if backend.device_of(raw) == "cpu" and raw.size and not 0 <= raw.min() <= raw.max() <= 1:
        raise ValueError(f"binary_cross_entropy: the input must be probabilities in [0, 1], got values from "
                         f"{raw.min():.4g} to {raw.max():.4g}; for logits use binary_cross_entropy_with_logits "
                         "(nn.BCEWithLogitsLoss)")
    t = target.data
    if backend.device_of(t) == "cpu" and t.size and not 0 <= t.min() <= t.max() <= 1:  # torch refuses them too
        raise ValueError(f"binary_cross_entropy: the targets must be in [0, 1], got values from {t.min():.4g} to "
                         f"{t.max():.4g}; labels of -1/+1 or pixels of 0..255 need rescaling first")
    return reduce_loss(BCE()(probs, target), reduction, "binary_cross_entropy")


# --------------------------------------------------- dtype and device moves
class Cast(Function):
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy):
        # d cast(x)/dx = 1 (the identity on values): cast the gradient back to x's dtype
        return gy.to(dtype=self.inputs[0].dtype)


class ToDevice(Function):
    def __init__(self, device):
        self.device = device

    def forward(self, x):
        return backend.to_device(x, self.device)

    def backward(self, gy):
        # d to(x, device)/dx = 1 (a copy between devices): copy the gradient back to x's device
        return gy.to(self.inputs[0].device)


# --------------------------------------------------------------- factories
def _new(fill, shape, dtype, device, requires_grad):
    device = backend.check_device(device)
    dtype = _resolve_dtype(dtype) or np.dtype(np.float32)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise ValueError(f"a tensor's shape is made of ints >= 0, got {tuple(shape)}")
    data = fill(backend.xp_for_device(device), tuple(int(s) for s in shape), dtype, device)
    return Tensor(data, requires_grad=requires_grad)


def _size(shape, size, op):
    """The shape given by position (zeros(2, 3) or zeros((2, 3))) or by torch's name (zeros(size=(2, 3)))."""
    if size is None:
        return shape
    if shape:
        raise TypeError(f"{op}: give the shape by position or as size=, not both")
    return (size,)


def zeros(*shape, size=None, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros (float32 unless `dtype` says otherwise)."""
    shape = _size(shape, size, "zeros")
    return _new(lambda xp, s, dt, d: xp.zeros(s, dtype=dt), shape, dtype, device, requires_grad)


def empty(*shape, size=None, dtype=None, device=None, requires_grad=False):
    """A tensor to be filled (zeros here: an uninitialised array would make runs differ)."""
    return zeros(*_size(shape, size, "empty"), dtype=dtype, device=device, requires_grad=requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """The n x m identity matrix (m = n when not given)."""
    return _new(lambda xp, s, dt, d: xp.eye(*s, dtype=dt), (n, n if m is None else m), dtype, device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """`steps` evenly spaced values from start to end, both included (float32): for interpolating between z's.

    For an integer dtype the ends are made integers first, as torch does: linspace(1, 2.5, 4) is 1, 1, 1, 2.
    """
    if any(isinstance(v, Tensor) and v.numel() != 1 for v in (start, end)):
        raise ValueError("linspace: start and end must be numbers or one-element tensors")
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    def fill(xp, s, dt, d):
        if dt == np.bool_:
            raise TypeError("linspace: booleans are not supported (torch refuses them too); use a number dtype")
        for v in (start, end):  # NaN or -1.5 as uint8: refused, as in torch
            _check_fits(v, dt, "linspace")
        # an integer dtype takes the ends as its own integers first, as torch (-2 as uint8 is 254)
        lo, hi = np.asarray([int(start), int(end)]).astype(dt) if dt.kind in "iu" else (start, end)
        return xp.linspace(lo, hi, *s).astype(dt)
    return _new(fill, (steps,), dtype, device, requires_grad)


def ones(*shape, size=None, dtype=None, device=None, requires_grad=False):
    """A tensor of ones (float32 unless `dtype` says otherwise)."""
    shape = _size(shape, size, "ones")
    return _new(lambda xp, s, dt, d: xp.ones(s, dtype=dt), shape, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of shape `size` filled with `fill_value`; without `dtype`, as torch: bool, int64 or float32 by value."""
    value = fill_value
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if not isinstance(value, (numbers.Real, np.bool_)):  # None would become NaN, 1+1j lose its imaginary part
        complex_ = " (minigan's tensors hold no complex numbers)" if isinstance(value, numbers.Complex) else ""
        raise TypeError(f"full: value must be a number, got {value!r}{complex_}")
    if dtype is None and isinstance(value, (bool, np.bool_)):
        dtype = "bool"
    elif dtype is None and isinstance(value, numbers.Integral):
        dtype = "int64"
    def fill(xp, s, dt, d):
        _check_fits(value, dt, "full")  # NaN or 300 in an integer dtype: refused, not wrapped
        with np.errstate(all="ignore"):  # 1e10 as float16 is inf, as in torch
            return xp.full(s, np.asarray(value).astype(dt).item(), dtype=dt)  # (-1 as uint8 is 255, as in torch)
    return _new(fill, (size,), dtype, device, requires_grad)


def randn(*shape, size=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples from the device's seeded generator."""
    shape = _size(shape, size, "randn")
    def fill(xp, s, dt, d):
        _float_draws(dt, "randn")
        if dt == np.float16:  # NumPy's generators draw float32 or float64 only
            return backend.standard_normal(d, s, np.float32).astype(dt)
        return backend.standard_normal(d, s, dt)
    return _new(fill, shape, dtype, device, requires_grad)


def normal(mean, std=1.0, size=None, *, dtype=None, device=None, requires_grad=False):
    """Draws from N(mean, std^2), as torch.normal: numbers with a `size`, or tensors broadcast together.

    ``normal(0.0, 0.02, size=(64, 100))``, ``normal(means)``, ``normal(means, stds)``. The
    draw is not differentiable in mean and std (PyTorch gives them zero gradients): for a
    gradient through it write ``mean + std * randn_like(mean)``, the reparameterisation trick.
    """
    if any(not isinstance(v, (Tensor, numbers.Real)) or isinstance(v, bool) for v in (mean, std)):
        raise TypeError(f"normal: mean and std must be numbers or tensors, got {type(mean).__name__} and "
                        f"{type(std).__name__}; wrap an array with minigan.tensor(...)")
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if size is None:
        if not tensors:
            raise TypeError("normal: give a size for number mean and std, e.g. normal(0.0, 1.0, size=(64, 100)), "
                            "or a tensor mean or std")
        try:
            size = np.broadcast_shapes(*(v.shape for v in tensors))
        except ValueError:
            raise ValueError(f"normal: mean and std shapes {tuple(mean.shape)} and {tuple(std.shape)} "
                             "do not broadcast") from None
    elif tensors:
        raise TypeError("normal: a size goes with number mean and std; with a tensor mean or std the shape is theirs")
    if isinstance(std, numbers.Real) and not std >= 0.0:
        raise ValueError(f"normal: std must be >= 0, got {std}")
    if isinstance(std, Tensor) and std.device == "cpu" and not (std.data >= 0).all():  # (a GPU would have to sync)
        raise ValueError(f"normal: every std must be >= 0, got a smallest std of {float(std.data.min())}")
    if tensors:
        dtype = dtype if dtype is not None else tensors[0].dtype
        device = device if device is not None else tensors[0].device
    if isinstance(size, numbers.Integral):
        size = (size,)
    z = randn(*size, dtype=dtype, device=device)
    with no_grad():  # the draw is a new leaf, whatever mean and std were computed from
        out = z * std + mean
    return out.requires_grad_(requires_grad)


def rand(*shape, size=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples on [0, 1) from the device's seeded generator."""
    shape = _size(shape, size, "rand")
    def fill(xp, s, dt, d):
        _float_draws(dt, "rand")
        if dt == np.float16:  # k / 2048 for k in 0..2047, as torch: a float32 draw rounded to float16 could be 1.0
            return (xp.floor(backend.generator(d).random(s, dtype=np.float32) * 2048) / 2048).astype(dt)
        return backend.generator(d).random(s, dtype=dt)
    return _new(fill, shape, dtype, device, requires_grad)


def uniform(shape, low, high, dtype=None, device=None):
    """Uniform samples on [low, high) (used by layer initialisers)."""
    t = rand(*shape, dtype=dtype, device=device)
    t.data *= high - low
    t.data += low
    return t


def _float_draws(dtype, op):
    if dtype.kind != "f":
        raise TypeError(f"{op}: draws floats, so the dtype must be float32 or float64, got {dtype}; "
                        "for integers use minigan.randint(low, high, shape)")


def randint(low, high=None, size=None, *, dtype=None, device=None):
    """Integers uniform on [low, high) from the device's seeded generator (int64 unless `dtype`); as torch's,
    randint(high, size) draws from [0, high)."""
    if size is None:  # torch's randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if size is None:
        raise TypeError("randint: give the size: randint(high, size) or randint(low, high, size)")
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in (low, high)) or low >= high:
        raise ValueError(f"randint: low and high must be ints with low < high, got {low!r} and {high!r}")
    if isinstance(size, numbers.Integral):
        size = (size,)
    target = _resolve_dtype(dtype) or np.dtype(np.int64)
    lowest, highest = -math.inf, math.inf  # a float dtype
    if target == np.bool_:
        lowest, highest = 0, 1
    elif target.kind in "iu":
        lowest, highest = np.iinfo(target).min, np.iinfo(target).max
    if low < lowest or high - 1 > highest:  # as torch: refused, not wrapped around
        raise ValueError(f"randint: draws from {low} to {high - 1}, which {target} cannot hold (it holds {lowest} "
                         f"to {highest}); give a wider dtype, such as the default int64")
    device = backend.check_device(device)
    data = backend.generator(device).integers(low, high, size=tuple(size))
    return Tensor(data.astype(target))


def _like(fn, x, dtype, device, requires_grad):
    _expect_tensor(x, fn.__name__ + "_like")
    return fn(*x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def zeros_like(x, dtype=None, device=None, requires_grad=False):
    """Zeros with x's shape, dtype and device."""
    return _like(zeros, x, dtype, device, requires_grad)


def ones_like(x, dtype=None, device=None, requires_grad=False):
    """Ones with x's shape, dtype and device."""
    return _like(ones, x, dtype, device, requires_grad)


def randn_like(x, dtype=None, device=None, requires_grad=False):
    """Standard normal samples with x's shape, dtype and device."""
    return _like(randn, x, dtype, device, requires_grad)


def rand_like(x, dtype=None, device=None, requires_grad=False):
    """Uniform [0, 1) samples with x's shape, dtype and device."""
    return _like(rand, x, dtype, device, requires_grad)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False):
    """`fill_value` everywhere, with x's shape, dtype and device."""
    _expect_tensor(x, "full_like")
    return full(x.shape, fill_value, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def empty_like(x, dtype=None, device=None, requires_grad=False):
    """A tensor like x to be filled (zeros here, as ``empty``)."""
    return _like(zeros, x, dtype, device, requires_grad)


def randperm(n, device=None, *, dtype=None):
    """A random order of 0..n-1 (int64) from the device's seeded generator, as torch's ``randperm``."""
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 0:
        raise ValueError(f"randperm: n must be an int >= 0, got {n!r}")
    target = _resolve_dtype(dtype) or np.dtype(np.int64)
    if target == np.bool_ or (target.kind in "iu" and n - 1 > np.iinfo(target).max):
        raise TypeError(f"randperm: {target} cannot hold 0 to {n - 1}; give a wider dtype, such as the default int64")
    device = backend.check_device(device)
    # the order of n uniform draws: CuPy's generators have random() on every version, not always permutation()
    return Tensor(backend.generator(device).random(int(n)).argsort().astype(target))


# -------------------------------------------------- torch's other names for the above
def from_numpy(array):
    """A tensor that shares the NumPy array's memory (``minigan.tensor`` copies), as torch's ``from_numpy``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}")
    return Tensor(array)


def as_tensor(data, dtype=None, device=None):
    """`data` as a tensor, sharing its memory where dtype and device allow (torch's ``as_tensor``)."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    return Tensor(data, dtype=dtype, device=device)


def is_tensor(x):
    """Whether x is a minigan Tensor (a Parameter is one)."""
    return isinstance(x, Tensor)


def is_floating_point(input):  # noqa: A002  (torch's name)
    """Whether a tensor's dtype is a float (float16/32/64), as ``x.is_floating_point()``."""
    _expect_tensor(input, "is_floating_point")
    return input.is_floating_point()


def numel(x):
    """The number of elements of x, as ``x.numel()``."""
    _expect_tensor(x, "numel")
    return x.numel()


def Variable(data, requires_grad=False):
    """PyTorch's wrapper from before version 0.4, kept there (and here) for old code: a new tensor on
    the same memory, cut from the graph, that requires grad if asked (as ``x.detach().requires_grad_()``,
    what PyTorch's Variable gives today). New code writes that, or the tensor alone."""
    t = (data if isinstance(data, Tensor) else Tensor(data)).detach()
    return t.requires_grad_(True) if requires_grad else t


def detach(x):
    """x's values cut off from the graph, as ``x.detach()``."""
    _expect_tensor(x, "detach")
    return x.detach()


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether a and b agree elementwise within atol + rtol * |b| (a Python bool, as torch's)."""
    _expect_tensor(a, "allclose")
    _expect_tensor(b, "allclose")
    return bool(backend.xp_of(_raw(a)).allclose(_raw(a), _raw(b), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a, b):
    """Whether a and b have the same shape and the same values (a Python bool, as torch's)."""
    _expect_tensor(a, "equal")
    _expect_tensor(b, "equal")
    return tuple(a.shape) == tuple(b.shape) and bool((_raw(a) == _raw(b)).all())


def chunk(x, chunks, dim=0):
    """x in `chunks` pieces along `dim`, as ``x.chunk``."""
    _expect_tensor(x, "chunk")
    return x.chunk(chunks, dim)


def split(x, split_size_or_sections, dim=0):
    """x in pieces of a size, or of a list's sizes, along `dim`, as ``x.split``."""
    _expect_tensor(x, "split")
    return x.split(split_size_or_sections, dim)


def mm(a, b):
    """The product of two matrices, as ``a.mm(b)``."""
    _expect_tensor(a, "mm")
    return a.mm(b)


def bmm(a, b):
    """Batched matrix products, as ``a.bmm(b)``."""
    _expect_tensor(a, "bmm")
    return a.bmm(b)


def get_default_dtype():
    """float32: minigan's floating-point default (it cannot be changed, so no model becomes float64 by accident)."""
    return "float32"


def arange(*args, dtype=None, device=None):
    """Evenly spaced values, as torch.arange: int64 for integer arguments, float32 if any is a float."""
    device = backend.check_device(device)
    if not 1 <= len(args) <= 3:
        raise TypeError(f"arange: expected (end), (start, end) or (start, end, step), got {len(args)} arguments")
    start, end, step = {1: (0, args[0], 1), 2: (*args, 1), 3: args}[len(args)]
    if not all(math.isfinite(v) for v in (start, end, step)):  # NumPy's own words would be "cannot compute length"
        raise ValueError(f"arange: start, end and step must be finite numbers, got {start}, {end} and {step}")
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:  # torch refuses a range that runs away from its end (Python's range is empty)
        raise ValueError(f"arange: from {start} the step {step} never reaches the end {end}; swap start and end, "
                         f"or give a step of the other sign")
    data = backend.xp_for_device(device).arange(*args)
    if dtype is None:
        dtype = "float32" if data.dtype.kind == "f" else "int64"
    if _resolve_dtype(dtype) == np.bool_:
        raise TypeError("arange: a range of booleans is not supported (torch refuses it too); use a number dtype")
    if data.dtype.kind == "f" and np.dtype(_resolve_dtype(dtype)).kind in "iu":  # float arguments, integer values
        data = _integer_arange(start, end, step, _resolve_dtype(dtype) == np.int64, device)
    return Tensor(data.astype(_resolve_dtype(dtype), copy=False))


def _integer_arange(start, end, step, int64, device):
    """torch.arange's rule for float arguments and an integer dtype: int(start) + i * int(step), for i below
    len(range(int(start), int(end), int(step))) in int64, below ceil((end - start) / step) in another integer dtype."""
    if int(step) == 0:
        raise ValueError(f"arange: step {step} is 0 as an integer (an integer dtype truncates it); give a step of at "
                         f"least 1 in size, or a float dtype")
    count = len(range(int(start), int(end), int(step))) if int64 else math.ceil((end - start) / step)
    return int(start) + int(step) * backend.xp_for_device(device).arange(count)



# ----------------------------------------- elementary functions: sin, floor, sort, topk, nonzero, sampling...
class Sin(Function):
    def forward(self, x):
        return backend.xp_of(x).sin(x)

    def backward(self, gy):
        # d sin(x)/dx = cos(x)
        return gy * cos(self.inputs[0])


def sin(x):
    """sin(x) elementwise (integers and booleans as float32, as torch's): positional encodings, toy data."""
    _expect_tensor(x, "sin")
    return Sin()(_floating(x))


class Cos(Function):
    def forward(self, x):
        return backend.xp_of(x).cos(x)

    def backward(self, gy):
        # d cos(x)/dx = -sin(x)
        return gy * neg(sin(self.inputs[0]))


def cos(x):
    """cos(x) elementwise (integers and booleans as float32, as torch's)."""
    _expect_tensor(x, "cos")
    return Cos()(_floating(x))


class Rounding(Function):
    """floor, ceil, trunc or round (to `decimals` places, halves to even) elementwise: a step function."""

    def __init__(self, how, decimals=0):
        self.how, self.decimals = how, decimals

    def forward(self, x):
        xp = backend.xp_of(x)
        return xp.round(x, self.decimals) if self.how == "round" else getattr(xp, self.how)(x)

    def backward(self, gy):
        # d floor(x)/dx = 0 (wherever it exists; torch takes 0 at the steps too), and so for ceil, trunc, round
        return zeros_like(self.inputs[0])


def _rounding(how, x, decimals=0):
    """x rounded `how`; an integer x is already whole: a copy of it, as torch's (no decimals for integers)."""
    _expect_tensor(x, how)
    _no_booleans(how, "a mask is already whole; convert it first, mask.float()", x)
    if x.dtype.kind == "f":
        return Rounding(how, decimals)(x)
    if decimals != 0:
        raise TypeError(f"round: decimals={decimals} needs a float x, got {x.dtype} (torch refuses it too); "
                        "convert first, x.float().round(decimals=...)")
    return clone(x)


def floor(x):
    """The largest whole number <= x, elementwise (gradient 0, as torch's)."""
    return _rounding("floor", x)


def ceil(x):
    """The smallest whole number >= x, elementwise (gradient 0, as torch's)."""
    return _rounding("ceil", x)


def trunc(x):
    """x with its fractional part dropped (rounded towards 0), elementwise (gradient 0, as torch's)."""
    return _rounding("trunc", x)


fix = trunc


def round(x, *, decimals=0):
    """x rounded to `decimals` places, halves to the even neighbour (round(2.5) is 2), as torch's (gradient 0)."""
    if not isinstance(decimals, numbers.Integral) or isinstance(decimals, bool):
        raise TypeError(f"round: decimals must be an int, got {type(decimals).__name__} {decimals!r}")
    return _rounding("round", x, int(decimals))


def clamp_min(x, min):
    """max(x, min) elementwise: ``clamp(x, min=min)``, as torch's ``clamp_min``."""
    _number_bounds(min, None, "clamp_min")
    if min is None:
        raise TypeError("clamp_min: min must be a number, got None")
    return clip(x, min=min)


def clamp_max(x, max):
    """min(x, max) elementwise: ``clamp(x, max=max)``, as torch's ``clamp_max``."""
    _number_bounds(None, max, "clamp_max")
    if max is None:
        raise TypeError("clamp_max: max must be a number, got None")
    return clip(x, max=max)


Sorted = collections.namedtuple("Sorted", ["values", "indices"])  # what torch.sort and torch.topk return


def _check_flag(value, name, op):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be True or False, got {type(value).__name__} {value!r}")


def _sort_indices(x, dim, descending):
    """The int64 order of x along `dim` (an axis in range), stable: equal values keep their order, NaN counts as
    the largest (last; first when descending), as torch's."""
    xp = backend.xp_of(x.data)
    if not descending:
        return xp.argsort(x.data, axis=dim, kind="stable").astype(np.int64)
    # descending and stable: the ascending order of x reversed along dim, read from the end and mapped back
    last = x.shape[dim] - 1
    flipped = x.data[(slice(None),) * dim + (slice(None, None, -1),)]
    order = xp.argsort(flipped, axis=dim, kind="stable")[(slice(None),) * dim + (slice(None, None, -1),)]
    return (last - order).astype(np.int64)


def _sort_operands(op, x, dim):
    """x (a 0-d x as one value along its one axis) and `dim` as an axis in range."""
    _expect_tensor(x, op)
    if x.ndim == 0:
        _scalar_dim(dim, op)
        return reshape(x, 1), 0
    return x, _axis(dim, x.shape, op)


def sort(x, dim=-1, descending=False, *, stable=False):
    """x's values in order along `dim` and their int64 positions in x, as torch.sort: (values, indices).

    Stable always (equal values keep their order; torch's `stable=True` asks for that); NaN sorts as the
    largest. The values are ``gather(x, dim, indices)``, so the gradient goes back to the positions they came from.
    """
    _check_flag(descending, "descending", "sort")
    _check_flag(stable, "stable", "sort")
    x1, axis = _sort_operands("sort", x, dim)
    indices = Tensor(_sort_indices(x1, axis, descending))
    values = gather(x1, axis, indices)
    if x.ndim == 0:
        return Sorted(reshape(values), reshape(indices))
    return Sorted(values, indices)


def argsort(x, dim=-1, descending=False, *, stable=False):
    """The int64 positions that put x in order along `dim`, as torch.argsort: ``sort(...).indices``."""
    _check_flag(descending, "descending", "argsort")
    _check_flag(stable, "stable", "argsort")
    x1, axis = _sort_operands("argsort", x, dim)
    indices = Tensor(_sort_indices(x1, axis, descending))
    return reshape(indices) if x.ndim == 0 else indices


def topk(x, k, dim=None, largest=True, sorted=True):
    """The `k` largest (or smallest) values along `dim` (the last axis by default) and their int64 positions,
    as torch.topk: (values, indices), largest first. Ties: the earlier position first. `sorted=False` is
    allowed (torch's order is then unspecified; here it is sorted too). The gradient goes to the picked positions."""
    _check_flag(largest, "largest", "topk")
    _check_flag(sorted, "sorted", "topk")
    x1, axis = _sort_operands("topk", x, -1 if dim is None else dim)
    n = x1.shape[axis]
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or not 0 <= k <= n:
        raise ValueError(f"topk: k must be an int from 0 to {n} (the size of dim {axis}), got {k!r}")
    if x.ndim == 0 and k == 0:  # (torch returns the one value: a 0-d result cannot hold none)
        raise ValueError("topk: k=0 of a 0-d tensor would give no value, but a 0-d result holds one; "
                         "use k=1, or x.reshape(1).topk(0) for an empty result")
    order = _sort_indices(x1, axis, descending=largest)
    indices = Tensor(order[(slice(None),) * axis + (slice(0, int(k)),)])
    values = gather(x1, axis, indices)
    if x.ndim == 0:
        return Sorted(reshape(values), reshape(indices))
    return Sorted(values, indices)


def cumprod(x, dim, *, dtype=None):
    """The running product along `dim`, as torch.cumprod: integers and booleans multiply as int64 (unless `dtype`).

    With a gradient it is composed as a product per position of a lower-triangular table (x_j for j <= i, else
    1), so the gradient is right where x holds zeros (as prod's) and second derivatives come free; the table
    costs n^2 numbers per row of length n.
    """
    _expect_tensor(x, "cumprod")
    x = _reduction_input(x, dtype)
    if x.ndim == 0:  # torch takes a 0-d tensor along dim 0 or -1 as one value
        _scalar_dim(dim, "cumprod")
        return clone(x)
    axis = _axis(dim, x.shape, "cumprod")
    xp = backend.xp_of(x.data)
    if not (x.requires_grad and _grad_enabled):  # no graph: NumPy's (CuPy's) own running product
        return Tensor(xp.cumprod(x.data, axis=axis))
    order = [i for i in range(x.ndim) if i != axis] + [axis]
    last = permute(x, *order)  # the axis moved last
    n = last.shape[-1]
    table = where(xp.tri(n, dtype=bool), broadcast_to(unsqueeze(last, -2), last.shape + (n,)), 1.0)
    return permute(prod(table, -1), *np.argsort(order).tolist())


def repeat_interleave(x, repeats=None, dim=None, *, output_size=None):
    """Each entry of x along `dim` repeated `repeats` times (an int, or an int64 tensor with one count per
    entry), as torch.repeat_interleave; without `dim`, of x flattened. ``repeat_interleave(counts)`` alone is
    ``arange(len(counts))`` repeated. Composed with index_select, so the gradient adds up the copies."""
    _expect_tensor(x, "repeat_interleave")
    if repeats is None:  # torch's repeat_interleave(repeats): the positions 0..n-1 repeated
        return repeat_interleave(arange(x.numel(), device=x.device), x, output_size=output_size)
    if dim is None:
        x, dim = reshape(x, -1), 0
    if x.ndim == 0:  # along dim 0 or -1 as one value, as other ops take a 0-d tensor (torch refuses any dim)
        _scalar_dim(dim, "repeat_interleave")
    x1 = reshape(x, 1) if x.ndim == 0 else x
    axis = 0 if x.ndim == 0 else _axis(dim, x.shape, "repeat_interleave")
    n = x1.shape[axis]
    if isinstance(repeats, Tensor):
        if repeats.dtype.kind not in "iu" or repeats.ndim > 1:
            raise TypeError(f"repeat_interleave: repeats must be an int or a 0-d or 1-D integer tensor, got a "
                            f"{repeats.dtype} tensor of shape {tuple(repeats.shape)}")
        counts = backend.to_numpy(repeats.data).reshape(-1).astype(np.int64)  # (CuPy's repeat takes host counts)
    elif isinstance(repeats, numbers.Integral) and not isinstance(repeats, bool):
        counts = np.array([int(repeats)])
    else:
        raise TypeError(f"repeat_interleave: repeats must be an int or an integer tensor, got {_what(repeats)}")
    if counts.size not in (1, n):
        raise ValueError(f"repeat_interleave: repeats has {counts.size} counts and dim {axis} of x has {n} entries; "
                         "give one count, or one per entry")
    if (counts < 0).any():
        raise ValueError(f"repeat_interleave: repeats must be >= 0, got {int(counts.min())}")
    index = np.repeat(np.arange(n), counts if counts.size == n else int(counts[0]))
    if output_size is not None and output_size != index.size:
        raise ValueError(f"repeat_interleave: output_size={output_size}, but the repeats make {index.size} entries")
    return index_select(x1, axis, Tensor(backend.asarray(index, dtype=np.int64, device=x.device)))


def nonzero(x, *, as_tuple=False):
    """The positions of x's non-zero (true) entries, as torch.nonzero: an int64 (count, x.ndim) tensor, one row
    per entry in row-major order; ``as_tuple=True``: one 1-D tensor per axis, ready to index x with (no gradient)."""
    _expect_tensor(x, "nonzero")
    _check_flag(as_tuple, "as_tuple", "nonzero")
    xp = backend.xp_of(x.data)
    found = xp.nonzero(x.data.reshape(1) if x.ndim == 0 else x.data)  # (NumPy 2 refuses a 0-d array)
    if as_tuple:
        return tuple(Tensor(i.astype(np.int64)) for i in found)
    if x.ndim == 0:
        return Tensor(xp.zeros((found[0].size, 0), dtype=np.int64))
    return Tensor(xp.stack(found, axis=1).astype(np.int64))


def _float_tensor(op, p, what):
    """A clear error unless p is a float tensor (torch draws from float probabilities or weights only)."""
    _expect_tensor(p, op)
    if p.dtype.kind != "f":
        raise TypeError(f"{op}: {what} must be a float tensor, got {p.dtype}; convert it first, p.float()")


def bernoulli(x):
    """0 or 1 per entry, 1 with the probability x holds there (in [0, 1]), in x's dtype, as torch.bernoulli.

    Drawn from the device's generator, seeded by ``minigan.manual_seed``. A new tensor without gradient (torch
    gives x a zero gradient): for a gradient through samples, use a relaxation (F.gumbel_softmax).
    """
    _float_tensor("bernoulli", x, "the probabilities x")
    p = x.data
    if x.device == "cpu" and p.size and not ((p >= 0) & (p <= 1)).all():  # (on a GPU it would wait, as normal's std)
        raise ValueError(f"bernoulli: every probability must be in [0, 1], got values from {p.min()} to {p.max()}")
    draw_dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float32)
    u = backend.generator(x.device).random(x.shape, dtype=draw_dtype)
    return Tensor((u < x.data).astype(x.dtype))


def multinomial(x, num_samples, replacement=False):
    """`num_samples` category indices (int64) per row of x drawn with x's weights (>= 0, not necessarily summing
    to 1), as torch.multinomial: x is 1-D (one draw list) or 2-D (one per row). Without `replacement`, each
    category once at most. Drawn from the device's seeded generator; no gradient."""
    _float_tensor("multinomial", x, "the weights x")
    if x.ndim not in (1, 2):
        raise ValueError(f"multinomial: x must be 1-D or 2-D (rows of weights), got shape {tuple(x.shape)}")
    if not isinstance(num_samples, numbers.Integral) or isinstance(num_samples, bool) or num_samples <= 0:
        raise ValueError(f"multinomial: num_samples must be an int > 0, got {num_samples!r}")
    _check_flag(replacement, "replacement", "multinomial")
    xp = backend.xp_of(x.data)
    if x.shape[-1] == 0:
        raise ValueError(f"multinomial: x of shape {tuple(x.shape)} has no categories to draw from")
    if x.numel() == 0:  # no rows: no draws, as torch's
        return Tensor(xp.zeros(x.shape[:-1] + (int(num_samples),), dtype=np.int64))
    w = x.data.reshape(-1, x.shape[-1]).astype(np.float64)
    # one read of four numbers (on a GPU it waits for it, as index checks do): torch checks these too
    checks = xp.stack([w.min(), w.max(), w.sum(axis=1).min(), (w > 0).sum(axis=1).min().astype(np.float64)])
    lowest, highest, top, fewest = backend.to_numpy(checks).tolist()
    if not (math.isfinite(lowest) and math.isfinite(highest) and lowest >= 0):  # (NaN fails isfinite)
        raise ValueError("multinomial: the weights must be finite numbers >= 0")
    if top <= 0:
        raise ValueError("multinomial: every row of weights needs a weight > 0 (a row sums to 0)")
    if not replacement and num_samples > fewest:
        raise ValueError(f"multinomial: without replacement a row gives at most its {int(fewest)} categories of "
                         f"weight > 0, asked for {num_samples}; ask for fewer, or pass replacement=True")
    if replacement:
        u = backend.generator(x.device).random((w.shape[0], int(num_samples)))
        # the inverse of the running total: category j where cdf_(j-1) <= u < cdf_j (cdf exactly 1 at the end)
        total = xp.cumsum(w, axis=1)
        cdf = total / total[:, -1:]
        out = (cdf[:, None, :-1] <= u[:, :, None]).sum(axis=2)
    else:
        # the exponential race: key_j = E_j / w_j with E_j ~ Exp(1); the smallest keys, in order, are a draw
        # without replacement (each next pick has probability w_j over the weights left)
        e = -xp.log1p(-backend.generator(x.device).random(w.shape))
        keys = xp.where(w > 0, e / xp.where(w > 0, w, 1.0), xp.inf)
        out = xp.argsort(keys, axis=1, kind="stable")[:, :int(num_samples)]
    return Tensor(out.astype(np.int64).reshape(x.shape[:-1] + (int(num_samples),)))


# ---------------------------------------------- more shape and indexing functions (torch's)
def _dims_tuple(dims):
    return tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)


def movedim(x, source, destination):
    """x with axes `source` (an int or a tuple) moved to positions `destination`, the others kept in order (torch's)."""
    _expect_tensor(x, "movedim")
    src, dst = _dims_tuple(source), _dims_tuple(destination)
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} must name as many dims")
    if x.ndim == 0:  # dims 0 / -1 of one value: nothing moves
        for d in src + dst:
            _scalar_dim(d, "movedim")
        return reshape(x)
    src, dst = _norm_axes(src, x.shape, "movedim"), _norm_axes(dst, x.shape, "movedim")  # (repeats refused)
    rest = iter(i for i in range(x.ndim) if i not in src)
    where_from = dict(zip(dst, src))
    return Permute(tuple(where_from[i] if i in where_from else next(rest) for i in range(x.ndim)))(x)


def moveaxis(x, source, destination):
    """NumPy's name for movedim."""
    return movedim(x, source, destination)


def swapaxes(x, axis0, axis1):
    """NumPy's name for transpose(x, axis0, axis1): two axes swapped."""
    return transpose(x, axis0, axis1)


def swapdims(x, dim0, dim1):
    """Another name for transpose(x, dim0, dim1)."""
    return transpose(x, dim0, dim1)


def ravel(x):
    """x flattened to 1-D, as torch.ravel (reshape(-1): a view, as torch's of a contiguous x)."""
    _expect_tensor(x, "ravel")
    return reshape(x, -1)


def unflatten(x, dim, sizes):
    """Axis `dim` of x split into axes of `sizes` (their product its length; one may be -1), as torch.unflatten."""
    _expect_tensor(x, "unflatten")
    if x.ndim == 0:
        raise ValueError("unflatten: x is a 0-d tensor (one value, no axis to unflatten); reshape it instead")
    dim = _axis(dim, x.shape, "unflatten")
    sizes = _dims_tuple(sizes)
    if not sizes or any(not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < -1 for n in sizes) \
            or sizes.count(-1) > 1:
        raise ValueError(f"unflatten: sizes must be a non-empty tuple of ints >= 0 (one may be -1), got {sizes}")
    known = math.prod(n for n in sizes if n != -1)
    n = x.shape[dim]
    if (-1 not in sizes and known != n) or (-1 in sizes and (known == 0 or n % known)):
        raise ValueError(f"unflatten: sizes {sizes} do not make up the {n} entries of dim {dim} (shape {x.shape})")
    sizes = tuple(n // known if s == -1 else s for s in sizes)
    return reshape(x, *x.shape[:dim], *sizes, *x.shape[dim + 1:])


def tensor_split(x, indices_or_sections, dim=0):
    """x in pieces along `dim`, as torch.tensor_split: an int n gives n pieces (the first size % n one longer),
    a list of indices [i, j] gives x[:i], x[i:j], x[j:] (slices: indices past the end give empty pieces)."""
    _expect_tensor(x, "tensor_split")
    if x.ndim == 0:
        raise ValueError("tensor_split: expected a tensor with at least one axis, got a 0-d tensor")
    axis = _axis(dim, x.shape, "tensor_split")
    cut = indices_or_sections
    if isinstance(cut, Tensor):  # torch's: a 0-d integer tensor is a count, a 1-D one indices
        if cut.dtype.kind not in "iu" or cut.ndim > 1:
            raise TypeError(f"tensor_split: a tensor indices_or_sections must be a 0-d or 1-D integer tensor, got "
                            f"a {cut.dtype} tensor of shape {tuple(cut.shape)}")
        cut = cut.item() if cut.ndim == 0 else [int(i) for i in backend.to_numpy(cut.data)]
    n = x.shape[axis]
    if isinstance(cut, numbers.Integral) and not isinstance(cut, bool):
        if cut < 1:
            raise ValueError(f"tensor_split: the number of sections must be an int >= 1, got {cut}")
        sizes = [n // cut + 1] * (n % cut) + [n // cut] * (cut - n % cut)
        cut = np.cumsum(sizes[:-1]).tolist()
    elif not isinstance(cut, (tuple, list)) or any(not isinstance(i, numbers.Integral) or isinstance(i, bool)
                                                   for i in cut):
        raise TypeError(f"tensor_split: indices_or_sections must be an int or a list of ints, got {_what(cut)}")
    bounds = [None, *cut, None]
    return tuple(getitem(x, (slice(None),) * axis + (slice(a, b),)) for a, b in zip(bounds[:-1], bounds[1:]))


def _split_at(op, x, indices_or_sections, dim, least):
    """hsplit, vsplit, dsplit: tensor_split along `dim`, x of at least `least` axes, sections dividing it evenly."""
    _expect_tensor(x, op)
    if x.ndim < least:
        raise ValueError(f"{op}: expected a tensor with at least {least} axes, got shape {tuple(x.shape)}")
    n = x.shape[dim]
    if isinstance(indices_or_sections, numbers.Integral) and not isinstance(indices_or_sections, bool) \
            and (indices_or_sections < 1 or n % indices_or_sections):
        raise ValueError(f"{op}: the {n} entries of dim {dim} do not split into {indices_or_sections} equal pieces; "
                         "use tensor_split for unequal ones")
    return tensor_split(x, indices_or_sections, dim)


def hsplit(x, indices_or_sections):
    """tensor_split along dim 1 (dim 0 of a 1-D x), the sections equal, as torch.hsplit."""
    return _split_at("hsplit", x, indices_or_sections, 1 if getattr(x, "ndim", 0) > 1 else 0, 1)


def vsplit(x, indices_or_sections):
    """tensor_split along dim 0 of an x of at least 2 axes, the sections equal, as torch.vsplit."""
    return _split_at("vsplit", x, indices_or_sections, 0, 2)


def dsplit(x, indices_or_sections):
    """tensor_split along dim 2 of an x of at least 3 axes, the sections equal, as torch.dsplit."""
    return _split_at("dsplit", x, indices_or_sections, 2, 3)


def _at_least(op, least, tensors):
    """x, or x with axes of size 1 added (torch's places for them), for each tensor; one tensor alone, not a tuple."""
    one = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    out = []
    for t in _tensor_list(tensors, op):
        shape = t.shape if t.ndim >= least else {0: (1,) * least, 1: (1, *t.shape, 1)[:least], 2: (*t.shape, 1)}[t.ndim]
        out.append(t if shape == t.shape else reshape(t, *shape))
    return out[0] if one else tuple(out)


def atleast_1d(*tensors):
    """Each tensor with at least 1 axis: a 0-d one becomes shape (1,), as torch.atleast_1d."""
    return _at_least("atleast_1d", 1, tensors)


def atleast_2d(*tensors):
    """Each tensor with at least 2 axes: shape () becomes (1, 1), (n,) becomes (1, n), as torch.atleast_2d."""
    return _at_least("atleast_2d", 2, tensors)


def atleast_3d(*tensors):
    """At least 3 axes: () becomes (1, 1, 1), (n,) (1, n, 1), (m, n) (m, n, 1), as torch.atleast_3d."""
    return _at_least("atleast_3d", 3, tensors)


def hstack(tensors):
    """Tensors joined column-wise, as torch.hstack: along dim 1, or dim 0 when they are 1-D (0-d ones count as 1-D)."""
    tensors = _at_least("hstack", 1, tuple(_tensor_list(tensors, "hstack")))
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)  # (torch looks at the first one)


def vstack(tensors):
    """Tensors joined row-wise (along dim 0), 1-D ones as rows (1, n), as torch.vstack."""
    return cat(_at_least("vstack", 2, tuple(_tensor_list(tensors, "vstack"))), 0)


def row_stack(tensors):
    """Another name for vstack."""
    return vstack(tensors)


def dstack(tensors):
    """Tensors joined depth-wise (along dim 2), each made at least 3-D as atleast_3d does, as torch.dstack."""
    return cat(_at_least("dstack", 3, tuple(_tensor_list(tensors, "dstack"))), 2)


def column_stack(tensors):
    """Tensors joined along dim 1, 0-d and 1-D ones as columns (n, 1), as torch.column_stack."""
    tensors = _tensor_list(tensors, "column_stack")
    return cat([reshape(t, t.numel(), 1) if t.ndim < 2 else t for t in tensors], 1)


def broadcast_shapes(*shapes):
    """The shape tensors of `shapes` (ints or tuples) broadcast together take, as torch.broadcast_shapes."""
    shapes = [(s,) if isinstance(s, numbers.Integral) else tuple(s) for s in shapes]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except (ValueError, TypeError):
        raise ValueError(f"broadcast_shapes: shapes {', '.join(map(str, shapes))} do not broadcast together; aligned "
                         "from the last axis, each size must be equal or 1") from None


def broadcast_tensors(*tensors):
    """The tensors broadcast to one shape, as torch.broadcast_tensors (their gradients sum back)."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    tensors = _tensor_list(tensors, "broadcast_tensors")
    try:
        shape = np.broadcast_shapes(*[t.shape for t in tensors])
    except ValueError:
        raise ValueError(f"broadcast_tensors: shapes {', '.join(str(t.shape) for t in tensors)} do not broadcast "
                         "together; aligned from the last axis, each size must be equal or 1") from None
    return tuple(broadcast_to(t, shape) for t in tensors)


def rot90(x, k=1, dims=(0, 1)):
    """x turned by k quarter turns in the plane of `dims`, from the first axis towards the second, as torch.rot90."""
    _expect_tensor(x, "rot90")
    if not isinstance(k, numbers.Integral) or isinstance(k, bool):
        raise TypeError(f"rot90: k must be an int, got {type(k).__name__} {k!r}")
    if not isinstance(dims, (tuple, list)) or len(dims) != 2 or x.ndim < 2:
        raise ValueError(f"rot90: dims must be two axes of x (at least 2-D), got dims {dims!r} for shape {x.shape}")
    a, b = _norm_axes(tuple(dims), x.shape, "rot90")  # (the same axis twice is refused)
    k %= 4
    if k == 1:  # turning by 90 degrees: reverse the second axis, then swap the two
        return transpose(flip(x, (b,)), a, b)
    if k == 2:
        return flip(x, (a, b))
    if k == 3:
        return transpose(flip(x, (a,)), a, b)
    return clone(x)  # a new tensor, as torch's


def diff(x, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along `dim`, out[i] = x[i + 1] - x[i] applied n times, as torch.diff (`prepend`
    and `append`: tensors joined to x along dim first). Booleans differ by exclusive or, as torch's."""
    _expect_tensor(x, "diff")
    if x.ndim == 0:
        raise ValueError("diff: expected a tensor with at least one axis, got a 0-d tensor")
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 0:
        raise ValueError(f"diff: n must be an int >= 0, got {n!r}")
    dim = _axis(dim, x.shape, "diff")
    parts = [t for t in (prepend, x, append) if t is not None]
    for t in parts:
        _expect_tensor(t, "diff")
        if t.ndim != x.ndim or t.shape[:dim] + t.shape[dim + 1:] != x.shape[:dim] + x.shape[dim + 1:]:
            raise ValueError(f"diff: prepend and append must have x's {x.ndim} axes and x's shape {tuple(x.shape)} "
                             f"outside dim {dim}, got shape {tuple(t.shape)}")
    y = cat(parts, dim) if len(parts) > 1 else x
    for _ in range(n):
        later, earlier = (getitem(y, (slice(None),) * dim + (s,)) for s in (slice(1, None), slice(None, -1)))
        y = logical_xor(later, earlier) if y.dtype == np.bool_ else later - earlier
    return clone(x) if y is x else y  # n=0: a new tensor (a copy), as torch's


def _from_the_end(idx, n, op, dim):
    """idx with negative indices counted from the end (i + n), for ops whose torch takes -n..n-1; others refused."""
    lo = int(idx.min()) if idx.size else 0
    if lo < -n:
        raise IndexError(f"{op}: index {lo} is out of range for dim {dim} of size {n}; "
                         f"indices must lie in {-n}..{n - 1}")
    idx = backend.xp_of(idx).where(idx < 0, idx + n, idx)
    _check_range(idx, n, op, dim)
    return idx


def take_along_dim(x, indices, dim=None):
    """x's entries at `indices` along `dim` (x and indices broadcast outside it), as torch.take_along_dim;
    dim=None: of x flattened. The values sort/argsort/topk's indices point at: take_along_dim(x, x.argsort(1), 1)."""
    _expect_tensor(x, "take_along_dim")
    idx = _index_array(indices, x, "take_along_dim")
    if dim is None:
        _check_range(idx, x.numel(), "take_along_dim", "None (x flattened)")  # (torch's takes no negative one here)
        return gather(reshape(x, -1), 0, Tensor(idx.reshape(-1)))
    if x.ndim == 0:
        raise ValueError("take_along_dim: x is a 0-d tensor (no axis to take along); use dim=None")
    if idx.ndim != x.ndim:
        raise ValueError(f"take_along_dim: indices must have as many axes as x, got shapes {tuple(idx.shape)} and "
                         f"{tuple(x.shape)}")
    axis = _axis(dim, x.shape, "take_along_dim")
    idx = _from_the_end(idx, x.shape[axis], "take_along_dim", axis)
    try:
        shape = list(np.broadcast_shapes(tuple(np.delete(x.shape, axis)), tuple(np.delete(idx.shape, axis))))
    except ValueError:
        raise ValueError(f"take_along_dim: x {tuple(x.shape)} and indices {tuple(idx.shape)} do not broadcast "
                         f"outside dim {axis}") from None
    xb = broadcast_to(x, tuple(shape[:axis] + [x.shape[axis]] + shape[axis:]))
    ib = backend.xp_of(idx).broadcast_to(idx, tuple(shape[:axis] + [idx.shape[axis]] + shape[axis:]))
    return gather(xb, axis, Tensor(ib))


def take(x, index):
    """x's entries at `index` in x flattened (negative ones count from the end), of the index's shape: torch.take."""
    _expect_tensor(x, "take")
    idx = _index_array(index, x, "take")
    n = x.numel()
    lo, hi = (int(idx.min()), int(idx.max())) if idx.size else (0, -1)
    if lo < -n or hi >= n:
        raise IndexError(f"take: index {lo if lo < -n else hi} is out of range for x of {n} entries; "
                         f"indices must lie in {-n}..{n - 1}")
    return getitem(reshape(x, -1), idx)


def masked_select(x, mask):
    """The entries of x where the boolean `mask` is true (the two broadcast together), 1-D: torch.masked_select."""
    _expect_tensor(x, "masked_select")
    _expect_tensor(mask, "masked_select")
    if mask.dtype != np.bool_:
        raise TypeError(f"masked_select: the mask must be boolean, got {mask.dtype}; compare to make one (x > 0)")
    if mask.device != x.device:
        raise RuntimeError(f"masked_select: the mask is on '{mask.device}' and x on '{x.device}'; move the mask")
    try:
        xb, mb = broadcast_tensors(x, mask)
    except ValueError:
        raise ValueError(f"masked_select: x {tuple(x.shape)} and the mask {tuple(mask.shape)} do not broadcast "
                         "together; aligned from the last axis, each size must be equal or 1") from None
    return getitem(reshape(xb, -1), mb.data.reshape(-1))


def _index_along(op, x, dim, index, source=None):
    """index_add's and index_copy's operands checked: (dim, the index spread to source's shape along dim, source)."""
    _expect_tensor(x, op)
    idx = _index_array(index, x, op, vector=True).reshape(-1)
    x1 = reshape(x, 1) if x.ndim == 0 else x
    dim = _axis(dim, x1.shape, op) if x.ndim else _scalar_dim(dim, op) or 0
    _expect_tensor(source, op)
    s1 = reshape(source, 1) if source.ndim == 0 else source
    want = x1.shape[:dim] + (idx.size,) + x1.shape[dim + 1:]
    if s1.shape != want:
        raise ValueError(f"{op}: source must have shape {want} (x's, with the index's {idx.size} entries along dim "
                         f"{dim}), got {tuple(source.shape)}")
    _check_range(idx, x1.shape[dim], op, dim)
    spread = backend.xp_of(idx).broadcast_to(idx.reshape([-1 if d == dim else 1 for d in range(x1.ndim)]), want)
    return dim, Tensor(spread), s1


def index_add(x, dim, index, source, *, alpha=1):
    """A copy of x with alpha * source[..., i, ...] added at x[..., index[i], ...] along `dim` (repeats add up),
    as torch.index_add (not in place)."""
    dim, spread, s1 = _index_along("index_add", x, dim, index, source)
    return reshape(scatter_add(reshape(x, 1) if x.ndim == 0 else x, dim, spread, s1 if alpha == 1 else s1 * alpha),
                   *x.shape)


def index_copy(x, dim, index, source):
    """A copy of x with source[..., i, ...] written at x[..., index[i], ...] along `dim`, as torch.index_copy
    (a repeated index keeps the last of its values, on either device: torch's GPU keeps any one)."""
    dim, spread, s1 = _index_along("index_copy", x, dim, index, source)
    return reshape(scatter(reshape(x, 1) if x.ndim == 0 else x, dim, spread, s1), *x.shape)


def index_fill(x, dim, index, value):
    """A copy of x with `value` (a number or a 0-d tensor) at positions `index` along `dim`, as torch.index_fill."""
    _expect_tensor(x, "index_fill")
    idx = _index_array(index, x, "index_fill", vector=True).reshape(-1)
    axis = _axis(dim, x.shape, "index_fill") if x.ndim else _scalar_dim(dim, "index_fill") or 0
    n = x.shape[axis] if x.ndim else 1
    idx = _from_the_end(idx, n, "index_fill", dim)
    if isinstance(value, Tensor) and value.ndim != 0:
        raise ValueError(f"index_fill: value must be a number or a 0-d tensor, got shape {tuple(value.shape)}")
    if not isinstance(value, (Tensor, numbers.Number)):
        raise TypeError(f"index_fill: value must be a number or a 0-d tensor, got {_what(value)}")
    xp = backend.xp_of(x.data)
    picked = xp.zeros(n, dtype=np.bool_)
    picked[idx] = True
    mask = picked.reshape([-1 if d == axis else 1 for d in range(x.ndim)])
    value = value.to(dtype=x.dtype) if isinstance(value, Tensor) else Tensor(xp.asarray(value, dtype=x.dtype))
    return where(mask, broadcast_to(value, x.shape), x)


def _triangle_indices(op, row, col, offset, dtype, device):
    for name, v in (("row", row), ("col", col), ("offset", offset)):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool) or (name != "offset" and v < 0):
            raise ValueError(f"{op}: {name} must be an int{' >= 0' if name != 'offset' else ''}, got {v!r}")
    dtype = _resolve_dtype(dtype) if dtype is not None else np.dtype(np.int64)
    if dtype not in (np.int64, np.int32):
        raise TypeError(f"{op}: dtype must be int64 or int32, got {dtype}")
    rows, cols = np.tril_indices(row, offset, col) if op == "tril_indices" else np.triu_indices(row, offset, col)
    return Tensor(backend.asarray(np.stack([rows, cols]).astype(dtype), device=device or "cpu"))


def tril_indices(row, col, offset=0, *, dtype=None, device=None):
    """The (row, column) positions of the lower triangle of a row x col matrix, on and below diagonal `offset`,
    row by row: a 2 x N int64 tensor, as torch.tril_indices."""
    return _triangle_indices("tril_indices", row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None):
    """The (row, column) positions of the upper triangle, on and above diagonal `offset`, as torch.triu_indices."""
    return _triangle_indices("triu_indices", row, col, offset, dtype, device)


def bincount(x, weights=None, minlength=0):
    """How often each of 0, 1, ..., max(x) occurs in the 1-D int tensor x (at least `minlength` counts), as
    torch.bincount; with `weights`, their sums per value instead (float64 for integer weights). No gradient."""
    _expect_tensor(x, "bincount")
    if x.ndim != 1 or x.dtype.kind not in "iu":
        raise ValueError(f"bincount: x must be a 1-D tensor of ints, got a {x.dtype} tensor of shape {tuple(x.shape)}")
    if not isinstance(minlength, numbers.Integral) or isinstance(minlength, bool) or minlength < 0:
        raise ValueError(f"bincount: minlength must be an int >= 0, got {minlength!r}")
    xp = backend.xp_of(x.data)
    if x.numel() and int(x.data.min()) < 0:
        raise ValueError(f"bincount: x must hold values >= 0, got {int(x.data.min())}")
    if weights is None:
        return Tensor(xp.bincount(x.data, minlength=int(minlength)).astype(np.int64))
    _expect_tensor(weights, "bincount")
    if weights.shape != x.shape or weights.device != x.device:
        raise ValueError(f"bincount: weights must have x's shape {tuple(x.shape)} and device '{x.device}', got "
                         f"{tuple(weights.shape)} on '{weights.device}'")
    dtype = weights.dtype if weights.dtype.kind == "f" else np.dtype(np.float64)
    return Tensor(xp.bincount(x.data, weights.data, minlength=int(minlength)).astype(dtype))


def unique(x, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values of x, sorted, as torch.unique (sorted=False sorts too); return_inverse: also each entry's
    position among them (x's shape); return_counts: also how often each occurs. No gradient.

    As torch's, every NaN is a value of its own (NaN != NaN), last, in the order they occur; NumPy's and CuPy's
    unique merge them into one unless told ``equal_nan=False`` (and sort them stably only with ``return_index``).
    """
    _expect_tensor(x, "unique")
    for name, flag in (("sorted", sorted), ("return_inverse", return_inverse), ("return_counts", return_counts)):
        _check_flag(flag, name, "unique")
    if dim is not None:
        raise NotImplementedError("unique: dim= (unique slices) is not in minigan; only dim=None, of all the values")
    values, _, inverse, counts = backend.xp_of(x.data).unique(
        x.data.reshape(-1), return_index=True, return_inverse=True, return_counts=True, equal_nan=False)
    out = (Tensor(values),)
    out += (Tensor(inverse.reshape(x.shape).astype(np.int64)),) if return_inverse else ()
    out += (Tensor(counts.astype(np.int64)),) if return_counts else ()
    return out[0] if len(out) == 1 else out


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None, sorter=None):
    """Where each of `values` would go in the ascending last axis of `sorted_sequence` to keep it sorted, as
    torch.searchsorted: the first such place, or with right=True (side='right') the last. A sequence of more axes
    is searched row by row, its leading axes those of `values`. `sorter`: indices that sort the sequence. No gradient."""
    _expect_tensor(sorted_sequence, "searchsorted")
    seq = sorted_sequence
    if side not in (None, "left", "right") or (side == "left" and right):
        raise ValueError(f"searchsorted: side must be 'left' or 'right' (and not 'left' with right=True), got {side!r}")
    right = right or side == "right"
    if seq.ndim == 0:
        raise ValueError("searchsorted: sorted_sequence must have at least one axis, got a 0-d tensor")
    if sorter is not None:
        if not isinstance(sorter, Tensor) or sorter.shape != seq.shape:
            raise ValueError(f"searchsorted: sorter must be an index tensor of the sequence's shape {tuple(seq.shape)}")
        seq = take_along_dim(seq, sorter, -1)
    number = not isinstance(values, Tensor)
    if number and not isinstance(values, numbers.Number):
        raise TypeError(f"searchsorted: values must be a tensor or a number, got {_what(values)}")
    v = backend.asarray(np.asarray(values), device=seq.device) if number else values.data
    if seq.ndim > 1 and (v.ndim != seq.ndim or v.shape[:-1] != seq.shape[:-1]):
        raise ValueError(f"searchsorted: a sequence of shape {tuple(seq.shape)} is searched row by row: values must "
                         f"have its leading axes {tuple(seq.shape[:-1])} and any last one, got {tuple(v.shape)}")
    xp, dtype = backend.xp_of(seq.data), np.int32 if out_int32 else np.int64
    rows = seq.data.reshape(math.prod(seq.shape[:-1]), seq.shape[-1])  # (-1 can't be worked out for empty rows)
    if v.size == 0 or rows.shape[0] == 0:
        return Tensor(xp.zeros(v.shape, dtype=dtype))
    vals = v.reshape(rows.shape[0], -1)  # one row of values per row of the sequence
    found = [xp.searchsorted(row, w, side="right" if right else "left") for row, w in zip(rows, vals)]
    return Tensor(xp.stack(found).reshape(v.shape).astype(dtype))


def bucketize(x, boundaries, *, out_int32=False, right=False):
    """The bucket of each entry of x between the ascending 1-D `boundaries`, as torch.bucketize: i with
    boundaries[i-1] < x <= boundaries[i] (right=True: boundaries[i-1] <= x < boundaries[i]). No gradient."""
    _expect_tensor(boundaries, "bucketize")
    if boundaries.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be 1-D, got shape {tuple(boundaries.shape)}")
    return searchsorted(boundaries, x, out_int32=out_int32, right=right)


def histc(x, bins=100, min=0, max=0):
    """A histogram of x's values: counts in `bins` equal bins from min to max (min == max: x's smallest and largest
    values), values outside left out, in x's float dtype, as torch.histc. No gradient."""
    _expect_tensor(x, "histc")
    if x.dtype.kind != "f":
        raise TypeError(f"histc: x must be a float tensor, got {x.dtype}; convert it with x.float()")
    if not isinstance(bins, numbers.Integral) or isinstance(bins, bool) or bins < 1:
        raise ValueError(f"histc: bins must be an int >= 1, got {bins!r}")
    lo, hi = float(min), float(max)
    if lo == hi and x.numel():
        lo, hi = float(x.data.min()), float(x.data.max())
    if lo == hi:  # one value (or none): a window of width 2 around it, as torch's
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise ValueError(f"histc: the range must be finite with min <= max, got min={lo}, max={hi}")
    xp = backend.xp_of(x.data)
    v = x.data.reshape(-1)
    v = v[(v >= lo) & (v <= hi)]
    bin_of = xp.minimum(((v - lo) * bins / (hi - lo)).astype(np.int64), bins - 1)  # the largest value in the last bin
    return Tensor(xp.bincount(bin_of, minlength=int(bins)).astype(x.dtype))


# ---------------------------------------------- more elementwise functions and reductions (torch's)
def _elementwise(op, cls, x):
    """cls()(x) for a Tensor x, integers and booleans as float32 (as torch's)."""
    _expect_tensor(x, op)
    return cls()(_floating(x))


def _two_floats(op, cls, a, b):
    """cls()(a, b) for two operands promoted as for a * b, then integers and booleans as float32."""
    a, b = _pair(a, b, op)
    return cls()(_floating(a), _floating(b))


def square(x):
    """x * x elementwise, as torch.square (a mask squares to int64, as torch's)."""
    _expect_tensor(x, "square")
    return pow(x, 2)


def reciprocal(x):
    """1 / x elementwise (integers as float32), as torch.reciprocal."""
    _expect_tensor(x, "reciprocal")
    return 1.0 / _floating(x)


def rsqrt(x):
    """1 / sqrt(x) elementwise, as torch.rsqrt (inf at 0, -inf at -0.0, NaN below 0)."""
    _expect_tensor(x, "rsqrt")
    return 1.0 / sqrt(_floating(x))


class Expm1(Function):
    def forward(self, x):
        return backend.xp_of(x).expm1(x)

    def backward(self, gy):
        # d(e^x - 1)/dx = e^x = y + 1
        return gy * (self.output() + 1.0)


def expm1(x):
    """e^x - 1, accurate for small x (where e^x - 1 would round away x's digits), as torch.expm1."""
    return _elementwise("expm1", Expm1, x)


class Log2(Function):
    def forward(self, x):
        return backend.xp_of(x).log2(x)

    def backward(self, gy):
        # d log2(x)/dx = 1 / (x ln 2)
        return gy / (self.inputs[0] * math.log(2.0))


def log2(x):
    """The base-2 logarithm elementwise (exact at powers of 2), as torch.log2."""
    return _elementwise("log2", Log2, x)


class Log10(Function):
    def forward(self, x):
        return backend.xp_of(x).log10(x)

    def backward(self, gy):
        # d log10(x)/dx = 1 / (x ln 10)
        return gy / (self.inputs[0] * math.log(10.0))


def log10(x):
    """The base-10 logarithm elementwise, as torch.log10."""
    return _elementwise("log10", Log10, x)


def exp2(x):
    """2 ** x elementwise, as torch.exp2 (a power of 2: exact at whole x)."""
    _expect_tensor(x, "exp2")
    return Exponential(2.0)(_floating(x))


class Logit(Function):
    """log(x / (1 - x)), with x clamped to [eps, 1 - eps] first when eps is given (torch's logit)."""

    def __init__(self, eps):
        self.eps = eps

    def forward(self, x):
        z = x if self.eps is None else backend.xp_of(x).clip(x, self.eps, 1.0 - self.eps)
        return backend.xp_of(x).log(z / (1.0 - z))

    def backward(self, gy):
        # d logit(x)/dx = 1 / (x (1 - x)); 0 outside [eps, 1 - eps] (the clamp), NaN outside [0, 1] without eps
        x = self.inputs[0]
        g = gy / (x * (1.0 - x))
        lo, hi, fill = (0.0, 1.0, math.nan) if self.eps is None else (self.eps, 1.0 - self.eps, 0.0)
        return where((x.data < lo) | (x.data > hi), fill, g)


def logit(x, eps=None):
    """log(x / (1 - x)), the inverse of sigmoid, as torch.logit; with `eps`, x clamped to [eps, 1 - eps] first
    (finite at 0 and 1; gradient 0 outside)."""
    _expect_tensor(x, "logit")
    if eps is not None and (not isinstance(eps, numbers.Real) or isinstance(eps, bool)):
        raise TypeError(f"logit: eps must be a number or None, got {type(eps).__name__} {eps!r}")
    return Logit(None if eps is None else float(eps))(_floating(x))


class XLogY(Function):
    def forward(self, x, y):
        xp = backend.xp_of(x)
        # 0 where x is 0 (even where log y is -inf or inf), unless y is NaN, as torch's
        return xp.where((x == 0) & (y == y), 0, x * xp.log(y)).astype(x.dtype, copy=False)

    def backward(self, gy):
        # d(x log y)/dx = log y (torch's: 0 where x = 0 and y <= 0), d(x log y)/dy = x / y
        x, y = self.inputs
        gx = gyy = None
        if self.needs_input_grad[0]:
            gx = sum_to(where((x.data == 0) & (y.data <= 0), 0.0, xlogy(gy, y)), x.shape)
        if self.needs_input_grad[1]:
            gyy = sum_to(gy * x / y, y.shape)
        return gx, gyy


def xlogy(x, y):
    """x * log(y) elementwise, 0 where x is 0 (unless y is NaN), as torch.xlogy: entropies with zero probabilities."""
    return _two_floats("xlogy", XLogY, x, y)


class Hypot(Function):
    def forward(self, a, b):
        return backend.xp_of(a).hypot(a, b)

    def backward(self, gy):
        # d sqrt(a^2 + b^2)/da = a / y, /db = b / y
        a, b = self.inputs
        r = gy / self.output()
        return sum_to(r * a, a.shape), sum_to(r * b, b.shape)


def hypot(a, b):
    """sqrt(a^2 + b^2) elementwise without overflow in the squares, as torch.hypot (which takes floats only)."""
    return _two_floats("hypot", Hypot, a, b)


class Atan2(Function):
    def forward(self, a, b):
        return backend.xp_of(a).arctan2(a, b)

    def backward(self, gy):
        # d atan2(a, b)/da = b / (a^2 + b^2), d atan2(a, b)/db = -a / (a^2 + b^2)  (0 at a = b = 0, as torch's)
        a, b = self.inputs
        squares = a * a + b * b
        r = where(squares.data == 0, 0.0, gy / squares)
        return sum_to(r * b, a.shape), sum_to(-(r * a), b.shape)


def atan2(a, b):
    """The angle of the point (b, a) in [-pi, pi] (-pi where a = -0.0 and b < 0), elementwise, as torch.atan2
    (integers as float32)."""
    return _two_floats("atan2", Atan2, a, b)


arctan2 = atan2


class LogAddExp(Function):
    """log(e^a + e^b), or log2(2^a + 2^b) with ``base=2``, without overflow."""

    def __init__(self, base=None):
        self.base = base

    def forward(self, a, b):
        xp = backend.xp_of(a)
        return xp.logaddexp(a, b) if self.base is None else xp.logaddexp2(a, b)

    def backward(self, gy):
        # d log(e^a + e^b)/da = 1 / (1 + e^(b - a)) (base 2: 1 / (1 + 2^(b - a))), and so for b
        a, b = self.inputs
        power = exp if self.base is None else exp2
        return sum_to(gy / (1.0 + power(b - a)), a.shape), sum_to(gy / (1.0 + power(a - b)), b.shape)


def logaddexp(a, b):
    """log(e^a + e^b) elementwise without overflow, as torch.logaddexp."""
    return _two_floats("logaddexp", LogAddExp, a, b)


def logaddexp2(a, b):
    """log2(2^a + 2^b) elementwise without overflow, as torch.logaddexp2."""
    a, b = _pair(a, b, "logaddexp2")
    return LogAddExp(base=2)(_floating(a), _floating(b))


class Tan(Function):
    def forward(self, x):
        return backend.xp_of(x).tan(x)

    def backward(self, gy):
        # d tan(x)/dx = 1 + tan(x)^2 = 1 + y^2
        y = self.output()
        return gy * (1.0 + y * y)


def tan(x):
    """tan(x) elementwise (integers as float32), as torch.tan."""
    return _elementwise("tan", Tan, x)


class Sinh(Function):
    def forward(self, x):
        return backend.xp_of(x).sinh(x)

    def backward(self, gy):
        # d sinh(x)/dx = cosh(x)
        return gy * cosh(self.inputs[0])


def sinh(x):
    """sinh(x) elementwise, as torch.sinh."""
    return _elementwise("sinh", Sinh, x)


class Cosh(Function):
    def forward(self, x):
        return backend.xp_of(x).cosh(x)

    def backward(self, gy):
        # d cosh(x)/dx = sinh(x)
        return gy * sinh(self.inputs[0])


def cosh(x):
    """cosh(x) elementwise, as torch.cosh."""
    return _elementwise("cosh", Cosh, x)


class Asin(Function):
    def forward(self, x):
        return backend.xp_of(x).arcsin(x)

    def backward(self, gy):
        # d asin(x)/dx = 1 / sqrt(1 - x^2)
        x = self.inputs[0]
        return gy * rsqrt(1.0 - x * x)


def asin(x):
    """arcsin(x) elementwise, in [-pi/2, pi/2] (NaN outside [-1, 1]), as torch.asin."""
    return _elementwise("asin", Asin, x)


arcsin = asin


class Acos(Function):
    def forward(self, x):
        return backend.xp_of(x).arccos(x)

    def backward(self, gy):
        # d acos(x)/dx = -1 / sqrt(1 - x^2)
        x = self.inputs[0]
        return -(gy * rsqrt(1.0 - x * x))


def acos(x):
    """arccos(x) elementwise, in [0, pi] (NaN outside [-1, 1]), as torch.acos."""
    return _elementwise("acos", Acos, x)


arccos = acos


class Atan(Function):
    def forward(self, x):
        return backend.xp_of(x).arctan(x)

    def backward(self, gy):
        # d atan(x)/dx = 1 / (1 + x^2)
        x = self.inputs[0]
        return gy / (x * x + 1.0)


def atan(x):
    """arctan(x) elementwise, in (-pi/2, pi/2), as torch.atan."""
    return _elementwise("atan", Atan, x)


arctan = atan


class Asinh(Function):
    def forward(self, x):
        return backend.xp_of(x).arcsinh(x)

    def backward(self, gy):
        # d asinh(x)/dx = 1 / sqrt(x^2 + 1)
        x = self.inputs[0]
        return gy * rsqrt(x * x + 1.0)


def asinh(x):
    """arsinh(x) elementwise, as torch.asinh."""
    return _elementwise("asinh", Asinh, x)


arcsinh = asinh


class Acosh(Function):
    def forward(self, x):
        return backend.xp_of(x).arccosh(x)

    def backward(self, gy):
        # d acosh(x)/dx = 1 / sqrt(x^2 - 1)
        x = self.inputs[0]
        return gy * rsqrt(x * x - 1.0)


def acosh(x):
    """arcosh(x) elementwise (NaN below 1), as torch.acosh."""
    return _elementwise("acosh", Acosh, x)


arccosh = acosh


class Atanh(Function):
    def forward(self, x):
        return backend.xp_of(x).arctanh(x)

    def backward(self, gy):
        # d atanh(x)/dx = 1 / (1 - x^2)
        x = self.inputs[0]
        return gy / (1.0 - x * x)


def atanh(x):
    """artanh(x) elementwise (+-inf at +-1, NaN outside [-1, 1]), as torch.atanh."""
    return _elementwise("atanh", Atanh, x)


arctanh = atanh


def frac(x):
    """x - trunc(x): the fractional part, with x's sign, as torch.frac (gradient 1; floats only, as torch's)."""
    _expect_tensor(x, "frac")
    if x.dtype.kind != "f":
        raise TypeError(f"frac: x must be a float tensor, got {x.dtype} (torch refuses it too; a whole number's "
                        "fractional part is 0); convert first, x.float()")
    return x - trunc(x)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """x with NaN, +inf and -inf replaced by `nan`, `posinf` and `neginf` (by default 0 and the dtype's largest and
    smallest finite values), as torch.nan_to_num; gradient 1 where x is finite, 0 where replaced."""
    _expect_tensor(x, "nan_to_num")
    for name, value in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if value is not None and (not isinstance(value, numbers.Real) or isinstance(value, bool)):
            raise TypeError(f"nan_to_num: {name} must be a number or None, got {type(value).__name__} {value!r}")
    if nan is None:
        nan = 0.0
    if x.dtype.kind != "f":  # integers hold no NaN or inf: a copy, as torch's
        return clone(x)
    info = np.finfo(x.dtype)
    xp = backend.xp_of(x.data)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    with np.errstate(over="ignore"):  # a replacement too large for the dtype becomes inf, as torch's
        filled = xp.nan_to_num(x.data, nan=float(nan), posinf=float(hi), neginf=float(lo)).astype(x.dtype, copy=False)
    return where(xp.isfinite(x.data), x, Tensor(filled))


class CopySign(Function):
    def forward(self, a, b):
        return backend.xp_of(a).copysign(a, b)

    def backward(self, gy):
        # d copysign(a, b)/da = y / a (+-1; 0 at a = 0, as torch's), d copysign(a, b)/db = 0
        a, b = self.inputs
        ga = sum_to(gy * where(a.data == 0, 0.0, self.output() / a), a.shape)
        return ga, zeros_like(b)


def copysign(a, b):
    """|a| with the sign of b (the sign bit: -0.0 counts as negative), elementwise, as torch.copysign."""
    return _two_floats("copysign", CopySign, a, b)


def signbit(x):
    """Where x's sign bit is set (x < 0, and -0.0), as a boolean tensor, as torch.signbit (no gradient)."""
    _expect_tensor(x, "signbit")
    xp = backend.xp_of(x.data)
    return Tensor(xp.zeros(x.shape, dtype=bool) if x.dtype == np.bool_ else xp.signbit(x.data))


def heaviside(x, values):
    """The step function: 0 where x < 0, `values` where x == 0, 1 where x > 0, in x's dtype, as torch.heaviside
    (a step: no gradient, as torch's has none)."""
    _expect_tensor(x, "heaviside")
    _expect_tensor(values, "heaviside (values)")
    if x.dtype != values.dtype:
        raise TypeError(f"heaviside: x is {x.dtype} but values is {values.dtype}; they must have one dtype (as "
                        "torch's); convert one with .to(dtype=...)")
    _same_device("heaviside", x, values)
    xp = backend.xp_of(x.data)
    _broadcastable("heaviside", x, values)
    return Tensor(xp.where(x.data == 0, values.data, x.data > 0).astype(x.dtype, copy=False))


def _same_device(op, a, b):
    if a.device != b.device:
        raise RuntimeError(f"{op}: tensors are on two devices, '{a.device}' and '{b.device}'; move one with "
                           f".to('{a.device}')")


def _broadcastable(op, a, b):
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} do not broadcast together; aligned "
                         "from the last axis, each pair of sizes must be equal or 1") from None


def _erfc_float64(x):
    """erfc = 1 - erf of a float64 array, to about 1e-13 relative: 1 - erf(x) below 2 (erfc >= 0.0046 there),
    and above, Abramowitz and Stegun's continued fraction (as in ``_erf_float64``), 60 levels, up to 27
    (erfc(27) ~ 5e-319: 0 beyond)."""
    xp = backend.xp_of(x)
    z = xp.clip(x, 2.0, 27.0)
    z2, tail = 2 * z * z, xp.zeros_like(z)
    for k in range(60, 0, -1):
        xp.divide((2 * k - 1) * (2 * k), z2 + (4 * k + 1) - tail, out=tail)
    big = (2 / math.sqrt(math.pi)) * z * xp.exp(-z * z) / (z2 + 1 - tail)
    return xp.where(x < 2.0, 1 - _erf_float64(x), xp.where(x > 27.0, 0.0, big))


class Erfc(Function):
    def forward(self, x):
        # 1 - erf(x), accurate where erf(x) is near 1; float32 computed in float64
        return _erfc_float64(x.astype(np.float64, copy=False)).astype(x.dtype, copy=False)

    def backward(self, gy):
        # d erfc(x)/dx = -2/sqrt(pi) e^(-x^2)
        x = self.inputs[0]
        return gy * (exp(-(x * x)) * (-2 / math.sqrt(math.pi)))


def erfc(x):
    """The complementary error function 1 - erf(x), accurate in the tail (erfc(10) ~ 2e-45), as torch.erfc."""
    return _elementwise("erfc", Erfc, x)


class Erfinv(Function):
    def forward(self, x):
        # the x with erf(x) = y: Winitzki's closed form (within 0.2%), then 4 Newton steps on erf (on erfc for
        # |y| > 0.5, where erf is near 1 and its rounding would hide x's digits); float32 computed in float64
        xp = backend.xp_of(x)
        y = x.astype(np.float64, copy=False)
        a = xp.abs(y)
        ln = xp.log1p(-a * a)
        c = 2 / (math.pi * 0.147) + ln / 2
        x0 = xp.sqrt(xp.sqrt(c * c - ln / 0.147) - c)
        for _ in range(4):
            miss = xp.where(a <= 0.5, _erf_float64(x0) - a, (1 - a) - _erfc_float64(x0))
            x0 = x0 - miss / ((2 / math.sqrt(math.pi)) * xp.exp(-x0 * x0))
        x0 = xp.where(a == 1, xp.inf, xp.where(a > 1, xp.nan, x0))
        return xp.copysign(x0, y).astype(x.dtype, copy=False)  # (NaN stays NaN)

    def backward(self, gy):
        # d erfinv(x)/dx = sqrt(pi)/2 e^(erfinv(x)^2) = sqrt(pi)/2 e^(y^2)
        y = self.output()
        return gy * (exp(y * y) * (math.sqrt(math.pi) / 2))


def erfinv(x):
    """The inverse of erf on (-1, 1): +-inf at +-1, NaN outside, as torch.erfinv."""
    return _elementwise("erfinv", Erfinv, x)


# logical functions and comparisons: boolean results, no gradient
def _logical(op, ufunc, a, b):
    _expect_tensor(a, op)
    _expect_tensor(b, op)
    _same_device(op, a, b)
    _broadcastable(op, a, b)
    return Tensor(getattr(backend.xp_of(a.data), ufunc)(a.data, b.data))


def logical_and(a, b):
    """Where both a and b are true (non-zero), as a boolean tensor, as torch.logical_and."""
    return _logical("logical_and", "logical_and", a, b)


def logical_or(a, b):
    """Where a or b (or both) is true (non-zero), as a boolean tensor, as torch.logical_or."""
    return _logical("logical_or", "logical_or", a, b)


def logical_xor(a, b):
    """Where exactly one of a and b is true (non-zero), as a boolean tensor, as torch.logical_xor."""
    return _logical("logical_xor", "logical_xor", a, b)


def logical_not(x):
    """Where x is false (zero), as a boolean tensor, as torch.logical_not."""
    _expect_tensor(x, "logical_not")
    return Tensor(backend.xp_of(x.data).logical_not(x.data))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Where |a - b| <= atol + rtol |b| (infinities equal to themselves; NaN only with equal_nan), as a boolean
    tensor, as torch.isclose (both of one dtype, as torch's)."""
    _expect_tensor(a, "isclose")
    _expect_tensor(b, "isclose")
    if a.dtype != b.dtype:
        raise TypeError(f"isclose: a is {a.dtype} but b is {b.dtype}; they must have one dtype (as torch's); "
                        "convert one with .to(dtype=...)")
    _same_device("isclose", a, b)
    _broadcastable("isclose", a, b)
    _check_flag(equal_nan, "equal_nan", "isclose")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value >= 0:
            raise ValueError(f"isclose: {name} must be a number >= 0, got {value!r}")
    xp = backend.xp_of(a.data)
    if a.dtype == np.bool_:  # (NumPy's isclose subtracts, which booleans refuse)
        return Tensor(xp.broadcast_to(a.data == b.data, np.broadcast_shapes(a.shape, b.shape)).copy())
    return Tensor(xp.isclose(a.data, b.data, rtol=float(rtol), atol=float(atol), equal_nan=equal_nan))


def _reduce_flags(op, x, dim, keepdim):
    _expect_tensor(x, op)
    _check_flag(keepdim, "keepdim", op)
    return getattr(x, op)(dim, keepdim)


def _any(x, dim=None, keepdim=False):
    """minigan.any (named so here, where Python's any is used): whether any element (along `dim`) is true."""
    return _reduce_flags("any", x, dim, keepdim)


def _all(x, dim=None, keepdim=False):
    """minigan.all (named so here, where Python's all is used): whether every element (along `dim`) is true."""
    return _reduce_flags("all", x, dim, keepdim)


def count_nonzero(x, dim=None):
    """How many entries are non-zero (true), over `dim` (an int or a tuple; all axes by default), in int64, as
    torch.count_nonzero."""
    _expect_tensor(x, "count_nonzero")
    axes = _norm_axes(dim, x.shape, "count_nonzero")
    return Tensor(backend.xp_of(x.data).asarray((x.data != 0).sum(axis=axes, dtype=np.int64)))


# reductions
def nansum(x, dim=None, keepdim=False, *, dtype=None):
    """The sum with NaN counted as 0, as torch.nansum (gradient 1, 0 at the NaNs)."""
    _expect_tensor(x, "nansum")
    if x.dtype.kind == "f":
        x = where(backend.xp_of(x.data).isnan(x.data), 0.0, x)
    return sum(x, dim=dim, keepdim=keepdim, dtype=dtype)


def nanmean(x, dim=None, keepdim=False, *, dtype=None):
    """The mean of the values that are not NaN, as torch.nanmean (NaN where all are NaN; floats only)."""
    _expect_tensor(x, "nanmean")
    if dtype is not None:
        x = x.to(dtype=dtype)
    if x.dtype.kind != "f":
        raise TypeError(f"nanmean: x must be a float tensor, got {x.dtype} (torch refuses it too; integers hold no "
                        "NaN); convert first, x.float(), or use mean")
    axes = _norm_axes(dim, x.shape, "nanmean")
    counted = (x.data == x.data).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
    return nansum(x, axes, keepdim) / Tensor(counted)


MinMax = collections.namedtuple("aminmax", ["min", "max"])  # what torch.aminmax returns
ValuesIndices = collections.namedtuple("ValuesIndices", ["values", "indices"])  # cummax, median, kthvalue...


def aminmax(x, *, dim=None, keepdim=False):
    """(amin(x, dim, keepdim), amax(x, dim, keepdim)) as a named tuple (min, max), as torch.aminmax."""
    return MinMax(amin(x, dim, keepdim), amax(x, dim, keepdim))


def var_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=1):
    """(var(x, ...), mean(x, ...)) over the same axes, as torch.var_mean (var's arguments)."""
    return _stat_mean(var, x, dim, unbiased, keepdim, correction)


def std_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=1):
    """(std(x, ...), mean(x, ...)) over the same axes, as torch.std_mean (std's arguments)."""
    return _stat_mean(std, x, dim, unbiased, keepdim, correction)


def _stat_mean(stat, x, dim, unbiased, keepdim, correction):
    spread = stat(x, dim, unbiased, keepdim, correction=correction)
    if isinstance(dim, bool):  # torch's var_mean(x, False): the flag unbiased, not a dim
        dim = None
    return spread, mean(x, dim=dim, keepdim=bool(keepdim))


def _last_axis_table(op, x, dim, fill, reduce):
    """reduce(table, -1) of a lower-triangular table along `dim` (x_j for j <= i, else `fill`): a running reduction
    whose gradient comes from `reduce`'s; n^2 numbers per row of length n (cumprod's way)."""
    if x.ndim == 0:
        _scalar_dim(dim, op)
        return clone(x)
    axis = _axis(dim, x.shape, op)
    order = [i for i in range(x.ndim) if i != axis] + [axis]
    last = permute(x, *order)
    n = last.shape[-1]
    xp = backend.xp_of(x.data)
    table = where(xp.tri(n, dtype=bool), broadcast_to(unsqueeze(last, -2), last.shape + (n,)), fill)
    return permute(reduce(table, -1), *np.argsort(order).tolist())


def logcumsumexp(x, dim):
    """log(cumsum(exp(x))) along `dim` without overflow, as torch.logcumsumexp: each position is the logsumexp
    of those up to it (n^2 numbers per row of length n)."""
    _expect_tensor(x, "logcumsumexp")
    return _last_axis_table("logcumsumexp", _floating(x), dim, -math.inf, logsumexp)


def _cumulative_extreme(op, x, dim):
    """(values, indices) of the running max (or min) along `dim`, as torch.cummax: on ties the later position,
    and a NaN, once met, is kept (with its position). The values are gathered, so the gradient goes to the
    positions they came from."""
    _expect_tensor(x, op)
    if x.ndim == 0:
        _scalar_dim(dim, op)
        return ValuesIndices(clone(x), Tensor(backend.xp_of(x.data).zeros((), dtype=np.int64)))
    axis = _axis(dim, x.shape, op)
    xp = backend.xp_of(x.data)
    moved = xp.moveaxis(x.data, axis, 0)
    index = xp.zeros(moved.shape, dtype=np.int64)
    best = at = None
    for i in range(moved.shape[0]):  # one vectorised step per position along dim
        xi = moved[i]
        if i == 0:
            best, at = xi, xp.zeros(xi.shape, dtype=np.int64)
        else:
            take = (xi >= best) if op == "cummax" else (xi <= best)
            if x.dtype.kind == "f":  # a NaN is taken, then kept: nothing compares >= or <= to NaN
                take = take | (xi != xi)
            best, at = xp.where(take, xi, best), xp.where(take, i, at)
        index[i] = at
    indices = Tensor(xp.ascontiguousarray(xp.moveaxis(index, 0, axis)))
    return ValuesIndices(gather(x, axis, indices), indices)


def cummax(x, dim):
    """The running maximum along `dim` and where each came from (int64), as torch.cummax: (values, indices)."""
    return _cumulative_extreme("cummax", x, dim)


def cummin(x, dim):
    """The running minimum along `dim` and where each came from (int64), as torch.cummin: (values, indices)."""
    return _cumulative_extreme("cummin", x, dim)


class Picked(Function):
    """One value picked from x (a median of all of x): the gradient is shared evenly by the entries equal to it."""

    def __init__(self, value, share):
        self.value, self.share = value, share

    def forward(self, x):
        return self.value

    def backward(self, gy):
        # dy/dx_i = [x_i is the picked value] / (how many entries equal it), torch's even split between ties
        return gy * Tensor(self.share)


def _median_all(x):
    xp = backend.xp_of(x.data)
    flat = x.data.reshape(-1)
    if flat.size == 0:
        raise ValueError("median: x is empty; a median needs at least one value")
    value = xp.sort(flat)[(flat.size - 1) // 2]  # NaN sorts last: any NaN makes the median NaN, below
    if x.dtype.kind == "f":
        value = xp.where(xp.isnan(flat).any(), xp.nan, value).astype(x.dtype)
        chosen = xp.where(xp.isnan(value), xp.isnan(x.data), x.data == value)
        return Picked(value, (chosen / chosen.sum()).astype(x.dtype))(x)
    return Tensor(value.copy())


def _kth(op, x, k, dim, keepdim):
    """(values, indices) of the k-th smallest (1-based) along `dim`; k=None: the lower median (NaN where a NaN is)."""
    _check_flag(keepdim, "keepdim", op)
    x1, axis = _sort_operands(op, x, dim)
    n = x1.shape[axis]
    if k is None and n == 0:
        raise ValueError(f"median: dim {dim} of x (shape {tuple(x.shape)}) is empty; a median needs a value")
    if k is not None and (not isinstance(k, numbers.Integral) or isinstance(k, bool) or not 1 <= k <= n):
        raise ValueError(f"kthvalue: k must be an int from 1 to {n} (the size of dim {axis}), got {k!r}")
    xp = backend.xp_of(x1.data)
    order = _sort_indices(x1, axis, descending=False)  # NaN last, in x's order
    position = xp.full(_keepdims_shape(x1.shape, (axis,)), (n - 1) // 2 if k is None else int(k) - 1, dtype=np.int64)
    if k is None and x1.dtype.kind == "f":  # a row with a NaN: the first NaN, as torch's
        nans = xp.isnan(x1.data).sum(axis=axis, keepdims=True)
        position = xp.where(nans > 0, n - nans, position)
    indices = Tensor(xp.take_along_axis(order, position, axis))
    values = gather(x1, axis, indices)
    if x.ndim == 0 or not keepdim:
        values, indices = squeeze(values, axis), squeeze(indices, axis)
    return ValuesIndices(values, indices)


def median(x, dim=None, keepdim=False):
    """The median, the lower of the two middle values for an even count, as torch.median: NaN if any value is.

    Without `dim`: of all of x, one value; tied entries share its gradient evenly (as torch's). With `dim`:
    (values, indices) along it, the gradient to the position picked (among ties, not always torch's).
    """
    _expect_tensor(x, "median")
    if dim is None:
        _check_flag(keepdim, "keepdim", "median")
        return _median_all(x)
    return _kth("median", x, None, dim, keepdim)


def kthvalue(x, k, dim=None, keepdim=False):
    """The k-th smallest value (k from 1) along `dim` (the last by default) and its position, as torch.kthvalue:
    (values, indices)."""
    _expect_tensor(x, "kthvalue")
    return _kth("kthvalue", x, k, -1 if dim is None else dim, keepdim)


_QUANTILE_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(x, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles (q in [0, 1], a number or a 1-D tensor of them) of x along `dim` (of all of x by default),
    as torch.quantile: between the sorted values at q (n - 1), by `interpolation` ('linear', 'lower', 'higher',
    'midpoint', 'nearest'); NaN where a NaN is. A tensor q adds a first axis, one entry per q."""
    _expect_tensor(x, "quantile")
    if x.dtype.kind != "f":
        raise TypeError(f"quantile: x must be a float tensor, got {x.dtype} (torch refuses it too); "
                        "convert first, x.float()")
    if interpolation not in _QUANTILE_MODES:
        raise ValueError(f"quantile: interpolation must be one of {', '.join(_QUANTILE_MODES)}; got {interpolation!r}")
    _check_flag(keepdim, "keepdim", "quantile")
    if isinstance(q, Tensor):
        if q.dtype != x.dtype or q.ndim > 1:
            raise TypeError(f"quantile: q must be a number or a 0-d or 1-D tensor of x's dtype ({x.dtype}), got a "
                            f"{q.dtype} tensor of shape {tuple(q.shape)}")
        qs = backend.to_numpy(q.data).astype(np.float64).reshape(-1)
    elif isinstance(q, numbers.Real) and not isinstance(q, bool):
        qs = np.array([float(q)])
    else:
        raise TypeError(f"quantile: q must be a number or a tensor, got {type(q).__name__} {q!r}")
    if not ((qs >= 0) & (qs <= 1)).all():
        raise ValueError(f"quantile: every q must be in [0, 1], got {qs.tolist()}")
    x1, axis = (reshape(x, -1), 0) if dim is None else _sort_operands("quantile", x, dim)
    n = x1.shape[axis]
    if n == 0:
        raise ValueError(f"quantile: x (shape {tuple(x.shape)}) has no values along the reduced axis")
    order = [i for i in range(x1.ndim) if i != axis] + [axis]
    values = sort(permute(x1, *order), -1).values  # NaN last
    xp = backend.xp_of(x.data)
    ranks = qs.astype(x.dtype) * (n - 1)  # in x's dtype, as torch's (float32's 0.2 * 5 rounds onto rank 1)
    low, high = np.floor(ranks), np.ceil(ranks)
    weight = ranks - low
    if interpolation == "lower":
        high = low
    elif interpolation == "higher":
        low = high
    elif interpolation == "nearest":
        low = high = np.round(ranks)  # halves to even, as torch's
    elif interpolation == "midpoint":
        weight = np.full_like(ranks, 0.5)
    has_nan = xp.isnan(values.data[..., -1:])  # (..., 1): the rank of a row with a NaN is its last, the NaN

    def at(rank):
        return gather(values, -1, Tensor(xp.where(has_nan, n - 1, backend.asarray(rank.astype(np.int64), device=x.device))))

    below, above = at(low), at(high)
    w = Tensor(backend.asarray(weight, dtype=x.dtype, device=x.device))
    gap = above - below
    out = where(backend.asarray(weight < 0.5, device=x.device), below + w * gap, above - gap * (1.0 - w))  # torch's lerp
    out = permute(out, out.ndim - 1, *range(out.ndim - 1))  # one q per entry of a first axis
    if keepdim and x.ndim > 0:  # (a 0-d x has no axis to keep)
        out = reshape(out, len(qs), *[1] * x.ndim) if dim is None else unsqueeze(out, axis + 1)
    return out if isinstance(q, Tensor) and q.ndim == 1 else reshape(out, *out.shape[1:])


# ------------------------------------------------------------------ einsum
_SUBSCRIPTS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # torch's (a sublist's ints 0..51 in this order)


class Einsum(Function):
    """einsum of a normalised equation: one subscript string per operand, an explicit output, no '...',
    and one size per letter (``_einsum_subscripts`` makes it so)."""

    def __init__(self, subscripts, out):
        self.subscripts, self.out = subscripts, out

    def forward(self, *xs):
        # optimize: pairwise products through BLAS (tensordot) rather than one loop over every letter
        return backend.xp_of(xs[0]).einsum(",".join(self.subscripts) + "->" + self.out, *xs, optimize=True)

    def backward(self, gy):
        # y = sum over the letters not in out of prod_k x_k:  dL/dx_k = einsum of gy and the other x's, into x_k's
        return tuple(self._grad(gy, k) if need else None for k, need in enumerate(self.needs_input_grad))

    def _grad(self, gy, k):
        xs, subs = self.inputs, self.subscripts
        like = dict(dtype=gy.dtype, device=gy.device)
        size = {letter: n for s, x in zip(subs, xs) for letter, n in zip(s, x.shape)}
        fresh = (letter for letter in _SUBSCRIPTS if letter not in "".join(subs))
        terms = [(s, x) for i, (s, x) in enumerate(zip(subs, xs)) if i != k] + [(self.out, gy)]
        target = ""
        for letter in subs[k]:
            if letter in target:  # repeated in x_k ("ii"): the gradient lands on the diagonal only, through eye
                target += next(fresh)
                terms.append((letter + target[-1], eye(size[letter], **like)))
            else:
                target += letter
        seen = "".join(s for s, _ in terms)
        only_here = "".join(letter for letter in target if letter not in seen)
        if only_here:  # summed away in x_k alone: gy is the same all along those axes
            terms.append((only_here, ones(*[size[letter] for letter in only_here], **like)))
        return Einsum([s for s, _ in terms], target)(*[t for _, t in terms])


def _einsum_term(term, where):
    """One side's subscripts: (its letters, whether it has '...'), or torch's error for anything else."""
    letters = term.replace("...", "", 1)
    if "..." in letters:
        raise ValueError(f"einsum: {where} has two ellipses ('...'); expected one at most, got {term!r}")
    if "." in letters:
        raise ValueError(f"einsum: {where} has a '.' that is not part of an ellipsis ('...'), in {term!r}")
    for ch in letters:
        if ch not in _SUBSCRIPTS:
            raise ValueError(f"einsum: subscripts are letters a-z and A-Z, got {ch!r} in {term!r} ({where})")
    return letters, "..." in term


def _einsum_subscripts(equation, shapes):
    """The equation normalised for ``Einsum``: (one subscript string per operand, the output's), with '...'
    written out in letters of its own, the implicit output made explicit (torch's: '...' first, then the
    letters that appear once, in alphabetical order), and a size-1 axis that broadcasts against a larger
    one renamed to a letter of that operand alone (constant along the other's letter: torch's broadcasting)."""
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    terms = [_einsum_term(term, f"operand {i}") for i, term in enumerate(lhs.split(","))]
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} has subscripts for {len(terms)} operand(s), "
                         f"got {len(shapes)} operand(s); give one comma-separated term per operand")
    dots = []  # how many axes each operand's '...' covers
    for i, ((letters, has_dots), shape) in enumerate(zip(terms, shapes)):
        if len(letters) > len(shape) or (len(letters) < len(shape) and not has_dots):
            raise ValueError(f"einsum: operand {i} has {len(shape)} dimension(s) (shape {tuple(shape)}) but "
                             f"{len(letters)} subscript(s) in {equation!r}; give one letter per dimension, or "
                             "'...' for the leading ones")
        dots.append(len(shape) - len(letters))
    spare = [letter for letter in _SUBSCRIPTS if letter not in lhs + rhs]
    if len(spare) < sorted(dots)[-1]:
        raise _too_many_subscripts(equation)
    ellipsis = "".join(spare[:sorted(dots)[-1]])  # the longest '...'; a shorter one takes its last letters
    spare = spare[len(ellipsis):]
    subs = [term.replace("...", ellipsis[len(ellipsis) - n:]) for term, n in zip(lhs.split(","), dots)]
    if arrow:
        out, has_dots = _einsum_term(rhs, "the output")
        out = rhs.replace("...", ellipsis) if has_dots else out
        for letter in out:
            if out.count(letter) > 1:
                raise ValueError(f"einsum: output subscript {letter!r} appears more than once in {rhs!r}")
            if letter not in lhs and letter not in ellipsis:
                raise ValueError(f"einsum: output subscript {letter!r} appears in no operand's subscripts "
                                 f"in {equation!r}")
    else:
        once = [letter for letter in set("".join(subs)) if "".join(subs).count(letter) == 1]
        out = ellipsis + "".join(sorted(letter for letter in once if letter not in ellipsis))
    size = {}  # each letter's size: the largest, where others are 1
    for i, (s, shape) in enumerate(zip(subs, shapes)):
        mine = {}
        for letter, n in zip(s, shape):
            if mine.setdefault(letter, n) != n:
                raise ValueError(f"einsum: subscript {letter!r} is repeated in operand {i} with sizes {mine[letter]} "
                                 f"and {n}; a repeated subscript (a diagonal) needs equal sizes")
        for letter, n in mine.items():
            before = size.setdefault(letter, n)
            if n != before and 1 not in (n, before):
                what = "a dimension covered by '...'" if letter in ellipsis else f"subscript {letter!r}"
                raise ValueError(f"einsum: {what} has size {n} in operand {i} but {before} in an operand "
                                 "before it; sizes of one subscript must be equal, or 1 (broadcast)")
            if before == 1:
                size[letter] = n
    for i, (s, shape) in enumerate(zip(subs, shapes)):  # a size-1 axis broadcast against a larger: a letter of its own
        for letter in sorted(set(s)):
            if size[letter] != 1 and shape[s.index(letter)] == 1:
                s = s.replace(letter, spare.pop(0) if spare else "?")
        subs[i] = s
    # the gradient of an operand with a repeated letter needs one more letter per repeat (see Einsum._grad)
    repeats = sorted(len(s) - len(set(s)) for s in subs)[-1]
    if "?" in "".join(subs) or len(set("".join(subs))) + repeats > len(_SUBSCRIPTS):
        raise _too_many_subscripts(equation)
    return subs, out


def _too_many_subscripts(equation):
    return ValueError(f"einsum: {equation!r} needs more than {len(_SUBSCRIPTS)} letters once '...' and broadcast "
                      "axes are written out (NumPy's and CuPy's einsum have no more); use fewer dimensions")


def _sublist_equation(args):
    """torch's other form, einsum(a, [0, 1], b, [1, 2], [0, 2]), as an equation and its operands."""
    def term(sublist):
        if not isinstance(sublist, (list, tuple)):
            raise TypeError(f"einsum: expected a list of subscripts after each operand, got {_what(sublist)}")
        for n in sublist:
            if n is not Ellipsis and (not isinstance(n, numbers.Integral) or not 0 <= n < len(_SUBSCRIPTS)):
                raise ValueError(f"einsum: a sublist holds ints in [0, {len(_SUBSCRIPTS)}) or Ellipsis, got {n!r}")
        return "".join("..." if n is Ellipsis else _SUBSCRIPTS[n] for n in sublist)

    operands, sublists = args[0:len(args) - len(args) % 2:2], args[1::2]
    equation = ",".join(term(s) for s in sublists[:len(operands)])
    return equation + ("->" + term(args[-1]) if len(args) % 2 else ""), operands


def einsum(*args):
    """Einstein summation, as torch.einsum(equation, *operands): each operand's axes get letters, the letters
    left out of the output are summed over, e.g. einsum("bhqd,bhkd->bhqk", q, k) for attention scores.

    Without '->' the output is the letters that appear once, alphabetically; '...' stands for the axes
    no letter names, wherever it stands (broadcast as in matmul); a letter repeated in one operand takes its
    diagonal ("ii->i", trace "ii").
    The operands may also come as one list, einsum("ij,jk", [a, b]), or in torch's sublist form,
    einsum(a, [0, 1], b, [1, 2], [0, 2]).
    """
    if args and isinstance(args[0], Tensor):
        equation, operands = _sublist_equation(args)
    else:
        equation, operands = (args[0], args[1:]) if args else (None, ())
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
    if not isinstance(equation, str) or not operands:
        raise TypeError("einsum: expected an equation string and at least one tensor, e.g. "
                        f"einsum('ij,jk->ik', a, b), got {_what(equation) if operands else 'no operands'}")
    for i, x in enumerate(operands):
        _expect_tensor(x, f"einsum (operand {i})")
        if x.dtype != operands[0].dtype:
            raise TypeError(f"einsum: operand 0 is {operands[0].dtype} but operand {i} is {x.dtype}; convert one "
                            "with .to(dtype=...) (minigan does not mix dtypes in einsum)")
    if operands[0].dtype == np.bool_:
        raise TypeError("einsum: boolean operands are not supported; convert first, x.int()")
    subs, out = _einsum_subscripts(equation, [x.shape for x in operands])
    if len(operands) == 1 and operands[0].dtype.kind in "iu" and set(subs[0]) - set(out):
        operands = (Tensor(operands[0].data.astype(np.int64)),)  # a sum of integers is int64, as torch's sum
    return Einsum(subs, out)(*operands)
