"""Small layers torch has: UpsamplingNearest2d, UpsamplingBilinear2d and F.upsample*, ChannelShuffle,
LocalResponseNorm, LPPool1d/LPPool2d, AlphaDropout/FeatureAlphaDropout, and nn.utils.rnn's pad_sequence and
unpad_sequence: values and gradients against torch's in float64, float32 kept, gradcheck, clear errors."""

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn import functional as F
from minigan.nn.utils import rnn

pytestmark = pytest.mark.filterwarnings("ignore:`nn.functional.upsample:UserWarning")  # (torch's, for its F.upsample*)


def _torch():
    return pytest.importorskip("torch")


def _positive(shape):
    return lambda rng: rng.uniform(0.5, 2.0, shape)


def _normal(shape):
    return lambda rng: rng.standard_normal(shape)


# name: (minigan's call, torch's call (on torch's module, its functional), the input's draw)
CASES = {
    "UpsamplingNearest2d": (lambda x: nn.UpsamplingNearest2d(scale_factor=2)(x),
                            lambda t, tf, x: t.nn.UpsamplingNearest2d(scale_factor=2)(x), _normal((2, 3, 2, 3))),
    "UpsamplingNearest2d_size_3d": (lambda x: nn.UpsamplingNearest2d(size=6)(x),
                                    lambda t, tf, x: t.nn.UpsamplingNearest2d(size=6)(x), _normal((2, 3, 3))),
    "UpsamplingBilinear2d_size": (lambda x: nn.UpsamplingBilinear2d(size=(5, 4))(x),
                                  lambda t, tf, x: t.nn.UpsamplingBilinear2d(size=(5, 4))(x), _normal((2, 3, 3, 2))),
    "UpsamplingBilinear2d_factor": (lambda x: nn.UpsamplingBilinear2d(scale_factor=1.5)(x),
                                    lambda t, tf, x: t.nn.UpsamplingBilinear2d(scale_factor=1.5)(x),
                                    _normal((1, 2, 3, 4))),
    "upsample_bilinear": (lambda x: F.upsample_bilinear(x, scale_factor=2),
                          lambda t, tf, x: tf.upsample_bilinear(x, scale_factor=2), _normal((1, 2, 3, 3))),
    "upsample_nearest": (lambda x: F.upsample_nearest(x, (4, 6)),
                         lambda t, tf, x: tf.upsample_nearest(x, (4, 6)), _normal((1, 2, 2, 3))),
    "upsample_bicubic": (lambda x: F.upsample(x, None, 1.5, "bicubic"),
                         lambda t, tf, x: tf.upsample(x, None, 1.5, "bicubic"), _normal((1, 2, 4, 3))),
    "upsample_bilinear_align_corners": (lambda x: F.upsample(x, (5, 4), None, "bilinear", True),
                                        lambda t, tf, x: tf.upsample(x, (5, 4), None, "bilinear", True),
                                        _normal((1, 2, 3, 2))),
    "channel_shuffle": (lambda x: F.channel_shuffle(x, 3), lambda t, tf, x: tf.channel_shuffle(x, 3),
                        _normal((2, 6, 2, 3))),
    "ChannelShuffle_3d": (lambda x: nn.ChannelShuffle(2)(x), lambda t, tf, x: t.nn.ChannelShuffle(2)(x),
                          _normal((2, 8, 3))),
    "channel_shuffle_5d": (lambda x: F.channel_shuffle(x, 2), lambda t, tf, x: tf.channel_shuffle(x, 2),
                           _normal((1, 4, 2, 1, 3))),
    "local_response_norm_3d": (lambda x: F.local_response_norm(x, 3, 0.3, 0.75, 1.5),
                               lambda t, tf, x: tf.local_response_norm(x, 3, 0.3, 0.75, 1.5), _normal((2, 5, 4))),
    "LocalResponseNorm_4d_even": (lambda x: nn.LocalResponseNorm(4, alpha=0.5, beta=0.6, k=2.0)(x),
                                  lambda t, tf, x: t.nn.LocalResponseNorm(4, alpha=0.5, beta=0.6, k=2.0)(x),
                                  _normal((2, 6, 3, 2))),
    "local_response_norm_5d_wide": (lambda x: F.local_response_norm(x, 7, 1.0, 1.0, 0.5),
                                    lambda t, tf, x: tf.local_response_norm(x, 7, 1.0, 1.0, 0.5),
                                    _normal((1, 3, 2, 2, 2))),
    "lp_pool1d_2": (lambda x: F.lp_pool1d(x, 2, 3), lambda t, tf, x: tf.lp_pool1d(x, 2, 3), _normal((2, 3, 7))),
    "LPPool1d_3_stride_ceil": (lambda x: nn.LPPool1d(3, 2, 3, ceil_mode=True)(x),
                               lambda t, tf, x: t.nn.LPPool1d(3, 2, 3, ceil_mode=True)(x), _positive((2, 3, 8))),
    "lp_pool1d_1_unbatched": (lambda x: F.lp_pool1d(x, 1, 2), lambda t, tf, x: tf.lp_pool1d(x, 1, 2),
                              _normal((3, 6))),
    "lp_pool1d_ceil_stride_unbatched": (lambda x: F.lp_pool1d(x, 2, 3, 2, True),
                                        lambda t, tf, x: tf.lp_pool1d(x, 2, 3, 2, True), _normal((3, 6))),
    "lp_pool2d_2_5": (lambda x: F.lp_pool2d(x, 2.5, (2, 3), 1), lambda t, tf, x: tf.lp_pool2d(x, 2.5, (2, 3), 1),
                      _positive((2, 2, 4, 5))),
    "LPPool2d_2_ceil_unbatched": (lambda x: nn.LPPool2d(2, 2, ceil_mode=True)(x),
                                  lambda t, tf, x: t.nn.LPPool2d(2, 2, ceil_mode=True)(x), _normal((2, 5, 5))),
    "lp_pool2d_3_stride_unbatched": (lambda x: F.lp_pool2d(x, 3, 2, (1, 2)),
                                     lambda t, tf, x: tf.lp_pool2d(x, 3, 2, (1, 2)), _positive((2, 4, 5))),
    # norm_type inf and -inf: the largest and smallest magnitude in each window, as torch 2.13's lp_pool (written as
    # max pools of |x|, which every torch has: 2.11's lp_pool gave 1 everywhere for both)
    "lp_pool2d_inf": (lambda x: F.lp_pool2d(x, float("inf"), 2), lambda t, tf, x: tf.max_pool2d(x.abs(), 2),
                      _normal((1, 2, 4, 4))),
    "lp_pool1d_minus_inf": (lambda x: F.lp_pool1d(x, -float("inf"), 2),
                            lambda t, tf, x: -tf.max_pool1d(-x.abs(), 2), _normal((1, 2, 6))),
    "LPPool1d_inf_ceil": (lambda x: nn.LPPool1d(float("inf"), 2, ceil_mode=True)(x),
                          lambda t, tf, x: tf.max_pool1d(x.abs(), 2, ceil_mode=True), _normal((1, 2, 5))),
    "alpha_dropout_eval": (lambda x: F.alpha_dropout(x, 0.3), lambda t, tf, x: tf.alpha_dropout(x, 0.3),
                           _normal((3, 4))),
    "AlphaDropout_eval": (lambda x: nn.AlphaDropout(0.3).eval()(x), lambda t, tf, x: t.nn.AlphaDropout(0.3).eval()(x),
                          _normal((3, 4))),
    "FeatureAlphaDropout_eval": (lambda x: nn.FeatureAlphaDropout(0.3).eval()(x),
                                 lambda t, tf, x: t.nn.FeatureAlphaDropout(0.3).eval()(x), _normal((3, 4, 2))),
}
# the ones whose second derivatives matter (the rest are linear maps, max pools or identities)
GRADGRAD = ["local_response_norm_3d", "LocalResponseNorm_4d_even", "lp_pool1d_2", "LPPool1d_3_stride_ceil",
            "lp_pool2d_2_5", "upsample_bilinear"]


def _input(name, dtype="float64", device="cpu"):
    array = CASES[name][2](np.random.default_rng(sum(map(ord, name))))
    return mg.tensor(array, dtype=dtype, device=device, requires_grad=True), array


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_match_torch(name, device):
    torch = _torch()
    x, array = _input(name, device=device)
    tx = torch.tensor(array, requires_grad=True)
    out, tout = CASES[name][0](x), CASES[name][1](torch, torch.nn.functional, tx)
    assert out.shape == tuple(tout.shape) and out.device == device
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(mg.tensor(upstream, device=device))
    tout.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck(name, device):
    x, _ = _input(name, device=device)
    assert mg.gradcheck(CASES[name][0], [x])


@pytest.mark.parametrize("name", GRADGRAD)
def test_gradgradcheck(name, device):
    x, _ = _input(name, device=device)
    assert mg.gradgradcheck(CASES[name][0], [x])


@pytest.mark.parametrize("name", list(CASES))
def test_float32_stays_float32(name, device):
    x, _ = _input(name, dtype="float32", device=device)
    out = CASES[name][0](x)
    (out * out).sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_reprs_are_torchs():
    torch = _torch()
    for build in (lambda L: L.UpsamplingNearest2d(scale_factor=2), lambda L: L.UpsamplingBilinear2d(size=(3, 4)),
                  lambda L: L.ChannelShuffle(3), lambda L: L.LocalResponseNorm(3),
                  lambda L: L.LocalResponseNorm(2, alpha=0.5, beta=1, k=2.0), lambda L: L.LPPool1d(2, 3),
                  lambda L: L.LPPool2d(2.5, (2, 3), 1, True), lambda L: L.AlphaDropout(0.2),
                  lambda L: L.FeatureAlphaDropout()):
        assert repr(build(nn)) == repr(build(torch.nn))


def test_upsampling_bilinear2d_aligns_the_corners():
    # align_corners=True: output pixel d samples the input at d (2 - 1) / (4 - 1), so [0, 3] becomes 0, 1, 2, 3;
    # Upsample's default samples at (d + 1/2) / 2 - 1/2, clamped: 0, 0.25, 0.75, 1
    x = mg.tensor([[[[0.0, 3.0]]]])
    np.testing.assert_allclose(nn.UpsamplingBilinear2d(size=(1, 4))(x).numpy(), [[[[0.0, 1.0, 2.0, 3.0]]]])
    np.testing.assert_allclose(nn.Upsample(size=(1, 4), mode="bilinear")(x).numpy(), [[[[0.0, 0.75, 2.25, 3.0]]]])


def test_channel_shuffle_reads_the_groups_by_columns():
    # 6 channels in 2 groups (0 1 2 | 3 4 5) come out as 0 3 1 4 2 5
    x = mg.arange(6.0).reshape(1, 6, 1)
    assert F.channel_shuffle(x, 2).reshape(-1).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    assert F.channel_shuffle(mg.arange(6).reshape(1, 6, 1), 3).dtype == np.int64  # (any dtype, as torch's)


def test_local_response_norm_window_by_hand():
    # size 3 around channel 0 of (1, 2, 0.5): the channels -1 (a zero), 0 and 1; mean of squares (0 + 1 + 4) / 3
    x = mg.tensor([[[1.0], [2.0], [0.5]]], dtype="float64")
    y = F.local_response_norm(x, 3, alpha=0.3, beta=0.5, k=1.0)
    expected = [1.0 / np.sqrt(1 + 0.3 * 5 / 3), 2.0 / np.sqrt(1 + 0.3 * 5.25 / 3), 0.5 / np.sqrt(1 + 0.3 * 4.25 / 3)]
    np.testing.assert_allclose(y.numpy().reshape(-1), expected, rtol=1e-12)


@pytest.mark.parametrize("shape", [(0, 3, 2), (2, 0, 4), (2, 3, 0, 2)])
def test_local_response_norm_of_an_empty_input_is_torchs(shape):
    torch = _torch()
    y = F.local_response_norm(mg.zeros(*shape), 3)
    assert y.shape == tuple(torch.nn.functional.local_response_norm(torch.zeros(shape), 3).shape) == shape


def test_integers_give_float32_and_float32_stays_in_training(device):
    x = mg.tensor([[[1, 2], [3, 0], [-1, 4]]], device=device)  # (1, 3, 2) integers
    y = F.local_response_norm(x, 2, alpha=0.5)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), F.local_response_norm(x.float(), 2, alpha=0.5).numpy(), rtol=1e-6)
    for drop in (F.alpha_dropout, F.feature_alpha_dropout):
        assert drop(x, 0.5, True).dtype == np.float32 and drop(x.float(), 0.5, True).dtype == np.float32


def test_lp_pool_zero_windows_get_zero_gradients_and_negative_sums_nan_as_torchs():
    torch = _torch()
    array = np.array([[[0.0, 0.0, 1.0, -2.0, -3.0, 0.5]]])
    for p in (2, 3, 1):  # p = 2: a window of zeros (inf times 0 in the chain rule); p = 3: a negative sum
        x, tx = mg.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
        y, ty = F.lp_pool1d(x, p, 2), torch.nn.functional.lp_pool1d(tx, p, 2)
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12, equal_nan=True)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, equal_nan=True)
    assert np.isnan(F.lp_pool1d(mg.tensor(array), 3, 2).numpy()[0, 0, 2])  # ((-3)^3 + 0.5^3)^(1/3)
    assert F.lp_pool1d(mg.tensor(array), 1, 2).numpy()[0, 0, 2] == -2.5  # p = 1: the plain sum


def test_lp_pool_is_the_p_norm_of_each_window():
    x = mg.tensor([[[3.0, 4.0, 1.0, 2.0, 2.0, 1.0]]], dtype="float64")
    np.testing.assert_allclose(F.lp_pool1d(x, 2, 2).numpy(), [[[5.0, np.sqrt(5), np.sqrt(5)]]], rtol=1e-12)
    np.testing.assert_allclose(F.lp_pool1d(x, 2, 3, 3).numpy(), [[[np.sqrt(26), 3.0]]], rtol=1e-12)


ALPHA = 1.7580993408473766  # SELU's scale * alpha, torch's constant


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_is_torchs_affine_form_with_a_p_share_dropped(p, device):
    x = mg.randn(200, 50, device=device)
    y = F.alpha_dropout(x, p, training=True).numpy()
    a = ((ALPHA ** 2 * p + 1) * (1 - p)) ** -0.5
    kept = np.isclose(y, a * x.numpy() + a * ALPHA * p, rtol=1e-5, atol=1e-6)
    dropped = np.isclose(y, -a * ALPHA * (1 - p), rtol=1e-5, atol=1e-6)
    assert (kept | dropped).all()
    assert abs(dropped.mean() - p) < 0.02  # 10000 draws: the share within 5 standard deviations
    # inputs of mean 0 and variance 1 keep them (the point of the affine form)
    assert abs(y.mean()) < 0.05 and abs(y.var() - 1.0) < 0.05


def test_alpha_dropout_statistics_match_torchs():
    torch = _torch()
    x = np.random.default_rng(0).standard_normal((400, 100)).astype(np.float32)
    y = F.alpha_dropout(mg.tensor(x), 0.4, True).numpy()
    ty = torch.nn.functional.alpha_dropout(torch.tensor(x), 0.4, True).numpy()
    values, counts = np.unique(y, return_counts=True)
    tvalues, tcounts = np.unique(ty, return_counts=True)
    # the dropped values: all one value (the most frequent), torch's, with the share p of the values
    np.testing.assert_allclose(values[counts.argmax()], tvalues[tcounts.argmax()], rtol=1e-6)
    assert abs(counts.max() - tcounts.max()) / y.size < 0.02
    for stat in (np.mean, np.var):
        assert abs(stat(y) - stat(ty)) < 0.03


def test_feature_alpha_dropout_drops_whole_channels(device):
    x = mg.randn(8, 6, 3, 2, device=device)
    y = nn.FeatureAlphaDropout(0.5)(x).numpy()
    a = ((ALPHA ** 2 * 0.5 + 1) * 0.5) ** -0.5
    dropped = np.isclose(y, -a * ALPHA * 0.5).all(axis=(2, 3))
    kept = np.isclose(y, a * x.numpy() + a * ALPHA * 0.5, rtol=1e-5, atol=1e-6).all(axis=(2, 3))
    assert (dropped | kept).all() and dropped.any() and kept.any()
    assert (dropped.any(axis=1) & kept.any(axis=1)).any()  # one draw per channel, not one per sample
    flat = nn.FeatureAlphaDropout(0.5)(mg.randn(50, 4, device=device))  # (N, C): each value its own channel
    assert flat.shape == (50, 4) and np.isclose(flat.numpy(), -a * ALPHA * 0.5).any()


def test_alpha_dropout_is_seeded_and_torchs_at_the_ends(device):
    x = mg.randn(4, 5, device=device)
    mg.manual_seed(3)
    first = F.alpha_dropout(x, 0.5, True).numpy()
    mg.manual_seed(3)
    assert (F.alpha_dropout(x, 0.5, True).numpy() == first).all()
    assert (F.alpha_dropout(x, 1.0, True).numpy() == 0).all()  # torch's p = 1: zeros, not the affine form
    assert F.alpha_dropout(x, 0.5) is x and F.alpha_dropout(x, 0.0, True) is x  # training=False by default
    assert F.feature_alpha_dropout(x, 0.5) is x and F.feature_alpha_dropout(x, 0.0, True) is x  # (no draw either)
    y = F.alpha_dropout(mg.randn(3, 2, requires_grad=True, dtype="float64"), 0.5, True)
    assert y.requires_grad and y.dtype == np.float64


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, padding_side, device):
    torch = _torch()
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal((n, 2)) for n in (3, 1, 4)]
    xs = [mg.tensor(a, requires_grad=True, device=device) for a in arrays]
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = rnn.pad_sequence(xs, batch_first, -1.5, padding_side)
    tout = torch.nn.utils.rnn.pad_sequence(txs, batch_first, -1.5, padding_side)
    np.testing.assert_array_equal(out.numpy(), tout.detach().numpy())
    upstream = rng.standard_normal(out.shape)
    out.backward(mg.tensor(upstream, device=device))
    tout.backward(torch.tensor(upstream))
    for x, tx in zip(xs, txs):
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    if padding_side == "right":  # (unpad_sequence undoes right padding, as torch's)
        back = rnn.unpad_sequence(out, mg.tensor([3, 1, 4]), batch_first)
        assert [b.shape for b in back] == [(3, 2), (1, 2), (4, 2)]
        for b, a in zip(back, arrays):
            np.testing.assert_array_equal(b.numpy(), a)


def test_pad_sequence_of_a_tensor_and_integers_as_torchs():
    torch = _torch()
    x = np.arange(12).reshape(3, 4)
    assert rnn.pad_sequence(mg.tensor(x)).tolist() == torch.nn.utils.rnn.pad_sequence(torch.tensor(x)).tolist()
    ids = [mg.tensor([1, 2, 3]), mg.tensor([4])]
    out = rnn.pad_sequence(ids, True, -1)
    assert out.dtype == np.int64 and out.tolist() == [[1, 2, 3], [4, -1, -1]]
    assert mg.gradcheck(lambda a, b: rnn.pad_sequence([a, b], padding_side="left"),
                        [mg.randn(2, 3, dtype="float64", requires_grad=True),
                         mg.randn(4, 3, dtype="float64", requires_grad=True)])


# (call, the error's type, words the message must hold)
BAD_CALLS = [
    (lambda: F.channel_shuffle(mg.randn(2, 6), 2), ValueError, "channel_shuffle: expected an input (N, C, *)"),
    (lambda: F.channel_shuffle(mg.randn(2, 6, 3), 4), ValueError, "multiple of groups=4"),
    (lambda: nn.ChannelShuffle(0), ValueError, "ChannelShuffle: groups must be a positive int, got 0"),
    (lambda: nn.ChannelShuffle(2.5), ValueError, "ChannelShuffle: groups must be a positive int"),
    (lambda: F.local_response_norm(mg.randn(2, 4), 2), ValueError, "local_response_norm: expected an input (N, C, *)"),
    (lambda: nn.LocalResponseNorm(0), ValueError, "LocalResponseNorm: size must be a positive int, got 0"),
    (lambda: nn.LocalResponseNorm(3, alpha="0.1"), TypeError, "LocalResponseNorm: alpha must be a number"),
    (lambda: F.local_response_norm(np.ones((2, 3, 4)), 2), TypeError, "local_response_norm: expected a minigan Tensor"),
    (lambda: F.lp_pool1d(mg.randn(2, 3, 4), 0, 2), ValueError, "lp_pool1d: norm_type must be a nonzero number"),
    (lambda: nn.LPPool2d(float("nan"), 2), ValueError, "LPPool2d: norm_type must be a nonzero number"),
    (lambda: nn.LPPool1d(True, 2), ValueError, "LPPool1d: norm_type must be a nonzero number p (2: the Euclidean"),
    (lambda: F.local_response_norm(mg.randn(1, 3, 2), 2, alpha="0.1"), TypeError,
     "local_response_norm: alpha must be a number"),
    (lambda: F.lp_pool1d(mg.randn(1, 2, 3, 4), 2, 2), ValueError, "lp_pool1d: expected a 2-D (C, L) or 3-D"),
    (lambda: F.lp_pool2d(mg.randn(2, 4), 2, 2), ValueError, "lp_pool2d: expected a 3-D (C, H, W) or 4-D"),
    (lambda: F.lp_pool2d(mg.randn(1, 1, 2, 2), 2, 3), ValueError, "lp_pool2d: input shape (1, 1, 2, 2) is smaller"),
    (lambda: F.lp_pool1d(mg.randn(1, 1, 4), 2, 0), ValueError, "lp_pool1d: kernel_size, stride and dilation must"),
    (lambda: F.alpha_dropout(mg.randn(3), 1.5, True), ValueError, "alpha_dropout: p must be between 0 and 1"),
    (lambda: nn.FeatureAlphaDropout(-0.1), ValueError, "FeatureAlphaDropout: p must be between 0 and 1"),
    (lambda: F.feature_alpha_dropout(mg.randn(4), 0.5, True), ValueError, "feature_alpha_dropout: expected an input"),
    (lambda: nn.UpsamplingBilinear2d(scale_factor=2)(mg.randn(1, 2, 3)), ValueError,
     "interpolate: mode='bilinear' expects (N, C, H, W)"),
    (lambda: F.upsample_bilinear(mg.randn(1, 2, 3), scale_factor=2), ValueError, "upsample_bilinear: mode='bilinear'"),
    (lambda: F.upsample_nearest(mg.randn(1, 2, 3, 3), scale_factor=0.2), ValueError,
     "upsample_nearest: scale_factor (0.2, 0.2) makes the output size (0, 0), but mode='nearest' needs lengths >= 1"),
    (lambda: F.upsample(mg.randn(1, 2, 3, 3)), ValueError, "upsample: give exactly one of size and scale_factor"),
    # (the message said neither what was expected nor what was got: the bad-input fuzzer's rule)
    (lambda: rnn.pad_sequence([]), ValueError, "pad_sequence: expected a non-empty list"),
    (lambda: rnn.pad_sequence([mg.randn(3, 2), mg.randn(2, 3)]), ValueError,
     "sequence 0 has shape (3, 2) and sequence 1 (2, 3)"),
    (lambda: rnn.pad_sequence([mg.randn(3, 2), mg.randn(2)]), ValueError, "sequence 0 has shape (3, 2)"),
    (lambda: rnn.pad_sequence([mg.randn(3), mg.randn(2, dtype="float64")]), TypeError,
     "pad_sequence: sequence 0 is float32 on 'cpu' but sequence 1 is float64"),
    (lambda: rnn.pad_sequence([mg.randn(3), None]), TypeError, "pad_sequence: sequence 1: expected a minigan Tensor"),
    (lambda: rnn.pad_sequence([mg.randn(3)], padding_side="middle"), ValueError,
     "padding_side must be 'left' or 'right', got 'middle'"),
    (lambda: rnn.pad_sequence([mg.randn(3)], padding_value=None), TypeError, "padding_value must be a number"),
    (lambda: rnn.unpad_sequence(mg.randn(3, 2), [3]), ValueError, "lengths must hold one int >= 0 per sequence (2)"),
    (lambda: rnn.unpad_sequence(mg.randn(3, 2), [3, -1]), ValueError, "lengths must hold one int >= 0 per sequence"),
]


@pytest.mark.parametrize("call, error, words", BAD_CALLS, ids=[w[:40] for *_, w in BAD_CALLS])
def test_bad_input_gets_a_clear_error(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)
