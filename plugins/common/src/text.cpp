// Text helpers shared by the shipped checker plugins and the agent. SPDX-License-Identifier: MIT
#include <vitals_plugins/text.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <system_error>

namespace vitals::plugins {
namespace {

char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

std::string fixed(double value, int decimals) {
    std::array<char, 64> buffer{};
    const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                            std::chars_format::fixed, decimals);
    if (error != std::errc{}) return "?"; // only for absurdly large values
    return {buffer.data(), end};
}

std::string after_colon(std::string text) {
    if (!text.empty()) text.front() = ascii_lower(text.front());
    return text;
}

std::string describe_errno(int error) {
    // Not strerror(): its buffer may be shared with checks running on other threads.
    return after_colon(std::generic_category().message(error));
}

std::string join(const std::vector<std::string> &parts, const char *separator) {
    std::string joined;
    for (const auto &part : parts) {
        if (!joined.empty()) joined += separator;
        joined += part;
    }
    return joined;
}

std::string_view trim(std::string_view text, std::string_view whitespace) {
    const auto first = text.find_first_not_of(whitespace);
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(whitespace);
    return text.substr(first, last - first + 1);
}

std::string mask_secret(std::string text, const std::string &secret) {
    if (secret.empty()) return text;
    // The search goes on after the "***" just written, so a secret inside "***" cannot loop.
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
        text.replace(at, secret.size(), "***");
    return text;
}

std::string printable(std::string_view text, std::size_t limit) {
    std::string out;
    for (const char c : text.substr(0, limit)) {
        const auto byte = static_cast<unsigned char>(c);
        out += byte >= 0x20 && byte < 0x7f ? c : '?'; // ASCII, whatever the locale says
    }
    if (text.size() > limit) out += "...";
    return out;
}

std::string to_lower(std::string_view text) {
    std::string lowered{text};
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), ascii_lower);
    return lowered;
}

std::weak_ordering compare_ignoring_case(std::string_view a, std::string_view b) {
    // Compared as unsigned, as strcmp does: bytes above 0x7f sort after ASCII.
    const auto unsigned_lower = [](char c) { return static_cast<unsigned char>(ascii_lower(c)); };
    const auto [in_a, in_b] =
        std::mismatch(a.begin(), a.end(), b.begin(), b.end(),
                      [&](char x, char y) { return unsigned_lower(x) == unsigned_lower(y); });
    if (in_a == a.end() || in_b == b.end()) return a.size() <=> b.size();
    return unsigned_lower(*in_a) <=> unsigned_lower(*in_b);
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && compare_ignoring_case(a, b) == 0;
}

} // namespace vitals::plugins
