"""`minigan train mnist` on a tiny subset: exact resume, Ctrl-C, dry run, clear errors, sample and eval."""

import json
import math
import re
import signal

import numpy as np
import pytest

import minigan
from minigan import cli
from minigan.data import MNIST
from minigan.experiments.mnist import make_config, read_checkpoint, train_mnist
from minigan.models import dcgan
from minigan.serialization import CheckpointError

# 2 iterations per epoch; no GIF or loss plot (one test checks them)
TINY = dict(batch_size=8, subset=16, progress=False, log=lambda *a: None, pictures=False)


@pytest.fixture(scope="module")
def digits():
    return MNIST(train=False)  # smaller to load than the training set; the runs use 16 images of it


@pytest.fixture(scope="module")
def four_epochs(digits, tmp_path_factory):
    out = tmp_path_factory.mktemp("straight")
    train_mnist(epochs=4, out=out, dataset=digits, **TINY)
    return out


def _assert_same_state(a, b):
    for part in ("G", "D"):
        assert list(a[part]) == list(b[part])
        for key in a[part]:
            np.testing.assert_array_equal(a[part][key], b[part][key], err_msg=f"{part}.{key}")
    for part in ("opt_g", "opt_d"):
        for index, st in a[part]["state"].items():
            for key, value in st.items():
                np.testing.assert_array_equal(value, b[part]["state"][index][key], err_msg=f"{part}[{index}].{key}")
    rng_a, rng_b = dict(a["rng"]), dict(b["rng"])
    cuda_a, cuda_b = rng_a.pop("cuda", None), rng_b.pop("cuda", None)  # the GPU generator's state, an array
    assert rng_a == rng_b and a["loader"] == b["loader"]
    assert (cuda_a is None) == (cuda_b is None)
    if cuda_a is not None:
        np.testing.assert_array_equal(cuda_a, cuda_b, err_msg="CUDA generator state")
    np.testing.assert_array_equal(a["history"]["loss_g"], b["history"]["loss_g"])


class _DigitsWithAHook:
    """The digits, with hook(read, batch) called on every batch read (counted from 1); it returns the batch.

    `indices` records the index array of every batch read.
    """

    def __init__(self, data, hook=lambda read, batch: batch):
        self.data, self.hook, self.reads, self.indices = data, hook, 0, []

    def __len__(self):
        return len(self.data)

    def subset(self, n):
        self.data = self.data.subset(n)
        return self

    def __getitem__(self, index):
        self.reads += 1
        self.indices.append(np.asarray(index).tolist())
        return self.hook(self.reads, self.data[index])


def test_resume_after_two_epochs_is_bit_identical_to_four_in_one_go(device, digits, tmp_path):
    train_mnist(epochs=4, out=tmp_path / "straight", dataset=digits, device=device, **TINY)
    run = tmp_path / "run"
    train_mnist(epochs=2, out=run, dataset=digits, device=device, **TINY)
    assert read_checkpoint(run)["epoch"] == 2
    train_mnist(epochs=4, out=run, resume=run, dataset=digits, device=device, **dict(TINY, pictures=True))
    straight, resumed = read_checkpoint(tmp_path / "straight"), read_checkpoint(run)
    assert straight["epoch"] == resumed["epoch"] == 4 and straight["step"] == 8
    _assert_same_state(straight, resumed)
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3, 4]
    for name in ["samples_epoch_001.png", "samples_epoch_004.png", "samples.gif", "losses.png", "config.json"]:
        assert (run / name).exists(), name
    ran_on = json.loads((run / "config.json").read_text())["environment"]
    assert ran_on["device"] == device and ran_on["numpy"] == np.__version__ and "blas" in ran_on
    # the weights really moved away from their initial values
    minigan.manual_seed(0)
    G, D = dcgan()
    assert not np.array_equal(G.net[0].weight.numpy(), straight["G"]["net.0.weight"])
    assert not np.array_equal(D.net[2].weight.numpy(), straight["D"]["net.2.weight"])


def _ctrl_c_on_read(digits, n):
    """The digits, whose n-th batch read also sends SIGINT to this process (Ctrl-C during that iteration)."""

    def press_ctrl_c(read, batch):
        if read == n:
            signal.raise_signal(signal.SIGINT)
        return batch

    return _DigitsWithAHook(digits, press_ctrl_c)


def test_ctrl_c_saves_a_checkpoint_mid_epoch_and_resume_is_exact(device, digits, tmp_path):
    conditional = dict(TINY, conditional=True, device=device)
    train_mnist(epochs=2, out=tmp_path / "straight", dataset=digits, **conditional)

    interrupted = tmp_path / "interrupted"
    with pytest.raises(KeyboardInterrupt):  # the third batch read sends SIGINT: mid-epoch 2
        train_mnist(epochs=2, out=interrupted, dataset=_ctrl_c_on_read(digits, 3), **conditional)
    saved = read_checkpoint(interrupted)
    assert saved["step"] == 3 and saved["epoch"] == 1 and saved["loader"]["in_epoch"]
    train_mnist(epochs=2, out=interrupted, resume=interrupted, dataset=digits, **conditional)
    _assert_same_state(read_checkpoint(tmp_path / "straight"), read_checkpoint(interrupted))
    # the resumed epoch's log line averages all of that epoch's iterations, as the uninterrupted run's does
    lines = {name: [json.loads(line) for line in (tmp_path / name / "metrics.jsonl").read_text().splitlines()]
             for name in ("straight", "interrupted")}
    for key in ("loss_d", "loss_g", "D_real", "D_fake"):
        assert [line[key] for line in lines["interrupted"]] == [line[key] for line in lines["straight"]]


def test_ctrl_c_in_an_epochs_last_iteration_ends_the_epoch_first(digits, tmp_path):
    train_mnist(epochs=2, out=tmp_path / "straight", dataset=digits, **TINY)

    interrupted = tmp_path / "interrupted"
    with pytest.raises(KeyboardInterrupt):  # TINY has two batches per epoch: the second read is epoch 1's last
        train_mnist(epochs=2, out=interrupted, dataset=_ctrl_c_on_read(digits, 2), **TINY)
    saved = read_checkpoint(interrupted)
    assert saved["epoch"] == 1 and saved["step"] == 2 and not saved["loader"]["in_epoch"]  # a complete epoch
    first = json.loads((interrupted / "metrics.jsonl").read_text().splitlines()[0])
    assert first["epoch"] == 1 and first["loss_d"] is not None
    train_mnist(epochs=2, out=interrupted, resume=interrupted, dataset=digits, **TINY)
    _assert_same_state(read_checkpoint(tmp_path / "straight"), read_checkpoint(interrupted))


def test_a_second_ctrl_c_stops_at_once_and_the_handler_is_restored():
    from minigan.experiments.interrupt import CtrlC

    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with CtrlC() as ctrl_c:
            signal.raise_signal(signal.SIGINT)
            for _ in range(1000):  # let the handler run
                if ctrl_c.pressed:
                    break
            assert ctrl_c.pressed  # the first press only raises the flag
            signal.raise_signal(signal.SIGINT)  # the second stops at once
            for _ in range(1000):
                pass
    assert signal.getsignal(signal.SIGINT) is before


def test_resuming_with_zero_epochs_is_refused_and_a_finished_run_keeps_its_config(digits, tmp_path):
    run = tmp_path / "run"
    train_mnist(epochs=2, out=run, dataset=digits, **TINY)
    config = (run / "config.json").read_text()
    with pytest.raises(ValueError, match="epochs must be a whole number >= 1, got 0"):
        train_mnist(epochs=0, resume=run, dataset=digits, **TINY)
    train_mnist(epochs=1, resume=run, dataset=digits, **TINY)  # nothing to train
    assert (run / "config.json").read_text() == config and read_checkpoint(run)["epoch"] == 2


def _poisoned(digits, bad):
    """The digits, but from the `bad`-th batch read on every image is NaN (a loss becomes NaN)."""

    def poison(read, batch):
        images, labels = batch
        return (np.full_like(images, np.nan) if read >= bad else images), labels

    return _DigitsWithAHook(digits, poison)


def test_a_nan_loss_stops_the_run_naming_the_step_and_the_checkpoint_it_keeps(device, digits, tmp_path):
    good = tmp_path / "good"
    train_mnist(epochs=1, out=good, dataset=digits, device=device, **TINY)
    run = tmp_path / "run"
    with pytest.raises(minigan.gan.TrainingDiverged) as info:  # 2 batches per epoch: the 4th read is epoch 2's last
        train_mnist(epochs=3, out=run, dataset=_poisoned(digits, bad=4), device=device, **TINY)
    message = str(info.value)
    assert "training diverged at step 4: the discriminator loss is nan" in message
    assert f"the last good checkpoint is {run / 'checkpoint.npz'} (epoch 1, step 2)" in message
    kept = read_checkpoint(run)  # the state after epoch 1, the same as a run that stopped there
    assert kept["epoch"] == 1
    _assert_same_state(read_checkpoint(good), kept)
    with pytest.raises(minigan.gan.TrainingDiverged, match="no checkpoint had been written yet"):
        train_mnist(epochs=1, out=tmp_path / "early", dataset=_poisoned(digits, bad=2), device=device, **TINY)


def test_dry_run_trains_two_iterations_and_writes_nothing(device, digits, tmp_path):
    lines = []
    result = train_mnist(epochs=3, out=tmp_path / "run", dataset=digits, dry_run=True, device=device,
                         **dict(TINY, log=lines.append))
    assert result["iterations_per_epoch"] == 2 and math.isfinite(result["iteration_seconds"])
    assert not (tmp_path / "run").exists()
    assert "dry run" in lines[0] and "16 training images" in lines[0]
    assert "per epoch" in lines[1] and "the first, with start-up costs" in lines[1]
    if device == "cpu":  # and what runs the matrix products, which set the pace
        assert lines[2].startswith("NumPy's BLAS: ") and len(lines) == 3
    else:
        assert len(lines) == 2


@pytest.mark.parametrize("argv, message", [(["--epochs", "0"], "must be positive"), (["--loss", "nope"], "invalid choice"),
                                           (["--r1-every", "0"], "must be positive"), (["--g-steps", "0"], "must be positive")])
def test_argument_errors_from_the_parser(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["train", "mnist", "--dry-run"] + argv)
    assert info.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--subset", "4", "--batch-size", "8"], "smaller than one batch"),
        (["--batch-size", "1", "--subset", "16"], "batch size must be at least 2"),
        (["--r1", "-1"], "must be >= 0"),
    ],
)
def test_setting_errors_give_one_clear_line(argv, message, capsys, tmp_path):
    assert cli.main(["train", "mnist", "--out", str(tmp_path / "x"), "--dry-run"] + argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith("minigan train mnist: error: ")


def test_r1_defaults_to_1_for_the_dcgan_and_0_for_the_conditional_model():
    assert make_config()["r1"] == 1.0 and make_config(conditional=True)["r1"] == 0.0
    assert make_config(r1=0.0)["r1"] == 0.0 and make_config(conditional=True, r1=2.0)["r1"] == 2.0
    with pytest.raises(ValueError, match="r1_every"):
        make_config(r1_every=0)


def test_r1_penalty_is_a_setting_kept_across_a_resume(digits, tmp_path):
    result = train_mnist(epochs=1, out=tmp_path, dataset=digits, r1=0.5, **TINY)
    assert result["trainer"].r1 == 0.5 and read_checkpoint(tmp_path)["config"]["r1"] == 0.5
    resumed = train_mnist(epochs=2, out=tmp_path, resume=tmp_path, dataset=digits, **TINY)
    assert resumed["trainer"].r1 == 0.5  # from the checkpoint, not the default


def test_lazy_r1_is_a_setting_kept_across_a_resume_and_old_checkpoints_keep_r1_every_step(digits, tmp_path):
    result = train_mnist(epochs=1, out=tmp_path / "lazy", dataset=digits, r1_every=4, **TINY)
    assert result["trainer"].r1_every == 4 and read_checkpoint(tmp_path / "lazy")["config"]["r1_every"] == 4
    resumed = train_mnist(epochs=2, out=tmp_path / "lazy", resume=tmp_path / "lazy", dataset=digits, **TINY)
    assert resumed["trainer"].r1_every == 4
    # a checkpoint written before the setting existed: R1 in every iteration, as it was trained
    old = read_checkpoint(tmp_path / "lazy")
    del old["config"]["r1_every"], old["hyperparameters"]  # the trainer's settings were not saved either
    minigan.save(old, tmp_path / "old" / "checkpoint.npz")
    assert train_mnist(epochs=2, out=tmp_path / "old", resume=tmp_path / "old", dataset=digits, **TINY)["trainer"].r1_every == 1


def test_g_steps_is_a_setting_kept_across_a_resume_and_old_checkpoints_keep_one(digits, tmp_path):
    result = train_mnist(epochs=1, out=tmp_path / "g2", dataset=digits, g_steps=2, **TINY)
    assert result["trainer"].g_steps == 2 and read_checkpoint(tmp_path / "g2")["config"]["g_steps"] == 2
    assert train_mnist(epochs=2, out=tmp_path / "g2", resume=tmp_path / "g2", dataset=digits, **TINY)["trainer"].g_steps == 2
    old = read_checkpoint(tmp_path / "g2")
    del old["config"]["g_steps"], old["hyperparameters"]  # written before the setting existed: one G step, as trained
    minigan.save(old, tmp_path / "old" / "checkpoint.npz")
    assert train_mnist(epochs=2, out=tmp_path / "old", resume=tmp_path / "old", dataset=digits, **TINY)["trainer"].g_steps == 1
    with pytest.raises(ValueError, match="g_steps"):
        make_config(g_steps=0)


@pytest.mark.parametrize("settings", [dict(g_steps=2, r1_every=3, ema=0.9),
                                      dict(loss="hinge", r1=0.5, r1_every=1, lr=3e-4),
                                      dict(conditional=True, r1=1.0, r1_every=3, g_steps=2)])
def test_every_setting_resumes_bit_identically(settings, digits, tmp_path):
    """Lazy R1 counts iterations across the break (every 3rd: the 3rd and 6th of 2 + 2 + 2), extra G steps draw their noise in order."""
    train_mnist(epochs=3, out=tmp_path / "straight", dataset=digits, **settings, **TINY)
    train_mnist(epochs=1, out=tmp_path / "split", dataset=digits, **settings, **TINY)
    train_mnist(epochs=3, out=tmp_path / "split", resume=tmp_path / "split", dataset=digits, **TINY)
    straight, resumed = read_checkpoint(tmp_path / "straight"), read_checkpoint(tmp_path / "split")
    assert resumed["config"] == straight["config"] and resumed["step"] == 6
    _assert_same_state(straight, resumed)
    for key in straight.get("G_ema", {}):
        np.testing.assert_array_equal(straight["G_ema"][key], resumed["G_ema"][key], err_msg=key)


def test_foreign_and_corrupt_checkpoints_are_clear_errors(tmp_path, capsys):
    minigan.save({"kind": "toy", "step": 3}, tmp_path / "checkpoint.npz")
    with pytest.raises(CheckpointError, match="not of the MNIST DCGAN"):
        train_mnist(epochs=2, resume=tmp_path, **TINY)
    assert cli.main(["train", "mnist", "--resume", str(tmp_path)]) == 2
    assert "not of the MNIST DCGAN" in capsys.readouterr().err
    assert cli.main(["train", "mnist", "--out", str(tmp_path), "--dry-run"]) == 2  # no silent overwrite
    assert "already holds a run" in capsys.readouterr().err
    (tmp_path / "checkpoint.npz").write_bytes(b"PK\x03\x04 truncated")
    assert cli.main(["train", "mnist", "--resume", str(tmp_path)]) == 2
    assert "not a readable minigan checkpoint" in capsys.readouterr().err
    assert cli.main(["train", "mnist", "--resume", str(tmp_path / "missing")]) == 2
    assert "not found" in capsys.readouterr().err


def test_resume_continues_in_the_runs_own_folder_and_says_when_there_is_nothing_to_train(digits, tmp_path):
    run = tmp_path / "run"
    train_mnist(epochs=1, out=run, dataset=digits, **TINY)
    lines = []
    result = train_mnist(epochs=2, resume=run / "checkpoint.npz", dataset=digits, **dict(TINY, log=lines.append))
    assert result["out"] == run and read_checkpoint(run)["epoch"] == 2  # no out given: the run's own folder
    lines.clear()
    train_mnist(epochs=2, resume=run, dataset=digits, **dict(TINY, log=lines.append))
    assert any("has trained 2 epochs already: nothing to train up to --epochs 2" in line for line in lines)
    assert read_checkpoint(run)["epoch"] == 2


def test_resuming_into_another_folder_keeps_the_history_and_never_overwrites_a_run(digits, tmp_path, capsys):
    run, copy = tmp_path / "run", tmp_path / "copy"
    train_mnist(epochs=1, out=run, dataset=digits, **TINY)
    (run / "samples_epoch_001.png").write_bytes(b"grid 1")  # TINY draws no pictures: stand-ins to follow
    other = tmp_path / "other"
    train_mnist(epochs=1, out=other, dataset=digits, **dict(TINY, seed=3))
    before = (other / "checkpoint.npz").read_bytes()
    assert cli.main(["train", "mnist", "--resume", str(run), "--epochs", "2", "--out", str(other)]) == 2
    assert f"{other} already holds a run" in capsys.readouterr().err
    assert (other / "checkpoint.npz").read_bytes() == before  # left as it was
    train_mnist(epochs=2, resume=run, out=copy, dataset=digits, **TINY)
    lines = [json.loads(line) for line in (copy / "metrics.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2]  # epoch 1's line came along
    assert (copy / "samples_epoch_001.png").read_bytes() == b"grid 1"
    assert read_checkpoint(run)["epoch"] == 1 and read_checkpoint(copy)["epoch"] == 2  # the source run is untouched


def test_resuming_a_finished_run_trains_nothing_and_does_not_say_done(digits, tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    train_mnist(epochs=1, out=run, dataset=digits, **TINY)
    monkeypatch.setattr("minigan.experiments.mnist.MNIST", lambda train=True: digits)
    assert cli.main(["train", "mnist", "--resume", str(run), "--epochs", "1"]) == 0
    printed = capsys.readouterr().out
    assert "nothing to train up to --epochs 1" in printed and "done:" not in printed


def test_resume_refuses_settings_it_would_ignore(four_epochs, capsys):
    before = (four_epochs / "checkpoint.npz").read_bytes()
    assert cli.main(["train", "mnist", "--resume", str(four_epochs), "--epochs", "5", "--lr", "1e-4", "--g-steps", "2"]) == 2
    err = capsys.readouterr().err
    assert "with its saved settings, so --lr, --g-steps cannot change it" in err and "--epochs, --device and --out" in err
    assert cli.main(["train", "mnist", "--resume", str(four_epochs), "--conditional"]) == 2
    assert "--conditional cannot change it" in capsys.readouterr().err
    assert (four_epochs / "checkpoint.npz").read_bytes() == before


def test_sample_and_eval_commands_read_an_mnist_checkpoint(four_epochs, tmp_path, monkeypatch, capsys, digits):
    checkpoint = str(four_epochs / "checkpoint.npz")
    assert cli.main(["sample", "--checkpoint", checkpoint, "-n", "12", "--out", str(tmp_path / "s.npy")]) == 0
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (12, 1, 28, 28) and samples.min() >= -1 and samples.max() <= 1
    assert cli.main(["sample", "--checkpoint", checkpoint, "-n", "12", "--out", str(tmp_path / "s.png")]) == 0
    from PIL import Image

    with Image.open(tmp_path / "s.png") as grid:  # 12 digits: 4 per row, 3 rows, each 28 px + 2 px lines, doubled
        assert grid.format == "PNG" and grid.size == (2 * (4 * 30 + 2), 2 * (3 * 30 + 2))
    # a small judge stands in for the full one (which takes minutes to train the first time)
    from minigan.judge import FULL_JUDGE, train_judge

    judge = train_judge(digits.subset(1000), hidden=(16,), max_iter=5)
    judge.info.update(FULL_JUDGE)
    monkeypatch.setenv("MINIGAN_CACHE", str(tmp_path))
    judge.save(tmp_path / "judge_mnist.npz")
    assert cli.main(["eval", "--checkpoint", checkpoint, "-n", "100"]) == 0
    out = capsys.readouterr().out
    assert "MNIST score" in out and "share of each digit" in out and "real test" in out


def test_weight_average_is_kept_resumed_exactly_and_sampled(device, digits, tmp_path):
    """--ema: G_ema is an average of G's weights, saved, resumed bit-identically, and what sample uses."""
    straight, split = tmp_path / "straight", tmp_path / "split"
    train_mnist(epochs=2, out=straight, dataset=digits, ema=0.9, device=device, **TINY)
    train_mnist(epochs=1, out=split, dataset=digits, ema=0.9, device=device, **TINY)
    train_mnist(epochs=2, out=split, resume=split, dataset=digits, device=device, **TINY)
    a, b = read_checkpoint(straight), read_checkpoint(split)
    for key in a["G_ema"]:
        np.testing.assert_array_equal(a["G_ema"][key], b["G_ema"][key], err_msg=key)
    w, avg = a["G"]["net.0.weight"], a["G_ema"]["net.0.weight"]
    assert not np.array_equal(w, avg)  # an average lags behind the weights it averages
    from minigan.experiments.mnist import load_generator

    G, _ = load_generator(straight / "checkpoint.npz")
    np.testing.assert_array_equal(G.net[0].weight.numpy(), avg)


def test_the_run_environment_names_a_blas_kernel_forced_by_the_environment(monkeypatch):
    from minigan.experiments import environment

    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    assert environment("cpu")["OPENBLAS_CORETYPE"] == "Haswell"
    monkeypatch.delenv("OPENBLAS_CORETYPE")
    ran_on = environment("cpu")
    assert "OPENBLAS_CORETYPE" not in ran_on and "cupy" not in ran_on
    assert set(ran_on) == {"device", "minigan", "python", "numpy", "blas"}


def _epochs_logged(folder):
    return [json.loads(line)["epoch"] for line in (folder / "metrics.jsonl").read_text().splitlines()]


def test_an_older_checkpoint_of_a_run_never_overwrites_the_run_and_the_log_keeps_epochs_up_to_it(digits, tmp_path, capsys):
    run = tmp_path / "run"
    train_mnist(epochs=1, out=run, dataset=digits, **TINY)
    backup = run / "epoch1.npz"
    backup.write_bytes((run / "checkpoint.npz").read_bytes())  # a learner's copy of epoch 1
    train_mnist(epochs=3, resume=run, dataset=digits, **TINY)
    newest = (run / "checkpoint.npz").read_bytes()
    with pytest.raises(ValueError, match=rf"{re.escape(str(run))} already holds a run \(checkpoint.npz\) other than "
                                         rf"{re.escape(str(backup))}, which continuing there would overwrite; "
                                         rf"continue {re.escape(str(backup))} in a new folder with --out NEW"):
        train_mnist(epochs=2, resume=backup, dataset=digits, **TINY)
    assert cli.main(["train", "mnist", "--resume", str(backup), "--epochs", "2"]) == 2
    assert "--out NEW" in capsys.readouterr().err
    assert (run / "checkpoint.npz").read_bytes() == newest and _epochs_logged(run) == [1, 2, 3]  # epoch 3 kept
    # another name of the run's own file (Checkpoint.npz on macOS and Windows, or a link) is no older copy
    (run / "latest.npz").hardlink_to(run / "checkpoint.npz")
    train_mnist(epochs=4, resume=run / "latest.npz", dataset=digits, **TINY)
    assert _epochs_logged(run) == [1, 2, 3, 4]
    train_mnist(epochs=2, resume=backup, out=tmp_path / "copy", dataset=digits, **TINY)
    assert _epochs_logged(tmp_path / "copy") == [1, 2]  # epoch 1 from the run's log, then its own epoch 2
    # continuing in place from a checkpoint older than the log: the log keeps the lines up to the checkpoint's epoch
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "checkpoint.npz").write_bytes(backup.read_bytes())
    (alone / "metrics.jsonl").write_text((run / "metrics.jsonl").read_text())
    train_mnist(epochs=2, resume=alone, dataset=digits, **TINY)
    assert _epochs_logged(alone) == [1, 2]


def test_resume_refuses_settings_given_to_the_api_that_differ_from_the_saved_ones(four_epochs, digits):
    before = (four_epochs / "checkpoint.npz").read_bytes()
    with pytest.raises(ValueError, match=r"resume continues .* with the settings saved in its checkpoint, so "
                                         r"loss='hinge' \(saved: 'nonsaturating'\), lr=1.0 \(saved: 0.0002\), ema=0.999 "
                                         r"\(saved: 0.0\), g_steps=3 \(saved: 1\) cannot change it"):
        train_mnist(epochs=5, resume=four_epochs, dataset=digits, loss="hinge", lr=1.0, ema=0.999, g_steps=3, **TINY)
    assert (four_epochs / "checkpoint.npz").read_bytes() == before
    # the saved values themselves may be given (TINY gives batch_size and subset): nothing to train up to 4 epochs
    assert train_mnist(epochs=4, resume=four_epochs, dataset=digits, loss="nonsaturating", seed=0, **TINY)["new_epochs"] == 0


def test_ctrl_c_in_the_very_last_iteration_finishes_the_run(digits, tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    monkeypatch.setattr("minigan.experiments.mnist._progress_bar", lambda *args: None)
    # two batches per epoch: the 4th batch read is the last iteration of epoch 2, the last epoch
    monkeypatch.setattr("minigan.experiments.mnist.MNIST", lambda train=True: _ctrl_c_on_read(digits, 4))
    assert cli.main(["train", "mnist", "--subset", "16", "--batch-size", "8", "--epochs", "2", "--out", str(run)]) == 0
    printed = capsys.readouterr()
    assert "done: 2 epochs" in printed.out and "interrupted" not in printed.out + printed.err
    assert read_checkpoint(run)["epoch"] == 2 and _epochs_logged(run) == [1, 2]
    for name in ("samples.gif", "losses.png"):
        assert (run / name).exists(), name


def test_resuming_a_checkpoint_file_from_the_command_line_continues_in_its_folder(digits, tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    train_mnist(epochs=1, out=run, dataset=digits, **TINY)
    monkeypatch.setattr("minigan.experiments.mnist._progress_bar", lambda *args: None)
    monkeypatch.setattr("minigan.experiments.mnist.MNIST", lambda train=True: digits)
    assert cli.main(["train", "mnist", "--resume", str(run / "checkpoint.npz"), "--epochs", "2"]) == 0
    assert f"done: 2 epochs; samples, checkpoint and plots in {run};" in capsys.readouterr().out
    assert read_checkpoint(run)["epoch"] == 2 and _epochs_logged(run) == [1, 2]


@pytest.mark.parametrize("entry", ["config", "config.conditional", "G", "loader", "history", "epoch", "config.batch_size",
                                   "loader.rng", "history.loss_d", "opt_d"])
def test_a_checkpoint_missing_an_entry_is_one_line_naming_it(four_epochs, tmp_path, entry, capsys):
    state = read_checkpoint(four_epochs)
    *parents, key = entry.split(".")
    node = state
    for parent in parents:
        node = node[parent]
    del node[key]
    minigan.save(state, tmp_path / "checkpoint.npz")
    commands = [["train", "mnist", "--resume", str(tmp_path), "--epochs", "5"]]
    if entry in ("config", "config.conditional", "G"):  # what sampling needs
        commands += [["sample", "--checkpoint", str(tmp_path), "-n", "4", "--out", str(tmp_path / "s.npy")],
                     ["eval", "--checkpoint", str(tmp_path), "-n", "4"]]
    for argv in commands:
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert err.count(str(tmp_path)) == 1, err  # the file, named once
        if entry == "opt_d":  # the trainer's own entries are named by GANTrainer
            assert "the checkpoint does not fit the MNIST DCGAN (the checkpoint lacks opt_d" in err
        else:
            assert f"the checkpoint lacks its {entry!r} entry" in err, err


def test_the_sample_grids_noise_is_fixed_and_drawn_aside_from_training():
    from minigan.experiments.mnist import fixed_noise

    config = make_config(seed=3)
    state = minigan.backend.get_rng_state()
    z, labels = fixed_noise(config)
    assert labels is None and z.shape == (64, 100)
    np.testing.assert_array_equal(fixed_noise(config)[0].numpy(), z.numpy())  # the same noise for every epoch
    assert not np.array_equal(fixed_noise(make_config(seed=4))[0].numpy(), z.numpy())  # another run, other noise
    assert minigan.backend.get_rng_state()["cpu"] == state["cpu"]  # the training noise's generator is untouched
    _, labels = fixed_noise(make_config(seed=3, conditional=True))
    np.testing.assert_array_equal(labels.numpy(), np.arange(64) % 10)


def test_the_sample_grids_show_the_weight_average(digits, tmp_path):
    from PIL import Image

    from minigan.experiments.mnist import fixed_noise, generate, image_grid, load_generator

    out = tmp_path / "run"
    train_mnist(epochs=1, out=out, dataset=digits, ema=0.9, **TINY)
    state = read_checkpoint(out)
    G_ema, config = load_generator(out)  # G_ema's weights (and G's batch-norm statistics)
    G_plain, _ = dcgan(False)
    G_plain.load_state_dict(state["G"])
    z, _ = fixed_noise(config)
    with Image.open(out / "samples_epoch_001.png") as image:
        shown = np.asarray(image)
    np.testing.assert_array_equal(shown, np.asarray(image_grid(generate(G_ema, z))))
    assert not np.array_equal(shown, np.asarray(image_grid(generate(G_plain, z))))  # the test can tell them apart


# -- settings reach the code that uses them, and the run's files record them (found by mutation testing)
@pytest.fixture(scope="module")
def tuned_run(digits, tmp_path_factory):
    """Two epochs of 2 iterations with every setting away from its default."""
    out = tmp_path_factory.mktemp("tuned")
    data = _DigitsWithAHook(digits)
    result = train_mnist(epochs=2, out=out, dataset=data, seed=5, lr=3e-4, beta1=0.3, ema=0.9, r1=0.5, r1_every=3,
                         g_steps=2, loss="hinge", **TINY)
    return out, result, data.indices


def test_the_settings_reach_the_optimizers_the_trainer_and_the_loaders_shuffling(tuned_run):
    _, result, reads = tuned_run
    trainer = result["trainer"]
    for opt in (trainer.opt_g, trainer.opt_d):
        assert opt.param_groups[0]["lr"] == 3e-4 and tuple(opt.param_groups[0]["betas"]) == (0.3, 0.999)
    assert (trainer.ema_decay, trainer.r1, trainer.r1_every, trainer.g_steps, trainer.loss) == (0.9, 0.5, 3, 2, "hinge")
    # the loader shuffles with its own generator, seeded by the run's seed: a new permutation of the 16 images each epoch
    rng = np.random.default_rng(5)
    first, second = rng.permutation(16).tolist(), rng.permutation(16).tolist()
    assert reads == [first[:8], first[8:], second[:8], second[8:]]


def test_the_run_files_record_every_setting_each_epochs_step_and_its_own_means(tuned_run):
    out, _, _ = tuned_run
    config = json.loads((out / "config.json").read_text())
    config.pop("environment")
    assert config == {"epochs": 2, "batch_size": 8, "loss": "hinge", "conditional": False, "seed": 5, "subset": 16,
                      "lr": 3e-4, "beta1": 0.3, "ema": 0.9, "r1": 0.5, "r1_every": 3, "g_steps": 2}
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [(line["epoch"], line["step"]) for line in lines] == [(1, 2), (2, 4)]  # 16 images / batch 8: 2 per epoch
    history = read_checkpoint(out)["history"]  # every iteration's values
    for key in ("loss_d", "loss_g", "D_real", "D_fake"):
        for line, iterations in zip(lines, (slice(0, 2), slice(2, 4))):  # each epoch averages its own iterations
            assert line[key] == pytest.approx(float(np.mean(history[key][iterations])), rel=1e-6), (key, line["epoch"])


def test_every_train_mnist_flag_reaches_the_run_and_the_defaults_are_the_helps(monkeypatch, capsys):
    calls = []

    def fake_train_mnist(**kwargs):
        calls.append(kwargs)
        return {"new_epochs": 0}

    monkeypatch.setattr("minigan.experiments.mnist.train_mnist", fake_train_mnist)
    monkeypatch.setattr(cli, "_device", lambda text: text)  # (as if a GPU answered: --device cuda is checked elsewhere)
    assert cli.main(["train", "mnist", "--epochs", "3", "--batch-size", "16", "--loss", "hinge", "--conditional",
                     "--device", "cuda", "--seed", "7", "--lr", "0.001", "--ema", "0.99", "--r1", "0.5",
                     "--r1-every", "4", "--g-steps", "2", "--out", "elsewhere", "--subset", "32", "--dry-run"]) == 0
    assert calls[0] == dict(epochs=3, device="cuda", out="elsewhere", resume=None, dry_run=True, batch_size=16,
                            loss="hinge", conditional=True, seed=7, lr=0.001, ema=0.99, r1=0.5, r1_every=4, g_steps=2,
                            subset=32)
    # nothing given: --epochs 5 and --device cpu; the other settings are make_config's; out runs/mnist[-conditional]-sSEED
    assert cli.main(["train", "mnist"]) == 0
    assert calls[1] == dict(epochs=5, device="cpu", out="runs/mnist-s0", resume=None, dry_run=False)
    assert cli.main(["train", "mnist", "--conditional", "--seed", "3"]) == 0
    assert calls[2]["out"] == "runs/mnist-conditional-s3"


def test_the_final_gif_shows_the_epochs_grids_in_order(tmp_path):
    from PIL import Image, ImageSequence

    from minigan.experiments.mnist import _final_pictures

    shades = [0, 255, 96]
    for epoch, shade in enumerate(shades, 1):
        Image.new("L", (20, 20), shade).save(tmp_path / f"samples_epoch_{epoch:03d}.png")
    _final_pictures(tmp_path, {"loss_d": []}, 3)
    with Image.open(tmp_path / "samples.gif") as gif:
        frames = [int(np.asarray(frame.convert("L")).mean()) for frame in ImageSequence.Iterator(gif)]
    assert frames == shades


class _RecordingBar:
    """A stand-in for the tqdm bar: counts updates, keeps the shown losses, knows whether it was closed."""

    def __init__(self, total, description):
        self.total, self.description, self.updates, self.postfix, self.closed = total, description, 0, {}, 0

    def update(self, n):
        self.updates += n

    def set_postfix(self, **values):
        self.postfix = values

    def close(self):
        self.closed += 1


def test_the_progress_bar_counts_every_iteration_shows_the_losses_and_closes_on_a_nan(digits, tmp_path, capsys,
                                                                                        monkeypatch):
    # (found by line coverage: every other test turns the bar off, and a learner always sees it)
    settings = dict(TINY, progress=True, batch_size=4, subset=84)  # 21 iterations: the losses show at the 20th
    train_mnist(epochs=1, out=tmp_path / "tqdm", dataset=digits, **settings)  # tqdm's own bar, on stderr
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and re.search(r"loss_d=\d+\.\d{3}, loss_g=\d+\.\d{3}", err), err[-500:]
    made = []  # every bar the run makes
    monkeypatch.setattr("minigan.experiments.mnist._progress_bar",
                        lambda *args: made.append(_RecordingBar(*args)) or made[-1])
    train_mnist(epochs=2, out=tmp_path / "run", dataset=digits, **settings)
    assert [(b.description, b.total, b.updates, b.closed) for b in made] == [
        ("epoch 1/2", 21, 21, 1), ("epoch 2/2", 21, 21, 1)]
    assert set(made[0].postfix) == {"loss_d", "loss_g"}
    made.clear()
    with pytest.raises(minigan.gan.TrainingDiverged, match="training diverged at step 3"):
        train_mnist(epochs=1, out=tmp_path / "nan", dataset=_poisoned(digits, bad=3), **settings)
    assert [(b.updates, b.closed) for b in made] == [(2, 1)]  # closed where it stopped
