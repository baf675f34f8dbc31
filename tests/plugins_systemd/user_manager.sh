#!/bin/sh
# Runs a throwaway `systemd --user` for USER, never as PID 1. Meant to be started as root as
#   unshare --mount --propagation private user_manager.sh USER HOME RUNTIME_DIR CGROUP...
# so that its mounts stay in a mount namespace of its own: a private /tmp (systemd must not
# touch the host's), and /run/systemd with an empty system/ in it (what sd_booted() looks
# for, as on a host booted with systemd). HOME and RUNTIME_DIR are the manager's own, so that
# managers of one user started by tests in parallel never meet. Each CGROUP (one for cgroup
# v2, the unified and name=systemd hierarchies on a hybrid host) is delegated to USER: the
# manager moves its units into subgroups of it. The script becomes the manager (exec): stop
# it by this process's PID. SPDX-License-Identifier: MIT
set -eu
user=$1 home=$2 runtime=$3
shift 3
for cgroup in "$@"; do echo $$ >"$cgroup/cgroup.procs"; done
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run/systemd
mkdir /run/systemd/system
exec setpriv --reuid="$user" --regid="$user" --init-groups \
    env -i HOME="$home" USER="$user" LOGNAME="$user" PATH=/usr/bin:/bin \
    XDG_RUNTIME_DIR="$runtime" /lib/systemd/systemd --user
