"""Dropout, Dropout1d, Dropout2d, AlphaDropout, FeatureAlphaDropout, Unflatten, padding (pad; the Zero, Constant,
Reflection, Replication and Circular Pad1d/Pad2d layers), resizing and pooling (interpolate, Upsample,
UpsamplingNearest2d, UpsamplingBilinear2d, PixelShuffle, PixelUnshuffle, ChannelShuffle, AvgPool2d, MaxPool2d,
MaxUnpool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, LPPool2d, and their 1-D forms over the 2-D ones), patches
(Unfold: im2col, Fold: col2im), Softmax, Softmax2d."""

import numbers

import numpy as np

from .. import autograd as ag
from .. import backend
from ..autograd import Function, Tensor
from ..conv import _is_int, _pair, col2im, conv2d, dilated_size, unbatched
from .layers import _check_sizes
from .module import Module


def check_fraction(value, name, what, meaning=""):
    """`value` as a float in [0, 1], or a clear error naming the layer's (or function's) argument.

    (float: a NumPy float64 would make a scale computed from it, and with it the result, float64 under NumPy 2.)
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name}: {what} must be a number between 0 and 1{meaning}, "
                        f"got {type(value).__name__} {value!r}")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}: {what} must be between 0 and 1, got {value!r}")
    return float(value)


def _check_p(p, name):
    return check_fraction(p, name, "p", " (the probability of zeroing a value)")


def _drop(x, p, mask_shape):
    """x times a random mask of `mask_shape` (broadcast over x): 0 with probability p, else 1/(1 - p)."""
    x = ag._floating(x)  # integers are scaled by 1/(1 - p): float32, as leaky_relu and tanh make them
    if p == 1.0:
        return x * 0.0
    keep = backend.generator(x.device).random(mask_shape, dtype=x.dtype) >= p
    scale = keep.astype(x.dtype) * (1.0 / (1.0 - p))  # E[scale] = 1: eval mode needs no rescaling
    return x * Tensor(scale)


def dropout(x, p=0.5, training=True, inplace=False):
    """Zero each value with probability p and scale the rest by 1/(1 - p) (identity when not training).

    The mask comes from the device's seeded generator (``minigan.manual_seed``).
    ``inplace`` is accepted for PyTorch code; the result is a new tensor.
    """
    ag._expect_tensor(x, "dropout")
    p = _check_p(p, "dropout")
    if not training or p == 0.0:
        return x
    return _drop(x, p, x.shape)


def dropout2d(x, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, H, W) input with probability p, scale the rest by 1/(1 - p).

    Neighbouring pixels of a feature map are strongly correlated, so dropping
    single values barely regularises a convolution; dropping a channel for one
    sample does (Tompson et al. 2015). One draw per (sample, channel), broadcast
    over the pixels. Identity when not training; ``inplace`` as in ``dropout``.
    """
    ag._expect_tensor(x, "dropout2d")
    if x.ndim != 4:
        raise ValueError(f"dropout2d: expected a 4-D input (N, C, H, W), got shape {tuple(x.shape)}; "
                         "for any other shape use dropout")
    p = _check_p(p, "dropout2d")
    if not training or p == 0.0:
        return x
    return _drop(x, p, (x.shape[0], x.shape[1], 1, 1))


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) signals, or one (C, L), with probability p, scale the rest by 1/(1 - p):
    ``dropout2d``'s channel dropout for 1-D feature maps (one draw per sample and channel, over the length)."""
    ag._expect_tensor(input, "dropout1d")
    if input.ndim not in (2, 3):
        raise ValueError(f"dropout1d: expected a 2-D (C, L) or 3-D input (N, C, L), got shape "
                         f"{tuple(input.shape)}; for any other shape use dropout")
    p = _check_p(p, "dropout1d")
    if not training or p == 0.0:
        return input
    return _drop(input, p, (*input.shape[:-1], 1))


class Dropout(Module):
    """Randomly zero values with probability p during training; does nothing in eval mode."""

    def __init__(self, p=0.5, inplace=False):  # inplace: accepted for PyTorch code, computed out of place
        super().__init__()
        self.p, self.inplace = _check_p(p, type(self).__name__), bool(inplace)

    def forward(self, x):
        return dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Randomly zero whole channels of (N, C, H, W) inputs with probability p during training (``dropout2d``)."""

    def forward(self, x):
        return dropout2d(x, self.p, self.training)


class Dropout1d(Dropout):
    """Randomly zero whole channels of (N, C, L) or (C, L) inputs with probability p during training
    (``dropout1d``)."""

    def forward(self, x):
        return dropout1d(x, self.p, self.training)


_SELU_ALPHA = 1.7580993408473766  # SELU's scale * alpha: -_SELU_ALPHA is the value SELU saturates to


def _alpha_drop(x, p, mask_shape):
    """SELU's dropout (Klambauer et al. 2017), as torch's: each dropped value becomes SELU's saturation value
    -alpha' (not 0), then every value goes through a x + b, chosen so that inputs of mean 0 and variance 1 keep
    them: a = ((alpha'^2 p + 1)(1 - p))^(-1/2), b = a alpha' p. A mask of `mask_shape`, broadcast over x."""
    x = ag._floating(x)
    if p == 1.0:  # torch's: all zeros (not the affine form)
        return x * 0.0
    keep = (backend.generator(x.device).random(mask_shape, dtype=x.dtype) >= p).astype(x.dtype)
    a = ((_SELU_ALPHA ** 2 * p + 1.0) * (1.0 - p)) ** -0.5
    b = (keep - 1.0) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p  # kept: a alpha' p; dropped: a (-alpha' + alpha' p)
    return x * Tensor(keep * a) + Tensor(b)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped values set to SELU's saturation value and the rest rescaled, so that the
    mean and variance stay (``_alpha_drop``). Identity when not training (torch's default here: training=False).
    The mask comes from the device's seeded generator; ``inplace`` as in ``dropout``."""
    ag._expect_tensor(input, "alpha_dropout")
    p = _check_p(p, "alpha_dropout")
    if not training or p == 0.0:
        return input
    return _alpha_drop(input, p, input.shape)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """``alpha_dropout`` of whole channels: one draw per (sample, channel) of (N, C, *), as ``dropout2d``'s."""
    ag._expect_tensor(input, "feature_alpha_dropout")
    if input.ndim < 2:
        raise ValueError(f"feature_alpha_dropout: expected an input (N, C, *) of at least 2 axes, got shape "
                         f"{tuple(input.shape)}; for single values use alpha_dropout")
    p = _check_p(p, "feature_alpha_dropout")
    if not training or p == 0.0:
        return input
    return _alpha_drop(input, p, (*input.shape[:2], *[1] * (input.ndim - 2)))


class AlphaDropout(Dropout):
    """SELU's dropout (``F.alpha_dropout``) during training; does nothing in eval mode."""

    def forward(self, x):
        return alpha_dropout(x, self.p, self.training)


class FeatureAlphaDropout(Dropout):
    """SELU's dropout of whole channels of (N, C, *) (``F.feature_alpha_dropout``) during training."""

    def forward(self, x):
        return feature_alpha_dropout(x, self.p, self.training)


class Unflatten(Module):
    """Split axis `dim` into `unflattened_size`, e.g. Unflatten(1, (128, 7, 7)): (N, 6272) -> (N, 128, 7, 7)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not _is_int(dim):
            raise TypeError(f"Unflatten: dim must be an int (the axis to split), got {dim!r}")
        sizes = unflattened_size
        if not isinstance(sizes, (tuple, list)) or not all(_is_int(s) and s >= -1 for s in sizes):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of sizes (ints >= 0, one may be -1), got "
                            f"{sizes!r}")
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        ag._expect_tensor(x, f"Unflatten({self.dim}, {self.unflattened_size})")
        name = f"Unflatten({self.dim}, {self.unflattened_size})"
        dim = ag._axis(self.dim, x.shape, name)
        sizes, size = list(self.unflattened_size), 1
        for s in sizes:
            size *= s if s != -1 else 1
        if sizes.count(-1) == 1 and size and x.shape[dim] % size == 0:  # one -1: the size that fits, as in torch
            sizes[sizes.index(-1)] = x.shape[dim] // size
        elif sizes.count(-1) or x.shape[dim] != size:
            holds = "cannot hold" if sizes.count(-1) else f"holds {size} values, not"
            raise ValueError(f"{name}: axis {dim} has size {x.shape[dim]}, but {self.unflattened_size} {holds} "
                             f"{x.shape[dim]} (input shape {tuple(x.shape)}); at most one size may be -1")
        return ag.reshape(x, *(x.shape[:dim] + tuple(sizes) + x.shape[dim + 1:]))

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def pad(input, pad, mode="constant", value=None):
    """torch's ``F.pad``: `pad` = (left, right, top, bottom, ...) widths, from the last axis backwards.

    ``F.pad(x, (1, 1, 2, 2))`` pads the width by 1 and the height by 2 on each
    side. mode='constant' adds rows of `value` (0 by default); 'reflect' mirrors
    the image at its edge pixels (a width below the axis' size), 'replicate'
    repeats the edge pixels, and 'circular' wraps around (CycleGAN's generators
    pad with 'reflect'). Negative widths cut rows off, as in torch (see ``_border_pad`` for
    where the other modes then mirror, repeat or wrap).
    """
    ag._expect_tensor(input, "pad")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: mode={mode!r} is not supported ('constant', 'reflect', 'replicate', "
                                  "'circular')")
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or not all(isinstance(w, (int, np.integer)) for w in pad):
        raise TypeError(f"pad: widths must be a tuple of ints of even length (left, right, top, bottom, ...), got {pad!r}")
    if len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: {len(pad)} widths pad {len(pad) // 2} axes, but the input has {input.ndim} (shape {tuple(input.shape)})")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):  # pad[0:2] is the last axis
        widths[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if mode != "constant":
        axes = len(pad) // 2
        if input.ndim not in (axes + 1, axes + 2):  # torch's rule: (C, ...) or (N, C, ...) around the padded axes
            raise ValueError(f"pad: mode={mode!r} pads {axes} ax{'is' if axes == 1 else 'es'} of an input with "
                             f"{axes + 1} or {axes + 2} axes, "
                             f"(C, ...) or (N, C, ...), got shape {tuple(input.shape)}")
        if value is not None:
            raise ValueError(f"pad: value applies to mode='constant' only, not {mode!r}")
        return _border_pad(input, widths, mode)
    if any(n + min(a, 0) + min(b, 0) < 0 for n, (a, b) in zip(input.shape, widths)):  # the crops come first
        raise ValueError(f"pad: widths {tuple(pad)} cut more than the input's shape {tuple(input.shape)} holds")
    if any(a < 0 or b < 0 for a, b in widths):  # negative widths crop first
        input = ag.getitem(input, tuple(slice(max(0, -a), n - max(0, -b)) for n, (a, b) in zip(input.shape, widths)))
        widths = [(max(0, a), max(0, b)) for a, b in widths]
    return ag.Pad(widths, 0.0 if value is None else float(value))(input)


def _border_pad(input, widths, mode):
    """'reflect', 'replicate' or 'circular' padding: each padded axis re-indexed with an integer array,
    so the gradient (indexing's: scatter-add) adds each copy's gradient onto the pixel it came from.

    A negative width crops, as in torch: 'reflect' and 'replicate' still mirror or repeat at the
    input's own edge pixels (the output's pixels are those of positions -before .. n + after - 1,
    folded back in), while 'circular' crops first and wraps around what is left.
    """
    xp = backend.xp_of(input.data)
    out = input
    for axis, (before, after) in enumerate(widths):
        if before == after == 0:
            continue
        n, given = input.shape[axis], (before, after)
        if n == 0:  # no edge pixel to copy (torch refuses it too)
            raise ValueError(f"pad: mode={mode!r} copies the edge pixels of axis {axis}, but it has size 0 "
                             f"(input shape {tuple(input.shape)}); an empty map has none (mode='constant' pads it)")
        if mode == "circular" and min(before, after) < 0:  # crop first: the wrap-around is of the cropped axis
            n += min(before, 0) + min(after, 0)
            if n < 0 or (n == 0 and max(before, after) > 0):
                raise ValueError(f"pad: mode='circular' widths {given} crop axis {axis} of size "
                                 f"{input.shape[axis]} to {n}, leaving nothing to wrap around")
            out = ag.getitem(out, (slice(None),) * axis + (slice(-min(before, 0), n - min(before, 0)),))
            before, after = max(before, 0), max(after, 0)
        most = {"reflect": n - 1, "circular": n, "replicate": None}[mode]  # reflect never repeats the edge pixel
        fewest = 0 if mode == "circular" else 1  # (torch's rule: 'reflect' and 'replicate' never make an empty axis)
        if (most is not None and max(before, after) > most) or n + before + after < fewest:
            rule = {"reflect": f"each width must be below the axis' size (at most {most}), and crops (negative "
                               "widths) must leave at least one pixel",
                    "replicate": "crops (negative widths) must leave at least one pixel",
                    "circular": f"each width must be at most the axis' size ({most}, after cropping)"}[mode]
            raise ValueError(f"pad: widths {given} do not fit axis {axis} of size {input.shape[axis]} in mode={mode!r} "
                             f"(input shape {tuple(input.shape)}): {rule}")
        i = xp.arange(-before, n + after)  # the source pixel of each output pixel, before folding it in
        if mode == "replicate":
            i = xp.clip(i, 0, n - 1)
        elif mode == "circular":
            i = i % n
        else:  # mirror at pixel 0 and at pixel n - 1
            i = xp.abs(i)
            i = xp.where(i > n - 1, 2 * (n - 1) - i, i)
        out = ag.getitem(out, (slice(None),) * axis + (i,))
    return out


_MODES = ("nearest", "linear", "bilinear", "bicubic", "area")  # interpolate's and Upsample's


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False, name="interpolate"):
    """torch's ``F.interpolate``: 'nearest' (N, C, L) or (N, C, H, W), 'linear' (N, C, L), 'bilinear' and
    'bicubic' (N, C, H, W), and 'area' (either).

    The output size comes from `size` or from `scale_factor`. 'nearest' copies input pixel floor(d * in/out)
    to output pixel d (by whole factors each pixel a block of copies, built from reshape and broadcast,
    so the gradient sums each block; see ``_nearest``). 'linear', 'bilinear' and 'bicubic' are linear maps
    along each axis: a (out, in) matrix whose rows hold the weights of the two (or four)
    neighbouring input pixels, so y = A_h x A_w^T, and the gradient is the same
    matrices transposed. 'area' is ``adaptive_avg_pool2d``: each output pixel the mean
    of its window, shrinking or growing. Upsample + Conv2d is the usual cure for the checkerboard
    pattern of strided transposed convolutions (Odena et al. 2016; see lesson 7). (`name`: the function
    the errors speak of, ``upsample`` when called by it; not torch's.)
    """
    ag._expect_tensor(input, name)
    if mode not in _MODES:
        raise NotImplementedError(f"{name}: mode={mode!r} is not supported ({', '.join(map(repr, _MODES))})")
    wanted = {"nearest": (3, 4), "linear": (3,), "bilinear": (4,), "bicubic": (4,), "area": (3, 4)}[mode]
    if input.ndim not in wanted:
        shapes = " or ".join({3: "(N, C, L)", 4: "(N, C, H, W)"}[n] for n in wanted)
        raise ValueError(f"{name}: mode={mode!r} expects {shapes}, got shape {tuple(input.shape)}")
    if 0 in input.shape[2:]:  # torch: an error too (the batch and channels may be empty)
        raise ValueError(f"{name}: the input's spatial lengths must be >= 1 (there is nothing to interpolate "
                         f"from), got shape {tuple(input.shape)}")
    if input.shape[1] == 0 and mode != "area":  # torch's rule: only 'area' (a pool) takes an empty channel axis
        raise ValueError(f"{name}: mode={mode!r} expects at least one channel, got shape {tuple(input.shape)} "
                         "(torch refuses it too; only mode='area' takes zero channels)")
    if antialias or recompute_scale_factor:
        raise NotImplementedError(f"{name}: antialias and recompute_scale_factor are not supported")
    if mode in ("nearest", "area") and align_corners is not None:
        raise ValueError(f"{name}: align_corners does not apply to mode={mode!r}, only to 'linear', "
                         "'bilinear' and 'bicubic'; leave it None")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{name}: give exactly one of size and scale_factor")
    spatial = input.shape[2:]
    fewest = 0 if mode == "area" else 1  # torch's: 'area' (a pool) may give an empty output, the others not
    if size is not None:
        size = tuple(size) if isinstance(size, (tuple, list)) else (size,) * len(spatial)
        if len(size) != len(spatial) or not all(_is_int(n) and n >= fewest for n in size):
            lengths = "int lengths >= 0" if mode == "area" else "positive int lengths"
            raise ValueError(f"{name}: size must give {len(spatial)} {lengths}, one per spatial axis of the "
                             f"input shape {tuple(input.shape)}, got {size}")
    else:
        factors = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * len(spatial)
        if not all(isinstance(f, numbers.Real) for f in factors):
            raise TypeError(f"{name}: scale_factor must be a number or one per spatial axis, got {scale_factor!r}")
        if len(factors) != len(spatial) or any(not 0 < f < float("inf") for f in factors):  # (NaN too)
            raise ValueError(f"{name}: scale_factor must be positive and finite, one per axis, got {scale_factor}")
    if mode == "nearest":
        return _nearest(input, spatial, size, None if size is not None else factors, name)
    if size is None:
        size = tuple(int(n * f) for n, f in zip(spatial, factors))
    if len(size) != len(spatial) or min(size) < fewest:
        raise ValueError(f"{name}: scale_factor {scale_factor} makes the output size {size}, but mode={mode!r} "
                         f"needs lengths >= {fewest} (input shape {tuple(input.shape)})")
    if mode == "area" and 0 in size:  # an empty output: the pool to a size of at least 1, then cut to 0
        out = interpolate(input, size=tuple(max(n, 1) for n in size), mode="area", name=name)
        return ag.getitem(out, (slice(None), slice(None)) + tuple(slice(0, n) for n in size))
    if mode == "area":  # torch's: adaptive average pooling to the size (only the size counts, not the factor)
        if input.ndim == 3:  # (N, C, L) as (N, C, L, 1)
            return adaptive_avg_pool2d(input.reshape(*input.shape, 1), (size[0], 1)).reshape(*input.shape[:2], size[0])
        return adaptive_avg_pool2d(input, size)
    weights_of = _cubic_weights if mode == "bicubic" else _linear_weights
    out = ag._floating(input)  # integers are interpolated in float32, as tanh and dropout compute them
    for axis, (n_in, n_out) in enumerate(zip(spatial, size)):
        # torch maps output pixel d to input position (d + 1/2) / factor - 1/2 (its factor, if given, else the sizes';
        # its linear modes, not its bicubic, keep an axis whose length stays, whatever the factor)
        keep = mode != "bicubic" and n_in == n_out
        step = 1.0 / float(factors[axis]) if scale_factor is not None and not keep else n_in / n_out
        weights = weights_of(backend.xp_of(out.data), n_in, n_out, step, bool(align_corners), out.dtype)
        a = ag.Tensor(weights)  # (out, in): a constant, the same for every image
        moved = ag.transpose(out, 2 + axis, -1)  # the axis to resample last
        out = ag.transpose(ag.matmul(moved, ag.transpose(a, 0, 1)), 2 + axis, -1)
    return out


def _source_positions(xp, n_in, n_out, step, align_corners):
    """Where torch samples the input for each output pixel d: d (n_in - 1) / (n_out - 1) when the corner pixels'
    centres line up (align_corners), else (d + 1/2) step - 1/2 (negative near the first pixel)."""
    d = xp.arange(n_out, dtype=np.float64)
    if align_corners:
        return d * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    return (d + 0.5) * step - 0.5


def _linear_weights(xp, n_in, n_out, step, align_corners, dtype):
    """The (n_out, n_in) matrix of linear interpolation: row d weights the two input pixels around
    d's source position by 1 - t and t (as torch computes it, clamped at the first pixel).

    Built with the input's array module, so on a GPU nothing is copied from the host.
    """
    source = xp.maximum(_source_positions(xp, n_in, n_out, step, align_corners), 0.0)
    left = xp.minimum(xp.floor(source), n_in - 1)
    right = xp.minimum(left + 1, n_in - 1)  # the last pixel is its own right neighbour: its weights add to 1
    t = (source - left)[:, None]
    pixels = xp.arange(n_in, dtype=np.float64)
    weights = (pixels == left[:, None]) * (1.0 - t) + (pixels == right[:, None]) * t
    return weights.astype(dtype)


def _cubic_weights(xp, n_in, n_out, step, align_corners, dtype, a=-0.75):
    """The (n_out, n_in) matrix of cubic interpolation, as torch's 'bicubic' along one axis: row d weights the
    four input pixels floor(s) - 1 .. floor(s) + 2 around d's source position s by Keys' cubic convolution
    kernel at their distance from s (torch's A = -0.75); a tap past the border takes the border pixel
    (so a border pixel may collect several weights). The position is not clamped at 0, unlike 'bilinear''s.
    """
    source = _source_positions(xp, n_in, n_out, step, align_corners)
    left = xp.floor(source)
    pixels = xp.arange(n_in, dtype=np.float64)
    weights = xp.zeros((n_out, n_in))
    for k in (-1, 0, 1, 2):
        x = xp.abs(source - left - k)[:, None]  # the tap's distance from s, at most 2 (where W is 0)
        # Keys: (A+2)x^3 - (A+3)x^2 + 1 for x <= 1, A x^3 - 5A x^2 + 8A x - 4A for 1 < x < 2
        w = xp.where(x <= 1, ((a + 2) * x - (a + 3)) * x * x + 1, ((a * x - 5 * a) * x + 8 * a) * x - 4 * a)
        weights = weights + (pixels == xp.clip(left + k, 0, n_in - 1)[:, None]) * w
    return weights.astype(dtype)


def _nearest(input, spatial, size, factors, name="interpolate"):
    """'nearest': output pixel d copies input pixel floor(d * in/out) (by whole factors each pixel a block of copies).

    Whole factors take the blocks, built from reshape and broadcast (the gradient sums each block); other sizes
    pick each output pixel's source by torch's rule (``_nearest_sources``), as indexing (the gradient adds up
    at each source)."""
    if size is None:
        whole = all(f == int(f) and f >= 1 for f in factors)
        size = tuple(int(n * f) for n, f in zip(spatial, factors))  # torch's floor(n * f)
    else:
        whole = all(o % i == 0 for o, i in zip(size, spatial))
        factors = None  # (torch samples by the sizes' ratio when the size is given)
    if min(size) < 1:
        raise ValueError(f"{name}: scale_factor {factors} makes the output size {size}, but mode='nearest' needs "
                         f"lengths >= 1 (input shape {tuple(input.shape)})")
    if whole:
        # (N, C, H, W) -> (N, C, H, 1, W, 1) -> broadcast (N, C, H, sh, W, sw) -> (N, C, H*sh, W*sw)
        reps = tuple(o // i for o, i in zip(size, spatial))
        spread = ag.reshape(input, *input.shape[:2], *[k for n in spatial for k in (n, 1)])
        copies = ag.broadcast_to(spread, (*input.shape[:2], *[k for n, f in zip(spatial, reps) for k in (n, f)]))
        return ag.reshape(copies, *input.shape[:2], *[n * f for n, f in zip(spatial, reps)])
    xp = backend.xp_of(input.data)
    sources = [_nearest_sources(n_in, n_out, None if factors is None else factors[axis])
               for axis, (n_in, n_out) in enumerate(zip(spatial, size))]
    if len(sources) == 1:
        return ag.getitem(input, (slice(None), slice(None), xp.asarray(sources[0])))
    rows, cols = (xp.asarray(s) for s in sources)
    return ag.getitem(input, (slice(None), slice(None), rows[:, None], cols[None, :]))


def _nearest_sources(n_in, n_out, factor):
    """The input pixel each of n_out output pixels copies, as torch computes it (in float32): min(floor(d * s),
    n_in - 1) with s = 1 / scale_factor when a factor was given, else n_in / n_out."""
    scale = np.float32(1.0 / factor) if factor is not None else np.float32(n_in) / np.float32(n_out)
    d = np.arange(n_out, dtype=np.float32)
    return np.minimum(np.floor(d * scale).astype(np.int64), n_in - 1)


class Upsample(Module):
    """Upsampling by ``F.interpolate``: Upsample(scale_factor=2) doubles H and W ('nearest' copies pixels,
    'bilinear' and 'bicubic' interpolate them, 'area' averages)."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        if mode not in _MODES:
            raise NotImplementedError(f"Upsample: mode={mode!r} is not supported ({', '.join(map(repr, _MODES))})")
        self.size, self.mode, self.align_corners = size, mode, align_corners
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) else scale_factor

    def forward(self, x):
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self):
        what = f"scale_factor={self.scale_factor}" if self.scale_factor is not None else f"size={self.size}"
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample(size, scale_factor, mode='nearest'), under torch's older name."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample(size, scale_factor, mode='bilinear', align_corners=True), under torch's older name: note
    align_corners=True (the corner pixels' centres line up), unlike Upsample(mode='bilinear')'s default."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """``interpolate`` under torch's deprecated name (torch warns; minigan's ops print no warnings)."""
    return interpolate(input, size, scale_factor, mode, align_corners, name="upsample")


def upsample_nearest(input, size=None, scale_factor=None):
    """``interpolate(mode='nearest')`` under torch's deprecated name (no warning here)."""
    return interpolate(input, size, scale_factor, mode="nearest", name="upsample_nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """``interpolate(mode='bilinear', align_corners=True)`` under torch's deprecated name (no warning here)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True, name="upsample_bilinear")


def channel_shuffle(input, groups):
    """ShuffleNet's channel shuffle, as torch's: the C = g k channels of (N, C, *), read as a (g, k) table, are
    read out by columns, so channel j k + i goes to i g + j and each group's channels spread over all groups.
    A reshape, a transpose and a reshape: the gradient shuffles back."""
    ag._expect_tensor(input, "channel_shuffle")
    _check_sizes("channel_shuffle", groups=groups)
    if input.ndim < 3 or input.shape[1] % groups:
        raise ValueError(f"channel_shuffle: expected an input (N, C, *) of 3 or more axes, with C a multiple of "
                         f"groups={groups}, got shape {tuple(input.shape)}")
    n, c, *rest = input.shape
    table = ag.reshape(input, n, groups, c // groups, *rest)  # (N, g, k, *)
    return ag.reshape(ag.transpose(table, 1, 2), n, c, *rest)


class ChannelShuffle(Module):
    """Shuffle the channels of (N, C, *) across `groups` groups (``F.channel_shuffle``), as ShuffleNet does."""

    def __init__(self, groups):
        super().__init__()
        _check_sizes("ChannelShuffle", groups=groups)
        self.groups = groups

    def forward(self, x):
        return channel_shuffle(x, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"


def pixel_shuffle(input, upscale_factor):
    """(N, C r^2, H, W) -> (N, C, H r, W r): each group of r^2 channels becomes an r x r block of pixels (SRGAN's
    upsampling). Only a reshape, a permute and a reshape, so the gradient is the same shuffle backwards."""
    ag._expect_tensor(input, "pixel_shuffle")
    _check_sizes("pixel_shuffle", upscale_factor=upscale_factor)  # int(1.5) would quietly shuffle by 1
    r = int(upscale_factor)
    if input.ndim != 4 or input.shape[1] % (r * r):
        raise ValueError(f"pixel_shuffle: expected (N, C * {r}^2, H, W) with r = {r}, got shape {tuple(input.shape)}")
    n, c, h, w = input.shape
    blocks = ag.reshape(input, n, c // (r * r), r, r, h, w)
    return ag.reshape(ag.permute(blocks, 0, 1, 4, 2, 5, 3), n, c // (r * r), h * r, w * r)


class PixelShuffle(Module):
    """(N, C r^2, H, W) -> (N, C, H r, W r), as torch's (``F.pixel_shuffle``)."""

    def __init__(self, upscale_factor):
        super().__init__()
        _check_sizes("PixelShuffle", upscale_factor=upscale_factor)
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


def pixel_unshuffle(input, downscale_factor):
    """(N, C, H r, W r) -> (N, C r^2, H, W): each r x r block of pixels becomes r^2 channels, the inverse of
    ``pixel_shuffle`` (a reshape, a permute and a reshape; any leading batch axes, as torch's)."""
    ag._expect_tensor(input, "pixel_unshuffle")
    _check_sizes("pixel_unshuffle", downscale_factor=downscale_factor)
    r = int(downscale_factor)
    if input.ndim < 3 or input.shape[-2] % r or input.shape[-1] % r:
        raise ValueError(f"pixel_unshuffle: expected (*, C, H * {r}, W * {r}) with r = {r}, got shape "
                         f"{tuple(input.shape)}; the height and width must be multiples of r")
    *batch, c, h, w = input.shape
    k = len(batch)
    blocks = ag.reshape(input, *batch, c, h // r, r, w // r, r)
    order = (*range(k), k, k + 2, k + 4, k + 1, k + 3)  # (*, C, r, r, H, W)
    return ag.reshape(ag.permute(blocks, *order), *batch, c * r * r, h // r, w // r)


class PixelUnshuffle(Module):
    """(N, C, H r, W r) -> (N, C r^2, H, W), as torch's (``F.pixel_unshuffle``), the inverse of PixelShuffle."""

    def __init__(self, downscale_factor):
        super().__init__()
        _check_sizes("PixelUnshuffle", downscale_factor=downscale_factor)
        self.downscale_factor = downscale_factor

    def forward(self, x):
        return pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


def pool_output_size(size, kernel, stride, padding, dilation=1, ceil_mode=False):
    """A pool's output length along one axis, as torch's: (size + 2p - d (k - 1) - 1) / s + 1, rounded down
    (or up with ``ceil_mode``, though the last window must still start inside the input or its left padding)."""
    out = (size + 2 * padding - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _pool_window(name, input, kernel_size, stride, padding, dilation=1, ceil_mode=False):
    """A pool's (kernel, stride, padding, dilation) as (h, w) pairs (stride = kernel when None), checked as torch
    checks them, and the `extra` rows and columns ceil_mode's last windows reach beyond the padding at the far edge."""
    ag._expect_tensor(input, name)
    kernel = _pair(kernel_size, f"{name}: kernel_size")
    stride = kernel if stride is None else _pair(stride, f"{name}: stride")
    padding, dilation = _pair(padding, f"{name}: padding"), _pair(dilation, f"{name}: dilation")
    if min(kernel + stride) < 1 or not all(0 <= p <= k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(f"{name}: kernel_size and stride must be >= 1 and padding at most half the kernel, "
                         f"got kernel_size={kernel}, stride={stride}, padding={padding}")
    if min(dilation) < 1:
        raise ValueError(f"{name}: dilation must be >= 1 (1: the window's pixels side by side), got {dilation}")
    if input.ndim != 4:
        raise ValueError(f"{name}: expected a 3-D (C, H, W) or 4-D input (N, C, H, W), got shape {tuple(input.shape)}")
    out = [pool_output_size(input.shape[2 + d], kernel[d], stride[d], padding[d], dilation[d], ceil_mode)
           for d in range(2)]
    if min(out) < 1:
        raise ValueError(f"{name}: input shape {tuple(input.shape)} is smaller than the kernel {kernel}"
                         + (f" (dilation {dilation})" if dilation != (1, 1) else ""))
    extra = tuple(max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
                  for o, n, k, s, p, d in zip(out, input.shape[2:], kernel, stride, padding, dilation))
    return kernel, stride, padding, dilation, extra


def _window_counts(xp, size, kernel, stride, padding, out, count_include_pad):
    """avg_pool2d's divisor along one axis, as torch counts it: each window's pixels inside the padded
    image (count_include_pad), or inside the image; a ceil_mode window past the padding counts only up to it."""
    start = xp.arange(out) * stride - padding
    end = xp.minimum(start + kernel, size + padding)
    if not count_include_pad:
        start, end = xp.maximum(start, 0), xp.minimum(end, size)
    return end - start


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each kernel_size window, every `stride` pixels (stride = kernel_size when None), as torch's,
    of (N, C, H, W) images or one (C, H, W).

    Computed as a convolution of each channel on its own with a kernel of 1 / (kh kw), so the
    padding zeros count in the mean (torch's default); with ``count_include_pad=False`` each window's mean
    is over its pixels inside the image. ``ceil_mode=True`` rounds the output size up: the last windows
    reach past the padding, and their mean is over the part up to it (torch's divisor). Integer inputs give float32.
    """
    if isinstance(input, Tensor) and input.ndim == 3:  # one image (C, H, W), as torch takes it
        return unbatched(avg_pool2d, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                         divisor_override)
    if divisor_override is not None and (not _is_int(divisor_override) or divisor_override == 0):
        raise ValueError(f"avg_pool2d: divisor_override must be a nonzero int (or None), got {divisor_override!r}")
    kernel, stride, padding, _, extra = _pool_window("avg_pool2d", input, kernel_size, stride, padding,
                                                     ceil_mode=bool(ceil_mode))
    input = ag._floating(input)  # integers are averaged in float32 (a 1/(kh kw) kernel of integers would be 0)
    if any(extra):  # zeros where ceil_mode's last windows reach past the padding (the divisor leaves them out)
        input = ag.Pad(((0, 0), (0, 0), (0, extra[0]), (0, extra[1])), 0.0)(input)
    n, c, h, w = input.shape
    divisor = divisor_override or kernel[0] * kernel[1]
    weight = ag.full((1, 1, *kernel), 1.0 / divisor, dtype=input.dtype, device=input.device)
    pooled = conv2d(ag.reshape(input, n * c, 1, h, w), weight, stride=stride, padding=padding, name="avg_pool2d")
    if divisor_override is None and (any(extra) or (not count_include_pad and any(padding))):
        # each window's own divisor (a constant, so the gradient is divided alike): sum / (kh kw) * (kh kw) / count
        xp = backend.xp_of(input.data)
        counts = [_window_counts(xp, input.shape[2 + d] - extra[d], kernel[d], stride[d], padding[d],
                                 pooled.shape[2 + d], count_include_pad) for d in range(2)]
        pooled = pooled * Tensor((divisor / (counts[0][:, None] * counts[1][None, :])).astype(input.dtype))
    return ag.reshape(pooled, n, c, *pooled.shape[2:])


class AvgPool2d(Module):
    """The mean over windows (``F.avg_pool2d``): AvgPool2d(2) halves H and W, as in ProGAN's discriminator."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, kernel_size if stride is None else stride, padding
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def forward(self, x):
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _windows(padded, kernel, stride, dilation):
    """A zero-copy view of every window of an (N, C, H, W) array, its taps `dilation` pixels apart:
    (N, C, OH, OW, kh, kw) (the windows of the whole span, d (k - 1) + 1 wide, with every d-th tap kept)."""
    view = backend.sliding_windows(padded, *dilated_size(kernel, dilation), *stride)
    return view[..., :: dilation[0], :: dilation[1]]


def _add_windows(windows, shape, stride, dilation):
    """The adjoint of ``_windows``: every window (N, C, kh, kw, OH, OW) added back onto a zero image of `shape`,
    one strided += per tap (i, j), so overlapping windows add up (in tap order: the same sums on any device)."""
    xp = backend.xp_of(windows)
    _, _, kh, kw, oh, ow = windows.shape
    (sh, sw), (dh, dw) = stride, dilation
    image = xp.zeros(shape, dtype=windows.dtype)
    for i in range(kh):
        for j in range(kw):
            image[:, :, i * dh : i * dh + sh * (oh - 1) + 1 : sh, j * dw : j * dw + sw * (ow - 1) + 1 : sw] += \
                windows[:, :, i, j]
    return image


def _window_argmax(windows):
    """Which tap of each window (the last axis) holds its max, as torch's CPU loop picks it: the first largest,
    but in a window holding NaN its last NaN (the loop keeps val where val > max or isnan(val))."""
    xp = backend.xp_of(windows)
    best = windows.argmax(axis=-1)  # the first largest (NumPy's: the first NaN)
    if xp is not np or np.isnan(windows).any():  # (a GPU skips the check: reading it would wait for the device)
        nan = xp.isnan(windows)
        best = xp.where(nan.any(axis=-1), windows.shape[-1] - 1 - nan[..., ::-1].argmax(axis=-1), best)
    return best


class MaxPool2dOp(Function):
    """max over each window; the gradient goes to the window's largest value (the first one on ties, the last NaN
    in a window with NaN, as torch picks it: see ``_window_argmax``).

    The forward finds, for every window, which of its kh*kw taps holds the max (``self.argmax``);
    the gradient is then linear in the upstream gradient: a scatter of it to those positions
    (``MaxPoolScatter``), whose backward is its adjoint, the gather of the same positions (``MaxPoolGather``), and so
    on, so a penalty on D's input gradient differentiates through max pooling twice.
    `extra`: the rows and columns ceil_mode's last windows reach beyond the padding (never a max either).
    """

    def __init__(self, kernel, stride, padding, dilation=(1, 1), extra=(0, 0)):
        self.kernel, self.stride, self.padding, self.dilation, self.extra = kernel, stride, padding, dilation, extra

    def padded_shape(self, shape):
        (ph, pw), (eh, ew) = self.padding, self.extra
        return (*shape[:2], shape[2] + 2 * ph + eh, shape[3] + 2 * pw + ew)

    def windows(self, x, fill):
        """(N, C, OH, OW, kh*kw): every window of x padded with `fill`, its taps on the last axis (a copy)."""
        (ph, pw), (_, _, h, w) = self.padding, x.shape
        padded = backend.xp_of(x).full(self.padded_shape(x.shape), fill, dtype=x.dtype)
        padded[:, :, ph : ph + h, pw : pw + w] = x
        view = _windows(padded, self.kernel, self.stride, self.dilation)
        return view.reshape(*view.shape[:4], self.kernel[0] * self.kernel[1])

    def forward(self, x):
        xp = backend.xp_of(x)
        self.image_shape = x.shape
        windows = self.windows(x, -xp.inf)  # padding never wins a max
        self.argmax = _window_argmax(windows)  # the first largest (or the last NaN), as torch picks it
        y = xp.take_along_axis(windows, self.argmax[..., None], axis=-1)[..., 0]
        if any(self.padding + self.extra):  # a window of -inf only: its first pixel inside the image, as torch
            first_inside = self.windows(xp.ones((1, 1, *x.shape[2:]), dtype=bool), False).argmax(axis=-1)
            self.argmax = xp.where(y == -xp.inf, first_inside, self.argmax)
        return y

    def indices(self):
        """torch's indices of the maxima: each one's position in its (H, W) plane, row * W + column (int64)."""
        xp = backend.xp_of(self.argmax)
        kw, (sh, sw), (ph, pw), (dh, dw) = self.kernel[1], self.stride, self.padding, self.dilation
        oh, ow = self.argmax.shape[2:]
        rows = xp.arange(oh)[:, None] * sh - ph + (self.argmax // kw) * dh
        columns = xp.arange(ow) * sw - pw + (self.argmax % kw) * dw
        return (rows * self.image_shape[3] + columns).astype(np.int64)

    def gather(self, x):
        return backend.xp_of(x).take_along_axis(self.windows(x, 0), self.argmax[..., None], axis=-1)[..., 0]

    def scatter(self, gy):
        """gy into the position each window took its max from, summed where windows overlap (col2im)."""
        xp = backend.xp_of(gy)
        (kh, kw), (ph, pw) = self.kernel, self.padding
        n, c, h, w = self.image_shape
        oh, ow = gy.shape[2:]
        # (N, C, OH, OW, kh*kw): gy at the max's tap, 0 at the others (picked, not multiplied: 0 * NaN is NaN)
        spread = xp.where(xp.arange(kh * kw) == self.argmax[..., None], gy[..., None], gy.dtype.type(0))
        if self.dilation == (1, 1):
            cols = spread.reshape(n, c, oh, ow, kh, kw).transpose(1, 4, 5, 2, 3, 0).reshape(c * kh * kw, oh * ow * n)
            image = col2im(xp.ascontiguousarray(cols), self.padded_shape(self.image_shape), self.kernel, self.stride,
                           (0, 0))
        else:  # taps d pixels apart: added back one tap at a time
            windows = spread.reshape(n, c, oh, ow, kh, kw).transpose(0, 1, 4, 5, 2, 3)
            image = _add_windows(windows, self.padded_shape(self.image_shape), self.stride, self.dilation)
        return xp.ascontiguousarray(image[:, :, ph : ph + h, pw : pw + w])

    def backward(self, gy):
        # d max(window)/dx_i = 1 at the tap the forward picked (self.argmax: the largest; on a tie, where max has no
        # derivative, the first; in a window with NaN, the last NaN), 0 for the others
        return MaxPoolScatter(self)(gy)


class MaxPoolScatter(Function):
    """Max pooling's gradient: the upstream gradient put where each window's max came from."""

    def __init__(self, pool):
        self.pool = pool

    def forward(self, gy):
        return self.pool.scatter(gy)

    def backward(self, g):
        # linear in gy, so dL/dgy = gather(g): its adjoint (transpose), the gather of the same positions
        return MaxPoolGather(self.pool)(g)


class MaxPoolGather(Function):
    """The values where each window's max came from (the derivative of MaxPoolScatter)."""

    def __init__(self, pool):
        self.pool = pool

    def forward(self, x):
        return self.pool.gather(x)

    def backward(self, gy):
        # linear in x, so dL/dx = scatter(gy): its adjoint (transpose), the scatter to the same positions
        return MaxPoolScatter(self.pool)(gy)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The largest value of each kernel_size window, every `stride` pixels (stride = kernel_size when None), of
    (N, C, H, W) images or one (C, H, W); the window's taps `dilation` pixels apart. ``ceil_mode=True`` rounds
    the output size up (as ``avg_pool2d``'s). ``return_indices=True`` also returns where each max came from,
    as torch's: its position row * W + column in its (H, W) plane (int64), what ``max_unpool2d`` takes."""
    if isinstance(input, Tensor) and input.ndim == 3:  # one image (C, H, W), as torch takes it
        return unbatched(max_pool2d, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    kernel, stride, padding, dilation, extra = _pool_window("max_pool2d", input, kernel_size, stride, padding,
                                                            dilation, bool(ceil_mode))
    op = MaxPool2dOp(kernel, stride, padding, dilation, extra)
    out = op(ag._floating(input))
    return (out, Tensor(op.indices())) if return_indices else out


class MaxPool2d(Module):
    """The largest value of each window (``F.max_pool2d``): MaxPool2d(2) halves H and W."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, kernel_size if stride is None else stride, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, x):
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


def _unpool_size(input, kernel, stride, padding, output_size):
    """max_unpool2d's output (H, W): (size - 1) s - 2p + k, or `output_size` ((H, W) or (N, C, H, W)) within a
    stride of it, as torch's rule (a stride-s pool maps s sizes onto the same output)."""
    default = [(n - 1) * s - 2 * p + k for n, k, s, p in zip(input.shape[2:], kernel, stride, padding)]
    if output_size is None:
        return tuple(default)
    size = tuple(output_size)
    size = size[2:] if len(size) == 4 else size
    if len(size) != 2 or not all(_is_int(n) for n in size):
        raise ValueError(f"max_unpool2d: output_size must be (H, W) or (N, C, H, W), got {output_size!r}")
    for d in range(2):
        if not default[d] - stride[d] < size[d] < default[d] + stride[d]:
            raise ValueError(f"max_unpool2d: invalid output_size {tuple(output_size)} (dim {d} must be between "
                             f"{default[d] - stride[d]} and {default[d] + stride[d]}, exclusive, for input shape "
                             f"{tuple(input.shape)}, kernel_size={kernel}, stride={stride}, padding={padding})")
    return tuple(int(n) for n in size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of ``max_pool2d(..., return_indices=True)`` as torch's: each value put back at its index
    (row * W + column of its (H, W) plane), zeros everywhere else. Composed of ``scatter`` into zeros, so the
    gradient is the upstream gradient gathered at the same indices."""
    ag._expect_tensor(input, "max_unpool2d")
    ag._expect_tensor(indices, "max_unpool2d (indices)")
    if input.ndim == 3:  # one image (C, H, W), as torch takes it
        size = None if output_size is None else tuple(output_size)[-2:]
        return unbatched(max_unpool2d, input, indices.reshape(1, *indices.shape), kernel_size, stride, padding, size)
    kernel = _pair(kernel_size, "max_unpool2d: kernel_size")
    stride = kernel if stride is None else _pair(stride, "max_unpool2d: stride")
    padding = _pair(padding, "max_unpool2d: padding")
    if input.ndim != 4:
        raise ValueError(f"max_unpool2d: expected a 3-D (C, H, W) or 4-D input (N, C, H, W), got shape "
                         f"{tuple(input.shape)}")
    if indices.shape != input.shape or indices.dtype != np.int64:
        raise ValueError(f"max_unpool2d: indices must be int64 of the input's shape {tuple(input.shape)} (max_pool2d's "
                         f"with return_indices=True), got {indices.dtype} of shape {tuple(indices.shape)}")
    h, w = _unpool_size(input, kernel, stride, padding, output_size)
    n, c, pixels = *input.shape[:2], input.shape[2] * input.shape[3]  # (no -1 in reshapes: a batch may be empty)
    flat = indices.reshape(n, c, pixels)
    lo, hi = (int(flat.data.min()), int(flat.data.max())) if flat.numel() else (0, 0)  # (two numbers read back)
    if lo < 0 or hi >= h * w:
        raise IndexError(f"max_unpool2d: found index {lo if lo < 0 else hi} outside the output's {h} x {w} = {h * w} "
                         "pixels per plane; give the output_size of max_pool2d's input")
    zeros = ag.zeros(n, c, h * w, dtype=input.dtype, device=input.device)
    return ag.scatter(zeros, 2, flat, input.reshape(n, c, pixels)).reshape(n, c, h, w)


class MaxUnpool2d(Module):
    """The inverse of MaxPool2d(..., return_indices=True) (``F.max_unpool2d``): forward(input, indices, output_size)."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _pair(kernel_size, "MaxUnpool2d: kernel_size")  # pairs, as torch keeps them
        self.stride = _pair(kernel_size if stride is None else stride, "MaxUnpool2d: stride")
        self.padding = _pair(padding, "MaxUnpool2d: padding")

    def forward(self, input, indices, output_size=None):
        return max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _adaptive_size(name, input, output_size):
    """An adaptive pool's (OH, OW) for `input`: an int or a pair, None keeping the input's size, checked."""
    ag._expect_tensor(input, name)
    size = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(size) != 2 or not all(n is None or (_is_int(n) and n >= 1) for n in size):
        raise ValueError(f"{name}: output_size must be an int >= 1 or an (h, w) pair of them (None keeps the "
                         f"input's size), got {output_size!r}")
    if input.ndim != 4:
        raise ValueError(f"{name}: expected a 3-D (C, H, W) or 4-D input (N, C, H, W), got shape {tuple(input.shape)}")
    if min(input.shape[2:]) < 1:
        raise ValueError(f"{name}: the input's height and width must be >= 1, got shape {tuple(input.shape)}")
    return tuple(int(n) if n is not None else input.shape[2 + d] for d, n in enumerate(size))


def _adaptive_windows(xp, size, out):
    """torch's adaptive windows along one axis: window i holds pixels floor(i size/out) .. ceil((i+1) size/out) - 1.

    Returned as an (out, k) array of pixel indices, k the widest window; a narrower one repeats its last pixel
    (a repeat never changes a max, nor which pixel is first to hold it, nor which pixel holds the last NaN). Also
    each window's length."""
    i = xp.arange(out)
    start, end = i * size // out, -(-(i + 1) * size // out)
    k = int((end - start).max())
    return xp.minimum(start[:, None] + xp.arange(k), end[:, None] - 1), end - start


def adaptive_avg_pool2d(input, output_size):
    """The mean over torch's adaptive windows (``_adaptive_windows``): an (OH, OW) output for any input size.

    Averaging along each axis is a linear map, an (OH, H) matrix A_h of 1/(window length) over each window,
    so y = A_h x A_w^T (two matrix products: the gradient is the same matrices transposed). output_size=1, global
    average pooling, is the plain mean over H and W. Integer inputs give float32.
    """
    if isinstance(input, Tensor) and input.ndim == 3:  # one image (C, H, W), as torch takes it
        return unbatched(adaptive_avg_pool2d, input, output_size)
    size = _adaptive_size("adaptive_avg_pool2d", input, output_size)
    input = ag._floating(input)
    if size == (1, 1):
        return ag.mean(input, axis=(2, 3), keepdims=True)
    xp = backend.xp_of(input.data)
    out = input
    for d, n in enumerate(size):  # each axis in turn, moved last: (N, C, H, W) @ A_w^T, then the height
        pixels, lengths = _adaptive_windows(xp, input.shape[2 + d], n)
        inside = (xp.arange(input.shape[2 + d]) == pixels[:, :, None]).any(axis=1)  # (out, in): pixel in window
        a = Tensor((inside / lengths[:, None]).astype(input.dtype))
        moved = ag.transpose(out, 2 + d, -1)
        out = ag.transpose(ag.matmul(moved, ag.transpose(a, 0, 1)), 2 + d, -1)
    return out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """The max over torch's adaptive windows (``_adaptive_windows``): an (OH, OW) output for any input size.

    The position of each window's max (the first on ties, the last NaN, as torch: ``_window_argmax``) is found on
    the raw arrays; the output is then ``gather`` of those positions, so the gradient goes to them.
    ``return_indices=True`` also returns them, row * W + column in the (H, W) plane, as torch's. output_size=1 is
    a plain max over H and W.
    """
    if isinstance(input, Tensor) and input.ndim == 3:  # one image (C, H, W), as torch takes it
        return unbatched(adaptive_max_pool2d, input, output_size, return_indices)
    (oh, ow) = _adaptive_size("adaptive_max_pool2d", input, output_size)
    input = ag._floating(input)
    x, xp = input.data, backend.xp_of(input.data)
    n, c, h, w = x.shape
    rows, _ = _adaptive_windows(xp, h, oh)
    cols, _ = _adaptive_windows(xp, w, ow)
    kh, kw = rows.shape[1], cols.shape[1]
    if h % oh == 0 and w % ow == 0:  # equal windows side by side (output_size=1 too): a reshape, no copy
        windows = x.reshape(n, c, oh, kh, ow, kw)
    else:
        windows = x[:, :, rows[:, :, None, None], cols[None, None]]  # (N, C, OH, kh, OW, kw)
    best = _window_argmax(windows.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, kh * kw))
    flat = rows[xp.arange(oh)[:, None], best // kw] * w + cols[xp.arange(ow), best % kw]  # (N, C, OH, OW)
    indices = Tensor(flat.astype(np.int64))
    out = ag.gather(input.reshape(n, c, h * w), 2, indices.reshape(n, c, oh * ow)).reshape(n, c, oh, ow)
    return (out, indices) if return_indices else out


class AdaptiveAvgPool2d(Module):
    """The mean over windows that give an output of `output_size` (``F.adaptive_avg_pool2d``);
    AdaptiveAvgPool2d(1) is global average pooling."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """The max over windows that give an output of `output_size` (``F.adaptive_max_pool2d``)."""

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x):
        return adaptive_max_pool2d(x, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


def _single(value, what):
    """An int or a 1-tuple (torch's (k,)) -> an int."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not _is_int(value):
        raise TypeError(f"{what} must be an int or a 1-tuple of one, got {value!r}")
    return int(value)


def _pool1d(name, input, kernel_size, stride, padding, dilation=1, ceil_mode=False):
    """A 1-D pool's (N, C, L) input as an (N, C, 1, L) image and its settings as (1, k) ... pairs, for the 2-D
    pool; checked here first, so that an error speaks of the 1-D call."""
    ag._expect_tensor(input, name)
    k = _single(kernel_size, f"{name}: kernel_size")
    s = k if stride is None else _single(stride, f"{name}: stride")
    p, d = _single(padding, f"{name}: padding"), _single(dilation, f"{name}: dilation")
    if input.ndim != 3:
        raise ValueError(f"{name}: expected a 2-D (C, L) or 3-D input (N, C, L), got shape {tuple(input.shape)}")
    if k < 1 or s < 1 or d < 1 or not 0 <= p <= k // 2:
        raise ValueError(f"{name}: kernel_size, stride and dilation must be >= 1 and padding at most half the "
                         f"kernel, got kernel_size={k}, stride={s}, padding={p}, dilation={d}")
    if pool_output_size(input.shape[2], k, s, p, d, ceil_mode) < 1:
        raise ValueError(f"{name}: input shape {tuple(input.shape)} is shorter than the kernel {k}"
                         + (f" (dilation {d})" if d != 1 else "") + f" with padding {p}")
    return input.reshape(*input.shape[:2], 1, input.shape[2]), (1, k), (1, s), (0, p), (1, d)


def _squeeze_height(y):
    """A 2-D pool's (N, C, 1, OL) result (or (values, indices)) back to (N, C, OL)."""
    if isinstance(y, tuple):
        return tuple(_squeeze_height(t) for t in y)
    return y.reshape(*y.shape[:2], y.shape[3])


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """``max_pool2d`` along the length of (N, C, L) signals, or one (C, L): each as an (N, C, 1, L) image.
    The indices (return_indices=True) are positions along L, as torch's."""
    if isinstance(input, Tensor) and input.ndim == 2:  # one signal (C, L), as torch takes it
        return unbatched(max_pool1d, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    x, kernel, stride, padding, dilation = _pool1d("max_pool1d", input, kernel_size, stride, padding, dilation,
                                                   bool(ceil_mode))
    return _squeeze_height(max_pool2d(x, kernel, stride, padding, dilation, ceil_mode, return_indices))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """``avg_pool2d`` along the length of (N, C, L) signals, or one (C, L): each as an (N, C, 1, L) image."""
    if isinstance(input, Tensor) and input.ndim == 2:  # one signal (C, L), as torch takes it
        return unbatched(avg_pool1d, input, kernel_size, stride, padding, ceil_mode, count_include_pad)
    x, kernel, stride, padding, _ = _pool1d("avg_pool1d", input, kernel_size, stride, padding, 1, bool(ceil_mode))
    return _squeeze_height(avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad))


def _adaptive1d(name, input, output_size):
    """An adaptive 1-D pool's (N, C, L) input as (N, C, 1, L) and its output_size as (1, OL), checked."""
    ag._expect_tensor(input, name)
    size = _single(output_size, f"{name}: output_size")
    if size < 1:
        raise ValueError(f"{name}: output_size must be >= 1, got {output_size!r}")
    if input.ndim != 3 or input.shape[2] < 1:
        raise ValueError(f"{name}: expected a 2-D (C, L) or 3-D input (N, C, L) with L >= 1, got shape "
                         f"{tuple(input.shape)}")
    return input.reshape(*input.shape[:2], 1, input.shape[2]), (1, size)


def adaptive_avg_pool1d(input, output_size):
    """``adaptive_avg_pool2d`` along the length of (N, C, L) signals, or one (C, L): output length output_size."""
    if isinstance(input, Tensor) and input.ndim == 2:  # one signal (C, L), as torch takes it
        return unbatched(adaptive_avg_pool1d, input, output_size)
    return _squeeze_height(adaptive_avg_pool2d(*_adaptive1d("adaptive_avg_pool1d", input, output_size)))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """``adaptive_max_pool2d`` along the length of (N, C, L) signals, or one (C, L); indices along L."""
    if isinstance(input, Tensor) and input.ndim == 2:  # one signal (C, L), as torch takes it
        return unbatched(adaptive_max_pool1d, input, output_size, return_indices)
    x, size = _adaptive1d("adaptive_max_pool1d", input, output_size)
    return _squeeze_height(adaptive_max_pool2d(x, size, return_indices))


class MaxPool1d(MaxPool2d):
    """The largest value of each window along L (``F.max_pool1d``): (N, C, L) or (C, L)."""

    def forward(self, x):
        return max_pool1d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)


class AvgPool1d(Module):
    """The mean over windows along L (``F.avg_pool1d``): (N, C, L) or (C, L). Its settings kept as 1-tuples, as
    torch keeps them."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = (_single(kernel_size, "AvgPool1d: kernel_size"),)
        self.stride = self.kernel_size if stride is None else (_single(stride, "AvgPool1d: stride"),)
        self.padding = (_single(padding, "AvgPool1d: padding"),)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, x):
        return avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """The mean over windows that give an output of length `output_size` (``F.adaptive_avg_pool1d``)."""

    def forward(self, x):
        return adaptive_avg_pool1d(x, self.output_size)


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """The max over windows that give an output of length `output_size` (``F.adaptive_max_pool1d``)."""

    def forward(self, x):
        return adaptive_max_pool1d(x, self.output_size, self.return_indices)


def _norm_type(name, norm_type):
    """An LP pool's p: a nonzero number (inf: the largest |x|, -inf: the smallest)."""
    if not isinstance(norm_type, numbers.Real) or isinstance(norm_type, bool) or not norm_type == norm_type \
            or norm_type == 0:
        raise ValueError(f"{name}: norm_type must be a nonzero number p (2: the Euclidean norm of each window), "
                         f"got {norm_type!r}")
    return float(norm_type)


def _lp_pool(x, p, kernel, stride, ceil_mode):
    """(sum of x^p over each window)^(1/p) of (N, C, H, W), as torch computes it: avg_pool2d(x^p) times the
    window's size (so a ceil_mode window cut by the edge has its mean times the full size, torch's quirk)."""
    if abs(p) == float("inf"):  # torch's: the largest |x| of each window (p = -inf: the smallest)
        top = max_pool2d(ag.abs(x) if p > 0 else -ag.abs(x), kernel, stride, 0, 1, ceil_mode)
        return top if p > 0 else -top
    mean = avg_pool2d(x ** p, kernel, stride, 0, ceil_mode)
    # torch takes (sign(m) relu(|m|) kh kw)^(1/p): m itself, but a window of sum 0 gets gradient 0 (not inf times 0)
    nonzero = mean.data != 0
    total = ag.where(nonzero, mean, 1.0) * float(kernel[0] * kernel[1])
    return ag.where(nonzero, total ** (1.0 / p), 0.0)  # (a negative sum to a fractional power is NaN, as torch's)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of each window, (sum x^p)^(1/p), as torch's ``F.lp_pool2d``, of (N, C, H, W) images or one
    (C, H, W): p = 1 sums, p = 2 gives each window's Euclidean norm, p = inf its largest |x|. No padding;
    stride = kernel_size when None. As torch's, x^p is taken as it is (not |x|^p): an odd p with negative values
    may give negative sums, whose fractional powers are NaN."""
    if isinstance(input, Tensor) and input.ndim == 3:  # one image (C, H, W), as torch takes it
        return unbatched(lp_pool2d, input, norm_type, kernel_size, stride, ceil_mode)
    p = _norm_type("lp_pool2d", norm_type)
    kernel, stride, *_ = _pool_window("lp_pool2d", input, kernel_size, stride, 0, ceil_mode=bool(ceil_mode))
    return _lp_pool(ag._floating(input), p, kernel, stride, bool(ceil_mode))


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """``lp_pool2d`` along the length of (N, C, L) signals, or one (C, L): the p-norm of each window."""
    if isinstance(input, Tensor) and input.ndim == 2:  # one signal (C, L), as torch takes it
        return unbatched(lp_pool1d, input, norm_type, kernel_size, stride, ceil_mode)
    p = _norm_type("lp_pool1d", norm_type)
    x, kernel, stride, _, _ = _pool1d("lp_pool1d", input, kernel_size, stride, 0, 1, bool(ceil_mode))
    return _squeeze_height(_lp_pool(ag._floating(x), p, kernel, stride, bool(ceil_mode)))


class LPPool2d(Module):
    """The p-norm of each window of an image (``F.lp_pool2d``): LPPool2d(2, 3) is each 3x3 window's norm."""

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        _norm_type(type(self).__name__, norm_type)
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, x):
        return lp_pool2d(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(LPPool2d):
    """The p-norm of each window along L of (N, C, L) or (C, L) (``F.lp_pool1d``)."""

    def forward(self, x):
        return lp_pool1d(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class UnfoldOp(Function):
    """y = every (kh, kw) window of x as one column, torch's (N, C*kh*kw, L) layout, rows in (c, i, j) order."""

    def __init__(self, kernel, dilation, padding, stride):
        self.kernel, self.dilation, self.padding, self.stride = kernel, dilation, padding, stride

    def forward(self, x):
        xp = backend.xp_of(x)
        (ph, pw), (n, c, h, w) = self.padding, x.shape
        self.image_size = (h, w)
        padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
        padded[:, :, ph : ph + h, pw : pw + w] = x
        windows = _windows(padded, self.kernel, self.stride, self.dilation)  # (N, C, OH, OW, kh, kw)
        (oh, ow), (kh, kw) = windows.shape[2:4], self.kernel
        return xp.ascontiguousarray(windows.transpose(0, 1, 4, 5, 2, 3)).reshape(n, c * kh * kw, oh * ow)

    def backward(self, gy):
        # unfold is linear, so dL/dx = fold(gy): its adjoint, each column added back onto its window
        return FoldOp(self.image_size, self.kernel, self.dilation, self.padding, self.stride)(gy)


class FoldOp(Function):
    """y = the columns of x (N, C*kh*kw, L) added back onto their windows of an (N, C, H, W) image: overlaps add up."""

    def __init__(self, output_size, kernel, dilation, padding, stride):
        self.output_size, self.kernel, self.dilation, self.padding, self.stride = (output_size, kernel, dilation,
                                                                                 padding, stride)

    def forward(self, x):
        (h, w), (kh, kw), (ph, pw) = self.output_size, self.kernel, self.padding
        oh, ow = _blocks(self.output_size, self.kernel, self.dilation, self.padding, self.stride)
        n = x.shape[0]
        windows = x.reshape(n, x.shape[1] // (kh * kw), kh, kw, oh, ow)
        image = _add_windows(windows, (n, windows.shape[1], h + 2 * ph, w + 2 * pw), self.stride, self.dilation)
        return backend.xp_of(x).ascontiguousarray(image[:, :, ph : ph + h, pw : pw + w])

    def backward(self, gy):
        # fold is linear, so dL/dx = unfold(gy): its adjoint, the windows of gy as columns
        return UnfoldOp(self.kernel, self.dilation, self.padding, self.stride)(gy)


def _blocks(size, kernel, dilation, padding, stride):
    """The number of windows (OH, OW) along each axis: (size + 2p - d (k - 1) - 1) // s + 1."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, d, p, s in zip(size, kernel, dilation, padding, stride))


def _fold_settings(name, kernel_size, dilation, padding, stride):
    """unfold's and fold's settings as (h, w) pairs, checked as torch checks them."""
    kernel, dilation = _pair(kernel_size, f"{name}: kernel_size"), _pair(dilation, f"{name}: dilation")
    padding, stride = _pair(padding, f"{name}: padding"), _pair(stride, f"{name}: stride")
    if min(kernel + dilation + stride) < 1 or min(padding) < 0:
        raise ValueError(f"{name}: kernel_size, dilation and stride must be >= 1 and padding >= 0, got "
                         f"kernel_size={kernel}, dilation={dilation}, padding={padding}, stride={stride}")
    return kernel, dilation, padding, stride


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col, as torch's ``F.unfold``: every (kh, kw) window of (N, C, H, W) images as a column of
    (N, C*kh*kw, L), L = OH*OW windows, each column's rows in (c, i, j) order; one (C, H, W) gives (C*kh*kw, L).

    A convolution is then one matrix product: ``weight.reshape(O, -1) @ unfold(x, k)`` is (N, O, L), its output
    pixels. The taps are `dilation` pixels apart. The gradient is ``fold``: each column added back onto its window.
    """
    ag._expect_tensor(input, "unfold")
    if input.ndim == 3:  # one image (C, H, W), as torch takes it
        return unbatched(unfold, input, kernel_size, dilation, padding, stride)
    kernel, dilation, padding, stride = _fold_settings("unfold", kernel_size, dilation, padding, stride)
    if input.ndim != 4:
        raise ValueError(f"unfold: expected a 3-D (C, H, W) or 4-D input (N, C, H, W), got shape {tuple(input.shape)}")
    blocks = _blocks(input.shape[2:], kernel, dilation, padding, stride)
    if min(blocks) < 1:
        raise ValueError(f"unfold: input shape {tuple(input.shape)} with padding {padding} is smaller than the "
                         f"kernel {dilated_size(kernel, dilation)} (dilation {dilation}); no window fits")
    return UnfoldOp(kernel, dilation, padding, stride)(ag._floating(input))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, as torch's ``F.fold``: the columns of (N, C*kh*kw, L) (``unfold``'s layout) added back onto their
    windows of (N, C, H, W) images of output_size (H, W); overlapping windows add up. (C*kh*kw, L) gives one
    (C, H, W). The adjoint of ``unfold``, which is its gradient; fold(unfold(x)) is x times each pixel's windows.
    """
    ag._expect_tensor(input, "fold")
    if input.ndim == 2:  # the columns of one image, as torch takes them
        return unbatched(fold, input, output_size, kernel_size, dilation, padding, stride)
    size = _pair(output_size, "fold: output_size")
    kernel, dilation, padding, stride = _fold_settings("fold", kernel_size, dilation, padding, stride)
    if input.ndim != 3:
        raise ValueError(f"fold: expected a 2-D (C*kh*kw, L) or 3-D input (N, C*kh*kw, L), got shape "
                         f"{tuple(input.shape)}")
    blocks = _blocks(size, kernel, dilation, padding, stride)
    if input.shape[1] % (kernel[0] * kernel[1]):
        raise ValueError(f"fold: the input's axis 1 (C*kh*kw) must be a multiple of kernel_size {kernel}'s "
                         f"{kernel[0] * kernel[1]} taps, got shape {tuple(input.shape)}")
    if min(blocks) < 1 or input.shape[2] != blocks[0] * blocks[1]:
        raise ValueError(f"fold: output_size={size}, kernel_size={kernel}, dilation={dilation}, padding={padding}, "
                         f"stride={stride} make {blocks[0]} x {blocks[1]} windows, but the input has "
                         f"{input.shape[2]} columns (shape {tuple(input.shape)})")
    return FoldOp(size, kernel, dilation, padding, stride)(ag._floating(input))


class Unfold(Module):
    """Every window of an image as a column (``F.unfold``, im2col): (N, C, H, W) -> (N, C*kh*kw, L)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Module):
    """Columns added back onto their windows of an image (``F.fold``, col2im): (N, C*kh*kw, L) -> (N, C, H, W)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class _Pad(Module):
    """Shared code of the padding layers: padding = p (every side), or the widths (left, right) of 1-D layers,
    (left, right, top, bottom) of 2-D ones; ``F.pad`` in the layer's mode (its `value` for 'constant')."""

    mode, sides, value = "constant", 4, 0.0

    def __init__(self, padding):
        super().__init__()
        what = "(left, right)" if self.sides == 2 else "(left, right, top, bottom)"
        widths = (padding,) if _is_int(padding) else padding if isinstance(padding, (tuple, list)) else None
        if widths is None or not all(_is_int(w) for w in widths):  # (2.5, None or True)
            raise TypeError(f"{type(self).__name__}: padding must be an int or {what}, got {padding!r}")
        self.padding = (int(padding),) * self.sides if _is_int(padding) else tuple(padding)
        if len(self.padding) != self.sides:
            raise ValueError(f"{type(self).__name__}: padding must be an int or {what}, got {padding!r}")

    def forward(self, x):
        return pad(x, self.padding, self.mode, self.value if self.mode == "constant" else None)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(_Pad):
    """Zeros around the image: padding = p, or (left, right, top, bottom)."""


class ZeroPad1d(_Pad):
    """Zeros at both ends of the last axis: padding = p, or (left, right)."""

    sides = 2


class ConstantPad2d(_Pad):
    """`value` around the image (``F.pad(mode='constant')``): padding = p, or (left, right, top, bottom)."""

    def __init__(self, padding, value):
        super().__init__(padding)
        if not isinstance(value, numbers.Real):
            raise TypeError(f"{type(self).__name__}: value must be a number, got {value!r}")
        self.value = value

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(ConstantPad2d):
    """`value` at both ends of the last axis: padding = p, or (left, right)."""

    sides = 2


class ReflectionPad2d(_Pad):
    """The image mirrored at its edge pixels (``F.pad(mode='reflect')``): no hard border for the next convolution."""

    mode = "reflect"


class ReflectionPad1d(_Pad):
    """(N, C, L) or (C, L) mirrored at its end values (``F.pad(mode='reflect')``): padding = p, or (left, right)."""

    mode, sides = "reflect", 2


class ReplicationPad2d(_Pad):
    """The edge pixels repeated outwards (``F.pad(mode='replicate')``)."""

    mode = "replicate"


class ReplicationPad1d(_Pad):
    """(N, C, L) or (C, L) with its end values repeated outwards (``F.pad(mode='replicate')``)."""

    mode, sides = "replicate", 2


class CircularPad2d(_Pad):
    """The image wrapped around (``F.pad(mode='circular')``): the left border gets the rightmost columns, etc."""

    mode = "circular"


class CircularPad1d(_Pad):
    """(N, C, L) or (C, L) wrapped around (``F.pad(mode='circular')``): the left end gets the last values."""

    mode, sides = "circular", 2


def implicit_softmax_dim(x):
    """The dim torch's softmax takes when given none (with a deprecation warning there): 0 for 0-, 1- and 3-d
    inputs (one example, or one unbatched image), else 1 (the classes or channels of a batch)."""
    return 0 if x.ndim in (0, 1, 3) else 1


class Softmax(Module):
    """softmax along `dim`: each slice becomes probabilities that sum to 1."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return ag.softmax(x, dim=self._dim(x))

    def _dim(self, x):
        return implicit_softmax_dim(x) if self.dim is None else self.dim

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax) along `dim`, computed stably."""

    def forward(self, x):
        return ag.log_softmax(x, dim=self._dim(x))


class Softmax2d(Module):
    """softmax over the channels of each pixel: axis -3 of (N, C, H, W) or one (C, H, W)."""

    def forward(self, x):
        ag._expect_tensor(x, "Softmax2d")
        if x.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected a 3-D (C, H, W) or 4-D input (N, C, H, W), got shape "
                             f"{tuple(x.shape)}; for another axis use Softmax(dim)")
        return ag.softmax(x, dim=-3)
