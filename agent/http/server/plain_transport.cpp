// SPDX-License-Identifier: MIT
#include <sys/socket.h>

#include <cerrno>

#include "http/server/transport.hpp"

namespace vitals {
namespace {

IoStatus from_errno(IoStatus would_block) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return would_block;
    return IoStatus::failed;
}

class PlainTransport final : public Transport {
public:
    explicit PlainTransport(int fd) : fd_(fd) {}

    IoStatus receive(char *buffer, std::size_t size, std::size_t &count) override {
        count = 0;
        const ssize_t n = ::recv(fd_, buffer, size, 0);
        if (n > 0) {
            count = static_cast<std::size_t>(n);
            return IoStatus::progressed;
        }
        return n == 0 ? IoStatus::closed : from_errno(IoStatus::want_read);
    }

    IoStatus send(const char *data, std::size_t size, std::size_t &count) override {
        count = 0;
        // MSG_NOSIGNAL: a client that went away is an error value, not a SIGPIPE.
        const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
        if (n >= 0) {
            count = static_cast<std::size_t>(n);
            return IoStatus::progressed;
        }
        return from_errno(IoStatus::want_write);
    }

private:
    int fd_;
};

} // namespace

std::unique_ptr<Transport> plain_transport(int fd) {
    return std::make_unique<PlainTransport>(fd);
}

} // namespace vitals
