"""minigan.nn: registration order, PyTorch names, state dicts, Linear, and a real training run.

Tests that compute (forward, backward, loading values, training) take the
`device` fixture (tests/conftest.py): modules are built as usual and moved
with ``.to(device)``; inputs are drawn on the host, then put on the device.
Naming and registration tests compute nothing and stay on the CPU.
"""

import contextlib
import math
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import minigan as mg
from minigan import nn, optim
from minigan.nn import functional as F
from torch_peer import as_this_torch_prints, norms_take_bias


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.zeta = nn.Linear(3, 4)  # defined first, though it sorts last
        self.alpha = nn.Linear(4, 2, bias=False)
        self.scale = nn.Parameter(mg.ones(2))
        self.register_buffer("count", mg.zeros(1))

    def forward(self, x):
        return self.alpha(mg.relu(self.zeta(x))) * self.scale


def test_parameters_come_in_definition_order_with_torch_names():
    names = [n for n, _ in Block().named_parameters()]
    assert names == ["scale", "zeta.weight", "zeta.bias", "alpha.weight"]
    # own parameters first, then children in definition order -- the same on every run
    assert names == [n for n, _ in Block().named_parameters()]
    assert list(Block().state_dict()) == ["scale", "count", "zeta.weight", "zeta.bias", "alpha.weight"]


def test_submodules_parameters_and_buffers_by_dotted_path_as_in_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.BatchNorm1d(3), nn.ReLU()))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.BatchNorm1d(3), torch.nn.ReLU()))
    for path in ["", "0", "1", "1.1"]:
        assert type(ours.get_submodule(path)).__name__ == type(theirs.get_submodule(path)).__name__
    assert ours.get_parameter("1.0.weight") is ours[1][0].weight and ours.get_buffer("1.0.running_var") is ours[1][0].running_var
    for recurse in (True, False):
        for method in ("named_parameters", "named_buffers"):
            assert [n for n, _ in getattr(ours[1], method)(recurse=recurse)] == \
                   [n for n, _ in getattr(theirs[1], method)(recurse=recurse)]
        assert len(list(ours.parameters(recurse))) == len(list(theirs.parameters(recurse)))
    for call, message in [
        (lambda: ours.get_submodule("1.2"), r"get_submodule\('1.2'\): '1' \(Sequential\) has no child '2'; its "
                                            r"children are 0, 1"),
        (lambda: ours.get_submodule("x"), r"Sequential has no child 'x'; its children are 0, 1"),
        (lambda: ours.get_parameter("1.0.running_mean"), r"BatchNorm1d has no parameter 'running_mean'; its "
                                                          r"parameters are weight, bias"),
        (lambda: ours.get_buffer("0.weight"), r"get_buffer\('0.weight'\): Linear has no buffer 'weight'; its "
                                              r"buffers are none"),
    ]:
        with pytest.raises(AttributeError, match=message):
            call()


def test_register_parameter_and_register_module_as_in_torch():
    m = nn.Module()
    m.register_parameter("w", nn.Parameter(mg.ones(2)))
    m.register_module("body", nn.Linear(2, 1))
    assert [n for n, _ in m.named_parameters()] == ["w", "body.weight", "body.bias"]
    with pytest.raises(TypeError, match=r"Module.register_parameter\('v'\): expected an nn.Parameter, got Tensor; "
                                        r"wrap a tensor as nn.Parameter\(t\)"):
        m.register_parameter("v", mg.ones(2))


def test_a_buffer_registered_not_persistent_is_moved_but_not_saved_as_in_torch(device):
    torch = pytest.importorskip("torch")
    ours, theirs = Block(), torch.nn.Module()
    ours.register_buffer("mask", mg.ones(2), persistent=False)
    theirs.register_buffer("count", torch.zeros(1))
    theirs.register_buffer("mask", torch.ones(2), persistent=False)
    assert "mask" not in ours.state_dict() and list(theirs.state_dict()) == ["count"]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()] == ["count", "mask"]
    assert ours.to(device).mask.device == device  # still a buffer: .to() moves it
    missing, unexpected = Block().load_state_dict(ours.state_dict())  # and loading does not ask for it
    assert missing == unexpected == []
    ours.register_buffer("mask", mg.ones(2))  # registered again, persistent: saved again
    assert "mask" in ours.state_dict()


def test_sequential_state_dict_keys():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [type(m).__name__ for m in model.children()] == ["Linear", "ReLU", "Linear"]
    assert len(list(model.modules())) == 4
    assert isinstance(model[2], nn.Linear) and len(model) == 3
    tail = model[1:]  # a slice is a Sequential of the same layers, with their names, as in PyTorch
    assert isinstance(tail, nn.Sequential) and tail[1] is model[2]
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]
    x = mg.randn(4, 3)
    np.testing.assert_array_equal(tail(x).numpy(), model[2](model[1](x)).numpy())


def test_sequential_with_ordered_dict_and_nested_names():
    model = nn.Sequential(OrderedDict(body=nn.Sequential(nn.Linear(2, 2), nn.Tanh()), head=nn.Linear(2, 1)))
    assert list(model.state_dict()) == ["body.0.weight", "body.0.bias", "head.weight", "head.bias"]


def test_parameters_match_named_parameters_and_are_not_repeated():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)  # weight tying: the same layer twice
    params = list(model.parameters())
    assert len(params) == 2
    assert [id(p) for p in params] == [id(p) for _, p in model.named_parameters()]


def test_train_and_eval_reach_every_submodule():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_module_needs_super_init():
    class Bad(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super"):
        Bad()


def test_zero_grad_and_reassignment(device, rng):
    model = Block().to(device)
    model(mg.tensor(rng.standard_normal((5, 3)), dtype="float32", device=device)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert all(p.grad.device == device for p in model.parameters())
    grads = [p.grad for p in model.parameters()]
    model.zero_grad(set_to_none=False)  # zeroed in place, as torch's zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.numpy().any() for p, g in zip(model.parameters(), grads))
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(mg.tensor(rng.standard_normal((5, 3)), dtype="float32", device=device)).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.numpy().any() for p, g in zip(model.parameters(), grads))
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.alpha = nn.Identity()  # replacing a child drops its parameters
    assert [n for n, _ in model.named_parameters()] == ["scale", "zeta.weight", "zeta.bias"]
    del model.scale  # so does deleting one
    assert [n for n, _ in model.named_parameters()] == ["zeta.weight", "zeta.bias"] and not hasattr(model, "scale")
    assert [n for n, _ in model.named_children()] == ["zeta", "alpha"]


def test_a_module_without_forward_says_so():
    class Empty(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="Empty must define forward"):
        Empty()(mg.zeros(1))


def test_state_dict_round_trip_copies_values(device):
    a, b = Block().to(device), Block().to(device)
    b.load_state_dict(a.state_dict())
    for (na, pa), (nb, pb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert na == nb
        assert pb.device == device
        np.testing.assert_array_equal(pa.numpy(), pb.numpy())
    a.zeta.weight.data += 1.0  # b holds copies, not views
    assert not np.array_equal(a.zeta.weight.numpy(), b.zeta.weight.numpy())


def test_load_state_dict_names_missing_unexpected_and_misshaped_keys():
    model = Block()
    state = model.state_dict()
    del state["zeta.bias"]
    state["extra.weight"] = mg.zeros(3)
    state["alpha.weight"] = mg.zeros(2, 5)
    before = model.alpha.weight.numpy().copy()
    with pytest.raises(ValueError) as err:
        model.load_state_dict(state)
    msg = str(err.value)
    assert "missing keys: zeta.bias" in msg
    assert "unexpected keys: extra.weight" in msg
    assert "alpha.weight" in msg and "(2, 5)" in msg and "(2, 4)" in msg
    np.testing.assert_array_equal(model.alpha.weight.numpy(), before)  # nothing changed


def test_load_state_dict_not_strict_ignores_missing_and_extra(device):
    model = Block().to(device)
    state = {"zeta.bias": np.full(4, 3.0, dtype=np.float32), "other": np.zeros(1)}
    result = model.load_state_dict(state, strict=False)  # host arrays land on the model's device
    missing, unexpected = result  # PyTorch's return value: what was not found, what was not used
    assert result.unexpected_keys == unexpected == ["other"] and "zeta.bias" not in missing
    assert set(missing) == set(model.state_dict()) - {"zeta.bias"} and model.load_state_dict(model.state_dict()) == ([], [])
    assert model.zeta.bias.device == device
    np.testing.assert_array_equal(model.zeta.bias.numpy(), np.full(4, 3.0))
    with pytest.raises(ValueError, match=r"zeta.bias.*\(5,\).*\(4,\)"):
        model.load_state_dict({"zeta.bias": np.zeros(5)}, strict=False)


def test_load_state_dict_returns_the_keys_pytorch_returns():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    state = {k: v for k, v in theirs.state_dict().items() if k != "2.bias"}
    state["head.weight"] = torch.zeros(1)
    got, want = ours.load_state_dict(state, strict=False), theirs.load_state_dict(state, strict=False)
    assert got.missing_keys == want.missing_keys == ["2.bias"]
    assert got.unexpected_keys == want.unexpected_keys == ["head.weight"]
    np.testing.assert_array_equal(ours[0].weight.numpy(), theirs[0].weight.detach().numpy())  # torch tensors load too


def test_linear_layout_and_init_bounds(device, rng):
    layer = nn.Linear(50, 20).to(device)
    assert layer.weight.device == device and layer.bias.device == device
    assert layer.weight.shape == (20, 50) and layer.bias.shape == (20,)
    bound = 1 / math.sqrt(50)
    w = layer.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(layer.bias.numpy()).max() <= bound
    assert np.abs(w).max() > 0.9 * bound  # uniform over the whole range, not squeezed
    assert abs(w.mean()) < 0.1 * bound
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad
    x = mg.tensor(rng.standard_normal((7, 50)), dtype="float32", device=device)
    expected = x.numpy() @ w.T + layer.bias.numpy()
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert nn.Linear(3, 2, bias=False).bias is None
    assert [n for n, _ in nn.Linear(3, 2, bias=False).named_parameters()] == ["weight"]


def test_conv_layers_init_bounds_use_torchs_fan_in(device):
    # torch's default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in from the weight's second axis, which is
    # in_channels*kh*kw for Conv2d but out_channels*kh*kw for ConvTranspose2d (its weight is (in, out, kh, kw))
    for layer, bound in [(nn.Conv2d(8, 2, 3), 1 / math.sqrt(8 * 9)), (nn.ConvTranspose2d(8, 2, 3), 1 / math.sqrt(2 * 9))]:
        w = np.abs(layer.to(device).weight.numpy())
        # 144 draws of U(-b, b): the chance that all stay below 0.9 b is 0.9^144, about 3e-7
        assert 0.9 * bound < w.max() <= bound * (1 + 1e-6), type(layer).__name__
        assert np.abs(layer.bias.numpy()).max() <= bound * (1 + 1e-6)


def test_linear_same_layout_as_torch(device):
    torch = pytest.importorskip("torch")
    ours = nn.Linear(4, 3).to(device)
    theirs = torch.nn.Linear(4, 3)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(mg.tensor(x, device=device)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_linear_wrong_input_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Linear.*6 features.*\(2, 5\)"):
        nn.Linear(6, 3)(mg.randn(2, 5))


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Linear(0, 3), "Linear: in_features must be a positive int, got 0"),
    (lambda: nn.Linear(4, 2.5), "Linear: out_features must be a positive int, got 2.5"),
    (lambda: nn.Conv2d(3, 0, 3), "Conv2d: out_channels must be a positive int, got 0"),
    (lambda: nn.Conv2d(3, 8, 0), r"Conv2d: kernel_size and stride must be >= 1 and padding >= 0, got kernel_size=\(0, 0\)"),
    (lambda: nn.Conv2d(3, 8, 3, stride=0), r"Conv2d: .* got .*stride=\(0, 0\)"),
    (lambda: nn.ConvTranspose2d(3, 8, 4, padding=(1, -1)), r"ConvTranspose2d: .* padding=\(1, -1\)"),
    (lambda: nn.BatchNorm2d(0), "BatchNorm2d: num_features must be a positive int, got 0"),
    (lambda: nn.BatchNorm1d(4, momentum=1.5), "BatchNorm1d: need eps > 0 and 0 <= momentum <= 1"),
    (lambda: nn.Embedding(10, 0), "Embedding: embedding_dim must be a positive int, got 0"),
])
def test_layer_sizes_are_checked_when_built(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_containers_take_modules_only():
    with pytest.raises(TypeError, match=r"Sequential: child '1' must be a Module, got str 'relu'.*nn.ReLU\(\)"):
        nn.Sequential(nn.Linear(2, 2), "relu")
    with pytest.raises(TypeError, match=r"ModuleList: child '0' must be a Module, got function"):
        nn.ModuleList([lambda x: x])
    with pytest.raises(TypeError, match=r"Sequential: child 'act' must be a Module"):
        nn.Sequential(OrderedDict(act=mg.relu))


def test_inputs_that_are_not_tensors_or_do_not_broadcast_are_named():
    with pytest.raises(TypeError, match=r"Linear: expected a minigan Tensor, got a numpy.ndarray; wrap it with minigan.tensor"):
        nn.Linear(4, 3)(np.ones((2, 4), dtype=np.float32))
    with pytest.raises(TypeError, match=r"ReLU: input 0 is not a minigan Tensor but a numpy.ndarray; wrap it with"):
        nn.ReLU()(np.ones(3))
    with pytest.raises(ValueError, match=r"Add of inputs with shapes \(2, 3\), \(4, 5\): .*equal or 1"):
        mg.randn(2, 3) + mg.randn(4, 5)
    with pytest.raises(ValueError, match=r"Mul of inputs with shapes \(2, 3\), \(3, 2\)"):
        mg.randn(2, 3) * mg.randn(3, 2)
    with pytest.raises(ValueError, match=r"Flatten\(start_dim=1, end_dim=-1\): input shape \(3,\) has no axes 1..-1"):
        nn.Flatten()(mg.randn(3))
    with pytest.raises(TypeError, match=r"Linear: expected a minigan Tensor, got a builtins.list"):
        nn.Linear(3, 2)([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match=r"Linear: expected input of shape \(N, 3\) or \(3,\), got a single number"):
        nn.Linear(3, 2)(mg.tensor(1.0))


class _ForgetsItsReturn(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        self.fc(x)  # the classic slip: no return, so the next layer gets None


@pytest.mark.parametrize("after", [nn.Linear(4, 2), nn.ReLU(), nn.Tanh(), nn.LeakyReLU(0.2), nn.BatchNorm1d(4),
                                   nn.Flatten(), nn.Dropout(0.5), nn.LayerNorm(4), nn.Softmax(dim=1),
                                   nn.Unflatten(1, (2, 2))])
def test_a_forward_without_return_is_named_by_the_next_layer(after):
    model = nn.Sequential(_ForgetsItsReturn(), after)
    with pytest.raises(TypeError, match=r"got None; did a forward\(\) forget to `return` its result\?|is not a "
                                        r"minigan Tensor but None; did a forward\(\) forget"):
        model(mg.randn(3, 4))


def test_a_batch_not_unpacked_is_named_as_the_loaders_pair():
    loader = mg.data.DataLoader(mg.data.ArrayDataset(np.zeros((4, 1, 28, 28), dtype=np.float32)), batch_size=2)
    D = nn.Sequential(nn.Conv2d(1, 4, 4, 2, 1), nn.Flatten(), nn.Linear(4 * 14 * 14, 1))
    for real in loader:  # the slip: `for real, labels in loader:` was meant
        with pytest.raises(TypeError, match=r"Conv2d\(1, 4, .*\): expected a minigan Tensor, got a tuple of 2 "
                                            r"tensors; a DataLoader's batch is an \(images, labels\) pair: unpack it"):
            D(real)
        break


@pytest.mark.parametrize("call", [
    lambda: mg.reshape([1.0, 2.0], 2), lambda: mg.tanh([1.0]), lambda: mg.exp("1"), lambda: mg.sum(None),
    lambda: mg.mean([1.0]), lambda: mg.var([1.0, 2.0]), lambda: mg.zeros_like([1.0]), lambda: mg.squeeze(None),
    lambda: mg.cat([mg.ones(1), [2.0]]), lambda: mg.stack([None]), lambda: mg.argmax([1, 2]), lambda: mg.isnan(1.0),
    lambda: F.conv2d(None, mg.ones(1, 1, 1, 1)), lambda: F.batch_norm(None, None, None, training=True),
    lambda: F.softmax([1.0], dim=0), lambda: F.mse_loss([1.0], mg.ones(1)), lambda: F.interpolate(None, scale_factor=2),
    lambda: F.layer_norm(None, (2,)), lambda: F.instance_norm(None), lambda: F.cross_entropy(None, [0]),
    lambda: F.pad(None, (1, 1)), lambda: nn.InstanceNorm2d(2)(None), lambda: nn.Conv2d(1, 1, 1)(None),
    lambda: mg.split([1.0, 2.0], 1), lambda: mg.mm(mg.ones(2, 2), [[1.0]]), lambda: mg.equal(mg.ones(1), [1.0]),
    lambda: mg.allclose(None, mg.ones(1)), lambda: mg.numel(np.ones(2)), lambda: mg.ones(2).dot([1.0, 2.0]),
    lambda: nn.ConvTranspose2d(1, 1, 1)(None),
])
def test_functions_given_something_else_than_a_tensor_say_so(call):
    with pytest.raises(TypeError, match=r"expected a minigan Tensor, got|is not a minigan Tensor but|item \d of the "
                                        r"list is not a minigan Tensor but"):
        call()


def test_integer_inputs_to_float_activations_become_float32_as_tanh_makes_them():
    x = mg.tensor([3, -2])
    for layer in (nn.LeakyReLU(0.5), nn.Dropout(0.5), nn.Tanh(), nn.Sigmoid()):
        assert layer(x).dtype == np.float32, layer
    np.testing.assert_array_equal(nn.LeakyReLU(0.5)(x).numpy(), [3.0, -1.0])


def test_embedding_rows_gradient_and_bad_ids(device):
    emb = nn.Embedding(5, 3).to(device)
    ids = np.array([[0, 4], [4, 2]])
    out = emb(mg.tensor(ids, device=device))
    np.testing.assert_array_equal(out.numpy(), emb.weight.numpy()[ids])
    gy = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    out.backward(mg.tensor(gy, device=device))
    expected = np.zeros((5, 3), dtype=np.float32)
    np.add.at(expected, ids, gy)  # a repeated id collects the gradient of each of its uses
    np.testing.assert_array_equal(emb.weight.grad.numpy(), expected)
    with pytest.raises(TypeError, match=r"Embedding\(5, 3\): ids must be an integer array or Tensor, got float32"):
        emb(mg.randn(2, device=device))
    if device == "cpu":  # on a GPU the range check would copy the ids to the host at every call
        with pytest.raises(IndexError, match=r"Embedding\(5, 3\): ids must lie in \[0, 5\), got ids from 1 to 5"):
            emb(mg.tensor(np.array([1, 5])))
        with pytest.raises(IndexError, match=r"got ids from -1 to 2"):
            emb(np.array([-1, 2]))


def test_flatten_axes_as_in_torch(device):
    x = mg.zeros(2, 3, 4, 5, device=device)
    assert nn.Flatten()(x).shape == (2, 60) and nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    assert x.flatten().shape == (120,) and mg.flatten(x, -2).shape == (2, 3, 20) and mg.flatten(mg.zeros(())).shape == (1,)
    with pytest.raises(ValueError, match="start_dim 2 comes after end_dim 1"):
        mg.flatten(x, 2, 1)


def test_layers_print_like_torch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    pairs = [
        (nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.LeakyReLU(0.2), nn.Tanh(), nn.Sigmoid(), nn.Identity()),
         tnn.Sequential(tnn.Linear(2, 8), tnn.ReLU(), tnn.LeakyReLU(0.2), tnn.Tanh(), tnn.Sigmoid(), tnn.Identity())),
        (nn.Conv2d(1, 64, 4, 2, 1), tnn.Conv2d(1, 64, 4, 2, 1)),
        (nn.Conv2d(3, 8, (3, 5), bias=False), tnn.Conv2d(3, 8, (3, 5), bias=False)),
        (nn.ConvTranspose2d(128, 64, 4, 2, 1), tnn.ConvTranspose2d(128, 64, 4, 2, 1)),
        (nn.ConvTranspose2d(8, 4, 3, 2, 1, output_padding=1, bias=False),
         tnn.ConvTranspose2d(8, 4, 3, 2, 1, output_padding=1, bias=False)),
        (nn.Flatten(), tnn.Flatten()), (nn.Unflatten(1, (128, 7, 7)), tnn.Unflatten(1, (128, 7, 7))),
        (nn.Embedding(10, 3), tnn.Embedding(10, 3)), (nn.ModuleList([nn.Linear(1, 1)]), tnn.ModuleList([tnn.Linear(1, 1)])),
        (nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh(), nn.ModuleList([nn.ReLU()] * 3)]),  # equal runs: "(0-1): 2 x"
         tnn.ModuleList([tnn.ReLU(), tnn.ReLU(), tnn.Tanh(), tnn.ModuleList([tnn.ReLU()] * 3)])),
        (nn.ModuleList(), tnn.ModuleList()),
        (nn.BatchNorm2d(64), tnn.BatchNorm2d(64)), (nn.BatchNorm1d(6, affine=False), tnn.BatchNorm1d(6, affine=False)),
        *([(nn.BatchNorm2d(3, bias=False), tnn.BatchNorm2d(3, bias=False))] if norms_take_bias() else []),
        (nn.Conv2d(3, 4, 3, padding="same"), tnn.Conv2d(3, 4, 3, padding="same")),
        (nn.Conv2d(3, 4, 3, padding="valid"), tnn.Conv2d(3, 4, 3, padding="valid")),
        (nn.Sequential(nn.ReLU(True), nn.LeakyReLU(0.2, inplace=True), nn.Dropout(0.3)),
         tnn.Sequential(tnn.ReLU(True), tnn.LeakyReLU(0.2, inplace=True), tnn.Dropout(0.3))),
        (nn.Sequential(nn.Softplus(), nn.Softplus(2, 5)), tnn.Sequential(tnn.Softplus(), tnn.Softplus(2, 5))),
        (nn.Sequential(nn.ELU(0.5), nn.SiLU(), nn.PixelShuffle(2), nn.AvgPool2d(2), nn.AvgPool2d(3, 1, 1),
                       nn.MaxPool2d(2), nn.MaxPool2d(3, 2, 1)),
         tnn.Sequential(tnn.ELU(0.5), tnn.SiLU(), tnn.PixelShuffle(2), tnn.AvgPool2d(2), tnn.AvgPool2d(3, 1, 1),
                        tnn.MaxPool2d(2), tnn.MaxPool2d(3, 2, 1))),
        (nn.Sequential(nn.GroupNorm(2, 4), nn.GroupNorm(1, 3, affine=False)),
         tnn.Sequential(tnn.GroupNorm(2, 4), tnn.GroupNorm(1, 3, affine=False))),
        (nn.Sequential(nn.L1Loss(), nn.NLLLoss(), nn.CrossEntropyLoss()),
         tnn.Sequential(tnn.L1Loss(), tnn.NLLLoss(), tnn.CrossEntropyLoss())),
    ]
    for ours, theirs in pairs:
        assert as_this_torch_prints(repr(ours)) == repr(theirs)  # (torch before 2.13 prints no norm's bias flag)


def test_seeded_init_is_reproducible():
    mg.manual_seed(3)
    a = nn.Linear(4, 4).weight.numpy().copy()
    mg.manual_seed(3)
    b = nn.Linear(4, 4).weight.numpy()
    np.testing.assert_array_equal(a, b)


def test_activation_modules_and_flatten(device):
    x = mg.tensor([[-2.0, 0.5], [1.0, -0.25]], device=device)
    np.testing.assert_allclose(nn.ReLU()(x).numpy(), [[0.0, 0.5], [1.0, 0.0]])
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(x).numpy(), [[-0.2, 0.5], [1.0, -0.025]], rtol=1e-6)
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp(-x.numpy())), rtol=1e-6)
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh(x.numpy()), rtol=1e-6)
    assert nn.Identity()(x) is x
    flat = nn.Flatten()(mg.zeros(2, 3, 4, device=device))
    assert flat.shape == (2, 12) and flat.device == device


def test_module_to_dtype_casts_parameters_and_buffers(device):
    model = Block().to(device, dtype="float64")
    assert all(p.dtype == np.float64 and p.device == device for p in model.parameters())
    assert model.count.dtype == np.float64 and model.count.device == device


def test_mlp_learns_two_moons(device):
    from sklearn.datasets import make_moons

    mg.manual_seed(0)
    x_np, y_np = make_moons(n_samples=256, noise=0.1, random_state=0)
    x = mg.tensor(x_np.astype(np.float32), device=device)
    y = mg.tensor(y_np.astype(np.float32).reshape(-1, 1), device=device)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1)).to(device)
    before = {n: p.numpy().copy() for n, p in model.named_parameters()}
    opt = optim.Adam(model.parameters(), lr=0.02)
    for _ in range(150):
        loss = mg.binary_cross_entropy_with_logits(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with mg.no_grad():
        accuracy = float(((model(x).numpy() > 0) == (y_np.reshape(-1, 1) > 0.5)).mean())
    assert accuracy >= 0.97
    for name, p in model.named_parameters():
        assert p.grad is not None and np.abs(p.grad.numpy()).max() > 0, f"{name} got no gradient"
        assert not np.array_equal(p.numpy(), before[name]), f"{name} did not move"
        assert p.dtype == np.float32 and p.grad.dtype == np.float32, f"{name} is no longer float32"
        assert p.device == device and p.grad.device == device, f"{name} left {device}"


def test_reassigning_keeps_order_and_buffers_stay_buffers():
    model = Block()
    model.zeta = nn.Linear(3, 4)  # re-initialise a child: it keeps its place
    model.scale = nn.Parameter(mg.full((2,), 3.0))
    model.count = model.count + 1.0  # how batch norm updates running statistics
    assert list(model.state_dict()) == ["scale", "count", "zeta.weight", "zeta.bias", "alpha.weight"]
    np.testing.assert_array_equal(model.state_dict()["count"].numpy(), [1.0])
    model.count = None  # None empties the slot: not saved, as in torch (anything else but a tensor is refused)
    assert "count" not in model.state_dict()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules_match_torch(reduction, device, rng):
    logits = mg.tensor(rng.standard_normal((4, 3)), dtype="float64", device=device, requires_grad=True)
    probs = mg.tensor(rng.uniform(0.1, 0.9, (4, 3)), dtype="float64", device=device, requires_grad=True)
    target = mg.tensor(rng.uniform(0, 1, (4, 3)), dtype="float64", device=device)
    labels = mg.tensor(np.array([2, 0, 1, 2]), device=device)
    cases = [(nn.BCEWithLogitsLoss, logits, target), (nn.BCELoss, probs, target), (nn.MSELoss, logits, target),
             (nn.CrossEntropyLoss, logits, labels)]
    for make, x, y in cases:
        criterion = make(reduction=reduction)
        assert mg.gradcheck(lambda v: criterion(v, y), [x]), make.__name__
    torch = pytest.importorskip("torch")
    for make, x, y in cases:
        ours = make(reduction=reduction)(x, y).numpy()
        theirs = getattr(torch.nn, make.__name__)(reduction=reduction)(torch.tensor(x.numpy()), torch.tensor(y.numpy()))
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, err_msg=make.__name__)
        assert repr(make(reduction=reduction)) == repr(getattr(torch.nn, make.__name__)(reduction=reduction))


def test_loss_modules_check_their_arguments():
    with pytest.raises(ValueError, match="BCEWithLogitsLoss: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        nn.BCEWithLogitsLoss(reduction="avg")
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input shape \(3, 1\) and target shape \(3,\) must be equal"):
        nn.BCELoss()(mg.full((3, 1), 0.5), mg.ones(3))
    with pytest.raises(ValueError, match="cross_entropy: reduction must be"):
        mg.nn.functional.cross_entropy(mg.zeros(2, 3), mg.tensor(np.array([0, 1])), reduction="avg")


@pytest.mark.parametrize("logits, labels, error, message", [
    # a negative label used to pick a class from the end without a word
    ((2, 3), [0, -1], ValueError, r"cross_entropy: labels must lie in 0..2 for 3 classes, got -1..0"),
    ((2, 3), [0, 3], ValueError, r"labels must lie in 0..2 for 3 classes, got 0..3"),
    ((2, 3), np.array([0.0, 1.0], dtype=np.float32), TypeError,
     r"labels must be integer class indices of shape \(2,\), or class probabilities of the logits' shape "
     r"\(2, 3\); got float32 of shape \(2,\); convert float labels with .long\(\)"),
    ((2, 3), [[0, 1]], ValueError, r"integer class indices of shape \(2,\).*got int64 of shape \(1, 2\)$"),
    ((2, 3, 4, 4), np.zeros((2, 4, 4), dtype=np.int64), ValueError,
     r"expected logits of shape \(N, C\), got \(2, 3, 4, 4\).*logits.permute\(0, 2, 3, 1\).reshape\(-1, C\)"),
    ((3,), [1], ValueError, r"expected logits of shape \(N, C\), got \(3,\); for one sample add a batch axis"),
])
def test_cross_entropy_names_wrong_labels_and_logits(logits, labels, error, message, device):
    if "lie in" in message:
        device = "cpu"  # the range check reads the labels, so it runs on the CPU only (as one_hot's)
    x = mg.zeros(*logits, device=device)
    with pytest.raises(error, match=message):
        nn.CrossEntropyLoss()(x, mg.tensor(np.asarray(labels), device=device))


def test_init_fills_in_place_like_torch_nn_init(device):
    layer = nn.Linear(200, 300).to(device)
    weight = layer.weight.data
    mg.manual_seed(1)
    assert nn.init.normal_(layer.weight, 0.5, 0.02) is layer.weight and layer.weight.data is weight  # in place
    values = layer.weight.numpy()
    assert abs(values.mean() - 0.5) < 1e-3 and abs(values.std() - 0.02) < 1e-3 and values.dtype == np.float32
    mg.manual_seed(1)
    nn.init.normal_(layer.weight.data, 0.5, 0.02)  # the array itself, as torch code passes m.weight.data
    np.testing.assert_array_equal(layer.weight.numpy(), values)  # the same seed, the same draws
    nn.init.uniform_(layer.weight, -0.1, 0.3)
    assert -0.1 <= layer.weight.numpy().min() and layer.weight.numpy().max() < 0.3
    assert abs(layer.weight.numpy().mean() - 0.1) < 2e-3
    nn.init.zeros_(layer.bias)
    assert not layer.bias.numpy().any() and (nn.init.ones_(layer.bias).numpy() == 1).all()
    assert (nn.init.constant_(layer.bias, 0.25).numpy() == 0.25).all()
    with pytest.raises(TypeError, match="only float tensors can be initialised, got dtype int64"):
        nn.init.zeros_(mg.tensor(np.array([1, 2])))



def test_init_of_an_empty_weight_is_a_no_op_as_in_torch():
    # a fan of 0 divided by zero (kaiming) and an empty orthogonal matrix had no rows to count (ZeroDivisionError)
    for shape in [(0, 3), (3, 0), (2, 3, 0, 1)]:
        for fill in (nn.init.kaiming_uniform_, nn.init.kaiming_normal_, nn.init.orthogonal_):
            t = mg.zeros(*shape)
            assert fill(t) is t and t.shape == shape
        assert nn.init.kaiming_uniform_(mg.zeros(*shape), mode="fan_out").shape == shape

def test_apply_says_what_to_write_for_the_older_data_normal_init():
    def weights_init(m):  # the older PyTorch idiom: `.data` is a tensor there, the NumPy array here
        if type(m).__name__.find("Conv") != -1:
            m.weight.data.normal_(0.0, 0.02)

    with pytest.raises(AttributeError, match=r"no attribute 'normal_' \(applied to Conv2d\): in minigan `.data` is "
                                             r"the raw NumPy/CuPy array.*nn.init.normal_\(m.weight, 0.0, 0.02\)"):
        nn.Sequential(nn.Linear(2, 2), nn.Conv2d(1, 2, 3)).apply(weights_init)
    with pytest.raises(AttributeError, match="^'Linear' object has no attribute 'nothing'$"):  # other errors pass through
        nn.Linear(2, 2).apply(lambda m: m.nothing)


def _dcgan_init(nn):
    """The DCGAN init as PyTorch code writes it, word for word (the tutorial and the GAN collections alike)."""

    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    return weights_init


def test_apply_visits_like_torch_and_runs_the_dcgan_tutorial_init():
    model = nn.Sequential(nn.Conv2d(1, 8, 4, 2, 1), nn.BatchNorm2d(8), nn.Sequential(nn.Linear(3, 1)))
    order = []
    assert model.apply(lambda m: order.append(type(m).__name__)) is model
    assert order == ["Conv2d", "BatchNorm2d", "Linear", "Sequential", "Sequential"]  # children before parents

    model.apply(_dcgan_init(nn))
    conv, bn = model[0].weight.numpy(), model[1].weight.numpy()
    assert abs(conv.std() - 0.02) < 0.005 and abs(bn.mean() - 1.0) < 0.03 and not model[1].bias.numpy().any()
    assert model.double()[0].weight.dtype == np.float64 and model.float()[0].weight.dtype == np.float32
    assert model.to(mg.float64)[0].weight.dtype == np.float64 and model.to("cpu", "float32")[0].weight.dtype == np.float32
    assert model.cpu() is model
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 4, 2, 1), torch.nn.BatchNorm2d(8),
                                 torch.nn.Sequential(torch.nn.Linear(3, 1)))
    torch_order = []
    theirs.apply(lambda m: torch_order.append(type(m).__name__))
    assert torch_order == order


def _tutorial_dcgan(nn, nz=8, ngf=4, ndf=4, nc=1):
    """A DCGAN for 64x64 images in the style of PyTorch's DCGAN tutorial, with its idioms
    (``super(Generator, self)``, ``nn.ReLU(True)``, ``nn.LeakyReLU(0.2, inplace=True)``, ``bias=False``)."""

    class Generator(nn.Module):
        def __init__(self):
            super(Generator, self).__init__()
            layers = [nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True)]
            for mult in (8, 4, 2):
                layers += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 4, 2, 1, bias=False),
                           nn.BatchNorm2d(ngf * mult // 2), nn.ReLU(True)]
            self.main = nn.Sequential(*layers, nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

        def forward(self, input):
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self):
            super(Discriminator, self).__init__()
            layers = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
            for mult in (1, 2, 4):
                layers += [nn.Conv2d(ndf * mult, ndf * mult * 2, 4, 2, 1, bias=False),
                           nn.BatchNorm2d(ndf * mult * 2), nn.LeakyReLU(0.2, inplace=True)]
            self.main = nn.Sequential(*layers, nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())

        def forward(self, input):
            return self.main(input)

    return Generator(), Discriminator()


def _tutorial_iteration(lib, netG, netD, optimizerG, optimizerD, real, noise):
    """One iteration of the tutorial's training loop, line for line (the noise is passed in)."""
    criterion = lib.nn.BCELoss()
    real_label, fake_label = 1.0, 0.0
    netD.zero_grad()
    b_size = real.size(0)
    label = lib.full((b_size,), real_label, dtype=lib.float32)
    output = netD(real).view(-1)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = output.mean().item()
    fake = netG(noise)
    label.fill_(fake_label)
    output = netD(fake.detach()).view(-1)
    errD_fake = criterion(output, label)
    errD_fake.backward()
    D_G_z1 = output.mean().item()
    errD = errD_real + errD_fake
    optimizerD.step()
    netG.zero_grad()
    label.fill_(real_label)
    output = netD(fake).view(-1)
    errG = criterion(output, label)
    errG.backward()
    D_G_z2 = output.mean().item()
    optimizerG.step()
    return [errD.item(), errG.item(), D_x, D_G_z1, D_G_z2]


def _to_torch(torch, ours, theirs):
    """Give each torch model its minigan twin's weights and buffers."""
    for a, b in zip(ours, theirs):
        b.load_state_dict({k: torch.tensor(v.numpy()) for k, v in a.state_dict().items()})


def _assert_same_state(ours, theirs, loose=(), loose_atol=0.0):
    """Every weight and running statistic of each minigan model equals its torch twin's (the `loose`
    ones to `loose_atol`)."""
    for a, b in zip(ours, theirs):
        want = b.state_dict()
        for name, value in a.state_dict().items():
            atol = loose_atol if name in loose else 1e-6
            np.testing.assert_allclose(value.numpy(), want[name].numpy(), rtol=1e-4, atol=atol, err_msg=name)


def test_the_pytorch_dcgan_tutorials_code_runs_and_matches_torch(rng):
    torch = pytest.importorskip("torch")
    mg.manual_seed(0)
    ours, theirs = _tutorial_dcgan(nn), _tutorial_dcgan(torch.nn)
    _to_torch(torch, ours, theirs)
    real = rng.uniform(-1, 1, (4, 1, 64, 64)).astype(np.float32)
    noise = rng.standard_normal((4, 8, 1, 1)).astype(np.float32)
    logs = []
    for lib, (netG, netD), make in [(mg, ours, mg.tensor), (torch, theirs, torch.tensor)]:
        opt_d = lib.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
        opt_g = lib.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
        logs.append(_tutorial_iteration(lib, netG, netD, opt_g, opt_d, make(real), make(noise)))
    np.testing.assert_allclose(logs[0], logs[1], rtol=1e-4)
    _assert_same_state(ours, theirs)  # after the two Adam steps


def _wgan_gp_critic_step(lib, D, optimizer, real, fake, alpha):
    """A WGAN-GP critic step as PyTorch code writes it by hand (the idioms of the common implementations)."""
    interpolates = (alpha * real + ((1 - alpha) * fake)).requires_grad_(True)
    d_interpolates = D(interpolates)
    ones = lib.ones(real.size(0), 1)
    gradients = lib.autograd.grad(outputs=d_interpolates, inputs=interpolates, grad_outputs=ones,
                                  create_graph=True, retain_graph=True, only_inputs=True)[0]
    gradients = gradients.view(gradients.size(0), -1)
    gradient_penalty = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
    optimizer.zero_grad()
    loss = -D(real).mean() + D(fake).mean() + 10 * gradient_penalty
    loss.backward()
    optimizer.step()
    return gradient_penalty.item(), loss.item()


def test_a_wgan_gp_critic_step_written_the_pytorch_way_runs_and_matches_torch(rng):
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(4, 16), nn.LeakyReLU(0.2), nn.LayerNorm(16), nn.Linear(16, 1))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.LeakyReLU(0.2), torch.nn.LayerNorm(16),
                                 torch.nn.Linear(16, 1))
    _to_torch(torch, [ours], [theirs])
    real, fake = (rng.standard_normal((6, 4)).astype(np.float32) for _ in range(2))
    alpha = rng.random((6, 1)).astype(np.float32)
    logs = [_wgan_gp_critic_step(lib, D, lib.optim.Adam(D.parameters(), lr=1e-3, betas=(0.0, 0.9)),
                                 *(lib.tensor(a) for a in (real, fake, alpha)))
            for lib, D in ((mg, ours), (torch, theirs))]
    np.testing.assert_allclose(logs[0], logs[1], rtol=1e-5)
    assert logs[0][0] > 0.01  # a penalty that matters, so its second derivatives moved the weights below
    _assert_same_state([ours], [theirs])


def _collection_style_cgan(lib, latent_dim=6, n_classes=3, img_shape=(1, 8, 8)):
    """A conditional DCGAN in the style of the popular PyTorch GAN collections: the label's embedding
    concatenated to the noise (``torch.cat((self.label_emb(labels), noise), -1)``), Upsample + Conv2d
    blocks with ``nn.BatchNorm2d(n, 0.8)`` (eps given positionally), ``out.view(out.shape[0], ...)``,
    ``int(np.prod(img_shape))``, and weights initialised by class name through ``apply`` (``_dcgan_init``)."""
    nn, init_size = lib.nn, img_shape[1] // 4

    class Generator(nn.Module):
        def __init__(self):
            super(Generator, self).__init__()
            self.label_emb = nn.Embedding(n_classes, n_classes)
            self.l1 = nn.Sequential(nn.Linear(latent_dim + n_classes, 8 * init_size ** 2))
            self.conv_blocks = nn.Sequential(
                nn.BatchNorm2d(8), nn.Upsample(scale_factor=2), nn.Conv2d(8, 8, 3, stride=1, padding=1),
                nn.BatchNorm2d(8, 0.8), nn.LeakyReLU(0.2, inplace=True), nn.Upsample(scale_factor=2),
                nn.Conv2d(8, img_shape[0], 3, stride=1, padding=1), nn.Tanh())

        def forward(self, noise, labels):
            out = self.l1(lib.cat((self.label_emb(labels), noise), -1))
            return self.conv_blocks(out.view(out.shape[0], 8, init_size, init_size))

    class Discriminator(nn.Module):
        def __init__(self):
            super(Discriminator, self).__init__()

            def block(in_filters, out_filters, bn=True):
                layers = [nn.Conv2d(in_filters, out_filters, 3, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
                return layers + [nn.BatchNorm2d(out_filters, 0.8)] if bn else layers

            self.label_embedding = nn.Embedding(n_classes, n_classes)
            self.model = nn.Sequential(*block(img_shape[0], 4, bn=False), *block(4, 8))
            self.adv_layer = nn.Linear(8 * (img_shape[1] // 4) ** 2 + n_classes, 1)

        def forward(self, img, labels):
            out = self.model(img)
            return self.adv_layer(lib.cat((out.view(out.size(0), -1), self.label_embedding(labels)), -1))

    G, D = Generator(), Discriminator()
    G.apply(_dcgan_init(nn))
    D.apply(_dcgan_init(nn))
    assert int(np.prod(img_shape)) == 64 and G(lib.zeros(2, latent_dim), lib.tensor([0, 2])).shape == (2, *img_shape)
    return G, D


def _collection_style_iteration(lib, G, D, real, labels, z, gen_labels):
    """One LSGAN iteration as those collections write it: G step first, then D on real and detached fakes."""
    adversarial_loss = lib.nn.MSELoss()
    optimizer_G = lib.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizer_D = lib.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    valid, fake = lib.ones(real.shape[0], 1), lib.zeros(real.shape[0], 1)
    optimizer_G.zero_grad()
    gen_imgs = G(z, gen_labels)
    g_loss = adversarial_loss(D(gen_imgs, gen_labels), valid)
    g_loss.backward()
    optimizer_G.step()
    optimizer_D.zero_grad()
    d_real_loss = adversarial_loss(D(real, labels), valid)
    d_fake_loss = adversarial_loss(D(gen_imgs.detach(), gen_labels), fake)
    d_loss = (d_real_loss + d_fake_loss) / 2
    d_loss.backward()
    optimizer_D.step()
    return [g_loss.item(), d_loss.item()]


def test_a_conditional_gan_written_as_the_pytorch_gan_collections_write_it_runs_and_matches_torch(rng):
    torch = pytest.importorskip("torch")
    mg.manual_seed(0)
    ours, theirs = _collection_style_cgan(mg), _collection_style_cgan(torch)
    _to_torch(torch, ours, theirs)
    real = rng.uniform(-1, 1, (5, 1, 8, 8)).astype(np.float32)
    z = rng.standard_normal((5, 6)).astype(np.float32)
    labels, gen_labels = rng.integers(0, 3, 5), rng.integers(0, 3, 5)
    logs = [_collection_style_iteration(lib, *models, *(lib.tensor(a) for a in (real, labels, z, gen_labels)))
            for lib, models in ((mg, ours), (torch, theirs))]
    np.testing.assert_allclose(logs[0], logs[1], rtol=1e-5)
    # A bias just before batch norm gets a zero gradient (the norm subtracts the mean) up to rounding,
    # and Adam turns that rounding noise into a step of anything up to lr in either library
    _assert_same_state(ours, theirs, loose={"conv_blocks.2.bias", "model.2.bias"}, loose_atol=2 * 2e-4)


def test_fill_in_place_refuses_tensors_that_require_grad():
    label = mg.zeros(3)
    assert label.fill_(0.9) is label and np.allclose(label.numpy(), 0.9)
    w = mg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="fill_: an in-place change of a tensor that requires grad"):
        w.fill_(1.0)
    with mg.no_grad():
        w.zero_()


@pytest.mark.parametrize("container", [list, tuple, lambda layers: dict(enumerate(layers))])
def test_a_plain_container_of_new_layers_is_refused_with_a_pointer_to_modulelist(container):
    # torch accepts it silently, and the layers are then never trained, saved or moved
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = container([nn.Linear(2, 2), nn.Linear(2, 2)])

    with pytest.raises(TypeError, match=r"Net.layers: a plain (list|tuple|dict) of layers registers none .*nn.ModuleList"):
        Net()


def test_a_list_of_registered_children_and_plain_lists_are_fine():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.act = nn.Linear(2, 2), nn.ReLU()
            self.order = [self.fc, self.act]  # a convenience view of children
            self.sizes = [2, 2]

    assert len(list(Net().parameters())) == 2


# ------------------------------------------------ PyTorch's constructor signatures
LAYERS_WITH_TORCH_SIGNATURES = ["Linear", "Conv2d", "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm",
                                "InstanceNorm2d", "ELU", "SiLU", "PixelShuffle", "AvgPool2d", "Softplus", "LeakyReLU",
                                "ReLU", "Dropout", "Dropout2d", "Upsample", "Embedding", "GroupNorm", "MaxPool2d"]


@pytest.mark.parametrize("name", LAYERS_WITH_TORCH_SIGNATURES)
def test_layer_constructors_take_torchs_arguments_in_torchs_order(name):
    import inspect

    torch = pytest.importorskip("torch")
    ours = list(inspect.signature(getattr(nn, name).__init__).parameters)
    theirs = list(inspect.signature(getattr(torch.nn, name).__init__).parameters)
    if "bias" not in theirs and name in ("BatchNorm1d", "BatchNorm2d", "InstanceNorm2d", "GroupNorm"):
        ours.remove("bias")  # torch before 2.13: the norms' bias flag is 2.13's, the rest in the same order
    assert ours == theirs  # so positional calls copied from PyTorch code mean the same here


def test_conv_arguments_in_pytorch_positional_order():
    conv = nn.Conv2d(3, 4, 3, 1, 1, 1, 1, False, "zeros")  # PyTorch's positional order: ..., dilation, groups, bias
    assert conv.bias is None and conv.padding == (1, 1)
    convt = nn.ConvTranspose2d(3, 4, 4, 2, 1, 0, 1, False, 1)  # ..., output_padding, groups, bias, dilation
    assert convt.bias is None
    conv = nn.Conv2d(4, 6, 3, 1, 1, 2, 2, True, "reflect")
    assert (conv.dilation, conv.groups, conv.padding_mode) == ((2, 2), 2, "reflect")
    convt = nn.ConvTranspose2d(4, 6, 3, 2, 1, 1, 2, False, 3)
    assert (convt.groups, convt.dilation, convt.bias) == (2, (3, 3), None)
    x, w = mg.zeros(1, 4, 5, 5), mg.zeros(4, 2, 3, 3)
    assert F.conv2d(x, w, None, 1, 0, 2, 2).shape == (1, 4, 1, 1)  # positional dilation, groups
    assert F.conv_transpose2d(x, mg.zeros(4, 3, 3, 3), None, 1, 0, 0, 2, 2).shape == (1, 6, 9, 9)  # groups, dilation


def test_conv_padding_same_and_valid_as_in_torch(device):
    x = mg.randn(2, 3, 9, 8, device=device)
    layers = []
    for kernel in (3, (5, 1), 1):
        same, valid = nn.Conv2d(3, 4, kernel, padding="same", device=device), nn.Conv2d(3, 4, kernel, padding="valid", device=device)
        layers.append((kernel, same, valid))
        # the same as the numbers: (k - 1) // 2 on each side for an odd kernel, and no padding
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        for ours, padding in ((same, ((kh - 1) // 2, (kw - 1) // 2)), (valid, 0)):
            explicit = nn.Conv2d(3, 4, kernel, padding=padding, device=device)
            explicit.load_state_dict(ours.state_dict())
            np.testing.assert_allclose(ours(x).numpy(), explicit(x).numpy(), rtol=1e-6, atol=1e-6)
        assert same(x).shape == x.shape[:1] + (4,) + x.shape[2:]
        assert valid(x).shape == (2, 4, 9 - kh + 1, 8 - kw + 1)
    assert nn.Conv2d(3, 4, 4, padding="same", device=device)(x).shape == (2, 4, 9, 8)  # values: test_conv_extras.py
    with pytest.raises(ValueError, match="needs stride 1"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="'valid' or 'same'"):
        F.conv2d(x, mg.zeros(4, 3, 3, 3, device=device), padding="full")
    torch = pytest.importorskip("torch")
    for kernel, same, valid in layers:
        for ours, padding in ((same, "same"), (valid, "valid")):
            ref = torch.nn.Conv2d(3, 4, kernel, padding=padding)
            ref.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
            expected = ref(torch.from_numpy(x.numpy())).detach().numpy()
            np.testing.assert_allclose(ours(x).numpy(), expected, rtol=1e-5, atol=1e-5)


def test_layers_take_device_and_dtype_as_factory_arguments(device):
    for layer in (nn.Linear(3, 4, device=device, dtype=mg.float64), nn.Conv2d(2, 3, 3, device=device, dtype="float64"),
                  nn.ConvTranspose2d(2, 3, 4, 2, 1, device=device, dtype="float64"),
                  nn.BatchNorm2d(3, device=device, dtype="float64"), nn.BatchNorm1d(3, device=device, dtype="float64")):
        tensors = list(layer.parameters()) + list(layer.buffers())
        assert all(t.device == device for t in tensors)
        assert {str(t.dtype) for t in tensors} <= {"float64", "int64"}  # the batch counter stays an integer
    mg.manual_seed(0)
    a = nn.Linear(3, 4, dtype="float64")
    mg.manual_seed(0)
    b = nn.Linear(3, 4)
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy().astype(np.float64))  # the same draws, cast


def test_module_dict_registers_its_modules_like_torch():
    ours = nn.ModuleDict({"gen": nn.Linear(2, 3), "head": nn.Linear(3, 1)})
    ours["disc"] = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    # torch's names and torch's printout, written out (compared with torch itself below)
    names = list(ours.state_dict())
    assert names == ["gen.weight", "gen.bias", "head.weight", "head.bias", "disc.0.weight", "disc.0.bias"]
    printed = repr(ours)
    assert printed == ("ModuleDict(\n"
                       "  (gen): Linear(in_features=2, out_features=3, bias=True)\n"
                       "  (head): Linear(in_features=3, out_features=1, bias=True)\n"
                       "  (disc): Sequential(\n"
                       "    (0): Linear(in_features=3, out_features=4, bias=True)\n"
                       "    (1): ReLU()\n"
                       "  )\n"
                       ")")
    assert list(ours.keys()) == ["gen", "head", "disc"] and "gen" in ours and len(ours) == 3
    assert ours.gen is ours["gen"] and len(list(ours.parameters())) == 6
    del ours["head"]
    assert list(ours) == ["gen", "disc"] and len(list(ours.parameters())) == 4
    with pytest.raises(TypeError, match="must be a Module"):
        ours["x"] = lambda t: t
    with pytest.raises(TypeError, match="without dots"):
        ours["a.b"] = nn.ReLU()
    with pytest.raises(KeyError, match="name of an attribute or method"):  # torch refuses it too
        ours["keys"] = nn.ReLU()
    torch = pytest.importorskip("torch")
    theirs = torch.nn.ModuleDict({"gen": torch.nn.Linear(2, 3), "head": torch.nn.Linear(3, 1)})
    theirs["disc"] = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())
    assert names == list(theirs.state_dict()) and printed == repr(theirs)


def test_module_list_indexes_slices_and_extends_like_torch():
    ours = nn.ModuleList([nn.Linear(2, 3), nn.ReLU()]).extend([nn.Linear(3, 1), nn.Sigmoid()])
    # torch's names and torch's printout, written out (compared with torch itself below)
    assert len(ours) == 4 and repr(ours) == ("ModuleList(\n"
                                             "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
                                             "  (1): ReLU()\n"
                                             "  (2): Linear(in_features=3, out_features=1, bias=True)\n"
                                             "  (3): Sigmoid()\n"
                                             ")")
    assert list(ours.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [type(m).__name__ for m in ours] == ["Linear", "ReLU", "Linear", "Sigmoid"]
    assert ours[-1] is list(ours)[3] and ours[2] is ours._modules["2"]
    head = ours[2:]  # the same modules, in a ModuleList of their own (numbered from 0), as torch's slice
    assert isinstance(head, nn.ModuleList) and head[0] is ours[2] and list(head._modules) == ["0", "1"]
    assert repr(head) == ("ModuleList(\n"
                          "  (0): Linear(in_features=3, out_features=1, bias=True)\n"
                          "  (1): Sigmoid()\n"
                          ")")
    for container in (ours, nn.Sequential(nn.ReLU(), nn.Tanh())):
        with pytest.raises(IndexError, match=rf"{type(container).__name__}: index 4 is out of range for its "
                                             rf"{len(container)} modules"):
            container[4]
        assert container[-len(container)] is list(container)[0]
    torch = pytest.importorskip("torch")
    theirs = torch.nn.ModuleList([torch.nn.Linear(2, 3), torch.nn.ReLU()]).extend([torch.nn.Linear(3, 1), torch.nn.Sigmoid()])
    assert len(theirs) == 4 and repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(head) == repr(theirs[2:])


def test_functional_activations_and_dropout_accept_torchs_inplace_flag(device):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    ours, theirs = mg.tensor(x, device=device), torch.from_numpy(x.copy())
    np.testing.assert_array_equal(F.leaky_relu(ours, 0.2, inplace=True).numpy(),
                                  torch.nn.functional.leaky_relu(theirs.clone(), 0.2, inplace=True).numpy())
    np.testing.assert_array_equal(F.relu(ours, inplace=True).numpy(), torch.nn.functional.relu(theirs.clone(), inplace=True).numpy())
    assert F.dropout(ours, 0.3, training=False, inplace=True) is ours
    np.testing.assert_array_equal(ours.numpy(), x)  # computed out of place: the input is unchanged


def test_upsample_zeropad_softmax_modules_match_torch(device):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5)).astype(np.float32)
    pairs = [(nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
             (nn.Upsample(size=(8, 10)), torch.nn.Upsample(size=(8, 10))),
             (nn.Upsample(scale_factor=2, mode="bilinear"), torch.nn.Upsample(scale_factor=2, mode="bilinear")),
             (nn.Upsample(size=(7, 9), mode="bilinear", align_corners=True),
              torch.nn.Upsample(size=(7, 9), mode="bilinear", align_corners=True)),
             (nn.ZeroPad2d(1), torch.nn.ZeroPad2d(1)), (nn.ZeroPad2d((1, 2, 0, 3)), torch.nn.ZeroPad2d((1, 2, 0, 3))),
             (nn.ReflectionPad2d(3), torch.nn.ReflectionPad2d(3)),
             (nn.ReplicationPad2d((1, 2, 0, 3)), torch.nn.ReplicationPad2d((1, 2, 0, 3))),
             (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)), (nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(dim=-1))]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        np.testing.assert_allclose(ours(mg.tensor(x, device=device)).numpy(), theirs(torch.from_numpy(x)).numpy(),
                                   rtol=1e-5, atol=1e-6)
    # the usual cure for checkerboards: Upsample + Conv2d in place of a strided ConvTranspose2d
    G = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(3, 1, 3, padding=1)).to(device)
    assert G(mg.tensor(x, device=device)).shape == (2, 1, 8, 10)


def test_clip_grad_norm_and_value_as_in_torch(device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    grads = [rng.standard_normal(s).astype(np.float32) * 3 for s in [(4, 3), (3,), (2, 2, 2)]]
    for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.5, float("inf"))]:
        ours = [mg.zeros(*g.shape, requires_grad=True, device=device) for g in grads]
        theirs = [torch.zeros(*g.shape, requires_grad=True) for g in grads]
        for p, tp, g in zip(ours, theirs, grads):
            p.grad, tp.grad = mg.tensor(g, device=device), torch.from_numpy(g.copy())
        total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
        ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
        np.testing.assert_allclose(float(total), float(ttotal), rtol=1e-5)
        for p, tp in zip(ours, theirs):
            assert p.grad.dtype == np.float32
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-7)
    p = mg.zeros(3, requires_grad=True, device=device)
    p.grad = mg.tensor([-2.0, 0.1, 5.0], device=device)
    nn.utils.clip_grad_value_([p], 1.0)
    np.testing.assert_array_equal(p.grad.numpy(), np.array([-1.0, 0.1, 1.0], dtype=np.float32))
    p.grad = mg.tensor([np.inf, 0.0, 0.0], device=device)
    with pytest.raises(RuntimeError, match="error_if_nonfinite=False"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_new_tensor_helpers_take_dtype_and_device_from_the_tensor(device):
    x = mg.zeros(2, dtype="float64", device=device)
    for made in (x.new_zeros(3, 2), x.new_ones((3, 2)), x.new_full((3, 2), 7.0), x.new_tensor([[1, 2]] * 3)):
        assert made.dtype == np.float64 and made.device == device and made.numel() == 6
    assert x.new_zeros(2, dtype="float32").dtype == np.float32


@pytest.mark.parametrize("make", ["linear", "conv", "conv_transpose"])
def test_spectral_norm_as_in_torch(make, device):
    build = {"linear": (lambda lib: lib.nn.Linear(6, 4), (3, 6)),
             "conv": (lambda lib: lib.nn.Conv2d(3, 5, 3, 2, 1), (2, 3, 6, 6)),
             "conv_transpose": (lambda lib: lib.nn.ConvTranspose2d(3, 5, 4, 2, 1), (2, 3, 3, 3))}[make]
    # minigan alone: training refines u, eval keeps it; then its gradient and second derivatives
    # (an R1 penalty through a spectrally normalised D) in eval mode, against float64 central differences
    alone = nn.utils.spectral_norm(build[0](mg)).to(device, "float64")
    x = np.random.default_rng(0).standard_normal(build[1])
    u = alone.weight_u.numpy().copy()
    alone(mg.tensor(x, dtype="float64", device=device))
    assert not np.allclose(alone.weight_u.numpy(), u)  # one power iteration
    alone.eval()
    u = alone.weight_u.numpy().copy()
    alone(mg.tensor(x, dtype="float64", device=device))
    np.testing.assert_array_equal(alone.weight_u.numpy(), u)
    inputs = [mg.tensor(x, dtype="float64", device=device, requires_grad=True), alone.weight_orig]
    assert mg.gradcheck(lambda xx, ww: _call_with_weight(alone, xx, ww), inputs)
    assert mg.gradgradcheck(lambda xx, ww: _call_with_weight(alone, xx, ww), inputs)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.utils.spectral_norm(build[0](torch)).double()
    ours = nn.utils.spectral_norm(build[0](mg)).to(device, "float64")
    assert list(ours.state_dict()) == list(theirs.state_dict())  # bias, weight_orig, weight_u, weight_v
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    for step in range(3):  # training mode: every call refines u and v by one power iteration
        x = rng.standard_normal(build[1])
        out, tout = ours(mg.tensor(x, dtype="float64", device=device)), theirs(torch.tensor(x))
        np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-9, atol=1e-12)
        out.sum().backward(), tout.sum().backward()
        np.testing.assert_allclose(ours.weight_orig.grad.numpy(), theirs.weight_orig.grad.numpy(), rtol=1e-8, atol=1e-12)
        for key in ("weight_u", "weight_v"):
            np.testing.assert_allclose(ours.state_dict()[key].numpy(), theirs.state_dict()[key].numpy(), rtol=1e-9)
    ours.eval(), theirs.eval()  # eval mode: u and v stay
    u = ours.weight_u.numpy().copy()
    np.testing.assert_allclose(ours(mg.tensor(x, dtype="float64", device=device)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ours.weight_u.numpy(), u)


def _call_with_weight(module, x, weight_orig):
    """The spectrally normalised layer as a function of its input and weight_orig (for gradcheck)."""
    saved = module.weight_orig
    object.__setattr__(module, "weight_orig", weight_orig)
    try:
        return module(x)
    finally:
        object.__setattr__(module, "weight_orig", saved)


def test_spectral_norm_keeps_the_parameter_and_can_be_removed():
    layer = nn.Linear(4, 3)
    w = layer.weight
    opt = optim.Adam(layer.parameters(), lr=0.1)  # made before: it must still step the weight
    nn.utils.spectral_norm(layer)
    assert layer.weight_orig is w and len(list(layer.parameters())) == 2
    layer(mg.randn(2, 4)).sum().backward()
    opt.step()
    assert w.grad is not None
    sigma = np.linalg.svd(w.numpy(), compute_uv=False)[0]
    for _ in range(30):  # power iteration converges: the normalised weight's largest singular value is 1
        layer(mg.randn(2, 4))
    assert abs(np.linalg.svd(layer.weight.numpy(), compute_uv=False)[0] - 1.0) < 1e-3 and sigma != 1.0
    with pytest.raises(RuntimeError, match="already has spectral norm"):
        nn.utils.spectral_norm(layer)
    nn.utils.remove_spectral_norm(layer)
    assert list(dict(layer.named_parameters())) == ["bias", "weight"] and not layer._forward_pre_hooks
    assert "weight_u" not in layer.state_dict()
    with pytest.raises(ValueError, match="has no parameter 'kernel'"):
        nn.utils.spectral_norm(nn.Linear(2, 2), name="kernel")


def test_forward_hooks_run_around_forward_and_can_be_removed():
    layer, seen = nn.Linear(2, 2), []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0.0,))
    post = layer.register_forward_hook(lambda m, args, out: seen.append(out.shape) or out + 1.0)
    out = layer(mg.ones(3, 2))
    np.testing.assert_allclose(out.numpy(), np.broadcast_to(layer.bias.numpy() + 1.0, (3, 2)), rtol=1e-6)
    assert seen == [(3, 2)]
    pre.remove(), post.remove()
    assert not np.allclose(layer(mg.ones(3, 2)).numpy(), out.numpy()) and seen == [(3, 2)]


NORM_LAYERS = {  # name: (input shape, constructor arguments to try)
    "LayerNorm": ((4, 3, 5), [((5,), {}), (((3, 5),), {}), (((3, 5), 1e-3, False), {}), ((5, 1e-5, True, False), {})]),
    "InstanceNorm2d": ((3, 4, 5, 6), [((4,), {}), ((4,), {"affine": True}), ((4,), {"affine": True, "bias": False})]),
}


@pytest.mark.parametrize("name", sorted(NORM_LAYERS))
def test_layer_and_instance_norm_as_in_torch(name, device):
    torch = pytest.importorskip("torch")
    shape, tries = NORM_LAYERS[name]
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    for args, kwargs in tries:
        if "bias" in kwargs and not norms_take_bias():
            continue  # (torch before 2.13: instance norm has no bias flag to compare with)
        ours, theirs = getattr(nn, name)(*args, device=device, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
        assert as_this_torch_prints(repr(ours)) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
        with torch.no_grad():
            for p in theirs.parameters():
                p.uniform_(0.5, 1.5)
        ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
        np.testing.assert_allclose(ours(mg.tensor(x, device=device)).numpy(), theirs(torch.from_numpy(x)).detach().numpy(),
                                   rtol=1e-5, atol=1e-5)


def test_layer_norm_over_several_axes_and_group_norm_by_hand(device):
    # channels with scales and offsets of their own, so that normalising the wrong values shows
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 3, 4)) * rng.uniform(0.5, 3, (1, 6, 1, 1)) + 3 * rng.standard_normal((1, 6, 1, 1))

    def standardize(a, axes):  # (a - mean) / sqrt(biased var + eps), the formula of both papers
        return (a - a.mean(axis=axes, keepdims=True)) / np.sqrt(a.var(axis=axes, keepdims=True) + 1e-5)

    for shape, axes in [((3, 4), (2, 3)), ((6, 3, 4), (1, 2, 3))]:
        ln = nn.LayerNorm(shape, device=device, dtype="float64")
        w, b = rng.uniform(0.5, 1.5, shape), rng.standard_normal(shape)
        ln.load_state_dict({"weight": w, "bias": b})
        np.testing.assert_allclose(ln(mg.tensor(x, device=device)).numpy(), standardize(x, axes) * w + b,
                                   rtol=1e-10, atol=1e-10)
    gn = nn.GroupNorm(3, 6, device=device, dtype="float64")  # groups of 2 neighbouring channels: (0, 1), (2, 3), (4, 5)
    w, b = rng.uniform(0.5, 1.5, 6), rng.standard_normal(6)
    gn.load_state_dict({"weight": w, "bias": b})
    grouped = standardize(x.reshape(2, 3, 2, 3, 4), (2, 3, 4)).reshape(x.shape)
    np.testing.assert_allclose(gn(mg.tensor(x, device=device)).numpy(),
                               grouped * w.reshape(1, 6, 1, 1) + b.reshape(1, 6, 1, 1), rtol=1e-10, atol=1e-10)


def test_layer_and_instance_norm_name_their_mistakes():
    with pytest.raises(ValueError, match=r"LayerNorm\(\(4,\)\): expected an input whose last axes are \(4,\)"):
        nn.LayerNorm(4)(mg.zeros(2, 5))
    with pytest.raises(ValueError, match=r"InstanceNorm2d\(4\): expected input of shape \(N, 4, H, W\)"):
        nn.InstanceNorm2d(4)(mg.zeros(2, 3, 5, 5))


def test_xavier_and_kaiming_init_follow_torchs_formulas(device):
    torch = pytest.importorskip("torch")
    for args in [("linear",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2), ("selu",), ("conv_transpose2d",)]:
        assert nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
    shape = (64, 32, 3, 3)  # fan_in 288, fan_out 576
    cases = [("xavier_uniform_", {"gain": 2.0}, "uniform", 2.0 * np.sqrt(6 / (288 + 576))),
             ("xavier_normal_", {}, "normal", np.sqrt(2 / (288 + 576))),
             ("kaiming_uniform_", {"a": 0.2}, "uniform", np.sqrt(3) * np.sqrt(2 / 1.04) / np.sqrt(288)),
             ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}, "normal", np.sqrt(2) / np.sqrt(576))]
    for name, kwargs, kind, scale in cases:
        w = getattr(nn.init, name)(mg.zeros(*shape, device=device), **kwargs).numpy()
        t = getattr(torch.nn.init, name)(torch.zeros(*shape), **kwargs).numpy()
        if kind == "uniform":  # the bound, and the std of U(-b, b): b / sqrt(3)
            assert np.abs(w).max() <= scale and np.abs(t).max() <= scale
            np.testing.assert_allclose(w.std(), scale / np.sqrt(3), rtol=0.03)
        else:
            np.testing.assert_allclose(w.std(), scale, rtol=0.03)
        np.testing.assert_allclose(w.std(), t.std(), rtol=0.05)  # the same spread as torch's draws
    with pytest.raises(ValueError, match="at least 2 axes"):
        nn.init.xavier_uniform_(mg.zeros(5))
    with pytest.raises(ValueError, match="mode must be"):
        nn.init.kaiming_normal_(mg.zeros(3, 3), mode="fan_avg")


def test_init_gains_and_fans_by_hand(device):
    # torch.nn.init's documented formulas, without torch: gains, then fans of a conv weight
    gain = nn.init.calculate_gain
    assert gain("linear") == gain("conv2d") == gain("sigmoid") == 1.0 and gain("tanh") == pytest.approx(5 / 3)
    assert gain("relu") == pytest.approx(math.sqrt(2)) and gain("selu") == pytest.approx(0.75)
    assert gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)), rel=1e-12)
    assert gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / (1 + 0.2**2)), rel=1e-12)
    shape = (64, 32, 3, 3)  # fan_in = 32 * 3 * 3 = 288, fan_out = 64 * 3 * 3 = 576
    for name, kwargs, bound in [
        ("kaiming_uniform_", {"a": 0.2}, math.sqrt(3) * math.sqrt(2 / 1.04) / math.sqrt(288)),
        ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(3) * math.sqrt(2 / 576)),
        ("kaiming_uniform_", {"nonlinearity": "tanh"}, math.sqrt(3) * 5 / 3 / math.sqrt(288)),
        ("xavier_uniform_", {"gain": 2.0}, 2.0 * math.sqrt(6 / (288 + 576))),
    ]:
        w = np.abs(getattr(nn.init, name)(mg.zeros(*shape, device=device), **kwargs).numpy())
        # 18,432 draws of U(-b, b): the largest lies above 0.99 b but for a chance of 0.99^18432 (about 1e-80)
        assert 0.99 * bound < w.max() <= bound * (1 + 1e-6), (name, kwargs)
    for kwargs, std in [({}, math.sqrt(2 / 288)), ({"mode": "fan_out", "a": 0.2}, math.sqrt(2 / 1.04 / 576))]:
        w = nn.init.kaiming_normal_(mg.zeros(*shape, device=device), **kwargs).numpy()
        np.testing.assert_allclose(w.std(), std, rtol=0.03)  # 18,432 draws: the std within about 0.5 % (1 sigma)
    np.testing.assert_allclose(nn.init.xavier_normal_(mg.zeros(*shape, device=device)).numpy().std(),
                               math.sqrt(2 / (288 + 576)), rtol=0.03)


def test_numpy_float64_settings_of_layers_keep_a_float32_model_float32(device):
    # NumPy 2 trap: a setting read from a NumPy array (np.float64) times a float32 array makes float64;
    # each layer turns its settings into Python floats first
    s = np.float64
    x = mg.randn(4, 3, device=device)
    layers = [nn.Dropout(s(0.5)), nn.LeakyReLU(s(0.2)), nn.Softplus(s(2.0), s(10.0)),
              nn.BatchNorm1d(3, eps=s(1e-5), momentum=s(0.1)), nn.LayerNorm(3, eps=s(1e-5)),
              nn.utils.spectral_norm(nn.Linear(3, 3), eps=s(1e-12))]
    for layer in layers:
        layer.to(device)
        assert layer(x).dtype == np.float32, layer
        assert all(t.dtype in (np.float32, np.int64) for t in layer.state_dict().values()), layer  # int: a count
    assert F.dropout(x, s(0.3)).dtype == np.float32


def test_embedding_padding_idx_as_in_torch(device):
    ours = nn.Embedding(5, 3, padding_idx=-1, device=device)
    assert repr(ours) == "Embedding(5, 3, padding_idx=4)" and ours.padding_idx == 4  # counted from the end
    assert not ours.weight.numpy()[4].any()  # the padding row starts at zero
    ids = np.array([[4, 1], [2, 4], [1, 0]])  # row 1 used twice: its gradients add up
    up = np.random.default_rng(0).standard_normal((3, 2, 3)).astype(np.float32)
    (ours(mg.tensor(ids, device=device)) * mg.tensor(up, device=device)).sum().backward()
    # by hand: each row gathers the upstream gradient of every place it was looked up, except the padding row
    expected = np.zeros((5, 3), dtype=np.float32)
    np.add.at(expected, ids, up)
    assert expected[4].any()  # so the next line could fail
    expected[4] = 0.0
    np.testing.assert_allclose(ours.weight.grad.numpy(), expected, rtol=1e-6)
    assert not ours.weight.grad.numpy()[4].any()  # no gradient for the padding row
    frozen = nn.Embedding(2, 2, _weight=np.eye(2, dtype=np.float32), _freeze=True)
    assert not frozen.weight.requires_grad and frozen.weight.numpy().tolist() == [[1.0, 0.0], [0.0, 1.0]]
    with pytest.raises(NotImplementedError, match="max_norm"):
        nn.Embedding(5, 3, max_norm=1.0)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Embedding(5, 3, padding_idx=-1)
    assert repr(ours) == repr(theirs) and theirs.padding_idx == 4
    theirs.load_state_dict({"weight": torch.tensor(ours.weight.numpy())})
    (theirs(torch.tensor(ids)) * torch.tensor(up)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("build, message", [
    (lambda: nn.AvgPool2d(0)(mg.zeros(1, 1, 4, 4)), r"avg_pool2d: kernel_size and stride must be >= 1"),
    (lambda: nn.AvgPool2d(2, padding=2)(mg.zeros(1, 1, 4, 4)), r"padding at most half the kernel"),  # torch refuses too
    (lambda: mg.optim.lr_scheduler.StepLR(mg.optim.SGD(nn.Linear(2, 2).parameters(), 0.1), 0),
     r"StepLR: step_size must be a whole number >= 1, got 0"),  # torch divides by it at the first step
    (lambda: mg.optim.lr_scheduler.CosineAnnealingLR(mg.optim.SGD(nn.Linear(2, 2).parameters(), 0.1), 0),
     r"CosineAnnealingLR: T_max must be a number > 0"),
    (lambda: mg.optim.lr_scheduler.ExponentialLR(mg.optim.SGD(nn.Linear(2, 2).parameters(), 0.1), -0.5),
     r"ExponentialLR: gamma must be a number >= 0"),  # a negative rate: ascent
    (lambda: nn.utils.clip_grad_norm_(nn.Linear(2, 2).parameters(), -1.0),
     r"clip_grad_norm_: max_norm must be a number >= 0, got -1.0"),  # torch flips every gradient's sign
])
def test_settings_that_would_divide_by_zero_or_flip_signs_are_refused(build, message):
    with pytest.raises(ValueError, match=message):
        build()
    assert nn.AvgPool2d(2, padding=(0, 0), count_include_pad=False)(mg.ones(1, 1, 4, 4)).shape == (1, 1, 2, 2)


def test_a_layer_used_twice_is_visited_once_and_saved_under_both_names_as_in_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (mg, torch):
        shared = lib.nn.Linear(2, 2)
        model = lib.nn.Sequential(shared, lib.nn.ReLU(), shared)  # tied: one layer, two places
        visited = []
        model.apply(lambda m: visited.append(type(m).__name__))  # an init applied once, not twice
        results.append(([n for n, _ in model.named_modules()], [n for n, _ in model.named_modules(remove_duplicate=False)],
                        [n for n, _ in model.named_children()], visited, list(model.state_dict()),
                        [n for n, _ in model.named_parameters()]))
    assert results[0] == results[1]
    assert results[0][0] == ["", "0", "1"] and results[0][4] == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_orthogonal_trunc_normal_and_eye_initialisers(device):
    for shape, gain in (((3, 5), 2.0), ((8, 3, 3, 3), 1.0), ((6, 2), 0.5)):  # wide, a conv kernel, tall
        w = mg.zeros(*shape, device=device)
        assert nn.init.orthogonal_(w, gain=gain) is w and w.dtype == np.float32
        flat = w.numpy().reshape(shape[0], -1).astype(np.float64)
        small = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
        np.testing.assert_allclose(small, gain**2 * np.eye(len(small)), atol=1e-5)  # orthonormal rows or columns
    np.testing.assert_array_equal(nn.init.eye_(mg.zeros(2, 3, device=device)).numpy(), np.eye(2, 3))
    with pytest.raises(ValueError, match="orthogonal_: needs a weight of at least 2 axes"):
        nn.init.orthogonal_(mg.zeros(3))
    t = mg.zeros(200_000, device=device)
    values = nn.init.trunc_normal_(t, mean=1.0, std=2.0, a=-1.0, b=2.5).numpy()
    assert -1.0 <= values.min() and values.max() <= 2.5 and values.dtype == np.float32
    stats = pytest.importorskip("scipy.stats")  # scikit-learn's dependency: an independent reference
    expected = stats.truncnorm((-1.0 - 1.0) / 2.0, (2.5 - 1.0) / 2.0, loc=1.0, scale=2.0)
    assert abs(values.mean() - expected.mean()) < 0.01 and abs(values.std() - expected.std()) < 0.01


def test_max_pool_gives_a_tied_windows_gradient_to_its_first_max_as_torch(device):
    values = np.zeros((1, 2, 4, 6), dtype=np.float32)  # a ReLU's zeros: every window tied
    values[0, 1, 1, 1] = 2.0
    x = mg.tensor(values, device=device, requires_grad=True)
    up = np.random.default_rng(0).standard_normal((1, 2, 2, 3)).astype(np.float32)  # one value per window
    (nn.MaxPool2d(2)(x) * mg.tensor(up, device=device)).sum().backward()
    # by hand: a tied window's gradient goes to its first element (top left); the 2.0 takes its window's
    expected = np.zeros_like(values)
    expected[:, :, ::2, ::2] = up
    expected[0, 1, 0, 0], expected[0, 1, 1, 1] = 0.0, up[0, 1, 0, 0]
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    # (dilation, ceil_mode and return_indices, once refused here: tests/test_pooling_extras.py)
    with pytest.raises(ValueError, match=r"max_pool2d: input shape \(1, 2, 4, 6\) is smaller than the kernel \(5, 5\)"):
        nn.MaxPool2d(5)(x)
    torch = pytest.importorskip("torch")
    t = torch.tensor(values, requires_grad=True)
    (torch.nn.MaxPool2d(2)(t) * torch.tensor(up)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss", "smoothed", "weighted"])
def test_a_batch_whose_labels_are_all_ignored_gives_a_nan_mean_and_zero_gradients_as_torch(loss, device):
    """0 / 0 in the forward was NaN as in torch, but the backward divided by 0 too: NaN gradients, then NaN weights."""
    x = mg.randn(3, 4, device=device, requires_grad=True)
    labels = mg.tensor(np.array([-100, -100, -100]), device=device)
    call = {"cross_entropy": lambda: F.cross_entropy(x, labels),
            "nll_loss": lambda: F.nll_loss(F.log_softmax(x, dim=1), labels),
            "smoothed": lambda: F.cross_entropy(x, labels, label_smoothing=0.1),
            "weighted": lambda: nn.CrossEntropyLoss(weight=mg.ones(4, device=device))(x, labels)}[loss]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and without NumPy's divide-by-zero warnings
        value = call()
        value.backward()
    assert np.isnan(value.item())
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 4)))


@contextlib.contextmanager
def _no_host_reads(device):
    """CuPy's detector of device synchronizations (the stand-in's too), where there is one: a check that reads the
    labels on the host would raise inside it."""
    try:
        import cupyx  # noqa: PLC0415

        detector = cupyx.allow_synchronize
    except (ImportError, AttributeError):
        detector = None
    if device == "cpu" or detector is None:
        yield
        return
    with warnings.catch_warnings():  # deprecated in CuPy: a UserWarning when the block is entered
        warnings.filterwarnings("ignore", message="cupyx.allow_synchronize will be removed")
        with detector(False):
            yield


def test_labels_and_ids_out_of_range_are_an_error_on_the_cpu_and_a_nan_on_a_gpu(device):
    """CuPy wraps an index out of range around without a word, and a range check would wait for the device: on a
    GPU a bad label makes its row NaN instead (never another class's value), so GANTrainer's NaN guard stops."""
    x = mg.randn(3, 4, device=device, requires_grad=True)
    emb = nn.Embedding(4, 2).to(device)
    for bad in ([0, 4, 1], [0, -1, 1]):
        labels = mg.tensor(np.array(bad), device=device)
        if device == "cpu":
            with pytest.raises(ValueError, match="labels must lie in 0..3 for 4 classes"):
                F.cross_entropy(x, labels)
            with pytest.raises(IndexError, match=r"Embedding\(4, 2\): ids must lie in \[0, 4\)"):
                emb(labels)
            continue
        with _no_host_reads(device):
            mean = F.cross_entropy(x, labels)
            rows = F.nll_loss(F.log_softmax(x, dim=1), labels, reduction="none")
            total = F.cross_entropy(x, labels, weight=mg.ones(4, device=device), label_smoothing=0.1, reduction="sum")
            vectors = emb(labels)
        assert np.isnan(mean.item()) and np.isnan(total.item())
        assert np.isnan(rows.numpy()).tolist() == [False, True, False]  # only the bad row
        assert np.isnan(vectors.numpy()).any(axis=1).tolist() == [False, True, False]
        np.testing.assert_array_equal(vectors.numpy()[[0, 2]], emb.weight.numpy()[[0, 1]])


@pytest.mark.parametrize("make", [
    lambda dtype: nn.Linear(2, 3, dtype=dtype), lambda dtype: nn.Conv2d(1, 2, 3, dtype=dtype),
    lambda dtype: nn.BatchNorm1d(3, dtype=dtype), lambda dtype: nn.LayerNorm(3, dtype=dtype),
    lambda dtype: nn.Embedding(3, 2, dtype=dtype),
])
def test_layers_built_with_an_integer_or_bool_dtype_are_refused_as_in_torch(make):
    for dtype in ("int64", mg.long, "bool", np.int32):  # the weights were truncated to 0 and still required grad
        with pytest.raises(TypeError, match=r": dtype must be a floating type \(minigan.float32, float64 or float16\)"):
            make(dtype)
    assert make(mg.float64).weight.dtype == np.float64


@pytest.mark.parametrize("build, error, message", [
    (lambda: nn.Dropout("a"), TypeError, r"Dropout: p must be a number between 0 and 1 .*got str 'a'"),
    (lambda: nn.Dropout(None), TypeError, r"Dropout: p must be a number between 0 and 1 .*got NoneType None"),
    (lambda: nn.BatchNorm1d(3, momentum="a"), TypeError,
     r"BatchNorm1d: eps and momentum must be numbers \(momentum may be None\), got eps=1e-05, momentum='a'"),
    (lambda: nn.CrossEntropyLoss(label_smoothing="a"), TypeError,
     r"CrossEntropyLoss: label_smoothing must be a number between 0 and 1, got str 'a'"),
    (lambda: nn.ModuleList(nn.Linear(2, 3)), TypeError,
     r"ModuleList.extend should be called with an iterable, but got Linear; .*nn.ModuleList\(\[layer\]\)"),
    (lambda: nn.LeakyReLU("a"), TypeError, r"LeakyReLU: negative_slope must be a number, got str 'a'"),
    (lambda: nn.LeakyReLU(True), TypeError, r"LeakyReLU: negative_slope must be a number, got bool True; .*inplace=True"),
    (lambda: nn.ELU("a"), TypeError, r"ELU: alpha must be a number, got str 'a'"),
    (lambda: nn.PixelShuffle(1.5), ValueError, r"PixelShuffle: upscale_factor must be a positive int, got 1.5"),
    (lambda: F.pixel_shuffle(mg.zeros(1, 4, 2, 2), 1.5), ValueError, "pixel_shuffle: upscale_factor must be a positive"),
    (lambda: nn.Upsample(size=(0, 4))(mg.zeros(1, 1, 2, 2)), ValueError,
     r"interpolate: size must give 2 positive int lengths, one per spatial axis of the input shape \(1, 1, 2, 2\), "
     r"got \(0, 4\)"),
    (lambda: nn.Upsample(size=0, mode="bilinear")(mg.zeros(1, 1, 2, 2)), ValueError, "size must give 2 positive"),
    (lambda: nn.LayerNorm(()), ValueError, r"LayerNorm: normalized_shape must name at least one axis, got \(\)"),
    (lambda: F.layer_norm(mg.zeros(2, 3), ()), ValueError, "layer_norm: normalized_shape must name at least one"),
    (lambda: nn.ReplicationPad2d(1)(mg.zeros(1, 1, 0, 3)), ValueError,
     r"pad: mode='replicate' copies the edge pixels of axis 2, but it has size 0 \(input shape \(1, 1, 0, 3\)\)"),
])
def test_settings_of_the_wrong_type_or_size_are_named_when_built_or_called(build, error, message):
    """They used to fail inside a Python comparison or NumPy, or (PixelShuffle(1.5): int(1.5) = 1, Upsample to
    size 0, LayerNorm(()): all zeros) not at all."""
    with pytest.raises(error, match=message):
        build()


def test_instance_norm_of_a_single_pixel_is_refused_as_in_torch(device):
    """One pixel normalised by itself is 0: the layer would output its bias alone and pass no gradient."""
    norm = nn.InstanceNorm2d(3, affine=True).to(device)
    for mode in (norm.train, norm.eval):  # the input's own statistics in both modes
        mode()
        with pytest.raises(ValueError, match=r"InstanceNorm2d\(3\): expected more than 1 spatial element, got input "
                                             r"shape \(2, 3, 1, 1\)"):
            norm(mg.randn(2, 3, 1, 1, device=device))
    with pytest.raises(ValueError, match=r"instance_norm: expected more than 1 spatial element"):
        F.instance_norm(mg.randn(2, 3, 1, device=device))
    assert norm(mg.randn(2, 3, 1, 2, device=device)).shape == (2, 3, 1, 2)


def test_a_loss_weight_on_another_device_is_named(device):
    if device == "cpu":
        pytest.skip("two devices exist only with a GPU")
    criterion = nn.CrossEntropyLoss(weight=mg.ones(4))  # a criterion is not moved by model.to("cuda")
    with pytest.raises(RuntimeError, match=r"cross_entropy: tensors are on two devices, the input on 'cuda' and the "
                                           r"weight on 'cpu'; move the weight with .to\('cuda'\).*criterion.to"):
        criterion(mg.randn(2, 4, device=device), mg.tensor(np.array([0, 1]), device=device))
    assert criterion.to(device)(mg.randn(2, 4, device=device), mg.tensor(np.array([0, 1]), device=device)).shape == ()
