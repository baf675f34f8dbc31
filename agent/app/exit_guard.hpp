// exit() is main's alone to call. SPDX-License-Identifier: MIT
#pragma once

#include <sysexits.h>

namespace vitals {

/// What the agent exits with when something other than main called exit(): an internal
/// software error.
inline constexpr int exit_not_by_main = EX_SOFTWARE;

/// Registers atexit() and at_quick_exit() handlers that let main's own exit through and
/// nothing else. An exit() or quick_exit() from elsewhere — an in-process plugin, or a
/// library it uses — is logged, naming the plugin call the calling thread is in (if it is
/// in one), and the process ends with exit_not_by_main rather than the status asked for:
/// status 0 would tell systemd's Restart=on-failure that the agent stopped on purpose.
/// Call once, early in main.
void guard_exit();

/// main itself is returning (or exiting) now: let it through.
void allow_exit() noexcept;

} // namespace vitals
