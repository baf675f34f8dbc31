// Lines over a non-blocking socket, in the clear or through OpenSSL, bounded by a deadline.
// SPDX-License-Identifier: MIT
#include "line_connection.hpp"

#include <vitals_plugins/socket.hpp>
#include <vitals_plugins/text.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <array>
#include <cerrno>
#include <utility>

namespace vitals::tcp {

using vitals::plugins::Clock;
using vitals::plugins::describe_errno;
using vitals::plugins::is_ip_literal;
using vitals::plugins::wait_for;

namespace {

/// The reason of the oldest error on this thread's OpenSSL queue, which it then clears.
std::string openssl_reason(const char *fallback) {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return fallback;
    const char *reason = ERR_reason_error_string(code);
    return reason ? reason : fallback;
}

void wait_or_throw(int fd, short events, Clock::time_point deadline) {
    const int waited = wait_for(fd, events, deadline);
    if (waited == ETIMEDOUT) throw DeadlineReached{};
    if (waited != 0) throw ConnectionError{describe_errno(waited)};
}

} // namespace

LineConnection::LineConnection(vitals::plugins::UniqueFd socket) : socket_(std::move(socket)) {}

LineConnection::~LineConnection() = default;

void LineConnection::start_tls(const TlsSettings &settings, Clock::time_point deadline) {
    ERR_clear_error(); // the queue is per thread; start with an empty one
    buffer_.clear();   // anything sent in the clear before the handshake is not to be trusted
    context_.reset(SSL_CTX_new(TLS_client_method()));
    if (!context_) throw ConnectionError{"TLS setup failed: " + openssl_reason("out of memory")};
    if (settings.verify) {
        const int loaded =
            settings.ca_file.empty()
                ? SSL_CTX_set_default_verify_paths(context_.get())
                : SSL_CTX_load_verify_locations(context_.get(), settings.ca_file.c_str(), nullptr);
        if (loaded != 1)
            throw ConnectionError{settings.ca_file.empty()
                                      ? "cannot load the system's CA certificates"
                                      : "cannot load ca_file " + settings.ca_file + ": " +
                                            openssl_reason("not a PEM file")};
        SSL_CTX_set_verify(context_.get(), SSL_VERIFY_PEER, nullptr);
    }
    ssl_.reset(SSL_new(context_.get()));
    if (!ssl_ || SSL_set_fd(ssl_.get(), socket_.get()) != 1)
        throw ConnectionError{"TLS setup failed: " + openssl_reason("out of memory")};
    const std::string &name = settings.server_name;
    if (!is_ip_literal(name)) SSL_set_tlsext_host_name(ssl_.get(), name.c_str());
    if (settings.verify) {
        if (is_ip_literal(name))
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), name.c_str());
        else
            SSL_set1_host(ssl_.get(), name.c_str());
    }
    for (;;) {
        const int rc = SSL_connect(ssl_.get());
        if (rc == 1) return;
        if (const long verified = SSL_get_verify_result(ssl_.get()); verified != X509_V_OK) {
            ERR_clear_error();
            throw ConnectionError{std::string{"TLS certificate not trusted: "} +
                                  X509_verify_cert_error_string(verified)};
        }
        wait_for_tls(rc, deadline, "TLS handshake failed");
    }
}

void LineConnection::wait_for_tls(int rc, Clock::time_point deadline, const char *doing) {
    const int error = SSL_get_error(ssl_.get(), rc);
    if (error == SSL_ERROR_WANT_READ) return wait_or_throw(socket_.get(), POLLIN, deadline);
    if (error == SSL_ERROR_WANT_WRITE) return wait_or_throw(socket_.get(), POLLOUT, deadline);
    if (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
        throw ConnectionError{std::string{doing} + ": connection closed by the server"};
    throw ConnectionError{std::string{doing} + ": " + openssl_reason("protocol error")};
}

void LineConnection::send_line(const std::string &line, Clock::time_point deadline) {
    const std::string data = line + "\r\n";
    std::size_t sent = 0;
    while (sent < data.size()) {
        if (ssl_) {
            std::size_t written = 0;
            const int rc =
                SSL_write_ex(ssl_.get(), data.data() + sent, data.size() - sent, &written);
            if (rc == 1) {
                sent += written;
                continue;
            }
            wait_for_tls(rc, deadline, "TLS error while sending");
            continue;
        }
        const ssize_t written =
            ::send(socket_.get(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (written >= 0) {
            sent += static_cast<std::size_t>(written);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            wait_or_throw(socket_.get(), POLLOUT, deadline);
        } else if (errno != EINTR) {
            throw ConnectionError{describe_errno(errno)};
        }
    }
}

bool LineConnection::fill(Clock::time_point deadline) {
    std::array<char, 4096> chunk{};
    for (;;) {
        if (ssl_) {
            std::size_t got = 0;
            const int rc = SSL_read_ex(ssl_.get(), chunk.data(), chunk.size(), &got);
            if (rc == 1) {
                buffer_.append(chunk.data(), got);
                return true;
            }
            if (SSL_get_error(ssl_.get(), rc) == SSL_ERROR_ZERO_RETURN) return false;
            // A peer that closes without close_notify: the end of the stream all the same.
            if (SSL_get_error(ssl_.get(), rc) == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
                return false;
            wait_for_tls(rc, deadline, "TLS error while reading");
            continue;
        }
        const ssize_t got = ::recv(socket_.get(), chunk.data(), chunk.size(), 0);
        if (got > 0) {
            buffer_.append(chunk.data(), static_cast<std::size_t>(got));
            return true;
        }
        if (got == 0) return false;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            wait_or_throw(socket_.get(), POLLIN, deadline);
        else if (errno != EINTR)
            throw ConnectionError{describe_errno(errno)};
    }
}

std::optional<std::string> LineConnection::read_line(Clock::time_point deadline) {
    for (;;) {
        if (const auto end = buffer_.find('\n'); end != std::string::npos) {
            std::string line = buffer_.substr(0, end);
            buffer_.erase(0, end + 1);
            if (line.ends_with('\r')) line.pop_back();
            return line;
        }
        if (buffer_.size() > max_line)
            throw ConnectionError{"a line longer than " + std::to_string(max_line / 1024) + " KiB"};
        if (closed_by_peer_ || !fill(deadline)) {
            closed_by_peer_ = true;
            if (buffer_.empty()) return std::nullopt;
            return std::exchange(buffer_, {});
        }
    }
}

void LineConnection::close() {
    if (ssl_) SSL_shutdown(ssl_.get()); // one close_notify, never waiting for the peer's
}

} // namespace vitals::tcp
