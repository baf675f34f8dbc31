// One-line structured log to stderr. SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include <fmt/format.h>

namespace vitals {

enum class LogLevel { debug = 0, info = 1, warning = 2, error = 3 };

std::optional<LogLevel> log_level_from_string(std::string_view name);
void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);

/// Writes "<time> <level> [<component>] <message>" as one line, atomically.
void log_line(LogLevel level, std::string_view component, std::string_view message);

/// How many error lines have been written so far: a dry run that printed an error must
/// not then call the configuration good.
std::size_t errors_logged();

template <class... Args>
void log(LogLevel level, std::string_view component, fmt::format_string<Args...> format,
         Args &&...args) {
    if (log_enabled(level))
        log_line(level, component, fmt::format(format, std::forward<Args>(args)...));
}

} // namespace vitals
