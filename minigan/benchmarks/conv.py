"""`minigan bench conv`: forward + backward of the DCGAN's convolutions, against the matmul peak.

For each layer of the reference DCGAN (batch 64, kernel 4, stride 2,
padding 1) it times one forward and one backward pass and prints the achieved
GFLOP/s next to this machine's float32 matrix-multiply speed (a convolution
done by im2col can at best reach that speed), and next to PyTorch when it is
installed. All times are medians over `repeats` runs.

The matmul peak is timed again for every layer, in the same interleaved rounds
as the layer (and PyTorch's layer): the machine's speed drifts from minute to
minute, and a peak timed once at the start made the share of the peak move
with that drift (on 4 Dec a run whose machine slowed down after the peak gave
49.5%, where the runs around it gave 61-64%).

FLOP counts: a layer with M multiply-adds does 2M FLOPs forward, 2M for the
weight gradient and 2M for the input gradient (skipped for the first layer,
whose input is data).
"""

import numpy as np

from .. import backend
from .common import interleaved_medians, result_line, torch_device
from ..autograd import Tensor
from ..nn import Conv2d, ConvTranspose2d

BATCH = 64
# (description, transposed?, in_channels, out_channels, input size, input needs a gradient?)
SHAPES = [
    ("D  Conv2d(1, 64)           28x28", False, 1, 64, 28, False),
    ("D  Conv2d(64, 128)         14x14", False, 64, 128, 14, True),
    ("G  ConvTranspose2d(128, 64)  7x7", True, 128, 64, 7, True),
    ("G  ConvTranspose2d(64, 1)  14x14", True, 64, 1, 14, True),
]


def _sync(array):
    """Wait for the device to finish (an explicit copy of one number to the host)."""
    backend.to_numpy(array.reshape(-1)[:1])


PEAK_SIZE = {"cpu": 2048, "cuda": 4096}  # on a GPU a 2048 product takes a fraction of a ms: launch and sync would count


def _matmul_peak_step(device, size):
    """One float32 size x size matrix product (2 size^3 FLOPs), the yardstick of every layer."""
    xp = backend.xp_for_device(device)
    gen = backend.generator(device)
    a = gen.standard_normal((size, size), dtype=np.float32)
    b = gen.standard_normal((size, size), dtype=np.float32)
    return lambda: _sync(xp.matmul(a, b))


def _flops(transposed, cin, cout, size, input_grad):
    k, s, p = 4, 2, 1
    # each output pixel of a conv meets the whole kernel (padding included), as each input pixel of a transposed one
    pixels = size * size if transposed else ((size + 2 * p - k) // s + 1) ** 2
    macs = BATCH * pixels * cin * cout * k * k
    return 2 * macs * (3 if input_grad else 2)


def _minigan_step(transposed, cin, cout, size, input_grad, device):
    layer = (ConvTranspose2d if transposed else Conv2d)(cin, cout, 4, 2, 1).to(device)
    gen = backend.generator(device)
    x = Tensor(gen.standard_normal((BATCH, cin, size, size), dtype=np.float32), requires_grad=input_grad)
    out_shape = layer(x).shape
    gy = Tensor(gen.standard_normal(out_shape, dtype=np.float32))

    def step():
        layer.zero_grad()
        x.grad = None
        layer(x).backward(gy)
        return layer.weight.grad.data

    return step


def _torch_step(torch, transposed, cin, cout, size, input_grad, device):
    dev = "cuda" if device == "cuda" else "cpu"
    layer = (torch.nn.ConvTranspose2d if transposed else torch.nn.Conv2d)(cin, cout, 4, 2, 1).to(dev)
    x = torch.randn(BATCH, cin, size, size, device=dev, requires_grad=input_grad)
    gy = torch.randn_like(layer(x))

    def step():
        layer.zero_grad()
        x.grad = None
        layer(x).backward(gy)
        return layer.weight.grad

    return step


def _torch_sync(device):
    def sync(_):
        import torch  # noqa: PLC0415

        if device == "cuda":
            torch.cuda.synchronize()

    return sync


def main(device="cpu", repeats=None):
    """Print the table; returns a list of dicts (one per layer) for scripts and tests."""
    device = backend.check_device(device)
    repeats = repeats or 20
    torch, why_not = torch_device(device)  # on the CPU: as many threads as NumPy's BLAS

    peak_size = PEAK_SIZE[device]
    peak_step = _matmul_peak_step(device, peak_size)
    print(f"minigan bench conv: device {device}, batch {BATCH}, kernel 4, stride 2, padding 1, "
          f"median of {repeats} runs")
    print(f"float32 matmul peak: a {peak_size}x{peak_size} product, timed in the same rounds as each layer")
    if device == "cpu":
        print(backend.numpy_blas())
    if torch is not None:
        print(f"PyTorch {torch.__version__} ({'CUDA' if device == 'cuda' else f'CPU, {torch.get_num_threads()} threads'})")
    else:
        print(why_not)
    header = f"{'layer (forward + backward)':36s} {'ms':>7s} {'GFLOP/s':>8s} {'peak':>6s} {'% peak':>7s}"
    if torch is not None:
        header += f" {'torch ms':>9s} {'torch/minigan':>14s}"
    print(header)

    rows, total_ms, total_torch_ms = [], 0.0, 0.0
    for name, transposed, cin, cout, size, input_grad in SHAPES:
        flops = _flops(transposed, cin, cout, size, input_grad)
        ours = _minigan_step(transposed, cin, cout, size, input_grad, device)
        steps = {"peak": peak_step, "minigan": lambda: _sync(ours())}  # (used within this iteration)
        if torch is not None:
            theirs, sync = _torch_step(torch, transposed, cin, cout, size, input_grad, device), _torch_sync(device)
            steps["torch"] = lambda: sync(theirs())
        # rounds of peak, minigan, PyTorch, each settling untimed first (a 2048x2048 product evicts the caches,
        # and one library's BLAS threads spin on after its last call)
        seconds = interleaved_medians(steps, repeats, warmup=2)
        ms, peak = 1000.0 * seconds["minigan"], 2.0 * peak_size**3 / (seconds["peak"] * 1e9)  # 2 n^3 FLOPs
        gflops = flops / (ms * 1e6)
        row = {"layer": name.strip(), "ms": ms, "gflops": gflops, "peak_gflops": peak, "peak_fraction": gflops / peak}
        line = f"{name:36s} {ms:7.2f} {gflops:8.1f} {peak:6.0f} {100 * gflops / peak:6.0f}%"
        if torch is not None:
            t_ms = 1000.0 * seconds["torch"]
            row["torch_ms"] = t_ms
            total_torch_ms += t_ms
            line += f" {t_ms:9.2f} {t_ms / ms:13.2f}x"
        total_ms += ms
        rows.append(row)
        print(line)
    summary = f"{'total':36s} {total_ms:7.2f}"
    if torch is not None:
        summary += f" {'':8s} {'':6s} {'':7s} {total_torch_ms:9.2f} {total_torch_ms / total_ms:13.2f}x"
    print(summary)
    print("(GFLOP/s: the layer's FLOPs over its time; peak: the matmul's GFLOP/s in the same rounds)")
    if torch is not None:
        print("(torch/minigan > 1 means minigan is faster)")
    big = rows[1]  # the 64 -> 128 conv: the yardstick (at least half of the matmul peak)
    fields = {"device": device, "peak_gflops": big["peak_gflops"], "conv64_128_peak_fraction": big["peak_fraction"]}
    if torch is not None:
        fields["torch_over_minigan"] = total_torch_ms / total_ms
    result_line("conv", **fields)
    return rows
