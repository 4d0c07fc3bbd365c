"""The benchmarks run and report sane numbers (their speed targets are not asserted here)."""

import math

import numpy as np
import pytest

from minigan.benchmarks import common, conv, toy


@pytest.fixture(autouse=True)
def _pytorch_threads_restored():
    """The benchmarks give PyTorch as many CPU threads as NumPy's BLAS; other tests find PyTorch's own."""
    try:
        import torch  # noqa: PLC0415
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_bench_conv_reports_every_layer_against_the_matmul_peak(capsys, monkeypatch):
    monkeypatch.setattr(common, "SETTLE_S", 0.0)  # (the settling is tested on its own, with a fake clock)
    rows = conv.main(repeats=1)
    out = capsys.readouterr().out
    assert [r["layer"] for r in rows] == [name.strip() for name, *_ in conv.SHAPES]
    # the matmul peak is timed in the same rounds as each layer (times are measured, never compared with a
    # bound: a benchmark, not a test)
    for r in rows:
        assert math.isfinite(r["peak_gflops"]) and r["peak_gflops"] > 0
        assert r["peak_fraction"] == pytest.approx(r["gflops"] / r["peak_gflops"])
    flops = [conv._flops(*shape[1:]) for shape in conv.SHAPES]  # GFLOP/s = the layer's FLOPs over its time
    for r, f in zip(rows, flops):
        assert r["gflops"] == pytest.approx(f / (r["ms"] * 1e6))
    assert flops[1] == 2 * 64 * 7 * 7 * 64 * 128 * 16 * 3  # 64 -> 128: output pixels x MACs each, x2, x3 products
    for r in rows:
        assert math.isfinite(r["ms"])
    assert "RESULT conv device=cpu" in out
    assert f"conv64_128_peak_fraction={rows[1]['peak_fraction']:.4g}" in out  # the 64 -> 128 layer's own share
    assert f"peak_gflops={rows[1]['peak_gflops']:.4g}" in out


def test_bench_conv_times_the_peak_in_the_same_rounds_as_each_layer(capsys, monkeypatch):
    # a fake timer: every call of interleaved_medians must time the peak together with the layer (and
    # PyTorch's, when installed); each row's share is against the peak of its own rounds
    seen = []

    def fake_medians(steps, repeats, **kwargs):
        seen.append(sorted(steps))
        k = len(seen)  # a different peak for every layer: 0.1 s, 0.2 s, ... per 2048x2048 product
        return {"peak": 0.1 * k, "minigan": 0.01, "torch": 0.02}

    monkeypatch.setattr(conv, "interleaved_medians", fake_medians)
    rows = conv.main(repeats=3)
    capsys.readouterr()
    try:
        import torch  # noqa: F401, PLC0415
    except ImportError:
        expected = ["minigan", "peak"]
    else:
        expected = ["minigan", "peak", "torch"]
        assert [r["torch_ms"] for r in rows] == pytest.approx([20.0] * 4)
    assert seen == [expected] * len(conv.SHAPES)
    for k, (r, shape) in enumerate(zip(rows, conv.SHAPES), start=1):
        peak = 2 * 2048**3 / (0.1 * k) / 1e9
        assert r["peak_gflops"] == pytest.approx(peak)
        assert r["ms"] == pytest.approx(10.0)
        assert r["peak_fraction"] == pytest.approx(conv._flops(*shape[1:]) / 1e-2 / 1e9 / peak)


def test_bench_toy_reports_a_ratio_when_torch_is_installed(capsys, monkeypatch):
    monkeypatch.setattr(common, "SETTLE_S", 0.0)
    result = toy.main(repeats=5)
    assert math.isfinite(result["minigan_ms"])
    out = capsys.readouterr().out
    assert "RESULT toy device=cpu" in out
    try:
        import torch  # noqa: F401
    except ImportError:
        assert "ratio" not in result
    else:
        assert result["ratio"] == pytest.approx(result["minigan_ms"] / result["torch_ms"])
        assert result["logging_ratio"] == pytest.approx(result["trainer_ms"] / result["torch_logging_ms"])
        assert "logging_ratio=" in out


def test_bench_toy_sides_do_the_same_work():
    # the plain minigan step returns its two losses; PyTorch's logging step computes what
    # GANTrainer.train_step logs: V = -loss_d, D(x) and D(G(z)) in (0, 1), the gradient norms
    torch = pytest.importorskip("torch")
    d_loss, g_loss = toy.minigan_step(trainer=False)()
    assert 0.0 < d_loss < 5.0 and 0.0 < g_loss < 5.0
    d_log, g_log = toy.torch_step(torch, log=True)()
    v, d_real, d_fake, loss_d, norm_d = d_log
    assert v == pytest.approx(-loss_d) and 0 < d_real < 1 and 0 < d_fake < 1 and norm_d > 0
    assert len(g_log) == 2 and g_log[1] > 0


def test_dcgan_torch_twin_trains_from_minigans_weights_and_samples_digits():
    # the PyTorch twin of the default MNIST recipe (bench dcgan_torch) on a few batches, R1 included
    torch = pytest.importorskip("torch")
    import minigan
    from minigan.benchmarks import dcgan_torch
    from minigan.benchmarks.dcgan import to_torch
    from minigan.models import dcgan

    lines = []
    G = dcgan_torch.train(torch, seed=3, epochs=1, r1_every=2, subset=4 * dcgan_torch.BATCH, log=lines.append)
    assert len(lines) == 1 and "epoch 1/1" in lines[0]
    minigan.manual_seed(3)
    start = to_torch(dcgan()[0], torch)  # the weights it started from: minigan's for seed 3
    moved = [not torch.equal(a, b) for a, b in zip(start.parameters(), G.parameters())]
    assert all(moved) and not G.training
    images = dcgan_torch.sample(torch, G, n=12, batch=5)
    assert images.shape == (12, 1, 28, 28) and images.dtype == np.float32
    assert np.isfinite(images).all() and np.abs(images).max() <= 1.0
    np.testing.assert_array_equal(images, dcgan_torch.sample(torch, G, n=12, batch=5))  # seeded draws


def test_bench_dcgan_steps_run_both_ways():
    # the plain steps (what the ratio times) and the trainer's, at batch 2 (cheap)
    import math

    from minigan.benchmarks import dcgan

    plain, G, D = dcgan.minigan_step(batch=2, trainer=False)
    before = G.net[0].weight.numpy().copy()
    d_loss, g_loss = plain()
    assert math.isfinite(d_loss) and math.isfinite(g_loss) and d_loss > 0 and g_loss > 0
    assert (G.net[0].weight.numpy() != before).any()  # G was updated
    step, G2, _ = dcgan.minigan_step(batch=2)
    np.testing.assert_array_equal(G2.net[0].weight.numpy(), before)  # both start from the same weights
    step()


def test_numpy_blas_names_the_kernel_and_whether_the_environment_forced_it():
    from minigan.backend import numpy_blas

    info = [  # as threadpoolctl reports them, PyTorch's libraries loaded too
        {"user_api": "openmp", "internal_api": "openmp", "filepath": "/x/torch/lib/libgomp.so", "num_threads": 2},
        {"user_api": "blas", "internal_api": "mkl", "filepath": "/x/torch/lib/libmkl.so", "version": "2025",
         "num_threads": 2},
        {"user_api": "blas", "internal_api": "openblas", "filepath": "/x/numpy.libs/libscipy_openblas64_.so",
         "version": "0.3.31", "architecture": "Haswell", "num_threads": 2},
    ]
    forced = numpy_blas(info, {"OPENBLAS_CORETYPE": "Haswell"})
    assert forced.startswith("NumPy's BLAS: OpenBLAS 0.3.31, Haswell kernel, 2 threads")
    assert "OPENBLAS_CORETYPE=Haswell" in forced and "env -u OPENBLAS_CORETYPE" in forced
    chosen = numpy_blas(info, {})
    assert chosen == "NumPy's BLAS: OpenBLAS 0.3.31, Haswell kernel, 2 threads"
    assert numpy_blas(info[:1], {}, build="") == "NumPy's BLAS: not found by threadpoolctl"
    # macOS wheels use Apple's Accelerate, which threadpoolctl does not see; SciPy's OpenBLAS is not NumPy's
    scipy_only = [dict(info[2], filepath="/x/scipy/.dylibs/libscipy_openblas.dylib")]
    accelerate = numpy_blas(scipy_only, {}, build="accelerate")
    assert accelerate.startswith("NumPy's BLAS: accelerate (as NumPy was built") and "OpenBLAS" not in accelerate
    assert numpy_blas().startswith("NumPy's BLAS: ")  # this machine's, whatever it is


def test_the_dcgan_flop_count_is_what_pytorch_counts_for_the_same_iteration():
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode  # noqa: PLC0415

    from minigan.benchmarks import dcgan  # noqa: PLC0415

    _, G, D = dcgan.minigan_step(batch=2, trainer=False)
    step = dcgan.torch_step(torch, G, D, batch=dcgan.BATCH)
    with FlopCounterMode(display=False) as counter:
        d_loss, g_loss = step()  # the twin reads its losses, as minigan's plain step does
    assert counter.get_total_flops() == dcgan.iteration_flops()  # no input gradient of a first layer
    assert np.isfinite(d_loss) and np.isfinite(g_loss)


def test_interleaved_medians_makes_exactly_the_calls_it_reports():
    from minigan.benchmarks.common import interleaved_medians  # noqa: PLC0415

    for repeats in (1, 3, 7, 20, 22):
        calls = []
        interleaved_medians({"a": lambda: calls.append(1)}, repeats, warmup=0, settle=0)
        assert len(calls) == repeats


def test_interleaved_medians_times_no_call_while_the_previous_steps_threads_spin():
    # after one library's call its worker threads spin for a while (OpenBLAS's about 0.1 s) and slow the
    # calls made meanwhile (PyTorch's DCGAN iteration took twice as long): a fake clock charges 100 s for
    # a call started less than 250 s after another step's last call, 1 s otherwise; only the medians say
    # whether a slowed call was timed
    from minigan.benchmarks.common import interleaved_medians  # noqa: PLC0415

    now, ends = [0.0], {}

    def step(name):
        def fn():
            spinning = any(now[0] - end < 250 for other, end in ends.items() if other != name)
            now[0] += 100.0 if spinning else 1.0
            ends[name] = now[0]
        return fn

    for repeats in (1, 5, 7, 20):
        t = interleaved_medians({"ours": step("ours"), "theirs": step("theirs")}, repeats, warmup=1, settle=300,
                                clock=lambda: now[0])
        assert t == {"ours": 1.0, "theirs": 1.0}
    step("theirs")()  # one step timed alone, right after another library's call (as bench conv does)
    assert interleaved_medians({"ours": step("ours")}, 3, warmup=2, rounds=1, settle=300, clock=lambda: now[0]) == {
        "ours": 1.0}


def test_numpy_blas_threads_reads_numpys_library_not_pytorchs():
    from minigan.benchmarks.common import numpy_blas_threads  # noqa: PLC0415

    info = [  # as threadpoolctl reports them with PyTorch loaded: its MKL first
        {"user_api": "blas", "internal_api": "mkl", "filepath": "/x/torch/lib/libmkl.so", "num_threads": 8},
        {"user_api": "openmp", "internal_api": "openmp", "filepath": "/x/numpy/libgomp.so", "num_threads": 6},
        {"user_api": "blas", "internal_api": "openblas", "filepath": "/x/numpy.libs/libscipy_openblas64_.so",
         "num_threads": 3},
    ]
    assert numpy_blas_threads(info) == 3
    assert numpy_blas_threads(info[:2]) is None  # unknown (Accelerate on macOS): PyTorch keeps its own


def test_pytorch_gets_as_many_cpu_threads_as_numpys_blas():
    torch = pytest.importorskip("torch")
    from minigan.benchmarks.common import numpy_blas_threads, torch_device  # noqa: PLC0415

    torch.set_num_threads(2)
    assert torch_device("cpu", blas_threads=1)[0] is torch
    assert torch.get_num_threads() == 1
    torch_device("cpu")  # by default, NumPy's own count
    assert torch.get_num_threads() == (numpy_blas_threads() or 1)


def test_bench_dcgan_pytorch_twin_computes_the_same_iterations(monkeypatch):
    # same weights and the same noise on both sides: the losses of three iterations agree, so both take
    # the same D step (on real and fake), the same G step and the same Adam(2e-4, beta1 = 0.5) updates
    torch = pytest.importorskip("torch")
    import minigan  # noqa: PLC0415
    from minigan.benchmarks import dcgan  # noqa: PLC0415

    batch = 8
    ours, G, D = dcgan.minigan_step(batch=batch, trainer=False)
    theirs = dcgan.torch_step(torch, G, D, batch=batch)
    noise = [np.random.default_rng(i).standard_normal((batch, 100)).astype(np.float32) for i in range(6)]
    ours_z, theirs_z = iter(noise), iter(noise)  # two draws of z per iteration
    monkeypatch.setattr(minigan, "randn", lambda *shape, **kw: minigan.Tensor(next(ours_z)))
    monkeypatch.setattr(torch, "randn", lambda *shape, **kw: torch.from_numpy(next(theirs_z).copy()))
    ours_losses = [ours() for _ in range(3)]
    theirs_losses = [theirs() for _ in range(3)]
    np.testing.assert_allclose(ours_losses, theirs_losses, rtol=1e-4)
    assert ours_losses[0] != ours_losses[2]  # the weights moved


def test_bench_dcgan_without_pytorch_still_reports_peak_memory(capsys, monkeypatch):
    from minigan.benchmarks import dcgan  # noqa: PLC0415

    monkeypatch.setattr(common, "SETTLE_S", 0.0)
    monkeypatch.setattr(dcgan, "minigan_step", lambda *a, **kw: (lambda: np.ones(1000), None, None))
    monkeypatch.setattr(dcgan, "torch_device", lambda device: (None, "PyTorch not installed: no comparison"))
    result = dcgan.main(repeats=1)
    out = capsys.readouterr().out
    assert "peak resident memory of this whole process" in out and "PyTorch not installed" in out
    assert "MiB allocated in one iteration" in out and "ratio" not in result
    assert "RESULT dcgan device=cpu minigan_ms=" in out


def test_bench_toy_quality_says_how_many_threads_its_cpu_times_add_up(capsys, monkeypatch):
    from minigan.benchmarks import toy_quality  # noqa: PLC0415

    run = {"modes": 8, "num_modes": 8, "hq": 0.9, "seconds": 2.0, "cpu_seconds": 3.0}
    monkeypatch.setattr(toy_quality, "run_cell", lambda dataset, overrides, seeds: [run] * len(seeds))
    for threads, note in ((2, True), (1, False)):
        monkeypatch.setattr(common, "numpy_blas_threads", lambda: threads)
        toy_quality.main(repeats=2, rows=["default"], datasets=["ring"])
        out = capsys.readouterr().out
        assert out.startswith("NumPy's BLAS: ")
        assert ("OPENBLAS_NUM_THREADS=1 makes them one core's" in out) == note
        assert "| default | ring | 8.0 (min 8) | 90.0% (min 90.0%) | 2 s wall, 3 s CPU |" in out


@pytest.mark.parametrize("what", ["conv", "toy", "dcgan", "toy_quality", "dcgan_torch"])
def test_the_bench_command_runs_each_benchmark_with_its_device_and_repeats(what, monkeypatch):
    # (found by line coverage: the tests above call the benchmarks' main directly, never the command)
    import importlib

    from minigan import cli

    calls = []
    module = importlib.import_module(f"minigan.benchmarks.{what}")
    monkeypatch.setattr(module, "main", lambda **kwargs: calls.append(kwargs))
    assert cli.main(["bench", what, "--repeats", "3"]) == 0
    assert calls == [{"device": "cpu", "repeats": 3}]
