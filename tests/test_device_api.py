"""PyTorch's device idioms in minigan: ``x.device.type``, ``minigan.device(...)`` and ``minigan.cuda``'s helpers.

A device stays the plain string "cpu" or "cuda" for everything that compared, hashed or printed it, and
gains torch.device's ``.type`` and ``.index``. ``minigan.cuda.manual_seed`` seeds the GPU's generator
alone, as torch.cuda.manual_seed, and does nothing without a GPU; a seed-everything helper ported from
PyTorch calls it next to ``minigan.manual_seed``.
"""

import copy
import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import minigan as mg
from minigan import backend

FAKE_CUPY = Path(__file__).parent / "fake_cupy"


def _run(code):
    """Run `code` in a fresh interpreter with tests/fake_cupy first on the path (an importable CuPy, no GPU)."""
    code = f"import sys; sys.path.insert(0, {str(FAKE_CUPY)!r})\n" + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert done.returncode == 0, done.stderr
    return done.stdout


# ----------------------------------------------------------------- Device
def test_a_tensors_device_has_torchs_type_and_index(device):
    x = mg.zeros(2, 3, device=device)
    for d in (x.device, (x * 2 + 1).sum().device, x.to(mg.device(device)).device):
        assert d.type == device and type(d.type) is str
        assert d.index == (None if device == "cpu" else 0)  # torch: a CPU tensor's index is None, a GPU's its id
        assert d == device and d in ("cpu", "cuda")  # still the string it was
    if device == "cuda":
        assert "device='cuda'" in repr(x)  # the tensor's repr prints it as a string, not a Device(...)
        assert x.cpu().device.type == "cpu"


def test_devices_compare_hash_and_print_as_their_strings():
    d = mg.zeros(1).device
    assert isinstance(d, str) and isinstance(d, backend.Device)
    assert d == "cpu" and "cpu" == d and d != "cuda" and not (d != "cpu")
    assert hash(d) == hash("cpu") and {"cpu": 1}[d] == 1 and {d: 1}["cpu"] == 1 and len({d, "cpu"}) == 1
    assert repr(d) == "'cpu'" and str(d) == "cpu" and type(str(d)) is str
    assert f"on '{d}'" == "on 'cpu'" and "{!r}".format(d) == "'cpu'" and "%s" % d == "cpu"
    assert mg.device("cuda:0") == "cuda" == mg.device("cuda")  # by type: minigan computes on one GPU


def test_devices_go_through_json_pickle_and_copies():
    for d in (mg.zeros(1).device, mg.device("cuda:0"), mg.device("cuda")):  # (no GPU needed to name one)
        assert json.dumps({"device": d, d: 1}) == f'{{"device": "{d}", "{d}": 1}}'
        assert json.loads(json.dumps(d)) == d
        back = pickle.loads(pickle.dumps(d))  # DataLoader workers and multiprocessing pickle them
        assert type(back) is backend.Device and back == d and (back.type, back.index) == (d.type, d.index)
        assert copy.copy(d) is d and copy.deepcopy({"d": d})["d"] is d


def test_devices_are_shared_constants_that_cannot_change():
    a, b = np.zeros(3), np.float32(1)
    assert backend.device_of(a) is backend.device_of(b) is mg.zeros(1).device is mg.device("cpu")
    assert mg.get_default_device() is mg.device("cpu") and backend.check_device(None).type == "cpu"
    d = mg.zeros(1).device
    for change in (lambda: setattr(d, "_index", 3), lambda: setattr(d, "extra", 1), lambda: delattr(d, "_type")):
        with pytest.raises(AttributeError, match="a minigan device cannot be changed"):
            change()
    assert (d.type, d.index) == ("cpu", None)


def test_minigan_device_reads_torchs_names():
    torch = pytest.importorskip("torch")
    for spec in ("cpu", "cuda", "cuda:0"):
        ours, theirs = mg.device(spec), torch.device(spec)
        assert (ours.type, ours.index) == (theirs.type, theirs.index), spec
        assert mg.device(str(theirs)) == ours and mg.device(ours) is ours  # a torch.device's name; a Device as is
    two = mg.device("cuda", 0)  # torch.device("cuda", 0)
    assert (two.type, two.index) == ("cuda", 0)
    assert mg.device("cpu:0").type == "cpu" and mg.device("cpu:0").index is None  # one CPU (torch: index 0)


@pytest.mark.parametrize("bad", ["tpu", "cuda:1", "cuda:x", "", "Cuda", None, 1.5, 0])
def test_minigan_device_refuses_anything_else_saying_what_it_takes(bad):
    with pytest.raises(ValueError, match=rf"unknown device '{bad}': use 'cpu' or 'cuda' \(minigan uses one GPU, "
                                         r"'cuda' = 'cuda:0'\)"):
        mg.device(bad)


def test_device_two_argument_form_and_the_plain_constructor_refuse_other_indices():
    with pytest.raises(ValueError, match=r"unknown device 'cuda:1'"):
        mg.device("cuda", 1)
    for args in (("gpu",), ("cpu", 0), ("cuda", -1), ("cuda", True), ("cuda", "0")):
        with pytest.raises(ValueError, match="Device: the type must be 'cpu' or 'cuda'"):
            backend.Device(*args)


# ------------------------------------------------------------ minigan.cuda
def test_cuda_manual_seed_leaves_the_cpu_draws_alone():
    """The seed-everything idiom runs without a GPU; the CPU stream is minigan.manual_seed's, not restarted."""
    mg.manual_seed(1)
    first, second = mg.randn(4).numpy(), mg.randn(4).numpy()
    mg.manual_seed(1)
    np.testing.assert_array_equal(mg.randn(4).numpy(), first)
    assert mg.cuda.manual_seed(1) is None and mg.cuda.manual_seed_all(0) is None  # no error, GPU or not
    np.testing.assert_array_equal(mg.randn(4).numpy(), second)  # the CPU draws went on where they were
    mg.manual_seed(1)  # and minigan.manual_seed still restarts them
    np.testing.assert_array_equal(mg.randn(4).numpy(), first)


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True, None])
def test_cuda_manual_seed_checks_the_seed_with_or_without_a_gpu(bad):
    for seed in (mg.cuda.manual_seed, mg.cuda.manual_seed_all):
        with pytest.raises(ValueError, match=r"cuda\.manual_seed: the seed must be a whole number >= 0"):
            seed(bad)


def test_without_a_gpu_device_count_is_0_and_current_device_says_why():
    if mg.cuda.is_available():
        pytest.skip("a GPU (or the CuPy stand-in) answers here: device_count() is not 0")
    assert mg.cuda.device_count() == 0 and type(mg.cuda.device_count()) is int
    mg.cuda.empty_cache()  # nothing to free: no error
    with pytest.raises(RuntimeError, match="device 'cuda' is not usable here"):
        mg.cuda.current_device()


def test_cuda_helpers_through_the_cupy_stand_in():
    """With an importable CuPy (tests/fake_cupy, one 'GPU'): the CUDA generator alone is seeded, as
    minigan.manual_seed would seed it; the count, the current device and the pool are CuPy's."""
    out = _run("""
        import numpy as np
        import minigan as mg
        mg.manual_seed(5)
        want = mg.randn(3, device="cuda").cpu().numpy()
        mg.manual_seed(7)
        cpu_first = mg.randn(3).numpy()
        mg.randn(3, device="cuda")  # the GPU stream moves on
        mg.cuda.manual_seed(5)
        np.testing.assert_array_equal(mg.randn(3, device="cuda").cpu().numpy(), want)
        cpu_next = mg.randn(3).numpy()
        mg.manual_seed(7)
        np.testing.assert_array_equal(mg.randn(3).numpy(), cpu_first)
        np.testing.assert_array_equal(mg.randn(3).numpy(), cpu_next)  # the CPU's stream was not touched
        mg.cuda.manual_seed_all(5)
        np.testing.assert_array_equal(mg.randn(3, device="cuda").cpu().numpy(), want)
        x = mg.ones(2, device="cuda")
        print(x.device.type, x.device.index, mg.cuda.device_count(), mg.cuda.current_device())
    """)
    assert out.split() == ["cuda", "0", "1", "0"]


def test_importing_minigan_cuda_and_empty_cache_do_not_import_cupy():
    """CuPy is importable in the subprocess (the stand-in), so an import would show in sys.modules."""
    out = _run("""
        import minigan.cuda
        minigan.cuda.empty_cache()
        print("cupy" in sys.modules)
        import cupy
        freed = []
        cupy.get_default_memory_pool().free_all_blocks = lambda: freed.append(1)
        minigan.cuda.empty_cache()  # CuPy imported by the script, not loaded by minigan: still nothing
        print(len(freed))
        assert minigan.cuda.is_available()  # minigan loads CuPy
        minigan.cuda.empty_cache()
        print(len(freed))
    """)
    assert out.split() == ["False", "0", "1"]
