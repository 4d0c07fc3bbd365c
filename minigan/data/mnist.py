"""MNIST (from the IDX files, parsed here) and scikit-learn's 8x8 digits.

MNIST ships with the repository in ``data/mnist/`` as the four original IDX
files, gzipped. This module reads them without any helper library:

* an IDX file starts with a 4-byte *magic number*: two zero bytes, a type
  code (0x08 = unsigned byte) and the number of dimensions;
* then one big-endian uint32 per dimension (60000, 28, 28 for the training
  images);
* then the values, row-major.

Before parsing, the sha256 of the *decompressed* bytes is checked against the
published value, so a truncated or altered file fails loudly instead of
training on garbage. Pixels are scaled from 0..255 to [-1, 1] (float32), the
range of the generator's tanh output.
"""

import gzip
import hashlib
import io
import math
import numbers
import os
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

from ..serialization import replace_file
from .loader import ArrayDataset  # (defined with the DataLoader; MNIST and Digits are ArrayDatasets)

# sha256 of the decompressed IDX bytes (see data/mnist/README.md).
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# Public mirrors of the original files, tried in order by download=True.
MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]

# The repository's copy: <checkout>/data/mnist (this file is <checkout>/minigan/data/mnist.py).
REPO_ROOT = Path(__file__).resolve().parents[2] / "data" / "mnist"


class MNISTError(RuntimeError):
    """A missing, corrupt or unverifiable MNIST file (the message says how to fix it)."""


def default_root():
    """Where MNIST is looked for: $MINIGAN_MNIST_ROOT, else the checkout's data/mnist."""
    return Path(os.environ.get("MINIGAN_MNIST_ROOT", REPO_ROOT))


# ------------------------------------------------------------------ IDX
def parse_idx(raw, name="IDX data"):
    """Parse the bytes of an (uncompressed) IDX file of unsigned bytes into a uint8 array."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise MNISTError(f"{name}: not an IDX file (the first two bytes of the magic number must be zero)")
    type_code, ndim = raw[2], raw[3]
    if type_code != 0x08:
        raise MNISTError(f"{name}: IDX type code 0x{type_code:02x}, expected 0x08 (unsigned byte)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise MNISTError(f"{name}: file ends inside its header ({len(raw)} bytes, header needs {header})")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    count = math.prod(dims)  # (Python's ints: NumPy's int64 product would wrap around for absurd headers)
    if len(raw) - header != count:
        raise MNISTError(f"{name}: header says {dims} = {count} values, file holds {len(raw) - header}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


MAX_IDX_BYTES = 64 << 20  # the largest file, the training images, is 47 MB decompressed


def _decompress(data, path, name):
    """The decompressed bytes, read no further than MAX_IDX_BYTES: a damaged or hostile file that would inflate
    to gigabytes is refused instead of filling the memory."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            raw = f.read(MAX_IDX_BYTES + 1)
    except (OSError, EOFError, zlib.error) as e:
        raise MNISTError(f"{path}: not a readable gzip file ({type(e).__name__}: {e}); it is corrupt or was cut "
                         f"short (expected decompressed sha256 {SHA256[name]}): delete it and copy it again from "
                         "the repository's data/mnist/, or pass download=True") from None
    if len(raw) > MAX_IDX_BYTES:
        raise MNISTError(f"{path}: decompresses to more than {MAX_IDX_BYTES >> 20} MB, more than any MNIST file "
                         f"holds (expected decompressed sha256 {SHA256[name]}); it is not the original: delete it "
                         "and copy it again from the repository's data/mnist/, or pass download=True")
    return raw


def _read(path, name):
    """The bytes of a file, or an MNISTError saying why it cannot be read (permissions, a disk error)."""
    try:
        if path.stat().st_size > MAX_IDX_BYTES:
            raise MNISTError(f"{path}: {path.stat().st_size >> 20} MB, more than any MNIST file holds (expected "
                             f"decompressed sha256 {SHA256[name]}); delete it and copy it again from the "
                             "repository's data/mnist/, or pass download=True")
        return path.read_bytes()
    except OSError as e:
        raise MNISTError(f"{path}: cannot be read ({type(e).__name__}: {e.strerror or e}); check the file's "
                         "permissions, or delete it and copy it again from the repository's data/mnist/") from None


def _check_sha256(raw, name, path):
    actual = hashlib.sha256(raw).hexdigest()
    if actual != SHA256[name]:
        raise MNISTError(
            f"{path}: checksum mismatch of the decompressed bytes — expected sha256 {SHA256[name]}, "
            f"got {actual}. The file is corrupt or not the original; delete it and use download=True, "
            f"or copy it again from the repository's data/mnist/"
        )


def _uncompressed(root, name):
    """An already decompressed copy of <name> in root, as torchvision's raw/ folder or Kaggle leave them, or None."""
    for candidate in (name, name.replace("-idx", ".idx")):  # t10k-images-idx3-ubyte, t10k-images.idx3-ubyte
        if (Path(root) / candidate).is_file():
            return Path(root) / candidate
    return None


def read_mnist_file(root, name):
    """Read <root>/<name>.gz (or its decompressed copy), verify its checksum and return the parsed uint8 array.

    The checksum is that of the decompressed bytes, so a decompressed copy is verified the same way.
    """
    if Path(root).exists() and not Path(root).is_dir():
        raise MNISTError(f"{root}: a file, not a folder; root must be the folder that holds the MNIST files "
                         f"(the default is {REPO_ROOT})")
    path = Path(root) / f"{name}.gz"
    if not path.exists() and _uncompressed(root, name) is not None:
        path = _uncompressed(root, name)
        raw = _read(path, name)
        _check_sha256(raw, name, path)
        return parse_idx(raw, str(path))
    if not path.exists():
        raise MNISTError(
            f"{path}: file not found (expected decompressed sha256 {SHA256[name]}). "
            f"Pass download=True to fetch it from a public mirror, or copy data/mnist/ from the "
            f"minigan repository (root={str(root)!r}; default is {REPO_ROOT})"
        )
    if not path.is_file():
        raise MNISTError(f"{path}: a folder, not the gzip file {name}.gz; remove it and copy the file from the "
                         "repository's data/mnist/ (or pass download=True)")
    data = _read(path, name)
    if not data:
        raise MNISTError(f"{path}: the file is empty (an interrupted copy or download?); delete it and copy it "
                         "again from the repository's data/mnist/, or pass download=True")
    raw = _decompress(data, path, name)
    _check_sha256(raw, name, path)
    return parse_idx(raw, str(path))


MAX_DOWNLOAD_BYTES = 64 << 20  # the largest file, the training images, is 9.9 MB gzipped


def _fetch(url, timeout):
    """The bytes at `url`, read in chunks: the whole download may take `timeout` seconds per chunk and 10x in all."""
    import urllib.request  # (here, not at the top: importing minigan need not load the HTTP machinery)

    deadline = time.monotonic() + 10 * timeout
    chunks, size = [], 0
    with urllib.request.urlopen(url, timeout=timeout) as response:
        while chunk := response.read(1 << 16):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_DOWNLOAD_BYTES or time.monotonic() > deadline:
                raise MNISTError(f"gave more than {MAX_DOWNLOAD_BYTES >> 20} MB" if size > MAX_DOWNLOAD_BYTES
                                 else f"too slow: not done after {10 * timeout} s")
    return b"".join(chunks)


def download_mnist_file(root, name, mirrors=None, timeout=30):
    """Fetch <name>.gz from the first mirror that serves a verified copy; write it to root atomically.

    `mirrors`: a list of base URLs (one URL alone is taken as a list of one); default ``MIRRORS``.
    """
    import http.client

    root = Path(root)
    if isinstance(mirrors, (str, os.PathLike)):
        mirrors = [mirrors]
    mirrors = MIRRORS if mirrors is None else list(mirrors)
    if not mirrors:
        raise ValueError("download: mirrors is an empty list; give base URLs, or None for the public MIRRORS")
    if root.exists() and not root.is_dir():
        raise MNISTError(f"{root}: a file, not a folder; root must be the folder to download the MNIST files into")
    target = root / f"{name}.gz"
    if target.is_dir():
        raise MNISTError(f"{target}: a folder, not the gzip file {name}.gz; remove it first")
    root.mkdir(parents=True, exist_ok=True)
    failures = []
    for mirror in mirrors:
        url = str(mirror).rstrip("/") + f"/{name}.gz"
        try:
            data = _fetch(url, timeout)
            _check_sha256(_decompress(data, url, name), name, url)
        except (OSError, http.client.HTTPException, ValueError, MNISTError) as e:  # (URLError, HTTPError: OSErrors;
            failures.append(f"{url}: {type(e).__name__}: {e}")  # a connection cut short; a malformed URL)
            continue
        # a temporary file of this process's own, then one rename: another process downloading the same
        # file at the same time cannot move or cut ours, and a reader never sees half a file
        fd, tmp = tempfile.mkstemp(dir=root, prefix=f".{name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            replace_file(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        return
    hint = ""
    if any("CERTIFICATE_VERIFY_FAILED" in f for f in failures):  # python.org's Python on macOS starts without them
        hint = ("\nPython has no root certificates to check the mirrors' HTTPS with: on macOS, run "
                "'Install Certificates.command' in the Python folder under Applications")
    raise MNISTError(f"could not download {name}.gz from any mirror:\n  " + "\n  ".join(failures) + hint)


# --------------------------------------------------------------- datasets
def _to_unit_range(pixels, max_value):
    """0..max_value -> [-1, 1] as float32 (the range of a tanh generator)."""
    x = pixels.astype(np.float32)
    x *= 2.0 / max_value  # in place: the 60,000 training images take 188 MB each time
    x -= 1.0
    return x


class MNIST(ArrayDataset):
    """The MNIST digits: images (N, 1, 28, 28) float32 in [-1, 1], labels (N,) int64.

    ``root``: folder holding the four ``*-ubyte.gz`` files, or their decompressed
    copies, verified by the same checksums (default: the checkout's
    ``data/mnist``, or ``$MINIGAN_MNIST_ROOT``). ``train``: the
    60,000 training images, else the 10,000 test images. ``download``: fetch
    missing or corrupt files from ``mirrors`` (default: ``MIRRORS``) first.
    """

    def __init__(self, root=None, train=True, download=False, mirrors=None, *, transform=None, target_transform=None):
        for name, value in (("transform", transform), ("target_transform", target_transform)):
            if value is not None:  # torchvision's arguments
                raise NotImplementedError(
                    f"MNIST: {name}= is not supported: the images already are float32 (1, 28, 28) arrays in [-1, 1] "
                    "(what torchvision's ToTensor() and Normalize((0.5,), (0.5,)) make) and the labels int64; drop "
                    f"{name}=, and change the batch inside the training loop if it needs more")
        if not (isinstance(download, (bool, np.bool_))  # (torchvision's third positional argument is transform)
                or (isinstance(download, numbers.Integral) and download in (0, 1))):
            raise TypeError(f"MNIST: download must be True or False, got {type(download).__name__}; minigan's "
                            "arguments are MNIST(root, train, download): pass them by name")
        if root is not None and not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"MNIST: root must be a folder's path (a str or pathlib.Path) or None for the checkout's "
                            f"data/mnist, got {type(root).__name__} {root!r}")
        self.root = Path(root).expanduser() if root is not None else default_root()  # "~/data/mnist" as torchvision
        prefix = "train" if train else "t10k"
        names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
        arrays = []
        for name in names:
            try:
                arrays.append(read_mnist_file(self.root, name))
            except MNISTError:
                if not download:
                    raise
                download_mnist_file(self.root, name, mirrors)
                arrays.append(read_mnist_file(self.root, name))
        pixels, labels = arrays
        if pixels.ndim != 3 or labels.ndim != 1 or len(pixels) != len(labels):
            raise MNISTError(f"{self.root}: images {pixels.shape} and labels {labels.shape} do not match")
        super().__init__(_to_unit_range(pixels[:, None], 255.0), labels.astype(np.int64))
        self.train = train


class Digits(ArrayDataset):
    """scikit-learn's 1,797 8x8 digits: images (N, 1, 8, 8) float32 in [-1, 1], labels int64.

    A tiny second dataset: a DCGAN-shaped model trains on it in seconds.
    """

    def __init__(self):
        from sklearn.datasets import load_digits

        digits = load_digits()
        images = _to_unit_range(digits.images[:, None], 16.0)
        super().__init__(images, digits.target.astype(np.int64))
