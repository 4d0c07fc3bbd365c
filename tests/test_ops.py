"""Every op in minigan.autograd: gradcheck, gradgradcheck, torch comparison, dtypes, stability.

One table (CASES) describes each op once: a minigan function, the same function
in torch, and how to draw its inputs (kept away from kinks: ReLU/abs at 0, max
ties, clip edges). Every test below walks that table.

Tests that compute take the `device` fixture (tests/conftest.py): inputs are
drawn on the host with NumPy's rng and then put on the device, so the cpu and
cuda cases see the same numbers; results come back through ``.numpy()``.
"""

import math

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn import functional as F


def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def positive(*shape):
    """Values in [0.5, 2]: safe for log, sqrt, division and fractional powers."""
    return lambda rng: rng.uniform(0.5, 2.0, shape)


def away_from_zero(*shape):
    """|x| in [0.2, 1.5]: the kinks of relu, leaky_relu and abs are far."""
    return lambda rng: rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 1.5, shape)


def away_from_clip_edges(*shape):
    """Values inside (-0.4, 0.4) or outside (+-0.6..1.5): far from clip's edges at +-0.5."""
    def draw(rng):
        inside = rng.uniform(-0.4, 0.4, shape)
        outside = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.6, 1.5, shape)
        return np.where(rng.random(shape) < 0.5, inside, outside)
    return draw


def away_from_hard_kinks(*shape):
    """Values in [-5.5, -3.5], [-1, 1] or [3.5, 5.5]: hardswish's and hardsigmoid's kinks at +-3 are far."""
    return lambda rng: rng.choice([-4.5, 0.0, 4.5], shape) + rng.uniform(-1.0, 1.0, shape)


def distinct(*shape, offset=0.0):
    """A permutation of well-separated values: no ties for max (use another offset for maximum's b)."""
    def draw(rng):
        n = int(np.prod(shape))
        return rng.permutation(np.linspace(-2.0, 2.0, n) + offset).reshape(shape)
    return draw


def divisors(*shape):
    """|b| in [2, 3], either sign: with dividends of |a| <= 1.5, a / b is never near a whole number but 0."""
    return lambda rng: rng.choice([-1.0, 1.0], shape) * rng.uniform(2.0, 3.0, shape)


def with_zeros(*shape):
    """Normal values with zeros in place: one in column 0, two in column 1 (where prod's gradient is subtle)."""
    def draw(rng):
        x = rng.standard_normal(shape)
        x[0, 0] = x[0, 1] = x[2, 1] = 0.0
        return x
    return draw


def constant(array_fn):
    """An input that gets no gradient (targets, conditions)."""
    array_fn.constant = True
    return array_fn


def _torch():
    import torch  # noqa: PLC0415 (only inside tests that importorskip'd it)
    return torch


COND = np.array([[True, False, True, False]] * 3)
LABELS = np.array([2, 0, 3])
TARGETS = np.array([[0.0, 1.0, 0.25], [1.0, 0.0, 0.75]])


def on_device_of(array, like):
    """A constant (condition, labels) as a Tensor on `like`'s device: cuda cases never mix in NumPy arrays."""
    return mg.tensor(array, device=like.device)


# name: (minigan fn, torch fn (None: no torch twin), input drawers)
CASES = {
    "add_broadcast": (lambda a, b: a + b, lambda a, b: a + b, [normal(3, 4), normal(4)]),
    "add_outer_broadcast": (lambda a, b: a + b, lambda a, b: a + b, [normal(3, 1), normal(1, 4)]),
    "add_scalar": (lambda a: 2.0 + a, lambda a: 2.0 + a, [normal(3)]),
    "sub_broadcast": (lambda a, b: a - b, lambda a, b: a - b, [normal(2, 3, 4), normal(3, 1)]),
    "rsub_scalar": (lambda a: 1.0 - a, lambda a: 1.0 - a, [normal(3)]),
    "mul_broadcast": (lambda a, b: a * b, lambda a, b: a * b, [normal(3, 4), normal(3, 1)]),
    "mul_same_tensor": (lambda a: a * a, lambda a: a * a, [normal(3, 2)]),
    "div_broadcast": (lambda a, b: a / b, lambda a, b: a / b, [normal(3, 4), positive(4)]),
    "rdiv_scalar": (lambda a: 1.0 / a, lambda a: 1.0 / a, [positive(3)]),
    "neg": (lambda a: -a, lambda a: -a, [normal(3, 2)]),
    "clone_then_square": (lambda a: a.clone() * a, lambda a: a.clone() * a, [normal(3, 2)]),
    "pow_2": (lambda a: a**2, lambda a: a**2, [normal(3, 2)]),
    "pow_3": (lambda a: a**3, lambda a: a**3, [normal(3, 2)]),
    "pow_half": (lambda a: a**0.5, lambda a: a**0.5, [positive(3, 2)]),
    "pow_negative": (lambda a: mg.pow(a, -1.5), lambda a: a**-1.5, [positive(3, 2)]),
    "exp": (mg.exp, lambda a: a.exp(), [normal(3, 2)]),
    "rpow": (lambda a: 2.5 ** a, lambda a: 2.5 ** a, [normal(3, 2)]),
    "normalize": (lambda a: F.normalize(a, dim=1), lambda a: _torch().nn.functional.normalize(a, dim=1),
                  [normal(3, 4)]),
    "normalize_p1_dim0": (lambda a: F.normalize(a, p=1, dim=0), lambda a: _torch().nn.functional.normalize(a, p=1, dim=0),
                          [away_from_zero(3, 4)]),
    "log": (mg.log, lambda a: a.log(), [positive(3, 2)]),
    "log1p": (mg.log1p, lambda a: a.log1p(), [lambda rng: rng.uniform(-0.5, 2.0, (3, 2))]),
    "logsumexp": (lambda a: a.logsumexp(1), lambda a: a.logsumexp(1), [normal(3, 4)]),
    "logsumexp_keepdim_large": (lambda a: mg.logsumexp(a * 100, (0, 1), keepdim=True),  # no overflow at e^300
                                lambda a: (a * 100).logsumexp((0, 1), keepdim=True), [normal(3, 4)]),
    "flip": (lambda a: a.flip((0, 2)), lambda a: a.flip((0, 2)), [normal(2, 3, 4)]),
    "sqrt": (mg.sqrt, lambda a: a.sqrt(), [positive(3, 2)]),
    "abs": (mg.abs, lambda a: a.abs(), [away_from_zero(3, 2)]),
    "maximum_broadcast": (mg.maximum, lambda a, b: _torch().maximum(a, b), [distinct(3, 4), distinct(4, offset=0.05)]),
    "minimum": (mg.minimum, lambda a, b: _torch().minimum(a, b), [distinct(3, 4), distinct(3, 4, offset=0.05)]),
    "clip": (lambda a: mg.clip(a, -0.5, 0.5), lambda a: a.clamp(-0.5, 0.5), [away_from_clip_edges(4, 3)]),
    "clip_min_only": (lambda a: mg.clip(a, min=-0.5), lambda a: a.clamp(min=-0.5), [away_from_clip_edges(4, 3)]),
    "clip_max_only": (lambda a: mg.clamp(a, max=0.5), lambda a: a.clamp(max=0.5), [away_from_clip_edges(4, 3)]),
    "where_broadcast": (
        lambda a, b: mg.where(on_device_of(COND, a), a, b),
        lambda a, b: _torch().where(_torch().tensor(COND), a, b),
        [normal(3, 4), normal(4)],
    ),
    "matmul": (lambda a, b: a @ b, lambda a, b: a @ b, [normal(3, 4), normal(4, 5)]),
    "matmul_batched_broadcast": (lambda a, b: a @ b, lambda a, b: a @ b, [normal(2, 3, 4), normal(4, 5)]),
    "matmul_batched": (mg.matmul, lambda a, b: a @ b, [normal(2, 3, 4), normal(2, 4, 5)]),
    "matmul_vector_left": (lambda a, b: a @ b, lambda a, b: a @ b, [normal(4), normal(4, 5)]),
    "matmul_vector_right": (lambda a, b: a @ b, lambda a, b: a @ b, [normal(3, 4), normal(4)]),
    "matmul_vectors": (lambda a, b: a @ b, lambda a, b: a @ b, [normal(4), normal(4)]),  # a dot product, 0-d
    "linear": (F.linear, lambda x, w, b: _torch().nn.functional.linear(x, w, b), [normal(3, 4), normal(5, 4), normal(5)]),
    "linear_no_bias_3d": (F.linear, lambda x, w: _torch().nn.functional.linear(x, w), [normal(2, 3, 4), normal(5, 4)]),
    "sum_all": (mg.sum, lambda a: a.sum(), [normal(3, 4)]),
    "sum_axis": (lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), [normal(3, 4)]),
    "sum_axes_keepdims": (
        lambda a: mg.sum(a, axis=(0, 2), keepdims=True),
        lambda a: a.sum(dim=(0, 2), keepdim=True),
        [normal(2, 3, 4)],
    ),
    "mean_all": (mg.mean, lambda a: a.mean(), [normal(3, 4)]),
    "mean_last_keepdims": (lambda a: a.mean(axis=-1, keepdims=True), lambda a: a.mean(dim=-1, keepdim=True), [normal(3, 4)]),
    "max_all": (mg.max, lambda a: a.max(), [distinct(3, 4)]),
    "max_axis": (lambda a: a.max(axis=1), lambda a: a.amax(dim=1), [distinct(3, 4)]),
    "max_axis_keepdims": (lambda a: mg.max(a, axis=0, keepdims=True), lambda a: a.amax(dim=0, keepdim=True), [distinct(3, 4)]),
    "min_all": (mg.min, lambda a: a.min(), [distinct(3, 4)]),
    "min_axis_keepdims": (lambda a: a.min(axis=-1, keepdims=True), lambda a: a.amin(dim=-1, keepdim=True), [distinct(3, 4)]),
    "max_dim_values": (lambda a: a.max(1).values, lambda a: a.max(1).values, [distinct(3, 4)]),  # torch's (values, indices)
    "min_dim_keepdim_values": (lambda a: mg.min(a, dim=0, keepdim=True)[0], lambda a: a.min(dim=0, keepdim=True)[0],
                               [distinct(3, 4)]),
    "reshape": (lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), [normal(3, 4)]),
    "unsqueeze": (lambda a: a.unsqueeze(1), lambda a: a.unsqueeze(1), [normal(3, 4)]),
    "unsqueeze_end": (lambda a: mg.unsqueeze(a, -1), lambda a: a.unsqueeze(-1), [normal(3, 4)]),
    "squeeze_all": (mg.squeeze, lambda a: a.squeeze(), [normal(3, 1, 4, 1)]),
    "squeeze_one": (lambda a: a.squeeze(-1), lambda a: a.squeeze(-1), [normal(3, 1, 4, 1)]),
    "squeeze_tuple": (lambda a: a.squeeze((0, 1, -1)), lambda a: a.squeeze((0, 1, -1)), [normal(3, 1, 4, 1)]),
    "flatten_middle": (lambda a: mg.flatten(a, 1, 2), lambda a: a.flatten(1, 2), [normal(2, 3, 4, 2)]),
    "reshape_infer": (lambda a: mg.reshape(a, -1), lambda a: a.reshape(-1), [normal(2, 3, 2)]),
    "transpose": (lambda a: a.T, lambda a: a.T, [normal(3, 4)]),
    "permute": (lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1), [normal(2, 3, 4)]),
    "permute_tuple": (lambda a: mg.permute(a, (1, 0, 2)), lambda a: a.permute(1, 0, 2), [normal(2, 3, 4)]),
    "transpose_two_axes": (lambda a: mg.transpose(a, 0, 2), lambda a: a.transpose(0, 2), [normal(2, 3, 4)]),
    "transpose_matrix": (lambda a: a.transpose(0, 1), lambda a: a.transpose(0, 1), [normal(3, 4)]),
    "index_slices": (lambda a: a[1:, ::2], lambda a: a[1:, ::2], [normal(4, 5)]),
    "pad_last_two_axes": (lambda a: F.pad(a, (1, 2, 0, 3)), lambda a: _torch().nn.functional.pad(a, (1, 2, 0, 3)),
                          [normal(2, 3, 4)]),
    "pad_reflect": (lambda a: F.pad(a, (2, 1, 1, 2), mode="reflect"),
                    lambda a: _torch().nn.functional.pad(a, (2, 1, 1, 2), mode="reflect"), [normal(2, 3, 4, 5)]),
    "pad_replicate": (lambda a: F.pad(a, (1, 3, 2, 0), mode="replicate"),
                      lambda a: _torch().nn.functional.pad(a, (1, 3, 2, 0), mode="replicate"), [normal(2, 2, 3, 4)]),
    "pad_circular": (lambda a: F.pad(a, (2, 2, 1, 0), mode="circular"),
                     lambda a: _torch().nn.functional.pad(a, (2, 2, 1, 0), mode="circular"), [normal(1, 2, 3, 4)]),
    "pixel_shuffle": (lambda a: F.pixel_shuffle(a, 2), lambda a: _torch().nn.functional.pixel_shuffle(a, 2),
                      [normal(2, 8, 3, 2)]),
    # distinct values: no ties for a window's max
    "max_pool2d_2": (lambda a: F.max_pool2d(a, 2), lambda a: _torch().nn.functional.max_pool2d(a, 2),
                     [distinct(2, 3, 5, 4)]),
    "max_pool2d_3_stride_2_padding_1": (lambda a: F.max_pool2d(a, 3, 2, 1),
                                        lambda a: _torch().nn.functional.max_pool2d(a, 3, 2, 1), [distinct(2, 2, 5, 6)]),
    # squared: the gradient then depends on the input, so a second derivative runs max-pool's scatter backward
    "max_pool2d_squared": (lambda a: F.max_pool2d(a, 3, 2, 1) ** 2,
                           lambda a: _torch().nn.functional.max_pool2d(a, 3, 2, 1) ** 2, [distinct(2, 2, 5, 6)]),
    "avg_pool2d_2": (lambda a: F.avg_pool2d(a, 2), lambda a: _torch().nn.functional.avg_pool2d(a, 2),
                     [normal(2, 3, 5, 4)]),
    "avg_pool2d_3_stride_2_padding_1": (lambda a: F.avg_pool2d(a, 3, 2, 1),
                                        lambda a: _torch().nn.functional.avg_pool2d(a, 3, 2, 1), [normal(2, 2, 5, 6)]),
    # dilation, ceil_mode, adaptive windows, unfold / fold (UnfoldOp, FoldOp), pixel_unshuffle: test_pooling_extras
    "unfold_dilated_padded_strided": (lambda a: F.unfold(a, (2, 3), (2, 1), 1, (1, 2)),
                                      lambda a: _torch().nn.functional.unfold(a, (2, 3), (2, 1), 1, (1, 2)),
                                      [normal(2, 2, 5, 6)]),
    "fold_dilated_padded_strided": (lambda a: F.fold(a, (5, 6), (2, 3), (2, 1), 1, (1, 2)),
                                    lambda a: _torch().nn.functional.fold(a, (5, 6), (2, 3), (2, 1), 1, (1, 2)),
                                    [normal(2, 12, 15)]),
    "max_pool2d_dilated_ceil_squared": (lambda a: F.max_pool2d(a, 2, 2, 1, dilation=2, ceil_mode=True) ** 2,
                                        lambda a: _torch().nn.functional.max_pool2d(a, 2, 2, 1, dilation=2,
                                                                                    ceil_mode=True) ** 2,
                                        [distinct(2, 2, 6, 5)]),
    "avg_pool2d_ceil_no_pad_count": (lambda a: F.avg_pool2d(a, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                                     lambda a: _torch().nn.functional.avg_pool2d(a, 3, 2, 1, ceil_mode=True,
                                                                                 count_include_pad=False),
                                     [normal(2, 2, 6, 5)]),
    "adaptive_avg_pool2d_3x2": (lambda a: F.adaptive_avg_pool2d(a, (3, 2)),
                                lambda a: _torch().nn.functional.adaptive_avg_pool2d(a, (3, 2)), [normal(2, 2, 5, 7)]),
    "adaptive_max_pool2d_3x2": (lambda a: F.adaptive_max_pool2d(a, (3, 2)),
                                lambda a: _torch().nn.functional.adaptive_max_pool2d(a, (3, 2)),
                                [distinct(2, 2, 5, 7)]),
    "pixel_unshuffle": (lambda a: F.pixel_unshuffle(a, 2), lambda a: _torch().nn.functional.pixel_unshuffle(a, 2),
                        [normal(2, 2, 4, 6)]),
    "interpolate_nearest_2x": (lambda a: F.interpolate(a, scale_factor=2),
                               lambda a: _torch().nn.functional.interpolate(a, scale_factor=2), [normal(2, 3, 3, 4)]),
    "interpolate_size_1d": (lambda a: F.interpolate(a, size=9), lambda a: _torch().nn.functional.interpolate(a, size=9),
                            [normal(2, 2, 3)]),
    "interpolate_bilinear_2x": (lambda a: F.interpolate(a, scale_factor=2, mode="bilinear"),
                                lambda a: _torch().nn.functional.interpolate(a, scale_factor=2, mode="bilinear"),
                                [normal(2, 3, 3, 4)]),
    "interpolate_bilinear_0_6x": (lambda a: F.interpolate(a, scale_factor=0.6, mode="bilinear"),  # torch's 1/factor step
                                  lambda a: _torch().nn.functional.interpolate(a, scale_factor=0.6, mode="bilinear"),
                                  [normal(1, 2, 7, 5)]),
    "interpolate_bilinear_size_align_corners": (
        lambda a: F.interpolate(a, size=(5, 7), mode="bilinear", align_corners=True),
        lambda a: _torch().nn.functional.interpolate(a, size=(5, 7), mode="bilinear", align_corners=True),
        [normal(2, 1, 3, 4)]),
    "interpolate_linear_size": (lambda a: F.interpolate(a, size=7, mode="linear"),
                                lambda a: _torch().nn.functional.interpolate(a, size=7, mode="linear"),
                                [normal(2, 2, 3)]),
    "group_norm_affine": (lambda a, w, b: F.group_norm(a, 2, w, b),
                          lambda a, w, b: _torch().nn.functional.group_norm(a, 2, w, b),
                          [normal(2, 4, 3, 2), normal(4), normal(4)]),
    "layer_norm_affine": (lambda a, w, b: F.layer_norm(a, (3, 4), w, b),
                          lambda a, w, b: _torch().nn.functional.layer_norm(a, (3, 4), w, b),
                          [normal(2, 3, 4), normal(3, 4), normal(3, 4)]),
    "instance_norm_affine": (lambda a, w, b: F.instance_norm(a, None, None, w, b),
                             lambda a, w, b: _torch().nn.functional.instance_norm(a, weight=w, bias=b),
                             [normal(2, 3, 4, 5), normal(3), normal(3)]),
    "pad_value_and_crop": (lambda a: F.pad(a, (-1, 2, 1, -2), value=0.5),
                           lambda a: _torch().nn.functional.pad(a, (-1, 2, 1, -2), value=0.5), [normal(4, 5)]),
    "index_int_and_negative_slice": (lambda a: a[2, ::-1], lambda a: a[2].flip(0), [normal(4, 5)]),
    "index_repeated_ints": (lambda a: a[[0, 2, 0, 0]], lambda a: a[[0, 2, 0, 0]], [normal(4, 3)]),
    "index_two_int_arrays": (  # NumPy index arrays on purpose: getitem moves them to the tensor's device
        lambda a: a[np.array([0, 1, 1, 0]), np.array([2, 0, 2, 2])],
        lambda a: a[[0, 1, 1, 0], [2, 0, 2, 2]],
        [normal(3, 4)],
    ),
    "index_repeated_then_square": (lambda a: a[[1, 1, 3]] ** 2, lambda a: a[[1, 1, 3]] ** 2, [normal(4, 2)]),
    "index_bool_mask": (lambda a: a[on_device_of(COND, a)], lambda a: a[_torch().tensor(COND)], [normal(3, 4)]),
    "index_ellipsis_newaxis": (lambda a: a[..., None, 1], lambda a: a[..., None, 1], [normal(2, 3)]),
    "cat_axis0": (lambda a, b: mg.cat([a, b]), lambda a, b: _torch().cat([a, b]), [normal(2, 3), normal(4, 3)]),
    "cat_axis1": (lambda a, b: mg.cat([a, b], axis=1), lambda a, b: _torch().cat([a, b], 1), [normal(2, 3), normal(2, 1)]),
    "cat_same_tensor_twice": (lambda a: mg.cat([a, a], dim=-1), lambda a: _torch().cat([a, a], -1), [normal(2, 3)]),
    "stack": (lambda a, b: mg.stack([a, b]), lambda a, b: _torch().stack([a, b]), [normal(2, 3), normal(2, 3)]),
    "stack_last": (lambda a, b: mg.stack([a, b], axis=-1), lambda a, b: _torch().stack([a, b], -1), [normal(2, 3), normal(2, 3)]),
    "relu": (mg.relu, lambda a: a.relu(), [away_from_zero(3, 4)]),
    "leaky_relu": (lambda a: mg.leaky_relu(a, 0.2), lambda a: _torch().nn.functional.leaky_relu(a, 0.2), [away_from_zero(3, 4)]),
    "leaky_relu_steep": (lambda a: mg.leaky_relu(a, 1.5), lambda a: _torch().nn.functional.leaky_relu(a, 1.5), [away_from_zero(3, 4)]),
    "leaky_relu_negative": (lambda a: mg.leaky_relu(a, -0.3), lambda a: _torch().nn.functional.leaky_relu(a, -0.3), [away_from_zero(3, 4)]),
    "leaky_relu_0d": (lambda a: mg.leaky_relu(a, 0.2), lambda a: _torch().nn.functional.leaky_relu(a, 0.2), [away_from_zero()]),
    "sigmoid": (mg.sigmoid, lambda a: a.sigmoid(), [normal(3, 4)]),
    "tanh": (mg.tanh, lambda a: a.tanh(), [normal(3, 4)]),
    "softplus": (mg.softplus, lambda a: _torch().nn.functional.softplus(a), [normal(3, 4)]),
    "elu": (lambda a: F.elu(a, alpha=0.7), lambda a: _torch().nn.functional.elu(a, alpha=0.7), [away_from_zero(3, 4)]),
    "silu": (F.silu, lambda a: _torch().nn.functional.silu(a), [normal(3, 4)]),
    # beta x > threshold gives x itself: a jump at x = 0.5 here, so the inputs keep 0.2 away from it
    "softplus_beta_threshold": (lambda a: F.softplus(a, beta=2, threshold=1), lambda a: _torch().nn.functional.softplus(
        a, beta=2, threshold=1), [lambda rng: rng.choice([-0.5, 1.2], (3, 4)) + rng.uniform(-0.5, 0.5, (3, 4))]),
    "softplus_module_past_20": (mg.nn.Softplus(), lambda a: _torch().nn.Softplus()(a),
                                [lambda rng: rng.uniform(15.0, 25.0, (3, 4))]),
    "logsigmoid": (mg.logsigmoid, lambda a: _torch().nn.functional.logsigmoid(a), [normal(3, 4)]),
    # the other activations (kinks, erf's accuracy, layers): tests/test_activations.py
    "hardtanh": (lambda a: F.hardtanh(a, -0.5, 0.5), lambda a: _torch().nn.functional.hardtanh(a, -0.5, 0.5),
                 [away_from_clip_edges(4, 3)]),
    "erf": (mg.erf, lambda a: a.erf(), [lambda rng: 2.0 * rng.standard_normal((3, 4))]),
    # alpha 0.5: torch's backward takes 1/alpha in float32, exact only for a power of 2 (the others: test_activations)
    "celu": (lambda a: F.celu(a, 0.5), lambda a: _torch().nn.functional.celu(a, 0.5), [away_from_zero(3, 4)]),
    # 0.5 and more away from the kinks at -3 and 3 (the kinks themselves, NaN and +-inf: tests/test_parity_nits.py)
    "hardswish": (F.hardswish, lambda a: _torch().nn.functional.hardswish(a), [away_from_hard_kinks(3, 4)]),
    # torch's hardsigmoid's float64 gradient holds a float32 1/6: compared with its formula written out instead
    "hardsigmoid": (F.hardsigmoid, lambda a: (a + 3.0).clamp(0.0, 6.0) / 6.0, [away_from_hard_kinks(3, 4)]),
    "bce_logits_mean": (
        lambda l, t: mg.binary_cross_entropy_with_logits(l, t),
        lambda l, t: _torch().nn.functional.binary_cross_entropy_with_logits(l, t),
        [normal(2, 3), constant(lambda rng: TARGETS)],
    ),
    "bce_logits_none_target_grad": (
        lambda l, t: F.binary_cross_entropy_with_logits(l, t, reduction="none"),
        lambda l, t: _torch().nn.functional.binary_cross_entropy_with_logits(l, t, reduction="none"),
        [normal(2, 3), positive(2, 3)],
    ),
    "bce_logits_sum": (
        lambda l, t: mg.binary_cross_entropy_with_logits(l, t, reduction="sum"),
        lambda l, t: _torch().nn.functional.binary_cross_entropy_with_logits(l, t, reduction="sum"),
        [normal(2, 3), constant(lambda rng: TARGETS)],
    ),
    # composites in minigan.nn.functional
    "mse_loss": (F.mse_loss, lambda a, b: _torch().nn.functional.mse_loss(a, b), [normal(3, 2), normal(3, 2)]),
    # |a - b| has its kink where a = b: the two inputs are drawn a whole unit apart
    "l1_loss": (F.l1_loss, lambda a, b: _torch().nn.functional.l1_loss(a, b),
                [normal(3, 2), lambda rng: rng.standard_normal((3, 2)) + rng.choice([-1.5, 1.5], (3, 2))]),
    "nll_loss_of_log_softmax": (lambda a: F.nll_loss(F.log_softmax(a, dim=1), on_device_of(LABELS, a), reduction="sum"),
                                lambda a: _torch().nn.functional.nll_loss(a.log_softmax(1), _torch().tensor(LABELS),
                                                                          reduction="sum"), [normal(3, 4)]),
    "log_softmax": (lambda a: F.log_softmax(a, dim=1), lambda a: a.log_softmax(1), [normal(3, 4)]),
    "softmax": (lambda a: F.softmax(a, dim=0), lambda a: a.softmax(0), [normal(3, 4)]),
    "cross_entropy": (
        lambda a: F.cross_entropy(a, on_device_of(LABELS, a)),
        lambda a: _torch().nn.functional.cross_entropy(a, _torch().tensor(LABELS)),
        [normal(3, 4)],
    ),
    "cross_entropy_probabilities": (
        F.cross_entropy,
        lambda a, p: _torch().nn.functional.cross_entropy(a, p),
        [normal(3, 4), constant(lambda rng: rng.dirichlet(np.ones(4), 3))],
    ),
    "binary_cross_entropy": (
        F.binary_cross_entropy,
        lambda p, t: _torch().nn.functional.binary_cross_entropy(p, t),
        [lambda rng: rng.uniform(0.1, 0.9, (2, 3)), constant(lambda rng: TARGETS)],
    ),
    "sum_to": (lambda a: mg.sum_to(a, (3, 1)), lambda a: a.sum(dim=(0, 2), keepdim=True)[0], [normal(2, 3, 4)]),
    "broadcast_to": (lambda a: mg.broadcast_to(a, (2, 3, 4)), lambda a: a.expand(2, 3, 4), [normal(3, 1)]),
    # composed of the ops above, with torch's names and defaults (var/std: correction=1)
    "var_all": (lambda a: a.var(), lambda a: a.var(), [normal(3, 4)]),
    "var_dim_uncorrected": (lambda a: mg.var(a, dim=0, correction=0), lambda a: a.var(dim=0, correction=0), [normal(3, 4)]),
    "std_dim_keepdim": (lambda a: a.std(1, keepdim=True), lambda a: a.std(1, keepdim=True), [normal(3, 4)]),
    "std_unbiased_false": (lambda a: a.std(0, unbiased=False), lambda a: a.std(0, unbiased=False), [normal(3, 4)]),
    "expand": (lambda a: a.expand(2, -1, 4), lambda a: a.expand(2, -1, 4), [normal(3, 1)]),
    "t_matrix": (lambda a: a.t(), lambda a: a.t(), [normal(3, 4)]),
    "masked_fill": (lambda a: a.masked_fill(a > 0, 0.5), lambda a: a.masked_fill(a > 0, 0.5), [away_from_zero(3, 4)]),
    "norm_all": (mg.norm, lambda a: a.norm(), [normal(3, 4)]),
    "norm_dim": (lambda a: a.norm(2, dim=1), lambda a: a.norm(2, dim=1), [normal(3, 4)]),  # WGAN-GP's
    "norm_1_keepdim": (lambda a: a.norm(1, dim=0, keepdim=True), lambda a: a.norm(1, dim=0, keepdim=True), [normal(3, 4)]),
    "repeat": (lambda a: a.repeat(2, 1, 3), lambda a: a.repeat(2, 1, 3), [normal(3, 2)]),
    "clamp_method": (lambda a: a.clamp(min=-0.5), lambda a: a.clamp(min=-0.5), [away_from_clip_edges(3, 4)]),
    "softmax_method": (lambda a: a.softmax(1), lambda a: a.softmax(1), [normal(3, 4)]),
    "log_softmax_method": (lambda a: a.log_softmax(0), lambda a: a.log_softmax(0), [normal(3, 4)]),
    "square": (lambda a: a.square(), lambda a: a.square(), [normal(3, 4)]),
    "split_sizes": (lambda a: a.split([1, 3], 1)[1], lambda a: a.split([1, 3], 1)[1], [normal(2, 4)]),
    "chunk_uneven": (lambda a: a.chunk(2, 0)[1], lambda a: a.chunk(2, 0)[1], [normal(3, 2)]),
    # |a| in [0.2, 1.5] over |b| in [2, 3]: a / b stays off the whole numbers, where remainder and fmod jump
    "remainder_broadcast": (lambda a, b: a % b, lambda a, b: a % b, [away_from_zero(3, 4), divisors(4)]),
    "fmod": (mg.fmod, lambda a, b: _torch().fmod(a, b), [away_from_zero(3, 4), divisors(3, 4)]),
    "cumsum": (lambda a: a.cumsum(1), lambda a: a.cumsum(1), [normal(3, 4)]),
    "prod_all": (lambda a: a.prod(), lambda a: a.prod(), [normal(3, 4)]),
    "prod_dim_with_zeros": (lambda a: a.prod(0, keepdim=True), lambda a: a.prod(0, keepdim=True), [with_zeros(3, 4)]),
    # repeated positions in the index: gather's gradient adds them up (a scatter-add), as scatter_add's forward
    "gather_repeated": (lambda a: mg.gather(a, 1, on_device_of(np.array([[0, 0, 3], [2, 1, 2], [3, 3, 3]]), a)),
                        lambda a: _torch().gather(a, 1, _torch().tensor([[0, 0, 3], [2, 1, 2], [3, 3, 3]])),
                        [normal(3, 5)]),
    "scatter_add_repeated": (lambda a, s: mg.scatter_add(a, 0, on_device_of(np.array([[2, 0, 2], [2, 1, 0]]), a), s),
                             lambda a, s: a.scatter_add(0, _torch().tensor([[2, 0, 2], [2, 1, 0]]), s),
                             [normal(3, 4), normal(2, 3)]),
    "scatter_src": (lambda a, s: a.scatter(1, on_device_of(np.array([[3, 0], [1, 2], [2, 3]]), a), s),
                    lambda a, s: a.scatter(1, _torch().tensor([[3, 0], [1, 2], [2, 3]]), s),
                    [normal(3, 4), normal(3, 2)]),
    "diag_vector_above": (lambda a: mg.diag(a, 1), lambda a: _torch().diag(a, 1), [normal(3)]),
    "diag_of_matrix_below": (lambda a: a.diag(-1), lambda a: a.diag(-1), [normal(3, 4)]),
    "pow_tensor_broadcast": (lambda a, b: a ** b, lambda a, b: a ** b, [positive(3, 4), normal(4)]),
    "sin": (mg.sin, lambda a: a.sin(), [normal(3, 4)]),
    "cos": (lambda a: a.cos(), lambda a: a.cos(), [normal(3, 4)]),
    "floor_times_a": (lambda a: mg.floor(a * 3.0) * a, lambda a: (a * 3.0).floor() * a, [normal(3, 4)]),
    # a diagonal ("ii"), a letter summed in one operand alone ("k"), '...' and a size-1 broadcast: every path of Einsum
    "einsum": (lambda a, b: mg.einsum("...iik,...j->...ij", a, b),
               lambda a, b: _torch().einsum("...iik,...j->...ij", a, b), [normal(2, 1, 3, 3, 2), normal(3, 4)]),
}
CASES.update({  # helper K's: minigan.linalg's ops (matrices near 2 I: far from singular); more in tests/test_linalg.py
    "linalg_inv": (mg.linalg.inv, lambda a: _torch().linalg.inv(a),
                   [lambda rng: rng.standard_normal((2, 3, 3)) * 0.3 + 2 * np.eye(3)]),
    "linalg_det": (mg.linalg.det, lambda a: _torch().linalg.det(a),
                   [lambda rng: rng.standard_normal((2, 3, 3)) * 0.3 + 2 * np.eye(3)]),
    "linalg_solve": (mg.linalg.solve, lambda a, b: _torch().linalg.solve(a, b),
                     [lambda rng: rng.standard_normal((3, 3)) * 0.3 + 2 * np.eye(3), normal(3, 2)]),
})

# Ops whose second derivatives (double backprop) must be right.
GRADGRAD = [
    "add_broadcast", "sub_broadcast", "mul_broadcast", "mul_same_tensor", "div_broadcast", "rdiv_scalar",
    "neg", "clone_then_square", "pow_2", "pow_3", "pow_half", "pow_negative", "exp", "log", "log1p", "logsumexp",
    "flip", "sqrt", "abs", "maximum_broadcast",
    "clip", "where_broadcast", "relu", "leaky_relu", "leaky_relu_negative", "sigmoid", "tanh", "softplus", "softplus_beta_threshold", "logsigmoid",
    "matmul", "matmul_batched_broadcast", "matmul_vector_left", "matmul_vectors", "linear", "linear_no_bias_3d",
    "sum_all", "sum_axes_keepdims", "mean_all", "mean_last_keepdims", "max_axis", "max_all",
    "bce_logits_mean", "bce_logits_none_target_grad", "index_repeated_ints", "index_slices",
    "index_repeated_then_square", "index_two_int_arrays",
    "cat_axis1", "stack", "transpose", "sum_to", "broadcast_to", "log_softmax", "cross_entropy",
    "cross_entropy_probabilities", "binary_cross_entropy",
    "norm_dim", "pad_last_two_axes", "pad_value_and_crop", "pad_reflect", "interpolate_nearest_2x", "interpolate_bilinear_0_6x", "layer_norm_affine", "group_norm_affine", "elu",
    "silu", "l1_loss", "pixel_shuffle", "avg_pool2d_3_stride_2_padding_1", "max_pool2d_3_stride_2_padding_1",
    "max_pool2d_squared", "instance_norm_affine", "remainder_broadcast", "fmod", "cumsum", "prod_all",
    "prod_dim_with_zeros", "gather_repeated", "scatter_add_repeated", "scatter_src", "diag_vector_above",
    "diag_of_matrix_below", "pow_tensor_broadcast",
    "sin", "cos", "einsum",
    "erf", "celu", "hardswish",
    "unfold_dilated_padded_strided", "fold_dilated_padded_strided", "max_pool2d_dilated_ceil_squared",
    "avg_pool2d_ceil_no_pad_count", "adaptive_avg_pool2d_3x2", "adaptive_max_pool2d_3x2", "pixel_unshuffle",
]
GRADGRAD += ["linalg_inv", "linalg_det", "linalg_solve"]  # helper K's


def _cube_written_torchs_way(Function):
    """a x^3 as a Function written PyTorch's way (static forward(ctx, ...)/backward(ctx, gy)), run by apply."""

    class Cube(Function):
        @staticmethod
        def forward(ctx, x, a):
            ctx.save_for_backward(x)
            ctx.a = a
            return a * x**3

        @staticmethod
        def backward(ctx, gy):
            (x,) = ctx.saved_tensors
            return gy * 3 * ctx.a * x**2, None  # d(a x^3)/dx = 3 a x^2

    return Cube


CASES["torch_style_function"] = (lambda a: _cube_written_torchs_way(mg.autograd.Function).apply(a, 1.5),
                                 lambda a: _cube_written_torchs_way(_torch().autograd.Function).apply(a, 1.5),
                                 [normal(3, 2)])
GRADGRAD += ["torch_style_function"]



def uniform(lo, hi, *shape):
    return lambda rng: rng.uniform(lo, hi, shape)


CASES.update({  # helper M's: torch's elementwise math functions (inside their domains, off their poles)
    "expm1": (mg.expm1, lambda a: a.expm1(), [normal(3, 4)]),
    "log2": (mg.log2, lambda a: a.log2(), [positive(3, 4)]),
    "log10": (lambda a: a.log10(), lambda a: a.log10(), [positive(3, 4)]),
    "logit": (mg.logit, lambda a: a.logit(), [uniform(0.1, 0.9, 3, 4)]),
    # x below, inside and above [eps, 1 - eps] = [0.2, 0.8], away from its edges
    "logit_eps": (lambda a: mg.logit(a, 0.2), lambda a: a.logit(0.2),
                  [lambda rng: rng.choice([0.05, 0.5, 0.9], (3, 4)) + rng.uniform(-0.04, 0.04, (3, 4))]),
    "xlogy_broadcast": (mg.xlogy, lambda a, b: _torch().xlogy(a, b), [away_from_zero(3, 4), positive(4)]),
    "hypot": (mg.hypot, lambda a, b: _torch().hypot(a, b), [away_from_zero(3, 4), normal(4)]),
    "atan2": (mg.atan2, lambda a, b: _torch().atan2(a, b), [normal(3, 4), away_from_zero(4)]),
    "logaddexp": (mg.logaddexp, lambda a, b: _torch().logaddexp(a, b), [normal(3, 4), normal(4)]),
    "logaddexp2": (mg.logaddexp2, lambda a, b: _torch().logaddexp2(a, b), [normal(3, 4), normal(3, 1)]),
    "copysign": (mg.copysign, lambda a, b: _torch().copysign(a, b), [away_from_zero(3, 4), away_from_zero(4)]),
    "tan": (mg.tan, lambda a: a.tan(), [uniform(-1.2, 1.2, 3, 4)]),
    "sinh": (mg.sinh, lambda a: a.sinh(), [normal(3, 4)]),
    "cosh": (mg.cosh, lambda a: a.cosh(), [normal(3, 4)]),
    "asin": (mg.asin, lambda a: a.asin(), [uniform(-0.9, 0.9, 3, 4)]),
    "acos": (mg.acos, lambda a: a.acos(), [uniform(-0.9, 0.9, 3, 4)]),
    "atan": (mg.atan, lambda a: a.atan(), [normal(3, 4)]),
    "asinh": (mg.asinh, lambda a: a.asinh(), [normal(3, 4)]),
    "acosh": (mg.acosh, lambda a: a.acosh(), [uniform(1.2, 3.0, 3, 4)]),
    "atanh": (mg.atanh, lambda a: a.atanh(), [uniform(-0.9, 0.9, 3, 4)]),
    "erfc": (mg.erfc, lambda a: a.erfc(), [lambda rng: rng.uniform(-3.0, 5.0, (3, 4))]),
    "erfinv": (mg.erfinv, lambda a: a.erfinv(), [uniform(-0.95, 0.95, 3, 4)]),
    "median_all": (mg.median, lambda a: a.median(), [distinct(3, 4)]),  # (distinct: no tie to share the gradient)
})
GRADGRAD += ["expm1", "log2", "log10", "logit", "logit_eps", "xlogy_broadcast", "hypot", "atan2", "logaddexp",
             "logaddexp2", "copysign", "tan", "sinh", "cosh", "asin", "acos", "atan", "asinh", "acosh", "atanh",
             "erfc", "erfinv"]  # helper M's


def make_inputs(name, dtype="float64", seed=0, device="cpu"):
    """The case's inputs as minigan Tensors on `device` (plus the raw host arrays, for torch).

    Drawn on the host, so every device gets the same numbers.
    """
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(draw(rng), dtype=dtype) for draw in CASES[name][2]]
    tensors = [
        mg.tensor(a.copy(), dtype=dtype, device=device, requires_grad=not getattr(draw, "constant", False))
        for a, draw in zip(arrays, CASES[name][2])
    ]
    return tensors, arrays


def _functions_in_graph(roots):
    """The op classes in the graphs of `roots` (every node visited: two Muls may lead to different ops)."""
    visited, types, stack = set(), set(), [t._ctx for t in roots if t._ctx is not None]
    while stack:
        fn = stack.pop()
        if id(fn) not in visited:
            visited.add(id(fn))
            types.add(type(fn))
            stack.extend(x._ctx for x in fn.inputs if x._ctx is not None)
    return types


def test_every_op_class_is_exercised_by_the_cases():
    # A new Function subclass anywhere in minigan must get a row in CASES (its backward's ops: in GRADGRAD).
    import importlib
    import inspect
    import pkgutil

    import minigan.autograd as ag

    classes = set()
    for info in pkgutil.walk_packages(mg.__path__, "minigan."):
        if info.name.endswith("__main__") or ".benchmarks" in info.name or ".experiments" in info.name:
            continue
        module = importlib.import_module(info.name)
        classes |= {c for c in vars(module).values()
                    if inspect.isclass(c) and issubclass(c, ag.Function) and c is not ag.Function}
    used = set()
    for name in CASES:
        inputs, _ = make_inputs(name)
        out = CASES[name][0](*inputs)
        used |= _functions_in_graph([out])
        wrt = [x for x in inputs if x.requires_grad]
        grads = [g for g in mg.grad(out.sum(), wrt, create_graph=True) if g.requires_grad]
        used |= _functions_in_graph(grads)
        if name in GRADGRAD and grads:  # the ops of backward's backward, which only a second derivative runs
            second = mg.grad(sum((g * g).sum() for g in grads), wrt, create_graph=True, allow_unused=True)
            used |= _functions_in_graph([g for g in second if g is not None and g.requires_grad])
    elsewhere = {"Cast", "ToDevice",  # moves: tested in test_autograd
                 "Conv2dOp", "Conv2dWeightGrad", "ConvTranspose2dOp",  # test_conv's gradcheck and gradgradcheck grid
                 "BatchNormTrain",  # test_batchnorm's
                 "FloorDivide",  # no gradient (as torch's): test_more_ops checks that backward refuses it
                 "RoundedDiv",  # zero gradient (torch's convention): test_more_ops checks it
                 "ScatterMultiply"}  # no gradient (as torch's): test_parity_nits checks that backward refuses it
    untested = {c.__name__ for c in classes - used} - elsewhere
    assert not untested, f"ops without a gradcheck case: {sorted(untested)}"


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck(name, device):
    inputs, _ = make_inputs(name, device=device)
    assert mg.gradcheck(CASES[name][0], inputs)


@pytest.mark.parametrize("name", GRADGRAD)
def test_gradgradcheck(name, device):
    inputs, _ = make_inputs(name, device=device)
    assert mg.gradgradcheck(CASES[name][0], inputs)


@pytest.mark.parametrize("name", list(CASES))
def test_forward_and_backward_match_torch(name, device):
    torch = pytest.importorskip("torch")
    fn, torch_fn, draws = CASES[name]
    inputs, arrays = make_inputs(name, device=device)
    tinputs = [torch.tensor(a, requires_grad=not getattr(d, "constant", False)) for a, d in zip(arrays, draws)]
    out, tout = fn(*inputs), torch_fn(*tinputs)
    assert out.shape == tuple(tout.shape)
    assert out.device == device
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(mg.tensor(upstream, dtype="float64", device=device))
    tout.backward(torch.tensor(upstream))
    for x, tx in zip(inputs, tinputs):
        if x.requires_grad:
            assert x.grad.device == device
            np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_float32_in_float32_out_and_float32_grads(name, device):
    inputs, _ = make_inputs(name, dtype="float32", device=device)
    out = CASES[name][0](*inputs)
    assert out.dtype == np.float32
    (out * mg.ones_like(out)).sum().backward()
    for x in inputs:
        if x.requires_grad:
            assert x.grad.dtype == np.float32, name


NUMPY_SCALAR_OPS = {
    "x * s": lambda x, s: x * s,
    "s * x": lambda x, s: s * x,
    "x + s": lambda x, s: x + s,
    "s - x": lambda x, s: s - x,
    "x / s": lambda x, s: x / s,
    "s / x": lambda x, s: s / x,
    "x ** s": lambda x, s: mg.abs(x) ** s,
    "maximum": lambda x, s: mg.maximum(x, s),
    "minimum": lambda x, s: mg.minimum(s, x),
    "clip": lambda x, s: mg.clip(x, -s, s),
    "leaky_relu": lambda x, s: mg.leaky_relu(x, s * 0.1),
    "where": lambda x, s: mg.where(x > 0, x, s),
    "mean": lambda x, s: mg.mean(x * s),
}


@pytest.mark.parametrize("op", list(NUMPY_SCALAR_OPS))
def test_numpy_float64_scalars_do_not_promote_float32(op, device, rng):
    # NumPy 2: float32 array * np.float64 scalar -> float64. minigan must not follow.
    x = mg.tensor(rng.standard_normal((3, 4)), dtype="float32", device=device, requires_grad=True)
    out = NUMPY_SCALAR_OPS[op](x, np.float64(1.5))
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("int_dtype", [np.int64, np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize("op", ["mul", "rmul", "add", "sub", "div", "matmul", "maximum", "where"])
def test_integer_tensors_take_the_float_dtype(op, int_dtype, device):
    # NumPy: float32 * int64 -> float64. PyTorch, and minigan: float32
    x = mg.randn(3, 2, device=device, requires_grad=True)
    k = mg.tensor(np.array([[1, 0], [0, 1]]).astype(int_dtype), device=device)
    calls = {"mul": lambda: x * k[0], "rmul": lambda: k[0] * x, "add": lambda: x + k[0],
             "sub": lambda: (k[0] if int_dtype is not np.bool_ else k[0].int()) - x,  # (a mask minus: refused, as torch)
             "div": lambda: x / (k[0] + 1 if int_dtype is not np.bool_ else 2), "matmul": lambda: x @ k,
             "maximum": lambda: mg.maximum(x, k[0]), "where": lambda: mg.where(x > 0, x, k[0])}
    out = calls[op]()
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "sigmoid", "tanh", "softplus", "mean", "x / 2", "x / x", "2 / x",
                                "x * 0.5", "x + np.float64(0.5)", "x ** 0.5"])
def test_float_results_of_integer_tensors_are_float32(op, device):
    # NumPy computes these in float64; PyTorch, and minigan, in float32 (the default float dtype)
    x = mg.tensor(np.array([1, 2, 3]), device=device)
    calls = {"x / 2": lambda: x / 2, "x / x": lambda: x / x, "2 / x": lambda: 2 / x, "x * 0.5": lambda: x * 0.5,
             "x + np.float64(0.5)": lambda: x + np.float64(0.5), "x ** 0.5": lambda: x ** 0.5}
    out = calls[op]() if op in calls else getattr(mg, op)(x)
    assert out.dtype == np.float32
    expected = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh,
                "softplus": lambda v: np.log1p(np.exp(v)), "mean": np.mean, "x / 2": lambda v: v / 2, "x / x": lambda v: v / v,
                "2 / x": lambda v: 2 / v, "x * 0.5": lambda v: v * 0.5, "x + np.float64(0.5)": lambda v: v + 0.5,
                "x ** 0.5": lambda v: v ** 0.5}[op](np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    assert (x * 2).dtype == np.int64 and (x ** 2).dtype == np.int64  # integer arithmetic stays integer


def test_mixing_float32_and_float64_tensors_raises():
    a, b = mg.randn(3), mg.randn(3, dtype="float64")
    for fn in (lambda a, b: a + b, lambda a, b: a * b, mg.div, mg.matmul, mg.maximum):
        with pytest.raises(TypeError, match="float32 and float64"):
            fn(a, b)
    with pytest.raises(TypeError, match="float32 and float64"):
        mg.cat([a, b])


def test_stable_at_large_logits_float64(device):
    l = mg.tensor([100.0, -100.0], dtype="float64", device=device, requires_grad=True)
    sp = mg.softplus(l).numpy()
    np.testing.assert_array_equal(sp, [100.0 + math.log1p(math.exp(-100.0)), math.log1p(math.exp(-100.0))])
    ls = mg.logsigmoid(l).numpy()
    np.testing.assert_array_equal(ls, [-math.log1p(math.exp(-100.0)), -(100.0 + math.log1p(math.exp(-100.0)))])
    for target, expected in ((1.0, [math.log1p(math.exp(-100.0)), 100.0]), (0.0, [100.0, math.log1p(math.exp(-100.0))])):
        t = mg.full((2,), target, dtype="float64", device=device)
        loss = mg.binary_cross_entropy_with_logits(l, t, reduction="none")
        np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-15, atol=0)
        assert loss.numpy()[np.argmin(expected)] > 0  # the tiny loss is not rounded to 0
    loss = mg.binary_cross_entropy_with_logits(l, mg.tensor([1.0, 0.0], dtype="float64", device=device), reduction="sum")
    loss.backward()
    assert np.all(np.isfinite(l.grad.numpy()))
    np.testing.assert_allclose(l.grad.numpy(), [0.0, 0.0], atol=1e-40)


def test_stable_at_large_logits_float32(device):
    l = mg.tensor([100.0, -100.0, 30.0, -30.0], device=device, requires_grad=True)
    for out in (mg.softplus(l), mg.logsigmoid(l),
                mg.binary_cross_entropy_with_logits(l, mg.tensor([0.0, 1.0, 0.0, 1.0], device=device), reduction="none")):
        values = out.numpy()
        assert out.dtype == np.float32 and np.all(np.isfinite(values))
    # softplus(-100) = 3.7e-44 is a float32 *subnormal*: the CPU keeps it; GPUs flush
    # subnormals to zero (CUDA's float32 exp does), so there the bound is the smallest normal.
    tiny = 1e-45 if device == "cpu" else float(np.finfo(np.float32).tiny)
    np.testing.assert_allclose(mg.softplus(l).numpy(), np.logaddexp(0, l.numpy().astype(np.float64)), rtol=1e-6, atol=tiny)
    bce = mg.binary_cross_entropy_with_logits(l, mg.tensor([0.0, 1.0, 0.0, 1.0], device=device), reduction="none")
    np.testing.assert_allclose(bce.numpy(), [100.0, 100.0, 30.0, 30.0], rtol=1e-6)
    mg.logsigmoid(l).sum().backward()
    assert np.all(np.isfinite(l.grad.numpy()))


def test_naive_formulas_would_overflow_where_ours_do_not(device):
    # the reason for the stable forms: log(1 + exp(100)) in float32 is inf
    with np.errstate(over="ignore"):
        assert np.isinf(np.log(1 + np.exp(np.float32(100.0))))
    assert np.isfinite(mg.softplus(mg.tensor([100.0], device=device)).item())


def test_max_splits_gradient_between_ties(device):
    x = mg.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]], device=device, requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


def test_gradients_at_ties_and_edges_are_torchs(device):
    # maximum/minimum split a tie equally (torch does; minigan gave it all to the first operand), and
    # x ** 0 has gradient 0 at x = 0 (it was 0 * inf = nan)
    a = mg.tensor([0.0, 1.0, -1.0, 1.0], device=device, requires_grad=True)
    b = mg.tensor([0.0, 1.0, 0.5, -2.0], device=device, requires_grad=True)
    (mg.maximum(a, b).sum() + (mg.minimum(a, b) * 2.0).sum() + (a ** 0).sum()).backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5 + 1.0, 0.5 + 1.0, 0.0 + 2.0, 1.0 + 0.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5 + 1.0, 0.5 + 1.0, 1.0 + 0.0, 0.0 + 2.0])
    torch = pytest.importorskip("torch")
    ta = torch.tensor([0.0, 1.0, -1.0, 1.0], requires_grad=True)
    tb = torch.tensor([0.0, 1.0, 0.5, -2.0], requires_grad=True)
    (torch.maximum(ta, tb).sum() + (torch.minimum(ta, tb) * 2.0).sum() + (ta ** 0).sum()).backward()
    np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), tb.grad.numpy())


def test_casts_to_integers_and_booleans_carry_no_gradient_as_in_torch(device):
    x = mg.tensor([-1.5, 0.0, 2.7], device=device, requires_grad=True)
    assert x.long().tolist() == [-1, 0, 2] and x.int().dtype == np.int32 and x.bool().tolist() == [True, False, True]
    assert not x.long().requires_grad and x.to(dtype="float64").requires_grad  # float casts stay in the graph
    assert bool(x.bool().any()) and not bool(x.bool().all()) and x.is_cuda == (device == "cuda")


def test_norm_of_zeros_has_gradient_zero_as_in_torch(device):
    # sqrt's rule would give 0 / 0 = nan: a zero gradient row (a dead D input) would poison a penalty
    z = mg.zeros(2, 3, device=device, requires_grad=True)
    z.norm(dim=1).sum().backward()
    assert np.array_equal(z.grad.numpy(), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"norm: p must be 2 \(or 'fro'\) or 1, got 3"):
        z.norm(3)


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(5, 2\)"):
        mg.randn(3, 4) @ mg.randn(5, 2)


def test_linear_bad_input_names_expected_and_actual():
    with pytest.raises(ValueError, match=r"expected input with 4 features.*\(3, 5\)"):
        F.linear(mg.randn(3, 5), mg.randn(2, 4))


def test_reshape_bad_shape_names_both(device):
    # the message is minigan's, but the error it rewrites comes from the array library
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        mg.zeros(2, 3, device=device).reshape(4, 2)


@pytest.mark.parametrize("call, message", [
    (lambda x: x.sum(axis=2), r"sum: axis 2 is out of range for a tensor of shape \(2, 3\)"),
    (lambda x: x.mean(axis=-3), r"mean: axis -3 is out of range"),
    (lambda x: x.max(axis=(0, -2)), r"max: axis \(0, -2\) names an axis twice"),
    (lambda x: x.transpose(1, 2), r"transpose: axis 2 is out of range"),
    (lambda x: x.permute(1), r"permute: got dims \(1,\) .* give an order of all 2 axes"),
    (lambda x: mg.cat([x, x], axis=2), r"cat: axis 2 is out of range"),
    (lambda x: mg.stack([x, x], axis=3), r"stack: axis 3 is out of range"),
])
def test_axes_out_of_range_are_errors_not_wrapped_around(call, message):
    # NumPy's rule: axis a of an n-d array needs -n <= a < n; (a % n) would silently pick another axis
    with pytest.raises(ValueError, match=message):
        call(mg.randn(2, 3))


@pytest.mark.parametrize("call", [lambda x: x.transpose(), lambda x: x.transpose(1), lambda x: x.transpose(1, 0, 2),
                                  lambda x: mg.transpose(x, (1, 0, 2))])
def test_transpose_swaps_two_axes_and_points_numpy_habits_to_permute(call):
    with pytest.raises(TypeError, match=r"transpose: .* swaps two axes, as torch's .* use permute"):
        call(mg.randn(2, 3, 4))


def test_torch_forms_transpose_max_min_arange_and_to(device):
    # each of these silently differed from torch: x.transpose(0, 1) of a matrix returned x itself (NumPy's
    # permutation meaning), x.max(1)[0] was the first row's maximum, arange(0, 1, 0.25) was float64
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4) ** 1.5 % 7
    x = mg.tensor(a, device=device)
    np.testing.assert_array_equal(x.transpose(0, 1).numpy(), a.T)
    np.testing.assert_array_equal(mg.randn(2, 3, 4).transpose(0, 2).shape, (4, 3, 2))
    values, indices = x.max(1)
    np.testing.assert_array_equal(values.numpy(), a.max(axis=1))
    np.testing.assert_array_equal(indices.numpy(), a.argmax(axis=1))
    assert x.max(1)[0].shape == (3,) and x.max(dim=1).values.shape == (3,) and x.max(1, keepdim=True).values.shape == (3, 1)
    low = x.min(0)
    np.testing.assert_array_equal(low.values.numpy(), a.min(axis=0))
    np.testing.assert_array_equal(low.indices.numpy(), a.argmin(axis=0))
    assert low.indices.dtype == np.int64 and x.argmin().numpy() == a.argmin()
    np.testing.assert_array_equal(x.max(axis=1).numpy(), a.max(axis=1))  # NumPy's name: the values only
    other = mg.tensor(a[::-1].copy(), device=device)
    np.testing.assert_array_equal(mg.max(x, other).numpy(), np.maximum(a, a[::-1]))  # two tensors: elementwise
    np.testing.assert_array_equal(x.min(other).numpy(), np.minimum(a, a[::-1]))
    assert mg.arange(0, 1, 0.25, device=device).dtype == np.float32 and mg.arange(5, device=device).dtype == np.int64
    np.testing.assert_allclose(mg.linspace(-1, 1, 5, device=device).numpy(), [-1, -0.5, 0, 0.5, 1])
    assert mg.linspace(0, 1, 3).dtype == np.float32 and (mg.eye(2, 3, device=device).numpy() == np.eye(2, 3)).all()
    assert x.to(mg.float64).dtype == np.float64 and x.to("float64").device == device and x.dim() == 2
    with pytest.raises(TypeError, match=r"max: dim must be one axis .* use axis=..."):
        x.max((0, 1))


@pytest.mark.parametrize("call, message", [
    (lambda: mg.ones(1).var(), r"var: 1 value\(s\) per result and correction=1 leave nothing to divide by"),
    (lambda: mg.ones(2, 3, 4).t(), r"t: expects a tensor of at most 2 axes, got shape \(2, 3, 4\)"),
    (lambda: mg.ones(2, 3).expand(3), r"expand: 1 sizes for a tensor of shape \(2, 3\)"),
    (lambda: mg.ones(2, 3).repeat(2), r"repeat: 1 counts for a tensor of shape \(2, 3\); give one per axis"),
    (lambda: mg.ones(4).split([1, 2]), r"split: sizes \[1, 2\] do not add up to 4"),
    (lambda: mg.ones(4).split(0), r"split: split_size must be > 0, got 0"),
    (lambda: mg.ones(4).chunk(0), r"chunk: the number of chunks must be an int >= 1, got 0"),
    (lambda: mg.zeros(0).mean(), r"mean: nothing to average over axes \(0,\) of a tensor of shape \(0,\)"),
    (lambda: mg.zeros(0).max(), r"max: the tensor of shape \(0,\) has no values along the axes to reduce"),
    (lambda: mg.zeros(3, 0).min(1), r"min: the tensor of shape \(3, 0\) has no values"),
    (lambda: mg.zeros(2, 0).argmax(1), r"argmax: the tensor of shape \(2, 0\) has no values"),
    (lambda: mg.randint(5, 2, (3,)), r"randint: low and high must be ints with low < high, got 5 and 2"),
    (lambda: mg.ones(2, 3).expand(4, 3), r"expand: cannot expand shape \(2, 3\) to \(4, 3\): only axes of size 1"),
    (lambda: mg.ones(2, 3).softmax(2), r"softmax: axis 2 is out of range for a tensor of shape \(2, 3\)"),
    (lambda: mg.ones(2, 3).log_softmax(-3), r"log_softmax: axis -3 is out of range"),
    (lambda: mg.ones(2, 1).squeeze((1, 2)), r"squeeze: axis 2 is out of range"),
])
def test_torch_named_helpers_name_their_mistakes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_an_empty_axis_elsewhere_still_reduces_and_random_floats_need_a_float_dtype():
    assert [t.shape for t in mg.zeros(0, 3).max(1)] == [(0,), (0,)]  # nothing to reduce over 0 rows: fine
    with pytest.raises(TypeError, match=r"randn: draws floats, so the dtype must be float32 or float64, got int64"):
        mg.randn_like(mg.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"rand: draws floats"):
        mg.rand(2, dtype="int64")
    with pytest.raises(TypeError, match=r"grad: input 0 is not a minigan Tensor but a numpy.ndarray"):
        mg.grad(mg.ones(1, requires_grad=True).sum(), [np.ones(1)])
    assert mg.randint(0, 3, 4).shape == (4,)


def test_a_number_to_a_tensor_power_as_in_torch(device):
    torch = pytest.importorskip("torch")
    ints = [0, 3, 10]
    ours, theirs = 2 ** mg.tensor(ints, device=device), 2 ** torch.tensor(ints)
    assert ours.tolist() == theirs.tolist() == [1, 8, 1024] and ours.dtype == np.int64  # exact integers
    x = [0.0, 1.0, 2.0, 0.5]  # a negative or zero base as torch's: (-2) ** 0.5 is NaN, 0 ** 0 is 1
    for base in (-2, 0, -1.5):
        np.testing.assert_array_equal((base ** mg.tensor(x, device=device)).numpy(), (base ** torch.tensor(x)).numpy())


def test_masks_combine_with_logic_operators_as_in_torch(device):
    x = mg.tensor([-1.0, 0.5, 2.0], device=device)
    for got, want in [((x > 0) & (x < 1), [False, True, False]), ((x < 0) | (x > 1), [True, False, True]),
                      (~(x > 0), [True, False, False]), ((x > 0) ^ True, [True, False, False])]:
        assert got.dtype == np.bool_ and got.device == device and not got.requires_grad
        np.testing.assert_array_equal(got.numpy(), want)
    np.testing.assert_array_equal((mg.tensor([6, 3], device=device) & 3).numpy(), [2, 3])  # bitwise on integers
    np.testing.assert_array_equal(abs(x).numpy(), [1.0, 0.5, 2.0])
    with pytest.raises(TypeError, match=r"x & y: works on boolean masks \(or integers\), got float32, bool; "
                                        r"compare first, e.g. \(x > 0\) & \(y < 1\)"):
        x & (x > 0)
    with pytest.raises(TypeError, match="x ~ y: works on boolean masks"):
        ~x


def test_any_and_all_along_a_dim_as_in_torch(device):
    m = mg.tensor([[True, False], [True, True]], device=device)
    assert m.any().item() and not m.all().item()
    np.testing.assert_array_equal(m.all(1).numpy(), [False, True])
    np.testing.assert_array_equal(m.any(dim=0, keepdim=True).numpy(), [[True, True]])
    np.testing.assert_array_equal(m.all(dim=(0, 1)).numpy(), False)


def test_full_takes_its_dtype_from_the_value_as_in_torch(device):
    assert mg.full((2,), 7, device=device).dtype == np.int64  # labels for "draw me sevens" stay integers
    assert mg.full((2,), True, device=device).dtype == np.bool_
    assert mg.full((2,), 0.5, device=device).dtype == np.float32
    assert mg.full((2,), 7, dtype="float32", device=device).dtype == np.float32


@pytest.mark.parametrize("bound", ["min", "max"])
def test_clamp_bounds_are_numbers_and_a_tensor_bound_says_what_to_write(bound, device):
    x = mg.randn(3, device=device)
    per_element = mg.zeros(3, device=device)
    fn = "maximum" if bound == "min" else "minimum"
    for call in (lambda: x.clamp(**{bound: per_element}), lambda: x.detach().clamp_(**{bound: per_element})):
        with pytest.raises(TypeError, match=rf"clamp_?: {bound} must be a number, got Tensor; for a bound per "
                                            rf"element use minigan.{fn}\(x, {bound}\)"):
            call()


def test_axes_in_range_count_from_the_end_when_negative(device):
    x = mg.randn(2, 3, device=device)
    np.testing.assert_allclose(x.sum(axis=-1).numpy(), x.numpy().sum(axis=1), rtol=1e-6)
    np.testing.assert_allclose(x.mean(axis=(-2, 1)).numpy(), x.numpy().mean(), rtol=1e-6)
    assert mg.cat([x, x], axis=-1).shape == (2, 6) and mg.stack([x, x], axis=-1).shape == (2, 3, 2)
    assert x.transpose(-1, -2).shape == (3, 2)


@pytest.mark.parametrize("make", [lambda: mg.randn(2.5), lambda: mg.zeros(-1, 2), lambda: mg.ones((2, True))])
def test_shapes_must_be_non_negative_ints(make):
    with pytest.raises(ValueError, match="a tensor's shape is made of ints >= 0"):
        make()


def test_comparisons_are_elementwise_boolean_tensors(device):
    x = mg.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    y = mg.tensor([3.0, 2.0, 1.0], device=device)
    for got, want in [(x == y, [False, True, False]), (x != y, [True, False, True]), (x > 2, [False, False, True]),
                      (x >= 2, [False, True, True]), (x < y, [True, False, False]), (x <= 2.0, [True, True, False])]:
        assert got.dtype == np.bool_ and not got.requires_grad and got.device == device
        np.testing.assert_array_equal(got.numpy(), want)
    assert ((x == y).sum().item(), len({x, y, x})) == (1, 2)  # counting matches; hashed by identity


def test_argmax_and_numel_as_in_torch(device, rng):
    x = mg.tensor(rng.permutation(12).reshape(3, 4).astype(np.float32), device=device)
    assert x.argmax().dtype == np.int64 and x.argmax().item() == int(np.argmax(x.numpy())) and x.numel() == 12
    np.testing.assert_array_equal(x.argmax(dim=1).numpy(), x.numpy().argmax(axis=1))
    np.testing.assert_array_equal(mg.argmax(x, axis=0, keepdims=True).numpy(), x.numpy().argmax(axis=0)[None])
    assert not x.argmax(1).requires_grad and mg.squeeze(x, 0).shape == x.shape  # an axis that is not 1 stays
    with pytest.raises(ValueError, match="argmax: axis 2 is out of range"):
        x.argmax(2)
    with pytest.raises(ValueError, match="unsqueeze: dim 3 is out of range"):
        x.unsqueeze(3)


def test_truth_value_and_conversions_follow_pytorch(device):
    one, two = mg.tensor([0.0], device=device), mg.tensor([1.0, 2.0], device=device)
    assert not one and bool(one + 1) and float(two.sum()) == 3.0 and int(mg.tensor(7.9, device=device)) == 7
    with pytest.raises(ValueError, match=r"truth value of a tensor of shape \(2,\) is ambiguous"):
        bool(two > 0)
    with pytest.raises(ValueError, match="item\\(\\) needs a tensor with one element"):
        float(two)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_reductions_match_torch(reduction, device, rng):
    a = mg.tensor(rng.standard_normal((3, 2)), dtype="float64", device=device, requires_grad=True)
    b = mg.tensor(rng.standard_normal((3, 2)), dtype="float64", device=device)
    assert mg.gradcheck(lambda x: F.mse_loss(x, b, reduction=reduction), [a])
    torch = pytest.importorskip("torch")
    want = torch.nn.functional.mse_loss(torch.tensor(a.numpy()), torch.tensor(b.numpy()), reduction=reduction)
    np.testing.assert_allclose(F.mse_loss(a, b, reduction=reduction).numpy(), want.numpy(), rtol=1e-12)


def test_bce_on_saturated_probabilities_is_torchs(device):
    # a float32 sigmoid rounds to exactly 0 or 1 beyond a logit of about 17; torch clamps each log at -100 and
    # keeps the gradient's denominator >= 1e-12. minigan clipped p to [1e-7, 1 - 1e-7] instead: a loss of 16
    # and a zero gradient there, so a D (or G) trained with nn.Sigmoid + nn.BCELoss stalled where torch's does not
    p = np.array([1.0, 0.0, 0.5, 1e-45, 0.99999994, 1e-9], dtype=np.float32)
    y = np.array([0.0, 1.0, 1.0, 1.0, 0.0, 1.0], dtype=np.float32)
    probs = mg.tensor(p, device=device, requires_grad=True)
    loss = F.binary_cross_entropy(probs, mg.tensor(y, device=device), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100, 100, np.log(2), 100, -np.log(np.float32(6e-8)), -np.log(1e-9)],
                               rtol=2e-2)
    loss.sum().backward()
    np.testing.assert_allclose(probs.grad.numpy(), [1e12, -1e12, -2, -1e12, 1 / (1 - 0.99999994), -1e9], rtol=1e-2)
    torch = pytest.importorskip("torch")
    t = torch.tensor(p, requires_grad=True)
    want = torch.nn.functional.binary_cross_entropy(t, torch.tensor(y), reduction="none")
    want.sum().backward()
    np.testing.assert_allclose(loss.numpy(), want.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(probs.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_bce_on_probabilities_refuses_logits():
    with pytest.raises(ValueError, match=r"must be probabilities in \[0, 1\], got values from -1 to 2; for logits use"):
        mg.nn.BCELoss()(mg.tensor([2.0, -1.0]), mg.tensor([1.0, 0.0]))


def test_one_hot_is_torchs(device):
    labels = np.array([[0, 2], [1, 1]])
    hot = F.one_hot(mg.tensor(labels, device=device))
    assert hot.dtype == np.int64 and hot.shape == (2, 2, 3) and F.one_hot(mg.tensor(labels), 5).shape == (2, 2, 5)
    np.testing.assert_array_equal(hot.numpy(), np.eye(3, dtype=np.int64)[labels])
    with pytest.raises(TypeError, match="one_hot: labels must be integers, got dtype float32"):
        F.one_hot(mg.tensor([0.5]))
    with pytest.raises(ValueError, match=r"one_hot: labels must be in 0..1, got 3..3"):
        F.one_hot(mg.tensor([3]), 2)
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(hot.numpy(), torch.nn.functional.one_hot(torch.tensor(labels)).numpy())


def test_loss_arguments_are_checked():
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(3, 1\) and target shape \(3,\) must be equal"):
        F.mse_loss(mg.zeros(3, 1), mg.zeros(3))
    with pytest.raises(ValueError, match="mse_loss: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.mse_loss(mg.zeros(3), mg.zeros(3), reduction="avg")
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        mg.binary_cross_entropy_with_logits(mg.zeros(3), mg.zeros(3), reduction="avg")


def test_bce_refuses_to_broadcast_targets():
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)"):
        mg.binary_cross_entropy_with_logits(mg.randn(4, 1), mg.zeros(4))


def test_cat_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(2, 4\)"):
        mg.cat([mg.randn(2, 3), mg.randn(2, 4)], axis=0)


def test_gradcheck_perturbs_non_contiguous_inputs(device):
    base = mg.tensor(np.random.default_rng(0).standard_normal((4, 3)), dtype="float64", device=device)
    x = mg.Tensor(base.data.T, requires_grad=True)  # a transposed view on the device: not C-contiguous
    assert not x.data.flags.c_contiguous and x.device == device
    assert mg.gradcheck(lambda a: a * a, [x])


def test_gradcheck_catches_a_wrong_rule(device, rng):
    class WrongSquare(mg.Function):
        def forward(self, x):
            return x * x

        def backward(self, gy):
            return gy * self.inputs[0]  # should be 2x

    x = mg.tensor(rng.standard_normal(3), dtype="float64", device=device, requires_grad=True)
    with pytest.raises(mg.GradcheckError, match="input 0"):
        mg.gradcheck(lambda a: WrongSquare()(a), [x])
    assert mg.gradcheck(lambda a: WrongSquare()(a), [x], raise_exception=False) is False


def test_gradcheck_uses_a_random_upstream_gradient(device, rng):
    # A rule that forgets gy is right when gy is all ones, and wrong for any other upstream gradient:
    # only a random one (as gradcheck draws) exposes it; so does gradgradcheck's second derivative
    class ForgetsGy(mg.Function):
        def forward(self, x):
            return 3.0 * x

        def backward(self, gy):
            return mg.ones_like(gy) * 3.0  # should be 3 * gy

    x = mg.tensor(rng.standard_normal(4), dtype="float64", device=device, requires_grad=True)
    (g,) = mg.grad(ForgetsGy()(x).sum(), x)  # the sum's upstream gradient is all ones: right here
    assert g.tolist() == [3.0] * 4
    with pytest.raises(mg.GradcheckError, match="input 0"):
        mg.gradcheck(lambda a: ForgetsGy()(a), [x])


def test_pad_as_in_torch_and_its_mistakes_named(device):
    x = mg.ones(1, 2, 3, 3, device=device)
    assert F.pad(x, (1, 1, 2, 2)).shape == (1, 2, 7, 5) and F.pad(x, (1, 1, 1, 1, 1, 1)).shape == (1, 4, 5, 5)
    assert float(F.pad(x, (1, 1), value=-1.0).sum()) == 18.0 - 12.0
    with pytest.raises(NotImplementedError, match="mode='symmetric' is not supported"):
        F.pad(x, (1, 1), mode="symmetric")
    with pytest.raises(ValueError, match=r"widths \(3, 0\) do not fit axis 3 of size 3 in mode='reflect'.*at most 2"):
        F.pad(x, (3, 0, 0, 0), mode="reflect")  # reflect never repeats the edge pixel, so 2 is all a size-3 axis has
    with pytest.raises(ValueError, match="mode='replicate'.*crops \\(negative widths\\) must leave at least one"):
        F.pad(x, (-3, 0, 0, 0), mode="replicate")  # (negative widths crop, as in torch: test_more_ops)
    with pytest.raises(ValueError, match="value applies to mode='constant' only"):
        F.pad(x, (1, 1, 1, 1), mode="reflect", value=1.0)
    with pytest.raises(ValueError, match=r"mode='circular' pads 1 axis of an input with 2 or 3 axes.*got shape \(1, 2, 3, 3\)"):
        F.pad(x, (1, 1), mode="circular")  # torch's rule too: (C, ...) or (N, C, ...) around the padded axes
    row = mg.tensor([[[1.0, 2.0, 3.0]]], device=device)
    assert F.pad(row, (2, 2), mode="reflect").tolist() == [[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]]]
    assert F.pad(row, (2, 2), mode="replicate").tolist() == [[[1.0, 1.0, 1.0, 2.0, 3.0, 3.0, 3.0]]]
    assert F.pad(row, (2, 3), mode="circular").tolist() == [[[2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0, 3.0]]]
    with pytest.raises(TypeError, match="even length"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match="pad 5 axes, but the input has 4"):
        F.pad(x, (1,) * 10)
    with pytest.raises(ValueError, match="cut more than"):
        F.pad(x, (-2, -2))


def test_interpolate_takes_any_size_and_names_what_it_refuses(device):
    x = mg.randn(1, 2, 3, 4, device=device)
    assert F.interpolate(x, scale_factor=(2, 3)).shape == (1, 2, 6, 12) and F.interpolate(x, size=(6, 8)).shape == (1, 2, 6, 8)
    assert F.interpolate(x, scale_factor=1.5).shape == (1, 2, 4, 6) and F.interpolate(x, size=(5, 8)).shape == (1, 2, 5, 8)
    for call, message in [(lambda: F.interpolate(x, scale_factor=0.2), "makes the output size \\(0, 0\\)"),
                          (lambda: F.interpolate(x, scale_factor=2, mode="trilinear"), "mode='trilinear' is not supported"),
                          (lambda: F.interpolate(x, scale_factor=2, mode="linear"), r"mode='linear' expects \(N, C, L\)"),
                          (lambda: F.interpolate(x, size=(0, 3), mode="bilinear"), "size must give 2 positive int lengths"),
                          (lambda: F.interpolate(x), "exactly one of size and scale_factor")]:
        with pytest.raises((ValueError, NotImplementedError), match=message):
            call()


# torch's method names for ops minigan has as operators or functions: the same call runs on both libraries
METHOD_NAMES = {
    "add_alpha": lambda a, b: a.add(b, alpha=2.0),
    "sub_alpha": lambda a, b: a.sub(b, alpha=0.5),
    "mul": lambda a, b: a.mul(b),
    "div": lambda a, b: a.div(b.abs() + 1),
    "maximum": lambda a, b: a.maximum(b),
    "minimum": lambda a, b: a.minimum(b),
    "mm": lambda a, b: a.mm(b.t()),
    "bmm": lambda a, b: a.unsqueeze(0).bmm(b.t().unsqueeze(0)),
    "dot": lambda a, b: a[0].dot(b[1]),
    "mT": lambda a, b: (a.unsqueeze(0) * b).mT,
    "unflatten": lambda a, b: (a * b).unflatten(1, (2, -1)),
    "unbind": lambda a, b: (a * b).unbind(1)[2],
    "contiguous": lambda a, b: (a * b).t().contiguous().reshape(-1),
}


@pytest.mark.parametrize("name", list(METHOD_NAMES))
def test_torchs_method_names_give_torchs_values_and_gradients(name, device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    ours = [mg.tensor(v, dtype="float64", device=device, requires_grad=True) for v in (a, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    y, ty = METHOD_NAMES[name](*ours), METHOD_NAMES[name](*theirs)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12)
    up = rng.standard_normal(ty.shape)
    (y * mg.tensor(up, dtype="float64", device=device)).sum().backward()
    (ty * torch.tensor(up)).sum().backward()
    for x, tx in zip(ours, theirs):
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    assert mg.gradcheck(METHOD_NAMES[name], [mg.tensor(v, dtype="float64", device=device, requires_grad=True)
                                             for v in (a, b)])


def test_comparison_and_finiteness_method_names_as_in_torch(device):
    torch = pytest.importorskip("torch")
    values = np.array([1.0, np.nan, np.inf, -np.inf, -2.0], dtype=np.float32)
    x, tx = mg.tensor(values, device=device), torch.tensor(values)
    for name in ("isnan", "isinf", "isfinite", "sign"):
        np.testing.assert_array_equal(getattr(x, name)().numpy(), getattr(tx, name)().numpy())
        np.testing.assert_array_equal(getattr(mg, name)(x).numpy(), getattr(torch, name)(tx).numpy())
    for name in ("eq", "ne", "gt", "ge", "lt", "le"):
        np.testing.assert_array_equal(getattr(x, name)(1.0).numpy(), getattr(tx, name)(1.0).numpy())
    assert x.is_floating_point() and not mg.tensor([1], device=device).is_floating_point()
    assert (x.nelement(), x.ndimension()) == (tx.nelement(), tx.ndimension())
    for call, message in [(lambda: x.mm(x), r"mm: expects two matrices, got shapes \(5,\) and \(5,\)"),
                          (lambda: x.dot(x.reshape(5, 1)), r"dot: expects two vectors"),
                          (lambda: x.reshape(1, 5, 1).bmm(x.reshape(5, 1, 1)), r"bmm: expects two 3-D tensors "
                                                                              r"with the same batch size")]:
        with pytest.raises(ValueError, match=message):
            call()


def test_max_and_min_along_a_dim_send_the_gradient_to_the_returned_index_as_torchs(device):
    torch = pytest.importorskip("torch")
    values = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [np.nan, 1.0, np.nan]])
    up = np.array([1.0, 2.0, 3.0])
    for op in ("max", "min"):
        for keepdim in (False, True):
            x = mg.tensor(values, dtype="float64", device=device, requires_grad=True)
            tx = torch.tensor(values, requires_grad=True)
            (v, i), (tv, ti) = getattr(x, op)(1, keepdim=keepdim), getattr(tx, op)(1, keepdim=keepdim)
            np.testing.assert_array_equal(v.numpy(), tv.detach().numpy())  # NaN where the row has one
            np.testing.assert_array_equal(i.numpy(), ti.numpy())
            (v.reshape(3) * mg.tensor(up, dtype="float64", device=device)).sum().backward()
            (tv.reshape(3) * torch.tensor(up)).sum().backward()
            np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())  # one index per row, even on ties
    x = mg.tensor([[1.0, 3.0, 3.0]], dtype="float64", device=device, requires_grad=True)
    x.max().backward()  # the full reduction splits a tie, as torch's max() and amax do
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.5, 0.5]])
    x = mg.tensor([1.0, np.nan, 2.0], dtype="float64", device=device, requires_grad=True)
    x.max().backward()  # a NaN is the maximum, and gets the gradient, as in torch
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])


def test_maximum_and_minimum_send_the_gradient_as_torchs_on_ties_and_nans(device):
    torch = pytest.importorskip("torch")
    a_values = np.array([[np.nan, 1.0, 2.0, 2.0, np.nan, -1.0]])
    b_values = np.array([[1.0], [np.nan]]) * np.ones((1, 6)) + np.array([0.0, 0.0, 0.0, -1.0, 0.0, 0.0])
    up = np.arange(1.0, 13.0).reshape(2, 6)
    for op in ("maximum", "minimum"):
        a = mg.tensor(a_values, dtype="float64", device=device, requires_grad=True)
        b = mg.tensor(b_values, dtype="float64", device=device, requires_grad=True)
        ta, tb = torch.tensor(a_values, requires_grad=True), torch.tensor(b_values, requires_grad=True)
        (getattr(mg, op)(a, b) * mg.tensor(up, dtype="float64", device=device)).sum().backward()
        (getattr(torch, op)(ta, tb) * torch.tensor(up)).sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())  # (a broadcast over b's rows: summed)
        np.testing.assert_array_equal(b.grad.numpy(), tb.grad.numpy())


def test_min_and_minimum_of_integers_are_exact(device):
    small = mg.tensor(np.array([0, 5], dtype=np.uint8), device=device)
    assert small.min().tolist() == 0 and small.min().dtype == np.uint8  # -max(-x) wrapped around: 5
    assert mg.minimum(small, mg.tensor(np.array([3, 3], dtype=np.uint8), device=device)).tolist() == [0, 3]
    assert mg.tensor([-2**63, 0], device=device).min().tolist() == -2**63  # -(-2**63) overflows
    flags = mg.tensor([True, False], device=device)
    assert flags.min().tolist() is False and flags.max().tolist() is True
    a = mg.tensor([1.0, 2.0, 3.0], dtype="float64", device=device, requires_grad=True)
    b = mg.tensor([2.0, 2.0, 2.0], dtype="float64", device=device, requires_grad=True)
    mg.minimum(a, b).sum().backward()
    assert a.grad.tolist() == [1.0, 0.5, 0.0] and b.grad.tolist() == [0.0, 0.5, 1.0]
    assert mg.gradcheck(mg.minimum, [mg.tensor([[0.3, -1.2]], dtype="float64", device=device, requires_grad=True),
                                     mg.tensor([[0.1], [0.5]], dtype="float64", device=device, requires_grad=True)])


def test_zero_d_float64_stays_float64_through_backward(device):
    for op in (lambda t: t.abs(), lambda t: t.relu(), lambda t: t.clamp(0.0, 1.0), lambda t: t.max(),
               lambda t: mg.maximum(t, t * 0.5), lambda t: F.elu(t), lambda t: t.sigmoid()):
        x = mg.tensor(1.5, dtype="float64", device=device, requires_grad=True)
        op(x).backward()  # NumPy hands back numbers, not 0-d arrays, from 0-d ufuncs: those kept their dtype
        assert x.grad.dtype == np.float64
    y = mg.randn(2, 3, dtype="float64", device=device, requires_grad=True)
    y[0, 1].abs().backward()
    assert y.grad.dtype == np.float64
    assert mg.tensor(np.float64(1.5)).dtype == np.float64 and mg.tensor(np.float32(1.5)).dtype == np.float32
    assert mg.tensor(np.int32(3)).dtype == np.int32 and mg.tensor(1.5).dtype == np.float32


def test_clamp_of_integers_where_of_numbers_and_powers_of_a_number_as_torchs(device):
    torch = pytest.importorskip("torch")
    ints, t_ints = mg.tensor([1, 5, 9], device=device), torch.tensor([1, 5, 9])
    for lo, hi in ((2, 6), (2.5, 6), (None, 4)):
        ours, theirs = ints.clamp(lo, hi), t_ints.clamp(lo, hi)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "") and ours.tolist() == theirs.tolist()
    cond = mg.tensor([True, False], device=device)
    for a, b in ((1.0, 0.0), (1, 0)):
        ours, theirs = mg.where(cond, a, b), torch.where(torch.tensor([True, False]), a, b)
        assert ours.device == device and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        assert ours.tolist() == theirs.tolist()
    x = mg.tensor([3.0, 30.0, -1.5], device=device)
    for base in (10, 2, 0.5):
        np.testing.assert_array_equal((base ** x).numpy(), (base ** torch.tensor([3.0, 30.0, -1.5])).numpy())
    assert (10 ** x).tolist()[0] == 1000.0  # e^(x ln 10) gave 1000.0001
    assert mg.gradgradcheck(lambda t: 3.0 ** t, [mg.tensor([0.5, -1.5], dtype="float64", device=device,
                                                            requires_grad=True)])


def test_logsumexp_of_infinities_as_torchs(device):
    torch = pytest.importorskip("torch")
    values = np.array([[-np.inf, -np.inf], [1.0, np.inf], [0.5, -np.inf]], dtype=np.float32)
    with np.errstate(divide="ignore"):  # log(0) for the row of -inf
        ours = mg.logsumexp(mg.tensor(values, device=device), 1).numpy()
    np.testing.assert_array_equal(ours, torch.logsumexp(torch.tensor(values), 1).numpy())  # was NaN, NaN
    with np.errstate(all="raise"):  # an empty row sums to 0: -inf, as torch's, without NumPy's warning
        empty = mg.logsumexp(mg.zeros(2, 0, device=device), 1).numpy()
    np.testing.assert_array_equal(empty, torch.logsumexp(torch.zeros(2, 0), 1).numpy())


def test_int_tensors_cannot_be_made_to_require_grad_later():
    with pytest.raises(TypeError, match="requires_grad_: only floating-point tensors can require gradients, "
                                        "this one is int64"):
        mg.tensor([1, 2]).requires_grad_()
    assert mg.tensor([1, 2]).requires_grad_(False).requires_grad is False


def test_integer_dtypes_as_torchs(device):
    torch = pytest.importorskip("torch")
    cases = [
        (lambda m: m.tensor([2, 3], device=device) ** 2.0, lambda t: t.tensor([2, 3]) ** 2.0),  # float32, not int64
        (lambda m: m.tensor([2, 3], device=device) ** 2, lambda t: t.tensor([2, 3]) ** 2),
        (lambda m: m.tensor([1, 2], dtype=m.int32, device=device) + 5, lambda t: t.tensor([1, 2], dtype=t.int32) + 5),
        (lambda m: m.tensor([1, 2], dtype=m.uint8, device=device).sum(), lambda t: t.tensor([1, 2], dtype=t.uint8).sum()),
        (lambda m: m.tensor([True, True], device=device).sum(), lambda t: t.tensor([True, True]).sum()),
        (lambda m: m.tensor([1, 2], dtype=m.int32, device=device).sum(), lambda t: t.tensor([1, 2], dtype=t.int32).sum()),
    ]
    for ours, theirs in cases:
        a, b = ours(mg), theirs(torch)
        assert str(a.dtype) == str(b.dtype).replace("torch.", "") and a.tolist() == b.tolist()


@pytest.mark.parametrize("call, error, message", [
    (lambda: mg.tensor([1, 2]).__itruediv__(2), TypeError, r"x /= \.\.\.: x is int64 and the result would be float32"),
    (lambda: mg.tensor([1, 2]).__imul__(2.5), TypeError, r"x \*= \.\.\.: x is int64 and the result would be float32"),
    (lambda: mg.tensor([1, 2]).clamp_(min=1.5), TypeError, r"clamp_: x is int64 and a float bound would make"),
    (lambda: mg.arange(0, 5, 0), ValueError, r"arange: step must be nonzero"),
    (lambda: mg.ones(2, 3).sum(dim=1.0), TypeError, r"sum: dim must be an int or a tuple of ints, got float 1.0"),
    (lambda: mg.ones(2, 3).sum(dim=(0, "a")), TypeError, r"sum: an axis must be an int, got str 'a'"),
    (lambda: mg.ones(2).unsqueeze(1.0), TypeError, r"unsqueeze: dim must be an int, got float 1.0"),
    (lambda: mg.ones(2) ** None, TypeError, r"x \*\* exponent: the exponent must be a number or a tensor, got NoneType"),
    (lambda: mg.ones(2).size(5), ValueError, r"size: axis 5 is out of range for a tensor of shape \(2,\)"),
])
def test_wrong_arguments_are_named_not_numpys(call, error, message):
    with pytest.raises(error, match=message):
        call()
    assert mg.tensor([1, 2]).__iadd__(1).tolist() == [2, 3]  # integers stay integers in place


def test_an_empty_list_index_picks_nothing_as_in_torch(device):
    x = mg.ones(3, 2, device=device, requires_grad=True)
    y = x[[]]
    assert y.shape == (0, 2) and y.dtype == np.float32
    (y.sum() + x.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((3, 2)))


def test_an_empty_dim_reduces_every_axis_as_in_torch(device):
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    assert x.sum(dim=()).tolist() == 10.0 and x.mean(dim=[]).tolist() == 2.5  # torch's name, torch's meaning
    assert x.sum(axis=()).shape == (2, 2)  # NumPy's name, NumPy's meaning: no axis reduced


# -- accuracy at the extremes (3 Dec 2026 audit)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_is_accurate_relative_to_its_value_for_very_negative_inputs(device, dtype):
    x = np.array([-100.0, -80.0, -30.0, -20.0, -17.0, -10.0, -1.0, 0.0, 1.0, 10.0, 30.0, 100.0])
    exact = 1.0 / (1.0 + np.exp(-x))  # float64: good to 1e-16 relative over this range
    got = mg.sigmoid(mg.tensor(x, dtype=dtype, device=device)).numpy()
    tol = 1e-6 if dtype == "float32" else 1e-14
    # 0.5 tanh(x/2) + 0.5 gave 0 at -20; a GPU flushes results below the smallest normal number (e^-100 in float32) to 0
    np.testing.assert_allclose(got, exact.astype(dtype), rtol=tol, atol=np.finfo(dtype).tiny)


def test_bce_of_a_sigmoid_keeps_its_gradient_for_confidently_wrong_logits(device):
    # the PyTorch DCGAN tutorial's nn.Sigmoid + nn.BCELoss: a real image that D scores at logit -20
    logits = mg.tensor([-20.0, -10.0], device=device, requires_grad=True)
    loss = nn.BCELoss(reduction="sum")(nn.Sigmoid()(logits), mg.ones(2, device=device))
    loss.backward()
    np.testing.assert_allclose(loss.item(), 20.0 + 10.0, rtol=1e-4)  # -log sigmoid(l) = softplus(-l) ~ -l
    np.testing.assert_allclose(logits.grad.numpy(), [-1.0, -1.0], rtol=1e-4)  # sigmoid(l) - 1


def test_std_of_equal_values_has_gradient_zero_not_nan(device):
    x = mg.tensor([[3.0, 3.0, 3.0], [1.0, 2.0, 4.0]], dtype="float64", device=device, requires_grad=True)
    x.std(dim=1).sum().backward()
    g = x.grad.numpy()
    np.testing.assert_array_equal(g[0], [0.0, 0.0, 0.0])  # as torch's
    centered = np.array([1.0, 2.0, 4.0]) - 7.0 / 3.0
    np.testing.assert_allclose(g[1], centered / (2.0 * np.sqrt((centered**2).sum() / 2.0)), rtol=1e-12)


def test_sign_has_a_zero_gradient_and_abs_a_zero_gradient_at_nan(device):
    x = mg.tensor([-2.0, 0.0, 3.0, np.nan], device=device, requires_grad=True)
    x.sign().sum().backward()  # torch: zeros, not "does not require grad"
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0, 0.0])
    x.grad = None
    mg.abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 0.0, 1.0, 0.0])


def test_elu_gradient_is_accurate_far_below_zero_and_one_at_infinity(device):
    x = mg.tensor([-30.0, -20.0, -1.0, 2.0, np.inf], device=device, requires_grad=True)
    F.elu(x, alpha=1.5).sum().backward()
    expected = [1.5 * np.exp(-30.0), 1.5 * np.exp(-20.0), 1.5 * np.exp(-1.0), 1.0, 1.0]
    np.testing.assert_allclose(x.grad.numpy(), np.float32(expected), rtol=1e-5)  # elu(x) + alpha cancelled to 0


def test_logsigmoid_is_exact_below_minus_twenty(device):
    x = mg.tensor([-25.0, -40.0], dtype="float64", device=device, requires_grad=True)
    y = F.logsigmoid(x)
    np.testing.assert_allclose(y.numpy(), -np.log1p(np.exp([25.0, 40.0])), rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.0 / (1.0 + np.exp([-25.0, -40.0])), rtol=1e-15)


def test_linear_refuses_a_bias_of_another_dtype_or_size(device):
    x, w = mg.randn(2, 3, device=device), mg.randn(4, 3, device=device)
    with pytest.raises(ValueError, match=r"Linear: the bias must have shape \(4,\) and the weight's dtype float32"):
        F.linear(x, w, mg.zeros(4, dtype="float64", device=device))
    with pytest.raises(ValueError, match=r"got shape \(3,\)"):
        F.linear(x, w, mg.zeros(3, device=device))


def test_bce_refuses_targets_outside_zero_one():
    p = mg.tensor([0.2, 0.7])
    with pytest.raises(ValueError, match=r"binary_cross_entropy: the targets must be in \[0, 1\], got values from -1 to 1"):
        F.binary_cross_entropy(p, mg.tensor([-1.0, 1.0]))


def test_normal_refuses_a_negative_std_tensor_as_it_refuses_a_negative_number():
    with pytest.raises(ValueError, match="normal: every std must be >= 0"):
        mg.normal(mg.zeros(3), mg.tensor([1.0, -0.5, 1.0]))


def test_leaky_relu_and_elu_name_a_setting_that_is_not_a_number(device):
    x = mg.randn(2, device=device)
    with pytest.raises(TypeError, match="leaky_relu: negative_slope must be a number"):
        F.leaky_relu(x, "a")
    with pytest.raises(TypeError, match="elu: alpha must be a number"):
        F.elu(x, None)


def test_linear_names_a_weight_that_is_not_a_matrix():
    with pytest.raises(ValueError, match=r"Linear: the weight must be 2-D, \(out_features, in_features\), got shape \(3,\)"):
        F.linear(mg.randn(2, 3), mg.randn(3))
