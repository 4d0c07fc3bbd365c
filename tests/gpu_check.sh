#!/usr/bin/env bash
# Verify minigan on a real NVIDIA GPU in one go (issue 7):
#   1. the whole test suite with every device test on "cuda" (MINIGAN_TEST_DEVICE=cuda),
#   2. `minigan bench dcgan --device cuda`, `bench toy` and `bench conv` (next to PyTorch CUDA
#      when it is installed),
#   3. lesson 10 (On a GPU) at full size, and one epoch of `minigan train mnist --device cuda`,
# then print a short table last. Usage, from the repository root of a checkout:
#   bash tests/gpu_check.sh            # logs also land in ${OUT:-gpu_check_out}/
#   GPU_CHECK_PARTS="tests bench" bash tests/gpu_check.sh   # some parts only (tests bench profile lesson train)
# It runs from the checkout itself (PYTHONPATH), so it needs no `pip install`: numpy, cupy,
# pytest and matplotlib must be importable; scikit-learn and torch are used when present.
set -u
cd "$(dirname "$0")/.."
out="${OUT:-gpu_check_out}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"  # absolute: lesson 10 runs from lessons/
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 MPLBACKEND=Agg
py="${PYTHON:-python3}"

"$py" - <<'PY' || { echo "no usable CUDA GPU: nothing to check"; exit 1; }
import minigan
if not minigan.cuda_is_available():
    from minigan import backend
    backend.check_device("cuda")  # raises with the reason
PY

# the test suite on cuda (in parallel where pytest-xdist is installed: CuPy compiles kernels on first use).
# Its time limit interrupts it as Ctrl-C would (pytest still prints its summary), and every failure
# is logged the moment it happens (MINIGAN_FAILURE_LOG, tests/conftest.py), so a lease that runs
# out still tells what failed. pytest-timeout, where installed, stops a single hung test.
parts=" ${GPU_CHECK_PARTS:-tests bench profile lesson train} "  # a subset, to rerun only some parts
par=(--durations=15)
"$py" -c "import xdist" 2>/dev/null && par+=(-n "${GPU_CHECK_WORKERS:-16}")
"$py" -c "import pytest_timeout" 2>/dev/null && par+=(--timeout 120)
: > "$out/failures_cuda.txt"
# one thread per worker for BLAS and torch: 16 workers each starting 16 threads starved the machine (load 85)
[[ $parts == *" tests "* ]] && OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
    MINIGAN_TEST_DEVICE=cuda MINIGAN_FAILURE_LOG="$out/failures_cuda.txt" \
    timeout -s INT -k 30 "${GPU_CHECK_TEST_TIMEOUT:-210}" "$py" -m pytest -q -p no:cacheprovider tests \
    --ignore=tests/test_lessons.py -rfE --tb=short "${par[@]}" 2>&1 | tee "$out/pytest_cuda.txt" | tail -n 40
tests_line=$(grep -E "[0-9]+ (passed|failed|error)" "$out/pytest_cuda.txt" | tail -n 1)
grep -q "KeyboardInterrupt" "$out/pytest_cuda.txt" && tests_line="$tests_line (STOPPED at its time limit: not the whole suite)"
tests_line="$tests_line; $(grep -c '^FAILED ' "$out/failures_cuda.txt") failures logged in failures_cuda.txt"

if [[ $parts == *" bench "* ]]; then
    timeout 100 "$py" -m minigan bench dcgan --device cuda 2>&1 | tee "$out/bench_dcgan_cuda.txt"
    timeout 60 "$py" -m minigan bench toy --device cuda 2>&1 | tee "$out/bench_toy_cuda.txt"
    timeout 75 "$py" -m minigan bench conv --device cuda 2>&1 | tee "$out/bench_conv_cuda.txt"
fi
# where the host time of a GPU iteration goes (for whoever speeds it up): a cProfile of 20 iterations
[[ $parts == *" profile "* ]] && timeout 45 "$py" - > "$out/profile_dcgan_cuda.txt" 2>&1 <<'PY'
import cProfile, pstats, collections
from minigan import autograd as ag
from minigan.benchmarks.dcgan import minigan_step
step, G, D = minigan_step("cuda")
for _ in range(5):
    step()
calls = collections.Counter()
plain_call = ag.Function.__call__
def counted(self, *inputs):
    calls[type(self).__name__] += 1
    return plain_call(self, *inputs)
ag.Function.__call__ = counted
step()
ag.Function.__call__ = plain_call
print(f"autograd ops per iteration: {sum(calls.values())} {dict(calls.most_common())}")
profile = cProfile.Profile()
profile.enable()
for _ in range(20):
    step()
profile.disable()
pstats.Stats(profile).sort_stats("tottime").print_stats(30)
pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
PY
[[ $parts == *" profile "* ]] && head -n 45 "$out/profile_dcgan_cuda.txt" | tail -n 38
# what one CuPy call costs the host, and batch norm's statistics with fewer calls (tests/gpu_probe.py)
[[ $parts == *" profile "* ]] && timeout 60 "$py" tests/gpu_probe.py 2>&1 | tee -a "$out/profile_dcgan_cuda.txt"
# lesson 10 (On a GPU), full size, its code cells run in order in one namespace (no Jupyter needed)
[[ $parts == *" lesson "* ]] && (cd lessons && timeout 90 "$py" - 10_on_a_gpu.ipynb > "$out/lesson10_cuda.txt" 2>&1 <<'PY'
import json, sys, traceback
cells = [c for c in json.load(open(sys.argv[1]))["cells"] if c["cell_type"] == "code"]
scope = {"__name__": "__main__"}
for i, cell in enumerate(cells):
    source = "".join(line for line in "".join(cell["source"]).splitlines(True) if not line.lstrip().startswith("%"))
    try:
        exec(compile(source, f"lesson10 cell {i}", "exec"), scope)
    except Exception:
        traceback.print_exc()
        print(f"LESSON10 FAILED in code cell {i}")
        sys.exit(1)
print("LESSON10 OK")
PY
)
[[ $parts == *" lesson "* ]] && tail -n 12 "$out/lesson10_cuda.txt"
run_dir=$(mktemp -d)
[[ $parts == *" train "* ]] && timeout 75 "$py" -m minigan train mnist --device cuda --epochs 1 --out "$run_dir/mnist" 2>&1 \
    | tr '\r' '\n' | grep -v "it/s\]$" | tee "$out/train_mnist_cuda.txt" | tail -n 5

"$py" - "$out" "$tests_line" <<'PY'
import re, sys, subprocess
out, tests_line = sys.argv[1], sys.argv[2]
def grab(path, name=None):
    try:
        text = open(path).read()
    except OSError:
        return "missing"
    rows = [l for l in text.splitlines() if l.startswith("RESULT") and (name is None or l.split()[1] == name)]
    return rows[-1][len("RESULT"):].strip() if rows else "no RESULT line (failed?)"
def epoch_line(path):
    try:
        lines = [l for l in open(path).read().splitlines() if l.startswith(("epoch 1:", "done"))]
    except OSError:
        return "missing"
    return lines[-1].strip() if lines else "no epoch line (failed?)"
try:
    card = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                          capture_output=True, text=True).stdout.strip()
except OSError:
    card = "nvidia-smi not found"
import platform, numpy, cupy
try:
    import torch; tv = torch.__version__
except Exception:
    tv = "not installed"
print("\n==================== minigan GPU check ====================")
print(f"card          {card}")
print(f"versions      python {platform.python_version()}, numpy {numpy.__version__}, cupy {cupy.__version__}, "
      f"CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}, torch {tv}")
print(f"tests (cuda)  {tests_line}")
print(f"bench dcgan   {grab(out + '/bench_dcgan_cuda.txt')}")
print(f"bench toy     {grab(out + '/bench_toy_cuda.txt')}")
print(f"bench conv    {grab(out + '/bench_conv_cuda.txt')}")
print(f"mnist epoch   {epoch_line(out + '/train_mnist_cuda.txt')}")
try:
    lesson = [l for l in open(out + "/lesson10_cuda.txt").read().splitlines() if l.startswith("LESSON10")]
except OSError:
    lesson = []
print(f"lesson 10     {lesson[-1] if lesson else 'did not finish'}")
PY
