// SPDX-License-Identifier: MIT
#include "checks/check.hpp"

namespace vitals {

Check::Check(CheckDefinition definition, std::string plugin_identity,
             std::unique_ptr<PluginRunner> runner)
    : definition_(std::move(definition)), plugin_identity_(std::move(plugin_identity)),
      runner_(std::move(runner)) {}

Check::~Check() = default;

CheckResult Check::run(std::chrono::steady_clock::time_point deadline) {
    return runner_->run(deadline);
}

} // namespace vitals
