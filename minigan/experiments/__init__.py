"""Training runs behind `minigan train ...`: one module per experiment (toy, mnist).

Each module writes a run folder and checkpoints with a ``kind`` entry, and
offers ``sample_checkpoint(path, n, seed)`` and ``evaluate_checkpoint(path, n, seed)``
for `minigan sample` and `minigan eval`.
"""


class SettingError(ValueError):
    """A bad setting, or a run folder in the way: the user's to fix, so the command line says it in one line.

    (Any other exception in a run is a bug, and the command line shows its traceback.)
    """


def shell_quoted(path):
    """A path as it must be typed in a command: quoted if it has spaces or other special characters."""
    import os

    if os.name == "nt":
        import subprocess

        return subprocess.list2cmdline([str(path)])  # cmd and PowerShell: double quotes
    import shlex

    return shlex.quote(str(path))


def refuse_to_overwrite(out, patterns):
    """Raise SettingError if folder `out` holds files a run would write (glob `patterns`): nothing is lost.

    Called for a folder a run is about to start in that holds no checkpoint of
    its own to continue: what is there is someone else's, or the log of a run
    that stopped before its first checkpoint, and either is worth keeping.
    """
    from pathlib import Path

    found = sorted({path.relative_to(out).as_posix() for pattern in patterns for path in Path(out).glob(pattern)})
    if found:
        shown = ", ".join(found[:4]) + (f" and {len(found) - 4} more" if len(found) > 4 else "")
        raise SettingError(f"{out} holds files a run writes ({shown}), which this run would overwrite, and no "
                           "checkpoint to continue; choose another --out, or move those files away first")


def peak_memory_mb():
    """The most memory this process has held (resident set size, MiB); None where it is not measured (Windows).

    The operating systems report it in different units: Linux in KiB, macOS in bytes.
    """
    import sys

    try:
        import resource  # Unix only
    except ImportError:
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def environment(device):
    """What a run computed with, for its ``config.json``.

    The same seed repeats a run's numbers only with the same device, libraries
    and BLAS kernel: OpenBLAS's kernels round some products differently (see
    docs/speed.md). Written next to the settings, never read back.
    """
    import os
    import platform

    import numpy as np

    from .. import __version__, backend

    env = {"device": device, "minigan": __version__, "python": platform.python_version(), "numpy": np.__version__,
           "blas": backend.numpy_blas(environ={}).removeprefix("NumPy's BLAS: ")}
    if os.environ.get("OPENBLAS_CORETYPE"):
        env["OPENBLAS_CORETYPE"] = os.environ["OPENBLAS_CORETYPE"]
    if device != "cpu":
        env["cupy"] = backend.xp_for_device(device).__version__
    return env
