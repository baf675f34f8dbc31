// SPDX-License-Identifier: MIT
#include "http/status_page_access.hpp"

#include <fmt/format.h>

#include "http/query.hpp"
#include "http/status_page_assets.hpp"

namespace vitals {
namespace {

constexpr std::string_view token_hint =
    R"(Check details need the <code>read</code> scope: present a token that grants it. )"
    R"(In a browser, <a href="/?login">sign in</a> with the token as the password )"
    R"((the user name is ignored); elsewhere, send <code>Authorization: Bearer</code>.)";

HttpResponse html_response(int status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.content_type = "text/html; charset=utf-8";
    response.body = std::move(body);
    response.headers["Cache-Control"] = "no-store";
    return response;
}

HttpResponse sign_in_challenge() {
    auto response = html_response(
        401, fmt::format("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                         "<title>vitals: sign in</title></head><body><p>{}</p></body></html>\n",
                         token_hint));
    response.headers["WWW-Authenticate"] = R"(Basic realm="vitals", charset="UTF-8")";
    return response;
}

} // namespace

std::string render_restricted_page(Status overall) {
    const std::string_view word = to_string(overall);
    return fmt::format(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        R"(<meta name="viewport" content="width=device-width, initial-scale=1">)"
        "\n"
        R"(<meta name="color-scheme" content="light dark">)"
        "\n<title>{0} · vitals</title>\n<style>{1}</style>\n</head>\n"
        R"(<body class="overall-{0}">)"
        "\n"
        R"(<header class="top"><h1><span class="badge status-{0}" id="overall">{0}</span> )"
        "vitals</h1></header>\n<main>\n"
        R"(<p class="restricted" id="restricted">{2}</p>)"
        "\n</main>\n</body>\n</html>\n",
        word, assets::status_css, token_hint);
}

std::optional<HttpResponse> status_page_gate(const HttpRequest &request) {
    const bool login = Query{request.query}.has("login");
    if (request.caller.scope < Scope::probe || (login && request.caller.scope < Scope::read))
        return sign_in_challenge();
    if (!login) return std::nullopt;
    auto response = html_response(303, "");
    response.headers["Location"] = "/";
    return response;
}

} // namespace vitals
