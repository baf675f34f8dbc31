// This machine's name, as the status page titles itself and `instance` labels checks.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>

namespace vitals {

/// gethostname(), or "vitalsd" in the unlikely case it fails.
std::string host_name();

} // namespace vitals
