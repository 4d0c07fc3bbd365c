"""Writes to a module's weights outside the graph (nn.init, load_state_dict, state_dict tensors, .to) and the
mistakes around them: each write counts as an in-place change, as in torch, so a graph that used the old values
refuses to backpropagate instead of giving the gradient of values that are no longer there.

Tests that compute take the `device` fixture (tests/conftest.py); argument checks stay on the CPU.
"""

import gc
import weakref

import numpy as np
import pytest

import minigan as mg
from minigan import nn

CHANGED = "changed in place"  # what the refusal of a stale graph says (autograd's _changed_in_place)

INITS = {  # each takes the library's nn.init, so that the same call runs in torch
    "normal_": lambda init, w: init.normal_(w, 0.0, 0.02),
    "uniform_": lambda init, w: init.uniform_(w, -1.0, 1.0),
    "constant_": lambda init, w: init.constant_(w, 0.5),
    "zeros_": lambda init, w: init.zeros_(w),
    "ones_": lambda init, w: init.ones_(w),
    "xavier_uniform_": lambda init, w: init.xavier_uniform_(w),
    "xavier_normal_": lambda init, w: init.xavier_normal_(w),
    "kaiming_uniform_": lambda init, w: init.kaiming_uniform_(w),
    "kaiming_normal_": lambda init, w: init.kaiming_normal_(w),
    "eye_": lambda init, w: init.eye_(w),
    "orthogonal_": lambda init, w: init.orthogonal_(w),
    "trunc_normal_": lambda init, w: init.trunc_normal_(w, std=0.02),
}


@pytest.mark.parametrize("name", sorted(INITS))
def test_an_init_between_forward_and_backward_is_refused_as_in_torch(name, device):
    p = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, device=device)
    y = (p * p).sum()
    assert INITS[name](nn.init, p) is p
    with pytest.raises(RuntimeError, match=CHANGED):  # the gradient 2p would be of the new values
        y.backward()
    q = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, device=device)
    INITS[name](nn.init, q)  # before the forward pass, as a model is initialised: nothing to refuse
    (q * q).sum().backward()
    np.testing.assert_allclose(q.grad.numpy(), 2 * q.numpy())
    torch = pytest.importorskip("torch")
    t = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    ty = (t * t).sum()
    INITS[name](torch.nn.init, t)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):  # torch refuses the same graph
        ty.backward()


def test_load_state_dict_writes_into_the_weights_and_counts_the_change(device):
    model = nn.Linear(2, 2).to(device)
    weight, before = model.weight, model.state_dict()["weight"]
    x = mg.ones(3, 2, requires_grad=True, device=device)
    y = model(x).sum()
    other = nn.Linear(2, 2)
    model.load_state_dict(other.state_dict())
    assert model.weight is weight and weight.device == device
    np.testing.assert_array_equal(before.numpy(), other.weight.numpy())  # the same memory, as in torch
    with pytest.raises(RuntimeError, match=CHANGED):  # x.grad would come from the loaded weights
        y.backward()
    model(x).sum().backward()  # a graph made after loading is fine
    np.testing.assert_allclose(x.grad.numpy(), np.tile(other.weight.numpy().sum(0), (3, 1)), rtol=1e-6)


def test_a_change_through_a_state_dict_tensor_is_counted(device):
    model = nn.Linear(2, 2).to(device)
    y = model(mg.ones(3, 2, requires_grad=True, device=device)).sum()
    saved = model.state_dict()
    with mg.no_grad():
        saved["weight"] += 1.0  # the same memory as the weight, and the same count of changes
    np.testing.assert_array_equal(saved["weight"].numpy(), model.weight.numpy())
    assert not saved["weight"].requires_grad
    with pytest.raises(RuntimeError, match=CHANGED):
        y.backward()


def test_a_cast_between_forward_and_backward_is_refused_and_a_no_op_is_not(device):
    model = nn.Linear(2, 2).to(device)
    x = mg.ones(3, 2, requires_grad=True, device=device)
    y = model(x).sum()
    model.float().to(device)  # already float32 and there: the same arrays
    y.backward(retain_graph=True)
    model.double()  # new float64 arrays: x.grad would come out float64 from a float32 x
    with pytest.raises(RuntimeError, match=CHANGED):
        y.backward()
    assert model.weight.dtype == np.float64 and model.weight.grad.dtype == np.float64


def test_to_refuses_dtypes_that_are_not_floating_as_torch_does():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    weight = model[0].weight.numpy().copy()
    for dtype in ("int64", mg.long, "bool", bool, np.int32, "float128", np.longdouble, "floaty"):
        with pytest.raises(TypeError, match=r"Sequential.to: a module only takes floating dtypes \(minigan.float32, "
                                            r"float64 or float16\), got \w+; an integer or bool weight would be "
                                            "truncated"):
            model.to(dtype)
    with pytest.raises(TypeError, match="only takes floating dtypes"):
        model.to("cpu", "int64")
    np.testing.assert_array_equal(model[0].weight.numpy(), weight)  # nothing changed
    assert model[0].weight.dtype == np.float32 and model[1].num_batches_tracked.dtype == np.int64
    model.to(mg.float64).to("float16")
    assert model[0].weight.dtype == np.float16 and model[1].num_batches_tracked.dtype == np.int64
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="only accepts floating point"):  # torch refuses them too
        torch.nn.Linear(2, 2).to(torch.int64)


def test_zero_grad_without_set_to_none_lets_a_create_graph_gradient_go(device):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).to(device)
    for _ in range(2):  # the first iteration's graph must not survive into the second
        model.zero_grad(set_to_none=False)
        (model(mg.ones(5, 3, device=device)) ** 2).sum().backward(create_graph=True)
    grad = model[0].weight.grad
    assert grad.grad_fn is not None  # the gradient is itself in a graph (for a penalty on it)
    graph = weakref.ref(grad.grad_fn)
    model.zero_grad(set_to_none=False)
    del grad
    gc.collect()
    assert graph() is None  # kept alive by the zeroed gradient, the graphs piled up, one per iteration
    for p in model.parameters():
        assert p.grad.grad_fn is None and not p.grad.requires_grad and p.grad.device == device
        np.testing.assert_array_equal(p.grad.numpy(), np.zeros(p.shape))
    plain = model[2].bias.grad
    model(mg.ones(5, 3, device=device)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert model[2].bias.grad is plain and plain.numpy().tolist() == [0.0]  # a plain gradient is zeroed in place


def test_requires_grad_false_freezes_every_parameter_and_true_unfreezes_them(device):
    # the GAN's idiom: D frozen during G's step still passes the gradient through to its input
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1)).to(device)
    assert model.requires_grad_(False) is model
    assert [p.requires_grad for p in model.parameters()] == [False] * 6
    x = mg.ones(5, 3, device=device, requires_grad=True)
    model(x * mg.tensor(np.arange(1.0, 6.0).reshape(5, 1), dtype="float32", device=device)).sum().backward()
    assert all(p.grad is None for p in model.parameters()) and x.grad is not None
    assert not model(mg.ones(5, 3, device=device)).requires_grad  # nothing left to differentiate
    model.requires_grad_()
    assert [p.requires_grad for p in model.parameters()] == [True] * 6
    model(mg.ones(5, 3, device=device)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_load_state_dict_of_the_wrong_kind_of_object_says_what_it_expects():
    model = nn.Linear(2, 2)
    opt = mg.optim.Adam(model.parameters())
    for wrong, hint in (
        ("ckpt.npz", r"got str: load the file first, model.load_state_dict\(minigan.load\('ckpt.npz'\)\)"),
        (None, r"got NoneType: as model.state_dict\(\) or minigan.load\(path\) returns"),
        ([model.weight], "got list"),
    ):
        with pytest.raises(TypeError, match=rf"Linear.load_state_dict expects a dict of name -> tensor or array; "
                                            rf"{hint}"):
            model.load_state_dict(wrong)
    with pytest.raises(TypeError, match=r"Linear.load_state_dict: got an optimizer's state_dict \(keys 'state' and "
                                        r"'param_groups'\); give it to optimizer.load_state_dict"):
        model.load_state_dict(opt.state_dict())


def test_init_values_that_are_not_numbers_are_named():
    w = nn.Linear(3, 2).weight
    before = w.numpy().copy()
    for fill, message in [
        (lambda: nn.init.constant_(w, None), "constant_: val must be a number, got NoneType None"),  # was NaN
        (lambda: nn.init.normal_(w, "a"), "normal_: mean must be a number, got str 'a'"),
        (lambda: nn.init.normal_(w, 0.0, None), "normal_: std must be a number, got NoneType"),
        (lambda: nn.init.uniform_(w, "a", "b"), "uniform_: a must be a number, got str 'a'"),
        (lambda: nn.init.trunc_normal_(w, std="0.02"), "trunc_normal_: std must be a number, got str"),
    ]:
        with pytest.raises(TypeError, match=message):
            fill()
    np.testing.assert_array_equal(w.numpy(), before)
    nn.init.constant_(w, mg.tensor(0.25))  # a one-element tensor is a value, as in torch
    nn.init.constant_(w.data, np.float32(0.25))
    assert w.numpy().tolist() == [[0.25] * 3] * 2


def test_spectral_norm_refuses_no_power_iterations_as_torch_does():
    for n in (0, -1):
        with pytest.raises(ValueError, match=rf"spectral_norm: n_power_iterations must be a whole number > 0, got {n}"):
            nn.utils.spectral_norm(nn.Linear(3, 3), n_power_iterations=n)  # with 0, sigma was never estimated
    torch = pytest.importorskip("torch")
    for n in (0, -1):
        with pytest.raises(ValueError, match="n_power_iterations to be positive"):
            torch.nn.utils.spectral_norm(torch.nn.Linear(3, 3), n_power_iterations=n)


def test_clipping_refuses_a_negative_bound_and_a_model_passed_whole():
    model = nn.Linear(2, 2)
    model(mg.ones(1, 2)).sum().backward()
    grad = model.weight.grad.numpy().copy()
    with pytest.raises(ValueError, match="clip_grad_value_: clip_value must be a number >= 0, got -1.0"):
        nn.utils.clip_grad_value_(model.parameters(), -1.0)  # would set every entry to -1: every sign flipped
    np.testing.assert_array_equal(model.weight.grad.numpy(), grad)
    for clip in (lambda p: nn.utils.clip_grad_norm_(p, 1.0), lambda p: nn.utils.clip_grad_value_(p, 1.0)):
        with pytest.raises(TypeError, match=r"clip_grad_\w+_: got the module Linear itself; pass its parameters, "
                                            r"clip_grad_\w+_\(model.parameters\(\), ...\)"):
            clip(model)
        with pytest.raises(TypeError, match=r"clip_grad_\w+_: got the method 'parameters' itself; call it"):
            clip(model.parameters)


def test_clip_grad_norm_refuses_gradients_on_two_devices(device):
    if device == "cpu":
        pytest.skip("needs a second device: runs as the cuda case (on a GPU, or through tests/fake_cupy)")
    here, there = mg.zeros(2, requires_grad=True), mg.zeros(2, requires_grad=True, device=device)
    here.grad, there.grad = mg.ones(2), mg.ones(2, device=device)
    with pytest.raises(RuntimeError, match=r"clip_grad_norm_: the gradients are on several devices \(cpu, cuda\); "
                                           r"move the whole model to one device first, model.to\(device\)"):
        nn.utils.clip_grad_norm_([here, there], 1.0)
    assert here.grad.numpy().tolist() == there.grad.numpy().tolist() == [1.0, 1.0]
