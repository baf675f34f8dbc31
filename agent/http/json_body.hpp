// Building JSON bodies with Poco::JSON, keys in insertion order. SPDX-License-Identifier: MIT
#pragma once

#include <sstream>
#include <string>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace vitals {

using JsonObject = Poco::JSON::Object::Ptr;
using JsonArray = Poco::JSON::Array::Ptr;

/// Insertion-ordered, so the same state always gives the same bytes.
inline JsonObject json_object() {
    return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}
inline JsonArray json_array() {
    return new Poco::JSON::Array;
}

template <class Json> std::string to_json(const Json &json) {
    std::ostringstream out;
    json->stringify(out);
    return out.str();
}

} // namespace vitals
