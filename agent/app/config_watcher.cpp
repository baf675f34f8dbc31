// SPDX-License-Identifier: MIT
#include "app/config_watcher.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <utility>

#include "core/log.hpp"

namespace vitals {
namespace {

constexpr std::uint32_t interesting = IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM |
                                      IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;

} // namespace

bool ConfigWatcher::matters(const Watch &watch, std::string_view name) {
    if (name.empty()) return true; // the directory itself
    // A Kubernetes ConfigMap volume changes by swapping its "..data" link.
    if (name == "..data") return true;
    if (name.starts_with('.')) return false; // editors' swap and backup files
    if (!watch.only_name.empty()) return name == watch.only_name;
    return name.ends_with(watch.extension);
}

void ConfigWatcher::raise_sighup() {
    ::kill(::getpid(), SIGHUP);
}

ConfigWatcher::ConfigWatcher(Paths paths, std::chrono::milliseconds debounce, OnChange on_change)
    : debounce_(debounce), on_change_(std::move(on_change)) {
    inotify_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (inotify_ < 0 || pipe2(stop_pipe_, O_CLOEXEC) != 0) {
        log(LogLevel::warning, "watcher", "cannot watch the configuration ({}); reload with SIGHUP",
            std::strerror(errno));
        return;
    }
    const auto add = [&](const std::filesystem::path &dir, Watch watch) {
        const int wd = inotify_add_watch(inotify_, dir.c_str(), interesting);
        if (wd < 0)
            log(LogLevel::warning, "watcher", "cannot watch {}: {}", dir.string(),
                std::strerror(errno));
        else
            watches_[wd] = std::move(watch);
    };
    add(paths.conf_d, {"", ".toml"});
    if (paths.agent_file)
        add(std::filesystem::absolute(*paths.agent_file).parent_path(),
            {paths.agent_file->filename().string(), ""});
    for (const auto &dir : paths.plugin_dirs)
        add(dir, {"", ".so"});
    thread_ = std::thread{[this] { watch_loop(); }};
}

ConfigWatcher::~ConfigWatcher() {
    if (thread_.joinable()) {
        const char stop = 1;
        [[maybe_unused]] const auto written = ::write(stop_pipe_[1], &stop, 1);
        thread_.join();
    }
    for (int fd : {inotify_, stop_pipe_[0], stop_pipe_[1]})
        if (fd >= 0) ::close(fd);
}

void ConfigWatcher::watch_loop() {
    alignas(inotify_event) std::array<char, 8192> buffer{};
    bool pending = false;
    while (true) {
        std::array<pollfd, 2> fds{{{inotify_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}}};
        // While a change is pending, wait only for quiet; then reload once.
        const int ready =
            ::poll(fds.data(), fds.size(), pending ? static_cast<int>(debounce_.count()) : -1);
        if (ready < 0 && errno == EINTR) continue;
        if (fds[1].revents) return;
        if (ready == 0 && pending) {
            pending = false;
            log(LogLevel::info, "watcher", "configuration changed on disk; reloading");
            on_change_();
            continue;
        }
        const ssize_t length = ::read(inotify_, buffer.data(), buffer.size());
        for (ssize_t offset = 0; offset < length;) {
            const auto *event = reinterpret_cast<const inotify_event *>(buffer.data() + offset);
            const auto watch = watches_.find(event->wd);
            if (watch != watches_.end() && matters(watch->second, event->len ? event->name : ""))
                pending = true;
            offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
        }
    }
}

} // namespace vitals
