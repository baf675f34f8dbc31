// Which repeated log lines are written, and which are only counted. SPDX-License-Identifier: MIT
#pragma once

#include "core/log.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vitals {

/// The lines of one key not written in one window, for the summary that replaces them.
struct Suppression {
    LogLevel level;
    std::string component;
    std::string sample; ///< the first line suppressed, shortened
    std::size_t count;
    std::chrono::steady_clock::time_point since; ///< when the window began
    std::chrono::nanoseconds span; ///< the window, or as much as had passed when cut short
};

/// The decision of LogLimits, without the writing: time is a parameter. Not thread-safe.
class LogRateLimiter {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    explicit LogRateLimiter(LogLimits limits = {}) : limits_{limits} {}

    /// Whether `message` under key (level, component, key) is written at `now`. First adds
    /// to `due`, oldest first, the suppressions whose windows have ended by `now` (or that
    /// an eviction ends): their summaries go before the line.
    bool admit(LogLevel level, std::string_view component, std::string_view key,
               std::string_view message, TimePoint now, std::vector<Suppression> &due);

    /// Every suppression not yet reported, windows ended or not; the windows go on.
    std::vector<Suppression> take_suppressions(TimePoint now);

    std::size_t keys() const { return entries_.size(); }

private:
    struct Entry {
        std::uint64_t hash;
        LogLevel level;
        std::string component;
        std::string sample;
        TimePoint since;
        std::size_t written = 0;
        std::size_t suppressed = 0;
    };
    using Entries = std::list<Entry>;

    bool window_over(const Entry &entry, TimePoint now) const;
    Suppression take(Entry &entry, TimePoint now) const;
    void report_ended(TimePoint now, std::vector<Suppression> &due);

    LogLimits limits_;
    // Most recently used first, so that a key still flooding is never the one evicted.
    Entries entries_;
    // By a 64-bit hash, not the text: a plugin's message may be 16 KiB, and a collision
    // (about 2^-50 with 256 keys) only merges two keys' counts.
    std::unordered_map<std::uint64_t, Entries::iterator> by_key_;
    TimePoint next_end_ = TimePoint::max(); ///< the earliest window with suppressed lines
};

} // namespace vitals
