// Scheduler: cadence, timeouts, no overlap, no starvation. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>

#include "scheduler/run_plan.hpp"
#include "scheduler/schedule_lag.hpp"
#include "scheduler/scheduler.hpp"
#include "support/check_fixture.hpp"
#include "support/sanitizer_build.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;

namespace {

using TimePoint = RunPlan::TimePoint;
const TimePoint t0{};

double metric(const CheckState &state, const std::string &name) {
    for (const auto &m : state.last->metrics)
        if (m.name == name) return m.value;
    FAIL("no metric ", name);
    return 0;
}

/// `count` sleepy checks named prefix0, prefix1, ... with the same settings.
std::vector<std::shared_ptr<Check>> numbered_checks(const std::string &prefix, int count,
                                                    std::string_view params, Duration interval,
                                                    Duration timeout) {
    std::vector<std::shared_ptr<Check>> checks;
    for (int i = 0; i < count; ++i)
        checks.push_back(make_check(
            definition(prefix + std::to_string(i), "sleepy", params, interval, timeout)));
    return checks;
}

/// Polls until `done` holds or `limit` passes; returns whether it held.
template <class Predicate> bool eventually(Predicate done, std::chrono::milliseconds limit = 5s) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < give_up) {
        if (done()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return done();
}

struct Running {
    std::vector<std::shared_ptr<Check>> checks;
    ResultStore store;
    Scheduler scheduler;

    Running(std::vector<std::shared_ptr<Check>> list, unsigned workers)
        : checks(std::move(list)), store(infos(checks)),
          scheduler(checks, store, {.workers = workers, .max_splay = 0ms}) {
        scheduler.start();
    }
    ~Running() { scheduler.stop(10s); }

    static std::vector<CheckInfo> infos(const std::vector<std::shared_ptr<Check>> &checks) {
        std::vector<CheckInfo> result;
        for (const auto &check : checks)
            result.push_back(check->info());
        return result;
    }
    CheckState state(const std::string &name) const { return *store.find(name); }
    std::uint64_t runs(const std::string &name) const {
        const auto s = store.find(name);
        return s && s->last ? static_cast<std::uint64_t>(metric(*s, "runs")) : 0;
    }
};

} // namespace

TEST_CASE("scheduler run plan: earliest due first, only what is due") {
    RunPlan plan;
    plan.add(0, t0 + 30ms);
    plan.add(1, t0 + 10ms);
    plan.add(2, t0 + 20ms);
    CHECK(plan.next_due() == t0 + 10ms);
    const auto first = plan.take_due(t0 + 20ms);
    REQUIRE(first);
    CHECK(first->check == 1);
    const auto second = plan.take_due(t0 + 20ms);
    REQUIRE(second);
    CHECK(second->check == 2);
    CHECK(second->due == t0 + 20ms);
    CHECK_FALSE(plan.take_due(t0 + 20ms));
    CHECK(plan.next_due() == t0 + 30ms);
    CHECK_FALSE(plan.take_due(t0 + 29ms));
    CHECK(plan.size() == 1);
}

TEST_CASE("scheduler run plan: the earliest distinct due times, for the idle workers to watch") {
    RunPlan plan;
    plan.add(0, t0 + 20ms);
    plan.add(1, t0 + 10ms);
    plan.add(2, t0 + 20ms); // shares a time: one watcher covers both
    plan.add(3, t0 + 40ms);
    plan.add(4, t0 + 30ms);
    std::vector<TimePoint> times{t0}; // appended to, not replaced
    plan.earliest(3, times);
    CHECK(times == std::vector<TimePoint>{t0, t0 + 10ms, t0 + 20ms, t0 + 30ms});
    times.clear();
    plan.earliest(10, times);
    CHECK(times.size() == 4);
    times.clear();
    plan.earliest(2, times, t0 + 20ms); // only after a time (the caller runs those)
    CHECK(times == std::vector<TimePoint>{t0 + 30ms, t0 + 40ms});
}

TEST_CASE("scheduler run plan: a check taken and added again, run after run") {
    // Taken entries' nodes are reused by the next add (no allocation per run):
    // order and contents must come out as with fresh ones.
    RunPlan plan;
    for (std::size_t check = 0; check < 3; ++check)
        plan.add(check, t0 + std::chrono::milliseconds{check});
    auto now = t0 - 5ms; // rounds look at 5, 15 and 25 ms
    std::vector<std::size_t> order;
    for (int round = 0; round < 3; ++round) {
        now += 10ms;
        while (const auto due = plan.take_due(now)) {
            order.push_back(due->check);
            plan.add(due->check, due->due + 10ms);
        }
    }
    CHECK(order == std::vector<std::size_t>{0, 1, 2, 0, 1, 2, 0, 1, 2});
    CHECK(plan.size() == 3);
    CHECK(plan.next_due() == t0 + 30ms);
}

TEST_CASE("scheduler run plan: steady cadence, and no catch-up burst after a slow run") {
    // A quick run keeps the grid: due at 0, interval 10 → next at 10 even if it ended at 3.
    CHECK(RunPlan::next_due_after(t0, 10ms, t0 + 3ms) == t0 + 10ms);
    // A run that overran several intervals is clamped to now, not replayed...
    CHECK(RunPlan::next_due_after(t0, 10ms, t0 + 55ms) == t0 + 55ms);
    // ... to the next step of its grid (4 ms for 10 s), so it still runs with others.
    CHECK(RunPlan::next_due_after(t0, 10s, t0 + 25001ms) == t0 + 25004ms);
}

TEST_CASE("scheduler runs each check every interval") {
    Running running{{make_check(definition("fast", "sleepy", "", 50ms, 1s)),
                     make_check(definition("slow", "sleepy", "", 400ms, 1s))},
                    2};
    std::this_thread::sleep_for(1100ms);
    const auto fast = running.runs("fast");
    const auto slow = running.runs("slow");
    // Expected about 22 and 3; bounds leave room for a loaded machine.
    CHECK(fast >= 8);
    CHECK(fast <= 24);
    CHECK(slow >= 2);
    CHECK(slow <= 4);
    CHECK(fast > 3 * slow);
}

TEST_CASE("scheduler records a run past its timeout as an error at the timeout") {
    Running running{{make_check(definition("hung", "sleepy", "sleep = \"2s\"", 100ms, 150ms))}, 2};
    const auto started = std::chrono::steady_clock::now();
    REQUIRE(eventually([&] { return running.state("hung").last.has_value(); }));
    const auto waited = std::chrono::steady_clock::now() - started;
    const auto state = running.state("hung");
    CHECK(state.last->status == Status::error);
    CHECK(state.last->message == "timed out after 150ms");
    CHECK(waited < 1500ms); // recorded at the timeout, not when the 2 s run ends
}

TEST_CASE("scheduler never overlaps a check with itself") {
    // Interval 10 ms, each run 60 ms, four idle workers: only serialisation
    // keeps a second run from starting while the first sleeps.
    Running running{{make_check(definition("busy", "sleepy", "sleep = \"60ms\"", 10ms, 1s))}, 4};
    REQUIRE(eventually([&] { return running.runs("busy") >= 6; }));
    CHECK(metric(running.state("busy"), "max_concurrency") == 1);
}

TEST_CASE("scheduler: a stuck run holds its place, and another thread runs the others") {
    // Two places: the stuck run keeps one (its thread is inside the plugin) and the
    // healthy check runs on the other.
    Running running{{make_check(definition("stuck", "sleepy", "sleep = \"3s\"", 50ms, 100ms)),
                     make_check(definition("healthy", "sleepy", "", 50ms, 1s))},
                    2};
    REQUIRE(eventually([&] { return running.state("stuck").last.has_value(); }, 2s));
    const auto before = running.runs("healthy");
    CHECK(eventually([&] { return running.runs("healthy") >= before + 5; }, 2s));
    CHECK(running.state("stuck").last->message == "timed out after 100ms");
    CHECK(running.scheduler.load()->snapshot().running == 1);
}

TEST_CASE("scheduler: slow runs never hold up a quick check: the pool grows, then shrinks") {
    // Twelve checks whose runs take a second each, well inside their timeout (a server
    // that answers late), and a quick one every 20 ms, with the default options. Each
    // slow run holds a thread: the quick check must not wait for one of them to return.
    auto checks = numbered_checks("slow", 12, "sleep = \"1s\"", 50ms, 2s);
    checks.push_back(make_check(definition("quick", "sleepy", "", 20ms, 1s)));
    ResultStore store{Running::infos(checks)};
    Scheduler scheduler{checks, store, {.max_splay = 0ms}};
    scheduler.start();
    const auto quick_runs = [&] {
        const auto state = store.find("quick");
        return state && state->last ? metric(*state, "runs") : 0.0;
    };
    std::this_thread::sleep_for(200ms); // every slow check is inside its first run
    const auto before = quick_runs();
    std::this_thread::sleep_for(600ms); // still inside it: no slow run has returned yet
    CHECK(store.find("slow0")->last == std::nullopt);
    // About 30 due; a pool of fixed size would have run none.
    CHECK(quick_runs() - before >= 10.0 / sanitizer_slowdown);
    const auto load = scheduler.load()->snapshot();
    CHECK(load.running >= 12);
    CHECK(load.threads >= 13);
    CHECK(load.threads <= load.limit + load.reserve + 1);
    // Once the slow checks are gone, the threads grown for them leave the pool.
    for (int i = 0; i < 12; ++i)
        scheduler.remove("slow" + std::to_string(i));
    CHECK(eventually([&] { return scheduler.load()->snapshot().threads <= 8; }, 5s));
    scheduler.stop(5s);
}

TEST_CASE("scheduler: at `workers` runs, due checks wait for a place and threads stay bounded") {
    // Six checks that hang past their timeout, two places and no probe reserve: the
    // stuck runs hold both places, and no thread is added for a third (a pool that
    // replaced each stuck thread would grow by two every 50 ms).
    auto checks = numbered_checks("hung", 6, "sleep = \"1500ms\"", 10ms, 50ms);
    ResultStore store{Running::infos(checks)};
    Scheduler scheduler{checks, store, {.workers = 2, .probe_reserve = 0, .max_splay = 0ms}};
    scheduler.start();
    unsigned most_threads = 0, most_running = 0;
    for (int i = 0; i < 40; ++i) {
        const auto load = scheduler.load()->snapshot();
        most_threads = std::max(most_threads, load.threads);
        most_running = std::max(most_running, load.running);
        std::this_thread::sleep_for(20ms);
    }
    CHECK(most_running == 2);
    CHECK(most_threads <= 3);
    const auto load = scheduler.load()->snapshot();
    CHECK(load.limit == 2);
    CHECK(load.reserve == 0);
    // Two ran and timed out; the other four are still waiting for a place.
    std::size_t ran = 0;
    for (int i = 0; i < 6; ++i)
        ran += store.find("hung" + std::to_string(i))->last.has_value() ? 1 : 0;
    CHECK(ran == 2);
    // The stuck runs return after 1.5 s; then two of the waiting four take their places.
    CHECK(eventually([&] { return scheduler.load()->snapshot().waits >= 2; }, 5s));
    scheduler.stop(5s);
}

TEST_CASE("scheduler: checks in a probe group keep their schedule while others take every place") {
    // Two places, both held by slow checks that are always overdue; a check in the
    // "live" group every 20 ms runs on the probe reserve, on time.
    auto checks = numbered_checks("slow", 6, "sleep = \"500ms\"", 10ms, 2s);
    auto live = definition("live_check", "sleepy", "", 20ms, 1s);
    live.groups = {"live"};
    checks.push_back(make_check(live));
    Running running{checks, 2};
    std::this_thread::sleep_for(300ms);
    const auto before = running.runs("live_check");
    std::this_thread::sleep_for(1s);
    // About 50 due; behind the slow ones it would run a handful at best.
    CHECK(running.runs("live_check") - before >= 25 / sanitizer_slowdown);
    const auto load = running.scheduler.load()->snapshot();
    CHECK(load.running == 2);
    CHECK(load.reserve_running <= 1);
    CHECK(load.waits > 0);
}

TEST_CASE("scheduler: a reload's replacement of a check waits for the old one's run to return") {
    // The old build's run is stuck past its timeout (600 ms of sleep, 100 ms timeout);
    // a reload replaces the check meanwhile. A check never overlaps itself: the new
    // one's first run starts only once the old run has returned.
    auto old_check = make_check(
        definition("swapped", "sleepy", "sleep = \"600ms\"\nmessage = \"old\"", 1h, 100ms));
    ResultStore store{{old_check->info()}};
    Scheduler scheduler{{old_check}, store, {.workers = 4, .max_splay = 0ms}};
    scheduler.start();
    REQUIRE(eventually([&] { return store.find("swapped")->last.has_value(); }, 2s));
    const auto old_run = *store.find("swapped")->last;
    REQUIRE(old_run.message == "timed out after 100ms");
    scheduler.remove("swapped");
    scheduler.add(make_check(definition("swapped", "sleepy", "message = \"new\"", 1h, 1s)));
    REQUIRE(eventually([&] { return store.find("swapped")->last->message == "new"; }, 3s));
    const auto new_run = *store.find("swapped")->last;
    CHECK(new_run.started - old_run.started >= 600ms);
    scheduler.stop(5s);
}

TEST_CASE("scheduler: a stuck check is not run again until its run returns") {
    Running running{{make_check(definition("stuck", "sleepy", "sleep = \"400ms\"", 20ms, 50ms))},
                    2};
    REQUIRE(eventually([&] { return running.state("stuck").last.has_value(); }, 2s));
    std::this_thread::sleep_for(1s);
    // At most ~3 runs fit in a second when each takes 400 ms; overlapping would allow dozens.
    const auto state = running.state("stuck");
    CHECK(state.last->status == Status::error);
    CHECK(state.consecutive <= 3);
}

TEST_CASE("scheduler: stop waits for runs in flight") {
    auto check = make_check(definition("slowstop", "sleepy", "sleep = \"200ms\"", 10ms, 1s));
    ResultStore store{{check->info()}};
    Scheduler scheduler{{check}, store, {.workers = 1, .max_splay = 0ms}};
    scheduler.start();
    std::this_thread::sleep_for(50ms); // the first run is now sleeping
    const auto before = std::chrono::steady_clock::now();
    scheduler.stop(5s);
    const auto waited = std::chrono::steady_clock::now() - before;
    CHECK(waited >= 100ms);
    CHECK(waited < 2s);
}

TEST_CASE("schedule lag: a histogram with cumulative buckets, sum and count") {
    ScheduleLag lag;
    const ScheduleLag::TimePoint now{std::chrono::hours{1}};
    for (const Duration sample : std::initializer_list<Duration>{50us, 800us, 1ms, 4ms, 30ms, 20s})
        lag.record(sample, now);
    lag.record(-3ms, now); // an early start counts as no lag
    const auto snapshot = lag.snapshot(now);
    const auto at = [&](double bound) {
        const auto it = std::find(ScheduleLag::bounds.begin(), ScheduleLag::bounds.end(), bound);
        REQUIRE(it != ScheduleLag::bounds.end());
        return snapshot.cumulative[static_cast<std::size_t>(it - ScheduleLag::bounds.begin())];
    };
    CHECK(at(0.0001) == 2); // -3 ms (as 0) and 50 µs
    CHECK(at(0.001) == 4);  // a bound is inclusive: 1 ms is in le="0.001"
    CHECK(at(0.005) == 5);
    CHECK(at(0.05) == 6);
    CHECK(at(10) == 6); // 20 s lies beyond every bound: only in +Inf, that is the count
    CHECK(snapshot.count == 7);
    CHECK(snapshot.sum_seconds == doctest::Approx(20.03585));
}

TEST_CASE("schedule lag: the maximum covers about the last minute, then ages out") {
    ScheduleLag lag;
    const ScheduleLag::TimePoint t{std::chrono::hours{1}};
    CHECK(lag.snapshot(t).recent_max_seconds == 0);
    lag.record(30ms, t + 1s);
    lag.record(2ms, t + 45s);
    CHECK(lag.snapshot(t + 50s).recent_max_seconds == doctest::Approx(0.030));
    // 70 s on, the 30 ms run is older than the window; the 2 ms one is not.
    CHECK(lag.snapshot(t + 71s).recent_max_seconds == doctest::Approx(0.002));
    CHECK(lag.snapshot(t + 5min).recent_max_seconds == 0);
    // The count and histogram never age: Prometheus computes rates from them.
    CHECK(lag.snapshot(t + 5min).count == 2);
}

TEST_CASE("scheduler records the lag of every run, queueing behind a busy worker included") {
    // One worker, two checks due at once that each take 200 ms: whichever
    // goes second starts at least 200 ms after its planned time. An hour's interval: a
    // second run lands anywhere in its interval, and one within the test would count too.
    auto first = make_check(definition("first", "sleepy", "sleep = \"200ms\"", 1h, 1s));
    auto second = make_check(definition("second", "sleepy", "sleep = \"200ms\"", 1h, 1s));
    ResultStore store{{first->info(), second->info()}};
    Scheduler scheduler{{first, second}, store, {.workers = 1, .max_splay = 0ms}};
    scheduler.start();
    REQUIRE(eventually([&] {
        return store.find("first")->last.has_value() && store.find("second")->last.has_value();
    }));
    scheduler.stop(5s);
    const auto lag = scheduler.lag()->snapshot(std::chrono::steady_clock::now());
    CHECK(lag.count == 2);
    CHECK(lag.recent_max_seconds >= 0.19);
    CHECK(lag.sum_seconds >= 0.19);
}

TEST_CASE("scheduler run plan: the second run lands at a chosen fraction of the interval") {
    // 10 s: a grid of 4 ms steps.
    CHECK(RunPlan::spread_due(t0, 10s, 0.0, t0 + 1ms) == t0 + 4ms); // never in the past
    CHECK(RunPlan::spread_due(t0, 10s, 0.25, t0 + 1ms) == t0 + 2500ms);
    CHECK(RunPlan::spread_due(t0, 10s, 0.999, t0 + 1ms) == t0 + 9992ms);
}

TEST_CASE("scheduler run plan: due times on a grid of a thousandth of the interval, 4 ms at most") {
    CHECK(RunPlan::on_grid(t0 + 1ms, 10s) == t0 + 4ms);
    CHECK(RunPlan::on_grid(t0 + 8ms, 10s) == t0 + 8ms); // on the grid: stays
    CHECK(RunPlan::on_grid(t0 + 8001us, 1h) == t0 + 12ms);
    CHECK(RunPlan::on_grid(t0 + 1500us, 1s) == t0 + 2ms);
    CHECK(RunPlan::on_grid(t0 + 15us, 10ms) == t0 + 20us);
    CHECK(RunPlan::on_grid(t0 - 5ms, 10s) == t0 - 4ms); // rounded up before the epoch too
    // A check keeps to the grid from run to run when its interval is a whole number of steps.
    const auto due = RunPlan::spread_due(t0, 10s, 0.3, t0);
    CHECK(RunPlan::next_due_after(due, 10s, due + 1ms) == RunPlan::on_grid(due + 10s, 10s));
}

TEST_CASE("scheduler spreads checks that started together over their interval") {
    // 40 checks, all first due at once (no splay). Had they kept that phase,
    // every second run would start within a few milliseconds of the others.
    auto checks = numbered_checks("c", 40, "", 1s, 1s);
    Running running{checks, 4};
    const auto second_run_started = [&](const std::string &name) {
        const auto state = running.state(name);
        return state.last && metric(state, "runs") >= 2 ? state.last->started
                                                        : std::chrono::system_clock::time_point{};
    };
    REQUIRE(eventually(
        [&] {
            return std::all_of(checks.begin(), checks.end(), [&](const auto &check) {
                return second_run_started(check->name()) != std::chrono::system_clock::time_point{};
            });
        },
        5s));
    auto earliest = std::chrono::system_clock::time_point::max();
    auto latest = std::chrono::system_clock::time_point::min();
    for (const auto &check : checks) {
        const auto started = second_run_started(check->name());
        earliest = std::min(earliest, started);
        latest = std::max(latest, started);
    }
    // 40 uniform draws over one second span most of it (under 400 ms: p < 1e-12).
    CHECK(latest - earliest > 400ms);
}

namespace {

std::set<std::string> thread_ids() {
    std::set<std::string> ids;
    for (const auto &entry : std::filesystem::directory_iterator{"/proc/self/task"})
        ids.insert(entry.path().filename().string());
    return ids;
}

/// Times the threads in `ids` went to sleep of their own accord (futex waits
/// included): each is one wake-up later.
std::uint64_t voluntary_switches(const std::set<std::string> &ids) {
    std::uint64_t total = 0;
    for (const auto &id : ids) {
        std::ifstream status{"/proc/self/task/" + id + "/status"};
        std::string line;
        while (std::getline(status, line))
            if (line.starts_with("voluntary_ctxt_switches:"))
                total += std::stoull(line.substr(line.find(':') + 1));
    }
    return total;
}

} // namespace

TEST_CASE("scheduler: a run costs one wake-up, with no hand-over between threads") {
    // 100 checks at 250 ms: about 400 runs a second, each due at its own time. A
    // dispatcher handing each run to a worker sleeps and wakes twice per run; the
    // worker that wakes for a run and runs it itself, once.
    auto checks = numbered_checks("w", 100, "", 250ms, 1s);
    const auto before = thread_ids();
    Running running{checks, 4};
    std::set<std::string> workers;
    std::ranges::set_difference(thread_ids(), before, std::inserter(workers, workers.end()));
    // Four may run at once, one more keeps watch (ThreadSanitizer adds a thread of its own).
    REQUIRE(workers.size() >= 5);
    std::this_thread::sleep_for(600ms); // past the first runs and the spread second ones
    const auto runs = [&] {
        return running.scheduler.lag()->snapshot(std::chrono::steady_clock::now()).count;
    };
    const auto switches0 = voluntary_switches(workers);
    const auto runs0 = runs();
    std::this_thread::sleep_for(1s);
    const auto wakeups = voluntary_switches(workers) - switches0;
    const auto ran = runs() - runs0;
    REQUIRE(ran >= 100);
    INFO(wakeups, " wake-ups for ", ran, " runs");
    CHECK(static_cast<double>(wakeups) / static_cast<double>(ran) < 1.5);
}

TEST_CASE("scheduler: quick checks due on the same step of the grid share one wake-up") {
    // 2,000 checks every 4 s on its grid of 4 ms steps: about two due per step. After
    // their first run (quick, so known to be) the worker that wakes for a step runs
    // all that is due on it, back to back: about 0.4 wake-ups per run, not one.
    auto checks = numbered_checks("g", 2000, "", 4s, 1s);
    const auto before = thread_ids();
    Running running{checks, 4};
    std::set<std::string> workers;
    std::ranges::set_difference(thread_ids(), before, std::inserter(workers, workers.end()));
    const auto lag = [&] {
        return running.scheduler.lag()->snapshot(std::chrono::steady_clock::now());
    };
    REQUIRE(eventually([&] { return lag().count >= 2000; })); // every first run is over
    const auto switches0 = voluntary_switches(workers);
    const auto lag0 = lag();
    std::this_thread::sleep_for(2s); // second runs, spread over the interval
    const auto wakeups = voluntary_switches(workers) - switches0;
    const auto lag1 = lag();
    const auto ran = lag1.count - lag0.count;
    REQUIRE(ran >= 500);
    INFO(wakeups, " wake-ups for ", ran, " runs");
    CHECK(static_cast<double>(wakeups) / static_cast<double>(ran) < 0.75);
    // Run back to back, they still start on time: nearly all within 5 ms (the
    // bucket of 10 ms under a sanitizer), as the machine allows.
    const std::size_t bucket = sanitizer_slowdown > 1 ? 7 : 6;
    REQUIRE(ScheduleLag::bounds[bucket] == (sanitizer_slowdown > 1 ? 0.01 : 0.005));
    const auto on_time = lag1.cumulative[bucket] - lag0.cumulative[bucket];
    INFO(on_time, " of ", ran, " within ", ScheduleLag::bounds[bucket] * 1e3, " ms");
    CHECK(static_cast<double>(on_time) >= 0.95 * static_cast<double>(ran));
}

TEST_CASE("scheduler: while one worker is inside a slow plugin, another starts what is due") {
    // Two workers. "slow" takes 600 ms once (an hour's interval); "fast" is due every
    // 20 ms meanwhile and must start on time, not when "slow" returns.
    Running running{{make_check(definition("slow", "sleepy", "sleep = \"600ms\"", 1h, 2s)),
                     make_check(definition("fast", "sleepy", "", 20ms, 1s))},
                    2};
    std::this_thread::sleep_for(500ms);
    CHECK_FALSE(running.state("slow").last.has_value()); // still inside the plugin
    CHECK(running.runs("fast") >= 10 / sanitizer_slowdown);
    const auto lag = running.scheduler.lag()->snapshot(std::chrono::steady_clock::now());
    CHECK(lag.recent_max_seconds < 0.1 * sanitizer_slowdown);
}

TEST_CASE("scheduler: a check added while every worker watches a later run starts at once") {
    // Two workers, so three threads, all end up asleep until the second runs of three
    // hourly checks, up to an hour away. A check added then, and the deadline of its
    // run, are earlier: a watcher must be called back for each, or the new check would
    // wait an hour and its timeout would go unnoticed.
    std::vector<std::shared_ptr<Check>> hourly;
    std::vector<CheckInfo> infos;
    for (const char *name : {"first", "second", "third"}) {
        hourly.push_back(make_check(definition(name, "sleepy", "", 1h, 1s)));
        infos.push_back(hourly.back()->info());
    }
    auto late = make_check(definition("late", "sleepy", "sleep = \"1s\"", 1h, 150ms));
    infos.push_back(late->info());
    ResultStore store{infos};
    Scheduler scheduler{hourly, store, {.workers = 2, .max_splay = 0ms}};
    scheduler.start();
    REQUIRE(eventually([&] {
        return std::all_of(hourly.begin(), hourly.end(),
                           [&](const auto &check) { return store.find(check->name())->last; });
    }));
    std::this_thread::sleep_for(50ms); // every thread back to watching
    const auto added = std::chrono::steady_clock::now();
    scheduler.add(late);
    REQUIRE(eventually([&] { return store.find("late")->last.has_value(); }, 2s));
    const auto waited = std::chrono::steady_clock::now() - added;
    CHECK(store.find("late")->last->message == "timed out after 150ms");
    CHECK(waited < 1s * sanitizer_slowdown);
    scheduler.stop(5s);
}
