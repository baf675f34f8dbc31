// SPDX-License-Identifier: MIT
#include "core/log.hpp"

#include "core/utc_time.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace vitals {
namespace {

std::atomic<LogLevel> threshold{LogLevel::info};
std::atomic<std::size_t> error_lines{0};
std::mutex output_mutex;

std::string_view level_name(LogLevel level) {
    switch (level) {
    case LogLevel::debug:
        return "debug";
    case LogLevel::info:
        return "info";
    case LogLevel::warning:
        return "warning";
    case LogLevel::error:
        return "error";
    }
    return "?";
}

// A log line is one line: a message with newlines (a plugin's, say) would
// otherwise forge lines of its own.
std::string single_line(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else
            out += c;
    }
    return out;
}

} // namespace

std::optional<LogLevel> log_level_from_string(std::string_view name) {
    for (auto level : {LogLevel::debug, LogLevel::info, LogLevel::warning, LogLevel::error})
        if (level_name(level) == name) return level;
    return std::nullopt;
}

void set_log_level(LogLevel level) {
    threshold = level;
}

bool log_enabled(LogLevel level) {
    return level >= threshold.load();
}

void log_line(LogLevel level, std::string_view component, std::string_view message) {
    const std::string line =
        fmt::format("{} {} [{}] {}\n", format_utc(std::chrono::system_clock::now()),
                    level_name(level), component, single_line(message));
    if (level == LogLevel::error) ++error_lines;
    const std::lock_guard lock{output_mutex};
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
}

std::size_t errors_logged() {
    return error_lines.load();
}

} // namespace vitals
