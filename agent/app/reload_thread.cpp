// SPDX-License-Identifier: MIT
#include "app/reload_thread.hpp"

namespace vitals {

ReloadThread::ReloadThread(std::function<void(std::stop_token)> reload)
    : reload_(std::move(reload)), thread_([this](std::stop_token stop) { serve(stop); }) {}

ReloadThread::~ReloadThread() {
    stop();
}

void ReloadThread::request() {
    const std::lock_guard lock{mutex_};
    pending_ = true;
    requested_.notify_one();
}

void ReloadThread::stop() {
    thread_.request_stop(); // wakes the wait in serve(), and the reload's own waits
    if (thread_.joinable()) thread_.join();
}

void ReloadThread::serve(std::stop_token stop) {
    std::unique_lock lock{mutex_};
    while (requested_.wait(lock, stop, [&] { return pending_; }) && !stop.stop_requested()) {
        pending_ = false;
        lock.unlock();
        reload_(stop);
        lock.lock();
    }
}

} // namespace vitals
