"""The GAN training loop: Algorithm 1 of Goodfellow et al. (2014), line by line.

    for number of training iterations do
        for k steps do
            sample a minibatch of m noise samples z ~ p_z and m examples x ~ p_data
            update D by ASCENDING its stochastic gradient of
                V(D, G) = 1/m sum_i [ log D(x_i) + log(1 - D(G(z_i))) ]
        end for
        sample a minibatch of m noise samples z ~ p_z
        update G by DESCENDING its stochastic gradient of
                1/m sum_i log(1 - D(G(z_i)))
    end for

Here D returns a *logit* l, and D(x) = sigmoid(l). The logs are computed from
the logit, stably, never as log(sigmoid(l)):

    log D(x)     = log sigmoid(l)  = -softplus(-l)
    log(1 - D(x)) = log sigmoid(-l) = -softplus(l)

`GANTrainer` runs the loop for any pair of models (an MLP on 2-D points or a
DCGAN on images): it needs G, D, their optimizers, a function returning the
next real batch, and the noise size. A batch is a Tensor ``x`` or a pair
``(x, labels)``; with labels, G and D are called as ``G(z, labels)`` and
``D(x, labels)`` (a conditional GAN, fake samples get the real batch's labels).
"""

import copy
import inspect
import math
import numbers

import numpy as np

from . import autograd as ag
from . import backend
from .nn.module import Module
from .optim import Optimizer
from .serialization import load, save

LOSSES = ("minimax", "nonsaturating", "lsgan", "hinge", "wgan-gp")


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the message names the step."""


# ----------------------------------------------------- the value function
def log_d(logits):
    """log D(x) = log sigmoid(l) = -softplus(-l)  (stable for any logit l)."""
    return -ag.softplus(-logits, threshold=None)  # exact for every l, as torch's logsigmoid


def log_one_minus_d(logits):
    """log(1 - D(x)) = log sigmoid(-l) = -softplus(l)  (stable for any logit l)."""
    return -ag.softplus(logits, threshold=None)


def value_function(real_logits, fake_logits):
    """V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))], estimated on a minibatch."""
    return ag.mean(log_d(real_logits)) + ag.mean(log_one_minus_d(fake_logits))


# ------------------------------------------------------------ the losses
def discriminator_loss(loss, real_logits, fake_logits):
    """The quantity D *descends* (before penalties), for each loss."""
    if loss in ("minimax", "nonsaturating"):
        return -value_function(real_logits, fake_logits)  # descending -V = ascending V
    if loss == "lsgan":  # least squares: push real logits to 1, fake to 0
        return 0.5 * ag.mean((real_logits - 1.0) ** 2) + 0.5 * ag.mean(fake_logits**2)
    if loss == "hinge":
        return ag.mean(ag.relu(1.0 - real_logits)) + ag.mean(ag.relu(1.0 + fake_logits))
    if loss == "wgan-gp":  # the critic's estimate of -W(p_data, p_g); the penalty comes separately
        return ag.mean(fake_logits) - ag.mean(real_logits)
    raise ValueError(f"unknown loss {loss!r}: choose one of {', '.join(LOSSES)}")


def generator_loss(loss, fake_logits):
    """The quantity G *descends*, for each loss."""
    if loss == "minimax":  # exactly Algorithm 1: descend E[log(1 - D(G(z)))]
        return ag.mean(log_one_minus_d(fake_logits))
    if loss == "nonsaturating":  # ascend E[log D(G(z))]: same fixed point, strong early gradients
        return -ag.mean(log_d(fake_logits))
    if loss == "lsgan":
        return 0.5 * ag.mean((fake_logits - 1.0) ** 2)
    if loss in ("hinge", "wgan-gp"):
        return -ag.mean(fake_logits)
    raise ValueError(f"unknown loss {loss!r}: choose one of {', '.join(LOSSES)}")


def _squared_norm_per_sample(g):
    """||g_i||^2 for each sample i of a batch (summed over every other axis)."""
    return ag.sum(ag.reshape(g * g, g.shape[0], -1), axis=1)


def r1_penalty(D, real, labels=None):
    """R1 (Mescheder et al. 2018): E_x ||grad_x l(x)||^2 (l: D's logit) on real data, by double backprop.

    Returns (penalty, real_logits) so the logits can be reused for the loss.
    """
    with ag.enable_grad():  # a penalty needs its graph even when called under no_grad
        real = ag.Tensor(real.data, requires_grad=True)
        logits = _call(D, real, labels)
        (g,) = ag.grad(ag.sum(logits), real, create_graph=True)
        return ag.mean(_squared_norm_per_sample(g)), logits


def gradient_penalty(D, real, fake, labels=None, eps=None):
    """WGAN-GP (Gulrajani et al. 2017): E (||grad D(x_hat)|| - 1)^2 at x_hat = eps x + (1 - eps) G(z).

    D(x_hat) is the critic's raw output (the logit). eps ~ U(0, 1), one per sample (drawn here unless
    given). The norm is taken as sqrt(||g||^2 + 1e-12), so its gradient stays finite where g = 0.
    """
    if eps is None:
        shape = (real.shape[0],) + (1,) * (real.ndim - 1)
        eps = ag.rand(*shape, dtype=real.dtype, device=real.device)
    with ag.enable_grad():  # a penalty needs its graph even when called under no_grad
        x_hat = ag.Tensor((eps * real + (1.0 - eps) * fake).data, requires_grad=True)
        (g,) = ag.grad(ag.sum(_call(D, x_hat, labels)), x_hat, create_graph=True)
        norm = ag.sqrt(_squared_norm_per_sample(g) + 1e-12)
        return ag.mean((norm - 1.0) ** 2)


def _call(model, x, labels):
    return model(x) if labels is None else model(x, labels)


def _one_logit_each(logits, m):
    """D's output for m samples must be m logits, (m, 1) or (m,): anything else would train another objective."""
    if tuple(logits.shape) not in ((m, 1), (m,)):
        raise ValueError(
            f"GANTrainer: D must give one logit per sample, shape ({m}, 1), got {tuple(logits.shape)}; "
            "end D with a layer of one output, e.g. nn.Linear(..., 1)"
        )
    return logits


def _check_optimizer(opt, net, opt_name, net_name):
    """`opt` must update `net`'s parameters: swapping opt_g and opt_d is an easy slip that trains nothing right."""
    own = {id(p) for p in net.parameters()}
    strays = sum(id(p) not in own for group in opt.param_groups for p in group["params"])
    if strays:
        raise ValueError(
            f"GANTrainer: {opt_name} holds {strays} parameters that are not {net_name}'s; "
            f"pass an optimizer of {net_name}.parameters() as {opt_name} (were opt_g and opt_d swapped?)"
        )


def _takes_labels(model):
    """Whether model(x, labels) can be called: its forward takes a second argument (True when we cannot tell)."""
    try:
        inspect.signature(model.forward).bind(None, None)
    except TypeError:
        return False
    except (AttributeError, ValueError):  # no forward, or no readable signature: let the call decide
        pass
    return True


def _split(batch):
    """A batch is a Tensor x, a pair (x, labels), or (x,) as DataLoader(TensorDataset(x)) gives it."""
    if isinstance(batch, (tuple, list)) and len(batch) in (1, 2) and isinstance(batch[0], ag.Tensor):
        x, labels = batch[0], (batch[1] if len(batch) == 2 else None)
    elif isinstance(batch, ag.Tensor):
        x, labels = batch, None
    else:
        what = f"a {type(batch).__name__} of length {len(batch)}" if isinstance(batch, (tuple, list)) else (
            f"a dict with keys {sorted(batch)}" if isinstance(batch, dict) else f"a {type(batch).__name__}")
        raise TypeError(f"GANTrainer: real_batches() must return a Tensor x or a pair (x, labels) of Tensors, got "
                        f"{what}; e.g. real_batches=lambda: minigan.tensor(array), or for a DataLoader of "
                        "(images, labels): def stream(): while True: for x, _ in loader: yield x")
    return x, labels


def _check_take_labels(G, D):
    """A clear error when batches carry labels but G or D takes one input (an unconditional GAN)."""
    for name, model in (("G", G), ("D", D)):
        if not _takes_labels(model):
            raise TypeError(
                f"GANTrainer: real_batches returned (x, labels), so G and D are called as G(z, labels) and "
                f"D(x, labels), but {name} ({type(model).__name__}) takes one input; for an unconditional GAN "
                "return x only (def stream(): while True: for x, _ in loader: yield x)"
            )


def grad_norm(params):
    """sqrt(sum of squared gradients) over parameters, as a 0-d array on their device.

    Parameters without a gradient count as 0. Nothing is copied to the host here.
    """
    params = list(params)
    grads = [p.grad.data for p in params if p.grad is not None]
    if not grads:  # no gradient anywhere: 0, on the parameters' device
        return backend.scalar(0.0, "float32", params[0].device if params else "cpu")
    xp = backend.xp_of(grads[0])
    flat = xp.concatenate([g.reshape(-1) for g in grads])  # one vector: a few kernels, not a few per parameter
    return xp.sqrt(xp.vdot(flat, flat))


def to_host(**values):
    """Several one-element tensors/arrays as Python floats, in ONE device-to-host copy.

    On a GPU every separate copy waits for the device; the loop logs its
    numbers through this so each step pays one wait, not one per number.
    """
    arrays = [(v.data if isinstance(v, ag.Tensor) else v).reshape(()) for v in values.values()]
    xp = backend.xp_of(arrays[0])
    host = backend.to_numpy(xp.stack([a.astype(arrays[0].dtype, copy=False) for a in arrays]))
    return {name: float(x) for name, x in zip(values, host)}


# ----------------------------------------------------------------- the loop
class GANTrainer:
    """Algorithm 1 for any generator/discriminator pair.

    Args:
        G, D: models; G maps noise (m, z_dim) to samples, D maps samples to logits (m, 1).
        opt_g, opt_d: their optimizers.
        real_batches: a function with no arguments that returns the next real batch
            (a Tensor, or a pair (Tensor, labels)); it is called k times per iteration.
        z_dim: noise size; z ~ N(0, I) from minigan's seeded generator.
        loss: one of LOSSES.
        k: discriminator steps per generator step.
        g_steps: generator steps per iteration, each on fresh noise (1 in Algorithm 1; 2 lifted the
            MNIST DCGAN's judged score by 2-3 points for about 40% more time, see docs/mnist_results.md).
        r1: weight gamma of the R1 penalty (gamma/2) E||grad_x l(x)||^2 (l: D's logit) on real data (0 = off).
        r1_every: compute the R1 penalty only in every r1_every-th iteration, weighted r1_every
            times as much ("lazy regularisation", Karras et al. 2020): about the same pull on D
            on average, for a fraction of the cost of the double backprop (1 = every iteration).
        gp: weight lambda of the WGAN-GP gradient penalty (used with loss="wgan-gp").
        G_ema: optional second copy of G that keeps an exponential moving average of G's
            weights (ema <- beta ema + (1 - beta) G after every G step, beta = ema_decay);
            averaging smooths out G's oscillation around the equilibrium, so sample from it.
    """

    def __init__(self, G, D, opt_g, opt_d, real_batches, z_dim, loss="nonsaturating", k=1, r1=0.0, gp=10.0,
                 G_ema=None, ema_decay=0.999, r1_every=1, g_steps=1):
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}: choose one of {', '.join(LOSSES)}")
        for name, net in (("G", G), ("D", D), ("G_ema", G_ema)):
            if not isinstance(net, Module) and not (name == "G_ema" and net is None):
                raise TypeError(f"GANTrainer: {name} must be an nn.Module (a network), got {type(net).__name__}")
        for name, opt, net in (("opt_g", opt_g, "G"), ("opt_d", opt_d, "D")):
            if not isinstance(opt, Optimizer):
                raise TypeError(f"GANTrainer: {name} must be an optimizer of {net}'s parameters, e.g. "
                                f"optim.Adam({net}.parameters()), got {type(opt).__name__}")
        for name, value in (("r1", r1), ("gp", gp), ("ema_decay", ema_decay)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"GANTrainer: {name} must be a number, got {value!r} "
                                "(r1, gp: penalty weights >= 0; ema_decay: in [0, 1))")
        for name, value in (("k", k), ("g_steps", g_steps), ("r1_every", r1_every)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r} (k: discriminator steps per "
                                 "iteration, g_steps: generator steps, r1_every: iterations between R1 penalties)")
        self.g_steps = int(g_steps)
        self.G, self.D, self.opt_g, self.opt_d = G, D, opt_g, opt_d
        if real_batches is not None and not callable(real_batches):
            raise TypeError(
                f"GANTrainer: real_batches must be a function that returns the next real batch, got a "
                f"{type(real_batches).__name__}. For a DataLoader, make a stream that runs epoch after epoch: "
                "def stream(): while True: for x, _ in loader: yield x   then   batches = stream(); "
                "real_batches=lambda: next(batches)   (yield (x, labels) for a conditional GAN)"
            )
        self.real_batches = real_batches
        self.z_dim, self.loss, self.k = int(z_dim), loss, int(k)
        self.r1, self.gp, self.r1_every = float(r1), float(gp), int(r1_every)
        if not (0 <= self.r1 < math.inf and 0 <= self.gp < math.inf):  # NaN fails both comparisons
            raise ValueError(f"r1 and gp (penalty weights) must be >= 0, got r1={r1}, gp={gp}")
        if not 0 <= float(ema_decay) < 1:
            raise ValueError(f"ema_decay must be in [0, 1), got {ema_decay}")
        _check_optimizer(opt_g, G, "opt_g", "G")
        _check_optimizer(opt_d, D, "opt_d", "D")
        self.G_ema, self.ema_decay = G_ema, float(ema_decay)
        if G_ema is not None:
            G_ema.load_state_dict(G.state_dict())  # the average starts at G
        self.step = 0  # completed iterations
        self._labels_checked = False  # whether G and D were seen to take labels (see _split)
        self.checkpoint_info = {}  # saved with every checkpoint, e.g. {"kind": "toy", "config": {...}}

    @property
    def G_sample(self):
        """The generator to draw samples from: the weight average G_ema when there is one, else G."""
        return self.G_ema if self.G_ema is not None else self.G

    def noise(self, m, like):
        """m noise vectors z ~ N(0, I) on the device and dtype of `like`."""
        return ag.randn(m, self.z_dim, dtype=like.dtype, device=like.device)

    def _check(self, name, value):
        if not math.isfinite(value):
            raise TrainingDiverged(
                f"training diverged at step {self.step + 1}: the {name} is {value}. "
                "The update it was for was skipped, so no weight took it; the steps before it in this iteration "
                "(D's, when G's failed) stand, so continue from the last good checkpoint, which is kept. "
                "Try a lower learning rate, another loss, or an R1 penalty."
            )

    def _split(self, batch):
        """x and labels (or None) of a batch; the first batch with labels checks that G and D take them."""
        real, labels = _split(batch)
        if labels is not None and not self._labels_checked:  # (once: inspecting signatures every step costs)
            _check_take_labels(self.G, self.D)
            self._labels_checked = True
        return real, labels

    def discriminator_step(self, batch, z=None):
        """One D update (inner loop of Algorithm 1). Returns a dict of logged values."""
        real, labels = self._split(batch)
        if z is None:
            z = self.noise(real.shape[0], real)
        with ag.no_grad():  # G is fixed during D's step: no graph through G
            fake = _call(self.G, z, labels)
        if self.r1 > 0 and self.step % self.r1_every == 0:
            penalty, real_logits = r1_penalty(self.D, real, labels)
        else:
            real_logits, penalty = _call(self.D, real, labels), None
        m = real.shape[0]
        real_logits, fake_logits = _one_logit_each(real_logits, m), _one_logit_each(_call(self.D, fake, labels), m)
        loss_d = discriminator_loss(self.loss, real_logits, fake_logits)
        if penalty is not None:
            loss_d = loss_d + (0.5 * self.r1 * self.r1_every) * penalty
        if self.loss == "wgan-gp":
            loss_d = loss_d + self.gp * gradient_penalty(self.D, real, fake, labels)
        self.opt_d.zero_grad()
        loss_d.backward()
        with ag.no_grad():
            log = to_host(
                V=value_function(real_logits, fake_logits),  # the exact V(D, G) of this minibatch
                D_real=ag.mean(ag.sigmoid(real_logits)),
                D_fake=ag.mean(ag.sigmoid(fake_logits)),
                loss_d=loss_d,
                grad_norm_d=grad_norm(self.D.parameters()),
            )
        self._check("discriminator loss", log["loss_d"])  # before the update: a NaN never reaches the weights
        self._check("discriminator's gradient norm", log["grad_norm_d"])  # (a finite loss can have a NaN gradient)
        self.opt_d.step()
        return log

    def generator_step(self, m, like, labels=None, z=None):
        """One G update (last line of Algorithm 1). Returns a dict of logged values."""
        if z is None:
            z = self.noise(m, like)
        trainable = [p for p in self.D.parameters() if p.requires_grad]
        for p in trainable:  # D is fixed during G's step: its weights need no gradient
            p.requires_grad = False
        try:
            fake_logits = _one_logit_each(_call(self.D, _call(self.G, z, labels), labels), m)
        finally:
            for p in trainable:  # (a weight the user froze stays frozen)
                p.requires_grad = True
        loss_g = generator_loss(self.loss, fake_logits)
        self.opt_g.zero_grad()
        loss_g.backward()
        log = to_host(loss_g=loss_g, grad_norm_g=grad_norm(self.G.parameters()))
        self._check("generator loss", log["loss_g"])  # before the update: a NaN never reaches the weights
        self._check("generator's gradient norm", log["grad_norm_g"])
        self.opt_g.step()
        if self.G_ema is not None:
            self.update_ema()
        return log

    def update_ema(self):
        """G_ema <- beta G_ema + (1 - beta) G, in place (buffers are copied).

        beta = min(ema_decay, (1 + t) / (10 + t)) in iteration t (every G step of
        the iteration uses the same beta): a short memory at first, so the average
        does not drag the random initial weights along.
        """
        t = self.step
        beta = min(self.ema_decay, (1.0 + t) / (10.0 + t))
        for avg, p in zip(self.G_ema.parameters(), self.G.parameters()):
            avg.data *= beta
            avg.data += (1.0 - beta) * p.data
        for avg, b in zip(self.G_ema.buffers(), self.G.buffers()):
            avg.data[...] = b.data

    def train_step(self):
        """One iteration: k discriminator steps, then g_steps generator steps (one each in Algorithm 1). Returns the log."""
        for _ in range(self.k):
            batch = self.real_batches()
            log = self.discriminator_step(batch)
        real, labels = self._split(batch)
        for _ in range(self.g_steps):
            log.update(self.generator_step(real.shape[0], real, labels))
        self.step += 1
        log["step"] = self.step
        return log

    def train(self, steps, callback=None, checkpoint=None, checkpoint_every=0, progress=None):
        """Run until `steps` iterations are done in total (so a resumed trainer continues).

        callback(trainer, log) runs after every iteration (plots, metrics, ...).
        With `checkpoint` (a path), a checkpoint is written every `checkpoint_every`
        iterations and at the end; when a loss becomes NaN/inf, TrainingDiverged
        is raised and the last good checkpoint stays on disk.
        `progress` is an optional tqdm-like bar (its .update(1) is called).
        """
        while self.step < steps:
            log = self.train_step()
            if callback is not None:
                callback(self, log)
            if checkpoint and checkpoint_every and self.step % checkpoint_every == 0:
                self.save_checkpoint(checkpoint)
            if progress is not None:
                progress.update(1)
        if checkpoint:
            self.save_checkpoint(checkpoint)

    # -- checkpoints: models, optimizers, RNG state and step -> exact resume
    def hyperparameters(self):
        """The settings besides `loss` that shape training; saved with the state, and checked when it is loaded."""
        return {"z_dim": self.z_dim, "k": self.k, "g_steps": self.g_steps, "r1": self.r1, "r1_every": self.r1_every,
                "gp": self.gp, "ema_decay": self.ema_decay}

    def state_dict(self):
        """The trainer's own state: continuing from it repeats the trainer's part of the run bit-identically.

        Saved: the step count, the loss and the hyperparameters (load_state_dict refuses a trainer built
        with others), G's and D's weights and buffers, both optimizers' state, G_ema, and minigan's random
        generators (the noise z). Not saved: what lives outside the trainer, such as the DataLoader behind
        real_batches (its shuffling generator and position), a learning-rate scheduler, or what a callback
        keeps. For an exact resume save those too, through `checkpoint_info` (written with every checkpoint):
        in the callback, ``trainer.checkpoint_info.update(loader=loader.state_dict(), sched=sched.state_dict())``;
        after ``state = trainer.load_checkpoint(path)``, ``loader.load_state_dict(state["loader"])`` and
        ``sched.load_state_dict(state["sched"])`` (as minigan/experiments/mnist.py does with its loader).
        """
        return {
            "step": self.step,
            "loss": self.loss,
            "hyperparameters": self.hyperparameters(),
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "rng": backend.get_rng_state(),
            **({"G_ema": self.G_ema.state_dict()} if self.G_ema is not None else {}),
        }

    def load_state_dict(self, state):
        """Restore what state_dict returned. Every part is checked first: when one does not fit, a ValueError
        names it (``checkpoint['D']: ...``) and the trainer, its models and optimizers are left as they were."""
        if not isinstance(state, dict):
            raise TypeError(f"GANTrainer.load_state_dict: expected the dict that state_dict() returns, got a "
                            f"{type(state).__name__}; to read a file, call trainer.load_checkpoint(path)")
        missing = [key for key in ("step", "G", "D", "opt_g", "opt_d", "rng") if key not in state]
        if missing:
            raise ValueError(f"the checkpoint lacks {', '.join(missing)}: it was not written by GANTrainer")
        if state.get("loss", self.loss) != self.loss:
            raise ValueError(f"the checkpoint was trained with loss={state['loss']!r}, this trainer uses "
                             f"loss={self.loss!r}; build the trainer with loss={state['loss']!r} to continue it")
        saved = state.get("hyperparameters", {})  # (checkpoints written before they were saved have none)
        differ = [f"{key}={saved[key]!r} (this trainer: {value!r})" for key, value in self.hyperparameters().items()
                  if key in saved and not math.isclose(saved[key], value, rel_tol=1e-9)]
        if differ:
            raise ValueError(f"the checkpoint was trained with {', '.join(differ)}; build the trainer with the "
                             "checkpoint's settings to continue it")
        if ("G_ema" in state) != (self.G_ema is not None):
            has = "has" if "G_ema" in state else "has no"
            wants = "has" if self.G_ema is not None else "has no"
            raise ValueError(f"the checkpoint {has} weight average G_ema but this trainer {wants}; build the "
                             "trainer the way the run was built (G_ema=copy.deepcopy(G) for a run with one)")
        if not isinstance(state["step"], numbers.Integral) or state["step"] < 0:
            raise ValueError(f"checkpoint['step']: expected a whole number >= 0, got {state['step']!r}")
        parts = [("G", self.G), ("D", self.D), ("opt_g", self.opt_g), ("opt_d", self.opt_d)]
        if self.G_ema is not None:
            parts.append(("G_ema", self.G_ema))
        for name, target in parts:  # first a trial on copies: any error comes before anything is changed
            if isinstance(target, Optimizer):  # the copy shares the parameters, which loading only reads
                trial = copy.deepcopy(target, {id(p): p for group in target.param_groups for p in group["params"]})
            else:
                trial = copy.deepcopy(target)
            _load_part(name, trial, state[name])
        previous = backend.get_rng_state()
        try:
            backend.set_rng_state(state["rng"])
        except Exception as e:  # a malformed generator state: put the one we had back
            backend.set_rng_state(previous)
            raise ValueError(f"checkpoint['rng']: not a random generator state ({type(e).__name__}: {e})") from None
        for name, target in parts:
            _load_part(name, target, state[name])
        self.step = int(state["step"])

    def save_checkpoint(self, path, **extra):
        """Write state_dict (plus `extra` entries, e.g. kind and config) atomically."""
        save({**self.checkpoint_info, **extra, **self.state_dict()}, path)

    def load_checkpoint(self, path):
        """Load a checkpoint written by save_checkpoint; returns the whole dict."""
        state = load(path)
        self.load_state_dict(state)
        return state


def _load_part(name, target, saved):
    """target.load_state_dict(saved), its error prefixed with the checkpoint entry it came from."""
    try:
        target.load_state_dict(saved)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
        reason = f"lacks the entry {e}" if isinstance(e, KeyError) else str(e)
        raise ValueError(f"checkpoint[{name!r}]: {reason}") from None


def sample(G, n, z_dim, batch_size=2500, device="cpu", labels=None):
    """n samples from G as a NumPy array (no graph recorded); the noise in G's own dtype."""
    if not isinstance(G, Module):
        raise TypeError(f"sample: G must be an nn.Module (the generator), got {type(G).__name__}")
    for name, value in (("n", n), ("batch_size", batch_size)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"sample: {name} must be a whole number >= 1, got {value!r}")
    if labels is not None:
        if not _takes_labels(G):
            raise TypeError(f"sample: labels were given, but G ({type(G).__name__}) takes one input (the noise); "
                            "leave labels out for an unconditional generator")
        if len(labels) != n:
            raise ValueError(f"sample: labels must hold one label per sample, {n}, got {len(labels)}")
    dtype = next(iter(G.parameters())).dtype if list(G.parameters()) else "float32"
    out = []
    with ag.no_grad():
        for start in range(0, n, batch_size):
            m = min(batch_size, n - start)
            z = ag.randn(m, z_dim, dtype=dtype, device=device)
            y = None if labels is None else labels[start : start + m]
            out.append(backend.to_numpy(_call(G, z, y).data))
    return np.concatenate(out, axis=0)
