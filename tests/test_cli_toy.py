"""`minigan train toy`, `minigan sample`, `minigan eval` and their errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

import minigan
from minigan import cli


def run_cli(argv, capsys):
    """(exit code, stdout, stderr) of `minigan ARGV`, run in this process."""
    try:
        code = cli.main(argv)
    except SystemExit as e:  # argparse errors exit directly
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    """One short toy run with pictures, shared by the tests below."""
    out = tmp_path_factory.mktemp("run")
    code = cli.main(["train", "toy", "--dataset", "grid", "--loss", "minimax", "--k", "2", "--steps", "6",
                     "--batch-size", "32", "--lr", "0.001", "--seed", "1", "--out", str(out)])
    assert code == 0
    return out


def test_train_writes_the_run_folder(toy_run):
    for name in ("config.json", "metrics.jsonl", "checkpoint.npz", "samples.png", "gan_lab.png", "curves.png",
                 "training.gif", "summary.json"):
        assert (toy_run / name).exists(), name
    config = json.loads((toy_run / "config.json").read_text())
    assert (config["dataset"], config["loss"], config["k"], config["steps"], config["batch_size"], config["seed"]) == (
        "grid", "minimax", 2, 6, 32, 1)
    ran_on = config["environment"]  # what the numbers depend on besides the settings
    assert ran_on["device"] == "cpu" and ran_on["numpy"] == np.__version__ and ran_on["minigan"] == minigan.__version__
    assert ran_on["blas"] and not ran_on["blas"].startswith("NumPy's BLAS")
    steps = [json.loads(line) for line in (toy_run / "metrics.jsonl").read_text().splitlines()]
    assert any(r.get("eval") and r["num_modes"] == 25 for r in steps)
    assert all(set(r) >= {"V", "D_real", "D_fake", "loss_d", "loss_g"} for r in steps if not r.get("eval"))


def test_sample_and_eval(toy_run, tmp_path, capsys):
    path = tmp_path / "s.npy"
    code, out, _ = run_cli(["sample", "--checkpoint", str(toy_run / "checkpoint.npz"), "-n", "50", "--out", str(path)],
                           capsys)
    assert code == 0 and "50 samples" in out
    samples = np.load(path)
    assert samples.shape == (50, 2) and np.isfinite(samples).all()
    code, out, _ = run_cli(["eval", "--checkpoint", str(toy_run / "checkpoint.npz")], capsys)
    assert code == 0
    assert "modes covered: " in out and "/25" in out and "high-quality samples" in out
    code, from_folder, _ = run_cli(["eval", "--checkpoint", str(toy_run)], capsys)  # the run folder will do
    assert code == 0 and from_folder == out
    code, _, _ = run_cli(["sample", "--checkpoint", str(toy_run), "-n", "50", "--out", str(tmp_path / "t.npy")], capsys)
    assert code == 0 and np.array_equal(np.load(tmp_path / "t.npy"), samples)
    # a name without .npy gets it, as np.save adds it, and the message names the file really written
    code, out, _ = run_cli(["sample", "--checkpoint", str(toy_run), "-n", "50", "--out", str(tmp_path / "u")], capsys)
    assert code == 0 and f"to {tmp_path / 'u.npy'}" in out and np.array_equal(np.load(tmp_path / "u.npy"), samples)
    # another kind of file is refused rather than written as s.txt.npy
    code, _, err = run_cli(["sample", "--checkpoint", str(toy_run), "--out", str(tmp_path / "s.txt")], capsys)
    assert code == 2 and "--out must name a .npy file (the array) or a .png file (a picture)" in err
    assert not (tmp_path / "s.txt.npy").exists()
    # and before any sample is drawn: a wrong name is said before the checkpoint is even read
    code, _, err = run_cli(["sample", "--checkpoint", str(tmp_path / "none.npz"), "--out", str(tmp_path / "s.txt")], capsys)
    assert code == 2 and "--out must name a .npy file" in err and "not found" not in err


def test_sample_as_a_picture(toy_run, tmp_path, capsys):
    from PIL import Image

    code, out, _ = run_cli(["sample", "--checkpoint", str(toy_run), "-n", "300", "--out", str(tmp_path / "s.png")],
                           capsys)
    assert code == 0 and "picture of 300 samples" in out and not (tmp_path / "s.png.npy").exists()
    with Image.open(tmp_path / "s.png") as image:  # a real PNG: real and generated points side by side
        assert image.format == "PNG" and image.size[0] > image.size[1] > 200


@pytest.mark.parametrize("argv,message", [
    (["train", "toy", "--dataset", "spiral"], "invalid choice: 'spiral'"),
    (["train", "toy", "--loss", "wasserstein"], "invalid choice: 'wasserstein'"),
    (["train", "toy", "--steps", "-5"], "must be >= 0"),
    (["train", "toy", "--device", "gpu"], "argument --device: choose 'cpu' or 'cuda', got 'gpu'"),
    (["sample", "--checkpoint", "no/such/file.npz"], "checkpoint not found"),
    (["eval", "--checkpoint", "no/such/file.npz"], "checkpoint not found"),
    (["train", "toy", "--seed", "-1"], "minigan train toy: error: argument --seed: must be >= 0, got -1"),
    (["train", "mnist", "--seed", "-3"], "minigan train mnist: error: argument --seed: must be >= 0, got -3"),
    (["train", "toy", "--stepz", "10"], "minigan train toy: error: unrecognized arguments: --stepz 10 "
                                        "(see minigan train toy --help)"),
    (["sample", "--checkpoint", "x.npz", "--bogus"], "minigan sample: error: unrecognized arguments: --bogus"),
    (["--bogus"], "minigan: error: unrecognized arguments: --bogus (see minigan --help)"),
])
def test_bad_arguments_give_one_line_and_code_2(argv, message, capsys):
    code, out, err = run_cli(argv, capsys)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("setting,message", [
    (["--r1", "-1"], "r1 must be a finite number >= 0, got -1.0"),
    (["--r1", "nan"], "r1 must be a finite number >= 0, got nan"),  # (NaN < 0 is False: it slipped through)
    (["--lr", "inf"], "lr must be a finite number > 0, got inf"),
])
def test_a_bad_toy_setting_gives_one_line_and_leaves_no_folder_behind(setting, message, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run_cli(["train", "toy", "--steps", "1", "--out", str(out), *setting], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()  # (the folder used to be made before the settings were checked)


def test_a_file_in_the_way_of_a_folder_is_recognised_in_windows_words_too(tmp_path):
    from minigan.cli import _file_in_the_way

    (tmp_path / "file.txt").write_text("not a folder")
    # Windows reports a path through a file as not found (WinError 3), where Linux says "Not a directory"
    windows = FileNotFoundError(2, "The system cannot find the path specified", str(tmp_path / "file.txt" / "run"))
    assert _file_in_the_way(windows)
    assert not _file_in_the_way(FileNotFoundError(2, "No such file", str(tmp_path / "missing" / "run")))
    assert not _file_in_the_way(PermissionError(13, "Permission denied", str(tmp_path)))


def test_unwritable_output_folder_and_non_checkpoint_files_give_one_line(tmp_path, capsys):
    (tmp_path / "file.txt").write_text("not a folder")
    code, _, err = run_cli(["train", "toy", "--steps", "1", "--out", str(tmp_path / "file.txt" / "run")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1  # the operating system's words, e.g. "Not a directory"
    assert err.startswith("minigan train toy: error: ")  # the command as typed, as argparse's own errors say it
    assert "(a file is in the way of a folder: choose another --out)" in err and "[Errno" not in err
    code, _, err = run_cli(["train", "toy", "--steps", "1", "--out", str(tmp_path / "file.txt")], capsys)
    assert code == 2 and f"{tmp_path / 'file.txt'} (a file is in the way of a folder" in err
    code, _, err = run_cli(["eval", "--checkpoint", str(tmp_path / "file.txt")], capsys)
    assert code == 2 and "not a .npz (zip) archive" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(["sample", "--checkpoint", str(tmp_path)], capsys)
    assert code == 2 and "is a folder, not a checkpoint file" in err


def test_checkpoint_from_another_model_is_refused(toy_run, tmp_path, capsys):
    foreign = tmp_path / "foreign.npz"
    minigan.save({"weights": np.zeros(3)}, foreign)
    code, _, err = run_cli(["eval", "--checkpoint", str(foreign)], capsys)
    assert code == 2 and "not a checkpoint of a minigan training run" in err
    # a toy checkpoint whose weights do not fit its recorded settings
    state = minigan.load(toy_run / "checkpoint.npz")
    state["config"]["hidden"] = 7
    minigan.save(state, tmp_path / "mismatch.npz")
    code, _, err = run_cli(["sample", "--checkpoint", str(tmp_path / "mismatch.npz")], capsys)
    assert code == 2 and "does not fit" in err and len(err.strip().splitlines()) == 1


def test_command_line_entry_point_has_no_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "minigan.cli", "eval", "--checkpoint", str(tmp_path / "x.npz")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "checkpoint not found" in result.stderr


def test_plain_train_is_the_toy_ring_with_defaults(monkeypatch, capsys):
    from minigan.experiments import toy

    calls = []

    def fake_run(out, pictures=True, **settings):
        calls.append((out, settings))
        return {"steps": 0, "seconds": 0.0}

    monkeypatch.setattr(toy, "run", fake_run)
    assert cli.main(["train"]) == 0
    (out, settings), = calls
    assert settings == {"dataset": "ring"} and "toy-ring" in out  # everything else: toy.DEFAULTS


def test_train_toy_on_a_device_resumes_and_its_checkpoint_reads_anywhere(device, tmp_path, capsys):
    out = tmp_path / "run"
    common = ["--dataset", "ring", "--steps", "4", "--batch-size", "32", "--seed", "2", "--device", device]
    code, printed, err = run_cli(["train", "toy", *common, "--out", str(out)], capsys)
    assert code == 0, err
    assert json.loads((out / "config.json").read_text())["device"] == device
    for name in ("gan_lab.png", "training.gif", "checkpoint.npz"):
        assert (out / name).exists(), name
    # sample and eval read the GPU run's checkpoint on the CPU
    code, printed, err = run_cli(["eval", "--checkpoint", str(out / "checkpoint.npz")], capsys)
    assert code == 0 and "modes covered: " in printed and "/8" in printed, err


def test_a_run_folder_is_never_overwritten_and_resume_keeps_the_saved_settings(toy_run, tmp_path, capsys):
    before = (toy_run / "checkpoint.npz").read_bytes()
    code, _, err = run_cli(["train", "toy", "--steps", "4", "--out", str(toy_run)], capsys)
    assert code == 2 and f"{toy_run} already holds a run" in err and f"--resume {toy_run}" in err
    assert (toy_run / "checkpoint.npz").read_bytes() == before  # nothing lost
    code, _, err = run_cli(["train", "toy", "--resume", str(toy_run), "--steps", "100", "--lr", "0.01"], capsys)
    assert code == 2 and "with its saved settings, so --steps, --lr cannot change it" in err
    code, _, err = run_cli(["train", "toy", "--resume", str(toy_run), "--dataset", "ring"], capsys)
    assert code == 2 and "--dataset cannot change it" in err
    code, printed, _ = run_cli(["train", "toy", "--resume", str(toy_run), "--no-pictures"], capsys)
    assert code == 0 and f"the run in {toy_run} is complete (6 steps): nothing to train" in printed
    assert (toy_run / "checkpoint.npz").read_bytes() == before


def test_demo_trains_the_moons_mlp(capsys):
    code, out, _ = run_cli(["demo", "--steps", "200"], capsys)
    assert code == 0 and "step    0" in out
    accuracy = float(out.strip().splitlines()[-1].split()[-1])  # "final accuracy on the training moons: 0.9xx"
    assert accuracy > 0.95


def test_asking_for_cuda_without_a_gpu_is_one_line_before_any_work(tmp_path, capsys):
    if minigan.cuda_is_available():
        pytest.skip("a GPU is usable here")
    for argv in (["train", "toy", "--device", "cuda", "--out", str(tmp_path / "run")], ["bench", "dcgan", "--device", "cuda"],
                 ["train", "mnist", "--device", "cuda", "--out", str(tmp_path / "run")]):
        code, _, err = run_cli(argv, capsys)
        assert code == 2 and "argument --device: device 'cuda' is not usable here" in err and "Traceback" not in err
        assert "run on device='cpu'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()  # refused before a folder was made


def test_the_library_refuses_settings_it_would_ignore_on_resume(toy_run):
    from minigan.experiments import toy

    with pytest.raises(ValueError, match=r"continues the run in .* with its saved settings, so lr, steps cannot change it"):
        toy.run(str(toy_run), resume=True, steps=60, lr=1e-3)


@pytest.mark.parametrize("entry", ["config", "config.dataset", "G", "step", "D"])
def test_a_toy_checkpoint_missing_an_entry_is_one_line_naming_it(toy_run, tmp_path, entry, capsys):
    state = minigan.load(toy_run / "checkpoint.npz")
    *parents, key = entry.split(".")
    del (state[parents[0]] if parents else state)[key]
    minigan.save(state, tmp_path / "checkpoint.npz")
    commands = [["train", "toy", "--resume", str(tmp_path), "--no-pictures"]]
    if entry != "D":  # what sample and eval need
        commands += [["sample", "--checkpoint", str(tmp_path), "-n", "5", "--out", str(tmp_path / "s.npy")],
                     ["eval", "--checkpoint", str(tmp_path)]]
    for argv in commands:
        code, _, err = run_cli(argv, capsys)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (argv, err)
        assert err.count(str(tmp_path / "checkpoint.npz")) == 1, err  # the file, named once
        if entry == "D":  # the trainer's own entries are named by GANTrainer
            assert "the checkpoint does not fit its toy GAN (the checkpoint lacks D" in err
        else:
            assert f"the checkpoint lacks its {entry!r} entry" in err, (argv, err)


def test_resume_takes_the_runs_checkpoint_file_and_a_mistyped_one_leaves_no_folder(toy_run, tmp_path, capsys):
    code, printed, err = run_cli(["train", "toy", "--resume", str(toy_run / "checkpoint.npz"), "--no-pictures"], capsys)
    assert code == 0 and f"the run in {toy_run} is complete (6 steps)" in printed, err
    (tmp_path / "epoch.npz").write_bytes((toy_run / "checkpoint.npz").read_bytes())
    code, _, err = run_cli(["train", "toy", "--resume", str(tmp_path / "epoch.npz")], capsys)
    assert code == 2 and "copy it as checkpoint.npz into a new folder NEW and give --resume NEW" in err
    # another name for the run's own file (as Checkpoint.NPZ is on macOS and Windows, or a link) is that file
    (toy_run / "latest.npz").hardlink_to(toy_run / "checkpoint.npz")
    code, printed, err = run_cli(["train", "toy", "--resume", str(toy_run / "latest.npz"), "--no-pictures"], capsys)
    assert code == 0 and f"the run in {toy_run} is complete (6 steps)" in printed, err
    code, _, err = run_cli(["train", "toy", "--resume", str(tmp_path / "missing")], capsys)
    assert code == 2 and "checkpoint not found" in err
    assert not (tmp_path / "missing").exists()


def test_the_toy_help_states_the_recipes_defaults():
    from minigan.experiments.toy import DEFAULTS  # noqa: PLC0415

    toy = next(a for a in cli.build_parser()._subparsers._group_actions[0].choices["train"]._subparsers
               ._group_actions[0].choices.items() if a[0] == "toy")[1]
    text = " ".join(toy.format_help().split())
    for option, key in [("--loss", "loss"), ("--k", "k"), ("--steps", "steps"), ("--batch-size", "batch_size"),
                        ("--lr", "lr"), ("--r1", "r1"), ("--seed", "seed")]:
        assert f"default {DEFAULTS[key]}" in text.split(option, 1)[1], option


def test_eval_of_a_toy_run_repeats_its_summary(toy_run, capsys):
    summary = json.loads((toy_run / "summary.json").read_text())
    code, out, _ = run_cli(["eval", "--checkpoint", str(toy_run)], capsys)
    assert code == 0
    assert f"modes covered: {summary['modes']}/{summary['num_modes']}" in out
    assert f"high-quality samples: {100 * summary['hq']:.1f}%" in out  # the same 2,500 samples as the run's own
    code, other, _ = run_cli(["eval", "--checkpoint", str(toy_run), "--seed", "0"], capsys)
    assert code == 0 and other != out  # another seed, other samples


# -- every flag reaches the code that uses it (found by mutation testing: a flag dropped on the way went unnoticed)
def _capture_toy_run(monkeypatch):
    from minigan.experiments import toy

    calls = []

    def fake_run(out, resume=False, pictures=True, **settings):
        calls.append(dict(out=out, resume=resume, pictures=pictures, settings=settings))
        return {"steps": 0, "seconds": 0.0}

    monkeypatch.setattr(toy, "run", fake_run)
    return calls


def test_every_train_toy_flag_reaches_the_run(monkeypatch, tmp_path):
    calls = _capture_toy_run(monkeypatch)
    monkeypatch.setattr(cli, "_device", lambda text: text)  # (as if a GPU answered: --device cuda is checked elsewhere)
    assert cli.main(["train", "toy", "--dataset", "grid", "--loss", "hinge", "--k", "3", "--steps", "7",
                     "--batch-size", "16", "--lr", "0.005", "--r1", "0.25", "--seed", "4", "--device", "cuda",
                     "--out", str(tmp_path / "run"), "--no-pictures"]) == 0
    (call,) = calls
    assert call["settings"] == {"dataset": "grid", "loss": "hinge", "k": 3, "steps": 7, "batch_size": 16, "lr": 0.005,
                                "r1": 0.25, "seed": 4, "device": "cuda"}
    assert call["out"] == str(tmp_path / "run") and call["pictures"] is False and not call["resume"]
    # without --out: runs/toy-DATASET-LOSS-sSEED, as --help says
    assert cli.main(["train", "toy", "--dataset", "grid", "--loss", "hinge", "--seed", "4"]) == 0
    assert calls[1]["out"] == "runs/toy-grid-hinge-s4" and calls[1]["pictures"] is True


def test_sample_defaults_to_2500_samples_and_its_seed_picks_them(toy_run, tmp_path, capsys):
    from minigan.experiments import toy

    code, _, err = run_cli(["sample", "--checkpoint", str(toy_run), "--out", str(tmp_path / "a.npy")], capsys)
    assert code == 0, err
    assert np.load(tmp_path / "a.npy").shape == (2500, 2)  # "-n: how many samples (default 2500)"
    code, _, err = run_cli(["sample", "--checkpoint", str(toy_run), "-n", "20", "--seed", "5",
                            "--out", str(tmp_path / "b.npy")], capsys)
    assert code == 0, err
    five = np.load(tmp_path / "b.npy")
    np.testing.assert_array_equal(five, toy.sample_checkpoint(str(toy_run / "checkpoint.npz"), n=20, seed=5))
    assert not np.array_equal(five, toy.sample_checkpoint(str(toy_run / "checkpoint.npz"), n=20, seed=0))


def test_eval_scores_as_many_samples_as_n_says(toy_run, capsys):
    code, out, _ = run_cli(["eval", "--checkpoint", str(toy_run), "-n", "100"], capsys)
    assert code == 0 and "(within 3 std of the nearest mode, 100 samples)" in out
    code, out, _ = run_cli(["eval", "--checkpoint", str(toy_run)], capsys)
    assert code == 0 and "(within 3 std of the nearest mode, 2500 samples)" in out  # the toy protocol's default


def test_ctrl_c_exits_with_130_and_no_command_with_2(monkeypatch, capsys):
    from minigan.experiments import toy

    def interrupted(out, pictures=True, **settings):
        raise KeyboardInterrupt

    monkeypatch.setattr(toy, "run", interrupted)
    code, _, err = run_cli(["train", "toy", "--steps", "1"], capsys)
    assert code == 130 and err.strip() == "interrupted"  # 128 + SIGINT, as a shell reports Ctrl-C
    code, out, _ = run_cli([], capsys)
    assert code == 2 and "usage: minigan" in out


def test_a_toy_runs_files_record_every_setting_its_steps_and_its_seed(toy_run):
    from minigan.experiments.toy import DEFAULTS

    config = json.loads((toy_run / "config.json").read_text())
    config.pop("environment")
    given = {"dataset": "grid", "loss": "minimax", "k": 2, "steps": 6, "batch_size": 32, "lr": 0.001, "seed": 1}
    assert config == {**DEFAULTS, **given}  # the settings not given too: lr schedule, betas, r1, ema, ...
    assert (config["r1"], config["ema"], config["betas"]) == (0.1, 0.999, [0.5, 0.9])
    # 6 steps with log_every 10 and eval_every 1000: only the last step is logged and evaluated
    records = [json.loads(line) for line in (toy_run / "metrics.jsonl").read_text().splitlines()]
    assert [(r["step"], bool(r.get("eval"))) for r in records] == [(6, False), (6, True)]
    summary = json.loads((toy_run / "summary.json").read_text())
    assert {k: summary[k] for k in ("steps", "dataset", "loss", "seed", "num_modes")} == {
        "steps": 6, "dataset": "grid", "loss": "minimax", "seed": 1, "num_modes": 25}


def test_the_toy_recipe_reaches_the_optimizers_and_the_trainer():
    from minigan.experiments import toy

    config = dict(toy.DEFAULTS, dataset="ring", loss="hinge", k=3, lr=0.003, betas=[0.3, 0.8], r1=0.4, ema=0.9,
                  hidden=8, z_dim=4)
    trainer, _ = toy.make_trainer(config)
    for opt in (trainer.opt_g, trainer.opt_d):
        assert opt.param_groups[0]["lr"] == 0.003 and tuple(opt.param_groups[0]["betas"]) == (0.3, 0.8)
    assert (trainer.k, trainer.loss, trainer.ema_decay) == (3, "hinge", 0.9) and trainer.G_ema is not None
    # D sees the data at rms_radius 4, and the ring's own size is sqrt(E||x||^2) = sqrt(1 + 2 * 0.01^2) (radius 1,
    # std 0.01): grad_x D is 4 / size times larger in data units, so R1 weighs (size / 4)^2 as much
    assert trainer.r1 == pytest.approx(0.4 * (1 + 2 * 0.01**2) / 16, rel=1e-9)
