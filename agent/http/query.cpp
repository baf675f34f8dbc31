// SPDX-License-Identifier: MIT
#include "http/query.hpp"

#include "http/percent_escape.hpp"

namespace vitals {
namespace {

/// '+' as a space and "%XX" as its byte; a '%' without two hex digits stays as it is
/// (as browsers read it), so no query a client sends makes decoding fail.
std::string decode(std::string_view text) {
    std::string decoded;
    decoded.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (const auto escaped = percent_escaped_byte(text, i)) {
            decoded += *escaped;
            i += 2;
        } else {
            decoded += text[i] == '+' ? ' ' : text[i];
        }
    }
    return decoded;
}

} // namespace

Query::Query(std::string_view raw) {
    while (!raw.empty()) {
        const auto amp = raw.find('&');
        const std::string_view pair = raw.substr(0, amp);
        if (!pair.empty()) {
            const auto eq = pair.find('=');
            values_.emplace(decode(pair.substr(0, eq)), eq == std::string_view::npos
                                                            ? std::string{}
                                                            : decode(pair.substr(eq + 1)));
        }
        if (amp == std::string_view::npos) break;
        raw.remove_prefix(amp + 1);
    }
}

bool Query::has(std::string_view key) const {
    return values_.find(key) != values_.end();
}

std::optional<std::string> Query::get(std::string_view key) const {
    const auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

std::vector<std::string> Query::list(std::string_view key) const {
    std::vector<std::string> items;
    const auto [begin, end] = values_.equal_range(key);
    for (auto it = begin; it != end; ++it) {
        std::string_view rest = it->second;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            if (comma != 0) items.emplace_back(rest.substr(0, comma));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return items;
}

std::optional<bool> Query::flag(std::string_view key) const {
    const auto value = get(key);
    if (!value) return std::nullopt;
    return !(*value == "0" || *value == "false" || *value == "no");
}

} // namespace vitals
