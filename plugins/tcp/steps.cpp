// Parsing the tcp plugin's dialogue steps. SPDX-License-Identifier: MIT
#include "steps.hpp"

#include <vitals_plugins/text.hpp>

#include <Poco/Exception.h>

#include <string_view>

namespace vitals::tcp {

namespace {

/// The text after "`prefix`:" and one optional space, or nothing when `item` is not that step.
std::optional<std::string> argument_of(std::string_view item, std::string_view prefix) {
    if (item.size() <= prefix.size() || item[prefix.size()] != ':' ||
        !vitals::plugins::equal_ignoring_case(item.substr(0, prefix.size()), prefix))
        return std::nullopt;
    std::string_view rest = item.substr(prefix.size() + 1);
    if (rest.starts_with(' ')) rest.remove_prefix(1);
    return std::string{rest};
}

Step expect_step(const std::string &pattern, const std::string &which) {
    if (pattern.empty())
        throw StepError{which + " expects an empty pattern, which every line matches"};
    try {
        return {Step::Kind::expect, pattern,
                std::make_shared<const Poco::RegularExpression>(pattern)};
    } catch (const Poco::Exception &e) {
        throw StepError{which + " is not a valid regular expression: " + e.message()};
    }
}

} // namespace

std::string Step::describe(std::size_t index) const {
    const std::string step = "step " + std::to_string(index + 1);
    switch (kind) {
    case Kind::send:
        return step + " (send)";
    case Kind::expect:
        return step + " (expect /" + text + "/)";
    case Kind::starttls:
        return step + " (starttls)";
    }
    return step;
}

std::vector<Step> parse_steps(const std::vector<std::string> &items) {
    std::vector<Step> steps;
    bool tls_started = false;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string which = "item " + std::to_string(i + 1);
        const std::string_view item = items[i];
        if (const auto line = argument_of(item, "send")) {
            if (line->find_first_of("\r\n") != std::string::npos)
                throw StepError{which + " sends a line break: each send is one line, ended "
                                        "with CR LF for you"};
            steps.push_back({Step::Kind::send, *line, nullptr});
        } else if (const auto pattern = argument_of(item, "expect")) {
            steps.push_back(expect_step(*pattern, which));
        } else if (vitals::plugins::equal_ignoring_case(vitals::plugins::trim(item), "starttls")) {
            if (tls_started) throw StepError{which + " starts TLS a second time"};
            tls_started = true;
            steps.push_back({Step::Kind::starttls, {}, nullptr});
        } else {
            // Never quoted: a mistyped "send" may hold a password.
            throw StepError{which + " must be \"send: TEXT\", \"expect: REGEX\" or \"starttls\""};
        }
    }
    return steps;
}

} // namespace vitals::tcp
