"""The independent judge: metrics on known inputs, and a small judge trained, cached and rebuilt in NumPy."""

import re

import numpy as np
import pytest

from minigan.data import MNIST
from minigan.judge import (
    FULL_JUDGE,
    Judge,
    digit_shares,
    evaluate,
    format_report,
    frechet_distance,
    get_judge,
    mnist_score,
    train_judge,
)
from minigan.serialization import CheckpointError


def test_mnist_score_bounds():
    sharp_balanced = np.eye(10)[np.arange(1000) % 10]
    assert mnist_score(sharp_balanced) == pytest.approx(10.0, rel=1e-6)
    assert mnist_score(np.full((100, 10), 0.1)) == pytest.approx(1.0)
    one_digit = np.eye(10)[np.zeros(100, dtype=int)]
    assert mnist_score(one_digit) == pytest.approx(1.0)
    five_digits = np.eye(10)[np.arange(1000) % 5]
    assert mnist_score(five_digits) == pytest.approx(5.0, rel=1e-6)


def test_digit_shares():
    shares = digit_shares(np.array([0, 0, 3, 9]))
    assert shares.tolist() == [0.5, 0, 0, 0.25, 0, 0, 0, 0, 0, 0.25]


def test_frechet_distance_against_the_closed_form(rng):
    a = rng.standard_normal((4000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    # N(0, I) vs N(m, 4 I): |m|^2 + tr(I + 4I - 2*2I) = |m|^2 + 3
    b = 2.0 * rng.standard_normal((4000, 3)) + np.array([1.0, 0.0, 2.0])
    a2 = rng.standard_normal((4000, 3))
    assert frechet_distance(a2, b) == pytest.approx(5.0 + 3.0, rel=0.1)


def test_scores_of_sets_too_small_or_misshapen_are_named(rng):
    with pytest.raises(ValueError, match=r"mnist_score: expected class probabilities of shape \(N, classes\) with N >= 1"):
        mnist_score(np.zeros((0, 10)))
    for a, b in [(rng.standard_normal((1, 3)), rng.standard_normal((5, 3))),  # one row has no covariance
                 (rng.standard_normal(5), rng.standard_normal(5)),
                 (rng.standard_normal((5, 3)), rng.standard_normal((5, 4)))]:
        with pytest.raises(ValueError, match="frechet_distance: expected two sets of feature rows of one width"):
            frechet_distance(a, b)


@pytest.fixture(scope="module")
def test_set():
    return MNIST(train=False)


@pytest.fixture(scope="module")
def small_judge(test_set):
    """A judge trained in seconds on the first 3,000 test digits (the real one: all 60,000 training digits).

    The checks below only use test digits 5,000 and up, which it never saw.
    """
    return train_judge(test_set.subset(3000), hidden=(32,), max_iter=15)


def test_numpy_forward_matches_scikit_learn(small_judge, test_set):
    from sklearn.neural_network import MLPClassifier

    x = test_set.images[5000:5200].reshape(200, -1)
    clf = MLPClassifier(hidden_layer_sizes=(32,))
    clf.coefs_, clf.intercepts_ = small_judge.weights, small_judge.biases
    clf.n_layers_, clf.out_activation_, clf.activation = 3, "softmax", "relu"
    clf.classes_ = np.arange(10)
    clf.n_outputs_ = 10
    probs, features = small_judge.forward(test_set.images[5000:5200])
    np.testing.assert_allclose(probs, clf.predict_proba(x), atol=1e-5)
    assert features.shape == (200, 32)


def test_small_judge_reads_real_digits(small_judge, test_set):
    accuracy = (small_judge.predict(test_set.images[5000:]) == test_set.labels[5000:]).mean()
    assert accuracy > 0.85


def test_cache_round_trip_without_pickle(small_judge, tmp_path, test_set):
    small_judge.save(tmp_path / "judge.npz")
    with np.load(tmp_path / "judge.npz", allow_pickle=False) as z:  # a plain .npz
        assert len(z.files) > 0
    again = Judge.load(tmp_path / "judge.npz")
    np.testing.assert_array_equal(again.forward(test_set.images[:50])[0], small_judge.forward(test_set.images[:50])[0])
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(CheckpointError):
        Judge.load(tmp_path / "bad.npz")


def test_get_judge_uses_the_cache(small_judge, tmp_path):
    small_judge.info.update(FULL_JUDGE)  # pretend it is the full judge
    small_judge.save(tmp_path / "judge.npz")
    loaded = get_judge(tmp_path / "judge.npz", verbose=False)  # would take minutes if it retrained
    np.testing.assert_array_equal(loaded.weights[0], small_judge.weights[0])


def test_evaluate_real_digits_near_ceiling_and_collapse_is_caught(small_judge, test_set):
    kw = dict(judge=small_judge, test_set=test_set, train_sample=test_set.images[3000:5000])
    real = evaluate(test_set.images[5000:7000], test_set.labels[5000:7000], **kw)
    gen, ceiling = real["generated"], real["real"]
    assert gen["mnist_score"] > 0.9 * ceiling["mnist_score"] and ceiling["mnist_score"] > 5
    assert gen["frechet_distance"] < 5 * ceiling["frechet_distance"] + 1.0
    assert sum(gen["digit_shares"]) == pytest.approx(1.0)
    assert gen["accuracy"] > 0.85
    ones = test_set.images[5000:][test_set.labels[5000:] == 1][:500]
    collapsed = evaluate(ones, **kw)["generated"]
    assert collapsed["mnist_score"] < 2.0
    assert max(collapsed["digit_shares"]) > 0.8
    assert collapsed["frechet_distance"] > 10 * gen["frechet_distance"]
    noise = np.random.default_rng(0).uniform(-1, 1, (500, 1, 28, 28)).astype(np.float32)
    assert evaluate(noise, **kw)["generated"]["frechet_distance"] > collapsed["frechet_distance"]
    text = format_report(real)
    assert "MNIST score" in text and "accuracy" in text


def test_features_with_nan_or_inf_are_named(rng):
    good = rng.standard_normal((50, 3))
    bad = good.copy()
    bad[7, 1] = np.nan
    with pytest.raises(ValueError, match="frechet_distance: 1 of the 150 values of features_b are NaN or inf"):
        frechet_distance(good, bad)  # was NumPy's LinAlgError "Eigenvalues did not converge"
    with pytest.raises(ValueError, match="frechet_distance: 150 of the 150 values of features_a are NaN or inf"):
        frechet_distance(np.full((50, 3), np.inf), good)
    with pytest.raises(TypeError, match="frechet_distance: expected a NumPy array or a Tensor of numbers, got NoneType"):
        frechet_distance(None, good)


def test_scores_of_wrong_kinds_of_input_are_named(rng):
    # logits instead of probabilities gave NaN or a meaningless score without a word
    with pytest.raises(ValueError, match=r"mnist_score: expected class probabilities \(each row >= 0, summing to 1\).*"
                                         "turn logits into probabilities with a softmax"):
        mnist_score(rng.standard_normal((20, 10)))
    for predictions, got in [(np.array([0.5, 1.2]), r"got float64 of shape \(2,\), values in \[0.5, 1.2\]"),
                             (np.array([-1, 2]), r"got int64 of shape \(2,\), values in \[-1, 2\]"),
                             (np.array([2, 12]), r"got int64 of shape \(2,\), values in \[2, 12\]"),
                             (np.array([], dtype=np.int64), r"got int64 of shape \(0,\), no values")]:
        with pytest.raises(ValueError, match=r"digit_shares: expected predicted classes of shape \(N,\), N >= 1, "
                                             "whole numbers in 0..9, " + got):
            digit_shares(predictions)


def test_the_judge_refuses_images_it_cannot_score(small_judge, test_set):
    images = test_set.images[:20]
    for given, message in [
        (images * 127.5 + 127.5, r"expected images in \[-1, 1\] .*got values in \[0, 255\]; rescale 0..255 pixels"),
        (np.where(images > 0.9, np.nan, images), r"\d+ of the 15680 pixels are NaN or inf"),
        (images[:0], r"expected N >= 1 images of 784 pixels each, such as \(N, 1, 28, 28\), got shape \(0, 1, 28, 28\)"),
        (images[0].reshape(-1), r"expected N >= 1 images of 784 pixels each, .*got shape \(784,\)"),
    ]:
        with pytest.raises(ValueError, match="Judge: " + message):
            small_judge.forward(given)
    with pytest.raises(TypeError, match="Judge: expected a NumPy array or a Tensor of numbers, got NoneType"):
        small_judge.forward(None)
    with pytest.raises(ValueError, match=r"judge_images: expected one requested label per image, shape \(20,\), "
                                         r"got labels of shape \(19,\)"):
        evaluate(images, test_set.labels[:19], judge=small_judge, test_set=test_set.subset(100),
                 train_sample=test_set.images[100:200])


def test_the_judge_takes_a_generators_tensor_on_its_device(small_judge, test_set, device, monkeypatch):
    import minigan as mg

    def element_by_element(*args):
        raise AssertionError("the judge read a Tensor element by element (a minute for 10,000 images)")

    monkeypatch.setattr(mg.Tensor, "__getitem__", element_by_element)  # np.asarray(tensor) would do that
    images = test_set.images[5000:5100]
    probs, features = small_judge.forward(mg.tensor(images, device=device))
    expected = small_judge.forward(images)
    np.testing.assert_array_equal(probs, expected[0])
    np.testing.assert_array_equal(features, expected[1])
    labels = mg.tensor(test_set.labels[5000:5100], device=device)
    kw = dict(judge=small_judge, test_set=test_set.subset(200), train_sample=test_set.images[200:400])
    report = evaluate(mg.tensor(images, device=device), labels, **kw)["generated"]
    assert report == evaluate(images, test_set.labels[5000:5100], **kw)["generated"]


def test_a_folder_as_judge_cache_is_refused_before_training(tmp_path, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("get_judge trained a judge (minutes) before finding it cannot save it")

    monkeypatch.setattr("minigan.judge.train_judge", no_training)
    with pytest.raises(ValueError, match=re.escape(f"get_judge: cache_path {tmp_path} is a folder; give a file in it, such as ")):
        get_judge(tmp_path, verbose=False)


def test_a_judge_is_named_by_a_fingerprint_of_its_weights(tmp_path):
    rng = np.random.default_rng(0)
    judge = Judge([rng.normal(size=(784, 8)), rng.normal(size=(8, 10))], [np.zeros(8), np.zeros(10)],
                  {"hidden": [8], "max_iter": 1, "seed": 0, "train_size": 100, "test_accuracy": 0.5})
    judge.save(tmp_path / "j.npz")
    again = Judge.load(tmp_path / "j.npz")
    assert again.fingerprint() == judge.fingerprint() and len(judge.fingerprint()) == 12
    assert again.describe() == ("scikit-learn MLP (8,), seed 0, 1 epochs on 100 digits, 50.00% on the test set; "
                                f"weights sha256 {judge.fingerprint()}")
    again.weights[1][0, 0] += 1e-3
    assert again.fingerprint() != judge.fingerprint()  # any change of a weight shows


def test_a_trained_judge_names_the_software_and_blas_kernel_that_made_it(small_judge, tmp_path):
    # the same seed gives another judge under another BLAS kernel (3 Dec: d7e50275ca17 with OpenBLAS's
    # SkylakeX kernel, 43d0d88742ca with the Haswell kernel the environment forced), so the judge says which
    import sklearn
    from threadpoolctl import threadpool_info

    made = small_judge.info["trained_with"]
    assert made.startswith(f"scikit-learn {sklearn.__version__}, NumPy {np.__version__}, ")
    numpy_blas = [lib for lib in threadpool_info() if lib.get("user_api") == "blas" and "numpy" in lib.get("filepath", "")]
    if numpy_blas and numpy_blas[0].get("architecture"):
        assert f"{numpy_blas[0]['architecture']} kernel, 1 thread" in made  # trained with one BLAS thread
    small_judge.save(tmp_path / "j.npz")
    assert Judge.load(tmp_path / "j.npz").describe().endswith(f"weights sha256 {small_judge.fingerprint()} (trained with {made})")


def test_a_cached_judge_trained_with_another_seed_is_not_reused(tmp_path, monkeypatch):
    from minigan import judge as judge_module  # noqa: PLC0415

    other = Judge([np.zeros((784, 10))], [np.zeros(10)], dict(judge_module.FULL_JUDGE, seed=7))
    other.save(tmp_path / "judge.npz")

    def retrain(*args, **kwargs):
        raise RuntimeError("retraining")

    monkeypatch.setattr(judge_module, "train_judge", retrain)
    with pytest.raises(RuntimeError, match="retraining"):
        judge_module.get_judge(tmp_path / "judge.npz", verbose=False)


def test_frechet_distance_of_gaussians_with_other_covariances_than_the_identity():
    # rows +-s_i e_i have mean 0 and the exact sample covariance diag(2 s_i^2 / 5) (6 rows, ddof 1); for such
    # commuting covariances the distance is |m_a - m_b|^2 + sum_i (sqrt(va_i) - sqrt(vb_i))^2. Turning both sets
    # by one rotation changes nothing, and makes the covariances full matrices.
    def design(scales, mean):
        return np.concatenate([np.diag(scales), -np.diag(scales)]) + mean

    sa, sb = np.array([1.0, 2.0, 3.0]), np.array([2.0, 1.0, 0.5])
    ma, mb = np.array([0.5, -1.0, 2.0]), np.array([-0.5, 0.0, 1.0])
    a, b = design(sa, ma), design(sb, mb)
    want = ((ma - mb) ** 2).sum() + ((np.sqrt(2 * sa**2 / 5) - np.sqrt(2 * sb**2 / 5)) ** 2).sum()
    assert frechet_distance(a, b) == pytest.approx(want, rel=1e-10)
    assert frechet_distance(b, a) == pytest.approx(want, rel=1e-10)
    q, _ = np.linalg.qr(np.random.default_rng(5).standard_normal((3, 3)))
    assert frechet_distance(a @ q.T, b @ q.T) == pytest.approx(want, rel=1e-9)


def test_frechet_distance_of_one_feature_is_the_1d_formula():
    # one feature: np.cov gives a 0-d variance, which eigh refused (a bare LinAlgError). Rows [0, 2] have mean 1 and
    # variance 2 (ddof 1), rows [3, 7] mean 5 and variance 8: (1 - 5)^2 + (sqrt(2) - sqrt(8))^2 = 16 + 2.
    a, b = np.array([[0.0], [2.0]]), np.array([[3.0], [7.0]])
    assert frechet_distance(a, b) == pytest.approx(18.0, rel=1e-12)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("cache", ["not an npz file", "a minigan file of something else"])
def test_a_damaged_or_foreign_judge_cache_is_set_aside_and_the_new_judge_replaces_it(cache, tmp_path, monkeypatch,
                                                                                      capsys):
    # (found by line coverage: the path from an unreadable cache to a new judge had not run; training is faked)
    from minigan import judge as judge_module  # noqa: PLC0415
    from minigan.serialization import save  # noqa: PLC0415

    path = tmp_path / "judge.npz"
    if cache == "not an npz file":
        path.write_bytes(b"half a download")
    else:
        save({"format": "something-else", "x": np.zeros(3)}, path)
    fresh = Judge([np.zeros((784, 10))], [np.arange(10.0)], dict(judge_module.FULL_JUDGE))  # always reads a 9
    trained = []
    monkeypatch.setattr(judge_module, "train_judge", lambda train_set: trained.append(len(train_set)) or fresh)
    got = judge_module.get_judge(path)
    out = capsys.readouterr().out
    assert "ignoring the judge cache (" in out and "; training a new judge" in out
    if cache != "not an npz file":
        assert f"{path} is not a minigan judge file (format 'minigan-judge" in out
    assert trained == [60000] and got is fresh
    assert got.info["test_accuracy"] == pytest.approx(np.mean(MNIST(train=False).labels == 9))
    again = judge_module.get_judge(path, verbose=False)  # now from the cache, no training
    assert trained == [60000] and again.fingerprint() == fresh.fingerprint()
