// SPDX-License-Identifier: MIT
//
// Handlers registered early run late, after the destructors of statics made later; that is
// the price of catching exit() from anywhere, and the handlers below use only the log (a
// mutex with no destructor) and the calling thread's own stack.
#include "app/exit_guard.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "checks/plugin_call.hpp"
#include "core/log.hpp"

namespace vitals {
namespace {

std::atomic<bool> exit_allowed{false};

[[noreturn]] void end_instead(const char *how) {
    if (const PluginCall *call = current_plugin_call())
        log(LogLevel::error, "agent",
            "a plugin, or a library it uses, called {} in check '{}' ({}()): the agent exits "
            "with status {} so that it is restarted",
            how, call->check, call->function, exit_not_by_main);
    else
        log(LogLevel::error, "agent",
            "a library called {} outside any plugin call: the agent exits with status {} so "
            "that it is restarted",
            how, exit_not_by_main);
    std::fflush(nullptr);         // what main printed so far, e.g. `vitalsd run`'s report
    std::_Exit(exit_not_by_main); // the rest of exit()'s work is for an exit that was meant
}

void on_exit() {
    if (!exit_allowed.load()) end_instead("exit()");
}

void on_quick_exit() {
    if (!exit_allowed.load()) end_instead("quick_exit()");
}

} // namespace

void guard_exit() {
    std::atexit(on_exit);
    std::at_quick_exit(on_quick_exit);
}

void allow_exit() noexcept {
    exit_allowed = true;
}

} // namespace vitals
