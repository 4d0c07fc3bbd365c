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

import os
from pathlib import Path

import numpy as np

from .serialization import CheckpointError, load, save

JUDGE_FORMAT = "minigan-judge-v1"
DEFAULT_HIDDEN = (512, 256)  # 98.2% on the MNIST test set after 30 epochs
DEFAULT_EPOCHS = 30
# What the cached judge must have been trained with to be reused.
FULL_JUDGE = {"train_size": 60000, "hidden": list(DEFAULT_HIDDEN), "max_iter": DEFAULT_EPOCHS}


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

    def forward(self, images, batch_size=2000):
        """Images (N, 1, 28, 28) in [-1, 1] -> (class probabilities (N, 10), last hidden features)."""
        x = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
        if x.shape[1] != self.weights[0].shape[0]:
            raise ValueError(
                f"Judge: expected images with {self.weights[0].shape[0]} pixels, got shape {np.shape(images)}"
            )
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


def train_judge(train_set, hidden=DEFAULT_HIDDEN, max_iter=DEFAULT_EPOCHS, seed=0, verbose=False):
    """Fit scikit-learn's MLPClassifier on a dataset (images, labels) and wrap its weights."""
    import warnings

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
    if list(clf.classes_) != list(range(10)):
        raise ValueError(f"the judge needs all ten digits in its training set, got classes {list(clf.classes_)}")
    info = {"hidden": list(hidden), "max_iter": max_iter, "seed": seed, "train_size": len(train_set)}
    return Judge(clf.coefs_, clf.intercepts_, info)


def get_judge(cache_path=None, verbose=True):
    """The judge trained on the full MNIST training set, from the cache or trained now (3 CPU-minutes)."""
    from .data.mnist import MNIST

    path = Path(cache_path) if cache_path is not None else default_cache_path()
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
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or not len(probs):
        raise ValueError(f"mnist_score: expected class probabilities of shape (N, classes) with N >= 1, got {probs.shape}")
    marginal = probs.mean(axis=0, keepdims=True)
    kl = (probs * (np.log(probs + eps) - np.log(marginal + eps))).sum(axis=1)
    return float(np.exp(kl.mean()))


def digit_shares(predictions, num_classes=10):
    """Fraction of images the judge reads as each digit (sums to 1)."""
    return np.bincount(np.asarray(predictions), minlength=num_classes) / len(predictions)


def _sqrtm_psd(matrix):
    """Square root of a symmetric positive semi-definite matrix, through its eigendecomposition."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(features_a, features_b):
    """Fréchet distance between Gaussians fitted to two sets of feature vectors (rows)."""
    a = np.asarray(features_a, dtype=np.float64)
    b = np.asarray(features_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2:
        raise ValueError(f"frechet_distance: expected two sets of feature rows of one width, at least 2 rows each "
                         f"(a covariance needs two), got shapes {a.shape} and {b.shape}")
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
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
        report["accuracy"] = float((predictions == np.asarray(requested_labels)).mean())
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
    return {"generated": generated, "real": real}


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
