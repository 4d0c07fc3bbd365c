"""Dense layers, activations and containers (PyTorch's names and layouts)."""

import math
import numbers
from collections import OrderedDict
from collections.abc import Iterable

from .. import autograd as ag
from .. import backend
from ..conv import _is_int
from .module import Module, Parameter


def _init_uniform(shape, bound):
    """U(-bound, bound) from the global seeded generator (PyTorch's default init)."""
    return Parameter(ag.uniform(shape, -bound, bound))


def _redraw(module, bound):
    """``reset_parameters`` of a layer initialised U(-bound, bound): new draws from the seeded generator, written
    into the same Parameters in place (an optimizer that holds them sees the new values), as torch's."""
    with ag.no_grad():
        for p in (module.weight, module.bias):
            if p is not None:
                p.uniform_(-bound, bound)


def _place(module, device, dtype):
    """PyTorch's factory arguments of a layer: move or cast its freshly initialised weights (and buffers)."""
    if dtype is not None and ag._resolve_dtype(dtype).name not in ag._FLOAT_DTYPES:
        raise TypeError(f"{type(module).__name__}: dtype must be a floating type (minigan.float32, float64 or "
                        f"float16), got {dtype}; weights are learned from gradients, and an integer or bool weight "
                        "has none (its values would be truncated)")
    if device is not None or dtype is not None:
        module.to(device=device, dtype=dtype)


def _check_numbers(layer, **values):
    """Raise a clear error at construction unless every given setting (a slope, a scale, ...) is a number."""
    for what, value in values.items():
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            hint = "; for the inplace flag write inplace=True" if isinstance(value, bool) else ""
            raise TypeError(f"{layer}: {what} must be a number, got {type(value).__name__} {value!r}{hint}")


def _check_sizes(layer, **sizes):
    """Raise a clear error unless every given size (features, channels, ...) is a positive int."""
    for what, value in sizes.items():
        if not _is_int(value) or value < 1:
            raise ValueError(f"{layer}: {what} must be a positive int, got {value!r}")


class Linear(Module):
    """y = x W^T + b with W of shape (out_features, in_features), as in PyTorch.

    Initialised like PyTorch: W and b ~ U(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        _check_sizes("Linear", in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features)
        self.weight = _init_uniform((out_features, in_features), bound)
        self.register_parameter("bias", _init_uniform((out_features,), bound) if bias else None)
        _place(self, device, dtype)

    def reset_parameters(self):
        """Draw the weights again, as at construction: W and b ~ U(-1/sqrt(in), 1/sqrt(in))."""
        _redraw(self, 1.0 / math.sqrt(self.in_features))

    def forward(self, x):
        ag._expect_tensor(x, "Linear")
        if x.ndim > 2 and x.shape[-1] != self.in_features:  # checked here: F.linear would report the flattened shape
            raise ValueError(
                f"Linear({self.extra_repr()}): expected input with {self.in_features} features in its last axis "
                f"(shape (..., {self.in_features})), got shape {tuple(x.shape)}; check in_features or the previous "
                "layer's output size"
            )
        return ag.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    """max(x, 0). ``inplace`` is accepted so that PyTorch code (``nn.ReLU(True)``) runs; minigan
    always computes out of place, which gives the same values."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, x):
        return ag.relu(x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise (``inplace`` as in ``ReLU``: accepted, out of place)."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        _check_numbers("LeakyReLU", negative_slope=negative_slope)
        self.negative_slope, self.inplace = negative_slope, bool(inplace)

    def forward(self, x):
        return ag.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    def forward(self, x):
        return ag.sigmoid(x)


class ELU(Module):
    """x for x > 0, alpha (e^x - 1) otherwise (``inplace`` as in ``ReLU``: accepted, out of place)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        _check_numbers("ELU", alpha=alpha)
        self.alpha, self.inplace = alpha, bool(inplace)

    def forward(self, x):
        return ag.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SiLU(Module):
    """x sigmoid(x) (swish); ``inplace`` accepted, out of place."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, x):
        ag._expect_tensor(x, "SiLU")  # (else the error would name the sigmoid inside)
        return ag.silu(x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    def forward(self, x):
        return ag.tanh(x)


class Softplus(Module):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (torch's nn.Softplus)."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        _check_numbers("Softplus", beta=beta, threshold=threshold)
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return ag.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Identity(Module):
    def forward(self, x):
        return x


class Flatten(Module):
    """Flatten axes `start_dim` to `end_dim` into one (default: all but the batch axis), as in PyTorch."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return ag.flatten(x, self.start_dim, self.end_dim, name=f"Flatten({self.extra_repr()})")

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


def _nth(container, i):
    """Module number `i` of a Sequential or ModuleList (negative counts from the end), with a clear error."""
    return container._modules[_nth_name(container, i)]


def _nth_name(container, i):
    """The name of module number `i` (negative counts from the end), with a clear error."""
    names = list(container._modules)
    if not _is_int(i):
        raise TypeError(f"{type(container).__name__}: an index must be an int here, got {type(i).__name__} {i!r}")
    if not -len(names) <= i < len(names):
        raise IndexError(f"{type(container).__name__}: index {i} is out of range for its {len(names)} modules")
    return names[i]


def _renumber(container, modules):
    """Make `modules` the container's children, named "0", "1", ... in order (as torch renumbers them
    after a deletion or an insertion)."""
    modules = list(modules)
    for name in list(container._modules):
        delattr(container, name)
    for i, m in enumerate(modules):
        container.add_module(str(i), m)


def _delete(container, index):
    """``del container[index]`` (an int or a slice) of a Sequential or ModuleList: the rest renumbered, as in torch."""
    names = list(container._modules)
    gone = set(names[index]) if isinstance(index, slice) else {_nth_name(container, index)}
    _renumber(container, [m for name, m in container._modules.items() if name not in gone])


def _insert(container, index, module):
    """``container.insert(index, module)``: `module` placed before number `index`, as ``list.insert``; renumbered."""
    if not isinstance(module, Module):  # checked first: a failed insert leaves the container as it was
        raise TypeError(f"{type(container).__name__}.insert: expected a Module, got {type(module).__name__} "
                        f"{module!r}; pass a layer object such as nn.ReLU()")
    modules = list(container._modules.values())
    modules.insert(index, module)
    _renumber(container, modules)


class Sequential(Module):
    """Run modules in order; children are named "0", "1", ... (or by an OrderedDict)."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        for name, m in self._modules.items():
            if m is None:  # an empty slot (torch fails with 'NoneType' object is not callable)
                raise TypeError(f"Sequential: layer {name} is None (an empty slot); put a layer there, "
                                f"seq[{name}] = nn.ReLU(), or remove it, del seq[{name}]")
            x = m(x)
        return x

    def __getitem__(self, i):
        if isinstance(i, slice):  # a Sequential of those layers (the same modules, not copies), as in PyTorch
            return Sequential(OrderedDict(list(self._modules.items())[i]))
        return _nth(self, i)

    def __setitem__(self, i, module):
        """Replace layer number `i`; it keeps its name (and place in state_dict), as in torch."""
        self.add_module(_nth_name(self, i), module)

    def __delitem__(self, i):
        """Remove layer `i` (an int or a slice); the rest are renumbered "0", "1", ..., as in torch."""
        _delete(self, i)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add `module` at the end, named by its position (``str(len(self))``), as torch does; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index, module):
        """Put `module` before layer `index` (-len <= index <= len, as in torch); the layers are renumbered."""
        if not -len(self) <= index <= len(self):
            raise IndexError(f"Sequential.insert: index {index} is out of range for its {len(self)} modules")
        _insert(self, index, module)
        return self

    def extend(self, sequential):
        """Append each module of an iterable (a Sequential, a list, ...), in order; returns self."""
        for m in sequential:
            self.append(m)
        return self

    def pop(self, key):
        """Remove layer `key` (an int or a slice) and return it; the rest are renumbered, as in torch."""
        module = self[key]
        del self[key]
        return module

    def __add__(self, other):
        """A new Sequential of this one's layers then `other`'s (the same modules, renumbered), as torch's ``+``."""
        if not isinstance(other, Sequential):
            raise ValueError(f"Sequential + {type(other).__name__}: only a Sequential can be added to a Sequential")
        return Sequential().extend(self).extend(other)

    def __iadd__(self, other):
        """``seq += other``: `other`'s layers appended to this same Sequential (not a new one), as in torch."""
        if not isinstance(other, Sequential):
            raise ValueError(f"Sequential += {type(other).__name__}: only a Sequential can be added to a Sequential")
        return self.extend(other)


class ModuleList(Module):
    """A list of modules, registered as children "0", "1", ..."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        """Append each module of an iterable, in order (as ``list.extend``); returns self."""
        if not isinstance(modules, Iterable):  # ModuleList(layer) for ModuleList([layer])
            raise TypeError(f"ModuleList.extend should be called with an iterable, but got {type(modules).__name__}; "
                            "put the modules in a list: nn.ModuleList([layer])")
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        """Put `module` before module `index`, as ``list.insert``; the modules are renumbered."""
        _insert(self, index, module)

    def pop(self, key):
        """Remove module `key` (an int or a slice) and return it; the rest are renumbered, as in torch."""
        module = self[key]
        del self[key]
        return module

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        """A new ModuleList of this one's modules then those of `other` (any iterable of modules)."""
        return ModuleList(list(self) + list(other))

    def __getitem__(self, i):
        if isinstance(i, slice):  # a ModuleList of those modules (the same ones, not copies), as in PyTorch
            return ModuleList(list(self._modules.values())[i])
        return _nth(self, i)

    def __setitem__(self, i, module):
        """Replace module number `i`; it keeps its name."""
        self.add_module(_nth_name(self, i), module)

    def __delitem__(self, i):
        """Remove module `i` (an int or a slice); the rest are renumbered "0", "1", ..., as in torch."""
        _delete(self, i)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict of modules, registered as children under their keys (in insertion order)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def update(self, modules):
        """Add (or replace) the modules of a dict or of (key, module) pairs."""
        if not isinstance(modules, Iterable):  # d.update(layer)
            raise TypeError(f"ModuleDict.update expects a dict of key -> module or (key, module) pairs, got "
                            f"{type(modules).__name__}; write d.update({{'name': layer}})")
        items = modules.items() if hasattr(modules, "items") else modules
        for i, pair in enumerate(items):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:  # d.update([layer])
                raise TypeError(f"ModuleDict.update: element {i} should be a (key, module) pair, got "
                                f"{type(pair).__name__} {pair!r}")
            self[pair[0]] = pair[1]

    def __setitem__(self, key, m):
        if not isinstance(key, str) or not key or "." in key:
            raise TypeError(f"ModuleDict: keys must be non-empty strings without dots (they name the parameters), got {key!r}")
        if not isinstance(m, Module):
            raise TypeError(f"ModuleDict: {key!r} must be a Module, got {type(m).__name__}; pass a layer object such as nn.ReLU()")
        if key not in self._modules and (hasattr(type(self), key) or key in self.__dict__):
            raise KeyError(f"ModuleDict: the key {key!r} is the name of an attribute or method; choose another")
        setattr(self, key, m)  # as d.key = m: the key is an attribute too

    def __getattr__(self, name):  # d.key as well as d["key"]; only reached when no attribute has the name
        modules = self.__dict__.get("_modules", {})
        if name in modules:
            return modules[name]
        raise AttributeError(f"ModuleDict has no attribute or key {name!r}")

    def __getitem__(self, key):
        return self._modules[key]

    def __delitem__(self, key):
        if key not in self._modules:
            raise KeyError(key)
        delattr(self, key)

    def pop(self, key):
        """Remove the module under `key` and return it (a KeyError if there is none), as ``dict.pop``."""
        module = self._modules[key]
        del self[key]
        return module

    def clear(self):
        """Remove every module."""
        for key in list(self._modules):
            del self[key]

    def __contains__(self, key):
        return key in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        """The keys, in insertion order."""
        return self._modules.keys()

    def values(self):
        """The modules, in insertion order."""
        return self._modules.values()

    def items(self):
        """(key, module) pairs, in insertion order."""
        return self._modules.items()


class Embedding(Module):
    """A lookup table: integer ids (any shape) -> rows of a (num, dim) weight ~ N(0, 1).

    ``padding_idx``: that row starts at zero and gets no gradient, as in torch. torch's
    ``max_norm``, ``scale_grad_by_freq`` and ``sparse`` are accepted at their defaults only.
    An id out of range is an error on the CPU; on a GPU checking it would copy the ids to the
    host at every call, and CuPy would silently wrap it around to another row, so its row
    comes out NaN instead (a NaN loss, which stops GANTrainer at that step).
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        _check_sizes("Embedding", num_embeddings=num_embeddings, embedding_dim=embedding_dim)
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: max_norm, scale_grad_by_freq and sparse are not supported "
                                      "(only their defaults None, False, False)")
        if padding_idx is not None:
            if not _is_int(padding_idx):
                raise TypeError(f"Embedding: padding_idx must be an int (or None), got {type(padding_idx).__name__} "
                                f"{padding_idx!r}")
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must lie in [-{num_embeddings}, {num_embeddings}), "
                                 f"got {padding_idx}")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.weight = Parameter(ag.randn(num_embeddings, embedding_dim) if _weight is None else ag.tensor(_weight),
                                requires_grad=not _freeze)
        if padding_idx is not None and _weight is None:
            self.weight.data[padding_idx] = 0
        _place(self, device, dtype)

    def reset_parameters(self):
        """Draw the weight again ~ N(0, 1), the padding row zero, as at construction."""
        with ag.no_grad():
            self.weight.normal_()
            if self.padding_idx is not None:
                self.weight[self.padding_idx] = 0

    def forward(self, ids):
        raw = ids.data if isinstance(ids, ag.Tensor) else ids
        name = f"Embedding({self.num_embeddings}, {self.embedding_dim})"
        if getattr(raw, "dtype", None) is None or raw.dtype.kind not in "iu":
            got = getattr(raw, "dtype", type(raw).__name__)
            raise TypeError(f"{name}: ids must be an integer array or Tensor, got {got}")
        if isinstance(ids, ag.Tensor) and ids.device != self.weight.device:  # (CuPy would copy them, NumPy fail)
            raise RuntimeError(f"{name}: the ids are on '{ids.device}' and the weight on '{self.weight.device}'; move "
                               f"the ids with ids.to('{self.weight.device}') (or the layer with .to('{ids.device}'))")
        bad = None
        if backend.device_of(raw) == "cpu":
            if raw.size and not 0 <= raw.min() <= raw.max() < self.num_embeddings:
                raise IndexError(
                    f"{name}: ids must lie in [0, {self.num_embeddings}), got ids from {raw.min()} to {raw.max()}; "
                    "are the labels numbered from 1, or is num_embeddings too small?"
                )
        else:  # on a GPU the check would copy the ids to the host: bad ids are clipped, and their rows made NaN
            bad = (raw < 0) | (raw >= self.num_embeddings)
            ids = backend.xp_of(raw).clip(raw, 0, self.num_embeddings - 1)
        rows = ag.getitem(self.weight, ids)
        if bad is not None:
            rows = ag.where(bad[..., None], float("nan"), rows)
        if self.padding_idx is None:
            return rows
        # the same values, but the padding rows come from a detached copy: their gradient stops here
        is_padding = (raw == self.padding_idx)[..., None]
        return ag.where(is_padding, rows.detach(), rows)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}" + (
            f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
