// Checks' `notify` lists against agent.toml's [[notifier]]s. SPDX-License-Identifier: MIT
#pragma once

#include "config/configuration.hpp"

namespace vitals {

/// Reports, at the check's `notify` key, every name no [[notifier]] has.
void validate_notify_targets(const Configuration &config, ConfigErrors &errors);

} // namespace vitals
