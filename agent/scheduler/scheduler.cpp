// SPDX-License-Identifier: MIT
#include "scheduler/scheduler.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/log.hpp"
#include "results/verdict.hpp"
#include "scheduler/run_plan.hpp"

namespace vitals {

using SteadyClock = std::chrono::steady_clock;

struct Scheduler::State {
    struct Slot {
        std::shared_ptr<Check> check;
        SteadyClock::time_point due{};
        SteadyClock::time_point deadline = SteadyClock::time_point::max();
        std::chrono::system_clock::time_point started_at{};
        bool in_flight = false; ///< queued or running; not in the plan
        bool running = false;
        bool timed_out = false; ///< its worker has been replaced; its result will be dropped
        bool removed = false;   ///< gone from the configuration; erased once idle
        bool spread = false;    ///< past its first run: on its own phase of the interval
    };

    std::mutex mutex;
    std::condition_variable dispatcher_wake;
    /// When the waiting dispatcher wakes by itself: a worker wakes it only for
    /// something earlier, so thousands of checks do not mean thousands of wake-ups.
    SteadyClock::time_point dispatcher_wakes_at = SteadyClock::time_point::max();
    std::condition_variable work_ready;
    std::condition_variable runs_changed;
    // A map, not a vector: its nodes stay put while checks come and go, so a
    // worker may hold a Slot& across an unlocked run.
    std::map<std::size_t, Slot> slots;
    std::size_t next_id = 0;
    RunPlan plan;
    std::deque<std::size_t> queue;
    ResultStore *results = nullptr;
    std::shared_ptr<ScheduleLag> lag = std::make_shared<ScheduleLag>();
    std::mt19937_64 random{std::random_device{}()};
    std::uniform_real_distribution<double> unit{0.0, 1.0};
    bool stopping = false;
    /// Slots whose run is inside a plugin, stuck ones included: the only ones
    /// with a deadline to watch (few, unlike the slots).
    std::vector<std::size_t> running;
    unsigned workers = 0; ///< live worker threads, stuck ones included
    /// Worker threads not yet joined, by number; the numbers of those that have left
    /// the pool wait in `exited` for someone to join them.
    std::map<std::uint64_t, std::thread> threads;
    std::vector<std::uint64_t> exited;
    std::uint64_t next_thread = 0;
};

namespace {

using State = Scheduler::State;

/// Call with the state's mutex held.
void wake_dispatcher_for(State &state, SteadyClock::time_point when) {
    if (when < state.dispatcher_wakes_at) state.dispatcher_wake.notify_one();
}

/// A dependency whose reported status is error, if any (a pending one is not failing).
std::optional<std::string> failing_dependency(const CheckDefinition &check,
                                              const ResultStore &results) {
    const auto now = std::chrono::system_clock::now();
    for (const auto &name : check.depends_on) {
        const auto dependency = results.find(name);
        if (dependency && dependency->last && judge(*dependency, now).status == Status::error)
            return name;
    }
    return std::nullopt;
}

/// One dead database shows as one root cause, not twenty alerts: checks that
/// depend on a failing one report a suppressed error instead of running.
CheckResult run_or_skip(Check &check, const ResultStore &results,
                        SteadyClock::time_point deadline) {
    if (const auto failing = failing_dependency(check.definition(), results)) {
        CheckResult skipped;
        skipped.status = Status::error;
        skipped.message = fmt::format("skipped: {} is failing", *failing);
        skipped.started = std::chrono::system_clock::now();
        skipped.suppressed = true;
        return skipped;
    }
    return check.run(deadline);
}

void worker_loop(std::shared_ptr<State> state, std::uint64_t number) {
    std::unique_lock lock{state->mutex};
    // Leaving the pool is announced under the lock, so stop() can wait for it.
    struct Leave {
        State &state;
        std::uint64_t number;
        ~Leave() {
            --state.workers;
            state.exited.push_back(number);
            state.runs_changed.notify_all();
        }
    } leave{*state, number};
    while (true) {
        state->work_ready.wait(lock, [&] { return state->stopping || !state->queue.empty(); });
        if (state->stopping) return;
        const std::size_t index = state->queue.front();
        state->queue.pop_front();
        State::Slot &slot = state->slots.at(index);
        slot.running = true;
        const auto started = SteadyClock::now();
        state->lag->record(started - slot.due, started);
        slot.deadline = started + slot.check->definition().timeout;
        slot.started_at = std::chrono::system_clock::now();
        state->running.push_back(index);
        wake_dispatcher_for(*state, slot.deadline); // a deadline to watch
        const std::shared_ptr<Check> check = slot.check;
        const auto deadline = slot.deadline;

        lock.unlock();
        CheckResult result = run_or_skip(*check, *state->results, deadline);
        lock.lock();

        std::erase(state->running, index);
        slot.running = false;
        slot.in_flight = false;
        slot.deadline = SteadyClock::time_point::max();
        const bool replaced = slot.timed_out;
        if (slot.removed) {
            state->slots.erase(index); // a reload took it away while it ran: drop its result
        } else if (!state->stopping) {
            if (replaced)
                log(LogLevel::warning, "scheduler", "{}: late result after timeout dropped ({})",
                    check->name(), to_string(result.status));
            else
                state->results->record(check->name(), std::move(result));
            const Duration interval = check->definition().interval;
            const auto now = SteadyClock::now();
            const auto next = slot.spread ? RunPlan::next_due_after(slot.due, interval, now)
                                          : RunPlan::spread_due(slot.due, interval,
                                                                state->unit(state->random), now);
            slot.spread = true;
            state->plan.add(index, next);
            wake_dispatcher_for(*state, next);
        }
        state->runs_changed.notify_all();
        if (replaced) return; // a new worker already took this thread's place
    }
}

/// The threads that have left the pool, out of `threads`, to be joined. They are past
/// their last use of the mutex, so joining them with it held cannot deadlock.
/// Call with the state's mutex held.
std::vector<std::thread> take_exited(State &state) {
    std::vector<std::thread> exited;
    for (const auto number : state.exited)
        if (auto node = state.threads.extract(number); !node.empty())
            exited.push_back(std::move(node.mapped()));
    state.exited.clear();
    return exited;
}

/// Call with the state's mutex held.
void spawn_worker(const std::shared_ptr<State> &state) {
    // A worker replaced after a timeout leaves when its plugin call returns: join it
    // here, so such threads do not pile up unjoined.
    for (auto &thread : take_exited(*state))
        thread.join();
    ++state->workers;
    // Each worker owns a reference to the state, so nothing it touches goes away
    // under it, even when stop() has to leave it stuck in a plugin.
    const auto number = state->next_thread++;
    state->threads.emplace(number, std::thread{worker_loop, state, number});
}

void record_timeout(State &state, State::Slot &slot) {
    slot.timed_out = true;
    CheckResult result;
    result.status = Status::error;
    result.message =
        fmt::format("timed out after {}", format_duration(slot.check->definition().timeout));
    result.duration = slot.check->definition().timeout;
    result.started = slot.started_at;
    log(LogLevel::warning, "scheduler", "{}: {}", slot.check->name(), result.message);
    state.results->record(slot.check->name(), std::move(result));
}

void dispatch_loop(std::shared_ptr<State> state) {
    std::unique_lock lock{state->mutex};
    while (!state->stopping) {
        const auto now = SteadyClock::now();
        for (const auto &[index, due] : state->plan.take_due(now)) {
            const auto found = state->slots.find(index);
            if (found == state->slots.end()) continue; // removed by a reload
            State::Slot &slot = found->second;
            slot.due = due;
            slot.in_flight = true;
            slot.timed_out = false;
            state->queue.push_back(index);
            state->work_ready.notify_one();
        }
        auto wake = state->plan.next_due().value_or(SteadyClock::time_point::max());
        for (const std::size_t id : state->running) {
            State::Slot &slot = state->slots.at(id);
            if (slot.timed_out || slot.removed) continue;
            if (slot.deadline <= now) {
                record_timeout(*state, slot);
                spawn_worker(state);
            } else {
                wake = std::min(wake, slot.deadline);
            }
        }
        state->dispatcher_wakes_at = wake;
        if (wake == SteadyClock::time_point::max())
            state->dispatcher_wake.wait(lock);
        else
            state->dispatcher_wake.wait_until(lock, wake);
        // Awake, it rescans everything: until it waits again, nobody need wake it.
        state->dispatcher_wakes_at = SteadyClock::time_point::min();
    }
}

} // namespace

namespace {

/// Call with the state's mutex held. The first run comes after a random
/// splay, so checks loaded together do not all fire at once.
void add_locked(State &state, std::shared_ptr<Check> check, Duration max_splay) {
    const Duration limit = std::min(max_splay, check->definition().interval);
    std::uniform_int_distribution<Duration::rep> splay{0, limit.count()};
    const std::size_t id = state.next_id++;
    state.plan.add(id, SteadyClock::now() + Duration{splay(state.random)});
    state.slots.emplace(id, State::Slot{std::move(check)});
}

} // namespace

Scheduler::Scheduler(std::vector<std::shared_ptr<Check>> checks, ResultStore &results,
                     Options options)
    : state_(std::make_shared<State>()), initial_(std::move(checks)), options_(options) {
    state_->results = &results;
}

Scheduler::~Scheduler() {
    stop();
}

void Scheduler::start() {
    {
        const std::lock_guard lock{state_->mutex};
        for (auto &check : initial_)
            add_locked(*state_, std::move(check), options_.max_splay);
        initial_.clear();
        for (unsigned i = 0; i < options_.workers; ++i)
            spawn_worker(state_);
    }
    dispatcher_ = std::thread{dispatch_loop, state_};
}

void Scheduler::add(std::shared_ptr<Check> check) {
    {
        const std::lock_guard lock{state_->mutex};
        add_locked(*state_, std::move(check), options_.max_splay);
    }
    state_->dispatcher_wake.notify_one();
}

void Scheduler::remove(const std::string &name) {
    const std::lock_guard lock{state_->mutex};
    for (auto it = state_->slots.begin(); it != state_->slots.end(); ++it) {
        State::Slot &slot = it->second;
        if (slot.removed || slot.check->name() != name) continue;
        if (slot.in_flight) {
            slot.removed = true; // its worker erases it when the run returns
        } else {
            state_->slots.erase(it); // its plan entry is skipped when due
        }
        return;
    }
}

std::shared_ptr<const ScheduleLag> Scheduler::lag() const {
    return state_->lag;
}

void Scheduler::stop(Duration grace) {
    {
        const std::lock_guard lock{state_->mutex};
        if (state_->stopping) return;
        state_->stopping = true;
    }
    state_->work_ready.notify_all();
    state_->dispatcher_wake.notify_all();
    if (dispatcher_.joinable()) dispatcher_.join();
    std::unique_lock lock{state_->mutex};
    if (!state_->runs_changed.wait_for(lock, grace, [&] { return state_->workers == 0; }))
        log(LogLevel::warning, "scheduler", "{} run(s) still going after {}; abandoned",
            state_->running.size(), format_duration(grace));
    auto exited = take_exited(*state_);
    // Stuck in a plugin past the grace period: they must not hold up shutdown.
    for (auto &[number, thread] : state_->threads)
        thread.detach();
    state_->threads.clear();
    lock.unlock();
    // Joined, not only counted out of the pool: a thread that has left it may still be
    // running its thread-exit cleanup (OpenSSL frees its per-thread state there), and
    // that must be over before the process exits.
    for (auto &thread : exited)
        thread.join();
}

} // namespace vitals
