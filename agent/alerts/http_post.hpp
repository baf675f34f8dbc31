// One POST of a JSON body to a receiver's URL, and what its answer means for delivery.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <Poco/Net/Context.h>

#include "alerts/notifier.hpp"
#include "core/duration.hpp"

namespace vitals {

struct HttpPost {
    std::string url;
    std::string body; ///< JSON
    std::vector<std::pair<std::string, std::string>> headers;
    Duration timeout{};
    Poco::Net::Context::Ptr tls; ///< for https:// URLs
};

/// Sends it and reads the answer: 2xx delivered; 408, 429, 5xx, no connection or no answer
/// in time: retry; any other status: rejected. Errors name the URL without its query (which
/// may hold a key, as Slack's do in the path: only scheme, host and port are shown) and the
/// status with the first line of the answer, cleaned: never a header or our body.
DeliveryOutcome post_json(const HttpPost &post);

/// "https://hooks.slack.com:443": how errors name a URL without a secret in its path.
std::string url_origin(const std::string &url);

} // namespace vitals
