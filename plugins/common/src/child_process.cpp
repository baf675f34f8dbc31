// SPDX-License-Identifier: MIT
//
// posix_spawn rather than fork: glibc implements it with clone(CLONE_VM | CLONE_VFORK), so
// nothing of the (multithreaded) agent is copied and no code but glibc's own runs between the
// clone and the exec: the rule for forking in a threaded process holds by construction, and
// the agent's size does not matter.
#include <vitals_plugins/child_process.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <system_error>
#include <thread>
#include <utility>

extern char **environ;

namespace vitals::plugins {
namespace {

using namespace std::chrono_literals;

/// Without a pidfd, how often an exit is looked for.
constexpr auto exit_poll_tick = 10ms;

[[noreturn]] void throw_errno(int error, const std::string &what) {
    throw std::system_error{error, std::generic_category(), what};
}

/// posix_spawn's file actions and attributes, each set up by a chain of calls of which the
/// first failure counts.
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

    posix_spawn_file_actions_t *actions() { return &actions_; }
    posix_spawnattr_t *attributes() { return &attributes_; }

    /// Remembers the first nonzero return code of the setup calls.
    void operator()(int rc) noexcept {
        if (error_ == 0) error_ = rc;
    }
    int error() const noexcept { return error_; }

private:
    posix_spawn_file_actions_t actions_{};
    posix_spawnattr_t attributes_{};
    int error_ = 0;
};

/// NULL-terminated pointers into `strings`, which must outlive them.
std::vector<char *> c_strings(const std::vector<std::string> &strings) {
    std::vector<char *> pointers;
    pointers.reserve(strings.size() + 1);
    for (const auto &text : strings)
        pointers.push_back(const_cast<char *>(text.c_str())); // posix_spawn's historic type
    pointers.push_back(nullptr);
    return pointers;
}

int highest_placed(const std::vector<PlacedFd> &descriptors) {
    int highest = STDERR_FILENO;
    for (const auto &placed : descriptors)
        highest = std::max(highest, placed.theirs);
    return highest;
}

/// The file actions that give the child its descriptors. A descriptor of ours numbered at or
/// below the highest target is first copied above it, where no dup2 of another can overwrite
/// it before its own turn. The copies go in `copies`, which must stay open until posix_spawn
/// has run.
void place_descriptors(const SpawnSpec &spec, SpawnSetup &setup, std::vector<UniqueFd> &copies) {
    const int highest = highest_placed(spec.descriptors);
    if (spec.stdin_from_null)
        setup(::posix_spawn_file_actions_addopen(setup.actions(), STDIN_FILENO, "/dev/null",
                                                 O_RDONLY, 0));
    for (const auto &placed : spec.descriptors) {
        int ours = placed.ours;
        if (ours <= highest) {
            copies.emplace_back(::fcntl(ours, F_DUPFD_CLOEXEC, highest + 1));
            if (!copies.back().valid()) throw_errno(errno, "fcntl(F_DUPFD_CLOEXEC)");
            ours = copies.back().get();
        }
        setup(::posix_spawn_file_actions_adddup2(setup.actions(), ours, placed.theirs));
    }
    setup(::posix_spawn_file_actions_addclosefrom_np(setup.actions(), highest + 1));
    if (!spec.working_dir.empty())
        setup(::posix_spawn_file_actions_addchdir_np(setup.actions(), spec.working_dir.c_str()));
}

void set_attributes(const SpawnSpec &spec, SpawnSetup &setup) {
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    if (spec.signal_defaults == SignalDefaults::all) {
        sigfillset(&defaults);
    } else {
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGPIPE);
    }
    const short group_flag =
        spec.group == ProcessGroup::own_session ? POSIX_SPAWN_SETSID : POSIX_SPAWN_SETPGROUP;
    setup(::posix_spawnattr_setflags(setup.attributes(),
                                     group_flag | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
    if (spec.group == ProcessGroup::own_group)
        setup(::posix_spawnattr_setpgroup(setup.attributes(), 0)); // its own PID as group ID
    setup(::posix_spawnattr_setsigmask(setup.attributes(), &none));
    setup(::posix_spawnattr_setsigdefault(setup.attributes(), &defaults));
}

UniqueFd open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
    return UniqueFd{static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))}; // always close-on-exec
#else
    (void)pid;
    return UniqueFd{};
#endif
}

} // namespace

ChildProcess::ChildProcess(const SpawnSpec &spec) {
    SpawnSetup setup;
    std::vector<UniqueFd> copies;
    place_descriptors(spec, setup, copies);
    set_attributes(spec, setup);
    if (setup.error() != 0) throw_errno(setup.error(), "posix_spawn setup");

    auto argv = c_strings(spec.argv);
    auto envp = spec.environment ? c_strings(*spec.environment) : std::vector<char *>{};
    if (const int rc =
            ::posix_spawn(&pid_, spec.program.c_str(), setup.actions(), setup.attributes(),
                          argv.data(), spec.environment ? envp.data() : environ))
        throw_errno(rc, "cannot start " + spec.program);
    pidfd_ = open_pidfd(pid_);
}

ChildProcess::ChildProcess(ChildProcess &&other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidfd_(std::move(other.pidfd_)),
      exit_(std::move(other.exit_)), wait_status_(std::move(other.wait_status_)),
      abandoned_(std::exchange(other.abandoned_, true)) {}

ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !settled()) kill_and_reap();
}

std::optional<ChildExit> ChildProcess::exited() {
    if (exit_) return exit_;
    if (settled()) return ChildExit{.known = false};
    while (true) {
        siginfo_t info{};
        if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
            if (info.si_pid != pid_) return std::nullopt; // still running
            exit_ = ChildExit{.known = true, .how = info.si_code, .status = info.si_status};
            return exit_;
        }
        if (errno == EINTR) continue;
        exit_ = ChildExit{.known = false}; // ECHILD: reaped elsewhere, so certainly not running
        return exit_;
    }
}

bool ChildProcess::wait_for_exit(Clock::time_point until) {
    while (!exited()) {
        const std::chrono::nanoseconds left = until - Clock::now();
        if (left <= std::chrono::nanoseconds::zero()) return false;
        if (pidfd_.valid()) {
            pollfd exit{.fd = pidfd_.get(), .events = POLLIN, .revents = 0};
            ::poll(&exit, 1, poll_timeout_ms(left)); // EINTR or not: exited() decides
        } else {
            std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(left, exit_poll_tick));
        }
    }
    return true;
}

bool ChildProcess::reaped_elsewhere_already() const noexcept {
    return exit_ && !exit_->known;
}

void ChildProcess::signal_group(int signal) const noexcept {
    // Once it is reaped its group ID may be anyone's.
    if (pid_ > 0 && !settled() && !reaped_elsewhere_already()) ::kill(-pid_, signal);
}

int ChildProcess::reap() {
    if (wait_status_) return *wait_status_;
    // Moved from, waitpid(-1) would reap any child; reaped elsewhere, its PID may be another
    // child's by now.
    if (pid_ <= 0 || reaped_elsewhere_already()) {
        wait_status_ = reaped_elsewhere;
        return reaped_elsewhere;
    }
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
        if (errno != EINTR) {
            status = reaped_elsewhere; // ECHILD
            break;
        }
    }
    wait_status_ = status;
    return status;
}

int ChildProcess::kill_and_reap() {
    signal_group(SIGKILL);
    return reap();
}

pid_t ChildProcess::abandon() noexcept {
    abandoned_ = true;
    return pid_;
}

} // namespace vitals::plugins
