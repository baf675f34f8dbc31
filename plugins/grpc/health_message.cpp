// grpc.health.v1's request and response in protobuf's wire format. SPDX-License-Identifier: MIT
//
// Why not protoc's generated code: it registers health.proto in libprotobuf's process-wide
// descriptor pool when the library loads, and libprotobuf is never unloaded (it has
// STB_GNU_UNIQUE symbols). The agent unloads a plugin no check uses and loads it anew on a
// reload; the second registration of the same file is a fatal error in libprotobuf, which
// would end the agent. These two messages are a length-prefixed string out and one varint
// back, and everything else (HTTP/2, TLS, deadlines, status codes) is gRPC's.
#include "health_message.hpp"

namespace vitals::grpc_health {

namespace {

constexpr std::uint64_t wire_varint = 0;
constexpr std::uint64_t wire_fixed64 = 1;
constexpr std::uint64_t wire_length_delimited = 2;
constexpr std::uint64_t wire_fixed32 = 5;
constexpr std::uint64_t status_field = 1;
constexpr std::uint64_t service_field = 1;

void put_varint(std::string &out, std::uint64_t value) {
    while (value >= 0x80) {
        out += static_cast<char>((value & 0x7f) | 0x80);
        value >>= 7;
    }
    out += static_cast<char>(value);
}

/// Reads a varint at `at`, moving past it; nothing when it is cut short or too long.
std::optional<std::uint64_t> get_varint(std::string_view in, std::size_t &at) {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64 && at < in.size(); shift += 7) {
        const auto byte = static_cast<unsigned char>(in[at++]);
        value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) return value;
    }
    return std::nullopt;
}

/// Moves past a field of `wire_type` this reader does not want; false when malformed.
bool skip(std::string_view in, std::size_t &at, std::uint64_t wire_type) {
    switch (wire_type) {
    case wire_varint:
        return get_varint(in, at).has_value();
    case wire_fixed64:
        at += 8;
        return at <= in.size();
    case wire_fixed32:
        at += 4;
        return at <= in.size();
    case wire_length_delimited: {
        const auto length = get_varint(in, at);
        if (!length || *length > in.size() - at) return false;
        at += *length;
        return true;
    }
    default: // groups (3, 4) are long gone from proto3; anything else is not protobuf
        return false;
    }
}

} // namespace

std::string encode_request(const std::string &service) {
    std::string out;
    if (service.empty()) return out;
    put_varint(out, service_field << 3 | wire_length_delimited);
    put_varint(out, service.size());
    out += service;
    return out;
}

std::optional<std::uint64_t> decode_status(std::string_view message) {
    std::uint64_t status = 0;
    std::size_t at = 0;
    while (at < message.size()) {
        const auto key = get_varint(message, at);
        if (!key) return std::nullopt;
        const std::uint64_t field = *key >> 3;
        const std::uint64_t wire_type = *key & 7;
        if (field == status_field && wire_type == wire_varint) {
            const auto value = get_varint(message, at);
            if (!value) return std::nullopt;
            status = *value; // the last one wins, as protobuf merges
        } else if (field == 0 || !skip(message, at, wire_type)) {
            return std::nullopt;
        }
    }
    return status;
}

std::string status_name(std::uint64_t status) {
    switch (static_cast<ServingStatus>(status)) {
    case ServingStatus::unknown:
        return "UNKNOWN";
    case ServingStatus::serving:
        return "SERVING";
    case ServingStatus::not_serving:
        return "NOT_SERVING";
    case ServingStatus::service_unknown:
        return "SERVICE_UNKNOWN";
    }
    return "status " + std::to_string(status);
}

} // namespace vitals::grpc_health
