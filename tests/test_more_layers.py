"""Losses, distances, containers, 1-D convolutions, F.embedding, F.gumbel_softmax and weight_norm, against torch.

smooth_l1_loss / huber_loss / kl_div, cosine_similarity / pairwise_distance, ParameterList /
ParameterDict, Conv1d / ConvTranspose1d, embedding, gumbel_softmax and nn.utils.weight_norm: values
and gradients compared with torch in float64, float32 kept, gradcheck, and clear errors.
"""

import math
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import minigan as mg
import minigan.nn as nn
import minigan.nn.functional as F


def _torch():
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float32)
    return torch


def _compare(ours_fn, theirs_fn, arrays, device, atol=1e-10, torch_nan_grads=False, **kwargs):
    """ours_fn and theirs_fn of the same float64 arrays: equal values, and equal gradients of sum(y * w)
    (with `torch_nan_grads`, only where torch's gradient is a number: kl_div's target where it is 0)."""
    torch = _torch()
    ours = [mg.tensor(a, device=device, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch's kl_div 'mean' warning)
        yt = theirs_fn(*theirs, **kwargs)
    y = ours_fn(*ours, **kwargs)
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y.cpu().numpy(), yt.detach().numpy(), rtol=1e-9, atol=atol)
    w = np.random.default_rng(5).normal(size=tuple(yt.shape))
    (y * mg.tensor(w, device=device)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    for a, b in zip(ours, theirs):
        known = ~np.isnan(b.grad.numpy()) if torch_nan_grads else ...
        assert torch_nan_grads or np.isfinite(b.grad.numpy()).all()
        np.testing.assert_allclose(a.grad.cpu().numpy()[known], b.grad.numpy()[known], rtol=1e-8, atol=atol)


# ------------------------------------------------------------- losses
LOSSES = [("smooth_l1_loss", {"beta": 0.7}), ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {"delta": 0.7}),
          ("huber_loss", {}), ("kl_div", {}), ("kl_div", {"log_target": True})]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, options", LOSSES)
def test_losses_match_torch(name, options, reduction, device):
    torch = _torch()
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    t[0, :2] = x[0, :2] + [0.7, -0.7]  # |d| = beta (delta) exactly: the branch point
    if name == "kl_div" and not options:
        x = np.log(np.abs(x) / np.abs(x).sum(1, keepdims=True))
        t = np.abs(t) / np.abs(t).sum(1, keepdims=True)
        t[1, 2] = 0.0  # 0 log 0 = 0
    _compare(getattr(F, name), getattr(torch.nn.functional, name), [x, t], device, reduction=reduction,
             torch_nan_grads=name == "kl_div", **options)


def test_kl_div_batchmean_is_the_sum_over_the_batch_size(device):
    torch = _torch()
    rng = np.random.default_rng(1)
    x, t = np.log(rng.dirichlet(np.ones(6), size=3)), rng.dirichlet(np.ones(6), size=3)
    _compare(F.kl_div, torch.nn.functional.kl_div, [x, t], device, reduction="batchmean")
    _compare(F.kl_div, torch.nn.functional.kl_div, [x[0, 0], t[0, 0]], device, reduction="batchmean")  # 0-d: the sum


def test_kl_div_of_a_zero_target_has_a_finite_gradient():
    # torch's xlogy gives the target a NaN gradient where it is 0; here it is -input (0 log 0's derivative taken as 0)
    x = mg.tensor([-1.0, -2.0], dtype=mg.float64, requires_grad=True)
    t = mg.tensor([0.0, 0.5], dtype=mg.float64, requires_grad=True)
    loss = F.kl_div(x, t, reduction="sum")
    loss.backward()
    assert float(loss) == pytest.approx(0.5 * (math.log(0.5) + 2.0))
    np.testing.assert_allclose(x.grad.numpy(), [0.0, -0.5])
    np.testing.assert_allclose(t.grad.numpy(), [1.0, math.log(0.5) + 1.0 + 2.0])


def test_kl_div_of_a_negative_target_is_nan_as_torchs():
    loss = F.kl_div(mg.zeros(2), mg.tensor([-0.5, 0.5]), reduction="none")
    assert np.isnan(loss.numpy()[0]) and np.isfinite(loss.numpy()[1])


def test_huber_loss_weight_scales_each_element_and_mean_counts_elements(device):
    torch = _torch()
    rng = np.random.default_rng(2)
    x, t, w = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.uniform(0.5, 2.0, size=(3, 4))
    for reduction in ("mean", "sum", "none"):
        _compare(lambda a, b, c, **kw: F.huber_loss(a, b, weight=c, **kw),
                 lambda a, b, c, **kw: torch.nn.functional.huber_loss(a, b, weight=c, **kw), [x, t, w], device,
                 reduction=reduction, delta=0.5)


@pytest.mark.parametrize("name, options", LOSSES)
def test_losses_keep_float32(name, options, device):
    x = mg.randn(3, 4, device=device, requires_grad=True)
    loss = getattr(F, name)(x, mg.rand(3, 4, device=device), **options)
    loss.backward()
    assert loss.dtype == mg.float32 and x.grad.dtype == mg.float32


@pytest.mark.parametrize("name, options", LOSSES)
def test_losses_gradcheck(name, options, device):
    rng = np.random.default_rng(3)
    x = mg.tensor(rng.normal(size=(3, 4)), device=device, requires_grad=True)
    t = mg.tensor(rng.uniform(0.1, 1.0, size=(3, 4)), device=device, requires_grad=True)
    fn = getattr(F, name)
    assert mg.gradcheck(lambda a, b: fn(a, b, reduction="sum", **options), [x, t])
    assert mg.gradgradcheck(lambda a, b: fn(a, b, reduction="sum", **options), [x, t])


def test_loss_modules_are_the_functions_with_torchs_repr():
    torch = _torch()
    rng = np.random.default_rng(4)
    x, t = mg.tensor(rng.normal(size=(3, 4))), mg.tensor(rng.normal(size=(3, 4)))
    p = F.softmax(t, dim=1)
    assert float(nn.SmoothL1Loss(beta=0.5)(x, t)) == float(F.smooth_l1_loss(x, t, beta=0.5))
    assert float(nn.HuberLoss("sum", 2.0)(x, t)) == float(F.huber_loss(x, t, "sum", 2.0))
    assert float(nn.KLDivLoss(reduction="batchmean")(x, p)) == float(F.kl_div(x, p, reduction="batchmean"))
    assert float(nn.KLDivLoss(log_target=True)(x, t)) == float(F.kl_div(x, t, log_target=True))
    for name in ("SmoothL1Loss", "HuberLoss", "KLDivLoss", "CosineSimilarity", "PairwiseDistance"):
        assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())


@pytest.mark.parametrize("call, match", [
    (lambda x: F.smooth_l1_loss(x, x, beta=-1.0), "smooth_l1_loss: beta must be a number >= 0"),
    (lambda x: F.huber_loss(x, x, delta=0.0), "huber_loss: delta must be a number > 0"),
    (lambda x: nn.HuberLoss(delta=-1.0), "HuberLoss: delta must be"),
    (lambda x: F.smooth_l1_loss(x, x[0]), r"smooth_l1_loss: input shape \(2, 3\) and target shape \(3,\)"),
    (lambda x: F.huber_loss(x, x, weight=mg.ones(3)), r"huber_loss: weight shape \(3,\) and input shape \(2, 3\)"),
    (lambda x: F.kl_div(x, x, reduction="avg"), "kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none'"),
    (lambda x: nn.KLDivLoss(reduction="batch"), "KLDivLoss: reduction must be"),
    (lambda x: F.smooth_l1_loss(x, x, reduction="batchmean"), "smooth_l1_loss: reduction must be"),
])
def test_losses_refuse_bad_input_clearly(call, match):
    with pytest.raises(ValueError, match=match):
        call(mg.ones(2, 3))


def test_losses_refuse_a_target_of_another_dtype_and_legacy_arguments():
    with pytest.raises(TypeError, match="kl_div"):
        F.kl_div(mg.ones(2), mg.ones(2, dtype=mg.float64))
    with pytest.raises(NotImplementedError, match="use reduction='sum'"):
        nn.SmoothL1Loss(size_average=False)


# ------------------------------------------------------------- distances
def test_cosine_similarity_matches_torch_including_tiny_norms(device):
    torch = _torch()
    x1 = np.array([[1e-5, 2e-5, 0.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    x2 = np.array([[3e-5, 1e-5, 2e-5], [1e-9, 0.0, 0.0], [1.0, -1.0, 2.0]])  # row 2: ||x2|| < eps, clamped
    _compare(F.cosine_similarity, torch.nn.functional.cosine_similarity, [x1, x2], device, atol=1e-6)
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(3, 4))  # broadcast, then dim counts in (2, 3, 4)
    _compare(F.cosine_similarity, torch.nn.functional.cosine_similarity, [a, b], device, dim=-1)
    _compare(nn.CosineSimilarity(dim=0), torch.nn.CosineSimilarity(dim=0), [a, b], device)


@pytest.mark.parametrize("p", [2.0, 1, 3, 0.5, math.inf])
def test_pairwise_distance_matches_torch(p, device):
    torch = _torch()
    rng = np.random.default_rng(7)
    x1, x2 = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    x2[0] = x1[0]  # equal rows: eps keeps the gradient finite
    _compare(F.pairwise_distance, torch.nn.functional.pairwise_distance, [x1, x2], device, p=p)
    _compare(nn.PairwiseDistance(p, 1e-3, True), torch.nn.PairwiseDistance(p, 1e-3, True), [x1, x2[1]], device)


def test_distances_gradcheck_and_keep_float32(device):
    rng = np.random.default_rng(8)
    x1, x2 = (mg.tensor(rng.normal(size=(3, 4)), device=device, requires_grad=True) for _ in range(2))
    assert mg.gradcheck(F.cosine_similarity, [x1, x2])
    assert mg.gradgradcheck(F.cosine_similarity, [x1, x2])
    assert mg.gradcheck(lambda a, b: F.pairwise_distance(a, b, p=3), [x1, x2])
    assert mg.gradgradcheck(F.pairwise_distance, [x1, x2])
    a, b = mg.randn(2, 3, device=device), mg.randn(2, 3, device=device)
    assert F.cosine_similarity(a, b).dtype == mg.float32 and F.pairwise_distance(a, b).dtype == mg.float32


def test_distances_refuse_bad_input_clearly():
    with pytest.raises(ValueError, match=r"cosine_similarity: x1 of shape \(2, 3\) and x2 of shape \(4,\) do not"):
        F.cosine_similarity(mg.ones(2, 3), mg.ones(4))
    with pytest.raises(ValueError, match="pairwise_distance: p must be a number > 0"):
        F.pairwise_distance(mg.ones(2, 3), mg.ones(2, 3), p=0)
    with pytest.raises(TypeError, match="pairwise_distance: expected a minigan Tensor"):
        F.pairwise_distance(np.ones(3), mg.ones(3))
    with pytest.raises(ValueError, match="cosine_similarity: axis 2 is out of range"):
        F.cosine_similarity(mg.ones(2, 3), mg.ones(2, 3), dim=2)


# ------------------------------------------------------------- F.embedding
def test_embedding_matches_torch_and_stops_the_padding_rows_gradient(device):
    torch = _torch()
    w = np.random.default_rng(9).normal(size=(5, 3))
    ids = np.array([[0, 4, 2], [4, 4, 1]])
    for padding_idx in (None, -1, 2):
        _compare(lambda a, **kw: F.embedding(mg.tensor(ids, device=device), a, **kw),
                 lambda a, **kw: torch.nn.functional.embedding(torch.tensor(ids), a, **kw), [w], device,
                 padding_idx=padding_idx)


def test_embedding_function_is_the_layers_lookup():
    layer = nn.Embedding(6, 2, padding_idx=1)
    ids = mg.tensor([1, 5, 0])
    np.testing.assert_array_equal(F.embedding(ids, layer.weight, padding_idx=1).numpy(), layer(ids).numpy())


def test_embedding_refuses_bad_input_clearly():
    w = mg.randn(4, 2)
    with pytest.raises(ValueError, match=r"embedding: padding_idx must lie in \[-4, 4\)"):
        F.embedding(mg.tensor([0]), w, padding_idx=4)
    with pytest.raises(IndexError, match=r"embedding: ids must lie in \[0, 4\)"):
        F.embedding(mg.tensor([4]), w)
    with pytest.raises(TypeError, match="embedding: ids must be an integer"):
        F.embedding(mg.tensor([0.0]), w)
    with pytest.raises(ValueError, match=r"embedding: weight must be 2-D"):
        F.embedding(mg.tensor([0]), mg.randn(4))
    with pytest.raises(NotImplementedError, match="max_norm"):
        F.embedding(mg.tensor([0]), w, max_norm=1.0)


# ------------------------------------------------------------- F.gumbel_softmax
def _gumbel_noise(shape, dtype, device):
    """The noise gumbel_softmax draws after manual_seed(0): -log(-log(1 - U)), U = minigan.rand."""
    mg.manual_seed(0)
    u = mg.rand(*shape, dtype=dtype, device=device).cpu().numpy()
    return -np.log(-np.log1p(-u))


def test_gumbel_softmax_repeats_under_manual_seed_and_is_softmax_of_the_noisy_logits(device):
    torch = _torch()
    logits = np.random.default_rng(10).normal(size=(3, 5))
    g = _gumbel_noise((3, 5), mg.float64, device)
    mg.manual_seed(0)
    x = mg.tensor(logits, device=device)
    y = F.gumbel_softmax(x, tau=0.5)
    expected = torch.softmax((torch.tensor(logits) + torch.tensor(g)) / 0.5, dim=-1).numpy()
    np.testing.assert_allclose(y.cpu().numpy(), expected, rtol=1e-12)
    mg.manual_seed(0)
    np.testing.assert_array_equal(F.gumbel_softmax(x, tau=0.5).cpu().numpy(), y.cpu().numpy())
    assert F.gumbel_softmax(mg.randn(2, 3, device=device)).dtype == mg.float32


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_gradient_is_the_soft_samples_given_the_noise(hard, device):
    torch = _torch()
    rng = np.random.default_rng(11)
    logits, w = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    g = _gumbel_noise((4, 3), mg.float64, device)
    mg.manual_seed(0)
    x = mg.tensor(logits, device=device, requires_grad=True)
    y = F.gumbel_softmax(x, tau=0.7, hard=hard, dim=1)
    (y * mg.tensor(w, device=device)).sum().backward()
    xt = torch.tensor(logits, requires_grad=True)
    soft = torch.softmax((xt + torch.tensor(g)) / 0.7, dim=1)
    (soft * torch.tensor(w)).sum().backward()  # straight-through: the hard sample has the soft one's gradient
    np.testing.assert_allclose(x.grad.cpu().numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    if hard:  # one-hot rows at the soft sample's argmax
        expected = np.eye(3)[soft.detach().numpy().argmax(1)]
        np.testing.assert_allclose(y.cpu().numpy(), expected, atol=1e-15)


def test_gumbel_softmax_samples_the_categorical_distribution_of_the_logits():
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    n = 40000
    y = F.gumbel_softmax(mg.tensor(np.log(np.tile(probs, (n, 1)))), hard=True)
    freq = y.numpy().mean(0)
    np.testing.assert_allclose(y.numpy().sum(1), 1.0)
    assert np.all(np.abs(freq - probs) < 4.5 * np.sqrt(probs * (1 - probs) / n))  # each within 4.5 sigma


def test_gumbel_softmax_gradcheck():
    x = mg.tensor(np.random.default_rng(12).normal(size=(2, 3)), requires_grad=True)

    def fixed_noise(logits):
        mg.manual_seed(0)
        return F.gumbel_softmax(logits, tau=0.8)
    assert mg.gradcheck(fixed_noise, [x])
    assert mg.gradgradcheck(fixed_noise, [x])


def test_gumbel_softmax_refuses_bad_input_clearly():
    with pytest.raises(ValueError, match="gumbel_softmax: tau .* must be a number > 0"):
        F.gumbel_softmax(mg.zeros(2, 3), tau=0)
    with pytest.raises(TypeError, match="gumbel_softmax: logits must be floats"):
        F.gumbel_softmax(mg.tensor([1, 2]))
    with pytest.raises(ValueError, match="gumbel_softmax: axis 2 is out of range"):
        F.gumbel_softmax(mg.zeros(2, 3), dim=2)


# ------------------------------------------------------------- ParameterList and ParameterDict
def test_parameter_list_registers_by_position_as_torch():
    torch = _torch()
    plain = mg.ones(4)
    pl = nn.ParameterList([nn.Parameter(mg.zeros(2, 3)), plain])
    assert isinstance(pl[1], nn.Parameter) and pl[1].requires_grad and pl[1].data is plain.data  # wrapped, shared
    pl.append(mg.ones(1)).extend([mg.zeros(2)])
    pl += [mg.zeros(5)]
    assert list(pl.state_dict()) == ["0", "1", "2", "3", "4"] == [name for name, _ in pl.named_parameters()]
    assert pl[-1].shape == (5,) and len(pl) == 5 and [p.shape for p in pl[1:3]] == [(4,), (1,)]
    assert isinstance(pl[1:3], nn.ParameterList) and pl[1:3][0] is pl[1]
    new = mg.full((3,), 2.0)
    pl[-2] = new
    assert pl[3].data is new.data and list(pl.state_dict()) == ["0", "1", "2", "3", "4"]
    theirs = torch.nn.ParameterList([torch.zeros(2, 3), torch.ones(4)])
    ours = nn.ParameterList([mg.zeros(2, 3), mg.ones(4)])
    assert repr(ours) == repr(theirs).replace("torch.", "minigan.")
    assert repr(nn.ParameterList()) == repr(torch.nn.ParameterList())
    assert repr(nn.ParameterList([mg.ones(2)])) == repr(torch.nn.ParameterList([torch.ones(2)])).replace("torch.",
                                                                                                       "minigan.")


def test_parameter_containers_move_with_to_and_are_trained_with_the_model():
    model = nn.Module()
    model.scales = nn.ParameterList([mg.ones(2)])
    model.shifts = nn.ParameterDict({"a": mg.zeros(3)})
    assert list(model.state_dict()) == ["scales.0", "shifts.a"]
    model.to(mg.float64)
    assert model.scales[0].dtype == mg.float64 and model.shifts["a"].dtype == mg.float64
    opt = mg.optim.SGD(model.parameters(), lr=1.0)
    (model.scales[0].sum() + model.shifts["a"].sum()).backward()
    opt.step()
    np.testing.assert_array_equal(model.scales[0].numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(model.shifts.a.numpy(), [-1.0, -1.0, -1.0])


def test_parameter_dict_orders_keys_as_torch():
    torch = _torch()
    assert list(nn.ParameterDict({"b": mg.zeros(1), "a": mg.zeros(1)})) == ["a", "b"]  # a plain dict: sorted
    assert list(nn.ParameterDict(OrderedDict(b=mg.zeros(1), a=mg.zeros(1)))) == ["b", "a"]
    pd = nn.ParameterDict()
    pd["z"] = mg.zeros(1)
    pd.update([("q", mg.zeros(1)), ("b", mg.ones(2))])
    assert list(pd.keys()) == ["z", "q", "b"] == list(pd.state_dict())
    assert pd.pop("q").shape == (1,) and "q" not in pd and pd.get("q") is None and len(pd) == 2
    del pd["z"]
    assert [k for k, _ in pd.items()] == ["b"] and isinstance(list(pd.values())[0], nn.Parameter)
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []
    theirs = torch.nn.ParameterDict({"w": torch.zeros(2, 3)})
    assert repr(nn.ParameterDict({"w": mg.zeros(2, 3)})) == repr(theirs).replace("torch.FloatTensor",
                                                                                 "minigan.float32")


def test_parameter_containers_refuse_bad_input_clearly():
    with pytest.raises(TypeError, match="ParameterList: expected a Parameter or a Tensor, got int"):
        nn.ParameterList([3])
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable"):
        nn.ParameterList(mg.ones(2))
    with pytest.raises(IndexError, match="ParameterList: index 2 is out of range for its 1 parameters"):
        nn.ParameterList([mg.ones(1)])[2]
    with pytest.raises(KeyError, match="contain '.'"):
        nn.ParameterDict({"a.b": mg.ones(1)})
    with pytest.raises(ValueError, match=r"ParameterDict.update: element 0 should be a \(key, parameter\) pair"):
        nn.ParameterDict([mg.ones(1)])
    with pytest.raises(KeyError):
        del nn.ParameterDict()["x"]


# ------------------------------------------------------------- Conv1d and ConvTranspose1d
CONV1D = [dict(), dict(stride=2, padding=1), dict(padding="same", dilation=2, groups=2), dict(padding="valid"),
          dict(padding="same", padding_mode="reflect"), dict(padding=2, padding_mode="circular", bias=False),
          dict(padding=1, padding_mode="replicate", stride=3)]


def _copy_weights(ours, theirs):
    ours.weight.data[...] = theirs.weight.detach().numpy()
    if theirs.bias is not None:
        ours.bias.data[...] = theirs.bias.detach().numpy()


@pytest.mark.parametrize("options", CONV1D)
def test_conv1d_matches_torch(options, device):
    torch = _torch()
    theirs = torch.nn.Conv1d(4, 6, 4, dtype=torch.float64, **options)
    ours = nn.Conv1d(4, 6, 4, dtype=mg.float64, **options)
    assert repr(ours) == repr(theirs) and ours.weight.shape == tuple(theirs.weight.shape)
    _copy_weights(ours, theirs)
    ours.to(device)
    x = np.random.default_rng(13).normal(size=(2, 4, 11))
    _compare(ours, theirs, [x], device)
    _compare(ours, theirs, [x[0]], device)  # one signal (C, L)


@pytest.mark.parametrize("options", [dict(), dict(stride=2, padding=1, output_padding=1),
                                     dict(groups=2, dilation=2, stride=3, output_padding=2, bias=False),
                                     dict(dilation=3, output_padding=2)])  # (output_padding < stride or dilation)
def test_conv_transpose1d_matches_torch(options, device):
    torch = _torch()
    theirs = torch.nn.ConvTranspose1d(4, 6, 3, dtype=torch.float64, **options)
    ours = nn.ConvTranspose1d(4, 6, 3, dtype=mg.float64, **options)
    assert repr(ours) == repr(theirs) and ours.weight.shape == tuple(theirs.weight.shape)
    _copy_weights(ours, theirs)
    ours.to(device)
    _compare(ours, theirs, [np.random.default_rng(14).normal(size=(2, 4, 5))], device)


def test_conv_transpose1d_output_size_picks_the_output_padding_as_torch():
    torch = _torch()
    theirs, ours = torch.nn.ConvTranspose1d(4, 3, 3, stride=3), nn.ConvTranspose1d(4, 3, 3, stride=3)
    for size in ([15], [2, 3, 16], (17,)):
        expected = tuple(theirs(torch.zeros(2, 4, 5), output_size=size).shape)
        assert ours(mg.zeros(2, 4, 5), output_size=size).shape == expected
    with pytest.raises(ValueError, match=r"ConvTranspose1d\(4, 3.*the output's length can range from 15 to 17"):
        ours(mg.zeros(2, 4, 5), output_size=[18])
    with pytest.raises(ValueError, match=r"requested an output size of \(4, 16\)"):  # 1 or 3 sizes (torch's error)
        ours(mg.zeros(2, 4, 5), output_size=[4, 16])


def test_conv1d_functions_gradcheck_and_keep_float32(device):
    rng = np.random.default_rng(15)
    x = mg.tensor(rng.normal(size=(2, 4, 7)), device=device, requires_grad=True)
    w = mg.tensor(rng.normal(size=(4, 2, 3)), device=device, requires_grad=True)
    b = mg.tensor(rng.normal(size=4), device=device, requires_grad=True)
    assert mg.gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2), [x, w, b])
    assert mg.gradgradcheck(lambda x, w, b: F.conv1d(x, w, b, padding="same", groups=2), [x, w, b])
    assert mg.gradcheck(lambda x, w, b: F.conv_transpose1d(x, w, b, 2, 1, 1, 2), [x, w, b])
    assert mg.gradgradcheck(lambda x, w: F.conv_transpose1d(x, w, groups=2, dilation=2), [x, w])
    layer = nn.Conv1d(3, 2, 3).to(device)
    assert layer(mg.randn(1, 3, 5, device=device)).dtype == mg.float32
    assert nn.ConvTranspose1d(3, 2, 3).to(device)(mg.randn(3, 5, device=device)).dtype == mg.float32


def test_conv1d_initialisation_has_torchs_fan_in():
    # weight and bias ~ U(-b, b), b = 1/sqrt(fan_in): the largest |draw| of many comes close to b, never above
    for layer, fan_in in ((nn.Conv1d(12, 300, 5, groups=3), 4 * 5), (nn.ConvTranspose1d(300, 12, 5, groups=3), 4 * 5)):
        bound = 1 / math.sqrt(fan_in)
        w = np.abs(layer.weight.numpy())
        assert bound * 0.99 < w.max() <= bound and np.abs(layer.bias.numpy()).max() <= bound
        layer.reset_parameters()
        assert bound * 0.99 < np.abs(layer.weight.numpy()).max() <= bound


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.Conv1d(2, 4, 3, padding_mode="mirror"), ValueError, "Conv1d: padding_mode must be one of"),
    (lambda: nn.Conv1d(2, 4, 3, stride=2, padding="same"), ValueError, "Conv1d: padding='same' needs stride 1"),
    (lambda: nn.Conv1d(2, 4, (3, 3)), TypeError, r"Conv1d: kernel_size must be an int or a 1-tuple"),
    (lambda: nn.Conv1d(3, 4, 3, groups=2), ValueError, "Conv1d: in_channels must be divisible by groups"),
    (lambda: nn.Conv1d(2, 4, 3, dilation=0), ValueError, "Conv1d: dilation must be >= 1"),
    (lambda: nn.ConvTranspose1d(2, 4, 3, padding="same"), TypeError, "ConvTranspose1d: padding='same' is not"),
    (lambda: nn.ConvTranspose1d(2, 4, 3, padding_mode="reflect"), ValueError, "only padding_mode='zeros'"),
    (lambda: nn.ConvTranspose1d(2, 4, 3, stride=2, output_padding=2), ValueError, "output_padding must be >= 0"),
    (lambda: nn.Conv1d(2, 4, 3)(mg.zeros(1, 2, 4, 4)), ValueError, r"Conv1d\(2, 4.*expected a 2-D \(C, L\) or 3-D"),
    (lambda: nn.Conv1d(2, 4, 5)(mg.zeros(1, 2, 3)), ValueError, r"input length 3 \(\+ 2 x padding 0\) is smaller"),
    (lambda: nn.Conv1d(2, 4, 3)(mg.zeros(1, 3, 5)), ValueError,
     r"expected input with 2 channels, got 3 \(input shape \(1, 3, 5\)\)"),  # (the shape given, not a 2-D one)
    (lambda: nn.ConvTranspose1d(2, 4, 3)(mg.zeros(3, 5)), ValueError,
     r"^ConvTranspose1d\(2, 4, .*expected input with 2 channels, got 3 \(input shape \(3, 5\)\)"),
    (lambda: F.conv1d(mg.zeros(1, 2, 5), mg.zeros(4, 2, 1, 3)), ValueError, "conv1d: expected a 3-D weight"),
    (lambda: nn.Conv1d(2, 4, 3, padding=2, padding_mode="reflect")(mg.zeros(1, 2, 2)), ValueError,
     "padding_mode='reflect'"),
])
def test_conv1d_refuses_bad_input_clearly(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------- weight_norm
@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_matches_torch(dim, device):
    torch = _torch()
    theirs = torch.nn.Conv1d(3, 4, 2, dtype=torch.float64)
    ours = nn.Conv1d(3, 4, 2, dtype=mg.float64)
    _copy_weights(ours, theirs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch's deprecation warning)
        torch.nn.utils.weight_norm(theirs, dim=dim)
    nn.utils.weight_norm(ours, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    np.testing.assert_allclose(ours.weight_g.numpy(), theirs.weight_g.detach().numpy(), rtol=1e-12)
    with torch.no_grad():
        theirs.weight_g.mul_(torch.linspace(0.5, 2.0, theirs.weight_g.numel()).reshape(theirs.weight_g.shape))
    ours.weight_g.data[...] = theirs.weight_g.detach().numpy()  # the next forward uses the new lengths
    ours.to(device)
    x = np.random.default_rng(16).normal(size=(2, 3, 5))
    _compare(ours, theirs, [x], device)
    for name in ("weight_g", "weight_v"):
        np.testing.assert_allclose(getattr(ours, name).grad.cpu().numpy(), getattr(theirs, name).grad.numpy(),
                                   rtol=1e-9, atol=1e-12)


def test_remove_weight_norm_makes_the_current_weight_the_parameter_again():
    layer = nn.utils.weight_norm(nn.Linear(3, 2))
    with mg.no_grad():
        layer.weight_g.mul_(2.0)
    expected = 2.0 * layer.weight_v.numpy()  # g was ||v|| per row: doubled, w = 2 v
    assert nn.utils.remove_weight_norm(layer) is layer
    assert list(layer.state_dict()) == ["bias", "weight"] and isinstance(layer.weight, nn.Parameter)
    np.testing.assert_allclose(layer.weight.numpy(), expected, rtol=1e-6)
    assert layer(mg.ones(1, 3)).shape == (1, 2) and not layer._forward_pre_hooks


def test_weight_norm_refuses_bad_input_clearly():
    layer = nn.utils.weight_norm(nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="weight_norm: Linear.weight already has weight norm"):
        nn.utils.weight_norm(layer)
    with pytest.raises(ValueError, match="weight_norm: Linear has no parameter 'scale'"):
        nn.utils.weight_norm(nn.Linear(3, 2), name="scale")
    with pytest.raises(ValueError, match=r"weight_norm: dim must be an int in \[-2, 2\)"):
        nn.utils.weight_norm(nn.Linear(3, 2), dim=2)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in Linear"):
        nn.utils.remove_weight_norm(nn.Linear(3, 2))


# ------------------------------------------------------------- gaps found by mutation testing
def test_gumbel_softmax_of_a_uniform_draw_of_zero_stays_finite(monkeypatch):
    # U = 0 makes E = -log(1 - U) = 0 and the noise -log E infinite; E is kept >= the smallest float (torch's
    # exponential_ never returns 0 either), so equal noise everywhere leaves softmax(logits)
    monkeypatch.setattr(mg.autograd, "rand", lambda *shape, **kwargs: mg.zeros(*shape, **kwargs))
    logits = np.array([[0.0, 1.0, 2.0]])
    y = F.gumbel_softmax(mg.tensor(logits))
    np.testing.assert_allclose(y.numpy(), np.exp(logits) / np.exp(logits).sum(), rtol=1e-6)


def test_hardtanh_refuses_equal_bounds_as_torch():
    with pytest.raises(ValueError, match=r"Hardtanh: max_val \(0.5\) must be greater than min_val \(0.5\)"):
        nn.Hardtanh(0.5, 0.5)


def test_weight_norm_of_a_vector_takes_each_entrys_length_as_torch():
    torch = _torch()
    theirs, ours = torch.nn.Linear(3, 4, dtype=torch.float64), nn.Linear(3, 4, dtype=mg.float64)
    with torch.no_grad():
        theirs.bias.copy_(torch.tensor([-0.5, 0.3, -0.2, 0.1]))  # negative entries: g = |v|, not v
    _copy_weights(ours, theirs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch's deprecation warning)
        torch.nn.utils.weight_norm(theirs, name="bias")
    nn.utils.weight_norm(ours, name="bias")
    np.testing.assert_allclose(ours.bias_g.numpy(), theirs.bias_g.detach().numpy(), rtol=1e-12)
    _compare(ours, theirs, [np.random.default_rng(17).normal(size=(2, 3))], "cpu")
    np.testing.assert_allclose(ours.bias_g.grad.numpy(), theirs.bias_g.grad.numpy(), rtol=1e-9)


@pytest.mark.parametrize("layer, x", [(nn.Conv1d(2, 4, 3, padding=1, padding_mode="reflect"), np.zeros((1, 2, 5))),
                                      (nn.Conv2d(2, 4, 3, padding=1, padding_mode="circular"), np.zeros((1, 2, 5, 5)))])
def test_convolutions_with_a_padding_mode_name_themselves_for_an_array_input(layer, x):
    with pytest.raises(TypeError, match=r"^Conv[12]d\(2, 4, .*\): expected a minigan Tensor, got a numpy.ndarray"):
        layer(x)


def test_parameter_list_refuses_assigning_to_a_slice_without_contradicting_itself():
    params = nn.ParameterList([mg.zeros(1), mg.zeros(2)])
    with pytest.raises(TypeError, match=r"ParameterList: an index must be an int \(or a slice, to read\), got slice"):
        params[0:1] = [mg.ones(1)]
    assert [p.shape for p in params[0:1]] == [(1,)]  # reading a slice: a ParameterList of those parameters


def test_numpy_numbers_are_numbers_for_p_and_tau():
    torch = pytest.importorskip("torch")
    a, b = np.array([[1.0, -2.0, 0.5]]), np.array([[0.0, 1.0, 2.0]])
    ours = F.pairwise_distance(mg.tensor(a), mg.tensor(b), p=np.float32(3))
    theirs = torch.nn.functional.pairwise_distance(torch.tensor(a), torch.tensor(b), p=3.0)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    mg.manual_seed(0)
    one = F.gumbel_softmax(mg.tensor(a), tau=np.float64(0.5)).numpy()
    mg.manual_seed(0)
    np.testing.assert_array_equal(one, F.gumbel_softmax(mg.tensor(a), tau=0.5).numpy())
