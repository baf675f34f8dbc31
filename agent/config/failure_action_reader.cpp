// SPDX-License-Identifier: MIT
#include "config/failure_action_reader.hpp"

#include <charconv>
#include <string_view>

#include <fmt/format.h>

#include "config/table_reader.hpp"

namespace vitals {
namespace {
using namespace std::chrono_literals;

/// More runs than this in a window is a loop, not a repair.
constexpr std::int64_t max_runs_limit = 100;
/// A window shorter than a second cannot hold back anything; one longer than a week is
/// forgotten by the agent's restarts anyway (the window is not kept on disk).
constexpr Bounds<Duration> window_bounds{1s, 7 * 24h};
/// Long enough for a slow service restart, short enough to be a bound.
constexpr Bounds<Duration> timeout_bounds{100ms, 1h};

/// "3/15m": runs, a slash, a window.
std::optional<std::pair<unsigned, Duration>> parse_max(std::string_view text, std::string &why) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        why = "expected \"RUNS/WINDOW\", e.g. \"3/15m\"";
        return std::nullopt;
    }
    const std::string_view count = text.substr(0, slash);
    std::int64_t runs = 0;
    const auto [end, error] = std::from_chars(count.data(), count.data() + count.size(), runs);
    if (error != std::errc{} || end != count.data() + count.size() || runs < 1 ||
        runs > max_runs_limit) {
        why =
            fmt::format("runs must be a whole number from 1 to {}, e.g. \"3/15m\"", max_runs_limit);
        return std::nullopt;
    }
    const auto window = parse_duration(text.substr(slash + 1));
    if (!window || !window_bounds.admits(*window)) {
        why = fmt::format("the window must be a duration from {} to {}, e.g. \"3/15m\"",
                          format_duration(window_bounds.min), format_duration(window_bounds.max));
        return std::nullopt;
    }
    return std::pair{static_cast<unsigned>(runs), *window};
}

} // namespace

std::optional<FailureAction> read_failure_action(const toml::table &table,
                                                 const std::string &check_prefix,
                                                 ConfigErrors &errors) {
    const std::size_t errors_before = errors.size();
    FailureAction action;
    action.where = location_of(table.source());
    TableReader reader{table, check_prefix + ".on_failure", errors};
    if (auto run = reader.strings("run")) {
        if (run->empty() || run->front().empty())
            reader.invalid("run", "expected the command to run, e.g. [\"systemctl\", "
                                  "\"restart\", \"nginx\"]");
        action.run = std::move(*run);
    } else if (!table.contains("run")) {
        reader.missing("run");
    }
    action.shell = reader.boolean("shell").value_or(false);
    if (auto after = reader.integer("after", 1, 1000)) action.after = static_cast<unsigned>(*after);
    if (auto max = reader.string("max")) {
        std::string why;
        if (auto parsed = parse_max(*max, why))
            std::tie(action.max_runs, action.window) = *parsed;
        else
            reader.invalid("max", why);
    }
    if (auto timeout = reader.duration("timeout", timeout_bounds)) action.timeout = *timeout;
    reader.reject_unknown_keys();
    if (errors.size() != errors_before) return std::nullopt;
    return action;
}

} // namespace vitals
