"""``minigan.cuda.is_available()``, as ``torch.cuda.is_available()``, for the usual first line of a script:

    device = "cuda" if minigan.cuda.is_available() else "cpu"

Importing it does not import CuPy; asking does (once).
"""

from . import backend


def is_available():
    """True when CuPy imports and a CUDA GPU answers. Never raises."""
    return backend.cuda_is_available()


def synchronize():
    """Wait until the GPU has finished its queued work (for timing); an error where there is no GPU."""
    backend.synchronize("cuda")
