#!/usr/bin/env bash
# Idempotent set-up: Debian packages for headless rendering (and Chromium for the browser tests),
# a virtual environment in .venv/, and the pinned Python packages. Fast when nothing changed.
# Usage: scripts/setup.sh run|dev
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"

apt_packages=(libegl1 libegl-mesa0 libgl1 libgles2 libosmesa6)
[ "$mode" = dev ] && apt_packages+=(chromium)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null \
    || echo "setup: could not install ${missing[*]}; rendering falls back to the software rasteriser" >&2
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
req_file=requirements.txt
[ "$mode" = dev ] && req_file=requirements-dev.txt
stamp=".venv/.installed-$mode"
digest=$(cat requirements.txt "$req_file" requirements-override.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  echo "setup: installing Python packages from $req_file"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r "$req_file"
  .venv/bin/python -m pip install -q --no-deps -r requirements-override.txt
  echo "$digest" > "$stamp"
fi
