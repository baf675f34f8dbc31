// TCP connections bounded by a deadline, for the shipped plugins that open their own sockets
// (tcp, tls_cert, amqp). SPDX-License-Identifier: MIT
#pragma once

#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/fd.hpp>
#include <vitals_plugins/text.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>

namespace vitals::plugins {

struct AddrinfoDeleter {
    void operator()(addrinfo *list) const noexcept { ::freeaddrinfo(list); }
};
using AddrinfoList = std::unique_ptr<addrinfo, AddrinfoDeleter>;

/// "host:port" as messages name a target, with an IPv6 literal in brackets so that the port
/// stays readable: "[::1]:22".
inline std::string endpoint_text(const std::string &host, std::int64_t port) {
    const bool ipv6_literal = host.find(':') != std::string::npos;
    return (ipv6_literal ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

/// Whether `host` is a numeric IPv4 or IPv6 address rather than a name: TLS sends no SNI
/// for one, and verifies it as an IP address.
inline bool is_ip_literal(const std::string &host) {
    std::array<unsigned char, sizeof(in6_addr)> binary{};
    return ::inet_pton(AF_INET, host.c_str(), binary.data()) == 1 ||
           ::inet_pton(AF_INET6, host.c_str(), binary.data()) == 1;
}

/// The addresses to try for a TCP connection to host:port, in getaddrinfo's preferred order,
/// or null with `error` saying why ("name or service not known"). getaddrinfo cannot be given
/// a deadline; the resolver's own timeouts (resolv.conf) bound it, and the connection attempts
/// then work with whatever time is left.
inline AddrinfoList resolve_tcp(const std::string &host, std::int64_t port, std::string &error) {
    addrinfo hints{};
    hints.ai_flags = AI_NUMERICSERV; // the port is always a number, never /etc/services
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *list = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
    if (rc == EAI_SYSTEM)
        error = describe_errno(errno);
    else if (rc != 0)
        error = after_colon(::gai_strerror(rc));
    return AddrinfoList{rc == 0 ? list : nullptr};
}

/// The deadline for trying `address`: an even share of the time left among it and the
/// addresses after it, so that one address that silently drops packets cannot use up the time
/// of those after it.
inline Clock::time_point attempt_deadline(const addrinfo &address, Clock::time_point now,
                                          Clock::time_point deadline) {
    long remaining = 0;
    for (const addrinfo *next = &address; next; next = next->ai_next)
        ++remaining;
    return now + (deadline - now) / remaining;
}

/// A socket for `address` (invalid, with errno set, on failure). Non-blocking, so that poll()
/// can bound the connect by the run's deadline: a blocking connect() to a host that drops SYNs
/// waits for the kernel's retries, minutes by default. Close-on-exec, so that commands other
/// checks start never inherit it.
inline UniqueFd open_socket(const addrinfo &address) {
    return UniqueFd{::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                             address.ai_protocol)};
}

/// Waits for a non-blocking connect() to finish: 0 once connected, else an errno value
/// (ETIMEDOUT when the deadline passes first).
inline int wait_for_connect(int fd, Clock::time_point deadline) {
    if (const int waited = wait_for(fd, POLLOUT, deadline); waited != 0) return waited;
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
    return error;
}

/// Connects the non-blocking socket `fd` to `address` by the deadline: 0 once connected,
/// else an errno value (ETIMEDOUT when the deadline passes first).
inline int connect_by(int fd, const addrinfo &address, Clock::time_point deadline) {
    if (::connect(fd, address.ai_addr, address.ai_addrlen) == 0) return 0;
    // EINTR too leaves the connection being established in the background.
    if (errno == EINPROGRESS || errno == EINTR) return wait_for_connect(fd, deadline);
    return errno;
}

} // namespace vitals::plugins
