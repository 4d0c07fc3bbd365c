"""minigan's CuPy code paths on a machine without a GPU, through ``tests/fake_cupy``.

``tests/fake_cupy/cupy`` is a NumPy-backed stand-in for CuPy that refuses what
CuPy refuses: reading a device array as a NumPy array, and NumPy arrays inside
device arithmetic. The last test runs every ``device="cuda"`` test of the suite
through it, so a host array slipped into an op, an ``np.asarray`` of device
data, or a NumPy-only call on a CUDA branch fails here, on the CPU, before a
GPU ever sees it. It proves nothing about CUDA kernels or speed:
``bash tests/gpu_check.sh`` on a real GPU remains the acceptance check (issue 7).
The first tests check the stand-in itself, so that it stays as strict as CuPy.
"""

import importlib.util
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

FAKE = Path(__file__).parent / "fake_cupy"


@pytest.fixture(scope="module")
def cp():
    """The stand-in, imported under its own name so it never shadows a real CuPy here."""
    spec = importlib.util.spec_from_file_location("fake_cupy_under_test", FAKE / "cupy" / "__init__.py",
                                                  submodule_search_locations=[str(FAKE / "cupy")])  # a package
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its relative import of _real_names looks it up there)
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_reading_device_memory_as_numpy_is_refused(cp):
    a = cp.arange(6, dtype=np.float32).reshape(2, 3)
    for implicit in (lambda: np.asarray(a), lambda: np.array([a, a]), lambda: np.concatenate([a.get(), a])):
        with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed|Unsupported type"):
            implicit()
    assert isinstance(a.get(), np.ndarray) and a.get().tolist() == [[0, 1, 2], [3, 4, 5]]
    assert isinstance(cp.asnumpy(a), np.ndarray)
    assert float(a.sum()) == 15.0  # scalars may be read (CuPy synchronises)


def test_host_arrays_in_device_arithmetic_are_refused(cp):
    a = cp.ones((2, 3), dtype=np.float32)
    host = np.ones((2, 3), dtype=np.float32)
    for mixed in (lambda: a + host, lambda: host * a, lambda: cp.maximum(a, host), lambda: cp.stack([a, host]),
                  lambda: a.__setitem__(0, host[0])):
        with pytest.raises(TypeError, match="Unsupported type"):
            mixed()
    b = a * np.float32(2) + 1.0  # Python and NumPy scalars are fine
    assert isinstance(b, cp.ndarray) and b.dtype == np.float32 and b.get().tolist() == [[3.0] * 3] * 2
    a[...] = host * 5  # the explicit whole-array copy CuPy accepts
    assert a.get()[0, 0] == 5.0


def test_host_reads_are_refused_where_synchronization_is_forbidden(cp):
    a = cp.ones(3, dtype=np.float32)
    cp._sync_allowed[0] = False  # what cupyx.allow_synchronize(False) sets
    try:
        for read in (lambda: float(a.sum()), lambda: a.get(), lambda: bool(a[0]), lambda: f"{a.sum():.3f}",
                     lambda: cp.asnumpy(a), lambda: a.tolist()):
            with pytest.raises(cp._DeviceSynchronized):
                read()
        b = (a * 2).sum()  # device work alone is fine
    finally:
        cp._sync_allowed[0] = True
    assert float(b) == 6.0


def test_reductions_and_indexing_give_device_arrays(cp):
    a = cp.asarray(np.arange(4, dtype=np.float32))
    for value in (a.sum(), a[1], cp.max(a), np.mean(a)):
        assert isinstance(value, cp.ndarray) and value.ndim == 0


def test_random_state_lives_in_the_device_buffer(cp):
    gen = cp.random.default_rng(7)
    saved = gen.bit_generator._state.copy()
    first = gen.standard_normal((3,), dtype=np.float32).get()
    assert isinstance(saved, cp.ndarray)
    gen.bit_generator._state[...] = saved  # writing the buffer back replays the stream
    np.testing.assert_array_equal(gen.standard_normal((3,), dtype=np.float32).get(), first)


def test_elementwise_kernel_updates_its_outputs_in_place(cp):
    kernel = cp.ElementwiseKernel("T g, T c", "T p, T m", "m = c * m + g; p -= sqrt(m)", "k")
    p, m = cp.asarray(np.full(3, 10.0, np.float32)), cp.asarray(np.full(3, 2.0, np.float32))
    kernel(cp.asarray(np.full(3, 1.0, np.float32)), np.float32(4.0), p, m)
    np.testing.assert_allclose(m.get(), 9.0)
    np.testing.assert_allclose(p.get(), 7.0)


def test_every_call_is_counted_by_name(cp):
    a = cp.arange(6, dtype=np.float32)
    cp._calls.clear()
    b = (a * 2).reshape(2, 3).sum(axis=1)
    b[0] = cp.maximum(b[1], 1.0)
    assert dict(cp._calls) == {"ufunc multiply": 1, "method reshape": 1, "method sum": 1, "getitem": 1,
                               "ufunc maximum": 1, "setitem": 1}


def test_device_calls_reports_a_dcgan_iterations_calls():
    # tests/device_calls.py: the CuPy calls of one DCGAN iteration through the stand-in (no GPU needed)
    root = Path(__file__).parent.parent
    run = subprocess.run([sys.executable, "tests/device_calls.py", "--iterations", "1"], cwd=root,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    total, views = map(int, re.search(r"(\d+) CuPy calls per iteration, (\d+) of them views", run.stdout).groups())
    assert 0 < views < total
    assert re.search(r"\d+\.\d  nn/norm\.py: forward", run.stdout)  # (by the minigan function that made them)


def _two_halves(root, items):
    """The test files to run through the stand-in, in two lists with about as many cuda cases each.

    They run at once: the test process only waits, so on a two-core machine the second core would idle.
    Only the files with cuda cases among `items` (all of them when the whole suite runs); every test file
    when `items` has none (this test run alone).
    """
    per_file = Counter(item.nodeid.split("::")[0] for item in items)
    if not per_file:
        per_file = Counter({path.relative_to(root).as_posix(): 1 for path in (root / "tests").glob("test_*.py")
                            if path.name not in ("test_fake_cupy.py", "test_lessons.py")})
    halves, sizes = ([], []), [0, 0]
    for file, count in sorted(per_file.items(), key=lambda fc: (-fc[1], fc[0])):  # largest first, to the smaller
        smaller = sizes.index(min(sizes))
        halves[smaller].append(file)
        sizes[smaller] += count
    return halves


def test_every_cuda_test_passes_through_the_stand_in(request):
    """The whole device-parametrized suite on device="cuda", CuPy played by the stand-in."""
    import minigan

    if os.environ.get("MINIGAN_FAKE_CUPY") != "1" and minigan.cuda_is_available():
        pytest.skip("a real GPU is here: MINIGAN_TEST_DEVICE=cuda (tests/gpu_check.sh) runs the cuda cases on it")
    # the cuda cases this session collected (all of them when the whole suite runs, skipped here without a GPU)
    here = [item for item in request.session.items if "cuda" in item.nodeid
            and not item.nodeid.startswith(("tests/test_fake_cupy.py", "tests/test_lessons.py"))]
    env = dict(os.environ, MINIGAN_FAKE_CUPY="1", MINIGAN_TEST_DEVICE="cuda")
    root = Path(__file__).parent.parent
    runs = [subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *files, "-k", "cuda",
                              "--tb=short"], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for files in _two_halves(root, here)]
    try:
        outputs = [run.communicate(timeout=600) for run in runs]
    finally:
        for run in runs:
            run.kill()
    stdout = "\n".join(out for out, _ in outputs)
    tail = "\n".join(out[-3000:] + err[-2000:] for out, err in outputs)
    assert all(run.returncode == 0 for run in runs), tail
    passed = sum(int(re.search(r"(\d+) passed", out).group(1)) for out, _ in outputs)
    skips = [line for line in stdout.splitlines() if line.startswith("SKIPPED")]
    # 1,035 cuda cases on 3 Dec: fewer would mean that some stopped being collected
    assert passed + len(skips) >= max(len(here), 1030), tail
    # none may skip but the check of the no-GPU error, which needs a machine without CUDA
    assert all("a GPU is usable here" in line for line in skips), tail


def test_what_real_cupy_lacks_the_stand_in_lacks_too(cp):
    # names and keywords NumPy has and CuPy 14.2 does not: code using them on device arrays would fail on a GPU
    a = cp.arange(6, dtype=np.float32)
    for missing in ("errstate", "seterr", "block", "unstack"):
        with pytest.raises(AttributeError, match=f"module 'cupy' has no attribute '{missing}'"):
            getattr(cp, missing)
    with pytest.raises(AttributeError, match="'cupy.ndarray' object has no attribute 'setflags'"):
        a.setflags(write=False)
    with pytest.raises(TypeError, match="Wrong arguments"):
        np.add(a, a, where=a > 2)
    assert float(cp.einsum("i,i->", a, a).get()) == 55.0 and a.sum(axis=0).shape == ()  # what it has still works


def test_the_stand_in_keeps_cupys_rules_that_the_first_gpu_run_met(cp):
    # found on an H200 on 4 Dec 2026: code that relied on NumPy's answers here was wrong on the GPU
    a = cp.zeros(4, dtype=np.float32)
    a[cp.asarray(np.array([1, 1, 2]))] = cp.asarray(np.array([5.0, 6.0, 7.0], np.float32))
    np.testing.assert_array_equal(a.get(), [0.0, 5.0, 7.0, 0.0])  # a repeated position: not NumPy's last value
    b = cp.zeros((2, 3)).T  # (a strided view: written through)
    b[cp.asarray(np.array([2, 2])), 0] = cp.asarray(np.array([1.0, 2.0]))
    assert b.get()[2, 0] == 1.0 and b.base is not None and b.base.get()[0, 2] == 1.0
    b[cp.asarray(np.array([True, False, True]))] = 3.0  # a mask has no repeats: NumPy's assignment
    assert b.get()[:, 0].tolist() == [3.0, 0.0, 3.0]
    u = cp.asarray(np.array([1, 2], np.uint8))
    for clip in (lambda: cp.clip(u, -1, 300), lambda: u.clip(0, 256)):  # CuPy: OverflowError; NumPy's clip allows it
        with pytest.raises(OverflowError, match="out of bounds for uint8"):
            clip()
    assert cp.clip(u, 0, 1).get().tolist() == [1, 1]
    host_keys = np.random.default_rng(0).integers(0, 3, 1000)
    assert not np.array_equal(np.argsort(host_keys), np.argsort(host_keys, kind="stable"))  # (NumPy's default)
    keys = cp.asarray(host_keys)
    np.testing.assert_array_equal(cp.argsort(keys).get(), np.argsort(host_keys, kind="stable"))  # always stable
    for sort in (lambda: cp.argsort(keys, kind="quicksort"), lambda: keys.sort(kind="heapsort")):
        with pytest.raises(ValueError, match="only 'stable'"):
            sort()


def test_the_gpu_probe_runs_through_the_stand_in(cp):
    # tests/gpu_probe.py only runs on a lent GPU (tests/gpu_check.sh): here it must at least run, and its ways of
    # computing batch norm's statistics must agree
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        from gpu_probe import probe
    finally:
        sys.path.pop(0)
    rows = probe(cp, repeats=2)
    assert len(rows) == 11 and all(host >= 0 and done >= host for _, host, done in rows)
    differences = [re.findall(r"\d\.\de[+-]\d+", what) for what, _, _ in rows if what.lstrip().startswith("(products")]
    assert len(differences) == 2 and all(len(pair) == 2 and max(map(float, pair)) < 1e-5 for pair in differences)
