"""minigan.einsum against torch.einsum.

One table (EQUATIONS) of equations and operand shapes: each is checked in float64 against torch (values,
and every operand's gradient for a random upstream gradient), with finite differences (gradcheck; a few
also gradgradcheck), and in float32 (kept float32). Then the forms torch accepts (a list of operands,
the sublist form, spaces, implicit outputs), integer operands, and torch's errors for bad equations.
"""

import numpy as np
import pytest

import minigan as mg

F64 = dict(rtol=1e-10, atol=1e-12)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
UPPER, LOWER = LETTERS[:26], LETTERS[26:]

# name -> (equation, operand shapes)
EQUATIONS = {
    "matmul": ("ij,jk->ik", [(2, 3), (3, 4)]),
    "matmul_implicit": ("ij,jk", [(2, 3), (3, 4)]),
    "batched_matmul": ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    "attention_scores": ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    "attention_values": ("bhqk,bhkd->bhqd", [(2, 2, 3, 5), (2, 2, 5, 4)]),
    "outer": ("i,j->ij", [(3,), (4,)]),
    "dot": ("i,i->", [(5,), (5,)]),
    "dot_implicit": ("i,i", [(5,), (5,)]),
    "trace": ("ii", [(4, 4)]),
    "diagonal": ("ii->i", [(4, 4)]),
    "batch_diagonal": ("bii->bi", [(2, 3, 3)]),
    "diagonal_of_three": ("iij,i->ij", [(3, 3, 2), (3,)]),
    "transpose": ("ij->ji", [(3, 4)]),
    "transpose_implicit_upper_first": ("bA", [(3, 4)]),  # implicit: alphabetical, 'A' before 'b'
    "sum_all": ("ij->", [(3, 4)]),
    "sum_rows": ("ij->j", [(3, 4)]),
    "summed_in_one_operand_only": ("ij,k->k", [(2, 3), (4,)]),
    "bilinear": ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    "shared_by_three": ("i,i,i->i", [(4,), (4,), (4,)]),
    "ellipsis_matmul_broadcast": ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    "ellipsis_implicit": ("i...j", [(2, 3, 4)]),
    "ellipsis_summed": ("...ij->ij", [(3, 2, 4)]),
    "ellipsis_middle": ("i...j,j...->i...", [(2, 3, 4), (4, 3)]),
    "ellipsis_empty": ("...,...->...", [(), (3,)]),
    "size1_broadcast": ("ij,ij->ij", [(1, 3), (2, 3)]),
    "size1_broadcast_summed": ("ij,jk->ik", [(2, 1), (3, 4)]),
    "scalar_operand": (",ij->ij", [(), (2, 3)]),
    "output_reordered": ("abc->cab", [(2, 3, 4)]),
}
# ones whose second derivatives matter (products: the gradient is linear in each other operand)
GRADGRAD = ["attention_scores", "bilinear", "diagonal_of_three", "ellipsis_matmul_broadcast", "size1_broadcast"]


def _operands(name, dtype="float64", device="cpu", seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape).astype(dtype) for shape in EQUATIONS[name][1]]
    return [mg.tensor(a, device=device, requires_grad=True) for a in arrays], arrays


@pytest.mark.parametrize("name", list(EQUATIONS))
def test_values_and_gradients_match_torch(name, device):
    torch = pytest.importorskip("torch")
    equation = EQUATIONS[name][0]
    xs, arrays = _operands(name, device=device)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, y_t = mg.einsum(equation, *xs), torch.einsum(equation, *ts)
    assert y.shape == tuple(y_t.shape) and y.dtype == np.float64
    np.testing.assert_allclose(y.cpu().numpy(), y_t.detach().numpy(), **F64)
    gy = np.random.default_rng(1).standard_normal(tuple(y_t.shape))
    y.backward(mg.tensor(gy, device=device))
    y_t.backward(torch.tensor(gy))
    for i, (x, t) in enumerate(zip(xs, ts)):
        np.testing.assert_allclose(x.grad.cpu().numpy(), t.grad.numpy(), **F64, err_msg=f"gradient of operand {i}")


@pytest.mark.parametrize("name", list(EQUATIONS))
def test_gradcheck(name, device):
    equation = EQUATIONS[name][0]
    assert mg.gradcheck(lambda *xs: mg.einsum(equation, *xs), _operands(name, device=device)[0])


@pytest.mark.parametrize("name", GRADGRAD)
def test_gradgradcheck(name, device):
    equation = EQUATIONS[name][0]
    assert mg.gradgradcheck(lambda *xs: mg.einsum(equation, *xs), _operands(name, device=device)[0])


@pytest.mark.parametrize("name", ["attention_scores", "trace", "diagonal_of_three", "size1_broadcast_summed"])
def test_float32_stays_float32(name, device):
    xs, _ = _operands(name, dtype="float32", device=device)
    y = mg.einsum(EQUATIONS[name][0], *xs)
    y.sum().backward()
    assert y.dtype == np.float32 and all(x.grad.dtype == np.float32 for x in xs)


def test_the_forms_torch_accepts_give_the_same(device):
    a = mg.tensor(np.arange(6.0).reshape(2, 3), device=device)
    b = mg.tensor(np.arange(12.0).reshape(3, 4), device=device)
    expected = (a @ b).cpu().numpy()
    for y in (mg.einsum("ij,jk->ik", [a, b]), mg.einsum("ij,jk->ik", (a, b)), mg.einsum(" ij , jk -> ik ", a, b),
              mg.einsum(a, [0, 1], b, [1, 2], [0, 2]), mg.einsum(a, [0, 1], b, [1, 2]),
              mg.einsum(a, [Ellipsis, 1], b, [1, 2], [Ellipsis, 2])):
        np.testing.assert_array_equal(y.cpu().numpy(), expected)


def test_implicit_output_orders_as_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    for equation in ("zaBb", "Ba...", "dcba", "b...a"):
        np.testing.assert_allclose(mg.einsum(equation, mg.tensor(x)).numpy(),
                                   torch.einsum(equation, torch.tensor(x)).numpy(), **F64)


def test_integers_as_torch():
    torch = pytest.importorskip("torch")
    a = np.arange(6).reshape(2, 3)
    b = np.arange(12).reshape(3, 4)
    for dtype in ("int32", "uint8", "int64"):
        for equation, arrays in (("ij,jk->ik", (a, b)), ("ij->ji", (a,)), ("ij->i", (a,)), ("ii", (b[:, :3],)),
                                 ("ii->i", (b[:, :3],))):
            y = mg.einsum(equation, *[mg.tensor(x.astype(dtype)) for x in arrays])
            y_t = torch.einsum(equation, *[torch.tensor(x.astype(dtype)) for x in arrays])
            assert str(y.dtype) == str(y_t.dtype).replace("torch.", ""), (dtype, equation)
            np.testing.assert_array_equal(y.numpy(), y_t.numpy())


def test_a_result_that_is_a_view_shares_its_inputs_change_count_as_torchs():
    # NumPy's einsum gives a view for a transpose or a diagonal (torch's too): a change in place through it is a
    # change of the input, which backward must then refuse, as torch does
    a = mg.tensor(np.arange(4.0).reshape(2, 2), requires_grad=True)
    x = a * 1.0
    y, z = mg.einsum("ij->ji", x), x * x  # (the product keeps x for its gradient)
    with mg.no_grad():
        y += 1.0
    np.testing.assert_array_equal(x.detach().numpy(), [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(RuntimeError, match="changed in place"):
        z.sum().backward()


@pytest.mark.parametrize("call, error, message", [
    (lambda a, b: mg.einsum("ij,jk->ik", a), ValueError, "subscripts for 2 operand"),
    (lambda a, b: mg.einsum("ij->ij", a, b), ValueError, "subscripts for 1 operand"),
    (lambda a, b: mg.einsum("ijk->i", a), ValueError, "operand 0 has 2 dimension"),
    (lambda a, b: mg.einsum("i->i", a), ValueError, "operand 0 has 2 dimension"),
    (lambda a, b: mg.einsum("i1->i", a), ValueError, "letters a-z and A-Z, got '1'"),
    (lambda a, b: mg.einsum("ij->i->j", a), ValueError, "letters a-z and A-Z, got '-'"),
    (lambda a, b: mg.einsum("......", a), ValueError, "two ellipses"),
    (lambda a, b: mg.einsum("..i", a), ValueError, "not part of an ellipsis"),
    (lambda a, b: mg.einsum("ij->ii", a), ValueError, "'i' appears more than once"),
    (lambda a, b: mg.einsum("ij->k", a), ValueError, "'k' appears in no operand"),
    (lambda a, b: mg.einsum("ij,ij->ij", a, b), ValueError, "subscript 'i' has size 4 in operand 1 but 2"),
    (lambda a, b: mg.einsum("ii", a), ValueError, "'i' is repeated in operand 0 with sizes 2 and 3"),
    (lambda a, b: mg.einsum("...i,...i", a, mg.zeros(3, 3)), ValueError, "a dimension covered by '...' has size 3"),
    (lambda a, b: mg.einsum("ij"), TypeError, "at least one tensor"),
    (lambda a, b: mg.einsum(), TypeError, "at least one tensor"),
    (lambda a, b: mg.einsum(3, a), TypeError, "an equation string"),
    (lambda a, b: mg.einsum("ij,jk", a, np.ones((3, 4))), TypeError, "einsum (operand 1): expected a minigan Tensor"),
    (lambda a, b: mg.einsum("i,i", mg.ones(3), 2.0), TypeError, "einsum (operand 1)"),
    (lambda a, b: mg.einsum("ij,jk", a, b.double()), TypeError, "operand 0 is float32 but operand 1 is float64"),
    (lambda a, b: mg.einsum("ij,jk", a.int(), b), TypeError, "operand 0 is int32 but operand 1 is float32"),
    (lambda a, b: mg.einsum("ij", a > 0), TypeError, "boolean operands"),
    (lambda a, b: mg.einsum(a, [0, 52]), ValueError, "ints in [0, 52)"),
    # (every letter in use, over two operands: NumPy 1 holds at most 32 axes per array)
    (lambda a, b: mg.einsum(UPPER + "...," + LOWER, mg.zeros(*[1] * 27), mg.zeros(*[1] * 26)), ValueError,
     "needs more than 52 letters"),  # no letter left for '...'
    (lambda a, b: mg.einsum(UPPER + "," + LOWER + ",A->", mg.zeros(2, *[1] * 25), mg.zeros(*[1] * 26), mg.ones(1)),
     ValueError, "more than 52 letters"),  # none for the size-1 'A' broadcast against 2
    (lambda a, b: mg.einsum(UPPER + "A," + LOWER + "->", mg.zeros(2, *[1] * 25, 2), mg.zeros(*[1] * 26)), ValueError,
     "more than 52 letters"),  # none for the diagonal's gradient
    (lambda a, b: mg.einsum(a, "ij"), TypeError, "expected a list of subscripts"),
])
def test_bad_equations_get_clear_errors(call, error, message):
    with pytest.raises(error) as info:
        call(mg.zeros(2, 3), mg.zeros(4, 4))
    assert message in str(info.value) and "einsum" in str(info.value)
