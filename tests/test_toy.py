"""Toy 2-D datasets, the mode-coverage metrics and the pictures."""

import math

import numpy as np
import pytest

import minigan
from minigan import nn
from minigan.data import toy
from minigan.metrics import mode_metrics


def test_ring_and_grid_follow_the_published_setup():
    ring, grid = minigan.data.ring(), minigan.data.grid()
    assert ring.centers.shape == (8, 2) and ring.std == 0.01
    assert np.allclose(np.linalg.norm(ring.centers, axis=1), 1.0)
    assert grid.centers.shape == (25, 2) and grid.std == 0.05
    assert sorted(set(grid.centers[:, 0])) == [-4, -2, 0, 2, 4]
    for data in (ring, grid):
        x = data.sample(4000).numpy()
        assert x.shape == (4000, 2) and x.dtype == np.float32
        d = np.linalg.norm(x[:, None] - data.centers[None], axis=2)
        nearest, dist = d.argmin(axis=1), d.min(axis=1)
        counts = np.bincount(nearest, minlength=len(data.centers))
        assert counts.min() > 0.5 * 4000 / len(data.centers)  # every mode drawn, roughly equally
        assert np.sqrt(np.mean(dist**2) / 2) == pytest.approx(data.std, rel=0.1)  # per-axis std


@pytest.mark.parametrize("name", list(toy.TOY_DATASETS))
def test_every_dataset_is_seeded_by_minigan(name):
    data = toy.toy_dataset(name)
    minigan.manual_seed(5)
    a = data.sample(300).numpy()
    minigan.manual_seed(5)
    b = data.sample(300).numpy()
    c = data.sample(300).numpy()
    assert a.shape == (300, 2) and np.isfinite(a).all()
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    lo, hi = data.extent
    assert np.mean((a > lo) & (a < hi)) > 0.99  # the plotting window holds the data


@pytest.mark.parametrize("name", list(toy.TOY_DATASETS))
def test_rms_radius_is_the_size_of_the_data_and_leaves_the_stream_alone(name):
    data = toy.toy_dataset(name)
    minigan.manual_seed(7)
    before = data.sample(5).numpy()
    minigan.manual_seed(7)
    radius = data.rms_radius  # exact for a mixture, else estimated on its own generator
    assert np.array_equal(data.sample(5).numpy(), before)
    x = data.sample(20000).numpy().astype(np.float64)
    assert radius == pytest.approx(np.sqrt(np.mean(np.sum(x**2, axis=1))), rel=0.03)
    if name == "ring":
        assert radius == pytest.approx(math.sqrt(1 + 2 * 0.01**2), rel=1e-12)
    if name == "grid":
        assert radius == pytest.approx(math.sqrt(16 + 2 * 0.05**2), rel=1e-12)


def test_unknown_dataset_is_named():
    with pytest.raises(ValueError, match="unknown toy dataset 'spiral'"):
        toy.toy_dataset("spiral")


@pytest.mark.parametrize("name", list(toy.TOY_DATASETS))
def test_every_dataset_samples_nothing_alike_and_refuses_counts_that_are_not_whole(name):
    data = toy.toy_dataset(name)
    assert data.sample(0).shape == (0, 2) and data.sample(0).dtype == np.float32  # scikit-learn refuses n = 0 itself
    for n in (-1, 2.7, "5"):
        with pytest.raises(ValueError, match=rf"{name}.sample: n must be a whole number >= 0, got {n!r}"):
            data.sample(n)
    assert data.sample(np.int64(3)).shape == (3, 2)


def test_a_ring_needs_a_mode():
    with pytest.raises(ValueError, match="ring: modes must be a whole number >= 1, got 0"):
        toy.ring(modes=0)
    with pytest.raises(ValueError, match="ring: modes must be a whole number >= 1, got True"):
        toy.ring(modes=True)  # (was a ring of one mode)


@pytest.mark.parametrize("name", ["ring", "moons"])
def test_samples_come_in_minigans_float_dtypes_only(name):
    data = toy.toy_dataset(name)
    assert data.sample(3, dtype=minigan.float64).dtype == np.float64
    assert data.sample(3, dtype=np.float16).dtype == np.float16
    for dtype in ("int64", np.int32, "bool"):  # (were a ring of integers or of booleans)
        with pytest.raises(TypeError, match=rf"{name}.sample: dtype must be one of float32, float64, float16 \(points "
                                            r"are real numbers\)"):
            data.sample(3, dtype=dtype)
    with pytest.raises(TypeError, match="unknown dtype 'float128'"):
        data.sample(3, dtype="float128")


def test_metrics_on_hand_made_samples():
    centers, std = minigan.data.ring().centers, 0.01
    perfect = np.repeat(centers, 10, axis=0)
    m = mode_metrics(perfect, centers, std)
    assert (m["modes"], m["num_modes"], m["hq"], m["kl"]) == (8, 8, 1.0, 0.0)
    # two modes only, plus two points far from every mode
    two = np.concatenate([np.repeat(centers[:2], 5, axis=0), [[0.0, 0.0], [3.0, 3.0]]])
    m = mode_metrics(two, centers, std)
    assert m["modes"] == 2 and m["hq"] == pytest.approx(10 / 12)
    assert m["kl"] == pytest.approx(math.log(4))  # uniform on 2 of 8 modes: log(8/2)
    assert m["counts"] == [5, 5, 0, 0, 0, 0, 0, 0]
    # 3 std is the high-quality boundary: just inside counts, just outside does not
    near = centers[:1] + np.array([[2.9 * std, 0.0], [3.1 * std, 0.0]])
    m = mode_metrics(near, centers, std)
    assert m["hq"] == 0.5 and m["modes"] == 1
    m = mode_metrics(np.array([[0.0, 0.0]]), centers, std)
    assert (m["modes"], m["hq"], m["kl"]) == (0, 0.0, None)


def test_metrics_reject_bad_shapes():
    with pytest.raises(ValueError, match="samples"):
        mode_metrics(np.zeros((5, 3)), np.zeros((8, 2)), 0.1)
    with pytest.raises(ValueError, match="mode_metrics: no samples"):
        mode_metrics(np.zeros((0, 2)), np.zeros((8, 2)), 0.1)
    with pytest.raises(ValueError, match=r"mode_metrics: no mode centres, got centers of shape \(0, d\)"):
        mode_metrics(np.zeros((5, 2)), np.zeros((0, 2)), 0.1)  # NumPy's argmin error before


def test_metrics_measure_euclidean_distances():
    centers = np.array([[0.0, 0.0], [10.0, 0.0]])
    # (2, 2) is 2.83 std from its mode (inside 3), (12.2, 2.2) 3.11 std: |dx| + |dy| would count neither
    m = mode_metrics(np.array([[2.0, 2.0], [12.2, 2.2]]), centers, 1.0)
    assert m["hq"] == 0.5 and m["counts"] == [1, 0]


def test_pictures_have_titles_and_labels(tmp_path):
    from minigan import plots

    data = minigan.data.ring()
    D = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    real, fake = data.sample(200), minigan.randn(200, 2) * 0.5
    figures = [
        plots.plot_gan_lab(D, real, fake, data.extent, title="step 0"),
        plots.plot_samples(real, fake, data.extent),
        plots.plot_curves([{"step": s, "V": -1.4, "D_real": 0.5, "D_fake": 0.5} for s in (1, 2)],
                          [{"step": 2, "modes": 3, "num_modes": 8, "hq": 0.5}]),
    ]
    for fig in figures:
        for ax in fig.axes:
            if ax.get_label() == "<colorbar>":
                continue
            assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    frames = [plots.figure_to_image(f) for f in figures[:1]]
    plots.save_figure(figures[1], tmp_path / "samples.png")
    plots.save_gif(frames * 2, tmp_path / "run.gif")
    assert (tmp_path / "samples.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "run.gif").read_bytes()[:3] == b"GIF"


def test_generator_arrows_point_up_the_discriminator():
    from minigan.plots import generator_arrows

    D = nn.Linear(2, 1)
    D.weight.data[...] = np.array([[2.0, -1.0]], dtype=np.float32)
    fake = minigan.randn(10, 2)
    arrows = generator_arrows(D, fake)
    # the non-saturating loss -log D(x) falls fastest along +w
    directions = arrows / np.linalg.norm(arrows, axis=1, keepdims=True)
    assert np.allclose(directions, np.array([2.0, -1.0]) / math.sqrt(5.0), atol=1e-5)
    # each sample's own gradient, not the batch mean's share: -d/dx[-log sigmoid(w.x + b)] = (1 - sigmoid(w.x + b)) w
    w, b = np.array([2.0, -1.0]), float(D.bias.numpy()[0])
    d_real = 1.0 / (1.0 + np.exp(-(fake.numpy().astype(np.float64) @ w + b)))
    np.testing.assert_allclose(arrows, (1.0 - d_real)[:, None] * w, rtol=1e-5)


def test_the_discriminator_heatmap_is_d_of_x_on_the_grid():
    from minigan.plots import discriminator_grid

    D = nn.Linear(2, 1)  # logit = x1 - 2: D(x) = sigmoid(x1 - 2)
    D.weight.data[...] = np.array([[1.0, 0.0]], dtype=np.float32)
    D.bias.data[...] = -2.0
    xx, yy, probs = discriminator_grid(D, (-3.0, 5.0), resolution=9)
    ticks = np.linspace(-3.0, 5.0, 9)
    np.testing.assert_allclose(xx, np.tile(ticks, (9, 1)))
    np.testing.assert_allclose(yy, np.tile(ticks[:, None], (1, 9)))
    np.testing.assert_allclose(probs, 1.0 / (1.0 + np.exp(-(xx - 2.0))), rtol=1e-6)  # probabilities, not logits


def test_a_ring_is_evenly_spaced_from_angle_zero_and_its_window_grows_with_it():
    for modes, radius in ((3, 2.0), (5, 0.5), (8, 3.0)):
        data = minigan.data.ring(modes, radius)
        angles = 2 * np.pi * np.arange(modes) / modes  # VEEGAN's ring: the first mode at (radius, 0), anticlockwise
        np.testing.assert_allclose(data.centers, radius * np.stack([np.cos(angles), np.sin(angles)], 1), atol=1e-12)
        lo, hi = data.extent
        assert np.all((data.sample(500).numpy() > lo) & (data.sample(500).numpy() < hi))  # the window holds the data


def test_the_scikit_learn_shapes_keep_their_geometry():
    minigan.manual_seed(0)
    # circles: the outer circle has radius 1, the inner one `factor`
    radii = np.linalg.norm(toy.circles(noise=0.0, factor=0.3).sample(200).numpy(), axis=1)
    assert np.all(np.isclose(radii, 1.0, atol=1e-6) | np.isclose(radii, 0.3, atol=1e-6))
    assert np.isclose(radii, 0.3, atol=1e-6).sum() == 100
    # the swiss roll seen from above: (t cos t, t sin t) / 7.5 with t in [1.5 pi, 4.5 pi] (scikit-learn's roll)
    radii = np.linalg.norm(toy.swissroll(noise=0.0).sample(500).numpy().astype(np.float64), axis=1)
    assert radii.min() >= 1.5 * np.pi / 7.5 - 1e-6 and radii.max() <= 4.5 * np.pi / 7.5 + 1e-6
    assert radii.max() > 1.8  # so about [-2, 2]^2, as documented
    # the two moons, centred: scikit-learn's moons have their mean at (0.5, 0.25)
    np.testing.assert_allclose(toy.moons(noise=0.0).sample(400).numpy().mean(axis=0), [0.0, 0.0], atol=1e-6)


def test_a_mixture_drawn_on_the_device_keeps_its_modes_and_spread(device):
    data = minigan.data.ring()
    x = data.sample(4000, device=device)
    assert x.device == device and x.dtype == np.float32
    d = np.linalg.norm(x.numpy()[:, None] - data.centers[None], axis=2)
    counts = np.bincount(d.argmin(axis=1), minlength=8)
    assert counts.min() > 0.5 * 4000 / 8  # every mode drawn, roughly equally
    assert np.sqrt(np.mean(d.min(axis=1) ** 2) / 2) == pytest.approx(0.01, rel=0.1)  # per-axis std


def _gif_frames(path):
    from PIL import Image, ImageSequence

    with Image.open(path) as gif:
        return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(gif)]


def test_the_gif_of_a_resumed_toy_run_has_every_frame_and_old_run_folders_still_resume(tmp_path):
    from minigan.experiments import toy as experiment

    settings = dict(hidden=16, z_dim=4, batch_size=32, eval_every=2, checkpoint_every=2, frames=6, progress=False)
    experiment.run(tmp_path / "full", steps=6, **settings)
    experiment.run(tmp_path / "half", steps=6, stop_after=3, **settings)
    experiment.run(tmp_path / "half", resume=True, progress=False)
    full = _gif_frames(tmp_path / "full" / "training.gif")
    assert len(full) == 6
    resumed = _gif_frames(tmp_path / "half" / "training.gif")
    assert len(resumed) == 6 and all(np.array_equal(a, b) for a, b in zip(full, resumed))
    # a run folder from before the frames were kept as files resumes; its GIF has the frames drawn after the resume
    experiment.run(tmp_path / "old", steps=6, stop_after=3, **settings)
    for frame in (tmp_path / "old" / "frames").iterdir():
        frame.unlink()
    (tmp_path / "old" / "frames").rmdir()
    experiment.run(tmp_path / "old", resume=True, progress=False)
    old = _gif_frames(tmp_path / "old" / "training.gif")
    assert len(old) == 3 and all(np.array_equal(a, b) for a, b in zip(full[3:], old))


@pytest.mark.parametrize("settings, message", [
    ({"stepz": 10}, r"unknown setting\(s\): stepz"),
    ({"dataset": "blobs"}, r"unknown dataset 'blobs': choose one of ring, grid"),
    ({"loss": "bce"}, r"unknown loss 'bce': choose one of minimax, nonsaturating"),
    ({"steps": -1}, r"steps must be a finite number >= 0, got -1"),
    ({"r1": math.nan}, r"r1 must be a finite number >= 0, got nan"),
    ({"rms_radius": math.inf}, r"rms_radius must be a finite number >= 0 \(0 = no rescaling\), got inf"),
    ({"ema": 1.0}, r"need 0 <= ema < 1 and 0 <= lr_decay_start <= 1, got 1.0, 0.5"),
    ({"batch_size": 0}, r"batch_size must be >= 1, got 0"),
    ({"lr": 0.0}, r"lr must be a finite number > 0, got 0.0"),
])
def test_a_bad_toy_setting_is_one_clear_line_and_leaves_no_folder(settings, message, tmp_path):
    # (found by line coverage: the command line's own checks catch most of these first; the Python API relies
    # on these)
    from minigan.experiments import toy as experiment

    with pytest.raises(experiment.SettingError, match=message):
        experiment.run(tmp_path / "run", progress=False, pictures=False, **settings)
    assert not (tmp_path / "run").exists()
