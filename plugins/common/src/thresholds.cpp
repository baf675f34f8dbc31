// Reading a check's warning and error limits from its parameters. SPDX-License-Identifier: MIT
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

namespace vitals::plugins {

std::optional<std::chrono::nanoseconds> time_limit(const vitals::Params &params, const char *key,
                                                   std::string_view consequence) {
    if (!params.has(key)) return std::nullopt;
    const std::chrono::nanoseconds limit = params.duration(key);
    if (limit <= std::chrono::nanoseconds::zero())
        params.reject(key, "must be longer than zero: " + std::string{consequence});
    return limit;
}

TimeLimits time_limits(const vitals::Params &params, std::string_view what) {
    const std::string every = "every " + std::string{what} + " would ";
    TimeLimits limits;
    limits.warning = time_limit(params, "warning", every + "warn");
    limits.error = time_limit(params, "error", every + "fail");
    require_not_above(params, "warning", limits.warning, "error", limits.error, format_duration);
    return limits;
}

double percentage(const vitals::Params &params, const char *key) {
    const double value = params.number(key);
    // Written as a positive range test so that NaN, which TOML allows, fails it too.
    if (!(value >= 0 && value <= 100))
        params.reject(key, "must be a percentage from 0 to 100, got " + fixed(value, 1));
    return value;
}

void reject_order(const vitals::Params &params, const ShownLimit &limit, std::string_view relation,
                  std::string_view sign, const ShownLimit &other, std::string_view why) {
    params.reject(limit.key, "must not be " + std::string{relation} + " " + other.key + " (" +
                                 limit.value + " " + std::string{sign} + " " + other.value + ")" +
                                 std::string{why});
}

} // namespace vitals::plugins
