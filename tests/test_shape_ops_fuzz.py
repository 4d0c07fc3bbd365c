"""A differential fuzzer of the shape operations and reductions against PyTorch: what they accept and refuse,
and the dtype, shape, values and gradients of what they return, including 0-d and empty tensors.

Each case is a function f(lib, x) run once with lib = torch and once with lib = minigan on the same array.
Where torch refuses, minigan must refuse too, with an error naming the op; where torch accepts, minigan must
give the same result, unless ``docs/pytorch.md`` documents the difference (``documented`` below says which).
"""
import numpy as np
import pytest

import minigan

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.filterwarnings("ignore:Tensor.T is deprecated on 0-D:UserWarning"),
              pytest.mark.filterwarnings("ignore:The use of `x.T` on tensors:UserWarning"),
              pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning")]

SHAPES = [(), (0,), (1,), (3,), (2, 3), (2, 0), (2, 1, 3)]
DIMS = [None, 0, -1, 1, (0, 1), (-1, 0), ()]
REDUCTIONS = ["sum", "mean", "prod", "max", "min", "argmax", "argmin", "logsumexp", "std", "var", "norm",
              "any", "all", "cumsum"]


def array(shape, dtype, rng):
    """Values without ties (argmax's first index is tested apart), as an array even for shape ()."""
    if dtype == "bool":
        return np.asarray(rng.random(shape) > 0.5)
    if dtype == "float64":
        return np.asarray(rng.standard_normal(shape))
    return np.asarray(rng.integers(-3, 4, shape)).astype(dtype)


def reduce(op, d, keepdim):
    """The reduction `op` over dim `d` (None: its default form), called as torch code calls it."""
    def f(lib, x):
        if d is None:
            return getattr(x, op)()
        if op in ("max", "min", "argmax", "argmin", "prod"):
            return getattr(x, op)(d, keepdim=keepdim)
        if op == "cumsum":
            return x.cumsum(d)
        return getattr(x, op)(dim=d, keepdim=keepdim)
    return f


SHAPE_OPS = {
    "reshape": [lambda L, x: x.reshape(-1), lambda L, x: x.reshape(-1, 0), lambda L, x: x.reshape(3, -1),
                lambda L, x: x.reshape(-1, -1), lambda L, x: x.reshape(5), lambda L, x: x.reshape(()),
                lambda L, x: x.reshape(-2)],
    "view reshape": [lambda L, x: x.view(-1), lambda L, x: x.view(1, -1), lambda L, x: x.view(4)],
    "flatten": [lambda L, x: x.flatten(), lambda L, x: x.flatten(1), lambda L, x: x.flatten(0, 0),
                lambda L, x: x.flatten(-2, -1), lambda L, x: x.flatten(1, 0), lambda L, x: x.flatten(0, 5)],
    "squeeze": [lambda L, x: x.squeeze(), lambda L, x: x.squeeze(0), lambda L, x: x.squeeze(-1),
                lambda L, x: x.squeeze(1), lambda L, x: x.squeeze((0, 1)), lambda L, x: x.squeeze((0, 0)),
                lambda L, x: x.squeeze((0, -1)), lambda L, x: x.squeeze(5)],
    "unsqueeze": [lambda L, x: x.unsqueeze(0), lambda L, x: x.unsqueeze(-1), lambda L, x: x.unsqueeze(-2),
                  lambda L, x: x.unsqueeze(2), lambda L, x: x.unsqueeze(4), lambda L, x: x.unsqueeze(-5)],
    "transpose": [lambda L, x: x.transpose(0, 1), lambda L, x: x.transpose(0, 0), lambda L, x: x.transpose(-1, 0),
                  lambda L, x: x.transpose(0, 3)],
    "permute": [lambda L, x: x.permute(tuple(reversed(range(x.ndim)))), lambda L, x: x.permute(0, 0),
                lambda L, x: x.permute(-1, 0), lambda L, x: x.permute(1, 0, -1), lambda L, x: x.permute(())],
    "t": [lambda L, x: x.t(), lambda L, x: x.T],
    "expand": [lambda L, x: x.expand(-1), lambda L, x: x.expand(2, -1), lambda L, x: x.expand(2, 3),
               lambda L, x: x.expand(4, 2, 3), lambda L, x: x.expand(-1, 3), lambda L, x: x.expand(2, -1, -1),
               lambda L, x: x.expand(0, 3), lambda L, x: x.expand(()),
               lambda L, x: x.expand_as(L.zeros(2, 2, 3))],
    "repeat": [lambda L, x: x.repeat(2), lambda L, x: x.repeat(2, 1), lambda L, x: x.repeat(0, 2),
               lambda L, x: x.repeat(()), lambda L, x: x.repeat(1, 2, 1, 1)],
    "flip": [lambda L, x: x.flip(0), lambda L, x: x.flip(-1), lambda L, x: x.flip((0, -1)),
             lambda L, x: x.flip((0, 0)), lambda L, x: x.flip(())],
    "chunk": [lambda L, x: x.chunk(2), lambda L, x: x.chunk(3, -1), lambda L, x: x.chunk(4),
              lambda L, x: x.chunk(0), lambda L, x: x.chunk(1, 1)],
    "split": [lambda L, x: x.split(1), lambda L, x: x.split(2, -1), lambda L, x: x.split(0),
              lambda L, x: x.split(5), lambda L, x: x.split([1, 1]), lambda L, x: x.split([2, 0]),
              lambda L, x: x.split([0, 1, 1]), lambda L, x: x.split([3, -1])],
    "unbind": [lambda L, x: x.unbind(), lambda L, x: x.unbind(-1), lambda L, x: x.unbind(1)],
    "unflatten reshape": [lambda L, x: x.unflatten(0, (1, -1)), lambda L, x: x.unflatten(-1, (-1, 1))],
    "cat": [lambda L, x: L.cat([x, x]), lambda L, x: L.cat([x, x], -1), lambda L, x: L.cat([x, x], dim=1),
            lambda L, x: L.cat([x, L.zeros(0, dtype=x.dtype)]),
            lambda L, x: L.cat([L.zeros(0, dtype=x.dtype), x], -1), lambda L, x: L.cat([x]),
            lambda L, x: L.cat([x, x.long()]), lambda L, x: L.cat((x, x.int()), 0)],
    "stack": [lambda L, x: L.stack([x, x]), lambda L, x: L.stack([x, x], -1),
              lambda L, x: L.stack([x, x], x.ndim + 1), lambda L, x: L.stack([x.long(), x])],
    "where": [lambda L, x: L.where(x > 0, x, L.zeros((), dtype=x.dtype)), lambda L, x: L.where(x > 0, x, 0.0)],
    "masked_fill": [lambda L, x: x.masked_fill(x > 0, 2.0), lambda L, x: x.long().masked_fill(x > 0, 2)],
    "clamp": [lambda L, x: x.clamp(0), lambda L, x: x.clamp(max=0), lambda L, x: x.clamp(1, -1),
              lambda L, x: x.long().clamp(0, 1)],
    "clamp_min": [lambda L, x: x.clamp_min(0), lambda L, x: L.clamp_min(x, -1)],
    "clamp_max": [lambda L, x: x.clamp_max(0), lambda L, x: L.clamp_max(x, 1)],
    "Tensor.where where": [lambda L, x: x.where(x > 0, 0.0), lambda L, x: x.where(x < 1, L.zeros(1, dtype=x.dtype))],
    "sin": [lambda L, x: x.sin(), lambda L, x: L.sin(x)],
    "cos": [lambda L, x: x.cos()],
    "floor": [lambda L, x: x.floor(), lambda L, x: L.floor(x * 1.5)],
    "ceil": [lambda L, x: x.ceil()],
    "trunc": [lambda L, x: x.trunc(), lambda L, x: L.trunc(x * 1.5)],
    "round": [lambda L, x: x.round(), lambda L, x: (x * 2.5).round(), lambda L, x: (x * 1.25).round(decimals=1),
              lambda L, x: x.round(decimals=-1)],
    # stable=True: the integer and boolean arrays have ties, whose order torch fixes only when asked
    # (torch takes dim as a keyword beside stable=)
    "sort": [lambda L, x: x.sort(stable=True), lambda L, x: x.sort(dim=0, stable=True),
             lambda L, x: x.sort(dim=-2, descending=True, stable=True), lambda L, x: L.sort(x, dim=1, stable=True),
             lambda L, x: x.sort(dim=3, stable=True)],
    "argsort": [lambda L, x: x.argsort(stable=True), lambda L, x: x.argsort(dim=0, descending=True, stable=True),
                lambda L, x: L.argsort(x, dim=-1, stable=True), lambda L, x: x.argsort(dim=2, stable=True)],
    "topk none": [lambda L, x: _tied(x, x.topk(0))],
    "topk": [lambda L, x: _tied(x, x.topk(1)), lambda L, x: _tied(x, x.topk(2, 0)),
             lambda L, x: _tied(x, x.topk(1, -1, largest=False)), lambda L, x: _tied(x, x.topk(3, dim=-2)),
             lambda L, x: _tied(x, x.topk(4)), lambda L, x: x.topk(-1)],
    "cumprod": [lambda L, x: x.cumprod(0), lambda L, x: x.cumprod(-1), lambda L, x: x.cumprod(1),
                lambda L, x: x.cumprod(-2), lambda L, x: L.cumprod(x, 0, dtype=L.float64),
                lambda L, x: x.cumprod(dim=2)],
    "repeat_interleave": [lambda L, x: x.repeat_interleave(2), lambda L, x: x.repeat_interleave(3, dim=1),
                          lambda L, x: x.repeat_interleave(L.tensor([0, 1, 2])),
                          lambda L, x: x.repeat_interleave(2, dim=4), lambda L, x: x.repeat_interleave(2, dim=-3)],
    "repeat_interleave along": [lambda L, x: x.repeat_interleave(2, 0), lambda L, x: x.repeat_interleave(0, -1),
                                lambda L, x: x.repeat_interleave(L.tensor([1, 2]), 0),
                                lambda L, x: x.repeat_interleave(L.tensor([2]), -1),
                                lambda L, x: x.repeat_interleave(L.tensor([0, 1, 2]), dim=-1),
                                lambda L, x: x.repeat_interleave(L.tensor([1, -1]), 0)],
    "nonzero": [lambda L, x: x.nonzero(), lambda L, x: L.nonzero(x, as_tuple=True)],
    "einsum": [lambda L, x: L.einsum("...->", x), lambda L, x: L.einsum("...,...->...", x, x),
               lambda L, x: L.einsum("i->", x), lambda L, x: L.einsum("ij->ji", x), lambda L, x: L.einsum("ii->i", x),
               lambda L, x: L.einsum("...i,...i", x, x), lambda L, x: L.einsum("i...->...", x),
               lambda L, x: L.einsum("...j,...k->...jk", x, x), lambda L, x: L.einsum("ij,kj", x, x),
               lambda L, x: L.einsum("ijk->kji", x), lambda L, x: L.einsum(x, [0, Ellipsis], [Ellipsis])],
}


def _tied(x, out):
    """topk's values alone where x may hold ties (integers, booleans): torch leaves the order of tied indices open."""
    return out if str(x.dtype).endswith("float64") else out.values


def documented(op, shape, dtype, d):
    """docs/pytorch.md's differences: integer means (and std, var, norm) are float32 here, refused in torch,
    and undefined statistics (an empty mean, the unbiased variance of one value) are errors here, NaN there."""
    if op in ("mean", "std", "var", "norm") and dtype != "float64":
        return True
    if op in ("clamp", "clamp_min", "clamp_max") and dtype == "uint8":  # torch wraps a bound of -1 around to 255
        return True
    if op == "repeat_interleave along" and shape == ():  # one value along dim 0 or -1 here; torch refuses any dim
        return True
    if op in ("topk", "topk none", "einsum") and dtype == "bool":
        return True  # topk of booleans: refused by torch on a CPU only; einsum of booleans: refused here
    if op == "topk none" and shape == ():  # torch's topk(0) of a 0-d tensor gives its one value; refused here
        return True
    if op in ("mean", "std", "var"):
        axes = range(len(shape)) if d is None or d == () else [a % max(len(shape), 1)
                                                                for a in (d if isinstance(d, tuple) else (d,))]
        count = int(np.prod([shape[a] for a in axes if a < len(shape)]))
        return count <= (op != "mean")
    return False


def outcome(f, lib, a, grad_seed=None):
    """f's results as float/int/bool arrays (and the gradient of a random weighting, for a float64 input),
    or the exception it raised."""
    x = torch.tensor(a) if lib is torch else minigan.tensor(a.copy())
    if grad_seed is not None:
        x.requires_grad_(True)
    try:
        out = f(lib, x)
    except Exception as error:  # noqa: BLE001 - the kind of refusal is compared below
        return error
    outs = list(out) if isinstance(out, tuple) else [out]
    values = [np.asarray(o.detach().numpy() if lib is torch else o.data) for o in outs]
    grad = None
    if grad_seed is not None and any(o.requires_grad for o in outs):
        rng = np.random.default_rng(grad_seed)
        loss = 0
        for o, v in zip(outs, values):
            if o.requires_grad:  # a random upstream gradient, the same for both libraries
                loss = loss + (o * lib.tensor(rng.standard_normal(v.shape))).sum()
        loss.backward()
        grad = np.zeros(a.shape) if x.grad is None else np.asarray(x.grad.detach().numpy() if lib is torch
                                                                     else x.grad.data)
    return values, grad


def compare(name, op, f, a, grad_seed=None):
    expected = outcome(f, torch, a, grad_seed)
    got = outcome(f, minigan, a, grad_seed)
    if isinstance(expected, Exception):
        assert isinstance(got, Exception), f"{name}: torch refuses ({expected}), minigan accepts"
        assert isinstance(got, (ValueError, TypeError, RuntimeError, IndexError)), f"{name}: {got!r}"
        assert any(word + ":" in str(got) for word in op.split()), f"{name}: the error does not name {op}: {got}"
        return
    assert not isinstance(got, Exception), f"{name}: torch accepts, minigan refuses: {got!r}"
    (want, want_grad), (have, have_grad) = expected, got
    assert len(want) == len(have), f"{name}: {len(want)} results from torch, {len(have)} from minigan"
    for w, h in zip(want, have):
        assert (h.dtype, h.shape) == (w.dtype, w.shape), f"{name}: {h.dtype} {h.shape}, torch {w.dtype} {w.shape}"
        if w.dtype.kind == "f":
            tol = 1e-12 if w.dtype == np.float64 else 1e-6  # (float32 of integers: rounded in another order)
            np.testing.assert_allclose(h, w, rtol=tol, atol=tol * 1e-3, err_msg=name)
        else:
            np.testing.assert_array_equal(h, w, err_msg=name)
    if want_grad is not None or have_grad is not None:
        assert want_grad is not None and have_grad is not None, f"{name}: a gradient from one library only"
        np.testing.assert_allclose(have_grad, want_grad, rtol=1e-12, atol=1e-15, err_msg=name + " (gradient)")


def sweep(shapes, dtypes, dims, seed):
    rng = np.random.default_rng(seed)
    for shape in shapes:
        for dtype in dtypes:
            a = array(shape, dtype, rng)
            seed_for_grad = int(rng.integers(2**31)) if dtype == "float64" else None
            for op in REDUCTIONS:
                for d in dims:
                    for keepdim in (False, True):
                        if (op == "logsumexp" and d == () and not keepdim and 0 not in shape) or (
                                op in ("logsumexp", "cumsum") and d is None) or documented(op, shape, dtype, d):
                            continue  # (torch's logsumexp(dim=()) fails in its own broadcast: a torch bug)
                        name = f"x.{op}(dim={d}, keepdim={keepdim}) of {dtype} {shape}"
                        # (torch's std and var over dim=() have gradients of +-inf: a torch bug)
                        grads = None if op in ("std", "var") and d == () else seed_for_grad
                        compare(name, op, reduce(op, d, keepdim), a, grads)
            for op, cases in SHAPE_OPS.items():
                for i, f in enumerate(cases if not documented(op, shape, dtype, None) else []):
                    compare(f"{op} case {i} of {dtype} {shape}", op, f, a, seed_for_grad)


def test_shape_ops_and_reductions_match_torch():
    sweep(SHAPES, ["float64", "int64", "bool"], DIMS, seed=0)


@pytest.mark.slow
def test_shape_ops_and_reductions_match_torch_wide():
    shapes = SHAPES + [(1, 1), (3, 1), (1, 3), (0, 3), (2, 3, 4), (1, 0, 2), (2, 2, 1, 2)]
    sweep(shapes, ["float64", "int32", "uint8", "bool"], DIMS + [2, -2, 3, (0, 2), (1, -1), (0, 0)], seed=1)


# ------------------------------------------------ regressions (each failed before its fix)
def test_zero_d_tensor_along_dim_0_or_minus_1():
    x = minigan.tensor(2.5, dtype=minigan.float64, requires_grad=True)
    values, indices = x.max(0)
    assert (values.shape, float(values.item()), indices.dtype, int(indices.item())) == ((), 2.5, np.int64, 0)
    values.backward(minigan.tensor(3.0, dtype=minigan.float64))
    assert x.grad.item() == 3.0
    assert x.min(-1).indices.item() == 0 and x.argmax(0).item() == 0 and x.argmin(dim=-1).item() == 0
    assert x.squeeze(0).shape == () and x.squeeze(-1).shape == () and x.transpose(0, -1).shape == ()
    with pytest.raises(ValueError, match="max: dim 1 is out of range for a 0-d tensor"):
        x.max(1)
    with pytest.raises(ValueError, match="flatten: dim 1 is out of range for a 0-d tensor"):
        x.flatten(1)
    with pytest.raises(ValueError, match="sum: dim \\(0, -1\\) names an axis twice"):
        x.sum((0, -1))
    with pytest.raises(ValueError, match="squeeze: axis \\(0, 0\\) names an axis twice"):
        minigan.zeros(1, 2).squeeze((0, 0))


def test_norm_and_logsumexp_with_dim_empty_tuple_reduce_every_axis():
    x = minigan.tensor([[3.0, 0.0], [0.0, 4.0]])
    assert x.norm(dim=()).shape == () and x.norm(dim=()).item() == 5.0
    assert x.logsumexp(dim=(), keepdim=True).shape == (1, 1)


def test_split_and_chunk_of_an_empty_axis_give_empty_pieces():
    x = minigan.zeros(0, 3)
    assert [p.shape for p in x.chunk(3)] == [(0, 3)] * 3
    assert [p.shape for p in x.split(2)] == [(0, 3)] and [p.shape for p in x.split(0)] == [(0, 3)]
    with pytest.raises(ValueError, match="split: sizes must be ints >= 0"):
        minigan.zeros(2).split([3, -1])


def test_cat_promotes_integers_and_skips_1d_empty_tensors():
    a = minigan.tensor([[1.5, 2.5]], requires_grad=True)
    y = minigan.cat([a, minigan.tensor([[1, 2]]), minigan.zeros(0, dtype=minigan.int64)])
    assert y.dtype == np.float32 and y.tolist() == [[1.5, 2.5], [1.0, 2.0]]
    y.sum().backward()
    assert a.grad.tolist() == [[1.0, 1.0]]
    assert minigan.stack([minigan.tensor([True]), minigan.tensor([3], dtype=minigan.int32)]).dtype == np.int32
    with pytest.raises(TypeError, match="cat: dtypes differ, float32 and float64"):
        minigan.cat([a, a.double()])
    with pytest.raises(TypeError, match="^stack: dtypes differ, float32 and float64"):  # (it said cat)
        minigan.stack([a, a.double()])


def test_masked_fill_keeps_the_dtype():
    x = minigan.tensor([1, 5])
    assert x.masked_fill(x > 2, 0).dtype == np.int64
    m = minigan.tensor([True, False])
    assert m.masked_fill(~m, 2.0).tolist() == [True, True]


def test_unflatten_works_out_minus_1_beside_an_empty_axis():
    assert minigan.zeros(2, 0).unflatten(0, (1, -1)).shape == (1, 2, 0)


def test_clamp_of_integers_to_a_value_outside_their_dtype_is_refused_clearly():
    x = minigan.tensor([0, 3, 200], dtype=minigan.uint8)
    with pytest.raises(ValueError, match="clamp: min=None, max=-1 would give values outside uint8's range 0..255"):
        x.clamp(max=-1)  # (NumPy's OverflowError before; torch wraps -1 around to 255)
    with pytest.raises(ValueError, match="clamp: min=1, max=-1 would give values outside uint8's range"):
        x.clamp(1, -1)
    assert x.clamp(-1, 100).tolist() == [0, 3, 100]  # a bound beyond the range that changes nothing is fine


@pytest.mark.parametrize("values", [[[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0]],
                                    [[1.0, np.nan, 3.0, np.nan], [np.nan, 5.0, -1.0, 5.0]]])
def test_ties_and_nans_in_max_min_and_their_indices_match_torch(values):
    a = np.array(values)
    for op in ("max", "min", "argmax", "argmin"):
        for dim in (None, 0, 1, -1):
            call = (lambda L, x, op=op: getattr(x, op)()) if dim is None else \
                (lambda L, x, op=op, dim=dim: getattr(x, op)(dim))
            compare(f"x.{op}({dim}) of {values}", op, call, a, grad_seed=5)
