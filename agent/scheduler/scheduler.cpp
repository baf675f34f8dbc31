// SPDX-License-Identifier: MIT
#include "scheduler/scheduler.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <system_error>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/log.hpp"
#include "scheduler/run_plan.hpp"

// How it works. No dispatcher thread: the idle workers themselves keep watch. Each
// sleeps until a different one of the earliest due times (or deadlines of runs in
// plugins), and the one that wakes runs that check itself. A run so costs one wake-up,
// not two (a dispatcher's, then a worker's), and nobody has to hand anything over; and
// while one worker is inside a slow plugin, the others still wake for what comes next.
// Checks spread on a grid share due times, and the worker that wakes for one runs the
// quick ones due with it back to back: fewer wake-ups than runs (bench/, scenario 4).
//
// What holds whenever nobody holds State::mutex:
//  1. The mutex guards all of State. Every function below that takes a State runs with
//     it held; only worker_loop lets go of it, around a plugin call, and the clock's
//     waits (keep_watch, Scheduler::stop). After either, nothing read before is trusted.
//  2. A used slot is in exactly one place: in its plan (probe_plan if `probe`, else
//     plan), once; in flight (in `running`, its worker in the plugin); or `waiting` for
//     the run of the check it replaces, whose name is in `retiring`. So a check never
//     overlaps itself. A `removed` slot has let go of its check and stays where it is
//     until its plan entry comes up or its run returns; then it is freed (in
//     `free_slots`), the only time a slot is reused, as plans and runs name slots by index.
//  3. Each run in flight holds one place: busy <= limit counts those outside the
//     reserve, reserve_busy <= reserve those on it (`on_reserve`; probe checks only).
//  4. Every worker is in exactly one state: in a run; asleep in keep_watch, its Watch in
//     `watching`; or arriving, counted in `arriving` (new, or recalled from watching and
//     not back yet). workers <= limit + reserve + 1, so with every place taken one is
//     left to watch the deadlines.
//  5. The idle workers watch the earliest of the times someone must be awake at (due
//     times of plans with a free place, deadlines of runs not yet timed out), each a
//     different one, arriving workers taking the earliest left over; whoever brings a
//     time forward calls share_watch to keep it so.
//  6. A run past its deadline is recorded as timed out at once (`timed_out`); its late
//     result is dropped. Once `stopping`, nothing starts and nothing more is recorded.
//  7. `threads` holds every worker not yet joined; `exited` names those that have left
//     the pool, past their last use of the mutex.

namespace vitals {

using TimePoint = Clock::TimePoint;

struct Scheduler::State {
    struct Slot {
        std::shared_ptr<Check> check;
        TimePoint due{};
        TimePoint deadline = TimePoint::max();
        Clock::SystemTime started_at{};
        bool in_flight = false;  ///< running; not in the plan
        bool timed_out = false;  ///< recorded as timed out; its late result will be dropped
        bool removed = false;    ///< gone from the configuration; freed once idle
        bool spread = false;     ///< past its first run: on its own phase of the interval
        bool probe = false;      ///< in a probe group: planned in probe_plan, may use the reserve
        bool on_reserve = false; ///< its run holds a place of the probe reserve
        /// A reload's replacement for a check whose run is still in flight: planned once
        /// that run returns, so the two never overlap.
        bool waiting = false;
        Duration last_run = Duration::max(); ///< how long its last run took; max: unknown
        TimePoint run_start{};               ///< of the run in flight, for the warning
    };
    /// An idle worker keeping watch: asleep until `until` (max: until recalled).
    struct Watch {
        TimePoint until = TimePoint::max();
        std::condition_variable wake;
        bool recalled = false; ///< woken to watch something earlier; already off `watching`
    };

    std::shared_ptr<Clock> clock;
    std::mutex mutex;
    std::condition_variable runs_changed;
    // A deque, not a vector: its elements stay put while checks are added, so a
    // worker may hold a Slot& across an unlocked run.
    std::deque<Slot> slots;
    std::vector<std::size_t> free_slots;
    /// Names of checks a reload removed while their run was in flight: a replacement
    /// of one waits until that run returns.
    std::set<std::string, std::less<>> retiring;
    RunPlan plan;       ///< checks outside the probe groups
    RunPlan probe_plan; ///< checks in live, ready or startup
    RunRecorder *results = nullptr;
    std::shared_ptr<ScheduleLag> lag = std::make_shared<ScheduleLag>();
    std::mt19937_64 random;
    std::uniform_real_distribution<double> unit{0.0, 1.0};
    bool stopping = false;
    /// Slots whose run is inside a plugin, stuck ones included: the only ones
    /// with a deadline to watch (few, unlike the slots).
    std::vector<std::size_t> running;
    /// The idle workers, each asleep until a different one of the earliest due
    /// times and deadlines (see keep_watch).
    std::vector<Watch *> watching;
    /// Workers awake and about to keep watch: new threads and recalled watchers.
    std::size_t arriving = 0;
    /// Runs in flight, stuck ones included, holding one of `limit` places (`workers`),
    /// and those holding one of the probe reserve's `reserve` places.
    unsigned busy = 0;
    unsigned limit = 1;
    unsigned reserve_busy = 0;
    unsigned reserve = 0;
    unsigned max_threads = 2;
    unsigned kept_threads = 2; ///< the pool shrinks back to this many once runs are quick
    std::shared_ptr<SchedulerLoad> load;
    /// Runs that waited for a place since the last warning, and when that was.
    std::uint64_t unreported_waits = 0;
    std::optional<TimePoint> last_warning;
    std::vector<TimePoint> times; ///< scratch for unwatched(), kept to reuse
    unsigned workers = 0;         ///< live worker threads, stuck ones included
    /// Worker threads not yet joined, by number; the numbers of those that have left
    /// the pool wait in `exited` for someone to join them.
    std::map<std::uint64_t, std::thread> threads;
    std::vector<std::uint64_t> exited;
    std::uint64_t next_thread = 0;
};

namespace {

using State = Scheduler::State;

/// A run this short lets the rest of its batch wait for it (see start_run).
constexpr Duration quick_run = std::chrono::microseconds{200};
/// How soon another worker must wake anyway for this one to keep a batch.
constexpr Duration batch_grace = std::chrono::milliseconds{5};
/// How often at most the pool's limit is reported in the log.
constexpr Duration warning_interval = std::chrono::minutes{1};
/// How many of the longest runs that warning names.
constexpr std::size_t runs_named = 5;

/// Whether a run of a check in (`probe`) or outside the probe groups may start now.
bool can_start(const State &state, bool probe) {
    return state.busy < state.limit || (probe && state.reserve_busy < state.reserve);
}

RunPlan &plan_of(State &state, const State::Slot &slot) {
    return slot.probe ? state.probe_plan : state.plan;
}

/// After the pool's counts changed.
void publish_load(const State &state) {
    state.load->set_running(state.busy, state.reserve_busy);
    state.load->set_threads(state.workers);
}

/// The earliest time someone must be awake at that no idle worker watches, passing
/// over the first `skip` such times (arriving workers will take them), if any.
/// Due times count only while a run of their plan may start, and not those up to
/// `kept` (the caller runs them). Deadlines always count.
std::optional<TimePoint> unwatched(State &state, std::size_t skip,
                                   TimePoint kept = TimePoint::min()) {
    auto &times = state.times;
    times.clear();
    // The answer is among the first watching + skip + 1 due times after `kept` of
    // either plan, or a deadline.
    const std::size_t wanted = state.watching.size() + skip + 1;
    if (can_start(state, false)) state.plan.earliest(wanted, times, kept);
    if (can_start(state, true)) state.probe_plan.earliest(wanted, times, kept);
    for (const std::size_t id : state.running) {
        const State::Slot &slot = state.slots[id];
        if (!slot.timed_out && !slot.removed) times.push_back(slot.deadline);
    }
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
    for (const TimePoint time : times) {
        if (std::any_of(state.watching.begin(), state.watching.end(),
                        [&](const State::Watch *watch) { return watch->until == time; }))
            continue;
        if (skip == 0) return time;
        --skip;
    }
    return std::nullopt;
}

/// After anything that may leave an early time unwatched (a new check, a run's
/// deadline, a watcher turning to a run): recalls the idle worker watching the latest
/// time, or none, so it watches the earlier one. Due times up to `kept` are the
/// caller's to run.
void share_watch(State &state, TimePoint kept = TimePoint::min()) {
    const auto gap = unwatched(state, state.arriving, kept);
    if (!gap) return;
    const auto latest = std::max_element(
        state.watching.begin(), state.watching.end(),
        [](const State::Watch *a, const State::Watch *b) { return a->until < b->until; });
    if (latest == state.watching.end() || (*latest)->until <= *gap) return;
    State::Watch &watch = **latest;
    state.watching.erase(latest);
    watch.recalled = true;
    ++state.arriving;
    state.clock->notify_one(watch.wake);
}

/// Whether an idle worker the pool grew for slow runs may leave it: only while another
/// idle one watches a time no later than the earliest one left unwatched (arriving
/// workers aside). That one wakes first and, turning to a run, recalls or grows the
/// pool to cover what comes next.
bool may_leave(State &state) {
    if (state.workers <= state.kept_threads || state.watching.empty()) return false;
    const auto gap = unwatched(state, state.arriving);
    return !gap || std::any_of(state.watching.begin(), state.watching.end(),
                               [&](const State::Watch *watch) { return watch->until <= *gap; });
}

/// Sleeps until the earliest time nobody else watches, or until recalled; then the
/// caller looks for work again.
void keep_watch(State &state, std::unique_lock<std::mutex> &lock, State::Watch &watch) {
    watch.until = unwatched(state, state.arriving).value_or(TimePoint::max());
    state.watching.push_back(&watch);
    state.clock->wait_until(watch.wake, lock, watch.until);
    if (watch.recalled) {
        watch.recalled = false;
        --state.arriving;
    } else {
        std::erase(state.watching, &watch);
    }
}

/// A dependency whose reported status is error, if any (a pending one is not failing).
/// Called unlocked.
std::optional<std::string> failing_dependency(const CheckDefinition &check,
                                              const RunRecorder &results, Clock::SystemTime now) {
    for (const auto &name : check.depends_on)
        if (results.reported_status(name, now) == Status::error) return name;
    return std::nullopt;
}

/// One dead database shows as one root cause, not twenty alerts: checks that
/// depend on a failing one report a suppressed error instead of running. Called unlocked.
CheckResult run_or_skip(Check &check, const RunRecorder &results, TimePoint deadline,
                        const Clock &clock) {
    const auto now = clock.system_now();
    if (const auto failing = failing_dependency(check.definition(), results, now)) {
        CheckResult skipped;
        skipped.status = Status::error;
        skipped.message = fmt::format("skipped: {} is failing", *failing);
        skipped.started = now;
        skipped.suppressed = true;
        return skipped;
    }
    return check.run(deadline);
}

/// Once nothing refers to the slot: neither a plan nor a run.
void free_slot(State &state, std::size_t index) {
    state.slots[index] = State::Slot{};
    state.slots[index].removed = true;
    state.free_slots.push_back(index);
}

/// The index of the check to start now, if one is due and may start: checks in the
/// probe groups first, as they may use the reserve (checks a reload removed are
/// passed over).
std::optional<std::size_t> take_due(State &state, TimePoint now) {
    for (const bool probe : {true, false}) {
        if (!can_start(state, probe)) continue;
        RunPlan &plan = probe ? state.probe_plan : state.plan;
        while (const auto due = plan.take_due(now)) {
            State::Slot &slot = state.slots[due->check];
            if (slot.removed) {
                free_slot(state, due->check); // removed by a reload while it waited
                continue;
            }
            slot.due = due->due;
            return due->check;
        }
    }
    return std::nullopt;
}

/// Takes on a check: its first run comes after a random splay (up to `max_splay`, and
/// never past its interval), so checks loaded together do not all fire at once.
void add_check(State &state, std::shared_ptr<Check> check, Duration max_splay) {
    const Duration interval = check->definition().interval;
    std::uniform_int_distribution<Duration::rep> splay{0, std::min(max_splay, interval).count()};
    const TimePoint first = state.clock->now() + Duration{splay(state.random)};
    std::size_t id = state.slots.size();
    if (state.free_slots.empty()) {
        state.slots.emplace_back();
    } else {
        id = state.free_slots.back();
        state.free_slots.pop_back();
    }
    State::Slot &slot = state.slots[id];
    slot = State::Slot{std::move(check)};
    slot.probe = in_probe_group(slot.check->definition());
    // A replacement of a check whose run is still in flight waits for that run to
    // return (release_successor plans it then): the two never overlap.
    slot.waiting = state.retiring.contains(slot.check->name());
    if (!slot.waiting) plan_of(state, slot).add(id, RunPlan::on_grid(first, interval));
}

/// After the run of a removed check returned: its replacement, if a reload made one,
/// runs now.
void release_successor(State &state, const std::string &name, TimePoint now) {
    for (std::size_t id = 0; id < state.slots.size(); ++id) {
        State::Slot &slot = state.slots[id];
        if (!slot.waiting || slot.removed || slot.check->name() != name) continue;
        slot.waiting = false;
        plan_of(state, slot).add(id, RunPlan::on_grid(now, slot.check->definition().interval));
        share_watch(state);
        return;
    }
}

/// "a (12.3s), b (2.9s)": the runs in flight longest, those that hold the places.
std::string longest_runs(const State &state, TimePoint now) {
    std::vector<const State::Slot *> runs;
    for (const std::size_t id : state.running)
        if (state.slots[id].check) runs.push_back(&state.slots[id]);
    const auto shown = std::min(runs.size(), runs_named);
    std::partial_sort(runs.begin(), runs.begin() + static_cast<std::ptrdiff_t>(shown), runs.end(),
                      [](const auto *a, const auto *b) { return a->run_start < b->run_start; });
    std::vector<std::string> names;
    for (std::size_t i = 0; i < shown; ++i)
        names.push_back(fmt::format("{} ({})", runs[i]->check->name(),
                                    format_duration(now - runs[i]->run_start)));
    return fmt::format("{}", fmt::join(names, ", "));
}

/// When a run gave back a place of a lane that was full: if a check is overdue that
/// could have used it, it waited for a place. Counts it, and says so in the log once a
/// minute at most.
void note_wait(State &state, bool reserve_lane, TimePoint now) {
    const auto overdue = [&](const RunPlan &plan) {
        const auto next = plan.next_due();
        return next && *next <= now;
    };
    if (!overdue(state.probe_plan) && (reserve_lane || !overdue(state.plan))) return;
    state.load->count_wait();
    ++state.unreported_waits;
    if (state.last_warning && now - *state.last_warning < warning_interval) return;
    const std::string longest = longest_runs(state, now);
    log(LogLevel::warning, "scheduler",
        "all {} places for runs are taken ({} more for probe checks): {} run(s) waited for one "
        "since the last warning{}. Raise `workers` in agent.toml, or shorten or isolate the "
        "slow checks",
        state.limit, state.reserve, state.unreported_waits,
        longest.empty() ? "" : "; the longest runs: " + longest);
    state.unreported_waits = 0;
    state.last_warning = now;
}

void spawn_worker(const std::shared_ptr<State> &state);

/// Marks a due check as in flight on the calling worker, which runs it next with the
/// lock let go, and returns its deadline.
TimePoint start_run(const std::shared_ptr<State> &shared, std::size_t index) {
    State &state = *shared;
    State::Slot &slot = state.slots[index];
    slot.in_flight = true;
    slot.timed_out = false;
    // A probe check takes a place of the reserve first, leaving the shared places to
    // the others.
    slot.on_reserve = slot.probe && state.reserve_busy < state.reserve;
    ++(slot.on_reserve ? state.reserve_busy : state.busy);
    publish_load(state);
    const auto started = state.clock->now();
    state.lag->record(started - slot.due, started);
    slot.run_start = started;
    slot.deadline = started + slot.check->definition().timeout;
    slot.started_at = state.clock->system_now();
    state.running.push_back(index);
    // Whoever wakes next must not wait for this run: with no idle worker left, the
    // pool grows one (up to its limit), which watches what comes next.
    if (state.watching.empty() && state.arriving == 0 && state.workers < state.max_threads)
        spawn_worker(shared);
    // This worker watches nothing while it runs. Checks due with this one (on the
    // same step of the grid) wait for it and run next on this worker, one wake-up
    // for the lot, if it has been quick, and if another worker wakes soon anyway to
    // take them over should it turn out slow this time. Else a watcher is recalled
    // to start them now.
    const bool keep_batch =
        slot.last_run <= quick_run &&
        std::any_of(state.watching.begin(), state.watching.end(), [&](const State::Watch *watch) {
            return watch->until <= started + batch_grace;
        });
    share_watch(state, keep_batch ? started : TimePoint::min());
    return slot.deadline;
}

/// Once the run started by start_run returned: records its result (unless it timed
/// out, or the check was removed meanwhile) and plans the check's next run.
void finish_run(State &state, std::size_t index, const Check &check, CheckResult result) {
    State::Slot &slot = state.slots[index];
    const auto now = state.clock->now();
    slot.last_run = now - slot.run_start;
    std::erase(state.running, index);
    slot.in_flight = false;
    slot.deadline = TimePoint::max();
    const bool reserve_lane = slot.on_reserve;
    const bool lane_was_full =
        reserve_lane ? state.reserve_busy == state.reserve : state.busy == state.limit;
    --(reserve_lane ? state.reserve_busy : state.busy);
    slot.on_reserve = false;
    publish_load(state);
    if (slot.removed) {
        // A reload took it away while it ran: drop its result, and let a replacement go.
        free_slot(state, index);
        if (state.retiring.erase(check.name()) > 0) release_successor(state, check.name(), now);
    } else if (!state.stopping) {
        if (slot.timed_out)
            log(LogLevel::warning, "scheduler", "{}: late result after timeout dropped ({})",
                check.name(), to_string(result.status));
        else
            state.results->record(check.name(), std::move(result));
        const Duration interval = check.definition().interval;
        const auto next =
            slot.spread ? RunPlan::next_due_after(slot.due, interval, now)
                        : RunPlan::spread_due(slot.due, interval, state.unit(state.random), now);
        slot.spread = true;
        plan_of(state, slot).add(index, next);
    }
    if (lane_was_full && !state.stopping) note_wait(state, reserve_lane, now);
}

/// The threads that have left the pool, out of `threads`, to be joined. They are past
/// their last use of the mutex, so joining them with it held cannot deadlock.
std::vector<std::thread> take_exited(State &state) {
    std::vector<std::thread> exited;
    for (const auto number : state.exited)
        if (auto node = state.threads.extract(number); !node.empty())
            exited.push_back(std::move(node.mapped()));
    state.exited.clear();
    return exited;
}

void worker_loop(std::shared_ptr<State> state, std::uint64_t number);

void spawn_worker(const std::shared_ptr<State> &state) {
    // Threads that left the pool are joined here, so they do not pile up unjoined.
    for (auto &thread : take_exited(*state))
        thread.join();
    // Each worker owns a reference to the state, so nothing it touches goes away
    // under it, even when stop() has to leave it stuck in a plugin.
    const auto number = state->next_thread;
    try {
        state->threads.emplace(number, std::thread{worker_loop, state, number});
    } catch (const std::system_error &e) {
        // Out of threads (RLIMIT_NPROC, memory): the pool carries on with what it has.
        log(LogLevel::error, "scheduler", "cannot start a worker thread: {}", e.what());
        return;
    }
    ++state->next_thread;
    ++state->workers;
    ++state->arriving; // until it keeps watch
    publish_load(*state);
}

/// Records every run past its deadline as timed out. Its thread stays in the plugin,
/// holding its place, until the call returns.
void enforce_timeouts(State &state, TimePoint now) {
    for (const std::size_t id : state.running) {
        State::Slot &slot = state.slots[id];
        if (slot.timed_out || slot.removed || slot.deadline > now) continue;
        slot.timed_out = true;
        const Duration timeout = slot.check->definition().timeout;
        CheckResult result;
        result.status = Status::error;
        result.message = fmt::format("timed out after {}", format_duration(timeout));
        result.duration = timeout;
        result.started = slot.started_at;
        log(LogLevel::warning, "scheduler", "{}: {}", slot.check->name(), result.message);
        state.results->record(slot.check->name(), std::move(result));
    }
}

void worker_loop(std::shared_ptr<State> shared, std::uint64_t number) {
    State &state = *shared;
    std::unique_lock lock{state.mutex};
    // Leaving the pool is announced under the lock, so stop() can wait for it.
    struct Leave {
        State &state;
        std::uint64_t number;
        ~Leave() {
            --state.workers;
            state.exited.push_back(number);
            publish_load(state);
            state.clock->notify_all(state.runs_changed);
        }
    } leave{state, number};
    --state.arriving;
    State::Watch watch;
    while (!state.stopping) {
        const auto now = state.clock->now();
        enforce_timeouts(state, now);
        // Whatever is due is run by whoever is awake: the worker that watched
        // for it, or one just back from a run.
        if (const auto due = take_due(state, now)) {
            const TimePoint deadline = start_run(shared, *due);
            // The slot may lose its check to remove() while the lock is let go.
            const std::shared_ptr<Check> check = state.slots[*due].check;
            lock.unlock();
            CheckResult result = run_or_skip(*check, *state.results, deadline, *state.clock);
            lock.lock();
            finish_run(state, *due, *check, std::move(result));
            continue;
        }
        if (may_leave(state)) return;
        keep_watch(state, lock, watch);
    }
}

} // namespace

Scheduler::Scheduler(std::vector<std::shared_ptr<Check>> checks, RunRecorder &results,
                     Options options)
    : state_(std::make_shared<State>()), initial_(std::move(checks)), options_(options) {
    state_->clock = options_.clock ? options_.clock : real_clock();
    state_->random.seed(options_.seed ? *options_.seed : std::random_device{}());
    state_->results = &results;
    state_->limit = std::max(options_.workers, 1U);
    state_->reserve = options_.probe_reserve;
    state_->max_threads = state_->limit + state_->reserve + 1;
    // One more than may run at once: that one keeps watch over the deadlines. More
    // come when runs are slow (see start_run).
    state_->kept_threads = std::min(state_->limit, base_threads) + 1;
    state_->load = std::make_shared<SchedulerLoad>(state_->limit, state_->reserve);
}

Scheduler::~Scheduler() {
    stop();
}

void Scheduler::start() {
    const std::lock_guard lock{state_->mutex};
    for (auto &check : initial_)
        add_check(*state_, std::move(check), options_.max_splay);
    initial_.clear();
    for (unsigned i = 0; i < state_->kept_threads; ++i)
        spawn_worker(state_);
}

void Scheduler::add(std::shared_ptr<Check> check) {
    const std::lock_guard lock{state_->mutex};
    add_check(*state_, std::move(check), options_.max_splay);
    share_watch(*state_);
}

void Scheduler::remove(const std::string &name) {
    const std::lock_guard lock{state_->mutex};
    for (std::size_t id = 0; id < state_->slots.size(); ++id) {
        State::Slot &slot = state_->slots[id];
        if (slot.removed || slot.check->name() != name) continue;
        slot.removed = true;
        if (slot.waiting) {
            free_slot(*state_, id); // a replacement that never ran: in no plan, no run
            return;
        }
        if (slot.in_flight) state_->retiring.insert(name);
        // Freed when its run returns or its plan entry comes up; the check itself goes now.
        slot.check.reset();
        return;
    }
}

std::shared_ptr<const ScheduleLag> Scheduler::lag() const {
    return state_->lag;
}

std::shared_ptr<const SchedulerLoad> Scheduler::load() const {
    return state_->load;
}

void Scheduler::stop(Duration grace) {
    State &state = *state_;
    std::unique_lock lock{state.mutex};
    if (state.stopping) return;
    state.stopping = true;
    // Under the lock: a watcher's condition variable lives only while it watches.
    for (State::Watch *watch : state.watching)
        state.clock->notify_one(watch->wake);
    const TimePoint give_up = state.clock->now() + grace;
    while (state.workers > 0 && state.clock->now() < give_up)
        state.clock->wait_until(state.runs_changed, lock, give_up);
    if (state.workers > 0)
        log(LogLevel::warning, "scheduler", "{} run(s) still going after {}; abandoned",
            state.running.size(), format_duration(grace));
    auto exited = take_exited(state);
    // Stuck in a plugin past the grace period: they must not hold up shutdown.
    for (auto &[number, thread] : state.threads)
        thread.detach();
    state.threads.clear();
    lock.unlock();
    // Joined, not only counted out of the pool: a thread that has left it may still be
    // running its thread-exit cleanup (OpenSSL frees its per-thread state there), and
    // that must be over before the process exits.
    for (auto &thread : exited)
        thread.join();
}

} // namespace vitals
