"""`save` and `load`: nested dicts of arrays and plain values in one `.npz` file.

Loading never executes code: the file is a zip of `.npy` arrays read with
``allow_pickle=False`` plus one JSON document that describes the nesting.
Saving writes to a temporary file next to the target and renames it, so a
crash mid-write never leaves a half-written checkpoint behind.
"""

import json
import math
import os
import secrets
import stat
import struct
import time
import zipfile
import zlib

import numpy as np

from . import backend
from .autograd import Tensor

_META = "__minigan_meta__"
FORMAT = "minigan-checkpoint-v1"


class CheckpointError(ValueError):
    """A checkpoint file that is missing, truncated, foreign or does not fit."""


def _encode(obj, arrays, where="obj", inside=()):
    """Describe `obj` as JSON; arrays go to `arrays`, id(array) -> (generated name, host array).

    An array met twice (tied weights, one array under two keys) is stored once and loads as one array
    under both keys, as torch.load gives one tensor. `where` is `obj`'s place in the tree, such as
    "obj['opt']['state']", for the errors; `inside` holds the ids of the containers being encoded around
    `obj`, to catch one that holds itself.
    """
    if isinstance(obj, Tensor):
        obj = obj.data
    if hasattr(obj, "shape") and hasattr(obj, "dtype") and not isinstance(obj, np.generic):
        if not isinstance(obj.dtype, np.dtype):  # a torch.Tensor, say: np.asarray would fail or copy it silently
            raise TypeError(f"save: {where} is a {type(obj).__module__}.{type(obj).__name__}, an array minigan does "
                            "not store; convert it to a NumPy array first (a torch tensor: t.detach().cpu().numpy())")
        if obj.dtype.hasobject:  # NumPy would pickle it, and load (rightly) refuses pickles
            raise TypeError(f"save: {where} is an array of Python objects (dtype {obj.dtype}), which cannot be "
                            "stored; convert it to numbers or strings, or store a list instead")
        if isinstance(obj, np.ma.MaskedArray):  # np.save would keep its values and quietly drop its mask
            raise TypeError(f"save: {where} is a masked array, whose mask would be lost; store its values and "
                            "mask as two arrays: np.ma.getdata(a) and np.ma.getmaskarray(a)")
        if id(obj) not in arrays:  # (ids stay unique: every array in `obj` lives until save returns)
            # an explicit device -> host copy; the model stays put
            arrays[id(obj)] = (f"a{len(arrays)}", backend.to_numpy(obj))
        return {"array": arrays[id(obj)][0]}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, (dict, list, tuple)):
        if id(obj) in inside:
            raise ValueError(f"save: {where}, a {type(obj).__name__}, contains itself and cannot be stored")
        inside = (*inside, id(obj))
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, str):
                raise TypeError(f"save: {where} has the key {k!r} ({type(k).__name__}), but dict keys must be strings "
                                f"(JSON's keys are); use str(key), e.g. {{str(k): v for k, v in d.items()}}")
        return {"dict": {k: _encode(v, arrays, f"{where}[{k!r}]", inside) for k, v in obj.items()}}
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, arrays, f"{where}[{i}]", inside) for i, v in enumerate(obj)]
        return {"list" if isinstance(obj, list) else "tuple": items}
    if isinstance(obj, int) and obj.bit_length() > 14_000:  # JSON writes it in decimal; Python reads 4300 digits
        raise ValueError(f"save: {where} is an int of {obj.bit_length():,} bits, too long to read back; "
                         "store it as a string, str(n) (Python reads at most 4300 digits)")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    if hasattr(obj, "state_dict"):  # a model, an optimizer, a scheduler: torch pickles the object, minigan never does
        raise TypeError(f"save: cannot store a {type(obj).__name__} object itself ({where}; that would need pickle, "
                        f"which minigan never loads); save its weights and settings: minigan.save(obj.state_dict(), "
                        f"path), and later obj.load_state_dict(minigan.load(path))")
    raise TypeError(f"save: cannot store {where}, a {type(obj).__name__}; use arrays, tensors, numbers, strings, "
                    "lists, tuples and dicts")


def _decode(node, arrays):
    if not isinstance(node, dict) or len(node) != 1:
        raise ValueError(f"a malformed entry in the description: {str(node)[:60]}")
    if "array" in node:
        return arrays[node["array"]]
    if "dict" in node:
        return {k: _decode(v, arrays) for k, v in node["dict"].items()}
    if "list" in node:
        return [_decode(v, arrays) for v in node["list"]]
    if "tuple" in node:
        return tuple(_decode(v, arrays) for v in node["tuple"])
    return node["value"]


def _path(path, fn):
    """`path` as a string, or a clear error for what is not a path (torch's save and load also take open files)."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{fn}: expected a path (a str or pathlib.Path), got {type(path).__name__}; minigan reads "
                        "and writes checkpoints by name, not through open file objects: pass the file's path")
    return os.fspath(path)


def save(obj, path):
    """Write `obj` (nested dicts/lists of arrays, tensors and plain values) atomically.

    What cannot be stored without pickle is refused, by its place in `obj`, before the file is touched.
    Tensors load back as NumPy arrays, NumPy scalars as Python numbers, and one array under two keys
    (tied weights) is stored once and loads as one array.

    The bytes go to a new file next to the target, which then replaces the
    target in one step (a symbolic link is followed: the file it points to is
    replaced). A new file gets the usual permissions (0o666 less the umask), a
    replaced one keeps its own.
    """
    arrays = {}
    try:  # (the whole description is made before the file is opened: a refusal leaves the target as it was)
        meta = json.dumps({"format": FORMAT, "tree": _encode(obj, arrays)})
    except RecursionError:
        raise ValueError("save: obj is nested too deeply (dicts and lists hundreds of levels deep); "
                         "store such data flatter, e.g. as arrays") from None
    arrays = {name: array for name, array in arrays.values()}
    arrays[_META] = np.array(meta)
    path = os.path.realpath(_path(path, "save"))
    if os.path.isdir(path):  # checked first: the temporary file would go to the folder above
        raise IsADirectoryError(f"save: {path} is a folder; give a file name, e.g. {os.path.join(path, 'checkpoint.npz')}")
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".tmp-{os.getpid()}-{secrets.token_hex(6)}.npz")
    # O_EXCL: never someone else's file; O_BINARY (Windows only): bytes as they are, no \n -> \r\n
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:  # (owns fd from here on: closed whatever happens)
            if os.path.exists(path):  # replacing a file keeps its permissions, set before a byte is written:
                os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))  # a private checkpoint stays private
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        replace_file(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def replace_file(src, dst):
    """os.replace(src, dst), the one step that makes a new file visible whole.

    On Windows it fails while another program holds dst open (a virus scanner, a
    search indexer, an unclosed np.load in a notebook), usually for a moment; so
    there it is tried again for about 1.5 s before the error is passed on.
    """
    for wait in (0.05, 0.1, 0.2, 0.4, 0.8, None):
        try:
            return os.replace(src, dst)
        except PermissionError:
            if os.name != "nt" or wait is None:
                raise
            time.sleep(wait)


def load(path, map_location=None, weights_only=True):
    """Read what `save` wrote. Arrays come back as NumPy arrays; no code is run.

    `map_location` and `weights_only` are there so that PyTorch code runs:
    arrays always load on the host, and ``load_state_dict`` moves them to the
    model's device; nothing is ever unpickled, so ``weights_only=False`` is refused.
    """
    if not weights_only:
        raise ValueError("load: weights_only=False would allow unpickling, which can run code; "
                         "minigan checkpoints hold only arrays and plain values, so leave it at True")
    if map_location is not None:
        if not isinstance(map_location, str):
            raise TypeError(f"load: map_location must be a device name such as 'cpu', got {type(map_location).__name__} "
                            "(arrays load on the host either way; model.to(device) moves the model)")
        backend.device(map_location)  # a known device name; where the arrays end up is up to load_state_dict
    path = _path(path, "load")
    if not os.path.exists(path):
        raise CheckpointError(f"checkpoint not found: {path}")
    if os.path.isdir(path):
        raise CheckpointError(f"{path} is a folder, not a checkpoint file; point to the checkpoint.npz inside it")
    with open(path, "rb") as f:
        head = f.read(4)
    if head != b"PK\x03\x04":  # every .npz is a zip archive, and every zip starts so
        what = "it is empty" if not head else "it is not a .npz (zip) archive"
        raise CheckpointError(
            f"{path} is not a minigan checkpoint: {what}; point to a checkpoint.npz that minigan wrote"
        )
    try:
        _check_array_sizes(path)
        with np.load(path, allow_pickle=False) as z:
            if _META not in z.files and any(name.endswith("data.pkl") for name in z.files):
                raise CheckpointError(f"{path} is a PyTorch checkpoint (torch.save's zip of pickles), which minigan "
                                      "never unpickles; in PyTorch, save the state_dict's tensors as NumPy arrays "
                                      "(np.savez) and load those with load_state_dict")
            if _META not in z.files:
                raise CheckpointError(f"{path} is an .npz file but not a minigan checkpoint (no {_META} entry)")
            meta = json.loads(str(z[_META]))
            if meta.get("format") != FORMAT:
                raise CheckpointError(f"{path}: unknown checkpoint format {meta.get('format')!r}, expected {FORMAT}")
            arrays = {k: z[k] for k in z.files if k != _META}
            return _decode(meta["tree"], arrays)
    except CheckpointError:
        raise
    # (RuntimeError: also a tree nested too deep (RecursionError), and zipfile's damaged flags: an unknown
    # compression method (NotImplementedError) or an entry marked encrypted)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, TypeError, AttributeError, RuntimeError,
            zlib.error, struct.error) as e:
        reason = f"{type(e).__name__}: {e}"
        if "pickle" in str(e):  # NumPy's own message would suggest loading it unsafely
            reason = "it holds pickled Python objects, which minigan never loads (unpickling can run code)"
        raise CheckpointError(
            f"{path} is not a readable minigan checkpoint (truncated or foreign file: {reason}); "
            "re-create it, or point to another checkpoint"
        ) from None


def _check_array_sizes(path):
    """Each entry must be stored uncompressed, and each array's header must not declare more bytes than
    the file stores for it.

    A crafted header could declare a shape of 10^11 elements in a file of a few hundred
    bytes, and NumPy would try to allocate it all before reading; here only the headers are read.
    """
    total = os.path.getsize(path)
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.compress_type != zipfile.ZIP_STORED:  # `save` never compresses: a few kilobytes of a
                raise CheckpointError(  # compressed entry could inflate to gigabytes (a "zip bomb")
                    f"{path} is not a minigan checkpoint: its entry {info.filename} is compressed, and minigan.save "
                    "stores every entry as it is; re-create it with minigan.save, or point to another checkpoint"
                )
            if info.file_size != info.compress_size or info.header_offset + info.compress_size > total:
                raise CheckpointError(  # a header claiming more bytes than the file has (NumPy would allocate them)
                    f"{path} is not a readable minigan checkpoint: its entry {info.filename} claims "
                    f"{info.file_size:,} bytes, more than the file holds ({total:,} bytes; a damaged or crafted "
                    "file); re-create it, or point to another checkpoint"
                )
            if not info.filename.endswith(".npy"):  # (np.load reads only these as arrays)
                continue
            with archive.open(info) as f:
                version = np.lib.format.read_magic(f)
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0  # (2.0 and 3.0 headers differ only in their text's encoding)
                shape, _, dtype = read_header(f)
                declared = math.prod(shape) * dtype.itemsize
                stored = info.file_size - f.tell()
                if not dtype.hasobject and declared > stored:  # (object arrays are pickles: refused by np.load)
                    raise CheckpointError(
                        f"{path} is not a readable minigan checkpoint: its entry {info.filename} declares an array of "
                        f"shape {shape} ({declared:,} bytes) but holds {stored:,} bytes (a damaged or crafted file); "
                        "re-create it, or point to another checkpoint"
                    )


def require_entries(state, path, names):
    """A CheckpointError naming the first of `names` that the checkpoint dict `state` lacks.

    A name may look inside a dict entry: "config.conditional" is state["config"]["conditional"].
    """
    for name in names:
        node, keys = state, name.split(".")
        for i, key in enumerate(keys):
            if not isinstance(node, dict) or key not in node:
                raise CheckpointError(f"{path}: the checkpoint lacks its {'.'.join(keys[:i + 1])!r} entry (a damaged "
                                      "or hand-edited file); re-create it, or point to another checkpoint")
            node = node[key]
