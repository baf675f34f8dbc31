// A real gRPC server for the grpc plugin's tests, on 127.0.0.1:<free port>.
// SPDX-License-Identifier: MIT
//
//   grpc_health_server PORT_FILE [--tls CERT KEY [--client-ca CA]] [--answer MODE]
//
// Without --answer: gRPC's own health service (grpc::EnableDefaultHealthCheckService), the
// whole server SERVING; lines on stdin switch a service, "SERVING <name>" or
// "NOT_SERVING <name>" ("-" for the whole server). With --answer, no health service of gRPC's:
// every Health/Check call is answered by hand, MODE being a status number to answer with,
// "hang" (never answer until the client gives up) or "none" (UNIMPLEMENTED, as a server
// without a health service answers). The port goes to PORT_FILE once the server serves. The
// server stops at the end of stdin, or on SIGTERM.
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

namespace {

std::string read_file(const std::string &path) {
    std::ifstream in{path};
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// One Check call answered by hand, as --answer says.
class Answer : public grpc::ServerGenericBidiReactor {
public:
    Answer(grpc::GenericCallbackServerContext *context, const std::string &mode) : mode_(mode) {
        if (context->method() != "/grpc.health.v1.Health/Check" || mode_ == "none") {
            Finish(grpc::Status{grpc::StatusCode::UNIMPLEMENTED, "no such method here"});
            return;
        }
        StartRead(&request_);
    }

    void OnReadDone(bool ok) override {
        if (!ok) {
            finish(grpc::Status{grpc::StatusCode::INVALID_ARGUMENT, "no request"});
            return;
        }
        if (mode_ == "hang") return; // until OnCancel, when the client's deadline passes
        // HealthCheckResponse{status}: field 1, a varint (absent when 0, as proto3 writes it).
        const int status = std::stoi(mode_);
        const std::string bytes =
            status == 0 ? std::string{} : std::string{'\x08', static_cast<char>(status)};
        grpc::Slice slice{bytes};
        response_ = grpc::ByteBuffer{&slice, 1};
        finished_ = true;
        StartWriteAndFinish(&response_, grpc::WriteOptions{}, grpc::Status::OK);
    }

    void OnCancel() override { finish(grpc::Status::CANCELLED); }
    void OnDone() override { delete this; }

private:
    void finish(const grpc::Status &status) {
        if (finished_) return;
        finished_ = true;
        Finish(status);
    }

    std::string mode_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;
    bool finished_ = false;
};

class AnsweringService : public grpc::CallbackGenericService {
public:
    explicit AnsweringService(std::string mode) : mode_(std::move(mode)) {}
    grpc::ServerGenericBidiReactor *
    CreateReactor(grpc::GenericCallbackServerContext *context) override {
        return new Answer(context, mode_);
    }

private:
    std::string mode_;
};

} // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::cerr << "usage: grpc_health_server PORT_FILE [--tls CERT KEY [--client-ca CA]] "
                     "[--answer MODE]\n";
        return 64;
    }
    const std::string port_file = argv[1];
    std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
    grpc::SslServerCredentialsOptions tls;
    bool use_tls = false;
    std::string answer;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--tls" && i + 2 < argc) {
            tls.pem_key_cert_pairs.push_back({read_file(argv[i + 2]), read_file(argv[i + 1])});
            use_tls = true;
            i += 2;
        } else if (arg == "--client-ca" && i + 1 < argc) {
            tls.pem_root_certs = read_file(argv[++i]);
            tls.client_certificate_request =
                GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
        } else if (arg == "--answer" && i + 1 < argc) {
            answer = argv[++i];
        } else {
            std::cerr << "unknown argument " << arg << "\n";
            return 64;
        }
    }
    if (use_tls) credentials = grpc::SslServerCredentials(tls);

    // Blocked before gRPC starts its threads, which inherit the mask: sigwait() takes it.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    if (answer.empty()) grpc::EnableDefaultHealthCheckService(true); // before BuildAndStart
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", credentials, &port);
    // gRPC 1.51 refuses to start with no service registered, and its health service alone
    // does not count: a generic one (UNIMPLEMENTED for everything) goes with it.
    AnsweringService service{answer.empty() ? "none" : answer};
    builder.RegisterCallbackGenericService(&service);
    const std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server || port == 0) {
        std::cerr << "the server did not start\n";
        return 1;
    }
    {
        const std::string temporary = port_file + ".new";
        std::ofstream{temporary} << port << "\n";
        std::filesystem::rename(temporary, port_file); // whole, or not yet there
    }
    std::cerr << "serving on 127.0.0.1:" << port << std::endl;

    std::thread{[&] {
        int signal_number = 0;
        sigwait(&signals, &signal_number);
        server->Shutdown();
    }}.detach();
    std::thread{[&] {
        grpc::HealthCheckServiceInterface *health = server->GetHealthCheckService();
        std::string line;
        while (std::getline(std::cin, line)) {
            std::istringstream words{line};
            std::string command;
            std::string name;
            words >> command >> name;
            if (name == "-") name.clear();
            if (!health) continue;
            if (command == "SERVING") health->SetServingStatus(name, true);
            if (command == "NOT_SERVING") health->SetServingStatus(name, false);
            std::cerr << "done: " << line << std::endl;
        }
        server->Shutdown();
    }}.detach();
    server->Wait();
    return 0;
}
