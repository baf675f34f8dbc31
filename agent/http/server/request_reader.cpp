// SPDX-License-Identifier: MIT
#include "http/server/request_reader.hpp"

#include <istream>
#include <optional>
#include <streambuf>

#include <Poco/Exception.h>

namespace vitals {
namespace {

/// A stream buffer of one byte over the source: Poco's parser reads through it and
/// sees the end of input at a limit, after which read_request_head() reports the
/// limit instead of Poco's "malformed".
class HeadBuffer : public std::streambuf {
public:
    HeadBuffer(const ByteSource &next_byte, const RequestLimits &limits)
        : next_byte_(next_byte), limits_(limits) {}

    const std::optional<RefusedRequest> &refusal() const { return refusal_; }
    bool ended() const { return ended_; }

protected:
    int_type underflow() override {
        if (refusal_ || ended_) return traits_type::eof();
        if (bytes_ == limits_.max_head_bytes) {
            // Still on the request line: it is the target that is too long.
            refusal_ = lines_ == 0 ? RefusedRequest{414, "request line too long"}
                                   : RefusedRequest{431, "request head too large"};
            return traits_type::eof();
        }
        const int byte = next_byte_();
        if (byte == out_of_time) {
            refusal_ = RefusedRequest{408, "request not received in time"};
            return traits_type::eof();
        }
        if (byte < 0) {
            ended_ = true;
            return traits_type::eof();
        }
        ++bytes_;
        // Poco would keep a NUL in a value; RFC 9110 §5.5 says refuse it. Refused at
        // once: a head with one is bad whatever follows.
        if (byte == 0) refusal_ = RefusedRequest{400, "NUL byte in request head"};
        if (refusal_ || (byte == '\n' && !end_line())) return traits_type::eof();
        note(static_cast<char>(byte));
        current_ = static_cast<char>(byte);
        setg(&current_, &current_, &current_ + 1);
        return traits_type::to_int_type(current_);
    }

private:
    /// Poco skips a header line without a colon and, on a request line without a
    /// version, reads on into the next lines for one: both are malformed (RFC 9112 §3,
    /// §5), and answered 400 here rather than served or left waiting.
    bool end_line() {
        const bool blank = line_length_ == 0;
        if (lines_ == 0 && !blank && spaces_in_line_ < 2)
            refusal_ = RefusedRequest{400, "malformed request line"};
        else if (lines_ > 0 && !blank && !colon_in_line_)
            refusal_ = RefusedRequest{400, "header line without a colon"};
        else if (lines_ >= limits_.max_headers + 1 && !blank)
            refusal_ = RefusedRequest{431, "too many header fields"};
        // Empty lines before the request line are skipped (RFC 9112 §2.2).
        if (!(lines_ == 0 && blank)) ++lines_;
        line_length_ = spaces_in_line_ = 0;
        colon_in_line_ = false;
        return !refusal_;
    }

    void note(char c) {
        if (c == '\n' || c == '\r') return;
        ++line_length_;
        spaces_in_line_ += c == ' ' ? 1 : 0;
        colon_in_line_ = colon_in_line_ || c == ':';
    }

    const ByteSource &next_byte_;
    const RequestLimits &limits_;
    std::optional<RefusedRequest> refusal_;
    std::size_t bytes_ = 0;
    std::size_t lines_ = 0; ///< ended lines of the head, the request line first
    std::size_t line_length_ = 0;
    std::size_t spaces_in_line_ = 0;
    bool colon_in_line_ = false;
    bool ended_ = false;
    char current_ = 0;
};

} // namespace

Poco::Net::HTTPRequest read_request_head(const ByteSource &next_byte, const RequestLimits &limits) {
    HeadBuffer buffer{next_byte, limits};
    std::istream in{&buffer};
    Poco::Net::HTTPRequest head;
    // Poco's own cap on fields stays above ours, which HeadBuffer counts in lines.
    head.setFieldLimit(static_cast<int>(limits.max_headers) + 1);
    try {
        head.read(in);
    } catch (const Poco::Exception &e) {
        if (buffer.refusal()) throw *buffer.refusal();
        if (buffer.ended()) throw ClientGone{};
        throw RefusedRequest{400, "malformed request: " + e.message()};
    }
    if (buffer.refusal()) throw *buffer.refusal();
    // Poco takes a head cut short by the end of input as whole; it was not.
    if (buffer.ended()) throw ClientGone{};
    return head;
}

Poco::Net::HTTPRequest read_request_head(std::string_view bytes, const RequestLimits &limits) {
    std::size_t next = 0;
    const ByteSource source = [&]() -> int {
        return next < bytes.size() ? static_cast<unsigned char>(bytes[next++]) : end_of_input;
    };
    return read_request_head(source, limits);
}

} // namespace vitals
