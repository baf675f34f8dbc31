// What every accepted request target must satisfy, for the HTTP fuzz targets.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "fuzz_check.hpp"
#include "http/server/request_target.hpp"

namespace vitals_fuzz {

/// Every byte but unreserved characters and '/' as %XX.
inline std::string percent_encode(std::string_view path) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string encoded;
    for (const char c : path) {
        const auto byte = static_cast<unsigned char>(c);
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '~' || c == '/';
        if (plain) {
            encoded += c;
        } else {
            encoded += '%';
            encoded += hex[byte >> 4];
            encoded += hex[byte & 0xF];
        }
    }
    return encoded;
}

/// An accepted path is absolute, free of control characters and dot segments (so no route
/// can be tricked into "/../"), and reads back the same once percent-encoded again.
inline void check_accepted_target(const vitals::RequestTarget &target) {
    const std::string &path = target.path;
    FUZZ_CHECK(!path.empty() && path.front() == '/');
    for (const char c : path) {
        const auto byte = static_cast<unsigned char>(c);
        FUZZ_CHECK(byte >= 0x20 && byte != 0x7f);
    }
    const std::string slashed = path + "/";
    FUZZ_CHECK(slashed.find("/../") == std::string::npos);
    FUZZ_CHECK(slashed.find("/./") == std::string::npos);
    FUZZ_CHECK(target.query.find('#') == std::string::npos);

    const auto again = vitals::parse_request_target(percent_encode(path));
    const auto *reparsed = std::get_if<vitals::RequestTarget>(&again);
    FUZZ_CHECK(reparsed != nullptr);
    FUZZ_CHECK(reparsed->path == path);
    FUZZ_CHECK(reparsed->query.empty());
}

} // namespace vitals_fuzz
