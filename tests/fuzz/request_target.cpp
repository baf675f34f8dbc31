// Fuzzes the request target parser: the path the router sees comes only from here.
// SPDX-License-Identifier: MIT
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "http_invariants.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view target{reinterpret_cast<const char *>(data), size};
    const auto parsed = vitals::parse_request_target(target);
    if (const auto *bad = std::get_if<vitals::BadTarget>(&parsed)) {
        FUZZ_CHECK(bad->status >= 400 && bad->status <= 499);
        FUZZ_CHECK(!bad->reason.empty());
        return 0;
    }
    const auto &accepted = std::get<vitals::RequestTarget>(parsed);
    vitals_fuzz::check_accepted_target(accepted);
    // A decoded NUL or slash would have been refused, so neither escape survives.
    if (!target.starts_with('/')) return 0; // absolute form: the authority may hold anything
    const std::string_view raw_path = target.substr(0, target.find('?'));
    FUZZ_CHECK(raw_path.find("%00") == std::string_view::npos);
    FUZZ_CHECK(raw_path.find("%2f") == std::string_view::npos);
    FUZZ_CHECK(raw_path.find("%2F") == std::string_view::npos);
    return 0;
}
