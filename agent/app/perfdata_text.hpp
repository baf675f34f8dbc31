// A metric written as Nagios performance data, for `vitalsd run`. SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include "checks/check_result.hpp"

namespace vitals {

/// `name=value[UOM];[warn];[crit];[min];[max]` as the Monitoring Plugins guidelines write
/// it, empty trailing fields left out. A labelled metric's label is quoted:
/// `'requests{method="get"}'=5c`. A unit with no UOM, and a counter whose UOM is not `c`,
/// follow in parentheses: `temperature=42.5 (celsius)`.
std::string perfdata_text(const Metric &metric);

} // namespace vitals
