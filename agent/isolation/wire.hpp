// Messages between the agent and a plugin worker process. SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "checks/check_result.hpp"
#include "core/duration.hpp"

// Both ends are the same binary (the worker is /proc/self/exe), so the encoding is native byte
// order with no version negotiation: a frame is a 4-byte length, then a payload that starts
// with one kind byte. A plain binary form rather than JSON keeps doubles exact (NaN never
// arrives: the worker's host functions drop it) and Poco in the http layer, where it belongs.
namespace vitals::wire {

/// No honest message comes near this; a larger length means the stream is corrupt.
inline constexpr std::uint32_t max_frame_bytes = 4u << 20;

/// Agent → worker, once, first: what to load and how to create the instance.
struct CreateRequest {
    std::string plugin_file;
    std::string check_name;
    std::string params_toml; ///< the check's params table printed as TOML
    Duration interval{};
    Duration timeout{};
    std::uint64_t memory_limit = 0; ///< RLIMIT_AS in bytes; 0: none
    Duration cpu_time_limit{};      ///< per call; 0: none
    std::int32_t log_level = 1;     ///< a LogLevel
    /// Params whose values were secret references: secret in the worker too.
    std::vector<std::string> secret_params;
    /// The check's labels: a plugin's metric labels may not reuse their names.
    Labels labels;
};

/// Agent → worker: run once with this much time left; the rest is what run_info() tells
/// the plugin of the check's earlier runs (the agent keeps that history: a worker may be new).
struct RunRequest {
    Duration time_left{};
    std::int32_t previous_status = -1; ///< a Status, or -1 before the first run
    std::uint32_t failures_in_a_row = 0;
};

/// One configuration problem found in the worker; `key` is the full dotted path.
struct Problem {
    std::string key;
    std::string message;
};

/// Worker → agent, once, after CreateRequest: empty problems means ready.
struct CreateReply {
    std::vector<Problem> problems;
};

/// Worker → agent, after each RunRequest (`started` is not sent: the agent knows it).
struct RunReply {
    CheckResult result;
};

using Message = std::variant<CreateRequest, RunRequest, CreateReply, RunReply>;

/// The message as one frame, length prefix included.
std::string encode(const Message &message);

/// The payload of one frame (length prefix removed); nullopt when malformed.
std::optional<Message> decode(std::string_view payload);

/// The payload length announced by a frame's first 4 bytes.
std::uint32_t frame_length(const char *prefix);
inline constexpr std::size_t frame_prefix_bytes = 4;

} // namespace vitals::wire
