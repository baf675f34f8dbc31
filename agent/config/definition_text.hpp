// A check's definition written out whole, to recognise it across restarts.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include "config/configuration.hpp"

namespace vitals {

/// Every field of `definition` as TOML text, params included, in a fixed order: equal
/// definitions give equal text, whatever file or layout they came from. Source locations
/// are left out (where a check is written changes nothing it does).
std::string definition_text(const CheckDefinition &definition);

/// The same for agent.toml's [isolation], which a check run in a worker is started with.
std::string isolation_text(const IsolationSettings &isolation);

} // namespace vitals
