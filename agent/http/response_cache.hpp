// Rendered answers reused while nothing they show has changed. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "http/http_types.hpp"

namespace vitals {

/// Rendering /health for twenty checks costs far more than serving it, and
/// probes and scrapers ask far more often than results change. An answer is
/// reused while the results' version is the same and it is younger than
/// `max_age`, which bounds how far clock-derived fields (ages, staleness) lag.
class ResponseCache {
public:
    using Clock = std::chrono::steady_clock;

    explicit ResponseCache(std::chrono::milliseconds max_age = std::chrono::milliseconds{100})
        : max_age_(max_age) {}

    template <class Render>
    HttpResponse get(const std::string &key, std::uint64_t version, Render &&render) {
        const auto now = Clock::now();
        {
            const std::lock_guard lock{mutex_};
            const auto found = entries_.find(key);
            if (found != entries_.end() && found->second.version == version &&
                now - found->second.rendered < max_age_)
                return found->second.response;
        }
        HttpResponse response = render();
        const std::lock_guard lock{mutex_};
        // Keys come from query strings: bound the table against a client cycling them.
        if (entries_.size() >= max_entries && !entries_.count(key)) entries_.clear();
        entries_[key] = Entry{version, now, response};
        return response;
    }

private:
    static constexpr std::size_t max_entries = 64;
    struct Entry {
        std::uint64_t version;
        Clock::time_point rendered;
        HttpResponse response;
    };
    std::chrono::milliseconds max_age_;
    std::mutex mutex_;
    std::map<std::string, Entry> entries_;
};

} // namespace vitals
