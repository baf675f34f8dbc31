// [[notifier]] of agent.toml: where alerts go. SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <vector>

#include <toml++/toml.h>

#include "config/config_error.hpp"
#include "config/notifier_definition.hpp"

namespace vitals {

/// [[notifier]]s one agent.toml may declare (each has a delivery thread).
inline constexpr std::size_t max_notifiers = 64;

/// Reads every [[notifier]] table of `notifiers` (agent.toml's `notifier` array): each key
/// checked for its type and range, secrets (`token`, `token_file`, `password`) read now,
/// relative paths against `base_dir`. A notifier with any error is left out; every error
/// names file, line and key, never a secret's value.
std::vector<NotifierDefinition> read_notifiers(const toml::array &notifiers,
                                               const std::filesystem::path &base_dir,
                                               ConfigErrors &errors);

} // namespace vitals
