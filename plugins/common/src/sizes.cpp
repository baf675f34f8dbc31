// Sizes as users write them in parameters. SPDX-License-Identifier: MIT
#include <vitals_plugins/sizes.hpp>
#include <vitals_plugins/text.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

namespace vitals::plugins {

std::optional<std::uint64_t> parse_size(std::string_view text) {
    const auto *begin = text.data();
    const auto *end = text.data() + text.size();
    if (begin == end || !std::isdigit(static_cast<unsigned char>(*begin))) return std::nullopt;
    double number = 0;
    const auto [after_number, error] = std::from_chars(begin, end, number);
    if (error != std::errc{}) return std::nullopt;
    std::string_view unit{after_number, static_cast<std::size_t>(end - after_number)};
    while (!unit.empty() && unit.front() == ' ')
        unit.remove_prefix(1);
    struct Unit {
        const char *name;
        double bytes;
    };
    constexpr double k = 1000, ki = 1024;
    constexpr std::array<Unit, 12> units{{{"", 1},
                                          {"B", 1},
                                          {"kB", k},
                                          {"MB", k * k},
                                          {"GB", k * k * k},
                                          {"TB", k * k * k * k},
                                          {"PB", k * k * k * k * k},
                                          {"KiB", ki},
                                          {"MiB", ki * ki},
                                          {"GiB", ki * ki * ki},
                                          {"TiB", ki * ki * ki * ki},
                                          {"PiB", ki * ki * ki * ki * ki}}};
    const auto found = std::find_if(units.begin(), units.end(), [unit](const Unit &candidate) {
        return equal_ignoring_case(unit, candidate.name);
    });
    if (found == units.end()) return std::nullopt;
    const double bytes = std::floor(number * found->bytes);
    // 2^64 is exactly representable; anything at or above it does not fit.
    if (!(bytes >= 0 && bytes < 18446744073709551616.0)) return std::nullopt;
    return static_cast<std::uint64_t>(bytes);
}

std::optional<std::uint64_t> size_param(const vitals::Params &params, const char *key) {
    if (!params.has(key)) return std::nullopt;
    const std::string text = params.string(key);
    const auto bytes = parse_size(text);
    if (!bytes)
        params.reject(key,
                      "must be a size such as \"10GiB\", \"500MB\" or a number of bytes, got \"" +
                          text + "\"");
    return bytes;
}

} // namespace vitals::plugins
