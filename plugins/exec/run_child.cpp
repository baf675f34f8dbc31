// Running one external command under a deadline. SPDX-License-Identifier: MIT
//
// All descriptors this file creates are O_CLOEXEC, and the child closes every descriptor
// above 2 anyway (ChildProcess), so commands started at once from several threads never
// inherit each other's pipes or the agent's sockets.
#include "run_child.hpp"

#include <vitals_plugins/child_process.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/fd.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <optional>
#include <system_error>
#include <utility>

namespace vitals_exec {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

/// How long output is still read once the leader has exited and its group is killed: a
/// descendant that left the group (setsid) may hold the pipe open for ever.
constexpr nanoseconds after_exit_drain = 500ms;

/// Without a pidfd, how often the exit of a child that keeps its pipes open is looked for.
constexpr nanoseconds exit_poll_tick = 10ms;

using Fd = vitals::plugins::UniqueFd;
using vitals::plugins::ChildExit;
using vitals::plugins::ChildProcess;
using vitals::plugins::poll_timeout_ms;
using vitals::plugins::ProcessGroup;
using vitals::plugins::SignalDefaults;
using vitals::plugins::SpawnSpec;

struct Pipe {
    Fd read;
    Fd write;
};

/// A pipe whose read end (ours) is non-blocking. The write end stays blocking: the flag
/// lives on the shared open file description, and a child whose stdout returned EAGAIN
/// would lose output.
std::optional<Pipe> make_pipe(int &error) {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
        error = errno;
        return std::nullopt;
    }
    Pipe pipe{Fd{fds[0]}, Fd{fds[1]}};
    const int flags = ::fcntl(pipe.read.get(), F_GETFL);
    if (flags < 0 || ::fcntl(pipe.read.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
        error = errno;
        return std::nullopt;
    }
    return pipe;
}

/// Children we killed but stopped waiting for (stuck in the kernel even after SIGKILL).
/// Every later run reaps those that have died since, so none stays a zombie.
std::mutex orphans_mutex;
std::vector<pid_t> orphans;

void reap_orphans() {
    const std::lock_guard lock{orphans_mutex};
    std::erase_if(orphans, [](pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) != 0; });
}

void adopt_orphan(pid_t pid) {
    const std::lock_guard lock{orphans_mutex};
    orphans.push_back(pid);
}

/// Process groups of the children running right now, so that none outlives the agent: a
/// stopping agent abandons runs still going after a few seconds, and a child in a session of
/// its own would otherwise run on. Lock-free slots (0 = free), so that the exit handler can
/// read them while runs are still under way on other threads.
std::array<std::atomic<pid_t>, 1024> live_groups{};

void kill_live_groups() noexcept {
    for (auto &slot : live_groups)
        if (const pid_t pid = slot.load(); pid > 0) ::kill(-pid, SIGKILL);
}

/// Kills the live groups when this library is unloaded or the process exits.
struct KillAtUnload {
    ~KillAtUnload() { kill_live_groups(); }
};

/// Registers a running child's group; must end before the child is reaped, while its PID
/// (and so its group ID) still cannot be reused.
class LiveGroup {
public:
    explicit LiveGroup(pid_t pid) noexcept {
        // Runs at exit, or at dlclose() of this plugin, whichever comes first. A static's
        // destructor rather than std::atexit(): the compiler registers it with this
        // library's __dso_handle, while an atexit() resolved to an interposer (TSan's)
        // is tied to no library and ran after the dlclose(), calling into unmapped code.
        static const KillAtUnload kill_at_unload;
        (void)kill_at_unload;
        for (auto &slot : live_groups) {
            pid_t expected = 0;
            if (slot.compare_exchange_strong(expected, pid)) {
                slot_ = &slot;
                return;
            }
        }
        // All slots taken (over a thousand commands at once): run untracked.
    }
    LiveGroup(const LiveGroup &) = delete;
    LiveGroup &operator=(const LiveGroup &) = delete;
    ~LiveGroup() { release(); }

    void release() noexcept {
        if (slot_) slot_->store(0);
        slot_ = nullptr;
    }

private:
    std::atomic<pid_t> *slot_ = nullptr;
};

/// Reads one pipe: keeps up to `limit` bytes and drains the rest, so that a chatty command
/// never blocks on a full pipe.
class Capture {
public:
    Capture(Fd fd, std::string &data, std::size_t limit, bool &truncated)
        : fd_(std::move(fd)), data_(data), limit_(limit), truncated_(truncated) {}

    bool open() const { return fd_.valid(); }
    int fd() const { return fd_.get(); }

    void read_available(std::string &buffer) {
        while (fd_.valid()) {
            const ssize_t n = ::read(fd_.get(), buffer.data(), buffer.size());
            if (n > 0) {
                const auto got = static_cast<std::size_t>(n);
                const std::size_t room = limit_ - std::min(limit_, data_.size());
                data_.append(buffer.data(), std::min(room, got));
                if (got > room) truncated_ = true;
            } else if (n == 0) {
                fd_.reset(); // end of file: every writer has closed it
            } else if (errno == EINTR) {
                continue;
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return;
            } else {
                fd_.reset(); // nothing more can be read from it
            }
        }
    }

private:
    Fd fd_;
    std::string &data_;
    std::size_t limit_;
    bool &truncated_;
};

/// The running child: its pipes, its exit, and the waiting between.
class Child {
public:
    Child(ChildProcess process, Capture out, Capture err)
        : process_(std::move(process)), out_(std::move(out)), err_(std::move(err)) {}

    ChildProcess &process() { return process_; }
    const std::optional<ChildExit> &exit() const { return exit_; }
    bool output_open() const { return out_.open() || err_.open(); }

    bool check_exit() {
        if (!exit_) exit_ = process_.exited();
        return exit_.has_value();
    }

    /// Reads output and watches for the exit until something happens or `until` passes.
    void wait(Clock::time_point until) {
        std::array<pollfd, 3> fds{};
        std::size_t count = 0;
        int out_index = -1, err_index = -1;
        if (out_.open()) out_index = static_cast<int>(count), fds[count++] = {out_.fd(), POLLIN, 0};
        if (err_.open()) err_index = static_cast<int>(count), fds[count++] = {err_.fd(), POLLIN, 0};
        const bool watch_exit = !exit_;
        const int exit_fd = process_.exit_fd();
        if (watch_exit && exit_fd >= 0) fds[count++] = {exit_fd, POLLIN, 0};
        nanoseconds left = until - Clock::now();
        if (watch_exit && exit_fd < 0) left = std::min(left, exit_poll_tick);
        if (count == 0 && !watch_exit) return;
        const int ready = ::poll(fds.data(), count, poll_timeout_ms(left));
        if (ready <= 0) return; // timeout, or EINTR: the caller's loop decides
        if (out_index >= 0 && fds[static_cast<std::size_t>(out_index)].revents)
            out_.read_available(buffer_);
        if (err_index >= 0 && fds[static_cast<std::size_t>(err_index)].revents)
            err_.read_available(buffer_);
    }

    /// Waits, reading output meanwhile, until the leader exits or `until` passes: a command
    /// that writes as it stops must not block on a full pipe.
    void wait_for_exit(Clock::time_point until) {
        while (!check_exit() && Clock::now() < until)
            wait(until);
    }

private:
    ChildProcess process_; ///< if an exception (bad_alloc) cuts the run short, it kills and reaps
    Capture out_;
    Capture err_;
    std::optional<ChildExit> exit_;
    std::string buffer_ = std::string(65536, '\0');
};

/// `spec` as a child with stdin /dev/null and stdout/stderr to the pipes' write ends, leading
/// a session of its own (so that its process group can be killed as one, and it has no
/// controlling terminal to read a password from). The agent blocks SIGTERM/SIGINT/SIGHUP in
/// its threads and ignores SIGPIPE; a command that could not be stopped by SIGTERM, or did
/// not die of a broken pipe, would behave differently than from a shell: every signal starts
/// at its default. Throws std::system_error when it cannot start.
ChildProcess spawn(const ChildSpec &spec, const Pipe &out, const Pipe &err) {
    return ChildProcess{SpawnSpec{
        .program = spec.program,
        .argv = spec.argv,
        .environment = spec.envp,
        .descriptors = {{out.write.get(), STDOUT_FILENO}, {err.write.get(), STDERR_FILENO}},
        .stdin_from_null = true,
        .working_dir = spec.working_dir,
        .group = ProcessGroup::own_session,
        .signal_defaults = SignalDefaults::all,
    }};
}

} // namespace

ChildOutcome run_child(const ChildSpec &spec) {
    reap_orphans();
    ChildOutcome outcome;
    int error = 0;
    auto out = make_pipe(error);
    auto err = out ? make_pipe(error) : std::nullopt;
    if (!out || !err) {
        outcome.code = error;
        return outcome;
    }
    const auto start = Clock::now();
    std::optional<ChildProcess> process;
    try {
        process.emplace(spawn(spec, *out, *err));
    } catch (const std::system_error &e) {
        outcome.code = e.code().value();
        return outcome;
    }
    const pid_t pid = process->pid();
    LiveGroup live{pid};
    // Only the child may hold the write ends now, so end of file means it closed them.
    out->write.reset();
    err->write.reset();
    Child child{std::move(*process),
                Capture{std::move(out->read), outcome.out, spec.max_output, outcome.out_truncated},
                Capture{std::move(err->read), outcome.err, spec.max_output, outcome.err_truncated}};

    Clock::time_point read_until = spec.deadline;
    bool group_killed = false;
    bool timed_out = false;
    while (true) {
        const auto now = Clock::now();
        if (!group_killed && child.check_exit()) {
            outcome.elapsed = now - start;
            // Whatever the command left behind in its group dies with it; the leader is
            // still an unreaped zombie here, so the group cannot be someone else's yet.
            child.process().signal_group(SIGKILL);
            group_killed = true;
            read_until = std::min(spec.deadline, now + after_exit_drain);
        }
        if (group_killed && !child.output_open()) break;
        if (now >= read_until) {
            timed_out = !group_killed;
            break;
        }
        child.wait(read_until);
    }

    if (timed_out) {
        outcome.elapsed = Clock::now() - start;
        child.process().signal_group(SIGTERM);
        child.wait_for_exit(Clock::now() + spec.grace);
        // Always, even when the leader obeyed SIGTERM: its descendants may ignore it.
        child.process().signal_group(SIGKILL);
        child.wait_for_exit(Clock::now() + spec.reap_wait);
    }

    const auto &exit = child.exit();
    live.release(); // before reaping: the group ID is free for reuse after it
    if (exit)
        child.process().reap(); // at once: it has exited (or was reaped elsewhere)
    else
        adopt_orphan(child.process().abandon()); // stuck in the kernel even after SIGKILL
    // Members of the group whose parent died are re-parented to init, which reaps them —
    // unless the agent is init itself (PID 1 in a container): then this reaps them.
    while (::waitpid(-pid, nullptr, WNOHANG) > 0) {
    }

    if (timed_out) {
        outcome.end = ChildOutcome::End::timed_out;
    } else if (!exit->known) {
        outcome.end = ChildOutcome::End::vanished;
    } else if (exit->how == CLD_EXITED) {
        outcome.end = ChildOutcome::End::exited;
        outcome.code = exit->status;
    } else {
        outcome.end = ChildOutcome::End::signalled; // CLD_KILLED or CLD_DUMPED
        outcome.code = exit->status;
    }
    return outcome;
}

} // namespace vitals_exec
