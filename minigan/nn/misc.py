"""Dropout, Dropout2d, Unflatten, padding (ZeroPad2d, ReflectionPad2d, ReplicationPad2d), resizing and pooling
(pad, interpolate, Upsample, PixelShuffle, AvgPool2d, MaxPool2d), Softmax."""

import numbers

import numpy as np

from .. import autograd as ag
from .. import backend
from ..autograd import Function, Tensor
from ..conv import _is_int, _pair, col2im, conv2d, conv_output_size, unbatched
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


class Unflatten(Module):
    """Split axis `dim` into `unflattened_size`, e.g. Unflatten(1, (128, 7, 7)): (N, 6272) -> (N, 128, 7, 7)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
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


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """torch's ``F.interpolate``: 'nearest' by whole factors, 'linear' (N, C, L) and 'bilinear' (N, C, H, W).

    The output size comes from `size` or from `scale_factor`. 'nearest' makes each
    pixel a block of copies (whole factors only; built from reshape and broadcast,
    so the gradient sums each block). 'linear' and 'bilinear' are linear maps
    along each axis: a (out, in) matrix whose rows hold the two weights of the
    neighbouring input pixels, so y = A_h x A_w^T, and the gradient is the same
    matrices transposed. Upsample + Conv2d is the usual cure for the checkerboard
    pattern of strided transposed convolutions (Odena et al. 2016; see lesson 7).
    """
    ag._expect_tensor(input, "interpolate")
    if mode not in ("nearest", "linear", "bilinear"):
        raise NotImplementedError(f"interpolate: mode={mode!r} is not supported ('nearest', 'linear', 'bilinear')")
    wanted = {"nearest": (3, 4), "linear": (3,), "bilinear": (4,)}[mode]
    if input.ndim not in wanted:
        shapes = " or ".join({3: "(N, C, L)", 4: "(N, C, H, W)"}[n] for n in wanted)
        raise ValueError(f"interpolate: mode={mode!r} expects {shapes}, got shape {tuple(input.shape)}")
    if antialias or recompute_scale_factor:
        raise NotImplementedError("interpolate: antialias and recompute_scale_factor are not supported")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    spatial = input.shape[2:]
    if size is not None:
        size = tuple(size) if isinstance(size, (tuple, list)) else (size,) * len(spatial)
        if len(size) != len(spatial) or not all(_is_int(n) and n >= 1 for n in size):
            raise ValueError(f"interpolate: size must give {len(spatial)} positive int lengths, one per spatial axis "
                             f"of the input shape {tuple(input.shape)}, got {size}")
    else:
        factors = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * len(spatial)
    if mode == "nearest":
        if align_corners is not None:
            raise ValueError("interpolate: align_corners does not apply to mode='nearest'")
        return _nearest(input, spatial, size, None if size is not None else factors)
    if size is None:
        if len(factors) != len(spatial) or any(not f > 0 for f in factors):
            raise ValueError(f"interpolate: scale_factor must be positive, one per axis, got {scale_factor}")
        size = tuple(int(n * f) for n, f in zip(spatial, factors))
    if len(size) != len(spatial) or min(size) < 1:
        raise ValueError(f"interpolate: size must give {len(spatial)} positive lengths, got {size}")
    out = ag._floating(input)  # integers are interpolated in float32, as tanh and dropout compute them
    for axis, (n_in, n_out) in enumerate(zip(spatial, size)):
        # torch maps output pixel d to input position (d + 1/2) / factor - 1/2 (its factor, if given, else the sizes')
        step = 1.0 / float(factors[axis]) if scale_factor is not None else n_in / n_out
        weights = _linear_weights(backend.xp_of(out.data), n_in, n_out, step, bool(align_corners), out.dtype)
        a = ag.Tensor(weights)  # (out, in): a constant, the same for every image
        moved = ag.transpose(out, 2 + axis, -1)  # the axis to resample last
        out = ag.transpose(ag.matmul(moved, ag.transpose(a, 0, 1)), 2 + axis, -1)
    return out


def _linear_weights(xp, n_in, n_out, step, align_corners, dtype):
    """The (n_out, n_in) matrix of linear interpolation: row d weights the two input pixels around
    d's source position by 1 - t and t (as torch computes it, clamped at the first pixel).

    Built with the input's array module, so on a GPU nothing is copied from the host.
    """
    d = xp.arange(n_out, dtype=np.float64)
    if align_corners:  # the corner pixels' centres line up: position d (n_in - 1) / (n_out - 1)
        source = d * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        source = xp.maximum((d + 0.5) * step - 0.5, 0.0)
    left = xp.minimum(xp.floor(source), n_in - 1)
    right = xp.minimum(left + 1, n_in - 1)  # the last pixel is its own right neighbour: its weights add to 1
    t = (source - left)[:, None]
    pixels = xp.arange(n_in, dtype=np.float64)
    weights = (pixels == left[:, None]) * (1.0 - t) + (pixels == right[:, None]) * t
    return weights.astype(dtype)


def _nearest(input, spatial, size, factors):
    """'nearest' by whole factors: (N, C, H, W) -> (N, C, H*sh, W*sw), each pixel a block of copies."""
    if size is not None:
        if len(size) != len(spatial) or any(o % i for o, i in zip(size, spatial)):
            raise NotImplementedError(f"interpolate: size {size} is not a whole multiple of the input's {spatial}; "
                                      "mode='nearest' supports whole factors only")
        factors = tuple(o // i for o, i in zip(size, spatial))
    elif len(factors) != len(spatial) or any(f != int(f) or f < 1 for f in factors):
        raise NotImplementedError(f"interpolate: scale_factor {factors} is not supported by mode='nearest'; "
                                  "only whole factors >= 1 (2, 3, ...)")
    factors = tuple(int(f) for f in factors)
    # (N, C, H, W) -> (N, C, H, 1, W, 1) -> broadcast (N, C, H, sh, W, sw) -> (N, C, H*sh, W*sw)
    spread = ag.reshape(input, *input.shape[:2], *[k for n in spatial for k in (n, 1)])
    copies = ag.broadcast_to(spread, (*input.shape[:2], *[k for n, f in zip(spatial, factors) for k in (n, f)]))
    return ag.reshape(copies, *input.shape[:2], *[n * f for n, f in zip(spatial, factors)])


class Upsample(Module):
    """Upsampling by ``F.interpolate``: Upsample(scale_factor=2) doubles H and W ('nearest' copies pixels,
    'bilinear' interpolates them)."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        if mode not in ("nearest", "linear", "bilinear"):
            raise NotImplementedError(f"Upsample: mode={mode!r} is not supported ('nearest', 'linear', 'bilinear')")
        self.size, self.mode, self.align_corners = size, mode, align_corners
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) else scale_factor

    def forward(self, x):
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self):
        what = f"scale_factor={self.scale_factor}" if self.scale_factor is not None else f"size={self.size}"
        return f"{what}, mode={self.mode!r}"


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


def _pool_window(name, input, kernel_size, stride, padding):
    """A pool's (kernel, stride, padding) as (h, w) pairs (stride = kernel when None), checked as torch checks them."""
    ag._expect_tensor(input, name)
    kernel = _pair(kernel_size, f"{name}: kernel_size")
    stride = kernel if stride is None else _pair(stride, f"{name}: stride")
    padding = _pair(padding, f"{name}: padding")
    if min(kernel + stride) < 1 or not all(0 <= p <= k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(f"{name}: kernel_size and stride must be >= 1 and padding at most half the kernel, "
                         f"got kernel_size={kernel}, stride={stride}, padding={padding}")
    if input.ndim != 4:
        raise ValueError(f"{name}: expected a 3-D (C, H, W) or 4-D input (N, C, H, W), got shape {tuple(input.shape)}")
    if any(conv_output_size(input.shape[2 + d], kernel[d], stride[d], padding[d]) < 1 for d in range(2)):
        raise ValueError(f"{name}: input shape {tuple(input.shape)} is smaller than the kernel {kernel}")
    return kernel, stride, padding


_POOL_DEFAULTS = {"dilation": 1, "ceil_mode": False, "return_indices": False}


def _refuse_unsupported(name, **settings):
    """A clear error naming each of torch's pooling settings given other than its default, which minigan computes."""
    given = [f"{key}={value!r}" for key, value in settings.items() if value != _POOL_DEFAULTS[key]]
    if given:
        defaults = ", ".join(f"{key}={_POOL_DEFAULTS[key]!r}" for key in settings)
        raise NotImplementedError(f"{name}: {', '.join(given)} is not supported (minigan computes {defaults} only); "
                                  "leave it at its default")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each kernel_size window, every `stride` pixels (stride = kernel_size when None), as torch's,
    of (N, C, H, W) images or one (C, H, W).

    Computed as a convolution of each channel on its own with a kernel of 1 / (kh kw), so the
    padding zeros count in the mean (torch's default); with ``count_include_pad=False`` each window's mean
    is over its pixels inside the image. Integer inputs give float32. ``ceil_mode=True`` is not supported.
    """
    _refuse_unsupported("avg_pool2d", ceil_mode=ceil_mode)  # first: the size check below is ceil_mode=False's
    if isinstance(input, Tensor) and input.ndim == 3:  # one image (C, H, W), as torch takes it
        return unbatched(avg_pool2d, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                         divisor_override)
    if divisor_override is not None and (not _is_int(divisor_override) or divisor_override == 0):
        raise ValueError(f"avg_pool2d: divisor_override must be a nonzero int (or None), got {divisor_override!r}")
    kernel, stride, padding = _pool_window("avg_pool2d", input, kernel_size, stride, padding)
    input = ag._floating(input)  # integers are averaged in float32 (a 1/(kh kw) kernel of integers would be 0)
    n, c, h, w = input.shape
    divisor = divisor_override or kernel[0] * kernel[1]
    weight = ag.full((1, 1, *kernel), 1.0 / divisor, dtype=input.dtype, device=input.device)
    pooled = conv2d(ag.reshape(input, n * c, 1, h, w), weight, stride=stride, padding=padding, name="avg_pool2d")
    if not count_include_pad and any(padding) and divisor_override is None:
        # the mean over each window's pixels inside the image: divided by the same pooling of an image of
        # ones, (pixels inside) / (kh kw) per window, a constant (the gradient is divided alike)
        inside = conv2d(ag.ones(1, 1, h, w, dtype=input.dtype, device=input.device), weight, stride=stride,
                        padding=padding, name="avg_pool2d")
        pooled = pooled * Tensor(1.0 / inside.data)
    return ag.reshape(pooled, n, c, *pooled.shape[2:])


class AvgPool2d(Module):
    """The mean over windows (``F.avg_pool2d``): AvgPool2d(2) halves H and W, as in ProGAN's discriminator."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, kernel_size if stride is None else stride, padding
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override
        _refuse_unsupported("AvgPool2d", ceil_mode=ceil_mode)  # when the layer is made, not at its first forward

    def forward(self, x):
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2dOp(Function):
    """max over each window; the gradient goes to the window's largest value (the first one on ties, as torch).

    The forward finds, for every window, which of its kh*kw offsets holds the max (``self.argmax``);
    the gradient is then linear in the upstream gradient: a scatter of it to those positions
    (``MaxPoolScatter``), whose backward is its adjoint, the gather of the same positions (``MaxPoolGather``), and so
    on, so a penalty on D's input gradient differentiates through max pooling twice.
    """

    def __init__(self, kernel, stride, padding):
        self.kernel, self.stride, self.padding = kernel, stride, padding

    def windows(self, x, fill):
        """(N, C, OH, OW, kh*kw): every window of x padded with `fill`, its offsets on the last axis (a copy)."""
        xp = backend.xp_of(x)
        (kh, kw), (sh, sw), (ph, pw) = self.kernel, self.stride, self.padding
        n, c, h, w = x.shape
        padded = xp.full((n, c, h + 2 * ph, w + 2 * pw), fill, dtype=x.dtype)
        padded[:, :, ph : ph + h, pw : pw + w] = x
        view = backend.sliding_windows(padded, kh, kw, sh, sw)
        return view.reshape(*view.shape[:4], kh * kw)

    def forward(self, x):
        self.image_shape = x.shape
        windows = self.windows(x, -backend.xp_of(x).inf)  # padding never wins a max
        self.argmax = windows.argmax(axis=-1)  # the first largest, as torch picks it
        return backend.xp_of(x).take_along_axis(windows, self.argmax[..., None], axis=-1)[..., 0]

    def gather(self, x):
        return backend.xp_of(x).take_along_axis(self.windows(x, 0), self.argmax[..., None], axis=-1)[..., 0]

    def scatter(self, gy):
        """gy into the position each window took its max from, summed where windows overlap (col2im)."""
        xp = backend.xp_of(gy)
        (kh, kw), (ph, pw) = self.kernel, self.padding
        n, c, h, w = self.image_shape
        oh, ow = gy.shape[2:]
        spread = (xp.arange(kh * kw) == self.argmax[..., None]) * gy[..., None]  # (N, C, OH, OW, kh*kw)
        cols = spread.reshape(n, c, oh, ow, kh, kw).transpose(1, 4, 5, 2, 3, 0).reshape(c * kh * kw, oh * ow * n)
        image = col2im(xp.ascontiguousarray(cols), (n, c, h + 2 * ph, w + 2 * pw), self.kernel, self.stride, (0, 0))
        return xp.ascontiguousarray(image[:, :, ph : ph + h, pw : pw + w])

    def backward(self, gy):
        # d max(window)/dx_i = 1 for the window's (first) largest x_i, 0 for the others
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
    (N, C, H, W) images or one (C, H, W)."""
    _refuse_unsupported("max_pool2d", dilation=dilation, ceil_mode=ceil_mode, return_indices=return_indices)
    if isinstance(input, Tensor) and input.ndim == 3:  # one image (C, H, W), as torch takes it
        return unbatched(max_pool2d, input, kernel_size, stride, padding)
    kernel, stride, padding = _pool_window("max_pool2d", input, kernel_size, stride, padding)
    return MaxPool2dOp(kernel, stride, padding)(ag._floating(input))


class MaxPool2d(Module):
    """The largest value of each window (``F.max_pool2d``): MaxPool2d(2) halves H and W."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, kernel_size if stride is None else stride, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode
        _refuse_unsupported("MaxPool2d", dilation=dilation, ceil_mode=ceil_mode, return_indices=return_indices)

    def forward(self, x):
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class ZeroPad2d(Module):
    """Zeros around the image: padding = p, or (left, right, top, bottom)."""

    mode = "constant"

    def __init__(self, padding):
        super().__init__()
        if not isinstance(padding, (int, tuple, list)):  # (2.5 or None: tuple() would fail)
            raise TypeError(f"{type(self).__name__}: padding must be an int or (left, right, top, bottom), "
                            f"got {padding!r}")
        self.padding = (padding,) * 4 if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != 4:
            raise ValueError(f"{type(self).__name__}: padding must be an int or (left, right, top, bottom), "
                             f"got {padding!r}")

    def forward(self, x):
        return pad(x, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad2d(ZeroPad2d):
    """The image mirrored at its edge pixels (``F.pad(mode='reflect')``): no hard border for the next convolution."""

    mode = "reflect"


class ReplicationPad2d(ZeroPad2d):
    """The edge pixels repeated outwards (``F.pad(mode='replicate')``)."""

    mode = "replicate"


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
