// SPDX-License-Identifier: MIT
#include "results/transition_log.hpp"

#include <algorithm>

namespace vitals {

TransitionLog::TransitionLog(std::vector<Transition> transitions,
                             std::chrono::system_clock::time_point now) {
    std::stable_sort(transitions.begin(), transitions.end(),
                     [](const Transition &a, const Transition &b) { return a.at < b.at; });
    for (const auto &transition : transitions)
        if (entries_.empty() || entries_.back().status != transition.status)
            entries_.push_back(transition);
    // Age is trimmed against the time given, not the newest entry: a log saved long ago
    // keeps only what still falls in the window.
    const auto oldest_kept = now - kept_for;
    const auto first_young = std::find_if(entries_.begin(), entries_.end(),
                                          [&](const Transition &t) { return t.at >= oldest_kept; });
    if (first_young - entries_.begin() > 1) entries_.erase(entries_.begin(), first_young - 1);
    trim();
}

bool TransitionLog::add(const Transition &transition) {
    if (!entries_.empty() && entries_.back().status == transition.status) return false;
    // A clock stepped back must not make the log run backwards: uptime walks it in order.
    Transition added = transition;
    if (!entries_.empty()) added.at = std::max(added.at, entries_.back().at);
    entries_.push_back(added);
    trim();
    return true;
}

void TransitionLog::trim() {
    // Keep the last transition before the age limit: it says what the status was then.
    const auto oldest_kept =
        entries_.empty() ? std::chrono::system_clock::time_point{} : entries_.back().at - kept_for;
    std::size_t drop = 0;
    while (drop + 1 < entries_.size() && entries_[drop + 1].at <= oldest_kept)
        ++drop;
    drop = std::max(drop, entries_.size() > max_entries ? entries_.size() - max_entries : 0);
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(drop));
}

std::optional<Status> TransitionLog::current() const {
    if (entries_.empty()) return std::nullopt;
    return entries_.back().status;
}

std::optional<double> TransitionLog::uptime(Duration window,
                                            std::chrono::system_clock::time_point now) const {
    const auto start =
        now - std::chrono::duration_cast<std::chrono::system_clock::duration>(window);
    std::chrono::system_clock::duration known{}, up{};
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        const auto from = std::max(entries_[i].at, start);
        const auto to = std::min(i + 1 < entries_.size() ? entries_[i + 1].at : now, now);
        if (to <= from || !entries_[i].status) continue;
        known += to - from;
        if (*entries_[i].status != Status::error) up += to - from;
    }
    if (known.count() <= 0) return std::nullopt;
    return std::chrono::duration<double>(up) / std::chrono::duration<double>(known);
}

} // namespace vitals
