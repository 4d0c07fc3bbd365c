"""The PyTorch the tests compare against, and what its version can express.

minigan follows torch 2.13, the version CI installs (README). The lent GPU machine carries an older one (2.11 on
4 Dec 2026), which lacks some of what 2.13 added: batch, instance and group norm's ``bias=`` flag (and the
``bias=`` that 2.13's norm layers print), aminmax's gradient, LPPool's norm_type=inf as the largest magnitude. The
tests ask here instead of failing on the older peer's gaps; every minigan-side assertion still runs.
"""

import inspect
import re

import pytest

MIRRORED = (2, 13)  # the torch whose API and behaviour minigan follows


def torch_version():
    """The installed torch's (major, minor), e.g. (2, 13); skips the test where torch is not installed."""
    torch = pytest.importorskip("torch")
    return tuple(int(part) for part in re.findall(r"\d+", torch.__version__)[:2])


def needs_mirrored_torch(what):
    """Skip a comparison that only the torch minigan mirrors can make (an older one lacks or changed what it compares)."""
    torch = pytest.importorskip("torch")
    if torch_version() < MIRRORED:
        pytest.skip(f"compares with torch {MIRRORED[0]}.{MIRRORED[1]}'s {what}; this torch is {torch.__version__}")


def norms_take_bias():
    """torch 2.13's batch, instance and group norm take ``bias=`` (a weight without a bias); older ones do not."""
    torch = pytest.importorskip("torch")
    return "bias" in inspect.signature(torch.nn.BatchNorm2d.__init__).parameters


def as_this_torch_prints(text):
    """minigan's repr of a norm layer as this torch prints it: before 2.13, no ', bias=...' after '(elementwise_)affine'."""
    if norms_take_bias():
        return text
    return re.sub(r"(affine=(?:True|False)), bias=(?:True|False)", r"\1", text)
