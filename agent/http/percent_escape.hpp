// "%XX" escapes in request paths and queries (RFC 3986 §2.1). SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace vitals {

/// The byte "%XX" at `text[at]` stands for, or nothing when no '%' and two hex digits
/// (either case) are there.
inline std::optional<char> percent_escaped_byte(std::string_view text, std::size_t at) {
    const auto hex = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    if (at + 2 >= text.size() || text[at] != '%') return std::nullopt;
    const int high = hex(text[at + 1]);
    const int low = hex(text[at + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    return static_cast<char>(high * 16 + low);
}

} // namespace vitals
