// A Poco exception's own words, for messages. SPDX-License-Identifier: MIT
#pragma once

#include <vitals_plugins/text.hpp>

#include <Poco/Exception.h>

#include <string>

namespace vitals::http {

/// "wrong version number" rather than
/// "SSL Exception: error:0A00010B:SSL routines::wrong version number".
inline std::string exception_words(const Poco::Exception &e) {
    std::string text = e.message().empty() ? e.name() : e.message();
    if (text.starts_with("error:")) // an OpenSSL error string; its reason comes last
        text = text.substr(text.rfind(':') + 1);
    return vitals::plugins::after_colon(text);
}

} // namespace vitals::http
