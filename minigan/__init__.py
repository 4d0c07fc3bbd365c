"""minigan: a GAN library written from scratch over NumPy (and CuPy), built to teach.

Importing minigan imports NumPy only: CuPy is loaded the first time a tensor
is put on "cuda", matplotlib only by the plotting helpers.
"""

__version__ = "0.1.0"

from . import cuda, data, nn, optim, utils  # noqa: F401  (minigan.data.MNIST and minigan.utils.data after `import minigan`)
from .autograd import (  # noqa: F401
    Function,
    Tensor,
    abs,
    add,
    allclose,
    amax,
    amin,
    arange,
    argmax,
    argmin,
    as_tensor,
    binary_cross_entropy_with_logits,
    bmm,
    broadcast_to,
    cat,
    chunk,
    clamp,
    clip,
    clone,
    cumsum,
    detach,
    diag,
    div,
    empty,
    empty_like,
    enable_grad,
    equal,
    exp,
    eye,
    flatten,
    flip,
    floor_divide,
    fmod,
    from_numpy,
    full,
    full_like,
    gather,
    get_default_dtype,
    grad,
    index_select,
    inference_mode,
    is_grad_enabled,
    is_tensor,
    is_floating_point,
    isfinite,
    isinf,
    isnan,
    leaky_relu,
    lerp,
    linspace,
    log,
    log1p,
    log_softmax,
    logsigmoid,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    meshgrid,
    min,
    minimum,
    mm,
    mul,
    narrow,
    neg,
    no_grad,
    norm,
    normal,
    numel,
    ones,
    ones_like,
    permute,
    pow,
    prod,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    relu,
    remainder,
    reshape,
    roll,
    scatter,
    scatter_add,
    set_grad_enabled,
    sigmoid,
    sign,
    softmax,
    softplus,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sub,
    sum,
    sum_to,
    tanh,
    tensor,
    tile,
    transpose,
    tril,
    triu,
    unsqueeze,
    var,
    where,
    zeros,
    zeros_like,
)
from .autograd import celu, erf, prelu, selu, threshold  # noqa: F401
from .autograd import sin, cos, floor, ceil, trunc, fix, round, clamp_min, clamp_max  # noqa: F401
from .autograd import sort, argsort, topk, cumprod, repeat_interleave, nonzero, bernoulli, multinomial  # noqa: F401
from .autograd import einsum  # noqa: F401
from .autograd import square, reciprocal, rsqrt, expm1, log2, log10, exp2, logit, xlogy, hypot  # noqa: F401
from .autograd import atan2, arctan2, logaddexp, logaddexp2, tan, sinh, cosh, asin, arcsin, acos, arccos  # noqa: F401
from .autograd import atan, arctan, asinh, arcsinh, acosh, arccosh, atanh, arctanh, frac, nan_to_num  # noqa: F401
from .autograd import copysign, signbit, heaviside, erfc, erfinv, logical_and, logical_or, logical_xor  # noqa: F401
from .autograd import logical_not, isclose, count_nonzero, nansum, nanmean, aminmax, var_mean, std_mean  # noqa: F401
from .autograd import logcumsumexp, cummax, cummin, median, kthvalue, quantile  # noqa: F401
from .autograd import movedim, moveaxis, swapaxes, swapdims, ravel, unflatten, tensor_split, hsplit  # noqa: F401
from .autograd import vsplit, dsplit, hstack, vstack, dstack, column_stack, row_stack, rot90, diff  # noqa: F401
from .autograd import atleast_1d, atleast_2d, atleast_3d, broadcast_tensors, broadcast_shapes  # noqa: F401
from .autograd import take_along_dim, take, masked_select, index_add, index_copy, index_fill  # noqa: F401
from .autograd import tril_indices, triu_indices  # noqa: F401
from .autograd import bincount, unique, searchsorted, bucketize, histc  # noqa: F401
from .autograd import _any as any, _all as all  # noqa: F401  (named so in autograd, which uses Python's any and all)
from .autograd import hardshrink, rrelu, relu_, selu_, celu_, threshold_, rrelu_  # noqa: F401
from .nn.layers import bilinear  # noqa: F401
from . import linalg  # noqa: F401  (minigan.linalg.vector_norm, ..., as torch.linalg)
from .linalg import outer, ger, inner, dot, vdot, tensordot, trace, diagonal, diag_embed, kron  # noqa: F401
from .linalg import cdist, addmm, addmv, addcmul, addcdiv, baddbmm, block_diag, cartesian_prod  # noqa: F401
from .linalg import matrix_power, torch_cross as cross  # noqa: F401  (linalg.cross is torch.linalg.cross)
from .backend import (  # noqa: F401
    cuda_is_available,
    device,
    fork_rng,
    get_default_device,
    get_rng_state,
    manual_seed,
    set_default_device,
    set_rng_state,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401
from .serialization import CheckpointError, load, save  # noqa: F401

float32 = "float32"
float64 = "float64"
# PyTorch's other dtype names: minigan.float is float32 and minigan.long int64, as in torch
float = float32  # noqa: A001
double = float64
float16 = half = "float16"
int64 = long = "int64"
int32 = int = "int32"  # noqa: A001
bool = "bool"  # noqa: A001
uint8 = "uint8"

# `from minigan import *` exports every public name but these three, which would shadow Python's builtins
__all__ = sorted(name for name in globals() if not name.startswith("_") and name not in ("float", "int", "bool"))
