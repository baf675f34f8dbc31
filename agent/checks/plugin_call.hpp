// Which plugin call a thread is in. SPDX-License-Identifier: MIT
#pragma once

#include <string>

namespace vitals {

/// A call into an in-process plugin, as seen from the thread making it.
struct PluginCall {
    const char *check;    ///< the check's name
    const char *function; ///< "create", "run" or "destroy"
};

/// Marks this thread as inside a plugin call for the scope's life, so that what a plugin
/// does to the whole process (calling exit(), say) can be put down to its check where no
/// caller can be asked. `check` must outlive the scope.
class PluginCallScope {
public:
    PluginCallScope(const std::string &check, const char *function) noexcept;
    ~PluginCallScope();
    PluginCallScope(const PluginCallScope &) = delete;
    PluginCallScope &operator=(const PluginCallScope &) = delete;

private:
    PluginCall call_;
    const PluginCall *outer_;
};

/// The plugin call this thread is in, or nullptr. Safe in an atexit handler: it reads a
/// plain thread_local pointer, which exit() leaves alone, into the caller's stack, which
/// exit() does not unwind.
const PluginCall *current_plugin_call() noexcept;

} // namespace vitals
