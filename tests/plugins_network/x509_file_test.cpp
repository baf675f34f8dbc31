// The x509_file plugin through the real vitalsd, on certificate files made with the openssl
// CLI: bundles, DER, globs, dates, chains and keys. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "core/host_name.hpp"

#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include "host_check_support.hpp"
#include "support/test_certificates.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::network;

std::string quoted(const std::filesystem::path &path) {
    return "\"" + path.string() + "\"";
}

std::string read_all(const std::filesystem::path &path) {
    std::ifstream in{path, std::ios::binary};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

/// `parts` one after another in `name`: a PEM bundle.
std::filesystem::path bundle(const TempDir &dir, const std::string &name,
                             const std::vector<std::filesystem::path> &parts) {
    std::string text;
    for (const auto &part : parts)
        text += read_all(part);
    return dir.write(name, text);
}

} // namespace

TEST_CASE("x509_file: every certificate of a PEM bundle, a DER file and a glob, by days left") {
    TempDir dir;
    const auto ten = make_cert(dir, "ten", 10);
    const auto three = make_cert(dir, "three", 3);
    const auto year = make_cert(dir, "year", 365);
    const auto ten_and_year =
        bundle(dir, "bundle/ten_and_year.pem", {year.cert, ten.key, ten.cert});
    const auto der = dir.path() / "three.der";
    run_command(dir, "openssl x509 -in '" + three.cert.string() + "' -outform DER -out '" +
                         der.string() + "'");
    Agent agent{check_toml("bundle", "x509_file", "paths = [" + quoted(ten_and_year) + "]") +
                check_toml("der", "x509_file", "paths = [" + quoted(der) + "]") +
                check_toml("year", "x509_file", "paths = [" + quoted(year.cert) + "]") +
                check_toml("glob", "x509_file",
                           "paths = [\"" + dir.path().string() + "/*.crt\", " + quoted(der) +
                               "], warning_days = 2, error_days = 1")};

    // The soonest certificate of the bundle speaks for it, wherever it is in the file; the
    // key between the two certificates is skipped.
    const auto in_bundle = first_result(agent, "bundle");
    INFO(message_of(in_bundle));
    CHECK(text(in_bundle, "status") == "warning");
    CHECK(message_of(in_bundle).starts_with(ten_and_year.string() +
                                            " (2 of 2): certificate CN=localhost expires "));
    CHECK(contains(message_of(in_bundle), "less than 30 days (2 certificates in 1 file)"));
    CHECK(*metric(in_bundle, "certificates") == 2);
    CHECK(*metric(in_bundle, "days_left") > 9.9);
    CHECK(*metric(in_bundle, "days_left") <= 10);

    const auto in_der = first_result(agent, "der");
    INFO(message_of(in_der));
    CHECK(text(in_der, "status") == "error");
    CHECK(message_of(in_der).starts_with(der.string() + ": certificate CN=localhost expires "));
    CHECK(contains(message_of(in_der), "less than 7 days"));
    CHECK(http_get(agent.port(), "/health/checks/der").status == 503);

    const auto a_year = first_result(agent, "year");
    INFO(message_of(a_year));
    CHECK(text(a_year, "status") == "ok");
    CHECK(*metric(a_year, "days_left") > 364);

    const auto globbed = first_result(agent, "glob");
    INFO(message_of(globbed));
    CHECK(text(globbed, "status") == "ok");
    CHECK(*metric(globbed, "certificates") == 4); // ten, three, year and the DER three
    CHECK(contains(message_of(globbed), "(4 certificates in 4 files)"));
    CHECK(*metric(globbed, "days_left") <= 3.0); // the three-day ones, not the ten

    expect_promtool_clean(agent, R"(vitals_check_metric_seconds{check="bundle",instance=")" +
                                     vitals::host_name() + R"(",metric="days_left"} )");
}

TEST_CASE("x509_file: expired and not-yet-valid certificates are errors") {
    TempDir dir;
    const auto expired = make_dated_cert(dir, "expired", asn1_date(-40), asn1_date(-5));
    const auto future = make_dated_cert(dir, "future", asn1_date(2), asn1_date(400));
    const auto year = make_cert(dir, "year", 365);
    const auto mixed = bundle(dir, "mixed.pem", {year.cert, expired.cert});
    Agent agent{check_toml("expired", "x509_file", "paths = [" + quoted(expired.cert) + "]") +
                check_toml("future", "x509_file", "paths = [" + quoted(future.cert) + "]") +
                check_toml("mixed", "x509_file", "paths = [" + quoted(mixed) + "]")};

    check_dated_out(first_result(agent, "expired"), first_result(agent, "future"));

    // One bad certificate in a bundle fails the file, however good the others are.
    const auto one_bad = first_result(agent, "mixed");
    INFO(message_of(one_bad));
    CHECK(text(one_bad, "status") == "error");
    CHECK(message_of(one_bad).starts_with(mixed.string() + " (2 of 2): "));
}

TEST_CASE("x509_file: the chain verifies against ca_file, and key_file must be the key") {
    TestCertificates pki; // valid for 2 days: thresholds below that
    const auto days = ", warning_days = 1, error_days = 0";
    TempDir dir;
    const auto with_intermediate =
        bundle(dir, "intruder_chain.pem", {pki.path("intruder.crt"), pki.path("stranger-ca.crt")});
    Agent agent{check_toml("trusted", "x509_file",
                           "paths = [" + quoted(pki.path("server.crt")) +
                               "], ca_file = " + quoted(pki.path("ca.crt")) + days) +
                check_toml("stranger", "x509_file",
                           "paths = [" + quoted(pki.path("intruder.crt")) +
                               "], ca_file = " + quoted(pki.path("ca.crt")) + days) +
                check_toml("own_chain", "x509_file",
                           "paths = [" + quoted(with_intermediate) +
                               "], ca_file = " + quoted(pki.path("stranger-ca.crt")) + days) +
                check_toml("own_key", "x509_file",
                           "paths = [" + quoted(pki.path("server.crt")) +
                               "], key_file = " + quoted(pki.path("server.key")) + days) +
                check_toml("wrong_key", "x509_file",
                           "paths = [" + quoted(pki.path("server.crt")) +
                               "], key_file = " + quoted(pki.path("client.key")) + days) +
                check_toml("no_key", "x509_file",
                           "paths = [" + quoted(pki.path("server.crt")) +
                               "], key_file = " + quoted(pki.path("server.crt")) + days)};

    const auto trusted = first_result(agent, "trusted");
    INFO(message_of(trusted));
    CHECK(text(trusted, "status") == "ok");

    const auto stranger = first_result(agent, "stranger");
    INFO(message_of(stranger));
    CHECK(text(stranger, "status") == "error");
    CHECK(contains(message_of(stranger), ", but does not verify against " +
                                             pki.path("ca.crt").string() +
                                             ": unable to get local issuer certificate"));

    const auto own_chain = first_result(agent, "own_chain");
    INFO(message_of(own_chain));
    CHECK(text(own_chain, "status") == "ok");
    CHECK(*metric(own_chain, "certificates") == 2);

    const auto own_key = first_result(agent, "own_key");
    INFO(message_of(own_key));
    CHECK(text(own_key, "status") == "ok");

    const auto wrong_key = first_result(agent, "wrong_key");
    INFO(message_of(wrong_key));
    CHECK(text(wrong_key, "status") == "error");
    CHECK(contains(message_of(wrong_key),
                   ", but " + pki.path("client.key").string() + " is not its private key"));

    const auto no_key = first_result(agent, "no_key");
    INFO(message_of(no_key));
    CHECK(text(no_key, "status") == "error");
    CHECK(contains(message_of(no_key),
                   ", but key_file " + pki.path("server.crt").string() + ": holds no private key"));
}

TEST_CASE("x509_file: missing files, empty globs, a FIFO and files without certificates fail") {
    TempDir dir;
    const auto year = make_cert(dir, "year", 365);
    const auto fifo = dir.path() / "fifo.pem";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const auto text_file = dir.write("notes.pem", "not a certificate\n");
    Agent agent{
        check_toml("missing", "x509_file", "paths = [\"" + dir.path().string() + "/gone.pem\"]") +
        check_toml("no_match", "x509_file",
                   "paths = [\"" + dir.path().string() + "/nowhere/*.pem\", " + quoted(year.cert) +
                       "]") +
        // A FIFO nobody writes to would block a plain open(): the run must not wait for it.
        check_toml("fifo", "x509_file", "paths = [" + quoted(fifo) + "]", "1s") +
        check_toml("no_certificate", "x509_file",
                   "paths = [" + quoted(text_file) + ", " + quoted(year.key) + "]")};

    const auto missing = first_result(agent, "missing");
    CHECK(message_of(missing) == dir.path().string() + "/gone.pem: no such file or directory");
    CHECK(text(missing, "status") == "error");

    const auto no_match = first_result(agent, "no_match");
    INFO(message_of(no_match));
    CHECK(text(no_match, "status") == "error");
    CHECK(message_of(no_match) ==
          "no file matches " + dir.path().string() + "/nowhere/*.pem (1 certificate in 1 file)");

    const auto fifo_result = first_result(agent, "fifo");
    CHECK(message_of(fifo_result) == fifo.string() + ": is not a regular file");

    const auto none = first_result(agent, "no_certificate");
    INFO(message_of(none));
    CHECK(text(none, "status") == "error");
    CHECK(message_of(none) == text_file.string() +
                                  ": holds no certificate (PEM or DER) (0 certificates in 2 "
                                  "files, 1 more not ok)");
}

TEST_CASE("x509_file: bad parameters are reported at their file, line and key") {
    int exit_code = 0;
    const auto problems = config_problems(
        check_toml("relative", "x509_file", R"(paths = ["certs/site.pem"])") +
            check_toml("empty", "x509_file", R"(paths = [])") +
            check_toml("order", "x509_file",
                       R"(paths = ["/a.pem"], warning_days = 5, error_days = 10)") +
            check_toml("range", "x509_file", R"(paths = ["/a.pem"], error_days = -1)") +
            check_toml("key_glob", "x509_file",
                       R"(paths = ["/etc/ssl/*.pem"], key_file = "/k.pem")") +
            check_toml("ca_relative", "x509_file", R"(paths = ["/a.pem"], ca_file = "ca.pem")") +
            check_toml("fine", "x509_file",
                       R"(paths = ["/etc/ssl/*.pem", "/a.der"], ca_file = "/ca.pem", )"
                       R"(warning_days = 20, error_days = 5)"),
        exit_code);
    CHECK(exit_code == 78);
    expect_problem(problems, "check.relative.params.paths", params_line(0),
                   "must be an absolute path, got \"certs/site.pem\"");
    expect_problem(problems, "check.empty.params.paths", params_line(1),
                   "must name at least one file");
    expect_problem(problems, "check.order.params.warning_days", params_line(2),
                   "must not be below error_days (5 < 10)");
    expect_problem(problems, "check.range.params.error_days", params_line(3),
                   "must be from 0 to 3650, got -1");
    expect_problem(problems, "check.key_glob.params.key_file", params_line(4),
                   "needs paths to name exactly one file");
    expect_problem(problems, "check.ca_relative.params.ca_file", params_line(5),
                   "must be an absolute path");
    CHECK(problems.size() == 6);
}
