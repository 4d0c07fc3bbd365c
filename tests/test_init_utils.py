"""nn.init and nn.utils where tests/test_nn.py does not look: edge values of the settings, the
distribution of orthogonal_, trunc_normal_'s bounds, and spectral norm's vectors between calls."""

import math
import re

import numpy as np
import pytest

import minigan as mg
from minigan import nn

SEEDED_INITS = ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
                "trunc_normal_"]


def test_a_leaky_relu_slope_of_zero_is_a_relu():
    # torch.nn.init.calculate_gain: 0.01 only when no slope is given
    assert nn.init.calculate_gain("leaky_relu", 0) == math.sqrt(2.0) == nn.init.calculate_gain("relu")
    assert nn.init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01**2))
    torch = pytest.importorskip("torch")
    assert nn.init.calculate_gain("leaky_relu", 0) == torch.nn.init.calculate_gain("leaky_relu", 0)


@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (5, 3)])
def test_orthogonal_weights_are_symmetric_about_zero(shape):
    # a uniformly drawn orthogonal matrix (as Saxe et al. and torch draw it) is as likely as its negative,
    # so across draws every entry takes both signs (QR alone gives Q[0, 0] one sign every time)
    corners = [float(nn.init.orthogonal_(mg.zeros(*shape)).numpy()[0, 0]) for _ in range(40)]
    assert min(corners) < 0 < max(corners)


def test_trunc_normal_keeps_every_value_between_the_bounds_even_when_only_one_bound_bites():
    for a, b in ((-10.0, 0.5), (-0.5, 10.0)):  # only values above b (or only below a) need a redraw
        values = nn.init.trunc_normal_(mg.zeros(20_000), a=a, b=b).numpy()
        assert a <= values.min() and values.max() <= b


def test_trunc_normal_refuses_bounds_it_could_never_fill():
    w = mg.zeros(4)
    with pytest.raises(ValueError, match=r"trunc_normal_: the bounds must satisfy a < b, got a=1.0, b=-1.0"):
        nn.init.trunc_normal_(w, a=1.0, b=-1.0)
    with pytest.raises(ValueError, match=r"trunc_normal_: std must be > 0, got 0.0"):
        nn.init.trunc_normal_(w, std=0.0)
    # (these drew forever: the bounds hold almost none of N(mean, std^2); torch only warns)
    with pytest.raises(ValueError, match=r"trunc_normal_: \[a, b\] = \[-2.0, 2.0\] holds only 6.1e-16 of N\(10.0, "
                                         r"1.0\^2\), .* a and b are absolute bounds, as in torch, not multiples of std"):
        nn.init.trunc_normal_(w, mean=10.0)
    with pytest.raises(ValueError, match=r"\[a, b\] = \[0.0, 1e-05\] holds only 4e-06 of N\(0.0, 1.0\^2\)"):
        nn.init.trunc_normal_(w, a=0.0, b=1e-5)
    np.testing.assert_array_equal(w.numpy(), np.zeros(4))  # left as it was


@pytest.mark.parametrize("name", SEEDED_INITS)
def test_a_generator_is_refused_not_ignored(name):
    with pytest.raises(NotImplementedError, match=rf"{name}: generator= is not supported; seed with minigan.manual_seed"):
        getattr(nn.init, name)(mg.zeros(3, 4), generator=object())


def test_eye_needs_a_matrix():
    for shape in ((3,), (2, 2, 2)):
        with pytest.raises(ValueError, match=re.escape(f"eye_: needs a 2-D weight, got shape {shape}")):
            nn.init.eye_(mg.zeros(*shape))


def _with_grad(values):
    p = mg.zeros(len(values), requires_grad=True)
    p.grad = mg.tensor(np.array(values, dtype=np.float32))
    return p


def test_clipping_to_zero_zeroes_the_gradients_as_torch():
    p = _with_grad([3.0, -4.0])
    total = nn.utils.clip_grad_norm_([p], 0.0)
    assert float(total) == 5.0 and p.grad.tolist() == [0.0, 0.0]
    q = _with_grad([3.0, -4.0])
    nn.utils.clip_grad_value_([q], 0)
    assert q.grad.tolist() == [0.0, 0.0]


def test_clipping_takes_one_tensor_as_torch():
    p = _with_grad([3.0, -4.0])
    total = nn.utils.clip_grad_norm_(p, 1.0)  # torch: "an iterable of Tensors or a single Tensor"
    assert float(total) == 5.0
    np.testing.assert_allclose(p.grad.numpy(), np.array([3.0, -4.0]) / (5.0 + 1e-6), rtol=1e-6)
    q = _with_grad([3.0, -0.5])
    nn.utils.clip_grad_value_(q, 1.0)
    assert q.grad.tolist() == [1.0, -0.5]


def test_clipping_parameters_without_gradients_gives_a_norm_of_zero_as_torch():
    p = mg.zeros(2, requires_grad=True)  # no backward yet
    total = nn.utils.clip_grad_norm_([p], 1.0)
    assert float(total) == 0.0 and total.dtype == np.float32 and p.grad is None


def test_a_spectral_norm_graph_keeps_its_own_vectors_when_the_layer_is_called_again():
    # GAN steps call D twice (real, then fake) before one backward: the first call's gradient must not
    # change because the second call refined u and v in place (torch clones them for this reason)
    def first_gradient(second_call):
        mg.manual_seed(0)
        layer = nn.utils.spectral_norm(nn.Linear(4, 3)).to(dtype="float64")
        x = np.random.default_rng(0).standard_normal((2, 4))
        out = layer(mg.tensor(x))
        if second_call:
            layer(mg.tensor(x * 2))
        out.sum().backward()
        return layer.weight_orig.grad.numpy()

    np.testing.assert_array_equal(first_gradient(True), first_gradient(False))


def test_removing_spectral_norm_keeps_the_weight_of_the_last_call():
    mg.manual_seed(0)
    layer = nn.utils.spectral_norm(nn.Linear(4, 3)).to(dtype="float64")  # training mode: each call refines u, v
    layer(mg.randn(2, 4, dtype="float64"))
    used = layer.weight.numpy().copy()
    nn.utils.remove_spectral_norm(layer)  # as torch: no further power iteration
    np.testing.assert_array_equal(layer.weight.numpy(), used)


def test_a_negative_std_or_an_empty_range_is_refused_as_torch_refuses_it():
    # normal_(std=-1) drew N(0, 1) reflected and uniform_(a=2, b=1) drew from (1, 2]: both without a word
    w = mg.zeros(3)
    with pytest.raises(ValueError, match=r"normal_: std must be >= 0, got -1"):
        nn.init.normal_(w, std=-1)
    with pytest.raises(ValueError, match=r"uniform_: the range \[a, b\) needs a <= b, got a=2, b=1; swap them"):
        nn.init.uniform_(w, 2, 1)
    assert w.tolist() == [0.0, 0.0, 0.0]
    assert nn.init.normal_(w, 0.5, std=0).tolist() == [0.5] * 3  # a spread of 0 and an empty range are fine
    assert nn.init.uniform_(w, 1, 1).tolist() == [1.0] * 3
    torch = pytest.importorskip("torch")
    for fill in (lambda t: torch.nn.init.normal_(t, std=-1), lambda t: torch.nn.init.uniform_(t, 2, 1)):
        with pytest.raises(RuntimeError):
            fill(torch.zeros(3))
