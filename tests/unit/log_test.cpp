// The log: floods of repeated lines are bounded, and counted. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/log.hpp"
#include "core/log_limit.hpp"

using namespace std::chrono_literals;
using vitals::LogLevel;
using vitals::LogLimits;
using vitals::LogRateLimiter;
using vitals::Suppression;

namespace {

/// Everything written to file descriptor 2 while it lives, as the agent's log is.
class CapturedStderr {
public:
    CapturedStderr() {
        std::fflush(stderr);
        char name[] = "/tmp/vitals-log-test-XXXXXX";
        file_ = ::mkstemp(name);
        REQUIRE(file_ >= 0);
        ::unlink(name);
        saved_ = ::dup(2);
        REQUIRE(::dup2(file_, 2) == 2);
    }
    ~CapturedStderr() {
        restore();
        ::close(file_);
    }
    CapturedStderr(const CapturedStderr &) = delete;
    CapturedStderr &operator=(const CapturedStderr &) = delete;

    /// Stops capturing; returns what was written.
    std::string text() {
        restore();
        std::string out;
        char buffer[65536];
        ::lseek(file_, 0, SEEK_SET);
        for (ssize_t n; (n = ::read(file_, buffer, sizeof buffer)) > 0;)
            out.append(buffer, static_cast<std::size_t>(n));
        return out;
    }

private:
    void restore() {
        if (saved_ < 0) return;
        std::fflush(stderr);
        ::dup2(saved_, 2);
        ::close(saved_);
        saved_ = -1;
    }
    int file_ = -1;
    int saved_ = -1;
};

std::chrono::steady_clock::time_point fake_now{};
std::chrono::steady_clock::time_point fake_clock() {
    return fake_now;
}

/// The logger with `limits`, nothing counted yet, and a clock that moves only when told;
/// the defaults again at the end.
class FakeClockLog {
public:
    explicit FakeClockLog(const LogLimits &limits = {}) {
        fake_now = std::chrono::steady_clock::time_point{} + 1h;
        vitals::set_log_clock(&fake_clock);
        vitals::set_log_limits(limits);
        vitals::set_log_level(LogLevel::info);
    }
    ~FakeClockLog() {
        vitals::set_log_clock(nullptr);
        vitals::set_log_limits({});
    }
    FakeClockLog(const FakeClockLog &) = delete;
    FakeClockLog &operator=(const FakeClockLog &) = delete;

    void advance(std::chrono::nanoseconds by) { fake_now += by; }
};

std::vector<std::string> lines_of(const std::string &text) {
    std::vector<std::string> lines;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

/// How many lines hold `part`.
std::size_t lines_with(const std::string &text, std::string_view part) {
    std::size_t count = 0;
    for (const auto &line : lines_of(text))
        if (line.find(part) != std::string::npos) ++count;
    return count;
}

/// `times` warnings from one call site, as the accept loop wrote out of descriptors.
void accept_failures(int times) {
    for (int i = 0; i < times; ++i)
        vitals::log(LogLevel::warning, "http", "accept: {}", "Too many open files");
}

bool contains(const std::string &text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("log: 100000 identical warnings write 10 lines, then one summary with the count") {
    FakeClockLog log;
    CapturedStderr captured;
    accept_failures(100'000);
    log.advance(10s);
    vitals::log(LogLevel::info, "agent", "after the flood");
    const std::string text = captured.text();
    INFO(text);
    const auto lines = lines_of(text);
    REQUIRE(lines.size() == 12);
    CHECK(lines_with(text, "warning [http] accept: Too many open files") == 10);
    CHECK(contains(lines[10], " warning [http] 99990 similar lines suppressed in the 10s from "));
    CHECK(contains(lines[10], ", like: accept: Too many open files"));
    CHECK(contains(lines[11], "info [agent] after the flood"));
}

TEST_CASE("log: a summary is due when its window ends, at the next line of any key") {
    FakeClockLog log;
    CapturedStderr captured;
    accept_failures(15);
    log.advance(9s);
    vitals::log(LogLevel::info, "agent", "within the window");
    log.advance(1s);
    vitals::log(LogLevel::info, "agent", "after it");
    // The key's next line starts a new window, with its own burst.
    accept_failures(3);
    const std::string text = captured.text();
    INFO(text);
    const auto lines = lines_of(text);
    REQUIRE(lines.size() == 16);
    CHECK(contains(lines[10], "within the window"));
    CHECK(contains(lines[11], "[http] 5 similar lines suppressed in the 10s"));
    CHECK(contains(lines[12], "after it"));
    CHECK(lines_with(text, "] accept: Too many open files") == 13);
}

TEST_CASE("log: lines suppressed in a window still going are summarised on request") {
    FakeClockLog log;
    CapturedStderr captured;
    accept_failures(11);
    log.advance(2500ms);
    vitals::log_suppressed_summaries();
    vitals::log_suppressed_summaries(); // nothing more to say
    const std::string text = captured.text();
    INFO(text);
    CHECK(lines_of(text).size() == 11);
    CHECK(lines_with(text, "[http] 1 similar line suppressed in the 2.5s from ") == 1);
}

TEST_CASE("log: one call site's flood does not hold back another's") {
    FakeClockLog log;
    CapturedStderr captured;
    accept_failures(1000);
    vitals::log(LogLevel::warning, "http", "cannot serve a new connection: {}", "no memory");
    vitals::log(LogLevel::warning, "push", "accept: {}", "Too many open files");
    vitals::log(LogLevel::error, "http", "accept: {}", "Too many open files");
    vitals::log_line(LogLevel::warning, "http", "accept: Too many open files");
    const std::string text = captured.text();
    INFO(text);
    CHECK(lines_with(text, "warning [http] accept:") == 10 + 1); // the last from log_line
    CHECK(lines_with(text, "warning [http] cannot serve a new connection: no memory") == 1);
    CHECK(lines_with(text, "warning [push] accept: Too many open files") == 1);
    CHECK(lines_with(text, "error [http] accept: Too many open files") == 1);
}

TEST_CASE("log: a call site whose arguments vary is still one key") {
    FakeClockLog log;
    CapturedStderr captured;
    for (int i = 0; i < 1000; ++i)
        vitals::log(LogLevel::warning, "scheduler", "{}: late result after timeout dropped ({})",
                    fmt::format("check{}", i), i % 2 ? "ok" : "error");
    log.advance(10s);
    vitals::log(LogLevel::info, "agent", "after the flood");
    const std::string text = captured.text();
    INFO(text);
    CHECK(lines_with(text, "late result after timeout dropped") == 10 + 1);
    CHECK(lines_with(text, "[scheduler] 990 similar lines suppressed") == 1);
    CHECK(contains(text, "like: check10: late result after timeout dropped (error)"));
}

TEST_CASE("log: log_line and placeholder-only formats are keyed by their message") {
    FakeClockLog log;
    CapturedStderr captured;
    // Each a different error, as a refused reload lists them: all are written.
    for (int i = 0; i < 50; ++i)
        vitals::log(LogLevel::error, "reload", "{}", fmt::format("conf.d/x.toml:{}:1: bad", i));
    for (int i = 0; i < 50; ++i)
        vitals::log_line(LogLevel::warning, "plugin", fmt::format("step {}", i));
    // The same message again and again is held back all the same.
    for (int i = 0; i < 50; ++i) {
        vitals::log(LogLevel::warning, "scheduler", "{}: {}", "disk", "timed out after 1s");
        vitals::log_line(LogLevel::warning, "plugin", "disk: retrying");
    }
    log.advance(10s);
    vitals::log(LogLevel::info, "agent", "after the flood");
    const std::string text = captured.text();
    INFO(text);
    CHECK(lines_with(text, "error [reload] conf.d/x.toml:") == 50);
    CHECK(lines_with(text, "warning [plugin] step ") == 50);
    CHECK(lines_with(text, "[scheduler] disk: timed out after 1s") == 10);
    CHECK(lines_with(text, "[scheduler] 40 similar lines suppressed") == 1);
    CHECK(lines_with(text, "[plugin] disk: retrying") == 10);
    CHECK(lines_with(text, "[plugin] 40 similar lines suppressed") == 1);
}

TEST_CASE("log: a suppressed error is still counted, and its summary is not one more") {
    FakeClockLog log;
    CapturedStderr captured;
    const std::size_t before = vitals::errors_logged();
    for (int i = 0; i < 1000; ++i)
        vitals::log(LogLevel::error, "loader", "refused {}: {}", "x.so", "not a plugin");
    CHECK(vitals::errors_logged() - before == 1000);
    log.advance(10s);
    vitals::log_suppressed_summaries();
    CHECK(vitals::errors_logged() - before == 1000);
    const std::string text = captured.text();
    CHECK(lines_with(text, "error [loader] refused x.so") == 10);
    CHECK(lines_with(text, "error [loader] 990 similar lines suppressed") == 1);
}

TEST_CASE("log: lines from many threads are each written or counted, once") {
    FakeClockLog log;
    CapturedStderr captured;
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([t] {
                for (int i = 0; i < 5000; ++i)
                    vitals::log(LogLevel::warning, "http", "accept: {} {}", t, i);
            });
    }
    vitals::log_suppressed_summaries();
    const std::string text = captured.text();
    INFO(text);
    CHECK(lines_of(text).size() == 11);
    CHECK(lines_with(text, "[http] 19990 similar lines suppressed") == 1);
}

TEST_CASE("log: burst 0 writes every line") {
    FakeClockLog log{LogLimits{.burst = 0}};
    CapturedStderr captured;
    accept_failures(100);
    CHECK(lines_of(captured.text()).size() == 100);
}

TEST_CASE("log limiter: the key table stays bounded, however many keys pass") {
    LogRateLimiter limiter;
    std::vector<Suppression> due;
    auto now = std::chrono::steady_clock::time_point{} + 1h;
    for (int i = 0; i < 100'000; ++i) {
        const std::string message = fmt::format("distinct {}", i);
        CHECK(limiter.admit(LogLevel::info, "plugin", message, message, now, due));
        if (i % 1000 == 0) now += 1ms;
    }
    CHECK(limiter.keys() == LogLimits{}.max_keys);
    CHECK(due.empty());
}

TEST_CASE("log limiter: an evicted key's suppressed lines are reported, not lost") {
    LogRateLimiter limiter{LogLimits{.burst = 2, .window = 10s, .max_keys = 4}};
    std::vector<Suppression> due;
    const auto start = std::chrono::steady_clock::time_point{} + 1h;
    for (int i = 0; i < 5; ++i)
        limiter.admit(LogLevel::warning, "http", "accept: {}", "accept: EMFILE", start, due);
    for (const char *key : {"b", "c", "d"})
        CHECK(limiter.admit(LogLevel::info, "x", key, key, start + 1s, due));
    CHECK(due.empty());
    CHECK(limiter.keys() == 4);
    // A fifth key evicts the least recently used: the flood's, with its count.
    CHECK(limiter.admit(LogLevel::info, "x", "e", "e", start + 2s, due));
    CHECK(limiter.keys() == 4);
    REQUIRE(due.size() == 1);
    CHECK(due[0].count == 3);
    CHECK(due[0].component == "http");
    CHECK(due[0].sample == "accept: EMFILE");
    CHECK(due[0].since == start);
    CHECK(due[0].span == 2s);
}

TEST_CASE("log limiter: a key still flooding keeps its place among many new ones") {
    LogRateLimiter limiter{LogLimits{.burst = 2, .window = 10s, .max_keys = 4}};
    std::vector<Suppression> due;
    const auto now = std::chrono::steady_clock::time_point{} + 1h;
    for (int i = 0; i < 100; ++i) {
        limiter.admit(LogLevel::warning, "http", "accept: {}", "accept: EMFILE", now, due);
        const std::string other = fmt::format("other {}", i);
        CHECK(limiter.admit(LogLevel::info, "x", other, other, now, due));
    }
    CHECK(due.empty());
    const auto taken = limiter.take_suppressions(now + 1s);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].count == 98);
    CHECK(limiter.take_suppressions(now + 2s).empty());
}

TEST_CASE("log limiter: a long sample is cut between characters") {
    LogRateLimiter limiter{LogLimits{.burst = 1}};
    std::vector<Suppression> due;
    const auto now = std::chrono::steady_clock::time_point{} + 1h;
    const std::string message = std::string(79, 'a') + "\xc3\xa9" + std::string(100, 'b');
    limiter.admit(LogLevel::info, "x", "k", message, now, due);
    limiter.admit(LogLevel::info, "x", "k", message, now, due);
    const auto taken = limiter.take_suppressions(now);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].sample == std::string(79, 'a') + "...");
}
