#!/usr/bin/env bash
# The embedding tests `make test` runs after the Swift tests: the C example compiled with the system compiler
# against loom.h and libLoomC.so and run, its files compared with `loom run`'s byte for byte; then the Python
# package built as a wheel, installed in a venv and tested (python/tests), and the Python example run.
# The venv (.build/embedding-venv) is kept between runs; without PyPI the Python part is skipped, saying so.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
nice -n 10 swift build --product LoomC
nice -n 10 swift build --product loom
bin=$(swift build --show-bin-path)
work=$(mktemp -d /tmp/loom-embedding.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== C example"
cc -std=c11 -Wall -Wextra -Werror -pedantic examples/c/run_workflow.c -I Sources/CLoom/include -L "$bin" -lLoomC \
    -Wl,-rpath,"$bin" -o "$work/run_workflow"
"$bin/loom" run graphs/dashtailor-composite.yaml --input-directory graphs/input --output-directory "$work/cli" \
    --no-disk-cache > /dev/null
"$work/run_workflow" graphs/dashtailor-composite.yaml --input graphs/input --output "$work/c" --no-disk-cache \
    --quiet > "$work/c.log"
grep -q '"status_str": "success"' "$work/c.log"
[ "$(grep -c '^image ' "$work/c.log")" = 3 ]
for file in "$work"/cli/dashtailor/*.png; do
    cmp "$file" "$work/c/dashtailor/$(basename "$file")"
done
echo "C example: 3 images, files equal to loom run's byte for byte"
"$work/run_workflow" graphs/hello-strings.yaml --set sentence delimiter '" - "' --no-disk-cache > "$work/hello.log"
grep -q '"text": \["Hello - from Loom"\]' "$work/hello.log"
status=0
"$work/run_workflow" graphs/dashtailor-composite.yaml --set scaled_garment upscale_method '"sharpest"' \
    --no-disk-cache 2> "$work/invalid.log" > /dev/null || status=$?
[ "$status" = 2 ] && grep -q '"type": "value_not_in_list"' "$work/invalid.log"
echo "C example: --set applied; an invalid value exits 2 with ComfyUI's node_errors"
# 40 previews of one string: a cached run still sends each preview's "executed" message, so events dominate.
python3 - "$work/fan.json" <<'PYTHON'
import json, sys
fan = {"0": {"class_type": "PrimitiveString", "inputs": {"value": "a"}}}
for index in range(1, 41):
    fan[str(index)] = {"class_type": "PreviewAny", "inputs": {"source": ["0", 0]}}
json.dump(fan, open(sys.argv[1], "w"))
PYTHON
echo "C calling overhead, per cached run of hello-strings (the time without events):"
"$work/run_workflow" graphs/hello-strings.yaml --no-disk-cache --quiet --bench 10 | grep '^bench'
echo "C calling overhead, per event (a cached run of 40 previews):"
"$work/run_workflow" "$work/fan.json" --no-disk-cache --quiet --bench 4 | grep '^bench'

echo "== Python package"
venv=.build/embedding-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import numpy, PIL' 2> /dev/null; then
    python3 -m venv "$venv"
    if ! "$venv/bin/pip" install -q --timeout 20 --retries 1 numpy pillow; then
        echo "SKIPPED: the Python tests need numpy and pillow from PyPI, which is unreachable"
        exit 0
    fi
fi
scripts/build-python-wheel.sh --debug --no-build --out "$work/dist"
"$venv/bin/pip" install -q --force-reinstall --no-deps "$work"/dist/loom-*.whl
# From outside the repository, so `import loom` is the installed wheel.
(cd "$work" && LOOM_TEST_REPO="$root" LOOM_CLI_OUTPUT="$work/cli" "$root/$venv/bin/python" -m unittest discover \
    -s "$root/python/tests" -v)
(cd "$work" && "$root/$venv/bin/python" "$root/examples/python/run_dashtailor.py" --output "$work/python-example" \
    > "$work/example.log")
grep -q '^saved .*dressed' "$work/example.log"
grep -q '^8 previews' "$work/example.log"
echo "Python example: $(grep -c '^saved' "$work/example.log") images saved; $(grep previews "$work/example.log")"
