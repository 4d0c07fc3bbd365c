"""Timing helpers shared by the benchmarks.

Both sides of a comparison are timed in the same run, *interleaved* in short
rounds (ours, theirs, ours, theirs, ...), so a background job or a change of
CPU clock slows both alike instead of whichever ran second.
"""

import time

import numpy as np


def interleaved_medians(steps, repeats, warmup=3, rounds=5):
    """Median seconds per call of each step function in `steps` (name -> fn).

    Each function is warmed up, then called `repeats` times in total (at least
    once), spread as evenly as may be over `rounds` interleaved rounds.
    """
    for fn in steps.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in steps}
    repeats = max(1, repeats)
    for r in range(rounds):
        calls = repeats // rounds + (1 if r < repeats % rounds else 0)  # 7 in 5 rounds: 2, 2, 1, 1, 1
        for name, fn in steps.items():
            for _ in range(calls):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def torch_device(device):
    """The PyTorch module and device to compare against on `device`, or (None, reason)."""
    try:
        import torch  # noqa: PLC0415
    except ImportError:
        return None, "PyTorch not installed: no comparison"
    if device == "cuda" and not torch.cuda.is_available():
        return None, "PyTorch is installed without CUDA: no comparison on cuda"
    return torch, ""


def torch_sync(torch, device):
    """Wait for PyTorch's queued GPU work (no-op on the CPU)."""
    if device == "cuda":
        torch.cuda.synchronize()


def result_line(name, **fields):
    """One machine-readable summary line, `RESULT name key=value ...` (read by tests/gpu_check.sh)."""
    body = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in fields.items())
    print(f"RESULT {name} {body}")


def plain_gan_step(G, D, opt_g, opt_d, real, z_dim, device="cpu"):
    """One minigan GAN iteration written op for op as the benchmarks' PyTorch side is.

    A D step on `real` and a generated batch, then a G step, with the
    non-saturating loss; nothing else. ``GANTrainer.train_step`` does the same
    and also logs V(D, G), D(x), D(G(z)) and both gradient norms and checks for
    NaN every step; the benchmarks time both.
    """
    import minigan
    from minigan.gan import discriminator_loss, generator_loss

    m = real.shape[0]

    def step():
        with minigan.no_grad():
            fake = G(minigan.randn(m, z_dim, device=device))
        loss_d = discriminator_loss("nonsaturating", D(real), D(fake))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        D.requires_grad_(False)
        loss_g = generator_loss("nonsaturating", D(G(minigan.randn(m, z_dim, device=device))))
        D.requires_grad_(True)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        return loss_d.item(), loss_g.item()  # the losses on the host, as PyTorch's side reads them

    return step
