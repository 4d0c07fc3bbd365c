"""In-place initialisers with ``torch.nn.init``'s names: ``init.normal_(layer.weight, 0.0, 0.02)``.

Each fills a tensor in place (a Tensor or Parameter, or its ``.data`` array, which is
what PyTorch code passes as ``m.weight.data``) and returns it. Random fills draw from
minigan's seeded generator for the tensor's device, so ``manual_seed`` makes them repeatable.
No graph is recorded: initialising is not part of the model's computation.
"""

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


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with draws from N(mean, std^2)."""
    array = _array(tensor)
    draws = backend.standard_normal(backend.device_of(array), array.shape, array.dtype)
    draws *= std
    if mean:
        draws += mean
    array[...] = draws
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with draws from U(a, b)."""
    array = _array(tensor)
    draws = backend.generator(backend.device_of(array)).random(array.shape, dtype=array.dtype)
    draws *= b - a
    draws += a
    array[...] = draws
    return tensor


def constant_(tensor, val):
    """Fill with the value `val`."""
    _array(tensor)[...] = val
    return tensor


def zeros_(tensor):
    """Fill with zeros."""
    return constant_(tensor, 0.0)


def ones_(tensor):
    """Fill with ones."""
    return constant_(tensor, 1.0)
