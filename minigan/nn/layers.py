"""Dense layers, activations and containers (PyTorch's names and layouts)."""

import math
import numbers
import warnings
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
            # (a bool where an activation's number goes is torch's nn.ReLU(True) idiom: the inplace flag)
            hint = ("; for the inplace flag write inplace=True" if isinstance(value, bool)
                    and what not in ("eps", "momentum") else "")
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


class Bilinear(Module):
    """y = x1^T A_o x2 + b_o for each output feature o, with A of shape (out_features, in1_features, in2_features),
    as in PyTorch; x1 and x2 have the same leading (batch) dims.

    Initialised like PyTorch: A and b ~ U(-1/sqrt(in1), 1/sqrt(in1)).
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        _check_sizes("Bilinear", in1_features=in1_features, in2_features=in2_features, out_features=out_features)
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        bound = 1.0 / math.sqrt(in1_features)
        self.weight = _init_uniform((out_features, in1_features, in2_features), bound)
        self.register_parameter("bias", _init_uniform((out_features,), bound) if bias else None)
        _place(self, device, dtype)

    def reset_parameters(self):
        """Draw the weights again, as at construction: A and b ~ U(-1/sqrt(in1), 1/sqrt(in1))."""
        _redraw(self, 1.0 / math.sqrt(self.in1_features))

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


def bilinear(input1, input2, weight, bias=None):
    """torch's ``F.bilinear``: y[..., o] = sum over i, j of input1[..., i] weight[o, i, j] input2[..., j], plus bias[o];
    the two inputs have the same leading (batch) dims, weight the shape (out_features, in1_features, in2_features).
    Composed of matrix products and reshapes: its gradients (and theirs) come with them."""
    tensors = {"input1": input1, "input2": input2, "weight": weight}
    if bias is not None:
        tensors["bias"] = bias
    for what, t in tensors.items():
        ag._expect_tensor(t, f"bilinear: {what}")
    if weight.ndim != 3:
        raise ValueError(f"bilinear: weight must be 3-D (out_features, in1_features, in2_features), got shape "
                         f"{tuple(weight.shape)}")
    if input1.ndim == 0 or input2.ndim == 0 or input1.shape[:-1] != input2.shape[:-1]:
        raise ValueError(f"bilinear: input1 and input2 must have the same leading (batch) dims and features in their "
                         f"last dim, got shapes {tuple(input1.shape)} and {tuple(input2.shape)}")
    out, n1, n2 = weight.shape
    if input1.shape[-1] != n1 or input2.shape[-1] != n2:
        raise ValueError(f"bilinear: a weight of shape {tuple(weight.shape)} expects input1 of shape (..., {n1}) and "
                         f"input2 of shape (..., {n2}), got {tuple(input1.shape)} and {tuple(input2.shape)}")
    if bias is not None and bias.shape != (out,):
        raise ValueError(f"bilinear: bias must have shape ({out},), one value per output feature, got shape "
                         f"{tuple(bias.shape)}")
    if len({t.dtype for t in tensors.values()}) > 1 or len({t.device for t in tensors.values()}) > 1:
        got = ", ".join(f"{what} {t.dtype} on {t.device}" for what, t in tensors.items())
        raise TypeError(f"bilinear: expected every tensor of one dtype on one device, got {got}; convert or move them "
                        "with .to(...)")
    batch, n = input1.shape[:-1], math.prod(input1.shape[:-1])
    # x1^T A_o x2 for every o in two matrix products (BLAS; one einsum of the three would loop over all four
    # letters, 50x slower): x1 (n, in1) times A as (in1, out * in2), then each (out, in2) block times its x2
    rows = ag.matmul(input1.reshape(n, n1), weight.permute(1, 0, 2).reshape(n1, out * n2))
    y = ag.matmul(rows.reshape(n, out, n2), input2.reshape(n, n2, 1)).reshape(*batch, out)
    return y if bias is None else y + bias


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
    """1 / (1 + e^-x) elementwise (``minigan.sigmoid``)."""

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
    """tanh(x) elementwise (``minigan.tanh``)."""

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


# ------------------------------------------------------ more activations (torch's nn.PReLU ... nn.GELU)
class PReLU(Module):
    """x for x > 0, weight * x otherwise, the slope learned: one for all channels (num_parameters=1) or one per
    channel (num_parameters = the input's channels, dim 1), each starting at `init` (torch's nn.PReLU)."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        _check_sizes("PReLU", num_parameters=num_parameters)
        _check_numbers("PReLU", init=init)
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(ag.full((num_parameters,), float(init)))
        _place(self, device, dtype)

    def reset_parameters(self):
        """Set every slope back to `init`, in place (an optimizer that holds the weight sees it)."""
        with ag.no_grad():
            self.weight.fill_(float(self.init))

    def forward(self, x):
        ag._expect_tensor(x, "PReLU")
        channels = x.shape[1] if x.ndim >= 2 else 1
        if self.num_parameters not in (1, channels):
            raise ValueError(f"PReLU({self.extra_repr()}): expected an input with {self.num_parameters} channels in "
                             f"dim 1, got shape {tuple(x.shape)}; make num_parameters the number of channels, or 1")
        return ag.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Hardtanh(Module):
    """x clipped to [min_val, max_val], gradient 0 at both edges (``inplace``: accepted, out of place). torch's old
    names min_value and max_value still work, with torch's FutureWarning."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        for value, old, new in ((min_value, "min_value", "min_val"), (max_value, "max_value", "max_val")):
            if value is not None:
                warnings.warn(f"keyword argument `{old}` is deprecated and renamed to `{new}`", FutureWarning,
                              stacklevel=2)
        min_val = min_val if min_value is None else min_value
        max_val = max_val if max_value is None else max_value
        _check_numbers(type(self).__name__, min_val=min_val, max_val=max_val)
        if not max_val > min_val:  # (NaN too)
            raise ValueError(f"{type(self).__name__}: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, bool(inplace)

    def forward(self, x):
        return ag.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """min(max(x, 0), 6): Hardtanh(0, 6), as torch's (gradient 0 at 0 and at 6)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class SELU(Module):
    """scale * ELU(alpha) with the self-normalising constants (scale 1.0507..., alpha 1.6732...)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, x):
        return ag.selu(x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class CELU(Module):
    """x for x > 0, alpha (e^(x/alpha) - 1) otherwise (``inplace``: accepted, out of place)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        _check_numbers("CELU", alpha=alpha)
        self.alpha, self.inplace = alpha, bool(inplace)

    def forward(self, x):
        return ag.celu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softsign(Module):
    """x / (1 + |x|) (``F.softsign``)."""

    def forward(self, x):
        return ag.softsign(x)


class LogSigmoid(Module):
    """log(sigmoid(x)), computed stably (``F.logsigmoid``)."""

    def forward(self, x):
        return ag.logsigmoid(x)


class Softmin(Module):
    """softmax(-x) along `dim`: the smallest values get the largest probabilities."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        ag._expect_tensor(x, "Softmin")
        # without a dim, torch's implicit one, as nn.Softmax's (nn/misc.py's implicit_softmax_dim, which imports
        # this module: 0 for 0-, 1- and 3-d inputs, else 1)
        dim = self.dim if self.dim is not None else 0 if x.ndim in (0, 1, 3) else 1
        return ag.softmin(x, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Threshold(Module):
    """x where x > threshold, else `value` (``inplace``: accepted, out of place)."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        _check_numbers("Threshold", threshold=threshold, value=value)
        self.threshold, self.value, self.inplace = threshold, value, bool(inplace)

    def forward(self, x):
        return ag.threshold(x, self.threshold, self.value)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class GLU(Module):
    """a * sigmoid(b), a and b the two halves of the input along `dim` (which must have an even size)."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return ag.glu(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Mish(Module):
    """x tanh(softplus(x)) (``inplace``: accepted, out of place)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, x):
        return ag.mish(x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Hardswish(Module):
    """x relu6(x + 3) / 6 (``inplace``: accepted, out of place; torch's repr does not show it)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, x):
        return ag.hardswish(x)


class Hardsigmoid(Module):
    """relu6(x + 3) / 6 (``inplace``: accepted, out of place; torch's repr does not show it)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, x):
        return ag.hardsigmoid(x)


class GELU(Module):
    """x Phi(x), Phi the standard normal's CDF (erf); approximate='tanh' for torch's tanh formula."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return ag.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Hardshrink(Module):
    """x where |x| > lambd, else 0 (``F.hardshrink``)."""

    def __init__(self, lambd=0.5):
        super().__init__()
        _check_numbers("Hardshrink", lambd=lambd)
        self.lambd = lambd

    def forward(self, x):
        return ag.hardshrink(x, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Module):
    """x - lambd above lambd, x + lambd below -lambd, else 0 (``F.softshrink``); lambd >= 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        _check_numbers("Softshrink", lambd=lambd)
        if not 0 <= lambd < math.inf:  # (torch finds out at the first call)
            raise ValueError(f"Softshrink: lambd must be a finite number >= 0, got {lambd}; it is the half-width of "
                             "the interval around 0 that is set to 0")
        self.lambd = lambd

    def forward(self, x):
        return ag.softshrink(x, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Tanhshrink(Module):
    """x - tanh(x) (``F.tanhshrink``)."""

    def forward(self, x):
        return ag.tanhshrink(x)


class RReLU(Module):
    """Randomized leaky ReLU: x for x > 0, else slope * x, the slope drawn ~ U(lower, upper) for each element in
    training mode (minigan's seeded generator) and (lower + upper) / 2 in eval mode (``inplace``: accepted, out of
    place)."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        _check_numbers("RReLU", lower=lower, upper=upper)
        if not (math.isfinite(lower) and math.isfinite(upper) and lower <= upper):  # (torch finds out at the first call)
            raise ValueError(f"RReLU: lower and upper must be finite with lower <= upper, got lower={lower}, "
                             f"upper={upper}")
        self.lower, self.upper, self.inplace = lower, upper, bool(inplace)

    def forward(self, x):
        return ag.rrelu(x, self.lower, self.upper, self.training)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")


class Identity(Module):
    """Returns its input unchanged (a placeholder layer)."""

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

    def __repr__(self):
        """torch's: a run of equal children on one line, as "(0-2): 3 x Linear(...)"."""
        reprs = [repr(module) for module in self]
        lines, start = [], 0
        for end in range(1, len(reprs) + 1):
            if end == len(reprs) or reprs[end] != reprs[start]:  # the run reprs[start:end] ends here
                n = end - start
                lines.append(f"({start}): {reprs[start]}" if n == 1 else f"({start}-{end - 1}): {n} x {reprs[start]}")
                start = end
        body = "".join("\n  " + line.replace("\n", "\n  ") for line in lines)
        return f"{type(self).__name__}({body}\n)" if lines else f"{type(self).__name__}()"


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


def _as_parameter(container, value):
    """What a ParameterList or ParameterDict holds: a Parameter as it is, another Tensor wrapped as a Parameter
    (sharing its memory, as torch wraps it), or a clear error."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, ag.Tensor):
        return Parameter(value)
    raise TypeError(f"{type(container).__name__}: expected a Parameter or a Tensor, got {type(value).__name__} "
                    f"{value!r}; wrap values with nn.Parameter(minigan.tensor(...)) (torch also keeps other objects, "
                    "unregistered: keep those in a plain attribute)")


def _parameters_repr(container):
    """torch's repr of a ParameterList or ParameterDict: one line per parameter, its dtype, shape and device."""
    lines = []
    for key, p in container._parameters.items():
        device = "" if p.device == "cpu" else f" ({p.device})"
        size = "x".join(str(n) for n in p.shape)
        lines.append(f"  ({key}): Parameter containing: [minigan.{p.dtype} of size {size}{device}]")
    body = lines[0] if len(lines) == 1 else "".join("\n  " + line for line in lines) + "\n" if lines else ""
    return f"{type(container).__name__}({body})"  # (one parameter: on one line, as torch prints it)


class ParameterList(Module):
    """A list of parameters, registered as "0", "1", ... (their names in state_dict), as torch's.

    A Tensor that is not a Parameter is wrapped as one (sharing its memory) when it is put in.
    """

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def _name(self, idx):
        """The name of parameter number `idx` (negative counts from the end), with a clear error."""
        if not _is_int(idx):
            raise TypeError(f"ParameterList: an index must be an int (or a slice, to read), got "
                            f"{type(idx).__name__} {idx!r}")
        if not -len(self) <= idx < len(self):
            raise IndexError(f"ParameterList: index {idx} is out of range for its {len(self)} parameters")
        return str(idx % len(self))

    def __getitem__(self, idx):
        if isinstance(idx, slice):  # a ParameterList of those parameters (the same ones, not copies), as torch's
            return ParameterList(list(self)[idx])
        return self._parameters[self._name(idx)]

    def __setitem__(self, idx, param):
        """Replace parameter number `idx`; it keeps its name (and place in state_dict)."""
        self.register_parameter(self._name(idx), _as_parameter(self, param))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __iadd__(self, parameters):
        return self.extend(parameters)

    def append(self, value):
        """Add `value` at the end, named by its position (``str(len(self))``); returns self."""
        self.register_parameter(str(len(self)), _as_parameter(self, value))
        return self

    def extend(self, values):
        """Append each parameter of an iterable, in order; returns self."""
        if not isinstance(values, Iterable) or isinstance(values, ag.Tensor):  # (a Tensor: torch refuses it too)
            raise TypeError(f"ParameterList.extend should be called with an iterable, but got "
                            f"{type(values).__name__}; put the parameters in a list: [p]")
        for value in values:
            self.append(value)
        return self

    def __repr__(self):
        return _parameters_repr(self)


class ParameterDict(Module):
    """A dict of parameters, registered under their keys (their names in state_dict), as torch's.

    As in torch, a plain dict given to the constructor or to ``update`` is added in the order of its sorted
    keys (an OrderedDict, a ParameterDict or a list of pairs in their own order). A Tensor that is not a
    Parameter is wrapped as one.
    """

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def update(self, parameters):
        """Add (or replace) the parameters of a mapping or of (key, parameter) pairs."""
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            items = list(parameters.items())
        elif hasattr(parameters, "items"):
            items = sorted(parameters.items(), key=lambda pair: pair[0])
        elif isinstance(parameters, Iterable) and not isinstance(parameters, ag.Tensor):
            items = list(parameters)
        else:
            raise TypeError(f"ParameterDict.update expects a dict of key -> parameter or (key, parameter) pairs, got "
                            f"{type(parameters).__name__}; write d.update({{'name': p}})")
        for i, pair in enumerate(items):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f"ParameterDict.update: element {i} should be a (key, parameter) pair, got "
                                 f"{type(pair).__name__} {pair!r}")
            self[pair[0]] = pair[1]

    def __setitem__(self, key, value):
        self.register_parameter(key, _as_parameter(self, value))

    def __getitem__(self, key):
        return self._parameters[key]

    def __delitem__(self, key):
        if key not in self._parameters:
            raise KeyError(key)
        delattr(self, key)

    def __contains__(self, key):
        return key in self._parameters

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def get(self, key, default=None):
        """The parameter under `key`, or `default` when there is none."""
        return self._parameters.get(key, default)

    def pop(self, key):
        """Remove the parameter under `key` and return it (a KeyError if there is none), as ``dict.pop``."""
        value = self._parameters[key]
        del self[key]
        return value

    def clear(self):
        """Remove every parameter."""
        for key in list(self._parameters):
            del self[key]

    def keys(self):
        """The keys, in insertion order."""
        return self._parameters.keys()

    def values(self):
        """The parameters, in insertion order."""
        return self._parameters.values()

    def items(self):
        """(key, parameter) pairs, in insertion order."""
        return self._parameters.items()

    def __repr__(self):
        return _parameters_repr(self)


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
        return _lookup(ids, self.weight, self.padding_idx, f"Embedding({self.num_embeddings}, {self.embedding_dim})")

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}" + (
            f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")


def _lookup(ids, weight, padding_idx, name):
    """The rows of `weight` (num, dim) at integer `ids` (any shape): Embedding's forward and F.embedding.

    The padding rows (ids equal to `padding_idx`) get no gradient. An id out of range is an error on the CPU,
    and a NaN row on a GPU (see Embedding).
    """
    raw = ids.data if isinstance(ids, ag.Tensor) else ids
    n = weight.shape[0]
    if getattr(raw, "dtype", None) is None or raw.dtype.kind not in "iu":
        got = getattr(raw, "dtype", type(raw).__name__)
        raise TypeError(f"{name}: ids must be an integer array or Tensor, got {got}")
    if isinstance(ids, ag.Tensor) and ids.device != weight.device:  # (CuPy would copy them, NumPy fail)
        raise RuntimeError(f"{name}: the ids are on '{ids.device}' and the weight on '{weight.device}'; move "
                           f"the ids with ids.to('{weight.device}') (or the layer with .to('{ids.device}'))")
    bad = None
    if backend.device_of(raw) == "cpu":
        if raw.size and not 0 <= raw.min() <= raw.max() < n:
            raise IndexError(
                f"{name}: ids must lie in [0, {n}), got ids from {raw.min()} to {raw.max()}; "
                "are the labels numbered from 1, or is num_embeddings too small?"
            )
    else:  # on a GPU the check would copy the ids to the host: bad ids are clipped, and their rows made NaN
        bad = (raw < 0) | (raw >= n)
        ids = backend.xp_of(raw).clip(raw, 0, n - 1)
    rows = ag.getitem(weight, ids)
    if bad is not None:
        rows = ag.where(bad[..., None], float("nan"), rows)
    if padding_idx is None:
        return rows
    # the same values, but the padding rows come from a detached copy: their gradient stops here
    is_padding = (raw == padding_idx)[..., None]
    return ag.where(is_padding, rows.detach(), rows)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """torch's ``F.embedding``: the rows of `weight` (num_embeddings, embedding_dim) at the integer ids `input` (any
    shape), as nn.Embedding computes them. The rows picked by `padding_idx` (negative counts from the end) get no
    gradient; unlike the layer, the function does not zero that row. torch's max_norm, scale_grad_by_freq and sparse
    are accepted at their defaults only."""
    ag._expect_tensor(weight, "embedding: weight")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape "
                         f"{tuple(weight.shape)}")
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported "
                                  "(only their defaults None, False, False)")
    n = weight.shape[0]
    if padding_idx is not None:
        if not _is_int(padding_idx):
            raise TypeError(f"embedding: padding_idx must be an int (or None), got {type(padding_idx).__name__} "
                            f"{padding_idx!r}")
        if not -n <= padding_idx < n:
            raise ValueError(f"embedding: padding_idx must lie in [-{n}, {n}) for a weight of {n} rows, "
                             f"got {padding_idx}")
        padding_idx %= n
    return _lookup(input, weight, padding_idx, "embedding")
