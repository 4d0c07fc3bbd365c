"""``minigan.nn.utils.parametrizations``: spectral and weight normalisation as parametrizations, as
``torch.nn.utils.parametrizations`` (the forms torch recommends over ``nn.utils.spectral_norm`` and
``nn.utils.weight_norm``).

``spectral_norm(layer)`` keeps the weight in ``layer.parametrizations.weight.original`` and the power-iteration
vectors in ``layer.parametrizations.weight[0]._u`` and ``._v``; ``weight_norm(layer)`` keeps g and v in
``...original0`` and ``...original1``. The state_dict keys are torch's, so a torch checkpoint loads as it is.
"""

import numbers

from ... import autograd as ag
from ...autograd import Tensor
from .. import functional as F
from ..conv import ConvTranspose1d, ConvTranspose2d
from ..module import Module
from . import parametrize

__all__ = ["spectral_norm", "weight_norm"]


class _SpectralNorm(Module):
    """weight / sigma, sigma the largest singular value of the weight as a matrix (axis `dim` first).

    sigma = u . W v, with u and v estimated by power iteration, u <- W v / |W v| then v <- W^T u / |W^T u|,
    kept in the buffers _u and _v: refined in place by `n_power_iterations` steps at each read in training mode
    (15 at the start), left alone in eval mode. They are constants of the graph: the gradient flows through W in
    sigma. A 1-D weight is divided by its norm (its only singular value) instead.
    """

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if not (isinstance(dim, numbers.Integral) and not isinstance(dim, bool) and -ndim <= dim < ndim):
            raise IndexError(f"spectral_norm: dim out of range (expected an int in [-{ndim}, {ndim - 1}] for a "
                             f"weight of shape {tuple(weight.shape)}, but got {dim!r})")
        if not (isinstance(n_power_iterations, numbers.Integral) and n_power_iterations > 0):
            raise ValueError("spectral_norm: n_power_iterations must be a whole number > 0, got "
                             f"{n_power_iterations!r}")
        self.dim = int(dim) % ndim
        self.eps = float(eps)  # a NumPy float64 eps would make a float32 weight's u and v float64 (NumPy 2)
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = ag.randn(h, dtype=weight.dtype, device=weight.device)
            v = ag.randn(w, dtype=weight.dtype, device=weight.device)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)  # start from good estimates, as torch

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:  # the axis of the outputs first
            weight = ag.permute(weight, self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return ag.reshape(weight, weight.shape[0], -1)

    def _power_method(self, weight_mat, n_power_iterations):
        with ag.no_grad():  # in place, as torch's: the buffers keep their memory
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(ag.matmul(weight_mat, self._v), dim=0, eps=self.eps))  # u <- W v / |W v|
                self._v.copy_(F.normalize(ag.matmul(self._u, weight_mat), dim=0, eps=self.eps))  # v <- W^T u / |.|

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()  # copies: the next read changes _u and _v in place
        sigma = ag.sum(u * ag.matmul(weight_mat, v))  # sigma = u . W v
        return weight / sigma

    def right_inverse(self, value):
        return value  # assigning a weight stores it as it is (torch does not check that it is normalised)


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide `module`'s weight by its largest singular value at each read (Miyato et al. 2018), as
    ``torch.nn.utils.parametrizations.spectral_norm``; returns the module.

    dim=None: 1 for a transposed convolution (the axis of its outputs), else 0. u and v are refined only in
    training mode. Also on a weight that is parametrized already (applied after the others).
    """
    weight = getattr(module, name, None) if isinstance(module, Module) else None
    if not isinstance(weight, Tensor):
        kind = "module" if isinstance(module, Module) else "object (an nn.Module expected)"
        raise ValueError(f"spectral_norm: the {kind} {type(module).__name__} has no parameter or buffer with name "
                         f"{name!r}")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


def _norm_except_dim(v, dim):
    """||v|| over every axis but `dim`, keeping v's axes (shape 1 there), or over all of v (0-d) for dim=-1, as
    torch's norm_except_dim."""
    if dim == -1:
        return ag.norm(v)
    dim = dim % v.ndim
    axes = tuple(a for a in range(v.ndim) if a != dim)
    return ag.norm(v, 2, dim=axes, keepdim=True) if axes else ag.abs(v)  # (a 1-D v: the norm of each entry)


class _WeightNorm(Module):
    """w = g v / ||v|| from (g, v) = (original0, original1); the norm over every axis but `dim` (all, dim=-1)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight  # (g, v): v is the weight itself

    def _fill_state_dict(self, state_dict, prefix):
        """A checkpoint of the older nn.utils.weight_norm (weight_g, weight_v) loads as original0, original1, as
        torch's. `prefix` is "<layer>parametrizations.<name>.<index>."."""
        layer, _, rest = prefix.rpartition("parametrizations.")
        name = rest.split(".")[0]
        g, v = f"{layer}{name}_g", f"{layer}{name}_v"
        if g in state_dict and v in state_dict:
            state_dict[f"{layer}parametrizations.{name}.original0"] = state_dict.pop(g)
            state_dict[f"{layer}parametrizations.{name}.original1"] = state_dict.pop(v)


def weight_norm(module, name="weight", dim=0):
    """Split `module`'s weight into a length and a direction, w = g v / ||v|| (Salimans & Kingma 2016), as
    ``torch.nn.utils.parametrizations.weight_norm``; returns the module.

    g (the norms, one per slice along `dim`, shape 1 on the other axes) becomes
    ``parametrizations.weight.original0``, v (the old values) ``original1``; new Parameters, so make the
    optimizer after. dim=None (or -1, as in torch) takes one norm of the whole weight.
    """
    weight = getattr(module, name, None) if isinstance(module, Module) else None
    if not isinstance(weight, Tensor):
        raise ValueError(f"weight_norm: {type(module).__name__} has no parameter or buffer with name {name!r}")
    if dim is not None and (not isinstance(dim, numbers.Integral) or isinstance(dim, bool)
                            or not -weight.ndim <= dim < weight.ndim):
        raise ValueError(f"weight_norm: dim must be an int in [-{weight.ndim}, {weight.ndim}) for a weight of shape "
                         f"{tuple(weight.shape)}, or None (one norm of the whole weight), got {dim!r}")
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module
