"""The reference DCGAN and its conditional variant: shapes, layer list, PyTorch equivalence, gradients."""

import numpy as np
import pytest

import minigan
from minigan import nn
from minigan.benchmarks.dcgan import to_torch
from minigan.models import Discriminator, Generator, dcgan, one_hot


def _labels(n):
    return minigan.Tensor(np.arange(n) % 10)


def test_reference_layers_exactly_as_specified():
    G, D = dcgan()
    assert [type(m).__name__ for m in G.net] == [
        "Linear", "BatchNorm1d", "ReLU", "Unflatten", "ConvTranspose2d", "BatchNorm2d", "ReLU", "ConvTranspose2d", "Tanh"]
    assert [type(m).__name__ for m in D.net] == [
        "Conv2d", "LeakyReLU", "Conv2d", "BatchNorm2d", "LeakyReLU", "Flatten", "Linear"]
    assert G.net[0].weight.shape == (6272, 100) and D.net[6].weight.shape == (1, 6272)
    assert G.net[4].weight.shape == (128, 64, 4, 4) and G.net[7].weight.shape == (64, 1, 4, 4)
    assert D.net[0].weight.shape == (64, 1, 4, 4) and D.net[2].weight.shape == (128, 64, 4, 4)
    assert D.net[1].negative_slope == 0.2
    # DCGAN initialisation: N(0, 0.02) weights
    assert abs(float(D.net[2].weight.data.std()) - 0.02) < 0.002


@pytest.mark.parametrize("conditional", [False, True])
def test_shapes_range_and_dtype(conditional):
    G, D = dcgan(conditional)
    z = minigan.randn(5, 100)
    labels = _labels(5) if conditional else None
    x = G(z, labels) if conditional else G(z)
    assert x.shape == (5, 1, 28, 28) and x.dtype == np.float32
    assert float(x.data.min()) >= -1.0 and float(x.data.max()) <= 1.0
    logits = D(x, labels) if conditional else D(x)
    assert logits.shape == (5, 1) and logits.dtype == np.float32


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_forward_and_input_gradient_match_pytorch(mode):
    torch = pytest.importorskip("torch")
    G, D = dcgan()
    tG, tD = to_torch(G, torch), to_torch(D, torch)  # the bench's PyTorch twin
    for m in (G, D, tG, tD):
        m.train(mode == "train")
    z = minigan.randn(8, 100)
    x = G(z)
    tx = tG(torch.from_numpy(z.numpy()))
    np.testing.assert_allclose(x.numpy(), tx.detach().numpy(), atol=2e-5)
    images = minigan.Tensor(x.numpy(), requires_grad=True)
    logits = D(images)
    timages = torch.from_numpy(x.numpy()).requires_grad_(True)
    tlogits = tD(timages)
    np.testing.assert_allclose(logits.numpy(), tlogits.detach().numpy(), atol=1e-4)
    logits.sum().backward()
    tlogits.sum().backward()
    np.testing.assert_allclose(images.grad.numpy(), timages.grad.numpy(), atol=1e-5)
    np.testing.assert_allclose(D.net[0].weight.grad.numpy(), tD[0].weight.grad.numpy(), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("conditional", [False, True])
def test_every_parameter_gets_a_gradient_and_moves(conditional):
    G, D = dcgan(conditional)
    labels = _labels(6) if conditional else None
    call = (lambda m, x: m(x, labels)) if conditional else (lambda m, x: m(x))
    opt = minigan.optim.Adam(list(G.parameters()) + list(D.parameters()), lr=1e-3)
    before = [p.numpy().copy() for p in list(G.parameters()) + list(D.parameters())]
    loss = minigan.binary_cross_entropy_with_logits(call(D, call(G, minigan.randn(6, 100))), minigan.ones(6, 1))
    loss.backward()
    for name, p in list(G.named_parameters()) + list(D.named_parameters()):
        assert p.grad is not None and float(np.abs(p.grad.numpy()).max()) > 0, name
    opt.step()
    for b, p in zip(before, list(G.parameters()) + list(D.parameters())):
        assert not np.array_equal(b, p.numpy())


def test_conditional_models_use_the_label():
    G, D = dcgan(conditional=True)
    G.eval()
    z = minigan.randn(1, 100)
    three, seven = minigan.Tensor(np.array([3])), minigan.Tensor(np.array([7]))
    assert not np.allclose(G(z, three).numpy(), G(z, seven).numpy())
    x = minigan.randn(2, 1, 28, 28)
    D.eval()
    assert not np.allclose(D(x, minigan.Tensor(np.array([3, 3]))).numpy(), D(x, minigan.Tensor(np.array([7, 7]))).numpy())
    assert G.net[0].in_features == 110 and D.net[0].in_channels == 11


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


def test_state_dict_names_are_stable():
    keys = list(Generator().state_dict())
    assert keys[:3] == ["net.0.weight", "net.0.bias", "net.1.weight"]
    assert isinstance(Discriminator().net[3], nn.BatchNorm2d)
