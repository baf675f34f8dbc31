// A throwaway MariaDB server on 127.0.0.1, stopped by PID. SPDX-License-Identifier: MIT
#pragma once

#include "service_process.hpp"
#include "support/temp_dir.hpp"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace vitals::test::services {

/// mariadbd on a free port below 32768, bound to 127.0.0.1, with a Unix socket and all its
/// files in a temporary directory, and the user `hc` (password `password()`) that may do
/// anything. mariadb-install-db takes about 3 s: one server per test case. `extra` are more
/// server options, e.g. {"--ssl-cert=...", "--ssl-key=..."}.
class MariadbServer {
public:
    explicit MariadbServer(std::vector<std::string> extra = {}) : extra_(std::move(extra)) {
        dir_.write("init.sql", "CREATE USER IF NOT EXISTS 'hc'@'%' IDENTIFIED BY '" + password() +
                                   "';\nGRANT ALL ON *.* TO 'hc'@'%';\n");
        std::vector<std::string> install{"mariadb-install-db"};
        add_common(install);
        install.insert(install.end(),
                       {"--auth-root-authentication-method=socket", "--skip-test-db"});
        const auto installed = run_command(install, {}, 60s);
        if (installed.exit_code != 0)
            throw std::runtime_error("mariadb-install-db failed:\n" + installed.output);
        for (int attempt = 0; attempt < 3; ++attempt) {
            port_ = free_port();
            if (try_start()) return;
        }
        throw std::runtime_error("mariadbd did not start:\n" + log());
    }

    ~MariadbServer() { stop(); }
    MariadbServer(const MariadbServer &) = delete;
    MariadbServer &operator=(const MariadbServer &) = delete;

    /// Starts it again on the same port after stop().
    void start() {
        if (!try_start()) throw std::runtime_error("mariadbd did not restart:\n" + log());
    }

    void stop() {
        if (pid_ <= 0) return;
        stop_pid(pid_, SIGTERM, 30s);
        pid_ = -1;
    }

    static std::string password() { return "Maria-S3cret-Pass"; }
    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }
    std::filesystem::path socket_path() const { return dir_.path() / "mysqld.sock"; }
    std::string log() const { return read_text(dir_.path() / "error.log"); }

    /// Runs SQL through the mariadb client as `hc` (the password through the environment, not
    /// the command line).
    CommandOutput sql(const std::string &statements) const {
        return run_command({"mariadb", "--no-defaults", "--protocol=TCP", "-h127.0.0.1",
                            "-P" + std::to_string(port_), "-uhc", "-e", statements},
                           {"MYSQL_PWD=" + password()}, 30s);
    }

private:
    /// --no-defaults must come first; as root, mariadbd refuses to run without --user.
    void add_common(std::vector<std::string> &argv) const {
        argv.insert(argv.end(), {"--no-defaults", "--datadir=" + (dir_.path() / "data").string(),
                                 "--innodb-log-file-size=4M", "--innodb-buffer-pool-size=16M"});
        if (::geteuid() == 0) argv.push_back("--user=root");
    }

    bool try_start() {
        std::vector<std::string> argv{"/usr/sbin/mariadbd"};
        add_common(argv);
        argv.insert(argv.end(),
                    {"--port=" + std::to_string(port_), "--bind-address=127.0.0.1",
                     "--socket=" + socket_path().string(),
                     "--pid-file=" + (dir_.path() / "mariadbd.pid").string(),
                     "--log-error=" + (dir_.path() / "error.log").string(), "--skip-name-resolve",
                     "--init-file=" + (dir_.path() / "init.sql").string()});
        argv.insert(argv.end(), extra_.begin(), extra_.end());
        pid_ = start_background(argv, {}, dir_.path() / "stdout.log");
        // --init-file runs before the server accepts connections: a connection means ready.
        const bool up =
            eventually([&] { return port_accepts(port_) || !process_alive(pid_); }, 30s);
        if (up && process_alive(pid_)) return true;
        stop_pid(pid_, SIGKILL, 5s);
        pid_ = -1;
        return false;
    }

    TempDir dir_; // first member: removed only after the server has stopped
    std::vector<std::string> extra_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

} // namespace vitals::test::services
