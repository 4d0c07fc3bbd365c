"""Mode-coverage metrics for Gaussian mixtures (the VEEGAN / PacGAN protocol).

On generated samples (2,500 in the published tables):

* a sample is *high quality* (HQ) if it lies within 3 standard deviations of
  its nearest mode centre;
* a mode is *covered* if at least one high-quality sample is nearest to it;
* KL(mode histogram || uniform): the high-quality samples' distribution over
  modes against the uniform one (0 when every mode gets the same share).
"""

import math
import numbers

import numpy as np

from . import backend
from .autograd import Tensor


def mode_metrics(samples, centers, std):
    """Score samples against mixture modes.

    Args:
        samples: (n, 2) array or Tensor of generated points.
        centers: (K, 2) mode centres; std: the modes' standard deviation.
    Returns a dict: ``modes`` (covered, an int), ``num_modes``, ``hq`` (fraction
    of high-quality samples), ``kl`` (KL of the HQ mode histogram to uniform;
    None when no sample is high quality) and ``counts`` (HQ samples per mode).
    """
    x = np.asarray(backend.to_numpy(samples.data if isinstance(samples, Tensor) else samples), dtype=np.float64)
    c = np.asarray(centers, dtype=np.float64)
    if x.ndim != 2 or c.ndim != 2 or x.shape[1] != c.shape[1]:
        raise ValueError(f"mode_metrics: samples {x.shape} and centers {c.shape} must be (n, d) and (K, d)")
    if len(x) == 0:
        raise ValueError("mode_metrics: no samples")
    if len(c) == 0:  # (argmin over no modes would fail inside NumPy)
        raise ValueError("mode_metrics: no mode centres, got centers of shape (0, d); give the mixture's (K, d) centres")
    if not isinstance(std, numbers.Real) or not std > 0:  # else no sample is high quality, without a word
        raise ValueError(f"mode_metrics: std is the modes' standard deviation, a number > 0, got {std!r}")
    dist = np.sqrt(((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=2))  # (n, K)
    nearest = dist.argmin(axis=1)
    hq = dist[np.arange(len(x)), nearest] <= 3.0 * float(std)  # (in float64 whatever std is, on NumPy 1 and 2)
    counts = np.bincount(nearest[hq], minlength=len(c))
    kl = None
    if counts.sum() > 0:
        p = counts / counts.sum()
        q = 1.0 / len(c)
        kl = float(sum(pi * math.log(pi / q) for pi in p if pi > 0))
    return {
        "modes": int((counts > 0).sum()),
        "num_modes": len(c),
        "hq": float(hq.mean()),
        "kl": kl,
        "counts": counts.tolist(),
    }
