// Durations and listen addresses, the value syntaxes of the config. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "config/listen_address.hpp"
#include "core/byte_size.hpp"
#include "core/duration.hpp"
#include "core/utc_time.hpp"

using namespace std::chrono_literals;
using vitals::Duration;
using vitals::format_duration;
using vitals::parse_bytes;
using vitals::parse_duration;
using vitals::parse_listen_address;

TEST_CASE("duration: parse_duration reads one or more <number><unit> parts") {
    struct Example {
        std::string text;
        Duration expected;
    };
    const std::vector<Example> examples{
        {"500ms", 500ms}, {"10s", 10s},     {"5m", 5min},     {"1h30m", 90min},
        {"1.5s", 1500ms}, {"250us", 250us}, {"2d", 48h},      {"100ns", 100ns},
        {"0s", 0s},       {"1m30s", 90s},   {"0.5ms", 500us}, {"1d2h3m4s", 93784s},
    };
    for (const auto &example : examples) {
        CAPTURE(example.text);
        const auto parsed = parse_duration(example.text);
        REQUIRE(parsed.has_value());
        CHECK(parsed->count() == example.expected.count());
    }
}

TEST_CASE("duration: parse_duration rejects malformed, unitless and negative text") {
    const std::vector<std::string> invalid{
        "",            // nothing
        "10",          // no unit
        "s",           // no number
        "10x",         // unknown unit
        "-5s",         // negative
        "1.2.3s",      // two decimal points
        "10 s",        // space between number and unit
        " 10s",        // leading space
        "10s ",        // trailing space
        "1e3s",        // exponent notation
        "10s5",        // trailing number without unit
        ".s",          // a decimal point is not a number
        "1000000000d", // more nanoseconds than an int64 holds
        // int64's maximum: as a double it rounds up to 2^63, which does not fit (found by
        // fuzzing: it used to come back negative)
        "9223372036854775807ns",
        "106752d",
    };
    for (const auto &text : invalid) {
        CAPTURE(text);
        CHECK_FALSE(parse_duration(text).has_value());
    }
}

TEST_CASE("duration: format_duration gives the short forms its header documents") {
    CHECK(format_duration(250ms) == "250ms");
    CHECK(format_duration(1500ms) == "1.5s");
    CHECK(format_duration(2min) == "2m");
    CHECK(format_duration(10s) == "10s");
    CHECK(format_duration(250us) == "250us");
    CHECK(format_duration(999ns) == "999ns");
    CHECK(format_duration(0ns) == "0ns");
    CHECK(format_duration(3h) == "3h");
    CHECK(format_duration(90min) == "1h30m");
}

TEST_CASE("duration: format_duration output parses back to the same duration") {
    const std::vector<std::string> texts{"500ms", "10s",    "5m",   "1h30m", "1.5s",
                                         "250us", "2d",     "10ms", "90s",   "2h1m",
                                         "1ns",   "12.5ms", "1h1s", "7d",    "25h1s"};
    for (const auto &text : texts) {
        CAPTURE(text);
        const auto parsed = parse_duration(text);
        REQUIRE(parsed.has_value());
        const std::string formatted = format_duration(*parsed);
        CAPTURE(formatted);
        const auto reparsed = parse_duration(formatted);
        REQUIRE(reparsed.has_value());
        CHECK(reparsed->count() == parsed->count());
    }
}

// Found by fuzzing: %g kept six digits, so "1.2345678s" came back as 1.23457s.
TEST_CASE("duration: format_duration is exact, so any parsed duration reads back the same") {
    for (const char *text : {"1.2345678s", "16m40.123456789s", "123.456789ms", "1.001us",
                             "104d23h59m59.999999999s", "9223372036s"}) {
        CAPTURE(text);
        const auto parsed = parse_duration(text);
        REQUIRE(parsed.has_value());
        const auto reparsed = parse_duration(format_duration(*parsed));
        REQUIRE(reparsed.has_value());
        CHECK(reparsed->count() == parsed->count());
    }
    CHECK(format_duration(Duration{1'234'567'800}) == "1.2345678s");
    CHECK(format_duration(1h + 1s + 5ms) == "1h1.005s");
}

TEST_CASE("byte size: parse_bytes reads a number with an optional unit") {
    CHECK(parse_bytes("4096") == 4096u);
    CHECK(parse_bytes("8KiB") == 8192u);
    CHECK(parse_bytes("1.5KB") == 1500u);
    CHECK(parse_bytes("256MiB") == 256u * 1024 * 1024);
    CHECK(parse_bytes("2TiB") == 2ull << 40);
    CHECK(parse_bytes("0B") == 0u);
    for (const char *bad : {"", "KiB", "-1", "-.1", "1 KiB", "1PB", "nan", "inf", "1e400"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_bytes(bad).has_value());
    }
}

// Found by fuzzing: llround goes through long long, so sizes from 2^63 up came back
// as 9223372036854775808 whatever was written.
TEST_CASE("byte size: sizes up to 2^64 are exact, larger ones refused") {
    CHECK(parse_bytes("10000000000000000000") == 10'000'000'000'000'000'000ull);
    CHECK(parse_bytes("16000000TB") == 16'000'000'000'000'000'000ull);
    CHECK_FALSE(parse_bytes("18446744073709551616").has_value());
    CHECK_FALSE(parse_bytes("17000000TiB").has_value());
}

// Timeouts and grace periods are printed with format_duration; printf's %g
// switches to exponent notation from 1e6 on, which parse_duration (rightly)
// refuses, so the message would not be one a user could paste back.
TEST_CASE("duration: format_duration never writes exponent notation") {
    for (const Duration duration : {Duration{1'000'001s}, Duration{12 * 24h + 1s}}) {
        const std::string formatted = format_duration(duration);
        CAPTURE(formatted);
        CHECK(formatted.find('e') == std::string::npos);
        const auto reparsed = parse_duration(formatted);
        REQUIRE(reparsed.has_value());
        CHECK(reparsed->count() == duration.count());
    }
}

TEST_CASE("listen address: parse_listen_address reads HOST:PORT") {
    SUBCASE("IPv4 address") {
        const auto address = parse_listen_address("127.0.0.1:9188");
        REQUIRE(address.has_value());
        CHECK(address->host == "127.0.0.1");
        CHECK(address->port == 9188);
        CHECK(address->to_string() == "127.0.0.1:9188");
    }
    SUBCASE("bracketed IPv6 address, port 0 for any free port") {
        const auto address = parse_listen_address("[::1]:0");
        REQUIRE(address.has_value());
        CHECK(address->host == "::1");
        CHECK(address->port == 0);
        CHECK(address->to_string() == "[::1]:0");
    }
    SUBCASE("host name, highest port") {
        const auto address = parse_listen_address("localhost:80");
        REQUIRE(address.has_value());
        CHECK(address->host == "localhost");
        CHECK(address->port == 80);
        CHECK(parse_listen_address("localhost:65535")->port == 65535);
    }
}

TEST_CASE("listen address: parse_listen_address rejects what is not HOST:PORT") {
    const std::vector<std::string> invalid{
        "nohost",          // no port at all
        ":80",             // no host
        "1.2.3.4:99999",   // port above 65535
        "::1:80",          // IPv6 without brackets: where does the address end?
        "host:",           // empty port
        "[::1]",           // brackets but no port
        "[]:80",           // empty brackets
        "[::1:80",         // unclosed bracket
        "host:http",       // service names are not ports
        "host:-1",         // negative port
        "host:80 ",        // trailing space
        "host:4294967376", // overflows unsigned before the range check
        "",                // nothing
    };
    for (const auto &text : invalid) {
        CAPTURE(text);
        CHECK_FALSE(parse_listen_address(text).has_value());
    }
}

TEST_CASE("duration: format_utc writes RFC 3339 UTC with milliseconds") {
    using Clock = std::chrono::system_clock;
    const auto at = [](std::chrono::milliseconds since_epoch) {
        return vitals::format_utc(Clock::time_point{since_epoch});
    };
    CHECK(at(0ms) == "1970-01-01T00:00:00.000Z");
    CHECK(at(1'700'000'000'123ms) == "2023-11-14T22:13:20.123Z");
    CHECK(at(951'782'400'007ms) == "2000-02-29T00:00:00.007Z");
    CHECK(at(-1ms) == "1969-12-31T23:59:59.999Z");
    CHECK(vitals::format_utc(Clock::time_point::max()) == "2262-04-11T23:47:16.854Z");
    CHECK(vitals::format_utc(Clock::time_point{} + 1'500'000us) == "1970-01-01T00:00:01.500Z");
}
