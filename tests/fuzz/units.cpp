// Fuzzes the duration and byte-size parsers every config value goes through.
// SPDX-License-Identifier: MIT
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/byte_size.hpp"
#include "core/duration.hpp"
#include "fuzz_check.hpp"

namespace {

/// A parsed duration is never negative, and what format_duration writes for it (the form
/// messages and --check-config show) reads back as exactly the same duration.
void check_duration(std::string_view text) {
    const auto parsed = vitals::parse_duration(text);
    if (!parsed) return;
    FUZZ_CHECK(parsed->count() >= 0);
    const std::string formatted = vitals::format_duration(*parsed);
    FUZZ_CHECK(formatted.find('e') == std::string::npos);
    const auto reparsed = vitals::parse_duration(formatted);
    FUZZ_CHECK(reparsed.has_value());
    FUZZ_CHECK(reparsed->count() == parsed->count());
}

/// Every unit is at least a byte and at most a TiB, so a parsed size lies between the
/// number written and that number of TiB (give or take rounding).
void check_bytes(std::string_view text) {
    const auto parsed = vitals::parse_bytes(text);
    if (!parsed) return;
    const std::string number_text{text.substr(0, text.find_first_of("KMGTiB"))};
    const double number = std::strtod(number_text.c_str(), nullptr);
    const auto bytes = static_cast<double>(*parsed);
    FUZZ_CHECK(bytes >= number * (1 - 1e-12) - 1);
    FUZZ_CHECK(bytes <= number * 1024.0 * 1024 * 1024 * 1024 * (1 + 1e-12) + 1);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view text{reinterpret_cast<const char *>(data), size};
    check_duration(text);
    check_bytes(text);
    return 0;
}
