"""A differential fuzzer for the optimizers and the learning-rate schedulers.

Each case draws, from a fixed seed, an optimizer with random settings and parameter groups over
parameters of several shapes (0-d and empty ones included), and a random sequence of actions:
steps with random gradients (some None, some all zeros, some huge or tiny), zero_grad, changed
group settings, add_param_group, schedulers (two may share the optimizer), and checkpoints
(state_dict loaded into a freshly made optimizer and schedulers). The same script runs through
minigan and through torch.optim, and everything a learner can look at is compared after every
action: the parameters (and their dtype), the grads, the optimizer's state, the groups' settings,
each scheduler's last_epoch, base_lrs and get_last_lr(), and what step() returns.

Without torch, the script runs twice through minigan, with and without its checkpoints: a resumed
run must continue bit for bit as the one that never stopped.
"""

import copy
import re

import numpy as np
import pytest

import minigan as mg

SHAPES = [(), (3,), (2, 3), (0,), (2, 0, 3), (1, 1)]
KINDS = ["SGD", "Adam", "AdamW", "RMSprop"]
SCHEDULERS = ["StepLR", "MultiStepLR", "ExponentialLR", "LambdaLR", "LinearLR", "CosineAnnealingLR"]
# settings a learner may change between steps, with a draw of a value torch accepts
CHANGEABLE = {
    "SGD": ["lr", "weight_decay", "momentum", "dampening"],
    "Adam": ["lr", "betas", "eps", "weight_decay"],
    "AdamW": ["lr", "betas", "eps", "weight_decay"],
    "RMSprop": ["lr", "alpha", "eps", "weight_decay"],
}


# ----------------------------------------------------------------------------------- drawing a script
def _pick(rng, *values):
    return values[rng.integers(len(values))]


def _value(rng, key):
    """A random value of setting `key` within what torch accepts (edges included)."""
    unit = float(rng.uniform(0, 1))
    return {
        "lr": _pick(rng, 0.0, 1e-3, unit * 0.1, unit, 1),
        "momentum": _pick(rng, 0.0, unit, 0.9),
        "dampening": _pick(rng, 0.0, unit, 1.5),
        "weight_decay": _pick(rng, 0.0, 1e-2, unit),
        "betas": (_pick(rng, 0.0, 0.5, 0.9, unit), _pick(rng, 0.0, 0.9, 0.999, unit)),
        "eps": _pick(rng, 1e-8, 1e-3, unit),
        # (not near 0: centered, s - gbar^2 then cancels, and torch rounds it once (fused), minigan twice: at 0,
        # torch's g^2 - g*g rounds below 0, a NaN where minigan has 0)
        "alpha": _pick(rng, 0.5, 0.99, 1.0, 0.1 + 0.9 * unit),
    }[key]


def _settings(rng, kind):
    """Random constructor settings for `kind`, each one left at its default now and then."""
    keys = {"SGD": ["lr", "momentum", "dampening", "weight_decay"], "Adam": ["lr", "betas", "eps", "weight_decay"],
            "RMSprop": ["lr", "alpha", "eps", "weight_decay", "momentum"]}[kind.replace("AdamW", "Adam")]
    settings = {k: _value(rng, k) for k in keys if rng.uniform() < 0.7}
    if kind == "SGD" and settings.get("momentum", 0) > 0 and not settings.get("dampening", 0) and rng.uniform() < 0.5:
        settings["nesterov"] = True
    if kind in ("Adam", "AdamW") and rng.uniform() < 0.4:
        settings["amsgrad"] = True
    if kind == "RMSprop" and rng.uniform() < 0.4:
        settings["centered"] = True
    return settings


def _grad(rng, shape):
    """None, zeros, or a random gradient at one of several scales (float32 overflows at 1e20 squared)."""
    draw = rng.uniform()
    if draw < 0.15:
        return None
    if draw < 0.25:
        return np.zeros(shape)
    return rng.standard_normal(shape) * _pick(rng, 1.0, 1.0, 1e-3, 1e3, 1e-30, 1e20)


class _Lambda:
    """A learning-rate rule with an attribute (LambdaLR saves those of a callable object)."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, epoch):
        return 1.0 / (1.0 + self.rate * epoch)


def _scheduler(rng, groups):
    name = _pick(rng, *SCHEDULERS)
    gamma = _pick(rng, 0.1, 0.5, float(rng.uniform(0, 1.2)))
    kwargs = {
        "StepLR": lambda: dict(step_size=int(rng.integers(1, 4)), gamma=gamma),
        "MultiStepLR": lambda: dict(milestones=sorted(rng.integers(1, 12, size=3).tolist()), gamma=gamma),
        "ExponentialLR": lambda: dict(gamma=_pick(rng, 0.9, float(rng.uniform(0.5, 1.1)))),
        "LambdaLR": lambda: dict(lr_lambda=[_Lambda(float(rng.uniform(0, 1))) for _ in range(groups)]
                                 if rng.uniform() < 0.5 else (lambda epoch: 0.95**epoch)),
        "LinearLR": lambda: dict(start_factor=_pick(rng, 1.0 / 3, float(rng.uniform(0.05, 1))),
                                 end_factor=_pick(rng, 1.0, 0.0, float(rng.uniform(0, 1))),
                                 total_iters=int(rng.integers(0, 7))),
        "CosineAnnealingLR": lambda: dict(T_max=int(rng.integers(1, 7)), eta_min=_pick(rng, 0.0, 1e-4)),
    }[name]()
    return name, kwargs


def _fit_nesterov(defaults, settings):
    """No nesterov in a group without momentum or with dampening: torch checks it in the defaults only (and then
    steps such a group), minigan in every group (and refuses it by name)."""
    both = dict(defaults, **settings)
    if both.get("nesterov") and (both.get("momentum", 0) <= 0 or both.get("dampening", 0)):
        settings["nesterov"] = False
    return settings


def draw_script(seed, steps=30):
    """Everything one case does, drawn from `seed`: the same for every library that runs it."""
    rng = np.random.default_rng(seed)
    kind = _pick(rng, *KINDS)
    dtype = _pick(rng, "float64", "float32")
    starts = [rng.standard_normal(shape) for shape in SHAPES]
    order = rng.permutation(len(SHAPES)).tolist()
    cut = sorted(rng.choice(np.arange(1, len(SHAPES)), size=int(rng.integers(1, 3)), replace=False).tolist())
    parts = [order[a:b] for a, b in zip([0] + cut, cut + [len(SHAPES)])]
    later = parts.pop() if len(parts) > 1 and rng.uniform() < 0.5 else None  # a group added mid-run
    groups = [(part, _settings(rng, kind) if rng.uniform() < 0.6 else {}) for part in parts]
    defaults = _settings(rng, kind)
    for _, settings in groups:
        _fit_nesterov(defaults, settings)
    actions, schedulers = [], 0
    for _ in range(steps):
        draw = rng.uniform()
        if draw < 0.45:
            closure = rng.uniform() < 0.2
            actions.append(("step", [_grad(rng, s) for s in SHAPES], float(rng.standard_normal()) if closure else None))
        elif draw < 0.55:
            actions.append(("zero_grad", bool(rng.uniform() < 0.5)))
        elif draw < 0.65:
            key = _pick(rng, *CHANGEABLE[kind])
            actions.append(("set", int(rng.integers(len(groups))), key, _value(rng, key)))
        elif draw < 0.72:
            actions.append(("reload", bool(rng.uniform() < 0.5)))  # True: minigan resumes from torch's checkpoint
        elif draw < 0.77 and later is not None and not schedulers:  # a scheduler refuses groups added after it
            settings = _fit_nesterov(defaults, _settings(rng, kind))
            actions.append(("add_group", later, settings))
            groups.append((later, None))
            later = None
        elif draw < 0.83 and schedulers < 2:
            name, kwargs = _scheduler(rng, len(groups))
            # a schedule may start mid-way once a first one has put 'initial_lr' in the groups, as torch allows
            last_epoch = int(rng.integers(0, 5)) if schedulers and rng.uniform() < 0.5 else -1
            actions.append(("scheduler", name, kwargs, last_epoch))
            schedulers += 1
        elif schedulers:
            actions.append(("scheduler_step",))
    return dict(kind=kind, dtype=dtype, starts=starts, groups=groups, defaults=defaults, actions=actions)


# ------------------------------------------------------------------------------------ running a script
def _array(x):
    """A tensor's (or a state buffer's) values as a NumPy array, from either library."""
    if hasattr(x, "detach"):
        x = x.detach()
        return np.array(x.numpy() if hasattr(x, "numpy") else x.data)
    return np.array(x)


class Run:
    """One script through one library (minigan or torch); `checkpoints=False` skips the reloads."""

    def __init__(self, lib, script, checkpoints=True):
        self.lib, self.script, self.checkpoints = lib, script, checkpoints
        self.torch = lib.__name__ == "torch"
        dtype = getattr(lib, script["dtype"])
        self.params = [lib.nn.Parameter(lib.tensor(a, dtype=dtype)) for a in script["starts"]]
        self.opt = self._optimizer()
        self.schedulers, self.made = [], []  # the scheduler objects, and how each was made
        self.returned = None

    def _tensor(self, a):
        return self.lib.tensor(a, dtype=getattr(self.lib, self.script["dtype"]))

    def _optimizer(self):
        groups = [dict(settings, params=[self.params[i] for i in idx])
                  for idx, settings in self.script["groups"] if settings is not None]
        return getattr(self.lib.optim, self.script["kind"])(groups, **self.script["defaults"])

    def do(self, action, other=None):
        """Carry out `action`; `other`, a Run of torch, is where minigan's run takes torch's checkpoints from."""
        what, *args = action
        if what == "step":
            grads, loss = args

            def set_grads():
                for p, g in zip(self.params, grads):
                    p.grad = None if g is None else self._tensor(g)
                return loss

            if loss is None:
                set_grads()
                self.returned = self.opt.step()
            else:
                self.returned = self.opt.step(set_grads)
        elif what == "zero_grad":
            self.opt.zero_grad(set_to_none=args[0])
        elif what == "set":
            index, key, value = args
            self.opt.param_groups[index][key] = value
        elif what == "add_group":
            idx, settings = args
            self.opt.add_param_group(dict(settings, params=[self.params[i] for i in idx]))
            self.script = dict(self.script, groups=[(i, s) if i != idx else (i, settings)
                                                    for i, s in self.script["groups"]])
        elif what == "scheduler":
            name, kwargs, last_epoch = args
            self.schedulers.append(getattr(self.lib.optim.lr_scheduler, name)(self.opt, last_epoch=last_epoch, **kwargs))
            self.made.append((name, kwargs))
        elif what == "scheduler_step":
            for s in self.schedulers:
                s.step()
        elif what == "reload" and self.checkpoints:
            # as a checkpoint is resumed: a new optimizer and new schedulers, then their saved states
            source = other if args[0] and other is not None else self
            saved = copy.deepcopy(source.opt.state_dict())
            saved_schedulers = [copy.deepcopy(s.state_dict()) for s in source.schedulers]
            self.opt = self._optimizer()
            self.schedulers = [getattr(self.lib.optim.lr_scheduler, name)(self.opt, **kwargs)
                               for name, kwargs in self.made]
            self.opt.load_state_dict(saved)
            for s, state in zip(self.schedulers, saved_schedulers):
                s.load_state_dict(state)

    def snapshot(self):
        """What a learner can look at, in plain Python and NumPy values."""
        state = {}
        for i, p in enumerate(self.params):
            st = self.opt.state.get(p) or {}
            st = {k: (float(v) if k == "step" else _array(v)) for k, v in st.items() if v is not None}
            if st:
                state[i] = st
        return dict(
            params=[_array(p) for p in self.params],
            grads=[None if p.grad is None else _array(p.grad) for p in self.params],
            state=state,
            groups=[{k: (tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in g.items()
                     if k in ("lr", "initial_lr", *CHANGEABLE[self.script["kind"]], "momentum", "nesterov",
                              "amsgrad", "centered")}
                    for g in self.opt.param_groups],
            schedulers=[(s.last_epoch, list(s.get_last_lr()), list(s.base_lrs)) for s in self.schedulers],
            # the saved groups: each one's parameter positions and settings (torch's switches left out)
            saved_groups=[{k: (tuple(v) if isinstance(v, (list, tuple)) and k != "params" else v) for k, v in g.items()
                           if k not in ("maximize", "foreach", "fused", "capturable", "differentiable")}
                          for g in self.opt.state_dict()["param_groups"]],
            returned=self.returned,
        )


def _close(ours, theirs, where, rtol, least=0.0):
    """Equal up to rounding: relative to each array's largest value, or to `least` (a sum of large terms of both
    signs keeps only the rounding of the large ones), with NaN and inf where the other has them."""
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, (where, ours.dtype, theirs.dtype)
    finite = np.abs(theirs[np.isfinite(theirs)])
    scale = max(finite.max() if finite.size else 0.0, least)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale, equal_nan=True, err_msg=where)


def compare(ours, theirs, where, rtol):
    for i, (a, b) in enumerate(zip(ours["params"], theirs["params"])):
        _close(a, b, f"{where}: param {i}", rtol, least=1.0)  # (they start near 1, and may step to near 0)
    for i, (a, b) in enumerate(zip(ours["grads"], theirs["grads"])):
        assert (a is None) == (b is None), f"{where}: grad {i}"
        if a is not None:
            _close(a, b, f"{where}: grad {i}", rtol)
    assert ours["state"].keys() == theirs["state"].keys(), where
    for i in ours["state"]:
        assert ours["state"][i].keys() == theirs["state"][i].keys(), (where, i)
        for k, v in ours["state"][i].items():
            if k == "step":
                assert v == theirs["state"][i][k], (where, i)
            else:
                _close(v, theirs["state"][i][k], f"{where}: state {k} of param {i}", rtol)
    assert ours["groups"] == theirs["groups"], where
    assert ours["schedulers"] == theirs["schedulers"], where
    assert ours["saved_groups"] == theirs["saved_groups"], where
    assert ours["returned"] == theirs["returned"], where


def fuzz(seed, other, **kwargs):
    """Run script `seed` through minigan and through `other` (a Run maker), comparing after each action."""
    script = draw_script(seed)
    rtol = 1e-12 if script["dtype"] == "float64" else 1e-4
    ours, theirs = Run(mg, script), other(script)
    compare(ours.snapshot(), theirs.snapshot(), f"seed {seed}, {script['kind']}, made", rtol)
    for n, action in enumerate(script["actions"]):
        theirs.do(action)
        ours.do(action, other=theirs if theirs.torch else None)
        compare(ours.snapshot(), theirs.snapshot(), f"seed {seed}, {script['kind']}, action {n}: {action[0]}", rtol)


@pytest.mark.filterwarnings("ignore:Detected call of")  # torch's, when a script steps a scheduler first
@pytest.mark.parametrize("seed", range(40))
def test_minigan_matches_torch_on_random_scripts(seed):
    torch = pytest.importorskip("torch")
    fuzz(seed, lambda script: Run(torch, script))


@pytest.mark.parametrize("seed", range(40))
def test_a_resumed_run_continues_bit_for_bit_as_one_that_never_stopped(seed):
    # no torch needed: the same script with and without its checkpoints; loading copies the exact arrays and floats
    script = draw_script(seed)
    resumed, straight = Run(mg, script), Run(mg, script, checkpoints=False)
    for n, action in enumerate(script["actions"]):
        resumed.do(action)
        straight.do(action)
        compare(resumed.snapshot(), straight.snapshot(), f"seed {seed}, action {n}: {action[0]}", rtol=0.0)
        assert all(p.dtype == getattr(mg, script["dtype"]) for p in resumed.params)  # float32 stays float32


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Detected call of")
@pytest.mark.parametrize("seeds", [range(start, start + 250) for start in range(1000, 3000, 250)], ids=str)
def test_minigan_matches_torch_on_many_random_scripts(seeds):
    torch = pytest.importorskip("torch")
    for seed in seeds:
        fuzz(seed, lambda script: Run(torch, script))


# ------------------------------------------------------------------------------------ settings: accept or refuse
SETTING_VALUES = [-1.0, -1e-12, 0, 0.0, 0.5, 1, 1.5, float("inf"), float("nan"), True, np.float32(0.3),
                  np.float64(-0.1), np.int64(1), "0.1", None]
OPTIMIZER_SETTINGS = {
    "SGD": dict(lr=0.1, momentum=0.5, dampening=0.0, weight_decay=0.0),
    "Adam": dict(lr=0.1, eps=1e-8, weight_decay=0.0, beta1=0.9, beta2=0.99),
    "AdamW": dict(lr=0.1, eps=1e-8, weight_decay=0.0, beta1=0.9, beta2=0.99),
    "RMSprop": dict(lr=0.1, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0),
}


def _accepts(make):
    try:
        make()
    except (ValueError, TypeError) as error:
        return str(error)
    return None


def _stricter_on_purpose(key, value):
    """Values torch takes and minigan refuses by name: NaN, True, a string or None as a number, and a negative
    dampening (which amplifies the gradient instead of damping it)."""
    return isinstance(value, (bool, str)) or value is None or value != value or (key == "dampening" and value < 0)


@pytest.mark.parametrize("name", sorted(OPTIMIZER_SETTINGS))
def test_optimizer_settings_are_accepted_and_refused_as_torch_does(name):
    torch = pytest.importorskip("torch")
    for key in OPTIMIZER_SETTINGS[name]:
        for value in SETTING_VALUES:
            def make(lib):
                settings = dict(OPTIMIZER_SETTINGS[name], **{key: value})
                if "beta1" in settings:
                    settings["betas"] = (settings.pop("beta1"), settings.pop("beta2"))
                return lambda: getattr(lib.optim, name)([lib.nn.Parameter(lib.zeros(2))], **settings)

            ours, theirs = _accepts(make(mg)), _accepts(make(torch))
            named = {"beta1": "betas[0]", "beta2": "betas[1]"}.get(key, key)
            if theirs is not None and "both floats" not in theirs:  # (torch refuses a beta of 0 but 0.0 it takes)
                assert ours is not None and ours.startswith(f"{name}: {named} must be"), (key, value, ours)
            elif ours is not None:
                assert _stricter_on_purpose(key, value) and ours.startswith(f"{name}: {named} must be"), (key, value, ours)


SCHEDULER_SETTINGS = {
    "StepLR": dict(step_size=2, gamma=0.5), "MultiStepLR": dict(milestones=[2, 4], gamma=0.5),
    "ExponentialLR": dict(gamma=0.9), "LinearLR": dict(start_factor=0.5, end_factor=1.0, total_iters=3),
    "CosineAnnealingLR": dict(T_max=3, eta_min=0.0), "LambdaLR": dict(lr_lambda=lambda epoch: 0.9**epoch),
}
SCHEDULER_VALUES = [-2, -0.5, 0, 0.5, 1, 3, 2.5, float("inf"), float("nan"), True, np.int64(3), np.float32(0.5), "1",
                    [4, 2], [], [2.5], (3,), [np.int64(2)]]


def _refused_on_purpose(name, key, value):
    """What docs/pytorch.md lists as refused: a negative gamma, a step_size that is not a whole number >= 1, a
    T_max <= 0 (PyTorch divides by them or flips the rate's sign); and NaN or True as a number."""
    if isinstance(value, bool) or value != value:
        return True
    return {"gamma": value < 0, "step_size": not (value >= 1 and float(value).is_integer()), "T_max": value <= 0}.get(key)


@pytest.mark.filterwarnings("ignore")  # torch's, about stepping the scheduler first
@pytest.mark.parametrize("name", sorted(SCHEDULER_SETTINGS))
def test_scheduler_settings_are_accepted_and_refused_as_torch_does(name):
    torch = pytest.importorskip("torch")

    def rates(lib, settings):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.zeros(2))], lr=0.1)
        seen = []
        try:  # (torch refuses some settings only at a step, by a ZeroDivisionError or a TypeError)
            scheduler = getattr(lib.optim.lr_scheduler, name)(opt, **settings)
            for _ in range(6):
                opt.step()
                scheduler.step()
                seen.append(scheduler.get_last_lr())
        except Exception as error:  # noqa: BLE001 (minigan's must be one of its own messages: checked below)
            return f"{type(error).__name__}: {error}"
        return seen

    for key in set(SCHEDULER_SETTINGS[name]) - {"lr_lambda"}:
        for value in SCHEDULER_VALUES:
            if isinstance(value, (list, tuple)) != (key == "milestones"):
                continue
            settings = dict(SCHEDULER_SETTINGS[name], **{key: value})
            ours, theirs = rates(mg, settings), rates(torch, settings)
            if isinstance(ours, str) and not isinstance(theirs, str):
                assert _refused_on_purpose(name, key, value), (key, value, ours)
            if isinstance(ours, str) or isinstance(theirs, str):
                assert re.match(rf"(Value|Type)Error: {name}: {key} must be", str(ours)), (key, value, ours, theirs)
            else:
                np.testing.assert_equal(ours, theirs, err_msg=f"{key}={value!r}")  # (NaN rates equal too)



# ------------------------------------------------------------------------- what the fuzzer found, one test each
def test_schedulers_take_numpy_numbers_as_pytorch_does():
    # np.int64 (epochs // 3 of a NumPy count) and np.float32 were refused as "must be a whole number >= 1, got 3"
    def rates(lib):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.zeros(2))], lr=0.1)
        step = lib.optim.lr_scheduler.StepLR(opt, step_size=np.int64(2), gamma=np.float32(0.5))
        cosine = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=np.int64(4), eta_min=np.float64(0.0))
        seen = []
        for _ in range(4):
            opt.step()
            step.step()
            cosine.step()
            seen.append(opt.param_groups[0]["lr"])
        return seen

    ours = rates(mg)
    # by hand: StepLR halves at epochs 2 and 4; the cosine multiplies by (1 + cos(pi t / 4)) / (1 + cos(pi (t-1) / 4))
    cos = [(1 + np.cos(np.pi * t / 4)) for t in range(5)]
    want = [0.1 * cos[1] / 2, 0.1 * 0.5 * cos[2] / 2, 0.1 * 0.5 * cos[3] / 2, 0.0]
    np.testing.assert_allclose(ours, want, rtol=1e-12, atol=1e-17)
    torch = pytest.importorskip("torch")
    assert ours == rates(torch)


def test_scheduler_settings_that_python_would_refuse_in_its_own_words_are_named():
    opt = mg.optim.SGD([mg.nn.Parameter(mg.zeros(2))], lr=0.1)
    lr_scheduler = mg.optim.lr_scheduler
    for make, error, message in [
        (lambda: lr_scheduler.StepLR(opt, step_size=float("inf")), ValueError,  # was OverflowError from int(inf)
         r"StepLR: step_size must be a whole number >= 1, got inf"),
        (lambda: lr_scheduler.MultiStepLR(opt, milestones=30), TypeError,  # was "'int' object is not iterable"
         r"MultiStepLR: milestones must be a list of epochs, e\.g\. \[30, 80\], got 30; .* use StepLR"),
        (lambda: lr_scheduler.LinearLR(opt, start_factor="0.5"), ValueError,  # was "'<' not supported..."
         r"LinearLR: start_factor must be in \(0, 1\], got '0.5'"),
        (lambda: lr_scheduler.LinearLR(opt, total_iters="5"), ValueError, r"LinearLR: total_iters must be a number"),
        (lambda: lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min="0"), ValueError,
         r"CosineAnnealingLR: eta_min must be a number"),
    ]:
        with pytest.raises(error, match=message):
            make()
    assert opt.param_groups[0]["lr"] == 0.1 and "initial_lr" not in opt.param_groups[0]  # nothing changed


def test_scheduler_step_with_an_epoch_says_what_to_do():
    # PyTorch's deprecated step(epoch): Python's "takes 1 positional argument but 2 were given" named nothing
    opt = mg.optim.SGD([mg.nn.Parameter(mg.zeros(2))], lr=0.1)
    scheduler = mg.optim.lr_scheduler.StepLR(opt, step_size=2)
    with pytest.raises(TypeError, match=r"StepLR.step\(epoch\) is not supported .* call step\(\) with no argument"):
        scheduler.step(5)
    assert scheduler.last_epoch == 0 and opt.param_groups[0]["lr"] == 0.1


def test_a_set_of_parameters_in_a_group_is_refused_as_torch_refuses_it():
    # a set's order follows the tensors' ids: a checkpoint's buffers would load onto other parameters of that shape
    a, b = mg.nn.Parameter(mg.zeros(2)), mg.nn.Parameter(mg.ones(2))
    with pytest.raises(TypeError, match=r"SGD: a group's parameters are a set, whose order changes from run to run"):
        mg.optim.SGD([{"params": {a, b}}], lr=0.1)
    opt = mg.optim.Adam([a])
    with pytest.raises(TypeError, match=r"Adam: a group's parameters are a set"):
        opt.add_param_group({"params": {b}})
    with pytest.raises(TypeError, match=r"Adam: a parameter group is a dict with the key 'params' .*; got \{'lr': 0.1\}"):
        opt.add_param_group({"lr": 0.1})  # was KeyError: 'params'
    assert len(opt.param_groups) == 1
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="ordered collections"):
        torch.optim.SGD([{"params": {torch.zeros(2, requires_grad=True)}}], lr=0.1)


def test_settings_and_groups_refused_by_minigans_own_rules():
    # mutation testing: dropping these checks failed no test (the fuzzers above accept either answer where torch
    # takes the value): True as step_size, NaN as total_iters or eta_min, a group that is a mapping but not a
    # dict (torch refuses it too), and a frozenset of parameters (its order changes from run to run, as a set's)
    import types

    opt = mg.optim.SGD([mg.nn.Parameter(mg.zeros(2))], lr=0.1)
    lr_scheduler = mg.optim.lr_scheduler
    for make, message in [
        (lambda: lr_scheduler.StepLR(opt, step_size=True), r"StepLR: step_size must be a whole number >= 1, got True"),
        (lambda: lr_scheduler.LinearLR(opt, total_iters=float("nan")), r"LinearLR: total_iters must be a number"),
        (lambda: lr_scheduler.CosineAnnealingLR(opt, T_max=3, eta_min=float("nan")),
         r"CosineAnnealingLR: eta_min must be a number"),
    ]:
        with pytest.raises(ValueError, match=message):
            make()
    p = mg.nn.Parameter(mg.zeros(2))
    with pytest.raises(TypeError, match=r"SGD: a parameter group is a dict with the key 'params'"):
        opt.add_param_group(types.MappingProxyType({"params": [p]}))
    with pytest.raises(TypeError, match=r"SGD: a group's parameters are a set, whose order changes"):
        opt.add_param_group({"params": frozenset([p])})
    assert len(opt.param_groups) == 1
