"""Functional forms of the layers (``minigan.nn.functional``, like ``torch.nn.functional``).

The elementwise and reduction ops live in ``minigan.autograd``; this module
gathers what layers use under PyTorch's names.
"""

import numpy as np

from ..autograd import (  # noqa: F401  (re-exported)
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    check_reduction,
    elu,
    leaky_relu,
    linear,
    log_softmax,
    logsigmoid,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from .. import autograd as _ag
from .. import backend
from ..conv import conv2d, conv_transpose2d  # noqa: F401  (re-exported)
from .misc import avg_pool2d, dropout, dropout2d, interpolate, max_pool2d, pad, pixel_shuffle  # noqa: F401
from .norm import batch_norm, group_norm, instance_norm, layer_norm  # noqa: F401


def mse_loss(input, target, reduction="mean"):
    """Mean squared error (input - target)^2, shapes must match."""
    _ag._expect_tensor(input, "mse_loss")
    _ag._expect_tensor(target, "mse_loss")
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} must be equal")
    d = input - target
    return _ag.reduce_loss(d * d, reduction, "mse_loss")


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """input / max(||input||_p, eps) along `dim`: vectors of length 1 (p = 2 or 1), as torch's ``F.normalize``."""
    _ag._expect_tensor(input, "normalize")
    return input / _ag.maximum(_ag.norm(input, p, dim=dim, keepdim=True), float(eps))


def l1_loss(input, target, reduction="mean"):
    """Mean absolute error |input - target| (pix2pix's reconstruction term), shapes must match."""
    _ag._expect_tensor(input, "l1_loss")
    _ag._expect_tensor(target, "l1_loss")
    if input.shape != target.shape:
        raise ValueError(f"l1_loss: input shape {input.shape} and target shape {target.shape} must be equal")
    return _ag.reduce_loss(_ag.abs(input - target), reduction, "l1_loss")


def cross_entropy(logits, labels, reduction="mean"):
    """Softmax cross-entropy of (N, C) logits against integer labels (N,) in 0..C-1: nll_loss(log_softmax(logits)).

    As in torch, the target may instead be class probabilities of the logits'
    shape (N, C): the loss of a row is then -sum_c p_c log softmax(logits)_c.
    """
    idx = _labels(logits, labels, "cross_entropy", "logits")
    logp = log_softmax(logits, dim=1)
    if idx.dtype.kind == "f" and tuple(idx.shape) == tuple(logits.shape):  # class probabilities
        return _ag.reduce_loss(-_ag.sum(logp * labels, dim=1), reduction, "cross_entropy")
    return _nll(logp, idx, reduction, "cross_entropy", "logits")


def nll_loss(log_probs, labels, reduction="mean"):
    """-log p of each sample's label, from (N, C) log-probabilities (``LogSoftmax``'s output), as torch's."""
    return _nll(log_probs, _labels(log_probs, labels, "nll_loss", "log_probs"), reduction, "nll_loss", "log_probs")


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


def _nll(logp, idx, reduction, name, what):
    """-logp[i, label_i] for each row i, reduced: the part cross_entropy and nll_loss share."""
    n, c = logp.shape
    if idx.dtype.kind not in "iu" or tuple(idx.shape) != (n,):
        wrong_type = idx.dtype.kind not in "iu"
        raise (TypeError if wrong_type else ValueError)(
            f"{name}: labels must be integer class indices of shape ({n},)"
            + (f", or class probabilities of the {what}' shape {tuple(logp.shape)}" if name == "cross_entropy" else "")
            + f"; got {idx.dtype} of shape {tuple(idx.shape)}"
            + ("; convert float labels with .long()" if wrong_type and tuple(idx.shape) == (n,) else ""))
    # the range check reads two numbers, so on a GPU (where that waits for the device) it is skipped, as in one_hot
    if backend.xp_of(idx) is np and n and (int(idx.min()) < 0 or int(idx.max()) >= c):
        raise ValueError(f"{name}: labels must lie in 0..{c - 1} for {c} classes, "
                         f"got {int(idx.min())}..{int(idx.max())}")
    picked = _ag.getitem(logp, (_ag.arange(n, device=logp.device).data, idx))
    return _ag.reduce_loss(-picked, reduction, name)


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
    if num_classes < 0:
        num_classes = int(data.max()) + 1 if data.size else 0
    if xp is np and data.size and (int(data.min()) < 0 or int(data.max()) >= num_classes):
        raise ValueError(f"one_hot: labels must be in 0..{num_classes - 1}, got {int(data.min())}..{int(data.max())}")
    return _ag.Tensor((data[..., None] == xp.arange(num_classes)).astype(dtype))
