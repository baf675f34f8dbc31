// SPDX-License-Identifier: MIT
#include "scheduler/schedule_lag.hpp"

#include <algorithm>

namespace vitals {

std::int64_t ScheduleLag::epoch_of(TimePoint time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()) / slot_width;
}

void ScheduleLag::record(Duration lag, TimePoint now) {
    lag = std::max(lag, Duration::zero());
    const double seconds = to_seconds(lag);
    const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin();
    const std::int64_t epoch = epoch_of(now);
    const std::lock_guard lock{mutex_};
    if (bucket < static_cast<std::ptrdiff_t>(bounds.size())) ++buckets_[bucket];
    ++count_;
    sum_seconds_ += seconds;
    Slot &slot = slots_[static_cast<std::size_t>(epoch) % slots_.size()];
    if (slot.epoch != epoch) slot = {epoch, Duration::zero()};
    slot.max = std::max(slot.max, lag);
}

ScheduleLag::Snapshot ScheduleLag::snapshot(TimePoint now) const {
    const std::int64_t epoch = epoch_of(now);
    Snapshot out;
    const std::lock_guard lock{mutex_};
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < bounds.size(); ++i)
        out.cumulative[i] = running += buckets_[i];
    out.count = count_;
    out.sum_seconds = sum_seconds_;
    Duration recent{};
    for (const Slot &slot : slots_)
        if (slot.epoch > epoch - static_cast<std::int64_t>(slots_.size()) && slot.epoch <= epoch)
            recent = std::max(recent, slot.max);
    out.recent_max_seconds = to_seconds(recent);
    return out;
}

} // namespace vitals
