// SPDX-License-Identifier: MIT
#include "alerts/silence_board.hpp"

namespace vitals {
namespace {

bool in_force(const Maintenance &maintenance, WallTime now) {
    return !maintenance.until || *maintenance.until > now;
}

} // namespace

SilenceBoard::SilenceBoard(std::shared_ptr<Clock> clock) : clock_(std::move(clock)) {}

WallTime SilenceBoard::now() const {
    return clock_->system_now();
}

void SilenceBoard::drop_expired(WallTime now) {
    std::erase_if(silences_, [&](const auto &entry) { return entry.second.until <= now; });
    if (maintenance_ && !in_force(*maintenance_, now)) maintenance_.reset();
}

void SilenceBoard::silence(Silence silence) {
    const std::lock_guard lock{mutex_};
    drop_expired(now());
    silences_.insert_or_assign(silence.check, std::move(silence));
    ++version_;
}

bool SilenceBoard::lift(const std::string &check) {
    const std::lock_guard lock{mutex_};
    drop_expired(now());
    if (silences_.erase(check) == 0) return false;
    ++version_;
    return true;
}

void SilenceBoard::enter_maintenance(Maintenance maintenance) {
    const std::lock_guard lock{mutex_};
    maintenance_ = std::move(maintenance);
    ++version_;
}

bool SilenceBoard::leave_maintenance() {
    const std::lock_guard lock{mutex_};
    drop_expired(now());
    if (!maintenance_) return false;
    maintenance_.reset();
    ++version_;
    return true;
}

void SilenceBoard::set_windows(std::map<std::string, std::vector<MaintenanceWindow>> windows) {
    const std::lock_guard lock{mutex_};
    windows_.clear();
    for (auto &[check, list] : windows)
        if (!list.empty()) windows_.emplace(check, std::move(list));
    ++version_;
}

void SilenceBoard::restore(std::vector<Silence> silences, std::optional<Maintenance> maintenance) {
    const std::lock_guard lock{mutex_};
    for (auto &silence : silences)
        silences_.insert_or_assign(silence.check, std::move(silence));
    if (maintenance) maintenance_ = std::move(maintenance);
    drop_expired(now());
    ++version_;
}

std::optional<OpenWindow> SilenceBoard::open_window(const std::string &check, WallTime now) const {
    const auto found = windows_.find(check);
    if (found == windows_.end()) return std::nullopt;
    for (const auto &window : found->second)
        if (const auto until = window.active_until(now))
            return OpenWindow{check, window.text, *until};
    return std::nullopt;
}

std::optional<Quiet> SilenceBoard::silenced(const std::string &check, WallTime now) const {
    const std::lock_guard lock{mutex_};
    if (const auto found = silences_.find(check);
        found != silences_.end() && found->second.until > now)
        return Quiet{found->second.until, found->second.by, found->second.reason, {}};
    if (const auto open = open_window(check, now)) return Quiet{open->until, {}, {}, open->window};
    return std::nullopt;
}

std::optional<Maintenance> SilenceBoard::in_maintenance(WallTime now) const {
    const std::lock_guard lock{mutex_};
    if (maintenance_ && in_force(*maintenance_, now)) return maintenance_;
    return std::nullopt;
}

SilenceListing SilenceBoard::kept(WallTime now) const {
    const std::lock_guard lock{mutex_};
    SilenceListing listing;
    for (const auto &[check, silence] : silences_)
        if (silence.until > now) listing.silences.push_back(silence);
    if (maintenance_ && in_force(*maintenance_, now)) listing.maintenance = maintenance_;
    return listing;
}

SilenceListing SilenceBoard::list(WallTime now) const {
    SilenceListing listing = kept(now);
    const std::lock_guard lock{mutex_};
    for (const auto &[check, windows] : windows_)
        if (auto open = open_window(check, now)) listing.windows.push_back(std::move(*open));
    return listing;
}

} // namespace vitals
