// The values a numeric setting accepts. SPDX-License-Identifier: MIT
#pragma once

namespace vitals {

/// min..max, both included, and 0 as well where 0 turns the setting off ("none"):
/// a setting that merely parses can still leave the agent unable to serve (a 0-byte
/// header limit refuses every request), so every duration and size declares its bounds.
template <class T> struct Bounds {
    T min;
    T max;
    bool zero_means_none = false;

    bool admits(const T &value) const {
        return (zero_means_none && value == T{}) || (min <= value && value <= max);
    }
};

} // namespace vitals
