// SPDX-License-Identifier: MIT
#include "http/server/request_target.hpp"

#include "core/utf8.hpp"
#include "http/percent_escape.hpp"

namespace vitals {
namespace {

/// Strips "http://authority" or "https://authority" from an absolute-form target.
std::string_view origin_part(std::string_view target) {
    for (std::string_view scheme : {"http://", "https://"}) {
        if (target.size() >= scheme.size() && target.substr(0, scheme.size()) == scheme) {
            const auto slash = target.find('/', scheme.size());
            return slash == std::string_view::npos ? "/" : target.substr(slash);
        }
    }
    return target;
}

bool has_dot_segment(std::string_view path) {
    while (!path.empty()) {
        path.remove_prefix(1); // the '/'
        const auto segment = path.substr(0, path.find('/'));
        if (segment == "." || segment == "..") return true;
        path.remove_prefix(segment.size());
    }
    return false;
}

} // namespace

std::variant<RequestTarget, BadTarget> parse_request_target(std::string_view target) {
    const std::string_view origin = origin_part(target);
    if (origin.empty() || origin.front() != '/')
        return BadTarget{400, "request target must be a path"};
    if (origin.find('#') != std::string_view::npos)
        return BadTarget{400, "fragment in request target"};
    const auto question = origin.find('?');
    const std::string_view raw_path = origin.substr(0, question);

    RequestTarget parsed;
    if (question != std::string_view::npos) parsed.query = origin.substr(question + 1);
    parsed.path.reserve(raw_path.size());
    for (std::size_t i = 0; i < raw_path.size(); ++i) {
        char c = raw_path[i];
        if (c == '%') {
            const auto escaped = percent_escaped_byte(raw_path, i);
            if (!escaped) return BadTarget{400, "malformed percent escape in path"};
            c = *escaped;
            i += 2;
            if (c == '/') return BadTarget{400, "encoded slash in path"};
            if (c == '\0') return BadTarget{400, "encoded NUL in path"};
        }
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) return BadTarget{400, "control character in path"};
        parsed.path.push_back(c);
    }
    if (!is_valid_utf8(parsed.path)) return BadTarget{400, "path is not valid UTF-8"};
    if (has_dot_segment(parsed.path)) return BadTarget{400, "dot segment in path"};
    return parsed;
}

} // namespace vitals
