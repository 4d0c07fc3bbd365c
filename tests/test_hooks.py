"""Tensor.register_hook, backward(inputs=...), minigan.autograd.backward and detach_, against torch.

Most tests are one scenario written once and run through both libraries (``both``): the same
code, with ``lib`` minigan or torch, must see the same gradients, in float64, and call the hooks
with the same values. Tests that compute take the `device` fixture (tests/conftest.py); torch
runs on the CPU.
"""

import copy

import numpy as np
import pytest

import minigan
import minigan.autograd as autograd
import minigan.nn as nn


def both(scenario, device):
    """Run scenario(lib, leaf) with minigan and with torch; check that they return the same values.

    `leaf(values)` makes a float64 leaf that requires grad; the scenario returns a list of tensors
    (either library's), Nones and plain values.
    """
    torch = pytest.importorskip("torch")
    ours = scenario(minigan, lambda values: minigan.tensor(values, dtype="float64", device=device, requires_grad=True))
    theirs = scenario(torch, lambda values: torch.tensor(values, dtype=torch.float64, requires_grad=True))
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if b is None or isinstance(b, (bool, int, float)):
            assert a == b, f"item {i}: {a} here, {b} in torch"
        else:
            assert a is not None, f"item {i}: None here, {b} in torch"
            np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().numpy(), rtol=1e-12, err_msg=f"item {i}")
    return ours


def test_a_non_leafs_hook_runs_once_with_the_gradient_summed_over_its_uses(device):
    def scenario(lib, leaf):
        x = leaf([1.0, 2.0])
        y = x * 2
        seen = []
        y.register_hook(lambda g: seen.append(g.clone()))
        (y * 3 + y * 5 * x).sum().backward()
        return [len(seen), *seen, x.grad]

    both(scenario, device)


def test_a_leafs_hook_sees_its_whole_gradient_before_grad_accumulates_it(device):
    def scenario(lib, leaf):
        x = leaf([1.0, -2.0])
        x.grad = x.detach() * 10  # what an earlier backward left: the hook does not see it
        seen = []
        x.register_hook(lambda g: seen.append(g.clone()) or g * 2)
        (x * x + 3 * x).sum().backward()
        return [len(seen), *seen, x.grad]

    both(scenario, device)


def test_hooks_run_in_the_order_registered_and_what_they_return_flows_on(device):
    def scenario(lib, leaf):
        x = leaf([1.0, 2.0])
        y = x * x
        y.register_hook(lambda g: None)  # None keeps the gradient, for the hooks after it
        y.register_hook(lambda g: g + 1)
        y.register_hook(lambda g: g * 10)  # sees g + 1
        x.register_hook(lambda g: g - 0.5)  # sees 2x(g + 1) * 10
        (y * y).sum().backward()
        return [x.grad]

    ours = both(scenario, device)
    # dL/dy = 2y = 2x^2, then (+ 1) * 10, then dy/dx = 2x, then - 0.5
    np.testing.assert_allclose(ours[0].numpy(), [(2 * 1 + 1) * 10 * 2 * 1 - 0.5, (2 * 4 + 1) * 10 * 2 * 2 - 0.5])


@pytest.mark.parametrize("retain_first", [True, False])
def test_a_retained_grad_is_the_hooks_result_whichever_came_first(device, retain_first):
    def scenario(lib, leaf):
        x = leaf([1.0, 2.0])
        y = x * 2
        if retain_first:
            y.retain_grad()
        y.register_hook(lambda g: g * 10)
        if not retain_first:
            y.retain_grad()
        (y * x).sum().backward()
        return [y.grad, x.grad]

    both(scenario, device)


def test_a_hook_on_the_tensor_backward_starts_from_sees_the_seed(device):
    def scenario(lib, leaf):
        x = leaf([1.0, 2.0])
        y = x * 2
        y.register_hook(lambda g: g * 3)
        y.backward(lib.ones_like(y) * 0.5)
        z = leaf([4.0])
        z.register_hook(lambda g: g * 7)
        z.backward(lib.ones_like(z))  # a leaf as the root
        return [x.grad, z.grad]

    both(scenario, device)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")  # torch's
def test_with_create_graph_a_hooks_result_is_part_of_the_graph(device):
    def scenario(lib, leaf):
        x = leaf([1.0, 2.0])
        y = x ** 2
        y.register_hook(lambda g: g * y)  # a hook that depends on x
        (gx,) = lib.autograd.grad(y.sum(), x, create_graph=True)  # y * 2x
        (ggx,) = lib.autograd.grad(gx.sum(), x)  # 2y, and through y, whose hook runs again: (2x * y) * 2x
        w = leaf([0.5, -1.5])
        w.register_hook(lambda g: g * w)
        (w ** 3).sum().backward(create_graph=True)  # w.grad = 3w^2 * w, with a graph
        (gw,) = lib.autograd.grad(w.grad.sum(), w)  # 9w^2
        return [gx, ggx, w.grad, gw]

    ours = both(scenario, device)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(ours[1].numpy(), 2 * x ** 2 + 4 * x ** 4)


def test_without_create_graph_a_hooks_result_has_no_graph():
    w = minigan.tensor([2.0], requires_grad=True)
    x = minigan.tensor([1.0, 3.0], requires_grad=True)
    x.register_hook(lambda g: g * w)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 12.0])
    assert not x.grad.requires_grad and w.grad is None  # (torch: the same)


def test_gradcheck_of_a_gradient_shaped_by_a_hook():
    # the hooked gradient 2x * x^2 = 2x^3, differentiated by autograd, against finite differences: 6x^2
    def hooked_gradient(x):
        with minigan.enable_grad():  # (gradcheck's finite differences call this under no_grad)
            y = x ** 2
            handle = y.register_hook(lambda g: g * y)
            (g,) = minigan.grad(y.sum(), x, create_graph=True)
            handle.remove()  # else it would run again when gradcheck differentiates g (through y)
        return g

    x = minigan.tensor([0.3, -1.2, 2.0], dtype="float64", requires_grad=True)
    np.testing.assert_allclose(hooked_gradient(x).detach().numpy(), 2 * x.numpy() ** 3, rtol=1e-12)
    assert minigan.gradcheck(hooked_gradient, (x,))


def test_autograd_grad_runs_the_hooks_on_its_way_as_torch(device):
    def scenario(lib, leaf):
        a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
        calls = []
        a.register_hook(lambda g: g * 2)  # an input's own hook: what grad returns for it is the result
        b.register_hook(lambda g: calls.append("b"))  # not an input, not on the way: never called
        y = a * b
        y.register_hook(lambda g: g * 10)
        (ga,) = lib.autograd.grad((y * 3).sum(), a, retain_graph=True)
        # y as an input: its hook runs; torch's capture takes y's gradient before y's hook when the
        # backward goes on through y (to a), after it when it stops there
        gy_alone = lib.autograd.grad((y * y).sum(), y, retain_graph=True)
        gy_and_a = lib.autograd.grad((y * 3).sum(), [y, a])
        return [ga, *gy_alone, *gy_and_a, len(calls), a.grad, b.grad]

    both(scenario, device)


def test_autograd_grad_from_a_hooked_output_that_does_not_reach_the_input_as_torch(device):
    def scenario(lib, leaf):
        x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
        calls = []
        z = (w * 2).sum()
        z.register_hook(lambda g: calls.append(g.item()))  # torch runs the root's hook all the same
        return [*lib.autograd.grad(z, x, allow_unused=True), calls == [1.0]]

    both(scenario, device)


def test_backward_with_inputs_accumulates_into_those_only(device):
    def scenario(lib, leaf):
        a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
        calls = []
        b.register_hook(lambda g: calls.append("b"))  # b is left out: its hook is not called
        y = a * b
        y.retain_grad()  # on the way to a: retained as usual
        (y * 2 + a * a).sum().backward(inputs=[a])
        (a * b).sum().backward(inputs=b)  # one tensor, not a list
        (a * 3).sum().backward(inputs=[a, a])  # listed twice: accumulated once
        return [a.grad, b.grad, y.grad, len(calls)]

    both(scenario, device)


def test_backward_with_a_computed_tensor_as_input_retains_its_grad_as_torch(device):
    def scenario(lib, leaf):
        a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
        w = a * b
        w.register_hook(lambda g: g * 10)
        (w * w).sum().backward(inputs=[w], retain_graph=True)  # the backward stops at w
        first = w.grad.clone()
        (w * w).sum().backward(retain_graph=True)  # torch made w retain its grad: it accumulates now too
        v = a * b
        v.register_hook(lambda g: g * 10)
        (v * 2).sum().backward(inputs=[v, a])  # goes on through v to a
        return [first, w.grad, w.retains_grad, v.grad, a.grad, b.grad]

    both(scenario, device)


def test_autograd_backward_sums_several_roots(device):
    def scenario(lib, leaf):
        a, b = leaf([1.0, 2.0]), leaf([3.0, -1.0])
        lib.autograd.backward([(a * b).sum(), a * a], [None, lib.ones_like(a) * 0.5])
        first = [a.grad.clone(), b.grad.clone()]
        lib.autograd.backward((a ** 3).sum(), create_graph=True)  # retain_graph follows create_graph
        (g2,) = lib.autograd.grad(a.grad.sum(), a)
        lib.autograd.backward([])  # nothing to do
        return [*first, a.grad, g2]

    both(scenario, device)


def test_autograd_backward_and_backward_refuse_bad_arguments_clearly():
    a = minigan.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="backward: 2 tensors but 1 grad_tensors"):
        autograd.backward([a * 2, a * 3], [minigan.ones(2)])
    with pytest.raises(TypeError, match=r"backward: tensors\[1\] is not a minigan Tensor but a builtins.float"):
        autograd.backward([a.sum(), 1.0])
    with pytest.raises(RuntimeError, match="backward: inputs is empty"):
        (a * 2).sum().backward(inputs=[])
    with pytest.raises(TypeError, match=r"backward: inputs\[1\] is not a minigan Tensor"):
        (a * 2).sum().backward(inputs=[a, np.ones(2)])
    with pytest.raises(RuntimeError, match=r"backward: inputs\[0\] does not require grad"):
        (a * 2).sum().backward(inputs=[minigan.ones(2)])
    with pytest.raises(RuntimeError, match="grad_tensors and grad_variables"):
        autograd.backward(a * 2, minigan.ones(2), grad_variables=minigan.ones(2))
    assert a.grad is None  # every refusal came before any accumulation
    with pytest.warns(FutureWarning, match="grad_variables is deprecated"):  # torch's old name still works
        autograd.backward(a * 2, grad_variables=minigan.ones(2))
    np.testing.assert_allclose(a.grad.numpy(), [2.0, 2.0])


def test_backward_retain_graph_defaults_to_create_graph_as_torch():
    x = minigan.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = (x ** 3).sum()
    y.backward(create_graph=True)  # retained by default
    y.backward(create_graph=True, retain_graph=False)  # freed, as torch's, although create_graph is set
    with pytest.raises(RuntimeError, match="backward through a graph a second time"):
        y.backward()


def test_register_hook_refuses_what_torch_refuses_and_a_non_function():
    with pytest.raises(RuntimeError, match="register_hook: this tensor does not require grad"):
        minigan.ones(2).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="register_hook: this tensor does not require grad"):
        minigan.tensor([1, 2]).register_hook(lambda g: g)
    x = minigan.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="register_hook: hook must be a function.*got a float"):
        x.register_hook(2.0)


@pytest.mark.parametrize("returned, error, words", [
    (lambda g: g[:1], RuntimeError, r"returned a gradient of shape \(1,\), float32 on 'cpu' for one of shape \(2,\)"),
    (lambda g: g.double(), RuntimeError, r"returned a gradient of shape \(2,\), float64 .* for one .* float32"),
    (lambda g: g.numpy(), TypeError, "returned a numpy.ndarray; a hook returns None"),
])
@pytest.mark.parametrize("leaf", [True, False])
def test_a_hook_returning_a_wrong_gradient_is_a_clear_error_naming_it(returned, error, words, leaf):
    def rescale(g):
        return returned(g)

    x = minigan.ones(2, requires_grad=True)
    hooked = x if leaf else x * 3
    hooked.register_hook(rescale)
    with pytest.raises(error, match=f"hook 'test_a_hook_returning.*<locals>.rescale' .*{words}"):
        (hooked * 2).sum().backward()
    assert x.grad is None


def test_a_handle_removes_its_hook_and_a_hook_may_remove_itself_as_torch(device):
    def scenario(lib, leaf):
        x = leaf([1.0])
        handles = []

        def once(g):
            handles[0].remove()
            return g * 2

        handles.append(x.register_hook(once))
        x.register_hook(lambda g: g + 1)
        gone = x.register_hook(lambda g: g * 1000)
        gone.remove()
        gone.remove()  # a second time: nothing
        (x * 1).sum().backward()  # once, then + 1: 3
        first = x.grad.clone()
        (x * 1).sum().backward()  # + 1 only: 3 + 2
        return [first, x.grad]

    both(scenario, device)


def test_a_hook_that_holds_its_own_tensor_does_not_keep_it_alive():
    # the hooks live on the tensor: a cycle through a hook is garbage like any other
    import gc
    import weakref

    x = minigan.ones(2, requires_grad=True)
    x.register_hook(lambda g: g * x)
    gone = weakref.ref(x)
    del x
    gc.collect()
    assert gone() is None


def test_copies_carry_no_hooks_as_torch(device):
    def scenario(lib, leaf):
        x = leaf([1.0, 2.0])
        x.register_hook(lambda g: g * 100)
        d = x.detach().requires_grad_()
        (d * 1).sum().backward()
        (x.clone() * 1).sum().backward()  # a clone has no hooks, but is in the graph: x's own hook runs
        through_clone = x.grad
        x.grad = None
        copied = copy.deepcopy(x)
        (copied * 1).sum().backward()
        return [d.grad, through_clone, x.grad, copied.grad]

    both(scenario, device)


def test_a_modules_copies_and_state_dict_carry_no_hooks():
    model = nn.Linear(2, 1)
    model.weight.register_hook(lambda g: g * 0)
    twin = copy.deepcopy(model)  # as an EMA copy of a generator is made
    state = model.state_dict()
    other = nn.Linear(2, 1)
    other.load_state_dict(state)
    x = minigan.tensor([[1.0, 2.0]])
    for m in (model, twin, other):
        m(x).sum().backward()
    assert not model.weight.grad.numpy().any()  # the hook zeroes the original's gradient only
    np.testing.assert_allclose(twin.weight.grad.numpy(), [[1.0, 2.0]])
    np.testing.assert_allclose(other.weight.grad.numpy(), [[1.0, 2.0]])
    (state["weight"] * 1).sum()  # a state_dict tensor does not require grad: no hook could even be registered
    assert not state["weight"].requires_grad


def test_detach_in_place_makes_a_leaf_as_torch(device):
    def scenario(lib, leaf):
        x = leaf([1.0, 2.0])
        y = x * 2
        (y * y).sum().backward()  # as truncated backpropagation does: a backward pass, then detach_ the state
        same = y.detach_() is y
        (y * x).sum().backward()  # y is a constant now
        p = leaf([3.0])
        p.register_hook(lambda g: g * 100)
        p.detach_()
        flags = [same, y.requires_grad, y.is_leaf, y.grad_fn is None, p.requires_grad, p.is_leaf]
        p.requires_grad_()
        (p * 1).sum().backward()  # torch keeps a leaf's hooks through detach_
        x.detach().detach_()  # a detach()ed tensor is no view: allowed
        return [*flags, x.grad, p.grad]

    both(scenario, device)


@pytest.mark.parametrize("view", [lambda y: y[0:1], lambda y: y.reshape(2, 1), lambda y: y.t(), lambda y: y.view(-1)])
def test_detach_in_place_refuses_a_view_in_the_graph_as_torch(view):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="view"):  # (torch's own refusal, so the two stay in step)
        view(torch.ones(2, 1, requires_grad=True).reshape(1, 2) * 2).detach_()
    y = view(minigan.ones(2, 1, requires_grad=True).reshape(1, 2) * 2)
    with pytest.raises(RuntimeError, match=r"detach_: this tensor is a view of another one \(made by <.*>\).*"
                                           r"use y = x.detach\(\) instead"):
        y.detach_()
    assert y.requires_grad and not y.is_leaf


def test_detach_in_place_refuses_a_computed_tensor_whose_graph_is_still_there():
    # torch's graphs built from y keep their edge to y's grad_fn: there (y * 3).sum().backward() after
    # y.detach_() still reaches x. minigan's reach x through y itself, so they would lose x without a word
    x = minigan.ones(2, requires_grad=True)
    y = x * 2
    z = (y * 3).sum()
    with pytest.raises(RuntimeError, match=r"detach_: this tensor was computed \(by <Mul>\) and its graph is still "
                                           r"there.*write y = y.detach\(\) for a new leaf"):
        y.detach_()
    z.backward(retain_graph=True)  # a retained graph is still there
    with pytest.raises(RuntimeError, match="its graph is still there"):
        y.detach_()
    assert y.requires_grad and y.grad_fn is not None
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
    z.backward()  # freed now
    assert y.detach_() is y and y.is_leaf and not y.requires_grad
