"""`minigan bench toy`: one training iteration of the toy GAN, minigan vs PyTorch CPU.

G: z(256) -> 128 -> 128 -> 2, D: 2 -> 128 -> 128 -> 1, ReLU, batch 512, Adam,
non-saturating loss; one iteration = one D step (real and fake) + one G step.
At this size every op is small, so the time is mostly per-op overhead.

Both sides do the same work, timed twice: the D and G steps alone (minigan's
written op for op like PyTorch's; this is the ratio), and with what
``GANTrainer.train_step`` logs every step, V(D, G), D(x), D(G(z)), both
losses and both gradient norms (PyTorch's side computes and reads the same).
"""

from .. import backend
from .common import interleaved_medians, plain_gan_step, result_line, torch_device, torch_sync

Z, H, BATCH = 256, 128, 512


def minigan_step(device="cpu", trainer=True):
    """Build the toy GAN in minigan; return a function running one iteration.

    trainer=True: ``GANTrainer.train_step`` (with its logging); False: the same steps as ``torch_step``.
    """
    import minigan
    from minigan import nn
    from minigan.gan import GANTrainer

    minigan.manual_seed(0)
    G = nn.Sequential(nn.Linear(Z, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(), nn.Linear(H, 2)).to(device)
    D = nn.Sequential(nn.Linear(2, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(), nn.Linear(H, 1)).to(device)
    real = minigan.randn(BATCH, 2, device=device)
    opt_g, opt_d = minigan.optim.Adam(G.parameters(), lr=1e-4), minigan.optim.Adam(D.parameters(), lr=1e-4)
    if not trainer:
        return plain_gan_step(G, D, opt_g, opt_d, real, Z, device)  # reads the losses: the GPU has finished
    loop = GANTrainer(G, D, opt_g, opt_d, real_batches=lambda: real, z_dim=Z, loss="nonsaturating")

    def step():
        loop.train_step()  # its logged numbers are read on the host, so the GPU has finished too
        minigan.backend.synchronize(device)

    return step


def torch_step(torch, device="cpu", log=False):
    """The same networks and iteration in PyTorch on `device`.

    log=True also computes what ``GANTrainer.train_step`` logs every step (V(D, G), D(x),
    D(G(z)), both losses and both gradient norms) and reads them on the host in one copy per step.
    """
    import torch.nn.functional as F

    torch.manual_seed(0)
    nn = torch.nn
    G = nn.Sequential(nn.Linear(Z, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(), nn.Linear(H, 2)).to(device)
    D = nn.Sequential(nn.Linear(2, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(), nn.Linear(H, 1)).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-4)
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-4)
    real = torch.randn(BATCH, 2, device=device)

    def grad_norm(model):
        return torch.sqrt(sum((p.grad * p.grad).sum() for p in model.parameters()))

    def step():
        z = torch.randn(BATCH, Z, device=device)
        with torch.no_grad():
            fake = G(z)
        real_logits, fake_logits = D(real), D(fake)
        loss_d = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()  # -V(D, G)
        opt_d.zero_grad()
        loss_d.backward()
        if log:
            with torch.no_grad():
                d_log = torch.stack([-loss_d, torch.sigmoid(real_logits).mean(), torch.sigmoid(fake_logits).mean(),
                                     loss_d, grad_norm(D)]).tolist()
        opt_d.step()
        z = torch.randn(BATCH, Z, device=device)
        D.requires_grad_(False)
        loss_g = F.softplus(-D(G(z))).mean()  # -E[log D(G(z))]
        D.requires_grad_(True)
        opt_g.zero_grad()
        loss_g.backward()
        if log:
            with torch.no_grad():
                g_log = torch.stack([loss_g, grad_norm(G)]).tolist()
        opt_g.step()
        if log:
            return d_log, g_log  # read on the host: the GPU has finished
        torch_sync(torch, device)
        return loss_d.item(), loss_g.item()

    return step


def main(device="cpu", repeats=None):
    """Time one iteration in minigan and (when importable) PyTorch on the same device; print the ratios."""
    repeats = repeats or 200
    steps = {"minigan": minigan_step(device, trainer=False), "trainer": minigan_step(device)}
    torch, why_not = torch_device(device)
    if torch is not None:
        steps["torch"] = torch_step(torch, device)
        steps["torch_logging"] = torch_step(torch, device, log=True)
    t = {name: seconds * 1e3 for name, seconds in interleaved_medians(steps, repeats).items()}
    print(f"toy GAN iteration (G {Z}-{H}-{H}-2, D 2-{H}-{H}-1, batch {BATCH}, Adam), ms, median of {repeats}, "
          "interleaved:")
    if device == "cpu":
        print(f"  {backend.numpy_blas()}")
    if torch is None:
        print(f"  minigan ({device}): the steps alone {t['minigan']:.2f}, GANTrainer.train_step {t['trainer']:.2f} "
              f"(with its logging)\n  {why_not}")
        result_line("toy", device=device, minigan_ms=t["minigan"], trainer_ms=t["trainer"])
        return {"minigan_ms": t["minigan"], "trainer_ms": t["trainer"]}
    threads = f", {torch.get_num_threads()} threads" if device == "cpu" else ""
    ratio, logging_ratio = t["minigan"] / t["torch"], t["trainer"] / t["torch_logging"]
    print(f"  {'':58s}{'minigan':>9s}{'PyTorch':>9s}{'ratio':>7s}   (PyTorch on {device}{threads})")
    print(f"  {'the D and G steps alone':58s}{t['minigan']:9.2f}{t['torch']:9.2f}{ratio:7.2f}")
    print(f"  {'with what GANTrainer.train_step logs every step (*)':58s}{t['trainer']:9.2f}"
          f"{t['torch_logging']:9.2f}{logging_ratio:7.2f}")
    print("  (*) V(D, G), D(x), D(G(z)), both losses and both gradient norms, read on the host once per step")
    print(f"  ratio minigan / PyTorch {ratio:.2f}: minigan is {'faster' if ratio <= 1 else 'slower'} (target <= 1)")
    fields = {"minigan_ms": t["minigan"], "torch_ms": t["torch"], "ratio": ratio, "trainer_ms": t["trainer"],
              "torch_logging_ms": t["torch_logging"], "logging_ratio": logging_ratio}
    result_line("toy", device=device, **fields)
    return fields
