// A real chronyd serving NTP on a loopback port, the system clock untouched (-x), optionally
// serving a time it is told to get wrong (libfaketime), stopped by PID.
// SPDX-License-Identifier: MIT
#pragma once

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

#include "plugins_services/service_process.hpp"
#include "support/temp_dir.hpp"

namespace vitals::test::network {

using namespace std::chrono_literals;

/// Where Debian's faketime package puts the library that shifts a process's clock.
inline constexpr const char *libfaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// A UDP socket on 127.0.0.1:port, or -1 when the port is taken.
inline int bind_udp(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

/// Whether an NTP server on 127.0.0.1:port answers a client request within `limit`: any
/// 48-byte datagram back counts (the plugin's own tests judge the contents).
inline bool ntp_answers(std::uint16_t port, std::chrono::milliseconds limit) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::array<std::uint8_t, 48> request{};
    request[0] = (4 << 3) | 3;        // version 4, client
    request[40] = request[47] = 0x5a; // a transmit timestamp to echo
    bool answered = false;
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0 &&
        ::send(fd, request.data(), request.size(), 0) == 48) {
        pollfd waiting{fd, POLLIN, 0};
        std::array<std::uint8_t, 512> reply{};
        answered = ::poll(&waiting, 1, static_cast<int>(limit.count())) == 1 &&
                   ::recv(fd, reply.data(), reply.size(), 0) >= 48;
    }
    ::close(fd);
    return answered;
}

/// A UDP port on 127.0.0.1 with nothing bound to it (bound to learn a free one, then closed):
/// a datagram there comes back as ICMP "port unreachable".
inline std::uint16_t closed_udp_port() {
    const int fd = bind_udp(0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

/// A UDP port on 127.0.0.1 that takes datagrams and never answers: an NTP server that is
/// down behind a firewall that drops, not rejects.
class SilentUdpPort {
public:
    SilentUdpPort() {
        for (std::uint16_t port = 21000; fd_ < 0 && port < 21100; ++port) {
            fd_ = bind_udp(port);
            port_ = port;
        }
        REQUIRE(fd_ >= 0);
    }
    ~SilentUdpPort() { ::close(fd_); }
    SilentUdpPort(const SilentUdpPort &) = delete;
    SilentUdpPort &operator=(const SilentUdpPort &) = delete;
    std::uint16_t port() const { return port_; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

class ChronyServer {
public:
    /// Starts chronyd at stratum 5 on a free port; with `fake_time` (libfaketime's FAKETIME,
    /// e.g. "-86400") it serves a clock that far off.
    explicit ChronyServer(const std::string &fake_time = "") {
        std::mt19937 random{std::random_device{}()};
        for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) {
            // Below the ephemeral range, random so that test cases in parallel do not meet.
            const auto port = static_cast<std::uint16_t>(22000 + random() % 9000);
            const int probe = bind_udp(port);
            if (probe < 0) continue;
            ::close(probe);
            start(port, fake_time);
        }
        REQUIRE_MESSAGE(pid_ > 0, "chronyd did not start; its log:\n"
                                      << services::read_text(dir_.path() / "chronyd.log"));
    }
    ~ChronyServer() {
        if (pid_ > 0) services::stop_pid(pid_, SIGTERM, 5s);
    }
    ChronyServer(const ChronyServer &) = delete;
    ChronyServer &operator=(const ChronyServer &) = delete;

    std::uint16_t port() const { return port_; }

private:
    void start(std::uint16_t port, const std::string &fake_time) {
        const auto config = dir_.write(
            "chrony.conf", "port " + std::to_string(port) +
                               "\nbindaddress 127.0.0.1\nallow 127.0.0.1\nlocal stratum 5\n"
                               "cmdport 0\nbindcmdaddress " +
                               (dir_.path() / "chronyd.sock").string() + "\nmanual\npidfile " +
                               (dir_.path() / "chronyd.pid").string() + "\ndriftfile " +
                               (dir_.path() / "chrony.drift").string() + "\n");
        // -d: in the foreground, so its PID is ours to stop; -x: never touch the clock.
        std::vector<std::string> argv{"chronyd", "-d", "-x", "-f", config.string()};
        // As root it would drop to _chrony, which cannot read the test's 0700 directory.
        if (::geteuid() == 0) {
            argv.insert(argv.end(), {"-u", "root"});
        } else {
            const passwd *me = ::getpwuid(::geteuid());
            REQUIRE(me != nullptr);
            argv.insert(argv.end(), {"-U", "-u", me->pw_name});
        }
        std::vector<std::string> env;
        if (!fake_time.empty())
            env = {std::string{"LD_PRELOAD="} + libfaketime, "FAKETIME=" + fake_time};
        const pid_t pid =
            services::start_background(argv, env, dir_.path() / "chronyd.log", dir_.path());
        const bool ready = services::eventually(
            [&] { return !services::process_alive(pid) || ntp_answers(port, 50ms); }, 10s);
        if (ready && services::process_alive(pid)) {
            pid_ = pid;
            port_ = port;
            return;
        }
        services::stop_pid(pid, SIGTERM, 1s); // the port was taken after all, or it hung
    }

    TempDir dir_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

} // namespace vitals::test::network
