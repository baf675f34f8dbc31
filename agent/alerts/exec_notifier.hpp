// Alerts handed to a command: in environment variables and as JSON on its stdin.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

#include "alerts/notifier.hpp"
#include "config/notifier_definition.hpp"

namespace vitals {

/// The command's whole environment: PATH, LANG, and VITALS_ALERT_KIND, VITALS_ALERT_ID,
/// VITALS_CHECK, VITALS_STATUS, VITALS_PREVIOUS_STATUS, VITALS_SUMMARY, VITALS_MESSAGE,
/// VITALS_DESCRIPTION, VITALS_SINCE, VITALS_AT, VITALS_HOST, VITALS_LINK, VITALS_ACTION,
/// VITALS_GROUPS (comma-separated) and VITALS_LABEL_<NAME> per label (upper case, any
/// character but A-Z, 0-9 and _ as _). Free texts are cut at 16 KiB (stdin has them whole).
/// Nothing of the agent's own: it may hold secrets.
std::vector<std::string> exec_environment(const Alert &alert);

class ExecNotifier final : public Notifier {
public:
    explicit ExecNotifier(NotifierDefinition definition);
    /// Runs the command (in a session of its own, no shell unless `shell`), the alert's JSON
    /// on stdin: exit 0 delivered; another exit, a signal, or still running at the timeout
    /// (its whole process group killed) retry. Its output, at most a few KiB, is logged.
    DeliveryOutcome deliver(const Alert &alert) override;

private:
    NotifierDefinition definition_;
};

} // namespace vitals
