// A child process: started with posix_spawn(), watched through a pidfd, signalled as a
// process group, and reaped. SPDX-License-Identifier: MIT
#pragma once

#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/fd.hpp>

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace vitals::plugins {

/// Either way the child leads a process group of its own, so that whatever it starts can be
/// signalled with it.
enum class ProcessGroup {
    own_group,   ///< a new group in our session
    own_session, ///< a new session: also no controlling terminal to read a password from
};

/// Which signals the child starts with at their default action. Its signal mask is always
/// empty: threads here block signals for sigwait(), and a mask survives exec.
enum class SignalDefaults {
    sigpipe, ///< SIGPIPE, which the agent ignores: for a program of ours that sets up the rest
    all,     ///< every signal, as a shell leaves them: for other people's commands
};

/// A descriptor of ours that the child finds at a fixed number.
struct PlacedFd {
    int ours;
    int theirs;
};

/// What to start, and how. Everything the child needs is prepared here, before any process
/// is created. Every member has a default, so designated initializers may leave any out.
struct SpawnSpec {
    std::string program{};           ///< the executable's path
    std::vector<std::string> argv{}; ///< argv[0] included
    /// "NAME=value", the child's whole environment; unset: this process's own.
    std::optional<std::vector<std::string>> environment{};
    /// Descriptors the child gets, in any order. Every descriptor above the highest of them
    /// and stderr is closed in the child, close-on-exec or not: libraries in the agent open
    /// some without it (Poco's sockets), and a child holding the listening socket would keep
    /// the port after the agent died. (Numbers between stderr and a placed one that are not
    /// placed themselves stay as they are: place from 3 up without gaps.)
    std::vector<PlacedFd> descriptors{};
    bool stdin_from_null = false; ///< standard input reads /dev/null instead of ours
    std::string working_dir{};    ///< empty: ours
    ProcessGroup group = ProcessGroup::own_group;
    SignalDefaults signal_defaults = SignalDefaults::all;
};

/// How a child ended, as seen before it is reaped.
struct ChildExit {
    bool known = true; ///< false: someone else reaped it (SIGCHLD ignored), and how is lost
    int how = 0;       ///< CLD_EXITED, CLD_KILLED or CLD_DUMPED
    int status = 0;    ///< exit status or signal number
};

/// One child process, from its start until it is reaped. Until then its PID, and so its
/// process group ID, cannot be reused, which is what makes signal_group() safe: exited()
/// therefore looks without reaping, and only reap() reaps. Not thread-safe: one owner.
class ChildProcess {
public:
    /// Starts it; throws std::system_error with posix_spawn's errno (ENOENT, EACCES, ENOEXEC:
    /// glibc reports exec failures there and reaps that child itself) when it cannot.
    explicit ChildProcess(const SpawnSpec &spec);
    /// A child neither reaped nor abandoned is killed with its whole group and reaped: none
    /// outlives its owner, exceptions included.
    ~ChildProcess();
    ChildProcess(ChildProcess &&other) noexcept;
    ChildProcess &operator=(ChildProcess &&) = delete;
    ChildProcess(const ChildProcess &) = delete;
    ChildProcess &operator=(const ChildProcess &) = delete;

    pid_t pid() const noexcept { return pid_; }

    /// Readable once the child has exited (a pidfd), for poll() beside other descriptors; -1
    /// on kernels before 5.3, where exited() has to be asked again now and then.
    int exit_fd() const noexcept { return pidfd_.get(); }

    /// How it ended, once it has; nothing while it runs.
    std::optional<ChildExit> exited();

    /// Waits until it has exited or `until` passes; true once it has exited.
    bool wait_for_exit(Clock::time_point until);

    /// Sends `signal` to its whole process group; nothing once it is reaped or abandoned.
    void signal_group(int signal) const noexcept;

    /// Waits for it to exit and reaps it: its wait status, or reaped_elsewhere.
    int reap();

    /// SIGKILLs its whole group, then reaps it: what it left running dies with it.
    int kill_and_reap();

    /// Lets go of it unreaped, for a child stuck in the kernel even after SIGKILL, which the
    /// caller reaps later instead of waiting here; returns its PID.
    pid_t abandon() noexcept;

    /// reap()'s answer when the wait status is lost: someone else reaped it.
    static constexpr int reaped_elsewhere = -1;

private:
    bool settled() const noexcept { return wait_status_.has_value() || abandoned_; }
    bool reaped_elsewhere_already() const noexcept;

    pid_t pid_ = -1;
    UniqueFd pidfd_;
    std::optional<ChildExit> exit_;
    std::optional<int> wait_status_; ///< set once reaped
    bool abandoned_ = false;
};

} // namespace vitals::plugins
