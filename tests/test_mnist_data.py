"""MNIST from the shipped IDX files: parsing, checksums, clear errors, and download from a local server."""

import functools
import gzip
import hashlib
import http.server
import shutil
import threading

import numpy as np
import pytest

from minigan.data import MNIST, Digits, MNISTError
from minigan.data import mnist as mnist_module
from minigan.data.mnist import REPO_ROOT, parse_idx


def _idx_bytes(array):
    """Encode a uint8 array as IDX bytes (magic 0x00 0x00 0x08 ndim, big-endian dims, values)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_parse_idx_round_trip(rng):
    a = rng.integers(0, 256, size=(3, 5, 4)).astype(np.uint8)
    np.testing.assert_array_equal(parse_idx(_idx_bytes(a)), a)


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x07", "magic number"),
        (b"\x00\x00\x0d\x01\x00\x00\x00\x01\x07", "type code"),
        (b"\x00\x00\x08\x03\x00\x00", "header"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x05\x07", "header says"),
    ],
)
def test_parse_idx_rejects_bad_headers(raw, message):
    with pytest.raises(MNISTError, match=message):
        parse_idx(raw, "x.idx")


def test_shipped_test_set_loads_scaled_and_verified():
    test = MNIST(train=False)
    assert test.images.shape == (10000, 1, 28, 28) and test.images.dtype == np.float32
    assert test.labels.shape == (10000,) and test.labels.dtype == np.int64
    assert test.images.min() == -1.0 and test.images.max() == 1.0
    assert sorted(set(test.labels.tolist())) == list(range(10))
    image, label = test[0]
    assert image.shape == (1, 28, 28) and label == 7  # the famous first test digit


def test_training_label_counts_match_the_readme():
    train = MNIST(train=True)
    counts = np.bincount(train.labels, minlength=10)
    assert counts.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_missing_file_names_file_checksum_and_fix(tmp_path):
    with pytest.raises(MNISTError) as info:
        MNIST(root=tmp_path, train=False)
    text = str(info.value)
    assert "t10k-images-idx3-ubyte.gz" in text and "not found" in text
    assert mnist_module.SHA256["t10k-images-idx3-ubyte"] in text and "download=True" in text


def test_mismatched_file_gives_expected_and_actual_checksum(tmp_path):
    shutil.copy(REPO_ROOT / "t10k-labels-idx1-ubyte.gz", tmp_path)
    raw = bytearray(gzip.decompress((REPO_ROOT / "t10k-images-idx3-ubyte.gz").read_bytes()))
    raw[5000] ^= 0xFF  # flip one pixel
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(bytes(raw), compresslevel=1))
    with pytest.raises(MNISTError) as info:
        MNIST(root=tmp_path, train=False)
    text = str(info.value)
    assert mnist_module.SHA256["t10k-images-idx3-ubyte"] in text
    assert hashlib.sha256(bytes(raw)).hexdigest() in text
    assert "t10k-images-idx3-ubyte.gz" in text


def test_corrupt_gzip_is_a_clear_error(tmp_path):
    data = (REPO_ROOT / "t10k-images-idx3-ubyte.gz").read_bytes()
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(data[: len(data) // 2])  # truncated
    with pytest.raises(MNISTError, match="t10k-images-idx3-ubyte.gz: not a readable gzip") as info:
        MNIST(root=tmp_path, train=False)
    text = str(info.value)  # the promise: the file, the expected checksum and how to fix it
    assert mnist_module.SHA256["t10k-images-idx3-ubyte"] in text and "download=True" in text


def test_an_empty_file_or_a_folder_in_its_place_is_named(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"")
    with pytest.raises(MNISTError, match="t10k-images-idx3-ubyte.gz: the file is empty"):
        MNIST(root=tmp_path, train=False)
    (tmp_path / "t10k-images-idx3-ubyte.gz").unlink()
    (tmp_path / "t10k-images-idx3-ubyte.gz").mkdir()
    with pytest.raises(MNISTError, match="t10k-images-idx3-ubyte.gz: a folder, not the gzip file"):
        MNIST(root=tmp_path, train=False)


def test_a_root_under_the_home_folder_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))  # (what expanduser reads on Windows)
    (tmp_path / "mnist").mkdir()
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(REPO_ROOT / name, tmp_path / "mnist")
    data = MNIST(root="~/mnist", train=False)
    assert len(data) == 10_000 and data.root == tmp_path / "mnist"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def local_mirror(tmp_path, monkeypatch):
    """A local HTTP server on 127.0.0.1 serving small, made-up MNIST files whose checksums we register."""
    served = tmp_path / "served"
    served.mkdir()
    images = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    labels = np.array([1, 2, 3], dtype=np.uint8)
    for name, array in [("t10k-images-idx3-ubyte", images), ("t10k-labels-idx1-ubyte", labels)]:
        raw = _idx_bytes(array)
        (served / f"{name}.gz").write_bytes(gzip.compress(raw))
        monkeypatch.setitem(mnist_module.SHA256, name, hashlib.sha256(raw).hexdigest())
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", images, labels, served
    finally:
        server.shutdown()
        server.server_close()


def test_download_fetches_verifies_and_skips_a_broken_mirror(tmp_path, local_mirror):
    url, images, labels, _ = local_mirror
    root = tmp_path / "root"
    dead = url + "no-such-folder/"  # answers 404: the next mirror is tried
    data = MNIST(root=root, train=False, download=True, mirrors=[dead, url])
    np.testing.assert_array_equal(data.labels, labels)
    np.testing.assert_allclose(data.images[:, 0], images.astype(np.float32) / 127.5 - 1.0, atol=1e-6)
    assert (root / "t10k-images-idx3-ubyte.gz").exists()
    # the second time it reads the downloaded files, with no server needed
    again = MNIST(root=root, train=False)
    np.testing.assert_array_equal(again.images, data.images)


def test_download_rejects_a_mirror_serving_wrong_bytes(tmp_path, local_mirror):
    url, _, _, served = local_mirror
    (served / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(np.zeros((3, 28, 28), np.uint8))))
    with pytest.raises(MNISTError) as info:
        MNIST(root=tmp_path / "root", train=False, download=True, mirrors=[url])
    assert "checksum mismatch" in str(info.value) and "could not download t10k-images" in str(info.value)
    assert not (tmp_path / "root" / "t10k-images-idx3-ubyte.gz").exists()


def test_download_replaces_a_corrupt_local_file(tmp_path, local_mirror):
    url, _, labels, _ = local_mirror
    root = tmp_path / "root"
    root.mkdir()
    (root / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    data = MNIST(root=root, train=False, download=True, mirrors=[url])
    np.testing.assert_array_equal(data.labels, labels)


def test_root_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGAN_MNIST_ROOT", str(tmp_path))
    with pytest.raises(MNISTError, match=str(tmp_path)):
        MNIST(train=False)


def test_digits_dataset():
    digits = Digits()
    assert digits.images.shape == (1797, 1, 8, 8) and digits.images.dtype == np.float32
    assert digits.images.min() == -1.0 and digits.images.max() == 1.0
    assert np.bincount(digits.labels).min() > 150
    small = digits.subset(100)
    assert len(small) == 100 and small.image_shape == (1, 8, 8)


def test_a_root_that_is_not_a_path_is_named():
    for root in (3, ["data/mnist"]):
        with pytest.raises(TypeError, match=rf"MNIST: root must be a folder's path \(a str or pathlib.Path\) .*got "
                                            rf"{type(root).__name__}"):
            MNIST(root=root, train=False)


def test_decompressed_copies_are_read_and_verified_like_the_gzip_files(tmp_path):
    # torchvision's raw/ folder and Kaggle's download hold the IDX files already decompressed
    raw = gzip.decompress((REPO_ROOT / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (tmp_path / "t10k-labels.idx1-ubyte").write_bytes(raw)  # Kaggle's name
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(gzip.decompress((REPO_ROOT / "t10k-images-idx3-ubyte.gz").read_bytes()))
    data = MNIST(root=tmp_path, train=False)
    np.testing.assert_array_equal(data.labels, MNIST(train=False).labels)
    (tmp_path / "t10k-labels.idx1-ubyte").write_bytes(raw[:-1] + b"\x07")  # one label changed
    with pytest.raises(MNISTError, match=r"t10k-labels.idx1-ubyte: checksum mismatch"):
        MNIST(root=tmp_path, train=False)


def test_a_root_that_is_a_file_is_named(tmp_path):
    (tmp_path / "mnist").write_text("not a folder")
    for download in (False, True):
        with pytest.raises(MNISTError, match=r"mnist: a file, not a folder"):
            MNIST(root=tmp_path / "mnist", train=False, download=download, mirrors=["http://127.0.0.1:9/"])


class _CutShort(http.server.BaseHTTPRequestHandler):
    """Announces the whole file, sends half of it and hangs up: a dropped connection."""

    body = b""

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body[: len(self.body) // 2])
        self.close_connection = True

    def log_message(self, *args):
        pass


def test_a_mirror_that_hangs_up_midway_falls_through_to_the_next(tmp_path, local_mirror):
    url, _, labels, served = local_mirror
    handler = type("Half", (_CutShort,), {"body": (served / "t10k-labels-idx1-ubyte.gz").read_bytes()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        cut = f"http://127.0.0.1:{server.server_address[1]}/"
        root = tmp_path / "root"
        mnist_module.download_mnist_file(root, "t10k-labels-idx1-ubyte", mirrors=[cut, url])
    finally:
        server.shutdown()
        server.server_close()
    assert sorted(p.name for p in root.iterdir()) == ["t10k-labels-idx1-ubyte.gz"]  # no temporary file left
    np.testing.assert_array_equal(mnist_module.read_mnist_file(root, "t10k-labels-idx1-ubyte"), labels)


def test_mirrors_may_be_one_url_but_not_an_empty_list(tmp_path, local_mirror):
    url, _, labels, _ = local_mirror
    data = MNIST(root=tmp_path / "root", train=False, download=True, mirrors=url)  # not split into characters
    np.testing.assert_array_equal(data.labels, labels)
    with pytest.raises(ValueError, match="mirrors is an empty list"):
        mnist_module.download_mnist_file(tmp_path / "other", "t10k-labels-idx1-ubyte", mirrors=[])
    # a base URL without its final slash names the same folder
    mnist_module.download_mnist_file(tmp_path / "bare", "t10k-labels-idx1-ubyte", mirrors=[url.rstrip("/")])
    np.testing.assert_array_equal(mnist_module.read_mnist_file(tmp_path / "bare", "t10k-labels-idx1-ubyte"), labels)


def test_an_absurd_header_is_named_not_wrapped_around():
    raw = bytes([0, 0, 0x08, 4]) + (65536).to_bytes(4, "big") * 4  # 2^64 values: NumPy's int64 product is 0
    with pytest.raises(MNISTError, match=r"header says \(65536, 65536, 65536, 65536\) = 18446744073709551616 values"):
        parse_idx(raw)


def test_an_array_dataset_takes_lists_of_labels():
    from minigan.data import DataLoader  # noqa: PLC0415

    data = mnist_module.ArrayDataset(np.zeros((6, 2), np.float32), [0, 1, 2, 3, 4, 5])
    x, y = next(iter(DataLoader(data, 2)))
    assert y.dtype == "int64" and y.tolist() == [0, 1]
    with pytest.raises(ValueError, match=r"ArrayDataset: 6 images but 5 labels; give one label per image"):
        mnist_module.ArrayDataset(np.zeros((6, 2), np.float32), [0, 1, 2, 3, 4])


def test_image_and_label_files_of_different_lengths_are_refused(tmp_path, monkeypatch):
    images = np.zeros((3, 28, 28), np.uint8)
    for name, array in (("t10k-images-idx3-ubyte", images), ("t10k-labels-idx1-ubyte", np.array([1, 2], np.uint8))):
        raw = _idx_bytes(array)
        _crafted(tmp_path, monkeypatch, raw, name).write_bytes(gzip.compress(raw))
    with pytest.raises(MNISTError, match=r"images \(3, 28, 28\) and labels \(2,\) do not match"):
        MNIST(root=tmp_path, train=False)


def test_a_python_without_root_certificates_is_told_how_to_get_them(tmp_path, monkeypatch):
    # python.org's Python on macOS has none until its "Install Certificates.command" has run
    import ssl
    import urllib.error

    def no_certificates(url, timeout):
        raise urllib.error.URLError(ssl.SSLCertVerificationError(
            1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate"))

    monkeypatch.setattr(mnist_module, "_fetch", no_certificates)
    with pytest.raises(MNISTError, match="CERTIFICATE_VERIFY_FAILED(.|\n)*Install Certificates.command"):
        mnist_module.download_mnist_file(tmp_path, "t10k-labels-idx1-ubyte", mirrors=["https://example.invalid/"])
    monkeypatch.setattr(mnist_module, "_fetch", lambda url, timeout: (_ for _ in ()).throw(OSError("refused")))
    with pytest.raises(MNISTError) as other:
        mnist_module.download_mnist_file(tmp_path, "t10k-labels-idx1-ubyte", mirrors=["https://example.invalid/"])
    assert "Certificates" not in str(other.value)


def _crafted(tmp_path, monkeypatch, raw, name="t10k-labels-idx1-ubyte"):
    """A root holding <name>.gz whose checksum is registered as that of the given IDX bytes."""
    monkeypatch.setitem(mnist_module.SHA256, name, hashlib.sha256(raw).hexdigest())
    return tmp_path / f"{name}.gz"


def test_every_damaged_byte_and_cut_of_an_idx_file_is_an_mnist_error(tmp_path, monkeypatch):
    """A small deterministic fuzzer: every value of every header byte, every single-byte change of the gzip
    file and every cut, plain and gzipped, is the original, or an MNISTError naming the file: never NumPy's,
    gzip's or zlib's own exception."""
    a = np.arange(12, dtype=np.uint8).reshape(3, 2, 2)
    raw = _idx_bytes(a)
    for i in range(16):  # the header: magic, type code, ndim, dimensions
        for value in range(256):
            damaged = bytearray(raw)
            damaged[i] = value
            try:
                np.testing.assert_array_equal(parse_idx(bytes(damaged), "x.idx"), a)
                assert value == raw[i]
            except MNISTError as error:
                assert str(error).startswith("x.idx: ")
    for cut in range(len(raw)):
        with pytest.raises(MNISTError, match="x.idx: "):
            parse_idx(raw[:cut], "x.idx")
    path = _crafted(tmp_path, monkeypatch, raw)
    packed = gzip.compress(raw, mtime=0)
    damaged = [packed[:cut] for cut in range(1, len(packed))] + [packed + b"garbage"]
    for i in range(len(packed)):
        for value in (0x00, 0xFF, packed[i] ^ 0x01, packed[i] ^ 0x80):
            if value != packed[i]:
                damaged.append(packed[:i] + bytes([value]) + packed[i + 1:])
    for data in damaged:
        path.write_bytes(data)
        try:
            got = mnist_module.read_mnist_file(tmp_path, "t10k-labels-idx1-ubyte")
        except MNISTError as error:
            assert str(error).startswith(str(path)) and "data/mnist/" in str(error)  # the file, and how to fix it
        else:  # a change gzip cannot see (the header's time stamp or flags): the checksum vouches for the bytes
            np.testing.assert_array_equal(got, a)


def test_a_file_that_would_inflate_past_any_mnist_file_is_refused_before_filling_memory(tmp_path, monkeypatch):
    raw = _idx_bytes(np.zeros(5000, np.uint8))
    path = _crafted(tmp_path, monkeypatch, raw)
    monkeypatch.setattr(mnist_module, "MAX_IDX_BYTES", 4096)  # (really 64 MB: a 64 KB gzip of zeros inflates to that)
    path.write_bytes(gzip.compress(raw))
    with pytest.raises(MNISTError, match=r"t10k-labels-idx1-ubyte.gz: decompresses to more than 0 MB, more than any "
                                         r"MNIST file holds .*delete it"):
        mnist_module.read_mnist_file(tmp_path, "t10k-labels-idx1-ubyte")
    path.unlink()
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(raw)  # a decompressed copy as large
    with pytest.raises(MNISTError, match=r"t10k-labels-idx1-ubyte: 0 MB, more than any MNIST file holds"):
        mnist_module.read_mnist_file(tmp_path, "t10k-labels-idx1-ubyte")


def test_a_file_that_cannot_be_read_is_named(tmp_path, monkeypatch):
    shutil.copy(REPO_ROOT / "t10k-labels-idx1-ubyte.gz", tmp_path)
    read_bytes = mnist_module.Path.read_bytes

    def unreadable(path):  # (chmod 000 cannot stop root, who runs some CI)
        if path.parent == tmp_path:
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(mnist_module.Path, "read_bytes", unreadable)
    with pytest.raises(MNISTError, match=r"t10k-labels-idx1-ubyte.gz: cannot be read \(PermissionError: Permission "
                                         r"denied\); check the file's permissions"):
        mnist_module.read_mnist_file(tmp_path, "t10k-labels-idx1-ubyte")


def test_subset_takes_a_whole_number_only():
    data = mnist_module.ArrayDataset(np.zeros((6, 2), np.float32))
    assert len(data.subset(np.int64(3))) == 3 and len(data.subset(6)) == 6  # all of them too
    for n in (0, 7, True, 2.0, "3"):  # (True was taken as 1, 2.0 was NumPy's "slice indices must be integers")
        with pytest.raises(ValueError, match=rf"subset size must be a whole number between 1 and 6, got {n!r}"):
            data.subset(n)


def test_torchvisions_transform_arguments_are_refused_with_what_to_do(tmp_path):
    for name in ("transform", "target_transform"):  # (before: "got an unexpected keyword argument")
        with pytest.raises(NotImplementedError, match=rf"MNIST: {name}= is not supported: the images already are "
                                                      rf"float32 \(1, 28, 28\) arrays in \[-1, 1\].*drop {name}="):
            MNIST(root=tmp_path, train=False, **{name: lambda x: x})
    # torchvision's third positional argument is transform: here it would have been a truthy download
    with pytest.raises(TypeError, match=r"MNIST: download must be True or False, got function; .*pass them by name"):
        MNIST(tmp_path, False, lambda x: x)


def test_download_refuses_a_folder_in_the_way_and_a_mirror_that_sends_too_much(tmp_path, local_mirror, monkeypatch):
    # (found by line coverage: neither refusal had run in a test)
    url, *_ = local_mirror
    root = tmp_path / "root"
    (root / "t10k-images-idx3-ubyte.gz").mkdir(parents=True)
    with pytest.raises(MNISTError, match=r"t10k-images-idx3-ubyte.gz: a folder, not the gzip file "
                                         r"t10k-images-idx3-ubyte.gz; remove it first"):
        mnist_module.download_mnist_file(root, "t10k-images-idx3-ubyte", mirrors=[url])
    monkeypatch.setattr(mnist_module, "MAX_DOWNLOAD_BYTES", 100)  # the served file is larger
    with pytest.raises(MNISTError, match=r"could not download t10k-images(.|\n)*gave more than 0 MB"):
        MNIST(root=tmp_path / "other", train=False, download=True, mirrors=[url])
    assert list((tmp_path / "other").iterdir()) == []  # nothing half-written left behind
