"""Conv2d and ConvTranspose2d layers, with PyTorch's signatures, weight layouts and initialisation.

The arithmetic lives in ``minigan.conv`` (im2col + one matrix product); these
classes hold the weights and name themselves in error messages.
"""

import math

from .. import autograd as _ag
from .. import conv as _conv
from .layers import _check_sizes, _init_uniform, _place, _redraw
from .misc import pad
from .module import Module

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _check_geometry(layer, in_channels, out_channels, kernel_size, stride, padding, groups):
    """Clear errors at construction for sizes that no input could fit (else they would surface at the first call)."""
    _check_sizes(layer, in_channels=in_channels, out_channels=out_channels)
    if min(kernel_size) < 1 or min(stride) < 1 or min(padding) < 0:
        raise ValueError(
            f"{layer}: kernel_size and stride must be >= 1 and padding >= 0, "
            f"got kernel_size={kernel_size}, stride={stride}, padding={padding}"
        )
    for what, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
        if channels % groups:
            raise ValueError(f"{layer}: {what} must be divisible by groups, got {what}={channels} with "
                             f"groups={groups}; pick groups that divide both in_channels and out_channels")


def _describe(layer):
    """The layer's settings as PyTorch prints them: the defaults (no padding, a bias, ...) are left out."""
    text = f"{layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size}, stride={layer.stride}"
    if isinstance(layer.padding, str):  # 'same' or 'valid', printed as PyTorch prints it
        text += f", padding={layer.padding}"
    elif layer.padding != (0, 0):
        text += f", padding={layer.padding}"
    if layer.dilation != (1, 1):
        text += f", dilation={layer.dilation}"
    if getattr(layer, "output_padding", (0, 0)) != (0, 0):
        text += f", output_padding={layer.output_padding}"
    if layer.groups != 1:
        text += f", groups={layer.groups}"
    text += ", bias=False" if layer.bias is None else ""
    return text + (f", padding_mode={layer.padding_mode}" if layer.padding_mode != "zeros" else "")


class Conv2d(Module):
    """2-D convolution: (N, in_channels, H, W) -> (N, out_channels, OH, OW), or one image (C, H, W) -> (O, OH, OW).

    ``weight`` has PyTorch's layout (out_channels, in_channels/groups, kh, kw).
    `kernel_size`, `stride`, `padding` and `dilation` are ints or (h, w) pairs (padding
    also 'valid' or, at stride 1, 'same'), and
    OH = (H + 2 padding - dilation (kh - 1) - 1) // stride + 1. `dilation` spaces the taps,
    `groups` convolves groups of channels apart (see ``F.conv2d``), and `padding_mode`
    ('zeros', 'reflect', 'replicate', 'circular') pads with ``F.pad`` in that mode first, as PyTorch does.
    `device` and `dtype` place the new weights. Initialised like PyTorch: weight and bias ~
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = (in_channels/groups)*kh*kw.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        self.dilation, self.groups = _conv.dilation_and_groups(dilation, groups, "Conv2d")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"Conv2d: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        self.in_channels, self.out_channels, self.padding_mode = in_channels, out_channels, padding_mode
        self.kernel_size = _conv._pair(kernel_size, "Conv2d: kernel_size")
        self.stride = _conv._pair(stride, "Conv2d: stride")
        pads = _conv.conv_padding(padding, self.kernel_size, self.stride, "Conv2d", self.dilation)  # (h, w)
        self.padding = padding if isinstance(padding, str) else pads  # 'same' and 'valid' kept as words, as torch's
        _check_geometry("Conv2d", in_channels, out_channels, self.kernel_size, self.stride, pads, self.groups)
        kh, kw = self.kernel_size
        bound = 1.0 / math.sqrt(in_channels // self.groups * kh * kw)
        self.weight = _init_uniform((out_channels, in_channels // self.groups, kh, kw), bound)
        self.register_parameter("bias", _init_uniform((out_channels,), bound) if bias else None)
        _place(self, device, dtype)

    def reset_parameters(self):
        """Draw the weights again, as at construction: U(-b, b), b = 1/sqrt((in_channels/groups)*kh*kw)."""
        _redraw(self, 1.0 / math.sqrt(self.in_channels // self.groups * self.kernel_size[0] * self.kernel_size[1]))

    def forward(self, x):
        name = f"Conv2d({self.extra_repr()})"
        padding = self.padding  # ('same' may need one more row at the bottom: conv2d adds it)
        if self.padding_mode != "zeros" and isinstance(x, _ag.Tensor) and x.ndim in (3, 4):  # (else conv2d's error)
            x, padding = self._pad(x, name), 0  # pad in that mode first, then convolve without padding (as torch)
        return _conv.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups, name=name)

    def _pad(self, x, name):
        """x padded by ``F.pad`` in the layer's padding_mode: `padding` on each side (and 'same''s extra row)."""
        extra = _conv.same_padding(self.kernel_size, self.dilation)[1] if self.padding == "same" else (0, 0)
        (ph, pw), (eh, ew) = _conv.conv_padding(self.padding, self.kernel_size, self.stride, "Conv2d", self.dilation), extra
        try:
            return pad(x, (pw, pw + ew, ph, ph + eh), mode=self.padding_mode)
        except ValueError as err:  # e.g. 'reflect' by more than the image holds
            raise ValueError(f"{name}: padding_mode={self.padding_mode!r}: {err}") from None

    def extra_repr(self):
        return _describe(self)


class ConvTranspose2d(Module):
    """Transposed 2-D convolution: (N, in_channels, H, W) -> (N, out_channels, OH, OW) (or one image, no N).

    The adjoint of a Conv2d (it maps the conv's output shape back to its input
    shape), used by generators to upsample. ``weight`` has PyTorch's layout
    (in_channels, out_channels/groups, kh, kw), and
    OH = (H - 1) stride - 2 padding + dilation (kh - 1) + 1 + output_padding, with
    0 <= output_padding < stride (or < dilation). `groups` and `dilation` are as in Conv2d;
    padding_mode is 'zeros' only (as in PyTorch). Initialised like PyTorch: weight and bias ~
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) where PyTorch takes fan_in from the
    weight's second axis: (out_channels/groups)*kh*kw.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        self.dilation, self.groups = _conv.dilation_and_groups(dilation, groups, "ConvTranspose2d")
        if padding_mode != "zeros":
            raise ValueError(f"ConvTranspose2d: only padding_mode='zeros' is supported (as in PyTorch), got "
                             f"{padding_mode!r}; pad with F.pad(x, ..., mode={padding_mode!r}) before a "
                             "padding=0 layer")
        self.in_channels, self.out_channels, self.padding_mode = in_channels, out_channels, padding_mode
        self.kernel_size = _conv._pair(kernel_size, "ConvTranspose2d: kernel_size")
        self.stride = _conv._pair(stride, "ConvTranspose2d: stride")
        if isinstance(padding, str):
            raise TypeError(f"ConvTranspose2d: padding={padding!r} is not supported (PyTorch's refuses it too); "
                            "give an int or an (h, w) pair (padding=(kernel_size - stride) // 2 makes the output "
                            "stride times the input's size when kernel_size - stride is even)")
        self.padding = _conv._pair(padding, "ConvTranspose2d: padding")
        _check_geometry("ConvTranspose2d", in_channels, out_channels, self.kernel_size, self.stride, self.padding,
                        self.groups)
        self.output_padding = _conv._pair(output_padding, "ConvTranspose2d: output_padding")
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if not 0 <= op < max(s, d):
                raise ValueError(
                    f"ConvTranspose2d: output_padding must be >= 0 and smaller than the stride or the dilation, "
                    f"got output_padding={self.output_padding} with stride={self.stride}, dilation={self.dilation}"
                )
        kh, kw = self.kernel_size
        bound = 1.0 / math.sqrt(out_channels // self.groups * kh * kw)
        self.weight = _init_uniform((in_channels, out_channels // self.groups, kh, kw), bound)
        self.register_parameter("bias", _init_uniform((out_channels,), bound) if bias else None)
        _place(self, device, dtype)

    def reset_parameters(self):
        """Draw the weights again, as at construction: U(-b, b), b = 1/sqrt((out_channels/groups)*kh*kw)."""
        _redraw(self, 1.0 / math.sqrt(self.out_channels // self.groups * self.kernel_size[0] * self.kernel_size[1]))

    def forward(self, x, output_size=None):
        """`output_size` ((H, W), or (N, C, H, W) of which H and W count), as in torch, picks the output_padding
        that gives that size, in place of the layer's own. One image (C, H, W) gives one, as in torch."""
        name = f"ConvTranspose2d({self.extra_repr()})"
        output_padding = self.output_padding
        if output_size is not None and getattr(x, "ndim", None) in (3, 4):  # (any other: conv_transpose2d's error)
            output_padding = self._output_padding(x.shape[-2:], output_size, name, x.ndim)
        return _conv.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                                      self.dilation, name=name)

    def _output_padding(self, size, output_size, name, ndim):
        """The output_padding (< stride) that makes an input of spatial `size` come out as `output_size`
        ((H, W), or a whole shape of the input's `ndim` axes)."""
        wanted = tuple(output_size)[-2:] if len(output_size) == ndim else tuple(output_size)
        span = _conv.dilated_size(self.kernel_size, self.dilation)
        smallest = tuple(_conv.conv_transpose_output_size(size[d], span[d], self.stride[d], self.padding[d])
                         for d in range(2))
        largest = tuple(n + s - 1 for n, s in zip(smallest, self.stride))
        if len(wanted) != 2 or not all(_conv._is_int(n) and lo <= n <= hi for n, lo, hi in zip(wanted, smallest, largest)):
            raise ValueError(f"{name}: requested an output size of {tuple(output_size)}, but for an input of (H, W) = "
                             f"{tuple(size)} the output's (H, W) can range from {smallest} to {largest} (output_size "
                             "picks an output_padding below the stride); give (H, W) in that range")
        return tuple(n - lo for n, lo in zip(wanted, smallest))

    def extra_repr(self):
        return _describe(self)


# ------------------------------------------------------------- 1-D convolutions: the 2-D ones with a (1, k) kernel
def _single(value, what):
    """An int or a 1-tuple (torch's 1-D layers take either) as an int, or a clear error."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not _conv._is_int(value):
        raise TypeError(f"{what} must be an int or a 1-tuple of ints, got {value!r}")
    return int(value)


def _signals(x, weight, name, groups, transposed):
    """x (N, C, L) or one signal (C, L), and weight (A, B, k), as the 2-D ops take them: (N, C, 1, L), (A, B, 1, k)."""
    _ag._expect_tensor(x, name)
    _ag._expect_tensor(weight, f"{name} (weight)")
    if x.ndim not in (2, 3):
        raise ValueError(f"{name}: expected a 2-D (C, L) or 3-D input (N, C, L), got shape {tuple(x.shape)}; for "
                         "images use the 2-d convolutions")
    if weight.ndim != 3:
        raise ValueError(f"{name}: expected a 3-D weight (out_channels, in_channels/groups, kernel_size) (transposed: "
                         f"(in_channels, out_channels/groups, kernel_size)), got shape {tuple(weight.shape)}")
    valid_groups = _conv._is_int(groups) and groups > 0  # (else conv2d's error about them)
    channels = weight.shape[0] if transposed else weight.shape[1] * groups if valid_groups else None
    if channels is not None and x.shape[-2] != channels:  # (here: conv2d's error would show 2-D shapes)
        raise ValueError(f"{name}: expected input with {channels} channels, got {x.shape[-2]} (input shape "
                         f"{tuple(x.shape)}); check in_channels or the previous layer's out_channels")
    return _ag.unsqueeze(x, -2), _ag.unsqueeze(weight, -2)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, name="conv1d"):
    """1-D convolution (torch's cross-correlation) of x (N, C, L) with weight (O, C/groups, k), as torch's ``F.conv1d``:
    conv2d of (N, C, 1, L) with a (1, k) kernel. Output length (L + 2 padding - dilation (k - 1) - 1) // stride + 1;
    `padding` is also 'valid' or 'same'; `groups` as in conv2d. One signal (C, L) gives one (O, L')."""
    x, w = _signals(input, weight, name, groups, transposed=False)
    stride, dilation = _single(stride, f"{name}: stride"), _single(dilation, f"{name}: dilation")
    if not isinstance(padding, str):
        padding = _single(padding, f"{name}: padding")
        span = dilation * (w.shape[-1] - 1) + 1
        if padding >= 0 and input.shape[-1] + 2 * padding < span:
            raise ValueError(f"{name}: input length {input.shape[-1]} (+ 2 x padding {padding}) is smaller than the "
                             f"kernel {span}{' (dilated)' if dilation > 1 else ''} (input shape {tuple(input.shape)}); "
                             "use a longer input, more padding or a smaller kernel")
        padding = (0, padding)
    y = _conv.conv2d(x, w, bias, (1, stride), padding, (1, dilation), groups, name=name)
    return _ag.squeeze(y, -2)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                     name="conv_transpose1d"):
    """Transposed 1-D convolution of x (N, Cin, L) with weight (Cin, Cout/groups, k), as torch's
    ``F.conv_transpose1d``: conv_transpose2d with a (1, k) kernel. Output length
    (L - 1) stride - 2 padding + dilation (k - 1) + 1 + output_padding. One signal (Cin, L) gives one."""
    x, w = _signals(input, weight, name, groups, transposed=True)
    one = {what: _single(v, f"{name}: {what}") for what, v in
           (("stride", stride), ("padding", padding), ("output_padding", output_padding), ("dilation", dilation))}
    y = _conv.conv_transpose2d(x, w, bias, (1, one["stride"]), (0, one["padding"]), (0, one["output_padding"]),
                               groups, (1, one["dilation"]), name=name)
    return _ag.squeeze(y, -2)


def _describe_1d(layer):
    """A 1-D layer's settings as PyTorch prints them (1-tuples); the defaults are left out."""
    text = f"{layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size}, stride={layer.stride}"
    if isinstance(layer.padding, str):
        text += f", padding={layer.padding}"
    elif layer.padding != (0,):
        text += f", padding={layer.padding}"
    text += f", dilation={layer.dilation}" if layer.dilation != (1,) else ""
    text += f", output_padding={layer.output_padding}" if getattr(layer, "output_padding", (0,)) != (0,) else ""
    text += f", groups={layer.groups}" if layer.groups != 1 else ""
    text += ", bias=False" if layer.bias is None else ""
    return text + (f", padding_mode={layer.padding_mode}" if layer.padding_mode != "zeros" else "")


def _pads_1d(layer):
    """A 1-D layer's padding as a number of zeros on each side, (p,): 'valid' is 0, 'same' half the kernel's span."""
    if not isinstance(layer.padding, str):
        return layer.padding
    return (_conv.conv_padding(layer.padding, (1,) + layer.kernel_size, (1,) + layer.stride, type(layer).__name__,
                               (1,) + layer.dilation)[1],)


def _init_1d(layer, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, transposed):
    """The settings (as 1-tuples, torch's) and the weights U(-b, b), b = 1/sqrt(fan_in), of Conv1d or
    ConvTranspose1d."""
    name = type(layer).__name__
    layer.in_channels, layer.out_channels = in_channels, out_channels
    layer.kernel_size = (_single(kernel_size, f"{name}: kernel_size"),)
    layer.stride = (_single(stride, f"{name}: stride"),)
    layer.dilation = (_single(dilation, f"{name}: dilation"),)
    if layer.dilation[0] < 1:
        raise ValueError(f"{name}: dilation must be >= 1 (1 is an ordinary convolution), got dilation={dilation}")
    layer.groups = _conv.dilation_and_groups(1, groups, name)[1]
    layer.padding = padding if isinstance(padding, str) else (_single(padding, f"{name}: padding"),)  # as torch's
    _check_geometry(name, in_channels, out_channels, layer.kernel_size, layer.stride, _pads_1d(layer), layer.groups)
    fan_in = (out_channels if transposed else in_channels) // layer.groups * layer.kernel_size[0]
    shape = (in_channels, out_channels // layer.groups) if transposed else (out_channels, in_channels // layer.groups)
    bound = 1.0 / math.sqrt(fan_in)
    layer.weight = _init_uniform(shape + layer.kernel_size, bound)
    layer.register_parameter("bias", _init_uniform((out_channels,), bound) if bias else None)


class Conv1d(Module):
    """1-D convolution: (N, in_channels, L) -> (N, out_channels, L'), or one signal (C, L) -> (O, L'), as PyTorch's.

    ``weight`` has PyTorch's layout (out_channels, in_channels/groups, kernel_size); the options are
    Conv2d's, as ints (or 1-tuples): L' = (L + 2 padding - dilation (k - 1) - 1) // stride + 1, padding
    also 'valid' or (stride 1) 'same'. Initialised like PyTorch: weight and bias ~ U(-1/sqrt(fan_in),
    1/sqrt(fan_in)), fan_in = (in_channels/groups)*kernel_size. Computed by F.conv1d (a conv2d).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"Conv1d: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        self.padding_mode = padding_mode
        _init_1d(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, False)
        _place(self, device, dtype)

    def reset_parameters(self):
        """Draw the weights again, as at construction: U(-b, b), b = 1/sqrt((in_channels/groups)*kernel_size)."""
        _redraw(self, 1.0 / math.sqrt(self.in_channels // self.groups * self.kernel_size[0]))

    def forward(self, x):
        name = f"Conv1d({self.extra_repr()})"
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        if self.padding_mode != "zeros" and isinstance(x, _ag.Tensor) and x.ndim in (2, 3):  # (else conv1d's error)
            extra = self.dilation[0] * (self.kernel_size[0] - 1) % 2 if self.padding == "same" else 0
            (p,) = _pads_1d(self)
            try:  # pad in that mode first ('same''s odd one out on the right), then convolve without padding
                x, padding = pad(x, (p, p + extra), mode=self.padding_mode), 0
            except ValueError as err:  # e.g. 'reflect' by more than the signal holds
                raise ValueError(f"{name}: padding_mode={self.padding_mode!r}: {err}") from None
        return conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups, name=name)

    def extra_repr(self):
        return _describe_1d(self)


class ConvTranspose1d(Module):
    """Transposed 1-D convolution: (N, in_channels, L) -> (N, out_channels, L') (or one signal), as PyTorch's.

    ``weight`` has PyTorch's layout (in_channels, out_channels/groups, kernel_size), and
    L' = (L - 1) stride - 2 padding + dilation (k - 1) + 1 + output_padding; the options are
    ConvTranspose2d's, as ints (or 1-tuples). Initialised like PyTorch: U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    fan_in = (out_channels/groups)*kernel_size. Computed by F.conv_transpose1d (a conv_transpose2d).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f"ConvTranspose1d: only padding_mode='zeros' is supported (as in PyTorch), got "
                             f"{padding_mode!r}")
        if isinstance(padding, str):
            raise TypeError(f"ConvTranspose1d: padding={padding!r} is not supported (PyTorch's refuses it too); "
                            "give an int")
        self.padding_mode = padding_mode
        _init_1d(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, True)
        self.output_padding = (_single(output_padding, "ConvTranspose1d: output_padding"),)
        if not 0 <= self.output_padding[0] < max(self.stride[0], self.dilation[0]):
            raise ValueError(f"ConvTranspose1d: output_padding must be >= 0 and smaller than the stride or the "
                             f"dilation, got output_padding={self.output_padding} with stride={self.stride}, "
                             f"dilation={self.dilation}")
        _place(self, device, dtype)

    def reset_parameters(self):
        """Draw the weights again, as at construction: U(-b, b), b = 1/sqrt((out_channels/groups)*kernel_size)."""
        _redraw(self, 1.0 / math.sqrt(self.out_channels // self.groups * self.kernel_size[0]))

    def forward(self, x, output_size=None):
        """`output_size` ((L,), or the whole output shape) picks the output_padding that gives that length, as in
        torch, in place of the layer's own."""
        name = f"ConvTranspose1d({self.extra_repr()})"
        output_padding = self.output_padding[0]
        if output_size is not None and getattr(x, "ndim", None) in (2, 3):  # (any other: conv_transpose1d's error)
            (k,), (s,), (p,), (d,) = self.kernel_size, self.stride, self.padding, self.dilation
            smallest = _conv.conv_transpose_output_size(x.shape[-1], d * (k - 1) + 1, s, p)
            wanted = tuple(output_size)[-1:] if len(output_size) in (1, x.ndim) else ()
            if len(wanted) != 1 or not (_conv._is_int(wanted[0]) and smallest <= wanted[0] < smallest + s):
                raise ValueError(f"{name}: requested an output size of {tuple(output_size)}, but for an input of "
                                 f"length {x.shape[-1]} the output's length can range from {smallest} to "
                                 f"{smallest + s - 1} (output_size picks an output_padding below the stride); "
                                 "give a length in that range")
            output_padding = wanted[0] - smallest
        return conv_transpose1d(x, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                                self.dilation, name=name)

    def extra_repr(self):
        return _describe_1d(self)
