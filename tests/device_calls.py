"""How many CuPy calls one DCGAN iteration makes, counted on the CPU through the CuPy stand-in.

On a GPU the DCGAN iteration is bound by the host: each CuPy call costs some
microseconds of Python and launch time whatever its size (README, "GPU"), so
fewer calls is the way to a faster iteration. This script needs no GPU: it
runs ``bench dcgan``'s plain iteration (``device="cuda"``) through
``tests/fake_cupy`` and prints the calls per iteration, by kind and by the
minigan function that made them::

    python tests/device_calls.py            # batch 2
    python tests/device_calls.py --batch 64

Views (reshape, transpose, indexing, asarray of a device array) launch no
kernel but still cost host time; they are counted apart (an index array's
getitem, which does launch one, among them). The counts say nothing about time: what
one call costs on a real GPU is what ``tests/gpu_probe.py`` measures there.
"""

import argparse
import collections
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
VIEWS = {"method reshape", "method transpose", "getitem", "function asarray", "method astype", "method view"}


class _BySite(collections.Counter):
    """A Counter of calls that also counts, for each call, the minigan function that made it."""

    def __init__(self):
        super().__init__()
        self.sites = collections.Counter()

    def __setitem__(self, name, value):
        if name not in VIEWS:
            for frame in reversed(traceback.extract_stack()[:-2]):
                path = frame.filename.replace("\\", "/")
                if "/minigan/" in path and not path.endswith("/backend.py"):
                    self.sites[f"{path.split('/minigan/')[-1]}: {frame.name}"] += 1
                    break
        super().__setitem__(name, value)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=3)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE / "fake_cupy"))  # the stand-in, before minigan first imports cupy
    sys.path.insert(0, str(HERE.parent))
    import cupy

    from minigan.benchmarks.dcgan import minigan_step

    step, _, _ = minigan_step("cuda", batch=args.batch, trainer=False)
    step()  # the first iteration creates Adam's state
    counter = cupy._calls = _BySite()
    for _ in range(args.iterations):
        step()
    n = args.iterations
    views = sum(v for k, v in counter.items() if k in VIEWS)
    print(f"DCGAN iteration (bench dcgan's plain steps), batch {args.batch}, through the CuPy stand-in: "
          f"{sum(counter.values()) / n:.0f} CuPy calls per iteration, {views / n:.0f} of them views")
    print("\nby kind:")
    for name, count in counter.most_common():
        print(f"{count / n:8.1f}  {name}{'  (view)' if name in VIEWS else ''}")
    print("\nnot views, by the minigan function that made them:")
    for site, count in counter.sites.most_common():
        print(f"{count / n:8.1f}  {site}")


if __name__ == "__main__":
    main()
