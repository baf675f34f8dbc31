// [access] and [tls] in agent.toml, and how tokens become scopes. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include <Poco/Base64Encoder.h>

#include "config/config_reader.hpp"
#include "http/access_policy.hpp"
#include "http/health_routes.hpp"
#include "http/router.hpp"
#include "support/config_case.hpp"
#include "support/http_request.hpp"

using namespace vitals;
using vitals::test::get_request;

namespace {

const std::string read_token = "r3ad-t0ken-0123456789";
const std::string write_token = "wr1te-t0ken-0123456789";

using AccessCase = vitals::test::ConfigCase;
using vitals::test::errors_of;

HttpHeaders bearer(const std::string &token) {
    return {{"Authorization", "Bearer " + token}};
}

} // namespace

TEST_CASE("access: a token file gives each token its scope, anonymous callers get probe") {
    AccessCase c;
    c.dir.write_secret("tokens", "# scrapers\nread " + read_token + " prometheus\n\nwrite " +
                                     write_token + "\n");
    const auto result = c.read("[access]\ntoken_file = \"tokens\"\n");
    INFO(errors_of(result));
    REQUIRE(result.errors.empty());
    const AccessSettings &access = result.config.agent.access;
    REQUIRE(access.tokens.size() == 2);
    CHECK(access.tokens[0].name == "prometheus");
    CHECK(access.tokens[1].name == "line 4");
    CHECK(access.anonymous == Scope::probe);

    const AccessPolicy policy{access};
    CHECK(policy.identify({}).scope == Scope::probe);
    CHECK_FALSE(policy.identify({}).presented_credentials);
    CHECK(policy.identify(bearer(read_token)).scope == Scope::read);
    CHECK(policy.identify(bearer(read_token)).presented_credentials);
    CHECK(policy.identify({{"authorization", "bearer " + write_token}}).scope == Scope::write);
    const Caller wrong = policy.identify(bearer(read_token + "x"));
    CHECK(wrong.scope == Scope::none);
    CHECK_FALSE(wrong.presented_credentials); // 401 again, not 403
    CHECK(policy.identify({{"Authorization", "Basic " + read_token}}).scope == Scope::none);
}

TEST_CASE("access: Basic credentials whose password is a token count as that token") {
    AccessCase c;
    c.dir.write_secret("tokens", "read " + read_token + "\nwrite " + write_token + "\n");
    const auto result = c.read("[access]\ntoken_file = \"tokens\"\n");
    REQUIRE(result.errors.empty());
    const AccessPolicy policy{result.config.agent.access};
    const auto basic = [&](const std::string &user_and_password) {
        std::ostringstream encoded;
        Poco::Base64Encoder encoder{encoded};
        encoder << user_and_password;
        encoder.close();
        return policy.identify({{"Authorization", "Basic " + encoded.str()}});
    };
    CHECK(basic("prometheus:" + read_token).scope == Scope::read);
    CHECK(basic("prometheus:" + read_token).presented_credentials);
    CHECK(basic(":" + write_token).scope == Scope::write);
    CHECK(basic("a:b:" + read_token).scope == Scope::none); // the password starts at the first ':'
    CHECK(basic(read_token + ":").scope == Scope::none);    // a token as user name is not one
    CHECK(basic(read_token).scope == Scope::none);          // no ':' at all
    const Caller wrong = basic("x:" + read_token + "x");
    CHECK(wrong.scope == Scope::none);
    CHECK_FALSE(wrong.presented_credentials);
    CHECK(policy.identify({{"Authorization", "Basic ***"}}).scope == Scope::none);
    CHECK(policy.identify({{"Authorization", "Basic"}}).scope == Scope::none);
    CHECK(policy.identify({{"Authorization", "Basicx " + read_token}}).scope == Scope::none);
    CHECK(policy.identify({{"Authorization", "Digest " + read_token}}).scope == Scope::none);
}

TEST_CASE("access: without a token file everyone may do everything, unless anonymous says less") {
    AccessCase c;
    CHECK(c.read("").config.agent.access.anonymous == Scope::write);
    const auto locked = c.read("[access]\nanonymous = \"probe\"\n");
    REQUIRE(locked.errors.empty());
    CHECK(AccessPolicy{locked.config.agent.access}.identify({}).scope == Scope::probe);
}

TEST_CASE("access: a world-readable token file is refused, naming file and key") {
    AccessCase c;
    const auto file = c.dir.write("tokens", "read " + read_token + "\n"); // umask: 0644
    std::filesystem::permissions(file, std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    const auto result = c.read("[access]\ntoken_file = \"tokens\"\n");
    REQUIRE(result.errors.size() == 1);
    const std::string error = result.errors[0].to_string();
    CHECK(error.find("agent.toml:3:") != std::string::npos);
    CHECK(error.find(": access.token_file: ") != std::string::npos);
    CHECK(error.find("accessible by every user") != std::string::npos);
    CHECK(error.find(read_token) == std::string::npos);
}

TEST_CASE("access: bad token lines are located by file and line, without the token") {
    AccessCase c;
    c.dir.write_secret("tokens",
                       "read " + read_token + "\nadmin " + write_token + "\nwrite abc123\nread\n");
    const auto result = c.read("[access]\ntoken_file = \"tokens\"\n");
    const std::string errors = errors_of(result);
    CHECK(result.errors.size() == 3);
    CHECK(errors.find("tokens:2:1: token: unknown scope \"admin\"") != std::string::npos);
    CHECK(errors.find("tokens:3:1: token: token shorter than 16 characters") != std::string::npos);
    CHECK(errors.find("tokens:4:1: token: expected") != std::string::npos);
    CHECK(errors.find(write_token) == std::string::npos);
    CHECK(errors.find("abc123") == std::string::npos);
}

TEST_CASE("access: [tls] needs a certificate and a private key kept private") {
    AccessCase c;
    c.dir.write("server.crt", "not checked here");
    c.dir.write("server.key", "open to all");
    const auto result = c.read("[tls]\ncertificate = \"server.crt\"\nkey = \"server.key\"\n");
    const std::string errors = errors_of(result);
    CHECK(errors.find("tls.key: ") != std::string::npos);
    CHECK(errors.find("accessible by every user") != std::string::npos);
    CHECK(errors_of(c.read("[tls]\nkey = \"server.key\"\n")).find("tls.certificate") !=
          std::string::npos);
    CHECK(errors_of(c.read("[tls]\ncertificate = \"missing.crt\"\nkey = \"server.key\"\n"))
              .find("tls.certificate: cannot read") != std::string::npos);
}

TEST_CASE("access: routes answer 401, 403 or serve by the caller's scope") {
    Router router;
    router.get(
        "/probe", [](const HttpRequest &, const Captures &) { return json_response(200, "{}"); },
        Scope::probe);
    router.get("/details",
               [](const HttpRequest &, const Captures &) { return json_response(200, "{}"); });
    router.post("/push",
                [](const HttpRequest &, const Captures &) { return json_response(202, "{}"); });
    auto as = [](Scope scope, bool presented, std::string method, std::string path) {
        HttpRequest request = vitals::test::make_request(std::move(method), path);
        request.caller = {scope, presented};
        return request;
    };
    CHECK(router.handle(as(Scope::probe, false, "GET", "/probe")).status == 200);
    const auto anonymous = router.handle(as(Scope::probe, false, "GET", "/details"));
    CHECK(anonymous.status == 401);
    CHECK(anonymous.headers.at("WWW-Authenticate").starts_with("Bearer"));
    CHECK(anonymous.body.find("read") != std::string::npos);
    CHECK(router.handle(as(Scope::read, true, "GET", "/details")).status == 200);
    CHECK(router.handle(as(Scope::read, true, "POST", "/push")).status == 403);
    CHECK(router.handle(as(Scope::write, true, "POST", "/push")).status == 202);
    CHECK(router.handle(as(Scope::none, false, "GET", "/probe")).status == 401);
    const auto wrong_method = router.handle(as(Scope::write, true, "DELETE", "/push"));
    CHECK(wrong_method.status == 405);
    CHECK(wrong_method.headers.at("Allow") == "POST");
    CHECK(router.handle(as(Scope::write, true, "POST", "/details")).headers.at("Allow") ==
          "GET, HEAD");
}

TEST_CASE("access: an endpoint token_file without a <token> segment is an error") {
    AccessCase c;
    c.dir.write_secret("url-token", "url-t0ken-0123456789\n");
    auto result = c.read("[[endpoint]]\npath = \"/api/health/\"\nstyle = \"nested\"\n"
                         "token_file = \"url-token\"\n");
    REQUIRE(result.errors.empty());
    validate_endpoints(result.config, result.errors);
    const std::string errors = errors_of(result);
    CHECK(errors.find("endpoint[0].token_file: the path has no <token> segment") !=
          std::string::npos);
    CHECK(errors.find("url-t0ken") == std::string::npos);
}

TEST_CASE("access: a world-readable endpoint token_file is refused, without the token") {
    AccessCase c;
    const auto file = c.dir.write("url-token", "url-t0ken-0123456789\n");
    std::filesystem::permissions(file, std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    const auto result = c.read("[[endpoint]]\npath = \"/api/health/<token>/\"\nstyle = \"nested\"\n"
                               "token_file = \"url-token\"\n");
    const std::string errors = errors_of(result);
    CHECK(errors.find("endpoint[0].token_file: ") != std::string::npos);
    CHECK(errors.find("accessible by every user") != std::string::npos);
    CHECK(errors.find("url-t0ken") == std::string::npos);
}

TEST_CASE("access: without a listen key the agent binds loopback only") {
    AccessCase c;
    const auto result = c.read("");
    REQUIRE(result.errors.empty());
    CHECK(result.config.agent.listen.host == "127.0.0.1");
    CHECK(result.config.agent.listen.port == 9188);
    CHECK(AgentSettings{}.listen.host == "127.0.0.1"); // the built-in defaults, with no agent.toml
}
