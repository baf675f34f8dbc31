// A recurring maintenance window of a check ("sun 02:00-04:00 Europe/Berlin").
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace vitals {

/// `DAYS HH:MM-HH:MM [ZONE]`, in wall-clock time of ZONE (an IANA name such as
/// "Europe/Berlin" or "UTC"; without one, the host's local zone). DAYS is a day ("sun"),
/// a range ("mon-fri", may wrap: "fri-mon"), a comma-separated list of both
/// ("sat,sun", "mon,wed-fri"), or "*" for every day. An end before the start crosses
/// midnight: "fri 22:00-02:00" runs from Friday 22:00 to Saturday 02:00. The end may be
/// 24:00. Wall-clock time, as cron: on the day clocks go forward, "02:00-04:00" lasts an
/// hour; on the day they go back, three.
struct MaintenanceWindow {
    std::string text;      ///< as written, for display
    std::uint8_t days = 0; ///< bit d set: the window starts on weekday d (0 = Sunday)
    int start = 0;         ///< minutes after midnight, 0..1439
    int end = 0;           ///< minutes after midnight, 1..1440; <= start crosses midnight
    std::string zone;      ///< an IANA zone name; empty: the host's local zone

    bool operator==(const MaintenanceWindow &) const = default;

    /// When the window that `now` falls in ends; nullopt when `now` is outside every
    /// occurrence. Thread-safe.
    std::optional<std::chrono::system_clock::time_point>
    active_until(std::chrono::system_clock::time_point now) const;
};

/// The window `text` describes, or why it is not one (a sentence for the file:line:key
/// error). Zone names are looked up in the system's zoneinfo (/usr/share/zoneinfo).
std::variant<MaintenanceWindow, std::string> parse_maintenance_window(std::string_view text);

} // namespace vitals
