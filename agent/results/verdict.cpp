// SPDX-License-Identifier: MIT
#include "results/verdict.hpp"

#include <fmt/format.h>

namespace vitals {

Duration staleness_limit(const CheckInfo &info) {
    return 2 * info.interval + info.timeout;
}

std::string no_report_message(Duration ttl) {
    return fmt::format("no report for {}", format_duration(ttl));
}

namespace {

/// A push check is not run on a schedule, so it is never stale: its report
/// counts for the ttl, and after that it is an error, at once, whatever the
/// result store says yet (the agent records the expiry within a moment).
Verdict judge_push(const CheckState &state, Duration ttl,
                   std::chrono::system_clock::time_point now) {
    using SystemDuration = std::chrono::system_clock::duration;
    const auto limit = std::chrono::duration_cast<SystemDuration>(ttl);
    Verdict verdict;
    if (!state.last) {
        // Past the ttl a silent check is not waiting any more: it is failing.
        const bool overdue = now - state.declared_at > limit;
        verdict.pending = !overdue;
        verdict.status = Status::error;
        verdict.message = overdue ? no_report_message(ttl) : "no report yet";
        return verdict;
    }
    const auto ended =
        state.last->started + std::chrono::duration_cast<SystemDuration>(state.last->duration);
    verdict.age_seconds = std::max(0.0, std::chrono::duration<double>(now - ended).count());
    verdict.next_run = ended + limit; // when the next report is due
    if (now - ended > limit) {
        verdict.status = Status::error;
        verdict.message = no_report_message(ttl);
        return verdict;
    }
    verdict.status = state.reported;
    verdict.message = state.last->message;
    return verdict;
}

} // namespace

Verdict judge(const CheckState &state, std::chrono::system_clock::time_point now) {
    using std::chrono::duration_cast;
    if (state.info.ttl) return judge_push(state, *state.info.ttl, now);
    using SystemDuration = std::chrono::system_clock::duration;
    const auto limit = duration_cast<SystemDuration>(staleness_limit(state.info));
    Verdict verdict;
    if (!state.last) {
        verdict.pending = true;
        verdict.status = Status::error;
        verdict.stale = now - state.declared_at > limit;
        verdict.message =
            verdict.stale ? fmt::format("stale: no result in {} since the agent took the check on",
                                        format_duration(staleness_limit(state.info)))
                          : "no result yet";
        return verdict;
    }
    const auto ended = state.last->started + duration_cast<SystemDuration>(state.last->duration);
    const auto age = now - ended;
    verdict.age_seconds = std::max(0.0, std::chrono::duration<double>(age).count());
    verdict.next_run = ended + duration_cast<SystemDuration>(state.info.interval);
    if (age > limit) {
        verdict.stale = true;
        verdict.status = Status::error;
        verdict.message =
            fmt::format("stale: last result is {} old (expected every {}); it said: {}",
                        format_duration(std::chrono::duration_cast<Duration>(age)),
                        format_duration(state.info.interval), state.last->message);
        return verdict;
    }
    verdict.status = state.reported;
    verdict.message = state.last->message;
    return verdict;
}

} // namespace vitals
