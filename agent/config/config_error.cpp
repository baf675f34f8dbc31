// SPDX-License-Identifier: MIT
#include "config/config_error.hpp"

#include <fmt/format.h>

namespace vitals {

std::string ConfigError::to_string() const {
    std::string text = where.file.empty() ? std::string{"<config>"} : where.file;
    if (where.line > 0) text += fmt::format(":{}:{}", where.line, where.column);
    text += ": ";
    if (!key.empty()) text += key + ": ";
    return text + message;
}

namespace {
std::string summarize(const ConfigErrors &errors) {
    std::string text = fmt::format("{} configuration error(s)", errors.size());
    for (const auto &error : errors)
        text += "\n  " + error.to_string();
    return text;
}
} // namespace

InvalidConfiguration::InvalidConfiguration(ConfigErrors errors)
    : std::runtime_error(summarize(errors)), errors_(std::move(errors)) {}

} // namespace vitals
