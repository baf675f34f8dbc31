// What JSON says of a metric beyond its name, value and unit. SPDX-License-Identifier: MIT
#pragma once

#include "checks/check_result.hpp"
#include "http/json_writer.hpp"

namespace vitals::styles {

/// Writes "kind" and those of "warn", "crit", "min", "max" the plugin set, into the open
/// object: what a 1.1 plugin adds, as Nagios perfdata carries it.
void metric_kind_and_thresholds(JsonWriter &json, const Metric &metric);

} // namespace vitals::styles
