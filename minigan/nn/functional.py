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
from .misc import dropout  # noqa: F401
from .norm import batch_norm  # noqa: F401


def pad(input, pad, mode="constant", value=None):
    """torch's ``F.pad``: `pad` = (left, right, top, bottom, ...) widths, from the last axis backwards.

    Positive widths add rows of `value` (0 by default), negative ones cut
    rows off; ``F.pad(x, (1, 1, 2, 2))`` pads the width by 1 and the height
    by 2 on each side. Only the constant mode is there.
    """
    if mode != "constant":
        raise NotImplementedError(f"pad: mode={mode!r} is not supported (only 'constant'); "
                                  "for 'reflect' or 'replicate', build the border with indexing and minigan.cat")
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or not all(isinstance(w, (int, np.integer)) for w in pad):
        raise TypeError(f"pad: widths must be a tuple of ints of even length (left, right, top, bottom, ...), got {pad!r}")
    if len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: {len(pad)} widths pad {len(pad) // 2} axes, but the input has {input.ndim} (shape {tuple(input.shape)})")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):  # pad[0:2] is the last axis
        widths[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    sizes = [n + a + b for n, (a, b) in zip(input.shape, widths)]
    if min(sizes, default=1) < 0:
        raise ValueError(f"pad: widths {tuple(pad)} cut more than the input's shape {tuple(input.shape)} holds")
    if any(a < 0 or b < 0 for a, b in widths):  # negative widths crop first
        input = _ag.getitem(input, tuple(slice(max(0, -a), n - max(0, -b)) for n, (a, b) in zip(input.shape, widths)))
        widths = [(max(0, a), max(0, b)) for a, b in widths]
    return _ag.Pad(widths, 0.0 if value is None else float(value))(input)


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
