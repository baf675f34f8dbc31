// SPDX-License-Identifier: MIT
#include "http/styles/metric_json.hpp"

namespace vitals::styles {

void metric_kind_and_thresholds(JsonWriter &json, const Metric &metric) {
    json.key("kind").string(to_string(metric.kind));
    if (metric.warn) json.key("warn").number(*metric.warn);
    if (metric.crit) json.key("crit").number(*metric.crit);
    if (metric.min) json.key("min").number(*metric.min);
    if (metric.max) json.key("max").number(*metric.max);
}

} // namespace vitals::styles
