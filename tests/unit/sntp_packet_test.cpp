// The ntp plugin's SNTP packet codec on packets written byte by byte: the request, every way a
// reply is refused, timestamps across the 2036 era, and RFC 4330's offset and delay.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "sntp_packet.hpp"

#include <chrono>
#include <cstdint>

namespace {

using namespace vitals::ntp;
using namespace std::chrono_literals;
using std::chrono::system_clock;

constexpr Timestamp nonce = 0x0123'4567'89ab'cdefULL;

void put64(Packet &packet, std::size_t at, Timestamp value) {
    for (std::size_t i = 0; i < 8; ++i)
        packet[at + i] = static_cast<std::uint8_t>(value >> (56 - 8 * i));
}

/// A good version-4 server reply at stratum 2 from 192.0.2.1, answering `nonce`.
Packet server_reply() {
    Packet packet{};
    packet[0] = (0 << 6) | (4 << 3) | 4;
    packet[1] = 2;
    packet[4] = 0x00, packet[5] = 0x01; // root delay 1.0 s (16.16)
    packet[10] = 0x80;                  // root dispersion 0.5 s
    packet[12] = 192, packet[13] = 0, packet[14] = 2, packet[15] = 1;
    put64(packet, 24, nonce);
    put64(packet, 32, to_timestamp(system_clock::now()));
    put64(packet, 40, to_timestamp(system_clock::now()));
    return packet;
}

system_clock::time_point unix_seconds(std::int64_t seconds) {
    return system_clock::time_point{std::chrono::seconds{seconds}};
}

} // namespace

TEST_CASE("sntp packet: a request is version 4, client mode, with the nonce as its transmit time") {
    const Packet packet = request(nonce);
    CHECK(packet[0] == 0x23);
    for (std::size_t i = 1; i < 40; ++i)
        CHECK(packet[i] == 0);
    CHECK(packet[40] == 0x01);
    CHECK(packet[47] == 0xef);
}

TEST_CASE("sntp packet: timestamps from 1900, with the era after 2036 told by the high bit") {
    CHECK(to_timestamp(unix_seconds(0)) == Timestamp{2'208'988'800} << 32);
    CHECK(to_time(Timestamp{2'208'988'800} << 32) == unix_seconds(0));
    // 2036-02-07 06:28:16 UTC: the seconds wrap to 0 and still read as that day, not 1900.
    CHECK(to_timestamp(unix_seconds(2'085'978'496)) == 0);
    CHECK(to_time(0) == unix_seconds(2'085'978'496));
    CHECK(to_time((Timestamp{2'208'988'800} << 32) | 0x8000'0000) == unix_seconds(0) + 500ms);
    const auto now = std::chrono::floor<std::chrono::microseconds>(system_clock::now());
    const auto back = to_time(to_timestamp(now));
    CHECK(std::chrono::abs(back - now) < 1us);
}

TEST_CASE("sntp packet: a server's reply is read field by field") {
    const auto decoded = decode_reply(server_reply(), nonce);
    REQUIRE(decoded.reply.has_value());
    CHECK(decoded.reply->stratum == 2);
    CHECK(decoded.reply->version == 4);
    CHECK(decoded.reply->leap == 0);
    CHECK(decoded.reply->reference == "192.0.2.1");
    CHECK(decoded.reply->root_delay == 1s);
    CHECK(decoded.reply->root_dispersion == 500ms);

    Packet stratum_one = server_reply();
    stratum_one[1] = 1;
    stratum_one[12] = 'G', stratum_one[13] = 'P', stratum_one[14] = 'S', stratum_one[15] = 0;
    CHECK(decode_reply(stratum_one, nonce).reply->reference == "GPS");
}

TEST_CASE("sntp packet: replies that are not ours, or not usable, are refused with the reason") {
    const auto refusal = [](const Packet &packet) {
        const auto decoded = decode_reply(packet, nonce);
        CHECK_FALSE(decoded.reply.has_value());
        return decoded.refusal;
    };
    const Packet good = server_reply();

    CHECK(decode_reply(std::span{good.data(), 47}, nonce).refusal.reason ==
          "a reply of 47 bytes, shorter than an NTP packet (48)");

    Packet other = good;
    put64(other, 24, nonce + 1);
    CHECK_FALSE(refusal(other).ours); // a late reply to an earlier request: wait on

    Packet client = good;
    client[0] = (4 << 3) | 3;
    CHECK(refusal(client).ours);
    CHECK(refusal(client).reason == "not a server's reply (mode 3)");

    Packet kiss = good;
    kiss[1] = 0;
    kiss[12] = 'R', kiss[13] = 'A', kiss[14] = 'T', kiss[15] = 'E';
    CHECK(refusal(kiss).reason == "the server refused with kiss code RATE (asking too often)");
    kiss[12] = 'D', kiss[13] = 'E', kiss[14] = 'N', kiss[15] = 'Y';
    CHECK(refusal(kiss).reason == "the server refused with kiss code DENY (access denied)");

    Packet alarm = good;
    alarm[0] = (3 << 6) | (4 << 3) | 4;
    CHECK(refusal(alarm).reason ==
          "the server's own clock is not synchronised (leap indicator 3, stratum 2)");
    Packet sixteen = good;
    sixteen[1] = 16;
    CHECK(refusal(sixteen).reason ==
          "the server's own clock is not synchronised (leap indicator 0, stratum 16)");

    Packet no_transmit = good;
    put64(no_transmit, 40, 0);
    CHECK(refusal(no_transmit).reason == "a reply without its receive or transmit timestamp");

    Packet version = good;
    version[0] = (0 << 6) | (0 << 3) | 4;
    CHECK(refusal(version).reason == "an unknown NTP version 0");
}

TEST_CASE("sntp packet: offset and delay as RFC 4330 computes them") {
    // Sent at T1 = t, received at T2 = t + 10.1 s and answered at T3 = t + 10.2 s by the
    // server's clock, arrived at T4 = t + 0.3 s: 0.2 s on the wire, the server 10 s ahead.
    const auto t = unix_seconds(1'800'000'000);
    Reply reply;
    reply.received = to_timestamp(t + 10100ms);
    reply.transmitted = to_timestamp(t + 10200ms);
    const Measurement measured = measure(reply, t, t + 300ms);
    CHECK(std::chrono::abs(measured.offset - 10s) < 1us);
    CHECK(std::chrono::abs(measured.delay - 200ms) < 1us);

    // A server a day behind: the offset is minus a day.
    reply.received = to_timestamp(t - 24h + 1ms);
    reply.transmitted = to_timestamp(t - 24h + 1ms);
    CHECK(std::chrono::abs(measure(reply, t, t + 2ms).offset + 24h) < 1us);
}
