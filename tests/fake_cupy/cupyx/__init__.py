"""The part of cupyx the tests use, for the NumPy stand-in of CuPy (see ../cupy/__init__.py)."""

import contextlib

import cupy


DeviceSynchronized = cupy._DeviceSynchronized  # raised at a host read inside allow_synchronize(False)


@contextlib.contextmanager
def allow_synchronize(allow):
    """Inside ``allow_synchronize(False)`` any device synchronization (a host read) raises."""
    saved = cupy._sync_allowed[0]
    cupy._sync_allowed[0] = bool(allow)
    try:
        yield
    finally:
        cupy._sync_allowed[0] = saved
