"""Bad input at the command line: one clear line (exit code 2), never a traceback; good edge values pass.

Every case runs `minigan ...` in this process. The MNIST commands read the 10,000 test digits instead of
the training set (loaded once), so that each case takes a fraction of a second.
"""

import os
import sys

import numpy as np
import pytest

import minigan
from minigan import cli
from minigan.data import MNIST
from minigan.experiments import mnist, toy
from test_cli_toy import run_cli  # (exit code, stdout, stderr) of `minigan ARGV`, run in this process


@pytest.fixture(scope="module")
def digits():
    return MNIST(train=False)


@pytest.fixture(autouse=True)
def small_mnist(monkeypatch, digits, tmp_path):
    """`minigan train mnist` on the test digits (10,000 images, loaded once) instead of the training set;
    and a command let through by mistake writes its default runs/... folder into tmp_path."""
    monkeypatch.setattr(mnist, "MNIST", lambda train=True: digits)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def files(tmp_path_factory, digits):
    """A toy run, an MNIST run, and broken or foreign files, by name."""
    root = tmp_path_factory.mktemp("cli_errors")
    toy.run(str(root / "toy"), progress=False, pictures=False, steps=2, batch_size=8)
    mnist.train_mnist(epochs=1, out=root / "mnist", dataset=digits, batch_size=8, subset=16, r1=0.0, progress=False,
                      log=lambda *a: None, pictures=False)
    (root / "a_file").write_text("not a folder, not a checkpoint")
    (root / "empty_folder").mkdir()
    (root / "corrupt.npz").write_bytes((root / "toy" / "checkpoint.npz").read_bytes()[:300])  # a cut-off copy
    for name, run_files in {"leftovers": ["config.json", "metrics.jsonl"],  # a run stopped before its first checkpoint
                            "toy_pictures": ["gan_lab.png", "frames/step_000010.png"],
                            "mnist_pictures": ["samples_epoch_001.png"]}.items():
        for file in run_files:
            (root / name / file).parent.mkdir(parents=True, exist_ok=True)
            (root / name / file).write_text("someone's")

    def edited(run, name, **config):  # a copy of a run's checkpoint with some saved settings changed
        state = minigan.load(root / run / "checkpoint.npz")
        state["config"].update(config)
        minigan.save(state, root / name / "checkpoint.npz")

    edited("mnist", "says_conditional", conditional=True)  # plain weights, a conditional model's settings
    edited("mnist", "bad_loss", loss="nope")
    edited("toy", "bad_dataset", dataset="spiral")
    edited("toy", "on_cuda", device="cuda")
    return root


TOY = ["train", "toy", "--steps", "1", "--batch-size", "8", "--no-pictures"]
MNIST_DRY = ["train", "mnist", "--dry-run", "--subset", "16", "--batch-size", "8"]

# (argv, what the one line must say); {f} is the folder of `files`, {tmp} an empty folder of the test's own
BAD = [
    # the parser: the option, what it expects, what it got
    (TOY + ["--steps", "abc"], "argument --steps: expected a whole number, got 'abc'"),
    (TOY + ["--steps", "nan"], "argument --steps: expected a whole number"),
    (TOY + ["--steps", "-5"], "argument --steps: must be >= 0"),
    (TOY + ["--batch-size", "0"], "argument --batch-size: must be positive, got 0"),
    (TOY + ["--batch-size", ""], "argument --batch-size: expected a whole number, got ''"),
    (TOY + ["--k", "0"], "argument --k: must be positive"),
    (TOY + ["--lr", "nan"], "argument --lr: must be positive, got nan"),
    (TOY + ["--lr", "abc"], "argument --lr: expected a number, got 'abc'"),
    (TOY + ["--r1", "abc"], "argument --r1: invalid float value: 'abc'"),
    (TOY + ["--seed", "4294967296"], "argument --seed: must be below 2**32"),
    (TOY + ["--dataset", "spiral"], "argument --dataset: invalid choice: 'spiral'"),
    (TOY + ["--dataset", ""], "argument --dataset: invalid choice: ''"),
    (TOY + ["--loss", "wasserstein"], "argument --loss: invalid choice: 'wasserstein'"),
    (TOY + ["--device", "tpu"], "argument --device: choose 'cpu' or 'cuda', got 'tpu'"),
    (TOY + ["--out", ""], "argument --out: expected a file or folder name, got an empty string"),
    (["train", "toy", "--resume", ""], "argument --resume: expected a file or folder name, got an empty string"),
    (MNIST_DRY + ["--epochs", "0"], "argument --epochs: must be positive, got 0"),
    (MNIST_DRY + ["--epochs", "1.5"], "argument --epochs: expected a whole number, got '1.5'"),
    (MNIST_DRY + ["--subset", "0"], "argument --subset: must be positive"),
    (MNIST_DRY + ["--r1-every", "0"], "argument --r1-every: must be positive, got 0"),
    (MNIST_DRY + ["--g-steps", "0"], "argument --g-steps: must be positive, got 0"),
    (MNIST_DRY + ["--ema", "abc"], "argument --ema: invalid float value: 'abc'"),
    (MNIST_DRY + ["--loss", "nope"], "argument --loss: invalid choice: 'nope'"),
    (MNIST_DRY + ["--seed", "99999999999999999999"], "argument --seed: must be below 2**32"),
    (MNIST_DRY + ["--out", ""], "argument --out: expected a file or folder name, got an empty string"),
    (["train", "mnist", "--resume", ""], "argument --resume: expected a file or folder name"),
    (["sample", "--checkpoint", ""], "argument --checkpoint: expected a file or folder name, got an empty string"),
    (["sample", "--checkpoint", "{f}/toy", "-n", "0"], "argument -n: must be positive, got 0"),
    (["sample", "--checkpoint", "{f}/toy", "-n", "1e9"], "argument -n: expected a whole number, got '1e9'"),
    (["sample"], "the following arguments are required: --checkpoint"),
    (["eval", "--checkpoint", ""], "argument --checkpoint: expected a file or folder name"),
    (["eval", "--checkpoint", "{f}/toy", "--seed", "-1"], "argument --seed: must be >= 0, got -1"),
    (["eval", "--checkpoint", "{f}/toy", "--seed", "4294967296"], "argument --seed: must be below 2**32"),
    (["demo", "--steps", "0"], "argument --steps: must be positive"),
    (["demo", "--seed", "99999999999999999999"], "argument --seed: must be below 2**32"),  # (scikit-learn's error)
    (["bench", "nope"], "argument what: invalid choice: 'nope'"),
    (["bench", "conv", "--repeats", "0"], "argument --repeats: must be positive"),
    (["bench", "conv", "--device", "tpu"], "argument --device: choose 'cpu' or 'cuda'"),
    (["train", "nope"], "argument EXPERIMENT: invalid choice: 'nope'"),
    (["train", "toy", "--stepz", "3"], "unrecognized arguments: --stepz 3"),
    # the settings together, checked before any work
    (TOY + ["--lr", "inf", "--out", "{tmp}/run"], "lr must be a finite number > 0, got inf"),
    (TOY + ["--r1", "nan", "--out", "{tmp}/run"], "r1 must be a finite number >= 0, got nan"),
    (MNIST_DRY + ["--lr", "inf"], "lr (Adam's learning rate) must be a finite number > 0, got inf"),
    (MNIST_DRY + ["--r1", "inf"], "r1 (the weight of the R1 penalty) must be >= 0 and finite, got inf"),
    (MNIST_DRY + ["--r1", "nan"], "r1 (the weight of the R1 penalty) must be >= 0 and finite, got nan"),
    (MNIST_DRY + ["--ema", "1.5"], "ema (the decay of G's weight average) must be in [0, 1), got 1.5"),
    (MNIST_DRY + ["--ema", "nan"], "ema (the decay of G's weight average) must be in [0, 1), got nan"),
    (MNIST_DRY + ["--subset", "70000"], "subset must be between 1 and 60000 training images, got 70000"),
    (MNIST_DRY + ["--batch-size", "17"], "subset (16) is smaller than one batch (17)"),
    (["train", "mnist", "--dry-run", "--batch-size", "70000"], "batch size 70000 is larger than MNIST's 60000"),
    (MNIST_DRY + ["--batch-size", "1"], "batch size must be at least 2"),
    # folders and files
    (TOY + ["--out", "{f}/a_file"], "(a file is in the way of a folder: choose another --out)"),
    (TOY + ["--out", "{f}/toy"], "already holds a run (checkpoint.npz); continue it with --resume"),
    (MNIST_DRY + ["--out", "{f}/a_file"], "a_file: a file is in the way of the run folder; choose another --out"),
    (MNIST_DRY + ["--out", "{f}/a_file/run"], "a file is in the way of the run folder; choose another --out"),
    (MNIST_DRY + ["--out", "{f}/mnist"], "already holds a run (checkpoint.npz)"),
    # ... or files a run writes, with no checkpoint to continue: never overwritten
    (TOY + ["--out", "{f}/leftovers"], "leftovers holds files a run writes (config.json, metrics.jsonl), which this "
                                       "run would overwrite, and no checkpoint to continue; choose another --out"),
    (TOY + ["--out", "{f}/toy_pictures"], "toy_pictures holds files a run writes (frames/step_000010.png, gan_lab.png)"),
    (MNIST_DRY + ["--out", "{f}/leftovers"], "leftovers holds files a run writes (config.json, metrics.jsonl)"),
    (MNIST_DRY + ["--out", "{f}/mnist_pictures"], "mnist_pictures holds files a run writes (samples_epoch_001.png)"),
    (["train", "mnist", "--resume", "{f}/mnist", "--epochs", "2", "--out", "{f}/leftovers", "--dry-run"],
     "leftovers holds files a run writes (config.json, metrics.jsonl)"),
    (["sample", "--checkpoint", "{f}/toy", "--out", "{tmp}"], "is a folder; name a file in it, e.g. "),
    (["sample", "--checkpoint", "{f}/toy", "--out", "{tmp}/no/s.npy"], "no does not exist: create it, or choose another"),
    (["sample", "--checkpoint", "{f}/toy", "--out", "{f}/a_file/s.npy"], "a_file is a file: choose another --out"),
    (["sample", "--checkpoint", "{f}/toy", "--out", "{tmp}/s.txt"], "--out must name a .npy file"),
    (["sample", "--checkpoint", "{f}/toy", "-n", "1000001"], "argument -n: at most 1,000,000 samples"),
    (["eval", "--checkpoint", "{f}/mnist", "-n", "100001"], "argument -n: at most 100,000 samples"),
    (["eval", "--checkpoint", "{f}/mnist", "-n", "1"], "-n must be at least 2 to score generated digits"),
    # checkpoints: missing, of the other kind, corrupt, damaged, or resumed with other settings
    (["train", "toy", "--resume", "{tmp}/missing"], "checkpoint not found"),
    (["train", "toy", "--resume", "{f}/empty_folder"], "checkpoint not found"),
    (["train", "mnist", "--resume", "{f}/missing"], "checkpoint not found"),
    (["sample", "--checkpoint", "{f}/missing.npz"], "checkpoint not found"),
    (["eval", "--checkpoint", "{f}/empty_folder"], "is a folder, not a checkpoint file"),
    (["train", "toy", "--resume", "{f}/mnist"], "is a checkpoint of 'mnist-dcgan', not of a toy GAN run"),
    (["train", "mnist", "--resume", "{f}/toy"], "is a checkpoint of 'toy', not of the MNIST DCGAN"),
    (["eval", "--checkpoint", "{f}/a_file"], "is not a minigan checkpoint: it is not a .npz (zip) archive"),
    (["eval", "--checkpoint", "{f}/corrupt.npz"], "is not a readable minigan checkpoint"),
    (["train", "mnist", "--resume", "{f}/corrupt.npz"], "is not a readable minigan checkpoint"),
    (["train", "toy", "--resume", "{f}/corrupt.npz"], "copy it as checkpoint.npz into a new folder"),
    (["sample", "--checkpoint", "{f}/says_conditional", "-n", "5"], "the checkpoint does not fit the MNIST DCGAN"),
    (["train", "mnist", "--resume", "{f}/says_conditional", "--dry-run"], "the checkpoint does not fit the MNIST DCGAN"),
    (["train", "mnist", "--resume", "{f}/bad_loss", "--dry-run"], "the settings saved in the checkpoint are not valid"),
    (["eval", "--checkpoint", "{f}/bad_dataset"], "the settings saved in the checkpoint are not valid (unknown dataset"),
    (["train", "toy", "--resume", "{f}/bad_dataset"], "the settings saved in the checkpoint are not valid"),
    (["train", "toy", "--resume", "{f}/toy", "--steps", "5"], "so --steps cannot change it"),
    (["train", "toy", "--resume", "{f}/toy", "--out", "{tmp}/x"], "so --out cannot change it"),
    (["train", "mnist", "--resume", "{f}/mnist", "--lr", "0.1"], "so --lr cannot change it"),
    (["train", "mnist", "--resume", "{f}/mnist", "--conditional"], "so --conditional cannot change it"),
]


@pytest.mark.parametrize("argv, message", BAD, ids=[" ".join(argv) for argv, _ in BAD])
def test_bad_input_is_one_clear_line_and_exit_code_2(argv, message, files, tmp_path, capsys):
    argv = [a.format(f=files, tmp=tmp_path) for a in argv]
    code, _, err = run_cli(argv, capsys)
    assert code == 2, err
    assert message in err and "Traceback" not in err, err
    assert err.startswith("minigan") and " error: " in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "run").exists()  # refused before any folder is made


@pytest.mark.skipif(minigan.cuda_is_available(), reason="a GPU is usable here")
def test_a_gpu_that_is_not_there_is_one_line(files, capsys):
    for argv in (TOY + ["--device", "cuda"], MNIST_DRY + ["--device", "cuda"], ["bench", "conv", "--device", "cuda"]):
        code, _, err = run_cli(argv, capsys)
        assert code == 2 and "argument --device: device 'cuda' is not usable here" in err and "Traceback" not in err
    # a run trained on a GPU continues on one (its device is one of its saved settings)
    code, _, err = run_cli(["train", "toy", "--resume", str(files / "on_cuda")], capsys)
    assert code == 2 and "trained on device 'cuda', which is not usable here" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root (and Windows) may write anywhere")
def test_a_folder_without_permission_is_one_line(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        code, _, err = run_cli(TOY + ["--out", str(locked / "run")], capsys)
    finally:
        locked.chmod(0o700)
    assert code == 2 and "Permission denied" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_out_of_memory_is_one_line_naming_what_to_shrink(monkeypatch, tmp_path, capsys):
    def too_large(out, pictures=True, **settings):  # as NumPy says it for --batch-size 99999999999
        raise MemoryError("Unable to allocate 745. GiB for an array with shape (99999999999,) and data type int64")

    monkeypatch.setattr(toy, "run", too_large)
    code, _, err = run_cli(TOY + ["--out", str(tmp_path / "run")], capsys)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "out of memory (Unable to allocate" in err and "try a smaller --batch-size or -n" in err


@pytest.mark.parametrize("command", [TOY, ["train", "mnist", "--subset", "16", "--batch-size", "8", "--epochs", "1"]])
def test_a_bug_inside_training_keeps_its_traceback(command, monkeypatch, tmp_path):
    """Only bad input is said in one line: an error in the training itself is raised as it is."""
    def broken(self, *args, **kwargs):
        raise ValueError("a bug in the training step")

    monkeypatch.setattr(minigan.gan.GANTrainer, "train_step", broken)
    with pytest.raises(ValueError, match="a bug in the training step"):
        cli.main(command + ["--out", str(tmp_path / "run")])


def test_a_run_folder_with_files_of_other_names_is_used_and_they_are_kept(files, tmp_path, capsys):
    for command in (TOY, ["train", "mnist", "--subset", "16", "--batch-size", "8", "--epochs", "1"]):
        out = tmp_path / command[1]
        out.mkdir()
        (out / "notes.txt").write_text("a learner's notes")
        code, _, err = run_cli(command + ["--out", str(out)], capsys)
        assert code == 0, err
        assert (out / "notes.txt").read_text() == "a learner's notes" and (out / "checkpoint.npz").exists()
    for name in ("leftovers", "toy_pictures", "mnist_pictures"):  # the refused runs above left the files as they were
        assert all(file.read_text() == "someone's" for file in (files / name).rglob("*") if file.is_file())


def test_good_edge_values_are_accepted(files, tmp_path, capsys):
    # a subset of exactly one batch, of the smallest batch batch norm takes; the largest seed; penalties off
    code, out, err = run_cli(["train", "mnist", "--dry-run", "--subset", "2", "--batch-size", "2", "--ema", "0",
                              "--r1", "0", "--seed", str(2**32 - 1), "--out", str(tmp_path / "m")], capsys)
    assert code == 0 and "dry run: 2 training images, 1 iterations of batch 2" in out, err
    code, out, err = run_cli(["train", "toy", "--steps", "1", "--batch-size", "1", "--seed", str(2**32 - 1), "--r1", "0",
                              "--no-pictures", "--out", str(tmp_path / "t")], capsys)
    assert code == 0 and "done: 1 steps" in out, err
    code, out, err = run_cli(["sample", "--checkpoint", str(files / "toy"), "-n", "1", "--out", str(tmp_path / "s")],
                             capsys)
    assert code == 0 and np.load(tmp_path / "s.npy").shape == (1, 2), err
    code, out, err = run_cli(["eval", "--checkpoint", str(files / "toy"), "-n", "1"], capsys)
    assert code == 0 and "1 samples" in out, err
