// SPDX-License-Identifier: MIT
#include "deadline_reaper.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace vitals::http {

std::shared_ptr<DeadlineReaper> DeadlineReaper::shared() {
    static std::mutex mutex;
    static std::weak_ptr<DeadlineReaper> current;
    const std::lock_guard lock{mutex};
    if (auto reaper = current.lock()) return reaper;
    std::shared_ptr<DeadlineReaper> reaper{new DeadlineReaper};
    current = reaper;
    return reaper;
}

DeadlineReaper::DeadlineReaper() : thread_([this] { reap(); }) {}

DeadlineReaper::~DeadlineReaper() {
    {
        const std::lock_guard lock{mutex_};
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void DeadlineReaper::reap() {
    std::unique_lock lock{mutex_};
    while (!stopping_) {
        if (pending_.empty()) {
            wake_.wait(lock);
            continue;
        }
        const auto first = pending_.begin();
        // A copy: the wait lets go of the lock, and the run may end and erase its entry.
        const Clock::time_point deadline = first->first;
        if (Clock::now() < deadline) {
            wake_.wait_until(lock, deadline);
            continue;
        }
        Watch &due = *first->second;
        due.fired_ = true;
        if (due.fd_ >= 0) ::shutdown(due.fd_, SHUT_RDWR); // wakes any blocked read or write
        pending_.erase(first);
    }
}

DeadlineReaper::Watch::Watch(DeadlineReaper &reaper, Clock::time_point deadline)
    : reaper_(reaper), deadline_(deadline) {
    bool earliest = false;
    {
        const std::lock_guard lock{reaper_.mutex_};
        const auto mine = reaper_.pending_.emplace(deadline_, this);
        earliest = mine == reaper_.pending_.begin();
    }
    if (earliest) reaper_.wake_.notify_all(); // the reaper sleeps until a later deadline
}

DeadlineReaper::Watch::~Watch() {
    const std::lock_guard lock{reaper_.mutex_};
    auto [first, last] = reaper_.pending_.equal_range(deadline_);
    const auto mine =
        std::find_if(first, last, [this](const auto &entry) { return entry.second == this; });
    if (mine != last) reaper_.pending_.erase(mine);
    if (fd_ >= 0) ::close(fd_);
}

void DeadlineReaper::Watch::watch(int fd) {
    const std::lock_guard lock{reaper_.mutex_};
    if (fd_ >= 0) ::close(fd_);
    // A duplicate keeps the socket itself alive after Poco closes its descriptor, so the
    // shutdown can never hit an unrelated socket that reused the number.
    fd_ = fd >= 0 ? ::fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
    if (fired_ && fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

bool DeadlineReaper::Watch::fired() const {
    const std::lock_guard lock{reaper_.mutex_};
    return fired_;
}

} // namespace vitals::http
