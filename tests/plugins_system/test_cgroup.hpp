// Control groups a test makes, puts itself and its children in, and removes: for the memory and
// cpu plugins' cgroup limits. Making one needs root; VITALS_REQUIRE_CGROUP_TEST=1 (CI, as root)
// makes a missing permission a failure instead of a skip. SPDX-License-Identifier: MIT
#pragma once

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include <vitals_plugins/cgroup.hpp>

#include "plugins_system/system_fixture.hpp"

namespace vitals::test::system {

/// Whether this test may make cgroups here. When not, it says why: as a skip (which the
/// suite's SKIP_REGULAR_EXPRESSION reports), or as a failure under VITALS_REQUIRE_CGROUP_TEST=1.
inline bool cgroups_available() {
    std::string reason;
    if (::geteuid() != 0)
        reason = "making cgroups needs root";
    else if (!plugins::cgroup::locate_own("memory") || !plugins::cgroup::locate_own("cpu"))
        reason = "no cgroup file system with the memory and cpu controllers is mounted";
    if (reason.empty()) return true;
    const char *required = std::getenv("VITALS_REQUIRE_CGROUP_TEST");
    if (required && std::string{required} == "1")
        FAIL(reason << ", and VITALS_REQUIRE_CGROUP_TEST=1 requires this test");
    MESSAGE("VITALS-SKIP: " << reason);
    return false;
}

/// A cgroup for one controller: a child of the test's own in a v1 hierarchy, or a child of
/// the v2 root (the only v2 cgroup that may have both processes and children). Removed when
/// the test ends; whatever the test started in it must have ended first.
class TestCgroup {
public:
    explicit TestCgroup(const std::string &controller) {
        const auto own = plugins::cgroup::locate_own(controller);
        REQUIRE_MESSAGE(own.has_value(), "no cgroup for " << controller);
        v2_ = own->v2;
        home_ = own->directory;
        const std::string name = "vitals-test-" + std::to_string(::getpid()) + "-" + controller;
        if (v2_) {
            path_ = own->mount_point + "/" + name;
            // The controller must be on for the root's children.
            require_written(own->mount_point + "/cgroup.subtree_control", "+" + controller);
        } else {
            path_ = home_ + "/" + name;
        }
        REQUIRE_MESSAGE(::mkdir(path_.c_str(), 0755) == 0,
                        "cannot make " << path_ << ": " << std::strerror(errno));
    }
    TestCgroup(const TestCgroup &) = delete;
    TestCgroup &operator=(const TestCgroup &) = delete;
    ~TestCgroup() {
        // No REQUIRE here: a destructor must not throw. Where the test process cannot go
        // back, rmdir fails too, and the directory stays for a person to see.
        write_file(home_ + "/cgroup.procs", std::to_string(::getpid()));
        // A killed process leaves its cgroup a moment after it is reaped.
        for (int attempt = 0; attempt < 100 && ::rmdir(path_.c_str()) != 0 && errno == EBUSY;
             ++attempt)
            std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }

    const std::string &path() const { return path_; }
    bool v2() const { return v2_; }

    void write(const std::string &file, const std::string &value) const {
        require_written(path_ + "/" + file, value);
    }
    std::string read(const std::string &file) const { return read_text(path_ + "/" + file); }

    /// Moves the test process in: what it starts from now on starts in here.
    void enter() const { write("cgroup.procs", std::to_string(::getpid())); }
    /// Moves the test process back to where it was; its children stay.
    void leave() const { require_written(home_ + "/cgroup.procs", std::to_string(::getpid())); }

private:
    /// Writes `value` to a cgroup file; the reason when it cannot, else "".
    static std::string write_file(const std::string &file, const std::string &value) {
        const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) return "cannot open " + file + ": " + std::strerror(errno);
        const ssize_t written = ::write(fd, value.data(), value.size());
        const int error = errno;
        ::close(fd);
        if (written != static_cast<ssize_t>(value.size()))
            return "cannot write " + value + " to " + file + ": " + std::strerror(error);
        return {};
    }

    static void require_written(const std::string &file, const std::string &value) {
        const std::string problem = write_file(file, value);
        REQUIRE_MESSAGE(problem.empty(), problem);
    }

    std::string path_;
    std::string home_;
    bool v2_ = false;
};

} // namespace vitals::test::system
