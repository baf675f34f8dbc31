// A throwaway dnsmasq on 127.0.0.1 serving records the test writes, and two servers that
// misbehave: one that never answers and one that answers SERVFAIL. SPDX-License-Identifier: MIT
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

extern char **environ;

namespace vitals::test::network {

/// A UDP socket on 127.0.0.1 bound to a free port (0 for an unbound one).
inline int bound_udp_socket(std::uint16_t &port) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&address), length) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) != 0)
        throw std::runtime_error("cannot bind a UDP socket on 127.0.0.1");
    port = ntohs(address.sin_port);
    return fd;
}

/// A UDP port where a socket is bound and never read: queries get no answer, not even the
/// ICMP "port unreachable" a closed port sends back.
class SilentDnsServer {
public:
    SilentDnsServer() : fd_(bound_udp_socket(port_)) {}
    ~SilentDnsServer() { ::close(fd_); }
    SilentDnsServer(const SilentDnsServer &) = delete;
    SilentDnsServer &operator=(const SilentDnsServer &) = delete;
    std::uint16_t port() const { return port_; }

private:
    std::uint16_t port_ = 0;
    int fd_;
};

/// Answers every query on its UDP port with the question and RCODE 2 (SERVFAIL), as a
/// recursive server does when the zone's own servers fail it.
class ServfailDnsServer {
public:
    ServfailDnsServer() : fd_(bound_udp_socket(port_)), thread_([this] { serve(); }) {}
    ~ServfailDnsServer() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    ServfailDnsServer(const ServfailDnsServer &) = delete;
    ServfailDnsServer &operator=(const ServfailDnsServer &) = delete;
    std::uint16_t port() const { return port_; }

private:
    void serve() {
        while (!stop_) {
            pollfd polled{fd_, POLLIN, 0};
            if (::poll(&polled, 1, 50) <= 0) continue;
            unsigned char packet[512];
            sockaddr_in from{};
            socklen_t length = sizeof from;
            const auto size = ::recvfrom(fd_, packet, sizeof packet, 0,
                                         reinterpret_cast<sockaddr *>(&from), &length);
            if (size < 12) continue;
            // QR, the query's RD, RA, RCODE 2; no answer, authority or additional records.
            packet[2] = static_cast<unsigned char>(0x80 | (packet[2] & 0x01));
            packet[3] = 0x80 | 0x02;
            for (int i = 6; i < 12; ++i)
                packet[i] = 0;
            ::sendto(fd_, packet, static_cast<std::size_t>(size), 0,
                     reinterpret_cast<sockaddr *>(&from), length);
        }
    }

    std::uint16_t port_ = 0;
    int fd_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

/// dnsmasq in the foreground on a free port (UDP and TCP) of 127.0.0.1, answering with
/// authority for the zone "test" from `records` (dnsmasq.conf lines: host-record=...,
/// mx-host=..., txt-record=...) and nothing else: no upstream, no /etc/hosts.
class DnsmasqServer {
public:
    explicit DnsmasqServer(const std::string &records) {
        for (int attempt = 0; attempt < 3; ++attempt) {
            int udp = bound_udp_socket(port_); // a free UDP port; TCP is tried by dnsmasq
            ::close(udp);
            if (try_start(records)) return;
        }
        throw std::runtime_error("dnsmasq did not start:\n" + read(dir_.path() / "stderr"));
    }
    ~DnsmasqServer() { stop(); }
    DnsmasqServer(const DnsmasqServer &) = delete;
    DnsmasqServer &operator=(const DnsmasqServer &) = delete;

    std::uint16_t port() const { return port_; }

    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

private:
    static std::string read(const std::filesystem::path &file) {
        std::ifstream in{file};
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

    bool try_start(const std::string &records) {
        const auto conf = dir_.write(
            "dnsmasq.conf", "port=" + std::to_string(port_) +
                                "\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\n"
                                "no-poll\nlocal=/test/\nauth-zone=test,192.0.2.0/24,2001:db8::/32\n"
                                "auth-server=ns.test,127.0.0.1\n" +
                                records + "\n");
        std::vector<std::string> args{"dnsmasq", "--keep-in-foreground",
                                      "--conf-file=" + conf.string(),
                                      "--pid-file=" + (dir_.path() / "dnsmasq.pid").string()};
        if (::geteuid() == 0) args.insert(args.end(), {"--user=root", "--group=root"});
        std::vector<char *> argv;
        for (auto &arg : args)
            argv.push_back(arg.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        const std::string err = (dir_.path() / "stderr").string();
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, err.c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
        const int spawned =
            ::posix_spawnp(&pid_, "dnsmasq", &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (spawned != 0) throw std::runtime_error("cannot start dnsmasq (is it installed?)");
        // Ready once it accepts on its TCP port, which it binds with the UDP one.
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds{10};
        while (std::chrono::steady_clock::now() < give_up) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return false; // the port was taken meanwhile, or the configuration is wrong
            }
            if (tcp_accepts()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds{10});
        }
        stop();
        return false;
    }

    bool tcp_accepts() const {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port_);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const bool accepted =
            ::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
        ::close(fd);
        return accepted;
    }

    TempDir dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

} // namespace vitals::test::network
