// The SNTP packet: request, reply, offset and delay. SPDX-License-Identifier: MIT
#include "sntp_packet.hpp"

#include <cctype>

namespace vitals::ntp {

namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;

/// 1900-01-01 to 1970-01-01.
constexpr std::int64_t unix_epoch_in_ntp = 2'208'988'800;
constexpr std::int64_t era_seconds = std::int64_t{1} << 32;

constexpr std::size_t leap_version_mode = 0;
constexpr std::size_t stratum_at = 1;
constexpr std::size_t root_delay_at = 4;
constexpr std::size_t root_dispersion_at = 8;
constexpr std::size_t reference_id_at = 12;
constexpr std::size_t origin_at = 24;
constexpr std::size_t receive_at = 32;
constexpr std::size_t transmit_at = 40;

constexpr int client_mode = 3;
constexpr int server_mode = 4;
constexpr int alarm_leap = 3;
/// Stratum 16 and above: the server says it is not synchronised (RFC 5905 figure 11).
constexpr int unsynchronised_stratum = 16;

std::uint32_t read32(std::span<const std::uint8_t> bytes, std::size_t at) {
    return std::uint32_t{bytes[at]} << 24 | std::uint32_t{bytes[at + 1]} << 16 |
           std::uint32_t{bytes[at + 2]} << 8 | std::uint32_t{bytes[at + 3]};
}

Timestamp read64(std::span<const std::uint8_t> bytes, std::size_t at) {
    return Timestamp{read32(bytes, at)} << 32 | read32(bytes, at + 4);
}

void write64(Packet &packet, std::size_t at, Timestamp value) {
    for (std::size_t i = 0; i < 8; ++i)
        packet[at + i] = static_cast<std::uint8_t>(value >> (56 - 8 * i));
}

/// A 16.16 fixed-point count of seconds (root delay and dispersion).
nanoseconds short_format(std::uint32_t value) {
    return nanoseconds{(std::int64_t{value} * 1'000'000'000) >> 16};
}

/// Four bytes of text (a kiss code, a stratum-1 source), NULs dropped, odd bytes as '?'.
std::string ascii_code(std::span<const std::uint8_t> bytes, std::size_t at) {
    std::string code;
    for (std::size_t i = at; i < at + 4 && bytes[i] != 0; ++i)
        code += std::isprint(bytes[i]) ? static_cast<char>(bytes[i]) : '?';
    return code;
}

std::string reference_id(std::span<const std::uint8_t> bytes, int stratum) {
    if (stratum <= 1) return ascii_code(bytes, reference_id_at);
    // Above stratum 1, the upstream server's IPv4 address (or a hash of an IPv6 one).
    std::string address;
    for (std::size_t i = reference_id_at; i < reference_id_at + 4; ++i)
        address += (address.empty() ? "" : ".") + std::to_string(bytes[i]);
    return address;
}

} // namespace

std::chrono::system_clock::time_point to_time(Timestamp timestamp) {
    std::int64_t ntp_seconds = static_cast<std::int64_t>(timestamp >> 32);
    if ((ntp_seconds & 0x8000'0000) == 0) ntp_seconds += era_seconds; // 2036 and later
    const auto fraction = static_cast<std::int64_t>(timestamp & 0xffff'ffff);
    const nanoseconds since_unix_epoch =
        seconds{ntp_seconds - unix_epoch_in_ntp} + nanoseconds{(fraction * 1'000'000'000) >> 32};
    return std::chrono::system_clock::time_point{
        std::chrono::duration_cast<std::chrono::system_clock::duration>(since_unix_epoch)};
}

Timestamp to_timestamp(std::chrono::system_clock::time_point time) {
    const auto since_unix_epoch = std::chrono::duration_cast<nanoseconds>(time.time_since_epoch());
    const auto whole = std::chrono::floor<seconds>(since_unix_epoch);
    const auto ntp_seconds =
        static_cast<std::uint64_t>(whole.count() + unix_epoch_in_ntp) & 0xffff'ffff;
    const auto fraction =
        (static_cast<std::uint64_t>((since_unix_epoch - whole).count()) << 32) / 1'000'000'000;
    return ntp_seconds << 32 | fraction;
}

Packet request(Timestamp nonce) {
    Packet packet{};
    packet[leap_version_mode] = (0 << 6) | (4 << 3) | client_mode;
    write64(packet, transmit_at, nonce);
    return packet;
}

Decoded decode_reply(std::span<const std::uint8_t> bytes, Timestamp nonce) {
    const auto refuse = [](std::string reason, bool ours = true) {
        return Decoded{std::nullopt, Refusal{ours, std::move(reason)}};
    };
    if (bytes.size() < packet_size)
        return refuse("a reply of " + std::to_string(bytes.size()) +
                      " bytes, shorter than an NTP packet (48)");
    if (read64(bytes, origin_at) != nonce)
        return refuse("a reply to another request (its origin timestamp is not ours)", false);
    Reply reply;
    reply.leap = bytes[leap_version_mode] >> 6;
    reply.version = (bytes[leap_version_mode] >> 3) & 0x7;
    const int mode = bytes[leap_version_mode] & 0x7;
    reply.stratum = bytes[stratum_at];
    if (mode != server_mode)
        return refuse("not a server's reply (mode " + std::to_string(mode) + ")");
    if (reply.version < 1 || reply.version > 4)
        return refuse("an unknown NTP version " + std::to_string(reply.version));
    if (reply.stratum == 0) {
        const std::string code = ascii_code(bytes, reference_id_at);
        return refuse("the server refused with kiss code " + (code.empty() ? "(none)" : code) +
                      (code == "RATE"                     ? " (asking too often)"
                       : code == "DENY" || code == "RSTR" ? " (access denied)"
                                                          : ""));
    }
    if (reply.leap == alarm_leap || reply.stratum >= unsynchronised_stratum)
        return refuse("the server's own clock is not synchronised (leap indicator " +
                      std::to_string(reply.leap) + ", stratum " + std::to_string(reply.stratum) +
                      ")");
    reply.received = read64(bytes, receive_at);
    reply.transmitted = read64(bytes, transmit_at);
    if (reply.transmitted == 0 || reply.received == 0)
        return refuse("a reply without its receive or transmit timestamp");
    reply.reference = reference_id(bytes, reply.stratum);
    reply.root_delay = short_format(read32(bytes, root_delay_at));
    reply.root_dispersion = short_format(read32(bytes, root_dispersion_at));
    return Decoded{reply, {}};
}

Measurement measure(const Reply &reply, std::chrono::system_clock::time_point sent,
                    std::chrono::system_clock::time_point arrived) {
    const auto received = to_time(reply.received);
    const auto transmitted = to_time(reply.transmitted);
    const auto offset =
        std::chrono::duration_cast<nanoseconds>(((received - sent) + (transmitted - arrived)) / 2);
    const auto delay =
        std::chrono::duration_cast<nanoseconds>((arrived - sent) - (transmitted - received));
    return {offset, delay};
}

} // namespace vitals::ntp
