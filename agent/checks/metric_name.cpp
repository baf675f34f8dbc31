// SPDX-License-Identifier: MIT
#include "checks/metric_name.hpp"

#include <algorithm>

namespace vitals {
namespace {

bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

} // namespace

bool is_valid_metric_name(std::string_view name) {
    if (name.empty() || name.size() > max_metric_name_bytes || !is_name_start(name.front()))
        return false;
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return is_name_start(c) || (c >= '0' && c <= '9'); });
}

} // namespace vitals
