"""The GAN loop (minigan.gan): exact V, exact minimax loss, every weight trains,
double backprop in the penalties, NaN handling, determinism and exact resume.

Every test that computes takes the `device` fixture (tests/conftest.py): models,
real batches and noise live on that device; inputs are drawn on the host with
NumPy and then moved, so every device sees the same numbers."""

import json
import re
import signal

import numpy as np
import pytest

import minigan
from minigan import backend, gan, nn
from minigan.data import ArrayDataset, DataLoader, TensorDataset
from minigan.experiments import toy
from minigan.models import dcgan


def small_pair(z_dim=4, hidden=8, dtype="float64", device="cpu"):
    G = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, 2)).to(device, dtype=dtype)
    D = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 1)).to(device, dtype=dtype)
    return G, D


def host_randn(rng, *shape, dtype="float64", device="cpu"):
    """N(0, 1) numbers drawn on the host, then put on `device` (the same numbers on every device)."""
    return minigan.tensor(rng.standard_normal(shape), dtype=dtype, device=device)


def numpy_mlp(model, x):
    """The same ReLU MLP in plain NumPy (weights read from the model)."""
    layers = [m for m in model if isinstance(m, nn.Linear)]
    for i, layer in enumerate(layers):
        x = x @ layer.weight.numpy().T + layer.bias.numpy()
        if i < len(layers) - 1:
            x = np.maximum(x, 0)
    return x


def make_trainer(device, loss="nonsaturating", r1=0.0, m=16, dtype="float64", lr=1e-2, scale=1.0, seed=0):
    G, D = small_pair(dtype=dtype, device=device)
    real = host_randn(np.random.default_rng(seed), m, 2, dtype=dtype, device=device) * scale
    assert real.device == device and all(p.device == device for p in list(G.parameters()) + list(D.parameters()))
    trainer = gan.GANTrainer(G, D, minigan.optim.Adam(G.parameters(), lr=lr), minigan.optim.Adam(D.parameters(), lr=lr),
                             real_batches=lambda: real, z_dim=4, loss=loss, r1=r1)
    return trainer, real


def test_logged_value_function_is_exact(device, rng):
    trainer, real = make_trainer(device)
    z = host_randn(rng, 16, 4, device=device)
    fake = numpy_mlp(trainer.G, z.numpy())
    lr_, lf = numpy_mlp(trainer.D, real.numpy()), numpy_mlp(trainer.D, fake)  # before D's update
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    expected = np.mean(np.log(sig(lr_))) + np.mean(np.log(1 - sig(lf)))
    log = trainer.discriminator_step(real, z=z)
    assert log["V"] == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert log["loss_d"] == pytest.approx(-expected, rel=1e-12)  # D ascends V = descends -V
    assert log["D_real"] == pytest.approx(sig(lr_).mean(), rel=1e-12)
    assert log["D_fake"] == pytest.approx(sig(lf).mean(), rel=1e-12)


def test_value_function_is_stable_for_extreme_logits(device):
    logits = minigan.tensor([-200.0, -30.0, 0.0, 30.0, 200.0], dtype="float64", device=device)
    # log D = -log(1 + e^-l) and log(1 - D) = -log(1 + e^l), with logaddexp as the reference
    assert np.allclose(gan.log_d(logits).numpy(), -np.logaddexp(0, -logits.numpy()))
    assert np.allclose(gan.log_one_minus_d(logits).numpy(), -np.logaddexp(0, logits.numpy()))
    assert np.isfinite(gan.value_function(logits, logits).item())


def test_minimax_generator_loss_is_log_one_minus_d(device, rng):
    trainer, real = make_trainer(device, loss="minimax")
    z = host_randn(rng, 16, 4, device=device)
    lf = numpy_mlp(trainer.D, numpy_mlp(trainer.G, z.numpy()))
    expected = np.mean(np.log(1 - 1 / (1 + np.exp(-lf))))  # E_z[log(1 - D(G(z)))], which G descends
    log = trainer.generator_step(16, real, z=z)
    assert log["loss_g"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("loss,r1", [(name, 0.0) for name in gan.LOSSES] + [("nonsaturating", 1.0)])
def test_every_parameter_gets_a_gradient_and_moves(device, loss, r1):
    # hinge: spread the real points so some logits leave the margin |l| < 1 (inside it the
    # output bias's gradient is exactly 1 - 1 = 0)
    trainer, _ = make_trainer(device, loss=loss, r1=r1, scale=30.0 if loss == "hinge" else 1.0)
    before = {f"{name}.{k}": p.numpy().copy() for name, model in (("G", trainer.G), ("D", trainer.D))
              for k, p in model.named_parameters()}
    log = trainer.train_step()
    for name, model in (("G", trainer.G), ("D", trainer.D)):
        for k, p in model.named_parameters():
            if loss == "wgan-gp" and name == "D" and k == "2.bias":
                continue  # the critic's output bias cancels in E[D(G(z))] - E[D(x)]: its gradient is 0 by design
            assert p.grad is not None and np.abs(p.grad.numpy()).max() > 0, f"{name}.{k} got no gradient ({loss})"
            assert p.grad.shape == p.shape
            assert p.device == device and p.grad.device == device, f"{name}.{k} left the device ({loss})"
            assert not np.array_equal(p.numpy(), before[f"{name}.{k}"]), f"{name}.{k} did not move ({loss})"
    assert log["grad_norm_g"] > 0 and log["grad_norm_d"] > 0
    assert set(log) >= {"V", "D_real", "D_fake", "loss_d", "loss_g", "grad_norm_d", "grad_norm_g", "step"}
    assert all(type(v) in (float, int) and np.isfinite(v) for v in log.values())  # plain host numbers


def test_conditional_dcgan_trains_on_loader_batches(device, rng):
    # the whole pipeline on one device: DataLoader batches (images, labels), a conditional DCGAN, R1 through
    # its convolutions and batch norm, Adam; labels reach one_hot on the device
    images = rng.uniform(-1, 1, (8, 1, 28, 28)).astype(np.float32)
    loader = DataLoader(ArrayDataset(images, np.arange(8) % 10), batch_size=4, shuffle=True, seed=0, device=device)
    batches = iter(loader)
    seen = []

    def real_batches():
        batch = next(batches)
        seen.append(batch)
        return batch

    G, D = dcgan(conditional=True, device=device)
    opt_g = minigan.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = minigan.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    trainer = gan.GANTrainer(G, D, opt_g, opt_d, real_batches=real_batches, z_dim=100, k=2, r1=1.0)
    models = (("G", G), ("D", D))
    before = {f"{name}.{k}": p.numpy().copy() for name, model in models for k, p in model.named_parameters()}
    log = trainer.train_step()
    assert len(seen) == 2  # k = 2: one epoch of the loader
    for real, labels in seen:
        assert real.device == device and labels.device == device
        assert real.shape == (4, 1, 28, 28) and real.dtype == np.float32 and labels.dtype == np.int64
    seen_labels = np.concatenate([labels.numpy() for _, labels in seen])
    np.testing.assert_array_equal(np.sort(seen_labels), np.sort(np.arange(8) % 10))
    for name, model in models:
        for k, p in model.named_parameters():
            assert p.device == device and p.grad is not None and p.grad.device == device, f"{name}.{k}"
            assert not np.array_equal(p.numpy(), before[f"{name}.{k}"]), f"{name}.{k} did not move"
        assert all(b.device == device for b in model.buffers())
    assert all(np.isfinite(v) for v in log.values()) and log["grad_norm_d"] > 0 and log["grad_norm_g"] > 0


def _torch_mlp(model, torch):
    layers = [m for m in model if isinstance(m, nn.Linear)]
    seq = []
    for i, layer in enumerate(layers):
        lin = torch.nn.Linear(layer.in_features, layer.out_features).double()
        lin.weight.data = torch.tensor(layer.weight.numpy())
        lin.bias.data = torch.tensor(layer.bias.numpy())
        seq += [lin] + ([torch.nn.ReLU()] if i < len(layers) - 1 else [])
    return torch.nn.Sequential(*seq)


def _grads(penalty, D):
    """d penalty / d params; a first-layer bias only enters through ReLU's mask (derivative 0): None -> 0."""
    params = list(D.parameters())
    grads = minigan.grad(penalty, params, allow_unused=True)
    return [np.zeros(p.shape) if g is None else g.numpy() for p, g in zip(params, grads)]


def test_gradient_penalty_reaches_discriminator_weights_like_torch(device, rng):
    torch = pytest.importorskip("torch")
    _, D = small_pair(device=device)
    real, fake = host_randn(rng, 16, 2, device=device), host_randn(rng, 16, 2, device=device)
    eps = minigan.tensor(rng.random((16, 1)), dtype="float64", device=device)
    penalty = gan.gradient_penalty(D, real, fake, eps=eps)
    grads = _grads(penalty, D)  # double backprop: through grad_x D
    tD = _torch_mlp(D, torch)
    x_hat = (torch.tensor(eps.numpy()) * torch.tensor(real.numpy())
             + (1 - torch.tensor(eps.numpy())) * torch.tensor(fake.numpy())).requires_grad_()
    (g,) = torch.autograd.grad(tD(x_hat).sum(), x_hat, create_graph=True)
    t_penalty = ((g.norm(dim=1) - 1) ** 2).mean()
    t_grads = torch.autograd.grad(t_penalty, list(tD.parameters()), allow_unused=True, materialize_grads=True)
    assert penalty.item() == pytest.approx(t_penalty.item(), rel=1e-9)
    for mine, theirs in zip(grads, t_grads):
        assert np.allclose(mine, theirs.numpy(), rtol=1e-7, atol=1e-10)
    assert np.abs(grads[0]).max() > 0 and np.abs(grads[2]).max() > 0  # W1 and W2 of D get the penalty's gradient


def test_r1_and_gradient_penalties_differentiate_through_ds_input_gradient(device, rng):
    # float64 central differences for the penalties' gradients w.r.t. D's weights (double backprop through
    # grad_x D), without torch; tanh, not ReLU, so that the second derivatives are not zero
    D = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).to(device, dtype="float64")
    real, fake = host_randn(rng, 6, 2, device=device), host_randn(rng, 6, 2, device=device)
    eps = minigan.tensor(rng.random((6, 1)), dtype="float64", device=device)
    params = list(D.parameters())

    def r1(*_):
        with minigan.enable_grad():  # (gradcheck evaluates under no_grad; the penalty needs a graph of grad_x D)
            return gan.r1_penalty(D, real)[0]

    def wgan_gp(*_):
        with minigan.enable_grad():
            return gan.gradient_penalty(D, real, fake, eps=eps)

    assert minigan.gradcheck(r1, params) and minigan.gradcheck(wgan_gp, params)


def test_r1_penalty_matches_torch(device, rng):
    torch = pytest.importorskip("torch")
    _, D = small_pair(device=device)
    real = host_randn(rng, 16, 2, device=device)
    penalty, _ = gan.r1_penalty(D, real)
    grads = _grads(penalty, D)
    tD = _torch_mlp(D, torch)
    x = torch.tensor(real.numpy()).requires_grad_()
    (g,) = torch.autograd.grad(tD(x).sum(), x, create_graph=True)
    t_penalty = (g**2).sum(dim=1).mean()
    t_grads = torch.autograd.grad(t_penalty, list(tD.parameters()), allow_unused=True, materialize_grads=True)
    assert penalty.item() == pytest.approx(t_penalty.item(), rel=1e-9)
    for mine, theirs in zip(grads, t_grads):
        assert np.allclose(mine, theirs.numpy(), rtol=1e-7, atol=1e-10)


def test_nan_loss_stops_naming_the_step_and_keeps_last_good_checkpoint(device, tmp_path):
    trainer, _ = make_trainer(device)
    path = tmp_path / "ckpt.npz"

    def poison(tr, log):
        if tr.step == 3:  # break D after step 3: step 4's loss is NaN
            next(tr.D.parameters()).data[...] = np.nan

    with pytest.raises(gan.TrainingDiverged, match="step 4"):
        trainer.train(10, callback=poison, checkpoint=path, checkpoint_every=2)
    assert trainer.step == 3  # step 4 was refused before any update
    saved = minigan.load(path)
    assert saved["step"] == 2
    assert all(np.isfinite(v).all() for v in saved["D"].values())
    assert all(np.isfinite(v).all() for v in saved["G"].values())


def test_a_generator_step_that_diverges_leaves_g_alone_and_says_ds_step_of_the_iteration_stands(device):
    trainer, _ = make_trainer(device)
    trainer.train(2)
    G0 = {k: v.numpy().copy() for k, v in trainer.G.state_dict().items()}
    D0 = {k: v.numpy().copy() for k, v in trainer.D.state_dict().items()}
    d_step = trainer.discriminator_step

    def d_step_then_break_g_loss(batch, z=None):  # D's step runs as usual; then G's loss becomes inf
        log = d_step(batch, z)
        trainer.loss = "minimax"  # log(1 - D(G(z))) with D's logits pushed to +inf below
        last = list(trainer.D.parameters())[-1]  # the output bias
        last.data[...] = np.inf
        return log

    trainer.discriminator_step = d_step_then_break_g_loss
    with pytest.raises(gan.TrainingDiverged, match=r"at step 3: the generator loss is .*D's, when G's failed\) stand"):
        trainer.train_step()
    assert trainer.step == 2
    assert all(np.array_equal(v.numpy(), G0[k]) for k, v in trainer.G.state_dict().items())  # G's update skipped
    weights = {k: v.numpy() for k, v in trainer.D.state_dict().items()}
    assert any(not np.array_equal(weights[k], D0[k]) for k in D0 if k != list(D0)[-1])  # D's step of step 3 stands


def _tiny(**extra):
    return dict(toy.DEFAULTS, hidden=16, z_dim=4, batch_size=32, steps=6, eval_every=2, **extra)


def _run_logs(config, steps):
    trainer, _ = toy.make_trainer(config)
    return [trainer.train_step() for _ in range(steps)], trainer


def test_toy_networks_work_at_the_grids_size_and_samples_stay_in_data_units():
    from minigan.experiments.toy import Rescale, build_models, make_trainer, network_units

    ring = _tiny(dataset="ring")
    units = network_units(ring)
    assert units == pytest.approx(4.0, rel=1e-3)  # ring size 1, grid size 4
    assert network_units(_tiny(dataset="grid")) == pytest.approx(1.0, rel=1e-3)
    assert network_units(_tiny(dataset="ring", rms_radius=0.0)) == 1.0
    minigan.manual_seed(0)
    G, D = build_models(ring)
    assert isinstance(G[1], Rescale) and isinstance(D[0], Rescale)
    x = minigan.randn(5, 2)
    with minigan.no_grad():
        assert np.allclose(D(x).numpy(), D[1](x * units).numpy(), rtol=1e-6)
        z = minigan.randn(5, ring["z_dim"])
        assert np.allclose(G(z).numpy(), G[0](z).numpy() / units, rtol=1e-6)
    plain_G, plain_D = build_models(_tiny(dataset="ring", rms_radius=0.0))
    assert not any(isinstance(m, Rescale) for m in list(plain_G.modules()) + list(plain_D.modules()))
    trainer, _ = make_trainer(ring)  # R1's weight is given in network units
    assert trainer.r1 == pytest.approx(ring["r1"] / units**2)


def test_a_toy_checkpoint_from_before_rescaling_still_loads(tmp_path):
    settings = dict(hidden=16, z_dim=4, batch_size=32, eval_every=2, checkpoint_every=2)
    toy.run(tmp_path, steps=4, stop_after=2, progress=False, pictures=False, rms_radius=0.0, **settings)
    path = tmp_path / "checkpoint.npz"
    state = minigan.load(path)
    del state["config"]["rms_radius"]  # what an older minigan wrote
    minigan.save(state, path)
    G, config, _ = toy.load_generator(path)
    assert config["rms_radius"] == 0.0
    assert toy.sample_checkpoint(path, n=10).shape == (10, 2)
    toy.run(tmp_path, resume=True, progress=False, pictures=False)
    assert minigan.load(path)["step"] == 4


def test_same_seed_gives_identical_logs(device):
    a, trainer = _run_logs(_tiny(seed=3, device=device), 4)
    b, _ = _run_logs(_tiny(seed=3, device=device), 4)
    c, _ = _run_logs(_tiny(seed=4, device=device), 4)
    assert all(p.device == device for p in trainer.G.parameters())
    assert a == b
    assert a != c


def assert_same_tree(a, b, where="rng"):
    """Nested dicts/lists of plain values and (host) arrays are exactly equal; arrays compared as arrays."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{where}: keys {sorted(a)} != {sorted(b)}"
        for key in a:
            assert_same_tree(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_tree(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), where
        assert a.dtype == b.dtype and np.array_equal(a, b), f"{where} differs"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _toy_trainer_that(monkeypatch, at_step, action):
    """Make toy.run's trainer call action(trainer) inside its D step once `at_step` iterations are done."""
    make = toy.make_trainer

    def make_with_hook(config):
        trainer, data = make(config)
        d_step = trainer.discriminator_step

        def hooked(batch, z=None):
            if trainer.step == at_step:
                action(trainer)
            return d_step(batch, z)

        trainer.discriminator_step = hooked
        return trainer, data

    monkeypatch.setattr(toy, "make_trainer", make_with_hook)


def test_ctrl_c_in_the_middle_of_a_toy_iteration_stops_after_it_and_resume_is_exact(tmp_path, monkeypatch):
    settings = dict(hidden=16, z_dim=4, batch_size=32, eval_every=2, checkpoint_every=2, log_every=1)
    toy.run(tmp_path / "full", steps=6, progress=False, pictures=False, **settings)
    # Ctrl-C arrives during iteration 4, after its real batch was drawn and before D's update
    _toy_trainer_that(monkeypatch, 3, lambda trainer: signal.raise_signal(signal.SIGINT))
    with pytest.raises(KeyboardInterrupt):
        toy.run(tmp_path / "half", steps=6, progress=False, pictures=False, **settings)
    assert minigan.load(tmp_path / "half" / "checkpoint.npz")["step"] == 4  # iteration 4 was finished first
    monkeypatch.undo()
    toy.run(tmp_path / "half", resume=True, progress=False, pictures=False)
    assert_same_tree(minigan.load(tmp_path / "full" / "checkpoint.npz"), minigan.load(tmp_path / "half" / "checkpoint.npz"),
                     where="checkpoint")


def test_ctrl_c_in_the_last_toy_iteration_lets_the_run_finish(tmp_path, monkeypatch):
    settings = dict(hidden=16, z_dim=4, batch_size=32, eval_every=2, checkpoint_every=2, frames=2)
    _toy_trainer_that(monkeypatch, 5, lambda trainer: signal.raise_signal(signal.SIGINT))  # during iteration 6 of 6
    summary = toy.run(tmp_path, steps=6, progress=False, **settings)
    assert summary["steps"] == 6 and "stopped" not in summary and minigan.load(tmp_path / "checkpoint.npz")["step"] == 6
    for name in ("summary.json", "training.gif", "samples.png"):
        assert (tmp_path / name).exists(), name


def _press_ctrl_c_twice(trainer):  # the second press raises at once, in the middle of an iteration
    signal.raise_signal(signal.SIGINT)
    signal.raise_signal(signal.SIGINT)
    for _ in range(1000):  # let the handler run
        pass


def test_a_second_ctrl_c_in_the_middle_of_a_toy_iteration_keeps_the_last_checkpoint_as_it_was(tmp_path, monkeypatch):
    settings = dict(hidden=16, z_dim=4, batch_size=32, eval_every=2, checkpoint_every=2, log_every=1)
    _toy_trainer_that(monkeypatch, 3, _press_ctrl_c_twice)  # here in the middle of iteration 4
    with pytest.raises(KeyboardInterrupt):
        toy.run(tmp_path / "run", steps=6, progress=False, pictures=False, **settings)
    assert minigan.load(tmp_path / "run" / "checkpoint.npz")["step"] == 2  # the last one written, not half of step 4


def test_a_toy_run_that_diverges_names_its_last_good_checkpoint(tmp_path, monkeypatch):
    def poison(trainer):
        next(trainer.D.parameters()).data[...] = np.nan

    _toy_trainer_that(monkeypatch, 3, poison)
    settings = dict(hidden=16, z_dim=4, batch_size=32, eval_every=2, checkpoint_every=2)
    path = tmp_path / "checkpoint.npz"
    with pytest.raises(gan.TrainingDiverged, match=rf"at step 4: .* In this run the last good checkpoint is {re.escape(str(path))} \(step 2\)"):
        toy.run(tmp_path, steps=6, progress=False, pictures=False, **settings)
    assert minigan.load(path)["step"] == 2
    _toy_trainer_that(monkeypatch, 0, poison)
    with pytest.raises(gan.TrainingDiverged, match="at step 1: .* no checkpoint had been written yet"):
        toy.run(tmp_path / "early", steps=6, progress=False, pictures=False, **settings)


def test_resume_is_bit_identical(device, tmp_path):
    settings = dict(hidden=16, z_dim=4, batch_size=32, eval_every=2, checkpoint_every=2, log_every=1, device=device)
    toy.run(tmp_path / "full", steps=6, progress=False, pictures=False, **settings)
    toy.run(tmp_path / "half", steps=6, stop_after=3, progress=False, pictures=False, **settings)
    assert minigan.load(tmp_path / "half" / "checkpoint.npz")["step"] == 3
    toy.run(tmp_path / "half", resume=True, progress=False, pictures=False)
    full, resumed = minigan.load(tmp_path / "full" / "checkpoint.npz"), minigan.load(tmp_path / "half" / "checkpoint.npz")
    assert full["step"] == resumed["step"] == 6
    assert full["config"]["device"] == resumed["config"]["device"] == device
    for part in ("G", "D", "G_ema"):
        for key in full[part]:
            assert np.array_equal(full[part][key], resumed[part][key]), f"{part}.{key} differs after resume"
    for part in ("opt_g", "opt_d"):
        for index, st in full[part]["state"].items():
            for key in ("exp_avg", "exp_avg_sq"):
                assert np.array_equal(st[key], resumed[part]["state"][index][key])
    assert_same_tree(full["rng"], resumed["rng"])  # every device's generator state, arrays included
    lines = (tmp_path / "half" / "metrics.jsonl").read_text().splitlines()
    assert (tmp_path / "full" / "metrics.jsonl").read_text().splitlines() == lines


def test_trainer_rejects_bad_settings():
    G, D = small_pair()
    opt = minigan.optim.Adam(G.parameters())
    with pytest.raises(ValueError, match="unknown loss"):
        gan.GANTrainer(G, D, opt, opt, lambda: None, 4, loss="wasserstein")
    with pytest.raises(ValueError, match="k must be a whole number >= 1, got 0"):
        gan.GANTrainer(G, D, opt, opt, lambda: None, 4, k=0)
    opt_g, opt_d = minigan.optim.Adam(G.parameters()), minigan.optim.Adam(D.parameters())
    with pytest.raises(ValueError, match=r"opt_g holds \d+ parameters that are not G's.*swapped"):
        gan.GANTrainer(G, D, opt_d, opt_g, lambda: None, 4)
    for bad in ({"r1": -1}, {"r1": float("nan")}, {"gp": float("inf")}):
        with pytest.raises(ValueError, match="r1 and gp .* must be >= 0"):  # a NaN weight would turn R1 off silently
            gan.GANTrainer(G, D, opt_g, opt_d, lambda: None, 4, **bad)
    for bad in ({"k": 1.7}, {"g_steps": 0}, {"r1_every": "2"}):
        with pytest.raises(ValueError, match=rf"{next(iter(bad))} must be a whole number >= 1"):
            gan.GANTrainer(G, D, opt_g, opt_d, lambda: None, 4, **bad)
    with pytest.raises(ValueError, match=r"ema_decay must be in \[0, 1\)"):
        gan.GANTrainer(G, D, opt_g, opt_d, lambda: None, 4, G_ema=small_pair()[0], ema_decay=1.0)
    loader = DataLoader(ArrayDataset(np.zeros((8, 2), np.float32), np.zeros(8, np.int64)), 4)
    with pytest.raises(TypeError, match=r"real_batches must be a function .* got a DataLoader.*lambda: next\(batches\)"):
        gan.GANTrainer(G, D, opt_g, opt_d, loader, 4)


def test_trainer_wants_one_logit_per_sample():
    G, _ = small_pair(dtype="float32")
    D = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))  # two outputs: not a discriminator
    trainer = gan.GANTrainer(G, D, minigan.optim.Adam(G.parameters()), minigan.optim.Adam(D.parameters()),
                             lambda: minigan.randn(16, 2), 4)
    with pytest.raises(ValueError, match=r"D must give one logit per sample, shape \(16, 1\), got \(16, 2\)"):
        trainer.train_step()


def test_weight_average_follows_the_generator(device, rng):
    G, D = small_pair(device=device)
    G_ema = small_pair(device=device)[0]
    real = host_randn(rng, 16, 2, device=device)
    trainer = gan.GANTrainer(G, D, minigan.optim.Adam(G.parameters(), lr=0.1), minigan.optim.Adam(D.parameters()),
                             real_batches=lambda: real, z_dim=4, G_ema=G_ema, ema_decay=0.9)
    start = [p.numpy().copy() for p in G.parameters()]
    assert all(np.array_equal(a.numpy(), b) for a, b in zip(G_ema.parameters(), start))  # starts at G
    trainer.train_step()  # step 0 of the warm-up: beta = min(0.9, (1 + 0) / (10 + 0)) = 0.1, mostly the new G
    for avg, p, p0 in zip(G_ema.parameters(), G.parameters(), start):
        assert np.allclose(avg.numpy(), 0.1 * p0 + 0.9 * p.numpy(), rtol=0, atol=1e-15)
    start = [p.numpy().copy() for p in G_ema.parameters()]
    trainer.step = 1000  # past the warm-up, beta = min(0.9, 1001 / 1010) = 0.9
    trainer.train_step()
    for avg, p, p0 in zip(G_ema.parameters(), G.parameters(), start):
        assert avg.device == device
        assert np.allclose(avg.numpy(), 0.9 * p0 + 0.1 * p.numpy(), rtol=0, atol=1e-15)
    assert trainer.G_sample is G_ema  # samples come from the average when there is one
    plain = gan.GANTrainer(G, D, trainer.opt_g, trainer.opt_d, real_batches=lambda: real, z_dim=4)
    assert plain.G_sample is G


def test_grad_norm_is_the_norm_of_all_gradients_together(device):
    from minigan.gan import grad_norm

    rng = np.random.default_rng(3)
    params = [minigan.tensor(rng.standard_normal(s), dtype="float32", device=device, requires_grad=True)
              for s in ((3, 4), (5,), (2, 1, 3))]
    grads = [rng.standard_normal(p.shape).astype(np.float32) for p in params]
    for p, g in zip(params, grads):
        p.grad = minigan.tensor(g, device=device)
    params.append(minigan.tensor(np.zeros(2, np.float32), device=device, requires_grad=True))  # no grad: counts 0
    norm = grad_norm(params)
    assert backend.device_of(norm) == device and norm.dtype == np.float32
    expected = np.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads))
    np.testing.assert_allclose(float(backend.to_numpy(norm)), expected, rtol=1e-6)
    assert float(backend.to_numpy(grad_norm(params[-1:]))) == 0.0


def test_lazy_r1_applies_the_penalty_every_r1_every_iterations_with_that_weight(device, rng):
    # r1_every=3: in iteration 0 (and 3, 6, ...) D's step is that of R1 weight 3*gamma; otherwise of no R1
    lazy, real = make_trainer(device, r1=0.5)
    lazy.r1_every = 3
    z = host_randn(rng, 16, 4, device=device)

    def d_grads_and_log(trainer, step):
        trainer.step = step
        log = trainer.discriminator_step(real, z=z)
        return [p.grad.numpy().copy() for p in trainer.D.parameters()], log["loss_d"]

    for step, twin_r1 in [(0, 1.5), (1, 0.0), (2, 0.0), (3, 1.5)]:
        twin, _ = make_trainer(device, r1=twin_r1)
        twin.G.load_state_dict(lazy.G.state_dict())
        twin.D.load_state_dict(lazy.D.state_dict())  # the same D as the lazy one has now
        twin.opt_d.load_state_dict(lazy.opt_d.state_dict())
        expected, expected_loss = d_grads_and_log(twin, step)
        got, loss = d_grads_and_log(lazy, step)
        assert loss == pytest.approx(expected_loss, rel=1e-12)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="r1_every"):
        gan.GANTrainer(lazy.G, lazy.D, lazy.opt_g, lazy.opt_d, real_batches=lambda: real, z_dim=4, r1=1.0, r1_every=0)


def test_g_steps_gives_g_that_many_steps_on_fresh_noise_per_iteration(device):
    # g_steps=2 is one D step, then exactly what two generator_step calls do (same seed, same draws)
    two, real = make_trainer(device)
    two.g_steps = 2
    twin, _ = make_trainer(device)
    twin.G.load_state_dict(two.G.state_dict())
    twin.D.load_state_dict(two.D.state_dict())
    minigan.manual_seed(5)
    two.train_step()
    minigan.manual_seed(5)
    twin.discriminator_step(real)
    twin.generator_step(real.shape[0], real)
    twin.generator_step(real.shape[0], real)
    for a, b in zip(list(two.G.parameters()) + list(two.D.parameters()),
                    list(twin.G.parameters()) + list(twin.D.parameters())):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert two.step == 1 and two.opt_g.state[two.G[0].weight]["step"] == 2
    with pytest.raises(ValueError, match="g_steps"):
        gan.GANTrainer(two.G, two.D, two.opt_g, two.opt_d, real_batches=lambda: real, z_dim=4, g_steps=0)


def test_a_nan_gradient_with_a_finite_loss_never_reaches_the_weights(device):
    trainer, _ = make_trainer(device)
    before = [p.numpy().copy() for p in trainer.D.parameters()]

    class NaNGrad(minigan.autograd.Function):  # the identity, with a NaN gradient (sqrt(relu(h)) at 0 does this)
        def forward(self, x):
            return x

        def backward(self, gy):
            return gy * float("nan")

    class Poisoned(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return NaNGrad()(self.inner(x))

    D = trainer.D
    trainer.D = Poisoned(D)  # the same weights (opt_d holds them), a NaN gradient behind them
    with pytest.raises(gan.TrainingDiverged, match="the discriminator's gradient norm is nan"):
        trainer.train_step()
    assert all(np.array_equal(p.numpy(), b) for p, b in zip(D.parameters(), before))


def test_a_frozen_weight_of_d_stays_frozen_after_the_generator_step(device):
    trainer, _ = make_trainer(device)
    frozen = trainer.D[0].weight
    frozen.requires_grad_(False)  # a fixed feature layer
    value = frozen.numpy().copy()
    for _ in range(3):
        trainer.train_step()
    assert not frozen.requires_grad and np.array_equal(frozen.numpy(), value)
    assert all(p.requires_grad for p in trainer.D.parameters() if p is not frozen)


def test_loading_a_checkpoint_that_does_not_fit_changes_nothing(device, tmp_path):
    trainer, _ = make_trainer(device)
    trainer.train_step()
    state = trainer.state_dict()
    other, _ = make_trainer(device, loss="hinge", seed=1)
    before = [p.numpy().copy() for p in other.G.parameters()]
    with pytest.raises(ValueError, match="trained with loss='nonsaturating', this trainer uses loss='hinge'"):
        other.load_state_dict(state)
    with_ema, _ = make_trainer(device)
    with_ema.G_ema = small_pair(device=device)[0]
    with pytest.raises(ValueError, match="the checkpoint has no weight average G_ema but this trainer has"):
        with_ema.load_state_dict(state)
    with pytest.raises(ValueError, match="the checkpoint lacks opt_d, rng"):
        other.load_state_dict({k: v for k, v in state.items() if k not in ("opt_d", "rng")})
    assert all(np.array_equal(p.numpy(), b) for p, b in zip(other.G.parameters(), before))


def test_log_d_is_exact_beyond_softplus_threshold_and_sample_follows_gs_dtype(device):
    torch = pytest.importorskip("torch")
    logits = np.array([-40.0, -25.0, -21.0, 21.0, 25.0, 40.0])
    ours = minigan.tensor(logits, dtype="float64", device=device)
    np.testing.assert_allclose(gan.log_d(ours).numpy(), torch.nn.functional.logsigmoid(torch.tensor(logits)).numpy(),
                               rtol=1e-15, atol=0)
    np.testing.assert_allclose(gan.log_one_minus_d(ours).numpy(),
                               torch.nn.functional.logsigmoid(-torch.tensor(logits)).numpy(), rtol=1e-15, atol=0)
    G, _ = small_pair(dtype="float64", device=device)
    assert gan.sample(G, 5, 4, device=device).dtype == np.float64  # the noise in G's dtype
    with pytest.raises(ValueError, match="sample: n must be a whole number >= 1, got 0"):
        gan.sample(G, 0, 4, device=device)


def test_a_checkpoint_that_does_not_fit_is_checked_whole_before_anything_changes(device, tmp_path):
    trainer, _ = make_trainer(device)
    trainer.train_step()
    state = trainer.state_dict()

    def snapshot(tr):  # everything the trainer holds, as host arrays (through a file)
        minigan.save({k: v for k, v in tr.state_dict().items() if k != "rng"}, tmp_path / "snapshot.npz")
        return minigan.load(tmp_path / "snapshot.npz")

    other, _ = make_trainer(device, seed=1)
    other.train_step()  # optimizer state of its own, to see it kept
    wide = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1)).to(device, dtype="float64")  # D of another size
    cases = [
        (dict(D=wide.state_dict()), r"checkpoint\['D'\]: Sequential.load_state_dict: .* mis-shaped keys"),
        (dict(opt_g=minigan.optim.SGD(other.G.parameters(), lr=0.1).state_dict()),
         r"checkpoint\['opt_g'\]: Adam.load_state_dict: the state has settings"),
        (dict(opt_d={"state": {}}), r"checkpoint\['opt_d'\]: .*'param_groups'"),  # (no param_groups)
        (dict(rng={"seed": 0}), r"checkpoint\['rng'\]: not a random generator state"),
    ]
    for change, message in cases:  # G, and each part before the broken one, would have loaded fine
        before, rng = snapshot(other), backend.get_rng_state()
        with pytest.raises(ValueError, match=message):
            other.load_state_dict({**state, **change})
        assert_same_tree(snapshot(other), before, where="trainer")
        assert_same_tree(backend.get_rng_state(), rng)
    with pytest.raises(TypeError, match=r"expected the dict that state_dict\(\) returns, got a str; .*load_checkpoint"):
        other.load_state_dict("ckpt.npz")
    other.load_state_dict(state)  # the whole checkpoint loads
    minigan.save(state, tmp_path / "a.npz")
    minigan.save(other.state_dict(), tmp_path / "b.npz")
    assert_same_tree(minigan.load(tmp_path / "a.npz"), minigan.load(tmp_path / "b.npz"), where="state")


def test_the_trainers_hyperparameters_are_saved_and_a_trainer_built_with_others_is_refused(device):
    trainer, _ = make_trainer(device, r1=0.5)
    trainer.train_step()
    state = trainer.state_dict()
    assert state["hyperparameters"] == {"z_dim": 4, "k": 1, "g_steps": 1, "r1": 0.5, "r1_every": 1, "gp": 10.0,
                                        "ema_decay": 0.999}
    G, D = small_pair(device=device)
    other = gan.GANTrainer(G, D, minigan.optim.Adam(G.parameters(), lr=1e-2), minigan.optim.Adam(D.parameters(), lr=1e-2),
                           real_batches=None, z_dim=4, r1=1.0, k=2, r1_every=4)
    before = [p.numpy().copy() for p in G.parameters()]
    with pytest.raises(ValueError, match=r"trained with k=1 \(this trainer: 2\), r1=0.5 \(this trainer: 1.0\), "
                                         r"r1_every=1 \(this trainer: 4\); build the trainer with the checkpoint's"):
        other.load_state_dict(state)
    assert all(np.array_equal(p.numpy(), b) for p, b in zip(G.parameters(), before))
    del state["hyperparameters"]  # a checkpoint from before they were saved still loads
    other.load_state_dict(state)
    assert other.step == 1


def test_a_dataloader_and_a_scheduler_saved_through_checkpoint_info_resume_exactly(tmp_path):
    """What the state_dict docstring says to do; the loader's (x,) batches from TensorDataset(x) feed the trainer as x."""
    points = minigan.tensor(np.random.default_rng(0).standard_normal((12, 2)), dtype="float64")

    def build():
        minigan.manual_seed(0)
        G, D = small_pair()
        opt_g, opt_d = minigan.optim.Adam(G.parameters(), lr=1e-2), minigan.optim.Adam(D.parameters(), lr=1e-2)
        loader = DataLoader(TensorDataset(points), 4, shuffle=True, seed=0)  # 3 batches per epoch
        sched = minigan.optim.lr_scheduler.StepLR(opt_g, step_size=2, gamma=0.5)

        def stream():
            while True:
                yield from loader

        batches = stream()
        trainer = gan.GANTrainer(G, D, opt_g, opt_d, real_batches=lambda: next(batches), z_dim=4)

        def callback(tr, log):
            sched.step()
            tr.checkpoint_info.update(loader=loader.state_dict(), sched=sched.state_dict())

        return trainer, loader, sched, callback

    trainer, _, _, callback = build()
    trainer.train(7, callback=callback, checkpoint=tmp_path / "straight.npz")
    for stop in (3, 4):  # at the end of an epoch, and inside one
        trainer, _, _, callback = build()
        trainer.train(stop, callback=callback, checkpoint=tmp_path / "split.npz")
        trainer, loader, sched, callback = build()
        state = trainer.load_checkpoint(tmp_path / "split.npz")
        loader.load_state_dict(state["loader"])
        sched.load_state_dict(state["sched"])
        trainer.train(7, callback=callback, checkpoint=tmp_path / "split.npz")
        assert_same_tree(minigan.load(tmp_path / "straight.npz"), minigan.load(tmp_path / "split.npz"), where="checkpoint")


def test_batches_of_the_wrong_structure_are_named(device):
    G, D = small_pair(device=device)
    x = minigan.randn(16, 2, dtype="float64", device=device)

    def trainer_of(batch):
        return gan.GANTrainer(G, D, minigan.optim.Adam(G.parameters()), minigan.optim.Adam(D.parameters()),
                              real_batches=lambda: batch, z_dim=4)

    assert trainer_of((x,)).train_step()["step"] == 1  # DataLoader(TensorDataset(x)) gives (x,)
    with pytest.raises(TypeError, match=r"returned \(x, labels\), so G and D are called as G\(z, labels\) .* but G "
                                        r"\(Sequential\) takes one input; for an unconditional GAN return x only"):
        trainer_of((x, minigan.zeros(16, dtype="int64", device=device))).train_step()
    for batch, what in [(None, "a NoneType"), ([0.5] * 16, "a list of length 16"), ({"x": x}, r"a dict with keys \['x'\]"),
                        ((x, x, x), "a tuple of length 3")]:
        with pytest.raises(TypeError, match=rf"real_batches\(\) must return a Tensor x or a pair \(x, labels\) of "
                                            rf"Tensors, got {what}; "):
            trainer_of(batch).train_step()


def test_trainer_and_sample_name_arguments_of_the_wrong_kind():
    G, D = small_pair()
    opt_g, opt_d = minigan.optim.Adam(G.parameters()), minigan.optim.Adam(D.parameters())
    with pytest.raises(TypeError, match="GANTrainer: G must be an nn.Module .*, got NoneType"):
        gan.GANTrainer(None, D, opt_g, opt_d, None, 4)
    with pytest.raises(TypeError, match=r"GANTrainer: opt_g must be an optimizer of G's parameters, e.g. "
                                        r"optim.Adam\(G.parameters\(\)\), got NoneType"):
        gan.GANTrainer(G, D, None, opt_d, None, 4)
    with pytest.raises(TypeError, match="GANTrainer: r1 must be a number, got 'a'"):
        gan.GANTrainer(G, D, opt_g, opt_d, None, 4, r1="a")
    with pytest.raises(TypeError, match="GANTrainer: ema_decay must be a number, got None"):
        gan.GANTrainer(G, D, opt_g, opt_d, None, 4, ema_decay=None)
    with pytest.raises(ValueError, match="sample: batch_size must be a whole number >= 1, got 0"):
        gan.sample(G, 5, 4, batch_size=0)
    with pytest.raises(TypeError, match="sample: G must be an nn.Module"):
        gan.sample(None, 5, 4)
    with pytest.raises(TypeError, match=r"sample: labels were given, but G \(Sequential\) takes one input"):
        gan.sample(G, 5, 4, labels=minigan.zeros(5, dtype="int64"))
    G_cond, _ = dcgan(conditional=True)
    with pytest.raises(ValueError, match="sample: labels must hold one label per sample, 5, got 2"):
        gan.sample(G_cond, 5, 100, labels=minigan.zeros(2, dtype="int64"))
    assert gan.sample(G_cond.eval(), 3, 100, labels=minigan.tensor([1, 2, 3])).shape == (3, 1, 28, 28)


# ---------------------------------------------------------------------------------------------------------------
# From mutation testing: each test below fails on a plausible slip in minigan/gan.py that the tests above let
# through. The expected numbers come from the papers' formulas in NumPy, and gradients from float64 central
# differences of those NumPy functions, never from minigan itself.

def _log_sigmoid(v):
    return -np.logaddexp(0.0, -v)  # log sigmoid(v), stable


def _mlp_params(model):
    """[W1, b1, W2, b2] of a one-hidden-layer ReLU MLP (small_pair's), as float64 copies."""
    return [p.numpy().astype(np.float64).copy() for p in model.parameters()]


def _np_logits(params, x):
    W1, b1, W2, b2 = params
    return (np.maximum(x @ W1.T + b1, 0.0) @ W2.T + b2)[:, 0]


def _np_input_grad(params, x):
    """grad_x l(x) of l(x) = W2 relu(W1 x + b1) + b2, by hand: W1^T (W2 * 1[W1 x + b1 > 0]), one row per sample."""
    W1, b1, W2, _ = params
    return ((x @ W1.T + b1 > 0) * W2[0]) @ W1


def _np_generator(params, z):
    W1, b1, W2, b2 = params
    return np.maximum(z @ W1.T + b1, 0.0) @ W2.T + b2


def _central_differences(f, params, h=1e-6):
    """d f / d each entry of each array in params (float64 central differences)."""
    grads = []
    for p in params:
        g = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            keep = p[i]
            p[i] = keep + h
            up = f(params)
            p[i] = keep - h
            down = f(params)
            p[i] = keep
            g[i] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def _np_losses(loss, r, f):
    """(D's loss, G's loss) of each loss on real logits r and fake logits f, from the papers."""
    v = np.mean(_log_sigmoid(r)) + np.mean(_log_sigmoid(-f))  # V(D, G), log(1 - sigmoid(f)) = log sigmoid(-f)
    return {
        "minimax": (-v, np.mean(_log_sigmoid(-f))),  # Goodfellow et al.: G descends E log(1 - D(G(z)))
        "nonsaturating": (-v, -np.mean(_log_sigmoid(f))),  # G ascends E log D(G(z))
        "lsgan": (0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean(f**2), 0.5 * np.mean((f - 1) ** 2)),  # Mao et al., a=0 b=c=1
        "hinge": (np.mean(np.maximum(0, 1 - r)) + np.mean(np.maximum(0, 1 + f)), -np.mean(f)),  # Lim & Ye; Miyato et al.
        "wgan-gp": (np.mean(f) - np.mean(r), -np.mean(f)),  # Gulrajani et al., before the penalty
    }[loss]


@pytest.mark.parametrize("loss", gan.LOSSES)
def test_each_loss_is_its_papers_formula_and_the_trainer_descends_it(device, loss, rng):
    # logits of both signs, some inside the hinge's margin |l| < 1 and some outside it
    r, f = 2.0 * rng.standard_normal(16), 2.0 * rng.standard_normal(16)
    want_d, want_g = _np_losses(loss, r, f)
    real_logits = minigan.tensor(r[:, None], dtype="float64", device=device)
    fake_logits = minigan.tensor(f[:, None], dtype="float64", device=device)
    assert gan.discriminator_loss(loss, real_logits, fake_logits).item() == pytest.approx(want_d, rel=1e-12, abs=1e-15)
    assert gan.generator_loss(loss, fake_logits).item() == pytest.approx(want_g, rel=1e-12, abs=1e-15)
    # the trainer's D step and G step use them (gp = 0: the critic's loss alone)
    trainer, real = make_trainer(device, loss=loss, scale=3.0)
    trainer.gp = 0.0
    z = host_randn(rng, 16, 4, device=device)
    fake = numpy_mlp(trainer.G, z.numpy())
    want_d, _ = _np_losses(loss, numpy_mlp(trainer.D, real.numpy())[:, 0], numpy_mlp(trainer.D, fake)[:, 0])
    assert trainer.discriminator_step(real, z=z)["loss_d"] == pytest.approx(want_d, rel=1e-12, abs=1e-15)
    _, want_g = _np_losses(loss, np.zeros(1), numpy_mlp(trainer.D, numpy_mlp(trainer.G, z.numpy()))[:, 0])
    assert trainer.generator_step(16, real, z=z)["loss_g"] == pytest.approx(want_g, rel=1e-12, abs=1e-15)


def test_r1_is_gamma_over_2_times_the_real_datas_input_gradient_and_v_is_logged_without_it(device, rng):
    # D's loss with R1 = -V + (gamma / 2) E_x ||grad_x l(x)||^2 on REAL x; the input gradient of the ReLU MLP by hand;
    # the logged V is the value function alone, and D's gradient is that of the whole loss (central differences).
    # Two steps in a row: the second gradient must not carry the first (zero_grad).
    gamma = 0.7
    trainer, real = make_trainer(device, r1=gamma)
    x = real.numpy()
    for _ in range(2):
        z = host_randn(rng, 16, 4, device=device)
        fake = numpy_mlp(trainer.G, z.numpy())
        params = _mlp_params(trainer.D)

        def value(ps):
            return np.mean(_log_sigmoid(_np_logits(ps, x))) + np.mean(_log_sigmoid(-_np_logits(ps, fake)))

        def loss_d(ps):
            return -value(ps) + gamma / 2 * np.mean((_np_input_grad(ps, x) ** 2).sum(axis=1))

        log = trainer.discriminator_step(real, z=z)
        assert log["V"] == pytest.approx(value(params), rel=1e-12)
        assert log["loss_d"] == pytest.approx(loss_d(params), rel=1e-12)
        assert loss_d(params) - (-value(params)) > 1e-3  # (the penalty is not negligible here)
        for p, want in zip(trainer.D.parameters(), _central_differences(loss_d, params)):
            np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-6, atol=1e-8)


def test_the_wgan_gp_penalty_is_weighted_lambda(device, rng):
    # the critic's loss = E D(G(z)) - E D(x) + lambda E (||grad D(x_hat)|| - 1)^2, x_hat = eps x + (1 - eps) G(z);
    # eps is the first U(0, 1) draw after the noise, so the same seed draws it again here
    lam = 3.0
    trainer, real = make_trainer(device, loss="wgan-gp")
    trainer.gp = lam
    z = host_randn(rng, 16, 4, device=device)
    x, fake = real.numpy(), numpy_mlp(trainer.G, z.numpy())
    params = _mlp_params(trainer.D)
    minigan.manual_seed(11)
    log = trainer.discriminator_step(real, z=z)
    minigan.manual_seed(11)
    eps = minigan.rand(16, 1, dtype="float64", device=device).numpy()
    x_hat = eps * x + (1 - eps) * fake
    norm = np.sqrt((_np_input_grad(params, x_hat) ** 2).sum(axis=1) + 1e-12)
    critic = np.mean(_np_logits(params, fake)) - np.mean(_np_logits(params, x))
    penalty = np.mean((norm - 1) ** 2)
    assert penalty > 1e-3
    assert log["loss_d"] == pytest.approx(critic + lam * penalty, rel=1e-10)


def test_ds_step_leaves_g_alone_and_gs_step_leaves_d_alone_and_gs_gradient_is_fresh(device, rng):
    # D's step: no gradient reaches G (G is fixed: no graph through G). G's step: D's gradients stay as D's step
    # left them (D is fixed), and G's gradient is that of this step only (zero_grad), by central differences.
    trainer, real = make_trainer(device)
    z = host_randn(rng, 16, 4, device=device)
    trainer.discriminator_step(real, z=z)
    for p in trainer.G.parameters():
        assert p.grad is None or not np.abs(p.grad.numpy()).any(), "D's step put a gradient into G"
    d_grads = [p.grad.numpy().copy() for p in trainer.D.parameters()]
    d_params = _mlp_params(trainer.D)
    for _ in range(2):
        g_params = _mlp_params(trainer.G)

        def loss_g(ps):  # non-saturating: -E log D(G(z))
            return -np.mean(_log_sigmoid(_np_logits(d_params, _np_generator(ps, z.numpy()))))

        log = trainer.generator_step(16, real, z=z)
        assert log["loss_g"] == pytest.approx(loss_g(g_params), rel=1e-12)
        for p, want in zip(trainer.G.parameters(), _central_differences(loss_g, g_params)):
            np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-6, atol=1e-8)
        for p, before in zip(trainer.D.parameters(), d_grads):
            np.testing.assert_array_equal(p.grad.numpy(), before)  # G's step added nothing to D's gradients
        assert all(np.array_equal(a, b) for a, b in zip(_mlp_params(trainer.D), d_params))  # nor moved D


def test_ds_fakes_come_from_g_itself_not_from_its_weight_average(device, rng):
    G, D = small_pair(device=device)
    G_ema = small_pair(device=device)[0]
    real = host_randn(rng, 16, 2, device=device)
    trainer = gan.GANTrainer(G, D, minigan.optim.Adam(G.parameters()), minigan.optim.Adam(D.parameters()),
                             real_batches=lambda: real, z_dim=4, G_ema=G_ema)
    for p in G_ema.parameters():  # an average that lags behind G
        p.data *= 0.5
    z = host_randn(rng, 16, 4, device=device)
    lr_, lf = numpy_mlp(D, real.numpy()), numpy_mlp(D, numpy_mlp(G, z.numpy()))
    assert not np.allclose(lf, numpy_mlp(D, numpy_mlp(G_ema, z.numpy())))
    log = trainer.discriminator_step(real, z=z)
    assert log["V"] == pytest.approx(np.mean(_log_sigmoid(lr_)) + np.mean(_log_sigmoid(-lf)), rel=1e-12)


def test_the_weight_average_copies_gs_batch_norm_statistics(device, rng):
    G = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2)).to(device, dtype="float64")
    G_ema = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2)).to(device, dtype="float64")
    _, D = small_pair(device=device)
    real = host_randn(rng, 16, 2, device=device)
    trainer = gan.GANTrainer(G, D, minigan.optim.Adam(G.parameters()), minigan.optim.Adam(D.parameters()),
                             real_batches=lambda: real, z_dim=4, G_ema=G_ema)
    start = [b.numpy().copy() for b in G.buffers()]
    for _ in range(2):
        trainer.train_step()
    assert any(not np.array_equal(b.numpy(), s) for b, s in zip(G.buffers(), start))  # G's running stats moved
    for avg, b in zip(G_ema.buffers(), G.buffers()):
        np.testing.assert_array_equal(avg.numpy(), b.numpy())


def test_a_toy_run_resumed_from_an_older_checkpoint_logs_each_step_once(tmp_path, monkeypatch):
    # a second Ctrl-C in iteration 4 leaves the checkpoint of step 2 and a log that already holds step 3:
    # resuming drops what came after the checkpoint, so the log is that of a run never stopped
    settings = dict(hidden=16, z_dim=4, batch_size=32, eval_every=2, checkpoint_every=2, log_every=1)
    toy.run(tmp_path / "full", steps=6, progress=False, pictures=False, **settings)
    _toy_trainer_that(monkeypatch, 3, _press_ctrl_c_twice)
    with pytest.raises(KeyboardInterrupt):
        toy.run(tmp_path / "run", steps=6, progress=False, pictures=False, **settings)
    logged = [json.loads(line)["step"] for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert minigan.load(tmp_path / "run" / "checkpoint.npz")["step"] == 2 and max(logged) == 3  # (the case above)
    monkeypatch.undo()
    toy.run(tmp_path / "run", resume=True, progress=False, pictures=False)
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines if "eval" not in line] == [1, 2, 3, 4, 5, 6]
    assert lines == (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()


def test_the_toy_learning_rate_is_constant_then_falls_linearly_to_zero(tmp_path):
    config = dict(toy.DEFAULTS, lr=0.5, steps=100, lr_decay_start=0.6)
    # constant up to step 60, then a straight line from 0.5 at step 60 to 0 at step 100
    for step, want in [(0, 0.5), (30, 0.5), (60, 0.5), (70, 0.375), (80, 0.25), (100, 0.0)]:
        assert toy.learning_rate(config, step) == pytest.approx(want, abs=1e-12), step
    assert toy.learning_rate(dict(config, lr_decay_start=1.0), 99) == 0.5  # 1: no decay
    # the run sets it on both optimizers after every iteration: at its end, the rate of step 4 of 4 is 0
    toy.run(tmp_path, steps=4, lr=0.01, lr_decay_start=0.5, hidden=16, z_dim=4, batch_size=32, eval_every=2,
            progress=False, pictures=False)
    saved = minigan.load(tmp_path / "checkpoint.npz")
    assert [g["lr"] for part in ("opt_g", "opt_d") for g in saved[part]["param_groups"]] == [0.0, 0.0]
