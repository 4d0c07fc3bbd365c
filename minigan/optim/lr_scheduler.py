"""Learning-rate schedules with PyTorch's names and numbers (``minigan.optim.lr_scheduler``).

A scheduler rewrites ``group["lr"]`` in its optimizer's parameter groups. Make it
after the optimizer (that already sets epoch 0's rate) and call
``scheduler.step()`` after ``optimizer.step()``, once per epoch or per iteration::

    opt = minigan.optim.Adam(G.parameters(), lr=2e-4)
    sched = minigan.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        ...  # opt.step() for every batch
        sched.step()

Each rate is computed the way PyTorch computes it: most schedules update the
current rate step by step rather than from a closed formula, which rounds
differently, so the same schedule gives the same floats as in PyTorch
(tests/test_optim.py). The closed formula of each is in its docstring.
"""

import math
import numbers
import types
from collections import Counter


def _check_state(scheduler, state_dict):
    """A clear error for anything but a scheduler's state_dict (updating attributes from it would go unnoticed)."""
    if not (isinstance(state_dict, dict) and {"last_epoch", "base_lrs"} <= set(state_dict)):
        got = (type(state_dict).__name__ if not isinstance(state_dict, dict) else "an empty dict" if not state_dict
               else f"a dict with keys {', '.join(map(str, list(state_dict)[:4]))}")
        raise TypeError(f"{type(scheduler).__name__}.load_state_dict expects what scheduler.state_dict() returns "
                        f"(with 'last_epoch' and 'base_lrs'); got {got}. An optimizer's state_dict goes to "
                        "optimizer.load_state_dict")


def _check(scheduler, name, value, ok, rule):
    """A clear error for a setting that is not a number, or would divide by zero or make a negative rate (torch finds
    out later, or not)."""
    # numbers.Real: NumPy's numbers too (np.int64(30) from arithmetic on an array), as in PyTorch
    if not (isinstance(value, numbers.Real) and not isinstance(value, bool) and ok(value)):
        raise ValueError(f"{scheduler}: {name} must be {rule}, got {value!r}")


class LRScheduler:
    """Base class: keeps the epoch count and each group's starting rate; subclasses give `get_lr`."""

    def __init__(self, optimizer, last_epoch=-1):
        name = type(self).__name__
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{name}: expected an optimizer (minigan.optim.Adam or SGD), got {type(optimizer).__name__}")
        self.optimizer = optimizer
        if last_epoch == -1:  # a fresh schedule starts from each group's current rate
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{name}: resuming at last_epoch={last_epoch} needs 'initial_lr' in param_groups[{i}]; "
                                   "load the optimizer's state_dict (which holds it) before making the scheduler, "
                                   "or start a new schedule with last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._initial = True  # the step below sets epoch 0's rates, as PyTorch does on construction
        self.step()
        self._initial = False

    def get_lr(self):
        """The rates for epoch `last_epoch`, one per parameter group."""
        raise NotImplementedError(f"{type(self).__name__} has no get_lr: a scheduler subclass defines get_lr(self), "
                                  "which returns the learning rates for epoch self.last_epoch, one per param group "
                                  "(self.base_lrs holds the starting ones), as torch's do")

    def step(self, epoch=None):
        """Advance one epoch (or iteration) and write the new rates into the optimizer."""
        if epoch is not None:  # PyTorch deprecated it in 1.4 (it jumps to a closed formula); a clear error, not Python's
            raise TypeError(f"{type(self).__name__}.step(epoch) is not supported (PyTorch deprecated it): call "
                            f"step() with no argument, once per epoch; to start a schedule mid-way, make it with "
                            f"last_epoch=... after loading the optimizer's state_dict")
        self._step_count += 1
        self.last_epoch += 1
        groups, lrs = self.optimizer.param_groups, self.get_lr()
        if len(lrs) != len(groups):  # zip would leave the groups added since unscheduled (PyTorch raises too)
            raise ValueError(f"{type(self).__name__}.step: the optimizer has {len(groups)} parameter groups, the "
                             f"scheduler was made for {len(lrs)}: a group was added (add_param_group) after the "
                             "scheduler was made; add every group first, then make the scheduler")
        for group, lr in zip(groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The rates the last `step` set, one per parameter group."""
        return list(self._last_lr)

    def _current(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """Everything but the optimizer (save the optimizer's state_dict alongside)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        _check_state(self, state_dict)
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size): multiplied by gamma every step_size epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        _check("StepLR", "step_size", step_size, lambda v: v >= 1 and float(v).is_integer(), "a whole number >= 1")
        _check("StepLR", "gamma", gamma, lambda v: v >= 0, "a number >= 0")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ** (number of milestones <= epoch): multiplied by gamma at each milestone."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        _check("MultiStepLR", "gamma", gamma, lambda v: v >= 0, "a number >= 0")
        if isinstance(milestones, numbers.Number):  # Counter() would fail with Python's words
            raise TypeError(f"MultiStepLR: milestones must be a list of epochs, e.g. [30, 80], got {milestones!r}; "
                            "to decay every step_size epochs, use StepLR")
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._current()]

    def state_dict(self):
        state = super().state_dict()  # milestones as a sorted list: minigan.save keeps string keys only
        state["milestones"] = sorted(self.milestones.elements())
        return state

    def load_state_dict(self, state_dict):
        _check_state(self, state_dict)
        super().load_state_dict(dict(state_dict, milestones=Counter(state_dict["milestones"])))


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        _check("ExponentialLR", "gamma", gamma, lambda v: v >= 0, "a number >= 0")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._initial:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch), with one function for all groups or one per group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        groups = len(optimizer.param_groups) if hasattr(optimizer, "param_groups") else 1
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(f"LambdaLR: expected {groups} lr_lambdas (one per parameter group), got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * rule(self.last_epoch) for rule, base_lr in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        """Functions are not saved (as in PyTorch); a callable object's attributes are."""
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(f, types.FunctionType) else dict(f.__dict__) for f in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        _check_state(self, state_dict)
        state = dict(state_dict)
        for rule, saved in zip(self.lr_lambdas, state.pop("lr_lambdas")):
            if saved is not None:
                rule.__dict__.update(saved)
        self.__dict__.update(state)


class LinearLR(LRScheduler):
    """lr = base_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters) / total_iters)."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        _check("LinearLR", "start_factor", start_factor, lambda v: 0 < v <= 1, "in (0, 1]")
        _check("LinearLR", "end_factor", end_factor, lambda v: 0 <= v <= 1, "in [0, 1]")
        _check("LinearLR", "total_iters", total_iters, lambda v: v == v, "a number (of epochs)")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current()]
        if self._initial or self.last_epoch > self.total_iters:
            return self._current()
        # the ratio of this epoch's factor to the last one's
        span = self.end_factor - self.start_factor
        ratio = 1.0 + span / (self.total_iters * self.start_factor + (self.last_epoch - 1) * span)
        return [lr * ratio for lr in self._current()]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2: half a cosine from base_lr to eta_min."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):  # noqa: N803 (PyTorch's name)
        _check("CosineAnnealingLR", "T_max", T_max, lambda v: v > 0, "a number > 0 (the epochs of a half cosine)")
        _check("CosineAnnealingLR", "eta_min", eta_min, lambda v: v == v, "a number (the lowest rate)")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, low = self.last_epoch, self.T_max, self.eta_min  # noqa: N806
        if self._initial:
            return self._current()
        if (t - 1 - T) % (2 * T) == 0:  # past the bottom, the cosine climbs again
            return [lr + (base - low) * (1 - math.cos(math.pi / T)) / 2
                    for lr, base in zip(self._current(), self.base_lrs)]
        # the ratio of this epoch's cosine term to the last one's
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - low) + low for lr in self._current()]
