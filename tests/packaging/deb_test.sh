#!/usr/bin/env bash
# The Debian package as an operator meets it. One script, four stages (CTest runs
# each as a test; see CMakeLists.txt next to this file):
#
#   deb_test.sh build     SOURCE_DIR WORK_DIR   packaging/build-deb.sh twice (revisions 1
#                                               and 2, for the upgrade) in WORK_DIR/build
#   deb_test.sh inspect   SOURCE_DIR WORK_DIR SHIPPED_PLUGIN_DIR
#                                               the .deb's files, conffiles, Depends, scripts
#                                               and its unit under systemd-analyze, without
#                                               installing it
#   deb_test.sh lintian   SOURCE_DIR WORK_DIR   lintian on the .deb: no E: or W: line
#   deb_test.sh lifecycle SOURCE_DIR WORK_DIR SHIPPED_PLUGIN_DIR
#                                               dpkg -i on this machine (root), run the
#                                               installed agent, upgrade, dpkg -r, dpkg -P
#
# lifecycle installs into the real system, so it holds a machine-wide lock (other
# checkouts run this test too), never touches an install it did not make (exit 77:
# skipped; a failure with VITALS_REQUIRE_PACKAGE_TEST=1), and purges what it installed on any exit — or, if it was killed, at the
# start of the next run.
set -euo pipefail

stage=$1
source_dir=$2
work_dir=$3
shipped_plugin_dir=${4:-}
build_dir=$work_dir/build
first_deb=$work_dir/vitals-first.deb
second_deb=$work_dir/vitals-second.deb

# The systemd-analyze security exposure (0.0 safest, 10.0 worst) the unit must stay
# at or under; docs/operations.md quotes the analysis.
max_exposure=2.0

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
# CTest counts exit 77 as skipped, not failed. Where this test must run (CI sets
# VITALS_REQUIRE_PACKAGE_TEST=1), a reason to skip is a failure that says why.
skip() {
    if [ "${VITALS_REQUIRE_PACKAGE_TEST:-}" = 1 ]; then
        fail "$* (so the test cannot run here, and VITALS_REQUIRE_PACKAGE_TEST=1 requires it)"
    fi
    echo "SKIP: $*" >&2
    exit 77
}
step_started=$SECONDS
step() {
    echo "[$((SECONDS - step_started))s] $*"
}
# Sorted, one per line, for comparing sets with diff.
sorted_lines() { tr ' ' '\n' | sed '/^$/d' | LC_ALL=C sort -u; }
same_set() { # name expected actual
    if ! diff <(sorted_lines <<<"$2") <(sorted_lines <<<"$3") >&2; then
        fail "$1 differ (< expected, > actual)"
    fi
}
shipped_plugins() {
    (cd "$shipped_plugin_dir" && ls -- *.so)
}
repo_drop_ins() {
    (cd "$source_dir/conf.d" && ls -- *.toml)
}

# ---------------------------------------------------------------------------- build

build() {
    rm -f "$first_deb" "$second_deb"
    step "building revision 1 in $build_dir"
    cp "$("$source_dir/packaging/build-deb.sh" "$build_dir" 1)" "$first_deb"
    # Same sources, higher Debian revision: a real upgrade for dpkg (0.1.0-1 -> 0.1.0-2),
    # as when a distribution rebuilds a package. Only the package is made again.
    step "building revision 2"
    cp "$("$source_dir/packaging/build-deb.sh" "$build_dir" 2)" "$second_deb"
    step "built $(du -h "$first_deb" | cut -f1) $(basename "$first_deb")"
}

# -------------------------------------------------------------------------- inspect

inspect() {
    [ -f "$first_deb" ] || fail "no package: the build stage did not run"
    temp=$(mktemp -d)
    trap 'rm -rf "$temp"' EXIT
    dpkg-deb -x "$first_deb" "$temp/root"
    dpkg-deb -e "$first_deb" "$temp/control"
    dpkg-deb -I "$first_deb"

    step "fields"
    [ "$(dpkg-deb -f "$first_deb" Package)" = vitals ] || fail "Package is not vitals"
    [ "$(dpkg-deb -f "$first_deb" Version)" = "$(version_of_source)-1" ] || fail "Version"
    [ "$(dpkg-deb -f "$first_deb" Architecture)" = "$(dpkg --print-architecture)" ] ||
        fail "Architecture"
    local depends
    depends=$(dpkg-deb -f "$first_deb" Depends)
    echo "Depends: $depends"
    local depended # the package names alone, one a line
    depended=$(sed 's/ *([^)]*)//g; s/, */\n/g' <<<"$depends")
    # Every library an ELF file in the package needs comes from a package that Depends
    # names: found here independently of dpkg-shlibdeps, through the dynamic section
    # and the package database of this (build) machine.
    local needed=() library package multiarch
    multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
    mapfile -t needed < <(find "$temp/root" -type f \( -name '*.so' -o -perm -u+x \) \
        -exec readelf -d {} + 2>/dev/null |
        sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | LC_ALL=C sort -u)
    [ ${#needed[@]} -gt 5 ] || fail "found only ${#needed[@]} NEEDED libraries"
    for library in "${needed[@]}"; do
        package=$(dpkg -S "*/$multiarch/$library" 2>/dev/null | head -1 | cut -d: -f1)
        [ -n "$package" ] || fail "no installed package holds $library"
        grep -Fqx "$package" <<<"$depended" ||
            fail "$library comes from $package, which Depends does not name"
    done
    grep -Fqx adduser <<<"$depended" || fail "Depends lacks adduser (postinst)"

    step "files"
    (cd "$temp/root" && find . ! -type d | sed 's|^\.||' | LC_ALL=C sort) >"$temp/files"
    sed 's/^/  /' "$temp/files"
    local expected=(/usr/sbin/vitalsd /lib/systemd/system/vitalsd.service
        /etc/vitals/agent.toml /usr/include/vitals/plugin.h /usr/include/vitals/plugin.hpp
        /usr/include/vitals/testing.hpp /usr/share/pkgconfig/vitals.pc
        /usr/lib/cmake/Vitals/VitalsConfig.cmake /usr/lib/cmake/Vitals/VitalsConfigVersion.cmake
        /usr/lib/cmake/Vitals/VitalsTargets.cmake /usr/lib/cmake/Vitals/VitalsPlugin.cmake
        /usr/lib/cmake/Vitals/vitals_plugin.map /usr/share/doc/vitals/README.md
        /usr/share/doc/vitals/docs/operations.md /usr/share/doc/vitals/copyright
        /usr/share/doc/vitals/changelog.Debian.gz /usr/share/man/man8/vitalsd.8.gz
        /usr/share/lintian/overrides/vitals)
    local file
    for file in "${expected[@]}"; do
        grep -qx "$file" "$temp/files" || fail "the package lacks $file"
    done
    same_set "plugins in /usr/lib/vitals/plugins" "$(shipped_plugins)" \
        "$(sed -n 's|^/usr/lib/vitals/plugins/||p' "$temp/files")"
    same_set "drop-ins in /etc/vitals/conf.d" "$(repo_drop_ins)" \
        "$(sed -n 's|^/etc/vitals/conf.d/||p' "$temp/files")"
    if grep -Ev '^/(usr/(sbin|include|lib|share/doc|share/man/man8|share/lintian/overrides|share/pkgconfig)|etc/vitals|lib/systemd/system)/' \
        "$temp/files"; then
        fail "files outside the package's layout (above)"
    fi

    step "conffiles: exactly the files under /etc"
    same_set conffiles "$(grep '^/etc/' "$temp/files")" "$(cat "$temp/control/conffiles")"

    step "the installed paths, and no way back to the source tree"
    grep -qx 'plugin_dirs = \["/usr/lib/vitals/plugins"\]' "$temp/root/etc/vitals/agent.toml" ||
        fail "agent.toml's plugin_dirs is not /usr/lib/vitals/plugins"
    grep -qx 'conf_d = "/etc/vitals/conf.d"' "$temp/root/etc/vitals/agent.toml" ||
        fail "agent.toml's conf_d is not /etc/vitals/conf.d"
    if grep -aqF "$source_dir/conf.d" "$temp/root/usr/sbin/vitalsd"; then
        fail "vitalsd still knows the source tree's conf.d (VITALS_SOURCE_TREE_FALLBACK)"
    fi
    grep -aqF /etc/vitals/agent.toml "$temp/root/usr/sbin/vitalsd" ||
        fail "vitalsd does not default to /etc/vitals/agent.toml"
    if readelf -S "$temp/root/usr/sbin/vitalsd" | grep -q '\.debug_info'; then
        fail "vitalsd is not stripped"
    fi

    step "changelog.Debian.gz: this revision's entry on top"
    local changelog
    changelog=$(gzip -dc "$temp/root/usr/share/doc/vitals/changelog.Debian.gz")
    [ "$(head -1 <<<"$changelog")" = "vitals ($(version_of_source)-1) unstable; urgency=medium" ] ||
        fail "changelog.Debian.gz does not start with the entry for $(version_of_source)-1"

    step "maintainer scripts"
    for file in postinst prerm postrm; do
        [ -x "$temp/control/$file" ] || fail "$file is missing or not executable"
        sh -n "$temp/control/$file" || fail "$file is not valid sh"
    done

    step "systemd-analyze on the packaged unit"
    local unit=$temp/root/lib/systemd/system/vitalsd.service
    grep -qx 'ExecStart=/usr/sbin/vitalsd --config /etc/vitals/agent.toml' "$unit" ||
        fail "ExecStart is not the packaged vitalsd and agent.toml"
    grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit" || fail "ExecReload does not send SIGHUP"
    grep -qx 'User=vitals' "$unit" || fail "the unit does not run as vitals"
    # The systemd plugin reads units over the system bus, a Unix socket (docs/plugins/systemd.md).
    grep -Eqx 'RestrictAddressFamilies=(.* )?AF_UNIX( .*)?' "$unit" ||
        fail "the unit's RestrictAddressFamilies= blocks AF_UNIX: no system bus for the systemd plugin"
    # Offline: no running systemd needed. Fails above max_exposure.
    SYSTEMD_LOG_LEVEL=err systemd-analyze security --offline=yes --no-pager \
        --threshold="$(awk "BEGIN { print int($max_exposure * 10) }")" "$unit" ||
        fail "the unit's exposure is above $max_exposure (or systemd-analyze failed)"
}

version_of_source() {
    sed -n 's/^project(vitals VERSION \([0-9.]*\) .*/\1/p' "$source_dir/CMakeLists.txt"
}

# The plugin ABI the source's header declares, as `vitalsd --version` prints it: "1.1".
abi_of_source() {
    local header=$source_dir/sdk/include/vitals/plugin.h
    echo "$(sed -n 's/^#define VITALS_ABI_MAJOR \([0-9]*\)$/\1/p' "$header").$(
        sed -n 's/^#define VITALS_ABI_MINOR \([0-9]*\)$/\1/p' "$header")"
}

# -------------------------------------------------------------------------- lintian

# Debian's own package checker, as a distribution would run it on the .deb. Its I: (info)
# and P: (pedantic) lines are shown, not failed on. The package's one override
# (packaging/debian/lintian-overrides, with its reason) is shown as an O: line.
run_lintian() {
    command -v lintian >/dev/null ||
        skip "lintian is not installed (packaging/install-deps.sh test installs it)"
    [ -f "$first_deb" ] || fail "no package: the build stage did not run"
    step "$(lintian --version) on $(basename "$first_deb")"
    local output
    output=$(lintian --fail-on none --display-info --pedantic --show-overrides "$first_deb" 2>&1) ||
        fail "lintian itself failed: $output"
    printf '%s\n' "$output"
    if grep -E '^[EW]: ' <<<"$output" >&2; then
        fail "lintian reports the errors and warnings above"
    fi
    step "no error or warning"
}

# ------------------------------------------------------------------------ lifecycle

lock_file=/run/lock/vitals-deb-test.lock
# Written just before this test installs the package and removed once it purged it:
# an install this test made, and only that, may be purged without asking.
ours_file=/run/lock/vitals-deb-test.installed
# The PID of the agent this test started, for the same reason.
agent_pid_file=/run/lock/vitals-deb-test.agent-pid
agent_pid=

# dpkg, retried while another process (apt in a parallel checkout) holds its lock.
dpkg_() {
    local output status
    for _ in $(seq 1 150); do
        status=0
        output=$(dpkg "$@" </dev/null 2>&1) || status=$?
        if [ $status -ne 0 ] && grep -q 'locked by another process' <<<"$output"; then
            sleep 2
            continue
        fi
        printf '%s\n' "$output"
        return $status
    done
    fail "dpkg's lock stayed taken for 5 minutes"
}

stop_agent() {
    if [ -n "$agent_pid" ] && kill -0 "$agent_pid" 2>/dev/null; then
        kill -KILL "$agent_pid" 2>/dev/null || true
        wait "$agent_pid" 2>/dev/null || true
    fi
    agent_pid=
    rm -f "$agent_pid_file"
}

purge_ours() {
    local pid
    if [ -f "$agent_pid_file" ]; then
        pid=$(cat "$agent_pid_file")
        # Only if that PID is still the installed vitalsd, not a process that reused it.
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q '^/usr/sbin/vitalsd '; then
            echo "stopping the vitalsd (PID $pid) a killed run of this test left"
            kill -KILL "$pid" || true
        fi
        rm -f "$agent_pid_file"
    fi
    if [ -f "$ours_file" ]; then
        echo "purging the package this test installed"
        dpkg_ --purge vitals >&2 || true
        rm -f "$ours_file"
    fi
}

cleanup() {
    local status=$?
    stop_agent
    purge_ours
    [ -n "${temp:-}" ] && rm -rf "$temp"
    exit $status
}

installed_status() {
    dpkg-query -W -f='${db:Status-Status}' vitals 2>/dev/null || true
}

refuse_foreign_install() {
    local status
    status=$(installed_status)
    if [ -n "$status" ] && [ "$status" != not-installed ]; then
        skip "the package vitals is on this machine ($status) and this test did not install it"
    fi
    local path
    for path in /usr/sbin/vitalsd /etc/vitals /usr/lib/vitals /lib/systemd/system/vitalsd.service; do
        [ ! -e "$path" ] || skip "$path exists and does not come from this test"
    done
    ! getent passwd vitals >/dev/null || skip "a user vitals exists that this test did not create"
    ! getent group vitals >/dev/null || skip "a group vitals exists that this test did not create"
}

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts the installed vitalsd the way vitalsd.service does: ExecStart's command as the
# vitals user, no capabilities, no new privileges, a clean environment.
start_agent() {
    local log=$1
    setpriv --reuid=vitals --regid=vitals --init-groups --no-new-privs \
        --inh-caps=-all --bounding-set=-all -- \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        /usr/sbin/vitalsd --config /etc/vitals/agent.toml 2>"$log" {lock_fd}>&- &
    agent_pid=$!
    echo "$agent_pid" >"$agent_pid_file"
    for _ in $(seq 1 100); do
        grep -q "listening on 127.0.0.1:$port " "$log" && return 0
        kill -0 "$agent_pid" 2>/dev/null || { cat "$log" >&2; fail "vitalsd exited at startup"; }
        sleep 0.2
    done
    cat "$log" >&2
    fail "vitalsd did not log that it listens on 127.0.0.1:$port"
}

# GET: the body goes to $temp/body, the status code to $status_code.
http_get() {
    curl -sS --max-time 5 -o - -w '%{http_code}' "http://127.0.0.1:$port$1" >"$temp/response" ||
        fail "GET $1: no answer"
    status_code=$(tail -c 3 "$temp/response")
    head -c -3 "$temp/response" >"$temp/body"
}

# Waits until every check has run once (none pending) and /health answers 200.
# load and memory are left out: they report on this shared machine, not on the package.
expect_healthy() {
    for _ in $(seq 1 60); do
        http_get '/health?exclude=load,memory'
        if [ "$status_code" = 200 ] && /usr/bin/python3 -c '
import json, sys
sys.exit(any(check["pending"] for check in json.load(sys.stdin)["checks"].values()))' \
            <"$temp/body"; then
            return 0
        fi
        sleep 0.5
    done
    cat "$temp/body" >&2
    fail "/health?exclude=load,memory answered $status_code, not 200 with every check run"
}

check_served_checks() {
    # The checks are the installed conf.d's enabled ones, with the local edits.
    local names
    names=$(/usr/bin/python3 -c 'import json, sys; print(" ".join(json.load(sys.stdin)["checks"]))' \
        <"$temp/body")
    local name
    for name in root_disk uptime agent_port agent_http resolver_localhost zombie_processes \
        package_test; do
        grep -qw "$name" <<<"$names" || fail "/health lacks the check $name (has: $names)"
    done
    if grep -qw disks <<<"$names"; then fail "/health has disks, whose drop-in was deleted"; fi
    echo "  /health?exclude=load,memory: 200, checks: $names"
    http_get /health/live
    [ "$status_code" = 200 ] || fail "/health/live answered $status_code"
    http_get /health/checks/agent_port
    [ "$status_code" = 200 ] || fail "agent_port (its port edited to $port) answered $status_code"
    http_get /metrics
    grep -q "^vitals_agent_info{.*version=\"$(version_of_source)\"" "$temp/body" ||
        fail "/metrics has no vitals_agent_info for version $(version_of_source)"
}

# Where systemd runs, postinst (re)started vitalsd.service with the installed
# configuration: stop it, so the agent this test starts has the port to itself.
# (The machines this runs on have no systemd; this path is untested.)
stop_service() {
    if [ -d /run/systemd/system ]; then
        systemctl stop vitalsd.service || true
    fi
}

stop_agent_by_sigterm() {
    kill -TERM "$agent_pid"
    local status=0
    wait "$agent_pid" || status=$?
    agent_pid=
    rm -f "$agent_pid_file"
    [ $status -eq 0 ] || fail "vitalsd exited $status after SIGTERM"
}

lifecycle() {
    [ "$(id -u)" -eq 0 ] || skip "dpkg -i needs root"
    [ -f "$first_deb" ] && [ -f "$second_deb" ] || fail "no package: the build stage did not run"
    exec {lock_fd}>"$lock_file"
    step "waiting for the machine-wide package test lock"
    flock -w 1800 "$lock_fd" || fail "another package test held $lock_file for 30 minutes"
    temp=$(mktemp -d)
    trap cleanup EXIT
    trap 'exit 1' INT TERM
    purge_ours # left behind by a run that was killed
    refuse_foreign_install

    step "dpkg -i revision 1"
    touch "$ours_file"
    dpkg_ --install "$first_deb" || fail "dpkg -i $first_deb failed"
    stop_service
    [ "$(installed_status)" = installed ] || fail "vitals is not installed after dpkg -i"
    [ -x /usr/sbin/vitalsd ] || fail "no /usr/sbin/vitalsd"
    same_set "installed plugins" "$(shipped_plugins)" \
        "$(cd /usr/lib/vitals/plugins && find . -type f -printf '%P\n')"
    [ -f /usr/include/vitals/plugin.h ] || fail "no SDK header"
    [ -f /lib/systemd/system/vitalsd.service ] || fail "no unit"
    if dpkg -L vitals | grep /usr/local; then fail "the package installs into /usr/local"; fi
    /usr/sbin/vitalsd --version |
        grep -qx "vitalsd $(version_of_source) (plugin ABI $(abi_of_source))" ||
        fail "vitalsd --version: $(/usr/sbin/vitalsd --version)"

    step "man vitalsd"
    command -v man >/dev/null || fail "no man(1) here: install man-db (packaging/install-deps.sh test)"
    [ "$(man -w vitalsd)" = /usr/share/man/man8/vitalsd.8.gz ] ||
        fail "man -w vitalsd: '$(man -w vitalsd 2>&1)', not /usr/share/man/man8/vitalsd.8.gz"
    local page
    page=$(MANWIDTH=80 man vitalsd 2>&1) || fail "man vitalsd failed: $page"
    head -8 <<<"$page"
    grep -q '^ *vitalsd .*host health.check agent' <<<"$page" ||
        fail "man vitalsd does not show the page's NAME line"

    step "the vitals user, its drop-in access, the enabled unit"
    local passwd uid
    passwd=$(getent passwd vitals) || fail "postinst created no user vitals"
    echo "  $passwd"
    uid=$(cut -d: -f3 <<<"$passwd")
    [ "$uid" -lt 1000 ] || fail "vitals is not a system user (uid $uid)"
    [ "$(cut -d: -f6 <<<"$passwd")" = /nonexistent ] || fail "vitals has a home"
    [ "$(cut -d: -f7 <<<"$passwd")" = /usr/sbin/nologin ] || fail "vitals has a login shell"
    getent group vitals >/dev/null || fail "postinst created no group vitals"
    [ "$(stat -c '%U:%G %a' /etc/vitals/conf.d)" = "root:vitals 750" ] ||
        fail "/etc/vitals/conf.d is $(stat -c '%U:%G %a' /etc/vitals/conf.d), not root:vitals 750"
    [ "$(readlink /etc/systemd/system/multi-user.target.wants/vitalsd.service)" = \
        /lib/systemd/system/vitalsd.service ] || fail "postinst did not enable vitalsd.service"
    SYSTEMD_LOG_LEVEL=err systemd-analyze verify /lib/systemd/system/vitalsd.service ||
        fail "systemd-analyze verify rejects the installed unit"

    step "conffiles registered"
    local conffiles
    conffiles=$(dpkg-query -W -f='${Conffiles}\n' vitals | awk 'NF { print $1 }')
    same_set "registered conffiles" \
        "/etc/vitals/agent.toml $(repo_drop_ins | sed 's|^|/etc/vitals/conf.d/|')" "$conffiles"

    step "find_package(Vitals) from the package builds sdk/examples/c"
    cmake -S "$source_dir/sdk/examples/c" -B "$temp/example" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$temp/example.log" 2>&1 ||
        { cat "$temp/example.log" >&2; fail "the example does not configure"; }
    grep -q "Vitals_DIR-NOTFOUND" "$temp/example/CMakeCache.txt" && fail "Vitals not found"
    grep -qx 'Vitals_DIR:PATH=/usr/lib/cmake/Vitals' "$temp/example/CMakeCache.txt" ||
        fail "find_package(Vitals) did not use /usr/lib/cmake/Vitals"
    cmake --build "$temp/example" >>"$temp/example.log" 2>&1 ||
        { cat "$temp/example.log" >&2; fail "the example does not build"; }
    /usr/sbin/vitalsd run --plugin "$temp/example/open_files.so" >"$temp/run.log" 2>&1 ||
        { cat "$temp/run.log" >&2; fail "vitalsd run --plugin open_files.so failed"; }
    cat "$temp/run.log"

    step "the installed http.so speaks https"
    # http.so links OpenSSL through Poco NetSSL: an https check to a closed port gets as far
    # as connecting only when the package's Depends brought them in.
    /usr/sbin/vitalsd run --plugin /usr/lib/vitals/plugins/http.so \
        --param "url=https://127.0.0.1:$(free_port)/" >"$temp/https.log" 2>&1 || true
    cat "$temp/https.log"
    grep -q '^message .*: connection refused$' "$temp/https.log" ||
        fail "an https check of the installed http.so did not get to connecting"

    step "the installed vitalsd serves HTTPS"
    # Through Poco NetSSL as the package links it, with no source tree to fall back on.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj /CN=127.0.0.1 -keyout "$temp/tls.key" -out "$temp/tls.crt" 2>/dev/null
    mkdir "$temp/tls.d"
    local tls_port tls_pid code=""
    tls_port=$(free_port)
    # Its own state_dir: run as root, it must not leave root's files in the service's.
    printf 'listen = "127.0.0.1:%s"\nconf_d = "%s"\nstate_dir = "%s"\n[tls]\ncertificate = "%s"\nkey = "%s"\n' \
        "$tls_port" "$temp/tls.d" "$temp/tls-state" "$temp/tls.crt" "$temp/tls.key" >"$temp/tls.toml"
    /usr/sbin/vitalsd --config "$temp/tls.toml" 2>"$temp/tls.log" &
    tls_pid=$!
    for _ in $(seq 1 50); do
        code=$(curl -sk --max-time 2 -o /dev/null -w '%{http_code}' \
            "https://127.0.0.1:$tls_port/health/live") && [ "$code" = 200 ] && break
        kill -0 "$tls_pid" 2>/dev/null || break
        sleep 0.2
    done
    kill "$tls_pid" 2>/dev/null
    wait "$tls_pid" || true
    [ "$code" = 200 ] || { cat "$temp/tls.log" >&2; fail "no HTTPS answer from the installed vitalsd"; }

    step "local edits: a test port, a deleted example, a drop-in of our own"
    port=$(free_port)
    sed -i "s/^listen = .*/listen = \"127.0.0.1:$port\"/" /etc/vitals/agent.toml
    sed -i "s/port = 9188/port = $port/" /etc/vitals/conf.d/20-self.toml
    sed -i "s/127.0.0.1:9188/127.0.0.1:$port/" /etc/vitals/conf.d/30-http.toml
    rm /etc/vitals/conf.d/15-disks.toml
    cat >/etc/vitals/conf.d/90-local.toml <<EOF
[check.package_test]
plugin = "tcp"
interval = "5s"
params = { host = "127.0.0.1", port = $port }
EOF
    chmod 640 /etc/vitals/conf.d/90-local.toml
    chgrp vitals /etc/vitals/conf.d/90-local.toml
    setpriv --reuid=vitals --regid=vitals --init-groups -- \
        /usr/sbin/vitalsd --config /etc/vitals/agent.toml --check-config >"$temp/check.log" 2>&1 ||
        { cat "$temp/check.log" >&2; fail "--check-config as vitals rejects the installed config"; }
    cat "$temp/check.log"
    grep -q "configuration OK: /etc/vitals/agent.toml, conf.d /etc/vitals/conf.d, .* $(shipped_plugins | wc -l) plugin(s)" \
        "$temp/check.log" || fail "--check-config did not load every plugin from the package"

    step "the installed vitalsd, as the unit starts it, on port $port"
    start_agent "$temp/agent.log"
    expect_healthy
    check_served_checks
    kill -HUP "$agent_pid" # ExecReload
    for _ in $(seq 1 50); do
        grep -q "configuration reloaded" "$temp/agent.log" && break
        sleep 0.2
    done
    grep -q "configuration reloaded" "$temp/agent.log" || fail "no reload after SIGHUP"
    stop_agent_by_sigterm

    step "dpkg -i revision 2 (upgrade, stdin closed: it must not ask)"
    local edited_agent_toml
    edited_agent_toml=$(md5sum </etc/vitals/agent.toml)
    dpkg_ --install "$second_deb" || fail "the upgrade failed"
    stop_service
    [ "$(dpkg-query -W -f='${Version}' vitals)" = "$(version_of_source)-2" ] ||
        fail "the upgrade did not install revision 2"
    [ "$(md5sum </etc/vitals/agent.toml)" = "$edited_agent_toml" ] ||
        fail "the upgrade changed the edited agent.toml"
    grep -q "port = $port" /etc/vitals/conf.d/20-self.toml || fail "the upgrade undid an edit"
    [ ! -e /etc/vitals/conf.d/15-disks.toml ] || fail "the upgrade restored a deleted drop-in"
    [ -f /etc/vitals/conf.d/90-local.toml ] || fail "the upgrade lost a local drop-in"
    [ "$(getent passwd vitals | cut -d: -f3)" = "$uid" ] || fail "the upgrade changed vitals' uid"
    [ "$(stat -c '%U:%G %a' /etc/vitals/conf.d)" = "root:vitals 750" ] ||
        fail "the upgrade reset /etc/vitals/conf.d's owner or mode"
    [ "$(stat -c '%U:%G %a' /var/lib/vitals)" = "vitals:vitals 700" ] ||
        fail "/var/lib/vitals (state_dir) is not the agent's alone"
    start_agent "$temp/agent-upgraded.log"
    # The results of the agent before the upgrade are there at once.
    grep -Eq "[1-9][0-9]* of [0-9]+ check\(s\) restored from the last run" "$temp/agent-upgraded.log" ||
        { cat "$temp/agent-upgraded.log" >&2; fail "the upgraded agent restored no result"; }
    expect_healthy
    check_served_checks
    stop_agent_by_sigterm

    step "dpkg -r: programs gone, configuration and user kept"
    dpkg_ --remove vitals || fail "dpkg -r failed"
    [ "$(installed_status)" = config-files ] || fail "status after dpkg -r: $(installed_status)"
    for file in /usr/sbin/vitalsd /usr/lib/vitals /usr/include/vitals /usr/lib/cmake/Vitals \
        /lib/systemd/system/vitalsd.service /usr/share/doc/vitals /usr/share/man/man8/vitalsd.8.gz; do
        [ ! -e "$file" ] || fail "dpkg -r left $file"
    done
    [ "$(md5sum </etc/vitals/agent.toml)" = "$edited_agent_toml" ] || fail "dpkg -r lost agent.toml"
    [ -f /etc/vitals/conf.d/90-local.toml ] || fail "dpkg -r lost a local drop-in"
    getent passwd vitals >/dev/null || fail "dpkg -r removed the user"

    step "dpkg -P: nothing left"
    dpkg_ --purge vitals || fail "dpkg -P failed"
    rm -f "$ours_file"
    local status
    status=$(installed_status)
    [ -z "$status" ] || [ "$status" = not-installed ] || fail "status after dpkg -P: $status"
    for file in /etc/vitals /var/lib/vitals /etc/systemd/system/multi-user.target.wants/vitalsd.service \
        /etc/systemd/system/vitalsd.service \
        /var/lib/systemd/deb-systemd-helper-enabled/vitalsd.service.dsh-also \
        /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/vitalsd.service \
        /var/lib/systemd/deb-systemd-helper-masked/vitalsd.service; do
        [ ! -e "$file" ] && [ ! -L "$file" ] || fail "dpkg -P left $file"
    done
    if getent passwd vitals; then fail "dpkg -P left the user vitals"; fi
    if getent group vitals; then fail "dpkg -P left the group vitals"; fi
    if dpkg-statoverride --list /etc/vitals/conf.d; then fail "dpkg -P left the statoverride"; fi
    step "done"
}

case $stage in
    build) build ;;
    inspect) inspect ;;
    lintian) run_lintian ;;
    lifecycle) lifecycle ;;
    *)
        echo "usage: $0 build|inspect|lintian|lifecycle SOURCE_DIR WORK_DIR [SHIPPED_PLUGIN_DIR]" >&2
        exit 64
        ;;
esac
