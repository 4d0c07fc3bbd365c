"""Conv2d and ConvTranspose2d layers, with PyTorch's signatures, weight layouts and initialisation.

The arithmetic lives in ``minigan.conv`` (im2col + one matrix product); these
classes hold the weights and name themselves in error messages.
"""

import math

from .. import conv as _conv
from .layers import _check_sizes, _init_uniform, _place, _redraw
from .module import Module


def _check_geometry(layer, in_channels, out_channels, kernel_size, stride, padding):
    """Clear errors at construction for sizes that no input could fit (else they would surface at the first call)."""
    _check_sizes(layer, in_channels=in_channels, out_channels=out_channels)
    if min(kernel_size) < 1 or min(stride) < 1 or min(padding) < 0:
        raise ValueError(
            f"{layer}: kernel_size and stride must be >= 1 and padding >= 0, "
            f"got kernel_size={kernel_size}, stride={stride}, padding={padding}"
        )


def _describe(layer):
    """The layer's settings as PyTorch prints them: the defaults (no padding, a bias) are left out."""
    text = f"{layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size}, stride={layer.stride}"
    if getattr(layer, "padding_name", None) is not None:  # 'same' or 'valid', printed as PyTorch prints it
        text += f", padding={layer.padding_name}"
    elif layer.padding != (0, 0):
        text += f", padding={layer.padding}"
    if getattr(layer, "output_padding", (0, 0)) != (0, 0):
        text += f", output_padding={layer.output_padding}"
    return text + (", bias=False" if layer.bias is None else "")


class Conv2d(Module):
    """2-D convolution: (N, in_channels, H, W) -> (N, out_channels, OH, OW), or one image (C, H, W) -> (O, OH, OW).

    ``weight`` has PyTorch's layout (out_channels, in_channels, kh, kw).
    `kernel_size`, `stride` and `padding` are ints or (h, w) pairs (padding
    also 'valid' or, for odd kernels at stride 1, 'same'), and
    OH = (H + 2 padding - kh) // stride + 1. PyTorch's other arguments are
    accepted at their defaults (dilation=1, groups=1, padding_mode='zeros');
    `device` and `dtype` place the new weights. Initialised like PyTorch: weight
    and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels*kh*kw.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        _conv.torch_only_defaults("Conv2d", dilation, groups, padding_mode)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _conv._pair(kernel_size, "Conv2d: kernel_size")
        self.stride = _conv._pair(stride, "Conv2d: stride")
        self.padding = _conv.conv_padding(padding, self.kernel_size, self.stride, "Conv2d")  # as (h, w)
        self.padding_name = padding if isinstance(padding, str) else None
        _check_geometry("Conv2d", in_channels, out_channels, self.kernel_size, self.stride, self.padding)
        kh, kw = self.kernel_size
        bound = 1.0 / math.sqrt(in_channels * kh * kw)
        self.weight = _init_uniform((out_channels, in_channels, kh, kw), bound)
        self.register_parameter("bias", _init_uniform((out_channels,), bound) if bias else None)
        _place(self, device, dtype)

    def reset_parameters(self):
        """Draw the weights again, as at construction: U(-b, b), b = 1/sqrt(in_channels*kh*kw)."""
        _redraw(self, 1.0 / math.sqrt(self.in_channels * self.kernel_size[0] * self.kernel_size[1]))

    def forward(self, x):
        return _conv.conv2d(x, self.weight, self.bias, self.stride, self.padding, name=f"Conv2d({self.extra_repr()})")

    def extra_repr(self):
        return _describe(self)


class ConvTranspose2d(Module):
    """Transposed 2-D convolution: (N, in_channels, H, W) -> (N, out_channels, OH, OW) (or one image, no N).

    The adjoint of a Conv2d (it maps the conv's output shape back to its input
    shape), used by generators to upsample. ``weight`` has PyTorch's layout
    (in_channels, out_channels, kh, kw), and
    OH = (H - 1) stride - 2 padding + kh + output_padding, with
    0 <= output_padding < stride. Initialised like PyTorch: weight and bias ~
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) where PyTorch takes fan_in from the
    weight's second axis: out_channels*kh*kw.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        _conv.torch_only_defaults("ConvTranspose2d", dilation, groups, padding_mode)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _conv._pair(kernel_size, "ConvTranspose2d: kernel_size")
        self.stride = _conv._pair(stride, "ConvTranspose2d: stride")
        if isinstance(padding, str):
            raise TypeError(f"ConvTranspose2d: padding={padding!r} is not supported (PyTorch's refuses it too); "
                            "give an int or an (h, w) pair (padding=(kernel_size - stride) // 2 makes the output "
                            "stride times the input's size when kernel_size - stride is even)")
        self.padding = _conv._pair(padding, "ConvTranspose2d: padding")
        _check_geometry("ConvTranspose2d", in_channels, out_channels, self.kernel_size, self.stride, self.padding)
        self.output_padding = _conv._pair(output_padding, "ConvTranspose2d: output_padding")
        for op, s in zip(self.output_padding, self.stride):
            if not 0 <= op < s:
                raise ValueError(
                    f"ConvTranspose2d: output_padding must be >= 0 and smaller than the stride, "
                    f"got output_padding={self.output_padding} with stride={self.stride}"
                )
        kh, kw = self.kernel_size
        bound = 1.0 / math.sqrt(out_channels * kh * kw)
        self.weight = _init_uniform((in_channels, out_channels, kh, kw), bound)
        self.register_parameter("bias", _init_uniform((out_channels,), bound) if bias else None)
        _place(self, device, dtype)

    def reset_parameters(self):
        """Draw the weights again, as at construction: U(-b, b), b = 1/sqrt(out_channels*kh*kw)."""
        _redraw(self, 1.0 / math.sqrt(self.out_channels * self.kernel_size[0] * self.kernel_size[1]))

    def forward(self, x, output_size=None):
        """`output_size` ((H, W), or (N, C, H, W) of which H and W count), as in torch, picks the output_padding
        that gives that size, in place of the layer's own. One image (C, H, W) gives one, as in torch."""
        name = f"ConvTranspose2d({self.extra_repr()})"
        output_padding = self.output_padding
        if output_size is not None and getattr(x, "ndim", None) in (3, 4):  # (any other: conv_transpose2d's error)
            output_padding = self._output_padding(x.shape[-2:], output_size, name, x.ndim)
        return _conv.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, output_padding, name=name)

    def _output_padding(self, size, output_size, name, ndim):
        """The output_padding (< stride) that makes an input of spatial `size` come out as `output_size`
        ((H, W), or a whole shape of the input's `ndim` axes)."""
        wanted = tuple(output_size)[-2:] if len(output_size) == ndim else tuple(output_size)
        smallest = tuple(_conv.conv_transpose_output_size(size[d], self.kernel_size[d], self.stride[d],
                                                          self.padding[d]) for d in range(2))
        largest = tuple(n + s - 1 for n, s in zip(smallest, self.stride))
        if len(wanted) != 2 or not all(_conv._is_int(n) and lo <= n <= hi for n, lo, hi in zip(wanted, smallest, largest)):
            raise ValueError(f"{name}: requested an output size of {tuple(output_size)}, but for an input of (H, W) = "
                             f"{tuple(size)} the output's (H, W) can range from {smallest} to {largest} (output_size "
                             "picks an output_padding below the stride); give (H, W) in that range")
        return tuple(n - lo for n, lo in zip(wanted, smallest))

    def extra_repr(self):
        return _describe(self)
