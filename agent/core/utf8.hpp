// UTF-8 validation for text from outside (request paths, pushed reports).
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string_view>

namespace vitals {

/// Length of the UTF-8 sequence at the start of `text` (0 when invalid or cut short):
/// shortest form only, no surrogates, nothing above U+10FFFF. Never reads past `text`.
std::size_t utf8_sequence_length(std::string_view text);

bool is_valid_utf8(std::string_view text);

/// Valid UTF-8 without control characters (C0, DEL or C1): text that can go into a log
/// line, a JSON string or a Prometheus label value as it is.
bool is_plain_text(std::string_view text);

} // namespace vitals
