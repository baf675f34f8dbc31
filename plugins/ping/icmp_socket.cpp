// ICMP echo sockets, unprivileged or raw. SPDX-License-Identifier: MIT
#include "icmp_socket.hpp"

#include <vitals_plugins/text.hpp>

#include <netinet/in.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace vitals::ping {

namespace {

using vitals::plugins::describe_errno;
using vitals::plugins::trim;
using vitals::plugins::UniqueFd;

constexpr std::size_t header_size = 8; // type, code, checksum, identifier, sequence
constexpr std::uint8_t echo_request_v4 = 8;
constexpr std::uint8_t echo_reply_v4 = 0;
constexpr std::uint8_t echo_request_v6 = 128;
constexpr std::uint8_t echo_reply_v6 = 129;

std::uint16_t read16(const std::uint8_t *at) {
    return static_cast<std::uint16_t>(at[0] << 8 | at[1]);
}

void write16(std::uint8_t *at, std::uint16_t value) {
    at[0] = static_cast<std::uint8_t>(value >> 8);
    at[1] = static_cast<std::uint8_t>(value);
}

UniqueFd icmp_socket(int family, int type) {
    const int protocol = family == AF_INET6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP};
    return UniqueFd{::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol)};
}

/// net.ipv4.ping_group_range as the kernel shows it ("1 0" when no group may), for messages.
std::string ping_group_range() {
    std::ifstream file{"/proc/sys/net/ipv4/ping_group_range"};
    std::string text;
    std::getline(file, text);
    for (char &c : text)
        if (c == '\t') c = ' ';
    return text.empty() ? "unreadable" : std::string{trim(text)};
}

/// Why neither kind of socket may be opened, and what would allow one.
std::string neither_allowed(int datagram_error, int raw_error) {
    const std::string gid = std::to_string(::getegid());
    return "cannot open an ICMP socket: unprivileged ICMP sockets are not allowed for group " +
           gid + " (net.ipv4.ping_group_range = \"" + ping_group_range() +
           "\": " + describe_errno(datagram_error) +
           "), and a raw socket needs CAP_NET_RAW, which the agent lacks (" +
           describe_errno(raw_error) + "); set net.ipv4.ping_group_range to include group " + gid +
           ", or give the agent CAP_NET_RAW";
}

std::uint16_t random_identifier() {
    std::uint16_t identifier = 0;
    if (::getrandom(&identifier, sizeof identifier, 0) != sizeof identifier)
        identifier = static_cast<std::uint16_t>(::getpid());
    return identifier;
}

} // namespace

std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2)
        sum += read16(&bytes[i]);
    if (bytes.size() % 2 == 1) sum += static_cast<std::uint32_t>(bytes.back()) << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

std::optional<IcmpSocket> IcmpSocket::open(int family, std::string &failure) {
    UniqueFd datagram = icmp_socket(family, SOCK_DGRAM);
    if (datagram.valid()) return IcmpSocket{std::move(datagram), family, SocketKind::datagram, 0};
    const int datagram_error = errno;
    UniqueFd raw = icmp_socket(family, SOCK_RAW);
    if (raw.valid())
        return IcmpSocket{std::move(raw), family, SocketKind::raw, random_identifier()};
    const int raw_error = errno;
    // EACCES: the group is outside ping_group_range; EPERM: no CAP_NET_RAW. Anything else
    // (no IPv6 in this kernel, out of descriptors) is that problem, not a permission one.
    const bool not_permitted = (datagram_error == EACCES || datagram_error == EPERM) &&
                               (raw_error == EPERM || raw_error == EACCES);
    failure = not_permitted ? neither_allowed(datagram_error, raw_error)
                            : "cannot open an ICMP socket: " + describe_errno(raw_error);
    return std::nullopt;
}

int IcmpSocket::send_echo(const sockaddr_storage &address, socklen_t length, std::uint16_t sequence,
                          const Nonce &nonce) const {
    std::array<std::uint8_t, header_size + sizeof(Nonce)> packet{};
    packet[0] = family_ == AF_INET6 ? echo_request_v6 : echo_request_v4;
    write16(&packet[4], identifier_); // a datagram socket puts its own there
    write16(&packet[6], sequence);
    std::memcpy(&packet[header_size], nonce.data(), nonce.size());
    // ICMPv6's checksum covers a pseudo-header only the kernel knows: it fills it in.
    if (family_ == AF_INET) write16(&packet[2], internet_checksum(packet));
    const auto *to = reinterpret_cast<const sockaddr *>(&address);
    for (;;) {
        if (::sendto(socket_.get(), packet.data(), packet.size(), 0, to, length) >= 0) return 0;
        if (errno != EINTR) return errno;
    }
}

Received IcmpSocket::receive(const Nonce &nonce) const {
    std::array<std::uint8_t, 1500> buffer{};
    const ssize_t got = ::recv(socket_.get(), buffer.data(), buffer.size(), 0);
    if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return {Received::What::nothing};
        if (errno == EINTR) return {Received::What::other};
        return {Received::What::failed, 0, errno};
    }
    std::size_t at = 0;
    // A raw IPv4 socket hands over the IP header too; IPv6 and datagram sockets do not.
    if (kind_ == SocketKind::raw && family_ == AF_INET && got > 0)
        at = static_cast<std::size_t>(buffer[0] & 0x0f) * 4;
    const auto size = static_cast<std::size_t>(got);
    if (size < at + header_size + sizeof(Nonce)) return {Received::What::other};
    const std::uint8_t *icmp = &buffer[at];
    const std::uint8_t reply_type = family_ == AF_INET6 ? echo_reply_v6 : echo_reply_v4;
    if (icmp[0] != reply_type || icmp[1] != 0) return {Received::What::other};
    if (kind_ == SocketKind::raw && read16(&icmp[4]) != identifier_) return {Received::What::other};
    if (std::memcmp(&icmp[header_size], nonce.data(), nonce.size()) != 0)
        return {Received::What::other};
    return {Received::What::reply, read16(&icmp[6])};
}

} // namespace vitals::ping
