"""A toy 2-D GAN run: `minigan train toy ...` (and plain `minigan train`).

The run folder (--out DIR) gets:

    config.json      the settings of the run, and what it ran on ("environment")
    metrics.jsonl    one JSON line per logged step (V, D(x), D(G(z)), losses, grad norms)
                     and per evaluation (modes covered, high-quality fraction, KL)
    checkpoint.npz   models, optimizers, RNG state and step (exact resume)
    summary.json     the final evaluation (modes covered, high-quality fraction, KL) and the time taken
    samples.png      real vs generated points
    gan_lab.png      D(x) heatmap, samples and the generator's gradient arrows
    curves.png       V, D(x), D(G(z)) and the mode metrics over training
    frames/          the GAN Lab picture at steps/frames-step intervals, one PNG each
    training.gif     those pictures as one animation, over the whole run (resumes included)
"""

import json
import math
import os
import time

from .. import autograd as ag
from .. import backend, gan, nn, optim
from ..data.toy import TOY_DATASETS, toy_dataset
from ..metrics import mode_metrics
from ..serialization import CheckpointError, load, require_entries
from . import SettingError, environment, refuse_to_overwrite, shell_quoted
from .interrupt import CtrlC, StopBetweenIterations

KIND = "toy"
RUN_FILES = ("config.json", "metrics.jsonl", "summary.json", "samples.png", "gan_lab.png", "curves.png",
             "frames/step_*.png", "training.gif")  # what a run writes besides checkpoint.npz
MAX_SAMPLES = 10**6  # the most `minigan sample` and `eval` draw at once, (n, 2) points: 8 MB of float32

# The default recipe (see docs/toy_results.md for how it scores).
DEFAULTS = {
    "dataset": "ring",
    "loss": "nonsaturating",
    "k": 1,
    "steps": 20000,
    "batch_size": 512,
    "lr": 2e-3,  # both networks; constant, then linear decay to 0 over the last part of the run
    "lr_decay_start": 0.5,  # fraction of the run after which the decay starts (1 = no decay)
    "betas": [0.5, 0.9],
    "z_dim": 16,
    "hidden": 128,
    "depth": 2,  # hidden layers in G and in D
    "rms_radius": 4.0,  # the networks see the data rescaled to this size, sqrt(E||x||^2) (0 = as it is)
    "r1": 0.1,
    "ema": 0.999,  # decay of the moving average of G's weights that samples come from (0 = off)
    "gp": 10.0,
    "seed": 0,
    "eval_every": 1000,
    "log_every": 10,
    "frames": 24,
    "checkpoint_every": 1000,
    "device": "cpu",
}


def mlp(sizes):
    """Linear layers of the given sizes with ReLU between them (none after the last)."""
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Rescale(nn.Module):
    """y = factor * x: a fixed change of units, with no parameters."""

    def __init__(self, factor):
        super().__init__()
        self.factor = float(factor)

    def forward(self, x):
        return x * self.factor

    def extra_repr(self):
        return f"factor={self.factor:g}"


def network_units(config):
    """How many network units make one data unit: rms_radius / the dataset's own (1 = no rescaling).

    The recipe was developed on the grid, whose size sqrt(E||x||^2) is 4. The ring
    (size 1) is the same problem four times smaller, and Adam's steps are not
    scale-free: in the data's own units the ring's D learns four times more slowly
    relative to the data and G moves too far per step. So D first multiplies its
    input by this factor and G divides its output by it: both networks work at the
    grid's size, and samples still come out in the data's units.
    """
    if config["rms_radius"] == 0:
        return 1.0
    return config["rms_radius"] / toy_dataset(config["dataset"]).rms_radius


def build_models(config):
    """G: z -> hidden x depth -> 2, D: 2 -> hidden x depth -> 1 logit (rescaled to network units)."""
    hidden = [config["hidden"]] * config["depth"]
    G = mlp([config["z_dim"], *hidden, 2])
    D = mlp([2, *hidden, 1])
    if config["rms_radius"] != 0:
        units = network_units(config)
        G = nn.Sequential(G, Rescale(1.0 / units))
        D = nn.Sequential(Rescale(units), D)
    return G.to(config["device"]), D.to(config["device"])


def saved_config(state):
    """A checkpoint's config; runs saved before rescaling existed trained without it."""
    config = dict(DEFAULTS, rms_radius=0.0)
    config.update(state["config"])
    return config


def check_config(config):
    """Raise a SettingError (a ValueError) with one clear line for a bad setting."""
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        raise SettingError(f"unknown setting(s): {', '.join(unknown)}")
    if config["dataset"] not in TOY_DATASETS:
        raise SettingError(f"unknown dataset {config['dataset']!r}: choose one of {', '.join(TOY_DATASETS)}")
    if config["loss"] not in gan.LOSSES:
        raise SettingError(f"unknown loss {config['loss']!r}: choose one of {', '.join(gan.LOSSES)}")
    for key in ("steps", "r1", "gp"):
        if not 0 <= config[key] < math.inf:  # (NaN fails this too)
            raise SettingError(f"{key} must be a finite number >= 0, got {config[key]}")
    if not 0 <= config["rms_radius"] < math.inf:
        raise SettingError(f"rms_radius must be a finite number >= 0 (0 = no rescaling), got {config['rms_radius']}")
    if not (0 <= config["ema"] < 1 and 0 <= config["lr_decay_start"] <= 1):
        raise SettingError(f"need 0 <= ema < 1 and 0 <= lr_decay_start <= 1, got {config['ema']}, "
                           f"{config['lr_decay_start']}")
    for key in ("k", "batch_size", "z_dim", "hidden", "depth", "eval_every", "log_every", "checkpoint_every"):
        if int(config[key]) < 1:
            raise SettingError(f"{key} must be >= 1, got {config[key]}")
    if not 0 < config["lr"] < math.inf:
        raise SettingError(f"lr must be a finite number > 0, got {config['lr']}")


def make_trainer(config):
    """Models, optimizers and the GANTrainer for a config (seeds minigan first)."""
    backend.manual_seed(config["seed"])
    data = toy_dataset(config["dataset"])
    G, D = build_models(config)
    G_ema = build_models(config)[0] if config["ema"] > 0 else None
    betas = tuple(config["betas"])
    opt_g = optim.Adam(G.parameters(), lr=config["lr"], betas=betas)
    opt_d = optim.Adam(D.parameters(), lr=config["lr"], betas=betas)
    trainer = gan.GANTrainer(
        G, D, opt_g, opt_d,
        real_batches=lambda: data.sample(config["batch_size"], device=config["device"]),
        # R1 is weighed in network units: ||grad_x D||^2 = units^2 ||grad D in network units||^2
        z_dim=config["z_dim"], loss=config["loss"], k=config["k"], r1=config["r1"] / network_units(config) ** 2,
        gp=config["gp"],
        G_ema=G_ema, ema_decay=config["ema"] or 0.999,
    )
    trainer.checkpoint_info = {"kind": KIND, "config": config}
    return trainer, data


def learning_rate(config, step):
    """lr until lr_decay_start * steps, then a straight line down to 0 at the last step."""
    start = config["lr_decay_start"]
    if start >= 1:
        return config["lr"]
    remaining = 1.0 - step / max(config["steps"], 1)
    return config["lr"] * min(1.0, remaining / (1.0 - start))


EVAL_SEED = 12345  # the samples of a run's final evaluation (summary.json), which `minigan eval` repeats


def evaluate(G, data, config, n=2500, seed=EVAL_SEED):
    """Mode metrics of n generator samples (None for datasets without modes)."""
    if data.centers is None:
        return None
    with backend.fork_rng(seed):
        fake = gan.sample(G, n, config["z_dim"], device=config["device"])
    return mode_metrics(fake, data.centers, data.std)


def _append_jsonl(path, record):
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")


def run(out, resume=False, progress=True, pictures=True, stop_after=None, **settings):
    """Train a toy GAN into folder `out`; returns a summary dict (final metrics, time).

    `settings` override DEFAULTS. With resume=True the run continues from
    out/checkpoint.npz (its saved config wins), bit-identically to a run that
    was never interrupted. `stop_after` stops early with a checkpoint, as
    Ctrl-C does (used to test resuming).
    """
    ckpt_path = os.path.join(out, "checkpoint.npz")
    metrics_path = os.path.join(out, "metrics.jsonl")
    if resume and settings:  # the saved config wins: a setting given here would be ignored without a word
        raise SettingError(f"resume=True continues the run in {out} with its saved settings, so "
                           f"{', '.join(sorted(settings))} cannot change it; drop them, or start a new run")
    if not resume and os.path.exists(ckpt_path):  # never overwrite a run: nothing is lost
        raise SettingError(f"{out} already holds a run (checkpoint.npz); continue it with "
                           f"--resume {shell_quoted(out)}, or choose another --out")
    if not resume:
        refuse_to_overwrite(out, RUN_FILES)
    if resume:
        state = read_checkpoint(ckpt_path)  # (before the folder is made: a mistyped --resume leaves nothing behind)
        config = saved_config(state)
        try:  # a run continues on its own device (part of its saved settings)
            backend.check_device(config["device"])
        except (RuntimeError, ValueError):
            raise SettingError(f"the run in {out} trained on device {config['device']!r}, which is not usable here; "
                               "continue it on a machine where it is (sample and eval read it anywhere)") from None
    else:
        config = dict(DEFAULTS, **settings)
    config["betas"] = list(config["betas"])
    check_config(config)
    trainer, data = make_trainer(config)
    os.makedirs(out, exist_ok=True)  # (only now: a bad setting leaves no folder behind)
    records = []
    if resume:
        try:
            trainer.load_state_dict(state)
        except ValueError as e:
            raise CheckpointError(f"{ckpt_path}: the checkpoint does not fit its toy GAN ({e})") from None
        if trainer.step >= config["steps"]:
            print(f"the run in {out} is complete ({trainer.step} steps): nothing to train. Its length is part of "
                  "its learning-rate schedule, so train longer in a new run with more --steps")
        if os.path.exists(metrics_path):  # keep what was logged up to the checkpoint, drop the rest
            with open(metrics_path) as f:
                records = [r for r in map(json.loads, f) if r["step"] <= trainer.step]
    with open(metrics_path, "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump({**config, "environment": environment(config["device"])}, f, indent=2)

    logs = [r for r in records if not r.get("eval")]
    evals = [r for r in records if r.get("eval")]
    frames = os.path.join(out, "frames")  # one PNG per picture, so that a resumed run's GIF has them all
    frame_every = max(1, -(-config["steps"] // max(config["frames"], 1)))  # ceil(steps / frames)
    if pictures:
        os.makedirs(frames, exist_ok=True)
    with backend.fork_rng(config["seed"] + 1):  # fixed points for the pictures, drawn aside from training's RNG
        view_z = ag.randn(512, config["z_dim"], device=config["device"])
        view_real = data.sample(512)

    def picture(step):
        from .. import plots

        with ag.no_grad():
            fake = trainer.G(view_z)
        fig = plots.plot_gan_lab(trainer.D, view_real, fake, data.extent, config["loss"],
                                 title=f"{config['dataset']}, {config['loss']}: step {step}")
        return fig

    def callback(tr, log):
        step = tr.step
        for group in tr.opt_g.param_groups + tr.opt_d.param_groups:
            group["lr"] = learning_rate(config, step)  # the rate for the next iteration
        if step % config["log_every"] == 0 or step == config["steps"]:
            logs.append(log)
            _append_jsonl(metrics_path, log)
        if step % config["eval_every"] == 0 or step == config["steps"]:
            m = evaluate(tr.G_sample, data, config) if data.centers is not None else None
            if m is not None:
                record = {"step": step, "eval": True, **{k: m[k] for k in ("modes", "num_modes", "hq", "kl")}}
                evals.append(record)
                _append_jsonl(metrics_path, record)
        if pictures and (step % frame_every == 0 or step == config["steps"]):
            from ..plots import figure_to_image

            figure_to_image(picture(step)).save(_frame_path(frames, step))
        if ctrl_c.pressed and step < config["steps"]:  # Ctrl-C during this iteration: stop now that it is complete
            raise StopBetweenIterations  # (in the last one the run is complete: it ends as usual, pictures and all)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=config["steps"], initial=trainer.step, desc=f"toy {config['dataset']}", unit="step")
    start = time.perf_counter()
    try:
        with CtrlC() as ctrl_c:
            trainer.train(config["steps"] if stop_after is None else min(stop_after, config["steps"]),
                          callback=callback, checkpoint=ckpt_path, checkpoint_every=config["checkpoint_every"],
                          progress=bar)
    except gan.TrainingDiverged as e:
        where = (f"the last good checkpoint is {ckpt_path} (step {load(ckpt_path)['step']})"
                 if os.path.exists(ckpt_path) else "no checkpoint had been written yet")
        raise gan.TrainingDiverged(f"{e} In this run {where}.") from None
    except StopBetweenIterations:
        trainer.save_checkpoint(ckpt_path)  # the state after the last finished iteration (CtrlC waits for its end)
        print(f"interrupted at step {trainer.step}: checkpoint saved; continue with "
              f"`minigan train toy --resume {shell_quoted(out)}`")
        raise
    except KeyboardInterrupt:  # a second Ctrl-C, maybe mid-iteration: the last checkpoint on disk is kept as it is
        print(f"stopped at once: {ckpt_path} is kept as last written; continue with "
              f"`minigan train toy --resume {shell_quoted(out)}`")
        raise
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - start
    if trainer.step < config["steps"]:
        return {"steps": trainer.step, "stopped": True}

    final = evaluate(trainer.G_sample, data, config)
    summary = {"steps": trainer.step, "seconds": round(seconds, 2), "dataset": config["dataset"],
               "loss": config["loss"], "seed": config["seed"]}
    if final is not None:
        summary.update({k: final[k] for k in ("modes", "num_modes", "hq", "kl")})
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    if pictures:
        frame_steps = sorted({*range(frame_every, config["steps"] + 1, frame_every), config["steps"]})
        _save_pictures(out, trainer, data, config, logs, evals, [_frame_path(frames, s) for s in frame_steps], picture)
    return summary


def _frame_path(folder, step):
    return os.path.join(folder, f"step_{step:06d}.png")


def _save_pictures(out, trainer, data, config, logs, evals, frame_paths, picture):
    from PIL import Image

    from .. import plots

    with backend.fork_rng(config["seed"] + 2):
        fake = gan.sample(trainer.G_sample, 2500, config["z_dim"], device=config["device"])
        real = data.sample(2500)
    plots.save_figure(plots.plot_samples(real, fake, data.extent,
                                         title=f"{config['dataset']}: real vs generated after {trainer.step} steps"),
                      os.path.join(out, "samples.png"))
    plots.save_figure(picture(trainer.step), os.path.join(out, "gan_lab.png"))
    if logs:
        plots.save_figure(plots.plot_curves(logs, evals, title=f"{config['dataset']}, loss {config['loss']}"),
                          os.path.join(out, "curves.png"))
    frames = []
    for path in frame_paths:
        if os.path.exists(path):  # (a run from before frames were kept has those of its last part only)
            with Image.open(path) as image:
                frames.append(image.convert("RGB"))
    if frames:
        plots.save_gif(frames, os.path.join(out, "training.gif"))


# ------------------------------------------------- checkpoints for the CLI
def read_checkpoint(path):
    """Load a toy-run checkpoint; CheckpointError for a missing, foreign, corrupt or incomplete file."""
    state = load(path)
    if not isinstance(state, dict) or state.get("kind") != KIND:
        kind = state.get("kind") if isinstance(state, dict) else None
        raise CheckpointError(f"{path} is a checkpoint of {kind!r}, not of a toy GAN run ({KIND!r})")
    require_entries(state, path, ("config.dataset", "G", "step"))
    try:  # a hand-edited or damaged checkpoint's settings: said so, not blamed on the command line
        check_config({key: saved_config(state)[key] for key in DEFAULTS})  # (an entry unknown here is not used)
    except (ValueError, TypeError) as e:
        raise CheckpointError(f"{path}: the settings saved in the checkpoint are not valid ({e}); re-create it, "
                              "or point to another checkpoint") from None
    return state


def load_generator(path):
    """Rebuild G from a toy checkpoint (CheckpointError if the weights do not fit the saved config)."""
    state = read_checkpoint(path)
    config = saved_config(state)
    config["device"] = "cpu"
    G, _ = build_models(config)
    try:
        G.load_state_dict(state["G_ema"] if "G_ema" in state else state["G"])  # sample from the average
    except (ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{path}: the checkpoint does not fit its toy GAN ({e})") from None
    return G, config, state


def sample_checkpoint(path, n=2500, seed=0):
    """n generator samples (an (n, 2) NumPy array) from a toy checkpoint."""
    G, config, _ = load_generator(path)
    with backend.fork_rng(seed):
        return gan.sample(G, n, config["z_dim"])


def save_sample_picture(path, samples, out, seed=0):
    """`minigan sample --out X.png`: the samples beside as many real points, as the run's samples.png."""
    from .. import plots

    config = saved_config(read_checkpoint(path))
    data = toy_dataset(config["dataset"])
    with backend.fork_rng(seed + 1):
        real = data.sample(len(samples))
    plots.save_figure(plots.plot_samples(real, samples, data.extent,
                                         title=f"{config['dataset']}: real vs {len(samples)} generated samples"), out)


def evaluate_checkpoint(path, n=2500, seed=EVAL_SEED):
    """Mode metrics of n samples from a toy checkpoint, as lines to print."""
    G, config, state = load_generator(path)
    data = toy_dataset(config["dataset"])
    m = evaluate(G, data, config, n, seed)
    if m is None:
        return [f"{config['dataset']} has no modes: nothing to score (try `minigan sample` and plot the points)"]
    kl = "n/a" if m["kl"] is None else f"{m['kl']:.4f}"
    return [
        f"checkpoint: toy {config['dataset']}, loss {config['loss']}, step {state['step']}",
        f"modes covered: {m['modes']}/{m['num_modes']}",
        f"high-quality samples: {100 * m['hq']:.1f}% (within 3 std of the nearest mode, {n} samples)",
        f"KL(mode histogram || uniform): {kl}",
    ]
