// Scheduler on a manual clock: cadence, timeouts, no overlap, no starvation.
// SPDX-License-Identifier: MIT
//
// Real worker threads, fake time: the clock moves only when a test moves it, and each
// plugin is a stand-in whose run takes as long on that clock as the test says. A case
// runs minutes of schedule in milliseconds, and every time it checks is exact.
#include <doctest/doctest.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "checks/check.hpp"
#include "results/result_store.hpp"
#include "scheduler/scheduler.hpp"
#include "support/manual_clock.hpp"

using namespace vitals;
using namespace vitals::test;
using namespace std::chrono_literals;

namespace doctest {
template <> struct StringMaker<std::chrono::nanoseconds> {
    static String convert(std::chrono::nanoseconds duration) {
        return format_duration(duration).c_str();
    }
};
} // namespace doctest

namespace {

using TimePoint = Clock::TimePoint;

/// A check's plugin as the test sets and sees it: each run takes `takes` of the
/// manual clock's time (asleep on it, like a plugin waiting on a server), then
/// reports `status`.
class FakePlugin {
public:
    explicit FakePlugin(std::shared_ptr<ManualClock> clock, Duration takes)
        : clock_(std::move(clock)), takes_(takes) {}

    CheckResult run() {
        std::unique_lock lock{mutex_};
        const TimePoint start = clock_->now();
        CheckResult result;
        result.started = clock_->system_now();
        starts_.push_back(start);
        most_in_flight_ = std::max(most_in_flight_, ++in_flight_);
        const TimePoint end = start + takes_;
        while (!released_ && clock_->now() < end)
            clock_->wait_until(wake_, lock, end);
        --in_flight_;
        result.status = status_;
        result.message = "ran";
        result.duration = clock_->now() - start;
        return result;
    }

    /// Every run, now and later, returns at once.
    void release() {
        const std::lock_guard lock{mutex_};
        released_ = true;
        clock_->notify_all(wake_);
    }
    void report(Status status) {
        const std::lock_guard lock{mutex_};
        status_ = status;
    }
    std::vector<TimePoint> starts() const {
        const std::lock_guard lock{mutex_};
        return starts_;
    }
    std::size_t runs() const { return starts().size(); }
    unsigned in_flight() const {
        const std::lock_guard lock{mutex_};
        return in_flight_;
    }
    unsigned most_in_flight() const {
        const std::lock_guard lock{mutex_};
        return most_in_flight_;
    }

private:
    const std::shared_ptr<ManualClock> clock_;
    const Duration takes_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    Status status_ = Status::ok;
    bool released_ = false;
    std::vector<TimePoint> starts_;
    unsigned in_flight_ = 0;
    unsigned most_in_flight_ = 0;
};

class FakeRunner final : public PluginRunner {
public:
    explicit FakeRunner(std::shared_ptr<FakePlugin> plugin) : plugin_(std::move(plugin)) {}
    CheckResult run(TimePoint, const RunHistory &) override { return plugin_->run(); }

private:
    std::shared_ptr<FakePlugin> plugin_;
};

struct Spec {
    Duration interval = 1s;
    Duration takes{};
    Duration timeout = 1min;
    std::vector<std::string> groups{};
    std::vector<std::string> depends_on{};
};

struct Made {
    std::shared_ptr<Check> check;
    FakePlugin &plugin;
};

/// A scheduler on a manual clock, its checks' fake plugins and a real result store.
struct Fixture {
    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
    const TimePoint t0 = clock->start();
    std::vector<std::shared_ptr<Check>> checks;
    std::vector<std::shared_ptr<FakePlugin>> plugins;
    std::unique_ptr<ResultStore> store;
    std::unique_ptr<Scheduler> scheduler;
    unsigned most_threads = 0; ///< the pool's size at its largest, as seen by settle()

    Made check(const std::string &name, const Spec &spec) {
        CheckDefinition definition;
        definition.name = name;
        definition.plugin = "fake";
        definition.interval = spec.interval;
        definition.timeout = spec.timeout;
        definition.groups = spec.groups;
        definition.depends_on = spec.depends_on;
        plugins.push_back(std::make_shared<FakePlugin>(clock, spec.takes));
        checks.push_back(std::make_shared<Check>(definition, "fake",
                                                 std::make_unique<FakeRunner>(plugins.back())));
        return {checks.back(), *plugins.back()};
    }

    /// `count` checks named prefix0, prefix1, ... alike.
    void checks_named(const std::string &prefix, int count, const Spec &spec) {
        for (int i = 0; i < count; ++i)
            check(prefix + std::to_string(i), spec);
    }

    /// Schedules `initial` (every check made so far if empty); the store knows them all.
    void start(Scheduler::Options options = {}, std::vector<std::shared_ptr<Check>> initial = {}) {
        std::vector<CheckInfo> infos;
        for (const auto &check : checks)
            infos.push_back(check_info(check->definition()));
        store = std::make_unique<ResultStore>(infos);
        options.clock = clock;
        if (!options.seed) options.seed = 17;
        scheduler =
            std::make_unique<Scheduler>(initial.empty() ? checks : initial, *store, options);
        scheduler->start();
        settle();
    }

    ~Fixture() {
        // Stuck runs return, so stop() need not wait for time that never comes.
        for (const auto &plugin : plugins)
            plugin->release();
        if (scheduler) scheduler->stop();
    }

    SchedulerLoad::Snapshot load() const { return scheduler->load()->snapshot(); }

    /// Until every worker sleeps with nothing due, and `others` more threads too.
    void settle(std::size_t others = 0) {
        clock->settle([&] { return load().threads + others; });
        most_threads = std::max(most_threads, load().threads);
    }

    /// Moves time to `end`, stopping at each time a thread waits for, so everything
    /// due on the way happens at its time.
    void run_until(TimePoint end) {
        settle();
        while (const auto next = clock->next_wakeup()) {
            if (*next > end) break;
            clock->advance_to(*next);
            settle();
        }
        clock->advance_to(end);
        settle();
    }
    void run_for(Duration duration) { run_until(clock->now() + duration); }

    /// Runs started so far, of every check.
    std::size_t runs_started() const {
        std::size_t runs = 0;
        for (const auto &plugin : plugins)
            runs += plugin->runs();
        return runs;
    }

    std::optional<CheckResult> last(const std::string &name) const {
        return store->find(name)->last;
    }
    ScheduleLag::Snapshot lag() const { return scheduler->lag()->snapshot(clock->now()); }

    struct Wakeups {
        std::uint64_t woken = 0; ///< threads woken by time or by a notify
        std::uint64_t runs = 0;
        double per_run() const { return static_cast<double>(woken) / static_cast<double>(runs); }
    };
    /// The wake-ups and runs of `measured`, counted once `warm_up` is over (first runs
    /// and the spread second ones).
    Wakeups wakeups_over(Duration warm_up, Duration measured) {
        run_for(warm_up);
        const Wakeups before{clock->wakeups(), lag().count};
        run_for(measured);
        return {clock->wakeups() - before.woken, lag().count - before.runs};
    }
};

std::vector<Duration> gaps(const std::vector<TimePoint> &starts) {
    std::vector<Duration> out;
    for (std::size_t i = 1; i < starts.size(); ++i)
        out.push_back(starts[i] - starts[i - 1]);
    return out;
}

} // namespace

TEST_CASE("scheduler runs each check every interval, on time") {
    Fixture f;
    const auto often = f.check("often", {.interval = 10s});
    const auto seldom = f.check("seldom", {.interval = 1min});
    f.start({.max_splay = 0ms});
    f.run_for(10min);
    for (const auto &plugin : {&often.plugin, &seldom.plugin}) {
        const auto starts = plugin->starts();
        REQUIRE(starts.size() >= 10);
        CHECK(starts.front() == f.t0); // no splay asked for: at once
        // The second run lands at a random point of the interval, then one interval apart.
        const auto between = gaps(starts);
        CHECK(between.front() < 1min);
        CHECK(std::all_of(between.begin() + 1, between.end(),
                          [&](Duration gap) { return gap == between.back(); }));
    }
    CHECK(gaps(often.plugin.starts()).back() == 10s);
    CHECK(gaps(seldom.plugin.starts()).back() == 1min);
    CHECK(often.plugin.runs() >= 60);
    CHECK(seldom.plugin.runs() >= 10);
    // Every run started when it was due.
    CHECK(f.lag().count == often.plugin.runs() + seldom.plugin.runs());
    CHECK(f.lag().sum_seconds == 0);
    CHECK(f.last("often")->status == Status::ok);
}

TEST_CASE("scheduler: first runs come within max_splay, spread out, and within a short interval") {
    Fixture f;
    f.checks_named("minutely", 40, {.interval = 1min});
    const auto quick = f.check("quick", {.interval = 200ms});
    f.start({.max_splay = 1s});
    f.run_for(1s + 4ms); // the splay, then up to a step of the grid (4 ms at 1 min)
    std::set<TimePoint> firsts;
    for (std::size_t i = 0; i < 40; ++i) {
        const auto starts = f.plugins[i]->starts();
        REQUIRE(starts.size() == 1);
        firsts.insert(starts.front());
    }
    CHECK(*firsts.rbegin() - *firsts.begin() <= 1s + 4ms);
    CHECK(firsts.size() >= 30); // not all at once: 40 draws over a second
    CHECK(*firsts.rbegin() - *firsts.begin() >= 500ms);
    // A splay never exceeds the interval (200 ms, on a grid of 200 µs).
    CHECK(quick.plugin.starts().front() - f.t0 <= 200ms + 200us);
}

TEST_CASE("scheduler spreads the second runs of checks that started together") {
    // 40 checks first due at once (no splay): had they kept that phase, every later run
    // would start at the same moment as the others.
    Fixture f;
    f.checks_named("c", 40, {.interval = 1s});
    f.start({.max_splay = 0ms});
    f.run_for(2s);
    std::set<TimePoint> seconds;
    for (const auto &plugin : f.plugins) {
        const auto starts = plugin->starts();
        REQUIRE(starts.size() >= 2);
        CHECK(starts[0] == f.t0);
        seconds.insert(starts[1]);
    }
    CHECK(seconds.size() >= 30);
    // 40 uniform draws over one second span most of it (under 400 ms: p < 1e-12).
    CHECK(*seconds.rbegin() - *seconds.begin() > 400ms);
}

TEST_CASE("scheduler never overlaps a check with itself") {
    // Due every second, each run takes five, four workers free: only the rule keeps a
    // second run from starting while the first is in the plugin.
    Fixture f;
    const auto busy = f.check("busy", {.interval = 1s, .takes = 5s});
    f.start({.workers = 4, .max_splay = 0ms});
    f.run_for(30s);
    CHECK(busy.plugin.most_in_flight() == 1);
    const auto between = gaps(busy.plugin.starts());
    REQUIRE(between.size() >= 5);
    // The next run starts as the last one returns: late, but no burst to catch up.
    CHECK(std::all_of(between.begin(), between.end(), [](Duration gap) { return gap == 5s; }));
}

TEST_CASE("scheduler records a run past its timeout as an error at once, while it runs on") {
    Fixture f;
    const auto hung = f.check("hung", {.interval = 1h, .takes = 10s, .timeout = 2s});
    f.start({.max_splay = 0ms});
    const auto started = f.clock->system_now();
    f.run_until(f.t0 + 2s - 1ms);
    CHECK_FALSE(f.last("hung"));
    f.run_until(f.t0 + 2s);
    REQUIRE(f.last("hung"));
    CHECK(f.last("hung")->status == Status::error);
    CHECK(f.last("hung")->message == "timed out after 2s");
    CHECK(f.last("hung")->started == started);
    CHECK(f.last("hung")->duration == 2s);
    // Its thread is still in the plugin, holding its place.
    CHECK(hung.plugin.in_flight() == 1);
    CHECK(f.load().running == 1);
    // When the plugin returns at last, its result is dropped: the timeout stands.
    f.run_until(f.t0 + 10s);
    CHECK(hung.plugin.in_flight() == 0);
    CHECK(f.load().running == 0);
    CHECK(f.last("hung")->message == "timed out after 2s");
    CHECK(f.store->history("hung").size() == 1);
}

TEST_CASE("scheduler: a stuck check is not run again until its run returns") {
    Fixture f;
    const auto stuck = f.check("stuck", {.interval = 1s, .takes = 1h, .timeout = 1s});
    f.start({.workers = 2, .max_splay = 0ms});
    f.run_for(10min);
    CHECK(stuck.plugin.runs() == 1);
    CHECK(f.store->history("stuck").size() == 1); // one timeout, not one a second
}

TEST_CASE("scheduler: a stuck run holds its place, and another thread runs the others") {
    Fixture f;
    const auto stuck = f.check("stuck", {.interval = 1s, .takes = 1h, .timeout = 1s});
    const auto healthy = f.check("healthy", {.interval = 1s});
    f.start({.workers = 2, .max_splay = 0ms});
    f.run_for(1min);
    CHECK(f.last("stuck")->message == "timed out after 1s");
    CHECK(f.load().running == 1);
    CHECK(stuck.plugin.in_flight() == 1);
    CHECK(healthy.plugin.runs() >= 59);
    CHECK(gaps(healthy.plugin.starts()).back() == 1s);
    CHECK(f.lag().sum_seconds == 0);
}

TEST_CASE("scheduler: while one worker is inside a slow plugin, another starts what is due") {
    // Two places. "slow" takes half a minute once, inside its timeout; "fast" is due every
    // second meanwhile and must start on time, not when "slow" returns.
    Fixture f;
    const auto slow = f.check("slow", {.interval = 1h, .takes = 30s});
    const auto fast = f.check("fast", {.interval = 1s});
    f.start({.workers = 2, .max_splay = 0ms});
    f.run_for(25s);
    CHECK(slow.plugin.in_flight() == 1);
    CHECK_FALSE(f.last("slow"));
    CHECK(fast.plugin.runs() >= 25);
    CHECK(f.lag().sum_seconds == 0);
}

TEST_CASE("scheduler: slow runs never hold up a quick check: the pool grows, then shrinks") {
    // Twelve checks whose runs take half a minute, inside their timeout (a server that
    // answers late), and a quick one every second, with the default options. Each slow
    // run holds a thread: the quick check must not wait for one of them to return.
    Fixture f;
    f.checks_named("slow", 12, {.interval = 1h, .takes = 30s, .timeout = 1min});
    const auto quick = f.check("quick", {.interval = 1s});
    f.start({.max_splay = 0ms});
    f.run_for(20s);
    CHECK_FALSE(f.last("slow0")); // still inside its first run
    CHECK(quick.plugin.runs() >= 20);
    CHECK(f.lag().sum_seconds == 0); // every quick run on time
    CHECK(f.load().running == 12);
    CHECK(f.load().threads >= 13);
    CHECK(f.most_threads <= f.load().limit + f.load().reserve + 1);
    // Once the slow runs are over, the threads grown for them leave the pool.
    for (int i = 0; i < 12; ++i)
        f.scheduler->remove("slow" + std::to_string(i));
    f.run_for(20s);
    CHECK(f.load().running == 0);
    CHECK(f.load().threads == Scheduler::base_threads + 1);
    CHECK(f.lag().sum_seconds == 0);
}

TEST_CASE("scheduler: at `workers` runs, due checks wait for a place and threads stay bounded") {
    // Six checks that hang past their timeout, two places and no probe reserve: the
    // stuck runs hold both places, and no thread is added for a third.
    Fixture f;
    f.checks_named("hung", 6, {.interval = 1s, .takes = 90s, .timeout = 5s});
    f.start({.workers = 2, .probe_reserve = 0, .max_splay = 0ms});
    f.run_for(1min);
    CHECK(f.load().limit == 2);
    CHECK(f.load().reserve == 0);
    CHECK(f.load().running == 2);
    CHECK(f.most_threads <= 3);
    CHECK(f.runs_started() == 2); // the other four wait for a place
    CHECK(f.load().waits == 0);
    // The stuck runs return at 90 s; two of the waiting four take their places, each
    // counted as a wait.
    f.run_until(f.t0 + 90s);
    CHECK(f.runs_started() == 4);
    CHECK(f.load().waits == 2);
    CHECK(f.load().running == 2);
}

TEST_CASE("scheduler: checks in a probe group keep their schedule on the reserve, which others "
          "never take") {
    // Two places, both held by slow checks that are always overdue; a check in the
    // "live" group every second runs on the probe reserve, on time. The four reserve
    // places stay free of the slow ones.
    Fixture f;
    f.checks_named("slow", 6, {.interval = 1s, .takes = 30s});
    const auto live = f.check("live_check", {.interval = 1s, .groups = {"live"}});
    f.start({.workers = 2, .max_splay = 0ms});
    for (int second = 0; second < 60; ++second) {
        f.run_for(1s);
        CHECK(f.load().running == 2);
        CHECK(f.load().reserve_running == 0);
    }
    CHECK(live.plugin.runs() >= 60);
    CHECK(gaps(live.plugin.starts()).back() == 1s);
    std::size_t slow_in_flight = 0;
    for (std::size_t i = 0; i < 6; ++i)
        slow_in_flight += f.plugins[i]->in_flight();
    CHECK(slow_in_flight == 2);
    CHECK(f.load().waits > 0);
}

TEST_CASE("scheduler skips a check whose dependency is failing, and runs it once that recovers") {
    Fixture f;
    const auto database = f.check("database", {.interval = 10s});
    const auto app = f.check("app", {.interval = 10s, .depends_on = {"database"}});
    database.plugin.report(Status::error);
    f.start({.max_splay = 0ms}, {database.check});
    f.run_for(1s);
    REQUIRE(f.last("database")->status == Status::error);
    f.scheduler->add(app.check);
    f.run_for(1s);
    REQUIRE(f.last("app"));
    CHECK(f.last("app")->status == Status::error);
    CHECK(f.last("app")->suppressed);
    CHECK(f.last("app")->message == "skipped: database is failing");
    CHECK(app.plugin.runs() == 0);
    // The database's next run reports ok; the app's next run after it is a real one.
    database.plugin.report(Status::ok);
    f.run_for(20s);
    CHECK(f.last("database")->status == Status::ok);
    CHECK(app.plugin.runs() >= 1);
    CHECK(f.last("app")->status == Status::ok);
    CHECK_FALSE(f.last("app")->suppressed);
}

TEST_CASE("scheduler: a check that depends on one with no result yet runs") {
    Fixture f;
    const auto app = f.check("app", {.interval = 1h, .depends_on = {"database"}});
    f.check("database", {.interval = 1h});
    f.start({.max_splay = 0ms}, {app.check});
    f.run_for(1s);
    CHECK(app.plugin.runs() == 1);
    CHECK_FALSE(f.last("app")->suppressed);
}

TEST_CASE("scheduler: a removed check runs no more, and the result of its run in flight is "
          "dropped") {
    Fixture f;
    const auto idle = f.check("idle", {.interval = 1s});
    const auto busy = f.check("busy", {.interval = 1s, .takes = 5s});
    f.start({.max_splay = 0ms});
    f.run_for(2s);
    REQUIRE(busy.plugin.in_flight() == 1);
    const auto idle_runs = idle.plugin.runs();
    f.scheduler->remove("idle");
    f.scheduler->remove("busy");
    f.run_for(1min);
    CHECK(idle.plugin.runs() == idle_runs);
    CHECK(busy.plugin.runs() == 1);
    CHECK(busy.plugin.in_flight() == 0);
    CHECK_FALSE(f.last("busy"));
}

TEST_CASE("scheduler: a reload's replacement of a check waits for the old one's run to return") {
    // The old build's run is stuck past its timeout; a reload replaces the check
    // meanwhile. A check never overlaps itself: the new one's first run starts only
    // once the old run has returned.
    Fixture f;
    const auto old_build = f.check("swapped", {.interval = 1h, .takes = 10s, .timeout = 1s});
    const auto new_build = f.check("swapped", {.interval = 1h});
    f.start({.max_splay = 0ms}, {old_build.check});
    f.run_for(2s);
    REQUIRE(f.last("swapped")->message == "timed out after 1s");
    f.scheduler->remove("swapped");
    f.scheduler->add(new_build.check);
    f.run_until(f.t0 + 10s - 1ms);
    CHECK(new_build.plugin.runs() == 0);
    f.run_until(f.t0 + 10s);
    REQUIRE(new_build.plugin.runs() == 1);
    CHECK(new_build.plugin.starts().front() == f.t0 + 10s);
    CHECK(f.last("swapped")->message == "ran");
}

TEST_CASE("scheduler: a check added while every worker watches a later run starts at once") {
    // Two workers, so three threads, all asleep until the second runs of three hourly
    // checks, up to an hour away. A check added then, and the deadline of its run, are
    // earlier: a watcher must be called back for each, or the new check would wait an
    // hour and its timeout would go unnoticed.
    Fixture f;
    for (const char *name : {"first", "second", "third"})
        f.check(name, {.interval = 1h});
    const auto late = f.check("late", {.interval = 1h, .takes = 1s, .timeout = 150ms});
    f.start({.workers = 2, .max_splay = 0ms},
            std::vector<std::shared_ptr<Check>>(f.checks.begin(), f.checks.begin() + 3));
    f.run_for(1s);
    const TimePoint added = f.clock->now();
    f.scheduler->add(late.check);
    f.settle();
    REQUIRE(late.plugin.runs() == 1);
    CHECK(late.plugin.starts().front() == added);
    f.run_until(added + 150ms - 1ms);
    CHECK_FALSE(f.last("late"));
    f.run_until(added + 150ms);
    REQUIRE(f.last("late"));
    CHECK(f.last("late")->message == "timed out after 150ms");
}

TEST_CASE("scheduler records the lag of every run, queueing behind a busy worker included") {
    // One place, two checks due at once that each take 200 ms: whichever goes second
    // starts 200 ms after its planned time.
    Fixture f;
    f.check("first", {.interval = 1h, .takes = 200ms});
    f.check("second", {.interval = 1h, .takes = 200ms});
    f.start({.workers = 1, .max_splay = 0ms});
    f.run_for(1s);
    const auto lag = f.lag();
    CHECK(lag.count == 2);
    CHECK(lag.recent_max_seconds == doctest::Approx(0.2));
    CHECK(lag.sum_seconds == doctest::Approx(0.2));
}

TEST_CASE("scheduler: a run costs one wake-up, with no hand-over between threads") {
    // 100 checks at 250 ms: about 400 runs a second, each due at its own time. A
    // dispatcher handing each run to a worker would wake two threads per run; the
    // worker that wakes for a run runs it itself.
    Fixture f;
    f.checks_named("w", 100, {.interval = 250ms});
    f.start({.workers = 4, .max_splay = 0ms});
    const auto counted = f.wakeups_over(1s, 10s);
    CHECK(counted.runs == 4000);
    INFO(counted.woken, " wake-ups for ", counted.runs, " runs");
    // About 0.97 (a few due times coincide); a hand-over would make it 2.
    CHECK(counted.per_run() < 1.25);
}

TEST_CASE("scheduler: quick checks due on the same step of the grid share one wake-up") {
    // 2,000 checks every 4 s on its grid of 4 ms steps: about two due per step. After
    // their first run (quick, so known to be) the worker that wakes for a step runs
    // all that is due on it, back to back.
    Fixture f;
    f.checks_named("g", 2000, {.interval = 4s});
    f.start({.workers = 4, .max_splay = 0ms});
    const auto counted = f.wakeups_over(4s, 8s);
    CHECK(counted.runs == 4000);
    INFO(counted.woken, " wake-ups for ", counted.runs, " runs");
    // About 0.48; one wake-up per run would make it 0.97 as above.
    CHECK(counted.per_run() < 0.75);
    CHECK(f.lag().sum_seconds == 0); // back to back, still on time
}

TEST_CASE("scheduler: stop waits for a run in flight, and no longer") {
    Fixture f;
    const auto slow = f.check("slow", {.interval = 1h, .takes = 2s});
    f.start({.workers = 1, .max_splay = 0ms});
    f.run_for(1s);
    REQUIRE(slow.plugin.in_flight() == 1);
    TimePoint stopped{};
    std::thread stopper{[&] {
        f.scheduler->stop(5s);
        stopped = f.clock->now();
    }};
    f.settle(1); // the idle workers have left; the stopper waits for the run
    CHECK(f.load().threads == 1);
    f.clock->advance_to(f.t0 + 2s); // the run returns
    stopper.join();
    CHECK(stopped == f.t0 + 2s);
    CHECK(f.load().threads == 0);
}

TEST_CASE("scheduler: stop abandons a run still going after the grace period") {
    Fixture f;
    const auto stuck = f.check("stuck", {.interval = 1h, .takes = 1h});
    f.start({.workers = 1, .max_splay = 0ms});
    f.run_for(1s);
    TimePoint stopped{};
    std::thread stopper{[&] {
        f.scheduler->stop(5s);
        stopped = f.clock->now();
    }};
    f.settle(1);
    CHECK(f.clock->next_wakeup() == f.t0 + 6s); // the grace period's end
    f.clock->advance_to(f.t0 + 6s);
    stopper.join();
    CHECK(stopped == f.t0 + 6s);
    CHECK(f.load().threads == 1); // left in the plugin, detached
    // Once the plugin returns, the abandoned thread leaves, recording nothing.
    stuck.plugin.release();
    f.settle();
    CHECK(f.load().threads == 0);
    CHECK_FALSE(f.last("stuck"));
}
