// Reading a check's on_failure table. SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>

#include <toml++/toml.h>

#include "config/config_error.hpp"
#include "config/failure_action.hpp"

namespace vitals {

/// `table` as an on_failure action of the check whose key prefix is `check_prefix`
/// ("check.nginx"); nullopt, with located errors added, when it is not one.
std::optional<FailureAction> read_failure_action(const toml::table &table,
                                                 const std::string &check_prefix,
                                                 ConfigErrors &errors);

} // namespace vitals
