"""Learning-rate schedulers where tests/test_optim.py does not look: a schedule made after another one,
settings at the edge of what is allowed, and the errors for what is not; and the schedulers it does not cover
(ReduceLROnPlateau, OneCycleLR, SequentialLR, CosineAnnealingWarmRestarts): PyTorch's rates step by step,
rates by hand, resuming from a state_dict, and the errors for bad settings."""

import math

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


# ---------------------------------------- ReduceLROnPlateau, OneCycleLR, SequentialLR, CosineAnnealingWarmRestarts
def _adam(lib, lr=0.1):
    return lib.optim.Adam([{"params": [lib.zeros(3, requires_grad=True)]},
                           {"params": [lib.zeros(2, requires_grad=True)], "lr": 0.03}], lr=lr)


# a metric sequence (one per epoch) for the plateau settings below; by hand, with patience=1, cooldown=2,
# threshold=0.1 (rel), factor=0.5, min_lr=[0.02, 0.001]:
PLATEAU_METRICS = [1.0, 0.95, 0.95,  # 0.95 is not 10% below 1.0: two bad epochs, more than patience: halved
                   0.97, 0.98,  # bad, but in the cooldown: they do not count (without it: halved at the 5th)
                   0.99, 0.99,  # two bad epochs after the cooldown: halved
                   0.5, 0.6, 0.6, 0.6,  # a new best, then the cooldown, then two bad: halved, group 0 held at 0.02
                   0.6, 0.6, 0.6, 0.6]  # once more: group 0 stays at its min_lr, group 1 is halved
PLATEAU_RATES = [[0.1, 0.03]] * 2 + [[0.05, 0.015]] * 4 + [[0.025, 0.0075]] * 4 + [[0.02, 0.00375]] * 4 + [
    [0.02, 0.001875]]


def _plateau(lib, opt):
    return lib.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=2, threshold=0.1,
                                                    min_lr=[0.02, 0.001])


def _plateau_max_abs(lib, opt):  # min_lr one number for all groups; a change of eps (0.008) or less is skipped
    return lib.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=0, threshold=0.05,
                                                    threshold_mode="abs", min_lr=0.02, eps=0.008)


def _one_cycle(lib, opt):
    return lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=[0.5, 0.2], total_steps=20)


def _one_cycle_linear_three_phase(lib, opt):
    return lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, epochs=4, steps_per_epoch=5, pct_start=0.25,
                                             anneal_strategy="linear", three_phase=True, div_factor=10.0,
                                             final_div_factor=100.0, base_momentum=[0.8, 0.85], max_momentum=0.9)


def _warmup_then_cosine(lib, opt):
    sched = lib.optim.lr_scheduler
    return sched.SequentialLR(opt, [sched.LinearLR(opt, start_factor=0.1, total_iters=4),
                                    sched.CosineAnnealingLR(opt, T_max=6, eta_min=1e-5)], milestones=[4])


def _three_in_a_row(lib, opt):
    sched = lib.optim.lr_scheduler
    return sched.SequentialLR(opt, [sched.ExponentialLR(opt, gamma=0.9), sched.StepLR(opt, step_size=2, gamma=0.5),
                                    sched.MultiStepLR(opt, milestones=[1, 3], gamma=0.3)], milestones=[3, 7])


def _lambda_then_restarts(lib, opt):
    sched = lib.optim.lr_scheduler
    return sched.SequentialLR(opt, [sched.LambdaLR(opt, lambda epoch: (epoch + 1) / 3),
                                    sched.CosineAnnealingWarmRestarts(opt, T_0=3)], milestones=[3])


def _restarts(lib, opt):
    return lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=1e-4)


# name: (make the scheduler, the optimizer, the number of steps, the metrics of ReduceLROnPlateau's steps)
NEW = {
    "plateau": (_plateau, _sgd, len(PLATEAU_METRICS), PLATEAU_METRICS),
    "plateau_max_abs": (_plateau_max_abs, _sgd, 9, [1.0, 1.04, 1.2, 1.1, 1.22, 1.3, 1.3, 1.3, 1.3]),
    "one_cycle_sgd": (_one_cycle, _sgd, 20, None),  # 20: the last step allowed
    "one_cycle_adam_linear_three_phase": (_one_cycle_linear_three_phase, _adam, 20, None),
    "warmup_then_cosine": (_warmup_then_cosine, _sgd, 25, None),
    "three_in_a_row": (_three_in_a_row, _sgd, 15, None),
    "lambda_then_restarts": (_lambda_then_restarts, _sgd, 15, None),
    "restarts": (_restarts, _sgd, 30, None),
}


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def _run(lib, make, make_opt, steps, metrics, done=0, sched=None, opt=None):
    """[rates, momenta, get_last_lr()] after each step from `done` steps to `steps`, and on construction when
    the scheduler is made here (sched=None)."""
    seen = []
    if sched is None:
        opt = make_opt(lib)
        sched = make(lib, opt)
        seen.append([[g["lr"] for g in opt.param_groups], _momenta(opt), sched.get_last_lr()])
    for t in range(done, steps):
        opt.step()
        sched.step(metrics[t]) if metrics else sched.step()
        seen.append([[g["lr"] for g in opt.param_groups], _momenta(opt), sched.get_last_lr()])
    return seen


@pytest.mark.parametrize("case", sorted(NEW))
def test_the_new_schedulers_give_pytorchs_rates_and_momenta_step_by_step(case):
    ours = _run(mg, *NEW[case])
    for rates, _, last in ours:
        assert last == rates
    torch = pytest.importorskip("torch")
    theirs = _run(torch, *NEW[case])
    for t, (mine, torchs) in enumerate(zip(ours, theirs)):
        assert mine == [torchs[0], [float(m) for m in torchs[1]], torchs[2]], f"{case}, epoch {t}"
    assert len(ours) == len(theirs)


def test_plateau_rates_by_hand():
    opt = _sgd(mg)
    sched = _plateau(mg, opt)
    rates = []
    for metric in PLATEAU_METRICS:
        opt.step()
        sched.step(mg.tensor(metric))  # a 0-d tensor, as a loss.item() would be a number
        rates.append(sched.get_last_lr())
    np.testing.assert_allclose(rates, PLATEAU_RATES, rtol=1e-15)
    # mode 'max', threshold_mode 'abs' (0.05): 1.04 is no improvement on 1.0, so with patience 0 the rates are
    # halved at once, group 1's to min_lr (0.02); 1.2 is one; 1.1 is not: halved; 1.22 is not either, but
    # 0.025 -> min_lr 0.02 would be a change of 0.005, eps or less: skipped
    rates = [r for r, _, _ in _run(mg, *NEW["plateau_max_abs"])]
    np.testing.assert_allclose(rates[:6], [[0.1, 0.03], [0.1, 0.03], [0.05, 0.02], [0.05, 0.02], [0.025, 0.02],
                                           [0.025, 0.02]], rtol=1e-15)
    assert rates[-1] == [0.025, 0.02]


def test_one_cycle_rates_and_momenta_by_hand():
    seen = _run(mg, *NEW["one_cycle_sgd"])
    rates, momenta = [r for r, _, _ in seen], [m for _, m, _ in seen]
    # 2 phases: up from max_lr / 25 at step 0 to max_lr at 0.3 * 20 - 1 = 5, then down to max_lr / 25 / 1e4 at 19
    np.testing.assert_allclose(rates[0], [0.5 / 25, 0.2 / 25], rtol=1e-12)
    np.testing.assert_allclose(rates[5], [0.5, 0.2], rtol=1e-12)
    np.testing.assert_allclose(rates[19], [0.5 / 25 / 1e4, 0.2 / 25 / 1e4], rtol=1e-9)
    cos_half_way = (0.02 - 0.5) / 2 * (math.cos(math.pi * 2 / 5) + 1) + 0.5  # step 2: 2/5 of the way up, by cosine
    np.testing.assert_allclose(rates[2][0], cos_half_way, rtol=1e-12)
    # SGD's momentum the other way: 0.95 -> 0.85 at the peak -> 0.95
    np.testing.assert_allclose([momenta[0], momenta[5], momenta[19]], [[0.95] * 2, [0.85] * 2, [0.95] * 2], rtol=1e-12)
    # linear, three phases (Adam's betas[0]): 0.05 -> 0.5 by step 0.25 * 20 - 1 = 4, back to 0.05 at step 8, then
    # down to 0.05 / 100 at 19
    seen = _run(mg, *NEW["one_cycle_adam_linear_three_phase"])
    rates, momenta = [r[0] for r, _, _ in seen], [m for _, m, _ in seen]
    np.testing.assert_allclose([rates[0], rates[2], rates[4], rates[6], rates[8], rates[19]],
                               [0.05, 0.05 + 0.45 / 2, 0.5, 0.5 - 0.45 / 2, 0.05, 0.0005], rtol=1e-12)
    np.testing.assert_allclose([momenta[0], momenta[4], momenta[8], momenta[19]],
                               [[0.9, 0.9], [0.8, 0.85], [0.9, 0.9], [0.9, 0.9]], rtol=1e-12)


def test_sequential_and_restarts_rates_by_hand():
    rates = [r for r, _, _ in _run(mg, *NEW["warmup_then_cosine"])]
    low = 1e-5  # LinearLR 0.1 -> 1 over 4 epochs, then the cosine starts again from the base rate at epoch 4
    want = [0.1 * (0.1 + 0.9 * t / 4) for t in range(4)] + [low + (0.1 - low) * (1 + math.cos(math.pi * t / 6)) / 2
                                                             for t in range(7)]
    np.testing.assert_allclose([r[0] for r in rates[:11]], want, rtol=1e-12)
    rates = [r[0] for r, _, _ in _run(mg, *NEW["three_in_a_row"])]
    # ExponentialLR(0.9) for epochs 0-2; StepLR(2, 0.5) from epoch 3; MultiStepLR([1, 3], 0.3) from epoch 7
    want = [0.1, 0.09, 0.081, 0.1, 0.1, 0.05, 0.05, 0.1, 0.03, 0.03, 0.009, 0.009]
    np.testing.assert_allclose(rates[:12], want, rtol=1e-12)
    # warm restarts: T_i = 3, 6, 12; restarts (lr = base_lr) at epochs 0, 3, 9, 21
    rates = [r[0] for r, _, _ in _run(mg, *NEW["restarts"])]
    low = 1e-4
    cycles = {0: (0, 3), 1: (1, 3), 3: (0, 6), 6: (3, 6), 9: (0, 12), 20: (11, 12), 21: (0, 24)}  # (T_cur, T_i)
    for epoch, (t_cur, t_i) in cycles.items():
        np.testing.assert_allclose(rates[epoch], low + (0.1 - low) * (1 + math.cos(math.pi * t_cur / t_i)) / 2,
                                   rtol=1e-12, err_msg=f"epoch {epoch}")


def test_warm_restarts_take_fractional_epochs_as_pytorch():
    def run(lib, t_mult):
        opt = _sgd(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=t_mult, eta_min=1e-4)
        seen = []
        for epoch in range(8):
            for i in range(4):  # after each of 4 batches
                opt.step()
                sched.step(epoch + i / 4)
                seen.append((sched.get_last_lr(), sched.last_epoch))
        sched.step()  # and on by one epoch from there
        return seen + [(sched.get_last_lr(), sched.last_epoch)]

    ours = {t_mult: run(mg, t_mult) for t_mult in (1, 2)}
    # by hand: epoch 1.5 is half-way down the first cosine (T_0 = 3); 4.5 is 1.5 into the second (T_i = 6 with T_mult 2)
    np.testing.assert_allclose(ours[1][6][0][0], 1e-4 + (0.1 - 1e-4) / 2, rtol=1e-12)
    assert ours[1][6][1] == 1  # last_epoch: the whole epochs
    np.testing.assert_allclose(ours[2][18][0][0], 1e-4 + (0.1 - 1e-4) * (1 + math.cos(math.pi * 1.5 / 6)) / 2,
                               rtol=1e-12)
    torch = pytest.importorskip("torch")
    assert ours == {t_mult: run(torch, t_mult) for t_mult in (1, 2)}


@pytest.mark.parametrize("case", sorted(NEW))
def test_the_new_schedulers_resume_from_a_saved_state_dict(case, tmp_path):
    make, make_opt, steps, metrics = NEW[case]
    opt = make_opt(mg)
    sched = make(mg, opt)
    # 6 steps: mid-way (ReduceLROnPlateau: after its cooldown, with one bad epoch counted; SequentialLR: in
    # its second schedule; OneCycleLR: going down; the restarts: in the second cycle)
    _run(mg, make, make_opt, 6, metrics, sched=sched, opt=opt)
    mg.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "ckpt.npz")
    expected = _run(mg, make, make_opt, steps, metrics, done=6, sched=sched, opt=opt)

    state = mg.load(tmp_path / "ckpt.npz")
    opt2 = make_opt(mg)
    sched2 = make(mg, opt2)  # made first, as PyTorch's docs prescribe; then the saved state replaces its own
    opt2.load_state_dict(state["opt"])
    sched2.load_state_dict(state["sched"])
    assert _run(mg, make, make_opt, steps, metrics, done=6, sched=sched2, opt=opt2) == expected
    assert len(expected) == steps - 6
    if case != "plateau_max_abs":  # (whose rates are at their floor, min_lr and eps, by then)
        fresh_opt = make_opt(mg)  # a fresh schedule would go on otherwise: the state matters
        fresh = make(mg, fresh_opt)
        fresh_opt.load_state_dict(state["opt"])
        assert _run(mg, make, make_opt, steps, metrics, done=6, sched=fresh, opt=fresh_opt) != expected


def test_bad_settings_of_the_new_schedulers_are_named():
    opt = _sgd(mg)
    sched = mg.optim.lr_scheduler
    bad = [
        (lambda: sched.ReduceLROnPlateau(opt, mode="minimum"), r"ReduceLROnPlateau: mode must be 'min' .*'max'"),
        (lambda: sched.ReduceLROnPlateau(opt, factor=1.0), r"ReduceLROnPlateau: factor must be in \[0, 1\)"),
        (lambda: sched.ReduceLROnPlateau(opt, patience=-1), r"patience must be a whole number >= 0 .*got -1"),
        (lambda: sched.ReduceLROnPlateau(opt, threshold_mode="relative"), r"threshold_mode must be 'rel'"),
        (lambda: sched.ReduceLROnPlateau(opt, threshold=1.5), r"threshold must be in \[0, 1\) with threshold_mode"),
        (lambda: sched.ReduceLROnPlateau(opt, min_lr=[0.1]), r"min_lr must be one number, or a list of one per "
                                                               r"parameter group \(2\), got a list of 1"),
        (lambda: sched.ReduceLROnPlateau(opt, min_lr=-0.1), r"min_lr must be a number >= 0"),
        (lambda: sched.OneCycleLR(opt, max_lr=0.5), r"OneCycleLR: give total_steps, or epochs and steps_per_epoch"),
        (lambda: sched.OneCycleLR(opt, 0.5, epochs=3), r"give total_steps, or epochs and steps_per_epoch"),
        (lambda: sched.OneCycleLR(opt, 0.5, total_steps=0), r"total_steps must be a whole number >= 1"),
        (lambda: sched.OneCycleLR(opt, 0.5, 10, pct_start=1.5), r"pct_start must be in \[0, 1\]"),
        (lambda: sched.OneCycleLR(opt, 0.5, 10, anneal_strategy="cosine"), r"anneal_strategy must be 'cos' or "),
        (lambda: sched.OneCycleLR(opt, [0.5, 0.1, 0.2], 10), r"max_lr must be one number, or a list of one per "),
        (lambda: sched.OneCycleLR(opt, 0.5, 10, div_factor=0), r"div_factor must be a number > 0"),
        (lambda: sched.OneCycleLR(opt, 0.5, 10, max_momentum=1.0), r"max_momentum must be a number in \[0, 1\)"),
        # PyTorch divides by zero: at the first step (warm-up ends at step 0.1 * 10 - 1 = 0), or at the last
        (lambda: sched.OneCycleLR(opt, 0.5, 10, pct_start=0.1), r"pct_start=0.1 with total_steps=10 leaves the "
                                                                  r"warm-up no steps \(a division by zero\)"),
        (lambda: sched.OneCycleLR(opt, 0.5, 10, pct_start=1.0), r"leaves the last phase no steps"),
        (lambda: sched.CosineAnnealingWarmRestarts(opt, T_0=0), r"CosineAnnealingWarmRestarts: T_0 must be a whole "
                                                                 r"number >= 1 .*got 0"),
        (lambda: sched.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=1.5), r"T_mult must be a whole number >= 1"),
        (lambda: sched.SequentialLR(opt, [], []), r"SequentialLR expects at least one scheduler"),
        (lambda: sched.SequentialLR(opt, sched.StepLR(opt, 2), []), r"schedulers must be a list of schedulers"),
        (lambda: sched.SequentialLR(opt, [sched.StepLR(opt, 2), sched.StepLR(opt, 3)], [2, 4]),
         r"expected 1 milestones \(one fewer than the 2 schedulers"),
        (lambda: sched.SequentialLR(opt, [sched.StepLR(opt, 2)] * 3, [5, 2]),
         r"milestones must be in increasing order"),
        (lambda: sched.SequentialLR(opt, [sched.StepLR(opt, 2), sched.ReduceLROnPlateau(opt)], [2]),
         r"schedulers\[1\] is a ReduceLROnPlateau, whose step needs the metric"),
        (lambda: sched.SequentialLR(opt, [sched.StepLR(_sgd(mg), 2)], []), r"schedulers\[0\] \(StepLR\) was made "
                                                                          r"for another optimizer"),
    ]
    def settings():  # ('initial_lr' comes from the schedulers made on the way to SequentialLR's errors)
        return [{k: v for k, v in g.items() if k != "initial_lr"} for g in opt.param_groups]

    before = settings()
    for make, message in bad:
        with pytest.raises((ValueError, TypeError), match=message):
            make()
        # nothing was changed on the way (OneCycleLR writes rates and momenta into the groups once all is checked)
        assert settings() == before, message
    with pytest.raises(ValueError, match=r"OneCycleLR: cycle_momentum=True cycles the optimizer's momentum .* but "
                                         r"Plain has neither; pass cycle_momentum=False"):
        class Plain(mg.optim.Optimizer):  # an optimizer without momentum
            pass

        sched.OneCycleLR(Plain([mg.zeros(2, requires_grad=True)], {"lr": 0.1}), 0.5, 10)
    with pytest.raises(ValueError, match=r"CosineAnnealingWarmRestarts.step: epoch must be a number >= 0"):
        sched.CosineAnnealingWarmRestarts(_sgd(mg), T_0=2).step(-1)


def test_one_cycle_past_its_last_step_is_an_error_as_in_pytorch():
    def run(lib):
        opt = _adam(lib)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, epochs=2, steps_per_epoch=3)
        for _ in range(6):  # 6 steps: up to step total_steps, the last allowed
            opt.step()
            sched.step()
        with pytest.raises(ValueError) as error:
            sched.step()
        return error, [g["lr"] for g in opt.param_groups]

    error, rates = run(mg)
    assert "OneCycleLR: tried to step 7 times, but the cycle has total_steps=6" in str(error.value)
    assert "epochs * len(loader)" in str(error.value)
    torch = pytest.importorskip("torch")
    torch_error, torch_rates = run(torch)
    assert "Tried to step 7 times" in str(torch_error.value)  # at the same step
    assert rates == torch_rates  # and the rates are left as they were


def test_plateau_and_sequential_say_what_their_step_and_get_lr_take():
    opt = _sgd(mg)
    plateau = mg.optim.lr_scheduler.ReduceLROnPlateau(opt)
    with pytest.raises(TypeError, match=r"ReduceLROnPlateau.step: metrics must be one number .*got list"):
        plateau.step([0.5, 0.4])  # (the losses of two models, say)
    with pytest.raises(TypeError, match=r"ReduceLROnPlateau.step\(metrics, epoch\): epoch is not supported"):
        plateau.step(0.5, 3)
    with pytest.raises(NotImplementedError, match=r"ReduceLROnPlateau has no get_lr: .*get_last_lr\(\)"):
        plateau.get_lr()
    assert plateau.last_epoch == 0 and plateau.get_last_lr() == [0.1, 0.03]
    with pytest.raises(TypeError, match=r"ReduceLROnPlateau.load_state_dict expects what scheduler.state_dict\(\) "
                                        r"returns \(with 'last_epoch' and 'best'\)"):
        plateau.load_state_dict(mg.optim.lr_scheduler.StepLR(opt, 2).state_dict())
    sched = mg.optim.lr_scheduler
    seq = sched.SequentialLR(opt, [sched.StepLR(opt, 2), sched.ExponentialLR(opt, 0.9)], [3])
    with pytest.raises(NotImplementedError, match=r"SequentialLR has no get_lr of its own"):
        seq.get_lr()
    with pytest.raises(ValueError, match=r"the state holds 1 schedulers, this SequentialLR has 2"):
        seq.load_state_dict(sched.SequentialLR(opt, [sched.StepLR(opt, 2)], []).state_dict())


def test_plateau_min_lr_as_one_number_covers_a_group_added_later_as_pytorch():
    def run(lib, min_lr):
        opt = _sgd(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=min_lr)
        sched.step(1.0)
        opt.add_param_group({"params": [lib.zeros(1, requires_grad=True)], "lr": 0.5})
        sched.step(2.0)
        return [g["lr"] for g in opt.param_groups]

    ours = run(mg, 0.04)
    # 0.1 * 0.1 held at min_lr; 0.03, below it already, is not raised; the new group's 0.5 * 0.1
    np.testing.assert_allclose(ours, [0.04, 0.03, 0.05], rtol=1e-15)
    with pytest.raises(RuntimeError, match=r"ReduceLROnPlateau: the optimizer has 3 parameter groups, min_lr was "
                                           r"given for 2: a group was added"):
        run(mg, [0.0, 0.0])
    torch = pytest.importorskip("torch")
    assert ours == run(torch, 0.04)


def test_one_cycle_resumes_from_the_optimizers_state_made_with_last_epoch():
    """The optimizer's saved groups hold OneCycleLR's max_lr, min_lr and momenta; a fresh optimizer loads them."""
    import minigan as mg
    from minigan.optim.lr_scheduler import OneCycleLR

    def run(steps):
        w = mg.nn.Parameter(mg.ones(2))
        opt = mg.optim.Adam([w], lr=1e-3)
        sched = OneCycleLR(opt, max_lr=0.1, total_steps=10)
        for _ in range(steps):
            opt.step()
            sched.step()
        return w, opt, sched

    _, opt, _ = run(3)
    w = mg.nn.Parameter(mg.ones(2))
    resumed_opt = mg.optim.Adam([w], lr=1e-3)
    resumed_opt.load_state_dict(opt.state_dict())  # (its groups have keys a fresh Adam's lack: allowed)
    resumed = OneCycleLR(resumed_opt, max_lr=0.1, total_steps=10, last_epoch=3)  # its construction is step 4
    _, _, straight = run(4)
    assert resumed.get_last_lr() == straight.get_last_lr()
    assert resumed_opt.param_groups[0]["betas"][0] == straight.optimizer.param_groups[0]["betas"][0]
