// SPDX-License-Identifier: MIT
//
// posix_spawn rather than fork: glibc implements it with clone(CLONE_VM | CLONE_VFORK), so
// nothing of the multithreaded agent runs between the clone and the exec, and the agent's
// size does not matter. The child gets the socket on descriptor 3 and closes every other
// descriptor above 2 (Poco's sockets are not close-on-exec, and a worker holding the listening
// socket would keep the port after the agent died).
#include "isolation/worker_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <utility>

#include <fmt/format.h>

#include "core/fd.hpp"

extern char **environ;

namespace vitals {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// How long reap() waits for a worker that closed its socket to finish exiting by itself.
constexpr auto exit_after_hangup = 1s;
/// Without a pidfd, how often an exit is looked for.
constexpr auto exit_poll_tick = 10ms;

[[noreturn]] void throw_errno(int error, const std::string &what) {
    throw std::system_error{error, std::generic_category(), what};
}

class SpawnSetup {
public:
    SpawnSetup() {
        ::posix_spawn_file_actions_init(&actions_);
        ::posix_spawnattr_init(&attributes_);
    }
    ~SpawnSetup() {
        ::posix_spawn_file_actions_destroy(&actions_);
        ::posix_spawnattr_destroy(&attributes_);
    }
    SpawnSetup(const SpawnSetup &) = delete;
    SpawnSetup &operator=(const SpawnSetup &) = delete;

    /// The first nonzero return code of the setup calls, or 0.
    int prepare(int child_socket) {
        int rc = ::posix_spawn_file_actions_adddup2(&actions_, child_socket, worker_socket_fd);
        if (rc == 0)
            rc = ::posix_spawn_file_actions_addclosefrom_np(&actions_, worker_socket_fd + 1);
        // Its own process group, so a timeout kills whatever the plugin started too; an empty
        // signal mask (scheduler threads block SIGTERM for the agent's sigwait) and a default
        // SIGPIPE (the agent ignores it; the worker decides for itself).
        sigset_t empty, defaults;
        sigemptyset(&empty);
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGPIPE);
        if (rc == 0)
            rc = ::posix_spawnattr_setflags(&attributes_, POSIX_SPAWN_SETPGROUP |
                                                              POSIX_SPAWN_SETSIGMASK |
                                                              POSIX_SPAWN_SETSIGDEF);
        if (rc == 0) rc = ::posix_spawnattr_setpgroup(&attributes_, 0);
        if (rc == 0) rc = ::posix_spawnattr_setsigmask(&attributes_, &empty);
        if (rc == 0) rc = ::posix_spawnattr_setsigdefault(&attributes_, &defaults);
        return rc;
    }

    const posix_spawn_file_actions_t *actions() const { return &actions_; }
    const posix_spawnattr_t *attributes() const { return &attributes_; }

private:
    posix_spawn_file_actions_t actions_{};
    posix_spawnattr_t attributes_{};
};

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); // always close-on-exec
#else
    (void)pid;
    return -1;
#endif
}

/// argv[0]: what /proc/self/exe stands for, so `ps` shows the agent's real path.
std::string display_name(const std::filesystem::path &program) {
    std::error_code error;
    const auto target = std::filesystem::read_symlink(program, error);
    return error ? program.string() : target.string();
}

timespec to_timespec(Clock::duration left) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

/// Polls `fd` for `events` (and the pidfd, if any, for the exit) until `until`.
WorkerProcess::Outcome wait_ready(int fd, short events, int pidfd, Clock::time_point until) {
    while (true) {
        const auto left = until - Clock::now();
        if (left <= Clock::duration::zero()) return WorkerProcess::Outcome::timeout;
        pollfd fds[2] = {{fd, events, 0}, {pidfd, POLLIN, 0}};
        const timespec timeout = to_timespec(left);
        const int rc = ::ppoll(fds, pidfd >= 0 ? 2 : 1, &timeout, nullptr);
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) return WorkerProcess::Outcome::gone;
        // Readable or hung up: the read or write itself says which.
        if (fds[0].revents != 0) return WorkerProcess::Outcome::ok;
        if (pidfd >= 0 && fds[1].revents != 0) return WorkerProcess::Outcome::gone;
    }
}

} // namespace

std::string describe_worker_exit(int wait_status, std::string_view during) {
    if (wait_status == -1)
        return fmt::format("worker ended{} (its exit status was reaped elsewhere)", during);
    if (WIFSIGNALED(wait_status)) {
        const int signal = WTERMSIG(wait_status);
        if (const char *name = ::sigabbrev_np(signal))
            return fmt::format("plugin crashed{}: SIG{}", during, name);
        return fmt::format("plugin crashed{}: signal {}", during, signal);
    }
    if (WIFEXITED(wait_status))
        return fmt::format("worker exited{} with code {}", during, WEXITSTATUS(wait_status));
    return fmt::format("worker ended{} with wait status {:#x}", during, wait_status);
}

WorkerProcess::WorkerProcess(const std::filesystem::path &program, const std::string &check) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        throw_errno(errno, "socketpair");
    Fd ours{pair[0]};
    Fd theirs{pair[1]};
    if (theirs.get() <= worker_socket_fd) {
        // dup2(3, 3) would leave close-on-exec set: move it out of the way first.
        const int moved = ::fcntl(theirs.get(), F_DUPFD_CLOEXEC, worker_socket_fd + 1);
        if (moved < 0) throw_errno(errno, "fcntl(F_DUPFD_CLOEXEC)");
        theirs.reset(moved);
    }
    SpawnSetup setup;
    if (const int rc = setup.prepare(theirs.get())) throw_errno(rc, "posix_spawn setup");

    std::string path = program.string();
    std::string name = display_name(program);
    std::string mode = "--plugin-worker";
    std::string fd_text = std::to_string(worker_socket_fd);
    std::string check_text = check;
    char *argv[] = {name.data(), mode.data(), fd_text.data(), check_text.data(), nullptr};
    if (const int rc =
            ::posix_spawn(&pid_, path.c_str(), setup.actions(), setup.attributes(), argv, environ))
        throw_errno(rc, "cannot start plugin worker " + path);

    const int flags = ::fcntl(ours.get(), F_GETFL);
    ::fcntl(ours.get(), F_SETFL, flags | O_NONBLOCK);
    socket_ = ours.release();
    pidfd_ = open_pidfd(pid_);
}

WorkerProcess::~WorkerProcess() {
    if (socket_ >= 0) ::close(socket_); // an idle worker reads end-of-file and exits
    if (!status_) {
        if (!busy_) wait_for_exit(Clock::now() + idle_exit_grace);
        kill_group_and_reap();
    }
    if (pidfd_ >= 0) ::close(pidfd_);
}

WorkerProcess::Outcome WorkerProcess::send(const wire::Message &message, TimePoint until) {
    const std::string frame = wire::encode(message);
    std::size_t sent = 0;
    busy_ = true;
    while (sent < frame.size()) {
        const ssize_t n =
            ::send(socket_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
            sent += static_cast<std::size_t>(n);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (const auto outcome = wait_ready(socket_, POLLOUT, pidfd_, until);
                outcome != Outcome::ok)
                return outcome;
        } else if (errno != EINTR) {
            return Outcome::gone; // EPIPE, ECONNRESET: the worker is dead or dying
        }
    }
    return Outcome::ok;
}

WorkerProcess::Outcome WorkerProcess::receive(wire::Message &message, TimePoint until) {
    char buffer[16 * 1024];
    while (true) {
        if (inbox_.size() >= wire::frame_prefix_bytes) {
            const std::uint32_t length = wire::frame_length(inbox_.data());
            if (length > wire::max_frame_bytes) return Outcome::garbage;
            if (inbox_.size() >= wire::frame_prefix_bytes + length) {
                auto decoded =
                    wire::decode(std::string_view{inbox_}.substr(wire::frame_prefix_bytes, length));
                inbox_.erase(0, wire::frame_prefix_bytes + length);
                if (!decoded) return Outcome::garbage;
                message = std::move(*decoded);
                busy_ = false;
                return Outcome::ok;
            }
        }
        const ssize_t n = ::recv(socket_, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) {
            inbox_.append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0) {
            return Outcome::gone;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (const auto outcome = wait_ready(socket_, POLLIN, pidfd_, until);
                outcome != Outcome::ok)
                return outcome;
        } else if (errno != EINTR) {
            return Outcome::gone;
        }
    }
}

int WorkerProcess::kill() {
    ::kill(-pid_, SIGKILL);
    return kill_group_and_reap();
}

int WorkerProcess::reap() {
    wait_for_exit(Clock::now() + exit_after_hangup);
    return kill_group_and_reap();
}

bool WorkerProcess::wait_for_exit(TimePoint until) const {
    while (true) {
        if (pidfd_ >= 0) {
            const auto left = until - Clock::now();
            pollfd fd{pidfd_, POLLIN, 0};
            const timespec timeout = to_timespec(std::max(left, Clock::duration::zero()));
            const int rc = ::ppoll(&fd, 1, &timeout, nullptr);
            if (rc < 0 && errno == EINTR) continue;
            return rc > 0;
        }
        // Looked at without reaping (WNOWAIT), so the PID stays ours until kill_group_and_reap.
        siginfo_t info{};
        if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
            if (errno == EINTR) continue;
            return true; // ECHILD: reaped elsewhere, so certainly not running
        }
        if (info.si_pid == pid_) return true;
        if (Clock::now() >= until) return false;
        std::this_thread::sleep_for(exit_poll_tick);
    }
}

int WorkerProcess::kill_group_and_reap() {
    // Until the worker is reaped its PID, and so its group ID, cannot be reused: killing the
    // group now reaches only what the plugin left behind.
    ::kill(-pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
        if (errno != EINTR) {
            status = -1; // ECHILD: someone else reaped it
            break;
        }
    }
    status_ = status;
    return status;
}

} // namespace vitals
