// SPDX-License-Identifier: MIT
#include "core/utc_time.hpp"

#include <ctime>

#include <fmt/format.h>

namespace vitals {

std::string format_utc(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    const auto since_epoch = duration_cast<milliseconds>(time.time_since_epoch());
    const auto whole_seconds = floor<seconds>(since_epoch);
    const std::time_t seconds_value = whole_seconds.count();
    const auto millis = (since_epoch - whole_seconds).count();
    std::tm parts{};
    gmtime_r(&seconds_value, &parts);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", parts.tm_year + 1900,
                       parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                       millis);
}

} // namespace vitals
