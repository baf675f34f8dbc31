// SPDX-License-Identifier: MIT
#include "core/byte_size.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include <fmt/format.h>

namespace vitals {

std::optional<std::uint64_t> parse_bytes(std::string_view text) {
    static constexpr std::array<std::pair<std::string_view, double>, 9> units{
        {{"KiB", 1024.0},
         {"MiB", 1024.0 * 1024},
         {"GiB", 1024.0 * 1024 * 1024},
         {"TiB", 1024.0 * 1024 * 1024 * 1024},
         {"KB", 1e3},
         {"MB", 1e6},
         {"GB", 1e9},
         {"TB", 1e12},
         {"B", 1}}};
    double scale = 1;
    for (const auto &[suffix, factor] : units) {
        if (text.size() > suffix.size() && text.ends_with(suffix)) {
            text.remove_suffix(suffix.size());
            scale = factor;
            break;
        }
    }
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 0)
        return std::nullopt;
    // Rounded as a double: llround would go through long long, which stops at 2^63.
    const double bytes = std::round(value * scale);
    if (!(bytes >= 0 && bytes < 0x1p64)) return std::nullopt; // also refuses NaN
    return static_cast<std::uint64_t>(bytes);
}

std::string format_bytes(std::uint64_t bytes) {
    static constexpr std::array<std::string_view, 4> units{"KiB", "MiB", "GiB", "TiB"};
    if (bytes == 0) return "0B";
    std::string_view unit = "B";
    for (const auto next : units) {
        if (bytes % 1024 != 0) break;
        bytes /= 1024;
        unit = next;
    }
    return fmt::format("{}{}", bytes, unit);
}

} // namespace vitals
