// Probes answered promptly while big renders are read, against the real vitalsd (issue 16).
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "support/agent_fixture.hpp"
#include "support/eventually.hpp"

namespace {

using namespace vitals::test;
using Clock = std::chrono::steady_clock;

/// `count` quick checks every 10 s (a thousand runs a second, so every render is fresh);
/// the first two are in the live group, which /health/live answers for.
std::string many_checks(int count) {
    std::string checks;
    for (int i = 0; i < count; ++i)
        checks += "[check.c" + std::to_string(i) + "]\nplugin = \"sleepy\"\ninterval = \"10s\"\n" +
                  (i < 2 ? "groups = [\"live\"]\n" : "") + "\n";
    return checks;
}

/// Readers that fetch `target` over and over, each on a new connection, until destroyed.
class Readers {
public:
    Readers(std::uint16_t port, const std::string &target, int count) {
        for (int i = 0; i < count; ++i)
            threads_.emplace_back([this, port, target] {
                while (!stop_) {
                    const auto start = Clock::now();
                    try {
                        const bool ok = http_get(port, target).status == 200;
                        ++(ok ? reads_ : failures_);
                    } catch (const std::exception &) {
                        ++failures_;
                    }
                    read_us_ +=
                        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start)
                            .count();
                }
            });
    }
    ~Readers() {
        stop_ = true;
        for (auto &thread : threads_)
            thread.join();
    }
    int reads() const { return reads_; }
    /// Time spent in reads so far, in milliseconds.
    double read_ms() const { return static_cast<double>(read_us_) / 1000.0; }
    int failures() const { return failures_; }

private:
    std::atomic<bool> stop_{false};
    std::atomic<int> reads_{0};
    std::atomic<int> failures_{0};
    std::atomic<std::int64_t> read_us_{0};
    std::vector<std::thread> threads_;
};

} // namespace

// Each connection has its own thread: a probe never waits for the renders queued before it,
// as it did behind the event loops this server replaced (median 70 to 100 ms here).
TEST_CASE("render: /health/live answers promptly while 4 clients read ?history of 10,000 checks") {
    // Issue 16: with 10,000 checks GET /health took 1.3 s to render, and "no probe may
    // wait behind a render". Each /health?history here is about 6 MB, rendered afresh.
    TempDir dir;
    const auto config = write_agent_toml(dir);
    dir.write("conf.d/checks.toml", many_checks(10'000));
    AgentProcess agent{dir.path(), {"--config", config.string()}};
    const auto port = agent.wait_for_port(60s);
    // Every check has reported (a pending one counts as an error).
    REQUIRE(
        eventually([&] { return http_get(port, "/health?verbose=0").status == 200; }, 60s, 500ms));

    std::vector<double> probe_ms;
    int probe_failures = 0;
    int reads_during_probes = 0;
    double read_ms = 0; // a render's read, on average, while the probes ran
    {
        Readers readers{port, "/health?history", 4};
        REQUIRE(eventually([&] { return readers.reads() >= 4; }, 60s));
        const int reads_before = readers.reads();
        const double read_ms_before = readers.read_ms();
        for (int i = 0; i < 50; ++i) {
            const auto start = Clock::now();
            try {
                probe_failures += http_get(port, "/health/live").status == 200 ? 0 : 1;
            } catch (const std::exception &) {
                ++probe_failures;
            }
            probe_ms.push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - start).count());
            std::this_thread::sleep_for(20ms);
        }
        reads_during_probes = readers.reads() - reads_before;
        read_ms = (readers.read_ms() - read_ms_before) / std::max(reads_during_probes, 1);
        CHECK(readers.failures() == 0);
    }
    std::sort(probe_ms.begin(), probe_ms.end());
    const double median = probe_ms[probe_ms.size() / 2];
    const double p99 = probe_ms[probe_ms.size() * 99 / 100]; // nearest rank: of 50, the largest
    MESSAGE("/health/live while 4 clients read /health?history of 10,000 checks ("
            << reads_during_probes << " reads meanwhile): median " << median << " ms, p99 " << p99
            << " ms; a read took " << read_ms << " ms");
    CHECK(probe_failures == 0);
    CHECK(reads_during_probes > 0); // the renders did overlap the probes
    // A probe queued behind renders would wait for the rest of one at least: half a read
    // on average, a whole one at worst. The bounds are in reads, not milliseconds, so a
    // loaded machine or a sanitizer, which slow renders and probes alike, moves neither
    // side of them (here, idle: a probe's median is about 1/50 of a read, its p99 1/25).
    CHECK(median < read_ms / 8);
    CHECK(p99 < read_ms / 2);
}
