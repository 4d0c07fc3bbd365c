"""torch.linalg's common functions (norms, det, inv, solve, matrix_power) and torch's product functions.

A *norm* measures the size of a vector with one number. The 2-norm (Euclidean length) is
sqrt(x_1^2 + ... + x_n^2); the 1-norm adds the absolute values; the inf-norm is the largest
absolute value; in general ||x||_p = (sum |x_i|^p)^(1/p). ``vector_norm`` takes the norm over
`dim`, so ``vector_norm(g, dim=1)`` gives one length per row of a batch.

That is what WGAN-GP's gradient penalty needs: the critic D should have gradients of length 1
with respect to its input, so the penalty is ``((vector_norm(g, dim=1) - 1) ** 2).mean()`` with
``g = minigan.grad(D(x).sum(), x, create_graph=True)[0].flatten(1)``. Training then
differentiates the norm a second time, which is why everything here is built from minigan's
differentiable ops: gradients of gradients come free. Where the norm is 0, its gradient is taken
as 0 (as torch does), not the NaN that sqrt's rule would give.

A *matrix norm* (``matrix_norm``) measures a matrix: 'fro' is the 2-norm of all its entries, 1
the largest column sum of absolute values, inf the largest row sum. ``norm`` picks a vector or a
matrix norm by its arguments, with torch's rules.

The product functions (``minigan.outer``, ``tensordot``, ``kron``, ``cdist``, ``addmm``, ...) are
exported at the top level, as in torch; ``minigan.cross`` is torch.cross (dim=None: the first
axis of size 3), ``minigan.linalg.cross`` torch.linalg.cross (dim=-1).

Not there (yet): svdvals, so matrix_norm's 2, -2 and 'nuc' are refused with that reason.
"""

import math
import numbers

import numpy as np

from . import autograd as ag
from . import backend
from .autograd import Function, Tensor


# ---------------------------------------------------------------- checks shared by every function
def _tensors(op, *xs, same_dtype=False):
    """A clear error unless every operand is a minigan Tensor, on one device, with no two float dtypes
    (with same_dtype: of one dtype, as torch's matrix products insist)."""
    for x in xs:
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}: expected a minigan Tensor, got {ag._what(x)}")
    if len({x.device for x in xs}) > 1:
        raise RuntimeError(f"{op}: tensors are on two devices, {sorted({x.device for x in xs})}; move one with .to()")
    dtypes = {str(x.dtype) for x in xs if same_dtype or x.dtype.kind == "f"}
    if len(dtypes) > 1:
        raise TypeError(f"{op}: dtypes differ, {' and '.join(sorted(dtypes))}; convert one with .to(dtype=...)")


def _floats(op, *xs):
    """As _tensors, and every operand must hold floats (as torch's linalg functions insist)."""
    _tensors(op, *xs)
    for x in xs:
        if x.dtype.kind != "f":
            raise TypeError(f"{op}: expected a floating point tensor, got {x.dtype}; convert with .float()")


def _no_booleans(op, *xs):
    for x in xs:
        if x.dtype == np.bool_:
            raise TypeError(f"{op}: boolean tensors are not supported (torch refuses them too); convert with .int()")


def _broadcast(op, *xs, batch=False):
    """The shape the operands broadcast to (with batch=True: their batch axes, all but the last two), or a clear
    error."""
    try:
        return np.broadcast_shapes(*(x.shape[:-2] if batch else x.shape for x in xs))
    except ValueError:
        shapes = [str(tuple(x.shape)) for x in xs]
        shapes = ", ".join(shapes[:-1]) + " and " + shapes[-1]
        raise ValueError(f"{op}: {'the batch axes of ' if batch else ''}shapes {shapes} do not broadcast together: "
                         "aligned from the last axis, each pair of sizes must be equal or 1") from None


def _int(op, name, value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__} {value!r}")
    return int(value)


def _dim(op, dim, ndim, name="dim"):
    """dim as an axis in [0, ndim), or a clear IndexError."""
    dim = _int(op, name, dim)
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: {name} {dim} is out of range for a tensor of {ndim} dimensions "
                         f"(expected in [{-max(ndim, 1)}, {max(ndim, 1) - 1}])")
    return dim % max(ndim, 1)


def _matrices(op, *xs):
    for x in xs:
        if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
            raise ValueError(f"{op}: expected square matrices (the last two axes, n x n), got shape {tuple(x.shape)}")


# ---------------------------------------------------------------- norms
def _norm_input(op, x, dtype):
    """x in `dtype` (torch's dtype=: a cast first, never narrowing), which must be a float dtype."""
    _floats(op, x)
    if dtype is not None:
        dtype = np.dtype(ag._resolve_dtype(dtype))
        if dtype.kind != "f" or dtype.itemsize < x.dtype.itemsize:
            raise TypeError(f"{op}: dtype must be a float dtype at least as wide as the input's {x.dtype}, "
                            f"got {dtype}")
        x = x.to(dtype=dtype)
    return x


def _reduced_dims(op, dim, x):
    """dim (an int, a tuple or list of ints, or None for all) as a sorted tuple of distinct axes."""
    if dim is None:
        return tuple(range(x.ndim))
    dims = [dim] if isinstance(dim, numbers.Integral) and not isinstance(dim, bool) else dim
    if not isinstance(dims, (tuple, list)):
        raise TypeError(f"{op}: dim must be an int, a tuple of ints or None, got {type(dim).__name__} {dim!r}")
    axes = tuple(sorted(_dim(op, d, x.ndim) for d in dims))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: dim {dim!r} names an axis twice")
    return axes if axes and x.ndim else tuple(range(x.ndim))  # dim=(): all axes, as torch's; a 0-d x has none


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The vector ord-norm of x over `dim` (all axes when None), as torch.linalg.vector_norm.

    ord: 2 (default), 1, inf (largest |x_i|), -inf (smallest), 0 (the count of non-zeros) or any
    other p, (sum |x_i|^p)^(1/p). The gradient where the norm is 0 is 0, as torch's.
    """
    op = "linalg.vector_norm"
    x = _norm_input(op, x, dtype)
    if not isinstance(ord, numbers.Real) or isinstance(ord, bool):
        raise TypeError(f"{op}: ord must be a number (2, 1, inf, -inf, 0, any p), got {type(ord).__name__} {ord!r}")
    axes = _reduced_dims(op, dim, x)
    if (ord < 0 or math.isinf(ord)) and math.prod(x.shape[a] for a in axes) == 0:
        why = ("max and min of nothing have no value" if math.isinf(ord)
               else f"it would be 0 ** (1/{ord}), 0 the sum of nothing")
        raise RuntimeError(f"{op}: the {ord} norm of an empty tensor (shape {tuple(x.shape)}) does not exist: {why} "
                           "(torch refuses it too)")
    if ord == 2:
        return ag.norm(x, 2, axes, keepdim)  # sqrt(sum x^2), whose gradient at 0 is 0
    a = ag.abs(x)
    if ord == 1:
        return ag.sum(a, dim=axes, keepdim=keepdim)
    if ord == math.inf:
        return ag.amax(a, axes, keepdim)  # tied largest values share the gradient, as torch's
    if ord == -math.inf:
        return ag.amin(a, axes, keepdim)
    nonzero = a.data != 0
    if ord == 0:  # the count of non-zeros; x * 0 keeps x in the graph with torch's zero gradient
        return ag.sum(ag.where(nonzero, ag.ones_like(x), x * 0), dim=axes, keepdim=keepdim)
    # (sum |x_i|^p)^(1/p), written so that no gradient meets 0 ** negative: a zero |x_i| adds 0 to the sum
    # (inf when p < 0, which makes the norm 0), and an all-zero slice gives 0 with a zero gradient
    safe = ag.where(nonzero, a, 1.0)
    total = ag.sum(ag.where(nonzero, safe ** ord, 0.0 if ord > 0 else math.inf), dim=axes, keepdim=keepdim)
    zero = total.data == 0
    return ag.where(zero, 0.0, ag.where(zero, 1.0, total) ** (1.0 / ord))


def _two_dims(op, dim, ndim):
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise TypeError(f"{op}: dim must be a pair of axes, e.g. (-2, -1), got {dim!r}")
    d0, d1 = (_dim(op, d, ndim) for d in dim)
    if d0 == d1:
        raise ValueError(f"{op}: dim must name two different axes, got {dim!r}")
    return d0, d1


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix ord-norm over the two axes `dim`, as torch.linalg.matrix_norm.

    ord: 'fro' (the 2-norm of all the entries), 1 / -1 (the largest / smallest column sum of |A|),
    inf / -inf (the largest / smallest row sum). 2, -2 and 'nuc' need singular values: not there.
    """
    op = "linalg.matrix_norm"
    A = _norm_input(op, A, dtype)
    if A.ndim < 2:
        raise ValueError(f"{op}: expected a matrix (or a batch of them), got shape {tuple(A.shape)}")
    d0, d1 = _two_dims(op, dim, A.ndim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in (2, -2, "nuc"):
        raise NotImplementedError(f"{op}: ord={ord!r} needs singular values (linalg.svdvals), which minigan does "
                                  "not have yet; use 'fro', 1, -1, inf or -inf")
    if isinstance(ord, bool) or ord not in (1, -1, math.inf, -math.inf):
        raise ValueError(f"{op}: ord must be 'fro', 1, -1, inf or -inf, got {ord!r}")
    along, across = (d0, d1) if ord in (1, -1) else (d1, d0)  # 1: sum down each column, inf: along each row
    if A.shape[across] == 0 and ord < 0:
        raise RuntimeError(f"{op}: the {ord} norm of a matrix with an empty axis {across} (shape "
                           f"{tuple(A.shape)}) does not exist: the min of nothing has no value")
    sums = ag.sum(ag.abs(A), dim=along, keepdim=True)
    if A.shape[across] == 0:  # the largest of no sums: 0, as torch's (sums are >= 0, so 0 is max's starting value)
        out = ag.sum(sums, dim=across, keepdim=True)
    else:
        out = (ag.amax if ord > 0 else ag.amin)(sums, across, True)
    return out if keepdim else out.reshape(*(n for i, n in enumerate(out.shape) if i not in (d0, d1)))


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector or matrix norm, as torch.linalg.norm: an int dim (or one axis) means a vector norm, two axes
    a matrix norm; with dim=None, ord=None is the 2-norm of all the entries, else A must be 1-D or 2-D."""
    op = "linalg.norm"
    _floats(op, A)
    if isinstance(dim, numbers.Integral) and not isinstance(dim, bool):
        dim = (dim,)
    if dim is not None and (not isinstance(dim, (tuple, list)) or len(dim) not in (1, 2)):
        raise ValueError(f"{op}: dim must be an int, one axis or two axes, got {dim!r}")
    if dim is None and ord is not None and A.ndim not in (1, 2):
        raise ValueError(f"{op}: with ord given and dim=None the input must be 1-D or 2-D, got shape "
                         f"{tuple(A.shape)}; give dim")
    if (dim is None and (ord is None or A.ndim == 1)) or (dim is not None and len(dim) == 1):
        if isinstance(ord, str):
            where = "dim names one axis" if dim is not None else "the input is 1-D"
            raise ValueError(f"{op}: ord={ord!r} is a matrix norm, but {where} (a vector norm)")
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)


# ---------------------------------------------------------------- products of vectors and matrices
def outer(x, vec2):
    """The outer product of two vectors, out[i, j] = x[i] * vec2[j], as torch.outer."""
    _tensors("outer", x, vec2)
    if x.ndim != 1 or vec2.ndim != 1:
        raise ValueError(f"outer: expected two vectors (1-D), got shapes {tuple(x.shape)} and {tuple(vec2.shape)}")
    return x.reshape(-1, 1) * vec2.reshape(1, -1)


def ger(x, vec2):
    """torch.ger, the old name of outer."""
    return outer(x, vec2)


def dot(x, tensor):
    """The dot product of two vectors of one length, as torch.dot."""
    _vectors("dot", x, tensor)
    return x.dot(tensor)


def vdot(x, other):
    """torch.vdot: for real tensors, the dot product (the first operand is conjugated, which changes nothing)."""
    _vectors("vdot", x, other)
    return x.dot(other)


def _vectors(op, x, other):
    _tensors(op, x, other, same_dtype=True)
    if x.ndim != 1 or other.ndim != 1 or x.shape != other.shape:
        raise ValueError(f"{op}: expected two vectors of one length, got shapes {tuple(x.shape)} and "
                         f"{tuple(other.shape)}")


def inner(x, other):
    """Sums of products over the last axes, out[i.., j..] = sum_k x[i.., k] other[j.., k], as torch.inner."""
    _tensors("inner", x, other, same_dtype=True)
    if x.ndim == 0 or other.ndim == 0:  # a number: the plain product
        return x * other
    if x.shape[-1] != other.shape[-1]:
        raise ValueError(f"inner: the last axes must have one size, got shapes {tuple(x.shape)} and "
                         f"{tuple(other.shape)}")
    return tensordot(x, other, ([-1], [-1]))


def tensordot(a, b, dims=2):
    """Sums of products over the axes `dims` of a and b, as torch.tensordot.

    dims: an int n (a's last n axes with b's first n) or a pair of lists of axes, ([1, 0], [0, 1]).
    The remaining axes of a, then of b, make the result's. Written as one matrix product.
    """
    op = "tensordot"
    _tensors(op, a, b, same_dtype=True)
    if isinstance(dims, numbers.Integral) and not isinstance(dims, bool):
        if not 0 <= dims <= min(a.ndim, b.ndim):
            raise ValueError(f"{op}: dims must be in [0, {min(a.ndim, b.ndim)}] for shapes {tuple(a.shape)} and "
                             f"{tuple(b.shape)}, got {dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    elif isinstance(dims, (tuple, list)) and len(dims) == 2:
        dims_a, dims_b = ([d] if isinstance(d, numbers.Integral) else d for d in dims)
        if not isinstance(dims_a, (tuple, list)) or not isinstance(dims_b, (tuple, list)):
            raise TypeError(f"{op}: dims must be an int or a pair of lists of axes, got {dims!r}")
        dims_a, dims_b = [_dim(op, d, a.ndim, "dims") for d in dims_a], [_dim(op, d, b.ndim, "dims") for d in dims_b]
    else:
        raise TypeError(f"{op}: dims must be an int or a pair of lists of axes, got {dims!r}")
    if len(dims_a) != len(dims_b) or len(set(dims_a)) != len(dims_a) or len(set(dims_b)) != len(dims_b):
        raise ValueError(f"{op}: dims must name as many distinct axes of a as of b, got {dims!r}")
    for i, j in zip(dims_a, dims_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"{op}: axis {i} of a (size {a.shape[i]}) does not match axis {j} of b "
                             f"(size {b.shape[j]}); shapes {tuple(a.shape)} and {tuple(b.shape)}")
    free_a = [i for i in range(a.ndim) if i not in dims_a]
    free_b = [j for j in range(b.ndim) if j not in dims_b]
    rows, size, cols = (math.prod(x.shape[i] for i in axes) for x, axes in ((a, free_a), (a, dims_a), (b, free_b)))
    left = (ag.permute(a, *free_a, *dims_a) if a.ndim else a).reshape(rows, size)
    right = (ag.permute(b, *dims_b, *free_b) if b.ndim else b).reshape(size, cols)
    return ag.matmul(left, right).reshape(*(a.shape[i] for i in free_a), *(b.shape[j] for j in free_b))


def kron(x, other):
    """The Kronecker product, as torch.kron: each entry of x times the whole of `other`, blocks laid out as x."""
    _tensors("kron", x, other)
    n = max(x.ndim, other.ndim)
    xs, others = (1,) * (n - x.ndim) + tuple(x.shape), (1,) * (n - other.ndim) + tuple(other.shape)
    spread = x.reshape(*(s for size in xs for s in (size, 1)))  # axes (x0, 1, x1, 1, ...)
    tiled = other.reshape(*(s for size in others for s in (1, size)))  # (1, o0, 1, o1, ...)
    return (spread * tiled).reshape(*(p * q for p, q in zip(xs, others)))


def trace(x):
    """The sum of the main diagonal of a matrix, as torch.trace."""
    _tensors("trace", x)
    _no_booleans("trace", x)
    if x.ndim != 2:
        raise ValueError(f"trace: expected a matrix (2-D), got shape {tuple(x.shape)}")
    return ag.sum(ag.diag(x))


def diagonal(x, offset=0, dim1=0, dim2=1):
    """Diagonal `offset` of the matrices in axes dim1 and dim2, as a new last axis, as torch.diagonal.

    A copy (torch's is a view: writing into it changes x there; not here).
    """
    op = "diagonal"
    _tensors(op, x)
    offset = _int(op, "offset", offset)
    if x.ndim < 2:
        raise ValueError(f"diagonal: expected at least 2 dimensions, got shape {tuple(x.shape)}")
    d1, d2 = _dim(op, dim1, x.ndim, "dim1"), _dim(op, dim2, x.ndim, "dim2")
    if d1 == d2:
        raise ValueError(f"diagonal: dim1 and dim2 must be different axes, got {dim1} and {dim2}")
    rest = [i for i in range(x.ndim) if i not in (d1, d2)]
    rows, cols = ag._diagonal((x.shape[d1], x.shape[d2]), offset, backend.xp_of(x.data))
    return ag.permute(x, *rest, d1, d2)[..., rows, cols]


def diag_embed(x, offset=0, dim1=-2, dim2=-1):
    """Matrices with x's last axis on diagonal `offset` (zeros elsewhere), in new axes dim1 and dim2, as
    torch.diag_embed. Written as indexing: each entry of the matrix picks an entry of x, or an appended 0."""
    op = "diag_embed"
    _tensors(op, x)
    offset = _int(op, "offset", offset)
    if x.ndim < 1:
        raise ValueError(f"diag_embed: expected at least 1 dimension, got shape {tuple(x.shape)}")
    ndim = x.ndim + 1
    d1, d2 = _dim(op, dim1, ndim, "dim1"), _dim(op, dim2, ndim, "dim2")
    if d1 == d2:
        raise ValueError(f"diag_embed: dim1 and dim2 must be different axes, got {dim1} and {dim2}")
    k = x.shape[-1]
    n = k + abs(offset)
    xp = backend.xp_of(x.data)
    rows, cols = ag._diagonal((n, n), offset, xp)
    padded = ag.cat([x, ag.zeros(*x.shape[:-1], 1, dtype=x.dtype, device=x.device)], dim=-1)  # x[..., k] = 0
    picks = xp.full((n, n), k)  # which entry of padded each entry of the matrix takes: the 0, or x[..., i]
    picks[rows, cols] = xp.arange(k)
    out = padded[..., picks]
    batch = iter(range(ndim - 2))
    return ag.permute(out, *(ndim - 2 if i == d1 else ndim - 1 if i == d2 else next(batch) for i in range(ndim)))


def _cross(op, x, other, dim):
    _tensors(op, x, other, same_dtype=True)
    _no_booleans(op, x, other)
    if x.ndim != other.ndim:
        raise ValueError(f"{op}: inputs must have the same number of dimensions (as in torch), got shapes "
                         f"{tuple(x.shape)} and {tuple(other.shape)}")
    shape = _broadcast(op, x, other)
    if dim is None:  # torch.cross's old rule: the first axis of size 3
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise ValueError(f"{op}: no axis of size 3 in shapes {tuple(x.shape)} and {tuple(other.shape)}; give dim")
    d = _dim(op, dim, len(shape))
    if x.shape[d] != 3 or other.shape[d] != 3:
        raise ValueError(f"{op}: axis {dim} of both inputs must have length 3, got {x.shape[d]} and {other.shape[d]}")
    a0, a1, a2 = (ag.narrow(x, d, i, 1) for i in range(3))
    b0, b1, b2 = (ag.narrow(other, d, i, 1) for i in range(3))
    return ag.cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim=d)


def cross(x, other, *, dim=-1):
    """The cross product of 3-vectors along `dim` (operands broadcast), as torch.linalg.cross."""
    return _cross("linalg.cross", x, other, dim)


def torch_cross(x, other, dim=None):
    """torch.cross, exported as minigan.cross: as linalg.cross, but dim=None takes the first axis of size 3."""
    return _cross("cross", x, other, dim)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distances between the rows of x1 (..., P, M) and of x2 (..., R, M): (..., P, R), as torch.cdist.

    Every difference is formed (P * R * M numbers): simple, not for large sets. compute_mode is accepted and
    changes nothing. The gradient of a zero distance is 0, as torch's.
    """
    op = "cdist"
    _floats(op, x1, x2)
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise ValueError(f"cdist: expected (..., P, M) and (..., R, M) with the same M, got shapes "
                         f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or not p >= 0:
        raise ValueError(f"cdist: p must be a non-negative number, got {p!r}")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"cdist: compute_mode must be one of {modes}, got {compute_mode!r}")
    _broadcast(op, x1, x2, batch=True)
    if x1.shape[-1] == 0 and math.isinf(p):  # no coordinates: every distance is 0, as torch's (max of nothing: refused)
        p = 1.0
    return vector_norm(ag.unsqueeze(x1, -2) - ag.unsqueeze(x2, -3), p, -1)


def _scaled_sum(op, x, product, beta, alpha):
    """beta * x + alpha * product, as torch's add* functions: with beta = 0, x is ignored (its NaNs too)."""
    for name, value in (("beta", beta), ("alpha", alpha)):
        if not isinstance(value, numbers.Number) or isinstance(value, bool):
            raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__} {value!r}")
    if not ag._broadcasts_to(x.shape, product.shape):
        raise ValueError(f"{op}: input of shape {tuple(x.shape)} does not broadcast to the product's shape "
                         f"{tuple(product.shape)}")
    scaled = product if alpha == 1 else alpha * product
    if beta == 0:  # where() picks 0 everywhere: x's NaNs ignored, its gradient 0 (as torch's), the shape broadcast
        return scaled + ag.where(ag.zeros_like(x, dtype=bool), x, 0)
    return scaled + (x if beta == 1 else beta * x)


def addmm(x, mat1, mat2, *, beta=1, alpha=1):
    """beta * x + alpha * (mat1 @ mat2), as torch.addmm (mat1 and mat2 matrices; x broadcasts to the product)."""
    _tensors("addmm", x, mat1, mat2, same_dtype=True)
    if mat1.ndim != 2 or mat2.ndim != 2 or mat1.shape[1] != mat2.shape[0]:
        raise ValueError(f"addmm: expected matrices (n, m) and (m, p), got shapes {tuple(mat1.shape)} and "
                         f"{tuple(mat2.shape)}")
    return _scaled_sum("addmm", x, ag.matmul(mat1, mat2), beta, alpha)


def addmv(x, mat, vec, *, beta=1, alpha=1):
    """beta * x + alpha * (mat @ vec), as torch.addmv (mat (n, m), vec (m,); x broadcasts to (n,))."""
    _tensors("addmv", x, mat, vec, same_dtype=True)
    if mat.ndim != 2 or vec.ndim != 1 or mat.shape[1] != vec.shape[0]:
        raise ValueError(f"addmv: expected a matrix (n, m) and a vector (m,), got shapes {tuple(mat.shape)} and "
                         f"{tuple(vec.shape)}")
    return _scaled_sum("addmv", x, ag.matmul(mat, vec), beta, alpha)


def baddbmm(x, batch1, batch2, *, beta=1, alpha=1):
    """beta * x + alpha * (batch1 @ batch2), as torch.baddbmm (two (b, n, m) and (b, m, p) batches)."""
    _tensors("baddbmm", x, batch1, batch2, same_dtype=True)
    if batch1.ndim != 3 or batch2.ndim != 3 or batch1.shape[0] != batch2.shape[0] or batch1.shape[2] != batch2.shape[1]:
        raise ValueError(f"baddbmm: expected batches (b, n, m) and (b, m, p), got shapes {tuple(batch1.shape)} and "
                         f"{tuple(batch2.shape)}")
    return _scaled_sum("baddbmm", x, ag.matmul(batch1, batch2), beta, alpha)


def _pointwise(op, x, tensor1, tensor2, value):
    _tensors(op, x, tensor1, tensor2)
    if not isinstance(value, numbers.Number) or isinstance(value, bool):
        raise TypeError(f"{op}: value must be a number, got {type(value).__name__} {value!r}")
    _broadcast(op, x, tensor1, tensor2)


def addcmul(x, tensor1, tensor2, *, value=1):
    """x + value * tensor1 * tensor2 (all three broadcast), as torch.addcmul."""
    _pointwise("addcmul", x, tensor1, tensor2, value)
    return x.addcmul(tensor1, tensor2, value=value)


def addcdiv(x, tensor1, tensor2, *, value=1):
    """x + value * tensor1 / tensor2 (all three broadcast), as torch.addcdiv (float tensors only, as torch's)."""
    _pointwise("addcdiv", x, tensor1, tensor2, value)
    return x.addcdiv(tensor1, tensor2, value=value)  # (which refuses integer division, as torch does)


def block_diag(*tensors):
    """The matrices (0-D: 1x1, 1-D: one row) along the diagonal of one matrix of zeros, as torch.block_diag."""
    op = "block_diag"
    _tensors(op, *tensors)
    if not tensors:
        return ag.zeros(1, 0)
    for t in tensors:
        if t.ndim > 2:
            raise ValueError(f"block_diag: expected tensors of at most 2 dimensions, got shape {tuple(t.shape)}")
    mats = [t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t for t in tensors]
    dtype = ag._cat_dtype(mats, op)
    mats = [m if m.dtype == dtype else m.to(dtype=dtype) for m in mats]
    width, left, rows = sum(m.shape[1] for m in mats), 0, []
    for m in mats:
        zeros = [ag.zeros(m.shape[0], n, dtype=dtype, device=m.device) for n in (left, width - left - m.shape[1])]
        rows.append(ag.cat([zeros[0], m, zeros[1]], dim=1))
        left += m.shape[1]
    return ag.cat(rows, dim=0)


def cartesian_prod(*tensors):
    """Every combination of one entry of each vector, as the rows of a matrix, as torch.cartesian_prod."""
    op = "cartesian_prod"
    if not tensors:
        raise TypeError("cartesian_prod: expected at least one tensor, got none")
    _tensors(op, *tensors, same_dtype=True)
    for t in tensors:
        if t.ndim != 1:
            raise ValueError(f"cartesian_prod: expected vectors (1-D), got shape {tuple(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = ag.meshgrid(*tensors, indexing="ij")
    return ag.stack([g.reshape(-1) for g in grids], dim=1)


def matrix_power(A, n):
    """A @ A @ ... (n times) for an int n, by repeated squaring; n = 0 gives the identity, n < 0 powers of inv(A).

    As torch.linalg.matrix_power (and torch.matrix_power); A may be a batch of square matrices.
    """
    op = "linalg.matrix_power"
    _tensors(op, A)
    _no_booleans(op, A)
    n = _int(op, "n", n)
    _matrices(op, A)
    if n == 0:
        eye = ag.eye(A.shape[-1], dtype=A.dtype, device=A.device)
        return ag.where(ag.ones_like(A, dtype=bool), eye, A)  # the identity; A in the graph, gradient 0 (as torch's)
    if n < 0:
        A, n = inv(A), -n
    result, square = None, A
    while n:
        if n & 1:
            result = square if result is None else ag.matmul(result, square)
        n >>= 1
        if n:
            square = ag.matmul(square, square)
    return ag.clone(result) if result is A else result  # (a new tensor, never A itself)


# ---------------------------------------------------------------- det, inv and solve: NumPy's (CuPy's) LAPACK
class Inv(Function):
    """The inverse of each matrix of a batch (forward by xp.linalg.inv)."""

    def forward(self, a):
        return backend.xp_of(a).linalg.inv(a)

    def backward(self, gy):
        # Y = A^-1: dY = -Y dA Y, so dL/dA = -Y^T gy Y^T
        y = self.output()
        return -ag.matmul(ag.matmul(y.mT, gy), y.mT)


class Det(Function):
    """The determinant of each matrix of a batch (forward by xp.linalg.det)."""

    def forward(self, a):
        return backend.xp_of(a).linalg.det(a)

    def backward(self, gy):
        # Jacobi's formula: d det(A)/dA = det(A) A^-T
        a = self.inputs[0]
        return (gy * self.output()).reshape(*gy.shape, 1, 1) * inv(a).mT


class Solve(Function):
    """X with A X = B for each matrix A of a batch (forward by xp.linalg.solve)."""

    def forward(self, a, b):
        return backend.xp_of(a).linalg.solve(a, b)

    def backward(self, gy):
        # X = A^-1 B: dL/dB = A^-T gy, dL/dA = -(dL/dB) X^T
        a = self.inputs[0]
        gb = solve(a.mT, gy)
        return -ag.matmul(gb, self.output().mT), gb


def _lapack(op, fn, *xs):
    """fn(*xs), with NumPy's LinAlgError for a singular matrix turned into a clear error naming `op`."""
    try:
        return fn(*xs)
    except np.linalg.LinAlgError:
        raise RuntimeError(f"{op}: the matrix is singular (not invertible), shape {tuple(xs[0].shape)}") from None


def inv(A):
    """The inverse of a square matrix (or of each in a batch), as torch.linalg.inv; a singular one is an error."""
    _floats("linalg.inv", A)
    _matrices("linalg.inv", A)
    return _lapack("linalg.inv", Inv(), A)


def det(A):
    """The determinant of a square matrix (or of each in a batch), as torch.linalg.det.

    Its gradient, det(A) A^-T, needs A invertible: at a singular A it is an error (torch's is defined there).
    """
    _floats("linalg.det", A)
    _matrices("linalg.det", A)
    return Det()(A)


def solve(A, B, *, left=True):
    """X with A X = B (left=False: X A = B), as torch.linalg.solve; batch axes broadcast.

    B is a batch of vectors when it is 1-D or has A's shape without the last axis, else of matrices.
    """
    op = "linalg.solve"
    _floats(op, A, B)
    _matrices(op, A)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if not left:
        if vector or B.ndim < 2:  # torch's rule too: X A = B has no form for vectors
            raise ValueError(f"{op}: left=False needs B to be matrices, got shapes {tuple(A.shape)} and "
                             f"{tuple(B.shape)}, which make B vectors; for x A = b write solve(A.mT, b)")
        return solve(A.mT, B.mT).mT
    if vector:
        B = ag.unsqueeze(B, -1)
    if B.ndim < 2 or B.shape[-2] != A.shape[-1]:
        raise ValueError(f"{op}: B's rows must number A's {A.shape[-1]}, got shapes {tuple(A.shape)} and "
                         f"{tuple(B.shape) if not vector else tuple(B.shape[:-1])}")
    batch = _broadcast(op, A, B, batch=True)
    A = A if A.shape[:-2] == batch else ag.broadcast_to(A, (*batch, *A.shape[-2:]))
    B = B if B.shape[:-2] == batch else ag.broadcast_to(B, (*batch, *B.shape[-2:]))
    X = _lapack(op, Solve(), A, B)
    return X.reshape(*X.shape[:-1]) if vector else X
