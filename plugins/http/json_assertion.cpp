// Assertions on a JSON body by JSON Pointer. SPDX-License-Identifier: MIT
#include "json_assertion.hpp"

#include <vitals_plugins/text.hpp>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <string_view>
#include <utility>

namespace vitals::http {

namespace {

/// RFC 6901: "/a~1b/~0c" is the tokens "a/b" and "~c".
std::vector<std::string> pointer_tokens(const std::string &pointer) {
    if (pointer.empty() || pointer.front() != '/')
        throw std::invalid_argument{"must start with a JSON Pointer such as /status"};
    std::vector<std::string> tokens;
    std::size_t start = 1;
    for (;;) {
        const auto end = std::min(pointer.find('/', start), pointer.size());
        std::string token;
        for (std::size_t i = start; i < end; ++i) {
            if (pointer[i] != '~') {
                token += pointer[i];
                continue;
            }
            if (i + 1 >= end || (pointer[i + 1] != '0' && pointer[i + 1] != '1'))
                throw std::invalid_argument{"has a '~' not followed by 0 or 1 in its pointer"};
            token += pointer[++i] == '0' ? '~' : '/';
        }
        tokens.push_back(std::move(token));
        if (end == pointer.size()) return tokens;
        start = end + 1;
    }
}

std::optional<double> as_number(std::string_view text) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value))
        return std::nullopt;
    return value;
}

/// An array index as RFC 6901 writes it: digits, no leading zero.
std::optional<std::size_t> as_index(const std::string &token) {
    if (token.empty() || (token.size() > 1 && token.front() == '0')) return std::nullopt;
    std::size_t index = 0;
    const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), index);
    if (error != std::errc{} || end != token.data() + token.size()) return std::nullopt;
    return index;
}

/// The value at `tokens`, or nothing when the document has none there.
std::optional<Poco::Dynamic::Var> resolve(const Poco::Dynamic::Var &document,
                                          const std::vector<std::string> &tokens) {
    Poco::Dynamic::Var current = document;
    for (const auto &token : tokens) {
        if (current.type() == typeid(Poco::JSON::Object::Ptr)) {
            const auto object = current.extract<Poco::JSON::Object::Ptr>();
            if (!object->has(token)) return std::nullopt;
            current = object->get(token);
        } else if (current.type() == typeid(Poco::JSON::Array::Ptr)) {
            const auto array = current.extract<Poco::JSON::Array::Ptr>();
            const auto index = as_index(token);
            if (!index || *index >= array->size()) return std::nullopt;
            current = array->get(static_cast<unsigned>(*index));
        } else {
            return std::nullopt;
        }
    }
    return current;
}

bool is_container(const Poco::Dynamic::Var &value) {
    return value.type() == typeid(Poco::JSON::Object::Ptr) ||
           value.type() == typeid(Poco::JSON::Array::Ptr);
}

/// A scalar as text: a string's own characters, true/false/null, a number as JSON writes it.
std::string scalar_text(const Poco::Dynamic::Var &value) {
    if (value.isEmpty()) return "null";
    if (value.type() == typeid(bool)) return value.extract<bool>() ? "true" : "false";
    return value.convert<std::string>();
}

/// The value as a message shows it: strings quoted, everything printable and short.
std::string shown(const Poco::Dynamic::Var &value) {
    if (value.type() == typeid(Poco::JSON::Object::Ptr)) return "an object";
    if (value.type() == typeid(Poco::JSON::Array::Ptr)) return "an array";
    const std::string text = vitals::plugins::printable(scalar_text(value), 60);
    return value.isString() ? "\"" + text + "\"" : text;
}

} // namespace

JsonAssertion::JsonAssertion(const std::string &text) : text_(text) {
    static constexpr std::pair<std::string_view, Op> ops[] = {
        {"==", Op::equal}, {"!=", Op::not_equal},  {"=~", Op::matches}, {"!~", Op::not_matches},
        {"<", Op::less},   {"<=", Op::less_equal}, {">", Op::greater},  {">=", Op::greater_equal}};
    const auto first_space = text.find(' ');
    if (first_space == std::string::npos)
        throw std::invalid_argument{"must be \"POINTER OP VALUE\", such as \"/status == UP\""};
    pointer_ = pointer_tokens(text.substr(0, first_space));
    const std::string rest{vitals::plugins::trim(std::string_view{text}.substr(first_space), " ")};
    const auto op_end = std::min(rest.find(' '), rest.size());
    const std::string op = rest.substr(0, op_end);
    const auto found = std::find_if(std::begin(ops), std::end(ops),
                                    [&](const auto &entry) { return entry.first == op; });
    if (found == std::end(ops))
        throw std::invalid_argument{"has no comparison after its pointer: one of == != =~ !~ < "
                                    "<= > >="};
    op_ = found->second;
    value_ = std::string{vitals::plugins::trim(std::string_view{rest}.substr(op_end), " ")};
    if (value_.size() >= 2 && value_.front() == '"' && value_.back() == '"') {
        value_ = value_.substr(1, value_.size() - 2);
        quoted_ = true;
    } else if (value_.empty()) {
        throw std::invalid_argument{"has nothing to compare with after " + op +
                                    " (\"\" for an empty string)"};
    }
    if (!quoted_) number_ = as_number(value_);
    if (op_ == Op::matches || op_ == Op::not_matches) {
        try {
            pattern_ = std::make_shared<const Poco::RegularExpression>(value_);
        } catch (const Poco::Exception &e) {
            throw std::invalid_argument{"has an invalid regular expression: " + e.message()};
        }
    } else if (numeric() && !number_) {
        throw std::invalid_argument{"compares with " + op + " but " + value_ + " is not a number"};
    }
}

bool JsonAssertion::numeric() const {
    return op_ == Op::less || op_ == Op::less_equal || op_ == Op::greater ||
           op_ == Op::greater_equal;
}

bool JsonAssertion::holds(const Poco::Dynamic::Var &value) const {
    if (numeric()) {
        const double number = value.convert<double>();
        switch (op_) {
        case Op::less:
            return number < *number_;
        case Op::less_equal:
            return number <= *number_;
        case Op::greater:
            return number > *number_;
        default:
            return number >= *number_;
        }
    }
    if (op_ == Op::matches || op_ == Op::not_matches) {
        Poco::RegularExpression::Match match{};
        const bool matched = pattern_->match(scalar_text(value), 0, match) > 0;
        return matched == (op_ == Op::matches);
    }
    // 1 == 1.0: numbers compare as numbers unless the value was written as a "string".
    const bool same = value.isNumeric() && !value.isString() && number_ && !quoted_
                          ? value.convert<double>() == *number_
                          : (quoted_ ? value.isString() : true) && scalar_text(value) == value_;
    return same == (op_ == Op::equal);
}

std::optional<std::string> JsonAssertion::problem(const Poco::Dynamic::Var &document) const {
    const std::string pointer = text_.substr(0, text_.find(' '));
    const auto value = resolve(document, pointer_);
    if (!value) return pointer + " is not in the body";
    if (is_container(*value)) return pointer + " is " + shown(*value) + ", not a value";
    if (numeric() && (!value->isNumeric() || value->isString() || value->type() == typeid(bool)))
        return pointer + " is " + shown(*value) + ", not a number";
    try {
        if (holds(*value)) return std::nullopt;
    } catch (const Poco::Exception &e) {
        return pointer + ": " + vitals::plugins::after_colon(e.message());
    }
    return pointer + " is " + shown(*value) + ", not " + text_.substr(text_.find(' ') + 1);
}

Poco::Dynamic::Var parse_json(const std::string &body) {
    try {
        Poco::JSON::Parser parser;
        return parser.parse(body);
    } catch (const Poco::Exception &e) {
        throw std::invalid_argument{vitals::plugins::after_colon(e.message())};
    }
}

} // namespace vitals::http
