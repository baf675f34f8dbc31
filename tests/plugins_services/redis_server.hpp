// A throwaway redis-server on 127.0.0.1, stopped by PID. SPDX-License-Identifier: MIT
#pragma once

#include "service_process.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace vitals::test::services {

/// redis-server daemonized on a free port below 32768, bound to 127.0.0.1, with a Unix socket
/// and its PID file in a temporary directory, and no persistence. `extra` are more
/// command-line options, e.g. {"--requirepass", "pw"} or {"--replicaof", "127.0.0.1", "6379"}.
class RedisServer {
public:
    explicit RedisServer(std::vector<std::string> extra = {}) : extra_(std::move(extra)) {
        // Another test may take a port between free_port() and the bind: try a few.
        for (int attempt = 0; attempt < 3; ++attempt) {
            port_ = free_port();
            if (try_start()) return;
        }
        throw std::runtime_error("redis-server did not start:\n" + last_output_ + "\n" + log());
    }

    ~RedisServer() { stop(); }
    RedisServer(const RedisServer &) = delete;
    RedisServer &operator=(const RedisServer &) = delete;

    /// Starts it again on the same port after stop().
    void start() {
        if (!try_start())
            throw std::runtime_error("redis-server did not restart:\n" + last_output_ + "\n" +
                                     log());
    }

    /// SIGTERM by PID, waiting until the server is gone.
    void stop() {
        if (pid_ <= 0) return;
        stop_pid(pid_, SIGTERM, 15s);
        pid_ = -1;
    }

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }
    std::filesystem::path socket_path() const { return dir_.path() / "redis.sock"; }
    std::string log() const { return read_text(dir_.path() / "redis.log"); }

    /// Runs redis-cli against this server (over TCP) and returns its output.
    CommandOutput cli(std::vector<std::string> args, const std::string &auth = "") const {
        std::vector<std::string> argv{"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(port_)};
        std::vector<std::string> env;
        if (!auth.empty()) env.push_back("REDISCLI_AUTH=" + auth); // not on the command line
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(argv, env, 15s);
    }

private:
    bool try_start() {
        const auto pid_file = dir_.path() / "redis.pid";
        std::filesystem::remove(pid_file);
        std::filesystem::remove(dir_.path() / "redis.log"); // only this start's lines
        std::vector<std::string> argv{"redis-server",
                                      "--bind",
                                      "127.0.0.1",
                                      "--port",
                                      std::to_string(port_),
                                      "--unixsocket",
                                      socket_path().string(),
                                      "--daemonize",
                                      "yes",
                                      "--pidfile",
                                      pid_file.string(),
                                      "--logfile",
                                      (dir_.path() / "redis.log").string(),
                                      "--dir",
                                      dir_.path().string(),
                                      "--save",
                                      "",
                                      "--appendonly",
                                      "no"};
        argv.insert(argv.end(), extra_.begin(), extra_.end());
        const auto started = run_command(argv, {}, 15s);
        last_output_ = started.output;
        if (started.exit_code != 0) return false;
        // The daemon binds, then writes its PID file; one that cannot bind says so in its log
        // and exits without a PID file.
        std::optional<pid_t> pid;
        const bool up = eventually(
            [&] {
                pid = read_pid_file(pid_file);
                return (pid && (port_accepts(port_) || !process_alive(*pid))) ||
                       contains(log(), "Could not create server TCP listening socket");
            },
            15s);
        if (!up || !process_alive(*pid) || !port_accepts(port_)) {
            if (pid) stop_pid(*pid, SIGKILL, 5s);
            return false;
        }
        pid_ = *pid;
        return true;
    }

    TempDir dir_; // first member: removed only after the server has stopped
    std::vector<std::string> extra_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    std::string last_output_;
};

} // namespace vitals::test::services
