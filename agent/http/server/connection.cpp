// SPDX-License-Identifier: MIT
#include "http/server/connection.hpp"

#include <array>

#include "core/log.hpp"
#include "http/server/request_target.hpp"
#include "http/server/response_writer.hpp"

namespace vitals {
namespace {

/// Stop reading a pipelining client's requests while this much reply is unsent,
/// so a client that never reads cannot make the agent buffer without bound.
constexpr std::size_t max_unsent_bytes = 1024 * 1024;
constexpr std::size_t read_chunk = 16 * 1024;

} // namespace

Connection::Connection(std::unique_ptr<Transport> transport, std::string peer,
                       const ConnectionLimits &limits, Clock::time_point now)
    : transport_(std::move(transport)), peer_(std::move(peer)), limits_(limits),
      last_activity_(now) {}

Interest Connection::on_ready(const Dispatch &dispatch, Clock::time_point now) {
    if (!flush()) return {.close = true};
    if (state_ == State::reading && out_.size() - out_sent_ < max_unsent_bytes) {
        const bool open = read_available(now);
        serve_buffered(dispatch, now);
        if (!flush()) return {.close = true};
        if (!open && out_sent_ == out_.size()) return {.close = true};
        if (!open) state_ = State::closing_after_write;
    }
    if (state_ == State::closing_after_write && out_sent_ == out_.size()) return {.close = true};
    return interest();
}

bool Connection::read_available(Clock::time_point now) {
    std::array<char, read_chunk> buffer;
    // Bounded per event so one fast client cannot starve the loop's other connections.
    for (int round = 0; round < 4; ++round) {
        std::size_t count = 0;
        const IoStatus status = transport_->receive(buffer.data(), buffer.size(), count);
        blocked_on_write_ = status == IoStatus::want_write;
        if (status == IoStatus::closed || status == IoStatus::failed) return false;
        if (status != IoStatus::progressed) break;
        if (in_.empty() && !head_) request_started_ = now;
        in_.append(buffer.data(), count);
        last_activity_ = now;
        if (count < buffer.size()) break;
    }
    return true;
}

void Connection::serve_buffered(const Dispatch &dispatch, Clock::time_point now) {
    while (state_ == State::reading && out_.size() - out_sent_ < max_unsent_bytes) {
        if (!head_) {
            if (in_.empty()) return;
            auto parsed = parse_request_head(in_, limits_.request);
            if (std::holds_alternative<NeedMoreBytes>(parsed)) return;
            if (const auto *rejected = std::get_if<RejectedRequest>(&parsed)) {
                respond(error_response(rejected->status, rejected->reason), false, false);
                return;
            }
            head_ = std::move(std::get<RequestHead>(parsed));
            sent_continue_ = false;
        }
        const std::size_t needed = head_->head_bytes + head_->content_length;
        if (in_.size() < needed) {
            if (head_->expects_continue && !sent_continue_) {
                out_.append("HTTP/1.1 100 Continue\r\n\r\n");
                sent_continue_ = true;
            }
            return;
        }
        HttpRequest request;
        request.method = std::move(head_->method);
        request.headers = std::move(head_->headers);
        request.body = in_.substr(head_->head_bytes, head_->content_length);
        request.peer = peer_;
        const bool keep_alive =
            head_->keep_alive && (limits_.max_requests == 0 || served_ + 1 < limits_.max_requests);
        const std::string target = std::move(head_->target);
        in_.erase(0, needed);
        head_.reset();
        request_started_ = in_.empty() ? std::nullopt : std::optional{now};
        ++served_;

        const bool head_only = request.method == "HEAD";
        auto parsed_target = parse_request_target(target);
        if (const auto *bad = std::get_if<BadTarget>(&parsed_target)) {
            respond(error_response(bad->status, bad->reason), head_only, false);
            return;
        }
        auto &[path, query] = std::get<RequestTarget>(parsed_target);
        request.path = std::move(path);
        request.query = std::move(query);
        HttpResponse response;
        try {
            response = dispatch(request);
        } catch (const std::exception &e) {
            log(LogLevel::error, "http", "{} {}: {}", request.method, request.path, e.what());
            response = error_response(500, "see the agent log");
        }
        respond(response, head_only, keep_alive);
        last_activity_ = now;
    }
}

void Connection::respond(const HttpResponse &response, bool head_only, bool keep_alive) {
    if (out_sent_ == out_.size()) {
        out_.clear();
        out_sent_ = 0;
    }
    write_response(response, head_only, keep_alive, out_);
    if (!keep_alive) state_ = State::closing_after_write;
}

bool Connection::flush() {
    blocked_on_read_ = false;
    while (out_sent_ < out_.size()) {
        std::size_t count = 0;
        const IoStatus status =
            transport_->send(out_.data() + out_sent_, out_.size() - out_sent_, count);
        if (status == IoStatus::closed || status == IoStatus::failed) return false;
        if (status == IoStatus::want_read) blocked_on_read_ = true;
        if (status != IoStatus::progressed) {
            if (!write_started_) write_started_ = Clock::now();
            return true;
        }
        out_sent_ += count;
    }
    out_.clear();
    out_sent_ = 0;
    write_started_.reset();
    return true;
}

Interest Connection::interest() const {
    const bool unsent = out_sent_ < out_.size();
    Interest next;
    next.write = (unsent && !blocked_on_read_) || blocked_on_write_;
    next.read = (state_ == State::reading && !unsent) || blocked_on_read_;
    return next;
}

bool Connection::expired(Clock::time_point now) {
    if (write_started_ && now - *write_started_ > limits_.request_timeout) return true;
    if (request_started_ && now - *request_started_ > limits_.request_timeout) {
        // The client is too slow to send a request (a slowloris): say so, then hang up.
        if (out_sent_ == out_.size()) {
            respond(error_response(408, "request not received in time"), false, false);
            flush();
        }
        return true;
    }
    // A new connection (or TLS handshake) that never sends a request gets the request
    // timeout, not the keep-alive one: it has not earned a keep-alive yet.
    const auto idle_limit = served_ == 0 ? limits_.request_timeout : limits_.keep_alive_timeout;
    return idle() && now - last_activity_ > idle_limit;
}

bool Connection::idle() const {
    return !request_started_ && !head_ && in_.empty() && out_sent_ == out_.size();
}

} // namespace vitals
