// The two messages of grpc.health.v1.Health/Check in protobuf's wire format, read and written
// here rather than by protoc's generated code: see health_message.cpp for why.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vitals::grpc_health {

/// HealthCheckResponse.ServingStatus, as grpc/health/v1/health.proto numbers it.
enum class ServingStatus : std::uint64_t {
    unknown = 0,
    serving = 1,
    not_serving = 2,
    service_unknown = 3, ///< only Watch answers it, but a server may send anything
};

/// HealthCheckRequest{service}: field 1, a string, left out when empty as proto3 does.
std::string encode_request(const std::string &service);

/// HealthCheckResponse's status (field 1, a varint; 0 when absent, as proto3 reads it), or
/// nothing when `message` is not a well-formed protobuf message.
std::optional<std::uint64_t> decode_status(std::string_view message);

/// "SERVING", "NOT_SERVING", ...; "status 7" for a number the proto does not name.
std::string status_name(std::uint64_t status);

} // namespace vitals::grpc_health
