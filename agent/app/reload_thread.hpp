// Reloads on a thread of their own. SPDX-License-Identifier: MIT
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

namespace vitals {

/// Runs reloads one at a time on its own thread, so the thread that handles signals never
/// waits for one: a reload may wait for plugins (create(), a validating worker), and SIGTERM
/// must be acted on meanwhile.
class ReloadThread {
public:
    /// `reload` runs on the thread; its stop_token is set once stop() is called, and it
    /// should then give up what it waits for.
    explicit ReloadThread(std::function<void(std::stop_token)> reload);
    ~ReloadThread(); ///< stop()
    ReloadThread(const ReloadThread &) = delete;
    ReloadThread &operator=(const ReloadThread &) = delete;

    /// Asks for a reload and returns at once. Requests not yet taken up are one reload
    /// (several SIGHUPs, or an editor's several writes, read the same files); one made
    /// while a reload runs is one more after it, since that one may have read the files
    /// before the change.
    void request();
    /// Tells the reload in progress to give up, starts no other, and joins the thread.
    void stop();

private:
    void serve(std::stop_token stop);

    std::function<void(std::stop_token)> reload_;
    std::mutex mutex_;
    std::condition_variable_any requested_;
    bool pending_ = false; // guarded by mutex_
    std::jthread thread_;  // last: starts once the rest is ready
};

} // namespace vitals
