// The shapes a health answer can take. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/silence_board.hpp"
#include "http/http_types.hpp"
#include "results/agent_status.hpp"
#include "results/result_store.hpp"
#include "results/verdict.hpp"

namespace vitals {

/// The HTTP code for each status; every style has defaults, an endpoint may override.
struct StatusCodes {
    int ok = 200;
    int warning = 200;
    int error = 503;

    int of(Status status) const;
};

/// What one answer covers, already filtered and in name order.
struct HealthView {
    std::vector<std::shared_ptr<const CheckState>> checks; ///< shared with the result store
    std::chrono::system_clock::time_point now;
    StatusCodes codes;
    bool verbose = true; ///< false: only the overall status (`?verbose=0`)
    /// Past runs to include, newest first (`?history`, native style only).
    std::optional<std::vector<HistoryEntry>> history;
    /// Each check's past runs, newest first, by position in `checks` (`?history` on an
    /// aggregate, native style only).
    std::optional<std::vector<std::vector<HistoryEntry>>> histories;
    /// Why the answer is "not ready" whatever the checks say: starting or draining.
    std::optional<std::string> unavailable;
    /// The configuration's state, for /health (native style only).
    std::optional<AgentFacts> agent;
    /// Shows each check's silence or open maintenance window; null: none shown.
    const SilenceBoard *silences = nullptr;

    Status status() const; ///< the worst verdict; ok when empty
    Verdict verdict(const CheckState &check) const { return judge(check, now); }
};

/// One response format, reproduced from the document it comes from.
class ResponseStyle {
public:
    virtual ~ResponseStyle() = default;

    virtual std::string_view name() const = 0;
    virtual StatusCodes default_codes() const { return {}; }
    /// Several checks, as one answer.
    virtual HttpResponse aggregate(const HealthView &view) const = 0;
    /// One check, for paths with a <name> segment.
    virtual HttpResponse single(const CheckState &check, const HealthView &view) const = 0;
    /// Unknown <name>; and the answers for an access-token route.
    virtual HttpResponse not_found(const HttpRequest &request) const;
    virtual HttpResponse wrong_token(const HttpRequest &request) const;
    /// `?format=` other than json, for styles that honour it; nullptr-like
    /// default: the parameter is ignored.
    virtual bool accepts_format(std::string_view) const { return true; }
};

/// nullptr for an unknown name.
const ResponseStyle *find_style(std::string_view name);
std::vector<std::string> style_names();

/// The native style, used by the built-in routes.
const ResponseStyle &vitals_style();

} // namespace vitals
