"""BatchNorm1d/2d (train/eval, running statistics, gradients), Dropout and Unflatten."""

import numpy as np
import pytest

import minigan as mg
import minigan.nn.functional as F
from minigan import nn
from torch_peer import norms_take_bias


def _reference_stats(x, axes):
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)  # biased: used to normalise
    count = x.size // x.shape[1]
    return mean, var, var * count / (count - 1)  # unbiased: goes into the running variance


@pytest.mark.parametrize("layer,shape,axes", [
    (nn.BatchNorm1d, (6, 3), (0,)),
    (nn.BatchNorm1d, (4, 3, 5), (0, 2)),
    (nn.BatchNorm2d, (4, 3, 2, 5), (0, 2, 3)),
])
def test_train_and_eval_match_hand_computed_reference(device, rng, layer, shape, axes):
    bn = layer(3, momentum=0.2).to(device, dtype="float64")
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    bn.weight.data[...] = mg.tensor(gamma, dtype="float64", device=device).data
    bn.bias.data[...] = mg.tensor(beta, dtype="float64", device=device).data
    c = (1, 3) + (1,) * (len(shape) - 2)
    running_mean, running_var = np.zeros(3), np.ones(3)
    for step in range(3):
        x = rng.standard_normal(shape) * (step + 1) + step
        y = bn(mg.tensor(x, dtype="float64", device=device))
        mean, var, unbiased = _reference_stats(x, axes)
        expected = (x - mean.reshape(c)) / np.sqrt(var.reshape(c) + 1e-5) * gamma.reshape(c) + beta.reshape(c)
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-10)
        running_mean = 0.8 * running_mean + 0.2 * mean
        running_var = 0.8 * running_var + 0.2 * unbiased
        np.testing.assert_allclose(bn.running_mean.numpy(), running_mean, rtol=1e-12)
        np.testing.assert_allclose(bn.running_var.numpy(), running_var, rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 3

    bn.eval()
    x = rng.standard_normal(shape)
    y = bn(mg.tensor(x, dtype="float64", device=device))
    expected = (x - running_mean.reshape(c)) / np.sqrt(running_var.reshape(c) + 1e-5) * gamma.reshape(c) + beta.reshape(c)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(bn.running_mean.numpy(), running_mean, rtol=1e-12)  # eval leaves them alone
    assert int(bn.num_batches_tracked.item()) == 3
    # in eval mode a sample's output does not depend on the rest of the batch
    alone = bn(mg.tensor(x[:1], dtype="float64", device=device))
    np.testing.assert_allclose(alone.numpy(), y.numpy()[:1], rtol=1e-12)


def test_momentum_none_is_a_cumulative_average(device, rng):
    bn = nn.BatchNorm1d(2, momentum=None).to(device, dtype="float64")
    batches = [rng.standard_normal((5, 2)) + i for i in range(4)]
    for x in batches:
        bn(mg.tensor(x, dtype="float64", device=device))
    assert bn.running_mean.device == device and int(bn.num_batches_tracked.item()) == 4
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(0) for x in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([x.var(0, ddof=1) for x in batches], axis=0), rtol=1e-12)


def test_matches_torch_in_train_and_eval(device):
    torch = pytest.importorskip("torch")  # PyTorch on the CPU; ours on `device`, compared through .numpy()
    rng = np.random.default_rng(7)
    for ours, theirs, shape in [
        (nn.BatchNorm2d(4).to(device), torch.nn.BatchNorm2d(4), (8, 4, 3, 3)),
        (nn.BatchNorm1d(5, momentum=0.3, eps=1e-3).to(device), torch.nn.BatchNorm1d(5, momentum=0.3, eps=1e-3), (16, 5)),
    ]:
        ours.weight.data[...] = mg.tensor(rng.standard_normal(ours.weight.shape), dtype="float32", device=device).data
        theirs.load_state_dict({k: torch.from_numpy(np.asarray(v.numpy())) for k, v in ours.state_dict().items()})
        for _ in range(3):
            x = rng.standard_normal(shape).astype(np.float32) * 2 + 1
            xt = mg.tensor(x, device=device, requires_grad=True)
            tx = torch.from_numpy(x).requires_grad_(True)
            y, ty = ours(xt), theirs(tx)
            assert y.device == device
            np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
            gy = rng.standard_normal(shape).astype(np.float32)
            y.backward(mg.tensor(gy, device=device))
            ty.backward(torch.from_numpy(gy))
            np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-4, atol=1e-4)
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-5, atol=1e-6)
        assert xt.grad.device == device and ours.weight.grad.device == device
        assert all(b.device == device for b in ours.buffers())
        ours.eval(), theirs.eval()
        x = rng.standard_normal(shape).astype(np.float32)
        y = ours(mg.tensor(x, device=device))
        np.testing.assert_allclose(y.numpy(), theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("layer,shape", [(nn.BatchNorm1d, (4, 3)), (nn.BatchNorm2d, (3, 2, 2, 2))])
def test_gradcheck_and_gradgradcheck_in_train_mode(device, rng, layer, shape):
    bn = layer(shape[1]).to(device, dtype="float64")
    bn.weight.data[...] = mg.tensor(rng.standard_normal(shape[1]) + 1.5, dtype="float64", device=device).data
    x = mg.tensor(rng.standard_normal(shape), dtype="float64", device=device, requires_grad=True)
    inputs = (x, bn.weight, bn.bias)

    def fn(x, weight, bias):
        return bn(x)

    assert mg.gradcheck(fn, inputs)
    assert mg.gradgradcheck(fn, inputs)


@pytest.mark.parametrize("layer,shape", [(nn.BatchNorm1d, (16, 5)), (nn.BatchNorm1d, (8, 5, 3)),
                                         (nn.BatchNorm2d, (8, 5, 6, 7))])
def test_train_mode_gives_the_same_numbers_in_either_memory_layout(device, rng, layer, shape):
    # a convolution hands on batch-innermost memory (minigan.conv): the per-channel sums read it in
    # that order, so outputs, gradients and running statistics must agree with a C-ordered input's
    # (float32, the dtype of training; float64 runs are covered by the gradchecks above)
    from minigan import backend

    data = (rng.standard_normal(shape) * 3 + 2).astype(np.float32)
    gy = mg.tensor(rng.standard_normal(shape), dtype=mg.float32, device=device)
    results, layouts = [], []
    batch_last = backend.asarray(np.ascontiguousarray(np.moveaxis(data, 0, -1)), device=device)
    for x_data in (backend.asarray(data, device=device), backend.xp_for_device(device).moveaxis(batch_last, -1, 0)):
        bn = layer(shape[1]).to(device)
        bn.weight.data[...] = mg.tensor(np.linspace(0.5, 1.5, shape[1]), device=device).data
        x = mg.Tensor(x_data, requires_grad=True)
        layouts.append((x.data.flags.c_contiguous, backend.is_batch_innermost(x.data)))
        y = bn(x)
        y.backward(gy)
        results.append([t.numpy() for t in (y, x.grad, bn.weight.grad, bn.bias.grad, bn.running_mean, bn.running_var)])
    assert layouts == [(True, False), (False, True)]  # C order, then batch-innermost
    for c_order, innermost in zip(*results):
        np.testing.assert_allclose(innermost, c_order, rtol=1e-5, atol=1e-5)
    x_mean = data.astype(np.float64).mean(axis=(0,) + tuple(range(2, len(shape))))
    np.testing.assert_allclose(results[1][4], 0.1 * x_mean, rtol=1e-5)  # running mean: momentum 0.1 from 0


def test_affine_false_has_no_parameters(device):
    bn = nn.BatchNorm2d(3, affine=False).to(device)
    assert list(bn.parameters()) == [] and bn.weight is None
    y = bn(mg.randn(4, 3, 2, 2, device=device) * 3.0 + 2.0)
    np.testing.assert_allclose(y.numpy().mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.numpy().var(axis=(0, 2, 3)), 1, atol=1e-3)
    assert list(bn.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]


def test_without_running_statistics_eval_uses_the_batch_as_in_torch(device, rng):
    x = rng.standard_normal((5, 3)).astype(np.float32) * 2 + 1
    bn = nn.BatchNorm1d(3, track_running_stats=False).to(device)
    assert list(bn.state_dict()) == ["weight", "bias"] and bn.running_mean is None
    train = bn(mg.tensor(x, device=device)).numpy()
    evaluated = bn.eval()(mg.tensor(x, device=device)).numpy()
    np.testing.assert_array_equal(train, evaluated)  # nothing else to normalise with
    np.testing.assert_allclose(evaluated, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-5, atol=1e-6)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.BatchNorm1d(3, track_running_stats=False).eval()
    np.testing.assert_allclose(evaluated, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_state_dict_has_torch_keys_and_float32_buffers(device):
    bn = nn.BatchNorm2d(3).to(device)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    bn(mg.randn(4, 3, 2, 2, device=device))
    assert bn.running_mean.dtype == np.float32 and bn.running_var.dtype == np.float32
    assert bn.num_batches_tracked.dtype == np.int64
    assert all(t.device == device for t in bn.state_dict().values())  # the update stayed on the device


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(8\): expected 8 channels \(axis 1\), got 4"):
        nn.BatchNorm2d(8)(mg.zeros(2, 4, 3, 3))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(8\): expected input of shape \(N, C, H, W\), got shape \(2, 8\)"):
        nn.BatchNorm2d(8)(mg.zeros(2, 8))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(8\).*\(N, C\) or \(N, C, L\).*\(2, 8, 3, 3\)"):
        nn.BatchNorm1d(8)(mg.zeros(2, 8, 3, 3))
    with pytest.raises(ValueError, match="more than one value per channel"):
        nn.BatchNorm1d(8)(mg.zeros(1, 8))
    nn.BatchNorm1d(8).eval()(mg.zeros(1, 8))  # a single sample is fine in eval mode
    with pytest.raises(ValueError, match="batch_norm: evaluation mode needs running statistics"):
        F.batch_norm(mg.zeros(2, 8), None, None)
    with pytest.raises(TypeError, match="batch_norm: input dtype float64 but weight dtype float32"):
        F.batch_norm(mg.zeros(2, 8, dtype="float64"), None, None, mg.ones(8), mg.zeros(8), training=True)


def test_batch_norm_names_statistics_of_the_wrong_length_or_device(device):
    """They reached NumPy's broadcast error (after counting the batch) or CuPy's host-array error."""
    x = mg.randn(4, 3, device=device)
    for training in (True, False):
        with pytest.raises(ValueError, match=r"batch_norm: running_mean must hold one value per channel, shape \(3,\) "
                                             r"for input shape \(4, 3\), got shape \(2,\)"):
            F.batch_norm(x, mg.zeros(2, device=device), mg.ones(2, device=device), training=training)
    count = mg.tensor(np.array(0), device=device)
    with pytest.raises(ValueError, match=r"running_var must hold one value per channel.*got shape \(3, 1\)"):
        F.batch_norm(x, mg.zeros(3, device=device), mg.ones(3, 1, device=device), training=True, num_batches_tracked=count)
    assert count.item() == 0  # refused before anything changed
    with pytest.raises(ValueError, match=r"batch_norm: weight must hold one value per channel.*got shape \(2,\)"):
        F.batch_norm(x, None, None, mg.ones(2, device=device), training=True)
    if device != "cpu":  # running statistics left on the host (CuPy: "Unsupported type numpy.ndarray")
        with pytest.raises(RuntimeError, match=r"batch_norm: tensors are on two devices, the input on 'cuda' and "
                                               r"running_mean on 'cpu'; move running_mean with .to\('cuda'\)"):
            F.batch_norm(x, mg.zeros(3), mg.ones(3), training=True)


# ------------------------------------------------------------------ Dropout
def test_dropout_train_and_eval(device):
    mg.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = mg.ones(200, 500, device=device, requires_grad=True)
    y = drop(x)
    values = y.numpy()
    zero = values == 0
    assert abs(zero.mean() - 0.25) < 0.01  # about p of the values are dropped
    np.testing.assert_allclose(values[~zero], 1 / 0.75, rtol=1e-6)  # the rest are scaled by 1/(1-p)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)  # gradient flows through the kept values only
    drop.eval()
    assert drop(x) is x


def test_dropout_is_reproducible_with_manual_seed_and_checks_p(device):
    mg.manual_seed(5)
    a = nn.Dropout(0.5)(mg.ones(64, device=device)).numpy()
    mg.manual_seed(5)
    b = nn.Dropout(0.5)(mg.ones(64, device=device)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, nn.Dropout(0.5)(mg.ones(64, device=device)).numpy())
    assert nn.Dropout(1.0)(mg.ones(5, device=device)).numpy().tolist() == [0.0] * 5
    with pytest.raises(ValueError, match="p must be between 0 and 1, got 1.5"):
        nn.Dropout(1.5)


def test_dropout2d_drops_whole_channels_in_training_only(device):
    mg.manual_seed(0)
    drop = nn.Dropout2d(0.25)
    x = mg.ones(64, 32, 5, 6, device=device, requires_grad=True)
    y = drop(x)
    values = y.numpy()
    per_channel = values.reshape(64, 32, -1)
    assert (per_channel == per_channel[:, :, :1]).all()  # one draw per (sample, channel), all its pixels alike
    zero = per_channel[:, :, 0] == 0
    assert abs(zero.mean() - 0.25) < 0.03  # about p of the 2,048 channels are dropped
    assert zero.any(axis=0).all() and not zero.all(axis=0).any()  # ... independently in each sample
    np.testing.assert_allclose(per_channel[:, :, 0][~zero], 1 / 0.75, rtol=1e-6)
    g = mg.randn(*x.shape, device=device)
    y.backward(g)
    np.testing.assert_allclose(x.grad.numpy(), g.numpy() * values, rtol=1e-6)  # the gradient takes the same mask
    mg.manual_seed(0)
    np.testing.assert_array_equal(nn.Dropout2d(0.25)(x).numpy(), values)  # reproducible with the seed
    drop.eval()
    assert drop(x) is x and F.dropout2d(x, 0.5, training=False) is x
    assert repr(drop) == "Dropout2d(p=0.25, inplace=False)"


def test_dropout2d_names_a_wrong_input_and_p():
    with pytest.raises(ValueError, match=r"dropout2d: expected a 4-D input \(N, C, H, W\), got shape \(3, 4, 5\)"):
        nn.Dropout2d(0.5)(mg.ones(3, 4, 5))
    with pytest.raises(ValueError, match="Dropout2d: p must be between 0 and 1, got -0.1"):
        nn.Dropout2d(-0.1)
    assert F.dropout2d(mg.ones(2, 3, 4, 4, dtype="int64"), 0.5).dtype == np.float32  # integers computed in float32


# ---------------------------------------------------------------- Unflatten
def test_unflatten_shape_gradient_and_error(device):
    x = mg.randn(2, 6272, device=device, requires_grad=True)
    y = nn.Unflatten(1, (128, 7, 7))(x)
    assert y.shape == (2, 128, 7, 7)
    np.testing.assert_array_equal(y.numpy().reshape(2, -1), x.numpy())
    (y * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 6272), 2.0, dtype=np.float32))
    assert nn.Unflatten(-1, (2, 3))(mg.zeros(4, 6, device=device)).shape == (4, 2, 3)
    with pytest.raises(ValueError, match=r"Unflatten\(1, \(128, 7, 7\)\): axis 1 has size 6000"):
        nn.Unflatten(1, (128, 7, 7))(mg.zeros(2, 6000))


def test_scale_without_shift_and_shift_without_scale_as_in_torch(device, rng):
    """PyTorch's F.batch_norm takes a weight or a bias alone, and BatchNorm2d(bias=False) has no bias."""
    x = rng.standard_normal((4, 3, 2, 5))
    gamma, beta = rng.standard_normal(3) + 1.0, rng.standard_normal(3)
    # by hand: each channel normalised over (N, H, W) with the biased variance, then scaled or shifted
    normed = (x - x.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + 1e-5)
    cases = []
    scaled, shifted = normed * gamma[:, None, None], normed + beta[:, None, None]
    for weight, bias, by_hand in ((gamma, None, scaled), (None, beta, shifted)):
        args = [mg.tensor(a, dtype="float64", device=device, requires_grad=True) for a in (x, weight, bias) if a is not None]
        call = (lambda xx, w: F.batch_norm(xx, None, None, w, None, training=True)) if weight is not None else \
            (lambda xx, b: F.batch_norm(xx, None, None, None, b, training=True))
        assert mg.gradcheck(call, args)  # float64 central differences, for x and for the weight or the bias
        np.testing.assert_allclose(call(*args).numpy(), by_hand, rtol=1e-10, atol=1e-10)
        cases.append((weight, bias, call(*args).numpy()))
    bn = nn.BatchNorm2d(3, bias=False, device=device)
    assert bn.bias is None and list(bn.state_dict()) == ["weight", "running_mean", "running_var", "num_batches_tracked"]
    assert bn(mg.randn(4, 3, 2, 2, device=device)).shape == (4, 3, 2, 2)
    torch = pytest.importorskip("torch")
    for weight, bias, ours in cases:
        t = [torch.tensor(a) if a is not None else None for a in (x, weight, bias)]
        expected = torch.nn.functional.batch_norm(t[0], None, None, t[1], t[2], training=True).numpy()
        np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-10)
    if norms_take_bias():  # (torch before 2.13 has no bias flag to compare with)
        assert list(bn.state_dict()) == list(torch.nn.BatchNorm2d(3, bias=False).state_dict())


def test_a_numpy_float64_eps_keeps_a_float32_layer_float32(device):
    # eps read from a config as np.float64(1e-5) made 1 / std float64: backward refused its own gradient (NumPy 2)
    bn = nn.BatchNorm1d(3, eps=np.float64(1e-5)).to(device)
    x = mg.randn(4, 3, device=device, requires_grad=True)
    y = bn(x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == np.float32
    assert bn.eval()(x).dtype == np.float32
