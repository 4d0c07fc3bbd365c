"""Timing helpers shared by the benchmarks.

Both sides of a comparison are timed in the same run, *interleaved* in short
rounds (ours, theirs, ours, theirs, ...), so a background job or a change of
CPU clock slows both alike instead of whichever ran second. On the CPU both
libraries get the same number of threads (``torch_device``).
"""

import time

import numpy as np


SETTLE_S = 0.2  # OpenBLAS's idle threads spin for 2^28 cycles (about 0.1 s) after its last product


def interleaved_medians(steps, repeats, warmup=3, rounds=5, settle=None, clock=time.perf_counter):
    """Median seconds per call of each step function in `steps` (name -> fn).

    Each function is warmed up, then timed `repeats` times in total (at least
    once), spread as evenly as may be over `rounds` interleaved rounds.

    In each round, before its timed calls, each function is also called untimed
    for `settle` seconds (default SETTLE_S): whatever ran before it, another
    step or another library, may have left worker threads spinning, and they
    take cores from the calls right after. OpenBLAS's threads spin for about
    0.1 s after minigan's last product; on the 2-core machine PyTorch's calls
    in that window took twice as long (its DCGAN iteration 131-155 ms instead
    of 55-72, its 64 -> 128 convolution 15 ms instead of 7). `clock` stands in
    for time.perf_counter (tests).
    """
    settle = SETTLE_S if settle is None else settle
    for fn in steps.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in steps}
    repeats = max(1, repeats)
    for r in range(rounds):
        calls = repeats // rounds + (1 if r < repeats % rounds else 0)  # 7 in 5 rounds: 2, 2, 1, 1, 1
        for name, fn in steps.items():
            if calls:
                until = clock() + settle
                while clock() < until:  # untimed, until the previous step's threads have gone quiet
                    fn()
            for _ in range(calls):
                start = clock()
                fn()
                times[name].append(clock() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def numpy_blas_threads(info=None):
    """How many threads NumPy's BLAS computes matrix products on, or None where threadpoolctl does not say.

    `info` stands in for threadpoolctl's report (tests).
    """
    if info is None:
        try:
            from threadpoolctl import threadpool_info  # noqa: PLC0415  (scikit-learn's dependency)
        except ImportError:
            return None
        info = threadpool_info()
    ours = [lib for lib in info if lib.get("user_api") == "blas" and "numpy" in str(lib.get("filepath", ""))]
    return ours[0].get("num_threads") if ours else None  # not PyTorch's or SciPy's BLAS


def torch_device(device, blas_threads=None):
    """The PyTorch module and device to compare against on `device`, or (None, reason).

    On the CPU PyTorch is given as many threads as NumPy's BLAS has (`blas_threads`,
    by default as threadpoolctl reports them): by default PyTorch takes one per
    physical core and OpenBLAS one per logical CPU, twice as many with hyper-threading.
    """
    try:
        import torch  # noqa: PLC0415
    except ImportError:
        return None, "PyTorch not installed: no comparison"
    if device == "cuda" and not torch.cuda.is_available():
        return None, "PyTorch is installed without CUDA: no comparison on cuda"
    if device == "cpu":
        threads = blas_threads or numpy_blas_threads()
        if threads:
            torch.set_num_threads(threads)
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
