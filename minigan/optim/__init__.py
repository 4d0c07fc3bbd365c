"""Optimizers with PyTorch's update rules: SGD (momentum, Nesterov), Adam (AMSGrad), AdamW and RMSprop.

Learning-rate schedulers are in ``lr_scheduler``.

The updates work in place on the raw arrays (no graph is recorded) and use
only Python floats as scalars, so a float32 parameter stays float32.
"""

import collections
import math
import numbers

import numpy as np

from .. import backend
from ..autograd import Tensor, enable_grad
from ..nn.module import refuse_a_model_as_parameters


def _settings_are(optimizer, group, rules):
    """Raise a clear error unless each setting named in `rules` is a real number meeting its rule."""
    for name, (ok, rule) in rules.items():
        value = group[name]
        if not (isinstance(value, numbers.Real) and not isinstance(value, bool) and ok(value)):
            raise ValueError(f"{optimizer}: {name} must be a number {rule}, got {value!r}")


# PyTorch's keyword-only switches for an implementation or a variant minigan does not have: the values that
# mean what minigan does are accepted (so PyTorch code runs as it is), any other is refused with what to do
_SWITCHES = {
    "maximize": ((False,), "minigan's optimizers minimise: minimise the negated objective, (-objective).backward()"),
    "foreach": ((None, False), "minigan has one implementation, a loop over the parameters: leave foreach out"),
    "fused": ((None, False), "minigan has one implementation (on a GPU Adam's update is one kernel): leave fused out"),
    "capturable": ((False,), "minigan has no CUDA graphs to capture a step in: leave capturable out"),
    "differentiable": ((False,), "minigan's step is not recorded for autograd: leave differentiable out"),
    "decoupled_weight_decay": ((False,), "that is AdamW's rule: use optim.AdamW"),
}


class Optimizer:
    """Holds parameter groups and per-parameter state; subclasses define `_update`."""

    # the keyword-only switches (of _SWITCHES) that the PyTorch optimizer of the same name takes
    _switches = ()

    # settings added after checkpoints were first written: a saved state without them loads with their defaults
    _later_settings = {}
    # settings that name the update rule itself (AdamW's decoupled decay): a saved state must agree
    _rule = {}

    def __init__(self, params, defaults, switches=None):
        name = type(self).__name__
        for key, value in (switches or {}).items():
            if key not in self._switches:  # Python's own words, as for any unknown keyword
                raise TypeError(f"{name}.__init__() got an unexpected keyword argument {key!r}")
            accepted, fix = _SWITCHES[key]
            if value not in accepted:
                raise ValueError(f"{name}: {key}={value!r} is not supported; {fix}")
        if isinstance(params, Tensor):  # list() would iterate over its rows: copies, never the parameter
            raise TypeError(f"{name}: params must be an iterable of Tensors (or of dicts), got one Tensor; "
                            f"pass a list, {name}([w], ...), or model.parameters()")
        refuse_a_model_as_parameters(params, name)
        params = list(params)
        if not params:
            raise ValueError(f"{name} got an empty parameter list")
        if all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in params):
            params = [p for _, p in params]  # model.named_parameters(), as PyTorch takes it: the names are not kept
        self.defaults = defaults
        self.param_groups = []
        # param -> dict of arrays and the step count; a defaultdict, as torch's: a hand-written step() may read
        # `state = self.state[p]` before the first update
        self.state = collections.defaultdict(dict)
        for group in params if isinstance(params[0], dict) else [{"params": params}]:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group of parameters, with settings of its own or the optimizer's (fine-tuning, a new head...)."""
        name = type(self).__name__
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{name}: a parameter group is a dict with the key 'params' (and settings of its own), "
                            f"as {{'params': model.head.parameters(), 'lr': 1e-3}}; got {param_group!r:.80}")
        if isinstance(param_group["params"], (set, frozenset)):  # (PyTorch refuses a set): its order varies by run
            raise TypeError(f"{name}: a group's parameters are a set, whose order changes from run to run, so a saved "
                            "state would load onto other parameters; give them in a list (or model.parameters())")
        group = dict(self.defaults, **param_group)
        group["params"] = [group["params"]] if isinstance(group["params"], Tensor) else list(group["params"])
        self._check_settings(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name} expects Tensors/Parameters, got {type(p).__name__}")
            if not p.is_leaf:  # backward fills the .grad of leaves only: it would never be stepped
                raise ValueError(
                    f"{name}: can't optimize a non-leaf Tensor: the tensor of shape {tuple(p.shape)} is the result of "
                    f"an op (grad_fn={p.grad_fn!r}), so backward never fills its .grad and it would not train; make "
                    "it a leaf: compute the value first, then ask for gradients, "
                    "w = (minigan.randn(3, 1) * 0.1).requires_grad_(), or wrap it, nn.Parameter(...)"
                )
            if id(p) in seen:  # it would be stepped twice per step()
                raise ValueError(f"{name}: a parameter of shape {tuple(p.shape)} is given twice; "
                                 "each parameter may appear in one group, once")
            seen.add(id(p))
        self.param_groups.append(group)

    def _check_settings(self, group):
        """Raise a clear error for settings no update rule allows (each subclass knows its own)."""

    def zero_grad(self, set_to_none=True):
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None and (p.grad.grad_fn is not None or p.grad.requires_grad):
                    # a grad from backward(create_graph=True) holds its graph: a fresh zero tensor lets it go
                    # (as torch's zero_grad detaches it), where zeroing in place would keep it for ever
                    p.grad = Tensor(backend.xp_of(p.grad.data).zeros_like(p.grad.data))
                elif p.grad is not None:
                    p.grad.data[...] = 0

    def step(self, closure=None):
        """Update every parameter that has a gradient; return closure()'s loss (or None), as PyTorch does.

        closure: an optional function that zeroes the grads, recomputes the loss,
        calls backward() and returns the loss; it runs first, with gradients on.
        """
        loss = None
        if closure is not None:
            if not callable(closure):
                raise TypeError(f"{type(self).__name__}.step: closure must be a function that recomputes the loss "
                                f"and calls backward(), got {type(closure).__name__}; or call step() with no argument")
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.device != p.device:
                    raise RuntimeError(f"{type(self).__name__}: parameter on '{p.device}' but its grad on '{p.grad.device}'")
                if p.grad.shape != p.shape:  # the update would broadcast it without a word
                    raise RuntimeError(f"{type(self).__name__}.step: a parameter of shape {p.shape} has a grad of "
                                       f"shape {p.grad.shape}; a gradient must have its parameter's shape")
                state = self.state.setdefault(p, {})
                self._check_state(p, state)
                with np.errstate(all="ignore"):  # no NumPy warnings for inf/NaN gradients, as in the ops
                    self._update(p, p.grad.data, state, group)
                p._version += 1  # an in-place change: a graph that used the old value can no longer backpropagate
        return loss

    def _update(self, p, g, state, group):
        raise NotImplementedError(f"{type(self).__name__} has no _update: an Optimizer subclass defines "
                                  "_update(self, p, g, state, group), which changes p.data in place given its gradient "
                                  "array g, its state dict and its param group (or it overrides step(), as torch's do)")

    def _check_state(self, p, state):
        """A parameter's buffers (Adam's moments, momentum) must still have its dtype and device.

        model.to(dtype or device) after some steps casts or moves the parameters
        but not the optimizer's buffers: the update would mix dtypes (CuPy's fused
        Adam kernel refuses that; NumPy would quietly keep float32 moments).
        """
        for name, buf in state.items():
            if name == "step" or not hasattr(buf, "dtype"):
                continue
            if buf.dtype != p.dtype or backend.device_of(buf) != p.device:
                raise RuntimeError(
                    f"{type(self).__name__}.step: the {name} of a parameter of shape {p.shape} is {buf.dtype} on "
                    f"'{backend.device_of(buf)}', the parameter {p.dtype} on '{p.device}': the model was cast or "
                    "moved (model.to(...), .double()) after the optimizer had stepped. Make the optimizer after "
                    "model.to(...), or move its state with optimizer.load_state_dict(optimizer.state_dict())")

    @staticmethod
    def _start(state, p, *buffers):
        """A parameter's first step: a step count of 0 and zero `buffers` shaped like it."""
        state["step"] = 0
        for name in buffers:
            state[name] = backend.xp_of(p.data).zeros_like(p.data)

    # -- saving: state is indexed by parameter position, like PyTorch -------
    def _all_params(self):
        return [p for g in self.param_groups for p in g["params"]]

    def state_dict(self):
        """{'state': {'0': {...}, '1': ...}, 'param_groups': [...]} with arrays: torch's layout, except that
        the parameter index is a string ('0', not 0), as minigan.save needs string keys. load_state_dict takes
        it, or a torch.optim optimizer's state_dict."""
        index = {id(p): i for i, p in enumerate(self._all_params())}
        # each parameter's own state dict, as PyTorch's: a copy would keep the step count while the arrays in it
        # move on with the next step (Adam's bias correction would then be a step behind its moments)
        state = {str(index[id(p)]): v for p, v in self.state.items() if id(p) in index and v}  # SGD without momentum: none
        groups, start = [], 0
        for g in self.param_groups:
            n = len(g["params"])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": list(range(start, start + n))})
            start += n
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            got = (type(state_dict).__name__ if not isinstance(state_dict, dict) else "an empty dict" if not state_dict
                   else f"a dict with keys {', '.join(map(str, list(state_dict)[:4]))}")
            raise TypeError(f"{name}.load_state_dict expects an optimizer's state_dict, a dict with 'state' and "
                            f"'param_groups' as optimizer.state_dict() returns (or minigan.load(path)[key] of a "
                            f"checkpoint that saved one); got {got}. A model's state_dict goes to "
                            "model.load_state_dict")
        params = self._all_params()
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or [len(g["params"]) for g in groups] != [
            len(g["params"]) for g in self.param_groups
        ]:
            raise ValueError(f"{type(self).__name__}.load_state_dict: parameter groups do not match this optimizer")
        # a torch.optim state_dict has PyTorch's switches (refused unless they mean what minigan does) and, from
        # named_parameters(), "param_names" (minigan knows parameters by position): neither is a setting here
        torch_only = set(_SWITCHES) - set(self.param_groups[0]) | {"param_names"}
        for g in groups:
            for k in torch_only & set(g) - {"param_names"}:
                if g[k] not in _SWITCHES[k][0]:
                    raise ValueError(f"{name}.load_state_dict: the state has {k}={g[k]!r}, which minigan does not "
                                     f"support; {_SWITCHES[k][1]}")
        groups = [{k: v for k, v in g.items() if k not in torch_only} for g in groups]
        # what learning-rate schedulers add to each group (OneCycleLR: its range of rates and momenta) may be on
        # one side only
        added = {"params", "initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"}
        theirs_keys = set(groups[0]) - added
        mine_keys = set(self.param_groups[0]) - added
        groups = [{**{k: v for k, v in self._later_settings.items() if k not in g}, **g} for g in groups]
        if theirs_keys | set(self._later_settings) != mine_keys:  # only settings added later may be missing
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the state has settings {sorted(theirs_keys)} but this "
                f"optimizer has {sorted(mine_keys)}; was it saved from another kind of optimizer?"
            )
        for theirs in groups:
            for k, ours in self._rule.items():
                if theirs[k] != ours:
                    raise ValueError(f"{name}.load_state_dict: the state has {k}={theirs[k]!r}, this {name} "
                                     f"{ours!r}: it was saved from another kind of optimizer (decoupled_weight_decay "
                                     "is True for AdamW, False for Adam); load it into the kind that saved it")
        state = {}  # built and checked whole before anything changes
        for key, st in state_dict["state"].items():
            if not str(key).isdigit() or int(key) >= len(params):
                raise ValueError(f"{type(self).__name__}.load_state_dict: the state names parameter {key!r}, but this "
                                 f"optimizer has parameters 0..{len(params) - 1}; was it saved from another model?")
            p = params[int(key)]
            new = {}
            for k, v in st.items():
                if k == "step":
                    new[k] = int(v)
                    continue
                if tuple(v.shape) != p.shape:
                    raise ValueError(f"optimizer state '{k}' of parameter {key} has shape {tuple(v.shape)}, parameter has {p.shape}")
                new[k] = backend.asarray(v, dtype=p.dtype, device=p.device).copy()
            state[p] = new
        for mine, theirs in zip(self.param_groups, groups):
            for k, v in theirs.items():
                if k != "params":
                    mine[k] = tuple(v) if isinstance(v, list) else v
        self.state = collections.defaultdict(dict, state)


class SGD(Optimizer):
    """p -= lr * g with g = grad + wd p; with momentum, p -= lr * b, PyTorch's buffer b = mu b + (1 - dampening) g
    (b = g at first).

    Nesterov's variant steps along g + mu b instead of b (it needs momentum > 0 and no dampening).
    """

    _later_settings = {"dampening": 0.0, "nesterov": False}
    _switches = ("maximize", "foreach", "differentiable", "fused")

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, **switches):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=bool(nesterov)), switches)

    def _check_settings(self, group):
        at_least_0 = (lambda v: v >= 0, ">= 0")
        _settings_are("SGD", group, {"lr": at_least_0, "momentum": at_least_0, "dampening": at_least_0,
                                     "weight_decay": at_least_0})
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening 0, got momentum "
                             f"{group['momentum']!r} and dampening {group['dampening']!r}")

    def _update(self, p, g, state, group):
        lr, mu, wd = float(group["lr"]), float(group["momentum"]), float(group["weight_decay"])
        if wd:
            g = g + wd * p.data
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:  # an array: for a 0-d parameter g + wd * p is a NumPy scalar, which *= would not update
                # (in the parameter's dtype: on NumPy 1 that scalar of a 0-d float32 parameter is float64)
                buf = state["momentum_buffer"] = backend.xp_of(p.data).array(g, dtype=p.data.dtype)
            else:
                buf *= mu
                buf += (1.0 - float(group["dampening"])) * g
            g = g + mu * buf if group["nesterov"] else buf
        p.data -= lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba) exactly as torch.optim.Adam, including bias correction:

    m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2   (g = grad + weight_decay p)
    p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)

    amsgrad=True (Reddi et al.) divides by the largest v seen so far instead of v.
    """

    # torch records the rule in each group as decoupled_weight_decay (False here, True for AdamW)
    _rule = {"decoupled_weight_decay": False}
    _later_settings = {"amsgrad": False, **_rule}
    _switches = ("maximize", "foreach", "capturable", "differentiable", "fused", "decoupled_weight_decay")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, **switches):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=bool(amsgrad),
                                      **self._rule), switches)

    def _check_settings(self, group):
        betas = group["betas"]
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"{type(self).__name__}: betas must be a pair (beta1, beta2), got {betas!r}")
        group["betas"] = tuple(betas)
        decoupled = group["decoupled_weight_decay"]
        if decoupled != self._rule["decoupled_weight_decay"]:  # the class decides the rule
            raise ValueError(f"{type(self).__name__}: decoupled_weight_decay={decoupled!r} is "
                             f"{'AdamW' if decoupled else 'Adam'}'s rule; use optim.{'AdamW' if decoupled else 'Adam'}")
        at_least_0, below_1 = (lambda v: v >= 0, ">= 0"), (lambda v: 0 <= v < 1, "in [0, 1)")
        rules = {"lr": at_least_0, "betas[0]": below_1, "betas[1]": below_1, "eps": at_least_0, "weight_decay": at_least_0}
        _settings_are(type(self).__name__, dict(group, **{"betas[0]": betas[0], "betas[1]": betas[1]}), rules)

    def _update(self, p, g, state, group):
        lr, eps, wd = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        b1, b2 = float(group["betas"][0]), float(group["betas"][1])
        xp = backend.xp_of(p.data)
        if wd:
            g = g + wd * p.data
        if not state:
            self._start(state, p, "exp_avg", "exp_avg_sq", *(["max_exp_avg_sq"] if group["amsgrad"] else []))
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        step_size = lr / (1.0 - b1**t)
        inv_sqrt_bias2 = 1.0 / math.sqrt(1.0 - b2**t)
        if backend.device_of(p.data) != "cpu" and not group["amsgrad"]:
            # on a GPU the same arithmetic as below runs as ONE fused kernel: launching
            # eleven small kernels per parameter would cost more than the arithmetic
            backend.adam_update(p.data, g, m, v, b1, 1.0 - b1, b2, 1.0 - b2, step_size, inv_sqrt_bias2, eps)
            return
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * g * g  # left to right, as torch: (1 - b2) * g first, so g near 1e19 does not overflow
        if group["amsgrad"]:
            v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        denom = xp.sqrt(v)
        denom *= inv_sqrt_bias2
        denom += eps
        p.data -= step_size * (m / denom)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter): Adam with *decoupled* weight decay, exactly as torch.optim.AdamW:

    p -= lr * weight_decay * p;  then Adam's step with the plain gradient

    (Adam's own weight_decay adds weight_decay * p to the gradient instead, which
    Adam's division by sqrt(v) then rescales). Note the default weight_decay=1e-2.
    """

    _rule = {"decoupled_weight_decay": True}
    _later_settings = {"amsgrad": False, **_rule}
    _switches = ("maximize", "foreach", "capturable", "differentiable", "fused")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, **switches):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, **switches)

    def _update(self, p, g, state, group):
        p.data *= 1.0 - float(group["lr"]) * float(group["weight_decay"])
        super()._update(p, g, state, dict(group, weight_decay=0.0))


class RMSprop(Optimizer):
    """RMSprop (Tieleman & Hinton) exactly as torch.optim.RMSprop; the original WGAN's optimizer.

    s = alpha s + (1-alpha) g^2;  p -= lr * g / (sqrt(s) + eps)
    (centered: sqrt(s - gbar^2) with gbar = alpha gbar + (1-alpha) g; momentum: b = mu b + g / (...), p -= lr b)
    """

    _switches = ("maximize", "foreach", "capturable", "differentiable")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                 **switches):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=bool(centered)), switches)

    def _check_settings(self, group):
        at_least_0 = (lambda v: v >= 0, ">= 0")
        _settings_are("RMSprop", group, {"lr": at_least_0, "alpha": at_least_0, "eps": at_least_0,
                                         "weight_decay": at_least_0, "momentum": at_least_0})

    def _update(self, p, g, state, group):
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        wd, mu = float(group["weight_decay"]), float(group["momentum"])
        xp = backend.xp_of(p.data)
        if wd:
            g = g + wd * p.data
        if not state:
            self._start(state, p, "square_avg", *(["momentum_buffer"] if mu else []),
                        *(["grad_avg"] if group["centered"] else []))
        state["step"] += 1
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1.0 - alpha) * g * g  # left to right, as torch (see Adam)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg += (1.0 - alpha) * (g - grad_avg)  # torch's lerp
            var = square_avg - grad_avg * grad_avg
            # torch's fused s - gbar^2 (one rounding) keeps an overflowed s at inf where gbar^2 overflows too (a
            # float32 gradient near 1e19 or more): the step is then 0, where inf - inf would make the weights NaN
            avg = xp.sqrt(xp.where(xp.isinf(square_avg) & xp.isfinite(grad_avg), square_avg, var))
        else:
            avg = xp.sqrt(square_avg)
        avg += eps
        if mu:
            buf = state["momentum_buffer"]
            buf *= mu
            buf += g / avg
            p.data -= lr * buf
        else:  # (lr * g) / avg, as torch's addcdiv: with lr = 0 a g / avg that overflows leaves p as it is, not NaN
            p.data -= lr * g / avg

from . import lr_scheduler  # noqa: E402  (minigan.optim.lr_scheduler, as torch.optim.lr_scheduler)
