#!/usr/bin/env bash
# Installs the Debian packages Vitals builds and tests with. Idempotent: when
# everything is present it changes nothing and needs no network.
set -euo pipefail

packages=(
  # build
  cmake make g++ binutils pkg-config
  libpoco-dev
  libboost-dev libboost-filesystem-dev
  libtomlplusplus-dev
  libfmt-dev
  # service clients for the shipped plugins
  libpq-dev libhiredis-dev librabbitmq-dev libssl-dev
  # tests: doctest, and the real services and clients the tests run against
  doctest-dev
  postgresql redis-server rabbitmq-server
  monitoring-plugins-basic monitoring-plugins-standard liburiparser1
  prometheus openssl procps
  python3-jsonschema python3-yaml
  # the Debian package: cpack's dependency scan (file, dpkg-shlibdeps), what its
  # maintainer scripts run, and the package test's tools (systemd-analyze, curl)
  dpkg-dev file adduser systemd curl
  # the status page's browser tests: headless Chromium driven through chromedriver
  chromium chromium-driver
  # fuzzing (tests/fuzz/run.sh): clang with its libFuzzer and sanitizer runtimes
  clang libclang-rt-14-dev
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
