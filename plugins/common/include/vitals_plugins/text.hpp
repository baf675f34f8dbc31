// Text helpers shared by the shipped checker plugins. SPDX-License-Identifier: MIT
//
// Internal to plugins/: not part of the SDK and never installed. Everything is `inline`, so
// each plugin gets its own hidden copy and still exports only vitals_plugin_entry.
#pragma once

#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace vitals::plugins {

/// Fixed-point text. Unlike iostreams or printf, to_chars ignores the process locale, which
/// the agent does not control for its plugins.
inline std::string fixed(double value, int decimals) {
    std::array<char, 64> buffer{};
    const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                            std::chars_format::fixed, decimals);
    if (error != std::errc{}) return "?"; // only for absurdly large values
    return {buffer.data(), end};
}

/// Library error text fitted to follow a colon: "Connection refused" -> "connection refused".
inline std::string after_colon(std::string text) {
    if (!text.empty())
        text.front() = static_cast<char>(std::tolower(static_cast<unsigned char>(text.front())));
    return text;
}

/// An errno value as message text: "no such file or directory".
inline std::string describe_errno(int error) {
    // Not strerror(): its buffer may be shared with checks running on other threads.
    return after_colon(std::generic_category().message(error));
}

inline std::string join(const std::vector<std::string> &parts, const char *separator) {
    std::string joined;
    for (const auto &part : parts) {
        if (!joined.empty()) joined += separator;
        joined += part;
    }
    return joined;
}

/// `text` without leading and trailing `whitespace`.
inline std::string trim(std::string_view text, std::string_view whitespace = " \t\r\n") {
    const auto first = text.find_first_not_of(whitespace);
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(whitespace);
    return std::string{text.substr(first, last - first + 1)};
}

/// Every occurrence of `secret` in `text` replaced by "***": for text that came from a library
/// or a server, which may echo a password it was given. An empty secret changes nothing.
inline std::string mask_secret(std::string text, const std::string &secret) {
    if (secret.empty()) return text;
    // The search goes on after the "***" just written, so a secret inside "***" cannot loop.
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
        text.replace(at, secret.size(), "***");
    return text;
}

} // namespace vitals::plugins
