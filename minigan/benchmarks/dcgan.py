"""`minigan bench dcgan`: one training iteration of the reference DCGAN, minigan vs PyTorch CPU.

One iteration at batch 64, as in `minigan train mnist`: a D step on a real and
a generated batch, then a G step, both with BCE on logits (the non-saturating
loss) and Adam(2e-4, beta1 = 0.5). The PyTorch model is built with the same
layers and gets minigan's initial weights copied in, so both sides do exactly
the same arithmetic. Prints both times, the ratio, the achieved GFLOP/s and
the peak memory of each side.
"""

import time
import tracemalloc

import numpy as np

BATCH = 64


def _median_time(step, repeats, warmup=2):
    """Median seconds of `repeats` calls of step() after `warmup` untimed ones."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


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
    A backward pass costs twice its forward (input and weight gradients) where both are needed.
    """
    g_fwd = 2 * (100 * 6272 + 7 * 7 * 128 * 64 * 16 + 14 * 14 * 64 * 1 * 16)
    d_fwd = 2 * (14 * 14 * 64 * 16 + 7 * 7 * 128 * 64 * 16 + 6272)
    d_step = g_fwd + 2 * d_fwd + 2 * 2 * d_fwd  # G(z) without grad; D on real and fake, forward and backward
    g_step = g_fwd + d_fwd + d_fwd + 2 * g_fwd  # D's backward needs input gradients only
    return batch * (d_step + g_step)


def minigan_step(device="cpu"):
    """The reference DCGAN in minigan; returns (one-iteration function, G, D)."""
    import minigan
    from minigan.gan import GANTrainer
    from minigan.models import dcgan

    minigan.manual_seed(0)
    G, D = dcgan(device=device)
    real = minigan.Tensor(np.random.default_rng(0).uniform(-1, 1, (BATCH, 1, 28, 28)).astype(np.float32),
                          device=device)
    opt_g = minigan.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = minigan.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    trainer = GANTrainer(G, D, opt_g, opt_d, real_batches=lambda: real, z_dim=100, loss="nonsaturating")

    def step():
        trainer.train_step()
        if device != "cpu":
            minigan.backend.xp_for_device(device).cuda.Device().synchronize()

    return step, G, D


def to_torch(model, torch):
    """A PyTorch copy of a minigan Generator or Discriminator (same layers, same weights)."""
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
    state = {k[len("net."):]: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()}
    missing, unexpected = net.load_state_dict(state, strict=False)
    if unexpected or any(not k.endswith("num_batches_tracked") for k in missing):
        raise RuntimeError(f"to_torch: layers do not line up (missing {missing}, unexpected {unexpected})")
    return net


def torch_step(G, D):
    """The same iteration in PyTorch CPU on copies of G and D; None when torch is not installed."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None
    torch.manual_seed(0)
    tG, tD = to_torch(G, torch), to_torch(D, torch)
    opt_g = torch.optim.Adam(tG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(tD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (BATCH, 1, 28, 28)).astype(np.float32))
    ones, zeros = torch.ones(BATCH, 1), torch.zeros(BATCH, 1)

    def step():
        with torch.no_grad():
            fake = tG(torch.randn(BATCH, 100))
        loss_d = (F.binary_cross_entropy_with_logits(tD(real), ones)
                  + F.binary_cross_entropy_with_logits(tD(fake), zeros))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        tD.requires_grad_(False)
        loss_g = F.binary_cross_entropy_with_logits(tD(tG(torch.randn(BATCH, 100))), ones)
        tD.requires_grad_(True)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()

    return step


def main(device="cpu", repeats=None):
    """Time one DCGAN iteration in minigan and (when installed) PyTorch CPU; print times, ratio, GFLOP/s, memory."""
    import os
    import resource

    repeats = repeats or 10
    flops = iteration_flops()
    step, G, D = minigan_step(device)
    ours = _median_time(step, repeats)
    ours_peak = _peak_bytes(step)
    print(f"DCGAN iteration, batch {BATCH} (D step on real + fake, G step, Adam, BCE with logits); "
          f"{flops / 1e9:.2f} GFLOP per iteration; median of {repeats}; "
          f"{os.cpu_count()} CPU cores visible, load average {os.getloadavg()[0]:.1f} (timings are only "
          "comparable on an otherwise idle machine)")
    print(f"  minigan ({device}):  {ours * 1000:8.1f} ms   {flops / ours / 1e9:7.1f} GFLOP/s   "
          f"peak {ours_peak / 2**20:6.1f} MiB allocated in one iteration (tracemalloc)")
    theirs_step = torch_step(G, D)
    if theirs_step is None:
        print("  PyTorch not installed: no comparison")
        return {"minigan_s": ours}
    import torch

    theirs = _median_time(theirs_step, repeats)
    theirs_peak = _peak_bytes(theirs_step)  # tracemalloc does not see torch's allocator: shown for honesty
    print(f"  PyTorch CPU:         {theirs * 1000:8.1f} ms   {flops / theirs / 1e9:7.1f} GFLOP/s   "
          f"peak {theirs_peak / 2**20:6.1f} MiB through Python's allocator (torch's own allocations not seen); "
          f"{torch.get_num_threads()} threads")
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"  peak resident memory of this whole process (both models, both libraries): {peak_rss:.0f} MiB")
    verdict = "faster than" if ours < theirs else "slower than"
    print(f"  ratio minigan / PyTorch: {ours / theirs:.2f}  (minigan is {verdict} PyTorch; target <= 1.00)")
    return {"minigan_s": ours, "torch_s": theirs, "ratio": ours / theirs}
