// SPDX-License-Identifier: MIT
#include "checks/plugin_session.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "checks/host_context.hpp"
#include "checks/lifecycle_context.hpp"
#include "checks/plugin_call.hpp"
#include "core/log.hpp"

namespace vitals {
namespace {

/// The sessions of this process, by loaded library.
struct Sessions {
    struct Library {
        std::weak_ptr<const PluginSession> session;
        /// A thread is in its init() or deinit(): others wait for `changed`. Also set while
        /// the last holder's deleter is on its way to deinit() (the weak_ptr has expired,
        /// the entry not yet gone), so no init() can start before that deinit().
        bool busy = true;
    };
    struct Refusal {
        std::weak_ptr<const PluginLibrary> plugin; ///< tells a reused address apart
        std::string text;
    };

    std::mutex mutex;
    std::condition_variable changed;
    std::map<const void *, Library> libraries;        ///< by PluginLibrary::loaded_object()
    std::map<const PluginLibrary *, Refusal> refused; ///< by the PluginLibrary init() refused
};

Sessions &sessions() {
    // Never destroyed: the last instance may go while the process exits.
    static auto *all = new Sessions;
    return *all;
}

/// For a plugin that let an exception through the C ABI (which forbids it).
std::string escaped_exception() {
    try {
        throw;
    } catch (const std::exception &e) {
        return fmt::format("let an exception escape: {}", e.what());
    } catch (...) {
        return "let an exception escape";
    }
}

/// Calls init(); the refusal text when it returns nonzero.
std::optional<std::string> call_init(const PluginLibrary &plugin) {
    const auto init = plugin.descriptor().init;
    if (!init) return std::nullopt;
    LibraryContext context{plugin.name()};
    int32_t code = 0;
    std::string escaped;
    try {
        const PluginCallScope call{plugin.name(), "init"};
        code = init(&host_api(), &context, plugin.file().c_str());
    } catch (...) {
        code = -1;
        escaped = escaped_exception();
    }
    if (code == 0) return std::nullopt;
    std::string why = escaped.empty() ? context.reason() : escaped;
    return fmt::format("plugin '{}' refused: {}: init() returned {}{}", plugin.name(),
                       plugin.file().string(), code,
                       why.empty() ? " without saying why" : ": " + why);
}

void call_deinit(const PluginLibrary &plugin) noexcept {
    const auto deinit = plugin.descriptor().deinit;
    if (!deinit) return;
    try {
        LibraryContext context{plugin.name()};
        const PluginCallScope call{plugin.name(), "deinit"};
        deinit(&host_api(), &context);
    } catch (...) {
        log(LogLevel::error, "check", "plugin '{}': deinit() {}", plugin.name(),
            escaped_exception());
    }
}

} // namespace

std::shared_ptr<const PluginSession>
PluginSession::open(const std::shared_ptr<const PluginLibrary> &plugin, std::string &refusal) {
    auto &all = sessions();
    const void *key = plugin->loaded_object();
    std::unique_lock lock{all.mutex};
    std::erase_if(all.refused, [](const auto &entry) { return entry.second.plugin.expired(); });
    if (const auto refused = all.refused.find(plugin.get()); refused != all.refused.end()) {
        refusal = refused->second.text;
        return nullptr;
    }
    for (auto found = all.libraries.find(key); found != all.libraries.end();
         found = all.libraries.find(key)) {
        if (!found->second.busy)
            if (auto session = found->second.session.lock()) return session;
        all.changed.wait(lock);
    }
    all.libraries.emplace(key, Sessions::Library{});
    lock.unlock();
    auto refused = call_init(*plugin);
    lock.lock();
    if (refused) {
        all.libraries.erase(key);
        all.refused[plugin.get()] = {plugin, *refused};
        all.changed.notify_all();
        refusal = std::move(*refused);
        return nullptr;
    }
    std::shared_ptr<const PluginSession> session{new PluginSession(plugin), &PluginSession::finish};
    auto &library = all.libraries.at(key);
    library.session = session;
    library.busy = false;
    all.changed.notify_all();
    return session;
}

void PluginSession::finish(const PluginSession *session) noexcept {
    auto &all = sessions();
    const void *key = session->library_->loaded_object();
    {
        const std::lock_guard lock{all.mutex};
        all.libraries.at(key).busy = true;
    }
    call_deinit(*session->library_);
    {
        const std::lock_guard lock{all.mutex};
        all.libraries.erase(key);
        all.changed.notify_all();
    }
    delete session; // the library may unload now
}

bool PluginSession::in_init_or_deinit(const PluginLibrary &plugin) {
    auto &all = sessions();
    const std::lock_guard lock{all.mutex};
    const auto found = all.libraries.find(plugin.loaded_object());
    return found != all.libraries.end() && found->second.busy;
}

} // namespace vitals
