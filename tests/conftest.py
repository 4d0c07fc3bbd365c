"""Shared test setup: one switch picks the device(s) every device test runs on.

    python -m pytest                         # cpu, plus cuda cases (skipped without a GPU)
    MINIGAN_TEST_DEVICE=cuda python -m pytest   # the whole device-parametrized suite on cuda
    python -m pytest --device cpu            # same switch as a pytest option
    MINIGAN_FAKE_CUPY=1 MINIGAN_TEST_DEVICE=cuda python -m pytest
                                             # the cuda cases through tests/fake_cupy, a NumPy
                                             # stand-in that keeps CuPy's rules (no GPU needed)

Tests that take the `device` fixture are parametrized over the chosen devices;
they are never copied per device.
"""

import os
import sys
from pathlib import Path

import numpy as np
import pytest

if os.environ.get("MINIGAN_FAKE_CUPY") == "1":  # before minigan first imports cupy (it does so lazily)
    sys.path.insert(0, str(Path(__file__).parent / "fake_cupy"))

import minigan  # noqa: E402


def pytest_addoption(parser):
    parser.addoption(
        "--device",
        default=os.environ.get("MINIGAN_TEST_DEVICE", "cpu,cuda"),
        help="comma-separated devices for device tests: cpu, cuda (default: env MINIGAN_TEST_DEVICE or 'cpu,cuda')",
    )


def _devices(config):
    return [d.strip() for d in config.getoption("--device").split(",") if d.strip()]


def pytest_generate_tests(metafunc):
    if "device" in metafunc.fixturenames:
        metafunc.parametrize("device", _devices(metafunc.config), indirect=True)


@pytest.fixture
def device(request):
    name = request.param
    if name == "cuda" and not minigan.cuda_is_available():
        pytest.skip("no usable CUDA GPU here (CuPy missing or no device): CUDA cases run with MINIGAN_TEST_DEVICE=cuda on a GPU")
    return name


@pytest.fixture(autouse=True)
def _seed():
    minigan.manual_seed(0)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def pytest_runtest_logreport(report):
    """With MINIGAN_FAILURE_LOG=path, append each failure to that file as soon as it happens.

    `tests/gpu_check.sh` uses it: a run cut short by its time limit on a lent GPU still leaves
    every failure seen so far, traceback included (pytest prints its own summary only at the end).
    Under pytest-xdist the controller receives every worker's reports, so only it writes."""
    path = os.environ.get("MINIGAN_FAILURE_LOG")
    if not path or not report.failed or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    with open(path, "a") as log:
        log.write(f"FAILED {report.nodeid} ({report.when})\n{report.longreprtext[-4000:]}\n\n")
