// A throwaway CA and certificates made with openssl(1), for tests of TLS between
// vitalsd and its clients. SPDX-License-Identifier: MIT
#pragma once

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/temp_dir.hpp"

namespace vitals::test {

/// In one folder: ca.crt/ca.key, server.crt/server.key (for 127.0.0.1, signed by
/// the CA, without the CA in the file), client.crt/client.key (clientAuth, signed
/// by the CA), and stranger-ca.crt, another CA, which signed only intruder.crt/.key
/// (clientAuth). Keys are 0600.
class TestCertificates {
public:
    TestCertificates() {
        make_ca("ca");
        make_ca("stranger-ca");
        sign("server", "subjectAltName=IP:127.0.0.1");
        sign("client", "extendedKeyUsage=clientAuth");
        sign("intruder", "extendedKeyUsage=clientAuth", "stranger-ca");
    }

    std::filesystem::path path(const std::string &name) const { return dir_.path() / name; }

    /// agent.toml's [tls] for the server certificate; with `client_ca`, mTLS.
    std::string tls_table(bool client_ca) const {
        return "[tls]\ncertificate = \"" + path("server.crt").string() + "\"\nkey = \"" +
               path("server.key").string() + "\"\n" +
               (client_ca ? "client_ca = \"" + path("ca.crt").string() + "\"\n" : "");
    }

private:
    void shell(const std::string &command) const {
        const std::string line =
            "cd '" + dir_.path().string() + "' && " + command + " >/dev/null 2>&1";
        const int status = std::system(line.c_str());
        REQUIRE_MESSAGE((WIFEXITED(status) && WEXITSTATUS(status) == 0), line);
    }
    void make_ca(const std::string &name) const {
        shell("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
              name + ".key -out " + name + ".crt -days 2 -subj /CN=vitals-test-" + name);
        private_file(name + ".key");
    }
    void sign(const std::string &who, const std::string &extension,
              const std::string &ca = "ca") const {
        shell("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + who +
              ".key -out " + who + ".csr -subj /CN=" + who + " && printf '" + extension + "' > " +
              who + ".ext && openssl x509 -req -in " + who + ".csr -CA " + ca + ".crt -CAkey " +
              ca + ".key -CAcreateserial -days 2 -extfile " + who + ".ext -out " + who + ".crt");
        private_file(who + ".key");
    }
    void private_file(const std::string &name) const {
        std::filesystem::permissions(path(name), std::filesystem::perms::owner_read |
                                                     std::filesystem::perms::owner_write);
    }

    TempDir dir_;
};

} // namespace vitals::test
