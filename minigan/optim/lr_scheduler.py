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
(tests/test_optim.py, tests/test_scheduler.py). The closed formula of each is in its docstring.

ReduceLROnPlateau steps with the epoch's metric, ``sched.step(val_loss)``; OneCycleLR once per batch.
"""

import bisect
import math
import numbers
import types
from collections import Counter


def _check_state(scheduler, state_dict, keys=("last_epoch", "base_lrs")):
    """A clear error for anything but a scheduler's state_dict (updating attributes from it would go unnoticed)."""
    if not (isinstance(state_dict, dict) and set(keys) <= set(state_dict)):
        got = (type(state_dict).__name__ if not isinstance(state_dict, dict) else "an empty dict" if not state_dict
               else f"a dict with keys {', '.join(map(str, list(state_dict)[:4]))}")
        raise TypeError(f"{type(scheduler).__name__}.load_state_dict expects what scheduler.state_dict() returns "
                        f"(with {' and '.join(map(repr, keys))}); got {got}. An optimizer's state_dict goes to "
                        "optimizer.load_state_dict")


def _check(scheduler, name, value, ok, rule):
    """A clear error for a setting that is not a number, or would divide by zero or make a negative rate (torch finds
    out later, or not)."""
    # numbers.Real: NumPy's numbers too (np.int64(30) from arithmetic on an array), as in PyTorch
    if not (isinstance(value, numbers.Real) and not isinstance(value, bool) and ok(value)):
        raise ValueError(f"{scheduler}: {name} must be {rule}, got {value!r}")


def _whole(at_least):
    """The rule of a count: a whole number (2 or 2.0) >= at_least."""
    return lambda v: v >= at_least and float(v).is_integer()


def _per_group(scheduler, name, value, optimizer, ok, rule):
    """One value per parameter group, from a list of one each or one number for all (PyTorch's _format_param)."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"{scheduler}: {name} must be one number, or a list of one per parameter group "
                             f"({groups}), got a list of {len(value)}")
        for i, v in enumerate(value):
            _check(scheduler, f"{name}[{i}]", v, ok, rule)
        return list(value)
    _check(scheduler, name, value, ok, rule + " (or a list of one per parameter group)")
    return [value] * groups


def _check_optimizer(scheduler, optimizer):
    if not hasattr(optimizer, "param_groups"):
        raise TypeError(f"{scheduler}: expected an optimizer (minigan.optim.Adam or SGD), "
                        f"got {type(optimizer).__name__}")


class LRScheduler:
    """Base class: keeps the epoch count and each group's starting rate; subclasses give `get_lr`."""

    def __init__(self, optimizer, last_epoch=-1):
        name = type(self).__name__
        _check_optimizer(name, optimizer)
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
        self._initial_step()

    def _initial_step(self):
        """Set epoch 0's rates, as PyTorch does on construction (and SequentialLR for the schedule that starts)."""
        self._step_count = 0
        self._initial = True
        try:
            self.step()
        finally:
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
        self._set_lrs(self.get_lr())

    def _update_lr(self, epoch):
        """Jump to `epoch` (SequentialLR restarts a schedule at 0 so): by the closed formula where the schedule
        has one (`_closed_form_lr`, which rounds otherwise than the steps), else by get_lr, as PyTorch's."""
        self.last_epoch = epoch
        self._set_lrs(self._closed_form_lr() if hasattr(self, "_closed_form_lr") else self.get_lr())

    def _set_lrs(self, lrs):
        groups = self.optimizer.param_groups
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

    def _closed_form_lr(self):
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


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

    def _closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return [base_lr * self.gamma ** bisect.bisect_right(milestones, self.last_epoch) for base_lr in self.base_lrs]

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

    def _closed_form_lr(self):
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


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

    def _closed_form_lr(self):
        t, start, end = min(self.total_iters, self.last_epoch), self.start_factor, self.end_factor
        return [base_lr * (start + (end - start) * t / self.total_iters) for base_lr in self.base_lrs]


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

    def _closed_form_lr(self):
        T, low = self.T_max, self.eta_min  # noqa: N806
        return [low + (base - low) * (1 + math.cos(math.pi * self.last_epoch / T)) / 2 for base in self.base_lrs]


class SequentialLR(LRScheduler):
    """One schedule after another: from milestones[i-1] on, schedulers[i] runs from its own epoch 0, so
    lr = schedulers[i]'s rate at epoch - milestones[i-1] (a LinearLR warm-up, then a CosineAnnealingLR, say).

    Make the schedulers on the same optimizer first: SequentialLR undoes the first step each made and sets
    epoch 0's rates by the first one, as PyTorch's. At a milestone the next schedule starts from its base
    rates by its closed formula (as PyTorch's, which rounds otherwise than its steps).
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        name = "SequentialLR"
        _check_optimizer(name, optimizer)
        if not isinstance(schedulers, (list, tuple)):
            raise TypeError(f"{name}: schedulers must be a list of schedulers, e.g. [warmup, cosine], got "
                            f"{type(schedulers).__name__}")
        if not schedulers:
            raise ValueError(f"{name} expects at least one scheduler, got an empty list")
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler):
                raise TypeError(f"{name}: schedulers[{i}] is a {type(scheduler).__name__}, not a scheduler")
            if isinstance(scheduler, ReduceLROnPlateau):  # (PyTorch's refuses it too)
                raise ValueError(f"{name}: schedulers[{i}] is a ReduceLROnPlateau, whose step needs the metric "
                                 "(step(val_loss)), which SequentialLR does not have; step it yourself from the "
                                 "milestone on")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"{name}: schedulers[{i}] ({type(scheduler).__name__}) was made for another "
                                 "optimizer; make every scheduler on the optimizer given to SequentialLR")
        if isinstance(milestones, numbers.Number) or not isinstance(milestones, (list, tuple)):
            raise TypeError(f"{name}: milestones must be a list of epochs, one fewer than the schedulers, e.g. [5] "
                            f"for two, got {milestones!r}")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"{name}: expected {len(schedulers) - 1} milestones (one fewer than the "
                             f"{len(schedulers)} schedulers: where each next one starts), got {len(milestones)}")
        for i, milestone in enumerate(milestones):
            _check(name, f"milestones[{i}]", milestone, _whole(0), "a whole number >= 0 (an epoch)")
        if list(milestones) != sorted(milestones):  # bisect would pick the wrong schedule without a word
            raise ValueError(f"{name}: milestones must be in increasing order, got {list(milestones)}")
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:  # back to the starting rates, and the schedules to before their step
            group["lr"] = group["initial_lr"]
        self._undo(self)
        first = self._schedulers[bisect.bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def _undo(self, scheduler):
        """Undo the step each scheduler made on construction (in a SequentialLR's schedulers: theirs), as PyTorch's."""
        if isinstance(scheduler, SequentialLR):
            for inner in scheduler._schedulers:
                self._undo(inner)
        else:
            scheduler.last_epoch -= 1

    def get_lr(self):
        raise NotImplementedError("SequentialLR has no get_lr of its own: its schedulers compute the rates in "
                                  "step(); read them with get_last_lr()")

    def step(self):
        """Advance one epoch: the schedule of this epoch steps, or starts at its epoch 0 on a milestone."""
        self.last_epoch += 1
        i = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        """Its own counters and each scheduler's state_dict, in '_schedulers' (as PyTorch's)."""
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        _check_state(self, state_dict, ("last_epoch", "_schedulers"))
        state = dict(state_dict)
        saved = state.pop("_schedulers")
        if len(saved) != len(self._schedulers):
            raise ValueError(f"SequentialLR.load_state_dict: the state holds {len(saved)} schedulers, this "
                             f"SequentialLR has {len(self._schedulers)}; make it with the schedulers that were saved")
        self.__dict__.update(state)
        for scheduler, scheduler_state in zip(self._schedulers, saved):
            scheduler.load_state_dict(scheduler_state)


class ReduceLROnPlateau(LRScheduler):
    """lr = max(lr * factor, min_lr) when the metric given to step(metrics) has not improved for more than
    `patience` epochs in a row; then `cooldown` epochs in which nothing counts. No closed formula: it follows
    the metric. Call scheduler.step(val_loss) once per epoch, after validating.

    An epoch improves on the best metric so far when it is below best * (1 - threshold) (mode 'min',
    threshold_mode 'rel'), below best - threshold ('abs'), above best * (1 + threshold) (mode 'max', 'rel')
    or above best + threshold ('max', 'abs'). A reduction of eps or less is skipped.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        name = "ReduceLROnPlateau"
        _check_optimizer(name, optimizer)
        if mode not in ("min", "max"):
            raise ValueError(f"{name}: mode must be 'min' (for a loss) or 'max' (for an accuracy), got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{name}: threshold_mode must be 'rel' (threshold is a fraction of the best metric) "
                             f"or 'abs' (an amount), got {threshold_mode!r}")
        _check(name, "factor", factor, lambda v: 0 <= v < 1, "in [0, 1) (the rate is multiplied by it)")
        _check(name, "patience", patience, _whole(0), "a whole number >= 0 (of epochs)")
        if threshold_mode == "rel":  # (in mode 'min', best * (1 - threshold) <= 0 would be an improvement never met)
            _check(name, "threshold", threshold, lambda v: 0 <= v < 1, "in [0, 1) with threshold_mode='rel'")
        _check(name, "threshold", threshold, lambda v: v >= 0, "a number >= 0")
        _check(name, "cooldown", cooldown, _whole(0), "a whole number >= 0 (of epochs)")
        _check(name, "eps", eps, lambda v: v >= 0, "a number >= 0")
        self.min_lrs = _per_group(name, "min_lr", min_lr, optimizer, lambda v: v >= 0, "a number >= 0")
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else min_lr
        self.optimizer = optimizer
        self.mode, self.factor, self.patience, self.cooldown, self.eps = mode, factor, patience, cooldown, eps
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = self._current()
        self.best, self.cooldown_counter, self.num_bad_epochs = self.mode_worse, 0, 0

    def get_lr(self):
        raise NotImplementedError("ReduceLROnPlateau has no get_lr: its rates follow the metrics given to "
                                  "step(metrics); read them with get_last_lr()")

    def step(self, metrics, epoch=None):
        """Count this epoch's metric (a validation loss, say) as an improvement or not; reduce the rates after
        more than `patience` epochs without one."""
        if epoch is not None:
            raise TypeError("ReduceLROnPlateau.step(metrics, epoch): epoch is not supported (PyTorch deprecated "
                            "it): call step(metrics), once per epoch")
        try:
            current = float(metrics)  # a 0-d tensor too
        except (TypeError, ValueError):
            raise TypeError(f"ReduceLROnPlateau.step: metrics must be one number (the validation loss, say), got "
                            f"{type(metrics).__name__}") from None
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:  # bad epochs in the cooldown do not count
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = self._current()

    def _is_better(self, a, best):
        if self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold) if self.mode == "min" else a > best * (self.threshold + 1.0)
        return a < best - self.threshold if self.mode == "min" else a > best + self.threshold

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"ReduceLROnPlateau: the optimizer has {len(groups)} parameter groups, min_lr "
                                   f"was given for {len(self.min_lrs)}: a group was added (add_param_group) after "
                                   "the scheduler was made; add every group first, or set scheduler.min_lrs to one "
                                   "per group")
            self.min_lrs = [self.default_min_lr] * len(groups)  # one number for all: the new groups too
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def load_state_dict(self, state_dict):
        _check_state(self, state_dict, ("last_epoch", "best"))
        self.__dict__.update(state_dict)


class CosineAnnealingWarmRestarts(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi T_cur / T_i)) / 2, T_cur the epochs since the last restart
    (SGDR): half a cosine from base_lr to eta_min over T_i epochs, then again from base_lr; T_i = T_0 at first,
    T_mult times longer after each restart.

    step(epoch) takes a fractional epoch too, as PyTorch's: scheduler.step(epoch + i / len(loader)) after
    batch i; step() alone advances one epoch.
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):  # noqa: N803 (PyTorch's names)
        name = "CosineAnnealingWarmRestarts"
        _check(name, "T_0", T_0, _whole(1), "a whole number >= 1 (the epochs to the first restart)")
        _check(name, "T_mult", T_mult, _whole(1), "a whole number >= 1 (how many times longer each next cycle is)")
        _check(name, "eta_min", eta_min, lambda v: v == v, "a number (the lowest rate)")
        self.T_0 = self.T_i = T_0
        self.T_mult, self.eta_min = T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        low = self.eta_min
        return [low + (base - low) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2 for base in self.base_lrs]

    def step(self, epoch=None):
        """Advance one epoch, or go to `epoch` (a fraction within an epoch too)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:  # a restart
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            _check("CosineAnnealingWarmRestarts.step", "epoch", epoch, lambda v: v >= 0,
                   "a number >= 0 (the epochs since the start; epoch + i / len(loader) after batch i)")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:  # n restarts so far: T_0 (1 + T_mult + ... + T_mult^(n-1)) <= epoch
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** (n)
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self._step_count += 1
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self.get_lr())


class OneCycleLR(LRScheduler):
    """1cycle (Smith), stepped once per batch: lr rises from initial_lr = max_lr / div_factor to max_lr over the
    first pct_start of total_steps, then falls to min_lr = initial_lr / final_div_factor; the momentum (SGD's
    momentum, Adam's betas[0]) moves the other way, max_momentum -> base_momentum -> max_momentum.

    In a phase from step s0 to s1 going from a to b, with p = (step - s0) / (s1 - s0):
    lr = b + (a - b) / 2 (cos(pi p) + 1) ('cos') or (b - a) p + a ('linear'). The phases end at steps
    pct_start * total_steps - 1 and total_steps - 1; three_phase: up, back down to initial_lr at
    2 pct_start * total_steps - 2, then down to min_lr at total_steps - 1 (the momentum stays at max_momentum).
    Stepping past total_steps is an error, as in PyTorch.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
                 final_div_factor=1e4, three_phase=False, last_epoch=-1):
        name = "OneCycleLR"  # everything is checked before a parameter group changes
        _check_optimizer(name, optimizer)
        if total_steps is not None:
            _check(name, "total_steps", total_steps, _whole(1), "a whole number >= 1 (of scheduler steps)")
        elif epochs is not None and steps_per_epoch is not None:
            _check(name, "epochs", epochs, _whole(1), "a whole number >= 1")
            _check(name, "steps_per_epoch", steps_per_epoch, _whole(1), "a whole number >= 1 (len(loader))")
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(f"{name}: give total_steps, or epochs and steps_per_epoch (total_steps = epochs * "
                             "steps_per_epoch): the number of scheduler.step() calls, one per batch")
        _check(name, "pct_start", pct_start, lambda v: 0 <= v <= 1, "in [0, 1] (the fraction of the steps warming up)")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{name}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        _check(name, "div_factor", div_factor, lambda v: v > 0, "a number > 0 (initial_lr = max_lr / div_factor)")
        _check(name, "final_div_factor", final_div_factor, lambda v: v > 0,
               "a number > 0 (min_lr = initial_lr / final_div_factor)")
        max_lrs = _per_group(name, "max_lr", max_lr, optimizer, lambda v: v >= 0, "a number >= 0")
        up = float(pct_start * total_steps) - 1  # where the warm-up ends (PyTorch's arithmetic)
        if three_phase:
            phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                      (float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                      (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                      (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        self._schedule_phases = [dict(zip(("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum"), p))
                                 for p in phases]
        # a phase of no steps that a step falls in divides by zero (PyTorch's ZeroDivisionError, at the first step or
        # the last): the warm-up when it ends at step 0, the last phase when it ends where the one before does
        if up == 0 or phases[-1][0] == phases[-2][0]:
            which = "the warm-up" if up == 0 else "the last phase"
            raise ValueError(f"{name}: pct_start={pct_start!r} with total_steps={total_steps} leaves {which} no "
                             "steps (a division by zero); choose another pct_start")
        if cycle_momentum:
            defaults = getattr(optimizer, "defaults", {})
            if "momentum" not in defaults and "betas" not in defaults:
                raise ValueError(f"{name}: cycle_momentum=True cycles the optimizer's momentum (SGD, RMSprop) or "
                                 f"betas[0] (Adam), but {type(optimizer).__name__} has neither; pass "
                                 "cycle_momentum=False")
            below_1 = (lambda v: 0 <= v < 1, "a number in [0, 1)")
            max_momentums = _per_group(name, "max_momentum", max_momentum, optimizer, *below_1)
            base_momentums = _per_group(name, "base_momentum", base_momentum, optimizer, *below_1)
            self.use_beta1 = "betas" in defaults
        self.total_steps, self._anneal_func_type, self.cycle_momentum = total_steps, anneal_strategy, cycle_momentum
        if last_epoch == -1:  # (resuming, the optimizer's loaded state_dict holds them)
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
            if cycle_momentum:
                for group, top, low in zip(optimizer.param_groups, max_momentums, base_momentums):
                    self._set_momentum(group, top)
                    group["max_momentum"], group["base_momentum"] = top, low
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group, momentum):
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def _anneal(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        """The rates of step `last_epoch`; the momentum of each group is set on the way, as PyTorch's."""
        lrs, step = [], self.last_epoch
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step <= end_step or i == len(self._schedule_phases) - 1:
                    pct = (step - start_step) / (end_step - start_step)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[phase["start_momentum"]],
                                                               group[phase["end_momentum"]], pct))
                    break
                start_step = phase["end_step"]
        return lrs

    def step(self, epoch=None):
        """Advance one batch; past total_steps, an error (nothing is changed)."""
        if epoch is None and self.last_epoch + 1 > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {self.last_epoch + 1} times, but the cycle has total_steps="
                             f"{self.total_steps} (PyTorch raises too): step() once per batch, and make the "
                             "schedule with the number of batches the training runs, epochs * len(loader)")
        super().step(epoch)
