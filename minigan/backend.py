"""The array backend: the one module that knows NumPy from CuPy.

Everything else in minigan asks this module for an array module (``xp``) and
never imports NumPy-vs-CuPy logic itself. Two devices exist:

* ``"cpu"``  -> NumPy arrays
* ``"cuda"`` -> CuPy arrays (optional; ``pip install "minigan[gpu]"``)

CuPy is imported lazily, the first time something asks for ``"cuda"``, and
the import is guarded against *any* exception: CuPy can be installed and still
unusable (no driver, no GPU, wrong CUDA version).

Besides picking ``xp`` this module holds the few operations that differ
between the two libraries: scatter-add, strided sliding windows,
moving arrays between devices, and one seeded random generator per device;
and, for the CPU, what runs NumPy's matrix products (``numpy_blas``) and an
allocator setting for speed (``reuse_freed_memory``).

A device is a ``Device``: the plain string ``"cpu"`` or ``"cuda"`` with
torch.device's ``.type`` and ``.index`` added, so that minigan's code (and a
learner's) can go on comparing it with strings while ported PyTorch code asks
``x.device.type``.
"""

import numbers
import sys
from contextlib import contextmanager

import numpy as np

DEVICES = ("cpu", "cuda")
GPU_INSTALL_HINT = 'install a CUDA build of CuPy with: pip install "minigan[gpu]"'

# Module-level cache of the CuPy import: None = not tried yet.
_cupy = None
_cupy_error = None


def _import_cupy():
    """Import CuPy once; remember why it failed if it did."""
    global _cupy, _cupy_error
    if _cupy is None and _cupy_error is None:
        try:
            import cupy  # noqa: PLC0415 (lazy on purpose)

            if not cupy.cuda.is_available():
                raise RuntimeError("CuPy is installed but sees no CUDA GPU")
            cupy.zeros(1)  # touch the device once: fails here, not mid-training
            _cupy = cupy
        except Exception as e:  # noqa: BLE001  (an unusable CuPy fails in many ways)
            _cupy_error = f"{type(e).__name__}: {e}"
    return _cupy


def cuda_is_available():
    """True when CuPy imports and a CUDA GPU answers. Never raises."""
    try:
        return _import_cupy() is not None
    except Exception:  # noqa: BLE001
        return False


class Device(str):
    """A device as minigan names it: the string "cpu" or "cuda", plus torch.device's ``.type`` and ``.index``.

    minigan's devices have always been plain strings, and code everywhere compares them with strings
    (``x.device == "cpu"``, ``device in ("cpu", "cuda")``), keys dicts with them, writes them to JSON
    and prints them in messages (``f"on '{x.device}'"``). Ported PyTorch code asks ``x.device.type``
    instead. A str subclass serves both: a Device *is* its string (equality, hash, ``repr``, ``str``,
    f-strings and ``json.dumps`` are the plain string's, so nothing that compared or printed a device
    changes), and it adds two read-only properties:

    * ``type``: "cpu" or "cuda" (a plain str);
    * ``index``: None on the CPU (as a CPU tensor's in torch). For a CUDA array, the id of the GPU
      CuPy put it on (0 unless the script chose another with ``cupy.cuda.Device(i).use()``): CuPy
      records it on the host with the array, so reading it never waits for the GPU.
      ``device("cuda")`` has index None and ``device("cuda:0")`` index 0, as in torch.

    The string is the type alone, so devices compare by type: ``device("cuda") == device("cuda:0")``,
    where torch says they differ. minigan computes on one GPU, so nothing can tell two CUDA devices
    apart by name anyway ("cuda:1" is refused by ``device``).

    ``.index`` hides str's substring search ``str.index`` on a device (torch.device has no such method,
    and no code searches a device name for a substring).

    The same few instances are handed out for every tensor (``device_of`` makes none per call), so they
    cannot be changed: setting an attribute is an error, and copies are the object itself. Make one with
    ``device(...)``; ``Device(type, index)`` is the plain constructor underneath.
    """

    def __new__(cls, type, index=None):  # noqa: A002  (torch.device's argument name)
        if type not in DEVICES or not (index is None or (isinstance(index, int) and not isinstance(index, bool)
                                                          and index >= 0 and type == "cuda")):
            raise ValueError(f"Device: the type must be 'cpu' or 'cuda' and the index None, or an int >= 0 "
                             f"for 'cuda'; got {type!r}, {index!r} (minigan.device('cuda:0') parses a name)")
        self = super().__new__(cls, type)
        object.__setattr__(self, "_type", str(type))  # (an exact str, as torch's .type)
        object.__setattr__(self, "_index", index)
        return self

    @property
    def type(self):
        """ "cpu" or "cuda", a plain str."""
        return self._type

    @property
    def index(self):
        """None on the CPU; for CUDA the GPU's id (None for ``device("cuda")``, as torch.device("cuda"))."""
        return self._index

    def __setattr__(self, name, value=None):  # (and __delattr__, which is given no value)
        raise AttributeError(f"a minigan device cannot be changed (the same one is shared by every tensor on "
                             f"'{self}'); make another with minigan.device(...)")

    __delattr__ = __setattr__

    def __reduce__(self):  # pickle (DataLoader workers, multiprocessing): the type and index, not the attributes
        return Device, (self._type, self._index)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


# The devices handed out: device_of returns these rather than making a Device per call (it is on hot paths).
_CPU = Device("cpu")
_CUDA = Device("cuda")  # device("cuda"): no index, as torch.device("cuda")
_CUDA_0 = Device("cuda", 0)  # device("cuda:0"), and any array on GPU 0


def device(type, index=None):  # noqa: A002  (torch.device's argument names)
    """torch.device's role: a device name checked and turned into a ``Device`` ("cuda:0" -> "cuda", index 0).

    Accepted: "cpu", "cuda", "cuda:0" (and "cpu:0", as torch accepts it: the CPU, index None), the
    two-argument form ``device("cuda", 0)``, or a Device, returned as it is. minigan computes on one
    GPU, so "cuda:1" is refused rather than quietly meaning GPU 0. Anything else is a ValueError that
    says what is accepted.

    ``device = minigan.device("cuda" if minigan.cuda.is_available() else "cpu")``, then ``.to(device)``.
    Whether a GPU is usable is checked when a tensor goes there, as in torch.
    """
    if index is None and isinstance(type, Device):
        return type
    name = str(type) if index is None else f"{type}:{index}"
    kind, _, number = name.partition(":")
    if kind not in DEVICES or number not in ("", "0"):  # one GPU: "cuda:1" would quietly be GPU 0
        raise ValueError(f"unknown device {name!r}: use 'cpu' or 'cuda' (minigan uses one GPU, 'cuda' = 'cuda:0')")
    if kind == "cpu":
        return _CPU
    return _CUDA_0 if number else _CUDA


def check_device(name):
    """The ``Device`` for a name ("cpu", "cuda", "cuda:0", a Device; None: the default device), checked usable."""
    if name is None:
        return _default_device
    name = device(name)
    if name == "cuda" and _import_cupy() is None:
        raise RuntimeError(
            f"device 'cuda' is not usable here ({_cupy_error}); "
            f"run on device='cpu', or {GPU_INSTALL_HINT} on a machine with an NVIDIA GPU"
        )
    return name


_default_device = _CPU


def set_default_device(device):
    """Set the device new tensors land on when none is given ("cpu" or "cuda")."""
    global _default_device
    _default_device = check_device(device)


def get_default_device():
    """The device new tensors land on when none is given."""
    return _default_device


def xp_for_device(device):
    """The array module (numpy or cupy) for a device name."""
    return np if device == "cpu" else _import_cupy()


def device_of(array):
    """The ``Device`` of an array: "cpu" for a NumPy array (or scalar), "cuda" for a CuPy array.

    One of the module's Device constants, never a new object. A CuPy array's is "cuda" with index 0:
    minigan computes on one GPU (``device`` refuses "cuda:1"), so the array's own GPU is not asked for,
    which would cost host time in every op.
    """
    if isinstance(array, (np.ndarray, np.generic)) or _cupy is None:
        return _CPU
    return _CUDA_0 if isinstance(array, _cupy.ndarray) else _CPU


def xp_of(array):
    """The array module that owns this array."""
    # (not through device_of: picking the module needs no Device, and this runs for nearly every op)
    return _cupy if _cupy is not None and isinstance(array, _cupy.ndarray) else np


def asarray(data, dtype=None, device="cpu"):
    """Turn data (lists, scalars, NumPy or CuPy arrays) into an array on `device`."""
    if device == "cpu":
        if _cupy is not None and isinstance(data, _cupy.ndarray):
            data = data.get()  # explicit device -> host copy
        return np.asarray(data, dtype=dtype)
    cp = _import_cupy()
    return cp.asarray(data, dtype=dtype)


def scalar(value, dtype, device):
    """A 0-d array holding `value` on `device`.

    On CUDA it is filled by a kernel, so a constant like the 0.5 in ``x * 0.5``
    costs no host-to-device copy.
    """
    if device == "cpu":
        return np.asarray(value, dtype=dtype)
    return _import_cupy().full((), value, dtype=dtype)


def to_device(array, device):
    """Move an array to `device` (a no-op when it is already there)."""
    device = check_device(device)
    if device_of(array) == device:
        return array
    return asarray(array, device=device)


def to_numpy(array):
    """An explicit copy to host memory as a NumPy array (no-op for NumPy)."""
    if isinstance(array, np.ndarray):
        return array
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy.asnumpy(array)
    return np.asarray(array)


# --------------------------------------------------------------------- random
# One seeded generator per device. `manual_seed` resets all of them.
_generators = {}
_seed = None


def _whole_seed(seed, who):
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"{who}: the seed must be a whole number >= 0, got {seed!r}")
    return int(seed)


def manual_seed(seed):
    """Seed every device's random generator (like torch.manual_seed)."""
    global _seed
    _seed = _whole_seed(seed, "manual_seed")
    _generators.clear()


def manual_seed_cuda(seed):
    """Seed the CUDA generator alone (like torch.cuda.manual_seed); nothing where no GPU is usable.

    The CUDA generator is replaced by the one ``manual_seed(seed)`` would make for it, so GPU draws
    after ``manual_seed_cuda(s)`` are those after ``manual_seed(s)``; the CPU's generator, and the seed
    ``get_rng_state`` records, are left as they are. The seed is checked everywhere, so a script that
    passes a bad one fails on a laptop as it would on the GPU machine. Asking whether a GPU is usable
    imports CuPy (once), as ``cuda_is_available`` does: a seed given before the first tensor goes to
    the GPU must not be lost (torch keeps such a seed for its lazy CUDA start).
    """
    seed = _whole_seed(seed, "cuda.manual_seed")
    if cuda_is_available():
        _generators["cuda"] = _cupy.random.default_rng(seed)


def generator(device):
    """The random generator for a device, created from the last manual_seed."""
    gen = _generators.get(device)
    if gen is None:
        xp = xp_for_device(device)
        seed = _seed if _seed is not None else np.random.SeedSequence().entropy
        gen = xp.random.default_rng(seed)
        _generators[device] = gen
    return gen


def standard_normal(device, shape, dtype):
    """N(0, 1) samples of a float dtype from the device's generator.

    On the CPU this is the Box-Muller transform: two uniforms u1, u2 give two
    independent normals  r cos(t), r sin(t)  with  r = sqrt(-2 log(1 - u1)),
    t = 2 pi u2.  Written with whole-array NumPy operations it is about 3x
    faster than NumPy's own standard_normal for float32 noise batches (the
    generator's noise is a large share of a toy GAN iteration). CuPy's own
    sampler is already fast on the GPU.
    """
    gen = generator(device)
    if device != "cpu":
        return gen.standard_normal(shape, dtype=dtype)
    n = int(np.prod(shape))
    half = (n + 1) // 2
    r = gen.random(half, dtype=dtype)  # u1
    np.negative(r, out=r)
    np.log1p(r, out=r)  # log(1 - u1): 1 - u1 is in (0, 1], so the log is finite
    r *= -2.0
    np.sqrt(r, out=r)
    angle = gen.random(half, dtype=dtype)
    angle *= 2.0 * np.pi  # t = 2 pi u2
    out = np.empty(2 * half, dtype=dtype)
    np.cos(angle, out=out[:half])
    np.sin(angle, out=out[half:])
    out[:half] *= r
    out[half:] *= r
    return out[:n].reshape(shape)


@contextmanager
def fork_rng(seed):
    """Run a block with every generator seeded to `seed`, then put the old generators back.

    Like torch.random.fork_rng followed by a manual_seed inside it: evaluations
    and pictures draw their own noise without changing what training draws next.
    Nothing is copied.
    """
    global _seed
    saved_seed, saved = _seed, dict(_generators)
    manual_seed(seed)
    try:
        yield
    finally:
        _seed = saved_seed
        _generators.clear()
        _generators.update(saved)


def get_rng_state():
    """Every device generator's state (saved in checkpoints, for an exact resume).

    The CPU generator's state is plain Python values. CuPy's generator has no
    public state API: its state is one device buffer of cuRAND states (about
    13 MB on an H100), which is copied to the host here, explicitly.
    """
    state = {"seed": _seed, "cpu": _stringify_ints(generator("cpu").bit_generator.state)}
    buffer = _cuda_state_buffer(_generators.get("cuda"))
    if buffer is not None:
        state["cuda"] = to_numpy(buffer)
    return state


def set_rng_state(state):
    """Restore what `get_rng_state` returned.

    A CUDA state restores onto a GPU with the same number of multiprocessors
    (the buffer's size depends on it); on another GPU the generator is
    re-seeded instead, with a warning, and the run is no longer bit-identical.
    On a machine without a GPU the CUDA state is not needed and is ignored.
    """
    global _seed
    _seed = state.get("seed")
    gen = np.random.default_rng()
    gen.bit_generator.state = _unstringify_ints(state["cpu"])
    _generators.clear()
    _generators["cpu"] = gen
    saved = state.get("cuda")
    if saved is not None and cuda_is_available():
        buffer = _cuda_state_buffer(generator("cuda"))
        if buffer is not None and buffer.shape == saved.shape and buffer.dtype == saved.dtype:
            buffer[...] = _cupy.asarray(saved)  # explicit host -> device copy
        else:
            import warnings  # noqa: PLC0415

            warnings.warn(
                "the checkpoint's CUDA random state comes from a different GPU (or CuPy version); "
                "the CUDA generator was re-seeded, so this resume is not bit-identical",
                RuntimeWarning,
                stacklevel=2,
            )


def _cuda_state_buffer(gen):
    """The device array holding a CuPy generator's cuRAND states (None if not found).

    CuPy keeps it in the bit generator's ``_state`` attribute (an int8 array);
    it is private, so anything unexpected gives None rather than an error.
    """
    if gen is None or _cupy is None:
        return None
    buffer = getattr(getattr(gen, "bit_generator", None), "_state", None)
    return buffer if isinstance(buffer, _cupy.ndarray) else None


def _stringify_ints(obj):
    # PCG64 states are 128-bit integers: keep them exact as strings.
    if isinstance(obj, dict):
        return {k: _stringify_ints(v) for k, v in obj.items()}
    if isinstance(obj, int) and not isinstance(obj, bool):
        return f"int:{obj}"
    return obj


def _unstringify_ints(obj):
    if isinstance(obj, dict):
        return {k: _unstringify_ints(v) for k, v in obj.items()}
    if isinstance(obj, str) and obj.startswith("int:"):
        return int(obj[4:])
    return obj


# ------------------------------------------------- backend-specific array ops
def scatter_add(target, index, values):
    """target[index] += values, adding repeated indices; the same sums every run, on either device.

    NumPy's ``add.at`` adds the values one after another in index order. CuPy's adds them with atomic
    operations, in whatever order the GPU's threads come, so a position indexed three or more times
    could get float sums that differ in the last bits from run to run; on a GPU each position's values
    are summed first in a fixed order (``_sorted_scatter_add``).
    """
    if device_of(target) == "cpu":
        np.add.at(target, index, values)
    else:
        _sorted_scatter_add(target, index, values)
    return target


def _sorted_scatter_add(target, index, values):
    """``scatter_add`` in a fixed order: sort the values by the position they go to, sum each run of one position
    (a segmented prefix sum by doubling: log2(n) passes, each adding the partial sum d places back unless a run
    starts in between), then add each run's total at its position. Then every position gets one nonzero value and
    zeros, so even atomic additions give one answer. Nothing is read back to the host. `target` is C-contiguous."""
    xp = xp_of(target)
    positions, sums, ends = _by_position(target, index, values)  # (sums: a copy, summed in place)
    n = positions.size
    starts = xp.ones(n, dtype=bool)  # a run of one position starts here
    starts[1:] = ends[:-1]
    zero, step = sums.dtype.type(0), 1  # (a zero of the sums' dtype: no promotion to float64 anywhere)
    while step < n:  # sums[i]: the sum from its run's start (or i - 2 step + 1) to i
        sums[step:] = sums[step:] + xp.where(starts[step:], zero, sums[:-step])
        starts[step:] = starts[step:] | starts[:-step]  # now: a run starts within the last 2 step places
        step *= 2
    xp.add.at(target.reshape(-1), positions, xp.where(ends, sums, zero))


def assign(target, index, values):
    """target[index] = values, where a position that an integer index repeats gets the last of its values.

    NumPy writes the values one after another, so the last one stays; CuPy's threads write them in no fixed order,
    so any one could. On a GPU an index holding integer arrays, given more than one value, is sorted by position
    (stably) and only each position's last value is written: the same result as NumPy's, every run.
    """
    if device_of(target) == "cpu" or not _integer_arrays_in(index) or np.size(values) == 1:
        target[index] = values  # (one value: every repeat writes the same)
        return
    xp = xp_of(target)
    positions, values, last = _by_position(target, index, xp.asarray(values))
    target[xp.unravel_index(positions[last], target.shape)] = values[last]


def _integer_arrays_in(index):
    parts = index if isinstance(index, tuple) else (index,)
    return any(getattr(part, "dtype", None) is not None and part.dtype.kind in "iu" and part.ndim > 0 for part in parts)


def _by_position(target, index, values):
    """The entries of ``target[index] = values`` in order of the flat position they go to, the index's order kept
    among repeats (a stable sort: CuPy's always is, NumPy's default is not): (positions, values of target's dtype,
    and a mask of the last entry of each position's run)."""
    xp = xp_of(target)
    picked = _flat_positions(xp, target.shape, index)  # where in target.ravel() each value goes
    positions = picked.reshape(-1)
    values = xp.broadcast_to(values, picked.shape).reshape(-1).astype(target.dtype, copy=False)
    order = xp.argsort(positions, kind="stable")
    positions, values = positions[order], values[order]  # (copies)
    last = xp.ones(positions.size, dtype=bool)
    last[:-1] = positions[1:] != positions[:-1]
    return positions, values, last


def _flat_positions(xp, shape, index):
    """The position in an array of `shape`, raveled, of each entry of ``a[index]``, for any index NumPy takes.

    Row-major: position = (...(i0 * n1 + i1) * n2 + i2 ...), each axis's coordinates picked from a
    zero-stride view of ``arange(n)``, so the memory used is that of the picked entries and one ``arange`` per
    axis, not that of the array (an embedding's gradient picks a few rows of a large table).
    """
    if not shape:  # a 0-d array: its one entry is at position 0
        return xp.zeros((), dtype=np.int64)[index]
    positions = None
    for axis, n in enumerate(shape):
        along = xp.arange(n, dtype=np.int64).reshape((n,) + (1,) * (len(shape) - axis - 1))
        coords = xp.broadcast_to(along, shape)[index]
        positions = coords if positions is None else positions * n + coords
    return positions


def sliding_windows(x, kh, kw, sh, sw):
    """A strided, zero-copy view of every (kh, kw) window of a 4-D array.

    (N, C, H, W) -> (N, C, OH, OW, kh, kw), windows taken every (sh, sw) pixels.
    """
    xp = xp_of(x)
    n, c, h, w = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    s0, s1, s2, s3 = x.strides
    shape = (n, c, oh, ow, kh, kw)
    strides = (s0, s1, s2 * sh, s3 * sw, s2, s3)
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


# ------------------------------------------------------------ memory layouts
# A convolution's output lies in memory as (C, H, W, N), batch axis innermost,
# and is handed on as an (N, C, H, W) view of that memory: the values and
# shape PyTorch gives, in another order in memory (see minigan.conv). NumPy's
# elementwise operations lay their result out like their inputs, so a whole
# stack of convolutions, batch norms and activations stays that way without a
# copy. One elementwise operation on two arrays laid out differently is
# correct but about 10x slower (one of them is read with a large stride), so
# where the two layouts meet, at a reshape between a convolution and a Linear
# layer, the gradient is laid out like the input (``layout_like``).
def is_batch_innermost(a):
    """Whether `a`'s first axis is innermost in memory, the others in order: (C, H, W, N) memory as (N, C, H, W)."""
    return a.ndim >= 2 and a.transpose(*range(1, a.ndim), 0).flags.c_contiguous


def transposed_copy(matrix):
    """A contiguous copy of matrix.T for a 2-D array; on the CPU in tiles when that is faster.

    NumPy copies the transpose of a wide matrix fast, but that of a tall one
    (many short rows, such as (C*H*W, N)) up to 10x slower once it outgrows
    the CPU cache, reading numbers a whole row apart. Tiles of about 8k
    numbers stay in the cache. On a GPU the single copy is the fast way (one
    kernel, not many).
    """
    xp = xp_of(matrix)
    m, n = matrix.shape
    if device_of(matrix) != "cpu" or m < n or n == 0:
        return xp.ascontiguousarray(matrix.T)
    out = xp.empty((n, m), dtype=matrix.dtype)
    step = max(1, 8192 // n)  # rows of `matrix` per tile
    for start in range(0, m, step):
        out[:, start : start + step] = matrix[start : start + step].T
    return out


def batch_innermost(a):
    """`a` laid out with its first axis innermost (see ``is_batch_innermost``): a copy only if it is not already."""
    if is_batch_innermost(a):
        return a
    rest = a.shape[1:]
    rows = transposed_copy(a.reshape(a.shape[0], -1))  # (everything else, N)
    return rows.reshape(*rest, a.shape[0]).transpose(a.ndim - 1, *range(a.ndim - 1))


def c_contiguous(a):
    """`a` as a C-contiguous array: a copy only if it is not already (in tiles if it is batch-innermost)."""
    if a.flags.c_contiguous:
        return a
    if is_batch_innermost(a):
        rows = a.transpose(*range(1, a.ndim), 0).reshape(-1, a.shape[0])  # a view: (everything else, N)
        return transposed_copy(rows).reshape(a.shape)
    return xp_of(a).ascontiguousarray(a)


def layout_like(a, like):
    """The values of `a` laid out in memory like `like` (same shape): batch-innermost or C-contiguous.

    Any other layout of `like` leaves `a` as it is.
    """
    if a.ndim < 2 or (a.flags.c_contiguous and like.flags.c_contiguous):
        return a
    if is_batch_innermost(like):
        return batch_innermost(a)
    if like.flags.c_contiguous:
        return c_contiguous(a)
    return a


# Adam's update as one CUDA kernel: the arithmetic of optim.Adam's NumPy lines, in the same
# order, on each element (p, m, v are updated in place). Compiled by CuPy on first use.
_ADAM_CUDA_SOURCE = """
m = b1 * m + one_minus_b1 * g;
v = b2 * v + one_minus_b2 * g * g;
p -= step_size * (m / (sqrt(v) * inv_sqrt_bias2 + eps));
"""
_adam_kernel = None


def adam_update(p, g, m, v, b1, one_minus_b1, b2, one_minus_b2, step_size, inv_sqrt_bias2, eps):
    """One Adam step on GPU arrays in a single fused kernel (optim.Adam calls it on CUDA)."""
    global _adam_kernel
    if _adam_kernel is None:
        _adam_kernel = _import_cupy().ElementwiseKernel(
            "T g, T b1, T one_minus_b1, T b2, T one_minus_b2, T step_size, T inv_sqrt_bias2, T eps",
            "T p, T m, T v",
            _ADAM_CUDA_SOURCE,
            "minigan_adam_update",
        )
    _adam_kernel(g, b1, one_minus_b1, b2, one_minus_b2, step_size, inv_sqrt_bias2, eps, p, m, v)


def synchronize(device):
    """Wait until the device has finished its queued work (no-op on the CPU); for timing."""
    if device != "cpu":
        xp_for_device(device).cuda.Device().synchronize()


def cuda_device_count():
    """How many CUDA GPUs CuPy sees; 0 where none is usable (CuPy missing, no driver, no GPU). Never raises."""
    if not cuda_is_available():
        return 0
    try:
        return int(_cupy.cuda.runtime.getDeviceCount())
    except Exception:  # noqa: BLE001  (as cuda_is_available: an answer, never an error)
        return 0


def cuda_current_device():
    """The id of the GPU CuPy computes on now (0 unless changed with cupy.cuda.Device(i).use()).

    An error where no GPU is usable (check_device's, with the reason), as torch.cuda.current_device.
    """
    check_device("cuda")
    return int(_cupy.cuda.Device().id)  # the CUDA runtime's current device: no synchronisation


def empty_cache():
    """Give the GPU memory that CuPy's pool keeps for reuse back to the driver (torch.cuda.empty_cache).

    CuPy, like PyTorch, keeps freed device memory in a pool for the next arrays of the same sizes;
    this releases the pool's unused blocks (arrays still alive keep theirs), e.g. so another process
    or ``nvidia-smi`` sees the memory free. Where minigan has not loaded CuPy (no GPU, or nothing asked
    for "cuda" yet) its pool holds nothing of minigan's: nothing is done, and CuPy is not imported.
    """
    if _cupy is not None:  # (set only once CuPy imported and a GPU answered)
        _cupy.get_default_memory_pool().free_all_blocks()


def reuse_freed_memory():
    """Ask glibc's malloc to keep freed memory for reuse; returns whether it could (Linux only).

    By default glibc gives buffers of more than about 128 KiB back to the
    operating system as soon as they are freed (its threshold then adapts, but
    only up to 32 MiB and only after such a buffer was freed), so the next training step's arrays,
    the same sizes again, start as fresh pages that fault in one at a time (the
    kernel zeroes each). Keeping freed memory makes a toy GAN iteration about 15%
    faster and a DCGAN iteration about 10% (measured on the 2-core CPU machine).
    It changes this process's allocator, so the library never does it on its own:
    the `minigan` command calls it at start; a script or notebook may call it too.
    """
    import ctypes

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return False
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3  # from <malloc.h>
    ok = mallopt(m_mmap_threshold, 32 << 20)  # buffers up to 32 MiB (glibc's maximum) come from the heap
    ok = ok and mallopt(m_trim_threshold, 512 << 20)  # and freed heap memory is kept, up to 512 MiB
    ok = ok and mallopt(m_top_pad, 64 << 20)  # grow the heap in 64 MiB steps
    return bool(ok)


def _numpy_build_blas():
    """The BLAS NumPy was built with, by NumPy's own record (NumPy >= 1.26): e.g. "accelerate", "" if unknown."""
    import numpy as np

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (TypeError, KeyError, AttributeError):  # older NumPy: no mode="dicts"
        return ""
    return " ".join(str(blas[key]) for key in ("name", "version") if blas.get(key))


def numpy_blas(info=None, environ=None, build=None):
    """What runs NumPy's matrix products, in words: e.g. "OpenBLAS 0.3.31, SkylakeX kernel, 2 threads".

    OpenBLAS picks a kernel (the inner loop of its matrix product) for the CPU
    it finds; the environment variable OPENBLAS_CORETYPE overrides that choice
    (some machines set it because older OpenBLAS builds misbehave on new CPUs).
    A forced older kernel can leave the CPU's widest vector units idle: on the
    2-core AVX-512 machine this project ran on until 4 Dec 2026,
    OPENBLAS_CORETYPE=Haswell halved the speed of every float32 matrix product.
    So the benchmarks, `train mnist --dry-run` and each run's ``config.json``
    say which kernel ran and whether the environment chose it. `info` and
    `environ` stand in for threadpoolctl's report and ``os.environ``, `build`
    for NumPy's record of its BLAS (tests).
    Where threadpoolctl does not see NumPy's BLAS (Apple's Accelerate, which
    macOS wheels use), the line names what NumPy was built with.
    """
    import os

    environ = os.environ if environ is None else environ
    if info is None:
        try:
            from threadpoolctl import threadpool_info  # scikit-learn's dependency
        except ImportError:
            return "NumPy's BLAS: unknown (threadpoolctl is not installed)"
        info = threadpool_info()
    blas = [lib for lib in info if lib.get("user_api") == "blas"]
    ours = [lib for lib in blas if "numpy" in str(lib.get("filepath", ""))]  # not PyTorch's or SciPy's
    if not ours:
        build = _numpy_build_blas() if build is None else build
        if build:
            return f"NumPy's BLAS: {build} (as NumPy was built; its threads and kernel are not reported)"
        return "NumPy's BLAS: not found by threadpoolctl"
    lib = ours[0]
    name = {"openblas": "OpenBLAS", "mkl": "MKL", "blis": "BLIS"}.get(lib.get("internal_api"), lib.get("internal_api"))
    kernel = f", {lib['architecture']} kernel" if lib.get("architecture") else ""
    version = f" {lib['version']}" if lib.get("version") else ""
    threads = lib.get("num_threads")
    line = f"NumPy's BLAS: {name}{version}{kernel}, {threads} thread{'' if threads == 1 else 's'}"
    forced = environ.get("OPENBLAS_CORETYPE")
    if name == "OpenBLAS" and forced:
        line += (f" (chosen by OPENBLAS_CORETYPE={forced} in the environment, not by OpenBLAS for this CPU; "
                 "its own choice may be faster: to compare, unset it (and OPENBLAS_L2_SIZE) before Python starts, "
                 "e.g. `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE minigan ...`)")
    return line
