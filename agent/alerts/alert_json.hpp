// An alert as the JSON the webhook notifier posts and the exec notifier writes to stdin
// (the schema: docs/alerts.md). SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include "alerts/alert.hpp"

namespace vitals {

/// The schema's version, the body's "version": a field added keeps it, one changed bumps it.
inline constexpr int alert_json_version = 1;

/// {"version":1,"id":...,"kind":"firing","check":...,"status":...,"previous_status":...,
///  "summary":...,"message":...,"description":...,"since":...,"at":...,"host":...,
///  "labels":{...},"groups":[...],"link":...,"action":...}, one line.
std::string alert_json(const Alert &alert);

/// The body Slack and Mattermost incoming webhooks take: "text" (the summary) and one
/// attachment coloured by status, with the message and a field per detail.
std::string slack_json(const Alert &alert);

} // namespace vitals
