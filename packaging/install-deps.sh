#!/usr/bin/env bash
# Installs the Debian packages Vitals builds and tests with. Idempotent: when
# everything is present it changes nothing and needs no network.
set -euo pipefail

packages=(
  cmake make g++ binutils
  libpoco-dev
  libboost-dev libboost-filesystem-dev
  libtomlplusplus-dev
  libfmt-dev
  doctest-dev
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
