// SPDX-License-Identifier: MIT
#include "state/state_keeper.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "state/alert_codec.hpp"
#include "state/state_codec.hpp"

namespace vitals::state {
namespace {

constexpr auto prune_interval = std::chrono::hours{1};

} // namespace

StateKeeper::StateKeeper(std::filesystem::path dir, std::shared_ptr<StateHealth> health)
    : dir_(std::move(dir)), health_(std::move(health)) {
    if (ensure_open(std::chrono::steady_clock::now()))
        log(LogLevel::info, "state", "state kept in {}: {} check(s) saved by the last run",
            database_->path().string(), saved_.checks.size());
}

StateKeeper::~StateKeeper() {
    stop();
}

bool StateKeeper::ensure_open(std::chrono::steady_clock::time_point now) {
    if (database_) return true;
    if (last_open_attempt_ != std::chrono::steady_clock::time_point{} &&
        now - last_open_attempt_ < reopen_interval)
        return false;
    last_open_attempt_ = now;
    std::vector<std::string> why;
    try {
        auto opened = StateDatabase::open(dir_, why);
        for (const auto &line : why)
            fail(line);
        database_ = std::move(opened.database);
        saved_ = std::move(opened.saved);
        if (!results_) { // at start: what the alert engine noted is its to take back
            identity_key_ = std::move(opened.identity_key); // fixed once checks run
            const std::lock_guard lock{mutex_};
            saved_alerts_ = std::exchange(saved_.alerts, {});
        }
        for (const auto &name : saved_.unreadable)
            fail(fmt::format("{}: the saved state of check {} could not be read; it starts "
                             "afresh",
                             database_->path().string(), name));
        for (const auto &[name, check] : saved_.checks)
            written_identities_.emplace(name, check.identity);
        health_->ok = true;
        if (results_) { // opened late: what it holds is old, and everything is written anew
            saved_ = {};
            const std::lock_guard lock{mutex_};
            for (const auto &[name, identity] : identities_)
                changed_.insert(name);
        }
        return true;
    } catch (const StateUnavailable &e) {
        for (const auto &line : why)
            fail(line);
        fail(fmt::format("{}; results are not kept across restarts (tried again every {} s)",
                         e.what(), reopen_interval.count()));
        return false;
    }
}

void StateKeeper::fail(const std::string &what) {
    ++health_->errors;
    health_->ok = false;
    log(LogLevel::warning, "state", "{}", what);
}

SavedState StateKeeper::take_saved() {
    return std::exchange(saved_, {});
}

AlertLedger::Contents StateKeeper::take_saved_alerts() {
    const std::lock_guard lock{mutex_};
    return std::exchange(saved_alerts_, {});
}

void StateKeeper::notified(const NotifiedStatus &status) {
    const std::lock_guard lock{mutex_};
    notified_.insert_or_assign({status.check, status.notifier}, status);
}

void StateKeeper::forget_notified(const std::string &check, const std::string &notifier) {
    const std::lock_guard lock{mutex_};
    notified_.insert_or_assign({check, notifier}, std::nullopt);
}

void StateKeeper::queued(const QueuedAlert &alert) {
    auto text = encode_alert(alert.alert);
    const std::lock_guard lock{mutex_};
    queued_.insert_or_assign({alert.notifier, alert.alert.id}, std::move(text));
    last_alert_id_ = std::max(last_alert_id_, alert.alert.id);
}

void StateKeeper::dequeued(const std::string &notifier, std::uint64_t alert_id) {
    const std::lock_guard lock{mutex_};
    queued_.insert_or_assign({notifier, alert_id}, std::nullopt);
}

void StateKeeper::keep_silences(const SilenceBoard &board) {
    silences_ = &board;
}

void StateKeeper::start(ResultStore &results, const PushBoard &push, Identities identities) {
    {
        const std::lock_guard lock{mutex_};
        results_ = &results;
        push_ = &push;
        identities_ = std::move(identities);
        // Everything is written once: what was restored and what starts afresh alike.
        for (const auto &[name, identity] : identities_)
            changed_.insert(name);
    }
    results.observe(this);
    writer_ = std::jthread{[this](std::stop_token stop) { run(stop); }};
}

void StateKeeper::track(Identities identities) {
    const std::lock_guard lock{mutex_};
    identities_ = std::move(identities);
}

void StateKeeper::stop() {
    if (!writer_.joinable()) return;
    results_->forget(this);
    writer_.request_stop();
    wake_.notify_all();
    writer_.join();
}

void StateKeeper::changed(const std::string &check) {
    const std::lock_guard lock{mutex_};
    changed_.insert(check);
}

void StateKeeper::transitioned(const std::string &check, const Transition &transition) {
    const std::lock_guard lock{mutex_};
    if (transitions_.size() >= max_pending_transitions) transitions_.erase(transitions_.begin());
    transitions_.emplace_back(check, transition);
}

void StateKeeper::run(std::stop_token stop) {
    std::unique_lock lock{mutex_};
    while (!stop.stop_requested()) {
        wake_.wait_for(lock, stop, flush_interval, [] { return false; });
        lock.unlock();
        flush(std::chrono::system_clock::now()); // on stop too: the last results are kept
        lock.lock();
    }
    // Stopped before the first wait, or noted since the last flush: kept all the same.
    lock.unlock();
    flush(std::chrono::system_clock::now());
}

StateBatch StateKeeper::take_batch(std::chrono::system_clock::time_point now) {
    StateBatch batch;
    batch.alive_at = now;
    std::set<std::string> changed;
    Identities identities;
    {
        const std::lock_guard lock{mutex_};
        changed.swap(changed_);
        batch.transitions.swap(transitions_);
        batch.notified.swap(notified_);
        batch.queued.swap(queued_);
        batch.last_alert_id = std::exchange(last_alert_id_, 0);
        identities = identities_;
    }
    // Rows of checks gone, or now defined otherwise, go first; a changed one is then
    // written anew, from its fresh start.
    for (const auto &[name, identity] : written_identities_) {
        const auto now_in_force = identities.find(name);
        if (now_in_force == identities.end() || now_in_force->second != identity) {
            batch.forget.push_back(name);
            if (now_in_force != identities.end()) changed.insert(name);
        }
    }
    for (const auto &name : changed) {
        const auto identity = identities.find(name);
        const auto state = identity == identities.end() ? nullptr : results_->state(name);
        if (!state) continue;
        const auto history = results_->history(name);
        batch.checks.push_back(
            {name, identity->second, encode_state(*state), encode_history(history)});
    }
    std::erase_if(batch.transitions,
                  [&](const auto &entry) { return !identities.contains(entry.first); });
    for (const auto &[name, deadline] : push_->deadlines()) {
        const auto identity = identities.find(name);
        const auto written = written_deadlines_.find(name);
        if (identity == identities.end()) continue;
        if (written != written_deadlines_.end() && written->second == deadline &&
            std::find(batch.forget.begin(), batch.forget.end(), name) == batch.forget.end())
            continue;
        batch.deadlines.push_back({name, identity->second, deadline});
    }
    if (silences_ && written_silences_ != silences_->version()) {
        // The version first: a change made while the board is read is written next time.
        written_silences_ = silences_->version();
        batch.quiet = silences_->kept(now);
    }
    return batch;
}

void StateKeeper::give_back(StateBatch batch) {
    if (batch.quiet) written_silences_.reset(); // the writer thread's own: written again
    const std::lock_guard lock{mutex_};
    for (auto &row : batch.checks)
        changed_.insert(std::move(row.name));
    batch.transitions.insert(batch.transitions.end(), std::make_move_iterator(transitions_.begin()),
                             std::make_move_iterator(transitions_.end()));
    if (batch.transitions.size() > max_pending_transitions)
        batch.transitions.erase(batch.transitions.begin(),
                                batch.transitions.end() -
                                    static_cast<std::ptrdiff_t>(max_pending_transitions));
    transitions_ = std::move(batch.transitions);
    // What was noted since is newer than what failed to be written: it wins.
    notified_.merge(batch.notified);
    queued_.merge(batch.queued);
    last_alert_id_ = std::max(last_alert_id_, batch.last_alert_id);
}

void StateKeeper::prune_if_due(std::chrono::system_clock::time_point now,
                               std::chrono::steady_clock::time_point steady_now) {
    if (last_prune_ && steady_now - *last_prune_ < prune_interval) return;
    last_prune_ = steady_now;
    try {
        database_->prune(now);
    } catch (const Poco::Exception &e) {
        fail(fmt::format("cannot prune {}: {}", database_->path().string(), e.displayText()));
    }
}

void StateKeeper::flush(std::chrono::system_clock::time_point now) {
    const auto steady_now = std::chrono::steady_clock::now();
    if (!ensure_open(steady_now)) return;
    StateBatch batch = take_batch(now);
    if (batch.empty() && steady_now - last_write_ < heartbeat_interval) return;
    try {
        database_->write(batch);
    } catch (const Poco::Exception &e) {
        fail(fmt::format("cannot write {}: {}", database_->path().string(), e.displayText()));
        give_back(std::move(batch));
        return;
    }
    last_write_ = steady_now;
    health_->ok = true;
    prune_if_due(now, steady_now);
    for (const auto &name : batch.forget) {
        written_identities_.erase(name);
        written_deadlines_.erase(name);
    }
    for (const auto &row : batch.checks)
        written_identities_[row.name] = row.identity;
    for (const auto &row : batch.deadlines) {
        written_identities_.emplace(row.name, row.identity);
        written_deadlines_[row.name] = row.deadline;
    }
}

} // namespace vitals::state
