"""PyTorch idioms a learner brings along, written the same way here: the in-place methods a hand-written
optimizer uses, `optimizer.state[p]` before the first step, NumPy reading a tensor (`np.asarray`, `plt.imshow`),
`where(cond)` alone, a Function written PyTorch's way (`MyOp.apply`), and `w.data = tensor` said plainly.
"""

import numpy as np
import pytest

import minigan
from minigan import autograd as mag
from minigan import nn, optim
from test_ops import _cube_written_torchs_way  # a x^3 written PyTorch's way, with the number a among the arguments

UNARY = ["sqrt_", "rsqrt_", "exp_", "log_", "abs_", "neg_", "sign_", "square_", "reciprocal_", "sigmoid_", "tanh_",
         "relu_", "floor_", "ceil_", "trunc_", "round_"]
VALUES = np.array([[0.25, 1.5, 2.75], [-0.6, 3.5, -1.25]], dtype=np.float32)  # no ties at .5 for round_, no kinks


@pytest.mark.parametrize("name", UNARY)
def test_in_place_unary_methods_change_x_itself_as_the_out_of_place_op(name, device):
    values = np.abs(VALUES) if name in ("sqrt_", "rsqrt_", "log_") else VALUES
    x = minigan.tensor(values, device=device)
    expected = getattr(x, name[:-1])().numpy()
    version = x._version
    assert getattr(x, name)() is x and x._version == version + 1
    np.testing.assert_array_equal(x.numpy(), expected)  # the out-of-place op's values, to the bit
    torch = pytest.importorskip("torch")
    t = torch.tensor(values)
    getattr(t, name)()
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)


def test_in_place_methods_with_operands_match_torchs(device):
    x, a, b = (minigan.tensor(v, device=device) for v in (VALUES, VALUES * 2, np.abs(VALUES) + 1))
    x.pow_(2).addcmul_(a, b, value=0.5).addcdiv_(a, b, value=-0.25).clip_(-3, 8)
    expected = np.clip(VALUES**2 + 0.5 * (VALUES * 2 * (np.abs(VALUES) + 1)) - 0.25 * (VALUES * 2 / (np.abs(VALUES) + 1)),
                       -3, 8)
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6)
    torch = pytest.importorskip("torch")
    t = torch.tensor(VALUES).pow_(2).addcmul_(torch.tensor(VALUES * 2), torch.tensor(np.abs(VALUES) + 1), value=0.5)
    t.addcdiv_(torch.tensor(VALUES * 2), torch.tensor(np.abs(VALUES) + 1), value=-0.25).clip_(-3, 8)
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-6)
    np.testing.assert_allclose(minigan.addcmul(x, a, b, value=2).numpy(),  # the functions agree with the methods
                               x.addcmul(a, b, value=2).numpy(), rtol=0)


def test_in_place_methods_are_refused_where_they_would_lose_a_gradient_or_a_value(device):
    w = minigan.tensor(np.abs(VALUES), requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match=r"x.sqrt_\(...\) in place inside a graph is not supported .*"
                                           r"write x = x.sqrt\(...\).* or call it under no_grad\(\)"):
        w.sqrt_()
    before = w.numpy().copy()
    with minigan.no_grad():  # an optimizer's way: allowed, and the values change
        w.sqrt_()
    np.testing.assert_allclose(w.numpy(), np.sqrt(before), rtol=1e-6)
    y = minigan.zeros(2, 3, device=device)
    with pytest.raises(RuntimeError, match="with an operand that requires grad is not supported"):
        y.addcmul_(w, w)  # y would depend on w outside the graph
    with pytest.raises(ValueError, match=r"the result has shape \(4, 2, 3\), x \(2, 3\); the operands must broadcast"):
        y.addcmul_(minigan.ones(4, 2, 3, device=device), minigan.ones(3, device=device))
    n = minigan.tensor([1, 4], device=device)
    with pytest.raises(TypeError, match=r"x.sqrt_\(...\): expected a float x, got int64.* x = x.float\(\)"):
        n.sqrt_()
    assert n.tolist() == [1, 4] and y.abs().sum().item() == 0  # nothing written by a refused call
    with pytest.raises(TypeError, match="addcmul: value must be a number, got str"):
        y.addcmul_(y, y, value="2")


def test_a_hand_written_adam_with_state_before_the_first_step_matches_the_library_and_torch():
    """PyTorch's way of writing an optimizer: self.state[p] is a defaultdict(dict), the moments in place."""

    class HandAdam(optim.Optimizer):
        def __init__(self, params, lr=1e-2, betas=(0.9, 0.999), eps=1e-8):
            super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

        @minigan.no_grad()
        def step(self):
            for group in self.param_groups:
                b1, b2 = group["betas"]
                for p in group["params"]:
                    state = self.state[p]  # a KeyError before the first step, were it a plain dict
                    if not state:
                        state["step"] = 0
                        state["m"], state["v"] = minigan.zeros_like(p), minigan.zeros_like(p)
                    state["step"] += 1
                    state["m"].mul_(b1).add_(p.grad, alpha=1 - b1)
                    state["v"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                    denom = (state["v"] / (1 - b2 ** state["step"])).sqrt_().add_(group["eps"])
                    p.addcdiv_(state["m"], denom, value=-group["lr"] / (1 - b1 ** state["step"]))

    def train(make_optimizer):
        minigan.manual_seed(0)
        model = nn.Linear(4, 3)
        opt = make_optimizer(model.parameters())
        x = minigan.randn(8, 4)
        for _ in range(3):
            opt.zero_grad()
            (model(x) ** 2).mean().backward()
            opt.step()
        return model.weight.numpy()

    assert isinstance(HandAdam([nn.Parameter(minigan.ones(1))]).state[0], dict)  # any key: a fresh dict
    mine, library = train(HandAdam), train(lambda ps: optim.Adam(ps, lr=1e-2))
    assert not np.array_equal(mine, train(lambda ps: optim.SGD(ps, lr=0.0)))  # it trained
    np.testing.assert_allclose(mine, library, rtol=1e-5, atol=1e-6)


def test_numpy_reads_a_cpu_tensor_as_torchs_do_and_refuses_a_gpu_one(device, tmp_path):
    x = minigan.tensor(VALUES, device=device)
    if device != "cpu":  # the copy to the host is explicit, as in torch and CuPy
        with pytest.raises(TypeError, match=r"tensor on 'cuda', which would copy it to the host .* x.cpu\(\)"):
            np.asarray(x)
        return
    a = np.asarray(x)
    assert a.dtype == np.float32 and np.shares_memory(a, x.data)  # as x.numpy(): the same memory
    b = np.array(x)
    assert not np.shares_memory(b, x.data) and np.array_equal(b, VALUES)  # np.array copies
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":  # (NumPy 1's asarray has no copy=)
        with pytest.raises(ValueError, match="can only be given as a copy"):
            np.asarray(x, dtype=np.float64, copy=False)
    both = np.concatenate([x, x])
    assert both.dtype == np.float32 and both.shape == (4, 3)
    np.save(tmp_path / "x.npy", x)
    assert np.array_equal(np.load(tmp_path / "x.npy"), VALUES)
    assert type(np.float32(2) * x) is minigan.Tensor  # NumPy still hands arithmetic over to the tensor


def test_where_with_a_condition_alone_gives_the_positions_as_torchs(device):
    cond = minigan.tensor([[True, False, True], [False, False, True]], device=device)
    rows, cols = minigan.where(cond)
    assert rows.tolist() == [0, 0, 1] and cols.tolist() == [0, 2, 2]
    with pytest.raises(TypeError, match="give both, or neither"):
        minigan.where(cond, minigan.ones(2, 3, device=device))
    torch = pytest.importorskip("torch")
    assert [t.tolist() for t in torch.where(torch.tensor(cond.numpy()))] == [rows.tolist(), cols.tolist()]


def test_a_function_written_torchs_way_runs_with_apply_and_differentiates_twice(device):
    Cube = _cube_written_torchs_way(mag.Function)
    x = minigan.tensor([0.5, -1.0, 2.0], requires_grad=True, device=device)
    y = Cube.apply(x, 2.0)
    assert repr(y.grad_fn) == "<Cube>"
    np.testing.assert_allclose(y.numpy(), [0.25, -2.0, 16.0])
    (g,) = minigan.autograd.grad(y.sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.numpy(), [1.5, 6.0, 24.0])  # 6 x^2
    (gg,) = minigan.autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(gg.numpy(), [6.0, -12.0, 24.0])  # 12 x: the saved x is the graph's own
    with minigan.no_grad():
        assert not Cube.apply(x, 2.0).requires_grad
    torch = pytest.importorskip("torch")
    t = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    torch_cube = _cube_written_torchs_way(torch.autograd.Function)
    (tg,) = torch.autograd.grad(torch_cube.apply(t, 2.0).sum(), [t], create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), [t])
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy())
    np.testing.assert_allclose(gg.numpy(), tgg.numpy())


def test_a_function_written_torchs_way_passes_gradcheck():
    Cube = _cube_written_torchs_way(mag.Function)
    x = minigan.tensor(np.array([0.7, -1.3, 2.1]), requires_grad=True)  # float64
    assert minigan.gradcheck(lambda v: Cube.apply(v, 1.5), (x,))


def test_a_function_written_torchs_way_gets_clear_errors():
    Cube = _cube_written_torchs_way(mag.Function)
    x = minigan.ones(3, requires_grad=True)
    with pytest.raises(TypeError, match=r"Cube is written PyTorch's way .* call it as Cube.apply\(x, ...\)"):
        Cube()(x)
    with pytest.raises(TypeError, match="Cube.apply: no argument is a minigan Tensor"):
        Cube.apply(2.0, 1.0)

    class Short(mag.Function):
        @staticmethod
        def forward(ctx, x, a):
            assert ctx.needs_input_grad == (True, False)
            return x * a

        @staticmethod
        def backward(ctx, gy):
            return gy

    with pytest.raises(TypeError, match=r"Short.backward returned 1 gradient\(s\), but apply got 2 argument\(s\)"):
        Short.apply(x, 2.0).sum().backward()

    class Untidy(mag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x.numpy())
            return x

    with pytest.raises(TypeError, match=r"save_for_backward keeps tensors \(or None\), got"):
        Untidy.apply(x)

    class Plain(mag.Function):  # minigan's own way: apply is Plain()(x)
        def forward(self, x):
            return 2 * x

        def backward(self, gy):
            return 2 * gy  # d(2x)/dx = 2

    Plain.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_a_tensor_set_as_data_is_said_plainly():
    m = nn.Linear(3, 2)
    m.weight.data = minigan.ones(2, 3)  # torch's idiom; here .data is the raw array
    with pytest.raises(TypeError, match=r"Linear: input 1's .data is a Tensor, not an array: .* w.data = other.data"):
        m(minigan.ones(4, 3))
    x = minigan.ones(3)
    x.data = minigan.ones(3)
    with pytest.raises(TypeError, match=r"Exp: input 0's .data is a Tensor, not an array"):
        minigan.exp(x)
    with pytest.raises(TypeError, match=r"input 0's .data is a Tensor, not an array"):
        x.sum()  # (NumPy's sum of it returns a Tensor rather than failing)


def test_small_tensor_queries_and_aliases_answer_as_torchs(device):
    x = minigan.arange(24, device=device).float().reshape(2, 3, 4)
    assert (x.element_size(), x.itemsize, x.nbytes) == (4, 4, 96)
    assert x.is_cpu == (device == "cpu") and x.get_device() == (-1 if device == "cpu" else 0)
    assert not x.is_complex() and minigan.is_floating_point(x) and not minigan.is_floating_point(x.long())
    assert x.byte().dtype == np.uint8
    np.testing.assert_array_equal(x.select(1, -1).numpy(), x.numpy()[:, -1])
    np.testing.assert_array_equal(x.absolute().numpy(), x.abs().numpy())
    np.testing.assert_array_equal(x.negative().numpy(), -x.numpy())
    with pytest.raises(IndexError, match="select: index 3 is out of range for axis 1 of size 3"):
        x.select(1, 3)
    with pytest.raises(TypeError, match="is_floating_point: expected a minigan Tensor"):
        minigan.is_floating_point(1.0)
    torch = pytest.importorskip("torch")
    t = torch.arange(24).float().reshape(2, 3, 4)
    assert (t.element_size(), t.itemsize, t.nbytes) == (4, 4, 96)
    np.testing.assert_array_equal(x.select(2, 1).numpy(), t.select(2, 1).numpy())
    assert t.cpu().get_device() == -1 and t.is_cpu and not t.is_complex()


def test_a_select_of_a_tensor_that_requires_grad_backpropagates_to_its_slice():
    x = minigan.ones(2, 3, requires_grad=True)
    (x.select(0, 1) * minigan.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]


def test_next_functions_walk_the_graph_back_to_the_parameters_as_torchs():
    w, x = minigan.ones(3, requires_grad=True), minigan.ones(3)
    y = (w * x).exp().sum()
    path, node = [], y.grad_fn
    while node.next_functions:
        path.append(repr(node))
        node = node.next_functions[0][0]
    assert path == ["<Sum>", "<Exp>", "<Mul>"] and repr(node) == "<AccumulateGrad>" and node.variable is w
    mul = y.grad_fn.next_functions[0][0].next_functions[0][0]
    assert mul.next_functions[1] == (None, 0)  # x needs no gradient: no node, as torch's
    assert mul.next_functions[0][0] == mul.next_functions[0][0] and len({mul.next_functions[0][0]}) == 1
    y.backward()
    assert mul.next_functions == ()  # the graph is freed after backward
    torch = pytest.importorskip("torch")
    tw = torch.ones(3, requires_grad=True)
    ty = (tw * torch.ones(3)).exp().sum()
    tnode, depth = ty.grad_fn, 0
    while tnode.next_functions:
        tnode, depth = tnode.next_functions[0][0], depth + 1
    assert depth == len(path) and type(tnode).__name__ == "AccumulateGrad" and tnode.variable is tw


def test_a_0d_float64_tensor_counts_as_a_number_as_in_torch(device):
    k = minigan.tensor(np.sqrt(2.0), requires_grad=True, device=device)  # float64, 0-d
    x = minigan.ones(3, requires_grad=True, device=device)
    y = x * k
    assert y.dtype == np.float32 and str(k.dtype) == "float64"  # x's dtype, never a silent float64
    y.sum().backward()
    assert k.grad.dtype == np.float64 and x.grad.dtype == np.float32  # each gradient in its tensor's dtype
    np.testing.assert_allclose(k.grad.item(), 3.0)
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, np.sqrt(2.0), dtype=np.float32))
    with pytest.raises(TypeError, match="dtypes differ, float32 and float64"):  # two tensors with axes: refused
        minigan.ones(3, device=device) * minigan.ones(1, dtype="float64", device=device)
    torch = pytest.importorskip("torch")
    tk = torch.tensor(np.sqrt(2.0), requires_grad=True)
    ty = torch.ones(3, requires_grad=True) * tk
    ty.sum().backward()
    assert ty.dtype == torch.float32 and tk.grad.dtype == torch.float64


PRINTED = [  # as torch 2.13 prints them (checked below where torch is installed)
    ([1.5, 2.25], "tensor([1.5000, 2.2500])"),  # (NumPy alone prints [1.5 , 2.25])
    ([1.0, 2.0], "tensor([1., 2.])"),
    ([0.25, -2.0, 16.0], "tensor([ 0.2500, -2.0000, 16.0000])"),
    ([1e-5, 1.0], "tensor([1.0000e-05, 1.0000e+00])"),
    ([1e9, 1.5], "tensor([1.0000e+09, 1.5000e+00])"),
    ([float("nan"), 1.5], "tensor([   nan, 1.5000])"),
    ([[0.5, -1.25], [3.0, 4.0]], "tensor([[ 0.5000, -1.2500],\n        [ 3.0000,  4.0000]])"),
    (1.5, "tensor(1.5000)"),
    ([0.0, 1.0, 2000.0], "tensor([0.0000e+00, 1.0000e+00, 2.0000e+03])"),  # whole, but too wide a range
    ([1e9, 3.0], "tensor([1.0000e+09, 3.0000e+00])"),
]


@pytest.mark.parametrize("values, printed", PRINTED)
def test_floats_print_as_torchs_four_decimals_unless_all_are_whole(values, printed):
    assert repr(minigan.tensor(values)) == printed
    torch = pytest.importorskip("torch")
    assert repr(torch.tensor(values)) == printed


def test_a_large_tensor_is_formatted_by_the_values_its_print_shows_as_torchs():
    hidden, shown = np.zeros((100, 100), np.float32), np.zeros((100, 100), np.float32)
    hidden[50, 50] = shown[0, 0] = 0.5  # in the middle (left out of the print) or in a corner (printed)
    assert "0.5" not in repr(minigan.tensor(hidden)) and "[[0., 0., 0.," in repr(minigan.tensor(hidden))
    assert repr(minigan.tensor(shown)).startswith("tensor([[0.5000, 0.0000, 0.0000,")
    torch = pytest.importorskip("torch")
    assert repr(torch.tensor(hidden)).startswith("tensor([[0., 0., 0.,")
    assert repr(torch.tensor(shown)).startswith("tensor([[0.5000, 0.0000, 0.0000,")


def test_a_gradient_for_an_argument_that_is_no_tensor_is_refused_as_torchs():
    class Scale(mag.Function):
        @staticmethod
        def forward(ctx, x, a):
            ctx.a = a
            return x * a

        @staticmethod
        def backward(ctx, gy):
            return gy * ctx.a, gy  # d(a x)/dx = a; the second should be None: a is a number

    x = minigan.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match=r"returned a gradient for argument 1, which is no tensor .*return None"):
        Scale.apply(x, 3.0).sum().backward()
