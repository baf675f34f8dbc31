// Rendered answers reused while nothing they show has changed. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "http/http_types.hpp"

namespace vitals {

/// Rendering /health for twenty checks costs far more than serving it, and
/// probes and scrapers ask far more often than results change. An answer is
/// reused while the results' version is the same and it is younger than
/// `max_age`, which bounds how far clock-derived fields (ages, staleness) lag.
/// Its body is kept once and shared (HttpResponse::shared_body, `body` left
/// empty): every response handed out points at that one copy, so a thousand
/// slow readers of a 5 MB /health hold 5 MB between them, not 5 GB.
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
        if (!response.shared_body)
            response.shared_body = std::make_shared<const std::string>(std::move(response.body));
        response.body.clear();
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
