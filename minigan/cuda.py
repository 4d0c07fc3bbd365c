"""``minigan.cuda``: the few ``torch.cuda`` functions a ported script calls, for the usual first lines of one:

    device = "cuda" if minigan.cuda.is_available() else "cpu"
    minigan.manual_seed(0); minigan.cuda.manual_seed_all(0)   # a seed-everything helper, as in torch

Importing it does not import CuPy; asking whether a GPU is usable does (once), and so
do the functions that need that answer (``manual_seed``, ``device_count``). Without a
usable GPU they behave as torch's do on a machine without one: ``manual_seed`` and
``empty_cache`` do nothing, ``device_count`` is 0, ``current_device`` and
``synchronize`` are errors.
"""

from . import backend


def is_available():
    """True when CuPy imports and a CUDA GPU answers. Never raises."""
    return backend.cuda_is_available()


def synchronize():
    """Wait until the GPU has finished its queued work (for timing); an error where there is no GPU."""
    backend.synchronize("cuda")


def manual_seed(seed):
    """Seed the GPU's random generator alone, as torch.cuda.manual_seed; silently nothing without a usable GPU.

    minigan keeps one random generator per device. ``minigan.manual_seed(seed)`` seeds them all (as
    torch.manual_seed does), and each is made from that seed when first used; this replaces only the
    CUDA generator, with the very one ``minigan.manual_seed(seed)`` would have made. So the CPU's
    draws go on unchanged, and GPU draws after ``minigan.cuda.manual_seed(s)`` are those after
    ``minigan.manual_seed(s)``. The seed must be a whole number >= 0 (checked with or without a GPU).
    """
    backend.manual_seed_cuda(seed)


def manual_seed_all(seed):
    """Seed every GPU's generator, as torch.cuda.manual_seed_all: minigan uses one GPU, so ``manual_seed(seed)``."""
    backend.manual_seed_cuda(seed)


def device_count():
    """How many CUDA GPUs CuPy sees (torch.cuda.device_count); 0 without a usable GPU. Never raises.

    minigan computes on one of them, the current one ('cuda' = 'cuda:0'; see ``current_device``):
    a count above 1 says what the machine has, not that minigan spreads work over the GPUs.
    """
    return backend.cuda_device_count()


def current_device():
    """The id of the GPU minigan computes on (torch.cuda.current_device): CuPy's current device, 0 unless
    changed with ``cupy.cuda.Device(i).use()``. An error naming the reason where no GPU is usable."""
    return backend.cuda_current_device()


def empty_cache():
    """Release the GPU memory CuPy's pool keeps for reuse (torch.cuda.empty_cache); arrays in use keep theirs.

    Nothing is done, and CuPy is not imported, where minigan never loaded it (no GPU, or no tensor on
    "cuda" yet and nobody asked ``is_available()``): then the pool holds nothing of minigan's.
    """
    backend.empty_cache()
