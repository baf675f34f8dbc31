// The grpc plugin tests' server: grpc_health_server (a real gRPC server built from gRPC's own
// health service) in a child process, fed commands on its stdin and stopped by PID.
// SPDX-License-Identifier: MIT
#pragma once

#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace vitals::test::network {

class GrpcHealthServer {
public:
    /// `args` after the port file: --tls CERT KEY, --client-ca CA, --answer MODE.
    explicit GrpcHealthServer(const std::vector<std::string> &args = {}) {
        const auto port_file = dir_.path() / "port";
        std::vector<std::string> argv{VITALS_GRPC_HEALTH_SERVER, port_file.string()};
        argv.insert(argv.end(), args.begin(), args.end());
        start(argv);
        using namespace std::chrono_literals;
        const auto give_up = std::chrono::steady_clock::now() + 20s;
        while (!std::filesystem::exists(port_file)) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("grpc_health_server exited: " + log());
            }
            if (std::chrono::steady_clock::now() > give_up)
                throw std::runtime_error("grpc_health_server did not start: " + log());
            std::this_thread::sleep_for(10ms);
        }
        std::ifstream{port_file} >> port_;
    }

    ~GrpcHealthServer() { stop(); }
    GrpcHealthServer(const GrpcHealthServer &) = delete;
    GrpcHealthServer &operator=(const GrpcHealthServer &) = delete;

    std::uint16_t port() const { return port_; }

    /// Switches `service` ("" for the whole server) through gRPC's health service.
    void set_serving(const std::string &service, bool serving) {
        const std::string line = std::string{serving ? "SERVING " : "NOT_SERVING "} +
                                 (service.empty() ? "-" : service) + "\n";
        if (::write(commands_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
            throw std::runtime_error("cannot write to grpc_health_server");
    }

    std::string log() const {
        std::ifstream in{dir_.path() / "server.log"};
        return {std::istreambuf_iterator<char>{in}, {}};
    }

private:
    void start(const std::vector<std::string> &argv) {
        int pipe_fds[2];
        if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
        const auto log_path = dir_.path() / "server.log";
        std::vector<std::string> copies = argv;
        std::vector<char *> pointers;
        for (auto &arg : copies)
            pointers.push_back(arg.data());
        pointers.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::dup2(pipe_fds[0], STDIN_FILENO);
            const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            ::dup2(log, STDOUT_FILENO);
            ::dup2(log, STDERR_FILENO);
            ::close_range(3, ~0U, 0);
            ::execv(pointers[0], pointers.data());
            _exit(127);
        }
        ::close(pipe_fds[0]);
        commands_ = pipe_fds[1];
    }

    /// The end of its stdin stops the server; SIGKILL if it is still there 10 s later.
    void stop() {
        if (commands_ >= 0) ::close(commands_);
        commands_ = -1;
        if (pid_ <= 0) return;
        using namespace std::chrono_literals;
        const auto give_up = std::chrono::steady_clock::now() + 10s;
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) != pid_) {
            if (std::chrono::steady_clock::now() > give_up) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(10ms);
        }
        pid_ = -1;
    }

    TempDir dir_;
    pid_t pid_ = -1;
    int commands_ = -1;
    std::uint16_t port_ = 0;
};

} // namespace vitals::test::network
