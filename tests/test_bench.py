"""The benchmarks run and report sane numbers (their speed targets are not asserted here)."""

import pytest

from minigan.benchmarks import conv, toy


def test_bench_conv_reports_every_layer_against_the_matmul_peak(capsys):
    rows = conv.main(repeats=1)
    out = capsys.readouterr().out
    assert [r["layer"] for r in rows] == [name.strip() for name, *_ in conv.SHAPES]
    peak = rows[0]["gflops"] / rows[0]["peak_fraction"]  # one matmul peak, measured in the same run
    assert peak > 0
    for r in rows:
        assert r["ms"] > 0
        assert r["gflops"] / r["peak_fraction"] == pytest.approx(peak)
    assert "RESULT conv device=cpu" in out and "conv64_128_peak_fraction=" in out


def test_bench_toy_reports_a_ratio_when_torch_is_installed(capsys):
    result = toy.main(repeats=5)
    assert result["minigan_ms"] > 0
    out = capsys.readouterr().out
    assert "RESULT toy device=cpu" in out
    try:
        import torch  # noqa: F401
    except ImportError:
        assert "ratio" not in result
    else:
        assert result["ratio"] == pytest.approx(result["minigan_ms"] / result["torch_ms"])
