"""`minigan bench dcgan`: one training iteration of the reference DCGAN, minigan vs PyTorch CPU.

One iteration at batch 64, as in `minigan train mnist`: a D step on a real and
a generated batch, then a G step, both with BCE on logits (the non-saturating
loss) and Adam(2e-4, beta1 = 0.5). The PyTorch model is built with the same
layers and gets minigan's initial weights copied in, so both sides do exactly
the same arithmetic. Prints both times, the ratio, the achieved GFLOP/s,
minigan's peak allocation in one iteration (NumPy's memory, through tracemalloc)
and the peak resident memory of the whole process. The ratio compares the same steps on both sides;
``GANTrainer.train_step``, which also logs V(D, G), D(x), D(G(z)) and both
gradient norms every step, is timed next to them.
"""

import tracemalloc

import numpy as np

from .. import backend
from .common import interleaved_medians, plain_gan_step, result_line, torch_device, torch_sync

BATCH = 64


def _peak_bytes(step):
    """Peak bytes newly allocated through Python/NumPy during one call (tracemalloc)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def iteration_flops(batch=BATCH):
    """Floating-point operations of one iteration, counting the matrix products (2 per multiply-add).

    Forward per image: G = Linear(100, 6272) + two transposed convs, D = two convs + Linear(6272, 1).
    A backward pass costs its forward once for the weight gradients and once for the input
    gradients, but neither library computes the input gradient of a network's first layer
    (the data, or z), nor weight gradients of a network that is not being trained.
    """
    g_first, g_rest = 2 * 100 * 6272, 2 * (7 * 7 * 128 * 64 * 16 + 14 * 14 * 64 * 1 * 16)
    d_first, d_rest = 2 * 14 * 14 * 64 * 16, 2 * (7 * 7 * 128 * 64 * 16 + 6272)
    g_fwd, d_fwd = g_first + g_rest, d_first + d_rest
    # D step: G(z) without grad; D on real and fake, forward, weight gradients and input gradients (not of layer 1)
    d_step = g_fwd + 2 * (d_fwd + d_fwd + d_rest)
    # G step: D forward and its input gradients only (D is frozen, down to the image); G's weight
    # gradients and its input gradients except the first layer's (z)
    g_step = g_fwd + d_fwd + d_fwd + g_fwd + g_rest
    return batch * (d_step + g_step)


def minigan_step(device="cpu", batch=BATCH, trainer=True):
    """The reference DCGAN in minigan; returns (one-iteration function, G, D).

    trainer=True: ``GANTrainer.train_step`` (which also logs V, D(x), D(G(z)) and gradient
    norms every step); False: the same steps as ``torch_step``, op for op.
    """
    import minigan
    from minigan.gan import GANTrainer
    from minigan.models import dcgan

    minigan.manual_seed(0)
    G, D = dcgan(device=device)
    real = minigan.Tensor(np.random.default_rng(0).uniform(-1, 1, (batch, 1, 28, 28)).astype(np.float32),
                          device=device)
    opt_g = minigan.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = minigan.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    if not trainer:
        return plain_gan_step(G, D, opt_g, opt_d, real, 100, device), G, D
    loop = GANTrainer(G, D, opt_g, opt_d, real_batches=lambda: real, z_dim=100, loss="nonsaturating")

    def step():
        loop.train_step()
        minigan.backend.synchronize(device)

    return step, G, D


def to_torch(model, torch):
    """A PyTorch copy of a minigan Generator's or Discriminator's `net` (same layers, same weights).

    A conditional discriminator's projection vectors (``D.embed``) are not part of it.
    """
    from minigan.models import Generator

    tnn = torch.nn
    if isinstance(model, Generator):
        net = tnn.Sequential(
            tnn.Linear(model.net[0].in_features, 6272), tnn.BatchNorm1d(6272), tnn.ReLU(), tnn.Unflatten(1, (128, 7, 7)),
            tnn.ConvTranspose2d(128, 64, 4, 2, 1), tnn.BatchNorm2d(64), tnn.ReLU(),
            tnn.ConvTranspose2d(64, 1, 4, 2, 1), tnn.Tanh())
    else:
        net = tnn.Sequential(
            tnn.Conv2d(model.net[0].in_channels, 64, 4, 2, 1), tnn.LeakyReLU(0.2), tnn.Conv2d(64, 128, 4, 2, 1),
            tnn.BatchNorm2d(128), tnn.LeakyReLU(0.2), tnn.Flatten(), tnn.Linear(6272, 1))
    state = {k[len("net."):]: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items() if k.startswith("net.")}
    missing, unexpected = net.load_state_dict(state, strict=False)
    if unexpected or any(not k.endswith("num_batches_tracked") for k in missing):
        raise RuntimeError(f"to_torch: layers do not line up (missing {missing}, unexpected {unexpected})")
    return net


def torch_step(torch, G, D, device="cpu", batch=BATCH):
    """The same iteration in PyTorch on `device`, on copies of G and D."""
    import torch.nn.functional as F

    torch.manual_seed(0)
    tG, tD = to_torch(G, torch).to(device), to_torch(D, torch).to(device)
    opt_g = torch.optim.Adam(tG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(tD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (batch, 1, 28, 28)).astype(np.float32)).to(device)
    ones, zeros = torch.ones(batch, 1, device=device), torch.zeros(batch, 1, device=device)

    def step():
        with torch.no_grad():
            fake = tG(torch.randn(batch, 100, device=device))
        loss_d = (F.binary_cross_entropy_with_logits(tD(real), ones)
                  + F.binary_cross_entropy_with_logits(tD(fake), zeros))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        tD.requires_grad_(False)
        loss_g = F.binary_cross_entropy_with_logits(tD(tG(torch.randn(batch, 100, device=device))), ones)
        tD.requires_grad_(True)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        torch_sync(torch, device)
        return loss_d.item(), loss_g.item()  # the losses on the host, as minigan's side reads them

    return step


def main(device="cpu", repeats=None):
    """Time one DCGAN iteration in minigan and (when installed) PyTorch on the same device; print times,
    ratio, GFLOP/s and memory."""
    import os

    from ..experiments import peak_memory_mb

    repeats = repeats or 20
    flops = iteration_flops()
    step, G, D = minigan_step(device, trainer=False)
    steps = {"minigan": step, "trainer": minigan_step(device)[0]}
    torch, why_not = torch_device(device)
    if torch is not None:
        steps["torch"] = torch_step(torch, G, D, device)
    t = interleaved_medians(steps, repeats, warmup=2)
    ours, trainer = t["minigan"], t["trainer"]
    ours_peak = _peak_bytes(step)
    load = f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "not measured here"  # (Unix only)
    print(f"DCGAN iteration, batch {BATCH} (D step on real + fake, G step, Adam, BCE with logits); "
          f"{flops / 1e9:.2f} GFLOP of matrix products per iteration; median of {repeats}, interleaved; "
          f"{os.cpu_count()} CPU cores visible, load average {load}")
    if device == "cpu":
        print(f"  {backend.numpy_blas()}")
    where = "" if device == "cpu" else ", host memory only: the GPU's is not counted"
    print(f"  minigan ({device}):  {ours * 1000:8.1f} ms   {flops / ours / 1e9:7.1f} GFLOP/s   "
          f"peak {ours_peak / 2**20:6.1f} MiB allocated in one iteration (tracemalloc{where}; on top of the weights "
          "and Adam's state); the same steps as PyTorch's")
    print(f"  {'':15s}{trainer * 1000:8.1f} ms   as GANTrainer.train_step, which also logs V, D(x), D(G(z)) "
          "and both gradient norms")
    peak_rss = peak_memory_mb()
    print(f"  peak resident memory of this whole process ({'both libraries' if torch else 'minigan'}, "
          "every model built): " + ("not measured on Windows" if peak_rss is None else f"{peak_rss:.0f} MiB"))
    if torch is None:
        print(f"  {why_not}")
        result_line("dcgan", device=device, minigan_ms=ours * 1e3, trainer_ms=trainer * 1e3)
        return {"minigan_s": ours, "trainer_s": trainer}
    theirs = t["torch"]
    threads = f"; {torch.get_num_threads()} threads" if device == "cpu" else ""
    print(f"  PyTorch ({device}):    {theirs * 1000:8.1f} ms   {flops / theirs / 1e9:7.1f} GFLOP/s{threads}")
    ratio = ours / theirs
    print(f"  ratio minigan / PyTorch: {ratio:.2f}  (minigan is {'faster' if ratio < 1 else 'slower'} than PyTorch; "
          f"target <= {1.0 if device == 'cpu' else 2.0:.2f})")
    extra = {}
    if device != "cpu":
        extra = _overhead_report(torch, device, repeats, ours, theirs)
    result_line("dcgan", device=device, minigan_ms=ours * 1e3, torch_ms=theirs * 1e3, ratio=ratio,
                trainer_ms=trainer * 1e3, **extra)
    return {"minigan_s": ours, "torch_s": theirs, "ratio": ratio, "trainer_s": trainer, **extra}


def _overhead_report(torch, device, repeats, ours, theirs, small=2):
    """On a GPU: the same iteration at batch `small`, where the arithmetic is nearly nothing.

    What is left there is the cost of launching kernels and of Python: if the
    batch-64 time is close to it, the GPU is waiting on the host, not computing.
    """
    from minigan import backend

    step, G, D = minigan_step(device, batch=small, trainer=False)  # the same plain step as at batch 64
    t = interleaved_medians({"minigan": step, "torch": torch_step(torch, G, D, device, batch=small)}, repeats, warmup=2)
    pool = backend.xp_for_device(device).get_default_memory_pool()  # CuPy's
    print(f"  at batch {small} (almost no arithmetic: launch + Python overhead): minigan {t['minigan'] * 1e3:.1f} ms, "
          f"PyTorch {t['torch'] * 1e3:.1f} ms")
    print(f"  share of the batch-{BATCH} time that is overhead: minigan {min(1.0, t['minigan'] / ours):.0%}, "
          f"PyTorch {min(1.0, t['torch'] / theirs):.0%}; CuPy memory pool holds {pool.total_bytes() / 2**20:.0f} MiB")
    return {"minigan_small_ms": t["minigan"] * 1e3, "torch_small_ms": t["torch"] * 1e3}
