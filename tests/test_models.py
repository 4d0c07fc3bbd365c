"""The reference DCGAN and its conditional variant: shapes, layer list, PyTorch equivalence, gradients.

Tests that compute take the `device` fixture; PyTorch stays on the CPU and is compared
through `.numpy()` (inputs are drawn on the host, so every device sees the same numbers)."""

import copy

import numpy as np
import pytest

import minigan
from minigan import nn
from minigan.benchmarks.dcgan import to_torch
from minigan.models import Discriminator, Generator, dcgan, one_hot


def _labels(n, device="cpu"):
    return minigan.Tensor(np.arange(n) % 10, device=device)


def _randn(rng, *shape, device="cpu"):
    """float32 N(0, 1) numbers drawn on the host, then put on the device."""
    return minigan.tensor(rng.standard_normal(shape), dtype="float32", device=device)


def test_reference_layers_exactly_as_specified(device):
    G, D = dcgan(device=device)
    for model in (G, D):  # dcgan(device=...) puts every weight and batch-norm statistic there
        assert all(t.device == device for t in list(model.parameters()) + list(model.buffers()))
    assert [type(m).__name__ for m in G.net] == [
        "Linear", "BatchNorm1d", "ReLU", "Unflatten", "ConvTranspose2d", "BatchNorm2d", "ReLU", "ConvTranspose2d", "Tanh"]
    assert [type(m).__name__ for m in D.net] == [
        "Conv2d", "LeakyReLU", "Conv2d", "BatchNorm2d", "LeakyReLU", "Flatten", "Linear"]
    assert G.net[0].weight.shape == (6272, 100) and D.net[6].weight.shape == (1, 6272)
    assert G.net[4].weight.shape == (128, 64, 4, 4) and G.net[7].weight.shape == (64, 1, 4, 4)
    assert D.net[0].weight.shape == (64, 1, 4, 4) and D.net[2].weight.shape == (128, 64, 4, 4)
    assert D.net[1].negative_slope == 0.2
    # DCGAN initialisation: N(0, 0.02^2) weights (std 0.02)
    assert abs(float(D.net[2].weight.data.std()) - 0.02) < 0.002


@pytest.mark.parametrize("conditional", [False, True])
def test_shapes_range_and_dtype(device, rng, conditional):
    G, D = dcgan(conditional, device=device)
    z = _randn(rng, 5, 100, device=device)
    labels = _labels(5, device) if conditional else None
    x = G(z, labels) if conditional else G(z)
    assert x.shape == (5, 1, 28, 28) and x.dtype == np.float32 and x.device == device
    assert float(x.data.min()) >= -1.0 and float(x.data.max()) <= 1.0
    logits = D(x, labels) if conditional else D(x)
    assert logits.shape == (5, 1) and logits.dtype == np.float32 and logits.device == device


@pytest.mark.parametrize("conditional", [False, True])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_forward_and_input_gradient_match_pytorch(device, rng, mode, conditional):
    G, D = dcgan(conditional, device=device)
    n = 8
    z = _randn(rng, n, 100, device=device)
    labels = _labels(n, device) if conditional else None
    # torch or not: the input gradients of float64 copies against central differences, along one random
    # direction per sample, z + t_i dz_i (a gradcheck per input number would take two passes per pixel); in
    # train mode batch norm mixes the samples, so the whole n x n Jacobian in t is checked.
    # eps=1e-8: of D's ~10^5 LeakyReLU inputs some lie within 1e-7 of the kink, and a step of 1e-6 along a
    # whole image's direction crosses it (float64 rounding still leaves the differences good to ~1e-8)
    call = (lambda m, inp: m(inp, labels)) if conditional else (lambda m, inp: m(inp))
    G64, D64 = (copy.deepcopy(m).to(device, "float64").train(mode == "train") for m in (G, D))
    directions = np.random.default_rng(7)
    z64 = z.to(dtype="float64")
    dz = minigan.tensor(directions.standard_normal((n, 100)), dtype="float64", device=device)
    assert minigan.gradcheck(lambda t: call(G64, z64 + t * dz),
                             [minigan.zeros(n, 1, dtype="float64", device=device, requires_grad=True)], eps=1e-8)
    x64 = call(G64, z64).detach()
    dx = minigan.tensor(directions.standard_normal((n, 1, 28, 28)), dtype="float64", device=device)
    assert minigan.gradcheck(lambda t: call(D64, x64 + t * dx),
                             [minigan.zeros(n, 1, 1, 1, dtype="float64", device=device, requires_grad=True)], eps=1e-8)
    torch = pytest.importorskip("torch")
    tG, tD = to_torch(G, torch), to_torch(D, torch)  # the bench's PyTorch twin (on the CPU)
    for m in (G, D, tG, tD):
        m.train(mode == "train")
    # the conditional inputs, built by hand on the PyTorch side: [z, one_hot(y)] and the image plus 10 label maps
    t_one_hot = torch.nn.functional.one_hot(torch.from_numpy(np.arange(n) % 10), 10).float()
    x = G(z, labels) if conditional else G(z)
    assert x.device == device
    tz = torch.from_numpy(z.numpy())
    tx = tG(torch.cat([tz, t_one_hot], 1) if conditional else tz)
    np.testing.assert_allclose(x.numpy(), tx.detach().numpy(), atol=2e-5)
    images = minigan.Tensor(x.numpy(), device=device, requires_grad=True)
    logits = D(images, labels) if conditional else D(images)
    timages = torch.from_numpy(x.numpy()).requires_grad_(True)
    maps = t_one_hot.reshape(n, 10, 1, 1).expand(n, 10, 28, 28)
    if conditional:  # w.h + b + e_y.h: the projection term by hand, with D's class vectors
        features = tD[:-1](torch.cat([timages, maps], 1))
        t_embed = torch.from_numpy(D.embed.weight.numpy())  # (6272, 10): column y is e_y
        tlogits = tD[-1](features) + (features * (t_one_hot @ t_embed.T)).sum(1, keepdim=True)
    else:
        tlogits = tD(timages)
    np.testing.assert_allclose(logits.numpy(), tlogits.detach().numpy(), atol=1e-4)
    logits.sum().backward()
    tlogits.sum().backward()
    np.testing.assert_allclose(images.grad.numpy(), timages.grad.numpy(), atol=1e-5)
    np.testing.assert_allclose(D.net[0].weight.grad.numpy(), tD[0].weight.grad.numpy(), rtol=1e-3, atol=1e-4)
    assert images.grad.device == device and D.net[0].weight.grad.device == device
    if mode == "train":  # batch norm's running statistics moved the same way
        for ours, theirs in ((G, tG), (D, tD)):
            for key, value in theirs.state_dict().items():
                np.testing.assert_allclose(ours.state_dict()[f"net.{key}"].numpy(), value.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("conditional", [False, True])
def test_every_parameter_gets_a_gradient_and_moves(device, rng, conditional):
    G, D = dcgan(conditional, device=device)
    labels = _labels(6, device) if conditional else None
    call = (lambda m, x: m(x, labels)) if conditional else (lambda m, x: m(x))
    opt = minigan.optim.Adam(list(G.parameters()) + list(D.parameters()), lr=1e-3)
    before = [p.numpy().copy() for p in list(G.parameters()) + list(D.parameters())]
    z = _randn(rng, 6, 100, device=device)
    loss = minigan.binary_cross_entropy_with_logits(call(D, call(G, z)), minigan.ones(6, 1, device=device))
    loss.backward()
    for name, p in list(G.named_parameters()) + list(D.named_parameters()):
        assert p.grad is not None and float(np.abs(p.grad.numpy()).max()) > 0, name
        assert p.grad.device == device, name
    opt.step()
    for b, p in zip(before, list(G.parameters()) + list(D.parameters())):
        assert not np.array_equal(b, p.numpy())
        assert p.device == device


def test_conditional_models_use_the_label(device, rng):
    G, D = dcgan(conditional=True, device=device)
    G.eval()
    z = _randn(rng, 1, 100, device=device)
    three, seven = minigan.Tensor(np.array([3]), device=device), minigan.Tensor(np.array([7]), device=device)
    assert not np.allclose(G(z, three).numpy(), G(z, seven).numpy())
    x = _randn(rng, 2, 1, 28, 28, device=device)
    D.eval()
    threes, sevens = minigan.Tensor(np.array([3, 3]), device=device), minigan.Tensor(np.array([7, 7]), device=device)
    assert not np.allclose(D(x, threes).numpy(), D(x, sevens).numpy())
    assert G.net[0].in_features == 110 and D.net[0].in_channels == 11


def test_conditional_discriminator_adds_the_projection_of_its_features(device, rng):
    # logit = w.h + b + e_y.h: with the class vectors zeroed it is the plain head on the same features,
    # and with them it adds e_y.h for each sample's own label y
    _, D = dcgan(conditional=True, device=device)
    D.eval()
    x = _randn(rng, 4, 1, 28, 28, device=device)
    labels = minigan.Tensor(np.array([0, 3, 3, 9]), device=device)
    with_projection = D(x, labels).numpy()
    embed = D.embed.weight.numpy().copy()  # (6272, 10)
    D.embed.weight.data[...] = 0
    without = D(x, labels).numpy()
    inputs = minigan.cat([x, minigan.Tensor(np.broadcast_to(one_hot(labels, 10).numpy()[:, :, None, None],
                                                            (4, 10, 28, 28)).copy(), device=device)], axis=1)
    np.testing.assert_allclose(without, D.net(inputs).numpy(), rtol=1e-6, atol=1e-6)
    h = inputs
    for layer in list(D.net)[:-1]:
        h = layer(h)
    expected = without[:, 0] + (h.numpy() * embed[:, [0, 3, 3, 9]].T).sum(axis=1)
    np.testing.assert_allclose(with_projection[:, 0], expected, rtol=1e-5, atol=1e-5)
    assert D.embed.weight.shape == (6272, 10) and D.embed.bias is None


def test_clear_errors():
    G, D = dcgan()
    Gc, Dc = dcgan(conditional=True)
    with pytest.raises(ValueError, match=r"Generator: expected noise of shape \(N, 100\)"):
        G(minigan.randn(3, 64))
    with pytest.raises(ValueError, match=r"Discriminator: expected images of shape \(N, 1, 28, 28\)"):
        D(minigan.randn(3, 1, 32, 32))
    with pytest.raises(ValueError, match="conditional generator; call it as G\\(z, labels\\)"):
        Gc(minigan.randn(3, 100))
    with pytest.raises(ValueError, match="unconditional"):
        D(minigan.randn(3, 1, 28, 28), _labels(3))
    with pytest.raises(ValueError, match="labels must be in 0..9"):
        one_hot(minigan.Tensor(np.array([10])), 10)
    # labels of another length used to reach "reshape: cannot reshape a tensor of shape (3, 10)..."
    with pytest.raises(ValueError, match=r"Discriminator: expected labels of shape \(5,\), one per image, got labels "
                                         r"of shape \(3,\)"):
        Dc(minigan.randn(5, 1, 28, 28), _labels(3))
    with pytest.raises(ValueError, match=r"Generator: expected labels of shape \(4,\), one per noise vector, got "
                                         r"labels of shape \(4, 1\)"):
        Gc(minigan.randn(4, 100), minigan.Tensor(np.zeros((4, 1), dtype=np.int64)))
    with pytest.raises(TypeError, match=r"Generator: expected labels as an integer Tensor of shape \(2,\), got list"):
        Gc(minigan.randn(2, 100), [1, 2])


def test_state_dict_names_are_stable():
    keys = list(Generator().state_dict())
    assert keys[:3] == ["net.0.weight", "net.0.bias", "net.1.weight"]
    assert isinstance(Discriminator().net[3], nn.BatchNorm2d)
