"""nn.utils.parametrize and nn.utils.parametrizations (spectral_norm, weight_norm), against torch's.

A parametrized tensor (``layer.weight``) is computed from ``layer.parametrizations.weight.original`` at each
read; the keys of state_dict, the parameters, the repr, the values and the gradients (first and second order)
are torch's, so a torch checkpoint loads and gives torch's outputs.
"""

import copy

import numpy as np
import pytest

import minigan as mg
import minigan.nn.utils.parametrizations
from minigan import nn, optim
from minigan.nn.utils import parametrize

P = minigan.nn.utils.parametrizations

LAYERS = {  # name -> (build(lib), input shape)
    "linear": (lambda lib: lib.nn.Linear(6, 4), (3, 6)),
    "conv": (lambda lib: lib.nn.Conv2d(3, 5, 3, 2, 1), (2, 3, 6, 6)),
    "conv_transpose": (lambda lib: lib.nn.ConvTranspose2d(3, 5, 4, 2, 1), (2, 3, 3, 3)),
    "conv_transpose1d": (lambda lib: lib.nn.ConvTranspose1d(3, 5, 3), (2, 3, 7)),
}


def _load_torchs(ours, theirs, device):
    """theirs's state_dict into ours (same keys, in the same order), as float64 on `device`."""
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.to(device, "float64").load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})


def _close(ours, theirs, rtol=1e-9):
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("make", list(LAYERS))
def test_spectral_norm_as_torchs_in_training_and_eval_mode(make, device):
    torch = pytest.importorskip("torch")
    build, shape = LAYERS[make]
    theirs = torch.nn.utils.parametrizations.spectral_norm(build(torch)).double()
    ours = P.spectral_norm(build(mg))
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    _load_torchs(ours, theirs, device)  # bias, parametrizations.weight.original, ...0._u, ...0._v
    sn = ours.parametrizations.weight[0]
    rng = np.random.default_rng(0)
    for _ in range(2):  # training mode: each read refines u and v by one power iteration, in place
        x = rng.standard_normal(shape)
        out, tout = ours(mg.tensor(x, device=device)), theirs(torch.tensor(x))
        _close(out, tout)
        out.sum().backward(), tout.sum().backward()
        _close(ours.parametrizations.weight.original.grad, theirs.parametrizations.weight.original.grad, 1e-8)
        _close(sn._u, theirs.parametrizations.weight[0]._u)
        _close(sn._v, theirs.parametrizations.weight[0]._v)
    ours.eval(), theirs.eval()
    u = sn._u.numpy().copy()
    _close(ours(mg.tensor(x, device=device)), theirs(torch.tensor(x)))
    np.testing.assert_array_equal(sn._u.numpy(), u)  # eval mode: u and v stay
    _close(ours.weight, theirs.weight)
    assert sn.dim == theirs.parametrizations.weight[0].dim


def test_spectral_norm_gradients_against_finite_differences(device):
    layer = P.spectral_norm(nn.Conv2d(2, 3, 3)).to(device, "float64").eval()  # eval: u and v are constants
    x = mg.randn(1, 2, 4, 4, dtype="float64", device=device, requires_grad=True)
    inputs = [x, layer.parametrizations.weight.original]  # gradcheck perturbs the parameter itself, in place
    assert mg.gradcheck(lambda xx, w: layer(xx), inputs)
    assert mg.gradgradcheck(lambda xx, w: layer(xx), inputs)


def test_r1_penalty_through_a_spectrally_normalised_discriminator_as_torchs(device):
    torch = pytest.importorskip("torch")

    def discriminator(lib):
        sn = lib.nn.utils.parametrizations.spectral_norm
        return lib.nn.Sequential(sn(lib.nn.Linear(4, 8)), lib.nn.LeakyReLU(0.2), sn(lib.nn.Linear(8, 1)))

    theirs = discriminator(torch).double()
    ours = discriminator(mg)
    _load_torchs(ours, theirs, device)
    x = np.random.default_rng(1).standard_normal((5, 4))
    xs, txs = mg.tensor(x, device=device, requires_grad=True), torch.tensor(x, requires_grad=True)
    (g,), (tg,) = mg.grad(ours(xs).sum(), [xs], create_graph=True), torch.autograd.grad(theirs(txs).sum(), [txs],
                                                                                           create_graph=True)
    (g * g).sum().backward(), (tg * tg).sum().backward()  # R1: ||dD/dx||^2, a second derivative into the weights
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        if "original" in name:  # (dD/dx does not depend on the biases: None or zeros)
            _close(p.grad, tp.grad, 1e-7)


@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_as_torchs(dim, device):
    torch = pytest.importorskip("torch")
    build = lambda lib: lib.nn.Conv2d(3, 4, 3)  # noqa: E731
    theirs = torch.nn.utils.parametrizations.weight_norm(build(torch), dim=dim).double()
    ours = P.weight_norm(build(mg), dim=dim)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
           [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]  # original0 = g, original1 = v
    _load_torchs(ours, theirs, device)
    x = np.random.default_rng(2).standard_normal((2, 3, 5, 5))
    out, tout = ours(mg.tensor(x, device=device)), theirs(torch.tensor(x))
    _close(out, tout)
    out.sum().backward(), tout.sum().backward()
    for key in ("original0", "original1"):
        _close(getattr(ours.parametrizations.weight, key).grad, getattr(theirs.parametrizations.weight, key).grad, 1e-8)
    g, v = ours.parametrizations.weight.original0, ours.parametrizations.weight.original1
    assert mg.gradgradcheck(lambda xx, gg, vv: ours(xx), [mg.tensor(x[:1, :, :3, :3], device=device), g, v])


def test_a_new_layer_is_float32_and_matches_torchs_initial_weight():
    torch = pytest.importorskip("torch")
    for wrap in (P.spectral_norm, P.weight_norm):
        ours = wrap(nn.Linear(5, 3))
        assert all(t.dtype == np.float32 for t in ours.state_dict().values())
        assert ours(mg.randn(2, 5)).dtype == np.float32
    layer = nn.Linear(5, 3)
    rng = np.random.default_rng(0)  # singular values 3, 1, 0.5 (well apart): 16 power iterations from any start
    u, v = np.linalg.qr(rng.standard_normal((3, 3)))[0], np.linalg.qr(rng.standard_normal((5, 3)))[0]
    w = (u * [3.0, 1.0, 0.5]) @ v.T  # converge to ~1e-15, so torch's random start and ours agree to rounding
    with mg.no_grad():
        layer.weight.copy_(mg.tensor(w.astype(np.float32)))
    w = layer.weight.numpy().copy()
    P.weight_norm(layer)  # g v / ||v|| with g = ||v||: the same weight, as torch's
    np.testing.assert_allclose(layer.weight.numpy(), w, rtol=1e-6)
    t = torch.nn.Linear(5, 3)
    t.weight.data = torch.tensor(w)
    torch.nn.utils.parametrizations.spectral_norm(t)
    P.spectral_norm(layer)  # (on top of weight_norm here) u, v start random: sigma after 15 + 1 iterations
    np.testing.assert_allclose(layer.weight.numpy(), t.weight.detach().numpy(), rtol=1e-4)


def test_repr_and_state_dict_keys_are_torchs():
    torch = pytest.importorskip("torch")
    for build in (lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(3, 4)),
                  lambda lib: lib.nn.utils.parametrizations.spectral_norm(
                      lib.nn.utils.parametrizations.weight_norm(lib.nn.Conv2d(2, 3, 3), dim=1))):
        ours, theirs = build(mg), build(torch)
        assert repr(ours) == repr(theirs)  # ParametrizedLinear(...) with its (parametrizations): ModuleDict block
        assert list(ours.state_dict()) == list(theirs.state_dict())
    layer = nn.Linear(2, 2)
    parametrize.register_parametrization(layer, "weight", _Double())
    parametrize.remove_parametrizations(layer, "weight")
    assert repr(layer) == "Linear(in_features=2, out_features=2, bias=True)"


class _Double(nn.Module):
    """X -> 2 X, with right_inverse Y -> Y / 2."""

    def forward(self, x):
        return x * 2.0

    def right_inverse(self, y):
        return y / 2.0


class _AddOne(nn.Module):
    """X -> X + 1 (no right_inverse)."""

    def forward(self, x):
        return x + 1.0


def test_register_assign_and_remove_as_torchs():
    torch = pytest.importorskip("torch")

    class TorchDouble(torch.nn.Module):
        def forward(self, x):
            return x * 2.0

        def right_inverse(self, y):
            return y / 2.0

    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    w = ours.weight
    for lib, layer, double in ((parametrize, ours, _Double()), (torch.nn.utils.parametrize, theirs, TorchDouble())):
        assert lib.register_parametrization(layer, "weight", double) is layer
    assert ours.parametrizations.weight.original is w  # the same Parameter: an optimizer made earlier still steps it
    assert parametrize.is_parametrized(ours) and parametrize.is_parametrized(ours, "weight")
    assert not parametrize.is_parametrized(ours, "bias") and not parametrize.is_parametrized(nn.Linear(1, 1))
    _close(ours.weight, theirs.weight)  # 2 W
    new = np.arange(6.0).reshape(2, 3)
    ours.weight = mg.tensor(new, dtype="float32")  # original = right_inverse(new) = new / 2
    theirs.weight = torch.tensor(new, dtype=torch.float32)
    np.testing.assert_array_equal(w.numpy(), theirs.parametrizations.weight.original.detach().numpy())
    np.testing.assert_array_equal(ours.weight.numpy(), new)
    assert ours.parametrizations.weight.original is w
    parametrize.remove_parametrizations(ours, "weight"), torch.nn.utils.parametrize.remove_parametrizations(
        theirs, "weight")
    assert ours.weight is w and list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    np.testing.assert_array_equal(w.numpy(), new)  # leave_parametrized=True: the parametrized value stays
    assert "parametrizations" not in ours._modules and not parametrize.is_parametrized(ours)
    parametrize.register_parametrization(ours, "weight", _Double())
    parametrize.remove_parametrizations(ours, "weight", leave_parametrized=False)
    np.testing.assert_array_equal(ours.weight.numpy(), new / 2)  # the original's, right_inverse(new) = new / 2


def test_parametrizations_chain_in_order_and_a_buffer_can_be_parametrized():
    layer = nn.BatchNorm1d(2)
    parametrize.register_parametrization(layer, "running_var", _Double())
    parametrize.register_parametrization(layer, "running_var", _AddOne())  # 2 X, then + 1
    np.testing.assert_array_equal(layer.parametrizations.running_var.original.numpy(), [0.5, 0.5])  # 1 / 2
    np.testing.assert_array_equal(layer.running_var.numpy(), [2.0, 2.0])  # 2 (1 / 2) + 1
    assert "parametrizations.running_var.original" in dict(layer.named_buffers())
    assert "running_var" not in dict(layer.named_buffers())
    with pytest.raises(RuntimeError, match="_AddOne does not implement right_inverse"):
        layer.running_var = mg.ones(2)


def test_the_optimizer_trains_original_and_save_load_deepcopy_and_to_keep_it():
    torch = pytest.importorskip("torch")
    model = nn.Sequential(P.spectral_norm(nn.Linear(3, 4)), nn.Tanh(), P.weight_norm(nn.Linear(4, 1)))
    opt = optim.Adam(model.parameters(), lr=0.1)
    before = model[0].parametrizations.weight.original.numpy().copy()
    model(mg.randn(5, 3)).sum().backward()
    opt.step()
    assert not np.allclose(model[0].parametrizations.weight.original.numpy(), before)
    path = str(__import__("tempfile").mkdtemp()) + "/m.pt"
    mg.save(model.state_dict(), path)
    again = nn.Sequential(P.spectral_norm(nn.Linear(3, 4)), nn.Tanh(), P.weight_norm(nn.Linear(4, 1))).eval()
    again.load_state_dict(mg.load(path))
    model.eval()
    x = mg.randn(2, 3)
    np.testing.assert_array_equal(again(x).numpy(), model(x).numpy())
    twin = copy.deepcopy(model)
    assert twin[0].parametrizations.weight.original is not model[0].parametrizations.weight.original
    np.testing.assert_array_equal(twin(x).numpy(), model(x).numpy())
    twin.double()
    assert twin[0].weight.dtype == np.float64 and twin[0].parametrizations.weight[0]._u.dtype == np.float64
    theirs = torch.nn.Sequential(torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(3, 4)),
                                 torch.nn.Tanh(), torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(4, 1)))
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})  # and into torch
    theirs.eval()
    _close(model(x), theirs(torch.tensor(x.numpy())), rtol=1e-5)


def test_each_read_computes_the_tensor_and_cached_is_refused_clearly():
    layer = P.spectral_norm(nn.Linear(3, 3))
    assert layer.weight is not layer.weight  # recomputed at each read
    with pytest.raises(NotImplementedError, match=r"parametrize.cached\(\) is not in minigan \(its cache would be "
                                                  r"global state\)"):
        with parametrize.cached():
            pass


def test_an_old_weight_norm_checkpoint_loads_into_the_parametrization(device):
    old = nn.utils.weight_norm(nn.Linear(3, 2)).to(device)
    assert list(old.state_dict()) == ["bias", "weight_g", "weight_v"]
    new = P.weight_norm(nn.Linear(3, 2)).to(device)
    new.load_state_dict(old.state_dict())  # weight_g, weight_v -> original0, original1, as torch's
    x = mg.randn(4, 3, device=device)
    np.testing.assert_allclose(new(x).numpy(), old(x).numpy(), rtol=1e-6)


def test_old_spectral_norm_takes_dim_1_for_a_transposed_1d_convolution():
    torch = pytest.importorskip("torch")
    ours = nn.utils.spectral_norm(nn.ConvTranspose1d(2, 5, 3))  # weight (in, out, k): dim 1 is the outputs
    theirs = torch.nn.utils.spectral_norm(torch.nn.ConvTranspose1d(2, 5, 3))
    assert ours.weight_u.shape == tuple(theirs.weight_u.shape) == (5,)


def test_a_missing_attribute_is_still_pythons_attribute_error():
    with pytest.raises(AttributeError, match="^'Linear' object has no attribute 'wieght'$"):
        nn.Linear(2, 2).wieght
    assert not hasattr(P.spectral_norm(nn.Linear(2, 2)), "weight_orig")
    layer = P.spectral_norm(nn.Linear(2, 2))
    with pytest.raises(AttributeError, match=r"^Linear.weight is parametrized and cannot be deleted; first "
                                             r"nn.utils.parametrize.remove_parametrizations\(module, 'weight'\)"):
        del layer.weight  # (it said 'Linear' object has no attribute 'weight', which it has)
    assert layer.weight.shape == (2, 2)


class _Widen(nn.Module):
    def forward(self, x):
        return mg.cat([x, x], 1)


@pytest.mark.parametrize("call, error, match", [
    (lambda: parametrize.register_parametrization(nn.Linear(2, 2), "kernel", _Double()), ValueError,
     r"Linear does not have a parameter, a buffer, or a parametrized element with name 'kernel'; it has weight, bias"),
    (lambda: parametrize.register_parametrization(nn.Linear(2, 2), "weight", lambda x: x), TypeError,
     r"parametrization must be an nn.Module, got function"),
    (lambda: parametrize.register_parametrization(nn.Linear(2, 2), "weight", _Widen()), ValueError,
     r"may not change the dtype or shape .*\(2, 2\) before, float32 \(2, 4\) parametrized\), unless the `unsafe`"),
    (lambda: parametrize.remove_parametrizations(nn.Linear(2, 2), "weight"), ValueError,
     r"Linear does not have a parametrization on 'weight'"),
    (lambda: parametrize.remove_parametrizations(P.weight_norm(nn.Linear(2, 2)), "weight", False), ValueError,
     r"cannot leave unparametrized .*'weight' has 2 originals"),
    (lambda: setattr(P.spectral_norm(nn.Linear(2, 2)), "weight", nn.Parameter(mg.zeros(2, 2))), KeyError,
     r"Linear.weight is parametrized .* a new Parameter cannot replace it; assign a Tensor"),
    (lambda: setattr(P.spectral_norm(nn.Linear(2, 2)), "weight", np.zeros((2, 2))), TypeError,
     r"Linear.weight is parametrized .* assign a Tensor .* got ndarray"),
    (lambda: setattr(P.spectral_norm(nn.Linear(2, 2)), "weight", mg.zeros(2, 2, dtype="float64")), ValueError,
     r"`right_inverse` returned float64 for original, which is float32"),
    (lambda: P.spectral_norm(nn.ReLU()), ValueError, r"spectral_norm: the module ReLU has no parameter or buffer"),
    (lambda: P.spectral_norm(nn.Linear(2, 2), dim=2), IndexError, r"expected an int in \[-2, 1\] .* got 2"),
    (lambda: P.spectral_norm(nn.Linear(2, 2), n_power_iterations=0), ValueError, r"a whole number > 0, got 0"),
    (lambda: P.weight_norm(nn.Linear(2, 2), dim=3), ValueError, r"weight_norm: dim must be an int in \[-2, 2\)"),
    (lambda: P.weight_norm(nn.Linear(2, 2), name="kernel"), ValueError, r"Linear has no parameter or buffer .*kernel"),
])
def test_bad_calls_get_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- review: gaps found by mutation testing
class _AddOneInvertible(nn.Module):
    """X -> X + 1, with right_inverse Y -> Y - 1."""

    def forward(self, x):
        return x + 1.0

    def right_inverse(self, y):
        return y - 1.0


class _Square(nn.Module):
    """X -> X * X (its backward needs X), with right_inverse Y -> sqrt(Y)."""

    def forward(self, x):
        return x * x

    def right_inverse(self, y):
        return mg.sqrt(y)


def _torch_module(torch, ours_class):
    """A torch.nn.Module with the forward and right_inverse of the minigan test parametrization `ours_class`."""
    ops = {_Double: (lambda x: x * 2.0, lambda y: y / 2.0), _AddOneInvertible: (lambda x: x + 1.0, lambda y: y - 1.0),
           _Square: (lambda x: x * x, lambda y: y.sqrt())}[ours_class]
    return type(ours_class.__name__, (torch.nn.Module,), {"forward": lambda self, x: ops[0](x),
                                                          "right_inverse": lambda self, y: ops[1](y)})()


def test_assigning_a_chained_tensor_inverts_the_last_parametrization_first_as_torchs():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    for lib, layer, module in ((parametrize, ours, lambda c: c()), (torch.nn.utils.parametrize, theirs,
                                                                    lambda c: _torch_module(torch, c))):
        lib.register_parametrization(layer, "weight", module(_Double))
        lib.register_parametrization(layer, "weight", module(_AddOneInvertible), unsafe=True)  # 2 X + 1
    new = np.array([[1.0, 3.0], [5.0, 7.0]])
    ours.weight, theirs.weight = mg.tensor(new, dtype="float32"), torch.tensor(new, dtype=torch.float32)
    original = theirs.parametrizations.weight.original.detach().numpy()
    np.testing.assert_array_equal(original, (new - 1) / 2)  # (Y - 1) / 2, not Y / 2 - 1
    np.testing.assert_array_equal(ours.parametrizations.weight.original.numpy(), original)
    np.testing.assert_array_equal(ours.weight.numpy(), new)
    assert ours.parametrizations.weight.unsafe is theirs.parametrizations.weight.unsafe is True  # kept once set
    assert P.weight_norm(nn.Linear(2, 2)).parametrizations.weight.unsafe is True  # (as torch's: it may reshape g)


def test_a_graph_made_before_an_assignment_cannot_backpropagate_as_torchs():
    torch = pytest.importorskip("torch")
    for lib, pz, square in ((mg, parametrize, _Square()), (torch, torch.nn.utils.parametrize,
                                                            _torch_module(torch, _Square))):
        layer = pz.register_parametrization(lib.nn.Linear(2, 2), "weight", square)
        out = layer(lib.ones(1, 2)).sum()  # its graph keeps the original, to differentiate X * X
        layer.weight = lib.ones(2, 2)  # a new original
        with pytest.raises(RuntimeError):
            out.backward()


def test_two_tensors_of_a_layer_parametrized_as_torchs():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for name in ("weight", "bias"):
        parametrize.register_parametrization(ours, name, _Double())
        torch.nn.utils.parametrize.register_parametrization(theirs, name, _torch_module(torch, _Double))
    assert list(ours.state_dict()) == list(theirs.state_dict())  # the first one registered is kept
    _close(ours.weight, theirs.weight), _close(ours.bias, theirs.bias)
    parametrize.remove_parametrizations(ours, "weight")
    assert parametrize.is_parametrized(ours) and parametrize.is_parametrized(ours, "bias")
    assert repr(ours).startswith("ParametrizedLinear(")


def test_removing_weight_norm_leaves_a_trainable_parameter_as_torchs():
    torch = pytest.importorskip("torch")
    ours, theirs = P.weight_norm(nn.Linear(3, 2)), torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 2))
    _load_torchs(ours, theirs, "cpu")
    w = ours.weight.numpy()
    parametrize.remove_parametrizations(ours, "weight"), torch.nn.utils.parametrize.remove_parametrizations(
        theirs, "weight")
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()] == ["bias", "weight"]
    assert isinstance(ours.weight, nn.Parameter) and ours.weight.requires_grad and ours.weight.is_leaf
    np.testing.assert_array_equal(ours.weight.numpy(), w)


def test_registering_on_a_module_in_eval_mode_keeps_u_and_v_as_torchs():
    torch = pytest.importorskip("torch")
    for lib in (mg, torch):
        layer = lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(3, 3).eval())
        sn = layer.parametrizations.weight[0]
        assert sn.training is False
        u = np.array(sn._u.detach().numpy() if lib is torch else sn._u.numpy())
        layer.weight  # noqa: B018 (a read: no power iteration in eval mode)
        np.testing.assert_array_equal(sn._u.detach().numpy() if lib is torch else sn._u.numpy(), u)


def test_spectral_norm_starts_from_converged_u_and_v():
    layer = nn.Linear(3, 3, bias=False)
    q = np.linalg.qr(np.random.default_rng(3).standard_normal((3, 3)))[0]
    with mg.no_grad():
        layer.weight.copy_(mg.tensor(q * [1.0, 0.7, 0.2] @ q.T, dtype="float32"))  # singular values 1, 0.7, 0.2
    mg.manual_seed(0)
    P.spectral_norm(layer).eval()  # eval: the weight is read with the u and v of the 15 first iterations
    np.testing.assert_allclose(np.linalg.svd(layer.weight.numpy(), compute_uv=False)[0], 1.0, rtol=1e-5)


SN_CASES = {  # name -> (build(lib), input shape)
    "three_iterations_negative_dim": (lambda lib: lib.nn.utils.parametrizations.spectral_norm(
        lib.nn.Linear(6, 4), n_power_iterations=3, dim=-1), (3, 6)),
    "one_dimensional_weight": (lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.BatchNorm1d(4)), (5, 4)),
}


@pytest.mark.parametrize("case", list(SN_CASES))
def test_spectral_norm_read_twice_before_backward_as_torchs(case):
    torch = pytest.importorskip("torch")  # (a GAN's discriminator on real and fake data, then one backward)
    build, shape = SN_CASES[case]
    ours, theirs = build(mg), build(torch).double()
    _load_torchs(ours, theirs, "cpu")
    sn, tsn = ours.parametrizations.weight[0], theirs.parametrizations.weight[0]
    assert sn.dim == tsn.dim
    x, y = np.random.default_rng(4).standard_normal((2, *shape))
    out, tout = ours(mg.tensor(x)) + ours(mg.tensor(y)), theirs(torch.tensor(x)) + theirs(torch.tensor(y))
    _close(out, tout)
    (out * out).sum().backward(), (tout * tout).sum().backward()
    _close(ours.parametrizations.weight.original.grad, theirs.parametrizations.weight.original.grad, 1e-8)
    for name, _ in theirs.parametrizations.weight[0].named_buffers():
        _close(getattr(sn, name), getattr(tsn, name))


def test_spectral_norm_keeps_float32_with_a_numpy_eps_and_old_checkpoint_keys_load_as_torchs():
    torch = pytest.importorskip("torch")
    layer = P.spectral_norm(nn.Linear(3, 2), eps=np.float64(1e-12))
    assert layer.parametrizations.weight[0]._u.dtype == np.float32 and layer.weight.dtype == np.float32
    old = {"weight_g": np.ones((2, 1), "float32")}  # (no weight_v: nothing to convert)
    result = P.weight_norm(nn.Linear(3, 2)).load_state_dict(old, strict=False)
    theirs = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 2)).load_state_dict(
        {k: torch.tensor(v) for k, v in old.items()}, strict=False)
    assert (sorted(result.missing_keys), result.unexpected_keys) == (sorted(theirs.missing_keys),
                                                                     theirs.unexpected_keys)


def test_a_forward_hook_alone_runs_on_a_parametrized_layer():
    layer, seen = P.spectral_norm(nn.Linear(2, 2)), []
    layer.register_forward_hook(lambda m, args, out: seen.append(out.shape))  # (no pre-hook)
    layer(mg.ones(3, 2))
    assert seen == [(3, 2)]


class _ToDouble(nn.Module):
    def forward(self, x):
        return x.double()


@pytest.mark.parametrize("call, match", [
    (lambda: parametrize.register_parametrization(nn.Linear(2, 2), "weight", _ToDouble()),
     r"may not change the dtype or shape .*\(float32 \(2, 2\) before, float64 \(2, 2\) parametrized\)"),
    (lambda: parametrize.register_parametrization(P.spectral_norm(nn.Linear(2, 2)), "weight", _Widen()),
     r"the parametrization of module.weight \(float32 \(2, 2\)\) returned float32 \(2, 4\); it may not change"),
])
def test_dtype_and_shape_checks_of_a_parametrization_and_of_a_chained_one(call, match):
    with pytest.raises(ValueError, match=match):
        call()


class _WidenInverse(nn.Module):
    """X -> X, with a right_inverse that doubles the columns (so a wrong inverse)."""

    def forward(self, x):
        return x

    def right_inverse(self, y):
        return mg.cat([y, y], 1)


def test_a_chained_parametrization_whose_right_inverse_changes_the_shape_is_refused_as_torchs():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(2, 2))
    bad = type("W", (torch.nn.Module,), {"forward": lambda self, x: x,
                                         "right_inverse": lambda self, y: torch.cat([y, y], 1)})()
    with pytest.raises(ValueError, match="must have the same shape"):
        torch.nn.utils.parametrize.register_parametrization(theirs, "weight", bad)
    layer = P.spectral_norm(nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"the parametrization's right_inverse of module.weight \(float32 \(2, 2\)\) "
                                         r"returned float32 \(2, 4\); it must return a tensor of that dtype and shape"):
        parametrize.register_parametrization(layer, "weight", _WidenInverse())
    assert len(layer.parametrizations.weight) == 1  # refused: nothing appended
    parametrize.register_parametrization(layer, "weight", _WidenInverse(), unsafe=True)  # allowed, as torch's


def test_a_refused_name_reads_a_spectral_normed_weight_once_as_torchs():
    torch = pytest.importorskip("torch")
    us = []
    for lib in (mg, torch):
        layer = lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(3, 3))
        with lib.no_grad():
            weight = lib.tensor([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0], [2.0, 1.0, 1.0]])
            layer.parametrizations.weight.original.copy_(weight)
            layer.parametrizations.weight[0]._v.copy_(lib.tensor([1.0, -2.0, 0.5]))  # far from converged
        with pytest.raises(KeyError, match="'weight'"):
            layer.register_buffer("weight", None)  # the check reads layer.weight: one power iteration
        us.append(layer.parametrizations.weight[0]._u.detach().numpy())
    np.testing.assert_allclose(us[0], us[1], rtol=1e-5)  # were two iterations (the check read it twice)


class _Inverse(nn.Module):
    """A parametrization that leaves the tensor alone, with a given right_inverse."""

    def __init__(self, back):
        super().__init__()
        self.back = back

    def forward(self, x):
        return x

    def right_inverse(self, x):
        return self.back(x)


def _not_implemented(x):
    raise NotImplementedError


BACKS = {  # what a right_inverse returns: works on either library's tensors
    "a number": lambda x: 3.0,
    "another dtype": lambda x: x.double(),
    "a list with a number": lambda x: [x, 1.0],
}


@pytest.mark.parametrize("kind, message", [
    ("a number", r"'right_inverse' must return a Tensor or a Sequence of tensors \(list, tuple...\); got float"),
    ("another dtype", r"When `right_inverse` outputs one tensor, it may not change the dtype or device: original "
                      r"is float32 on 'cpu', right_inverse\(original\) is float64 on 'cpu'"),
    ("a list with a number", r"got element 1 of the sequence with type float"),
])
def test_an_unsafe_parametrization_whose_right_inverse_returns_the_wrong_thing_is_refused_as_in_torch(kind, message):
    # (found by line coverage) with unsafe=True the early check is skipped, and the list of parametrizations refuses
    lin = nn.Linear(2, 2)
    with pytest.raises(ValueError, match=message):
        parametrize.register_parametrization(lin, "weight", _Inverse(BACKS[kind]), unsafe=True)
    assert not parametrize.is_parametrized(lin)
    torch = pytest.importorskip("torch")

    class TorchInverse(torch.nn.Module):
        def forward(self, x):
            return x

        def right_inverse(self, x):
            return BACKS[kind](x)

    with pytest.raises(ValueError):
        torch.nn.utils.parametrize.register_parametrization(torch.nn.Linear(2, 2), "weight", TorchInverse(), unsafe=True)


@pytest.mark.parametrize("unsafe", [False, True])
def test_a_right_inverse_that_is_not_implemented_keeps_the_original_as_in_torch(unsafe):
    lin = nn.Linear(2, 2)
    before = lin.weight.numpy().copy()
    parametrize.register_parametrization(lin, "weight", _Inverse(_not_implemented), unsafe=unsafe)
    np.testing.assert_array_equal(lin.parametrizations.weight.original.numpy(), before)
    np.testing.assert_array_equal(lin.weight.numpy(), before)
    assert parametrize.type_before_parametrizations(lin) is nn.Linear
    torch = pytest.importorskip("torch")

    class TorchInverse(torch.nn.Module):
        def forward(self, x):
            return x

        def right_inverse(self, x):
            raise NotImplementedError

    theirs = torch.nn.Linear(2, 2)
    kept = theirs.weight.detach().clone()
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", TorchInverse(), unsafe=unsafe)
    assert torch.equal(theirs.parametrizations.weight.original.detach(), kept)
