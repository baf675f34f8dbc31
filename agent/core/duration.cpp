// SPDX-License-Identifier: MIT
#include "core/duration.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include <fmt/format.h>

namespace vitals {
namespace {

struct Unit {
    std::string_view suffix;
    double nanoseconds;
};

// Longest suffix first so "ms" is not read as "m" followed by garbage.
constexpr std::array<Unit, 7> units{
    {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}, {"d", 86400e9}}};

std::optional<double> unit_scale(std::string_view &rest) {
    for (const Unit &unit : units) {
        if (rest.starts_with(unit.suffix)) {
            rest.remove_prefix(unit.suffix.size());
            return unit.nanoseconds;
        }
    }
    return std::nullopt;
}

std::optional<double> leading_number(std::string_view &rest) {
    std::size_t length = 0;
    while (length < rest.size() &&
           (std::isdigit(static_cast<unsigned char>(rest[length])) || rest[length] == '.'))
        ++length;
    if (length == 0) return std::nullopt;
    double value = 0;
    const auto [end, error] = std::from_chars(rest.data(), rest.data() + length, value);
    if (error != std::errc{} || end != rest.data() + length) return std::nullopt;
    rest.remove_prefix(length);
    return value;
}

} // namespace

std::optional<Duration> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    double total = 0;
    std::string_view rest = text;
    while (!rest.empty()) {
        const auto number = leading_number(rest);
        if (!number) return std::nullopt;
        const auto scale = unit_scale(rest);
        if (!scale) return std::nullopt;
        total += *number * *scale;
    }
    if (!std::isfinite(total) ||
        total > static_cast<double>(std::numeric_limits<std::int64_t>::max()))
        return std::nullopt;
    return Duration{static_cast<std::int64_t>(std::llround(total))};
}

std::string format_duration(Duration duration) {
    using namespace std::chrono;
    const auto ns = duration.count();
    constexpr std::int64_t minute = 60'000'000'000, hour = 60 * minute;
    if (ns >= minute) {
        // "1h30m", "16m40.5s": units a reader (and parse_duration) takes in at a glance,
        // where %g alone would print "5400s" or, from 1e6 seconds on, "1e+06s".
        std::string text;
        if (ns >= hour) text += fmt::format("{}h", ns / hour);
        if (ns % hour >= minute) text += fmt::format("{}m", ns % hour / minute);
        if (ns % minute != 0) text += fmt::format("{:g}s", static_cast<double>(ns % minute) / 1e9);
        return text;
    }
    if (ns >= 1'000'000'000) return fmt::format("{:g}s", ns / 1e9);
    if (ns >= 1'000'000) return fmt::format("{:g}ms", ns / 1e6);
    if (ns >= 1'000) return fmt::format("{:g}us", ns / 1e3);
    return fmt::format("{}ns", ns);
}

} // namespace vitals
