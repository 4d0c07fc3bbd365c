"""Random graphs, checked whole: a small, deterministic differential fuzzer of the autograd engine.

Each seed builds a graph of 4 to 9 smooth ops over two or three float64 leaves: broadcasting, reductions,
views (reshape, permute, expand, slices, negative steps), indexing with integer arrays (an integer beside them
included) and masks, matmul, cat/stack, tensors reused and detached. Its first and second derivatives are
checked against central differences (gradcheck, gradgradcheck); with torch installed, its values and
gradients are compared with torch's. The ops are smooth (no kinks, no ties) so that differences are exact.
"""

import random

import numpy as np
import pytest

import minigan as mg


def _index(lib, items):
    """An index of ints, slices and integer arrays, as a tensor of `lib` (torch has no negative steps: see _flip)."""
    return tuple(lib.tensor(i) if isinstance(i, np.ndarray) else i for i in items)


def _slice(lib, x, axis, step):
    """x[..., ::step] along `axis`; a negative step as a flip, in torch."""
    if step < 0 and lib is not mg:
        return x.flip(axis)[(slice(None),) * axis + (slice(None, None, -step),)]
    return x[(slice(None),) * axis + (slice(None, None, step),)]


# name: (does it apply to a node of this shape?, how to build it); build(r, shape) -> fn(lib, x, other)
def _ops():
    ops = {}

    def op(name, fits=lambda s: True):
        def deco(build):
            ops[name] = (fits, build)
            return build
        return deco

    @op("tanh")
    def _(r, s):
        return lambda lib, x, o: x.tanh()

    @op("exp_sig")
    def _(r, s):
        return lambda lib, x, o: x.sigmoid().exp()

    @op("square_plus")
    def _(r, s):
        return lambda lib, x, o: x * x + x

    @op("div_soft")
    def _(r, s):
        return lambda lib, x, o: x / (1.0 + o * o)

    @op("mul_bcast")
    def _(r, s):
        return lambda lib, x, o: x * o - 0.5

    @op("sum", lambda s: len(s) > 0)
    def _(r, s):
        dims, keep = tuple(sorted(r.sample(range(len(s)), r.randint(1, len(s))))), r.random() < 0.5
        return lambda lib, x, o: x.sum(dim=dims, keepdim=keep)

    @op("var", lambda s: len(s) > 0 and s[-1] > 1)
    def _(r, s):
        return lambda lib, x, o: x.var(dim=-1, keepdim=True)

    @op("softmax", lambda s: len(s) > 0)
    def _(r, s):
        dim = r.randrange(len(s))
        return lambda lib, x, o: x.softmax(dim) * 2.0 + x.logsumexp(dim, keepdim=True)

    @op("reshape")
    def _(r, s):
        shape = r.choice([(-1,), (-1, 1), (1, -1)])
        return lambda lib, x, o: x.reshape(*shape)

    @op("permute", lambda s: len(s) > 1)
    def _(r, s):
        perm = list(range(len(s)))
        r.shuffle(perm)
        return lambda lib, x, o: x.permute(*perm)

    @op("expand", lambda s: 1 <= len(s) < 3)
    def _(r, s):
        return lambda lib, x, o: x.unsqueeze(0).expand(2, *s)

    @op("slice", lambda s: len(s) > 0)
    def _(r, s):
        axis, step = r.randrange(len(s)), r.choice([2, -1, -2])
        return lambda lib, x, o: _slice(lib, x, axis, step)

    @op("int_array", lambda s: len(s) > 0)
    def _(r, s):
        rows = np.array([r.randrange(-s[0], s[0]) for _ in range(3)])  # with repeats: their gradients add up
        return lambda lib, x, o: x[_index(lib, [rows])]

    @op("int_beside_array", lambda s: len(s) == 3)
    def _(r, s):
        first, cols = r.randrange(-s[0], s[0]), np.array([r.randrange(s[2]) for _ in range(2)])
        return lambda lib, x, o: x[_index(lib, [first, slice(None), cols])]  # torch's order: (s[1], 2)

    @op("mask", lambda s: len(s) > 0)
    def _(r, s):
        keep = np.array([True] + [r.random() < 0.5 for _ in range(s[0] - 1)])
        return lambda lib, x, o: x[_index(lib, [keep])]

    @op("matmul", lambda s: len(s) in (1, 2))
    def _(r, s):
        w = np.random.default_rng(r.randrange(1000)).standard_normal((s[-1], 2))
        return lambda lib, x, o: x @ lib.tensor(w)

    @op("cat_self", lambda s: len(s) > 0)
    def _(r, s):
        dim = r.randrange(len(s))
        return lambda lib, x, o: lib.cat([x, x.tanh()], dim=dim)

    @op("stack_detached")
    def _(r, s):
        return lambda lib, x, o: lib.stack([x, x.detach() * x], dim=0)

    @op("where", lambda s: len(s) > 0)
    def _(r, s):
        mask = np.array([r.random() < 0.5 for _ in range(s[-1])])
        return lambda lib, x, o: lib.where(lib.tensor(mask), x, o)

    @op("sin_cos")
    def _(r, s):
        return lambda lib, x, o: x.sin() * lib.cos(o)

    @op("cumprod", lambda s: len(s) > 0)
    def _(r, s):
        dim = r.randrange(-len(s), len(s))
        return lambda lib, x, o: x.cumprod(dim)

    @op("sort_values", lambda s: len(s) > 0)  # (random values: no ties, so the order is the same in both)
    def _(r, s):
        dim, descending = r.randrange(-len(s), len(s)), r.random() < 0.5
        return lambda lib, x, o: x.sort(dim=dim, descending=descending).values

    @op("topk_gather", lambda s: len(s) > 0)
    def _(r, s):
        dim, largest = r.randrange(len(s)), r.random() < 0.5
        k = r.randint(1, s[dim])
        return lambda lib, x, o: x.topk(k, dim, largest=largest).values + x.gather(dim, x.argsort(dim=dim))

    @op("einsum", lambda s: len(s) > 0)
    def _(r, s):
        w = np.random.default_rng(r.randrange(1000)).standard_normal((s[-1], 2))
        equation = r.choice(["...i,ij->...j", "...,...->...", "i...->...", "...i,...i"])
        return lambda lib, x, o: lib.einsum(equation, x, lib.tensor(w) if "ij" in equation else o)

    @op("einsum_square", lambda s: len(s) == 2)
    def _(r, s):
        equation = r.choice(["ij->ji", "ij,kj->ik", "ij,ik"] + ["ii->i", "ii"] * (s[0] == s[1]))
        return lambda lib, x, o: lib.einsum(equation, x, x) if "," in equation else lib.einsum(equation, x)

    @op("tensor_where", lambda s: len(s) > 0)
    def _(r, s):
        mask = np.array([r.random() < 0.5 for _ in range(s[-1])])
        return lambda lib, x, o: x.where(lib.tensor(mask), o)

    @op("interpolate", lambda s: len(s) == 2)
    def _(r, s):
        mode, size = r.choice(["bicubic", "area"]), (r.randint(1, 4), r.randint(1, 4))
        corners = r.random() < 0.5 if mode == "bicubic" else None
        return lambda lib, x, o: lib.nn.functional.interpolate(x[None, None], size=size, mode=mode,
                                                               align_corners=corners)[0, 0]

    return ops


OPS = _ops()


def _program(seed, detach=True):
    """Leaves' values and steps (op, input node, other node), built on the shapes minigan computes.

    (Without `detach` for central differences: they see through a detach, which autograd rightly does not.)
    """
    r = random.Random(seed)
    rng = np.random.default_rng(seed)
    shapes = [tuple(r.choice([1, 2, 3]) for _ in range(r.randint(0, 3))) for _ in range(r.randint(2, 3))]
    leaves = [rng.uniform(-1.5, 1.5, size=s) for s in shapes]
    nodes = [mg.tensor(v, requires_grad=True) for v in leaves]
    steps = []
    while len(steps) < r.randint(4, 9):
        i = min(len(nodes) - 1, int(len(nodes) * r.random() ** 0.5))  # later nodes more often; any may be reused
        x = nodes[i]
        name = r.choice([n for n in sorted(OPS) if detach or n != "stack_detached"])
        fits, build = OPS[name]
        if not fits(x.shape):
            continue
        # the other operand: a node of a shape that broadcasts with x (else x itself)
        partners = [j for j, n in enumerate(nodes) if _broadcasts(n.shape, x.shape)]
        j = r.choice(partners) if partners and r.random() < 0.7 else i
        fn = build(r, x.shape)
        try:
            y = fn(mg, x, nodes[j])
        except (ValueError, IndexError):  # a shape this op does not take
            continue
        steps.append((fn, i, j))
        nodes.append(y)
    outs = sorted({len(nodes) - 1, *r.sample(range(len(leaves), len(nodes)), 2)})  # reused, and each differentiated
    return leaves, steps, outs


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def _run(lib, leaves, steps, outs):
    nodes = list(leaves)
    for fn, i, j in steps:
        nodes.append(fn(lib, nodes[i], nodes[j]))
    return tuple(nodes[k] for k in outs)


SEEDS = range(24)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_graphs_have_the_derivatives_of_central_differences(seed):
    leaves, steps, outs = _program(seed, detach=False)
    xs = [mg.tensor(v, requires_grad=True) for v in leaves]
    fn = lambda *ts: _run(mg, ts, steps, outs)  # noqa: E731
    assert mg.gradcheck(fn, xs, atol=1e-6, rtol=1e-5)
    assert mg.gradgradcheck(fn, xs, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_graphs_give_torchs_values_and_first_and_second_gradients(seed):
    torch = pytest.importorskip("torch")
    leaves, steps, outs = _program(seed)
    rng = np.random.default_rng(1000 + seed)
    results = []
    for lib in (mg, torch):
        xs = [lib.tensor(v, requires_grad=True) for v in leaves]
        ys = _run(lib, xs, steps, outs)
        ups = [rng.standard_normal(tuple(y.shape)) for y in ys] if not results else results[0][3]
        grad = mg.grad if lib is mg else torch.autograd.grad
        gs = grad(ys, xs, [lib.tensor(u) for u in ups], create_graph=True, allow_unused=True)
        vs = [rng.standard_normal(tuple(x.shape)) for x in xs] if not results else results[0][4]
        used = [(g * lib.tensor(v)).sum() for g, v in zip(gs, vs) if g is not None and g.requires_grad]
        second = grad(sum(used), xs, allow_unused=True) if used else (None,) * len(xs)  # (None: zeros at most)
        numpy = [[None if t is None else t.detach().numpy() for t in group] for group in (ys, gs, second)]
        results.append((*numpy, ups, vs))
    for ours, theirs in zip(results[0][:3], results[1][:3]):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            if a is None or b is None:  # a leaf the outputs do not reach: None in one, zeros in the other at most
                assert not np.any(a if b is None else b)
                continue
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
