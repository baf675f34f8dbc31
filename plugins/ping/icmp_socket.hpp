// An ICMP echo socket for IPv4 or IPv6: unprivileged (SOCK_DGRAM, which
// net.ipv4.ping_group_range allows) when it may be, raw when the process has CAP_NET_RAW;
// echo requests out, echo replies in. SPDX-License-Identifier: MIT
#pragma once

#include <vitals_plugins/fd.hpp>

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>

namespace vitals::ping {

/// Which kind of socket carries the echoes.
enum class SocketKind {
    datagram, ///< SOCK_DGRAM + IPPROTO_ICMP(V6): the kernel sets the identifier and filters
    raw,      ///< SOCK_RAW: every ICMP packet of the host comes in; ours are picked out
};

/// What every echo request carries after its header, and every reply must bring back: ties a
/// reply to this run, whatever other ping runs at the same time.
using Nonce = std::array<std::uint8_t, 16>;

/// What one read from the socket gave.
struct Received {
    enum class What {
        reply,   ///< an echo reply of ours: `sequence` says which
        other,   ///< a datagram that is not ours (another ping's, our own request on a raw socket)
        nothing, ///< nothing left to read now
        failed,  ///< the read failed: `error`
    } what = What::nothing;
    std::uint16_t sequence = 0;
    int error = 0;
};

class IcmpSocket {
public:
    /// An echo socket for `family` (AF_INET or AF_INET6): the unprivileged kind if the
    /// process's group is in net.ipv4.ping_group_range, else a raw one; when neither is
    /// allowed, `failure` says so, naming the sysctl and the capability.
    static std::optional<IcmpSocket> open(int family, std::string &failure);

    SocketKind kind() const { return kind_; }
    int fd() const { return socket_.get(); }

    /// Sends echo request `sequence` to `address`: 0, or an errno value.
    int send_echo(const sockaddr_storage &address, socklen_t length, std::uint16_t sequence,
                  const Nonce &nonce) const;

    /// Reads the next datagram, if any, and tells whether it is one of our echo replies.
    Received receive(const Nonce &nonce) const;

private:
    IcmpSocket(vitals::plugins::UniqueFd socket, int family, SocketKind kind,
               std::uint16_t identifier)
        : socket_(std::move(socket)), family_(family), kind_(kind), identifier_(identifier) {}

    vitals::plugins::UniqueFd socket_;
    int family_;
    SocketKind kind_;
    std::uint16_t identifier_; ///< ours on a raw socket; the kernel's choice on a datagram one
};

/// The RFC 1071 Internet checksum of `bytes`.
std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes);

} // namespace vitals::ping
