// HOST:PORT the HTTP server binds. SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vitals {

struct ListenAddress {
    std::string host = "127.0.0.1"; ///< loopback unless the operator says otherwise
    std::uint16_t port = 9188;      ///< 0 picks a free port

    std::string to_string() const;
    bool operator==(const ListenAddress &) const = default;
};

/// Parses "127.0.0.1:9188", "[::1]:9188", "localhost:0"; nullopt when malformed.
std::optional<ListenAddress> parse_listen_address(std::string_view text);

} // namespace vitals
