// Durations and byte counts as the shipped plugins write them in messages and metrics.
// SPDX-License-Identifier: MIT
#pragma once

#include <vitals_plugins/text.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace vitals::plugins {

/// "0.08 ms", "12.3 ms", "2.50 s": enough digits to compare runs without noise.
inline std::string format_duration(std::chrono::nanoseconds duration) {
    const double ms = std::chrono::duration<double, std::milli>(duration).count();
    if (ms < 1) return fixed(ms, 2) + " ms";
    if (ms < 1000) return fixed(ms, 1) + " ms";
    return fixed(ms / 1000, 2) + " s";
}

/// A duration as the value of a metric in "seconds", the unit every timing metric uses.
/// (Not named `seconds`: that would clash with std::chrono::seconds under a using-directive.)
inline double to_seconds(std::chrono::nanoseconds duration) {
    return std::chrono::duration<double>(duration).count();
}

/// "12.3 GiB": binary units, as `df -h`, `free -h` and `ls -lh` print them.
inline std::string human_bytes(std::uint64_t bytes) {
    constexpr std::array units{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    auto value = static_cast<double>(bytes);
    std::size_t unit = 0;
    for (; value >= 1024 && unit + 1 < units.size(); ++unit)
        value /= 1024;
    return fixed(value, unit == 0 ? 0 : 1) + " " + units[unit];
}

} // namespace vitals::plugins
