"""The losses against PyTorch at random: values, gradients and gradients of gradients, and what each refuses.

A small deterministic differential fuzzer. Each case draws one loss of ``minigan.nn.functional`` (or its
``nn`` module): BCE on probabilities, BCE on logits (with `weight` and `pos_weight` of any shape that
broadcasts), MSE and L1 (with `weight`), cross-entropy of labels or of class probabilities (with `weight`,
`ignore_index`, `label_smoothing`) and NLL; in float32 or float64, with each reduction, on random shapes
(batch 1, 0-d and empty ones where torch takes them) and at a GAN's extremes: probabilities of exactly 0 and
1, logits of +-30 and +-1e4, targets of exactly 0 and 1, every label ignored. It compares with torch:

- the value and its dtype (float64 to ~1e-10; float32 stays float32, close to torch's);
- the gradient with respect to the input, and to the target and `weight` where torch differentiates them;
- for the smooth losses, the second derivatives through ``minigan.autograd.grad(..., create_graph=True)``.

Then each case is spoilt in one way (a target of the wrong shape or dtype, a label out of range, a weight of
the wrong length or one that requires grad, ...): what torch refuses minigan refuses with an error naming the
loss, and what torch accepts minigan accepts and computes alike, except the refusals listed in DELIBERATE
(docs/pytorch.md). A case replays alone: ``python -m pytest "tests/test_loss_fuzz.py::test_loss_matches_torch[17]"``;
a failure prints the case. A bigger sweep is marked slow (``-m slow``).
"""

import math
import warnings

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn import functional as F

torch = pytest.importorskip("torch")

DEFAULT_CASES = 150  # cases 0-149 run by default (~3 s with the spoilt ones), 150-1999 in the slow sweep (~45 s)
SLOW_CASES = 2000
KINDS = ("binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss", "l1_loss", "cross_entropy",
         "cross_entropy_probs", "nll_loss")
MODULE = {"binary_cross_entropy": "BCELoss", "binary_cross_entropy_with_logits": "BCEWithLogitsLoss",
          "mse_loss": "MSELoss", "l1_loss": "L1Loss", "cross_entropy": "CrossEntropyLoss",
          "cross_entropy_probs": "CrossEntropyLoss", "nll_loss": "NLLLoss"}
SMOOTH = {"binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss", "cross_entropy",
          "cross_entropy_probs", "nll_loss"}  # (L1 has a kink; BCE is smooth for probabilities inside (0, 1))


# ------------------------------------------------------------------ drawing a case
def _shape(rng, max_ndim=3):
    """A random shape: 0-d, batch 1, an empty axis now and then."""
    ndim = int(rng.integers(0, max_ndim + 1))
    return tuple(int(rng.choice([0, 1, 2, 3, 4], p=[0.05, 0.25, 0.3, 0.2, 0.2])) for _ in range(ndim))


def _broadcast_shape(rng, shape):
    """A shape that broadcasts to `shape` (some leading axes dropped, some axes of size 1)."""
    kept = shape[int(rng.integers(0, len(shape) + 1)):]
    return tuple(1 if rng.random() < 0.4 else n for n in kept)


def _logits(rng, shape):
    """Logits at every scale a GAN sees: ordinary, saturated (+-30) and absurd (+-1e4), exactly 0 now and then."""
    x = rng.standard_normal(shape) * rng.choice([1.0, 5.0, 30.0, 1e4])
    extremes = np.array([0.0, 30.0, -30.0, 1e4, -1e4, 17.0, -104.0])
    return np.where(rng.random(shape) < 0.2, rng.choice(extremes, shape), x)


def _unit(rng, shape, edge=0.25):
    """Values in [0, 1], a fraction `edge` of them exactly 0 or 1."""
    u = rng.uniform(0, 1, shape)
    return np.where(rng.random(shape) < edge, rng.integers(0, 2, shape).astype(float), u)


def _draw(seed):
    """One case: the loss, its arrays (float64; cast to the case's dtype) and its options."""
    rng = np.random.default_rng(seed)
    kind = KINDS[seed % len(KINDS)]
    case = dict(seed=seed, kind=kind, dtype=rng.choice(["float32", "float64"]), module=bool(rng.integers(2)),
                reduction=str(rng.choice(["mean", "sum", "none"])), kwargs={}, arrays={}, grad_of=["input"])
    a, kw = case["arrays"], case["kwargs"]
    if kind in ("binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss", "l1_loss"):
        shape = _shape(rng)
        if kind == "binary_cross_entropy":
            a["input"] = _unit(rng, shape, edge=rng.choice([0.0, 0.3]))
        elif kind == "binary_cross_entropy_with_logits":
            a["input"] = _logits(rng, shape)
        else:
            a["input"] = rng.standard_normal(shape) * rng.choice([1.0, 1e3])
        a["target"] = (_unit(rng, shape, edge=rng.choice([0.0, 0.5, 1.0])) if "binary" in kind
                       else np.where(rng.random(shape) < 0.2, a["input"], rng.standard_normal(shape)))  # L1's kink
        case["grad_of"].append("target")
        if rng.random() < 0.5:
            w_shape = _broadcast_shape(rng, shape) if "binary" in kind else shape  # (MSE's and L1's: the same shape)
            a["weight"] = rng.uniform(0, 2, w_shape) * (rng.random(w_shape) < 0.9)  # some weights 0
            if kind in ("mse_loss", "l1_loss"):
                case["grad_of"].append("weight")  # torch differentiates these, not BCE's
        if kind == "binary_cross_entropy_with_logits" and rng.random() < 0.5:
            a["pos_weight"] = rng.uniform(0, 4, _broadcast_shape(rng, shape))
    else:
        n, c = int(rng.choice([0, 1, 2, 3, 5], p=[0.05, 0.25, 0.25, 0.25, 0.2])), int(rng.integers(1, 6))
        a["input"] = (_logits(rng, (n, c)) if kind != "nll_loss" or rng.random() < 0.3
                      else np.log(rng.dirichlet(np.ones(c), n)) if n else np.zeros((0, c)))
        if rng.random() < 0.5:
            a["weight"] = rng.uniform(0, 2, c) * (rng.random(c) < 0.85)
        if kind == "cross_entropy_probs":
            a["target"] = (rng.dirichlet(np.ones(c) * rng.choice([0.1, 1.0]), n) if rng.random() < 0.7
                           else np.eye(c)[rng.integers(0, c, n)])  # one-hot rows: targets of exactly 0 and 1
            case["grad_of"].append("target")
        else:
            labels = rng.integers(0, c, n)
            ignore_index = int(rng.choice([-100, -1, rng.integers(0, c)]))
            if ignore_index != -100 or rng.random() < 0.5:
                kw["ignore_index"] = ignore_index
            ignored = rng.random(n) < rng.choice([0.0, 0.3, 1.0])  # none, some or all of the batch ignored
            case["labels"] = np.where(ignored, ignore_index, labels)
        if kind != "nll_loss" and rng.random() < 0.6:
            kw["label_smoothing"] = float(rng.choice([rng.uniform(0, 1), 1.0, 0.1]))
    return case


# ------------------------------------------------------------------ running a case in either library
def _arguments(case, lib, dtype):
    """The case's tensors in `lib` ("mg" or "torch") and `dtype`: {name: tensor}, the labels as int64."""
    out = {}
    for name, value in case["arrays"].items():
        value = np.asarray(np.asarray(value, dtype=case["dtype"]), dtype=dtype)  # (float32's values, in float64)
        value = value.astype(case.get("dtypes", {}).get(name, value.dtype))  # (a mutation's other dtype)
        rg = name in case["grad_of"]
        out[name] = mg.tensor(value, requires_grad=rg) if lib == "mg" else torch.tensor(value, requires_grad=rg)
    if "labels" in case:
        out["target"] = mg.tensor(case["labels"]) if lib == "mg" else torch.tensor(case["labels"])
    return out


def _loss(case, lib, t):
    """The loss of the tensors `t` in `lib`, as a function or as a module."""
    kind, kwargs = case["kind"], dict(case["kwargs"], reduction=case["reduction"])
    name = "cross_entropy" if kind == "cross_entropy_probs" else kind
    options = {k: t[k] for k in ("weight", "pos_weight") if k in t}
    if case["module"]:
        if "weight" in options and kind in ("mse_loss", "l1_loss"):  # (their modules take no weight)
            options.pop("weight")
        module = getattr(nn if lib == "mg" else torch.nn, MODULE[kind])(**options, **kwargs)
        return module(t["input"], t["target"])
    functional = F if lib == "mg" else torch.nn.functional
    return getattr(functional, name)(t["input"], t["target"], **options, **kwargs)


def _np(x):
    return np.asarray(x.detach().numpy() if isinstance(x, torch.Tensor) else x.numpy())


def _constant(case, lib, shape, dtype, seed):
    """A fixed random tensor of `shape` (the same in both libraries) that weights a result's elements."""
    v = np.random.default_rng(case["seed"] + seed).uniform(0.5, 1.5, tuple(shape)).astype(dtype)
    return mg.tensor(v) if lib == "mg" else torch.tensor(v)


def _results(case, lib, dtype):
    """{what: array}: the loss, its gradients and, for the smooth losses, second derivatives, computed by `lib`."""
    grad = mg.autograd.grad if lib == "mg" else torch.autograd.grad
    t = _arguments(case, lib, dtype)
    loss = _loss(case, lib, t)
    total = (loss * _constant(case, lib, loss.shape, dtype, 1)).sum()  # a scalar of every element
    wrt = case["grad_of"]
    out = {"value": _np(loss)}
    grads = grad(total, [t[k] for k in wrt], create_graph=True, allow_unused=True)
    out.update({f"gradient w.r.t. {k}": _np(g) if g is not None else np.zeros(t[k].shape, dtype)
                for k, g in zip(wrt, grads)})
    x = case["arrays"]["input"]
    if case["kind"] not in SMOOTH or x.size == 0 or (case["kind"] == "binary_cross_entropy" and
                                                     ((x <= 0) | (x >= 1)).any()):  # (the clamps: no 2nd derivative)
        return out
    probe = (grads[0] * _constant(case, lib, grads[0].shape, dtype, 2)).sum()
    second = [k for k in ("input", "target") if k in wrt]
    if probe.requires_grad:  # (else the first derivative is a constant: nll_loss is linear in its input)
        out.update({f"second derivative w.r.t. input, {k}": _np(g) for k, g in zip(
            second, grad(probe, [t[k] for k in second], allow_unused=True)) if g is not None})
    return out


def _describe(case):
    shapes = {k: np.shape(v) for k, v in case["arrays"].items()}
    return (f"case {case['seed']}: {'nn.' + MODULE[case['kind']] if case['module'] else 'F.' + case['kind']} "
            f"{case['dtype']} reduction={case['reduction']!r} {case['kwargs']} shapes {shapes} "
            f"labels {case.get('labels')}")


def _compare(case, what, ours, theirs, reference, magnitude):
    """ours (minigan) against theirs (torch, the case's dtype): dtype, shape, NaN and inf as torch's. float64 to
    1e-10 of the array's largest value (or to the rounding of the case's largest quantity, `magnitude`); float32
    as near the float64 `reference` as torch's float32 is, give or take float32's rounding."""
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype}, torch's {theirs.dtype}"
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape}, torch's {theirs.shape}"
    if case["kind"] == "binary_cross_entropy" and what == "gradient w.r.t. target":
        # at p = 0 or 1 torch's is +-inf (NaN where the weight is 0), minigan's +-100 times the incoming gradient
        # (docs/pytorch.md)
        p = np.asarray(case["arrays"]["input"], case["dtype"])
        edge = ~np.isfinite(theirs) & ((p == 0) | (p == 1))
        assert np.isfinite(ours).all() and (np.sign(ours) == np.nan_to_num(np.sign(theirs)))[edge].all(), what
        # (in each array's dtype: NumPy 1 makes np.where of a 0-d float32 array and 0 float64)
        ours, theirs, reference = (np.where(edge, 0, a).astype(a.dtype) for a in (ours, theirs, reference))
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=f"{what}: NaN where torch's is")
    finite = np.isfinite(theirs)
    np.testing.assert_array_equal(ours[~finite], theirs[~finite], err_msg=f"{what}: inf where torch's is")
    scale = float(np.abs(reference[finite]).max()) if finite.any() else 0.0
    ours, theirs, reference = ours[finite].astype(np.float64), theirs[finite], reference[finite]
    if theirs.dtype == np.float64:
        atol = 1e-10 * scale + 1e-14 * magnitude
        if case["kind"] == "binary_cross_entropy" and what.startswith("second"):
            # torch's second derivative divides by p + 1e-12 and 1 - p + 1e-12: 2e-12 / p too small; minigan's is exact
            p = np.broadcast_to(case["arrays"]["input"], finite.shape)[finite]
            atol = atol + 3e-12 / np.minimum(p, 1 - p) * np.abs(theirs)
        worst = np.argmax(np.abs(ours - theirs) - atol) if ours.size else 0
        assert (np.abs(ours - theirs) <= atol).all(), f"{what}: {ours.flat[worst]!r}, torch's {theirs.flat[worst]!r}"
        return
    torch_error = np.abs(theirs - reference)
    allowed = 8 * torch_error + 2e-6 * np.abs(reference) + 1e-5 * scale + 1e-7 * magnitude  # (float32: 6e-8)
    error = np.abs(ours - reference)
    worst = np.argmax(error - allowed) if error.size else 0
    assert (error <= allowed).all(), (f"{what}: float32 error {error[worst]:.3g} where torch's is "
                                      f"{torch_error[worst]:.3g}: ours {ours[worst]!r}, torch's {theirs[worst]!r}, "
                                      f"float64 {reference[worst]!r}")


def _no_weight_counted(case):
    """Whether labels are counted (not ignored), all of them with a class weight of 0."""
    labels = case["labels"][case["labels"] != case["kwargs"].get("ignore_index", -100)]
    return labels.size > 0 and "weight" in case["arrays"] and not case["arrays"]["weight"][labels].any()


def check_case(case):
    """Values, first and (for the smooth losses) second derivatives of one case against torch."""
    kind, dtype = case["kind"], case["dtype"]
    if case["reduction"] == "mean" and case["arrays"]["input"].size == 0 and kind in (
            "binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss", "l1_loss", "cross_entropy_probs"):
        # minigan refuses the mean of nothing (docs/pytorch.md); torch's is NaN
        assert math.isnan(_loss(case, "torch", _arguments(case, "torch", dtype)).item())
        name = "cross_entropy" if kind == "cross_entropy_probs" else kind
        with pytest.raises(ValueError, match=rf"^{name}: .*empty"):
            _loss(case, "mg", _arguments(case, "mg", dtype))
        return
    with warnings.catch_warnings(), np.errstate(divide="raise", over="raise", invalid="raise"):
        warnings.simplefilter("error")  # no NumPy warning from any loss
        ours = _results(case, "mg", dtype)
    theirs = _results(case, "torch", dtype)
    reference = theirs if dtype == "float64" else _results(case, "torch", "float64")
    first = [what for what in theirs if not what.startswith("second")]
    assert [what for what in ours if not what.startswith("second")] == first
    # rounding is relative to the case's largest quantity, and to 1 (a softmax's p - 1, whatever the loss's size)
    magnitude = max([1.0] + [float(np.abs(a[np.isfinite(a)]).max(initial=0)) for a in reference.values()])
    if "labels" in case and case["reduction"] == "mean" and _no_weight_counted(case):
        # every label counted has the class weight 0: the mean is 0 / 0, NaN in both, with gradients of 0 here
        # and NaN in torch (0 / 0 too); the case where every label is ignored is torch's zeros
        return _compare(case, "value", ours["value"], theirs["value"], reference["value"], magnitude)
    for what in first:
        _compare(case, what, ours[what], theirs[what], reference[what], magnitude)
    for what in sorted((set(ours) | set(theirs)) - set(first)):  # second derivatives; one left out: zeros
        zeros = np.zeros(np.shape(case["arrays"][what.rsplit(" ", 1)[1]]), dtype)
        _compare(case, what, ours.get(what, zeros), theirs.get(what, zeros), reference.get(what, zeros), magnitude)


@pytest.mark.parametrize("seed", range(DEFAULT_CASES))
def test_loss_matches_torch(seed):
    case = _draw(seed)
    try:
        check_case(case)
    except Exception as e:
        raise AssertionError(f"{_describe(case)}\n{type(e).__name__}: {e}") from e


@pytest.mark.slow
def test_loss_matches_torch_sweep():
    failures = []
    for seed in range(DEFAULT_CASES, SLOW_CASES):
        case = _draw(seed)
        try:
            check_case(case)
        except Exception as e:
            failures.append(f"{_describe(case)}\n    {type(e).__name__}: {str(e)[:400]}")
    assert not failures, f"{len(failures)} cases fail:\n" + "\n".join(failures[:20])


# ------------------------------------------------------------------ spoilt cases: refused alike, or computed alike
LABELS = ("cross_entropy", "nll_loss")
POINTWISE = ("binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss", "l1_loss")
# where minigan's outcome differs from torch's on purpose: (loss, mutation) -> what minigan does, and why
DELIBERATE = {
    **{(kind, "a target of another shape"): "refused: no silent broadcasting of a target (torch warns, then "
       "broadcasts)" for kind in ("mse_loss", "l1_loss")},
    **{(kind, "a float64 target"): "refused: no silent float64 (docs/pytorch.md)" for kind in (
        "binary_cross_entropy_with_logits", "mse_loss", "l1_loss", "cross_entropy_probs")},
    **{(kind, "a negative label_smoothing"): "refused: torch ignores it silently" for kind in (
        "cross_entropy", "cross_entropy_probs")},
    **{("binary_cross_entropy" + logits, "a weight that requires grad"): "accepted and differentiated, as "
       "pos_weight (docs/pytorch.md); torch refuses both" for logits in ("", "_with_logits")},
    ("binary_cross_entropy_with_logits", "a pos_weight that requires grad"): "accepted and differentiated "
                                                                            "(docs/pytorch.md); torch refuses it",
}


def _mutations(case):
    """{label: how to spoil the case (a function of the case and a generator)} for the mutations that apply."""
    kind, a = case["kind"], case["arrays"]
    shape, out = np.shape(a["input"]), {}

    def arrays(**changes):
        return lambda c, rng: c["arrays"].update(changes)

    if "labels" in case:
        n, c = shape
        out["a target of another shape"] = lambda cs, rng: cs.update(labels=np.append(cs["labels"], 0))
        out["float labels"] = lambda cs, rng: cs.update(labels=cs["labels"].astype(np.float64))
        bad = [v for v in (c, c + 3, -2) if v != case["kwargs"].get("ignore_index", -100)]
        if n:
            out["a label out of range"] = lambda cs, rng: cs["labels"].__setitem__(0, rng.choice(bad))
    elif kind == "cross_entropy_probs":
        out["a target of another shape"] = arrays(target=np.ones((shape[0], shape[1] + 1)))
        out["integer class probabilities"] = lambda cs, rng: (cs.update(dtypes={"target": "int64"}),
                                                              cs["grad_of"].remove("target"))
    else:
        out["a target of another shape"] = arrays(target=np.full((2,) + shape, 0.5))
        if kind == "binary_cross_entropy":
            out["a target above 1"] = arrays(target=np.full(shape, 1.5))
    if kind in LABELS or kind == "cross_entropy_probs":
        out["a weight of the wrong length"] = arrays(weight=np.ones(shape[1] + 1))
    elif len(shape):  # (one axis too long, or one more axis than the input's)
        out["a weight of the wrong shape"] = arrays(weight=np.ones(shape[:-1] + (shape[-1] + 1,)))
        out["a weight that broadcasts beyond the input"] = arrays(weight=np.ones((2,) + shape))
    if kind == "binary_cross_entropy_with_logits" and len(shape):
        out["a pos_weight of the wrong shape"] = arrays(pos_weight=np.ones(shape[-1] + 1))
    if kind == "binary_cross_entropy_with_logits" and np.size(a["input"]):
        out["a pos_weight that requires grad"] = lambda cs, rng: (
            cs["arrays"].setdefault("pos_weight", np.full(shape[-1:], 2.0)), cs["grad_of"].append("pos_weight"))
    if "weight" not in case["grad_of"] and np.size(a["input"]):
        out["a weight that requires grad"] = lambda cs, rng: (
            cs["arrays"].setdefault("weight", rng.uniform(0.5, 2, shape[1:2] if kind in LABELS or
                                                          kind == "cross_entropy_probs" else shape)),
            cs["grad_of"].append("weight"), cs.update(module=False))
    if case["dtype"] == "float32" and "labels" not in case:
        out["a float64 target"] = lambda cs, rng: cs.update(dtypes={"target": "float64"})
    if kind in ("cross_entropy", "cross_entropy_probs"):
        out["label_smoothing above 1"] = lambda cs, rng: cs["kwargs"].update(label_smoothing=1.5)
        out["a negative label_smoothing"] = lambda cs, rng: cs["kwargs"].update(label_smoothing=-0.1)
    if np.size(a["input"]):
        def nan(cs, rng):
            x = np.array(cs["arrays"]["input"], dtype=np.float64)
            x.flat[rng.integers(x.size)] = np.nan
            cs["arrays"]["input"] = x
        out["NaN in the input"] = nan
    return out


def check_mutation(case, label):
    """torch refuses the spoilt case: minigan refuses it with an error that names the loss; torch accepts it:
    minigan computes it alike (values and gradients); or minigan does what DELIBERATE says."""
    kind = case["kind"]
    names = ("cross_entropy" if kind == "cross_entropy_probs" else kind, MODULE[kind])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (torch's warning that it broadcasts a target)
            _results(case, "torch", case["dtype"])
        torch_error = None
    except Exception as e:  # (ValueError, RuntimeError, IndexError)
        torch_error = e
    why = DELIBERATE.get((kind, label))
    if why is None and torch_error is None:
        return check_case(case)
    if why is None or why.startswith("refused"):
        with pytest.raises((ValueError, TypeError, RuntimeError, IndexError)) as error:
            _results(case, "mg", case["dtype"])
        assert str(error.value).startswith(names), f"an error that names no loss: {error.value!r}"
    else:
        _results(case, "mg", case["dtype"])


def _mutated(seed):
    case = _draw(seed)
    rng = np.random.default_rng(seed + 10**6)
    mutations = _mutations(case)
    label = sorted(mutations)[rng.integers(len(mutations))]
    case = dict(case, arrays=dict(case["arrays"]), kwargs=dict(case["kwargs"]), grad_of=list(case["grad_of"]))
    if "labels" in case:
        case["labels"] = case["labels"].copy()
    mutations[label](case, rng)
    return case, label


@pytest.mark.parametrize("seed", range(DEFAULT_CASES))
def test_spoilt_loss_is_refused_or_computed_as_torch(seed):
    case, label = _mutated(seed)
    try:
        check_mutation(case, label)
    except Exception as e:
        raise AssertionError(f"{label}: {_describe(case)}\n{type(e).__name__}: {e}") from e


@pytest.mark.slow
def test_spoilt_loss_is_refused_or_computed_as_torch_sweep():
    failures = []
    for seed in range(DEFAULT_CASES, SLOW_CASES):
        case, label = _mutated(seed)
        try:
            check_mutation(case, label)
        except Exception as e:
            failures.append(f"{label}: {_describe(case)}\n    {type(e).__name__}: {str(e)[:400]}")
    assert not failures, f"{len(failures)} cases fail:\n" + "\n".join(failures[:20])


# ------------------------------------------------------------------ what the fuzzer found
def test_mean_of_an_empty_batch_is_refused_naming_the_loss():
    # it was "mean: nothing to average over axes (0, 1)", naming no loss
    for call in (lambda: F.binary_cross_entropy(mg.zeros(0, 3), mg.zeros(0, 3)),
                 lambda: nn.BCEWithLogitsLoss(pos_weight=mg.ones(3))(mg.zeros(0, 3), mg.zeros(0, 3)),
                 lambda: F.mse_loss(mg.zeros(2, 0), mg.zeros(2, 0), weight=mg.ones(2, 0)),  # (it was 0 / 0: NaN)
                 lambda: F.cross_entropy(mg.zeros(0, 3), mg.zeros(0, 3))):
        with pytest.raises(ValueError, match=r"^(binary_cross_entropy|binary_cross_entropy_with_logits|mse_loss|"
                                             r"cross_entropy): reduction='mean' of an empty batch .* "
                                             r"use reduction='sum'"):
            call()
    assert F.l1_loss(mg.zeros(0, 2), mg.zeros(0, 2), reduction="sum").item() == 0.0


def test_bce_gradient_at_probabilities_0_and_1_is_torchs_to_the_last_bit():
    # torch clamps p (1 - p) at its C float 1e-12, which is 9.99999996e-13: it was 4e-9 off in float64
    p, t = np.array([1.0, 0.0, 1e-13]), np.array([0.25, 0.75, 0.5])
    ours = mg.tensor(p, requires_grad=True)
    F.binary_cross_entropy(ours, mg.tensor(t), reduction="sum").backward()
    theirs = torch.tensor(p, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(theirs, torch.tensor(t), reduction="sum").backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_pos_weight_second_derivative_is_accurate_for_saturated_logits(dtype):
    # d2/dx2 went through sigmoid(-x)'s y (1 - y), which rounds to nothing as y -> 1: at x = -30 it was 1e-3 off in
    # float64, at x = -13.5 3% off in float32; now it is sigmoid(x)'s, as torch's
    x, y, q = np.array([-30.0, -13.5, -8.0, 2.0]), np.array([1.0, 0.25, 0.5, 0.0]), np.array([3.0])
    grads = []
    for lib, fn in ((mg, F.binary_cross_entropy_with_logits),
                    (torch, torch.nn.functional.binary_cross_entropy_with_logits)):
        xs = lib.tensor(x.astype(dtype), requires_grad=True)
        loss = fn(xs, lib.tensor(y.astype(dtype)), pos_weight=lib.tensor(q.astype(dtype)), reduction="sum")
        grad = mg.autograd.grad if lib is mg else torch.autograd.grad
        (gx,) = grad(loss, [xs], create_graph=True)
        grads.append(grad(gx.sum(), [xs])[0].detach().numpy())
    exact = (1 + (q - 1) * y) * np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))) ** 2  # (1 + (q - 1) y) sigmoid'(x)
    rtol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(grads[0], exact, rtol=rtol)
    np.testing.assert_allclose(grads[1], exact, rtol=rtol)  # (torch's, to show the bar is its)


def test_integer_probabilities_and_logits_are_computed_in_float32_not_float64():
    ints, labels = mg.tensor([1, 0, 1]), mg.tensor([0, 1, 1])
    assert F.binary_cross_entropy(ints, labels).dtype == np.float32
    assert F.binary_cross_entropy_with_logits(ints, labels).dtype == np.float32
    assert mg.binary_cross_entropy_with_logits(ints, labels).dtype == np.float32


def test_a_class_weight_that_requires_grad_gets_its_gradient_or_is_refused_as_torch():
    x, probs = np.random.default_rng(0).standard_normal((3, 4)), np.full((3, 4), 0.25)
    w = np.array([0.5, 1.0, 2.0, 1.5])
    ours, theirs = mg.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    F.cross_entropy(mg.tensor(x), mg.tensor(probs), ours).backward()  # with class probabilities: torch's gradient
    torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(probs), theirs).backward()
    assert ours.grad is not None  # (it was left None: the weight was read as a constant)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
    for name in ("cross_entropy", "nll_loss"):  # with labels torch refuses it: it was silently left without one
        with pytest.raises(RuntimeError, match=rf"^{name}: the class weight requires grad.*weight.detach\(\)"):
            getattr(F, name)(mg.tensor(x), mg.tensor([0, 1, 2]), ours)
        with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
            getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor([0, 1, 2]), theirs)
    with mg.no_grad():
        F.cross_entropy(mg.tensor(x), mg.tensor([0, 1, 2]), ours)


@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_nan_scores_of_an_ignored_row_count_for_nothing(smoothing):
    # an ignored row's loss was -NaN * 0 = NaN, and with it the sum and the mean; torch's is 0
    x = np.array([[np.nan, 0.0, 1.0], [0.5, -1.0, 2.0]])
    labels = np.array([-100, 2])
    for reduction in ("none", "sum", "mean"):
        ours = F.cross_entropy(mg.tensor(x), mg.tensor(labels), reduction=reduction, label_smoothing=smoothing)
        theirs = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(labels), reduction=reduction,
                                                   label_smoothing=smoothing)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    assert F.nll_loss(mg.tensor(x), mg.tensor(np.array([-100, 1])), reduction="sum").item() == 1.0


def test_float64_class_probabilities_for_float32_logits_are_refused_naming_cross_entropy():
    # it was "mul: dtypes differ", naming no loss
    with pytest.raises(TypeError, match=r"^cross_entropy: logits dtype float32 but class probabilities dtype float64"):
        F.cross_entropy(mg.zeros(2, 3), mg.tensor(np.full((2, 3), 1 / 3)))


def test_the_losses_of_nan_inputs_are_nan_without_a_warning():
    x = np.array([[np.nan, 0.0, 1.0], [0.5, -1.0, 2.0]], dtype=np.float32)
    calls = [lambda v: F.binary_cross_entropy_with_logits(v, mg.zeros(2, 3), pos_weight=mg.ones(3)),
             lambda v: F.mse_loss(v, mg.zeros(2, 3)), lambda v: F.l1_loss(v, mg.zeros(2, 3)),
             lambda v: F.cross_entropy(v, mg.tensor([0, 1]), label_smoothing=0.1),
             lambda v: F.nll_loss(v, mg.tensor([0, 1]))]
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        for call in calls:
            v = mg.tensor(x, requires_grad=True)
            loss = call(v)
            loss.backward()
            assert math.isnan(loss.item()) and loss.dtype == np.float32
