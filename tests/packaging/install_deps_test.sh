#!/usr/bin/env bash
# packaging/install-deps.sh's sets, as `--list` prints them: what `dev.sh run` installs
# brings no server, and what `dev.sh test` installs is a superset that holds the servers
# apart (installed without starting). Reads the package database; installs nothing.
#   install_deps_test.sh SOURCE_DIR
set -euo pipefail
install_deps="$1/packaging/install-deps.sh"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

mapfile -t run < <("$install_deps" run --list)
mapfile -t package < <("$install_deps" package --list)
mapfile -t test < <("$install_deps" test --list)
mapfile -t sanitizers < <("$install_deps" test-sanitizers --list)
[ ${#run[@]} -gt 0 ] || fail "run installs nothing"

# Every package `run` installs, `package` and `test` install too.
contains() {
  local wanted=$1 item
  shift
  for item in "$@"; do [ "$item" = "$wanted" ] && return 0; done
  return 1
}
for p in "${run[@]}"; do
  contains "$p" "${package[@]}" || fail "run installs $p, package does not"
  contains "$p" "${test[@]}" || fail "run installs $p, test does not"
done
for p in "${package[@]}"; do contains "$p" "${test[@]}" || fail "package installs $p, test does not"; done
[ "${sanitizers[*]}" = "${test[*]}" ] || fail "test-sanitizers installs other packages than test"

# Installed packages and the service or socket units of theirs that installing would enable
# and start (those with an [Install] section: static ones such as dpkg's backup job only run
# when something else starts them), as "package: unit file".
enabled_units=$(dpkg-query -S '/lib/systemd/system/*' '/usr/lib/systemd/system/*' 2>/dev/null |
  while IFS= read -r line; do
    file=${line##*: }
    [[ $file =~ /[^/@]+\.(service|socket)$ ]] && grep -q '^WantedBy=' "$file" || continue
    owners=${line%: *}
    for owner in ${owners//,/ }; do echo "${owner%%:*}: $file"; done
  done)

# Those units among a set's packages and everything they depend on: a server hides behind
# a metapackage (postgresql's unit is in postgresql-common).
units_in_closure() {
  local closure
  closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances "$@" | grep -v '^[ <]' | sort -u)
  awk -F': ' 'NR == FNR { wanted[$0]; next } $1 in wanted' <(echo "$closure") <(echo "$enabled_units")
}

# The check sees a server where there is one: the test set's are installed here.
for server in postgresql redis-server rabbitmq-server prometheus memcached mariadb-server dnsmasq; do
  contains "$server" "${test[@]}" || fail "test does not install $server"
  contains "$server" "${run[@]}" && fail "run installs the server $server"
  if dpkg-query -W -f='${Status}' "$server" 2>/dev/null | grep -q "install ok installed"; then
    [ -n "$(units_in_closure "$server")" ] || fail "no unit found for $server: the check below sees nothing"
  fi
done

# What building and running the agent installs runs nothing: no package of it, nor any it
# depends on, ships a service or socket unit (which installing would start and enable).
for p in "${run[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    fail "$p (run's) is not installed here, so its units cannot be looked at"
done
daemons=$(units_in_closure "${run[@]}")
[ -z "$daemons" ] || fail "run would install services:"$'\n'"$daemons"

[ "$failures" -eq 0 ] || exit 1
echo "run: ${#run[@]} packages and no service; test: ${#test[@]} packages"
