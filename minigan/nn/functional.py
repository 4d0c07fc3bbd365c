"""Functional forms of the layers (``minigan.nn.functional``, like ``torch.nn.functional``).

The elementwise and reduction ops live in ``minigan.autograd``; this module
gathers what layers use under PyTorch's names.
"""

import math
import numbers

import numpy as np

from ..autograd import (  # noqa: F401  (re-exported)
    check_reduction,
    elu,
    leaky_relu,
    linear,
    logsigmoid,
    relu,
    sigmoid,
    silu,
    softplus,
    tanh,
)
from .. import autograd as _ag
from .. import backend
from ..conv import conv2d, conv_transpose2d  # noqa: F401  (re-exported)
from .misc import avg_pool2d, dropout, dropout2d, interpolate, max_pool2d, pad, pixel_shuffle  # noqa: F401
from .misc import check_fraction, implicit_softmax_dim
from .misc import adaptive_avg_pool2d, adaptive_max_pool2d, fold, max_unpool2d, pixel_unshuffle, unfold  # noqa: F401
from .norm import batch_norm, group_norm, instance_norm, layer_norm  # noqa: F401
from .misc import adaptive_avg_pool1d, adaptive_max_pool1d, avg_pool1d, dropout1d, max_pool1d  # noqa: F401
from .norm import rms_norm  # noqa: F401
from ..autograd import celu, gelu, glu, hardsigmoid, hardswish, hardtanh, mish, prelu, relu6  # noqa: F401
from ..autograd import selu, softsign, threshold  # noqa: F401  (re-exported)
from ..autograd import hardshrink, softshrink, tanhshrink, rrelu  # noqa: F401  (re-exported)
from ..autograd import relu_, leaky_relu_, elu_, selu_, celu_, hardtanh_, threshold_, rrelu_  # noqa: F401
from .layers import bilinear  # noqa: F401  (re-exported)
from .conv import conv1d, conv_transpose1d  # noqa: F401  (re-exported)
from .layers import embedding  # noqa: F401  (re-exported)
from .attention import scaled_dot_product_attention  # noqa: F401  (re-exported)
from .misc import alpha_dropout, channel_shuffle, feature_alpha_dropout, lp_pool1d, lp_pool2d  # noqa: F401
from .misc import upsample, upsample_bilinear, upsample_nearest  # noqa: F401  (torch's deprecated names)
from .norm import local_response_norm  # noqa: F401  (re-exported)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) normalised to sum to 1 along `dim` (``minigan.softmax``), with torch's arguments: without `dim`,
    torch's implicit choice (as ``nn.Softmax()``: dim 1 of a batch); `dtype` converts the input first.
    (`_stacklevel` is torch's, for its warning; unused here.)"""
    input = _softmax_input(input, dtype, "softmax")
    return _ag.softmax(input, implicit_softmax_dim(input) if dim is None else dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax) along `dim`, computed stably (``minigan.log_softmax``), with torch's arguments as ``softmax``."""
    input = _softmax_input(input, dtype, "log_softmax")
    return _ag.log_softmax(input, implicit_softmax_dim(input) if dim is None else dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along `dim` (``nn.Softmin``): the smallest values get the largest probabilities; `dim` and
    `dtype` as ``softmax``'s."""
    input = _softmax_input(input, dtype, "softmin")
    return _ag.softmin(input, implicit_softmax_dim(input) if dim is None else dim)


def _softmax_input(input, dtype, name):
    """softmax's input, converted to `dtype` first when one is given (a float dtype: the result is probabilities)."""
    _ag._expect_tensor(input, name)
    if dtype is None:
        return input
    if _ag._resolve_dtype(dtype).kind != "f":
        raise TypeError(f"{name}: dtype must be a float dtype (minigan.float32 or minigan.float64), got {dtype}")
    return input.to(dtype=dtype)


def no_legacy_reduction(name, size_average, reduce):
    """PyTorch's deprecated `size_average` and `reduce` are refused, with the `reduction` that says the same."""
    if size_average is not None or reduce is not None:
        same = "none" if reduce is False else "sum" if size_average is False else "mean"
        raise NotImplementedError(f"{name}: size_average and reduce (deprecated in PyTorch) are not supported; "
                                  f"use reduction={same!r}, which is what size_average={size_average}, "
                                  f"reduce={reduce} mean")


def _check_weight(name, what, weight, input):
    """A loss's `weight` (or `pos_weight`) must be a tensor of the input's dtype (no silent float64) and device."""
    _ag._expect_tensor(weight, f"{name}: {what}")
    if weight.device != input.device:  # a criterion is not moved by model.to(...): its buffers stay where they were
        raise RuntimeError(f"{name}: tensors are on two devices, the input on '{input.device}' and the {what} on "
                           f"'{weight.device}'; move the {what} with .to('{input.device}') (or the loss module "
                           f"with criterion.to('{input.device}'))")
    if weight.dtype != input.dtype:
        raise TypeError(f"{name}: input dtype {input.dtype} but {what} dtype {weight.dtype}; convert the {what} "
                        f"with .to(minigan.{input.dtype})")


def _broadcast_weight(name, what, weight, input):
    """BCE's `weight` and `pos_weight`: a tensor of the input's dtype that broadcasts to the input's shape."""
    _check_weight(name, what, weight, input)
    if not _ag._broadcasts_to(tuple(weight.shape), tuple(input.shape)):
        raise ValueError(f"{name}: {what} of shape {tuple(weight.shape)} does not broadcast to the input's shape "
                         f"{tuple(input.shape)}")
    return weight


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """BCE on probabilities (``minigan.autograd.binary_cross_entropy``), each element's loss times `weight`
    (broadcast to the input's shape) when given; 'mean' then averages over the elements, as torch's."""
    no_legacy_reduction("binary_cross_entropy", size_average, reduce)
    if weight is None:
        return _ag.binary_cross_entropy(input, target, reduction)
    loss = _ag.binary_cross_entropy(input, target, "none")
    return _ag.reduce_loss(loss * _broadcast_weight("binary_cross_entropy", "weight", weight, loss), reduction,
                           "binary_cross_entropy")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """BCE on logits, computed stably (``minigan.binary_cross_entropy_with_logits``), with torch's options.

    `pos_weight` (broadcast over the input; usually one value per class) weights the positive term:
    loss = -[pos_weight y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))], computed as torch does,
    (1 - y) x + (1 + (pos_weight - 1) y) softplus(-x), since log sigmoid(x) = -softplus(-x) (and
    differentiable with respect to pos_weight too, which torch refuses). `weight` rescales each
    element's loss, as in ``binary_cross_entropy``. Gradients of gradients work.
    """
    name = "binary_cross_entropy_with_logits"
    no_legacy_reduction(name, size_average, reduce)
    if weight is None and pos_weight is None:
        return _ag.binary_cross_entropy_with_logits(input, target, reduction)
    input, target = _ag._bce_with_logits_operands(input, target)  # one float dtype (integers as float32), one shape
    if pos_weight is None:
        loss = _ag.BCEWithLogits()(input, target)
    else:
        loss = _ag.BCEWithLogits()(input, target, _broadcast_weight(name, "pos_weight", pos_weight, input))
    if weight is not None:
        loss = loss * _broadcast_weight(name, "weight", weight, loss)
    return _ag.reduce_loss(loss, reduction, name)


def _pointwise_loss(name, loss, input, weight, reduction):
    """mse_loss and l1_loss: reduce `loss`, weighted first when `weight` (of the input's shape) is given; then
    'mean' divides by the sum of the weights, as torch's."""
    if weight is None:
        return _ag.reduce_loss(loss, reduction, name)
    _check_weight(name, "weight", weight, input)
    if weight.shape != input.shape:
        raise ValueError(f"{name}: weight shape {weight.shape} and input shape {input.shape} must be equal")
    check_reduction(name, reduction)
    loss = loss * weight
    if reduction != "mean":
        return _ag.reduce_loss(loss, reduction, name)
    _ag._check_not_empty(name, loss)  # (0 / 0: an error, as without a weight)
    return _ag.sum(loss) / _ag.sum(weight)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error (input - target)^2, shapes must match; `weight` as in torch (see _pointwise_loss)."""
    no_legacy_reduction("mse_loss", size_average, reduce)
    _ag._loss_operands("mse_loss", input, target)
    _ag._expect_tensor(target, "mse_loss")  # (no array or list, as torch's)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} must be equal")
    input, target = _ag._pair(input, target, "mse_loss")  # (two float dtypes: an error that names the loss)
    d = input - target
    return _pointwise_loss("mse_loss", d * d, input, weight, reduction)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """input / max(||input||_p, eps) along `dim`: vectors of length 1 (p = 2 or 1), as torch's ``F.normalize``."""
    _ag._expect_tensor(input, "normalize")
    dim = _ag._axis(dim, input.shape, "normalize")
    if p not in (1, 2) or isinstance(p, bool):
        raise NotImplementedError(f"normalize: p must be 2 or 1 (the norms minigan computes), got {p!r}")
    return input / _ag.maximum(_ag.norm(input, p, dim=dim, keepdim=True), float(eps))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error |input - target| (pix2pix's reconstruction term), shapes must match; `weight` as in
    mse_loss."""
    no_legacy_reduction("l1_loss", size_average, reduce)
    _ag._loss_operands("l1_loss", input, target)
    _ag._expect_tensor(target, "l1_loss")  # (no array or list, as torch's)
    if input.shape != target.shape:
        raise ValueError(f"l1_loss: input shape {input.shape} and target shape {target.shape} must be equal")
    input, target = _ag._pair(input, target, "l1_loss")  # (two float dtypes: an error that names the loss)
    return _pointwise_loss("l1_loss", _ag.abs(input - target), input, weight, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Softmax cross-entropy of (N, C) logits against integer labels (N,) in 0..C-1: nll_loss(log_softmax(logits)).

    As in torch, the target may instead be class probabilities of the logits'
    shape (N, C): the loss of a row is then -sum_c weight_c p_c log softmax(logits)_c.
    `weight`, `ignore_index`, 'mean' and labels out of range (an error on the CPU, a NaN
    loss on a GPU) as in ``nll_loss``. `label_smoothing` = e mixes each target with the
    uniform distribution: (1 - e) times the loss of the label plus e/C times
    -sum_c weight_c log softmax(logits)_c (torch's formula).
    """
    no_legacy_reduction("cross_entropy", size_average, reduce)
    check_label_smoothing("cross_entropy", label_smoothing)
    idx = _labels(input, target, "cross_entropy", "logits")
    logp = log_softmax(input, dim=1)
    weight = _class_weight("cross_entropy", weight, logp)
    if idx.dtype.kind == "f" and tuple(idx.shape) == tuple(logp.shape):  # class probabilities
        if ignore_index >= 0:  # torch's check: no row has a label to ignore (its default -100 passes)
            raise ValueError(f"cross_entropy: ignore_index={ignore_index} does not apply to class probabilities "
                             "(a target of the logits' shape); leave it at its default, or give integer labels")
        n_classes = logp.shape[1]
        probs = target if isinstance(target, _ag.Tensor) else _ag._as_tensor(idx, logp)  # a list or array: logp's dtype
        if probs.dtype != logp.dtype:  # (float64 probabilities would be a silent float64 here, and torch's is)
            raise TypeError(f"cross_entropy: logits dtype {logp.dtype} but class probabilities dtype {probs.dtype}; "
                            f"convert the target with .to(minigan.{logp.dtype})")
        probs = probs if not label_smoothing else probs * (1.0 - label_smoothing) + label_smoothing / n_classes
        per_class = logp * probs if weight is None else logp * probs * weight  # (a weight's gradient too, as torch's)
        return _ag.reduce_loss(-_ag.sum(per_class, dim=1), reduction, "cross_entropy")
    return _nll(logp, idx, reduction, "cross_entropy", "logits", _fixed_weight("cross_entropy", weight), ignore_index,
                label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """-log p of each sample's label, from (N, C) log-probabilities (``LogSoftmax``'s output), as torch's.

    `weight` (one per class) scales each sample's loss by its label's weight, and 'mean' then
    divides by the sum of those weights; samples labelled `ignore_index` count for nothing
    (their loss is 0, and they are left out of the mean; when every sample is, the mean is
    NaN, with zero gradients, as torch's). A label outside 0..C-1 is an error on the CPU;
    on a GPU checking it would wait for the device at every call, so such a sample's loss
    (and with it the mean or sum) is NaN instead, which stops GANTrainer at that step
    (CuPy's indexing would otherwise wrap the label around to another class without a word).
    """
    no_legacy_reduction("nll_loss", size_average, reduce)
    labels = _labels(input, target, "nll_loss", "log_probs")
    input = _ag._floating(input)  # integer log-probabilities as float32: -x of uint8 would wrap around
    return _nll(input, labels, reduction, "nll_loss", "log_probs",
                _fixed_weight("nll_loss", _class_weight("nll_loss", weight, input)), ignore_index)


def check_label_smoothing(name, label_smoothing):
    """A clear error unless `label_smoothing` is a number between 0 and 1."""
    check_fraction(label_smoothing, name, "label_smoothing")


def _class_weight(name, weight, scores):
    """cross_entropy's and nll_loss's `weight`, checked: one value per class, of the scores' dtype (or None)."""
    if weight is None:
        return None
    _check_weight(name, "weight", weight, scores)
    if tuple(weight.shape) != (scores.shape[1],):
        raise ValueError(f"{name}: weight must hold one value per class, shape ({scores.shape[1]},), "
                         f"got shape {tuple(weight.shape)}")
    return weight


def _fixed_weight(name, weight):
    """The class weight of integer labels as an array, which no gradient reaches: one that requires grad is refused
    (as torch refuses it), rather than left without a gradient."""
    if weight is None:
        return None
    if weight.requires_grad and _ag.is_grad_enabled():
        raise RuntimeError(f"{name}: the class weight requires grad, but with integer labels the loss is not "
                           "differentiated with respect to it (torch refuses it too); pass weight.detach(), or "
                           "give class probabilities as the target")
    return weight.data


def _labels(scores, labels, name, what):
    """The labels as an array on the scores' device, after the checks both losses share."""
    _ag._expect_tensor(scores, name)
    if scores.ndim != 2:
        raise ValueError(
            f"{name}: expected {what} of shape (N, C), got {tuple(scores.shape)}; for one sample add a "
            f"batch axis ({what}.reshape(1, -1)); for one score per pixel (N, C, H, W) flatten the pixels into "
            f"the batch: {what}.permute(0, 2, 3, 1).reshape(-1, C) and labels.reshape(-1)")
    if isinstance(labels, _ag.Tensor) and labels.device != scores.device:
        raise RuntimeError(f"{name}: {what} are on {scores.device}, labels on {labels.device}; "
                           f"move the labels with labels.to('{scores.device}')")
    return labels.data if isinstance(labels, _ag.Tensor) else backend.asarray(labels, device=scores.device)


def _nll(logp, idx, reduction, name, what, weight=None, ignore_index=-100, label_smoothing=0.0):
    """-weight[label_i] logp[i, label_i] for each row i, reduced: the part cross_entropy and nll_loss share.

    Rows labelled `ignore_index` get 0; 'mean' divides by the sum of the rows' weights (their
    count without `weight`), as torch's. On a GPU a label out of range gets a NaN weight.
    """
    n, c = logp.shape
    if idx.dtype.kind not in "iu" or tuple(idx.shape) != (n,):
        wrong_type = idx.dtype.kind not in "iu"
        raise (TypeError if wrong_type else ValueError)(
            f"{name}: labels must be integer class indices of shape ({n},)"
            + (f", or class probabilities of the {what}' shape {tuple(logp.shape)}" if name == "cross_entropy" else "")
            + f"; got {idx.dtype} of shape {tuple(idx.shape)}"
            + ("; convert float labels with .long()" if wrong_type and tuple(idx.shape) == (n,) else ""))
    xp = backend.xp_of(idx)
    keep = idx != ignore_index
    bad = None
    if xp is np:  # the range check reads two numbers: on a GPU, where that waits for the device, it is skipped
        used = idx[keep]
        if used.size and (int(used.min()) < 0 or int(used.max()) >= c):
            raise ValueError(f"{name}: labels must lie in 0..{c - 1} for {c} classes, got {int(used.min())}.."
                             f"{int(used.max())} (labels equal to ignore_index={ignore_index} are skipped)")
    else:  # ...so a label out of range is marked on the device, and its row's weight made NaN below
        bad = keep & ((idx < 0) | (idx >= c))
    # any class for the ignored rows (their weight is 0); clipped, since CuPy wraps an index out of range around
    safe = xp.clip(xp.where(keep, idx, 0), 0, c - 1)
    picked = _ag.getitem(logp, (_ag.arange(n, device=logp.device).data, safe))
    row_weight = keep.astype(logp.dtype) if weight is None else weight[safe] * keep
    if bad is not None:
        row_weight = xp.where(bad, np.nan, row_weight).astype(logp.dtype)  # a NaN loss, never another class's
    loss = _ag.where(keep, -picked * _ag.Tensor(row_weight), 0.0)  # an ignored row's 0, though its scores be NaN
    if label_smoothing:
        scaled = logp if weight is None else logp * _ag.Tensor(weight)
        smooth = _ag.where(keep, -_ag.sum(scaled, dim=1), 0.0)
        loss = loss * (1.0 - label_smoothing) + smooth * (label_smoothing / c)
    check_reduction(name, reduction)
    if reduction == "mean":
        # no rows counted (all ignored): NaN, as torch gives, but gradients 0, not 0 / 0; decided on the device
        total = row_weight.sum()
        none = total == 0
        divisor = xp.where(none, 1, total).astype(logp.dtype)
        nan_if_none = xp.where(none, np.nan, 0).astype(logp.dtype)
        return _ag.sum(loss) / _ag.Tensor(divisor) + _ag.Tensor(nan_if_none)
    return _ag.reduce_loss(loss, reduction, name)


def one_hot(labels, num_classes=-1, *, dtype="int64"):
    """torch's ``F.one_hot``: integer labels of any shape -> a (..., num_classes) tensor of 0s and 1s.

    int64 as in torch, or the `dtype` given (the conditional GAN's networks
    take float32 rows, ``minigan.models.one_hot``). ``num_classes=-1`` takes
    the largest label + 1. The range check reads two numbers, so it runs on
    the CPU only: on a GPU it would wait for the device on every call. There a
    label out of range gets a row of zeros (the comparison below), never
    another class's row.
    """
    data = labels.data if isinstance(labels, _ag.Tensor) else labels if _ag._is_array(labels) else np.asarray(labels)
    if data.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got dtype {data.dtype}")
    xp = backend.xp_of(data)
    if not isinstance(num_classes, (int, np.integer)) or isinstance(num_classes, bool):
        raise TypeError(f"one_hot: num_classes must be an int (-1: the largest label + 1), got {num_classes!r}")
    if num_classes < 0:
        num_classes = int(data.max()) + 1 if data.size else 0
    if xp is np and data.size and (int(data.min()) < 0 or int(data.max()) >= num_classes):
        raise ValueError(f"one_hot: labels must be in 0..{num_classes - 1}, got {int(data.min())}..{int(data.max())}")
    return _ag.Tensor((data[..., None] == xp.arange(num_classes)).astype(dtype))


# ------------------------------------------------------------- more losses, distances and gumbel_softmax
def _same_shape_operands(name, input, target):
    """A loss's input and target as Tensors of one float dtype and of one shape, or a clear error naming the loss
    (torch broadcasts them with a warning that the result is likely wrong; minigan refuses, as in mse_loss)."""
    _ag._loss_operands(name, input, target)
    _ag._expect_tensor(target, name)  # (no array or list, as torch's)
    if input.shape != target.shape:
        raise ValueError(f"{name}: input shape {tuple(input.shape)} and target shape {tuple(target.shape)} must be "
                         "equal")
    return _ag._pair(_ag._floating(input), target, name)


def _nonnegative(name, what, value, zero_ok):
    """A clear error unless `value` is a number >= 0 (> 0 when not `zero_ok`)."""
    if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool) or not (
            value >= 0 if zero_ok else value > 0):
        raise ValueError(f"{name}: {what} must be a number {'>= 0' if zero_ok else '> 0'}, got {value!r}")
    return float(value)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta, with d = input - target (torch's ``smooth_l1_loss``).

    Quadratic near 0 and linear far away, with slope 1; beta=0 is l1_loss. Shapes must match.
    """
    no_legacy_reduction("smooth_l1_loss", size_average, reduce)
    beta = _nonnegative("smooth_l1_loss", "beta", beta, zero_ok=True)
    input, target = _same_shape_operands("smooth_l1_loss", input, target)
    d = input - target
    if beta == 0.0:
        return _ag.reduce_loss(_ag.abs(d), reduction, "smooth_l1_loss")
    loss = _ag.where(_ag.abs(d).data < beta, 0.5 * d * d / beta, _ag.abs(d) - 0.5 * beta)
    return _ag.reduce_loss(loss, reduction, "smooth_l1_loss")


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), with d = input - target (torch's ``huber_loss``):
    smooth_l1_loss with beta = delta, times delta. `weight` (the input's shape) rescales each element's loss; 'mean'
    then averages over the elements (torch's, unlike mse_loss's weighted mean)."""
    delta = _nonnegative("huber_loss", "delta", delta, zero_ok=False)
    input, target = _same_shape_operands("huber_loss", input, target)
    d = input - target
    loss = _ag.where(_ag.abs(d).data < delta, 0.5 * d * d, delta * (_ag.abs(d) - 0.5 * delta))
    if weight is not None:
        _check_weight("huber_loss", "weight", weight, input)
        if weight.shape != input.shape:
            raise ValueError(f"huber_loss: weight shape {tuple(weight.shape)} and input shape {tuple(input.shape)} "
                             "must be equal")
        loss = loss * weight
    return _ag.reduce_loss(loss, reduction, "huber_loss")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || exp(input)) pointwise, target (log t - input), as torch's ``kl_div``: `input` holds
    log-probabilities (log_softmax's output), `target` probabilities (log-probabilities with log_target=True).

    0 log 0 counts as 0 (torch's xlogy). 'mean' averages over all the elements, as torch's
    (which warns that it is not the KL divergence); 'batchmean' divides the sum by the batch size
    (input.shape[0]): the KL divergence of each row, averaged. Shapes must match.
    """
    no_legacy_reduction("kl_div", size_average, reduce)
    if reduction not in ("mean", "batchmean", "sum", "none"):
        raise ValueError(f"kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none', got {reduction!r}")
    input, target = _same_shape_operands("kl_div", input, target)
    if log_target:
        loss = _ag.exp(target) * (target - input)  # e^t (t - x)
    else:  # t log t - t x, with 0 log 0 = 0 (log(1) under the mask keeps the gradient finite)
        nonzero = target.data != 0
        loss = _ag.where(nonzero, target * _ag.log(_ag.where(nonzero, target, 1.0)), 0.0) - target * input
    if reduction != "batchmean":
        return _ag.reduce_loss(loss, reduction, "kl_div")
    return _ag.sum(loss) / loss.shape[0] if loss.ndim else _ag.sum(loss)


def _broadcast_pair(name, x1, x2):
    """x1 and x2 as float Tensors of one dtype, broadcast to one shape, or a clear error naming the function."""
    _ag._expect_tensor(x1, name)
    _ag._expect_tensor(x2, name)
    if x1.device != x2.device:
        raise RuntimeError(f"{name}: x1 is on '{x1.device}' and x2 on '{x2.device}'; move one with .to(...)")
    x1, x2 = _ag._pair(_ag._floating(x1), _ag._floating(x2), name)
    try:
        shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise ValueError(f"{name}: x1 of shape {tuple(x1.shape)} and x2 of shape {tuple(x2.shape)} do not "
                         "broadcast to one shape") from None
    return _ag.broadcast_to(x1, shape), _ag.broadcast_to(x2, shape)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """x1 . x2 / (max(||x1||, eps) max(||x2||, eps)) along `dim` (that axis removed), as torch's: the inputs
    broadcast to one shape, and each norm is clamped to eps in value only (torch clamps it in place without
    gradient, so the gradient is that of the unclamped norm)."""
    x1, x2 = _broadcast_pair("cosine_similarity", x1, x2)
    dim = _ag._axis(dim, x1.shape, "cosine_similarity")
    norms = []
    for x in (x1, x2):
        n = _ag.norm(x, 2, dim=dim, keepdim=True)
        norms.append(n + (_ag.maximum(n, float(eps)) - n).detach())  # value max(n, eps), gradient n's
    return _ag.sum((x1 / norms[0]) * (x2 / norms[1]), dim=dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last axis, as torch's (eps keeps the norm's gradient finite at x1 = x2).

    p is a number > 0 or math.inf (the largest |difference|); the inputs broadcast to one shape.
    """
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or not p > 0:
        raise ValueError(f"pairwise_distance: p must be a number > 0 or math.inf, got {p!r} (torch's p=0, a count "
                         "of the differing entries, has no gradient and is not supported)")
    p = float(p)  # (a NumPy number too)
    x1, x2 = _broadcast_pair("pairwise_distance", x1, x2)
    d = x1 - x2 + float(eps)
    dim = -1 if d.ndim else None
    if p == 2 or p == 1:
        return _ag.norm(d, p, dim=dim, keepdim=keepdim)
    if p == float("inf"):
        return _ag.amax(_ag.abs(d), dim=dim, keepdim=keepdim)
    return _ag.sum(_ag.abs(d) ** float(p), dim=dim, keepdim=keepdim) ** (1.0 / p)  # (sum |d|^p)^(1/p)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + g) / tau) along `dim`, g ~ Gumbel(0, 1) drawn from minigan's seeded generator (as torch's).

    A differentiable sample from the categorical distribution softmax(logits): as tau -> 0 it tends
    to one-hot. hard=True returns the one-hot of its argmax, with the gradient of the soft sample
    (the straight-through estimator: y_hard - y_soft.detach() + y_soft). `eps` is torch's, unused
    (deprecated there too).
    """
    name = "gumbel_softmax"
    _ag._expect_tensor(logits, name)
    if logits.dtype.kind != "f":
        raise TypeError(f"{name}: logits must be floats, got {logits.dtype}; convert with .float()")
    if not isinstance(tau, numbers.Real) or isinstance(tau, bool) or not tau > 0:
        raise ValueError(f"{name}: tau (the temperature) must be a number > 0, got {tau!r}")
    dim = _ag._axis(dim, logits.shape, name)
    u = _ag.rand(*logits.shape, dtype=logits.dtype, device=logits.device).data
    xp = backend.xp_of(u)
    exponential = xp.maximum(-xp.log1p(-u), np.finfo(u.dtype).tiny)  # E ~ Exp(1) (torch's exponential_), never 0
    gumbels = _ag.Tensor(-xp.log(exponential))  # g = -log E ~ Gumbel(0, 1)
    y_soft = _ag.softmax((logits + gumbels) / float(tau), dim)
    if not hard:
        return y_soft
    index = xp.expand_dims(xp.argmax(y_soft.data, axis=dim), dim)
    positions = xp.arange(logits.shape[dim]).reshape([-1 if a == dim else 1 for a in range(logits.ndim)])
    y_hard = _ag.Tensor((positions == index).astype(logits.dtype))
    return y_hard - y_soft.detach() + y_soft  # the one-hot's value, the soft sample's gradient


# ------------------------------------------------------------- margin, embedding and likelihood losses, pdist
def _operands(name, compared=(), **tensors):
    """The named tensors, on one device, as Tensors of one float dtype (integers and booleans as that dtype,
    float32 if none is float), checked to broadcast together; those named in `compared` (targets the loss only
    compares with 1 and -1) are left as they are. {name: Tensor}, or a clear error naming the loss."""
    first = next(iter(tensors))
    for what, x in tensors.items():
        _ag._expect_tensor(x, f"{name}: {what}")
        if x.device != tensors[first].device:
            raise RuntimeError(f"{name}: tensors are on two devices, the {first} on '{tensors[first].device}' and "
                               f"the {what} on '{x.device}'; move the {what} with .to('{tensors[first].device}')")
    computed = {what: x for what, x in tensors.items() if what not in compared}
    floats = {what: x.dtype for what, x in computed.items() if x.dtype.kind == "f"}
    if len(set(floats.values())) > 1:  # (no silent float64, as everywhere in minigan)
        raise TypeError(f"{name}: dtypes differ ({', '.join(f'{w} {d}' for w, d in floats.items())}); convert them "
                        "to one with .to(minigan.float32) or .to(minigan.float64)")
    dtype = next(iter(floats.values()), np.dtype(np.float32))
    _check_broadcast(name, {what: x.shape for what, x in computed.items()})
    return {what: x if what in compared or x.dtype == dtype else _ag.Tensor(x.data.astype(dtype))
            for what, x in tensors.items()}


def _check_broadcast(name, shapes):
    """A clear error naming the loss unless the shapes ({what: shape}) broadcast together."""
    try:
        np.broadcast_shapes(*(tuple(shape) for shape in shapes.values()))
    except ValueError:
        raise ValueError(f"{name}: shapes do not broadcast together ("
                         f"{', '.join(f'{w} {tuple(s)}' for w, s in shapes.items())}); aligned from the last axis, "
                         "each size must be equal or 1") from None


def _target_fits(name, target, input):
    """A clear error naming the loss unless the target broadcasts to the input's shape (without growing it)."""
    if not _ag._broadcasts_to(tuple(target.shape), tuple(input.shape)):
        raise ValueError(f"{name}: target of shape {tuple(target.shape)} must broadcast to the input's shape "
                         f"{tuple(input.shape)}")


def _same_ndim(name, **tensors):
    """A clear error naming the loss unless the tensors have as many dimensions (torch's rule)."""
    if len({x.ndim for x in tensors.values()}) > 1:
        raise ValueError(f"{name}: {', '.join(tensors)} must have as many dimensions, got shapes "
                         f"{', '.join(str(tuple(x.shape)) for x in tensors.values())}")


def _distance_p(name, p):
    """The p of a p-norm distance: a number > 0 or math.inf (torch's p = 0, a count, has no gradient)."""
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or not p > 0:
        raise ValueError(f"{name}: p must be a number > 0 or math.inf, got {p!r} (torch's p=0, a count of the "
                         "differing entries, has no gradient and is not supported)")
    return float(p)


def _labels_out_of_range(name, labels, low, high, what):
    """Checks that every label lies in low..high-1 on the CPU (None); on a GPU, where reading them back would wait
    for the device at every call, the mask of those out of range instead, whose samples' losses become NaN."""
    if backend.xp_of(labels) is not np:
        return (labels < low) | (labels >= high)
    if labels.size and (int(labels.min()) < low or int(labels.max()) >= high):
        raise ValueError(f"{name}: {what} must lie in {low}..{high - 1}, got {int(labels.min())}..{int(labels.max())}")
    return None


def _nan_where(loss, bad):
    """The loss, NaN in the samples marked `bad` (None: none is)."""
    if bad is None:
        return loss
    return loss + _ag.Tensor(backend.xp_of(bad).where(bad, np.nan, 0).astype(loss.dtype))


def _class_scores(name, input):
    """A multi-class loss's input as (N, C) float scores, with N and C: an (N, C) or (C,) input (0-d: one class)."""
    _ag._expect_tensor(input, name)
    if input.ndim > 2 or (input.ndim and input.shape[-1] == 0):
        raise ValueError(f"{name}: expected scores of shape (N, C) or (C,), with C >= 1 classes, got shape "
                         f"{tuple(input.shape)}")
    n, c = (input.shape if input.ndim == 2 else (1, input.shape[0] if input.ndim else 1))
    return _ag.reshape(_ag._floating(input), n, c), n, c


def _integer_target(name, target, input, what):
    """The target's integer array, on the input's device, or a clear error."""
    _ag._expect_tensor(target, f"{name}: target")
    if target.device != input.device:
        raise RuntimeError(f"{name}: tensors are on two devices, the input on '{input.device}' and the target on "
                           f"'{target.device}'; move the target with .to('{input.device}')")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold integer {what}, got {target.dtype}; convert it with .long()")
    return target.data


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target (input1 - input2) + margin), as torch's: a target of 1 asks input1 to be larger than input2
    by at least `margin`, -1 smaller. The three broadcast to one shape and have as many dimensions (torch's rule)."""
    name = "margin_ranking_loss"
    no_legacy_reduction(name, size_average, reduce)
    check_reduction(name, reduction)
    margin = _ag._real(name, "margin", margin)
    x1, x2, y = _operands(name, input1=input1, input2=input2, target=target).values()
    _same_ndim(name, input1=x1, input2=x2, target=y)
    return _ag.reduce_loss(_ag.clamp_min(-y * (x1 - x2) + margin, 0.0), reduction, name)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target is 1 and max(0, margin - input) where it is -1 (the input a distance: small for similar
    pairs), as torch's; a target that is neither gets both terms, as torch's. The target is only compared (any
    dtype); the two broadcast."""
    name = "hinge_embedding_loss"
    no_legacy_reduction(name, size_average, reduce)
    check_reduction(name, reduction)
    margin = _ag._real(name, "margin", margin)
    x, t = _operands(name, ("target",), input=input, target=target).values()
    _check_broadcast(name, {"input": x.shape, "target": t.shape})
    t = t.data
    return _ag.reduce_loss(_ag.where(t != 1, _ag.clamp_min(margin - x, 0.0), 0.0) + _ag.where(t != -1, x, 0.0),
                           reduction, name)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target input)), the logistic loss of targets 1 and -1, as torch's, computed stably (torch's
    overflows to inf, with a NaN gradient, where -target input > 88 in float32). The target broadcasts to the
    input's shape."""
    name = "soft_margin_loss"
    no_legacy_reduction(name, size_average, reduce)
    check_reduction(name, reduction)
    x, y = _operands(name, input=input, target=target).values()
    _target_fits(name, y, x)
    return _ag.reduce_loss(_ag.softplus(-y * x, threshold=None), reduction, name)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos where target is 1 and max(0, cos - margin) where it is -1 (0 elsewhere), cos the cosine of input1
    and input2 along the last axis, x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)), as torch's: (N, D) inputs and
    an (N,) target, or (D,) inputs and a 0-d target. The target is only compared (any dtype)."""
    name = "cosine_embedding_loss"
    no_legacy_reduction(name, size_average, reduce)
    check_reduction(name, reduction)
    margin = _ag._real(name, "margin", margin)
    x1, x2, t = _operands(name, ("target",), input1=input1, input2=input2, target=target).values()
    if t.ndim > 1 or x1.ndim != t.ndim + 1 or x2.ndim != t.ndim + 1:
        raise ValueError(f"{name}: expected inputs of shape (N, D) and a target of shape (N,), or (D,) and a 0-d "
                         f"target; got input1 {tuple(x1.shape)}, input2 {tuple(x2.shape)}, target {tuple(t.shape)}")
    _check_broadcast(name, {"input1's batch": x1.shape[:-1], "input2's batch": x2.shape[:-1], "target": t.shape})
    squares = (_ag.sum(x1 * x1, dim=-1) + 1e-12) * (_ag.sum(x2 * x2, dim=-1) + 1e-12)
    cos = _ag.sum(x1 * x2, dim=-1) / _ag.sqrt(squares)
    t = t.data
    loss = _ag.where(t == 1, 1.0 - cos, 0.0) + _ag.where(t == -1, _ag.clamp_min(cos - margin, 0.0), 0.0)
    return _ag.reduce_loss(loss, reduction, name)


def _triplet(name, anchor, positive, negative):
    """The three tensors of a triplet loss, checked (_operands), with as many dimensions (torch's rule)."""
    a, pos, neg = _operands(name, anchor=anchor, positive=positive, negative=negative).values()
    _same_ndim(name, anchor=a, positive=pos, negative=neg)
    return a, pos, neg


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), d the p-norm distance along the last axis with
    pairwise_distance's eps, as torch's: the anchor is pulled toward the positive and pushed from the negative.
    swap=True takes d(positive, negative) for the second distance where it is smaller."""
    name = "triplet_margin_loss"
    no_legacy_reduction(name, size_average, reduce)
    check_reduction(name, reduction)
    margin = _nonnegative(name, "margin", margin, zero_ok=False)
    p, eps = _distance_p(name, p), _ag._real(name, "eps", eps)
    a, pos, neg = _triplet(name, anchor, positive, negative)
    d_pos, d_neg = pairwise_distance(a, pos, p, eps), pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = _ag.minimum(d_neg, pairwise_distance(pos, neg, p, eps))
    return _ag.reduce_loss(_ag.clamp_min(margin + d_pos - d_neg, 0.0), reduction, name)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """triplet_margin_loss with any distance: distance_function(x1, x2) gives one distance per sample
    (pairwise_distance when None), as torch's; `swap` as there."""
    name = "triplet_margin_with_distance_loss"
    check_reduction(name, reduction)
    margin = _nonnegative(name, "margin", margin, zero_ok=False)
    if distance_function is None:
        anchor, positive, negative = _triplet(name, anchor, positive, negative)
        distance_function = pairwise_distance
    elif not callable(distance_function):
        raise TypeError(f"{name}: distance_function must be a function (x1, x2) -> distances, got "
                        f"{type(distance_function).__name__}")
    else:  # (tensors of any dtypes and devices the function takes: torch checks only their dimensions)
        for what, x in (("anchor", anchor), ("positive", positive), ("negative", negative)):
            _ag._expect_tensor(x, f"{name}: {what}")
        _same_ndim(name, anchor=anchor, positive=positive, negative=negative)
    d_pos, d_neg = distance_function(anchor, positive), distance_function(anchor, negative)
    if swap:
        d_neg = _ag.minimum(d_neg, distance_function(positive, negative))
    return _ag.reduce_loss(_ag.clamp_min(margin + d_pos - d_neg, 0.0), reduction, name)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log v + (input - target)^2 / v) with v = max(var, eps): the negative log-likelihood of the target under
    N(input, var), plus 0.5 log(2 pi) with full=True, as torch's. `var` is a number or a tensor of the input's
    shape, of its shape without the last axis (one variance per row), or with one axis of size 1 (torch's rule);
    the target broadcasts. The clamp changes the value only (torch's, under no_grad): var's gradient is taken at
    the clamped value."""
    name = "gaussian_nll_loss"
    check_reduction(name, reduction)
    eps = _nonnegative(name, "eps", eps, zero_ok=True)
    _ag._expect_tensor(input, name)
    if isinstance(var, numbers.Real) and not isinstance(var, bool):  # (torch's: a float only)
        if not var >= 0:
            raise ValueError(f"{name}: var must be >= 0 (a variance), got {var!r}")
        var = _ag.full(tuple(input.shape), float(var), dtype=_ag._floating(input).dtype, device=input.device)
    _ag._expect_tensor(var, f"{name}: var")
    if var.shape != input.shape:
        if var.shape == input.shape[:-1]:  # one variance per row, shared along the last axis
            var = _ag.unsqueeze(var, -1)
        elif var.ndim != input.ndim or sum(v for i, v in zip(input.shape, var.shape) if i != v) != 1:
            raise ValueError(f"{name}: var of shape {tuple(var.shape)} does not fit the input's shape "
                             f"{tuple(input.shape)}: give var of that shape, of {tuple(input.shape[:-1])} (one per "
                             "row), or of the input's shape with one axis of size 1 (torch's rule)")
    x, t, v = _operands(name, input=input, target=target, var=var).values()
    if backend.xp_of(v.data) is not np:  # (a check would wait for the device: a negative variance's loss is NaN)
        v = _ag.where(v.data < 0, np.nan, v)
    elif (v.data < 0).any():
        raise ValueError(f"{name}: var must be >= 0 everywhere (variances), got a minimum of {float(v.data.min()):.4g}")
    v = v + (_ag.clamp_min(v, eps) - v).detach()  # value max(var, eps), gradient var's
    d = x - t
    loss = 0.5 * (_ag.log(v) + d * d / v)
    return _ag.reduce_loss(loss + 0.5 * math.log(2 * math.pi) if full else loss, reduction, name)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """The negative log-likelihood of the target counts under Poisson(rate), as torch's: exp(input) - target input
    with the log-rate as input (log_input=True), else input - target log(input + eps). full=True adds Stirling's
    approximation of log(target!), target log target - target + 0.5 log(2 pi target), where target > 1.
    The two broadcast."""
    name = "poisson_nll_loss"
    no_legacy_reduction(name, size_average, reduce)
    check_reduction(name, reduction)
    eps = _ag._real(name, "eps", eps)
    x, t = _operands(name, input=input, target=target).values()
    loss = _ag.exp(x) - t * x if log_input else x - t * _ag.log(x + eps)
    if full:
        above = t.data > 1
        safe = _ag.where(above, t, 1.0)  # (1 where there is no term: a finite gradient there; torch's is NaN at 0)
        stirling = safe * _ag.log(safe) - safe + 0.5 * _ag.log(2 * math.pi * safe)
        loss = loss + _ag.where(above, stirling, 0.0)
    return _ag.reduce_loss(loss, reduction, name)


def check_multi_margin_p(name, p):
    """multi_margin_loss's p: 1 or 2, as torch's."""
    if p not in (1, 2) or isinstance(p, bool):
        raise ValueError(f"{name}: p must be 1 or 2 (torch's only ones), got {p!r}")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    """The multi-class hinge loss of (N, C) scores and integer labels (N,), as torch's: for each sample, the sum
    over the other classes j of max(0, margin - x[label] + x[j])^p, over C, times weight[label] when a weight
    (one per class) is given; 'mean' averages over the samples. A (C,) input takes a 0-d label. A label out of
    range is an error on the CPU and a NaN loss on a GPU (as nll_loss's)."""
    name = "multi_margin_loss"
    no_legacy_reduction(name, size_average, reduce)
    check_reduction(name, reduction)
    check_multi_margin_p(name, p)
    margin = _ag._real(name, "margin", margin)
    x, n, c = _class_scores(name, input)
    labels = _integer_target(name, target, input, "class indices")
    if labels.ndim > 1 or labels.size != n:
        raise ValueError(f"{name}: target must hold one class index per sample, shape ({n},), got shape "
                         f"{tuple(labels.shape)} for scores of shape {tuple(input.shape)}")
    labels = labels.reshape(n)
    bad = _labels_out_of_range(name, labels, 0, c, "labels")
    xp = backend.xp_of(labels)
    safe = xp.clip(labels, 0, c - 1)  # (on a GPU a label out of range must pick no other class)
    own = safe[:, None] == xp.arange(c)  # (N, C): each sample's own class
    picked = _ag.reshape(_ag.getitem(x, (xp.arange(n), safe)), n, 1)  # x[label]
    hinge = _ag.relu(margin - picked + x)
    loss = _ag.sum(_ag.where(own, 0.0, hinge * hinge if p == 2 else hinge), dim=1) / c
    if weight is not None:
        _check_weight(name, "weight", weight, x)
        if tuple(weight.shape) != (c,):
            raise ValueError(f"{name}: weight must hold one value per class, shape ({c},), got shape "
                             f"{tuple(weight.shape)}")
        loss = loss * _ag.getitem(weight, safe)
    return _ag.reduce_loss(_ag.reshape(_nan_where(loss, bad), *target.shape), reduction, name)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy on logits of C labels at once, averaged over the classes (the last axis), as torch's:
    -(target log sigmoid(input) + (1 - target) log sigmoid(-input)), times `weight` (broadcast) when given; one
    loss per sample, (N, C) -> (N,). The target broadcasts to the input's shape."""
    name = "multilabel_soft_margin_loss"
    no_legacy_reduction(name, size_average, reduce)
    check_reduction(name, reduction)
    x, t = _operands(name, input=input, target=target).values()
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"{name}: expected logits of shape (N, C) or (C,), with C >= 1 classes on the last axis, "
                         f"got shape {tuple(x.shape)}")
    _target_fits(name, t, x)  # (torch's would broadcast beyond, and then sum over another axis)
    loss = -(t * _ag.logsigmoid(x) + (1.0 - t) * _ag.logsigmoid(-x))
    if weight is not None:
        loss = loss * _broadcast_weight(name, "weight", weight, x)
    return _ag.reduce_loss(_ag.sum(loss, dim=-1) / x.shape[-1], reduction, name)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The multi-label hinge loss, as torch's: the target, of the input's shape (N, C) or (C,), lists each sample's
    classes, ended by the first -1; a sample's loss is the sum over its classes y and the classes j not among them
    of max(0, 1 - (x[y] - x[j])), over C. A target value outside -1..C-1 is an error on the CPU and a NaN loss
    on a GPU."""
    name = "multilabel_margin_loss"
    no_legacy_reduction(name, size_average, reduce)
    check_reduction(name, reduction)
    x, n, c = _class_scores(name, input)
    target = _integer_target(name, target, input, "class indices (-1 ends the list)")
    if target.shape != input.shape:
        raise ValueError(f"{name}: target must have the input's shape {tuple(input.shape)}, got shape "
                         f"{tuple(target.shape)}")
    target = target.reshape(n, c)
    bad = _labels_out_of_range(name, target, -1, c, "target values (class indices, -1 ends the list)")
    xp = backend.xp_of(target)
    listed = xp.cumsum(target < 0, axis=1) == 0  # (N, C): the entries before the first -1
    safe = xp.clip(target, 0, c - 1)
    is_target = ((safe[:, :, None] == xp.arange(c)) & listed[:, :, None]).any(axis=1)  # (N, C): class j is listed
    picked = _ag.getitem(x, (xp.arange(n)[:, None], safe))  # (N, C): x[target]
    hinge = _ag.relu(1.0 - _ag.reshape(picked, n, c, 1) + _ag.reshape(x, n, 1, c))  # (N, listed y, class j)
    pairs = listed[:, :, None] & ~is_target[:, None, :]
    loss = _nan_where(_ag.sum(_ag.where(pairs, hinge, 0.0), dim=(1, 2)) / c, None if bad is None else bad.any(axis=1))
    return _ag.reduce_loss(loss if input.ndim == 2 else _ag.reshape(loss), reduction, name)


def pdist(input, p=2):
    """The p-norm distances between the rows of an (N, M) input, as torch's: the N (N - 1) / 2 distances of rows
    i < j in order (row 0 to rows 1, 2, ..., then row 1 to rows 2, ...). A zero distance has a zero gradient."""
    name = "pdist"
    _ag._expect_tensor(input, name)
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: expected a float input, got {input.dtype}; convert it with .float()")
    if input.ndim != 2:
        raise ValueError(f"{name}: expected an input of shape (N, M), got shape {tuple(input.shape)}")
    p = _distance_p(name, p)
    rows, others = backend.xp_of(input.data).triu_indices(input.shape[0], 1)
    d = _ag.getitem(input, rows) - _ag.getitem(input, others)
    if p == 2:
        return _ag.norm(d, 2, dim=1)
    if p == 1 or d.shape[1] == 0:  # (rows of no entries are 0 apart: amax below would have nothing to take)
        return _ag.sum(_ag.abs(d), dim=1)
    if p == math.inf:  # the largest |d|: each tied one gets the whole gradient, as torch's (amax would share it)
        top = _ag.amax(_ag.abs(d), dim=1, keepdim=True).detach()
        ties = _ag.abs(d).data == top.data
        return _ag.sum(_ag.where(ties, _ag.abs(d) - top, 0.0), dim=1) + _ag.reshape(top, -1)
    nonzero = d.data != 0  # |d|^p with a zero gradient at d = 0, as torch's (p < 1 would give inf there)
    total = _ag.sum(_ag.where(nonzero, _ag.abs(_ag.where(nonzero, d, 1.0)) ** p, 0.0), dim=1)
    positive = total.data > 0
    return _ag.where(positive, _ag.where(positive, total, 1.0) ** (1.0 / p), 0.0)  # (sum |d|^p)^(1/p), 0 at 0
