// Vitals "grpc" checker: the standard gRPC health protocol, grpc.health.v1.Health/Check.
// SPDX-License-Identifier: MIT
//
// Every gRPC header is in this one file: they take long to compile.
#include "health_message.hpp"

#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/socket.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/channel_arguments.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace vitals::plugins;
using std::chrono::nanoseconds;
using vitals::grpc_health::ServingStatus;

// key, type, required, default, description, secret
constexpr vitals_param_spec grpc_params[] = {
    {"host", VITALS_PARAM_STRING, 1, nullptr,
     "Host name or numeric IPv4/IPv6 address of the gRPC server", 0},
    {"port", VITALS_PARAM_INT, 1, nullptr, "TCP port (1-65535)", 0},
    {"service", VITALS_PARAM_STRING, 0, "",
     "Service whose health is asked, e.g. \"package.Service\"; \"\" for the whole server", 0},
    {"tls", VITALS_PARAM_BOOL, 0, "false", "Connect with TLS", 0},
    {"verify_tls", VITALS_PARAM_BOOL, 0, "true",
     "Verify the server's certificate chain and name (with tls)", 0},
    {"ca_file", VITALS_PARAM_STRING, 0, nullptr,
     "PEM file of CA certificates trusted instead of gRPC's default roots (with tls)", 0},
    {"client_cert", VITALS_PARAM_STRING, 0, nullptr,
     "PEM file of the client certificate shown to the server (with tls and client_key)", 0},
    {"client_key", VITALS_PARAM_STRING, 0, nullptr,
     "PEM file of client_cert's private key (with tls)", 0},
    {"server_name", VITALS_PARAM_STRING, 0, nullptr,
     "Name sent as SNI and verified against the certificate (default: host; with tls)", 0},
    {"warning", VITALS_PARAM_DURATION, 0, nullptr, "Warn when the check takes longer than this", 0},
    {"error", VITALS_PARAM_DURATION, 0, nullptr, "Fail when the check takes longer than this", 0},
    {}, // the NULL key that ends the table
};

constexpr const char *check_method = "/grpc.health.v1.Health/Check";

/// gRPC's name for a status code, as its documentation and other tools print it.
std::string code_name(grpc::StatusCode code) {
    static constexpr std::array<const char *, 17> names = {"OK",
                                                           "CANCELLED",
                                                           "UNKNOWN",
                                                           "INVALID_ARGUMENT",
                                                           "DEADLINE_EXCEEDED",
                                                           "NOT_FOUND",
                                                           "ALREADY_EXISTS",
                                                           "PERMISSION_DENIED",
                                                           "RESOURCE_EXHAUSTED",
                                                           "FAILED_PRECONDITION",
                                                           "ABORTED",
                                                           "OUT_OF_RANGE",
                                                           "UNIMPLEMENTED",
                                                           "INTERNAL",
                                                           "UNAVAILABLE",
                                                           "DATA_LOSS",
                                                           "UNAUTHENTICATED"};
    const auto index = static_cast<std::size_t>(code);
    return index < names.size() ? names[index] : "code " + std::to_string(index);
}

/// A run that cannot go on; its text follows "TARGET: ".
struct Failure {
    std::string reason;
};

/// The whole of a PEM file the check names; read on each run, so a renewed certificate is
/// picked up without a reload.
std::string read_pem(const char *key, const std::string &path) {
    std::ifstream in{path, std::ios::binary};
    if (!in)
        throw Failure{std::string{"cannot read "} + key + " " + path + ": " +
                      describe_errno(errno)};
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string to_string(const grpc::ByteBuffer &buffer) {
    std::vector<grpc::Slice> slices;
    if (!buffer.Dump(&slices).ok()) return {};
    std::string out;
    for (const auto &slice : slices)
        out.append(reinterpret_cast<const char *>(slice.begin()), slice.size());
    return out;
}

class GrpcCheck {
public:
    explicit GrpcCheck(const vitals::Params &params)
        : host_(params.string("host")), port_(params.integer("port")),
          service_(params.string("service")), tls_(params.boolean("tls")),
          verify_tls_(params.boolean("verify_tls")) {
        if (host_.empty()) params.reject("host", "must not be empty");
        if (port_ < 1 || port_ > 65535)
            params.reject("port", "must be from 1 to 65535, got " + std::to_string(port_));
        if (std::any_of(service_.begin(), service_.end(),
                        [](char c) { return std::iscntrl(static_cast<unsigned char>(c)); }))
            params.reject("service", "must not contain control characters");
        limits_ = time_limits(params, "check");
        read_tls(params);
        target_ = endpoint_text(host_, port_);
        subject_ = target_ + (service_.empty() ? " (server)" : " service \"" + service_ + "\"");
    }

    void run(vitals::Run &run) const {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) {
            run.error(subject_ + ": no time left to ask");
            return;
        }
        const auto start = Clock::now();
        try {
            const auto status = ask(*deadline, start);
            report(run, status, Clock::now() - start);
        } catch (const Failure &failure) {
            run.error(subject_ + ": " + failure.reason);
        }
    }

private:
    void read_tls(const vitals::Params &params) {
        const auto path = [&](const char *key) -> std::string {
            if (!params.has(key)) return {};
            const std::string value = params.string(key);
            if (value.empty() || value.front() != '/')
                params.reject(key, "must be an absolute path, got \"" + value + "\"");
            if (!tls_) params.reject(key, "has no effect without tls = true");
            return value;
        };
        ca_file_ = path("ca_file");
        client_cert_ = path("client_cert");
        client_key_ = path("client_key");
        if (!ca_file_.empty() && !verify_tls_)
            params.reject("ca_file", "has no effect with verify_tls = false");
        if (client_cert_.empty() != client_key_.empty())
            params.reject(client_cert_.empty() ? "client_key" : "client_cert",
                          std::string{"needs "} +
                              (client_cert_.empty() ? "client_cert" : "client_key"));
        if (params.has("server_name")) {
            server_name_ = params.string("server_name");
            if (server_name_.empty() ||
                std::any_of(server_name_.begin(), server_name_.end(),
                            [](char c) { return !std::isgraph(static_cast<unsigned char>(c)); }))
                params.reject("server_name", "is not a host name");
            if (!tls_) params.reject("server_name", "has no effect without tls = true");
        }
        if (!tls_ && params.has("verify_tls") && !verify_tls_)
            params.reject("verify_tls", "has no effect without tls = true");
    }

    std::shared_ptr<grpc::ChannelCredentials> credentials() const {
        if (!tls_) return grpc::InsecureChannelCredentials();
        std::string key;
        std::string cert;
        if (!client_cert_.empty()) {
            cert = read_pem("client_cert", client_cert_);
            key = read_pem("client_key", client_key_);
        }
        if (verify_tls_) {
            grpc::SslCredentialsOptions options;
            if (!ca_file_.empty()) options.pem_root_certs = read_pem("ca_file", ca_file_);
            options.pem_private_key = key;
            options.pem_cert_chain = cert;
            return grpc::SslCredentials(options);
        }
        // Any certificate, any name: only the experimental TLS options can say so.
        grpc::experimental::TlsChannelCredentialsOptions options;
        options.set_verify_server_certs(false);
        options.set_certificate_verifier(
            std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
        options.set_check_call_host(false);
        if (!cert.empty()) {
            options.set_certificate_provider(
                std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
                    std::vector<grpc::experimental::IdentityKeyCertPair>{{key, cert}}));
            options.watch_identity_key_cert_pairs();
        }
        return grpc::experimental::TlsCredentials(options);
    }

    /// One Check call on a channel of its own, so that every run connects afresh.
    std::uint64_t ask(Clock::time_point deadline, Clock::time_point start) const {
        grpc::ChannelArguments arguments;
        arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1); // no connection from a past run
        arguments.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
        if (!server_name_.empty()) arguments.SetSslTargetNameOverride(server_name_);
        const auto channel = grpc::CreateCustomChannel(target_, credentials(), arguments);
        grpc::GenericStub stub{channel};

        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                 deadline - Clock::now()));
        const std::string encoded = vitals::grpc_health::encode_request(service_);
        grpc::Slice slice{encoded};
        const grpc::ByteBuffer request{&slice, 1};
        grpc::ByteBuffer response;
        // A plain mutex and condition variable, not a std::promise: ThreadSanitizer sees
        // through these the hand-over from gRPC's thread, which is not instrumented.
        std::mutex mutex;
        std::condition_variable completed;
        std::optional<grpc::Status> status;
        stub.UnaryCall(&context, check_method, grpc::StubOptions{}, &request, &response,
                       [&](grpc::Status outcome) {
                           const std::lock_guard lock{mutex};
                           status = std::move(outcome);
                           completed.notify_one();
                       });
        {
            // The deadline is the call's: gRPC always completes it, at the latest then.
            std::unique_lock lock{mutex};
            completed.wait(lock, [&] { return status.has_value(); });
        }
        if (!status->ok()) throw Failure{describe(*status, start)};
        const auto serving = vitals::grpc_health::decode_status(to_string(response));
        if (!serving) throw Failure{"the answer is not a HealthCheckResponse"};
        return *serving;
    }

    std::string describe(const grpc::Status &status, Clock::time_point start) const {
        const std::string detail =
            status.error_message().empty() ? "" : ": " + printable(status.error_message(), 200);
        switch (status.error_code()) {
        case grpc::StatusCode::DEADLINE_EXCEEDED:
            return "timed out after " + format_duration(Clock::now() - start);
        case grpc::StatusCode::NOT_FOUND:
            return "the server does not know the service (NOT_FOUND" + detail + ")";
        case grpc::StatusCode::UNIMPLEMENTED:
            return "the server has no health service (UNIMPLEMENTED" + detail + ")";
        default:
            return code_name(status.error_code()) + detail;
        }
    }

    void report(vitals::Run &run, std::uint64_t status, nanoseconds took) const {
        run.metric("response_time", to_seconds(took), "seconds");
        run.metric("serving_status", static_cast<double>(status));
        std::string message = subject_ + ": " + vitals::grpc_health::status_name(status) + " in " +
                              format_duration(took);
        switch (static_cast<ServingStatus>(status)) {
        case ServingStatus::serving:
            break;
        case ServingStatus::not_serving:
            run.error(message);
            return;
        case ServingStatus::unknown:
            run.error(message + ": the server does not know its health yet");
            return;
        case ServingStatus::service_unknown:
            run.error(message + ": the server does not know the service");
            return;
        default:
            run.error(message + ": not a status of grpc.health.v1");
            return;
        }
        if (limits_.error && took > *limits_.error)
            run.error(message + ", slower than " + format_duration(*limits_.error));
        else if (limits_.warning && took > *limits_.warning)
            run.warning(message + ", slower than " + format_duration(*limits_.warning));
        else
            run.ok(message);
    }

    std::string host_;
    std::int64_t port_;
    std::string service_;
    bool tls_;
    bool verify_tls_;
    std::string ca_file_;
    std::string client_cert_;
    std::string client_key_;
    std::string server_name_;
    TimeLimits limits_;
    std::string target_;  ///< "host:port", as gRPC's resolver reads it
    std::string subject_; ///< "host:port service \"name\"", as every message starts
};

} // namespace

VITALS_CPP_PLUGIN(GrpcCheck, "grpc", "0.1.0",
                  "Whether a gRPC server (or one of its services) reports SERVING through the "
                  "standard health protocol",
                  grpc_params)
