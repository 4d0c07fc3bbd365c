"""The benchmarks run and report sane numbers (their speed targets are not asserted here)."""

import math

import numpy as np
import pytest

from minigan.benchmarks import conv, toy


def test_bench_conv_reports_every_layer_against_the_matmul_peak(capsys):
    rows = conv.main(repeats=1)
    out = capsys.readouterr().out
    assert [r["layer"] for r in rows] == [name.strip() for name, *_ in conv.SHAPES]
    peak = rows[0]["gflops"] / rows[0]["peak_fraction"]  # one matmul peak, measured in the same run
    assert math.isfinite(peak)  # (times are measured, never compared with a bound: a benchmark, not a test)
    flops = [conv._flops(*shape[1:]) for shape in conv.SHAPES]  # GFLOP/s = the layer's FLOPs over its time
    for r, f in zip(rows, flops):
        assert r["gflops"] == pytest.approx(f / (r["ms"] * 1e6))
    assert flops[1] == 2 * 64 * 7 * 7 * 64 * 128 * 16 * 3  # 64 -> 128: output pixels x MACs each, x2, x3 products
    for r in rows:
        assert math.isfinite(r["ms"])
        assert r["gflops"] / r["peak_fraction"] == pytest.approx(peak)
    assert "RESULT conv device=cpu" in out and "conv64_128_peak_fraction=" in out


def test_bench_toy_reports_a_ratio_when_torch_is_installed(capsys):
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
        interleaved_medians({"a": lambda: calls.append(1)}, repeats, warmup=0)
        assert len(calls) == repeats
