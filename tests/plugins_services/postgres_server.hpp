// A throwaway PostgreSQL cluster on 127.0.0.1, stopped by PID. SPDX-License-Identifier: MIT
#pragma once

#include "service_process.hpp"
#include "support/temp_dir.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace vitals::test::services {

/// initdb in a temporary directory, then pg_ctl start on a free port below 32768, listening
/// on 127.0.0.1 and on a socket in that directory only. TCP logins need the password
/// (scram-sha-256); the destructor stops the postmaster by PID even when a test failed.
class PostgresServer {
public:
    /// The superuser `postgres`'s password.
    static constexpr const char *password = "Pg-Hunter2-Secret";

    PostgresServer() {
        require_root("PostgreSQL");
        bin_ = find_bindir();
        chown_to(dir_.path(), "postgres");
        const auto pwfile = dir_.write("pwfile", std::string{password} + "\n");
        chown_to(pwfile, "postgres");
        const auto init = as_postgres({(bin_ / "initdb").string(), "-D", data().string(), "-U",
                                       "postgres", "--auth-local=trust",
                                       "--auth-host=scram-sha-256", "--pwfile=" + pwfile.string(),
                                       "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"});
        if (init.exit_code != 0) throw std::runtime_error("initdb failed:\n" + init.output);
        // Another test may take a port between free_port() and the bind: try a few.
        for (int attempt = 0; attempt < 3; ++attempt) {
            port_ = free_port();
            if (try_start()) return;
        }
        throw std::runtime_error("PostgreSQL did not start:\n" + last_output_ + "\n" + log());
    }

    ~PostgresServer() { stop(); }
    PostgresServer(const PostgresServer &) = delete;
    PostgresServer &operator=(const PostgresServer &) = delete;

    /// Starts it again on the same port after stop().
    void start() {
        if (!try_start())
            throw std::runtime_error("PostgreSQL did not restart:\n" + last_output_ + "\n" + log());
    }

    /// Fast shutdown by PID (SIGINT), waiting until the postmaster is gone.
    void stop() {
        if (pid_ <= 0) return;
        stop_pid(pid_, SIGINT, 30s);
        pid_ = -1;
    }

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }
    /// The directory holding the server's Unix socket.
    const std::filesystem::path &socket_dir() const { return dir_.path(); }
    std::string log() const { return read_text(dir_.path() / "server.log"); }

    /// Runs SQL through psql over the Unix socket (trusted, no password needed).
    CommandOutput psql(const std::string &sql) const {
        return as_postgres({(bin_ / "psql").string(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                            dir_.path().string(), "-p", std::to_string(port_), "-U", "postgres",
                            "-d", "postgres", "-c", sql});
    }

private:
    std::filesystem::path data() const { return dir_.path() / "data"; }

    /// The newest /usr/lib/postgresql/<version>/bin.
    static std::filesystem::path find_bindir() {
        std::vector<std::filesystem::path> found;
        std::error_code ignored;
        for (const auto &entry :
             std::filesystem::directory_iterator{"/usr/lib/postgresql", ignored})
            if (std::filesystem::exists(entry.path() / "bin" / "pg_ctl"))
                found.push_back(entry.path() / "bin");
        if (found.empty())
            throw std::runtime_error("no /usr/lib/postgresql/*/bin/pg_ctl: install postgresql");
        std::sort(found.begin(), found.end(), [](const auto &a, const auto &b) {
            return std::stoi(a.parent_path().filename().string()) <
                   std::stoi(b.parent_path().filename().string());
        });
        return found.back();
    }

    /// initdb refuses to run as root: everything runs as the postgres user.
    CommandOutput as_postgres(std::vector<std::string> argv) const {
        argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
        return run_command(argv, {}, 60s, dir_.path());
    }

    bool try_start() {
        const std::string options = "-p " + std::to_string(port_) + " -k " + dir_.path().string() +
                                    " -c listen_addresses=127.0.0.1 -c fsync=off";
        const auto started = as_postgres({(bin_ / "pg_ctl").string(), "-D", data().string(), "-l",
                                          (dir_.path() / "server.log").string(), "-o", options,
                                          "-w", "-t", "30", "start"});
        last_output_ = started.output;
        const auto pid = read_pid_file(data() / "postmaster.pid");
        if (started.exit_code != 0 || !pid) {
            if (pid) stop_pid(*pid, SIGQUIT, 10s);
            return false;
        }
        pid_ = *pid;
        return true;
    }

    TempDir dir_; // first member: removed only after the server has stopped
    std::filesystem::path bin_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    std::string last_output_;
};

} // namespace vitals::test::services
