// SPDX-License-Identifier: MIT
#include "config/maintenance_window.hpp"

#include <array>
#include <charconv>
#include <vector>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <fmt/format.h>

namespace vitals {
namespace {

constexpr std::array<std::string_view, 7> day_names{"sun", "mon", "tue", "wed",
                                                    "thu", "fri", "sat"};
constexpr int minutes_per_day = 24 * 60;
constexpr std::string_view syntax = "expected \"DAYS HH:MM-HH:MM [ZONE]\", e.g. "
                                    "\"mon-fri 22:00-22:30 UTC\"";

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    while (true) {
        const auto at = text.find(separator);
        parts.push_back(text.substr(0, at));
        if (at == std::string_view::npos) return parts;
        text.remove_prefix(at + 1);
    }
}

std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> found;
    for (auto part : split(text, ' '))
        if (!part.empty()) found.push_back(part);
    return found;
}

std::optional<int> day_number(std::string_view name) {
    std::string lower{name};
    for (char &c : lower)
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    for (std::size_t day = 0; day < day_names.size(); ++day)
        if (lower == day_names[day]) return static_cast<int>(day);
    return std::nullopt;
}

/// The weekday bits DAYS names, or the error.
std::variant<std::uint8_t, std::string> parse_days(std::string_view text) {
    if (text == "*") return std::uint8_t{0x7f};
    std::uint8_t days = 0;
    for (const auto item : split(text, ',')) {
        const auto bounds = split(item, '-');
        const auto first = day_number(bounds.front());
        const auto last = bounds.size() == 2 ? day_number(bounds.back()) : first;
        if (bounds.size() > 2 || !first || !last)
            return fmt::format("'{}' is not a day or a range of days (sun, mon, tue, wed, thu, "
                               "fri, sat, e.g. \"mon-fri\" or \"sat,sun\", or \"*\")",
                               item);
        for (int day = *first;; day = (day + 1) % 7) {
            days = static_cast<std::uint8_t>(days | (1U << day));
            if (day == *last) break;
        }
    }
    return days;
}

/// "HH:MM" as minutes after midnight (24:00 only where `allow_end_of_day`).
std::optional<int> parse_clock(std::string_view text, bool allow_end_of_day) {
    if (text.size() != 5 || text[2] != ':') return std::nullopt;
    int hours = -1, minutes = -1;
    const auto read = [](std::string_view digits, int &value) {
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        return ec == std::errc{} && end == digits.data() + digits.size();
    };
    if (!read(text.substr(0, 2), hours) || !read(text.substr(3, 2), minutes)) return std::nullopt;
    if (hours == 24 && minutes == 0 && allow_end_of_day) return minutes_per_day;
    if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return std::nullopt;
    return hours * 60 + minutes;
}

/// The zone a window names; false when there is none by that name.
bool load_zone(const std::string &name, absl::TimeZone &zone) {
    if (name.empty()) {
        zone = absl::LocalTimeZone();
        return true;
    }
    return absl::LoadTimeZone(name, &zone);
}

std::chrono::system_clock::time_point at_civil(absl::CivilMinute minute, absl::TimeZone zone) {
    // A time the clocks skip (spring forward) maps to the instant the gap ends.
    const absl::TimeZone::TimeInfo info = zone.At(minute);
    const absl::Time instant =
        info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
    return absl::ToChronoTime(instant);
}

int weekday_number(absl::CivilDay day) {
    // absl::Weekday counts from Monday = 0.
    return (static_cast<int>(absl::GetWeekday(day)) + 1) % 7;
}

} // namespace

std::variant<MaintenanceWindow, std::string> parse_maintenance_window(std::string_view text) {
    const auto parts = words(text);
    if (parts.size() < 2 || parts.size() > 3) return std::string{syntax};
    MaintenanceWindow window;
    window.text = std::string{text};
    auto days = parse_days(parts[0]);
    if (auto *problem = std::get_if<std::string>(&days)) return std::move(*problem);
    window.days = std::get<std::uint8_t>(days);
    const auto times = split(parts[1], '-');
    const auto start = times.size() == 2 ? parse_clock(times[0], false) : std::nullopt;
    const auto end = times.size() == 2 ? parse_clock(times[1], true) : std::nullopt;
    if (!start || !end)
        return fmt::format("'{}' is not a time range HH:MM-HH:MM (00:00 to 24:00)", parts[1]);
    if (*start == *end)
        return fmt::format("'{}' is empty (\"00:00-24:00\" is a whole day)", parts[1]);
    window.start = *start;
    window.end = *end;
    if (parts.size() == 3) {
        window.zone = std::string{parts[2]};
        absl::TimeZone zone;
        if (!load_zone(window.zone, zone))
            return fmt::format("unknown time zone '{}' (an IANA name from /usr/share/zoneinfo, "
                               "e.g. \"Europe/Berlin\" or \"UTC\")",
                               window.zone);
    }
    return window;
}

std::optional<std::chrono::system_clock::time_point>
MaintenanceWindow::active_until(std::chrono::system_clock::time_point now) const {
    absl::TimeZone tz;
    if (!load_zone(zone, tz)) return std::nullopt; // checked at load; a zoneinfo since removed
    const absl::CivilSecond civil = absl::ToCivilSecond(absl::FromChrono(now), tz);
    const absl::CivilDay today{civil};
    const int minute = civil.hour() * 60 + civil.minute();
    const auto starts_on = [&](absl::CivilDay day) {
        return (days >> weekday_number(day) & 1U) != 0;
    };
    const auto end_of = [&](absl::CivilDay day) {
        return at_civil(absl::CivilMinute{day} + end, tz);
    };
    if (start < end) {
        if (starts_on(today) && minute >= start && minute < end) return end_of(today);
        return std::nullopt;
    }
    // Crosses midnight: today's occurrence, or yesterday's still running.
    if (starts_on(today) && minute >= start) return end_of(today + 1);
    if (starts_on(today - 1) && minute < end) return end_of(today);
    return std::nullopt;
}

} // namespace vitals
