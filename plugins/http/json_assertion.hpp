// Assertions on a JSON body, each "POINTER OP VALUE": a JSON Pointer (RFC 6901), a comparison
// and the value it is compared with. SPDX-License-Identifier: MIT
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/RegularExpression.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace vitals::http {

/// "/status == UP", "/checks/0/status =~ ^(UP|OK)$", "/queue/depth < 1000".
class JsonAssertion {
public:
    /// Throws std::invalid_argument saying what is wrong with `text`.
    explicit JsonAssertion(const std::string &text);

    /// What is wrong with `document` ("/status is \"DOWN\", not == UP"), or nothing.
    std::optional<std::string> problem(const Poco::Dynamic::Var &document) const;

    const std::string &text() const { return text_; }

private:
    enum class Op {
        equal,
        not_equal,
        matches,
        not_matches,
        less,
        less_equal,
        greater,
        greater_equal
    };

    bool holds(const Poco::Dynamic::Var &value) const;
    bool numeric() const;

    std::string text_;
    std::vector<std::string> pointer_; ///< the reference tokens, unescaped
    Op op_{};
    std::string value_;            ///< the right-hand side, unquoted
    bool quoted_ = false;          ///< written in double quotes: compared as a string only
    std::optional<double> number_; ///< the right-hand side as a number, when it is one
    std::shared_ptr<const Poco::RegularExpression> pattern_;
};

/// The JSON body parsed, or std::invalid_argument with why not.
Poco::Dynamic::Var parse_json(const std::string &body);

} // namespace vitals::http
