// A real, throwaway `systemd --user` for the systemd plugin's tests: never PID 1, in a mount
// namespace of its own (user_manager.sh), as a dedicated non-root user, with unit files the
// test writes. SPDX-License-Identifier: MIT
#pragma once

#include "service_process.hpp"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace vitals::test::systemd {

using namespace vitals::test::services;
namespace fs = std::filesystem;

/// The non-root user every test manager runs as, created (as a system user with no home and
/// no shell) the first time a test needs it.
inline constexpr const char *manager_user = "vitals-systemd-test";

inline const passwd &ensure_manager_user() {
    if (const passwd *entry = ::getpwnam(manager_user)) return *entry;
    // Two test processes may race here: whichever useradd loses fails, and the user is there.
    run_command({"useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                 "/nonexistent", "--shell", "/usr/sbin/nologin", manager_user},
                {}, 30s);
    const passwd *entry = ::getpwnam(manager_user);
    if (!entry) throw std::runtime_error(std::string{"cannot create the user "} + manager_user);
    return *entry;
}

/// `systemd --user` with its own HOME (where the unit files are) and XDG_RUNTIME_DIR (where
/// its private socket is), both under /run: not under /tmp, which the manager's namespace
/// replaces with an empty tmpfs. Stopped by PID; what it leaves in its cgroups is killed.
class UserManager {
public:
    /// Starts a manager that finds `units` (file name -> contents) in ~/.config/systemd/user.
    explicit UserManager(const std::map<std::string, std::string> &units) {
        const passwd &user = ensure_manager_user();
        uid_ = user.pw_uid;
        gid_ = user.pw_gid;
        std::string pattern = "/run/vitals-systemd-XXXXXX";
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp under /run failed");
        base_ = pattern;
        fs::permissions(base_,
                        fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
        make_owned(base_ / "home", 0700);
        make_owned(base_ / "runtime", 0700);
        for (const auto &[name, text] : units)
            write_owned(unit_dir() / name, text);
        try {
            start();
        } catch (...) {
            clean_up();
            throw;
        }
    }

    ~UserManager() { clean_up(); }
    UserManager(const UserManager &) = delete;
    UserManager &operator=(const UserManager &) = delete;

    fs::path runtime_dir() const { return base_ / "runtime"; }
    fs::path socket() const { return runtime_dir() / "systemd" / "private"; }
    /// The `bus` parameter that reaches this manager.
    std::string address() const { return "unix:path=" + socket().string(); }
    std::string log() const { return read_text(base_ / "manager.log"); }

    /// Runs `argv` as the manager's user, in the environment its own clients have (HOME,
    /// XDG_RUNTIME_DIR), and returns what it printed and how it exited.
    CommandOutput as_user(const std::vector<std::string> &argv) const {
        std::vector<std::string> command{"setpriv",
                                         "--reuid=" + std::to_string(uid_),
                                         "--regid=" + std::to_string(gid_),
                                         "--init-groups",
                                         "env",
                                         "-i",
                                         "PATH=/usr/bin:/bin",
                                         "HOME=" + (base_ / "home").string(),
                                         "XDG_RUNTIME_DIR=" + runtime_dir().string()};
        // A sanitizer build's options (suppressions among them) reach the test's own children
        // through the environment, which env -i would drop.
        for (const char *name : {"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"})
            if (const char *value = std::getenv(name))
                command.push_back(std::string{name} + "=" + value);
        command.insert(command.end(), argv.begin(), argv.end());
        return run_command(command, {}, 30s);
    }

    /// `systemctl --user ARGS` as the manager's user; throws when it does not succeed.
    std::string systemctl(const std::vector<std::string> &args) const {
        std::vector<std::string> argv{"systemctl", "--user", "--no-pager"};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto result = as_user(argv);
        if (result.exit_code != 0)
            throw std::runtime_error("systemctl --user failed (" +
                                     std::to_string(result.exit_code) + "): " + result.output);
        return result.output;
    }

    /// One property of a unit, as `systemctl show -p NAME --value` prints it.
    std::string property(const std::string &unit, const std::string &name) const {
        std::vector<std::string> args{"show", "--property=" + name, "--value"};
        if (!unit.empty()) args.push_back(unit); // none: the manager's own property
        auto value = systemctl(args);
        while (!value.empty() && value.back() == '\n')
            value.pop_back();
        return value;
    }

private:
    void start() {
        delegate_cgroups();
        pid_ = start_background(
            [&] {
                std::vector<std::string> argv{"unshare",
                                              "--mount",
                                              "--propagation",
                                              "private",
                                              USER_MANAGER_SCRIPT,
                                              manager_user,
                                              (base_ / "home").string(),
                                              runtime_dir().string()};
                for (const auto &cgroup : cgroups_)
                    argv.push_back(cgroup.string());
                return argv;
            }(),
            {}, base_ / "manager.log");
        if (!eventually([&] { return fs::exists(socket()) || !process_alive(pid_); }, 15s) ||
            !process_alive(pid_))
            throw std::runtime_error("systemd --user did not start:\n" + log());
        // The socket comes first; the state says when the manager has reached its target.
        const bool started = eventually(
            [&] {
                const auto state = system_state();
                return state == "running" || state == "degraded";
            },
            15s);
        if (!started) throw std::runtime_error("systemd --user did not finish starting:\n" + log());
    }

    /// Stops the manager by PID, then kills what it left in its cgroups and removes them.
    void clean_up() {
        if (pid_ > 0) stop_pid(pid_, SIGTERM, 5s);
        for (const auto &cgroup : cgroups_)
            remove_cgroup(cgroup);
        std::error_code ignored;
        fs::remove_all(base_, ignored);
    }

    fs::path unit_dir() const { return base_ / "home" / ".config" / "systemd" / "user"; }

    std::string system_state() const {
        try {
            return property("", "SystemState");
        } catch (const std::runtime_error &) {
            return {};
        }
    }

    void make_owned(const fs::path &dir, mode_t mode) const {
        fs::create_directories(dir);
        if (::chown(dir.c_str(), uid_, gid_) != 0 || ::chmod(dir.c_str(), mode) != 0)
            throw std::runtime_error("cannot hand " + dir.string() + " to " + manager_user);
    }

    void write_owned(const fs::path &file, const std::string &text) const {
        for (fs::path dir = base_ / "home";
             const auto &part : fs::relative(file.parent_path(), base_ / "home")) {
            dir /= part;
            make_owned(dir, 0755);
        }
        std::ofstream{file} << text;
        if (::chown(file.c_str(), uid_, gid_) != 0)
            throw std::runtime_error("cannot hand " + file.string() + " to " + manager_user);
    }

    /// A cgroup per hierarchy that the manager's user owns: systemd puts each unit in a
    /// subgroup of its own. A hybrid host (cgroup v1 with a unified tree beside it, as this
    /// one is) needs one in the unified and one in the name=systemd hierarchy.
    void delegate_cgroups() {
        static std::atomic<int> counter{0};
        const std::string name =
            "vitals-systemd-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
        if (fs::exists("/sys/fs/cgroup/cgroup.controllers"))
            cgroups_ = {fs::path{"/sys/fs/cgroup"} / name};
        else
            cgroups_ = {fs::path{"/sys/fs/cgroup/unified"} / name,
                        fs::path{"/sys/fs/cgroup/systemd"} / name};
        for (const auto &cgroup : cgroups_) {
            fs::create_directory(cgroup);
            for (const auto &entry : fs::recursive_directory_iterator{cgroup})
                if (::chown(entry.path().c_str(), uid_, gid_) != 0)
                    throw std::runtime_error("cannot delegate " + entry.path().string());
            if (::chown(cgroup.c_str(), uid_, gid_) != 0)
                throw std::runtime_error("cannot delegate " + cgroup.string());
        }
    }

    /// Kills whatever a stopped manager left in `cgroup` (by PID, from its cgroup.procs
    /// files), then removes its groups, deepest first.
    static void remove_cgroup(const fs::path &cgroup) {
        if (!fs::exists(cgroup)) return;
        const auto groups = [&] {
            std::vector<fs::path> dirs{cgroup};
            for (const auto &entry : fs::recursive_directory_iterator{cgroup})
                if (entry.is_directory()) dirs.push_back(entry.path());
            std::sort(dirs.begin(), dirs.end(), [](const fs::path &a, const fs::path &b) {
                return a.string().size() > b.string().size();
            });
            return dirs;
        };
        eventually(
            [&] {
                bool empty = true;
                for (const auto &dir : groups()) {
                    std::ifstream procs{dir / "cgroup.procs"};
                    for (pid_t pid = 0; procs >> pid;) {
                        ::kill(pid, SIGKILL);
                        empty = false;
                    }
                }
                return empty;
            },
            10s);
        for (const auto &dir : groups())
            ::rmdir(dir.c_str());
    }

    uid_t uid_ = 0;
    gid_t gid_ = 0;
    fs::path base_;
    std::vector<fs::path> cgroups_;
    pid_t pid_ = -1;
};

} // namespace vitals::test::systemd
