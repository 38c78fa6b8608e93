#!/usr/bin/env bash
# Runs scripts/browser-test.py: ComfyUI's web frontend served by loom serve, driven in Debian's headless Chromium.
# Installs Chromium when it is missing. Usage: scripts/browser-test.sh PYTHON (a Python with the test packages).
set -euo pipefail
python="$1"
if ! command -v chromium >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
fi
# loom serve finds the templates packages through the python3 on PATH, as ComfyUI imports them.
PATH="$(cd "$(dirname "$python")" && pwd):$PATH"
export PATH
FRONT_END_ROOT="$("$python" -c "import comfyui_frontend_package, os; print(os.path.join(os.path.dirname(comfyui_frontend_package.__file__), 'static'))")"
export FRONT_END_ROOT
exec "$python" "$(dirname "$0")/browser-test.py"
