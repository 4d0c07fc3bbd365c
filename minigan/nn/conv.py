"""Conv2d and ConvTranspose2d layers, with PyTorch's signatures, weight layouts and initialisation.

The arithmetic lives in ``minigan.conv`` (im2col + one matrix product); these
classes hold the weights and name themselves in error messages.
"""

import math

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
    if getattr(layer, "padding_name", None) is not None:  # 'same' or 'valid', printed as PyTorch prints it
        text += f", padding={layer.padding_name}"
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
        self.padding = _conv.conv_padding(padding, self.kernel_size, self.stride, "Conv2d", self.dilation)  # (h, w)
        self.padding_name = padding if isinstance(padding, str) else None
        _check_geometry("Conv2d", in_channels, out_channels, self.kernel_size, self.stride, self.padding, self.groups)
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
        padding = self.padding_name or self.padding  # ('same' may need one more row at the bottom: conv2d adds it)
        if self.padding_mode != "zeros" and getattr(x, "ndim", None) in (3, 4):  # (any other: conv2d's error)
            x, padding = self._pad(x, name), 0  # pad in that mode first, then convolve without padding (as torch)
        return _conv.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups, name=name)

    def _pad(self, x, name):
        """x padded by ``F.pad`` in the layer's padding_mode: `padding` on each side (and 'same''s extra row)."""
        extra = _conv.same_padding(self.kernel_size, self.dilation)[1] if self.padding_name == "same" else (0, 0)
        (ph, pw), (eh, ew) = self.padding, extra
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
