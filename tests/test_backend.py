"""The array backend: devices, CuPy guarding, seeded generators, and the backend-specific array ops."""

import subprocess
import sys
import tracemalloc
import types

import numpy as np
import pytest

import minigan as mg
from minigan import backend, nn

GPU_HINT = 'pip install "minigan[gpu]"'


def test_cuda_is_available_answers_a_bool():
    assert mg.cuda_is_available() in (True, False)


def test_cuda_is_available_never_raises_even_when_cupy_is_broken(monkeypatch):
    broken = types.ModuleType("cupy")

    def __getattr__(name):
        raise OSError("libcuda.so: cannot open shared object file")

    broken.__getattr__ = __getattr__
    monkeypatch.setitem(sys.modules, "cupy", broken)
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(backend, "_cupy_error", None)
    assert mg.cuda_is_available() is False
    with pytest.raises(RuntimeError) as err:
        mg.zeros(2, device="cuda")
    assert "libcuda.so" in str(err.value)  # says why
    assert GPU_HINT in str(err.value)  # and how to fix it


@pytest.mark.skipif(mg.cuda_is_available(), reason="a GPU is usable here")
def test_asking_for_cuda_without_cupy_says_how_to_install():
    for make in (lambda: mg.zeros(2, device="cuda"), lambda: mg.tensor([1.0], device="cuda"),
                 lambda: mg.ones(2).to("cuda"), lambda: nn.Linear(2, 2).to("cuda"),
                 lambda: mg.set_default_device("cuda")):
        with pytest.raises(RuntimeError, match="minigan\\[gpu\\]") as err:
            make()
        assert GPU_HINT in str(err.value)
    assert mg.get_default_device() == "cpu"


def test_unknown_device_is_rejected():
    with pytest.raises(ValueError, match="'tpu'.*'cpu' or 'cuda'"):
        mg.zeros(2, device="tpu")


class _FakeCudaArray(np.ndarray):
    """A NumPy array that the backend is told (in this test only) lives on 'cuda'."""


@pytest.fixture
def on_cpu_and_gpu(monkeypatch):
    """Two (2, 3) tensors of ones, the second one's array said to live on 'cuda' (by _FakeCudaArray)."""
    real_device_of = backend.device_of
    monkeypatch.setattr(backend, "device_of", lambda a: "cuda" if isinstance(a, _FakeCudaArray) else real_device_of(a))
    on_cpu = mg.ones(2, 3)
    on_gpu = mg.ones(2, 3)
    on_gpu.data = on_gpu.data.view(_FakeCudaArray)
    return on_cpu, on_gpu


def test_mixing_devices_names_both(on_cpu_and_gpu):
    on_cpu, on_gpu = on_cpu_and_gpu
    assert on_gpu.device == "cuda"
    for op in (lambda a, b: a + b, lambda a, b: a * b, lambda a, b: mg.cat([a, b])):
        for a, b in ((on_cpu, on_gpu), (on_gpu, on_cpu)):
            with pytest.raises(RuntimeError, match="two devices") as err:
                op(a, b)
            assert "'cpu'" in str(err.value) and "'cuda'" in str(err.value)
            assert ".to(" in str(err.value)  # and what to do
    with pytest.raises(RuntimeError, match="'cpu' and 'cuda'"):
        mg.randn(4, 2) @ on_gpu


def test_tensor_ops_stay_on_their_device(device):
    x = mg.randn(3, 2, device=device, requires_grad=True)
    w = mg.randn(2, 4, device=device, requires_grad=True)
    y = mg.tanh(x @ w).sum()
    y.backward()
    assert x.grad.device == device and w.grad.device == device
    assert isinstance(x.numpy(), np.ndarray)
    back = x.to("cpu")
    np.testing.assert_array_equal(back.numpy(), x.numpy())


def test_manual_seed_makes_draws_reproducible(device):
    mg.manual_seed(42)
    a = (mg.randn(5, device=device).numpy(), mg.rand(3, device=device).numpy(),
         mg.randint(0, 100, (4,), device=device).numpy())
    mg.manual_seed(42)
    b = (mg.randn(5, device=device).numpy(), mg.rand(3, device=device).numpy(),
         mg.randint(0, 100, (4,), device=device).numpy())
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    mg.manual_seed(43)
    assert not np.array_equal(mg.randn(5, device=device).numpy(), a[0])


def test_successive_draws_differ(device):
    mg.manual_seed(0)
    assert not np.array_equal(mg.randn(5, device=device).numpy(), mg.randn(5, device=device).numpy())


def test_rng_state_round_trip_even_through_a_checkpoint(device, tmp_path):
    mg.manual_seed(7)
    mg.randn(10, device=device)
    state = mg.get_rng_state()
    if device == "cuda":
        assert "cuda" in state, "the CUDA generator's state must be saved too"
    expected = mg.randn(6, device=device).numpy()
    mg.randn(100, device=device)  # move on
    mg.set_rng_state(state)
    np.testing.assert_array_equal(mg.randn(6, device=device).numpy(), expected)

    mg.save({"rng": state}, tmp_path / "rng.npz")
    mg.manual_seed(999)
    mg.randn(3, device=device)
    mg.set_rng_state(mg.load(tmp_path / "rng.npz")["rng"])
    np.testing.assert_array_equal(mg.randn(6, device=device).numpy(), expected)


def test_fork_rng_draws_its_own_noise_and_leaves_training_noise_alone(device):
    mg.manual_seed(3)
    mg.randn(4, device=device)
    expected = mg.randn(5, device=device).numpy()
    mg.manual_seed(3)
    mg.randn(4, device=device)
    with backend.fork_rng(11):
        inside = mg.randn(5, device=device).numpy()
    with backend.fork_rng(11):
        again = mg.randn(5, device=device).numpy()
    np.testing.assert_array_equal(inside, again)  # seeded inside
    np.testing.assert_array_equal(mg.randn(5, device=device).numpy(), expected)  # untouched outside


def _imported_after(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_importing_minigan_imports_neither_cupy_nor_matplotlib():
    code = (
        "import sys, minigan, minigan.nn, minigan.optim, minigan.nn.functional\n"
        "x = minigan.randn(2, 2, requires_grad=True); (x * x).sum().backward()\n"
        "minigan.cuda_is_available()\n"
        "print('cupy' in sys.modules, 'matplotlib' in sys.modules)"
    )
    cupy_loaded, matplotlib_loaded = _imported_after(code)
    assert matplotlib_loaded == "False"
    # cuda_is_available() may import CuPy where it is installed; importing minigan never does
    cupy_at_import = _imported_after("import sys, minigan; print('cupy' in sys.modules, 'sklearn' in sys.modules, "
                                     "'PIL' in sys.modules, 'http.client' in sys.modules, minigan.data.MNIST.__name__)")
    # minigan.data comes along, as torch.utils.data; the download's HTTP machinery only when a download runs
    assert cupy_at_import == ["False", "False", "False", "False", "MNIST"]
    if not mg.cuda_is_available():
        assert cupy_loaded == "False"


def test_scatter_add_adds_repeated_indices(device):
    target = backend.asarray(np.zeros(4), device=device)
    index = backend.asarray(np.array([0, 2, 0, 0]), device=device)
    backend.scatter_add(target, index, backend.asarray(np.array([1.0, 2.0, 3.0, 4.0]), device=device))
    np.testing.assert_array_equal(backend.to_numpy(target), [8.0, 0.0, 2.0, 0.0])


@pytest.mark.parametrize("seed", range(4))
def test_the_gpus_scatter_add_sums_in_a_fixed_order_what_numpy_adds_one_by_one(seed):
    """_sorted_scatter_add (the GPU's way, run here on NumPy arrays) against np.add.at: any index NumPy takes."""
    rng = np.random.default_rng(seed)
    target = rng.integers(-9, 9, size=(5, 6)).astype(np.float32)
    rows = rng.integers(0, 5, size=(7, 3))  # many repeats, runs of every length
    for index, values in [((rows, rng.integers(0, 6, size=(7, 3))), rng.integers(-9, 9, size=(7, 3))),
                          ((rows[:, 0], slice(1, 4)), rng.integers(-9, 9, size=(7, 3))),  # an array beside a slice
                          ((np.zeros(40, dtype=np.int64),), rng.integers(-9, 9, size=(40, 6))),  # one run of 40
                          ((rows[:, 0], 2), 1.0),  # a number, broadcast
                          ((np.array([], dtype=np.int64),), np.zeros((0, 6)))]:
        values = np.asarray(values, dtype=np.float32)  # whole numbers: every order of adding gives the same sum
        ours, want = target.copy(), target.copy()
        backend._sorted_scatter_add(ours, index, values)
        np.add.at(want, index, values)
        np.testing.assert_array_equal(ours, want)
    index = (rng.integers(0, 5, size=1000), rng.integers(0, 6, size=1000))  # floats: the same sums to rounding
    values = rng.standard_normal(1000).astype(np.float32)
    ours, want = np.zeros_like(target), np.zeros_like(target)
    backend._sorted_scatter_add(ours, index, values)
    np.add.at(want, index, values.astype(np.float64))
    np.testing.assert_allclose(ours, want, rtol=1e-5, atol=1e-5)


def test_the_positions_the_gpus_scatter_add_adds_at_are_those_of_an_arange_without_building_one():
    """_flat_positions against arange(size).reshape(shape)[index], for indices of every kind; memory: that of the picks."""
    rng = np.random.default_rng(0)
    for shape, index in [((5, 6), (rng.integers(0, 5, (7, 3)), rng.integers(0, 6, (7, 3)))),
                         ((5, 6), (np.array([1, 1, 2]), slice(1, 4))), ((5, 6), (np.array([4, 4]), -2)),
                         ((4, 3, 2), (Ellipsis, np.array([0, 0, 1]))), ((4, 3, 2), (np.array([True, False, True, True]),)),
                         ((4, 3, 2), (None, np.array([3, 3]), slice(None, None, -1), np.array([1, 0]))),
                         ((4, 3, 2), np.array([-1, -4])), ((), np.array(True)), ((3, 0), (np.array([2, 2]),))]:
        want = np.arange(int(np.prod(shape))).reshape(shape)[index]
        got = backend._flat_positions(np, shape, index)
        assert got.dtype == np.int64 and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    tracemalloc.start()
    try:  # three rows of a 200,000 x 80 table: an arange of its size would take 128 MB, one per axis 1.6 MB
        backend._flat_positions(np, (200_000, 80), (np.array([5, 199_999, 5]),))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000


def test_the_gradient_of_repeated_indexing_repeats_to_the_bit(device):
    """Many values meeting at a few positions: atomic float additions (cupy.add.at) could order them differently."""
    rng = np.random.default_rng(0)
    idx = mg.tensor(rng.integers(0, 3, size=20000), device=device)
    gy = mg.tensor(rng.standard_normal((20000, 4)).astype(np.float32), device=device)
    grads = []
    for _ in range(3):
        x = mg.zeros(3, 4, device=device, requires_grad=True)
        x[idx].backward(gy)
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0], grads[2])
    np.testing.assert_allclose(grads[0], np.stack([gy.numpy()[idx.numpy() == k].sum(0) for k in range(3)]), rtol=1e-4)


def test_sliding_windows_match_a_naive_loop(device):
    x = np.arange(2 * 3 * 7 * 6, dtype=np.float32).reshape(2, 3, 7, 6)
    kh, kw, sh, sw = 3, 2, 2, 1
    w = backend.to_numpy(backend.sliding_windows(backend.asarray(x, device=device), kh, kw, sh, sw))
    oh, ow = (7 - kh) // sh + 1, (6 - kw) // sw + 1
    assert w.shape == (2, 3, oh, ow, kh, kw)
    for i in range(oh):
        for j in range(ow):
            np.testing.assert_array_equal(w[:, :, i, j], x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw])


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4099, 3), (3, 4099), (1, 7), (7, 1)])
def test_transposed_copy_is_a_contiguous_transpose(device, shape):
    # tall matrices go through the tiled loop on the CPU (4099 rows: tiles with a ragged last one)
    a = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    t = backend.transposed_copy(backend.asarray(a, device=device))
    assert backend.device_of(t) == device and t.flags.c_contiguous and t.dtype == np.float32
    np.testing.assert_array_equal(backend.to_numpy(t), a.T)


def test_layouts_keep_the_values_and_copy_only_when_needed(device):
    # batch-innermost: (C, H, W, N) memory seen as (N, C, H, W), the layout of a convolution's output
    values = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    c_order = backend.asarray(values, device=device)
    inner = backend.asarray(np.ascontiguousarray(values.transpose(1, 2, 3, 0)), device=device).transpose(3, 0, 1, 2)
    assert backend.is_batch_innermost(inner) and not backend.is_batch_innermost(c_order)
    assert not inner.flags.c_contiguous
    for a in (c_order, inner):
        b = backend.batch_innermost(a)
        assert backend.is_batch_innermost(b) and (b is a) == (a is inner)
        c = backend.c_contiguous(a)
        assert c.flags.c_contiguous and (c is a) == (a is c_order)
        for like in (c_order, inner):
            d = backend.layout_like(a, like)
            assert backend.is_batch_innermost(d) == backend.is_batch_innermost(like)
            assert d.flags.c_contiguous == like.flags.c_contiguous
            for result in (b, c, d):
                np.testing.assert_array_equal(backend.to_numpy(result), values)
    other = c_order.transpose(0, 2, 1, 3)  # neither layout: left as it is
    assert backend.layout_like(c_order, other) is c_order


def test_to_numpy_and_device_of_on_cpu():
    a = np.ones(3)
    assert backend.to_numpy(a) is a
    assert backend.device_of(a) == "cpu" and backend.xp_of(a) is np
    assert backend.to_device(a, "cpu") is a


def test_reuse_freed_memory_is_up_to_the_caller_and_keeps_buffers_off_mmap():
    import platform

    if not (sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"):
        assert backend.reuse_freed_memory() is False
        return
    # A fresh process: does importing minigan touch the allocator (a spy on libc's mallopt), and how many
    # bytes does glibc map for a 1 MiB array after the call? (Before it, that depends on what the process
    # freed earlier: glibc raises its mmap threshold to the largest mapped block freed so far.)
    code = (
        "import ctypes, numpy as np\n"
        "calls = []\n"
        "class Spy(ctypes.CDLL):\n"
        "    def __getattr__(self, name):\n"
        "        calls.append(name)\n"
        "        return super().__getattr__(name)\n"
        "ctypes.CDLL = Spy\n"
        "class Info(ctypes.Structure):\n"
        "    _fields_ = [(n, ctypes.c_size_t) for n in ('arena', 'ordblks', 'smblks', 'hblks', 'hblkhd',\n"
        "                'usmblks', 'fsmblks', 'uordblks', 'fordblks', 'keepcost')]\n"
        "libc = ctypes.CDLL('libc.so.6'); libc.mallinfo2.restype = Info\n"
        "def mapped_for_one_mib():\n"
        "    before = libc.mallinfo2().hblkhd; x = np.empty(1 << 20, np.uint8); return libc.mallinfo2().hblkhd - before\n"
        "import minigan\n"
        "from minigan import backend\n"
        "print('mallopt' in calls, backend.reuse_freed_memory(), 'mallopt' in calls, mapped_for_one_mib())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True", "True", "0"]  # importing minigan changes nothing; the call moves buffers to the heap


@pytest.mark.parametrize("shape", [(512, 256), (7, 3), (1,)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cpu_normals_are_box_muller_of_numpys_uniforms(shape, dtype):
    # the documented runs depend on these exact numbers: r cos t, r sin t from NumPy's own uniforms
    backend.manual_seed(11)
    z = backend.standard_normal("cpu", shape, dtype)
    n, half = int(np.prod(shape)), (int(np.prod(shape)) + 1) // 2
    u = np.random.default_rng(11).random(2 * half, dtype=dtype)
    r = np.sqrt(np.log1p(-u[:half]) * -2.0)
    expected = np.concatenate([np.cos(u[half:] * (2.0 * np.pi)) * r, np.sin(u[half:] * (2.0 * np.pi)) * r])
    assert z.dtype == np.dtype(dtype) and z.shape == shape
    np.testing.assert_array_equal(z, expected[:n].reshape(shape))


def test_manual_seed_takes_whole_numbers_only():
    for bad in ("a", None, -1, 1.5, True):
        with pytest.raises(ValueError, match="manual_seed: the seed must be a whole number >= 0"):
            backend.manual_seed(bad)
    backend.manual_seed(np.int64(3))  # NumPy's ints are whole numbers too
    assert mg.randn(2).shape == (2,)


def test_minigan_device_normalises_a_name_as_torch_device_does():
    assert mg.device("cuda" if mg.cuda.is_available() else "cpu") in ("cpu", "cuda")
    assert mg.device("cuda:0") == "cuda" and mg.device("cpu") == "cpu"  # minigan has one GPU: cuda:0 is cuda
    assert mg.zeros(2).to(mg.device("cpu")).device == "cpu"
    with pytest.raises(ValueError, match="unknown device 'tpu': use 'cpu' or 'cuda'"):
        mg.device("tpu")


def test_device_names_beyond_one_gpu_are_refused_not_mapped_to_gpu_0():
    assert mg.device("cuda:0") == "cuda" and mg.device("cpu:0") == "cpu"
    for name in ("cuda:1", "cpu:abc", "gpu"):
        with pytest.raises(ValueError, match=rf"unknown device '{name}': use 'cpu' or 'cuda' \(minigan uses one GPU"):
            mg.device(name)


def test_transposed_copy_of_empty_matrices():
    for shape in ((0, 0), (5, 0), (0, 5)):
        a = np.zeros(shape, dtype=np.float32)
        out = backend.transposed_copy(a)
        assert out.shape == shape[::-1] and out.flags.c_contiguous


def test_an_int_tensor_and_a_list_of_floats_make_float32():
    assert (mg.tensor([1, 2]) + [0.5, 0.5]).dtype == np.float32  # NumPy would make float64
    assert (mg.tensor([1, 2]) + (1, 2)).dtype == np.int64


def test_the_rng_state_keeps_the_seed_that_generators_made_later_start_from(device):
    # (found by mutation testing) a generator made after set_rng_state, such as the GPU's in a run that drew on the
    # CPU only so far, starts from the saved seed, as it would have in the run that was never interrupted
    mg.manual_seed(7)
    mg.randn(3)  # the CPU generator only
    state = mg.get_rng_state()
    assert state["seed"] == 7
    expected = mg.randn(4, device=device).numpy()
    mg.manual_seed(8)
    mg.randn(3)
    mg.set_rng_state(state)
    assert mg.get_rng_state()["seed"] == 7
    np.testing.assert_array_equal(mg.randn(4, device=device).numpy(), expected)


def test_fork_rng_right_after_manual_seed_leaves_the_seed_alone(device):
    # the first draw after a seed inside a fork (a run's pictures before training starts) must not reseed training
    mg.manual_seed(3)
    expected = mg.randn(5, device=device).numpy()
    mg.manual_seed(3)
    with backend.fork_rng(99):
        mg.randn(4, device=device)
    assert mg.get_rng_state()["seed"] == 3
    np.testing.assert_array_equal(mg.randn(5, device=device).numpy(), expected)


def test_in_place_ops_refuse_an_operand_on_another_device(on_cpu_and_gpu):
    # (found by mutation testing) x += y checks devices as x + y does, instead of adding across them
    on_cpu, on_gpu = on_cpu_and_gpu
    for a, b in ((on_cpu, on_gpu), (on_gpu, on_cpu)):
        with pytest.raises(RuntimeError, match="x \\+= y: x is on (cpu|cuda), y on (cuda|cpu)"):
            a += b
    np.testing.assert_array_equal(on_cpu.numpy(), np.ones((2, 3)))


def test_backward_refuses_a_gradient_on_another_device(monkeypatch):
    # (found by mutation testing) the gradient given to backward() must be on the output's device
    real_device_of = backend.device_of
    monkeypatch.setattr(backend, "device_of", lambda a: "cuda" if isinstance(a, _FakeCudaArray) else real_device_of(a))
    x = mg.ones(3)
    x.data = x.data.view(_FakeCudaArray)
    x.requires_grad_()
    y = x * x
    assert y.device == "cuda"
    with pytest.raises(TypeError, match="the grad given for an output of dtype float32 on 'cuda' is float32 on 'cpu'"):
        y.backward(mg.ones(3))


def test_new_tensors_land_on_the_default_device(monkeypatch):
    # (found by mutation testing) no device given means the default device, not 'cpu'
    monkeypatch.setattr(backend, "_default_device", "cuda")
    assert backend.check_device(None) == "cuda" and mg.get_default_device() == "cuda"


def test_moving_a_tensor_to_the_cpu_copies_it(device):
    # (found by mutation testing) .to("cpu") and .numpy() of a device tensor are copies, not views of its memory
    x = mg.tensor([1.0, 2.0, 3.0], device=device)
    on_cpu = x.to("cpu")
    host = x.numpy()
    if device != "cpu":
        on_cpu += 10.0
        host += 100.0
    np.testing.assert_array_equal(x.to("cpu").numpy(), [1.0, 2.0, 3.0])


def test_a_generator_made_after_a_restore_starts_from_the_restored_seed(device):
    # (found by mutation testing) set_rng_state drops generators made since the state was saved
    mg.manual_seed(5)
    state = mg.get_rng_state()  # before any draw on `device`
    expected = mg.randn(4, device=device).numpy()
    mg.randn(100, device=device)  # move on, without a new seed
    mg.set_rng_state(state)
    np.testing.assert_array_equal(mg.randn(4, device=device).numpy(), expected)


def test_scatter_add_adds_in_numpys_order_on_the_cpu_and_in_the_sorted_order_on_a_gpu(device):
    """Float sums of many repeats depend on the order of adding: the CPU's are np.add.at's to the bit (one value
    after another), a GPU's _sorted_scatter_add's (runs summed by doubling), which differ in the last bits."""
    rng = np.random.default_rng(7)
    index, values = rng.integers(0, 3, size=500), rng.standard_normal((500, 2)).astype(np.float32)
    numpys, sorted_sums = np.zeros((3, 2), np.float32), np.zeros((3, 2), np.float32)
    np.add.at(numpys, index, values)
    backend._sorted_scatter_add(sorted_sums, index, values)
    assert not np.array_equal(numpys, sorted_sums)  # (else this test could not tell the two apart)
    target = backend.asarray(np.zeros((3, 2), np.float32), device=device)
    backend.scatter_add(target, backend.asarray(index, device=device), backend.asarray(values, device=device))
    np.testing.assert_array_equal(backend.to_numpy(target), numpys if device == "cpu" else sorted_sums)
