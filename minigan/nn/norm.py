"""Normalisation layers as in PyTorch: batch norm (BatchNorm1d, BatchNorm2d), and below it LayerNorm,
GroupNorm, InstanceNorm1d and InstanceNorm2d, RMSNorm, and LocalResponseNorm.

In training mode each channel is normalised with the mean and (biased)
variance of the current batch, then scaled and shifted by the learned
``weight`` (gamma) and ``bias`` (beta)::

    y = (x - mean) / sqrt(var + eps) * weight + bias

and the running statistics move towards the batch's:
``running = (1 - momentum) * running + momentum * batch_stat``, where the
running variance uses the *unbiased* batch variance (divided by M - 1), like
PyTorch. In evaluation mode the running statistics replace the batch's, so one
sample's output no longer depends on the rest of the batch.

Training mode is one op, ``BatchNormTrain``: its forward works on raw arrays
in a few passes, and its backward is the classic closed form written with
Tensor ops, so that gradients of gradients (gradient penalties) work too (when
no graph is being built, the same formulas run on plain arrays). The
same layer composed from ~10 elementary ops gives the same numbers, but its
backward makes about three times as many passes over the data.
"""

import math
import numbers

import numpy as np

from .. import autograd as ag
from .. import backend
from ..autograd import Function, Tensor, is_grad_enabled
from .layers import _check_numbers, _check_sizes, _place
from .misc import avg_pool2d, pad
from .module import Module, Parameter


def _sums(a, axes, b=None):
    """Sum of `a` (or of a*b) over `axes`, kept as length-1 axes (like ``sum(axes, keepdims=True)``).

    On the CPU one ``einsum`` reads the arrays once, in whatever order they lie
    in memory, with no temporary a*b: 2-4x faster than ``(a * b).sum(axes)``.
    """
    if backend.device_of(a) != "cpu":
        return (a if b is None else a * b).sum(axis=axes, keepdims=True)
    letters = "abcdefgh"[: a.ndim]
    kept = "".join(letter for axis, letter in enumerate(letters) if axis not in axes)
    sums = np.einsum(f"{letters}->{kept}", a) if b is None else np.einsum(f"{letters},{letters}->{kept}", a, b)
    return sums.reshape([1 if axis in axes else size for axis, size in enumerate(a.shape)])


class BatchNormTrain(Function):
    """y = (x - mean) / sqrt(var + eps) * gamma + beta, with the batch's per-channel mean and (biased) variance.

    gamma and beta are optional (affine=False; or gamma alone, bias=False). After the call, ``mean`` and
    ``var`` hold the batch statistics (arrays) for the running averages.
    """

    def __init__(self, axes, eps):
        self.axes, self.eps = axes, eps

    def forward(self, x, gamma=None, beta=None):
        xp = backend.xp_of(x)
        sums = _sums(x, self.axes)
        count = x.size // sums.size  # values per channel
        self.mean = sums / count
        centered = x - self.mean
        self.var = _sums(centered, self.axes, centered) / count
        self.inv_std = 1.0 / xp.sqrt(self.var + self.eps)
        centered *= self.inv_std  # in place: x_hat, without one more array
        self.x_hat = centered
        if gamma is None:
            return self.x_hat
        y = self.x_hat * gamma.reshape(self.mean.shape)  # mean.shape = (1, C, 1, ...)
        if beta is not None:
            y += beta.reshape(self.mean.shape)
        return y

    def backward(self, gy):
        # dL/dx = gamma/std * (gy - mean(gy) - x_hat mean(gy x_hat)),  dL/dgamma = sum(gy x_hat),  dL/dbeta = sum(gy)
        x = self.inputs[0]
        axes, shape = self.axes, self.mean.shape
        if not is_grad_enabled():  # the usual case: no graph needed, so the same formulas on plain arrays
            return self._backward_arrays(gy.data)
        # create_graph: rebuild x_hat and 1/std from x with Tensor ops, so they carry x's graph
        centered = x - ag.mean(x, axis=axes, keepdims=True)
        inv_std = (ag.mean(centered * centered, axis=axes, keepdims=True) + self.eps) ** -0.5
        x_hat = centered * inv_std
        need = self.needs_input_grad + (False, False)
        has_gamma = len(self.inputs) > 1
        g_hat = gy * ag.reshape(self.inputs[1], *shape) if has_gamma else gy  # dL/dx_hat
        gx = ggamma = gbeta = None
        if need[0]:
            mean_g = ag.mean(g_hat, axis=axes, keepdims=True)
            mean_gx = ag.mean(g_hat * x_hat, axis=axes, keepdims=True)
            gx = (g_hat - mean_g - x_hat * mean_gx) * inv_std
        if has_gamma and need[1]:
            ggamma = ag.sum(gy * x_hat, axis=axes)
        if len(self.inputs) > 2 and need[2]:
            gbeta = ag.sum(gy, axis=axes)
        return gx, ggamma, gbeta

    def _backward_arrays(self, gy):
        """The backward above without building a graph: the same formulas, regrouped into fewer passes.

        With s = gamma/std per channel and the two sums every gradient needs,
        sum(gy) (= dL/dbeta) and sum(gy x_hat) (= dL/dgamma):
        dL/dx = s gy - s mean(gy) - x_hat s mean(gy x_hat).
        """
        axes, shape, n = self.axes, self.mean.shape, len(self.inputs)
        need = self.needs_input_grad + (False, False)
        sum_gy = _sums(gy, axes)
        sum_gy_xhat = _sums(gy, axes, self.x_hat)
        gx = ggamma = gbeta = None
        if need[0]:
            count = gy.size // sum_gy.size  # values per channel
            scale = self.inv_std * self.inputs[1].data.reshape(shape) if n > 1 else self.inv_std  # gamma / std
            gx = gy * scale
            gx -= self.x_hat * (scale * sum_gy_xhat / count)
            gx -= scale * sum_gy / count
            gx = Tensor(gx)
        if n > 1 and need[1]:
            ggamma = Tensor(sum_gy_xhat.reshape(-1))
        if n > 2 and need[2]:
            gbeta = Tensor(sum_gy.reshape(-1))
        return gx, ggamma, gbeta


def _check_params(name, x, **tensors):
    """A clear error naming the layer unless each given tensor (weight, bias, running statistics) is a Tensor on
    x's device, of x's dtype."""
    for what, t in tensors.items():
        if t is None:
            continue
        ag._expect_tensor(t, f"{name}: {what}")
        if t.device != x.device:  # the running statistics are raw arrays inside: CuPy's error would not say which
            raise RuntimeError(f"{name}: tensors are on two devices, the input on '{x.device}' and {what} on "
                               f"'{t.device}'; move {what} with .to('{x.device}') (a layer: model.to('{x.device}'))")
        if t.dtype != x.dtype:
            fix = f"convert the input with .to(minigan.{t.dtype})"
            if x.dtype.kind == "f":
                fix += ", or the layer with " + {"float64": "model.double()", "float32": "model.float()"}.get(
                    str(x.dtype), f"model.to(minigan.{x.dtype})")
            raise TypeError(f"{name}: input dtype {x.dtype} but {what} dtype {t.dtype}; {fix}")


def _check_per_channel(name, x, **tensors):
    """_check_params, and each given tensor holds one value per channel of x (axis 1): shape (C,)."""
    _check_params(name, x, **tensors)
    for what, t in tensors.items():
        if t is not None and tuple(t.shape) != (x.shape[1],):
            raise ValueError(f"{name}: {what} must hold one value per channel, shape ({x.shape[1]},) for input shape "
                             f"{tuple(x.shape)}, got shape {tuple(t.shape)}")


def _check_eps(name, eps, zero_ok=False):
    """eps as a Python float (a NumPy float64 eps would make the output float64 under NumPy 2), or a clear error
    unless it is a number > 0 (>= 0 where `zero_ok`)."""
    _check_numbers(name, eps=eps)
    if not (eps >= 0 if zero_ok else eps > 0):
        raise ValueError(f"{name}: eps must be {'>= 0' if zero_ok else '> 0'} (it is added to the variance before "
                         f"its square root), got {eps!r}")
    return float(eps)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5,
               num_batches_tracked=None, name="batch_norm"):
    """Normalise x (N, C, ...) per channel (axis 1), like ``torch.nn.functional.batch_norm``.

    With ``training=True`` batch statistics are used and, when running_mean /
    running_var are given (Tensors), they are updated in place. `momentum=None`
    means a cumulative average over the `num_batches_tracked` batches seen.
    """
    ag._expect_tensor(x, name)
    if x.ndim < 2:
        raise ValueError(f"{name}: expected input of shape (N, C, ...), got shape {tuple(x.shape)}; for one sample "
                         "add a batch axis, x.reshape(1, -1)")
    eps = _check_eps(name, eps)
    if momentum is not None:
        _check_numbers(name, momentum=momentum)
    if (running_mean is None) != (running_var is None):
        given = "running_mean" if running_var is None else "running_var"
        raise ValueError(f"{name}: running_mean and running_var must both be given or both be None, got only {given}")
    if training and running_mean is not None and momentum is None and num_batches_tracked is None:
        raise ValueError(f"{name}: momentum=None (a cumulative average of the batches seen) needs "
                         "num_batches_tracked, got None; give a momentum, e.g. 0.1")
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)  # broadcasts per channel
    count = x.numel() // x.shape[1]  # values per channel
    _check_per_channel(name, x, weight=weight, bias=bias, running_mean=running_mean, running_var=running_var)
    if training:
        if count < 2:
            raise ValueError(
                f"{name}: training mode needs more than one value per channel to compute a variance, "
                f"got input shape {tuple(x.shape)}; use a batch of at least 2 or call .eval()"
            )
        op = BatchNormTrain(axes, eps)
        y = op(x) if weight is None else op(x, weight) if bias is None else op(x, weight, bias)
        if weight is None and bias is not None:  # a shift without a scale
            y = y + ag.reshape(bias, *shape)
        if running_mean is not None:
            _update_running(running_mean, running_var, op.mean, op.var, count, momentum, num_batches_tracked)
        return y
    if running_mean is None:
        raise ValueError(f"{name}: evaluation mode needs running statistics, got running_mean=None and "
                         "running_var=None; pass them, or training=True to normalise with the batch's own")
    mean = Tensor(running_mean.data.reshape(shape))
    std = Tensor(backend.xp_of(running_var.data).sqrt(running_var.data + eps).reshape(shape))
    x_hat = (x - mean) / std
    if weight is not None:
        x_hat = x_hat * ag.reshape(weight, *shape)
    if bias is not None:
        x_hat = x_hat + ag.reshape(bias, *shape)
    return x_hat


def _update_running(running_mean, running_var, mean, var, count, momentum, num_batches_tracked):
    """In-place update of the running statistics (arrays, no graph)."""
    if num_batches_tracked is not None:
        num_batches_tracked.data += 1
    if momentum is None:  # cumulative moving average
        momentum = 1.0 / float(num_batches_tracked.data)
    momentum = float(momentum)
    unbiased = var.reshape(-1) * (count / (count - 1.0))
    running_mean.data *= 1.0 - momentum
    running_mean.data += momentum * mean.reshape(-1)
    running_var.data *= 1.0 - momentum
    running_var.data += momentum * unbiased


def _reset_affine(module):
    """``reset_parameters`` of a norm layer: the scale back to ones, the shift to zeros, in place (torch's)."""
    with ag.no_grad():
        if module.weight is not None:
            module.weight.fill_(1.0)
        if getattr(module, "bias", None) is not None:  # (RMSNorm has none)
            module.bias.zero_()


class _BatchNorm(Module):
    """Shared code of BatchNorm1d and BatchNorm2d (they differ only in the input shapes they accept)."""

    _ndims = ()  # accepted input ranks
    _shape_text = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        _check_sizes(type(self).__name__, num_features=num_features)
        if not isinstance(eps, numbers.Real) or not (momentum is None or isinstance(momentum, numbers.Real)):
            raise TypeError(f"{type(self).__name__}: eps and momentum must be numbers (momentum may be None), "
                            f"got eps={eps!r}, momentum={momentum!r}")
        if not eps > 0 or not (momentum is None or 0 <= momentum <= 1):
            raise ValueError(
                f"{type(self).__name__}: need eps > 0 and 0 <= momentum <= 1 (or None), got eps={eps}, momentum={momentum}"
            )
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.register_parameter("weight", Parameter(ag.ones(num_features)) if affine else None)
        # (None: an empty slot, as in torch; bias=False: a scale only)
        self.register_parameter("bias", Parameter(ag.zeros(num_features)) if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", ag.zeros(num_features))
            self.register_buffer("running_var", ag.ones(num_features))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):  # empty slots, as in torch
                self.register_buffer(name, None)
        _place(self, device, dtype)

    def reset_running_stats(self):
        """Forget the batches seen: running_mean 0, running_var 1, num_batches_tracked 0 (nothing without them)."""
        for name, value in (("running_mean", 0), ("running_var", 1), ("num_batches_tracked", 0)):
            buffer = getattr(self, name) if self.track_running_stats else None
            if buffer is not None:  # (None: an empty slot)
                buffer.data[...] = value

    def reset_parameters(self):
        """The running statistics reset, and weight and bias back to ones and zeros, as at construction."""
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, x):
        name = f"{type(self).__name__}({self.num_features})"
        ag._expect_tensor(x, name)
        if x.ndim not in self._ndims:
            raise ValueError(f"{name}: expected input of shape {self._shape_text}, got shape {tuple(x.shape)}")
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{name}: expected {self.num_features} channels (axis 1), got {x.shape[1]} "
                f"(input shape {tuple(x.shape)}); check num_features or the previous layer"
            )
        use_batch_stats = self.training or not self.track_running_stats
        return batch_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias, training=use_batch_stats,
            momentum=self.momentum, eps=self.eps, num_batches_tracked=self.num_batches_tracked, name=name,
        )

    def _fill_state_dict(self, state_dict, prefix):
        """A checkpoint without num_batches_tracked (PyTorch before 0.4.1, or made by hand) loads keeping the
        layer's own count, as in torch."""
        if self.track_running_stats and prefix + "num_batches_tracked" not in state_dict:
            state_dict[prefix + "num_batches_tracked"] = backend.to_numpy(self.num_batches_tracked.data).copy()

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs: statistics per feature C over N (and L)."""

    _ndims = (2, 3)
    _shape_text = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) images: statistics per channel over N, H and W."""

    _ndims = (4,)
    _shape_text = "(N, C, H, W)"


def _standardize(x, axes, eps):
    """(x - mean) / sqrt(var + eps) over `axes` (biased variance), with Tensor ops: differentiable twice."""
    centered = x - ag.mean(x, axis=axes, keepdims=True)
    return centered / ag.sqrt(ag.mean(centered * centered, axis=axes, keepdims=True) + eps)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5, name="layer_norm"):
    """Normalise each sample over its last axes (``normalized_shape``), like ``torch.nn.functional.layer_norm``.

    y = (x - mean) / sqrt(var + eps) * weight + bias, with the mean and the
    (biased) variance of each sample's last len(normalized_shape) axes. Unlike
    batch norm, no sample's output depends on another's: the per-sample
    gradient penalties of WGAN-GP stay per sample. Built from Tensor ops, so it
    differentiates twice.
    """
    ag._expect_tensor(x, name)
    shape = _normalized_shape(name, normalized_shape)
    eps = _check_eps(name, eps, zero_ok=True)
    if x.ndim < len(shape) or tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise ValueError(f"{name}: expected an input whose last axes are {shape}, got shape {tuple(x.shape)}")
    _check_params(name, x, weight=weight, bias=bias)
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"{name}: {what} must have the normalized shape {shape}, got shape {tuple(t.shape)}")
    y = _standardize(x, tuple(range(x.ndim - len(shape), x.ndim)), eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def _normalized_shape(name, normalized_shape):
    """normalized_shape (an int or a tuple of them) as a tuple of positive ints, or a clear error.

    Layer norm over no axes would normalise each value by itself (all zeros): refused, as torch refuses it.
    """
    if not isinstance(normalized_shape, (tuple, list, numbers.Integral)):
        raise TypeError(f"{name}: normalized_shape must be an int or a tuple of ints, got "
                        f"{type(normalized_shape).__name__} {normalized_shape!r}")
    shape = tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else (normalized_shape,)
    if not shape:
        raise ValueError(f"{name}: normalized_shape must name at least one axis, got (); LayerNorm(C) normalises "
                         "the last axis of size C, LayerNorm((C, H, W)) the last three")
    _check_sizes(name, **{f"normalized_shape[{i}]": n for i, n in enumerate(shape)})
    return tuple(int(n) for n in shape)


class LayerNorm(Module):
    """Layer norm (Ba et al. 2016) over the last axes, with a learned scale and shift of that shape."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _normalized_shape("LayerNorm", normalized_shape)
        _check_eps("LayerNorm", eps, zero_ok=True)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        affine, shape = elementwise_affine, self.normalized_shape
        self.register_parameter("weight", Parameter(ag.ones(*shape)) if affine else None)
        self.register_parameter("bias", Parameter(ag.zeros(*shape)) if affine and bias else None)
        _place(self, device, dtype)

    def reset_parameters(self):
        """weight and bias back to ones and zeros, as at construction."""
        _reset_affine(self)

    def forward(self, x):
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps,
                          name=f"LayerNorm({self.normalized_shape})")

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


def rms_norm(input, normalized_shape, weight=None, eps=None, name="rms_norm"):
    """Root-mean-square norm over the last axes (``normalized_shape``), like ``torch.nn.functional.rms_norm``.

    y = x / sqrt(mean(x^2) + eps) * weight, over each sample's last len(normalized_shape) axes: layer norm
    without centring and without a shift (Zhang & Sennrich 2019). eps=None is torch's default, the input
    dtype's machine epsilon (``finfo(dtype).eps``). Built from Tensor ops, so it differentiates twice.
    """
    ag._expect_tensor(input, name)
    shape = _normalized_shape(name, normalized_shape)
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: expected a float input, got {input.dtype}; convert it with .float()")
    eps = float(np.finfo(input.dtype).eps) if eps is None else _check_eps(name, eps, zero_ok=True)
    if input.ndim < len(shape) or tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise ValueError(f"{name}: expected an input whose last axes are {shape}, got shape {tuple(input.shape)}")
    _check_params(name, input, weight=weight)
    if weight is not None and tuple(weight.shape) != shape:
        raise ValueError(f"{name}: weight must have the normalized shape {shape}, got shape {tuple(weight.shape)}")
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    y = input / ag.sqrt(ag.mean(input * input, axis=axes, keepdims=True) + eps)
    return y if weight is None else y * weight


class RMSNorm(Module):
    """RMS norm over the last axes (``F.rms_norm``), with a learned scale of that shape (no shift)."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _normalized_shape("RMSNorm", normalized_shape)
        if eps is not None:
            _check_eps("RMSNorm", eps, zero_ok=True)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.register_parameter("weight", Parameter(ag.ones(*self.normalized_shape)) if elementwise_affine else None)
        _place(self, device, dtype)

    def reset_parameters(self):
        """weight back to ones, as at construction."""
        _reset_affine(self)

    def forward(self, x):
        return rms_norm(x, self.normalized_shape, self.weight, self.eps, name=f"RMSNorm({self.normalized_shape})")

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


def instance_norm(x, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True, momentum=0.1,
                  eps=1e-5, name="instance_norm"):
    """Normalise each image's channels over their own pixels, like ``torch.nn.functional.instance_norm``.

    y[n, c] = (x[n, c] - mean) / sqrt(var + eps) * weight[c] + bias[c], mean and
    (biased) variance over the spatial axes of that one sample and channel: the
    normalisation of pix2pix's and CycleGAN's generators. Built from Tensor ops.
    With running_mean and running_var (Tensors), they move towards the batch's average of the
    instances' means and (unbiased) variances, in place, as batch norm's do; ``use_input_stats=False``
    normalises with them instead (what InstanceNorm does in eval mode with track_running_stats=True).
    """
    ag._expect_tensor(x, name)
    if (running_mean is None) != (running_var is None):
        given = "running_mean" if running_var is None else "running_var"
        raise ValueError(f"{name}: running_mean and running_var must both be given or both be None, got only {given}")
    if x.ndim < 3:
        raise ValueError(f"{name}: expected (N, C, ...) with spatial axes, got shape {tuple(x.shape)}")
    if not use_input_stats:
        if running_mean is None:
            raise ValueError(f"{name}: use_input_stats=False normalises with the running statistics, but "
                             "running_mean and running_var are None; pass them, or use_input_stats=True")
        return batch_norm(x, running_mean, running_var, weight, bias, training=False, eps=eps, name=name)
    if math.prod(x.shape[2:]) < 2:  # torch's check: one pixel normalised by itself is 0, whatever the input
        raise ValueError(f"{name}: expected more than 1 spatial element, got input shape {tuple(x.shape)}; each "
                         "channel of each image is normalised over its own pixels (in eval mode too, unless it tracks "
                         "running statistics), so one pixel would become 0, the output the bias alone, with no "
                         "gradient: feed a larger map, or leave the norm out at this layer (pix2pix's innermost layer "
                         "has none)")
    _check_per_channel(name, x, weight=weight, bias=bias, running_mean=running_mean, running_var=running_var)
    eps = _check_eps(name, eps, zero_ok=True)
    axes = tuple(range(2, x.ndim))
    # batch norm's update, with the batch's mean of the instances' means and unbiased variances (torch's numbers);
    # an empty batch changes nothing (torch's running statistics would turn NaN)
    if running_mean is not None and x.shape[0]:
        _check_numbers(name, momentum=momentum)
        momentum = float(momentum)
        running_mean.data *= 1.0 - momentum
        running_mean.data += momentum * x.data.mean(axis=axes).mean(axis=0)
        running_var.data *= 1.0 - momentum
        running_var.data += momentum * x.data.var(axis=axes, ddof=1).mean(axis=0)
    return _per_channel_affine(_standardize(x, axes, eps), weight, bias)


def _per_channel_affine(y, weight, bias):
    """y * weight[c] + bias[c] over the channel axis 1 of (N, C, ...), either one left out when None."""
    shape = (1, y.shape[1]) + (1,) * (y.ndim - 2)  # broadcasts per channel
    if weight is not None:
        y = y * ag.reshape(weight, *shape)
    if bias is not None:
        y = y + ag.reshape(bias, *shape)
    return y


class _InstanceNorm(Module):
    """Shared code of InstanceNorm1d and InstanceNorm2d (they differ only in their number of spatial axes)."""

    _spatial = ""  # the spatial axes' names, as the error messages show them

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        name = type(self).__name__
        _check_sizes(name, num_features=num_features)
        _check_eps(name, eps, zero_ok=True)
        if momentum is not None:
            _check_numbers(name, momentum=momentum)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.register_parameter("weight", Parameter(ag.ones(num_features)) if affine else None)
        self.register_parameter("bias", Parameter(ag.zeros(num_features)) if affine and bias else None)
        if track_running_stats:  # torch's buffers (num_batches_tracked too, though instance norm never counts)
            self.register_buffer("running_mean", ag.zeros(num_features))
            self.register_buffer("running_var", ag.ones(num_features))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):  # empty slots, as in torch
                self.register_buffer(buffer, None)
        _place(self, device, dtype)

    # batch norm's: its buffers are the same (and a checkpoint without num_batches_tracked loads, as in torch)
    reset_running_stats, _fill_state_dict = _BatchNorm.reset_running_stats, _BatchNorm._fill_state_dict

    def reset_parameters(self):
        """The running statistics reset (track_running_stats=True), and weight and bias (affine=True) back to
        ones and zeros, as at construction."""
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, x):
        name = f"{type(self).__name__}({self.num_features})"
        ag._expect_tensor(x, name)
        spatial = len(self._spatial.split(", "))
        if x.ndim == spatial + 1 and x.shape[0] == self.num_features:  # one sample (C, ...), as torch takes it
            return ag.reshape(self.forward(ag.reshape(x, 1, *x.shape)), *x.shape)
        if x.ndim != spatial + 2 or x.shape[1] != self.num_features:
            raise ValueError(f"{name}: expected input of shape (N, {self.num_features}, {self._spatial}) or "
                             f"({self.num_features}, {self._spatial}), got {tuple(x.shape)}")
        # eval mode with running statistics normalises with them; a momentum of None updates nothing (torch's 0.0)
        return instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                             self.training or not self.track_running_stats,
                             0.0 if self.momentum is None else self.momentum, self.eps, name=name)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance norm of (N, C, L) signals, or one (C, L): each sample's channels normalised over their own length."""

    _spatial = "L"


class InstanceNorm2d(_InstanceNorm):
    """Instance norm of (N, C, H, W) images, or one (C, H, W): each image's channels normalised over their own pixels."""

    _spatial = "H, W"


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5, name="group_norm"):
    """Normalise each sample's channels in `num_groups` groups, over the group's channels and pixels (Wu & He 2018).

    Between layer norm (one group) and instance norm (one channel per group); like
    them, no sample's output depends on another's. Built from Tensor ops, so it
    differentiates twice.
    """
    ag._expect_tensor(x, name)
    _check_sizes(name, num_groups=num_groups)
    eps = _check_eps(name, eps, zero_ok=True)
    if x.ndim < 2 or x.shape[1] % num_groups:
        raise ValueError(f"{name}: expected (N, C, ...) with C divisible by num_groups={num_groups}, "
                         f"got shape {tuple(x.shape)}")
    if x.shape[0] * (x.shape[1] // num_groups) * math.prod(x.shape[2:]) == 1:  # torch's check (it counts N too)
        raise ValueError(f"{name}: expected more than 1 value per group, got input shape {tuple(x.shape)} with "
                         f"num_groups={num_groups}: one value normalised by itself is 0, so the output would be the "
                         "bias alone, with no gradient; use fewer groups or a larger input")
    _check_per_channel(name, x, weight=weight, bias=bias)
    per_group = x.shape[1] // num_groups * math.prod(x.shape[2:])  # (not -1: a batch of 0 would leave it open)
    grouped = ag.reshape(x, x.shape[0], num_groups, per_group)
    return _per_channel_affine(ag.reshape(_standardize(grouped, (2,), eps), *x.shape), weight, bias)


class GroupNorm(Module):
    """Group norm: channels in groups, each group normalised per sample, with a learned scale and shift per channel."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        _check_sizes("GroupNorm", num_groups=num_groups, num_channels=num_channels)
        _check_eps("GroupNorm", eps, zero_ok=True)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.register_parameter("weight", Parameter(ag.ones(num_channels)) if affine else None)
        self.register_parameter("bias", Parameter(ag.zeros(num_channels)) if affine and bias else None)
        _place(self, device, dtype)

    def reset_parameters(self):
        """weight and bias back to ones and zeros, as at construction."""
        _reset_affine(self)

    def forward(self, x):
        name = f"GroupNorm({self.num_groups}, {self.num_channels})"
        ag._expect_tensor(x, name)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"{name}: expected input of shape (N, {self.num_channels}, ...), got {tuple(x.shape)}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps, name=name)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, bias={self.bias is not None}"


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """AlexNet's local response normalisation, as torch's: each value divided by (k + alpha m)^beta, m the mean
    of x^2 over `size` neighbouring channels at the same position: the channels from c - size // 2 to
    c + (size - 1) // 2, those beyond the first and last counted as zeros (the mean still divides by `size`).
    (N, C, *) inputs of 3 or more axes. Built from pad and avg_pool2d, so it differentiates twice."""
    ag._expect_tensor(input, "local_response_norm")
    _check_sizes("local_response_norm", size=size)
    _check_numbers("local_response_norm", alpha=alpha, beta=beta, k=k)
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected an input (N, C, *) of 3 or more axes, got shape "
                         f"{tuple(input.shape)}")
    x = ag._floating(input)
    if x.numel() == 0:  # (torch returns it as it is)
        return x
    squares = ag.reshape(x * x, x.shape[0], 1, x.shape[1], -1)  # (N, 1, C, the positions): channels as a height
    squares = pad(squares, (0, 0, size // 2, (size - 1) // 2))  # zero channels before the first and after the last
    mean = ag.reshape(avg_pool2d(squares, (size, 1), stride=1), *x.shape)  # m: the mean over each window of channels
    return x / (mean * float(alpha) + float(k)) ** float(beta)


class LocalResponseNorm(Module):
    """Local response normalisation over neighbouring channels (``F.local_response_norm``), as in AlexNet."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        _check_sizes("LocalResponseNorm", size=size)
        _check_numbers("LocalResponseNorm", alpha=alpha, beta=beta, k=k)
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
