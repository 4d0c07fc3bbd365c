"""A small demo of the engine: an MLP learns scikit-learn's two moons."""

import numpy as np

from . import autograd as ag
from . import nn, optim
from .backend import manual_seed


def moons_demo(steps=300, seed=0, n=512, hidden=32, lr=0.01, verbose=False, device="cpu"):
    """Train Linear-ReLU-Linear-ReLU-Linear on make_moons with Adam; returns (model, accuracy)."""
    from sklearn.datasets import make_moons

    manual_seed(seed)
    x_np, y_np = make_moons(n_samples=n, noise=0.1, random_state=seed)
    x = ag.tensor(x_np.astype(np.float32), device=device)
    y = ag.tensor(y_np.astype(np.float32).reshape(-1, 1), device=device)
    model = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))
    model.to(device)
    opt = optim.Adam(model.parameters(), lr=lr)
    for step in range(steps):
        logits = model(x)
        loss = ag.binary_cross_entropy_with_logits(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if verbose and (step % 50 == 0 or step == steps - 1):
            acc = float(((logits.data > 0) == (y.data > 0.5)).mean())
            print(f"step {step:4d}  loss {loss.item():.4f}  accuracy {acc:.3f}")
    with ag.no_grad():
        acc = float(((model(x).data > 0) == (y.data > 0.5)).mean())
    if verbose:
        print(f"final accuracy on the training moons: {acc:.3f}")
    return model, acc
