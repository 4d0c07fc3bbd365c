"""2-D convolution and transposed convolution, as matrix products.

A convolution slides a (kh, kw) kernel over the input. Written out, every
output pixel is a dot product between the weights and one *patch* of the
input. ``im2col`` gathers all patches into one matrix, so that the whole
convolution becomes a single matrix product that BLAS (or cuBLAS) runs at full
speed::

    x (N, C, H, W) --im2col--> cols (C*kh*kw, OH*OW*N)
    y = W.reshape(O, C*kh*kw) @ cols          -> (O, OH*OW*N) -> (N, O, OH, OW)

``im2col`` first copies x, zero-padded, into a (C, H, W, N) layout, takes a
zero-copy strided view of every window (``backend.sliding_windows``) and then
copies that view once into a contiguous buffer, the *patch buffer*. (The batch
axis goes last so that every copy moves runs of N numbers: NumPy is slow at
copying rows of a handful of pixels.)

Memory cost of the patch buffer: it holds every input pixel once per kernel
position that covers it, i.e. C*kh*kw * N*OH*OW numbers. With stride s each
pixel is copied about kh*kw/s^2 times: a 4x4 kernel with stride 2 makes the
buffer about 4x the size of the input, a 3x3 kernel with stride 1 about 9x.
For the DCGAN discriminator's Conv2d(64, 128, 4, 2, 1) on a batch of 64
14x14 images that is 1024 x 3136 float32 = 12.8 MB (the input is 3.2 MB). The
forward pass keeps this buffer until backward, because the weight gradient
needs exactly the same patches (trading memory for one fewer copy).

``col2im`` is the adjoint of ``im2col``: it adds every column back onto the
pixels it came from. It loops over the kh*kw kernel offsets and adds a slice
each time (``+=`` on a slice of the output; the slices are laid out so that
each is one contiguous block, see ``col2im``). Overlapping patches simply add
up; there is no scatter, so the result is deterministic. (A GPU uses
``col2im_gather``, the same sums in a few large kernels.)

The transposed convolution is the adjoint of the convolution (with respect to
its input): one matrix product (every input pixel times the whole kernel, the
*stamps*) followed by ``col2im``. The stamps hold Cout*kh*kw numbers per input
pixel; when the output has about as many channels as the input or more (roughly
Cin < s*s*Cout), that buffer is large and adding it up costs more than the
product; then the same sums are computed *by phase*: every s-th output row and
column is an ordinary stride-1 convolution of the input with a subset of the
taps, so one small patch buffer and a matrix product per phase do it, with the
additions inside the product (``_conv_transpose_phases``; the layer picks the
way with the smaller buffer, and the stamps for a kernel that is no multiple of the
stride). The two convolutions are each other's backward pass:

* conv2d:            dL/dx = conv_transpose2d(dL/dy, W)
* conv_transpose2d:  dL/dx = conv2d(dL/dy, W)
* both:              dL/dW = a matrix product of gradient and patches

Every backward is written with these same differentiable ops, so gradients of
gradients work (an R1 penalty differentiates through the discriminator's
convolutions).

``dilation`` and ``groups`` are composed of these ops, so they need no backward of their own:
a dilated kernel is the kernel with d - 1 zeros between its taps (``dilate``), and groups are one
convolution per group, joined along the channel axis (``by_groups``). With their defaults, the
public functions call the one op above directly.

Layouts are PyTorch's: inputs (N, C, H, W); conv weights (out, in/groups, kh, kw);
transposed-conv weights (in, out/groups, kh, kw). Only the order in memory of an
output differs: on the CPU a convolution returns an (N, C, H, W) *view* of
the (C, H, W, N) array its matrix product wrote, the batch axis innermost
(``_batch_first``). Batch norm and activations keep that layout, and the next
convolution reads it as channel rows without a copy (``_to_channel_rows``).
Copying to the usual order and back at every layer took about a tenth of a
DCGAN iteration. (PyTorch's ``channels_last`` is the same idea with the
channel axis innermost.)
"""

import numbers

from . import backend
from .autograd import Function, Pad, _expect_tensor, cat


# ----------------------------------------------------------------- helpers
def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _pair(value, what):
    """An int or an (h, w) pair -> an (h, w) tuple of ints."""
    if _is_int(value):
        return (int(value), int(value))
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        return (int(value[0]), int(value[1]))
    raise TypeError(f"{what} must be an int or an (h, w) pair of ints, got {value!r}")


def conv_output_size(size, kernel, stride, padding):
    """Output length of a convolution along one axis: (size + 2p - k) // s + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def conv_transpose_output_size(size, kernel, stride, padding, output_padding=0):
    """Output length of a transposed convolution: (size - 1) s - 2p + k + output_padding."""
    return (size - 1) * stride - 2 * padding + kernel + output_padding


def _patches(padded, kernel, stride):
    """Every (kh, kw) window of a (C, H, W, N) buffer, taken every (sh, sw) pixels: (C*kh*kw, OH*OW*N).

    ``backend.sliding_windows`` gives a zero-copy strided view of all windows;
    one copy turns it into the contiguous *patch buffer*.
    """
    (kh, kw), (sh, sw) = kernel, stride
    c, n = padded.shape[0], padded.shape[3]
    windows = backend.sliding_windows(padded.transpose(3, 0, 1, 2), kh, kw, sh, sw)  # (N, C, OH, OW, kh, kw)
    oh, ow = windows.shape[2:4]
    cols = backend.xp_of(padded).ascontiguousarray(windows.transpose(1, 4, 5, 2, 3, 0))  # (C, kh, kw, OH, OW, N)
    return cols.reshape(c * kh * kw, oh * ow * n)


def im2col(x, kernel, stride, padding):
    """Patches of `x` (N, C, H, W) as a matrix (C*kh*kw, OH*OW*N): one column per output pixel.

    Row order is (c, i, j), matching ``weight.reshape(O, C*kh*kw)``; column
    order is (oh, ow, n). The batch axis is innermost on purpose: every copy
    then moves runs of N contiguous numbers instead of rows of a few
    pixels, which is several times faster in NumPy.
    """
    (ph, pw) = padding
    n, c, h, w = x.shape
    # zero-padded copy of x with the batch axis last: (C, H + 2ph, W + 2pw, N)
    padded = backend.xp_of(x).zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)
    padded[:, ph : ph + h, pw : pw + w, :] = x.transpose(1, 2, 3, 0)
    return _patches(padded, kernel, stride)


def phase_grid(h, w, kernel, stride, padding):
    """Rows and columns (QH, QW) of each *phase image* that ``col2im`` adds into.

    Split the zero-padded image by pixel phase: pixel (s*q + a, s*r + b) is
    pixel (q, r) of phase image (a, b), for a, b < s. Kernel offset i = s*u + a
    sends output row oh to phase row q = oh + u, so a phase image needs
    OH + ceil(kh/s) - 1 rows (and at least the padded image's), likewise for columns.
    """
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = conv_output_size(h, kh, sh, ph), conv_output_size(w, kw, sw, pw)
    qh = max(oh + -(-kh // sh) - 1, -(-(h + 2 * ph) // sh))
    qw = max(ow + -(-kw // sw) - 1, -(-(w + 2 * pw) // sw))
    return qh, qw


def col2im(cols, shape, kernel, stride, padding):
    """The adjoint of ``im2col``: add each column of `cols` back onto its patch of an (N, C, H, W) image.

    `cols` is (C*kh*kw, OH*OW*N) as ``im2col`` makes it, or, faster, with every
    row of OW output pixels padded with zeros to QW = ``phase_grid(...)[1]``
    pixels: (C*kh*kw, OH*QW*N). The transposed convolution writes that layout
    directly (``_widen`` before its matrix product).

    The definition is one strided ``+=`` per kernel offset (i, j) into the
    padded image, ``image[:, i::s, j::s] += cols[:, i, j]`` (the loop in the
    tests). Here the same sums, in the same order, go into the s*s *phase
    images* of ``phase_grid``: kernel offset (i, j) = (s*u + a, s*v + b) adds
    cols[:, i, j] at (u, v) of phase image (a, b), a stride-1 block. With rows
    padded to the phase image's width QW, that block is one contiguous run of
    memory per channel (a row that runs past the right edge spills into the
    next row's first pixels, but the padding columns it spills are zeros).
    NumPy adds such runs about twice as fast as the strided slices (the padding
    makes the matrix product before this QW/OW times as big, 15/14 for the DCGAN's
    ConvTranspose2d(64, 1): still a net gain).
    (On a GPU, ``col2im_gather`` computes the same sums with a few large kernels.)
    """
    if backend.device_of(cols) != "cpu":
        return col2im_gather(cols, shape, kernel, stride, padding)
    n, c, h, w = shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = conv_output_size(h, kh, sh, ph), conv_output_size(w, kw, sw, pw)
    qh, qw = phase_grid(h, w, kernel, stride, padding)
    xp = backend.xp_of(cols)
    if cols.shape[1] == oh * ow * n and ow != qw:  # im2col's layout: pad each row with zeros (one copy)
        cols = _widen(cols, oh, ow, qw)
    run = oh * qw * n  # one channel's block of one kernel offset: OH rows of QW pixels
    cols = cols.reshape(c, kh, kw, run)
    phases = xp.zeros((c, sh, sw, (qh + 1) * qw * n), dtype=cols.dtype)  # one spare row for the spill
    for i in range(kh):
        for j in range(kw):
            start = ((i // sh) * qw + j // sw) * n  # pixel (u, v) of phase image (i mod s, j mod s)
            phases[:, i % sh, j % sw, start : start + run] += cols[:, i, j]
    phases = phases.reshape(c, sh, sw, qh + 1, qw, n)
    # back to one image without the zero padding: pixel y of the image is pixel y + p of the padded one
    image = xp.empty((c, h, w, n), dtype=cols.dtype)
    for a in range(sh):
        for b in range(sw):
            y0, x0 = (a - ph) % sh, (b - pw) % sw  # first image row (column) in phase a (b)
            q0, r0 = (y0 + ph) // sh, (x0 + pw) // sw
            rows, columns = len(range(y0, h, sh)), len(range(x0, w, sw))
            image[:, y0::sh, x0::sw, :] = phases[:, a, b, q0 : q0 + rows, r0 : r0 + columns, :]
    return _batch_first(image)


def col2im_gather(cols, shape, kernel, stride, padding):
    """``col2im`` written as a gather: each image pixel sums the few column entries that touch it.

    Split the kernel offset i = a + s*u (a = i mod s, the pixel's *phase*; u < T = ceil(k/s)).
    Padded pixel row s*q + a then receives column row i = a + s*u from output row oh = q - u,
    so   image[a, q] = sum over u of cols[a + s*u, q - u]   (and likewise along the width).
    With `cols` zero-padded, the terms for all (a, u, q) are one strided view, and the
    sums are one reduction over (u, v): 16 strided adds become about five large kernels.
    That matters on a GPU, where each small kernel costs more to launch than to run;
    on the CPU the loop in ``col2im`` is faster. Same numbers either way (tested).
    `cols` comes in either layout of ``col2im``.
    """
    n, c, h, w = shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = conv_output_size(h, kh, sh, ph), conv_output_size(w, kw, sw, pw)
    th, tw = -(-kh // sh), -(-kw // sw)  # kernel taps per phase
    qh, qw = phase_grid(h, w, kernel, stride, padding)
    xp = backend.xp_of(cols)
    # zeros around the columns: kernel axes up to a multiple of the stride, output axes by th-1 (tw-1) in front
    big = xp.zeros((c, sh * th, sw * tw, qh + th - 1, qw + tw - 1, n), dtype=cols.dtype)
    given_width = cols.shape[1] // (oh * n)  # OW (im2col's layout) or QW (rows padded with zeros)
    big[:, :kh, :kw, th - 1 : th - 1 + oh, tw - 1 : tw - 1 + ow, :] = cols.reshape(c, kh, kw, oh, given_width, n)[..., :ow, :]
    s_c, s_i, s_j, s_oh, s_ow, s_n = big.strides
    terms = xp.lib.stride_tricks.as_strided(  # terms[c, a, b, u, v, q, r, n] = big[c, a + s u, b + s v, q - u, r - v, n]
        big[:, :, :, th - 1 :, tw - 1 :, :],
        shape=(c, sh, sw, th, tw, qh, qw, n),
        strides=(s_c, s_i, s_j, sh * s_i - s_oh, sw * s_j - s_ow, s_oh, s_ow, s_n),
    )
    phases = terms.sum(axis=(3, 4))  # (C, sh, sw, qh, qw, N)
    padded = phases.transpose(0, 3, 1, 4, 2, 5).reshape(c, qh * sh, qw * sw, n)  # interleave the phases
    return _batch_first(padded[:, ph : ph + h, pw : pw + w, :])


def _phase_range(phase, stride, padding, size):
    """The rows q of one output phase: output row y = s*q + phase - p lies in [0, size) for q in [lo, hi)."""
    return -(-(padding - phase) // stride), -(-(size + padding - phase) // stride)


def _conv_transpose_stamps(x_rows, x_shape, w, out_size, kernel, stride, padding):
    """conv_transpose2d by its definition: every input pixel times the whole kernel, then ``col2im``.

    x comes as channel rows (Cin, H*W*N), w is (Cin, Cout, kh, kw). The product
    makes the *stamps* (Cout*kh*kw, H*W*N): a buffer of Cout*kh*kw numbers per input pixel.
    """
    n, _, h, wd = x_shape
    if backend.device_of(x_rows) == "cpu":  # rows padded with zeros to the width col2im adds fastest
        x_rows = _widen(x_rows, h, wd, phase_grid(*out_size, kernel, stride, padding)[1])
    stamps = w.reshape(w.shape[0], -1).T @ x_rows
    return col2im(stamps, (n, w.shape[1], *out_size), kernel, stride, padding)


def _conv_transpose_phases(x_rows, x_shape, w, out_size, kernel, stride, padding):
    """conv_transpose2d as s*s stride-1 convolutions, one per output *phase*: the same sums as the stamps.

    x comes as channel rows (Cin, H*W*N), w is (Cin, Cout, kh, kw). By
    definition every input pixel h stamps the whole kernel onto the output,
    s pixels apart: output row y receives w[i] x[h] wherever y + p = s*h + i.
    Split the kernel offset as i = a + s*u (a < s) and
    the output by *phase*, y + p = s*q + a: then h = q - u. So the output rows
    of one phase a (every s-th row) are an ordinary stride-1 convolution of x
    with the taps w[a], w[a + s], w[a + 2s], ... in reverse order; likewise
    for columns. All s*s phases use the same T x T windows of x
    (T = ceil(k/s)), so one patch buffer serves them all, and the matrix
    product does the adding. The phases are then interleaved into the image.
    Each output pixel is the same sum of products; no scatter, deterministic.
    The buffer holds Cin*T*T numbers per phase pixel (about as many phase pixels as input pixels).
    """
    n, cin, h, wd = x_shape
    cout = w.shape[1]
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    th, tw = -(-kh // sh), -(-kw // sw)  # taps per phase
    rows_of = [_phase_range(a, sh, ph, out_size[0]) for a in range(sh)]  # q range of each row phase
    cols_of = [_phase_range(b, sw, pw, out_size[1]) for b in range(sw)]
    q0, r0 = min(lo for lo, _ in rows_of), min(lo for lo, _ in cols_of)
    qh, qw = max(hi for _, hi in rows_of) - q0, max(hi for _, hi in cols_of) - r0
    xp = backend.xp_of(x_rows)
    # x zero-padded so that window (q, r) holds input pixels (q - u, r - v), u < th, v < tw
    top, left = q0 - (th - 1), r0 - (tw - 1)  # the input row (column) at the buffer's first row (column)
    padded = xp.zeros((cin, qh + th - 1, qw + tw - 1, n), dtype=x_rows.dtype)
    y0, y1 = max(0, top), min(h, top + padded.shape[1])
    x0, x1 = max(0, left), min(wd, left + padded.shape[2])
    padded[:, y0 - top : y1 - top, x0 - left : x1 - left] = x_rows.reshape(cin, h, wd, n)[:, y0:y1, x0:x1]
    cols = _patches(padded, (th, tw), (1, 1))  # (Cin*th*tw, QH*QW*N)
    # the taps: w[., ., a + s*u, b + s*v] meets window offset (th-1-u, tw-1-v); kernel zero-padded to (s*th, s*tw)
    if (kh, kw) != (sh * th, sw * tw):
        full = xp.zeros((cin, cout, sh * th, sw * tw), dtype=w.dtype)
        full[:, :, :kh, :kw] = w
        w = full
    taps = w.reshape(cin, cout, th, sh, tw, sw)[:, :, ::-1, :, ::-1, :]  # (ci, co, th-1-u, a, tw-1-v, b)
    taps = xp.ascontiguousarray(taps.transpose(3, 0, 2, 4, 5, 1)).reshape(sh, cin * th * tw, sw * cout)
    image = xp.empty((cout, *out_size, n), dtype=x_rows.dtype)
    for a, (lo, hi) in enumerate(rows_of):
        if hi <= lo:  # an output smaller than the stride can miss a phase
            continue
        block = cols[:, (lo - q0) * qw * n : (hi - q0) * qw * n]  # the windows of this phase's rows
        out = (taps[a].T @ block).reshape(sw, cout, hi - lo, qw, n)  # every column phase b at once
        for b, (left_r, right_r) in enumerate(cols_of):
            image[:, sh * lo + a - ph :: sh, sw * left_r + b - pw :: sw, :] = out[b, :, :, left_r - r0 : right_r - r0, :]
    return _batch_first(image)


def _conv_transpose(x_rows, x_shape, w, out_size, kernel, stride, padding):
    """conv_transpose2d of x (as channel rows) with w: whichever of the two ways makes the smaller buffer.

    The stamps need Cout*kh*kw numbers per input pixel, the phase patches
    Cin*T*T (T = ceil(k/s)) per phase pixel, and there are about as many
    phase pixels as input pixels. Copying the buffer is most of the cost
    beyond the matrix product: the DCGAN's ConvTranspose2d(128, 64) makes 2x
    fewer numbers by phases, its ConvTranspose2d(64, 1) 16x fewer by stamps.
    A kernel that is no multiple of the stride (3 with stride 2) always takes the stamps: the phases would
    pad it with zero taps, which cost products for nothing and meet input pixels that are no taps of theirs,
    where 0 * inf = NaN would spread an inf or NaN beyond the outputs it reaches. (With fewer input than
    output channels that costs time: ConvTranspose2d(16, 256, 3, 2) on 7x7 took 18 ms by stamps, 9 by phases.)
    """
    cin, cout = w.shape[0], w.shape[1]
    (kh, kw), (sh, sw) = kernel, stride
    stamps = cout * kh * kw * x_shape[2] * x_shape[3]
    phases = cin * -(-kh // sh) * -(-kw // sw) * -(-out_size[0] // sh) * -(-out_size[1] // sw)
    whole = kh % sh == 0 and kw % sw == 0  # taps per phase all alike: no zero taps
    way = _conv_transpose_phases if whole and phases < stamps else _conv_transpose_stamps
    return way(x_rows, x_shape, w, out_size, kernel, stride, padding)


def _to_channel_rows(a):
    """(N, C, H, W) -> (C, H*W*N): channels as rows, pixels in im2col's column order (oh, ow, n).

    Free for a batch-innermost array (a convolution's output, see ``_batch_first``); otherwise one copy.
    """
    return backend.batch_innermost(a).transpose(1, 2, 3, 0).reshape(a.shape[1], -1)


def _widen(rows, h, w, width):
    """Rows of (H, W, N) pixels, (R, H*W*N) -> (R, H*width*N): each image row padded with zeros to `width` pixels.

    The layout ``col2im`` adds fastest (see there).
    """
    r, n = rows.shape[0], rows.shape[1] // (h * w)
    wide = backend.xp_of(rows).zeros((r, h, width, n), dtype=rows.dtype)
    wide[:, :, :w, :] = rows.reshape(r, h, w, n)
    return wide.reshape(r, -1)


def _batch_first(a):
    """(C, H, W, N) -> (N, C, H, W): on the CPU a view of the same memory, no copy.

    The result is *batch-innermost* (``backend.is_batch_innermost``): the
    values and shape PyTorch gives, another order in memory. Batch norm and
    activations keep that layout, and the next convolution reads it as channel
    rows for free. On a GPU it is copied to the usual C order (one kernel).
    """
    if backend.device_of(a) != "cpu":
        return backend.xp_of(a).ascontiguousarray(a.transpose(3, 0, 1, 2))
    return a.transpose(3, 0, 1, 2)


def _add_bias(y, b):
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


# --------------------------------------------------------------------- ops
class Conv2dOp(Function):
    """y = conv2d(x, W) + b, a cross-correlation as in PyTorch."""

    def __init__(self, kernel, stride, padding):
        self.kernel, self.stride, self.padding = kernel, stride, padding

    def forward(self, x, w, b=None):
        n, o = x.shape[0], w.shape[0]
        oh = conv_output_size(x.shape[2], self.kernel[0], self.stride[0], self.padding[0])
        ow = conv_output_size(x.shape[3], self.kernel[1], self.stride[1], self.padding[1])
        self.cols = im2col(x, self.kernel, self.stride, self.padding)  # kept for the weight gradient
        y = w.reshape(o, -1) @ self.cols  # (O, OH*OW*N): the one big matrix product
        return _add_bias(_batch_first(y.reshape(o, oh, ow, n)), b)

    def backward(self, gy):
        # gx = conv_transpose2d(gy, W);  gW = gy (channel rows) @ patches(x)^T;  gb = gy summed over (N, OH, OW)
        x, w = self.inputs[0], self.inputs[1]
        need = self.needs_input_grad
        cols, self.cols = self.cols, None  # hand the patch buffer over (a second backward recomputes it)
        gy_rows = _to_channel_rows(gy.data) if need[0] or need[1] else None  # both products below use it: copy once
        gx = gw = gb = None
        if need[0]:
            gx = _conv_input_grad(gy, w, x.shape, self.kernel, self.stride, self.padding, gy_rows)
        if need[1]:
            gw = Conv2dWeightGrad(self.kernel, self.stride, self.padding, cols, gy_rows)(x, gy)
        if len(self.inputs) == 3 and need[2]:
            gb = gy.sum(axis=(0, 2, 3))
        return gx, gw, gb


class Conv2dWeightGrad(Function):
    """dL/dW of a convolution: gw[o, c, i, j] = sum over n, oh, ow of gy[n, o, oh, ow] * xpad[n, c, oh*s + i, ow*s + j].

    A function of both the conv input `x` and the output gradient `gy`, so it
    can be differentiated again. `cols` may hand over im2col(x) from the forward pass,
    `gy_rows` gy as channel rows (``_to_channel_rows(gy)``) when the caller has them.
    """

    def __init__(self, kernel, stride, padding, cols=None, gy_rows=None):
        self.kernel, self.stride, self.padding, self.cols, self.gy_rows = kernel, stride, padding, cols, gy_rows

    def forward(self, x, gy):
        cols = self.cols if self.cols is not None else im2col(x, self.kernel, self.stride, self.padding)
        gy_rows = self.gy_rows if self.gy_rows is not None else _to_channel_rows(gy)
        self.cols = self.gy_rows = None  # not needed any more: free the buffers
        o, c = gy.shape[1], x.shape[1]
        # (O, OH*OW*N) @ (OH*OW*N, C*kh*kw). OpenBLAS is faster with the taller factor on the
        # left (~10% for the DCGAN's 1024 patch rows against 128 channels, ~40% for 64 channels
        # against 16 patch rows), so with more patch rows it computes the transpose and copies
        # it back into C order, the weight's layout, which the optimizer's passes read alike
        if o >= cols.shape[0]:
            return (gy_rows @ cols.T).reshape(o, c, *self.kernel)
        return backend.transposed_copy(cols @ gy_rows.T).reshape(o, c, *self.kernel)

    def backward(self, ggw):
        # gw is bilinear in (x, gy):  d<ggw, gw>/dgy = conv2d(x, ggw),  d<ggw, gw>/dx = conv_transpose2d(gy, ggw)
        x, gy = self.inputs
        gx = ggy = None
        if self.needs_input_grad[0]:
            gx = _conv_input_grad(gy, ggw, x.shape, self.kernel, self.stride, self.padding)
        if self.needs_input_grad[1]:
            ggy = Conv2dOp(self.kernel, self.stride, self.padding)(x, ggw)
        return gx, ggy


class ConvTranspose2dOp(Function):
    """y = conv_transpose2d(x, W) + b: the adjoint of conv2d(., W) with respect to its input."""

    def __init__(self, kernel, stride, padding, output_padding, x_rows=None):
        self.kernel, self.stride, self.padding, self.output_padding = kernel, stride, padding, output_padding
        self.x_rows = x_rows  # x as channel rows, when the caller has them already

    def forward(self, x, w, b=None):
        out_size = tuple(
            conv_transpose_output_size(s, self.kernel[d], self.stride[d], self.padding[d], self.output_padding[d])
            for d, s in enumerate(x.shape[2:])
        )
        rows = self.x_rows if self.x_rows is not None else _to_channel_rows(x)
        self.x_rows = rows  # kept: the weight gradient needs x in this layout too
        y = _conv_transpose(rows, x.shape, w, out_size, self.kernel, self.stride, self.padding)
        return _add_bias(y, b)

    def backward(self, gy):
        # gx = conv2d(gy, W);  gW = x (channel rows) @ patches(gy)^T;  gb = gy summed over (N, OH, OW)
        x, w = self.inputs[0], self.inputs[1]
        need = self.needs_input_grad
        x_rows, self.x_rows = self.x_rows, None  # hand x's rows over (a second backward recomputes them)
        gx = gw = gb = cols = None
        if need[0]:
            conv = Conv2dOp(self.kernel, self.stride, self.padding)
            gx = conv(gy, w)
            cols = conv.cols  # the patches of gy: the weight gradient needs the same ones
        if need[1]:
            # the roles swap: gy is the "input" whose patches meet x, the "output gradient"
            gw = Conv2dWeightGrad(self.kernel, self.stride, self.padding, cols, x_rows)(gy, x)
        if len(self.inputs) == 3 and need[2]:
            gb = gy.sum(axis=(0, 2, 3))
        return gx, gw, gb


def _conv_input_grad(gy, w, x_shape, kernel, stride, padding, gy_rows=None):
    """conv_transpose2d(gy, w) sized like the conv's input x (`gy_rows`: gy as channel rows, if at hand).

    With stride > 1 several input sizes give the same output size; the
    output_padding restores the rows/columns the forward stride skipped at the far edge.
    """
    extra = tuple(
        x_shape[2 + d] - conv_transpose_output_size(gy.shape[2 + d], kernel[d], stride[d], padding[d]) for d in range(2)
    )
    return ConvTranspose2dOp(kernel, stride, padding, extra, gy_rows)(gy, w)


# ---------------------------------------------------------- user functions
def _check(x, weight, bias, name, channel_axis, groups=1):
    """Shape, dtype and bias checks shared by conv2d and conv_transpose2d (which have checked that x is a Tensor)."""
    _expect_tensor(weight, f"{name} (weight)")
    if bias is not None:
        _expect_tensor(bias, f"{name} (bias)")
    if x.ndim != 4:
        raise ValueError(
            f"{name}: expected a 3-D (C, H, W) or 4-D input (N, C, H, W), got shape {tuple(x.shape)}; "
            + ("add the missing axes with x.reshape(...) or unflatten with nn.Unflatten" if x.ndim < 3 else
               "merge the extra axes into the batch axis with x.reshape(-1, *x.shape[-3:])")
        )
    if weight.ndim != 4:
        raise ValueError(f"{name}: expected a 4-D weight, got shape {tuple(weight.shape)}")
    if weight.shape[0] % groups or weight.shape[0] == 0:
        raise ValueError(
            f"{name}: groups={groups} splits the weight's first axis ({('in', 'out')[channel_axis]}_channels) "
            f"into {groups} equal parts, but it has size {weight.shape[0]} (weight shape {tuple(weight.shape)}); "
            f"use a weight whose first axis is a positive multiple of {groups}"
        )
    expected = weight.shape[1] * groups if channel_axis == 1 else weight.shape[0]  # conv: (O, C/groups, kh, kw)
    if x.shape[1] != expected:
        per_group = f" (groups={groups} x the weight's {weight.shape[1]} per group)" if channel_axis else ""
        per_group = per_group if groups > 1 else ""
        raise ValueError(
            f"{name}: expected input with {expected} channels{per_group}, got {x.shape[1]} "
            f"(input shape {tuple(x.shape)}); check in_channels or the previous layer's out_channels"
        )
    if x.dtype != weight.dtype:
        raise TypeError(f"{name}: input dtype {x.dtype} but weight dtype {weight.dtype}; convert with .to(dtype=...)")
    out_channels = weight.shape[0] if channel_axis == 1 else weight.shape[1] * groups  # transposed: (C, O/groups, ...)
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ValueError(f"{name}: bias must have shape ({out_channels},), got {tuple(bias.shape)}")
    if bias is not None and bias.dtype != weight.dtype:
        raise TypeError(f"{name}: bias dtype {bias.dtype} but weight dtype {weight.dtype}; convert with .to(dtype=...)")


def unbatched(fn, x, *args, **kwargs):
    """`fn` of one image x (C, H, W), as torch takes it: computed as a batch of one, whose batch axis is dropped
    (from each result, when `fn` returns several, as a pool's (values, indices))."""
    y = fn(x.reshape(1, *x.shape), *args, **kwargs)
    return tuple(t.reshape(*t.shape[1:]) for t in y) if isinstance(y, tuple) else y.reshape(*y.shape[1:])


def dilation_and_groups(dilation, groups, name):
    """`dilation` as an (h, w) pair of ints >= 1 and `groups` as an int >= 1, or a clear error."""
    dilation = _pair(dilation, f"{name}: dilation")
    if min(dilation) < 1:
        raise ValueError(f"{name}: dilation must be >= 1 (1 is an ordinary convolution), got dilation={dilation}")
    if not _is_int(groups):
        raise TypeError(f"{name}: groups must be an int, got {groups!r}")
    if groups < 1:
        raise ValueError(f"{name}: groups must be a positive integer (1 joins every input channel to every "
                         f"output channel), got groups={groups}")
    return dilation, int(groups)


def dilated_size(kernel, dilation):
    """The span of a kernel whose taps lie `dilation` pixels apart: d (k - 1) + 1 per axis."""
    return tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))


def same_padding(kernel, dilation):
    """padding='same' as torch pads: d (k - 1) rows in all, the odd one out (if any) at the bottom (right).

    Returns the padding on each side, (h, w), and the extra row and column at the far edges, (h, w).
    """
    total = tuple(d * (k - 1) for k, d in zip(kernel, dilation))
    return tuple(t // 2 for t in total), tuple(t % 2 for t in total)


def conv_padding(padding, kernel, stride, name, dilation=(1, 1)):
    """`padding` as an (h, w) pair; PyTorch's 'valid' is no padding, 'same' keeps the size at stride 1.

    For 'same' this is the padding on each side; ``same_padding`` also gives the extra row or
    column that an even kernel (or dilation) needs at the far edges.
    """
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        if _pair(stride, f"{name}: stride") != (1, 1):
            raise ValueError(f"{name}: padding='same' needs stride 1 (as in PyTorch), got stride={stride!r}")
        return same_padding(kernel, dilation)[0]
    if isinstance(padding, str):
        raise ValueError(f"{name}: padding must be an int, an (h, w) pair, 'valid' or 'same', got {padding!r}")
    return _pair(padding, f"{name}: padding")


def dilate(weight, dilation, extra=(0, 0)):
    """The kernel with d - 1 zeros between its taps: (A, B, kh, kw) -> (A, B, d (kh - 1) + 1, d (kw - 1) + 1).

    An ordinary convolution with it is the dilated convolution (taps d pixels apart), and the
    same holds for the transposed one. Built from differentiable ops (pad each tap with d - 1
    zeros below and to the right, reshape, cut off the last zeros), so gradients of any order
    come for free. `extra` keeps that many of the last zero rows (columns), < d.
    One difference from torch: an inf or NaN input pixel also meets the zeros, and inf * 0 is
    NaN, so outputs whose taps skip that pixel are NaN here, where torch's are numbers.
    """
    if dilation == (1, 1) and extra == (0, 0):
        return weight
    (dh, dw), (eh, ew) = dilation, extra
    a, b, kh, kw = weight.shape
    spread = Pad(((0, 0), (0, 0), (0, 0), (0, dh - 1), (0, 0), (0, dw - 1)))(weight.reshape(a, b, kh, 1, kw, 1))
    return spread.reshape(a, b, kh * dh, kw * dw)[:, :, : dh * (kh - 1) + 1 + eh, : dw * (kw - 1) + 1 + ew]


def by_groups(op, x, weight, bias, groups):
    """`op` (x, weight, bias) -> y applied per group: x's channels, the weight's first axis and the bias
    are cut into `groups` equal parts, part k of x meets only part k of the weight, and the parts
    of y are joined along the channel axis (``cat``). groups = in_channels is a depthwise convolution."""
    if groups == 1:
        return op(x, weight, bias)
    c, a = x.shape[1] // groups, weight.shape[0] // groups
    b = 0 if bias is None else bias.shape[0] // groups
    return cat([op(x[:, k * c : (k + 1) * c], weight[k * a : (k + 1) * a],
                   None if bias is None else bias[k * b : (k + 1) * b]) for k in range(groups)], axis=1)


def _apply(op, x, weight, bias):
    return op(x, weight, bias) if bias is not None else op(x, weight)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, name="conv2d"):
    """2-D convolution (PyTorch's cross-correlation) of x (N, C, H, W) with weight (O, C/groups, kh, kw).

    `stride`, `padding` and `dilation` are ints or (h, w) pairs (padding also 'valid' / 'same');
    the output is (N, O, (H + 2p - d (kh - 1) - 1)//s + 1, ...). `dilation` spaces the kernel's
    taps d pixels apart; `groups` splits the channels into groups that are convolved apart
    (C and O divisible by groups). `name` is used in error messages (layers pass their own
    description). One image (C, H, W) gives one (O, OH, OW), as in torch.
    With dilation > 1, an inf or NaN input pixel gives NaN around it where torch's does not (see ``dilate``).
    """
    _expect_tensor(x, name)
    if x.ndim == 3:
        return unbatched(conv2d, x, weight, bias, stride, padding, dilation, groups, name=name)
    dilation, groups = dilation_and_groups(dilation, groups, name)
    _check(x, weight, bias, name, channel_axis=1, groups=groups)
    kernel, same = tuple(weight.shape[2:]), isinstance(padding, str) and padding == "same"
    stride, padding = _pair(stride, f"{name}: stride"), conv_padding(padding, kernel, stride, name, dilation)
    if min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"{name}: stride must be >= 1 and padding >= 0, got stride={stride}, padding={padding}")
    extra = same_padding(kernel, dilation)[1] if same else (0, 0)
    if extra != (0, 0):  # 'same' with an odd number of rows (columns) to pad: the extra one at the bottom (right)
        x = Pad(((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))(x)
    span = dilated_size(kernel, dilation)
    for d, axis in enumerate(("height", "width")):
        if x.shape[2 + d] + 2 * padding[d] < span[d]:
            raise ValueError(
                f"{name}: input {axis} {x.shape[2 + d]} (+ 2 x padding {padding[d]}) is smaller than the kernel "
                f"{axis} {span[d]}{' (dilated)' if dilation[d] > 1 else ''} (input shape {tuple(x.shape)}); "
                "use a larger input, more padding or a smaller kernel"
            )
    if dilation != (1, 1) or groups != 1:  # composed of the ops below (the default path stays the one op)
        def one_group(x, w, b):
            return _apply(Conv2dOp(span, stride, padding), x, w, b)
        return by_groups(one_group, x, dilate(weight, dilation), bias, groups)
    op = Conv2dOp(kernel, stride, padding)
    return op(x, weight, bias) if bias is not None else op(x, weight)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1,
                     name="conv_transpose2d"):
    """Transposed 2-D convolution of x (N, Cin, H, W) with weight (Cin, Cout/groups, kh, kw), as in PyTorch.

    The output is (N, Cout, (H - 1) s - 2p + d (kh - 1) + 1 + output_padding, ...).
    `output_padding` (< stride, or < dilation) adds rows/columns at the far edge; it picks
    one of the input sizes that a stride-s conv2d maps to the same output size.
    `groups` and `dilation` (in PyTorch's order) are as in ``conv2d``. One image (Cin, H, W)
    gives one (Cout, OH, OW), as in torch.
    With dilation > 1, an inf or NaN input pixel gives NaN around it where torch's does not (see ``dilate``).
    """
    _expect_tensor(x, name)
    if x.ndim == 3:
        return unbatched(conv_transpose2d, x, weight, bias, stride, padding, output_padding, groups, dilation,
                         name=name)
    dilation, groups = dilation_and_groups(dilation, groups, name)
    _check(x, weight, bias, name, channel_axis=0, groups=groups)
    kernel = tuple(weight.shape[2:])
    stride, padding = _pair(stride, f"{name}: stride"), _pair(padding, f"{name}: padding")
    output_padding = _pair(output_padding, f"{name}: output_padding")
    if min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"{name}: stride must be >= 1 and padding >= 0, got stride={stride}, padding={padding}")
    span = dilated_size(kernel, dilation)
    for d in range(2):
        if not 0 <= output_padding[d] < max(stride[d], dilation[d]):
            raise ValueError(
                f"{name}: output_padding must be >= 0 and smaller than the stride or the dilation, "
                f"got output_padding={output_padding} with stride={stride}, dilation={dilation}"
            )
        size = conv_transpose_output_size(x.shape[2 + d], span[d], stride[d], padding[d], output_padding[d])
        if size < 1:
            raise ValueError(
                f"{name}: the output would have size {size} along axis {2 + d} for input shape {tuple(x.shape)} "
                f"(padding {padding} removes more than the kernel adds); use less padding"
            )
    if dilation != (1, 1) or groups != 1:
        # an output_padding >= stride (< dilation) adds rows that only the dilated kernel's last zeros reach:
        # keep those zeros in the kernel instead
        grow = tuple(p if p >= s else 0 for p, s in zip(output_padding, stride))
        output_padding = tuple(p - g for p, g in zip(output_padding, grow))
        def one_group(x, w, b):
            return _apply(ConvTranspose2dOp(tuple(w.shape[2:]), stride, padding, output_padding), x, w, b)
        return by_groups(one_group, x, dilate(weight, dilation, grow), bias, groups)
    op = ConvTranspose2dOp(kernel, stride, padding, output_padding)
    return op(x, weight, bias) if bias is not None else op(x, weight)
