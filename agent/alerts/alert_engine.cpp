// SPDX-License-Identifier: MIT
#include "alerts/alert_engine.hpp"

#include <algorithm>

#include <Poco/Exception.h>

#include "core/host_name.hpp"
#include "core/log.hpp"
#include "results/verdict.hpp"

namespace vitals {
namespace {

/// What a notifier that wants `min_status` or worse sees of `status`.
Status as_seen(Status status, Status min_status) {
    return status >= min_status ? status : Status::ok;
}

bool has(const std::vector<std::string> &names, const std::string &name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

/// Stands in for a notifier whose sender could not be made (a TLS file gone since the
/// configuration was read): its alerts wait, retried, until a reload fixes it.
class UnusableNotifier final : public Notifier {
public:
    explicit UnusableNotifier(std::string why) : why_(std::move(why)) {}
    DeliveryOutcome deliver(const Alert &) override { return DeliveryOutcome::retry(why_); }

private:
    std::string why_;
};

} // namespace

std::vector<std::string> notifiers_for(const CheckDefinition &check,
                                       const std::vector<NotifierDefinition> &notifiers) {
    std::vector<std::string> names;
    for (const auto &name : check.notify)
        if (!has(names, name)) names.push_back(name);
    for (const auto &notifier : notifiers) {
        const bool chosen = std::any_of(notifier.groups.begin(), notifier.groups.end(),
                                        [&](const std::string &g) { return has(check.groups, g); });
        if (chosen && !has(names, notifier.name)) names.push_back(notifier.name);
    }
    return names;
}

AlertEngine::AlertEngine(ResultStore &results, AlertLedger &ledger, NotifierFactory make_notifier,
                         std::shared_ptr<Clock> clock)
    : results_(results), ledger_(ledger), make_notifier_(std::move(make_notifier)),
      clock_(std::move(clock)), host_(host_name()) {}

AlertEngine::~AlertEngine() {
    stop();
}

std::shared_ptr<Notifier> AlertEngine::sender_for(const NotifierDefinition &definition) const {
    std::string why;
    try {
        return make_notifier_(definition);
    } catch (const Poco::Exception &e) {
        why = e.displayText();
    } catch (const std::exception &e) {
        why = e.what();
    }
    log(LogLevel::error, "alerts", "notifier {} cannot be used, its alerts wait: {}",
        definition.name, why);
    return std::make_shared<UnusableNotifier>("cannot be used: " + why);
}

void AlertEngine::configure(const Configuration &config, std::string link_base) {
    std::map<std::string, std::vector<std::string>> notifiers_of;
    for (const auto &check : config.checks)
        if (check.enabled)
            if (auto names = notifiers_for(check, config.agent.notifiers); !names.empty())
                notifiers_of.emplace(check.name, std::move(names));

    std::map<std::string, Route> gone;
    {
        const std::lock_guard lock{mutex_};
        link_base_ = std::move(link_base);
        gone = take_routes(config, std::move(notifiers_of));
        clock_->notify_all(wake_);
    }
    // Outside the lock: a removed notifier's queue ends once an attempt in flight returns,
    // which may take its timeout, and the result store must not wait for that meanwhile.
    for (auto &[name, route] : gone) {
        const std::size_t waiting = route.queue->discard();
        if (waiting > 0)
            log(LogLevel::warning, "alerts",
                "notifier {} removed: its {} waiting alerts are dropped", name, waiting);
    }
}

std::map<std::string, AlertEngine::Route>
AlertEngine::take_routes(const Configuration &config,
                         std::map<std::string, std::vector<std::string>> notifiers_of) {
    std::map<std::string, Route> routes;
    for (const auto &definition : config.agent.notifiers) {
        auto kept = routes_.find(definition.name);
        Route route;
        if (kept != routes_.end()) {
            route = std::move(kept->second);
            routes_.erase(kept);
            if (!(route.definition == definition)) {
                auto sender = sender_for(definition);
                route.resend = sender->resend_interval();
                route.queue->reconfigure(std::move(sender), definition.queue_size);
            }
        } else {
            auto sender = sender_for(definition);
            route.resend = sender->resend_interval();
            route.health = std::make_shared<NotifierHealth>(
                definition.name, std::string{to_string(definition.type)});
            route.queue = std::make_unique<DeliveryQueue>(definition.name, std::move(sender),
                                                          definition.queue_size, route.health,
                                                          ledger_, clock_);
        }
        route.definition = definition;
        routes.emplace(definition.name, std::move(route));
    }
    std::map<std::string, Route> gone = std::exchange(routes_, std::move(routes));
    notifiers_of_ = std::move(notifiers_of);
    // What was told of checks or notifiers no longer in force is forgotten: a check that
    // comes back starts as if new.
    for (auto told = notified_.begin(); told != notified_.end();) {
        const auto &[check, notifier] = told->first;
        const auto names = notifiers_of_.find(check);
        if (names != notifiers_of_.end() && has(names->second, notifier)) {
            ++told;
            continue;
        }
        ledger_.forget_notified(check, notifier);
        told = notified_.erase(told);
    }
    for (const auto &[check, names] : notifiers_of_)
        due_.insert(check);
    return gone;
}

void AlertEngine::quiet_when(Quiet quiet) {
    const std::lock_guard lock{mutex_};
    quiet_ = std::move(quiet);
}

void AlertEngine::note_actions(ActionNote note) {
    const std::lock_guard lock{mutex_};
    action_note_ = std::move(note);
}

void AlertEngine::start() {
    resume(ledger_.take_saved_alerts());
    results_.observe(this);
    const std::lock_guard lock{mutex_};
    started_ = true;
    thread_ = std::thread{[this] { run(); }};
}

void AlertEngine::resume(AlertLedger::Contents saved) {
    const std::lock_guard lock{mutex_};
    last_id_ = std::max(last_id_, saved.last_alert_id);
    for (auto &told : saved.notified) {
        const auto names = notifiers_of_.find(told.check);
        if (names == notifiers_of_.end() || !has(names->second, told.notifier)) {
            ledger_.forget_notified(told.check, told.notifier);
            continue;
        }
        auto key = std::make_pair(told.check, told.notifier);
        notified_.insert_or_assign(std::move(key), std::move(told));
    }
    for (auto &waiting : saved.queued) {
        last_id_ = std::max(last_id_, waiting.alert.id);
        const auto route = routes_.find(waiting.notifier);
        if (route == routes_.end()) {
            log(LogLevel::warning, "alerts",
                "an alert for {} waited for notifier {}, which is no longer configured: dropped",
                waiting.alert.check, waiting.notifier);
            ledger_.dequeued(waiting.notifier, waiting.alert.id);
            continue;
        }
        route->second.queue->push(std::move(waiting.alert), true);
    }
}

void AlertEngine::stop() {
    {
        const std::lock_guard lock{mutex_};
        if (!started_ || stopping_) return;
        stopping_ = true;
        clock_->notify_all(wake_);
    }
    results_.forget(this);
    thread_.join();
    const std::lock_guard lock{mutex_};
    for (auto &[name, route] : routes_)
        route.queue->stop();
}

std::vector<std::shared_ptr<const NotifierHealth>> AlertEngine::health() const {
    const std::lock_guard lock{mutex_};
    std::vector<std::shared_ptr<const NotifierHealth>> all;
    for (const auto &[name, route] : routes_)
        all.push_back(route.health);
    return all;
}

void AlertEngine::changed(const std::string &) {}

void AlertEngine::transitioned(const std::string &check, const Transition &) {
    const std::lock_guard lock{mutex_};
    if (!notifiers_of_.contains(check)) return;
    due_.insert(check);
    clock_->notify_all(wake_);
}

void AlertEngine::run() {
    auto next_sweep = clock_->now();
    std::unique_lock lock{mutex_};
    while (!stopping_) {
        if (clock_->now() >= next_sweep) {
            for (const auto &[check, names] : notifiers_of_)
                due_.insert(check);
            next_sweep = clock_->now() + sweep_interval;
        }
        if (due_.empty()) {
            clock_->wait_until(wake_, lock, next_sweep);
            continue;
        }
        const std::set<std::string> due = std::exchange(due_, {});
        // The result store is read unlocked: it tells this engine of changes under its own
        // lock, so holding ours while asking it could deadlock.
        lock.unlock();
        const auto now = clock_->system_now();
        for (const auto &check : due)
            look_at(check, now);
        lock.lock();
    }
}

void AlertEngine::look_at(const std::string &check, Clock::SystemTime now) {
    const auto state = results_.state(check);
    if (!state || !state->last) return; // pending: nothing measured yet
    // Suppressed by a failing dependency: the root cause alerts, not this one.
    if (state->last->suppressed) return;
    const Verdict verdict = judge(*state, now);
    const std::lock_guard lock{mutex_};
    if (quiet_ && quiet_(check, now)) return;
    const auto names = notifiers_of_.find(check);
    if (names == notifiers_of_.end()) return;
    for (const auto &name : names->second) {
        const auto found = routes_.find(name);
        if (found == routes_.end()) continue;
        Route &route = found->second;
        const Status seen = as_seen(verdict.status, route.definition.min_status);
        auto told = notified_.find({check, name});
        const Status before = told == notified_.end() ? Status::ok : told->second.status;
        if (seen != before) {
            if (seen != Status::ok)
                tell(route, *state, AlertKind::firing, verdict.status, before, verdict.message,
                     now);
            else if (route.definition.send_resolved)
                tell(route, *state, AlertKind::resolved, verdict.status, before, verdict.message,
                     now);
            NotifiedStatus status{check, name, seen, now, now};
            ledger_.notified(status);
            notified_.insert_or_assign({check, name}, std::move(status));
            continue;
        }
        if (seen == Status::ok || told == notified_.end()) continue;
        NotifiedStatus &status = told->second;
        const Duration repeat = route.definition.repeat;
        if (repeat > Duration{} && now - status.reminded_at >= repeat) {
            tell(route, *state, AlertKind::reminder, verdict.status, before, verdict.message, now);
            status.sent_at = status.reminded_at = now;
            ledger_.notified(status);
        } else if (route.resend > Duration{} && now - status.sent_at >= route.resend) {
            // The receiver forgets a firing alert it is not told of again (Alertmanager).
            tell(route, *state, AlertKind::firing, verdict.status, status.status, verdict.message,
                 now);
            status.sent_at = now;
            ledger_.notified(status);
        }
    }
}

void AlertEngine::tell(Route &route, const CheckState &state, AlertKind kind, Status status,
                       Status previous, const std::string &message, Clock::SystemTime now) {
    Alert alert;
    alert.id = ++last_id_;
    alert.kind = kind;
    alert.check = state.info.name;
    alert.status = status;
    alert.previous = previous;
    alert.message = message;
    alert.description = state.info.description;
    alert.since = state.status_since;
    alert.at = now;
    alert.host = host_;
    alert.labels = state.info.labels;
    alert.groups = state.info.groups;
    if (!link_base_.empty()) alert.link = link_base_ + "/#check-" + state.info.name;
    if (action_note_) alert.action = action_note_(state.info.name);
    log(LogLevel::info, "alerts", "{} {} {} → {}: to {}", state.info.name, to_string(kind),
        to_string(previous), to_string(status), route.definition.name);
    route.queue->push(std::move(alert));
}

} // namespace vitals
