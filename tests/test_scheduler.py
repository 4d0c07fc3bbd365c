"""Learning-rate schedulers where tests/test_optim.py does not look: a schedule made after another one,
settings at the edge of what is allowed, and the errors for what is not."""

import numpy as np
import pytest

import minigan as mg
from minigan.optim import lr_scheduler
from test_optim import SCHEDULES  # the settings test_optim compares with PyTorch's


def _sgd(lib, lr=0.1):
    return lib.optim.SGD([{"params": [lib.zeros(3, requires_grad=True)]},
                          {"params": [lib.zeros(2, requires_grad=True)], "lr": 0.03}], lr=lr)


def _rates(opt, sched, steps):
    """The rates of `steps` more epochs, read from the optimizer."""
    seen = []
    for _ in range(steps):
        opt.step()
        sched.step()
        seen.append([g["lr"] for g in opt.param_groups])
    return seen


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_a_schedule_made_after_another_keeps_the_first_initial_lr_as_pytorch(name):
    def run(lib):
        opt = _sgd(lib)
        _rates(opt, lib.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5), 3)  # the rates are now 1/8
        second = getattr(lib.optim.lr_scheduler, name)(opt, **SCHEDULES[name])
        return second.base_lrs, second.get_last_lr(), _rates(opt, second, 12)

    ours = run(mg)
    # by hand: base_lrs are the rates the first schedule started from (its 'initial_lr'), not the current ones
    assert ours[0] == [0.1, 0.03]
    torch = pytest.importorskip("torch")
    assert ours == run(torch)


def test_zero_is_a_rate_factor_as_in_pytorch():
    opt = _sgd(mg)
    rates = _rates(opt, lr_scheduler.StepLR(opt, step_size=2, gamma=0.0), 3)
    assert rates == [[0.1, 0.03], [0.0, 0.0], [0.0, 0.0]]  # epoch 2 on: lr * 0
    opt = _sgd(mg)
    sched = lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=4)
    rates = _rates(opt, sched, 5)
    np.testing.assert_allclose(rates, [[0.1 * (1 - t / 4), 0.03 * (1 - t / 4)] for t in (1, 2, 3, 4, 4)], atol=1e-15)
    torch = pytest.importorskip("torch")
    topt = _sgd(torch)
    assert rates == _rates(topt, torch.optim.lr_scheduler.LinearLR(topt, 1.0, 0.0, 4), 5)


def test_settings_that_make_no_schedule_are_named():
    opt = _sgd(mg)
    with pytest.raises(ValueError, match=r"ExponentialLR: gamma must be a number >= 0, got -0.5"):
        lr_scheduler.ExponentialLR(opt, gamma=-0.5)  # (the rate would change sign every epoch)
    with pytest.raises(ValueError, match=r"CosineAnnealingLR: T_max must be a number > 0 .*, got 0"):
        lr_scheduler.CosineAnnealingLR(opt, T_max=0)  # (a division by zero at the first step)
    with pytest.raises(ValueError, match=r"StepLR: step_size must be a whole number >= 1, got 1.5"):
        lr_scheduler.StepLR(opt, step_size=1.5)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.03]  # nothing was changed on the way


def test_an_optimizers_state_given_to_a_scheduler_is_named():
    opt = _sgd(mg)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    with pytest.raises(TypeError, match=r"StepLR.load_state_dict expects what scheduler.state_dict\(\) returns .*got "
                                        r"a dict with keys state, param_groups. An optimizer's state_dict goes to "
                                        r"optimizer.load_state_dict"):
        sched.load_state_dict(opt.state_dict())
    assert sched.last_epoch == 0 and sched.step_size == 2  # the scheduler was left as it was


def test_a_schedule_resumed_with_last_epoch_starts_from_initial_lr():
    opt = _sgd(mg)
    for group in opt.param_groups:  # what loading an optimizer saved by a scheduled run leaves
        group["initial_lr"], group["lr"] = group["lr"], group["lr"] * 0.5 ** 2
    sched = lr_scheduler.LambdaLR(opt, lambda epoch: 0.5**epoch, last_epoch=1)  # LambdaLR: base_lr * f(epoch)
    assert sched.base_lrs == [0.1, 0.03]
    np.testing.assert_allclose(sched.get_last_lr(), [0.1 * 0.25, 0.03 * 0.25], rtol=1e-15)  # epoch 2
    np.testing.assert_allclose(_rates(opt, sched, 1), [[0.1 / 8, 0.03 / 8]], rtol=1e-15)


def test_a_scheduler_subclass_without_get_lr_says_what_to_write():
    # (the base stub raised a NotImplementedError without a word)
    class Mine(lr_scheduler.LRScheduler):
        pass

    opt = mg.optim.SGD([mg.tensor([1.0], requires_grad=True)], lr=0.1)
    with pytest.raises(NotImplementedError, match=r"Mine has no get_lr: .*get_lr\(self\).*self\.base_lrs"):
        Mine(opt)
