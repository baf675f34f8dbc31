// Which control group the agent runs in, and where its files are. SPDX-License-Identifier: MIT
#include <vitals_plugins/cgroup.hpp>
#include <vitals_plugins/fd.hpp>
#include <vitals_plugins/text.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <system_error>

namespace vitals::plugins::cgroup {
namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = std::min(text.find('\n', start), text.size());
        if (end > start) lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

bool listed(std::string_view list, std::string_view item) {
    std::size_t start = 0;
    while (start <= list.size()) {
        const auto end = std::min(list.find(',', start), list.size());
        if (list.substr(start, end - start) == item) return true;
        start = end + 1;
    }
    return false;
}

std::optional<std::uint64_t> number(std::string_view text) {
    text = trim(text);
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

/// The directory of `path` (a path in the hierarchy) under `mount`; nullopt when the mount
/// shows another part of the hierarchy.
std::optional<std::string> directory_of(const std::string &path, const MountEntry &mount) {
    const std::string &root = mount.root;
    if (root == "/") return mount.mount_point + (path == "/" ? "" : path);
    if (path == root) return mount.mount_point;
    if (path.starts_with(root) && path[root.size()] == '/')
        return mount.mount_point + path.substr(root.size());
    return std::nullopt;
}

} // namespace

std::vector<Membership> parse_proc_cgroup(std::string_view text) {
    std::vector<Membership> memberships;
    for (const auto line : lines_of(text)) {
        // "hierarchy-ID:controller-list:cgroup-path"; the path may hold ':' itself.
        const auto first = line.find(':');
        const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
        if (second == std::string_view::npos) continue;
        memberships.push_back({std::string{line.substr(first + 1, second - first - 1)},
                               std::string{line.substr(second + 1)}});
    }
    return memberships;
}

std::optional<Location> locate(std::string_view controller,
                               const std::vector<Membership> &memberships,
                               const std::vector<MountEntry> &mounts) {
    // v1 first: a controller bound to a v1 hierarchy is absent from v2 (hybrid set-ups).
    for (const Membership &membership : memberships) {
        if (membership.controllers.empty() || !listed(membership.controllers, controller)) continue;
        for (const MountEntry &mount : mounts) {
            if (mount.fs_type != "cgroup" || !listed(mount.super_options, controller)) continue;
            if (auto directory = directory_of(membership.path, mount))
                return Location{*directory, mount.mount_point, false};
        }
    }
    for (const Membership &membership : memberships) {
        if (!membership.controllers.empty()) continue;
        for (const MountEntry &mount : mounts) {
            if (mount.fs_type != "cgroup2") continue;
            if (auto directory = directory_of(membership.path, mount))
                return Location{*directory, mount.mount_point, true};
        }
    }
    return std::nullopt;
}

std::optional<Location> locate_own(std::string_view controller) {
    const auto cgroups = read_file("/proc/self/cgroup");
    const auto mountinfo = read_file("/proc/self/mountinfo");
    if (!cgroups || !mountinfo) return std::nullopt;
    return locate(controller, parse_proc_cgroup(*cgroups), parse_mountinfo(*mountinfo));
}

std::vector<std::string> levels(const Location &location) {
    std::vector<std::string> directories{location.directory};
    std::string directory = location.directory;
    while (directory.size() > location.mount_point.size()) {
        directory.resize(directory.rfind('/'));
        if (directory.size() < location.mount_point.size()) break;
        directories.push_back(directory);
    }
    return directories;
}

std::optional<std::string> read_file(const std::string &path) {
    const UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (!fd.valid()) return std::nullopt;
    std::string text;
    char buffer[4096];
    // Bounded: mountinfo in a container host can be long, but not this long.
    while (text.size() < 4 * 1024 * 1024) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::nullopt;
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
}

std::optional<std::uint64_t> read_number(const std::string &path) {
    const auto text = read_file(path);
    if (!text) return std::nullopt;
    return number(*text);
}

std::optional<std::uint64_t> stat_value(std::string_view text, std::string_view key) {
    for (const auto line : lines_of(text)) {
        if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ' ')
            return number(line.substr(key.size() + 1));
    }
    return std::nullopt;
}

} // namespace vitals::plugins::cgroup
