"""`minigan bench toy`: one training iteration of the toy GAN, minigan vs PyTorch CPU.

G: z(256) -> 128 -> 128 -> 2, D: 2 -> 128 -> 128 -> 1, ReLU, batch 512, Adam,
non-saturating loss; one iteration = one D step (real and fake) + one G step.
At this size every op is small, so the time is mostly per-op overhead.
"""

from .common import interleaved_medians, result_line, torch_device, torch_sync

Z, H, BATCH = 256, 128, 512


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

    def step():
        trainer.train_step()  # its logged numbers are read on the host, so the GPU has finished too
        minigan.backend.synchronize(device)

    return step


def torch_step(torch, device="cpu"):
    """The same networks and iteration in PyTorch on `device`."""
    import torch.nn.functional as F

    torch.manual_seed(0)
    nn = torch.nn
    G = nn.Sequential(nn.Linear(Z, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(), nn.Linear(H, 2)).to(device)
    D = nn.Sequential(nn.Linear(2, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(), nn.Linear(H, 1)).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-4)
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-4)
    real = torch.randn(BATCH, 2, device=device)

    def step():
        z = torch.randn(BATCH, Z, device=device)
        with torch.no_grad():
            fake = G(z)
        real_logits, fake_logits = D(real), D(fake)
        loss_d = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()  # -V(D, G)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        z = torch.randn(BATCH, Z, device=device)
        D.requires_grad_(False)
        loss_g = F.softplus(-D(G(z))).mean()  # -E[log D(G(z))]
        D.requires_grad_(True)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        torch_sync(torch, device)
        return loss_d.item(), loss_g.item()

    return step


def main(device="cpu", repeats=None):
    """Time one iteration in minigan and (when importable) PyTorch on the same device; print the ratio."""
    repeats = repeats or 200
    steps = {"minigan": minigan_step(device)}
    torch, why_not = torch_device(device)
    if torch is not None:
        steps["torch"] = torch_step(torch, device)
    t = interleaved_medians(steps, repeats)
    print(f"toy GAN iteration (G {Z}-{H}-{H}-2, D 2-{H}-{H}-1, batch {BATCH}, Adam), median of {repeats}, interleaved:")
    print(f"  minigan ({device}): {t['minigan'] * 1e3:8.2f} ms")
    if torch is None:
        print(f"  {why_not}")
        result_line("toy", device=device, minigan_ms=t["minigan"] * 1e3)
        return {"minigan_ms": t["minigan"] * 1e3}
    threads = f", {torch.get_num_threads()} threads" if device == "cpu" else ""
    ratio = t["minigan"] / t["torch"]
    print(f"  PyTorch ({device}{threads}): {t['torch'] * 1e3:8.2f} ms")
    print(f"  ratio minigan / PyTorch: {ratio:.2f}  ({'faster' if ratio <= 1 else 'slower'} than PyTorch)")
    result_line("toy", device=device, minigan_ms=t["minigan"] * 1e3, torch_ms=t["torch"] * 1e3, ratio=ratio)
    return {"minigan_ms": t["minigan"] * 1e3, "torch_ms": t["torch"] * 1e3, "ratio": ratio}
