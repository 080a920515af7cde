#!/usr/bin/env bash
# Installs the Debian 12 packages swiftvr needs to build, test and run its demo.
# Idempotent: apt runs only when a package is missing. Needs root (or sudo).
# --training also installs the Python side (training/pyproject.toml, its pinned versions;
# torch as the CPU wheel), which only training, evaluation and fixture scripts need.
set -euo pipefail

pkgs=(
  pkg-config gcc
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev   # headers, gstreamer-check-1.0
  libopenblas-dev                                        # all heavy math
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-base-apps
  gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-libav  # decode, x264enc, mp4mux, AAC
  gstreamer1.0-plugins-bad                               # h264parse (the file and RTP examples)
  python3-gi gir1.2-gstreamer-1.0                        # the PyGObject example
  ffmpeg fonts-dejavu-core                               # the before/after picture and its labels
  dpkg-dev help2man lintian                              # scripts/package-deb.sh (Depends, the man page), its check
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "install-deps: swiftvr needs a Swift 6 toolchain on PATH (the swift.org release for Debian 12)." >&2
  exit 1
fi

if [ "${1:-}" = --training ]; then
  cd "$(dirname "$0")/.."
  # The photographs the restorer trains on, and the licensed face photographs it is
  # validated on (training/DATA.md).
  for p in mate-backgrounds gnome-backgrounds visp-images-data libvlfeat-doc; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || { [ "$(id -u)" = 0 ] && sudo="" || sudo=sudo; DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$p" >/dev/null; }
  done
  python3 -m pip install --extra-index-url https://download.pytorch.org/whl/cpu -e training
fi
