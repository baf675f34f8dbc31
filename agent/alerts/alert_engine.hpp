// Decides which alerts to send: once per reported change of a check, per notifier, with
// resolved notices and reminders. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "alerts/alert_ledger.hpp"
#include "alerts/delivery_queue.hpp"
#include "alerts/notifier.hpp"
#include "config/configuration.hpp"
#include "core/clock.hpp"
#include "results/result_store.hpp"

namespace vitals {

/// Builds the sender of one [[notifier]] (alerts/notifier_factory in the agent).
using NotifierFactory = std::function<std::shared_ptr<Notifier>(const NotifierDefinition &)>;

/// The engine is state-based, not event-based: for each check and each of its notifiers it
/// remembers the status that notifier was last told (ok below its min_status), and sends an
/// alert whenever the check's verdict differs from it. So through any flapping there is
/// exactly one alert per reported change (thresholds already applied by the result store);
/// a change back before the engine looked sends nothing; and a check that was silenced,
/// suppressed by a failing dependency, or pending is simply not looked at until it is
/// not, then told as it stands. The remembered statuses are kept in the ledger, so a
/// restart re-sends nothing already told.
class AlertEngine final : private ResultObserver {
public:
    /// True while `check` is silenced, in a maintenance window, or the agent is in
    /// maintenance: nothing is sent for it, and it is looked at again once that ends.
    using Quiet = std::function<bool(const std::string &check, Clock::SystemTime now)>;
    /// The outcome of the check's last on_failure action, for the alert; empty if none.
    using ActionNote = std::function<std::string(const std::string &check)>;

    /// Every check is looked at this often besides when it changes: for reminders,
    /// resends, staleness, and silences that ended.
    static constexpr auto sweep_interval = std::chrono::seconds{1};

    AlertEngine(ResultStore &results, AlertLedger &ledger, NotifierFactory make_notifier,
                std::shared_ptr<Clock> clock);
    ~AlertEngine() override;
    AlertEngine(const AlertEngine &) = delete;
    AlertEngine &operator=(const AlertEngine &) = delete;

    /// Takes the notifiers and routes of a configuration: at start and after every reload.
    /// A notifier whose definition is unchanged keeps its queue and sender; a changed one
    /// keeps its queue; a removed one's queue is dropped with what it held.
    void configure(const Configuration &config, std::string link_base);
    void quiet_when(Quiet quiet);
    void note_actions(ActionNote note);
    /// Resumes what the ledger kept, and begins watching the result store.
    void start();
    /// Stops watching and sending; what is still queued stays in the ledger. Idempotent.
    void stop();

    /// Every notifier in force, for /health and /metrics.
    std::vector<std::shared_ptr<const NotifierHealth>> health() const;

private:
    struct Route {
        NotifierDefinition definition;
        std::shared_ptr<NotifierHealth> health;
        std::unique_ptr<DeliveryQueue> queue;
        Duration resend{}; ///< the sender's resend_interval()
    };

    void changed(const std::string &check) override;
    void transitioned(const std::string &check, const Transition &transition) override;

    /// Takes `config`'s notifiers and the checks each tells; returns the routes of notifiers
    /// it no longer has. Under the lock.
    std::map<std::string, Route>
    take_routes(const Configuration &config,
                std::map<std::string, std::vector<std::string>> notifiers_of);
    /// The sender of `definition`, or one that says why it cannot be made.
    std::shared_ptr<Notifier> sender_for(const NotifierDefinition &definition) const;
    void run();
    void look_at(const std::string &check, Clock::SystemTime now);
    void tell(Route &route, const CheckState &state, AlertKind kind, Status status, Status previous,
              const std::string &message, Clock::SystemTime now);
    void resume(AlertLedger::Contents saved);

    ResultStore &results_;
    AlertLedger &ledger_;
    const NotifierFactory make_notifier_;
    const std::shared_ptr<Clock> clock_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::set<std::string> due_;           ///< checks that changed since the thread last looked
    std::map<std::string, Route> routes_; ///< by notifier name
    std::map<std::string, std::vector<std::string>> notifiers_of_;           ///< by check
    std::map<std::pair<std::string, std::string>, NotifiedStatus> notified_; ///< check, notifier
    std::string link_base_;
    std::string host_;
    Quiet quiet_;
    ActionNote action_note_;
    std::uint64_t last_id_ = 0;
    bool started_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

/// The notifiers `check` tells: those it names in `notify`, then those choosing one of its
/// groups, each once.
std::vector<std::string> notifiers_for(const CheckDefinition &check,
                                       const std::vector<NotifierDefinition> &notifiers);

} // namespace vitals
