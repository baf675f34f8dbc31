// SPDX-License-Identifier: MIT
#include "core/names.hpp"

#include <algorithm>

namespace vitals {

bool is_valid_name(std::string_view name) {
    if (name.empty() || name.size() > max_name_length) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
    });
}

} // namespace vitals
