// SPDX-License-Identifier: MIT
#include "alerts/action_command.hpp"

#include <vitals_plugins/child_process.hpp>
#include <vitals_plugins/fd.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>
#include <system_error>

extern char **environ;

namespace vitals {
namespace {

using namespace std::chrono_literals;
using plugins::ChildProcess;
using plugins::UniqueFd;

/// How often a stop request is looked for while the command runs.
constexpr auto stop_tick = 100ms;
/// Once the command has exited, how long output is still read: a descendant it left
/// running may hold the pipe open for ever.
constexpr auto drain_after_exit = 500ms;
/// systemd's default PATH, for an agent started without one.
constexpr std::string_view default_path =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// `name` as execvp() would find it: itself when it holds a '/', else the first executable
/// of that name on PATH; empty if none.
std::string find_program(const std::string &name) {
    if (name.find('/') != std::string::npos) return name;
    const char *env_path = std::getenv("PATH");
    std::string_view path = env_path && *env_path ? env_path : default_path;
    while (!path.empty()) {
        const auto colon = path.find(':');
        std::string_view dir = path.substr(0, colon);
        path = colon == std::string_view::npos ? std::string_view{} : path.substr(colon + 1);
        std::string candidate = std::string{dir.empty() ? "." : dir} + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return {};
}

std::vector<std::string> environment_with(const std::vector<std::string> &added) {
    std::vector<std::string> all;
    for (char **entry = environ; entry && *entry; ++entry)
        all.emplace_back(*entry);
    for (const auto &item : added) {
        const auto name = item.substr(0, item.find('=') + 1);
        std::erase_if(all, [&](const std::string &old) { return old.starts_with(name); });
        all.push_back(item);
    }
    return all;
}

/// Keeps the last `limit` bytes read from a non-blocking pipe.
class Tail {
public:
    Tail(UniqueFd fd, std::size_t limit) : fd_(std::move(fd)), limit_(limit) {}
    bool open() const { return fd_.valid(); }
    int fd() const { return fd_.get(); }
    std::string take() { return std::move(data_); }

    void read_available() {
        std::array<char, 4096> buffer{};
        while (fd_.valid()) {
            const ssize_t n = ::read(fd_.get(), buffer.data(), buffer.size());
            if (n > 0) {
                data_.append(buffer.data(), static_cast<std::size_t>(n));
                if (data_.size() > limit_) data_.erase(0, data_.size() - limit_);
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                return;
            } else {
                fd_.reset(); // end of file, or nothing more can be read
            }
        }
    }

private:
    UniqueFd fd_;
    std::size_t limit_;
    std::string data_;
};

/// Waits for output or the exit, at most until `until`.
void wait_a_while(Tail &output, ChildProcess &child, bool exited,
                  std::chrono::steady_clock::time_point until) {
    std::array<pollfd, 2> fds{};
    nfds_t count = 0;
    if (output.open()) fds[count++] = {output.fd(), POLLIN, 0};
    if (!exited && child.exit_fd() >= 0) fds[count++] = {child.exit_fd(), POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    left = std::clamp<std::chrono::milliseconds>(left, 0ms, stop_tick);
    if (!exited && child.exit_fd() < 0) left = std::min<std::chrono::milliseconds>(left, 10ms);
    ::poll(fds.data(), count, static_cast<int>(left.count())); // EINTR or not: looked at again
}

CommandRun ended(CommandRun::End end, int code, Tail &output) {
    return CommandRun{.end = end, .code = code, .output_tail = output.take(), .error = {}};
}

CommandRun from_wait_status(int status, Tail &output) {
    if (WIFEXITED(status)) return ended(CommandRun::End::exited, WEXITSTATUS(status), output);
    if (WIFSIGNALED(status)) return ended(CommandRun::End::signalled, WTERMSIG(status), output);
    return ended(CommandRun::End::exited, -1, output); // reaped elsewhere: how is lost
}

} // namespace

CommandRun run_command(const std::vector<std::string> &argv,
                       const std::vector<std::string> &environment, Duration timeout,
                       std::size_t tail_bytes, std::stop_token stop) {
    CommandRun failed;
    const std::string program = argv.empty() ? std::string{} : find_program(argv.front());
    if (program.empty()) {
        failed.error = argv.empty() ? "no command" : argv.front() + ": not found on PATH";
        return failed;
    }
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
        failed.error = std::string{"pipe: "} + std::strerror(errno);
        return failed;
    }
    UniqueFd read_end{fds[0]}, write_end{fds[1]};
    ::fcntl(read_end.get(), F_SETFL, ::fcntl(read_end.get(), F_GETFL) | O_NONBLOCK);
    std::optional<ChildProcess> child;
    try {
        child.emplace(plugins::SpawnSpec{
            .program = program,
            .argv = argv,
            .environment = environment_with(environment),
            .descriptors = {{write_end.get(), STDOUT_FILENO}, {write_end.get(), STDERR_FILENO}},
            .stdin_from_null = true,
            .group = plugins::ProcessGroup::own_session,
        });
    } catch (const std::system_error &error) {
        failed.error = error.what();
        return failed;
    }
    write_end.reset(); // the child's copies are the only writers now
    Tail output{std::move(read_end), tail_bytes};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::optional<std::chrono::steady_clock::time_point> drain_until;
    while (true) {
        output.read_available();
        const bool exited = child->exited().has_value();
        if (exited && !drain_until)
            drain_until = std::chrono::steady_clock::now() + drain_after_exit;
        const auto now = std::chrono::steady_clock::now();
        // Reaped, not killed: what it started in the background (a restart script's
        // `daemon &`, or `setsid -f daemon` whose child has not yet left the group) keeps
        // running, as it would after a shell ran the command.
        if (exited && (!output.open() || now >= *drain_until))
            return from_wait_status(child->reap(), output);
        if (stop.stop_requested()) {
            child->kill_and_reap();
            return ended(CommandRun::End::stopped, 0, output);
        }
        if (!exited && now >= deadline) {
            child->kill_and_reap();
            output.read_available();
            return ended(CommandRun::End::timed_out, 0, output);
        }
        wait_a_while(output, *child, exited, exited ? *drain_until : deadline);
    }
}

} // namespace vitals
