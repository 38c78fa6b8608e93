#!/bin/bash
# Runs loom-fuzz for $1 seconds (default 120) under a memory ceiling; a crash, hang or allocation past the ceiling
# fails with the input that caused it kept as .build/fuzz/finding-<time>.<kind>.
set -u
seconds=${1:-120}
artifacts=.build/fuzz
binary=$(swift build --show-bin-path)/loom-fuzz
mkdir -p "$artifacts"
rm -f "$artifacts/current" "$artifacts/current.kind"
# 16 GB of address space: Loom's own limits keep every reader far below it; past it, allocation fails loudly.
ulimit -v 16000000
"$binary" --seconds "$seconds" --artifacts "$artifacts" "${@:2}"
status=$?
if [ "$status" -ne 0 ]; then
  if [ -e "$artifacts/current" ]; then
    kind=$(cat "$artifacts/current.kind")
    kept="$artifacts/finding-$(date +%Y%m%d-%H%M%S).$kind"
    cp "$artifacts/current" "$kept"
    echo "fuzz: exit status $status on $kept (replay: $binary --replay $kept $kind)" >&2
  fi
  exit 1
fi
