// SPDX-License-Identifier: MIT
#include "alerts/failure_actions.hpp"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "checks/plugin_text.hpp"
#include "core/log.hpp"

namespace vitals {
namespace {

constexpr auto error_index = static_cast<std::size_t>(Status::error);

std::uint64_t runs_of(const CheckState &state) {
    return std::accumulate(state.runs_by_status.begin(), state.runs_by_status.end(),
                           std::uint64_t{0});
}

/// The last `max_bytes` of `text` without its trailing spaces (a last line break, cleaned),
/// from a character boundary, "…" in front when cut.
std::string last_bytes(std::string text, std::size_t max_bytes) {
    while (!text.empty() && text.back() == ' ')
        text.pop_back();
    if (text.size() <= max_bytes) return text;
    std::size_t from = text.size() - max_bytes;
    while (from < text.size() && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80)
        ++from;
    return "…" + text.substr(from);
}

/// `text` without terminal escape sequences (colours, cursor moves, titles): commands such
/// as systemctl colour their output, and clean_plugin_text() would drop the ESC alone and
/// leave "[31m" behind.
std::string without_escape_sequences(const std::string &text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\x1b' || i + 1 >= text.size()) {
            out += text[i];
            continue;
        }
        const char kind = text[++i];
        if (kind == '[') { // CSI: parameters, then one final byte from '@' to '~'
            while (i + 1 < text.size() && (text[i + 1] < '@' || text[i + 1] > '~'))
                ++i;
            ++i;
        } else if (kind == ']') { // OSC: up to BEL or ESC backslash
            while (i + 1 < text.size() && text[i + 1] != '\a' && text[i + 1] != '\x1b')
                ++i;
            ++i;
            if (i < text.size() && text[i] == '\x1b') ++i;
        } // else a two-byte sequence: ESC and `kind` both go
    }
    return out;
}

/// What is run: the words themselves, or with `shell` run[0] as a /bin/sh script whose
/// $1, $2, ... are the other words.
std::vector<std::string> command_of(const FailureAction &action) {
    if (!action.shell) return action.run;
    std::vector<std::string> argv{"/bin/sh", "-c", action.run.front(), "on_failure"};
    argv.insert(argv.end(), action.run.begin() + 1, action.run.end());
    return argv;
}

std::string gave_up_note(const FailureAction &action) {
    return fmt::format("gave up: {} run{} in {}", action.max_runs, action.max_runs == 1 ? "" : "s",
                       format_duration(action.window));
}

} // namespace

std::string_view outcome_of(const CommandRun &run) {
    switch (run.end) {
    case CommandRun::End::exited:
        return run.code == 0 ? "ok" : "failed";
    case CommandRun::End::timed_out:
        return "timeout";
    default:
        return "failed";
    }
}

std::string describe_run(const CommandRun &run, const FailureAction &action,
                         const std::string &shown_tail) {
    std::string head;
    switch (run.end) {
    case CommandRun::End::exited:
        head = fmt::format("exit {}", run.code);
        break;
    case CommandRun::End::signalled:
        head = fmt::format("killed by signal {}", run.code);
        break;
    case CommandRun::End::timed_out:
        head = fmt::format("timed out after {}, killed", format_duration(action.timeout));
        break;
    case CommandRun::End::not_started:
        head = "not started: " + run.error;
        break;
    case CommandRun::End::stopped:
        head = "stopped with the agent";
        break;
    }
    return shown_tail.empty() ? head : head + ": " + shown_tail;
}

FailureActions::FailureActions(ResultStore &results, std::shared_ptr<Clock> clock,
                               Silenced silenced, Options options)
    : results_(results), clock_(std::move(clock)), silenced_(std::move(silenced)),
      options_(options) {}

FailureActions::~FailureActions() {
    stop();
}

void FailureActions::configure(const std::vector<CheckDefinition> &checks) {
    const std::lock_guard lock{mutex_};
    std::map<std::string, Tracker, std::less<>> next;
    for (const auto &check : checks) {
        if (!check.on_failure) continue;
        const FailureAction &action = *check.on_failure;
        const auto old = trackers_.find(check.name);
        if (old != trackers_.end() && old->second.action == action) {
            next.emplace(check.name, std::move(old->second));
            continue;
        }
        Tracker tracker{action,
                        Secrets::of_command(check, action.run),
                        RunLimit{action.max_runs, action.window},
                        0,
                        0,
                        false,
                        false,
                        {}};
        // Never two runs of one check's action at once, even across a change of it.
        if (old != trackers_.end()) tracker.running = old->second.running;
        next.emplace(check.name, std::move(tracker));
    }
    trackers_ = std::move(next);
}

void FailureActions::start() {
    {
        const std::lock_guard lock{mutex_};
        if (observing_) return;
        observing_ = true;
        stopping_ = false;
    }
    threads_.emplace_back([this](std::stop_token stop) { dispatch(stop); });
    for (std::size_t i = 0; i < std::max<std::size_t>(options_.workers, 1); ++i)
        threads_.emplace_back([this](std::stop_token stop) { work(stop); });
    results_.observe(this);
}

void FailureActions::stop() {
    {
        const std::lock_guard lock{mutex_};
        if (!observing_) return;
        observing_ = false;
    }
    results_.forget(this);
    for (auto &thread : threads_)
        thread.request_stop(); // a running command is killed (run_command)
    {
        const std::lock_guard lock{mutex_};
        stopping_ = true;
        wake_.notify_all();
    }
    threads_.clear(); // joins
    const std::lock_guard lock{mutex_};
    jobs_.clear();
    pending_.clear();
}

std::string FailureActions::last_outcome(const std::string &check) const {
    const std::lock_guard lock{mutex_};
    const auto found = trackers_.find(check);
    return found == trackers_.end() ? std::string{} : found->second.last_outcome;
}

void FailureActions::changed(const std::string &check) {
    // Under the store's lock: only take note.
    const std::lock_guard lock{mutex_};
    if (!trackers_.contains(check)) return;
    pending_.insert(check);
    wake_.notify_all();
}

void FailureActions::dispatch(std::stop_token) {
    while (true) {
        std::set<std::string> checks;
        {
            std::unique_lock lock{mutex_};
            wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
            if (stopping_) return;
            checks.swap(pending_);
        }
        // The store is read without our lock: it calls changed() under its own.
        for (const auto &check : checks)
            if (const auto state = results_.state(check)) consider(check, *state);
    }
}

void FailureActions::consider(const std::string &check, const CheckState &state) {
    if (!state.last || state.restored) return;
    const bool failing = state.last->status == Status::error;
    // Asked without our lock: the predicate may take locks of its own.
    const bool silenced = failing && silenced_ && silenced_(check);
    const std::uint64_t runs = runs_of(state);
    std::string limited_note;
    {
        const std::lock_guard lock{mutex_};
        const auto found = trackers_.find(check);
        if (found == trackers_.end()) return;
        Tracker &tracker = found->second;
        if (runs == tracker.seen_runs) return; // no new result: an outcome noted, say
        tracker.seen_runs = runs;
        if (runs < tracker.baseline) tracker.baseline = 0; // the check started afresh
        if (!failing) {
            tracker.gave_up = false; // a later give-up is a new one, and said again
            return;
        }
        const std::uint64_t failures =
            std::min<std::uint64_t>(state.at_least[error_index], runs - tracker.baseline);
        if (failures < tracker.action.after || silenced || tracker.running) return;
        const auto now = clock_->now();
        if (!tracker.limit.allows(now)) {
            if (tracker.gave_up) return;
            tracker.gave_up = true;
            tracker.last_outcome = limited_note = gave_up_note(tracker.action);
        } else {
            tracker.gave_up = false;
            tracker.running = true;
            tracker.limit.record(now);
            jobs_.push_back({check, tracker.action, tracker.secrets, failures});
            wake_.notify_all();
            return;
        }
    }
    log(LogLevel::warning, "actions",
        "check {}: on_failure {}; it runs again when the window allows", check, limited_note);
    counts_->add(check, "limited");
    results_.note_action(check, limited_note);
}

void FailureActions::work(std::stop_token stop) {
    while (true) {
        Job job;
        {
            std::unique_lock lock{mutex_};
            wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
            if (stopping_) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        run(job, stop);
    }
}

void FailureActions::run(const Job &job, std::stop_token stop) {
    log(LogLevel::info, "actions",
        "check {}: {} error result(s) in a row, running its on_failure "
        "action",
        job.check, job.failures);
    const CommandRun result =
        run_command(command_of(job.action),
                    {"VITALS_CHECK=" + job.check, fmt::format("VITALS_FAILURES={}", job.failures)},
                    job.action.timeout, options_.tail_bytes, stop);
    if (result.end == CommandRun::End::stopped) return;
    // Secrets out first, then terminal sequences, then one clean line, then the end of it:
    // what went wrong is last.
    const std::string visible = without_escape_sequences(job.secrets->redact(result.output_tail));
    const std::string tail = last_bytes(
        clean_plugin_text(visible, options_.tail_bytes * 4, nullptr), options_.shown_bytes);
    CommandRun shown = result;
    shown.error = job.secrets->redact(result.error);
    const std::string note = describe_run(shown, job.action, tail);
    const std::string_view outcome = outcome_of(result);
    log(outcome == "ok" ? LogLevel::info : LogLevel::warning, "actions",
        "check {}: on_failure action {}", job.check, note);
    const auto state = results_.state(job.check);
    const std::uint64_t runs = state ? runs_of(*state) : 0;
    {
        const std::lock_guard lock{mutex_};
        if (const auto found = trackers_.find(job.check); found != trackers_.end()) {
            Tracker &tracker = found->second;
            tracker.running = false;
            // Monit's "if 3 cycles then restart": as many failures again before the next run.
            tracker.baseline = runs;
            tracker.last_outcome = note;
        }
    }
    counts_->add(job.check, std::string{outcome});
    results_.note_action(job.check, note);
}

} // namespace vitals
