// A connected TCP socket spoken to a line at a time, in the clear or over TLS, every
// operation bounded by the run's deadline. SPDX-License-Identifier: MIT
#pragma once

#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/fd.hpp>

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace vitals::tcp {

/// How TLS is set up on a connection.
struct TlsSettings {
    bool verify = true;      ///< the chain and the name
    std::string ca_file;     ///< trusted instead of the system's CAs; empty for those
    std::string server_name; ///< sent as SNI (unless an address) and verified
};

/// An operation that failed; the text says why ("connection reset by peer").
class ConnectionError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The deadline passed first.
class DeadlineReached : public ConnectionError {
public:
    DeadlineReached() : ConnectionError{"timed out"} {}
};

/// Calls are serialised by the caller (one run at a time).
class LineConnection {
public:
    /// The longest line read: a server that never ends its line cannot fill the memory.
    static constexpr std::size_t max_line = 64 * 1024;

    /// `socket`: connected and non-blocking.
    explicit LineConnection(vitals::plugins::UniqueFd socket);
    ~LineConnection();
    LineConnection(const LineConnection &) = delete;
    LineConnection &operator=(const LineConnection &) = delete;

    /// The TLS handshake; "TLS certificate not trusted: ..." and the like on failure.
    void start_tls(const TlsSettings &settings, vitals::plugins::Clock::time_point deadline);
    /// Sends `line` and CR LF.
    void send_line(const std::string &line, vitals::plugins::Clock::time_point deadline);
    /// The next line without its line ending, or nothing once the server has closed the
    /// connection (a last line without one is returned first).
    std::optional<std::string> read_line(vitals::plugins::Clock::time_point deadline);
    /// Sends TLS's close_notify, without waiting for the peer's.
    void close();

private:
    struct SslDeleter {
        void operator()(SSL *ssl) const noexcept { SSL_free(ssl); }
    };
    struct SslCtxDeleter {
        void operator()(SSL_CTX *ctx) const noexcept { SSL_CTX_free(ctx); }
    };

    /// Reads what is there into buffer_; false at the end of the stream.
    bool fill(vitals::plugins::Clock::time_point deadline);
    /// Waits as OpenSSL asks after `rc`, or throws what went wrong.
    void wait_for_tls(int rc, vitals::plugins::Clock::time_point deadline, const char *doing);

    vitals::plugins::UniqueFd socket_;
    std::unique_ptr<SSL_CTX, SslCtxDeleter> context_;
    std::unique_ptr<SSL, SslDeleter> ssl_;
    std::string buffer_; ///< read, not yet returned
    bool closed_by_peer_ = false;
};

} // namespace vitals::tcp
