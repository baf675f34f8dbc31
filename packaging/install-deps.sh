#!/usr/bin/env bash
# Installs the Debian packages one of packaging/dev.sh's commands needs. Idempotent: when
# everything is present it changes nothing and needs no network.
#   packaging/install-deps.sh run               build and run the agent: compilers and libraries
#   packaging/install-deps.sh package           also what packaging/build-deb.sh needs
#   packaging/install-deps.sh test              also what the tests run against (services,
#                                               Chromium, clang...), none of them started
#   packaging/install-deps.sh test-sanitizers   the same as test
#   packaging/install-deps.sh COMMAND --list    print that set, one package a line; install nothing
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }

# Building and running the agent and its shipped plugins; nothing here runs a daemon.
run_packages=(
  cmake make g++ binutils pkg-config
  libpoco-dev
  # maintenance windows' time zones (Abseil's, also gRPC's dependency)
  libabsl-dev
  libboost-dev libboost-filesystem-dev
  libtomlplusplus-dev
  libfmt-dev
  # service clients the shipped plugins link
  libpq-dev libhiredis-dev librabbitmq-dev libssl-dev
  # the grpc plugin: gRPC's C++ library; its CMake package also wants protobuf's and the
  # protoc plugin's files present, though nothing here runs protoc
  libgrpc++-dev libprotobuf-dev protobuf-compiler-grpc
  # sd-bus, systemd's D-Bus client (the systemd plugin)
  libsystemd-dev
  libmemcached-dev libmariadb-dev libc-ares-dev
)

# The Debian package: cpack's dependency scan (file, dpkg-shlibdeps).
package_packages=(dpkg-dev file)

# Servers the tests start instances of their own of, on loopback ports. Installing them on
# a systemd host would start them and enable them at boot (RabbitMQ, epmd and Prometheus
# on every interface): they are installed apart, held back from starting, and disabled.
# chrony: the ntp plugin's tests run chronyd as an NTP server on a loopback port (-x: the
# clock untouched). chrony and systemd-timesyncd both provide time-daemon, so installing it
# removes timesyncd where that keeps the clock, and chrony's own unit is disabled like the
# others: there, `systemctl enable --now chrony` has it keep the clock instead.
test_services=(postgresql redis-server rabbitmq-server prometheus memcached mariadb-server dnsmasq chrony
  # the alertmanager notifier's tests: Alertmanager forwarding to a webhook the test runs
  prometheus-alertmanager)

test_packages=(
  doctest-dev
  monitoring-plugins-basic monitoring-plugins-standard liburiparser1
  openssl procps
  # the ntp plugin's tests: a chronyd serving a time it is told to get wrong
  faketime
  # the ping plugin's tests: ip(8) sets up the network namespaces they make
  iproute2
  python3-jsonschema python3-yaml
  # the mysql tests' SQL client, the smtp tests' server (run with Debian's python3)
  mariadb-client python3-aiosmtpd
  # the package test: what the .deb's maintainer scripts run, and its tools
  # (systemd-analyze, curl; lintian, Debian's package checker; man-db for `man vitalsd`)
  adduser systemd curl lintian man-db
  # the systemd plugin's tests: a user session's bus (dbus.socket and dbus.service user units)
  dbus-user-session
  # the status page's browser tests: headless Chromium driven through chromedriver
  chromium chromium-driver
  # fuzzing (tests/fuzz/run.sh): clang with its libFuzzer and sanitizer runtimes
  clang libclang-rt-14-dev
)

[ $# -ge 1 ] || usage
case $1 in
  run) wanted=("${run_packages[@]}"); services=() ;;
  package) wanted=("${run_packages[@]}" "${package_packages[@]}"); services=() ;;
  test | test-sanitizers)
    wanted=("${run_packages[@]}" "${package_packages[@]}" "${test_packages[@]}")
    services=("${test_services[@]}") ;;
  *) usage ;;
esac
if [ "${2:-}" = --list ]; then
  printf '%s\n' "${wanted[@]}" "${services[@]}"
  exit 0
fi
[ $# -eq 1 ] || usage

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing_of() {
  local package
  for package in "$@"; do installed "$package" || echo "$package"; done
}
mapfile -t missing < <(missing_of "${wanted[@]}")
mapfile -t missing_services < <(missing_of "${services[@]}")
[ ${#missing[@]} -eq 0 ] && [ ${#missing_services[@]} -eq 0 ] && exit 0

as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
export DEBIAN_FRONTEND=noninteractive
apt_install() { "${as_root[@]}" apt-get install -y -qq --no-install-recommends "$@"; }
"${as_root[@]}" apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  apt_install "${missing[@]}"
fi
[ ${#missing_services[@]} -eq 0 ] && exit 0

# policy-rc.d is how Debian keeps a package's service from starting: invoke-rc.d and
# deb-systemd-invoke ask it before every start, and 101 means "not now". One already
# there (a container image's) is put back as it was, whatever happens meanwhile.
policy=/usr/sbin/policy-rc.d
saved=""
restore_policy() {
  if [ -n "$saved" ]; then
    "${as_root[@]}" mv -f "$saved" "$policy"
  else
    "${as_root[@]}" rm -f "$policy"
  fi
}
if [ -e "$policy" ]; then
  saved=$("${as_root[@]}" mktemp "$policy.vitals.XXXXXX")
  "${as_root[@]}" cp -p "$policy" "$saved"
fi
trap restore_policy EXIT
trap 'exit 130' INT TERM # through the EXIT trap too
printf '#!/bin/sh\n# packaging/install-deps.sh: the test services are not started\nexit 101\n' |
  "${as_root[@]}" tee "$policy" >/dev/null
"${as_root[@]}" chmod 755 "$policy"

echo "installing, not starting: ${missing_services[*]}" >&2
installed_packages() { dpkg-query -W -f='${db:Status-Abbrev}${binary:Package}\n' | sed -n 's/^ii *//p' | sort; }
before=$(installed_packages)
apt_install "${missing_services[@]}"
after=$(installed_packages)

# policy-rc.d stops the start, not the enabling: undo that for every service and socket
# unit of the packages this step brought in (epmd comes with erlang-base, for one), so
# none starts at the next boot either. Timers are left: they do housekeeping and listen
# on nothing. Every other package (systemd among them) was installed in the step above, so
# only what the servers brought is touched. Each of these servers has a native systemd
# unit; the rc links a sysvinit host would start them from are not covered.
# deb-systemd-helper is what the packages' maintainer scripts enabled them with; it refuses
# to run unless it is told, as dpkg tells it, which package's unit it is changing.
units=()
for package in $(comm -13 <(echo "$before") <(echo "$after")); do
  while read -r file; do
    case $file in
      /lib/systemd/system/*.service | /lib/systemd/system/*.socket | \
        /usr/lib/systemd/system/*.service | /usr/lib/systemd/system/*.socket)
        [[ $file == *@.* ]] && continue # templates: instances only
        unit=$(basename "$file")
        "${as_root[@]}" env DPKG_MAINTSCRIPT_PACKAGE="${package%%:*}" deb-systemd-helper disable "$unit" </dev/null
        units+=("$unit")
        ;;
    esac
  done < <(dpkg-query -L "$package")
done
[ ${#units[@]} -eq 0 ] || echo "disabled (the tests start their own): ${units[*]}" >&2
