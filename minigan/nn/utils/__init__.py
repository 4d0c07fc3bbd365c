"""``minigan.nn.utils``: gradient clipping, parameters as one vector, spectral and weight normalisation, padded
sequences (``rnn``), as ``torch.nn.utils`` does them."""

import math
import numbers

import numpy as np

from ... import autograd as ag
from ... import backend
from ...autograd import Tensor
from ..conv import ConvTranspose1d, ConvTranspose2d
from ..module import Parameter, refuse_a_model_as_parameters
from . import parametrizations, parametrize  # noqa: F401  (nn.utils.parametrizations.spectral_norm, as torch's)
from . import rnn  # noqa: F401  (nn.utils.rnn.pad_sequence, as torch's)
from .parametrizations import _norm_except_dim


def _grads(parameters, function):
    """The gradients of `parameters` (a Tensor or an iterable of them), with Adam's hints for a model passed whole."""
    refuse_a_model_as_parameters(parameters, function)
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together so that their joint norm is at most `max_norm`; returns that norm before clipping.

    total = ||(||g_1||, ||g_2||, ...)||  (the norm of all gradients as one vector);
    every g is multiplied by min(1, max_norm / (total + 1e-6)), in place, as in PyTorch. The norm has
    the gradients' dtype. norm_type=0 gives torch's value: the number of gradients with a nonzero entry;
    inf the largest |entry|, -inf the smallest.
    """
    if not (isinstance(max_norm, numbers.Real) and max_norm >= 0):  # a negative bound would flip every gradient
        raise ValueError(f"clip_grad_norm_: max_norm must be a number >= 0, got {max_norm!r}")
    grads = _grads(parameters, "clip_grad_norm_")
    norm_type = float(norm_type)
    if not grads:
        return ag.tensor(0.0)
    devices = sorted({g.device for g in grads})
    if len(devices) > 1:  # one norm over all of them: the arrays must meet on one device
        raise RuntimeError(f"clip_grad_norm_: the gradients are on several devices ({', '.join(devices)}); "
                           "move the whole model to one device first, model.to(device)")
    with ag.no_grad(), np.errstate(all="ignore"):  # an inf/NaN gradient shows in the norm, without NumPy's warning
        xp = backend.xp_of(grads[0].data)
        if abs(norm_type) == math.inf:  # the largest |entry| of all the gradients (-inf, as torch: the smallest)
            pick = xp.max if norm_type > 0 else xp.min
            total = pick(xp.stack([pick(xp.abs(g.data)) for g in grads]))
        elif norm_type == 0:  # torch's: the 0-"norm" (count of nonzeros) of each gradient, then of those counts,
            # so the number of nonzero gradients (xp.asarray: NumPy 1's count_nonzero gives a Python int)
            norms = [xp.asarray(xp.count_nonzero(g.data), dtype=g.dtype) for g in grads]
            total = xp.asarray(xp.count_nonzero(xp.stack(norms)), dtype=norms[0].dtype)
        else:  # exponents of the arrays' dtype: NumPy 1 makes np.float32(x) ** 0.5 a float64
            norms = [(xp.abs(g.data) ** g.dtype.type(norm_type)).sum() ** g.dtype.type(1.0 / norm_type) for g in grads]
            stacked = xp.stack(norms)
            t = stacked.dtype.type
            total = (stacked ** t(norm_type)).sum() ** t(1.0 / norm_type)
        if error_if_nonfinite and not bool(xp.isfinite(total)):
            raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {float(total)}; "
                               "set error_if_nonfinite=False to clip anyway")
        t = total.dtype.type  # NumPy 1 would compute the scale of a float32 norm in float64
        scale = xp.minimum(t(max_norm) / (total + t(1e-6)), t(1.0)).astype(grads[0].dtype)
        for g in grads:
            g.data *= scale
    return Tensor(xp.asarray(total))  # an array keeps the gradients' dtype (a NumPy float64 scalar is a Python float)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry to [-clip_value, clip_value], in place."""
    if not (isinstance(clip_value, numbers.Real) and clip_value >= 0):  # a negative bound would set every entry to it
        raise ValueError(f"clip_grad_value_: clip_value must be a number >= 0, got {clip_value!r}")
    clip_value = float(clip_value)
    for g in _grads(parameters, "clip_grad_value_"):
        backend.xp_of(g.data).clip(g.data, -clip_value, clip_value, out=g.data)


# ------------------------------------------------------------- parameters as one vector
def _parameter_list(parameters, function):
    """`parameters` (an iterable of Tensors, or one Tensor) as a list, all on one device (torch's check)."""
    refuse_a_model_as_parameters(parameters, function)
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"{function}: parameter {i} is a {type(p).__name__}, not a minigan Tensor; pass "
                            "model.parameters() or a list of tensors")
    devices = sorted({p.device for p in parameters})
    if len(devices) > 1:  # (torch raises a TypeError too)
        raise TypeError(f"{function}: the parameters are on different devices ({', '.join(devices)}); move the "
                        "whole model to one device first, model.to(device)")
    return parameters


def parameters_to_vector(parameters):
    """All the parameters flattened and joined into one 1-D tensor, in their order, as torch's.

    vec = cat(p_1.reshape(-1), p_2.reshape(-1), ...): a differentiable join, so a loss of vec
    backpropagates into every parameter. vec holds a copy of the values (changing it in place
    leaves the parameters alone); ``vector_to_parameters`` puts values back.
    """
    parameters = _parameter_list(parameters, "parameters_to_vector")
    if not parameters:
        raise ValueError("parameters_to_vector: got no parameters (an empty list, or a model without any)")
    dtypes = sorted({p.dtype.name for p in parameters})
    if len(dtypes) > 1:  # (torch would promote them to the widest)
        raise TypeError(f"parameters_to_vector: the parameters have different dtypes ({', '.join(dtypes)}); give "
                        "the model one dtype first, model.to(dtype)")
    return ag.cat([ag.reshape(p, -1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Cut the 1-D tensor `vec` into the parameters' shapes: each slice becomes a parameter's data, as torch's.

    The inverse of ``parameters_to_vector``: p_i takes the next p_i.numel() values of vec. As in torch, each
    parameter's data becomes a view of vec's memory (not a copy), outside any graph, and its .grad and
    requires_grad stay. vec must hold exactly as many values as the parameters (torch ignores extra values),
    with their dtype and device. A graph that used the old values can no longer backpropagate (torch's
    would silently use the new ones).
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: vec must be a minigan Tensor, got {type(vec).__name__}; make one "
                        "with minigan.tensor(...), or take it from parameters_to_vector(model.parameters())")
    parameters = _parameter_list(parameters, "vector_to_parameters")
    total = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise ValueError(f"vector_to_parameters: vec has shape {tuple(vec.shape)}, the parameters need a 1-D tensor of "
                         f"{total} values (their numel() in all); make it with parameters_to_vector(...)")
    for i, p in enumerate(parameters):  # checked first: a refused call changes no parameter
        if (p.dtype, p.device) != (vec.dtype, vec.device):
            raise TypeError(f"vector_to_parameters: vec is {vec.dtype} on '{vec.device}', parameter {i} is "
                            f"{p.dtype} on '{p.device}'; convert vec first, vec.to({p.device!r}, {p.dtype.name!r})")
    start = 0
    for p in parameters:
        p.data = vec.data[start:start + p.numel()].reshape(p.shape)  # p = vec[start:start+n] as p's shape (a view)
        p._version += 1  # new values: a graph that used the old ones can no longer backpropagate
        start += p.numel()


# ------------------------------------------------------------- spectral normalisation
def _normalize(v, eps):
    """v / max(||v||, eps), on raw arrays (on the device: no copy to the host)."""
    xp = backend.xp_of(v)
    return v / xp.maximum(xp.sqrt((v * v).sum()), eps)


class _SpectralNorm:
    """The forward pre-hook of ``spectral_norm``: weight = weight_orig / sigma before every forward.

    sigma, the largest singular value of the weight (as a matrix, `dim` first),
    is estimated by power iteration: v <- W^T u / |W^T u|, u <- W v / |W v|,
    then sigma = u . W v. In training mode each forward refines u and v by
    `n_power_iterations` steps (kept in the buffers weight_u, weight_v); in eval
    mode they stay. The gradient flows through W in sigma, not through u and v.
    """

    def __init__(self, name, n_power_iterations, dim, eps):
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def weight_matrix(self, weight):
        if self.dim != 0:  # the axis of the outputs first
            weight = ag.permute(weight, self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return ag.reshape(weight, weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        w = self.weight_matrix(weight)
        if do_power_iteration:
            with ag.no_grad():
                for _ in range(self.n_power_iterations):
                    v.data[...] = _normalize(w.data.T @ u.data, self.eps)
                    u.data[...] = _normalize(w.data @ v.data, self.eps)
        u_now, v_now = Tensor(u.data.copy()), Tensor(v.data.copy())  # constants of this forward's graph
        sigma = ag.sum(u_now * ag.matmul(w, v_now))
        return weight / sigma

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide `module`'s weight by its largest singular value before every forward (Miyato et al. 2018).

    As ``torch.nn.utils.spectral_norm``: the trained parameter becomes
    ``weight_orig``, the power-iteration vectors the buffers ``weight_u`` and
    ``weight_v`` (all three in ``state_dict``), and ``module.weight`` is
    recomputed at each call. SN-GAN puts it on every layer of D, which then
    stays 1-Lipschitz per layer. Returns the module.
    """
    if any(isinstance(h, _SpectralNorm) and h.name == name for h in module._forward_pre_hooks.values()):
        raise RuntimeError(f"spectral_norm: {type(module).__name__}.{name} already has spectral norm")
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}")
    if not (isinstance(n_power_iterations, numbers.Integral) and n_power_iterations > 0):  # 0: sigma never refined
        raise ValueError(f"spectral_norm: n_power_iterations must be a whole number > 0, got {n_power_iterations!r}")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0  # a transposed conv's outputs
    eps = float(eps)  # a NumPy float64 eps would make u and v float64 (NumPy 2's promotion)
    hook = _SpectralNorm(name, n_power_iterations, dim, eps)
    with ag.no_grad():
        w = hook.weight_matrix(weight)
        gen = backend.generator(weight.device)
        u = _normalize(gen.standard_normal(w.shape[0], dtype=weight.dtype), eps)
        v = _normalize(gen.standard_normal(w.shape[1], dtype=weight.dtype), eps)
    delattr(module, name)
    setattr(module, name + "_orig", weight)  # the same Parameter object: an optimizer made earlier still steps it
    module.register_buffer(name + "_u", Tensor(u))
    module.register_buffer(name + "_v", Tensor(v))
    object.__setattr__(module, name, Tensor(weight.data))  # a plain attribute, recomputed by the hook
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undo ``spectral_norm``: the current normalised weight becomes the parameter again."""
    for handle, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _SpectralNorm) and hook.name == name:
            with ag.no_grad():
                weight = hook.compute_weight(module, do_power_iteration=False)
            handle.remove()
            for suffix in ("_orig", "_u", "_v"):
                delattr(module, name + suffix)
            object.__delattr__(module, name)
            setattr(module, name, Parameter(weight.data))
            return module
    raise ValueError(f"spectral_norm of {name!r} not found in {type(module).__name__}")


# ------------------------------------------------------------- weight normalisation
class _WeightNorm:
    """The forward pre-hook of ``weight_norm``: weight = g v / ||v|| before every forward (the norm per `dim`)."""

    def __init__(self, name, dim):
        self.name, self.dim = name, dim

    def compute_weight(self, module):
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))  # w = g v / ||v||

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Split `module`'s weight into a length and a direction, w = g v / ||v|| (Salimans & Kingma 2016), as
    ``torch.nn.utils.weight_norm``.

    The parameter `name` is replaced by two: ``weight_g`` (the norms, one per slice along `dim`, shape 1 on
    the other axes) and ``weight_v`` (the direction, the old values), both in ``state_dict``; ``module.weight``
    is recomputed before every forward. dim=None (or -1, as in torch) takes one norm of the whole weight.
    Returns the module.
    """
    if any(isinstance(h, _WeightNorm) and h.name == name for h in module._forward_pre_hooks.values()):
        raise RuntimeError(f"weight_norm: {type(module).__name__}.{name} already has weight norm (torch: cannot "
                           "register two weight_norm hooks on the same parameter)")
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"weight_norm: {type(module).__name__} has no parameter {name!r}")
    dim = -1 if dim is None else dim
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool) or not -weight.ndim <= dim < weight.ndim:
        raise ValueError(f"weight_norm: dim must be an int in [-{weight.ndim}, {weight.ndim}) for a weight of shape "
                         f"{tuple(weight.shape)}, or None (one norm of the whole weight), got {dim!r}")
    dim = dim if dim == -1 else int(dim) % weight.ndim  # (-1 is torch's "the whole weight", not the last axis)
    hook = _WeightNorm(name, dim)
    with ag.no_grad():
        g = _norm_except_dim(weight, dim)
    delattr(module, name)
    module.register_parameter(name + "_g", Parameter(g.data))
    module.register_parameter(name + "_v", Parameter(weight.data))  # new Parameters, as torch's (same memory as v)
    object.__setattr__(module, name, hook.compute_weight(module))  # a plain attribute, recomputed by the hook
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo ``weight_norm``: the current weight g v / ||v|| becomes the parameter again."""
    for handle, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _WeightNorm) and hook.name == name:
            with ag.no_grad():
                weight = hook.compute_weight(module)
            handle.remove()
            object.__delattr__(module, name)
            delattr(module, name + "_g")
            delattr(module, name + "_v")
            setattr(module, name, Parameter(weight.data))
            return module
    raise ValueError(f"weight_norm of {name!r} not found in {type(module).__name__}")
