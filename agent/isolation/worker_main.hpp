// The worker side of isolation = "process": `vitalsd --plugin-worker FD`. SPDX-License-Identifier:
// MIT
#pragma once

#include <string_view>

namespace vitals {

/// argv[1] that makes vitalsd a plugin worker: argv[2] is the socket's descriptor number,
/// argv[3] the check's name (for `ps` only).
inline constexpr std::string_view plugin_worker_flag = "--plugin-worker";

/// Serves one check for the agent over the socket on `fd`: load its plugin, create the
/// instance, run it on request, destroy it at end-of-file. Returns the exit code (64 when
/// `fd` is not a socket: a person ran it by hand).
int run_plugin_worker(int fd);

} // namespace vitals
