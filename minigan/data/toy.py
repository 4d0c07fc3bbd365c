"""Toy 2-D datasets: Gaussian mixtures with known mode centres, and scikit-learn shapes.

    ring       8 Gaussians on a circle of radius 1, std 0.01
    grid       25 Gaussians at {-4, -2, 0, 2, 4}^2, std 0.05
    swissroll  scikit-learn's swiss roll, seen from above (no modes)
    moons      scikit-learn's two moons (no modes)
    circles    scikit-learn's two circles (no modes)

The ring and grid follow the protocol of VEEGAN / PacGAN, so minigan.metrics
can score them against the published tables. Every sample is drawn from
minigan's seeded generator (minigan.manual_seed makes runs repeatable).
"""

import math
import numbers

import numpy as np

from .. import backend
from ..autograd import _FLOAT_DTYPES, Tensor, _resolve_dtype


class ToyDataset:
    """A 2-D distribution to sample from.

    Attributes: ``name``; ``centers`` (a (K, 2) NumPy array of mode centres, or
    None when the distribution has no modes); ``std`` (the modes' standard
    deviation, or None); ``rms_radius``, sqrt(E||x||^2), the size of the data.
    ``sample(n)`` returns an (n, 2) float32 Tensor.
    """

    def __init__(self, name, sampler, centers=None, std=None, extent=None):
        self.name, self._sampler = name, sampler
        self.centers = None if centers is None else np.asarray(centers, dtype=np.float64)
        self.std = std
        self.extent = extent  # (lo, hi) of a square that holds the data, for plots
        self._centers_on = {}  # the centres copied to a GPU, per (device, dtype)

    def sample(self, n, device="cpu", dtype="float32"):
        """n points as an (n, 2) Tensor, drawn from minigan's seeded generator.

        On the CPU every dataset draws from the CPU generator. On a GPU a
        Gaussian mixture is drawn there, from the GPU's generator, so a
        training step copies nothing to the device; the scikit-learn datasets
        are drawn on the CPU and copied.
        """
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 0:
            raise ValueError(f"{self.name}.sample: n must be a whole number >= 0, got {n!r}")
        device = backend.check_device(device)
        resolved = _resolve_dtype(dtype)  # a name, minigan.float64 or a NumPy dtype, as minigan.zeros takes
        if resolved is None or resolved.name not in _FLOAT_DTYPES:
            raise TypeError(f"{self.name}.sample: dtype must be one of {', '.join(_FLOAT_DTYPES)} (points are real "
                            f"numbers), got {dtype!r}")
        dtype = resolved.name
        if n == 0:  # scikit-learn refuses to make no samples
            return Tensor(backend.xp_for_device(device).zeros((0, 2), dtype=dtype))
        if device != "cpu" and self.centers is not None and self.std is not None:
            return Tensor(self._mixture_on_device(int(n), device, dtype))
        points = self._sampler(backend.generator("cpu"), int(n))
        return Tensor(np.asarray(points, dtype=dtype), device=device)

    def _mixture_on_device(self, n, device, dtype):
        """x = centre[k] + std * e with k ~ uniform over modes, e ~ N(0, I), all on the device."""
        key = (device, np.dtype(dtype).name)
        if key not in self._centers_on:
            self._centers_on[key] = backend.asarray(self.centers, dtype=dtype, device=device)  # once
        centers = self._centers_on[key]
        gen = backend.generator(device)
        which = gen.integers(0, len(centers), size=n)
        noise = backend.standard_normal(device, (n, 2), dtype)
        noise *= backend.scalar(self.std, dtype, device)
        return centers[which] + noise

    @property
    def rms_radius(self):
        """sqrt(E||x||^2): exact for a mixture (mean ||centre||^2 + 2 std^2), else from 10,000 points.

        The estimate uses its own fixed generator, so it never moves minigan's random stream.
        """
        if self.centers is not None and self.std is not None:
            return math.sqrt(float(np.mean(np.sum(self.centers**2, axis=1))) + 2 * self.std**2)
        points = np.asarray(self._sampler(np.random.default_rng(0), 10000), dtype=np.float64)
        return math.sqrt(float(np.mean(np.sum(points**2, axis=1))))

    def __repr__(self):
        modes = f", {len(self.centers)} modes, std={self.std}" if self.centers is not None else ""
        return f"ToyDataset({self.name!r}{modes})"


def mixture(name, centers, std, extent):
    """Equal-weight Gaussian mixture: pick a centre uniformly, add N(0, std^2 I)."""
    centers = np.asarray(centers, dtype=np.float64)

    def sampler(rng, n):
        which = rng.integers(0, len(centers), size=n)
        return centers[which] + std * rng.standard_normal((n, 2))

    return ToyDataset(name, sampler, centers=centers, std=std, extent=extent)


def ring(modes=8, radius=1.0, std=0.01):
    """`modes` Gaussians evenly spaced on a circle (default: 8, radius 1, std 0.01)."""
    if not isinstance(modes, numbers.Integral) or isinstance(modes, bool) or modes < 1:
        raise ValueError(f"ring: modes must be a whole number >= 1, got {modes!r}")
    angles = 2 * math.pi * np.arange(modes) / modes
    centers = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    r = 1.5 * radius
    return mixture("ring", centers, std, (-r, r))


def grid(std=0.05):
    """25 Gaussians at {-4, -2, 0, 2, 4}^2 (std 0.05)."""
    ticks = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    centers = np.array([(x, y) for x in ticks for y in ticks])
    return mixture("grid", centers, std, (-5.5, 5.5))


def _sklearn_seed(rng):
    # scikit-learn takes an integer seed: draw it from minigan's generator.
    return int(rng.integers(0, 2**31 - 1))


def swissroll(noise=0.25):
    """scikit-learn's swiss roll seen from above (x, z), scaled to about [-2, 2]^2."""
    from sklearn.datasets import make_swiss_roll

    def sampler(rng, n):
        points, _ = make_swiss_roll(n, noise=noise, random_state=_sklearn_seed(rng))
        return points[:, [0, 2]] / 7.5

    return ToyDataset("swissroll", sampler, extent=(-2.5, 2.5))


def moons(noise=0.05):
    """scikit-learn's two interleaving half circles, centred."""
    from sklearn.datasets import make_moons

    def sampler(rng, n):
        points, _ = make_moons(n, noise=noise, random_state=_sklearn_seed(rng))
        return points - np.array([0.5, 0.25])

    return ToyDataset("moons", sampler, extent=(-2.0, 2.0))


def circles(noise=0.03, factor=0.5):
    """scikit-learn's two concentric circles."""
    from sklearn.datasets import make_circles

    def sampler(rng, n):
        points, _ = make_circles(n, noise=noise, factor=factor, random_state=_sklearn_seed(rng))
        return points

    return ToyDataset("circles", sampler, extent=(-1.5, 1.5))


TOY_DATASETS = {"ring": ring, "grid": grid, "swissroll": swissroll, "moons": moons, "circles": circles}


def toy_dataset(name):
    """The toy dataset called `name` (one of TOY_DATASETS), with default settings."""
    if name not in TOY_DATASETS:
        raise ValueError(f"unknown toy dataset {name!r}: choose one of {', '.join(TOY_DATASETS)}")
    return TOY_DATASETS[name]()
