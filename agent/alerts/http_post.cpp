// SPDX-License-Identifier: MIT
#include "alerts/http_post.hpp"

#include <chrono>
#include <memory>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/URI.h>
#include <fmt/format.h>
#include <vitals_plugins/text.hpp>

namespace vitals {
namespace {

/// What is shown of a receiver's answer: enough to see why, too little to copy a page.
constexpr std::size_t answer_shown = 120;
/// What is read of it at all.
constexpr std::streamsize answer_read = 4096;

bool worth_retrying(int status) {
    return status == 408 || status == 425 || status == 429 || status >= 500;
}

std::string first_line_of(const std::string &answer) {
    const auto end = answer.find_first_of("\r\n");
    return plugins::printable(vitals::plugins::trim(answer.substr(0, end)), answer_shown);
}

} // namespace

std::string url_origin(const std::string &url) {
    try {
        const Poco::URI uri{url};
        return fmt::format("{}://{}:{}", uri.getScheme(), uri.getHost(), uri.getPort());
    } catch (const Poco::Exception &) {
        return "(a bad URL)";
    }
}

DeliveryOutcome post_json(const HttpPost &post) {
    const std::string where = url_origin(post.url);
    try {
        const Poco::URI uri{post.url};
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (uri.getScheme() == "https")
            session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(),
                                                                      post.tls);
        else
            session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(post.timeout);
        session->setTimeout(Poco::Timespan{micros.count()});
        const std::string target = uri.getPathAndQuery();
        Poco::Net::HTTPRequest request{Poco::Net::HTTPRequest::HTTP_POST,
                                       target.empty() ? "/" : target,
                                       Poco::Net::HTTPMessage::HTTP_1_1};
        request.setContentType("application/json");
        request.setContentLength64(static_cast<Poco::Int64>(post.body.size()));
        request.set("User-Agent", "vitalsd");
        for (const auto &[name, value] : post.headers)
            request.set(name, value);
        session->sendRequest(request) << post.body;
        Poco::Net::HTTPResponse response;
        std::istream &in = session->receiveResponse(response);
        std::string answer(static_cast<std::size_t>(answer_read), '\0');
        in.read(answer.data(), answer_read);
        answer.resize(static_cast<std::size_t>(in.gcount()));
        const int status = response.getStatus();
        if (status >= 200 && status < 300) return DeliveryOutcome::delivered();
        std::string why = fmt::format("{} answered {} {}", where, status,
                                      plugins::printable(response.getReason(), 60));
        if (const auto line = first_line_of(answer); !line.empty()) why += ": " + line;
        return worth_retrying(status) ? DeliveryOutcome::retry(std::move(why))
                                      : DeliveryOutcome::rejected(std::move(why));
    } catch (const Poco::TimeoutException &) {
        return DeliveryOutcome::retry(
            fmt::format("{} did not answer within {}", where, format_duration(post.timeout)));
    } catch (const Poco::Exception &error) {
        return DeliveryOutcome::retry(fmt::format("cannot post to {}: {}", where,
                                                  plugins::printable(error.displayText(), 200)));
    }
}

} // namespace vitals
