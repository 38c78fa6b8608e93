#!/usr/bin/env bash
# Installs the Debian packages Loom builds against, if any are missing. Safe to run repeatedly.
set -euo pipefail

packages=(libvulkan-dev mesa-vulkan-drivers glslang-tools spirv-tools libpng-dev zlib1g-dev libjpeg-dev libwebp-dev libyaml-dev)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing: ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null || { echo "Swift 6 is required: https://www.swift.org/install/linux/" >&2; exit 1; }
