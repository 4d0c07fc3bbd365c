"""Pictures of a 2-D GAN in the style of GAN Lab, training curves, GIFs, and image grids
(``make_grid`` and ``save_image``, as torchvision.utils has them).

matplotlib is imported inside the functions (with the file-only "Agg"
backend), so ``import minigan`` never pulls it in. Every figure has a title
and labelled axes.
"""

import numbers

import numpy as np

from . import autograd as ag
from . import backend
from .gan import generator_loss


def new_figure(**kwargs):
    """A matplotlib Figure drawn by the Agg renderer, made without pyplot.

    No global backend is switched and no window opens, so this works on
    servers and leaves a notebook's inline figures alone.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _numpy(x):
    """A Tensor's or a device array's values as a NumPy array (a CuPy array's ``.data`` is a pointer)."""
    return backend.to_numpy(x.data if isinstance(x, ag.Tensor) else x)


def _device_of(model):
    """The device a model's parameters live on (inputs are put there explicitly)."""
    return next(iter(model.parameters())).device


def discriminator_grid(D, extent, resolution=80, device=None):
    """D(x) = sigmoid(logit) on a resolution x resolution grid over extent=(lo, hi)."""
    device = device or _device_of(D)
    lo, hi = extent
    ticks = np.linspace(lo, hi, resolution, dtype=np.float32)
    xx, yy = np.meshgrid(ticks, ticks)
    points = np.stack([xx.ravel(), yy.ravel()], axis=1)
    with ag.no_grad():
        probs = ag.sigmoid(D(ag.Tensor(points, device=device)))
    return xx, yy, _numpy(probs).reshape(resolution, resolution)


def generator_arrows(D, fake, loss="nonsaturating"):
    """-dL_G/dx at each generated point x: where the generator's loss pushes its samples."""
    x = ag.Tensor(_numpy(fake), requires_grad=True, device=_device_of(D))
    (g,) = ag.grad(generator_loss(loss, D(x)) * float(len(x)), x)  # per-sample gradient (undo the mean)
    return -_numpy(g)


def plot_gan_lab(D, real, fake, extent, loss="nonsaturating", title="", ax=None, arrows=150):
    """One GAN Lab style panel: D(x) heatmap, real points, generated points and G's gradient arrows.

    Returns the matplotlib Figure.
    """
    fig = ax.figure if ax is not None else new_figure(figsize=(5.2, 4.6))
    ax = ax or fig.add_subplot(1, 1, 1)
    xx, yy, probs = discriminator_grid(D, extent)
    mesh = ax.pcolormesh(xx, yy, probs, cmap="RdBu", vmin=0.0, vmax=1.0, shading="auto", alpha=0.55)
    fig.colorbar(mesh, ax=ax, label="D(x) = P(real)")
    real, fake = _numpy(real), _numpy(fake)
    ax.scatter(real[:, 0], real[:, 1], s=3, c="tab:green", label="real", alpha=0.6)
    ax.scatter(fake[:, 0], fake[:, 1], s=3, c="tab:purple", label="generated", alpha=0.6)
    some = fake[:arrows]
    g = generator_arrows(D, some, loss)
    scale = np.abs(g).max() or 1.0
    ax.quiver(some[:, 0], some[:, 1], g[:, 0] / scale, g[:, 1] / scale, color="black", alpha=0.5,
              angles="xy", scale_units="xy", scale=1.0 / (0.08 * (extent[1] - extent[0])), width=0.003)
    ax.set_xlim(*extent)
    ax.set_ylim(*extent)
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title or "D(x) heatmap, samples and generator gradient")
    ax.legend(loc="upper right", fontsize=7, markerscale=3)
    return fig


def plot_samples(real, fake, extent, title="real vs generated samples"):
    """Side-by-side scatter plots of real and generated points. Returns the Figure."""
    fig = new_figure(figsize=(9, 4.4))
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    for ax, pts, name, color in ((axes[0], real, "real", "tab:green"), (axes[1], fake, "generated", "tab:purple")):
        pts = _numpy(pts)
        ax.scatter(pts[:, 0], pts[:, 1], s=2, c=color, alpha=0.5)
        ax.set_xlim(*extent)
        ax.set_ylim(*extent)
        ax.set_aspect("equal")
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        ax.set_title(f"{name} ({len(pts)} points)")
    fig.suptitle(title)
    return fig


def plot_curves(logs, evals=(), title="training curves"):
    """V(D,G), mean D(x), mean D(G(z)) and the losses per step; mode metrics when given.

    logs: list of per-step dicts (keys step, V, D_real, D_fake, loss_d, loss_g).
    evals: list of dicts (keys step, modes, num_modes, hq). Returns the Figure.
    """
    panels = 3 if evals else 2
    fig = new_figure(figsize=(5 * panels, 4))
    axes = fig.subplots(1, panels)
    steps = [r["step"] for r in logs]
    ax = axes[0]
    ax.plot(steps, [r["V"] for r in logs], label="V(D, G)")
    ax.axhline(-np.log(4.0), color="gray", ls="--", lw=1, label="-log 4 (equilibrium)")
    ax.set_xlabel("step")
    ax.set_ylabel("V(D, G)")
    ax.set_title("value function")
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.plot(steps, [r["D_real"] for r in logs], label="mean D(x), real")
    ax.plot(steps, [r["D_fake"] for r in logs], label="mean D(G(z)), generated")
    ax.axhline(0.5, color="gray", ls="--", lw=1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("step")
    ax.set_ylabel("D output")
    ax.set_title("discriminator outputs")
    ax.legend(fontsize=8)
    if evals:
        ax = axes[2]
        es = [e["step"] for e in evals]
        ax.plot(es, [e["modes"] / e["num_modes"] for e in evals], marker="o", label="modes covered (fraction)")
        ax.plot(es, [e["hq"] for e in evals], marker="s", label="high-quality samples (fraction)")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("step")
        ax.set_ylabel("fraction")
        ax.set_title("mode coverage (2,500 samples)")
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def figure_to_image(fig):
    """Render a Figure into a PIL image."""
    from PIL import Image

    fig.canvas.draw()
    image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    return image


def save_figure(fig, path):
    """Save a Figure in the format its file name's extension names (PNG for ``.png``)."""
    fig.savefig(path, dpi=100, bbox_inches="tight")


def save_gif(frames, path, seconds_per_frame=0.25):
    """Write PIL images (equal sizes) as an animated GIF that loops forever."""
    if not frames:
        raise ValueError("save_gif: no frames")
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=int(seconds_per_frame * 1000), loop=0)


# -------------------------------------------- image grids, as torchvision.utils
def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Images side by side in one image tensor (C, H', W'), as ``torchvision.utils.make_grid``.

    `tensor` holds (N, C, H, W) images, or is a list of (C, H, W) ones, or one
    (C, H, W) or (H, W) image (a tensor or its ``.data`` array). Rows of `nrow`
    images, `padding` pixels of `pad_value` around each; one-channel images are
    repeated into three (RGB).
    ``normalize=True`` maps `value_range` (low, high) to [0, 1], clipping values
    outside it; without a range it takes the images' own min and max (each
    image's own with ``scale_each=True``). A generator's tanh output is
    ``make_grid(fake, normalize=True, value_range=(-1, 1))``; a `value_range`
    without ``normalize=True`` is refused (torchvision ignores it). As in torchvision,
    a single image comes back without padding. The result is a new tensor on
    the images' device, outside any graph.
    """
    images = _image_batch(tensor, "make_grid")
    _check_layout(nrow, padding, pad_value, "make_grid")
    _check_value_range(value_range, normalize, "make_grid")
    xp = backend.xp_of(images)
    if images.shape[1] == 1:  # grey -> RGB
        images = xp.concatenate([images] * 3, axis=1)
    if normalize:
        groups = images if scale_each else images[None]  # the images one by one, or all together
        images = xp.stack([_to_unit_range(g, value_range) for g in groups]).reshape(images.shape)
    if images.shape[0] == 1:
        return ag.Tensor(images[0])
    return ag.Tensor(tile(images, min(nrow, images.shape[0]), padding, pad_value))


def tile(images, columns, padding, pad_value):
    """(N, C, H, W) images as one (C, H', W') array: rows of `columns` images, `padding` pixels of
    `pad_value` around each (the array module, dtype and device of `images`)."""
    n, c, h, w = images.shape
    rows = -(-n // columns)
    cell_h, cell_w = h + padding, w + padding  # an image and the padding above (left of) it
    grid = backend.xp_of(images).full((c, rows * cell_h + padding, columns * cell_w + padding), pad_value,
                                      dtype=images.dtype)
    for k in range(n):
        top, left = (k // columns) * cell_h + padding, (k % columns) * cell_w + padding
        grid[:, top : top + h, left : left + w] = images[k]
    return grid


def save_image(tensor, fp, format=None, **kwargs):
    """Write images as one PNG (or `format`) picture, as ``torchvision.utils.save_image``.

    The keyword arguments are ``make_grid``'s. The grid's values in [0, 1]
    become bytes round(255 v), clipped, so images in [-1, 1] need
    ``normalize=True, value_range=(-1, 1)``: ``save_image(G(z), "fake.png",
    nrow=8, normalize=True, value_range=(-1, 1))``.
    """
    from PIL import Image

    try:
        grid = make_grid(tensor, **kwargs)
    except (TypeError, ValueError) as e:  # name the function the caller called too
        raise type(e)(f"save_image: {e}") from None
    if grid.shape[0] not in (3, 4):  # make_grid turned 1 channel into 3; any other count is the images' own
        given = tuple(tensor.shape) if hasattr(tensor, "shape") else f"a list of {len(tensor)} images"
        raise ValueError(f"save_image: a picture needs images with 1, 3 or 4 channels (N, C, H, W), got "
                         f"{grid.shape[0]} channels in {given}; images (N, H, W) need a channel axis, x[:, None], "
                         "and images (N, H, W, C) need their channels moved, x.permute(0, 3, 1, 2)")
    pixels = backend.to_numpy(grid.data).transpose(1, 2, 0) * 255.0 + 0.5
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(fp, format=format)


def _image_batch(tensor, op):
    """make_grid's argument as one (N, C, H, W) float array (a copy: the caller's tensor is left alone).

    Besides tensors it takes their arrays, so PyTorch's ``save_image(fake.data[:25], ...)`` works
    (``x.data`` is the NumPy or CuPy array in minigan).
    """
    if isinstance(tensor, (list, tuple)):
        if not tensor or not all(isinstance(t, ag.Tensor) or ag._is_array(t) for t in tensor):
            raise TypeError(f"{op}: expected a tensor of images or a non-empty list of image tensors, "
                            f"got a {type(tensor).__name__} of {', '.join(sorted({type(t).__name__ for t in tensor}))}")
        if len(tensor) > 1 and tensor[0].ndim == 2:  # stacked, they would read as one image of N channels
            raise ValueError(f"{op}: a list holds (C, H, W) images, got (H, W) ones of shape {tuple(tensor[0].shape)}; "
                             "give each a channel axis, x[None]")
        tensor = ag.stack([ag.Tensor(t) for t in tensor])
    if not (isinstance(tensor, ag.Tensor) or ag._is_array(tensor)):
        raise TypeError(f"{op}: expected a tensor of images (N, C, H, W), got {type(tensor).__name__}")
    images = tensor.data if isinstance(tensor, ag.Tensor) else tensor
    if images.ndim not in (2, 3, 4):
        raise ValueError(f"{op}: expected images (N, C, H, W), one image (C, H, W) or (H, W), got shape {images.shape}")
    if images.ndim == 2:
        images = images[None]
    if images.ndim == 3:
        images = images[None]
    if images.shape[0] == 0:
        raise ValueError(f"{op}: no images to lay out, got shape {images.shape}")
    return images.astype(np.float32 if images.dtype.kind != "f" else images.dtype)  # astype copies


def _is_whole(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_layout(nrow, padding, pad_value, op):
    """Clear errors for a grid's layout arguments (else a ZeroDivisionError or a NumPy error from tile)."""
    if not _is_whole(nrow) or nrow < 1:
        raise ValueError(f"{op}: nrow is the number of images per row, a whole number >= 1, got {nrow!r}")
    if not _is_whole(padding) or padding < 0:
        raise ValueError(f"{op}: padding is a number of pixels, a whole number >= 0, got {padding!r}")
    if not isinstance(pad_value, numbers.Real) or isinstance(pad_value, bool):
        raise TypeError(f"{op}: pad_value is the padding's value, a number such as 0.0 or 1.0, got {pad_value!r}")


def _check_value_range(value_range, normalize, op):
    """value_range is None or a (low, high) pair of numbers with low < high, used with normalize=True."""
    if value_range is None:
        return
    if not (isinstance(value_range, (tuple, list)) and len(value_range) == 2
            and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value_range)):
        raise TypeError(f"{op}: value_range must be a (low, high) pair of numbers, got {value_range!r}")
    if not value_range[0] < value_range[1]:
        raise ValueError(f"{op}: value_range must be (low, high) with low < high, got {value_range!r}")
    if not normalize:  # torchvision ignores it then, and [-1, 1] images come out half black
        raise ValueError(f"{op}: value_range={value_range!r} is used only with normalize=True; pass both, "
                         "e.g. normalize=True, value_range=(-1, 1) for a tanh generator's images")


def _to_unit_range(images, value_range):
    """(x - low) / (high - low), x clipped to [low, high]; low and high the images' own without a range."""
    xp = backend.xp_of(images)
    low, high = (float(images.min()), float(images.max())) if value_range is None else map(float, value_range)
    return (xp.clip(images, low, high) - low) / max(high - low, 1e-5)
