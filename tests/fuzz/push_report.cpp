// Fuzzes the body parser of POST /health/checks/<name>, which any caller with the write
// scope reaches. SPDX-License-Identifier: MIT
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz_check.hpp"
#include "http/push_report.hpp"

/// Input: the Content-Type on the first line, the body after it.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view input{reinterpret_cast<const char *>(data), size};
    const auto newline = input.find('\n');
    const std::string_view content_type =
        newline == std::string_view::npos ? std::string_view{} : input.substr(0, newline);
    const std::string_view body =
        newline == std::string_view::npos ? input : input.substr(newline + 1);
    const auto received = std::chrono::system_clock::now();

    const auto parsed = vitals::parse_push_report(content_type, body, received);
    if (const auto *problem = std::get_if<vitals::PushProblem>(&parsed)) {
        FUZZ_CHECK(problem->http_status == 400 || problem->http_status == 413 ||
                   problem->http_status == 415);
        FUZZ_CHECK(!problem->detail.empty());
        return 0;
    }
    // An accepted report is within the bounds a plugin's result has.
    const auto &result = std::get<vitals::CheckResult>(parsed);
    FUZZ_CHECK(result.status == vitals::Status::ok || result.status == vitals::Status::warning ||
               result.status == vitals::Status::error);
    FUZZ_CHECK(result.message.size() <= vitals::max_push_message_bytes);
    FUZZ_CHECK(result.metrics.size() <= vitals::max_push_metrics);
    FUZZ_CHECK(result.duration.count() >= 0);
    FUZZ_CHECK(result.started <= received);
    std::set<std::string> names;
    for (const auto &metric : result.metrics) {
        FUZZ_CHECK(!metric.name.empty() &&
                   metric.name.size() <= vitals::max_push_metric_name_bytes);
        FUZZ_CHECK(std::isfinite(metric.value));
        FUZZ_CHECK(names.insert(metric.name).second);
    }
    return 0;
}
