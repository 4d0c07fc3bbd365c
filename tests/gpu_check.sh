#!/usr/bin/env bash
# Verify minigan on a real NVIDIA GPU in one go (issue 7):
#   1. the whole device-parametrized test suite on "cuda",
#   2. `minigan bench dcgan --device cuda` and `minigan bench toy --device cuda`
#      (next to PyTorch CUDA when it is installed),
# then print a short table last. Usage, from the repository root:
#   bash tests/gpu_check.sh            # results also land in ${OUT:-gpu_check_out}/
set -u
cd "$(dirname "$0")/.."
out="${OUT:-gpu_check_out}"
mkdir -p "$out"

python - <<'PY' || { echo "no usable CUDA GPU: nothing to check"; exit 1; }
import minigan, sys
if not minigan.cuda_is_available():
    from minigan import backend
    backend.check_device("cuda")  # raises with the reason
PY
pip install -e . -q --no-deps >/dev/null 2>&1 || true

MINIGAN_TEST_DEVICE=cuda timeout 420 python -m pytest -q -p no:cacheprovider tests \
    --ignore=tests/test_lessons.py 2>&1 | tee "$out/pytest_cuda.txt" | tail -n 25
tests_line=$(grep -E "passed|failed|error" "$out/pytest_cuda.txt" | tail -n 1)

timeout 150 minigan bench dcgan --device cuda 2>&1 | tee "$out/bench_dcgan_cuda.txt"
timeout 90 minigan bench toy --device cuda 2>&1 | tee "$out/bench_toy_cuda.txt"

python - "$out" "$tests_line" <<'PY'
import re, sys, subprocess
out, tests_line = sys.argv[1], sys.argv[2]
def grab(path):
    try:
        text = open(path).read()
    except OSError:
        return "missing"
    rows = [l for l in text.splitlines() if l.startswith("RESULT")]
    return rows[-1][len("RESULT"):].strip() if rows else "no RESULT line (failed?)"
try:
    card = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                          capture_output=True, text=True).stdout.strip()
except OSError:
    card = "nvidia-smi not found"
import numpy, cupy
try:
    import torch; tv = torch.__version__
except Exception:
    tv = "not installed"
print("\n==================== minigan GPU check ====================")
print(f"card          {card}")
print(f"versions      numpy {numpy.__version__}, cupy {cupy.__version__}, torch {tv}")
print(f"tests (cuda)  {tests_line}")
print(f"bench dcgan   {grab(out + '/bench_dcgan_cuda.txt')}")
print(f"bench toy     {grab(out + '/bench_toy_cuda.txt')}")
PY
