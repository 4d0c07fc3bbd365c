"""Functional forms of the layers (``minigan.nn.functional``, like ``torch.nn.functional``).

The elementwise and reduction ops live in ``minigan.autograd``; this module
gathers what layers use under PyTorch's names.
"""

import numpy as np

from ..autograd import (  # noqa: F401  (re-exported)
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    check_reduction,
    leaky_relu,
    linear,
    log_softmax,
    logsigmoid,
    relu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from .. import autograd as _ag
from .. import backend
from ..conv import conv2d, conv_transpose2d  # noqa: F401  (re-exported)
from .misc import dropout, interpolate, pad  # noqa: F401
from .norm import batch_norm, instance_norm, layer_norm  # noqa: F401


def mse_loss(input, target, reduction="mean"):
    """Mean squared error (input - target)^2, shapes must match."""
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} must be equal")
    d = input - target
    return _ag.reduce_loss(d * d, reduction, "mse_loss")


def cross_entropy(logits, labels, reduction="mean"):
    """Softmax cross-entropy of (N, C) logits against integer labels (N,)."""
    logp = log_softmax(logits, dim=1)
    n = logits.shape[0]
    idx = labels.data if isinstance(labels, _ag.Tensor) else labels
    picked = _ag.getitem(logp, (_ag.arange(n, device=logits.device).data, idx))
    return _ag.reduce_loss(-picked, reduction, "cross_entropy")


def one_hot(labels, num_classes=-1, *, dtype="int64"):
    """torch's ``F.one_hot``: integer labels of any shape -> a (..., num_classes) tensor of 0s and 1s.

    int64 as in torch, or the `dtype` given (the conditional GAN's networks
    take float32 rows, ``minigan.models.one_hot``). ``num_classes=-1`` takes
    the largest label + 1. The range check reads two numbers, so it runs on
    the CPU only: on a GPU it would wait for the device on every call. There a
    label out of range gets a row of zeros (the comparison below), never
    another class's row.
    """
    data = labels.data if isinstance(labels, _ag.Tensor) else labels
    if data.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got dtype {data.dtype}")
    xp = backend.xp_of(data)
    if num_classes < 0:
        num_classes = int(data.max()) + 1 if data.size else 0
    if xp is np and data.size and (int(data.min()) < 0 or int(data.max()) >= num_classes):
        raise ValueError(f"one_hot: labels must be in 0..{num_classes - 1}, got {int(data.min())}..{int(data.max())}")
    return _ag.Tensor((data[..., None] == xp.arange(num_classes)).astype(dtype))
