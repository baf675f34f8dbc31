// SPDX-License-Identifier: MIT
#include "core/duration.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
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
    // 2^63 itself does not fit: int64's maximum, as a double, rounds up to it.
    if (!std::isfinite(total) || total >= 0x1p63) return std::nullopt;
    return Duration{static_cast<std::int64_t>(std::llround(total))};
}

namespace {

/// `ns` in units of `unit_ns` as "<whole>[.<fraction>]", trailing zeros dropped: exact, so
/// the text parses back to the same nanoseconds (%g would round to six digits).
std::string in_units(std::int64_t ns, std::int64_t unit_ns, int fraction_digits) {
    std::string text = std::to_string(ns / unit_ns);
    if (const std::int64_t rest = ns % unit_ns) {
        std::string fraction = fmt::format("{:0{}}", rest, fraction_digits);
        fraction.erase(fraction.find_last_not_of('0') + 1);
        text += '.' + fraction;
    }
    return text;
}

} // namespace

std::string format_duration(Duration duration) {
    const std::int64_t ns = duration.count();
    constexpr std::int64_t second = 1'000'000'000, minute = 60 * second, hour = 60 * minute;
    if (ns >= minute) {
        // "1h30m", "16m40.5s": units a reader (and parse_duration) takes in at a glance,
        // where seconds alone would print "5400s".
        std::string text;
        if (ns >= hour) text += fmt::format("{}h", ns / hour);
        if (ns % hour >= minute) text += fmt::format("{}m", ns % hour / minute);
        if (ns % minute != 0) text += in_units(ns % minute, second, 9) + "s";
        return text;
    }
    if (ns >= second) return in_units(ns, second, 9) + "s";
    if (ns >= 1'000'000) return in_units(ns, 1'000'000, 6) + "ms";
    if (ns >= 1'000) return in_units(ns, 1'000, 3) + "us";
    return fmt::format("{}ns", ns);
}

} // namespace vitals
