// A real vitalsd with the fault plugins, and probes of its health while a plugin
// misbehaves. SPDX-License-Identifier: MIT
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <utility>
#include <vector>

#include "support/agent_fixture.hpp"
#include "support/sanitizer_build.hpp"

namespace vitals::test {

using Clock = std::chrono::steady_clock;

/// A sanitizer runtime catches SIGSEGV, reports it and exits with status 1. The fault
/// plugins crash on purpose and that crash is what is under test, so every vitalsd these
/// tests start (and its workers, which inherit the environment) leaves SIGSEGV, SIGBUS and
/// SIGFPE to the kernel. A crash of the agent itself still fails its test: it stops answering.
/// Without sanitizers nothing reads these variables.
struct LetFaultsCrash {
    LetFaultsCrash() {
        for (const char *name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"}) {
            const char *current = std::getenv(name);
            std::string options = current ? current : "";
            if (!options.empty()) options += ':';
            options += "handle_segv=0:handle_sigbus=0:handle_sigfpe=0";
            ::setenv(name, options.c_str(), 1);
        }
    }
};
inline const LetFaultsCrash let_faults_crash; // before main(), so before any thread

/// Two checks that must not notice a neighbour's fault: one in process, one in a worker.
/// Both are in the "live" group, as is every faulty check in these tests. Their timeout is
/// longer than their interval: what the tests measure is that they run on schedule beside a
/// fault. A run over 100 ms on a busy machine (TSan in CI had one) would otherwise be
/// killed, and a killed worker starts its run count again a second later.
inline constexpr const char *healthy_checks = R"(
[check.healthy]
plugin = "sleepy"
interval = "100ms"
timeout = "2s"
groups = ["live"]

[check.healthy_isolated]
plugin = "sleepy"
interval = "100ms"
timeout = "2s"
isolation = "process"
groups = ["live"]
)";
inline constexpr auto healthy_interval = 100ms;

/// vitalsd on port 0 with the test and fault plugins, `checks` as its conf.d and `extra`
/// appended to agent.toml (top-level keys first, then tables such as [isolation]).
class FaultAgent {
public:
    explicit FaultAgent(const std::string &checks, const std::string &extra = "") {
        std::filesystem::create_directories(dir_.path() / "conf.d");
        const auto config = dir_.write(
            "agent.toml", "listen = \"127.0.0.1:0\"\nplugin_dirs = [\"" VITALS_TEST_PLUGIN_DIR
                          "\", \"" VITALS_FAULT_PLUGIN_DIR "\"]\nconf_d = \"" +
                              (dir_.path() / "conf.d").string() + "\"\nstate_dir = \"state\"\n" +
                              extra);
        dir_.write("conf.d/checks.toml", checks);
        const auto start = Clock::now();
        process_.emplace(dir_.path(), std::vector<std::string>{"--config", config.string()});
        port_ = process_->wait_for_port(20s);
        time_to_listen_ =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    }

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return process_->pid(); }
    AgentProcess &process() { return *process_; }
    const TempDir &dir() const { return dir_; }
    std::string log() const { return process_->log(); }
    /// From starting the process to its "listening on" line.
    std::chrono::milliseconds time_to_listen() const { return time_to_listen_; }

    /// The agent has not exited (nor been reaped by anyone).
    bool alive() const { return ::kill(process_->pid(), 0) == 0 && !exited(); }

private:
    bool exited() const {
        int status = 0;
        return ::waitpid(process_->pid(), &status, WNOHANG) == process_->pid();
    }

    TempDir dir_;
    std::optional<AgentProcess> process_;
    std::uint16_t port_ = 0;
    std::chrono::milliseconds time_to_listen_{};
};

// ---------------------------------------------------------------- /proc

struct ChildProcess {
    pid_t pid = 0;
    char state = '?'; ///< R, S, D, Z, ...
    std::string cmdline;
};

inline std::string read_text(const std::filesystem::path &file) {
    std::ifstream in{file};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

/// The state letter and parent of a process, from /proc/<pid>/stat; nullopt if it is gone.
inline std::optional<std::pair<char, pid_t>> stat_of(pid_t pid) {
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')'); // the command name may hold spaces and parentheses
    if (close == std::string::npos || close + 4 > stat.size()) return std::nullopt;
    std::istringstream rest{stat.substr(close + 2)};
    char state = '?';
    pid_t parent = 0;
    rest >> state >> parent;
    return std::pair{state, parent};
}

/// Every process whose parent is `parent`.
inline std::vector<ChildProcess> children_of(pid_t parent) {
    std::vector<ChildProcess> children;
    for (const auto &entry : std::filesystem::directory_iterator{"/proc"}) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
        const pid_t pid = std::stoi(name);
        const auto stat = stat_of(pid);
        if (!stat || stat->second != parent) continue;
        std::string cmdline = read_text(entry.path() / "cmdline");
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        children.push_back({pid, stat->first, cmdline});
    }
    return children;
}

inline std::vector<ChildProcess> workers_of(pid_t agent) {
    auto children = children_of(agent);
    std::erase_if(children, [](const ChildProcess &child) {
        return child.cmdline.find("--plugin-worker") == std::string::npos;
    });
    return children;
}

/// Zombies among `agent`'s children that stay zombies for `patience` (a worker that just
/// died is one for the moment between its death and the agent's waitpid).
inline std::vector<ChildProcess> lasting_zombies(pid_t agent,
                                                 std::chrono::milliseconds patience = 500ms) {
    auto zombies = children_of(agent);
    std::erase_if(zombies, [](const ChildProcess &child) { return child.state != 'Z'; });
    if (zombies.empty()) return zombies;
    std::this_thread::sleep_for(patience);
    std::erase_if(zombies, [](const ChildProcess &child) {
        const auto stat = stat_of(child.pid);
        return !stat || stat->first != 'Z';
    });
    return zombies;
}

/// Whether a process with that PID still runs `vitalsd --plugin-worker`.
inline bool is_worker(pid_t pid) {
    std::string cmdline = read_text("/proc/" + std::to_string(pid) + "/cmdline");
    const auto stat = stat_of(pid);
    return stat && stat->first != 'Z' && cmdline.find("--plugin-worker") != std::string::npos;
}

// ---------------------------------------------------------------- probes

/// What the issue asks of /health/live: an answer within 100 ms throughout a fault.
inline constexpr auto live_goal = 100ms;
/// Each sample is timed from this process, on a 2-core machine that also builds and tests
/// other work, so a sample may include time in which this process itself could not run:
/// LiveSampler measures that (its ticker's late wake-ups during the sample) and takes it
/// out. What is left is the agent's answer time, and at most 1% of samples (rounded up)
/// may take longer than live_goal, none longer than live_hard_bound. An agent whose server
/// waits behind a fault fails both: it would wait out the fault's timeout (300 ms and more
/// here) on every probe made meanwhile. A sanitizer build stretches both bounds by
/// sanitizer_slowdown.
inline constexpr double live_outlier_share = 0.01;
inline constexpr auto live_hard_bound = 250ms;
inline constexpr auto live_limit = live_goal * sanitizer_slowdown;
inline constexpr auto live_hard_limit = live_hard_bound * sanitizer_slowdown;

/// Samples GET /health/live every 20 ms on a thread of its own, from construction until
/// stop(), each on a fresh connection (as the kubelet probes), timing each answer.
class LiveSampler {
public:
    using Micros = std::chrono::microseconds;
    struct Stats {
        std::size_t samples = 0;
        std::size_t failures = 0; ///< no answer, or not 200/503
        Micros median{};          ///< of the answer times, this process's stalls taken out
        Micros p99{};             ///< nearest rank
        Micros max{};
        std::size_t over_goal = 0; ///< answer times over live_limit
        Micros raw_max{};          ///< the slowest sample as timed, stalls included
        Micros stall_max{};        ///< the longest stall of this process during one sample
    };

    explicit LiveSampler(std::uint16_t port)
        : ticker_([this] { tick(); }), sampler_([this, port] { sample(port); }) {}
    ~LiveSampler() { stop(); }
    LiveSampler(const LiveSampler &) = delete;
    LiveSampler &operator=(const LiveSampler &) = delete;

    Stats stop() {
        stop_ = true;
        if (sampler_.joinable()) sampler_.join();
        if (ticker_.joinable()) ticker_.join();
        Stats stats;
        stats.samples = samples_.size();
        stats.failures = failures_;
        std::vector<Micros> answers;
        for (const auto &[start, end] : samples_) {
            const auto stall = stall_during(start, end);
            stats.raw_max = std::max(stats.raw_max, micros(end - start));
            stats.stall_max = std::max(stats.stall_max, stall);
            answers.push_back(micros(end - start) - stall);
        }
        if (answers.empty()) return stats;
        std::sort(answers.begin(), answers.end());
        const auto rank = [&](double share) {
            const auto index = static_cast<std::size_t>(std::ceil(share * answers.size()));
            return answers[std::clamp<std::size_t>(index, 1, answers.size()) - 1];
        };
        stats.median = rank(0.5);
        stats.p99 = rank(0.99);
        stats.max = answers.back();
        stats.over_goal = static_cast<std::size_t>(std::count_if(
            answers.begin(), answers.end(), [](Micros t) { return t >= live_limit; }));
        return stats;
    }

private:
    static constexpr auto tick_period = 2ms;

    static Micros micros(Clock::duration d) { return std::chrono::duration_cast<Micros>(d); }

    /// Wakes up every tick_period; a longer gap between two wake-ups is time in which this
    /// process did not get a CPU (or its sampler, on the same machine, would not either).
    void tick() {
        while (!stop_) {
            ticks_.push_back(Clock::now());
            std::this_thread::sleep_for(tick_period);
        }
    }

    /// How long within [start, end] the ticker overslept: the part of each gap between its
    /// wake-ups beyond one period, counted where it overlaps the sample.
    Micros stall_during(Clock::time_point start, Clock::time_point end) const {
        Clock::duration stalled{};
        for (std::size_t i = 1; i < ticks_.size(); ++i) {
            const auto from = std::max(ticks_[i - 1] + tick_period, start);
            const auto to = std::min(ticks_[i], end);
            if (to > from) stalled += to - from;
        }
        return micros(stalled);
    }

    void sample(std::uint16_t port) {
        while (!stop_) {
            const auto start = Clock::now();
            try {
                const auto reply = http_get(port, "/health/live");
                if (reply.status != 200 && reply.status != 503) ++failures_;
            } catch (...) {
                ++failures_;
            }
            samples_.emplace_back(start, Clock::now());
            std::this_thread::sleep_for(20ms);
        }
    }

    std::atomic<bool> stop_{false};
    std::vector<Clock::time_point> ticks_; ///< ticker_'s own, read after both are joined
    std::vector<std::pair<Clock::time_point, Clock::time_point>> samples_; ///< sampler_'s own
    std::size_t failures_ = 0;
    std::thread ticker_;
    std::thread sampler_;
};

/// How a check's `runs` metric (sleepy counts its runs) advanced over a window.
struct Progress {
    double runs = 0;                   ///< runs during the window
    std::chrono::milliseconds stall{}; ///< the longest time it did not advance
    std::chrono::milliseconds window{};
};

inline double runs_of(std::uint16_t port, const std::string &check) {
    const auto reply = http_get(port, "/health/checks/" + check);
    if (reply.status != 200 && reply.status != 503) return -1;
    return metric(parse(reply.body), "runs").value_or(-1);
}

/// Watches several checks at once for `window`, polling every 20 ms.
inline std::vector<Progress> watch_runs(std::uint16_t port, const std::vector<std::string> &checks,
                                        std::chrono::milliseconds window) {
    const auto start = Clock::now();
    std::vector<Progress> progress(checks.size());
    std::vector<double> first(checks.size()), last(checks.size());
    std::vector<Clock::time_point> changed(checks.size(), start);
    for (std::size_t i = 0; i < checks.size(); ++i)
        first[i] = last[i] = runs_of(port, checks[i]);
    while (Clock::now() - start < window) {
        std::this_thread::sleep_for(20ms);
        const auto now = Clock::now();
        for (std::size_t i = 0; i < checks.size(); ++i) {
            const double runs = runs_of(port, checks[i]);
            if (runs != last[i]) {
                last[i] = runs;
                changed[i] = now;
            }
            progress[i].stall =
                std::max(progress[i].stall,
                         std::chrono::duration_cast<std::chrono::milliseconds>(now - changed[i]));
        }
    }
    for (std::size_t i = 0; i < checks.size(); ++i) {
        progress[i].runs = last[i] - first[i];
        progress[i].window =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    }
    return progress;
}

/// The healthy checks ran at about their interval for `window` while the fault went on.
inline void check_healthy_on_schedule(std::uint16_t port, std::chrono::milliseconds window = 2s) {
    const std::vector<std::string> names{"healthy", "healthy_isolated"};
    const auto progress = watch_runs(port, names, window);
    for (std::size_t i = 0; i < names.size(); ++i) {
        const double expected = static_cast<double>(progress[i].window / healthy_interval);
        INFO(names[i] << ": " << progress[i].runs << " runs in " << progress[i].window.count()
                      << " ms (about " << expected << " due), longest stall "
                      << progress[i].stall.count() << " ms");
        // Due every 100 ms: a pool blocked by the fault would stall for its whole timeout.
        CHECK(progress[i].runs >= 0.6 * expected / sanitizer_slowdown);
        CHECK(progress[i].stall <= 4 * healthy_interval * sanitizer_slowdown);
    }
}

/// /health/live answered every sample; net of this process's own stalls, within live_limit
/// but for live_outlier_share of them, and within live_hard_limit always.
inline void check_live_fast(const LiveSampler::Stats &stats) {
    const auto ms = [](auto t) {
        return std::chrono::duration_cast<std::chrono::microseconds>(t).count() / 1000.0;
    };
    // Rounded up: a test samples about 100 times, and one late answer cannot tell the
    // agent's scheduling on a busy machine (TSan in CI, at 320 ms of 300) from a server
    // that waits behind a fault, which is late on every probe made during the fault.
    const auto allowed = static_cast<std::size_t>(
        std::ceil(live_outlier_share * static_cast<double>(stats.samples)));
    MESSAGE("/health/live: " << stats.samples << " samples, median " << ms(stats.median)
                             << " ms, p99 " << ms(stats.p99) << " ms, max " << ms(stats.max)
                             << " ms, " << stats.over_goal << " over " << ms(live_limit) << " ms ("
                             << allowed << " allowed); as timed up to " << ms(stats.raw_max)
                             << " ms, this process stalled up to " << ms(stats.stall_max)
                             << " ms in one sample");
    CHECK(stats.samples >= 20);
    CHECK(stats.failures == 0);
    CHECK(stats.over_goal <= allowed);
    CHECK(stats.max < live_hard_limit);
}

inline std::string message_of(const Object::Ptr &check) {
    return check->getValue<std::string>("message");
}

/// Whether any of the check's recent results (?history) has a message starting so: a
/// crash is replaced at once when the run that ended with it was overdue.
inline auto history_has(std::uint16_t port, std::string check, std::string prefix) {
    return [=](const Object::Ptr &) {
        const auto reply = http_get(port, "/health/checks/" + check + "?history");
        const auto history = parse(reply.body)->getArray("history");
        for (std::size_t i = 0; history && i < history->size(); ++i)
            if (history->getObject(static_cast<unsigned>(i))
                    ->getValue<std::string>("message")
                    .starts_with(prefix))
                return true;
        return false;
    };
}

inline auto message_starts_with(std::string prefix) {
    return [prefix = std::move(prefix)](const Object::Ptr &check) {
        return message_of(check).starts_with(prefix);
    };
}

} // namespace vitals::test
