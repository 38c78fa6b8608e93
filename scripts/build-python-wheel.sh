#!/usr/bin/env bash
# Builds the Python package as a wheel, dist/loom-<version>-py3-none-linux_<arch>.whl: python/loom, libLoomC.so,
# the CLIP vocabulary it reads, and the Swift runtime libraries it links (found with ldd), so that
# `pip install dist/loom-*.whl` works on a machine without Swift. Loom's system libraries (Vulkan loader, libpng,
# libjpeg, libwebp) still come from the system: scripts/install-dependencies.sh.
#
#   scripts/build-python-wheel.sh [--debug] [--no-build] [--out DIR]
#
# --debug packages the debug build (what `make test` uses, to avoid a second build); the default is release.
# --no-build packages what is built already.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
configuration=release
build=yes
out="$root/dist"
while [ $# -gt 0 ]; do
    case "$1" in
        --debug) configuration=debug ;;
        --no-build) build=no ;;
        --out) out=$2; shift ;;
        *) echo "usage: $0 [--debug] [--no-build] [--out DIR]" >&2; exit 2 ;;
    esac
    shift
done
cd "$root"
[ "$build" = no ] || nice -n 10 swift build -c "$configuration" --product LoomC
bin=$(swift build -c "$configuration" --show-bin-path)
python3 scripts/make-python-wheel.py --library "$bin/libLoomC.so" --resources "$bin/Loom_LoomText.resources" \
    --package python/loom --out "$out"
