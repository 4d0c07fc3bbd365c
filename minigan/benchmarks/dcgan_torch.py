"""`minigan bench dcgan_torch`: the default MNIST recipe trained in PyTorch, scored by minigan's judge.

What does the recipe itself reach, without minigan? This trains the
reference DCGAN in PyTorch exactly as ``minigan train mnist`` does by
default: minigan's initial weights for the seed (copied in with
``dcgan.to_torch``), batch 64, Adam(2e-4, beta1 = 0.5), the non-saturating
loss with D stepped on a real and a generated batch, and R1 with gamma 1
every 16 iterations, weighted 16 times. It then draws 10,000 digits from G
in eval mode and prints the judge's report, as ``minigan eval`` does for a
minigan checkpoint. Only the random streams differ (PyTorch's noise, NumPy's
shuffling), so the scores can be set side by side with minigan's.

About 10 minutes per seed on the 2-core CPU. Needs PyTorch.

    minigan bench dcgan_torch                              # seed 0
    python -m minigan.benchmarks.dcgan_torch --seeds 0 1 2
"""

import argparse
import time

import numpy as np

BATCH = 64
Z_DIM = 100


def train(torch, seed=0, epochs=5, r1=1.0, r1_every=16, subset=None, device="cpu", log=print):
    """Train the PyTorch twin of the reference DCGAN; returns its generator (a torch module, eval mode)."""
    import torch.nn.functional as F

    import minigan
    from minigan.data.mnist import MNIST
    from minigan.models import dcgan

    from .dcgan import to_torch

    torch.manual_seed(seed)
    minigan.manual_seed(seed)
    G0, D0 = dcgan()  # minigan's initial weights for this seed
    G, D = to_torch(G0, torch).to(device), to_torch(D0, torch).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    images = MNIST(train=True).images[:subset]
    data = torch.from_numpy(images).to(device)
    order = np.random.default_rng(seed)
    ones, zeros = torch.ones(BATCH, 1, device=device), torch.zeros(BATCH, 1, device=device)
    step, start = 0, time.perf_counter()
    for epoch in range(epochs):
        perm = torch.from_numpy(order.permutation(len(data))).to(device)
        for i in range(len(data) // BATCH):  # drop_last, as minigan's loader
            real = data[perm[i * BATCH : (i + 1) * BATCH]]
            with torch.no_grad():
                fake = G(torch.randn(BATCH, Z_DIM, device=device))
            penalty = None
            if r1 > 0 and step % r1_every == 0:  # R1: (gamma/2) E ||grad_x D(x)||^2, lazily
                real.requires_grad_(True)
                real_logits = D(real)
                (g,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
                penalty = g.pow(2).reshape(BATCH, -1).sum(1).mean()
            else:
                real_logits = D(real)
            loss_d = (F.binary_cross_entropy_with_logits(real_logits, ones)
                      + F.binary_cross_entropy_with_logits(D(fake), zeros))
            if penalty is not None:
                loss_d = loss_d + 0.5 * r1 * r1_every * penalty
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            D.requires_grad_(False)
            loss_g = F.binary_cross_entropy_with_logits(D(G(torch.randn(BATCH, Z_DIM, device=device))), ones)
            D.requires_grad_(True)
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            step += 1
        log(f"seed {seed} epoch {epoch + 1}/{epochs}: loss_d {loss_d.item():.3f} loss_g {loss_g.item():.3f} "
            f"({time.perf_counter() - start:.0f} s)")
    return G.eval()


def sample(torch, G, n=10000, seed=0, batch=500):
    """n digits (n, 1, 28, 28) from G as a NumPy array."""
    device = next(G.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        parts = [G(torch.randn(min(batch, n - i), Z_DIM, generator=gen, device=device)) for i in range(0, n, batch)]
    return torch.cat(parts).cpu().numpy()


def main(device="cpu", repeats=None, seeds=(0,), epochs=5, r1=1.0):
    """Train and score the PyTorch twin for each seed; prints the judge's reports. (`repeats` is unused.)"""
    from minigan.judge import evaluate, format_report

    from .common import result_line, torch_device

    torch, why_not = torch_device(device)
    if torch is None:
        print(f"bench dcgan_torch needs PyTorch: {why_not}")
        return []
    rows = []
    for seed in seeds:
        G = train(torch, seed=seed, epochs=epochs, r1=r1, device="cuda" if device == "cuda" else "cpu")
        report = evaluate(sample(torch, G))
        gen, real = report["generated"], report["real"]
        print(f"PyTorch twin of the default recipe, seed {seed}, {epochs} epochs, R1 gamma {r1:g}:")
        print(format_report(report))
        rows.append({"seed": seed, "ratio": gen["mnist_score"] / real["mnist_score"],
                     "frechet_distance": gen["frechet_distance"], "shares": gen["digit_shares"]})
        result_line("dcgan_torch", seed=seed, ratio=rows[-1]["ratio"], fd=gen["frechet_distance"],
                    share_min=min(gen["digit_shares"]), share_max=max(gen["digit_shares"]))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--r1", type=float, default=1.0, help="R1 weight gamma (0 = the plain DCGAN)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    main(device=args.device, seeds=args.seeds, epochs=args.epochs, r1=args.r1)
