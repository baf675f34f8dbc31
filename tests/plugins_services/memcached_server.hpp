// A throwaway memcached on 127.0.0.1, stopped by PID. SPDX-License-Identifier: MIT
#pragma once

#include "service_process.hpp"
#include "support/temp_dir.hpp"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <filesystem>
#include <string>
#include <vector>

namespace vitals::test::services {

/// How a MemcachedServer listens: memcached serves either TCP or a Unix socket, not both.
enum class Listen { tcp, unix_socket };

/// memcached in the foreground on a free port below 32768, TCP on 127.0.0.1 only (no UDP), or
/// on a Unix socket in a temporary directory. `extra` are more options, e.g. {"-m", "2"}.
class MemcachedServer {
public:
    explicit MemcachedServer(std::vector<std::string> extra = {}, Listen listen = Listen::tcp)
        : extra_(std::move(extra)), listen_(listen) {
        // Another test may take a port between free_port() and the bind: try a few.
        for (int attempt = 0; attempt < 3; ++attempt) {
            port_ = free_port();
            if (try_start()) return;
        }
        throw std::runtime_error("memcached did not start:\n" + log());
    }

    ~MemcachedServer() { stop(); }
    MemcachedServer(const MemcachedServer &) = delete;
    MemcachedServer &operator=(const MemcachedServer &) = delete;

    /// Starts it again on the same port after stop().
    void start() {
        if (!try_start()) throw std::runtime_error("memcached did not restart:\n" + log());
    }

    void stop() {
        if (pid_ <= 0) return;
        stop_pid(pid_, SIGTERM, 10s);
        pid_ = -1;
    }

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }
    std::filesystem::path socket_path() const { return dir_.path() / "memcached.sock"; }
    std::string log() const { return read_text(dir_.path() / "memcached.log"); }

    /// Sends text-protocol commands on a fresh connection and reads until `until` arrives.
    std::string exchange(const std::string &commands, const std::string &until) const {
        Poco::Net::StreamSocket socket{Poco::Net::SocketAddress{"127.0.0.1", port_}};
        socket.setReceiveTimeout(Poco::Timespan{10, 0});
        socket.sendBytes(commands.data(), static_cast<int>(commands.size()));
        std::string reply;
        char buffer[4096];
        while (reply.find(until) == std::string::npos) {
            const int n = socket.receiveBytes(buffer, sizeof buffer);
            if (n <= 0) break;
            reply.append(buffer, static_cast<std::size_t>(n));
        }
        return reply;
    }

private:
    bool try_start() {
        std::vector<std::string> argv{"memcached"};
        if (listen_ == Listen::tcp)
            argv.insert(argv.end(), {"-l", "127.0.0.1", "-p", std::to_string(port_), "-U", "0"});
        else
            argv.insert(argv.end(), {"-s", socket_path().string()});
        if (::geteuid() == 0) argv.insert(argv.end(), {"-u", "root"}); // refuses root without
        argv.insert(argv.end(), extra_.begin(), extra_.end());
        pid_ = start_background(argv, {}, dir_.path() / "memcached.log");
        const auto listening = [&] {
            return listen_ == Listen::tcp ? port_accepts(port_)
                                          : std::filesystem::exists(socket_path());
        };
        const bool up = eventually([&] { return listening() || !process_alive(pid_); }, 10s);
        if (up && process_alive(pid_)) return true;
        stop_pid(pid_, SIGKILL, 5s);
        pid_ = -1;
        return false;
    }

    TempDir dir_; // first member: removed only after the server has stopped
    std::vector<std::string> extra_;
    Listen listen_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

} // namespace vitals::test::services
