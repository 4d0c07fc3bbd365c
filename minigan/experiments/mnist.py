"""`minigan train mnist`: the reference DCGAN (or its conditional variant) on MNIST.

The run folder holds:

* ``config.json``            the settings of the run, and what it ran on (``environment``)
* ``checkpoint.npz``          models, optimizers, RNG states, data-loader state, epoch
                              (rewritten atomically after every epoch, and on Ctrl-C)
* ``metrics.jsonl``           one line per epoch: mean losses, D outputs, seconds, peak memory
* ``samples_epoch_NNN.png``   an 8x8 grid from the same fixed noise after every epoch
* ``samples.gif``, ``losses.png``   at the end: the grids as an animation, and the loss curves

Resuming (``--resume DIR``) restores everything the next iteration depends on:
weights, Adam moments, minigan's random generator (the noise z), the data
loader's shuffling generator and position. So 2 epochs + resume to 4 gives
bit-identical weights to 4 epochs in one go.

The GAN loop itself is ``minigan.gan.GANTrainer`` (Algorithm 1); this file only
feeds it one MNIST batch per iteration and does the bookkeeping around it.

By default the unconditional DCGAN's D is also regularised with an R1 penalty,
gamma = 1 (``--r1 0`` turns it off): on seed 0 it lifted the judge's score from
80% to 85% of the real digits', halved the Frechet distance and brought every
digit to 7-13% of the samples. Computed in every iteration it made an
iteration about 30% slower; the default computes it only every 16th iteration,
weighted 16 times (``--r1-every``, "lazy regularisation" as in StyleGAN2),
which scored the same (85.2% against 85.5% of the real digits') with about a
fifth less time per iteration (160 against 202 ms on the 2-core machine). The conditional model trains without R1 by default: there it
lowered the judge's accuracy on the requested labels from 97.6% to 93.7%
(docs/mnist_results.md).
"""

import copy
import json
import math
import os
import shutil
import time
from pathlib import Path

import numpy as np

from .. import autograd as ag
from .. import backend, optim
from ..data.loader import DataLoader
from ..data.mnist import MNIST
from ..gan import LOSSES, GANTrainer, TrainingDiverged, sample
from ..models import Z_DIM, dcgan
from ..serialization import CheckpointError, load, require_entries
from . import SettingError, environment, peak_memory_mb, refuse_to_overwrite, shell_quoted
from .interrupt import CtrlC, StopBetweenIterations

KIND = "mnist-dcgan"
MAX_SAMPLES = 10**5  # the most `minigan sample` and `eval` draw at once, (n, 1, 28, 28) images: 314 MB of float32
CHECKPOINT = "checkpoint.npz"
RUN_FILES = ("config.json", "metrics.jsonl", "samples_epoch_*.png", "samples.gif", "losses.png")  # besides CHECKPOINT
GRID = 8  # the sample grid is GRID x GRID images
DEFAULT_R1 = 1.0  # R1 weight of the unconditional DCGAN (the conditional one trains without)
DEFAULT_R1_EVERY = 16  # R1 only every 16th iteration, weighted 16 times (lazy regularisation): same score, faster
# settings that checkpoints written before they existed lack, with what those runs trained with
OLD_RUNS = {"ema": 0.0, "r1": 0.0, "r1_every": 1, "g_steps": 1}
# what resuming reads from a checkpoint besides the trainer's own entries (which GANTrainer checks)
RESUME_ENTRIES = ("config.batch_size", "config.loss", "config.seed", "config.subset", "config.lr", "config.beta1",
                  "epoch", "loader.rng", "loader.in_epoch", "loader.batches_done", "history.loss_d", "history.loss_g",
                  "history.D_real", "history.D_fake", "history.steps_per_epoch")


def make_config(epochs=5, batch_size=64, loss="nonsaturating", conditional=False, seed=0, subset=None,
                lr=2e-4, beta1=0.5, ema=0.0, r1=None, r1_every=DEFAULT_R1_EVERY, g_steps=1):
    """The settings of a run, validated; a ValueError names the bad one.

    ``r1=None`` picks the default R1 weight: 1 for the DCGAN, 0 for the conditional one.
    """
    if r1 is None:
        r1 = 0.0 if conditional else DEFAULT_R1
    if not 0.0 <= float(r1) < math.inf:  # (NaN fails this too)
        raise SettingError(f"r1 (the weight of the R1 penalty) must be >= 0 and finite, got {r1}")
    if not 0.0 < float(lr) < math.inf:
        raise SettingError(f"lr (Adam's learning rate) must be a finite number > 0, got {lr}")
    if int(r1_every) < 1:
        raise SettingError(f"r1_every (iterations between R1 penalties) must be at least 1, got {r1_every}")
    if int(g_steps) < 1:
        raise SettingError(f"g_steps (generator steps per iteration) must be at least 1, got {g_steps}")
    if not 0.0 <= float(ema) < 1.0:
        raise SettingError(f"ema (the decay of G's weight average) must be in [0, 1), got {ema}")
    if int(epochs) < 1:
        raise SettingError(f"epochs must be at least 1, got {epochs}")
    if int(batch_size) < 2:
        raise SettingError(f"batch size must be at least 2 (batch norm needs 2 samples), got {batch_size}")
    if loss not in LOSSES:
        raise SettingError(f"unknown loss {loss!r}: choose one of {', '.join(LOSSES)}")
    if subset is not None and not 0 < int(subset) <= 60000:
        raise SettingError(f"subset must be between 1 and 60000 training images, got {subset}")
    if subset is not None and int(subset) < int(batch_size):
        raise SettingError(f"subset ({subset}) is smaller than one batch ({batch_size}): no full batch to train on")
    if subset is None and int(batch_size) > 60000:
        raise SettingError(f"batch size {batch_size} is larger than MNIST's 60000 training images: no full batch to "
                           "train on")
    return {"epochs": int(epochs), "batch_size": int(batch_size), "loss": loss, "conditional": bool(conditional),
            "seed": int(seed), "subset": None if subset is None else int(subset), "lr": float(lr),
            "beta1": float(beta1), "ema": float(ema), "r1": float(r1), "r1_every": int(r1_every),
            "g_steps": int(g_steps)}


def fixed_noise(config, device="cpu"):
    """The noise (and labels) of the sample grids: the same for every epoch, drawn from their own generator."""
    rng = np.random.default_rng(config["seed"] + 12345)
    z = ag.Tensor(rng.standard_normal((GRID * GRID, Z_DIM), dtype=np.float32), device=device)
    labels = ag.Tensor(np.arange(GRID * GRID) % 10, device=device) if config["conditional"] else None
    return z, labels


def generate(G, z, labels=None):
    """G's images for noise z (and labels) in eval mode (batch norm uses running statistics), as NumPy."""
    was_training = G.training
    G.eval()
    try:
        with ag.no_grad():
            images = G(z) if labels is None else G(z, labels)
    finally:
        G.train(was_training)
    return images.numpy()


def image_grid(images, columns=GRID, scale=2, pad=2):
    """Images (N, 1, H, W) in [-1, 1] -> one PIL image, `columns` per row, separated by grey lines."""
    from PIL import Image

    from ..plots import tile

    pixels = np.clip((np.asarray(images)[:, :1] + 1.0) * 127.5, 0, 255).astype(np.uint8)
    canvas = tile(pixels, columns, pad, 96)[0]
    return Image.fromarray(canvas).resize((canvas.shape[1] * scale, canvas.shape[0] * scale), Image.NEAREST)


def plot_losses(history, path):
    """Both losses and both mean D outputs over the iterations (smoothed over 50 steps), saved as PNG."""
    from ..plots import new_figure, save_figure

    fig = new_figure(figsize=(10, 3.8))
    axes = fig.subplots(1, 2)
    window = 50

    def smooth(values):
        values = np.asarray(values, dtype=np.float64)
        if len(values) < window:
            return values
        return np.convolve(values, np.ones(window) / window, mode="valid")

    steps_per_epoch = history["steps_per_epoch"]
    for ax, keys, ylabel in [(axes[0], ("loss_d", "loss_g"), "loss"), (axes[1], ("D_real", "D_fake"), "mean D output")]:
        for key in keys:
            y = smooth(history[key])
            ax.plot(np.arange(len(y)) / steps_per_epoch, y, label=key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=8)
    axes[0].set_title(f"losses (moving average over {window} iterations)")
    axes[1].set_title("D(x) on real and D(G(z)) on generated")
    fig.tight_layout()
    save_figure(fig, path)


def _checkpoint_file(path):
    """The checkpoint file a run folder or a checkpoint path names."""
    return Path(path) / CHECKPOINT if Path(path).is_dir() else Path(path)


def read_checkpoint(path):
    """Load a checkpoint of this experiment; a clear CheckpointError for a foreign, corrupt or incomplete file."""
    path = _checkpoint_file(path)
    state = load(path)  # raises CheckpointError for missing / corrupt / non-minigan files
    if not isinstance(state, dict) or state.get("kind") != KIND:
        kind = state.get("kind") if isinstance(state, dict) else None
        raise CheckpointError(
            f"{path} is a checkpoint of {kind!r}, not of the MNIST DCGAN ({KIND!r}); "
            "point --resume/--checkpoint to a folder written by `minigan train mnist`"
        )
    require_entries(state, path, ("config.conditional", "G"))  # what sampling needs
    return state


def _history_lists(history):
    return {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in history.items()}


def train_mnist(epochs=5, batch_size=None, loss=None, conditional=None, device="cpu", seed=None,
                out=None, resume=None, subset=None, dry_run=False, lr=None, beta1=None, ema=None, r1=None,
                r1_every=None, g_steps=None, progress=True, dataset=None, log=print, pictures=True):
    """Train the DCGAN on MNIST; returns {"G", "D", "trainer", "epoch", "out", "history"}.

    The run's settings (batch_size to g_steps) left at None take make_config's defaults. With
    ``resume`` (a run folder or checkpoint file) they come from the checkpoint (one given with
    another value is refused) and training continues up to ``epochs`` epochs in total, in the
    checkpoint's folder unless ``out`` names another (default without resume: runs/mnist).
    ``dataset`` replaces MNIST's training set (tests use tiny ones); ``pictures=False``
    skips the end-of-run GIF and loss plot.
    """
    device = backend.check_device(device)
    if not isinstance(epochs, int) or epochs < 1:
        raise SettingError(f"epochs must be a whole number >= 1, got {epochs!r}")
    settings = {name: value for name, value in dict(
        batch_size=batch_size, loss=loss, conditional=conditional, seed=seed, subset=subset, lr=lr, beta1=beta1,
        ema=ema, r1=r1, r1_every=r1_every, g_steps=g_steps).items() if value is not None}
    if out is None:
        out = "runs/mnist" if resume is None else _checkpoint_file(resume).parent
    state = None
    if resume is not None:
        state = read_checkpoint(resume)
        require_entries(state, _checkpoint_file(resume), RESUME_ENTRIES)
        config = dict(state["config"], epochs=int(epochs))
        try:  # a hand-edited or damaged checkpoint's settings: said so, not blamed on the command line
            make_config(**{**OLD_RUNS, **config})
        except (ValueError, TypeError) as e:
            raise CheckpointError(f"{resume}: the settings saved in the checkpoint are not valid ({e}); re-create "
                                  "it, or point to another checkpoint") from None
        changed = [f"{name}={value!r} (saved: {config.get(name, OLD_RUNS.get(name))!r})"
                   for name, value in settings.items() if value != config.get(name, OLD_RUNS.get(name))]
        if changed:  # the saved settings win: one given here would be ignored without a word
            raise SettingError(f"resume continues {resume} with the settings saved in its checkpoint, so "
                               f"{', '.join(changed)} cannot change it; drop them, or start a new run")
        log(f"resuming {resume} at epoch {state['epoch']} (settings from the checkpoint: "
            f"loss={config['loss']}, batch size {config['batch_size']}, conditional={config['conditional']})")
        if int(state["epoch"]) >= config["epochs"]:
            log(f"{resume} has trained {state['epoch']} epochs already: nothing to train up to --epochs {epochs}; "
                f"give a larger --epochs to continue")
    else:
        config = make_config(epochs, **settings)

    # -- everything the run is made of, built in a fixed order from the seed
    backend.manual_seed(config["seed"])
    G, D = dcgan(config["conditional"], device=device)
    betas = (config["beta1"], 0.999)
    opt_g = optim.Adam(G.parameters(), lr=config["lr"], betas=betas)
    opt_d = optim.Adam(D.parameters(), lr=config["lr"], betas=betas)
    data = dataset if dataset is not None else MNIST(train=True)
    if config["subset"] is not None:
        data = data.subset(config["subset"])
    loader = DataLoader(data, config["batch_size"], shuffle=True, drop_last=True, seed=config["seed"], device=device)
    # optional: sample from an exponential moving average of G's weights (G_ema), as in the toy recipe
    G_ema = copy.deepcopy(G) if config.get("ema") else None
    trainer = GANTrainer(G, D, opt_g, opt_d, real_batches=None, z_dim=Z_DIM, loss=config["loss"],
                         G_ema=G_ema, ema_decay=config.get("ema") or 0.999,
                         r1=config.get("r1", 0.0),  # checkpoints from before --r1 existed trained without it
                         r1_every=config.get("r1_every", 1),  # ... and from before --r1-every, with R1 every step
                         g_steps=config.get("g_steps", 1))
    G_show = trainer.G_sample  # the generator whose samples we show and score
    z_grid, labels_grid = fixed_noise(config, device)
    history = {"loss_d": [], "loss_g": [], "D_real": [], "D_fake": [], "steps_per_epoch": len(loader)}
    epoch = 0
    if state is not None:
        try:
            trainer.load_state_dict(state)
            loader.load_state_dict(state["loader"])
        except (ValueError, KeyError, TypeError) as e:
            raise CheckpointError(f"{resume}: the checkpoint does not fit the MNIST DCGAN ({e})") from None
        history = _history_lists(state["history"])
        epoch = int(state["epoch"])

    out = Path(out)
    if any(folder.is_file() for folder in (out, *out.parents)):  # (found before a dry run too, not by mkdir later)
        raise SettingError(f"{out}: a file is in the way of the run folder; choose another --out")
    source = None if resume is None else _checkpoint_file(resume).parent
    elsewhere = source is not None and out.resolve() != source.resolve()  # resumed into a folder of its own
    in_the_way = out / CHECKPOINT  # a run's checkpoint, unless it is the very file being continued
    # (samefile, not the names: on macOS and Windows RUN/Checkpoint.npz is RUN/checkpoint.npz)
    if in_the_way.exists() and (state is None or not os.path.samefile(in_the_way, _checkpoint_file(resume))):
        if state is None:
            raise SettingError(f"{out} already holds a run (checkpoint.npz); continue it with "
                               f"--resume {shell_quoted(out)}, or choose another --out")
        raise SettingError(f"{out} already holds a run (checkpoint.npz) other than {resume}, which continuing "
                           f"there would overwrite; continue {resume} in a new folder with --out NEW, or continue "
                           f"{out}'s own run with --resume {shell_quoted(out)}")
    if state is None or elsewhere:  # a folder of its own: only the run's own files are its to rewrite
        refuse_to_overwrite(out, RUN_FILES)
    if dry_run:
        return _dry_run(config, G, D, data, loader, trainer, device, out, log)

    if epoch >= config["epochs"]:  # nothing to train (said above): leave the run's files as they are
        return {"G": G, "D": D, "trainer": trainer, "epoch": epoch, "out": out, "history": history, "config": config,
                "new_epochs": 0}
    out.mkdir(parents=True, exist_ok=True)
    if elsewhere:  # the new folder gets the run's grids so far, for the GIF at the end
        for grid in _grids(source, epoch):
            shutil.copy2(grid, out / grid.name)
    (out / "config.json").write_text(json.dumps({**config, "environment": environment(device)}, indent=2) + "\n")
    logged = []  # a fresh run starts a fresh log; a resumed one keeps its lines up to the checkpoint's epoch
    if state is not None and (source / "metrics.jsonl").exists():
        lines = (source / "metrics.jsonl").read_text().splitlines()
        logged = [line + "\n" for line in lines if line.strip() and json.loads(line)["epoch"] <= epoch]
    (out / "metrics.jsonl").write_text("".join(logged))

    def save_checkpoint():
        trainer.save_checkpoint(out / CHECKPOINT, kind=KIND, config=config, epoch=epoch, loader=loader.state_dict(),
                                history={k: np.asarray(v) if isinstance(v, list) else v for k, v in history.items()})

    def one_iteration(real, labels):
        trainer.real_batches = lambda: real if not config["conditional"] else (real, labels)
        step_log = trainer.train_step()  # k=1: one D step and one G step on this batch
        for key in ("loss_d", "loss_g", "D_real", "D_fake"):
            history[key].append(step_log[key])
        return step_log

    bar_factory = _progress_bar if progress else None
    with CtrlC() as ctrl_c:
        while epoch < config["epochs"]:
            start = time.perf_counter()
            first_step = epoch * len(loader)  # the epoch's first iteration (a resumed epoch averages all of its own)
            bar = bar_factory(len(loader), f"epoch {epoch + 1}/{config['epochs']}") if bar_factory else None
            for real, labels in loader:
                try:
                    step_log = one_iteration(real, labels)
                except TrainingDiverged as e:  # nothing was updated with the bad loss; say what is kept
                    if bar is not None:
                        bar.close()
                    raise _naming_the_kept_checkpoint(e, out / CHECKPOINT) from None
                if bar is not None:
                    bar.update(1)
                    if trainer.step % 20 == 0:
                        bar.set_postfix(loss_d=f"{step_log['loss_d']:.3f}", loss_g=f"{step_log['loss_g']:.3f}")
                if ctrl_c.pressed and loader.state_dict()["batches_done"] < len(loader):
                    break  # (after the epoch's last batch the epoch ends as usual, then the run stops)
            if bar is not None:
                bar.close()
            if ctrl_c.pressed and loader.state_dict()["in_epoch"]:
                save_checkpoint()  # mid-epoch: the loader state records the position
                log(f"interrupted: checkpoint saved in {out / CHECKPOINT}; continue with "
                    f"--resume {shell_quoted(out)}")
                raise StopBetweenIterations
            epoch += 1
            seconds = time.perf_counter() - start
            image_grid(generate(G_show, z_grid, labels_grid)).save(out / f"samples_epoch_{epoch:03d}.png")
            save_checkpoint()
            summary = {"epoch": epoch, "step": trainer.step, "seconds": round(seconds, 2),
                       "peak_memory_mb": None if (mb := peak_memory_mb()) is None else round(mb, 1)}
            for key in ("loss_d", "loss_g", "D_real", "D_fake"):
                summary[key] = float(np.mean(history[key][first_step:])) if len(history[key]) > first_step else None
            with open(out / "metrics.jsonl", "a") as f:
                f.write(json.dumps(summary) + "\n")
            log(f"epoch {epoch}: loss_d {summary['loss_d']:.3f}  loss_g {summary['loss_g']:.3f}  "
                f"D(x) {summary['D_real']:.2f}  D(G(z)) {summary['D_fake']:.2f}  {seconds:.1f} s")
            if ctrl_c.pressed and epoch < config["epochs"]:  # pressed in the epoch's last iteration: it is saved
                log(f"interrupted: checkpoint saved in {out / CHECKPOINT} after epoch {epoch}; continue with "
                    f"--resume {shell_quoted(out)}")
                raise StopBetweenIterations

    if pictures:  # (also after a Ctrl-C in the run's very last iteration: every epoch is done)
        _final_pictures(out, history, epoch)
    return {"G": G, "D": D, "trainer": trainer, "epoch": epoch, "out": out, "history": history, "config": config,
            "new_epochs": epoch - (int(state["epoch"]) if state is not None else 0)}


def _naming_the_kept_checkpoint(error, path):
    """The TrainingDiverged `error` again, saying which checkpoint of this run is kept (or that none is yet)."""
    if path.exists():
        kept = load(path)
        where = f"the last good checkpoint is {path} (epoch {kept['epoch']}, step {kept['step']})"
    else:
        where = "no checkpoint had been written yet"
    return TrainingDiverged(f"{error} In this run {where}.")


def _progress_bar(total, description):
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="it", leave=False)


def _grids(folder, epochs):
    """The sample grids of epochs 1..epochs in `folder` (those that are there)."""
    grids = [folder / f"samples_epoch_{epoch:03d}.png" for epoch in range(1, epochs + 1)]
    return [grid for grid in grids if grid.exists()]


def _final_pictures(out, history, epochs):
    """The GIF of every epoch's grid and the loss plot."""
    from PIL import Image

    from ..plots import save_gif

    grids = _grids(out, epochs)
    if grids:
        save_gif([Image.open(p).convert("L") for p in grids], out / "samples.gif", seconds_per_frame=0.5)
    if history["loss_d"]:
        plot_losses(history, out / "losses.png")


def _dry_run(config, G, D, data, loader, trainer, device, out, log):
    """Check the settings, the data and two iterations, and say what a real run would do; writes nothing.

    The second iteration is the one timed: the first pays one-off costs (memory, BLAS threads).
    """
    def count(model):
        return sum(p.numel() for p in model.parameters())

    batch = next(iter(loader))
    trainer.real_batches = lambda: batch if config["conditional"] else batch[0]
    times = []
    for _ in range(2):
        start = time.perf_counter()
        trainer.train_step()
        times.append(time.perf_counter() - start)
    first, seconds = times
    log(f"dry run: {len(data)} training images, {len(loader)} iterations of batch {config['batch_size']} per epoch, "
        f"{config['epochs']} epochs, loss {config['loss']}, R1 gamma {config.get('r1', 0.0):g} every "
        f"{config.get('r1_every', 1)} iteration(s), {config.get('g_steps', 1)} G step(s) per iteration, "
        f"{'conditional' if config['conditional'] else 'unconditional'} DCGAN on {device}")
    log(f"G has {count(G):,} parameters, D has {count(D):,}; an iteration took {seconds:.2f} s (the first, with "
        f"start-up costs, {first:.2f} s), so about {seconds * len(loader):.0f} s per epoch; would write to {out}")
    if device == "cpu":  # most of an iteration is matrix products: say what runs them
        log(backend.numpy_blas())
    return {"config": config, "iteration_seconds": seconds, "iterations_per_epoch": len(loader)}


# --------------------------------------------------------- sampling and eval
def load_generator(path, device="cpu"):
    """The generator stored in a checkpoint of this experiment, and the run's config."""
    state = read_checkpoint(path)
    G, _ = dcgan(state["config"]["conditional"], device=device)
    try:
        G.load_state_dict(state["G_ema"] if "G_ema" in state else state["G"])  # the weight average when kept
    except (ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{_checkpoint_file(path)}: the checkpoint does not fit the MNIST DCGAN ({e})") from None
    return G, state["config"]


def sample_mnist(path, n=10000, seed=0, device="cpu", batch_size=500):
    """n images (n, 1, 28, 28) from a checkpoint's generator, and their labels (digits 0..9 in turn if conditional)."""
    G, config = load_generator(path, device)
    backend.manual_seed(seed)
    labels = np.arange(n) % 10 if config["conditional"] else None
    G.eval()  # batch norm uses its running statistics, as in the sample grids
    y = None if labels is None else ag.Tensor(labels, device=device)
    return sample(G, n, Z_DIM, batch_size=batch_size, device=device, labels=y), labels


def sample_checkpoint(path, n=2500, seed=0):
    """`minigan sample`: n generated images (n, 1, 28, 28) in [-1, 1] as a NumPy array."""
    return sample_mnist(path, n, seed)[0]


def save_sample_picture(path, samples, out, seed=0):
    """`minigan sample --out X.png`: the generated digits as one grid image, about square.

    (`path` and `seed` are for the toy version, which draws real points to show next to the samples.)
    """
    image_grid(samples, columns=int(np.ceil(np.sqrt(len(samples))))).save(out)


def evaluate_mnist(path, n=10000, seed=0, device="cpu", judge=None):
    """Judge n generated digits against the real test set (see minigan.judge); returns the report dict."""
    from ..judge import evaluate

    images, labels = sample_mnist(path, n, seed, device)
    return evaluate(images, labels, judge=judge)


def evaluate_checkpoint(path, n=10000, seed=0):
    """`minigan eval`: the judge's report on n generated digits, as lines of text."""
    from ..judge import format_report

    if n < 2:
        raise SettingError(f"-n must be at least 2 to score generated digits (the Frechet distance needs their "
                           f"covariance), got {n}")
    report = evaluate_mnist(path, n, seed)
    gen = report["generated"]
    shares = gen["digit_shares"]
    verdict = [
        f"MNIST score {gen['mnist_score']:.3f} = {gen['mnist_score'] / report['real']['mnist_score']:.1%} of the real "
        f"test set's (target >= 95%); digit shares {min(shares):.1%}..{max(shares):.1%} (target 7%..13%)"
    ]
    if "accuracy" in gen:
        verdict.append(f"judge accuracy on the requested labels {gen['accuracy']:.1%} (target >= 97%)")
    judge = report.get("judge", "scikit-learn's MLP")
    return [f"{n} generated digits vs the 10,000 real test digits, judged by {judge}"] + \
        format_report(report).splitlines() + verdict
