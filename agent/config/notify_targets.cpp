// SPDX-License-Identifier: MIT
#include "config/notify_targets.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace vitals {

void validate_notify_targets(const Configuration &config, ConfigErrors &errors) {
    std::vector<std::string> known;
    for (const auto &notifier : config.agent.notifiers)
        known.push_back(notifier.name);
    const std::string choices =
        known.empty() ? "agent.toml declares no [[notifier]]"
                      : fmt::format("agent.toml declares: {}", fmt::join(known, ", "));
    for (const auto &check : config.checks)
        for (const auto &name : check.notify)
            if (std::find(known.begin(), known.end(), name) == known.end())
                errors.push_back({check.notify_where, "check." + check.name + ".notify",
                                  fmt::format("no notifier named '{}' ({})", name, choices)});
}

} // namespace vitals
