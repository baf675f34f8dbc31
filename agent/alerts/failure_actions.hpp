// Checks' on_failure actions: run after failures in a row, rate-limited, their outcome kept
// in the check's history. SPDX-License-Identifier: MIT
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "alerts/action_command.hpp"
#include "alerts/run_limit.hpp"
#include "checks/secrets.hpp"
#include "config/configuration.hpp"
#include "core/clock.hpp"
#include "results/action_counts.hpp"
#include "results/result_observer.hpp"
#include "results/result_store.hpp"

namespace vitals {

/// Watches the result store; after `after` error results in a row of a check with an
/// on_failure action it runs the action on a worker of its own (never two runs of one
/// check's action at once), at most `max` times per window, then gives up, says so once,
/// and starts again when the window allows. After a run the count starts again. Each
/// outcome goes to the check's newest history entry, to last_outcome() (for the next
/// alert) and to the counts behind vitals_actions_total. Thread-safe.
class FailureActions final : public ResultObserver {
public:
    /// Whether a check is silenced or in maintenance now: then no action runs.
    using Silenced = std::function<bool(const std::string &check)>;

    struct Options {
        /// Actions running at once; more wait their turn, each bounded by its timeout.
        std::size_t workers = 4;
        /// Bytes of output kept, before cleaning.
        std::size_t tail_bytes = 4096;
        /// Bytes of the cleaned output tail in an outcome.
        std::size_t shown_bytes = 400;
    };

    /// Observes `results` from start() until stop() (or destruction).
    FailureActions(ResultStore &results, std::shared_ptr<Clock> clock, Silenced silenced,
                   Options options);
    FailureActions(ResultStore &results, std::shared_ptr<Clock> clock, Silenced silenced = {})
        : FailureActions(results, std::move(clock), std::move(silenced), Options{}) {}
    ~FailureActions() override;
    FailureActions(const FailureActions &) = delete;
    FailureActions &operator=(const FailureActions &) = delete;

    /// Takes each configuration's actions: a check whose action is unchanged keeps its
    /// count and its runs in the window; others start afresh.
    void configure(const std::vector<CheckDefinition> &checks);
    void start();
    /// Stops watching, kills the actions still running and joins the workers.
    void stop();

    /// The last outcome of `check`'s action ("exit 0: restarted", "gave up: 3 runs in
    /// 15m"); empty if none.
    std::string last_outcome(const std::string &check) const;
    std::shared_ptr<const ActionCounts> counts() const { return counts_; }

    void changed(const std::string &check) override;
    void transitioned(const std::string &, const Transition &) override {}

private:
    struct Tracker {
        FailureAction action;
        std::shared_ptr<const Secrets> secrets;
        RunLimit limit;
        std::uint64_t seen_runs = 0; ///< the check's runs when last looked at
        std::uint64_t baseline = 0;  ///< its runs when the last action ended
        bool running = false;
        bool gave_up = false; ///< held back by the limit, and said so
        std::string last_outcome;
    };
    struct Job {
        std::string check;
        FailureAction action;
        std::shared_ptr<const Secrets> secrets;
        std::uint64_t failures = 0;
    };

    void dispatch(std::stop_token stop);
    void consider(const std::string &check, const CheckState &state);
    void work(std::stop_token stop);
    void run(const Job &job, std::stop_token stop);

    ResultStore &results_;
    std::shared_ptr<Clock> clock_;
    Silenced silenced_;
    Options options_;
    std::shared_ptr<ActionCounts> counts_ = std::make_shared<ActionCounts>();

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::set<std::string> pending_; ///< checks whose state changed since last looked at
    std::deque<Job> jobs_;
    std::map<std::string, Tracker, std::less<>> trackers_;
    bool observing_ = false;
    bool stopping_ = false;
    std::vector<std::jthread> threads_;
};

/// How a run ended, as vitals_actions_total's outcome label: ok, failed or timeout.
std::string_view outcome_of(const CommandRun &run);
/// "exit 1: <output tail>" and the like, as the history shows a run; `shown_tail` is the
/// output's tail, already cleaned.
std::string describe_run(const CommandRun &run, const FailureAction &action,
                         const std::string &shown_tail);

} // namespace vitals
