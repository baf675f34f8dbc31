// The dns check against a chosen server. SPDX-License-Identifier: MIT
#include "server_check.hpp"

#include <vitals_plugins/socket.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/units.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>

namespace vitals::dns {

using namespace vitals::plugins;

namespace {

/// An expected record in the form the answer shows it: canonical addresses, and names in
/// lower case without the root's dot, so that "Mail.Test." expects "mail.test".
std::string normalise(const vitals::Params &params, RecordType type, const std::string &item) {
    std::array<unsigned char, 16> binary{};
    std::array<char, INET6_ADDRSTRLEN> text{};
    const auto address = [&](int family, const char *what) {
        if (::inet_pton(family, item.c_str(), binary.data()) != 1 ||
            !::inet_ntop(family, binary.data(), text.data(), text.size()))
            params.reject("expect", "\"" + item + "\" is not an " + what + " address");
        return std::string{text.data()};
    };
    switch (type) {
    case RecordType::a:
        return address(AF_INET, "IPv4");
    case RecordType::aaaa:
        return address(AF_INET6, "IPv6");
    case RecordType::txt:
        return item; // case and dots are the record's own
    default:
        break;
    }
    std::string lower = to_lower(item);
    if (lower.size() > 1 && lower.back() == '.') lower.pop_back();
    return lower;
}

Server read_server(const vitals::Params &params) {
    Server server;
    const std::string address = params.string("server");
    std::array<unsigned char, 16> binary{};
    std::array<char, INET6_ADDRSTRLEN> text{};
    for (const int family : {AF_INET, AF_INET6}) {
        if (::inet_pton(family, address.c_str(), binary.data()) == 1 &&
            ::inet_ntop(family, binary.data(), text.data(), text.size())) {
            server.family = family;
            server.address = text.data();
        }
    }
    if (server.family == 0)
        params.reject("server", "must be an IPv4 or IPv6 address, got \"" + address + "\"");
    if (params.has("port")) {
        const auto port = params.integer("port");
        if (port < 1 || port > 65535)
            params.reject("port", "must be from 1 to 65535, got " + std::to_string(port));
        server.port = static_cast<std::uint16_t>(port);
    }
    if (params.has("tcp")) server.tcp_only = params.boolean("tcp");
    return server;
}

} // namespace

ServerCheck::ServerCheck(const vitals::Params &params)
    : name_(params.string("name")), server_(read_server(params)) {
    if (params.has("type")) {
        const std::string type = params.string("type");
        const auto parsed = parse_record_type(type);
        if (!parsed)
            params.reject("type", "must be A, AAAA, CNAME, MX, TXT, SRV, NS, SOA or PTR, got \"" +
                                      type + "\"");
        type_ = *parsed;
    }
    match_ = read_match(params, true);
    if (params.has("expect")) {
        for (const auto &item : params.strings("expect")) {
            if (match_ == Match::regex) {
                try {
                    patterns_.emplace_back(item, std::regex::ECMAScript);
                } catch (const std::regex_error &error) {
                    params.reject("expect", "\"" + item + "\" is not a regular expression: " +
                                                after_colon(error.what()));
                }
            }
            const std::string record =
                match_ == Match::regex ? item : normalise(params, type_, item);
            if (std::find(expect_.begin(), expect_.end(), record) == expect_.end())
                expect_.push_back(record);
        }
        if (expect_.empty())
            params.reject("expect", "must list at least one record (or be left out)");
    }
    if (params.has("expect_nxdomain")) {
        expect_nxdomain_ = params.boolean("expect_nxdomain");
        if (expect_nxdomain_ && !expect_.empty())
            params.reject("expect_nxdomain", "cannot go with expect: the name has no records");
    }
    limits_ = time_limits(params, "query");
    asked_ =
        name_ + " " + record_type_name(type_) + " @" + endpoint_text(server_.address, server_.port);
}

void ServerCheck::run(vitals::Run &run) const {
    const auto deadline = work_deadline(run.time_left());
    if (!deadline) {
        run.error("no time left to ask " + asked_);
        return;
    }
    report(run, query(server_, name_, type_, *deadline));
}

void ServerCheck::report(vitals::Run &run, const QueryResult &answer) const {
    const std::string took = " in " + format_duration(answer.elapsed);
    switch (answer.outcome) {
    case Outcome::timed_out:
        run.error(asked_ + ": no answer, timed out after " + format_duration(answer.elapsed));
        return;
    case Outcome::failed:
        run.error(asked_ + ": " + answer.failure);
        return;
    case Outcome::nxdomain:
        run.metric("resolve_time", to_seconds(answer.elapsed), "seconds");
        if (expect_nxdomain_)
            run.ok(asked_ + ": no such name (NXDOMAIN), as expected," + took);
        else
            run.error(asked_ + ": no such name (NXDOMAIN)");
        return;
    case Outcome::no_data:
    case Outcome::answered:
        break;
    }
    run.metric("resolve_time", to_seconds(answer.elapsed), "seconds");
    run.metric("answer_count", static_cast<double>(answer.records.size()), "count");
    if (answer.soa_serial) run.metric("soa_serial", static_cast<double>(*answer.soa_serial));
    if (expect_nxdomain_) {
        run.error(asked_ + ": the name exists, NXDOMAIN was expected");
        return;
    }
    if (answer.outcome == Outcome::no_data) {
        run.error(asked_ + ": no " + record_type_name(type_) + " records");
        return;
    }
    const std::string message = asked_ + ": " + list_items(answer.records) + took;
    if (const std::string problem = mismatch(expect_, patterns_, match_, answer.records);
        !problem.empty())
        run.error(message + ", " + problem);
    else if (limits_.error && answer.elapsed > *limits_.error)
        run.error(message + ", slower than " + format_duration(*limits_.error));
    else if (limits_.warning && answer.elapsed > *limits_.warning)
        run.warning(message + ", slower than " + format_duration(*limits_.warning));
    else
        run.ok(message);
}

} // namespace vitals::dns
