// A throwaway SMTP server (aiosmtpd, through smtp_server.py) on 127.0.0.1, stopped by PID.
// SPDX-License-Identifier: MIT
#pragma once

#include "service_process.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace vitals::test::services {

/// smtp_server.py on a free port below 32768, run by Debian's python3 (which has aiosmtpd;
/// a python3 earlier in PATH may not). `args` follow the port: MODE [CERT KEY [USER PASS]].
class SmtpServer {
public:
    explicit SmtpServer(std::vector<std::string> args) : args_(std::move(args)) {
        for (int attempt = 0; attempt < 3; ++attempt) {
            port_ = free_port();
            if (try_start()) return;
        }
        throw std::runtime_error("the SMTP server did not start:\n" + log());
    }

    ~SmtpServer() { stop(); }
    SmtpServer(const SmtpServer &) = delete;
    SmtpServer &operator=(const SmtpServer &) = delete;

    /// Starts it again on the same port after stop().
    void start() {
        if (!try_start()) throw std::runtime_error("the SMTP server did not restart:\n" + log());
    }

    void stop() {
        if (pid_ <= 0) return;
        stop_pid(pid_, SIGTERM, 10s);
        pid_ = -1;
    }

    std::uint16_t port() const { return port_; }
    std::string log() const { return read_text(dir_.path() / "server.log"); }

private:
    bool try_start() {
        std::filesystem::remove(dir_.path() / "server.log");
        std::vector<std::string> argv{"/usr/bin/python3", VITALS_SMTP_SERVER_SCRIPT,
                                      std::to_string(port_)};
        argv.insert(argv.end(), args_.begin(), args_.end());
        pid_ = start_background(argv, {}, dir_.path() / "server.log");
        // READY comes once the server has answered a connection of its own.
        const bool up =
            eventually([&] { return contains(log(), "READY") || !process_alive(pid_); }, 20s);
        if (up && process_alive(pid_)) return true;
        stop_pid(pid_, SIGKILL, 5s);
        pid_ = -1;
        return false;
    }

    TempDir dir_;
    std::vector<std::string> args_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

} // namespace vitals::test::services
