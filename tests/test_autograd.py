"""The graph engine: topological order, accumulation, freeing, grad(), no_grad, detach.

Tests that compute take the `device` fixture (tests/conftest.py); random
inputs are drawn on the host with NumPy's rng, then put on the device.
"""

import numpy as np
import pytest

import minigan as mg
from minigan import backend, nn


def randn(rng, *shape, device, dtype="float32", requires_grad=False):
    """Normal samples drawn on the host (the same numbers on every device), then put on `device`."""
    return mg.tensor(rng.standard_normal(shape), dtype=dtype, device=device, requires_grad=requires_grad)


def test_chain_of_20000_ops_backpropagates_without_recursion_error(device):
    x = mg.tensor([1.0], dtype="float64", device=device, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    y.sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**20_000], rtol=1e-9)
    g, = mg.grad(y.sum(), x)  # the path-pruning of grad() is iterative too
    np.testing.assert_allclose(g.numpy(), [1.0001**20_000], rtol=1e-9)


def test_gradient_accumulates_when_a_tensor_is_used_twice(device):
    x = mg.tensor([2.0, -3.0], device=device, requires_grad=True)
    y = x * x + x  # x used three times: d/dx = 2x + 1
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, -5.0])


def test_diamond_graph_visits_shared_node_after_all_its_users(device):
    # a is used by b and c, which meet again in d: a wrong order would lose a path
    x = mg.tensor([1.5], device=device, requires_grad=True)
    a = mg.exp(x)
    b = a * 2.0
    c = a * a
    d = b + c
    d.backward(mg.ones(1, device=device))
    expected = np.exp(1.5) * 2 + 2 * np.exp(1.5) ** 2
    np.testing.assert_allclose(x.grad.numpy(), [expected], rtol=1e-6)


def test_backward_accumulates_across_calls_into_grad(device):
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    (x * 3.0).sum().backward()
    (x * 4.0).sum().backward()  # a fresh graph: accumulates, like torch
    np.testing.assert_allclose(x.grad.numpy(), [7.0, 7.0])


def test_broadcasting_is_undone_in_backward(device, rng):
    a = randn(rng, 4, 3, device=device, requires_grad=True)
    b = randn(rng, 3, device=device, requires_grad=True)
    c = randn(rng, 4, 1, device=device, requires_grad=True)
    d = randn(rng, 1, 1, 1, device=device, requires_grad=True)  # broadcasting also adds a leading axis
    ((a + b) * c - d).sum().backward()
    assert a.grad.shape == (4, 3)
    assert b.grad.shape == (3,)
    assert c.grad.shape == (4, 1)
    assert d.grad.shape == (1, 1, 1)
    assert all(t.grad.device == device for t in (a, b, c, d))
    np.testing.assert_allclose(b.grad.numpy(), c.numpy().sum() * np.ones(3), rtol=1e-5)
    np.testing.assert_allclose(c.grad.numpy(), (a.numpy() + b.numpy()).sum(axis=1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(d.grad.numpy(), [[[-12.0]]])


def test_backward_twice_raises_a_clear_error_instead_of_doubling(device):
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (mg.exp(x) * x).sum()
    y.backward()
    first = x.grad.numpy().copy()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()
    np.testing.assert_allclose(x.grad.numpy(), first)  # unchanged: nothing doubled


def test_backward_through_a_freed_subgraph_also_raises(device):
    x = mg.tensor([1.0], device=device, requires_grad=True)
    h = x * 2.0
    (h * 3.0).sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        (h * 5.0).sum().backward()


def test_retain_graph_allows_a_second_backward(device):
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (mg.sigmoid(x) * mg.tanh(x)).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-6)


def test_ops_that_read_their_output_survive_graph_freeing(device):
    # exp/sigmoid/tanh/sqrt/max read their output by weakref while the graph is freed
    x = mg.tensor([0.3, 1.2], dtype="float64", device=device, requires_grad=True)
    loss = (mg.sqrt(x) * 3.0).sum() + (mg.exp(x) * 2.0).sum() + (mg.tanh(x) * 1.0).sum() + mg.max(x) * 1.0
    loss.backward()
    xv = x.numpy()
    expected = 1.5 / np.sqrt(xv) + 2 * np.exp(xv) + (1 - np.tanh(xv) ** 2) + np.array([0.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_backward_needs_grad_for_non_scalar_and_checks_its_shape(device, rng):
    x = randn(rng, 3, device=device, requires_grad=True)
    y = x * 2.0
    with pytest.raises(RuntimeError, match="one-element"):
        y.backward()
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        y.backward(mg.ones(2, device=device))
    with pytest.raises(TypeError, match="output of dtype float32 .* is float64 .* minigan.ones_like"):
        y.backward(mg.ones(3, dtype="float64", device=device))
    y.backward(mg.tensor([1.0, 2.0, 3.0], device=device))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_no_grad_records_nothing_and_enable_grad_restores(device, rng):
    x = randn(rng, 3, device=device, requires_grad=True)
    with mg.no_grad():
        y = x * 2.0
        assert not mg.is_grad_enabled()
        with mg.enable_grad():
            z = x * 2.0
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad and not z.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_no_grad_restores_state_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with mg.no_grad():
            1 / 0
    assert mg.is_grad_enabled()


def test_detach_cuts_the_graph_and_shares_values(device):
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 3.0
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    assert d.data is y.data and d.device == device
    np.testing.assert_array_equal(d.numpy(), y.numpy())
    (y.detach() * x).sum().backward()  # only the x path counts
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 6.0])


def test_grad_returns_gradients_without_touching_dot_grad(device):
    x = mg.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    w = mg.tensor([0.5, -1.0, 2.0], device=device, requires_grad=True)
    y = (x * x * w).sum()
    gx, = mg.grad(y, [x])
    np.testing.assert_allclose(gx.numpy(), 2 * x.numpy() * w.numpy())
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad and gx.device == device


def test_grad_with_create_graph_gives_second_derivatives(device):
    x = mg.tensor([0.5, -1.0], dtype="float64", device=device, requires_grad=True)
    y = (x**3).sum()
    g, = mg.grad(y, x, create_graph=True)  # 3x^2
    assert g.requires_grad
    gg, = mg.grad(g.sum(), x)  # 6x
    np.testing.assert_allclose(gg.numpy(), 6 * x.numpy())


def test_grad_without_create_graph_records_nothing(device):
    x = mg.tensor([0.5, -1.0], device=device, requires_grad=True)
    g, = mg.grad((x**3).sum(), x)
    assert not g.requires_grad and g.is_leaf


def test_gradient_penalty_then_backward_reaches_every_weight(device):
    # The R1 pattern: grad(create_graph=True) w.r.t. the input, then backward of
    # loss + penalty through the same graph must still reach the weights.
    torch = pytest.importorskip("torch")
    layer = nn.Linear(3, 4).to(device)
    xn = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    x = mg.tensor(xn, device=device, requires_grad=True)
    out = mg.tanh(layer(x)).sum()
    g, = mg.grad(out, x, create_graph=True)
    (out + (g * g).sum()).backward()
    assert layer.weight.grad.device == device and layer.bias.grad.device == device

    w = torch.tensor(layer.weight.numpy(), requires_grad=True)
    b = torch.tensor(layer.bias.numpy(), requires_grad=True)
    xt = torch.tensor(xn, requires_grad=True)
    o = torch.tanh(xt @ w.T + b).sum()
    gt, = torch.autograd.grad(o, xt, create_graph=True)
    (o + (gt * gt).sum()).backward()
    np.testing.assert_allclose(layer.weight.grad.numpy(), w.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.bias.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_grad_of_unused_input_raises_unless_allowed(device, rng):
    x = randn(rng, 2, device=device, requires_grad=True)
    u = randn(rng, 2, device=device, requires_grad=True)
    y = (x * 2.0).sum()
    with pytest.raises(RuntimeError, match="not used"):
        mg.grad(y, [x, u], retain_graph=True)
    gx, gu = mg.grad(y, [x, u], allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gx.numpy(), [2.0, 2.0])


def test_grad_does_not_modify_the_callers_grad_output(device, rng):
    x = randn(rng, 3, device=device, requires_grad=True)
    u = randn(rng, 3, device=device, requires_grad=True)
    g, = mg.grad(x + 1.0, x, grad_outputs=u)
    assert u.requires_grad  # the caller's tensor is left alone
    np.testing.assert_array_equal(g.numpy(), u.numpy())


def test_item_numpy_tolist_and_to(device):
    t = mg.tensor([[1.5, 2.5]], device=device)
    assert t.dtype == np.float32 and t.device == device
    assert mg.tensor([[1.5]], device=device).item() == 1.5
    with pytest.raises(ValueError, match="one element"):
        t.item()
    assert isinstance(t.numpy(), np.ndarray)
    assert t.tolist() == [[1.5, 2.5]]
    assert t.to("cpu").device == "cpu"
    assert isinstance(t.to("cpu").data, np.ndarray)
    np.testing.assert_array_equal(t.to("cpu").numpy(), [[1.5, 2.5]])
    d = t.to(dtype="float64")
    assert d.dtype == np.float64 and t.dtype == np.float32 and d.device == device
    assert mg.tensor([1, 2], device=device).dtype == np.int64


def test_to_dtype_is_differentiable(device, rng):
    x = mg.tensor([1.0, 2.0, -0.5], device=device, requires_grad=True)
    w = rng.standard_normal(3)  # a random upstream gradient: a rule that only passes ones along would fail
    y = (x.to(dtype="float64") * mg.tensor(w, dtype="float64", device=device)).sum()
    y.backward()
    assert x.grad.dtype == np.float32 and x.grad.device == device
    np.testing.assert_allclose(x.grad.numpy(), w.astype(np.float32))
    # and the other way round: a float32 gradient reaches a float64 input as float64
    x64 = mg.tensor([0.5, -1.0, 3.0], dtype="float64", device=device, requires_grad=True)
    (x64.to(dtype="float32") * mg.tensor(w, dtype="float32", device=device)).sum().backward()
    assert x64.grad.dtype == np.float64
    np.testing.assert_allclose(x64.grad.numpy(), w.astype(np.float32))


def test_zero_dim_results_are_arrays_and_keep_float64(device, rng):
    x = mg.tensor(2.0, dtype="float64", device=device, requires_grad=True)
    y = x * x
    assert isinstance(y.data, backend.xp_for_device(device).ndarray)  # NumPy on cpu, CuPy on cuda
    y.backward()
    assert x.grad.dtype == np.float64 and x.grad.item() == 4.0
    loss = randn(rng, 3, device=device).sum()
    assert isinstance(loss.data, backend.xp_for_device(device).ndarray)
    loss.zero_()  # in place on a 0-d result works
    assert loss.item() == 0.0


def test_requires_grad_only_for_floats():
    with pytest.raises(TypeError, match="floating-point"):
        mg.tensor([1, 2], requires_grad=True)


def test_factories_shapes_dtypes_and_like(device):
    assert mg.zeros(2, 3, device=device).shape == (2, 3) and mg.zeros(2, 3, device=device).dtype == np.float32
    assert mg.ones((2, 3), dtype="float64", device=device).dtype == np.float64
    x = mg.randn(4, 5, dtype="float64", device=device)
    assert x.device == device and x.dtype == np.float64
    assert mg.zeros_like(x).dtype == np.float64 and mg.ones_like(x).shape == (4, 5)
    assert mg.randn_like(x).shape == (4, 5) and mg.rand_like(x).dtype == np.float64
    assert all(t.device == device for t in (mg.zeros_like(x), mg.ones_like(x), mg.randn_like(x), mg.rand_like(x)))
    assert mg.randn(3, device=device).dtype == np.float32  # float32 noise stays float32 on every device
    r = mg.rand(1000, device=device).numpy()
    assert r.min() >= 0 and r.max() < 1
    assert mg.full((2,), 7.0, device=device).tolist() == [7.0, 7.0]
    ints = mg.randint(0, 3, (50,), device=device)
    assert ints.device == device and ints.dtype == np.int64
    assert ints.numpy().max() <= 2


def test_tensor_copies_its_input_like_torch(device):
    source = np.zeros(3, dtype=np.float32)
    t = mg.tensor(source, device=device)
    t.data += 1.0
    np.testing.assert_array_equal(source, [0.0, 0.0, 0.0])
    u = mg.tensor(t)
    assert u.device == device
    u.data += 1.0
    np.testing.assert_array_equal(t.numpy(), [1.0, 1.0, 1.0])


def test_create_graph_gives_each_leaf_its_own_grad(device):
    # An add hands the same gradient to both inputs; each leaf must still own its .grad,
    # or a later backward (which adds into .grad in place) would change the other one too.
    a = mg.randn(3, device=device, requires_grad=True)
    b = mg.randn(3, device=device, requires_grad=True)
    (a + b).sum().backward(create_graph=True)
    assert a.grad is not b.grad
    before = b.grad.numpy().copy()
    (a * 2.0).sum().backward()
    assert np.array_equal(a.grad.numpy(), np.full(3, 3.0, dtype=np.float32))
    assert np.array_equal(b.grad.numpy(), before)



def test_method_forms_are_the_functions(device, rng):
    x = mg.tensor(rng.uniform(0.5, 2.0, (3, 4)), device=device)
    for method, function in [("exp", mg.exp), ("log", mg.log), ("sqrt", mg.sqrt), ("abs", mg.abs), ("relu", mg.relu),
                             ("sigmoid", mg.sigmoid), ("tanh", mg.tanh)]:
        np.testing.assert_array_equal(getattr(x, method)().numpy(), function(x).numpy())
    np.testing.assert_array_equal(x.pow(3).numpy(), (x ** 3).numpy())
    np.testing.assert_array_equal(x.clip(0.7, 1.5).numpy(), mg.clip(x, 0.7, 1.5).numpy())
    np.testing.assert_array_equal(x.matmul(x.T).numpy(), (x @ x.T).numpy())
    np.testing.assert_array_equal((x.numpy() @ x.T).numpy(), (x @ x.T).numpy())  # an array on the left
    assert x.view(4, 3).shape == x.flatten().reshape(4, 3).shape == (4, 3) and x.permute(1, 0).shape == (4, 3)
    assert (x.max(axis=1).shape, x.max().shape) == ((3,), ())
    assert (x.size(), x.size(1), x.size(-2), x.numel()) == ((3, 4), 4, 3, 12)  # torch's size(); numel() counts
    # torch's names for the axis arguments work too
    np.testing.assert_array_equal(x.sum(dim=1, keepdim=True).numpy(), x.sum(axis=1, keepdims=True).numpy())
    np.testing.assert_array_equal(mg.mean(x, dim=0).numpy(), x.mean(axis=0).numpy())
    with pytest.raises(TypeError, match="give axis .* or dim .*, not both"):
        x.sum(axis=0, dim=0)


def test_dtype_and_requires_grad_helpers_and_repr(device):
    x = mg.tensor([1.5, -2.0], device=device)
    assert x.double().dtype == np.float64 and x.double().float().dtype == np.float32
    assert x.requires_grad_() is x and x.requires_grad and not x.requires_grad_(False).requires_grad
    text = repr(mg.tensor([1.5, -2.0], dtype="float64", device=device, requires_grad=True))
    assert text.startswith("tensor([ 1.5000, -2.0000]") and "dtype=float64" in text and "requires_grad=True" in text
    assert ("device='cuda'" in text) == (device == "cuda")
    assert repr(mg.zeros(2)) == "tensor([0., 0.])"  # float32 on the CPU: nothing else to say
    assert repr(mg.ones(2, 2)) == "tensor([[1., 1.],\n        [1., 1.]])"  # rows aligned, as torch prints them
    assert repr(mg.ones(2, requires_grad=True) * 2) == "tensor([2., 2.], grad_fn=<Mul>)"  # as torch: the op
    # as torch, the dtype is printed only where the values do not show it
    assert (repr(mg.tensor([1, 2])), repr(mg.tensor([True])), repr(mg.tensor([1], dtype="int32"))) == \
        ("tensor([1, 2])", "tensor([ True])", "tensor([1], dtype=int32)")


def test_a_one_value_tensor_formats_like_its_number_as_in_torch():
    number = float(np.float32(1.23456))  # the value a float32 tensor holds
    for spec in (".3f", "8.2e", "", "+.1%"):
        assert format(mg.tensor(1.23456), spec) == format(number, spec)
    assert format(mg.tensor(1.23456), ".3f") == "1.235" and format(mg.tensor(1.23456), "8.2e") == "1.23e+00"
    assert f"{mg.tensor(7)}" == "7" and f"{mg.tensor([1.0, 2.0])}" == "tensor([1., 2.])"
    with pytest.raises(TypeError, match=r"format '.3f' needs one number, but this tensor has shape \(2,\)"):
        f"{mg.tensor([1.0, 2.0]):.3f}"
    torch = pytest.importorskip("torch")
    for spec in (".3f", "8.2e", "", "+.1%"):
        assert format(mg.tensor(1.23456), spec) == format(torch.tensor(1.23456), spec)


def test_retain_grad_keeps_an_intermediate_gradient_as_in_torch(device):
    def run(lib, dev):
        x = lib.tensor([1.0, -2.0, 0.5], requires_grad=True, device=dev)
        h = x * 3
        h.retain_grad()
        used_twice = (h * h).sum() + h.tanh().sum()  # h's gradient gathers both uses before it is kept
        used_twice.backward(retain_graph=True)
        first = h.grad.cpu().numpy().copy()
        used_twice.backward()  # and accumulates, as a leaf's does
        return (first, h.grad.cpu().numpy(), x.grad.cpu().numpy(), h.retains_grad, x.retains_grad,
                h.is_leaf, type(used_twice.grad_fn).__name__.startswith("Add"), x.grad_fn is None)

    ours = run(mg, device)
    # by hand: d/dh = 2h + 1 - tanh(h)^2, kept once, then twice; x's is 3 times h's
    h = 3 * np.array([1.0, -2.0, 0.5])
    dh = 2 * h + 1 - np.tanh(h) ** 2
    for got, want in zip(ours, (dh, 2 * dh, 6 * dh, True, False, False, True, True)):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    h = mg.ones(2, requires_grad=True, device=device) * 2
    h.retain_grad()
    mg.grad((h * h).sum(), [h])  # minigan.grad, like torch.autograd.grad, fills no .grad, not even a retained one
    assert h.grad is None and h.retains_grad
    with pytest.raises(RuntimeError, match="retain_grad: this tensor does not require grad"):
        mg.ones(2).retain_grad()
    torch = pytest.importorskip("torch")
    for a, b in zip(ours, run(torch, "cpu")):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_item_assignment_in_place_and_refused_where_it_would_corrupt_gradients(device):
    x = mg.zeros(2, 3, device=device)
    x[0] = 1.0
    x[x > 0.5] = 2.0  # a boolean mask tensor, as in torch
    x[1, 1:] = mg.ones(2, device=device) * 3
    x[(mg.tensor(np.array([1]), device=device), 0)] = 4.0
    np.testing.assert_array_equal(x.numpy(), [[2, 2, 2], [4, 3, 3]])
    x[0] = np.array([5.0, 6.0, 7.0])  # a NumPy array goes to x's device (on a GPU: the copy asked for)
    np.testing.assert_array_equal(x.numpy()[0], [5, 6, 7])
    assert x.dtype == np.float32
    w = mg.zeros(2, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match=r"x\[...\] = value: an in-place change of a tensor that requires grad"):
        w[0] = 1.0
    with mg.no_grad():
        w[0] = 1.0
    assert w.numpy()[0] == 1.0


def test_an_element_picked_by_integers_is_a_view_as_in_torch(device):
    # NumPy's x[0] of a 1-D array is a scalar copy, CuPy's and torch's a 0-d view: one behaviour on every device
    x = mg.tensor([1.0, 2.0], device=device)
    y = x[0]
    y += 5
    assert x.tolist() == [6.0, 2.0] and y.item() == 6.0
    assert x._version == 1  # the view's change is the base's change
    grid = mg.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    grid[1, 0].fill_(9.0)
    assert grid.tolist() == [[1.0, 2.0], [9.0, 4.0]]
    w = mg.tensor([1.0, 2.0], dtype="float64", device=device, requires_grad=True)
    (g,) = mg.grad(w[1] * w[1], w)
    assert g.tolist() == [0.0, 4.0]
    torch = pytest.importorskip("torch")
    tx = torch.tensor([1.0, 2.0])
    ty = tx[0]
    ty += 5
    assert tx.tolist() == x.tolist() and tx._version == x._version


def test_in_place_operators_change_the_tensor_itself_as_in_torch(device):
    # the classic hand-written SGD step; Python's fallback for -= rebound p to a new tensor and
    # left the model's weights untouched: training silently did nothing
    model = mg.nn.Linear(2, 1).to(device)
    before = model.weight.numpy().copy()
    model(mg.randn(4, 2, device=device)).sum().backward()
    with mg.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    np.testing.assert_allclose(model.weight.numpy(), before - 0.1 * model.weight.grad.numpy(), rtol=1e-6)
    z = mg.zeros(2, 3, device=device)
    alias = z
    z += mg.ones(3, device=device)
    z *= 4.0
    z /= 2
    z -= 0.5
    assert z is alias and z.dtype == np.float32
    np.testing.assert_array_equal(alias.numpy(), np.full((2, 3), 1.5))
    with pytest.raises(RuntimeError, match=r"x -= ...: x is a leaf tensor that requires grad .*minigan.no_grad"):
        for p in model.parameters():
            p -= 0.1 * p.grad
    with pytest.raises(TypeError, match=r"x \+= ...: x is int64 and the result would be float32"):
        ids = mg.tensor(np.array([1, 2]), device=device)
        ids += 0.5
    with pytest.raises(ValueError, match=r"y of shape \(2, 2, 3\) does not broadcast to x's shape \(2, 3\)"):
        z += mg.ones(2, 2, 3, device=device)
    with pytest.raises(ValueError, match=r"y of shape \(4,\) does not broadcast to x's shape \(2, 3\)"):
        z += mg.ones(4, device=device)


def test_in_place_operators_inside_a_graph_are_recorded_like_x_equals_x_op_y(device):
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 3.0
    y += x  # y = 4x, recorded in the graph (y is rebound, as in x = x + ...)
    y *= x  # y = 4x^2
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 16.0])


@pytest.mark.parametrize("change", [
    lambda x: x.__iadd__(1.0),
    lambda x: x.fill_(0.5),
    lambda x: x.__setitem__(0, 2.0),
])
def test_backward_refuses_values_changed_in_place_after_use(change, device):
    # Mul's backward reads x: changed in place after the forward pass, w's gradient would silently be wrong
    w = mg.randn(3, device=device, requires_grad=True)
    x = mg.randn(3, device=device)
    loss = (w * x).sum()
    change(x)
    with pytest.raises(RuntimeError, match=r"Mul: a tensor of shape \(3,\) that it used was changed in place"):
        loss.backward()
    # an output read by its backward (sigmoid's) counts too
    a = mg.randn(3, device=device, requires_grad=True)
    s = a.sigmoid()
    loss = (s * 2.0).sum()
    with mg.no_grad():
        change(s)
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()
    # changed before use: fine
    w.grad = None
    x = mg.randn(3, device=device)
    change(x)
    (w * x).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), x.numpy())


@pytest.mark.parametrize("view", [
    lambda x: x.detach(),
    lambda x: x[1:],
    lambda x: x.reshape(3, 1),
    lambda x: x.reshape(3, 1).transpose(0, 1),
    lambda x: x.unsqueeze(0)[0],
])
def test_a_change_through_a_view_counts_as_a_change_of_what_it_views(view, device):
    # torch's views share their base's version counter: the same memory, one count
    w = mg.randn(3, device=device, requires_grad=True)
    x = mg.randn(3, device=device)
    loss = (w * x).sum()
    v = view(x)
    v[...] = 100.0  # writes into x's memory
    with pytest.raises(RuntimeError, match=r"Mul: a tensor of shape \(3,\) that it used was changed in place"):
        loss.backward()
    # and the other way round: a view used in the graph, its base changed afterwards
    x = mg.randn(3, device=device)
    loss = (w * view(x).reshape(-1)[-1:]).sum()
    x.fill_(2.0)
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()
    # a copy is its own memory: changing it is fine
    x = mg.randn(3, device=device)
    w.grad = None
    loss = (w * x).sum()
    c = x.clone()
    c.fill_(7.0)
    loss.backward()
    np.testing.assert_array_equal(w.grad.numpy(), x.numpy())


def test_a_view_of_a_tensor_changed_before_the_graph_was_built_is_fine(device):
    x = mg.randn(2, 3, device=device, requires_grad=True)
    buf = mg.zeros(2, 3, device=device)
    buf.fill_(1.0)  # a count of 1 before any graph uses buf
    loss = (x * buf.reshape(3, 2).reshape(2, 3)).sum()
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))


def test_an_optimizer_step_is_an_in_place_change_as_in_torch(device):
    # the GAN bug torch refuses: a loss through D, D stepped, then backpropagated through the old D
    D = mg.nn.Linear(2, 1).to(device)
    opt = mg.optim.SGD(D.parameters(), lr=0.1)
    z = mg.randn(4, 2, device=device, requires_grad=True)
    loss_d = D(z.detach()).sum()
    loss_g = D(z).sum()  # uses D's weight as it is now
    loss_d.backward()
    opt.step()
    with pytest.raises(RuntimeError, match="changed in place"):
        loss_g.backward()
    torch = pytest.importorskip("torch")
    tD = torch.nn.Linear(2, 1)
    t_opt = torch.optim.SGD(tD.parameters(), lr=0.1)
    tz = torch.randn(4, 2, requires_grad=True)
    t_loss_d, t_loss_g = tD(tz.detach()).sum(), tD(tz).sum()
    t_loss_d.backward()
    t_opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        t_loss_g.backward()


@pytest.mark.parametrize("make, error, message", [
    # these made tensors of dtype object or <U3, which failed later, far from the mistake
    (lambda: mg.tensor([mg.ones(2), mg.ones(2)]), TypeError, r"a list holding a tensor of shape \(2,\); join .*stack"),
    (lambda: mg.tensor("abc"), TypeError, r"tensor: cannot hold <U3 data \(str\); give numbers"),
    (lambda: mg.tensor(None), TypeError, r"tensor: cannot hold object data"),
    (lambda: mg.tensor([[1, 2], [3]]), ValueError, r"tensor: nested lists must form a grid of numbers"),
    (lambda: mg.cat([]), ValueError, r"cat: expected a non-empty list of tensors"),  # was an IndexError
    (lambda: mg.cat(mg.ones(2)), TypeError, r"cat: expected a list of tensors, got one tensor"),
    (lambda: mg.stack([mg.ones(2), mg.ones(3)]), ValueError, r"stack: every tensor must have the same shape, got \(2,\) and \(3,\)"),
])
def test_making_and_joining_tensors_from_the_wrong_things_is_named(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_one_element_tensors_in_a_list_become_numbers_as_in_torch():
    t = mg.tensor([mg.tensor(1.0), [2.5][0], mg.tensor([3.0])])
    assert t.dtype == np.float32 and t.tolist() == [1.0, 2.5, 3.0]


def test_in_place_methods_with_torchs_names(device):
    # WGAN's weight clipping and an EMA written the PyTorch way, under no_grad
    w = mg.tensor([-2.0, 0.005, 3.0], device=device, requires_grad=True)
    avg = mg.zeros(3, device=device)
    with mg.no_grad():
        assert w.clamp_(-0.01, 0.01) is w
        avg.mul_(0.9).add_(w, alpha=0.1)
        ema = mg.zeros(3, device=device).copy_(avg)
    np.testing.assert_allclose(w.numpy(), [-0.01, 0.005, 0.01])
    np.testing.assert_allclose(ema.numpy(), [-0.001, 0.0005, 0.001], rtol=1e-6)
    with pytest.raises(RuntimeError, match="clamp_: an in-place change of a tensor that requires grad"):
        w.clamp_(-1.0, 1.0)
    with pytest.raises(RuntimeError, match=r"x.add_\(...\) in place inside a graph is not supported"):
        (w * 2.0).add_(1.0)


def test_sub_and_div_in_place_as_torchs(device):
    # a hand-written SGD step as PyTorch tutorials write it: p.sub_(lr * p.grad) under no_grad
    p = mg.tensor([1.0, -2.0, 4.0], device=device, requires_grad=True)
    (p * p).sum().backward()
    with mg.no_grad():
        assert p.sub_(0.25 * p.grad) is p
        p.sub_(p.grad, alpha=0.5).div_(2.0)
    np.testing.assert_allclose(p.numpy(), [-0.25, 0.5, -1.0])  # (p - 0.5 p - 2 p) / 2 with grad 2 p
    assert p.dtype == np.float32 and p.grad is not None and p._version == 3
    counts = mg.tensor([4, 6], device=device)
    with pytest.raises(TypeError, match=r"x div_ \.\.\.: x is int64 and the result would be float32"):
        counts.div_(2)
    with pytest.raises(RuntimeError, match=r"x.sub_\(...\) in place inside a graph is not supported"):
        (p * 2.0).sub_(1.0)


def test_grad_takes_torchs_keywords(device):
    """torch.autograd.grad(..., only_inputs=True) as WGAN-GP code writes it; materialize_grads gives zeros."""
    a = mg.randn(3, requires_grad=True, device=device)
    b = mg.randn(3, requires_grad=True, device=device)
    (ga,) = mg.autograd.grad(outputs=(a * a).sum(), inputs=a, grad_outputs=None, retain_graph=True,
                             create_graph=True, only_inputs=True)
    np.testing.assert_allclose(ga.numpy(), 2 * a.numpy(), rtol=1e-6)
    ga2, gb = mg.grad((a * 2).sum(), [a, b], materialize_grads=True)
    assert gb.device == device and np.all(gb.numpy() == 0) and np.all(ga2.numpy() == 2)
    assert mg.grad((a * 2).sum(), [a, b], allow_unused=True)[1] is None
    with pytest.raises(RuntimeError, match="materialize_grads=True for zeros"):
        mg.grad((a * 2).sum(), [a, b])


def test_torchs_dtype_names_and_shape_helpers(device):
    assert mg.full((2,), 1.0, dtype=mg.float).dtype == np.float32 and mg.double == mg.float64 == "float64"
    assert mg.tensor([1, 2], dtype=mg.long).dtype == np.int64 and mg.zeros(2, dtype=mg.bool).dtype == np.bool_
    x, like = mg.randn(4, 1, device=device), mg.zeros(2, 4, 3, dtype="float64", device=device)
    assert x.expand_as(like).shape == (2, 4, 3) and x.view_as(mg.zeros(2, 2)).shape == (2, 2)
    assert x.reshape_as(mg.zeros(1, 4)).shape == (1, 4)
    assert x.type_as(like).dtype == np.float64 and x.type_as(like).device == device
    with pytest.raises(TypeError, match=r"unknown dtype 'int7': use one of 'float32', .*'int64'.*'uint8'"):
        mg.zeros(2, dtype="int7")


def test_star_import_leaves_pythons_float_int_and_bool_alone():
    namespace = {}
    exec("from minigan import *", namespace)  # noqa: S102
    assert not {"float", "int", "bool"} & set(namespace) and "tensor" in namespace and "float32" in namespace


def test_torchs_top_level_helpers_behave_as_torchs():
    def check(lib):  # the same calls, the same answers, in minigan and in torch
        with lib.set_grad_enabled(False):
            assert not lib.is_grad_enabled()
        assert lib.is_grad_enabled()
        lib.set_grad_enabled(False)  # a plain call stays in force
        try:
            assert not lib.is_grad_enabled()
        finally:
            lib.set_grad_enabled(True)
        with lib.inference_mode():
            assert not (lib.ones(1, requires_grad=True) * 2).requires_grad
        array = np.ones(3, dtype=np.float32)
        shared = lib.from_numpy(array)
        array[0] = 5.0
        assert shared.tolist() == [5.0, 1.0, 1.0]  # from_numpy shares the memory, tensor() copies
        assert lib.as_tensor([1, 2]).tolist() == [1, 2] and lib.is_tensor(shared) and not lib.is_tensor(array)
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        assert lib.numel(x) == 4 and lib.equal(x, lib.clone(x)) and not lib.equal(x, x[:1])
        assert lib.allclose(x, x + 1e-9) and not lib.allclose(x, x + 1e-3)
        assert lib.full_like(x, 7).tolist() == [[7.0, 7.0], [7.0, 7.0]] and lib.empty_like(x).shape == x.shape
        assert [c.tolist() for c in lib.chunk(x, 2, 1)] == [[[1.0], [3.0]], [[2.0], [4.0]]]
        assert [s.shape[0] for s in lib.split(x, 1)] == [1, 1]
        assert lib.mm(x, x).tolist() == [[7.0, 10.0], [15.0, 22.0]]
        assert lib.bmm(x[None], x[None]).tolist() == [[[7.0, 10.0], [15.0, 22.0]]]
        assert sorted(lib.randperm(6).tolist()) == list(range(6)) and lib.randperm(6).dtype == lib.int64
        assert lib.softmax(x, 1).shape == lib.log_softmax(x, 0).shape == (2, 2)
        assert not lib.detach(x.requires_grad_()).requires_grad

    check(mg)
    assert mg.get_default_dtype() == "float32"
    assert mg.cuda.is_available() == mg.cuda_is_available()
    with pytest.raises(TypeError, match="from_numpy: expected a NumPy array, got list"):
        mg.from_numpy([1.0])
    torch = pytest.importorskip("torch")
    check(torch)
    assert torch.get_default_dtype() == torch.float32


def test_normal_and_uniform_fill_in_place_from_the_seeded_generator(device):
    w = mg.nn.Linear(200, 300).to(device).weight
    with pytest.raises(RuntimeError, match="normal_: an in-place change of a tensor that requires grad"):
        w.normal_(0.0, 0.02)  # as torch refuses it on a leaf that requires grad, outside no_grad
    memory = w.data
    mg.manual_seed(4)
    with mg.no_grad():
        assert w.normal_(0.5, 0.02) is w and w.data is memory  # in place, like the DCGAN paper's init
    values = w.numpy()
    assert values.dtype == np.float32 and abs(values.mean() - 0.5) < 1e-3 and abs(values.std() - 0.02) < 1e-3
    mg.manual_seed(4)
    again = mg.zeros(300, 200, device=device).normal_(0.5, 0.02).numpy()
    np.testing.assert_array_equal(again, values)  # seeded: the same draws
    u = mg.zeros(20000, dtype="float64", device=device).uniform_(-2.0, 3.0).numpy()
    assert u.dtype == np.float64 and -2.0 <= u.min() and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.05
    with pytest.raises(TypeError, match="uniform_: draws floats"):
        mg.zeros(2, dtype="int64", device=device).uniform_()


def test_normal_draws_as_torchs_overloads_from_the_seeded_generator(device):
    def check(lib, **dev):  # the same overloads, the same shapes, in minigan and in torch
        assert lib.normal(0.0, 0.02, size=(64, 100), **dev).shape == (64, 100)
        assert lib.normal(0.0, 0.02, (3,), **dev).dtype == lib.float32
        means = lib.zeros(2, 3, **dev)
        assert lib.normal(means, 2.0).shape == (2, 3) and lib.normal(1.0, lib.ones(4, **dev)).shape == (4,)
        assert lib.normal(means, lib.ones(3, **dev)).shape == (2, 3)  # mean and std broadcast together
        with pytest.raises(TypeError):
            lib.normal(0.0, 1.0)  # numbers need a size

    check(mg, device=device)
    mg.manual_seed(3)
    draws = mg.normal(mg.tensor([[-5.0], [5.0]], device=device), mg.tensor([0.5, 2.0, 0.0], device=device)).numpy()
    mg.manual_seed(3)
    z = mg.randn(2, 3, device=device).numpy()
    np.testing.assert_allclose(draws, np.array([[-5.0], [5.0]]) + np.array([0.5, 2.0, 0.0]) * z, rtol=1e-6)
    big = mg.normal(1.5, 0.25, size=(200, 500), dtype="float64", device=device).numpy()
    assert big.dtype == np.float64 and abs(big.mean() - 1.5) < 3e-3 and abs(big.std() - 0.25) < 3e-3
    mean = mg.zeros(3, device=device, requires_grad=True)
    assert not mg.normal(mean * 2.0).requires_grad  # a new leaf: for a gradient, mean + std * randn_like(mean)
    assert mg.normal(0.0, 1.0, 3, device=device, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="normal: give a size for number mean and std"):
        mg.normal(0.0, 1.0)
    with pytest.raises(ValueError, match="normal: std must be >= 0, got -1.0"):
        mg.normal(0.0, -1.0, size=(2,))
    with pytest.raises(ValueError, match=r"normal: mean and std shapes \(2,\) and \(3,\) do not broadcast"):
        mg.normal(mg.zeros(2), mg.ones(3))
    with pytest.raises(TypeError, match="normal: mean and std must be numbers or tensors, got ndarray"):
        mg.normal(np.zeros(2), 1.0, size=(2,))
    torch = pytest.importorskip("torch")
    check(torch)


def test_pytorchs_legacy_shape_constructor_and_a_bad_dtype_are_named():
    with pytest.raises(TypeError, match=r"Tensor\(64, 1, ...\): minigan.Tensor takes data, not a shape .* "
                                        r"minigan.zeros\(64, 1\)"):
        mg.Tensor(64, 1)  # torch.Tensor(64, 1).fill_(1.0), as older GAN code makes its labels
    with pytest.raises(TypeError, match="unknown dtype 1: use minigan.float32"):
        mg.zeros(3, dtype=1)
    assert mg.Tensor(3).tolist() == 3 and mg.Tensor(np.ones((64, 1), dtype=np.float32)).shape == (64, 1)


def test_a_graph_node_where_a_tensor_belongs_is_named_with_what_to_pass():
    b = mg.randn(2, requires_grad=True) * 2
    with pytest.raises(TypeError, match=r"backward: inputs\[0\] is not a minigan Tensor but the graph node Mul "
                                        r"\(a grad_fn\); pass the tensor it made instead"):
        b.sum().backward(inputs=[b.grad_fn])  # torch takes a grad_fn's GradientEdge there


def test_lerp_and_lerp_in_place_as_torchs(device, rng):
    a, b, w = (rng.standard_normal((3, 4)) for _ in range(3))
    x, y = (mg.tensor(v, device=device, requires_grad=True) for v in (a, b))
    assert mg.gradcheck(lambda s, e: mg.lerp(s, e, 0.3), [x, y])  # float64, central differences
    assert mg.gradcheck(lambda s, e, weight: s.lerp(e, weight), [x, y, mg.tensor(w, device=device, requires_grad=True)])
    upstream = rng.standard_normal((3, 4))

    def run(lib):
        s, e = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        out = lib.lerp(s, e, 0.3)
        out.backward(lib.tensor(upstream))
        return [out.detach().numpy(), s.grad.numpy(), e.grad.numpy()]

    ours = run(mg)
    for got, want in zip(ours, (a + 0.3 * (b - a), 0.7 * upstream, 0.3 * upstream)):  # by hand
        np.testing.assert_allclose(got, want, rtol=1e-12)
    avg, p = mg.tensor(a, device=device, requires_grad=True), mg.tensor(b, device=device, requires_grad=True)
    memory = avg.data
    with mg.no_grad():  # a weight average's update, as G_ema code writes it
        assert avg.lerp_(p, 0.25) is avg and avg.data is memory
    np.testing.assert_allclose(avg.numpy(), a + 0.25 * (b - a), rtol=1e-12)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        avg.lerp_(p, 0.25)  # outside no_grad, as torch refuses it too
    with pytest.raises(TypeError, match="lerp: expected a minigan Tensor, got a numpy.ndarray"):
        mg.lerp(a, p, 0.5)
    torch = pytest.importorskip("torch")
    for got, theirs in zip(ours, run(torch)):
        np.testing.assert_allclose(got, theirs, rtol=1e-12)


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_gives_torchs_grids_and_gradients(indexing, rng):
    values = [rng.standard_normal(n) for n in (3, 4, 2)]
    cases = []
    for count in (1, 2, 3):
        shape = [3, 4, 2][:count]
        if indexing == "xy" and count > 1:
            shape[:2] = shape[1::-1]
        upstream = [rng.standard_normal(shape) for _ in range(count)]  # a random gradient for each grid
        cases.append((count, upstream))
        inputs = [mg.tensor(v, requires_grad=True) for v in values[:count]]  # float64
        # every grid against float64 central differences (gradcheck draws its own upstream gradients)
        assert mg.gradcheck(lambda *ts: tuple(mg.meshgrid(*ts, indexing=indexing)), inputs)
        for ours, want in zip(mg.meshgrid(*inputs, indexing=indexing), np.meshgrid(*values[:count], indexing=indexing)):
            np.testing.assert_array_equal(ours.numpy(), want)  # NumPy's meshgrid has the same two layouts

    def run(lib, count, upstream):
        inputs = [lib.tensor(v, requires_grad=True) for v in values[:count]]
        grids = lib.meshgrid(*inputs, indexing=indexing)
        sum((g * lib.tensor(u)).sum() for g, u in zip(grids, upstream)).backward()
        return [g.detach().numpy() for g in grids] + [t.grad.numpy() for t in inputs]

    xs, ys = mg.meshgrid(mg.linspace(0, 1, 5), mg.linspace(0, 1, 3), indexing="xy")
    assert xs.shape == ys.shape == (3, 5)  # an image's layout: rows follow y
    with pytest.raises(ValueError, match=r"meshgrid: expected 1-D tensors, got shapes \(2, 2\)"):
        mg.meshgrid(mg.zeros(2, 2))
    with pytest.raises(ValueError, match="meshgrid: indexing must be 'ij' or 'xy', got 'ji'"):
        mg.meshgrid(mg.zeros(2), indexing="ji")
    torch = pytest.importorskip("torch")
    for count, upstream in cases:
        for ours, theirs in zip(run(mg, count, upstream), run(torch, count, upstream)):
            assert ours.shape == theirs.shape
            np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_to_takes_torchs_non_blocking_and_copy(device):
    x = mg.ones(2, device=device, requires_grad=True)
    assert x.to(device, non_blocking=True) is x and x.to(dtype="float32") is x  # nothing to change: x itself
    copied = x.to(device, copy=True)
    assert copied is not x and copied.data is not x.data and copied.tolist() == [1.0, 1.0]
    copied.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]  # a copy in the graph, as torch's
    model = mg.nn.Linear(2, 1)
    assert model.to(device, non_blocking=True) is model and model.weight.device == device


def test_iterating_a_tensor_gives_its_rows_and_a_0d_tensor_refuses_as_in_torch(device):
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], device=device, requires_grad=True)
    rows = list(x)
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0]
    sum(r.sum() for r in rows).backward()  # the rows stay in the graph
    assert x.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    one = mg.tensor(1.0, device=device)
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(one)  # Python's fallback used to give [] here, silently
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(one)
    assert 4.0 in x and 5.0 not in x and 1.0 in one  # any element, as torch's `in`
    n = mg.tensor(3)
    assert list(range(n)) == [0, 1, 2] and [10, 11, 12, 13][n] == 13  # an integer tensor as an index
    with pytest.raises(TypeError, match="only integer tensors of one element can be used as an index"):
        range(mg.tensor(2.0))


def test_assigning_a_value_that_requires_grad_is_refused_rather_than_losing_its_gradient(device):
    w = mg.randn(3, device=device, requires_grad=True)
    x = mg.zeros(3, device=device)
    for assign in (lambda: x.__setitem__(0, (w * 3.0)[0]), lambda: x.copy_(w * 3.0)):
        with pytest.raises(RuntimeError, match="value requires grad, and an assignment is not recorded in the graph"):
            assign()  # torch records it; minigan would have dropped w's gradient without a word
    x[0] = (w * 3.0)[0].detach()  # what the message offers
    with mg.no_grad():
        x.copy_(w)  # copying weights under no_grad (an EMA, a checkpoint) is fine
    np.testing.assert_array_equal(x.numpy(), w.numpy())


def test_no_grad_and_set_grad_enabled_as_decorators_as_in_torch():
    x = mg.ones(2, requires_grad=True)

    @mg.no_grad
    def bare(t):
        return t * 2

    @mg.no_grad()
    def called(t):
        return t * 2

    @mg.set_grad_enabled(False)
    def switched_off(t):
        return t * 2

    @mg.enable_grad()
    def switched_on(t):
        return t * 2

    assert mg.is_grad_enabled()  # making the decorator did not switch recording off from then on
    assert not bare(x).requires_grad and not called(x).requires_grad and not switched_off(x).requires_grad
    with mg.no_grad():
        assert switched_on(x).requires_grad and not (x * 2).requires_grad
    assert mg.is_grad_enabled() and (x * 2).requires_grad
    mg.set_grad_enabled(False)  # the plain call stays in force, as torch's
    try:
        assert not (x * 2).requires_grad
    finally:
        mg.set_grad_enabled(True)
    assert bare.__name__ == "bare"

    @mg.inference_mode
    def inferred(t):
        return t * 2

    assert not inferred(x).requires_grad
    for decorate in (mg.no_grad, mg.no_grad(), mg.set_grad_enabled(False), mg.enable_grad()):
        with pytest.raises(TypeError, match="is a generator function: a grad-mode decorator would not cover its body"):
            @decorate
            def numbers(t):
                yield t * 2
    assert mg.is_grad_enabled()


def test_small_integer_tensors_with_python_ints_that_do_not_fit(device):
    small = mg.tensor(np.array([1, 2], dtype=np.uint8), device=device)
    assert (small + 3).dtype == np.uint8  # fits: the tensor's dtype, as in torch
    assert (small * -1).dtype == np.int64 and (small * -1).tolist() == [-1, -2]  # does not fit: int64, not an error
    assert (small + 256).tolist() == [257, 258]
    # the dtype comes from the dtypes alone, as in torch: a 0-d integer tensor counts as a number (not by its
    # value, as NumPy 1 would size it)
    assert (small + mg.tensor(np.int64(5), device=device)).dtype == np.uint8
    for big in (300, -1):  # one that does not fit counts as that Python int would: int64, never wrapped around
        assert (small + mg.tensor(big, device=device)).tolist() == [1 + big, 2 + big]
        assert (mg.tensor(big, device=device) - small).tolist() == [big - 1, big - 2]
    assert (mg.tensor([True, False], device=device) + 5).dtype == np.int64
    with pytest.raises(TypeError, match=r"x \+= \.\.\.: x is uint8 and the result would be int64; convert x first"):
        small += 256  # an in-place result must fit in x: never wrapped around silently
    assert small.tolist() == [1, 2]
    assert mg.where(mg.tensor([True, False], device=device), np.float64(1.0), 2.0).dtype == np.float32


def test_shape_ops_that_change_nothing_still_give_a_new_tensor_as_torchs(device):
    torch = pytest.importorskip("torch")
    x = mg.tensor([1.0, 2.0], dtype="float64", device=device, requires_grad=True)
    tx = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    assert x.flatten() is x and tx.flatten() is tx  # torch.flatten hands back the tensor when it merges nothing
    for same in (lambda t: t.reshape(2), lambda t: t.view(2), lambda t: t.squeeze(), lambda t: t.expand(2),
                 lambda t: t.repeat(1)):
        y, ty = same(x), same(tx)
        assert y is not x and not y.is_leaf and not ty.is_leaf
        out, t_out = (x * 3.0).sum() + (y * y).sum(), (tx * 3.0).sum() + (ty * ty).sum()
        (g,), (tg,) = mg.grad(out, [y]), torch.autograd.grad(t_out, [ty])
        np.testing.assert_array_equal(g.numpy(), tg.numpy())  # 2y, not 2y + 3 through x's own path


def test_grad_with_an_input_listed_twice_gives_it_in_both_places(device):
    x = mg.tensor([1.0, 2.0], dtype="float64", device=device, requires_grad=True)
    a, b = mg.grad((x * x).sum(), [x, x])
    assert a.tolist() == b.tolist() == [2.0, 4.0]


def test_softmax_along_an_empty_axis_is_empty_as_torchs(device):
    x = mg.zeros(3, 0, device=device)
    assert mg.softmax(x, 1).shape == (3, 0) and mg.log_softmax(x, 1).shape == (3, 0)


def test_old_pytorch_idioms_variable_type_and_the_operator_functions(device):
    from minigan.autograd import Variable

    x = mg.tensor([1, 2], device=device)
    w = mg.ones(2, device=device, requires_grad=True)
    y = w * 2.0
    v = Variable(y, requires_grad=True)
    assert v is not y and v.is_leaf and v.requires_grad  # a new leaf on the same memory, as torch's
    (v * v).sum().backward()
    assert w.grad is None and v.grad.tolist() == [4.0, 4.0]  # cut from the graph: WGAN-GP's old interpolation idiom
    assert not Variable(x).requires_grad and Variable(x).tolist() == [1, 2]
    assert x.type() == "minigan.int64" and x.type(mg.float32).dtype == np.float32
    with pytest.raises(TypeError, match="give a dtype such as minigan.float32"):
        x.type(int)
    expected = {"add": [4, 5], "sub": [-2, -1], "mul": [3, 6]}
    for name in ("add", "sub", "mul"):
        assert getattr(mg, name)(x, 3).tolist() == expected[name]
    assert mg.neg(x).tolist() == [-1, -2]
    torch = pytest.importorskip("torch")
    tv = torch.autograd.Variable(torch.ones(2, requires_grad=True) * 2.0, requires_grad=True)
    assert tv.is_leaf  # torch's Variable makes a new leaf too
    assert torch.tensor([1, 2]).type(torch.float32).dtype == torch.float32  # the same call in torch
    for name in ("add", "sub", "mul"):
        assert getattr(mg, name)(x, 3).tolist() == getattr(torch, name)(torch.tensor([1, 2]), 3).tolist()


# -- mistakes in a graph or in a hand-written op: clear errors, never silently wrong gradients
class _Cube(mg.autograd.Function):
    """x^3, as lesson 02 writes a custom op."""

    def forward(self, x):
        return x**3

    def backward(self, gy):
        # d(x^3)/dx = 3 x^2
        x = self.inputs[0]
        return gy * 3.0 * x * x


def test_an_op_object_called_twice_is_refused_instead_of_mixing_up_gradients(device):
    a = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    cube = _Cube()
    y1 = cube(a)
    with pytest.raises(RuntimeError, match=r"_Cube: this op object is already part of a graph; make a new one"):
        cube(a * 2.0)  # would overwrite the inputs y1's backward needs
    y1.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 12.0])  # 3 a^2, untouched by the refused call
    with pytest.raises(TypeError, match=r"_Cube: called without inputs"):
        _Cube()()


class _TwoInputs(mg.autograd.Function):
    def __init__(self, grads):
        self.grads = grads

    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        # d(ab)/da = b, d(ab)/db = a  -- here replaced by whatever the test hands back
        return self.grads(gy, *self.inputs)


@pytest.mark.parametrize("grads, error, message", [
    (lambda gy, a, b: (gy * b,), RuntimeError, r"_TwoInputs.backward returned 1 gradients for 2 inputs"),
    (lambda gy, a, b: (gy * b, 2.0), TypeError, r"the gradient for input 1 is a builtins.float|the gradient for input 1 is"),
    (lambda gy, a, b: (gy * b, (gy * a).reshape(1, 2)), RuntimeError, r"gradient for input 1 has shape \(1, 2\)"),
    (lambda gy, a, b: (gy * b, (gy * a).to(dtype="float64")), RuntimeError, r"input 1 has shape \(2,\) and dtype float64"),
])
def test_a_backward_with_missing_or_misshapen_gradients_gets_a_clear_error(device, grads, error, message):
    a = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    b = mg.tensor([3.0, 4.0], device=device, requires_grad=True)
    with pytest.raises(error, match=message):
        _TwoInputs(grads)(a, b).sum().backward()
    assert b.grad is None  # nothing half-delivered to b


def test_a_backward_may_return_a_none_for_an_optional_input_it_was_not_given(device):
    a = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    b = mg.tensor([3.0, 4.0], device=device, requires_grad=True)
    _TwoInputs(lambda gy, a, b: (gy * b, gy * a, None))(a, b).sum().backward()  # (like Linear's bias)
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])


def test_requires_grad_false_on_a_computed_tensor_is_refused_not_a_silent_cut(device):
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    h = x * 2.0
    with pytest.raises(RuntimeError, match=r"only a leaf tensor's flag can be changed.*detach\(\)"):
        h.requires_grad_(False)
    (h * h).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 16.0])
    assert x.detach().requires_grad_(False).requires_grad is False  # a leaf's flag may change


def test_an_error_inside_backward_frees_the_graph_so_a_retry_cannot_double_gradients(device):
    w1 = mg.tensor([5.0, 6.0], device=device, requires_grad=True)
    fail = [True]

    def once(gy, a, b):  # raises the first time, like a Ctrl-C in the middle of a notebook cell
        if fail.pop():
            raise KeyboardInterrupt
        return gy * b, gy * a

    w2 = mg.tensor([1.0, 1.0], device=device, requires_grad=True)
    loss = (_TwoInputs(once)(w1 * 1.0, w2) + w1).sum()  # w1 reaches the loss twice: directly and through the op
    with pytest.raises(KeyboardInterrupt):
        loss.backward()
    partial = None if w1.grad is None else w1.grad.numpy().copy()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()
    assert (w1.grad is None and partial is None) or np.array_equal(w1.grad.numpy(), partial)  # not added twice


def test_assigning_grad_checks_type_shape_dtype_and_device(device):
    w = mg.zeros(2, device=device, requires_grad=True)
    w.grad = mg.ones(2, device=device)
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0])
    with pytest.raises(ValueError, match=r"assigned a gradient of shape \(3, 2\).*to a tensor of shape \(2,\)"):
        w.grad = mg.zeros(3, 2, device=device)  # an optimizer step would broadcast it
    with pytest.raises(ValueError, match="float64"):
        w.grad = mg.zeros(2, dtype="float64", device=device)  # would turn the weights float64
    with pytest.raises(TypeError, match="a gradient must be a minigan Tensor"):
        w.grad = np.zeros(2, dtype=np.float32)
    w.grad = None
    assert w.grad is None


def test_grad_wants_one_grad_output_per_output(device):
    x = mg.tensor([1.0], device=device, requires_grad=True)
    a, b = (x * 2.0).sum(), (x * 3.0).sum()
    with pytest.raises(ValueError, match=r"grad: 2 outputs but 1 grad_outputs"):
        mg.grad([a, b], [x], grad_outputs=[mg.ones((), device=device)], retain_graph=True)
    g, = mg.grad([a, b], [x])
    np.testing.assert_allclose(g.numpy(), [5.0])


def test_grad_follows_the_flags_recorded_at_the_forward_pass(device):
    w = mg.tensor([2.0], device=device, requires_grad=True)
    x = mg.tensor([3.0], device=device)
    y = (w * x).sum()
    x.requires_grad_()  # after the forward pass: y was not computed from a differentiable x
    assert mg.grad(y, [w, x], allow_unused=True)[1] is None  # as torch


def test_ops_and_backward_print_no_numpy_warnings(device):
    import warnings  # noqa: PLC0415

    x = mg.tensor([100.0, 0.0, -1.0], device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any NumPy RuntimeWarning would raise here
        y = mg.exp(x * 10.0) + mg.log(x) + mg.sqrt(x) + 1.0 / x  # overflow, log(0), sqrt(-1), 1/0
        y.sum().backward()
    values = y.numpy()
    assert np.isinf(values[0]) and np.isnan(values[2])  # the values still say what happened


def test_assignments_and_fills_refuse_none_and_name_a_shape_mismatch(device):
    x = mg.zeros(3, device=device)
    for call, what in [(lambda: x.fill_(None), "fill_"), (lambda: x.__setitem__(0, None), r"x\[...\] = value"),
                       (lambda: x.copy_(None), r"x\[...\] = value"), (lambda: x.fill_("a"), "fill_")]:
        with pytest.raises(TypeError, match=rf"{what}: value must be a number, a tensor or an array of numbers"):
            call()
    with pytest.raises(ValueError, match=r"x\[...\] = value: a value of shape \(4,\) does not fit the target of shape \(3,\)"):
        x.copy_(mg.ones(4, device=device))
    with pytest.raises(ValueError, match=r"fill_: value must be a number or a one-element tensor"):
        x.fill_(mg.ones(2, device=device))
    with pytest.raises(TypeError, match="full: value must be a number, got None"):
        mg.full((2,), None)
    assert not np.isnan(x.numpy()).any()  # nothing was written
    x.fill_(mg.tensor(2.0, device=device))
    np.testing.assert_array_equal(x.numpy(), [2.0, 2.0, 2.0])


def test_where_and_masked_fill_want_a_boolean_mask_that_broadcasts(device):
    x = mg.tensor([1.0, -2.0, 3.0], device=device)
    np.testing.assert_array_equal(x.masked_fill(x < 0, 0.0).numpy(), [1.0, 0.0, 3.0])
    with pytest.raises(TypeError, match=r"where: the condition \(mask\) must be boolean, got float32"):
        x.masked_fill(mg.tensor([1.0, 0.0, 0.5], device=device), 0.0)  # torch refuses too
    with pytest.raises(ValueError, match=r"where: the condition's shape \(2,\) and the values' shapes"):
        x.masked_fill(mg.tensor([True, False], device=device), 0.0)


def test_comparisons_name_the_operator_for_shapes_and_types_that_do_not_fit(device):
    x = mg.tensor([1.0, 2.0, 3.0], device=device)
    with pytest.raises(ValueError, match=r"x > y: shapes \(3,\) and \(4,\) do not broadcast"):
        x > mg.zeros(4, device=device)
    with pytest.raises(TypeError, match=r"x <= y: y must be a number or a tensor, got 'a'"):
        x <= "a"
    assert (x == None) is False and (x != None) is True  # noqa: E711 -- Python's identity rule, as torch


def test_shape_arguments_refuse_negative_sizes_other_than_minus_one(device):
    x = mg.zeros(2, 3, device=device)
    assert x.view(-1, 3).shape == (2, 3) and x[:1].expand(4, -1).shape == (4, 3)
    with pytest.raises(ValueError, match="reshape: sizes must be ints >= 0, or -1"):
        x.view(-2, 3)  # NumPy would read it as -1
    with pytest.raises(ValueError, match=r"expand: sizes must be ints >= 0 \(-1 only for an existing axis"):
        x.expand(-1, 2, 3)
    with pytest.raises(ValueError, match="repeat: counts must be ints >= 0"):
        x.repeat(-1, 1)
    with pytest.raises(ValueError, match=r"lerp_: end has shape \(4,\), this tensor \(2, 3\)"):
        x.lerp_(mg.zeros(4, device=device), 0.5)


class _ForwardWithOps(mg.autograd.Function):
    def forward(self, x):
        return mg.tensor(x) * mg.tensor(x)  # minigan's ops where NumPy's belong

    def backward(self, gy):
        # d(x^2)/dx = 2x
        return gy * 2.0 * self.inputs[0]


def test_a_forward_that_returns_no_array_is_named(device):
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    with pytest.raises(TypeError, match=r"_ForwardWithOps.forward returned a Tensor: forward gets the inputs' raw arrays"):
        _ForwardWithOps()(x)


def test_the_in_place_error_names_a_reinitialisation(device):
    w = mg.ones(3, device=device, requires_grad=True)
    loss = (w * w).sum()
    nn.init.normal_(w)  # between the forward and the backward pass
    with pytest.raises(RuntimeError, match=r"changed in place \(.*nn\.init, load_state_dict or \.to\(\)\)"):
        loss.backward()


# Found by a differential fuzzer of random graphs against torch (compositions of views, indexing and in-place ops).
def test_an_integer_beside_an_index_array_picks_first_as_in_torch(device, rng):
    # NumPy counts the 0 of x[0, :, [1, 2]] as one more array, apart from [1, 2]: its axis went first, (2, 3);
    # torch picks with the integer first: (3, 2), the values of x[0][:, [1, 2]]
    a = rng.standard_normal((2, 3, 4))
    x = mg.tensor(a, dtype="float64", device=device, requires_grad=True)
    y = x[0, :, [1, 2]]
    assert y.shape == (3, 2)
    np.testing.assert_array_equal(y.numpy(), a[0][:, [1, 2]])
    assert x[1, 0, None, [3, 0]].shape == (1, 2) and x[[1, 0], :, -1].shape == (2, 3)  # (these agree in NumPy)
    assert mg.gradcheck(lambda t: t[-1, ::2, mg.tensor(np.array([[0], [3]]), device=device)], [x])
    z = mg.zeros(2, 3, 4, dtype="float64", device=device)
    z[0, :, [1, 2]] = mg.tensor(np.arange(6.0).reshape(3, 2), dtype="float64", device=device)  # the same target
    np.testing.assert_array_equal(z.numpy()[0][:, [1, 2]], np.arange(6.0).reshape(3, 2))
    # a 0-d integer tensor is an integer there too: a view, as torch's x[t] (NumPy's 0-d array index: a copy)
    grid = mg.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    row = grid[mg.tensor(1, device=device)]
    row += 10
    assert grid.tolist() == [[1.0, 2.0], [13.0, 14.0]]
    assert grid[mg.tensor(0, device=device), :, None].shape == (2, 1)
    torch = pytest.importorskip("torch")
    ta = torch.tensor(a)
    for index in [(0, slice(None), [1, 2]), (-1, slice(None, None, 2), [[0], [3]]), (1, 0, None, [3, 0])]:
        ours = x[tuple(mg.tensor(np.array(i), device=device) if isinstance(i, list) else i for i in index)]
        theirs = ta[tuple(torch.tensor(i) if isinstance(i, list) else i for i in index)]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_flip_and_repeat_copy_as_in_torch(device):
    # NumPy's flip is a view, and repeat(2, 1) a reshape of a broadcast view: changing x changed them (and
    # changing them, x), and a change of either counted as a change of the other in backward's check
    x = mg.tensor([1.0, 2.0, 3.0], device=device)
    flipped, rows, same = x.flip(0), x.repeat(2, 1), x.repeat(1)
    x += 10
    assert flipped.tolist() == [3.0, 2.0, 1.0] and same.tolist() == [1.0, 2.0, 3.0]
    assert rows.tolist() == [[1.0, 2.0, 3.0]] * 2
    rows += 1  # not a read-only broadcast view
    flipped += 1
    assert x.tolist() == [11.0, 12.0, 13.0] and x._version == 1
    w = mg.tensor([1.0, 2.0], dtype="float64", device=device, requires_grad=True)
    loss = (w * w).sum()  # Mul keeps w for its backward
    with mg.no_grad():
        w.flip(0).zero_()
        w.repeat(2).zero_()
    loss.backward()  # w itself is unchanged: nothing to refuse
    assert w.grad.tolist() == [2.0, 4.0]
    assert mg.gradcheck(lambda t: t.flip(0).repeat(2, 1) * t, [w])


def test_contiguous_copies_a_transposed_view_and_returns_a_contiguous_tensor_itself(device):
    # it returned self always: y = x.t().contiguous(); y += 1 changed x, where torch's copy leaves x alone
    x = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype="float64", device=device, requires_grad=True)
    assert x.contiguous() is x  # torch returns self when there is nothing to rearrange
    y = x.detach().t().contiguous()
    assert y.data.flags.c_contiguous and y.tolist() == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    y += 1
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]] and x._version == 0
    assert mg.gradcheck(lambda t: t.t().contiguous() * mg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
                                                                 dtype="float64", device=device), [x])


def test_in_place_on_a_view_of_a_parameter_is_refused_as_in_torch(device):
    # inside a graph x += y rebinds x (x = x + y); for a view of a parameter torch refuses, and so must minigan
    # rather than leave the parameter unchanged without a word
    w = mg.tensor([[1.0, 2.0], [3.0, 4.0]], device=device, requires_grad=True)
    for view in (lambda: w[0], lambda: w.T, lambda: w.reshape(-1)[1:]):
        v = view()
        with pytest.raises(RuntimeError, match=r"x \+= \.\.\.: x is a view \(a slice, reshape, transpose...\) of a "
                                               r"leaf tensor that requires grad"):
            v += 1.0
    h = w * 2  # a computed tensor, and what is computed from it, still change as x = x + y
    h += 1.0
    v = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    d = v @ v  # 1-D matmul: a reshape of the product inside, a view of no tensor of the caller's
    d *= 3.0
    d.backward()
    assert v.grad.tolist() == [6.0, 12.0]
    assert w.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_in_place_changes_of_an_expanded_view_are_refused_with_a_clear_error(device):
    # NumPy marks broadcast views read-only, CuPy does not: minigan looks at the strides on either device
    x = mg.tensor([1.0, 2.0], device=device).expand(3, 2)
    for change, what in [(lambda: x.fill_(0.0), "fill_"), (lambda: x.__iadd__(1.0), r"x \+= y"),
                         (lambda: x.clamp_(0.0, 1.0), "clamp_"), (lambda: x.__setitem__(0, 5.0), r"x\[...\] = value")]:
        with pytest.raises(RuntimeError, match=f"{what}: this tensor's memory is read-only \\(an expanded"):
            change()


def test_a_function_used_twice_runs_its_backward_once_per_backward_pass(device):
    # (found by mutation testing) a node reached along two paths is ordered once, after all its users, so its
    # backward runs once with the whole gradient, not once per path with a part of it
    calls = []

    class Square(mg.Function):
        def forward(self, x):
            return x * x

        def backward(self, gy):
            calls.append(1)
            return gy * 2 * self.inputs[0]

    x = mg.tensor([1.5, -2.0], dtype="float64", device=device, requires_grad=True)
    a = Square()(x)
    loss = (a + a.exp()).sum()  # a used directly and through exp: d/dx = (1 + e^(x^2)) 2x
    loss.backward()
    assert len(calls) == 1
    xs = np.array([1.5, -2.0])
    np.testing.assert_allclose(x.grad.numpy(), (1 + np.exp(xs**2)) * 2 * xs, rtol=1e-12)


def test_backward_with_create_graph_keeps_the_graph_and_accumulates_a_differentiable_grad(device):
    # (found by mutation testing) create_graph implies retain_graph, as in torch, and a second backward adds
    # to the recorded .grad instead of replacing it
    x = mg.tensor([2.0], dtype="float64", device=device, requires_grad=True)
    y = x**3
    y.backward(create_graph=True)  # 3x^2 = 12
    (x**2).backward(create_graph=True)  # + 2x = 4
    np.testing.assert_allclose(x.grad.numpy(), [16.0])
    assert x.grad.requires_grad
    gg, = mg.grad(x.grad, x)  # d(3x^2 + 2x)/dx = 6x + 2
    np.testing.assert_allclose(gg.numpy(), [14.0])
    x.grad = None
    y.backward()  # the graph of y survived the create_graph backward
    np.testing.assert_allclose(x.grad.numpy(), [12.0])


def test_grad_fills_no_retained_grad_even_on_the_path_to_its_inputs(device):
    # (found by mutation testing) minigan.grad accumulates nothing, also into a retained intermediate it passes
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    h = x * 3.0
    h.retain_grad()
    g, = mg.grad((h * h).sum(), x)
    np.testing.assert_allclose(g.numpy(), 18.0 * np.array([1.0, 2.0]))  # d(9x^2)/dx
    assert h.grad is None and x.grad is None


def test_clamp_in_place_after_use_is_refused(device):
    # (found by mutation testing) clamp_ counts as an in-place change, as += and fill_ do
    w = mg.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    x = mg.tensor([-1.0, 0.5, 4.0], device=device)
    loss = (w * x).sum()
    x.clamp_(0.0, 1.0)
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_an_output_changed_in_place_before_its_own_backward_is_refused(device):
    # (found by mutation testing) backward from a tensor whose op reads its output (exp's) checks that output too
    x = mg.tensor([0.0, 1.0], device=device, requires_grad=True)
    y = x.exp()
    with mg.no_grad():
        y.fill_(5.0)
    with pytest.raises(RuntimeError, match="Exp: a tensor of shape \\(2,\\) that it used was changed in place"):
        y.backward(mg.ones(2, device=device))


def test_grad_frees_the_graph_unless_asked_to_keep_it(device):
    # (found by mutation testing) as torch.autograd.grad: retain_graph defaults to create_graph
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x * x).sum()
    g, = mg.grad(y, x)
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="a second time"):
        mg.grad(y, x)
    y = (x * x).sum()
    mg.grad(y, x, retain_graph=True)
    g, = mg.grad(y, x)  # kept once: a second call works
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])


def test_grad_hands_back_a_detached_copy_of_a_grad_output_that_requires_grad(device):
    # (found by mutation testing) d(x)/dx with grad_outputs=u is u's values, outside any graph, not u itself
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    u = mg.tensor([3.0, -4.0], device=device, requires_grad=True)
    g, = mg.grad(x, x, grad_outputs=u)
    assert g is not u and not g.requires_grad and u.requires_grad
    np.testing.assert_array_equal(g.numpy(), [3.0, -4.0])


def test_inference_mode_false_records_a_graph():
    # (found by mutation testing) inference_mode(False) is not a no_grad
    x = mg.ones(2, requires_grad=True)
    with mg.inference_mode(False):
        assert mg.is_grad_enabled() and (x * 2).requires_grad
    with mg.inference_mode():
        assert not (x * 2).requires_grad
    assert mg.is_grad_enabled()


def test_a_plain_backward_runs_without_recording_and_create_graph_records(device):
    # (found by mutation testing) as torch: grad mode is off inside backward() unless create_graph=True
    seen = []

    class Double(mg.Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            seen.append(mg.is_grad_enabled())
            return gy * 2

    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    Double()(x).sum().backward()
    Double()(x).sum().backward(create_graph=True)
    assert seen == [False, True]
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_an_op_handing_back_its_input_array_shares_its_count_of_in_place_changes(device):
    # (found by mutation testing) an output that is its input's very memory counts that input's in-place changes
    class Same(mg.Function):
        def forward(self, x):
            return x

        def backward(self, gy):
            return gy

    w = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    x = mg.tensor([3.0, 4.0], device=device)
    loss = (w * x).sum()
    same = Same()(x)
    same += 1.0  # changes x's memory
    np.testing.assert_array_equal(x.numpy(), [4.0, 5.0])
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_a_retained_grad_under_create_graph_is_differentiable(device):
    # (found by mutation testing) as torch: with create_graph, a retained intermediate's .grad has a graph too
    x = mg.tensor([1.5, -2.0], dtype="float64", device=device, requires_grad=True)
    h = x * x
    h.retain_grad()
    (h * h).sum().backward(create_graph=True)  # dL/dh = 2h = 2x^2
    np.testing.assert_allclose(h.grad.numpy(), 2 * np.array([1.5, -2.0]) ** 2)
    assert h.grad.requires_grad
    g, = mg.grad(h.grad.sum(), x)  # d(2x^2)/dx = 4x
    np.testing.assert_allclose(g.numpy(), [6.0, -8.0])


def test_grad_refuses_an_input_that_does_not_require_grad_even_with_allow_unused(device):
    # (found by mutation testing) as torch: such an input is an error, not an unused input
    x = mg.tensor([1.0, 2.0], device=device, requires_grad=True)
    c = mg.tensor([1.0, 2.0], device=device)
    y = (x * c).sum()
    with pytest.raises(RuntimeError, match="every input must have requires_grad=True"):
        mg.grad(y, [x, c], allow_unused=True)


def test_0d_tensors_keep_their_dtype_in_ops_that_use_python_numbers(device):
    # NumPy 1 promotes a 0-d array and a Python number by kind alone (0-d float32 * 2 is float64, 0-d int32
    # max 0 is int64): ops write such numbers in forward and backward, so a 0-d float32 became float64 there
    x = mg.tensor(np.float32(1.5), device=device, requires_grad=True)
    for y in (mg.relu(x), x ** 2.5, mg.leaky_relu(x, 0.2), mg.maximum(x, mg.tensor(np.float32(1.5), device=device)),
              mg.clamp(x, 0.0, 1.0), mg.sqrt(x), mg.sigmoid(x) * 2):
        assert y.dtype == np.float32, y
        (g,) = mg.autograd.grad(y, [x])
        assert g.dtype == np.float32
    n = mg.tensor(np.int32(3), device=device)
    u = mg.tensor(np.uint8(3), device=device)
    assert mg.relu(n).dtype == np.int32 and (n ** 1).dtype == np.int32 and mg.clamp(u, 4, 5).dtype == np.uint8
    assert (2 ** u).dtype == np.uint8 and (2 ** u).item() == 8 and (n ** 2.5).dtype == np.float32
    assert mg.clamp(u, -1, 300).tolist() == 3  # bounds that do not fit uint8 clip by value, never wrapped


def test_a_function_without_forward_or_backward_says_which_and_what_to_write(device):
    # (found by line coverage: the base stubs raised a NotImplementedError without a word) a learner's op with
    # a misspelled method, as lesson 2 has them write one
    class Square(mg.Function):
        def foward(self, x):  # (sic)
            return x * x

        def backward(self, gy):
            return gy * 2.0 * self.inputs[0]

    class Cube(mg.Function):
        def forward(self, x):
            return x * x * x

    x = mg.tensor([1.5, -2.0], device=device, requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"Square has no forward: .*forward\(self, x, \.\.\.\)"):
        Square()(x)
    y = Cube()(x).sum()
    with pytest.raises(NotImplementedError, match=r"Cube has no backward: .*backward\(self, gy\).*self\.inputs"):
        y.backward()
