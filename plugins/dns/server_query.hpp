// One DNS question put to one chosen server through c-ares, bounded by a deadline, and its
// answer as text. SPDX-License-Identifier: MIT
#pragma once

#include <vitals_plugins/deadline.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vitals::dns {

/// The record types a check may ask for.
enum class RecordType { a, aaaa, cname, mx, txt, srv, ns, soa, ptr };

/// "A" -> RecordType::a (upper or lower case); nothing for a type not supported.
std::optional<RecordType> parse_record_type(const std::string &text);
const char *record_type_name(RecordType type);

/// The name server to ask: an IP address and a port, for UDP and TCP alike.
struct Server {
    std::string address; ///< canonical IPv4 or IPv6 text
    int family = 0;      ///< AF_INET or AF_INET6
    std::uint16_t port = 53;
    bool tcp_only = false; ///< TCP from the start, not only after a truncated UDP answer
};

/// How the question ended.
enum class Outcome {
    answered,  ///< records of the type asked for
    no_data,   ///< the name exists, without records of that type
    nxdomain,  ///< the name does not exist
    failed,    ///< SERVFAIL, REFUSED, a malformed answer, a refused connection...
    timed_out, ///< no answer by the deadline
};

struct QueryResult {
    Outcome outcome = Outcome::failed;
    std::string failure;              ///< why, for failed (c-ares' words, lower case)
    std::vector<std::string> records; ///< each record as text, in the server's order
    std::optional<std::uint32_t> soa_serial;
    std::chrono::nanoseconds elapsed{};
};

/// The name to ask for: `name` itself, or for PTR and an IP address, its reverse name
/// ("10.2.0.192.in-addr.arpa").
std::string query_name(const std::string &name, RecordType type);

/// Asks `server` for the `type` records of `name`, over UDP first and over TCP when the
/// answer is truncated (c-ares' own fallback), giving up at `deadline`.
QueryResult query(const Server &server, const std::string &name, RecordType type,
                  vitals::plugins::Clock::time_point deadline);

} // namespace vitals::dns
