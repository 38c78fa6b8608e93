#!/usr/bin/env bash
# Loom's GPU check, as packed by scripts/gpu-check.sh into .gpu-check/ (this file is copied there as run.sh).
# In one command, within GPU_CHECK_BUDGET seconds (default 540; later stages are skipped, with a message, when
# the time left is short):
#   1. the Vulkan operator tests (Tests/LoomVulkanTests) on the GPU,
#   2. `loom bench ops` at Flux dev shapes (4608 tokens, width 3072, 24 heads, Flux's linears in bf16 and fp8),
#      with PyTorch's GEMMs and attention at the same shapes,
#   3. one Flux-dev-shaped transformer evaluation at 1024² (12B parameters, random weights made on the spot) with
#      bf16 and fp8 weights, in Loom and in PyTorch (scripts/gpu-check/torch_flux.py, ComfyUI's forward).
# Needs: x86-64 Linux, an NVIDIA driver (its Vulkan ICD is found or described here), python3 with PyTorch for
# the comparisons. Results go to $OUT (or ./gpu-check-out): summary.txt, summary.json and details.tar.gz (each
# stage's output and log), rewritten after every stage, so a run cut short still returns what it measured.
#   bash .gpu-check/run.sh           the check
#   bash .gpu-check/run.sh --quick   tiny shapes, to rehearse on a CPU Vulkan device (lavapipe)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
quick=0
[ "${1:-}" = --quick ] && quick=1
out=${OUT:-$PWD/gpu-check-out}
# Stage outputs are written here and published to $out as three files (a device call returns at most eight).
work=${GPU_CHECK_WORK:-${TMPDIR:-/tmp}/loom-gpu-check-run}
rm -rf "$work" && mkdir -p "$out" "$work"
: >"$work/stages.tsv"
: >"$work/run.log"
budget=${GPU_CHECK_BUDGET:-540}
started=$(date +%s)
python=${PYTHON:-python3}

# The binaries and libraries are packed as one xz stream (see scripts/gpu-check.sh); tar with xz unpacks it, or Python.
unpacked=${GPU_CHECK_UNPACK:-${TMPDIR:-/tmp}/loom-gpu-check}
rm -rf "$unpacked" && mkdir -p "$unpacked"
if command -v xz >/dev/null; then
  tar -C "$unpacked" -xJf "$here/loom.tar.xz"
else
  "$python" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$here/loom.tar.xz" "$unpacked"
fi || { echo "cannot unpack $here/loom.tar.xz (needs xz or python3)" >&2; exit 1; }
# Only Loom's own processes see the bundled libraries; PyTorch keeps the system's.
with_libraries=(env "LD_LIBRARY_PATH=$unpacked/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
loom=("${with_libraries[@]}" "$unpacked/bin/loom")
operator_tests=("${with_libraries[@]}" "$unpacked/bin/loom-operator-tests")

left() { echo $((budget - ($(date +%s) - started))); }
say() { echo "[$(($(date +%s) - started)) s] $*" | tee -a "$work/run.log"; }

# summary.txt, summary.json and details.tar.gz in $out from what the stages have left so far.
publish() {
  if "$python" "$here/scripts/summarize.py" "$work" >/dev/null 2>"$work/summarize.err"; then
    cp "$work/summary.txt" "$work/summary.json" "$out/"
  else
    cut -f1-4 "$work/stages.tsv" >"$out/summary.txt"
  fi
  tar -czf "$out/details.tar.gz" -C "$work" .
}

# stage NAME NEED CAP OUTPUT COMMAND...: runs COMMAND with stdout in OUTPUT and stderr in NAME.err, for at most CAP
# seconds and never past the budget; skipped when fewer than NEED seconds are left.
stage() {
  local name=$1 need=$2 cap=$3 output=$4 remaining limit begin status note
  shift 4
  remaining=$(left)
  if ((remaining < need)); then
    say "$name: skipped, $remaining s of the budget left (it needs about $need s)"
    printf '%s\tskipped\t0\t%s\n' "$name" "$remaining s of the budget left, needs about $need s" >>"$work/stages.tsv"
    publish
    return 1
  fi
  limit=$((remaining < cap ? remaining : cap))
  say "$name: running (at most $limit s)"
  begin=$(date +%s)
  timeout -k 10 "$limit" "$@" >"$work/$output" 2>"$work/$name.err"
  status=$?
  if ((status == 0)); then
    note=""
    printf '%s\tok\t%s\t\n' "$name" $(($(date +%s) - begin)) >>"$work/stages.tsv"
  else
    if ((status == 124 || status == 137)); then
      note="timed out after $limit s; last: $(tail -n 1 "$work/$name.err")"
    else
      note="exit $status: $(tail -n 1 "$work/$name.err" | grep . || tail -n 1 "$work/$output")"
    fi
    printf '%s\tfailed\t%s\t%s\n' "$name" $(($(date +%s) - begin)) "$note" >>"$work/stages.tsv"
  fi
  say "$name: ${note:-done} ($(($(date +%s) - begin)) s)"
  publish
  return $status
}

# The NVIDIA driver's Vulkan ICD: its JSON file, or one written here when a container has the driver's
# libraries without it.
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  for file in /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json \
    /usr/local/share/vulkan/icd.d/nvidia_icd*.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd*.json; do
    [ -f "$file" ] && { export VK_ICD_FILENAMES=$file; break; }
  done
  if [ -z "${VK_ICD_FILENAMES:-}" ]; then
    library=$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0/ { print $NF; exit }')
    if [ -n "$library" ]; then
      printf '{"file_format_version": "1.0.1", "ICD": {"library_path": "%s", "api_version": "1.3.0"}}\n' "$library" >"$work/nvidia_icd.json"
      export VK_ICD_FILENAMES=$work/nvidia_icd.json
    fi
  fi
fi
if [ -n "${VK_ICD_FILENAMES:-}" ]; then
  export VK_DRIVER_FILES=$VK_ICD_FILENAMES
  say "Vulkan ICD: $VK_ICD_FILENAMES"
else
  say "no NVIDIA Vulkan ICD found; the Vulkan loader's default drivers are used"
fi
command -v nvidia-smi >/dev/null && say "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -n 1)"
say "Vulkan $("${operator_tests[@]}" --device 2>&1 | tail -n 1)"
cat "$here/MANIFEST.txt" >>"$work/run.log" 2>/dev/null

if ((quick)); then
  ops_shape=(--tokens 256 --width 256 --heads 2 --repetitions 1)
  flux_shape=(--width 256 --heads 2 --double-blocks 1 --single-blocks 1)
  size=128 text=32
else
  ops_shape=(--tokens 4608 --width 3072 --heads 24 --repetitions 3)
  flux_shape=(--width 3072 --heads 24 --double-blocks 19 --single-blocks 38)
  size=1024 text=512
fi
torch_ready=0
if "$python" -c 'import torch' 2>/dev/null; then
  torch_ready=1
  say "PyTorch: $("$python" -c 'import torch; print(torch.__version__, "CUDA" if torch.cuda.is_available() else "CPU only")')"
else
  say "PyTorch not importable by $python: the PyTorch comparisons are skipped"
fi
flux_torch_shape=(--size "$size" --text-tokens "$text" "${flux_shape[@]}")

# ${GPU_CHECK_TESTS} narrows the operator tests (words matched against Suite.testName).
stage tests 20 180 tests.log "${operator_tests[@]}" ${GPU_CHECK_TESTS:-}
grep -E '^(FAIL|    )' "$work/tests.log" | head -n 40
tail -n 1 "$work/tests.log"
stage ops 20 120 ops.json "${loom[@]}" bench ops "${ops_shape[@]}" --flux-linears --json
((torch_ready)) && [ -s "$work/ops.json" ] && stage torch-ops 15 90 torch_ops.json "$python" "$here/scripts/torch_ops.py" "$work/ops.json"
stage flux-loom-bf16 60 200 flux-loom-bf16.json "${loom[@]}" bench flux --synthetic bf16 "${flux_shape[@]}" \
  --sizes "$size" --text-tokens "$text" --repetitions 1 --json
((torch_ready)) && stage flux-torch 40 150 flux-torch.json "$python" "$here/scripts/torch_flux.py" --modes bf16 fp8 fp8-fast \
  "${flux_torch_shape[@]}" --repetitions 2 --json
stage flux-loom-f8 60 200 flux-loom-f8_e4m3.json "${loom[@]}" bench flux --synthetic f8_e4m3 "${flux_shape[@]}" \
  --sizes "$size" --text-tokens "$text" --repetitions 1 --json

say "summary ($(($(date +%s) - started)) s of $budget):"
publish
cat "$out/summary.txt"
! grep -q $'\tfailed\t' "$work/stages.tsv"
