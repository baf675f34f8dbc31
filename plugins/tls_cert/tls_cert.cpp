// Vitals "tls_cert" checker: how long until a server's TLS certificate expires.
// SPDX-License-Identifier: MIT
#include <vitals/plugin.hpp>
#include <vitals_plugins/certificate_text.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/fd.hpp>
#include <vitals_plugins/socket.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace vitals::plugins;
using std::chrono::nanoseconds;
using namespace std::chrono_literals;

// key, type, required, default, description, secret
constexpr vitals_param_spec tls_cert_params[] = {
    {"host", VITALS_PARAM_STRING, 1, nullptr,
     "Host name or numeric IPv4/IPv6 address to connect to", 0},
    {"port", VITALS_PARAM_INT, 0, "443", "TCP port (1-65535)", 0},
    {"server_name", VITALS_PARAM_STRING, 0, nullptr,
     "Name sent as SNI and verified with verify = true (default: host, unless an address)", 0},
    {"warning_days", VITALS_PARAM_INT, 0, "30",
     "Warn when the certificate expires in fewer days than this", 0},
    {"error_days", VITALS_PARAM_INT, 0, "7",
     "Fail when the certificate expires in fewer days than this", 0},
    {"verify", VITALS_PARAM_BOOL, 0, "false",
     "Also fail unless the chain is trusted and matches server_name", 0},
    {"ca_file", VITALS_PARAM_STRING, 0, nullptr,
     "PEM file of CA certificates trusted instead of the system's (with verify = true)", 0},
    {}, // the NULL key that ends the table
};

// ---------------------------------------------------------------- OpenSSL ownership

struct SslCtxDeleter {
    void operator()(SSL_CTX *ctx) const noexcept { SSL_CTX_free(ctx); }
};
struct SslDeleter {
    void operator()(SSL *ssl) const noexcept { SSL_free(ssl); }
};
struct X509Deleter {
    void operator()(X509 *cert) const noexcept { X509_free(cert); }
};
using SslCtx = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using Ssl = std::unique_ptr<SSL, SslDeleter>;
using Certificate = std::unique_ptr<X509, X509Deleter>;

// ---------------------------------------------------------------- sockets with a deadline

/// A non-blocking connection to one address, or the reason there is none.
struct Dialled {
    UniqueFd socket;
    std::string failure;
};

Dialled dial(const addrinfo &address, Clock::time_point deadline) {
    Dialled result;
    result.socket = open_socket(address);
    if (!result.socket.valid()) {
        result.failure = "socket: " + describe_errno(errno);
        return result;
    }
    if (const int error = connect_by(result.socket.get(), address, deadline); error != 0) {
        result.failure = error == ETIMEDOUT ? "timed out" : describe_errno(error);
        result.socket.reset();
    }
    return result;
}

// ---------------------------------------------------------------- the check

/// A run that cannot go on; its text follows "TARGET: ".
struct Failure {
    std::string reason;
};

class TlsCertCheck {
public:
    explicit TlsCertCheck(const vitals::Params &params)
        : host_(params.string("host")), port_(params.integer("port")), days_(day_limits(params)),
          verify_(params.boolean("verify")) {
        if (host_.empty()) params.reject("host", "must not be empty");
        if (port_ < 1 || port_ > 65535)
            params.reject("port", "must be from 1 to 65535, got " + std::to_string(port_));
        if (params.has("server_name")) {
            server_name_ = params.string("server_name");
            if (server_name_.empty()) params.reject("server_name", "must not be empty");
            if (server_name_.size() > 253 ||
                std::any_of(server_name_.begin(), server_name_.end(),
                            [](char c) { return !std::isgraph(static_cast<unsigned char>(c)); }))
                params.reject("server_name", "is not a host name");
        } else if (!is_ip_literal(host_)) {
            server_name_ = host_;
        }
        if (params.has("ca_file")) {
            ca_file_ = params.string("ca_file");
            if (ca_file_.empty() || ca_file_.front() != '/')
                params.reject("ca_file", "must be an absolute path, got \"" + ca_file_ + "\"");
            if (!verify_) params.reject("ca_file", "has no effect unless verify = true");
        }
        target_ = endpoint_text(host_, port_);
        if (!server_name_.empty() && server_name_ != host_) target_ += " (" + server_name_ + ")";
    }

    void run(vitals::Run &run) const {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) {
            run.error("no time left to connect to " + target_);
            return;
        }
        ERR_clear_error(); // the queue is per thread; start this run with an empty one
        const auto start = Clock::now();
        try {
            const SslCtx context = make_context();
            const UniqueFd socket = connect_any(*deadline, start);
            const Ssl ssl = handshake(*context, socket, *deadline, start);
            const Certificate cert{SSL_get1_peer_certificate(ssl.get())};
            if (!cert) throw Failure{"the server sent no certificate"};
            const long verified = SSL_get_verify_result(ssl.get());
            SSL_shutdown(ssl.get()); // one close_notify, never waiting for the peer's
            report(run, cert.get(), verified);
        } catch (const Failure &failure) {
            run.error(target_ + ": " + failure.reason);
        }
    }

private:
    SslCtx make_context() const {
        SslCtx context{SSL_CTX_new(TLS_client_method())};
        if (!context) throw Failure{"TLS setup failed: " + openssl_reason("out of memory")};
        // Never abort the handshake over the chain: the expiry is read either way, and with
        // verify = true the result is judged afterwards (SSL_get_verify_result).
        SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);
        if (verify_) {
            const int loaded =
                ca_file_.empty()
                    ? SSL_CTX_set_default_verify_paths(context.get())
                    : SSL_CTX_load_verify_locations(context.get(), ca_file_.c_str(), nullptr);
            if (loaded != 1)
                throw Failure{ca_file_.empty() ? "cannot load the system's CA certificates"
                                               : "cannot load ca_file " + ca_file_ + ": " +
                                                     openssl_reason("not a PEM file")};
        }
        return context;
    }

    UniqueFd connect_any(Clock::time_point deadline, Clock::time_point start) const {
        std::string resolve_error;
        const AddrinfoList addresses = resolve_tcp(host_, port_, resolve_error);
        if (!addresses) throw Failure{"cannot resolve " + host_ + ": " + resolve_error};
        std::vector<std::string> failures;
        for (const addrinfo *address = addresses.get(); address; address = address->ai_next) {
            const auto now = Clock::now();
            if (now >= deadline) break;
            Dialled dialled = dial(*address, attempt_deadline(*address, now, deadline));
            if (dialled.socket.valid()) return std::move(dialled.socket);
            failures.push_back(dialled.failure);
        }
        if (Clock::now() >= deadline)
            throw Failure{"timed out after " + format_duration(Clock::now() - start) +
                          " connecting"};
        throw Failure{"cannot connect: " + join(failures, "; ")};
    }

    Ssl handshake(SSL_CTX &context, const UniqueFd &socket, Clock::time_point deadline,
                  Clock::time_point start) const {
        Ssl ssl{SSL_new(&context)};
        if (!ssl || SSL_set_fd(ssl.get(), socket.get()) != 1)
            throw Failure{"TLS setup failed: " + openssl_reason("out of memory")};
        if (!server_name_.empty() && !is_ip_literal(server_name_))
            SSL_set_tlsext_host_name(ssl.get(), server_name_.c_str());
        if (verify_) {
            // Checked against the certificate during verification; the result lands in
            // SSL_get_verify_result() like any other chain problem.
            const std::string &name = server_name_.empty() ? host_ : server_name_;
            X509_VERIFY_PARAM *param = SSL_get0_param(ssl.get());
            if (is_ip_literal(name))
                X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
            else
                SSL_set1_host(ssl.get(), name.c_str());
        }
        for (;;) {
            const int rc = SSL_connect(ssl.get());
            if (rc == 1) return ssl;
            const int error = SSL_get_error(ssl.get(), rc);
            short events = 0;
            if (error == SSL_ERROR_WANT_READ) events = POLLIN;
            if (error == SSL_ERROR_WANT_WRITE) events = POLLOUT;
            if (events == 0) {
                if (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
                    throw Failure{"TLS handshake failed: connection closed by the server"};
                throw Failure{"TLS handshake failed: " + openssl_reason("protocol error")};
            }
            const int waited = wait_for(socket.get(), events, deadline);
            if (waited == ETIMEDOUT)
                throw Failure{"timed out after " + format_duration(Clock::now() - start) +
                              " in the TLS handshake"};
            if (waited != 0) throw Failure{"TLS handshake failed: " + describe_errno(waited)};
        }
    }

    void report(vitals::Run &run, X509 *cert, long verified) const {
        const Validity validity = judge_validity(cert, days_, target_);
        if (validity.days_left) run.metric("days_left", *validity.days_left, "days");
        if (verify_ && verified != X509_V_OK && !validity.dated_out) {
            run.error(validity.text +
                      ", but is not trusted: " + X509_verify_cert_error_string(verified));
            return;
        }
        run.result(validity.status, validity.text);
    }

    std::string host_;
    std::int64_t port_;
    DayLimits days_;
    bool verify_;
    std::string server_name_; ///< SNI and verified name; empty for an address without one
    std::string ca_file_;
    std::string target_; ///< "host:port (name)", as every message names it
};

} // namespace

VITALS_CPP_PLUGIN(TlsCertCheck, "tls_cert", "0.1.0",
                  "How many days are left before a server's TLS certificate expires",
                  tls_cert_params)
