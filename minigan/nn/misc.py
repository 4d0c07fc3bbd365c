"""Dropout and Unflatten."""

from .. import autograd as ag
from .. import backend
from ..autograd import Tensor
from .module import Module


def dropout(x, p=0.5, training=True):
    """Zero each value with probability p and scale the rest by 1/(1 - p) (identity when not training).

    The mask comes from the device's seeded generator (``minigan.manual_seed``).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be between 0 and 1, got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = backend.generator(x.device).random(x.shape, dtype=x.dtype) >= p
    scale = keep.astype(x.dtype) * (1.0 / (1.0 - p))  # E[scale] = 1: eval mode needs no rescaling
    return x * Tensor(scale)


class Dropout(Module):
    """Randomly zero values with probability p during training; does nothing in eval mode."""

    def __init__(self, p=0.5, inplace=False):  # inplace: accepted for PyTorch code, computed out of place
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be between 0 and 1, got {p}")
        self.p, self.inplace = p, bool(inplace)

    def forward(self, x):
        return dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Unflatten(Module):
    """Split axis `dim` into `unflattened_size`, e.g. Unflatten(1, (128, 7, 7)): (N, 6272) -> (N, 128, 7, 7)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        dim = ag._axis(self.dim, x.shape, f"Unflatten({self.dim}, {self.unflattened_size})")
        size = 1
        for s in self.unflattened_size:
            size *= s
        if x.shape[dim] != size:
            raise ValueError(
                f"Unflatten({self.dim}, {self.unflattened_size}): axis {dim} has size {x.shape[dim]}, "
                f"but {self.unflattened_size} holds {size} values (input shape {tuple(x.shape)})"
            )
        return ag.reshape(x, *(x.shape[:dim] + self.unflattened_size + x.shape[dim + 1:]))

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
