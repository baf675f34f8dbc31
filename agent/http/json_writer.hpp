// JSON written straight into a string, in time linear in its size. SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vitals {

/// Writes members and elements in the order it is given them. Bodies with a member per
/// check use it, not Poco::JSON::Object: with its key order kept, that object searches
/// every key it holds on each set() and again for each key stringify() writes (Poco 1.11),
/// so /health for 10,000 checks took seconds. Strings and numbers are still spelled by
/// Poco (toJSON, NumberFormatter), so the bytes are the ones Poco::JSON wrote.
class JsonWriter {
public:
    JsonWriter &begin_object();
    JsonWriter &end_object();
    JsonWriter &begin_array();
    JsonWriter &end_array();
    /// A member's name; its value comes next.
    JsonWriter &key(std::string_view name);

    JsonWriter &string(std::string_view text);
    JsonWriter &number(double value);
    JsonWriter &integer(std::int64_t value);
    JsonWriter &unsigned_integer(std::uint64_t value);
    JsonWriter &boolean(bool value);
    JsonWriter &null();
    JsonWriter &string_or_null(const std::optional<std::string> &text);
    JsonWriter &number_or_null(std::optional<double> value);

    /// The text so far; the writer is empty afterwards.
    std::string take();

private:
    JsonWriter &open(char bracket);
    JsonWriter &close(char bracket);
    /// A value already spelled as JSON.
    JsonWriter &scalar(std::string_view text);

    std::string out_;
    bool after_value_ = false; ///< the next member or element needs a comma first
};

} // namespace vitals
