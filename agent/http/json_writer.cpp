// SPDX-License-Identifier: MIT
#include "http/json_writer.hpp"

#include <array>
#include <charconv>

#include <Poco/JSONString.h>
#include <Poco/NumberFormatter.h>

namespace vitals {
namespace {

/// The bytes Poco's toJSON escapes (without JSON_ESCAPE_UNICODE): control bytes, '"' and '\';
/// and '/' in some versions, so a text with one goes through toJSON too. A table, as every
/// byte of every text in a body is looked up.
constexpr std::array<bool, 256> escaped = [] {
    std::array<bool, 256> table{};
    for (std::size_t byte = 0; byte < 0x20; ++byte)
        table[byte] = true;
    table['"'] = table['\\'] = table['/'] = true;
    return table;
}();

/// An integer's digits, as Poco's NumberFormatter writes them.
template <class Integer> std::string decimal(Integer value) {
    std::array<char, 24> digits{};
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
    return {digits.data(), end};
}

} // namespace

JsonWriter &JsonWriter::open(char bracket) {
    if (after_value_) out_ += ',';
    out_ += bracket;
    after_value_ = false;
    return *this;
}

JsonWriter &JsonWriter::close(char bracket) {
    out_ += bracket;
    after_value_ = true;
    return *this;
}

JsonWriter &JsonWriter::scalar(std::string_view text) {
    if (after_value_) out_ += ',';
    out_ += text;
    after_value_ = true;
    return *this;
}

JsonWriter &JsonWriter::begin_object() {
    return open('{');
}

JsonWriter &JsonWriter::end_object() {
    return close('}');
}

JsonWriter &JsonWriter::begin_array() {
    return open('[');
}

JsonWriter &JsonWriter::end_array() {
    return close(']');
}

JsonWriter &JsonWriter::key(std::string_view name) {
    string(name);
    out_ += ':';
    after_value_ = false;
    return *this;
}

JsonWriter &JsonWriter::string(std::string_view text) {
    // Most texts need no escape: copied whole, they skip Poco's byte-by-byte append.
    for (const char c : text)
        if (escaped[static_cast<unsigned char>(c)])
            return scalar(Poco::toJSON(std::string{text}, Poco::JSON_WRAP_STRINGS));
    out_.append(after_value_ ? ",\"" : "\"");
    out_.append(text);
    out_ += '"';
    after_value_ = true;
    return *this;
}

JsonWriter &JsonWriter::number(double value) {
    return scalar(Poco::NumberFormatter::format(value));
}

JsonWriter &JsonWriter::integer(std::int64_t value) {
    return scalar(decimal(value));
}

JsonWriter &JsonWriter::unsigned_integer(std::uint64_t value) {
    return scalar(decimal(value));
}

JsonWriter &JsonWriter::boolean(bool value) {
    return scalar(value ? "true" : "false");
}

JsonWriter &JsonWriter::null() {
    return scalar("null");
}

JsonWriter &JsonWriter::string_or_null(const std::optional<std::string> &text) {
    return text ? string(*text) : null();
}

JsonWriter &JsonWriter::number_or_null(std::optional<double> value) {
    return value ? number(*value) : null();
}

std::string JsonWriter::take() {
    std::string text = std::move(out_);
    out_.clear();
    after_value_ = false;
    return text;
}

} // namespace vitals
