"""`minigan bench toy`: one training iteration of the toy GAN, minigan vs PyTorch CPU.

G: z(256) -> 128 -> 128 -> 2, D: 2 -> 128 -> 128 -> 1, ReLU, batch 512, Adam,
non-saturating loss; one iteration = one D step (real and fake) + one G step.
At this size every op is small, so the time is mostly per-op overhead.
"""

import time

import numpy as np

Z, H, BATCH = 256, 128, 512


def _median_time(step, repeats, warmup=5):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def minigan_step(device="cpu"):
    """Build the toy GAN in minigan; return a function running one iteration."""
    import minigan
    from minigan import nn
    from minigan.gan import GANTrainer

    minigan.manual_seed(0)
    G = nn.Sequential(nn.Linear(Z, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(), nn.Linear(H, 2)).to(device)
    D = nn.Sequential(nn.Linear(2, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(), nn.Linear(H, 1)).to(device)
    real = minigan.randn(BATCH, 2, device=device)
    trainer = GANTrainer(
        G, D, minigan.optim.Adam(G.parameters(), lr=1e-4), minigan.optim.Adam(D.parameters(), lr=1e-4),
        real_batches=lambda: real, z_dim=Z, loss="nonsaturating",
    )
    return trainer.train_step


def torch_step():
    """The same networks and iteration in PyTorch (CPU); None when torch is missing."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None
    torch.manual_seed(0)
    nn = torch.nn
    G = nn.Sequential(nn.Linear(Z, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(), nn.Linear(H, 2))
    D = nn.Sequential(nn.Linear(2, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(), nn.Linear(H, 1))
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-4)
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-4)
    real = torch.randn(BATCH, 2)

    def step():
        z = torch.randn(BATCH, Z)
        with torch.no_grad():
            fake = G(z)
        real_logits, fake_logits = D(real), D(fake)
        loss_d = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()  # -V(D, G)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        z = torch.randn(BATCH, Z)
        D.requires_grad_(False)
        loss_g = F.softplus(-D(G(z))).mean()  # -E[log D(G(z))]
        D.requires_grad_(True)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        return loss_d.item(), loss_g.item()

    return step


def main(device="cpu", repeats=None):
    """Time one iteration in minigan and (when importable) PyTorch CPU; print the ratio."""
    repeats = repeats or 200
    ours = _median_time(minigan_step(device), repeats)
    print(f"toy GAN iteration (G {Z}-{H}-{H}-2, D 2-{H}-{H}-1, batch {BATCH}, Adam), median of {repeats}:")
    print(f"  minigan ({device}): {ours * 1e3:8.2f} ms")
    step = torch_step()
    if step is None:
        print("  PyTorch not installed: no comparison")
        return {"minigan_ms": ours * 1e3}
    import torch

    theirs = _median_time(step, repeats)
    print(f"  PyTorch (cpu, {torch.get_num_threads()} threads): {theirs * 1e3:8.2f} ms")
    print(f"  ratio minigan / PyTorch: {ours / theirs:.2f}  ({'faster' if ours <= theirs else 'slower'} than PyTorch)")
    return {"minigan_ms": ours * 1e3, "torch_ms": theirs * 1e3, "ratio": ours / theirs}
