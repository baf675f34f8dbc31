// SPDX-License-Identifier: MIT
#include "core/utc_time.hpp"

#include <ctime>

namespace vitals {
namespace {

/// `value` as `width` digits, zero-padded, at `at`.
void put_digits(char *at, int width, long value) {
    for (int i = width - 1; i >= 0; --i, value /= 10)
        at[i] = static_cast<char>('0' + value % 10);
}

} // namespace

std::string format_utc(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    const auto since_epoch = duration_cast<milliseconds>(time.time_since_epoch());
    const auto whole_seconds = floor<seconds>(since_epoch);
    const std::time_t seconds_value = whole_seconds.count();
    const auto millis = (since_epoch - whole_seconds).count();
    std::tm parts{};
    gmtime_r(&seconds_value, &parts);
    // Written digit by digit: /health writes four of these per check, and fmt's parsing of
    // the format took a third of the render. The year has four digits: system_clock counts
    // nanoseconds in 64 bits, from 1677 to 2262.
    std::string text = "0000-00-00T00:00:00.000Z";
    put_digits(&text[0], 4, parts.tm_year + 1900L);
    put_digits(&text[5], 2, parts.tm_mon + 1);
    put_digits(&text[8], 2, parts.tm_mday);
    put_digits(&text[11], 2, parts.tm_hour);
    put_digits(&text[14], 2, parts.tm_min);
    put_digits(&text[17], 2, parts.tm_sec);
    put_digits(&text[20], 3, millis);
    return text;
}

} // namespace vitals
