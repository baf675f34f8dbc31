// SPDX-License-Identifier: MIT
#include "checks/plugin_call.hpp"

namespace vitals {
namespace {

// A pointer, not an object: trivially destructible, so exit() destroys nothing here.
thread_local const PluginCall *current = nullptr;

} // namespace

PluginCallScope::PluginCallScope(const std::string &check, const char *function) noexcept
    : call_{check.c_str(), function}, outer_(current) {
    current = &call_;
}

PluginCallScope::~PluginCallScope() {
    current = outer_;
}

const PluginCall *current_plugin_call() noexcept {
    return current;
}

} // namespace vitals
