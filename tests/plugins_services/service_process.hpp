// Helpers to run the real services (PostgreSQL, Redis, RabbitMQ) that the service plugin tests
// check: commands run to completion, daemons stopped by PID, free ports below 32768.
// SPDX-License-Identifier: MIT
#pragma once

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace vitals::test::services {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline std::string read_text(const std::filesystem::path &file) {
    std::ifstream in{file};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

inline bool contains(const std::string &haystack, const std::string &needle) {
    return haystack.find(needle) != std::string::npos;
}

/// Stops the test with a reason instead of a cascade of confusing failures: the PostgreSQL
/// and RabbitMQ fixtures start their servers as the service users, which takes root.
inline void require_root(const char *service) {
    if (::geteuid() == 0) return;
    const std::string why = std::string{service} +
                            " tests must run as root: they start the server as its own system "
                            "user with runuser/su (initdb and RabbitMQ refuse to run as an "
                            "arbitrary user)";
    FAIL(why);
}

/// uid and gid of a system user such as "postgres"; throws when the package is missing.
inline std::pair<uid_t, gid_t> system_user(const char *name) {
    const passwd *entry = ::getpwnam(name);
    if (!entry)
        throw std::runtime_error(std::string{"no system user '"} + name +
                                 "': is the server package installed?");
    return {entry->pw_uid, entry->pw_gid};
}

inline void chown_to(const std::filesystem::path &path, const char *user) {
    const auto [uid, gid] = system_user(user);
    if (::chown(path.c_str(), uid, gid) != 0)
        throw std::runtime_error("chown " + path.string() + " failed");
}

// ---------------------------------------------------------------- processes

struct CommandOutput {
    int exit_code = -1; ///< -1 when it had to be killed
    std::string output; ///< stdout and stderr together
};

namespace detail {

/// Forks and execs argv[0] (searched in PATH) with `env` added to the environment, stdout
/// and stderr to `log`, in its own process group. Descriptors other than stdio are closed:
/// a daemon must not inherit a test's sockets.
inline pid_t spawn(const std::vector<std::string> &argv, const std::vector<std::string> &env,
                   const std::filesystem::path &log, const std::filesystem::path &cwd) {
    std::vector<std::string> copies = argv;
    std::vector<char *> pointers;
    for (auto &arg : copies)
        pointers.push_back(arg.data());
    pointers.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::setpgid(0, 0);
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
        const int null = ::open("/dev/null", O_RDONLY);
        ::dup2(null, STDIN_FILENO);
        ::close_range(3, ~0U, 0);
        for (const auto &entry : env) {
            const auto equals = entry.find('=');
            ::setenv(entry.substr(0, equals).c_str(), entry.substr(equals + 1).c_str(), 1);
        }
        if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) _exit(126);
        ::execvp(pointers[0], pointers.data());
        _exit(127);
    }
    return pid;
}

} // namespace detail

/// Whether a process runs: it exists and is not a zombie waiting for a parent to reap it
/// (daemons are reparented, and PID 1 in a container does not always reap).
inline bool process_alive(pid_t pid) {
    if (pid <= 0) return false;
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
    return stat[paren + 2] != 'Z';
}

/// Reaps `pid` if it is our child, then tells whether it is gone within `limit`.
inline bool wait_gone(pid_t pid, std::chrono::milliseconds limit) {
    const auto give_up = Clock::now() + limit;
    while (true) {
        int status = 0;
        ::waitpid(pid, &status, WNOHANG); // fails harmlessly for a process not our child
        if (!process_alive(pid)) return true;
        if (Clock::now() >= give_up) return false;
        std::this_thread::sleep_for(20ms);
    }
}

/// `signal_number`, then SIGKILL if the process outlives `grace`.
inline void stop_pid(pid_t pid, int signal_number, std::chrono::milliseconds grace) {
    if (!process_alive(pid)) {
        wait_gone(pid, 0ms);
        return;
    }
    ::kill(pid, signal_number);
    if (wait_gone(pid, grace)) return;
    ::kill(pid, SIGKILL);
    wait_gone(pid, 10s);
}

/// Runs a command to completion (killing its process group after `limit`).
inline CommandOutput run_command(const std::vector<std::string> &argv,
                                 const std::vector<std::string> &env = {},
                                 std::chrono::milliseconds limit = 60s,
                                 const std::filesystem::path &cwd = {}) {
    char pattern[] = "/tmp/vitals-command-XXXXXX";
    const int fd = ::mkstemp(pattern);
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    ::close(fd);
    const std::filesystem::path log = pattern;
    const pid_t pid = detail::spawn(argv, env, log, cwd);
    CommandOutput result;
    const auto give_up = Clock::now() + limit;
    while (true) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
        if (Clock::now() >= give_up) {
            ::kill(-pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(10ms);
    }
    result.output = read_text(log);
    std::filesystem::remove(log);
    return result;
}

/// Starts a long-running command in the background; returns its PID.
inline pid_t start_background(const std::vector<std::string> &argv,
                              const std::vector<std::string> &env, const std::filesystem::path &log,
                              const std::filesystem::path &cwd = {}) {
    return detail::spawn(argv, env, log, cwd);
}

/// The first line of a PID file as a PID, or nothing yet.
inline std::optional<pid_t> read_pid_file(const std::filesystem::path &file) {
    std::ifstream in{file};
    long pid = 0;
    if (!(in >> pid) || pid <= 0) return std::nullopt;
    return static_cast<pid_t>(pid);
}

/// Polls `done` every 20 ms until it holds (true) or `limit` passes (false).
template <class Predicate> bool eventually(Predicate done, std::chrono::milliseconds limit) {
    const auto give_up = Clock::now() + limit;
    while (!done()) {
        if (Clock::now() >= give_up) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

// ---------------------------------------------------------------- ports

/// Whether a TCP connection to 127.0.0.1:port succeeds now.
inline bool port_accepts(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool connected =
        ::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
    ::close(fd);
    return connected;
}

/// Whether nothing is bound to 127.0.0.1:port (or to every address on it).
inline bool port_free(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool bound =
        ::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
    ::close(fd);
    return bound;
}

/// A random free port from 20000 to 31999: below the ephemeral range (32768 and up), so no
/// client socket takes it, and random so that test cases running in parallel do not meet.
/// A collision between the check and the server binding it is still possible; the fixtures
/// retry with another port when their server fails to start.
inline std::uint16_t free_port() {
    static thread_local std::mt19937 random{std::random_device{}()};
    std::uniform_int_distribution<int> pick{20000, 31999};
    for (int attempt = 0; attempt < 200; ++attempt) {
        const auto port = static_cast<std::uint16_t>(pick(random));
        if (port_free(port)) return port;
    }
    throw std::runtime_error("no free port found from 20000 to 31999");
}

/// A TCP port on 127.0.0.1 that completes handshakes (the kernel does, into the backlog) but
/// never reads or answers: the dependency every deadline exists for.
class SilentListener {
public:
    SilentListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr *>(&address), length) != 0 ||
            ::listen(fd_, 64) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr *>(&address), &length) != 0)
            throw std::runtime_error("cannot listen on 127.0.0.1");
        port_ = ntohs(address.sin_port);
    }
    ~SilentListener() { ::close(fd_); }
    SilentListener(const SilentListener &) = delete;
    SilentListener &operator=(const SilentListener &) = delete;

    std::uint16_t port() const { return port_; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

} // namespace vitals::test::services
