// Reload on edit: inotify on conf.d, agent.toml and the plugin directories.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace vitals {

/// Watches the configuration's files and asks for a reload once changes have
/// settled (an editor's save is several events: one reload, not five).
class ConfigWatcher {
public:
    /// What to do once changes have settled; called on the watcher's thread.
    using OnChange = std::function<void()>;

    struct Paths {
        std::filesystem::path conf_d;
        std::optional<std::filesystem::path> agent_file;
        std::vector<std::filesystem::path> plugin_dirs;

        bool operator==(const Paths &) const = default;
    };

    /// `on_change` runs once no change has come for `debounce`; the agent's raises SIGHUP,
    /// the same reload request an operator sends.
    ConfigWatcher(Paths paths, std::chrono::milliseconds debounce = std::chrono::milliseconds{300},
                  OnChange on_change = raise_sighup);
    ~ConfigWatcher();
    ConfigWatcher(const ConfigWatcher &) = delete;
    ConfigWatcher &operator=(const ConfigWatcher &) = delete;

    /// Which names matter in one watched directory.
    struct Watch {
        std::string only_name; ///< agent.toml's directory: just that file
        std::string extension; ///< ".toml" for conf.d, ".so" for plugins
    };
    /// Whether an event on `name` (empty: the directory itself) in a directory watched as
    /// `watch` may change the configuration.
    static bool matters(const Watch &watch, std::string_view name);

    /// Sends this process SIGHUP.
    static void raise_sighup();

private:
    void watch_loop();

    std::map<int, Watch> watches_; ///< by inotify watch descriptor
    int inotify_ = -1;
    int stop_pipe_[2] = {-1, -1};
    std::chrono::milliseconds debounce_;
    OnChange on_change_;
    std::thread thread_;
};

} // namespace vitals
