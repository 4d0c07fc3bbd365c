"""The margin, embedding and likelihood losses, and F.pdist, against torch.

MarginRankingLoss, HingeEmbeddingLoss, SoftMarginLoss, CosineEmbeddingLoss, TripletMarginLoss,
TripletMarginWithDistanceLoss, GaussianNLLLoss, PoissonNLLLoss, MultiMarginLoss, MultiLabelSoftMarginLoss,
MultiLabelMarginLoss and their functions: values and gradients compared with torch in float64 (random inputs,
and the points where torch is particular: kinks, clamps, broadcasting, targets that are neither 1 nor -1),
float32 kept, gradcheck, torch's module repr, and clear errors for what torch refuses.
"""

import math
import warnings

import numpy as np
import pytest

import minigan as mg
import minigan.nn as nn
import minigan.nn.functional as F


def _torch():
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float32)
    return torch


def _rng(seed=0):
    return np.random.default_rng(seed)


def _signs(n, seed=0):
    return np.where(_rng(seed).random(n) < 0.5, -1.0, 1.0)


def _labels(n, c, seed=0):
    return _rng(seed).integers(0, c, n)


class Fn:
    """A distance function written once for both libraries: fn(F, x1, x2), F minigan's or torch's functional."""

    def __init__(self, fn):
        self.fn = fn

    def make(self, lib):
        functional = F if lib == "mg" else _torch().nn.functional
        return lambda x1, x2: self.fn(functional, x1, x2)


def _cosine_distance(functional, x1, x2):
    return 1.0 - functional.cosine_similarity(x1, x2, dim=-1)


def _l1_distance(functional, x1, x2):  # (exact: no eps)
    return functional.pairwise_distance(x1, x2, p=1, eps=0.0)


def _lopsided_distance(functional, x1, x2):  # d(x1, x2) != d(x2, x1): swap must take d(positive, negative)
    return functional.pairwise_distance(x1, 0.5 * x2)


X = _rng(1).normal(size=(5, 4))
Y = _rng(2).normal(size=(5, 4))
Z = _rng(3).normal(size=(5, 4))
TIES = np.array([[0.0, 0.0, 0.5], [1.0, -1.0, 0.2], [1.0, 1.0, 0.5], [0.0, 0.0, 0.5]])  # rows 0 and 3 equal;
# |row 0 - row 1| ties at its largest (p=inf: each tied entry gets the whole gradient, as torch's)
TRIPLET_KINK = (np.zeros((3, 2)), np.array([[1.0, 0.0], [0.0, -1.0], [0.0, 1.0]]),  # with p=1, eps=0 and margin 1:
                np.array([[2.0, 0.0], [0.0, 3.0], [0.5, 0.0]]))  # margin + d_pos - d_neg = 0, -1, 1.5
KINK = X[:, 0].copy()  # x1 = x2 with margin 0: max(0, z) at z = 0, where torch's clamp_min passes the gradient
NOT_FOR_FINITE_DIFFERENCES = []  # cases at a kink (or a clamp), where torch's gradient is one of two sides


def _kink(case):
    NOT_FOR_FINITE_DIFFERENCES.append(case)
    return case


# (function, arguments: float arrays are differentiated, integer ones are labels, anything else as it is;
# keyword arguments; the float arguments torch differentiates too, by position, when not all of them)
CASES = [
    ("margin_ranking_loss", (X[:, 0], Y[:, 0], _signs(5)), {}, None),
    ("margin_ranking_loss", (X[:, 0], Y[:, 0], _signs(5)), {"margin": 0.5}, None),
    _kink(("margin_ranking_loss", (KINK, KINK.copy(), _signs(5)), {}, None)),
    ("margin_ranking_loss", (X[:, :2], Y[:1, :2], _signs(2)[None]), {"margin": -0.2}, None),  # broadcast
    ("margin_ranking_loss", (X[:, 0], Y[:, 0], np.array([1, -1, 1, 1, -1])), {}, None),  # integer target
    ("hinge_embedding_loss", (np.abs(X), np.sign(Y)), {}, None),
    ("hinge_embedding_loss", (X, np.sign(Y)), {"margin": 0.5}, None),
    _kink(("hinge_embedding_loss", (np.array([0.3, 1.0, 2.0, 1.0]), np.array([0.5, -1.0, 0.0, 1.0])), {}, (0,))),
    # (targets neither 1 nor -1: both terms; margin - x = 0 at a -1)
    ("hinge_embedding_loss", (X, np.sign(Y[0])), {"margin": 2.0}, None),  # target broadcast
    ("soft_margin_loss", (X, np.sign(Y)), {}, (0,)),
    ("soft_margin_loss", (X * 30, np.sign(Y[:1])), {}, (0,)),  # (saturated; target broadcast)
    ("cosine_embedding_loss", (X, Y, np.array([1.0, -1.0, 1.0, -1.0, 0.0])), {}, None),
    ("cosine_embedding_loss", (X, Y, _signs(5)), {"margin": 0.3}, None),
    _kink(("cosine_embedding_loss", (np.vstack([np.zeros(4), X[1:]]), Y, _signs(5, 1)), {"margin": -0.5}, None)),
    ("cosine_embedding_loss", (X, Y[:1], _signs(5, 2)), {}, None),  # input2 broadcast
    ("cosine_embedding_loss", (X[0], Y[0], np.array(-1.0)), {"margin": -0.9}, None),  # one pair
    _kink(("cosine_embedding_loss", (np.vstack([np.zeros(4), X[1:]]), Y, -np.ones(5)), {}, None)),  # cos - 0 = 0
    ("triplet_margin_loss", (X, Y, Z), {}, None),
    ("triplet_margin_loss", (X, Y, Z), {"margin": 2.0, "p": 1, "swap": True}, None),
    ("triplet_margin_loss", (X, Y, Z), {"p": 3, "eps": 1e-3}, None),
    ("triplet_margin_loss", (X, Y, Z), {"p": math.inf, "swap": True}, None),
    ("triplet_margin_loss", (X[0], Y[0], Z[0]), {"margin": 0.5}, None),  # one triplet
    ("triplet_margin_loss", (X[:1], Y, Z[:1]), {}, None),  # broadcast
    _kink(("triplet_margin_loss", TRIPLET_KINK, {"p": 1, "eps": 0.0}, None)),
    ("triplet_margin_with_distance_loss", (X, Y, Z), {}, None),
    ("triplet_margin_with_distance_loss", (X, Y, Z), {"distance_function": Fn(_cosine_distance), "swap": True,
                                                       "margin": 0.5}, None),
    ("triplet_margin_with_distance_loss", (X, Y, Z), {"distance_function": Fn(_lopsided_distance), "swap": True}, None),
    _kink(("triplet_margin_with_distance_loss", TRIPLET_KINK, {"distance_function": Fn(_l1_distance)}, None)),
    ("gaussian_nll_loss", (X, Y, np.abs(Z) + 0.1), {}, None),
    ("gaussian_nll_loss", (X, Y, np.abs(Z[:, 0])), {"full": True}, None),  # one variance per row
    ("gaussian_nll_loss", (X, Y, np.abs(Z[:, :1])), {"eps": 0.05}, None),  # (N, 1)
    ("gaussian_nll_loss", (X, Y[:1], np.abs(Z[:1])), {}, None),  # (1, C), and the target broadcast
    _kink(("gaussian_nll_loss", (X, Y, np.where(np.abs(Z) < 0.5, 1e-9, np.abs(Z))), {"eps": 1e-3}, None)),  # clamped
    ("gaussian_nll_loss", (X, Y, 0.7), {"full": True}, None),  # a number
    ("gaussian_nll_loss", (X, Y, 0.0), {"eps": 0.1}, None),  # a variance of 0 is clamped to eps, as torch's
    _kink(("gaussian_nll_loss", (X, Y, np.where(np.abs(Z) < 0.5, 0.0, np.abs(Z))), {"eps": 1e-3}, None)),  # ... in var
    ("poisson_nll_loss", (X, np.round(np.abs(Y) * 3)), {}, None),
    ("poisson_nll_loss", (np.abs(X) + 0.1, np.abs(Y) * 3), {"log_input": False}, None),
    ("poisson_nll_loss", (X, np.round(np.abs(Y) * 3) + 0.5), {"full": True}, None),  # (Stirling's where target > 1)
    ("poisson_nll_loss", (np.abs(X) + 0.1, np.abs(Y[0]) * 3), {"log_input": False, "full": True, "eps": 0.1}, None),
    ("multi_margin_loss", (X, _labels(5, 4)), {}, None),
    ("multi_margin_loss", (X, _labels(5, 4, 1)), {"p": 2, "margin": 0.7}, None),
    ("multi_margin_loss", (X, _labels(5, 4, 2)), {"weight": np.array([0.5, 1.0, 2.0, 1.5])}, (0,)),
    _kink(("multi_margin_loss", (np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 2.0]]), np.array([1, 2])), {}, None)),
    ("multi_margin_loss", (X[0], np.array(2)), {"margin": 3.0}, None),  # one sample, a 0-d label
    ("multi_margin_loss", (X[0], np.array([2])), {"margin": 3.0}, None),  # ... a (1,) label
    ("multilabel_soft_margin_loss", (X, (Y > 0).astype(float)), {}, None),
    ("multilabel_soft_margin_loss", (X, np.abs(Y) / 3), {"weight": np.abs(Z[0])}, None),
    ("multilabel_soft_margin_loss", (X * 40, (Y > 0).astype(float)), {"weight": np.abs(Z[:, :1])}, None),
    ("multilabel_soft_margin_loss", (X[0], (Y[0] > 0).astype(float)), {}, None),  # one sample
    ("multilabel_soft_margin_loss", (X.reshape(1, 5, 4), (Y > 0).astype(float)), {}, None),  # 3-d: the last axis
    ("multilabel_margin_loss", (X, np.array([[3, 0, -1, 1], [1, 1, -1, 2], [-1, 0, 1, 2], [0, 1, 2, 3],
                                             [2, -1, -1, -1]])), {}, None),
    _kink(("multilabel_margin_loss", (np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 2.0]]),
                                      np.array([[0, -1, 1], [2, 0, -1]])), {}, None)),  # 1 - (x[y] - x[j]) = 0
    ("multilabel_margin_loss", (X[0], np.array([1, 3, -1, 0])), {}, None),  # one sample
    ("pdist", (X,), {}, None),
    ("pdist", (X,), {"p": 1}, None),
    ("pdist", (X,), {"p": 0.5}, None),
    ("pdist", (X,), {"p": 3}, None),
    ("pdist", (X,), {"p": math.inf}, None),
    _kink(("pdist", (TIES,), {"p": math.inf}, None)),
    _kink(("pdist", (TIES,), {"p": 0.5}, None)),  # (a zero distance: a zero gradient, not inf or NaN)
    _kink(("pdist", (TIES,), {"p": 3}, None)),
    ("pdist", (np.zeros((3, 0)),), {"p": math.inf}, None),  # rows of no entries: distances 0
]
REDUCED = {name for name, *_ in CASES} - {"pdist"}


def _make(value, lib, device, grad):
    """An argument in `lib`: a float array as a float64 tensor (requiring grad when `grad`), an integer or boolean
    array as a tensor of its dtype, a distance function for that library, anything else as it is."""
    torch = _torch()
    if isinstance(value, Fn):
        return value.make(lib)
    if not isinstance(value, np.ndarray):
        return value
    grad = grad and value.dtype.kind == "f"
    if lib == "torch":
        return torch.tensor(value, requires_grad=grad)
    return mg.tensor(value, device=device, requires_grad=grad)


def _call(lib, name, args, kwargs, device, reduction, grad_of):
    functional = F if lib == "mg" else _torch().nn.functional
    made = [_make(a, lib, device, grad_of is None or i in grad_of) for i, a in enumerate(args)]
    options = {k: _make(v, lib, device, False) for k, v in kwargs.items()}
    if reduction is not None:
        options["reduction"] = reduction
    return getattr(functional, name)(*made, **options), made


def _numpy(t):
    return t.detach().numpy() if hasattr(t, "requires_grad_") else t.cpu().numpy()


# every case with each reduction; pdist, which has none, once
WITH_REDUCTIONS = [(i, r) for i, c in enumerate(CASES) for r in (("none", "sum", "mean") if c[0] in REDUCED else ("none",))]


@pytest.mark.parametrize("case, reduction", WITH_REDUCTIONS, ids=[f"{CASES[i][0]}-{i}-{r}" for i, r in WITH_REDUCTIONS])
def test_losses_match_torch_in_float64(case, reduction, device):
    torch = _torch()
    name, args, kwargs, grad_of = CASES[case]
    ours, ours_in = _call("mg", name, args, kwargs, device, reduction if name in REDUCED else None, grad_of)
    theirs, theirs_in = _call("torch", name, args, kwargs, device, reduction if name in REDUCED else None, grad_of)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == mg.float64
    np.testing.assert_allclose(_numpy(ours), _numpy(theirs), rtol=1e-10, atol=1e-12)
    w = _rng(5).uniform(0.5, 1.5, size=tuple(theirs.shape))  # each element's gradient weighted differently
    pairs = [(a, b) for a, b in zip(ours_in, theirs_in) if isinstance(b, torch.Tensor) and b.requires_grad]
    assert pairs
    got = mg.autograd.grad((ours * mg.tensor(w, device=device)).sum(), [a for a, _ in pairs], allow_unused=True)
    expected = torch.autograd.grad((theirs * torch.tensor(w)).sum(), [b for _, b in pairs], allow_unused=True)
    for (a, _), g, e in zip(pairs, got, expected):
        g = np.zeros(a.shape) if g is None else _numpy(g)  # (a target only compared: no gradient in either)
        e = np.zeros(a.shape) if e is None else _numpy(e)
        np.testing.assert_allclose(g, e, rtol=1e-8, atol=1e-12)  # (1e-8: the zero vector's are ~1e6)


@pytest.mark.parametrize("case", range(len(CASES)), ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_losses_keep_float32(case, device):
    name, args, kwargs, _ = CASES[case]
    made = [mg.tensor(a, dtype=mg.float32 if a.dtype.kind == "f" else None, device=device,
                      requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray) else a for a in args]
    options = {k: mg.tensor(v, dtype=mg.float32, device=device) if isinstance(v, np.ndarray) else
               v.make("mg") if isinstance(v, Fn) else v for k, v in kwargs.items()}
    loss = getattr(F, name)(*made, **options)
    loss.sum().backward()
    assert loss.dtype == mg.float32 and made[0].grad.dtype == mg.float32
    assert all(x.grad is None or x.grad.dtype == mg.float32 for x in made if isinstance(x, mg.Tensor))


# the smooth losses (the others are piecewise linear in their inputs: no second derivative to check)
GRADGRAD = ("soft_margin_loss", "cosine_embedding_loss", "gaussian_nll_loss", "poisson_nll_loss",
            "multilabel_soft_margin_loss", "triplet_margin_loss", "pdist")


SMOOTH_CASES = [i for i, c in enumerate(CASES) if not any(c is k for k in NOT_FOR_FINITE_DIFFERENCES)]


@pytest.mark.parametrize("case", SMOOTH_CASES, ids=[f"{CASES[i][0]}-{i}" for i in SMOOTH_CASES])
def test_losses_gradcheck(case, device):  # (not at a kink or a clamp: there finite differences see no derivative)
    name, args, kwargs, _ = CASES[case]
    floats = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    inputs = [mg.tensor(args[i], device=device, requires_grad=True) for i in floats]
    options = {k: mg.tensor(v, device=device) if isinstance(v, np.ndarray) else
               v.make("mg") if isinstance(v, Fn) else v for k, v in kwargs.items()}

    def fn(*xs):
        given = list(args)
        for i, x in zip(floats, xs):
            given[i] = x
        given = [mg.tensor(a, device=device) if isinstance(a, np.ndarray) else a for a in given]
        return getattr(F, name)(*given, **options).sum()

    assert mg.gradcheck(fn, inputs)
    if name in GRADGRAD:
        assert mg.gradgradcheck(fn, inputs)


# ------------------------------------------------------------- modules
MODULES = [  # (minigan's and torch's module, the same settings), the function and its arguments
    ("MarginRankingLoss", {"margin": 0.3, "reduction": "sum"}, "margin_ranking_loss", (X[:, 0], Y[:, 0], _signs(5))),
    ("HingeEmbeddingLoss", {"margin": 2.0}, "hinge_embedding_loss", (X, np.sign(Y))),
    ("SoftMarginLoss", {"reduction": "none"}, "soft_margin_loss", (X, np.sign(Y))),
    ("CosineEmbeddingLoss", {"margin": 0.1}, "cosine_embedding_loss", (X, Y, _signs(5))),
    ("TripletMarginLoss", {"margin": 0.5, "p": 1.0, "eps": 1e-3, "swap": True}, "triplet_margin_loss", (X, Y, Z)),
    ("TripletMarginWithDistanceLoss", {"margin": 0.5, "swap": True}, "triplet_margin_with_distance_loss", (X, Y, Z)),
    ("GaussianNLLLoss", {"full": True, "eps": 0.2}, "gaussian_nll_loss", (X, Y, np.abs(Z))),
    ("PoissonNLLLoss", {"log_input": False, "full": True, "eps": 0.1}, "poisson_nll_loss", (np.abs(X), np.abs(Y) * 3)),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5}, "multi_margin_loss", (X, _labels(5, 4))),
    ("MultiLabelSoftMarginLoss", {"reduction": "sum"}, "multilabel_soft_margin_loss", (X, (Y > 0).astype(float))),
    ("MultiLabelMarginLoss", {}, "multilabel_margin_loss", (X, np.array([[1, -1, 0, 0]] * 5))),
]


@pytest.mark.parametrize("name, settings, function, args", MODULES, ids=[m[0] for m in MODULES])
def test_loss_modules_are_their_functions_with_torchs_defaults_and_repr(name, settings, function, args):
    torch = _torch()
    made = [mg.tensor(a) for a in args]
    module = getattr(nn, name)(**settings)
    options = {k: v for k, v in settings.items() if k != "reduction"}
    expected = getattr(F, function)(*made, **options, reduction=settings.get("reduction", "mean"))
    np.testing.assert_array_equal(module(*made).numpy(), expected.numpy())
    default = getattr(torch.nn, name)()
    assert repr(getattr(nn, name)()) == repr(default) and repr(module) == repr(getattr(torch.nn, name)(**settings))
    for key in ("margin", "p", "eps", "swap", "full", "log_input", "reduction"):
        if hasattr(default, key):
            assert repr(getattr(getattr(nn, name)(), key)) == repr(getattr(default, key)), key  # (2.0, not 2)
    with pytest.raises(NotImplementedError, match=f"^{name}: size_average and reduce"):
        getattr(nn, name)(size_average=False) if "size_average" in getattr(nn, name).__init__.__code__.co_varnames \
            else F.no_legacy_reduction(name, False, None)


def test_multi_margin_and_multilabel_soft_margin_weights_are_buffers_as_torchs():
    w = mg.tensor([0.5, 1.0, 2.0])
    for name in ("MultiMarginLoss", "MultiLabelSoftMarginLoss"):
        module = getattr(nn, name)(weight=w)
        assert list(module.state_dict()) == ["weight"] and module.weight is w
        assert list(getattr(nn, name)().state_dict()) == []


def test_triplet_margin_with_distance_loss_takes_a_module_or_a_function_as_its_distance():
    torch = _torch()
    x, y, z = (mg.tensor(a) for a in (X, Y, Z))
    cosine = nn.TripletMarginWithDistanceLoss(distance_function=nn.CosineSimilarity(dim=-1))
    assert repr(cosine) == repr(torch.nn.TripletMarginWithDistanceLoss(distance_function=torch.nn.CosineSimilarity(
        dim=-1)))  # (a module is a child, printed)
    assert "distance_function" in dict(cosine.named_modules())  # ... and moved with .to()
    by_function = nn.TripletMarginWithDistanceLoss(distance_function=lambda a, b: 1 - F.cosine_similarity(a, b))
    assert repr(by_function) == "TripletMarginWithDistanceLoss()"
    expected = torch.nn.TripletMarginWithDistanceLoss(distance_function=lambda a, b: 1 - torch.nn.functional.
                                                      cosine_similarity(a, b))(*(torch.tensor(a) for a in (X, Y, Z)))
    np.testing.assert_allclose(by_function(x, y, z).item(), expected.item(), rtol=1e-12)


# ------------------------------------------------------------- where torch is particular
def test_soft_margin_loss_is_finite_where_torchs_overflows():
    # torch computes log1p(exp(-y x)): inf (with a NaN gradient) beyond -y x = 88 in float32; here the exact value
    torch = _torch()
    x, y = np.array([100.0, -100.0, 3.0], np.float32), np.array([-1.0, 1.0, -1.0], np.float32)
    ours = mg.tensor(x, requires_grad=True)
    loss = F.soft_margin_loss(ours, mg.tensor(y), reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0, 3.0 + math.log1p(math.exp(-3.0))], rtol=1e-6)
    np.testing.assert_allclose(ours.grad.numpy(), [1.0, -1.0, 1.0 / (1.0 + math.exp(-3.0))], rtol=1e-6)
    assert np.isinf(torch.nn.functional.soft_margin_loss(torch.tensor(x), torch.tensor(y), reduction="none")[0].item())
    # ... and exact in float64 beyond softplus's threshold of 20, where x + log1p(exp(-x)) is not x
    ours = mg.tensor([25.0], dtype=mg.float64, requires_grad=True)
    loss = F.soft_margin_loss(ours, mg.tensor([-1.0], dtype=mg.float64), reduction="sum")
    loss.backward()
    assert loss.item() - 25.0 == pytest.approx(math.log1p(math.exp(-25.0)), rel=1e-3)
    assert 1.0 - ours.grad.item() == pytest.approx(math.exp(-25.0), rel=1e-3)  # 1 - sigmoid(25)


def test_poisson_nll_loss_full_has_a_finite_target_gradient_where_torchs_is_nan():
    # Stirling's term counts where target > 1 only; torch's target gradient is NaN at 0 (0 log 0), here 0 from it
    torch = _torch()
    x, t = np.array([0.5, -1.0, 2.0]), np.array([0.0, 1.0, 2.5])
    ours = mg.tensor(t, requires_grad=True)
    F.poisson_nll_loss(mg.tensor(x), ours, full=True, reduction="sum").backward()
    theirs = torch.tensor(t, requires_grad=True)
    torch.nn.functional.poisson_nll_loss(torch.tensor(x), theirs, full=True, reduction="sum").backward()
    assert np.isnan(theirs.grad[0].item()) and ours.grad.numpy()[0] == -0.5  # -x
    np.testing.assert_allclose(ours.grad.numpy()[1:], theirs.grad.numpy()[1:], rtol=1e-12)


def test_integer_operands_are_computed_in_float32_as_torchs():
    torch = _torch()
    a, b, y = np.array([1, 2, 5]), np.array([2, 1, 5]), np.array([1, -1, 1])
    ours = F.margin_ranking_loss(*map(mg.tensor, (a, b, y)), margin=0.5, reduction="none")
    theirs = torch.nn.functional.margin_ranking_loss(*map(torch.tensor, (a, b, y)), margin=0.5, reduction="none")
    assert ours.dtype == mg.float32 and theirs.dtype == torch.float32
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_targets_only_compared_keep_their_dtype():
    # hinge_embedding_loss's and cosine_embedding_loss's targets are only compared with 1 and -1: any dtype, no cast
    x = mg.tensor(np.abs(X[:, 0]))
    expected = F.hinge_embedding_loss(x, mg.tensor(_signs(5)), reduction="none").numpy()
    for target in (_signs(5).astype(np.float32), _signs(5).astype(np.int64)):
        loss = F.hinge_embedding_loss(x, mg.tensor(target), reduction="none")
        assert loss.dtype == mg.float64
        np.testing.assert_array_equal(loss.numpy(), expected)
    x1, x2 = mg.tensor(X), mg.tensor(Y)
    expected = F.cosine_embedding_loss(x1, x2, mg.tensor(_signs(5)), reduction="none").numpy()
    loss = F.cosine_embedding_loss(x1, x2, mg.tensor(_signs(5).astype(np.float32)), reduction="none")
    np.testing.assert_array_equal(loss.numpy(), expected)


def test_the_gradients_torch_refuses_are_right():
    # torch refuses soft_margin_loss's target and multi_margin_loss's weight requiring grad; here they get theirs
    t = mg.tensor(np.sign(Y), requires_grad=True)
    assert mg.gradcheck(lambda t: F.soft_margin_loss(mg.tensor(X), t), [t])
    w = mg.tensor([0.5, 1.0, 2.0, 1.5], dtype=mg.float64, requires_grad=True)
    assert mg.gradcheck(lambda w: F.multi_margin_loss(mg.tensor(X), mg.tensor(_labels(5, 4)), weight=w), [w])


def test_labels_out_of_range_are_an_error_on_the_cpu_and_a_nan_loss_on_a_gpu(device):
    x = mg.tensor(X, device=device)
    calls = [lambda: F.multi_margin_loss(x, mg.tensor([0, 1, 4, 2, 1], device=device), reduction="none",
                                         weight=mg.ones(4, dtype=mg.float64, device=device)),
             lambda: F.multilabel_margin_loss(x, mg.tensor(np.array([[0, -1, 9, 9]] * 2 + [[1, 2, -1, 0]] * 3),
                                                           device=device), reduction="none")]
    for call, bad in zip(calls, ([2], [0, 1])):
        if device == "cpu":
            with pytest.raises(ValueError, match=r"_loss: (labels|target values) .*must lie in -?[01]\.\.3, got"):
                call()
        else:  # (checking would wait for the device at every call)
            loss = call().cpu().numpy()
            assert np.isnan(loss[bad]).all() and np.isfinite(np.delete(loss, bad)).all()


def test_a_negative_variance_is_an_error_on_the_cpu_and_a_nan_loss_on_a_gpu(device):
    var = mg.tensor(np.where(np.arange(20).reshape(5, 4) == 3, -1.0, 1.0), device=device)
    if device == "cpu":
        with pytest.raises(ValueError, match=r"^gaussian_nll_loss: var must be >= 0 everywhere .* minimum of -1"):
            F.gaussian_nll_loss(mg.tensor(X), mg.tensor(Y), var)
    else:
        loss = F.gaussian_nll_loss(mg.tensor(X, device=device), mg.tensor(Y, device=device), var,
                                   reduction="none").cpu().numpy()
        assert np.isnan(loss[0, 3]) and np.isfinite(np.delete(loss.ravel(), 3)).all()


@pytest.mark.parametrize("name, args", [
    ("margin_ranking_loss", (mg.zeros(0), mg.zeros(0), mg.zeros(0))), ("soft_margin_loss", (mg.zeros(0), mg.zeros(0))),
    ("multi_margin_loss", (mg.zeros(0, 3), mg.zeros(0, dtype="int64"))),
    ("multilabel_margin_loss", (mg.zeros(0, 3), mg.zeros(0, 3, dtype="int64"))),
])
def test_the_mean_of_an_empty_batch_is_refused_naming_the_loss(name, args):
    # torch's is NaN (multi_margin_loss's and multilabel_margin_loss's an uninitialised number); 'sum' is 0
    with pytest.raises(ValueError, match=rf"^{name}: reduction='mean' of an empty batch"):
        getattr(F, name)(*args)
    assert getattr(F, name)(*args, reduction="sum").item() == 0.0


# ------------------------------------------------------------- bad input: a clear error naming the function
x2, i2 = mg.tensor(X), mg.tensor(_labels(5, 4))
BAD = [
    (lambda: F.margin_ranking_loss(x2, x2[0], x2[0]), ValueError,
     r"^margin_ranking_loss: input1, input2, target must have as many dimensions, got shapes \(5, 4\), \(4,\), \(4,\)"),
    (lambda: F.margin_ranking_loss(x2, x2, x2.float()), TypeError,
     r"^margin_ranking_loss: dtypes differ \(input1 float64, input2 float64, target float32\); convert"),
    (lambda: F.margin_ranking_loss(x2, x2[:, :3], x2), ValueError, r"^margin_ranking_loss: shapes do not broadcast"),
    (lambda: F.margin_ranking_loss(x2, x2, [1.0] * 4), TypeError, r"^margin_ranking_loss: target: expected a minigan"),
    (lambda: F.margin_ranking_loss(x2, x2, x2, margin="1"), TypeError, r"^margin_ranking_loss: margin must be a num"),
    (lambda: F.hinge_embedding_loss(x2, x2[:3]), ValueError, r"^hinge_embedding_loss: shapes do not broadcast"),
    (lambda: F.soft_margin_loss(x2, x2, reduction="avg"), ValueError, r"^soft_margin_loss: reduction must be"),
    (lambda: F.soft_margin_loss(x2[0], x2), ValueError,  # (torch's too: its result has the input's shape)
     r"^soft_margin_loss: target of shape \(5, 4\) must broadcast to the input's shape \(4,\)"),
    (lambda: F.cosine_embedding_loss(x2, x2, x2), ValueError,
     r"^cosine_embedding_loss: expected inputs of shape \(N, D\) and a target of shape \(N,\)"),
    (lambda: F.cosine_embedding_loss(x2[0], x2[0], x2[0, :1]), ValueError, r"^cosine_embedding_loss: expected inputs"),
    (lambda: F.cosine_embedding_loss(x2, x2, x2[:3, 0]), ValueError, r"^cosine_embedding_loss: shapes do not broad"),
    (lambda: F.cosine_embedding_loss(x2[None], x2[None], x2[None, :, 0]), ValueError,  # (torch's: no multi-target)
     r"^cosine_embedding_loss: expected inputs of shape \(N, D\) .* target \(1, 5\)"),
    (lambda: F.triplet_margin_loss(x2, x2, x2, margin=0), ValueError, r"^triplet_margin_loss: margin must be a num"),
    (lambda: nn.TripletMarginLoss(margin=-1.0), ValueError, r"^TripletMarginLoss: margin must be a number > 0"),
    (lambda: F.triplet_margin_loss(x2, x2, x2, p=0), ValueError, r"^triplet_margin_loss: p must be a number > 0"),
    (lambda: F.triplet_margin_loss(x2, x2[0], x2), ValueError, r"^triplet_margin_loss: anchor, positive, negative"),
    (lambda: F.triplet_margin_with_distance_loss(x2, x2, x2, margin=-1), ValueError,
     r"^triplet_margin_with_distance_loss: margin must be a number > 0"),
    (lambda: nn.TripletMarginWithDistanceLoss(margin=0.0), ValueError, r"^TripletMarginWithDistanceLoss: margin"),
    (lambda: F.triplet_margin_with_distance_loss(x2, x2, x2, distance_function=3), TypeError,
     r"^triplet_margin_with_distance_loss: distance_function must be a function"),
    (lambda: F.triplet_margin_with_distance_loss(x2, x2, x2[0], distance_function=F.pairwise_distance), ValueError,
     r"^triplet_margin_with_distance_loss: anchor, positive, negative must have as many dimensions"),
    (lambda: F.gaussian_nll_loss(x2, x2, x2[:1, :1]), ValueError,
     r"^gaussian_nll_loss: var of shape \(1, 1\) does not fit the input's shape \(5, 4\): give var of that shape, "
     r"of \(5,\) \(one per row\)"),
    (lambda: F.gaussian_nll_loss(x2, x2, x2[0]), ValueError, r"^gaussian_nll_loss: var of shape \(4,\) does not fit"),
    (lambda: F.gaussian_nll_loss(x2, x2, -0.5), ValueError, r"^gaussian_nll_loss: var must be >= 0 \(a variance\)"),
    (lambda: F.gaussian_nll_loss(x2, x2[:, :2], 1.0), ValueError, r"^gaussian_nll_loss: shapes do not broadcast"),
    (lambda: F.gaussian_nll_loss(x2[:1], x2[:1], mg.ones(0, 4, dtype="float64")), ValueError,  # (torch's too)
     r"^gaussian_nll_loss: var of shape \(0, 4\) does not fit the input's shape \(1, 4\)"),
    (lambda: F.gaussian_nll_loss(x2, x2, "1"), TypeError, r"^gaussian_nll_loss: var: expected a minigan Tensor"),
    (lambda: F.poisson_nll_loss(x2, x2.float()), TypeError, r"^poisson_nll_loss: dtypes differ"),
    (lambda: F.multi_margin_loss(x2, i2, p=3), ValueError, r"^multi_margin_loss: p must be 1 or 2"),
    (lambda: nn.MultiMarginLoss(p=3), ValueError, r"^MultiMarginLoss: p must be 1 or 2"),
    (lambda: nn.MultiMarginLoss(weight=mg.ones(1, 3)), ValueError, r"^MultiMarginLoss: weight must hold one value"),
    (lambda: F.multi_margin_loss(x2, i2.float()), TypeError,
     r"^multi_margin_loss: target must hold integer class indices, got float32; convert it with \.long\(\)"),
    (lambda: F.multi_margin_loss(x2, i2[:3]), ValueError,
     r"^multi_margin_loss: target must hold one class index per sample, shape \(5,\), got shape \(3,\)"),
    (lambda: F.multi_margin_loss(x2, i2[:, None]), ValueError,  # (torch's too)
     r"^multi_margin_loss: target must hold one class index per sample, shape \(5,\), got shape \(5, 1\)"),
    (lambda: F.multi_margin_loss(x2, i2 > 1), TypeError, r"^multi_margin_loss: target must hold integer .* got bool"),
    (lambda: F.multi_margin_loss(x2[None], i2), ValueError, r"^multi_margin_loss: expected scores of shape \(N, C\)"),
    (lambda: F.multi_margin_loss(x2[:, :0], i2), ValueError, r"^multi_margin_loss: expected scores .* C >= 1"),
    (lambda: F.multi_margin_loss(x2, i2, weight=mg.ones(5, dtype="float64")), ValueError,
     r"^multi_margin_loss: weight must hold one value per class, shape \(4,\), got shape \(5,\)"),
    (lambda: F.multi_margin_loss(x2, i2, weight=mg.ones(4)), TypeError, r"^multi_margin_loss: input dtype float64 but"),
    (lambda: F.multilabel_soft_margin_loss(x2, x2.double()[None]), ValueError,
     r"^multilabel_soft_margin_loss: target of shape \(1, 5, 4\) must broadcast to the input's shape \(5, 4\)"),
    (lambda: F.multilabel_soft_margin_loss(x2[0, 0], x2[0, 0]), ValueError, r"^multilabel_soft_margin_loss: expected"),
    (lambda: F.multilabel_soft_margin_loss(x2[:, :0], x2[:, :0]), ValueError,  # (torch's: 0 / 0, NaN)
     r"^multilabel_soft_margin_loss: expected logits .* C >= 1 classes"),
    (lambda: F.multilabel_soft_margin_loss(x2, x2, weight=mg.ones(5, dtype="float64")), ValueError,
     r"^multilabel_soft_margin_loss: weight of shape \(5,\) does not broadcast"),
    (lambda: F.multilabel_margin_loss(x2, i2), ValueError,
     r"^multilabel_margin_loss: target must have the input's shape \(5, 4\), got shape \(5,\)"),
    (lambda: F.multilabel_margin_loss(x2, x2), TypeError, r"^multilabel_margin_loss: target must hold integer"),
    (lambda: F.pdist(x2[0]), ValueError, r"^pdist: expected an input of shape \(N, M\), got shape \(4,\)"),
    (lambda: F.pdist(i2[:, None]), TypeError, r"^pdist: expected a float input, got int64"),
    (lambda: F.pdist(x2, p=-1), ValueError, r"^pdist: p must be a number > 0 or math.inf, got -1"),
]


@pytest.mark.parametrize("call, error, match", BAD)
def test_bad_input_is_refused_clearly(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_tensors_on_two_devices_are_refused_naming_the_loss(device):
    if device == "cpu":
        pytest.skip("needs a second device: runs as the cuda case (on a GPU, or through tests/fake_cupy)")
    x, y = mg.tensor(X), mg.tensor(X, device=device)
    for call in (lambda: F.margin_ranking_loss(x, y, x), lambda: F.multi_margin_loss(y, i2),
                 lambda: F.gaussian_nll_loss(x, x, y), lambda: F.multi_margin_loss(x, i2, weight=mg.ones(4, device=
                                                                                                       device))):
        with pytest.raises(RuntimeError, match=r"^\w+_loss: tensors are on two devices"):
            call()
