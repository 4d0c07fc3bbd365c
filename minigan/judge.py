"""An independent judge of generated digits: a classifier minigan did not write.

The judge is scikit-learn's ``MLPClassifier`` trained on the 60,000 MNIST
training images. We never trust our own code to grade itself, and we never
unpickle files either: after training, only the weight matrices are saved
(``minigan.save``, a plain ``.npz``) and the forward pass is rebuilt here in
five lines of NumPy. The cache is reused on later runs.

What it measures on a batch of generated images x:

* **MNIST score** ``exp(E_x[KL(p(y|x) || p(y))])`` (the Inception score with
  the judge in place of Inception): high when each image is clearly one digit
  (p(y|x) sharp) *and* all digits appear (p(y) flat). Between 1 and 10.
* **share of each digit**: the histogram of the judge's predictions; mode
  collapse shows up as a missing digit.
* **Fréchet distance** between Gaussians fitted to the judge's hidden
  features of generated and of real test images (the FID recipe):
  ``|m1 - m2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))``. 0 means same statistics.
* for a conditional generator, **accuracy**: how often the judge reads the
  digit that was asked for.

The same numbers for the real test set are the ceiling to compare against.
"""

import hashlib
import os
from pathlib import Path

import numpy as np

from . import backend
from .autograd import Tensor
from .serialization import CheckpointError, load, save

JUDGE_FORMAT = "minigan-judge-v1"
DEFAULT_HIDDEN = (512, 256)  # 98.2% on the MNIST test set after 30 epochs
DEFAULT_EPOCHS = 30
# What the cached judge must have been trained with to be reused.
FULL_JUDGE = {"train_size": 60000, "hidden": list(DEFAULT_HIDDEN), "max_iter": DEFAULT_EPOCHS, "seed": 0}


def default_cache_path():
    """$MINIGAN_CACHE/judge_mnist.npz, default ~/.cache/minigan/judge_mnist.npz."""
    folder = Path(os.environ.get("MINIGAN_CACHE", Path.home() / ".cache" / "minigan"))
    return folder / "judge_mnist.npz"


class Judge:
    """A ReLU MLP classifier (weights from scikit-learn) with its forward pass in NumPy."""

    def __init__(self, weights, biases, info=None):
        self.weights = [np.asarray(w, dtype=np.float32) for w in weights]
        self.biases = [np.asarray(b, dtype=np.float32) for b in biases]
        self.info = dict(info or {})

    def fingerprint(self):
        """The first 12 hex digits of the sha256 of all weights and biases: which judge gave a score."""
        digest = hashlib.sha256()
        for array in self.weights + self.biases:
            digest.update(np.ascontiguousarray(array, dtype=np.float32).tobytes())
        return digest.hexdigest()[:12]

    def describe(self):
        """One line naming this judge: how it was trained, its test accuracy and its fingerprint."""
        info = self.info
        hidden = tuple(info.get("hidden", [w.shape[1] for w in self.weights[:-1]]))
        parts = [f"scikit-learn MLP {hidden}"]
        if "seed" in info and "max_iter" in info and "train_size" in info:
            parts.append(f"seed {info['seed']}, {info['max_iter']} epochs on {info['train_size']:,} digits")
        if "test_accuracy" in info:
            parts.append(f"{info['test_accuracy']:.2%} on the test set")
        line = ", ".join(parts) + f"; weights sha256 {self.fingerprint()}"
        return line + (f" (trained with {info['trained_with']})" if info.get("trained_with") else "")

    def forward(self, images, batch_size=2000):
        """Images (N, 1, 28, 28) in [-1, 1] -> (class probabilities (N, 10), last hidden features).

        The images may be a NumPy array or a Tensor (on any device). Values outside [-1, 1]
        (0..255 pixels, a generator without a final tanh) are refused; images in [0, 1] cannot be
        told apart from [-1, 1] ones and are scored as given, wrongly.
        """
        x = _host(images, "Judge")
        pixels = self.weights[0].shape[0]
        if x.ndim < 2 or len(x) == 0 or x[0].size != pixels:
            raise ValueError(f"Judge: expected N >= 1 images of {pixels} pixels each, such as (N, 1, 28, 28), "
                             f"got shape {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError(f"Judge: {int((~np.isfinite(x)).sum())} of the {x.size} pixels are NaN or inf "
                             "(a generator that diverged?)")
        if x.min() < -1.001 or x.max() > 1.001:  # a little slack for rounding
            raise ValueError(f"Judge: expected images in [-1, 1] (a tanh generator's, and MNIST's), got values in "
                             f"[{x.min():g}, {x.max():g}]; rescale 0..255 pixels with x / 127.5 - 1, or clamp the "
                             "output of a generator without a final tanh with .clamp(-1, 1)")
        x = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
        probs, features = [], []
        for start in range(0, len(x), batch_size):
            h = x[start: start + batch_size]
            for w, b in zip(self.weights[:-1], self.biases[:-1]):
                h = np.maximum(h @ w + b, 0.0)  # hidden layers: ReLU(h W + b)
            logits = h @ self.weights[-1] + self.biases[-1]
            logits -= logits.max(axis=1, keepdims=True)  # softmax, computed stably
            p = np.exp(logits)
            probs.append(p / p.sum(axis=1, keepdims=True))
            features.append(h)
        return np.concatenate(probs), np.concatenate(features)

    def predict(self, images):
        """The digit the judge reads in each image."""
        return self.forward(images)[0].argmax(axis=1)

    def save(self, path):
        """Write the weights as a plain .npz (no pickle)."""
        save({"format": JUDGE_FORMAT, "weights": self.weights, "biases": self.biases, "info": self.info}, path)

    @classmethod
    def load(cls, path):
        """Read what ``save`` wrote; raises CheckpointError for a foreign or corrupt file."""
        state = load(path)
        if not isinstance(state, dict) or state.get("format") != JUDGE_FORMAT:
            raise CheckpointError(f"{path} is not a minigan judge file (format {JUDGE_FORMAT!r} expected)")
        return cls(state["weights"], state["biases"], state["info"])


def _host(values, op):
    """An array, a Tensor (on any device) or a list as a NumPy array of numbers."""
    x = np.asarray(backend.to_numpy(values.data if isinstance(values, Tensor) else values))
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{op}: expected a NumPy array or a Tensor of numbers, got {type(values).__name__}"
                        + (f" of {x.dtype}" if x.dtype.kind != "O" else ""))
    return x


def train_judge(train_set, hidden=DEFAULT_HIDDEN, max_iter=DEFAULT_EPOCHS, seed=0, verbose=False):
    """Fit scikit-learn's MLPClassifier on a dataset (images, labels) and wrap its weights."""
    import warnings

    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    x = train_set.images.reshape(len(train_set), -1).astype(np.float32)
    clf = MLPClassifier(hidden_layer_sizes=tuple(hidden), max_iter=max_iter, batch_size=200,
                        learning_rate_init=1e-3, alpha=1e-4, random_state=seed, verbose=verbose)
    # One BLAS thread: the mini-batch matrix products are small, and several threads
    # spinning on a busy machine made the fit up to 20 times slower.
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, train_set.labels)
        blas = backend.numpy_blas(environ={}).removeprefix("NumPy's BLAS: ")  # (1 thread, in here)
    if list(clf.classes_) != list(range(10)):
        raise ValueError(f"the judge needs all ten digits in its training set, got classes {list(clf.classes_)}")
    # The same seed gives the same weights only with the same software *and BLAS kernel*: OpenBLAS's
    # kernels round some products differently, and 30 epochs carry that into every weight.
    info = {"hidden": list(hidden), "max_iter": max_iter, "seed": seed, "train_size": len(train_set),
            "trained_with": f"scikit-learn {sklearn.__version__}, NumPy {np.__version__}, {blas}"}
    return Judge(clf.coefs_, clf.intercepts_, info)


def get_judge(cache_path=None, verbose=True):
    """The judge trained on the full MNIST training set, from the cache or trained now (about 2 minutes on a 2-core laptop)."""
    from .data.mnist import MNIST

    path = Path(cache_path) if cache_path is not None else default_cache_path()
    if path.is_dir():  # found before minutes of training, not after
        raise ValueError(f"get_judge: cache_path {path} is a folder; give a file in it, "
                         f"such as {path / 'judge_mnist.npz'}")
    if path.exists():
        try:
            judge = Judge.load(path)
            if all(judge.info.get(key) == value for key, value in FULL_JUDGE.items()):
                return judge
        except CheckpointError as e:
            if verbose:
                print(f"ignoring the judge cache ({e}); training a new judge")
    if verbose:
        print(f"training the judge (scikit-learn MLP {DEFAULT_HIDDEN} on 60,000 MNIST digits); cached in {path}")
    judge = train_judge(MNIST(train=True))
    test = MNIST(train=False)
    judge.info["test_accuracy"] = float((judge.predict(test.images) == test.labels).mean())
    judge.save(path)
    return judge


# ------------------------------------------------------------------ metrics
def mnist_score(probs, eps=1e-12):
    """exp(mean over images of KL(p(y|x) || p(y))): 1 (useless) .. 10 (ten sharp, balanced digits)."""
    probs = _host(probs, "mnist_score").astype(np.float64)
    if probs.ndim != 2 or not len(probs):
        raise ValueError(f"mnist_score: expected class probabilities of shape (N, classes) with N >= 1, got {probs.shape}")
    sums = probs.sum(axis=1)
    if not (probs.min() >= 0 and np.allclose(sums, 1.0, atol=1e-3)):  # logits would give NaN or a meaningless score
        raise ValueError(f"mnist_score: expected class probabilities (each row >= 0, summing to 1), got values in "
                         f"[{probs.min():g}, {probs.max():g}] and row sums in [{sums.min():g}, {sums.max():g}]; "
                         "turn logits into probabilities with a softmax")
    marginal = probs.mean(axis=0, keepdims=True)
    kl = (probs * (np.log(probs + eps) - np.log(marginal + eps))).sum(axis=1)
    return float(np.exp(kl.mean()))


def digit_shares(predictions, num_classes=10):
    """Fraction of images the judge reads as each digit (sums to 1)."""
    p = _host(predictions, "digit_shares")
    if p.ndim != 1 or not p.size or p.dtype.kind not in "iu" or p.min() < 0 or p.max() >= num_classes:
        got = f"values in [{p.min()}, {p.max()}]" if p.size else "no values"
        raise ValueError(f"digit_shares: expected predicted classes of shape (N,), N >= 1, whole numbers in "
                         f"0..{num_classes - 1}, got {p.dtype} of shape {p.shape}, {got}")
    return np.bincount(p, minlength=num_classes) / len(p)


def _sqrtm_psd(matrix):
    """Square root of a symmetric positive semi-definite matrix, through its eigendecomposition."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(features_a, features_b):
    """Fréchet distance between Gaussians fitted to two sets of feature vectors (rows)."""
    a = _host(features_a, "frechet_distance").astype(np.float64)
    b = _host(features_b, "frechet_distance").astype(np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2:
        raise ValueError(f"frechet_distance: expected two sets of feature rows of one width, at least 2 rows each "
                         f"(a covariance needs two), got shapes {a.shape} and {b.shape}")
    for name, f in (("features_a", a), ("features_b", b)):
        if not np.isfinite(f).all():  # else NumPy's eigensolver fails ("did not converge")
            raise ValueError(f"frechet_distance: {int((~np.isfinite(f)).sum())} of the {f.size} values of {name} "
                             "are NaN or inf; features of NaN images (a generator that diverged?) are NaN")
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))  # (1, 1) for one feature
    # tr((Sa Sb)^(1/2)) = tr((Sa^(1/2) Sb Sa^(1/2))^(1/2)), and the latter is symmetric PSD
    root_a = _sqrtm_psd(cov_a)
    middle = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_sqrt = np.sqrt(np.clip(middle, 0.0, None)).sum()
    distance = ((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt
    return float(max(distance, 0.0))


def judge_images(judge, images, reference_features, requested_labels=None):
    """All metrics for one set of images, against the features of real test images."""
    probs, features = judge.forward(images)
    predictions = probs.argmax(axis=1)
    report = {
        "n": int(len(images)),
        "mnist_score": mnist_score(probs),
        "digit_shares": digit_shares(predictions).tolist(),
        "frechet_distance": frechet_distance(features, reference_features),
    }
    if requested_labels is not None:
        labels = _host(requested_labels, "judge_images")
        if labels.shape != predictions.shape:
            raise ValueError(f"judge_images: expected one requested label per image, shape {predictions.shape}, "
                             f"got labels of shape {labels.shape}")
        report["accuracy"] = float((predictions == labels).mean())
    return report


def evaluate(images, requested_labels=None, judge=None, test_set=None, train_sample=None):
    """Judge generated images, and real digits as the ceiling. Returns {"generated": {...}, "real": {...}}.

    Generated images are compared with the real test set. The "real" row scores
    the test set itself (MNIST score, digit shares, the judge's own accuracy);
    its Fréchet distance is that of 10,000 random *training* digits to the test
    set: what a generator that reproduced the training data perfectly would get.
    (Two halves of the test set are no good as a reference: MNIST's first 5,000
    test digits come from different writers than the last 5,000.)
    """
    from .data.mnist import MNIST

    judge = judge if judge is not None else get_judge()
    test_set = test_set if test_set is not None else MNIST(train=False)
    if train_sample is None:
        train = MNIST(train=True)
        train_sample = train.images[np.random.default_rng(0).choice(len(train), 10000, replace=False)]
    _, test_features = judge.forward(test_set.images)
    generated = judge_images(judge, images, test_features, requested_labels)
    real = judge_images(judge, test_set.images, test_features, test_set.labels)
    real["frechet_distance"] = frechet_distance(judge.forward(train_sample)[1], test_features)
    return {"generated": generated, "real": real, "judge": judge.describe()}


def format_report(report):
    """The evaluation as a small text table."""
    gen, real = report["generated"], report["real"]
    lines = [
        f"{'':24s}{'generated':>12s}{'real test':>12s}",
        f"{'MNIST score (max 10)':24s}{gen['mnist_score']:12.3f}{real['mnist_score']:12.3f}",
        f"{'  ratio to real':24s}{gen['mnist_score'] / real['mnist_score']:12.1%}",
        f"{'Frechet distance':24s}{gen['frechet_distance']:12.3f}{real['frechet_distance']:12.3f}",
    ]
    if "accuracy" in gen:
        lines.append(f"{'accuracy on asked label':24s}{gen['accuracy']:12.1%}{real['accuracy']:12.1%}")
    lines.append("share of each digit:")
    for digit in range(10):
        lines.append(f"{'  ' + str(digit):24s}{gen['digit_shares'][digit]:12.1%}{real['digit_shares'][digit]:12.1%}")
    return "\n".join(lines)
