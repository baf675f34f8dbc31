// The 48-byte SNTP packet (RFC 4330, NTPv4's header of RFC 5905): a client request, a server
// reply read and checked, and the offset and delay the four timestamps give.
//
// Hand-written because Debian ships no C or C++ SNTP client library (ntpsec's ntpdig and
// python3-ntplib are Python, and chrony's libchrony is not in bookworm and speaks chronyd's
// own command protocol). The packet is fixed-size and the arithmetic is RFC 4330's; both are
// unit-tested on packets written byte by byte (tests/unit/sntp_packet_test.cpp).
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace vitals::ntp {

constexpr std::size_t packet_size = 48;
using Packet = std::array<std::uint8_t, packet_size>;

/// An NTP timestamp: seconds since 1900-01-01 (32 bits) and a binary fraction (32 bits).
using Timestamp = std::uint64_t;

/// The wall-clock time of `timestamp`, its era chosen as RFC 4330 section 3 says (the high
/// bit set: 1968-2036, clear: 2036-2104).
std::chrono::system_clock::time_point to_time(Timestamp timestamp);

/// `time` as an NTP timestamp (in the era of 1968-2104, which is all RFC 4330 can tell apart).
Timestamp to_timestamp(std::chrono::system_clock::time_point time);

/// A version-4 client request whose transmit timestamp is `nonce`. A random nonce, not the
/// client's clock: the server echoes it as the reply's origin, which ties the reply to the
/// request, and the client's time stays its own (draft-ietf-ntp-data-minimization).
Packet request(Timestamp nonce);

/// What a server's reply says.
struct Reply {
    int leap = 0; ///< 0-2 as sent; 3 (alarm: the server is not synchronised) is refused
    int version = 0;
    int stratum = 0;
    std::string
        reference; ///< the reference id: a code ("GPS", "LOCL") at stratum 1, else an IPv4 address
    Timestamp received = 0;    ///< T2: when the request reached the server
    Timestamp transmitted = 0; ///< T3: when the reply left it
    std::chrono::nanoseconds root_delay{0};
    std::chrono::nanoseconds root_dispersion{0};
};

/// Why a packet is not a usable reply; `ours` is false for one that answers another request
/// (its origin is not our nonce): wait on for ours instead of failing.
struct Refusal {
    bool ours = true;
    std::string reason;
};

/// Reads `bytes` as the reply to the request with `nonce`: a Reply, or why not (too short, not a
/// server's reply, a kiss-o'-death with its code, a server that is not synchronised, ...).
struct Decoded {
    std::optional<Reply> reply;
    Refusal refusal;
};
Decoded decode_reply(std::span<const std::uint8_t> bytes, Timestamp nonce);

/// The clock offset and the round-trip delay, from when the request left (T1) and the reply
/// arrived (T4) by the local clock, with the server's T2 and T3 (RFC 4330 section 5).
struct Measurement {
    std::chrono::nanoseconds offset; ///< add it to the local clock to get the server's
    std::chrono::nanoseconds delay;
};
Measurement measure(const Reply &reply, std::chrono::system_clock::time_point sent,
                    std::chrono::system_clock::time_point arrived);

} // namespace vitals::ntp
