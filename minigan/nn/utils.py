"""``minigan.nn.utils``: gradient clipping, as ``torch.nn.utils`` does it."""

import math

from .. import autograd as ag
from .. import backend
from ..autograd import Tensor


def _grads(parameters):
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together so that their joint norm is at most `max_norm`; returns that norm before clipping.

    total = ||(||g_1||, ||g_2||, ...)||  (the norm of all gradients as one vector);
    every g is multiplied by min(1, max_norm / (total + 1e-6)), in place, as in PyTorch.
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return ag.tensor(0.0)
    with ag.no_grad():
        xp = backend.xp_of(grads[0].data)
        if norm_type == math.inf:
            norms = [xp.abs(g.data).max() for g in grads]
            total = xp.stack(norms).max()
        else:
            norms = [(xp.abs(g.data) ** norm_type).sum() ** (1.0 / norm_type) for g in grads]
            total = (xp.stack(norms) ** norm_type).sum() ** (1.0 / norm_type)
        if error_if_nonfinite and not bool(xp.isfinite(total)):
            raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {float(total)}; "
                               "set error_if_nonfinite=False to clip anyway")
        scale = xp.minimum(max_norm / (total + 1e-6), 1.0).astype(grads[0].dtype)
        for g in grads:
            g.data *= scale
    return Tensor(total)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        backend.xp_of(g.data).clip(g.data, -clip_value, clip_value, out=g.data)
