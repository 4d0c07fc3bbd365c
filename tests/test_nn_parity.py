"""minigan.nn against PyTorch where they used to part: what these tests check.

- integer input to average pooling (float32, as minigan's max pooling computes it);
- assigning to a module's parameter and buffer names, and ``register_buffer``'s checks (None,
  a name taken by a parameter, a NumPy array), as torch registers them;
- the loss modules' and functions' signatures (PyTorch's, in its order), and their `weight`,
  `pos_weight`, `ignore_index` and `label_smoothing`: values, gradients and gradients of
  gradients against torch's, and the deprecated `size_average` / `reduce` refused;
- ``nn.Unflatten`` inferring a -1;
- errors that name the layer, the dtypes and the fix (Linear, the norms, ConvTranspose2d);
- Sequential, ModuleList and ModuleDict editing (append, insert, del, ...), with torch's state_dict keys;
- ``clip_grad_norm_``'s dtype and its ``norm_type=0``;
- a BatchNorm checkpoint without ``num_batches_tracked`` (the layer keeps its own count, as torch's);
- what a randomised comparison with torch found: GroupNorm with one value per group, F.pad cropping
  past an axis, avg_pool2d's divisor_override=0, cross_entropy's ignore_index with class
  probabilities, ConvTranspose2d's ``output_size``, clip_grad_norm_ of order -inf.

Where torch is installed (``pytest.importorskip("torch")``) results are compared with its own;
the other tests check hand-computed values. The loss options' gradients are also checked against
float64 central differences (``minigan.gradcheck``) first, so they are checked without torch too.
"""

import inspect
import math
from collections import OrderedDict

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn import functional as F


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t.data)


# ------------------------------------------------------------------ 1. average pooling of integers
def test_avg_pool_of_integers_gives_float32_means():
    x = mg.tensor(np.arange(16, dtype=np.int64).reshape(1, 1, 4, 4))
    for y in (nn.AvgPool2d(2)(x), F.avg_pool2d(x, 2)):
        assert y.dtype == np.float32
        np.testing.assert_array_equal(_np(y).ravel(), [2.5, 4.5, 10.5, 12.5])  # (0 + 1 + 4 + 5) / 4, ...
    np.testing.assert_array_equal(_np(F.avg_pool2d(x, 2, divisor_override=1)).ravel(), [10, 18, 42, 50])


# ------------------------------------------------------------------ 2. assigning parameters and buffers
def test_a_plain_tensor_assigned_to_a_parameter_is_refused_and_the_parameter_kept():
    layer = nn.Linear(3, 2)
    weight = layer.weight
    with pytest.raises(TypeError, match=r"Linear.weight is a parameter: cannot assign a Tensor to it \(nn.Parameter "
                                        r"or None expected\).*module.weight = nn.Parameter\(t\).*copy_\(t\)"):
        layer.weight = mg.randn(2, 3)
    with pytest.raises(TypeError, match=r"cannot assign a int"):
        layer.weight = 3
    assert layer.weight is weight and [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    layer.weight = nn.Parameter(mg.ones(2, 3))  # a new Parameter is fine, and keeps its place
    assert list(layer.state_dict()) == ["weight", "bias"] and float(layer.weight.sum()) == 6.0


def test_none_empties_a_parameter_or_buffer_slot_as_in_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.BatchNorm1d(2), torch.nn.BatchNorm1d(2)
    for m in (ours, theirs):
        m.weight = None
        m.running_mean = None
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "running_var", "num_batches_tracked"]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    ours.to(mg.float64)  # an empty slot is skipped
    ours.weight = nn.Parameter(mg.ones(2, dtype=mg.float64))
    theirs.weight = torch.nn.Parameter(torch.ones(2))
    assert list(ours.state_dict()) == list(theirs.state_dict())  # the slot kept its place: weight first again
    with pytest.raises(TypeError, match=r"buffer 'running_var' must be a minigan Tensor or None, got numpy.ndarray"):
        ours.running_var = np.ones(2)
    m = nn.Module()
    m.register_parameter("w", None)
    assert m.w is None and list(m.parameters()) == []


def test_register_buffer_checks_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    ours.register_buffer("mask", None)
    theirs.register_buffer("mask", None)
    assert list(ours.state_dict()) == list(theirs.state_dict()) and list(ours.buffers()) == []
    assert ours.mask is None
    ours.to(mg.float64)
    with pytest.raises(KeyError):
        theirs.register_buffer("weight", torch.zeros(2, 3))
    with pytest.raises(KeyError, match=r"Linear.register_buffer\('weight'\): the module already has an attribute "
                                       r"'weight' \(a parameter\)"):
        ours.register_buffer("weight", mg.zeros(2, 3))
    assert [n for n, _ in ours.named_parameters()] == ["weight", "bias"]
    with pytest.raises(TypeError):
        theirs.register_buffer("y", np.zeros(3))
    with pytest.raises(TypeError, match=r"Linear: buffer 'y' must be a minigan Tensor or None, got numpy.ndarray; "
                                        r"wrap it with minigan.tensor\(...\)"):
        ours.register_buffer("y", np.zeros(3))
    ours.register_buffer("mask", mg.ones(2))  # a None buffer can be filled in later
    assert list(ours.state_dict()) == ["weight", "bias", "mask"]


# ------------------------------------------------------------------ 3. losses
LOSSES = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss"]
LOSS_FUNCTIONS = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "mse_loss",
                  "l1_loss"]


@pytest.mark.parametrize("name", LOSSES)
def test_loss_constructors_take_torchs_arguments_in_torchs_order(name):
    torch = pytest.importorskip("torch")
    ours = list(inspect.signature(getattr(nn, name).__init__).parameters)
    theirs = list(inspect.signature(getattr(torch.nn, name).__init__).parameters)
    assert ours == theirs


@pytest.mark.parametrize("name", LOSS_FUNCTIONS)
def test_loss_functions_take_torchs_arguments_in_torchs_order(name):
    torch = pytest.importorskip("torch")
    ours = list(inspect.signature(getattr(F, name)).parameters)
    theirs = list(inspect.signature(getattr(torch.nn.functional, name)).parameters)
    assert ours == theirs


@pytest.mark.parametrize("name", LOSSES)
def test_deprecated_size_average_and_reduce_are_refused_with_the_reduction_to_use(name):
    with pytest.raises(NotImplementedError, match=rf"{name}: size_average and reduce .* use reduction='sum'"):
        getattr(nn, name)(size_average=False)
    with pytest.raises(NotImplementedError, match=r"use reduction='none'"):
        getattr(nn, name)(reduce=False)


def test_pos_weight_by_hand():
    # at a logit of 0, sigmoid = 1/2: a positive costs pos_weight log 2, a negative log 2
    loss = F.binary_cross_entropy_with_logits(mg.zeros(2), mg.tensor([1.0, 0.0]), pos_weight=mg.tensor([3.0]),
                                              reduction="none")
    np.testing.assert_allclose(_np(loss), [3 * math.log(2), math.log(2)], rtol=1e-6)
    weighted = nn.BCELoss(weight=mg.tensor([2.0, 0.0]), reduction="sum")(mg.tensor([0.5, 0.5]), mg.tensor([1.0, 1.0]))
    np.testing.assert_allclose(float(weighted), 2 * math.log(2), rtol=1e-6)


def _compare(torch, ours_fn, theirs_fn, arrays, grad_of):
    """Values, and gradients with respect to the arrays named in grad_of, of minigan's and torch's losses."""
    ours = {k: mg.tensor(v, requires_grad=k in grad_of) for k, v in arrays.items()}
    theirs = {k: torch.tensor(v, requires_grad=k in grad_of) for k, v in arrays.items()}
    a, b = ours_fn(**ours), theirs_fn(**theirs)
    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-9, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(tuple(b.shape))
    (a * mg.tensor(g)).sum().backward()
    (b * torch.tensor(g)).sum().backward()
    for k in grad_of:
        np.testing.assert_allclose(_np(ours[k].grad), _np(theirs[k].grad), rtol=1e-9, atol=1e-12, err_msg=k)


def _gradcheck(fn, arrays, grad_of):
    """minigan.gradcheck of fn(**arrays) (float64) with respect to the arrays named in grad_of; it raises on failure.

    Runs without torch: the gradients of the loss options are checked even where torch is missing."""
    names = list(arrays)
    tensors = [mg.tensor(np.asarray(arrays[k], dtype=np.float64), requires_grad=k in grad_of) for k in names]
    return mg.gradcheck(lambda *ts: fn(**dict(zip(names, ts))), tensors)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_weight_and_pos_weight_match_torch(reduction, rng):
    arrays = dict(x=rng.standard_normal((4, 3)) * 5, y=rng.uniform(0, 1, (4, 3)), w=rng.uniform(0, 2, (1, 3)),
                  pw=rng.uniform(0.5, 3, (3,)), p=rng.uniform(0.05, 0.95, (4, 3)))
    # smooth everywhere (p kept inside (0, 1)): float64 central differences, torch or not
    assert _gradcheck(lambda x, y, w, pw, p: nn.BCEWithLogitsLoss(w, reduction=reduction, pos_weight=pw)(x, y),
                      arrays, ["x", "y"])

    def functional(x, y, w, pw, p):
        return F.binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction=reduction)

    assert _gradcheck(functional, arrays, ["x", "y"])
    assert _gradcheck(lambda x, y, w, pw, p: nn.BCELoss(w, reduction=reduction)(p, y), arrays, ["p", "y"])
    torch = pytest.importorskip("torch")
    _compare(torch, lambda x, y, w, pw, p: nn.BCEWithLogitsLoss(w, reduction=reduction, pos_weight=pw)(x, y),
             lambda x, y, w, pw, p: torch.nn.BCEWithLogitsLoss(w, reduction=reduction, pos_weight=pw)(x, y),
             arrays, ["x", "y"])  # torch does not differentiate pos_weight
    _compare(torch, lambda x, y, w, pw, p: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction=reduction),
             lambda x, y, w, pw, p: torch.nn.functional.binary_cross_entropy_with_logits(x, y, pos_weight=pw,
                                                                                         reduction=reduction),
             arrays, ["x", "y"])
    _compare(torch, lambda x, y, w, pw, p: nn.BCELoss(w, reduction=reduction)(p, y),
             lambda x, y, w, pw, p: torch.nn.BCELoss(w, reduction=reduction)(p, y), arrays, ["p", "y"])


def test_pos_weight_differentiates_twice_as_torch(rng):
    x, y, pw = rng.standard_normal((5, 2)), rng.uniform(0, 1, (5, 2)), np.array([2.0, 0.5])
    # second derivatives against float64 central differences of the first, with and without a weight
    assert mg.gradgradcheck(lambda v: F.binary_cross_entropy_with_logits(
        v, mg.tensor(y), mg.tensor(np.full((1, 2), 0.7)), pos_weight=mg.tensor(pw)), [mg.tensor(x, requires_grad=True)])
    assert mg.gradgradcheck(lambda v: F.binary_cross_entropy_with_logits(v, mg.tensor(y), pos_weight=mg.tensor(pw)),
                            [mg.tensor(x, requires_grad=True)])
    xo = mg.tensor(x, requires_grad=True)
    (gx,) = mg.autograd.grad(F.binary_cross_entropy_with_logits(xo, mg.tensor(y), pos_weight=mg.tensor(pw)), [xo],
                             create_graph=True)
    (gx * gx).sum().backward()
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    (gt,) = torch.autograd.grad(torch.nn.functional.binary_cross_entropy_with_logits(
        xt, torch.tensor(y), pos_weight=torch.tensor(pw)), [xt], create_graph=True)
    (gt * gt).sum().backward()
    np.testing.assert_allclose(_np(gx), _np(gt), rtol=1e-9)
    np.testing.assert_allclose(_np(xo.grad), _np(xt.grad), rtol=1e-9)


def test_loss_weights_are_buffers_moved_with_the_model_and_checked():
    loss = nn.BCEWithLogitsLoss(pos_weight=mg.ones(3)).to(mg.float64)
    assert loss.pos_weight.dtype == np.float64 and list(loss.state_dict()) == ["pos_weight"]
    x = mg.zeros(2, 3, dtype=mg.float64)
    assert loss(x, x).dtype == np.float64
    with pytest.raises(TypeError, match=r"binary_cross_entropy_with_logits: input dtype float64 but pos_weight dtype "
                                        r"float32; convert the pos_weight with .to\(minigan.float64\)"):
        F.binary_cross_entropy_with_logits(x, x, pos_weight=mg.ones(3))
    with pytest.raises(ValueError, match=r"weight of shape \(2,\) does not broadcast to the input's shape \(2, 3\)"):
        F.binary_cross_entropy(mg.full((2, 3), 0.5), mg.ones(2, 3), weight=mg.ones(2))
    with pytest.raises(ValueError, match=r"cross_entropy: weight must hold one value per class, shape \(3,\)"):
        F.cross_entropy(mg.zeros(2, 3), mg.tensor([0, 1]), weight=mg.ones(2))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: label_smoothing must be between 0 and 1"):
        nn.CrossEntropyLoss(label_smoothing=1.5)


def _labels_with_ignored(rng, n, c, ignore_index):
    labels = rng.integers(0, c, n)
    labels[[1, 4]] = ignore_index
    return labels


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_weight_ignore_index_and_label_smoothing_match_torch(reduction, smoothing, weighted, rng):
    n, c = 6, 4
    x, w = rng.standard_normal((n, c)) * 3, rng.uniform(0.2, 2, c)
    labelled = [(ignore_index, _labels_with_ignored(rng, n, c, ignore_index)) for ignore_index in (-100, 2)]
    probs = rng.dirichlet(np.ones(c), n)  # class probabilities as the target
    # the labels fixed, the loss is smooth in x (and in p): float64 central differences, torch or not
    for ignore_index, labels in labelled:
        kwargs = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
        assert _gradcheck(lambda x, w: nn.CrossEntropyLoss(w if weighted else None, **kwargs)(x, mg.tensor(labels)),
                          dict(x=x, w=w), ["x"])
    soft = dict(reduction=reduction, label_smoothing=smoothing)
    assert _gradcheck(lambda x, p, w: F.cross_entropy(x, p, w if weighted else None, **soft),
                      dict(x=x, p=probs, w=w), ["x", "p"])
    torch = pytest.importorskip("torch")
    for ignore_index, labels in labelled:
        kwargs = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
        _compare(torch, lambda x, w: nn.CrossEntropyLoss(w if weighted else None, **kwargs)(x, mg.tensor(labels)),
                 lambda x, w: torch.nn.CrossEntropyLoss(w if weighted else None, **kwargs)(x, torch.tensor(labels)),
                 dict(x=x, w=w), ["x"])
    _compare(torch, lambda x, p, w: F.cross_entropy(x, p, w if weighted else None, **soft),
             lambda x, p, w: torch.nn.functional.cross_entropy(x, p, w if weighted else None, **soft),
             dict(x=x, p=probs, w=w), ["x", "p"])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_weight_and_ignore_index_match_torch(reduction, rng):
    logp = np.log(rng.dirichlet(np.ones(3), 5))
    labels = _labels_with_ignored(rng, 5, 3, -100)
    assert _gradcheck(lambda lp, w: nn.NLLLoss(w, reduction=reduction)(lp, mg.tensor(labels)),
                      dict(lp=logp, w=np.array([0.5, 1.0, 3.0])), ["lp"])  # float64 central differences
    torch = pytest.importorskip("torch")
    _compare(torch, lambda lp, w: nn.NLLLoss(w, reduction=reduction)(lp, mg.tensor(labels)),
             lambda lp, w: torch.nn.NLLLoss(w, reduction=reduction)(lp, torch.tensor(labels)),
             dict(lp=logp, w=np.array([0.5, 1.0, 3.0])), ["lp"])


def test_every_row_ignored_gives_nan_as_torchs_without_a_warning():
    x = np.random.default_rng(0).standard_normal((3, 4))
    labels = np.full(3, -100)
    with np.errstate(all="raise"):  # NumPy's "invalid value" would be an error here
        ours = F.cross_entropy(mg.tensor(x), mg.tensor(labels)).item()
    assert math.isnan(ours)  # 0 / 0: the mean of no rows
    assert F.cross_entropy(mg.tensor(x), mg.tensor(labels), reduction="sum").item() == 0.0
    torch = pytest.importorskip("torch")
    assert math.isnan(torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(labels)).item())


def test_ignored_labels_and_class_weights_by_hand():
    logp = mg.log(mg.tensor([[0.5, 0.5], [0.25, 0.75], [0.9, 0.1]]))
    labels = mg.tensor([0, 1, -100])  # the last is ignored: left out of the mean
    loss = F.nll_loss(logp, labels, weight=mg.tensor([1.0, 3.0]))
    np.testing.assert_allclose(float(loss), (math.log(2) + 3 * -math.log(0.75)) / (1 + 3), rtol=1e-6)
    with pytest.raises(ValueError, match=r"nll_loss: labels must lie in 0..1 for 2 classes, got 0..5"):
        F.nll_loss(logp, mg.tensor([0, 5, -100]))


def test_label_smoothing_by_hand():
    # torch's documented rule: the target mixed with the uniform distribution, (1 - e) one_hot + e / C; with class
    # weights each row's loss is -sum_c w_c q_c log p_c and 'mean' divides by the summed weights of the rows' labels
    x = np.array([[2.0, -1.0, 0.5], [0.0, 1.5, -2.0], [1.0, 1.0, 3.0], [-0.5, 0.25, 0.0]])
    labels, e, c = np.array([0, 2, -100, 1]), 0.3, 3
    w = np.array([0.5, 2.0, 1.5])
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    kept = labels != -100
    q = np.eye(c)[labels[kept]] * (1 - e) + e / c  # the smoothed targets of the rows that count
    for weight in (None, w):
        cw = np.ones(c) if weight is None else weight
        rows = -(q * cw * logp[kept]).sum(axis=1)
        mean = rows.sum() / cw[labels[kept]].sum()
        for reduction, want in [("mean", mean), ("sum", rows.sum())]:
            got = F.cross_entropy(mg.tensor(x), mg.tensor(labels), None if weight is None else mg.tensor(weight),
                                  reduction=reduction, label_smoothing=e)
            np.testing.assert_allclose(float(got), want, rtol=1e-12)
    probs = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.6, 0.4, 0.0]])  # soft targets: mean over N
    want = -(((1 - e) * probs + e / c) * w * logp).sum(axis=1).mean()
    got = F.cross_entropy(mg.tensor(x), mg.tensor(probs), mg.tensor(w), label_smoothing=e)
    np.testing.assert_allclose(float(got), want, rtol=1e-12)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_and_l1_weight_match_torch(name, reduction, rng):
    arrays = dict(a=rng.standard_normal((3, 2)), b=rng.standard_normal((3, 2)), w=rng.uniform(0, 2, (3, 2)))
    assert np.abs(arrays["a"] - arrays["b"]).min() > 1e-3  # away from l1's kink at a == b
    assert _gradcheck(lambda a, b, w: getattr(F, name)(a, b, reduction=reduction, weight=w), arrays, ["a", "w"])
    torch = pytest.importorskip("torch")
    _compare(torch, lambda a, b, w: getattr(F, name)(a, b, reduction=reduction, weight=w),
             lambda a, b, w: getattr(torch.nn.functional, name)(a, b, reduction=reduction, weight=w),
             arrays, ["a", "w"])


# ------------------------------------------------------------------ 4. Unflatten
def test_unflatten_infers_minus_one_as_torch():
    assert nn.Unflatten(1, (2, -1))(mg.zeros(4, 6)).shape == (4, 2, 3)
    assert nn.Unflatten(-1, (-1, 2, 2))(mg.zeros(3, 8)).shape == (3, 2, 2, 2)
    with pytest.raises(ValueError, match=r"Unflatten\(1, \(4, -1\)\): axis 1 has size 6, but \(4, -1\) cannot hold 6"):
        nn.Unflatten(1, (4, -1))(mg.zeros(4, 6))
    with pytest.raises(ValueError, match=r"at most one size may be -1"):
        nn.Unflatten(1, (-1, -1))(mg.zeros(4, 6))
    with pytest.raises(ValueError, match=r"\(2, 2\) holds 4 values, not 6"):
        nn.Unflatten(1, (2, 2))(mg.zeros(4, 6))


# ------------------------------------------------------------------ 5. errors that name the layer
def test_linear_reports_the_input_shape_it_was_given():
    with pytest.raises(ValueError, match=r"Linear\(in_features=4, out_features=2, bias=True\): expected input with 4 "
                                         r"features in its last axis \(shape \(..., 4\)\), got shape \(2, 3, 5\)"):
        nn.Linear(4, 2)(mg.zeros(2, 3, 5))


@pytest.mark.parametrize("layer, shape, name", [
    (lambda: nn.LayerNorm(4), (2, 4), r"LayerNorm\(\(4,\)\)"),
    (lambda: nn.GroupNorm(2, 4), (2, 4, 3), r"GroupNorm\(2, 4\)"),
    (lambda: nn.InstanceNorm2d(3, affine=True), (2, 3, 4, 4), r"InstanceNorm2d\(3\)"),
    (lambda: nn.BatchNorm2d(3), (2, 3, 4, 4), r"BatchNorm2d\(3\)"),
])
def test_norm_layers_name_a_float64_input(layer, shape, name):
    with pytest.raises(TypeError, match=name + r": input dtype float64 but weight dtype float32; convert the input "
                                               r"with .to\(minigan.float32\), or the layer with model.double\(\)"):
        layer()(mg.zeros(*shape, dtype=mg.float64))


def test_batch_norm_without_affine_refuses_a_float64_input_and_keeps_its_statistics():
    bn = nn.BatchNorm2d(3, affine=False)
    for mode in (bn.train, bn.eval):
        mode()
        with pytest.raises(TypeError, match=r"BatchNorm2d\(3\): input dtype float64 but running_mean dtype float32; "
                                            r".*model.double\(\)"):
            bn(mg.tensor(np.random.default_rng(0).standard_normal((2, 3, 4, 4))))
    assert int(bn.num_batches_tracked) == 0 and bn.running_mean.dtype == np.float32
    np.testing.assert_array_equal(_np(bn.running_mean), 0)
    assert bn.double()(mg.zeros(2, 3, 4, 4, dtype=mg.float64)).dtype == np.float64  # the fix the message names


def test_conv_transpose_names_itself_for_string_padding():
    with pytest.raises(TypeError, match=r"ConvTranspose2d: padding='same' is not supported"):
        nn.ConvTranspose2d(3, 3, 3, padding="same")
    with pytest.raises(TypeError, match=r"ConvTranspose2d: stride must be an int or an \(h, w\) pair"):
        nn.ConvTranspose2d(3, 3, 3, stride=1.5)


# ------------------------------------------------------------------ 6. containers
def _edits(nn_):
    """The same edits on minigan's or torch's containers; returns the containers."""
    L = lambda: nn_.Linear(1, 1)  # noqa: E731
    s = nn_.Sequential(L(), nn_.ReLU(), L())
    s.append(L())
    s.insert(1, L())
    s.insert(-1, nn_.Tanh())
    s.extend([L(), nn_.ReLU()])
    del s[0]
    del s[1:3]
    s[-1] = L()
    s[0] = L()
    named = nn_.Sequential(OrderedDict(a=L(), b=nn_.ReLU()))
    named.append(L())
    named[0] = L()
    named2 = nn_.Sequential(OrderedDict(a=L(), b=L()))
    del named2[0]  # torch renumbers every layer, named ones too
    both = s + named
    ml = nn_.ModuleList([L(), nn_.ReLU(), L()])
    ml.insert(1, L())
    ml.insert(0, nn_.Tanh())
    ml[-1] = L()
    ml += [nn_.ReLU(), L()]
    del ml[0]
    del ml[::2]
    added = ml + nn_.ModuleList([L()])
    d = nn_.ModuleDict({"a": L(), "b": L(), "c": L()})
    popped = d.pop("b")
    d.update({"e": L()})
    return [s, named, named2, both, ml, added, d, popped]


def test_container_edits_give_torchs_state_dict_keys():
    torch = pytest.importorskip("torch")
    ours, theirs = _edits(nn), _edits(torch.nn)
    for a, b in zip(ours, theirs):
        assert list(a.state_dict()) == list(b.state_dict())
        assert [type(m).__name__ for m in a.modules()] == [type(m).__name__ for m in b.modules()]
        assert [n for n, _ in a.named_parameters()] == [n for n, _ in b.named_parameters()]


def test_container_edits_keep_the_same_modules_and_check_their_arguments():
    a, b, c = nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1)
    s = nn.Sequential(a, b)
    assert s.append(c) is s and list(s) == [a, b, c]
    del s[1]
    assert list(s) == [a, c] and s[1] is c and s.__dict__.get("2") is None  # renumbered: no stale attribute
    assert (s + nn.Sequential(b))[2] is b and len(s) == 2
    for bad, error, message in [
        (lambda: s.insert(3, nn.ReLU()), IndexError, r"Sequential.insert: index 3 is out of range for its 2 modules"),
        (lambda: s.insert(0, "relu"), TypeError, r"Sequential.insert: expected a Module, got str"),
        (lambda: s.__setitem__(5, nn.ReLU()), IndexError, r"index 5 is out of range"),
        (lambda: s.__setitem__(0, mg.relu), TypeError, r"must be a Module"),
        (lambda: s + [nn.ReLU()], ValueError, r"only a Sequential can be added to a Sequential"),
        (lambda: nn.ModuleList([a]).insert(0, 3), TypeError, r"ModuleList.insert: expected a Module, got int"),
    ]:
        with pytest.raises(error, match=message):
            bad()
    assert list(s) == [a, c]  # a refused edit changes nothing
    ml = nn.ModuleList([a])
    ml.insert(5, b)  # as list.insert
    assert list(ml) == [a, b]
    d = nn.ModuleDict({"x": a, "y": b})
    assert d.pop("x") is a and list(d.keys()) == ["y"]
    with pytest.raises(KeyError):
        d.pop("x")
    d.clear()
    assert len(d) == 0 and list(d.parameters()) == []


# ------------------------------------------------------------------ 7. clip_grad_norm_
def test_clip_grad_norm_has_the_gradients_dtype():
    p = nn.Parameter(mg.ones(3, dtype=mg.float64))
    p.grad = mg.tensor(np.array([3.0, 0.0, 4.0]))
    total = nn.utils.clip_grad_norm_([p], 1.0)
    assert total.dtype == np.float64 and float(total) == 5.0
    np.testing.assert_allclose(_np(p.grad), np.array([3.0, 0.0, 4.0]) / (5.0 + 1e-6))


@pytest.mark.parametrize("norm_type", [1, 2.0, 3, 0, float("inf")])
def test_clip_grad_norm_of_float32_gradients_is_float32_for_every_order(norm_type):
    # NumPy 1 turns np.float32(x) ** 0.5 and np.float32 + 1e-6 into float64: the norm and the scale must not
    p = nn.Parameter(mg.ones(3))
    p.grad = mg.tensor(np.array([3.0, 0.0, 4.0], dtype=np.float32))
    total = nn.utils.clip_grad_norm_([p], np.float64(0.5), norm_type=norm_type)
    assert total.dtype == np.float32 and p.grad.dtype == np.float32


def test_clip_grad_norm_of_order_zero_as_torch():
    # torch takes the 0-"norm" (count of nonzeros) of each gradient and then of those: 2 gradients are nonzero here
    grads = [np.array([1.0, 0.0, 2.0]), np.array([3.0, 4.0]), np.zeros(2)]
    params = [nn.Parameter(mg.tensor(np.ones_like(g))) for g in grads]
    for p, g in zip(params, grads):
        p.grad = mg.tensor(g)
    total = nn.utils.clip_grad_norm_(params, 0.5, norm_type=0)
    assert float(total) == 2.0 and total.dtype == np.float64
    np.testing.assert_allclose(_np(params[1].grad), grads[1] * 0.5 / (2.0 + 1e-6))
    torch = pytest.importorskip("torch")
    theirs = [torch.nn.Parameter(torch.ones(len(g), dtype=torch.float64)) for g in grads]
    for p, g in zip(theirs, grads):
        p.grad = torch.tensor(g)
    assert float(torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type=0)) == 2.0
    for ours, t in zip(params, theirs):
        np.testing.assert_allclose(_np(ours.grad), _np(t.grad), rtol=1e-12)



def test_clip_grad_norm_of_order_minus_inf_is_the_smallest_entry_as_torch():
    grads = [np.array([1.0, -0.5, 2.0]), np.array([3.0, 4.0])]
    params = [nn.Parameter(mg.tensor(np.ones_like(g))) for g in grads]
    for p, g in zip(params, grads):
        p.grad = mg.tensor(g)
    total = nn.utils.clip_grad_norm_(params, 0.25, norm_type=-math.inf)  # was 1.0: the p-norm formula at p = -inf
    assert float(total) == 0.5
    np.testing.assert_allclose(_np(params[1].grad), grads[1] * 0.25 / (0.5 + 1e-6))
    torch = pytest.importorskip("torch")
    theirs = [torch.nn.Parameter(torch.ones(len(g), dtype=torch.float64)) for g in grads]
    for p, g in zip(theirs, grads):
        p.grad = torch.tensor(g)
    assert float(torch.nn.utils.clip_grad_norm_(theirs, 0.25, norm_type=-math.inf)) == 0.5
    for ours, t in zip(params, theirs):
        np.testing.assert_allclose(_np(ours.grad), _np(t.grad), rtol=1e-12)

# ------------------------------------------------------------------ 8. old batch norm checkpoints
def test_batch_norm_checkpoint_without_num_batches_tracked_keeps_the_layers_count():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    model(mg.randn(4, 2))  # one training step: num_batches_tracked = 1
    saved = {k: _np(v).copy() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    saved["1.running_mean"] = np.full(3, 0.5, dtype=np.float32)
    model(mg.randn(4, 2))  # a second step: the layer's own count is 2 now
    assert model.load_state_dict(saved) == ([], [])
    assert "1.num_batches_tracked" not in saved  # the caller's dict is left as it was
    assert int(model[1].num_batches_tracked) == 2 and model[1].num_batches_tracked.dtype == np.int64
    np.testing.assert_array_equal(_np(model[1].running_mean), 0.5)
    with pytest.raises(ValueError, match=r"missing keys: 1.running_var"):  # other keys are still required
        model.load_state_dict({k: v for k, v in saved.items() if k != "1.running_var"})
    torch = pytest.importorskip("torch")
    theirs = torch.nn.BatchNorm1d(3)
    for _ in range(2):
        theirs(torch.randn(4, 3))
    theirs.load_state_dict({k[2:]: torch.tensor(v) for k, v in saved.items() if k.startswith("1.")})
    assert int(theirs.num_batches_tracked) == 2  # torch keeps the layer's count too


# ------------------------------------------------------------------ 9. found by a randomised comparison with torch
def test_group_norm_refuses_a_single_value_per_group_as_torch():
    # one value normalised by itself is 0: torch refuses it (its count includes the batch: N = 2 passes, as there)
    for call in (lambda: nn.GroupNorm(3, 3)(mg.ones(1, 3)), lambda: F.group_norm(mg.ones(1, 2, 1, 1), 2)):
        with pytest.raises(ValueError, match=r"expected more than 1 value per group, got input shape \(1, (3|2, 1, 1)\)"):
            call()
    assert _np(nn.GroupNorm(2, 2)(mg.randn(2, 2, 1))).tolist() == [[[0.0], [0.0]], [[0.0], [0.0]]]
    assert nn.GroupNorm(1, 3)(mg.randn(1, 3)).shape == (1, 3)  # three values in the one group
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        torch.nn.GroupNorm(3, 3)(torch.ones(1, 3))
    assert torch.nn.GroupNorm(2, 2)(torch.randn(2, 2, 1)).abs().max() < 1e-4  # zeros, up to float32 rounding


def test_constant_pad_cannot_crop_more_than_an_axis_holds_even_when_it_pads_back():
    # (-2, +3) on an axis of 1: the crop comes first and would need 2 rows; minigan made a 3-row result of 1 + 1 rows
    x = mg.ones(1, 3)
    with pytest.raises(ValueError, match=r"pad: widths \(0, 0, -2, 3\) cut more than the input's shape \(1, 3\) holds"):
        F.pad(x, (0, 0, -2, 3))
    assert _np(F.pad(x, (0, 0, -1, 1), value=2.0)).tolist() == [[2.0, 2.0, 2.0]]  # cut the row, add one of 2s
    assert F.pad(x, (0, 0, -1, 0)).shape == (0, 3)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="length must be non-negative"):
        torch.nn.functional.pad(torch.ones(1, 3), (0, 0, -2, 3))
    assert torch.nn.functional.pad(torch.ones(1, 3), (0, 0, -1, 1), value=2.0).tolist() == [[2.0, 2.0, 2.0]]


def test_border_pad_modes_crop_with_negative_widths_as_torch():  # (every width against torch: test_more_ops)
    for mode in ("reflect", "replicate", "circular"):
        np.testing.assert_array_equal(_np(F.pad(mg.arange(1.0, 5.0).reshape(1, 1, 4), (-1, 0), mode=mode)), [[[2, 3, 4]]])


def test_avg_pool_refuses_a_zero_divisor_and_sizes_ceil_mode_as_torch():
    x = mg.ones(1, 1, 2, 7)
    with pytest.raises(ValueError, match=r"avg_pool2d: divisor_override must be a nonzero int \(or None\), got 0"):
        nn.AvgPool2d(2, divisor_override=0)(x)  # was taken as None: the mean
    with pytest.raises(ValueError, match="got 2.5"):
        F.avg_pool2d(x, 2, divisor_override=2.5)
    assert nn.AvgPool2d(3, 4, ceil_mode=True)(x).shape == (1, 1, 1, 2)  # not "smaller than the kernel": ceil_mode's
    np.testing.assert_array_equal(_np(F.avg_pool2d(x, 2, divisor_override=-2)), -2.0)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        torch.nn.AvgPool2d(2, divisor_override=0)(torch.ones(1, 1, 2, 7))
    assert torch.nn.AvgPool2d(3, 4, ceil_mode=True)(torch.ones(1, 1, 2, 7)).shape == (1, 1, 1, 2)


def test_cross_entropy_with_class_probabilities_refuses_an_ignore_index_as_torch():
    logits, probs = mg.randn(3, 4), mg.tensor(np.full((3, 4), 0.25, dtype=np.float32))
    with pytest.raises(ValueError, match=r"cross_entropy: ignore_index=0 does not apply to class probabilities"):
        nn.CrossEntropyLoss(ignore_index=0)(logits, probs)
    ours = [float(F.cross_entropy(logits, probs, ignore_index=i)) for i in (-100, -1)]  # negative ones: as torch
    assert ours[0] == ours[1]
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        torch.nn.CrossEntropyLoss(ignore_index=0)(torch.tensor(_np(logits)), torch.tensor(_np(probs)))
    theirs = torch.nn.CrossEntropyLoss(ignore_index=-1)(torch.tensor(_np(logits)), torch.tensor(_np(probs)))
    assert ours[1] == pytest.approx(float(theirs), rel=1e-6)


def test_conv_transpose_forward_takes_torchs_output_size(rng):
    layer = nn.ConvTranspose2d(2, 3, 3, stride=(2, 3), padding=1).double()
    x = mg.tensor(rng.standard_normal((2, 2, 3, 4)), requires_grad=True)
    padded = nn.ConvTranspose2d(2, 3, 3, stride=(2, 3), padding=1, output_padding=(1, 2)).double()
    padded.load_state_dict(layer.state_dict())
    for size in ((6, 12), [2, 3, 6, 12]):  # (H, W), or (N, C, H, W) of which H and W count, as torch's
        np.testing.assert_array_equal(_np(layer(x, output_size=size)), _np(padded(x)))
    assert layer(x, output_size=(5, 10)).shape == (2, 3, 5, 10) and layer(x).shape == (2, 3, 5, 10)
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(2, 3, kernel_size=\(3, 3\), stride=\(2, 3\), padding=\(1, 1\)\): "
                                         r"requested an output size of \(7, 10\), but for an input of \(H, W\) = \(3, 4\) "
                                         r"the output's \(H, W\) can range from \(5, 10\) to \(6, 12\)"):
        layer(x, output_size=(7, 10))
    assert mg.gradcheck(lambda a: layer(a, output_size=(6, 11)), [x])
    torch = pytest.importorskip("torch")
    theirs = torch.nn.ConvTranspose2d(2, 3, 3, stride=(2, 3), padding=1).double()
    theirs.load_state_dict({k: torch.tensor(_np(v)) for k, v in layer.state_dict().items()})
    for size in ((6, 11), [2, 3, 5, 12]):
        np.testing.assert_allclose(_np(layer(x, output_size=size)), _np(theirs(torch.tensor(_np(x)), output_size=size)),
                                   rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"valid sizes range from \[5, 10\] to \[6, 12\]"):
        theirs(torch.tensor(_np(x)), output_size=(7, 10))

