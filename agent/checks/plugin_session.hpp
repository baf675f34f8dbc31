// A plugin library between its init() and its deinit(). SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>

#include "loader/plugin_library.hpp"

namespace vitals {

/// ABI 1.1's init() and deinit() (either may be NULL), called once per loaded library in
/// each process that creates instances of it: the agent for its in-process checks, and
/// each worker (isolation = "process") for the one check it serves; the agent itself never
/// calls init() for a plugin all of whose checks run in workers. Every instance holds the
/// session of its library: init() runs before the first create(), deinit() after the last
/// destroy(), on the thread that drops the last instance, before the library can unload.
/// When instances come back while the library is still loaded (a reload that recreates
/// them), init() runs again: the calls always come in pairs, never nested.
class PluginSession {
public:
    /// The session of `plugin`'s loaded library: the one under way, or a new one once init()
    /// returned 0. Waits while another thread is in that library's init() or deinit(). When
    /// init() refuses: nullptr, and `refusal` says why in the words of a load refusal
    /// ("plugin 'x' refused: FILE: init() returned 3: what it logged"); the same
    /// PluginLibrary is then refused at once, without calling init() again.
    static std::shared_ptr<const PluginSession>
    open(const std::shared_ptr<const PluginLibrary> &plugin, std::string &refusal);

    /// Whether a thread is in init() or deinit() of `plugin`'s library now: what a create()
    /// that has not returned in time is waiting for.
    static bool in_init_or_deinit(const PluginLibrary &plugin);

    const PluginLibrary &library() const { return *library_; }

    PluginSession(const PluginSession &) = delete;
    PluginSession &operator=(const PluginSession &) = delete;

private:
    explicit PluginSession(std::shared_ptr<const PluginLibrary> library)
        : library_(std::move(library)) {}
    /// Calls deinit() and forgets the session; the shared_ptr's deleter.
    static void finish(const PluginSession *session) noexcept;

    /// Keeps the library loaded until deinit() has returned.
    std::shared_ptr<const PluginLibrary> library_;
};

} // namespace vitals
