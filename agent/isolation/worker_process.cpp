// The agent's end of one plugin worker process. SPDX-License-Identifier: MIT
#include "isolation/worker_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace vitals {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// How long reap() waits for a worker that closed its socket to finish exiting by itself.
constexpr auto exit_after_hangup = 1s;

[[noreturn]] void throw_errno(int error, const std::string &what) {
    throw std::system_error{error, std::generic_category(), what};
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

/// Starts `program --plugin-worker 3 CHECK` with one end of a new socket pair on descriptor 3
/// and puts the other, non-blocking, in `ours`. The worker has a process group of its own,
/// so that a timeout kills whatever the plugin started too, and otherwise the agent's
/// session, standard streams (its log goes where the agent's goes) and environment; of the
/// signals only SIGPIPE starts at its default (the agent ignores it; the worker decides).
plugins::ChildProcess start_worker(const std::filesystem::path &program, const std::string &check,
                                   plugins::UniqueFd &ours) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        throw_errno(errno, "socketpair");
    ours.reset(pair[0]);
    const plugins::UniqueFd theirs{pair[1]};
    const std::string path = program.string();
    try {
        plugins::ChildProcess worker{plugins::SpawnSpec{
            .program = path,
            .argv = {display_name(program), "--plugin-worker", std::to_string(worker_socket_fd),
                     check},
            .descriptors = {{theirs.get(), worker_socket_fd}},
            .group = plugins::ProcessGroup::own_group,
            .signal_defaults = plugins::SignalDefaults::sigpipe,
        }};
        const int flags = ::fcntl(ours.get(), F_GETFL);
        ::fcntl(ours.get(), F_SETFL, flags | O_NONBLOCK);
        return worker;
    } catch (const std::system_error &e) {
        throw std::system_error{e.code(), "cannot start plugin worker " + path};
    }
}

} // namespace

std::string describe_worker_exit(int wait_status, std::string_view during) {
    if (wait_status == plugins::ChildProcess::reaped_elsewhere)
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

WorkerProcess::WorkerProcess(const std::filesystem::path &program, const std::string &check)
    : process_(start_worker(program, check, socket_)) {}

WorkerProcess::~WorkerProcess() {
    socket_.reset(); // an idle worker reads end-of-file and exits
    if (!busy_) process_.wait_for_exit(Clock::now() + idle_exit_grace);
    process_.kill_and_reap(); // at once if it was reaped already
}

WorkerProcess::Outcome WorkerProcess::send(const wire::Message &message, TimePoint until) {
    const std::string frame = wire::encode(message);
    std::size_t sent = 0;
    busy_ = true;
    while (sent < frame.size()) {
        const ssize_t n = ::send(socket_.get(), frame.data() + sent, frame.size() - sent,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
            sent += static_cast<std::size_t>(n);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (const auto outcome = wait_ready(socket_.get(), POLLOUT, process_.exit_fd(), until);
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
        const ssize_t n = ::recv(socket_.get(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) {
            inbox_.append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0) {
            return Outcome::gone;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (const auto outcome = wait_ready(socket_.get(), POLLIN, process_.exit_fd(), until);
                outcome != Outcome::ok)
                return outcome;
        } else if (errno != EINTR) {
            return Outcome::gone;
        }
    }
}

int WorkerProcess::kill() {
    return process_.kill_and_reap();
}

int WorkerProcess::reap() {
    process_.wait_for_exit(Clock::now() + exit_after_hangup);
    return process_.kill_and_reap();
}

} // namespace vitals
