"""The part of cupyx the tests use, for the NumPy stand-in of CuPy (see ../cupy/__init__.py)."""

import contextlib
import warnings

import cupy


DeviceSynchronized = cupy._DeviceSynchronized  # raised at a host read inside allow_synchronize(False)


@contextlib.contextmanager
def allow_synchronize(allow):
    """Inside ``allow_synchronize(False)`` any device synchronization (a host read) raises."""
    warnings.warn("cupyx.allow_synchronize will be removed in future releases as it is not possible to reliably "
                  "detect synchronizations.", stacklevel=3)  # as CuPy 14 warns, when the block is entered
    saved = cupy._sync_allowed[0]
    cupy._sync_allowed[0] = bool(allow)
    try:
        yield
    finally:
        cupy._sync_allowed[0] = saved
