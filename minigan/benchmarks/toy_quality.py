"""`minigan bench toy_quality`: the mode-coverage table on ring and grid, 5 seeds each.

Each row is one recipe (the default one, exact minimax, non-saturating
without R1, and the other losses) trained from seeds 0..4; each cell gives
the mean modes covered, the worst seed's modes, the mean and worst
high-quality fraction (2,500 samples, the VEEGAN / PacGAN protocol) and the
mean time per run: wall clock, and the process's CPU time (what the run
takes on an idle machine; the process uses one core). Published numbers are printed beside them.

    python -m minigan.benchmarks.toy_quality                 # every row (long)
    python -m minigan.benchmarks.toy_quality --rows default  # just the default recipe

Run it with OPENBLAS_NUM_THREADS=1 so the CPU time is one core's time.
"""

import argparse
import json
import tempfile
import time

import numpy as np

PUBLISHED = {  # PacGAN paper (Lin et al. 2018), tables 1 and 2: modes covered, high-quality samples
    "ring": {"vanilla GAN": (6.3, 98.2), "PacGAN2": (7.9, 95.6)},
    "grid": {"vanilla GAN": (17.3, 94.8), "PacGAN2": (24.8, 93.6)},
}

ROWS = {
    "default": {},
    "minimax": {"loss": "minimax"},
    "nonsaturating, no R1": {"r1": 0.0},
    "lsgan": {"loss": "lsgan"},
    "hinge": {"loss": "hinge"},
    "wgan-gp": {"loss": "wgan-gp", "r1": 0.0},
}


def run_cell(dataset, overrides, seeds):
    """Train one recipe on one dataset for each seed; return per-seed summaries."""
    from minigan.experiments import toy

    results = []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as out:
            t, cpu = time.perf_counter(), time.process_time()
            summary = toy.run(out, progress=False, pictures=False, dataset=dataset, seed=seed, **overrides)
            summary["seconds"] = time.perf_counter() - t
            summary["cpu_seconds"] = time.process_time() - cpu  # about the time on an idle machine
        results.append(summary)
        print(f"  {dataset:4s} seed {seed}: modes {summary['modes']}/{summary['num_modes']}, "
              f"HQ {100 * summary['hq']:.1f}%, {summary['seconds']:.0f} s wall, {summary['cpu_seconds']:.0f} s CPU",
              flush=True)
    return results


def format_cell(results):
    """One table cell: the per-seed values and their mean."""
    modes = [r["modes"] for r in results]
    hq = [100 * r["hq"] for r in results]
    secs = np.mean([r["seconds"] for r in results])
    cpu = np.mean([r["cpu_seconds"] for r in results])
    return (f"{np.mean(modes):.1f} (min {min(modes)}) | {np.mean(hq):.1f}% (min {min(hq):.1f}%) "
            f"| {secs:.0f} s wall, {cpu:.0f} s CPU")


def main(device="cpu", repeats=None, rows=None, datasets=("ring", "grid"), out=None):
    """Train every (row, dataset) for `repeats` seeds (default 5) and print a Markdown table."""
    from .. import backend
    from .common import numpy_blas_threads

    seeds = list(range(repeats or 5))
    rows = rows or list(ROWS)
    if device == "cpu":  # the CPU time is one core's time only with one BLAS thread
        threads = numpy_blas_threads()
        print(backend.numpy_blas() + ("" if threads == 1 else
              "; the CPU times below add up every thread's: OPENBLAS_NUM_THREADS=1 makes them one core's"))
    table = {}
    for row in rows:
        overrides = dict(ROWS[row], device=device)
        for dataset in datasets:
            print(f"{row} on {dataset}:", flush=True)
            table[(row, dataset)] = run_cell(dataset, overrides, seeds)
            if out:
                with open(out, "w") as f:
                    json.dump({f"{r}|{d}": v for (r, d), v in table.items()}, f, indent=1)
    print()
    print(f"| recipe ({len(seeds)} seeds) | dataset | modes: mean (worst) | high quality: mean (worst) | time per run |")
    print("|---|---|---|---|---|")
    for (row, dataset), results in table.items():
        print(f"| {row} | {dataset} | {format_cell(results)} |")
    for dataset in datasets:
        for name, (modes, hq) in PUBLISHED[dataset].items():
            print(f"| {name} (published) | {dataset} | {modes} | {hq}% | |")
    return table


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", nargs="*", choices=list(ROWS), default=None)
    parser.add_argument("--datasets", nargs="*", choices=["ring", "grid"], default=["ring", "grid"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--json", default=None, help="also write the per-seed results here")
    a = parser.parse_args()
    main(repeats=a.seeds, rows=a.rows, datasets=a.datasets, out=a.json)
