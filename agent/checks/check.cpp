// SPDX-License-Identifier: MIT
#include "checks/check.hpp"

namespace vitals {

Check::Check(CheckDefinition definition, std::string plugin_identity,
             std::unique_ptr<PluginRunner> runner)
    : definition_(std::move(definition)), plugin_identity_(std::move(plugin_identity)),
      runner_(std::move(runner)) {}

Check::~Check() = default;

CheckResult Check::run(std::chrono::steady_clock::time_point deadline) {
    CheckResult result = runner_->run(deadline, history_);
    if (result.no_news) return result;
    // Past its deadline the scheduler records a timeout, an error, whatever the plugin said.
    const bool late = std::chrono::steady_clock::now() > deadline;
    history_.add(late ? Status::error : result.status);
    return result;
}

} // namespace vitals
