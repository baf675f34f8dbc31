// Reload on edit: inotify on conf.d, agent.toml and the plugin directories.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace vitals {

/// Watches the configuration's files and raises SIGHUP once changes have
/// settled (an editor's save is several events: one reload, not five).
class ConfigWatcher {
public:
    struct Paths {
        std::filesystem::path conf_d;
        std::optional<std::filesystem::path> agent_file;
        std::vector<std::filesystem::path> plugin_dirs;

        bool operator==(const Paths &) const = default;
    };

    ConfigWatcher(Paths paths, std::chrono::milliseconds debounce = std::chrono::milliseconds{300});
    ~ConfigWatcher();
    ConfigWatcher(const ConfigWatcher &) = delete;
    ConfigWatcher &operator=(const ConfigWatcher &) = delete;

private:
    /// Which names matter in one watched directory.
    struct Watch {
        std::string only_name; ///< agent.toml's directory: just that file
        std::string extension; ///< ".toml" for conf.d, ".so" for plugins
    };

    void watch_loop();
    static bool matters(const Watch &watch, std::string_view name);

    std::map<int, Watch> watches_; ///< by inotify watch descriptor
    int inotify_ = -1;
    int stop_pipe_[2] = {-1, -1};
    std::chrono::milliseconds debounce_;
    std::thread thread_;
};

} // namespace vitals
