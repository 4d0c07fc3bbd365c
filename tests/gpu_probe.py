"""What one CuPy call costs the host, and ways to get batch norm's statistics with fewer of them.

Run by ``tests/gpu_check.sh`` (its "profile" part) on a GPU; ``python tests/gpu_probe.py [repeats]``.
The DCGAN iteration on a GPU is host-bound (README, GPU section): its time is roughly the number of
CuPy calls times what each costs the host. This prints, for each kind of call and for each way of
computing a batch norm's per-channel sum and sum of squares on the DCGAN's shapes, the host time per
call (the clock read before the GPU has finished: launching only) and the time until the GPU is done.
It only measures; nothing in minigan uses the alternatives unless they win here.
"""

import sys
import time


def timed(fn, repeats, sync):
    """(host ms per call, ms per call until the device is done), after three untimed calls."""
    for _ in range(3):
        fn()
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    launched = time.perf_counter()
    sync()
    done = time.perf_counter()
    return (launched - start) / repeats * 1e3, (done - start) / repeats * 1e3


def probe(cp, repeats=200):
    """Rows of (what, host ms per call, ms per call until done) for the CuPy module `cp`."""
    sync = cp.cuda.Device().synchronize
    rng = cp.random.default_rng(0)
    rows = []
    small = rng.standard_normal((64, 1), dtype=cp.float32)
    square = rng.standard_normal((256, 256), dtype=cp.float32)
    rows += [("elementwise x + 1 (64 values)", *timed(lambda: small + 1.0, repeats, sync)),
             ("reduction x.sum() (64 values)", *timed(lambda: small.sum(), repeats, sync)),
             ("matmul 256 x 256 x 256", *timed(lambda: square @ square, repeats, sync))]
    for n, c, h, w in [(64, 128, 7, 7), (64, 64, 14, 14)]:  # the DCGAN's batch norms (D's, G's second)
        x = rng.standard_normal((n, c, h, w), dtype=cp.float32)
        ones_hw, ones_n = cp.ones((h * w, 1), dtype=cp.float32), cp.ones((1, n), dtype=cp.float32)
        three = x.reshape(n, c, h * w)

        def two_sums():  # minigan's GPU path now: sum, then the sum of squares
            return x.sum(axis=(0, 2, 3)), (x * x).sum(axis=(0, 2, 3))

        def two_sums_3d():  # the same over a 3-D view: fewer axes for CuPy to plan
            return three.sum(axis=(0, 2)), (three * three).sum(axis=(0, 2))

        def by_matmuls():  # sums as products with vectors of ones: cuBLAS calls instead of reductions
            both = cp.concatenate([three, three * three], axis=1)  # (n, 2c, hw)
            return (ones_n @ (both @ ones_hw).reshape(n, 2 * c)).reshape(2, c)

        for what, fn in [("two sums", two_sums), ("two sums of a 3-D view", two_sums_3d),
                         ("products with ones", by_matmuls)]:
            rows.append((f"batch norm statistics {(n, c, h, w)}: {what}", *timed(fn, repeats, sync)))
        s1, s2 = two_sums()
        m = by_matmuls()
        scale = float(abs(s2).max())
        rows.append((f"  (products with ones differ from the sums by {float(abs(m[0] - s1).max()) / scale:.1e}, "
                     f"{float(abs(m[1] - s2).max()) / scale:.1e} of the largest)", 0.0, 0.0))
    return rows


def main(argv):
    import cupy

    repeats = int(argv[1]) if len(argv) > 1 else 200
    print(f"CuPy {cupy.__version__}: host ms per call (launch only), ms per call until the GPU is done; "
          f"means of {repeats} calls")
    for what, host, done in probe(cupy, repeats):
        print(f"  {what:<70} {host:8.4f} {done:8.4f}" if host or done else f"  {what}")


if __name__ == "__main__":
    main(sys.argv)
