// SPDX-License-Identifier: MIT
#include "http/server/request_head.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace vitals {
namespace {

constexpr std::string_view crlf = "\r\n";

/// RFC 9110 §5.6.2 token characters.
bool is_token_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

/// Field values: visible characters, spaces, tabs and obs-text; never CR, LF or NUL.
bool is_field_value(std::string_view text) {
    return std::none_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
    });
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x | 0x20) == (y | 0x20);
           });
}

/// True when the comma-separated `list` holds `option` (Connection: keep-alive, Upgrade).
bool has_option(std::string_view list, std::string_view option) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        if (equals_ignoring_case(trim(list.substr(0, comma)), option)) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

RejectedRequest reject(int status, std::string reason) {
    return {status, std::move(reason)};
}

/// "GET /path HTTP/1.1": fills method and target; the minor version goes to `minor`.
std::optional<RejectedRequest> parse_request_line(std::string_view line, RequestHead &head,
                                                  int &minor) {
    const auto first_space = line.find(' ');
    const auto last_space = line.rfind(' ');
    if (first_space == std::string_view::npos || first_space == last_space)
        return reject(400, "malformed request line");
    const auto method = line.substr(0, first_space);
    const auto target = line.substr(first_space + 1, last_space - first_space - 1);
    const auto version = line.substr(last_space + 1);
    if (!is_token(method)) return reject(400, "malformed method");
    if (target.empty() || target.find_first_of(" \t") != std::string_view::npos ||
        !is_field_value(target))
        return reject(400, "malformed request target");
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.')
        return reject(400, "malformed HTTP version");
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
        return reject(505, "only HTTP/1.0 and HTTP/1.1 are supported");
    head.method = method;
    head.target = target;
    minor = version[7] - '0';
    return std::nullopt;
}

std::optional<RejectedRequest> add_header(std::string_view line, RequestHead &head) {
    if (line.front() == ' ' || line.front() == '\t')
        return reject(400, "obsolete header line folding");
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return reject(400, "header line without a colon");
    const auto name = line.substr(0, colon);
    const auto value = trim(line.substr(colon + 1));
    if (!is_token(name)) return reject(400, "malformed header name");
    if (!is_field_value(value)) return reject(400, "control characters in a header value");
    auto [slot, inserted] = head.headers.try_emplace(std::string{name}, value);
    if (!inserted) {
        // Content-Length twice is a smuggling vector unless identical; other fields combine.
        if (equals_ignoring_case(name, "content-length")) {
            if (slot->second != value) return reject(400, "conflicting Content-Length");
        } else {
            slot->second.append(", ").append(value);
        }
    }
    return std::nullopt;
}

std::optional<RejectedRequest> read_framing(RequestHead &head, int minor,
                                            const RequestLimits &limits) {
    if (head.headers.count("transfer-encoding"))
        return reject(501, "Transfer-Encoding is not supported; send Content-Length");
    if (const auto length = head.headers.find("content-length"); length != head.headers.end()) {
        const std::string &text = length->second;
        std::size_t value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || error != std::errc{} || end != text.data() + text.size())
            return reject(400, "malformed Content-Length");
        if (value > limits.max_body_bytes) return reject(413, "request body too large");
        head.content_length = value;
    }
    const auto connection = head.headers.find("connection");
    const std::string_view options =
        connection == head.headers.end() ? std::string_view{} : connection->second;
    head.keep_alive =
        minor == 1 ? !has_option(options, "close") : has_option(options, "keep-alive");
    if (const auto expect = head.headers.find("expect"); expect != head.headers.end()) {
        if (!equals_ignoring_case(expect->second, "100-continue"))
            return reject(417, "unsupported expectation");
        head.expects_continue = minor == 1;
    }
    return std::nullopt;
}

/// 414 when the request line alone is over the limit, 431 when the headers are.
RejectedRequest too_large(std::string_view received, const RequestLimits &limits) {
    const auto end_of_line = received.find(crlf);
    if (end_of_line == std::string_view::npos || end_of_line > limits.max_head_bytes)
        return reject(414, "request line too long");
    return reject(431, "request head too large");
}

} // namespace

HeadParse parse_request_head(std::string_view received, const RequestLimits &limits) {
    const auto end_of_head = received.find("\r\n\r\n");
    if (end_of_head == std::string_view::npos) {
        if (received.size() > limits.max_head_bytes) return too_large(received, limits);
        // A NUL or bare LF can be refused at once, before a slow client sends the rest.
        if (received.find('\0') != std::string_view::npos)
            return reject(400, "NUL byte in request head");
        return NeedMoreBytes{};
    }
    if (end_of_head + 4 > limits.max_head_bytes) return too_large(received, limits);
    std::string_view lines = received.substr(0, end_of_head + 2);
    if (lines.find('\0') != std::string_view::npos) return reject(400, "NUL byte in request head");

    RequestHead head;
    head.head_bytes = end_of_head + 4;
    int minor = 1;
    bool first = true;
    std::size_t header_lines = 0;
    while (!lines.empty()) {
        const auto eol = lines.find(crlf);
        const auto line = lines.substr(0, eol);
        lines.remove_prefix(eol + crlf.size());
        if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos)
            return reject(400, "bare CR or LF in request head");
        if (first) {
            if (auto rejected = parse_request_line(line, head, minor)) return *rejected;
            first = false;
            continue;
        }
        if (line.empty()) return reject(400, "empty header line");
        if (++header_lines > limits.max_headers) return reject(431, "too many header fields");
        if (auto rejected = add_header(line, head)) return *rejected;
    }
    if (first) return reject(400, "empty request");
    if (auto rejected = read_framing(head, minor, limits)) return *rejected;
    return head;
}

} // namespace vitals
