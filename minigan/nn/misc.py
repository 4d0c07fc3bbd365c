"""Dropout, Unflatten, padding and upsampling (pad, interpolate, ZeroPad2d, Upsample), Softmax and LogSoftmax."""

import numpy as np

from .. import autograd as ag
from .. import backend
from ..autograd import Tensor
from .module import Module


def dropout(x, p=0.5, training=True, inplace=False):
    """Zero each value with probability p and scale the rest by 1/(1 - p) (identity when not training).

    The mask comes from the device's seeded generator (``minigan.manual_seed``).
    ``inplace`` is accepted for PyTorch code; the result is a new tensor.
    """
    ag._expect_tensor(x, "dropout")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be between 0 and 1, got {p}")
    p = float(p)  # a NumPy float64 p would make the scale, and with it the result, float64 (NumPy 2)
    if not training or p == 0.0:
        return x
    x = ag._floating(x)  # integers are scaled by 1/(1 - p): float32, as leaky_relu and tanh make them
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
        ag._expect_tensor(x, f"Unflatten({self.dim}, {self.unflattened_size})")
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


def pad(input, pad, mode="constant", value=None):
    """torch's ``F.pad``: `pad` = (left, right, top, bottom, ...) widths, from the last axis backwards.

    Positive widths add rows of `value` (0 by default), negative ones cut
    rows off; ``F.pad(x, (1, 1, 2, 2))`` pads the width by 1 and the height
    by 2 on each side. Only the constant mode is there.
    """
    ag._expect_tensor(input, "pad")
    if mode != "constant":
        raise NotImplementedError(f"pad: mode={mode!r} is not supported (only 'constant'); "
                                  "for 'reflect' or 'replicate', build the border with indexing and minigan.cat")
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or not all(isinstance(w, (int, np.integer)) for w in pad):
        raise TypeError(f"pad: widths must be a tuple of ints of even length (left, right, top, bottom, ...), got {pad!r}")
    if len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: {len(pad)} widths pad {len(pad) // 2} axes, but the input has {input.ndim} (shape {tuple(input.shape)})")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):  # pad[0:2] is the last axis
        widths[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    sizes = [n + a + b for n, (a, b) in zip(input.shape, widths)]
    if min(sizes, default=1) < 0:
        raise ValueError(f"pad: widths {tuple(pad)} cut more than the input's shape {tuple(input.shape)} holds")
    if any(a < 0 or b < 0 for a, b in widths):  # negative widths crop first
        input = ag.getitem(input, tuple(slice(max(0, -a), n - max(0, -b)) for n, (a, b) in zip(input.shape, widths)))
        widths = [(max(0, a), max(0, b)) for a, b in widths]
    return ag.Pad(widths, 0.0 if value is None else float(value))(input)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """torch's ``F.interpolate`` in its 'nearest' mode, by whole factors: each pixel becomes a block of copies.

    (N, C, H, W) -> (N, C, H*s, W*s) (or (N, C, L) -> (N, C, L*s)), with the
    factors from `scale_factor` or from a `size` that is a whole multiple of the
    input's. Upsample + Conv2d is the usual cure for the checkerboard pattern
    of strided transposed convolutions (Odena et al. 2016; see lesson 7).
    Built from reshape and broadcast, so the gradient sums each block.
    """
    ag._expect_tensor(input, "interpolate")
    if mode != "nearest":
        raise NotImplementedError(f"interpolate: mode={mode!r} is not supported (only 'nearest')")
    if align_corners is not None or antialias:
        raise ValueError("interpolate: align_corners and antialias do not apply to mode='nearest'")
    spatial = input.shape[2:]
    if input.ndim not in (3, 4):
        raise ValueError(f"interpolate: expected (N, C, L) or (N, C, H, W), got shape {tuple(input.shape)}")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if size is not None:
        size = (size,) * len(spatial) if isinstance(size, (int, np.integer)) else tuple(size)
        if len(size) != len(spatial) or any(o % i for o, i in zip(size, spatial)):
            raise NotImplementedError(f"interpolate: size {size} is not a whole multiple of the input's {spatial}; "
                                      "only whole factors are supported")
        factors = tuple(o // i for o, i in zip(size, spatial))
    else:
        factors = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * len(spatial)
        if len(factors) != len(spatial) or any(f != int(f) or f < 1 for f in factors):
            raise NotImplementedError(f"interpolate: scale_factor {scale_factor} is not supported; "
                                      "only whole factors >= 1 (2, 3, ...)")
        factors = tuple(int(f) for f in factors)
    # (N, C, H, W) -> (N, C, H, 1, W, 1) -> broadcast (N, C, H, sh, W, sw) -> (N, C, H*sh, W*sw)
    spread = ag.reshape(input, *input.shape[:2], *[k for n in spatial for k in (n, 1)])
    copies = ag.broadcast_to(spread, (*input.shape[:2], *[k for n, f in zip(spatial, factors) for k in (n, f)]))
    return ag.reshape(copies, *input.shape[:2], *[n * f for n, f in zip(spatial, factors)])


class Upsample(Module):
    """Nearest-neighbour upsampling by whole factors (``F.interpolate``): Upsample(scale_factor=2) doubles H and W."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        if mode != "nearest":
            raise NotImplementedError(f"Upsample: mode={mode!r} is not supported (only 'nearest')")
        self.size, self.mode, self.align_corners = size, mode, align_corners
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) else scale_factor

    def forward(self, x):
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self):
        what = f"scale_factor={self.scale_factor}" if self.scale_factor is not None else f"size={self.size}"
        return f"{what}, mode={self.mode!r}"


class ZeroPad2d(Module):
    """Zeros around the image: padding = p, or (left, right, top, bottom)."""

    def __init__(self, padding):
        super().__init__()
        self.padding = (padding,) * 4 if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != 4:
            raise ValueError(f"ZeroPad2d: padding must be an int or (left, right, top, bottom), got {padding!r}")

    def forward(self, x):
        return pad(x, self.padding)

    def extra_repr(self):
        return f"{self.padding}"


class Softmax(Module):
    """softmax along `dim`: each slice becomes probabilities that sum to 1."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return ag.softmax(x, dim=self._dim(x))

    def _dim(self, x):
        if self.dim is not None:
            return self.dim
        return 0 if x.ndim in (0, 1, 3) else 1  # torch's implicit choice (with a deprecation warning there)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax) along `dim`, computed stably."""

    def forward(self, x):
        return ag.log_softmax(x, dim=self._dim(x))
