"""make_grid and save_image (minigan.plots), with torchvision.utils' signatures and results."""

import numpy as np
import pytest
from PIL import Image

import minigan as mg
from minigan.plots import make_grid, save_image


def _expected_grid(images, nrow, padding, pad_value):
    """The grid built another way: each image with `padding` above and left of it, the cells put
    together row by row with np.block, missing cells filled, then `padding` below and right."""
    n, c, h, w = images.shape
    columns = min(nrow, n)
    cells = [np.pad(im, ((0, 0), (padding, 0), (padding, 0)), constant_values=pad_value) for im in images]
    cells += [np.full_like(cells[0], pad_value)] * (-n % columns)
    rows = [np.concatenate(cells[i : i + columns], axis=2) for i in range(0, len(cells), columns)]
    grid = np.concatenate(rows, axis=1)
    return np.pad(grid, ((0, 0), (0, padding), (0, padding)), constant_values=pad_value)


def test_images_are_laid_out_in_rows_with_padding_and_grey_becomes_rgb(device, rng):
    images = rng.uniform(-1, 1, (5, 1, 2, 3)).astype(np.float32)
    grid = make_grid(mg.tensor(images, device=device), nrow=3, padding=1, pad_value=0.25)
    assert isinstance(grid, mg.Tensor) and grid.device == device and grid.dtype == np.float32
    assert grid.shape == (3, 2 * (2 + 1) + 1, 3 * (3 + 1) + 1)  # two rows of three cells, padding all round
    expected = _expected_grid(np.concatenate([images] * 3, axis=1), 3, 1, 0.25)
    np.testing.assert_array_equal(grid.numpy(), expected)
    colour = rng.uniform(0, 1, (9, 3, 4, 4)).astype(np.float32)
    np.testing.assert_array_equal(make_grid(mg.tensor(colour)).numpy(), _expected_grid(colour, 8, 2, 0.0))
    as_list = make_grid([mg.tensor(im) for im in colour], nrow=4)  # a list of (C, H, W) images
    np.testing.assert_array_equal(as_list.numpy(), _expected_grid(colour, 4, 2, 0.0))


def test_one_image_comes_back_without_padding_as_in_torchvision(rng):
    image = rng.uniform(0, 1, (4, 5)).astype(np.float32)
    for given in (image, image[None], image[None, None]):  # (H, W), (1, H, W) and (1, 1, H, W)
        np.testing.assert_array_equal(make_grid(mg.tensor(given), padding=2).numpy(), np.stack([image] * 3))


def test_normalize_maps_the_range_to_0_1_over_all_images_or_each(rng):
    images = rng.uniform(-3, 5, (4, 1, 3, 3)).astype(np.float32)
    x = mg.tensor(images)
    grid = make_grid(x, nrow=4, padding=0, normalize=True).numpy()[0]
    lo, hi = images.min(), images.max()
    np.testing.assert_allclose(grid, np.concatenate(list((images[:, 0] - lo) / (hi - lo)), axis=1), rtol=1e-5)
    np.testing.assert_array_equal(x.numpy(), images)  # the caller's images are left alone
    tanh_range = make_grid(x, nrow=4, padding=0, normalize=True, value_range=(-1, 1)).numpy()[0]
    np.testing.assert_allclose(tanh_range, np.concatenate(list((np.clip(images[:, 0], -1, 1) + 1) / 2), axis=1))
    each = make_grid(x, nrow=4, padding=0, normalize=True, scale_each=True).numpy()[0].reshape(3, 4, 3)
    assert np.allclose(each.min(axis=(0, 2)), 0.0) and np.allclose(each.max(axis=(0, 2)), 1.0)  # every image spans [0, 1]
    flat = make_grid(mg.full((2, 1, 2, 2), 0.7), normalize=True).numpy()  # a constant image: no division by zero
    assert np.isfinite(flat).all() and flat.max() == 0.0


def test_save_image_writes_the_grid_rounded_to_bytes(device, rng, tmp_path):
    images = rng.uniform(-1.2, 1.2, (6, 1, 5, 4)).astype(np.float32)
    path = tmp_path / "fake.png"
    save_image(mg.tensor(images, device=device), path, nrow=3, normalize=True, value_range=(-1, 1))
    picture = np.asarray(Image.open(path))
    unit = make_grid(mg.tensor(images), nrow=3, normalize=True, value_range=(-1, 1)).numpy()
    assert picture.shape == (unit.shape[1], unit.shape[2], 3) and picture.dtype == np.uint8
    np.testing.assert_array_equal(picture, np.floor(unit.transpose(1, 2, 0) * 255 + 0.5).astype(np.uint8))
    assert picture.min() == 0 and picture.max() == 255  # values beyond the range are clipped
    save_image(mg.tensor(images), tmp_path / "raw.jpg", format="png")  # an explicit format wins over the name
    assert Image.open(tmp_path / "raw.jpg").format == "PNG"
    # without normalize, values outside [0, 1] are clipped to 0 and 255 as torchvision's clamp_(0, 255) does
    save_image(mg.tensor(np.array([[[-0.5, 0.0, 0.5, 1.0, 1.5]]], np.float32)), tmp_path / "clipped.png")
    assert np.asarray(Image.open(tmp_path / "clipped.png"))[0, :, 0].tolist() == [0, 0, 128, 255, 255]


def test_a_grid_keeps_float64_images_float64_as_torchvision_does(rng):
    images = rng.uniform(0, 1, (3, 3, 2, 2))
    grid = make_grid(mg.tensor(images, dtype="float64"), nrow=2, padding=1)
    assert grid.dtype == np.float64
    np.testing.assert_array_equal(grid.numpy(), _expected_grid(images, 2, 1, 0.0))
    assert make_grid(mg.tensor(images.astype(np.uint8))).dtype == np.float32  # integer pictures become float32


def test_a_tensors_data_array_is_taken_too(device, rng, tmp_path):
    fake = mg.tensor(rng.uniform(-1, 1, (30, 1, 4, 4)).astype(np.float32), device=device)
    # PyTorch GAN scripts save `fake.data[:25]`; in minigan `.data` is the NumPy (or CuPy) array
    np.testing.assert_array_equal(make_grid(fake.data[:25], nrow=5).numpy(), make_grid(fake[:25], nrow=5).numpy())
    save_image(fake.data[:25], tmp_path / "a.png", nrow=5, normalize=True)
    save_image(fake[:25], tmp_path / "b.png", nrow=5, normalize=True)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert make_grid([fake.data[0], fake[1]]).shape == (3, 8, 14)  # a list may mix them


def test_wrong_inputs_are_named():
    with pytest.raises(TypeError, match=r"make_grid: expected a tensor of images \(N, C, H, W\), got float"):
        make_grid(0.5)
    with pytest.raises(TypeError, match="make_grid: expected a tensor of images or a non-empty list .*, got a list of list"):
        make_grid([[0.0, 1.0]])
    with pytest.raises(TypeError, match="make_grid: expected a tensor of images or a non-empty list of image tensors"):
        make_grid([])
    with pytest.raises(ValueError, match=r"make_grid: expected images \(N, C, H, W\).*got shape \(1, 2, 1, 3, 3\)"):
        make_grid(mg.zeros(1, 2, 1, 3, 3))
    with pytest.raises(TypeError, match="make_grid: value_range must be a \\(low, high\\) pair"):
        make_grid(mg.zeros(2, 1, 3, 3), normalize=True, value_range=1.0)
    with pytest.raises(ValueError, match=r"save_image: a picture needs images with 1, 3 or 4 channels \(N, C, H, W\), "
                                         r"got 2 channels in \(4, 2, 3, 3\)"):
        save_image(mg.zeros(4, 2, 3, 3), "never-written.png")
    # images (N, H, W, C), as NumPy and PIL keep them: the hint says how to move the channels
    with pytest.raises(ValueError, match=r"got 28 channels in \(4, 28, 28, 1\).*x\.permute\(0, 3, 1, 2\)"):
        save_image(mg.zeros(4, 28, 28, 1), "never-written.png")
    with pytest.raises(ValueError, match=r"got 2 channels in a list of 2 images"):
        save_image([mg.zeros(2, 3, 3)] * 2, "never-written.png")


@pytest.mark.parametrize("kwargs, message", [
    (dict(nrow=0), "nrow is the number of images per row, a whole number >= 1, got 0"),  # was a ZeroDivisionError
    (dict(nrow=-2), "nrow is the number of images per row, a whole number >= 1, got -2"),  # was a NumPy error
    (dict(nrow=2.0), "nrow is the number of images per row, a whole number >= 1, got 2.0"),
    (dict(nrow=True), "nrow is the number of images per row, a whole number >= 1, got True"),
    (dict(padding=-1), "padding is a number of pixels, a whole number >= 0, got -1"),
    (dict(padding=1.5), "padding is a number of pixels, a whole number >= 0, got 1.5"),
    (dict(pad_value=None), "pad_value is the padding's value, a number such as 0.0 or 1.0, got None"),  # was NaN
    (dict(normalize=True, value_range=(1, -1)), r"value_range must be \(low, high\) with low < high, got \(1, -1\)"),
    (dict(normalize=True, value_range=("a", "b")), r"value_range must be a \(low, high\) pair of numbers, got \('a', 'b'\)"),
    # torchvision ignores a range without normalize=True, and tanh images come out half black
    (dict(value_range=(-1, 1)), r"value_range=\(-1, 1\) is used only with normalize=True"),
])
def test_layout_arguments_are_checked(kwargs, message, tmp_path):
    images = mg.zeros(4, 1, 3, 3)
    with pytest.raises((ValueError, TypeError), match="make_grid: " + message):
        make_grid(images, **kwargs)
    with pytest.raises((ValueError, TypeError), match="save_image: make_grid: " + message):  # names both
        save_image(images, tmp_path / "never.png", **kwargs)
    assert not (tmp_path / "never.png").exists()


def test_layout_arguments_may_be_numpy_numbers(rng):
    images = rng.uniform(0, 1, (5, 3, 2, 2)).astype(np.float32)
    grid = make_grid(mg.tensor(images), nrow=np.int64(2), padding=np.int32(1), pad_value=np.float32(0.5))
    np.testing.assert_array_equal(grid.numpy(), _expected_grid(images, 2, 1, 0.5))


def test_an_empty_batch_and_a_list_of_2d_images_are_refused():
    with pytest.raises(ValueError, match=r"make_grid: no images to lay out, got shape \(0, 1, 4, 4\)"):
        make_grid(mg.zeros(0, 1, 4, 4))  # was a ZeroDivisionError
    # stacked, five (H, W) images would silently become one image of five channels
    with pytest.raises(ValueError, match=r"make_grid: a list holds \(C, H, W\) images, got \(H, W\) ones of shape "
                                         r"\(4, 4\); give each a channel axis, x\[None\]"):
        make_grid([mg.zeros(4, 4)] * 5)


# -- the training runs' own picture helpers (found by mutation testing)
def test_the_mnist_sample_grid_maps_minus_1_1_to_bytes_row_by_row():
    from minigan.experiments.mnist import image_grid

    images = np.stack([np.full((1, 3, 3), v, dtype=np.float32) for v in (-1.0, 1.0, 0.0)])  # three 3x3 images
    grid = np.asarray(image_grid(images, columns=2, scale=1, pad=1))
    # (x + 1) * 127.5: -1 -> 0, 1 -> 255, 0 -> 127.5, cut to 127; 2 per row, grey (96) lines of 1 pixel around each
    expected = np.full((1 + 2 * 4, 1 + 2 * 4), 96, dtype=np.uint8)
    expected[1:4, 1:4], expected[1:4, 5:8], expected[5:8, 1:4] = 0, 255, 127
    np.testing.assert_array_equal(grid, expected)
    doubled = np.asarray(image_grid(images, columns=2, scale=2, pad=1))  # each pixel becomes 2x2
    np.testing.assert_array_equal(doubled, expected.repeat(2, axis=0).repeat(2, axis=1))


def test_save_gif_loops_forever_at_the_given_pace(tmp_path):
    from PIL import ImageSequence

    from minigan.plots import save_gif

    frames = [Image.new("RGB", (8, 8), (shade, shade, shade)) for shade in (0, 128, 255)]
    save_gif(frames, tmp_path / "a.gif")
    save_gif(frames, tmp_path / "b.gif", seconds_per_frame=0.5)
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.info["loop"] == 0 and gif.info["duration"] == 250  # 0 = forever; milliseconds per frame
        shades = [np.asarray(f.convert("L")).mean() for f in ImageSequence.Iterator(gif)]
        np.testing.assert_allclose(shades, [0, 128, 255], atol=1)  # in order (older Pillow dithers 128 to 127.5)
    with Image.open(tmp_path / "b.gif") as gif:
        assert gif.info["duration"] == 500
