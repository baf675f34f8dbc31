// SPDX-License-Identifier: MIT
#include "core/log_limit.hpp"

#include "core/utf8.hpp"

#include <algorithm>
#include <cstddef>

namespace vitals {
namespace {

constexpr std::size_t sample_bytes = 80;

// FNV-1a: stable, and plenty to tell a few hundred keys apart.
std::uint64_t key_hash(LogLevel level, std::string_view component, std::string_view key) {
    std::uint64_t hash = 14695981039346656037ull;
    const auto add = [&](std::string_view bytes) {
        for (const unsigned char c : bytes) {
            hash ^= c;
            hash *= 1099511628211ull;
        }
    };
    const char level_byte = static_cast<char>(level);
    add({&level_byte, 1});
    add(component);
    add({"\0", 1}); // ("ab", "c") is not ("a", "bc")
    add(key);
    return hash;
}

// The start of `message`, cut between characters.
std::string shortened(std::string_view message) {
    if (message.size() <= sample_bytes) return std::string{message};
    std::size_t end = 0;
    while (end < message.size()) {
        const std::size_t length =
            std::max<std::size_t>(1, utf8_sequence_length(message.substr(end)));
        if (end + length > sample_bytes) break;
        end += length;
    }
    return std::string{message.substr(0, end)} + "...";
}

void oldest_first(std::vector<Suppression> &due, std::size_t from) {
    std::sort(due.begin() + static_cast<std::ptrdiff_t>(from), due.end(),
              [](const Suppression &a, const Suppression &b) { return a.since < b.since; });
}

} // namespace

bool LogRateLimiter::admit(LogLevel level, std::string_view component, std::string_view key,
                           std::string_view message, TimePoint now, std::vector<Suppression> &due) {
    if (limits_.burst == 0) return true;
    if (now >= next_end_) report_ended(now, due);
    const std::uint64_t hash = key_hash(level, component, key);
    if (const auto found = by_key_.find(hash); found != by_key_.end()) {
        entries_.splice(entries_.begin(), entries_, found->second);
        if (window_over(entries_.front(), now)) {
            // Nothing suppressed in it is left: report_ended has just taken that.
            entries_.front().since = now;
            entries_.front().written = 0;
        }
    } else {
        if (entries_.size() >= std::max<std::size_t>(limits_.max_keys, 1)) {
            Entry &evicted = entries_.back();
            if (evicted.suppressed > 0) due.push_back(take(evicted, now));
            by_key_.erase(evicted.hash);
            entries_.pop_back();
        }
        entries_.push_front(Entry{hash, level, std::string{component}, {}, now});
        by_key_.emplace(hash, entries_.begin());
    }
    Entry &entry = entries_.front();
    if (entry.written < limits_.burst) {
        ++entry.written;
        return true;
    }
    if (entry.suppressed++ == 0) {
        entry.sample = shortened(message);
        next_end_ = std::min(next_end_, entry.since + limits_.window);
    }
    return false;
}

std::vector<Suppression> LogRateLimiter::take_suppressions(TimePoint now) {
    std::vector<Suppression> taken;
    for (auto &entry : entries_)
        if (entry.suppressed > 0) taken.push_back(take(entry, now));
    oldest_first(taken, 0);
    next_end_ = TimePoint::max();
    return taken;
}

bool LogRateLimiter::window_over(const Entry &entry, TimePoint now) const {
    return now - entry.since >= limits_.window;
}

Suppression LogRateLimiter::take(Entry &entry, TimePoint now) const {
    Suppression taken{entry.level,
                      entry.component,
                      std::move(entry.sample),
                      entry.suppressed,
                      entry.since,
                      std::min<std::chrono::nanoseconds>(now - entry.since, limits_.window)};
    entry.sample.clear();
    entry.suppressed = 0;
    return taken;
}

void LogRateLimiter::report_ended(TimePoint now, std::vector<Suppression> &due) {
    const std::size_t from = due.size();
    next_end_ = TimePoint::max();
    for (auto &entry : entries_) {
        if (entry.suppressed == 0) continue;
        if (window_over(entry, now))
            due.push_back(take(entry, now));
        else
            next_end_ = std::min(next_end_, entry.since + limits_.window);
    }
    oldest_first(due, from);
}

} // namespace vitals
