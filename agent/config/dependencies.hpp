// depends_on between checks: every name known, no cycles. SPDX-License-Identifier: MIT
#pragma once

#include <vector>

#include "config/configuration.hpp"

namespace vitals {

/// Reports a depends_on naming an unknown or disabled check, and every
/// cycle (naming the checks in it), at the depends_on key.
void validate_dependencies(const std::vector<CheckDefinition> &checks, ConfigErrors &errors);

} // namespace vitals
