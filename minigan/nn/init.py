"""In-place initialisers with ``torch.nn.init``'s names: ``init.normal_(layer.weight, 0.0, 0.02)``.

Each fills a tensor in place (a Tensor or Parameter, or its ``.data`` array, which is
what PyTorch code passes as ``m.weight.data``) and returns it. Random fills draw from
minigan's seeded generator for the tensor's device, so ``manual_seed`` makes them repeatable.
No graph is recorded: initialising is not part of the model's computation. A fill counts as an
in-place change of the tensor (as ``x[...] = v`` does), so a graph that used the old values refuses to
backpropagate instead of giving gradients of values that are no longer there.
"""

import math
import numbers

import numpy as np

from .. import backend
from ..autograd import Tensor


def _array(tensor):
    """The array to fill: the Tensor's data, or the array itself."""
    array = tensor.data if isinstance(tensor, Tensor) else tensor
    if backend.device_of(array) == "cpu" and not isinstance(array, np.ndarray):
        raise TypeError(f"init: expected a Tensor or an array to fill, got {type(tensor).__name__}")
    if array.dtype.kind != "f":
        raise TypeError(f"init: only float tensors can be initialised, got dtype {array.dtype}")
    return array


def _numbers(function, **values):
    """A clear error unless every value is a number (None would fill with NaN, a string fail inside NumPy)."""
    for name, value in values.items():
        if not isinstance(value, numbers.Real):
            raise TypeError(f"{function}: {name} must be a number, got {type(value).__name__} {value!r}")


def _filled(tensor):
    """Count the fill as an in-place change of a Tensor (an array has no count) and hand the tensor back."""
    if isinstance(tensor, Tensor):
        tensor._version += 1
    return tensor


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with draws from N(mean, std^2)."""
    _numbers("normal_", mean=mean, std=std)
    if std < 0:  # a negative spread would be |std| without a word (torch refuses it too)
        raise ValueError(f"normal_: std must be >= 0, got {std}; the spread of N(mean, std^2) is |std|, write it so")
    array = _array(tensor)
    draws = backend.standard_normal(backend.device_of(array), array.shape, array.dtype)
    draws *= std
    if mean:
        draws += mean
    array[...] = draws
    return _filled(tensor)


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with draws from U(a, b)."""
    _numbers("uniform_", a=a, b=b)
    if a > b:  # the draws would land in (b, a] without a word (torch refuses it too)
        raise ValueError(f"uniform_: the range [a, b) needs a <= b, got a={a}, b={b}; swap them")
    array = _array(tensor)
    draws = backend.generator(backend.device_of(array)).random(array.shape, dtype=array.dtype)
    draws *= b - a
    draws += a
    array[...] = draws
    return _filled(tensor)


def constant_(tensor, val):
    """Fill with the value `val` (a number, or a tensor of one element)."""
    if not (isinstance(val, Tensor) and val.data.size == 1):
        _numbers("constant_", val=val)
    _array(tensor)[...] = val
    return _filled(tensor)


def zeros_(tensor):
    """Fill with zeros."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fill with ones."""
    return constant_(tensor, 1.0)


def calculate_gain(nonlinearity, param=None):
    """The gain that keeps activations' scale through `nonlinearity`, as ``torch.nn.init.calculate_gain``.

    1 for linear layers and sigmoid, 5/3 for tanh, sqrt(2) for relu,
    sqrt(2 / (1 + slope^2)) for leaky_relu (slope `param`, 0.01 by default), 3/4 for selu.
    """
    if nonlinearity in ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                        "conv_transpose2d", "conv_transpose3d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {slope!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fans(tensor):
    """(fan_in, fan_out) of a weight: input and output channels times the kernel's size, as in torch."""
    shape = _array(tensor).shape
    if len(shape) < 2:
        raise ValueError(f"init: fan in and fan out need a weight of at least 2 axes, got shape {tuple(shape)}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _no_generator(generator, name):
    if generator is not None:
        raise NotImplementedError(f"{name}: generator= is not supported; seed with minigan.manual_seed")


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-b, b) with b = gain sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    _no_generator(generator, "xavier_uniform_")
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std^2) with std = gain sqrt(2 / (fan_in + fan_out))."""
    _no_generator(generator, "xavier_normal_")
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan else 0.0  # fan 0: an empty weight, nothing to fill


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-b, b) with b = sqrt(3) gain / sqrt(fan) (He et al. 2015)."""
    _no_generator(generator, "kaiming_uniform_")
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std^2) with std = gain / sqrt(fan) (He et al. 2015)."""
    _no_generator(generator, "kaiming_normal_")
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def eye_(tensor):
    """The identity matrix (a 2-D weight), as torch's ``eye_``."""
    array = _array(tensor)
    if array.ndim != 2:
        raise ValueError(f"eye_: needs a 2-D weight, got shape {tuple(array.shape)}")
    array[...] = backend.xp_of(array).eye(*array.shape, dtype=array.dtype)
    return _filled(tensor)


def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal weight times `gain` (Saxe et al. 2014; BigGAN's init), as torch's ``orthogonal_``.

    The weight is seen as a (rows, everything else) matrix: the Q of the QR factorisation of a
    Gaussian matrix, each column's sign set by R's diagonal so that Q is uniformly distributed.
    Its rows (or columns, whichever are fewer) are orthonormal: W W^T = gain^2 I for a wide W.
    """
    _no_generator(generator, "orthogonal_")
    array = _array(tensor)
    if array.ndim < 2:
        raise ValueError(f"orthogonal_: needs a weight of at least 2 axes, got shape {tuple(array.shape)}")
    if array.size == 0:  # nothing to fill (torch's no-op)
        return _filled(tensor)
    xp = backend.xp_of(array)
    rows, cols = array.shape[0], array.size // array.shape[0]
    gaussian = backend.standard_normal(backend.device_of(array), (rows, cols), array.dtype)
    tall = gaussian if rows >= cols else gaussian.T
    q, r = xp.linalg.qr(tall)
    q *= xp.sign(xp.diagonal(r))  # QR's signs are arbitrary; this choice makes Q uniform over orthogonal matrices
    array[...] = (q if rows >= cols else q.T).reshape(array.shape) * float(gain)
    return _filled(tensor)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """N(mean, std^2) conditioned on [a, b] (absolute bounds, as torch's ``trunc_normal_``): draws outside are redrawn.

    Bounds that hold less than 0.1% of N(mean, std^2) are refused: the redrawing would (almost) never end.
    """
    _no_generator(generator, "trunc_normal_")
    _numbers("trunc_normal_", mean=mean, std=std, a=a, b=b)
    if not a < b:
        raise ValueError(f"trunc_normal_: the bounds must satisfy a < b, got a={a}, b={b}")
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be > 0, got {std}")
    inside = 0.5 * (math.erf((b - mean) / (std * math.sqrt(2))) - math.erf((a - mean) / (std * math.sqrt(2))))
    if inside < 1e-3:  # P(a <= x <= b): the redrawing below would take about 1 / inside rounds, or never end
        raise ValueError(f"trunc_normal_: [a, b] = [{a}, {b}] holds only {inside:.2g} of N({mean}, {std}^2), so "
                         "drawing until every value falls inside would (almost) never end; a and b are absolute "
                         "bounds, as in torch, not multiples of std: give bounds around the mean, such as "
                         "a=mean - 2 * std, b=mean + 2 * std")
    array = _array(tensor)
    device = backend.device_of(array)
    values = backend.standard_normal(device, array.shape, array.dtype) * float(std) + float(mean)
    outside = (values < a) | (values > b)
    while bool(outside.any()):  # each round keeps the draws inside: the survivors follow the truncated law
        redraw = backend.standard_normal(device, (int(outside.sum()),), array.dtype) * float(std) + float(mean)
        values[outside] = redraw
        outside = (values < a) | (values > b)
    array[...] = values
    return _filled(tensor)
