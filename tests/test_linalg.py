"""minigan.linalg (norms, det, inv, solve, matrix_power) and torch's product functions, against torch.

One table (CASES) gives each function once: minigan's call, torch's, and how to draw the inputs
(away from kinks and ties). Each row is compared with torch in float64 (values and gradients),
gradchecked, and run in float32 (which must stay float32); the rows in GRADGRAD also get
gradgradcheck. Below the table: the gradient at 0, torch's dispatch rules, errors, signatures.
"""

import math
import warnings

import numpy as np
import pytest

import minigan as mg
from minigan import linalg as L


def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def away_from_zero(*shape):
    return lambda rng: rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 1.5, shape)


def distinct(*shape):
    """A permutation of well-separated values of either sign: no ties for max and min of |x|."""
    def draw(rng):
        n = int(np.prod(shape))
        return (rng.permutation(np.linspace(0.3, 2.0, n)) * rng.choice([-1.0, 1.0], n)).reshape(shape)
    return draw


def well_conditioned(*shape):
    """Square matrices near 2 I: far from singular."""
    return lambda rng: rng.standard_normal(shape) * 0.3 + 2.0 * np.eye(shape[-1])


def _torch():
    return pytest.importorskip("torch")


def T(name):
    """torch's function `name` ("linalg.x" for torch.linalg's), looked up when called."""
    def call(*args, **kwargs):
        where = _torch()
        for part in name.split("."):
            where = getattr(where, part)
        return where(*args, **kwargs)
    return call


CASES = {
    "vector_norm_2_dim1": (lambda x: L.vector_norm(x, dim=1), lambda x: T("linalg.vector_norm")(x, dim=1),
                           [normal(3, 4)]),
    "vector_norm_1_all_keepdim": (lambda x: L.vector_norm(x, 1, keepdim=True),
                                  lambda x: T("linalg.vector_norm")(x, 1, keepdim=True), [away_from_zero(2, 3)]),
    "vector_norm_inf_dims": (lambda x: L.vector_norm(x, math.inf, (0, 2)),
                             lambda x: T("linalg.vector_norm")(x, math.inf, (0, 2)), [distinct(2, 3, 2)]),
    "vector_norm_minus_inf": (lambda x: L.vector_norm(x, -math.inf, -1),
                              lambda x: T("linalg.vector_norm")(x, -math.inf, -1), [distinct(3, 4)]),
    "vector_norm_3": (lambda x: L.vector_norm(x, 3, 0), lambda x: T("linalg.vector_norm")(x, 3, 0), [normal(3, 4)]),
    "vector_norm_half": (lambda x: L.vector_norm(x, 0.5, 1), lambda x: T("linalg.vector_norm")(x, 0.5, 1),
                         [away_from_zero(3, 4)]),
    "vector_norm_minus_1": (lambda x: L.vector_norm(x, -1), lambda x: T("linalg.vector_norm")(x, -1),
                            [away_from_zero(3, 4)]),
    "matrix_norm_fro": (L.matrix_norm, T("linalg.matrix_norm"), [normal(2, 3, 4)]),
    "matrix_norm_1": (lambda x: L.matrix_norm(x, 1), lambda x: T("linalg.matrix_norm")(x, 1), [distinct(2, 3, 4)]),
    "matrix_norm_minus_1_keepdim": (lambda x: L.matrix_norm(x, -1, (0, 2), True),
                                    lambda x: T("linalg.matrix_norm")(x, -1, (0, 2), True), [distinct(3, 2, 4)]),
    "matrix_norm_inf": (lambda x: L.matrix_norm(x, math.inf), lambda x: T("linalg.matrix_norm")(x, math.inf),
                        [distinct(3, 4)]),
    "matrix_norm_minus_inf_dims": (lambda x: L.matrix_norm(x, -math.inf, (1, 0)),
                                   lambda x: T("linalg.matrix_norm")(x, -math.inf, (1, 0)), [distinct(3, 4)]),
    "norm_default": (L.norm, T("linalg.norm"), [normal(2, 3, 4)]),
    "norm_matrix_ord_1": (lambda x: L.norm(x, 1), lambda x: T("linalg.norm")(x, 1), [distinct(3, 4)]),
    "norm_dims_pair": (lambda x: L.norm(x, dim=(0, 2)), lambda x: T("linalg.norm")(x, dim=(0, 2)), [normal(2, 3, 4)]),
    "norm_vector_ord_3": (lambda x: L.norm(x, 3, 1), lambda x: T("linalg.norm")(x, 3, 1), [normal(3, 4)]),
    "outer": (mg.outer, T("outer"), [normal(3), normal(4)]),
    "ger": (mg.ger, T("ger"), [normal(2), normal(3)]),
    "inner": (mg.inner, T("inner"), [normal(2, 3), normal(4, 3)]),
    "inner_number": (mg.inner, T("inner"), [normal(), normal(2, 3)]),
    "dot": (mg.dot, T("dot"), [normal(4), normal(4)]),
    "vdot": (mg.vdot, T("vdot"), [normal(4), normal(4)]),
    "tensordot_2": (mg.tensordot, T("tensordot"), [normal(2, 3, 4), normal(3, 4, 2)]),
    "tensordot_lists": (lambda a, b: mg.tensordot(a, b, ([2, 0], [0, 1])),
                        lambda a, b: T("tensordot")(a, b, ([2, 0], [0, 1])), [normal(2, 3, 4), normal(4, 2, 3)]),
    "tensordot_0": (lambda a, b: mg.tensordot(a, b, 0), lambda a, b: T("tensordot")(a, b, 0),
                    [normal(2, 3), normal(3)]),
    "trace": (mg.trace, T("trace"), [normal(3, 4)]),
    "diagonal": (lambda x: mg.diagonal(x, -1, 2, 0), lambda x: T("diagonal")(x, -1, 2, 0), [normal(4, 2, 3)]),
    "diag_embed": (lambda x: mg.diag_embed(x, 1, 0, 2), lambda x: T("diag_embed")(x, 1, 0, 2), [normal(2, 3)]),
    "diag_embed_default": (mg.diag_embed, T("diag_embed"), [normal(2, 3)]),
    "kron": (mg.kron, T("kron"), [normal(2, 3), normal(3, 1, 2)]),
    "cross_first_size_3": (lambda a, b: mg.cross(a, b), lambda a, b: T("cross")(a, b, dim=1),
                           [normal(2, 3, 3), normal(1, 3, 3)]),
    "linalg_cross": (L.cross, T("linalg.cross"), [normal(2, 3), normal(1, 3)]),
    "cdist": (mg.cdist, T("cdist"), [normal(2, 3, 4), normal(1, 5, 4)]),
    "cdist_1": (lambda a, b: mg.cdist(a, b, 1.0), lambda a, b: T("cdist")(a, b, 1.0), [normal(3, 2), normal(4, 2)]),
    "addmm": (lambda x, a, b: mg.addmm(x, a, b, beta=0.5, alpha=2.0),
              lambda x, a, b: T("addmm")(x, a, b, beta=0.5, alpha=2.0), [normal(4), normal(3, 2), normal(2, 4)]),
    "addmv": (mg.addmv, T("addmv"), [normal(3), normal(3, 2), normal(2)]),
    "baddbmm": (lambda x, a, b: mg.baddbmm(x, a, b, alpha=-1.5), lambda x, a, b: T("baddbmm")(x, a, b, alpha=-1.5),
                [normal(1, 3, 4), normal(2, 3, 2), normal(2, 2, 4)]),
    "addcmul": (lambda x, a, b: mg.addcmul(x, a, b, value=0.5), lambda x, a, b: T("addcmul")(x, a, b, value=0.5),
                [normal(3, 1), normal(4), normal(3, 4)]),
    "addcdiv": (lambda x, a, b: mg.addcdiv(x, a, b, value=-2), lambda x, a, b: T("addcdiv")(x, a, b, value=-2),
                [normal(3, 4), normal(4), away_from_zero(3, 4)]),
    "block_diag": (mg.block_diag, T("block_diag"), [normal(), normal(2), normal(2, 3)]),
    "cartesian_prod": (mg.cartesian_prod, T("cartesian_prod"), [normal(2), normal(3), normal(2)]),
    "cartesian_prod_of_one": (mg.cartesian_prod, T("cartesian_prod"), [normal(3)]),
    "matrix_power_5": (lambda a: mg.matrix_power(a, 5), lambda a: T("matrix_power")(a, 5), [normal(2, 3, 3)]),
    "matrix_power_minus_2": (lambda a: L.matrix_power(a, -2), lambda a: T("linalg.matrix_power")(a, -2),
                             [well_conditioned(3, 3)]),
    "inv": (L.inv, T("linalg.inv"), [well_conditioned(2, 3, 3)]),
    "det": (L.det, T("linalg.det"), [well_conditioned(2, 3, 3)]),
    "solve_matrix_broadcast": (L.solve, T("linalg.solve"), [well_conditioned(2, 3, 3), normal(3, 2)]),
    "solve_vectors": (L.solve, T("linalg.solve"), [well_conditioned(2, 3, 3), normal(2, 3)]),
    "solve_right": (lambda a, b: L.solve(a, b, left=False), lambda a, b: T("linalg.solve")(a, b, left=False),
                    [well_conditioned(3, 3), normal(2, 3)]),
}

# second derivatives: WGAN-GP differentiates the vector norm twice; the others' matter as any op's
GRADGRAD = ["vector_norm_2_dim1", "vector_norm_3", "vector_norm_minus_1", "matrix_norm_fro", "matrix_norm_1", "outer",
            "tensordot_lists", "diagonal", "diag_embed", "kron", "linalg_cross", "cdist", "addmm", "addcdiv",
            "block_diag", "matrix_power_5", "inv", "det", "solve_matrix_broadcast", "solve_right"]


def make_inputs(name, dtype="float64", device="cpu"):
    rng = np.random.default_rng(0)
    arrays = [np.asarray(draw(rng), dtype=dtype) for draw in CASES[name][2]]
    return [mg.tensor(a.copy(), device=device, requires_grad=True) for a in arrays], arrays


@pytest.mark.parametrize("name", list(CASES))
def test_forward_and_backward_match_torch(name, device):
    torch = _torch()
    fn, torch_fn, _ = CASES[name]
    inputs, arrays = make_inputs(name, device=device)
    tinputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = fn(*inputs), torch_fn(*tinputs)
    assert out.shape == tuple(tout.shape) and out.device == device and out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = np.random.default_rng(1).standard_normal(out.shape)
    grads = mg.grad(out, inputs, mg.tensor(seed, device=device))
    tgrads = torch.autograd.grad(tout, tinputs, torch.tensor(seed))
    for g, tg in zip(grads, tgrads):
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck(name, device):
    inputs, _ = make_inputs(name, device=device)
    assert mg.gradcheck(CASES[name][0], inputs)


@pytest.mark.parametrize("name", GRADGRAD)
def test_gradgradcheck(name, device):
    inputs, _ = make_inputs(name, device=device)
    assert mg.gradgradcheck(CASES[name][0], inputs)


@pytest.mark.parametrize("name", list(CASES))
def test_float32_stays_float32(name, device):
    inputs, _ = make_inputs(name, dtype="float32", device=device)
    out = CASES[name][0](*inputs)
    grads = mg.grad(out.sum(), inputs)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)


# ---------------------------------------------------------------- the gradient where the norm is 0
@pytest.mark.parametrize("ord", [2, 1, math.inf, -math.inf, 0, 3, 0.5, -1, -2])
def test_vector_norm_at_zero_and_with_zeros_has_torchs_value_and_gradient(ord, device):
    torch = _torch()
    x = np.array([[0.0, 0.0, 0.0], [0.0, 1.0, -2.0], [1.0, -1.0, 1.0]])  # all zero, one zero, ties
    ours = mg.tensor(x, device=device, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out, tout = L.vector_norm(ours, ord, dim=1), torch.linalg.vector_norm(theirs, ord, dim=1)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12)
    (g,) = mg.grad(out.sum(), [ours])
    expected = np.zeros_like(x) if ord == 0 else torch.autograd.grad(tout.sum(), theirs)[0].numpy()  # (torch: none)
    np.testing.assert_allclose(g.numpy(), expected, rtol=1e-12, atol=0)


def test_gradient_penalty_with_vector_norm_matches_torch():
    # WGAN-GP: the norm of an input gradient, differentiated again with respect to the weights
    torch = _torch()
    rng = np.random.default_rng(0)
    w, x = rng.standard_normal((4, 1)), rng.standard_normal((5, 4))
    W, X = mg.tensor(w, requires_grad=True), mg.tensor(x, requires_grad=True)
    tw, tx = torch.tensor(w, requires_grad=True), torch.tensor(x, requires_grad=True)
    (g,) = mg.grad(mg.tanh(X @ W).sum(), [X], create_graph=True)
    (tg,) = torch.autograd.grad(torch.tanh(tx @ tw).sum(), [tx], create_graph=True)
    penalty = ((L.vector_norm(g, dim=1) - 1) ** 2).mean()
    tpenalty = ((torch.linalg.vector_norm(tg, dim=1) - 1) ** 2).mean()
    np.testing.assert_allclose(penalty.item(), tpenalty.item(), rtol=1e-12)
    np.testing.assert_allclose(mg.grad(penalty, [W])[0].numpy(), torch.autograd.grad(tpenalty, [tw])[0].numpy(),
                               rtol=1e-10)


@pytest.mark.parametrize("ord", [math.inf, -math.inf, 1, 3])
@pytest.mark.parametrize("dim", [0, -1, (0,)])
def test_vector_norm_of_a_number_over_its_one_dim_is_torchs(ord, dim):
    torch = _torch()
    ours = L.vector_norm(mg.tensor(-3.0), ord, dim)
    theirs = torch.linalg.vector_norm(torch.tensor(-3.0), ord, dim)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (2, 0, 3), (2, 3, 0)])
@pytest.mark.parametrize("ord", [1, math.inf, -1, -math.inf])
def test_matrix_norm_with_an_empty_axis_is_torchs_0_or_refused(shape, ord):
    # the largest column (row) sum of no columns (rows) is 0, as torch's; the smallest has no value
    torch = _torch()
    A = mg.ones(*shape, requires_grad=True)
    try:
        expected = torch.linalg.matrix_norm(torch.ones(shape), ord)
    except (IndexError, RuntimeError):
        with pytest.raises(RuntimeError, match=r"linalg.matrix_norm: the -?(1|inf) norm of a matrix with an empty axis"):
            L.matrix_norm(A, ord)
        return
    out = L.matrix_norm(A, ord)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    assert mg.grad(out.sum(), [A])[0].shape == shape


def test_cdist_of_points_without_coordinates_is_0_as_torchs():
    torch = _torch()
    for p in (math.inf, 2.0, 1.0, 0.5):
        out = mg.cdist(mg.ones(2, 0), mg.ones(3, 0), p)
        np.testing.assert_array_equal(out.numpy(), torch.cdist(torch.ones(2, 0), torch.ones(3, 0), p).numpy())


def test_diag_embed_keeps_inf_nan_and_booleans_on_the_diagonal_as_torch():
    # each entry is placed, not multiplied by 0 or 1 (inf * 0 is NaN)
    torch = _torch()
    for values in ([math.inf, math.nan, -2.0], [True, False, True], [2 ** 62, -3, 1]):
        for offset in (0, -1):
            out = mg.diag_embed(mg.tensor(values), offset)
            expected = torch.diag_embed(torch.tensor(values), offset)
            assert str(out.dtype) == str(expected.dtype).replace("torch.", "")
            np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_matrix_power_0_of_a_matrix_with_inf_and_nan_is_the_identity_as_torchs():
    a = mg.tensor([[math.inf, math.nan], [1.0, -math.inf]], requires_grad=True)
    out = L.matrix_power(a, 0)
    assert out.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert mg.grad(out.sum(), [a])[0].tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_add_functions_with_beta_0_give_input_a_zero_gradient_as_torch():
    torch = _torch()
    x, a, b = np.array([[math.nan, 1.0]]), np.ones((3, 2)), np.ones((2, 2))
    ours = mg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    (g,) = mg.grad(mg.addmm(ours, mg.tensor(a), mg.tensor(b), beta=0).sum(), [ours])
    (tg,) = torch.autograd.grad(torch.addmm(theirs, torch.tensor(a), torch.tensor(b), beta=0).sum(), [theirs])
    np.testing.assert_array_equal(g.numpy(), tg.numpy())


def test_cdist_of_equal_rows_has_a_zero_gradient_as_torchs():
    torch = _torch()
    a = np.array([[1.0, 2.0], [0.5, -1.0]])
    for p in (2.0, 1.0, 3.0, 0.5, math.inf, 0.0):
        x1, x2 = mg.tensor(a, requires_grad=True), mg.tensor(a.copy(), requires_grad=True)
        t1, t2 = torch.tensor(a, requires_grad=True), torch.tensor(a.copy(), requires_grad=True)
        out, tout = mg.cdist(x1, x2, p), torch.cdist(t1, t2, p)
        np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12)
        grads, tgrads = mg.grad(out.sum(), [x1, x2]), torch.autograd.grad(tout.sum(), [t1, t2])
        for g, tg in zip(grads, tgrads):
            assert np.isfinite(g.numpy()).all()
            np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- torch's rules, one by one
def test_norms_take_torchs_dims_dtype_and_dispatch():
    torch = _torch()
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    ours, theirs = mg.tensor(x), torch.tensor(x)
    calls = [
        (lambda m: m.vector_norm(ours, dim=()), lambda t: t.vector_norm(theirs, dim=())),
        (lambda m: m.vector_norm(ours, 1, [2, 0], True), lambda t: t.vector_norm(theirs, 1, [2, 0], True)),
        (lambda m: m.vector_norm(ours, keepdim=True), lambda t: t.vector_norm(theirs, keepdim=True)),
        (lambda m: m.vector_norm(ours, dtype=mg.float64), lambda t: t.vector_norm(theirs, dtype=torch.float64)),
        (lambda m: m.vector_norm(ours, 0, dtype=mg.float32), lambda t: t.vector_norm(theirs, 0, dtype=torch.float32)),
        (lambda m: m.vector_norm(ours[0, 0, 0]), lambda t: t.vector_norm(theirs[0, 0, 0])),
        (lambda m: m.vector_norm(ours[:0], 0), lambda t: t.vector_norm(theirs[:0], 0)),
        (lambda m: m.norm(ours, dim=-1), lambda t: t.norm(theirs, dim=-1)),
        (lambda m: m.norm(ours, 1, (0,)), lambda t: t.norm(theirs, 1, (0,))),
        (lambda m: m.norm(ours[0], math.inf), lambda t: t.norm(theirs[0], math.inf)),  # 2-D: a matrix norm
        (lambda m: m.norm(ours[0, 0], math.inf), lambda t: t.norm(theirs[0, 0], math.inf)),  # 1-D: a vector norm
        (lambda m: m.norm(ours[0], dtype=mg.float64), lambda t: t.norm(theirs[0], dtype=torch.float64)),
        (lambda m: m.matrix_norm(ours, dtype="float64"), lambda t: t.matrix_norm(theirs, dtype=torch.float64)),
    ]
    for i, (mine, torchs) in enumerate(calls):
        a, b = mine(L), torchs(torch.linalg)
        assert a.shape == tuple(b.shape) and str(a.dtype) == str(b.dtype).replace("torch.", ""), i
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, err_msg=str(i))


def test_products_keep_integer_dtypes_as_torch():
    torch = _torch()
    a, b = np.array([[1, 2], [3, 4]]), np.array([[0, 1], [5, -2]])
    for name, args in [("outer", (a[0], b[0])), ("kron", (a, b)), ("tensordot", (a, b)), ("inner", (a, b)),
                       ("trace", (a,)), ("matrix_power", (a, 3)), ("addmm", (a, a, b)), ("block_diag", (a, b)),
                       ("cartesian_prod", (a[0], b[0])), ("diagonal", (a,)), ("diag_embed", (a,))]:
        ours = getattr(mg, name)(*(mg.tensor(v) if isinstance(v, np.ndarray) else v for v in args))
        theirs = getattr(torch, name)(*(torch.tensor(v) if isinstance(v, np.ndarray) else v for v in args))
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), name
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=name)


def test_products_of_empty_tensors_have_torchs_shapes():
    torch = _torch()
    for name, shapes, extra in [("tensordot", [(0, 3), (3, 2)], (1,)), ("tensordot", [(2, 0), (0, 4)], (1,)),
                                ("tensordot", [(2, 3), (3, 0)], (1,)), ("inner", [(0, 3), (2, 3)], ()),
                                ("kron", [(0, 2), (3, 1)], ()), ("outer", [(0,), (3,)], ()),
                                ("cdist", [(0, 3), (2, 3)], ()), ("block_diag", [(0, 2), (1, 0)], ())]:
        arrays = [np.ones(shape) for shape in shapes]
        ours = getattr(mg, name)(*(mg.tensor(a) for a in arrays), *extra)
        theirs = getattr(torch, name)(*(torch.tensor(a) for a in arrays), *extra)
        assert ours.shape == tuple(theirs.shape), (name, shapes)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_addcdiv_takes_one_integer_operand_as_torch():
    # only integer / integer is refused; an integer numerator or denominator with a float one divides as floats
    torch = _torch()
    ints, floats = np.array([3, -4]), np.array([2.0, 0.5])
    for t1, t2 in ((ints, floats), (floats, ints)):
        ours = mg.addcdiv(mg.tensor(floats), mg.tensor(t1), mg.tensor(t2), value=2)
        theirs = torch.addcdiv(torch.tensor(floats), torch.tensor(t1), torch.tensor(t2), value=2)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_add_functions_ignore_input_when_beta_is_0_as_torch():
    x = mg.tensor([[math.nan, math.inf]])
    out = mg.addmm(x, mg.tensor([[1.0], [2.0]]), mg.tensor([[3.0, 4.0]]), beta=0)
    np.testing.assert_array_equal(out.numpy(), [[3.0, 4.0], [6.0, 8.0]])
    np.testing.assert_array_equal(mg.addmv(mg.tensor([math.nan]), mg.tensor([[2.0]]), mg.tensor([3.0]), beta=0,
                                           alpha=2).numpy(), [12.0])


def test_matrix_power_0_and_1_are_new_tensors_as_torchs():
    a = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    one, zero = mg.matrix_power(a, 1), L.matrix_power(a, 0)
    assert one is not a and one.tolist() == a.tolist()
    assert zero.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert mg.grad(zero.sum(), [a])[0].tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert L.matrix_power(mg.ones(4, 2, 2), 0).shape == (4, 2, 2)


def test_cross_without_dim_takes_the_first_axis_of_size_3_as_torch():
    torch = _torch()
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation of dim=None
        expected = torch.cross(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_allclose(mg.cross(mg.tensor(a), mg.tensor(b)).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(L.cross(mg.tensor(a), mg.tensor(b)).numpy(),
                               torch.linalg.cross(torch.tensor(a), torch.tensor(b)).numpy(), rtol=1e-12)


# ---------------------------------------------------------------- clear errors
ERRORS = [
    (lambda: L.vector_norm(mg.tensor([1, 2])), TypeError, r"linalg.vector_norm: expected a floating point .*int64"),
    (lambda: L.vector_norm(mg.ones(2, dtype="float64"), dtype=mg.float32), TypeError,
     r"linalg.vector_norm: dtype must be a float dtype at least as wide as the input's float64, got float32"),
    (lambda: L.vector_norm(mg.ones(2), "fro"), TypeError, r"linalg.vector_norm: ord must be a number .*'fro'"),
    (lambda: L.vector_norm(mg.ones(0, 3), math.inf), RuntimeError, r"linalg.vector_norm: the inf norm of an empty"),
    (lambda: L.vector_norm(mg.ones(0, 3), -math.inf, ()), RuntimeError, r"linalg.vector_norm: the -inf norm of an"),
    (lambda: L.vector_norm(mg.ones(2, 0), -1, 1), RuntimeError, r"linalg.vector_norm: the -1 norm of an empty tensor"),
    (lambda: L.vector_norm(mg.ones(0), -0.5), RuntimeError, r"linalg.vector_norm: the -0.5 norm of an empty tensor"),
    (lambda: L.vector_norm(mg.ones(2, 3), dim=2), IndexError, r"linalg.vector_norm: dim 2 is out of range .*\[-2, 1\]"),
    (lambda: L.vector_norm(mg.ones(2, 3), dim=(1, -1)), ValueError, r"linalg.vector_norm: dim \(1, -1\) names an axis"),
    (lambda: L.vector_norm(np.ones(3)), TypeError, r"linalg.vector_norm: expected a minigan Tensor, got a numpy"),
    (lambda: L.matrix_norm(mg.ones(3)), ValueError, r"linalg.matrix_norm: expected a matrix .*got shape \(3,\)"),
    (lambda: L.matrix_norm(mg.ones(2, 2), 2), NotImplementedError, r"linalg.matrix_norm: ord=2 needs singular values"),
    (lambda: L.matrix_norm(mg.ones(2, 2), 3), ValueError, r"linalg.matrix_norm: ord must be 'fro', 1, -1, inf"),
    (lambda: L.matrix_norm(mg.ones(2, 2), dim=(0, 0)), ValueError, r"linalg.matrix_norm: dim must name two"),
    (lambda: L.matrix_norm(mg.ones(2, 2), dim=0), TypeError, r"linalg.matrix_norm: dim must be a pair of axes"),
    (lambda: L.matrix_norm(mg.ones(3, 0), -1), RuntimeError, r"linalg.matrix_norm: the -1 norm of a matrix with an"),
    (lambda: L.norm(mg.ones(2, 2, 2), 1), ValueError, r"linalg.norm: with ord given and dim=None the input must be"),
    (lambda: L.norm(mg.ones(2, 2), "fro", 0), ValueError, r"linalg.norm: ord='fro' is a matrix norm, but dim"),
    (lambda: L.norm(mg.ones(2), "fro"), ValueError, r"linalg.norm: ord='fro' is a matrix norm, but the input is 1-D"),
    (lambda: L.norm(mg.ones(2, 2, 2), dim=(0, 1, 2)), ValueError, r"linalg.norm: dim must be an int, one axis or two"),
    (lambda: mg.outer(mg.ones(2, 2), mg.ones(2)), ValueError, r"outer: expected two vectors .*\(2, 2\) and \(2,\)"),
    (lambda: mg.outer(mg.ones(2), mg.ones(2, dtype="float64")), TypeError, r"outer: dtypes differ, float32 and"),
    (lambda: mg.vdot(mg.ones(2, 1), mg.ones(2)), ValueError, r"vdot: expected two vectors"),
    (lambda: mg.tensordot(mg.ones(2, 3), mg.ones(3, 2)), ValueError, r"tensordot: axis 0 of a \(size 2\) does not"),
    (lambda: mg.tensordot(mg.ones(2), mg.ones(2), 2), ValueError, r"tensordot: dims must be in \[0, 1\]"),
    (lambda: mg.tensordot(mg.ones(2), mg.ones(2), "x"), TypeError, r"tensordot: dims must be an int or a pair"),
    (lambda: mg.tensordot(mg.ones(2), mg.ones(2), ([0], [])), ValueError, r"tensordot: dims must name as many"),
    (lambda: mg.dot(mg.ones(2), mg.tensor([1, 2])), TypeError, r"dot: dtypes differ, float32 and int64"),
    (lambda: mg.dot(mg.ones(2), mg.ones(3)), ValueError, r"dot: expected two vectors of one length, got shapes"),
    (lambda: mg.inner(mg.ones(2, 3), mg.ones(2)), ValueError, r"inner: the last axes must have one size"),
    (lambda: mg.trace(mg.ones(2, 2, dtype="bool")), TypeError, r"trace: boolean tensors are not supported"),
    (lambda: mg.trace(mg.ones(2, 2, 2)), ValueError, r"trace: expected a matrix \(2-D\), got shape \(2, 2, 2\)"),
    (lambda: mg.diagonal(mg.ones(2, 2), 0, 1, -1), ValueError, r"diagonal: dim1 and dim2 must be different"),
    (lambda: mg.diagonal(mg.ones(2, 2), 0.5), TypeError, r"diagonal: offset must be an int, got float"),
    (lambda: mg.diag_embed(mg.ones(2), 0, 0, 2), IndexError, r"diag_embed: dim2 2 is out of range"),
    (lambda: mg.kron(mg.ones(2), [1.0]), TypeError, r"kron: expected a minigan Tensor, got a builtins.list"),
    (lambda: mg.cross(mg.ones(2, 2), mg.ones(2, 2)), ValueError, r"cross: no axis of size 3"),
    (lambda: L.cross(mg.ones(3, 2), mg.ones(3, 2)), ValueError, r"linalg.cross: axis -1 of both inputs must have"),
    (lambda: L.cross(mg.ones(3, 3), mg.ones(2, 3)), ValueError, r"linalg.cross: shapes \(3, 3\) and \(2, 3\) do not"),
    (lambda: L.cross(mg.ones(3, 3), mg.ones(3)), ValueError, r"linalg.cross: inputs must have the same number of"),
    (lambda: mg.cdist(mg.ones(2, 3), mg.ones(2, 4)), ValueError, r"cdist: expected \(..., P, M\) and"),
    (lambda: mg.cdist(mg.ones(2, 3), mg.ones(2, 3), -1.0), ValueError, r"cdist: p must be a non-negative number"),
    (lambda: mg.cdist(mg.ones(2, 3), mg.ones(2, 3), compute_mode="x"), ValueError, r"cdist: compute_mode must be"),
    (lambda: mg.cdist(mg.ones(2, 3, dtype="int64"), mg.ones(2, 3, dtype="int64")), TypeError, r"cdist: expected a fl"),
    (lambda: mg.addmm(mg.ones(3, 3), mg.ones(2, 2), mg.ones(2, 2)), ValueError, r"addmm: input of shape \(3, 3\) does"),
    (lambda: mg.addmm(mg.ones(2), mg.ones(2), mg.ones(2, 2)), ValueError, r"addmm: expected matrices \(n, m\)"),
    (lambda: mg.addmm(mg.ones(2), mg.ones(1, 2), mg.ones(2, 2), alpha="2"), TypeError, r"addmm: alpha must be a"),
    (lambda: mg.addmv(mg.ones(2), mg.ones(2, 2), mg.ones(3)), ValueError, r"addmv: expected a matrix \(n, m\)"),
    (lambda: mg.baddbmm(mg.ones(2), mg.ones(2, 2, 2), mg.ones(3, 2, 2)), ValueError, r"baddbmm: expected batches"),
    (lambda: mg.addcmul(mg.ones(2), mg.ones(3), mg.ones(2)), ValueError, r"addcmul: shapes \(2,\), \(3,\) and"),
    (lambda: mg.addcdiv(mg.ones(2), mg.ones(2), mg.ones(2), value=None), TypeError, r"addcdiv: value must be a"),
    (lambda: mg.addcdiv(mg.ones(2), mg.tensor([1, 2]), mg.tensor([1, 2])), TypeError, r"addcdiv: integer division"),
    (lambda: mg.block_diag(mg.ones(1, 1, 1)), ValueError, r"block_diag: expected tensors of at most 2 dimensions"),
    (lambda: mg.cartesian_prod(), TypeError, r"cartesian_prod: expected at least one tensor"),
    (lambda: mg.cartesian_prod(mg.ones(2, 2)), ValueError, r"cartesian_prod: expected vectors \(1-D\)"),
    (lambda: mg.matrix_power(mg.ones(2, 3), 2), ValueError, r"linalg.matrix_power: expected square matrices"),
    (lambda: mg.matrix_power(mg.ones(2, 2), 1.0), TypeError, r"linalg.matrix_power: n must be an int, got float"),
    (lambda: L.inv(mg.ones(2, 2)), RuntimeError, r"linalg.inv: the matrix is singular"),
    (lambda: L.inv(mg.ones(2, 2, dtype="int64")), TypeError, r"linalg.inv: expected a floating point"),
    (lambda: L.det(mg.ones(3)), ValueError, r"linalg.det: expected square matrices .*\(3,\)"),
    (lambda: L.solve(mg.ones(2, 2), mg.ones(2)), RuntimeError, r"linalg.solve: the matrix is singular"),
    (lambda: L.solve(mg.eye(2), mg.ones(3)), ValueError, r"linalg.solve: B's rows must number A's 2"),
    (lambda: L.solve(mg.eye(2).reshape(1, 2, 2).repeat(2, 1, 1), mg.ones(3, 2, 1)), ValueError,
     r"linalg.solve: the batch axes of shapes \(2, 2, 2\) and \(3, 2, 1\) do not"),
    (lambda: L.solve(mg.eye(2), mg.ones(2), left=False), ValueError, r"linalg.solve: left=False needs B to be matrices"),
    (lambda: L.solve(mg.ones(2, 3, 3), mg.ones(2, 3), left=False), ValueError,  # torch's vectors: refused there too
     r"linalg.solve: left=False needs B to be matrices, got shapes \(2, 3, 3\) and \(2, 3\), which make B vectors"),
]


@pytest.mark.parametrize("call, error, message", ERRORS, ids=[m[:40] for _, _, m in ERRORS])
def test_bad_input_gets_a_clear_error_naming_the_function(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_gradient_of_det_at_a_singular_matrix_is_refused_clearly():
    a = mg.tensor([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)
    d = L.det(a)
    assert d.item() == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(RuntimeError, match="linalg.inv: the matrix is singular"):
        d.backward()


# ---------------------------------------------------------------- torch.linalg's signatures
LINALG = ["vector_norm", "matrix_norm", "norm", "cross", "matrix_power", "inv", "det", "solve"]


@pytest.mark.parametrize("name", LINALG)
def test_linalg_signatures_are_torchs(name):
    torch = _torch()
    from test_api_signatures import _from_inspect, differences, torch_signatures
    import inspect

    ours = _from_inspect(inspect.signature(getattr(L, name)), False)
    overloads = torch_signatures(getattr(torch.linalg, name), name, False)
    overloads = overloads or torch_signatures(getattr(torch.linalg, name), "linalg." + name, False)
    assert overloads, name
    for theirs in overloads:
        assert differences(ours, theirs) == [], (name, theirs)


def test_every_public_linalg_function_is_compared():
    public = {n for n, v in vars(L).items() if callable(v) and not n.startswith("_") and getattr(v, "__module__", "")
              == "minigan.linalg" and not isinstance(v, type)}
    top_level = {n for n in public if getattr(mg, n, None) is getattr(L, n)}
    assert public - top_level - {"torch_cross"} == set(LINALG) - top_level


# ---------------------------------------------------------------- the bad-input fuzzer of test_bad_input_fuzz.py
def _fuzz_calls():
    from test_bad_input_fuzz import Arr, _x

    near_2i = Arr((2 * np.eye(3) + 0.3 * _x(3, 3).array).astype(np.float32))
    return [
        ("linalg.vector_norm", (_x(3, 4),), {"dim": 1}), ("linalg.vector_norm", (_x(3, 4), 3.0), {}),
        ("linalg.matrix_norm", (_x(2, 3, 4),), {}), ("linalg.matrix_norm", (_x(3, 4), 1), {}),
        ("linalg.norm", (_x(3, 4),), {}), ("linalg.cross", (_x(2, 3), _x(2, 3, seed=1)), {}),
        ("linalg.matrix_power", (_x(3, 3), 3), {}), ("linalg.inv", (near_2i,), {}), ("linalg.det", (_x(2, 3, 3),), {}),
        ("linalg.solve", (near_2i, _x(3, 2, seed=1)), {}), ("outer", (_x(3), _x(4, seed=1)), {}),
        ("inner", (_x(2, 3), _x(4, 3, seed=1)), {}), ("dot", (_x(3), _x(3, seed=1)), {}),
        ("vdot", (_x(3), _x(3, seed=1)), {}), ("tensordot", (_x(2, 3, 4), _x(3, 4, 2, seed=1)), {}),
        ("trace", (_x(3, 4),), {}), ("diagonal", (_x(2, 3, 4),), {}), ("diag_embed", (_x(2, 3),), {}),
        ("kron", (_x(2, 3), _x(2, 2, seed=1)), {}), ("cross", (_x(2, 3), _x(2, 3, seed=1)), {"dim": 1}),
        ("cdist", (_x(2, 3, 4), _x(2, 5, 4, seed=1)), {}), ("addmm", (_x(4), _x(3, 2), _x(2, 4, seed=1)), {}),
        ("addmv", (_x(3), _x(3, 2), _x(2, seed=1)), {}), ("baddbmm", (_x(3, 4), _x(2, 3, 2), _x(2, 2, 4, seed=1)), {}),
        ("addcmul", (_x(3, 4), _x(3, 4, seed=1), _x(4, seed=2)), {"value": 0.5}),
        ("addcdiv", (_x(3, 4), _x(3, 4, seed=1), _x(4, seed=2, kind="positive")), {"value": 0.5}),
        ("block_diag", (_x(2, 3), _x(2, seed=1)), {}), ("cartesian_prod", (_x(2), _x(3, seed=1)), {}),
        ("matrix_power", (_x(3, 3), 2), {}),
    ]


def _function(lib, name):
    where = pytest.importorskip("torch") if lib == "torch" else mg
    for part in name.split("."):
        where = getattr(where, part)
    return where


def test_every_function_gives_torchs_result_or_a_clear_error_for_bad_tensors():
    # each tensor argument in turn replaced by a wrong one (an axis fewer or more, a batch of 0, another dtype, an
    # array, a list, None, a number): torch's outcome, or an error of minigan's naming the function
    _torch()
    from test_bad_input_fuzz import Arr, _bad_tensors, _compare, _make, _run

    failures = []
    for name, args, kwargs in _fuzz_calls():
        calls = [("the valid call", args)]
        for i, arg in enumerate(args):
            if isinstance(arg, Arr):
                calls += [(f"argument {i} as {label}", args[:i] + (bad,) + args[i + 1:])
                          for label, bad in _bad_tensors(arg.array)]
        for label, call_args in calls:
            outcome = _compare(
                _run(lambda: _function("mg", name)(*[_make(a, "mg") for a in call_args], **kwargs)),
                _run(lambda: _function("torch", name)(*[_make(a, "torch") for a in call_args], **kwargs)),
                (name.split(".")[-1],))
            if outcome:
                failures.append(f"{name} with {label}: {outcome}")
    assert not failures, "\n".join(failures)


def test_tensors_on_two_devices_are_named(device):
    if device == "cpu":
        pytest.skip("needs a second device")
    from test_bad_input_fuzz import Arr, _make

    for name, args, kwargs in _fuzz_calls():
        tensors = [i for i, a in enumerate(args) if isinstance(a, Arr)]
        if len(tensors) < 2:
            continue
        moved = [_make(a, "mg", device=device if i == tensors[0] else "cpu") for i, a in enumerate(args)]
        with pytest.raises(RuntimeError, match=rf"{name}: tensors are on two devices"):
            _function("mg", name)(*moved, **kwargs)
